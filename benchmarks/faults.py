"""Fault run at full scale (issue 4 "Fault tests"; RELIABILITY.md §8 items 1–4 and 22).

    python benchmarks/faults.py [--texts 1000 --kills 10 --redis-restarts 1 --seed 7]

Creates its own PostgreSQL database (firm_texting_faults, dropped and re-created) and uses a
dedicated Redis db (15); starts the provider sandbox with 20% 500s, 5% 429s, duplicate and
reordered callbacks, plus windows of accepted-then-timeout (see DelayWindows: the sandbox can
only delay every 202, so the delay is switched on for short windows, aimed at ~5% of sends);
callbacks go to a gunicorn serving the app; one Celery worker (prefork, 2 processes) and a
loop calling outbox_sweep every second. Queues the texts to delivering numbers; while they
drain, SIGKILLs the worker's process group --kills times and restarts Redis empty
--redis-restarts times (SHUTDOWN NOSAVE + the machine's start command; only where that
command applies); waits until every text is final; then compares the sandbox's own record
(accepted messages by tag) with the app. Writes benchmarks/results/faults-<date>.md.

Restarting Redis empties every Redis db on the machine: do not run it beside other work
that needs Redis's contents.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get("FAULTS_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "firm_texting_faults"
REDIS_URL = os.environ.get("FAULTS_REDIS_URL", "redis://127.0.0.1:6379/15")


def _psql(sql: str) -> None:
    subprocess.run(["psql", f"{PG_ADMIN_URL}/postgres", "-qc", sql], check=True)


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    pg = subprocess.run(
        ["psql", f"{PG_ADMIN_URL}/postgres", "-tAc", "show server_version"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    redis = (
        subprocess.run(["redis-server", "--version"], capture_output=True, text=True, check=False)
        .stdout.split(" v=")[-1]
        .split()[0]
        if True
        else ""
    )
    return (
        f"{platform.node()}: {os.cpu_count()} cores ({cpu}){mem}; {platform.platform()}; "
        f"Python {platform.python_version()}; PostgreSQL {pg}; Redis {redis}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--redis-restarts", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--rate-limit", type=float, default=10.0, help="segments/s, app and sandbox"
    )
    parser.add_argument("--final-timeout", type=float, default=900.0)
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database after")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    _psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    _psql(f"CREATE DATABASE {DB_NAME}")
    database_url = f"{PG_ADMIN_URL}/{DB_NAME}"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "common.testing.faults_settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "LOG_LEVEL": "WARNING",
        }
    )
    try:
        return _run(args, database_url)
    finally:
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            _psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def _run(args: argparse.Namespace, database_url: str) -> int:
    import django

    django.setup()
    import redis
    from django.conf import settings
    from django.core.management import call_command
    from django_scopes import scopes_disabled

    from accounts.tests.factories import FirmFactory
    from common.testing.faults import (
        DelayWindows,
        FaultPlan,
        Progress,
        RunLog,
        Sweeper,
        analyse,
        fill_recovery,
        inject_faults,
        pipeline,
        process_env,
        queue_texts,
        redis_ensure_running,
        redis_restartable,
        sandbox_faults,
        wait_final,
    )
    from provider_sandbox.testing import running_sandbox
    from texting.provider import clear_token_cache

    plan = FaultPlan(
        texts=args.texts,
        kills=args.kills,
        redis_restarts=args.redis_restarts,
        seed=args.seed,
        rate_limit=args.rate_limit,
        final_timeout=args.final_timeout,
    )
    # The texts take texts/rate seconds at least: spread the faults over most of that.
    plan.fault_span = max(20.0, 0.8 * plan.texts / plan.rate_limit)
    restart_redis = plan.redis_restarts > 0 and redis_restartable(REDIS_URL)
    if plan.redis_restarts and not restart_redis:
        print("Redis cannot be restarted with the machine's command here: no Redis restart.")

    started_at = datetime.now(UTC)
    print(f"migrating {database_url} …", flush=True)
    call_command("migrate", verbosity=0)
    redis.Redis.from_url(REDIS_URL).flushdb()
    for name, value in plan.driver_settings().items():
        setattr(settings, name, value)

    work = Path(tempfile.mkdtemp(prefix="firm-texting-faults-"))
    event_log = work / "events.jsonl"
    log = RunLog()
    try:
        with running_sandbox(
            state_dir=work / "sandbox", extra_args=["--fault-seed", str(plan.seed)]
        ) as sandbox:
            sandbox.control.set_faults(**sandbox_faults(plan), seed=plan.seed)
            settings.PROVIDER_API_URL = sandbox.url
            settings.PROVIDER_ACCOUNT_ID = sandbox.account_id
            settings.PROVIDER_APPLICATION_ID = "sandbox-application"
            settings.PROVIDER_USERNAME = sandbox.username
            settings.PROVIDER_PASSWORD = sandbox.password
            clear_token_cache()
            with scopes_disabled():
                firm = FirmFactory(name="Fault Run LLP", toll_free_number_e164="+18445550100")
            sandbox.control.own_number("+18445550100")
            env = process_env(
                database_url=database_url,
                redis_url=REDIS_URL,
                sandbox=sandbox,
                plan=plan,
                event_log=event_log,
            )
            with pipeline(plan=plan, sandbox=sandbox, env=env, log_dir=work) as (_, worker):
                windows = DelayWindows(
                    sandbox.control,
                    delay=plan.send_delay,
                    window=plan.delay_window,
                    period=plan.delay_period,
                    seed=plan.seed,
                    base=sandbox_faults(plan),
                )
                sweeper = Sweeper(plan.sweep_interval)
                progress = Progress(firm.id)
                loops = (windows, sweeper, progress)
                for loop in loops:
                    loop.start()
                try:
                    t0 = time.time()
                    log.queue_seconds = queue_texts(firm, plan.texts)
                    log.queued_at = time.time()
                    print(f"queued {plan.texts} texts in {log.queue_seconds:.1f}s", flush=True)
                    inject_faults(
                        plan=plan,
                        worker=worker,
                        progress=progress,
                        done=lambda: False,
                        log=log,
                        redis_restart=restart_redis,
                    )
                    print(f"faults done at +{time.time() - t0:.0f}s: {len(log.faults)}", flush=True)
                    windows.stop()
                    drained = wait_final(firm.id, plan.final_timeout)
                    log.drained_at = time.time() if drained is not None else None
                    time.sleep(3.0)  # late callback duplicates and any re-send show up
                finally:
                    for loop in loops:
                        loop.stop()
                fill_recovery(log, progress)
                log.sweeper = {
                    "runs": sweeper.runs,
                    "requeued": sweeper.requeued,
                    "left sending → awaiting callback": sweeper.unknown,
                    "reconciled": sweeper.reconciled,
                }
                log.delay_windows = windows.windows
                log.loop_errors = {
                    "sweeper": dict(sweeper.errors),
                    "progress": dict(progress.errors),
                    "delay windows": dict(windows.errors),
                }
                verdict = analyse(firm_id=firm.id, control=sandbox.control, event_log=event_log)
                stuck = _stuck_details(firm.id)
    finally:
        if restart_redis:
            redis_ensure_running()
    report = _report(args, plan, log, verdict, stuck, started_at, t0, work)
    out = args.out or ROOT / "benchmarks" / "results" / f"faults-{started_at:%Y-%m-%d}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report)
    print(report)
    print(f"written to {out}; logs in {work}")
    ok = not verdict.lost and not verdict.duplicates_unexplained and not verdict.phantom
    return 0 if ok else 1


def _stuck_details(firm_id: int) -> list[str]:
    """For texts not final: their row and their stored callbacks (processed or not)."""
    from django_scopes import scopes_disabled

    from texting.models import Message, ProviderEvent

    lines = []
    with scopes_disabled():
        for m in Message.objects.filter(
            firm_id=firm_id, direction="outbound", status__in=("queued", "sending", "sent")
        )[:50]:
            events = list(
                ProviderEvent.objects.filter(firm_id=firm_id, tag=str(m.uuid)).values_list(
                    "event_type", "processed_at"
                )
            )
            lines.append(
                f"message {m.id}: {m.status}, attempts {m.attempts}, provider id "
                f"{m.provider_message_id or '—'}, awaiting since {m.awaiting_callback_since}; "
                "stored callbacks: "
                + ", ".join(f"{t} ({'processed' if p else 'NOT processed'})" for t, p in events)
            )
    return lines


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}"


def _report(args, plan, log, verdict, stuck, started_at, t0, work) -> str:
    from statistics import median

    kills = [f for f in log.faults if f.kind == "worker-kill"]
    redis_restarts = [f for f in log.faults if f.kind == "redis-restart"]
    recoveries = [f.recovery_seconds for f in log.faults if f.recovery_seconds is not None]
    delayed_sends = len(verdict.lost_answer_texts)
    posts = verdict.sandbox_posts
    lines = [
        f"# Fault run — {started_at:%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {_machine()}",
        "",
        f"Command: `python benchmarks/faults.py --texts {plan.texts} --kills {plan.kills} "
        f"--redis-restarts {plan.redis_restarts} --seed {plan.seed} --rate-limit {plan.rate_limit:g}`",
        "",
        "## Result",
        "",
        f"**{verdict.line()}**; max recovery {_fmt(max(recoveries) if recoveries else None)} s.",
        "",
        f"- texts queued: {verdict.texts} (in {log.queue_seconds:.1f} s); all final after "
        f"{_fmt(log.drained_at - log.queued_at if log.drained_at else None)} s "
        f"(bound {plan.final_timeout:.0f} s)",
        f"- sandbox acceptances (its own record, by tag): {verdict.sends_accepted_total} for "
        f"{verdict.accepted} texts; extra acceptances {verdict.duplicate_sends}",
        f"- failed with reason: {dict(verdict.failure_reasons) or 0}",
        f"- lost (not delivered and not failed with a reason): {len(verdict.lost)}",
        f"- delivered in the app but never accepted by the sandbox: {len(verdict.phantom)}",
        f"- texts whose answer was lost (OutcomeUnknown, from the worker's decision log): "
        f"{delayed_sends}",
        f"- sandbox answers to sends (last 1000 requests only): {posts}",
        "",
        "## Faults",
        "",
        f"- sandbox: send_500_rate {plan.send_500_rate}, send_429_rate {plan.send_429_rate}, "
        "duplicate_callbacks, out_of_order_callbacks; fault seed sequence from "
        f"{plan.seed}",
        f"- accepted-then-timeout: the sandbox's `send_delay_seconds` delays *every* send, so "
        f"it was switched to {plan.send_delay:g} s (> PROVIDER_READ_TIMEOUT {plan.read_timeout:g} s) "
        f"for {len(log.delay_windows)} windows of {plan.delay_window:g} s, about every "
        f"{plan.delay_period:.1f} s (aimed at {plan.delay_share:.0%} of sends); "
        f"{delayed_sends} texts actually had a lost answer "
        f"({delayed_sends / max(1, verdict.sends_accepted_total):.1%} of acceptances)",
        f"- worker SIGKILLs (whole process group, prefork ×{plan.worker_concurrency}): "
        f"{len(kills)}; restart to first ping: median {_fmt(median([k.restart_seconds for k in kills]) if kills else None)} s, "
        f"max {_fmt(max((k.restart_seconds for k in kills), default=None))} s",
        f"- Redis SHUTDOWN NOSAVE + start: {len(redis_restarts)}; outage "
        + ", ".join(f"{r.restart_seconds:.1f} s" for r in redis_restarts),
        f"- settings: TEXTING_OUTCOME_WAIT_SECONDS {plan.outcome_wait:g}, "
        f"TEXTING_SWEEP_GRACE_SECONDS {plan.sweep_grace:g}, sweeper's SENDING limit "
        f"{plan.stuck_sending:g} s, sweep every {plan.sweep_interval:g} s, retry backoff "
        f"{plan.retry_backoff}–{plan.retry_backoff_max} s, rate limit {plan.rate_limit:g} seg/s",
        f"- sweeper: {log.sweeper}; loop errors (Redis away): {log.loop_errors}",
        "",
        "| # | fault | at (s) | restart (s) | recovery: next text final (s) |",
        "|---|---|---|---|---|",
    ]
    for i, f in enumerate(log.faults, 1):
        lines.append(
            f"| {i} | {f.kind} | {f.at - t0:.1f} | {f.restart_seconds:.1f} | "
            f"{_fmt(f.recovery_seconds)} |"
        )
    lines += ["", "## Duplicates", ""]
    if not (verdict.duplicates_ambiguous or verdict.duplicates_unexplained):
        lines.append("None: every text was accepted by the sandbox exactly once.")
    for v in verdict.duplicates_ambiguous:
        lines.append(
            f"- ambiguous window: message {v.message_id} accepted {v.accepted}×; answer lost "
            f"{v.lost_answers}×, re-sent after no callback {v.resent_after_no_callback}×; first "
            f"stored callback {_fmt(v.first_callback_after)} s after the first acceptance "
            f"(wait {plan.outcome_wait:g} s)"
        )
    for v in verdict.duplicates_unexplained:
        lines.append(
            f"- UNEXPLAINED: message {v.message_id} ({v.status}) accepted {v.accepted}×; lost "
            f"answers {v.lost_answers}, re-sends after no callback {v.resent_after_no_callback}"
        )
    if verdict.lost or stuck:
        lines += ["", "## Lost / not final", ""]
        lines += [f"- {s}" for s in stuck]
    lines += [
        "",
        f"Logs of this run: `{work}` (worker.log, gunicorn.log, events.jsonl, sandbox/)",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

"""Outbound benchmark: 5,000 texts queued at once, until the app shows them DELIVERED (issue 4).

    .venv/bin/python benchmarks/outbound.py [--texts 5000 --limit 50 --celery-concurrency 2 ...]

Starts, on free ports of 127.0.0.1: the provider sandbox (`manage.py run_provider_sandbox`,
a large queue_size so it only answers 429 when the rate is exceeded), gunicorn serving
config.wsgi with production settings (the sandbox's status callbacks come back through the
real webhook), and a Celery worker (prefork). Uses its own PostgreSQL database (created,
migrated, dropped) and its own Redis db number (flushed before, between runs and after).

Two runs, each with a freshly started worker and a reset sandbox:
  1. limited: the sandbox at `--limit` segments/s and the app's
     PROVIDER_RATE_LIMIT_SEGMENTS_PER_SECOND the same. Target: all DELIVERED within 105%
     of the ideal texts/limit seconds, and zero 429s seen by the sandbox.
  2. unlimited: 0 (off) on both sides. Targets: ≥ 100 texts/s queued-to-delivered, the
     worker's peak RSS (summed over the pool) < 300 MB.
Texts are queued with the app's `message_send` in this process (transactions of 250), while
the worker's consumer is cancelled; the clock starts when the consumer is added back.
Writes benchmarks/results/outbound-<date>.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _harness as h

BODY = "Reminder from Benchmark & Partners: your hearing is on Monday at 9:00. Text back with questions. #{i}"
BATCH = 250
# Every queue the worker consumes (CELERY_TASK_QUEUES): all paused while texts are queued.
QUEUES = ("celery", "texting.outbound")


class SandboxLog:
    """Accumulates the sandbox's request log (it keeps the last 1000 requests in memory).

    Polled often enough that the log never wraps between two polls; new entries are those
    after the longest overlap of the previous snapshot's tail with the new one's head.
    """

    def __init__(self, session: Any, url: str) -> None:
        self.session = session
        self.url = url
        self.last: list[tuple[Any, ...]] = []
        self.entries: list[tuple[Any, ...]] = []
        self.wrapped = False

    def poll(self) -> None:
        snap = [
            (e.get("time"), e.get("method"), e.get("path"), e.get("status"))
            for e in self.session.get(f"{self.url}/sandbox/requests", timeout=30).json()
        ]
        old = self.last
        new_from = None
        for k in range(len(old) + 1):
            n = len(old) - k
            if snap[:n] == old[k:]:
                new_from = n
                break
        if new_from is None:  # no overlap: the log wrapped between polls (counted as lost)
            self.wrapped = True
            new_from = 0
        self.entries.extend(snap[new_from:])
        self.last = snap

    def sends(self) -> list[tuple[Any, ...]]:
        return [e for e in self.entries if e[1] == "POST" and e[2].endswith("/messages")]


def _sandbox_session() -> Any:
    import requests

    s = requests.Session()
    s.auth = (h.PROVIDER_USER, h.PROVIDER_PASSWORD)
    return s


def queue_texts(seeded: h.Seeded, texts: int) -> float:
    """message_send `texts` times, round-robin over the contacts; returns the seconds taken."""
    from django.db import transaction
    from django.db.models import Prefetch
    from django_scopes import scope

    from accounts.models import Firm, User
    from contacts.models import Contact, PhoneNumber
    from texting.services.sending import message_send

    t = time.monotonic()
    with scope(firm=seeded.firm_id):
        firm = Firm.objects.get(id=seeded.firm_id)
        sender = User.objects.get(id=seeded.sender_id)
        contacts = list(
            Contact.objects.for_firm(firm)
            .filter(id__in=seeded.contact_ids)
            .prefetch_related(
                Prefetch("phone_numbers", queryset=PhoneNumber.objects.for_firm(firm))
            )
            .order_by("id")
        )
        for start in range(0, texts, BATCH):
            with transaction.atomic():
                for i in range(start, min(texts, start + BATCH)):
                    message_send(
                        firm=firm,
                        sender=sender,
                        contact=contacts[i % len(contacts)],
                        body=BODY.format(i=i),
                    )
    return time.monotonic() - t


def status_counts(conn: Any, since_id: int) -> dict[str, int]:
    rows = conn.execute(
        "SELECT status, count(*) FROM texting_message WHERE direction='outbound' AND id > %s "
        "GROUP BY status",
        (since_id,),
    ).fetchall()
    return {s: int(n) for s, n in rows}


def one_run(
    *,
    label: str,
    args: argparse.Namespace,
    bench: h.BenchEnv,
    procs: h.Processes,
    seeded: h.Seeded,
    sandbox_url: str,
    rate: float,
    log: Any,
) -> dict[str, Any]:
    import psycopg
    import redis

    from config.celery import app as celery_app

    session = _sandbox_session()
    # A clean slate: the sandbox forgets messages and callbacks, Redis the limiter and tasks.
    session.post(f"{sandbox_url}/sandbox/reset", timeout=30).raise_for_status()
    session.put(f"{sandbox_url}/sandbox/numbers/{h.TOLL_FREE}", timeout=30).raise_for_status()
    session.put(
        f"{sandbox_url}/sandbox/settings",
        json={"rate_limit_segments_per_second": rate, "queue_size": args.queue_size},
        timeout=30,
    ).raise_for_status()
    redis.Redis.from_url(bench.redis_url).flushdb()

    env = bench.env(PROVIDER_RATE_LIMIT_SEGMENTS_PER_SECOND=str(rate))
    name = f"celery-{label}"
    worker = h.start_celery(procs, name, args.celery_concurrency, env)
    for queue in QUEUES:
        if not celery_app.control.cancel_consumer(queue, reply=True, timeout=5, limit=1):
            raise RuntimeError("the worker did not answer cancel_consumer")

    url = bench.database_url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as conn:
        since_id = int(
            conn.execute("SELECT coalesce(max(id), 0) FROM texting_message").fetchone()[0]
        )
        log(f"{label}: queueing {args.texts} texts (consumer paused)")
        queue_seconds = queue_texts(seeded, args.texts)
        log(f"{label}: queued in {queue_seconds:.1f}s; starting the consumer")
        sandbox_log = SandboxLog(session, sandbox_url)
        sandbox_log.poll()
        deadline_s = args.timeout
        with h.RssSampler(worker.pid) as rss:
            t0_wall, t0 = time.time(), time.monotonic()
            cpu_before = h.cpu_seconds_by_process(procs)
            for queue in QUEUES:
                celery_app.control.add_consumer(queue, reply=True, timeout=5, limit=1)
            counts: dict[str, int] = {}
            last_poll = 0.0
            progress: list[tuple[float, int]] = []
            while time.monotonic() - t0 < deadline_s:
                time.sleep(0.5)
                counts = status_counts(conn, since_id)
                done = counts.get("delivered", 0) + counts.get("failed", 0)
                progress.append((time.monotonic() - t0, counts.get("delivered", 0)))
                if time.monotonic() - last_poll > 2.0:
                    sandbox_log.poll()
                    last_poll = time.monotonic()
                if len(progress) % 20 == 0:
                    log(f"{label}: {time.monotonic() - t0:5.0f}s {counts}")
                if done >= args.texts:
                    break
                # No progress for a long time: tasks were lost (e.g. Redis restarted by
                # someone else; the outbox sweeper would need 5 min + beat): give up.
                if len(progress) > 240 and progress[-240][1] == progress[-1][1]:
                    log(f"{label}: no progress for 120 s, giving up")
                    break
            sandbox_log.poll()
            cpu = h.cpu_used_between(cpu_before, h.cpu_seconds_by_process(procs))
        # When the app recorded each delivery (its row's updated_at: nothing changes a
        # delivered text after), not delivered_at, which is the provider's own timestamp of
        # the delivery: a callback still waiting in the app's queue must not count.
        row = conn.execute(
            "SELECT extract(epoch FROM max(updated_at) FILTER (WHERE status = 'delivered')), "
            "sum(attempts), "
            "count(*) FILTER (WHERE attempts > 1) FROM texting_message "
            "WHERE direction='outbound' AND id > %s",
            (since_id,),
        ).fetchone()
        last_delivered, attempts, multi = float(row[0] or 0), int(row[1] or 0), int(row[2] or 0)
        lat = [
            float(r[0]) - t0_wall
            for r in conn.execute(
                "SELECT extract(epoch FROM updated_at) FROM texting_message "
                "WHERE direction='outbound' AND id > %s AND status = 'delivered'",
                (since_id,),
            ).fetchall()
        ]
    sandbox_msgs = session.get(
        f"{sandbox_url}/sandbox/messages", params={"direction": "out"}, timeout=120
    ).json()
    tags = [m.get("tag") for m in sandbox_msgs]
    pending_callbacks = len(
        session.get(
            f"{sandbox_url}/sandbox/callbacks", params={"state": "pending"}, timeout=120
        ).json()
    )
    worker_log = procs.logfile(name).read_text(errors="replace")
    procs.stop(name)
    sends = sandbox_log.sends()
    total = last_delivered - t0_wall if last_delivered else float("nan")
    delivered = counts.get("delivered", 0)
    result = {
        "label": label,
        "rate": rate,
        "queue_seconds": queue_seconds,
        "counts": counts,
        "delivered": delivered,
        "total_seconds": total,
        "texts_per_s": delivered / total if total == total and total > 0 else 0.0,
        "lat_p50": h.percentile(lat, 50),
        "lat_p99": h.percentile(lat, 99),
        "sandbox_sends_seen": len(sends),
        "sandbox_429": sum(1 for e in sends if e[3] == 429),
        "sandbox_non_202": sorted({e[3] for e in sends if e[3] != 202}),
        "sandbox_log_wrapped": sandbox_log.wrapped,
        "sandbox_out_messages": len(sandbox_msgs),
        "sandbox_distinct_tags": len(set(tags)),
        "pending_callbacks": pending_callbacks,
        "provider_calls_by_app": attempts,
        "texts_with_more_than_one_call": multi,
        "worker_429_warnings": worker_log.count("(HTTP 429)"),
        "broker_reconnects": worker_log.count("Trying again in"),
        "rate_limit_deferrals_logged": worker_log.count("waits"),
        "rss_peak_mb": rss.peak_kb / 1024,
        "pss_peak_mb": rss.peak_pss_kb / 1024,
        "cpu": cpu,
        "rss_peak_procs": rss.peak_procs,
        "progress": progress,
    }
    log(f"{label}: { {k: v for k, v in result.items() if k != 'progress'} }")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--texts", type=int, default=5000)
    parser.add_argument("--limit", type=float, default=50.0, help="segments/s, run 1 (both sides)")
    parser.add_argument("--contacts", type=int, default=500)
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1),
        help="gunicorn sync workers serving the webhooks",
    )
    parser.add_argument("--queue-size", type=int, default=1_000_000, help="sandbox queue_size")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run, at most")
    parser.add_argument("--runs", default="limited,unlimited")
    parser.add_argument("--db-name", default="firm_texting_bench_outbound")
    parser.add_argument("--redis-db", type=int, default=12)
    args = parser.parse_args()

    log = h.make_log("outbound")
    info = h.machine_info()
    load_before = h.loadavg()
    others = h.other_busy_processes()
    bench = h.BenchEnv(db_name=args.db_name, redis_db=args.redis_db)
    log_dir = h.temp_dir("outbound-bench-")
    log(f"process logs in {log_dir}")
    results: list[dict[str, Any]] = []

    sandbox_port, app_port = h.free_port(), h.free_port()
    bench.provider_url = f"http://127.0.0.1:{sandbox_port}"
    with h.bench_database(bench, log), h.Processes(log_dir, log) as procs, h.LoadSampler() as load:
        h.django_setup(bench)
        seeded = h.seed_firm(contacts=args.contacts, members=args.members)
        log(f"seeded firm {seeded.firm_id} with {len(seeded.numbers)} texted contacts")
        env = bench.env()
        h.start_sandbox(
            procs,
            env,
            port=sandbox_port,
            callback_url=f"http://127.0.0.1:{app_port}",
            state_dir=log_dir / "sandbox-state",
            extra_args=["--rate-limit", str(args.limit), "--queue-size", str(args.queue_size)],
        )
        h.start_gunicorn(
            procs, "gunicorn-app", "config.wsgi:application", app_port, args.workers, env
        )
        for label in [r.strip() for r in args.runs.split(",") if r.strip()]:
            rate = args.limit if label == "limited" else 0.0
            results.append(
                one_run(
                    label=label,
                    args=args,
                    bench=bench,
                    procs=procs,
                    seeded=seeded,
                    sandbox_url=bench.provider_url,
                    rate=rate,
                    log=log,
                )
            )
        load_after = h.loadavg()
    path = _report(args, info, load_before, load_after, load, others, results)
    log(f"report: {path}")
    return 0


def _report(args, info, load_before, load_after, load, others, results) -> Path:  # type: ignore[no-untyped-def]
    rows = ["| target | measured | result |", "|---|---|---|"]
    details = []
    for r in results:
        if r["label"] == "limited":
            ideal = args.texts / args.limit
            share = r["total_seconds"] / ideal
            ok_all = r["delivered"] == args.texts
            rows.append(
                f"| {args.texts} texts at {args.limit:.0f} segments/s all DELIVERED in ≤ 105% of the "
                f"ideal {ideal:.0f} s | {r['total_seconds']:.1f} s = {share:.1%} of ideal "
                f"({r['delivered']} delivered) | {h.verdict(share <= 1.05 and ok_all)} |"
            )
            rows.append(
                f"| zero 429s seen by the sandbox (rate-limited run) | {r['sandbox_429']} "
                f"(of {r['sandbox_sends_seen']} send requests logged) | "
                f"{h.verdict(r['sandbox_429'] == 0 and not r['sandbox_log_wrapped'])} |"
            )
        else:
            ok_all = r["delivered"] == args.texts
            rows.append(
                f"| unlimited: ≥ 100 texts/s queued-to-delivered | {r['texts_per_s']:.1f} texts/s "
                f"({r['delivered']} in {r['total_seconds']:.1f} s) | "
                f"{h.verdict(r['texts_per_s'] >= 100 and ok_all)} |"
            )
        rows.append(
            f"| worker memory < 300 MB ({r['label']}; main + pool processes, peak of summed PSS) "
            f"| PSS {r['pss_peak_mb']:.0f} MB (summed RSS {r['rss_peak_mb']:.0f} MB) over "
            f"{r['rss_peak_procs']} processes | {h.verdict(r['pss_peak_mb'] < 300)} |"
        )
        prog = ", ".join(f"{t:.0f}s:{n}" for t, n in r["progress"][9::20])
        details += [
            f"**{r['label']}** (rate limit {r['rate']:g} segments/s on both sides)",
            "",
            f"- queued {args.texts} texts with `message_send` in {r['queue_seconds']:.1f} s "
            f"(consumer paused; not counted)",
            f"- final statuses in the app: {r['counts']}",
            f"- queued-to-delivered: last at {r['total_seconds']:.1f} s → {r['texts_per_s']:.1f} texts/s; "
            f"per text p50 {r['lat_p50']:.1f} s, p99 {r['lat_p99']:.1f} s (all were queued at 0 s)",
            f"- provider calls made by the app (sum of attempts) {r['provider_calls_by_app']}; texts "
            f"sent more than once {r['texts_with_more_than_one_call']}; worker log lines about a 429: "
            f"{r['worker_429_warnings']}",
            f"- sandbox: send requests logged {r['sandbox_sends_seen']} (429: {r['sandbox_429']}, "
            f"statuses other than 202: {r['sandbox_non_202']}, log wrapped between polls: "
            f"{r['sandbox_log_wrapped']}); outbound messages on record {r['sandbox_out_messages']} "
            f"with {r['sandbox_distinct_tags']} distinct tags (each text sent exactly once when both "
            f"equal {args.texts}); callbacks still pending at the end {r['pending_callbacks']}",
            f"- CPU used from the consumer's start to the last text final: {r['cpu']}",
            f"- worker peak memory: PSS {r['pss_peak_mb']:.0f} MB, summed RSS "
            f"{r['rss_peak_mb']:.0f} MB ({r['rss_peak_procs']} processes; RSS counts the pages "
            f"the pool children share with their parent once per process)",
            f"- worker lost its Redis connection {r['broker_reconnects']} time(s)"
            + (
                " — Redis was restarted during the run (tasks in it are lost; this run is void)"
                if r["broker_reconnects"]
                else ""
            ),
            f"- delivered over time (s:count): {prog}",
            "",
        ]
    config = "\n".join(
        [
            f"- provider sandbox: `manage.py run_provider_sandbox`, queue_size {args.queue_size}, "
            "callbacks (message-sending, message-delivered) to the gunicorn below, one dispatcher thread",
            f"- gunicorn: `config.wsgi:application`, {args.workers} sync workers, "
            "DJANGO_SETTINGS_MODULE=config.settings.production, receives the status callbacks",
            f"- Celery: 1 worker, prefork, concurrency {args.celery_concurrency}, prefetch multiplier 1, "
            "acks late; runs the firm's outbound drain (message_deliver for retries) and the callback drains; restarted for each run",
            f"- data: 1 firm, {args.contacts} contacts with texting numbers, {args.texts} one-segment "
            "texts round-robin; PostgreSQL and Redis: the machine's (database created and dropped, "
            f"Redis db {args.redis_db} flushed); all processes on the same 2 cores",
        ]
    )
    return h.write_report(
        "outbound",
        "Outbound benchmark: 5,000 texts queued at once",
        [
            ("Result", "\n".join(rows)),
            ("Machine", h.machine_section(info, load_before, load_after, load, others)),
            ("Configuration", config),
            ("Details", "\n".join(details)),
            ("Command", f"`{sys.executable} {' '.join(sys.argv)}`"),
        ],
    )


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())

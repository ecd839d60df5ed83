"""Ingest benchmark: inbound `message-received` webhooks into conversations (issue 4).

    .venv/bin/python benchmarks/ingest.py [--rate 100 --seconds 30 --contacts 1000 ...]

Starts, on free ports of 127.0.0.1: gunicorn serving config.wsgi with production settings,
a Celery worker (prefork), and a second gunicorn with the same settings serving
benchmarks/bare_app.py (one INSERT per request). Uses its own PostgreSQL database
(created, migrated, dropped) and its own Redis db number (flushed before and after).

Phases:
  1. fixed rate (default 100 webhooks/s for 30 s, open loop): ack latency p50/p99 and
     webhook-to-visible latency p50/p99 (visible = the inbound Message row is committed in
     its conversation; a poller reads new rows by primary key every 20 ms).
  2. max load on the webhook (closed loop, N clients): acknowledged webhooks/s, the worker
     still processing in the background as in production; then the time to drain.
  2b. the same load with the worker's consumer cancelled (the web tier alone, as the bare
     endpoints run), then the worker alone draining it: each side's own capacity.
  3. max load on the bare endpoint, same clients: its requests/s.
Each max-load phase reports the CPU seconds each process group used (gunicorn, Celery,
PostgreSQL, Redis, this client), which is where the throughput went on a shared machine.
Writes benchmarks/results/ingest-<date>.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _harness as h
import bare_app

WEBHOOK_PATH = "/webhooks/provider/messaging"
TEXTS = [
    "Running 10 minutes late for our meeting, sorry",
    "Got the documents, will sign tonight",
    "Can we move the deposition to Thursday?",
    "Thanks! See you at the courthouse at 9",
]


def webhook_body(message_id: str, from_number: str, i: int) -> bytes:
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    event = {
        "type": "message-received",
        "time": now,
        "description": "Incoming message received",
        "to": h.TOLL_FREE,
        "message": {
            "id": message_id,
            "owner": h.TOLL_FREE,
            "applicationId": h.APPLICATION_ID,
            "time": now,
            "segmentCount": 1,
            "direction": "in",
            "to": [h.TOLL_FREE],
            "from": from_number,
            "text": TEXTS[i % len(TEXTS)],
        },
    }
    return json.dumps([event], separators=(",", ":")).encode()


class VisibilityPoller:
    """Notes when each inbound message (by provider id) is first seen committed.

    Every `interval` s it reads the inbound rows with an id above the highest seen minus a
    look-back window: commits land slightly out of id order (several worker processes, each
    with one transaction in flight), and the window catches those. The cost per poll does
    not grow with the backlog, so measuring does not slow the database it measures (the
    first version asked for every outstanding id each time: thousands of index probes every
    20 ms once a backlog built up).
    """

    LOOK_BACK = 200  # ids; far more than the transactions in flight at once

    def __init__(self, database_url: str, interval: float = 0.02) -> None:
        self.url = database_url.replace("postgres://", "postgresql://", 1)
        self.interval = interval
        self.seen: dict[str, float] = {}
        self.outstanding: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.error: BaseException | None = None

    def _run(self) -> None:
        import psycopg

        highest = 0
        try:
            with psycopg.connect(self.url, autocommit=True) as conn:
                while not self._stop.is_set():
                    rows = conn.execute(
                        "SELECT id, provider_message_id FROM texting_message "
                        "WHERE id > %s AND direction = 'inbound'",
                        (highest - self.LOOK_BACK,),
                    ).fetchall()
                    now = time.monotonic()
                    with self._lock:
                        for row_id, pmid in rows:
                            highest = max(highest, row_id)
                            if pmid in self.outstanding:
                                self.seen.setdefault(pmid, now)
                                self.outstanding.discard(pmid)
                    self._stop.wait(self.interval)
        except BaseException as exc:  # reported by the caller
            self.error = exc

    def expect(self, message_id: str) -> None:
        with self._lock:
            self.outstanding.add(message_id)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def wait_for(self, ids: set[str], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ids.issubset(self.seen.keys()):
                return True
            time.sleep(0.1)
        return ids.issubset(self.seen.keys())


def run_phase_fixed(
    poller: VisibilityPoller,
    port: int,
    numbers: list[str],
    headers: dict[str, str],
    args: argparse.Namespace,
) -> tuple[list[h.Result], dict[int, str], dict[int, float]]:
    ids: dict[int, str] = {}
    due: dict[int, float] = {}

    def make(i: int) -> bytes:
        mid = h.provider_message_id()
        ids[i] = mid
        poller.expect(mid)
        return webhook_body(mid, numbers[i % len(numbers)], i)

    results = asyncio.run(
        h.load_fixed_rate(
            port,
            WEBHOOK_PATH,
            make,
            headers,
            args.rate,
            args.seconds,
            args.concurrency,
            on_sent=lambda i, t: due.__setitem__(i, t),
        )
    )
    return results, ids, due


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=100.0, help="webhooks/s in phase 1")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of phase 1")
    parser.add_argument("--concurrency", type=int, default=64, help="in-flight cap, phase 1")
    parser.add_argument("--max-seconds", type=float, default=20.0, help="length of phases 2, 3")
    parser.add_argument("--max-clients", type=int, default=16, help="closed-loop clients, 2 and 3")
    parser.add_argument("--contacts", type=int, default=1000)
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1),
        help="gunicorn sync workers (both servers)",
    )
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument("--visible-timeout", type=float, default=120.0)
    parser.add_argument("--db-name", default="firm_texting_bench_ingest")
    parser.add_argument("--redis-db", type=int, default=11)
    parser.add_argument("--keep-logs", action="store_true", help="print where process logs are")
    args = parser.parse_args()

    log = h.make_log("ingest")
    info = h.machine_info()
    load_before = h.loadavg()
    others = h.other_busy_processes()
    bench = h.BenchEnv(db_name=args.db_name, redis_db=args.redis_db)
    log_dir = h.temp_dir("ingest-bench-")
    log(f"process logs in {log_dir}")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "BandwidthAPI/v2",
        "Authorization": h.basic_auth(h.WEBHOOK_USER, h.WEBHOOK_PASSWORD),
    }
    out: dict[str, object] = {}

    with h.bench_database(bench, log), h.Processes(log_dir, log) as procs, h.LoadSampler() as load:
        h.django_setup(bench)
        seeded = h.seed_firm(contacts=args.contacts, members=args.members)
        bare_app.create_table(bench.database_url)
        log(f"seeded firm {seeded.firm_id} with {len(seeded.numbers)} texted contacts")

        app_port, bare_port, bare_django_port = h.free_port(), h.free_port(), h.free_port()
        env = bench.env()
        h.start_gunicorn(
            procs, "gunicorn-app", "config.wsgi:application", app_port, args.workers, env
        )
        h.start_gunicorn(
            procs,
            "gunicorn-bare",
            "bare_app:application",
            bare_port,
            args.workers,
            {**env, "PYTHONPATH": str(Path(__file__).parent)},
        )
        h.start_gunicorn(
            procs,
            "gunicorn-bare-django",
            "bare_django:application",
            bare_django_port,
            args.workers,
            {
                **env,
                "PYTHONPATH": str(Path(__file__).parent),
                "DJANGO_SETTINGS_MODULE": "bare_django",
            },
        )
        h.start_celery(procs, "celery", args.celery_concurrency, env)

        poller = VisibilityPoller(bench.database_url)
        poller.start()
        try:
            # Warm-up: every gunicorn worker imports, connects and answers a few requests.
            log("warm-up")
            warm_ids: dict[int, str] = {}

            def warm(i: int) -> bytes:
                warm_ids[i] = h.provider_message_id()
                poller.expect(warm_ids[i])
                return webhook_body(warm_ids[i], seeded.numbers[i % len(seeded.numbers)], i)

            warm_results = asyncio.run(
                h.load_fixed_rate(app_port, WEBHOOK_PATH, warm, headers, 50, 2, 16)
            )
            bad = [r.status for r in warm_results if r.status != 200]
            if bad:
                raise RuntimeError(f"warm-up webhooks answered {bad[:5]}: see {log_dir}")
            for port in (bare_port, bare_django_port):
                warm_bare = asyncio.run(
                    h.load_fixed_rate(port, "/", lambda i: b"{}", headers, 50, 1, 16)
                )
                if any(r.status != 200 for r in warm_bare):
                    raise RuntimeError(f"bare endpoint on {port} failed: see {log_dir}")
            poller.wait_for(set(warm_ids.values()), 30)

            # Phase 1: fixed rate.
            log(f"phase 1: {args.rate:.0f} webhooks/s for {args.seconds:.0f}s")
            results, ids, due = run_phase_fixed(poller, app_port, seeded.numbers, headers, args)
            ok = [r for r in results if r.status == 200]
            all_visible = poller.wait_for(set(ids.values()), args.visible_timeout)
            visible = []
            for i, mid in ids.items():
                if mid in poller.seen:
                    visible.append(poller.seen[mid] - due[i])
            span = max(r.done for r in results) - min(r.started for r in results)
            out["fixed"] = {
                "sent": len(results),
                "ok": len(ok),
                "statuses": sorted({r.status for r in results}),
                "acked_per_s": len(ok) / span,
                "ack_p50": h.percentile([r.latency for r in ok], 50),
                "ack_p99": h.percentile([r.latency for r in ok], 99),
                "ack_max": max((r.latency for r in ok), default=float("nan")),
                "send_lag_max": max(r.sent - r.started for r in results),
                "visible": len(visible),
                "all_visible": all_visible,
                "vis_p50": h.percentile(visible, 50),
                "vis_p99": h.percentile(visible, 99),
                "vis_max": max(visible, default=float("nan")),
            }
            log(f"phase 1: {out['fixed']}")

            # Phase 2: max load on the webhook.
            log(
                f"phase 2: webhook at max load, {args.max_clients} clients, {args.max_seconds:.0f}s"
            )
            max_ids: dict[int, str] = {}

            def make_max(i: int) -> bytes:
                max_ids[i] = h.provider_message_id()
                poller.expect(max_ids[i])
                return webhook_body(max_ids[i], seeded.numbers[i % len(seeded.numbers)], i)

            sent_at: dict[int, float] = {}
            t_phase2 = time.monotonic()
            cpu_before = h.cpu_seconds_by_process(procs)
            res2, elapsed2 = asyncio.run(
                h.load_max(
                    app_port,
                    WEBHOOK_PATH,
                    make_max,
                    headers,
                    args.max_seconds,
                    args.max_clients,
                    on_sent=lambda i, t: sent_at.__setitem__(i, t),
                )
            )
            ok2 = [r for r in res2 if r.status == 200]
            t_load_end = time.monotonic()
            drained = poller.wait_for(set(max_ids.values()), args.visible_timeout)
            t_drained = max((poller.seen.get(m, 0.0) for m in max_ids.values()), default=t_load_end)
            vis2 = [
                poller.seen[m] - sent_at[i]
                for i, m in max_ids.items()
                if m in poller.seen and i in sent_at
            ]
            out["max"] = {
                "sent": len(res2),
                "ok": len(ok2),
                "statuses": sorted({r.status for r in res2}),
                "elapsed": elapsed2,
                "acked_per_s": len(ok2) / elapsed2,
                "ack_p50": h.percentile([r.latency for r in ok2], 50),
                "ack_p99": h.percentile([r.latency for r in ok2], 99),
                "drained": drained,
                "drain_after_load_s": t_drained - t_load_end,
                "processed_per_s": len(vis2) / max(1e-9, t_drained - t_phase2),
                "vis_p50": h.percentile(vis2, 50),
                "vis_p99": h.percentile(vis2, 99),
            }
            out["max"]["cpu"] = h.cpu_used_between(cpu_before, h.cpu_seconds_by_process(procs))
            log(f"phase 2: {out['max']}")

            # Phase 2b: the web tier alone (the worker's consumer cancelled), then the worker
            # alone draining what was stored: each side's own capacity on these 2 cores.
            from config.celery import app as celery_app

            log(f"phase 2b: webhook at max load with the worker paused, {args.max_seconds:.0f}s")
            if not celery_app.control.cancel_consumer("celery", reply=True, timeout=5, limit=1):
                raise RuntimeError("the worker did not answer cancel_consumer")
            alone_ids: dict[int, str] = {}

            def make_alone(i: int) -> bytes:
                alone_ids[i] = h.provider_message_id()
                poller.expect(alone_ids[i])
                return webhook_body(alone_ids[i], seeded.numbers[i % len(seeded.numbers)], i)

            cpu_before = h.cpu_seconds_by_process(procs)
            res2b, elapsed2b = asyncio.run(
                h.load_max(
                    app_port, WEBHOOK_PATH, make_alone, headers, args.max_seconds, args.max_clients
                )
            )
            cpu_web = h.cpu_used_between(cpu_before, h.cpu_seconds_by_process(procs))
            ok2b = [r for r in res2b if r.status == 200]
            cpu_before = h.cpu_seconds_by_process(procs)
            t_resume = time.monotonic()
            celery_app.control.add_consumer("celery", reply=True, timeout=5, limit=1)
            drained2b = poller.wait_for(set(alone_ids.values()), args.visible_timeout)
            t_done = max((poller.seen.get(m, 0.0) for m in alone_ids.values()), default=t_resume)
            out["alone"] = {
                "sent": len(res2b),
                "ok": len(ok2b),
                "statuses": sorted({r.status for r in res2b}),
                "elapsed": elapsed2b,
                "acked_per_s": len(ok2b) / elapsed2b,
                "ack_p50": h.percentile([r.latency for r in ok2b], 50),
                "ack_p99": h.percentile([r.latency for r in ok2b], 99),
                "cpu_web": cpu_web,
                "drained": drained2b,
                "drain_s": t_done - t_resume,
                "drain_per_s": len(ok2b) / max(1e-9, t_done - t_resume),
                "cpu_drain": h.cpu_used_between(cpu_before, h.cpu_seconds_by_process(procs)),
            }
            log(f"phase 2b: {out['alone']}")

            # Phase 3: max load on the bare endpoints (the worker is idle by now).
            def make_bare(i: int) -> bytes:
                return webhook_body(
                    h.provider_message_id(), seeded.numbers[i % len(seeded.numbers)], i
                )

            for key, port in (("bare_django", bare_django_port), ("bare", bare_port)):
                log(f"phase 3: {key} endpoint at max load, {args.max_clients} clients")
                cpu_before = h.cpu_seconds_by_process(procs)
                res3, elapsed3 = asyncio.run(
                    h.load_max(port, "/", make_bare, headers, args.max_seconds, args.max_clients)
                )
                cpu3 = h.cpu_used_between(cpu_before, h.cpu_seconds_by_process(procs))
                ok3 = [r for r in res3 if r.status == 200]
                out[key] = {
                    "sent": len(res3),
                    "ok": len(ok3),
                    "statuses": sorted({r.status for r in res3}),
                    "elapsed": elapsed3,
                    "per_s": len(ok3) / elapsed3,
                    "p50": h.percentile([r.latency for r in ok3], 50),
                    "p99": h.percentile([r.latency for r in ok3], 99),
                    "cpu": cpu3,
                }
                log(f"phase 3: {out[key]}")
        finally:
            poller.stop()
        if poller.error:
            log(f"poller error: {poller.error!r}")
        load_after = h.loadavg()
        counts = _db_counts(bench.database_url)
    path = _report(args, info, load_before, load_after, load, others, out, counts)
    log(f"report: {path}")
    return 0


def _db_counts(database_url: str) -> dict[str, int]:
    import psycopg

    url = database_url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(url) as conn:
        q = {
            "provider_events": "SELECT count(*) FROM texting_providerevent",
            "provider_events_unprocessed": "SELECT count(*) FROM texting_providerevent WHERE processed_at IS NULL",
            "inbound_messages": "SELECT count(*) FROM texting_message WHERE direction='inbound'",
            "dropped_inbound": "SELECT count(*) FROM texting_droppedinbound",
            "bare_rows": f"SELECT count(*) FROM {bare_app.TABLE}",
        }
        return {k: int(conn.execute(sql).fetchone()[0]) for k, sql in q.items()}


def _report(args, info, load_before, load_after, load, others, out, counts) -> Path:  # type: ignore[no-untyped-def]
    f, m, b, d = out["fixed"], out["max"], out["bare"], out["bare_django"]
    a = out["alone"]
    ratio = m["acked_per_s"] / b["per_s"]
    ratio_d = m["acked_per_s"] / d["per_s"]
    ratio_a = a["acked_per_s"] / d["per_s"]
    rows = [
        "| target | measured | result |",
        "|---|---|---|",
        f"| webhook throughput at max load ≥ 60% of the bare endpoint's — bare = a Django view "
        f"under the same production settings and middleware (`benchmarks/bare_django.py`) | "
        f"{m['acked_per_s']:.0f}/s vs {d['per_s']:.0f}/s = {ratio_d:.0%} | {h.verdict(ratio_d >= 0.6)} |",
        f"| the same, bare = a Django-free WSGI callable (`benchmarks/bare_app.py`) | "
        f"{m['acked_per_s']:.0f}/s vs {b['per_s']:.0f}/s = {ratio:.0%} | {h.verdict(ratio >= 0.6)} |",
        f"| the same with the worker paused (the web tier alone, like the bare endpoints) vs "
        f"`bare_django.py` | {a['acked_per_s']:.0f}/s vs {d['per_s']:.0f}/s = {ratio_a:.0%} | "
        f"{h.verdict(ratio_a >= 0.6)} |",
        f"| ack p99 < 50 ms at {args.rate:.0f} webhooks/s | p99 {h.ms(f['ack_p99'])} (p50 {h.ms(f['ack_p50'])}) | "
        f"{h.verdict(f['ack_p99'] < 0.05 and f['ok'] == f['sent'])} |",
        f"| webhook-to-visible p99 < 1 s at {args.rate:.0f} webhooks/s | p99 {h.ms(f['vis_p99'])} "
        f"(p50 {h.ms(f['vis_p50'])}) | {h.verdict(f['vis_p99'] < 1.0 and f['all_visible'])} |",
    ]
    details = [
        f"**Phase 1 — fixed rate** ({args.rate:.0f}/s for {args.seconds:.0f} s, open loop, at most "
        f"{args.concurrency} in flight; latency counted from when each request was due):",
        "",
        f"- sent {f['sent']}, answered 200: {f['ok']} (statuses seen: {f['statuses']}); "
        f"acknowledged {f['acked_per_s']:.1f}/s",
        f"- ack latency p50 {h.ms(f['ack_p50'])}, p99 {h.ms(f['ack_p99'])}, max {h.ms(f['ack_max'])}; "
        f"largest client-side send lag {h.ms(f['send_lag_max'])}",
        f"- visible in their conversation: {f['visible']} of {f['sent']}; webhook-to-visible p50 "
        f"{h.ms(f['vis_p50'])}, p99 {h.ms(f['vis_p99'])}, max {h.ms(f['vis_max'])} "
        "(poll every 20 ms, so up to 20 ms of that is the poll)",
        "",
        f"**Phase 2 — webhook at max load** ({args.max_clients} closed-loop clients, "
        f"{args.max_seconds:.0f} s; the Celery worker processes events meanwhile, as in production):",
        "",
        f"- answered 200: {m['ok']} of {m['sent']} (statuses {m['statuses']}) in {m['elapsed']:.1f} s "
        f"= **{m['acked_per_s']:.1f} acknowledged webhooks/s**; ack p50 {h.ms(m['ack_p50'])}, "
        f"p99 {h.ms(m['ack_p99'])}",
        f"- all visible: {m['drained']}; the worker finished {m['drain_after_load_s']:.1f} s after the "
        f"load stopped, i.e. {m['processed_per_s']:.1f} texts/s end to end; webhook-to-visible "
        f"p50 {h.ms(m['vis_p50'])}, p99 {h.ms(m['vis_p99'])} (a backlog builds when acks outrun the worker)",
        f"- CPU used during the load: {m['cpu']}",
        "",
        f"**Phase 2b — the web tier alone, then the worker alone** (the worker's consumer "
        f"cancelled during the same {args.max_seconds:.0f} s load, then added back):",
        "",
        f"- answered 200: {a['ok']} of {a['sent']} (statuses {a['statuses']}) in "
        f"{a['elapsed']:.1f} s = **{a['acked_per_s']:.1f} acknowledged webhooks/s**; ack p50 "
        f"{h.ms(a['ack_p50'])}, p99 {h.ms(a['ack_p99'])}; CPU used: {a['cpu_web']}",
        f"- then the worker alone: all visible {a['drained']} after {a['drain_s']:.1f} s = "
        f"**{a['drain_per_s']:.1f} inbound texts/s** applied; CPU used: {a['cpu_drain']}",
        "",
        "**Phase 3 — bare endpoints at max load** (same gunicorn settings, same clients and "
        "bodies, one INSERT + commit per request into a scratch table of the same database):",
        "",
        f"- Django view, production settings and middleware (`bare_django.py`): answered 200 "
        f"{d['ok']} of {d['sent']} (statuses {d['statuses']}) in {d['elapsed']:.1f} s = "
        f"**{d['per_s']:.1f} requests/s**; p50 {h.ms(d['p50'])}, p99 {h.ms(d['p99'])}; "
        f"CPU used: {d['cpu']}",
        f"- Django-free WSGI + psycopg (`bare_app.py`): answered 200 {b['ok']} of {b['sent']} "
        f"(statuses {b['statuses']}) in {b['elapsed']:.1f} s = **{b['per_s']:.1f} requests/s**; "
        f"p50 {h.ms(b['p50'])}, p99 {h.ms(b['p99'])}; CPU used: {b['cpu']}",
        "",
        "Rows at the end: " + ", ".join(f"{k} {v}" for k, v in counts.items()),
    ]
    config = "\n".join(
        [
            f"- gunicorn: `config.wsgi:application`, {args.workers} sync workers, "
            "DJANGO_SETTINGS_MODULE=config.settings.production (DEBUG off, CONN_MAX_AGE 60, "
            "LOG_LEVEL INFO to a file); the bare app under an identical gunicorn",
            f"- Celery: 1 worker, prefork, concurrency {args.celery_concurrency}, prefetch multiplier 1, acks late, at nice {h.WORKER_NICE} (half the web tier's CPU weight, as docker-compose.yml deploys it)",
            f"- data: 1 firm, {args.members} members, {args.contacts} contacts each with a texting number "
            "and a conversation the firm has texted; texts from them round-robin, one segment, no media",
            "- client: asyncio in the benchmark process (a new connection per request, as gunicorn's "
            "sync workers close them), Basic auth, the JSON array envelope of PROVIDER_API.md §2",
            "- PostgreSQL, Redis: the machine's (database created and dropped by the run; Redis db "
            f"{args.redis_db} flushed before and after); everything on the same 2 cores as the client",
        ]
    )
    return h.write_report(
        "ingest",
        "Ingest benchmark: inbound webhooks",
        [
            ("Result", "\n".join(rows)),
            ("Machine", h.machine_section(info, load_before, load_after, load, others)),
            ("Configuration", config),
            ("Details", "\n".join(details)),
            ("Command", f"`{sys.executable} {' '.join(sys.argv)}`"),
        ],
    )


if __name__ == "__main__":
    sys.exit(main())

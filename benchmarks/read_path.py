"""Read-path benchmark: the pages staff open all day, at firm scale (issue 5).

    .venv/bin/python benchmarks/read_path.py [--messages 1000000 --contacts 20000
        --conversations 10000 --samples 200] [--keep-db | --reuse-db]

On its own PostgreSQL database (created, migrated, dropped after unless --keep-db), with the
provider sandbox started on a free port so `seed_demo` can order each firm's number:

1. `manage.py seed_demo --firms 2` builds two firms of the full size (by default 20,000
   contacts, 10,000 conversations and 1,000,000 texts each), timed, its progress bar shown;
   then `seed_demo --firms 1` a small firm of 1,000 texts. Then `VACUUM ANALYZE`, what
   autovacuum does on its own a little after a bulk load.
2. Signed in as each firm's admin, in this process through Django's full request stack
   (middleware, sessions, firm scoping, templates; production settings), it requests each
   page `--samples` times after a warm-up, spread over different conversations, contacts,
   matters, list pages and searches: server time per request and SQL queries per request.
3. The same pages for the small firm: the query count must not depend on the firm's size.

Targets: p95 server time < 100 ms for each page, at most 12 SQL queries per page, the same
number of queries at 1,000 texts as at 1,000,000. Writes benchmarks/results/read-path-<date>.md.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import subprocess
import sys
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _harness as h

P95_TARGET = 0.100
QUERY_TARGET = 12
WARMUP = 20
SMALL = {"contacts": 100, "conversations": 50, "messages": 1000}
# --keep-db writes the keys the data was encrypted and signed with here; --reuse-db reads them.
KEYS_FILE = h.ROOT / "var" / "read-path-bench-keys.json"


@dataclass
class PageStats:
    page: str
    seconds: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return h.percentile(self.seconds, 50)

    @property
    def p95(self) -> float:
        return h.percentile(self.seconds, 95)


@dataclass
class FirmTargets:
    """What one firm's pages are requested with: its admin and sample ids."""

    name: str
    admin_email: str
    texted_contacts: list[str]  # uuids of contacts with a conversation
    contacts: list[str]  # uuids of any contacts
    matters: list[str]
    searches: list[str]
    pages: int  # pages of the Communications tab
    messages: int
    conversations: int


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=200, help="Requests per page (default 200).")
    parser.add_argument("--db-name", default="firm_texting_bench_read")
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument("--seed", type=int, default=7, help="Sampling seed.")
    keep = parser.add_mutually_exclusive_group()
    keep.add_argument("--keep-db", action="store_true", help="Keep the seeded database.")
    keep.add_argument(
        "--reuse-db",
        action="store_true",
        help="Use the database a --keep-db run left (no seeding); keeps it again.",
    )
    args = parser.parse_args()
    log = h.make_log("read-path")
    info = h.machine_info()
    # A yardstick for comparing machines: the pages' time is mostly Python's.
    info["python speed"] = (
        f"sum(range(10**6)) in {min(timeit.repeat('sum(range(10**6))', number=10, repeat=5)) * 100:.1f} ms"
    )
    load_before = h.loadavg()
    others = h.other_busy_processes()
    bench = _bench_env(args, log)
    log_dir = h.temp_dir("read-path-bench-")
    sandbox_port = h.free_port()
    bench.provider_url = f"http://127.0.0.1:{sandbox_port}"
    seed_seconds: float | None = None
    with (
        h.bench_database(bench, log, reuse=args.reuse_db, keep=args.keep_db or args.reuse_db),
        h.Processes(log_dir, log) as procs,
        h.LoadSampler() as load,
    ):
        if not args.reuse_db:
            h.start_sandbox(
                procs,
                bench.env(),
                port=sandbox_port,
                callback_url="http://127.0.0.1:9",  # nothing is sent; no callback is expected
                state_dir=log_dir / "sandbox-state",
            )
            seed_seconds = _seed(bench, args, log)
            procs.stop("sandbox")
            _vacuum_analyze(bench, log)
        h.django_setup(bench)
        big, small = _firm_targets(args, random.Random(args.seed))
        log(f"measuring {', '.join(firm.name for firm in big)}; small firm {small.name}")
        results = [_measure(firm, args.samples, random.Random(args.seed), log) for firm in big]
        small_result = _measure(small, max(20, args.samples // 10), random.Random(args.seed), log)
    load_after = h.loadavg()
    report = _report(
        args=args,
        big=big,
        small=small,
        results=results,
        small_result=small_result,
        seed_seconds=seed_seconds,
        machine=h.machine_section(info, load_before, load_after, load, others),
    )
    log(f"report: {report}")
    print(report.read_text())
    return 0 if _all_pass(results, small_result) else 1


# --- setup --------------------------------------------------------------------------------


def _bench_env(args: argparse.Namespace, log: Callable[[str], None]) -> h.BenchEnv:
    # The test client's host is "testserver"; DEBUG stays off (production settings).
    bench = h.BenchEnv(
        db_name=args.db_name,
        redis_db=args.redis_db,
        extra={
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
            "LOG_LEVEL": "WARNING",
            # The sandbox's location and peer, for seed_demo's number orders.
            "PROVIDER_SITE_ID": "1",
            "PROVIDER_PEER_ID": "1",
        },
    )
    h.bench_keys(
        bench,
        KEYS_FILE,
        reuse=args.reuse_db,
        keep=args.keep_db,
        kept_db=args.db_name,
        kept=args.reuse_db and h.bench_database_exists(bench),
        log=log,
    )
    return bench


def _seed(bench: h.BenchEnv, args: argparse.Namespace, log: Callable[[str], None]) -> float:
    """Both full-size firms in one timed seed_demo run, then the small firm."""
    big = [
        "--firms",
        "2",
        "--contacts",
        str(args.contacts),
        "--conversations",
        str(args.conversations),
        "--messages",
        str(args.messages),
    ]
    log(f"seed_demo {' '.join(big)}")
    started = time.monotonic()
    _seed_demo(bench, big)
    seconds = time.monotonic() - started
    log(f"seeded the two firms in {seconds:.0f} s")
    small = ["--firms", "1"] + [f"--{key}={value}" for key, value in SMALL.items()]
    _seed_demo(bench, small)
    return seconds


def _seed_demo(bench: h.BenchEnv, flags: list[str]) -> None:
    # stderr stays the terminal's: seed_demo's progress bar is seen while it runs.
    subprocess.run(
        [sys.executable, "manage.py", "seed_demo", *flags],
        cwd=h.ROOT,
        env=bench.env(),
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=3600,
    )


def _vacuum_analyze(bench: h.BenchEnv, log: Callable[[str], None]) -> None:
    import psycopg

    started = time.monotonic()
    with psycopg.connect(bench.database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    log(f"VACUUM ANALYZE in {time.monotonic() - started:.0f} s")


def _firm_targets(
    args: argparse.Namespace, rng: random.Random
) -> tuple[list[FirmTargets], FirmTargets]:
    """The two full-size firms (the first two seeded) and the small one (the last)."""
    from django_scopes import scopes_disabled

    from accounts.models import Firm, Membership
    from contacts.models import Contact
    from matters.models import Matter
    from texting.models import Conversation, Message
    from texting.views import PAGE_SIZE

    targets = []
    with scopes_disabled():
        for firm in Firm.objects.order_by("id"):
            admin = Membership.objects.get(firm=firm, role=Membership.Role.ADMIN).user
            texted = list(
                Conversation.objects.filter(firm=firm).values_list("contact__uuid", flat=True)
            )
            contacts = list(
                Contact.objects.filter(firm=firm).values_list("uuid", "last_name", "company_name")
            )
            matters = list(Matter.objects.filter(firm=firm).values_list("uuid", flat=True))
            numbers = list(
                Contact.objects.filter(firm=firm, phone_numbers__is_texting_number=True)
                .filter(conversations__isnull=False)
                .values_list("phone_numbers__number_e164", flat=True)[:500]
            )
            names = [last or company.split(" ")[0] for _, last, company in contacts]
            # Searches as staff type them: a surname, part of one, the last digits of a number.
            searches = [rng.choice(names) for _ in range(40)]
            searches += [rng.choice(names)[:3] for _ in range(20)]
            searches += [rng.choice(numbers)[-4:] for _ in range(20) if numbers]
            targets.append(
                FirmTargets(
                    name=firm.name,
                    admin_email=admin.email,
                    texted_contacts=[str(u) for u in texted],
                    contacts=[str(u) for u, _, _ in contacts],
                    matters=[str(u) for u in matters],
                    searches=searches,
                    pages=max(1, -(-len(texted) // PAGE_SIZE)),
                    messages=Message.objects.filter(firm=firm).count(),
                    conversations=len(texted),
                )
            )
    if len(targets) < 3:
        raise SystemExit("expected the two full-size firms and the small one")
    return targets[:2], targets[-1]


# --- measuring ----------------------------------------------------------------------------


def _page_urls(
    firm: FirmTargets, rng: random.Random
) -> dict[str, Callable[[], tuple[str, dict[str, str]]]]:
    """Each measured page: a function giving the next URL to request and its headers."""
    htmx = {"HX-Request": "true"}

    def pick(values: list[str]) -> str:
        return rng.choice(values)

    return {
        "Communications tab, first page": lambda: ("/communications/", {}),
        "Communications tab, another page": lambda: (
            f"/communications/?page={rng.randint(2, max(2, firm.pages))}",
            {},
        ),
        "Communications tab, search": lambda: (f"/communications/?q={pick(firm.searches)}", {}),
        "Communications rows, live refresh (HTMX)": lambda: ("/communications/", htmx),
        "Conversation page": lambda: (
            f"/communications/contacts/{pick(firm.texted_contacts)}/",
            {},
        ),
        "Conversation, live refresh (HTMX)": lambda: (
            f"/communications/contacts/{pick(firm.texted_contacts)}/thread/",
            htmx,
        ),
        "Conversation, older texts (HTMX)": lambda: (
            f"/communications/contacts/{pick(firm.texted_contacts)}/older/",
            htmx,
        ),
        "Contact's Communications subtab": lambda: (
            f"/contacts/{pick(firm.contacts)}/communications/",
            {},
        ),
        "Matter's Communications subtab": lambda: (
            f"/matters/{pick(firm.matters)}/communications/",
            {},
        ),
        "Unread badge": lambda: ("/communications/unread/", htmx),
    }


def _measure(
    firm: FirmTargets, samples: int, rng: random.Random, log: Callable[[str], None]
) -> list[PageStats]:
    """Every page `WARMUP + samples` times, round-robin: a slow moment of the machine then
    falls on all pages alike instead of on whichever page was being measured."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email=firm.admin_email))
    pages = _page_urls(firm, rng)
    stats = {page: PageStats(page) for page in pages}
    for i in range(WARMUP + samples):
        for page, next_url in pages.items():
            url, headers = next_url()
            connection.queries_log.clear()  # it keeps 9,000; the count would go wrong
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url, headers=headers)
                elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
            if i >= WARMUP:
                stats[page].seconds.append(elapsed)
                stats[page].queries.append(len(queries))
    for result in stats.values():
        log(
            f"{firm.name[:24]:24} {result.page:44} p50 {h.ms(result.p50):>9} "
            f"p95 {h.ms(result.p95):>9} queries {min(result.queries)}–{max(result.queries)}"
        )
    return list(stats.values())


# --- report -------------------------------------------------------------------------------


def _page_pass(big: list[PageStats], small: PageStats) -> bool:
    return all(s.p95 < P95_TARGET and max(s.queries) <= QUERY_TARGET for s in big) and all(
        max(s.queries) == max(small.queries) for s in big
    )


def _all_pass(results: list[list[PageStats]], small: list[PageStats]) -> bool:
    return all(_page_pass([firm[i] for firm in results], small[i]) for i in range(len(small)))


def _queries(stats: PageStats) -> str:
    low, high = min(stats.queries), max(stats.queries)
    return str(high) if low == high else f"{low}–{high}"


def _report(
    *,
    args: argparse.Namespace,
    big: list[FirmTargets],
    small: FirmTargets,
    results: list[list[PageStats]],
    small_result: list[PageStats],
    seed_seconds: float | None,
    machine: str,
) -> Path:
    rows = [
        "| page | p50 | p95 (target < 100 ms) | max | queries at "
        f"{big[0].messages:,} texts | queries at {small.messages:,} texts | |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, small_stats in enumerate(small_result):
        per_firm = [firm[i] for firm in results]
        worst = max(per_firm, key=lambda s: s.p95)
        rows.append(
            f"| {small_stats.page} | {h.ms(worst.p50)} | {h.ms(worst.p95)} | "
            f"{h.ms(max(max(s.seconds) for s in per_firm))} | "
            f"{' / '.join(_queries(s) for s in per_firm)} | {_queries(small_stats)} | "
            f"{h.verdict(_page_pass(per_firm, small_stats))} |"
        )
    firms = "\n".join(
        f"- {firm.name}: {firm.messages:,} texts in {firm.conversations:,} conversations, "
        f"{len(firm.contacts):,} contacts, {len(firm.matters):,} matters"
        for firm in [*big, small]
    )
    seeding = (
        f"`seed_demo --firms 2 --contacts {args.contacts} --conversations {args.conversations} "
        f"--messages {args.messages}` took **{seed_seconds:.0f} s** ({seed_seconds / 60:.1f} min) "
        "for both full-size firms, with its progress bar; then VACUUM ANALYZE."
        if seed_seconds is not None
        else "Reused a database seeded by an earlier run (`--reuse-db`); seeding not timed."
    )
    method = "\n".join(
        [
            f"- Per page {args.samples} requests per full-size firm ({max(20, args.samples // 10)} "
            f"for the small firm) after {WARMUP} unmeasured ones, each to a different sample: a "
            "random conversation, contact, matter, list page or search (surnames, their first "
            "three letters, the last four digits of a texting number). The pages take turns "
            "(one request of each, then the next round), so a slow moment of the machine "
            "falls on all of them alike.",
            "- Server time: from the request entering Django's WSGI handler (test client, full "
            "middleware stack, session, firm scoping, template rendering) to the response; the "
            "network and gunicorn are not in it. Production settings (DEBUG off), PostgreSQL "
            "over TCP on 127.0.0.1.",
            "- Queries: every SQL statement of the request (CaptureQueriesContext), including "
            "the session, the member's firm and the read-state UPDATE of an opened conversation.",
            "- Table: the worse of the two full-size firms for p50/p95; queries per firm.",
        ]
    )
    return h.write_report(
        "read-path",
        "Read-path benchmark: the Communications pages at 1,000,000 texts per firm",
        [
            ("Result", "\n".join(rows)),
            ("Data", firms + "\n\n" + seeding),
            ("Method", method),
            ("Machine", machine),
            ("Command", f"`{sys.executable} {' '.join(sys.argv)}`"),
        ],
    )


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())

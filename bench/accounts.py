"""The account directory at 50,000 accounts. Prints numbers; asserts nothing.

    python bench/accounts.py [--accounts 50000] [--lookups 500] [--database-url URL]

1. `accounts import` of a 50,000-row CSV: read and checked, then upserted. Target: under 60 s.
   Again with the same file (every row found, nothing changed).
2. The intake's typeahead: a signed `block_suggestion` over HTTP to the app, answered with the
   matching accounts (by name, alias or domain), for prefixes of 1 to 6 letters, some with an
   account's number (a domain begun: "acme0042"). Target: p99 under 100 ms.

Runs on a temporary SQLite file, then on PostgreSQL at 127.0.0.1:5432 when it is reachable.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.content.registry import installed  # noqa: E402
from assistant.domain.account_rows import read_accounts  # noqa: E402
from assistant.services.accounts import import_accounts  # noqa: E402
from bench.common import fresh, on_each_database, percentile  # noqa: E402
from tests.harness import CSM, start_harness  # noqa: E402

WORDS = ["acme", "globex", "initech", "umbrella", "stark", "wayne", "tyrell", "cyberdyne", "soylent", "hooli"]
SUFFIXES = ["Inc", "Ltda", "S.A.", "GmbH", "LLC", ""]


def accounts_csv(count: int) -> str:
    rng = random.Random(7)
    lines = ["name,aliases,domains,crm_id,contract_value,currency,tier,renewal_date,timezone,language,health"]
    for index in range(count):
        first, second, suffix = rng.choice(WORDS).title(), rng.choice(WORDS).title(), rng.choice(SUFFIXES)
        tier = rng.choice(["enterprise", "growth", "smb"])
        lines.append(
            f"{first} {second} {index:05d} {suffix},{second} {first} {index:05d},"
            f"{first.lower()}{index:05d}.com,"
            f"CRM{index:06d},{rng.randrange(5, 500) * 1000},USD,{tier},"
            f"2027-{rng.randrange(1, 13):02d}-15,America/Sao_Paulo,pt_BR,{rng.randrange(10, 100)}"
        )
    return "\n".join(lines) + "\n"


def bench_import(database_url: str, count: int) -> None:
    engine = fresh(database_url)
    text = accounts_csv(count)
    for attempt in ("first", "again"):
        started = time.perf_counter()
        rows, problems = read_accounts(text, json_format=False, default_currency="USD")
        read = time.perf_counter() - started
        report = import_accounts(engine, rows, rules=installed().practice.judgement)
        total = time.perf_counter() - started
        print(
            f"1. import {count} accounts ({attempt}): {total:.1f} s (reading and checking {read:.1f} s); "
            f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
            f"{len(problems)} refused (target < 60 s)"
        )
    engine.dispose()


def bench_typeahead(database_url: str, lookups: int) -> None:
    harness = start_harness(database_url)
    try:
        view_id = harness.open_intake(CSM)
        rng = random.Random(11)
        # Names and aliases begin with a word; domains with a word and the account's number.
        prefixes = [
            rng.choice(WORDS)[: rng.randrange(1, 7)]
            + (f"{rng.randrange(0, 5000):04d}" if rng.random() < 0.3 else "")
            for _ in range(lookups + 50)
        ]
        timings, sizes = [], []
        for index, prefix in enumerate(prefixes):
            started = time.perf_counter()
            response = harness.sender.suggest(CSM, view_id, "account", prefix)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                raise SystemExit(f"the typeahead failed: {response}")
            if index >= 50:  # the first 50 warm up
                timings.append(elapsed)
                sizes.append(len(response.json()["options"]))
        print(
            f"2. typeahead over signed HTTP, {lookups} lookups: p50 {statistics.median(timings):.1f} ms, "
            f"p99 {percentile(timings, 99):.1f} ms (target p99 < 100 ms); "
            f"{statistics.median(sizes):.0f} options each (median)"
        )
    finally:
        harness.stop()


def run(database_url: str, count: int, lookups: int) -> None:
    print(f"== {database_url.split(':')[0]}")
    bench_import(database_url, count)
    bench_typeahead(database_url, lookups)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--lookups", type=int, default=500)
    args, _ = parser.parse_known_args()
    on_each_database(lambda url: run(url, args.accounts, args.lookups), __doc__)


if __name__ == "__main__":
    main()

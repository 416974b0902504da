"""How fast the assistant answers a question in chat, at 100,000 cases (10,000 open). Prints; asserts nothing.

    python bench/answer_time.py [--cases 100000] [--database-url URL]

The real app (signed HTTP, as Slack sends events) against the Slack stand-in, on a database
seeded by bench/seed.py. A CSM and an escalation manager DM it questions of each kind (a case's
status, who owns it, my cases, what is due today and this week, what is breached, how an account
is doing, when it last heard from us, help); each is timed from the event's POST to the stand-in
receiving the answer's chat.postMessage. Target: p95 < 300 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import defaultdict
from datetime import UTC, datetime

from common import fresh, on_each_database, percentile
from seed import BENCH_CSM, BENCH_MANAGER, seed

from slack_standin.workspace import User
from tests.harness import seed_workspace, start_harness

TARGET_MS = 300
ROUNDS = 6


def questions(rng: random.Random, open_from: int, cases: int) -> list[tuple[str, str, str]]:
    """(kind, who asks, what they say), each kind once per round."""
    case = rng.randrange(open_from, cases + 1)
    account = f"Account {rng.randrange(50)}"
    return [
        ("status of a case", BENCH_CSM, f"status ESC-{case}"),
        ("who owns a case", BENCH_CSM, f"who owns esc {case}?"),
        ("my cases", BENCH_CSM, "my cases"),
        ("due today (a CSM)", BENCH_CSM, "what is due today?"),
        ("due this week (a manager: every open case)", BENCH_MANAGER, "what's due this week"),
        ("breached (a manager)", BENCH_MANAGER, "what's breached"),
        ("how is an account", BENCH_CSM, f"how is {account} doing"),
        ("last heard from", BENCH_CSM, f"when did {account} last hear from us"),
        ("help", BENCH_CSM, "what can you do"),
    ]


def run(url: str, cases: int) -> None:
    engine = fresh(url)
    started = time.monotonic()
    seed(engine, cases, cases // 10, datetime.now(UTC))
    engine.dispose()
    print(f"  {cases:,} cases ({cases // 10:,} open) seeded in {time.monotonic() - started:.0f} s")

    def workspace(ws: object) -> None:
        seed_workspace(ws)  # type: ignore[arg-type]
        for person in (BENCH_CSM, BENCH_MANAGER):
            ws.add_user(User(person, person.lower(), person, "CSM", "UTC", 0))  # type: ignore[attr-defined]

    harness = start_harness(url, workspace, escalation_manager_ids=BENCH_MANAGER, block_kit_checks="limits")
    times: dict[str, list[float]] = defaultdict(list)
    rng = random.Random(7)
    try:
        for round_number in range(ROUNDS + 1):  # the first round warms caches up, and is not counted
            for kind, person, text in questions(rng, cases - cases // 10 + 1, cases):
                ws = harness.workspace
                before = len(ws.calls_to("chat.postMessage"))
                sent = time.monotonic()
                harness.sender.direct_message(person, text)
                deadline = sent + 10
                while time.monotonic() < deadline:
                    posts = ws.calls_to("chat.postMessage")[before:]
                    answer = next((c for c in posts if c.args.get("channel") == ws.ims.get(person)), None)
                    if answer is not None:
                        if round_number:
                            times[kind].append((answer.started - sent) * 1000)
                        break
                    time.sleep(0.002)
                else:
                    print(f"    {kind}: no answer within 10 s")
    finally:
        harness.stop()
    everything = [t for values in times.values() for t in values]
    for kind, values in times.items():
        print(f"    {kind}: p50 {statistics.median(values):.0f} ms, p95 {percentile(values, 95):.0f} ms")
    print(
        f"    all questions: p50 {statistics.median(everything):.0f} ms, "
        f"p95 {percentile(everything, 95):.0f} ms (target p95 < {TARGET_MS} ms), n={len(everything)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--cases", type=int, default=100_000)
    cases = parser.parse_known_args()[0].cases
    on_each_database(lambda url: run(url, cases), __doc__)


if __name__ == "__main__":
    main()

"""Opening escalations through the API. Prints numbers; asserts nothing.

    python bench/api.py [--requests 200] [--database-url URL]

`POST /api/v1/escalations` over HTTP with a real token, the Slack stand-in answering at 0 ms:
time to the 201 (the case stored and queued for Slack), and whether each case was then
opened in Slack like one from the modal (channel, card, owner's DM). Target: p99 under 300 ms.

Runs on a temporary SQLite file, then on PostgreSQL at 127.0.0.1:5432 when it is reachable.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.api import tokens  # noqa: E402
from bench.common import on_each_database, percentile  # noqa: E402
from tests.harness import CSM, EXEC, OWNER, start_harness, wait_for  # noqa: E402


def run(database_url: str, count: int) -> None:
    print(f"== {database_url.split(':')[0]}")
    # The per-token limit is the API's own guard: measured here is the work behind a call.
    harness = start_harness(database_url, api_rate_per_minute=10_000)
    try:
        token = tokens.create(harness.components.engine, "bench", ["escalations:write"])
        timings = []
        for index in range(count + 20):
            body = {
                "account": f"Account {index % 40}",
                "summary": f"Outage {index}",
                "description": "Nobody can log in.",
                "category": "technical",
                "severity": "high",
                "owner": OWNER,
                "stakeholders": [EXEC],
                "reporter": CSM,
            }
            request = urllib.request.Request(
                harness.server.url + "/api/v1/escalations",
                data=json.dumps(body).encode(),
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": f"bench-{index}",
                },
            )
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
                if response.status != 201:
                    raise SystemExit(f"refused: {response.status}")
            if index >= 20:  # the first 20 warm up
                timings.append((time.perf_counter() - started) * 1000)
        opened = wait_for(
            lambda: (
                len(harness.workspace.case_channels()) >= count + 20 and harness.workspace.case_channels()
            ),
            timeout=300,
            what="every case opened in Slack",
        )
        wait_for(lambda: all(channel.messages for channel in opened), timeout=60, what="every card")
        with_cards = sum(1 for channel in opened if channel.messages)
        print(
            f"POST /api/v1/escalations, {count} one after another: p50 {statistics.median(timings):.1f} ms, "
            f"p99 {percentile(timings, 99):.1f} ms (target p99 < 300 ms); "
            f"{len(opened)} cases opened in Slack, {with_cards} with their card"
        )
    finally:
        harness.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200)
    args, _ = parser.parse_known_args()
    on_each_database(lambda url: run(url, args.requests), __doc__)


if __name__ == "__main__":
    main()

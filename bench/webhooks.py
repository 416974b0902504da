"""Webhook delivery lag, to a receiver on loopback. Prints numbers; asserts nothing.

    python bench/webhooks.py [--events 1000] [--rate 100] [--database-url URL]

1000 case events (50 cases, in order per case) recorded at `rate` a second, as busy teams
make them; the lag is from each event to its arrival at the receiver. Target: p99 under 2 s.
Then the same 1000 at once (a replay): how long the outbox takes to drain.

Runs on a temporary SQLite file, then on PostgreSQL at 127.0.0.1:5432 when it is reachable.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.domain.events import EventKind  # noqa: E402
from assistant.services import webhooks  # noqa: E402
from assistant.services.events import add_event  # noqa: E402
from bench.common import on_each_database, percentile  # noqa: E402
from tests.harness import CSM, start_harness, wait_for  # noqa: E402
from tests.test_webhooks import Receiver  # noqa: E402


def run(database_url: str, count: int, rate: float) -> None:
    print(f"== {database_url.split(':')[0]}")
    # The receiver is on plain http to loopback: the documented opt-in.
    harness = start_harness(database_url, webhook_allow_http_loopback=True)
    receiver = Receiver()
    arrived: dict[str, float] = {}

    class Stamped(list):  # type: ignore[type-arg]
        """What the receiver keeps, with when each arrived."""

        def append(self, item: tuple[dict[str, str], bytes]) -> None:
            arrived[item[0]["webhook-id"]] = time.time()
            super().append(item)

    receiver.received = Stamped()
    try:
        engine = harness.components.engine
        cases = [harness.escalate(CSM, summary=f"Case {i}").id or 0 for i in range(50)]
        sub_id, _ = webhooks.subscribe(
            engine, receiver.url, ["update_posted"], policy=webhooks.policy_of(harness.settings)
        )
        sent: dict[int, float] = {}
        started = time.monotonic()
        for index in range(count):
            add_event(engine, cases[index % len(cases)], EventKind.UPDATE_POSTED, None, index=index)
            sent[index] = time.time()
            harness.components.webhooks.wake()
            delay = started + (index + 1) / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        wait_for(lambda: len(arrived) >= count, timeout=300, what="every event")
        lags = sorted(arrived.values())
        first_sent = min(sent.values())
        spans = [(t - s) * 1000 for t, s in zip(lags, sorted(sent.values()), strict=False)]
        print(
            f"1. {count} events at {rate:.0f}/s: lag p50 {statistics.median(spans):.0f} ms, "
            f"p99 {percentile(spans, 99):.0f} ms (target p99 < 2000 ms)"
        )
        arrived.clear()
        queued = time.time()
        again = webhooks.replay(engine, datetime.fromtimestamp(first_sent - 60).astimezone(), sub_id)
        harness.components.webhooks.wake()
        wait_for(lambda: len(arrived) >= again, timeout=300, what="the replay")
        print(f"2. {again} events replayed at once: drained in {max(arrived.values()) - queued:.1f} s")
    finally:
        harness.stop()
        receiver.server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0)
    args, _ = parser.parse_known_args()
    on_each_database(lambda url: run(url, args.events, args.rate), __doc__)


if __name__ == "__main__":
    main()

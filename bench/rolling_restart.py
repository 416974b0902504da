"""A rolling restart under load, measured (issue 25): two app processes on PostgreSQL, a steady
stream of /escalate commands and submissions (each case's acknowledgement reminder due at
once), each instance in turn drained, sent SIGTERM, started again. Prints; asserts nothing
(tests/test_rolling_restart.py asserts the same scenario, shorter).

    python bench/rolling_restart.py
"""

from __future__ import annotations

import statistics
from collections import Counter

from common import POSTGRES, percentile

from slack_standin import StandIn
from tests.conftest import private_database
from tests.harness import seed_workspace
from tests.rolling import ANSWER_WITHIN, reminder_keys, roll


def main() -> None:
    with StandIn() as standin:
        seed_workspace(standin.workspace)
        with private_database(POSTGRES, "bench_rolling") as url:
            rolled = roll(standin, url, before=10.0, between=10.0, after=5.0)
        cards = Counter(
            c.name
            for c in standin.workspace.case_channels()
            for m in c.messages
            if (m.metadata or {}).get("event_type") == "escalation_case_card"
        )
        keys = Counter(reminder_keys(standin))
    times = [t * 1000 for t in rolled.answer_seconds]
    print(f"cases submitted: {rolled.submitted}; opened: {len(cards)}; lost: {rolled.submitted - len(cards)}")
    print(f"cards posted twice: {sum(n > 1 for n in cards.values())} (target 0)")
    print(f"reminders sent: {len(keys)}; sent twice: {sum(n > 1 for n in keys.values())} (target 0)")
    print(
        f"Slack requests: {len(times)}, answered p50 {statistics.median(times):.0f} ms, "
        f"p99 {percentile(times, 99):.0f} ms, max {max(times):.0f} ms "
        f"(target: all < {ANSWER_WITHIN * 1000:.0f} ms); refused or late: {len(rolled.failures)}"
    )
    print("restart, SIGTERM to serving again: " + ", ".join(f"{s:.1f} s" for s in rolled.restarts))


if __name__ == "__main__":
    main()

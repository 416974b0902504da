"""A rolling restart loses and repeats nothing (issue 25, part 4): two real processes on
PostgreSQL under a steady load of commands, submissions and due reminders; each in turn taken out
of rotation, sent SIGTERM and started again: every case submitted is opened exactly once (one
channel, one card), every due reminder sent exactly once, every Slack request answered in 3 s."""

from __future__ import annotations

from collections import Counter

import pytest

from slack_standin import StandIn
from tests.conftest import private_database
from tests.rolling import ANSWER_WITHIN, reminder_keys, roll


@pytest.mark.slow
def test_a_rolling_restart_under_load_loses_nothing_and_repeats_nothing(
    standin: StandIn, postgres_url: str
) -> None:
    with private_database(postgres_url, "rolling") as url:
        rolled = roll(standin, url, before=3.0, between=3.0, after=2.0)
    workspace = standin.workspace
    assert rolled.submitted >= 8 and rolled.failures == [], rolled.failures
    assert max(rolled.answer_seconds) < ANSWER_WITHIN
    channels = workspace.case_channels()
    assert len(channels) == rolled.submitted  # none lost, none opened twice
    for channel in channels:
        cards = [
            m for m in channel.messages if (m.metadata or {}).get("event_type") == "escalation_case_card"
        ]
        assert len(cards) == 1, channel.name
    keys = reminder_keys(standin)
    assert len(set(keys)) >= rolled.submitted
    assert [k for k, n in Counter(keys).items() if n > 1] == []  # no reminder sent twice

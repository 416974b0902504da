"""A Slack call is made once, even after a time-out: every effect of a case exists exactly once.

The stand-in does the work and then answers late, as Slack does when the
network is slow, so a client that gives up may find its call took effect.

What is under test is the app's own Slack calls once a case is stored (opening it, reminding its
people), so these stories run on the app's parts (tests/parts.py's `Parts`); the one
where every call is slow, including those made while the app answers Slack's requests (the
intake's modal opened within the trigger's 3 seconds), runs the whole app end to end.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from assistant.ids import MetadataEvent
from assistant.models import Escalation
from assistant.services import provisioning as records
from assistant.services import reminders as table
from tests.harness import CSM, MANAGER, OWNER, Harness, start_harness, wait_for
from tests.parts import Parts, running_parts

EXACTLY_ONCE = {
    "channels": 1,
    "cards": 1,
    "pins": 1,
    "owner DMs": 1,
    "feed posts": 1,
    "bookmarks": 1,
    "CSM confirmations": 1,
}


def effects(slack: Harness | Parts) -> dict[str, int]:
    """What people see in Slack after one /escalate, counted."""
    workspace = slack.workspace
    channels = workspace.case_channels()
    messages = [m for c in channels for m in c.messages]
    return {
        "channels": len(channels),
        "cards": sum((m.metadata or {}).get("event_type") == MetadataEvent.CASE_CARD for m in messages),
        "pins": sum(len(c.pins) for c in channels),
        "owner DMs": len(workspace.dm_messages(OWNER)),
        "feed posts": len(slack.feed.messages),
        "bookmarks": sum(len(c.bookmarks) for c in channels),
        "CSM confirmations": len(workspace.ephemerals_for(CSM)) + len(workspace.dm_messages(CSM)),
    }


def open_case(slack: Harness | Parts, view_id: str, timeout: float = 40) -> Escalation:
    """The case of the intake form `view_id` once it is open in Slack, every step done."""
    case = wait_for(lambda: slack.case_by_view(view_id), what="the case")
    engine = slack.components.engine
    # The repair sweep is what finishes a step that failed: run it as the scheduler would.
    wait_for(
        lambda: (
            (slack.components.provisioner.repair() or True)
            and slack.case(case.id).card_ts
            and not records.pending_steps(engine, case.id or 0)
        ),
        timeout,
        what="the case to be open in Slack",
    )
    return slack.wait_provisioned(case.id, timeout)


@pytest.fixture
def slow_parts(database_url: str) -> Iterator[Parts]:
    # A 2-second client time-out, so a 3-second answer is a time-out.
    with running_parts(database_url, slack_timeout_seconds=2) as running:
        yield running


@pytest.mark.parametrize(
    ("method", "match"),
    [
        ("conversations.create", {}),
        ("chat.postMessage", {"blocks~": "case_actions"}),  # the case card
        ("chat.postMessage", {"channel": OWNER}),  # the owner's DM
        ("chat.postMessage", {"channel": "C*", "text~": "New escalation"}),  # the feed
        ("bookmarks.add", {}),
    ],
    ids=["channel", "card", "owner-dm", "feed", "bookmark"],
)
def test_a_time_out_then_success_leaves_one_of_everything(
    slow_parts: Parts, method: str, match: dict[str, str]
) -> None:
    slow_parts.workspace.slow(method, 3, match=match)

    open_case(slow_parts, slow_parts.intake(CSM))

    assert all(f.times == 0 for f in slow_parts.workspace.faults), "no call was slowed: nothing was tested"
    assert effects(slow_parts) == EXACTLY_ONCE


def test_every_call_slow_still_opens_the_case_once(database_url: str) -> None:
    harness = start_harness(database_url)
    try:
        harness.workspace.default_latency = 2.5
        view_id = harness.open_intake(CSM)
        response = harness.submit_intake(view_id, CSM)
        assert response.status == 200 and not response.body, response
        open_case(harness, view_id, timeout=90)
        assert effects(harness) == EXACTLY_ONCE
    finally:
        harness.workspace.default_latency = 0
        harness.stop()


def test_a_reminder_whose_owner_dm_always_fails_is_sent_everywhere_else_once(parts: Parts) -> None:
    case = parts.escalate(CSM)
    assert case.ack_due_at is not None
    parts.workspace.fail("chat.postMessage", status=503, times=1000, match={"channel": OWNER})
    dispatcher = parts.components.reminders

    # The clock rings again and again past the missed acknowledgement.
    moment = case.ack_due_at + timedelta(seconds=1)
    for _ in range(12):
        dispatcher.tick(now=moment)
        moment += timedelta(minutes=11)

    channel = parts.channel_of(case)
    posts = [str((m.metadata or {}).get("event_payload", {}).get("delivery")) for m in channel.messages]
    # In the channel, once each: the reminder 30 minutes before the deadline, and the breach at it
    # (the first hour's, before them, are its own).
    acks = {str(_reminder_id(parts, case, kind)) for kind in ("ack_soon", "ack_missed")}
    assert [
        p.split(":")[0] for p in posts if p.startswith(("reminder:", "breach:")) and p.split(":")[1] in acks
    ] == [
        "reminder",
        "breach",
    ]
    assert any(m.text == "Missed promise on ESC-1: acknowledge the case" for m in channel.messages)
    breaches = [m for m in parts.workspace.dm_messages(MANAGER) if m.text.startswith("Missed promise")]
    assert [m.text for m in breaches].count("Missed promise on ESC-1: acknowledge the case") == 1
    on_feed = [m.text for m in parts.feed.messages if "ESC-1" in m.text]
    assert on_feed.count("Missed promise on ESC-1: acknowledge the case") == 1
    # The owner's DM was tried within its budget, then given up and recorded, not retried forever.
    states = {r.kind: r.state for r in table.reminders_of(parts.components.engine, case.id or 0)}
    assert states["ack_missed"] == table.SENT
    breach = next(
        e for e in parts.events(case.id) if e.kind == "breach" and e.data["reminder"] == "ack_missed"
    )
    assert breach.data["not_delivered"] == [f"breach:{_reminder_id(parts, case, 'ack_missed')}:dm:{OWNER}"]


def _reminder_id(parts: Parts, case: Escalation, kind: str) -> int:
    return (
        next(r.id for r in table.reminders_of(parts.components.engine, case.id or 0) if r.kind == kind) or 0
    )


def test_a_reminder_dm_that_timed_out_but_arrived_is_not_sent_again(slow_parts: Parts) -> None:
    case = open_case(slow_parts, slow_parts.intake(CSM))
    assert case.ack_due_at is not None
    slow_parts.workspace.slow("chat.postMessage", 3, match={"channel": OWNER})

    slow_parts.components.reminders.tick(now=case.ack_due_at - timedelta(minutes=29))

    reminder_dms = [
        m for m in slow_parts.workspace.dm_messages(OWNER) if "acknowledge this case by" in m.text
    ]
    assert len(reminder_dms) == 1
    sent = [
        r for r in table.reminders_of(slow_parts.components.engine, case.id or 0) if r.state == table.SENT
    ]
    assert [r.kind for r in sent if r.kind.startswith("ack")] == ["ack_soon"]

"""A case handed to someone else before it was acknowledged: the new owner gets a whole
acknowledgement window of their own (issue 23), on the card, in their reminder and on the timeline."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import time_machine
from sqlmodel import Session, select

from assistant.domain.lifecycle import ack_due_after_handover
from assistant.models import Reminder
from tests.harness import CSM, MANAGER, OWNER, in_hours, wait_for
from tests.parts import Parts


def test_the_window_is_whole_again_only_before_acknowledgement() -> None:
    opened = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    due, fresh = opened + timedelta(hours=2), opened + timedelta(hours=3, minutes=30)
    assert ack_due_after_handover(due, acknowledged=False, fresh=fresh) == fresh
    assert ack_due_after_handover(due, acknowledged=True, fresh=fresh) == due
    # Never less time than was left (a new owner is not hurried by the hand-over).
    assert ack_due_after_handover(fresh, acknowledged=False, fresh=due) == fresh
    assert ack_due_after_handover(None, acknowledged=False, fresh=fresh) is None


def test_a_new_owner_before_acknowledgement_gets_a_fresh_window(parts: Parts) -> None:
    case = parts.escalate(CSM)
    assert case.ack_due_at is not None
    window = case.ack_due_at - case.created_at
    later = datetime.now(UTC) + timedelta(minutes=90)
    with time_machine.travel(later, tick=False):
        handed = parts.run_flow(OWNER, case, "reassign", new_owner=MANAGER, reason="Needs billing authority")
    assert handed.owner_id == MANAGER
    assert handed.ack_due_at is not None and handed.ack_due_at - later == window
    event = next(e for e in parts.events(case.id) if e.kind == "reassigned")
    assert event.data["ack_due_at"] == handed.ack_due_at.isoformat()
    # The reminder that the acknowledgement is missed waits for the new deadline.
    with Session(parts.engine) as session:
        missed = session.exec(
            select(Reminder).where(Reminder.escalation_id == case.id, Reminder.kind == "ack_missed")
        ).all()
    assert [r.promise_at for r in missed if r.state == "pending"] == [handed.ack_due_at]
    # The card shows the new deadline (each reader sees it in their zone: Slack's date token).
    stamp = f"<!date^{int(handed.ack_due_at.timestamp())}^"
    wait_for(
        lambda: stamp in json.dumps(parts.channel_of(case).messages[0].blocks),
        what="the card with the new owner's deadline",
    )
    told = wait_for(
        lambda: [m for m in parts.workspace.dm_messages(MANAGER) if "You now own" in m.text],
        what="the new owner told",
    )
    assert stamp in json.dumps(told[0].blocks)


def test_a_case_acknowledged_already_keeps_its_promises_when_handed_over(parts: Parts) -> None:
    case = parts.run_flow(
        OWNER, parts.escalate(CSM), "acknowledge", next_update=in_hours(3), customer_message="On it."
    )
    handed = parts.run_flow(OWNER, case, "reassign", new_owner=MANAGER, reason="Going on leave")
    assert (handed.owner_id, handed.ack_due_at, handed.next_update_due_at) == (
        MANAGER,
        case.ack_due_at,
        case.next_update_due_at,
    )
    event = next(e for e in parts.events(case.id) if e.kind == "reassigned")
    assert "ack_due_at" not in event.data

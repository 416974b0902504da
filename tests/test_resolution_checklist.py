"""The resolution checklist (issue 23, stages 3-4): a pending confirmation is followed up rather
than dropped, and the close form asks what is still open: the customer's confirmation, the related
records closed, who shared the customer-facing RCA with their executive contact."""

from __future__ import annotations

import json
from datetime import timedelta

from assistant.ids import CaseAction
from assistant.services import reminders as table
from tests.harness import EXEC, OWNER, FlowButton, Harness, wait_for
from tests.stories import resolved


def test_a_pending_confirmation_is_followed_up_and_recorded_from_the_reminder(harness: Harness) -> None:
    case = resolved(harness)  # "Not yet: confirmation pending"
    assert case.resolved_at is not None and not case.customer_confirmed
    [follow_up] = [r for r in table.reminders_of(harness.engine, case.id or 0) if r.kind == "confirm_service"]
    assert follow_up.due_at == case.resolved_at + timedelta(hours=24)
    wait_for(
        lambda: (
            "The customer has not confirmed the service works again"
            in json.dumps(harness.channel_of(case).messages[0].blocks)
        ),
        what="the card to say the confirmation is pending",
    )

    harness.components.reminders.tick(now=follow_up.due_at)
    asked = wait_for(
        lambda: [
            m for m in harness.workspace.dm_messages(OWNER) if "follow up: the customer had not" in m.text
        ],
        what="the follow-up",
    )[-1]
    button = next(
        e for b in asked.blocks or [] if b["type"] == "actions" for e in b["elements"]
        if e["action_id"] == CaseAction.SERVICE_CONFIRMED
    )  # fmt: skip
    assert button["text"]["text"] == "Customer confirmed"
    harness.mark(OWNER)
    harness.sender.click(
        OWNER, CaseAction.SERVICE_CONFIRMED, button["value"], channel_id=harness.workspace.ims[OWNER],
        message_ts=asked.ts, block_id="reminder_actions",
    )  # fmt: skip
    wait_for(lambda: harness.case(case.id).customer_confirmed, what="the confirmation recorded")
    assert "customer_confirmed" in [e.kind for e in harness.events(case.id)]
    wait_for(
        lambda: "has not confirmed" not in json.dumps(harness.channel_of(case).messages[0].blocks),
        what="the card without the pending confirmation",
    )

    # The close form no longer asks for it; it lists the ticket the customer raised.
    view_id = harness.open_flow(OWNER, harness.case(case.id), FlowButton.RCA)
    harness.submit(
        OWNER, view_id, what_happened="Cert expired", root_cause="Manual renewal", cause_area="process",
        customer_rca="A certificate expired; we renewed it.", corrective_1_description="Renew",
        corrective_1_owner=OWNER, corrective_1_due=(case.resolved_at + timedelta(days=3)).date().isoformat(),
    )  # fmt: skip
    wait_for(lambda: "rca_recorded" in [e.kind for e in harness.events(case.id)], what="the RCA")
    view_id = harness.open_flow(OWNER, harness.case(case.id), FlowButton.CLOSE)
    view = harness.workspace.views[view_id]
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert "service_confirmed" not in blocks
    assert "https://support.example.com/tickets/4521" in json.dumps(view)
    assert blocks["rca_shared_by"]["element"]["initial_user"] == OWNER  # the owner, as a start
    review = {"handled_better": "Nothing: the playbook held.", "improvement_area": "none"}
    errors = harness.submit(OWNER, view_id, rca_shared_by=EXEC, **review).json()["errors"]
    assert errors == {
        "records_closed": "Close every related ticket and problem record first, then tick this."
    }
    harness.submit(OWNER, view_id, rca_shared_by=EXEC, records_closed=["yes"], **review)
    wait_for(lambda: harness.case(case.id).status == "closed", what="the closing")
    closed = next(e for e in harness.events(case.id) if e.kind == "closed")
    assert closed.data["checklist"] == {
        "service_confirmed": True,
        "records_closed": ["Ticket"],
        "rca_shared_by": EXEC,
    }
    assert not [r for r in table.reminders_of(harness.engine, case.id or 0) if r.state == "pending"]

"""RCA action items are promises: the owner is reminded before the due day ends, marks them done from
the reminder or the Home tab, and an overdue one is escalated like any missed promise.

The items' button is clicked over signed HTTP, as Slack sends it; the rest calls the app's parts
without its HTTP side (tests/parts.py's `Parts`)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from assistant.domain.action_items import due_at
from assistant.ids import CaseAction
from assistant.models import Escalation
from assistant.services.action_items import open_items
from tests.harness import EXEC, MANAGER, OWNER, FlowButton, Harness, wait_for
from tests.parts import Parts, resolved_case
from tests.stories import resolved

SAO_PAULO = ZoneInfo("America/Sao_Paulo")  # the owner's zone
DUE = (datetime.now(UTC) + timedelta(days=14)).date()
# What the RCA says, and its two action items (one the owner's, one the manager's).
RCA = {
    "what_happened": "The SAML certificate expired.",
    "root_cause": "Renewal was manual.",
    "cause_area": "process",
    "customer_rca": "A certificate expired; we renewed it.",
}
ITEMS = {
    "corrective_1_description": "Renew the certificate",
    "corrective_1_owner": OWNER,
    "corrective_1_due": DUE.isoformat(),
    "preventive_1_description": "Alert 30 days before expiry",
    "preventive_1_owner": MANAGER,
    "preventive_1_due": DUE.isoformat(),
}


def with_rca(harness: Harness) -> Escalation:
    """A resolved case whose RCA, submitted in Slack, names two action items."""
    case = resolved(harness)
    view = harness.open_flow(OWNER, case, FlowButton.RCA)
    harness.submit(OWNER, view, **RCA, **ITEMS)
    wait_for(lambda: len(open_items(harness.components.engine)) == 2, what="the action items")
    return harness.case(case.id)


def rca_written(parts: Parts, case: Escalation, **items: Any) -> Escalation:
    """The owner submits the RCA of `case` with these action items (the flow's hooks, without HTTP)."""
    return parts.run_flow(OWNER, case, "rca", **RCA, **items)


def resolved_with_rca(parts: Parts) -> Escalation:
    """As with_rca, without HTTP: a resolved case whose RCA names the two action items."""
    case = rca_written(parts, resolved_case(parts), **ITEMS)
    assert len(open_items(parts.engine)) == 2
    return case


def click_done(harness: Harness, user: str, item_id: int, message_ts: str) -> None:
    harness.mark(user)
    harness.sender.click(
        user,
        CaseAction.ACTION_ITEM_DONE,
        str(item_id),
        # (A button seen elsewhere, say on the feed's overdue notice, is clicked in that channel.)
        channel_id=harness.workspace.ims.get(user, harness.feed.id),
        message_ts=message_ts,
        block_id="action_item_actions",
    )


def test_the_owner_is_reminded_and_marks_it_done(harness: Harness) -> None:
    case = with_rca(harness)
    sweep = harness.components.action_items.sweep
    mine = next(i for i in open_items(harness.components.engine) if i.owner_id == OWNER)
    deadline = due_at(DUE, SAO_PAULO)
    dms = len(harness.workspace.dm_messages(OWNER))
    assert sweep(now=deadline - timedelta(days=1, minutes=1)) == 0  # not yet
    assert sweep(now=deadline - timedelta(hours=20)) == 2  # the manager's item is due too
    reminder = harness.workspace.dm_messages(OWNER)[-1]
    assert len(harness.workspace.dm_messages(OWNER)) == dms + 1
    assert (
        f"is due *{DUE.isoformat()}*" in json.dumps(reminder.blocks)
        and "Renew the certificate" in reminder.text
    )
    assert sweep(now=deadline - timedelta(hours=19)) == 0  # reminded once

    harness.open_home(OWNER)
    assert "Your open action items" in harness.home_text(OWNER)

    click_done(harness, EXEC, mine.id, reminder.ts)  # not theirs to mark
    assert "Only <@U0OWNER01>, who owns this action item" in harness.answer(EXEC)
    click_done(harness, OWNER, mine.id, reminder.ts)
    assert "is marked done" in harness.answer(OWNER)
    assert [i.owner_id for i in open_items(harness.components.engine)] == [MANAGER]
    assert "action_item_done" in [e.kind for e in harness.events(case.id)]
    wait_for(lambda: "Your open action items" not in harness.home_text(OWNER), what="the Home tab")
    # Maria's day (New York) ends later than Sarah's: then only her item is overdue.
    assert sweep(now=due_at(DUE, ZoneInfo("America/New_York")) + timedelta(minutes=1)) == 1


def test_an_overdue_item_is_escalated_once_and_listed_in_the_digest(parts: Parts) -> None:
    case = resolved_with_rca(parts)
    sweep = parts.components.action_items.sweep
    late = due_at(DUE, ZoneInfo("America/Sao_Paulo")) + timedelta(hours=6)  # past both owners' day
    assert sweep(now=late) == 2
    told = [m for m in parts.workspace.dm_messages(MANAGER) if m.text.startswith("Missed promise on ESC-1")]
    assert len(told) == 2  # one per overdue item (the manager owns one of them too)
    assert any("Alert 30 days before expiry" in json.dumps(m.blocks) for m in told)
    assert any(m.text.startswith("Missed promise on ESC-1") for m in parts.feed.messages)
    breaches = [e for e in parts.events(case.id) if e.kind == "breach"]
    assert [e.data["reminder"] for e in breaches] == ["action_item_overdue", "action_item_overdue"]
    assert sweep(now=late + timedelta(hours=1)) == 0  # escalated once

    digest = parts.components.digest
    message = digest.message(digest.compute(late + timedelta(days=1)))
    text = json.dumps(message.blocks, ensure_ascii=False)
    assert "*Open RCA action items*\\n2 open, 2 overdue" in text
    assert f"Renew the certificate · owner <@{OWNER}> · due {DUE.isoformat()}" in text


def test_a_fresh_rca_replaces_the_items_of_the_last_one(parts: Parts) -> None:
    case = resolved_with_rca(parts)
    rca_written(
        parts,
        case,
        corrective_1_description="Automate renewal",
        corrective_1_owner=OWNER,
        corrective_1_due=(DUE + timedelta(days=1)).isoformat(),
    )
    assert [i.description for i in open_items(parts.engine)] == ["Automate renewal"]
    assert date.today() < DUE


def test_the_rca_form_starts_with_one_row_of_each_and_adds_another_on_demand(harness: Harness) -> None:
    """Issue 23: the RCA modal showed 18 optional inputs. It shows one corrective and one
    preventive row; "Add another" adds a row there, keeping the form open."""
    case = resolved(harness)
    view_id = harness.open_flow(OWNER, case, FlowButton.RCA)

    def inputs() -> list[str]:
        view = harness.workspace.views[view_id]
        return [b["block_id"] for b in view["blocks"] if b["type"] == "input"]

    rows = [b for b in inputs() if b.startswith(("corrective_", "preventive_"))]
    assert rows == [
        f"{kind}_1_{part}"
        for kind in ("corrective", "preventive")
        for part in ("description", "owner", "due")
    ]
    before = harness.workspace.views[view_id]["hash"]
    response = harness.sender.press_in_view(OWNER, view_id, "corrective_add", CaseAction.RCA_ADD_ROW)
    assert response.status == 200
    wait_for(lambda: harness.workspace.views[view_id]["hash"] != before, what="the modal redrawn")
    assert "corrective_2_description" in inputs() and "preventive_2_description" not in inputs()

    second = {
        "corrective_2_description": "Rotate the IdP keys",
        "corrective_2_owner": MANAGER,
        "corrective_2_due": DUE.isoformat(),
    }
    assert harness.submit(OWNER, view_id, **RCA, **ITEMS, **second).status == 200
    wait_for(lambda: len(open_items(harness.components.engine)) == 3, what="the three action items")
    assert "Rotate the IdP keys" in {i.description for i in open_items(harness.components.engine)}

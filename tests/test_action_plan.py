"""The action plan (issue 23, stages 2–3): after the acknowledgement the owner writes steps, each
with an owner and a due time; a business case starts from the playbook's account rescue plan, a
relationship case from its rebuild plan. Every change is on the timeline; the card shows the plan
and its next step with a Done button; each step is a promise (its owner reminded, the managers told
when it passes undone), marked done from the DM or the card."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from assistant.models import Escalation
from assistant.presenters.timeline import timeline_lines
from assistant.services.action_items import open_items
from tests.harness import CSM, MANAGER, OWNER, VP, FlowButton, Harness, in_hours, wait_for
from tests.stories import acknowledged

PLAN = "case_action_plan"


def blocks_text(blocks: object) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def card_text(harness: Harness, case: Escalation) -> str:
    return blocks_text(harness.channel_of(case).messages[0].blocks)


def plan_view(harness: Harness, user: str, case: Escalation) -> tuple[str, dict[str, Any]]:
    views = len(harness.workspace.views)
    harness.click(user, case, PLAN)
    wait_for(lambda: len(harness.workspace.views) > views, what="the action plan form")
    view_id, view = list(harness.workspace.views.items())[-1]
    return view_id, view


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b.get("type") == "input"}


def test_a_business_case_plans_its_rescue_and_each_step_is_a_promise(harness: Harness) -> None:
    case = harness.escalate(CSM, category="business", severity="high", stakeholders=[])
    # Before the acknowledgement there is no plan yet.
    harness.click(OWNER, case, PLAN)
    assert (
        harness.answer(OWNER)
        == "ESC-1 is not acknowledged yet. Acknowledge it first; the action plan comes after."
    )

    view_id = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
    harness.submit(OWNER, view_id, next_update=in_hours(2), customer_message="On it.")
    wait_for(lambda: harness.case(case.id).status == "acknowledged", what="the acknowledgement")
    view_id, view = plan_view(harness, OWNER, case)
    shown = inputs(view)
    # The playbook's account rescue plan, each step prefilled with the owner and a due time.
    assert "Account rescue plan" in blocks_text(view)
    suggested = [shown[b]["element"].get("initial_value") for b in shown if b.endswith("_description")]
    assert suggested[:2] == [
        "Executive sponsor calls the customer's executive",
        "Agree with the customer what a rescued account looks like",
    ]
    assert shown["new_1_owner"]["element"]["initial_user"] == OWNER
    # A started step without an owner is refused next to it; a due time in the past too.
    errors = harness.submit(
        OWNER, view_id, new_1_owner=None, new_2_due=int(datetime.now(UTC).timestamp()) - 60
    )
    assert errors.json()["errors"] == {
        "new_1_owner": "Every step needs an owner.",
        "new_2_due": "Choose a due time from now on.",
    }
    soon = int((datetime.now(UTC) + timedelta(hours=3)).timestamp())
    harness.submit(
        OWNER, view_id, new_1_owner=VP, new_1_due=soon, new_3_description="", new_4_description="",
    )  # fmt: skip
    steps = wait_for(
        lambda: len(open_items(harness.components.engine)) == 2 and open_items(harness.components.engine),
        what="the steps",
    )
    assert [(s.kind, s.owner_id) for s in steps] == [("step", VP), ("step", OWNER)]
    added = [e for e in harness.events(case.id) if e.kind == "plan_step_added"]
    assert [e.data["description"] for e in added] == [
        "Executive sponsor calls the customer's executive",
        "Agree with the customer what a rescued account looks like",
    ]
    channel = harness.channel_of(case)
    wait_for(
        lambda: any("updated the action plan" in blocks_text(m.blocks) for m in channel.messages),
        what="the channel told",
    )
    # The card: the plan's progress and its next step, with a Done button.
    wait_for(lambda: "0 of 2 done" in card_text(harness, case), what="the plan on the card")
    card = card_text(harness, case)
    assert "0 of 2 done" in card and "Executive sponsor calls the customer" in card and f"<@{VP}>" in card
    details = harness.details(CSM, case)
    assert (
        "Action plan: open steps" in details and "Agree with the customer what a rescued account" in details
    )

    # Adjusted as the case goes: the second step moves, and a third is added; each change on the timeline.
    view_id, view = plan_view(harness, OWNER, case)
    second = steps[1]
    assert inputs(view)[f"step_{second.id}_description"]["element"]["initial_value"] == second.description
    later = int((datetime.now(UTC) + timedelta(days=3)).timestamp())
    harness.submit(
        OWNER, view_id,
        **{
            f"step_{second.id}_due": later, f"step_{second.id}_owner": MANAGER,
            f"step_{second.id}_description": "Agree with the CFO what a rescued account looks like",
        },
        new_1_description="Weekly check-in until the account is healthy", new_1_owner=OWNER, new_1_due=later,
        why="Their CFO is away until Thursday.",
    )  # fmt: skip
    changed = wait_for(
        lambda: [e for e in harness.events(case.id) if e.kind == "plan_step_changed"], what="the change"
    )[0]
    assert changed.data["owner"] == {"from": OWNER, "to": MANAGER} and "due" in changed.data
    assert changed.data["text"] == {
        "from": "Agree with the customer what a rescued account looks like",
        "to": "Agree with the CFO what a rescued account looks like",
    }
    assert changed.data["why"] == "Their CFO is away until Thursday."
    assert len(open_items(harness.components.engine)) == 3
    timeline = "\n".join(timeline_lines(harness.events(case.id)))
    assert "changed a step of the action plan" in timeline and "added a step to the action plan" in timeline
    assert "Their CFO is away until Thursday." in timeline

    # The first step is a promise: its owner is reminded before it is due, the managers told after.
    first = steps[0]
    sweep = harness.components.action_items.sweep
    due = datetime.fromtimestamp(soon, UTC)
    assert sweep(now=due - timedelta(hours=1)) == 0
    assert sweep(now=due - timedelta(minutes=20)) == 1
    reminder = wait_for(
        lambda: [m for m in harness.workspace.dm_messages(VP) if "action plan" in m.text.lower()],
        what="the reminder",
    )[-1]
    assert "Executive sponsor calls the customer" in blocks_text(reminder.blocks)
    assert sweep(now=due + timedelta(minutes=1)) == 1
    wait_for(
        lambda: any(
            "a step of the action plan" in blocks_text(m.blocks)
            for m in harness.workspace.dm_messages(MANAGER)
        ),
        what="the managers told",
    )
    assert any(e.kind == "breach" and e.data.get("item_id") == first.id for e in harness.events(case.id))

    # Marked done from the card by its owner: the card moves on to the next step.
    harness.sender.click(
        VP, "action_item_done", str(first.id), channel_id=channel.id, message_ts=channel.messages[0].ts,
        block_id="action_plan",
    )  # fmt: skip
    wait_for(lambda: "1 of 3 done" in card_text(harness, case), what="the card moved on")
    assert any(e.kind == "action_item_done" and e.actor_id == VP for e in harness.events(case.id))

    # A step taken off the plan (its text cleared) is gone from the plan and said so on the timeline.
    view_id, view = plan_view(harness, OWNER, case)
    assert f"step_{first.id}_description" not in inputs(view)  # done steps are listed, not edited
    harness.submit(OWNER, view_id, **{f"step_{second.id}_description": ""})
    wait_for(
        lambda: any(e.kind == "plan_step_removed" for e in harness.events(case.id)), what="the step removed"
    )
    assert [s.description for s in open_items(harness.components.engine)] == [
        "Weekly check-in until the account is healthy"
    ]


def test_a_relationship_case_starts_from_the_rebuild_plan_and_a_technical_one_from_nothing(
    harness: Harness,
) -> None:
    case = acknowledged(harness, category="relationship", stakeholders=[])
    _, view = plan_view(harness, OWNER, case)
    assert "Relationship rebuild plan" in blocks_text(view)
    other = acknowledged(harness, category="technical", stakeholders=[])
    _, view = plan_view(harness, OWNER, other)
    descriptions = [b for b in inputs(view) if b.endswith("_description")]
    assert descriptions == ["new_1_description"]
    assert "initial_value" not in inputs(view)["new_1_description"]["element"]


def test_the_plan_speaks_each_persons_language(harness: Harness) -> None:
    harness.workspace.users[OWNER].locale = "pt-BR"
    case = acknowledged(harness, category="business", stakeholders=[])
    view_id, view = plan_view(harness, OWNER, case)
    text = blocks_text(view)
    assert "Plano de resgate da conta" in text
    assert "O patrocinador executivo liga para o executivo do cliente" in text
    harness.submit(OWNER, view_id, new_2_description="", new_3_description="", new_4_description="")
    steps = wait_for(lambda: open_items(harness.components.engine), what="the step")
    harness.workspace.users[VP].locale = "es-ES"
    harness.submit(OWNER, plan_view(harness, OWNER, case)[0], **{f"step_{steps[0].id}_owner": VP})
    wait_for(lambda: any(e.kind == "plan_step_changed" for e in harness.events(case.id)), what="the change")
    due = steps[0].due_at
    assert due is not None
    harness.components.action_items.sweep(now=due - timedelta(minutes=10))
    reminder = wait_for(lambda: harness.workspace.dm_messages(VP), what="the reminder")[-1]
    assert "Tu paso del plan de acción" in blocks_text(reminder.blocks)


def test_a_stale_form_changes_only_what_its_person_changed(harness: Harness) -> None:
    case = acknowledged(harness, stakeholders=[])
    view_id, _ = plan_view(harness, OWNER, case)
    due = int((datetime.now(UTC) + timedelta(hours=5)).timestamp())
    harness.submit(
        OWNER, view_id, new_1_description="Call the customer's CTO", new_1_owner=OWNER, new_1_due=due
    )
    step = wait_for(lambda: open_items(harness.components.engine), what="the step")[0]
    stale, _ = plan_view(harness, OWNER, case)
    fresh, _ = plan_view(harness, MANAGER, case)
    harness.submit(MANAGER, fresh, **{f"step_{step.id}_owner": VP})
    wait_for(lambda: open_items(harness.components.engine)[0].owner_id == VP, what="the manager's change")
    sweep = harness.components.action_items.sweep
    assert sweep(now=datetime.fromtimestamp(due, UTC) - timedelta(minutes=20)) == 1  # VP reminded
    later = int((datetime.now(UTC) + timedelta(hours=9)).timestamp())
    harness.submit(OWNER, stale, **{f"step_{step.id}_due": later})
    wait_for(
        lambda: len([e for e in harness.events(case.id) if e.kind == "plan_step_changed"]) == 2,
        what="the owner's change",
    )
    now_open = open_items(harness.components.engine)[0]
    assert now_open.owner_id == VP and now_open.due_at == datetime.fromtimestamp(later, UTC)
    # A new due time is a new promise: reminded again.
    assert sweep(now=datetime.fromtimestamp(later, UTC) - timedelta(minutes=20)) == 1
    wait_for(
        lambda: len([m for m in harness.workspace.dm_messages(VP) if "action plan" in m.text.lower()]) == 2,
        what="the second reminder",
    )

"""The action plan (stages 2-3 of the practice): after the acknowledgement the owner drafts steps,
each with an owner and a due time, and adjusts them as the case goes. A business or relationship
case starts from its category's plan in the playbook. Each step is then a promise like an RCA's
action items (jobs/action_items.py follows them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from assistant.content.i18n import _
from assistant.domain.action_plan import PlanChange, Step, StepEdit, step_problems
from assistant.ids import CaseAction
from assistant.listeners.case_flow import (
    Answers,
    CaseFlows,
    CaseRef,
    FlowSpec,
    FlowStart,
    RowBlocks,
    Submission,
    case_modal_view,
    field_value,
    open_case_modal,
    redraw_in_place,
    selected_time,
    text_value,
)
from assistant.models import Escalation
from assistant.presenters.case_context import case_context
from assistant.rendering.escape import UserText
from assistant.rendering.render import Message, render_message
from assistant.services import action_items, lifecycle

# flows/action_plan.yml
FLOW = "action_plan"
# New rows the form may show at once ("Add another" adds one), and steps on the plan it shows to
# edit (Slack's 100 blocks: 4 a step, 3 a new row, and room for a team's own questions).
ROWS = 5
SHOWN_STEPS = 12
NEW = "new"
# Where the plan's change is kept among the answers, from the checks to the change.
CHANGE = "plan_change"
NOTHING_CHANGED = "new_1_description"


class Field:
    WHY = "why"


# A row of the form: a new step (`new_<n>_…`) or one on the plan (`step_<id>_…`).
Row = RowBlocks


def new_row(index: int) -> Row:
    return Row(f"{NEW}_{index}")


def step_row(step_id: int) -> Row:
    return Row(f"step_{step_id}")


def suggestions(start: FlowStart) -> tuple[str, list[tuple[str, int]]]:
    """The plan's title, and the steps it starts from (the category's plan while the case has none)."""
    plan = start.components.content.practice.playbook(start.case.category).plan
    if plan is None:
        return _("plan.action_plan"), []
    has_plan = action_items.plan_summary(start.components.engine, start.case.id or 0) is not None
    return _(plan.title), [] if has_plan else [(_(text), hours) for text, hours in plan.steps]


def plan_modal_context(start: FlowStart, new_rows: int | None) -> dict[str, Any]:
    engine = start.components.engine
    case_id = start.case.id or 0
    steps = action_items.open_items(engine, case_id=case_id, limit=SHOWN_STEPS)
    title, suggested = suggestions(start)
    rows = new_rows if new_rows is not None else max(len(suggested), 1)
    now = datetime.now(UTC)
    fresh = []
    for index in range(1, rows + 1):
        text, hours = suggested[index - 1] if index <= len(suggested) else ("", 0)
        fresh.append(
            {
                "row": new_row(index),
                "description": UserText(text) if text else None,
                "owner": start.case.owner_id if text else None,
                "due": int((now + timedelta(hours=hours)).timestamp()) if text else None,
            }
        )
    return {
        "ref": CaseRef(case_id=case_id, rows={NEW: rows}, shown=[s.id for s in steps]),
        "title": title,
        "steps": [
            {
                "row": step_row(s.id),
                "description": UserText(s.description),
                "owner": s.owner_id,
                "due": int(s.due_at.timestamp()) if s.due_at else None,
            }
            for s in steps
        ],
        "done": [
            {"description": UserText(s.description), "owner": s.owner_id}
            for s in action_items.done_steps(engine, case_id)
        ],
        "fresh": fresh,
        "more": rows < ROWS,
        "add_row": CaseAction.PLAN_ADD_ROW.value,
    }


def open_flow(start: FlowStart) -> None:
    context = plan_modal_context(start, None)
    open_case_modal(start, "action_plan_modal.json.j2", Field, context.pop("ref"), **context)


def read_row(view: dict[str, Any], row: Row) -> tuple[str, str | None, datetime | None]:
    return (
        text_value(view, row.description),
        field_value(view, row.owner).get("selected_user"),
        selected_time(field_value(view, row.due)),
    )


def shown_step(view: dict[str, Any], row: Row) -> Step | None:
    """A step as the form showed it (its blocks' initial values): what the person's changes are
    measured against, so a stale form never undoes what someone saved meanwhile."""
    elements = {b.get("block_id"): b.get("element") or {} for b in view.get("blocks", [])}
    text = elements.get(row.description, {}).get("initial_value")
    owner = elements.get(row.owner, {}).get("initial_user")
    due = elements.get(row.due, {}).get("initial_date_time")
    if not text or not owner or due is None:
        return None
    return Step(str(text), str(owner), datetime.fromtimestamp(int(due), UTC))


def read_plan(sub: Submission, view: dict[str, Any]) -> tuple[PlanChange, dict[str, str]]:
    """The plan as the form left it, and what is wrong with it, next to each field."""
    now = datetime.now(UTC)
    errors: dict[str, str] = {}

    def check_row(row: Row, text: str, owner: str | None, due: datetime | None, kept: bool) -> Step | None:
        problems = step_problems(text, owner, due, now, kept_due=kept)
        errors.update({getattr(row, part): _(sentence) for part, sentence in problems.items()})
        return Step(text, owner, due) if not problems and owner and due else None

    still_open = {s.id for s in action_items.open_items(sub.components.engine, case_id=sub.ref.case_id)}
    edits = []
    for step_id in sub.ref.shown or []:
        row = step_row(step_id)
        was = shown_step(view, row)
        if step_id not in still_open or was is None:
            continue  # done or taken off meanwhile: left as someone left it
        text, owner, due = read_row(view, row)
        done = bool(field_value(view, row.done).get("selected_options"))
        if not text:
            edits.append(StepEdit(step_id, was, None))
            continue
        after = check_row(row, text, owner, due, kept=due == was.due_at)
        if after is not None:
            edits.append(StepEdit(step_id, was, after, done=done))
    added: list[Step] = []
    for index in range(1, (sub.ref.rows or {}).get(NEW, 1) + 1):
        row = new_row(index)
        text, owner, due = read_row(view, row)
        if text:  # a row without its text is not a step (its owner and time may be the form's defaults)
            fresh = check_row(row, text, owner, due, kept=False)
            if fresh is not None:
                added.append(fresh)
    change = PlanChange(tuple(added), tuple(edits))
    if not errors and change.is_empty:
        errors[NOTHING_CHANGED] = _("plan.nothing_changed")
    return change, errors


def check(sub: Submission, answers: Answers) -> dict[str, str]:
    change, errors = read_plan(sub, answers.view)
    answers.replace(CHANGE, change)
    return errors


def apply(sub: Submission, answers: Answers) -> Escalation:
    case, applied = lifecycle.change_plan(
        sub.components.engine,
        sub.ref.case_id,
        actor_id=sub.actor,
        change=answers.get(CHANGE),
        why=answers.text(Field.WHY),
        rules=sub.rules,
        team_answers=answers.teams(),
    )
    answers.replace(CHANGE, applied)  # the announcement says what was done, not what was asked
    return case


def announce(sub: Submission, answers: Answers, case: Escalation) -> Message:
    change: PlanChange = answers.get(CHANGE)
    return render_message(
        "action_plan_changed.json.j2",
        case=case_context(case),
        actor=sub.actor,
        added=[
            {"description": UserText(s.description), "owner": s.owner_id, "due": s.due_at}
            for s in change.added
        ],
        changed=[
            {
                "description": UserText(e.after.description),
                "owner": e.after.owner_id,
                "due": e.after.due_at,
                "what": sorted(e.changes),
            }
            for e in change.edits
            if e.after is not None and e.changes
        ],
        done=[UserText(e.before.description) for e in change.edits if e.done and e.after is not None],
        removed=[UserText(e.before.description) for e in change.edits if e.after is None],
        why=UserText(answers.text(Field.WHY)),
    )


def register(app: App, flows: CaseFlows) -> None:
    components = flows.components

    @app.action(CaseAction.PLAN_ADD_ROW.value)
    def handle_add_row(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """ "Add another": the form redrawn with one more new row (Slack keeps what was typed in
        the rows already there: their blocks keep their ids)."""
        ack()

        def redraw(start: FlowStart, ref: CaseRef) -> dict[str, Any]:
            context = plan_modal_context(start, min((ref.rows or {}).get(NEW, 1) + 1, ROWS))
            return case_modal_view(start, "action_plan_modal.json.j2", Field, context.pop("ref"), **context)

        redraw_in_place(components, client, body, redraw)


SPEC = FlowSpec(
    flow=FLOW,
    refusal_field=NOTHING_CHANGED,
    check=check,
    apply=apply,
    announce=announce,
)

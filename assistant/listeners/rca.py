"""Root-cause analysis: internal RCA with owned, dated action items, and a customer-facing RCA."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from assistant.content.i18n import N_, _, speaking
from assistant.domain.approvals import Subject
from assistant.domain.communications import Purpose, Route, parse_date, zone
from assistant.ids import CaseAction
from assistant.listeners.approvals import approvers_for, ask_approvers, needs_approval, pending_words
from assistant.listeners.case_flow import (
    Answers,
    CaseFlows,
    CaseRef,
    FlowSpec,
    FlowStart,
    RowBlocks,
    Submission,
    best_effort,
    case_modal_view,
    field_value,
    open_case_modal,
    redraw_in_place,
    text_value,
)
from assistant.listeners.customer_side import (
    SEND_BY,
    SENT_AT,
    SENT_HOW,
    audience_of,
    outgoing_from,
    route_problem,
)
from assistant.models import Escalation
from assistant.presenters.case_context import case_context
from assistant.presenters.rca_markdown import customer_rca_markdown, rca_markdown
from assistant.rendering.escape import UserText
from assistant.rendering.render import Message, render_message
from assistant.services import approvals as stored_approvals
from assistant.services import lifecycle
from assistant.services.marked_messages import marked_since
from assistant.slack.people import zone_of

ROWS = 5

# flows/rca.yml
FLOW = "rca"


class Field:
    WHAT_HAPPENED = "what_happened"
    ROOT_CAUSE = "root_cause"
    CAUSE_AREA = "cause_area"
    CONTRIBUTING = "contributing_factors"
    CUSTOMER = "customer_rca"
    SEND_BY = SEND_BY
    SENT_HOW = SENT_HOW
    SENT_AT = SENT_AT


@dataclass(frozen=True)
class ItemRow(RowBlocks):
    """An action item's row: its kind (corrective, preventive) and place among them."""

    kind: str = ""
    index: int = 0


def item_row(kind: str, index: int) -> ItemRow:
    return ItemRow(f"{kind}_{index}", kind, index)


GROUPS = {
    "corrective": (
        N_("rca.corrective_actions"),
        N_("rca.corrective_action"),
        N_("rca.what_fixes_occurrence_at_least_one"),
    ),
    "preventive": (
        N_("rca.preventive_actions"),
        N_("rca.preventive_action"),
        N_("rca.what_stops_happening_again"),
    ),
}
ROW_FIELDS = [item_row(kind, index) for kind in GROUPS for index in range(1, ROWS + 1)]
# The modal starts with one row of each kind; "Add another" shows the next, up to ROWS.
FIRST_ROWS = dict.fromkeys(GROUPS, 1)

CUSTOMER_TEXT_NEEDED = N_("rca.write_customer_facing_rca_replace")
# Where the checked action item rows are kept among the answers, for the change.
ITEMS = "action_items"

CUSTOMER_DRAFT = (
    N_("rca.what_happened"),
    N_("rca.why_happened"),
    N_("rca.what_we_have_done"),
    N_("rca.what_we_changing_so_does_not_happen"),
)


def read_items(view: dict[str, Any], today: date) -> tuple[list[lifecycle.ActionItemInput], dict[str, str]]:
    """The action item rows; a started row must have its owner and a due date from today on."""
    items, errors = [], {}
    for row in ROW_FIELDS:
        text = text_value(view, row.description)
        owner = field_value(view, row.owner).get("selected_user")
        due = parse_date(field_value(view, row.due).get("selected_date"))
        if not (text or owner or due):
            continue
        if not text:
            errors[row.description] = _("rca.describe_action_clear_its_owner_due")
        if not owner:
            errors[row.owner] = _("rca.every_action_item_needs_owner")
        if due is None:
            errors[row.due] = _("rca.every_action_item_needs_due_date")
        elif due < today:
            errors[row.due] = _("rca.choose_due_date_from_today")
        if text and owner and due and due >= today:
            items.append(
                lifecycle.ActionItemInput(kind=row.kind, description=text, owner_id=owner, due_on=due)
            )
    if not any(i.kind == "corrective" for i in items) and "corrective_1_description" not in errors:
        errors["corrective_1_description"] = _("rca.name_at_least_one_corrective_action")
    return items, errors


def open_flow(start: FlowStart) -> None:
    open_case_modal(start, "rca_modal.json.j2", Field, **rca_modal_context(start, FIRST_ROWS))


def item_groups(rows: dict[str, int]) -> list[dict[str, Any]]:
    """Each kind's rows as the modal shows them: `rows[kind]` of them, and "Add another" below
    until there are ROWS."""
    return [
        {
            "kind": kind,
            "title": _(title),
            "label": _(label),
            "hint": _(hint),
            "rows": [r for r in ROW_FIELDS if r.kind == kind][: rows.get(kind, 1)],
            "more": rows.get(kind, 1) < ROWS,
        }
        for kind, (title, label, hint) in GROUPS.items()
    ]


def rca_modal_context(start: FlowStart, rows: dict[str, int]) -> dict[str, Any]:
    components = start.components
    audience = audience_of(components, start.case, start.actor_id, internal=True)
    with speaking(audience.locale):
        draft = "\n\n".join(_(part) for part in CUSTOMER_DRAFT)
    writer_zone = zone(zone_of(components.people.cached(start.actor_id)))
    happened = "\n".join(
        f"{datetime.fromtimestamp(float(m.ts), writer_zone):%Y-%m-%d %H:%M} · {m.text}"
        for m in marked_since(components.engine, start.case.id or 0)
    )
    return dict(
        what_happened=UserText(happened) if happened else None,
        ref=CaseRef(case_id=start.case.id or 0, rows=rows),
        item_groups=item_groups(rows),
        customer_draft=UserText(draft),
        **audience.send_by(components, start.case, start.actor_id, Purpose.RCA),
        cause_areas=[
            {"value": value, "label": _(label)}
            for value, label in components.content.practice.cause_areas.items()
        ],
    )


def check(sub: Submission, answers: Answers) -> dict[str, str]:
    """The action item rows (kept for the change), where the cause lay, the customer's text."""
    components = sub.components
    items, errors = read_items(answers.view, datetime.now(UTC).date())
    answers.replace(ITEMS, items)
    if answers.get(Field.CAUSE_AREA) not in components.content.practice.cause_areas:
        errors[Field.CAUSE_AREA] = _("rca.choose_where_cause_lay_how_repeated")
    if "…" in answers.text(Field.CUSTOMER):
        errors[Field.CUSTOMER] = _(CUSTOMER_TEXT_NEEDED)
    if (
        needs_approval(components, Subject.CUSTOMER_RCA, sub.case)
        and answers.get(Field.SEND_BY) == Route.MYSELF
    ):
        errors[Field.SEND_BY] = _("approvals.rca_needs_approval")  # what we did not send, we cannot hold
    return (
        route_problem(answers, audience_of(components, sub.case, sub.actor, internal=True), sub.case) | errors
    )


def rca_of(answers: Answers) -> lifecycle.RcaInput:
    return lifecycle.RcaInput(
        what_happened=answers.text(Field.WHAT_HAPPENED),
        root_cause=answers.text(Field.ROOT_CAUSE),
        contributing_factors=answers.text(Field.CONTRIBUTING),
        customer_text=answers.text(Field.CUSTOMER),
        items=answers.get(ITEMS),
        cause_area=answers.get(Field.CAUSE_AREA),
    )


def apply(sub: Submission, answers: Answers) -> Escalation:
    return lifecycle.record_rca(
        sub.components.engine,
        sub.ref.case_id,
        rules=sub.rules,
        team_answers=answers.teams(),
        actor_id=sub.actor,
        rca=rca_of(answers),
        outgoing=outgoing_from(answers, Field.CUSTOMER),
        policy=sub.components.reminder_policy,
        approval_by=approvers_for(sub.components, Subject.CUSTOMER_RCA, sub.case, sub.actor),
    )


def announce(sub: Submission, answers: Answers, case: Escalation) -> Message:
    rca_input = rca_of(answers)
    return render_message(
        "rca_posted.json.j2",
        case=case_context(case),
        actor=sub.actor,
        rca={
            "what_happened": UserText(rca_input.what_happened),
            "root_cause": UserText(rca_input.root_cause),
            "contributing": UserText(rca_input.contributing_factors),
        },
        items=[
            {
                "kind": i.kind,
                "description": UserText(i.description),
                "owner_id": i.owner_id,
                "due": i.due_on.isoformat(),
            }
            for i in rca_input.items
        ],
    )


def share_the_documents(sub: Submission, answers: Answers, case: Escalation) -> None:
    """The customer-facing RCA in the channel, and both documents as files."""
    components = sub.components
    context = case_context(case)
    rca_input = rca_of(answers)
    channel = components.provisioner.channel
    stored = lifecycle.latest_rca(components.engine, case.id or 0)

    def share_documents() -> None:
        customer = render_message(
            "rca_customer.json.j2", case=context, text=UserText(rca_input.customer_text)
        )
        channel.post_in_case(case, customer)
        if stored is not None:
            names = {i.owner_id: components.people.get(i.owner_id, components.client).name for i in stored[1]}
            # Two files: the customer's can be forwarded as it is, with nothing internal in it.
            components.client.files_upload_v2(
                channel=channel.channel_id(case),
                file_uploads=[
                    {
                        "filename": f"{case.key}-rca-internal.md",
                        "title": _("rca.key_rca_internal", key=case.key),
                        "content": rca_markdown(case, stored[0], stored[1], names),
                    },
                    {
                        "filename": f"{case.key}-rca-for-the-customer.md",
                        "title": _("rca.key_rca_customer", key=case.key),
                        "content": customer_rca_markdown(case, stored[0]),
                    },
                ],
            )

    best_effort(components, case, "rca_documents", share_documents)
    held = stored_approvals.pending(components.engine, case.id or 0, Subject.CUSTOMER_RCA)
    if held is not None:
        channel.post_in_case(
            case,
            render_message(
                "notice.json.j2",
                text=":passport_control: "
                + _("rca.customer_rca_waits_for_approval", approvers=pending_words(held)),
            ),
        )
        best_effort(components, case, "ask_approvers", lambda: ask_approvers(components, case, held.id or 0))


def register(app: App, flows: CaseFlows) -> None:
    components = flows.components

    @app.action(CaseAction.RCA_ADD_ROW.value)
    def handle_add_row(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """ "Add another" under a kind of action items: the modal redrawn with one more row (Slack
        keeps what was typed in the rows already there: their blocks keep their ids)."""
        ack()
        kind = str((body.get("actions") or [{}])[0].get("value") or "")
        if kind not in GROUPS:
            return

        def redraw(start: FlowStart, ref: CaseRef) -> dict[str, Any]:
            rows = {**FIRST_ROWS, **(ref.rows or {})}
            rows[kind] = min(rows[kind] + 1, ROWS)
            return case_modal_view(start, "rca_modal.json.j2", Field, **rca_modal_context(start, rows))

        redraw_in_place(components, client, body, redraw)


SPEC = FlowSpec(
    flow=FLOW,
    refusal_field=Field.WHAT_HAPPENED,
    check=check,
    apply=apply,
    announce=announce,
    then=share_the_documents,
)

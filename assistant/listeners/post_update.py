"""Post update: what changed, what the customer is told, and the next promised time."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from assistant.content.i18n import N_, _, speaking
from assistant.content.responses import UPDATE, ResponseTemplate
from assistant.domain.communications import Purpose, Route, default_promise, update_draft
from assistant.listeners.case_flow import (
    Answers,
    CaseRef,
    FlowSpec,
    FlowStart,
    Submission,
    open_case_modal,
    promise_check,
)
from assistant.listeners.customer_side import (
    SEND_BY,
    SENT_AT,
    SENT_HOW,
    audience_of,
    outgoing_from,
    route_problem,
    sending_note,
)
from assistant.listeners.response_drafts import offered, picker
from assistant.models import Escalation
from assistant.presenters.case_context import case_context
from assistant.rendering.escape import UserText
from assistant.rendering.render import Message, render_message
from assistant.services import lifecycle
from assistant.services.marked_messages import marked_since

PLACEHOLDERS_LEFT = N_("post_update.write_update_customer_receives")

# flows/post_update.yml
FLOW = "post_update"


class Field(StrEnum):
    INTERNAL = "internal"
    CUSTOMER = "customer_update"
    NEXT_UPDATE = "next_update"
    SEND_BY = SEND_BY
    SENT_HOW = SENT_HOW
    SENT_AT = SENT_AT


def update_form(
    start: FlowStart, *, promise: datetime | None = None, template: ResponseTemplate | None = None
) -> tuple[CaseRef | None, dict[str, Any]]:
    """The form's metadata and context; `template`: a response template chosen as the draft (the
    time the picker says)."""
    components = start.components
    now = datetime.now(UTC)
    promise = promise or default_promise(now)
    audience = audience_of(components, start.case, start.actor_id, internal=True)
    phrase = audience.phrase(promise, now)
    if template is not None:
        writer = components.people.get(start.actor_id, start.client)
        draft = template.filled(account=start.case.account_name, owner=writer.name, time=phrase)
    else:
        updates = lifecycle.updates_of(components.engine, start.case.id or 0)
        since = updates[-1].at if updates else None
        marked = [m.text for m in marked_since(components.engine, start.case.id or 0, since)]
        with speaking(audience.locale):
            draft = _(update_draft(promise_phrase=phrase, marked=marked))
    ref = None
    if audience.for_contact:
        ref = CaseRef(case_id=start.case.id or 0, drafted=phrase, locale=audience.locale, zone=audience.tz)
    return ref, {
        "promise": int(promise.timestamp()),
        "draft": UserText(draft),
        "responses": picker(offered(components, start.case, audience, UPDATE), template, Field.CUSTOMER),
        **audience.send_by(components, start.case, start.actor_id, Purpose.UPDATE),
    }


def open_flow(start: FlowStart) -> None:
    ref, context = update_form(start, promise=start.prefilled_time())
    open_case_modal(start, "update_modal.json.j2", Field, ref=ref, **context)


promise_checks = promise_check(
    time_field=Field.NEXT_UPDATE, text_field=Field.CUSTOMER, writer=lambda sub: sub.actor
)


def check(sub: Submission, answers: Answers) -> dict[str, str]:
    audience = audience_of(sub.components, sub.case, sub.actor, internal=True)
    errors = route_problem(answers, audience, sub.case)
    if answers.get(Field.SEND_BY) == Route.INTERNAL:
        return errors  # the customer hears nothing, is promised nothing
    errors |= promise_checks(sub, answers)
    if "…" in answers.text(Field.CUSTOMER):
        errors.setdefault(Field.CUSTOMER.value, _(PLACEHOLDERS_LEFT))
    return errors


def apply(sub: Submission, answers: Answers) -> Escalation:
    return lifecycle.post_update(
        sub.components.engine,
        sub.ref.case_id,
        rules=sub.rules,
        team_answers=answers.teams(),
        actor_id=sub.actor,
        internal_text=answers.text(Field.INTERNAL),
        customer_text=answers.text(Field.CUSTOMER),
        next_update_at=answers.get(Field.NEXT_UPDATE),
        outgoing=outgoing_from(answers, Field.CUSTOMER),
        policy=sub.components.reminder_policy,
    )


def announce(sub: Submission, answers: Answers, case: Escalation) -> Message:
    promised_before = sub.case.next_update_due_at
    return render_message(
        "update_posted.json.j2",
        case=case_context(case),
        actor=sub.actor,
        internal=UserText(answers.text(Field.INTERNAL)),
        customer=UserText(answers.text(Field.CUSTOMER)),
        promise=case.next_update_due_at,
        kept=promised_before is None or datetime.now(UTC) <= promised_before,
        sending=sending_note(sub.components, case, answers),
    )


SPEC = FlowSpec(flow=FLOW, refusal_field=Field.INTERNAL, check=check, apply=apply, announce=announce)

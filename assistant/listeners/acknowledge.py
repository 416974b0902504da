"""Acknowledge: the owner takes the case and promises a specific time for the next customer update."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from assistant.components import Components
from assistant.content.i18n import _, speaking
from assistant.content.responses import ACKNOWLEDGEMENT, ResponseTemplate
from assistant.domain.communications import Purpose, acknowledgement_draft, default_promise
from assistant.ids import ViewId
from assistant.listeners.case_flow import (
    Answers,
    CaseRef,
    FlowSpec,
    FlowStart,
    Submission,
    flow_words,
    promise_check,
)
from assistant.listeners.customer_side import (
    SEND_BY,
    SENT_AT,
    SENT_HOW,
    Audience,
    audience_of,
    outgoing_from,
    route_problem,
    sending_note,
)
from assistant.listeners.response_drafts import offered, picker
from assistant.models import Escalation
from assistant.presenters.case_context import case_context
from assistant.rendering.escape import UserText
from assistant.rendering.render import Message, render_message, render_view
from assistant.services import lifecycle
from assistant.slack.people import Person

# flows/acknowledge.yml
FLOW = "acknowledge"


class Field(StrEnum):
    NEXT_UPDATE = "next_update"
    MESSAGE = "customer_message"
    SEND_BY = SEND_BY
    SENT_HOW = SENT_HOW
    SENT_AT = SENT_AT


def draft_for(case: Escalation, owner: Person, phrase: str, audience: Audience) -> str:
    with speaking(audience.locale):
        return _(
            acknowledgement_draft(
                owner_name=owner.name,
                owner_title=owner.title,
                account=case.account_name,
                summary=case.summary,
                promise_phrase=phrase,
            )
        )


def acknowledge_view(
    components: Components,
    case: Escalation,
    owner: Person,
    audience: Audience,
    now: datetime,
    preview: dict[str, Any] | None,
    *,
    promise: datetime | None = None,
    template: ResponseTemplate | None = None,
) -> dict[str, Any]:
    """The form; `template`: a response template chosen as the draft (the time the picker says)."""
    promise = promise or default_promise(now)
    phrase = audience.phrase(promise, now)
    offers = offered(components, case, audience, ACKNOWLEDGEMENT)
    draft = (
        template.filled(account=case.account_name, owner=owner.name, time=phrase)
        if template
        else draft_for(case, owner, phrase, audience)
    )
    ref = CaseRef(case_id=case.id or 0)
    if audience.for_contact:
        ref = CaseRef(case_id=case.id or 0, drafted=phrase, locale=audience.locale, zone=audience.tz)
    return render_view(
        "acknowledge_modal.json.j2",
        callback_id=FLOW,
        metadata=ref.dump(),
        case=case_context(case),
        field=Field,
        words=flow_words(components.content.flows, FLOW),
        promise=int(promise.timestamp()),
        draft=UserText(draft),
        responses=picker(offers, template, Field.MESSAGE),
        routes=audience.route_options(),
        route=audience.initial_route,
        preview=preview,
    )


def open_flow(start: FlowStart) -> None:
    components = start.components
    now = datetime.now(UTC)
    owner = components.people.cached(start.case.owner_id)
    audience = audience_of(components, start.case, start.case.owner_id)
    preview = audience.email_preview(components, start.case, start.actor_id, Purpose.ACKNOWLEDGEMENT)
    if owner is not None:
        start.client.views_open(
            trigger_id=start.trigger_id,
            view=acknowledge_view(
                components, start.case, owner, audience, now, preview, promise=start.prefilled_time()
            ),
        )
        return
    # Open within the trigger's 3 seconds, then fill in what needs a lookup.
    loading = render_view(
        "loading_modal.json.j2",
        callback_id=ViewId.LOADING.value,
        title=_("acknowledge.acknowledge_key", key=start.case.key),
    )
    opened = start.client.views_open(trigger_id=start.trigger_id, view=loading)["view"]
    owner = components.people.get(start.case.owner_id, start.client)
    audience = audience_of(components, start.case, start.case.owner_id)
    preview = audience.email_preview(components, start.case, start.actor_id, Purpose.ACKNOWLEDGEMENT)
    start.client.views_update(
        view_id=opened["id"],
        hash=opened["hash"],
        view=acknowledge_view(
            components, start.case, owner, audience, now, preview, promise=start.prefilled_time()
        ),
    )


def apply(sub: Submission, answers: Answers) -> Escalation:
    return lifecycle.acknowledge(
        sub.components.engine,
        sub.ref.case_id,
        rules=sub.rules,
        team_answers=answers.teams(),
        actor_id=sub.actor,
        next_update_at=answers.get(Field.NEXT_UPDATE),
        customer_message=answers.text(Field.MESSAGE),
        outgoing=outgoing_from(answers, Field.MESSAGE),
        policy=sub.components.reminder_policy,
    )


# The draft's times are read in its reader's zone: the contact's, else the owner's.
promise_checks = promise_check(
    time_field=Field.NEXT_UPDATE,
    text_field=Field.MESSAGE,
    writer=lambda sub: sub.case.owner_id,
)


def check(sub: Submission, answers: Answers) -> dict[str, str]:
    errors = route_problem(answers, audience_of(sub.components, sub.case, sub.case.owner_id), sub.case)
    return errors | promise_checks(sub, answers)


def announce(sub: Submission, answers: Answers, case: Escalation) -> Message:
    on_time = case.ack_due_at is None or (case.acknowledged_at or datetime.now(UTC)) <= case.ack_due_at
    return render_message(
        "acknowledged.json.j2",
        case=case_context(case),
        actor=sub.actor,
        promise=answers.get(Field.NEXT_UPDATE),
        on_time=on_time,
        message=UserText(answers.text(Field.MESSAGE)),
        sending=sending_note(sub.components, case, answers),
    )


SPEC = FlowSpec(flow=FLOW, refusal_field=Field.NEXT_UPDATE, check=check, apply=apply, announce=announce)

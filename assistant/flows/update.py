"""Post update: what changed, what the customer is told, and the next promised time."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from slack_bolt import App

from assistant.domain.communications import (
    default_promise,
    local_time_phrase,
    update_draft,
)
from assistant.domain.lifecycle import Action
from assistant.flows.case_flow import (
    Answers,
    CaseFlows,
    FlowSpec,
    FlowStart,
    Kind,
    Question,
    Submission,
    open_case_modal,
    promise_check,
)
from assistant.i18n import N_, _
from assistant.ids import ViewId
from assistant.messages.case_context import case_context
from assistant.messages.escape import UserText
from assistant.messages.render import Message, render_message
from assistant.models import Escalation
from assistant.services import lifecycle
from assistant.slack.people import zone_of

PLACEHOLDERS_LEFT = N_("Write the update the customer receives (replace the … placeholders).")


class Field(StrEnum):
    INTERNAL = "internal"
    CUSTOMER = "customer_update"
    NEXT_UPDATE = "next_update"


def register(app: App, flows: CaseFlows) -> None:
    components = flows.components

    def open_update(start: FlowStart) -> None:
        now = datetime.now(UTC)
        promise = default_promise(now)
        phrase = local_time_phrase(promise, zone_of(components.people.cached(start.actor_id)), now)
        open_case_modal(
            start,
            "update_modal.json.j2",
            ViewId.POST_UPDATE,
            Field,
            promise=int(promise.timestamp()),
            draft=UserText(update_draft(promise_phrase=phrase)),
        )

    flows.register(Action.POST_UPDATE, open_update)

    promise_checks = promise_check(
        flows, time_field=Field.NEXT_UPDATE, text_field=Field.CUSTOMER, writer=lambda sub: sub.actor
    )

    def check(sub: Submission, answers: Answers) -> dict[str, str]:
        errors = promise_checks(sub, answers)
        if "…" in answers.text(Field.CUSTOMER):
            errors[Field.CUSTOMER.value] = _(PLACEHOLDERS_LEFT)
        return errors

    def apply(sub: Submission, answers: Answers) -> Escalation:
        return lifecycle.post_update(
            components.engine,
            sub.ref.case_id,
            actor_id=sub.actor,
            internal_text=answers.text(Field.INTERNAL),
            customer_text=answers.text(Field.CUSTOMER),
            next_update_at=answers.get(Field.NEXT_UPDATE),
            policy=components.reminder_policy,
        )

    def announce(sub: Submission, answers: Answers, case: Escalation) -> Message:
        promised_before = sub.case.next_update_due_at
        return render_message(
            "update_posted.json.j2",
            case=case_context(case),
            actor=sub.actor,
            internal=UserText(answers.text(Field.INTERNAL)),
            customer=UserText(answers.text(Field.CUSTOMER)),
            promise=answers.get(Field.NEXT_UPDATE),
            kept=promised_before is None or datetime.now(UTC) <= promised_before,
        )

    flows.on_submit(
        app,
        FlowSpec(
            action=Action.POST_UPDATE,
            view_id=ViewId.POST_UPDATE,
            questions=(
                Question(Field.INTERNAL),
                Question(Field.CUSTOMER),
                Question(Field.NEXT_UPDATE, Kind.TIME),
            ),
            refusal_field=Field.INTERNAL,
            check=check,
            apply=apply,
            announce=announce,
        ),
    )

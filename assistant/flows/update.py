"""Post update: what changed, what the customer is told, and the next promised time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from slack_bolt import Ack, App

from assistant.domain.communications import default_promise, local_time_phrase, update_draft
from assistant.domain.lifecycle import Action, PromiseRules, promise_problem
from assistant.flows.case_flow import (
    CaseFlows,
    CaseRef,
    FlowStart,
    field_value,
    open_modal,
    parse_ref,
    refused_in_modal,
    selected_time,
    text_value,
)
from assistant.ids import ViewId
from assistant.messages.case_context import case_context
from assistant.messages.escape import UserText
from assistant.messages.render import render_message
from assistant.services import lifecycle
from assistant.services.cases import get_case


class Field(StrEnum):
    INTERNAL = "internal"
    CUSTOMER = "customer_update"
    NEXT_UPDATE = "next_update"


def register(app: App, flows: CaseFlows) -> None:
    components = flows.components
    rules = PromiseRules(max_ahead=timedelta(hours=components.settings.max_promise_hours))

    def open_update(start: FlowStart) -> None:
        now = datetime.now(UTC)
        promise = default_promise(now)
        person = components.people.cached(start.actor_id)
        open_modal(
            start,
            "update_modal.json.j2",
            callback_id=ViewId.POST_UPDATE.value,
            metadata=CaseRef(case_id=start.case.id or 0).dump(),
            case=case_context(start.case),
            field=Field,
            promise=int(promise.timestamp()),
            draft=UserText(
                update_draft(promise_phrase=local_time_phrase(promise, person.tz if person else None, now))
            ),
        )

    flows.register(Action.POST_UPDATE, open_update)

    @app.view(ViewId.POST_UPDATE.value)
    def handle_update_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Keep the update history, move the promise, post the update in the channel."""
        ref = parse_ref(view)
        if ref is None:
            ack()
            return
        now = datetime.now(UTC)
        internal, customer = text_value(view, Field.INTERNAL), text_value(view, Field.CUSTOMER)
        promise = selected_time(field_value(view, Field.NEXT_UPDATE))
        errors = {}
        if not internal:
            errors[Field.INTERNAL.value] = "Say what changed, for the people following the case."
        if not customer or "…" in customer:
            errors[Field.CUSTOMER.value] = (
                "Write the update the customer receives (replace the … placeholders)."
            )
        problem = promise_problem(promise, now, rules)
        if problem:
            errors[Field.NEXT_UPDATE.value] = problem
        if errors or promise is None:
            ack(response_action="errors", errors=errors)
            return
        actor = body["user"]["id"]
        refusal = flows.refusal(get_case(components.engine, ref.case_id), actor, Action.POST_UPDATE)
        if refusal:
            ack(**refused_in_modal(Field.INTERNAL, refusal))
            return
        promised_before = get_case(components.engine, ref.case_id).next_update_due_at
        try:
            case = lifecycle.post_update(
                components.engine,
                ref.case_id,
                policy=components.reminder_policy,
                actor_id=actor,
                internal_text=internal,
                customer_text=customer,
                next_update_at=promise,
            )
        except lifecycle.ActionRefused as exc:
            ack(**refused_in_modal(Field.INTERNAL, str(exc)))
            return
        ack()
        flows.after_change(
            case,
            render_message(
                "update_posted.json.j2",
                case=case_context(case),
                actor=actor,
                internal=UserText(internal),
                customer=UserText(customer),
                promise=promise,
                kept=promised_before is None or now <= promised_before,
            ),
        )

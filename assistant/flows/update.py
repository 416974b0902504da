"""Post update: what changed, what the customer is told, and the next promised time."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from slack_bolt import Ack, App

from assistant.domain.communications import (
    default_promise,
    local_time_phrase,
    promise_text_problem,
    update_draft,
    with_promised_time,
)
from assistant.domain.lifecycle import Action, promise_problem
from assistant.flows.case_flow import (
    CaseFlows,
    FlowStart,
    apply_or_refuse,
    field_value,
    open_case_modal,
    read_submission,
    selected_time,
    text_value,
)
from assistant.ids import ViewId
from assistant.messages.case_context import case_context
from assistant.messages.escape import UserText
from assistant.messages.render import render_message
from assistant.services import lifecycle
from assistant.slack.people import zone_of


class Field(StrEnum):
    INTERNAL = "internal"
    CUSTOMER = "customer_update"
    NEXT_UPDATE = "next_update"


def register(app: App, flows: CaseFlows) -> None:
    components = flows.components
    rules = components.promise_rules()

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

    @app.view(ViewId.POST_UPDATE.value)
    def handle_update_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Keep the update history, move the promise, post the update in the channel."""
        sub = read_submission(flows, body, view, Action.POST_UPDATE)
        if sub is None:
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
        elif promise is not None and customer:
            zone_name = zone_of(components.people.cached(sub.actor))
            customer = with_promised_time(customer, promise, zone_name, now)
            mismatch = promise_text_problem(customer, promise, zone_name, now)
            if mismatch:
                errors[Field.CUSTOMER.value] = mismatch
        if sub.refusal:
            errors[Field.INTERNAL.value] = sub.refusal
        if errors or promise is None:
            ack(response_action="errors", errors=errors)
            return
        promised_before = sub.case.next_update_due_at
        case = apply_or_refuse(
            ack,
            Field.INTERNAL,
            lambda: lifecycle.post_update(
                components.engine,
                sub.ref.case_id,
                actor_id=sub.actor,
                internal_text=internal,
                customer_text=customer,
                next_update_at=promise,
                policy=components.reminder_policy,
            ),
        )
        if case is not None:
            flows.after_change(
                case,
                render_message(
                    "update_posted.json.j2",
                    case=case_context(case),
                    actor=sub.actor,
                    internal=UserText(internal),
                    customer=UserText(customer),
                    promise=promise,
                    kept=promised_before is None or now <= promised_before,
                ),
            )

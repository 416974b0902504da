"""Acknowledge: the owner takes the case and promises a specific time for the next customer update."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from slack_bolt import Ack, App

from assistant.domain.communications import (
    acknowledgement_draft,
    default_promise,
    local_time_phrase,
    promise_text_problem,
    with_promised_time,
)
from assistant.domain.lifecycle import Action, promise_problem
from assistant.flows.case_flow import (
    CaseFlows,
    CaseRef,
    FlowStart,
    apply_or_refuse,
    field_value,
    read_submission,
    selected_time,
    text_value,
)
from assistant.ids import ViewId
from assistant.messages.case_context import case_context
from assistant.messages.escape import UserText
from assistant.messages.render import render_message, render_view
from assistant.models import Escalation
from assistant.services import lifecycle
from assistant.slack.people import Person, zone_of


class Field(StrEnum):
    NEXT_UPDATE = "next_update"
    MESSAGE = "customer_message"


def draft_for(case: Escalation, owner: Person, promise: datetime, now: datetime) -> str:
    return acknowledgement_draft(
        owner_name=owner.name,
        owner_title=owner.title,
        account=case.account_name,
        summary=case.summary,
        promise_phrase=local_time_phrase(promise, owner.tz, now),
    )


def acknowledge_view(case: Escalation, owner: Person, now: datetime) -> dict[str, Any]:
    promise = default_promise(now)
    return render_view(
        "acknowledge_modal.json.j2",
        callback_id=ViewId.ACKNOWLEDGE.value,
        metadata=CaseRef(case_id=case.id or 0).dump(),
        case=case_context(case),
        field=Field,
        promise=int(promise.timestamp()),
        draft=UserText(draft_for(case, owner, promise, now)),
    )


def register(app: App, flows: CaseFlows) -> None:
    components = flows.components
    rules = components.promise_rules()

    def open_acknowledge(start: FlowStart) -> None:
        now = datetime.now(UTC)
        owner = components.people.cached(start.case.owner_id)
        if owner is not None:
            start.client.views_open(
                trigger_id=start.trigger_id, view=acknowledge_view(start.case, owner, now)
            )
            return
        # Open within the trigger's 3 seconds, then fill in what needs a lookup.
        loading = render_view(
            "loading_modal.json.j2", callback_id=ViewId.LOADING.value, title=f"Acknowledge {start.case.key}"
        )
        opened = start.client.views_open(trigger_id=start.trigger_id, view=loading)["view"]
        owner = components.people.get(start.case.owner_id, start.client)
        start.client.views_update(
            view_id=opened["id"], hash=opened["hash"], view=acknowledge_view(start.case, owner, now)
        )

    flows.register(Action.ACKNOWLEDGE, open_acknowledge)

    @app.view(ViewId.ACKNOWLEDGE.value)
    def handle_acknowledge_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Validate the promise, record the acknowledgement, then tell the channel."""
        sub = read_submission(flows, body, view, Action.ACKNOWLEDGE)
        if sub is None:
            ack()
            return
        now = datetime.now(UTC)
        promise = selected_time(field_value(view, Field.NEXT_UPDATE))
        message = text_value(view, Field.MESSAGE)
        errors = {}
        problem = sub.refusal or promise_problem(promise, now, rules)
        if problem:
            errors[Field.NEXT_UPDATE.value] = problem
        if not message:
            errors[Field.MESSAGE.value] = "Write the acknowledgement the customer will receive."
        if errors or promise is None:
            ack(response_action="errors", errors=errors)
            return
        # The draft names the default time: the text promises the time chosen, or is refused.
        zone_name = zone_of(components.people.cached(sub.case.owner_id))
        message = with_promised_time(message, promise, zone_name, now)
        mismatch = promise_text_problem(message, promise, zone_name, now)
        if mismatch:
            ack(response_action="errors", errors={Field.MESSAGE.value: mismatch})
            return
        case = apply_or_refuse(
            ack,
            Field.NEXT_UPDATE,
            lambda: lifecycle.acknowledge(
                components.engine,
                sub.ref.case_id,
                actor_id=sub.actor,
                next_update_at=promise,
                customer_message=message,
                policy=components.reminder_policy,
            ),
        )
        if case is None:
            return
        on_time = case.ack_due_at is None or (case.acknowledged_at or now) <= case.ack_due_at
        flows.after_change(
            case,
            render_message(
                "acknowledged.json.j2",
                case=case_context(case),
                actor=sub.actor,
                promise=promise,
                on_time=on_time,
                message=UserText(message),
            ),
        )

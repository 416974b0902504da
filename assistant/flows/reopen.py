"""Reopen: a resolved or closed case comes back, with a reason and a new promise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from slack_bolt import Ack, App

from assistant.domain.communications import default_promise
from assistant.domain.lifecycle import Action, PromiseRules, promise_problem
from assistant.flows.case_flow import (
    CaseFlows,
    CaseRef,
    FlowStart,
    field_value,
    open_modal,
    parse_ref,
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
    REASON = "reason"
    NEXT_UPDATE = "next_update"


def register(app: App, flows: CaseFlows) -> None:
    components = flows.components
    rules = PromiseRules(max_ahead=timedelta(hours=components.settings.max_promise_hours))

    def open_reopen(start: FlowStart) -> None:
        promise = default_promise(datetime.now(UTC))
        open_modal(
            start,
            "reopen_modal.json.j2",
            callback_id=ViewId.REOPEN.value,
            metadata=CaseRef(case_id=start.case.id or 0).dump(),
            case=case_context(start.case),
            field=Field,
            promise=int(promise.timestamp()),
        )

    flows.register(Action.REOPEN, open_reopen)

    @app.view(ViewId.REOPEN.value)
    def handle_reopen_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Reopen (the channel is unarchived when the app posts in it) and make the new promise."""
        ref = parse_ref(view)
        if ref is None:
            ack()
            return
        reason = text_value(view, Field.REASON)
        promise = selected_time(field_value(view, Field.NEXT_UPDATE))
        actor = body["user"]["id"]
        errors = {}
        if not reason:
            errors[Field.REASON.value] = "Say why the case is reopened."
        problem = promise_problem(promise, datetime.now(UTC), rules)
        if problem:
            errors[Field.NEXT_UPDATE.value] = problem
        refusal = flows.refusal(get_case(components.engine, ref.case_id), actor, Action.REOPEN)
        if refusal:
            errors[Field.REASON.value] = refusal
        if errors or promise is None:
            ack(response_action="errors", errors=errors)
            return
        try:
            case = lifecycle.reopen(
                components.engine,
                ref.case_id,
                policy=components.reminder_policy,
                actor_id=actor,
                reason=reason,
                next_update_at=promise,
            )
        except lifecycle.ActionRefused as exc:
            ack(response_action="errors", errors={Field.REASON.value: str(exc)})
            return
        ack()
        flows.after_change(
            case,
            render_message(
                "reopened.json.j2",
                case=case_context(case),
                actor=actor,
                reason=UserText(reason),
                promise=promise,
            ),
        )

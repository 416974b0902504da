"""Reopen: a resolved or closed case comes back, with a reason and a new promise."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from slack_bolt import Ack, App

from assistant.domain.communications import default_promise
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


class Field(StrEnum):
    REASON = "reason"
    NEXT_UPDATE = "next_update"


def register(app: App, flows: CaseFlows) -> None:
    components = flows.components
    rules = components.promise_rules()

    def open_reopen(start: FlowStart) -> None:
        promise = default_promise(datetime.now(UTC))
        open_case_modal(start, "reopen_modal.json.j2", ViewId.REOPEN, Field, promise=int(promise.timestamp()))

    flows.register(Action.REOPEN, open_reopen)

    @app.view(ViewId.REOPEN.value)
    def handle_reopen_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Reopen (the channel unarchived first) and make the new promise."""
        sub = read_submission(flows, body, view, Action.REOPEN)
        if sub is None:
            ack()
            return
        reason = text_value(view, Field.REASON)
        promise = selected_time(field_value(view, Field.NEXT_UPDATE))
        errors = {}
        if not reason:
            errors[Field.REASON.value] = "Say why the case is reopened."
        problem = promise_problem(promise, datetime.now(UTC), rules)
        if problem:
            errors[Field.NEXT_UPDATE.value] = problem
        if sub.refusal:
            errors[Field.REASON.value] = sub.refusal
        if errors or promise is None:
            ack(response_action="errors", errors=errors)
            return
        case = apply_or_refuse(
            ack,
            Field.REASON,
            lambda: lifecycle.reopen(
                components.engine,
                sub.ref.case_id,
                actor_id=sub.actor,
                reason=reason,
                next_update_at=promise,
                policy=components.reminder_policy,
            ),
        )
        if case is not None:
            # Unarchived before anything is posted in it (closing archived it).
            channel = components.provisioner.channel
            flows.best_effort(case, "unarchive_channel", lambda: channel.unarchive(case))
            flows.after_change(
                case,
                render_message(
                    "reopened.json.j2",
                    case=case_context(case),
                    actor=sub.actor,
                    reason=UserText(reason),
                    promise=promise,
                ),
            )

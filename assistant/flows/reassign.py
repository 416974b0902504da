"""Reassign / escalate up: hand the case to another person, who is invited and told."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from slack_bolt import Ack, App

from assistant.domain import intake as rules
from assistant.domain.lifecycle import Action
from assistant.flows.case_flow import (
    CaseFlows,
    FlowStart,
    apply_or_refuse,
    field_value,
    open_case_modal,
    read_submission,
    text_value,
)
from assistant.ids import ViewId
from assistant.messages.case_context import case_context
from assistant.messages.escape import UserText
from assistant.messages.render import render_message
from assistant.services import lifecycle
from assistant.slack.client import SLACK_ERRORS


class Field(StrEnum):
    NEW_OWNER = "new_owner"
    REASON = "reason"


def register(app: App, flows: CaseFlows) -> None:
    components = flows.components

    def open_reassign(start: FlowStart) -> None:
        open_case_modal(start, "reassign_modal.json.j2", ViewId.REASSIGN, Field)

    flows.register(Action.REASSIGN, open_reassign)

    def owner_problem(new_owner: str | None, current_owner: str) -> str | None:
        if not new_owner:
            return "Choose the new owner."
        if new_owner == current_owner:
            return "That person already owns this case."
        try:
            return rules.person_problem(
                components.people.get(new_owner, components.quick_client).facts, "owner"
            )
        except SLACK_ERRORS:
            return None  # Slack is slow: accept rather than block the hand-over

    @app.view(ViewId.REASSIGN.value)
    def handle_reassign_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Hand over, invite and tell the new owner; the old owner stays as a participant."""
        sub = read_submission(flows, body, view, Action.REASSIGN)
        if sub is None:
            ack()
            return
        new_owner = field_value(view, Field.NEW_OWNER).get("selected_user")
        reason = text_value(view, Field.REASON)
        errors = {}
        problem = sub.refusal or owner_problem(new_owner, sub.case.owner_id)
        if problem:
            errors[Field.NEW_OWNER.value] = problem
        if not reason:
            errors[Field.REASON.value] = "Say why; the new owner and the timeline need it."
        if errors or not new_owner:
            ack(response_action="errors", errors=errors)
            return
        case = apply_or_refuse(
            ack,
            Field.NEW_OWNER,
            lambda: lifecycle.reassign(
                components.engine,
                sub.ref.case_id,
                actor_id=sub.actor,
                new_owner_id=new_owner,
                reason=reason,
                policy=components.reminder_policy,
            ),
        )
        if case is None:
            return
        if case.channel_id:
            components.provisioner.channel.invite(case, new_owner)
        context = case_context(case)
        components.provisioner.channel.post(
            new_owner,
            render_message("new_owner.json.j2", case=context, actor=sub.actor, reason=UserText(reason)),
        )
        flows.after_change(
            case,
            render_message(
                "reassigned.json.j2",
                case=context,
                actor=sub.actor,
                previous=sub.case.owner_id,
                reason=UserText(reason),
            ),
        )

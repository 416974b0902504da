"""Reassign / escalate up: hand the case to another person, who is invited and told."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError

from assistant.domain import intake as rules
from assistant.domain.lifecycle import Action
from assistant.flows.case_flow import (
    CaseFlows,
    CaseRef,
    FlowStart,
    field_value,
    open_modal,
    parse_ref,
    text_value,
)
from assistant.ids import ViewId
from assistant.messages.case_context import case_context
from assistant.messages.escape import UserText
from assistant.messages.render import render_message
from assistant.services import lifecycle
from assistant.services.cases import get_case
from assistant.slack.client import SLACK_ERRORS


class Field(StrEnum):
    NEW_OWNER = "new_owner"
    REASON = "reason"


def register(app: App, flows: CaseFlows) -> None:
    components = flows.components

    def open_reassign(start: FlowStart) -> None:
        open_modal(
            start,
            "reassign_modal.json.j2",
            callback_id=ViewId.REASSIGN.value,
            metadata=CaseRef(case_id=start.case.id or 0).dump(),
            case=case_context(start.case),
            field=Field,
        )

    flows.register(Action.REASSIGN, open_reassign)

    @app.view(ViewId.REASSIGN.value)
    def handle_reassign_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Hand over, invite and tell the new owner; the old owner stays as a participant."""
        ref = parse_ref(view)
        if ref is None:
            ack()
            return
        new_owner = field_value(view, Field.NEW_OWNER).get("selected_user")
        reason = text_value(view, Field.REASON)
        actor = body["user"]["id"]
        case = get_case(components.engine, ref.case_id)
        errors = {}
        if not new_owner:
            errors[Field.NEW_OWNER.value] = "Choose the new owner."
        elif new_owner == case.owner_id:
            errors[Field.NEW_OWNER.value] = "That person already owns this case."
        else:
            try:
                person = components.people.get(new_owner, components.quick_client)
                problem = rules.person_problem(person.facts, "owner")
            except SLACK_ERRORS:
                problem = None  # Slack is slow: accept rather than block the hand-over
            if problem:
                errors[Field.NEW_OWNER.value] = problem
        if not reason:
            errors[Field.REASON.value] = "Say why; the new owner and the timeline need it."
        refusal = flows.refusal(case, actor, Action.REASSIGN)
        if refusal:
            errors[Field.NEW_OWNER.value] = refusal
        if errors or not new_owner:
            ack(response_action="errors", errors=errors)
            return
        try:
            updated = lifecycle.reassign(
                components.engine, ref.case_id, actor_id=actor, new_owner_id=new_owner, reason=reason
            )
        except lifecycle.ActionRefused as exc:
            ack(response_action="errors", errors={Field.NEW_OWNER.value: str(exc)})
            return
        ack()
        channel = components.provisioner.channel
        if updated.channel_id:
            try:
                components.client.conversations_invite(channel=updated.channel_id, users=new_owner)
            except SlackApiError as exc:
                if exc.response.get("error") != "already_in_channel":
                    raise
        context = case_context(updated)
        channel.post(
            new_owner, render_message("new_owner.json.j2", case=context, actor=actor, reason=UserText(reason))
        )
        flows.after_change(
            updated,
            render_message(
                "reassigned.json.j2",
                case=context,
                actor=actor,
                previous=case.owner_id,
                reason=UserText(reason),
            ),
        )

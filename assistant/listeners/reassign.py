"""Reassign / escalate up: hand the case to another person, who is invited and told. A manager
told of a missed promise may take the case over: the same flow, naming them."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from assistant.components import Components
from assistant.content.i18n import _, speaking
from assistant.domain import intake as rules
from assistant.ids import CaseAction
from assistant.listeners.case_flow import (
    Answers,
    CaseFlows,
    FlowSpec,
    FlowStart,
    Submission,
    open_case_modal,
    say,
)
from assistant.listeners.case_middleware import case_button
from assistant.listeners.intake import owner_tier_error
from assistant.models import Escalation, utcnow
from assistant.presenters.case_context import case_context
from assistant.rendering.escape import UserText
from assistant.rendering.render import Message, render_message
from assistant.services import lifecycle
from assistant.slack.client import QUICK_ERRORS

USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")

# flows/reassign.yml
FLOW = "reassign"


class Field(StrEnum):
    NEW_OWNER = "new_owner"
    REASON = "reason"


def open_flow(start: FlowStart) -> None:
    """The form; a new owner said in chat ("reassign ESC-42 to @Mona") is chosen already."""
    new_owner = start.prefill.get("new_owner", "")
    if USER_ID.fullmatch(new_owner):
        open_case_modal(start, "reassign_modal.json.j2", Field, new_owner=new_owner)
        return
    open_case_modal(start, "reassign_modal.json.j2", Field)


def take_over(start: FlowStart) -> None:
    """The reassign modal with the person taking the case as its new owner, and why, written for
    them: submitting it is their confirmation, and every rule of the flow still applies."""
    open_case_modal(
        start,
        "reassign_modal.json.j2",
        Field,
        new_owner=start.actor_id,
        reason=_("reassign.taking_over_reason"),
    )


def register(app: App, flows: CaseFlows) -> None:
    components = flows.components

    @app.action(CaseAction.TAKE_OWNERSHIP.value)
    @case_button(flows, flow_of=lambda action: (FLOW, str(action.get("value") or "")))
    def handle_take_ownership(
        body: dict[str, Any], client: WebClient, case: Escalation, answer: Respond
    ) -> None:
        """A manager's "Take ownership" on a missed promise (the flow's rules checked: who, when)."""
        actor = body["user"]["id"]
        with speaking(components.people.locale(actor)):
            if actor == case.owner_id:
                say(answer, _("reassign.you_own_case_already", key=case.key))
                return
            take_over(FlowStart(components, client, case, actor, body["trigger_id"], answer, FLOW))


def owner_problem(components: Components, new_owner: str | None, current_owner: str) -> str | None:
    if not new_owner:
        return _("reassign.choose_new_owner")
    if new_owner == current_owner:
        return _("reassign.person_already_owns_case")
    try:
        problem = rules.person_problem(
            components.people.get(new_owner, components.quick_client).facts, "owner"
        )
    except QUICK_ERRORS:
        return None  # Slack is slow: accept rather than block the hand-over
    return _(problem) if problem else None


def check(sub: Submission, answers: Answers) -> dict[str, str]:
    problem = owner_problem(sub.components, answers.get(Field.NEW_OWNER), sub.case.owner_id)
    problem = problem or owner_tier_error(sub.components, answers.get(Field.NEW_OWNER), sub.case.severity)
    return {Field.NEW_OWNER.value: problem} if problem else {}


def apply(sub: Submission, answers: Answers) -> Escalation:
    practice = sub.components.content.practice
    severity = sub.case.severity
    # The case's own window (its severity's, its triggers' shortening), counted from now.
    window = sub.components.ack_window(sub.case.triggers, severity)
    return lifecycle.reassign(
        sub.components.engine,
        sub.ref.case_id,
        rules=sub.rules,
        team_answers=answers.teams(),
        actor_id=sub.actor,
        new_owner_id=answers.get(Field.NEW_OWNER),
        reason=answers.text(Field.REASON),
        policy=sub.components.reminder_policy,
        fresh_ack_due_at=practice.ack_deadline(severity, utcnow(), window),
    )


def announce(sub: Submission, answers: Answers, case: Escalation) -> Message:
    return render_message(
        "reassigned.json.j2",
        case=case_context(case),
        actor=sub.actor,
        previous=sub.case.owner_id,
        reason=UserText(answers.text(Field.REASON)),
    )


def bring_in_the_new_owner(sub: Submission, answers: Answers, case: Escalation) -> None:
    """Invited and told; the old owner stays as a participant."""
    new_owner = answers.get(Field.NEW_OWNER)
    channel = sub.components.provisioner.channel
    if case.channel_id:
        channel.invite(case, new_owner)
    with channel.language_of(new_owner):
        message = render_message(
            "new_owner.json.j2",
            case=case_context(case),
            actor=sub.actor,
            reason=UserText(answers.text(Field.REASON)),
        )
    channel.post(new_owner, message)


SPEC = FlowSpec(
    flow=FLOW,
    refusal_field=Field.NEW_OWNER,
    check=check,
    apply=apply,
    announce=announce,
    before=bring_in_the_new_owner,
)

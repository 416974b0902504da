"""The task force (stage 3 of the practice): when a case is still unresolved at the time the
playbook sets for its severity, its owner is reminded to call it; the owner or a manager may call it
any time. The playbook's groups are invited to the channel; the resolution stands it down."""

from __future__ import annotations

from enum import StrEnum

from assistant.listeners.case_flow import (
    Answers,
    FlowSpec,
    FlowStart,
    Submission,
    best_effort,
    open_case_modal,
)
from assistant.models import Escalation
from assistant.presenters.case_context import case_context
from assistant.rendering.escape import UserText
from assistant.rendering.render import Message, render_message
from assistant.services import lifecycle

# flows/task_force.yml
FLOW = "task_force"


class Field(StrEnum):
    REASON = "reason"


def open_flow(start: FlowStart) -> None:
    practice = start.components.content.practice
    open_case_modal(
        start,
        "task_force_modal.json.j2",
        Field,
        groups=[f"@{handle}" for handle in practice.task_force_groups],
        due=start.case.task_force_due_at,
    )


def apply(sub: Submission, answers: Answers) -> Escalation:
    return lifecycle.call_task_force(
        sub.components.engine,
        sub.ref.case_id,
        rules=sub.rules,
        team_answers=answers.teams(),
        actor_id=sub.actor,
        reason=answers.text(Field.REASON),
        groups=list(sub.components.content.practice.task_force_groups),
        policy=sub.components.reminder_policy,
    )


def announce(sub: Submission, answers: Answers, case: Escalation) -> Message:
    return render_message(
        "task_force_called.json.j2",
        case=case_context(case),
        actor=sub.actor,
        groups=[f"@{handle}" for handle in sub.components.content.practice.task_force_groups],
        reason=UserText(answers.text(Field.REASON)),
    )


def bring_them_in(sub: Submission, answers: Answers, case: Escalation) -> None:
    """The groups' members invited to the channel (a group the workspace lacks brings no one)."""
    components = sub.components
    provisioner = components.provisioner
    if not case.channel_id:
        return

    def invite() -> None:
        people: list[str] = []
        for handle in components.content.practice.task_force_groups:
            people += [p for p in provisioner.groups.members(handle) or [] if p not in people]
        for person in people:
            provisioner.channel.invite(case, person)

    best_effort(components, case, "invite_task_force", invite)


SPEC = FlowSpec(
    flow=FLOW,
    refusal_field=Field.REASON,
    apply=apply,
    announce=announce,
    before=bring_them_in,
)

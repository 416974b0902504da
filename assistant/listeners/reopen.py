"""Reopen: a resolved or closed case comes back, with a reason and a new promise."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from assistant.content.i18n import _
from assistant.domain.communications import default_promise
from assistant.domain.lifecycle import promise_problem
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

# flows/reopen.yml
FLOW = "reopen"


class Field(StrEnum):
    REASON = "reason"
    NEXT_UPDATE = "next_update"


def open_flow(start: FlowStart) -> None:
    promise = default_promise(datetime.now(UTC))
    open_case_modal(start, "reopen_modal.json.j2", Field, promise=int(promise.timestamp()))


def check(sub: Submission, answers: Answers) -> dict[str, str]:
    rules = sub.components.promise_rules(sub.case.severity)
    problem = promise_problem(answers.get(Field.NEXT_UPDATE), datetime.now(UTC), rules)
    return {Field.NEXT_UPDATE.value: _(problem)} if problem else {}


def apply(sub: Submission, answers: Answers) -> Escalation:
    return lifecycle.reopen(
        sub.components.engine,
        sub.ref.case_id,
        rules=sub.rules,
        team_answers=answers.teams(),
        actor_id=sub.actor,
        reason=answers.text(Field.REASON),
        next_update_at=answers.get(Field.NEXT_UPDATE),
        policy=sub.components.reminder_policy,
    )


def unarchive_first(sub: Submission, answers: Answers, case: Escalation) -> None:
    """Closing archived the channel: it comes back before anything is posted in it."""
    channel = sub.components.provisioner.channel
    best_effort(sub.components, case, "unarchive_channel", lambda: channel.unarchive(case))


def announce(sub: Submission, answers: Answers, case: Escalation) -> Message:
    return render_message(
        "reopened.json.j2",
        case=case_context(case),
        actor=sub.actor,
        reason=UserText(answers.text(Field.REASON)),
        promise=answers.get(Field.NEXT_UPDATE),
    )


SPEC = FlowSpec(
    flow=FLOW,
    refusal_field=Field.REASON,
    check=check,
    apply=apply,
    announce=announce,
    before=unarchive_first,
)

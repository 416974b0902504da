"""Reopen: a resolved or closed case comes back, with a reason and a new promise."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from slack_bolt import App

from assistant.domain.communications import default_promise
from assistant.domain.lifecycle import Action, promise_problem
from assistant.flows.case_flow import (
    Answers,
    CaseFlows,
    FlowSpec,
    FlowStart,
    Kind,
    Question,
    Submission,
    open_case_modal,
)
from assistant.ids import ViewId
from assistant.messages.case_context import case_context
from assistant.messages.escape import UserText
from assistant.messages.render import Message, render_message
from assistant.models import Escalation
from assistant.services import lifecycle


class Field(StrEnum):
    REASON = "reason"
    NEXT_UPDATE = "next_update"


def register(app: App, flows: CaseFlows) -> None:
    components = flows.components

    def open_reopen(start: FlowStart) -> None:
        promise = default_promise(datetime.now(UTC))
        open_case_modal(start, "reopen_modal.json.j2", ViewId.REOPEN, Field, promise=int(promise.timestamp()))

    flows.register(Action.REOPEN, open_reopen)

    def check(sub: Submission, answers: Answers) -> dict[str, str]:
        rules = components.promise_rules(sub.case.severity)
        problem = promise_problem(answers.get(Field.NEXT_UPDATE), datetime.now(UTC), rules)
        return {Field.NEXT_UPDATE.value: problem} if problem else {}

    def apply(sub: Submission, answers: Answers) -> Escalation:
        return lifecycle.reopen(
            components.engine,
            sub.ref.case_id,
            actor_id=sub.actor,
            reason=answers.text(Field.REASON),
            next_update_at=answers.get(Field.NEXT_UPDATE),
            policy=components.reminder_policy,
        )

    def unarchive_first(sub: Submission, answers: Answers, case: Escalation) -> None:
        """Closing archived the channel: it comes back before anything is posted in it."""
        channel = components.provisioner.channel
        flows.best_effort(case, "unarchive_channel", lambda: channel.unarchive(case))

    def announce(sub: Submission, answers: Answers, case: Escalation) -> Message:
        return render_message(
            "reopened.json.j2",
            case=case_context(case),
            actor=sub.actor,
            reason=UserText(answers.text(Field.REASON)),
            promise=answers.get(Field.NEXT_UPDATE),
        )

    flows.on_submit(
        app,
        FlowSpec(
            action=Action.REOPEN,
            view_id=ViewId.REOPEN,
            questions=(
                Question(Field.REASON),
                Question(Field.NEXT_UPDATE, Kind.TIME),
            ),
            refusal_field=Field.REASON,
            check=check,
            apply=apply,
            announce=announce,
            before=unarchive_first,
        ),
    )

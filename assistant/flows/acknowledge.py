"""Acknowledge: the owner takes the case and promises a specific time for the next customer update."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from slack_bolt import App

from assistant.domain.communications import (
    acknowledgement_draft,
    default_promise,
    local_time_phrase,
)
from assistant.domain.flow_words import shown_words
from assistant.domain.lifecycle import Action
from assistant.flows.case_flow import (
    Answers,
    CaseFlows,
    CaseRef,
    FlowSpec,
    FlowStart,
    Kind,
    Question,
    Submission,
    promise_check,
)
from assistant.ids import ViewId
from assistant.messages.case_context import case_context
from assistant.messages.escape import UserText
from assistant.messages.render import Message, render_message, render_view
from assistant.models import Escalation
from assistant.services import lifecycle
from assistant.slack.people import Person


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
        words=shown_words(Action.ACKNOWLEDGE),
        promise=int(promise.timestamp()),
        draft=UserText(draft_for(case, owner, promise, now)),
    )


def register(app: App, flows: CaseFlows) -> None:
    components = flows.components

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

    def apply(sub: Submission, answers: Answers) -> Escalation:
        return lifecycle.acknowledge(
            components.engine,
            sub.ref.case_id,
            actor_id=sub.actor,
            next_update_at=answers.get(Field.NEXT_UPDATE),
            customer_message=answers.text(Field.MESSAGE),
            policy=components.reminder_policy,
        )

    def announce(sub: Submission, answers: Answers, case: Escalation) -> Message:
        on_time = case.ack_due_at is None or (case.acknowledged_at or datetime.now(UTC)) <= case.ack_due_at
        return render_message(
            "acknowledged.json.j2",
            case=case_context(case),
            actor=sub.actor,
            promise=answers.get(Field.NEXT_UPDATE),
            on_time=on_time,
            message=UserText(answers.text(Field.MESSAGE)),
        )

    flows.on_submit(
        app,
        FlowSpec(
            action=Action.ACKNOWLEDGE,
            view_id=ViewId.ACKNOWLEDGE,
            questions=(
                Question(Field.NEXT_UPDATE, Kind.TIME),
                Question(Field.MESSAGE),
            ),
            refusal_field=Field.NEXT_UPDATE,
            # The draft is the owner's words: its times are read in the owner's zone.
            check=promise_check(
                flows,
                time_field=Field.NEXT_UPDATE,
                text_field=Field.MESSAGE,
                writer=lambda sub: sub.case.owner_id,
            ),
            apply=apply,
            announce=announce,
        ),
    )

"""Resolve: the owner declares resolution; the feed is told; the root-cause analysis becomes due."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from slack_bolt import Ack, App

from assistant.domain.communications import add_business_days
from assistant.domain.lifecycle import Action
from assistant.flows.case_flow import (
    CaseFlows,
    FlowStart,
    apply_or_refuse,
    open_case_modal,
    option_value,
    read_submission,
    text_value,
)
from assistant.ids import ViewId
from assistant.messages.case_context import case_context
from assistant.messages.escape import UserText
from assistant.messages.render import render_message
from assistant.services import lifecycle


class Field(StrEnum):
    SUMMARY = "resolution_summary"
    FIX = "fix"
    CONFIRMED = "customer_confirmed"


CONFIRMATIONS = [
    {"value": "yes", "label": "Yes, the customer confirmed"},
    {"value": "pending", "label": "Not yet: confirmation pending"},
]


def register(app: App, flows: CaseFlows) -> None:
    components = flows.components

    def open_resolve(start: FlowStart) -> None:
        open_case_modal(start, "resolve_modal.json.j2", ViewId.RESOLVE, Field, confirmations=CONFIRMATIONS)

    flows.register(Action.RESOLVE, open_resolve)

    @app.view(ViewId.RESOLVE.value)
    def handle_resolve_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Record the resolution, make the RCA due, tell the channel and the feed."""
        sub = read_submission(flows, body, view, Action.RESOLVE)
        if sub is None:
            ack()
            return
        summary, fix = text_value(view, Field.SUMMARY), text_value(view, Field.FIX)
        confirmed = option_value(view, Field.CONFIRMED)
        errors = {}
        if not summary:
            errors[Field.SUMMARY.value] = "Summarise the resolution."
        if not fix:
            errors[Field.FIX.value] = "Describe the fix or the workaround."
        if confirmed not in {"yes", "pending"}:
            errors[Field.CONFIRMED.value] = "Say whether the customer confirmed."
        if sub.refusal:
            errors[Field.SUMMARY.value] = sub.refusal
        if errors:
            ack(response_action="errors", errors=errors)
            return
        rca_due = add_business_days(datetime.now(UTC), components.settings.rca_due_business_days)
        case = apply_or_refuse(
            ack,
            Field.SUMMARY,
            lambda: lifecycle.resolve(
                components.engine,
                sub.ref.case_id,
                actor_id=sub.actor,
                summary=summary,
                fix=fix,
                customer_confirmed=confirmed == "yes",
                rca_due_at=rca_due,
                policy=components.reminder_policy,
            ),
        )
        if case is None:
            return
        context = case_context(case)
        flows.after_change(
            case,
            render_message(
                "resolved.json.j2",
                case=context,
                actor=sub.actor,
                summary=UserText(summary),
                fix=UserText(fix),
                confirmed=confirmed == "yes",
                rca_due=rca_due,
            ),
        )
        notice = render_message("resolved_feed.json.j2", case=context, summary=UserText(summary))
        flows.best_effort(
            case, "feed_resolution_notice", lambda: components.provisioner.channel.post_to_feed(notice)
        )

"""Classify: category, kind, severity and resolving team; re-classification needs a reason."""

from __future__ import annotations

from enum import StrEnum
from functools import partial
from typing import Any

from slack_bolt import Ack, App

from assistant.domain.lifecycle import Action
from assistant.domain.practice import (
    KIND_LABELS,
    PLAYBOOKS,
    SEVERITY_LABELS,
    Category,
    EscalationKind,
    Severity,
)
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
    CATEGORY = "category"
    KIND = "kind"
    SEVERITY = "severity"
    TEAM = "resolving_team"
    REASON = "reason"


def register(app: App, flows: CaseFlows) -> None:
    components = flows.components

    def open_classify(start: FlowStart) -> None:
        case = start.case
        open_case_modal(
            start,
            "classify_modal.json.j2",
            ViewId.CLASSIFY,
            Field,
            reclassifying=case.kind is not None,
            playbooks=[
                {
                    "label": p.label,
                    "when": p.when,
                    "owner": p.resolution_owner,
                    "expected": p.expected_response,
                }
                for p in PLAYBOOKS.values()
            ],
            categories=[
                {"value": c.value, "label": p.label, "description": p.when} for c, p in PLAYBOOKS.items()
            ],
            kinds=[
                {"value": k.value, "label": label, "description": text}
                for k, (label, text) in KIND_LABELS.items()
            ],
            severities=[
                {"value": s.value, "label": label, "description": text}
                for s, (label, text) in SEVERITY_LABELS.items()
            ],
            current={
                "category": case.category.value,
                "kind": case.kind.value if case.kind else None,
                "severity": case.severity.value,
                "team": UserText(case.resolving_team or PLAYBOOKS[case.category].resolution_owner),
            },
        )

    flows.register(Action.CLASSIFY, open_classify)

    @app.view(ViewId.CLASSIFY.value)
    def handle_classify_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Record the classification (and the reason for a change), then tell the channel."""
        sub = read_submission(flows, body, view, Action.CLASSIFY)
        if sub is None:
            ack()
            return
        category, kind, severity = (
            option_value(view, f) for f in (Field.CATEGORY, Field.KIND, Field.SEVERITY)
        )
        team, reason = text_value(view, Field.TEAM), text_value(view, Field.REASON)
        errors = {}
        if category not in {c.value for c in Category}:
            errors[Field.CATEGORY.value] = "Choose a category."
        if kind not in {k.value for k in EscalationKind}:
            errors[Field.KIND.value] = "Choose how the case was escalated."
        if severity not in {s.value for s in Severity}:
            errors[Field.SEVERITY.value] = "Choose a severity."
        if not team:
            errors[Field.TEAM.value] = "Name the team that resolves it."
        if not reason and sub.case.kind is not None:
            errors[Field.REASON.value] = "Say why the classification changes; it goes on the timeline."
        elif not reason and category != sub.case.category.value:
            # The CSM chose the category at intake: changing it is a re-classification too.
            errors[Field.REASON.value] = (
                f"Say why the category changes from {sub.case.category.value}; it goes on the timeline."
            )
        if sub.refusal:
            errors[Field.CATEGORY.value] = sub.refusal
        if errors:
            ack(response_action="errors", errors=errors)
            return
        classification = lifecycle.Classification(
            category=Category(category or ""),
            kind=EscalationKind(kind or ""),
            severity=Severity(severity or ""),
            resolving_team=team,
            reason=reason,
        )
        case = apply_or_refuse(
            ack,
            Field.CATEGORY,
            lambda: lifecycle.classify(
                components.engine,
                sub.ref.case_id,
                actor_id=sub.actor,
                classification=classification,
                policy=components.reminder_policy,
            ),
        )
        if case is not None:
            # Reclassified as business: the account's executive sponsor, if any, was brought in.
            channel = components.provisioner.channel
            for person in set(case.stakeholder_ids) - set(sub.case.stakeholder_ids):
                if case.channel_id:
                    flows.best_effort(case, "invite_sponsor", partial(channel.invite, case, person))
            flows.after_change(
                case,
                render_message(
                    "classified.json.j2",
                    case=case_context(case),
                    actor=sub.actor,
                    reclassified=sub.case.kind is not None,
                    reason=UserText(reason),
                ),
            )

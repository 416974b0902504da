"""Classify: category, kind, severity and resolving team; re-classification needs a reason."""

from __future__ import annotations

from enum import StrEnum
from functools import partial

from slack_bolt import App

from assistant.domain.lifecycle import Action, reason_needed
from assistant.domain.practice import (
    KIND_LABELS,
    PLAYBOOKS,
    SEVERITY_LABELS,
    Category,
    EscalationKind,
    Severity,
)
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
from assistant.i18n import N_, _
from assistant.ids import ViewId
from assistant.messages.case_context import case_context
from assistant.messages.escape import UserText
from assistant.messages.render import Message, render_message
from assistant.models import Escalation
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
                    "label": _(p.label),
                    "when": _(p.when),
                    "owner": _(p.resolution_owner),
                    "expected": _(p.expected_response),
                }
                for p in PLAYBOOKS.values()
            ],
            categories=[
                {"value": c.value, "label": _(p.label), "description": _(p.when)}
                for c, p in PLAYBOOKS.items()
            ],
            kinds=[
                {"value": k.value, "label": _(label), "description": _(text)}
                for k, (label, text) in KIND_LABELS.items()
            ],
            severities=[
                {"value": s.value, "label": _(label), "description": _(text)}
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

    def check(sub: Submission, answers: Answers) -> dict[str, str]:
        """A choice Slack could not have sent is refused; a change of category needs a reason."""
        errors = {}
        for field, values, problem in (
            (Field.CATEGORY, Category, N_("Choose a category.")),
            (Field.KIND, EscalationKind, N_("Choose how the case was escalated.")),
            (Field.SEVERITY, Severity, N_("Choose a severity.")),
        ):
            if answers.get(field) not in {v.value for v in values}:
                errors[field.value] = _(problem)
        missing_reason = not answers.text(Field.REASON) and reason_needed(
            classified=sub.case.kind is not None,
            category_before=sub.case.category.value,
            category_after=answers.get(Field.CATEGORY),
        )
        if missing_reason:
            errors[Field.REASON.value] = missing_reason
        return errors

    def apply(sub: Submission, answers: Answers) -> Escalation:
        classification = lifecycle.Classification(
            category=Category(answers.get(Field.CATEGORY)),
            kind=EscalationKind(answers.get(Field.KIND)),
            severity=Severity(answers.get(Field.SEVERITY)),
            resolving_team=answers.text(Field.TEAM),
            reason=answers.text(Field.REASON),
        )
        return lifecycle.classify(
            components.engine,
            sub.ref.case_id,
            actor_id=sub.actor,
            classification=classification,
            policy=components.reminder_policy,
        )

    def invite_the_sponsor(sub: Submission, answers: Answers, case: Escalation) -> None:
        """Reclassified as business: the account's executive sponsor, if any, was brought in."""
        channel = components.provisioner.channel
        for person in set(case.stakeholder_ids) - set(sub.case.stakeholder_ids):
            if case.channel_id:
                flows.best_effort(case, "invite_sponsor", partial(channel.invite, case, person))

    def announce(sub: Submission, answers: Answers, case: Escalation) -> Message:
        return render_message(
            "classified.json.j2",
            case=case_context(case),
            actor=sub.actor,
            reclassified=sub.case.kind is not None,
            reason=UserText(answers.text(Field.REASON)),
        )

    flows.on_submit(
        app,
        FlowSpec(
            action=Action.CLASSIFY,
            view_id=ViewId.CLASSIFY,
            questions=(
                Question(Field.CATEGORY, Kind.CHOICE),
                Question(Field.KIND, Kind.CHOICE),
                Question(Field.SEVERITY, Kind.CHOICE),
                Question(Field.TEAM),
                Question(Field.REASON),
            ),
            refusal_field=Field.CATEGORY,
            check=check,
            apply=apply,
            before=invite_the_sponsor,
            announce=announce,
        ),
    )

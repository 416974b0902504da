"""Classify: category, kind, severity and resolving team; re-classification needs a reason."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from functools import partial

from assistant.components import Components
from assistant.content.i18n import N_, _
from assistant.domain.lifecycle import reason_needed
from assistant.domain.practice import Category, EscalationKind, Severity
from assistant.domain.triggers import trigger_effects
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

# flows/classify.yml
FLOW = "classify"


class Field(StrEnum):
    CATEGORY = "category"
    KIND = "kind"
    SEVERITY = "severity"
    TEAM = "resolving_team"
    SERVICES = "affected_services"
    TAGS = "tags"
    REASON = "reason"


def suggested_category(components: Components, case: Escalation) -> Category | None:
    """The category the case's triggers suggest, until its first classification: then the owner's
    choice stands. None when it is the category the case has."""
    if case.kind is not None:
        return None
    suggested = trigger_effects(components.content.practice, case.triggers, case.severity).suggested_category
    return suggested if suggested is not None and suggested != case.category else None


def open_flow(start: FlowStart) -> None:
    case = start.case
    practice = start.components.content.practice
    # A trigger's suggestion is chosen already: the owner confirms it, or keeps the CSM's choice.
    suggested = suggested_category(start.components, case)
    open_case_modal(
        start,
        "classify_modal.json.j2",
        Field,
        reclassifying=case.kind is not None,
        playbooks=[
            {
                "label": _(p.label),
                "when": _(p.when),
                "owner": _(p.resolution_owner),
                "expected": _(p.expected_response),
            }
            for p in map(practice.playbook, practice.categories)
        ],
        categories=[
            {
                "value": c.value,
                "label": _(practice.playbook(c).label),
                "description": _(practice.playbook(c).when),
            }
            for c in practice.categories
        ],
        kinds=[
            {"value": k.value, "label": _(label), "description": _(text)}
            for k, (label, text) in practice.kind_labels.items()
        ],
        services=[{"value": i, "label": _(label)} for i, label in practice.services.items()],
        tags=[{"value": i, "label": _(label)} for i, label in practice.tags.items()],
        severities=[
            {
                "value": s.value,
                "label": _(practice.severity_label(s)),
                "description": _(practice.severity_description(s)),
            }
            for s in practice.severities
        ],
        suggestion=(
            {
                "category": _(practice.category_label(suggested)),
                "chosen_at_intake": _(practice.category_label(case.category)),
                "triggers": [
                    _(practice.trigger_label(t))
                    for t in case.triggers
                    if practice.trigger_rule(t).suggests_category == suggested
                ],
            }
            if suggested
            else None
        ),
        current={
            "category": (suggested or case.category).value,
            "kind": case.kind.value if case.kind else None,
            "severity": case.severity.value,
            "team": UserText(case.resolving_team or practice.playbook(case.category).resolution_owner),
            "services": [s for s in case.affected_services or [] if s in practice.services],
            "tags": [t for t in case.tags or [] if t in practice.tags],
        },
    )


def check(sub: Submission, answers: Answers) -> dict[str, str]:
    """A choice Slack could not have sent is refused; a change of category needs a reason."""
    practice = sub.components.content.practice
    errors = {}
    choices: tuple[tuple[Field, tuple[str, ...], str], ...] = (
        (Field.CATEGORY, practice.categories, N_("classify.choose_category")),
        (Field.KIND, tuple(EscalationKind), N_("classify.choose_how_case_escalated")),
        (Field.SEVERITY, practice.severities, N_("classify.choose_severity")),
    )
    for field, values, problem in choices:
        if answers.get(field) not in {str(v) for v in values}:
            errors[field.value] = _(problem)
    missing_reason = not answers.text(Field.REASON) and reason_needed(
        classified=sub.case.kind is not None,
        category_before=sub.case.category.value,
        category_after=answers.get(Field.CATEGORY),
        practice=practice,
        suggested=suggested_category(sub.components, sub.case),
    )
    if missing_reason:
        errors[Field.REASON.value] = _(missing_reason)
    return errors


def chosen_from(
    answers: Answers, field: Field, register: Mapping[str, str], before: list[str] | None
) -> tuple[str, ...] | None:
    """The affected services or the tags as the form has them (None when it did not ask: the
    playbook has none); one the register no longer lists, which the form could not show, is kept."""
    if field.value not in answers.view["state"]["values"]:
        return None
    unlisted = [s for s in before or [] if s not in register]
    chosen = [s for s in answers.get(field) or [] if s in register]
    return tuple(dict.fromkeys([*chosen, *unlisted]))


def apply(sub: Submission, answers: Answers) -> Escalation:
    practice = sub.components.content.practice
    classification = lifecycle.Classification(
        category=Category(answers.get(Field.CATEGORY)),
        kind=EscalationKind(answers.get(Field.KIND)),
        severity=Severity(answers.get(Field.SEVERITY)),
        resolving_team=answers.text(Field.TEAM),
        reason=answers.text(Field.REASON),
        services=chosen_from(answers, Field.SERVICES, practice.services, sub.case.affected_services),
        tags=chosen_from(answers, Field.TAGS, practice.tags, sub.case.tags),
    )
    return lifecycle.classify(
        sub.components.engine,
        sub.ref.case_id,
        rules=sub.rules,
        team_answers=answers.teams(),
        actor_id=sub.actor,
        classification=classification,
        practice=sub.components.content.practice,
        policy=sub.components.reminder_policy,
    )


def invite_the_sponsor(sub: Submission, answers: Answers, case: Escalation) -> None:
    """Reclassified as business: the account's executive sponsor, if any, was brought in."""
    channel = sub.components.provisioner.channel
    for person in set(case.stakeholder_ids) - set(sub.case.stakeholder_ids):
        if case.channel_id:
            best_effort(sub.components, case, "invite_sponsor", partial(channel.invite, case, person))


def announce(sub: Submission, answers: Answers, case: Escalation) -> Message:
    return render_message(
        "classified.json.j2",
        case=case_context(case),
        actor=sub.actor,
        reclassified=sub.case.kind is not None,
        reason=UserText(answers.text(Field.REASON)),
    )


SPEC = FlowSpec(
    flow=FLOW,
    refusal_field=Field.CATEGORY,
    check=check,
    apply=apply,
    before=invite_the_sponsor,
    announce=announce,
)

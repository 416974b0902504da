"""Close: needs a resolved case and an RCA (or a reason why none); asks for the customer's satisfaction."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from assistant.components import Components
from assistant.content.i18n import N_, _
from assistant.domain.intake import LINK_LABELS, LinkKind
from assistant.domain.lifecycle import Task, close_refusal, needs_no_sponsorship
from assistant.ids import CaseAction, ViewId
from assistant.listeners.case_flow import (
    Answers,
    CaseRef,
    FlowSpec,
    FlowStart,
    Submission,
    best_effort,
    in_their_language,
    open_case_modal,
    option_value,
    parse_ref,
    say,
    text_value,
)
from assistant.listeners.case_middleware import case_task
from assistant.listeners.customer_side import survey_for
from assistant.models import Escalation
from assistant.presenters.case_context import case_context
from assistant.rendering.escape import UserText
from assistant.rendering.render import Message, render_message, render_view
from assistant.services import lifecycle
from assistant.services.satisfaction import record_satisfaction

# flows/close.yml
FLOW = "close"


class Field(StrEnum):
    SERVICE_CONFIRMED = "service_confirmed"
    RECORDS_CLOSED = "records_closed"
    RCA_SHARED_BY = "rca_shared_by"
    HANDLED_BETTER = "handled_better"
    IMPROVEMENT_AREA = "improvement_area"
    IMPROVEMENT = "improvement"
    NO_RCA_REASON = "no_rca_reason"
    SPONSORSHIP = "sponsorship"
    SPONSOR = "sponsor"
    SCORE = "score"
    COMMENT = "comment"


# Where an improvement that would prevent escalations like this one lies (the handling review).
IMPROVEMENT_AREAS = [
    {"value": "product", "label": N_("close.area_product")},
    {"value": "training", "label": N_("close.area_training")},
    {"value": "process", "label": N_("close.area_process")},
    {"value": "none", "label": N_("close.area_none")},
]

SCORES = [
    {"value": str(n), "label": label}
    for n, label in [
        (5, N_("close.5_very_satisfied")),
        (4, "4"),
        (3, "3"),
        (2, "2"),
        (1, N_("close.1_very_dissatisfied")),
    ]
]


# The related records the customer raised, which must be closed before the case is.
CLOSABLE_RECORDS = (LinkKind.TICKET, LinkKind.PROBLEM_RECORD)


def records_to_close(case: Escalation) -> list[dict[str, Any]]:
    return [
        {"label": _(LINK_LABELS[LinkKind(kind)]), "url": UserText(url)}
        for kind, url in case.links
        if kind in {k.value for k in CLOSABLE_RECORDS}
    ]


def sponsor_of_case(case: Escalation) -> str | None:
    return case.stakeholder_ids[0] if case.stakeholder_ids else None


def open_flow(start: FlowStart) -> None:
    components = start.components
    case = start.case
    has_rca = lifecycle.latest_rca(components.engine, case.id or 0) is not None
    practice = components.content.practice
    refusal = close_refusal(case.key, practice.playbook(case.category), has_rca)
    if refusal:
        say(start.respond, _(refusal))
        return
    open_case_modal(
        start,
        "close_modal.json.j2",
        Field,
        # The resolution checklist: what is still to confirm (each asked only when it applies).
        confirm_service=not case.customer_confirmed,
        records=records_to_close(case),
        rca_shared_by=case.owner_id,
        improvement_areas=[{**a, "label": _(a["label"])} for a in IMPROVEMENT_AREAS],
        has_rca=has_rca,
        offer_sponsorship=not needs_no_sponsorship(case.triggers, case.stakeholder_ids, practice),
        # The executives involved were named as stakeholders: the first one is the likely sponsor.
        sponsor=sponsor_of_case(case),
        archive=components.settings.archive_on_close,
    )


def check(sub: Submission, answers: Answers) -> dict[str, str]:
    errors = {}
    has_rca = lifecycle.latest_rca(sub.components.engine, sub.ref.case_id) is not None
    if not answers.text(Field.NO_RCA_REASON) and not has_rca:
        errors[Field.NO_RCA_REASON.value] = _("close.say_why_case_needs_no_root_cause")
    if answers.get(Field.IMPROVEMENT_AREA) not in (None, *(a["value"] for a in IMPROVEMENT_AREAS)):
        errors[Field.IMPROVEMENT_AREA.value] = _("close.choose_improvement_area")
    area = answers.get(Field.IMPROVEMENT_AREA)
    if area and area != "none" and not answers.text(Field.IMPROVEMENT):
        errors[Field.IMPROVEMENT.value] = _("close.propose_improvement")
    if answers.get(Field.SPONSORSHIP) and not answers.get(Field.SPONSOR):
        errors[Field.SPONSOR.value] = _("close.name_executive_sponsor_untick")
    return errors


def sponsor_named(answers: Answers) -> str | None:
    return answers.get(Field.SPONSOR) if answers.get(Field.SPONSORSHIP) else None


def apply(sub: Submission, answers: Answers) -> Escalation:
    components = sub.components
    return lifecycle.close(
        components.engine,
        sub.ref.case_id,
        rules=sub.rules,
        team_answers=answers.teams(),
        policy=components.reminder_policy,
        actor_id=sub.actor,
        no_rca_reason=answers.text(Field.NO_RCA_REASON) or None,
        sponsor_id=sponsor_named(answers),
        checklist=lifecycle.ClosingChecklist(
            service_confirmed=bool(answers.get(Field.SERVICE_CONFIRMED)),
            records_closed=[r["label"] for r in records_to_close(sub.case)]
            if answers.get(Field.RECORDS_CLOSED)
            else [],
            rca_shared_by=answers.get(Field.RCA_SHARED_BY),
        ),
        review=lifecycle.HandlingReview(
            handled_better=answers.text(Field.HANDLED_BETTER),
            area=answers.get(Field.IMPROVEMENT_AREA) or "",
            improvement=answers.text(Field.IMPROVEMENT),
        )
        if Field.HANDLED_BETTER.value in answers.view["state"]["values"]
        else None,
        survey=survey_for(components, sub.case),
        practice=components.content.practice,
    )


def announce(sub: Submission, answers: Answers, case: Escalation) -> Message:
    return render_message(
        "closed.json.j2",
        case=case_context(case),
        actor=sub.actor,
        # Closed with an RCA, or with the reason why none (lifecycle.close keeps one of them).
        has_rca=case.no_rca_reason is None,
        no_rca_reason=UserText(case.no_rca_reason),
        sponsor=sponsor_named(answers),
    )


def ask_satisfaction_and_archive(sub: Submission, answers: Answers, closed: Escalation) -> None:
    """The feed hears how the case ended; the reporter is asked for their satisfaction; the
    channel is archived if the team wants it so."""
    components = sub.components
    channel = components.provisioner.channel
    notice = render_message(
        "closed_feed.json.j2", case=case_context(closed), has_rca=closed.no_rca_reason is None
    )
    best_effort(components, closed, "feed_closing_notice", lambda: channel.post_to_feed(notice))
    with channel.language_of(closed.reporter_id):
        question = render_message(
            "satisfaction_request.json.j2",
            case=case_context(closed),
            action_id=CaseAction.SATISFACTION.value,
        )
    best_effort(
        components, closed, "satisfaction_request", lambda: channel.post(closed.reporter_id, question)
    )
    if closed.canvas_id:  # the canvas, the case's record, says how it ended before the archive
        components.provisioner.canvas.bring_up_to_date(closed.id or 0)
    if components.settings.archive_on_close and closed.channel_id:
        channel_id = closed.channel_id
        best_effort(
            components,
            closed,
            "archive_channel",
            lambda: components.client.conversations_archive(channel=channel_id),
        )


SPEC = FlowSpec(
    flow=FLOW,
    refusal_field=Field.NO_RCA_REASON,
    # The close rule itself is checked where the modal opens and, in the transaction, by
    # lifecycle.close: its refusal (the case changed meanwhile) replaces the modal.
    refusal_notice=N_("close.not_closed"),
    check=check,
    apply=apply,
    announce=announce,
    then=ask_satisfaction_and_archive,
)


def register(app: App, components: Components) -> None:
    """The customer's satisfaction, asked once the case is closed: its button and its form."""

    @app.action(CaseAction.SATISFACTION.value)
    @case_task(components, Task.RECORD_SATISFACTION)
    @in_their_language(components.people)
    def handle_record_satisfaction(body: dict[str, Any], client: WebClient, case: Escalation) -> None:
        """Open the form for the customer's answer (the reporter, owner or a manager)."""
        # One answer per case: once recorded, the form shows it, to be corrected if need be.
        client.views_open(
            trigger_id=body["trigger_id"],
            view=render_view(
                "satisfaction_modal.json.j2",
                callback_id=ViewId.SATISFACTION.value,
                metadata=CaseRef(case_id=case.id or 0).dump(),
                case=case_context(case),
                field=Field,
                scores=[{**score, "label": _(score["label"])} for score in SCORES],
                recorded=str(case.satisfaction_score) if case.satisfaction_score else None,
                comment=UserText(case.satisfaction_comment or ""),
            ),
        )

    @app.view(ViewId.SATISFACTION.value)
    @in_their_language(components.people)
    def handle_satisfaction_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Record the score and comment, and thank the person in the modal."""
        ref = parse_ref(view)
        score = option_value(view, Field.SCORE)
        if ref is None or score not in {"1", "2", "3", "4", "5"}:
            ack(response_action="errors", errors={Field.SCORE.value: _("close.choose_customer_score")})
            return
        case, before = record_satisfaction(
            components.engine,
            ref.case_id,
            actor_id=body["user"]["id"],
            score=int(score or 0),
            comment=text_value(view, Field.COMMENT),
        )
        said = (
            _("close.corrected_score_out_5_before", score=score, before=before)
            if before
            else _("close.recorded_score_out_5", score=score)
        )
        ack(
            response_action="update",
            view=render_view("notice_modal.json.j2", title=_("close.thank_you"), text=said),
        )
        # The card shows it while the channel is open; an archived one is left as it was.
        components.provisioner.channel.refresh(case)
        components.home.refresh_for(case)

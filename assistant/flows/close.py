"""Close: needs a resolved case and an RCA (or a reason why none); asks for the customer's satisfaction."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from assistant.domain.lifecycle import Action, close_refusal, needs_no_sponsorship
from assistant.flows.case_flow import (
    CaseFlows,
    CaseRef,
    FlowStart,
    field_value,
    open_case_modal,
    option_value,
    parse_ref,
    read_submission,
    say,
    text_value,
)
from assistant.ids import CaseAction, ViewId
from assistant.messages.case_context import case_context
from assistant.messages.escape import UserText
from assistant.messages.render import render_message, render_view
from assistant.models import Escalation
from assistant.services import lifecycle
from assistant.services.cases import get_case
from assistant.services.satisfaction import record_satisfaction


class Field(StrEnum):
    NO_RCA_REASON = "no_rca_reason"
    SPONSORSHIP = "sponsorship"
    SPONSOR = "sponsor"
    SCORE = "score"
    COMMENT = "comment"


SCORES = [
    {"value": str(n), "label": label}
    for n, label in [(5, "5 · very satisfied"), (4, "4"), (3, "3"), (2, "2"), (1, "1 · very dissatisfied")]
]


def sponsor_of_case(case: Escalation) -> str | None:
    return case.stakeholder_ids[0] if case.stakeholder_ids else None


def register(app: App, flows: CaseFlows) -> None:
    components = flows.components
    settings = components.settings

    def open_close(start: FlowStart) -> None:
        case = start.case
        has_rca = lifecycle.latest_rca(components.engine, case.id or 0) is not None
        refusal = close_refusal(case.key, case.category, has_rca)
        if refusal:
            say(start.respond, refusal)
            return
        open_case_modal(
            start,
            "close_modal.json.j2",
            ViewId.CLOSE,
            Field,
            has_rca=has_rca,
            offer_sponsorship=not needs_no_sponsorship(case.triggers, case.stakeholder_ids),
            # The executives involved were named as stakeholders: the first one is the likely sponsor.
            sponsor=sponsor_of_case(case),
            archive=settings.archive_on_close,
        )

    flows.register(Action.CLOSE, open_close)

    @app.view(ViewId.CLOSE.value)
    def handle_close_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Close, post the final summary, ask for satisfaction, archive the channel."""
        sub = read_submission(flows, body, view, Action.CLOSE)
        if sub is None:
            ack()
            return
        ref, actor, case = sub.ref, sub.actor, sub.case
        has_rca = lifecycle.latest_rca(components.engine, ref.case_id) is not None
        reason = text_value(view, Field.NO_RCA_REASON) or None
        sponsorship = bool(field_value(view, Field.SPONSORSHIP).get("selected_options"))
        sponsor = field_value(view, Field.SPONSOR).get("selected_user") if sponsorship else None
        refusal = sub.refusal or close_refusal(case.key, case.category, has_rca)
        if refusal:
            ack(
                response_action="update",
                view=render_view("notice_modal.json.j2", title="Not closed", text=refusal),
            )
            return
        errors = {}
        if not has_rca and not reason:
            errors[Field.NO_RCA_REASON.value] = "Say why this case needs no root-cause analysis."
        if sponsorship and not sponsor:
            errors[Field.SPONSOR.value] = "Name the executive sponsor, or untick the enrolment."
        if errors:
            ack(response_action="errors", errors=errors)
            return
        try:
            closed = lifecycle.close(
                components.engine,
                ref.case_id,
                policy=components.reminder_policy,
                actor_id=actor,
                no_rca_reason=reason,
                sponsor_id=sponsor,
            )
        except lifecycle.ActionRefused as exc:
            ack(
                response_action="update",
                view=render_view("notice_modal.json.j2", title="Not closed", text=str(exc)),
            )
            return
        ack()
        context = case_context(closed)
        flows.after_change(
            closed,
            render_message(
                "closed.json.j2",
                case=context,
                actor=actor,
                has_rca=has_rca,
                no_rca_reason=UserText(reason),
                sponsor=sponsor,
            ),
        )
        channel = components.provisioner.channel
        question = render_message(
            "satisfaction_request.json.j2", case=context, action_id=CaseAction.SATISFACTION.value
        )
        flows.best_effort(closed, "satisfaction_request", lambda: channel.post(closed.reporter_id, question))
        if settings.archive_on_close and closed.channel_id:
            channel_id = closed.channel_id
            flows.best_effort(
                closed, "archive_channel", lambda: components.client.conversations_archive(channel=channel_id)
            )

    @app.action(CaseAction.SATISFACTION.value)
    def handle_record_satisfaction(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        """Open the form for the customer's answer (the reporter, owner or a manager)."""
        ack()
        case_id = int(action.get("value") or 0)
        case = get_case(components.engine, case_id)
        actor = body["user"]["id"]
        if actor not in {case.reporter_id, case.owner_id, *settings.escalation_manager_ids}:
            say(
                respond,
                "Only the person who reported the case, its owner or an escalation manager can record this.",
            )
            return
        # One answer per case: once recorded, the form shows it, to be corrected if need be.
        client.views_open(
            trigger_id=body["trigger_id"],
            view=render_view(
                "satisfaction_modal.json.j2",
                callback_id=ViewId.SATISFACTION.value,
                metadata=CaseRef(case_id=case_id).dump(),
                case=case_context(case),
                field=Field,
                scores=SCORES,
                recorded=str(case.satisfaction_score) if case.satisfaction_score else None,
                comment=UserText(case.satisfaction_comment or ""),
            ),
        )

    @app.view(ViewId.SATISFACTION.value)
    def handle_satisfaction_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Record the score and comment, and thank the person in the modal."""
        ref = parse_ref(view)
        score = option_value(view, Field.SCORE)
        if ref is None or score not in {"1", "2", "3", "4", "5"}:
            ack(response_action="errors", errors={Field.SCORE.value: "Choose the customer's score."})
            return
        case, before = record_satisfaction(
            components.engine,
            ref.case_id,
            actor_id=body["user"]["id"],
            score=int(score or 0),
            comment=text_value(view, Field.COMMENT),
        )
        said = f"Corrected: {score} out of 5 (was {before})." if before else f"Recorded: {score} out of 5."
        ack(response_action="update", view=render_view("notice_modal.json.j2", title="Thank you", text=said))
        # The card shows it while the channel is open; an archived channel is left as it was.
        flows.components.provisioner.channel.refresh(case, unarchive=False)
        components.home.refresh_for(case)

"""The CSM's answer to a signal of the 24-hour judgement tier: Escalate (the intake, prefilled with
the account and the signal) or Not now (with a reason, kept and counted)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from assistant.components import Components
from assistant.content.i18n import N_, _
from assistant.domain.judgement import Concern, JudgementRules
from assistant.ids import CaseAction, ViewId
from assistant.jobs.judgement import concern_words
from assistant.listeners.case_flow import answer_privately, in_their_language, say, text_value
from assistant.listeners.intake import AccountPrefill, IntakeMetadata, intake_modal
from assistant.models import Account, JudgementRequest
from assistant.rendering.render import render_view
from assistant.services import judgement

# The form a judgement DM's button opens for a signal still waiting: (components, the signal,
# its account) -> the view.
SignalForm = Callable[[Components, JudgementRequest, Account], dict[str, Any]]


class Field(StrEnum):
    REASON = "reason"


class RequestRef(BaseModel):
    request_id: int


def prefill(request: JudgementRequest, account: Account, rules: JudgementRules) -> AccountPrefill:
    value = f"{account.currency} {account.contract_value}" if account.contract_value is not None else ""
    contacts = "\n".join(
        f"{c['name']} <{c['email']}>" + (f", {c['role']}" if c.get("role") else "") for c in account.contacts
    )
    return AccountPrefill(
        name=account.name,
        value=value.strip(),
        category=rules.suggests.get(request.concern),
        contacts=contacts,
        language=account.language,
        zone=account.tz,
    )


def unanswered(
    components: Components, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
) -> tuple[JudgementRequest, Account] | None:
    """The signal a button is about, if it still waits for an answer (else the CSM is told why)."""
    respond = answer_privately(respond, client, body["user"]["id"])
    found = judgement.request(components.engine, int(action.get("value") or 0))
    if found is None:
        say(respond, _("judgement.signal_no_longer_exists"))
        return None
    if found[0].answered_at is not None:
        say(respond, _("judgement.already_answered_answer", answer=_(ANSWERS.get(found[0].answer or "", ""))))
        return None
    return found


def escalate_form(components: Components, request: JudgementRequest, account: Account) -> dict[str, Any]:
    """Escalate: the intake, prefilled with the account and what the signal saw."""
    rules = components.content.practice.judgement
    words = concern_words(request, account, rules, escape=lambda text, limit: text[:limit])
    return intake_modal(
        metadata=IntakeMetadata(judgement_request_id=request.id),
        ack_within_minutes=components.settings.ack_within_minutes,
        summary=_(CONCERN_SUMMARIES[Concern(request.concern)]),
        description=f"{words['what']}\n{words['why']}",
        account=prefill(request, account, rules),
        content=components.content,
    )


def decline_form(components: Components, request: JudgementRequest, account: Account) -> dict[str, Any]:
    """Not now: a form asking why (the digest counts the reasons)."""
    return render_view(
        "judgement_decline_modal.json.j2",
        callback_id=ViewId.JUDGEMENT_DECLINE.value,
        metadata=RequestRef(request_id=request.id or 0).model_dump_json(),
        what=concern_words(request, account, components.content.practice.judgement)["what"],
        field=Field,
    )


def decline_answer(components: Components, body: dict[str, Any], view: dict[str, Any]) -> dict[str, Any]:
    """The decline recorded (when it has a reason); returns what to acknowledge the form with."""
    reason = text_value(view, Field.REASON)
    if not reason:
        return {
            "response_action": "errors",
            "errors": {Field.REASON.value: _("judgement.say_why_digest_counts")},
        }
    try:
        ref = RequestRef.model_validate_json(view.get("private_metadata") or "{}")
    except ValidationError:
        return {}
    recorded = judgement.answer(
        components.engine, ref.request_id, user_id=body["user"]["id"], escalated=False, reason=reason
    )
    said = (
        _("judgement.recorded_no_escalation_now")
        if recorded
        else _("judgement.someone_answered_signal_already")
    )
    return {
        "response_action": "update",
        "view": render_view("notice_modal.json.j2", title=_("judgement.not_now_reason"), text=said),
    }


def on_a_signal(components: Components, form: SignalForm) -> Callable[..., None]:
    """A judgement DM's button: answered at once, then `form` opened for the signal it is about,
    if it still waits for an answer (else the CSM is told why)."""

    def listener(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        found = unanswered(components, body, action, client, respond)
        if found is not None:
            client.views_open(trigger_id=body["trigger_id"], view=form(components, *found))

    return in_their_language(components.people)(listener)


def register(app: App, components: Components) -> None:
    app.action(CaseAction.JUDGEMENT_ESCALATE.value)(on_a_signal(components, escalate_form))
    app.action(CaseAction.JUDGEMENT_DECLINE.value)(on_a_signal(components, decline_form))

    @app.view(ViewId.JUDGEMENT_DECLINE.value)
    @in_their_language(components.people)
    def handle_decline_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        # The reason is recorded before Slack is answered: the form's answer says whether it was.
        ack(**decline_answer(components, body, view))


ANSWERS = {judgement.ESCALATED: N_("judgement.escalated"), judgement.DECLINED: N_("judgement.not_now")}
CONCERN_SUMMARIES = {
    Concern.HEALTH_DROP: N_("judgement.health_score_fell_below_threshold"),
    Concern.DECISION_MAKER_LOST: N_("judgement.decision_maker_lost"),
    Concern.QBRS_MISSED: N_("judgement.qbrs_missed_row"),
}

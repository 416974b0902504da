"""Approvals (seed 004): where the playbook asks for one (a concession to the customer; an
enterprise customer's RCA), the approvers get a DM with Approve and Reject and decide with a
reason. Nothing stands or goes out before; a concession stands, or an RCA goes out, once approved."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ValidationError
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from assistant.components import Components
from assistant.content.i18n import _, current_locale
from assistant.domain.approvals import ApprovalRule, Subject, approvers
from assistant.domain.money import format_money
from assistant.ids import CaseAction, ViewId
from assistant.listeners.case_flow import best_effort, in_their_language, text_value
from assistant.models import Approval, Escalation
from assistant.presenters.case_context import case_context
from assistant.rendering.escape import UserText
from assistant.rendering.render import Message, render_message, render_view
from assistant.services import approvals as stored
from assistant.services import lifecycle
from assistant.services.cases import CaseNotFound, get_case
from assistant.slack.client import SLACK_ERRORS, error_code

logger = logging.getLogger(__name__)

REASON = "reason"


def approvers_for(
    components: Components, subject: Subject, case: Escalation, requester: str
) -> stored.Approvers | None:
    """Who decides `subject` on `case` (None: the playbook asks no approval of it, or not for this
    account): the groups' members, else the escalation managers; never the one who asked unless no
    one else could. A private case's text goes only to its own people and the escalation managers,
    so other group members are left out of it. Asked within Slack's 3 seconds (the quick client):
    if Slack cannot say, the escalation managers decide."""
    rule: ApprovalRule | None = components.content.practice.approvals.get(subject.value)
    if rule is None or not rule.applies_to(case.account_value):
        return None
    managers = components.settings.escalation_manager_ids
    members: list[str] = []
    for handle in rule.groups:
        try:
            members += components.provisioner.groups.members(handle, components.quick_client) or []
        except SLACK_ERRORS as exc:
            logger.warning(
                "%s: the approvers' group @%s was not read (%s)", case.key, handle, error_code(exc)
            )
    if case.is_private:
        allowed = {case.owner_id, case.reporter_id, *case.stakeholder_ids, *managers}
        members = [p for p in members if p in allowed]
    people, from_groups = approvers(members, managers, requester)
    return stored.Approvers(people, rule.groups if from_groups else ())


def needs_approval(components: Components, subject: Subject, case: Escalation) -> bool:
    rule = components.content.practice.approvals.get(subject.value)
    return rule is not None and rule.applies_to(case.account_value)


def approver_words(by: stored.Approvers) -> str:
    """The approvers as others read them: their groups, else each of them."""
    if by.groups:
        return ", ".join(f"@{g}" for g in by.groups)
    return ", ".join(f"<@{p}>" for p in by.people)


def concession_words(
    components: Components, kind: str, value: str, amount: int | None, currency: str | None
) -> dict[str, Any]:
    return {
        "kind": _(components.content.practice.concession_kinds.get(kind, kind)),
        "value": UserText(value),
        "money": format_money(amount, currency, current_locale()) if amount is not None else None,
    }


def ask_approvers(components: Components, case: Escalation, approval_id: int) -> None:
    """Each approver's DM, in their language, with Approve and Reject (posted once each)."""
    found = stored.approval(components.engine, approval_id)
    if found is None:
        return
    channel = components.provisioner.channel
    for person in found.approvers:
        with channel.language_of(person):
            message = request_message(components, case, found)
        channel.post_once(f"approval:{approval_id}:{person}", person, message, case_id=case.id)


def request_message(components: Components, case: Escalation, approval: Approval) -> Message:
    context: dict[str, Any] = {}
    if approval.subject == Subject.CONCESSION:
        concession = stored.concession(components.engine, approval.subject_id)
        if concession is not None:
            context = {
                "concession": concession_words(
                    components, concession.kind, concession.value, concession.amount, concession.currency
                ),
                "reason": UserText(concession.reason),
            }
    else:
        rca = lifecycle.latest_rca(components.engine, case.id or 0)
        context = {"customer_rca": UserText(rca[0].customer_text) if rca else UserText("")}
    return render_message(
        "approval_request.json.j2",
        case=case_context(case),
        requester=approval.requested_by,
        approval_id=approval.id,
        subject=approval.subject,
        actions={"approve": CaseAction.APPROVE.value, "reject": CaseAction.REJECT.value},
        **context,
    )


class DecisionRef(BaseModel):
    """The decision form's private_metadata: which approval, and which button opened it."""

    approval_id: int
    approve: bool


def decision_form(approval: Approval, approve: bool) -> dict[str, Any]:
    return render_view(
        "approval_decision_modal.json.j2",
        callback_id=ViewId.APPROVAL_DECISION.value,
        metadata=DecisionRef(approval_id=approval.id, approve=approve).model_dump_json(),
        approve=approve,
    )


def register(app: App, components: Components) -> None:
    def open_decision(approve: bool) -> Any:
        @in_their_language(components.people)
        def listener(
            ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
        ) -> None:
            ack()
            value = str(action.get("value") or "")
            found = stored.approval(components.engine, int(value)) if value.isdigit() else None
            if found is None:
                respond(
                    text=_("approvals.no_longer_exists"), response_type="ephemeral", replace_original=False
                )
                return
            client.views_open(trigger_id=body["trigger_id"], view=decision_form(found, approve))

        return listener

    app.action(CaseAction.APPROVE.value)(open_decision(True))
    app.action(CaseAction.REJECT.value)(open_decision(False))

    @app.view(ViewId.APPROVAL_DECISION.value)
    @in_their_language(components.people)
    def handle_decision(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            ref = DecisionRef.model_validate_json(view.get("private_metadata") or "{}")
        except ValidationError:
            ack()
            return
        reason = text_value(view, REASON)
        if not ref.approve and not reason:
            ack(response_action="errors", errors={REASON: _("approvals.say_why_rejected")})
            return
        actor = body["user"]["id"]
        decided = stored.decide(
            components.engine, ref.approval_id, actor_id=actor, approved=ref.approve, reason=reason
        )
        if isinstance(decided, str):
            found = stored.approval(components.engine, ref.approval_id)
            by = approver_words(stored.Approvers(found.approvers, found.groups)) if found else ""
            ack(response_action="errors", errors={REASON: _(decided, approvers=by)})
            return
        ack()
        try:
            case = get_case(components.engine, decided.case.id or 0)
        except CaseNotFound:
            return
        if decided.approval.subject == Subject.CUSTOMER_RCA and ref.approve:
            components.customer.wake()
        components.after_change(case, decided_message(components, case, decided.approval))


def decided_message(components: Components, case: Escalation, approval: Approval) -> Message:
    concession = (
        stored.concession(components.engine, approval.subject_id)
        if approval.subject == Subject.CONCESSION
        else None
    )
    return render_message(
        "approval_decided.json.j2",
        case=case_context(case),
        actor=approval.decided_by,
        approved=approval.state == "approved",
        subject=approval.subject,
        reason=UserText(approval.reason or ""),
        concession=(
            concession_words(
                components, concession.kind, concession.value, concession.amount, concession.currency
            )
            if concession
            else None
        ),
    )


def pending_words(approval: Approval | None) -> str | None:
    return approver_words(stored.Approvers(approval.approvers, approval.groups)) if approval else None


def ask_the_approvers(key: str) -> Any:
    """A flow's `then` hook: the approval its change asked for (kept among the answers under `key`)
    sent to each approver."""

    def hook(sub: Any, answers: Any, case: Escalation) -> None:
        approval_id = answers.get(key)
        if approval_id:
            best_effort(
                sub.components,
                case,
                "ask_approvers",
                lambda: ask_approvers(sub.components, case, approval_id),
            )

    return hook

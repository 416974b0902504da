"""A concession to the customer (a service credit, an extension), recorded with its value; where
the playbook asks for an approval, it stands only once an approver approves it (listeners/approvals.py)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP

from assistant.components import Components
from assistant.content.i18n import _
from assistant.domain.approvals import Subject
from assistant.domain.money import parse_money
from assistant.listeners.approvals import approvers_for, ask_the_approvers, concession_words, pending_words
from assistant.listeners.case_flow import Answers, FlowSpec, FlowStart, Submission, open_case_modal
from assistant.models import Escalation
from assistant.presenters.case_context import case_context
from assistant.rendering.escape import UserText
from assistant.rendering.render import Message, render_message
from assistant.services import approvals as stored
from assistant.services import lifecycle

# flows/concession.yml
FLOW = "concession"
# Where the approval asked for is kept among the answers, for the DMs after the change.
APPROVAL = "approval_id"


class Field:
    KIND = "kind"
    VALUE = "value"
    AMOUNT = "amount"
    REASON = "reason"


def kinds(components: Components) -> list[dict[str, str]]:
    return [
        {"value": k, "label": _(label)} for k, label in components.content.practice.concession_kinds.items()
    ]


def open_flow(start: FlowStart) -> None:
    components = start.components
    rule = components.content.practice.approvals.get(Subject.CONCESSION.value)
    if rule is not None and not rule.applies_to(start.case.account_value):
        rule = None  # not for an account of this size
    open_case_modal(
        start,
        "concession_modal.json.j2",
        Field,
        kinds=kinds(components),
        approvers=", ".join(f"@{g}" for g in rule.groups) if rule and rule.groups else None,
        approval=rule is not None,
    )


def amount_of(answers: Answers, case: Escalation) -> tuple[int | None, str | None]:
    money = parse_money(answers.text(Field.AMOUNT), case.account_currency or "USD")
    if money is None:
        return None, None
    return int(money.amount.to_integral_value(rounding=ROUND_HALF_UP)), money.currency


def check(sub: Submission, answers: Answers) -> dict[str, str]:
    errors = {}
    if answers.get(Field.KIND) not in sub.components.content.practice.concession_kinds:
        errors[Field.KIND] = _("concessions.choose_kind")
    try:
        amount_of(answers, sub.case)
    except ValueError:
        errors[Field.AMOUNT] = _("concessions.amount_as_number")
    return errors


def apply(sub: Submission, answers: Answers) -> Escalation:
    amount, currency = amount_of(answers, sub.case)
    case, approval_id = lifecycle.record_concession(
        sub.components.engine,
        sub.ref.case_id,
        actor_id=sub.actor,
        concession=stored.ConcessionInput(
            kind=str(answers.get(Field.KIND)),
            value=answers.text(Field.VALUE),
            amount=amount,
            currency=currency,
            reason=answers.text(Field.REASON),
        ),
        approval_by=approvers_for(sub.components, Subject.CONCESSION, sub.case, sub.actor),
        rules=sub.rules,
        team_answers=answers.teams(),
    )
    answers.replace(APPROVAL, approval_id)
    return case


def announce(sub: Submission, answers: Answers, case: Escalation) -> Message:
    amount, currency = amount_of(answers, case)
    found = stored.approval(sub.components.engine, answers.get(APPROVAL)) if answers.get(APPROVAL) else None
    return render_message(
        "concession_recorded.json.j2",
        case=case_context(case),
        actor=sub.actor,
        concession=concession_words(
            sub.components, str(answers.get(Field.KIND)), answers.text(Field.VALUE), amount, currency
        ),
        reason=UserText(answers.text(Field.REASON)),
        waits_for=pending_words(found),
    )


SPEC = FlowSpec(
    flow=FLOW,
    refusal_field=Field.REASON,
    check=check,
    apply=apply,
    announce=announce,
    then=ask_the_approvers(APPROVAL),
)

"""Affected accounts added as the problem spreads: listed on the case, each one's CSM told, its
contacts sent the customer updates from then on (each account by itself)."""

from __future__ import annotations

from enum import StrEnum

from assistant.content.i18n import _
from assistant.listeners.case_flow import (
    Answers,
    FlowSpec,
    FlowStart,
    Submission,
    open_case_modal,
)
from assistant.models import Escalation
from assistant.presenters.case_context import case_context
from assistant.rendering.render import Message, render_message
from assistant.services import accounts, cases
from assistant.services.cases import get_case

# flows/affected_accounts.yml
FLOW = "affected_accounts"


class Field(StrEnum):
    ACCOUNTS = "affected_accounts"


# The names added by this submission, kept among the answers for the announcement.
ADDED = "added"


def open_flow(start: FlowStart) -> None:
    facts = accounts.account_facts(start.components.engine, start.case) or {}
    open_case_modal(start, "accounts_modal.json.j2", Field, account=facts)


def check(sub: Submission, answers: Answers) -> dict[str, str]:
    unknown = accounts.unknown(sub.components.engine, answers.get(Field.ACCOUNTS) or [])
    if unknown:  # chosen from the directory, then removed from it while the modal was open
        return {
            Field.ACCOUNTS.value: _(
                "affected_accounts.names_no_longer_account_directory", names=", ".join(unknown)
            )
        }
    return {}


def apply(sub: Submission, answers: Answers) -> Escalation:
    engine = sub.components.engine
    added = cases.add_affected(
        engine, sub.ref.case_id, answers.get(Field.ACCOUNTS) or [], sub.actor, team_answers=answers.teams()
    )
    answers.replace(ADDED, [a.name for a in added])
    return get_case(engine, sub.ref.case_id)


def announce(sub: Submission, answers: Answers, case: Escalation) -> Message:
    return render_message(
        "accounts_added.json.j2",
        case=case_context(case),
        actor=sub.actor,
        added=answers.get(ADDED) or [],
        account=accounts.account_facts(sub.components.engine, case) or {},
    )


def tell_their_csms(sub: Submission, answers: Answers, case: Escalation) -> None:
    if answers.get(ADDED):
        sub.components.provisioner.provision(case.id or 0)


SPEC = FlowSpec(
    flow=FLOW,
    refusal_field=Field.ACCOUNTS,
    check=check,
    apply=apply,
    announce=announce,
    then=tell_their_csms,
)

"""Affected accounts added as the problem spreads: listed on the case, each one's CSM told, its
contacts sent the customer updates from then on (each account by itself). The modal shows those
listed already: one taken out of it is taken off the case (on the timeline)."""

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
from assistant.rendering.escape import plain
from assistant.rendering.render import Message, render_message
from assistant.services import accounts, cases
from assistant.services.cases import get_case

# flows/affected_accounts.yml
FLOW = "affected_accounts"


class Field(StrEnum):
    ACCOUNTS = "affected_accounts"


# The names added and taken off by this submission, kept among the answers for the announcement.
ADDED = "added"
REMOVED = "removed"


def open_flow(start: FlowStart) -> None:
    facts = accounts.account_facts(start.components.engine, start.case) or {}
    # As the directory's options name them (an option's value, its name; its text, 75 characters).
    listed = [
        {"value": plain(a["name"])[:150], "label": plain(a["name"], 75)} for a in facts.get("affected", [])
    ]
    open_case_modal(start, "accounts_modal.json.j2", Field, account=facts, listed=listed)


def listed_names(sub: Submission) -> list[str]:
    return accounts.affected_names(sub.components.engine, [sub.ref.case_id]).get(sub.ref.case_id, [])


def check(sub: Submission, answers: Answers) -> dict[str, str]:
    chosen = answers.get(Field.ACCOUNTS) or []
    if not chosen and not listed_names(sub):
        return {Field.ACCOUNTS.value: _("affected_accounts.choose_at_least_one_account")}
    unknown = accounts.unknown(sub.components.engine, [n for n in chosen if n not in listed_names(sub)])
    if unknown:  # chosen from the directory, then removed from it while the modal was open
        return {
            Field.ACCOUNTS.value: _(
                "affected_accounts.names_no_longer_account_directory", names=", ".join(unknown)
            )
        }
    return {}


def apply(sub: Submission, answers: Answers) -> Escalation:
    engine = sub.components.engine
    chosen = answers.get(Field.ACCOUNTS) or []
    kept = {name.casefold() for name in chosen}
    added, removed = cases.add_affected(
        engine,
        sub.ref.case_id,
        chosen,
        sub.actor,
        team_answers=answers.teams(),
        removed=[name for name in listed_names(sub) if name.casefold() not in kept],
    )
    answers.replace(ADDED, [a.name for a in added])
    answers.replace(REMOVED, removed)
    return get_case(engine, sub.ref.case_id)


def announce(sub: Submission, answers: Answers, case: Escalation) -> Message:
    return render_message(
        "accounts_added.json.j2",
        case=case_context(case),
        actor=sub.actor,
        added=answers.get(ADDED) or [],
        removed=answers.get(REMOVED) or [],
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

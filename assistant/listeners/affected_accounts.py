"""Affected accounts added as the problem spreads: listed on the case, each one's CSM told, its
contacts sent the customer updates from then on (each account by itself). The modal shows those
listed already: one taken out of it is taken off the case (on the timeline)."""

from __future__ import annotations

from enum import StrEnum

from assistant.content.i18n import _
from assistant.listeners.case_flow import (
    Answers,
    CaseRef,
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


# An account listed already, as the modal offers it: by its id (a name may have changed in the
# directory since, or be longer than an option's value), "listed:<account id>".
LISTED = "listed:"


def open_flow(start: FlowStart) -> None:
    engine = start.components.engine
    facts = accounts.account_facts(engine, start.case) or {}
    shown = accounts.affected_of(engine, start.case.id or 0)
    listed = [{"value": f"{LISTED}{a.id}", "label": plain(a.name, 75)} for a in shown]
    # The modal remembers which it showed: only those taken out of it are taken off the case (one
    # added meanwhile, by someone else or the API, stays).
    ref = CaseRef(case_id=start.case.id or 0, shown=[a.id or 0 for a in shown])
    open_case_modal(start, "accounts_modal.json.j2", Field, ref, account=facts, listed=listed)


def chosen_of(answers: Answers) -> tuple[list[int], list[str]]:
    """(the listed accounts kept, by id; the names chosen from the directory)."""
    values = answers.get(Field.ACCOUNTS) or []
    kept = [
        int(v.removeprefix(LISTED)) for v in values if v.startswith(LISTED) and v[len(LISTED) :].isdigit()
    ]
    return kept, [v for v in values if not v.startswith(LISTED)]


def check(sub: Submission, answers: Answers) -> dict[str, str]:
    kept, names = chosen_of(answers)
    if not kept and not names and not sub.ref.shown:
        return {Field.ACCOUNTS.value: _("affected_accounts.choose_at_least_one_account")}
    unknown = accounts.unknown(sub.components.engine, names)
    if unknown:  # chosen from the directory, then removed from it while the modal was open
        return {
            Field.ACCOUNTS.value: _(
                "affected_accounts.names_no_longer_account_directory", names=", ".join(unknown)
            )
        }
    return {}


def apply(sub: Submission, answers: Answers) -> Escalation:
    engine = sub.components.engine
    kept, names = chosen_of(answers)
    added, removed = cases.add_affected(
        engine,
        sub.ref.case_id,
        names,
        sub.actor,
        team_answers=answers.teams(),
        taken_off=[a for a in sub.ref.shown or [] if a not in kept],
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

"""Opening and reading cases, and their timeline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from assistant.database import session_scope
from assistant.domain.accounts import account_key
from assistant.domain.events import EventKind
from assistant.domain.intake import ValidIntake
from assistant.domain.lifecycle import executive_contact_due
from assistant.domain.practice import CategoryPlaybook, Practice
from assistant.domain.provisioning import Step, steps_for
from assistant.domain.reminders import ReminderPolicy
from assistant.domain.status import Status
from assistant.domain.triggers import trigger_effects
from assistant.models import Account, AffectedAccount, CaseEvent, Escalation, ProvisioningStep, utcnow
from assistant.services.accounts import account_named, accounts_named
from assistant.services.customer import add_contacts, directory_contacts
from assistant.services.events import record_event
from assistant.services.provisioning import rearm_step
from assistant.services.reminders import sync_reminders
from assistant.services.sponsorship import sponsor_of


class CaseNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Opened:
    case: Escalation
    created: bool


def open_case(
    engine: sa.Engine,
    *,
    intake: ValidIntake,
    practice: Practice,
    reporter_id: str,
    team_id: str | None,
    intake_view_id: str,
    origin_channel_id: str | None,
    reply_url: str | None,
    ack_within: timedelta,
    policy: ReminderPolicy | None = None,
    now: datetime | None = None,
    intake_fingerprint: str | None = None,
) -> Opened:
    """Store a new case with its provisioning steps; the same modal submitted twice opens one case.

    Whoever queues its steps first (the app that stored it, or the repair sweep) opens it in Slack.
    `practice`: the playbook's, whose rules the new case gets (its triggers' effects, deadlines).
    """
    now = now or utcnow()
    effects = trigger_effects(practice, intake.triggers, intake.severity)
    playbook = practice.playbook(intake.category)
    case = Escalation(
        team_id=team_id,
        account_name=intake.account,
        account_key=account_key(intake.account),
        account_value=int(intake.account_value.amount) if intake.account_value else None,
        account_currency=intake.account_value.currency if intake.account_value else None,
        summary=intake.summary,
        description=intake.description,
        category=intake.category,
        severity=effects.severity,
        triggers=[t.value for t in intake.triggers],
        is_private=practice.is_sensitive(intake.triggers),
        owner_id=intake.owner_id,
        reporter_id=reporter_id,
        stakeholder_ids=list(intake.stakeholder_ids),
        links=[[kind.value, url] for kind, url in intake.links],
        custom_fields=dict(intake.custom),
        affected_services=list(intake.affected_services),
        tags=list(intake.tags),
        created_at=now,
        updated_at=now,
        ack_due_at=practice.ack_deadline(effects.severity, now, ack_within),
        intake_view_id=intake_view_id,
        intake_fingerprint=intake_fingerprint,
        origin_channel_id=origin_channel_id,
        reply_url=reply_url,
        # Business escalations promise executive contact within 24 hours (DOMAIN.md; the playbook).
        exec_contact_due_at=executive_contact_due(playbook, now),
        first_contact_due_at=practice.first_contact_deadline(effects.severity, now),
        task_force_due_at=practice.task_force_deadline(effects.severity, now),
    )
    try:
        with session_scope(engine) as session:
            account = from_directory(session, case, intake, reporter_id, now)
            sponsor = bring_in_sponsor(session, case, playbook)
            session.add(case)
            session.flush()
            assert case.id is not None
            affected = add_affected_accounts(session, case, intake.affected_accounts, reporter_id, now)
            # One multi-row INSERT: this runs before Slack gets its answer (3-second budget).
            session.execute(
                sa.insert(ProvisioningStep),
                [
                    {"escalation_id": case.id, "step": step.value, "attempts": 0}
                    for step in steps_for(
                        tell_managers=effects.tell_managers,
                        tell_account_csms=any(csm_to_tell(a, case, reporter_id) for a in affected),
                    )
                ],
            )
            sync_reminders(session, case, policy or ReminderPolicy(), new=True)
            record_event(
                session,
                case.id,
                EventKind.OPENED,
                reporter_id,
                owner_id=case.owner_id,
                category=case.category.value,
                severity=case.severity.value,
                triggers=case.triggers,
            )
            if sponsor:
                record_event(session, case.id, EventKind.SPONSOR_INVITED, None, sponsor_id=sponsor)
            contacts = list(intake.contacts) or directory_contacts(account)
            if contacts:
                add_contacts(session, case.id, contacts, reporter_id)
            if effects.notes:
                record_event(
                    session,
                    case.id,
                    EventKind.TRIGGER_EFFECTS,
                    None,
                    severity_raised_from=effects.raised_from.value if effects.raised_from else None,
                    suggested_category=effects.suggested_category.value
                    if effects.suggested_category
                    else None,
                    managers_told=effects.tell_managers,
                )
        return Opened(case, created=True)
    except IntegrityError:
        with Session(engine) as session:
            existing = session.exec(
                select(Escalation).where(Escalation.intake_view_id == intake_view_id)
            ).first()
        if existing is None:
            raise
        return Opened(existing, created=False)


def from_directory(
    session: Session, case: Escalation, intake: ValidIntake, reporter_id: str, now: datetime
) -> Account:
    """The case's account in the directory: what the form left out (the contract value, the
    contacts) comes from it; a name it does not know yet is added, for CS ops to review."""
    account = account_named(session, case.account_name)
    if account is None:
        account = Account(
            name=case.account_name,
            key=case.account_key,
            contract_value=case.account_value,
            currency=case.account_currency,
            needs_review=True,
            created_at=now,
            updated_at=now,
        )
        try:
            with session.begin_nested():  # two first cases of one new account at once: one row
                session.add(account)
        except IntegrityError:
            account = session.exec(select(Account).where(Account.key == case.account_key)).one()
        return account
    # Typed by another name it goes by (an alias, a domain): the case says the directory's name.
    case.account_name, case.account_key = account.name, account.key
    if intake.account_value is None and account.contract_value is not None:
        case.account_value, case.account_currency = account.contract_value, account.currency
    if account.connect_channel_id and not case.connect_channel_id:
        case.connect_channel_id = account.connect_channel_id
        case.connect_channel_name = account.connect_channel_name
    return account


def add_affected_accounts(
    session: Session,
    case: Escalation,
    names: Sequence[str],
    added_by: str | None,
    now: datetime,
    **about: str,
) -> list[Account]:
    """The other accounts the case's problem hits, as the directory knows them, those not listed
    yet (the case's own account, or a name it no longer knows, is left out)."""
    if not names:
        return []  # nothing to look up: no round trip
    listed = set(
        session.exec(select(AffectedAccount.account_id).where(AffectedAccount.escalation_id == case.id))
    )
    found: dict[int, Account] = {}
    for account in accounts_named(session, names).values():
        if account.key != case.account_key and account.id not in listed:
            found.setdefault(account.id or 0, account)
    if found:
        session.execute(
            sa.insert(AffectedAccount),
            [
                {
                    "escalation_id": case.id,
                    "account_id": account_id,
                    "added_by": added_by,
                    "added_at": now,
                    # Nobody to tell (no CSM, or the CSM listed it or opened the case): settled now.
                    "csm_told_at": None if csm_to_tell(account, case, added_by) else now,
                }
                for account_id, account in found.items()
            ],
        )
        names = [a.name for a in found.values()]
        record_event(session, case.id or 0, EventKind.ACCOUNTS_AFFECTED, added_by, accounts=names, **about)
    return list(found.values())


def remove_affected_accounts(
    session: Session, case: Escalation, account_ids: Sequence[int], actor_id: str
) -> list[str]:
    """Accounts listed by mistake, or no longer hit, taken off the case (by id): their contacts
    get no more of its updates. The names of those that were listed, on the timeline."""
    if not account_ids:
        return []
    removed = session.exec(
        sa.delete(AffectedAccount)
        .where(
            col(AffectedAccount.escalation_id) == case.id,
            col(AffectedAccount.account_id).in_(list(account_ids)),
        )
        .returning(col(AffectedAccount.account_id))
    ).all()
    names = {
        a.id: a.name for a in session.exec(select(Account).where(col(Account.id).in_(list(account_ids))))
    }
    gone = [names.get(account_id, str(account_id)) for (account_id,) in removed]
    if gone:
        record_event(session, case.id or 0, EventKind.ACCOUNTS_REMOVED, actor_id, accounts=gone)
    return gone


def csm_to_tell(account: Account, case: Escalation, added_by: str | None) -> bool:
    """Whether an affected account's CSM needs telling: not when there is none, nor when they
    listed it themselves or opened the case."""
    return bool(account.csm_id) and account.csm_id not in (added_by, case.reporter_id)


def add_affected(
    engine: sa.Engine,
    case_id: int,
    names: Sequence[str],
    actor_id: str | None,
    team_answers: Mapping[str, Any] | None = None,
    taken_off: Sequence[int] = (),
    **about: str,
) -> tuple[list[Account], list[str]]:
    """Accounts found hit later (the outage spreads): listed, and their CSMs owed a DM (the
    provisioning step that tells them runs again, for these only); those `taken_off` (ids) off; the
    answers to a team's own questions kept on the timeline with them. What was added, and the
    names of what was taken off."""
    with session_scope(engine) as session:
        case = session.get(Escalation, case_id, with_for_update=True)
        if case is None:
            raise CaseNotFound(case_id)
        # One chosen again by name (in the typeahead) is not taken off.
        again = {a.id for a in accounts_named(session, names).values()} if names else set()
        off = [a for a in taken_off if a not in again]
        gone = remove_affected_accounts(session, case, off, actor_id or "") if actor_id else []
        added = add_affected_accounts(session, case, names, actor_id, utcnow(), **about)
        if team_answers:
            record_event(
                session,
                case_id,
                EventKind.QUESTIONS_ANSWERED,
                actor_id,
                flow="affected_accounts",
                team_answers=dict(team_answers),
            )
        if any(csm_to_tell(a, case, actor_id) for a in added):
            rearm_step(session, case_id, Step.ACCOUNT_CSMS)
        return added, gone


def bring_in_sponsor(session: Session, case: Escalation, playbook: CategoryPlaybook) -> str | None:
    """A business case (the playbook's `invites_sponsor`; `playbook`: the case's category's) on a
    sponsored account brings its executive sponsor in (as a stakeholder)."""
    if not playbook.invites_sponsor:
        return None
    sponsor = sponsor_of(session, case.account_name)
    if sponsor is None or sponsor in case.participants:
        return None
    case.stakeholder_ids = [*case.stakeholder_ids, sponsor]
    return sponsor


def get_case(engine: sa.Engine, case_id: int) -> Escalation:
    with Session(engine, expire_on_commit=False) as session:
        case = session.get(Escalation, case_id)
    if case is None:
        raise CaseNotFound(case_id)
    return case


def timeline(engine: sa.Engine, case_id: int) -> list[CaseEvent]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(CaseEvent).where(CaseEvent.escalation_id == case_id).order_by(col(CaseEvent.id))
            )
        )


def case_numbered(engine: sa.Engine, number: int) -> Escalation | None:
    """ESC-42 -> the case, or None (domain.commands reads the key however it was typed)."""
    with Session(engine) as session:
        return session.get(Escalation, number)


OPEN_STATUSES = tuple(s for s in Status if s != Status.CLOSED)
# What names a case in a list (the portfolio and the export read these, and a few more).
SUMMARY_COLUMNS: tuple[Any, ...] = (
    Escalation.id,
    Escalation.account_name,
    Escalation.summary,
    Escalation.category,
    Escalation.severity,
    Escalation.status,
    Escalation.owner_id,
    Escalation.reporter_id,
)


def tagged(tag: str) -> sa.ColumnElement[bool]:
    """Cases carrying the tag: its id, quoted, in the JSON list (portable to SQLite and PostgreSQL;
    LIKE's wildcards in an id are escaped)."""
    escaped = tag.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return sa.cast(col(Escalation.tags), sa.Text).like(f'%"{escaped}"%', escape="\\")


def is_stakeholder(user_id: str) -> Any:
    """SQL: the person is among a case's stakeholders. They are a JSON list of Slack IDs (letters
    and digits, so no LIKE wildcard); the quoted ID matched in its text works on both databases."""
    if not user_id.isalnum():
        return sa.false()
    return sa.cast(col(Escalation.stakeholder_ids), sa.Text).like(f'%"{user_id}"%')


def involves(user_id: str) -> Any:
    """SQL: the cases the person owns, reported or takes part in."""
    return sa.or_(
        col(Escalation.owner_id) == user_id,
        col(Escalation.reporter_id) == user_id,
        is_stakeholder(user_id),
    )


def next_promise_due() -> Any:
    """SQL for a case's next promise's time (domain.portfolio.next_promise): by its status."""
    return sa.case(
        (col(Escalation.status) == Status.NEW, col(Escalation.ack_due_at)),
        (col(Escalation.status) == Status.ACKNOWLEDGED, col(Escalation.next_update_due_at)),
        (col(Escalation.status) == Status.RESOLVED, col(Escalation.rca_due_at)),
    )


def promised_by(engine: sa.Engine, *, involving: str | None, until: datetime, limit: int) -> list[Escalation]:
    """Open cases whose next promise falls by `until` (passed already, or soon), soonest first; with
    `involving`, the person's. In SQL: however many cases are open, `limit` are read."""
    due = next_promise_due()
    with Session(engine) as session:
        query = (
            select(Escalation)
            .where(col(Escalation.status).in_(OPEN_STATUSES), due <= until)
            .order_by(due, col(Escalation.id))
            .limit(limit)
        )
        if involving is not None:
            query = query.where(involves(involving))
        return list(session.exec(query))


def open_cases(
    engine: sa.Engine, *, involving: str | None, limit: int, tag: str | None = None
) -> list[Escalation]:
    """Open cases, newest first; with `involving`, those the person owns, reported or takes part in;
    with `tag`, those carrying it."""
    with Session(engine) as session:
        query = (
            select(Escalation)
            .where(col(Escalation.status).in_(OPEN_STATUSES))
            .order_by(col(Escalation.id).desc())
            .limit(limit)
        )
        if tag is not None:
            query = query.where(tagged(tag))
        if involving is not None:
            query = query.where(involves(involving))
        return list(session.exec(query))

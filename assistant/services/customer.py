"""The customer end of a case: its contacts, and every communication from queued to delivered.

A communication is written in the same transaction as the change it tells (the
acknowledgement, the update), so it cannot be lost; a sender claims it (a lease,
one sender at a time across threads and instances), delivers it and settles it
once. Delivery is what keeps a promise (domain.communications.promise_outcome).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select, update

from assistant.content.customer_time import customer_time_phrase
from assistant.content.i18n import _, speaking
from assistant.database import session_scope
from assistant.domain.accounts import account_key
from assistant.domain.communications import (
    Purpose,
    Route,
    affected_draft,
    affected_letter,
    affected_subject,
    names_another_customer,
    promise_outcome,
    retry_delay,
)
from assistant.domain.contacts import Contact
from assistant.domain.events import EventKind
from assistant.models import (
    Account,
    CustomerCommunication,
    CustomerContact,
    Escalation,
    utcnow,
)
from assistant.services.accounts import account_named, affected_accounts
from assistant.services.events import record_event

QUEUED, CLAIMED, DELIVERED, RECORDED = "queued", "claimed", "delivered", "recorded"
# Failed unexpectedly again and again: never tried again by itself (the managers are told).
PARKED = "parked"
# Waiting for an approval (the playbook's `approvals`): not sent until approved; withdrawn if not.
HELD, WITHDRAWN = "held", "withdrawn"


def last_communication_id(session: Session, case_id: int) -> int:
    """The case's latest message to a customer so far (0: none): what a hold starts after."""
    found = session.execute(
        sa.select(sa.func.max(col(CustomerCommunication.id))).where(
            col(CustomerCommunication.escalation_id) == case_id
        )
    ).scalar()
    return int(found or 0)


def hold(session: Session, case_id: int, after_id: int, approval_id: int) -> int:
    """What was queued for the customer (and the other affected accounts) after message `after_id`
    waits for approval `approval_id`; returns how many messages wait."""
    result = session.execute(
        sa.update(CustomerCommunication)
        .where(
            col(CustomerCommunication.escalation_id) == case_id,
            col(CustomerCommunication.id) > after_id,
            col(CustomerCommunication.state) == QUEUED,
        )
        .values(state=HELD, next_attempt_at=None, approval_id=approval_id)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def release(session: Session, approval_id: int, *, approved: bool) -> int:
    """The messages held for the approval go (approved: queued now) or never go (withdrawn)."""
    values = {"state": QUEUED, "next_attempt_at": utcnow()} if approved else {"state": WITHDRAWN}
    result = session.execute(
        sa.update(CustomerCommunication)
        .where(
            col(CustomerCommunication.approval_id) == approval_id,
            col(CustomerCommunication.state) == HELD,
        )
        .values(**values)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Outgoing:
    """What the owner chose to tell the customer, and how."""

    route: Route
    text: str
    how: str = ""  # for Route.MYSELF: "phone call", "Zendesk"…
    sent_at: datetime | None = None  # for Route.MYSELF: when (default: now)
    subject: str = ""
    # What the other affected accounts are told (one neutral text, framed for each in its own
    # language); empty: each gets our neutral draft, in its language.
    others_text: str = ""


def settle_promise(case: Escalation, kept: bool, *, late_by_us: bool = False) -> None:
    """Count a promise whose outcome is now known (for the on-time figure)."""
    case.promises_made += 1
    case.promises_kept += int(kept)
    case.promises_delivered_late += int(late_by_us)


# -- contacts ------------------------------------------------------------------


def add_contacts(session: Session, case_id: int, contacts: Sequence[Contact], added_by: str | None) -> int:
    """Add contacts the case does not have yet (by address); how many were new."""
    have = {
        e.lower()
        for e in session.exec(select(CustomerContact.email).where(CustomerContact.escalation_id == case_id))
    }
    new = [c for c in contacts if c.email.lower() not in have]
    for contact in new:
        session.add(
            CustomerContact(
                escalation_id=case_id,
                name=contact.name,
                email=contact.email,
                role=contact.role,
                locale=contact.locale,
                tz=contact.tz,
                added_by=added_by,
            )
        )
    if new:
        record_event(session, case_id, EventKind.CONTACTS_ADDED, added_by, count=len(new))
    return len(new)


def save_contacts(
    engine: sa.Engine,
    case_id: int,
    contacts: Sequence[Contact],
    added_by: str,
    connect_channel: tuple[str, str] | None = None,
    team_answers: Mapping[str, Any] | None = None,
) -> int:
    """Add contacts, and link the customer's Slack Connect channel (id, name) if one is given;
    the answers to a team's own questions are kept on the timeline with them."""
    with session_scope(engine) as session:
        added = add_contacts(session, case_id, contacts, added_by)
        if team_answers:
            record_event(
                session,
                case_id,
                EventKind.QUESTIONS_ANSWERED,
                added_by,
                flow="contacts",
                team_answers=dict(team_answers),
            )
        if connect_channel is not None:
            case = session.get(Escalation, case_id, with_for_update=True)
            assert case is not None
            if case.connect_channel_id != connect_channel[0]:
                case.connect_channel_id, case.connect_channel_name = connect_channel
                session.add(case)
                record_event(
                    session,
                    case_id,
                    EventKind.CONNECT_CHANNEL_LINKED,
                    added_by,
                    channel_id=connect_channel[0],
                )
        return added


def contacts_of(engine_or_session: sa.Engine | Session, case_id: int) -> list[Contact]:
    query = (
        select(CustomerContact)
        .where(CustomerContact.escalation_id == case_id)
        .order_by(col(CustomerContact.id))
    )
    if isinstance(engine_or_session, Session):
        rows = list(engine_or_session.exec(query))
    else:
        with Session(engine_or_session) as session:
            rows = list(session.exec(query))
    return [Contact(r.name, r.email, r.role, r.locale, r.tz) for r in rows]


# -- communications --------------------------------------------------------------


def tell_customer(
    session: Session,
    case: Escalation,
    purpose: Purpose,
    outgoing: Outgoing,
    *,
    actor_id: str,
    keeps_promise_at: datetime | None,
) -> CustomerCommunication | None:
    """Queue (or record) what the customer is told, in the caller's transaction.

    E-mail goes to the case's contacts, in the first contact's language and zone. What the
    owner sent themselves is delivered when they say; it settles its promise at once.
    """
    if outgoing.route == Route.INTERNAL:
        return None
    contacts = contacts_of(session, case.id or 0)
    first = contacts[0] if contacts else None
    now = utcnow()
    row = _queue(
        session,
        CustomerCommunication(
            escalation_id=case.id or 0,
            purpose=purpose.value,
            channel=outgoing.route.value,
            recipients=_recipients(case, contacts, outgoing.route),
            subject=outgoing.subject,
            text=outgoing.text,
            language=first.locale if first else "en",
            tz=first.tz if first else "UTC",
            sent_by=actor_id,
            how=outgoing.how[:200],
            queued_at=now,
            keeps_promise_at=keeps_promise_at,
            state=QUEUED,
            next_attempt_at=now,
        ),
        told=outgoing.route != Route.MYSELF,
    )
    if purpose != Purpose.SURVEY and case.customer_told_at is None:
        # Written to them: the first hour's promise is the owner's from now (our delivery may lag).
        case.customer_told_at = now
        session.add(case)
    if purpose != Purpose.SURVEY:  # the survey's answer is the case's account's
        _tell_affected_accounts(session, case, purpose, outgoing, actor_id, now, keeps_promise_at)
    if outgoing.route == Route.MYSELF:
        row.state = RECORDED
        row.next_attempt_at = None
        _delivered(session, case, row, min(outgoing.sent_at or now, now))
    return row


def _queue(
    session: Session, row: CustomerCommunication, *, told: bool, **about: object
) -> CustomerCommunication:
    """Keep a communication (its id is known after), and say on the timeline it waits to go."""
    session.add(row)
    session.flush()
    if told:
        record_event(
            session,
            row.escalation_id,
            EventKind.CUSTOMER_COMMUNICATION_QUEUED,
            row.sent_by,
            communication_id=row.id,
            route=row.channel,
            purpose=row.purpose,
            **about,
        )
    return row


def _tell_affected_accounts(
    session: Session,
    case: Escalation,
    purpose: Purpose,
    outgoing: Outgoing,
    actor_id: str,
    now: datetime,
    promise_at: datetime | None,
) -> None:
    """Each other affected account the route reaches hears on its own: its own letter (greeting,
    language, subject, times in its zone), never the case's customer's words, name, summary or
    addresses. They keep no promise: the case's promise is its own account's."""
    if outgoing.route not in (Route.EMAIL, Route.SLACK_CONNECT):
        return
    others_text = outgoing.others_text
    if others_text and names_another_customer(others_text, customer_names(session, case)):
        # The modal refuses such a text; whatever else sends one, no customer is named to another.
        others_text = ""
    for account in list(session.scalars(affected_accounts(case.id or 0))):
        if outgoing.route == Route.EMAIL:
            recipients = [c.address for c in directory_contacts(account)]
        else:
            recipients = [f"#{account.connect_channel_name or account.connect_channel_id}"]
        if not recipients or (outgoing.route == Route.SLACK_CONNECT and not account.connect_channel_id):
            continue
        text, subject = affected_account_letter(account, purpose, others_text, promise_at, now)
        copy = CustomerCommunication(
            escalation_id=case.id or 0,
            account_id=account.id,
            purpose=purpose.value,
            channel=outgoing.route.value,
            recipients=recipients,
            subject=subject,
            text=text,
            language=account.language or "en",
            tz=account.tz or "UTC",
            sent_by=actor_id,
            queued_at=now,
            state=QUEUED,
            next_attempt_at=now,
        )
        _queue(session, copy, told=True, account=account.name)


def customer_names(session: Session, case: Escalation) -> list[str]:
    """Everything that names a customer of the case (its own and each other affected account):
    names as typed and as keys ("Acme, Inc." is "acme"), aliases, domains, contacts' names and
    addresses, and the case's summary. None of it belongs in the text all of them get."""
    names = [case.account_name, account_key(case.account_name), case.summary]
    own = account_named(session, case.account_name)
    for account in [*([own] if own else []), *session.scalars(affected_accounts(case.id or 0))]:
        names += [account.name, account_key(account.name), *account.aliases, *account.domains]
        for contact in account.contacts:
            names += [contact.get("name", ""), contact.get("email", "")]
    for contact in contacts_of(session, case.id or 0):
        names += [contact.name, contact.email, contact.email.rpartition("@")[2]]
    return [n for n in dict.fromkeys(names) if n]


def affected_account_letter(
    account: Account, purpose: Purpose, others_text: str, promise_at: datetime | None, now: datetime
) -> tuple[str, str]:
    """(text, subject) of what another affected account is told, in its language and zone."""
    with speaking(account.language or "en"):
        phrase = customer_time_phrase(promise_at, account.tz, now) if promise_at else None
        body = others_text.strip() or _(affected_draft(purpose, promise_phrase=phrase))
        return _(affected_letter(account=account.name, body=body)), _(affected_subject(purpose))


def directory_contacts(account: Account) -> list[Contact]:
    """An account's contacts as the directory has them, in its language and zone."""
    return [
        Contact(c["name"], c["email"], c.get("role", ""), account.language or "en", account.tz or "UTC")
        for c in account.contacts
    ]


def _recipients(case: Escalation, contacts: list[Contact], route: Route) -> list[str]:
    if route == Route.EMAIL:
        return [c.address for c in contacts]
    if route == Route.SLACK_CONNECT:
        return [f"#{case.connect_channel_name or case.connect_channel_id}"]
    return []


def _delivered(session: Session, case: Escalation, row: CustomerCommunication, at: datetime) -> None:
    row.delivered_at = at
    row.last_error = None
    session.add(row)
    data: dict[str, object] = {
        "communication_id": row.id,
        "route": row.channel,
        "purpose": row.purpose,
        "recipients": row.recipients,
        "queued_at": row.queued_at.isoformat(),
        "delivered_at": at.isoformat(),
    }
    if row.keeps_promise_at is not None:
        outcome = promise_outcome(row.keeps_promise_at, row.queued_at, at)
        settle_promise(case, outcome.kept, late_by_us=outcome.late_by_us)
        data |= {"promise_kept": outcome.kept, "late_by_us": outcome.late_by_us}
    # When the case's own account last heard from us (another affected account is told apart).
    if row.account_id is None and (case.customer_heard_at is None or at > case.customer_heard_at):
        if case.customer_heard_at is None and case.first_contact_due_at is not None:
            # The first time: stage 2's promise (within the first hour) is kept, or not.
            first = promise_outcome(case.first_contact_due_at, row.queued_at, at)
            settle_promise(case, first.kept, late_by_us=first.late_by_us)
            data |= {
                "first_contact": True,
                "first_contact_kept": first.kept,
                "first_contact_late_by_us": first.late_by_us,
            }
        case.customer_heard_at = at
    session.add(case)
    record_event(session, case.id or 0, EventKind.CUSTOMER_COMMUNICATION_SENT, row.sent_by, **data)


def _claimable(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        col(CustomerCommunication.state).in_([QUEUED, CLAIMED]),
        col(CustomerCommunication.next_attempt_at) <= now,
    )


def claim_due(
    engine: sa.Engine, *, worker: str, now: datetime, lease: timedelta, limit: int = 20
) -> list[CustomerCommunication]:
    """Take up to `limit` communications due for an attempt; no two senders get the same one.

    A claim is a lease: `next_attempt_at` moves to the lease's end, so a sender that dies
    mid-delivery leaves it claimable again then.
    """
    due = (
        select(CustomerCommunication.id)
        .where(_claimable(now), col(CustomerCommunication.channel) != Route.MYSELF.value)
        .order_by(col(CustomerCommunication.next_attempt_at), col(CustomerCommunication.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    with session_scope(engine) as session:
        claimed = session.exec(  # type: ignore[call-overload]
            update(CustomerCommunication)
            .where(col(CustomerCommunication.id).in_(due.scalar_subquery()), _claimable(now))
            .values(
                state=CLAIMED,
                claimed_by=worker,
                next_attempt_at=now + lease,
                attempts=CustomerCommunication.attempts + 1,
            )
            .returning(CustomerCommunication)
        )
        rows = list(claimed.scalars())
        for row in rows:
            session.expunge(row)
    return sorted(rows, key=lambda r: r.id or 0)


def _held(session: Session, row: CustomerCommunication, worker: str) -> CustomerCommunication | None:
    return session.exec(
        select(CustomerCommunication)
        .where(
            CustomerCommunication.id == row.id,
            CustomerCommunication.state == CLAIMED,
            CustomerCommunication.claimed_by == worker,
        )
        .with_for_update()
    ).first()


def mark_delivered(
    engine: sa.Engine, row: CustomerCommunication, *, worker: str, at: datetime, message_id: str | None = None
) -> bool:
    """Record the delivery (and the promise it keeps) if this sender still holds it."""
    with session_scope(engine) as session:
        mine = _held(session, row, worker)
        if mine is None:
            return False
        case = session.exec(
            select(Escalation).where(Escalation.id == mine.escalation_id).with_for_update()
        ).one()
        mine.state = DELIVERED
        mine.next_attempt_at = None
        mine.message_id = message_id or mine.message_id
        _delivered(session, case, mine, at)
    return True


def remember_message_id(engine: sa.Engine, row: CustomerCommunication, message_id: str) -> None:
    """Before the first attempt: every retry sends the same message (the same Message-ID)."""
    with session_scope(engine) as session:
        session.execute(
            update(CustomerCommunication)
            .where(col(CustomerCommunication.id) == row.id, col(CustomerCommunication.message_id).is_(None))
            .values(message_id=message_id)
        )


def retry_later(
    engine: sa.Engine, row: CustomerCommunication, *, worker: str, error: str, now: datetime
) -> datetime | None:
    """The attempt failed: try again after a back-off. Returns when, or None if no longer held."""
    retry_at = now + retry_delay(row.attempts)
    with session_scope(engine) as session:
        mine = _held(session, row, worker)
        if mine is None:
            return None
        mine.state = QUEUED
        mine.claimed_by = None
        mine.next_attempt_at = retry_at
        mine.last_error = error[:300]
        session.add(mine)
    return retry_at


def hold_after_fault(
    engine: sa.Engine,
    row: CustomerCommunication,
    *,
    worker: str,
    next_try_at: datetime | None,
    error: str,
) -> None:
    """An attempt raised unexpectedly: tried again at `next_try_at`, or parked when None (only while
    this sender still holds it: another may have taken it since its lease ran out)."""
    with session_scope(engine) as session:
        session.execute(
            update(CustomerCommunication)
            .where(
                col(CustomerCommunication.id) == row.id,
                col(CustomerCommunication.state) == CLAIMED,
                col(CustomerCommunication.claimed_by) == worker,
            )
            .values(
                state=QUEUED if next_try_at else PARKED,
                claimed_by=None,
                next_attempt_at=next_try_at,
                last_error=error[:300],
            )
        )


def mark_failure_told(engine: sa.Engine, communication_id: int, error: str) -> bool:
    """Record that the owner was told delivery is failing; False if they were told already."""
    with session_scope(engine) as session:
        result = session.execute(
            update(CustomerCommunication)
            .where(
                col(CustomerCommunication.id) == communication_id,
                col(CustomerCommunication.failure_told_at).is_(None),
            )
            .values(failure_told_at=utcnow())
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        row = session.get(CustomerCommunication, communication_id)
        assert row is not None
        record_event(
            session,
            row.escalation_id,
            EventKind.CUSTOMER_DELIVERY_FAILING,
            None,
            communication_id=row.id,
            error=error[:200],
        )
    return True


def next_due(engine: sa.Engine) -> datetime | None:
    with Session(engine) as session:
        return session.exec(
            select(CustomerCommunication.next_attempt_at)
            .where(col(CustomerCommunication.state).in_([QUEUED, CLAIMED]))
            .order_by(col(CustomerCommunication.next_attempt_at))
            .limit(1)
        ).first()


def communications_of(engine: sa.Engine, case_id: int) -> list[CustomerCommunication]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(CustomerCommunication)
                .where(CustomerCommunication.escalation_id == case_id)
                .order_by(col(CustomerCommunication.id))
            )
        )


def communication(engine: sa.Engine, communication_id: int) -> CustomerCommunication | None:
    with Session(engine) as session:
        return session.get(CustomerCommunication, communication_id)

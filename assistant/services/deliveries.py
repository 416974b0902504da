"""The ledger of messages the app posts exactly once: attempted, then done (or given up).

A row is written *before* the Slack call, so after a crash or a time-out the
next attempt knows a message may already exist and looks for it first.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from assistant.database import session_scope
from assistant.models import SlackDelivery, utcnow


def get(engine: sa.Engine, key: str) -> SlackDelivery | None:
    with Session(engine) as session:
        return session.exec(select(SlackDelivery).where(SlackDelivery.key == key)).first()


def begin(
    engine: sa.Engine, key: str, *, target: str, case_id: int | None, row: SlackDelivery | None
) -> SlackDelivery:
    """This attempt, counted: the row is created on first use (`row` is what `get` found).

    One transaction on the usual path; a second only if another worker created the row meanwhile.
    """
    now = utcnow()
    if row is None:
        created = SlackDelivery(key=key, target=target, escalation_id=case_id, attempts=1, attempted_at=now)
        try:
            with session_scope(engine) as session:
                session.add(created)
                session.flush()
                session.expunge(created)
            return created
        except IntegrityError:
            pass  # count this attempt on the row the other worker made
    with session_scope(engine) as session:
        session.execute(
            update(SlackDelivery)
            .where(col(SlackDelivery.key) == key)
            .values(attempts=SlackDelivery.attempts + 1, attempted_at=now)
        )
        current = session.exec(select(SlackDelivery).where(SlackDelivery.key == key)).one()
        session.expunge(current)
        return current


def mark_uncertain(engine: sa.Engine, key: str, error: str) -> None:
    """The call went out and no clear answer came back: its message may exist."""
    _set(engine, key, uncertain=True, last_error=error[:200])


def mark_failed(engine: sa.Engine, key: str, error: str) -> None:
    """Slack answered no: nothing was posted."""
    _set(engine, key, last_error=error[:200])


def mark_done(engine: sa.Engine, key: str, *, channel_id: str, ts: str, at: datetime | None = None) -> None:
    _set(engine, key, done_at=at or utcnow(), channel_id=channel_id, ts=ts, uncertain=False, last_error=None)


def give_up(engine: sa.Engine, key: str, error: str) -> None:
    _set(engine, key, given_up_at=utcnow(), last_error=error[:200])


def try_again(engine: sa.Engine, key: str) -> None:
    """A delivery given up (a refusal a person has since fixed) may be attempted afresh."""
    _set(engine, key, given_up_at=None, attempts=0)


def _set(engine: sa.Engine, key: str, **values: object) -> None:
    with session_scope(engine) as session:
        session.execute(update(SlackDelivery).where(col(SlackDelivery.key) == key).values(**values))


def of_case(engine: sa.Engine, case_id: int) -> list[SlackDelivery]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(SlackDelivery)
                .where(SlackDelivery.escalation_id == case_id)
                .order_by(col(SlackDelivery.id))
            )
        )

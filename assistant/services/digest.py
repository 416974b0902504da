"""What the weekly digest reads (cases and their timelines) and which weeks were posted."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from assistant.database import session_scope
from assistant.domain.digest import REPEAT_LOOKBACK, DigestCase
from assistant.domain.events import EventKind
from assistant.domain.metrics import EventFact, settled_promises
from assistant.domain.status import Status
from assistant.models import CaseEvent, DigestRun, Escalation, RootCauseAnalysis, utcnow

# The timeline events the digest counts.
DIGEST_EVENTS = (
    EventKind.ACKNOWLEDGED,
    EventKind.RESOLVED,
    EventKind.REOPENED,
    EventKind.CLOSED,
    EventKind.BREACH,
    EventKind.UPDATE_POSTED,
    EventKind.EXECUTIVE_CONTACT_MADE,
    # A customer communication delivered settles the promise it keeps (kept, or late by us).
    EventKind.CUSTOMER_COMMUNICATION_SENT,
)

# The events that settle a promise (their data says whether it was kept).
SETTLING_EVENTS = (
    EventKind.ACKNOWLEDGED,  # before the customer end, an acknowledgement settled its own promise
    EventKind.UPDATE_POSTED,
    EventKind.RESOLVED,
    EventKind.EXECUTIVE_CONTACT_MADE,
    EventKind.CUSTOMER_COMMUNICATION_SENT,
)


@dataclass(frozen=True)
class PromiseCounts:
    made: int = 0
    kept: int = 0
    # Kept by their owners, delivered late by us.
    delivered_late: int = 0


def promises_between(engine: sa.Engine, start: datetime, end: datetime) -> PromiseCounts:
    """Promises settled in [start, end): how many, kept, and delivered late by us."""
    made = kept = late = 0
    with engine.connect() as connection:
        for (data,) in connection.execute(
            sa.select(col(CaseEvent.data)).where(
                col(CaseEvent.kind).in_(SETTLING_EVENTS), col(CaseEvent.at) >= start, col(CaseEvent.at) < end
            )
        ):
            for promise_kept, late_by_us in settled_promises(data or {}):
                made += 1
                kept += promise_kept
                late += late_by_us
    return PromiseCounts(made, kept, late)


_CASE_COLUMNS: tuple[Any, ...] = (
    Escalation.id,
    Escalation.account_name,
    Escalation.category,
    Escalation.is_private,
    Escalation.created_at,
)


def digest_cases(engine: sa.Engine, *, start: datetime, end: datetime) -> list[DigestCase]:
    """Cases opened in the lookback, or with anything on their timeline this week.

    Timelines are read only for the cases active this week (the week's figures come from
    them); the lookback's other cases need only their account and date (repeat escalations).
    So the cost follows the week's activity, not the size of the history.
    """
    since = min(start, end - REPEAT_LOOKBACK)
    # Core, not the ORM session: tens of thousands of plain rows, no objects to track.
    with engine.connect() as connection:
        active = set(
            connection.execute(
                sa.select(col(CaseEvent.escalation_id))
                .where(col(CaseEvent.at) >= start, col(CaseEvent.at) < end)
                .where(col(CaseEvent.kind).in_(DIGEST_EVENTS))
            ).scalars()
        )
        cases: list[Any] = list(
            connection.execute(
                sa.select(*_CASE_COLUMNS).where(
                    col(Escalation.created_at) >= since, col(Escalation.created_at) < end
                )
            )
        )
        rca_cases = {
            row[0]: row[1:]
            for row in connection.execute(
                sa.select(
                    col(RootCauseAnalysis.escalation_id),
                    col(RootCauseAnalysis.cause_area),
                    col(RootCauseAnalysis.at),
                )
                .where(col(RootCauseAnalysis.at) >= since, col(RootCauseAnalysis.at) < end)
                .order_by(col(RootCauseAnalysis.id))
            )
        }
        older = sorted((active | set(rca_cases)) - {row[0] for row in cases})
        for part in _chunks(older):
            cases.extend(connection.execute(sa.select(*_CASE_COLUMNS).where(col(Escalation.id).in_(part))))
        events: dict[int, list[EventFact]] = defaultdict(list)
        timeline = sa.select(
            col(CaseEvent.escalation_id), col(CaseEvent.kind), col(CaseEvent.at), col(CaseEvent.data)
        )
        for part in _chunks(sorted(active)):
            for case_id, kind, at, data in connection.execute(
                timeline.where(col(CaseEvent.escalation_id).in_(part))
                .where(col(CaseEvent.kind).in_(DIGEST_EVENTS))
                .where(col(CaseEvent.at) < end)
            ):
                events[case_id].append(EventFact(kind, at, data or {}))
    found = []
    for case_id, account, category, is_private, created_at in cases:
        assert case_id is not None
        cause_area, rca_at = rca_cases.get(case_id, (None, None))
        found.append(
            DigestCase(
                id=case_id,
                account=account,
                category=category,
                is_private=is_private,
                created_at=created_at,
                events=events[case_id],
                cause_area=cause_area,
                rca_at=rca_at,
            )
        )
    return found


def _chunks(ids: list[int], size: int = 900) -> list[list[int]]:
    """IN lists SQLite accepts (at most 999 parameters)."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def first_use(engine: sa.Engine) -> datetime | None:
    """When the app was first used: its first case (None on a fresh install)."""
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.min(col(Escalation.created_at)))).scalar()


def open_count(engine: sa.Engine) -> int:
    with Session(engine) as session:
        return session.exec(
            select(sa.func.count()).select_from(Escalation).where(col(Escalation.status) != Status.CLOSED)
        ).one()


def claim_week(engine: sa.Engine, week_ending: datetime) -> bool:
    """True for the one instance that gets to post this week's digest."""
    try:
        with session_scope(engine) as session:
            session.add(DigestRun(week_ending=week_ending))
    except IntegrityError:
        return False
    return True


def release_week(engine: sa.Engine, week_ending: datetime) -> None:
    """Posting failed: let the next attempt (a retry, a restart, `digest --now`) claim it again."""
    with session_scope(engine) as session:
        run = session.exec(select(DigestRun).where(DigestRun.week_ending == week_ending)).first()
        if run is not None and run.posted_at is None:
            session.delete(run)


def mark_posted(engine: sa.Engine, week_ending: datetime, ts: str | None) -> None:
    with session_scope(engine) as session:
        run = session.exec(select(DigestRun).where(DigestRun.week_ending == week_ending)).one()
        run.posted_at = utcnow()
        run.message_ts = ts
        session.add(run)

"""Who follows which case."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from assistant.database import session_scope
from assistant.domain.events import EventKind
from assistant.models import CaseFollower
from assistant.services.events import record_event


def follow(engine: sa.Engine, case_id: int, user_id: str, *, invited_by_app: bool) -> bool:
    """Add a follower; False if they already follow the case (following twice is harmless)."""
    try:
        with session_scope(engine) as session:
            session.add(CaseFollower(escalation_id=case_id, user_id=user_id, invited_by_app=invited_by_app))
            session.flush()
            record_event(session, case_id, EventKind.FOLLOWED, user_id, invited=invited_by_app)
    except IntegrityError:
        return False
    return True


def unfollow(engine: sa.Engine, case_id: int, user_id: str) -> CaseFollower | None:
    """Remove a follower; returns the row removed (to know whether the app invited them)."""
    with session_scope(engine) as session:
        row = session.exec(
            select(CaseFollower).where(CaseFollower.escalation_id == case_id, CaseFollower.user_id == user_id)
        ).first()
        if row is None:
            return None
        session.delete(row)
        record_event(session, case_id, EventKind.UNFOLLOWED, user_id)
        session.flush()  # the delete first: expunging a pending delete would cancel it
        session.expunge(row)
        return row


def followers_of(engine: sa.Engine, case_ids: list[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {case_id: set() for case_id in case_ids}
    with Session(engine) as session:
        for chunk in range(0, len(case_ids), 900):
            rows = session.exec(
                select(CaseFollower.escalation_id, CaseFollower.user_id).where(
                    col(CaseFollower.escalation_id).in_(case_ids[chunk : chunk + 900])
                )
            )
            for case_id, user_id in rows:
                found[case_id].add(user_id)
    return found


def followed_by(engine: sa.Engine, user_id: str) -> list[int]:
    with Session(engine) as session:
        return list(session.exec(select(CaseFollower.escalation_id).where(CaseFollower.user_id == user_id)))

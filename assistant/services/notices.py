"""Standing problems with the app's set-up (the feed channel archived or unknown), kept until fixed.

Each is told to the escalation managers once, shown on /healthz as "degraded",
and cleared as soon as the thing works again.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select, update

from assistant.database import session_scope
from assistant.models import AppNotice, utcnow

FEED_UNAVAILABLE = "feed_unavailable"
# Canvases off for the workspace (its plan, an admin): the app carries on without them. Said
# once; not a fault of the app's, so the health check does not count it.
CANVAS_UNAVAILABLE = "canvas_unavailable"
NOT_FAULTS = frozenset({CANVAS_UNAVAILABLE})


def raise_notice(engine: sa.Engine, key: str, detail: str) -> AppNotice:
    """Record the problem (once); returns its row, whose told_at says whether people were told."""
    try:
        with session_scope(engine) as session:
            session.add(AppNotice(key=key, detail=detail[:200]))
    except IntegrityError:
        pass
    with Session(engine) as session:
        return session.exec(select(AppNotice).where(AppNotice.key == key)).one()


def mark_told(engine: sa.Engine, key: str) -> None:
    with session_scope(engine) as session:
        session.execute(update(AppNotice).where(col(AppNotice.key) == key).values(told_at=utcnow()))


def clear(engine: sa.Engine, key: str) -> None:
    with session_scope(engine) as session:
        session.execute(delete(AppNotice).where(col(AppNotice.key) == key))


def active(engine: sa.Engine) -> list[AppNotice]:
    with Session(engine) as session:
        return list(session.exec(select(AppNotice).order_by(col(AppNotice.since))))

"""Messages of a case channel added to its timeline (📌 or "Add to timeline"): marked once each,
taken off again, and read back for the drafts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assistant.database import session_scope
from assistant.domain.events import EventKind
from assistant.models import MarkedMessage, utcnow
from assistant.services.events import record_event

# What the timeline keeps of the message's text (the whole of it stays on the marked message).
TIMELINE_TEXT = 500


@dataclass(frozen=True)
class ChannelMessage:
    ts: str
    author_id: str
    text: str
    permalink: str | None


def is_marked(engine: sa.Engine, case_id: int, ts: str) -> bool:
    with Session(engine) as session:
        found = session.exec(
            select(MarkedMessage.id).where(
                MarkedMessage.escalation_id == case_id,
                MarkedMessage.ts == ts,
                col(MarkedMessage.removed_at).is_(None),
            )
        ).first()
        return found is not None


def mark(engine: sa.Engine, case_id: int, message: ChannelMessage, actor_id: str) -> bool:
    """Added to the timeline (with the event saying so); False if it is on it already (two marks
    at once: the second finds the first's row)."""
    try:
        return _mark(engine, case_id, message, actor_id)
    except sa.exc.IntegrityError:
        return False


def _mark(engine: sa.Engine, case_id: int, message: ChannelMessage, actor_id: str) -> bool:
    with session_scope(engine) as session:
        found = session.exec(
            select(MarkedMessage)
            .where(MarkedMessage.escalation_id == case_id, MarkedMessage.ts == message.ts)
            .with_for_update()
        ).first()
        if found is not None and found.removed_at is None:
            return False
        row = found or MarkedMessage(
            escalation_id=case_id, ts=message.ts, author_id=message.author_id, text="", marked_by=actor_id
        )
        row.text, row.permalink, row.marked_by = message.text, message.permalink, actor_id
        row.marked_at, row.removed_at = utcnow(), None
        session.add(row)
        record_event(
            session, case_id, EventKind.MESSAGE_MARKED, actor_id,
            ts=message.ts, author=message.author_id, permalink=message.permalink,
            text=message.text[:TIMELINE_TEXT],
        )  # fmt: skip
        return True


def unmark(engine: sa.Engine, case_id: int, ts: str, actor_id: str) -> bool:
    """Taken off the timeline by the one who added it; False if it was not on it (or not theirs)."""
    with session_scope(engine) as session:
        result = session.execute(
            sa.update(MarkedMessage)
            .where(
                col(MarkedMessage.escalation_id) == case_id,
                col(MarkedMessage.ts) == ts,
                col(MarkedMessage.marked_by) == actor_id,
                col(MarkedMessage.removed_at).is_(None),
            )
            .values(removed_at=utcnow())
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return False
        record_event(session, case_id, EventKind.MESSAGE_UNMARKED, actor_id, ts=ts)
        return True


def marked_since(engine: sa.Engine, case_id: int, since: datetime | None = None) -> list[MarkedMessage]:
    """What is on the timeline from the channel, in the channel's order (written since `since`)."""
    with Session(engine) as session:
        query = select(MarkedMessage).where(
            MarkedMessage.escalation_id == case_id, col(MarkedMessage.removed_at).is_(None)
        )
        rows = list(session.exec(query))
    rows.sort(key=lambda m: float(m.ts))
    if since is not None:  # marked since: a message pinned after the update counts, however old
        rows = [m for m in rows if m.marked_at >= since]
    return rows

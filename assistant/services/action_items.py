"""RCA action items as the app follows them: the open ones, and marking them reminded, escalated, done.

Only the items of each case's latest RCA count: recording the RCA again replaces its list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from assistant.database import session_scope
from assistant.domain.events import EventKind
from assistant.models import KEY_PREFIX, ActionItem, Escalation, RootCauseAnalysis, utcnow
from assistant.services.events import record_event


@dataclass(frozen=True)
class OpenItem:
    id: int
    case_id: int
    account: str
    is_private: bool
    kind: str
    description: str
    owner_id: str
    due_on: date
    reminded: bool
    escalated: bool

    @property
    def case_key(self) -> str:
        return f"{KEY_PREFIX}{self.case_id}"


def _latest_rca_ids() -> Any:
    return sa.select(sa.func.max(col(RootCauseAnalysis.id))).group_by(col(RootCauseAnalysis.escalation_id))


def open_items(
    engine: sa.Engine,
    *,
    owner_id: str | None = None,
    due_by: date | None = None,
    item_id: int | None = None,
    limit: int | None = None,
) -> list[OpenItem]:
    """Undone items of the latest RCAs, soonest due first (an owner's, all due by a day, or one)."""
    query = (
        sa.select(
            col(ActionItem.id),
            col(RootCauseAnalysis.escalation_id),
            col(Escalation.account_name),
            col(Escalation.is_private),
            col(ActionItem.kind),
            col(ActionItem.description),
            col(ActionItem.owner_id),
            col(ActionItem.due_on),
            col(ActionItem.reminded_at).is_not(None),
            col(ActionItem.escalated_at).is_not(None),
        )
        .join(RootCauseAnalysis, col(RootCauseAnalysis.id) == col(ActionItem.rca_id))
        .join(Escalation, col(Escalation.id) == col(RootCauseAnalysis.escalation_id))
        .where(col(ActionItem.done_at).is_(None), col(ActionItem.rca_id).in_(_latest_rca_ids()))
        .order_by(col(ActionItem.due_on), col(ActionItem.id))
    )
    if owner_id is not None:
        query = query.where(col(ActionItem.owner_id) == owner_id)
    if due_by is not None:
        query = query.where(col(ActionItem.due_on) <= due_by)
    if item_id is not None:
        query = query.where(col(ActionItem.id) == item_id)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as connection:
        return [OpenItem(*row) for row in connection.execute(query)]  # type: ignore[arg-type, call-arg]


def item(engine: sa.Engine, item_id: int) -> OpenItem | None:
    """The item if it is still open."""
    found = open_items(engine, item_id=item_id)
    return found[0] if found else None


def _mark(
    engine: sa.Engine, item_id: int, column: Any, now: datetime, *, breach_of_case: int | None = None
) -> bool:
    """Set a moment once: False if it was set already (another instance, or a second click).
    `breach_of_case`: the item was missed; the case's timeline says so in the same transaction."""
    with session_scope(engine) as session:
        result = session.execute(
            sa.update(ActionItem).where(col(ActionItem.id) == item_id, column.is_(None)).values({column: now})
        )
        marked = bool(result.rowcount)  # type: ignore[attr-defined]
        if marked and breach_of_case is not None:
            record_event(
                session,
                breach_of_case,
                EventKind.BREACH,
                None,
                reminder="action_item_overdue",
                item_id=item_id,
            )
        return marked


def mark_reminded(engine: sa.Engine, item_id: int, now: datetime | None = None) -> bool:
    return _mark(engine, item_id, col(ActionItem.reminded_at), now or utcnow())


def mark_escalated(engine: sa.Engine, item_id: int, case_id: int, now: datetime | None = None) -> bool:
    return _mark(engine, item_id, col(ActionItem.escalated_at), now or utcnow(), breach_of_case=case_id)


def mark_done(engine: sa.Engine, open_item: OpenItem, actor_id: str) -> bool:
    """Done, on the case's timeline; False if someone had marked it already."""
    with session_scope(engine) as session:
        result = session.execute(
            sa.update(ActionItem)
            .where(col(ActionItem.id) == open_item.id, col(ActionItem.done_at).is_(None))
            .values(done_at=utcnow(), done_by=actor_id)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return False
        record_event(session, open_item.case_id, EventKind.ACTION_ITEM_DONE, actor_id, item_id=open_item.id)
        return True

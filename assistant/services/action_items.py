"""Action items as the app follows them (an RCA's items and the action plan's steps): the open ones,
and marking them reminded, escalated, done.

Only the items of each case's latest RCA count: recording the RCA again replaces its list. A step
counts until it is done, taken off the plan, or its case is closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assistant.database import session_scope
from assistant.domain.events import EventKind
from assistant.domain.status import Status
from assistant.models import KEY_PREFIX, ActionItem, Escalation, RootCauseAnalysis, utcnow
from assistant.services.events import record_event

# An action plan's step (an RCA's items are "corrective" or "preventive").
STEP = "step"


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
    # A step's due time (an RCA item is due by the end of due_on where its owner is).
    due_at: datetime | None = None

    @property
    def is_step(self) -> bool:
        return self.kind == STEP

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
    case_id: int | None = None,
    limit: int | None = None,
) -> list[OpenItem]:
    """Undone items of the latest RCAs and undone steps of open cases' plans, soonest due first (an
    owner's, all due by a day, one, or the steps of one case's plan)."""
    query = (
        sa.select(
            col(ActionItem.id),
            col(ActionItem.escalation_id),
            col(Escalation.account_name),
            col(Escalation.is_private),
            col(ActionItem.kind),
            col(ActionItem.description),
            col(ActionItem.owner_id),
            col(ActionItem.due_on),
            col(ActionItem.reminded_at).is_not(None),
            col(ActionItem.escalated_at).is_not(None),
            col(ActionItem.due_at),
        )
        .join(Escalation, col(Escalation.id) == col(ActionItem.escalation_id))
        .where(
            col(ActionItem.done_at).is_(None),
            sa.or_(
                col(ActionItem.rca_id).in_(_latest_rca_ids()),
                sa.and_(col(ActionItem.rca_id).is_(None), col(Escalation.status) != Status.CLOSED.value),
            ),
        )
        .order_by(col(ActionItem.due_on), col(ActionItem.due_at).nulls_last(), col(ActionItem.id))
    )
    if case_id is not None:
        query = query.where(col(ActionItem.escalation_id) == case_id, col(ActionItem.rca_id).is_(None))
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


@dataclass(frozen=True)
class PlanSummary:
    """A case's action plan as its card shows it: how far along, and what comes next."""

    done: int
    total: int
    next_step: OpenItem | None


def plan_summary(engine: sa.Engine, case_id: int) -> PlanSummary | None:
    """None while the case has no plan."""
    with engine.connect() as connection:
        done, total = connection.execute(
            sa.select(sa.func.count(col(ActionItem.done_at)), sa.func.count()).where(
                col(ActionItem.escalation_id) == case_id, col(ActionItem.rca_id).is_(None)
            )
        ).one()
    if not total:
        return None
    steps = open_items(engine, case_id=case_id, limit=1)
    return PlanSummary(done=done, total=total, next_step=steps[0] if steps else None)


def done_steps(engine: sa.Engine, case_id: int) -> list[ActionItem]:
    """The plan's steps already done, in the order they were done."""
    with Session(engine) as session:
        return list(
            session.exec(
                select(ActionItem)
                .where(
                    col(ActionItem.escalation_id) == case_id,
                    col(ActionItem.rca_id).is_(None),
                    col(ActionItem.done_at).is_not(None),
                )
                .order_by(col(ActionItem.done_at))
            )
        )


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

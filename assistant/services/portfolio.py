"""Reading open cases as portfolio facts, and what each person last chose on their Home tab."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from assistant.database import session_scope
from assistant.domain.events import EventKind
from assistant.domain.portfolio import (
    DUE_SOON,
    CaseFacts,
    Filters,
    Listed,
    Page,
    PortfolioView,
    account_order,
    next_promise,
)
from assistant.domain.practice import Practice
from assistant.domain.status import Status
from assistant.models import KEY_PREFIX, CaseEvent, Escalation, HomeState, utcnow
from assistant.services.cases import OPEN_STATUSES, SUMMARY_COLUMNS, is_stakeholder, tagged
from assistant.services.followers import followers_of

# Only the columns the portfolio needs: Home is built on every case change.
_FACT_COLUMNS: tuple[Any, ...] = (
    *SUMMARY_COLUMNS,
    Escalation.stakeholder_ids,
    Escalation.created_at,
    Escalation.ack_due_at,
    Escalation.next_update_due_at,
    Escalation.rca_due_at,
    Escalation.is_private,
    Escalation.channel_id,
    Escalation.tags,
)


def _facts(rows: list[Any], followers: dict[int, set[str]]) -> list[CaseFacts]:
    facts = []
    for row in rows:
        (case_id, account, summary, category, severity, status, owner, reporter, stakeholders, created,
         ack_due, update_due, rca_due, private, channel_id, tags) = row  # fmt: skip
        facts.append(
            CaseFacts(
                id=case_id,
                key=f"{KEY_PREFIX}{case_id}",
                account=account,
                summary=summary,
                channel_id=channel_id,
                tags=frozenset(tags or ()),
                category=category,
                severity=severity,
                status=status,
                owner_id=owner,
                created_at=created,
                promise=next_promise(
                    status, ack_due_at=ack_due, next_update_due_at=update_due, rca_due_at=rca_due
                ),
                is_private=private,
                participants=frozenset({owner, reporter, *(stakeholders or []), *followers.get(case_id, ())}),
            )
        )
    return facts


def open_case_facts(engine: sa.Engine) -> list[CaseFacts]:
    """Every open (not closed) case, oldest first: what domain.portfolio's rules read, and what
    portfolio_view is checked against (the Home tab itself never loads them all)."""
    with Session(engine) as session:
        rows = list(
            session.execute(
                sa.select(*_FACT_COLUMNS)
                .where(col(Escalation.status) != Status.CLOSED)
                .order_by(col(Escalation.id))
            )
        )
    return _facts(rows, followers_of(engine, [r[0] for r in rows]))


def portfolio_view(
    engine: sa.Engine,
    *,
    viewer: str,
    followed: set[int],
    filters: Filters,
    now: datetime,
    breaches: list[CaseFacts],
    page: int,
    size: int,
    lines: int,
) -> PortfolioView:
    """domain.portfolio.view_of(summarize(...)), computed by the database: counts and pages in SQL,
    facts read only for the cases shown. The cost follows what one screen shows, not the open cases."""
    promise_at = sa.case(
        (col(Escalation.status) == Status.NEW, col(Escalation.ack_due_at)),
        (col(Escalation.status) == Status.ACKNOWLEDGED, col(Escalation.next_update_due_at)),
        (col(Escalation.status) == Status.RESOLVED, col(Escalation.rca_due_at)),
        else_=sa.null(),
    )
    open_now = col(Escalation.status).in_(OPEN_STATUSES)
    chosen = sa.and_(open_now, *_filter_conditions(filters))
    visible = sa.or_(
        sa.not_(col(Escalation.is_private)),
        col(Escalation.owner_id) == viewer,
        col(Escalation.reporter_id) == viewer,
        col(Escalation.id).in_(sorted(followed)) if followed else sa.false(),
        is_stakeholder(viewer),
    )
    soonest = (promise_at.is_(None), promise_at, col(Escalation.id))

    def ids(where: Any, *, order: Any = soonest, limit: int = lines, offset: int = 0) -> list[int]:
        query = sa.select(col(Escalation.id)).where(where).order_by(*order).offset(offset).limit(limit)
        return list(session.execute(query).scalars())

    def counted(*conditions: Any) -> list[int]:
        """How many chosen cases meet each condition: one pass over the open cases."""
        sums = [sa.func.sum(sa.case((condition, 1), else_=0)) for condition in conditions]
        return [int(n or 0) for n in session.execute(sa.select(*sums).where(chosen)).one()]

    def by(column: Any) -> dict[Any, int]:
        grouped = sa.select(column, sa.func.count()).where(chosen).group_by(column)
        return {value: int(n) for value, n in session.execute(grouped)}

    shown_visible = sa.and_(chosen, visible)
    unacknowledged = sa.and_(visible, col(Escalation.status) == Status.NEW)
    due_soon = sa.and_(visible, promise_at >= now, promise_at <= now + DUE_SOON)
    overdue = sa.and_(visible, promise_at < now)
    # Not the created_at index: walking it from the oldest case ever reads all closed history.
    created = sa.func.coalesce(col(Escalation.created_at), col(Escalation.created_at))
    with Session(engine) as session:
        open_count, visible_count, *list_counts = counted(
            sa.true(), visible, unacknowledged, due_soon, overdue
        )
        pages = max(1, -(-visible_count // size))
        number = min(max(0, page), pages - 1)
        lists = {
            "unacknowledged": (ids(sa.and_(chosen, unacknowledged)), list_counts[0]),
            "due_soon": (ids(sa.and_(chosen, due_soon)), list_counts[1]),
            "overdue": (ids(sa.and_(chosen, overdue)), list_counts[2]),
        }
        oldest = ids(shown_visible, order=(created, col(Escalation.id)), limit=1)
        page_ids = ids(shown_visible, limit=size, offset=number * size)
        by_category, by_severity = by(col(Escalation.category)), by(col(Escalation.severity))
        accounts = set(
            session.execute(
                sa.select(col(Escalation.account_name)).where(open_now, visible).distinct()
            ).scalars()
        )
    wanted = {i for found, _ in lists.values() for i in found} | set(oldest) | set(page_ids)
    facts = {f.id: f for f in _facts_of(engine, sorted(wanted))}
    return PortfolioView(
        open_count=open_count,
        by_category=by_category,
        by_severity=by_severity,
        unacknowledged=Listed([facts[i] for i in lists["unacknowledged"][0]], lists["unacknowledged"][1]),
        due_soon=Listed([facts[i] for i in lists["due_soon"][0]], lists["due_soon"][1]),
        overdue=Listed([facts[i] for i in lists["overdue"][0]], lists["overdue"][1]),
        breaches_this_week=sum(1 for c in breaches if filters.keep(c)),
        oldest=facts[oldest[0]] if oldest else None,
        restricted=open_count - visible_count,
        page=Page([facts[i] for i in page_ids], number, pages),
        accounts=sorted(accounts, key=account_order),
    )


def _filter_conditions(filters: Filters) -> list[Any]:
    conditions = []
    if filters.category is not None:
        conditions.append(col(Escalation.category) == filters.category)
    if filters.severity is not None:
        conditions.append(col(Escalation.severity) == filters.severity)
    if filters.owner_id is not None:
        conditions.append(col(Escalation.owner_id) == filters.owner_id)
    if filters.account is not None:
        conditions.append(col(Escalation.account_key) == filters.account)
    if filters.tag is not None:
        conditions.append(tagged(filters.tag))
    return conditions


def _facts_of(engine: sa.Engine, ids: list[int]) -> list[CaseFacts]:
    if not ids:
        return []
    with Session(engine) as session:
        rows = list(session.execute(sa.select(*_FACT_COLUMNS).where(col(Escalation.id).in_(ids))))
    return _facts(rows, followers_of(engine, ids))


def cases_of(engine: sa.Engine, user_id: str, followed: list[int]) -> list[CaseFacts]:
    """Open cases a person owns, reported, takes part in or follows, oldest first."""
    with Session(engine) as session:
        rows = list(
            session.execute(
                sa.select(*_FACT_COLUMNS)
                .where(col(Escalation.status) != Status.CLOSED)
                .where(
                    sa.or_(
                        col(Escalation.owner_id) == user_id,
                        col(Escalation.reporter_id) == user_id,
                        col(Escalation.id).in_(followed),
                    )
                )
                .order_by(col(Escalation.id))
            )
        )
    return _facts(rows, followers_of(engine, [r[0] for r in rows]))


def breaches_since(engine: sa.Engine, since: datetime) -> list[CaseFacts]:
    """One entry per breach since `since`, with its case (open or closed)."""
    with Session(engine) as session:
        ids = list(
            session.exec(
                select(CaseEvent.escalation_id).where(
                    CaseEvent.kind == EventKind.BREACH, col(CaseEvent.at) >= since
                )
            )
        )
        if not ids:
            return []
        rows = list(session.execute(sa.select(*_FACT_COLUMNS).where(col(Escalation.id).in_(set(ids)))))
    by_id = {f.id: f for f in _facts(rows, {})}
    return [by_id[i] for i in ids if i in by_id]


def home_state(engine: sa.Engine, user_id: str, practice: Practice) -> tuple[Filters, int]:
    """A person's filters and page as they left them (a filter the practice no longer has: dropped)."""
    with Session(engine) as session:
        state = session.get(HomeState, user_id)
    if state is None:
        return Filters(), 0
    return Filters.from_dict(state.filters or {}, practice), state.page


def save_home_state(engine: sa.Engine, user_id: str, filters: Filters, page: int) -> None:
    for _ in range(2):  # two first visits at once: the loser updates the winner's row
        try:
            with session_scope(engine) as session:
                state = session.get(HomeState, user_id) or HomeState(user_id=user_id)
                state.filters = filters.as_dict()
                state.page = page
                state.opened_at = utcnow()
                session.add(state)
            return
        except IntegrityError:
            continue


def home_viewers(engine: sa.Engine, user_ids: set[str]) -> set[str]:
    """Which of these people have opened their Home tab (only they need it refreshed)."""
    if not user_ids:
        return set()
    with Session(engine) as session:
        return set(session.exec(select(HomeState.user_id).where(col(HomeState.user_id).in_(user_ids))))

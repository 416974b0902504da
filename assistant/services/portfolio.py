"""Reading open cases as portfolio facts, and what each person last chose on their Home tab."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from assistant.database import session_scope
from assistant.domain.portfolio import CaseFacts, Filters, next_promise
from assistant.domain.status import Status
from assistant.models import KEY_PREFIX, CaseEvent, Escalation, HomeState, utcnow
from assistant.services.followers import followers_of

# Only the columns the portfolio needs: Home is built on every case change.
_FACT_COLUMNS: tuple[Any, ...] = (
    Escalation.id,
    Escalation.account_name,
    Escalation.summary,
    Escalation.category,
    Escalation.severity,
    Escalation.status,
    Escalation.owner_id,
    Escalation.reporter_id,
    Escalation.stakeholder_ids,
    Escalation.created_at,
    Escalation.ack_due_at,
    Escalation.next_update_due_at,
    Escalation.rca_due_at,
    Escalation.is_private,
    Escalation.channel_id,
)


def _facts(rows: list[Any], followers: dict[int, set[str]]) -> list[CaseFacts]:
    facts = []
    for row in rows:
        (case_id, account, summary, category, severity, status, owner, reporter, stakeholders, created,
         ack_due, update_due, rca_due, private, channel_id) = row  # fmt: skip
        facts.append(
            CaseFacts(
                id=case_id,
                key=f"{KEY_PREFIX}{case_id}",
                account=account,
                summary=summary,
                channel_id=channel_id,
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
    """Every open (not closed) case, oldest first."""
    with Session(engine) as session:
        rows = list(
            session.execute(
                sa.select(*_FACT_COLUMNS)
                .where(col(Escalation.status) != Status.CLOSED)
                .order_by(col(Escalation.id))
            )
        )
    return _facts(rows, followers_of(engine, [r[0] for r in rows]))


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
                select(CaseEvent.escalation_id).where(CaseEvent.kind == "breach", col(CaseEvent.at) >= since)
            )
        )
        if not ids:
            return []
        rows = list(session.execute(sa.select(*_FACT_COLUMNS).where(col(Escalation.id).in_(set(ids)))))
    by_id = {f.id: f for f in _facts(rows, {})}
    return [by_id[i] for i in ids if i in by_id]


def home_state(engine: sa.Engine, user_id: str) -> tuple[Filters, int]:
    with Session(engine) as session:
        state = session.get(HomeState, user_id)
    if state is None:
        return Filters(), 0
    return Filters.from_dict(state.filters or {}), state.page


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

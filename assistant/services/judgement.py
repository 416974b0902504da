"""The 24-hour judgement tier over the directory: concerns raised when account data changes, put
to the CSM once, answered once (escalated, or declined with a reason)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select, update

from assistant.database import session_scope
from assistant.domain.judgement import JudgementRules, Reading, Signal, SignalKind, concerns
from assistant.models import Account, AccountSignal, HealthReading, JudgementRequest, utcnow

ESCALATED, DECLINED = "escalated", "declined"


def evaluate(
    session: Session, account_ids: Iterable[int], rules: JudgementRules, now: datetime | None = None
) -> int:
    """Raise what these accounts' data now calls for under `rules` (the practice's judgement), in
    the caller's transaction, so a change and its concern land together; how many concerns are
    new. Never an escalation: a question."""
    now = now or utcnow()
    raised = 0
    for account_id in set(account_ids):
        account = session.get(Account, account_id)
        if account is None:
            continue
        readings = [
            Reading(r.at, r.score)
            for r in session.exec(select(HealthReading).where(HealthReading.account_id == account_id))
        ]
        signals = [
            Signal(s.id or 0, SignalKind(s.kind), s.at, s.detail)
            for s in session.exec(select(AccountSignal).where(AccountSignal.account_id == account_id))
        ]
        known = set(
            session.exec(
                select(JudgementRequest.fingerprint).where(JudgementRequest.account_id == account_id)
            )
        )
        for concern in concerns(account.contract_value, readings, signals, rules):
            if concern.fingerprint in known:
                continue  # the same episode: asked already
            session.add(
                JudgementRequest(
                    account_id=account_id,
                    concern=concern.concern.value,
                    fingerprint=concern.fingerprint,
                    detail=dict(concern.detail),
                    raised_at=now,
                )
            )
            known.add(concern.fingerprint)
            raised += 1
    return raised


def add_signal(
    engine: sa.Engine,
    account_id: int,
    kind: SignalKind,
    *,
    at: datetime,
    detail: str = "",
    source: str = "cli",
    rules: JudgementRules,
) -> int:
    """Record a signal and raise what it calls for (under `rules`); how many concerns are new."""
    with session_scope(engine) as session:
        session.add(
            AccountSignal(account_id=account_id, kind=kind.value, at=at, detail=detail, source=source)
        )
        session.flush()
        return evaluate(session, [account_id], rules)


def to_ask(engine: sa.Engine, limit: int = 50) -> list[tuple[JudgementRequest, Account]]:
    """Raised and not asked yet, oldest first, with their accounts."""
    with Session(engine) as session:
        rows = session.exec(
            select(JudgementRequest, Account)
            .join(Account, col(Account.id) == col(JudgementRequest.account_id))
            .where(col(JudgementRequest.asked_at).is_(None))
            .order_by(col(JudgementRequest.raised_at), col(JudgementRequest.id))
            .limit(limit)
        )
        return list(rows)  # type: ignore[arg-type]


def mark_asked(engine: sa.Engine, request_id: int, user_id: str) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(JudgementRequest)
            .where(col(JudgementRequest.id) == request_id, col(JudgementRequest.asked_at).is_(None))
            .values(asked_at=utcnow(), asked_user_id=user_id)
        )


def answer(engine: sa.Engine, request_id: int, *, user_id: str, escalated: bool, reason: str = "") -> bool:
    """Record the CSM's judgement once; False if it was answered already."""
    with session_scope(engine) as session:
        result = session.execute(
            update(JudgementRequest)
            .where(col(JudgementRequest.id) == request_id, col(JudgementRequest.answered_at).is_(None))
            .values(
                answer=ESCALATED if escalated else DECLINED,
                reason=reason or None,
                answered_by=user_id,
                answered_at=utcnow(),
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def request(engine: sa.Engine, request_id: int) -> tuple[JudgementRequest, Account] | None:
    with Session(engine) as session:
        found = session.get(JudgementRequest, request_id)
        if found is None:
            return None
        account = session.get(Account, found.account_id)
        return (found, account) if account else None


def judged_between(engine: sa.Engine, start: datetime, end: datetime) -> tuple[int, int]:
    """(escalated, declined) judgements answered in [start, end)."""
    with engine.connect() as connection:
        counts = dict(
            connection.execute(
                sa.select(col(JudgementRequest.answer), sa.func.count())
                .where(col(JudgementRequest.answered_at) >= start, col(JudgementRequest.answered_at) < end)
                .group_by(col(JudgementRequest.answer))
            ).all()
        )
    return int(counts.get(ESCALATED, 0)), int(counts.get(DECLINED, 0))

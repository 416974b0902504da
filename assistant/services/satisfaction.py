"""Recording the customer's satisfaction (once; a correction replaces it) and reading it for reports."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col

from assistant.content.i18n import _
from assistant.database import session_scope
from assistant.domain.events import EventKind
from assistant.domain.satisfaction import SatisfactionSummary, summarize_satisfaction
from assistant.models import Escalation, utcnow
from assistant.services.events import record_event
from assistant.services.lifecycle import ActionRefused


def record_satisfaction(
    engine: sa.Engine,
    case_id: int,
    *,
    actor_id: str | None,
    score: int,
    comment: str,
    source: str = "relayed",
) -> tuple[Escalation, int | None]:
    """Store the answer; returns the case and the score it replaced (None the first time).
    `source`: relayed by the CSM, or the customer's own (survey, slack_connect)."""
    with session_scope(engine) as session:
        case = session.get(Escalation, case_id, with_for_update=True)
        if case is None:
            raise ActionRefused(_("satisfaction.case_does_not_exist"))
        before = case.satisfaction_score
        case.satisfaction_score = score
        case.satisfaction_comment = comment
        if case.satisfaction_recorded_at is None:
            case.satisfaction_recorded_at = utcnow()
        session.add(case)
        if before is None:
            record_event(
                session, case_id, EventKind.SATISFACTION_RECORDED, actor_id, score=score, source=source
            )
        else:
            record_event(
                session,
                case_id,
                EventKind.SATISFACTION_CORRECTED,
                actor_id,
                score=score,
                before=before,
                source=source,
            )
        return case, before


def satisfaction_between(engine: sa.Engine, start: datetime, end: datetime) -> SatisfactionSummary:
    """Answers recorded in [start, end), and how many of the cases closed then have one."""
    with engine.connect() as connection:
        scores = (
            connection.execute(
                sa.select(col(Escalation.satisfaction_score)).where(
                    col(Escalation.satisfaction_recorded_at) >= start,
                    col(Escalation.satisfaction_recorded_at) < end,
                )
            )
            .scalars()
            .all()
        )
        closed_then = sa.and_(col(Escalation.closed_at) >= start, col(Escalation.closed_at) < end)
        closed, answered = connection.execute(
            sa.select(
                sa.func.count(),
                sa.func.count(col(Escalation.satisfaction_score)),
            ).where(closed_then)
        ).one()
        return summarize_satisfaction((s for s in scores if s is not None), closed=closed, answered=answered)

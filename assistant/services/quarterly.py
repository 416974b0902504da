"""The facts of a quarterly review, read from the database alone (`digest --quarter`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col

from assistant.domain.events import EventKind
from assistant.domain.quarterly import (
    OpenedCase,
    Proposal,
    QuarterFacts,
    QuarterlyReview,
    previous_quarter,
    quarter_bounds,
)
from assistant.models import KEY_PREFIX, CaseEvent, Escalation, RootCauseAnalysis
from assistant.services.digest import promises_between
from assistant.services.satisfaction import satisfaction_between
from assistant.services.voice import voices_between


def quarter_facts(engine: sa.Engine, start: datetime, end: datetime) -> QuarterFacts:
    with engine.connect() as connection:
        opened = [
            OpenedCase(f"{KEY_PREFIX}{case_id}", account, str(category), bool(private))
            for case_id, account, category, private in connection.execute(
                sa.select(
                    col(Escalation.id),
                    col(Escalation.account_name),
                    col(Escalation.category),
                    col(Escalation.is_private),
                ).where(col(Escalation.created_at) >= start, col(Escalation.created_at) < end)
            )
        ]
        causes = [
            str(area)
            for (area,) in connection.execute(
                sa.select(col(RootCauseAnalysis.cause_area)).where(
                    col(RootCauseAnalysis.at) >= start,
                    col(RootCauseAnalysis.at) < end,
                    col(RootCauseAnalysis.cause_area).is_not(None),
                )
            )
        ]
        proposals = []
        for case_id, account, private, data in connection.execute(
            sa.select(
                col(CaseEvent.escalation_id),
                col(Escalation.account_name),
                col(Escalation.is_private),
                col(CaseEvent.data),
            )
            .join(Escalation, col(Escalation.id) == col(CaseEvent.escalation_id))
            .where(
                col(CaseEvent.kind) == EventKind.CLOSED, col(CaseEvent.at) >= start, col(CaseEvent.at) < end
            )
            .order_by(col(CaseEvent.at))
        ):
            review = (data or {}).get("review")
            if not review:
                continue
            proposals.append(
                Proposal(
                    key=f"{KEY_PREFIX}{case_id}",
                    # A restricted case's account and words stay with its people.
                    account=None if private else account,
                    area=str(review.get("area") or "none"),
                    handled_better=None if private else review.get("handled_better"),
                    improvement=None if private else review.get("improvement"),
                )
            )
    promises = promises_between(engine, start, end)
    return QuarterFacts(
        opened=opened,
        causes=causes,
        promises_made=promises.made,
        promises_kept=promises.kept,
        satisfaction=satisfaction_between(engine, start, end),
        voices=voices_between(engine, start, end, top=5),
        proposals=proposals,
    )


def quarterly_review(engine: sa.Engine, label: str) -> QuarterlyReview:
    before = previous_quarter(label)
    return QuarterlyReview(
        label=label,
        previous_label=before,
        this=quarter_facts(engine, *quarter_bounds(label)),
        previous=quarter_facts(engine, *quarter_bounds(before)),
    )

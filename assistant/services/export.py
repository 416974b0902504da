"""Cases with their timings, for BI tools: `python -m assistant export --format csv|json`."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assistant.domain.metrics import EventFact, case_timings, on_time_rate
from assistant.models import CaseEvent, Escalation

COLUMNS = [
    "key",
    "account",
    "summary",
    "category",
    "severity",
    "status",
    "owner_id",
    "reporter_id",
    "private",
    "created_at",
    "acknowledged_at",
    "resolved_at",
    "closed_at",
    "minutes_to_acknowledge",
    "minutes_to_resolve",
    "promises_made",
    "promises_kept",
    "on_time_rate",
    "breaches",
]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _minutes(delta: Any) -> float | None:
    return round(delta.total_seconds() / 60, 1) if delta is not None else None


def export_rows(engine: sa.Engine, since: datetime | None = None) -> list[dict[str, Any]]:
    with Session(engine) as session:
        query = select(Escalation).order_by(col(Escalation.id))
        if since is not None:
            query = query.where(col(Escalation.created_at) >= since)
        cases = list(session.exec(query))
        events: dict[int, list[EventFact]] = defaultdict(list)
        ids = [c.id for c in cases]
        for chunk in range(0, len(ids), 900):
            for event in session.exec(
                select(CaseEvent).where(col(CaseEvent.escalation_id).in_(ids[chunk : chunk + 900]))
            ):
                events[event.escalation_id].append(EventFact(event.kind, event.at))
    rows = []
    for case in cases:
        timings = case_timings(
            case.created_at,
            events[case.id or 0],
            promises_made=case.promises_made,
            promises_kept=case.promises_kept,
        )
        rate = on_time_rate(case.promises_kept, case.promises_made)
        rows.append(
            {
                "key": case.key,
                "account": case.account_name,
                "summary": case.summary,
                "category": case.category.value,
                "severity": case.severity.value,
                "status": case.status.value,
                "owner_id": case.owner_id,
                "reporter_id": case.reporter_id,
                "private": case.is_private,
                "created_at": _iso(case.created_at),
                "acknowledged_at": _iso(timings.acknowledged_at),
                "resolved_at": _iso(timings.resolved_at),
                "closed_at": _iso(timings.closed_at),
                "minutes_to_acknowledge": _minutes(timings.time_to_acknowledge),
                "minutes_to_resolve": _minutes(timings.time_to_resolve),
                "promises_made": case.promises_made,
                "promises_kept": case.promises_kept,
                "on_time_rate": round(rate, 3) if rate is not None else None,
                "breaches": timings.breaches,
            }
        )
    return rows


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        # A leading = + - @ would be read as a formula by spreadsheets.
        writer.writerow(
            {k: ("'" + v if isinstance(v, str) and v[:1] in "=+-@" else v) for k, v in row.items()}
        )
    return out.getvalue()


def to_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=2)

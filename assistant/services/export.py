"""Cases with their timings, for BI tools: `python -m assistant export --format csv|json`."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any

import sqlalchemy as sa
from sqlmodel import Session, col

from assistant.content.registry import installed
from assistant.domain.events import EventKind
from assistant.domain.intake import FormQuestions
from assistant.domain.metrics import EventFact, case_timings, on_time_rate
from assistant.domain.spreadsheet import formula_safe
from assistant.models import KEY_PREFIX, CaseEvent, Concession, CustomerCommunication, Escalation
from assistant.services.accounts import affected_names
from assistant.services.approvals import granted_concessions
from assistant.services.cases import SUMMARY_COLUMNS, tagged

COLUMNS = [
    "key",
    "account",
    "account_value",
    "account_currency",
    "affected_accounts",
    "affected_services",
    "tags",
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
    "acknowledged_on_time",
    "minutes_to_first_customer_contact",
    "first_customer_contact_on_time",
    "minutes_to_resolve",
    "promises_made",
    "promises_kept",
    "promises_delivered_late",
    "on_time_rate",
    "breaches",
    "satisfaction_score",
    "satisfaction_comment",
    "customer_last_heard_at",
    "customer_communications",
    "concessions",
    "concessions_value",
]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _minutes(delta: Any) -> float | None:
    return round(delta.total_seconds() / 60, 1) if delta is not None else None


PAGE = 1000
# The events the timings are made of (the rest of the timeline is not read).
TIMING_EVENTS = (
    EventKind.ACKNOWLEDGED,
    EventKind.RESOLVED,
    EventKind.REOPENED,
    EventKind.CLOSED,
    EventKind.BREACH,
    # The first one (`first_contact` in its data) is stage 2's promise kept, or not.
    EventKind.CUSTOMER_COMMUNICATION_SENT,
)
# The timing events whose data the timings read.
TIMING_DATA = frozenset({EventKind.ACKNOWLEDGED, EventKind.CUSTOMER_COMMUNICATION_SENT})
_CASE_COLUMNS: tuple[Any, ...] = (
    *SUMMARY_COLUMNS,
    Escalation.is_private,
    Escalation.created_at,
    Escalation.promises_made,
    Escalation.promises_kept,
    Escalation.promises_delivered_late,
    Escalation.customer_heard_at,
    Escalation.satisfaction_score,
    Escalation.satisfaction_comment,
    Escalation.custom_fields,
    Escalation.affected_services,
    Escalation.tags,
    Escalation.account_value,
    Escalation.account_currency,
)


def columns(questions: FormQuestions | None = None) -> list[str]:
    """The export's columns: ours, then one per question of the team's own (custom:<id>) of
    `questions` (None: the content in effect's)."""
    questions = questions if questions is not None else installed().questions
    return COLUMNS + [f"custom:{q.id}" for q in questions.custom]


def export_rows(
    engine: sa.Engine,
    since: datetime | None = None,
    questions: FormQuestions | None = None,
    tag: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Every case (created since `since`; carrying `tag`) with its timings, a page at a time: memory
    stays flat. `questions`: the intake form's (None: the content in effect's), one column each."""
    questions = questions if questions is not None else installed().questions
    after = 0
    while True:
        with Session(engine) as session:
            query = sa.select(*_CASE_COLUMNS).where(col(Escalation.id) > after)
            if since is not None:
                query = query.where(col(Escalation.created_at) >= since)
            if tag is not None:
                query = query.where(tagged(tag))
            cases = list(session.execute(query.order_by(col(Escalation.id)).limit(PAGE)))
            if not cases:
                return
            events: dict[int, list[EventFact]] = defaultdict(list)
            timing_events = sa.select(
                col(CaseEvent.escalation_id), col(CaseEvent.kind), col(CaseEvent.at), col(CaseEvent.data)
            )
            for case_id, kind, at, data in session.execute(
                timing_events.where(col(CaseEvent.escalation_id).between(cases[0].id, cases[-1].id)).where(
                    col(CaseEvent.kind).in_(TIMING_EVENTS)
                )
            ):
                # The acknowledgement's data says whether it met its calendar deadline; the first
                # message to the customer, whether it kept the first hour.
                events[case_id].append(EventFact(kind, at, (data or {}) if kind in TIMING_DATA else {}))
            # What the customer was told and heard (delivered, or recorded as sent by the owner).
            told: dict[int, int] = dict(
                session.execute(  # type: ignore[arg-type]
                    sa.select(col(CustomerCommunication.escalation_id), sa.func.count())
                    .where(
                        col(CustomerCommunication.escalation_id).between(cases[0].id, cases[-1].id),
                        col(CustomerCommunication.delivered_at).is_not(None),
                    )
                    .group_by(col(CustomerCommunication.escalation_id))
                ).all()
            )
        affected = affected_names(engine, [case.id for case in cases])
        granted = granted_concessions(engine, [case.id for case in cases])
        for case in cases:
            row = _row(case, events[case.id], told.get(case.id, 0), affected.get(case.id, []), questions)
            yield row | concession_columns(granted.get(case.id, []))
        after = cases[-1].id


def concession_columns(granted: list[Concession]) -> dict[str, Any]:
    """The approved concessions: each kind and what exactly, and their money value (per currency)."""
    totals: dict[str, int] = defaultdict(int)
    for c in granted:
        if c.amount is not None:
            totals[c.currency or ""] += c.amount
    return {
        "concessions": "; ".join(f"{c.kind}: {c.value}" for c in granted),
        "concessions_value": "; ".join(f"{currency} {amount}".strip() for currency, amount in totals.items()),
    }


def _row(
    case: Any, events: list[EventFact], told: int, affected: list[str], questions: FormQuestions
) -> dict[str, Any]:
    timings = case_timings(
        case.created_at, events, promises_made=case.promises_made, promises_kept=case.promises_kept
    )
    rate = on_time_rate(case.promises_kept, case.promises_made)
    return {
        "key": f"{KEY_PREFIX}{case.id}",
        "account": case.account_name,
        "account_value": case.account_value,
        "account_currency": case.account_currency,
        "affected_accounts": "; ".join(affected),
        "affected_services": "; ".join(case.affected_services or []),
        "tags": "; ".join(case.tags or []),
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
        "acknowledged_on_time": timings.acknowledged_on_time,
        "minutes_to_first_customer_contact": _minutes(timings.time_to_first_contact),
        "first_customer_contact_on_time": timings.first_contact_on_time,
        "minutes_to_resolve": _minutes(timings.time_to_resolve),
        "promises_made": case.promises_made,
        "promises_kept": case.promises_kept,
        "promises_delivered_late": case.promises_delivered_late,
        "on_time_rate": round(rate, 3) if rate is not None else None,
        "breaches": timings.breaches,
        "satisfaction_score": case.satisfaction_score,
        "satisfaction_comment": case.satisfaction_comment,
        "customer_last_heard_at": _iso(case.customer_heard_at),
        "customer_communications": told,
        **{f"custom:{q.id}": (case.custom_fields or {}).get(q.id) for q in questions.custom},
    }


# Every message to a customer, as a record: `export --what communications`.
COMMUNICATION_COLUMNS = [
    "key",
    "communication_id",
    "purpose",
    "route",
    "recipients",
    "language",
    "sent_by",
    "how",
    "queued_at",
    "delivered_at",
    "state",
    "attempts",
    "last_error",
    "keeps_promise_at",
    "promise_kept",
    "text",
]


def communication_rows(engine: sa.Engine, since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Every communication (queued since `since`), a page at a time."""
    after = 0
    while True:
        with Session(engine) as session:
            query = sa.select(CustomerCommunication).where(col(CustomerCommunication.id) > after)
            if since is not None:
                query = query.where(col(CustomerCommunication.queued_at) >= since)
            page = list(session.execute(query.order_by(col(CustomerCommunication.id)).limit(PAGE)).scalars())
        if not page:
            return
        for row in page:
            kept = None
            if row.keeps_promise_at is not None and row.delivered_at is not None:
                kept = row.delivered_at <= row.keeps_promise_at
            yield {
                "key": f"{KEY_PREFIX}{row.escalation_id}",
                "communication_id": row.id,
                "purpose": row.purpose,
                "route": row.channel,
                "recipients": "; ".join(row.recipients),
                "language": row.language,
                "sent_by": row.sent_by,
                "how": row.how,
                "queued_at": _iso(row.queued_at),
                "delivered_at": _iso(row.delivered_at),
                "state": row.state,
                "attempts": row.attempts,
                "last_error": row.last_error,
                "keeps_promise_at": _iso(row.keeps_promise_at),
                "promise_kept": kept,
                "text": row.text,
            }
        after = page[-1].id or 0


def write_csv(rows: Iterable[dict[str, Any]], out: IO[str], fieldnames: list[str] | None = None) -> None:
    """Rows as CSV under `fieldnames` (default: the cases' columns); text a spreadsheet would run
    as a formula is written as text (domain.spreadsheet: the one rule of every export)."""
    writer = csv.DictWriter(out, fieldnames=fieldnames or columns(), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: formula_safe(v) for k, v in row.items()})


def write_json(rows: Iterable[dict[str, Any]], out: IO[str]) -> None:
    """A JSON array written one case at a time."""
    out.write("[")
    for index, row in enumerate(rows):
        out.write(",\n  " if index else "\n  ")
        out.write(json.dumps(row, ensure_ascii=False))
    out.write("\n]\n")


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    write_csv(rows, out)
    return out.getvalue()


def to_json(rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    write_json(rows, out)
    return out.getvalue()

"""Case metrics as plain functions over a case and its timeline events (no ad-hoc queries)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from assistant.domain.events import EventKind


@dataclass(frozen=True)
class EventFact:
    kind: str
    at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseTimings:
    created_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    time_to_acknowledge: timedelta | None
    time_to_resolve: timedelta | None
    acknowledged_on_time: bool | None
    promises_made: int
    promises_kept: int
    breaches: int
    # Stage 2: how long until the customer first heard from us, and whether within the promise.
    time_to_first_contact: timedelta | None = None
    first_contact_on_time: bool | None = None


def first(events: Iterable[EventFact], kind: EventKind) -> datetime | None:
    return min((e.at for e in events if e.kind == kind), default=None)


def acknowledged_on_time(events: Iterable[EventFact]) -> bool | None:
    """Whether the first acknowledgement met its deadline: the one set on the case's calendar
    when it opened (a medium case on office hours may be on time 60 hours later). None if the
    case is unacknowledged, or if its event predates the record."""
    acknowledgements = sorted((e for e in events if e.kind == EventKind.ACKNOWLEDGED), key=lambda e: e.at)
    if not acknowledgements or "on_time" not in acknowledgements[0].data:
        return None
    return bool(acknowledgements[0].data["on_time"])


def first_customer_contact(events: Iterable[EventFact]) -> tuple[datetime, bool] | None:
    """When the customer first heard from us (delivered, or sent by the owner themselves), and
    whether that kept stage 2's promise; None before they have, or for a case opened before the
    promise was tracked."""
    for event in sorted(events, key=lambda e: e.at):
        if event.kind == EventKind.CUSTOMER_COMMUNICATION_SENT and event.data.get("first_contact"):
            at = datetime.fromisoformat(str(event.data.get("delivered_at") or event.at.isoformat()))
            return at, bool(event.data.get("first_contact_kept"))
    return None


def settled_promises(data: Mapping[str, Any]) -> list[tuple[bool, bool]]:
    """The promises a timeline event settled, each as (kept, delivered late by us): a customer
    message may keep two at once (the promised update, and the first hour's first contact)."""
    settled = []
    for kept, late in (("promise_kept", "late_by_us"), ("first_contact_kept", "first_contact_late_by_us")):
        if kept in data:
            settled.append((bool(data[kept]), bool(data.get(late))))
    return settled


def last(events: Iterable[EventFact], kind: EventKind) -> datetime | None:
    return max((e.at for e in events if e.kind == kind), default=None)


def case_timings(
    created_at: datetime, events: list[EventFact], *, promises_made: int, promises_kept: int
) -> CaseTimings:
    """When a case was acknowledged, resolved and closed; after a reopening, only its later ones count."""
    acknowledged = first(events, EventKind.ACKNOWLEDGED)
    resolved = last(events, EventKind.RESOLVED)
    reopened = last(events, EventKind.REOPENED)
    if resolved and reopened and reopened > resolved:
        resolved = None
    closed = last(events, EventKind.CLOSED)
    if closed and reopened and reopened > closed:
        closed = None
    contact = first_customer_contact(events)
    return CaseTimings(
        created_at=created_at,
        acknowledged_at=acknowledged,
        resolved_at=resolved,
        closed_at=closed,
        time_to_acknowledge=acknowledged - created_at if acknowledged else None,
        time_to_resolve=resolved - created_at if resolved else None,
        acknowledged_on_time=acknowledged_on_time(events),
        promises_made=promises_made,
        promises_kept=promises_kept,
        breaches=sum(1 for e in events if e.kind == EventKind.BREACH),
        time_to_first_contact=contact[0] - created_at if contact else None,
        first_contact_on_time=contact[1] if contact else None,
    )


def on_time_rate(kept: int, made: int) -> float | None:
    return kept / made if made else None


def percentile(values: list[timedelta], p: float) -> timedelta | None:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil
    return ordered[int(rank) - 1]

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

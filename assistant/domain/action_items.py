"""Action items are promises too: each has an owner and a due time.

An RCA's item is due at the end of its due day in the owner's timezone, and its owner is reminded a
day before that. An action plan's step is due at the time it names, and its owner is reminded
half an hour before. Once either passes undone, it is escalated like any missed promise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

REMIND_BEFORE = timedelta(days=1)
STEP_REMIND_BEFORE = timedelta(minutes=30)


class ItemAlert(StrEnum):
    REMIND = "remind"  # to the owner: due soon
    ESCALATE = "escalate"  # to the managers: overdue


@dataclass(frozen=True)
class ItemState:
    due_on: date
    done: bool
    reminded: bool
    escalated: bool
    # An action plan step's due time (an RCA item has none: it is due by the end of due_on).
    due_at: datetime | None = None

    def deadline(self, zone: ZoneInfo) -> datetime:
        return self.due_at if self.due_at is not None else due_at(self.due_on, zone)

    @property
    def remind_before(self) -> timedelta:
        return STEP_REMIND_BEFORE if self.due_at is not None else REMIND_BEFORE


def due_at(due_on: date, zone: ZoneInfo) -> datetime:
    """The end of the due day where the owner is (the next midnight there), in UTC."""
    return datetime.combine(due_on + timedelta(days=1), time(0, 0), zone).astimezone(UTC)


def alerts_due(item: ItemState, zone: ZoneInfo, now: datetime) -> list[ItemAlert]:
    """What the item calls for now (each once: reminded and escalated items are not told again)."""
    if item.done:
        return []
    deadline = item.deadline(zone)
    alerts = []
    if not item.reminded and deadline - item.remind_before <= now < deadline:
        alerts.append(ItemAlert.REMIND)
    if not item.escalated and now >= deadline:
        alerts.append(ItemAlert.ESCALATE)
    return alerts


def is_overdue(due_on: date, zone: ZoneInfo, now: datetime) -> bool:
    return now >= due_at(due_on, zone)

"""RCA action items are promises too: each has an owner and a due date.

Due at the end of its due day in the owner's timezone. The owner is reminded a
day before that; once it passes undone, it is escalated like any missed promise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

REMIND_BEFORE = timedelta(days=1)


class ItemAlert(StrEnum):
    REMIND = "remind"  # to the owner: due soon
    ESCALATE = "escalate"  # to the managers: overdue


@dataclass(frozen=True)
class ItemState:
    due_on: date
    done: bool
    reminded: bool
    escalated: bool


def due_at(due_on: date, zone: ZoneInfo) -> datetime:
    """The end of the due day where the owner is (the next midnight there), in UTC."""
    return datetime.combine(due_on + timedelta(days=1), time(0, 0), zone).astimezone(UTC)


def alerts_due(item: ItemState, zone: ZoneInfo, now: datetime) -> list[ItemAlert]:
    """What the item calls for now (each once: reminded and escalated items are not told again)."""
    if item.done:
        return []
    deadline = due_at(item.due_on, zone)
    alerts = []
    if not item.reminded and deadline - REMIND_BEFORE <= now < deadline:
        alerts.append(ItemAlert.REMIND)
    if not item.escalated and now >= deadline:
        alerts.append(ItemAlert.ESCALATE)
    return alerts


def is_overdue(due_on: date, zone: ZoneInfo, now: datetime) -> bool:
    return now >= due_at(due_on, zone)

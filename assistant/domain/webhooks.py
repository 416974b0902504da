"""Webhooks out: which timeline events other systems may subscribe to, and what each one says.

The payload is stable and documented (README, "Webhooks"): `type`, `timestamp`, and `data`
with the case (`key`, `id`), who acted (a Slack id or null), and the event's own details.
Never customer text, never an internal note: what happened, not what was said.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from assistant.domain.events import EventKind

# Timeline events -> webhook event types (a reminder counts only when a promise is due soon).
EVENT_TYPES: dict[EventKind, str] = {
    EventKind.OPENED: "opened",
    EventKind.ACKNOWLEDGED: "acknowledged",
    EventKind.UPDATE_POSTED: "update_posted",
    EventKind.CUSTOMER_COMMUNICATION_SENT: "customer_communication_sent",
    EventKind.REMINDER_SENT: "promise_due_soon",
    EventKind.BREACH: "promise_missed",
    EventKind.MANAGERS_TOLD: "escalated",
    EventKind.REASSIGNED: "reassigned",
    EventKind.RESOLVED: "resolved",
    EventKind.RCA_RECORDED: "rca_published",
    EventKind.CLOSED: "closed",
    EventKind.SATISFACTION_RECORDED: "csat_received",
}
TYPES: tuple[str, ...] = tuple(dict.fromkeys(EVENT_TYPES.values()))
# The details each type carries (from the timeline event's data): nothing written by people.
_DETAILS = (
    "owner_id", "category", "severity", "triggers", "next_update_due_at", "on_time", "route", "purpose",
    "promise_kept", "late_by_us", "queued_at", "delivered_at", "reminder", "late", "from", "to",
    "customer_confirmed", "rca_due_at", "action_items", "cause_area", "with_rca", "score", "source",
    "internal_only", "promised",
)  # fmt: skip


def event_type(kind: str, data: dict[str, Any]) -> str | None:
    """The webhook type of a timeline event, or None if it is not one subscribers hear of."""
    if kind not in EventKind._value2member_map_:
        return None
    found = EVENT_TYPES.get(EventKind(kind))
    if found == "promise_due_soon" and not str(data.get("reminder", "")).endswith("_soon"):
        return None
    return found


def payload(
    kind: str, key: str, case_id: int, actor_id: str | None, at: datetime, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": event_type(kind, data),
        "timestamp": at.isoformat(),
        "data": {
            "escalation": {"key": key, "id": case_id},
            "actor": actor_id,
            "details": {k: v for k, v in data.items() if k in _DETAILS},
        },
    }

"""The life of a case."""

from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    CLOSED = "closed"


STATUS_LABELS: dict[Status, str] = {
    Status.NEW: "New: awaiting acknowledgement",
    Status.ACKNOWLEDGED: "Acknowledged",
    Status.RESOLVED: "Resolved",
    Status.CLOSED: "Closed",
}

"""The life of a case."""

from enum import StrEnum

from assistant.domain.sentences import N_


class Status(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    CLOSED = "closed"


STATUS_LABELS: dict[Status, str] = {
    Status.NEW: N_("New: awaiting acknowledgement"),
    Status.ACKNOWLEDGED: N_("Acknowledged"),
    Status.RESOLVED: N_("Resolved"),
    Status.CLOSED: N_("Closed"),
}

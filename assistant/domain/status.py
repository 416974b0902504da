"""The life of a case."""

from enum import StrEnum

from assistant.domain.sentences import N_


class Status(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    CLOSED = "closed"


STATUS_LABELS: dict[Status, str] = {
    Status.NEW: N_("status.new_awaiting_acknowledgement"),
    Status.ACKNOWLEDGED: N_("status.acknowledged"),
    Status.RESOLVED: N_("status.resolved"),
    Status.CLOSED: N_("status.closed"),
}

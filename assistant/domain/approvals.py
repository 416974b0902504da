"""Approvals (seed 004): steps the playbook says need one before they stand. A concession to the
customer is recorded only once approved; a customer-facing RCA goes out only once approved. The
approvers decide, with a reason; one who asked never decides their own request."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Subject(StrEnum):
    """What an approval is for (the playbook's `approvals` keys)."""

    CONCESSION = "concession"
    CUSTOMER_RCA = "customer_rca"


class ApprovalState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    # A customer-facing RCA recorded again while its approval waited: the newer one waits instead.
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class ApprovalRule:
    # Slack user groups (handles) whose members decide; none: the escalation managers.
    groups: tuple[str, ...] = ()
    # Only accounts worth more than this need it (None: every account).
    accounts_above: int | None = None

    def applies_to(self, account_value: int | None) -> bool:
        """An account of unknown value counts as one worth more: the safe side."""
        return self.accounts_above is None or account_value is None or account_value > self.accounts_above


def approvers(members: Iterable[str], managers: Iterable[str], requester: str) -> tuple[list[str], bool]:
    """Who decides, and whether they are the groups' members: the members, else the escalation
    managers; never the one who asked, unless no one else could (a one-person team still gets its
    step through)."""
    found = [p for p in dict.fromkeys(members) if p != requester]
    if found:
        return found, True
    found = [p for p in dict.fromkeys(managers) if p != requester]
    return found or [requester], False

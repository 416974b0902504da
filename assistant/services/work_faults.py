"""Background work that failed unexpectedly, as an operator sees it: what is parked or backing
off, and trying a parked item again once its cause is fixed (`python -m assistant work`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select, update

from assistant.database import session_scope
from assistant.models import CustomerCommunication, Reminder, WorkFault, utcnow
from assistant.services import customer, reminders, webhooks


@dataclass(frozen=True)
class Retried:
    fault: WorkFault
    # False when the item is gone or was handled meanwhile: nothing was owed any more.
    rearmed: bool
    # True when it is back in line now; else its loop's next pass finds it (a sweep's items).
    at_once: bool = True


def open_faults(engine: sa.Engine) -> list[WorkFault]:
    """Faults not yet resolved: parked ones first, then those waiting out a back-off."""
    with Session(engine) as session:
        rows = list(session.exec(select(WorkFault).where(col(WorkFault.resolved_at).is_(None))))
    return sorted(rows, key=lambda r: (r.parked_at is None, r.id or 0))


def retry(engine: sa.Engine, fault_id: int, now: datetime | None = None) -> Retried | None:
    """Try a faulty item again now (its fault count starts afresh); None if no such fault."""
    now = now or utcnow()
    with session_scope(engine) as session:
        fault = session.get(WorkFault, fault_id)
        if fault is None:
            return None
        fault.resolved_at, fault.next_try_at = now, None
        session.add(fault)
        kind, _, raw_id = fault.item.partition(":")
        rearmed = _rearm(session, kind, int(raw_id) if raw_id.isdigit() else 0, now)
        session.flush()
        session.expunge(fault)
    # Items found by a sweep (provisioning steps, judgement questions, action items) are found
    # again at its next pass now that their fault is resolved.
    return Retried(fault, rearmed if kind in _REARMED else True, at_once=kind in _REARMED)


_REARMED = frozenset({"communication", "reminder", "webhook"})


def _rearm(session: Session, kind: str, item_id: int, now: datetime) -> bool:
    """Put an outbox item back in line (its own row said it was parked or backing off)."""
    if kind == "communication":
        result = session.execute(
            update(CustomerCommunication)
            .where(
                col(CustomerCommunication.id) == item_id,
                col(CustomerCommunication.state).in_([customer.PARKED, customer.QUEUED]),
            )
            .values(state=customer.QUEUED, next_attempt_at=now, claimed_by=None)
        )
    elif kind == "reminder":
        result = session.execute(
            update(Reminder)
            .where(
                col(Reminder.id) == item_id, col(Reminder.state).in_([reminders.PARKED, reminders.CLAIMED])
            )
            .values(state=reminders.CLAIMED, claimed_until=now, claimed_by=None)
        )
    elif kind == "webhook":
        return webhooks.unpark(session, item_id, now)
    else:
        return False
    return bool(result.rowcount)  # type: ignore[attr-defined]

"""The record of which Slack steps of a case are done, and who may work on them now.

A lease (a conditional update) lets exactly one worker provision a case at a
time, across threads and across app instances sharing one database.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select, update

from assistant.database import session_scope
from assistant.domain.provisioning import STEP_EVENTS, Step, retry_due
from assistant.models import Escalation, ProvisioningStep, utcnow
from assistant.services.events import record_event


def claim(engine: sa.Engine, case_id: int, lease: timedelta, *, now: datetime | None = None) -> bool:
    """Take the case's provisioning lease if nobody holds it (or theirs ran out)."""
    now = now or utcnow()
    with session_scope(engine) as session:
        result = session.execute(
            update(Escalation)
            .where(col(Escalation.id) == case_id)
            .where(
                sa.or_(
                    col(Escalation.provisioning_lease_until).is_(None),
                    col(Escalation.provisioning_lease_until) < now,
                )
            )
            .values(provisioning_lease_until=now + lease)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]


def extend(engine: sa.Engine, case_id: int, lease: timedelta) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(Escalation)
            .where(col(Escalation.id) == case_id)
            .values(provisioning_lease_until=utcnow() + lease)
        )


def release(engine: sa.Engine, case_id: int) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(Escalation).where(col(Escalation.id) == case_id).values(provisioning_lease_until=None)
        )


def pending_steps(engine: sa.Engine, case_id: int) -> dict[Step, ProvisioningStep]:
    with Session(engine) as session:
        rows = session.exec(
            select(ProvisioningStep)
            .where(ProvisioningStep.escalation_id == case_id)
            .where(col(ProvisioningStep.done_at).is_(None))
        )
        return {Step(row.step): row for row in rows}


def record_attempt(engine: sa.Engine, case_id: int, step: Step) -> None:
    """Note that a step is being tried."""
    with session_scope(engine) as session:
        session.execute(
            update(ProvisioningStep)
            .where(col(ProvisioningStep.escalation_id) == case_id)
            .where(col(ProvisioningStep.step) == step.value)
            .values(attempts=ProvisioningStep.attempts + 1, last_attempt_at=utcnow())
        )


def remember_channel_name(engine: sa.Engine, case_id: int, name: str) -> None:
    """Written before conversations.create, so a crash during the call can be repaired."""
    with session_scope(engine) as session:
        session.execute(
            update(Escalation).where(col(Escalation.id) == case_id).values(requested_channel_name=name)
        )


def mark_done(
    engine: sa.Engine,
    case_id: int,
    step: Step,
    *,
    event: dict[str, Any] | None = None,
    **case_fields: Any,
) -> None:
    """Record a step done, with what it produced (channel id, card ts) and its timeline event."""
    now = utcnow()
    with session_scope(engine) as session:
        session.execute(
            update(ProvisioningStep)
            .where(col(ProvisioningStep.escalation_id) == case_id)
            .where(col(ProvisioningStep.step) == step.value)
            .values(done_at=now, last_error=None)
        )
        if case_fields:
            session.execute(
                update(Escalation).where(col(Escalation.id) == case_id).values(updated_at=now, **case_fields)
            )
        record_event(session, case_id, STEP_EVENTS[step], **(event or {}))


def mark_failed(engine: sa.Engine, case_id: int, step: Step, error: str) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(ProvisioningStep)
            .where(col(ProvisioningStep.escalation_id) == case_id)
            .where(col(ProvisioningStep.step) == step.value)
            .values(last_error=error[:500])
        )
        record_event(session, case_id, "provisioning_step_failed", step=step.value, error=error)


def cases_to_repair(
    engine: sa.Engine, *, retry_interval: timedelta, now: datetime | None = None
) -> list[int]:
    """Cases with steps not done, nobody working on them, and a retry due."""
    now = now or utcnow()
    with Session(engine) as session:
        rows = session.exec(
            select(ProvisioningStep)
            .join(Escalation, col(Escalation.id) == col(ProvisioningStep.escalation_id))
            .where(col(ProvisioningStep.done_at).is_(None))
            .where(
                sa.or_(
                    col(Escalation.provisioning_lease_until).is_(None),
                    col(Escalation.provisioning_lease_until) < now,
                )
            )
            .order_by(col(ProvisioningStep.escalation_id))
        )
        due: list[int] = []
        for row in rows:
            if row.escalation_id not in due and retry_due(
                row.attempts, row.last_attempt_at, retry_interval, now
            ):
                due.append(row.escalation_id)
        return due


def channel_owner(engine: sa.Engine, channel_id: str) -> int | None:
    """Which case already lives in this channel, if any."""
    with Session(engine) as session:
        return session.exec(select(Escalation.id).where(Escalation.channel_id == channel_id)).first()

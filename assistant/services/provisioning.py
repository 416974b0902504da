"""The record of which Slack steps of a case are done, and who may work on them now.

A lease on each step (a conditional update) lets exactly one worker run it at
a time, across threads and across app instances sharing one database.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select, update

from assistant.database import session_scope
from assistant.domain.events import EventKind
from assistant.domain.provisioning import STEP_EVENTS, Step, retry_due
from assistant.models import Escalation, ProvisioningStep, utcnow
from assistant.services.events import record_event


def _unheld(now: datetime) -> Any:
    return sa.or_(col(ProvisioningStep.lease_until).is_(None), col(ProvisioningStep.lease_until) < now)


def _step(case_id: int, step: Step) -> Any:
    return sa.and_(col(ProvisioningStep.escalation_id) == case_id, col(ProvisioningStep.step) == step.value)


def claim_step(
    engine: sa.Engine, case_id: int, step: Step, lease: timedelta, *, now: datetime | None = None
) -> ProvisioningStep | None:
    """Take a step not done that nobody holds (or whose holder's lease ran out), counting the
    attempt it is taken for (`attempts` includes it); None if not ours. One statement."""
    now = now or utcnow()
    with session_scope(engine) as session:
        row = session.exec(  # type: ignore[call-overload]
            update(ProvisioningStep)
            .where(_step(case_id, step))
            .where(col(ProvisioningStep.done_at).is_(None))
            .where(_unheld(now))
            .values(lease_until=now + lease, attempts=ProvisioningStep.attempts + 1, last_attempt_at=now)
            .returning(ProvisioningStep)
        ).scalar_one_or_none()
        if row is not None:
            session.expunge(row)
        return row  # type: ignore[no-any-return]


def rearm_step(session: Session, case_id: int, step: Step) -> None:
    """A step to run again (there is more for it to do), in the caller's transaction."""
    changed = session.execute(
        update(ProvisioningStep)
        .where(_step(case_id, step))
        .values(done_at=None, attempts=0, last_attempt_at=None, last_error=None)
    )
    if changed.rowcount == 0:  # type: ignore[attr-defined]
        session.add(ProvisioningStep(escalation_id=case_id, step=step.value, attempts=0))


def rearm_finished(engine: sa.Engine, case_ids: list[int], step: Step) -> None:
    """Run a step again in cases where it was recorded done though work for it remains."""
    if case_ids:
        with session_scope(engine) as session:
            session.execute(
                update(ProvisioningStep)
                .where(col(ProvisioningStep.escalation_id).in_(case_ids))
                .where(col(ProvisioningStep.step) == step.value)
                .where(col(ProvisioningStep.done_at).is_not(None))
                .values(done_at=None, attempts=0, last_attempt_at=None)
            )


def release_step(engine: sa.Engine, case_id: int, step: Step) -> None:
    with session_scope(engine) as session:
        session.execute(update(ProvisioningStep).where(_step(case_id, step)).values(lease_until=None))


def pending_steps(engine: sa.Engine, case_id: int) -> dict[Step, ProvisioningStep]:
    with Session(engine) as session:
        rows = session.exec(
            select(ProvisioningStep)
            .where(ProvisioningStep.escalation_id == case_id)
            .where(col(ProvisioningStep.done_at).is_(None))
        )
        return {Step(row.step): row for row in rows}


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
    """Record a step done (and given back), with what it produced (channel id, card ts) and its
    timeline event."""
    now = utcnow()
    with session_scope(engine) as session:
        session.execute(
            update(ProvisioningStep)
            .where(_step(case_id, step))
            .values(done_at=now, last_error=None, lease_until=None)
        )
        if case_fields:
            session.execute(
                update(Escalation).where(col(Escalation.id) == case_id).values(updated_at=now, **case_fields)
            )
        record_event(session, case_id, STEP_EVENTS[step], **(event or {}))


def mark_failed(engine: sa.Engine, case_id: int, step: Step, error: str) -> None:
    with session_scope(engine) as session:
        session.execute(update(ProvisioningStep).where(_step(case_id, step)).values(last_error=error[:500]))
        record_event(session, case_id, EventKind.PROVISIONING_STEP_FAILED, step=step.value, error=error)


def steps_to_repair(
    engine: sa.Engine, *, retry_interval: timedelta, now: datetime | None = None
) -> dict[int, tuple[set[Step], set[Step]]]:
    """Cases with a step not done, nobody working on it and a retry due, oldest case first:
    each case's steps not done, and those of them due now.

    Reads only unfinished steps (a partial index), so its cost does not grow with history.
    """
    now = now or utcnow()
    with Session(engine) as session:
        rows = session.exec(
            select(ProvisioningStep)
            .where(col(ProvisioningStep.done_at).is_(None))
            .order_by(col(ProvisioningStep.escalation_id))
        )
        pending: dict[int, set[Step]] = {}
        due: dict[int, set[Step]] = {}
        for row in rows:
            pending.setdefault(row.escalation_id, set()).add(Step(row.step))
            held = row.lease_until is not None and row.lease_until >= now
            if not held and retry_due(row.attempts, row.last_attempt_at, retry_interval, now):
                due.setdefault(row.escalation_id, set()).add(Step(row.step))
    return {case_id: (pending[case_id], steps) for case_id, steps in due.items()}


def cases_ahead(engine: sa.Engine, case_id: int) -> int:
    """How many older cases are still waiting for their channel (the CSM's place in the queue)."""
    with Session(engine) as session:
        return session.exec(
            select(sa.func.count())
            .select_from(ProvisioningStep)
            .where(col(ProvisioningStep.done_at).is_(None))
            .where(col(ProvisioningStep.step) == Step.CHANNEL.value)
            .where(col(ProvisioningStep.escalation_id) < case_id)
        ).one()


def channel_owner(engine: sa.Engine, channel_id: str) -> int | None:
    """Which case already lives in this channel, if any."""
    with Session(engine) as session:
        return session.exec(select(Escalation.id).where(Escalation.channel_id == channel_id)).first()

"""Events on a case's timeline: who did what, when. The timeline is also the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlmodel import Session

from assistant.database import session_scope
from assistant.domain.events import EventKind
from assistant.domain.webhooks import event_type
from assistant.models import CaseEvent


def record_event(
    session: Session, case_id: int, kind: EventKind, actor_id: str | None = None, **data: Any
) -> CaseEvent:
    # What subscribers are owed is marked on the event (landing with it, or not at all); the
    # webhook sender writes each one's delivery, so no change waits on reading the subscriptions.
    owed = event_type(kind, data) is not None
    event = CaseEvent(escalation_id=case_id, kind=kind, actor_id=actor_id, data=data, webhooks_owed=owed)
    session.add(event)
    if owed:
        session.info[_OWED] = True
    return event


# Who hears, in this process, that a transaction owing subscribers an event has committed (each
# app's webhook sender: it hands the event out at once; another instance's finds it within a second).
_OWED = "webhooks_owed"
_owed_listeners: list[Callable[[], None]] = []


def when_webhooks_owed(wake: Callable[[], None]) -> Callable[[], None]:
    """Call `wake` after each commit that recorded an event subscribers hear of; returns what
    stops it (an app's parts closed)."""
    _owed_listeners.append(wake)
    return lambda: _owed_listeners.remove(wake)


@sa_event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_OWED, False):
        for wake in tuple(_owed_listeners):
            wake()


@sa_event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_OWED, None)


def add_event(
    engine: sa.Engine, case_id: int, kind: EventKind, actor_id: str | None = None, **data: Any
) -> None:
    with session_scope(engine) as session:
        record_event(session, case_id, kind, actor_id, **data)

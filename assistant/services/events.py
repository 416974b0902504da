"""Events on a case's timeline: who did what, when. The timeline is also the audit trail."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
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
    return event


def add_event(
    engine: sa.Engine, case_id: int, kind: EventKind, actor_id: str | None = None, **data: Any
) -> None:
    with session_scope(engine) as session:
        record_event(session, case_id, kind, actor_id, **data)

"""Events on a case's timeline: who did what, when. The timeline is also the audit trail."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from assistant.database import session_scope
from assistant.domain.events import EventKind
from assistant.models import CaseEvent
from assistant.services import webhooks


def record_event(
    session: Session, case_id: int, kind: EventKind, actor_id: str | None = None, **data: Any
) -> CaseEvent:
    event = CaseEvent(escalation_id=case_id, kind=kind, actor_id=actor_id, data=data)
    session.add(event)
    webhooks.owe(session, event)  # what subscribers are owed lands with the event, or not at all
    return event


def add_event(
    engine: sa.Engine, case_id: int, kind: EventKind, actor_id: str | None = None, **data: Any
) -> None:
    with session_scope(engine) as session:
        record_event(session, case_id, kind, actor_id, **data)

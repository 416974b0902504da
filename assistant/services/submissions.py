"""Each submitted modal (its view id and hash) is applied once: a replay changes nothing."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete

from assistant.database import session_scope
from assistant.models import HandledSubmission


def claim(engine: sa.Engine, view_id: str, view_hash: str) -> bool:
    """True for the first submission of this view and hash; False for a replay (or one in flight)."""
    try:
        with session_scope(engine) as session:
            session.add(HandledSubmission(view_id=view_id[:64], view_hash=view_hash[:64]))
    except IntegrityError:
        return False
    return True


def release(engine: sa.Engine, view_id: str, view_hash: str) -> None:
    """The submission was refused (errors shown in the modal, or it failed): it may come again."""
    with session_scope(engine) as session:
        session.execute(
            delete(HandledSubmission).where(
                col(HandledSubmission.view_id) == view_id[:64],
                col(HandledSubmission.view_hash) == view_hash[:64],
            )
        )

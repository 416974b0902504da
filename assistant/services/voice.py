"""The voice of the customer: what a customer said that the practice does not escalate (one
user's frustration with one feature), kept with its account and counted in the digest."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select

from assistant.database import session_scope
from assistant.domain.accounts import account_key
from assistant.domain.digest import VoicesHeard
from assistant.models import CustomerVoice, utcnow


def log_voice(
    engine: sa.Engine,
    *,
    account: str,
    text: str,
    reporter_id: str,
    team_id: str | None,
    link: str | None = None,
    now: datetime | None = None,
) -> CustomerVoice:
    with session_scope(engine) as session:
        row = CustomerVoice(
            account_name=account,
            account_key=account_key(account),
            text=text,
            link=link,
            reporter_id=reporter_id,
            team_id=team_id,
            at=now or utcnow(),
        )
        session.add(row)
        session.flush()
        session.expunge(row)
    return row


def voices_between(engine: sa.Engine, start: datetime, end: datetime, top: int = 3) -> VoicesHeard:
    with session_scope(engine) as session:
        rows = session.exec(
            select(CustomerVoice.account_key, CustomerVoice.account_name)
            .where(col(CustomerVoice.at) >= start, col(CustomerVoice.at) < end)
            .order_by(col(CustomerVoice.at))
        ).all()
    counts = Counter(key for key, _name in rows)
    names = dict(rows)  # the latest spelling of each account (they come oldest first)
    return VoicesHeard(len(rows), tuple((names[key], n) for key, n in counts.most_common(top)))

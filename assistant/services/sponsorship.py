"""The executive sponsorship program: accounts enrolled at close, each with a named sponsor."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assistant.domain.accounts import account_key
from assistant.models import Account, Sponsorship, utcnow


def enrol(
    session: Session,
    *,
    account: str,
    sponsor_id: str,
    case_id: int,
    enrolled_by: str,
    now: datetime | None = None,
) -> Sponsorship:
    """Enrol an account, or name its new sponsor if it is already enrolled."""
    key = account_key(account)
    row = session.exec(select(Sponsorship).where(Sponsorship.account_key == key).with_for_update()).first()
    if row is None:
        row = Sponsorship(
            account_key=key, account_name=account, sponsor_id=sponsor_id, enrolled_by=enrolled_by
        )
    row.sponsor_id = sponsor_id
    row.escalation_id = case_id
    row.enrolled_by = enrolled_by
    row.enrolled_at = now or utcnow()
    session.add(row)
    return row


def sponsor_of(session: Session, account: str) -> str | None:
    """The account's executive sponsor: the directory's, else the sponsorship program's."""
    key = account_key(account)
    in_directory = session.exec(select(Account.sponsor_id).where(Account.key == key)).first()
    return (
        in_directory
        or session.exec(select(Sponsorship.sponsor_id).where(Sponsorship.account_key == key)).first()
    )


def sponsorships(engine: sa.Engine) -> list[Sponsorship]:
    with Session(engine) as session:
        return list(session.exec(select(Sponsorship).order_by(col(Sponsorship.account_key))))

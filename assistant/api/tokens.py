"""API tokens: created with scopes and shown once, stored as a SHA-256 hash, revoked by name."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from sqlmodel import Session, col, select, update

from assistant.database import session_scope
from assistant.models import ApiToken, utcnow

SCOPES = ("escalations:read", "escalations:write", "accounts:write")
PREFIX = "esc_"


class TokenError(ValueError):
    """A token that cannot be created or revoked as asked (the message says why)."""


def _hash(token: str) -> str:
    # The tokens are 256 random bits: a plain hash is as good as a slow one here, and fast to check.
    return hashlib.sha256(token.encode()).hexdigest()


def create(engine: sa.Engine, name: str, scopes: list[str]) -> str:
    """A new token (returned once; only its hash is kept)."""
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise TokenError(f"scopes must be some of {', '.join(SCOPES)} (got {', '.join(scopes) or 'none'})")
    token = PREFIX + secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        if session.exec(select(ApiToken).where(ApiToken.name == name)).first() is not None:
            raise TokenError(
                f"a token named {name!r} exists already: revoke it first, or choose another name"
            )
        session.add(ApiToken(name=name, token_hash=_hash(token), scopes=list(dict.fromkeys(scopes))))
    return token


def revoke(engine: sa.Engine, name: str) -> None:
    with session_scope(engine) as session:
        result = session.execute(
            update(ApiToken)
            .where(col(ApiToken.name) == name, col(ApiToken.revoked_at).is_(None))
            .values(revoked_at=utcnow())
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise TokenError(f"no live token named {name!r}")


def verify(engine: sa.Engine, token: str) -> ApiToken | None:
    """The live token this is, or None."""
    if not token.startswith(PREFIX):
        return None
    with Session(engine) as session:
        return session.exec(
            select(ApiToken).where(ApiToken.token_hash == _hash(token), col(ApiToken.revoked_at).is_(None))
        ).first()


def listed(engine: sa.Engine) -> list[ApiToken]:
    with Session(engine) as session:
        return list(session.exec(select(ApiToken).order_by(col(ApiToken.name))))

"""API tokens: created with scopes and shown once, stored as a SHA-256 hash, revoked by name."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select, update

from assistant.database import session_scope
from assistant.models import ApiRequest, ApiToken, utcnow

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


class InProgress(Exception):
    """The same Idempotency-Key is being answered right now."""


def claim(engine: sa.Engine, token_id: int, key: str, path: str) -> tuple[int, dict[str, Any]] | None:
    """Claim a keyed request: None if it is this call's to run, else the answer given to it before."""
    key_hash = hashlib.sha256(key.encode()).hexdigest()
    try:
        with session_scope(engine) as session:
            session.add(ApiRequest(token_id=token_id, key_hash=key_hash, path=path))
        return None
    except sa.exc.IntegrityError:
        pass
    with Session(engine) as session:
        earlier = session.exec(
            select(ApiRequest).where(ApiRequest.token_id == token_id, ApiRequest.key_hash == key_hash)
        ).one()
    if earlier.path != path:
        return 422, {"errors": {"Idempotency-Key": "used already for another request"}}
    if earlier.status is None:
        raise InProgress(key)
    return earlier.status, earlier.body or {}


def settle(engine: sa.Engine, token_id: int, key: str, status: int, body: dict[str, Any]) -> None:
    """Keep the answer of a keyed request, for its replays; a failure (5xx) lets it be tried again."""
    key_hash = hashlib.sha256(key.encode()).hexdigest()
    with session_scope(engine) as session:
        row = session.exec(
            select(ApiRequest).where(ApiRequest.token_id == token_id, ApiRequest.key_hash == key_hash)
        ).one()
        if status >= 500:
            session.delete(row)
        else:
            row.status, row.body = status, body
            session.add(row)

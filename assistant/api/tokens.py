"""API tokens: created with scopes and shown once, stored as a SHA-256 hash, revoked by name."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select, update

from assistant.database import session_scope, single_statement
from assistant.models import ApiRequest, ApiToken, utcnow

# escalations:read_private adds the private (security, data-breach) cases' details to
# escalations:read: without it they are read redacted, as Slack shows them to outsiders.
READ_PRIVATE = "escalations:read_private"
SCOPES = ("escalations:read", "escalations:write", "accounts:write", READ_PRIVATE)
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
    with single_statement(engine) as session:
        return session.exec(
            select(ApiToken).where(ApiToken.token_hash == _hash(token), col(ApiToken.revoked_at).is_(None))
        ).first()


def listed(engine: sa.Engine) -> list[ApiToken]:
    with Session(engine) as session:
        return list(session.exec(select(ApiToken).order_by(col(ApiToken.name))))


class InProgress(Exception):
    """The same Idempotency-Key is being answered right now."""


class KeyReused(Exception):
    """The Idempotency-Key was used for another request (another route or another body)."""


# A claim older than this was left by a process that died mid-request: it may be taken over.
# Far longer than any request runs (waitress closes a connection idle for 10 s).
ABANDONED_AFTER = timedelta(minutes=5)


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def claim(
    engine: sa.Engine, token_id: int, key: str, path: str, fingerprint: str
) -> tuple[int, dict[str, Any]] | None:
    """Claim a keyed request: None if it is this call's to run, else the answer kept for it.

    The key is bound to the request's fingerprint (IETF Idempotency-Key draft): the key with
    another request raises KeyReused; one still running raises InProgress.
    """
    key_hash = _key_hash(key)
    for _attempt in range(3):  # a claim released between our insert and our read: try again
        try:
            with single_statement(engine) as session:
                session.add(
                    ApiRequest(token_id=token_id, key_hash=key_hash, path=path, fingerprint=fingerprint)
                )
            return None
        except sa.exc.IntegrityError:
            pass
        with single_statement(engine) as session:
            earlier = session.exec(
                select(ApiRequest).where(ApiRequest.token_id == token_id, ApiRequest.key_hash == key_hash)
            ).first()
        if earlier is None:
            continue
        # Claims made before fingerprints were kept are compared by their route only.
        if earlier.path != path or (earlier.fingerprint or fingerprint) != fingerprint:
            raise KeyReused(key)
        if earlier.status is not None:
            return earlier.status, earlier.body or {}
        if earlier.created_at > utcnow() - ABANDONED_AFTER:
            raise InProgress(key)
        with session_scope(engine) as session:  # taken over only by one of several retries
            taken = session.execute(
                update(ApiRequest)
                .where(
                    col(ApiRequest.id) == earlier.id,
                    col(ApiRequest.status).is_(None),
                    col(ApiRequest.created_at) < utcnow() - ABANDONED_AFTER,
                )
                .values(created_at=utcnow())
            )
        if taken.rowcount:  # type: ignore[attr-defined]
            return None
        raise InProgress(key)
    raise InProgress(key)


def fingerprint_kept(engine: sa.Engine, token_id: int, key: str) -> str | None:
    """The fingerprint kept with a keyed request's claim (cases opened by the API before their own
    row kept it have theirs here)."""
    with single_statement(engine) as session:
        return session.exec(
            select(ApiRequest.fingerprint).where(
                ApiRequest.token_id == token_id, ApiRequest.key_hash == _key_hash(key)
            )
        ).first()


def settle(engine: sa.Engine, token_id: int, key: str, status: int, body: dict[str, Any]) -> None:
    """Keep the completed answer of a keyed request, for its replays."""
    with single_statement(engine) as session:
        session.execute(
            update(ApiRequest)
            .where(col(ApiRequest.token_id) == token_id, col(ApiRequest.key_hash) == _key_hash(key))
            .values(status=status, body=body)
        )


def release(engine: sa.Engine, token_id: int, key: str) -> None:
    """Forget a keyed request that was not done (a failure, a refusal): its retry runs afresh."""
    with single_statement(engine) as session:
        session.execute(
            sa.delete(ApiRequest).where(
                col(ApiRequest.token_id) == token_id,
                col(ApiRequest.key_hash) == _key_hash(key),
                col(ApiRequest.status).is_(None),
            )
        )

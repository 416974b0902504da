"""Webhook subscriptions and their outbox: an event subscribers hear of is marked owed in its own
transaction; the sender writes each subscriber's delivery of it (fan_out), claimed by one sender at
a time (a lease), delivered in order per case, retried until the endpoint has failed for days (then
disabled); one that raised again and again is parked."""

from __future__ import annotations

import base64
import ipaddress
import secrets
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select, update

from assistant.database import session_scope
from assistant.domain.communications import retry_delay
from assistant.domain.webhooks import (
    TYPES,
    EndpointPolicy,
    EndpointRefused,
    check_secret,
    check_url,
    event_type,
    payload,
)
from assistant.models import KEY_PREFIX, CaseEvent, Escalation, WebhookDelivery, WebhookSubscription, utcnow
from assistant.settings import WebhookSettings


class SubscriptionError(ValueError):
    """A subscription that cannot be made as asked (the message says why)."""


def policy_of(settings: WebhookSettings) -> EndpointPolicy:
    """Which receivers may be called, as the settings say (the app's and `webhook add`'s alike)."""
    return EndpointPolicy(
        allow_http_loopback=settings.webhook_allow_http_loopback,
        allowed_networks=tuple(ipaddress.ip_network(n) for n in settings.webhook_allowed_networks),
    )


def subscribe(
    engine: sa.Engine,
    url: str,
    events: list[str],
    secret: str | None = None,
    *,
    policy: EndpointPolicy,
) -> tuple[int, str]:
    """A new subscription; its id and its signing secret (made if none is given). The URL must be
    a receiver `policy` lets us call, the secret a whsec_ key (SubscriptionError says why not)."""
    try:
        check_url(url, policy)
        if secret is not None:
            check_secret(secret)
    except EndpointRefused as exc:
        raise SubscriptionError(str(exc)) from None
    url = url.strip()
    wanted = list(TYPES) if events in ([], ["all"]) else events
    unknown = [e for e in wanted if e not in TYPES]
    if unknown:
        raise SubscriptionError(f"unknown event(s): {', '.join(unknown)} (known: {', '.join(TYPES)})")
    secret = secret or "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    with session_scope(engine) as session:
        row = WebhookSubscription(url=url, events=wanted, secret=secret)
        session.add(row)
        session.flush()
        return row.id or 0, secret


def subscriptions(engine: sa.Engine) -> list[WebhookSubscription]:
    with Session(engine) as session:
        return list(session.exec(select(WebhookSubscription).order_by(col(WebhookSubscription.id))))


def remove(engine: sa.Engine, subscription_id: int) -> bool:
    with session_scope(engine) as session:
        session.execute(
            sa.delete(WebhookDelivery).where(col(WebhookDelivery.subscription_id) == subscription_id)
        )
        result = session.execute(
            sa.delete(WebhookSubscription).where(col(WebhookSubscription.id) == subscription_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def fan_out(engine: sa.Engine, limit: int = 200) -> int:
    """Write each live subscriber's delivery of the events owed to subscribers, oldest first, and
    mark them handed out; how many events were (a full batch means: there may be more). Events
    owed while nobody subscribes are marked handed out and told to no one."""
    owed = col(CaseEvent.webhooks_owed)
    with Session(engine) as session:  # most passes find nothing: a read, no write lock (SQLite)
        if session.exec(select(CaseEvent.id).where(owed).limit(1)).first() is None:
            return 0
    with session_scope(engine) as session:
        # The events are claimed first, the subscriptions read after (each statement sees what
        # was committed before it): a subscription made before an event was recorded hears of it.
        # The claim re-checks `owed` on each row: of two senders at once, each event goes to one.
        oldest = select(CaseEvent.id).where(owed).order_by(col(CaseEvent.id)).limit(limit)
        events = list(
            session.exec(  # type: ignore[call-overload]
                update(CaseEvent)
                .where(col(CaseEvent.id).in_(oldest.scalar_subquery()), owed)
                .values(webhooks_owed=False)
                .returning(CaseEvent)
            ).scalars()
        )
        live = list(
            session.exec(select(WebhookSubscription).where(col(WebhookSubscription.disabled_at).is_(None)))
        )
        if not events or not live:
            return len(events)
        private = {
            case_id
            for case_id, is_private in session.execute(
                select(Escalation.id, Escalation.is_private).where(
                    col(Escalation.id).in_({e.escalation_id for e in events})
                )
            )
            if is_private
        }
        rows = []
        for event in sorted(events, key=lambda e: e.id or 0):
            kind = event_type(event.kind, event.data or {})
            wanting = [s.id for s in live if kind in s.events]
            if not wanting:
                continue
            body = body_of(event, private=event.escalation_id in private)
            rows += [
                {
                    "event_id": event.id,
                    "subscription_id": s,
                    "escalation_id": event.escalation_id,
                    "body": body,
                    "next_attempt_at": event.at,
                    "attempts": 0,
                }
                for s in wanting
            ]
        if rows:
            # `webhook replay` may have written one already (an event replayed while still owed).
            session.execute(_insert_new_deliveries(session), rows)
        return len(events)


def _insert_new_deliveries(session: Session) -> Any:
    """An INSERT of deliveries that leaves out those written already (event and subscriber)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(WebhookDelivery).on_conflict_do_nothing(index_elements=["event_id", "subscription_id"])


def body_of(event: CaseEvent, *, private: bool = False) -> dict[str, Any]:
    """What subscribers hear of an event; of a private case, only its times and outcomes."""
    return payload(
        event.kind,
        f"{KEY_PREFIX}{event.escalation_id}",
        event.escalation_id,
        event.actor_id,
        event.at,
        event.data or {},
        private=private,
    )


def claim_due(
    engine: sa.Engine,
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int = 50,
    skip: Collection[int] = (),
    only: int | None = None,
) -> list[Any]:
    """Deliveries due now, each the oldest not delivered of its case for its subscriber (order per
    case), with their subscription; claimed for `lease` (no other sender takes them meanwhile).
    Not to the subscriptions in `skip` (their lane is still busy), never a parked one; with
    `only`, to that subscription alone (its lane draining what it owes)."""
    with Session(engine) as session:
        ids = list(
            session.exec(
                select(WebhookDelivery.id)
                .join(
                    WebhookSubscription, col(WebhookSubscription.id) == col(WebhookDelivery.subscription_id)
                )
                .where(
                    *_sendable(skip),
                    col(WebhookDelivery.next_attempt_at) <= now,
                    col(WebhookDelivery.subscription_id) == only if only is not None else sa.true(),
                )
                .order_by(col(WebhookDelivery.event_id))
                .limit(limit)
            )
        )
    if not ids:
        return []
    # One claim for the batch (as the customer's deliveries are claimed): a row another sender
    # took since the read above no longer matches, and is left to it.
    with session_scope(engine) as session:
        deliveries = list(
            session.exec(  # type: ignore[call-overload]
                update(WebhookDelivery)
                .where(
                    col(WebhookDelivery.id).in_(ids),
                    col(WebhookDelivery.next_attempt_at) <= now,
                    col(WebhookDelivery.delivered_at).is_(None),
                    col(WebhookDelivery.parked_at).is_(None),
                )
                .values(next_attempt_at=now + lease, claimed_by=worker, attempts=WebhookDelivery.attempts + 1)
                .returning(WebhookDelivery)
            ).scalars()
        )
        by_id = {
            s.id: s
            for s in session.exec(
                select(WebhookSubscription).where(
                    col(WebhookSubscription.id).in_({d.subscription_id for d in deliveries})
                )
            )
        }
        session.expunge_all()
    return sorted(((d, by_id[d.subscription_id]) for d in deliveries), key=lambda pair: pair[0].event_id)


def delivered(
    engine: sa.Engine, delivery: WebhookDelivery, *, worker: str, status: int, now: datetime
) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == delivery.id, col(WebhookDelivery.claimed_by) == worker)
            .values(delivered_at=now, last_status=status, last_error=None)
        )
        # Written only when it was failing: one row every delivery touches would be rewritten
        # (and left dead behind, on PostgreSQL) a hundred times a second.
        session.execute(
            update(WebhookSubscription)
            .where(
                col(WebhookSubscription.id) == delivery.subscription_id,
                col(WebhookSubscription.failing_since).is_not(None),
            )
            .values(failing_since=None)
        )


def failed(
    engine: sa.Engine,
    delivery: WebhookDelivery,
    *,
    worker: str,
    status: int | None,
    error: str,
    now: datetime,
    disable_after: timedelta,
) -> bool:
    """Try again after a back-off; True if the endpoint has failed for so long it is now disabled."""
    with session_scope(engine) as session:
        session.execute(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == delivery.id, col(WebhookDelivery.claimed_by) == worker)
            .values(
                next_attempt_at=now + retry_delay(delivery.attempts),
                last_status=status,
                last_error=error[:200],
            )
        )
        subscription = session.get(WebhookSubscription, delivery.subscription_id, with_for_update=True)
        if subscription is None or subscription.disabled_at is not None:
            return False
        if subscription.failing_since is None:
            subscription.failing_since = now
        elif now - subscription.failing_since >= disable_after:
            subscription.disabled_at = now
            session.add(subscription)
            return True
        session.add(subscription)
    return False


def release(engine: sa.Engine, deliveries: list[WebhookDelivery], *, worker: str, now: datetime) -> None:
    """Claimed but not attempted (the lease would run out first): due again now, for any sender."""
    with session_scope(engine) as session:
        session.execute(
            update(WebhookDelivery)
            .where(
                col(WebhookDelivery.id).in_([d.id for d in deliveries]),
                col(WebhookDelivery.claimed_by) == worker,
                col(WebhookDelivery.delivered_at).is_(None),
            )
            .values(next_attempt_at=now, claimed_by=None, attempts=WebhookDelivery.attempts - 1)
        )


def hold_after_fault(
    engine: sa.Engine,
    delivery: WebhookDelivery,
    *,
    worker: str,
    next_try_at: datetime | None,
    error: str,
    now: datetime,
) -> None:
    """Sending it raised unexpectedly (a bug, data no rule foresaw): tried again at `next_try_at`,
    or parked (None): never claimed again until a person retries it."""
    values: dict[str, Any] = {"last_error": error[:200], "last_status": None}
    if next_try_at is None:
        values["parked_at"] = now
    else:
        values["next_attempt_at"] = next_try_at
    with session_scope(engine) as session:
        session.execute(
            update(WebhookDelivery)
            .where(
                col(WebhookDelivery.id) == delivery.id,
                col(WebhookDelivery.claimed_by) == worker,
                col(WebhookDelivery.delivered_at).is_(None),
            )
            .values(**values)
        )


def unpark(session: Session, delivery_id: int, now: datetime) -> bool:
    """A delivery held back by faults (parked, or backing off) tried again now, its cause fixed;
    False if it was delivered meanwhile or is gone."""
    result = session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == delivery_id, col(WebhookDelivery.delivered_at).is_(None))
        .values(parked_at=None, next_attempt_at=now, claimed_by=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def live_subscription_ids(engine: sa.Engine) -> set[int]:
    """The subscriptions not disabled."""
    with Session(engine) as session:
        return {
            i
            for i in session.exec(
                select(WebhookSubscription.id).where(col(WebhookSubscription.disabled_at).is_(None))
            )
            if i is not None
        }


def next_due(engine: sa.Engine, skip: Collection[int] = ()) -> datetime | None:
    """When the next delivery that could be claimed is due (not one waiting for an earlier event of
    its case, nor a disabled endpoint's: the loop would wake for them in vain, again and again)."""
    with Session(engine) as session:
        return session.exec(
            select(WebhookDelivery.next_attempt_at)
            .join(WebhookSubscription, col(WebhookSubscription.id) == col(WebhookDelivery.subscription_id))
            .where(*_sendable(skip))
            .order_by(col(WebhookDelivery.next_attempt_at))
            .limit(1)
        ).first()


def _sendable(skip: Collection[int]) -> list[Any]:
    """Deliveries that may be sent once due (joined with their subscription): not delivered, not
    parked, to a live endpoint whose lane is free, and the oldest not delivered of their case
    for their subscriber (in order per case)."""
    earlier = aliased(WebhookDelivery)
    blocked = (
        sa.exists()
        .where(
            col(earlier.subscription_id) == col(WebhookDelivery.subscription_id),
            col(earlier.escalation_id) == col(WebhookDelivery.escalation_id),
            col(earlier.event_id) < col(WebhookDelivery.event_id),
            col(earlier.delivered_at).is_(None),
        )
        .correlate(WebhookDelivery)
    )
    return [
        col(WebhookDelivery.delivered_at).is_(None),
        col(WebhookDelivery.parked_at).is_(None),
        col(WebhookSubscription.disabled_at).is_(None),
        col(WebhookDelivery.subscription_id).not_in(skip) if skip else sa.true(),
        ~blocked,
    ]


def replay(engine: sa.Engine, since: datetime, subscription_id: int | None = None) -> int:
    """Deliver again every event since `since` (to one subscription, or all that are live)."""
    now = utcnow()
    count = 0
    with session_scope(engine) as session:
        subs = [
            s
            for s in session.exec(
                select(WebhookSubscription).where(col(WebhookSubscription.disabled_at).is_(None))
            )
            if subscription_id is None or s.id == subscription_id
        ]
        events = list(
            session.exec(select(CaseEvent).where(col(CaseEvent.at) >= since).order_by(col(CaseEvent.id)))
        )
        for event in events:
            kind = event_type(event.kind, event.data or {})
            for sub in subs:
                if kind is None or kind not in sub.events:
                    continue
                existing = session.exec(
                    select(WebhookDelivery).where(
                        WebhookDelivery.event_id == event.id, WebhookDelivery.subscription_id == sub.id
                    )
                ).first()
                if existing is None:
                    case = session.get(Escalation, event.escalation_id)
                    body = body_of(event, private=bool(case and case.is_private))
                    existing = WebhookDelivery(
                        event_id=event.id or 0,
                        subscription_id=sub.id or 0,
                        escalation_id=event.escalation_id,
                        body=body,
                        next_attempt_at=now,
                    )
                existing.delivered_at, existing.next_attempt_at, existing.attempts = None, now, 0
                existing.parked_at = None  # sent again on purpose: a parked one too
                # A send in flight right now no longer settles it: the replay is owed all the same.
                existing.claimed_by = None
                session.add(existing)
                count += 1
    return count

"""Delivering webhooks: each owed event POSTed, signed the Standard Webhooks way, once it is
acknowledged (2xx), in order per case; retried with back-off; an endpoint dead for days is
disabled and the escalation managers are told."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from datetime import datetime, timedelta

import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

from assistant.messages.escape import UserText
from assistant.messages.render import render_message
from assistant.models import WebhookDelivery, WebhookSubscription, utcnow
from assistant.outbox import OutboxLoop
from assistant.services import webhooks
from assistant.settings import Settings
from assistant.slack.case_channel import CaseChannel
from assistant.slack.client import SLACK_ERRORS

logger = logging.getLogger(__name__)
# Proxies are for people's browsing: a subscriber is called directly.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class WebhookSender(OutboxLoop):
    name = "webhooks"
    idle_seconds = 1.0  # what another instance owed is found within a second

    def __init__(self, *, engine: sa.Engine, settings: Settings, channel: CaseChannel) -> None:
        super().__init__()
        self.engine = engine
        self.settings = settings
        self.channel = channel

    def next_due(self) -> datetime | None:
        return webhooks.next_due(self.engine)

    def tick(self, limit: int = 20) -> int:
        now = utcnow()
        claimed = webhooks.claim_due(
            self.engine,
            worker=self.worker,
            now=now,
            lease=timedelta(seconds=self.settings.webhook_timeout_seconds * 3),
            limit=limit,
        )
        for delivery, subscription in claimed:
            self._send(delivery, subscription)
        return len(claimed) if len(claimed) >= limit else 0

    def _send(self, delivery: WebhookDelivery, subscription: WebhookSubscription) -> None:
        body = json.dumps(delivery.body, separators=(",", ":"), ensure_ascii=False)
        sent_at = utcnow()
        message_id = f"msg_{delivery.event_id}_{delivery.subscription_id}"  # the same on every attempt
        signature = Webhook(subscription.secret).sign(message_id, sent_at, body)
        request = urllib.request.Request(
            subscription.url,
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "escalation-assistant",
                "webhook-id": message_id,
                "webhook-timestamp": str(int(sent_at.timestamp())),
                "webhook-signature": signature,
            },
        )
        status: int | None = None
        try:
            with _OPENER.open(request, timeout=self.settings.webhook_timeout_seconds) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"HTTP {exc.code}"
        except (OSError, ValueError) as exc:
            error = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
        if status is not None and 200 <= status < 300:
            webhooks.delivered(self.engine, delivery, worker=self.worker, status=status, now=utcnow())
            return
        logger.warning("webhook %s to subscription %s not delivered (%s)", message_id, subscription.id, error)
        disabled = webhooks.failed(
            self.engine,
            delivery,
            worker=self.worker,
            status=status,
            error=error,
            now=utcnow(),
            disable_after=timedelta(days=self.settings.webhook_disable_after_days),
        )
        if disabled:
            self._tell_managers(subscription)

    def _tell_managers(self, subscription: WebhookSubscription) -> None:
        message = render_message(
            "webhook_disabled.json.j2",
            url=UserText(subscription.url),
            days=self.settings.webhook_disable_after_days,
            subscription_id=subscription.id,
        )
        for manager in self.settings.escalation_manager_ids:
            try:
                self.channel.post_once(
                    f"webhook:{subscription.id}:disabled:{manager}", manager, message, case_id=None
                )
            except SLACK_ERRORS:
                logger.warning("could not tell %s that webhook %s was disabled", manager, subscription.id)

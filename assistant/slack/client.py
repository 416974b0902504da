"""The one Slack Web API client: retries 429 after Retry-After, 5xx and network failures.

Bolt copies this client's retry handlers into every request's client, so
listeners and background work share the same call path.
"""

from __future__ import annotations

import logging
from http.client import RemoteDisconnected
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.webhook import WebhookClient

from assistant.settings import Settings

logger = logging.getLogger(__name__)

# What a failed Slack call can raise besides SlackApiError, once retries are spent.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (URLError, TimeoutError, ConnectionError, RemoteDisconnected)
SLACK_ERRORS: tuple[type[Exception], ...] = (SlackApiError, *TRANSIENT_ERRORS)


def retry_handlers(max_retries: int) -> list[RetryHandler]:
    return [
        RateLimitErrorRetryHandler(max_retry_count=max_retries),
        ServerErrorRetryHandler(max_retry_count=max_retries),
        ConnectionErrorRetryHandler(
            max_retry_count=max_retries,
            error_types=[URLError, TimeoutError, ConnectionResetError, RemoteDisconnected],
        ),
    ]


def make_web_client(settings: Settings, *, quick: bool = False) -> WebClient:
    """The client for all work; `quick` for calls made before Slack's 3-second deadline
    (no retries, a 2-second time-out: better to skip a check than to miss the deadline)."""
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=2 if quick else int(max(1, settings.slack_timeout_seconds)),
        retry_handlers=[] if quick else retry_handlers(settings.slack_max_retries),
        logger=logging.getLogger("slack_sdk.web"),
    )


def make_webhook_client(url: str, settings: Settings) -> WebhookClient:
    return WebhookClient(
        url,
        timeout=int(max(1, settings.slack_timeout_seconds)),
        retry_handlers=retry_handlers(settings.slack_max_retries),
    )


def error_code(exc: Exception) -> str:
    """Slack's error code, or the kind of network failure, for records and messages."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        if status >= 500 or status == 429:
            return f"http_{status}"
        code = exc.response.data.get("error") if isinstance(exc.response.data, dict) else None
        return str(code or f"http_{status}")
    return type(exc).__name__

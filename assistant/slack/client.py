"""The one Slack Web API client: paced to Slack's rate limits, retries 5xx and network failures.

Every call waits its turn in the pacer (assistant.slack.pacing). A 429 holds
the method for everyone for its Retry-After; a queue worker then gives its
work back to the queue rather than sleep, other callers wait and try again.

Bolt copies this client's retry handlers into every request's client, so
listeners and background work share the same call path.

A call that creates something (a message, a channel, a bookmark) is retried by
the client only when Slack certainly did not act on it: a 429, or a connection
that was refused. After a time-out, a reset connection or a 5xx its effect may
exist, so the caller looks for it before trying again (`assistant.slack.once`).
"""

from __future__ import annotations

import json
import logging
import socket
from http.client import RemoteDisconnected
from typing import Any
from urllib.error import URLError
from urllib.parse import urlparse

import sqlalchemy as sa
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.webhook import WebhookClient

from assistant.metrics import count_slack_call
from assistant.settings import Settings
from assistant.slack.pacing import POST_MESSAGE, Paced, Pacer
from assistant.tracing import SpanKind, span

logger = logging.getLogger(__name__)

# What a failed Slack call can raise besides SlackApiError, once retries are spent.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (URLError, TimeoutError, ConnectionError, RemoteDisconnected)
SLACK_ERRORS: tuple[type[Exception], ...] = (SlackApiError, *TRANSIENT_ERRORS)
# What a call made before Slack's 3-second deadline can raise (make_web_client(quick=True)): a
# call our share of the method's rate limit has no room for now is not made (Paced).
QUICK_ERRORS: tuple[type[Exception], ...] = (*SLACK_ERRORS, Paced)
# What a background job survives: the database or Slack failing (it runs again later).
OUTAGE_ERRORS: tuple[type[Exception], ...] = (sa.exc.SQLAlchemyError, *SLACK_ERRORS)


# Methods whose repetition would repeat their effect (a second message, channel, bookmark).
NON_IDEMPOTENT = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "conversations.create",
        "bookmarks.add",
        "files.completeUploadExternal",
        "conversations.canvases.create",
        "canvases.edit",  # an insert repeated is a second copy (a replace would be harmless)
    }
)


def method_of(url: str) -> str:
    return urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]


def certainly_not_sent(error: Exception | None) -> bool:
    """A failure that proves the request never reached Slack (nothing to look for)."""
    return isinstance(error, URLError) and isinstance(error.reason, ConnectionRefusedError | socket.gaierror)


def is_ambiguous(exc: Exception) -> bool:
    """A failure after which the call may or may not have taken effect."""
    if isinstance(exc, SlackApiError):
        return exc.response.status_code >= 500
    return isinstance(exc, TRANSIENT_ERRORS) and not certainly_not_sent(exc)


class _ServerErrors(ServerErrorRetryHandler):
    def _can_retry(self, *, request: HttpRequest, **kwargs: Any) -> bool:
        return method_of(request.url) not in NON_IDEMPOTENT and super()._can_retry(request=request, **kwargs)


class _ConnectionErrors(ConnectionErrorRetryHandler):
    def _can_retry(self, *, request: HttpRequest, error: Exception | None = None, **kwargs: Any) -> bool:
        if method_of(request.url) in NON_IDEMPOTENT and not certainly_not_sent(error):
            return False
        return super()._can_retry(request=request, error=error, **kwargs)


def _channel_of(method: str, request: HttpRequest) -> str | None:
    """The channel of a chat.postMessage (limited per channel); None for other methods."""
    if method != POST_MESSAGE:
        return None
    try:
        body = json.loads(request.data or b"{}") if request.data else (request.body_params or {})
    except ValueError:
        return None
    return str(body.get("channel") or "") or None


class _RateLimited(RateLimitErrorRetryHandler):
    """Tell the pacer of a 429, so every thread holds off; a queue worker gives its work back."""

    def __init__(self, pacer: Pacer | None, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.pacer = pacer

    def _can_retry(self, *, request: HttpRequest, response: Any = None, **kwargs: Any) -> bool:
        if response is None or response.status_code != 429:
            return False
        if self.pacer is None:
            return True
        method = method_of(request.url)
        self.pacer.hold(method, _retry_after(response.headers), _channel_of(method, request))
        return not self.pacer.in_queue_worker()


def retry_handlers(max_retries: int, pacer: Pacer | None = None) -> list[RetryHandler]:
    return [
        _RateLimited(pacer, max_retry_count=max_retries),
        _ServerErrors(max_retry_count=max_retries),
        _ConnectionErrors(
            max_retry_count=max_retries,
            error_types=[URLError, TimeoutError, ConnectionResetError, RemoteDisconnected],
        ),
    ]


# Slack refusing the token itself: nothing the app does will work until a person acts.
AUTH_ERRORS = frozenset({"invalid_auth", "token_revoked", "token_expired", "account_inactive", "not_authed"})


class SlackAuth:
    """Whether Slack still takes the app's token, as its last answer said (for /readyz)."""

    problem: str | None = None


class CountedWebClient(WebClient):
    """A WebClient whose every call is counted for /metrics: its method and outcome."""

    def api_call(  # type: ignore[override]
        self, api_method: str, *, json: dict[str, Any] | None = None, **kwargs: Any
    ) -> Any:
        with span(f"slack.api {api_method}", SpanKind.CLIENT, {"slack.method": api_method}) as current:
            try:
                answer = super().api_call(api_method, json=json, **kwargs)
            except SlackApiError as exc:
                outcome = "ratelimited" if exc.response.status_code == 429 else "error"
                count_slack_call(api_method, outcome)
                current.set_attribute("slack.outcome", outcome)
                logger.debug("slack %s: %s", api_method, error_code(exc), extra=_call(api_method, outcome))
                if error_code(exc) in AUTH_ERRORS:
                    SlackAuth.problem = error_code(exc)
                raise
            except TRANSIENT_ERRORS:
                count_slack_call(api_method, "error")
                current.set_attribute("slack.outcome", "error")
                raise
            count_slack_call(api_method, "ok")
            current.set_attribute("slack.outcome", "ok")
            logger.debug("slack %s: ok", api_method, extra=_call(api_method, "ok"))
            SlackAuth.problem = None
            return answer


def _call(method: str, outcome: str) -> dict[str, str]:
    return {"slack_method": method, "outcome": outcome}


def counted_copy(client: WebClient) -> CountedWebClient:
    """A request's client (Bolt makes a plain one for each, with the app's settings and a step's
    own token) as a counted and traced one: the same token, URL, time-out and retries."""
    if isinstance(client, CountedWebClient):
        return client
    return CountedWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=client.headers,
        team_id=client.default_params.get("team_id"),
        logger=client.logger,
        retry_handlers=client.retry_handlers,
    )


class PacedWebClient(CountedWebClient):
    """A WebClient whose every call waits its turn under Slack's rate limits."""

    pacer: Pacer

    def api_call(  # type: ignore[override]
        self, api_method: str, *, json: dict[str, Any] | None = None, **kwargs: Any
    ) -> Any:
        self.pacer.wait_turn(api_method, _posted_to(api_method, json, kwargs))
        return super().api_call(api_method, json=json, **kwargs)


class QuickWebClient(CountedWebClient):
    """For calls made before Slack's 3-second deadline. They count against the same per-method
    budget as all our other work (one pacer), so a burst of quick lookups and the paced queue
    together stay within Slack's limits; a call with no room now is not made (Paced: the caller
    does without, as when Slack is slow), and a 429 holds the method for every thread."""

    pacer: Pacer

    def api_call(  # type: ignore[override]
        self, api_method: str, *, json: dict[str, Any] | None = None, **kwargs: Any
    ) -> Any:
        channel = _posted_to(api_method, json, kwargs)
        wait = self.pacer.reserve(api_method, channel)
        if wait > 0:
            raise Paced(api_method, wait)
        try:
            return super().api_call(api_method, json=json, **kwargs)
        except SlackApiError as exc:
            if exc.response.status_code == 429:
                self.pacer.hold(api_method, _retry_after(exc.response.headers), channel)
            raise


def _posted_to(api_method: str, json: dict[str, Any] | None, kwargs: dict[str, Any]) -> str | None:
    """The channel of a chat.postMessage about to be made (paced per channel); None otherwise."""
    if api_method != POST_MESSAGE:
        return None
    args = json or kwargs.get("data") or kwargs.get("params") or {}
    return str(args.get("channel") or "")


def _retry_after(headers: Any) -> float:
    """A 429's Retry-After in seconds (1 if it says none); a header's value may be a list."""
    value = next((v for k, v in (headers or {}).items() if k.lower() == "retry-after"), "1")
    try:
        return float(value[0] if isinstance(value, list) else value)
    except ValueError:
        return 1.0


def make_web_client(settings: Settings, *, quick: bool = False, pacer: Pacer | None = None) -> WebClient:
    """The client for all work; `quick` for calls made before Slack's 3-second deadline
    (no retries, no waiting, a 2-second time-out: better to skip a check than to miss the deadline;
    with `pacer`, within the same per-method budget as the rest)."""
    options: dict[str, Any] = {
        "token": settings.slack_bot_token.get_secret_value(),
        "base_url": settings.slack_api_url,
        "logger": logging.getLogger("slack_sdk.web"),
    }
    if quick and pacer is not None:
        quick_client = QuickWebClient(timeout=2, retry_handlers=[], **options)
        quick_client.pacer = pacer
        return quick_client
    if quick or pacer is None:
        return CountedWebClient(
            timeout=2 if quick else int(max(1, settings.slack_timeout_seconds)),
            retry_handlers=[] if quick else retry_handlers(settings.slack_max_retries),
            **options,
        )
    client = PacedWebClient(
        timeout=int(max(1, settings.slack_timeout_seconds)),
        retry_handlers=retry_handlers(settings.slack_max_retries, pacer),
        **options,
    )
    client.pacer = pacer
    return client


class _NotSentOnly(ConnectionErrorRetryHandler):
    """For response_url posts, which cannot be looked up: retried only when surely not delivered."""

    def _can_retry(self, *, error: Exception | None = None, **kwargs: Any) -> bool:
        return certainly_not_sent(error)


def make_webhook_client(url: str, settings: Settings) -> WebhookClient:
    return WebhookClient(
        url,
        timeout=int(max(1, settings.slack_timeout_seconds)),
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=settings.slack_max_retries),
            _NotSentOnly(max_retry_count=settings.slack_max_retries),
        ],
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

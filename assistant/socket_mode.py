"""Socket Mode: Slack's events over a WebSocket the app opens (the manifest's default).

The connection is checked by ping every few seconds, so a dead socket is noticed
in seconds; a socket that cannot be opened at start-up is one clear error after
a few tries, not a log line every ten seconds forever.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.builtin import client as builtin_client
from slack_sdk.socket_mode.builtin import connection as builtin_connection
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from assistant.settings import Settings, SettingsError
from assistant.slack.client import TRANSIENT_ERRORS

logger = logging.getLogger(__name__)

CONNECT_ATTEMPTS = 5
# Seconds between pings. slack_sdk calls a connection stale after four silent intervals and
# checks once an interval: a dead socket is replaced within about 10 s.
PING_INTERVAL = 2.0
CONNECT_ERRORS: tuple[type[Exception], ...] = (*TRANSIENT_ERRORS, OSError)


# slack_sdk's built-in client reads each socket with a 3 s time-out, and on a refresh keeps
# reading the old socket until that time-out passes: envelopes on the new one wait up to 3 s.
RECEIVE_TIMEOUT = 0.5


class _QuickConnection(builtin_connection.Connection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["receive_timeout"] = RECEIVE_TIMEOUT
        super().__init__(*args, **kwargs)


class _OncePerEnvelope:
    """Slack sends an envelope again when our ack came late (around a refresh); the copy is
    acknowledged again, never handled twice (a CSM would see two answers)."""

    REMEMBERED = 10_000

    def __init__(self, listener: Any) -> None:
        # slack_sdk takes a function or a SocketModeRequestListener (with .handle).
        self.handle: Callable[[BaseSocketModeClient, SocketModeRequest], None] = getattr(
            listener, "handle", listener
        )
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, client: BaseSocketModeClient, request: SocketModeRequest) -> None:
        with self._lock:
            again = request.envelope_id in self._seen
            self._seen[request.envelope_id] = None
            while len(self._seen) > self.REMEMBERED:
                self._seen.popitem(last=False)
        if again:
            client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
            return
        self.handle(client, request)


def connect_socket_mode(
    app: App, settings: Settings, *, attempts: int = CONNECT_ATTEMPTS, first_pause: float = 1.0
) -> SocketModeHandler:
    """Connect, or raise SettingsError with what to fix (after `attempts` tries, pauses doubling)."""
    token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    # The client module builds its connections by this name (slack_sdk 3.x has no parameter for it).
    builtin_client.Connection = _QuickConnection  # type: ignore[misc]
    handler = SocketModeHandler(app, token)
    client = SocketModeClient(
        app_token=token,
        web_client=app.client,
        ping_interval=PING_INTERVAL,
        concurrency=10,
        logger=logging.getLogger("slack_sdk.socket_mode"),
    )
    client.socket_mode_request_listeners = [
        _OncePerEnvelope(listener) for listener in handler.client.socket_mode_request_listeners
    ]
    handler.client = client
    delay = first_pause
    for attempt in range(1, attempts + 1):
        try:
            handler.connect()
            # slack_sdk reports a refused WebSocket to its error listeners instead of raising.
            if not client.is_connected():
                raise ConnectionError("the WebSocket could not be opened")
            return handler
        except SlackApiError as exc:
            raise SettingsError(
                f"SLACK_APP_TOKEN was refused by Slack ({exc.response.get('error')}): use an "
                "app-level token with connections:write, or leave it unset to serve HTTP."
            ) from None
        except CONNECT_ERRORS as exc:
            client.wss_uri = None  # a fresh URL next time: the old one may have expired
            if attempt == attempts:
                client.close()
                raise SettingsError(
                    f"Slack's Socket Mode connection could not be opened after {attempt} tries "
                    f"({type(exc).__name__}): check the network to Slack, or leave SLACK_APP_TOKEN unset "
                    "to serve HTTP."
                ) from None
            logger.warning(
                "Socket Mode connection failed (%s); trying again in %.0f s", type(exc).__name__, delay
            )
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


def close_socket_mode(handler: SocketModeHandler) -> None:
    """Close the connection; slack_sdk 3.x may find its socket already gone (a harmless race)."""
    try:
        handler.close()
    except AttributeError:
        logger.debug("the Socket Mode connection was already closed")

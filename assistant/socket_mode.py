"""Socket Mode: Slack's events over a WebSocket the app opens (the manifest's default).

A small client of our own on the `websockets` library rather than slack_sdk's
built-in one, which on a refresh closes the old connection as soon as the new
one is open: the envelopes still in flight on the old one are lost, and Slack
sends them again only after its time-out, so a CSM waits seconds or sees an
error. Here every connection is read until Slack closes it, and each envelope is
acknowledged on the connection it came on.

- Slack asks for a new connection ("disconnect", refresh_requested or warning):
  the new one is opened, the old one is read on until Slack closes it (or for
  `DRAIN_SECONDS`).
- A dead connection (no pong within `PING_TIMEOUT`) is closed and replaced: noticed
  within about 10 s.
- A connection that closes unexpectedly is reopened with growing pauses, for as
  long as the app runs; at start-up, one clear error after a few tries.
- Envelopes are handled on a bounded pool; a copy Slack sends again (our ack came
  late) is acknowledged again and never handled twice.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.request import SocketModeRequest
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

from assistant.settings import Settings, SettingsError
from assistant.slack.client import TRANSIENT_ERRORS

logger = logging.getLogger(__name__)

CONNECT_ATTEMPTS = 5
# A ping every 4 s, and a connection without a pong 4 s later is dead: noticed within ~10 s.
PING_INTERVAL = 4.0
PING_TIMEOUT = 4.0
# Slack does not always finish the closing handshake; waiting long for it only delays a reconnect.
CLOSE_TIMEOUT = 1.0
OPEN_TIMEOUT = 10.0
# Slack closes a connection it asked us to leave within about 10 s; we stop reading it after this.
DRAIN_SECONDS = 15.0
LONGEST_PAUSE = 30.0
HANDLER_THREADS = 10
CONNECT_ERRORS: tuple[type[Exception], ...] = (
    *TRANSIENT_ERRORS,
    OSError,
    InvalidHandshake,
    InvalidURI,
    ConnectionClosed,
    ValueError,  # a first frame that is not JSON
)


class _Connection:
    """One WebSocket to Slack; sends are serialised (acks come from several handler threads)."""

    def __init__(self, websocket: ClientConnection) -> None:
        self.websocket = websocket
        self._sending = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        with self._sending:
            self.websocket.send(json.dumps(message))

    def close(self) -> None:
        self.websocket.close()


class SocketModeClient:
    def __init__(self, app: App, app_token: str, *, handler_threads: int = HANDLER_THREADS) -> None:
        self.app = app
        self.app_token = app_token
        self._pool = ThreadPoolExecutor(handler_threads, thread_name_prefix="socket-mode")
        self._lock = threading.Lock()
        self._current: _Connection | None = None
        self._open: set[_Connection] = set()
        self._closed = threading.Event()
        self._reconnecting = threading.Lock()
        self._seen: OrderedDict[str, None] = OrderedDict()

    # -- connections -----------------------------------------------------------

    def connect(self) -> None:
        """Open a connection and wait for Slack's hello (raises what went wrong)."""
        url = self.app.client.apps_connections_open(app_token=self.app_token)["url"]
        opened: Future[None] = Future()
        threading.Thread(target=self._run, args=(url, opened), daemon=True, name="socket-mode-reader").start()
        opened.result(timeout=OPEN_TIMEOUT * 2)

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            connections, self._current = list(self._open), None
        for connection in connections:
            connection.close()
        self._pool.shutdown(wait=True, cancel_futures=False)

    def _run(self, url: str, opened: Future[None]) -> None:
        """One connection, from its opening to its end: read until Slack (or we) close it."""
        connection: _Connection | None = None
        try:
            with connect(
                url,
                open_timeout=OPEN_TIMEOUT,
                ping_interval=PING_INTERVAL,
                ping_timeout=PING_TIMEOUT,
                close_timeout=CLOSE_TIMEOUT,
                max_size=None,  # Slack decides what it sends; a large view must not close the socket
            ) as websocket:
                hello = json.loads(websocket.recv(timeout=OPEN_TIMEOUT))
                if hello.get("type") != "hello":
                    raise ConnectionError(f"Slack opened the WebSocket with {hello.get('type')!r}")
                connection = self._opened(_Connection(websocket))
                opened.set_result(None)
                for raw in websocket:
                    self._receive(connection, json.loads(raw))
        except Exception as exc:
            if not opened.done():
                opened.set_exception(exc)
                return
            if not isinstance(exc, ConnectionClosed):
                logger.warning("the Socket Mode connection failed (%s); it is replaced", type(exc).__name__)
        if connection is not None and self._forget(connection) and not self._closed.is_set():
            logger.warning("the Socket Mode connection closed unexpectedly; reconnecting")
            self._reconnect()

    def _opened(self, connection: _Connection) -> _Connection:
        with self._lock:
            if self._closed.is_set():
                raise ConnectionAbortedError("the client is closing")
            previous, self._current = self._current, connection
            self._open.add(connection)
        if previous is not None:
            # Slack may still deliver on the old connection until it closes it: keep reading it.
            drain = threading.Timer(DRAIN_SECONDS, previous.close)
            drain.daemon = True
            drain.start()
        return connection

    def _forget(self, connection: _Connection) -> bool:
        """Whether the connection that ended was the current one (so a new one is needed)."""
        with self._lock:
            self._open.discard(connection)
            lost = connection is self._current
            if lost:
                self._current = None
        return lost

    def _receive(self, connection: _Connection, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "disconnect":
            reason = message.get("reason")
            if reason == "link_disabled":
                logger.error("Slack disabled Socket Mode for this app: turn it on again, or serve HTTP")
                return
            logger.info("Slack asked for a new Socket Mode connection (%s)", reason)
            with self._lock:
                replacing = connection is self._current
            if replacing:
                threading.Thread(target=self._reconnect, daemon=True, name="socket-mode-refresh").start()
        elif message.get("envelope_id"):
            # Refused while closing: unacknowledged, so Slack sends it to the next instance.
            with contextlib.suppress(RuntimeError):
                self._pool.submit(self._handle, connection, message)

    def _reconnect(self) -> None:
        """Open a new connection (once at a time: a refresh and a close can ask together)."""
        if not self._reconnecting.acquire(blocking=False):
            return
        try:
            self._reconnect_until_open()
        finally:
            self._reconnecting.release()

    def _reconnect_until_open(self) -> None:
        pause = 1.0
        while not self._closed.is_set():
            try:
                self.connect()
                return
            except SlackApiError as exc:
                logger.error("Slack refused to open a Socket Mode connection (%s)", exc.response.get("error"))
            except CONNECT_ERRORS as exc:
                logger.warning("Socket Mode connection failed (%s)", type(exc).__name__)
            logger.info("trying the Socket Mode connection again in %.0f s", pause)
            self._closed.wait(pause)
            pause = min(pause * 2, LONGEST_PAUSE)

    # -- envelopes -------------------------------------------------------------

    def _first_time(self, envelope_id: str) -> bool:
        """Slack sends an envelope again when our ack came late (around a refresh): the copy is
        acknowledged again, never handled twice (a CSM would see two answers)."""
        with self._lock:
            seen = envelope_id in self._seen
            self._seen[envelope_id] = None
            while len(self._seen) > 10_000:
                self._seen.popitem(last=False)
        return not seen

    def _handle(self, connection: _Connection, message: dict[str, Any]) -> None:
        request = SocketModeRequest.from_dict(message)
        if request is None:
            return
        ack: dict[str, Any] = {"envelope_id": request.envelope_id}
        if self._first_time(request.envelope_id):
            response = run_bolt_app(self.app, request)
            if response.status != 200:
                logger.info("Bolt answered an envelope with %s", response.status)
                return  # no ack: Slack sends it again, as it would after an HTTP error
            if response.body:
                content_type = response.headers.get("content-type", [""])[0]
                json_body = content_type.startswith("application/json")
                ack["payload"] = json.loads(response.body) if json_body else {"text": response.body}
        self._acknowledge(connection, ack)

    def _acknowledge(self, connection: _Connection, ack: dict[str, Any]) -> None:
        """On the connection the envelope came on; if Slack has closed it meanwhile, on the current one."""
        try:
            connection.send(ack)
            return
        except ConnectionClosed:
            pass
        with self._lock:
            current = self._current
        if current is not None and current is not connection:
            try:
                current.send(ack)
            except ConnectionClosed:
                logger.info("an ack was lost with its connection; Slack will send the envelope again")


def connect_socket_mode(
    app: App, settings: Settings, *, attempts: int = CONNECT_ATTEMPTS, first_pause: float = 1.0
) -> SocketModeClient:
    """Connect, or raise SettingsError with what to fix (after `attempts` tries, pauses doubling)."""
    token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    client = SocketModeClient(app, token)
    delay = first_pause
    for attempt in range(1, attempts + 1):
        try:
            client.connect()
            return client
        except SlackApiError as exc:
            client.close()
            raise SettingsError(
                f"SLACK_APP_TOKEN was refused by Slack ({exc.response.get('error')}): use an "
                "app-level token with connections:write, or leave it unset to serve HTTP."
            ) from None
        except CONNECT_ERRORS as exc:
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


def close_socket_mode(client: SocketModeClient) -> None:
    client.close()

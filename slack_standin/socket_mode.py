"""Slack's Socket Mode, served for real: a WebSocket the app connects to, envelopes, acks, refreshes.

`apps.connections.open` hands the app this server's URL. The stand-in then sends
each request as an envelope (hello first; slash_commands, interactive,
events_api) and waits for the app's ack, as Slack does. Between the app and the
server sits a small TCP relay, so a test can make a connection silently dead
(bytes dropped, nothing closed) the way a broken network does.
"""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve


@dataclass
class Envelope:
    id: str
    type: str
    payload: dict[str, Any]
    sent_at: float = 0.0
    acked_at: float | None = None
    ack: dict[str, Any] | None = None
    attempts: int = 0
    done: threading.Event = field(default_factory=threading.Event)


class _Relay:
    """A TCP relay in front of the WebSocket server; `blackhole()` silences the live connections."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        # Seconds each chunk takes to cross (Slack is an internet away: frames are in flight).
        self.latency = 0.0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._pairs: list[tuple[socket.socket, socket.socket, threading.Event]] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="relay").start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            silent = threading.Event()
            with self._lock:
                self._pairs.append((client, upstream, silent))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b, silent), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, silent: threading.Event) -> None:
        in_flight: queue.Queue[tuple[float, bytes]] = queue.Queue()
        threading.Thread(target=self._deliver, args=(in_flight, sink), daemon=True).start()
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if not silent.is_set():
                    in_flight.put((time.monotonic() + self.latency, data))
        except OSError:
            pass
        in_flight.put((time.monotonic() + self.latency, b""))

    @staticmethod
    def _deliver(in_flight: queue.Queue[tuple[float, bytes]], sink: socket.socket) -> None:
        """Hands each chunk on once its latency has passed, in order; an empty chunk ends the stream."""
        try:
            while True:
                due, data = in_flight.get()
                time.sleep(max(0.0, due - time.monotonic()))
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def blackhole(self) -> None:
        with self._lock:
            for _, _, silent in self._pairs:
                silent.set()

    def close(self) -> None:
        self._closed = True
        # close() alone leaves the accepting thread blocked for good (one more thread each test).
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self._lock:
            for client, upstream, _ in self._pairs:
                client.close()
                upstream.close()


class SocketModeServer:
    def __init__(self) -> None:
        self._server: Server = serve(self._handle, "127.0.0.1", 0)
        self._relay = _Relay(self._server.socket.getsockname()[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="socket-mode")
        self._lock = threading.Lock()
        self.connections: list[ServerConnection] = []
        self.opened = 0
        self.envelopes: dict[str, Envelope] = {}
        self.unacked_resent = 0

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> SocketModeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._relay.close()
        self._server.shutdown()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._relay.port}/link/?ticket={uuid.uuid4().hex}&app_id=ASTANDIN"

    def _handle(self, connection: ServerConnection) -> None:
        with self._lock:
            self.connections.append(connection)
            self.opened += 1
            count = len(self.connections)
        connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": count,
                    "debug_info": {"host": "standin", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": "ASTANDIN"},
                }
            )
        )
        try:
            for raw in connection:
                message = json.loads(raw)
                envelope = self.envelopes.get(str(message.get("envelope_id")))
                if envelope is not None and envelope.acked_at is None:
                    envelope.ack = message.get("payload") or {}
                    envelope.acked_at = time.monotonic()
                    envelope.done.set()
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                if connection in self.connections:
                    self.connections.remove(connection)

    # -- what Slack does ------------------------------------------------------

    def live_connections(self) -> int:
        with self._lock:
            return len(self.connections)

    def send(
        self, kind: str, payload: dict[str, Any], *, ack_within: float = 3.0, tries: int = 4
    ) -> Envelope:
        """Deliver an envelope to the newest connection; sent again if not acknowledged (as Slack retries)."""
        envelope = Envelope(id=str(uuid.uuid4()), type=kind, payload=payload)
        self.envelopes[envelope.id] = envelope
        deadline = time.monotonic() + ack_within * tries
        while time.monotonic() < deadline and envelope.acked_at is None:
            with self._lock:
                target = self.connections[-1] if self.connections else None
            if target is None:
                time.sleep(0.05)
                continue
            frame = _frame(envelope)
            envelope.attempts += 1
            envelope.sent_at = envelope.sent_at or time.monotonic()
            try:
                target.send(json.dumps(frame))
            except ConnectionClosed:
                continue
            if not envelope.done.wait(ack_within):
                self.unacked_resent += 1
        return envelope

    def redeliver(self, envelope: Envelope) -> None:
        """Send an envelope again, as Slack does when the app's ack reached it late."""
        with self._lock:
            target = self.connections[-1]
        envelope.acked_at = None
        envelope.done.clear()
        frame = _frame(envelope)
        envelope.attempts += 1
        target.send(json.dumps(frame))

    def refresh(self) -> None:
        """Slack asks the app to move to a new connection (it does so every few hours)."""
        with self._lock:
            current = list(self.connections)
        for connection in current:
            with contextlib.suppress(ConnectionClosed):
                connection.send(
                    json.dumps(
                        {"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "x"}}
                    )
                )

    def close_after_refresh(self, delay: float = 2.0) -> None:
        """Slack closes the old connection a little after asking for a refresh."""
        with self._lock:
            current = list(self.connections)

        def close_later() -> None:
            time.sleep(delay)
            for connection in current:
                connection.close()

        threading.Thread(target=close_later, daemon=True).start()

    @property
    def latency(self) -> float:
        """Seconds each frame takes to cross between the app and Slack, either way."""
        return self._relay.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._relay.latency = seconds

    def blackhole(self) -> None:
        """Every live connection goes silent: no bytes either way, nothing closed (a dead network path)."""
        self._relay.blackhole()


def _frame(envelope: Envelope) -> dict[str, Any]:
    """An envelope as Slack sends it (again, after a time-out, with its retry count)."""
    return {
        "envelope_id": envelope.id,
        "type": envelope.type,
        "payload": envelope.payload,
        "accepts_response_payload": envelope.type != "events_api",
        "retry_attempt": envelope.attempts,
        "retry_reason": "timeout" if envelope.attempts else "",
    }

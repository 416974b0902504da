"""The HTTP server rests while nobody calls it, and stops when asked."""

from __future__ import annotations

import socket
import time
import urllib.request
from collections.abc import Iterable
from typing import Any

import pytest
from waitress import wasyncore

from assistant.server import HttpServer


def hello(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def test_the_idle_server_waits_on_its_sockets_instead_of_spinning(monkeypatch: pytest.MonkeyPatch) -> None:
    polls = 0
    poll = wasyncore.poll2

    def counted(timeout: float = 0.0, map: Any = None) -> None:  # noqa: A002 - waitress's name
        nonlocal polls
        polls += 1
        poll(timeout, map)

    monkeypatch.setattr(wasyncore, "poll2", counted)
    server = HttpServer(hello, "127.0.0.1", 0, threads=1).start_in_thread()
    try:
        with urllib.request.urlopen(server.url, timeout=5) as answer:
            assert answer.read() == b"hello"
        before = polls
        time.sleep(0.5)  # nobody calls: the loop should sleep in poll(), not come round again
        # Waitress reads its loop's time-out as whole seconds: 0.1 became 0, and the loop ran
        # thousands of times a second (a core kept busy by an idle app).
        assert polls - before <= 2, f"{polls - before} polls in half a second of idleness"
    finally:
        server.stop()
        server.stop()  # again (a signal and a shutdown both asking): nothing more to do
    with pytest.raises(ConnectionRefusedError):  # stopped: nothing listens any more
        socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1])), 1).close()

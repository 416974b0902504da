"""Socket Mode (the manifest's default): reconnects lose nothing, dead sockets are replaced."""

from __future__ import annotations

import signal
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from assistant.app import create_app
from assistant.settings import SettingsError
from assistant.socket_mode import connect_socket_mode
from slack_standin import StandIn
from slack_standin.socket_mode import SocketModeServer
from tests.harness import (
    CSM,
    Harness,
    free_port,
    make_settings,
    start_app_process,
    start_harness,
    wait_for,
)


@pytest.fixture
def socket_harness(database_url: str) -> Iterator[Harness]:
    running = start_harness(database_url, mode="socket")
    yield running
    running.stop()


def help_command(
    harness: Harness, server: SocketModeServer, ack_within: float, tries: int = 1
) -> float | None:
    """One `/escalate help`; seconds from first sending to the app's ack (None if never acknowledged)."""
    fields = {
        "command": "/escalate",
        "text": "help",
        "user_id": CSM,
        "channel_id": harness.general.id,
        "team_id": harness.workspace.team_id,
        "trigger_id": harness.workspace.issue_trigger(),
        "response_url": harness.workspace.issue_response_url(
            harness.standin.base_url, harness.general.id, CSM
        ),
    }
    envelope = server.send("slash_commands", fields, ack_within=ack_within, tries=tries)
    return None if envelope.acked_at is None else envelope.acked_at - envelope.sent_at


def test_a_refresh_mid_stream_loses_no_envelope_and_delays_none(socket_harness: Harness) -> None:
    """Commands keep arriving (four at a time) while Slack moves the app to a new connection twice."""
    server = socket_harness.workspace.socket_mode
    server.latency = 0.05  # frames are still in flight on the old connection when the app moves
    waits: list[float | None] = []

    def stream(count: int) -> None:
        for _ in range(count):
            waits.append(help_command(socket_harness, server, ack_within=1.0, tries=3))
            time.sleep(0.02)

    streams = [threading.Thread(target=stream, args=(25,)) for _ in range(4)]
    for thread in streams:
        thread.start()
    for _ in range(2):
        time.sleep(0.5)
        server.refresh()  # Slack: "move to a new connection"
        server.close_after_refresh(delay=1.0)
    for thread in streams:
        thread.join()
    assert None not in waits  # no envelope lost
    assert server.opened == 3  # the app moved to a new connection each time
    assert len(socket_harness.refusals_for(CSM)) == 100  # every command answered, once
    # Each acknowledged within 1 s, including those sent on the old connection at the switch.
    assert server.unacked_resent == 0
    assert max(w for w in waits if w is not None) < 1.0, sorted(w for w in waits if w)[-5:]


def test_a_silently_dead_socket_is_replaced(socket_harness: Harness) -> None:
    server = socket_harness.workspace.socket_mode
    assert help_command(socket_harness, server, ack_within=1.0) is not None
    server.blackhole()  # packets dropped both ways, nothing closed
    # Noticed by ping within 15 s; the app opens a new connection by itself.
    wait_for(lambda: server.opened == 2, timeout=15, what="the app to replace its dead connection")
    assert help_command(socket_harness, server, ack_within=1.0) is not None


def test_an_unreachable_socket_at_start_up_is_one_clear_error(standin: StandIn, database_url: str) -> None:
    # apps.connections.open answers, but nothing listens at the URL it gives.
    settings = make_settings(standin, database_url, slack_app_token=standin.workspace.app_token)
    app, components = create_app(settings)
    try:
        with pytest.raises(SettingsError, match="could not be opened after 3 tries"):
            connect_socket_mode(app, settings, attempts=3, first_pause=0.05)
        assert len(standin.workspace.calls_to("apps.connections.open")) == 3
    finally:
        components.close()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["http", "socket"])
def test_sigterm_stops_the_app_cleanly(standin: StandIn, database_url: str, mode: str) -> None:
    port = free_port()
    extra: dict[str, str] = {}
    server = None
    if mode == "socket":
        server = SocketModeServer().start()
        standin.workspace.socket_mode = server
        extra["SLACK_APP_TOKEN"] = standin.workspace.app_token
    try:
        # Ready means /healthz answers 200: in Socket Mode too.
        process = start_app_process(standin, database_url, port, **extra)
        if server is not None:
            wait_for(lambda: server.live_connections() == 1, what="the app's WebSocket")
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        assert time.monotonic() - started < 20
        with pytest.raises(urllib.error.URLError, match="refused"):
            urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                f"http://127.0.0.1:{port}/healthz", timeout=2
            )
        if server is not None:
            wait_for(lambda: server.live_connections() == 0, what="the WebSocket to be closed")
    finally:
        if server is not None:
            server.stop()


def test_an_envelope_slack_sends_again_is_acknowledged_and_handled_once(socket_harness: Harness) -> None:
    """Slack redelivers an envelope whose ack reached it late: the app acknowledges the copy and
    does not answer the CSM a second time."""
    server = socket_harness.workspace.socket_mode
    assert help_command(socket_harness, server, ack_within=1.0) is not None
    envelope = next(reversed(server.envelopes.values()))
    server.redeliver(envelope)
    assert envelope.done.wait(2.0), "the copy was not acknowledged"
    time.sleep(0.5)
    assert len(socket_harness.refusals_for(CSM)) == 1

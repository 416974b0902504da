"""Nobody can take the app down, fill its disk or lose a command without Slack's signature."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from tests.harness import CSM, Harness, wait_for

ESCALATE_LOGGERS = ("assistant", "slack_bolt", "assistant.bolt")


def raw_request(url: str, request: bytes, read: bool = True) -> bytes:
    parsed = urlparse(url)
    with socket.create_connection((parsed.hostname, parsed.port), timeout=10) as sock:
        sock.sendall(request)
        return sock.recv(65536) if read else b""


def app_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(ESCALATE_LOGGERS)]


def test_a_huge_unsigned_body_is_refused_before_it_is_read(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    head = (
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 104857600\r\n\r\n"
    )
    answer = raw_request(harness.server.url, head + b"payload=" + b"A" * 65536)
    assert answer.startswith(b"HTTP/1.1 413")
    assert all(len(r.getMessage()) < 500 for r in caplog.records)


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"X-Slack-Signature": "", "X-Slack-Request-Timestamp": ""}, "unsigned"),
        ({"X-Slack-Request-Timestamp": "yesterday"}, "malformed timestamp"),
        ({"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=00"}, "stale timestamp"),
        ({"X-Slack-Signature": "v0=" + "0" * 64}, "bad signature"),
    ],
)
def test_an_unsigned_request_is_a_401_and_one_log_line(
    harness: Harness, caplog: pytest.LogCaptureFixture, headers: dict[str, str], why: str
) -> None:
    caplog.set_level(logging.DEBUG)
    secret_text = "customer text that must never be logged"
    body = f"command=/escalate&text={secret_text}&trigger_id=1".encode()
    response = harness.sender.post(body, "application/x-www-form-urlencoded", headers=headers)

    assert response.status == 401
    records = app_records(caplog)
    assert [r.getMessage() for r in records] == [f"refused a request to /slack/events: {why}"]
    assert not any(r.exc_info for r in caplog.records)
    assert all(secret_text not in r.getMessage() for r in caplog.records)
    assert harness.workspace.calls_to("views.open") == []


def test_a_signed_body_that_cannot_be_read_is_a_400_not_a_traceback(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    response = harness.sender.post(b"payload=%7Bnot-json", "application/x-www-form-urlencoded")
    assert response.status == 400
    assert not any(r.exc_info for r in caplog.records)


@pytest.fixture
def idle_connections(harness: Harness) -> Iterator[list[socket.socket]]:
    """300 connections that send half a request and then nothing."""
    parsed = urlparse(harness.server.url)
    held = []
    for _ in range(300):
        sock = socket.create_connection((parsed.hostname, parsed.port), timeout=10)
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\npay")
        held.append(sock)
    yield held
    for sock in held:
        sock.close()


def test_idle_connections_do_not_starve_slacks_requests(
    harness: Harness, idle_connections: list[socket.socket]
) -> None:
    started = time.monotonic()
    harness.sender.slash_command(CSM, "", channel_id=harness.general.id)
    # Slack's own deadline: the modal opens within 3 seconds, or the CSM sees an error.
    wait_for(lambda: harness.workspace.views, timeout=3, what="the intake modal despite 300 idle connections")
    assert time.monotonic() - started < 3


def test_health_answers_get_and_head_only(harness: Harness) -> None:
    url = harness.server.url
    assert raw_request(url, b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").startswith(
        b"HTTP/1.1 405"
    )
    head = raw_request(url, b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and head.endswith(b"\r\n\r\n")
    assert raw_request(url, b"GET /slack/events HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 405")


@pytest.mark.parametrize(
    ("text", "channel_name"),
    [
        ("payload corruption at Acme", "general"),
        ("Acme SSO outage", "payload-team"),
        ("&payload=corrupt at Acme", "general"),  # sent encoded: not a field of the form
    ],
)
def test_a_command_that_says_payload_is_not_lost(harness: Harness, text: str, channel_name: str) -> None:
    """slack-bolt 1.30 takes any form body containing "payload" for an interaction (a 404)."""
    response = harness.sender.slash_command(
        CSM, text, channel_id=harness.general.id, channel_name=channel_name
    )
    assert response.status == 200
    view = wait_for(lambda: list(harness.workspace.views.values()), what="the intake modal")[-1]
    assert text in str(view["blocks"])


def test_slacks_app_rate_limited_notice_is_acknowledged_and_logged_once(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack tells the app it dropped events for a minute: acknowledged (not a 404), one log line."""
    notice = {
        "token": "deprecated-verification-token",
        "type": "app_rate_limited",
        "team_id": harness.workspace.team_id,
        "minute_rate_limited": 1518467820,
        "api_app_id": "ASTANDIN",
    }
    caplog.set_level(logging.INFO)
    for _ in range(3):
        response = harness.sender.post(json.dumps(notice).encode(), "application/json")
        assert response.status == 200, response
    said = [r for r in app_records(caplog) if r.levelno >= logging.WARNING or "rate" in r.getMessage()]
    assert len(said) == 1 and "dropped events" in said[0].getMessage(), [r.getMessage() for r in said]

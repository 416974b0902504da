"""Webhooks go to the receiver that was registered, and only to it (issue 21, section 4): https
only (plain http only to loopback, and only when WEBHOOK_ALLOW_HTTP_LOOPBACK says so); no
private, loopback, link-local, multicast or reserved address, checked when the subscription is
added and again when each call is made (the address checked is the one connected to); no
credentials in URLs; a redirect is a failed attempt, never followed; one slow endpoint costs
the other subscribers nothing; `--secret` must be a whsec_ key; removed ids are not reused.

An endpoint that does not speak HTTP, or a bug while sending one delivery, never stops the
others (section 3); the CLI takes `webhook remove` and `replay` as the README writes them (6).

None of this needs a request into the app: the command line runs in this process against the
test's database, and the sender is one of the app's parts (tests/parts.py's `Parts`,
cases opened as the intake opens them, calls received by real receivers and sockets on loopback).
A subscriber's whole story over Slack's requests is in tests/test_webhooks.py."""

from __future__ import annotations

import base64
import contextlib
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from sqlmodel import Session, select

from assistant.database import make_engine
from assistant.jobs.supervision import PARK_AFTER_FAULTS
from assistant.models import WebhookDelivery, WebhookSubscription, WorkFault, utcnow
from assistant.services import webhooks
from tests.harness import CSM, MANAGER, wait_for
from tests.parts import Parts, running_parts
from tests.test_webhooks import Receiver, all_deliveries, cli

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


@pytest.fixture
def parts(database_url: str) -> Iterator[Parts]:
    """The receivers of these tests listen over http on 127.0.0.1: the documented opt-in."""
    with running_parts(database_url, webhook_allow_http_loopback=True) as running:
        yield running


@pytest.fixture
def strict_parts(database_url: str) -> Iterator[Parts]:
    """The app's parts as shipped: public https endpoints only."""
    with running_parts(database_url) as running:
        yield running


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    """The test's database, for what the command line stores (no app, no Slack)."""
    made = make_engine(database_url)
    yield made
    made.dispose()


@pytest.fixture
def receivers() -> Iterator[Callable[[], Receiver]]:
    made: list[Receiver] = []

    def make() -> Receiver:
        made.append(Receiver())
        return made[-1]

    yield make
    for box in made:
        if box.gate is not None:
            box.gate.set()
        box.server.shutdown()


def subscriptions(engine: sa.Engine) -> list[WebhookSubscription]:
    return webhooks.subscriptions(engine)


def stored(engine: sa.Engine, url: str, events: list[str]) -> int:
    """A subscription as an earlier release stored it (before URLs were checked)."""
    with Session(engine) as session:
        row = WebhookSubscription(url=url, events=events, secret=SECRET)
        session.add(row)
        session.commit()
        return row.id or 0


def deliveries_to(engine: sa.Engine, subscription_id: int) -> list[WebhookDelivery]:
    return sorted(
        (d for d in all_deliveries(engine) if d.subscription_id == subscription_id),
        key=lambda d: d.event_id,
    )


# -- what `webhook add` takes ----------------------------------------------------------------


REFUSED = [
    "http://169.254.169.254/latest/meta-data/",  # the cloud's metadata service
    "https://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "https://10.0.0.1/",
    "https://192.168.1.20/hooks",
    "https://100.64.0.1/",  # carrier-grade NAT
    "http://[::1]/",
    "https://[::1]/",
    "https://[fe80::1]/",
    "https://[fc00::1]/",
    "https://[::ffff:127.0.0.1]/",  # IPv4 written as IPv6
    "https://[::ffff:a9fe:a9fe]/",
    "https://0x7f000001/",  # 127.0.0.1, as a resolver reads it
    "https://2130706433/",  # the same, in decimal
    "https://0177.0.0.1/",  # the same, in octal
    "https://127.1/",
    "https://0.0.0.0/",
    "https://224.0.0.1/",  # multicast
    "https://240.0.0.1/",  # reserved
    "https://255.255.255.255/",
    "https://user:hunter2@hooks.acme.example/in",  # credentials in the URL
    "https://token@hooks.acme.example/in",
    "http://hooks.acme.example/in",  # plain http to the internet
    "ftp://hooks.acme.example/in",
    "https:///no-host",
]


def test_add_refuses_anything_but_a_public_https_receiver(
    database_url: str, engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    for url in REFUSED:
        code, out, err = cli(monkeypatch, database_url, "add", url, "--events", "opened")
        assert code != 0 and err.startswith("error: "), (url, code, out, err)
        assert "Traceback" not in err and "subscription" not in out, url
        assert "hunter2" not in err, url  # a refused URL's password is not echoed back
    assert subscriptions(engine) == []
    # Plain http only to loopback, and only with the setting; even then not to a private address.
    loopback = "http://127.0.0.1:9/hooks"
    assert cli(monkeypatch, database_url, "add", loopback)[0] != 0
    assert (
        cli(monkeypatch, database_url, "add", "http://10.0.0.1/", WEBHOOK_ALLOW_HTTP_LOOPBACK="true")[0] != 0
    )
    assert cli(monkeypatch, database_url, "add", loopback, WEBHOOK_ALLOW_HTTP_LOOPBACK="true")[0] == 0
    # A private network the operator allows (a receiver inside the company).
    code, out, _ = cli(
        monkeypatch, database_url, "add", "https://10.1.2.3/in", WEBHOOK_ALLOWED_NETWORKS="10.1.0.0/16"
    )
    assert code == 0 and out.startswith("subscription ")
    assert (
        cli(monkeypatch, database_url, "add", "https://10.2.0.1/in", WEBHOOK_ALLOWED_NETWORKS="10.1.0.0/16")[
            0
        ]
        != 0
    )
    code, out, _ = cli(monkeypatch, database_url, "add", "https://hooks.acme.example/in")
    assert code == 0
    assert [s.url for s in subscriptions(engine)] == [
        loopback,
        "https://10.1.2.3/in",
        "https://hooks.acme.example/in",
    ]


def test_list_never_prints_credentials_stored_before_they_were_refused(
    database_url: str, engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored(engine, "https://ops:hunter2@hooks.acme.example/in?x=1", ["opened"])
    code, out, _ = cli(monkeypatch, database_url, "list")
    assert code == 0
    assert "hunter2" not in out and "ops:" not in out
    assert "hooks.acme.example/in" in out


def test_the_secret_must_be_a_whsec_key(
    database_url: str, engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "https://hooks.acme.example/in"
    for secret in (
        "hunter2",
        "whsec_",
        "whsec_not base64!",
        "whsec_" + base64.b64encode(b"short").decode(),  # 5 bytes: Standard Webhooks asks 24 to 64
        base64.b64encode(b"k" * 32).decode(),  # the key without its prefix
    ):
        code, _, err = cli(monkeypatch, database_url, "add", url, "--secret", secret)
        assert code != 0 and "whsec_" in err, (secret, err)
        assert "Traceback" not in err
    assert subscriptions(engine) == []
    code, out, _ = cli(monkeypatch, database_url, "add", url, "--secret", SECRET)
    assert code == 0 and out.strip().endswith(SECRET)
    code, out, _ = cli(monkeypatch, database_url, "add", url)  # one made for it: a valid key too
    generated = out.split("signing secret (verify webhook-signature with it): ")[1].strip()
    assert generated.startswith("whsec_") and len(base64.b64decode(generated[6:], validate=True)) >= 24


def test_ids_of_removed_subscriptions_are_not_reused(
    database_url: str, engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "https://hooks.acme.example/in"
    firsts = [cli(monkeypatch, database_url, "add", url)[1].split(":")[0] for _ in range(2)]
    assert firsts == ["subscription 1", "subscription 2"]
    assert cli(monkeypatch, database_url, "remove", "2")[1].strip() == "removed 2"
    assert cli(monkeypatch, database_url, "add", url)[1].split(":")[0] == "subscription 3"
    assert [s.id for s in subscriptions(engine)] == [1, 3]


def test_remove_and_replay_take_what_the_readme_writes(
    database_url: str, parts: Parts, monkeypatch: pytest.MonkeyPatch, receivers: Callable[[], Receiver]
) -> None:
    for wrong in ("abc", "99999999999999999999", "١٢"):  # letters, too large, not ASCII digits
        code, _, err = cli(monkeypatch, database_url, "remove", wrong)
        assert code == 2 and err.startswith("error: ") and wrong in err and "Traceback" not in err
    receiver = receivers()
    sub_id, _ = webhooks.subscribe(
        parts.engine, receiver.url, ["opened"], policy=webhooks.policy_of(parts.components.settings)
    )
    parts.escalate(CSM)
    wait_for(lambda: len(receiver.received) == 1, what="the event")
    since = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    code, out, err = cli(
        monkeypatch, database_url, "replay", "--since", since, str(sub_id)
    )  # the README's order
    assert (code, out.strip()) == (0, "1 deliveries queued again"), err
    parts.components.webhooks.wake()
    wait_for(lambda: len(receiver.received) == 2, what="the replay")
    code, _, err = cli(monkeypatch, database_url, "replay", "--since", since, "abc")
    assert code == 2 and err.startswith("error: ") and "Traceback" not in err
    code, _, err = cli(monkeypatch, database_url, "replay", str(sub_id))
    assert code == 2 and "--since" in err


# -- what a call reaches ---------------------------------------------------------------------


def test_the_address_is_checked_again_when_sending(
    strict_parts: Parts, receivers: Callable[[], Receiver]
) -> None:
    """A subscription stored before URLs were checked, to a name that resolves to loopback: the
    call is refused (recorded on the delivery), until the operator allows loopback."""
    parts = strict_parts
    receiver = receivers()
    port = receiver.server.server_address[1]
    sub_id = stored(parts.engine, f"http://localhost:{port}/hooks", ["opened"])
    parts.escalate(CSM)
    [delivery] = wait_for(
        lambda: [d for d in deliveries_to(parts.engine, sub_id) if d.last_error], what="the refused attempt"
    )
    assert "refused" in (delivery.last_error or "") and delivery.delivered_at is None
    assert delivery.next_attempt_at > utcnow()  # tried again later, like any failed attempt
    assert receiver.received == []
    parts.components.settings.webhook_allow_http_loopback = True
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=15), tick=True):
        parts.components.webhooks.wake()
        wait_for(lambda: len(receiver.received) == 1, what="the delivery once loopback is allowed")


def test_the_address_checked_is_the_one_connected_to(
    parts: Parts, receivers: Callable[[], Receiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name answers 127.0.0.1 when it is checked, then another address. The
    call goes to the address checked, with the name in its Host header."""
    receiver = receivers()
    port = receiver.server.server_address[1]
    real = socket.getaddrinfo
    asked: list[str] = []

    def rebinding(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "rebind.test":
            asked.append(host)
            # 127.0.0.2 is loopback too, but nothing listens there: only the first answer works.
            return real("127.0.0.1" if len(asked) == 1 else "127.0.0.2", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    stored(parts.engine, f"http://rebind.test:{port}/hooks", ["opened"])
    parts.escalate(CSM)
    wait_for(lambda: len(receiver.received) == 1, what="the delivery")
    headers, _ = receiver.received[0]
    assert headers["host"] == f"rebind.test:{port}"
    assert len(asked) == 1


def test_a_redirect_is_a_failed_attempt_never_followed(
    parts: Parts, receivers: Callable[[], Receiver]
) -> None:
    elsewhere = receivers()
    found, temporary = receivers(), receivers()
    found.redirect = (302, elsewhere.url)
    temporary.redirect = (307, elsewhere.url)
    policy = webhooks.policy_of(parts.components.settings)
    engine = parts.components.engine
    ids = [webhooks.subscribe(engine, r.url, ["opened"], policy=policy)[0] for r in (found, temporary)]
    parts.escalate(CSM)
    wait_for(
        lambda: all(any(d.last_status for d in deliveries_to(parts.engine, i)) for i in ids),
        what="both attempts",
    )
    for sub_id, status in zip(ids, (302, 307), strict=True):
        [delivery] = deliveries_to(parts.engine, sub_id)
        assert delivery.delivered_at is None, status
        assert (delivery.last_status, delivery.last_error, delivery.attempts) == (status, f"HTTP {status}", 1)
        assert delivery.next_attempt_at > utcnow()  # backed off
    assert elsewhere.received == [] and elsewhere.other_methods == []
    assert all(s.failing_since is not None for s in subscriptions(parts.engine))  # counts towards disabling


def test_a_slow_endpoint_costs_the_others_nothing(parts: Parts, receivers: Callable[[], Receiver]) -> None:
    slow, fast = receivers(), receivers()
    slow.gate = threading.Event()  # each call to the slow endpoint is held until the test lets go
    parts.components.settings.webhook_timeout_seconds = 30.0
    policy = webhooks.policy_of(parts.components.settings)
    engine = parts.components.engine
    for box in (slow, fast):
        webhooks.subscribe(engine, box.url, ["opened"], policy=policy)
    cases = [parts.escalate(CSM, summary=f"Case {n}").id for n in range(3)]
    wait_for(lambda: len(fast.received) == 3, timeout=20, what="every event at the fast endpoint")
    assert slow.held == 1 and slow.received == []  # its first call is still held open
    assert [e["data"]["escalation"]["id"] for e in fast.events()] == cases
    slow.gate.set()
    wait_for(lambda: len(slow.received) == 3, timeout=20, what="the slow endpoint's events, in order")
    assert [e["data"]["escalation"]["id"] for e in slow.events()] == cases


class NotHttp:
    """An endpoint that answers something that is not HTTP (a misconfigured port)."""

    def __init__(self) -> None:
        self.calls = 0
        box = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                box.calls += 1
                self.request.recv(65536)
                self.request.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()


def test_an_endpoint_that_does_not_speak_http_is_a_failed_attempt(
    parts: Parts, receivers: Callable[[], Receiver]
) -> None:
    odd, good = NotHttp(), receivers()
    try:
        policy = webhooks.policy_of(parts.components.settings)
        engine = parts.components.engine
        odd_id, _ = webhooks.subscribe(engine, odd.url, ["opened"], policy=policy)
        webhooks.subscribe(engine, good.url, ["opened"], policy=policy)
        for n in range(2):
            parts.escalate(CSM, summary=f"Case {n}")
        wait_for(lambda: len(good.received) == 2, what="the other subscriber's events")
        failed = wait_for(
            lambda: [d for d in deliveries_to(parts.engine, odd_id) if d.last_error],
            what="the odd endpoint's attempts",
        )
        assert all(d.delivered_at is None and "BadStatusLine" in (d.last_error or "") for d in failed)
        assert all(d.next_attempt_at > utcnow() for d in failed)  # backed off like an HTTP error
        # An ordinary failed attempt: not a fault of ours, and the loop is healthy.
        with Session(engine) as session:
            assert session.exec(select(WorkFault)).all() == []
        status, body = parts.health("/healthz")
        assert status == 200 and body["loops"]["webhooks"] == "ok", body
    finally:
        odd.server.shutdown()


# -- a bug while sending one delivery ---------------------------------------------------------


class Injected(RuntimeError):
    """The arbitrary exception a bug would raise."""


def test_a_delivery_that_raises_is_recorded_on_it_and_the_next_is_sent(
    parts: Parts, receivers: Callable[[], Receiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver = receivers()
    engine = parts.components.engine
    webhooks.subscribe(engine, receiver.url, ["opened"], policy=webhooks.policy_of(parts.components.settings))
    sender = parts.components.webhooks
    real_send = sender._send
    doomed: list[int] = []  # the case of the first delivery the sender handles

    def send(delivery: WebhookDelivery, *args: Any, **kwargs: Any) -> Any:
        doomed[:] = doomed or [delivery.escalation_id]
        if delivery.escalation_id == doomed[0]:
            raise Injected("a bug")
        return real_send(delivery, *args, **kwargs)

    monkeypatch.setattr(sender, "_send", send)
    first = parts.escalate(CSM, summary="First")
    second = parts.escalate(CSM, summary="Second")
    wait_for(
        lambda: second.id in [e["data"]["escalation"]["id"] for e in receiver.events()],
        what="the next delivery, sent all the same",
    )
    assert doomed == [first.id]
    [faulty] = wait_for(
        lambda: [d for d in all_deliveries(engine) if d.escalation_id == first.id and d.last_error],
        what="the fault recorded on the delivery",
    )
    assert "Injected" in (faulty.last_error or "") and faulty.delivered_at is None
    assert timedelta(seconds=20) < faulty.next_attempt_at - utcnow() < timedelta(minutes=2)  # backed off
    status, body = parts.health("/healthz")
    assert status == 200 and body["loops"]["webhooks"].startswith(
        f"running; an item failed: webhook:{faulty.id}: Injected"
    ), body

    # Again and again: parked after a few faults, the managers told once, never claimed again.
    def faults() -> int:
        with Session(engine) as session:
            row = session.exec(select(WorkFault).where(WorkFault.item == f"webhook:{faulty.id}")).one()
            return row.faults

    for hours in range(1, PARK_AFTER_FAULTS):
        with time_machine.travel(datetime.now(UTC) + timedelta(hours=hours), tick=True):
            sender.wake()
            wait_for(lambda: faults() == hours + 1, what=f"fault {hours + 1}")  # noqa: B023
    for hours in (PARK_AFTER_FAULTS + 1, PARK_AFTER_FAULTS + 10):
        with time_machine.travel(datetime.now(UTC) + timedelta(hours=hours), tick=True):
            sender.wake()
            time.sleep(0.8)
    with Session(engine) as session:
        [fault] = session.exec(select(WorkFault).where(WorkFault.item == f"webhook:{faulty.id}")).all()
    assert fault.faults == PARK_AFTER_FAULTS and fault.parked_at is not None
    [parked] = [d for d in all_deliveries(engine) if d.id == faulty.id]
    assert parked.delivered_at is None and parked.attempts == PARK_AFTER_FAULTS
    told = wait_for(
        lambda: [m for m in parts.workspace.dm_messages(MANAGER) if "parked" in m.text],
        what="the managers told",
    )
    time.sleep(0.5)
    assert len([m for m in parts.workspace.dm_messages(MANAGER) if "parked" in m.text]) == len(told) == 1
    assert second.id in [e["data"]["escalation"]["id"] for e in receiver.events()]


def test_the_time_out_is_for_the_whole_call_not_each_byte(database_url: str) -> None:
    """An endpoint that answers a byte at a time is cut at the time-out, within its claim (a claim
    that ran out would let another sender send the event again, out of order)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    done = threading.Event()

    def drip() -> None:
        connection, _ = listener.accept()
        connection.recv(65536)
        with contextlib.suppress(OSError):
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: aaaaaaaaaaaa":
                if done.is_set():
                    break
                connection.send(bytes([byte]))
                time.sleep(0.3)
        connection.close()

    threading.Thread(target=drip, daemon=True).start()
    try:
        with running_parts(
            database_url, webhook_allow_http_loopback=True, webhook_timeout_seconds=1
        ) as parts:
            url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
            webhooks.subscribe(
                parts.engine, url, ["opened"], policy=webhooks.policy_of(parts.components.settings)
            )
            parts.escalate(CSM)
            [delivery] = wait_for(
                lambda: [d for d in all_deliveries(parts.engine) if d.last_error],
                timeout=15,
                what="the attempt recorded",
            )
            assert delivery.last_error == "timed out" and delivery.delivered_at is None
    finally:
        done.set()
        listener.close()


def test_an_ipv6_receiver_is_called_on_its_own_port() -> None:
    import ipaddress
    import ssl
    from urllib.parse import urlsplit

    from assistant.jobs.webhook_sender import _connection

    for url, port in [("https://[2606:4700:4700::1111]/hook", 443), ("http://[2001:db8::abcd]:8443/x", 8443)]:
        host = urlsplit(url).hostname or ""
        connection = _connection(urlsplit(url), [ipaddress.ip_address(host)], 5, ssl.create_default_context())
        assert (connection.host, connection.port) == (host, port)

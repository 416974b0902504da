"""Webhooks out, to a receiver on loopback: signed (Standard Webhooks), in order per case,
retried after 500s and time-outs, at least once and never lost.

The sender is one of the app's parts: most stories run on the parts alone (tests/parts.py's
`Parts`: cases opened and flows run as their listeners run them, the events received by a real
HTTP receiver); a subscriber's whole story (`python -m assistant webhook add`, then a case worked
over Slack's requests) and a killed app process run end to end."""

from __future__ import annotations

import contextlib
import io
import json
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from standardwebhooks.webhooks import Webhook

from assistant.cli import main
from assistant.database import make_engine
from assistant.domain.webhooks import EndpointPolicy
from assistant.services import webhooks
from slack_standin import StandIn
from tests.harness import (
    CSM,
    MANAGER,
    OWNER,
    ROOT,
    FlowButton,
    Harness,
    app_sender,
    default_intake,
    env_without_slack,
    free_port,
    in_hours,
    make_settings,
    run_cli,
    start_app_process,
    start_harness,
    wait_for,
)
from tests.parts import Parts, running_parts


class Receiver:
    """An endpoint that keeps what it is sent; it can fail with 500s, hang for a while, hold each
    call until the test lets it go, or answer a redirect."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.failures = 0  # how many next calls answer 500
        self.hang = 0.0  # seconds the next call waits before answering
        # When set: each call waits (at most a minute) until the test sets this, then is answered.
        self.gate: threading.Event | None = None
        self.held = 0  # calls waiting at the gate now
        self.redirect: tuple[int, str] | None = None  # (3xx, Location) answered to every call
        self.other_methods: list[str] = []  # calls that were not a POST (a redirect followed)
        box = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                box.other_methods.append("GET")
                self.send_response(200)
                self.end_headers()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if box.redirect is not None:
                    self.send_response(box.redirect[0])
                    self.send_header("Location", box.redirect[1])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if box.gate is not None:
                    box.held += 1
                    box.gate.wait(60)
                    box.held -= 1
                if box.hang:
                    hang, box.hang = box.hang, 0.0
                    time.sleep(hang)
                    return  # the client gave up: never answered
                if box.failures:
                    box.failures -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                box.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box = Receiver()
    yield box
    if box.gate is not None:
        box.gate.set()  # a held call is let go, so the server can stop
    box.server.shutdown()


@pytest.fixture
def harness(database_url: str) -> Iterator[Harness]:
    """The app with WEBHOOK_ALLOW_HTTP_LOOPBACK=true: these receivers listen over plain http on
    127.0.0.1, which only that documented setting allows (otherwise: public https only)."""
    running = start_harness(database_url, webhook_allow_http_loopback=True)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def parts(database_url: str) -> Iterator[Parts]:
    """The app's parts, with the same opt-in as `harness`."""
    with running_parts(database_url, webhook_allow_http_loopback=True) as running:
        yield running


def cli(monkeypatch: pytest.MonkeyPatch, database_url: str, *args: str, **env: str) -> tuple[int, str, str]:
    """`python -m assistant webhook ...` (its `main`, in this process) against the database at
    `database_url`, with these settings in its environment: (exit code, out, err)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("WEBHOOK_ALLOW_HTTP_LOOPBACK", "WEBHOOK_ALLOWED_NETWORKS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["webhook", *args])
        except SystemExit as exc:  # argparse refusing the command line
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def loopback_env(harness: Harness) -> dict[str, str]:
    """The CLI's environment, with the same opt-in as the app's."""
    return {**env_without_slack(harness), "WEBHOOK_ALLOW_HTTP_LOOPBACK": "true"}


def test_case_events_reach_a_subscriber_once_signed_and_in_order(
    harness: Harness, receiver: Receiver
) -> None:
    added = run_cli(["webhook", "add", receiver.url, "--events", "opened,acknowledged,update_posted,closed"],
                    loopback_env(harness), ROOT)  # fmt: skip
    assert added.returncode == 0, added.stderr
    secret = added.stdout.split("signing secret (verify webhook-signature with it): ")[1].strip()
    case = harness.escalate(CSM)
    view = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
    harness.submit(OWNER, view, next_update=in_hours(3), customer_message="On it.")
    view = harness.open_flow(OWNER, case, FlowButton.POST_UPDATE)
    harness.submit(OWNER, view, internal="Found it", customer_update="Fix tonight.", next_update=in_hours(5))
    wait_for(lambda: len(receiver.received) == 3, what="three events")
    events = receiver.events()
    assert [e["type"] for e in events] == ["opened", "acknowledged", "update_posted"]
    assert events[0]["data"]["escalation"] == {"key": "ESC-1", "id": case.id}
    assert events[1]["data"]["actor"] == OWNER and events[1]["data"]["details"]["route"] == "myself"
    assert "Fix tonight." not in json.dumps(events) and "Found it" not in json.dumps(
        events
    )  # never what was said
    for headers, body in receiver.received:
        Webhook(secret).verify(body, headers)  # raises if the signature does not match
    time.sleep(1.5)
    assert len(receiver.received) == 3  # each once


def test_failures_are_retried_with_backoff_in_order_and_a_dead_endpoint_is_disabled(
    parts: Parts, receiver: Receiver
) -> None:
    webhooks.subscribe(
        parts.engine,
        receiver.url,
        ["opened", "acknowledged"],
        policy=webhooks.policy_of(parts.components.settings),
    )
    receiver.failures = 2
    case = parts.escalate(CSM)
    parts.run_flow(OWNER, case, "acknowledge", next_update=in_hours(3), customer_message="On it.")
    # 500, then (after 10 s) 500 again, then (after 30 s) delivered; the acknowledgement waits its turn.
    for seconds in (11, 42):
        with time_machine.travel(datetime.now(UTC) + timedelta(seconds=seconds), tick=True):
            parts.components.webhooks.wake()
            time.sleep(0.5)
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=120), tick=True):
        parts.components.webhooks.wake()
        wait_for(lambda: len(receiver.received) == 2, what="both, after the failures")
    assert [e["type"] for e in receiver.events()] == ["opened", "acknowledged"]

    # A time-out is a failure like a 500 (the attempt is tried again, never lost).
    receiver.hang = 3.0
    parts.components.settings.webhook_timeout_seconds = 1.0
    parts.escalate(CSM, summary="Second")
    wait_for(
        lambda: any(d.last_error == "timed out" for d in all_deliveries(parts.engine)),
        timeout=15,
        what="a time-out",
    )

    # An endpoint failing for longer than WEBHOOK_DISABLE_AFTER_DAYS is disabled; managers are told.
    receiver.failures = 10**6
    for days in (0, 1, 4):
        with time_machine.travel(datetime.now(UTC) + timedelta(days=days, minutes=20), tick=True):
            parts.components.webhooks.wake()
            time.sleep(0.6)
    [sub] = webhooks.subscriptions(parts.engine)
    assert sub.disabled_at is not None
    told = wait_for(lambda: parts.workspace.dm_messages(MANAGER), what="the managers told")
    assert any("was disabled" in m.text for m in told)


def test_what_happened_before_anyone_subscribed_is_told_to_no_one(parts: Parts, receiver: Receiver) -> None:
    parts.escalate(CSM, summary="Before")
    parts.components.webhooks.tick()  # the sender's pass: nobody to tell
    webhooks.subscribe(
        parts.engine, receiver.url, ["opened"], policy=webhooks.policy_of(parts.components.settings)
    )
    after = parts.escalate(CSM, summary="After")
    parts.components.webhooks.wake()
    heard = wait_for(lambda: receiver.events(), what="the second case's event")
    time.sleep(0.5)  # a pass more: nothing else comes
    assert [e["data"]["escalation"]["key"] for e in receiver.events()] == [after.key], heard


def test_two_senders_at_once_hand_each_event_out_once(parts: Parts, receiver: Receiver) -> None:
    """Two instances' senders find the same events owed: each subscriber gets each one once."""
    from assistant.domain.events import EventKind
    from assistant.services.events import add_event

    subscription, _ = webhooks.subscribe(
        parts.engine, receiver.url, ["update_posted"], policy=webhooks.policy_of(parts.components.settings)
    )
    parts.components.webhooks.stop()  # the two senders below are the only ones
    case = parts.escalate(CSM)
    assert case.id is not None
    for _ in range(300):
        add_event(parts.engine, case.id, EventKind.UPDATE_POSTED, OWNER)
    other = make_engine(parts.components.settings.database_url)
    failures: list[BaseException] = []

    def drain(engine: Any) -> None:
        try:
            while webhooks.fan_out(engine, limit=25):
                pass
        except BaseException as exc:  # an event handed out twice breaks the unique delivery
            failures.append(exc)

    senders = [threading.Thread(target=drain, args=(e,)) for e in (parts.engine, other, parts.engine, other)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(timeout=60)
    other.dispose()
    assert failures == []
    events = [d.event_id for d in all_deliveries(parts.engine) if d.subscription_id == subscription]
    assert len(events) == len(set(events)) == 300


def test_an_event_replayed_while_still_owed_is_handed_out_once(parts: Parts, receiver: Receiver) -> None:
    """`webhook replay` may write a delivery of an event the sender has not handed out yet: the
    sender then leaves it be (it used to fail on the duplicate, again and again, telling no one)."""
    sub, _ = webhooks.subscribe(
        parts.engine, receiver.url, ["opened"], policy=webhooks.policy_of(parts.components.settings)
    )
    parts.components.webhooks.stop()
    parts.escalate(CSM)
    assert webhooks.replay(parts.engine, datetime.now(UTC) - timedelta(hours=1), sub) == 1
    assert webhooks.fan_out(parts.engine) >= 1  # its events handed out, the one replayed among them
    assert [d.subscription_id for d in all_deliveries(parts.engine)] == [sub]
    assert webhooks.fan_out(parts.engine) == 0


def test_a_subscription_made_before_an_event_hears_of_it_whatever_the_sender_read(
    parts: Parts, receiver: Receiver
) -> None:
    """Another instance subscribes, then records an event, while this sender's pass is under way:
    the events are claimed before the subscriptions are read, so the new one is not left out."""
    if parts.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: a pass holds it from its claim to its commit")
    from assistant.domain.events import EventKind
    from assistant.services.events import add_event

    policy = webhooks.policy_of(parts.components.settings)
    parts.components.webhooks.stop()
    case = parts.escalate(CSM)
    assert case.id is not None
    made: list[int] = []

    def meanwhile(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not made and statement.lstrip().startswith("UPDATE case_event"):
            made.append(webhooks.subscribe(parts.engine, receiver.url, ["update_posted"], policy=policy)[0])
            add_event(parts.engine, case.id or 0, EventKind.UPDATE_POSTED, OWNER)

    sa.event.listen(parts.engine, "after_cursor_execute", meanwhile)
    try:
        while webhooks.fan_out(parts.engine):
            pass
    finally:
        sa.event.remove(parts.engine, "after_cursor_execute", meanwhile)
    assert [d.body["type"] for d in all_deliveries(parts.engine) if d.subscription_id == made[0]] == [
        "update_posted"
    ]


def test_replay_sends_again_what_happened_since_a_date(
    parts: Parts, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub_id, _ = webhooks.subscribe(
        parts.engine, receiver.url, ["opened"], policy=webhooks.policy_of(parts.components.settings)
    )
    parts.escalate(CSM)
    wait_for(lambda: len(receiver.received) == 1, what="the event")
    since = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    code, out, err = cli(
        monkeypatch, parts.components.settings.database_url, "replay", str(sub_id), "--since", since
    )
    assert (code, out.strip()) == (0, "1 deliveries queued again"), err
    parts.components.webhooks.wake()
    wait_for(lambda: len(receiver.received) == 2, what="the replay")
    first, second = receiver.received
    assert (
        first[0]["webhook-id"] == second[0]["webhook-id"]
    )  # the same message: a receiver can drop the repeat


@pytest.mark.slow
def test_a_kill_mid_delivery_loses_nothing(standin: StandIn, database_url: str, receiver: Receiver) -> None:
    from assistant.app import create_app
    from assistant.database import make_engine, migrate

    engine = make_engine(database_url)
    migrate(engine)
    webhooks.subscribe(engine, receiver.url, ["opened"], policy=EndpointPolicy(allow_http_loopback=True))
    receiver.hang = 20.0  # the endpoint takes the request and hangs: the app is killed meanwhile
    workspace = standin.workspace
    port = free_port()
    process = start_app_process(
        standin, database_url, port, WEBHOOK_TIMEOUT_SECONDS="30", WEBHOOK_ALLOW_HTTP_LOOPBACK="true"
    )
    try:
        sender = app_sender(standin, port)
        sender.slash_command(CSM, "", channel_id=workspace.channel_named("general").id)  # type: ignore[union-attr]
        wait_for(lambda: workspace.views, what="the intake modal")
        sender.submit_view(CSM, list(workspace.views)[-1], default_intake())
        # The receiver took the request (an attempt is counted when claimed, before it is sent).
        wait_for(lambda: receiver.hang == 0.0, timeout=20, what="the first attempt to reach the receiver")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    _, components = create_app(
        make_settings(standin, database_url, webhook_timeout_seconds=2, webhook_allow_http_loopback=True)
    )
    try:
        # The claim (a lease) runs out, then the restarted app delivers it.
        with time_machine.travel(datetime.now(UTC) + timedelta(seconds=200), tick=True):
            components.webhooks.wake()
            wait_for(lambda: len(receiver.received) == 1, timeout=20, what="the event after the restart")
        assert [e["type"] for e in receiver.events()] == ["opened"]
    finally:
        components.close()


def all_deliveries(engine: Any) -> list[Any]:
    from sqlmodel import Session, select

    from assistant.models import WebhookDelivery

    with Session(engine) as session:
        return list(session.exec(select(WebhookDelivery)))


def test_a_private_case_tells_subscribers_its_times_never_who_or_why(
    parts: Parts, receiver: Receiver
) -> None:
    webhooks.subscribe(
        parts.engine,
        receiver.url,
        ["opened", "acknowledged"],
        policy=webhooks.policy_of(parts.components.settings),
    )
    case = parts.escalate(CSM, triggers=["data_breach"], summary="Customer PII leaked via S3 bucket")
    assert case.is_private
    parts.run_flow(OWNER, case, "acknowledge", next_update=in_hours(3), customer_message="On it.")
    wait_for(lambda: len(receiver.received) == 2, what="two events")
    opened, acknowledged = receiver.events()
    for event in (opened, acknowledged):
        assert event["data"]["escalation"] == {"key": "ESC-1", "id": case.id, "redacted": True}
        assert event["data"]["actor"] is None
    said = json.dumps(receiver.events())
    for secret in ("data_breach", "severity", "category", "owner_id", OWNER, "PII"):
        assert secret not in said
    assert "next_update_due_at" in acknowledged["data"]["details"]  # its times still

"""The customer end: a promise is kept when the customer actually hears from us.

A real SMTP server on loopback receives what the app sends; the tests read the messages
as the customer's mailbox would have them.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from assistant.app import create_app
from assistant.ids import CaseAction
from assistant.services import customer
from assistant.services.export import export_rows
from slack_standin import StandIn
from tests.harness import (
    CSM,
    OWNER,
    Harness,
    app_sender,
    default_intake,
    free_port,
    in_hours,
    make_settings,
    start_app_process,
    start_harness,
    wait_for,
)
from tests.mailbox import Mailbox, html_text, plain_text

SENDER = "Vendor Support <support@vendor.example>"
ANA = "Ana Souza <ana@acme.com.br>, CTO"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox().start()
    yield box
    box.stop()


def emailing(database_url: str, box: Mailbox, **settings: object) -> Harness:
    port = free_port()
    return start_harness(
        database_url,
        http_port=port,
        smtp_url=box.url,
        smtp_from=SENDER,
        public_base_url=f"http://127.0.0.1:{port}",
        **settings,
    )


@pytest.fixture
def app(database_url: str, mailbox: Mailbox) -> Iterator[Harness]:
    running = emailing(database_url, mailbox)
    yield running
    running.stop()


def draft_of(harness: Harness, view_id: str, block: str) -> str:
    view = harness.workspace.views[view_id]
    return str(next(b for b in view["blocks"] if b.get("block_id") == block)["element"]["initial_value"])


def escalate_for_ana(harness: Harness, **overrides: object) -> object:
    return harness.escalate(
        CSM,
        contacts=ANA,
        contact_language="pt_BR",
        contact_zone="America/Sao_Paulo",
        **overrides,
    )


def test_the_customer_hears_in_portuguese_and_only_delivery_keeps_the_promise(
    app: Harness, mailbox: Mailbox
) -> None:
    harness = app
    case = escalate_for_ana(harness)
    assert [c.email for c in customer.contacts_of(harness.components.engine, case.id)] == ["ana@acme.com.br"]

    view_id = harness.open_flow(OWNER, case, CaseAction.ACKNOWLEDGE)
    view = json.dumps(harness.workspace.views[view_id], ensure_ascii=False)
    assert "E-mail it to Ana Souza <ana@acme.com.br>" in view
    draft = draft_of(harness, view_id, "customer_message")
    assert draft.startswith("Olá, equipe Acme,")
    assert "assumi pessoalmente o seu caso: SSO outage" in draft
    assert "horário de São Paulo" in draft

    promise = in_hours(3)
    response = harness.submit(OWNER, view_id, next_update=promise, customer_message=draft)
    assert response.status == 200 and not response.body

    [message] = mailbox.wait(1)
    body = plain_text(message)
    local = datetime.fromtimestamp(promise, UTC).astimezone(ZoneInfo("America/Sao_Paulo"))
    # The time chosen in the picker, in São Paulo time, in the customer's language.
    assert f"até as {local:%H:%M}" in body and "horário de São Paulo" in body
    assert message["Subject"] == "[ESC-1] SSO outage"
    assert str(message["From"]) == "Sarah Miller via Vendor Support <support@vendor.example>"
    assert str(message["Reply-To"]) == "Sarah Miller <sarah.miller@vendor.example>"
    assert "ana@acme.com.br" in str(message["To"])
    assert message["Content-Language"] == "pt-BR"
    assert "Caso ESC-1. Responda a este e-mail para falar com Sarah Miller." in body
    assert "Olá, equipe Acme," in html_text(message)

    # The promise counts as kept because that e-mail was delivered, and the channel sees it.
    stored = wait_for(lambda: (c := harness.case(case.id)).customer_heard_at and c, what="the delivery")
    assert (stored.promises_made, stored.promises_kept, stored.promises_delivered_late) == (1, 1, 0)
    [sent] = [e for e in harness.events(case.id) if e.kind == "customer_communication_sent"]
    assert sent.data["promise_kept"] is True and sent.data["route"] == "email"
    channel = harness.channel_of(case)
    wait_for(
        lambda: any(
            "Sent by e-mail to Ana Souza &lt;ana@acme.com.br&gt; at" in m.text for m in channel.messages
        ),
        what="the channel told of the delivery",
    )

    # The next update is the same thread in the customer's mailbox.
    view_id = harness.open_flow(OWNER, case, CaseAction.POST_UPDATE)
    update = draft_of(harness, view_id, "customer_update").replace("…", "o SSO voltou para 80% dos usuários")
    harness.submit(
        OWNER, view_id, internal="IdP cert rotated", customer_update=update, next_update=in_hours(4)
    )
    first, second = mailbox.wait(2)
    assert second["In-Reply-To"] == first["Message-ID"]
    assert second["References"] == first["Message-ID"]
    assert "o SSO voltou para 80% dos usuários" in plain_text(second)
    assert "IdP cert rotated" not in plain_text(second)
    wait_for(lambda: harness.case(case.id).promises_kept == 2, what="the update's promise kept")

    row = next(r for r in export_rows(harness.components.engine) if r["key"] == "ESC-1")
    assert row["customer_last_heard_at"] and row["customer_communications"] == 2


def test_an_internal_update_keeps_no_promise_and_the_time_stands(app: Harness, mailbox: Mailbox) -> None:
    harness = app
    case = escalate_for_ana(harness)
    view_id = harness.open_flow(OWNER, case, CaseAction.ACKNOWLEDGE)
    promise = in_hours(3)
    harness.submit(
        OWNER, view_id, next_update=promise, customer_message=draft_of(harness, view_id, "customer_message")
    )
    mailbox.wait(1)
    wait_for(lambda: harness.case(case.id).promises_kept == 1, what="the acknowledgement delivered")

    view_id = harness.open_flow(OWNER, case, CaseAction.POST_UPDATE)
    harness.submit(OWNER, view_id, internal="Still digging", send_by="internal", next_update=in_hours(5))
    wait_for(
        lambda: any(
            "Not sent to the customer" in json.dumps(m.blocks) for m in harness.channel_of(case).messages
        ),
        what="the internal update in the channel",
    )
    stored = harness.case(case.id)
    assert int(stored.next_update_due_at.timestamp()) == promise  # type: ignore[union-attr]
    assert (stored.promises_made, stored.promises_kept) == (1, 1)
    assert len(mailbox.messages) == 1

    # At the promised time the owner is reminded of what the customer has actually had.
    assert harness.components.reminders.tick(now=stored.next_update_due_at) == 2  # type: ignore[arg-type]
    reminder = json.dumps(harness.workspace.dm_messages(OWNER)[-1].blocks, ensure_ascii=False)
    heard = stored.customer_heard_at
    assert heard is not None
    assert f"Acme last heard from us <!date^{int(heard.timestamp())}^" in reminder
    assert "was internal only: it does not keep the promise" in reminder


def test_a_contact_with_a_bad_address_is_refused_next_to_the_field(app: Harness) -> None:
    harness = app
    view_id = harness.open_intake(CSM)
    response = harness.submit_intake(
        view_id,
        contacts="Ana Souza <ana@acme.com.br>\nBruno <bruno@>",
        contact_language="pt_BR",
    )
    errors = json.loads(response.body)["errors"]
    assert errors["contacts"] == "Line 2: “bruno@” is not an e-mail address."
    assert errors["contact_zone"] == "Choose the contacts' time zone: the times we promise are in it."
    assert harness.cases() == []


def acknowledge_by_email(harness: Harness, case: object, hours: float = 3) -> int:
    view_id = harness.open_flow(OWNER, case, CaseAction.ACKNOWLEDGE)  # type: ignore[arg-type]
    promise = in_hours(hours)
    harness.submit(
        OWNER, view_id, next_update=promise, customer_message=draft_of(harness, view_id, "customer_message")
    )
    return promise


def test_smtp_down_the_owner_is_told_it_is_retried_and_delivered_late_by_us(database_url: str) -> None:
    down = Mailbox()  # not started: connections are refused
    harness = emailing(database_url, down)
    try:
        case = escalate_for_ana(harness)
        acknowledge_by_email(harness, case)
        channel = harness.channel_of(case)
        failing = wait_for(
            lambda: [m for m in channel.messages if "could not be sent yet" in m.text], what="the owner told"
        )
        said = json.dumps(failing[0].blocks, ensure_ascii=False)
        assert f"<@{OWNER}>, the e-mail to Ana Souza &lt;ana@acme.com.br&gt; could not be sent yet" in said
        assert "the mail server refused the connection" in said and "nothing is lost" in said
        stored = harness.case(case.id)
        assert (stored.promises_made, stored.customer_heard_at) == (0, None)  # not kept: not delivered

        # The server comes back after the promised time: delivered, once; our lateness, not the owner's.
        down.start()
        with time_machine.travel(stored.ack_due_at + timedelta(minutes=5), tick=True):  # type: ignore[operator]
            harness.components.customer.wake()
            assert len(down.wait(1)) == 1
            stored = wait_for(
                lambda: (c := harness.case(case.id)).customer_heard_at and c, what="the delivery"
            )
        assert (stored.promises_made, stored.promises_kept, stored.promises_delivered_late) == (1, 0, 1)
        wait_for(
            lambda: any(
                "our delivery was late, not the owner" in json.dumps(m.blocks) for m in channel.messages
            ),
            what="the late delivery said as ours",
        )
        assert len([m for m in channel.messages if "could not be sent yet" in m.text]) == 1  # told once
        kinds = [e.kind for e in harness.events(case.id)]
        assert (
            kinds.count("customer_delivery_failing") == 1 and kinds.count("customer_communication_sent") == 1
        )
        time.sleep(0.5)
        assert len(down.messages) == 1
    finally:
        harness.stop()
        down.stop()


def test_a_connection_dropped_after_data_is_retried_and_arrives_once(app: Harness, mailbox: Mailbox) -> None:
    harness = app
    mailbox.drops = 1
    case = escalate_for_ana(harness)
    acknowledge_by_email(harness, case)
    wait_for(lambda: mailbox.dropped == 1, what="the first attempt dropped")
    [row] = customer.communications_of(harness.components.engine, case.id)
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=11), tick=True):
        harness.components.customer.wake()
        [message] = mailbox.wait(1)
    delivered = wait_for(
        lambda: (r := customer.communications_of(harness.components.engine, case.id)[0]).delivered_at and r,
        what="the delivery recorded",
    )
    assert delivered.attempts == 2 and message["Message-ID"] == delivered.message_id == row.message_id
    time.sleep(0.5)
    assert len(mailbox.messages) == 1


@pytest.mark.slow
def test_a_kill_while_the_mail_server_hangs_loses_nothing_and_sends_once(
    standin: StandIn, database_url: str
) -> None:
    box = Mailbox().start()
    box.holding = True  # the server takes the message and hangs before answering
    workspace = standin.workspace
    port = free_port()
    env = {"SMTP_URL": box.url, "SMTP_FROM": SENDER, "CUSTOMER_LEASE_SECONDS": "2"}
    process = start_app_process(standin, database_url, port, **env)
    try:
        sender = app_sender(standin, port)
        sender.slash_command(CSM, "", channel_id=workspace.channel_named("general").id)  # type: ignore[union-attr]
        wait_for(lambda: workspace.views, what="the intake modal")
        contacts = {"contacts": ANA, "contact_language": "pt_BR", "contact_zone": "America/Sao_Paulo"}
        sender.submit_view(CSM, list(workspace.views)[-1], default_intake(**contacts))
        channel = wait_for(
            lambda: workspace.case_channels() and workspace.case_channels()[0], what="the channel"
        )
        wait_for(lambda: channel.messages, what="the case card")
        views = len(workspace.views)
        sender.slash_command(OWNER, "ack", channel_id=channel.id)
        wait_for(lambda: len(workspace.views) > views, what="the acknowledge modal")
        sender.submit_view(OWNER, list(workspace.views)[-1], {"next_update": in_hours(3)})
        wait_for(lambda: box.held == 1, what="the e-mail to reach the hanging server")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    box.holding = False

    _, components = create_app(
        make_settings(standin, database_url, smtp_url=box.url, smtp_from=SENDER, customer_lease_seconds=2)
    )
    try:
        [message] = box.wait(1, timeout=30)
        assert "Olá, equipe Acme," in plain_text(message)
        row = wait_for(
            lambda: (r := customer.communications_of(components.engine, 1)[0]).delivered_at and r,
            what="the delivery recorded",
        )
        assert row.attempts == 2
        time.sleep(1)
        assert len(box.messages) == 1
    finally:
        components.close()
        box.stop()

"""The customer end: a promise is kept when the customer actually hears from us.

A real SMTP server on loopback receives what the app sends; the tests read the messages
as the customer's mailbox would have them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
import time_machine

from assistant.app import create_app
from assistant.models import CustomerCommunication, Escalation
from assistant.services import customer
from assistant.services.export import export_rows
from slack_standin import StandIn, Workspace
from slack_standin.sender import AppResponse
from slack_standin.workspace import Channel, User
from tests.harness import (
    CSM,
    EXEC,
    MANAGER,
    OWNER,
    ROOT,
    FlowButton,
    Harness,
    app_sender,
    closing_checklist,
    default_intake,
    env_without_slack,
    exec_contact_made,
    free_port,
    in_hours,
    make_settings,
    run_cli,
    seed_workspace,
    start_app_process,
    start_harness,
    wait_for,
)
from tests.mailbox import Mailbox, html_text, plain_text
from tests.parts import Parts, running_parts
from tests.stories import resolved

SENDER = "Vendor Support <support@vendor.example>"
# Chromium as root, headless, and quiet on a closed network (no sync, no component updates).
BROWSER_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ANA = "Ana Souza <ana@acme.com.br>, CTO"


def emailing(database_url: str, box: Mailbox, **settings: Any) -> Harness:
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


@pytest.fixture(params=["http", "socket"])
def any_app(database_url: str, mailbox: Mailbox, request: pytest.FixtureRequest) -> Iterator[Harness]:
    """Slack's requests over signed HTTP, then over Socket Mode (the survey page served beside it)."""
    running = emailing(database_url, mailbox, mode=request.param)
    yield running
    running.stop()


def draft_of(harness: Harness | Parts, view_id: str, block: str) -> str:
    view = harness.workspace.views[view_id]
    return str(next(b for b in view["blocks"] if b.get("block_id") == block)["element"]["initial_value"])


def escalate_for_ana(harness: Harness, **overrides: Any) -> Escalation:
    return harness.escalate(
        CSM,
        contacts=ANA,
        contact_language="pt_BR",
        contact_zone="America/Sao_Paulo",
        **overrides,
    )


def test_the_customer_hears_in_portuguese_and_only_delivery_keeps_the_promise(
    any_app: Harness, mailbox: Mailbox
) -> None:
    harness = any_app
    case = escalate_for_ana(harness)
    assert case.id is not None
    assert [c.email for c in customer.contacts_of(harness.components.engine, case.id)] == ["ana@acme.com.br"]

    view_id = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
    view = json.dumps(harness.workspace.views[view_id], ensure_ascii=False)
    assert "E-mail it to Ana Souza <ana@acme.com.br>" in view
    assert (  # what the e-mail will look like, said before it goes
        "By e-mail: from “Sarah Miller via Vendor Support”, to Ana Souza &lt;ana@acme.com.br&gt;, "
        "subject “[ESC-1] SSO outage”, in Português (Brasil)."
    ) in view
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
    assert message["Content-Language"] == "pt-BR" and message["Date"] is not None
    assert "Caso ESC-1. Responda a este e-mail para falar com Sarah Miller." in body
    assert "Olá, equipe Acme," in html_text(message)

    # The promises count as kept because that e-mail was delivered (the acknowledgement's, and the
    # customer told within the first hour), and the channel sees it.
    stored = cast(
        Escalation,
        wait_for(lambda: (c := harness.case(case.id)).customer_heard_at and c, what="the delivery"),
    )
    assert (stored.promises_made, stored.promises_kept, stored.promises_delivered_late) == (2, 2, 0)
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
    view_id = harness.open_flow(OWNER, case, FlowButton.POST_UPDATE)
    update = draft_of(harness, view_id, "customer_update").replace("…", "o SSO voltou para 80% dos usuários")
    harness.submit(
        OWNER, view_id, internal="IdP cert rotated", customer_update=update, next_update=in_hours(4)
    )
    first, second = mailbox.wait(2)
    assert second["In-Reply-To"] == first["Message-ID"]
    assert second["References"] == first["Message-ID"]
    assert "o SSO voltou para 80% dos usuários" in plain_text(second)
    assert "IdP cert rotated" not in plain_text(second)
    wait_for(lambda: harness.case(case.id).promises_kept == 3, what="the update's promise kept")
    harness.open_home(MANAGER)
    # The acknowledgement, the first hour's first contact and the update.
    assert "*Promises kept on time* (last 30 days) · 3 of 3" in harness.home_text(MANAGER)

    row = next(r for r in export_rows(harness.components.engine) if r["key"] == "ESC-1")
    assert row["customer_last_heard_at"] and row["customer_communications"] == 2
    # Every message to the customer is a record, exported as such.
    exported = run_cli(
        ["export", "--what", "communications", "--format", "json"], env_without_slack(harness), ROOT
    )
    assert exported.returncode == 0, exported.stderr
    records = json.loads(exported.stdout)
    assert [(r["purpose"], r["route"], r["state"], r["promise_kept"]) for r in records] == [
        ("acknowledgement", "email", "delivered", True),
        ("update", "email", "delivered", True),
    ]
    assert records[0]["recipients"] == "Ana Souza <ana@acme.com.br>" and records[0]["language"] == "pt_BR"
    # The text as sent: the owner's words, with the promised time as chosen in the picker.
    assert "o SSO voltou para 80% dos usuários" in records[1]["text"]
    assert all(paragraph in plain_text(second) for paragraph in records[1]["text"].split("\n\n"))


def test_an_internal_update_keeps_no_promise_and_the_time_stands(app: Harness, mailbox: Mailbox) -> None:
    harness = app
    case = escalate_for_ana(harness)
    view_id = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
    promise = in_hours(3)
    harness.submit(
        OWNER, view_id, next_update=promise, customer_message=draft_of(harness, view_id, "customer_message")
    )
    mailbox.wait(1)
    wait_for(lambda: harness.case(case.id).promises_kept == 2, what="the acknowledgement delivered")

    view_id = harness.open_flow(OWNER, case, FlowButton.POST_UPDATE)
    harness.submit(OWNER, view_id, internal="Still digging", send_by="internal", next_update=in_hours(5))
    wait_for(
        lambda: any(
            "Not sent to the customer" in json.dumps(m.blocks) for m in harness.channel_of(case).messages
        ),
        what="the internal update in the channel",
    )
    stored = harness.case(case.id)
    assert int(stored.next_update_due_at.timestamp()) == promise  # type: ignore[union-attr]
    assert (stored.promises_made, stored.promises_kept) == (2, 2)  # with the first hour's
    assert len(mailbox.messages) == 1

    # At the promised time the owner is reminded of what the customer has actually had.
    assert harness.components.reminders.tick(now=stored.next_update_due_at) == 2  # type: ignore[arg-type]
    reminder = json.dumps(harness.workspace.dm_messages(OWNER)[-1].blocks, ensure_ascii=False)
    heard = stored.customer_heard_at
    assert heard is not None
    assert f"Acme last heard from us <!date^{int(heard.timestamp())}^" in reminder
    assert "was internal only: it does not keep the promise" in reminder


@pytest.fixture
def parts(database_url: str) -> Iterator[Parts]:
    """The app's parts without its HTTP side, e-mail set up (these tests send none)."""
    with running_parts(database_url, smtp_url=f"smtp://127.0.0.1:{free_port()}", smtp_from=SENDER) as running:
        yield running


def test_a_contact_with_a_bad_address_is_refused_next_to_the_field(parts: Parts) -> None:
    view_id = parts.open_intake(CSM)
    errors = parts.submit_intake(
        view_id,
        contacts="Ana Souza <ana@acme.com.br>\nBruno <bruno@>",
        contact_language="pt_BR",
    )
    assert errors["contacts"] == "Line 2: “bruno@” is not an e-mail address."
    assert "contact_zone" not in errors  # left empty: the account's zone, else the CSM's
    assert parts.cases() == []


def acknowledge_by_email(harness: Harness, case: Escalation, hours: float = 3) -> int:
    view_id = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
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
            stored = cast(
                Escalation,
                wait_for(lambda: (c := harness.case(case.id)).customer_heard_at and c, what="the delivery"),
            )
            harness.open_home(MANAGER)
            assert (
                "*Promises kept on time* (last 30 days) · 0 of 2 · "
                "2 kept by their owners, delivered late by us"
            ) in harness.home_text(MANAGER)
        # Both promises its message kept (the acknowledgement's, the first hour's): late by us.
        assert (stored.promises_made, stored.promises_kept, stored.promises_delivered_late) == (2, 0, 2)
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
        # The week's digest reports it apart: kept by the owner, late by our delivery.
        digest = harness.components.digest.post_now(now=datetime.now(UTC) + timedelta(hours=4))
        assert (digest.promises_made, digest.promises_kept, digest.promises_delivered_late) == (2, 0, 2)
        said = json.dumps(harness.feed.messages[-1].blocks)
        assert "2 more promises were kept by their owners but reached the customer late" in said
    finally:
        harness.stop()
        down.stop()


def test_a_connection_dropped_after_data_is_retried_and_arrives_once(app: Harness, mailbox: Mailbox) -> None:
    harness = app
    mailbox.drops = 1
    case = escalate_for_ana(harness)
    assert case.id is not None
    acknowledge_by_email(harness, case)
    wait_for(lambda: mailbox.dropped == 1, what="the first attempt dropped")
    [row] = customer.communications_of(harness.components.engine, case.id)
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=11), tick=True):
        harness.components.customer.wake()
        [message] = mailbox.wait(1)
    delivered = cast(
        CustomerCommunication,
        wait_for(
            lambda: (
                (r := customer.communications_of(harness.components.engine, case.id or 0)[0]).delivered_at
                and r
            ),
            what="the delivery recorded",
        ),
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
        channel = cast(
            Channel,
            wait_for(lambda: workspace.case_channels() and workspace.case_channels()[0], what="the channel"),
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
        row = cast(
            CustomerCommunication,
            wait_for(
                lambda: (r := customer.communications_of(components.engine, 1)[0]).delivered_at and r,
                what="the delivery recorded",
            ),
        )
        assert row.attempts == 2
        time.sleep(1)
        assert len(box.messages) == 1
    finally:
        components.close()
        box.stop()


def chromium_or_skip() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        reason = "the browser test needs the system's Chromium (apt-get install chromium; .ci/run does)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return path


def closed_for_ana(harness: Harness) -> Escalation:
    case = resolved(
        harness, category="business", contacts=ANA, contact_language="pt_BR", contact_zone="America/Sao_Paulo"
    )
    view = harness.open_flow(OWNER, case, FlowButton.CLOSE)
    harness.submit(
        OWNER,
        view,
        no_rca_reason="Commercial settlement.",
        **closing_checklist(harness.workspace.views[view]),
    )
    wait_for(lambda: harness.case(case.id).status == "closed", what="the closing")
    return case


def readable(message: EmailMessage) -> str:
    """The message as the customer reads it: its headers, decoded, and both bodies."""
    headers = "\n".join(f"{k}: {v}" for k, v in message.items())
    return "\n".join([headers, plain_text(message), html_text(message)])


def survey_in(mailbox: Mailbox) -> EmailMessage:
    return wait_for(lambda: [m for m in mailbox.messages if "/csat/" in plain_text(m)], what="the survey")[0]


def test_the_customer_rates_the_resolution_from_the_email_in_a_browser(
    any_app: Harness, mailbox: Mailbox
) -> None:
    from playwright.sync_api import sync_playwright

    browser_path = chromium_or_skip()
    harness = any_app
    case = closed_for_ana(harness)
    survey = survey_in(mailbox)
    assert "Como nos saímos?" in plain_text(survey)
    html = html_text(survey)
    links = re.findall(r'href="([^"]+/csat/[^"]+)"', html)
    assert [link.rsplit("=", 1)[1] for link in links] == ["1", "2", "3", "4", "5"]
    assert all(link in plain_text(survey) for link in links)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, args=BROWSER_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, java_script_enabled=False)
            page.goto(links[3].replace("&amp;", "&"))  # the customer clicked "4" in the e-mail
            assert page.locator("html").get_attribute("lang") == "pt-BR"
            assert page.get_by_role("heading").inner_text() == "Como nos saímos?"
            assert page.get_by_role("radio", name="4").is_checked()
            page.get_by_text("5", exact=True).click()  # changes their mind before sending
            page.get_by_label("Algo que queira nos dizer? (opcional)").fill("Rápido <e> honesto & claro")
            page.get_by_role("button", name="Enviar minha resposta").click()
            assert page.get_by_role("status").inner_text() == "Registramos sua resposta: 5 de 5."
            assert "Rápido <e> honesto & claro" in page.locator("blockquote").inner_text()
        finally:
            browser.close()

    stored = wait_for(lambda: (c := harness.case(case.id)).satisfaction_score and c, what="the answer")
    assert (stored.satisfaction_score, stored.satisfaction_comment) == (5, "Rápido <e> honesto & claro")
    # One answer per case: a second visit (the same link) changes it, on the timeline.
    answer = urllib.parse.urlencode({"score": "3", "comment": ""}).encode()
    with urllib.request.urlopen(urllib.request.Request(links[0], data=answer), timeout=5) as page:
        assert "Registramos sua resposta: 3 de 5." in page.read().decode()
    assert harness.case(case.id).satisfaction_score == 3
    kinds = [e.kind for e in harness.events(case.id) if e.kind.startswith("satisfaction")]
    assert kinds == ["satisfaction_recorded", "satisfaction_corrected"]
    [event, _] = [e for e in harness.events(case.id) if e.kind.startswith("satisfaction")]
    assert event.data["source"] == "survey" and event.actor_id is None
    harness.open_home(MANAGER)
    assert "3.0 of 5 from 1 answer" in harness.home_text(MANAGER)
    harness.components.digest.post_now()
    assert "3.0 of 5 from 1 answer" in json.dumps(harness.feed.messages[-1].blocks)


def test_a_forged_or_expired_survey_link_shows_a_plain_page(app: Harness, mailbox: Mailbox) -> None:
    harness = app
    case = closed_for_ana(harness)
    survey = survey_in(mailbox)
    link = re.findall(r"(http://\S+/csat/\S+)", plain_text(survey))[0]
    forged = link.replace("/csat/", "/csat/x")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged, timeout=5)
    assert refused.value.code == 404 and "This link no longer works" in refused.value.read().decode()
    with (
        time_machine.travel(datetime.now(UTC) + timedelta(days=31)),
        pytest.raises(urllib.error.HTTPError) as expired,
    ):
        urllib.request.urlopen(link, timeout=5)
    assert expired.value.code == 404
    assert harness.case(case.id).satisfaction_score is None


def open_contacts(harness: Harness, user: str, case: Escalation) -> str:
    """The card's More menu: Customer contacts."""
    return harness.open_more(user, case, "contacts")


def test_contacts_added_later_from_the_more_menu_get_drafts_in_spanish(parts: Parts) -> None:
    case = parts.escalate(CSM)
    parts.start_flow(EXEC, case, "contacts")  # a stakeholder, not running the case: refused, privately
    [refusal] = parts.workspace.ephemerals_for(EXEC)
    assert refusal.text == (
        f"Only the owner, <@{OWNER}>, the person who reported it, or an escalation manager "
        "can add customer contacts to this case."
    )

    view_id = parts.open_flow(CSM, case, "contacts")
    assert parts.workspace.views[view_id]["title"]["text"] == "Contacts on ESC-1"
    errors = parts.submit(CSM, view_id, contacts="Luis <luis@>", contact_language="es")["errors"]
    assert errors == {  # the zone is chosen already: the CSM's (tests/test_case_room.py)
        "contacts": "Line 1: “luis@” is not an e-mail address.",
    }
    answered = parts.submit(
        CSM,
        view_id,
        contacts="Luis Pérez <luis@acme.com.mx>, Director de TI\nOps & R&D <ops@acme.com.mx>",
        contact_language="es",
        contact_zone="America/Mexico_City",
    )
    assert answered == {}
    channel = parts.channel_of(case)
    added = wait_for(
        lambda: [m for m in channel.messages if "added 2 customer contacts" in json.dumps(m.blocks)],
        what="the announcement",
    )
    said = json.dumps(added[0].blocks, ensure_ascii=False)
    assert (
        "Luis Pérez &lt;luis@acme.com.mx&gt; (Director de TI) · Español · Mexico (Mexico City) Time" in said
    )
    assert "Ops &amp; R&amp;D &lt;ops@acme.com.mx&gt; · Español" in said  # escaped once

    view_id = parts.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
    view = parts.workspace.views[view_id]
    draft = draft_of(parts, view_id, "customer_message")
    assert draft.startswith("Hola, equipo de Acme:") and "hora de Ciudad de México" in draft
    assert "Enviarlo por correo" not in json.dumps(view)  # the owner reads English
    assert "E-mail it to Luis Pérez <luis@acme.com.mx>" in json.dumps(view, ensure_ascii=False)


def test_nothing_internal_reaches_the_customer(app: Harness, mailbox: Mailbox) -> None:
    """Unique markers in every internal field; everything the customer gets is scanned for them."""
    harness = app
    case = escalate_for_ana(harness, description="Acme's CEO emailed ours. MARK-DESCRIPTION")
    view = harness.open_flow(OWNER, case, FlowButton.CLASSIFY)
    harness.submit(
        OWNER, view, category="technical", kind="functional", severity="high", resolving_team="MARK-TEAM",
        reason="MARK-CLASSIFY-REASON",
    )  # fmt: skip
    acknowledge_by_email(harness, case)
    view = harness.open_flow(OWNER, case, FlowButton.POST_UPDATE)
    harness.submit(
        OWNER, view, internal="MARK-INTERNAL-UPDATE, see <#C0INTERNAL> and https://acme.slack.com/archives/C1/p1",
        customer_update="O SSO voltou para 80% dos usuários.", next_update=in_hours(4),
    )  # fmt: skip
    view = harness.open_flow(OWNER, case, FlowButton.POST_UPDATE)
    harness.submit(OWNER, view, internal="MARK-INTERNAL-ONLY", send_by="internal", next_update=in_hours(5))
    view = harness.open_flow(OWNER, case, FlowButton.RESOLVE)
    harness.submit(
        OWNER, view, resolution_summary="MARK-RESOLUTION-SUMMARY", fix="MARK-FIX", customer_confirmed="yes",
        customer_notice="Seu SSO está normal desde as 14:10.",
    )  # fmt: skip
    wait_for(lambda: harness.case(case.id).status == "resolved", what="the resolution")
    view = harness.open_flow(OWNER, case, FlowButton.RCA)
    due = (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
    harness.submit(
        OWNER, view, what_happened="MARK-WHAT-HAPPENED", root_cause="MARK-ROOT-CAUSE", cause_area="process",
        contributing_factors="MARK-CONTRIBUTING", corrective_1_description="MARK-ACTION-ITEM",
        corrective_1_owner=EXEC, corrective_1_due=due,
        customer_rca="Um certificado expirou; nós o renovamos e agora o monitoramos.",
    )  # fmt: skip
    wait_for(
        lambda: len(customer.communications_of(harness.components.engine, case.id or 0)) == 4, what="the RCA"
    )
    view = harness.open_flow(OWNER, case, FlowButton.CLOSE)
    harness.submit(OWNER, view, **closing_checklist(harness.workspace.views[view]))
    survey = survey_in(mailbox)
    link = re.findall(r"(http://\S+/csat/\S+)", plain_text(survey))[0]
    with urllib.request.urlopen(link, timeout=5) as page:
        survey_page = page.read().decode()
    answer = urllib.parse.urlencode({"score": "4", "comment": "ok"}).encode()
    with urllib.request.urlopen(urllib.request.Request(link, data=answer), timeout=5) as page:
        thanks_page = page.read().decode()

    delivered = [readable(m) for m in mailbox.wait(5)]
    assert (
        len(delivered) == 5
    )  # acknowledgement, update, resolution, RCA, survey: the internal note stayed in
    everything = "\n".join([*delivered, survey_page, thanks_page])
    assert "um certificado expirou" in everything.lower() and "Sarah Miller" in everything
    leaks = [
        marker
        for marker in (
            "MARK-",
            "Ken Tanaka",  # stakeholder and action item owner
            "Carla Smith",  # the CSM who reported it
            "Maria Garcia",
            "slack.com",
            "C0INTERNAL",
            str(harness.case(case.id).channel_id),
            "esc-1-",
        )
        if marker in everything
    ]
    assert leaks == []


ANA_IN_SLACK = "U0ACMEANA"


def with_a_shared_channel(workspace: Workspace) -> None:
    seed_workspace(workspace)
    workspace.add_user(
        User(
            ANA_IN_SLACK,
            "ana",
            "Ana Souza",
            "CTO",
            "America/Sao_Paulo",
            -10800,
            locale="pt-BR",
            team_id="T0ACME",
        )
    )
    workspace.add_channel(
        "acme-shared", members=[OWNER, CSM, ANA_IN_SLACK, workspace.bot_user_id], ext_shared=True
    )
    workspace.add_channel("acme-internal", members=[OWNER, CSM, workspace.bot_user_id])


@pytest.fixture
def connected(database_url: str) -> Iterator[Harness]:
    running = start_harness(database_url, seed=with_a_shared_channel)
    yield running
    running.stop()


def link_channel(harness: Harness, case: Escalation, channel_name: str) -> AppResponse:
    channel = harness.workspace.channel_named(channel_name)
    assert channel is not None
    return harness.submit(CSM, open_contacts(harness, CSM, case), connect_channel=channel.id)


def test_the_customer_hears_from_the_owner_in_their_slack_connect_channel_and_rates_there(
    connected: Harness,
) -> None:
    harness = connected
    shared = harness.workspace.channel_named("acme-shared")
    assert shared is not None
    case = harness.escalate(CSM, category="business")
    refused = link_channel(harness, case, "acme-internal").json()["errors"]
    assert refused == {
        "connect_channel": "That channel is not shared with the customer: choose their Slack Connect channel."
    }
    assert link_channel(harness, case, "acme-shared").status == 200
    wait_for(lambda: harness.case(case.id).connect_channel_id == shared.id, what="the channel linked")

    view_id = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
    view = json.dumps(harness.workspace.views[view_id], ensure_ascii=False)
    assert "Post it as you in the customer's Slack Connect channel, #acme-shared" in view
    assert '"initial_option": {"value": "slack_connect"' in view
    harness.submit(
        OWNER, view_id, next_update=in_hours(3), customer_message="Hi Acme, I own this now. MARK-NOT-INTERNAL"
    )
    posted = wait_for(lambda: shared.messages, what="the post in the shared channel")[0]
    assert (
        posted.username == "Sarah Miller"
        and posted.icon_url == f"https://avatars.standin.example/{OWNER}_72.png"
    )
    assert posted.text == "Hi Acme, I own this now. MARK-NOT-INTERNAL"
    stored = cast(
        Escalation,
        wait_for(lambda: (c := harness.case(case.id)).customer_heard_at and c, what="the delivery"),
    )
    assert (stored.promises_made, stored.promises_kept) == (2, 2)  # with the first hour's
    wait_for(
        lambda: any(
            "Posted in the customer's Slack Connect channel #acme-shared at" in m.text
            for m in harness.channel_of(case).messages
        ),
        what="the case channel told",
    )

    # An internal update stays inside; the resolution notice goes to the customer.
    view_id = harness.open_flow(OWNER, case, FlowButton.POST_UPDATE)
    harness.submit(OWNER, view_id, internal="MARK-INTERNAL: legal is looking", send_by="internal")
    view_id = harness.open_flow(OWNER, case, FlowButton.RESOLVE)
    harness.submit(
        OWNER, view_id, resolution_summary="MARK-SUMMARY", fix="MARK-FIX", customer_confirmed="yes",
        customer_notice="Your service is back.", **exec_contact_made(harness.workspace.views[view_id]),
    )  # fmt: skip
    wait_for(lambda: len(shared.messages) == 2, what="the resolution notice")
    view_id = harness.open_flow(OWNER, case, FlowButton.CLOSE)
    harness.submit(
        OWNER,
        view_id,
        no_rca_reason="Commercial settlement.",
        **closing_checklist(harness.workspace.views[view_id]),
    )
    survey = wait_for(lambda: len(shared.messages) == 3 and shared.messages[2], what="the survey")
    buttons = next(b for b in survey.blocks if b["type"] == "actions")["elements"]  # type: ignore[union-attr]
    assert [b["text"]["text"] for b in buttons] == ["1", "2", "3", "4", "5"]
    assert not [
        m for m in shared.messages if "MARK-" in json.dumps(m.blocks) and "NOT-INTERNAL" not in m.text
    ]

    def click(user: str, score: int) -> None:
        harness.sender.click(
            user,
            buttons[score - 1]["action_id"],
            buttons[score - 1]["value"],
            channel_id=shared.id,
            message_ts=survey.ts,
            block_id="customer_satisfaction",
        )

    click(CSM, 5)  # one of ours: refused, privately
    wait_for(
        lambda: [
            e
            for e in harness.workspace.ephemerals_for(CSM)
            if e.text.startswith("Only the customer's answers")
        ],
        what="the refusal",
    )
    click(ANA_IN_SLACK, 4)
    thanks = wait_for(lambda: harness.workspace.ephemerals_for(ANA_IN_SLACK), what="the thanks")[-1]
    assert thanks.text == "Obrigado: registramos 4 de 5."
    stored = wait_for(lambda: (c := harness.case(case.id)).satisfaction_score and c, what="the answer")
    assert stored.satisfaction_score == 4
    [event] = [e for e in harness.events(case.id) if e.kind == "satisfaction_recorded"]
    assert event.data["source"] == "slack_connect" and event.actor_id == ANA_IN_SLACK


def test_what_the_owner_sent_themselves_is_recorded_with_when_and_how(database_url: str) -> None:
    with running_parts(database_url) as parts:  # no e-mail set up
        case = parts.escalate(CSM)  # no contacts, no shared channel: the owner tells the customer
        view_id = parts.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
        view = parts.workspace.views[view_id]
        send_by = next(b for b in view["blocks"] if b.get("block_id") == "send_by")["element"]
        assert [o["value"] for o in send_by["options"]] == ["myself"]
        errors = parts.submit(
            OWNER, view_id, next_update=in_hours(3), customer_message="On it.", sent_at=in_hours(1)
        )["errors"]
        assert errors == {
            "sent_at": "That time has not come yet: say when you sent it, or leave it empty for now."
        }
        called = in_hours(-0.01)
        answered = parts.submit(
            OWNER, view_id, next_update=in_hours(3), customer_message="Called Ana: on it.",
            sent_how="phone call", sent_at=called,
        )  # fmt: skip
        assert answered == {}
        [row] = customer.communications_of(parts.engine, case.id or 0)
        assert (row.channel, row.how, row.state, row.text) == (
            "myself",
            "phone call",
            "recorded",
            "Called Ana: on it.",
        )
        assert int(row.delivered_at.timestamp()) == called  # type: ignore[union-attr]
        stored = parts.case(case.id)
        assert (stored.promises_made, stored.promises_kept) == (2, 2)  # with the first hour's
        said = wait_for(
            lambda: [m for m in parts.channel_of(case).messages if "acknowledged" in m.text],
            what="the channel",
        )
        assert f"Acknowledgement to the customer, sent by <@{OWNER}> themselves (phone call)" in json.dumps(
            said[0].blocks
        )

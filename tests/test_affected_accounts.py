"""One problem, several customers (an outage, a process escalation): the case lists the other
affected accounts, shows the contract value at risk in total, tells each account's CSM, and each
account's contacts hear from us on their own."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import cast

import pytest
from sqlmodel import select

from assistant.database import session_scope
from assistant.models import Account, AffectedAccount, Escalation, utcnow
from assistant.services.export import export_rows
from slack_standin.workspace import Message, Workspace
from tests.harness import (
    CSM,
    EXEC,
    MANAGER,
    OWNER,
    VP,
    FlowButton,
    Harness,
    in_hours,
    load_directory,
    start_harness,
    wait_for,
)
from tests.mailbox import Mailbox, plain_text
from tests.test_customer_end import SENDER, draft_of, emailing, with_a_shared_channel

DIRECTORY = (
    "name,contract_value,currency,tier,csm,contacts,language,timezone\n"
    'Acme Inc,$120k,,enterprise,U0CSM0001,"Ana Souza <ana@acme.com.br>, CTO",pt_BR,America/Sao_Paulo\n'
    'Globex,200000,USD,enterprise,U0VPSALES,"Gil Ortega <gil@globex.es>, COO",es,Europe/Madrid\n'
    "Initech,50000,USD,growth,U0EXEC001,,,\n"
    "Hooli,90000,USD,growth,,,,\n"
)


@pytest.fixture
def app(database_url: str, mailbox: Mailbox) -> Iterator[Harness]:
    running = emailing(database_url, mailbox)
    load_directory(running, DIRECTORY)
    yield running
    running.stop()


def test_a_case_on_several_accounts_shows_the_value_at_risk_tells_each_csm_and_writes_to_each(
    app: Harness, mailbox: Mailbox
) -> None:
    harness = app
    view_id = harness.open_intake(CSM)
    offered = harness.sender.suggest(CSM, view_id, "affected_accounts", "glo").json()["options"]
    assert [(o["value"], o["text"]["text"]) for o in offered] == [
        ("Globex", "Globex · enterprise · $200,000")
    ]
    # Only accounts of the directory: an affected account is someone whose CSM and contacts we know.
    assert harness.sender.suggest(CSM, view_id, "affected_accounts", "Nobody").json()["options"] == []

    response = harness.submit_intake(
        view_id, account="Acme Inc", account_value="", affected_accounts=["Globex", "Initech", "Acme Inc"]
    )
    assert response.status == 200 and not response.body, response
    case = wait_for(lambda: harness.case_by_view(view_id), what="the case")
    case = harness.wait_provisioned(case.id)

    card = json.dumps(harness.channel_of(case).messages[0].blocks, ensure_ascii=False)
    assert "*$370,000* at risk in all 3 accounts" in card  # Acme's $120k with them, counted once
    details = harness.details(OWNER, case)  # the card's "More details" names them
    assert "*Also affected* · Globex (enterprise · $200,000) · Initech (growth · $50,000)" in details

    # Each affected account's CSM hears, once, with the way in; the case's own CSM opened it.
    def told(csm: str) -> list[str]:
        return [json.dumps(m.blocks) for m in harness.workspace.dm_messages(csm) if "also affects" in m.text]

    to_vp = wait_for(lambda: told(VP), what="Globex's CSM told")
    assert len(to_vp) == 1 and "ESC-1 also affects *Globex*, your account" in to_vp[0]
    assert f"<#{case.channel_id}>" in to_vp[0] and "SSO outage" in to_vp[0]
    wait_for(lambda: told(EXEC), what="Initech's CSM told")
    assert told(CSM) == []

    # One acknowledgement from the owner: each account's contacts get their own e-mail.
    ack = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
    view = json.dumps(harness.workspace.views[ack], ensure_ascii=False)
    assert "Globex get a letter of their own, each by themselves: nothing of this one." in view
    draft = draft_of(harness, ack, "customer_message")
    harness.submit(OWNER, ack, next_update=in_hours(3), customer_message=draft)
    mailbox.wait(2)
    to_ana, to_gil = mailbox.to("ana@acme.com.br"), mailbox.to("gil@globex.es")
    assert len(to_ana) == 1 and len(to_gil) == 1 and len(mailbox.messages) == 2
    assert "globex" not in str(to_ana[0]).lower()  # one customer never sees another
    assert "acme" not in json.dumps(dict(to_gil[0].items())).lower()
    assert to_gil[0]["Content-Language"] == "es"
    assert to_gil[0]["Subject"] == "[ESC-1] Un problema que afecta a su servicio: estamos en ello"
    assert "Caso ESC-1." in plain_text(to_gil[0])
    assert SENDER.split(" <")[0] in str(to_gil[0]["From"])

    # The promises are the case's (the acknowledgement's, and the first hour's): kept by the message
    # to its own account, not once more by Globex's.
    wait_for(lambda: harness.case(case.id).promises_kept == 2, what="the promises kept")
    assert harness.case(case.id).promises_made == 2
    wait_for(
        lambda: any("gil@globex.es" in m.text for m in harness.channel_of(case).messages),
        what="the channel told of Globex's e-mail",
    )


def test_the_home_portfolio_shows_each_cases_account_and_the_value_at_risk(app: Harness) -> None:
    harness = app
    case = harness.escalate(CSM, account="Acme Inc", account_value="", affected_accounts=["Globex"])
    lone = harness.escalate(CSM, account="Hooli", account_value="", summary="Invoices wrong")
    again = harness.escalate(CSM, account="Hooli", account_value="", summary="Invoices wrong again")
    harness.open_home(MANAGER)  # an escalation manager: the whole portfolio
    text = harness.home_text(MANAGER)
    assert f"*{case.key}* · Acme Inc: SSO outage" in text
    assert f":office: enterprise · $120,000 · CSM <@{CSM}> · *$320,000* at risk in all 2 accounts" in text
    assert f"*{lone.key}* · Hooli: Invoices wrong" in text
    assert ':office: growth · $90,000"' in text  # one account, no earlier case: nothing more
    # The account's other escalations of the last 90 days, with the way to them.
    assert f":office: growth · $90,000 · earlier: *{lone.key}* <#{lone.channel_id}>" in text
    assert f"earlier: *{again.key}*" not in text


def two_shared_channels(workspace: Workspace) -> None:
    with_a_shared_channel(workspace)
    workspace.add_channel(
        "globex-shared", members=[OWNER, CSM, GLOBEX_IN_SLACK, workspace.bot_user_id], ext_shared=True
    )


GLOBEX_IN_SLACK = "U0GLOBEX1"


def test_each_affected_account_hears_in_its_own_slack_connect_channel(database_url: str) -> None:
    harness = start_harness(database_url, seed=two_shared_channels)
    try:
        acme, globex = (harness.workspace.channel_named(n) for n in ("acme-shared", "globex-shared"))
        assert acme is not None and globex is not None
        load_directory(
            harness,
            "name,contract_value,slack_connect_channel,slack_connect_channel_name\n"
            f"Acme Inc,$120k,{acme.id},acme-shared\nGlobex,$200k,{globex.id},globex-shared\nInitech,$50k,,\n",
        )
        case = harness.escalate(CSM, account="Acme Inc", affected_accounts=["Globex", "Initech"])
        assert case.connect_channel_id == acme.id  # from the directory

        view_id = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
        harness.submit(
            OWNER, view_id, next_update=in_hours(3), customer_message="We are on it; next news by 15:00."
        )
        for channel in (acme, globex):
            # The default binds this channel; mypy cannot infer such a lambda (python/mypy#15459).
            messages = cast(Callable[[], list[Message]], lambda c=channel: c.messages)
            posted = wait_for(messages, what=f"the post in #{channel.name}")
            assert len(posted) == 1 and posted[0].username == "Sarah Miller"  # as the owner, in each
        assert acme.messages[0].text == "We are on it; next news by 15:00."
        # Globex hears on its own: its greeting, our neutral text, nothing of Acme's.
        assert globex.messages[0].text.startswith("Hello Globex team,\n\nWe are aware of a problem")
        assert "acme" not in json.dumps(globex.messages[0].blocks).lower()
        stored = wait_for(lambda: (c := harness.case(case.id)).promises_kept and c, what="the promise kept")
        # The acknowledgement's and the first hour's, by Acme's post alone.
        assert (stored.promises_made, stored.promises_kept, stored.promises_delivered_late) == (2, 2, 0)
        wait_for(
            lambda: any(
                "Slack Connect channel #globex-shared at" in m.text for m in harness.channel_of(case).messages
            ),
            what="the case channel told of Globex's copy",
        )
    finally:
        harness.stop()


def open_accounts(harness: Harness, user: str, case: Escalation) -> str:
    """The card's More menu: Affected accounts."""
    return harness.open_more(user, case, "accounts")


def test_accounts_hit_later_are_added_from_the_more_menu_and_their_csms_told_once(app: Harness) -> None:
    harness = app
    case = harness.escalate(CSM, account="Acme Inc", account_value="", triggers=[])
    view_id = open_accounts(harness, CSM, case)
    modal = json.dumps(harness.workspace.views[view_id], ensure_ascii=False)
    assert "No other account is listed yet." in modal
    offered = harness.sender.suggest(CSM, view_id, "affected_accounts", "glo").json()["options"]
    assert [o["value"] for o in offered] == ["Globex"]
    assert harness.submit(CSM, view_id, affected_accounts=["Globex"]).status == 200

    def card() -> str:
        return json.dumps(harness.channel_of(case).messages[0].blocks, ensure_ascii=False)

    wait_for(lambda: "*$320,000* at risk in all 2 accounts" in card(), what="the card updated")
    assert "*Also affected* · Globex (enterprise · $200,000)" in harness.details(CSM, case)
    wait_for(
        lambda: any(
            f"<@{CSM}> listed other affected accounts: Globex" in json.dumps(m.blocks, ensure_ascii=False)
            for m in harness.channel_of(case).messages
        ),
        what="the channel told",
    )
    wait_for(lambda: harness.workspace.dm_messages(VP), what="Globex's CSM told")

    # The outage spreads: Initech too. Globex's CSM is not told again; Initech's is.
    view_id = open_accounts(harness, OWNER, case)
    modal = json.dumps(harness.workspace.views[view_id], ensure_ascii=False)
    assert "Globex (enterprise · $200,000)" in modal
    harness.submit(OWNER, view_id, affected_accounts=["Globex", "Initech"])
    wait_for(lambda: "*$370,000* at risk in all 3 accounts" in card(), what="the card updated again")
    wait_for(
        lambda: any("also affects" in m.text for m in harness.workspace.dm_messages(EXEC)), what="Initech's"
    )
    assert len([m for m in harness.workspace.dm_messages(VP) if "also affects" in m.text]) == 1
    assert [e.data["accounts"] for e in harness.events(case.id) if e.kind == "accounts_affected"] == [
        ["Globex"],
        ["Initech"],
    ]
    (row,) = export_rows(harness.components.engine)
    assert row["affected_accounts"] == "Globex; Initech"


def test_an_account_listed_while_its_step_finished_is_told_by_the_repair_sweep(app: Harness) -> None:
    harness = app
    engine = harness.components.engine
    case = harness.escalate(CSM, account="Acme Inc", affected_accounts=["Globex"], triggers=[])
    wait_for(lambda: harness.workspace.dm_messages(VP), what="Globex's CSM told")
    # Initech listed a while ago, as the step was recording itself done: its CSM is still owed.
    with session_scope(engine) as session:
        initech = session.exec(select(Account).where(Account.name == "Initech")).one()
        assert case.id is not None and initech.id is not None
        session.add(
            AffectedAccount(
                escalation_id=case.id,
                account_id=initech.id,
                added_by=OWNER,
                added_at=utcnow() - timedelta(hours=1),
            )
        )
    harness.components.provisioner.repair()
    told = wait_for(
        lambda: [m for m in harness.workspace.dm_messages(EXEC) if "also affects" in m.text],
        what="Initech's CSM",
    )
    assert "ESC-1 also affects *Initech*, your account" in told[0].text
    harness.components.provisioner.repair()  # owed nothing now: nobody is told twice
    time.sleep(1)
    assert len([m for m in harness.workspace.dm_messages(EXEC) if "also affects" in m.text]) == 1
    assert len([m for m in harness.workspace.dm_messages(VP) if "also affects" in m.text]) == 1


def test_fifty_affected_accounts_fit_the_card_within_slacks_limits(app: Harness) -> None:
    harness = app
    many = [f"Outage Customer With A Rather Long Legal Name Number {i:02d}" for i in range(50)]
    load_directory(harness, "name,contract_value,tier\n" + "".join(f"{n},$10k,enterprise\n" for n in many))
    case = harness.escalate(CSM, account="Acme Inc", account_value="", affected_accounts=many, triggers=[])
    card = json.dumps(harness.channel_of(case).messages[0].blocks, ensure_ascii=False)
    assert "*$620,000* at risk in all 51 accounts" in card  # every one counted
    details = harness.details(CSM, case)
    assert "Number 00 (enterprise · $10,000)" in details
    assert named_and_more(details) == 50  # those that fit named, then how many more
    view_id = open_accounts(harness, CSM, case)
    modal = json.dumps(harness.workspace.views[view_id], ensure_ascii=False)
    assert named_and_more(modal) == 50 and "Number 20" in modal  # the modal names more of them


def named_and_more(payload: str) -> int:
    more = re.search(r"…and (\d+) more", payload)
    assert more is not None, "no “…and N more”"
    return len(re.findall(r"Number \d\d \(", payload)) + int(more.group(1))


MARKED_DIRECTORY = (
    "name,contract_value,currency,tier,csm,contacts,language,timezone,aliases,domains\n"
    '"Acme, Inc.",$120k,,enterprise,U0CSM0001,"Ana Souza <ana@acme.com.br>, CTO",pt_BR,America/Sao_Paulo,'
    "MARKALIAS,acme.com.br\n"
    'Globex,200000,USD,enterprise,U0VPSALES,"Luis Pérez <luis@globex.mx>, CIO",es,America/Mexico_City,,\n'
    'Initech,50000,USD,growth,U0EXEC001,"Peter Gibbons <peter@initech.example>",en,America/Chicago,,\n'
)
# Everything that belongs to the case's own customer: none of it may reach another's contacts.
ACME_MARKERS = (
    "acme",
    "markalias",
    "ana souza",
    "ana@",
    "mark-summary",
    "mark-desc",
    "mark-ack",
    "mark-update",
)


def everything_in(message: object) -> str:
    """Headers, the plain text and the HTML part of a received e-mail, decoded, lowercased."""
    from email.message import EmailMessage

    from tests.mailbox import html_text

    assert isinstance(message, EmailMessage)
    headers = " ".join(f"{k}: {v}" for k, v in message.items())
    return f"{headers}\n{plain_text(message)}\n{html_text(message)}".lower()


def test_no_word_of_one_customer_reaches_another_affected_account(
    database_url: str, mailbox: Mailbox
) -> None:
    harness = emailing(database_url, mailbox)
    try:
        load_directory(harness, MARKED_DIRECTORY)
        case = harness.escalate(
            CSM,
            account="Acme, Inc.",
            summary="MARK-SUMMARY SSO login failing for all Acme users",
            description="MARK-DESC Nobody at Acme can log in.",
            affected_accounts=["Globex", "Initech"],
        )
        ack = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
        view = json.dumps(harness.workspace.views[ack], ensure_ascii=False)

        # The modal previews each other account's own letter: its people, language and subject.
        assert "For the other affected accounts" in view
        subject = "[ESC-1] Un problema que afecta a su servicio: estamos en ello"
        assert f"*Globex* · luis@globex.mx · Español · “{subject}”" in view
        assert "Hola, equipo de Globex:" in view and "*Initech* · peter@initech.example · English" in view

        # A text for the others that names this customer is refused next to the field.
        draft = draft_of(harness, ack, "customer_message")
        refused = harness.submit(
            OWNER,
            ack,
            next_update=in_hours(3),
            customer_message=draft,
            others_message="Like at Acme, logins fail.",
        )
        assert refused.json()["errors"] == {
            "others_message": "This text goes to several customers, each greeted by name: take out “Acme”, "
            "which names one of them."
        }
        assert "MARK-SUMMARY" in draft and "Acme" in draft  # Ana's own letter names her case
        # Nor may it name one of the other customers: each of them gets it.
        for text, named in [
            ("Globex (Luis Pérez, luis@globex.mx) reported it first.", "Globex"),
            ("As Peter Gibbons saw, logins fail.", "Peter Gibbons"),
        ]:
            refused = harness.submit(
                OWNER, ack, next_update=in_hours(3), customer_message=draft, others_message=text
            )
            assert refused.json()["errors"]["others_message"].startswith(
                f"This text goes to several customers, each greeted by name: take out “{named}”"
            )
        harness.submit(OWNER, ack, next_update=in_hours(3), customer_message=draft + " MARK-ACK")
        mailbox.wait(3)
        [to_luis] = mailbox.to("luis@globex.mx")
        [to_peter] = mailbox.to("peter@initech.example")
        [to_ana] = mailbox.to("ana@acme.com.br")
        assert "mark-ack" in everything_in(to_ana)
        # Each other account: its own greeting and language, a subject of its own, Acme nowhere.
        assert to_luis["Content-Language"] == "es" and to_peter["Content-Language"] == "en"
        assert plain_text(to_luis).startswith("Hola, equipo de Globex:")
        assert plain_text(to_peter).startswith("Hello Initech team,")
        assert "status update by" in plain_text(to_peter) and "Chicago" in plain_text(to_peter)
        assert "globex" not in everything_in(to_peter) and "initech" not in everything_in(to_luis)

        # An update: the owner writes one neutral text for the others; each gets it in its own letter.
        update = harness.open_flow(OWNER, case, FlowButton.POST_UPDATE)
        posted = harness.submit(
            OWNER,
            update,
            internal="MARK-UPDATE internal: the IdP cert expired at Acme.",
            next_update=in_hours(4),
            customer_update=draft_of(harness, update, "customer_update").replace("…", "MARK-UPDATE"),
            others_message="We found the cause and are rolling out the fix now.",
        )
        assert posted.status == 200 and not posted.body, posted
        mailbox.wait(6)
        luis = mailbox.to("luis@globex.mx")
        assert len(luis) == 2 and "We found the cause" in plain_text(luis[1])
        assert plain_text(luis[1]).startswith("Hola, equipo de Globex:")
        for other in [*luis, *mailbox.to("peter@initech.example")]:
            seen = everything_in(other)
            assert [m for m in ACME_MARKERS if m in seen] == []
        # Their envelopes held only their own people.
        assert {tuple(sorted(to)) for to in mailbox.recipients} == {
            ("ana@acme.com.br",),
            ("luis@globex.mx",),
            ("peter@initech.example",),
        }
    finally:
        harness.stop()


def test_an_account_listed_by_mistake_is_taken_off_the_case(app: Harness) -> None:
    """Issue 23: a listed affected account could not be removed. Taken out of the modal's list, it
    is off the case: the card, the channel, the timeline and the export say so."""
    harness = app
    case = harness.escalate(
        CSM, account="Acme Inc", account_value="", triggers=[], affected_accounts=["Globex", "Initech"]
    )
    view_id = open_accounts(harness, OWNER, case)
    field = next(
        b for b in harness.workspace.views[view_id]["blocks"] if b.get("block_id") == "affected_accounts"
    )
    assert [o["text"]["text"] for o in field["element"]["initial_options"]] == ["Globex", "Initech"]
    assert field["optional"] is True  # every account may be taken off

    assert harness.submit(OWNER, view_id, affected_accounts=["Initech"]).status == 200

    def card() -> str:
        return json.dumps(harness.channel_of(case).messages[0].blocks, ensure_ascii=False)

    wait_for(lambda: "*$170,000* at risk in all 2 accounts" in card(), what="Globex off the card")
    assert "Globex" not in harness.details(OWNER, case)
    wait_for(
        lambda: any(
            f"<@{OWNER}> took Globex off the case" in json.dumps(m.blocks, ensure_ascii=False)
            for m in harness.channel_of(case).messages
        ),
        what="the channel told",
    )
    assert [e.data["accounts"] for e in harness.events(case.id) if e.kind == "accounts_removed"] == [
        ["Globex"]
    ]
    (row,) = export_rows(harness.components.engine)
    assert row["affected_accounts"] == "Initech"

    # Every one of them may go; an empty list with nothing listed is still refused.
    view_id = open_accounts(harness, OWNER, case)
    assert harness.submit(OWNER, view_id, affected_accounts=[]).status == 200
    wait_for(lambda: "at risk" not in card(), what="Initech off the card")
    view_id = open_accounts(harness, OWNER, case)
    errors = harness.submit(OWNER, view_id, affected_accounts=[]).json()["errors"]
    assert errors == {"affected_accounts": "Choose at least one account."}


def test_a_modal_opened_earlier_takes_off_only_what_it_showed(app: Harness) -> None:
    """Saved after someone else changed the list, the accounts modal takes off only the accounts it
    showed and that were taken out of it (it names them by id: a renamed or long name is the same
    account)."""
    harness = app
    case = harness.escalate(
        CSM, account="Acme Inc", account_value="", triggers=[], affected_accounts=["Globex"]
    )
    stale = open_accounts(harness, OWNER, case)  # shows Globex
    meanwhile = open_accounts(harness, CSM, case)
    assert (
        harness.submit(CSM, meanwhile, affected_accounts=["Initech"]).status == 200
    )  # Globex off, Initech on
    wait_for(lambda: "Initech" in harness.details(OWNER, case), what="Initech listed")
    assert harness.submit(OWNER, stale).status == 200  # saved as it was shown
    time.sleep(0.3)
    changes = [
        e.data["accounts"]
        for e in harness.events(case.id)
        if e.kind in ("accounts_affected", "accounts_removed")
    ]
    assert changes == [["Globex"], ["Globex"], ["Initech"]]  # Initech, which it never showed, stays
    assert "Initech" in harness.details(OWNER, case)

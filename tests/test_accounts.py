"""The account directory: imported from CSV or JSON (an idempotent upsert), every bad row reported
at its line, exported back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from assistant.content.i18n import _
from assistant.content.registry import installed
from assistant.database import make_engine
from assistant.domain.account_rows import read_account_file, read_accounts
from assistant.listeners.intake import suggested_accounts
from assistant.models import Account
from assistant.services import customer
from assistant.services.accounts import ImportReport, health_history, import_accounts
from tests.harness import (
    CSM,
    EXEC,
    OWNER,
    ROOT,
    Harness,
    load_directory,
    run_cli,
    wait_for,
)
from tests.parts import Parts, running_parts
from tests.test_customer_end import with_a_shared_channel

CSV = (
    "name,aliases,domains,crm_id,contract_value,currency,tier,renewal_date,timezone,language,csm,sponsor,"
    "health,contacts\n"
    '"Acme, Inc.",Acme Brasil;ACME,acme.com.br,0015A,$120k,,enterprise,2027-03-31,America/Sao_Paulo,pt-BR,'
    'U0CSM0001,U0EXEC001,72,"Ana Souza <ana@acme.com.br>, CTO"\n'
    "Globex,,globex.com,0015B,R$ 800 mil,BRL,enterprise,2027-01-15,America/Sao_Paulo,pt_BR,U0CSM0001,,55,\n"
    "Initech,,initech,0015C,25000,,growth,someday,Mars/Olympus,fr,carla,,150,bob@\n"
    "Umbrella,,,0015D,9000,EUR,smb,,Europe/Madrid,es,,,40,\n"
)


def accounts(database_url: str) -> dict[str, Account]:
    with Session(make_engine(database_url)) as session:
        return {a.name: a for a in session.exec(select(Account))}


def cli(database_url: str, *args: str) -> tuple[int, str, str]:
    done = run_cli(["accounts", *args], {"DATABASE_URL": database_url}, ROOT)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    """The test's database, without Slack or the app: for the directory's services."""
    made = make_engine(database_url)
    yield made
    made.dispose()


def import_file(
    engine: sa.Engine, data: bytes, *, json_format: bool = False, encoding: str | None = None
) -> tuple[ImportReport, list[str]]:
    """A file imported as `accounts import` imports it (its default currency, our playbook's
    judgement): read whole or refused (UnreadableFile), its good rows upserted; with every refused
    row at its line, in the order the command prints them."""
    rows, problems = read_account_file(
        data, json_format=json_format, default_currency="USD", encoding=encoding
    )
    report = import_accounts(engine, rows, rules=installed().practice.judgement)
    return report, [*map(_, problems), *report.problems]


def directory(parts: Parts, csv_text: str, at: datetime | None = None) -> ImportReport:
    """Accounts into the directory as CS ops would import them (every row must be good)."""
    rows, problems = read_accounts(csv_text, json_format=False, default_currency="USD")
    assert problems == [], problems
    return import_accounts(parts.engine, rows, rules=parts.components.content.practice.judgement, now=at)


def test_an_import_keeps_good_rows_reports_bad_ones_at_their_line_and_is_idempotent(
    database_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "accounts.csv"
    file.write_text(CSV)
    code, out, err = cli(database_url, "import", str(file), "--dry-run")
    assert "3 accounts would be created" in out and accounts(database_url) == {}  # nothing written

    code, out, err = cli(database_url, "import", str(file))
    assert code == 1  # a row was refused: a script notices
    assert "3 accounts were created, 0 updated, 0 unchanged; 1 row(s) refused; 0 signal(s)" in out
    [problem] = err.strip().splitlines()
    assert problem.startswith("line 4: domains: “initech” is not a domain like acme.com; ")
    for said in (
        "renewal_date: “someday” is not a date like 2027-03-31",
        "timezone: “Mars/Olympus” is not a time zone",
        "language: one of en, pt_BR, es",
        "csm: a Slack user id like U012ABCDEF",
        "health: a score from 0 to 100",
        "contacts: “bob@” is not an e-mail address.",
    ):
        assert said in problem
    stored = accounts(database_url)
    acme = stored["Acme, Inc."]
    assert (acme.key, acme.contract_value, acme.currency, acme.tier, acme.language) == (
        "acme",
        120000,
        "USD",
        "enterprise",
        "pt_BR",
    )
    assert acme.aliases == ["Acme Brasil"]  # "ACME" is the account's own name, folded
    assert acme.external_ids == {"crm": "0015A"} and acme.renewal_on.isoformat() == "2027-03-31"  # type: ignore[union-attr]
    assert acme.contacts == [{"name": "Ana Souza", "email": "ana@acme.com.br", "role": "CTO"}]
    assert (stored["Globex"].contract_value, stored["Globex"].currency) == (800000, "BRL")
    assert stored["Umbrella"].currency == "EUR"

    code, out, err = cli(database_url, "import", str(file))
    assert "0 accounts were created, 0 updated, 3 unchanged" in out  # the same file again changes nothing

    # Found by its CRM id though renamed; found by its name, however typed, without one.
    file.write_text("name,crm_id,health\nAcme Corporation,0015A,25\nGLOBEX S.A.,,55\nUmbrella,0015A,40\n")
    code, out, err = cli(database_url, "import", str(file))
    assert "0 accounts were created, 2 updated, 0 unchanged; 1 row(s) refused; 1 signal(s)" in out
    # Its CRM id is Acme's, its name Umbrella's: which one it means is for a person to say.
    assert err.strip() == "line 4: another account is already called “Umbrella”"
    stored = accounts(database_url)
    assert "Acme Corporation" in stored and stored["Acme Corporation"].health == 25
    engine = make_engine(database_url)
    assert [score for _, score in health_history(engine, stored["Acme Corporation"].id or 0)] == [72, 25]


def test_json_imports_and_an_export_imports_back_unchanged(database_url: str, tmp_path: Path) -> None:
    file = tmp_path / "accounts.json"
    file.write_text(
        "[\n"
        '  {"name": "Acme", "external_ids": {"crm": "A1", "helpdesk": "77"}, "domains": ["acme.com"]},\n'
        '  {"name": "Globex", "contract_value": "1.2m", "health": 80},\n'
        "  {\n"
        '    "name": "",\n'
        '    "tier": "enterprise"\n'
        "  }\n"
        "]\n"
    )
    code, out, err = cli(database_url, "import", str(file))
    assert "2 accounts were created" in out
    assert err.strip() == "line 4: name: required"  # where the third object starts

    code, exported, err = cli(database_url, "export")
    assert code == 0 and exported.splitlines()[0].startswith("name,aliases,domains,")
    again = tmp_path / "exported.csv"
    again.write_text(exported)
    code, out, err = cli(database_url, "import", str(again))
    assert (code, err) == (0, "") and "0 accounts were created, 0 updated, 2 unchanged" in out


def test_rows_are_checked_without_a_database() -> None:
    rows, problems = read_accounts("name,color\nAcme,red\n", json_format=False, default_currency="USD")
    assert rows == [] and _(problems[0]).startswith("line 1: unknown column(s): color")
    rows, problems = read_accounts('[1, {"name": "Ok"}]', json_format=True, default_currency="USD")
    assert [r.name for r in rows] == ["Ok"]
    assert [_(p) for p in problems] == ["line 1: an account must be an object"]


def test_a_case_on_a_known_account_gets_its_context_and_what_the_form_left_out(parts: Parts) -> None:
    renewal = (datetime.now(UTC) + timedelta(days=100)).date().isoformat()
    engine = parts.engine
    for health, at in (
        (45, datetime.now(UTC) - timedelta(days=2)),
        (25, datetime.now(UTC) - timedelta(days=1)),
    ):
        directory(
            parts,
            "name,tier,contract_value,renewal_date,csm,sponsor,health,contacts,language,timezone\n"
            f'Acme Inc,enterprise,$120k,{renewal},{CSM},{EXEC},{health},"Ana Souza <ana@acme.com.br>, CTO",'
            "pt_BR,America/Sao_Paulo\n",
            at,
        )

    case = parts.escalate(CSM, account="ACME, Inc.", account_value="", category="business", stakeholders=[])
    assert (case.account_value, case.account_currency) == (120000, "USD")  # from the directory
    assert EXEC in case.stakeholder_ids  # the account's sponsor, on a business case
    assert case.id is not None
    assert [c.email for c in customer.contacts_of(engine, case.id)] == ["ana@acme.com.br"]
    card = parts.details(case)  # the card's "More details"
    days = (date.fromisoformat(renewal) - datetime.now(UTC).date()).days
    assert (
        f"*Account* · enterprise · $120,000 · renewal in {days} days · health 25 (down from 45) · "
        f"CSM <@{CSM}> · sponsor <@{EXEC}>"
    ) in card

    second = parts.escalate(CSM, account="Acme", summary="Invoices wrong again")
    card = parts.details(second)
    assert f"Earlier escalations (last 90 days): *ESC-1* SSO outage <#{case.channel_id}>" in card

    parts.escalate(CSM, account="Brand New Co")
    with Session(engine) as session:
        new = session.exec(select(Account).where(Account.key == "brand new")).one()
    assert new.needs_review and new.contract_value == 120000  # typed on the form: kept for CS ops


def test_the_intake_offers_accounts_from_the_directory_as_the_csm_types(harness: Harness) -> None:
    load_directory(
        harness,
        "name,tier,contract_value\nAcme Inc,enterprise,$120k\nAcme Brasil Ltda,growth,R$ 800 mil\nGlobex,,\n",
    )
    view_id = harness.open_intake(CSM)
    block = next(b for b in harness.workspace.views[view_id]["blocks"] if b.get("block_id") == "account")
    assert block["element"]["type"] == "external_select"

    offered = harness.sender.suggest(CSM, view_id, "account", "acm").json()["options"]
    assert [(o["value"], o["text"]["text"]) for o in offered] == [
        ("acm", "“acm” (new account)"),  # Slack offers only what the app answers: a new name too
        ("Acme Inc", "Acme Inc · enterprise · $120,000"),
        ("Acme Brasil Ltda", "Acme Brasil Ltda · growth · R$800,000"),
    ]
    exact = harness.sender.suggest(CSM, view_id, "account", "ACME, Inc.").json()["options"]
    assert [o["value"] for o in exact] == ["Acme Inc", "Acme Brasil Ltda"]  # known: not offered as new
    assert harness.sender.suggest(CSM, view_id, "account", "   ").json()["options"] == []
    response = harness.submit_intake(view_id, account="Acme Inc", account_value="")
    assert response.status == 200 and not response.body
    case = wait_for(lambda: harness.case_by_view(view_id), what="the case")
    assert (case.account_name, case.account_value) == ("Acme Inc", 120000)


def test_an_account_is_found_by_its_aliases_and_domains_and_brings_its_slack_connect_channel(
    database_url: str,
) -> None:
    with running_parts(database_url, seed=with_a_shared_channel) as parts:
        shared = parts.workspace.channel_named("acme-shared")
        assert shared is not None
        directory(
            parts,
            "name,aliases,domains,contract_value,slack_connect_channel,slack_connect_channel_name\n"
            f"Acme Inc,Acme Brasil;Wile E,acme.com.br;acme-corp.com,$120k,{shared.id},#acme-shared\n"
            "Acmeville,,,5000,,\n",
        )

        def offered(typed: str) -> list[str]:
            """What the intake's account typeahead offers for `typed` (its listener's options)."""
            body = {"user": {"id": CSM}, "value": typed}
            return [o["value"] for o in suggested_accounts(parts.components, body)]

        assert offered("acme-corp.com") == ["Acme Inc"]  # its domain: known, so not offered as new
        assert offered("acme.com.br") == ["Acme Inc"]
        assert offered("acme.com") == ["acme.com", "Acme Inc"]  # a domain begun
        assert offered("wile") == ["wile", "Acme Inc"]  # an alias begun: a new name is still allowed
        assert offered("acme") == ["Acme Inc", "Acmeville"]  # names first, then aliases and domains

        # A case opened under another name the account goes by is the account's.
        case = parts.escalate(CSM, account="Acme Brasil", account_value="")
        assert (case.account_name, case.account_value, case.connect_channel_id) == (
            "Acme Inc",
            120000,
            shared.id,
        )
        ack = parts.open_flow(OWNER, case, "acknowledge")
        view = json.dumps(parts.workspace.views[ack], ensure_ascii=False)
        assert "Post it as you in the customer's Slack Connect channel, #acme-shared" in view


def test_an_imported_contact_whose_name_holds_another_address_is_refused_at_its_line(
    engine: sa.Engine,
) -> None:
    report, said = import_file(
        engine,
        b"name,contacts\n"
        b'Acme,"mallory@evil.example, Ana <ana@acme.com.br>"\n'
        b"Globex,=?utf-8?q?ceo=40globex.com?= <mallory@evil.example>\n"
        b"Initech,Ana Souza <ana@initech.com>\n",
    )
    assert said == [
        'line 2: contacts: “mallory@evil.example, Ana” cannot be a name: a name holds no , ; < > " or @. '
        "Write one contact per line, like Ana Souza <ana@acme.com.br>, CTO.",
        "line 3: contacts: “=?utf-8?q?ceo=40globex.com?=” looks like encoded mail text, not a name: "
        "write the name as it reads.",
    ]
    assert report.created == 1
    with Session(engine) as session:
        stored = {a.name: a.contacts for a in session.exec(select(Account))}
    assert stored == {"Initech": [{"name": "Ana Souza", "email": "ana@initech.com", "role": ""}]}

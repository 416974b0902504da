"""Import and export a spreadsheet user can trust (issue 21, section 6): a file we cannot read is
refused at its line and nothing of it lands; what is exported opens as data, never as a formula,
is its owner's to read, and imports back to the same export byte for byte."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from assistant.content.i18n import _
from assistant.database import make_engine
from assistant.domain.account_rows import UnreadableFile
from assistant.models import Account
from assistant.services.export import export_rows, to_csv
from tests.harness import CSM, OWNER, ROOT, Harness, run_cli, team_harness
from tests.stories import store_cases
from tests.test_accounts import import_file


def accounts(database_url: str) -> dict[str, Account]:
    with Session(make_engine(database_url)) as session:
        return {a.name: a for a in session.exec(select(Account))}


def cli(database_url: str, *args: str) -> tuple[int, str, str]:
    done = run_cli(list(args), {"DATABASE_URL": database_url}, ROOT)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    """The test's database, without Slack or the app: for the import's and the export's services."""
    made = make_engine(database_url)
    yield made
    made.dispose()


def stored(engine: sa.Engine) -> dict[str, Account]:
    with Session(engine) as session:
        return {a.name: a for a in session.exec(select(Account))}


def refusal(engine: sa.Engine, data: bytes) -> str:
    """Why a file is not read at all (the sentence `accounts import` prints); nothing of it lands."""
    with pytest.raises(UnreadableFile) as refused:
        import_file(engine, data)
    return _(refused.value.sentence)


# Excel's "CSV (Comma delimited)" on Windows: cp1252, é as the single byte 0xE9.
CP1252 = "name,crm_id,tier\nGlobex,G1,growth\nCafé São Paulo,C1,enterprise\n".encode("cp1252")


def test_a_windows_1252_file_is_refused_at_its_first_bad_byte_and_imports_once_its_encoding_is_named(
    engine: sa.Engine,
) -> None:
    assert refusal(engine, CP1252) == (
        "line 3: the file is not UTF-8 (byte 0xE9 on this line): it looks like Windows-1252 (cp1252), "
        "what Excel saves as “CSV”. Save it as “CSV UTF-8”, or import it with --encoding cp1252."
    )
    assert stored(engine) == {}  # not even the good line before it

    report, said = import_file(engine, CP1252, encoding="cp1252")
    assert (report.created, said) == (2, [])
    assert stored(engine)["Café São Paulo"].external_ids == {"crm": "C1"}

    # A workbook given for a CSV is named as such, not as text in some encoding.
    workbook = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xeb\x99\x8f"
    assert refusal(engine, workbook) == (
        "line 1: this is an Excel workbook, not a CSV file: in Excel, save it as “CSV UTF-8”."
    )


def test_the_import_command_reads_the_encoding_named_and_says_a_wrong_one_in_one_sentence(
    database_url: str, tmp_path: Path
) -> None:
    """The command's side of the file's encoding: --encoding, and what it prints and exits with."""
    file = tmp_path / "from-excel.csv"
    file.write_bytes(CP1252)
    code, out, err = cli(database_url, "accounts", "import", str(file))
    assert (code, out.strip()) == (1, "the file was not imported")
    assert err.strip().startswith("line 3: the file is not UTF-8 (byte 0xE9 on this line)")
    code, out, err = cli(database_url, "accounts", "import", str(file), "--encoding", "cp1252")
    assert (code, err) == (0, "") and "2 accounts were created" in out
    assert accounts(database_url)["Café São Paulo"].external_ids == {"crm": "C1"}
    code, out, err = cli(database_url, "accounts", "import", str(file), "--encoding", "klingon")
    assert code == 2 and "--encoding: “klingon” is not an encoding (like utf-8 or cp1252)" in err
    # A wrong setting is one sentence too, not a traceback.
    env = {"DATABASE_URL": database_url, "DEFAULT_CURRENCY": "XYZ"}
    done = run_cli(["accounts", "import", str(file), "--encoding", "cp1252"], env, ROOT)
    assert done.returncode == 2 and done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert "'XYZ' is not a currency code" in done.stderr


def test_a_health_of_inf_is_refused_at_its_line_and_the_good_rows_are_kept(engine: sa.Engine) -> None:
    report, said = import_file(
        engine, b"name,health\nGood,50\nForever,inf\nNobody,nan\nHuge,1e400\nNu\x00ll,10\n"
    )
    assert said == [
        "line 3: health: a score from 0 to 100",
        "line 4: health: a score from 0 to 100",
        "line 5: health: a score from 0 to 100",
        "line 6: a value holds a NUL character, which cannot be stored",
    ]
    assert (report.created, report.updated, report.unchanged) == (1, 0, 0)
    assert {name: a.health for name, a in stored(engine).items()} == {"Good": 50}

    json_file = b'[\n  {"name": "Good", "health": 60},\n  {"name": "Forever", "health": Infinity}\n]\n'
    report, said = import_file(engine, json_file, json_format=True)
    assert said == ["line 3: health: a score from 0 to 100"]
    assert {name: a.health for name, a in stored(engine).items()} == {"Good": 60}


def test_one_external_id_on_two_rows_under_two_names_is_refused_at_both_lines(engine: sa.Engine) -> None:
    report, said = import_file(engine, b"name,crm_id\nAcme,7\nGlobex,7\nInitech,8\n")
    assert said == [
        "line 2: crm_id “7” is also on line 3, under another name",
        "line 3: crm_id “7” is also on line 2, under another name",
    ]
    assert (report.created, report.updated, report.unchanged) == (1, 0, 0)
    assert {name: a.external_ids for name, a in stored(engine).items()} == {"Initech": {"crm": "8"}}

    # The id already known: the file still says two names for one account; a person says which.
    report, said = import_file(engine, b"name,crm_id\nInitech Corp,8\nInitrode,8\n")
    assert said == [
        "line 2: crm_id “8” is also on line 3, under another name",
        "line 3: crm_id “8” is also on line 2, under another name",
    ]
    assert list(stored(engine)) == ["Initech"]

    # One name for two accounts: line 2 renames Initech (its crm id) to Beta, line 3 adds a Beta.
    report, said = import_file(engine, b"name,crm_id\nBeta,8\nBeta,\n")
    assert said == [
        "line 2: the name “Beta” is also on line 3, for another account",
        "line 3: the name “Beta” is also on line 2, for another account",
    ]
    assert list(stored(engine)) == ["Initech"]

    # The same account twice under one name is no contradiction: the later row wins, as before.
    report, said = import_file(engine, b"name,crm_id,tier\nInitech,8,smb\nINITECH,8,growth\n")
    assert said == [] and stored(engine)["INITECH"].tier == "growth"


def test_a_cell_over_the_csv_limit_is_refused_at_its_line_and_nothing_is_imported(engine: sa.Engine) -> None:
    pasted = b"name,tier\nGood,smb\n" + b"Pasted," + b"x" * 131_073 + b"\nAlso good,smb\n"
    assert refusal(engine, pasted) == (
        "line 3: a cell holds more than 131,072 characters (is a quote left open?); "
        "the file cannot be read past it"
    )
    assert stored(engine) == {}

    # A quote opened and never closed swallows the lines below it: said where it opened.
    unclosed = b'name,tier\nGood,smb\n"Open,smb\n' + b"Row,smb\n" * 20_000
    assert refusal(engine, unclosed).startswith("line 3: a cell holds more than 131,072 characters")
    assert stored(engine) == {}


ODD = [
    {
        "name": '=HYPERLINK("http://evil.example", "Acme")',
        "external_ids": {"CRM": "A1", " HelpDesk ": "-77"},
        "aliases": ["@SUM(1+1)", "Acme Brasil"],
        "domains": ["acme.com"],
        "tier": "+cmd|' /C calc'!A0",
        "region": "'=already quoted",
        "contract_value": "$120k",
        "health": 72,
        "contacts": ["Ana Souza <ana@acme.com.br>, CTO", "bob@acme.com"],
    },
    {"name": "Globex", "external_ids": {"Zendesk Desk": "9"}},
    {"name": "Umbrella", "crm_id": "U1", "tier": "-", "region": "", "timezone": "Europe/Madrid"},
]


def _odd_json() -> str:
    return "[\n" + ",\n".join("  " + json.dumps(item) for item in ODD) + "\n]\n"


def test_the_accounts_export_opens_as_data_is_private_and_imports_back_byte_for_byte(
    database_url: str, tmp_path: Path
) -> None:
    given = tmp_path / "given.json"
    given.write_text(_odd_json())
    code, out, err = cli(database_url, "accounts", "import", str(given))
    assert code == 1
    # An id whose system cannot be a column (`zendesk desk_id`) would not import back: refused.
    assert err.strip() == (
        "line 3: external_ids: “Zendesk Desk” is not a system name like crm or helpdesk "
        "(letters and digits, starting with a letter)"
    )
    assert "2 accounts were created" in out

    first = tmp_path / "first.csv"
    code, out, err = cli(database_url, "accounts", "export", "--output", str(first))
    assert (code, err) == (0, "")
    assert first.stat().st_mode & 0o777 == 0o600  # customer data: its owner's eyes only
    rows = list(csv.DictReader(io.StringIO(first.read_text(encoding="utf-8"))))
    acme, umbrella = rows
    assert acme["name"] == '\'=HYPERLINK("http://evil.example", "Acme")'
    assert acme["aliases"] == "'@SUM(1+1); Acme Brasil"
    assert acme["tier"] == "'+cmd|' /C calc'!A0"
    assert acme["helpdesk_id"] == "'-77" and acme["crm_id"] == "A1"  # the system as a column names it
    assert acme["region"] == "''=already quoted"  # one more quote: the import takes exactly one off
    assert acme["contacts"] == "Ana Souza <ana@acme.com.br>, CTO; bob@acme.com"
    assert umbrella["tier"] == "'-"
    assert umbrella["sponsor"] == "" and "'" not in umbrella.values()  # an empty cell stays empty

    code, out, err = cli(database_url, "accounts", "import", str(first))
    assert (code, err) == (0, "") and "0 accounts were created, 0 updated, 2 unchanged" in out
    second = tmp_path / "second.csv"
    cli(database_url, "accounts", "export", "--output", str(second))
    assert second.read_bytes() == first.read_bytes()
    code, stdout, err = cli(database_url, "accounts", "export")
    assert stdout.encode() == first.read_bytes()  # standard output says the same

    stored = accounts(database_url)['=HYPERLINK("http://evil.example", "Acme")']
    assert stored.region == "'=already quoted" and stored.external_ids == {"crm": "A1", "helpdesk": "-77"}

    first_json = tmp_path / "first.json"
    code, out, err = cli(database_url, "accounts", "export", "--format", "json", "--output", str(first_json))
    assert (code, err) == (0, "") and first_json.stat().st_mode & 0o777 == 0o600
    assert json.loads(first_json.read_text())[0]["tier"] == "+cmd|' /C calc'!A0"  # JSON is data as it is
    code, out, err = cli(database_url, "accounts", "import", str(first_json))
    assert (code, err) == (0, "") and "0 accounts were created, 0 updated, 2 unchanged" in out
    second_json = tmp_path / "second.json"
    cli(database_url, "accounts", "export", "--format", "json", "--output", str(second_json))
    assert second_json.read_bytes() == first_json.read_bytes()


@pytest.mark.parametrize(
    "text",
    ["", "-", "=1+1", "+cmd|' /C calc'!A0", "@SUM(A1)", "'", "'=x", "''=x", "'hi", "\tTab", "\rx", "plain"],
)
def test_one_formula_rule_is_undone_exactly_by_the_import(text: str) -> None:
    from assistant.domain.spreadsheet import formula_safe, unescaped

    cell = formula_safe(text)
    assert unescaped(cell) == text
    assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r")  # nothing a spreadsheet would run
    assert formula_safe(None) is None and formula_safe(7) == 7  # numbers are numbers


def test_the_case_export_leaves_empty_cells_empty(engine: sa.Engine) -> None:
    store_cases(engine, 1, owner=OWNER, summary="-5% revenue since the outage")
    [row] = list(csv.DictReader(io.StringIO(to_csv(export_rows(engine)))))
    assert row["affected_accounts"] == ""  # was a lone ' in every empty cell
    assert "'" not in row.values()
    assert row["summary"] == "'-5% revenue since the outage"


INTAKE = """\
custom_fields:
  - id: contract_id
    label: Contract ID
    max_length: 20
  - id: region
    label: Region
    type: choice
    options: [{id: latam, label: Latin America}, {id: emea, label: EMEA}]
"""


@pytest.fixture
def own_questions(database_url: str, tmp_path: Path) -> Iterator[Harness]:
    yield from team_harness(database_url, tmp_path / "ours", {"flows/intake.yml": INTAKE})


def test_the_export_command_has_the_teams_own_questions(own_questions: Harness, tmp_path: Path) -> None:
    own_questions.escalate(CSM, custom_contract_id="=1+2", custom_region="latam")
    env = {"DATABASE_URL": own_questions.settings.database_url, "CUSTOM_DIR": str(tmp_path / "ours")}
    done = run_cli(["export", "--format", "csv"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    [row] = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(row)[-2:] == ["custom:contract_id", "custom:region"]
    assert (row["custom:contract_id"], row["custom:region"]) == ("'=1+2", "latam")
    out = tmp_path / "cases.json"
    done = run_cli(["export", "--format", "json", "--output", str(out)], env, tmp_path)
    assert done.returncode == 0, done.stderr
    [case] = json.loads(out.read_text())
    assert (case["custom:contract_id"], case["custom:region"]) == ("=1+2", "latam")

    # A CUSTOM_DIR that is not a folder is said in one sentence, as the app says it.
    done = run_cli(["export"], {**env, "CUSTOM_DIR": str(tmp_path / "nowhere")}, tmp_path)
    assert done.returncode == 2 and "nowhere is not a folder" in done.stderr
    assert "Traceback" not in done.stderr

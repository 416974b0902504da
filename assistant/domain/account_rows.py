"""Accounts as CS ops hand them over (CSV or JSON), read and checked row by row.

Every bad row is said as `line N: what is wrong` (a Sentence, written where it is shown); good
rows are kept. A file that cannot be read whole (not UTF-8, a cell past the CSV limit, not JSON)
is refused whole, at the line where reading stopped: nothing of it is imported. Plain functions
over text: no database, no Slack.

CSV columns (a header row; only `name` is required; unknown columns are refused):
name, aliases, domains, crm_id, helpdesk_id (any `<system>_id` column is an external id),
contract_value, currency, tier, renewal_date, region, timezone, language, csm, sponsor,
slack_connect_channel (its id), slack_connect_channel_name, health, contacts. Lists (aliases,
domains, contacts) are separated by `;`. JSON: a list of objects with the same keys (lists may
be JSON lists; external ids may also be an object under `external_ids`). A CSV cell the export
protected from spreadsheets ('=…, see domain.spreadsheet) is read as it was before.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assistant.domain.accounts import account_key
from assistant.domain.contacts import CUSTOMER_LANGUAGES, parse_contacts
from assistant.domain.money import parse_money
from assistant.domain.sentences import Problem, Sentence, joined, said
from assistant.domain.spreadsheet import unescaped

FIELDS = (
    "name",
    "aliases",
    "domains",
    "contract_value",
    "currency",
    "tier",
    "renewal_date",
    "region",
    "timezone",
    "language",
    "csm",
    "sponsor",
    "slack_connect_channel",
    "slack_connect_channel_name",
    "health",
    "contacts",
)
# A system's name (crm, helpdesk): its ids are the column `<system>_id`, so it must be one.
_SYSTEM = re.compile(r"^[a-z][a-z0-9]{0,38}$")
_EXTERNAL_ID = re.compile(r"^([a-z][a-z0-9]{0,38})_id$")
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,31}$")
_SLACK_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,31}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclass(frozen=True)
class AccountRow:
    """One good row: what the directory should say of this account."""

    line: int
    name: str
    key: str
    aliases: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    external_ids: dict[str, str] = field(default_factory=dict)
    contract_value: int | None = None
    currency: str | None = None
    tier: str | None = None
    renewal_on: date | None = None
    region: str | None = None
    tz: str | None = None
    language: str | None = None
    csm_id: str | None = None
    sponsor_id: str | None = None
    connect_channel_id: str | None = None
    connect_channel_name: str | None = None
    health: int | None = None
    contacts: tuple[dict[str, str], ...] = ()


class UnreadableFile(Problem):
    """The file cannot be read whole (`line N: why`): it is refused, nothing of it imported."""

    def __init__(self, line: int, *why: Sentence | str) -> None:
        super().__init__(at_line(line, *why))


def at_line(line: int, *why: Sentence | str) -> Sentence:
    """`line N: what is wrong`."""
    return joined(f"line {line}: ", *why)


def read_account_file(
    data: bytes, *, json_format: bool, default_currency: str, encoding: str | None = None
) -> tuple[list[AccountRow], list[Sentence]]:
    """A file's good rows and `line N: …` for each bad one; raises UnreadableFile when the file
    cannot be read whole (its encoding, its CSV, its JSON)."""
    text = decode_file(data, encoding)
    return _rows(_json_records(text) if json_format else _csv_records(text), default_currency)


def read_accounts(
    text: str, *, json_format: bool, default_currency: str
) -> tuple[list[AccountRow], list[Sentence]]:
    """The good rows and `line N: …` for each bad one (a row's line: its line in the file)."""
    try:
        records = _json_records(text) if json_format else _csv_records(text)
    except ValueError as exc:
        return [], [exc.sentence if isinstance(exc, Problem) else joined(str(exc))]
    return _rows(records, default_currency)


# Excel's "Save as" choices, by the first bytes they write.
_WORKBOOK = b"PK\x03\x04"  # .xlsx (a zip)
_UTF16 = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # "Unicode Text"
# Control characters no text file holds: bytes that decode as cp1252 yet mean it is not text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode_file(data: bytes, encoding: str | None = None) -> str:
    """The file's text: UTF-8 (with or without a BOM), or `encoding` when one is named. We never
    guess: in Windows-1252 any byte reads as some letter, so a guess would import the wrong
    letters silently. A file that is not UTF-8 is refused at the line of its first bad byte,
    naming the encoding it looks like (Excel's "CSV" is Windows-1252)."""
    if data.startswith(_WORKBOOK):
        raise UnreadableFile(1, said("account_rows.excel_workbook_not_csv_file_excel"))
    try:
        return data.decode(encoding or "utf-8-sig").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = f"0x{data[exc.start]:02X}"
        if encoding:
            problem = said("account_rows.file_not_encoding_byte_byte_line", encoding=encoding, byte=byte)
        elif data.startswith(_UTF16):
            problem = said("account_rows.file_utf_16_excel_unicode_text_not")
        elif _looks_like_cp1252(data):
            problem = said(
                "account_rows.file_not_utf_8_byte_byte_line_looks",
                byte=byte,
            )
        else:
            problem = said(
                "account_rows.file_not_utf_8_byte_byte_line_save",
                byte=byte,
            )
        raise UnreadableFile(line, problem) from None


def _looks_like_cp1252(data: bytes) -> bool:
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:  # cp1252 leaves five bytes undefined
        return False
    return not _CONTROL.search(text)


def _rows(
    records: list[tuple[int, dict[str, Any]]], default_currency: str
) -> tuple[list[AccountRow], list[Sentence]]:
    rows: list[AccountRow] = []
    problems: list[Sentence] = []
    for line, record in records:
        row, wrong = _row(line, record, default_currency)
        if wrong:
            problems.append(at_line(line, joined(*wrong, between="; ")))
        elif row is not None:
            rows.append(row)
    return rows, problems


def _csv_records(text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    start = 1  # the line the record being read starts on: where a cell that breaks the file opens
    try:
        header = [h.strip().lower() for h in next(reader, None) or []]
        if not header:
            raise UnreadableFile(1, "the file is empty: it needs a header row naming its columns")
        unknown = [h for h in header if h not in FIELDS and not _EXTERNAL_ID.match(h)]
        if unknown:
            raise UnreadableFile(
                1, f"unknown column(s): {', '.join(unknown)} (known: {', '.join(FIELDS)}, <system>_id)"
            )
        if "name" not in header:
            raise UnreadableFile(1, "the header has no `name` column")
        records = []
        start = reader.line_num + 1
        for cells in reader:
            if cells:  # a blank line is no row
                # A cell our export wrote as '=… (kept from spreadsheets) is read as it was.
                record: dict[str, Any] = {h: unescaped(c) for h, c in zip(header, cells, strict=False)}
                if len(cells) > len(header):
                    record["_extra"] = cells[len(header) :]
                records.append((reader.line_num, record))
            start = reader.line_num + 1
    except csv.Error as exc:
        # The reader cannot be trusted past this point (a quote left open swallows what follows):
        # the file is refused whole rather than imported in part.
        if "field larger than field limit" in str(exc):
            most = format(csv.field_size_limit(), ",")
            problem = said(
                "account_rows.cell_holds_more_than_most_characters",
                most=most,
            )
        else:
            problem = said("account_rows.not_readable_as_csv_reason_file", reason=str(exc))
        raise UnreadableFile(start, problem) from None
    return records


def _json_records(text: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(exc.lineno, f"not JSON ({exc.msg})") from None
    if not isinstance(data, list):
        raise UnreadableFile(1, "the file must hold a JSON list of accounts")
    # A JSON object's line: where it starts, counted from the text (json keeps no positions).
    starts = _object_lines(text)
    return [(starts[i] if i < len(starts) else i + 1, item) for i, item in enumerate(data)]


def _object_lines(text: str) -> list[int]:
    """The line each top-level object of a JSON list starts on."""
    lines, depth, line, in_string, escaped = [], 0, 1, False, False
    for char in text:
        if char == "\n":
            line += 1
        if in_string:
            escaped = not escaped and char == "\\"
            if char == '"' and not escaped:
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "[{":
            if char == "{" and depth == 1:
                lines.append(line)
            depth += 1
        elif char in "]}":
            depth -= 1
    return lines


def read_record(
    record: Any, default_currency: str, line: int = 1
) -> tuple[AccountRow | None, list[Sentence]]:
    """One account given as a mapping (a JSON object, the API's body): the row, or what is wrong
    (each `field: why`)."""
    return _row(line, record, default_currency)


def _row(line: int, record: Any, default_currency: str) -> tuple[AccountRow | None, list[Sentence]]:
    if not isinstance(record, dict):
        return None, [joined("an account must be an object")]
    # What is wrong: English for the operator and the API (a str), or a sentence translated.
    wrong: list[Sentence | str] = []
    if record.get("_extra"):
        wrong.append("more values than columns")
    if _holds_nul(record):
        # No database column takes one (PostgreSQL refuses the whole import over it).
        wrong.append(said("account_rows.value_holds_nul_character_which"))

    def text(name: str, most: int) -> str | None:
        value = record.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        value = " ".join(str(value).split())
        if len(value) > most:
            wrong.append(f"{name}: at most {most} characters")
            return None
        return value

    def listed(name: str) -> list[str]:
        value = record.get(name)
        if isinstance(value, list):
            # `;` separates a list in a cell, and so in the export: an item holding one is two
            # items here too, or what is exported would not import back as it was.
            return [" ".join(part.split()) for v in value for part in str(v).split(";") if part.strip()]
        return [part.strip() for part in str(value or "").split(";") if part.strip()]

    name = text("name", 200)
    if name is None:
        wrong.append("name: required")
    key = account_key(name or "")
    if name and not key:
        wrong.append("name: no letters or digits")
    external = {
        m[1]: str(v).strip()
        for k, v in record.items()
        if (m := _EXTERNAL_ID.match(str(k).strip().lower())) and str(v or "").strip()
    }
    given = record.get("external_ids")
    if isinstance(given, dict):
        for system, v in given.items():
            # The system names a column of the export (`crm_id`): a name that cannot be one
            # would be exported and never import back.
            folded = str(system).strip().lower()
            if not _SYSTEM.match(folded):
                wrong.append(
                    joined(
                        "external_ids: ",
                        said(
                            "account_rows.name_not_system_name_like_crm",
                            name=str(system)[:80],
                        ),
                    )
                )
            elif str(v or "").strip():
                external[folded] = str(v).strip()
    elif given is not None:
        wrong.append(joined("external_ids: ", said("account_rows.object_ids_system_like_crm_0015a")))
    if any(len(v) > 120 for v in external.values()):
        wrong.append("external ids: at most 120 characters")
    domains = [d.lower().removeprefix("www.") for d in listed("domains")]
    wrong += [f"domains: “{d}” is not a domain like acme.com" for d in domains if not _DOMAIN.match(d)]

    value, currency = None, text("currency", 3)
    if (amount := text("contract_value", 40)) is not None:
        try:
            money = parse_money(amount, (currency or default_currency).upper())
        except Problem as exc:
            wrong.append(joined("contract_value: ", exc.sentence))
        else:
            if money is not None:
                value, currency = int(money.amount), money.currency
    renewal = None
    if (renewal_text := text("renewal_date", 10)) is not None:
        try:
            renewal = date.fromisoformat(renewal_text)
        except ValueError:
            wrong.append(f"renewal_date: “{renewal_text}” is not a date like 2027-03-31")
    tz = text("timezone", 64)
    if tz is not None:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            wrong.append(f"timezone: “{tz}” is not a time zone like America/Sao_Paulo")
    language = text("language", 10)
    if language is not None:
        language = language.replace("-", "_")
        if language not in CUSTOMER_LANGUAGES:
            wrong.append(f"language: one of {', '.join(CUSTOMER_LANGUAGES)}")
    people = {}
    for role in ("csm", "sponsor"):
        who = text(role, 32)
        if who is not None and not _SLACK_USER.match(who):
            wrong.append(
                f"{role}: a Slack user id like U012ABCDEF (Slack: the person's profile, Copy member ID)"
            )
        people[role] = who
    channel = text("slack_connect_channel", 32)
    if channel is not None and not _SLACK_CHANNEL.match(channel):
        wrong.append("slack_connect_channel: a Slack channel id like C012ABCDEF")
    channel_name = text("slack_connect_channel_name", 80)
    if channel_name is not None:
        channel_name = channel_name.removeprefix("#")
        if channel is None:
            wrong.append("slack_connect_channel_name: give the channel's id too (slack_connect_channel)")
    health = None
    if (health_text := text("health", 10)) is not None:
        try:
            health = int(float(health_text))
        except (ValueError, OverflowError):  # "inf" reads as a float, yet is no score
            health = -1
        if not 0 <= health <= 100:
            wrong.append("health: a score from 0 to 100")
    contacts, contact_problems = parse_contacts(
        "\n".join(listed("contacts")), locale=language or "en", tz=tz or "UTC"
    )
    # Each said at the contacts' own line ("Line 2: …"): here the problem alone, the file's line first.
    wrong += [joined("contacts: ", _alone(p)) for p in contact_problems]
    if wrong:
        return None, [w if isinstance(w, Sentence) else joined(w) for w in wrong]
    assert name is not None
    aliases = tuple(dict.fromkeys(a for a in listed("aliases") if account_key(a) and account_key(a) != key))
    return (
        AccountRow(
            line=line,
            name=name,
            key=key,
            aliases=aliases,
            domains=tuple(dict.fromkeys(domains)),
            external_ids=external,
            contract_value=value,
            currency=currency.upper() if currency else None,
            tier=text("tier", 40),
            renewal_on=renewal,
            region=text("region", 40),
            tz=tz,
            language=language,
            csm_id=people["csm"],
            sponsor_id=people["sponsor"],
            connect_channel_id=channel,
            connect_channel_name=channel_name,
            health=health,
            contacts=tuple({"name": c.name, "email": c.email, "role": c.role} for c in contacts),
        ),
        [],
    )


def _alone(problem: Sentence) -> Sentence:
    """A contact's problem without its "Line N: " (parse_contacts' line, not the file's)."""
    inner = problem.value("problem")
    return inner if isinstance(inner, Sentence) else problem


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False

"""Accounts as CS ops hand them over (CSV or JSON), read and checked row by row.

Every bad row is said as `line N: what is wrong`; good rows are kept. Plain functions
over text: no database, no Slack.

CSV columns (a header row; only `name` is required; unknown columns are refused):
name, aliases, domains, crm_id, helpdesk_id (any `<system>_id` column is an external id),
contract_value, currency, tier, renewal_date, region, timezone, language, csm, sponsor,
slack_connect_channel (its id), slack_connect_channel_name, health, contacts. Lists (aliases,
domains, contacts) are separated by `;`. JSON: a list of objects with the same keys (lists may
be JSON lists; external ids may also be an object under `external_ids`).
"""

from __future__ import annotations

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


def read_accounts(
    text: str, *, json_format: bool, default_currency: str
) -> tuple[list[AccountRow], list[str]]:
    """The good rows and `line N: …` for each bad one (a row's line: its line in the file)."""
    try:
        records = _json_records(text) if json_format else _csv_records(text)
    except ValueError as exc:
        return [], [str(exc)]
    rows: list[AccountRow] = []
    problems: list[str] = []
    for line, record in records:
        row, wrong = _row(line, record, default_currency)
        if wrong:
            problems.append(f"line {line}: " + "; ".join(wrong))
        elif row is not None:
            rows.append(row)
    return rows, problems


def _csv_records(text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames:
        raise ValueError("line 1: the file is empty: it needs a header row naming its columns")
    header = [(h or "").strip().lower() for h in reader.fieldnames]
    unknown = [h for h in header if h not in FIELDS and not _EXTERNAL_ID.match(h)]
    if unknown:
        raise ValueError(
            f"line 1: unknown column(s): {', '.join(unknown)} (known: {', '.join(FIELDS)}, <system>_id)"
        )
    if "name" not in header:
        raise ValueError("line 1: the header has no `name` column")
    reader.fieldnames = header
    records = []
    for record in reader:
        extra = record.pop(None, None)  # type: ignore[call-overload]
        records.append((reader.line_num, {**record, **({"_extra": extra} if extra else {})}))
    return records


def _json_records(text: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"line {exc.lineno}: not JSON ({exc.msg})") from None
    if not isinstance(data, list):
        raise ValueError("line 1: the file must hold a JSON list of accounts")
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


def read_record(record: Any, default_currency: str, line: int = 1) -> tuple[AccountRow | None, list[str]]:
    """One account given as a mapping (a JSON object, the API's body): the row, or what is wrong."""
    return _row(line, record, default_currency)


def _row(line: int, record: Any, default_currency: str) -> tuple[AccountRow | None, list[str]]:
    if not isinstance(record, dict):
        return None, ["an account must be an object"]
    wrong: list[str] = []
    if record.get("_extra"):
        wrong.append("more values than columns")

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
            return [" ".join(str(v).split()) for v in value if str(v).strip()]
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
        if (m := _EXTERNAL_ID.match(k)) and str(v or "").strip()
    }
    if isinstance(record.get("external_ids"), dict):
        external |= {
            str(k): str(v).strip() for k, v in record["external_ids"].items() if str(v or "").strip()
        }
    if any(len(v) > 120 for v in external.values()):
        wrong.append("external ids: at most 120 characters")
    domains = [d.lower().removeprefix("www.") for d in listed("domains")]
    wrong += [f"domains: “{d}” is not a domain like acme.com" for d in domains if not _DOMAIN.match(d)]

    value, currency = None, text("currency", 3)
    if (amount := text("contract_value", 40)) is not None:
        try:
            money = parse_money(amount, (currency or default_currency).upper())
        except ValueError as exc:
            wrong.append(f"contract_value: {exc}")
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
        except ValueError:
            health = -1
        if not 0 <= health <= 100:
            wrong.append("health: a score from 0 to 100")
    contacts, contact_problems = parse_contacts(
        "\n".join(listed("contacts")), locale=language or "en", tz=tz or "UTC"
    )
    wrong += [f"contacts: {p.split(': ', 1)[-1]}" for p in contact_problems]
    if wrong:
        return None, wrong
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

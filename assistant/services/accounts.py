"""The account directory: upserted from imports (by external id, then by name), read for cases.

An import is one transaction: a row either lands whole or is reported (`line N: …`);
the rows around it land all the same. Rows that contradict each other (one external id under
two names, one name for two accounts) are all reported: which is right is for a person to say.
Health changes are kept as a history, so a trend (and a drop) can be read from it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assistant.content.i18n import _, current_locale
from assistant.database import session_scope
from assistant.domain.account_rows import AccountRow
from assistant.domain.accounts import account_key
from assistant.domain.judgement import JudgementRules
from assistant.domain.money import format_money
from assistant.domain.text import UserText
from assistant.models import (
    KEY_PREFIX,
    Account,
    AccountAlias,
    AccountExternalId,
    AffectedAccount,
    Escalation,
    HealthReading,
    utcnow,
)
from assistant.services.judgement import evaluate

# What an import may change on an account (the row's field -> the account's column).
_COLUMNS = (
    "name",
    "key",
    "contract_value",
    "currency",
    "tier",
    "renewal_on",
    "region",
    "tz",
    "language",
    "csm_id",
    "sponsor_id",
    "connect_channel_id",
    "connect_channel_name",
)
CHUNK = 900  # ids per IN (...): under SQLite's bound-parameter limit


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)
    # (account id, health before, health now) for each account whose health changed.
    health_changes: list[tuple[int, int | None, int]] = field(default_factory=list)
    # Concerns of the 24-hour judgement tier raised by this import (their CSMs are asked).
    raised: int = 0


def import_accounts(
    engine: sa.Engine,
    rows: Sequence[AccountRow],
    *,
    rules: JudgementRules,
    dry_run: bool = False,
    now: datetime | None = None,
) -> ImportReport:
    """Create or update each row's account; with `dry_run`, say what would change and change nothing.
    A health fall past `rules` (the practice's judgement) raises a concern."""
    now = now or utcnow()
    report = ImportReport()
    with Session(engine) as session:
        by_external = {
            (system, value): account_id
            for system, value, account_id in session.execute(
                sa.select(
                    col(AccountExternalId.system),
                    col(AccountExternalId.value),
                    col(AccountExternalId.account_id),
                )
            )
        }
        by_key: dict[str, int] = dict(session.execute(sa.select(col(Account.key), col(Account.id))).all())  # type: ignore[arg-type]
        targets: dict[int, AccountRow] = {}
        new: dict[str, AccountRow] = {}
        refused: dict[int, str] = {}  # by the row's place in the file
        placed: list[tuple[int, AccountRow, int | None]] = []  # the account each row updates; None: new
        for index, row in enumerate(rows):
            found = {by_external[(s, v)] for s, v in row.external_ids.items() if (s, v) in by_external}
            if len(found) > 1:
                refused[index] = f"line {row.line}: its external ids name {len(found)} different accounts"
                continue
            account_id = next(iter(found), None) or by_key.get(row.key)
            owner_of_name = by_key.get(row.key)
            if account_id is not None and owner_of_name not in (None, account_id):
                refused[index] = f"line {row.line}: another account is already called “{row.name}”"
                continue
            placed.append((index, row, account_id))
        refused |= _contradictions(placed)
        report.problems += [refused[index] for index in sorted(refused)]
        for index, row, account_id in placed:
            if index in refused:
                continue
            if account_id is None:
                new[row.key] = row  # the same name twice in a file: the later row wins
            else:
                targets[account_id] = row
        for account in _load(session, list(targets)):
            row = targets[account.id or 0]
            before = account.health
            if _apply(account, row, now):
                report.updated += 1
                session.add(account)
            else:
                report.unchanged += 1
            if row.health is not None and row.health != before:
                report.health_changes.append((account.id or 0, before, row.health))
        # New accounts in batches of plain rows: building 50,000 ORM objects costs more than the inserts.
        created: dict[int, AccountRow] = {}
        values = [_new_account(row, now) for row in new.values()]
        for start in range(0, len(values), 1000):
            inserted = session.execute(
                sa.insert(Account).returning(col(Account.id), col(Account.key)), values[start : start + 1000]
            )
            created |= {account_id: new[key] for account_id, key in inserted}
        report.created = len(created)
        report.health_changes += [
            (i, None, row.health) for i, row in created.items() if row.health is not None
        ]
        readings = [
            {"account_id": i, "at": now, "score": after, "source": "import"}
            for i, _, after in report.health_changes
        ]
        if readings:
            session.execute(sa.insert(HealthReading), readings)
        known = set(by_external)
        links = [
            {"account_id": account_id, "system": system, "value": value}
            for account_id, row in [*targets.items(), *created.items()]
            for system, value in row.external_ids.items()
            if (system, value) not in known
        ]
        if links:
            session.execute(sa.insert(AccountExternalId), links)
        _add_aliases(session, [*targets.items(), *created.items()])
        session.flush()
        # Only a fall across the threshold can raise anything here (signals come by their own way):
        # evaluating those few, not every account imported, keeps a 50,000-row import fast.
        below = rules.health_below
        falls = [
            i for i, before, after in report.health_changes if before is not None and before >= below > after
        ]
        report.raised = evaluate(session, falls, rules, now)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    return report


def _contradictions(placed: list[tuple[int, AccountRow, int | None]]) -> dict[int, str]:
    """The rows of a file that contradict each other, each with its problem (by its place): one
    external id under two names, or one name for two accounts (the account one row's ids find,
    and another account, or a new one). Letting the later row win would pick one silently, and
    keeping both would give two accounts one id, or one name: every row of them is refused."""
    by_id: dict[tuple[str, str], list[tuple[int, AccountRow]]] = defaultdict(list)
    by_name: dict[str, list[tuple[int, AccountRow, int | None]]] = defaultdict(list)
    for index, row, account_id in placed:
        for system, value in row.external_ids.items():
            by_id[(system, value)].append((index, row))
        by_name[row.key].append((index, row, account_id))
    refused: dict[int, str] = {}
    for (system, value), rows in by_id.items():
        if len(rows) < 2:  # the usual case: an id on one row
            continue
        for index, row in rows:
            other = next((o for _i, o in rows if o.key != row.key), None)
            if other is not None:
                column = system + "_id"
                refused.setdefault(
                    index,
                    f"line {row.line}: "
                    + _(
                        "accounts.column_value_also_line_line_under",
                        column=column,
                        value=value,
                        line=other.line,
                    ),
                )
    for named in by_name.values():
        if len(named) < 2:
            continue
        for index, row, account_id in named:
            other = next((o for _i, o, target in named if target != account_id), None)
            if other is not None:
                refused.setdefault(
                    index,
                    f"line {row.line}: "
                    + _(
                        "accounts.name_name_also_line_line_another",
                        name=row.name,
                        line=other.line,
                    ),
                )
    return refused


def alias_keys(row: AccountRow) -> set[str]:
    """The other keys an account is typed by: its aliases and domains, folded like names."""
    return {account_key(name) for name in [*row.aliases, *row.domains]} - {"", row.key}


def _add_aliases(session: Session, rows: list[tuple[int, AccountRow]]) -> None:
    """Index the rows' aliases and domains (new ones only: an import merges, never forgets)."""
    wanted = {(account_id, key) for account_id, row in rows for key in alias_keys(row)}
    if not wanted:
        return
    ids = sorted({account_id for account_id, _ in wanted})
    have: set[tuple[int, str]] = set()
    for start in range(0, len(ids), CHUNK):
        have |= {
            (account_id, key)
            for account_id, key in session.execute(
                sa.select(col(AccountAlias.account_id), col(AccountAlias.key)).where(
                    col(AccountAlias.account_id).in_(ids[start : start + CHUNK])
                )
            )
        }
    new = [{"account_id": account_id, "key": key} for account_id, key in sorted(wanted - have)]
    for start in range(0, len(new), 1000):
        session.execute(sa.insert(AccountAlias), new[start : start + 1000])


def _new_account(row: AccountRow, now: datetime) -> dict[str, Any]:
    return {
        **{column: getattr(row, column) for column in _COLUMNS},
        "aliases": list(row.aliases),
        "domains": list(row.domains),
        "external_ids": dict(row.external_ids),
        "contacts": [dict(c) for c in row.contacts],
        "health": row.health,
        "needs_review": False,
        "created_at": now,
        "updated_at": now,
    }


def _load(session: Session, ids: list[int]) -> Iterator[Account]:
    for start in range(0, len(ids), CHUNK):
        yield from session.exec(select(Account).where(col(Account.id).in_(ids[start : start + CHUNK])))


def _apply(account: Account, row: AccountRow, now: datetime) -> bool:
    """Make the account say what the row says (what the row leaves out stays); whether it changed."""
    changed = False
    for column in _COLUMNS:
        value = getattr(row, column)
        if value is not None and getattr(account, column) != value:
            setattr(account, column, value)
            changed = True
    merged: dict[str, Any] = {
        "aliases": list(dict.fromkeys([*account.aliases, *row.aliases])),
        "domains": list(dict.fromkeys([*account.domains, *row.domains])),
        "external_ids": {**account.external_ids, **row.external_ids},
        "contacts": _contacts(account.contacts, row.contacts),
    }
    for column, value in merged.items():
        if getattr(account, column) != value:
            setattr(account, column, value)
            changed = True
    if row.health is not None and account.health != row.health:
        account.health = row.health
        changed = True
    if changed:
        account.updated_at = now
        account.needs_review = False  # CS ops' own data now stands behind it
    return changed


def _contacts(have: list[dict[str, str]], given: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """Contacts merged by address (the file's words win)."""
    merged = {c["email"].lower(): c for c in have}
    merged |= {c["email"].lower(): dict(c) for c in given}
    return list(merged.values())


def export_accounts(engine: sa.Engine) -> Iterator[dict[str, Any]]:
    """Every account as an import row (the same columns: what is exported imports back, and
    exported again is the same file byte for byte)."""
    after = 0
    while True:
        with Session(engine) as session:
            page = list(
                session.exec(
                    select(Account).where(col(Account.id) > after).order_by(col(Account.id)).limit(1000)
                )
            )
        if not page:
            return
        for account in page:
            yield {
                "name": account.name,
                "aliases": "; ".join(account.aliases),
                "domains": "; ".join(account.domains),
                **{f"{system}_id": value for system, value in sorted(account.external_ids.items())},
                "contract_value": account.contract_value,
                "currency": account.currency,
                "tier": account.tier,
                "renewal_date": account.renewal_on.isoformat() if account.renewal_on else None,
                "region": account.region,
                "timezone": account.tz,
                "language": account.language,
                "csm": account.csm_id,
                "sponsor": account.sponsor_id,
                "slack_connect_channel": account.connect_channel_id,
                "slack_connect_channel_name": account.connect_channel_name,
                "health": account.health,
                "contacts": "; ".join(_contact_line(c) for c in account.contacts),
            }
        after = page[-1].id or 0


def _contact_line(contact: dict[str, str]) -> str:
    """A contact as the import reads it back: "Ana Souza <ana@acme.com.br>, CTO"; an address
    alone when that is all there is."""
    if not contact.get("name") and not contact.get("role"):
        return contact["email"]
    line = f"{contact.get('name', '')} <{contact['email']}>".lstrip()
    return line + (f", {contact['role']}" if contact.get("role") else "")


def health_history(engine: sa.Engine, account_id: int) -> list[tuple[datetime, int]]:
    with Session(engine) as session:
        return [
            (reading.at, reading.score)
            for reading in session.exec(
                select(HealthReading)
                .where(HealthReading.account_id == account_id)
                .order_by(col(HealthReading.at))
            )
        ]


def find_account(engine: sa.Engine, name_or_id: str) -> Account | None:
    """An account by SYSTEM:ID (crm:0015A), else by its name however typed."""
    system, _, value = name_or_id.partition(":")
    with Session(engine) as session:
        if value:
            link = session.exec(
                select(AccountExternalId).where(
                    AccountExternalId.system == system.strip().lower(),
                    AccountExternalId.value == value.strip(),
                )
            ).first()
            if link is not None:
                return session.get(Account, link.account_id)
        return account_named(session, name_or_id)


def listed(*columns: Any) -> sa.Select[Any]:
    """`columns` of the affected accounts' listings joined to their accounts, in the order they
    were listed: every read of a case's affected accounts starts here."""
    return (
        sa.select(*columns)
        .select_from(AffectedAccount)
        .join(Account, col(Account.id) == col(AffectedAccount.account_id))
        .order_by(col(AffectedAccount.id))
    )


def affected_accounts(case_id: int) -> sa.Select[Any]:
    """The other accounts a case's problem hits, in the order they were listed (a query)."""
    return listed(Account).where(col(AffectedAccount.escalation_id) == case_id)


def affected_of(engine: sa.Engine, case_id: int) -> list[Account]:
    """The other accounts a case's problem hits, in the order they were listed."""
    with Session(engine) as session:
        return list(session.scalars(affected_accounts(case_id)))


def untold_affected(engine: sa.Engine, case_id: int) -> list[tuple[int, Account]]:
    """The case's other affected accounts whose CSM has not been told yet: (listing id, account)."""
    with Session(engine) as session:
        return [
            (row_id, account)
            for row_id, account in session.execute(
                listed(AffectedAccount.id, Account).where(
                    col(AffectedAccount.escalation_id) == case_id, col(AffectedAccount.csm_told_at).is_(None)
                )
            )
        ]


def mark_csm_told(engine: sa.Engine, affected_id: int, at: datetime | None = None) -> None:
    with session_scope(engine) as session:
        session.execute(
            sa.update(AffectedAccount)
            .where(col(AffectedAccount.id) == affected_id)
            .values(csm_told_at=at or utcnow())
        )


def cases_with_untold_csms(engine: sa.Engine, older_than: datetime) -> list[int]:
    """Cases with an affected account listed a while ago whose CSM is still owed the news (the
    repair sweep runs their step again: a listing that raced with the step's last run)."""
    with Session(engine) as session:
        return list(
            session.exec(
                select(AffectedAccount.escalation_id)
                .where(
                    col(AffectedAccount.csm_told_at).is_(None),
                    col(AffectedAccount.added_at) < older_than,
                )
                .distinct()
            )
        )


def affected_names(engine: sa.Engine, case_ids: Sequence[int]) -> dict[int, list[str]]:
    """The other affected accounts' names of each case (one query for a page of cases)."""
    names: dict[int, list[str]] = {}
    ids = list(case_ids)
    with Session(engine) as session:
        for start in range(0, len(ids), CHUNK):
            for case_id, name in session.execute(
                listed(AffectedAccount.escalation_id, Account.name).where(
                    col(AffectedAccount.escalation_id).in_(ids[start : start + CHUNK])
                )
            ):
                names.setdefault(case_id, []).append(name)
    return names


def unknown(engine: sa.Engine, names: Sequence[str]) -> list[str]:
    """The names the directory does not know."""
    if not names:
        return []
    with Session(engine) as session:
        known = accounts_named(session, names)
    return [name for name in names if name not in known]


def accounts_named(session: Session, names: Sequence[str]) -> dict[str, Account]:
    """`account_named` for many names at once (a form's list of up to 50): two queries, not two
    a name, before the form's answer."""
    keys = {name: account_key(name) for name in names if account_key(name)}
    by_key = {a.key: a for a in session.exec(select(Account).where(col(Account.key).in_(set(keys.values()))))}
    rest = {key for key in keys.values() if key not in by_key}
    if rest:
        # An alias that only one account goes by.
        only_one = (
            sa.select(col(AccountAlias.key))
            .where(col(AccountAlias.key).in_(rest))
            .group_by(col(AccountAlias.key))
            .having(sa.func.count() == 1)
        )
        for key, account in session.execute(
            sa.select(col(AccountAlias.key), Account)
            .join(Account, col(Account.id) == col(AccountAlias.account_id))
            .where(col(AccountAlias.key).in_(only_one))
        ):
            by_key[key] = account
    return {name: by_key[key] for name, key in keys.items() if key in by_key}


def account_named(session: Session, name: str) -> Account | None:
    """The account by its name however typed, else by another name it goes by (an alias, a
    domain) when only one account goes by it."""
    return accounts_named(session, [name]).get(name)


EARLIER_WITHIN = timedelta(days=90)
EARLIER_ON_HOME = 3  # on a Home tab line, the most recent of them


def account_facts(engine: sa.Engine, case: Escalation, now: datetime | None = None) -> dict[str, Any] | None:
    """What the directory says of a case's account, for its card: value, tier, renewal, health and
    its trend, CSM, sponsor, the account's other escalations of the last 90 days, and the other
    accounts the problem hits with the value at risk in all."""
    now = now or utcnow()
    with Session(engine) as session:
        account = session.exec(select(Account).where(Account.key == case.account_key)).first()
        earlier = list(
            session.exec(
                select(Escalation)
                .where(
                    Escalation.account_key == case.account_key,
                    col(Escalation.id) != case.id,
                    col(Escalation.created_at) >= now - EARLIER_WITHIN,
                )
                .order_by(col(Escalation.created_at).desc())
                .limit(5)
            )
        )
        readings = _last_readings_of(session, [account.id or 0]).get(account.id or 0, []) if account else []
        affected = list(session.scalars(affected_accounts(case.id or 0)))
    if account is None and not earlier and not affected:
        return None
    locale = current_locale()
    return {
        **_facts_of(account, readings, now, locale),
        **_at_risk_of(
            (case.account_value, case.account_currency),
            [(a.contract_value, a.currency) for a in affected],
            locale,
        ),
        "affected": [
            {
                "name": UserText(a.name),
                "tier": UserText(a.tier) if a.tier else None,
                "value": format_money(a.contract_value, a.currency, locale),
            }
            for a in affected
        ],
        # A private case is counted by its key, never described (its channel, its summary).
        "earlier": [
            {
                "key": e.key,
                "summary": None if e.is_private else UserText(e.summary),
                "channel_id": None if e.is_private else e.channel_id,
                "status": e.status.value,
            }
            for e in earlier
        ],
        "earlier_days": EARLIER_WITHIN.days,
    }


def portfolio_facts(
    engine: sa.Engine, cases: Sequence[tuple[int, str]], now: datetime | None = None
) -> dict[int, dict[str, Any]]:
    """The account facts of a page of cases (id, account key), for the Home tab's lines: a few
    queries for the page, whatever its size."""
    now = now or utcnow()
    locale = current_locale()
    ids = [case_id for case_id, _ in cases]
    with Session(engine) as session:
        by_key = {
            a.key: a
            for a in session.exec(select(Account).where(col(Account.key).in_({key for _, key in cases})))
        }
        readings = _last_readings_of(session, [a.id or 0 for a in by_key.values()])
        others: dict[int, list[tuple[int | None, str | None]]] = {}
        for case_id, value, currency in session.execute(
            listed(AffectedAccount.escalation_id, Account.contract_value, Account.currency).where(
                col(AffectedAccount.escalation_id).in_(ids)
            )
        ):
            others.setdefault(case_id, []).append((value, currency))
        # The accounts' escalations of the last 90 days, newest first: each line names those
        # opened before its case.
        recent = list(
            session.execute(
                sa.select(
                    col(Escalation.id),
                    col(Escalation.account_key),
                    col(Escalation.is_private),
                    col(Escalation.channel_id),
                )
                .where(
                    col(Escalation.account_key).in_(list(by_key)),
                    col(Escalation.created_at) >= now - EARLIER_WITHIN,
                )
                .order_by(col(Escalation.id).desc())
            )
        )
    facts = {}
    for case_id, key in cases:
        account = by_key.get(key)
        if account is None:
            continue
        earlier = [row for row in recent if row[1] == key and row[0] < case_id][:EARLIER_ON_HOME]
        facts[case_id] = {
            **_facts_of(account, readings.get(account.id or 0, []), now, locale),
            **_at_risk_of((account.contract_value, account.currency), others.get(case_id, []), locale),
            # A private case by its key only.
            "earlier": [
                {"key": f"{KEY_PREFIX}{i}", "channel_id": None if private else channel}
                for i, _key, private, channel in earlier
            ],
        }
    return facts


def _last_readings_of(session: Session, account_ids: list[int]) -> dict[int, list[int]]:
    """Each account's last two health scores, the latest first: one query for a page of them."""
    if not account_ids:
        return {}
    latest = (
        sa.select(
            col(HealthReading.account_id),
            col(HealthReading.score),
            sa.func.row_number()
            .over(partition_by=col(HealthReading.account_id), order_by=col(HealthReading.at).desc())
            .label("rank"),
        )
        .where(col(HealthReading.account_id).in_(account_ids))
        .subquery()
    )
    readings: dict[int, list[int]] = {}
    for account_id, score in session.execute(
        sa.select(latest.c.account_id, latest.c.score).where(latest.c.rank <= 2).order_by(latest.c.rank)
    ):
        readings.setdefault(account_id, []).append(score)
    return readings


def _facts_of(account: Account | None, readings: list[int], now: datetime, locale: str) -> dict[str, Any]:
    return {
        "known": account is not None,
        "tier": UserText(account.tier) if account and account.tier else None,
        "value": format_money(account.contract_value, account.currency, locale) if account else None,
        "renewal_days": (account.renewal_on - now.date()).days if account and account.renewal_on else None,
        "health": account.health if account else None,
        "health_before": readings[1] if len(readings) > 1 else None,
        "csm_id": account.csm_id if account else None,
        "sponsor_id": account.sponsor_id if account else None,
    }


def _at_risk_of(
    own: tuple[int | None, str | None], others: list[tuple[int | None, str | None]], locale: str
) -> dict[str, Any]:
    """The contract value the problem puts at risk: the case's account and the others it hits."""
    return {
        "at_risk": at_risk([own, *others], locale) if others else None,
        "accounts_count": 1 + len(others),
    }


def at_risk(values: Sequence[tuple[int | None, str | None]], locale: str) -> str | None:
    """Contract values summed by currency ("$370,000 + R$800,000"); None when none is known."""
    totals: dict[str, int] = {}
    for amount, currency in values:
        if amount is not None:
            totals[currency or "USD"] = totals.get(currency or "USD", 0) + amount
    if not totals:
        return None
    return " + ".join(format_money(amount, currency, locale) or "" for currency, amount in totals.items())


def goes_by(account: Account, name: str) -> bool:
    """Whether the account is called `name` (its name, an alias or a domain), however typed."""
    key = account_key(name)
    return key == account.key or key in {account_key(n) for n in [*account.aliases, *account.domains]}


def suggest(engine: sa.Engine, typed: str, limit: int = 20) -> list[Account]:
    """Accounts whose name, an alias or a domain, however typed, starts with `typed` (the
    typeahead): names first. Keys are indexed and compared as a range, so 50,000 accounts cost
    an index seek each."""
    key = account_key(typed)
    if not key:
        return []

    def starting(column: Any) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]]:
        return col(column) >= key, col(column) < key + "\uffff"

    with Session(engine) as session:
        found = {
            a.id: a
            for a in session.exec(
                select(Account).where(*starting(Account.key)).order_by(col(Account.key)).limit(limit)
            )
        }
        if len(found) < limit:
            by_alias = session.exec(
                select(Account)
                .join(AccountAlias, col(AccountAlias.account_id) == col(Account.id))
                .where(*starting(AccountAlias.key))
                .order_by(col(AccountAlias.key))
                .limit(limit)
            )
            for account in by_alias:
                found.setdefault(account.id, account)
    return list(found.values())[:limit]

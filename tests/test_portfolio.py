"""The portfolio's rules as plain functions: what a leader sees, filtered and paged."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from assistant.content.registry import installed
from assistant.database import make_engine, migrate
from assistant.domain.portfolio import (
    CaseFacts,
    Filters,
    account_key,
    paginate,
    summarize,
    view_of,
    week_start,
)
from assistant.domain.practice import Category, Severity
from assistant.domain.status import Status
from assistant.models import CaseFollower, Escalation
from assistant.services.followers import followed_by
from assistant.services.portfolio import open_case_facts, portfolio_view

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def case(
    number: int,
    *,
    account: str = "Acme",
    category: Category = Category.TECHNICAL,
    severity: Severity = Severity.HIGH,
    status: Status = Status.ACKNOWLEDGED,
    due_in: timedelta | None = timedelta(hours=30),
    private: bool = False,
    owner: str = "U1",
    participants: frozenset[str] = frozenset(),
    age: timedelta = timedelta(days=1),
) -> CaseFacts:
    return CaseFacts(
        id=number,
        key=f"ESC-{number}",
        account=account,
        summary="s",
        category=category,
        severity=severity,
        status=status,
        owner_id=owner,
        created_at=NOW - age,
        promise=("due", NOW + due_in) if due_in is not None else None,
        is_private=private,
        participants=participants | {owner},
    )


def test_the_summary_counts_everything_and_names_only_what_the_viewer_may_see() -> None:
    cases = [
        case(1, status=Status.NEW, due_in=timedelta(hours=1), age=timedelta(days=9)),
        case(2, due_in=timedelta(hours=-2), category=Category.BUSINESS, severity=Severity.CRITICAL),
        case(3, due_in=timedelta(hours=23), account="Globex"),
        case(4, private=True, status=Status.NEW, age=timedelta(days=30), account="Secret"),
        case(5, status=Status.RESOLVED, due_in=None),
    ]
    breaches = [cases[1], cases[1], cases[3]]
    seen = summarize(cases, viewer="U9", filters=Filters(), now=NOW, breaches=breaches)
    assert seen.open_count == 5 and seen.restricted == 1
    assert seen.by_category == {Category.TECHNICAL: 4, Category.BUSINESS: 1}
    assert seen.by_severity == {Severity.HIGH: 4, Severity.CRITICAL: 1}
    assert [c.id for c in seen.unacknowledged] == [1]  # the private one is counted, not listed
    assert [c.id for c in seen.due_soon] == [1, 3]
    assert [c.id for c in seen.overdue] == [2]
    assert seen.breaches_this_week == 3
    assert seen.oldest is not None and seen.oldest.id == 1  # the older private case is not named
    assert [c.id for c in seen.cases] == [2, 1, 3, 5]  # soonest promise first, none last
    assert seen.accounts == ["Acme", "Globex"]

    insider = summarize(cases, viewer="U1", filters=Filters(), now=NOW, breaches=breaches)
    assert insider.restricted == 0 and insider.oldest is not None and insider.oldest.id == 4


def test_filters_apply_to_every_figure_and_survive_bad_saved_values() -> None:
    cases = [case(1), case(2, category=Category.BUSINESS, account=" ACME  "), case(3, account="Globex")]
    by_account = Filters(account=account_key("acme"))
    seen = summarize(cases, viewer="U1", filters=by_account, now=NOW, breaches=[cases[2]])
    assert [c.id for c in seen.cases] == [1, 2] and seen.breaches_this_week == 0
    practice = installed().practice
    both = by_account.with_value("category", "business", practice)
    assert [c.id for c in summarize(cases, viewer="U1", filters=both, now=NOW, breaches=[]).cases] == [2]
    assert Filters.from_dict(
        {"category": "no-such", "severity": "high", "owner_id": ""}, practice
    ) == Filters(severity=Severity.HIGH)
    assert not Filters().active and both.active


def test_pages_and_week_start() -> None:
    items = [case(n) for n in range(23)]
    assert [len(paginate(items, n, 10).items) for n in range(3)] == [10, 10, 3]
    past_the_end = paginate(items, 9, 10)
    assert past_the_end.number == 2 and past_the_end.count == 3
    assert paginate([], 0, 10).count == 1
    # Monday 00:00 UTC is Monday morning in Tokyo but still Sunday evening in New York.
    monday = NOW + timedelta(hours=12)
    tokyo, new_york = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/New_York")
    assert week_start(monday, tokyo) == datetime(2026, 11, 23, tzinfo=tokyo)
    assert week_start(monday, new_york) == datetime(2026, 11, 16, tzinfo=new_york)
    assert account_key("  Société   Générale ") == "societe generale"


def test_the_database_computes_the_same_portfolio_as_the_rules(database_url: str) -> None:
    """portfolio_view (counts and pages in SQL) equals the rules applied to every open case."""
    engine = make_engine(database_url)
    migrate(engine)
    rng = random.Random(7)
    people = ["U1", "U2", "U3", "U4"]
    now = datetime.now(UTC).replace(microsecond=0)
    rows = []
    for n in range(1, 121):
        status = rng.choice(list(Status))
        rows.append(
            {
                "id": n,
                "account_name": rng.choice(["Acme", "ACME  ", "Globex", "Initech", "Umbrella Co"]),
                "summary": f"case {n}",
                "description": "-",
                "category": rng.choice(installed().practice.categories).value,
                "severity": rng.choice(installed().practice.severities).value,
                "triggers": [],
                "is_private": rng.random() < 0.3,
                "owner_id": rng.choice(people),
                "reporter_id": rng.choice(people),
                "stakeholder_ids": rng.sample(people, rng.randrange(3)),
                "links": [],
                "status": status.value,
                "created_at": now - timedelta(hours=rng.randrange(1, 500)),
                "updated_at": now,
                "ack_due_at": now + timedelta(hours=rng.uniform(-10, 40)),
                "next_update_due_at": now + timedelta(hours=rng.uniform(-10, 40))
                if rng.random() < 0.8
                else None,
                "rca_due_at": now + timedelta(hours=rng.uniform(-10, 40)) if rng.random() < 0.5 else None,
                "promises_made": 0,
                "promises_kept": 0,
                "sponsorship_requested": False,
            }
        )
    with engine.begin() as connection:
        connection.execute(sa.insert(Escalation), rows)
        connection.execute(
            sa.insert(CaseFollower),
            [
                {"escalation_id": i, "user_id": "U9", "followed_at": now, "invited_by_app": False}
                for i in (4, 8, 15)
            ],
        )
    everything = open_case_facts(engine)
    for viewer in ["U1", "U9", "UOUTSIDER"]:
        followed = set(followed_by(engine, viewer))
        for filters in [
            Filters(),
            Filters(category=Category.TECHNICAL),
            Filters(account=account_key("acme")),
        ]:
            for page in (0, 1, 7):
                rules = view_of(
                    summarize(everything, viewer=viewer, filters=filters, now=now, breaches=[]),
                    page=page,
                    size=10,
                    lines=8,
                )
                database = portfolio_view(
                    engine,
                    viewer=viewer,
                    followed=followed,
                    filters=filters,
                    now=now,
                    breaches=[],
                    page=page,
                    size=10,
                    lines=8,
                )
                assert database == rules, (viewer, filters, page)
    engine.dispose()

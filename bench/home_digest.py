"""The Home tab and the weekly digest at scale, against the Slack stand-in. Prints numbers; asserts nothing.

    python bench/home_digest.py [--database-url URL]   (default: SQLite, then PostgreSQL if reachable)

With 10,000 cases in the database (500 open, 50 of them owned by one person; a year
of timeline: ~53,000 events, 1,900 RCAs; their 800 accounts in the directory, each line of the
Home tab showing its account), it measures:
1. building and publishing the Home tab (views.publish to the stand-in) for that owner
   and for an escalation manager, who also gets the portfolio;
2. computing the weekly digest from the timeline, and rendering its chart.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from common import fresh, on_each_database, percentile

from assistant.components import create_components
from assistant.content.registry import installed
from assistant.domain.account_rows import read_accounts
from assistant.domain.portfolio import Filters
from assistant.models import CaseEvent, CaseFollower, Escalation, RootCauseAnalysis, Sponsorship
from assistant.rendering.chart import digest_chart
from assistant.services.accounts import import_accounts
from slack_standin import StandIn
from tests.harness import CSM, EXEC, MANAGER, OWNER, make_settings, seed_workspace

CASES, OPEN, OWNED = 10_000, 500, 50
RUNS = 30


def seed(engine: sa.Engine, now: datetime) -> None:
    rng = random.Random(42)
    cases, events, rcas = [], [], []
    for n in range(1, CASES + 1):
        created = now - timedelta(days=rng.uniform(0, 365))
        is_open = n > CASES - OPEN
        status = rng.choice(["new", "acknowledged", "acknowledged", "resolved"]) if is_open else "closed"
        owner = OWNER if is_open and n > CASES - OWNED else f"U0OWNER{n % 200:03d}"
        ack = created + timedelta(minutes=rng.uniform(10, 240))
        cases.append(
            {
                "id": n,
                "account_name": f"Account {rng.randrange(800)}",
                "summary": f"Case {n}",
                "description": "Bench",
                "category": installed().practice.categories[n % 4].value,
                "severity": installed().practice.severities[n % 4].value,
                "triggers": [],
                "is_private": n % 25 == 0,
                "owner_id": owner,
                "reporter_id": CSM,
                "stakeholder_ids": [EXEC] if n % 3 == 0 else [],
                "links": [],
                "status": status,
                "created_at": created,
                "updated_at": created,
                "ack_due_at": created + timedelta(hours=2),
                "next_update_due_at": now + timedelta(hours=rng.uniform(-4, 30))
                if status == "acknowledged"
                else None,
                "rca_due_at": now + timedelta(days=3) if status == "resolved" else None,
                "promises_made": 0,
                "promises_kept": 0,
                "sponsorship_requested": False,
                "channel_id": f"C{n:010d}",
            }
        )
        events.append({"escalation_id": n, "at": created, "kind": "opened", "data": {}})
        if status == "new":
            continue
        events.append(
            {
                "escalation_id": n,
                "at": ack,
                "kind": "acknowledged",
                "data": {"promise_kept": ack < created + timedelta(hours=2)},
            }
        )
        events.append(
            {
                "escalation_id": n,
                "at": ack + timedelta(hours=20),
                "kind": "update_posted",
                "data": {"promise_kept": rng.random() < 0.85},
            }
        )
        if rng.random() < 0.1:
            events.append({"escalation_id": n, "at": ack + timedelta(hours=21), "kind": "breach", "data": {}})
        if status in {"resolved", "closed"}:
            resolved = ack + timedelta(days=rng.uniform(0.5, 6))
            events.append({"escalation_id": n, "at": resolved, "kind": "resolved", "data": {}})
            if status == "closed":
                events.append(
                    {"escalation_id": n, "at": resolved + timedelta(days=2), "kind": "closed", "data": {}}
                )
                if n % 5 == 0:
                    rcas.append(
                        {
                            "escalation_id": n,
                            "at": resolved + timedelta(days=1),
                            "author_id": owner,
                            "what_happened": "-",
                            "root_cause": "-",
                            "contributing_factors": "",
                            "customer_text": "-",
                            "cause_area": rng.choice(list(installed().practice.cause_areas)),
                        }
                    )
    open_ids = list(range(CASES - OPEN + 1, CASES + 1))
    with engine.begin() as connection:
        for table, rows in [(Escalation, cases), (CaseEvent, events), (RootCauseAnalysis, rcas)]:
            for start in range(0, len(rows), 2000):
                connection.execute(sa.insert(table), rows[start : start + 2000])
        connection.execute(
            sa.insert(CaseFollower),
            [
                {"escalation_id": i, "user_id": OWNER, "followed_at": now, "invited_by_app": True}
                for i in open_ids[:20]
            ],
        )
        connection.execute(
            sa.insert(Sponsorship),
            [
                {
                    "account_key": f"account {a}",
                    "account_name": f"Account {a}",
                    "sponsor_id": EXEC,
                    "enrolled_by": MANAGER,
                    "enrolled_at": now,
                }
                for a in range(40)
            ],
        )
        if engine.dialect.name == "postgresql":
            connection.execute(
                sa.text("SELECT setval('escalation_id_seq', (SELECT max(id) FROM escalation))")
            )
            connection.execute(sa.text("ANALYZE"))
    print(f"  seeded {len(cases)} cases ({OPEN} open), {len(events)} events, {len(rcas)} RCAs")
    # Every account in the directory, with a health history (two readings): each Home line reads it.
    for day, health in ((2, 70), (1, 45)):
        rows, _ = read_accounts(
            "name,contract_value,tier,csm,health,renewal_date\n"
            + "".join(
                f"Account {a},{(a % 50 + 1) * 5000},enterprise,{CSM},{health + a % 20},2027-03-01\n"
                for a in range(800)
            ),
            json_format=False,
            default_currency="USD",
        )
        import_accounts(engine, rows, rules=installed().practice.judgement, now=now - timedelta(days=day))
    print("  800 accounts in the directory, each with a health history")


def timed(call: object, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return times


def report(label: str, times: list[float]) -> None:
    print(
        f"  {label}: p50 {statistics.median(times):.0f} ms, p95 {percentile(times, 95):.0f} ms, "
        f"max {max(times):.0f} ms ({len(times)} runs)"
    )


def run(url: str) -> None:
    print(f"\n== {url.split('://')[0]}")
    engine = fresh(url)
    now = datetime.now(UTC)
    seed(engine, now)
    with StandIn() as standin:
        seed_workspace(standin.workspace)
        components = create_components(make_settings(standin, url), engine=engine)
        try:
            home = components.home
            for user, label in [
                (OWNER, "Home tab of an owner (50 open cases, 20 followed)"),
                (MANAGER, "Home tab of a manager (portfolio of 500)"),
            ]:
                home.publish(user)  # warm-up: caches, first connection
                report(f"{label}, build only", timed(lambda u=user: home.view(u, Filters(), 0), RUNS))
                report(f"{label}, build + views.publish", timed(lambda u=user: home.publish(u), RUNS))
                blocks = len(standin.workspace.home_views[user]["blocks"])
                print(f"    {blocks} blocks")
            poster = components.digest
            digest = poster.compute(now)
            report("weekly digest, compute", timed(lambda: poster.compute(now), 10))
            report("weekly digest, chart PNG", timed(lambda: digest_chart(digest), 5))
            print(
                f"    week: {digest.opened} opened, {digest.resolved} resolved, "
                f"{digest.promises_kept}/{digest.promises_made} promises on time, "
                f"{len(digest.repeat_accounts)} repeat accounts"
            )
        finally:
            components.close()
    engine.dispose()


if __name__ == "__main__":
    on_each_database(run, __doc__)

"""A year of history for the scale benchmarks, through the app's own tables, in bulk.

    python bench/seed.py [--cases 100000] [--open 10000] [--database-url URL]

Makes `--cases` cases (the newest `--open` still open), each with its ten
provisioning steps done, about eighteen timeline events, a status update, its
reminders (twenty pending for an open case, two sent for a closed one) and an
RCA for one closed case in five. Numbers are random but seeded: two runs make
the same data. Prints how long it took.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from common import fresh

from assistant.content.registry import installed
from assistant.domain.provisioning import STEP_EVENTS, Step
from assistant.models import (
    CaseEvent,
    Escalation,
    ProvisioningStep,
    Reminder,
    RootCauseAnalysis,
    StatusUpdate,
)

CHUNK = 2_000  # cases per batch of inserts: memory stays flat whatever the size
OWNERS = [f"U0OWN{i:05d}" for i in range(500)]
CSMS = [f"U0CSM{i:05d}" for i in range(300)]
PENDING_PER_OPEN = 20
BENCH_CSM = CSMS[0]
BENCH_MANAGER = "U0MGR0001"


def _case(rng: random.Random, n: int, is_open: bool, now: datetime) -> dict[str, Any]:
    # About 270 cases a day over a year; the open ones are the last two months' unfinished cases.
    created = now - timedelta(days=rng.uniform(0, 60 if is_open else 365))
    status = rng.choice(["new", "acknowledged", "acknowledged", "resolved"]) if is_open else "closed"
    return {
        "id": n,
        "account_name": f"Account {rng.randrange(4000)}",
        "summary": f"Case {n}: checkout errors",
        "description": "Seeded for the scale benchmarks.",
        "category": installed().practice.categories[n % 4].value,
        "severity": installed().practice.severities[n % 4].value,
        "triggers": [],
        "is_private": n % 25 == 0,
        "owner_id": rng.choice(OWNERS),
        "reporter_id": rng.choice(CSMS),
        "stakeholder_ids": [rng.choice(OWNERS)] if n % 3 == 0 else [],
        "links": [["ticket", f"https://support.example.com/t/{n}"]],
        "status": status,
        "created_at": created,
        "updated_at": created,
        "ack_due_at": created + timedelta(hours=2),
        "acknowledged_at": None if status == "new" else created + timedelta(minutes=rng.uniform(5, 150)),
        "next_update_due_at": now + timedelta(hours=rng.uniform(-4, 30))
        if status == "acknowledged"
        else None,
        "resolved_at": created + timedelta(days=rng.uniform(0.5, 6))
        if status in ("resolved", "closed")
        else None,
        "closed_at": created + timedelta(days=8) if status == "closed" else None,
        "rca_due_at": now + timedelta(days=3) if status == "resolved" else None,
        "promises_made": 3,
        "promises_kept": rng.choice([2, 3, 3]),
        "sponsorship_requested": False,
        "channel_id": f"C{n:010d}",
        "channel_name": f"esc-{n}-account",
        "card_ts": f"{n}.000100",
    }


def _history(rng: random.Random, case: dict[str, Any], now: datetime) -> Iterator[tuple[Any, dict[str, Any]]]:
    n, created = case["id"], case["created_at"]
    for step in Step:
        done = created + timedelta(seconds=2)
        yield ProvisioningStep, {"escalation_id": n, "step": step.value, "done_at": done, "attempts": 1}
        yield CaseEvent, {"escalation_id": n, "at": done, "kind": STEP_EVENTS[step], "data": {}}
    yield (
        CaseEvent,
        {"escalation_id": n, "at": created, "kind": "opened", "actor_id": case["reporter_id"], "data": {}},
    )
    acknowledged = case["acknowledged_at"]
    if acknowledged is not None:
        kept = acknowledged < case["ack_due_at"]
        yield (
            CaseEvent,
            {"escalation_id": n, "at": acknowledged, "kind": "acknowledged", "data": {"promise_kept": kept}},
        )
        for hours in (6, 20):
            at = acknowledged + timedelta(hours=hours)
            yield (
                CaseEvent,
                {"escalation_id": n, "at": at, "kind": "update_posted", "data": {"promise_kept": True}},
            )
        yield (
            StatusUpdate,
            {
                "escalation_id": n,
                "at": acknowledged + timedelta(hours=6),
                "author_id": case["owner_id"],
                "internal_text": "Rolled back the release.",
                "customer_text": "We found the cause and are fixing it.",
                "next_update_due_at": acknowledged + timedelta(hours=20),
            },
        )
        if rng.random() < 0.1:
            yield (
                CaseEvent,
                {"escalation_id": n, "at": acknowledged + timedelta(hours=21), "kind": "breach", "data": {}},
            )
    if case["resolved_at"] is not None:
        yield CaseEvent, {"escalation_id": n, "at": case["resolved_at"], "kind": "resolved", "data": {}}
    if case["closed_at"] is not None:
        yield CaseEvent, {"escalation_id": n, "at": case["closed_at"], "kind": "closed", "data": {}}
        for i in range(2):
            due = created + timedelta(minutes=105 + i)
            yield (
                Reminder,
                {
                    "escalation_id": n,
                    "kind": "ack",
                    "promise_at": case["ack_due_at"],
                    "due_at": due,
                    "state": "sent",
                    "sent_at": due,
                    "attempts": 1,
                },
            )
        if n % 5 == 0:
            yield (
                RootCauseAnalysis,
                {
                    "escalation_id": n,
                    "at": case["closed_at"],
                    "author_id": case["owner_id"],
                    "what_happened": "-",
                    "root_cause": "-",
                    "contributing_factors": "",
                    "customer_text": "-",
                    "cause_area": rng.choice(list(installed().practice.cause_areas)),
                },
            )
    else:
        for i in range(PENDING_PER_OPEN):
            promise = now + timedelta(hours=1 + i)
            yield (
                Reminder,
                {
                    "escalation_id": n,
                    "kind": "update",
                    "promise_at": promise,
                    "due_at": promise - timedelta(minutes=15),
                    "state": "pending",
                    "attempts": 0,
                },
            )


def seed(engine: sa.Engine, cases: int, open_cases: int, now: datetime | None = None) -> dict[str, int]:
    """Bulk-insert the history; returns how many rows went into each table."""
    now = now or datetime.now(UTC)
    rng = random.Random(42)
    counts: dict[str, int] = {}
    for start in range(1, cases + 1, CHUNK):
        batch = [
            _case(rng, n, n > cases - open_cases, now)
            for n in range(start, min(cases, start + CHUNK - 1) + 1)
        ]
        rows: dict[Any, list[dict[str, Any]]] = {}
        for case in batch:
            for table, row in _history(rng, case, now):
                rows.setdefault(table, []).append(row)
        with engine.begin() as connection:
            connection.execute(sa.insert(Escalation), batch)
            for table, table_rows in rows.items():
                # One statement per table needs the same keys in every row.
                keys = {key for row in table_rows for key in row}
                connection.execute(sa.insert(table), [dict.fromkeys(keys) | row for row in table_rows])
        counts["escalation"] = counts.get("escalation", 0) + len(batch)
        for table, table_rows in rows.items():
            counts[table.__tablename__] = counts.get(table.__tablename__, 0) + len(table_rows)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                sa.text("SELECT setval('escalation_id_seq', (SELECT max(id) FROM escalation))")
            )
        connection.execute(sa.text("ANALYZE"))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    engine = fresh(args.database_url)
    started = time.monotonic()
    counts = seed(engine, args.cases, args.open)
    print(
        f"seeded in {time.monotonic() - started:.0f} s (target < 120 s): "
        + ", ".join(f"{v:,} {k}" for k, v in counts.items())
    )


if __name__ == "__main__":
    main()

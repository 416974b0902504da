"""Reminder dispatch at scale, against the Slack stand-in. Prints numbers; asserts nothing.

    python bench/reminders.py [--database-url URL]   (default: SQLite, then PostgreSQL if reachable)

With 10,000 open cases and 20,000 pending reminders in the database:
1. the cost of one dispatcher tick when nothing is due (and the query plan it uses);
2. lateness of reminders falling due while the real scheduler runs (p50/p99 seconds after due);
3. reminders sent per second when 2,000 are due at once.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from common import fresh, on_each_database, percentile  # noqa: E402

from assistant.app import create_app  # noqa: E402
from assistant.domain.reminders import PromiseState, plan_reminders  # noqa: E402
from assistant.domain.status import Status  # noqa: E402
from assistant.jobs.scheduler import create_scheduler  # noqa: E402
from assistant.models import Escalation, Reminder  # noqa: E402
from slack_standin import StandIn  # noqa: E402
from tests.harness import CSM, OWNER, make_settings, seed_workspace  # noqa: E402


def store(
    url: str, engine: sa.Engine, channel_id: str, promises: list[datetime], policy: object, consistent: bool
) -> None:
    """Acknowledged cases promising an update at each time, with their reminders, in bulk."""
    now = datetime.now(UTC)

    def at(moment: datetime) -> datetime:
        return moment  # the column type stores aware UTC times itself

    with engine.begin() as connection:
        first = connection.execute(sa.select(sa.func.coalesce(sa.func.max(Escalation.id), 0))).scalar() or 0
        connection.execute(
            sa.insert(Escalation),
            [
                {
                    "account_name": f"Account {i}",
                    "summary": "Bench",
                    "description": "Bench",
                    "category": "technical",
                    "severity": "high",
                    "triggers": [],
                    "is_private": False,
                    "owner_id": OWNER,
                    "reporter_id": CSM,
                    "stakeholder_ids": [],
                    "links": [],
                    "status": "acknowledged",
                    "created_at": at(now),
                    "updated_at": at(now),
                    "ack_due_at": at(now),
                    "next_update_due_at": at(promise),
                    "channel_id": channel_id,
                    "card_ts": None,
                    "sponsorship_requested": False,
                    "promises_made": 0,
                    "promises_kept": 0,
                }
                for i, promise in enumerate(promises)
            ],
        )
        rows = []
        for offset, promise in enumerate(promises, start=first + 1):
            planned = plan_reminders(
                PromiseState(Status.ACKNOWLEDGED, now, promise, None, False, None, False), policy
            )  # type: ignore[arg-type]
            chosen = sorted(planned) if consistent else sorted(planned)[:2]
            rows += [
                {
                    "escalation_id": offset,
                    "kind": p.kind.value,
                    "promise_at": at(p.promise_at),
                    "due_at": at(p.due_at),
                    "state": "pending",
                    "attempts": 0,
                }
                for p in chosen
            ]
        connection.execute(sa.insert(Reminder), rows)


def run(url: str) -> None:
    engine = fresh(url)
    with StandIn() as standin:
        seed_workspace(standin.workspace)
        channel = standin.workspace.add_channel("bench-cases", members=[standin.workspace.bot_user_id])
        settings = make_settings(standin, url, escalations_feed_channel=None)
        _, components = create_app(settings)
        policy = components.reminder_policy
        dispatcher = components.reminders
        far = datetime.now(UTC) + timedelta(days=30)
        store(url, engine, channel.id, [far + timedelta(minutes=i) for i in range(10_000)], policy, False)
        with engine.connect() as connection:
            pending = connection.execute(
                sa.text("SELECT count(*) FROM reminder WHERE state='pending'")
            ).scalar()
            cases = connection.execute(sa.text("SELECT count(*) FROM escalation")).scalar()
        print(f"== {engine.dialect.name}: {cases} open cases, {pending} pending reminders")

        # 1. Idle tick: nothing due.
        for _ in range(20):
            dispatcher.tick()
        timings = []
        for _ in range(300):
            start = time.perf_counter()
            dispatcher.tick()
            timings.append((time.perf_counter() - start) * 1000)
        mean, p99 = statistics.mean(timings), percentile(timings, 99)
        print(f"idle tick (nothing due): mean {mean:.2f} ms, p99 {p99:.2f} ms")
        with engine.connect() as connection:
            explain = "EXPLAIN QUERY PLAN" if engine.dialect.name == "sqlite" else "EXPLAIN"
            plan = connection.execute(
                sa.text(
                    f"{explain} SELECT id FROM reminder WHERE (state = 'pending' OR (state = 'claimed'"
                    " AND claimed_until < CURRENT_TIMESTAMP)) AND due_at <= CURRENT_TIMESTAMP"
                    " ORDER BY due_at LIMIT 50"
                )
            ).all()
        print("  plan: " + " | ".join(str(row[-1]) for row in plan)[:200])

        # 2. Lateness with the real scheduler: 500 reminders falling due over the next 10 seconds.
        soon = datetime.now(UTC) + timedelta(seconds=3)
        promises = [soon + policy.update_before + timedelta(milliseconds=20 * i) for i in range(500)]
        store(url, engine, channel.id, promises, policy, True)
        scheduler = create_scheduler(components)
        scheduler.start()
        dispatcher.wake()
        deadline = time.monotonic() + 60
        with engine.connect() as connection:
            while time.monotonic() < deadline:
                sent = connection.execute(
                    sa.text("SELECT count(*) FROM reminder WHERE state='sent' AND kind='update_soon'")
                ).scalar()
                connection.commit()
                if sent == 500:
                    break
                time.sleep(0.2)
            late = [
                float(v)
                for (v,) in connection.execute(
                    sa.text("SELECT late_seconds FROM reminder WHERE state='sent' AND kind='update_soon'")
                )
            ]
        scheduler.shutdown(wait=True)
        print(
            f"lateness of {len(late)} reminders due while running: p50 {percentile(late, 50):.3f} s, "
            f"p99 {percentile(late, 99):.3f} s, max {max(late):.3f} s"
        )

        # 3. Throughput: 2,000 due at once, one dispatcher.
        past = datetime.now(UTC) - timedelta(minutes=1)
        store(
            url,
            engine,
            channel.id,
            [past + policy.update_before + timedelta(milliseconds=i) for i in range(2000)],
            policy,
            True,
        )
        calls_before = len(standin.workspace.calls)
        start = time.perf_counter()
        handled = dispatcher.tick()
        elapsed = time.perf_counter() - start
        posts = len(standin.workspace.calls) - calls_before
        print(
            f"throughput: {handled} reminders in {elapsed:.1f} s = {handled / elapsed:.0f} reminders/s "
            f"({posts} Slack calls: each goes to the case channel and the owner)"
        )
        components.close()
    engine.dispose()


if __name__ == "__main__":
    on_each_database(run, __doc__)

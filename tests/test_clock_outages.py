"""The promise clock survives its database going away: nothing lost, nothing sent twice.

A PostgreSQL cluster of the test's own is stopped at random moments (a crash,
as the app sees it) while reminders fall due, and started again. The clock must
keep ringing, /readyz must say 503 while the database is gone, and afterwards
every reminder must have reached the case channel and the owner exactly once.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from assistant.domain.reminders import ReminderKind
from assistant.jobs.scheduler import create_scheduler
from assistant.models import Escalation, utcnow
from assistant.services import reminders as table
from tests.harness import CSM, OWNER, Harness, start_harness, wait_for
from tests.stories import add_due_reminders
from tests.throwaway_postgres import ThrowawayPostgres, missing_reason

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(missing_reason() is not None, reason=str(missing_reason())),
]


@pytest.fixture
def cluster() -> Iterator[ThrowawayPostgres]:
    pg = ThrowawayPostgres()
    pg.start()
    yield pg
    pg.destroy()


def health(harness: Harness) -> tuple[int, dict[str, object]]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(harness.server.url + "/readyz", timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def deliveries(harness: Harness, reminder_id: int) -> dict[str, int]:
    """How many times the reminder reached the case channel and the owner's DM."""
    keys = {"channel": f"reminder:{reminder_id}:channel", "dm": f"reminder:{reminder_id}:dm:{OWNER}"}
    workspace = harness.workspace
    messages = [m for c in workspace.channels.values() for m in c.messages]
    return {
        where: sum((m.metadata or {}).get("event_payload", {}).get("delivery") == key for m in messages)
        for where, key in keys.items()
    }


def test_reminders_keep_their_promise_through_database_outages(cluster: ThrowawayPostgres) -> None:
    seed = int(os.environ.get("OUTAGE_SEED") or time.time())
    chance = random.Random(seed)
    harness = start_harness(cluster.url, reminder_lease_seconds=5, repair_interval_seconds=1)
    scheduler = create_scheduler(harness.components)
    scheduler.start()
    try:
        cases = [harness.escalate(CSM) for _ in range(3)]
        # Reminders falling due over the next 40 s (snoozes, so they stand whatever the plan).
        start = utcnow()
        for case in cases:
            add_due_reminders(
                harness.components.engine,
                case,
                [start + timedelta(seconds=2 + step * 5 + chance.random() * 3) for step in range(8)],
            )
        harness.components.reminders.wake()

        seen_unavailable: list[dict[str, object]] = []

        def outages() -> None:
            # Four short outages at random moments, then one long one.
            for length in [chance.uniform(2, 4) for _ in range(4)] + [25.0]:
                time.sleep(chance.uniform(0.5, 6))
                cluster.stop("immediate")
                if length > 10:
                    time.sleep(3)
                    status, body = health(harness)
                    if status == 503:
                        seen_unavailable.append(body)
                time.sleep(length)
                cluster.start()

        breaker = threading.Thread(target=outages)
        breaker.start()
        breaker.join(timeout=120)
        snoozed = [
            r
            for case in cases
            for r in table.reminders_of(harness.components.engine, case.id or 0)
            if r.kind == ReminderKind.SNOOZED
        ]
        assert len(snoozed) == 24
        wait_for(
            lambda: all(
                r.state == table.SENT
                for case in cases
                for r in table.reminders_of(harness.components.engine, case.id or 0)
                if r.kind == ReminderKind.SNOOZED
            ),
            # The requirement: recovered by itself within 30 s of the database coming back.
            timeout=30,
            what=f"every reminder to be sent after the database came back (seed {seed})",
        )

        assert scheduler.running and scheduler._thread is not None and scheduler._thread.is_alive()
        counts = {r.id: deliveries(harness, r.id or 0) for r in snoozed}
        assert all(c == {"channel": 1, "dm": 1} for c in counts.values()), (seed, counts)
        # While the database was gone, /readyz said so.
        assert seen_unavailable and seen_unavailable[0]["database"] == "unreachable", seen_unavailable
        status, body = health(harness)
        assert (status, body["database"]) == (200, "ok"), body
    finally:
        scheduler.shutdown(wait=True)
        harness.stop()


def test_a_case_being_opened_when_the_database_crashes_is_finished_once(cluster: ThrowawayPostgres) -> None:
    # A long lease: only giving the case back (not the lease running out) can finish it in time.
    harness = start_harness(cluster.url, provisioning_lease_seconds=120, repair_interval_seconds=1)
    scheduler = create_scheduler(harness.components)
    scheduler.start()
    try:
        workspace = harness.workspace
        workspace.slow("conversations.create", 3)  # Slack creates the channel, then answers late
        view_id = harness.open_intake(CSM)
        assert harness.submit_intake(view_id, CSM).status == 200
        wait_for(lambda: workspace.calls_to("conversations.create"), what="the channel to be asked for")
        cluster.stop("immediate")  # ...and the database is gone when the answer comes
        time.sleep(6)
        cluster.start()
        # The requirement: finished by itself within 30 s of the database coming back.
        case = wait_for(
            lambda: _opened(harness, view_id), timeout=30, what="the case to be finished after the outage"
        )
        channels = workspace.case_channels()
        assert [c.id for c in channels] == [case.channel_id]
        assert len([m for m in workspace.dm_messages(OWNER) if "You own" in m.text]) == 1
        assert len([m for m in harness.feed.messages if "New escalation" in m.text]) == 1
    finally:
        scheduler.shutdown(wait=True)
        harness.stop()


def _opened(harness: Harness, view_id: str) -> Escalation | None:
    from assistant.services import provisioning as records

    try:
        case = harness.case_by_view(view_id)
        return case if case and not records.pending_steps(harness.components.engine, case.id or 0) else None
    except sa.exc.SQLAlchemyError:  # the database may still be starting
        return None

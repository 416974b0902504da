"""Faults while work flows: random database outages and Slack time-outs. Prints counts; asserts nothing.

    python bench/faults.py [--cases 12] [--outages 6] [--slack-timeouts 15] [--seed N]

The real app (in this process, its clock running) works against a PostgreSQL
cluster of its own, which is stopped (a crash, as the app sees it) at random
moments, and against the Slack stand-in, which answers some calls too late for
the client (the work is done, the answer lost). Meanwhile cases are opened
and their reminders fall due. At the end every effect people see is counted:
target, zero lost and zero duplicated.
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import sqlalchemy as sa
from common import ROOT  # noqa: F401 - puts the project on sys.path

from assistant.jobs.scheduler import create_scheduler
from assistant.models import utcnow
from assistant.services import provisioning as records
from assistant.services import reminders as table
from tests.harness import CSM, OWNER, start_harness, wait_for
from tests.stories import add_due_reminders
from tests.throwaway_postgres import ThrowawayPostgres, missing_reason

T = TypeVar("T")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=12)
    parser.add_argument("--outages", type=int, default=6)
    parser.add_argument("--slack-timeouts", type=int, default=15)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    if missing_reason():
        raise SystemExit(str(missing_reason()))
    seed = args.seed if args.seed is not None else int(time.time())
    chance = random.Random(seed)
    cluster = ThrowawayPostgres()
    cluster.start()
    harness = start_harness(
        cluster.url, slack_timeout_seconds=2, reminder_lease_seconds=5, repair_interval_seconds=1
    )
    scheduler = create_scheduler(harness.components)
    scheduler.start()
    engine = harness.components.engine
    workspace = harness.workspace
    opened: list[int] = []
    reminder_ids: list[int | None] = []
    stop = threading.Event()

    def break_things() -> None:
        for _ in range(args.outages):
            if stop.wait(chance.uniform(2, 8)):
                return
            cluster.stop("immediate")
            time.sleep(chance.uniform(1, 6))
            cluster.start()

    def slow_slack() -> None:
        for _ in range(args.slack_timeouts):
            if stop.wait(chance.uniform(0.5, 3)):
                return
            method = chance.choice(["chat.postMessage", "conversations.create", "bookmarks.add"])
            workspace.slow(method, 3)  # the client gives up after 2 s; Slack did the work

    breakers = [threading.Thread(target=break_things), threading.Thread(target=slow_slack)]
    for thread in breakers:
        thread.start()
    started = time.monotonic()
    try:
        for index in range(args.cases):
            for _ in range(30):  # the CSM tries again if the database is down when they submit
                view_id = harness.open_intake(CSM)
                response = harness.submit_intake(view_id, CSM, summary=f"Outage {index}")
                if response.status == 200 and not response.body:
                    break
                time.sleep(1)
            case = wait_for(lambda v=view_id: _safe(lambda: harness.case_by_view(v)), 60, "the case")
            opened.append(case.id or 0)
            assert case.ack_due_at is not None
            add_due_reminders(engine, case, [utcnow() + timedelta(seconds=3 + step * 4) for step in range(2)])
            time.sleep(chance.uniform(0.2, 1.5))
        for thread in breakers:
            thread.join()

        def settled() -> bool:
            for case_id in opened:
                if records.pending_steps(engine, case_id):
                    harness.components.provisioner.repair()
                    return False
                if any(
                    r.state != table.SENT for r in table.reminders_of(engine, case_id) if r.kind == "snoozed"
                ):
                    return False
            return True

        wait_for(lambda: _safe(settled), timeout=180, what="everything to settle")
        elapsed = time.monotonic() - started
        reminder_ids = [
            r.id for case_id in opened for r in table.reminders_of(engine, case_id) if r.kind == "snoozed"
        ]
    finally:
        stop.set()
        scheduler.shutdown(wait=True)
        harness.stop()
        cluster.destroy()

    counts: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    duplicated: Counter[str] = Counter()
    channels = workspace.case_channels()
    messages = [m for c in workspace.channels.values() for m in c.messages]
    deliveries = Counter(str((m.metadata or {}).get("event_payload", {}).get("delivery")) for m in messages)
    expected: list[tuple[str, str]] = []
    for case_id in opened:
        expected += [
            ("channel card", f"case:{case_id}:card"),
            ("owner DM", f"case:{case_id}:owner_dm"),
            ("feed post", f"case:{case_id}:feed"),
        ]
    for reminder_id in reminder_ids:
        expected += [
            ("reminder in channel", f"reminder:{reminder_id}:channel"),
            ("reminder DM", f"reminder:{reminder_id}:dm:{OWNER}"),
        ]
    for what, key in expected:
        counts[what] += 1
        seen = deliveries.get(key, 0)
        lost[what] += seen == 0
        duplicated[what] += max(0, seen - 1)
    names = Counter(c.name.split("-")[1] for c in channels)
    counts["case channel"] = len(opened)
    duplicated["case channel"] = sum(n - 1 for n in names.values() if n > 1)
    lost["case channel"] = len(opened) - len(names)
    bookmarks = sum(len(c.bookmarks) for c in channels)
    counts["bookmark"] = len(opened)
    duplicated["bookmark"] = max(0, bookmarks - len(opened))
    lost["bookmark"] = max(0, len(opened) - bookmarks)
    print(
        f"seed {seed}: {len(opened)} cases, {args.outages} database outages, "
        f"{args.slack_timeouts} Slack time-outs"
    )
    print(f"everything settled after {elapsed:.0f} s")
    print(f"{'effect':22} {'expected':>8} {'lost':>6} {'twice+':>7}   (target: 0 lost, 0 duplicated)")
    for what in sorted(counts):
        print(f"{what:22} {counts[what]:>8} {lost[what]:>6} {duplicated[what]:>7}")
    print(f"total lost {sum(lost.values())}, total duplicated {sum(duplicated.values())}")


def _safe(check: Callable[[], T]) -> T | None:
    """A check made while the database may be down: 'not yet' instead of an error."""
    try:
        return check()
    except sa.exc.SQLAlchemyError:
        return None


if __name__ == "__main__":
    main()

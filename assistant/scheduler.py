"""The clock for background work (APScheduler 3): only a clock, the truth is in our tables.

Jobs live in memory with fixed ids, so a restart re-creates them instead of
multiplying them, and no Slack client or token is ever pickled anywhere.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from assistant.components import Components

logger = logging.getLogger(__name__)

REPAIR_JOB_ID = "repair-provisioning"
REMINDER_JOB_ID = "dispatch-reminders"


def create_scheduler(components: Components) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        components.provisioner.repair,
        "interval",
        seconds=components.settings.repair_interval_seconds,
        id=REPAIR_JOB_ID,
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        # First run at start-up: finish what a crash or an outage left half done.
        next_run_time=datetime.now(UTC),
    )
    dispatcher = components.reminders

    def dispatch_reminders() -> None:
        dispatcher.tick()
        wake_at(dispatcher.next_wake())

    def wake_at(moment: datetime) -> None:
        """Ring at `moment` unless the clock already rings sooner."""
        job = scheduler.get_job(REMINDER_JOB_ID)
        if job is not None and (job.next_run_time is None or moment < job.next_run_time):
            job.modify(next_run_time=moment)

    # One job, fixed id: it wakes at the next due reminder, and at least every 30 seconds.
    scheduler.add_job(
        dispatch_reminders,
        "interval",
        seconds=30,
        id=REMINDER_JOB_ID,
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        next_run_time=datetime.now(UTC),
    )
    dispatcher.wake_up = wake_at
    return scheduler

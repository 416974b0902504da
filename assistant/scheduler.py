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
    return scheduler

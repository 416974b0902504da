"""The clock for background work (APScheduler 3): only a clock, the truth is in our tables.

Jobs live in memory with fixed ids, so a restart re-creates them instead of
multiplying them, and no Slack client or token is ever pickled anywhere.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from assistant.components import Components
from assistant.jobs import step_runs
from assistant.jobs.personal_reminders import EVERY_SECONDS as PERSONAL_REMINDERS_EVERY_SECONDS
from assistant.jobs.reminders import CLOCK, ReminderDispatcher
from assistant.jobs.supervision import Supervisor
from assistant.slack.client import OUTAGE_ERRORS

logger = logging.getLogger(__name__)

REPAIR_JOB_ID = "repair-provisioning"
REMINDER_JOB_ID = "dispatch-reminders"
DIGEST_JOB_ID = "weekly-digest"
DIGEST_CATCH_UP_JOB_ID = "weekly-digest-catch-up"
ACTION_ITEMS_JOB_ID = "action-items"
ACTION_ITEMS_EVERY_SECONDS = 60
PERSONAL_REMINDERS_JOB_ID = "personal-reminders"
JUDGEMENT_JOB_ID = "judgement"
JUDGEMENT_EVERY_SECONDS = 60


class NextReminderTrigger(BaseTrigger):  # type: ignore[misc]
    """Fires when the earliest pending reminder falls due (at least every 30 seconds).

    It runs inside APScheduler's own loop, where an exception kills the scheduler
    thread for good: so it reads only what the last tick left in memory, never
    the database.
    """

    def __init__(self, dispatcher: ReminderDispatcher) -> None:
        self.dispatcher = dispatcher

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime:
        moment = self.dispatcher.planned_wake(now)
        if previous_fire_time is not None and moment <= previous_fire_time:
            # Still due right after a run (a failing send): do not spin.
            return now + timedelta(seconds=1)
        return moment


def guarded(
    name: str, job: Callable[[], object], supervisor: Supervisor, every_seconds: float
) -> Callable[[], None]:
    """A supervised job: a database or Slack failure is one line and the next run tries again; any
    other exception is logged with where it was raised (never its text) and tried again too. A
    job that has not completed a run in two intervals shows on the health check, by name."""
    loop = name.replace(" ", "-")
    supervisor.watch(loop, every_seconds=every_seconds)

    def run() -> None:
        try:
            job()
        except OUTAGE_ERRORS as exc:
            logger.warning("%s failed (%s); it runs again at its next turn", name, type(exc).__name__)
        except Exception as exc:
            supervisor.pass_failed(loop, exc)
        else:
            supervisor.progress(loop)

    run.__name__ = loop
    return run


def create_scheduler(components: Components) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=UTC)
    components.heartbeat.expect(CLOCK)
    supervisor = components.supervisor

    def every(name: str, job_id: str, job: Callable[[], object], seconds: float, *, now: bool = True) -> None:
        """A supervised job every `seconds` (the first run at start-up, unless `now` is False)."""
        scheduler.add_job(
            guarded(name, job, supervisor, seconds),
            "interval",
            seconds=seconds,
            id=job_id,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            **({"next_run_time": datetime.now(UTC)} if now else {}),
        )

    # First run at start-up: finish what a crash or an outage left half done.
    every(
        "repair sweep",
        REPAIR_JOB_ID,
        components.provisioner.repair,
        components.settings.repair_interval_seconds,
    )
    # RCA action items are due by the day: a look every minute is soon enough.
    every("action items", ACTION_ITEMS_JOB_ID, components.action_items.sweep, ACTION_ITEMS_EVERY_SECONDS)
    # Signals of the 24-hour judgement tier, raised by an import or the API: asked within a minute.
    every("judgement", JUDGEMENT_JOB_ID, components.judgement.sweep, JUDGEMENT_EVERY_SECONDS)
    # Personal reminders asked for in chat: a few seconds late at most is on time for a person.
    every(
        "personal reminders",
        PERSONAL_REMINDERS_JOB_ID,
        components.personal_reminders.sweep,
        PERSONAL_REMINDERS_EVERY_SECONDS,
    )
    # Workflow Builder step runs that never finished (the app stopped mid-run): failed, said so.
    every(
        "workflow step runs",
        "workflow-step-runs",
        partial(step_runs.fail_stale_runs, components.engine, components.client),
        step_runs.EVERY_SECONDS,
        now=False,
    )
    dispatcher = components.reminders

    def wake_at(moment: datetime) -> None:
        """Ring at `moment` unless the clock already rings sooner (called from request threads only)."""
        job = scheduler.get_job(REMINDER_JOB_ID)
        if job is not None and (job.next_run_time is None or moment < job.next_run_time):
            job.modify(next_run_time=moment)

    # The first ring at once: what fell due while the app was down is sent first.
    dispatcher.next_at = datetime.now(UTC)

    # One job, fixed id. Its trigger asks the reminder table when to ring next (at the
    # next due reminder, at least every 30 s), so the job never calls the scheduler:
    # a job that does deadlocks APScheduler's shutdown(wait=True).
    scheduler.add_job(
        dispatcher.tick,
        NextReminderTrigger(dispatcher),
        id=REMINDER_JOB_ID,
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    dispatcher.wake_up = wake_at
    if components.settings.digest_enabled:
        poster = components.digest
        scheduler.add_job(
            # Weekly: it is not watched for stalls (the catch-up below is, every minute).
            guarded("weekly digest", poster.run_scheduled, components.supervisor, math.inf),
            CronTrigger(
                day_of_week=components.settings.digest_day,
                hour=poster.hour,
                minute=poster.minute,
                timezone=poster.zone,
            ),
            id=DIGEST_JOB_ID,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
        )
        # A digest due while the app (or its database) was down is posted as soon as it can be:
        # at start-up, then every minute until it is (once, see DigestPoster).
        scheduler.add_job(
            guarded("digest catch-up", poster.catch_up, components.supervisor, 60),
            "interval",
            seconds=60,
            id=DIGEST_CATCH_UP_JOB_ID,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
    return scheduler

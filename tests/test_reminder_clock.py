"""The scheduler as a clock: real APScheduler, real restarts, two instances on one database.

The scheduler and the two instances run the app's parts without its HTTP side
(tests/parts.py's `Parts`); the restart is of the app's own process."""

from __future__ import annotations

import dataclasses
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col

from assistant.app import create_app
from assistant.components import create_components
from assistant.content.registry import install_folder
from assistant.database import make_engine, migrate, session_scope
from assistant.domain.intake import ValidIntake
from assistant.domain.practice import Category, Severity
from assistant.jobs.scheduler import create_scheduler
from assistant.models import Reminder
from assistant.services import provisioning as records
from assistant.services import reminders as table
from assistant.services.cases import open_case, timeline
from slack_standin import StandIn
from tests.harness import (
    CSM,
    MANAGER,
    OWNER,
    FlowButton,
    app_sender,
    default_intake,
    free_port,
    make_settings,
    seed_workspace,
    start_app_process,
    wait_for,
)
from tests.parts import Parts

pytestmark = pytest.mark.slow


def test_the_scheduler_sends_a_reminder_when_it_falls_due(parts: Parts) -> None:
    scheduler = create_scheduler(parts.components)
    scheduler.start()
    try:
        case = parts.escalate()
        # Promise an update in 15 minutes and 2 seconds: its first reminder is due in 2 seconds.
        promise = int(time.time() + 15 * 60 + 2)
        parts.run_flow(OWNER, case, "acknowledge", next_update=promise, customer_message="On it.")
        reminder = wait_for(
            lambda: [m for m in parts.workspace.dm_messages(OWNER) if "expects an update" in m.text],
            timeout=15,
            what="the scheduled reminder",
        )
        assert f"<!date^{promise}^" in reminder[0].text

        def settled() -> bool:
            rows = table.reminders_of(parts.engine, case.id or 0)
            return any(r.kind == "update_soon" and r.state == "sent" for r in rows)

        wait_for(settled, what="the reminder to be recorded as sent")
    finally:
        scheduler.shutdown(wait=True)


def test_a_reminder_due_while_the_app_was_down_is_sent_once_marked_late(
    standin: StandIn, database_url: str
) -> None:
    workspace = standin.workspace
    port = free_port()
    process = start_app_process(standin, database_url, port)
    try:
        sender = app_sender(standin, port)
        sender.slash_command(CSM, "", channel_id=workspace.channel_named("general").id)  # type: ignore[union-attr]
        wait_for(lambda: workspace.views, what="the modal")
        sender.submit_view(CSM, list(workspace.views)[-1], default_intake())
        wait_for(lambda: workspace.case_channels() and workspace.case_channels()[0].messages, what="the card")
        card = workspace.case_channels()[0].messages[0]
        before = len(workspace.views)
        sender.click(
            OWNER,
            FlowButton.ACKNOWLEDGE,
            "1",
            channel_id=workspace.case_channels()[0].id,
            message_ts=card.ts,
            block_id="case_actions",
        )
        wait_for(
            lambda: (
                len(workspace.views) > before
                and list(workspace.views.values())[-1]["callback_id"] == "acknowledge"
            ),
            what="the acknowledge modal",
        )
        promise = int(time.time() + 15 * 60 + 3)  # first reminder due in 3 s
        sender.submit_view(
            OWNER, list(workspace.views)[-1], {"next_update": promise, "customer_message": "On it"}
        )
        engine = make_engine(database_url)
        wait_for(
            lambda: any(r.kind == "update_soon" for r in table.reminders_of(engine, 1)), what="the promise"
        )
        # Opened in Slack in full first: this story is the reminder's, not an interrupted opening's.
        wait_for(lambda: not records.pending_steps(engine, 1), what="the case open in Slack")
    finally:
        process.send_signal(signal.SIGKILL)  # stopped hard, before the reminder was due
        process.wait(timeout=10)
    time.sleep(4.5)  # the app is down when the reminder falls due

    _, components = create_app(make_settings(standin, database_url, reminder_late_after_seconds=1))
    scheduler = create_scheduler(components)
    scheduler.start()
    try:
        wait_for(
            lambda: any(e.kind == "reminder_sent" for e in timeline(components.engine, 1)),
            timeout=15,
            what="the reminder after the restart",
        )
        time.sleep(0.5)
        sent = [e for e in timeline(components.engine, 1) if e.kind == "reminder_sent"]
    finally:
        scheduler.shutdown(wait=True)
        components.close()
        engine.dispose()
    assert len(sent) == 1
    assert sent[0].data["reminder"] == "update_soon" and sent[0].data["late"] is True
    late = [m for m in workspace.dm_messages(OWNER) if "expects an update" in m.text]
    assert len(late) == 1 and "the app could not send it then" in str(late[0].blocks)


@pytest.fixture(params=["the suite's database", "PostgreSQL"])
def shared_database(request: pytest.FixtureRequest, database_url: str) -> str:
    if request.param == "PostgreSQL":
        url = request.getfixturevalue("postgres_url")
        engine = make_engine(url)
        migrate(engine)
        with engine.begin() as connection:
            names = [t for t in sa.inspect(connection).get_table_names() if t != "alembic_version"]
            connection.execute(sa.text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return str(url)
    return database_url


@pytest.fixture
def slack() -> Iterator[StandIn]:
    """A seeded Slack stand-in, for app parts of a test's own."""
    running = StandIn().start()
    seed_workspace(running.workspace)
    yield running
    running.stop()


def test_two_instances_send_each_of_500_reminders_exactly_once(slack: StandIn, shared_database: str) -> None:
    """Two instances' parts (as create_app builds them) on one database, ticking at once."""
    settings = make_settings(slack, shared_database, escalations_feed_channel=None)
    first, second = (create_components(settings, content=install_folder(None)) for _ in range(2))
    now = datetime.now(UTC)
    intake = ValidIntake(
        account="Acme",
        summary="S",
        description="D",
        category=Category.TECHNICAL,
        severity=Severity.HIGH,
        owner_id=OWNER,
        account_value=None,
        triggers=(),
        stakeholder_ids=(),
        links=(),
    )
    # 250 cases whose acknowledgement fell due: 2 reminders each (the first hour's promise and the
    # task force, tested in tests/test_first_contact.py and tests/test_task_force.py, are off here).
    practice = dataclasses.replace(
        first.content.practice, first_contact_within=timedelta(0), task_force_after={}
    )
    for number in range(250):
        open_case(
            first.engine,
            intake=intake,
            practice=practice,
            reporter_id=CSM,
            team_id=None,
            intake_view_id=f"V{number}",
            origin_channel_id=None,
            reply_url=None,
            ack_within=timedelta(minutes=-number - 1),
            policy=first.reminder_policy,
            now=now - timedelta(hours=3),
        )
    with session_scope(first.engine) as session:
        assert session.execute(sa.select(sa.func.count()).select_from(Reminder)).scalar() == 500

    handled: list[int] = []
    start = threading.Barrier(2)

    def run(components: object) -> None:
        start.wait()
        handled.append(components.reminders.tick())  # type: ignore[attr-defined]

    threads = [threading.Thread(target=run, args=(c,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        with session_scope(first.engine) as session:
            states: dict[str, int] = dict(
                session.execute(
                    sa.select(col(Reminder.state), sa.func.count()).group_by(col(Reminder.state))
                ).all()
            )
            events = session.execute(
                sa.text(
                    "SELECT kind, count(*) FROM case_event"
                    " WHERE kind IN ('reminder_sent', 'breach') GROUP BY kind"
                )
            ).all()
    finally:
        first.close()
        second.close()
    assert sum(handled) == 500 and all(handled), handled  # both instances did part of the work
    assert states == {"sent": 500}
    assert dict(events) == {"reminder_sent": 250, "breach": 250}
    # Each reminder reached Slack once: 250 owner reminders, and per breach one manager and one owner DM.
    assert len(slack.workspace.dm_messages(OWNER)) == 500
    assert len(slack.workspace.dm_messages(MANAGER)) == 250

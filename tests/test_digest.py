"""The weekly digest: exact figures on a known week, posted once to the feed with a PNG chart.

The digest job and the clock are called on the app's parts without its HTTP side
(tests/parts.py's `Parts`); the command line runs as its own process."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from assistant.content.registry import installed
from assistant.domain.digest import latest_digest_moment
from assistant.domain.practice import Category, Severity
from assistant.domain.status import Status
from assistant.jobs.digest import format_span
from assistant.models import CaseEvent, Escalation, RootCauseAnalysis
from tests.harness import CSM, OWNER, Harness, app_env, env_without_slack, run_cli, start_harness
from tests.parts import Parts, running_parts

MONDAY = datetime(2026, 11, 16, tzinfo=UTC)  # the week reported: Mon 16 to Sun 22 November
DIGEST_TIME = datetime(2026, 11, 23, 9, 5, tzinfo=UTC)  # just after Monday 09:00


def at(days: float, hours: float = 0) -> datetime:
    return MONDAY + timedelta(days=days, hours=hours)


def store(
    engine: sa.Engine,
    account: str,
    created: datetime,
    events: list[tuple[str, datetime, dict[str, Any]]],
    *,
    category: str = "technical",
    private: bool = False,
    status: str = "acknowledged",
    cause_area: str | None = None,
    rca_at: datetime | None = None,
    satisfaction: tuple[int, datetime] | None = None,
) -> int:
    with Session(engine) as session:
        case = Escalation(
            account_name=account,
            summary=f"{account} case",
            description="-",
            category=Category(category),
            severity=Severity.HIGH,
            owner_id=OWNER,
            reporter_id=CSM,
            is_private=private,
            status=Status(status),
            created_at=created,
            updated_at=created,
            closed_at=next((moment for kind, moment, _ in events if kind == "closed"), None),
            satisfaction_score=satisfaction[0] if satisfaction else None,
            satisfaction_recorded_at=satisfaction[1] if satisfaction else None,
        )
        session.add(case)
        session.flush()
        assert case.id is not None
        session.add(CaseEvent(escalation_id=case.id, at=created, kind="opened"))
        for kind, moment, data in events:
            session.add(CaseEvent(escalation_id=case.id, at=moment, kind=kind, data=data))
        if cause_area:
            assert rca_at is not None  # every case with a root cause says when it was written
            session.add(
                RootCauseAnalysis(
                    escalation_id=case.id,
                    at=rca_at,
                    author_id=OWNER,
                    what_happened="-",
                    root_cause="-",
                    customer_text="-",
                    cause_area=cause_area,
                )
            )
        session.commit()
        return case.id


def known_week(engine: sa.Engine) -> None:
    kept, missed = {"promise_kept": True}, {"promise_kept": False}
    # Acme twice this week: a repeat escalation.
    store(
        engine,
        "Acme",
        at(1, 9),
        [
            ("acknowledged", at(1, 9.5), kept),
            ("update_posted", at(2, 9), kept),
            ("resolved", at(3, 9), missed),
        ],
        status="resolved",
    )
    store(
        engine,
        "ACME",
        at(2, 10),
        [("breach", at(2, 12), {}), ("acknowledged", at(2, 13), missed), ("resolved", at(3, 10), {})],
        category="business",
        status="resolved",
    )
    # Globex: a private case this week (counted, never named) and an older process case
    # resolved and closed this week with a configuration root cause.
    store(engine, "Globex", at(3, 8), [("acknowledged", at(3, 9), kept)], private=True)
    store(
        engine,
        "Globex",
        at(-30),
        [("acknowledged", at(-30, 1), kept), ("resolved", at(4), {}), ("closed", at(5, 12), {})],
        category="process",
        status="closed",
        cause_area="configuration",
        rca_at=at(4, 10),
        satisfaction=(4, at(5, 15)),
    )
    # Initech, before the week: the same root-cause area at a second account.
    store(
        engine,
        "Initech",
        at(-10),
        [("resolved", at(-6), {}), ("closed", at(-4), {})],
        status="closed",
        cause_area="configuration",
        rca_at=at(-5),
        satisfaction=(2, at(-3)),  # answered before the week: not this week's
    )
    # Umbrella: two private cases in the lookback, so a repeat that cannot be named.
    store(engine, "Umbrella", at(-20), [], private=True, status="new")
    store(engine, "Umbrella", at(-15), [], private=True, status="new")


def test_the_digest_figures_on_a_known_week(parts: Parts) -> None:
    known_week(parts.components.engine)
    poster = parts.components.digest
    assert poster.run_scheduled(now=DIGEST_TIME)

    message = parts.feed.messages[-1]
    text = "\n".join(
        [str((b.get("text") or {}).get("text", "")) for b in message.blocks or []]
        + [f["text"] for b in message.blocks or [] for f in b.get("fields", [])]
    )
    assert message.text == (
        "Escalations digest: Mon 16 Nov to Sun 22 Nov 2026: 3 opened, 3 resolved, promises kept on time 60%"
    )
    for expected in [
        "*Opened*\n3",
        "*Resolved*\n3",
        "*Closed*\n1",
        "*Still open*\n5",
        "*Promises kept on time*\n60% (3 of 5)",
        "*SLA breaches*\n1",
        "*Time to acknowledge* (target 2 h)\nmedian 1 h · 90th percentile 3 h · 2 of 3 within target",
        "*Time to resolve*\nmedian 2 d · 90th percentile 34 d",
        "*Opened by category*\nTechnical 2 · Business 1 · Relationship 0 · Process 0",
        "*Accounts with repeat escalations* (last 90 days)\n• Acme: 2 escalations\n• Globex: 2 escalations"
        "\n:lock: 1 restricted account not named",
        "*Repeated root causes* (last 90 days)\n• Configuration or setup: 2 accounts, 2 cases",
        "*Customer satisfaction* (answers recorded this week; cases closed this week)\n"
        "4.0 of 5 from 1 answer (4: 1) · 1 of 1 closed cases answered (100%)",
    ]:
        assert expected in text, expected
    assert "Umbrella" not in text

    # The chart: a real PNG of 800 x 400 pixels, shared in the feed.
    chart = parts.feed.files[-1]
    assert chart["title"] == "Cases this week and promises kept on time"
    png = chart["content"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (800, 400)

    # Another instance waking for the same week posts nothing more.
    assert not poster.run_scheduled(now=DIGEST_TIME + timedelta(minutes=1))
    assert not poster.catch_up(now=DIGEST_TIME + timedelta(hours=2))
    assert len(parts.feed.files) == 1


def test_a_digest_missed_while_down_is_posted_at_start_up_once(parts: Parts) -> None:
    store(parts.components.engine, "Acme", at(-10), [])  # in use before the week
    poster = parts.components.digest
    assert not poster.catch_up(now=DIGEST_TIME + timedelta(days=2))  # too late: the next one will do
    assert poster.catch_up(now=DIGEST_TIME + timedelta(hours=3))
    assert "0 opened, 0 resolved, promises kept on time n/a" in parts.feed.messages[-1].text
    assert not poster.catch_up(now=DIGEST_TIME + timedelta(hours=4))


def test_the_first_digest_covers_the_first_full_week_of_use(parts: Parts) -> None:
    poster = parts.components.digest
    assert not poster.run_scheduled(now=DIGEST_TIME)  # a fresh install: no week of use to report
    store(parts.components.engine, "Acme", at(3), [])  # first used on Thursday of the week
    assert not poster.run_scheduled(now=DIGEST_TIME)  # that week was only partly in use
    assert not poster.catch_up(now=DIGEST_TIME + timedelta(hours=1))
    assert not [m for m in parts.feed.messages if m.text.startswith("Escalations digest")]
    assert poster.run_scheduled(now=DIGEST_TIME + timedelta(days=7))  # the first full week
    assert parts.feed.messages[-1].text.startswith("Escalations digest: Mon 23 Nov to Sun 29 Nov 2026")


def test_digest_dry_run_prints_the_whole_digest_without_slack(harness: Harness, tmp_path: Path) -> None:
    known_week(harness.components.engine)
    env = env_without_slack(harness)
    chart = tmp_path / "chart.png"
    calls = len(harness.workspace.calls)
    done = run_cli(
        ["digest", "--dry-run", "--week-ending", "2026-11-23", "--chart", str(chart)],
        env,
        tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for line in (
        "Escalations digest · Mon 16 Nov to Sun 22 Nov 2026",
        "Opened: 3",
        "Promises kept on time: 60% (3 of 5)",
        "Accounts with repeat escalations (last 90 days)",
        "• Acme: 2 escalations",
        "Customer satisfaction (answers recorded this week; cases closed this week)",
    ):
        assert line in done.stdout, line
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(harness.workspace.calls) == calls  # Slack was not asked anything


def test_the_digest_time_follows_the_configured_day_and_zone() -> None:
    paris = ZoneInfo("Europe/Paris")
    # Monday 09:00 in Paris is 08:00 UTC in November.
    assert latest_digest_moment(DIGEST_TIME, weekday=0, hour=9, minute=0, zone=paris) == datetime(
        2026, 11, 23, 8, 0, tzinfo=UTC
    )
    # Just before it, the latest digest was the week before.
    assert latest_digest_moment(
        datetime(2026, 11, 23, 7, 59, tzinfo=UTC), weekday=0, hour=9, minute=0, zone=paris
    ) == datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
    assert latest_digest_moment(DIGEST_TIME, weekday=4, hour=17, minute=30, zone=UTC) == datetime(
        2026, 11, 20, 17, 30, tzinfo=UTC
    )
    assert [format_span(timedelta(minutes=m)) for m in (45, 60, 200, 60 * 50)] == [
        "45 min",
        "1 h",
        "3 h 20 min",
        "2 d 2 h",
    ]


def test_digest_now_from_the_command_line(database_url: str, tmp_path: Path) -> None:
    harness = start_harness(database_url)
    try:
        harness.escalate(CSM)
        before = len(harness.feed.files)
        done = run_cli(["digest", "--now"], app_env(harness.standin, database_url), tmp_path, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "1 opened, 0 resolved" in done.stdout
        assert "1 opened, 0 resolved" in harness.feed.messages[-1].text
        assert len(harness.feed.files) == before + 1
    finally:
        harness.stop()


def test_the_clock_posts_the_digest_on_the_configured_day_in_its_zone(database_url: str) -> None:
    from assistant.jobs.scheduler import DIGEST_CATCH_UP_JOB_ID, DIGEST_JOB_ID, create_scheduler

    paris = ZoneInfo("Europe/Paris")
    with running_parts(
        database_url, digest_day="fri", digest_time="17:30", digest_timezone="Europe/Paris"
    ) as parts:
        scheduler = create_scheduler(parts.components)
        job = scheduler.get_job(DIGEST_JOB_ID)
        assert job is not None and scheduler.get_job(DIGEST_CATCH_UP_JOB_ID) is not None
        sunday = datetime(2026, 11, 22, 12, tzinfo=UTC)
        assert job.trigger.get_next_fire_time(None, sunday) == datetime(2026, 11, 27, 17, 30, tzinfo=paris)
    with running_parts(database_url, digest_enabled=False) as parts:
        assert create_scheduler(parts.components).get_job(DIGEST_JOB_ID) is None


def test_within_target_follows_each_cases_own_deadline_on_its_calendar() -> None:
    """A medium case on office hours acknowledged 60 hours after a Friday-evening opening was on
    time (its deadline was Monday 11:00); one acknowledged 3 hours after a critical opening was not."""
    from datetime import UTC, datetime, timedelta

    from assistant.domain.digest import DigestCase, compute_digest
    from assistant.domain.events import EventKind
    from assistant.domain.metrics import EventFact
    from assistant.domain.practice import Category

    friday = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def case(case_id: int, opened: datetime, acknowledged: datetime, on_time: bool) -> DigestCase:
        ack = EventFact(EventKind.ACKNOWLEDGED, acknowledged, {"on_time": on_time, "promise_kept": on_time})
        return DigestCase(case_id, "Acme", Category.TECHNICAL, False, opened, [ack])

    digest = compute_digest(
        [case(1, friday, monday, True), case(2, monday, monday + timedelta(hours=3), False)],
        start=datetime(2026, 11, 16, tzinfo=UTC),
        end=datetime(2026, 11, 30, tzinfo=UTC),
        zone=UTC,
        ack_target=timedelta(hours=2),
        open_at_end=2,
        cause_areas=installed().practice.cause_areas,
    )
    assert (digest.ack_count, digest.ack_within_target) == (2, 1)

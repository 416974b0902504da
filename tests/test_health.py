"""/readyz and /healthz tell the truth: the database, the clock, and set-up problems someone must fix."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from assistant.jobs.reminders import CLOCK
from assistant.models import utcnow
from assistant.services import provisioning as records
from tests.harness import CSM, MANAGER, Harness, start_harness, wait_for
from tests.throwaway_postgres import ThrowawayPostgres, missing_reason


def get(harness: Harness, path: str) -> tuple[int, dict[str, Any]]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(harness.server.url + path, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_healthy_app_says_so_on_every_path(harness: Harness) -> None:
    # Every background loop running is named, each "ok" (the work queue and the webhooks sender
    # run from the start; the others start with their clock or their first item).
    loops = {"webhooks": "ok", "work-queue": "ok"}
    for path in ("/readyz",):
        assert get(harness, path) == (
            200,
            {"ok": True, "status": "ok", "database": "ok", "migrations": "ok", "slack": "ok", "loops": loops},
        )
    for path in ("/livez", "/healthz"):  # liveness: the process and its loops
        assert get(harness, path) == (200, {"ok": True, "status": "ok", "loops": loops})


def test_a_clock_that_stopped_ringing_makes_the_app_unhealthy(harness: Harness) -> None:
    heartbeat = harness.components.heartbeat
    heartbeat.beat(CLOCK, utcnow() - timedelta(seconds=61))
    status, body = get(harness, "/readyz")
    assert (status, body["status"], body["clock_reminders"]) == (200, "ok", "ok")  # 61 s: one ring late
    heartbeat.beat(CLOCK, utcnow() - timedelta(minutes=5))
    for path in ("/readyz", "/livez", "/healthz"):
        status, body = get(harness, path)
        assert status == 503
        assert body["clock_reminders"] == "stalled" and body["failing"] == ["clock_reminders"]


def test_an_archived_feed_is_told_once_and_shown_as_degraded(harness: Harness) -> None:
    harness.feed.is_archived = True
    first = harness.escalate(CSM)
    second = harness.escalate(CSM)

    # Cases open normally; the feed step is settled, not retried every hour forever.
    for case in (first, second):
        assert not records.pending_steps(harness.components.engine, case.id or 0)
        assert harness.channel_of(case).messages
    told = [m for m in harness.workspace.dm_messages(MANAGER) if "escalations feed" in m.text]
    assert len(told) == 1 and "is_archived" in told[0].text
    status, body = get(harness, "/readyz")
    assert (status, body["status"], body["problems"]) == (200, "degraded", ["feed_unavailable: is_archived"])

    harness.feed.is_archived = False
    harness.escalate(CSM)
    assert [m.text for m in harness.feed.messages][-1].startswith("New escalation ESC-3")
    assert get(harness, "/readyz")[1]["status"] == "ok"


def test_an_unknown_feed_channel_is_told_once(database_url: str) -> None:
    harness = start_harness(database_url, escalations_feed_channel="C0NOSUCH1")
    try:
        harness.escalate(CSM)
        harness.escalate(CSM)
        told = [m for m in harness.workspace.dm_messages(MANAGER) if "escalations feed" in m.text]
        assert len(told) == 1 and "channel_not_found" in told[0].text
        assert get(harness, "/readyz")[1]["problems"] == ["feed_unavailable: channel_not_found"]
    finally:
        harness.stop()


def test_a_sqlite_disk_that_is_full_makes_the_app_unready(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the free-space check is SQLite's (PostgreSQL's disk is the server's)")
    harness = start_harness(database_url)
    try:
        import shutil

        real = shutil.disk_usage
        monkeypatch.setattr(shutil, "disk_usage", lambda p: real(p)._replace(free=1024))
        status, body = get(harness, "/readyz")
        assert (status, body["database"], body["failing"]) == (503, "disk_full", ["database"])
    finally:
        harness.stop()


@pytest.mark.slow
@pytest.mark.skipif(missing_reason() is not None, reason=str(missing_reason()))
def test_a_read_only_or_stopped_database_makes_the_app_unready() -> None:
    cluster = ThrowawayPostgres()
    cluster.start()
    harness = start_harness(cluster.url)
    try:
        assert get(harness, "/readyz")[0] == 200
        engine = sa.create_engine(cluster.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text("ALTER SYSTEM SET default_transaction_read_only = on"))
            connection.execute(sa.text("SELECT pg_reload_conf()"))
        engine.dispose()
        harness.components.engine.dispose()  # new connections see the setting
        status, body = get(harness, "/readyz")
        assert (status, body["database"]) == (503, "read_only")

        cluster.stop()
        status, body = get(harness, "/readyz")
        assert (status, body["database"]) == (503, "unreachable")
        for path in ("/livez", "/healthz"):  # liveness: the process itself is fine, do not restart it
            assert get(harness, path)[0] == 200
    finally:
        harness.stop()
        cluster.destroy()


def test_a_schema_of_another_version_makes_the_app_unready(harness: Harness) -> None:
    """An instance whose database is a migration behind (or ahead: another version's) takes no
    traffic: /readyz names the migrations; /livez, about the process, stays up."""
    from alembic import command

    from assistant.database import alembic_config, head_revision

    with harness.engine.connect() as connection:
        command.downgrade(alembic_config(connection), "-1")
        connection.commit()
    try:
        status, body = get(harness, "/readyz")
        assert status == 503 and "migrations" in body["failing"]
        assert body["migrations"].endswith(f"this version needs {head_revision()}")
        assert get(harness, "/livez")[0] == 200
    finally:
        with harness.engine.connect() as connection:
            command.upgrade(alembic_config(connection), "head")
            connection.commit()
    assert get(harness, "/readyz")[0] == 200


def test_a_token_slack_refuses_makes_the_app_unready_until_slack_takes_it_again(harness: Harness) -> None:
    from tests.harness import OWNER

    harness.workspace.fail("chat.postMessage", error="token_revoked", times=1, match={"channel": "D*"})
    harness.sender.direct_message(OWNER, "help")
    _, body = wait_for(lambda: (r := get(harness, "/readyz"))[0] == 503 and r, what="unready")
    assert body["slack"] == "token_revoked" and "slack" in body["failing"]
    assert get(harness, "/healthz")[0] == 200  # the process is fine: a person must act, not a restart
    harness.sender.direct_message(OWNER, "help")  # Slack takes the token again
    wait_for(lambda: get(harness, "/readyz")[0] == 200, what="ready again")

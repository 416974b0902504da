"""Migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import cast

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import Session, SQLModel

from assistant import database
from assistant.database import make_engine, migrate
from assistant.domain.practice import Category, Severity
from assistant.models import Escalation


def test_migrations_match_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []
    migrate(engine)  # idempotent
    engine.dispose()


def test_times_are_stored_in_utc_and_come_back_aware(database_url: str) -> None:
    engine = make_engine(database_url)
    sao_paulo = timezone(timedelta(hours=-3))
    created = datetime(2026, 11, 22, 9, 30, tzinfo=sao_paulo)
    with Session(engine) as session:
        case = Escalation(
            account_name="A",
            summary="S",
            description="D",
            # Plain strings, as the database holds them: they must read back as the id classes.
            category=cast(Category, "technical"),
            severity=cast(Severity, "high"),
            owner_id="U1",
            reporter_id="U2",
            created_at=created,
            updated_at=created,
            ack_due_at=created + timedelta(hours=2),
        )
        session.add(case)
        session.commit()
        case_id = case.id
    with Session(engine) as session:
        stored = session.get(Escalation, case_id)
        assert stored is not None
        assert stored.created_at == created and stored.created_at.utcoffset() == timedelta(0)
        assert stored.created_at.hour == 12
        assert stored.category == "technical" and stored.category.__class__.__name__ == "Category"
    engine.dispose()


def test_account_keys_are_recomputed_and_duplicate_sponsorships_merged(tmp_path: Path) -> None:
    """Upgrading past 0008: "Acme Corp" and "Acme Corp." were two accounts; they are one now."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(engine, "0007")
    with engine.begin() as connection:
        enrolled = (("Acme Corp", "acme corp", "U0OLD", 1), ("Acme Corp.", "acme corp.", "U0NEW", 2))
        for name, key, sponsor, day in enrolled:
            connection.execute(
                sa.text(
                    "INSERT INTO sponsorship (account_key, account_name, sponsor_id, enrolled_by, "
                    "enrolled_at) VALUES (:key, :name, :sponsor, 'U0CSM', :at)"
                ),
                {"key": key, "name": name, "sponsor": sponsor, "at": f"2026-11-0{day} 10:00:00.000000"},
            )
    case = Escalation(
        account_name="ACME, Inc.",
        summary="S",
        description="D",
        category=Category.BUSINESS,
        severity=Severity.HIGH,
        owner_id="U1",
        reporter_id="U2",
    )
    # The columns 0007 had: later ones do not exist yet.
    at_0007 = {c["name"] for c in sa.inspect(engine).get_columns("escalation")}
    values = {k: v for k, v in case.model_dump().items() if k in at_0007 and v is not None}
    with engine.begin() as connection:
        values["account_key"] = "acme, inc."  # as 0007 computed it
        # Only those columns (the model's defaults would name later ones).
        columns = Escalation.__table__.columns  # type: ignore[attr-defined]
        then = sa.table("escalation", *(sa.column(c.name, c.type) for c in columns if c.name in values))
        connection.execute(sa.insert(then).values(**values))
    migrate(engine)
    with engine.connect() as connection:
        sponsorships = connection.execute(sa.text("SELECT account_key, sponsor_id FROM sponsorship")).all()
        keys = connection.execute(sa.text("SELECT account_key FROM escalation")).scalars().all()
    assert [tuple(row) for row in sponsorships] == [("acme", "U0NEW")]  # the latest enrolment is kept
    assert keys == ["acme"]
    engine.dispose()


def test_a_connection_dropped_while_idle_is_replaced_and_a_busy_one_is_not_pinged(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool pings only a connection idle long enough to have been dropped (a restart, a
    firewall's idle time-out): the caller never sees the dropped one, and a busy app pays no ping."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no connection to drop")
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.3)
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    pings: list[bool] = []
    sa.event.listen(engine, "checkout", lambda _c, record, _p: pings.append(record.info.pop("pinged", False)))
    dropped: list[object] = []
    sa.event.listen(engine, "invalidate", lambda *args: dropped.append(args))
    with engine.connect() as connection:
        backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    with engine.connect() as connection:  # given back a moment ago: taken again as it is
        assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() == backend
    admin = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql("SELECT pg_terminate_backend(%(pid)s)", {"pid": backend})
    admin.dispose()
    time.sleep(0.5)  # idle past the ping's threshold
    with engine.connect() as connection:  # pinged, found dropped, replaced: no error here
        assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() != backend
    assert len(dropped) == 1
    assert pings[:2] == [False, False]  # the connection in use was never pinged
    engine.dispose()


def test_a_connection_the_server_ended_a_moment_ago_is_replaced_too(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restart or fail-over ends connections the app used a moment ago: the server says so on
    each, and the pool, which looks at the socket, pings and replaces them (no failed request)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no connection to drop")
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 60.0)  # all of them "recent"
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    with engine.connect() as connection:
        backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    admin = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql("SELECT pg_terminate_backend(%(pid)s, 5000)", {"pid": backend})
    admin.dispose()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() != backend
    engine.dispose()

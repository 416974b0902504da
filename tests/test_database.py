"""Migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import cast

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import Session, SQLModel

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

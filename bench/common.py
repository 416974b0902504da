"""What the benchmarks share: a fresh database, percentiles, running on SQLite then PostgreSQL."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from assistant.database import make_engine, migrate  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
    os.environ.pop(name, None)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def fresh(url: str) -> sa.Engine:
    """An empty, migrated database at `url` (a SQLite file is started again)."""
    database = sa.engine.make_url(url).database
    if url.startswith("sqlite") and database and database != ":memory:":
        Path(database).unlink(missing_ok=True)
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate(engine)
    return engine


def on_each_database(run: Callable[[str], None], doc: str | None) -> None:
    """`run` on --database-url, or on a temporary SQLite file and then PostgreSQL if reachable."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    database_url = parser.parse_known_args()[0].database_url
    print(f"machine: {os.cpu_count()} cores")
    if database_url:
        run(database_url)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench.db")
    try:
        probe = sa.create_engine(POSTGRES, connect_args={"connect_timeout": 3})
        with probe.connect():
            pass
    except sa.exc.OperationalError as exc:
        print(f"PostgreSQL at {POSTGRES} not reachable ({type(exc).__name__}); skipped")
        return
    # A database of this run's own: a benchmark never wipes what a test run is using.
    name = f"escalations_bench_{os.getpid()}"
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        run(sa.engine.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def standin_with_people(prefix: str, count: int, *, title: str = "CSM") -> tuple[Any, list[str], str]:
    """A running stand-in with the tests' workspace and `count` more people; their ids, and #general's."""
    from slack_standin import StandIn
    from slack_standin.workspace import User
    from tests.harness import seed_workspace

    standin = StandIn().start()
    seed_workspace(standin.workspace)
    people = [
        standin.workspace.add_user(User(f"{prefix}{i:05d}", f"{title.lower()}{i}", f"{title} {i}")).id
        for i in range(count)
    ]
    general = standin.workspace.channel_named("general")
    assert general is not None
    return standin, people, general.id

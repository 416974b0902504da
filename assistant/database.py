"""Engine, sessions and schema migrations (Alembic, applied at start-up)."""

from __future__ import annotations

import functools
import hashlib
import select
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlmodel import Session

from assistant.tracing import span

MIGRATIONS = Path(__file__).parent / "migrations"
# One advisory lock id, so instances starting together migrate one at a time.
_MIGRATION_LOCK = int(hashlib.sha1(b"escalation-assistant-migrations").hexdigest()[:15], 16)


# How long a writer waits its turn in this process before leaving it to SQLite's own waiting.
WRITER_WAIT_SECONDS = 30.0
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _queue_writers(engine: sa.Engine) -> None:
    """SQLite has one writer at a time; a writer that finds it busy polls, sleeping up to 100 ms
    between tries. With provisioning writing from several threads beside an API call, that made
    one short write wait up to a second. Writers of this process queue on a lock instead, taken
    at a transaction's first write and given back once it commits or rolls back (the next one
    starts at once). A writer waiting longer than WRITER_WAIT_SECONDS goes on and lets SQLite's
    busy handler decide, as before."""
    turn = threading.Lock()
    holder: dict[str, int | None] = {"connection": None}
    dialect = engine.dialect

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _wait_turn(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        connection = id(conn.connection.dbapi_connection)
        if holder["connection"] == connection or not statement.lstrip()[:7].upper().startswith(_WRITES):
            return
        if turn.acquire(timeout=WRITER_WAIT_SECONDS):
            holder["connection"] = connection

    def _give_back(connection: Any) -> None:
        # SQLAlchemy passes its pool's proxy here; the raw connection is behind it.
        if holder["connection"] == id(getattr(connection, "dbapi_connection", connection)):
            holder["connection"] = None
            turn.release()

    def then_give_back(finish: Callable[[Any], None]) -> Callable[[Any], None]:
        def finished(dbapi_connection: Any) -> None:
            try:
                finish(dbapi_connection)
            finally:
                _give_back(dbapi_connection)

        return finished

    # A connection thrown away mid-transaction (invalidated, closed) gives its turn back too.
    sa.event.listen(engine, "invalidate", lambda dbapi_connection, *args: _give_back(dbapi_connection))
    sa.event.listen(engine, "close", lambda dbapi_connection, *args: _give_back(dbapi_connection))
    # The engine's own dialect: the pool's reset on check-in rolls back through it too.
    dialect.do_commit = then_give_back(dialect.do_commit)  # type: ignore[method-assign,assignment]
    dialect.do_rollback = then_give_back(dialect.do_rollback)  # type: ignore[method-assign,assignment]


def make_engine(url: str, **kwargs: Any) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True, **kwargs
        )

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            # WAL lets the web threads read while the scheduler writes.
            cursor.execute("PRAGMA journal_mode=WAL")
            # Safe against app crashes in WAL mode; only a power loss can undo the last commits.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        _queue_writers(engine)
        return engine
    engine = sa.create_engine(
        url,
        **{
            "pool_size": 10,
            "max_overflow": 10,
            # A database that went away is noticed in seconds, not after the OS's TCP time-out.
            "connect_args": {"connect_timeout": 5},
            # SQL error messages must not carry customer text or response_urls into the logs.
            "hide_parameters": True,
            **kwargs,
        },
    )
    _ping_when_idle(engine)
    return engine


def _server_spoke(dbapi_connection: Any) -> bool:
    """Whether the server sent something to a connection nobody is using: it does so only to end
    it (a restart, a fail-over, pg_terminate_backend: "terminating connection"). A look at the
    socket, not a round trip."""
    try:
        readable, _, _ = select.select([dbapi_connection.pgconn.socket], [], [], 0)
    except (AttributeError, OSError, ValueError):
        return True  # cannot tell: ping it
    return bool(readable)


# A connection given back this recently is taken again without a ping (a round trip on every
# transaction otherwise: pool_pre_ping's cost) unless the server told it something meanwhile (it
# says so when it ends one: _server_spoke). One lost silently in so short a time (a cable) fails
# its statement, and SQLAlchemy then throws the whole pool away: one failure, not one per connection.
PING_AFTER_IDLE_SECONDS = 2.0


def _ping_when_idle(engine: sa.Engine) -> None:
    """pool_pre_ping, for connections idle long enough to have been dropped (a restart, a
    firewall's idle time-out): the pool tries another connection if the ping fails."""

    @sa.event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        given_back = record.info.get("given_back_at")
        recent = given_back is not None and time.monotonic() - given_back < PING_AFTER_IDLE_SECONDS
        if recent and not _server_spoke(dbapi_connection):
            return
        record.info["pinged"] = True  # counted by tests/test_api_round_trips.py
        try:
            engine.dialect.do_ping(dbapi_connection)  # pool_pre_ping's own (outside a transaction)
        except Exception as exc:  # any failure of the ping: this connection is not to be used
            raise sa.exc.DisconnectionError() from exc

    @sa.event.listens_for(engine, "connect")
    @sa.event.listens_for(engine, "checkin")
    def _given_back(dbapi_connection: Any, record: Any) -> None:  # (a new connection is alive)
        record.info["given_back_at"] = time.monotonic()


@contextmanager
def session_scope(engine: sa.Engine) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back on error."""
    with (
        span("db transaction", attributes={"db.system": engine.dialect.name}),
        Session(engine, expire_on_commit=False) as session,
    ):
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def single_statement(engine: sa.Engine) -> Iterator[Session]:
    """For work that is one statement (a lookup, an insert, an update): on PostgreSQL it is sent
    in the database's own autocommit, one round trip instead of three (BEGIN, it, COMMIT), and
    one statement is atomic on its own. SQLite keeps its transaction (its writers queue in turn)."""
    if engine.dialect.name != "postgresql":
        with session_scope(engine) as session:
            yield session
        return
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        with Session(bind=connection, expire_on_commit=False) as session:
            yield session
            session.commit()


def alembic_config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; safe when several instances start at once."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
            connection.commit()
        try:
            command.upgrade(alembic_config(connection), revision)
            connection.commit()
        finally:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK})
                connection.commit()


def current_revision(engine: sa.Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@functools.cache
def head_revision() -> str:
    """The newest migration this version of the app ships (read once)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head

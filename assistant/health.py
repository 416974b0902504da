"""What /healthz, /readyz and /livez say: the truth about the database, the clock and the feed.

- live (/healthz, /livez): the process runs, its clock still ticks and its loops make progress
  (restart the process if not);
- ready: live, and the database answers, can be written to and has this version's schema (send
  no traffic if not);
- degraded: ready, but something needs a person (the feed channel is archived...): 200, named.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from assistant.jobs.supervision import Supervisor

# The clock rings at least every 30 s; two missed rings mean it has stopped.
CLOCK_STALE_AFTER_SECONDS = 65.0
# SQLite needs room for its write-ahead log; below this the next write may fail.
MIN_FREE_BYTES = 16 * 1024 * 1024


@dataclass
class Heartbeat:
    """When each background clock last ran (in memory: it is about this process)."""

    _beats: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def expect(self, name: str) -> None:
        """A clock starts now: it counts as having run, so a fresh start is not reported stalled."""
        self.beat(name)

    def beat(self, name: str, at: datetime | None = None) -> None:
        with self._lock:
            self._beats[name] = at.timestamp() if at else time.time()

    def ages(self) -> dict[str, float]:
        now = time.time()
        with self._lock:
            return {name: max(0.0, now - at) for name, at in self._beats.items()}


class InFlight:
    """How many requests are being answered now, Slack's and the API's and the customer pages'
    (background work yields to them)."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)

    def __enter__(self) -> InFlight:
        with self._lock:
            self._count += 1
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._count -= 1
            if self._count == 0:
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> None:
        """Until no request is being answered, or `timeout` seconds."""
        with self._lock:
            self._idle.wait_for(lambda: self._count == 0, timeout)


def database_problem(engine: sa.Engine) -> str | None:
    """None if the database answers and takes writes; else one word saying what is wrong."""
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
            if connection.dialect.name == "postgresql":
                read_only = connection.execute(sa.text("SHOW transaction_read_only")).scalar()
                if read_only == "on":
                    return "read_only"
    except sa.exc.SQLAlchemyError:
        return "unreachable"
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        path = Path(str(engine.url.database)).resolve()
        folder = path.parent
        if not (path.exists() and _writable(path)) or not _writable(folder):
            return "read_only"
        if shutil.disk_usage(folder).free < MIN_FREE_BYTES:
            return "disk_full"
    return None


def migrations_problem(engine: sa.Engine) -> str | None:
    """None if the schema is this version's; else where it is (an instance of another version
    moved it, or a migration did not run): this instance should take no traffic."""
    from assistant.database import current_revision, head_revision

    try:
        current = current_revision(engine)
    except sa.exc.SQLAlchemyError:
        return None  # the database check says so
    head = head_revision()
    return None if current == head else f"schema at {current}, this version needs {head}"


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK)


def report(
    engine: sa.Engine,
    heartbeat: Heartbeat,
    problems: list[str],
    *,
    live_only: bool = False,
    supervisor: Supervisor | None = None,
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) for a health request."""
    body: dict[str, Any] = {}
    failing: list[str] = []
    for name, age in sorted(heartbeat.ages().items()):
        stalled = age > CLOCK_STALE_AFTER_SECONDS
        body[f"clock_{name}"] = "stalled" if stalled else "ok"
        body[f"clock_{name}_seconds_since_run"] = round(age, 1)
        if stalled:
            failing.append(f"clock_{name}")
    if supervisor is not None:
        # Every background loop by name: a stopped or stalled one fails the check (the process
        # must be restarted or looked at); one whose item failed lately is named, still running.
        stopped_or_stalled, loops = supervisor.report()
        if loops:
            body["loops"] = loops
        failing.extend(f"loop_{name}" for name in stopped_or_stalled)
        faulty = [f"{name}: {state}" for name, state in loops.items() if state.startswith("running;")]
        problems = [*problems, *faulty]
    if not live_only:
        database = database_problem(engine)
        body["database"] = database or "ok"
        if database:
            failing.append("database")
        else:
            schema = migrations_problem(engine)
            body["migrations"] = schema or "ok"
            if schema:
                failing.append("migrations")
        # Slack answered the token at start (auth.test); a later answer refusing it is said here.
        from assistant.slack.client import SlackAuth

        body["slack"] = SlackAuth.problem or "ok"
        if SlackAuth.problem:
            failing.append("slack")
        if problems:
            body["problems"] = problems
    body["status"] = "unavailable" if failing else ("degraded" if body.get("problems") else "ok")
    body["ok"] = not failing
    if failing:
        body["failing"] = failing
    return (503 if failing else 200), body

"""`POST /api/v1/escalations` on PostgreSQL opens a case in few database round trips, counted
with SQLAlchemy's events (not timed): the request's own statements, the BEGIN, COMMIT and
ROLLBACK of its transactions (none for a statement sent alone in autocommit), and the pool's
pings of the connections it hands out."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from assistant.api import tokens
from assistant.services import webhooks
from tests.harness import CSM, EXEC, start_harness, wait_for
from tests.test_api import ESCALATION, call
from tests.test_webhooks import Receiver

# Issue 26's bar (19 before it): the token, then one transaction (BEGIN, the account, the case,
# its provisioning, reminder and timeline rows, COMMIT). The case row is the key's record, and the
# webhook sender reads the subscriptions, not the request.
MOST_ROUND_TRIPS = 8


class RoundTrips:
    """Every statement, BEGIN, COMMIT and ROLLBACK sent to the database, with its thread."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.seen: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def _add(self, what: str) -> None:
        with self.lock:
            self.seen.append((threading.current_thread().name, what))

    def statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self._add(" ".join(statement.split())[:90])

    def begin(self, conn: Any) -> None:
        self._control(conn, "BEGIN")

    def commit(self, conn: Any) -> None:
        self._control(conn, "COMMIT")

    def rollback(self, conn: Any) -> None:
        self._control(conn, "ROLLBACK")

    def checkout(self, dbapi_connection: Any, record: Any, proxy: Any) -> None:
        # The pool's ping of a connection it hands out (assistant/database.py) is a round trip too.
        if record.info.pop("pinged", False):
            self._add("SELECT 1 (the pool's ping)")

    def _control(self, conn: sa.Connection, what: str) -> None:
        # In autocommit the driver sends no BEGIN, COMMIT or ROLLBACK (SQLAlchemy still says so).
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            self._add(what)

    def __enter__(self) -> RoundTrips:
        event.listen(self.engine, "before_cursor_execute", self.statement)
        for name in ("begin", "commit", "rollback", "checkout"):
            event.listen(self.engine, name, getattr(self, name))
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self.statement)
        for name in ("begin", "commit", "rollback", "checkout"):
            event.remove(self.engine, name, getattr(self, name))

    def of_requests(self) -> list[str]:
        """What the API's request threads sent (the background jobs' threads are named)."""
        return [what for thread, what in self.seen if thread.startswith(("AnyIO", "waitress", "ThreadPool"))]


def test_opening_an_escalation_takes_few_round_trips(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the round trips are counted on PostgreSQL (TEST_DATABASE_URL), as .ci/run does")
    receiver = Receiver()
    harness = start_harness(database_url, webhook_allow_http_loopback=True)
    try:
        token = tokens.create(harness.components.engine, "crm", ["escalations:write"])
        # A subscriber hears of the case all the same: what it is owed is not the request's work.
        webhooks.subscribe(
            harness.components.engine,
            receiver.url,
            ["opened"],
            policy=webhooks.policy_of(harness.components.settings),
        )
        body = {**ESCALATION, "account": "Acme Inc", "stakeholders": [EXEC], "reporter": CSM}
        call(harness, "POST", "/api/v1/escalations", token, {**body, "summary": "warm up"})
        with RoundTrips(harness.components.engine) as trips:
            status, case, _ = call(harness, "POST", "/api/v1/escalations", token, body, Idempotency_Key="k-1")
        assert status == 201, case
        sent = trips.of_requests()
        assert len(sent) <= MOST_ROUND_TRIPS, "\n".join(sent)
        heard = wait_for(
            lambda: [e for e in receiver.events() if e["data"]["escalation"]["key"] == case["key"]],
            what="the subscriber to hear of the case",
        )
        assert [e["type"] for e in heard] == ["opened"]
    finally:
        harness.stop()
        receiver.server.shutdown()

"""Test fixtures: a database per test, the Slack stand-in, and the real app over HTTP.

The whole suite runs against SQLite by default and against PostgreSQL when
TEST_DATABASE_URL names one (as .ci/run does). Tests marked `postgres` use
TEST_POSTGRES_URL (default: the project machines' 127.0.0.1:5432/test) and
skip with the reason when it is unreachable, except in CI (CI=true), where an
unreachable PostgreSQL fails the run.
"""

from __future__ import annotations

import graphlib
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

# slack_sdk honours HTTP(S)_PROXY and ignores NO_PROXY: the stand-in is on loopback.
for _name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_name, None)

from assistant.components import Components  # noqa: E402
from assistant.database import make_engine, migrate  # noqa: E402
from slack_standin import StandIn  # noqa: E402
from tests.harness import Harness, seed_workspace, start_harness  # noqa: E402
from tests.mailbox import Mailbox  # noqa: E402
from tests.parts import Parts, running_parts  # noqa: E402

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _postgres_problem(url: str) -> str | None:
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any driver failure means "not reachable" here
        return f"PostgreSQL at {url} is not reachable ({type(exc).__name__}: {str(exc).splitlines()[0]})"
    return None


# Each table of this schema with the tables whose foreign keys point at it (one catalog query).
_REFERENCED_BY = sa.text(
    """
    SELECT t.relname, array_remove(array_agg(DISTINCT r.relname::text), NULL)
    FROM pg_class t
    LEFT JOIN pg_constraint k ON k.confrelid = t.oid AND k.contype = 'f' AND k.conrelid <> t.oid
    LEFT JOIN pg_class r ON r.oid = k.conrelid
    WHERE t.relnamespace = current_schema()::regnamespace AND t.relkind IN ('r', 'p')
      AND t.relname <> 'alembic_version'
    GROUP BY t.relname
    """
)
# Every sequence (ids) back to its start, as TRUNCATE ... RESTART IDENTITY would.
_RESTART_SEQUENCES = sa.text(
    """
    SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)
    FROM pg_sequences WHERE schemaname = current_schema()
    """
)


def _truncate_all(engine: sa.Engine) -> None:
    """Every row gone and every id sequence restarted: the state of a freshly migrated database.

    DELETE, referencing tables first, instead of one TRUNCATE of every table: TRUNCATE gives each
    table new files, 0.6 s for this schema before every test; deleting the few rows a test left
    takes milliseconds."""
    with engine.begin() as connection:
        referenced_by = {name: set(refs) for name, refs in connection.execute(_REFERENCED_BY)}
        try:
            tables = list(graphlib.TopologicalSorter(referenced_by).static_order())
        except graphlib.CycleError:  # tables that refer to each other: TRUNCATE sorts it out
            connection.execute(sa.text(f"TRUNCATE {', '.join(referenced_by)} RESTART IDENTITY CASCADE"))
            return
        for table in tables:
            connection.execute(sa.text(f'DELETE FROM "{table}"'))
        connection.execute(_RESTART_SEQUENCES)


@contextmanager
def private_database(server_url: str, label: str) -> Iterator[str]:
    """A database of this test run's own on the server at `server_url`, dropped afterwards.

    Two runs on one machine (a developer's and CI's) never share tables.
    """
    name = f"escalations_{label}_{os.getpid()}_{secrets.token_hex(3)}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def suite_database() -> Iterator[tuple[str, str]]:
    """('sqlite', template path) or ('postgresql', url): migrated once for the session."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith("postgresql"):
        problem = _postgres_problem(url)
        if problem:
            if IN_CI:
                pytest.fail(f"{problem}; CI expects it", pytrace=False)
            pytest.skip(problem)
        with private_database(url, "suite") as own:
            engine = make_engine(own)
            migrate(engine)
            engine.dispose()
            yield ("postgresql", own)
        return
    template_dir = Path(os.environ.get("PYTEST_TMP", "/tmp")) / f"escalation-template-{os.getpid()}"
    template_dir.mkdir(parents=True, exist_ok=True)
    template = template_dir / "template.db"
    engine = make_engine(f"sqlite:///{template}")
    migrate(engine)
    engine.dispose()
    yield ("sqlite", str(template))
    shutil.rmtree(template_dir, ignore_errors=True)


@pytest.fixture
def database_url(suite_database: tuple[str, str], tmp_path: Path) -> str:
    kind, where = suite_database
    if kind == "postgresql":
        engine = make_engine(where)
        _truncate_all(engine)
        engine.dispose()
        return where
    path = tmp_path / "escalations.db"
    shutil.copy(where, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A reachable PostgreSQL for the tests that need one whatever the suite's database (this run's own)."""
    url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    problem = _postgres_problem(url)
    if problem:
        if IN_CI:
            pytest.fail(f"{problem}; CI expects it", pytrace=False)
        pytest.skip(problem)
    with private_database(url, "shared") as own:
        yield own


@pytest.fixture
def harness(database_url: str) -> Iterator[Harness]:
    running = start_harness(database_url, seed_workspace)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(params=["http", "socket"])
def any_harness(database_url: str, request: pytest.FixtureRequest) -> Iterator[Harness]:
    """The app receiving Slack's requests over signed HTTP, then over Socket Mode."""
    running = start_harness(database_url, seed_workspace, mode=request.param)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def parts(database_url: str) -> Iterator[Parts]:
    """The app's parts (database, jobs, the Slack client against a seeded stand-in) without the app
    that Slack sends requests to: for hooks, services and listeners' functions, called directly."""
    with running_parts(database_url) as running:
        yield running


@pytest.fixture
def components(parts: Parts) -> Components:
    """The app's parts alone (see `parts`)."""
    return parts.components


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on loopback that keeps what it receives (and each message's envelope)."""
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture
def standin() -> Iterator[StandIn]:
    """A seeded Slack stand-in on its own, for tests that run the app as a separate process."""
    running = StandIn().start()
    seed_workspace(running.workspace)
    yield running
    running.stop()


# The tiers (pyproject's markers): what a test uses decides its tier. It is end to end when it,
# a fixture it uses or a helper of the tests it calls starts the real app (or the CLI, or a
# throwaway database cluster); a service test when it needs a database and, at most, the
# outside services the app's parts talk to (the Slack stand-in, a real SMTP server: `mailbox`);
# otherwise a pure rule.
APP_STARTERS = frozenset(
    {"harness", "any_harness", "standin", "start_harness", "team_harness", "start_app_process"}
    | {"run_cli", "app_process", "throwaway_cluster", "ThrowawayPostgres", "subprocess"}
)
SERVICE_NAMES = frozenset(
    {"database_url", "suite_database", "postgres_url", "components", "make_engine", "migrate", "mailbox"}
)


def _names_used(item: pytest.Item) -> set[str]:
    """The names the test's function refers to, with those of every fixture it uses and of the
    tests' own helpers it calls (followed a few calls deep)."""
    fixtures = set(getattr(item, "fixturenames", ()))
    functions = [getattr(item, "function", None)]
    info = getattr(item, "_fixtureinfo", None)
    for name in fixtures:
        for definition in info.name2fixturedefs.get(name, ()) if info else ():
            functions.append(definition.func)
    names = set(fixtures)
    seen: set[object] = set()
    while functions:
        function = functions.pop()
        code = getattr(function, "__code__", None)
        if code is None or function in seen or len(seen) > 200:
            continue
        seen.add(function)
        used = set(code.co_names)
        used.update(n for const in code.co_consts if hasattr(const, "co_names") for n in const.co_names)
        names |= used
        scope = getattr(function, "__globals__", {})
        for name in used:  # a helper of the tests (tests/…): what it uses counts too
            helper = scope.get(name)
            if callable(helper) and str(getattr(helper, "__module__", "")).startswith("tests"):
                functions.append(helper)
    return names


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = _names_used(item)
        if used & APP_STARTERS:
            item.add_marker(pytest.mark.end_to_end)
        elif used & SERVICE_NAMES:
            item.add_marker(pytest.mark.services)
        else:
            item.add_marker(pytest.mark.rules)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: two workers a core, at most four more than the cores. Many end-to-end tests
    spend their time waiting (a database outage, Slack's Retry-After, a slow call): a second worker
    on the core keeps it busy meanwhile (on 2 cores the suite takes about a sixth less)."""
    cores = os.cpu_count() or 1
    return min(2 * cores, cores + 4)

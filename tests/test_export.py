"""Metrics over the timeline, and the export for BI tools (csv and json round-trip)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from assistant.database import make_engine
from assistant.domain.metrics import EventFact, case_timings, on_time_rate, percentile
from assistant.services.export import COLUMNS, export_rows, to_csv, to_json
from tests.harness import CSM, OWNER, FlowButton, in_hours, run_cli
from tests.parts import Parts
from tests.stories import store_cases

T = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_timings_from_the_timeline() -> None:
    events = [
        EventFact("acknowledged", T + timedelta(minutes=45)),
        EventFact("resolved", T + timedelta(hours=5)),
        EventFact("breach", T + timedelta(hours=3)),
        EventFact("reopened", T + timedelta(hours=6)),
        EventFact("resolved", T + timedelta(hours=8)),
    ]
    timings = case_timings(T, events, promises_made=3, promises_kept=2)
    assert timings.time_to_acknowledge == timedelta(minutes=45)
    assert timings.time_to_resolve == timedelta(hours=8)  # the resolution after the reopening
    assert timings.breaches == 1 and timings.closed_at is None
    reopened = case_timings(
        T,
        [EventFact("resolved", T), EventFact("reopened", T + timedelta(hours=1))],
        promises_made=0,
        promises_kept=0,
    )
    assert reopened.resolved_at is None
    assert on_time_rate(2, 3) == 2 / 3 and on_time_rate(0, 0) is None
    assert percentile([timedelta(minutes=m) for m in (10, 20, 30, 40, 50)], 90) == timedelta(minutes=50)
    assert percentile([timedelta(minutes=m) for m in (10, 20, 30, 40, 50)], 50) == timedelta(minutes=30)


def test_export_round_trips_as_csv_and_json(parts: Parts) -> None:
    case = parts.escalate(CSM, account='=HYPERLINK("http://evil")', summary='Ünïcode, "quotes"')
    view = parts.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
    assert parts.submit(OWNER, view, next_update=in_hours(2), customer_message="On it.") == {}
    assert parts.case(case.id).status == "acknowledged"

    rows = list(export_rows(parts.engine))
    assert len(rows) == 1 and rows[0]["key"] == "ESC-1"
    # Two promises: the acknowledgement, and the customer told within the first hour (its message).
    assert rows[0]["minutes_to_acknowledge"] is not None and rows[0]["promises_made"] == 2
    assert rows[0]["acknowledged_on_time"] is True  # against its deadline on its severity's calendar
    assert (rows[0]["account_value"], rows[0]["account_currency"]) == (120_000, "USD")
    assert json.loads(to_json(rows)) == rows
    parsed = list(csv.DictReader(io.StringIO(to_csv(rows))))
    assert list(parsed[0]) == COLUMNS
    assert parsed[0]["summary"] == 'Ünïcode, "quotes"'
    assert parsed[0]["account"] == '\'=HYPERLINK("http://evil")'  # no formula in a spreadsheet
    assert list(export_rows(parts.engine, since=datetime.now(UTC) + timedelta(days=1))) == []


def test_the_export_command(database_url: str, tmp_path: Path) -> None:
    engine = make_engine(database_url)
    store_cases(engine, 1, owner=OWNER)
    engine.dispose()
    env = {"DATABASE_URL": database_url}
    out = tmp_path / "cases.json"
    result = run_cli(["export", "--format", "json", "--output", str(out)], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert [row["key"] for row in json.loads(out.read_text())] == ["ESC-1"]
    assert out.stat().st_mode & 0o777 == 0o600  # customer data: its owner's eyes only
    result = run_cli(["export", "--since", "2999-01-01"], env, tmp_path)
    assert result.stdout.splitlines() == [",".join(COLUMNS)]
    # A file where it cannot be written is one sentence, not a traceback.
    missing = tmp_path / "no-such-folder" / "cases.csv"
    refused = run_cli(["export", "--format", "csv", "--output", str(missing)], env, tmp_path)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr == f"error: --output {missing}: No such file or directory\n"

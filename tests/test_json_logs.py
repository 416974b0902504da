"""Logs (issue 25, part 3): LOG_FORMAT=json writes one JSON object per line (python-json-logger),
and a whole run's log, case opened through Slack, carries none of the customer's text nor a secret."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from slack_standin import StandIn
from tests.harness import (
    CSM,
    SIGNING_SECRET,
    app_sender,
    default_intake,
    free_port,
    start_app_process,
    wait_for,
)  # fmt: skip

PLANTED = "MARK-CUSTOMER-TEXT-7f3a"


def test_json_logs_are_one_object_a_line_without_customer_text_or_secrets(
    standin: StandIn, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "app.log"
    monkeypatch.setenv("APP_LOG", str(log))
    workspace = standin.workspace
    if True:
        port = free_port()
        process = start_app_process(standin, database_url, port, LOG_FORMAT="json", LOG_LEVEL="DEBUG")
        try:
            sender = app_sender(standin, port)
            sender.slash_command(CSM, "", channel_id=workspace.channel_named("general").id)  # type: ignore[union-attr]
            wait_for(lambda: workspace.views, what="the modal")
            sender.submit_view(
                CSM,
                list(workspace.views)[-1],
                default_intake(summary=f"Summary {PLANTED}", description=f"Details {PLANTED}"),
            )
            wait_for(lambda: workspace.case_channels(), timeout=20, what="the case channel")
            sender.direct_message(CSM, f"status of the case {PLANTED}")
            wait_for(lambda: len(workspace.dm_messages(CSM)) >= 2, what="the answer")
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert len(lines) > 10
    records = [json.loads(line) for line in lines]  # every line one JSON object
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert any(
        r["logger"] == "assistant.listeners.intake" and "opened ESC-1" in r["message"] for r in records
    )
    text = log.read_text()
    for secret in (PLANTED, workspace.bot_token, "xoxb-", SIGNING_SECRET):
        assert secret not in text, secret

"""Workflow Builder steps (issue 24, part 4): "Open an escalation", "Post a customer update" and
"Get an escalation's status", declared in the manifest and run by the app as custom steps (Bolt
functions). Each run completes with the outputs its declaration names, or with an error that says
why: never left hanging, never a second case for one run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.harness import (
    CSM,
    OWNER,
    ROOT,
    VP,
    FlowButton,
    Harness,
    in_hours,
    start_harness,
    wait_for,
)  # fmt: skip
from tests.test_customer_end import link_channel, with_a_shared_channel

FUNCTIONS = yaml.safe_load((ROOT / "manifest.yml").read_text())["functions"]


@pytest.fixture(params=["http", "socket"])
def builder(database_url: str, request: pytest.FixtureRequest) -> Iterator[Harness]:
    running = start_harness(database_url, with_a_shared_channel, mode=request.param)
    running.workspace.functions = FUNCTIONS  # the stand-in checks outputs against the manifest
    try:
        yield running
    finally:
        running.stop()


def run_step(harness: Harness, callback_id: str, **inputs: Any) -> dict[str, Any]:
    """A workflow reaches the step; the run once it ended (completed or failed)."""
    run_id, answer = harness.sender.function_executed(callback_id, inputs)
    assert answer.status == 200  # Slack's event answered at once; the work runs after
    runs = harness.workspace.function_runs
    return wait_for(
        lambda: runs[run_id] if runs[run_id]["state"] != "running" else None, what=f"{callback_id}"
    )


def test_workflow_steps_open_update_and_read_a_case_or_say_why_not(builder: Harness) -> None:
    harness = builder
    opened = run_step(
        harness, "open_escalation", account="Acme", summary="Checkout down since 09:00",
        description="Every payment fails with a 502.", severity="critical", owner=OWNER, requested_by=CSM,
        contacts="ana@acme.example, bob@acme.example",
    )  # fmt: skip
    assert opened["state"] == "completed", opened["error"]
    key = opened["outputs"]["case_key"]
    case = harness.cases()[0]
    assert key == case.key and opened["outputs"]["channel"] == harness.case(case.id).channel_id
    assert (case.owner_id, case.reporter_id, case.severity) == (OWNER, CSM, "critical")
    harness.wait_provisioned(case.id)

    # Slack delivering the same run again opens nothing more.
    run = harness.workspace.function_runs[opened["id"]]
    harness.sender.event(
        {"type": "function_executed", "function": {"callback_id": "open_escalation"}, "inputs": run["inputs"],
         "function_execution_id": run["id"], "bot_access_token": run["token"], "event_ts": "1.1"}
    )  # fmt: skip

    # Its status, for a workflow (a later run: the repeat above was handled before it).
    status = run_step(harness, "get_escalation_status", case_key=key.lower())
    assert len(harness.cases()) == 1 and len(harness.workspace.calls_to("functions.completeSuccess")) == 2
    assert status["state"] == "completed"
    assert (
        status["outputs"]["status"] == "New: awaiting acknowledgement" and status["outputs"]["owner"] == OWNER
    )
    assert status["outputs"]["next_promise"].startswith("Acknowledgement due")

    # An update: refused without a way to the customer; sent in their Slack Connect channel once linked.
    no_route = run_step(
        harness, "post_customer_update", case_key=key, update="We found the cause.",
        next_update_at=in_hours(2), posted_by={"id": OWNER, "secret": "standin"},
    )  # fmt: skip
    assert (
        no_route["state"] == "failed" and "no way to reach the customer from a workflow" in no_route["error"]
    )
    assert link_channel(harness, harness.case(case.id), "acme-shared").status == 200
    wait_for(lambda: harness.case(case.id).connect_channel_id, what="the channel linked")
    not_theirs = run_step(
        harness, "post_customer_update", case_key=key, update="Hello.", next_update_at=in_hours(2),
        posted_by={"id": VP, "secret": "standin"},
    )  # fmt: skip
    assert not_theirs["state"] == "failed" and "owner" in not_theirs["error"]
    # The update flow's own rules hold: the case must be acknowledged first.
    early = run_step(
        harness, "post_customer_update", case_key=key, update="Hello.", next_update_at=in_hours(2),
        posted_by={"id": OWNER, "secret": "standin"},
    )  # fmt: skip
    assert early["state"] == "failed" and "Acknowledge it first" in early["error"]
    view_id = harness.open_flow(OWNER, harness.case(case.id), FlowButton.ACKNOWLEDGE)
    harness.submit(OWNER, view_id, next_update=in_hours(2), customer_message="Hi Acme, I own this now.")
    wait_for(lambda: harness.case(case.id).status == "acknowledged", what="the acknowledgement")
    promise = in_hours(3)
    updated = run_step(
        harness, "post_customer_update", case_key=key, update="Payments work again for most of you.",
        next_update_at=promise, posted_by={"id": OWNER, "secret": "standin"},
    )  # fmt: skip
    assert updated["state"] == "completed", updated["error"]
    assert updated["outputs"] == {"case_key": key, "next_update_at": promise}
    shared = harness.workspace.channel_named("acme-shared")
    assert shared is not None
    wait_for(lambda: any("Payments work again" in m.text for m in shared.messages), what="the customer told")
    # Slack delivering the same run again (after it finished): the customer is told once.
    run = harness.workspace.function_runs[updated["id"]]
    harness.sender.event(
        {"type": "function_executed", "function": {"callback_id": "post_customer_update"},
         "inputs": run["inputs"], "function_execution_id": run["id"], "bot_access_token": run["token"],
         "event_ts": "1.2"}
    )  # fmt: skip
    again = run_step(harness, "get_escalation_status", case_key=key)  # a later run, after the repeat
    assert again["state"] == "completed"
    assert sum("Payments work again" in m.text for m in shared.messages) == 1
    assert int(harness.case(case.id).next_update_due_at.timestamp()) == promise  # type: ignore[union-attr]


def test_bad_inputs_fail_the_step_with_what_to_fix(builder: Harness) -> None:
    harness = builder
    bad = run_step(
        harness, "open_escalation", account="Acme", summary="Down", description="x", severity="urgent",
        owner=harness.workspace.bot_user_id, requested_by=CSM,
    )  # fmt: skip
    assert bad["state"] == "failed"
    assert "severity: one of critical, high, medium, low" in bad["error"]
    assert "owner:" in bad["error"] and harness.cases() == []
    missing = run_step(harness, "get_escalation_status", case_key="ESC-999")
    assert (missing["state"], missing["error"]) == ("failed", "There is no escalation ESC-999.")
    # A private case's details never go to a workflow: its next step could post them anywhere.
    private = harness.escalate(CSM, triggers=["data_breach"], account="Initech", stakeholders=[])
    hidden = run_step(harness, "get_escalation_status", case_key=private.key)
    assert hidden["state"] == "failed" and "private case" in hidden["error"]
    assert "Initech" not in hidden["error"]
    # A person named by a plain id (not Slack's user context) is not trusted to post as them.
    spoofed = run_step(
        harness, "post_customer_update", case_key=private.key, update="Hi", next_update_at=in_hours(2),
        posted_by=OWNER,
    )  # fmt: skip
    assert spoofed["state"] == "failed" and "posted_by" in spoofed["error"]


def test_a_run_the_app_never_finished_is_failed_not_left_hanging(builder: Harness) -> None:
    import sqlalchemy as sa

    from assistant.jobs import step_runs
    from assistant.models import WorkflowStepRun, utcnow

    harness = builder
    run = harness.workspace.start_function_run("open_escalation", {"account": "Acme"})
    assert step_runs.claim(harness.engine, run["id"], "open_escalation")  # the app stopped right here
    assert not step_runs.claim(harness.engine, run["id"], "open_escalation")  # a repeat is not run
    assert step_runs.fail_stale_runs(harness.engine, harness.components.client) == 0  # not yet stale
    with harness.engine.begin() as connection:
        connection.execute(
            sa.update(WorkflowStepRun).values(
                started_at=utcnow() - step_runs.STALE_AFTER - step_runs.STALE_AFTER
            )
        )
    assert step_runs.fail_stale_runs(harness.engine, harness.components.client) == 1
    assert run["state"] == "failed" and "Run the workflow again" in run["error"]
    assert step_runs.fail_stale_runs(harness.engine, harness.components.client) == 0

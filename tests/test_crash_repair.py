"""A crash between provisioning steps is repaired when the app starts again: completed, not duplicated."""

from __future__ import annotations

import signal

import pytest

from assistant.app import create_app
from assistant.ids import MetadataEvent
from assistant.jobs.scheduler import create_scheduler
from assistant.services import provisioning as records
from assistant.services.cases import timeline
from slack_standin import StandIn
from tests.harness import (
    CSM,
    OWNER,
    app_sender,
    default_intake,
    free_port,
    make_settings,
    start_app_process,
    wait_for,
)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("slow_method", ["conversations.create", "chat.postMessage"])
def test_crash_mid_provisioning_is_completed_once_at_restart(
    standin: StandIn, database_url: str, slow_method: str
) -> None:
    workspace = standin.workspace
    port = free_port()
    process = start_app_process(
        standin, database_url, port, PROVISIONING_LEASE_SECONDS="1", SLACK_TIMEOUT_SECONDS="30"
    )
    try:
        sender = app_sender(standin, port)
        sender.slash_command(CSM, "", channel_id=workspace.channel_named("general").id)  # type: ignore[union-attr]
        wait_for(lambda: workspace.views, what="the modal")
        # Slack does the work, then answers slowly; the app dies before hearing back.
        workspace.latency[slow_method] = 60
        sender.submit_view(CSM, list(workspace.views)[-1], default_intake())
        wait_for(lambda: any(c.method == slow_method for c in workspace.calls), what=slow_method)
        wait_for(
            lambda: (
                workspace.case_channels()
                if slow_method == "conversations.create"
                else any(
                    (m.metadata or {}).get("event_type") == MetadataEvent.CASE_CARD
                    for c in workspace.case_channels()
                    for m in c.messages
                )
            ),
            what="Slack to have done the work",
        )
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    workspace.latency.clear()

    # Start again, as `serve` does: the scheduler's first run repairs at once.
    _, components = create_app(make_settings(standin, database_url, provisioning_lease_seconds=1))
    scheduler = create_scheduler(components)
    scheduler.start()
    try:
        wait_for(
            lambda: not records.pending_steps(components.engine, 1),
            timeout=15,
            what="the restarted app to finish the case",
        )
        created = next(e for e in timeline(components.engine, 1) if e.kind == "channel_created")
    finally:
        scheduler.shutdown(wait=True)
        components.close()

    assert created.data.get("adopted", False) is (slow_method == "conversations.create")

    channels = workspace.case_channels()
    assert len(channels) == 1, [c.name for c in channels]
    channel = channels[0]
    assert channel.name == "esc-1-acme-sso-outage"
    cards = [m for m in channel.messages if (m.metadata or {}).get("event_type") == MetadataEvent.CASE_CARD]
    assert len(cards) == 1
    assert channel.pins == [cards[0].ts]
    assert OWNER in channel.members and CSM in channel.members
    assert len(workspace.calls_to("conversations.create")) == (
        2 if slow_method == "conversations.create" else 1
    )

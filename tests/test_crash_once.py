"""SIGKILL while a message is on its way: after a restart, everything exists exactly once.

The stand-in does the work and answers 60 s late; the app process is killed
while it waits. A new app on the same database finishes what was missing.
"""

from __future__ import annotations

import signal
from collections.abc import Callable

import pytest

from assistant.app import create_app
from assistant.components import Components
from assistant.ids import MetadataEvent
from assistant.jobs.scheduler import create_scheduler
from assistant.services import provisioning as records
from assistant.services import reminders as table
from slack_standin import StandIn, Workspace
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


def _owner_reminders(workspace: Workspace) -> int:
    return len([m for m in workspace.dm_messages(OWNER) if "acknowledge this case by" in m.text])


def _posted(workspace: Workspace, text: str) -> bool:
    return any(text in m.text for c in workspace.channels.values() for m in c.messages)


# What is slowed, and how the test knows Slack has done it (so the kill comes after the effect).
CASES: dict[str, tuple[str, dict[str, str], Callable[[Workspace], bool]]] = {
    "owner-dm": (
        "chat.postMessage",
        {"channel": OWNER, "text~": "You own"},
        lambda w: len(w.dm_messages(OWNER)) >= 1,
    ),
    "feed": (
        "chat.postMessage",
        {"text~": "New escalation"},
        lambda w: _posted(w, "New escalation"),
    ),
    "bookmark": ("bookmarks.add", {}, lambda w: any(c.bookmarks for c in w.case_channels())),
    "reminder-dm": (
        "chat.postMessage",
        {"channel": OWNER, "text~": "acknowledge this case by"},
        lambda w: _owner_reminders(w) >= 1,
    ),
}


def restart(standin: StandIn, database_url: str) -> tuple[Components, Callable[[], None]]:
    """A new app on the same database, with its clock running, as `serve` starts it."""
    _, components = create_app(
        make_settings(
            standin,
            database_url,
            provisioning_lease_seconds=1,
            reminder_lease_seconds=1,
            ack_within_minutes=5,
            digest_enabled=False,
        )
    )
    scheduler = create_scheduler(components)
    scheduler.start()

    def stop() -> None:
        scheduler.shutdown(wait=True)
        components.close()

    return components, stop


@pytest.mark.parametrize("what", list(CASES))
def test_a_kill_mid_call_is_finished_once_at_restart(standin: StandIn, database_url: str, what: str) -> None:
    workspace = standin.workspace
    method, match, done_in_slack = CASES[what]
    port = free_port()
    process = start_app_process(
        standin,
        database_url,
        port,
        PROVISIONING_LEASE_SECONDS="1",
        REMINDER_LEASE_SECONDS="1",
        SLACK_TIMEOUT_SECONDS="30",
        # The reminder 30 minutes before a 5-minute deadline is due at once.
        ACK_WITHIN_MINUTES="5",
    )
    try:
        sender = app_sender(standin, port)
        sender.slash_command(CSM, "", channel_id=workspace.channel_named("general").id)  # type: ignore[union-attr]
        wait_for(lambda: workspace.views, what="the modal")
        workspace.slow(method, 60, match=match)
        sender.submit_view(CSM, list(workspace.views)[-1], default_intake())
        wait_for(lambda: done_in_slack(workspace), timeout=20, what=f"Slack to have done the {what}")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    workspace.faults.clear()

    components, stop = restart(standin, database_url)
    try:
        wait_for(
            lambda: (
                not records.pending_steps(components.engine, 1)
                and any(r.state == table.SENT for r in table.reminders_of(components.engine, 1))
            ),
            timeout=30,
            what="the restarted app to finish the case and send the due reminder",
        )
    finally:
        stop()

    channels = workspace.case_channels()
    assert len(channels) == 1
    channel = channels[0]
    cards = [m for m in channel.messages if (m.metadata or {}).get("event_type") == MetadataEvent.CASE_CARD]
    assert len(cards) == 1
    assert len([m for m in workspace.dm_messages(OWNER) if "You own" in m.text]) == 1
    feed = workspace.channel_named("escalations")
    assert feed is not None and len([m for m in feed.messages if "New escalation" in m.text]) == 1
    assert len(channel.bookmarks) == 1
    assert _owner_reminders(workspace) == 1

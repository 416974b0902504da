"""The task force (issue 23, stage 3): still unresolved at the playbook's time for its severity,
the owner is reminded to call it; the owner or a manager calls it; the playbook's groups join the
channel; the resolution stands it down (all on the timeline)."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.harness import CSM, MANAGER, OWNER, VP, FlowButton, Harness, in_hours, wait_for


def test_an_unresolved_case_calls_its_task_force_and_the_resolution_stands_it_down(harness: Harness) -> None:
    harness.workspace.add_usergroup("incident-leads", [MANAGER, VP])
    case = harness.escalate(CSM, severity="high", stakeholders=[])
    assert case.task_force_due_at == case.created_at + timedelta(hours=8)  # the playbook's, for high

    harness.components.reminders.tick(now=case.task_force_due_at)
    reminder = wait_for(
        lambda: [
            m for m in harness.workspace.dm_messages(OWNER) if "the playbook calls the task force" in m.text
        ],
        what="the owner reminded",
    )[-1]
    button = next(
        e for b in reminder.blocks or [] if b["type"] == "actions" for e in b["elements"]
        if e["action_id"] == "case_task_force"
    )  # fmt: skip
    assert button["text"]["text"] == "Call the task force"

    # The reporter may not call it; the owner does, from the reminder.
    harness.click(CSM, case, "case_task_force")
    assert harness.answer(CSM).startswith("Only the owner")
    views = len(harness.workspace.views)
    harness.sender.click(
        OWNER, "case_task_force", button["value"], channel_id=harness.workspace.ims[OWNER],
        message_ts=reminder.ts, block_id="reminder_actions",
    )  # fmt: skip
    wait_for(lambda: len(harness.workspace.views) > views, what="the task force form")
    view_id, view = list(harness.workspace.views.items())[-1]
    assert "@incident-leads" in json.dumps(view)
    errors = harness.submit(OWNER, view_id).json()["errors"]
    assert errors == {"reason": "Say what the task force is needed for."}
    harness.submit(OWNER, view_id, reason="SSO still down after 8 hours: we need the identity team's lead.")
    channel = harness.channel_of(case)
    wait_for(lambda: {MANAGER, VP} <= set(channel.members), what="the task force in the channel")
    called = next(e for e in harness.events(case.id) if e.kind == "task_force_called")
    assert called.actor_id == OWNER and called.data["groups"] == ["incident-leads"]
    wait_for(
        lambda: any(
            "called the task force on *ESC-1*: @incident-leads" in json.dumps(m.blocks)
            for m in channel.messages
        ),
        what="the channel told",
    )
    wait_for(lambda: "Task force called" in json.dumps(channel.messages[0].blocks), what="the card")
    # Nothing reminds of it again (the hour after, only the other promises' reminders fire).
    harness.components.reminders.tick(now=case.task_force_due_at + timedelta(hours=1))
    assert len([m for m in harness.workspace.dm_messages(OWNER) if "calls the task force" in m.text]) == 1

    # Resolved: it stands down.
    view_id = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
    harness.submit(OWNER, view_id, next_update=in_hours(2), customer_message="On it.")
    wait_for(lambda: harness.case(case.id).status == "acknowledged", what="the acknowledgement")
    view_id = harness.open_flow(OWNER, case, FlowButton.RESOLVE)
    harness.submit(
        OWNER, view_id, resolution_summary="Fixed.", fix="Renewed the certificate.", customer_confirmed="yes",
        customer_notice="Your service is back.",
    )  # fmt: skip
    wait_for(lambda: "task_force_stood_down" in [e.kind for e in harness.events(case.id)], what="stood down")
    wait_for(
        lambda: any("The task force stands down" in json.dumps(m.blocks) for m in channel.messages),
        what="the channel told it stands down",
    )

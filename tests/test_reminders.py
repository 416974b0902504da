"""Promises kept: reminders before and at each promise, automatic escalation when one is missed.

The dispatcher is driven with an explicit clock (`tick(now=...)`), so each rule is
checked before, at and after its deadline without waiting. Most tests call the app's parts
directly (tests/parts.py's `Parts`: the intake, the flows' submissions, the dispatcher), without
its HTTP side; the reminders' buttons are clicked over signed HTTP, as Slack sends them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import time_machine

from assistant.components import Components
from assistant.database import session_scope
from assistant.domain.reminders import ReminderKind
from assistant.ids import CaseAction
from assistant.models import Escalation
from assistant.services import reminders as table
from tests.harness import (
    CSM,
    EXEC,
    MANAGER,
    OWNER,
    Harness,
    in_hours,
    wait_for,
)
from tests.parts import Parts, running_parts
from tests.stories import acknowledged


def pending(components: Components, case: Escalation) -> set[tuple[str, datetime]]:
    return {
        (r.kind, r.due_at)
        for r in table.reminders_of(components.engine, case.id or 0)
        if r.state == "pending"
    }


def tick(components: Components, at: datetime) -> int:
    return components.reminders.tick(now=at)


def past_the_first_hour(components: Components, case: Escalation) -> None:
    """The first hour passes with no word to the customer: stage 2's reminder and breach fire
    (tests/test_first_contact.py), so a test of the acknowledgement counts its own alone."""
    assert case.first_contact_due_at is not None
    assert tick(components, case.first_contact_due_at) == 2


def missed(parts: Parts, user: str, what: str) -> list[str]:
    """The missed promises `user` was told of, about `what` (the first hour's is another)."""
    return [
        m.text for m in parts.workspace.dm_messages(user) if m.text.startswith("Missed") and what in m.text
    ]


def acknowledge(parts: Parts, case: Escalation, promise: int) -> Escalation:
    return parts.run_flow(OWNER, case, "acknowledge", next_update=promise, customer_message="On it.")


def test_the_owner_is_reminded_to_acknowledge_and_managers_are_told_at_the_deadline(parts: Parts) -> None:
    case = parts.escalate()
    deadline = case.ack_due_at
    assert deadline is not None
    first = case.first_contact_due_at
    assert first is not None and case.task_force_due_at is not None
    assert pending(parts.components, case) == {
        ("ack_soon", deadline - timedelta(minutes=30)),
        ("ack_missed", deadline),
        ("first_contact_soon", first - timedelta(minutes=15)),
        ("first_contact_missed", first),
        ("task_force_due", case.task_force_due_at),  # a high case, unresolved 8 hours on
    }
    past_the_first_hour(parts.components, case)
    dms_before = len(parts.workspace.dm_messages(OWNER))

    assert tick(parts.components, deadline - timedelta(minutes=31)) == 0
    assert tick(parts.components, deadline - timedelta(minutes=30)) == 1
    reminder = parts.workspace.dm_messages(OWNER)[-1]
    assert len(parts.workspace.dm_messages(OWNER)) == dms_before + 1
    assert "please acknowledge this case by" in reminder.text
    assert f"<!date^{int(deadline.timestamp())}^" in reminder.text
    buttons = [
        e["text"]["text"] for b in reminder.blocks or [] if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons == ["Acknowledge", "Snooze 30 min", "Snooze 1 h", "Snooze 2 h"]
    assert "please acknowledge" in parts.channel_of(case).messages[-1].text  # the channel sees it too

    assert tick(parts.components, deadline - timedelta(minutes=1)) == 0
    assert tick(parts.components, deadline) == 1
    breach = parts.workspace.dm_messages(MANAGER)[-1]
    assert breach.text == "Missed promise on ESC-1: acknowledge the case"
    assert missed(parts, MANAGER, "") == [
        "Missed promise on ESC-1: tell the customer within the first hour",
        "Missed promise on ESC-1: acknowledge the case",
    ]
    assert f"Escalated to <@{MANAGER}>" in json.dumps(breach.blocks)
    assert any("Missed promise on ESC-1" in m.text for m in parts.feed.messages)
    kinds = [e.kind for e in parts.events(case.id)]
    assert kinds[-2:] == ["reminder_sent", "breach"]
    assert tick(parts.components, deadline + timedelta(hours=5)) == 0  # each reminder once


def test_acknowledging_cancels_the_ack_reminders_and_plans_the_update_ones(parts: Parts) -> None:
    case = parts.escalate()
    promise = in_hours(3)
    case = acknowledge(parts, case, promise)
    at = datetime.fromtimestamp(promise, UTC)
    assert pending(parts.components, case) == {
        ("update_soon", at - timedelta(minutes=15)),
        ("update_due", at),
        ("update_missed", at + timedelta(minutes=15)),
        ("task_force_due", case.task_force_due_at),  # still owed while it is unresolved
    }
    assert tick(parts.components, (case.ack_due_at or at) + timedelta(minutes=1)) == 0
    assert not [m for m in parts.workspace.dm_messages(MANAGER) if m.text.startswith("Missed promise")]


def test_update_reminders_before_at_and_escalation_after_the_grace(parts: Parts) -> None:
    case = acknowledge(parts, parts.escalate(), in_hours(3))
    at = case.next_update_due_at
    assert at is not None
    assert tick(parts.components, at - timedelta(minutes=15)) == 1
    assert "the customer expects an update by" in parts.workspace.dm_messages(OWNER)[-1].text
    assert tick(parts.components, at) == 1
    assert "the promised customer update is due now" in parts.workspace.dm_messages(OWNER)[-1].text
    assert tick(parts.components, at + timedelta(minutes=14)) == 0
    assert tick(parts.components, at + timedelta(minutes=15)) == 1
    assert "send the customer the promised update" in parts.workspace.dm_messages(MANAGER)[-1].text


def test_posting_an_update_moves_the_reminders(parts: Parts) -> None:
    case = acknowledge(parts, parts.escalate(), in_hours(3))
    old = case.next_update_due_at
    assert old is not None
    new = in_hours(6)
    stored = parts.run_flow(
        OWNER,
        case,
        "post_update",
        internal="Found it",
        customer_update="Fix by tonight.",
        next_update=new,
    )
    assert stored.next_update_due_at == datetime.fromtimestamp(new, UTC)
    assert {due for kind, due in pending(parts.components, case) if kind.startswith("update")} == {
        datetime.fromtimestamp(new, UTC) + delta
        for delta in (timedelta(minutes=-15), timedelta(0), timedelta(minutes=15))
    }
    assert tick(parts.components, old + timedelta(minutes=20)) == 0  # nothing fires for the old promise
    # The acknowledgement, its message (the customer's first hour) and the update, all on time.
    assert (stored.promises_made, stored.promises_kept) == (3, 3)


def test_nothing_fires_for_a_closed_case(parts: Parts) -> None:
    case = acknowledge(parts, parts.escalate(category="business", stakeholders=[], triggers=[]), in_hours(3))
    resolved = parts.run_flow(
        OWNER,
        case,
        "resolve",
        resolution_summary="Fixed",
        fix="Credit issued",
        customer_confirmed="yes",
        customer_notice="Credit issued.",
        # A business case's executive contact, still owed: cancelled with its reason, not dropped.
        executive_contact="not_needed",
        executive_contact_reason="The customer's CFO asked to talk to the account team only.",
    )
    assert resolved.status == "resolved"
    cancelled = next(e for e in parts.events(case.id) if e.kind == "executive_contact_cancelled")
    assert cancelled.data["reason"].startswith("The customer's CFO") and cancelled.actor_id == OWNER
    assert {k for k, _ in pending(parts.components, case)} == {"rca_soon", "rca_missed"}
    closed = parts.close(case, no_rca_reason="Commercial dispute, settled.")
    assert closed.status == "closed"
    assert pending(parts.components, case) == set()
    assert tick(parts.components, datetime.now(UTC) + timedelta(days=30)) == 0


def test_a_missed_promise_shows_on_the_card_and_the_topic(parts: Parts) -> None:
    """Escalated to the managers, and no longer "due" as if there were time (issue 23)."""
    case = parts.escalate()
    deadline = case.ack_due_at
    assert deadline is not None

    def card() -> str:
        return json.dumps(parts.channel_of(case).messages[0].blocks, ensure_ascii=False)

    assert "overdue" not in card() and "overdue" not in parts.channel_of(case).topic
    past_the_first_hour(parts.components, case)
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        assert tick(parts.components, deadline + timedelta(seconds=1)) == 2  # the reminder, the breach
    wait_for(lambda: "*Acknowledgement due* · :red_circle: overdue" in card(), what="the card marked overdue")
    assert parts.channel_of(case).topic.endswith("UTC · overdue")
    # Acknowledged late, the next promise is the update's, on time.
    with time_machine.travel(deadline + timedelta(minutes=5), tick=False):
        parts.run_flow(OWNER, case, "acknowledge", next_update=in_hours(3), customer_message="On it.")
    wait_for(lambda: "overdue" not in card(), what="the card without the mark")
    assert "overdue" not in parts.channel_of(case).topic


def test_the_overdue_mark_is_in_the_teams_language(database_url: str) -> None:
    with running_parts(database_url, default_locale="pt-BR") as parts:
        case = parts.escalate()
        deadline = case.ack_due_at
        assert deadline is not None
        with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
            tick(parts.components, deadline + timedelta(seconds=1))
        wait_for(
            lambda: ":red_circle: atrasado" in json.dumps(parts.channel_of(case).messages[0].blocks),
            what="the card marked overdue, in Portuguese",
        )
        assert parts.channel_of(case).topic.endswith("UTC · atrasado")


def snooze_button(blocks: list[dict] | None) -> dict:
    """The "Snooze 30 min" button of a reminder."""
    return next(
        e
        for b in blocks or []
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == "Snooze 30 min"
    )


def test_only_the_owners_copy_of_a_reminder_can_be_snoozed(parts: Parts) -> None:
    """The case channel's copy shows the way forward; snoozing is the owner's, in their DM (issue 23)."""
    case = parts.escalate(CSM)
    deadline = case.ack_due_at or datetime.now(UTC)
    past_the_first_hour(parts.components, case)
    assert tick(parts.components, deadline - timedelta(minutes=30)) == 1

    def labels(blocks: list[dict] | None) -> list[str]:
        return [e["text"]["text"] for b in blocks or [] if b["type"] == "actions" for e in b["elements"]]

    in_channel = wait_for(
        lambda: [m for m in parts.channel_of(case).messages if "please acknowledge this case" in m.text],
        what="the reminder in the case channel",
    )
    in_dm = parts.workspace.dm_messages(OWNER)[-1]
    assert "Snooze 30 min" in labels(in_dm.blocks)
    assert [label for label in labels(in_channel[-1].blocks) if label.startswith("Snooze")] == []
    assert labels(in_channel[-1].blocks) == labels(in_dm.blocks)[:1]  # the next step, for everyone


def test_snooze_reminds_again_without_moving_the_promise(harness: Harness) -> None:
    case = harness.escalate(CSM)
    deadline = case.ack_due_at or datetime.now(UTC)
    tick(harness.components, deadline - timedelta(minutes=30))
    reminder = harness.workspace.dm_messages(OWNER)[-1]
    snooze = snooze_button(reminder.blocks)
    harness.mark(OWNER)
    harness.sender.click(
        OWNER,
        CaseAction.SNOOZE,
        snooze["value"],
        channel_id=harness.workspace.ims[OWNER],
        message_ts=reminder.ts,
        block_id="reminder_actions",
    )
    answer = harness.answer(OWNER)
    assert answer.startswith("I'll remind you again <!date^")
    assert harness.case(case.id).ack_due_at == deadline
    snoozed = next(
        r for r in table.reminders_of(harness.components.engine, case.id or 0) if r.kind == "snoozed"
    )
    assert tick(harness.components, snoozed.due_at - timedelta(seconds=1)) == 0
    assert tick(harness.components, snoozed.due_at) == 1
    assert "a reminder you snoozed" in harness.workspace.dm_messages(OWNER)[-1].text


def test_business_cases_track_executive_contact_within_24_hours(harness: Harness) -> None:
    case = harness.escalate(CSM, category="business")
    due = case.exec_contact_due_at
    assert due is not None and timedelta(hours=23, minutes=59) < due - case.created_at <= timedelta(hours=24)
    assert ("exec_contact_missed", due) in pending(harness.components, case)
    tick(harness.components, due - timedelta(hours=2))
    reminder = harness.workspace.dm_messages(OWNER)[-1]
    assert "an executive must contact the customer by" in reminder.text
    harness.sender.click(
        EXEC,
        CaseAction.EXEC_CONTACT_DONE,
        str(case.id),
        channel_id=case.channel_id,
        message_ts=reminder.ts,
        block_id="reminder_actions",
    )
    wait_for(lambda: harness.case(case.id).exec_contact_done_at, what="the contact to be recorded")
    assert not {k for k, _ in pending(harness.components, case)} & {
        "exec_contact_soon",
        "exec_contact_missed",
    }
    # The missed-contact escalation was cancelled.
    assert tick(harness.components, due + timedelta(minutes=1)) == 0
    assert not any("executive contact" in m.text for m in harness.workspace.dm_messages(MANAGER))


def test_quiet_hours_keep_the_dm_but_not_the_channel_message(database_url: str) -> None:
    with running_parts(database_url, quiet_hours_by_user=f"{OWNER}=22:00-07:00") as parts:
        case = parts.escalate()
        dms = len(parts.workspace.dm_messages(OWNER))
        channel_messages = len(parts.channel_of(case).messages)
        three_am_in_sao_paulo = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
        # The acknowledgement falls due at night in São Paulo: move the promise, as the app would.
        with session_scope(parts.engine) as session:
            stored = session.get(Escalation, case.id)
            assert stored is not None
            stored.ack_due_at = three_am_in_sao_paulo + timedelta(minutes=30)
            session.add(stored)
            table.sync_reminders(session, stored, parts.components.reminder_policy)
        parts.components.reminders.settings.reminder_late_after_seconds = 10**9
        assert tick(parts.components, three_am_in_sao_paulo) == 1
        assert len(parts.workspace.dm_messages(OWNER)) == dms
        assert len(parts.channel_of(case).messages) == channel_messages + 1


def test_the_same_instant_for_an_owner_in_sao_paulo_and_an_executive_in_tokyo(parts: Parts) -> None:
    case = parts.escalate()
    deadline = case.ack_due_at or datetime.now(UTC)
    tick(parts.components, deadline - timedelta(minutes=30))
    token = f"<!date^{int(deadline.timestamp())}^"
    owner_sees = parts.workspace.dm_messages(OWNER)[-1]  # read in America/Sao_Paulo
    channel_sees = parts.channel_of(case).messages[-1]  # read by the executive in Asia/Tokyo
    assert EXEC in parts.channel_of(case).members
    assert token in owner_sees.text and token in channel_sees.text
    # Slack renders the token in each reader's zone; the fallback names UTC explicitly.
    assert f"|{deadline:%a %d %b %Y %H:%M} UTC>" in owner_sees.text


def test_a_reminder_slack_refuses_is_retried_not_lost(parts: Parts) -> None:
    case = parts.escalate()
    due = (case.ack_due_at or datetime.now(UTC)) - timedelta(minutes=30)
    past_the_first_hour(parts.components, case)
    parts.workspace.fail("chat.postMessage", status=500, times=3)  # one call and its two retries
    assert tick(parts.components, due) == 1
    row = next(r for r in table.reminders_of(parts.engine, case.id or 0) if r.kind == "ack_soon")
    assert row.state == "claimed" and row.last_error == "http_500" and row.claimed_until is not None
    assert tick(parts.components, row.claimed_until - timedelta(seconds=1)) == 0
    assert tick(parts.components, row.claimed_until + timedelta(seconds=1)) == 1
    row = next(r for r in table.reminders_of(parts.engine, case.id or 0) if r.kind == "ack_soon")
    assert row.state == "sent" and row.attempts == 2


def test_reminder_kinds_cover_every_headline() -> None:
    from assistant.jobs.reminders import HEADLINES

    assert set(HEADLINES) == set(ReminderKind)


def test_ack_window_per_severity_and_the_owners_manager_hears_of_a_breach(database_url: str) -> None:
    with running_parts(
        database_url, ack_within_minutes_by_severity="critical=60", managers_of_owners=f"{OWNER}={EXEC}"
    ) as parts:
        critical = parts.escalate(severity="critical")
        assert critical.ack_due_at is not None
        assert critical.ack_due_at - critical.created_at == timedelta(minutes=60)
        # The owner is asked to acknowledge within the case's own window, not the default 2 hours.
        request = parts.workspace.dm_messages(OWNER)[0]
        assert "acknowledge within 1 hour*" in json.dumps(request.blocks)
        tick(parts.components, critical.ack_due_at)
        # Its acknowledgement and its first hour end together: both missed, both told.
        for manager in (EXEC, MANAGER):
            assert "Missed promise on ESC-1: acknowledge the case" in missed(parts, manager, "acknowledge")


def test_the_cards_details_show_promises_kept(harness: Harness) -> None:
    case = acknowledged(harness)
    # The acknowledgement, and its message to the customer within the first hour.
    assert "Promises kept on time: 2 of 2" in harness.details(OWNER, case)


def press(harness: Harness, user: str, button: dict, channel_id: str | None, message_ts: str) -> None:
    """`user` presses a reminder's button (their private answers counted from now)."""
    harness.mark(user)
    harness.sender.click(
        user,
        CaseAction(button["action_id"]),
        button["value"],
        channel_id=channel_id,
        message_ts=message_ts,
        block_id="reminder_actions",
    )


def test_only_the_owner_or_a_manager_may_snooze(harness: Harness) -> None:
    case = harness.escalate(CSM)
    deadline = case.ack_due_at or datetime.now(UTC)
    tick(harness.components, deadline - timedelta(minutes=30))
    posted = harness.workspace.dm_messages(OWNER)[-1]
    snooze = snooze_button(posted.blocks)
    # A stakeholder presses the owner's snooze (a channel copy posted before the channel's lost
    # its snoozes has one): refused, nothing moves.
    press(harness, EXEC, snooze, case.channel_id, posted.ts)
    assert harness.answer(EXEC) == (
        f"Only the owner, <@{OWNER}>, or an escalation manager can snooze this case's reminders."
    )
    assert not [r for r in table.reminders_of(harness.components.engine, case.id or 0) if r.kind == "snoozed"]
    # An escalation manager may.
    press(harness, MANAGER, snooze, case.channel_id, posted.ts)
    assert harness.answer(MANAGER).startswith("I'll remind you again")


def test_reclassifying_a_business_case_replans_its_promises(parts: Parts) -> None:
    case = parts.escalate(category="business")
    due = case.exec_contact_due_at
    assert due is not None and ("exec_contact_missed", due) in pending(parts.components, case)
    classified = parts.run_flow(
        OWNER,
        case,
        "classify",
        category="technical",
        kind="functional",
        severity="high",
        resolving_team="Identity",
        reason="It is a login bug, not a commercial dispute.",
    )
    assert classified.category == "technical"
    assert classified.exec_contact_due_at is None
    assert not {k for k, _ in pending(parts.components, case)} & {"exec_contact_soon", "exec_contact_missed"}
    tick(parts.components, due - timedelta(hours=2))
    # (The acknowledgement, never given, is missed: that is told.)
    tick(parts.components, due + timedelta(minutes=1))
    for person in (OWNER, MANAGER):
        assert not any("executive" in m.text for m in parts.workspace.dm_messages(person))
    assert not any("executive" in m.text for m in parts.feed.messages)

"""Promises kept: reminders before and at each promise, automatic escalation when one is missed.

The dispatcher is driven with an explicit clock (`tick(now=...)`), so each rule is
checked before, at and after its deadline without waiting. Most tests call the app's parts
directly (`Parts`: the intake, the flows' submissions, the dispatcher), without its HTTP side;
the reminders' buttons are clicked over signed HTTP, as Slack sends them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from slack_bolt import Ack, Respond

from assistant.components import Components, create_components
from assistant.content.i18n import speaking
from assistant.content.registry import install_folder
from assistant.database import session_scope
from assistant.domain.reminders import ReminderKind
from assistant.ids import CaseAction
from assistant.listeners import OWNER_FLOWS
from assistant.listeners.case_flow import Answers, CaseFlows, FlowSpec, read_submission
from assistant.listeners.commands import answer_command
from assistant.listeners.intake import IntakeMetadata, after_intake_stored, checked_intake, store_intake
from assistant.models import CaseEvent, Escalation
from assistant.services import provisioning as records
from assistant.services import reminders as table
from assistant.services.cases import get_case, timeline
from slack_standin import StandIn, Workspace
from slack_standin.sender import view_state
from slack_standin.workspace import Channel
from tests.harness import (
    CSM,
    EXEC,
    MANAGER,
    OWNER,
    Harness,
    default_intake,
    in_hours,
    make_settings,
    seed_workspace,
    wait_for,
)

# -- The app's parts without its HTTP side -----------------------------------------------------------
# What a test whose subject is not Slack's request path uses (test_home, test_action_items,
# test_digest and test_reminder_clock too): the parts create_app builds, against a real database
# and the Slack stand-in, whose state shows what people would see; the listeners' own functions
# called as Bolt calls them once it has read Slack's request.


class Answered(Respond):
    """A person's private answers (a command's, a refused flow's), kept."""

    def __init__(self) -> None:
        super().__init__(response_url="https://hooks.slack.invalid/commands/answer")
        self.texts: list[str] = []

    def __call__(self, text: str = "", **_: Any) -> None:  # type: ignore[override]
        self.texts.append(text)


class Acked(Ack):
    """What a modal's submission answered Slack: nothing (the modal closes), or its errors."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[dict[str, Any]] = []

    def __call__(self, **answer: Any) -> None:  # type: ignore[override]
        self.answers.append(answer)


@dataclass
class Parts:
    """The app's parts (`components`, its owner flows as register_all wires them) and the Slack
    stand-in they talk to."""

    slack: StandIn
    components: Components
    flows: CaseFlows = field(init=False)

    def __post_init__(self) -> None:
        self.flows = CaseFlows(self.components)
        for module in OWNER_FLOWS:
            self.flows.register(module.FLOW, module.open_flow)
            spec: FlowSpec | None = getattr(module, "SPEC", None)
            if spec is not None:
                self.flows.on_submit(spec)

    @property
    def engine(self) -> sa.Engine:
        return self.components.engine

    @property
    def workspace(self) -> Workspace:
        return self.slack.workspace

    def channel(self, name: str) -> Channel:
        found = self.workspace.channel_named(name)
        assert found is not None
        return found

    @property
    def feed(self) -> Channel:
        return self.channel("escalations")

    def channel_of(self, case: Escalation) -> Channel:
        assert case.channel_id is not None
        return self.workspace.channels[case.channel_id]

    def case(self, case_id: int | None) -> Escalation:
        return get_case(self.engine, case_id or 0)

    def events(self, case_id: int | None) -> list[CaseEvent]:
        return timeline(self.engine, case_id or 0)

    def command(self, user: str, text: str, channel_id: str | None = None) -> list[str]:
        """`/escalate <text>` as its listener answers it once acknowledged; the private answers."""
        answered = Answered()
        channel_id = channel_id or self.channel("general").id
        command = {  # what Slack sends with a command (slack_standin/sender.py slash_command)
            "user_id": user,
            "text": text,
            "channel_id": channel_id,
            "response_url": self.workspace.issue_response_url(self.slack.base_url, channel_id, user),
            "trigger_id": self.workspace.issue_trigger(),
        }
        with speaking(lambda: self.components.people.locale(user)):  # as in_their_language does
            answer_command(self.flows, self.components.client, answered, command)
        return answered.texts

    def latest_view(self) -> dict[str, Any]:
        return list(self.workspace.views.values())[-1]


@contextmanager
def running_parts(database_url: str, **settings: Any) -> Iterator[Parts]:
    """The app's parts against a seeded stand-in (`settings`: as the environment would set them)."""
    slack = StandIn().start()
    seed_workspace(slack.workspace)
    components = create_components(
        make_settings(slack, database_url, **settings), content=install_folder(None)
    )
    try:
        yield Parts(slack, components)
    finally:
        components.close()
        slack.stop()


@pytest.fixture
def parts(database_url: str) -> Iterator[Parts]:
    with running_parts(database_url) as running:
        yield running


def escalate(parts: Parts, user: str = CSM, **intake: Any) -> Escalation:
    """The whole intake without HTTP: `/escalate` opens the form (in the stand-in), which is sent
    back filled in as default_intake says; stored, then opened in Slack (returned once it is)."""
    assert parts.command(user, "") == []
    form = parts.latest_view()
    view = {**form, "state": {"values": view_state(form, default_intake(**intake))}}
    body = {"user": {"id": user}, "team": {"id": parts.workspace.team_id}}
    with speaking(lambda: parts.components.people.locale(user)):  # as in_their_language does
        valid, errors = checked_intake(parts.components, view)
        assert valid is not None, errors
        metadata = IntakeMetadata.from_view(view)
        opened = store_intake(parts.components, valid, metadata, body, view)
        after_intake_stored(parts.components, opened, metadata, user)
    case_id = opened.case.id
    wait_for(lambda: not records.pending_steps(parts.engine, case_id or 0), what="the case open in Slack")
    return parts.case(case_id)


def run_flow(parts: Parts, user: str, case: Escalation, flow: str, **values: Any) -> Escalation:
    """`user` starts `flow` (flows/<flow>.yml) on `case` and submits its modal with `values` (the
    rest as the modal was filled in); the modal must close. Returns the case as it is now."""
    refused = Answered()
    parts.flows.start(
        client=parts.components.client,
        respond=refused,
        case_id=case.id or 0,
        flow=flow,
        actor_id=user,
        trigger_id=parts.workspace.issue_trigger(),
    )
    assert refused.texts == [], refused.texts
    modal = parts.latest_view()
    assert modal["callback_id"] == flow
    view = {**modal, "state": {"values": view_state(modal, values)}}
    with speaking(parts.components.people.locale(user)):  # as the submission's middleware does
        submission = read_submission(parts.flows, user, view, flow)
    assert submission is not None
    acked = Acked()
    parts.flows.submit(
        parts.flows.specs[flow], acked, submission, Answers(view, parts.flows.book.questions(flow))
    )
    assert acked.answers == [{}], acked.answers
    return parts.case(case.id)


# -- Reminders ------------------------------------------------------------------------------------


def pending(components: Components, case: Escalation) -> set[tuple[str, datetime]]:
    return {
        (r.kind, r.due_at)
        for r in table.reminders_of(components.engine, case.id or 0)
        if r.state == "pending"
    }


def tick(components: Components, at: datetime) -> int:
    return components.reminders.tick(now=at)


def acknowledge(parts: Parts, case: Escalation, promise: int) -> Escalation:
    return run_flow(parts, OWNER, case, "acknowledge", next_update=promise, customer_message="On it.")


def resolved_case(parts: Parts, **intake: Any) -> Escalation:
    """A case escalated, acknowledged and resolved, as tests.stories.resolved brings one there."""
    case = acknowledge(parts, escalate(parts, **intake), in_hours(2))
    return run_flow(
        parts,
        OWNER,
        case,
        "resolve",
        resolution_summary="Fixed.",
        fix="Restarted.",
        customer_confirmed="pending",
        customer_notice="Your service is back.",
    )


def test_the_owner_is_reminded_to_acknowledge_and_managers_are_told_at_the_deadline(parts: Parts) -> None:
    case = escalate(parts)
    deadline = case.ack_due_at
    assert deadline is not None
    assert pending(parts.components, case) == {
        ("ack_soon", deadline - timedelta(minutes=30)),
        ("ack_missed", deadline),
    }
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
    assert f"Escalated to <@{MANAGER}>" in json.dumps(breach.blocks)
    assert any("Missed promise on ESC-1" in m.text for m in parts.feed.messages)
    kinds = [e.kind for e in parts.events(case.id)]
    assert kinds[-2:] == ["reminder_sent", "breach"]
    assert tick(parts.components, deadline + timedelta(hours=5)) == 0  # each reminder once


def test_acknowledging_cancels_the_ack_reminders_and_plans_the_update_ones(parts: Parts) -> None:
    case = escalate(parts)
    promise = in_hours(3)
    case = acknowledge(parts, case, promise)
    at = datetime.fromtimestamp(promise, UTC)
    assert pending(parts.components, case) == {
        ("update_soon", at - timedelta(minutes=15)),
        ("update_due", at),
        ("update_missed", at + timedelta(minutes=15)),
    }
    assert tick(parts.components, (case.ack_due_at or at) + timedelta(minutes=1)) == 0
    assert not [m for m in parts.workspace.dm_messages(MANAGER) if m.text.startswith("Missed promise")]


def test_update_reminders_before_at_and_escalation_after_the_grace(parts: Parts) -> None:
    case = acknowledge(parts, escalate(parts), in_hours(3))
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
    case = acknowledge(parts, escalate(parts), in_hours(3))
    old = case.next_update_due_at
    assert old is not None
    new = in_hours(6)
    stored = run_flow(
        parts,
        OWNER,
        case,
        "post_update",
        internal="Found it",
        customer_update="Fix by tonight.",
        next_update=new,
    )
    assert stored.next_update_due_at == datetime.fromtimestamp(new, UTC)
    assert {due for _, due in pending(parts.components, case)} == {
        datetime.fromtimestamp(new, UTC) + delta
        for delta in (timedelta(minutes=-15), timedelta(0), timedelta(minutes=15))
    }
    assert tick(parts.components, old + timedelta(minutes=20)) == 0  # nothing fires for the old promise
    assert (stored.promises_made, stored.promises_kept) == (2, 2)  # acknowledgement and update, both on time


def test_nothing_fires_for_a_closed_case(parts: Parts) -> None:
    case = acknowledge(parts, escalate(parts, category="business", stakeholders=[], triggers=[]), in_hours(3))
    resolved = run_flow(
        parts,
        OWNER,
        case,
        "resolve",
        resolution_summary="Fixed",
        fix="Credit issued",
        customer_confirmed="yes",
        customer_notice="Credit issued.",
    )
    assert resolved.status == "resolved"
    assert {k for k, _ in pending(parts.components, case)} == {"rca_soon", "rca_missed"}
    closed = run_flow(parts, OWNER, case, "close", no_rca_reason="Commercial dispute, settled.")
    assert closed.status == "closed"
    assert pending(parts.components, case) == set()
    assert tick(parts.components, datetime.now(UTC) + timedelta(days=30)) == 0


def snooze_button(blocks: list[dict] | None) -> dict:
    """The "Snooze 30 min" button of a reminder."""
    return next(
        e
        for b in blocks or []
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == "Snooze 30 min"
    )


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
        case = escalate(parts)
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
    case = escalate(parts)
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
    case = escalate(parts)
    due = (case.ack_due_at or datetime.now(UTC)) - timedelta(minutes=30)
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
        critical = escalate(parts, severity="critical")
        assert critical.ack_due_at is not None
        assert critical.ack_due_at - critical.created_at == timedelta(minutes=60)
        # The owner is asked to acknowledge within the case's own window, not the default 2 hours.
        request = parts.workspace.dm_messages(OWNER)[0]
        assert "acknowledge within 1 hour*" in json.dumps(request.blocks)
        tick(parts.components, critical.ack_due_at)
        assert parts.workspace.dm_messages(EXEC)[-1].text == "Missed promise on ESC-1: acknowledge the case"
        assert (
            parts.workspace.dm_messages(MANAGER)[-1].text == "Missed promise on ESC-1: acknowledge the case"
        )


def test_the_card_shows_promises_kept(parts: Parts) -> None:
    case = acknowledge(parts, escalate(parts), in_hours(3))
    card = parts.channel_of(case).messages[0]  # updated in place once the acknowledgement is applied
    assert "Promises kept on time: 1 of 1" in json.dumps(card.blocks)


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
    posted = harness.channel_of(harness.case(case.id)).messages[-1]
    snooze = snooze_button(posted.blocks)
    # A stakeholder in the channel presses the owner's snooze: refused, nothing moves.
    press(harness, EXEC, snooze, case.channel_id, posted.ts)
    assert harness.answer(EXEC) == (
        f"Only the owner, <@{OWNER}>, or an escalation manager can snooze this case's reminders."
    )
    assert not [r for r in table.reminders_of(harness.components.engine, case.id or 0) if r.kind == "snoozed"]
    # An escalation manager may.
    press(harness, MANAGER, snooze, case.channel_id, posted.ts)
    assert harness.answer(MANAGER).startswith("I'll remind you again")


def test_reclassifying_a_business_case_replans_its_promises(parts: Parts) -> None:
    case = escalate(parts, category="business")
    due = case.exec_contact_due_at
    assert due is not None and ("exec_contact_missed", due) in pending(parts.components, case)
    classified = run_flow(
        parts,
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

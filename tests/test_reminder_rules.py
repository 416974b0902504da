"""Which reminders a case's promises call for: plain functions, no clock, no Slack."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from assistant.domain.reminders import (
    Planned,
    PromiseState,
    ReminderKind,
    ReminderPolicy,
    in_quiet_hours,
    parse_window,
    plan_reminders,
)
from assistant.domain.status import Status

T = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
POLICY = ReminderPolicy()


def state(status: Status, **fields: object) -> PromiseState:
    values: dict[str, object] = {
        "ack_due_at": T,
        "next_update_due_at": None,
        "exec_contact_due_at": None,
        "exec_contact_done": False,
        "rca_due_at": None,
        "has_rca": False,
    }
    values.update(fields)
    return PromiseState(status=status, **values)  # type: ignore[arg-type]


def test_a_new_case_is_reminded_before_the_acknowledgement_and_escalated_at_it() -> None:
    assert plan_reminders(state(Status.NEW), POLICY) == {
        Planned(T - timedelta(minutes=30), ReminderKind.ACK_SOON, T),
        Planned(T, ReminderKind.ACK_MISSED, T),
    }


def test_a_promised_update_is_reminded_before_at_and_escalated_after_the_grace() -> None:
    planned = plan_reminders(state(Status.ACKNOWLEDGED, next_update_due_at=T), POLICY)
    assert sorted((p.kind, p.due_at - T) for p in planned) == [
        (ReminderKind.UPDATE_DUE, timedelta(0)),
        (ReminderKind.UPDATE_MISSED, timedelta(minutes=15)),
        (ReminderKind.UPDATE_SOON, timedelta(minutes=-15)),
    ]


def test_lead_times_and_grace_are_configurable() -> None:
    policy = ReminderPolicy(update_before=timedelta(minutes=45), update_grace=timedelta(0))
    planned = plan_reminders(state(Status.ACKNOWLEDGED, next_update_due_at=T), policy)
    assert {p.due_at - T for p in planned} == {timedelta(minutes=-45), timedelta(0)}


def test_executive_contact_until_done_and_rca_until_recorded() -> None:
    business = state(Status.ACKNOWLEDGED, next_update_due_at=None, exec_contact_due_at=T)
    assert {p.kind for p in plan_reminders(business, POLICY)} == {
        ReminderKind.EXEC_CONTACT_SOON,
        ReminderKind.EXEC_CONTACT_MISSED,
    }
    done = state(Status.ACKNOWLEDGED, exec_contact_due_at=T, exec_contact_done=True)
    assert plan_reminders(done, POLICY) == set()
    resolved = state(Status.RESOLVED, rca_due_at=T)
    assert {p.kind for p in plan_reminders(resolved, POLICY)} == {
        ReminderKind.RCA_SOON,
        ReminderKind.RCA_MISSED,
    }
    assert plan_reminders(state(Status.RESOLVED, rca_due_at=T, has_rca=True), POLICY) == set()


def test_nothing_for_a_closed_case() -> None:
    closed = state(Status.CLOSED, next_update_due_at=T, exec_contact_due_at=T, rca_due_at=T)
    assert plan_reminders(closed, POLICY) == set()


def test_quiet_hours_are_read_in_each_persons_zone() -> None:
    night = parse_window("22:00-07:00")
    assert night == (time(22, 0), time(7, 0))
    at = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)  # 03:00 in São Paulo, 15:00 in Tokyo
    assert in_quiet_hours(at, ZoneInfo("America/Sao_Paulo"), night)
    assert not in_quiet_hours(at, ZoneInfo("Asia/Tokyo"), night)
    assert not in_quiet_hours(at, ZoneInfo("Asia/Tokyo"), None)
    assert in_quiet_hours(at.replace(hour=13), ZoneInfo("UTC"), parse_window("12:00-14:00"))
    assert parse_window("") is None

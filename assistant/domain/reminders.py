"""Which reminders a case's promises call for, and when. Plain functions over plain data.

Every promise gets a reminder before it and one at it; a promise missed (after a
grace period for updates) escalates automatically to the escalation managers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from assistant.domain.sentences import N_
from assistant.domain.status import Status


class ReminderKind(StrEnum):
    ACK_SOON = "ack_soon"
    ACK_MISSED = "ack_missed"
    UPDATE_SOON = "update_soon"
    UPDATE_DUE = "update_due"
    UPDATE_MISSED = "update_missed"
    EXEC_CONTACT_SOON = "exec_contact_soon"
    EXEC_CONTACT_MISSED = "exec_contact_missed"
    FIRST_CONTACT_SOON = "first_contact_soon"
    FIRST_CONTACT_MISSED = "first_contact_missed"
    # Still unresolved at the playbook's time for its severity: call the task force.
    TASK_FORCE_DUE = "task_force_due"
    # Resolved, but the customer has not confirmed they can use the service again: ask them.
    CONFIRM_SERVICE = "confirm_service"
    RCA_SOON = "rca_soon"
    RCA_MISSED = "rca_missed"
    SNOOZED = "snoozed"


# A missed promise escalates to managers; the others remind the owner.
ESCALATING: frozenset[ReminderKind] = frozenset(
    {
        ReminderKind.ACK_MISSED,
        ReminderKind.UPDATE_MISSED,
        ReminderKind.EXEC_CONTACT_MISSED,
        ReminderKind.FIRST_CONTACT_MISSED,
        ReminderKind.RCA_MISSED,
    }
)

PROMISE_NAMES: dict[ReminderKind, str] = {
    ReminderKind.ACK_SOON: N_("reminders.acknowledge_case"),
    ReminderKind.ACK_MISSED: N_("reminders.acknowledge_case"),
    ReminderKind.UPDATE_SOON: N_("reminders.send_customer_promised_update"),
    ReminderKind.UPDATE_DUE: N_("reminders.send_customer_promised_update"),
    ReminderKind.UPDATE_MISSED: N_("reminders.send_customer_promised_update"),
    ReminderKind.EXEC_CONTACT_SOON: N_("reminders.have_executive_contact_customer"),
    ReminderKind.EXEC_CONTACT_MISSED: N_("reminders.have_executive_contact_customer"),
    ReminderKind.FIRST_CONTACT_SOON: N_("reminders.tell_customer_first_hour"),
    ReminderKind.FIRST_CONTACT_MISSED: N_("reminders.tell_customer_first_hour"),
    ReminderKind.CONFIRM_SERVICE: N_("reminders.confirm_customer_can_use_service"),
    ReminderKind.TASK_FORCE_DUE: N_("reminders.call_task_force"),
    ReminderKind.RCA_SOON: N_("reminders.deliver_root_cause_analysis"),
    ReminderKind.RCA_MISSED: N_("reminders.deliver_root_cause_analysis"),
    ReminderKind.SNOOZED: N_("reminders.keep_promise"),
}


@dataclass(frozen=True)
class ReminderPolicy:
    ack_before: timedelta = timedelta(minutes=30)
    update_before: timedelta = timedelta(minutes=15)
    update_grace: timedelta = timedelta(minutes=15)
    exec_contact_before: timedelta = timedelta(hours=2)
    first_contact_before: timedelta = timedelta(minutes=15)
    # A resolution the customer has not confirmed yet is followed up this long after.
    confirmation_follow_up: timedelta = timedelta(hours=24)
    rca_before: timedelta = timedelta(days=1)


@dataclass(frozen=True)
class PromiseState:
    """What the planner needs to know of a case."""

    status: Status
    ack_due_at: datetime | None
    next_update_due_at: datetime | None
    exec_contact_due_at: datetime | None
    exec_contact_done: bool
    rca_due_at: datetime | None
    has_rca: bool
    first_contact_due_at: datetime | None = None
    customer_heard: bool = False
    resolved_at: datetime | None = None
    customer_confirmed: bool = True
    task_force_due_at: datetime | None = None
    task_force_called: bool = False


@dataclass(frozen=True, order=True)
class Planned:
    due_at: datetime
    kind: ReminderKind
    promise_at: datetime


def plan_reminders(state: PromiseState, policy: ReminderPolicy) -> set[Planned]:
    """Every reminder the case's current promises call for (already-past ones included: they are late)."""
    planned: set[Planned] = set()
    if state.status == Status.CLOSED:
        return planned
    if state.status == Status.NEW and state.ack_due_at:
        due = state.ack_due_at
        planned |= {
            Planned(due - policy.ack_before, ReminderKind.ACK_SOON, due),
            Planned(due, ReminderKind.ACK_MISSED, due),
        }
    if state.status == Status.ACKNOWLEDGED and state.next_update_due_at:
        due = state.next_update_due_at
        planned |= {
            Planned(due - policy.update_before, ReminderKind.UPDATE_SOON, due),
            Planned(due, ReminderKind.UPDATE_DUE, due),
            Planned(due + policy.update_grace, ReminderKind.UPDATE_MISSED, due),
        }
    if state.status in {Status.NEW, Status.ACKNOWLEDGED}:
        # Promises that last while the case is open: an executive's contact (a business case),
        # and the customer told within the first hour (stage 2).
        for owed_by, done, before, soon, missed in (
            (
                state.exec_contact_due_at,
                state.exec_contact_done,
                policy.exec_contact_before,
                ReminderKind.EXEC_CONTACT_SOON,
                ReminderKind.EXEC_CONTACT_MISSED,
            ),
            (
                state.first_contact_due_at,
                state.customer_heard,
                policy.first_contact_before,
                ReminderKind.FIRST_CONTACT_SOON,
                ReminderKind.FIRST_CONTACT_MISSED,
            ),
        ):
            if owed_by and not done:
                planned |= {Planned(owed_by - before, soon, owed_by), Planned(owed_by, missed, owed_by)}
        if state.task_force_due_at and not state.task_force_called:
            planned.add(
                Planned(state.task_force_due_at, ReminderKind.TASK_FORCE_DUE, state.task_force_due_at)
            )
    if state.status == Status.RESOLVED and state.resolved_at and not state.customer_confirmed:
        ask_at = state.resolved_at + policy.confirmation_follow_up
        planned.add(Planned(ask_at, ReminderKind.CONFIRM_SERVICE, ask_at))
    if state.status == Status.RESOLVED and state.rca_due_at and not state.has_rca:
        due = state.rca_due_at
        planned |= {
            Planned(due - policy.rca_before, ReminderKind.RCA_SOON, due),
            Planned(due, ReminderKind.RCA_MISSED, due),
        }
    return planned


def parse_window(text: str) -> tuple[time, time] | None:
    """'22:00-07:00' -> (22:00, 07:00); empty -> None."""
    if not text.strip():
        return None
    start, _, end = text.strip().partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def in_quiet_hours(moment: datetime, tz: ZoneInfo, window: tuple[time, time] | None) -> bool:
    """Whether `moment` falls in the person's quiet hours, read in their own timezone."""
    if window is None:
        return False
    local = moment.astimezone(tz).time()
    start, end = window
    return start <= local < end if start < end else local >= start or local < end

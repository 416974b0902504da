"""Sending due reminders: claim, check the promise still stands, send through the one Slack path, settle.

The scheduler only wakes this up (`tick`); what is due lives in the reminder
table. A reminder that cannot be sent stays claimed until a retry time, then
any instance retries it; one that fell due while the app was down is sent once,
marked late, in due order.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assistant.content.i18n import N_, _
from assistant.content.registry import installed
from assistant.domain.communications import zone
from assistant.domain.events import EventKind
from assistant.domain.provisioning import Step
from assistant.domain.reminders import ESCALATING, PROMISE_NAMES, ReminderKind, in_quiet_hours, parse_window
from assistant.health import Heartbeat
from assistant.ids import CaseAction
from assistant.jobs.supervision import Fault, Supervisor
from assistant.jobs.work_queue import WorkQueue
from assistant.models import Escalation, Reminder, StatusUpdate, utcnow
from assistant.presenters.case_buttons import flow_button, next_step
from assistant.presenters.case_context import case_context
from assistant.rendering.render import Message, render_message
from assistant.services import provisioning as records
from assistant.services import reminders as table
from assistant.settings import Settings
from assistant.slack.case_channel import CaseChannel
from assistant.slack.client import OUTAGE_ERRORS, SLACK_ERRORS, error_code

logger = logging.getLogger(__name__)

MAX_WAIT = timedelta(seconds=30)
RETRY_AFTER_FAILURE = timedelta(seconds=5)
WAIT_FOR_OPENING = timedelta(minutes=5)
CLOCK = "reminders"
# Reminders keep promises that are due now: first in the work queue.
REMINDER_PRIORITY = (0, 0)
SNOOZE_MINUTES = (30, 60, 120)

HEADLINES: dict[ReminderKind, tuple[str, str]] = {
    ReminderKind.ACK_SOON: (
        N_("reminders.please_acknowledge_case"),
        N_("reminders.promise_customer_specific_time_next"),
    ),
    ReminderKind.ACK_MISSED: (
        N_("reminders.acknowledgement_due"),
        N_("reminders.acknowledge_now_escalation_managers"),
    ),
    ReminderKind.UPDATE_SOON: (
        N_("reminders.customer_expects_update"),
        N_("reminders.send_even_without_resolution_here"),
    ),
    ReminderKind.UPDATE_DUE: (
        N_("reminders.promised_customer_update_due_now"),
        N_("reminders.send_now_revised_target"),
    ),
    ReminderKind.UPDATE_MISSED: (
        N_("reminders.promised_customer_update_due"),
        N_("reminders.send_now_escalation_managers_were"),
    ),
    ReminderKind.EXEC_CONTACT_SOON: (
        N_("reminders.executive_must_contact_customer"),
        N_("reminders.mark_done_once_call_happened"),
    ),
    ReminderKind.EXEC_CONTACT_MISSED: (
        N_("reminders.executive_contact_due"),
        N_("reminders.arrange_now_escalation_managers_were"),
    ),
    ReminderKind.FIRST_CONTACT_SOON: (
        N_("reminders.customer_must_hear_from_us_by"),
        N_("reminders.acknowledge_with_message_customer"),
    ),
    ReminderKind.FIRST_CONTACT_MISSED: (
        N_("reminders.customer_was_to_hear_from_us_by"),
        N_("reminders.tell_them_now_escalation_managers_were"),
    ),
    ReminderKind.TASK_FORCE_DUE: (
        N_("reminders.still_unresolved_task_force_due"),
        N_("reminders.call_task_force_playbooks_groups"),
    ),
    ReminderKind.CONFIRM_SERVICE: (
        N_("reminders.customer_has_not_confirmed_service_since"),
        N_("reminders.ask_them_then_press_customer_confirmed"),
    ),
    ReminderKind.RCA_SOON: (N_("reminders.rca_is_due"), N_("reminders.record_its_action_items")),
    ReminderKind.RCA_MISSED: (
        N_("reminders.rca_was_due"),
        N_("reminders.record_now_escalation_managers_were"),
    ),
    ReminderKind.SNOOZED: (N_("reminders.reminder_you_snoozed_promise_stands"), ""),
}


# A reminder's one button where it is not the case's next flow: the task it asks for, or the
# flow it calls for.
TASK_BUTTONS: dict[ReminderKind, tuple[CaseAction, str]] = {
    ReminderKind.EXEC_CONTACT_SOON: (CaseAction.EXEC_CONTACT_DONE, N_("reminders.executive_contact_made")),
    ReminderKind.EXEC_CONTACT_MISSED: (CaseAction.EXEC_CONTACT_DONE, N_("reminders.executive_contact_made")),
    ReminderKind.CONFIRM_SERVICE: (CaseAction.SERVICE_CONFIRMED, N_("reminders.customer_confirmed")),
}
FLOW_BUTTONS: dict[ReminderKind, str] = {ReminderKind.TASK_FORCE_DUE: "task_force"}


def not_open_yet(engine: sa.Engine, case: Escalation, now: datetime) -> bool:
    """Whether the case's channel or its owner's first DM are still to come (for its first minutes only:
    if Slack keeps refusing the channel, the owner is still reminded)."""
    if now - case.created_at > WAIT_FOR_OPENING:
        return False
    pending = records.pending_steps(engine, case.id or 0)
    return Step.CHANNEL in pending or Step.OWNER_DM in pending


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class ReminderDispatcher:
    def __init__(
        self,
        *,
        engine: sa.Engine,
        channel: CaseChannel,
        settings: Settings,
        policy: Any,
        queue: WorkQueue,
        heartbeat: Heartbeat,
        supervisor: Supervisor | None = None,
    ) -> None:
        self.supervisor = supervisor or Supervisor()
        self.engine = engine
        self.queue = queue
        self.channel = channel
        self.settings = settings
        self.policy = policy
        self.worker = worker_name()
        self.wake_up: Callable[[datetime], None] | None = None
        # When to ring next, kept in memory for the scheduler's trigger.
        self.next_at: datetime | None = None
        self.last_error: str | None = None
        self.heartbeat = heartbeat
        self.lease = timedelta(seconds=settings.reminder_lease_seconds)
        self.on_breach: Callable[[Escalation], None] = lambda case: None
        self._quiet_default = parse_window(settings.quiet_hours)

    # -- the clock's entry points ---------------------------------------------

    def tick(self, now: datetime | None = None) -> int:
        """Send everything due (oldest first), batch by batch; returns how many were handled.

        Never raises for a database or Slack failure: the clock must keep ringing.
        A failed tick rings again in RETRY_AFTER_FAILURE; what it had claimed is
        released by the next tick, and what it had already posted is not posted again.
        """
        started = utcnow()
        try:
            if self.last_error is not None:
                table.release_claims_of(self.engine, self.worker, now=now or started)
            handled, upcoming = self._send_due(now)
            self.next_at = self._wake_for(upcoming, now or utcnow())
            self.last_error = None
        except OUTAGE_ERRORS as exc:
            # One line, no SQL and no customer text: the error's kind is enough to act on.
            self.last_error = type(exc).__name__
            logger.warning("reminder tick failed (%s); trying again shortly", self.last_error)
            self.next_at = (now or utcnow()) + RETRY_AFTER_FAILURE
            self.heartbeat.beat(CLOCK, started)  # the clock rings: it waits for Slack or the database
            return 0
        except Exception as exc:
            # A bug outside any one reminder: said once (kind and place), tried again shortly; the
            # clock is not marked as having rung, so a pass that keeps failing shows on /healthz.
            self.last_error = type(exc).__name__
            self.supervisor.pass_failed(CLOCK, exc)
            self.next_at = (now or utcnow()) + RETRY_AFTER_FAILURE
            return 0
        self.heartbeat.beat(CLOCK, started)
        return handled

    def _send_due(self, now: datetime | None) -> tuple[int, datetime | None]:
        """Send what is due; returns how many, and when the next reminder (or retry) falls due."""
        handled = 0
        while True:
            moment = now or utcnow()
            # Two one-row index reads: an idle tick costs this and nothing else.
            upcoming = table.next_due(self.engine)
            if upcoming is None or upcoming > moment:
                return handled, upcoming
            batch = table.claim_due(self.engine, worker=self.worker, now=moment, lease=self.lease)
            if not batch:
                return handled, table.next_due(self.engine)
            # Cases in parallel; each case's reminders in due order.
            by_case: dict[int, list[Reminder]] = {}
            for reminder in batch:
                by_case.setdefault(reminder.escalation_id, []).append(reminder)
            # In the work queue, paced like all Slack work; a database failure in any group
            # surfaces here once every group had its turn (the tick then fails and retries).
            self.queue.run_all(
                [
                    (f"reminders:{case_id}:{uuid.uuid4().hex}", partial(self._deliver_in_order, group, now))
                    for case_id, group in by_case.items()
                ],
                priority=REMINDER_PRIORITY,
                timeout=self.lease.total_seconds(),
            )
            handled += len(batch)

    def _deliver_in_order(self, reminders: list[Reminder], now: datetime | None) -> None:
        for reminder in reminders:
            # One reminder that raises is recorded on itself and backed off (parked after a few);
            # the case's next reminder, and every other case's, is sent all the same.
            moment = now or utcnow()
            self.supervisor.handle(
                CLOCK,
                f"reminder:{reminder.id}",
                partial(self.deliver, reminder, moment),
                case_id=reminder.escalation_id,
                on_fault=partial(self._faulted, reminder),
                now=moment,
            )

    def _faulted(self, reminder: Reminder, fault: Fault) -> None:
        if fault.next_try_at is None:
            table.park(self.engine, reminder, error=fault.error)
        else:
            table.release_after_failure(self.engine, reminder, error=fault.error, retry_at=fault.next_try_at)

    def next_wake(self, now: datetime | None = None) -> datetime:
        return self._wake_for(table.next_due(self.engine), now or utcnow())

    @staticmethod
    def _wake_for(due: datetime | None, now: datetime) -> datetime:
        return max(now, min(due, now + MAX_WAIT)) if due else now + MAX_WAIT

    def planned_wake(self, now: datetime) -> datetime:
        """When to ring next, from memory only: the scheduler's loop must not touch the database."""
        moment = self.next_at
        if moment is None:
            return now
        return max(now, min(moment, now + MAX_WAIT))

    def wake(self) -> None:
        """A promise changed: make sure the clock rings for its earliest reminder."""
        try:
            moment = self.next_wake()
        except sa.exc.SQLAlchemyError as exc:
            logger.warning(
                "could not read the next reminder (%s); the clock rings within 30 s", type(exc).__name__
            )
            return
        if self.next_at is None or moment < self.next_at:
            self.next_at = moment
        if self.wake_up is not None:
            self.wake_up(moment)

    def wake_at(self, moment: datetime) -> None:
        """A new promise whose first reminder is due at `moment` (known without asking the database)."""
        if self.next_at is None or moment < self.next_at:
            self.next_at = moment
        if self.wake_up is not None:
            self.wake_up(moment)

    # -- one reminder ---------------------------------------------------------

    def deliver(self, reminder: Reminder, now: datetime) -> None:
        with Session(self.engine) as session:
            case = session.get(Escalation, reminder.escalation_id)
            current = case is not None and table.is_current(session, reminder, self.policy)
        if case is None or not current:
            table.settle(self.engine, reminder, worker=self.worker, now=now, sent=False, event=None)
            return
        if not_open_yet(self.engine, case, now):
            # Not before the case has its channel and its owner has been told they own it.
            table.release_after_failure(
                self.engine, reminder, error="case_not_open_yet", retry_at=now + RETRY_AFTER_FAILURE
            )
            return
        kind = ReminderKind(reminder.kind)
        late = now - reminder.due_at > timedelta(seconds=self.settings.reminder_late_after_seconds)
        steps = (
            self._escalation_steps(case, reminder, kind)
            if kind in ESCALATING
            else self._reminder_steps(case, reminder, kind, now, late)
        )
        failed: list[Exception] = []
        given_up: list[str] = []
        for key, post in steps:
            try:
                if post() is None:
                    given_up.append(key)
            except SLACK_ERRORS as exc:
                failed.append(exc)
        if failed:
            # Only the steps still missing are tried again: each is on the delivery ledger.
            retry = now + min(timedelta(seconds=30) * reminder.attempts, timedelta(minutes=10))
            logger.warning(
                "%s: reminder %s: %s step(s) failed (%s); retrying after %s",
                case.key,
                reminder.id,
                len(failed),
                error_code(failed[0]),
                retry.isoformat(),
            )
            table.release_after_failure(self.engine, reminder, error=error_code(failed[0]), retry_at=retry)
            return
        event = EventKind.BREACH if kind in ESCALATING else EventKind.REMINDER_SENT
        data: dict[str, object] = {
            "reminder": kind.value,
            "promise_at": reminder.promise_at.isoformat(),
            "late": late,
        }
        if given_up:
            data["not_delivered"] = given_up
        table.settle(self.engine, reminder, worker=self.worker, now=now, sent=True, event=event, data=data)
        if kind in ESCALATING:
            self.on_breach(case)  # the Home tabs count breaches

    def _reminder_steps(
        self, case: Escalation, reminder: Reminder, kind: ReminderKind, now: datetime, late: bool
    ) -> list[tuple[str, Callable[[], Any]]]:
        # The channel's copy shows the way forward; snoozing is the owner's (anyone could press it there).
        message = self._reminder_message(case, reminder, kind, late, for_owner=False)
        prefix = f"reminder:{reminder.id}"
        steps: list[tuple[str, Callable[[], Any]]] = []
        if case.channel_id:
            steps.append(self._in_channel(prefix, case, message))
        if not self._quiet(case.owner_id, now):
            build = partial(self._reminder_message, case, reminder, kind, late, for_owner=True)
            steps.append((f"{prefix}:dm:{case.owner_id}", self._dm(prefix, case, case.owner_id, build)))
        return steps

    def _escalation_steps(
        self, case: Escalation, reminder: Reminder, kind: ReminderKind
    ) -> list[tuple[str, Callable[[], Any]]]:
        managers = list(
            dict.fromkeys(
                [
                    *self.settings.escalation_manager_ids,
                    *filter(None, [self.settings.managers_of_owners.get(case.owner_id)]),
                ]
            )
        )

        def breach(restricted: bool, manager_actions: bool = False) -> Message:
            return render_message(
                "breach.json.j2",
                case=case_context(case),
                what=_(PROMISE_NAMES[kind]),
                promise=reminder.promise_at,
                managers=managers,
                restricted=restricted,
                manager_actions=manager_actions,
            )

        message = breach(restricted=False)
        prefix = f"breach:{reminder.id}"
        steps: list[tuple[str, Callable[[], Any]]] = []
        if case.channel_id:
            steps.append(self._in_channel(prefix, case, message))
        steps += [
            # Each manager's own copy lets them act: take the case, hand it on, go to its channel.
            (f"{prefix}:dm:{m}", self._dm(prefix, case, m, lambda: breach(False, manager_actions=True)))
            for m in managers
        ]
        # The owner hears it too, with the way out.
        owner_message = partial(self._reminder_message, case, reminder, kind, late=False, for_owner=True)
        steps.append((f"{prefix}:dm:{case.owner_id}", self._dm(prefix, case, case.owner_id, owner_message)))
        feed_message = breach(restricted=case.is_private)
        steps.append(
            (
                f"{prefix}:feed",
                lambda: (
                    self.channel.post_to_feed(feed_message, key=f"{prefix}:feed", case_id=case.id) or True
                ),
            )
        )
        return steps

    def _in_channel(self, prefix: str, case: Escalation, message: Message) -> tuple[str, Callable[[], Any]]:
        key = f"{prefix}:channel"
        return key, lambda: self.channel.post_in_case(case, message, key=key)

    def _dm(
        self, prefix: str, case: Escalation, user_id: str, build: Callable[[], Message]
    ) -> Callable[[], Any]:
        """A DM, written when it is sent, in its reader's language."""
        key = f"{prefix}:dm:{user_id}"

        def post() -> Any:
            with self.channel.language_of(user_id):
                message = build()
            return self.channel.post_once(key, user_id, message, case_id=case.id)

        return post

    def _reminder_message(
        self, case: Escalation, reminder: Reminder, kind: ReminderKind, late: bool, *, for_owner: bool
    ) -> Message:
        """The reminder as its owner reads it in their DM (with its snoozes), or as the case
        channel shows it (`for_owner` False: only the next step)."""
        headline, advice = HEADLINES[kind]
        book = installed().flows
        if kind in TASK_BUTTONS:
            action, label = TASK_BUTTONS[kind]
            step = {"action_id": action.value, "label": _(label)}
        elif kind in FLOW_BUTTONS:
            step = flow_button(book, FLOW_BUTTONS[kind])
        else:
            step = next_step(book, case.status) or flow_button(book, "timeline")
        step = {**step, "value": str(case.id)}
        snoozes = (
            []
            if kind in ESCALATING or not for_owner
            else [
                {
                    "action_id": CaseAction.SNOOZE.value,
                    "value": f"{reminder.id}:{m}",
                    "label": _("reminders.snooze_num_h", num=m // 60)
                    if m >= 60
                    else _("reminders.snooze_num_min", num=m),
                }
                for m in SNOOZE_MINUTES
            ]
        )
        about_updates = kind in {
            ReminderKind.UPDATE_SOON,
            ReminderKind.UPDATE_DUE,
            ReminderKind.UPDATE_MISSED,
            ReminderKind.SNOOZED,
        }
        return render_message(
            "reminder.json.j2",
            case=case_context(case),
            headline=_(headline),
            advice=_(advice) if advice else "",
            promise=reminder.promise_at,
            due=reminder.due_at,
            late=late,
            next_action=step,
            snoozes=snoozes,
            # What the customer has had: an update posted only inside does not keep the promise.
            heard=customer_heard(self.engine, case) if about_updates else None,
        )

    def _quiet(self, user_id: str, now: datetime) -> bool:
        window_text = self.settings.quiet_hours_by_user.get(user_id)
        window = parse_window(window_text) if window_text else self._quiet_default
        if window is None:
            return False
        try:
            person = self.channel.people.cached(user_id) or self.channel.people.get(
                user_id, self.channel.client
            )
        except SLACK_ERRORS as exc:
            logger.info(
                "could not read %s's time zone (%s); not treating it as quiet", user_id, error_code(exc)
            )
            return False
        return in_quiet_hours(now, zone(person.tz), window)


def customer_heard(engine: sa.Engine, case: Escalation) -> dict[str, Any]:
    """When the customer last heard from us, and an internal-only update since then, if any."""
    with Session(engine) as session:
        query = select(StatusUpdate.at).where(
            StatusUpdate.escalation_id == case.id, StatusUpdate.customer_text == ""
        )
        if case.customer_heard_at is not None:
            query = query.where(col(StatusUpdate.at) > case.customer_heard_at)
        internal = session.exec(query.order_by(col(StatusUpdate.at).desc()).limit(1)).first()
    return {"at": case.customer_heard_at, "internal_at": internal}

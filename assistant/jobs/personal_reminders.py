"""Personal reminders ("remind me in 30 minutes about ESC-42", confirmed in chat): each a DM to
its person when due, exactly once however many instances sweep (slack.once), under the one
supervision (a reminder that fails is recorded on itself and backed off; the others go on)."""

from __future__ import annotations

import logging
from functools import partial

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assistant.database import session_scope
from assistant.domain.visibility import can_see_details
from assistant.jobs.supervision import Supervisor
from assistant.models import Escalation, PersonalReminder, utcnow
from assistant.presenters.case_context import case_context
from assistant.rendering.escape import UserText
from assistant.rendering.render import render_message
from assistant.slack.case_channel import CaseChannel

logger = logging.getLogger(__name__)

PERSONAL_REMINDERS_LOOP = "personal-reminders"
EVERY_SECONDS = 15
BATCH = 200


class PersonalReminders:
    def __init__(self, *, engine: sa.Engine, channel: CaseChannel, supervisor: Supervisor) -> None:
        self.engine, self.channel, self.supervisor = engine, channel, supervisor

    def sweep(self) -> int:
        """Send what is due; how many were looked at."""
        with Session(self.engine) as session:
            due = list(
                session.exec(
                    select(PersonalReminder)
                    .where(col(PersonalReminder.sent_at).is_(None), col(PersonalReminder.due_at) <= utcnow())
                    .order_by(col(PersonalReminder.due_at))
                    .limit(BATCH)
                )
            )
        held: set[str] = set()
        if due and self.supervisor.may_hold(PERSONAL_REMINDERS_LOOP):
            held = self.supervisor.held(PERSONAL_REMINDERS_LOOP, [f"personal:{r.id}" for r in due])
        for reminder in due:
            item = f"personal:{reminder.id}"
            if item not in held:
                self.supervisor.handle(PERSONAL_REMINDERS_LOOP, item, partial(self.send, reminder))
        return len(due)

    def send(self, reminder: PersonalReminder) -> None:
        case = None
        if reminder.escalation_id is not None:
            with Session(self.engine) as session:
                case = session.get(Escalation, reminder.escalation_id)
        with self.channel.language_of(reminder.user_id):
            message = render_message(
                "personal_reminder.json.j2",
                note=UserText(reminder.note),
                case=case_context(case) if case is not None else None,
                visible=case is not None
                and can_see_details(
                    is_private=case.is_private, user_id=reminder.user_id, participants=case.participants
                ),
            )
        posted = self.channel.post_once(
            f"personal:{reminder.id}", reminder.user_id, message, case_id=reminder.escalation_id
        )
        if posted is None:
            raise RuntimeError("the reminder was not posted")  # recorded on it, tried again later
        with session_scope(self.engine) as session:
            session.execute(
                sa.update(PersonalReminder)
                .where(col(PersonalReminder.id) == reminder.id, col(PersonalReminder.sent_at).is_(None))
                .values(sent_at=utcnow())
            )

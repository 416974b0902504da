"""Following RCA action items: the owner reminded before the due day ends, the managers (and the
feed) told once it passes undone, like any missed promise. Run by the clock every minute."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

import sqlalchemy as sa

from assistant.domain.action_items import ItemAlert, ItemState, alerts_due
from assistant.domain.communications import zone
from assistant.ids import CaseAction
from assistant.jobs.supervision import Supervisor
from assistant.models import utcnow
from assistant.rendering.escape import UserText
from assistant.rendering.render import Message, render_message
from assistant.services import action_items as records
from assistant.settings import Settings
from assistant.slack.case_channel import CaseChannel
from assistant.slack.client import SLACK_ERRORS, error_code
from assistant.slack.people import People

logger = logging.getLogger(__name__)

# Items due after this are not read by a sweep (nothing to say about them yet).
LOOK_AHEAD = timedelta(days=2)
ACTION_ITEMS_LOOP = "action-items"


def item_context(item: records.OpenItem) -> dict[str, object]:
    return {
        "id": item.id,
        "case_key": item.case_key,
        "account": UserText(item.account),
        "is_private": item.is_private,
        "kind": item.kind,
        "description": UserText(item.description),
        "owner_id": item.owner_id,
        "due_on": item.due_on.isoformat(),
        # An action plan's step is due at a time (shown in each reader's zone).
        "due_at": item.due_at,
        "is_step": item.is_step,
    }


class ActionItemFollowUp:
    def __init__(
        self,
        *,
        engine: sa.Engine,
        channel: CaseChannel,
        people: People,
        settings: Settings,
        supervisor: Supervisor | None = None,
    ) -> None:
        self.supervisor = supervisor or Supervisor(engine=engine)
        self.engine = engine
        self.channel = channel
        self.people = people
        self.settings = settings

    def message(self, item: records.OpenItem, template: str) -> Message:
        return render_message(
            template, item=item_context(item), done_action=CaseAction.ACTION_ITEM_DONE.value
        )

    def sweep(self, now: datetime | None = None) -> int:
        """Remind and escalate what is due; returns how many were told. A Slack failure leaves the
        item for the next sweep (each post is made once: see CaseChannel.post_once)."""
        now = now or utcnow()
        told: list[int] = []
        items = records.open_items(self.engine, due_by=(now + LOOK_AHEAD).date())
        # One that raised unexpectedly waits out its back-off (or, parked, for a person).
        held = self.supervisor.held(ACTION_ITEMS_LOOP, [f"action-item:{i.id}" for i in items], now)
        for item in items:
            name = f"action-item:{item.id}"
            if name not in held:
                self.supervisor.handle(
                    ACTION_ITEMS_LOOP,
                    name,
                    partial(self._follow_up, item, now, told),
                    case_id=item.case_id,
                    now=now,
                )
        return sum(told)

    def _follow_up(self, item: records.OpenItem, now: datetime, told: list[int]) -> None:
        try:
            owner_zone = zone(self.people.get(item.owner_id).tz)
        except SLACK_ERRORS:
            owner_zone = zone(None)  # Slack unreachable: the day ends in UTC, near enough
        state = ItemState(
            item.due_on, done=False, reminded=item.reminded, escalated=item.escalated, due_at=item.due_at
        )
        for alert in alerts_due(state, owner_zone, now):
            try:
                told.append(self._tell(item, alert, now))
            except SLACK_ERRORS as exc:
                logger.warning("action item %s: %s failed (%s)", item.id, alert.value, error_code(exc))

    def _tell(self, item: records.OpenItem, alert: ItemAlert, now: datetime) -> int:
        # Each post is made once per promise: a step whose due time moved is a new promise, told afresh.
        key = f"action:{item.id}" + (f"@{int(item.due_at.timestamp())}" if item.due_at else "")
        if alert == ItemAlert.REMIND:
            with self.channel.language_of(item.owner_id):
                reminder = self.message(item, "action_item_reminder.json.j2")
            posted = self.channel.post_once(f"{key}:remind", item.owner_id, reminder, case_id=item.case_id)
            return int(posted is not None and records.mark_reminded(self.engine, item.id, now))
        for manager in self.settings.escalation_manager_ids:
            with self.channel.language_of(manager):
                overdue = self.message(item, "action_item_overdue.json.j2")
            self.channel.post_once(f"{key}:overdue:{manager}", manager, overdue, case_id=item.case_id)
        feed = self.message(item, "action_item_overdue.json.j2")  # the feed: DEFAULT_LOCALE
        self.channel.post_to_feed(feed, key=f"{key}:overdue:feed", case_id=item.case_id)
        return int(records.mark_escalated(self.engine, item.id, item.case_id, now))

"""Buttons on reminders: snooze (the promise does not move), "executive contact made", and an RCA
action item marked done."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import App, Respond

from assistant.components import Components
from assistant.content.i18n import N_, _
from assistant.domain.lifecycle import Task
from assistant.ids import CaseAction
from assistant.listeners.case_flow import in_their_language, say
from assistant.listeners.case_middleware import Pointer, case_task
from assistant.models import Escalation
from assistant.rendering.escape import mention, slack_date
from assistant.rendering.render import render_message
from assistant.services import action_items, lifecycle
from assistant.services import reminders as table

ALLOWED_SNOOZES = {30, 60, 120}
REMINDER_GONE = N_("reminders.reminder_no_longer_exists")


@dataclass(frozen=True)
class Snooze:
    """What a snooze button asks: remind again about this reminder in so many minutes."""

    reminder_id: int
    minutes: int


def snooze_in_value(components: Components, value: str) -> Pointer | str:
    """A snooze button's value: "<reminder id>:<minutes>"; its case is the reminder's."""
    reminder_id, _colon, minutes = value.partition(":")
    if not reminder_id.isdigit() or not minutes.isdigit() or int(minutes) not in ALLOWED_SNOOZES:
        return N_("reminders.snooze_button_not_valid_any_more")
    try:
        case_id = table.case_of(components.engine, int(reminder_id))
    except LookupError:
        return REMINDER_GONE
    snooze = Snooze(int(reminder_id), int(minutes))
    return Pointer(case_id, gone=REMINDER_GONE, extra={"snooze": snooze})


def item_in_value(components: Components, value: str) -> Pointer | str:
    """An action item's button: its value is the item's id; its owner may mark it done."""
    item = action_items.item(components.engine, int(value)) if value.isdigit() else None
    if item is None:
        return N_("reminders.action_item_done_already_no_longer")
    return Pointer(item.case_id, item_owner_id=item.owner_id, extra={"item": item})


def register(app: App, components: Components) -> None:
    def recorded(
        body: dict[str, Any], case: Escalation, record: Callable[..., Escalation], emoji: str, sentence: str
    ) -> None:
        """A fact a button records on the case (its reminders follow), told in the channel in the
        team's language."""
        actor = body["user"]["id"]
        case = record(components.engine, case.id or 0, actor_id=actor, policy=components.reminder_policy)
        notice = render_message("notice.json.j2", text=f"{emoji} " + _(sentence, person=mention(actor)))
        components.after_change(case, notice)

    @app.action(CaseAction.SNOOZE.value)
    @case_task(components, Task.SNOOZE, points_to=snooze_in_value)
    @in_their_language(components.people)
    def handle_snooze(body: dict[str, Any], answer: Respond, snooze: Snooze) -> None:
        """Remind again in 30 min, 1 h or 2 h; the promise to the customer stays where it is."""
        actor = body["user"]["id"]
        snoozed = table.snooze(components.engine, snooze.reminder_id, minutes=snooze.minutes, actor_id=actor)
        components.reminders.wake()
        say(
            answer,
            _(
                "reminders.i_ll_remind_you_again_time_promise",
                time=slack_date(snoozed.due_at),
                promise=slack_date(snoozed.promise_at),
            ),
        )

    @app.action(CaseAction.EXEC_CONTACT_DONE.value)
    @case_task(components, Task.RECORD_EXEC_CONTACT)
    def handle_exec_contact_done(body: dict[str, Any], case: Escalation) -> None:
        """A business case's executive has contacted the customer: stop its reminders (the
        channel's notice is in the team's language)."""
        recorded(
            body,
            case,
            lifecycle.mark_exec_contact,
            ":handshake:",
            N_("reminders.person_recorded_executive_contact"),
        )

    @app.action(CaseAction.SERVICE_CONFIRMED.value)
    @case_task(components, Task.RECORD_SERVICE_CONFIRMED)
    def handle_service_confirmed(body: dict[str, Any], case: Escalation) -> None:
        """The customer says the service works again: the follow-up stops, closing may go ahead."""
        recorded(
            body,
            case,
            lifecycle.confirm_service,
            ":white_check_mark:",
            N_("reminders.person_recorded_customer_confirmed"),
        )

    @app.action(CaseAction.ACTION_ITEM_DONE.value)
    @case_task(components, Task.FINISH_ACTION_ITEM, points_to=item_in_value)
    @in_their_language(components.people)
    def handle_action_item_done(
        body: dict[str, Any], case: Escalation, answer: Respond, item: action_items.OpenItem
    ) -> None:
        """An action item (an RCA's, or a step of the action plan) is done: its owner, the case's
        owner or a manager say so, from the reminder, the Home tab or the card."""
        actor = body["user"]["id"]
        if action_items.mark_done(components.engine, item, actor):
            components.home.refresh_for(case, also=[item.owner_id])
            if item.is_step:  # the card shows the plan's next step
                components.provisioner.channel.refresh(case)
        say(
            answer,
            ":white_check_mark: " + _("reminders.done_action_item_from_key_marked", key=case.key),
        )

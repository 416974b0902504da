"""Buttons on reminders: snooze (the promise does not move), "executive contact made", and an RCA
action item marked done."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from assistant.domain.lifecycle import Task
from assistant.flows.case_flow import CaseFlows, in_their_language, say
from assistant.i18n import _, speaking
from assistant.ids import CaseAction
from assistant.messages.escape import mention, slack_date
from assistant.messages.render import render_message
from assistant.services import action_items, lifecycle
from assistant.services import reminders as table
from assistant.services.cases import CaseNotFound, get_case

ALLOWED_SNOOZES = {30, 60, 120}


def register(app: App, flows: CaseFlows) -> None:
    components = flows.components

    @app.action(CaseAction.SNOOZE.value)
    @in_their_language(components.people)
    def handle_snooze(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        """Remind again in 30 min, 1 h or 2 h; the promise to the customer stays where it is."""
        ack()
        reminder_id, _colon, minutes = (action.get("value") or "").partition(":")
        if not reminder_id.isdigit() or not minutes.isdigit() or int(minutes) not in ALLOWED_SNOOZES:
            say(respond, _("That snooze button is not valid any more."))
            return
        actor = body["user"]["id"]
        try:
            case = get_case(components.engine, table.case_of(components.engine, int(reminder_id)))
        except (LookupError, CaseNotFound):
            say(respond, _("That reminder no longer exists."))
            return
        if flows.refused(respond, case, actor, Task.SNOOZE):
            return
        snoozed = table.snooze(components.engine, int(reminder_id), minutes=int(minutes), actor_id=actor)
        components.reminders.wake()
        say(
            respond,
            _(
                "I'll remind you again %(time)s. The promise to the customer still stands for %(promise)s.",
                time=slack_date(snoozed.due_at),
                promise=slack_date(snoozed.promise_at),
            ),
        )

    @app.action(CaseAction.EXEC_CONTACT_DONE.value)
    def handle_exec_contact_done(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        """A business case's executive has contacted the customer: stop its reminders."""
        ack()
        actor = body["user"]["id"]
        with speaking(components.people.locale(actor)):  # the refusals; the channel's notice is the team's
            try:
                case = get_case(components.engine, int(action.get("value") or 0))
            except (CaseNotFound, ValueError):
                say(respond, _("That case no longer exists."))
                return
            if flows.refused(respond, case, actor, Task.RECORD_EXEC_CONTACT):
                return
        case = lifecycle.mark_exec_contact(
            components.engine, case.id or 0, actor_id=actor, policy=components.reminder_policy
        )
        flows.components.after_change(
            case,
            render_message(
                "notice.json.j2",
                text=":handshake: "
                + _("%(person)s recorded the executive contact with the customer.", person=mention(actor)),
            ),
        )

    @app.action(CaseAction.ACTION_ITEM_DONE.value)
    @in_their_language(components.people)
    def handle_action_item_done(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        """An RCA action item is done (its owner, the case's owner or a manager say so)."""
        ack()
        actor = body["user"]["id"]
        value = action.get("value") or ""
        item = action_items.item(components.engine, int(value)) if value.isdigit() else None
        if item is None:
            say(respond, _("That action item is done already, or no longer exists."))
            return
        case = get_case(components.engine, item.case_id)
        if flows.refused(respond, case, actor, Task.FINISH_ACTION_ITEM, item_owner_id=item.owner_id):
            return
        if action_items.mark_done(components.engine, item, actor):
            components.home.refresh_for(case, also=[item.owner_id])
        say(
            respond,
            ":white_check_mark: " + _("Done: the action item from %(key)s is marked done.", key=case.key),
        )

"""The case card's "More details": everything the card leaves out (the description, the account's
context, the triggers' notes, who is involved, related records, promises kept…), in a modal only the
person who asked sees. A restricted case's details are for its people and its managers."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from assistant.components import Components
from assistant.content.i18n import _
from assistant.domain.visibility import can_see_details
from assistant.ids import CaseAction
from assistant.listeners.approvals import concession_words
from assistant.listeners.case_flow import in_their_language, managers_of, say
from assistant.listeners.case_middleware import case_task
from assistant.models import Escalation
from assistant.presenters.case_context import case_context
from assistant.rendering.escape import UserText
from assistant.rendering.render import render_view
from assistant.services import action_items, approvals, followers
from assistant.services.accounts import account_facts


def register(app: App, components: Components) -> None:
    @app.action(CaseAction.DETAILS.value)
    @case_task(components, None)
    @in_their_language(components.people)
    def handle_details(body: dict[str, Any], client: WebClient, case: Escalation, answer: Respond) -> None:
        actor = body["user"]["id"]
        case_id = case.id or 0
        allowed = {*case.participants, *managers_of(components, case)}
        # Slack sends a click on the card in a private channel only from its members (the
        # playbook's groups, people the owner added): they read the card already.
        clicked_in = (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get("id")
        if case.is_private and clicked_in and clicked_in == case.channel_id:
            allowed.add(actor)
        if case.is_private and actor not in allowed:
            allowed |= followers.followers_of(components.engine, [case_id])[case_id]
        if not can_see_details(is_private=case.is_private, user_id=actor, participants=allowed):
            say(
                answer, _("visibility.key_restricted_case_private_channel", key=case.key, owner=case.owner_id)
            )
            return
        client.views_open(trigger_id=body["trigger_id"], view=details_view(components, case))


# The open steps of the action plan the details list (the plan's form shows them all).
PLAN_STEPS = 10


def details_view(components: Components, case: Escalation) -> dict[str, Any]:
    """The modal, in the current language."""
    return render_view(
        "case_details.json.j2",
        case=case_context(case),
        account=account_facts(components.engine, case) or {},
        steps=[
            {"description": UserText(s.description), "owner_id": s.owner_id, "due_at": s.due_at}
            for s in action_items.open_items(components.engine, case_id=case.id or 0, limit=PLAN_STEPS)
        ],
        concessions=[
            {
                **concession_words(components, c.kind, c.value, c.amount, c.currency),
                "state": c.state,
                "decided_by": a.decided_by if a else None,
            }
            for c, a in approvals.concessions_of(components.engine, case.id or 0)
        ],
    )

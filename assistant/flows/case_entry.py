"""Entry points into the owner flows: the card's buttons, its "More" menu, the owner's DM buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from assistant.domain.lifecycle import Action
from assistant.flows.case_flow import CaseFlows, answer_privately, in_their_language, say
from assistant.i18n import _
from assistant.ids import CaseAction
from assistant.messages.case_buttons import BUTTON_ACTIONS


def _case_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def register(app: App, flows: CaseFlows) -> None:
    def start(
        body: dict[str, Any], client: WebClient, respond: Respond, value: str | None, action: Action
    ) -> None:
        respond = answer_privately(respond, client, body["user"]["id"])
        case_id = _case_id(value)
        if case_id is None:
            say(respond, _("That button no longer points to a case."))
            return
        flows.start(
            client=client,
            respond=respond,
            case_id=case_id,
            action=action,
            actor_id=body["user"]["id"],
            trigger_id=body["trigger_id"],
        )

    def button_handler(flow_action: Action) -> Any:
        # Bolt passes listener arguments by name, so each button gets its own function.
        @in_their_language(flows.components.people)
        def handle_case_button(
            ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
        ) -> None:
            """A case button: open that flow's modal (or say why not)."""
            ack()
            start(body, client, respond, action.get("value"), flow_action)

        return handle_case_button

    for button, flow_action in BUTTON_ACTIONS.items():
        app.action(button.value)(button_handler(flow_action))

    @app.action(CaseAction.MORE.value)
    @in_their_language(flows.components.people)
    def handle_more_menu(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        """The card's overflow menu: options are '<action>:<case id>'."""
        ack()
        chosen, _colon, case_id = ((action.get("selected_option") or {}).get("value") or "").partition(":")
        if chosen not in {a.value for a in Action}:
            say(respond, _("That menu item is not available any more."))
            return
        start(body, client, respond, case_id, Action(chosen))

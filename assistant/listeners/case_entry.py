"""Entry points into the owner flows: the card's buttons, its "More" menu, the owner's DM and the
reminders' buttons. Which buttons exist is the flows' files' to say (messages/case_buttons.py);
one listener takes them all, and the case, the actor and the flow come from middleware."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from assistant.content.i18n import speaking
from assistant.ids import CaseAction
from assistant.listeners.case_flow import Answers, CaseFlows, FlowSpec, FlowStart, Submission
from assistant.listeners.case_middleware import case_button, flow_form
from assistant.models import Escalation
from assistant.presenters.case_buttons import BUTTON_PREFIX


def register(app: App, flows: CaseFlows) -> None:
    names = "|".join(re.escape(name) for name in flows.book.names)
    buttons = re.compile(f"^{BUTTON_PREFIX}(?P<flow>{names})$")
    opens_flow = case_button(flows, flow_of=flow_of_button)

    def open_flow(
        body: dict[str, Any], client: WebClient, case: Escalation, flow: str, answer: Respond,
        prefill: dict[str, str],
    ) -> None:  # fmt: skip
        """A case button or the card's "More" menu: that flow's modal (the middleware checked who,
        when); `prefill`: what an order said in chat, the form starts from it."""
        actor = body["user"]["id"]
        with speaking(flows.components.people.locale(actor)):
            flows.openers[flow](
                FlowStart(flows.components, client, case, actor, body["trigger_id"], answer, flow, prefill)
            )

    app.action(buttons)(opens_flow(open_flow))
    app.action(CaseAction.MORE.value)(opens_flow(open_flow))

    for name, spec in flows.specs.items():
        app.view(name, middleware=[flow_form(flows, name)])(submission_handler(flows, spec))


def submission_handler(flows: CaseFlows, spec: FlowSpec) -> Callable[..., None]:
    def handle_submission(ack: Ack, submission: Submission, form: Answers) -> None:
        """A flow's modal submitted: its checks, its change, its announcement (CaseFlows.submit)."""
        flows.submit(spec, ack, submission, form)

    handle_submission.__name__ = f"handle_{spec.flow}_submission"
    return handle_submission


def flow_of_button(action: dict[str, Any]) -> tuple[str, str]:
    """(flow, case id) of a flow's button ("case_<flow>", the case id its value) or of a "More"
    menu option ("<flow>:<case id>"; cards posted before flows had names say their verb)."""
    if action.get("type") == "overflow":
        chosen, _colon, case_id = ((action.get("selected_option") or {}).get("value") or "").partition(":")
        return chosen, case_id
    return str(action.get("action_id") or "").removeprefix(BUTTON_PREFIX), str(action.get("value") or "")

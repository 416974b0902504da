"""`/escalate`: open an escalation, or run a case verb inside a case channel, or get help."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from assistant.domain.lifecycle import Action
from assistant.flows import intake
from assistant.flows.case_flow import CaseFlows, say
from assistant.ids import COMMAND
from assistant.messages.render import render_message
from assistant.services.lifecycle import case_in_channel

VERBS: dict[str, Action] = {a.value: a for a in Action} | {"acknowledge": Action.ACKNOWLEDGE}
VERB_HELP = [
    {"word": Action.ACKNOWLEDGE.value, "does": "take the case and promise the next customer update (owner)"},
    {"word": Action.POST_UPDATE.value, "does": "post a status update and the next promise"},
    {"word": Action.CLASSIFY.value, "does": "category, kind, severity, resolving team"},
    {"word": Action.REASSIGN.value, "does": "hand the case to someone else (escalate up)"},
    {"word": Action.RESOLVE.value, "does": "declare it resolved"},
    {"word": Action.RCA.value, "does": "record the root-cause analysis (internal and for the customer)"},
    {"word": Action.CLOSE.value, "does": "close it"},
    {"word": Action.REOPEN.value, "does": "reopen a resolved or closed case"},
    {"word": Action.TIMELINE.value, "does": "see every event of the case"},
]


def register(app: App, flows: CaseFlows) -> None:
    components = flows.components

    @app.command(COMMAND)
    def handle_escalate_command(
        ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        """Route `/escalate [text]`: help, a case verb, or the intake modal."""
        ack()
        text = (command.get("text") or "").strip()
        verb = text.split(maxsplit=1)[0].lower() if text else ""
        if verb in {"help", "?"}:
            help_message = render_message(
                "help.json.j2", command=COMMAND, guidance=intake.GUIDANCE, verbs=VERB_HELP
            )
            respond(text=help_message.text, blocks=help_message.blocks, response_type="ephemeral")
            return
        if verb in VERBS and len(text.split()) == 1:
            case = case_in_channel(components.engine, command.get("channel_id") or "")
            if case is None or case.id is None:
                say(
                    respond,
                    f"`{COMMAND} {verb}` works inside a case channel. "
                    f"Type `{COMMAND} help` to see what is possible.",
                )
                return
            flows.start(
                client=client,
                respond=respond,
                case_id=case.id,
                action=VERBS[verb],
                actor_id=command["user_id"],
                trigger_id=command["trigger_id"],
            )
            return
        intake.open_intake(client, command, components.settings.ack_within_minutes)

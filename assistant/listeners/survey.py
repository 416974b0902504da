"""The customer's own answer to the satisfaction survey, clicked in their Slack Connect channel.

Only the customer's people count: a click from someone of our own organization is
refused privately (their answer would be ours, not the customer's).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond

from assistant.components import Components
from assistant.content.i18n import _
from assistant.ids import CaseAction
from assistant.listeners.case_flow import in_their_language, say
from assistant.services.cases import CaseNotFound, get_case
from assistant.services.satisfaction import record_satisfaction

logger = logging.getLogger(__name__)

SCORE_BUTTON = re.compile(rf"^{CaseAction.CUSTOMER_SATISFACTION.value}_[1-5]$")


def is_ours(components: Components, body: dict[str, Any]) -> bool:
    """Whether the person who clicked belongs to our organization (this workspace, or our Grid org)."""
    user = body.get("user") or {}
    team = user.get("team_id")
    if team is None or team == components.team_id:
        return True
    ours = ((body.get("enterprise") or {}).get("id")) or None
    return bool(ours and user.get("enterprise_id") == ours)


def register(app: App, components: Components) -> None:
    @app.action(SCORE_BUTTON)
    @in_their_language(components.people)
    def handle_customer_score(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        ack()
        case_id, _sep, score = str(action.get("value") or "").partition(":")
        if is_ours(components, body):
            say(
                respond,
                _("survey.only_customer_answers_count_here"),
            )
            return
        try:
            case = get_case(components.engine, int(case_id))
        except (CaseNotFound, ValueError):
            return
        channel = (body.get("channel") or {}).get("id")
        if channel != case.connect_channel_id or not score.isdigit():
            return  # a button copied elsewhere, or forged: nothing to record
        record_satisfaction(
            components.engine,
            case.id or 0,
            actor_id=body["user"]["id"],
            score=int(score),
            comment="",
            source="slack_connect",
        )
        say(respond, _("survey.thank_you_we_recorded_score_out_5", score=score))
        components.provisioner.channel.refresh(case)
        components.home.refresh_for(case)

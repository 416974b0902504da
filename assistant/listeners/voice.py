"""`/escalate voc [what they said]`: the voice of the customer, logged in one step. What the
practice does not escalate (one user's frustration with one feature) is kept with its account
and counted in the weekly digest: no case, no owner, no channel."""

from __future__ import annotations

import logging
import re
from typing import Any

from pydantic import BaseModel, ValidationError
from slack_bolt import Ack, App
from slack_sdk import WebClient

from assistant.components import Components
from assistant.content.i18n import _, speaking
from assistant.domain.slack_text import decode_slack_text
from assistant.ids import COMMAND, ViewId
from assistant.listeners.case_flow import in_their_language, option_value, text_value
from assistant.rendering.escape import UserText, escape_mrkdwn
from assistant.rendering.render import render_message, render_view
from assistant.services.voice import log_voice
from assistant.slack.client import SLACK_ERRORS, error_code, make_webhook_client

logger = logging.getLogger(__name__)
TEXT_MAX, LINK_MAX = 3000, 2000
ACCOUNT, TEXT, LINK = "account", "voice_text", "voice_link"


class VoiceMetadata(BaseModel):
    """Where to answer once it is logged: the command's response URL (it lasts 30 minutes)."""

    reply_url: str | None = None


def voice_modal(said: str, reply_url: str | None) -> dict[str, Any]:
    return render_view(
        "voice_modal.json.j2",
        callback_id=ViewId.VOICE.value,
        metadata=VoiceMetadata(reply_url=reply_url).model_dump_json(exclude_none=True),
        command=COMMAND,
        said=UserText(said) if said else None,
        limits={"text": TEXT_MAX, "link": LINK_MAX},
    )


def open_voice(client: WebClient, command: dict[str, Any], said: str) -> None:
    client.views_open(
        trigger_id=command["trigger_id"],
        view=voice_modal(decode_slack_text(said)[:TEXT_MAX], command.get("response_url")),
    )


def problems(account: str, text: str, link: str) -> dict[str, str]:
    errors = {}
    if not account:
        errors[ACCOUNT] = _("voice.name_account")
    if not text:
        errors[TEXT] = _("voice.write_what_customer_said")
    if link and not re.match(r"^https?://[^\s<>|]+$", link, re.IGNORECASE):
        errors[LINK] = _("voice.enter_web_address_starting_https")
    return errors


def register(app: App, components: Components) -> None:
    @app.view(ViewId.VOICE.value)
    @in_their_language(components.people)
    def handle_voice_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Logged, then the person told privately where they typed the command."""
        account = " ".join((option_value(view, ACCOUNT) or "").split())[:200]
        text, link = text_value(view, TEXT), text_value(view, LINK)
        errors = problems(account, text, link)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        user_id = body["user"]["id"]
        log_voice(
            components.engine,
            account=account,
            text=text,
            reporter_id=user_id,
            team_id=(body.get("team") or {}).get("id"),
            link=link or None,
        )
        ack()
        try:
            metadata = VoiceMetadata.model_validate_json(view.get("private_metadata") or "{}")
        except ValidationError:
            metadata = VoiceMetadata()
        with speaking(components.people.locale(user_id)):
            told = render_message(
                "notice.json.j2",
                text=":speech_balloon: " + _("voice.logged_for_account", account=escape_mrkdwn(account, 200)),
            )
        tell_privately(components, metadata.reply_url, user_id, told.text, told.blocks)


def tell_privately(
    components: Components, reply_url: str | None, user_id: str, text: str, blocks: list[dict[str, Any]]
) -> None:
    """Where the command was typed (its response URL), else in the app's DM: it is logged either way."""
    try:
        if reply_url:
            make_webhook_client(reply_url, components.settings).send(
                text=text, blocks=blocks, response_type="ephemeral", replace_original=False
            )
            return
        components.client.chat_postMessage(channel=user_id, text=text, blocks=blocks)
    except SLACK_ERRORS as exc:
        logger.info("the voice of the customer was logged; telling its author failed (%s)", error_code(exc))

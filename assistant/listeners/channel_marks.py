"""Tell it from the channel: a message of a case channel goes onto the case's timeline with the
message shortcut "Add to timeline" or a 📌 reaction by one of the case's people (its author, time
and link kept); taking the 📌 off takes it off. The update and RCA drafts start from them."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from assistant.components import Components
from assistant.content.i18n import _
from assistant.domain.slack_text import mentioned_users, message_text
from assistant.ids import Shortcut
from assistant.listeners.case_flow import in_their_language, managers_of, say
from assistant.listeners.intake import names_of
from assistant.models import Escalation
from assistant.services import followers
from assistant.services import marked_messages as marks
from assistant.services.lifecycle import case_in_channel
from assistant.slack.client import SLACK_ERRORS, error_code

logger = logging.getLogger(__name__)

PIN = "pushpin"


def may_mark(components: Components, client: WebClient, case: Escalation, user_id: str) -> bool:
    """The case's people (owner, CSM, stakeholders, followers, managers) and its channel's members."""
    people = {case.owner_id, case.reporter_id, *case.stakeholder_ids, *managers_of(components, case)}
    if user_id in people or user_id in followers.followers_of(components.engine, [case.id or 0]).get(
        case.id or 0, set()
    ):
        return True
    try:
        cursor = None
        while True:
            page = client.conversations_members(channel=case.channel_id or "", cursor=cursor, limit=200)
            if user_id in (page.get("members") or []):
                return True
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return False
    except SLACK_ERRORS as exc:
        logger.info("%s: the channel's members were not read (%s)", case.key, error_code(exc))
        return False


def channel_message(
    components: Components, client: WebClient, channel_id: str, ts: str, message: dict[str, Any] | None = None
) -> marks.ChannelMessage | None:
    """The message as people read it, with its link (None: Slack no longer has it)."""
    if message is None:
        found = client.conversations_history(channel=channel_id, latest=ts, inclusive=True, limit=1)
        message = next((m for m in found.get("messages") or [] if m.get("ts") == ts), None)
        if message is None:
            return None
    text = message_text(message, names_of(components, mentioned_users(json.dumps(message)))).strip()
    try:
        permalink = client.chat_getPermalink(channel=channel_id, message_ts=ts).get("permalink")
    except SLACK_ERRORS:
        permalink = None  # the link is a convenience: the message is kept without it
    return marks.ChannelMessage(
        ts=ts, author_id=str(message.get("user") or ""), text=text, permalink=permalink
    )


def register(app: App, components: Components) -> None:
    @app.shortcut(Shortcut.ADD_TO_TIMELINE.value)
    @in_their_language(components.people)
    def handle_add_to_timeline(
        ack: Ack, shortcut: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        actor = shortcut["user"]["id"]
        channel_id = (shortcut.get("channel") or {}).get("id") or ""
        case = case_in_channel(components.engine, channel_id)
        if case is None:
            say(respond, _("channel_marks.only_in_case_channel"))
            return
        if not may_mark(components, client, case, actor):
            say(respond, _("channel_marks.only_case_people", key=case.key))
            return
        ts = str((shortcut.get("message") or {}).get("ts") or shortcut.get("message_ts") or "")
        message = channel_message(components, client, channel_id, ts, shortcut.get("message"))
        if message is None:
            return
        added = marks.mark(components.engine, case.id or 0, message, actor)
        key = case.key
        say(respond, _("channel_marks.added", key=key) if added else _("channel_marks.already", key=key))

    def pinned(event: dict[str, Any]) -> tuple[Escalation, str] | None:
        """The case and the message's ts a 📌 is about (None: another emoji, or not a case channel)."""
        item = event.get("item") or {}
        if event.get("reaction") != PIN or item.get("type") != "message":
            return None
        case = case_in_channel(components.engine, str(item.get("channel") or ""))
        return (case, str(item.get("ts") or "")) if case is not None else None

    @app.event("reaction_added")
    def handle_pin(event: dict[str, Any], client: WebClient) -> None:
        found = pinned(event)
        if found is None:
            return
        case, ts = found
        actor = str(event.get("user") or "")
        if marks.is_marked(components.engine, case.id or 0, ts):
            return  # on the timeline already: no Slack call for a second 📌
        if not may_mark(components, client, case, actor):
            return  # a reaction is no request: nothing to answer
        try:
            message = channel_message(components, client, case.channel_id or "", ts)
        except SLACK_ERRORS as exc:
            logger.warning("%s: a pinned message was not read (%s)", case.key, error_code(exc))
            return
        if message is not None:
            marks.mark(components.engine, case.id or 0, message, actor)

    @app.event("reaction_removed")
    def handle_unpin(event: dict[str, Any]) -> None:
        found = pinned(event)
        if found is not None:
            case, ts = found
            marks.unmark(components.engine, case.id or 0, ts, str(event.get("user") or ""))

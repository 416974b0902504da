"""A case's presence in Slack once it exists: its card (updated in place), topic and messages."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from assistant.messages.case_context import case_context, topic
from assistant.messages.escape import plain
from assistant.messages.render import Message, render_message
from assistant.models import Escalation
from assistant.services.events import add_event
from assistant.slack.people import People

logger = logging.getLogger(__name__)


class CaseChannel:
    def __init__(
        self, *, client: WebClient, people: People, engine: sa.Engine, feed: str | None = None
    ) -> None:
        self.client = client
        self.people = people
        self.engine = engine
        self.feed = feed

    @staticmethod
    def channel_id(case: Escalation) -> str:
        if not case.channel_id:
            raise RuntimeError(f"{case.key} has no channel yet")
        return case.channel_id

    def card(self, case: Escalation) -> Message:
        return render_message("case_card.json.j2", case=case_context(case))

    def topic_text(self, case: Escalation) -> str:
        return plain(topic(case, self.people.get(case.owner_id, self.client).name), 250)

    def in_channel(self, case: Escalation, call: Callable[[], Any]) -> Any:
        """Run a call in the case channel, unarchiving it first if someone archived it."""
        try:
            return call()
        except SlackApiError as exc:
            # chat.update says is_inactive where other methods say is_archived.
            if exc.response.get("error") not in {"is_archived", "is_inactive"} or not case.channel_id:
                raise
            self.client.conversations_unarchive(channel=case.channel_id)
            add_event(self.engine, case.id or 0, "channel_unarchived")
            return call()

    def invite(self, case: Escalation, user_id: str) -> bool:
        """Add someone to the case channel; False if they were in it already."""
        channel_id = self.channel_id(case)
        try:
            self.in_channel(case, lambda: self.client.conversations_invite(channel=channel_id, users=user_id))
        except SlackApiError as exc:
            if exc.response.get("error") != "already_in_channel":
                raise
            return False
        return True

    def post(self, channel: str, message: Message, **extra: Any) -> Any:
        return self.client.chat_postMessage(
            channel=channel,
            text=message.text,
            blocks=message.blocks,
            unfurl_links=False,
            unfurl_media=False,
            **extra,
        )

    def post_to_feed(self, message: Message) -> Any:
        """Post in the escalations feed (joining it if the app is not in it); None if there is no feed."""
        if not self.feed:
            return None
        feed = self.feed
        try:
            return self.post(feed, message)
        except SlackApiError as exc:
            if exc.response.get("error") != "not_in_channel":
                raise
            self.client.conversations_join(channel=feed)
            return self.post(feed, message)

    def post_in_case(self, case: Escalation, message: Message) -> Any:
        return self.in_channel(case, lambda: self.post(self.channel_id(case), message))

    def set_topic(self, case: Escalation) -> str:
        text = self.topic_text(case)
        self.in_channel(
            case, lambda: self.client.conversations_setTopic(channel=self.channel_id(case), topic=text)
        )
        return text

    def refresh(self, case: Escalation) -> None:
        """Show the case as it is now: the card in place (never a second card) and the topic."""
        if not case.channel_id or not case.card_ts:
            return
        card, ts = self.card(case), case.card_ts
        self.in_channel(
            case,
            lambda: self.client.chat_update(
                channel=self.channel_id(case), ts=ts, text=card.text, blocks=card.blocks
            ),
        )
        self.set_topic(case)

"""A case's presence in Slack once it exists: its card (updated in place), topic and messages."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import col

from assistant.content.i18n import speaking
from assistant.domain.events import EventKind
from assistant.domain.status import Status
from assistant.ids import CaseAction, MetadataEvent
from assistant.models import Escalation
from assistant.presenters.case_context import case_context, plan_context, topic
from assistant.rendering.escape import plain
from assistant.rendering.render import Message, render_message
from assistant.services import notices
from assistant.services.accounts import account_facts
from assistant.services.action_items import plan_summary
from assistant.services.events import add_event
from assistant.slack.client import SLACK_ERRORS
from assistant.slack.once import Once, Posted
from assistant.slack.people import People

logger = logging.getLogger(__name__)

# The feed cannot be posted to until someone fixes the setting or the channel.
FEED_BROKEN = frozenset({"channel_not_found", "is_archived", "method_not_supported_for_channel_type"})


class CaseChannel:
    def __init__(
        self,
        *,
        client: WebClient,
        people: People,
        engine: sa.Engine,
        feed: str | None = None,
        manager_ids: tuple[str, ...] = (),
    ) -> None:
        self.client = client
        self.people = people
        self.engine = engine
        self.feed = feed
        self.manager_ids = manager_ids
        self.once = Once(client=client, engine=engine)
        # Whatever else shows the case and follows each refresh (the channel's canvas).
        self.on_refresh: Callable[[Escalation], None] = lambda case: None

    @staticmethod
    def channel_id(case: Escalation) -> str:
        if not case.channel_id:
            raise RuntimeError(f"{case.key} has no channel yet")
        return case.channel_id

    def card(self, case: Escalation) -> Message:
        return render_message(
            "case_card.json.j2",
            case=case_context(case),
            account=account_facts(self.engine, case),
            plan=plan_context(plan_summary(self.engine, case.id or 0)),
            done_action=CaseAction.ACTION_ITEM_DONE.value,
        )

    def topic_text(self, case: Escalation) -> str:
        return plain(topic(case, self.people.get(case.owner_id, self.client).name), 250)

    def in_channel(self, case: Escalation, call: Callable[[], Any], *, skip_if_closed: bool = False) -> Any:
        """Run a call in the case channel, unarchiving it first if someone archived it.

        A closed case's archive is left alone, whatever reaches it late (an earlier action's
        refresh or post on a busy machine): a refresh (`skip_if_closed`) is skipped and
        returns None; a post is refused as Slack refused it.
        """
        try:
            return call()
        except SlackApiError as exc:
            # chat.update says is_inactive where other methods say is_archived.
            if exc.response.get("error") not in {"is_archived", "is_inactive"} or not case.channel_id:
                raise
            if self._closed_now(case):
                if skip_if_closed:
                    return None
                logger.info("%s is closed and its channel archived: not unarchived for a late call", case.key)
                raise
            self.unarchive(case)
            return call()

    def unarchive(self, case: Escalation) -> None:
        """Bring the case channel back (reopened, or archived by someone); a no-op if it is not archived."""
        if not case.channel_id:
            return
        try:
            self.client.conversations_unarchive(channel=case.channel_id)
        except SlackApiError as exc:
            if exc.response.get("error") != "not_archived":
                raise
            return
        add_event(self.engine, case.id or 0, EventKind.CHANNEL_UNARCHIVED)

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

    def post_once(
        self,
        key: str,
        target: str,
        message: Message,
        *,
        case_id: int | None,
        event_type: MetadataEvent = MetadataEvent.DELIVERY,
    ) -> Posted | None:
        """Post to a person or channel exactly once (see slack.once); None if given up."""
        return self.once.post(
            key,
            target,
            lambda metadata: self.post(target, message, metadata=metadata),
            case_id=case_id,
            event_type=event_type,
        )

    def post_in_case(
        self,
        case: Escalation,
        message: Message,
        key: str | None = None,
        event_type: MetadataEvent = MetadataEvent.DELIVERY,
    ) -> Posted | None:
        """Post in the case channel once (unarchiving it if needed); a fresh key if it is not a step."""
        channel_id = self.channel_id(case)
        return self.once.post(
            key or f"case:{case.id}:message:{uuid.uuid4().hex}",
            channel_id,
            lambda metadata: self.in_channel(case, lambda: self.post(channel_id, message, metadata=metadata)),
            case_id=case.id,
            event_type=event_type,
        )

    def post_to_feed(self, message: Message, key: str | None = None, case_id: int | None = None) -> Any:
        """Post in the escalations feed once (joining it if the app is not in it).

        None when there is no feed, or when it is archived or unknown: then the
        escalation managers are told once, and /healthz says so until it works again.
        """
        if not self.feed:
            return None
        feed = self.feed
        broken: list[str] = []

        def send(metadata: dict[str, Any]) -> Any:
            try:
                return self._post_joining(feed, message, metadata)
            except SlackApiError as exc:
                if exc.response.get("error") in FEED_BROKEN:
                    broken.append(str(exc.response.get("error")))
                raise

        posted = self.once.post(key or f"feed:{uuid.uuid4().hex}", feed, send, case_id=case_id)
        if broken:
            self._feed_broken(broken[0])
        elif posted is not None:
            notices.clear(self.engine, notices.FEED_UNAVAILABLE)
        return None if posted is None else {"channel": posted.channel_id, "ts": posted.ts}

    def _post_joining(self, channel: str, message: Message, metadata: dict[str, Any]) -> Any:
        """Post in a public channel, joining it first if the app is not in it."""
        try:
            return self.post(channel, message, metadata=metadata)
        except SlackApiError as exc:
            if exc.response.get("error") != "not_in_channel":
                raise
            self.client.conversations_join(channel=channel)
            return self.post(channel, message, metadata=metadata)

    def language_of(self, user_id: str) -> AbstractContextManager[None]:
        """Write what `user_id` reads (a DM) in their Slack language (background work: the
        lookup may take up to 2 s; English if Slack does not answer by then)."""
        return speaking(self.people.locale(user_id, self.client, within=2.0))

    def _feed_broken(self, error: str) -> None:
        """Tell the escalation managers, once, that the feed needs fixing."""
        logger.warning("the escalations feed %s cannot be posted to (%s)", self.feed, error)
        self.tell_managers_once(notices.FEED_UNAVAILABLE, error, "feed_unavailable.json.j2", feed=self.feed)

    def tell_managers_once(self, key: str, error: str, template: str, **context: Any) -> None:
        """A standing problem with the set-up (notices.py), told to the escalation managers once:
        again only after it has gone away and come back."""
        notice = notices.raise_notice(self.engine, key, error)
        if notice.told_at is not None:
            return
        for manager in self.manager_ids:
            with self.language_of(manager):
                message = render_message(template, error=error, **context)
            try:
                self.post_once(
                    f"notice:{notice.key}:{notice.since.timestamp():.0f}:{manager}",
                    manager,
                    message,
                    case_id=None,
                )
            except SLACK_ERRORS:
                return  # told next time
        notices.mark_told(self.engine, notice.key)

    def set_topic(self, case: Escalation, *, skip_if_closed: bool = False) -> str:
        text = self.topic_text(case)
        self.in_channel(
            case,
            lambda: self.client.conversations_setTopic(channel=self.channel_id(case), topic=text),
            skip_if_closed=skip_if_closed,
        )
        return text

    def refresh(self, case: Escalation) -> None:
        """Show the case as it is now: the card in place (never a second card) and the topic
        (neither in a closed case's archived channel: see in_channel)."""
        if not case.channel_id or not case.card_ts:
            return
        card, ts = self.card(case), case.card_ts
        updated = self.in_channel(
            case,
            lambda: self.client.chat_update(
                channel=self.channel_id(case), ts=ts, text=card.text, blocks=card.blocks
            ),
            skip_if_closed=True,
        )
        if updated is not None:
            self.set_topic(case, skip_if_closed=True)
        self.on_refresh(case)

    def _closed_now(self, case: Escalation) -> bool:
        """Read afresh: the caller's copy of the case may be older than the close."""
        with self.engine.connect() as connection:
            status = connection.execute(
                sa.select(col(Escalation.status)).where(col(Escalation.id) == case.id)
            ).scalar()
        return status == Status.CLOSED

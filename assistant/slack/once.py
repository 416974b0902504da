"""Posting a message exactly once, through time-outs, 5xx answers and crashes.

Every message posted this way carries Slack message metadata naming its
delivery key. The ledger (services.deliveries) says whether an earlier attempt
went out without a clear answer; if so, the channel's history is searched for
that key before anything is posted again. A refusal that will not change on
retry (cannot_dm_bot, channel_not_found...) is given up at once and recorded; a
transient one is raised to the caller, who retries later within a budget.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from assistant.ids import MetadataEvent
from assistant.models import SlackDelivery
from assistant.services import deliveries as ledger
from assistant.slack.client import SLACK_ERRORS, error_code, is_ambiguous

logger = logging.getLogger(__name__)

# Attempts of one message before it is given up (each failure is on record).
ATTEMPT_BUDGET = 8
# Tries within one call after a transient failure (after looking for an earlier post), then
# the caller's own retry (the repair sweep, the reminder clock) takes over.
IMMEDIATE_RETRIES = 2
RETRY_PAUSE_SECONDS = 0.5
# Slack errors that mean "this will never work as asked" rather than "try again".
TRANSIENT_CODES = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# How far back to look for an earlier attempt's message (clock skew, slow answers).
LOOK_BACK = timedelta(minutes=2)

Send = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Posted:
    channel_id: str
    ts: str


def is_permanent(exc: Exception) -> bool:
    if not isinstance(exc, SlackApiError) or exc.response.status_code != 200:
        return False
    return exc.response.get("error") not in TRANSIENT_CODES


class Once:
    def __init__(self, *, client: WebClient, engine: sa.Engine) -> None:
        self.client = client
        self.engine = engine

    def post(
        self,
        key: str,
        target: str,
        send: Send,
        *,
        case_id: int | None,
        event_type: MetadataEvent = MetadataEvent.DELIVERY,
    ) -> Posted | None:
        """Post through `send(metadata)` unless it was posted already; None if it was given up.

        Raises a Slack error when this attempt failed and a later one should try again.
        """
        row = ledger.get(self.engine, key)
        if row is not None and row.done_at is not None:
            return Posted(row.channel_id or target, row.ts or "")
        if row is not None and row.given_up_at is not None:
            return None
        if row is not None and _maybe_posted(row):
            found = self._find(key, target, row)
            if found is not None:
                return found
        metadata = {"event_type": event_type.value, "event_payload": {"case_id": case_id, "delivery": key}}
        for immediate in range(IMMEDIATE_RETRIES + 1):
            row = ledger.begin(self.engine, key, target=target, case_id=case_id, row=row)
            try:
                response = send(metadata)
            except SLACK_ERRORS as exc:
                code = error_code(exc)
                if is_ambiguous(exc):
                    ledger.mark_uncertain(self.engine, key, code)
                    # Looked for before any retry: a message that arrived is never posted twice.
                    found = self._find(key, target, row)
                    if found is not None:
                        return found
                else:
                    ledger.mark_failed(self.engine, key, code)
                if is_permanent(exc) or row.attempts >= ATTEMPT_BUDGET:
                    logger.warning("delivery %s given up after %s attempt(s) (%s)", key, row.attempts, code)
                    ledger.give_up(self.engine, key, code)
                    return None
                if immediate == IMMEDIATE_RETRIES:
                    raise
                time.sleep(RETRY_PAUSE_SECONDS * 2**immediate)
                continue
            posted = Posted(str(response.get("channel") or target), str(response["ts"]))
            ledger.mark_done(self.engine, key, channel_id=posted.channel_id, ts=posted.ts)
            return posted
        raise AssertionError("unreachable")

    def _find(self, key: str, target: str, row: SlackDelivery) -> Posted | None:
        """The message an earlier attempt posted, found by its metadata; None if it is not there."""
        try:
            channel = self._history_channel(target)
            oldest = (row.attempted_at - LOOK_BACK).timestamp() if row.attempted_at else 0
            history = self.client.conversations_history(
                channel=channel, oldest=f"{oldest:.6f}", limit=200, include_all_metadata=True
            )
        except SLACK_ERRORS as exc:
            # Without a look we cannot know: do not post blindly, try again later.
            logger.warning("delivery %s: could not look for an earlier post (%s)", key, error_code(exc))
            raise
        for message in history.get("messages") or []:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("delivery") == key:
                logger.info("delivery %s: found the message an earlier attempt posted", key)
                posted = Posted(channel, str(message["ts"]))
                ledger.mark_done(self.engine, key, channel_id=posted.channel_id, ts=posted.ts)
                return posted
        return None

    def _history_channel(self, target: str) -> str:
        """A DM's history is read from its conversation, not from the person's id."""
        if target[:1] in {"U", "W"}:
            return str(self.client.conversations_open(users=target)["channel"]["id"])
        return target


def _maybe_posted(row: SlackDelivery) -> bool:
    """An earlier attempt that may have reached Slack: no clear answer, or none recorded at all (a crash)."""
    return row.uncertain or (row.attempted_at is not None and row.last_error is None)

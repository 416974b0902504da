"""What opening a case in Slack takes, step by step, and when a failed step is retried."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from assistant.domain.events import EventKind


class Step(StrEnum):
    CHANNEL = "channel"
    INVITE = "invite"
    TOPIC = "topic"
    PURPOSE = "purpose"
    CARD = "card"
    PIN = "pin"
    BOOKMARKS = "bookmarks"
    OWNER_DM = "owner_dm"
    FEED = "feed"
    REPORTER_REPLY = "reporter_reply"
    MANAGERS = "managers"  # only when a trigger calls for the escalation managers at once
    ACCOUNT_CSMS = "account_csms"  # only when other affected accounts have CSMs to tell
    CANVAS = "canvas"  # the channel's canvas, the living case document


ALL_STEPS: tuple[Step, ...] = tuple(Step)


def steps_for(*, tell_managers: bool, tell_account_csms: bool = False) -> tuple[Step, ...]:
    """The steps opening a case takes (telling the managers only when a trigger says so, the
    affected accounts' CSMs only when there are some)."""
    left_out = {Step.MANAGERS: not tell_managers, Step.ACCOUNT_CSMS: not tell_account_csms}
    return tuple(s for s in ALL_STEPS if not left_out.get(s, False))


# Each step's event on the timeline once it is done.
STEP_EVENTS: dict[Step, EventKind] = {
    Step.CHANNEL: EventKind.CHANNEL_CREATED,
    Step.INVITE: EventKind.MEMBERS_INVITED,
    Step.TOPIC: EventKind.TOPIC_SET,
    Step.PURPOSE: EventKind.PURPOSE_SET,
    Step.CARD: EventKind.CARD_POSTED,
    Step.PIN: EventKind.CARD_PINNED,
    Step.BOOKMARKS: EventKind.LINKS_BOOKMARKED,
    Step.OWNER_DM: EventKind.OWNER_NOTIFIED,
    Step.FEED: EventKind.FEED_ANNOUNCED,
    Step.REPORTER_REPLY: EventKind.REPORTER_ANSWERED,
    Step.MANAGERS: EventKind.MANAGERS_TOLD,
    Step.ACCOUNT_CSMS: EventKind.ACCOUNT_CSMS_TOLD,
    Step.CANVAS: EventKind.CANVAS_CREATED,
}

MAX_BACKOFF = timedelta(hours=1)


def retry_due(attempts: int, last_attempt_at: datetime | None, interval: timedelta, now: datetime) -> bool:
    """A failed step is retried after interval, 2x, 4x... capped at an hour."""
    if attempts == 0 or last_attempt_at is None:
        return True
    wait = min(interval * (2 ** max(0, attempts - 1)), MAX_BACKOFF)
    return now >= last_attempt_at + wait


# The step each step needs done first: most need the channel, the pin needs the card. The
# owner's DM needs nothing: when Slack's limits hold the channel up, the owner hears anyway.
NEEDS: dict[Step, Step | None] = {
    **dict.fromkeys(Step, Step.CHANNEL),
    Step.CHANNEL: None,
    Step.OWNER_DM: None,
    Step.PIN: Step.CARD,
}
# What makes a case usable, done for every case in order of arrival before the rest.
CRITICAL: tuple[Step, ...] = (
    Step.CHANNEL,
    Step.INVITE,
    Step.OWNER_DM,
    Step.CARD,
    Step.REPORTER_REPLY,
    Step.MANAGERS,
)
DEFERRED: tuple[Step, ...] = (
    Step.TOPIC,
    Step.PURPOSE,
    Step.PIN,
    Step.BOOKMARKS,
    Step.FEED,
    Step.ACCOUNT_CSMS,
    Step.CANVAS,
)


def ready_steps(pending: set[Step]) -> list[Step]:
    """The pending steps whose prerequisite is done, most urgent first."""
    return [s for s in (*CRITICAL, *DEFERRED) if s in pending and NEEDS[s] not in pending]


def step_priority(case_id: int, step: Step) -> tuple[int, int, int]:
    """Critical steps of every case before deferred ones; older cases first; then the step's rank."""
    critical = step in CRITICAL
    rank = (CRITICAL if critical else DEFERRED).index(step)
    return (0 if critical else 1, case_id, rank)

"""Drafts of what the owner tells the customer, and the times in them (in the owner's zone).

Plain functions over plain text: the owner edits the draft before anything is sent.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time_phrase(moment: datetime, tz_name: str | None, now: datetime) -> str:
    """'15:00 today', '09:30 tomorrow', '15:00 on Wednesday 25 November', in the reader's zone."""
    tz = zone(tz_name)
    local, today = moment.astimezone(tz), now.astimezone(tz).date()
    clock = local.strftime("%H:%M")
    if local.date() == today:
        day = "today"
    elif local.date() == today + timedelta(days=1):
        day = "tomorrow"
    else:
        day = "on " + local.strftime("%A %d %B").replace(" 0", " ")
    zone_name = local.tzname() or tz.key
    return f"{clock} {day} ({zone_name})"


# What local_time_phrase writes ("16:00 today (CET)"): only our drafts contain it, so it may be rewritten.
_DRAFTED_PHRASE = re.compile(
    r"\b\d{2}:\d{2} (?:today|tomorrow|on [A-Z][a-z]+ \d{1,2} [A-Z][a-z]+) \([^)\n]*\)"
)
# A clock time as people type it: 15:00, 9.54, 3pm, 3:30 p.m. (a bare number is not a time).
_CLOCK = re.compile(r"(?<![\d:.])(\d{1,2})(?:[:.](\d{2}))?\s*([ap])?(?:\.?m\b\.?)?(?![\d:])", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def with_promised_time(text: str, promise: datetime, tz_name: str | None, now: datetime) -> str:
    """The drafted time phrase, wherever the owner left it, rewritten to the time chosen."""
    return _DRAFTED_PHRASE.sub(local_time_phrase(promise, tz_name, now), text)


def promised_time_mismatch(text: str, promise: datetime, tz_name: str | None) -> str | None:
    """A time the text gives for the next update that is not the one chosen ("15:00"), or None.

    Only sentences about an update count: a fix's time or a revised target is the owner's to state.
    """
    local = promise.astimezone(zone(tz_name))
    for sentence in _SENTENCE_END.split(text):
        if "update" not in sentence.lower():
            continue
        for match in _CLOCK.finditer(sentence):
            hour, minute, meridiem = int(match[1]), match[2], (match[3] or "").lower()
            if minute is None and not meridiem:
                continue
            if meridiem:
                hour = hour % 12 + (12 if meridiem == "p" else 0)
            said = (hour, int(minute or 0))
            if said != (local.hour, local.minute):
                return f"{said[0]:02d}:{said[1]:02d}"
    return None


def promise_text_problem(text: str, promise: datetime, tz_name: str | None, now: datetime) -> str | None:
    """What to say next to the customer's text when it promises another time than the one chosen."""
    said = promised_time_mismatch(text, promise, tz_name)
    if said is None:
        return None
    return (
        f"The text promises the next update at {said}, but the time chosen below is "
        f"{local_time_phrase(promise, tz_name, now)}. Make them agree."
    )


def default_promise(now: datetime, hours: int = 2) -> datetime:
    """A sensible first promise: a couple of hours ahead, on the next half hour."""
    target = now + timedelta(hours=hours)
    minutes = 30 - target.minute % 30 if target.minute % 30 else 0
    return (target + timedelta(minutes=minutes)).replace(second=0, microsecond=0)


def acknowledgement_draft(
    *, owner_name: str, owner_title: str, account: str, summary: str, promise_phrase: str
) -> str:
    who = f"{owner_name}, {owner_title}" if owner_title else owner_name
    return (
        f"Hello {account} team,\n\n"
        f"I'm {who}. I have personally taken ownership of your case: {summary}.\n\n"
        f"I will send you a status update by {promise_phrase}, whether or not we have a "
        "resolution by then.\n\n"
        f"{owner_name}"
    )


def update_draft(*, promise_phrase: str) -> str:
    return (
        "Here is where we are: …\n\n"
        "Our revised target: …\n\n"
        f"I will send you the next update by {promise_phrase}, whether or not we have a resolution by then."
    )


def parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None

"""What the owner tells the customer: the drafts, the times in them, how it reaches the customer,
and when a promise counts as kept.

Plain functions over plain text: the owner edits the draft before anything is sent.
A draft addressed to a contact is in the contact's language, its times in the
contact's zone ("15:00 today, São Paulo time"); without one, in the owner's. A draft is a
Sentence: the edge writes it in that language (and the time as the customer reads it, in
assistant.content.customer_time).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assistant.domain.sentences import N_, Sentence, joined, said


class Route(StrEnum):
    """How a communication reaches the customer."""

    EMAIL = "email"
    SLACK_CONNECT = "slack_connect"
    MYSELF = "myself"  # the owner sent it (phone, the ticketing system, another tool) and records it
    INTERNAL = "internal"  # not sent: an internal note, which keeps no promise


class Purpose(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"
    UPDATE = "update"
    RESOLUTION = "resolution"
    RCA = "rca"
    SURVEY = "survey"


@dataclass(frozen=True)
class PromiseOutcome:
    kept: bool
    # Queued in time, delivered late: the owner kept their word, our delivery did not.
    late_by_us: bool


def promise_outcome(promise_at: datetime, queued_at: datetime, delivered_at: datetime) -> PromiseOutcome:
    """A promise is kept when the customer hears from us at or before the promised time."""
    kept = delivered_at <= promise_at
    return PromiseOutcome(kept=kept, late_by_us=not kept and queued_at <= promise_at)


# After each failed attempt: 10 s, 30 s, 1 min, 2 min, 5 min, then every 10 minutes, for ever.
_RETRY_SECONDS = (10, 30, 60, 120, 300, 600)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait before the next attempt, after `attempts` failed ones."""
    return timedelta(seconds=_RETRY_SECONDS[min(max(attempts, 1), len(_RETRY_SECONDS)) - 1])


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
# A sentence about the next update, in each language we write to customers in.
_UPDATE_WORDS = ("update", "atualiza", "actualiza")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def with_promised_time(
    text: str,
    promise: datetime,
    tz_name: str | None,
    now: datetime,
    drafted: str | None = None,
    chosen: str | None = None,
) -> str:
    """The drafted time phrase, wherever the owner left it, rewritten to the time chosen.
    `drafted`: the phrase a customer's draft was written with, and `chosen`: the time chosen as
    the customer reads it (both in their language, messages.customer_time)."""
    if drafted and chosen is not None:
        return text.replace(drafted, chosen)
    return _DRAFTED_PHRASE.sub(local_time_phrase(promise, tz_name, now), text)


def promised_time_mismatch(text: str, promise: datetime, tz_name: str | None) -> str | None:
    """A time the text gives for the next update that is not the one chosen ("15:00"), or None.

    Only sentences about an update count: a fix's time or a revised target is the owner's to state.
    """
    local = promise.astimezone(zone(tz_name))
    for sentence in _SENTENCE_END.split(text):
        if not any(word in sentence.lower() for word in _UPDATE_WORDS):
            continue
        for match in _CLOCK.finditer(sentence):
            hour, minute, meridiem = int(match[1]), match[2], (match[3] or "").lower()
            if minute is None and not meridiem:
                continue
            if meridiem:
                hour = hour % 12 + (12 if meridiem == "p" else 0)
            typed = (hour, int(minute or 0))
            if typed != (local.hour, local.minute):
                return f"{typed[0]:02d}:{typed[1]:02d}"
    return None


def promise_text_problem(text: str, promise: datetime, tz_name: str | None, now: datetime) -> Sentence | None:
    """What to say next to the customer's text when it promises another time than the one chosen."""
    typed = promised_time_mismatch(text, promise, tz_name)
    if typed is None:
        return None
    return said(
        "communications.text_promises_next_update_at_said",
        said=typed,
        chosen=local_time_phrase(promise, tz_name, now),
    )


def default_promise(now: datetime, hours: int = 2) -> datetime:
    """A sensible first promise: a couple of hours ahead, on the next half hour."""
    target = now + timedelta(hours=hours)
    minutes = 30 - target.minute % 30 if target.minute % 30 else 0
    return (target + timedelta(minutes=minutes)).replace(second=0, microsecond=0)


def acknowledgement_draft(
    *, owner_name: str, owner_title: str, account: str, summary: str, promise_phrase: str
) -> Sentence:
    """To be written in the contact's language, when the case has one (the promised time in it)."""
    who = f"{owner_name}, {owner_title}" if owner_title else owner_name
    return joined(
        said("communications.hello_account_team", account=account),
        said(
            "communications.i_m_who_i_have_personally_taken",
            who=who,
            summary=summary,
        ),
        said(
            "communications.i_will_send_you_status_update_when",
            when=promise_phrase,
        ),
        owner_name,
        between="\n\n",
    )


def update_draft(*, promise_phrase: str, marked: Sequence[str] = ()) -> Sentence:
    """`marked`: what the case channel marked since the last update, where we are (as written)."""
    # The marked lines follow the placeholder, which must be replaced: nothing of the channel
    # reaches the customer unless its writer has read and edited this paragraph.
    where = joined(said("communications.here_where_we"), *(f"\n• {line}" for line in marked))
    return joined(
        where,
        said("communications.our_revised_target"),
        said(
            "communications.i_will_send_you_next_update_when",
            when=promise_phrase,
        ),
        between="\n\n",
    )


def resolution_draft(*, account: str, summary: str, owner_name: str) -> Sentence:
    """The resolution notice, to be written in the contact's language when the case has one."""
    return joined(
        said("communications.hello_account_team", account=account),
        said("communications.your_case_summary_resolved", summary=summary),
        joined(
            said("communications.we_will_send_you_our_root_cause"),
            said("communications.if_anything_still_not_working_you"),
            between=" ",
        ),
        owner_name,
        between="\n\n",
    )


def parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


# -- what the other affected accounts are told ------------------------------------------------
# One problem, several customers: each other account hears on its own, in its language, and
# nothing of the case's own customer (its name, its summary, its contacts) ever reaches them.

_AFFECTED_SUBJECTS = {
    Purpose.ACKNOWLEDGEMENT: N_("communications.subject_acknowledgement"),
    Purpose.UPDATE: N_("communications.subject_update"),
    Purpose.RESOLUTION: N_("communications.subject_resolution"),
    Purpose.RCA: N_("communications.subject_rca"),
}


def affected_subject(purpose: Purpose) -> Sentence:
    """The subject another affected account's e-mail carries (after the case key), to be written
    in its language: it names no customer and quotes no case summary."""
    return said(_AFFECTED_SUBJECTS.get(purpose, _AFFECTED_SUBJECTS[Purpose.UPDATE]))


def affected_draft(purpose: Purpose, *, promise_phrase: str | None) -> Sentence:
    """What another affected account is told when the owner wrote nothing for them: neutral, to
    be written in the account's language, with the promised time in its zone. The owner's name
    and title close the e-mail (and a Slack Connect post is made as the owner)."""
    next_update = (
        said(
            "communications.i_will_send_you_status_update_when",
            when=promise_phrase,
        )
        if promise_phrase
        else None
    )
    by_purpose: dict[Purpose, list[Sentence | None]] = {
        Purpose.ACKNOWLEDGEMENT: [
            said("communications.we_aware_problem_affects_your"),
            next_update,
        ],
        Purpose.UPDATE: [
            said("communications.here_where_we_problem_affecting_your"),
            next_update,
        ],
        Purpose.RESOLUTION: [
            said("communications.problem_affected_your_service"),
            said("communications.if_anything_still_not_working_you"),
        ],
        Purpose.RCA: [
            said("communications.we_have_finished_our_analysis"),
            said("communications.reply_message_we_will_walk_you"),
        ],
    }
    return joined(*(p for p in by_purpose.get(purpose, []) if p), between="\n\n")


def affected_letter(*, account: str, body: str) -> Sentence:
    """Another affected account's own letter: its greeting, then the body (as written)."""
    return joined(said("communications.hello_account_team", account=account), body.strip(), between="\n\n")


def names_another_customer(text: str, names: list[str]) -> str | None:
    """The first of `names` (the case's own customer: its name and key, aliases, domains, contacts,
    case summary) that `text` mentions as a whole word, ignoring case; None if it mentions none."""
    for name in names:
        wanted = name.strip()
        # Two letters are enough for a name ("HP", "3M"): matched as a whole word only.
        found = len(wanted) >= 2 and re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", text, re.IGNORECASE)
        if found:
            return found.group(0)  # as the owner wrote it
    return None

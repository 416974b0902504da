"""What `/escalate <text>` asks for: help, a list, a verb on a case, or a new escalation.

A case is named by its key anywhere in the text, as people type it: `ESC-1`,
`esc 1`, `esc1`, the case channel `#esc-1-acme-sso` (or Slack's encoded channel
mention `<#C123|esc-1-acme-sso>`). A near-miss word with a case key is never a
summary: it gets "did you mean".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import get_close_matches
from enum import StrEnum


class Ask(StrEnum):
    HELP = "help"
    LIST = "list"
    STATUS = "status"
    FOLLOW = "follow"
    # What the guidance says not to escalate, logged as the voice of the customer: no case.
    VOICE = "voice"
    UNFOLLOW = "unfollow"
    VERB = "verb"  # a case action: ack, update, close, timeline…
    DID_YOU_MEAN = "did_you_mean"
    INTAKE = "intake"


@dataclass(frozen=True)
class CommandText:
    ask: Ask
    word: str = ""  # the verb (or, for DID_YOU_MEAN, the suggested word)
    case_number: int | None = None
    channel_id: str = ""  # a channel mention without a case key in it (<#C123>)
    everyone: bool = False  # `list all`
    text: str = ""  # what follows the word (`voc Acme wants dark mode`: prefilled; a list's tag)


_CHANNEL_MENTION = re.compile(r"<#(?P<channel>[CG][A-Z0-9]+)(?:\|(?P<name>[^>]*))?>")
_KEY = re.compile(r"(?<![a-z0-9])#?esc[-_ ]?(?P<number>\d+)(?![0-9a-z])", re.IGNORECASE)
_CUTOFF = 0.75
# `/escalate voc …` logs the voice of the customer (DOMAIN.md: not every complaint is a case).
VOICE_WORDS = frozenset({"voc", "voice"})


def case_reference(text: str) -> tuple[int | None, str]:
    """(case number, channel id) named in the text; either may be missing."""
    channel_id = ""
    for mention in _CHANNEL_MENTION.finditer(text):
        key = _KEY.search(mention.group("name") or "")
        if key:
            return int(key.group("number")), ""
        channel_id = channel_id or mention.group("channel")
    key = _KEY.search(_CHANNEL_MENTION.sub(" ", text))
    return (int(key.group("number")) if key else None), channel_id


def read_command(text: str, verbs: frozenset[str]) -> CommandText:
    """Pure: the text after `/escalate` -> what is asked. `verbs` are the case actions' words."""
    words = text.split()
    if not words:
        return CommandText(Ask.INTAKE)
    first = words[0].lower()
    rest = " ".join(words[1:])
    if first in {"help", "?"}:
        return CommandText(Ask.HELP)
    if first == "list":
        # `list`, `list all`, and either with `tag:<id>` (cases carrying that internal tag).
        options = rest.lower().split()
        tag = next((o.removeprefix("tag:") for o in options if o.startswith("tag:")), "")
        return CommandText(Ask.LIST, everyone="all" in options, text=tag)
    if first in VOICE_WORDS:
        return CommandText(Ask.VOICE, first, text=rest)
    number, channel_id = case_reference(rest)
    named = number is not None or bool(channel_id)
    if first in {"status", "follow", "unfollow"}:
        return CommandText(Ask(first), first, number, channel_id)
    if first in verbs and (named or len(words) == 1):
        return CommandText(Ask.VERB, first, number, channel_id)
    if len(words) == 1:
        number, channel_id = case_reference(first)
        if number is not None or channel_id:
            return CommandText(Ask.STATUS, "status", number, channel_id)
    known = sorted({*verbs, "list", "status", "follow", "unfollow", "help", *VOICE_WORDS})
    if len(words) == 1 or named:
        close = get_close_matches(first, known, n=1, cutoff=_CUTOFF)
        if close:
            return CommandText(Ask.DID_YOU_MEAN, close[0], number, channel_id)
    return CommandText(Ask.INTAKE)

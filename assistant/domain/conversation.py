"""What someone said to the assistant: an intent and its entities, deterministic and explainable.

Each intent has cues (messages/conversation/<language>.yml) matched loosely with rapidfuzz (typos
and word order forgiven); the best-matching, then the longest, cue wins, and the score says why.
Entities are read with rules: case keys, mentions, times, durations, periods, and the accounts
the caller knows (fuzzy). Orders are only recognised here: carrying one out is the flows' job.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from rapidfuzz import fuzz, process


class Intent(StrEnum):
    STATUS = "status"
    MY_CASES = "my_cases"
    DUE = "due"
    OWNER_OF = "owner_of"
    LAST_HEARD = "last_heard"
    BREACHED = "breached"
    HELP = "help"
    ACKNOWLEDGE = "acknowledge"
    NEXT_UPDATE = "next_update"
    REASSIGN = "reassign"
    REMIND_ME = "remind_me"
    UNKNOWN = "unknown"


# Orders are answered with the flow's form or a confirmation, never carried out from chat.
ORDERS = frozenset({Intent.ACKNOWLEDGE, Intent.NEXT_UPDATE, Intent.REASSIGN, Intent.REMIND_ME})
# A cue scoring below this (0-100) is no match.
THRESHOLD = 82
ACCOUNT_THRESHOLD = 85


@dataclass(frozen=True)
class Phrasebook:
    """One language's cues per intent, and the words entities are read with."""

    intents: Mapping[Intent, tuple[str, ...]]
    words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Understood:
    intent: Intent
    score: float
    cue: str = ""
    case: int | None = None
    account: str | None = None
    person: str | None = None
    time: str | None = None  # "HH:MM", in the speaker's zone
    minutes: int | None = None
    period: str | None = None  # "today" | "week"
    # The next best intents (for "did you mean"), best first.
    nearest: tuple[Intent, ...] = ()

    @property
    def is_order(self) -> bool:
        return self.intent in ORDERS


def folded(text: str) -> str:
    """Lower case, accents off, punctuation as spaces: how cues and text are compared."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("’", "'")
    return " ".join(re.sub(r"[^\w:'@]+", " ", text).split())


_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CASE = re.compile(
    r"(?:\b(?:esc|case|caso|ticket|chamado|escalation|escalacao|escalamiento)\s*[-_#]?\s*|#)(\d{1,7})\b"
)
_BARE_KEY = re.compile(r"\besc(\d{1,7})\b")
# Text is folded (accents off) before it is read: "às" is "as", "até" is "ate".
_TIME = re.compile(
    r"\b(?:at|by|as|a las|las|para las|ate as|a)?\s*(\d{1,2})(?:[:h](\d{2}))?\s*(am|pm|h)?\b(?![\d.,])"
)
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "sixty": 60,
    "um": 1, "uma": 1, "dois": 2, "duas": 2, "tres": 3, "quatro": 4, "cinco": 5, "dez": 10,
    "quinze": 15, "vinte": 20, "trinta": 30, "quarenta": 40,
    "un": 1, "una": 1, "dos": 2, "cuatro": 4, "diez": 10, "veinte": 20, "treinta": 30, "cuarenta": 40,
    "an": 1, "a": 1,
}  # fmt: skip


def _duration(text: str, words: Mapping[str, tuple[str, ...]]) -> int | None:
    for phrase in words.get("half_hour", ()):
        if folded(phrase) in text:
            return 30
    units = [(u, 1) for u in words.get("minutes", ())] + [(u, 60) for u in words.get("hours", ())]
    units.sort(key=lambda u: -len(u[0]))
    tokens = text.split()
    for index, token in enumerate(tokens):
        number: float | None = None
        unit_token = None
        match = re.fullmatch(r"(\d+(?:[.,]\d+)?)([a-z]*)", token)
        if match:
            number = float(match.group(1).replace(",", "."))
            unit_token = match.group(2) or (tokens[index + 1] if index + 1 < len(tokens) else "")
        elif token in _NUMBER_WORDS and index + 1 < len(tokens):
            number, unit_token = _NUMBER_WORDS[token], tokens[index + 1]
        if number is None or not unit_token:
            continue
        for unit, factor in units:
            if unit_token == folded(unit):
                return int(number * factor)
    return None


def _time(text: str, minutes_found: bool) -> str | None:
    for match in _TIME.finditer(text):
        hour, minute, mark = int(match.group(1)), match.group(2), match.group(3)
        written = match.group(0)
        if not (minute or mark or re.search(r"\b(at|by|as|las|ate as)\b", written)):
            continue  # a bare number is a case or a count, not a time
        if minutes_found and not (minute or mark == "pm" or mark == "am"):
            continue
        if mark == "pm" and hour < 12:
            hour += 12
        if mark == "am" and hour == 12:
            hour = 0
        if 0 <= hour < 24 and (minute is None or int(minute) < 60):
            return f"{hour:02d}:{int(minute or 0):02d}"
    return None


def _account(text: str, accounts: Sequence[str]) -> str | None:
    if not accounts:
        return None
    choices = {name: folded(name) for name in accounts}
    found = process.extractOne(text, choices, scorer=fuzz.partial_ratio, score_cutoff=ACCOUNT_THRESHOLD)
    if found is None:
        return None
    # A short name must stand as a word ("acme", not "acmeish" nor inside "place").
    name = found[2]
    short = choices[name]
    if len(short) <= 5 and not re.search(rf"\b{re.escape(short)}", text):
        return None
    return str(name)


def _period(text: str, words: Mapping[str, tuple[str, ...]]) -> str | None:
    for period in ("week", "today"):
        if any(re.search(rf"\b{re.escape(folded(w))}\b", text) for w in words.get(period, ())):
            return period
    return None


def _cue_score(cue: str, text: str) -> float:
    """How well a cue matches the text: whole words for short cues, loosely for the rest."""
    if len(cue) <= 4:
        return 100.0 if re.search(rf"(?<![\w']){re.escape(cue)}(?![\w'])", text) else 0.0
    return float(fuzz.partial_ratio(cue, text))


def understand(text: str, books: Iterable[Phrasebook], accounts: Sequence[str] = ()) -> Understood:
    """The intent and entities of `text`, by the cues of every phrasebook given (the speaker's
    language first: people mix languages, so all count)."""
    books = list(books)
    person = next(iter(_MENTION.findall(text)), None)
    plain = folded(_MENTION.sub(" ", text))
    words: dict[str, tuple[str, ...]] = {}
    for book in books:
        for name, values in book.words.items():
            words[name] = words.get(name, ()) + tuple(values)
    case_match = _CASE.search(plain) or _BARE_KEY.search(plain)
    case = int(case_match.group(1)) if case_match else None
    without_case = (plain[: case_match.start()] + " " + plain[case_match.end() :]) if case_match else plain
    minutes = _duration(without_case, words)
    time = _time(without_case, minutes is not None)
    if case is None and minutes is None and time is None:
        # "ack 12", "who has 7": a lone number is the case's.
        lone = re.search(r"(?<![\w:.,])(\d{1,7})(?![\w:.,])", without_case)
        if lone:
            case = int(lone.group(1))
    scores: dict[Intent, tuple[float, int, str]] = {}
    for book in books:
        for intent, cues in book.intents.items():
            for cue in cues:
                key = folded(cue)
                if not key:
                    continue
                score = _cue_score(key, without_case)
                best = scores.get(intent, (0.0, 0, ""))
                if (score, len(key)) > best[:2]:
                    scores[intent] = (score, len(key), cue)
    ranked = sorted(
        scores.items(), key=lambda item: (item[1][0] >= THRESHOLD, item[1][1], item[1][0]), reverse=True
    )
    # Above the threshold, the longest cue is the most specific; below it, nothing is understood.
    matching = [(i, s) for i, s in ranked if s[0] >= THRESHOLD]
    nearest = tuple(i for i, _ in sorted(scores.items(), key=lambda item: -item[1][0])[:3])
    account = _account(without_case, accounts)
    intent, (score, _, cue) = matching[0] if matching else (Intent.UNKNOWN, (0.0, 0, ""))
    # What the entities say, where the cues say little: a mention is someone to hand the case to
    # (unless asking who); a duration, a reminder; a case or an account alone, a question about it.
    if person and intent in (
        Intent.UNKNOWN,
        Intent.ACKNOWLEDGE,
        Intent.OWNER_OF,
        Intent.MY_CASES,
        Intent.STATUS,
    ):
        if not (intent == Intent.OWNER_OF and cue and folded(cue).startswith(("who", "quem", "quien"))):
            intent, cue = Intent.REASSIGN, cue or "@"
    elif minutes is not None and intent in (Intent.UNKNOWN, Intent.DUE, Intent.STATUS):
        intent = Intent.REMIND_ME
    elif intent == Intent.UNKNOWN and (case is not None or account is not None):
        intent = Intent.STATUS
    if intent == Intent.UNKNOWN:
        return Understood(Intent.UNKNOWN, 0.0, nearest=nearest, case=case, person=person)
    return Understood(
        intent,
        score,
        cue,
        case=case,
        account=account,
        person=person,
        time=time,
        minutes=minutes,
        period=_period(without_case, words),
        nearest=tuple(i for i, _ in matching[1:3]),
    )

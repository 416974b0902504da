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
from datetime import UTC, datetime, timedelta, tzinfo
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


def folded(text: str) -> str:
    """Lower case, accents off, punctuation as spaces: how cues and text are compared."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("’", "'")
    return " ".join(re.sub(r"[^\w:'@#]+", " ", text).split())


_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CASE = re.compile(
    r"(?:\b(?:esc|case|caso|ticket|chamado|escalation|escalacao|escalamiento)\s*[-_#]?\s*|#)(\d{1,7})\b"
)
_BARE_KEY = re.compile(r"\besc(\d{1,7})\b")
# Text is folded (accents off) before it is read: "às" is "as", "até" is "ate".
_TIME = re.compile(
    r"\b(?:at|by|as|pras|pra|a las|las|para las|ate as|a)?\s*"
    r"(\d{1,2})(?:[:h](\d{2}))?\s*(am|pm|hs|h)?\b(?![\d.,])"
)
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "sixty": 60,
    "um": 1, "uma": 1, "dois": 2, "duas": 2, "tres": 3, "quatro": 4, "cinco": 5, "dez": 10,
    "quinze": 15, "vinte": 20, "trinta": 30, "quarenta": 40,
    "un": 1, "una": 1, "dos": 2, "cuatro": 4, "diez": 10, "veinte": 20, "treinta": 30, "cuarenta": 40,
    "an": 1, "a": 1,
}  # fmt: skip


# What leads a duration ("in 2 hours", "em 2h", "daqui 2 horas", "en 2 horas"): "17h" alone is a time.
_DURATION_LEADS = frozenset({"in", "em", "daqui", "en", "dentro", "within", "after", "por", "de"})
_AND_A_HALF = re.compile(r"\b(?:and a half|e meia|y media)\b")
_AFTERNOON = re.compile(
    r"\s*(?:de la tarde|de la noche|da tarde|da noite|a tarde|a noite|esta tarde|esta noche|"
    r"in the afternoon|in the evening|this afternoon|this evening|tonight)\b"
)
# "My cases" in any of its forms: a first-person possessive before a word for cases.
_MINE = re.compile(
    r"\b(?:my|mine|meus|minhas|meu|minha|mis|mi)\s+(?:\w+\s+)?"
    r"(?:cases?|tickets?|escalations?|escs?|casos?|chamados?|escalac(?:ao|oes)|escalaciones|escalamientos?|"
    r"escalados?|escaladas?|pendencias|pendientes)\b"
)
# Asking who: "who", "whose", "quem", "quién", "qual analista/csm", "a quién".
_ASKS_WHO = re.compile(
    r"\b(?:who|whose|who's|whoever|whoever's|quem|quien|(?:qual|que|cual|which) "
    r"(?:analista|csm|pessoa|person|agente|agent|engineer|engenheiro|ingeniero|dev|rep))\b"
)
# What names an update to the customer, in each language (folded: accents off).
_UPDATE_WORD = re.compile(
    r"\b(?:update|updates|follow up|follow-up|followup|atualiz\w*|actualiz\w*|retorno|escribimos|escrevemos|"
    r"avisar?|novedad(?:es)?|novidades?|noticias|promise|promete|prometer|prometemos|comprometete)\b"
)
# "1h30", "an hour and a half", "hora e meia", "hora y media": ninety minutes.
_HOURS_AND_MINUTES = re.compile(r"\b(\d{1,2})h(\d{2})\b")
_WITHIN_THE_HOUR = re.compile(
    r"\b(?:within the hour|within an hour|in the next hour|na proxima hora|dentro de uma hora|"
    r"en la proxima hora|dentro de una hora)\b"
)
_HOUR_AND_A_HALF = re.compile(r"\b(?:an hour and a half|(?:uma )?hora e meia|(?:una )?hora y media)\b")
_NOON = re.compile(r"\b(?:noon|midday|meio dia|mediodia)\b")


def _duration(text: str, words: Mapping[str, tuple[str, ...]]) -> int | None:
    if _HOUR_AND_A_HALF.search(text):
        return 90
    if _WITHIN_THE_HOUR.search(text):
        return 60
    led = re.search(r"\b(?:in|em|daqui|en|dentro de|within)\s+(\d{1,2})h(\d{2})\b", text)
    if led:
        return int(led.group(1)) * 60 + int(led.group(2))
    found = _whole_duration(text, words)
    if found is not None and found >= 60 and _AND_A_HALF.search(text):
        found += 30
    return found


def _whole_duration(text: str, words: Mapping[str, tuple[str, ...]]) -> int | None:
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
            led = index > 0 and (
                tokens[index - 1] in _DURATION_LEADS
                or (index > 1 and tokens[index - 1] in {"a", "de"} and tokens[index - 2] in _DURATION_LEADS)
            )
            if match.group(2) == "h" and not led:
                continue  # "17h": a time of day
            number = float(match.group(1).replace(",", "."))
            unit_token = match.group(2) or (tokens[index + 1] if index + 1 < len(tokens) else "")
        elif token in _NUMBER_WORDS and index + 1 < len(tokens):
            number, unit_token = _NUMBER_WORDS[token], tokens[index + 1]
        if number is None or not unit_token:
            continue
        for unit, factor in units:
            if unit_token == folded(unit):
                return int(min(number * factor, MAX_MINUTES))
    return None


_HOUR_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12,
    "uma": 1, "um": 1, "duas": 2, "dois": 2, "tres": 3, "quatro": 4, "cinco": 5, "seis": 6, "sete": 7,
    "oito": 8, "nove": 9, "dez": 10, "onze": 11, "doze": 12,
    "una": 1, "uno": 1, "dos": 2, "cuatro": 4, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10,
    "once": 11, "doce": 12,
}  # fmt: skip
_HOUR = "(" + "|".join(sorted(_HOUR_WORDS, key=len, reverse=True)) + r"|\d{1,2})"
# A time in words: "half past two", "quarter to six", "duas e meia", "quinze pras seis",
# "dos y media", "seis menos cuarto" (and the afternoon, "pm", "da tarde", "de la tarde", after it).
_WORD_TIMES = (
    (re.compile(rf"\bhalf past {_HOUR}\b"), 30, 0),
    (re.compile(rf"\bhalf (?!an\b|a\b|past\b|hour\b){_HOUR}\b"), 30, 0),  # British: "half four"
    (re.compile(rf"\bquarter past {_HOUR}\b"), 15, 0),
    (re.compile(rf"\bquarter to {_HOUR}\b"), -15, 0),
    (re.compile(rf"\b{_HOUR} (?:e|y) (?:meia|media)\b"), 30, 0),
    (re.compile(rf"\b{_HOUR} (?:e|y) (?:quinze|cuarto)\b"), 15, 0),
    (re.compile(rf"\bquinze (?:pras|para as|pra) {_HOUR}\b"), -15, 0),
    (re.compile(rf"\b{_HOUR} menos (?:cuarto|quince)\b"), -15, 0),
)


_MORNING = re.compile(
    r"\s*(?:am|a m|in the morning|this morning|da manha|de manha|de la manana|de madrugada)\b"
)


def _working_afternoon(hour: int, mark: str | None, rest: str) -> bool:
    """1 to 6 o'clock said without "am" or "morning" is in the afternoon: a promise to a customer
    or a reminder at work ("at 5", "half five") is not for the small hours."""
    return 1 <= hour <= 6 and mark != "am" and not _MORNING.match(rest)


def _word_time(text: str) -> str | None:
    for pattern, minutes, _unused in _WORD_TIMES:
        match = pattern.search(text)
        if match is None:
            continue
        word = match.group(1)
        hour = int(word) if word.isdigit() else _HOUR_WORDS[word]
        rest = text[match.end() :]
        pm = re.match(r"\s*(?:pm|p m)\b", rest) or _AFTERNOON.match(rest)
        if (pm or _working_afternoon(hour, None, rest)) and hour < 12:
            hour += 12
        total = (hour * 60 + minutes) % (24 * 60)
        return f"{total // 60:02d}:{total % 60:02d}"
    return None


def _time(text: str, minutes_found: bool) -> str | None:
    if _NOON.search(text):
        return "12:00"
    in_words = _word_time(text)
    if in_words is not None:
        return in_words
    for match in _TIME.finditer(text):
        hour, minute, mark = int(match.group(1)), match.group(2), match.group(3)
        written = match.group(0)
        if not (minute or mark or re.search(r"\b(at|by|as|pras|las|ate as)\b", written)):
            continue  # a bare number is a case or a count, not a time
        if minutes_found and not (minute or mark == "pm" or mark == "am"):
            continue
        afternoon = _AFTERNOON.match(text[match.end() :]) or _working_afternoon(
            hour, mark, text[match.end() :]
        )
        if (mark == "pm" or afternoon) and hour < 12:
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
        return _by_first_word(text, choices)
    # A short name must stand as a word ("acme", not "acmeish" nor inside "place").
    name = found[2]
    short = choices[name]
    if len(short) <= 5 and not re.search(rf"\b{re.escape(short)}", text):
        return _by_first_word(text, choices)
    return str(name)


def _by_first_word(text: str, choices: Mapping[str, str]) -> str | None:
    """An account of several words named by its first alone ("stark inc" for Stark Industries),
    when no other account starts with it."""
    firsts: dict[str, list[str]] = {}
    for name, key in choices.items():
        if " " in key and len(key.split()[0]) >= 4:
            firsts.setdefault(key.split()[0], []).append(name)
    for first, names in firsts.items():
        if len(names) == 1 and re.search(rf"\b{re.escape(first)}\b", text):
            return names[0]
    # A one-word name of six letters or more, typed with a typo ("globez", "umbrela").
    singles = {name: key for name, key in choices.items() if " " not in key and len(key) >= 6}
    for token in (t for t in text.split() if len(t) >= 5):
        best = process.extractOne(token, singles, scorer=fuzz.ratio, score_cutoff=80)
        if best is not None:
            return str(best[2])
    return None


def _period(text: str, words: Mapping[str, tuple[str, ...]]) -> str | None:
    for period in ("week", "today"):
        if any(re.search(rf"\b{re.escape(folded(w))}\b", text) for w in words.get(period, ())):
            return period
    # A typo in a long word ("semna", "smana", "tody"): one word close enough to one of them.
    tokens = [t for t in text.split() if len(t) >= 4]
    for period in ("week", "today"):
        singles = [folded(w) for w in words.get(period, ()) if " " not in w and len(w) >= 5]
        if any(fuzz.ratio(t, w) >= 80 for t in tokens for w in singles):
            return period
    return None


def _cue_score(cue: str, text: str) -> float:
    """How well a cue matches the text: whole words for short cues, loosely for the rest (a cue
    longer than the text is compared whole: a short text is not "inside" a long cue)."""
    if len(cue) <= 4:
        return 100.0 if re.search(rf"(?<![\w']){re.escape(cue)}(?![\w'])", text) else 0.0
    if len(cue) > len(text):
        return float(fuzz.ratio(cue, text))
    return float(fuzz.partial_ratio(cue, text))


def _rank(score: float, length: int) -> tuple[bool, float, float]:
    """Above the threshold first; then the longest cue, each character counted by how exactly
    it matched (a long cue matched loosely is weaker than a shorter one matched exactly)."""
    return (score >= THRESHOLD, length * (score / 100) ** EXACTNESS, score)


EXACTNESS = 12
# A duration said is read up to this (a year): "in 99999999999 hours" is far, not a crash.
MAX_MINUTES = 366 * 24 * 60
# A cue matched as written (give or take a letter).
EXACT = 97


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
    if case is None:
        # "ack 12", "who has 7", "next update for 42 at 17:00": a lone number that is not the
        # time's nor the duration's is the case's.
        taken = {int(time[:2]), int(time[:2]) % 12} if time else set()
        for lone in re.finditer(r"(?<![\w:.,])(\d{1,7})(?![\w:.,])", without_case):
            number = int(lone.group(1))
            follows = without_case[lone.end() :].lstrip()
            before = without_case[: lone.start()]
            is_time = number in taken and (
                re.match(r"(am|pm|h\b|de la|da )", follows) is not None
                or re.search(r"\b(at|as|las|by)\s*$", before) is not None
            )
            is_duration = minutes is not None and (
                number * 60 in (minutes, minutes - 30) or number == minutes
            )
            if not is_time and not is_duration:
                case = number
                break
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
    ranked = sorted(scores.items(), key=lambda item: _rank(item[1][0], item[1][1]), reverse=True)
    # Above the threshold, the longest cue is the most specific; below it, nothing is understood.
    matching = [(i, s) for i, s in ranked if s[0] >= THRESHOLD]
    nearest = tuple(i for i, _ in sorted(scores.items(), key=lambda item: -item[1][0])[:3])
    account = _account(without_case, accounts)
    intent, (score, _, cue) = matching[0] if matching else (Intent.UNKNOWN, (0.0, 0, ""))
    # What the entities say, where the cues say little: a mention is someone to hand the case to
    # (unless asking who); a duration, a reminder; a case or an account alone, a question about it.
    asks_who = _ASKS_WHO.search(plain) is not None
    says_update = _UPDATE_WORD.search(plain) is not None
    acked = scores.get(Intent.ACKNOWLEDGE, (0.0, 0, ""))[0] >= THRESHOLD
    unsupported = any(re.search(rf"\b{re.escape(folded(w))}\b", plain) for w in words.get("unsupported", ()))
    questions = (Intent.UNKNOWN, Intent.STATUS, Intent.REASSIGN, Intent.DUE, Intent.MY_CASES, Intent.OWNER_OF)
    loose_ack = intent == Intent.ACKNOWLEDGE and score < EXACT  # "schedule a meeting": not "take it"
    if unsupported and (intent in questions or loose_ack) and not person:
        return Understood(Intent.UNKNOWN, 0.0, nearest=nearest, case=case, person=person)
    # A breach word said as such (a loose match of "vencidas" is "vencendo": due, not missed).
    breach_said = scores.get(Intent.BREACHED, (0.0, 0, ""))[0] >= EXACT
    heard_said = scores.get(Intent.LAST_HEARD, (0.0, 0, ""))[0] >= THRESHOLD
    reminder_said = scores.get(Intent.REMIND_ME, (0.0, 0, ""))[0] >= THRESHOLD
    period = _period(without_case, words)
    due_said = scores.get(Intent.DUE, (0.0, 0, ""))[0] >= EXACT
    asks_when_due = period is not None and due_said and time is None and minutes is None
    if intent == Intent.NEXT_UPDATE and acked:
        intent = Intent.ACKNOWLEDGE  # "ack ESC-42, next update at 17:00": the acknowledgement's promise
    elif (
        asks_when_due and not breach_said and intent in (Intent.LAST_HEARD, Intent.STATUS, Intent.NEXT_UPDATE)
    ):
        intent = Intent.DUE  # "which customer updates are due today": what is due, a period said
    elif breach_said and (
        intent == Intent.DUE
        or (intent in (Intent.NEXT_UPDATE, Intent.LAST_HEARD) and time is None and minutes is None)
    ):
        intent = Intent.BREACHED  # "commitments we blew", "overdue customer updates": missed
    elif intent == Intent.NEXT_UPDATE and scores.get(Intent.REMIND_ME, (0.0, 0, ""))[0] >= EXACT:
        intent = Intent.REMIND_ME  # "remind me to update them in 40 minutes": theirs, not a promise
    elif person and not asks_who and intent not in (Intent.REMIND_ME, Intent.NEXT_UPDATE):
        intent, cue = Intent.REASSIGN, cue or "@"  # someone named: the case handed to them
    elif asks_who and case is not None and not person and intent in (*questions, Intent.ACKNOWLEDGE):
        intent = Intent.OWNER_OF  # "who …" about one case: its owner
    elif intent == Intent.NEXT_UPDATE and time is None and minutes is None and heard_said:
        intent = Intent.LAST_HEARD  # "when did we last update the customer": no time to promise
    elif (
        says_update
        and (time is not None or minutes is not None)
        and (
            intent in (Intent.UNKNOWN, Intent.STATUS, Intent.LAST_HEARD, Intent.MY_CASES)
            or (intent == Intent.REMIND_ME and not reminder_said)
            or (intent == Intent.DUE and time is not None)
        )
    ):
        # An update and a time to give it: the next promise (the acknowledgement's, if "ack" said).
        intent = Intent.ACKNOWLEDGE if acked else Intent.NEXT_UPDATE
    elif minutes is not None and intent in (Intent.UNKNOWN, Intent.DUE, Intent.STATUS):
        intent = Intent.REMIND_ME
    elif intent == Intent.UNKNOWN and (case is not None or account is not None):
        intent = Intent.STATUS
    elif intent == Intent.UNKNOWN and _MINE.search(plain):
        intent = Intent.MY_CASES  # "mis tickets abiertos", "my escalations pls": the person's own
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
        period=period,
        nearest=tuple(i for i, _ in matching[1:3]),
    )


def moment_said(time: str | None, minutes: int | None, zone: tzinfo, now: datetime) -> datetime | None:
    """The moment a sentence names, in UTC: "in 30 minutes" from now; "at 17:00" the next 17:00 in
    the speaker's zone (today if still to come, else tomorrow)."""
    if minutes is not None:
        return now + timedelta(minutes=min(minutes, MAX_MINUTES))
    if time is None:
        return None
    hour, minute = (int(part) for part in time.split(":"))
    local = now.astimezone(zone)
    at = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if at <= local:
        at += timedelta(days=1)
    return at.astimezone(UTC)

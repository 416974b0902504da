"""The customer's people on a case: who they are, the language they read and the zone they live in.

Plain functions over plain text: the intake modal takes several contacts as lines
("Ana Souza <ana@acme.com.br>, CTO"), and every problem is said at its line.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email

from assistant.domain.sentences import Sentence, said

# The languages a customer can be written to in: those we have catalogs for (messages/locale).
CUSTOMER_LANGUAGES: dict[str, str] = {"en": "English", "pt_BR": "Português (Brasil)", "es": "Español"}

# Zones offered in the modals (Slack's static select holds 100 options): the customers' usual ones.
CUSTOMER_ZONES: tuple[str, ...] = (
    "America/Sao_Paulo",
    "America/Mexico_City",
    "America/Bogota",
    "America/Lima",
    "America/Santiago",
    "America/Argentina/Buenos_Aires",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "Europe/London",
    "Europe/Lisbon",
    "Europe/Madrid",
    "Europe/Paris",
    "Europe/Berlin",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "UTC",
)

NAME_MAX, ROLE_MAX = 120, 80
_LINE = re.compile(r"^\s*(?P<name>[^<>]*?)\s*<(?P<email>[^<>]+)>\s*(?:[,;]\s*(?P<role>.*?))?\s*$")
# What a mail program reads as the end of a name or the start of another address: a name holding
# one could put someone else in the To line (or, re-read, in the envelope).
NAME_FORBIDDEN = frozenset(',;<>"@')
# Controls that reorder the text shown after them (a name could show another address backwards).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# "=?charset?q?…?=": what a mail program decodes into other text, an address included.
_ENCODED_WORD = re.compile(r"=\?.*\?=")


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    role: str = ""
    locale: str = "en"
    tz: str = "UTC"

    @property
    def address(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


def email_problem(value: str) -> Sentence | None:
    """Why `value` is not an e-mail address we can write to, or None (syntax only: no DNS here)."""
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return said("contacts.value_not_e_mail_address", value=value[:80])
    return None


def normalized_email(value: str) -> str:
    return str(validate_email(value, check_deliverability=False).normalized)


def invisible(character: str) -> bool:
    """A control character (not whitespace), half of a surrogate pair, or a bidi control: never
    meant to be read, and able to change what is shown or start a header."""
    return (
        unicodedata.category(character) in {"Cc", "Cs"} and not character.isspace()
    ) or character in BIDI_CONTROLS


def name_problem(name: str) -> Sentence | None:
    """Why `name` cannot be put before an address in a letter's To line, or None."""
    if any(invisible(c) for c in name):
        # Not echoed: the name would carry its invisible characters into the message.
        return said("contacts.name_holds_invisible_control")
    if _ENCODED_WORD.search(name):
        return said("contacts.name_looks_like_encoded_mail_text", name=name[:80])
    if NAME_FORBIDDEN.intersection(name):
        return said(
            "contacts.name_cannot_name_name_holds_no_write",
            name=name[:80],
        )
    return None


def zone_problem(value: str) -> Sentence | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return said("contacts.value_not_time_zone_like_america_sao", value=value[:80])
    return None


def parse_contacts(text: str, *, locale: str, tz: str) -> tuple[list[Contact], list[Sentence]]:
    """Contacts from lines like "Ana Souza <ana@acme.com.br>, CTO" (a bare address is fine too),
    and the problems, each naming its line. Duplicate addresses are one contact."""
    contacts: dict[str, Contact] = {}
    problems: list[Sentence] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        name, address, role = (
            (match["name"], match["email"], match["role"] or "") if match else ("", line.strip(), "")
        )
        # A tab or a run of spaces (a pasted spreadsheet) is one space in a name.
        name = " ".join(name.split())[:NAME_MAX]
        problem = email_problem(address.strip()) or name_problem(name)
        if problem is None and any(invisible(c) for c in role):
            problem = said("contacts.role_holds_invisible_control")
        if problem:
            problems.append(said("contacts.line_n_d_problem", n=number, problem=problem))
            continue
        email = normalized_email(address.strip())
        contacts.setdefault(
            email.lower(),
            Contact(name=name, email=email, role=role.strip()[:ROLE_MAX], locale=locale, tz=tz),
        )
    return list(contacts.values()), problems

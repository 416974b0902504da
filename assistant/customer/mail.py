"""E-mail to the customer: composed from `messages/templates/email.*.j2`, sent with smtplib.

One thread per case in the customer's mailbox: every message of a case refers to the
earlier ones (`In-Reply-To`, `References`) and carries its key in the subject. A
message's `Message-ID` is fixed before its first attempt, so a retry sends the same
message, never a second one.

Who a message goes to is decided once, when it is composed, from the stored contact addresses
(the envelope); no header is ever re-read to find it. Names, titles and subjects are cleaned to
one visible line and written into the headers by this module (not Python's folder, which can
drop the space between two encoded words, and reads an encoded word inside a name as text).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.charset import Charset
from email.headerregistry import (
    Address,
    BaseHeader,
    Group,
    HeaderRegistry,
    UniqueAddressHeader,
    UniqueUnstructuredHeader,
)
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid, parseaddr
from functools import cache
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from email_validator import EmailNotValidError, validate_email
from jinja2 import Environment, select_autoescape

from assistant.content import i18n
from assistant.content.registry import Content, installed
from assistant.domain.contacts import NAME_MAX, invisible
from assistant.rendering.render import content_environment

DEFAULT_PORTS = {"smtp": 587, "smtps": 465}


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None
    # Loopback test servers speak plain SMTP; anywhere else STARTTLS is required.
    starttls: bool


def parse_smtp_url(url: str) -> SmtpServer:
    """`smtp://user:pass@host:587` (STARTTLS, plain on loopback) or `smtps://user:pass@host:465`."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError("must start smtp:// (STARTTLS) or smtps:// (TLS)")
    if not parts.hostname:
        raise ValueError("names no host, like smtp://user:pass@smtp.example.com:587")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise ValueError("has a port that is not a number") from None
    loopback = parts.hostname in {"127.0.0.1", "localhost", "::1"}
    return SmtpServer(
        host=parts.hostname,
        port=port,
        implicit_tls=parts.scheme == "smtps",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        starttls=parts.scheme == "smtp" and not loopback,
    )


def _environment() -> Environment:
    """The e-mail's templates: the HTML part escaped, the plain text part as written."""
    return _environment_of(installed())


@cache
def _environment_of(content: Content) -> Environment:
    return content_environment(
        select_autoescape(enabled_extensions=("html.j2",), default=False), content.custom_dir
    )


@dataclass(frozen=True)
class Letter:
    """What one communication says, and who it is from (in the contact's language already)."""

    case_key: str
    summary: str
    text: str
    owner_name: str
    owner_title: str
    owner_email: str
    recipients: list[str]
    locale: str
    # Links the survey offers (score -> URL), for a satisfaction survey.
    survey_links: dict[int, str] | None = None


def new_message_id(sender: str, case_id: int, communication_id: int) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return make_msgid(idstring=f"esc{case_id}.c{communication_id}", domain=domain)


# -- headers, written so that they read back as meant -----------------------------------------

ENCODED_WORD_MAX = 75  # RFC 2047: an encoded word is at most 75 characters
_UTF8 = Charset("utf-8")
# RFC 5322 atext: a name made only of these (and spaces) needs no quotes.
_ATEXT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~ ")


def one_line(text: str) -> str:
    """`text` as a header shows it: invisible characters removed, line breaks, tabs and runs of
    spaces one space (a header can never be ended, or another begun, by what a person typed)."""
    return " ".join("".join(c for c in text if not invisible(c)).split())


def _body(text: str) -> str:
    """The letter's text with its line breaks, and without what would never be seen."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(c for c in text if c in "\n\t" or not invisible(c))


def _display_name(text: str) -> str:
    """A name to show before an address. A name that holds an address is not shown: the customer
    would read it as the address the mail is from, or for."""
    name = one_line(text)[:NAME_MAX]
    return "" if "@" in name else name


def _mailbox(display_name: str, address: str) -> Address | None:
    """A structured address (never parsed from header text), or None if `address` is not one
    mail can be sent to. A domain in Unicode is written in its ASCII (IDNA) form."""
    try:
        valid = validate_email(address.strip(), check_deliverability=False)
    except (EmailNotValidError, ValueError):
        return None
    return Address(
        display_name=_display_name(display_name), username=valid.local_part, domain=valid.ascii_domain
    )


def _stored_recipient(stored: str) -> tuple[str, str]:
    """(name, address) of a recipient as stored ("Ana Souza <ana@acme.com.br>" or a bare address).
    The address is what the last angle brackets hold, whatever the name before them says."""
    text = stored.strip()
    if text.endswith(">") and "<" in text:
        name, _sep, address = text[:-1].rpartition("<")
        return name, address
    return "", text


def _lengths(first: int, limit: int) -> Iterator[int]:
    yield min(ENCODED_WORD_MAX, first)
    while True:
        yield min(ENCODED_WORD_MAX, limit - 1)


def _encoded_words(text: str, first: int, limit: int) -> list[str]:
    """`text` as UTF-8 encoded words, every character (spaces too) inside one: a reader joins
    adjacent encoded words, ignoring the folding between them, so nothing is lost or added."""
    return [word for word in _UTF8.header_encode_lines(text, _lengths(max(first, 20), limit)) if word]


def _quoted(word: str) -> str:
    """An ASCII word as a quoted string. "=?" is written "=\\?": never the start of an encoded
    word, which some readers (Python's among them) would decode even inside quotes."""
    escaped = word.replace("\\", "\\\\").replace('"', '\\"').replace("=?", "=\\?")
    return f'"{escaped}"'


def _phrase(name: str, limit: int) -> list[str]:
    """A display name as header tokens, word by word: a plain ASCII word as typed (quoted if it
    holds specials), a run of other words as encoded words with their spaces inside them. Then
    every reader gets the name back with its spaces, one between each word."""
    tokens: list[str] = []
    run: list[str] = []
    for word in [*name.split(" "), None]:
        if word is None or (word.isascii() and word.isprintable()):
            if run:
                tokens += _encoded_words(" ".join(run), limit - 1, limit)
                run.clear()
            if word is not None:
                tokens.append(word if _ATEXT.issuperset(word) and "=?" not in word else _quoted(word))
        else:
            run.append(word)
    return tokens


def _fold(name: str, tokens: list[str], policy: Any) -> str:
    """`name: token token …`, a line break before a token that would not fit (folding whitespace
    where there was a space, so unfolding gives the same text back)."""
    limit = policy.max_line_length or 78
    lines = [f"{name}:"]
    for token in tokens:
        if len(lines[-1]) + 1 + len(token) > limit and lines[-1] != f"{name}:":
            lines.append("")
        lines[-1] += " " + token
    return policy.linesep.join(lines) + policy.linesep


def _name(header: object) -> str:
    """A header's name (BaseHeader's, mixed in by the registry)."""
    return cast(BaseHeader, header).name


class _Subject(UniqueUnstructuredHeader):
    """The subject as given, never decoded (an "=?…?=" typed in a summary is shown as typed), and
    folded by `_fold`: as words when it is short plain ASCII, else as encoded words."""

    @classmethod
    def parse(cls, value: Any, kwds: dict[str, Any]) -> None:
        kwds["parse_tree"] = None  # never read: `fold` below writes the header
        kwds["decoded"] = one_line(str(value))

    def fold(self, *, policy: Any) -> str:
        text = str(self)
        limit = policy.max_line_length or 78
        first = limit - len(_name(self)) - 2
        words = text.split(" ")
        if (
            text.isascii()
            and text.isprintable()
            and "=?" not in text
            and len(words[0]) <= first
            and all(len(w) < limit for w in words)
        ):
            return _fold(_name(self), words, policy)
        return _fold(_name(self), _encoded_words(text, first, limit), policy)


class _Addresses(UniqueAddressHeader):
    """From, To and Reply-To from `Address` objects, written by `_fold` (see `_phrase`)."""

    @classmethod
    def parse(cls, value: Any, kwds: dict[str, Any]) -> None:
        if isinstance(value, str):  # only composed messages use this policy: never from text
            raise TypeError("give Address objects")
        addresses = list(value)
        kwds["groups"] = [Group(None, addresses)]
        kwds["defects"] = []
        kwds["decoded"] = ", ".join(str(a) for a in addresses)
        kwds["parse_tree"] = None  # never read: `fold` below writes the header

    def fold(self, *, policy: Any) -> str:
        limit = policy.max_line_length or 78
        tokens: list[str] = []
        for number, address in enumerate(self.addresses):
            comma = "," if number < len(self.addresses) - 1 else ""
            if address.display_name:
                tokens += _phrase(address.display_name, limit)
                tokens.append(f"<{address.addr_spec}>{comma}")
            else:
                tokens.append(f"{address.addr_spec}{comma}")
        return _fold(_name(self), tokens, policy)


def _policy() -> EmailPolicy[EmailMessage]:
    registry = HeaderRegistry()
    for name in ("from", "to", "reply-to"):
        # The registry mixes BaseHeader in (typeshed cannot tell).
        registry.map_to_type(name, cast("type[BaseHeader]", _Addresses))
    registry.map_to_type("subject", cast("type[BaseHeader]", _Subject))
    policy = default_policy.clone(header_factory=registry)
    assert isinstance(policy, EmailPolicy)
    return policy


# For composing only: its Subject and address headers are set from our values, never parsed.
COMPOSING = _policy()


class OutgoingMail(EmailMessage):
    """An e-mail with its envelope: the sender's address and exactly the contacts' addresses,
    decided when it is composed. Sending never re-reads a header to find whom it goes to."""

    envelope_from: str = ""
    envelope_to: tuple[str, ...] = ()


def compose(
    letter: Letter,
    *,
    sender: str,
    message_id: str,
    earlier: list[str],
) -> OutgoingMail:
    """The e-mail, plain text and simple HTML, in the letter's language. It never fails on what
    the letter holds: names, titles and the subject are cleaned to one visible line, a contact
    or Reply-To address mail cannot be sent to is left out."""
    sender_name, sender_address = parseaddr(sender)
    owner = one_line(letter.owner_name)
    recipients: dict[str, Address] = {}
    for stored in letter.recipients:
        mailbox = _mailbox(*_stored_recipient(stored))
        if mailbox is not None:
            recipients.setdefault(mailbox.addr_spec.lower(), mailbox)
    message = OutgoingMail(policy=COMPOSING)
    message.envelope_from = sender_address
    message.envelope_to = tuple(a.addr_spec for a in recipients.values())
    shown = _display_name(owner)
    from_name = " via ".join(n for n in (shown, one_line(sender_name)) if n)
    user, _at, domain = sender_address.rpartition("@")
    message["From"] = [Address(display_name=_display_name(from_name), username=user, domain=domain)]
    message["To"] = list(recipients.values())
    if letter.owner_email and (reply_to := _mailbox(owner, letter.owner_email)) is not None:
        message["Reply-To"] = [reply_to]
    message["Subject"] = one_line(f"[{letter.case_key}] {letter.summary}")
    message["Message-ID"] = message_id
    if earlier:
        message["In-Reply-To"] = earlier[-1]
        message["References"] = " ".join(earlier)
    message["Date"] = format_datetime(datetime.now(UTC))
    said = replace(
        letter,
        owner_name=owner or one_line(sender_name),
        owner_title=one_line(letter.owner_title),
        text=_body(letter.text),
    )
    with i18n.speaking(letter.locale):
        context = {"letter": said, "paragraphs": [p for p in said.text.split("\n\n") if p.strip()]}
        message.set_content(_environment().get_template("email.txt.j2").render(**context))
        message.add_alternative(
            _environment().get_template("email.html.j2").render(**context), subtype="html"
        )
    message["Content-Language"] = letter.locale.replace("_", "-")
    return message


class SmtpRefused(Exception):
    """The server refused the message for good (a 5xx): retrying the same message will not help."""


def send(server: SmtpServer, message: OutgoingMail, *, timeout: float) -> None:
    """Hand the message to the server, for exactly its envelope's recipients. An exception means
    it was not accepted (yet)."""
    if not message.envelope_to:
        raise SmtpRefused("no contact has an address mail can be sent to")
    connection: smtplib.SMTP
    if server.implicit_tls:
        connection = smtplib.SMTP_SSL(
            server.host, server.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = smtplib.SMTP(server.host, server.port, timeout=timeout)
    try:
        if server.starttls:
            connection.starttls(context=ssl.create_default_context())
        if server.username:
            connection.login(server.username, server.password or "")
        # The envelope as composed: smtplib would otherwise read it from the To and From headers.
        refused = connection.send_message(
            message, from_addr=message.envelope_from, to_addrs=list(message.envelope_to)
        )
        if refused:
            raise SmtpRefused(f"refused for {len(refused)} recipient(s)")
    except smtplib.SMTPRecipientsRefused as exc:
        raise SmtpRefused(f"every recipient refused ({len(exc.recipients)})") from None
    finally:
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()

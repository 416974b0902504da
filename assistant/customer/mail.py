"""E-mail to the customer: composed from `messages/templates/email.*.j2`, sent with smtplib.

One thread per case in the customer's mailbox: every message of a case refers to the
earlier ones (`In-Reply-To`, `References`) and carries its key in the subject. A
message's `Message-ID` is fixed before its first attempt, so a retry sends the same
message, never a second one.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from functools import cache
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, select_autoescape

from assistant import i18n
from assistant.messages.render import content_environment

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


@cache
def _environment() -> Environment:
    """The e-mail's templates: the HTML part escaped, the plain text part as written."""
    return content_environment(select_autoescape(enabled_extensions=("html.j2",), default=False))


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


def compose(
    letter: Letter,
    *,
    sender: str,
    message_id: str,
    earlier: list[str],
) -> EmailMessage:
    """The e-mail, plain text and simple HTML, in the letter's language."""
    name, address = parseaddr(sender)
    message = EmailMessage()
    from_name = f"{letter.owner_name} via {name}" if name else letter.owner_name
    message["From"] = Address(display_name=from_name, addr_spec=address)
    message["To"] = ", ".join(letter.recipients)
    if letter.owner_email:
        message["Reply-To"] = Address(display_name=letter.owner_name, addr_spec=letter.owner_email)
    message["Subject"] = f"[{letter.case_key}] {letter.summary}"
    message["Message-ID"] = message_id
    if earlier:
        message["In-Reply-To"] = earlier[-1]
        message["References"] = " ".join(earlier)
    message["Date"] = format_datetime(datetime.now(UTC))
    with i18n.speaking(letter.locale):
        context = {"letter": letter, "paragraphs": [p for p in letter.text.split("\n\n") if p.strip()]}
        message.set_content(_environment().get_template("email.txt.j2").render(**context))
        message.add_alternative(
            _environment().get_template("email.html.j2").render(**context), subtype="html"
        )
    message["Content-Language"] = letter.locale.replace("_", "-")
    return message


class SmtpRefused(Exception):
    """The server refused the message for good (a 5xx): retrying the same message will not help."""


def send(server: SmtpServer, message: EmailMessage, *, timeout: float) -> None:
    """Hand the message to the server. An exception means it was not accepted (yet)."""
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
        refused = connection.send_message(message)
        if refused:
            raise SmtpRefused(f"refused for {len(refused)} recipient(s)")
    except smtplib.SMTPRecipientsRefused as exc:
        raise SmtpRefused(f"every recipient refused ({len(exc.recipients)})") from None
    finally:
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()

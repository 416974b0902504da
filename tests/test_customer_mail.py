"""The e-mail to the customer as composed and sent: who it goes to is exactly the contact list,
whatever the names hold, and every header reads back as meant.

The messages are read back as the customer's mail program would (parsed from their bytes), and
sent to a real SMTP server on loopback (aiosmtpd) whose envelope the tests read.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.customer.mail import Letter, OutgoingMail, compose, parse_smtp_url, send
from tests.mailbox import Mailbox, plain_text

SENDER = "Vendor Support <support@vendor.example>"
ANA = "Ana Souza <ana@acme.com.br>"
LETTER = Letter(
    case_key="ESC-7",
    summary="SSO outage",
    text="Olá, equipe Acme,\n\nEstamos trabalhando nisso.",
    owner_name="Sarah Miller",
    owner_title="Support Lead",
    owner_email="sarah.miller@vendor.example",
    recipients=[ANA, "bruno@acme.com.br"],
    locale="pt_BR",
)


def composed(letter: Letter) -> OutgoingMail:
    return compose(letter, sender=SENDER, message_id="<esc7.c1@vendor.example>", earlier=[])


def as_received(message: EmailMessage) -> EmailMessage:
    """The message as the customer's mail program reads it: parsed from the bytes sent."""
    received = message_from_bytes(message.as_bytes(), policy=default)
    assert isinstance(received, EmailMessage)
    return received


def addresses(message: EmailMessage, header: str) -> list[tuple[str, str]]:
    return [(a.display_name, a.addr_spec) for a in message[header].addresses]


# -- who it goes to ---------------------------------------------------------------------------


def test_the_envelope_is_exactly_the_contacts_addresses_whatever_a_stored_name_says(
    mailbox: Mailbox,
) -> None:
    # Stored before names were checked: the name carries another address, and an encoded word.
    letter = replace(
        LETTER,
        recipients=[
            "mallory@evil.example, Ana <ana@acme.com.br>",
            "=?utf-8?q?ceo=40acme.com.br=2C?= <bruno@acme.com.br>",
            "carla@acme.com.br",
        ],
    )
    send(parse_smtp_url(mailbox.url), composed(letter), timeout=10)
    [message] = mailbox.wait(1)
    assert mailbox.recipients == [["ana@acme.com.br", "bruno@acme.com.br", "carla@acme.com.br"]]
    to = addresses(message, "To")
    assert [address for _name, address in to] == ["ana@acme.com.br", "bruno@acme.com.br", "carla@acme.com.br"]
    # No name shown to the customer reads as an address.
    assert all("@" not in name for name, _address in to), to
    assert "evil.example" not in str(message["To"])


def test_each_contact_gets_the_one_message_and_the_sender_is_the_configured_address(mailbox: Mailbox) -> None:
    send(parse_smtp_url(mailbox.url), composed(LETTER), timeout=10)
    [message] = mailbox.wait(1)
    assert mailbox.recipients == [["ana@acme.com.br", "bruno@acme.com.br"]]
    assert addresses(message, "To") == [("Ana Souza", "ana@acme.com.br"), ("", "bruno@acme.com.br")]
    assert str(message["From"]) == "Sarah Miller via Vendor Support <support@vendor.example>"
    assert str(message["Reply-To"]) == "Sarah Miller <sarah.miller@vendor.example>"
    assert message["Subject"] == "[ESC-7] SSO outage"
    assert "Estamos trabalhando nisso." in plain_text(message)


# -- names and subjects as Slack and people type them -----------------------------------------


@pytest.mark.parametrize(
    "owner_name",
    [
        "Sarah\r\nBcc: mallory@evil.example",
        "Sarah\nMiller",
        "Sarah\x00Miller\x1b",
        "Sarah \ud800Miller",  # a lone surrogate: JSON can carry one
        "",
        "   ",
        "=?utf-8?q?ceo=40vendor.example?=",
        'Sarah "Sam" Miller, <PM>',
    ],
)
def test_an_owner_name_from_slack_never_stops_the_letter(owner_name: str) -> None:
    letter = replace(LETTER, owner_name=owner_name, owner_title="Lead\r\nX-Evil: 1")
    received = as_received(composed(letter))
    assert received["Bcc"] is None and received["X-Evil"] is None  # no header injected
    [(name, address)] = addresses(received, "From")
    assert address == "support@vendor.example"
    assert name.endswith("Vendor Support") and "@" not in name
    assert "\n" not in name and "\x00" not in name
    [(_reply_name, reply_to)] = addresses(received, "Reply-To")
    assert reply_to == "sarah.miller@vendor.example"


def test_a_reply_to_slack_could_not_give_is_left_out_and_the_letter_still_goes() -> None:
    for owner_email in ("", "not an address", "sarah@\r\nvendor.example", "sarah@vendor.example>, x@y.z"):
        received = as_received(composed(replace(LETTER, owner_email=owner_email)))
        assert received["Reply-To"] is None
        assert addresses(received, "From") == [("Sarah Miller via Vendor Support", "support@vendor.example")]


def test_a_subject_with_line_breaks_is_one_line() -> None:
    received = as_received(composed(replace(LETTER, summary="SSO down\r\nBcc: mallory@evil.example\tnow")))
    assert received["Subject"] == "[ESC-7] SSO down Bcc: mallory@evil.example now"
    assert received["Bcc"] is None


# Portuguese and Spanish words, some long, with their accents: what summaries are made of.
WORD = st.text(alphabet="abcdeéfghiíjlmnoópqrstuúvxzçãâáàêõôñüÁÉÇÑ¿¡?=_-.,:()", min_size=1, max_size=18)
SUMMARY = st.lists(WORD, min_size=1, max_size=30).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(summary=SUMMARY)
def test_portuguese_and_spanish_subjects_keep_every_space_when_folded(summary: str) -> None:
    assert as_received(composed(replace(LETTER, summary=summary)))["Subject"] == f"[ESC-7] {summary}"


# -- compose is total: any text Slack or a person gives ---------------------------------------

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=120)  # surrogates and controls too
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LOCAL = st.from_regex(r"[a-z0-9](?:[a-z0-9._+-]{0,20}[a-z0-9])?", fullmatch=True).filter(
    lambda s: ".." not in s
)
# A label whose 3rd and 4th characters are "--" is reserved for IDNA's encodings ("xn--"): no
# mail can be sent to such a domain, and compose rightly leaves it out (it is never a contact).
LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True).filter(
    lambda s: s[2:4] != "--"
)
TOP = st.sampled_from(["com", "com.br", "es", "mx", "org", "example"])
ADDRESS = st.builds(lambda local, label, top: f"{local}@{label}.{top}", LOCAL, LABEL, TOP)


def one_line(text: str) -> str:
    """What the customer should read for `text` in a header: control characters gone, line
    breaks and runs of spaces one space."""
    visible = "".join(
        c for c in text if c.isspace() or (unicodedata.category(c) not in {"Cc", "Cs"} and c not in _BIDI)
    )
    return " ".join(visible.split())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    owner_name=ANY_TEXT,
    owner_title=ANY_TEXT,
    owner_email=st.one_of(ANY_TEXT, ADDRESS),
    summary=ANY_TEXT,
    text=st.text(st.characters(exclude_categories=()), max_size=400),
    contacts=st.lists(st.tuples(ANY_TEXT, ADDRESS), min_size=1, max_size=4, unique_by=lambda c: c[1]),
)
def test_compose_always_gives_a_letter_to_exactly_the_contacts(
    owner_name: str,
    owner_title: str,
    owner_email: str,
    summary: str,
    text: str,
    contacts: list[tuple[str, str]],
) -> None:
    # Recipients as stored: "Name <address>" (names from before they were checked included).
    recipients = [f"{name} <{address}>" if name.strip() else address for name, address in contacts]
    letter = replace(
        LETTER,
        owner_name=owner_name,
        owner_title=owner_title,
        owner_email=owner_email,
        summary=summary,
        text=text,
        recipients=recipients,
    )
    message = composed(letter)
    received = as_received(message)
    expected = [address for _name, address in contacts]
    assert list(message.envelope_to) == expected
    assert [a.addr_spec for a in received["To"].addresses] == expected
    assert received["Subject"] == one_line(f"[ESC-7] {summary}")
    assert received["From"].addresses[0].addr_spec == "support@vendor.example"
    # Nothing but the headers we wrote: no line of a name or subject became a header.
    assert sorted(set(received.keys())) == sorted(
        {"From", "To", "Subject", "Message-ID", "Date", "Content-Language", "MIME-Version", "Content-Type"}
        | ({"Reply-To"} if received["Reply-To"] is not None else set())
    )
    words = [w for w in one_line(text).split() if w.isascii() and w.isprintable()]
    assert not words or words[0] in plain_text(received)

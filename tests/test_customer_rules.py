"""The customer end's rules, as plain functions: contacts, the promise kept, retries, times, SMTP URLs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from assistant.content.customer_time import customer_time_phrase
from assistant.content.i18n import _, speaking
from assistant.content.registry import installed
from assistant.customer.mail import parse_smtp_url
from assistant.domain.communications import promise_outcome, retry_delay
from assistant.domain.contacts import parse_contacts
from assistant.domain.intake import IntakeField, IntakeForm, validate_intake

NOW = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)


def test_contacts_are_read_one_per_line_and_problems_name_their_line() -> None:
    contacts, problems = parse_contacts(
        "Ana Souza <Ana@Acme.com.br>, CTO\n\n bruno@acme.com.br \n"
        "Carla <carla@>\nana souza <ana@acme.com.br>",
        locale="pt_BR",
        tz="America/Sao_Paulo",
    )
    assert [(c.name, c.email, c.role) for c in contacts] == [
        ("Ana Souza", "Ana@acme.com.br", "CTO"),  # the domain folded, as mail servers do
        ("", "bruno@acme.com.br", ""),
    ]
    assert {(c.locale, c.tz) for c in contacts} == {("pt_BR", "America/Sao_Paulo")}
    assert [_(p) for p in problems] == ["Line 4: “carla@” is not an e-mail address."]


def test_a_promise_is_kept_by_delivery_and_our_lateness_is_told_apart() -> None:
    promise = NOW
    assert promise_outcome(promise, NOW - timedelta(hours=1), NOW) == promise_outcome(promise, NOW, NOW)
    assert promise_outcome(promise, NOW - timedelta(hours=1), NOW).kept
    late_by_us = promise_outcome(promise, NOW - timedelta(minutes=5), NOW + timedelta(minutes=30))
    assert (late_by_us.kept, late_by_us.late_by_us) == (False, True)
    late_by_owner = promise_outcome(promise, NOW + timedelta(minutes=1), NOW + timedelta(minutes=2))
    assert (late_by_owner.kept, late_by_owner.late_by_us) == (False, False)


def test_retries_back_off_and_never_stop() -> None:
    assert [retry_delay(n).total_seconds() for n in range(1, 9)] == [10, 30, 60, 120, 300, 600, 600, 600]


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "12:00 tomorrow, São Paulo time"),
        ("pt_BR", "12:00 de amanhã, horário de São Paulo"),
        ("es", "12:00 de mañana, hora de São Paulo"),
    ],
)
def test_times_promised_to_a_customer_are_in_their_zone_and_language(locale: str, expected: str) -> None:
    with speaking(locale):
        assert customer_time_phrase(NOW + timedelta(hours=25), "America/Sao_Paulo", NOW) == expected
        today = customer_time_phrase(NOW + timedelta(hours=2), "America/Mexico_City", NOW)
    assert today.startswith("10:00 ")  # 16:00 UTC is 10:00 in Mexico City


def test_smtp_urls() -> None:
    starttls = parse_smtp_url("smtp://apikey:s%40cret@smtp.example.com")
    assert (starttls.host, starttls.port, starttls.starttls, starttls.implicit_tls) == (
        "smtp.example.com",
        587,
        True,
        False,
    )
    assert (starttls.username, starttls.password) == ("apikey", "s@cret")
    tls = parse_smtp_url("smtps://u:p@smtp.example.com")
    assert (tls.port, tls.implicit_tls, tls.starttls) == (465, True, False)
    assert parse_smtp_url("smtp://127.0.0.1:2525").starttls is False  # a loopback relay: plain
    for bad, said in [
        ("http://smtp.example.com", r"must start smtp:// \(STARTTLS\) or smtps:// \(TLS\)"),
        ("smtp://", "names no host"),
        ("smtp://u:hunter2@host:port", "has a port that is not a number"),
    ]:
        with pytest.raises(ValueError, match=said) as refused:
            parse_smtp_url(bad)
        assert "hunter2" not in str(refused.value)


@pytest.mark.parametrize(
    ("line", "said"),
    [
        (  # the reported one: mallory in the name, the real contact's address after it
            "mallory@evil.example, Ana <ana@acme.com.br>",
            'Line 1: “mallory@evil.example, Ana” cannot be a name: a name holds no , ; < > " or @. '
            "Write one contact per line, like Ana Souza <ana@acme.com.br>, CTO.",
        ),
        (
            'Ana "the boss" Souza <ana@acme.com.br>',
            'Line 1: “Ana "the boss" Souza” cannot be a name: a name holds no , ; < > " or @. '
            "Write one contact per line, like Ana Souza <ana@acme.com.br>, CTO.",
        ),
        (
            "Ana; Bruno <ana@acme.com.br>",
            'Line 1: “Ana; Bruno” cannot be a name: a name holds no , ; < > " or @. '
            "Write one contact per line, like Ana Souza <ana@acme.com.br>, CTO.",
        ),
        (  # an encoded word a mail program would show as another address
            "=?utf-8?q?ceo=40acme.com.br?= <mallory@evil.example>",
            "Line 1: “=?utf-8?q?ceo=40acme.com.br?=” looks like encoded mail text, not a name: "
            "write the name as it reads.",
        ),
        (
            "Ana\x00Souza <ana@acme.com.br>",
            "Line 1: the name holds an invisible control character: type it again.",
        ),
        (  # a right-to-left override shows the text after it backwards
            "Ana \u202eSouza <ana@acme.com.br>",
            "Line 1: the name holds an invisible control character: type it again.",
        ),
        (
            "Ana <ana@acme.com.br>, CTO\x1b[31m",
            "Line 1: the role holds an invisible control character: type it again.",
        ),
    ],
)
def test_a_contact_name_that_could_change_who_gets_the_mail_is_refused_at_its_line(
    line: str, said: str
) -> None:
    contacts, problems = parse_contacts(
        f"{line}\nBruno <bruno@acme.com.br>", locale="pt_BR", tz="America/Sao_Paulo"
    )
    assert [_(p) for p in problems] == [said]
    assert [c.email for c in contacts] == ["bruno@acme.com.br"]  # the good line is kept
    with speaking("pt_BR"):
        assert _(parse_contacts(line, locale="pt_BR", tz="UTC")[1][0]).startswith("Linha 1: ")


def test_names_with_accents_ampersands_and_tabs_are_still_names() -> None:
    contacts, problems = parse_contacts(
        "José Núñez-O'Brien (TI) <jose@acme.com.mx>, Director de TI\nOps & R&D\t<ops@acme.com.mx>",
        locale="es",
        tz="America/Mexico_City",
    )
    assert problems == []
    assert [(c.name, c.email, c.role) for c in contacts] == [
        ("José Núñez-O'Brien (TI)", "jose@acme.com.mx", "Director de TI"),
        ("Ops & R&D", "ops@acme.com.mx", ""),
    ]


def test_the_intake_form_refuses_a_name_holding_another_address_next_to_the_contacts_field() -> None:
    form = IntakeForm(
        account="Acme",
        summary="SSO outage",
        description="Nobody can log in.",
        category=None,
        severity=None,
        owner_id=None,
        contacts_text="Bruno <bruno@acme.com.br>\nmallory@evil.example, Ana <ana@acme.com.br>",
        contact_locale="pt_BR",
        contact_zone="America/Sao_Paulo",
    )
    intake, errors = validate_intake(form, installed().practice)
    assert intake is None
    assert _(errors[IntakeField.CONTACTS]) == (
        'Line 2: “mallory@evil.example, Ana” cannot be a name: a name holds no , ; < > " or @. '
        "Write one contact per line, like Ana Souza <ana@acme.com.br>, CTO."
    )

"""The practice's rules as plain functions: no Slack, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from assistant.content.i18n import _
from assistant.content.registry import installed
from assistant.domain.channel_names import PatternError, alternative_name, channel_name, check_pattern
from assistant.domain.intake import (
    IntakeField,
    IntakeForm,
    LinkKind,
    PersonFacts,
    person_problem,
    validate_intake,
)
from assistant.domain.money import parse_money
from assistant.domain.practice import Category, Severity, Trigger
from assistant.domain.provisioning import retry_due
from assistant.domain.sentences import Problem

PATTERN = "esc-{number}-{account}-{summary}"


@pytest.mark.parametrize(
    ("account", "summary", "expected"),
    [
        ("Acme", "SSO outage", "esc-42-acme-sso-outage"),
        ("Société Générale", "Échec de connexion", "esc-42-societe-generale-echec-de-connexion"),
        ("ACME, Inc.", "Login: 500 errors!!", "esc-42-acme-inc-login-500-errors"),
        ("株式会社", "", "esc-42-zhu-shi-hui-she"),
        ("", "", "esc-42"),
    ],
)
def test_channel_names_are_slack_legal(account: str, summary: str, expected: str) -> None:
    assert channel_name(PATTERN, number=42, account=account, summary=summary) == expected


def test_long_channel_names_keep_the_number_and_whole_words() -> None:
    name = channel_name(
        PATTERN,
        number=12345,
        account="Enormous Global Holdings International",
        summary="every single login fails across all regions since the upgrade last night",
    )
    assert len(name) <= 80
    assert name.startswith("esc-12345-enormous-global-holdings-international-")
    assert not name.endswith("-")
    name = channel_name("{account}-{summary}-esc-{number}", number=7, account="a" * 100, summary="b" * 100)
    assert name.endswith("esc-7") and len(name) <= 80


def test_alternative_names_after_name_taken() -> None:
    assert alternative_name("esc-42-acme", 2) == "esc-42-acme-2"
    assert len(alternative_name("x" * 80, 13)) == 80


def test_patterns_are_checked() -> None:
    assert check_pattern("case-{number}") == "case-{number}"
    with pytest.raises(PatternError, match="must contain"):
        check_pattern("esc-{account}")
    with pytest.raises(PatternError, match="unknown placeholder"):
        check_pattern("esc-{number}-{customer}")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("", None),
        ("120000", 120_000),
        ("$120,000", 120_000),
        ("120k", 120_000),
        ("1.2M", 1_200_000),
        (" $ 95.5k ", 95_500),
    ],
)
def test_account_value_is_read_as_people_type_it(text: str, value: int | None) -> None:
    money = parse_money(text, "USD")
    assert (money.amount if money else None) == value and (money is None or money.currency == "USD")


@pytest.mark.parametrize("text", ["lots", "12e5", "-5", "120kk", "$"])
def test_account_value_that_is_not_a_number_is_refused(text: str) -> None:
    with pytest.raises(Problem) as refused:
        parse_money(text, "USD")
    assert "annual contract value" in _(refused.value.sentence)


def form(**overrides: object) -> IntakeForm:
    values: dict[str, object] = {
        "account": "Acme",
        "summary": "SSO outage",
        "description": "Nobody can log in.",
        "category": Category.TECHNICAL,
        "severity": Severity.HIGH,
        "owner_id": "U0OWNER01",
    }
    values.update(overrides)
    return IntakeForm(**values)  # type: ignore[arg-type]


def test_a_valid_form_is_cleaned() -> None:
    intake, errors = validate_intake(
        form(
            summary="  SSO\n outage ",
            stakeholder_ids=["U1", "U0OWNER01", "U1"],
            triggers=[Trigger.DATA_BREACH, Trigger.DATA_BREACH],
            links={LinkKind.TICKET: " https://t.example/1 ", LinkKind.CRM: ""},
        ),
        installed().practice,
    )
    assert errors == {}
    assert intake is not None
    assert intake.summary == "SSO outage"
    assert intake.stakeholder_ids == ("U1",)  # the owner is not also a stakeholder
    assert intake.triggers == (Trigger.DATA_BREACH,)
    assert intake.links == ((LinkKind.TICKET, "https://t.example/1"),)


def test_every_problem_of_a_form_is_told_at_its_field() -> None:
    intake, errors = validate_intake(
        form(
            account=" ",
            summary="x" * 151,
            description="",
            category=None,
            severity=None,
            owner_id=None,
            account_value_text="many",
            stakeholder_ids=[f"U{i}" for i in range(31)],
            links={LinkKind.PROBLEM_RECORD: "ftp://x"},
        ),
        installed().practice,
    )
    assert intake is None
    assert set(errors) == {
        IntakeField.ACCOUNT,
        IntakeField.SUMMARY,
        IntakeField.DESCRIPTION,
        IntakeField.CATEGORY,
        IntakeField.SEVERITY,
        IntakeField.OWNER,
        IntakeField.ACCOUNT_VALUE,
        IntakeField.STAKEHOLDERS,
        IntakeField.LINK_PROBLEM_RECORD,
    }


def test_people_who_cannot_own_a_case() -> None:
    assert person_problem(PersonFacts("U1"), "owner") is None
    assert "bot" in _(person_problem(PersonFacts("U1", is_bot=True), "owner") or "")
    assert "bot" in _(person_problem(PersonFacts("USLACKBOT"), "owner") or "")
    assert "deactivated" in _(person_problem(PersonFacts("U1", deleted=True), "owner") or "")
    assert "not in this workspace" in _(person_problem(PersonFacts("U1", exists=False), "owner") or "")


def test_security_and_breach_cases_are_sensitive() -> None:
    practice = installed().practice
    assert practice.is_sensitive([Trigger.SECURITY_VULNERABILITY])
    assert practice.is_sensitive({Trigger.DATA_BREACH, Trigger.EXECUTIVE_CONTACTED})
    assert not practice.is_sensitive([Trigger.TERMINATION_MENTIONED])


def test_failed_steps_back_off_up_to_an_hour() -> None:
    start = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    minute = timedelta(minutes=1)
    assert retry_due(0, None, minute, start)
    assert not retry_due(1, start, minute, start + timedelta(seconds=59))
    assert retry_due(1, start, minute, start + minute)
    assert not retry_due(3, start, minute, start + 3 * minute)
    assert retry_due(3, start, minute, start + 4 * minute)
    assert retry_due(30, start, minute, start + timedelta(hours=1))


# -- the time a customer text promises is the time chosen ------------------------------------------


def test_the_drafted_time_phrase_follows_the_time_chosen() -> None:
    from assistant.domain.communications import local_time_phrase, with_promised_time

    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    drafted = local_time_phrase(now + timedelta(hours=3), "Europe/Berlin", now)
    assert drafted == "16:00 today (CET)"
    text = f"We found the cause.\n\nI will send you the next update by {drafted}, whatever happens."
    chosen = now + timedelta(hours=20, minutes=54)
    assert with_promised_time(text, chosen, "Europe/Berlin", now) == (
        "We found the cause.\n\nI will send you the next update by 09:54 tomorrow (CET), whatever happens."
    )


def test_a_next_update_time_typed_by_hand_must_match_the_one_chosen() -> None:
    from assistant.domain.communications import promised_time_mismatch

    chosen = datetime(2026, 11, 24, 8, 54, tzinfo=UTC)  # 09:54 in Berlin
    assert promised_time_mismatch("Next update by 15:00 today.", chosen, "Europe/Berlin") == "15:00"
    assert promised_time_mismatch("You'll get an update at 3pm.", chosen, "Europe/Berlin") == "15:00"
    assert promised_time_mismatch("Next update by 9:54 tomorrow.", chosen, "Europe/Berlin") is None
    assert promised_time_mismatch("Next update by 9.54am.", chosen, "Europe/Berlin") is None
    # Times that are not the next update's are the owner's business.
    assert (
        promised_time_mismatch("The fix ships at 17:00. Revised target: 14:00.", chosen, "Europe/Berlin")
        is None
    )
    assert (
        promised_time_mismatch("Update: 3 of 12 servers restored (GMT+3).", chosen, "Europe/Berlin") is None
    )


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Acme Corp", "acme"),
        ("Acme Corp.", "acme"),
        ("acme CORP.", "acme"),
        ("  ACME   Corporation ", "acme"),
        ("Acme, Inc.", "acme"),
        ("Açme Corp", "acme"),
        ("Acme & Co.", "acme"),
        ("Empresa Brasileira de Software Ltda.", "empresa brasileira de software"),
        ("Nestlé S.A.", "nestle"),
        ("Siemens GmbH", "siemens"),
        ("Grupo Bimbo, S.A.B. de C.V.", "grupo bimbo"),
        ("Telefónica S/A", "telefonica"),
        ("AT&T Inc.", "at and t"),
        ("AT & T", "at and t"),
        ("Co", "co"),  # a name that is only a suffix stays itself
        ("3M", "3m"),
        ("東京海上", "東京海上"),  # nothing to fold to ASCII: kept as typed
    ],
)
def test_an_account_is_one_key_however_it_is_typed(typed: str, key: str) -> None:
    from assistant.domain.accounts import account_key

    assert account_key(typed) == key


def test_triggers_change_the_case_as_the_playbook_says() -> None:
    from assistant.domain.practice import Category, Severity, Trigger
    from assistant.domain.triggers import trigger_effects

    practice = installed().practice
    effects = trigger_effects(
        practice,
        [Trigger.TERMINATION_MENTIONED, Trigger.PUBLIC_REVIEW_THREAT, Trigger.EXECUTIVE_CONTACTED],
        Severity.MEDIUM,
    )
    assert effects.severity == Severity.HIGH and effects.raised_from == Severity.MEDIUM
    assert effects.suggested_category == Category.BUSINESS and effects.tell_managers
    assert len(effects.notes) == 3 and any("Legal" in n for n in effects.notes)

    breach = trigger_effects(practice, [Trigger.DATA_BREACH], Severity.LOW)
    assert breach.severity == Severity.CRITICAL and breach.tell_managers and breach.suggested_category is None
    review = trigger_effects(practice, [Trigger.PUBLIC_REVIEW_THREAT], Severity.CRITICAL)
    assert review.severity == Severity.CRITICAL and review.raised_from is None
    assert review.suggested_category == Category.RELATIONSHIP and not review.tell_managers
    # Triggers as they come from the database: any iterable, read once.
    from_database = iter([Trigger.DATA_BREACH, Trigger.EXECUTIVE_CONTACTED])
    assert len(trigger_effects(practice, from_database, Severity.LOW).notes) == 2
    assert not trigger_effects(practice, [], Severity.LOW).notes


def test_action_items_are_reminded_the_day_before_and_escalated_when_overdue() -> None:
    from zoneinfo import ZoneInfo

    from assistant.domain.action_items import ItemAlert, ItemState, alerts_due, due_at

    tokyo = ZoneInfo("Asia/Tokyo")
    item = ItemState(due_on=date(2026, 12, 10), done=False, reminded=False, escalated=False)
    deadline = due_at(item.due_on, tokyo)
    assert deadline == datetime(2026, 12, 10, 15, 0, tzinfo=UTC)  # midnight in Tokyo
    assert alerts_due(item, tokyo, deadline - timedelta(days=1, seconds=1)) == []
    assert alerts_due(item, tokyo, deadline - timedelta(days=1)) == [ItemAlert.REMIND]
    assert alerts_due(item, tokyo, deadline) == [ItemAlert.ESCALATE]  # too late to remind
    reminded = ItemState(date(2026, 12, 10), done=False, reminded=True, escalated=False)
    assert alerts_due(reminded, tokyo, deadline - timedelta(hours=1)) == []
    assert alerts_due(reminded, tokyo, deadline + timedelta(days=3)) == [ItemAlert.ESCALATE]
    done = ItemState(date(2026, 12, 10), done=True, reminded=False, escalated=False)
    assert alerts_due(done, tokyo, deadline + timedelta(days=3)) == []

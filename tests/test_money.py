"""Contract values as people type them in English, Portuguese and Spanish; shown as each reader
writes money."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.content.i18n import _
from assistant.domain.money import Money, format_money, parse_money
from assistant.domain.sentences import Problem
from tests.harness import CSM, start_harness


def cents(amount: str | int) -> Decimal:
    return Decimal(amount).quantize(Decimal("0.01"))


@pytest.mark.parametrize(
    ("typed", "default", "amount", "currency"),
    [
        ("120000", "USD", "120000", "USD"),
        ("$120k", "USD", "120000", "USD"),
        ("$120,000", "USD", "120000", "USD"),
        ("€120k", "USD", "120000", "EUR"),
        ("R$ 120 mil", "USD", "120000", "BRL"),
        ("R$120mil", "USD", "120000", "BRL"),
        ("120.000,00", "BRL", "120000", "BRL"),
        ("120.000", "BRL", "120000", "BRL"),
        ("1.2m", "USD", "1200000", "USD"),
        ("1,2 milhão", "BRL", "1200000", "BRL"),
        ("US$ 2,5 mi", "BRL", "2500000", "USD"),
        ("MXN 3.4 millones", "USD", "3400000", "MXN"),
        ("$ 50,000", "MXN", "50000", "MXN"),  # a Mexican team's dollar sign is the peso
        ("$120k", "EUR", "120000", "USD"),  # a euro team's dollar sign is the US dollar
        ("120,000.50", "USD", "120000.50", "USD"),
        ("€ 1.200,50", "USD", "1200.50", "EUR"),
        ("1.234.567,89", "EUR", "1234567.89", "EUR"),
        ("120k EUR", "USD", "120000", "EUR"),
        ("120 €", "USD", "120", "EUR"),
    ],
)
def test_a_contract_value_is_read_as_people_type_it(
    typed: str, default: str, amount: str, currency: str
) -> None:
    assert parse_money(typed, default) == Money(cents(amount), currency)


@pytest.mark.parametrize("typed", ["abc", "$€5", "12,34,56", "120 potatoes", "XYZ 100", "1e9"])
def test_what_is_not_an_amount_is_refused_with_a_sentence(typed: str) -> None:
    with pytest.raises(Problem) as refused:
        parse_money(typed, "USD")
    assert _(refused.value.sentence).startswith("Enter the annual contract value as a number")


def test_an_empty_value_is_no_value_and_an_absurd_one_is_refused() -> None:
    assert parse_money("  ", "USD") is None
    with pytest.raises(Problem) as refused:
        parse_money("$5000bn", "USD")
    assert "larger than any account" in _(refused.value.sentence)


@given(st.integers(min_value=0, max_value=10**11), st.sampled_from(["en", "pt_BR", "es"]))
def test_what_we_show_reads_back_as_the_same_amount(amount: int, locale: str) -> None:
    shown = format_money(amount, "BRL", locale)
    assert shown is not None
    assert parse_money(shown.replace("\xa0", " "), "BRL") == Money(cents(amount), "BRL")


def test_each_reader_sees_money_written_their_way() -> None:
    assert format_money(120000, "USD", "en") == "$120,000"
    assert format_money(120000, "BRL", "pt_BR") == "R$\xa0120.000"
    assert format_money(120000, "EUR", "es") == "120.000\xa0€"
    assert format_money(Decimal("1200.5"), "EUR", "en") == "€1,200.50"


def test_a_value_in_reais_is_stored_with_its_currency_and_shown_on_the_card(database_url: str) -> None:
    from assistant.services.export import export_rows

    harness = start_harness(database_url, default_currency="BRL")
    try:
        view_id = harness.open_intake(CSM)
        errors = harness.submit_intake(view_id, CSM, account_value="120 batatas").json()["errors"]
        assert errors == {
            "account_value": "Enter the annual contract value as a number, like 120000 or $120k."
        }
        case = harness.escalate(CSM, account_value="120.000,00")
        assert (case.account_value, case.account_currency) == (120_000, "BRL")
        card = json.dumps(harness.channel_of(case).messages[0].blocks, ensure_ascii=False)
        assert "*Account value*\\nR$120,000" in card  # the channel's language (English) writes it so
        euros = harness.escalate(CSM, account_value="€ 1,2 mi")
        assert (euros.account_value, euros.account_currency) == (1_200_000, "EUR")
        row = next(r for r in export_rows(harness.components.engine) if r["key"] == euros.key)
        assert (row["account_value"], row["account_currency"]) == (1_200_000, "EUR")
    finally:
        harness.stop()

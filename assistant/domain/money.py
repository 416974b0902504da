"""Contract values as people type them, in any of our languages: `120000`, `$120k`, `€120k`,
`R$ 120 mil`, `120.000,00`, `1.2m`, `US$ 2,5 mi`, `MXN 3.4 millones`. An amount and an ISO
currency come out; the currency is the team's DEFAULT_CURRENCY unless the text names one.

Which mark is the decimal one is read from the text, not the reader's locale (a Brazilian CSM
may well type `$120,000.50`): with both `.` and `,` the last one is decimal; with one kind, a
mark followed by exactly three digits (once or in groups) separates thousands, else decimals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel import Locale
from babel.numbers import format_compact_currency, format_currency, get_currency_symbol, list_currencies

from assistant.domain.sentences import Problem, said

# A symbol names a currency; "$" alone is the team's dollar if it has one (MXN in Mexico), else USD.
SYMBOLS = {"R$": "BRL", "US$": "USD", "U$S": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}
DOLLARS = frozenset({"USD", "MXN", "ARS", "CLP", "COP", "CAD", "AUD", "NZD", "SGD", "HKD", "UYU"})
# Words and letters that multiply: English, Portuguese and Spanish.
MULTIPLIERS = {
    "k": Decimal(1_000),
    "mil": Decimal(1_000),
    "m": Decimal(1_000_000),
    "mm": Decimal(1_000_000),
    "mi": Decimal(1_000_000),
    "mio": Decimal(1_000_000),
    "milhão": Decimal(1_000_000),
    "milhões": Decimal(1_000_000),
    "millón": Decimal(1_000_000),
    "millon": Decimal(1_000_000),
    "millones": Decimal(1_000_000),
    "million": Decimal(1_000_000),
    "millions": Decimal(1_000_000),
    "bn": Decimal(1_000_000_000),
    "bi": Decimal(1_000_000_000),
}
LARGEST = Decimal(10**12)

_SYMBOL = "|".join(re.escape(s) for s in sorted(SYMBOLS, key=len, reverse=True))
_VALUE = re.compile(
    rf"^(?P<before>{_SYMBOL}|\$|[A-Za-z]{{3}})?\s*"
    r"(?P<number>[0-9][0-9.,\s]*?)\s*"
    rf"(?P<scale>[A-Za-zãõóÃÕÓ]+)?(?:\s*(?P<after>{_SYMBOL}|\$)|\s+(?P<code>[A-Za-z]{{3}}))?$"
)


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str  # ISO 4217


def _currency(mark: str | None, default: str) -> str | None:
    if mark is None:
        return None
    if mark == "$":
        return default if default in DOLLARS else "USD"
    if mark in SYMBOLS:
        return SYMBOLS[mark]
    code = mark.upper()
    return code if code in list_currencies() else None


def _number(text: str) -> Decimal:
    digits = text.replace(" ", "")
    marks = [c for c in digits if c in ".,"]
    if "." in marks and "," in marks:
        decimal_mark = marks[-1]
        digits = digits.replace("," if decimal_mark == "." else ".", "").replace(decimal_mark, ".")
    elif marks:
        mark = marks[0]
        parts = digits.split(mark)
        thousands = len(parts) > 2 or (len(parts) == 2 and len(parts[1]) == 3)
        if thousands and all(len(p) == 3 for p in parts[1:]):
            digits = digits.replace(mark, "")
        elif len(parts) == 2:
            digits = digits.replace(mark, ".")
        else:
            raise InvalidOperation
    return Decimal(digits)


def parse_money(text: str, default_currency: str = "USD") -> Money | None:
    """The amount and currency in `text` (None when it is empty); a Problem (a ValueError) with a
    sentence for the form when it is not an amount."""
    cleaned = " ".join(text.split())
    if not cleaned:
        return None
    match = _VALUE.match(cleaned)
    problem = Problem(said("money.enter_annual_contract_value_as"))
    if not match:
        raise problem
    before, after = match.group("before"), match.group("after") or match.group("code")
    scale = (match.group("scale") or "").lower()
    if scale and scale not in MULTIPLIERS:
        # "120 EUR": a currency code read as a scale word.
        if after is None and _currency(scale, default_currency):
            after, scale = scale, ""
        else:
            raise problem
    named = (_currency(before, default_currency), _currency(after, default_currency))
    if (before and named[0] is None) or (after and named[1] is None) or (named[0] and named[1]):
        raise problem
    try:
        amount = _number(match.group("number")) * MULTIPLIERS.get(scale, Decimal(1))
    except InvalidOperation:
        raise problem from None
    if amount > LARGEST:
        raise Problem(said("money.contract_value_larger_than_any"))
    return Money(amount.quantize(Decimal("0.01")), named[0] or named[1] or default_currency)


def format_money(amount: int | Decimal | None, currency: str | None, locale: str) -> str | None:
    """A contract value as the reader writes money ("$120,000", "R$ 120.000", "120.000 €")."""
    if amount is None:
        return None
    value = Decimal(amount)
    if value != value.to_integral_value():
        return format_currency(value, currency or "USD", locale=locale)
    # Whole amounts without ",00": the locale's own pattern, less its decimals.
    pattern = Locale.parse(locale).currency_formats["standard"].pattern.split(";")[0].replace(".00", "")
    return format_currency(value, currency or "USD", format=pattern, locale=locale, currency_digits=False)


def format_money_short(amount: int | Decimal, currency: str, locale: str) -> str:
    """A compact form for sums (digest, Home): "$1.2M", "R$ 1,2 mi"."""
    return format_compact_currency(amount, currency, locale=locale, fraction_digits=1)


__all__ = ["Money", "format_money", "format_money_short", "get_currency_symbol", "parse_money"]

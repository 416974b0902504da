"""Cells of a CSV file a spreadsheet opens as data, never as a formula, and back.

A cell starting with = + - @ (or a tab or carriage return, which some spreadsheets skip
before one) is run as a formula when the file is opened: `=HYPERLINK(…)`, `+cmd|…`. Every CSV
we write passes its text through `formula_safe`, which puts a ' in front (spreadsheets show the
text as it is); the account import takes it off again with `unescaped`, so an exported
directory imports back unchanged. One rule for every export: they must not drift apart.
"""

from __future__ import annotations

import re
from typing import TypeVar

# A formula's first character, after any quotes already in front of it. The quotes count so that
# text that really starts with '= gets one more: the import then takes exactly one off, and
# formula_safe is undone by unescaped whatever the text.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")

T = TypeVar("T")


def formula_safe(value: T) -> T | str:
    """The value for a CSV cell: text a spreadsheet would run gets a leading '; anything else
    (numbers, empty text, None) is left as it is."""
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return value


def unescaped(cell: str) -> str:
    """A CSV cell as it was before `formula_safe`."""
    if cell.startswith("'") and _FORMULA.match(cell, 1):
        return cell[1:]
    return cell

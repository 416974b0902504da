"""Text as people type it, made safe to store: no NUL, no lone surrogates, nothing invisible-only."""

from __future__ import annotations

import re
import unicodedata

# Characters that show nothing: a field of only these (and spaces) is empty.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u2800\u3164"
# C0 controls other than tab and newline, and DEL: PostgreSQL refuses NUL outright.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    """The text with what cannot be stored removed; "" if nothing visible is left."""
    # A lone surrogate (half of an emoji) cannot be encoded as UTF-8: shown as U+FFFD instead.
    value = value.encode("utf-8", "replace").decode("utf-8") if _has_surrogate(value) else value
    value = _CONTROLS.sub("", value.replace("\r\n", "\n"))
    value = unicodedata.normalize("NFC", value)
    if not value.strip(INVISIBLE + " \t\n\r\u00a0\u3000"):
        return ""
    return value


def _has_surrogate(value: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in value)


def clean_tree(obj: object) -> object:
    """Every string in a submitted form, cleaned (in place for dicts and lists)."""
    if isinstance(obj, dict):
        for key, item in obj.items():
            obj[key] = clean_tree(item)
        return obj
    if isinstance(obj, list):
        for index, item in enumerate(obj):
            obj[index] = clean_tree(item)
        return obj
    if isinstance(obj, str):
        return clean_text(obj)
    return obj


class UnescapedUserText(TypeError):
    pass


class UserText:
    """Text a user typed; only the escaping filters may turn it into output."""

    __slots__ = ("raw",)

    def __init__(self, raw: str | None) -> None:
        self.raw = raw or ""

    def __str__(self) -> str:
        raise UnescapedUserText("user text must pass through |mrkdwn or |plain")

    __html__ = __str__

    def __bool__(self) -> bool:
        return bool(self.raw.strip())

    def __len__(self) -> int:
        return len(self.raw)

    def __repr__(self) -> str:
        return f"UserText({self.raw!r})"

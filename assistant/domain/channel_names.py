"""Slack channel names for case channels.

Slack accepts lowercase letters, digits, hyphens and underscores, at most 80
characters. Accents and other scripts are folded to ASCII so a channel for
"Société Générale" is still findable by typing "societe".
"""

from __future__ import annotations

import re
import string

from slugify import slugify

MAX_LENGTH = 80
PLACEHOLDERS = frozenset({"number", "account", "summary"})
_LEGAL = re.compile(r"[^a-z0-9_-]+")


class PatternError(ValueError):
    pass


def check_pattern(pattern: str) -> str:
    """Refuse a pattern with unknown placeholders or without the case number."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    except ValueError as exc:
        raise PatternError(f"it is not a valid pattern ({exc})") from exc
    unknown = names - PLACEHOLDERS
    if unknown:
        raise PatternError(
            f"unknown placeholder {{{sorted(unknown)[0]}}}; use {{number}}, {{account}}, {{summary}}"
        )
    if "number" not in names:
        raise PatternError("it must contain {number} so every case gets a distinct channel")
    return pattern


# Links say nothing a person would search a channel for ("https-acme-example-com-q3"): dropped.
_URL = re.compile(r"\(?\b(?:https?://|www\.)\S+", re.IGNORECASE)


def _slug(text: str) -> str:
    return slugify(_URL.sub(" ", text), separator="-", lowercase=True)


def _clean(name: str) -> str:
    name = _LEGAL.sub("-", name.lower())
    return re.sub(r"-{2,}", "-", name).strip("-_")


def channel_name(pattern: str, *, number: int, account: str, summary: str) -> str:
    """The channel name for a case, shortening the free text (never the number) to fit."""
    account_slug, summary_slug = _slug(account), _slug(summary)

    def render(acc: str, summ: str) -> str:
        return _clean(pattern.format(number=number, account=acc, summary=summ))

    name = render(account_slug, summary_slug)
    # Shorten the summary first, then the account, at word boundaries.
    while len(name) > MAX_LENGTH and summary_slug:
        summary_slug = summary_slug.rsplit("-", 1)[0] if "-" in summary_slug else ""
        name = render(account_slug, summary_slug)
    while len(name) > MAX_LENGTH and account_slug:
        account_slug = account_slug.rsplit("-", 1)[0] if "-" in account_slug else ""
        name = render(account_slug, summary_slug)
    return name[:MAX_LENGTH].strip("-_") or f"esc-{number}"


def alternative_name(name: str, attempt: int) -> str:
    """The name to try after `name_taken`: esc-42-acme-2, esc-42-acme-3, ..."""
    suffix = f"-{attempt}"
    return name[: MAX_LENGTH - len(suffix)].rstrip("-_") + suffix

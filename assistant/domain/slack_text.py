"""Slack's encoding of message and command text, decoded once on the way in.

Slack sends `&`, `<` and `>` as `&amp;`, `&lt;` and `&gt;`, and links, mentions
and channels as `<https://x|label>`, `<@U123>`, `<#C123|name>`. What people
type into a modal arrives unencoded, so only text Slack wrote (a message, a
command's text) goes through here; templates escape everything once on the way out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_ENTITY = re.compile(r"<([^<>\n]*)>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")


def mentioned_users(text: str) -> list[str]:
    """The people mentioned, in order, once each (U… and Enterprise Grid's W… ids)."""
    return list(dict.fromkeys(_USER.findall(text)))


def _entity(match: re.Match[str], names: Mapping[str, str]) -> str:
    target, _, label = match.group(1).partition("|")
    if target.startswith("@"):
        return "@" + (names.get(target[1:]) or label.lstrip("@") or target[1:])
    if target.startswith("#"):
        return "#" + (label or names.get(target[1:]) or target[1:])
    if target.startswith("!"):
        word = target[1:]
        if word in {"here", "channel", "everyone"}:
            return "@" + word
        # <!subteam^S123|@team>, <!date^1700000000^{date}|fallback>: the label is what people saw.
        return label or word.split("^")[0]
    if target.startswith("mailto:"):
        return label or target.removeprefix("mailto:")
    return f"{label} ({target})" if label and label != target else target


def decode_slack_text(text: str, names: Mapping[str, str] | None = None) -> str:
    """Plain text: links become "label (url)", mentions "@Name" (from `names`, else Slack's label)."""
    known = names or {}
    decoded = _ENTITY.sub(lambda m: _entity(m, known), text)
    # &amp; last, so "&amp;lt;" (a typed "&lt;") comes out as "&lt;", not "<".
    return decoded.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def message_text(message: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """A message's whole content as text: its text, its attachments (many bots post only those)
    and its files' names and links."""
    parts = [message.get("text") or ""]
    for attachment in message.get("attachments") or []:
        lines = [attachment.get("pretext") or ""]
        title, link = attachment.get("title") or "", attachment.get("title_link") or ""
        lines.append(f"{title} ({link})" if title and link else title)
        lines.append(attachment.get("text") or "")
        for item in attachment.get("fields") or []:
            lines.append(f"{item.get('title') or ''}: {item.get('value') or ''}".strip(": "))
        if not any(lines):
            lines = [attachment.get("fallback") or ""]
        parts.append("\n".join(line for line in lines if line))
    for file in message.get("files") or []:
        name = file.get("title") or file.get("name") or "a file"
        link = file.get("permalink") or ""
        parts.append(f"File: {name} ({link})" if link else f"File: {name}")
    return decode_slack_text("\n\n".join(p for p in parts if p.strip()), names)

"""User text made safe for Slack.

User text reaches templates wrapped in `UserText`, which refuses to become a
string by itself: a template can only show it through the `mrkdwn` filter
(escapes exactly &, < and >, Slack's rule, so `<!channel>` or `<https://x|y>`
typed by a user stay plain text) or the `plain` filter (for plain_text
fields, where Slack does not parse markup). Forgetting the filter fails
loudly in tests instead of pinging a workspace.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from assistant.content.i18n import _
from assistant.domain.text import UnescapedUserText, UserText  # noqa: F401 - escaped here, written there

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
ELLIPSIS = "…"


def _raw(text: UserText | str | None) -> str:
    if isinstance(text, UserText):
        return text.raw
    return text or ""


def escape_mrkdwn(text: UserText | str | None, limit: int | None = None) -> str:
    """Escape for mrkdwn; with `limit`, cut at a whole character or entity and mark the cut."""
    out: list[str] = []
    size = 0
    raw = _raw(text)
    for index, char in enumerate(raw):
        piece = _ENTITIES.get(char, char)
        if limit is not None and size + len(piece) > limit - (len(ELLIPSIS) if index < len(raw) else 0):
            out.append(ELLIPSIS)
            break
        out.append(piece)
        size += len(piece)
    return "".join(out)


def plain(text: UserText | str | None, limit: int | None = None) -> str:
    """Text for plain_text fields and channel topics: no markup is parsed there."""
    raw = " ".join(_raw(text).split()) if limit and limit <= 250 else _raw(text)
    if limit is not None and len(raw) > limit:
        return raw[: limit - 1] + ELLIPSIS
    return raw


def mention(user_id: str) -> str:
    if not _USER_ID.match(user_id or ""):
        raise ValueError(f"not a Slack user id: {user_id!r}")
    return f"<@{user_id}>"


def channel_link(channel_id: str) -> str:
    if not _CHANNEL_ID.match(channel_id or ""):
        raise ValueError(f"not a Slack channel id: {channel_id!r}")
    return f"<#{channel_id}>"


def slack_date(moment: datetime, style: str | None = None) -> str:
    """A time every reader sees in their own zone (Slack writes the date in their language); the
    fallback names UTC."""
    # Translators: keep Slack's tokens {date_short_pretty} and {time} as they are.
    style = style or _("escape.date_short_pretty_at_time")
    moment = moment.astimezone(UTC)
    fallback = moment.strftime("%a %d %b %Y %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{style}|{fallback}>"


# Canvas markdown (canvases.create and canvases.edit). The app finds each of its sections again by
# the mark it opens with: user text never carries it.
CANVAS_SECTION_MARK = "§"
_CANVAS_LINE_START = re.compile(r"^(\d*)([-+=.)])")
_CANVAS_SPECIAL = re.compile(r"([\\`*_~\[\]<>#|!&])")


def escape_canvas(text: UserText | str | None, limit: int | None = None) -> str:
    """User text for a canvas: on one line, its markup characters taken as text (escaped once)."""
    raw = " ".join(_raw(text).replace(CANVAS_SECTION_MARK, "").split())
    if limit is not None and len(raw) > limit:
        raw = raw[: limit - 1] + ELLIPSIS
    escaped = _CANVAS_SPECIAL.sub(r"\\\1", raw)
    # What opens a line is read as a block of its own ("- x" a list, "1. x" a numbered one, "---"
    # a rule or a heading): user text starts lines in the canvas, so its first mark is escaped.
    return _CANVAS_LINE_START.sub(r"\1\\\2", escaped, count=1)


def canvas_person(user_id: str) -> str:
    """A person in a canvas: Slack shows their name."""
    mention(user_id)  # the same check: an id, never text
    return f"![](@{user_id})"


def canvas_time(moment: datetime) -> str:
    """A time in a canvas, read by everyone in the channel: in UTC, named."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")

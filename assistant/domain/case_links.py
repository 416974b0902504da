"""What in a message points at a case: its link on the app's own domain
(`{PUBLIC_BASE_URL}/cases/ESC-42`, unfurled by Slack's link_shared wherever it is posted), its key
written out (`ESC-42`), a mention of its channel (`<#C123|esc-42-acme>`) or a link to that channel
(`https://acme.slack.com/archives/C123`). Pure: text in, references out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

CASE_PATH = "/cases/"
# At most this many cases summarised under one message: a pasted list is not a report request.
MAX_REFERENCES = 3

_KEY = re.compile(r"(?<![\w/#-])ESC-(\d{1,9})(?![\w-])", re.IGNORECASE)
_CHANNEL_MENTION = re.compile(r"<#([CG][A-Z0-9]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<(https?://[^>|\s]+)(?:\|[^>]*)?>")
_ARCHIVES = re.compile(
    r"^https://[a-z0-9-]+(?:\.enterprise)?\.slack\.com/archives/([CG][A-Z0-9]+)/?(?:$|p\d)"
)


@dataclass(frozen=True)
class References:
    """Case numbers and channel ids named in a message, in order, each once."""

    case_numbers: list[int] = field(default_factory=list)
    channel_ids: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.case_numbers or self.channel_ids)


def case_number_in_link(url: str, base_url: str | None) -> int | None:
    """ESC-42's number if `url` is the case link on the app's own site (any scheme or trailing
    slash; another site's /cases/ESC-42 is not ours)."""
    if not base_url:
        return None
    ours, link = urlsplit(base_url), urlsplit(url.strip())
    if link.netloc.lower() != ours.netloc.lower():
        return None
    path = unquote(link.path)
    prefix = ours.path.rstrip("/")
    return case_number_in_path(path[len(prefix) :]) if path.startswith(prefix) else None


def case_number_in_path(path: str) -> int | None:
    """`/cases/ESC-42` (as the app serves it) -> 42."""
    match = re.fullmatch(rf"{CASE_PATH}ESC-(\d{{1,9}})/?", path, re.IGNORECASE)
    return int(match.group(1)) if match else None


def references_in(text: str) -> References:
    """What a message (in Slack's encoding) names; links and mentions are read as what they point
    to, so a key inside a URL is not counted twice."""
    numbers: list[int] = []
    channels: list[str] = []
    for url in _LINK.findall(text):
        archived = _ARCHIVES.match(url)
        if archived and archived.group(1) not in channels:
            channels.append(archived.group(1))
    for channel_id in _CHANNEL_MENTION.findall(text):
        if channel_id not in channels:
            channels.append(channel_id)
    plain = _CHANNEL_MENTION.sub(" ", _LINK.sub(" ", text))
    for number in (int(n) for n in _KEY.findall(plain)):
        if number not in numbers:
            numbers.append(number)
    return References(numbers[:MAX_REFERENCES], channels[:MAX_REFERENCES])

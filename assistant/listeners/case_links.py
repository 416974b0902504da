"""Links that show what they point to (issue 24, part 5).

- A case link on the app's own site (`{PUBLIC_BASE_URL}/cases/ESC-42`, the manifest's unfurl
  domain) unfurls wherever it is posted, even in the message composer: Slack's `link_shared`,
  answered with `chat.unfurl`.
- In a channel the app is in, a message naming a case (its key, its channel, a link to its
  channel) gets the same compact summary in its thread, once.

Both are live (read when posted) and seen by everyone in the channel, so a private case shows
only that it is restricted, except in its own channel; the summary is in the team's language."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from slack_sdk import WebClient
from sqlmodel import Session, col, select

from assistant.components import Components
from assistant.content.i18n import speaking
from assistant.domain.case_links import MAX_REFERENCES, References, case_number_in_link, references_in
from assistant.models import Escalation
from assistant.presenters.case_context import case_context
from assistant.rendering.render import Message, render_message
from assistant.slack.client import QUICK_ERRORS, SLACK_ERRORS, error_code

logger = logging.getLogger(__name__)

# Slack sends at most this many links in one link_shared event; more would be someone's paste.
MAX_LINKS = 10


def summary(case: Escalation, channel_id: str) -> Message:
    """The compact live summary of a case shown in `channel_id` (to everyone in it)."""
    context = case_context(case)
    context["visible"] = not case.is_private or case.channel_id == channel_id
    return render_message("case_unfurl.json.j2", case=context)


def cases_referenced(engine: sa.Engine, refs: References, here: str) -> list[Escalation]:
    """The cases a message names, in its order, without the case of the channel it is in."""
    with Session(engine) as session:
        found = list(session.exec(select(Escalation).where(col(Escalation.id).in_(refs.case_numbers))))
        if refs.channel_ids:
            found += session.exec(select(Escalation).where(col(Escalation.channel_id).in_(refs.channel_ids)))
    unique = {c.id: c for c in found if c.channel_id != here}

    def position(case: Escalation) -> int:  # as the message names them: keys first, then channels
        if case.id in refs.case_numbers:
            return refs.case_numbers.index(case.id)
        return len(refs.case_numbers) + refs.channel_ids.index(str(case.channel_id))

    ranked = sorted(unique.values(), key=position)
    return ranked[:MAX_REFERENCES]


def seen_by_outsiders(components: Components, body: dict[str, Any], channel_id: str) -> bool:
    """Whether another organization's people read this channel (Slack Connect): no case is
    summarised there, as a customer would read another account's case. Slack says so on each
    event; asked of Slack only when it did not, and assumed when Slack cannot answer."""
    said = body.get("is_ext_shared_channel")
    if said is not None:
        return bool(said)
    try:
        channel = components.quick_client.conversations_info(channel=channel_id)["channel"]
    except QUICK_ERRORS:
        return True
    return bool(channel.get("is_ext_shared") or channel.get("is_shared"))


def unfurl_links(components: Components, client: WebClient, body: dict[str, Any]) -> None:
    """link_shared: each of the event's case links, unfurled into its summary. Links in the
    composer are left: nothing says in which channel the message will go."""
    event = body.get("event") or {}
    base = components.settings.public_base_url
    channel = str(event.get("channel") or "")
    if event.get("source") == "composer" or channel == "COMPOSER":
        return
    numbers = {}
    for link in (event.get("links") or [])[:MAX_LINKS]:
        url = str(link.get("url") or "")
        number = case_number_in_link(url, base)
        if number is not None:
            numbers[url] = number
    if not numbers or seen_by_outsiders(components, body, channel):
        return
    with Session(components.engine) as session:
        cases = {
            c.id: c for c in session.exec(select(Escalation).where(col(Escalation.id).in_(numbers.values())))
        }
    with speaking(components.settings.default_locale):
        unfurls = {
            url: {"blocks": summary(cases[n], channel).blocks} for url, n in numbers.items() if n in cases
        }
    if not unfurls:
        return
    try:
        client.chat_unfurl(
            channel=channel,
            ts=str(event.get("message_ts") or ""),
            unfurls=unfurls,
        )
    except SLACK_ERRORS as exc:  # a message deleted meanwhile: nothing to show it under
        logger.warning("case links: not unfurled (%s)", error_code(exc))


def answer_references(components: Components, client: WebClient, body: dict[str, Any]) -> None:
    """A person's message in a channel the app is in: the cases it names, summarised in its thread."""
    event = body.get("event") or {}
    refs = references_in(str(event.get("text") or ""))
    if not refs:
        return
    channel = str(event["channel"])
    cases = cases_referenced(components.engine, refs, channel)
    if not cases or seen_by_outsiders(components, body, channel):
        return
    with speaking(components.settings.default_locale):
        messages = [summary(c, channel) for c in cases]
    blocks = [block for m in messages for block in m.blocks]
    try:
        client.chat_postMessage(
            channel=channel,
            thread_ts=str(event.get("thread_ts") or event["ts"]),
            text=" · ".join(m.text for m in messages),
            blocks=blocks,
            unfurl_links=False,
        )
    except SLACK_ERRORS as exc:
        logger.warning("case links: the summary was not posted (%s)", error_code(exc))


def register(app: Any, components: Components) -> None:
    @app.event("link_shared")
    def handle_link_shared(body: dict[str, Any], client: WebClient) -> None:
        unfurl_links(components, client, body)

"""Ask it: a DM to the app, or @Escalations anywhere, answered from the database with the same
visibility as everywhere else. Orders ("acknowledge ESC-42", "reassign to @Mona") are never carried
out from chat: the answer is the flow's button, so its form, rules and permissions apply."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from time import monotonic
from typing import Any
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from slack_sdk import WebClient
from sqlmodel import Session, col, select

from assistant.components import Components
from assistant.content.conversation import phrasebooks
from assistant.content.i18n import N_, _, speaking
from assistant.database import session_scope
from assistant.domain.communications import zone
from assistant.domain.conversation import Intent, Understood, moment_said, understand
from assistant.domain.slack_text import decode_slack_text
from assistant.domain.status import Status
from assistant.domain.visibility import can_see_details
from assistant.listeners.case_links import answer_references
from assistant.listeners.commands import LIST_ROWS, case_list_message, case_status_message
from assistant.models import Escalation, PersonalReminder, utcnow
from assistant.rendering.escape import escape_mrkdwn, mention, slack_date
from assistant.rendering.render import Message, render_message
from assistant.services.cases import OPEN_STATUSES, case_numbered, open_cases, promised_by
from assistant.services.lifecycle import case_in_channel
from assistant.slack.client import SLACK_ERRORS, error_code
from assistant.slack.people import zone_of

logger = logging.getLogger(__name__)

_BOT_MENTION = re.compile(r"^\s*<@[UW][A-Z0-9]+>\s*")
# Personal reminders are for the next days, not a calendar.
MAX_REMINDER_AHEAD = timedelta(days=30)


class ChatAction(StrEnum):
    REMIND_ME = "assistant_remind_me"


# What each order opens (flows/<flow>.yml): its form is the confirmation.
ORDER_FLOWS = {
    Intent.ACKNOWLEDGE: "acknowledge",
    Intent.NEXT_UPDATE: "post_update",
    Intent.REASSIGN: "reassign",
}
ORDER_WORDS = {
    Intent.ACKNOWLEDGE: N_("assistant_chat.open_acknowledge"),
    Intent.NEXT_UPDATE: N_("assistant_chat.open_update"),
    Intent.REASSIGN: N_("assistant_chat.open_reassign"),
}
EXAMPLES = (
    N_("assistant_chat.example_status"),
    N_("assistant_chat.example_account"),
    N_("assistant_chat.example_due"),
    N_("assistant_chat.example_mine"),
    N_("assistant_chat.example_owner"),
    N_("assistant_chat.example_heard"),
    N_("assistant_chat.example_breached"),
    N_("assistant_chat.example_ack"),
)


def open_account_names(engine: sa.Engine, user_id: str) -> list[str]:
    """The accounts of the open cases `user_id` may see: a private case's account is not even
    recognised for someone outside it (naming it back would say it has a case)."""
    public = _public_names(engine)
    with Session(engine) as session:
        private = session.exec(
            select(
                Escalation.account_name,
                Escalation.owner_id,
                Escalation.reporter_id,
                Escalation.stakeholder_ids,
            ).where(col(Escalation.status).in_(OPEN_STATUSES), col(Escalation.is_private))
        )
        theirs = {
            name for name, owner, reporter, others in private if user_id in (owner, reporter, *(others or []))
        }
    return sorted(public | theirs)


# The open cases' public account names, kept while no case was opened since (a new case's
# account is known at once) and at most this long (a closed case's stops being offered).
PUBLIC_NAMES_SECONDS = 30.0
_public_cache: dict[str, tuple[float, int, frozenset[str]]] = {}


def _public_names(engine: sa.Engine) -> frozenset[str]:
    key = engine.url.render_as_string(hide_password=True)
    with Session(engine) as session:
        newest = session.exec(select(sa.func.max(col(Escalation.id)))).one() or 0
        cached = _public_cache.get(key)
        if cached is not None and cached[1] == newest and monotonic() - cached[0] < PUBLIC_NAMES_SECONDS:
            return cached[2]
        names = frozenset(
            session.exec(
                select(Escalation.account_name)
                .where(col(Escalation.status).in_(OPEN_STATUSES), sa.not_(col(Escalation.is_private)))
                .distinct()
            )
        )
    _public_cache[key] = (monotonic(), newest, names)
    return names


def visible_cases(user_id: str, cases: list[Escalation]) -> list[Escalation]:
    return [
        c
        for c in cases
        if can_see_details(is_private=c.is_private, user_id=user_id, participants=c.participants)
    ]


def reply(text: str, buttons: list[dict[str, str]] | None = None) -> Message:
    return render_message("assistant_reply.json.j2", text=text, buttons=buttons or [])


# Each intent's example, for "not understood": the nearest intents' examples come first.
EXAMPLE_OF = {
    Intent.STATUS: EXAMPLES[0],
    Intent.DUE: EXAMPLES[2],
    Intent.MY_CASES: EXAMPLES[3],
    Intent.OWNER_OF: EXAMPLES[4],
    Intent.LAST_HEARD: EXAMPLES[5],
    Intent.BREACHED: EXAMPLES[6],
    Intent.ACKNOWLEDGE: EXAMPLES[7],
    Intent.NEXT_UPDATE: EXAMPLES[7],
    Intent.REASSIGN: EXAMPLES[7],
}


def help_reply(heard: Understood | None) -> Message:
    """What it can do; for a sentence not understood, the examples nearest what was said first."""
    nearest = [EXAMPLE_OF[i] for i in (heard.nearest if heard else ()) if i in EXAMPLE_OF]
    ordered = list(dict.fromkeys([*nearest, *EXAMPLES]))
    lines = "\n".join(f"• {_(example)}" for example in ordered)
    lead = _("assistant_chat.what_i_can_do") if heard is None else _("assistant_chat.not_understood")
    return reply(f"{lead}\n{lines}\n{_('assistant_chat.orders_open_forms')}")


def order_prefill(components: Components, user_id: str, heard: Understood) -> tuple[dict[str, str], str]:
    """What an order said that its form can start from (the next update's time, the new owner),
    as the button's prefill, and the sentence saying so; the form checks it as anything typed."""
    if heard.intent in (Intent.ACKNOWLEDGE, Intent.NEXT_UPDATE):
        person_zone = zone(zone_of(components.people.cached(user_id)))
        moment = moment_said(heard.time, heard.minutes, person_zone, utcnow())
        if moment is not None:
            return {"next_update": str(int(moment.timestamp()))}, " " + _(
                "assistant_chat.prefilled_time", time=slack_date(moment)
            )
    if heard.intent == Intent.REASSIGN and heard.person:
        return {"new_owner": heard.person}, " " + _(
            "assistant_chat.prefilled_person", person=mention(heard.person)
        )
    return {}, ""


def remind_me_reply(
    components: Components, user_id: str, heard: Understood, case: Escalation | None, said: str
) -> Message:
    """ "Remind me in 30 minutes (about ESC-42)": asked to confirm, with a button; nothing is set
    until it is pressed."""
    person_zone = zone(zone_of(components.people.cached(user_id)))
    moment = moment_said(heard.time, heard.minutes, person_zone, utcnow())
    if moment is None:
        return reply(_("assistant_chat.remind_when"))
    if moment - utcnow() > MAX_REMINDER_AHEAD:
        return reply(_("assistant_chat.remind_too_far"))
    value = urlencode(
        {
            "at": int(moment.timestamp()),
            "case": case.id if case else "",
            "note": decode_slack_text(_BOT_MENTION.sub("", said)).strip()[:300],
        }
    )
    about = _("assistant_chat.remind_about", key=case.key) if case else ""
    return reply(
        _("assistant_chat.remind_confirm", time=slack_date(moment)) + about,
        [
            {
                "action_id": ChatAction.REMIND_ME.value,
                "value": value,
                "label": _("assistant_chat.remind_button"),
            }
        ],
    )


def reply_for(
    components: Components, user_id: str, heard: Understood, here: Escalation | None, said: str = ""
) -> Message:
    engine = components.engine
    case = case_numbered(engine, heard.case) if heard.case is not None else here
    if heard.case is not None and case is None:
        return reply(_("assistant_chat.no_case", number=heard.case))
    intent = heard.intent
    if intent in ORDER_FLOWS:
        if case is None:
            return reply(_("assistant_chat.which_case"))
        if intent == Intent.NEXT_UPDATE and case.status == Status.NEW:
            intent = Intent.ACKNOWLEDGE  # a new case's first promise is its acknowledgement's
        flow = ORDER_FLOWS[intent]
        prefill, said = order_prefill(components, user_id, heard)
        value = str(case.id) + (f"?{urlencode(prefill)}" if prefill else "")
        return reply(
            _(ORDER_WORDS[intent], key=case.key) + said + " " + _("assistant_chat.nothing_until_submit"),
            [{"action_id": f"case_{flow}", "value": value, "label": _("assistant_chat.open_form")}],
        )
    if intent == Intent.REMIND_ME:
        return remind_me_reply(components, user_id, heard, case, said)
    if intent == Intent.STATUS and case is not None:
        return case_status_message(components, case, user_id)
    if intent in (Intent.STATUS, Intent.LAST_HEARD) and heard.account:
        with Session(engine) as session:
            of_account = list(
                session.exec(
                    select(Escalation)
                    .where(Escalation.account_name == heard.account)
                    .order_by(col(Escalation.id).desc())
                    .limit(50)
                )
            )
        shown = visible_cases(user_id, of_account)
        if intent == Intent.STATUS:
            still_open = [c for c in shown if c.status != Status.CLOSED]
            title = _("assistant_chat.account_cases", account=heard.account)[:150]
            return case_list_message(title, still_open, user_id)
        return last_heard(heard.account, shown)
    if intent == Intent.LAST_HEARD and case is not None:
        if not visible_cases(user_id, [case]):
            return reply(_("assistant_chat.restricted", key=case.key))
        return last_heard(case.account_name, [case])
    if intent == Intent.OWNER_OF and case is not None:
        return reply(_("assistant_chat.owned_by", key=case.key, person=mention(case.owner_id)))
    if intent == Intent.MY_CASES:
        cases = open_cases(engine, involving=user_id, limit=LIST_ROWS + 1)
        return case_list_message(_("commands.your_open_escalations"), cases, user_id)
    if intent in (Intent.DUE, Intent.BREACHED):
        # The person's promises; a manager's, every open case's (their team's).
        involving = None if user_id in components.settings.escalation_manager_ids else user_id
        if intent == Intent.BREACHED:
            until, title = utcnow(), _("assistant_chat.breached")
        else:
            person_zone = zone(zone_of(components.people.cached(user_id)))
            days = 7 if heard.period == "week" else 1
            today = datetime.now(person_zone).date()
            until = datetime.combine(today + timedelta(days=days), time(0, 0), person_zone)
            title = _("assistant_chat.due_week") if days == 7 else _("assistant_chat.due_today")
        return case_list_message(
            title, promised_by(engine, involving=involving, until=until, limit=LIST_ROWS + 1), user_id
        )
    if intent in (Intent.STATUS, Intent.OWNER_OF, Intent.LAST_HEARD):
        return reply(_("assistant_chat.which_case"))
    return help_reply(None if intent == Intent.HELP else heard)


def last_heard(account_name: str, cases: list[Escalation]) -> Message:
    account = escape_mrkdwn(account_name, 150)
    heard = [c for c in cases if c.customer_heard_at is not None]
    if not cases:
        return reply(_("assistant_chat.no_visible_cases", account=account))
    if not heard:
        return reply(_("assistant_chat.not_heard_yet", account=account))
    latest = max(heard, key=lambda c: c.customer_heard_at or c.created_at)
    stamp = slack_date(latest.customer_heard_at or latest.created_at, "{date_short_pretty} {time}")
    return reply(_("assistant_chat.last_heard", account=account, time=stamp, key=latest.key))


def understood_reply(
    components: Components, user_id: str, text: str, *, bot_user_id: str = "", here: Escalation | None = None
) -> Message:
    """What the app answers `user_id`, in their language; `here`: the case the conversation is about
    (its channel's, or the one the assistant panel is open beside)."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    locale = components.people.locale(user_id)
    with speaking(locale):
        books = phrasebooks(components.content.custom_dir, locale)
        heard = understand(_BOT_MENTION.sub("", text), books, open_account_names(components.engine, user_id))
        logger.info("assistant: intent %s (score %.0f)", heard.intent.value, heard.score)
        return reply_for(components, user_id, heard, here, text)


def answer(
    components: Components,
    client: WebClient,
    user_id: str,
    text: str,
    channel: str,
    thread_ts: str | None = None,
    *,
    bot_user_id: str = "",
) -> None:
    """Understand `text`, then answer in the same conversation, in the person's language: in a DM
    as a message; in a channel privately (what one person may see is not for the channel)."""
    # A case channel's question is about its case; a DM (no thread) is never a case channel.
    here = case_in_channel(components.engine, channel) if thread_ts is not None else None
    message = understood_reply(components, user_id, text, bot_user_id=bot_user_id, here=here)
    try:
        if thread_ts is None:
            client.chat_postMessage(channel=channel, text=message.text, blocks=message.blocks)
            return
        try:
            client.chat_postEphemeral(
                channel=channel, user=user_id, thread_ts=thread_ts, text=message.text, blocks=message.blocks
            )
        except SLACK_ERRORS as exc:
            if error_code(exc) != "user_not_in_channel":
                raise
            # Mentioned from a channel they are not in (or left): the answer in their DM.
            client.chat_postMessage(channel=user_id, text=message.text, blocks=message.blocks)
    except SLACK_ERRORS as exc:
        logger.warning("assistant: the answer was not posted (%s)", error_code(exc))


def set_personal_reminder(components: Components, user_id: str, asked: dict[str, str]) -> str:
    """Store the reminder the button carries; the sentence saying so (or why not)."""
    raw_at, raw_case = asked.get("at", ""), asked.get("case", "")
    if not raw_at.isdigit():
        return _("assistant_chat.remind_when")
    due = datetime.fromtimestamp(int(raw_at), UTC)
    if due <= utcnow():
        return _("assistant_chat.remind_past")
    case_id = int(raw_case) if raw_case.isdigit() else None
    key = f"{user_id}:{int(due.timestamp())}:{case_id or ''}"
    try:
        with session_scope(components.engine) as session:
            session.add(
                PersonalReminder(
                    user_id=user_id,
                    escalation_id=case_id,
                    note=asked.get("note", ""),
                    due_at=due,
                    request_key=key,
                )
            )
    except sa.exc.IntegrityError:
        pass  # pressed again (or twice at once): the one reminder stands
    return _("assistant_chat.remind_set", time=slack_date(due))


def from_us(components: Components, event: dict[str, Any]) -> bool:
    """A person of our workspace: a customer writing in a Slack Connect channel gets nothing."""
    team = event.get("user_team") or event.get("team")
    return not team or team == components.team_id


def register(app: Any, components: Components) -> None:
    @app.event("message")
    def handle_message(event: dict[str, Any], body: dict[str, Any], client: WebClient, context: Any) -> None:
        """A person's message: in the app's Messages tab (a DM), a question; in a channel the app
        is in, the cases it names get their summary (case_links). Bots, edits and joins: nothing."""
        if event.get("bot_id") or event.get("subtype"):
            return
        if not event.get("user") or not event.get("channel") or not from_us(components, event):
            return
        if event.get("channel_type") in {"channel", "group"}:
            answer_references(components, client, body)
            return
        if event.get("channel_type") != "im":
            return
        answer(
            components, client, str(event["user"]), str(event.get("text") or ""), str(event["channel"]),
            bot_user_id=str(context.get("bot_user_id") or ""),
        )  # fmt: skip

    @app.action(ChatAction.REMIND_ME.value)
    def handle_remind_me(ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        """The confirmation pressed: the personal reminder is set (once, however often pressed)."""
        ack()
        user_id = str(body["user"]["id"])
        asked = dict(parse_qsl(str(action.get("value") or "")))
        with speaking(components.people.locale(user_id)):
            text = set_personal_reminder(components, user_id, asked)
            try:
                client.chat_postMessage(channel=user_id, text=text)
            except SLACK_ERRORS as exc:
                logger.warning("assistant: the reminder's confirmation was not posted (%s)", error_code(exc))

    @app.event("app_mention")
    def handle_mention(event: dict[str, Any], client: WebClient, context: Any) -> None:
        """@Escalations in a channel: answered privately in its thread (in a case channel, about
        that case)."""
        if event.get("bot_id") or not event.get("user") or not event.get("channel"):
            return
        if not from_us(components, event):
            return
        thread = str(event.get("thread_ts") or event.get("ts") or "")
        answer(
            components, client, str(event["user"]), str(event.get("text") or ""), str(event["channel"]),
            thread, bot_user_id=str(context.get("bot_user_id") or ""),
        )  # fmt: skip

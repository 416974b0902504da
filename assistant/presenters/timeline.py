"""The timeline of a case as people read it: one line per event, times in the reader's zone."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from assistant.content.i18n import N_, _
from assistant.content.registry import installed
from assistant.domain.events import EventKind
from assistant.models import CaseEvent
from assistant.rendering.escape import channel_link, escape_mrkdwn, mention, slack_date

EVENT_SENTENCES: dict[EventKind, str] = {
    EventKind.OPENED: N_("opened the case"),
    EventKind.CHANNEL_CREATED: N_("case channel created"),
    EventKind.MEMBERS_INVITED: N_("owner, reporter and stakeholders invited"),
    EventKind.TOPIC_SET: N_("channel topic set"),
    EventKind.PURPOSE_SET: N_("channel purpose set"),
    EventKind.CARD_POSTED: N_("case card posted"),
    EventKind.CARD_PINNED: N_("case card pinned"),
    EventKind.LINKS_BOOKMARKED: N_("links bookmarked"),
    EventKind.OWNER_NOTIFIED: N_("owner asked to acknowledge"),
    EventKind.FEED_ANNOUNCED: N_("announced in the escalations feed"),
    EventKind.REPORTER_ANSWERED: N_("reporter told where the case lives"),
    EventKind.PROVISIONING_STEP_FAILED: N_("a Slack step failed and will be retried"),
    EventKind.CHANNEL_UNARCHIVED: N_("channel unarchived"),
    EventKind.ACKNOWLEDGED: N_("acknowledged the case"),
    EventKind.CLASSIFIED: N_("classified the case"),
    EventKind.UPDATE_POSTED: N_("posted a status update"),
    EventKind.REASSIGNED: N_("reassigned the case"),
    EventKind.RESOLVED: N_("resolved the case"),
    EventKind.RCA_RECORDED: N_("recorded the root-cause analysis"),
    EventKind.CLOSED: N_("closed the case"),
    EventKind.REOPENED: N_("reopened the case"),
    EventKind.SATISFACTION_RECORDED: N_("recorded the customer's satisfaction"),
    EventKind.SATISFACTION_CORRECTED: N_("corrected the customer's satisfaction"),
    EventKind.SLACK_CALL_FAILED: N_("a Slack call failed"),
    EventKind.REMINDER_SENT: N_("reminder sent"),
    EventKind.REMINDER_SNOOZED: N_("snoozed a reminder"),
    EventKind.EXECUTIVE_CONTACT_MADE: N_("recorded the executive contact"),
    EventKind.BREACH: N_("a promise was missed"),
    EventKind.TRIGGER_EFFECTS: N_("the escalation triggers took effect"),
    EventKind.SPONSOR_INVITED: N_("the account's executive sponsor was brought in"),
    EventKind.MANAGERS_TOLD: N_("the escalation managers were told at once"),
    EventKind.ACTION_ITEM_DONE: N_("marked an action item done"),
    EventKind.CONTACTS_ADDED: N_("added customer contacts"),
    EventKind.QUESTIONS_ANSWERED: N_("answered the team's questions"),
    EventKind.NOTE_ADDED: N_("a note came from another system"),
    EventKind.CONNECT_CHANNEL_LINKED: N_("linked the customer's Slack Connect channel"),
    EventKind.ACCOUNTS_AFFECTED: N_("listed other affected accounts"),
    EventKind.ACCOUNT_CSMS_TOLD: N_("the affected accounts' CSMs were told"),
    EventKind.CUSTOMER_COMMUNICATION_QUEUED: N_("a message to the customer was queued"),
    EventKind.CUSTOMER_COMMUNICATION_SENT: N_("the customer heard from us"),
    EventKind.CUSTOMER_DELIVERY_FAILING: N_("a message to the customer could not be delivered yet"),
    EventKind.FOLLOWED: N_("followed the case"),
    EventKind.UNFOLLOWED: N_("stopped following the case"),
}


def _detail(event: CaseEvent) -> str:
    data: dict[str, Any] = event.data or {}
    if event.kind in {"acknowledged", "update_posted", "reopened"} and data.get("next_update_due_at"):
        return " · " + _(
            "next update by %(time)s", time=slack_date(datetime.fromisoformat(data["next_update_due_at"]))
        )
    if event.kind == "reassigned":
        return f" · {mention(data['from'])} → {mention(data['to'])}"
    if event.kind == "classified":
        after = data.get("after") or {}
        return f" · {after.get('category')}, {after.get('kind')}, {after.get('severity')}"
    if event.kind == "satisfaction_recorded":
        return " · " + _("%(score)s of 5", score=data.get("score"))
    if event.kind == "satisfaction_corrected":
        return f" · {data.get('before')} → " + _("%(score)s of 5", score=data.get("score"))
    if event.kind == "channel_created" and data.get("name"):
        return f" · #{data['name']}"
    if event.kind in {"reminder_sent", "breach"}:
        return f" · {str(data.get('reminder', '')).replace('_', ' ')}" + (
            " " + _("(late)") if data.get("late") else ""
        )
    if event.kind == "customer_communication_sent":
        recipients = escape_mrkdwn(", ".join(data.get("recipients") or []), 300)
        how = {
            "email": _("by e-mail to %(recipients)s", recipients=recipients),
            "slack_connect": _("in their Slack Connect channel"),
        }.get(str(data.get("route")), _("sent by the person themselves"))
        return f" · {how}" + (" " + _("(delivered late by us)") if data.get("late_by_us") else "")
    if event.kind == "customer_delivery_failing":
        return f" · {escape_mrkdwn(str(data.get('error') or ''), 200)}"
    if event.kind in {"provisioning_step_failed", "slack_call_failed"}:
        return f" · {data.get('step') or data.get('what')}: {data.get('error')}"
    return ""


def timeline_lines(events: list[CaseEvent]) -> list[str]:
    lines = []
    for event in events:
        who = mention(event.actor_id) + " " if event.actor_id else ""
        # An event of a kind this version does not know (a newer one wrote it): its name will do.
        known = event.kind in EventKind._value2member_map_
        sentence = _(EVENT_SENTENCES[EventKind(event.kind)]) if known else event.kind.replace("_", " ")
        lines.append(f"{slack_date(event.at, '{date_short} {time}')} · {who}{sentence}{_detail(event)}")
        lines += _team_answers(event)
    return lines


SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
SLACK_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,}$")


def _team_answers(event: CaseEvent) -> list[str]:
    """The answers to a team's own questions (its flows' files), each under its label."""
    data: dict[str, Any] = event.data or {}
    answers: dict[str, Any] = data.get("team_answers") or {}
    flows = installed().flows
    fields = flows[data["flow"]].fields if data.get("flow") in flows.flows else {}
    lines = []
    for question, value in answers.items():
        entry = fields.get(question)
        label = _(entry.label) if entry else question
        lines.append(f"        {escape_mrkdwn(label, 150)}: {_answer(entry.type if entry else None, value)}")
    return lines


def _answer(kind: str | None, value: Any) -> str:
    """An answer as its question's type shows it; one the type no longer fits (a team changed
    the question) as the text it was, on one line."""
    text = " ".join(str(value).split())
    if kind == "user" and SLACK_USER.match(text):
        return mention(text)
    if kind == "channel" and SLACK_CHANNEL.match(text):
        return channel_link(text)
    if kind == "time":
        try:
            return slack_date(datetime.fromisoformat(text))
        except ValueError:
            pass
    return escape_mrkdwn(text, 500)


def chunk(lines: list[str], size: int = 2800, most: int = 40) -> tuple[list[str], int]:
    """Lines packed into section texts within Slack's limits; the oldest are left out first."""
    sections: list[str] = []
    current = ""
    kept = 0
    for line in reversed(lines):
        if len(current) + len(line) + 1 > size:
            sections.append(current)
            current = ""
            if len(sections) >= most:
                break
        current = line + ("\n" + current if current else "")
        kept += 1
    if current and len(sections) < most:
        sections.append(current)
    return list(reversed(sections)), len(lines) - kept

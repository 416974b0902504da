"""The timeline of a case as people read it: one line per event, times in the reader's zone."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from assistant.content.i18n import N_, _
from assistant.content.registry import installed
from assistant.domain.events import EventKind
from assistant.domain.reminders import PROMISE_NAMES, ReminderKind
from assistant.models import CaseEvent
from assistant.rendering.escape import channel_link, escape_mrkdwn, mention, slack_date

EVENT_SENTENCES: dict[EventKind, str] = {
    EventKind.OPENED: N_("timeline.opened_case"),
    EventKind.CHANNEL_CREATED: N_("timeline.case_channel_created"),
    EventKind.MEMBERS_INVITED: N_("timeline.owner_reporter_stakeholders_invited"),
    EventKind.TOPIC_SET: N_("timeline.channel_topic_set"),
    EventKind.PURPOSE_SET: N_("timeline.channel_purpose_set"),
    EventKind.CARD_POSTED: N_("timeline.case_card_posted"),
    EventKind.CARD_PINNED: N_("timeline.case_card_pinned"),
    EventKind.LINKS_BOOKMARKED: N_("timeline.links_bookmarked"),
    EventKind.CANVAS_CREATED: N_("timeline.case_canvas_created"),
    EventKind.OWNER_NOTIFIED: N_("timeline.owner_asked_acknowledge"),
    EventKind.FEED_ANNOUNCED: N_("timeline.announced_escalations_feed"),
    EventKind.REPORTER_ANSWERED: N_("timeline.reporter_told_where_case_lives"),
    EventKind.PROVISIONING_STEP_FAILED: N_("timeline.slack_step_failed_will_retried"),
    EventKind.CHANNEL_UNARCHIVED: N_("timeline.channel_unarchived"),
    EventKind.ACKNOWLEDGED: N_("timeline.acknowledged_case"),
    EventKind.CLASSIFIED: N_("timeline.classified_case"),
    EventKind.UPDATE_POSTED: N_("timeline.posted_status_update"),
    EventKind.REASSIGNED: N_("timeline.reassigned_case"),
    EventKind.RESOLVED: N_("timeline.resolved_case"),
    EventKind.RCA_RECORDED: N_("timeline.recorded_root_cause_analysis"),
    EventKind.CLOSED: N_("timeline.closed_case"),
    EventKind.REOPENED: N_("timeline.reopened_case"),
    EventKind.SATISFACTION_RECORDED: N_("timeline.recorded_customer_satisfaction"),
    EventKind.SATISFACTION_CORRECTED: N_("timeline.corrected_customer_satisfaction"),
    EventKind.SLACK_CALL_FAILED: N_("timeline.slack_call_failed"),
    EventKind.REMINDER_SENT: N_("timeline.reminder_sent"),
    EventKind.REMINDER_SNOOZED: N_("timeline.snoozed_reminder"),
    EventKind.EXECUTIVE_CONTACT_MADE: N_("timeline.recorded_executive_contact"),
    EventKind.EXECUTIVE_CONTACT_CANCELLED: N_("timeline.executive_contact_not_needed"),
    EventKind.CUSTOMER_CONFIRMED: N_("timeline.customer_confirmed_service_back"),
    EventKind.TASK_FORCE_CALLED: N_("timeline.called_task_force"),
    EventKind.TASK_FORCE_STOOD_DOWN: N_("timeline.task_force_stood_down"),
    EventKind.BREACH: N_("timeline.promise_missed"),
    EventKind.TRIGGER_EFFECTS: N_("timeline.escalation_triggers_took_effect"),
    EventKind.SPONSOR_INVITED: N_("timeline.account_executive_sponsor_brought"),
    EventKind.MANAGERS_TOLD: N_("timeline.escalation_managers_were_told_at"),
    EventKind.ACTION_ITEM_DONE: N_("timeline.marked_action_item_done"),
    EventKind.PLAN_STEP_ADDED: N_("timeline.added_step_to_action_plan"),
    EventKind.PLAN_STEP_CHANGED: N_("timeline.changed_step_of_action_plan"),
    EventKind.PLAN_STEP_REMOVED: N_("timeline.took_step_off_action_plan"),
    EventKind.CONCESSION_REQUESTED: N_("timeline.asked_for_concession"),
    EventKind.MESSAGE_MARKED: N_("timeline.added_message_to_timeline"),
    EventKind.MESSAGE_UNMARKED: N_("timeline.took_message_off_timeline"),
    EventKind.APPROVAL_REQUESTED: N_("timeline.asked_approval_customer_rca"),
    EventKind.APPROVAL_DECIDED: N_("timeline.decided_approval"),
    EventKind.CONTACTS_ADDED: N_("timeline.added_customer_contacts"),
    EventKind.QUESTIONS_ANSWERED: N_("timeline.answered_team_questions"),
    EventKind.NOTE_ADDED: N_("timeline.note_came_from_another_system"),
    EventKind.CONNECT_CHANNEL_LINKED: N_("timeline.linked_customer_slack_connect"),
    EventKind.ACCOUNTS_AFFECTED: N_("timeline.listed_other_affected_accounts"),
    EventKind.ACCOUNT_CSMS_TOLD: N_("timeline.affected_accounts_csms_were_told"),
    EventKind.ACCOUNTS_REMOVED: N_("timeline.took_accounts_off_case"),
    EventKind.CUSTOMER_COMMUNICATION_QUEUED: N_("timeline.message_customer_queued"),
    EventKind.CUSTOMER_COMMUNICATION_SENT: N_("timeline.customer_heard_from_us"),
    EventKind.CUSTOMER_DELIVERY_FAILING: N_("timeline.message_customer_could_not_delivered"),
    EventKind.FOLLOWED: N_("timeline.followed_case"),
    EventKind.UNFOLLOWED: N_("timeline.stopped_following_case"),
}


def _detail(event: CaseEvent) -> str:
    data: dict[str, Any] = event.data or {}
    if event.kind in {"acknowledged", "update_posted", "reopened"} and data.get("next_update_due_at"):
        return " · " + _(
            "timeline.next_update_time", time=slack_date(datetime.fromisoformat(data["next_update_due_at"]))
        )
    if event.kind == "reassigned":
        return f" · {mention(data['from'])} → {mention(data['to'])}"
    if event.kind == "classified":
        return " · " + classification_words(data.get("after") or {})
    if event.kind == "satisfaction_recorded":
        return " · " + _("timeline.score_5", score=data.get("score"))
    if event.kind == "satisfaction_corrected":
        return f" · {data.get('before')} → " + _("timeline.score_5", score=data.get("score"))
    if event.kind == "channel_created" and data.get("name"):
        return f" · #{data['name']}"
    if event.kind in {"reminder_sent", "breach"}:
        kind = str(data.get("reminder", ""))
        known = kind in ReminderKind._value2member_map_
        promise = _(PROMISE_NAMES[ReminderKind(kind)]) if known else kind.replace("_", " ")
        return f" · {promise}" + (" " + _("timeline.late") if data.get("late") else "")
    if event.kind == "customer_communication_sent":
        recipients = escape_mrkdwn(", ".join(data.get("recipients") or []), 300)
        how = {
            "email": _("timeline.e_mail_recipients", recipients=recipients),
            "slack_connect": _("timeline.their_slack_connect_channel"),
        }.get(str(data.get("route")), _("timeline.sent_person_themselves"))
        return f" · {how}" + (" " + _("timeline.delivered_late_us") if data.get("late_by_us") else "")
    if event.kind in {"accounts_affected", "accounts_removed"} and data.get("accounts"):
        return " · " + escape_mrkdwn(", ".join(map(str, data["accounts"])), 300)
    if event.kind == "message_marked":
        link = f" <{data['permalink']}>" if data.get("permalink") else ""
        said = escape_mrkdwn(str(data.get("text") or ""), 300)
        author = str(data.get("author") or "")
        who = mention(author) + ": " if SLACK_USER.match(author) else ""
        return f" · {who}{said}{link}"
    if event.kind == "concession_requested":
        money = f" ({data.get('currency')} {data['amount']})" if data.get("amount") is not None else ""
        waits = " · " + _("timeline.waiting_for_approval") if data.get("approval_id") else ""
        return " · " + escape_mrkdwn(str(data.get("value") or ""), 300) + money + waits
    if event.kind == "approval_decided":
        verdict = _("timeline.approved") if data.get("approved") else _("timeline.rejected")
        return f" · {verdict}" + (
            " · " + escape_mrkdwn(str(data["reason"]), 300) if data.get("reason") else ""
        )
    if event.kind.startswith("plan_step_"):
        return plan_step_detail(data)
    if event.kind == "executive_contact_cancelled" and data.get("reason"):
        return " · " + escape_mrkdwn(str(data["reason"]), 300)
    if event.kind == "customer_delivery_failing":
        return f" · {escape_mrkdwn(str(data.get('error') or ''), 200)}"
    if event.kind in {"provisioning_step_failed", "slack_call_failed"}:
        return f" · {data.get('step') or data.get('what')}: {data.get('error')}"
    return ""


def plan_step_detail(data: dict[str, Any]) -> str:
    """A step as the timeline says it: its text, and who and when (what changed, from and to)."""
    text = data.get("text")
    before = f"{escape_mrkdwn(str(text['from']), 150)} → " if isinstance(text, dict) else ""
    detail = " · " + before + escape_mrkdwn(str(data.get("description") or ""), 300)
    owner, due = data.get("owner"), data.get("due")
    if isinstance(owner, dict):
        detail += f" · {mention(owner['from'])} → {mention(owner['to'])}"
    elif owner:
        detail += f" · {mention(str(owner))}"
    if isinstance(due, dict):
        before, after = (slack_date(datetime.fromisoformat(due[end])) for end in ("from", "to"))
        detail += " · " + _("timeline.due_time", time=f"{before} → {after}")
    elif due:
        detail += " · " + _("timeline.due_time", time=slack_date(datetime.fromisoformat(str(due))))
    if data.get("why"):
        detail += " · " + escape_mrkdwn(str(data["why"]), 300)
    return detail


def classification_words(classified: dict[str, Any]) -> str:
    """A classification as the reader says it ("Business, Hierarchical, High"), not its stored ids;
    an id this version's practice does not know (a team removed it since) is shown as stored."""
    practice = installed().practice
    words = []
    for part, label in (
        ("category", practice.category_label),
        ("kind", practice.kind_label),
        ("severity", practice.severity_label),
    ):
        value = classified.get(part)
        if value:
            try:
                words.append(_(label(str(value))))
            except (KeyError, ValueError):
                words.append(str(value))
    return ", ".join(words)


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

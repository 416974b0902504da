"""The timeline of a case as people read it: one line per event, times in the reader's zone."""

from __future__ import annotations

from typing import Any

from assistant.domain.events import EventKind
from assistant.messages.escape import mention, slack_date
from assistant.models import CaseEvent

EVENT_SENTENCES: dict[EventKind, str] = {
    EventKind.OPENED: "opened the case",
    EventKind.CHANNEL_CREATED: "case channel created",
    EventKind.MEMBERS_INVITED: "owner, reporter and stakeholders invited",
    EventKind.TOPIC_SET: "channel topic set",
    EventKind.PURPOSE_SET: "channel purpose set",
    EventKind.CARD_POSTED: "case card posted",
    EventKind.CARD_PINNED: "case card pinned",
    EventKind.LINKS_BOOKMARKED: "links bookmarked",
    EventKind.OWNER_NOTIFIED: "owner asked to acknowledge",
    EventKind.FEED_ANNOUNCED: "announced in the escalations feed",
    EventKind.REPORTER_ANSWERED: "reporter told where the case lives",
    EventKind.PROVISIONING_STEP_FAILED: "a Slack step failed and will be retried",
    EventKind.CHANNEL_UNARCHIVED: "channel unarchived",
    EventKind.ACKNOWLEDGED: "acknowledged the case",
    EventKind.CLASSIFIED: "classified the case",
    EventKind.UPDATE_POSTED: "posted a status update",
    EventKind.REASSIGNED: "reassigned the case",
    EventKind.RESOLVED: "resolved the case",
    EventKind.RCA_RECORDED: "recorded the root-cause analysis",
    EventKind.CLOSED: "closed the case",
    EventKind.REOPENED: "reopened the case",
    EventKind.SATISFACTION_RECORDED: "recorded the customer's satisfaction",
    EventKind.SATISFACTION_CORRECTED: "corrected the customer's satisfaction",
    EventKind.SLACK_CALL_FAILED: "a Slack call failed",
    EventKind.REMINDER_SENT: "reminder sent",
    EventKind.REMINDER_SNOOZED: "snoozed a reminder",
    EventKind.EXECUTIVE_CONTACT_MADE: "recorded the executive contact",
    EventKind.BREACH: "a promise was missed",
    EventKind.TRIGGER_EFFECTS: "the escalation triggers took effect",
    EventKind.SPONSOR_INVITED: "the account's executive sponsor was brought in",
    EventKind.MANAGERS_TOLD: "the escalation managers were told at once",
    EventKind.ACTION_ITEM_DONE: "marked an action item done",
    EventKind.FOLLOWED: "followed the case",
    EventKind.UNFOLLOWED: "stopped following the case",
}


def _detail(event: CaseEvent) -> str:
    data: dict[str, Any] = event.data or {}
    if event.kind in {"acknowledged", "update_posted", "reopened"} and data.get("next_update_due_at"):
        from datetime import datetime

        return " · next update by " + slack_date(datetime.fromisoformat(data["next_update_due_at"]))
    if event.kind == "reassigned":
        return f" · {mention(data['from'])} → {mention(data['to'])}"
    if event.kind == "classified":
        after = data.get("after") or {}
        return f" · {after.get('category')}, {after.get('kind')}, {after.get('severity')}"
    if event.kind == "satisfaction_recorded":
        return f" · {data.get('score')} of 5"
    if event.kind == "satisfaction_corrected":
        return f" · {data.get('before')} → {data.get('score')} of 5"
    if event.kind == "channel_created" and data.get("name"):
        return f" · #{data['name']}"
    if event.kind in {"reminder_sent", "breach"}:
        return f" · {str(data.get('reminder', '')).replace('_', ' ')}" + (
            " (late)" if data.get("late") else ""
        )
    if event.kind in {"provisioning_step_failed", "slack_call_failed"}:
        return f" · {data.get('step') or data.get('what')}: {data.get('error')}"
    return ""


def timeline_lines(events: list[CaseEvent]) -> list[str]:
    lines = []
    for event in events:
        who = mention(event.actor_id) + " " if event.actor_id else ""
        # An event of a kind this version does not know (a newer one wrote it): its name will do.
        known = event.kind in EventKind._value2member_map_
        sentence = EVENT_SENTENCES[EventKind(event.kind)] if known else event.kind.replace("_", " ")
        lines.append(f"{slack_date(event.at, '{date_short} {time}')} · {who}{sentence}{_detail(event)}")
    return lines


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

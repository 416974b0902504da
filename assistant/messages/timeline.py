"""The timeline of a case as people read it: one line per event, times in the reader's zone."""

from __future__ import annotations

from typing import Any

from assistant.messages.escape import mention, slack_date
from assistant.models import CaseEvent

EVENT_SENTENCES: dict[str, str] = {
    "opened": "opened the case",
    "channel_created": "case channel created",
    "members_invited": "owner, reporter and stakeholders invited",
    "topic_set": "channel topic set",
    "purpose_set": "channel purpose set",
    "card_posted": "case card posted",
    "card_pinned": "case card pinned",
    "links_bookmarked": "links bookmarked",
    "owner_notified": "owner asked to acknowledge",
    "feed_announced": "announced in the escalations feed",
    "reporter_answered": "reporter told where the case lives",
    "provisioning_step_failed": "a Slack step failed and will be retried",
    "channel_unarchived": "channel unarchived",
    "acknowledged": "acknowledged the case",
    "classified": "classified the case",
    "update_posted": "posted a status update",
    "reassigned": "reassigned the case",
    "resolved": "resolved the case",
    "rca_recorded": "recorded the root-cause analysis",
    "closed": "closed the case",
    "reopened": "reopened the case",
    "satisfaction_recorded": "recorded the customer's satisfaction",
    "satisfaction_corrected": "corrected the customer's satisfaction",
    "slack_call_failed": "a Slack call failed",
    "reminder_sent": "reminder sent",
    "reminder_snoozed": "snoozed a reminder",
    "executive_contact_made": "recorded the executive contact",
    "breach": "a promise was missed",
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
        sentence = EVENT_SENTENCES.get(event.kind, event.kind.replace("_", " "))
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

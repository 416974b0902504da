"""What templates know about a case: labels from the practice, user text wrapped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from babel.dates import format_datetime

from assistant.content.i18n import N_, _, current_locale
from assistant.content.registry import installed
from assistant.domain.intake import LINK_LABELS, LinkKind, custom_answer_lines
from assistant.domain.money import format_money
from assistant.domain.portfolio import next_promise
from assistant.domain.practice import Practice
from assistant.domain.status import STATUS_LABELS, Status
from assistant.domain.triggers import groups_to_invite, trigger_effects
from assistant.models import Escalation, utcnow
from assistant.presenters.case_buttons import action_ids, buttons_from, card_actions
from assistant.rendering.escape import UserText
from assistant.services.action_items import PlanSummary


def format_duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if rest == 0:
        return _("case_context.hours", num=hours)
    return _("case_context.minutes", num=minutes)


def channel_url(team_id: str | None, channel_id: str) -> str:
    """A link that opens the channel in Slack's app or browser."""
    team = f"&team={team_id}" if team_id else ""
    return f"https://slack.com/app_redirect?channel={channel_id}{team}"


def next_due(case: Escalation, now: datetime | None = None) -> dict[str, Any] | None:
    """The next promise of a case, as the card, the topic and the Home tab show it; `overdue`
    (the word, in the reader's language) once its time has passed: the promise was missed."""
    promise = case_promise(case)
    if promise is None:
        return None
    overdue = promise[1] <= (now or utcnow())
    return {"label": _(promise[0]), "at": promise[1], "overdue": _("case_context.overdue") if overdue else ""}


def exec_contact(case: Escalation, now: datetime | None = None) -> dict[str, Any] | None:
    """A business case's promise that an executive contacts the customer within 24 hours, as the
    card shows it: made (when), owed (by when; `overdue` once past), or cancelled with a reason at
    resolution (neither made nor owed)."""
    if case.exec_contact_due_at is None:
        return None
    done = case.exec_contact_done_at
    owed = done is None and case.status in (Status.NEW, Status.ACKNOWLEDGED)
    late = owed and case.exec_contact_due_at <= (now or utcnow())
    return {
        "due_at": case.exec_contact_due_at,
        "done_at": done,
        "owed": owed,
        "overdue": _("case_context.overdue") if late else "",
    }


def case_promise(case: Escalation) -> tuple[str, datetime] | None:
    return next_promise(
        case.status,
        ack_due_at=case.ack_due_at,
        next_update_due_at=case.next_update_due_at,
        rca_due_at=case.rca_due_at,
    )


def first_contact(case: Escalation, now: datetime | None = None) -> dict[str, Any] | None:
    """Stage 2's promise that the customer hears from us within the first hour, as the card shows
    it until they have: by when (`overdue` once past). Once they have, the card's facts say when."""
    due = case.first_contact_due_at
    if due is None or case.customer_heard_at is not None or case.customer_told_at is not None:
        return None
    if case.status not in (Status.NEW, Status.ACKNOWLEDGED):
        return None
    return {"due_at": due, "overdue": _("case_context.overdue") if due <= (now or utcnow()) else ""}


def plan_context(plan: PlanSummary | None, now: datetime | None = None) -> dict[str, Any] | None:
    """The action plan as the card shows it: how far along, and its next step (`overdue` once
    past its time) with the Done button's item id."""
    if plan is None:
        return None
    step = plan.next_step
    return {
        "done": plan.done,
        "total": plan.total,
        "next": step
        and {
            "id": step.id,
            "description": UserText(step.description),
            "owner_id": step.owner_id,
            "due_at": step.due_at,
            "overdue": _("case_context.overdue") if step.due_at and step.due_at <= (now or utcnow()) else "",
        },
    }


def guidance_words(practice: Practice) -> dict[str, str]:
    """The practice's guidance in the reader's language (the playbook's sentences, through the
    catalogs): shown wherever someone is about to escalate (intake modal, help, Home tab)."""
    return {name: _(text) for name, text in practice.guidance.items()}


def case_context(case: Escalation) -> dict[str, Any]:
    # Rendered without components at hand: the practice and questions of the content in effect.
    content = installed()
    practice = content.practice
    playbook = practice.playbook(case.category)
    severity_label = _(practice.severity_label(case.severity))
    effects = trigger_effects(practice, case.triggers, case.severity)
    suggested = effects.suggested_category
    # Suggested until the owner classifies the case (then the owner's choice stands).
    show_suggestion = suggested is not None and suggested != case.category and case.kind is None
    book = installed().flows
    return {
        "id": case.id,
        "key": case.key,
        "value": str(case.id),
        "account": UserText(case.account_name),
        "summary": UserText(case.summary),
        "description": UserText(case.description),
        "acv": format_money(case.account_value, case.account_currency, current_locale()),
        "category": {
            "label": _(playbook.label),
            "expected": _(playbook.expected_response),
            "resolver": _(playbook.resolution_owner),
        },
        "severity": severity_label,
        "triggers": [_(practice.trigger_label(t)) for t in case.triggers],
        "services": [_(label) for label in practice.service_labels(case.affected_services or [])],
        "tags": [_(label) for label in practice.tag_labels(case.tags or [])],
        "trigger_notes": [_(note) for note in effects.notes],
        "groups": [f"@{handle}" for handle in groups_to_invite(practice, case.category, effects)],
        "private_because": [practice.trigger_label(t) for t in case.triggers if practice.is_sensitive([t])],
        "suggested_category": (
            _(practice.category_label(suggested)) if show_suggestion and suggested else None
        ),
        "owner_id": case.owner_id,
        "reporter_id": case.reporter_id,
        "stakeholder_ids": list(case.stakeholder_ids),
        "links": [
            {"label": _(LINK_LABELS[LinkKind(kind)]), "url": UserText(url)} for kind, url in case.links
        ],
        "status": _(STATUS_LABELS[case.status]),
        "is_private": case.is_private,
        "created_at": case.created_at,
        "channel_id": case.channel_id,
        "channel_url": channel_url(case.team_id, case.channel_id) if case.channel_id else None,
        "next_due": next_due(case),
        "exec_contact": exec_contact(case),
        "first_contact": first_contact(case),
        "acknowledged_by": case.acknowledged_by,
        "acknowledged_at": case.acknowledged_at,
        "resolved_at": case.resolved_at,
        "resolution": UserText(case.resolution_summary),
        "customer_confirmed": bool(case.customer_confirmed),
        "task_force_at": case.task_force_at,
        "kind": _(practice.kind_label(case.kind)) if case.kind else None,
        "resolving_team": UserText(case.resolving_team),
        "actions": action_ids(installed().flows),
        "card_actions": card_actions(book, case.status),
        # The owner's DM: the flows it opens that fit the case now (acknowledge, while new); past
        # that (a DM sent late), the card's first button: every state has one.
        "owner_buttons": buttons_from(book, case.status, "owner_dm")
        or card_actions(book, case.status)["buttons"][:1],
        "promises": {
            "made": case.promises_made,
            "kept": case.promises_kept,
            "late": case.promises_delivered_late,
        },
        "heard_at": case.customer_heard_at,
        "satisfaction": case.satisfaction_score,
        # The team's own intake questions, answered (flows/intake.yml).
        "custom": [
            {"label": _(label), "value": UserText(value)}
            for label, value in custom_answer_lines(content.questions, case.custom_fields or {})
        ],
    }


# The status as the channel topic shouts it.
TOPIC_STATUS = {
    Status.NEW: N_("case_context.new"),
    Status.ACKNOWLEDGED: N_("case_context.acknowledged"),
    Status.RESOLVED: N_("case_context.resolved"),
    Status.CLOSED: N_("case_context.closed"),
}


def topic(case: Escalation, owner_name: str) -> str:
    """Channel topic: status · severity · owner · what is due (topics show no user-local times),
    in the channel's language."""
    parts = [
        _(TOPIC_STATUS[case.status]),
        _("case_context.severity_severity", severity=_(installed().practice.severity_label(case.severity))),
        _("case_context.owner_name", name=owner_name),
    ]
    due = next_due(case)
    if due:
        when = format_datetime(due["at"], "EEE HH:mm", tzinfo=UTC, locale=current_locale())
        parts.append(f"{due['label']} {when} UTC")
        if due["overdue"]:
            parts.append(due["overdue"])
    return " · ".join(parts)


def message_permalink(
    domain: str | None, channel_id: str | None, ts: str | None, thread_ts: str | None = None
) -> str | None:
    """Slack's permalink for a message, built without a chat.getPermalink round trip."""
    if not (domain and channel_id and ts):
        return None
    link = f"https://{domain}.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        link += f"?thread_ts={thread_ts}&cid={channel_id}"
    return link

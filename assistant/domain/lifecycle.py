"""The life of a case: which action fits which status, and who may take it.

new → acknowledged → resolved → closed; reopen goes back to acknowledged.
Both tables are plain data, so the rules read in one place and test without Slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from assistant.domain.practice import PLAYBOOKS, SEVERITY_ACK_MINUTES, TRIGGER_EFFECTS, Category, Trigger
from assistant.domain.status import Status
from assistant.i18n import N_, _, ngettext


class Action(StrEnum):
    ACKNOWLEDGE = "ack"
    CLASSIFY = "classify"
    POST_UPDATE = "update"
    REASSIGN = "reassign"
    RESOLVE = "resolve"
    RCA = "rca"
    CLOSE = "close"
    REOPEN = "reopen"
    TIMELINE = "timeline"
    CONTACTS = "contacts"
    ACCOUNTS = "accounts"


ACTION_NAMES: dict[Action, str] = {
    Action.ACKNOWLEDGE: N_("acknowledge"),
    Action.CLASSIFY: N_("classify"),
    Action.POST_UPDATE: N_("post an update on"),
    Action.REASSIGN: N_("reassign"),
    Action.RESOLVE: N_("resolve"),
    Action.RCA: N_("write the root-cause analysis of"),
    Action.CLOSE: N_("close"),
    Action.REOPEN: N_("reopen"),
    Action.TIMELINE: N_("see the timeline of"),
    Action.CONTACTS: N_("add customer contacts to"),
    Action.ACCOUNTS: N_("add affected accounts to"),
}

# Which actions each status allows.
ALLOWED: dict[Status, frozenset[Action]] = {
    Status.NEW: frozenset(
        {
            Action.ACKNOWLEDGE,
            Action.CLASSIFY,
            Action.REASSIGN,
            Action.TIMELINE,
            Action.CONTACTS,
            Action.ACCOUNTS,
        }
    ),
    Status.ACKNOWLEDGED: frozenset(
        {
            Action.CLASSIFY,
            Action.POST_UPDATE,
            Action.REASSIGN,
            Action.RESOLVE,
            Action.TIMELINE,
            Action.CONTACTS,
            Action.ACCOUNTS,
        }
    ),
    Status.RESOLVED: frozenset(
        {
            Action.CLASSIFY,
            Action.RCA,
            Action.CLOSE,
            Action.REOPEN,
            Action.TIMELINE,
            Action.CONTACTS,
            Action.ACCOUNTS,
        }
    ),
    Status.CLOSED: frozenset({Action.REOPEN, Action.TIMELINE}),
}

# What an action does to the status.
TRANSITIONS: dict[Action, Status] = {
    Action.ACKNOWLEDGE: Status.ACKNOWLEDGED,
    Action.RESOLVE: Status.RESOLVED,
    Action.CLOSE: Status.CLOSED,
    Action.REOPEN: Status.ACKNOWLEDGED,
}

# Why an action does not fit a status, and what to do instead.
_INSTEAD: dict[tuple[Status, Action], str] = {
    (Status.NEW, Action.POST_UPDATE): N_(
        "Acknowledge it first: the acknowledgement makes the first promise."
    ),
    (Status.NEW, Action.RESOLVE): N_("Acknowledge it first, then resolve it."),
    (Status.NEW, Action.RCA): N_("Resolve it first; the root-cause analysis comes after."),
    (Status.NEW, Action.CLOSE): N_("Acknowledge and resolve it first."),
    (Status.NEW, Action.REOPEN): N_("It is open already."),
    (Status.ACKNOWLEDGED, Action.ACKNOWLEDGE): N_("Post an update instead."),
    (Status.ACKNOWLEDGED, Action.RCA): N_("Resolve it first; the root-cause analysis comes after."),
    (Status.ACKNOWLEDGED, Action.CLOSE): N_("Resolve it first."),
    (Status.ACKNOWLEDGED, Action.REOPEN): N_("It is open already."),
    (Status.RESOLVED, Action.ACKNOWLEDGE): N_("Reopen it if the problem is back."),
    (Status.RESOLVED, Action.POST_UPDATE): N_("Reopen it if the problem is back."),
    (Status.RESOLVED, Action.RESOLVE): N_("Write the root-cause analysis or close it."),
    (Status.RESOLVED, Action.REASSIGN): N_("Reopen it first if someone else must take it on."),
}
REOPEN_FIRST = N_("Reopen it first.")
_STATUS_WORDS = {
    Status.NEW: N_("not acknowledged yet"),
    Status.ACKNOWLEDGED: N_("already acknowledged"),
    Status.RESOLVED: N_("resolved"),
    Status.CLOSED: N_("closed"),
}


def state_refusal(key: str, status: Status, action: Action) -> str | None:
    """Why `action` does not fit a case in `status` (a sentence for the user), or None."""
    if action in ALLOWED[status]:
        return None
    instead = _INSTEAD.get((status, action), REOPEN_FIRST if status == Status.CLOSED else "")
    refusal = _(
        "%(key)s is %(state)s, so you cannot %(action)s it.",
        key=key,
        state=_(_STATUS_WORDS[status]),
        action=_(ACTION_NAMES[action]),
    )
    return f"{refusal} {_(instead)}" if instead else refusal


class Role(StrEnum):
    OWNER = "owner"
    REPORTER = "reporter"
    MANAGER = "escalation manager"
    ADMIN = "admin"
    PARTICIPANT = "participant"
    INVOLVED = "involved"  # owner, reporter or stakeholder of the case
    ITEM_OWNER = "action item owner"


# Who may take each action. Managers and admins may act on any case.
PERMITTED: dict[Action, frozenset[Role]] = {
    Action.ACKNOWLEDGE: frozenset({Role.OWNER, Role.MANAGER, Role.ADMIN}),
    Action.CLASSIFY: frozenset({Role.OWNER, Role.MANAGER, Role.ADMIN}),
    Action.POST_UPDATE: frozenset({Role.OWNER, Role.REPORTER, Role.MANAGER, Role.ADMIN}),
    Action.REASSIGN: frozenset({Role.OWNER, Role.REPORTER, Role.MANAGER, Role.ADMIN}),
    Action.RESOLVE: frozenset({Role.OWNER, Role.MANAGER, Role.ADMIN}),
    Action.RCA: frozenset({Role.OWNER, Role.MANAGER, Role.ADMIN}),
    Action.CLOSE: frozenset({Role.OWNER, Role.MANAGER, Role.ADMIN}),
    Action.REOPEN: frozenset({Role.OWNER, Role.REPORTER, Role.MANAGER, Role.ADMIN}),
    Action.TIMELINE: frozenset(Role),
    Action.CONTACTS: frozenset({Role.OWNER, Role.REPORTER, Role.MANAGER, Role.ADMIN}),
    Action.ACCOUNTS: frozenset({Role.OWNER, Role.REPORTER, Role.MANAGER, Role.ADMIN}),
}


def roles_of(
    user_id: str,
    *,
    owner_id: str,
    reporter_id: str,
    manager_ids: frozenset[str],
    is_admin: bool,
    involved: bool = False,
    item_owner: bool = False,
) -> frozenset[Role]:
    roles = {Role.PARTICIPANT}
    if involved:
        roles.add(Role.INVOLVED)
    if item_owner:
        roles.add(Role.ITEM_OWNER)
    if user_id == owner_id:
        roles.add(Role.OWNER)
    if user_id == reporter_id:
        roles.add(Role.REPORTER)
    if user_id in manager_ids:
        roles.add(Role.MANAGER)
    if is_admin:
        roles.add(Role.ADMIN)
    return frozenset(roles)


def permission_refusal(action: Action, roles: frozenset[Role], owner_name: str) -> str | None:
    """'Only the owner, Sarah Miller, can acknowledge this case.' or None."""
    permitted = PERMITTED[action]
    if roles & permitted:
        return None
    if Role.REPORTER in permitted:
        return _(
            "Only the owner, %(owner)s, the person who reported it, or an escalation manager can "
            "%(action)s this case.",
            owner=owner_name,
            action=_(ACTION_NAMES[action]),
        )
    return _(
        "Only the owner, %(owner)s, or an escalation manager can %(action)s this case.",
        owner=owner_name,
        action=_(ACTION_NAMES[action]),
    )


@dataclass(frozen=True)
class PromiseRules:
    max_ahead: timedelta = timedelta(hours=24)
    min_ahead: timedelta = timedelta(minutes=5)


def promise_problem(when: datetime | None, now: datetime, rules: PromiseRules) -> str | None:
    """A promised update time must be specific, in the future, and not too far away."""
    if when is None:
        return _("Promise a specific time for the next customer update.")
    if when < now + rules.min_ahead:
        minutes = max(1, int(rules.min_ahead.total_seconds() // 60))
        return ngettext(
            "Choose a time at least %(num)s minute from now.",
            "Choose a time at least %(num)s minutes from now.",
            minutes,
        ) % {"num": minutes}
    if when > now + rules.max_ahead:
        hours = int(rules.max_ahead.total_seconds() // 3600)
        return _(
            "Promise an update within %(num)s hours; you can always promise the next one then.", num=hours
        )
    return None


class Task(StrEnum):
    """What people do around a case besides its flows: the same permission table decides."""

    SNOOZE = "snooze"
    RECORD_SATISFACTION = "record_satisfaction"
    RECORD_EXEC_CONTACT = "record_exec_contact"
    FINISH_ACTION_ITEM = "finish_action_item"


TASK_PERMITTED: dict[Task, frozenset[Role]] = {
    # Snoozing moves when the owner is reminded of a promise: the owner's call, or a manager's.
    Task.SNOOZE: frozenset({Role.OWNER, Role.MANAGER, Role.ADMIN}),
    Task.RECORD_SATISFACTION: frozenset({Role.REPORTER, Role.OWNER, Role.MANAGER, Role.ADMIN}),
    Task.RECORD_EXEC_CONTACT: frozenset({Role.INVOLVED, Role.MANAGER, Role.ADMIN}),
    Task.FINISH_ACTION_ITEM: frozenset({Role.ITEM_OWNER, Role.OWNER, Role.MANAGER, Role.ADMIN}),
}
TASK_REFUSALS: dict[Task, str] = {
    Task.SNOOZE: N_("Only the owner, %(owner)s, or an escalation manager can snooze this case's reminders."),
    Task.RECORD_SATISFACTION: N_(
        "Only the person who reported the case, its owner or an escalation manager can record this."
    ),
    Task.RECORD_EXEC_CONTACT: N_("Only the people on %(key)s can record the executive contact."),
    Task.FINISH_ACTION_ITEM: N_(
        "Only %(item_owner)s, who owns this action item, the case's owner or an escalation manager "
        "can mark it done."
    ),
}


def task_refusal(
    task: Task, roles: frozenset[Role], *, owner_name: str, key: str, item_owner_name: str = ""
) -> str | None:
    if roles & TASK_PERMITTED[task]:
        return None
    return _(TASK_REFUSALS[task], owner=owner_name, key=key, item_owner=item_owner_name)


def close_refusal(key: str, category: Category, has_rca: bool) -> str | None:
    """Some categories (the seed: technical) close only with a root-cause analysis; others may
    give a reason instead."""
    playbook = PLAYBOOKS[category]
    if playbook.rca_required and not has_rca:
        return _(
            "%(key)s is a %(category)s case: record its root-cause analysis before closing it.",
            key=key,
            category=_(playbook.label).lower(),
        )
    return None


def needs_no_sponsorship(triggers: list[str], stakeholder_ids: list[str]) -> bool:
    """Sponsorship is offered when an executive was involved (named, or contacted by the customer)."""
    return not stakeholder_ids and not any(TRIGGER_EFFECTS[Trigger(t)].executive_involved for t in triggers)


def executive_contact_due(category: Category, opened_at: datetime) -> datetime | None:
    """When the customer is owed an executive's contact (the seed: business cases, 24 hours)."""
    hours = PLAYBOOKS[category].executive_contact_hours
    return None if hours is None else opened_at + timedelta(hours=hours)


def reason_needed(*, classified: bool, category_before: str, category_after: str | None) -> str | None:
    """Why a classification without a reason is refused, or None. Re-classifying needs a reason;
    so does a first classification that changes the category the CSM chose at intake."""
    if classified:
        return _("Say why the classification changes; it goes on the timeline.")
    if category_after != category_before:
        return _(
            "Say why the category changes from %(category)s; it goes on the timeline.",
            category=_(PLAYBOOKS[Category(category_before)].label).lower(),
        )
    return None


def ack_window(
    severity: str, *, default_minutes: int, by_severity: dict[str, int], trigger_minutes: int | None = None
) -> timedelta:
    """How long the owner has to acknowledge a case of this severity: the setting for the
    severity, else the playbook's, else the default; a trigger may only shorten it."""
    minutes = by_severity.get(severity, SEVERITY_ACK_MINUTES.get(severity, default_minutes))
    if trigger_minutes is not None:
        minutes = min(minutes, trigger_minutes)
    return timedelta(minutes=minutes)


def ack_window_minutes(created_at: datetime, ack_due_at: datetime | None) -> int:
    """The window a stored case was given (what its owner is told), in whole minutes."""
    if ack_due_at is None:
        return 0
    return round((ack_due_at - created_at).total_seconds() / 60)

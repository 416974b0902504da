"""The life of a case: whether a flow fits the case's status, and who may run it.

new → acknowledged → resolved → closed; reopen goes back to acknowledged. Which flow fits which
status and who may run it are each flow's file (flows/<flow>.yml), handed to these rules as
`FlowRules`; the rules answer with sentences, written in the reader's language at the edge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from assistant.domain.practice import CategoryPlaybook, Practice
from assistant.domain.sentences import N_, Sentence, lowered, said, said_n
from assistant.domain.status import Status


class Role(StrEnum):
    OWNER = "owner"
    REPORTER = "reporter"
    MANAGER = "escalation manager"
    ADMIN = "admin"
    PARTICIPANT = "participant"  # anyone who may see the case
    INVOLVED = "involved"  # owner, reporter or stakeholder of the case
    ITEM_OWNER = "action item owner"


@dataclass(frozen=True)
class FlowRules:
    """Who may run a flow, in which states, and what its refusals say (its file, flows/<flow>.yml)."""

    name: str
    who: frozenset[Role]
    states: frozenset[Status]
    # The verb phrase of the refusals: "you cannot <doing> it" ("post an update on").
    doing: str
    # What to do instead, by state the flow does not fit.
    instead: Mapping[Status, str] = field(default_factory=dict)


_STATUS_WORDS = {
    Status.NEW: N_("lifecycle.not_acknowledged_yet"),
    Status.ACKNOWLEDGED: N_("lifecycle.acknowledged_still_open"),
    Status.RESOLVED: N_("lifecycle.resolved"),
    Status.CLOSED: N_("lifecycle.closed"),
}
REOPEN_FIRST = N_("lifecycle.reopen_first")


def state_refusal(key: str, status: Status, flow: FlowRules) -> Sentence | None:
    """Why `flow` does not fit a case in `status`, or None: where the case is, then what to do
    next (the flow file's `instead`); a team's flow that says nothing for the state says what
    cannot be done."""
    if status in flow.states:
        return None
    instead = flow.instead.get(status, REOPEN_FIRST if status == Status.CLOSED else "")
    state = said(_STATUS_WORDS[status])
    if instead:
        return said("lifecycle.key_is_state_do_instead", key=key, state=state, instead=said(instead))
    return said("lifecycle.key_state_so_you_cannot_action", key=key, state=state, action=said(flow.doing))


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


def permission_refusal(flow: FlowRules, roles: frozenset[Role], owner_name: str) -> Sentence | None:
    """'Only the owner, Sarah Miller, can acknowledge this case.' or None."""
    if roles & flow.who:
        return None
    if Role.REPORTER in flow.who:
        return said(
            "lifecycle.only_owner_or_reporter_can_action",
            owner=owner_name,
            action=said(flow.doing),
        )
    return said(
        "lifecycle.only_owner_can_action",
        owner=owner_name,
        action=said(flow.doing),
    )


@dataclass(frozen=True)
class PromiseRules:
    max_ahead: timedelta = timedelta(hours=24)
    min_ahead: timedelta = timedelta(minutes=5)


def promise_problem(when: datetime | None, now: datetime, rules: PromiseRules) -> Sentence | None:
    """A promised update time must be specific, in the future, and not too far away."""
    if when is None:
        return said("lifecycle.promise_specific_time_next_customer")
    if when < now + rules.min_ahead:
        minutes = max(1, int(rules.min_ahead.total_seconds() // 60))
        return said_n("lifecycle.promise_at_least_minutes_ahead", minutes)
    if when > now + rules.max_ahead:
        hours = int(rules.max_ahead.total_seconds() // 3600)
        return said("lifecycle.promise_update_within_num_hours_you", num=hours)
    return None


class Task(StrEnum):
    """What people do around a case besides its flows: the same permission table decides."""

    SNOOZE = "snooze"
    RECORD_SATISFACTION = "record_satisfaction"
    RECORD_EXEC_CONTACT = "record_exec_contact"
    RECORD_SERVICE_CONFIRMED = "record_service_confirmed"
    FINISH_ACTION_ITEM = "finish_action_item"


TASK_PERMITTED: dict[Task, frozenset[Role]] = {
    # Snoozing moves when the owner is reminded of a promise: the owner's call, or a manager's.
    Task.SNOOZE: frozenset({Role.OWNER, Role.MANAGER, Role.ADMIN}),
    Task.RECORD_SATISFACTION: frozenset({Role.REPORTER, Role.OWNER, Role.MANAGER, Role.ADMIN}),
    Task.RECORD_EXEC_CONTACT: frozenset({Role.INVOLVED, Role.MANAGER, Role.ADMIN}),
    Task.RECORD_SERVICE_CONFIRMED: frozenset({Role.INVOLVED, Role.MANAGER, Role.ADMIN}),
    Task.FINISH_ACTION_ITEM: frozenset({Role.ITEM_OWNER, Role.OWNER, Role.MANAGER, Role.ADMIN}),
}
TASK_REFUSALS: dict[Task, str] = {
    Task.SNOOZE: N_("lifecycle.only_owner_can_snooze"),
    Task.RECORD_SATISFACTION: N_("lifecycle.only_person_who_reported_case_its"),
    Task.RECORD_EXEC_CONTACT: N_("lifecycle.only_people_key_can_record_executive"),
    Task.RECORD_SERVICE_CONFIRMED: N_("lifecycle.only_people_key_can_record_confirmation"),
    Task.FINISH_ACTION_ITEM: N_("lifecycle.only_item_owner_who_owns_action_item"),
}


def task_refusal(
    task: Task, roles: frozenset[Role], *, owner_name: str, key: str, item_owner_name: str = ""
) -> Sentence | None:
    if roles & TASK_PERMITTED[task]:
        return None
    return said(TASK_REFUSALS[task], owner=owner_name, key=key, item_owner=item_owner_name)


def close_refusal(key: str, playbook: CategoryPlaybook, has_rca: bool) -> Sentence | None:
    """Some categories (the seed: technical) close only with a root-cause analysis; others may
    give a reason instead. `playbook`: the case's category's (practice.playbook(category))."""
    if playbook.rca_required and not has_rca:
        return said(
            "lifecycle.key_category_case_record_its_root",
            key=key,
            category=lowered(playbook.label),
        )
    return None


def needs_no_sponsorship(triggers: list[str], stakeholder_ids: list[str], practice: Practice) -> bool:
    """Sponsorship is offered when an executive was involved (named, or contacted by the customer)."""
    return not stakeholder_ids and not any(practice.trigger_rule(t).executive_involved for t in triggers)


def executive_contact_due(playbook: CategoryPlaybook, opened_at: datetime) -> datetime | None:
    """When the customer is owed an executive's contact (the seed: business cases, 24 hours);
    `playbook`: the case's category's."""
    hours = playbook.executive_contact_hours
    return None if hours is None else opened_at + timedelta(hours=hours)


def reason_needed(
    *,
    classified: bool,
    category_before: str,
    category_after: str | None,
    practice: Practice,
    suggested: str | None = None,
) -> Sentence | None:
    """Why a classification without a reason is refused, or None. Re-classifying needs a reason;
    so does a first classification that changes the category the CSM chose at intake, unless it
    takes the category the case's triggers suggest (the trigger is the reason, on the timeline)."""
    if classified:
        return said("lifecycle.say_why_classification_changes_goes")
    if suggested and category_after != suggested:
        return said(
            "lifecycle.say_why_not_suggested_category",
            category=lowered(practice.category_label(category_after or category_before)),
            suggested=lowered(practice.category_label(suggested)),
        )
    if category_after != category_before and category_after != suggested:
        return said(
            "lifecycle.say_why_category_changes_from",
            category=lowered(practice.category_label(category_before)),
        )
    return None


def ack_window(
    severity: str,
    *,
    default_minutes: int,
    by_severity: Mapping[str, int],
    playbook_minutes: Mapping[str, int],
    trigger_minutes: int | None = None,
) -> timedelta:
    """How long the owner has to acknowledge a case of this severity: the setting for the
    severity, else the playbook's (`playbook_minutes`: practice.ack_minutes), else the default;
    a trigger may only shorten it."""
    minutes = by_severity.get(severity, playbook_minutes.get(severity, default_minutes))
    if trigger_minutes is not None:
        minutes = min(minutes, trigger_minutes)
    return timedelta(minutes=minutes)


def ack_due_after_handover(
    ack_due_at: datetime | None, *, acknowledged: bool, fresh: datetime
) -> datetime | None:
    """When a case handed to someone else must be acknowledged. Before its acknowledgement the new
    owner has a whole window of their own (`fresh`: the case's window from the hand-over), never
    less time than was left; once acknowledged, the promises made stand."""
    if acknowledged or ack_due_at is None:
        return ack_due_at
    return max(ack_due_at, fresh)


def ack_window_minutes(created_at: datetime, ack_due_at: datetime | None) -> int:
    """The window a stored case was given (what its owner is told), in whole minutes."""
    if ack_due_at is None:
        return 0
    return round((ack_due_at - created_at).total_seconds() / 60)

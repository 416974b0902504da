"""The escalation practice we encode (see DOMAIN.md): categories, triggers, severities.

Everything the product says about the practice is written once here, so the
modal, the case card and the feed announcement all use the same words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from assistant.domain.calendars import WorkingCalendar
from assistant.playbook import Playbook, TriggerEffects, load_playbook


class Category(StrEnum):
    TECHNICAL = "technical"
    BUSINESS = "business"
    RELATIONSHIP = "relationship"
    PROCESS = "process"


@dataclass(frozen=True)
class CategoryPlaybook:
    label: str
    # Shown under the option in the modal: Slack allows 75 characters there.
    when: str
    resolution_owner: str
    expected_response: str


# The words below come from the playbook (flows/playbook.yml), filled in by apply_playbook.
PLAYBOOKS: dict[Category, CategoryPlaybook] = {}


class EscalationKind(StrEnum):
    """Orthogonal to category: how the case was lifted."""

    FUNCTIONAL = "functional"
    HIERARCHICAL = "hierarchical"
    AUTOMATIC = "automatic"


KIND_LABELS: dict[EscalationKind, tuple[str, str]] = {}


class Trigger(StrEnum):
    """The 'escalate immediately, no judgement needed' thresholds."""

    EXECUTIVE_CONTACTED = "executive_contacted"
    PUBLIC_REVIEW_THREAT = "public_review_threat"
    TERMINATION_MENTIONED = "termination_mentioned"
    SECURITY_VULNERABILITY = "security_vulnerability"
    DATA_BREACH = "data_breach"


TRIGGER_LABELS: dict[Trigger, str] = {}
# Cases with these triggers get a private channel: DOMAIN.md says their channel must not be
# public to the whole workspace (the playbook's `private_channel` effect).
SENSITIVE_TRIGGERS: set[Trigger] = set()


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


SEVERITY_LABELS: dict[Severity, tuple[str, str]] = {}
# Guidance shown wherever someone is about to escalate (intake modal, help, Home tab).
GUIDANCE: dict[str, str] = {}


def is_sensitive(triggers: Iterable[Trigger]) -> bool:
    return any(t in SENSITIVE_TRIGGERS for t in triggers)


# Where a root cause lay: the RCA names one, so the same cause across accounts shows up
# in the weekly digest (the signal of a process escalation, DOMAIN.md).
CAUSE_AREAS: dict[str, str] = {}


def apply_playbook(playbook: Playbook) -> None:
    """Take the words and rules of `playbook` (at start-up). The tables are filled in place, so
    every module that imported them sees the playbook in effect."""
    PLAYBOOKS.clear()
    PLAYBOOKS.update(
        {
            Category(c.id): CategoryPlaybook(c.label, c.when, c.resolution_owner, c.expected_response)
            for c in playbook.categories
        }
    )
    KIND_LABELS.clear()
    KIND_LABELS.update({EscalationKind(k.id): (k.label, k.description) for k in playbook.escalation_kinds})
    TRIGGER_LABELS.clear()
    TRIGGER_LABELS.update({Trigger(t.id): t.label for t in playbook.triggers})
    SENSITIVE_TRIGGERS.clear()
    SENSITIVE_TRIGGERS.update(Trigger(t.id) for t in playbook.triggers if t.effects.private_channel)
    SEVERITY_LABELS.clear()
    SEVERITY_LABELS.update({Severity(s.id): (s.label, s.description) for s in playbook.severities})
    GUIDANCE.clear()
    GUIDANCE.update(at_once=playbook.guidance.at_once, do_not=playbook.guidance.do_not)
    CAUSE_AREAS.clear()
    CAUSE_AREAS.update({a.id: a.label for a in playbook.cause_areas})
    TRIGGER_EFFECTS.clear()
    TRIGGER_EFFECTS.update({Trigger(t.id): t.effects for t in playbook.triggers})
    SEVERITY_CALENDARS.clear()
    SEVERITY_CALENDARS.update({Severity(s.id): playbook.calendar(s.calendar) for s in playbook.severities})
    RCA_CALENDAR.clear()
    RCA_CALENDAR.append(playbook.calendar(playbook.rca_calendar))


# What each trigger changes (the playbook's `effects`), read by domain.triggers.
TRIGGER_EFFECTS: dict[Trigger, TriggerEffects] = {}
# Whose hours each severity's acknowledgement window counts; the RCA's working days (one).
SEVERITY_CALENDARS: dict[Severity, WorkingCalendar] = {}
RCA_CALENDAR: list[WorkingCalendar] = []


def ack_deadline(severity: Severity, opened_at: datetime, window: timedelta) -> datetime:
    """When a case opened at `opened_at` must be acknowledged: `window` of its severity's calendar."""
    return SEVERITY_CALENDARS[severity].add(opened_at, window)


def rca_deadline(resolved_at: datetime, working_days: int) -> datetime:
    return RCA_CALENDAR[0].add_working_days(resolved_at, working_days)


apply_playbook(load_playbook())

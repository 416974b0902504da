"""The escalation practice we encode (see DOMAIN.md): categories, triggers, severities.

Everything the product says about the practice is written once, in the playbook
(flows/playbook.yml), so the modal, the case card and the feed announcement all use the
same words. The playbook is read once into a `Practice` (by assistant.content.playbook.practice_of):
an immutable value handed to the rules that need it. Its words are message ids: the edge
writes them in the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar

from assistant.domain.approvals import ApprovalRule
from assistant.domain.calendars import WorkingCalendar
from assistant.domain.judgement import JudgementRules


class PlaybookId(str):
    """An id from the playbook (a plain string in the database). One the playbook no longer has
    (a team removed it) still reads back: old cases keep their category and show its id. Which
    ids the playbook has, in its order, is the Practice's (`practice.categories`…)."""

    @property
    def value(self) -> str:
        return str(self)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        # A plain string to pydantic (and SQLModel), read back as this id class.
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(cls, core_schema.str_schema())


class Category(PlaybookId):
    # The seed practice's ids (DOMAIN.md), for tests and the built-in playbook's defaults.
    TECHNICAL: ClassVar[Category]
    BUSINESS: ClassVar[Category]
    RELATIONSHIP: ClassVar[Category]
    PROCESS: ClassVar[Category]


Category.TECHNICAL, Category.BUSINESS, Category.RELATIONSHIP, Category.PROCESS = (
    Category(i) for i in ("technical", "business", "relationship", "process")
)


@dataclass(frozen=True)
class SuggestedPlan:
    """The action plan a category's owner starts from: its title and steps (text, due within hours)."""

    title: str
    steps: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class CategoryPlaybook:
    label: str
    # Shown under the option in the modal: Slack allows 75 characters there.
    when: str
    resolution_owner: str
    expected_response: str
    # The severity a case gets when the CSM leaves it empty, if the team set one.
    default_severity: str | None = None
    # Rules the category brings (the seed: technical cases close only with an RCA; business
    # cases owe the customer an executive's contact within 24 hours and bring the sponsor in).
    rca_required: bool = False
    executive_contact_hours: int | None = None
    invites_sponsor: bool = False
    # Slack user groups (handles, like "legal") whose members are invited to the case channel.
    invite_groups: tuple[str, ...] = ()
    # The action plan the owner starts from (the account rescue plan, the rebuild plan).
    plan: SuggestedPlan | None = None


class EscalationKind(StrEnum):
    """Orthogonal to category: how the case was lifted."""

    FUNCTIONAL = "functional"
    HIERARCHICAL = "hierarchical"
    AUTOMATIC = "automatic"


class Trigger(PlaybookId):
    """The 'escalate immediately, no judgement needed' thresholds."""

    EXECUTIVE_CONTACTED: ClassVar[Trigger]
    PUBLIC_REVIEW_THREAT: ClassVar[Trigger]
    TERMINATION_MENTIONED: ClassVar[Trigger]
    SECURITY_VULNERABILITY: ClassVar[Trigger]
    DATA_BREACH: ClassVar[Trigger]


(
    Trigger.EXECUTIVE_CONTACTED,
    Trigger.PUBLIC_REVIEW_THREAT,
    Trigger.TERMINATION_MENTIONED,
    Trigger.SECURITY_VULNERABILITY,
    Trigger.DATA_BREACH,
) = (
    Trigger(i)
    for i in (
        "executive_contacted",
        "public_review_threat",
        "termination_mentioned",
        "security_vulnerability",
        "data_breach",
    )
)


class Severity(PlaybookId):
    """Listed most severe first in the playbook: that order is the ranking."""

    CRITICAL: ClassVar[Severity]
    HIGH: ClassVar[Severity]
    MEDIUM: ClassVar[Severity]
    LOW: ClassVar[Severity]


Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW = (
    Severity(i) for i in ("critical", "high", "medium", "low")
)


@dataclass(frozen=True)
class TriggerRule:
    """What a trigger changes about a case (the playbook's `effects`), read by domain.triggers."""

    minimum_severity: str | None = None
    suggests_category: str | None = None
    # DOMAIN.md: the case's channel must not be public to the whole workspace.
    private_channel: bool = False
    managers_told: bool = False
    # An executive is already involved: the case does not offer executive sponsorship.
    executive_involved: bool = False
    # A shorter acknowledgement window than the severity's (minutes).
    ack_within_minutes: int | None = None
    # Slack user groups (handles) whose members are invited to the case channel.
    invite_groups: tuple[str, ...] = ()
    # What the case card and the timeline say the trigger changed.
    note: str = ""


@dataclass(frozen=True)
class Practice:
    """The practice in effect: the playbook's ids (in its order), words and rules, read once.

    Never changed: a team's new playbook is a new Practice. An id the playbook no longer has
    (an old case's) reads as a plain default: its id as its label, no rules.
    """

    categories: tuple[Category, ...] = ()
    # Most severe first: that order is the ranking.
    severities: tuple[Severity, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    playbooks: Mapping[Category, CategoryPlaybook] = field(default_factory=dict)
    # (label, description) of each escalation kind and each severity.
    kind_labels: Mapping[EscalationKind, tuple[str, str]] = field(default_factory=dict)
    severity_labels: Mapping[Severity, tuple[str, str]] = field(default_factory=dict)
    trigger_labels: Mapping[Trigger, str] = field(default_factory=dict)
    trigger_rules: Mapping[Trigger, TriggerRule] = field(default_factory=dict)
    # Guidance shown wherever someone is about to escalate (intake modal, help, Home tab):
    # `at_once` and `do_not`.
    guidance: Mapping[str, str] = field(default_factory=dict)
    # Where a root cause lay: the RCA names one, so the same cause across accounts shows up
    # in the weekly digest (the signal of a process escalation, DOMAIN.md).
    cause_areas: Mapping[str, str] = field(default_factory=dict)
    # Support tiers: the Slack user group whose members may own a case of a severity.
    owner_groups: Mapping[str, str] = field(default_factory=dict)
    # Stage 3: the task force's Slack user groups, and how long after opening each severity calls it.
    task_force_groups: tuple[str, ...] = ()
    task_force_after: Mapping[str, timedelta] = field(default_factory=dict)
    # Steps that need an approval before they stand ("concession", "customer_rca"), and the kinds
    # of concession (id: label).
    approvals: Mapping[str, ApprovalRule] = field(default_factory=dict)
    concession_kinds: Mapping[str, str] = field(default_factory=dict)
    # The team's services (id: label) a case's affected services are chosen from.
    services: Mapping[str, str] = field(default_factory=dict)
    # Internal tags (id: label) the team puts on cases to find them again.
    tags: Mapping[str, str] = field(default_factory=dict)
    # Whose hours each severity's acknowledgement window counts; the RCA's working days.
    severity_calendars: Mapping[Severity, WorkingCalendar] = field(default_factory=dict)
    rca_calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    # Stage 2: the customer hears from us within this long of the case being opened (0: untracked).
    first_contact_within: timedelta = timedelta(hours=1)
    # A severity's own acknowledgement window (minutes), where the playbook gives one.
    ack_minutes: Mapping[str, int] = field(default_factory=dict)
    # A severity's update cadence: how far ahead the next update may be promised (hours).
    update_hours: Mapping[str, int] = field(default_factory=dict)
    # The 24-hour judgement tier's thresholds.
    judgement: JudgementRules = field(default_factory=JudgementRules)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Mapping) and not isinstance(value, MappingProxyType):
                object.__setattr__(self, f.name, MappingProxyType(dict(value)))
            elif isinstance(value, list):
                object.__setattr__(self, f.name, tuple(value))

    def playbook(self, category: str) -> CategoryPlaybook:
        """The category's words and rules (one the playbook no longer has: its id, no rules)."""
        found = self.playbooks.get(Category(category))
        return found if found is not None else CategoryPlaybook(str(category), "", "", "")

    def category_label(self, category: str) -> str:
        return self.playbook(category).label

    def kind_label(self, kind: str) -> str:
        return self.kind_labels.get(EscalationKind(kind), (str(kind), ""))[0]

    def severity_label(self, severity: str) -> str:
        return self.severity_labels.get(Severity(severity), (str(severity), ""))[0]

    def severity_description(self, severity: str) -> str:
        return self.severity_labels.get(Severity(severity), (str(severity), ""))[1]

    def trigger_label(self, trigger: str) -> str:
        return self.trigger_labels.get(Trigger(trigger), str(trigger))

    def service_labels(self, ids: Iterable[str]) -> list[str]:
        """The services' labels (one the register no longer has: its id)."""
        return [self.services.get(i, i) for i in ids]

    def tag_labels(self, ids: Iterable[str]) -> list[str]:
        """The tags' labels (one the register no longer has: its id)."""
        return [self.tags.get(i, i) for i in ids]

    def trigger_rule(self, trigger: str) -> TriggerRule:
        return self.trigger_rules.get(Trigger(trigger)) or TriggerRule()

    def cause_area_label(self, area: str) -> str:
        return self.cause_areas.get(area, area)

    def is_sensitive(self, triggers: Iterable[str]) -> bool:
        """Cases with these triggers get a private channel (the playbook's `private_channel`)."""
        return any(self.trigger_rule(t).private_channel for t in triggers)

    def severity_rank(self, severity: str) -> int:
        """0 for the most severe; a severity the playbook no longer has ranks last."""
        ids = [str(s) for s in self.severities]
        return ids.index(severity) if severity in ids else len(ids)

    def severity_calendar(self, severity: str) -> WorkingCalendar:
        return self.severity_calendars.get(Severity(severity)) or WorkingCalendar()

    def ack_deadline(self, severity: str, opened_at: datetime, window: timedelta) -> datetime:
        """When a case opened at `opened_at` must be acknowledged: `window` of its severity's calendar."""
        return self.severity_calendar(severity).add(opened_at, window)

    def first_contact_deadline(self, severity: str, opened_at: datetime) -> datetime | None:
        """When the customer must first hear from us (stage 2), in the severity's calendar."""
        if not self.first_contact_within:
            return None
        return self.severity_calendar(severity).add(opened_at, self.first_contact_within)

    def task_force_deadline(self, severity: str, opened_at: datetime) -> datetime | None:
        """When the task force is called if the case is still unresolved (None: never by time)."""
        after = self.task_force_after.get(str(severity))
        return opened_at + after if after else None

    def rca_deadline(self, resolved_at: datetime, working_days: int) -> datetime:
        return self.rca_calendar.add_working_days(resolved_at, working_days)

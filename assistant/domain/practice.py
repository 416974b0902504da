"""The escalation practice we encode (see DOMAIN.md): categories, triggers, severities.

Everything the product says about the practice is written once here, so the
modal, the case card and the feed announcement all use the same words.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from assistant.domain.calendars import WorkingCalendar
from assistant.domain.judgement import JudgementRules
from assistant.i18n import _
from assistant.playbook import Playbook, TriggerEffects, load_playbook

IdT = TypeVar("IdT", bound="PlaybookId")


class _PlaybookIds(type):
    """Iterating an id class lists the ids the playbook in effect has, in its order, so a team's
    own category, trigger or severity shows wherever the built-in ones do."""

    def __iter__(cls: type[IdT]) -> Iterator[IdT]:  # type: ignore[misc]
        return iter(list(cls.in_effect))

    def __contains__(cls, value: object) -> bool:
        return value in cls.in_effect  # type: ignore[attr-defined]


class PlaybookId(str, metaclass=_PlaybookIds):
    """An id from the playbook (a plain string in the database). One the playbook no longer has
    (a team removed it) still reads back: old cases keep their category and show its id."""

    in_effect: ClassVar[list[Any]] = []

    @property
    def value(self) -> str:
        return str(self)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        # A plain string to pydantic (and SQLModel), read back as this id class.
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(cls, core_schema.str_schema())

    @classmethod
    def use(cls, ids: Iterable[str]) -> None:
        cls.in_effect[:] = [cls(i) for i in ids]


class Category(PlaybookId):
    in_effect: ClassVar[list[Any]] = []
    # The seed practice's ids (DOMAIN.md), for tests and the built-in playbook's defaults.
    TECHNICAL: ClassVar[Category]
    BUSINESS: ClassVar[Category]
    RELATIONSHIP: ClassVar[Category]
    PROCESS: ClassVar[Category]


Category.TECHNICAL, Category.BUSINESS, Category.RELATIONSHIP, Category.PROCESS = (
    Category(i) for i in ("technical", "business", "relationship", "process")
)


class _Table(dict[Any, Any]):
    """A table of the playbook's words by id: an id it no longer has reads as a plain default."""

    def __init__(self, missing: Any) -> None:
        super().__init__()
        self.missing = missing

    def __missing__(self, key: Any) -> Any:
        return self.missing(str(key))


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


# The words below come from the playbook (flows/playbook.yml), filled in by apply_playbook.
PLAYBOOKS: dict[Category, CategoryPlaybook] = _Table(lambda i: CategoryPlaybook(i, "", "", ""))


class EscalationKind(StrEnum):
    """Orthogonal to category: how the case was lifted."""

    FUNCTIONAL = "functional"
    HIERARCHICAL = "hierarchical"
    AUTOMATIC = "automatic"


KIND_LABELS: dict[EscalationKind, tuple[str, str]] = {}


class Trigger(PlaybookId):
    """The 'escalate immediately, no judgement needed' thresholds."""

    in_effect: ClassVar[list[Any]] = []
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


TRIGGER_LABELS: dict[Trigger, str] = _Table(lambda i: i)
# Cases with these triggers get a private channel: DOMAIN.md says their channel must not be
# public to the whole workspace (the playbook's `private_channel` effect).
SENSITIVE_TRIGGERS: set[Trigger] = set()


class Severity(PlaybookId):
    """Listed most severe first in the playbook: that order is the ranking."""

    in_effect: ClassVar[list[Any]] = []
    CRITICAL: ClassVar[Severity]
    HIGH: ClassVar[Severity]
    MEDIUM: ClassVar[Severity]
    LOW: ClassVar[Severity]


Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW = (
    Severity(i) for i in ("critical", "high", "medium", "low")
)


SEVERITY_LABELS: dict[Severity, tuple[str, str]] = _Table(lambda i: (i, ""))
# Guidance shown wherever someone is about to escalate (intake modal, help, Home tab).
GUIDANCE: dict[str, str] = {}


def guidance_words() -> dict[str, str]:
    """The guidance in the reader's language (the playbook's sentences, through the catalogs)."""
    return {name: _(text) for name, text in GUIDANCE.items()}


def is_sensitive(triggers: Iterable[Trigger]) -> bool:
    return any(t in SENSITIVE_TRIGGERS for t in triggers)


# Where a root cause lay: the RCA names one, so the same cause across accounts shows up
# in the weekly digest (the signal of a process escalation, DOMAIN.md).
CAUSE_AREAS: dict[str, str] = {}


def apply_playbook(playbook: Playbook) -> None:
    """Take the words and rules of `playbook` (at start-up). The tables are filled in place, so
    every module that imported them sees the playbook in effect."""
    Category.use(c.id for c in playbook.categories)
    Trigger.use(t.id for t in playbook.triggers)
    Severity.use(s.id for s in playbook.severities)
    PLAYBOOKS.clear()
    PLAYBOOKS.update(
        {
            Category(c.id): CategoryPlaybook(
                c.label,
                c.when,
                c.resolution_owner,
                c.expected_response,
                default_severity=c.default_severity,
                rca_required=c.rca_required,
                executive_contact_hours=c.executive_contact_hours,
                invites_sponsor=c.invites_sponsor,
                invite_groups=c.invite_groups,
            )
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
    SEVERITY_UPDATE_HOURS.clear()
    SEVERITY_UPDATE_HOURS.update(
        {s.id: s.update_within_hours for s in playbook.severities if s.update_within_hours is not None}
    )
    SEVERITY_ACK_MINUTES.clear()
    SEVERITY_ACK_MINUTES.update(
        {s.id: s.ack_within_minutes for s in playbook.severities if s.ack_within_minutes is not None}
    )
    RCA_CALENDAR.clear()
    RCA_CALENDAR.append(playbook.calendar(playbook.rca_calendar))
    JUDGEMENT[:] = [
        JudgementRules(
            enterprise_above=playbook.judgement.enterprise_above,
            health_below=playbook.judgement.health_below,
            fall_within=timedelta(days=playbook.judgement.fall_within_days),
            missed_qbrs=playbook.judgement.missed_qbrs,
            suggests=dict(playbook.judgement.suggests),
        )
    ]


# What each trigger changes (the playbook's `effects`), read by domain.triggers.
TRIGGER_EFFECTS: dict[Trigger, TriggerEffects] = _Table(lambda i: TriggerEffects())
# Whose hours each severity's acknowledgement window counts; the RCA's working days (one).
SEVERITY_CALENDARS: dict[Severity, WorkingCalendar] = _Table(lambda i: WorkingCalendar())
RCA_CALENDAR: list[WorkingCalendar] = []
# A severity's own acknowledgement window (minutes), where the playbook gives one.
SEVERITY_ACK_MINUTES: dict[str, int] = {}
# A severity's update cadence: how far ahead the next update may be promised (hours).
SEVERITY_UPDATE_HOURS: dict[str, int] = {}
# The 24-hour judgement tier's thresholds (one: the playbook's).
JUDGEMENT: list[JudgementRules] = [JudgementRules()]


def severity_rank(severity: str) -> int:
    """0 for the most severe; a severity the playbook no longer has ranks last."""
    ids = [str(s) for s in Severity]
    return ids.index(severity) if severity in ids else len(ids)


def ack_deadline(severity: Severity, opened_at: datetime, window: timedelta) -> datetime:
    """When a case opened at `opened_at` must be acknowledged: `window` of its severity's calendar."""
    return SEVERITY_CALENDARS[severity].add(opened_at, window)


def rca_deadline(resolved_at: datetime, working_days: int) -> datetime:
    return RCA_CALENDAR[0].add_working_days(resolved_at, working_days)


apply_playbook(load_playbook())

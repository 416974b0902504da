"""The playbook (`flows/playbook.yml`): the practice as data, checked before the app starts.

Loaded once at start-up. A mistake stops the app with one line per problem, as
`file:line: what is wrong (what is expected)`, and `python -m assistant playbook check`
says the same without starting anything.

A team's playbook may rename, remove and add categories, triggers and severities; the rules
the engine applies to them (an RCA before closing, an executive's contact, who is invited,
what a trigger changes) are settings of each entry. The escalation kinds are the practice's
three, reworded only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as public_holidays
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from assistant.content.paths import content_dir
from assistant.domain.approvals import ApprovalRule
from assistant.domain.calendars import WorkingCalendar, parse_hours
from assistant.domain.intake import CustomQuestion, FormQuestions
from assistant.domain.judgement import JudgementRules
from assistant.domain.practice import (
    Category,
    CategoryPlaybook,
    EscalationKind,
    Practice,
    Severity,
    SuggestedPlan,
    Trigger,
    TriggerRule,
)

# libyaml's parser where PyYAML has it (the wheels do): the content is read at every start.
YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """A content file's tree (for the lines of its problems) and its data."""
    return yaml.compose(text, Loader=YAML_LOADER), yaml.load(text, Loader=YAML_LOADER)


PLAYBOOK_FILE = "playbook.yml"
ModelT = TypeVar("ModelT", bound=BaseModel)
# Slack shows at most 75 characters under an option.
OPTION_DESCRIPTION_MAX = 75
# Slack's multi-select holds 100 options.
MAX_SERVICES = 100

KIND_IDS = ("functional", "hierarchical", "automatic")
# Ids are stored with each case (a category or severity in a 20-character column): short,
# lower case.
ID_PATTERN = r"^[a-z][a-z0-9_]{0,19}$"
TRIGGER_ID_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
# A Slack user group's handle, as typed after "@".
GROUP_HANDLE_PATTERN = r"^@?[a-z0-9][a-z0-9._-]{0,79}$"
GroupHandles = tuple[Annotated[str, Field(pattern=GROUP_HANDLE_PATTERN)], ...]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _handles(value: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(handle.removeprefix("@") for handle in value)


class PlanStepEntry(_Strict):
    step: str = Field(min_length=1, max_length=500)
    # Suggested due time: this many hours after the plan is drafted.
    within_hours: int = Field(default=24, ge=1, le=24 * 90)


class PlanEntry(_Strict):
    """A category's suggested action plan (the account rescue plan, the relationship rebuild plan)."""

    title: str = Field(min_length=1, max_length=60)
    steps: tuple[PlanStepEntry, ...] = Field(min_length=1, max_length=8)


class CategoryEntry(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    label: str = Field(min_length=1, max_length=40)
    when: str = Field(min_length=1, max_length=OPTION_DESCRIPTION_MAX)
    resolution_owner: str = Field(min_length=1, max_length=120)
    expected_response: str = Field(min_length=1, max_length=300)
    # The severity a case of this category gets when the CSM leaves it empty (a severity's id).
    default_severity: str | None = None
    # The case closes only with a root-cause analysis recorded.
    rca_required: bool = False
    # The customer is owed an executive's contact within this many hours of opening.
    executive_contact_hours: int | None = Field(default=None, ge=1, le=720)
    # A sponsored account's executive sponsor is brought in as a stakeholder.
    invites_sponsor: bool = False
    # Slack user groups whose members are invited to the case channel (handles: legal, finance).
    invite_groups: GroupHandles = ()
    # The action plan an owner starts from (stages 2-3): its title and suggested steps.
    plan: PlanEntry | None = None

    _strip_at = field_validator("invite_groups")(_handles)


class TriggerEffects(_Strict):
    minimum_severity: str | None = None
    suggests_category: str | None = None
    private_channel: bool = False
    managers_told: bool = False
    # An executive is already involved: the case does not offer executive sponsorship.
    executive_involved: bool = False
    # A shorter acknowledgement window than the severity's (minutes).
    ack_within_minutes: int | None = Field(default=None, ge=5, le=7 * 24 * 60)
    # Slack user groups whose members are invited to the case channel (like "@legal").
    invite_groups: GroupHandles = ()
    # What the case card and the timeline say the trigger changed.
    note: str = Field(default="", max_length=300)

    _strip_at = field_validator("invite_groups")(_handles)


class TriggerEntry(_Strict):
    id: str = Field(pattern=TRIGGER_ID_PATTERN)
    label: str = Field(min_length=1, max_length=75)
    effects: TriggerEffects = TriggerEffects()


class CalendarEntry(_Strict):
    """When a team's clock runs: `always`, or weekly hours ('mon-fri 09:00-18:00') in a zone,
    with a country's public holidays off."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    hours: str = "always"
    timezone: str = "UTC"
    holidays: str | None = Field(default=None, description="a country code, like BR, MX or ES")
    subdivision: str | None = None

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        if value != "always":
            parse_hours(value)  # its ValueError says what is wrong
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone (an IANA name, like America/Sao_Paulo)") from None
        return value

    @field_validator("holidays")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is not None and value not in public_holidays.list_supported_countries():
            raise ValueError(f"no public holidays are known for {value!r} (a country code, like BR)")
        return value

    def calendar(self) -> WorkingCalendar:
        if self.hours == "always":
            return WorkingCalendar()
        return WorkingCalendar(
            zone=ZoneInfo(self.timezone),
            hours=parse_hours(self.hours),
            country=self.holidays,
            subdivision=self.subdivision,
        )


class SeverityEntry(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    label: str = Field(min_length=1, max_length=40)
    description: str = Field(min_length=1, max_length=OPTION_DESCRIPTION_MAX)
    # Whose hours the acknowledgement window counts (a calendar's id).
    calendar: str = "around_the_clock"
    # How long the owner has to acknowledge (minutes of the calendar); else ACK_WITHIN_MINUTES.
    ack_within_minutes: int | None = Field(default=None, ge=5, le=7 * 24 * 60)
    # The update cadence: the next customer update may be promised at most this far ahead
    # (hours; else MAX_PROMISE_HOURS).
    update_within_hours: int | None = Field(default=None, ge=1, le=7 * 24)
    # Support tiers: only members of this Slack user group (a handle) may own a case of this
    # severity; a group the workspace lacks restricts no one.
    owners: str | None = Field(default=None, pattern=r"^@?[a-z0-9][a-z0-9._-]{0,79}$")


class KindEntry(_Strict):
    id: Literal["functional", "hierarchical", "automatic"]
    label: str = Field(min_length=1, max_length=40)
    description: str = Field(min_length=1, max_length=OPTION_DESCRIPTION_MAX)


class CauseArea(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    label: str = Field(min_length=1, max_length=75)


class ServiceEntry(_Strict):
    """One of the team's services a case may affect (stage 1 records the affected ones)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    label: str = Field(min_length=1, max_length=75)


class TagEntry(_Strict):
    """An internal tag the team puts on cases (never shown to a customer), to find them again."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    label: str = Field(min_length=1, max_length=75)


class TaskForceEntry(_Strict):
    """Who the task force is (Slack user groups, by handle) and when each severity calls it."""

    groups: tuple[str, ...] = Field(default=(), max_length=10)
    # Hours after the case opened, by severity id: still unresolved then, the owner is reminded.
    after_hours: dict[str, int] = Field(default_factory=dict)


class ApprovalEntry(_Strict):
    """Who must approve a step before it stands (Slack user groups, by handle; none or a group the
    workspace lacks: the escalation managers), and for which accounts (worth more than this)."""

    approvers: GroupHandles = ()
    accounts_above: int | None = Field(default=None, ge=0)

    _strip_at = field_validator("approvers")(_handles)


class Approvals(_Strict):
    concession: ApprovalEntry | None = None
    customer_rca: ApprovalEntry | None = None


class ConcessionKind(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    label: str = Field(min_length=1, max_length=75)


class Guidance(_Strict):
    at_once: str = Field(min_length=1, max_length=300)
    do_not: str = Field(min_length=1, max_length=300)


def _calendar_ids(info: ValidationInfo) -> set[str] | None:
    """The calendars' ids, if they were valid (else their own errors say so)."""
    calendars = info.data.get("calendars")
    return None if calendars is None else {c.id for c in calendars}


def _each_once(entries: Sequence[Any], known: Sequence[str], what: str) -> None:
    ids = [e.id for e in entries]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ValueError(f"{what} {duplicated[0]!r} is listed twice (each once)")
    missing = [i for i in known if i not in ids]
    if missing:
        raise ValueError(f"{what} {missing[0]!r} is missing (this version needs all of {', '.join(known)})")


class JudgementEntry(_Strict):
    """The 24-hour judgement tier's thresholds (DOMAIN.md), and the category each concern suggests."""

    enterprise_above: int = Field(default=25000, ge=0, description="contract value")
    health_below: int = Field(default=30, ge=1, le=100)
    fall_within_days: int = Field(default=7, ge=1, le=90)
    missed_qbrs: int = Field(default=3, ge=1, le=12)
    suggests: dict[str, str] = {}


class Playbook(_Strict):
    # In this order: later sections name earlier ones (pydantic checks fields in this order).
    calendars: tuple[CalendarEntry, ...] = (CalendarEntry(id="around_the_clock"),)
    categories: tuple[CategoryEntry, ...] = Field(min_length=1, max_length=20)
    severities: tuple[SeverityEntry, ...] = Field(min_length=1, max_length=10)
    triggers: tuple[TriggerEntry, ...] = Field(default=(), max_length=20)
    escalation_kinds: tuple[KindEntry, ...]
    cause_areas: tuple[CauseArea, ...] = Field(min_length=1)
    # The team's services (the register a case's affected services are chosen from); none: the
    # intake asks nothing about them.
    services: tuple[ServiceEntry, ...] = Field(default=(), max_length=MAX_SERVICES)
    # Internal tags (VIP, renewal at risk…): set when classifying, filtered on Home, in
    # `/escalate list`, the export and the API.
    tags: tuple[TagEntry, ...] = Field(default=(), max_length=MAX_SERVICES)
    task_force: TaskForceEntry = TaskForceEntry()
    approvals: Approvals = Approvals()
    # A team's playbook from before concessions gets these (the Concession form needs kinds).
    concession_kinds: tuple[ConcessionKind, ...] = Field(
        default=(
            ConcessionKind(id="credit", label="Service credit"),
            ConcessionKind(id="extension", label="Contract or trial extension"),
            ConcessionKind(id="discount", label="Discount"),
            ConcessionKind(id="other", label="Something else"),
        ),
        min_length=1,
        max_length=10,
    )
    guidance: Guidance
    # The root-cause analysis is due this calendar's working days after resolution.
    rca_calendar: str = "around_the_clock"
    # The customer hears from us within this long of the case being opened (stage 2 of the
    # practice), counted in the severity's calendar; 0: not tracked.
    first_customer_contact_within_minutes: int = Field(default=60, ge=0, le=24 * 60)
    judgement: JudgementEntry = JudgementEntry()

    def calendar(self, calendar_id: str) -> WorkingCalendar:
        return next(c.calendar() for c in self.calendars if c.id == calendar_id)

    @field_validator("categories")
    @classmethod
    def _categories(cls, value: tuple[CategoryEntry, ...]) -> tuple[CategoryEntry, ...]:
        _each_once(value, (), "the category")
        return value

    @field_validator("triggers")
    @classmethod
    def _triggers(cls, value: tuple[TriggerEntry, ...]) -> tuple[TriggerEntry, ...]:
        _each_once(value, (), "the trigger")
        return value

    @field_validator("severities")
    @classmethod
    def _severities(cls, value: tuple[SeverityEntry, ...], info: ValidationInfo) -> tuple[SeverityEntry, ...]:
        _each_once(value, (), "the severity")
        known = _calendar_ids(info)
        for severity in value:
            if known is not None and severity.calendar not in known:
                raise ValueError(
                    f"{severity.id}'s calendar {severity.calendar!r} is not one of the calendars "
                    f"({', '.join(sorted(known))})"
                )
        return value

    @field_validator("rca_calendar")
    @classmethod
    def _rca_calendar(cls, value: str, info: ValidationInfo) -> str:
        known = _calendar_ids(info)
        if known is not None and value not in known:
            raise ValueError(f"{value!r} is not one of the calendars ({', '.join(sorted(known))})")
        return value

    @field_validator("judgement")
    @classmethod
    def _judgement(cls, value: JudgementEntry, info: ValidationInfo) -> JudgementEntry:
        categories = {c.id for c in info.data.get("categories") or ()}
        for concern, category in value.suggests.items():
            if concern not in {"health_drop", "decision_maker_lost", "qbrs_missed"}:
                raise ValueError(
                    f"{concern!r} is not a concern (health_drop, decision_maker_lost, qbrs_missed)"
                )
            if categories and category not in categories:
                raise ValueError(f"{concern} suggests {category!r}, which is not one of the categories")
        return value

    @field_validator("escalation_kinds")
    @classmethod
    def _kinds(cls, value: tuple[KindEntry, ...]) -> tuple[KindEntry, ...]:
        _each_once(value, KIND_IDS, "the kind")
        return value

    @field_validator("cause_areas")
    @classmethod
    def _cause_areas(cls, value: tuple[CauseArea, ...]) -> tuple[CauseArea, ...]:
        _each_once(value, (), "the cause area")
        return value

    @field_validator("task_force")
    @classmethod
    def _task_force(cls, value: TaskForceEntry, info: ValidationInfo) -> TaskForceEntry:
        severities = info.data.get("severities")
        known = {s.id for s in severities} if severities is not None else None
        unknown = sorted(set(value.after_hours) - known) if known is not None else []
        if unknown:
            raise ValueError(
                f"after_hours names {', '.join(unknown)}: not a severity ({', '.join(sorted(known or ()))})"
            )
        return value

    @field_validator("services")
    @classmethod
    def _services(cls, value: tuple[ServiceEntry, ...]) -> tuple[ServiceEntry, ...]:
        _each_once(value, (), "the service")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: tuple[TagEntry, ...]) -> tuple[TagEntry, ...]:
        _each_once(value, (), "the tag")
        return value


@dataclass(frozen=True)
class PlaybookProblem:
    file: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class PlaybookError(Exception):
    def __init__(self, problems: list[PlaybookProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _line_of(node: yaml.Node | None, location: Sequence[int | str]) -> int:
    """The line (1-based) of the YAML node at a pydantic error's location, as deep as it exists."""
    line = node.start_mark.line + 1 if node is not None else 1
    for key in location:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _message(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"])
    text = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "literal_error":
        text = f"unknown value {error['input']!r} ({text.lower()})"
    elif error["type"] == "extra_forbidden":
        text = "not a setting the playbook has (check the spelling)"
    elif error["type"] == "missing":
        text = "missing (it is required)"
    elif error["type"] == "string_pattern_mismatch":
        longest = re.search(r"\{0,(\d+)\}", error["ctx"]["pattern"])
        text = (
            f"{error['input']!r} cannot be used here: lower-case letters, digits and _, starting with "
            f"a letter, at most {int(longest.group(1)) + 1 if longest else 40} characters"
        )
    return f"{where}: {text}" if where else text


class ChoiceOption(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    label: str = Field(min_length=1, max_length=75)


class CustomField(_Strict):
    """A question of the team's own on the intake form."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,29}$")
    label: str = Field(min_length=1, max_length=48)  # Slack's label limit
    type: Literal["text", "number", "choice"] = "text"
    required: bool = False
    max_length: int = Field(default=200, ge=1, le=3000)
    hint: str | None = Field(default=None, max_length=150)
    options: tuple[ChoiceOption, ...] = ()

    @field_validator("options")
    @classmethod
    def _options(cls, value: tuple[ChoiceOption, ...], info: ValidationInfo) -> tuple[ChoiceOption, ...]:
        if info.data.get("type") == "choice" and not value:
            raise ValueError("a choice needs its options ([{id: …, label: …}])")
        if info.data.get("type") != "choice" and value:
            raise ValueError("only a choice has options")
        return value


class IntakeQuestions(_Strict):
    labels: dict[
        Literal["account", "account_value", "summary", "description", "category", "severity", "owner"], str
    ] = {}
    custom_fields: tuple[CustomField, ...] = ()

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        for question, label in value.items():
            if not 0 < len(label.strip()) <= 48:
                raise ValueError(f"{question}'s label must be 1 to 48 characters")
        return value

    @field_validator("custom_fields")
    @classmethod
    def _custom(cls, value: tuple[CustomField, ...]) -> tuple[CustomField, ...]:
        _each_once(value, (), "the field")
        if len(value) > 10:
            raise ValueError("at most 10 questions of your own (Slack's modal has room for them)")
        return value


INTAKE_FILE = "intake.yml"


def parse_playbook(text: str, source: Path) -> Playbook:
    """The playbook in `text`, or PlaybookError with every problem at its line."""
    return parse_content(Playbook, text, source)


def parse_content(model: type[ModelT], text: str, source: Path) -> ModelT:
    """A content file's model, or PlaybookError with every problem at its line."""
    try:
        tree, data = read_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise PlaybookError(
            [PlaybookProblem(source, line, f"not valid YAML ({getattr(exc, 'problem', exc)})")]
        ) from None
    if not isinstance(data, dict):
        raise PlaybookError([PlaybookProblem(source, 1, "expected sections (name: …), one a line")])
    problems = [
        PlaybookProblem(source, _line_of(tree, loc), _message({"loc": loc, "msg": text, "type": ""}))
        for loc, text in (broken_references(data) if model is Playbook else [])
    ]
    try:
        content = model.model_validate(data)
    except ValidationError as exc:
        problems += [
            PlaybookProblem(source, _line_of(tree, error["loc"]), _message(error)) for error in exc.errors()
        ]
    if problems:
        raise PlaybookError(sorted(problems, key=lambda p: p.line))
    return content


def broken_references(data: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Where a trigger names a category or severity the playbook does not list (read from the
    raw file, so these are reported beside any other mistake)."""

    def ids(section: str) -> list[str]:
        entries = data.get(section)
        listed = entries if isinstance(entries, list) else []
        return [str(e["id"]) for e in listed if isinstance(e, dict) and "id" in e]

    known = {
        "suggests_category": ("categories", ids("categories")),
        "minimum_severity": ("severities", ids("severities")),
    }
    problems: list[tuple[tuple[str | int, ...], str]] = []
    categories = data.get("categories")
    severities = ids("severities")
    for n, category in enumerate(categories if isinstance(categories, list) else []):
        named = category.get("default_severity") if isinstance(category, dict) else None
        if named is not None and named not in severities:
            problem = f"unknown value {named!r}: not one of the severities ({', '.join(severities)})"
            problems.append((("categories", n, "default_severity"), problem))
    triggers = data.get("triggers")
    for n, trigger in enumerate(triggers if isinstance(triggers, list) else []):
        effects = trigger.get("effects") if isinstance(trigger, dict) else None
        for setting, (section, listed) in known.items():
            named = effects.get(setting) if isinstance(effects, dict) else None
            if named is not None and named not in listed:
                problem = f"unknown value {named!r}: not one of the {section} ({', '.join(listed)})"
                problems.append((("triggers", n, "effects", setting), problem))
    return problems


def flows_file(name: str, folder: Path | None = None) -> Path:
    """A file of flows/: the team's (in their `folder`, CUSTOM_DIR) if they have it, else ours
    (`folder` None: ours)."""
    if folder is not None and (folder / "flows" / name).is_file():
        return folder / "flows" / name
    return content_dir("flows") / name


def playbook_path(folder: Path | None = None) -> Path:
    return flows_file(PLAYBOOK_FILE, folder)


def load_playbook(folder: Path | None = None) -> Playbook:
    path = playbook_path(folder)
    return parse_playbook(path.read_text(encoding="utf-8"), path)


def load_intake_questions(folder: Path | None = None) -> IntakeQuestions:
    path = flows_file(INTAKE_FILE, folder)
    return parse_content(IntakeQuestions, path.read_text(encoding="utf-8"), path)


def practice_of(playbook: Playbook) -> Practice:
    """The practice `playbook` describes, as the domain reads it (immutable)."""
    return Practice(
        categories=tuple(Category(c.id) for c in playbook.categories),
        severities=tuple(Severity(s.id) for s in playbook.severities),
        triggers=tuple(Trigger(t.id) for t in playbook.triggers),
        playbooks={
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
                plan=(
                    SuggestedPlan(c.plan.title, tuple((s.step, s.within_hours) for s in c.plan.steps))
                    if c.plan
                    else None
                ),
            )
            for c in playbook.categories
        },
        kind_labels={EscalationKind(k.id): (k.label, k.description) for k in playbook.escalation_kinds},
        severity_labels={Severity(s.id): (s.label, s.description) for s in playbook.severities},
        trigger_labels={Trigger(t.id): t.label for t in playbook.triggers},
        trigger_rules={
            Trigger(t.id): TriggerRule(
                minimum_severity=t.effects.minimum_severity,
                suggests_category=t.effects.suggests_category,
                private_channel=t.effects.private_channel,
                managers_told=t.effects.managers_told,
                executive_involved=t.effects.executive_involved,
                ack_within_minutes=t.effects.ack_within_minutes,
                invite_groups=t.effects.invite_groups,
                note=t.effects.note,
            )
            for t in playbook.triggers
        },
        guidance={"at_once": playbook.guidance.at_once, "do_not": playbook.guidance.do_not},
        cause_areas={a.id: a.label for a in playbook.cause_areas},
        services={s.id: s.label for s in playbook.services},
        tags={t.id: t.label for t in playbook.tags},
        task_force_groups=tuple(g.removeprefix("@") for g in playbook.task_force.groups),
        approvals={
            step: ApprovalRule(entry.approvers, entry.accounts_above)
            for step in ("concession", "customer_rca")
            if (entry := getattr(playbook.approvals, step)) is not None
        },
        concession_kinds={k.id: k.label for k in playbook.concession_kinds},
        owner_groups={s.id: s.owners.removeprefix("@") for s in playbook.severities if s.owners},
        task_force_after={
            severity: timedelta(hours=hours) for severity, hours in playbook.task_force.after_hours.items()
        },
        severity_calendars={Severity(s.id): playbook.calendar(s.calendar) for s in playbook.severities},
        rca_calendar=playbook.calendar(playbook.rca_calendar),
        first_contact_within=timedelta(minutes=playbook.first_customer_contact_within_minutes),
        ack_minutes={
            s.id: s.ack_within_minutes for s in playbook.severities if s.ack_within_minutes is not None
        },
        update_hours={
            s.id: s.update_within_hours for s in playbook.severities if s.update_within_hours is not None
        },
        judgement=JudgementRules(
            enterprise_above=playbook.judgement.enterprise_above,
            health_below=playbook.judgement.health_below,
            fall_within=timedelta(days=playbook.judgement.fall_within_days),
            missed_qbrs=playbook.judgement.missed_qbrs,
            suggests=MappingProxyType(dict(playbook.judgement.suggests)),
        ),
    )


def form_questions_of(questions: IntakeQuestions) -> FormQuestions:
    """The intake form `questions` describe (labels and the team's own questions), immutable."""
    return FormQuestions(
        labels={str(question): label for question, label in questions.labels.items()},
        custom=tuple(
            CustomQuestion(
                q.id, q.label, q.type, q.required, q.max_length, tuple(o.id for o in q.options), q.hint
            )
            for q in questions.custom_fields
        ),
        choice_labels={(q.id, o.id): o.label for q in questions.custom_fields for o in q.options},
    )

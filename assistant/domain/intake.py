"""The intake form: what a CSM submits, and the rules it must meet.

Plain data and functions; the Slack modal is parsed into `IntakeForm` by
`assistant.listeners.intake` and rendered from `messages/templates`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from assistant.domain.accounts import account_key
from assistant.domain.contacts import CUSTOMER_LANGUAGES, Contact, parse_contacts, zone_problem
from assistant.domain.money import Money, parse_money
from assistant.domain.practice import Category, Practice, Severity, Trigger
from assistant.domain.sentences import N_, Problem, Sentence, joined, said

SUMMARY_MAX = 150
ACCOUNT_MAX = 120
DESCRIPTION_MAX = 2500
URL_MAX = 2000
MAX_STAKEHOLDERS = 30
# Other accounts one case may list (Slack's multi-select shows this many at most, comfortably).
MAX_AFFECTED_ACCOUNTS = 50


class LinkKind(StrEnum):
    TICKET = "ticket"
    CRM = "crm"
    PROBLEM_RECORD = "problem_record"
    SOURCE = "source"


LINK_LABELS: dict[LinkKind, str] = {
    LinkKind.TICKET: N_("intake.ticket"),
    LinkKind.CRM: N_("intake.crm_record"),
    LinkKind.PROBLEM_RECORD: N_("intake.problem_record"),
    LinkKind.SOURCE: N_("intake.source_message"),
}


@dataclass
class IntakeForm:
    account: str
    summary: str
    description: str
    category: Category | None
    severity: Severity | None
    owner_id: str | None
    account_value_text: str = ""
    triggers: list[Trigger] = field(default_factory=list)
    stakeholder_ids: list[str] = field(default_factory=list)
    links: dict[LinkKind, str] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)  # the team's own questions, by id
    # The customer's people: "Name <e-mail>, role" lines, their language and time zone.
    contacts_text: str = ""
    contact_locale: str | None = None
    contact_zone: str | None = None
    # Other accounts the same problem hits (names from the directory).
    affected_accounts: list[str] = field(default_factory=list)
    # The team's services it affects (ids of the playbook's register).
    affected_services: list[str] = field(default_factory=list)
    # Internal tags (ids of the playbook's register).
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ValidIntake:
    account: str
    summary: str
    description: str
    category: Category
    severity: Severity
    owner_id: str
    account_value: Money | None  # as typed: an amount and its currency
    triggers: tuple[Trigger, ...]
    stakeholder_ids: tuple[str, ...]
    links: tuple[tuple[LinkKind, str], ...]
    custom: tuple[tuple[str, str], ...] = ()
    contacts: tuple[Contact, ...] = ()
    affected_accounts: tuple[str, ...] = ()
    affected_services: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


class IntakeField(StrEnum):
    """Which form field an error belongs to (the flow maps these to block ids)."""

    ACCOUNT = "account"
    ACCOUNT_VALUE = "account_value"
    SUMMARY = "summary"
    DESCRIPTION = "description"
    CATEGORY = "category"
    SEVERITY = "severity"
    OWNER = "owner"
    STAKEHOLDERS = "stakeholders"
    TRIGGERS = "triggers"
    LINK_TICKET = "link_ticket"
    LINK_CRM = "link_crm"
    LINK_PROBLEM_RECORD = "link_problem_record"
    LINK_SOURCE = "link_source"
    CONTACTS = "contacts"
    CONTACT_LANGUAGE = "contact_language"
    CONTACT_ZONE = "contact_zone"
    AFFECTED_ACCOUNTS = "affected_accounts"
    AFFECTED_SERVICES = "affected_services"
    TAGS = "tags"


LINK_FIELDS: dict[LinkKind, IntakeField] = {
    LinkKind.TICKET: IntakeField.LINK_TICKET,
    LinkKind.CRM: IntakeField.LINK_CRM,
    LinkKind.PROBLEM_RECORD: IntakeField.LINK_PROBLEM_RECORD,
    LinkKind.SOURCE: IntakeField.LINK_SOURCE,
}


def _single_line(text: str) -> str:
    return " ".join(text.split())


def validate_intake(
    form: IntakeForm, practice: Practice, default_currency: str = "USD"
) -> tuple[ValidIntake | None, dict[IntakeField, Sentence]]:
    """Check the form against the rules (and the practice's: a category's usual severity);
    return the clean intake or the errors by field."""
    errors: dict[IntakeField, Sentence] = {}
    account = _single_line(form.account)
    summary = _single_line(form.summary)
    description = form.description.strip()

    if not account:
        errors[IntakeField.ACCOUNT] = said("intake.name_customer_account")
    elif len(account) > ACCOUNT_MAX:
        errors[IntakeField.ACCOUNT] = said("intake.keep_account_name_under_num", num=ACCOUNT_MAX)
    if not summary:
        errors[IntakeField.SUMMARY] = said("intake.write_one_line_summary_problem")
    elif len(summary) > SUMMARY_MAX:
        errors[IntakeField.SUMMARY] = said(
            "intake.keep_summary_one_line_at_most_num",
            num=SUMMARY_MAX,
            has=len(summary),
        )
    if not description:
        errors[IntakeField.DESCRIPTION] = said("intake.describe_what_happening_impact")
    elif len(description) > DESCRIPTION_MAX:
        errors[IntakeField.DESCRIPTION] = said(
            "intake.keep_under_num_characters_link",
            num=DESCRIPTION_MAX,
            has=len(description),
        )
    if form.category is None:
        errors[IntakeField.CATEGORY] = said("intake.choose_category")
    severity = form.severity
    usual = practice.playbook(form.category).default_severity if form.category is not None else None
    if severity is None and usual:
        severity = Severity(usual)  # the category's usual one
    if severity is None:
        errors[IntakeField.SEVERITY] = said("intake.choose_severity")
    if not form.owner_id:
        errors[IntakeField.OWNER] = said("intake.name_one_person_who_owns_case")

    account_value: Money | None = None
    try:
        account_value = parse_money(form.account_value_text, default_currency)
    except Problem as exc:
        errors[IntakeField.ACCOUNT_VALUE] = exc.sentence

    stakeholders = list(dict.fromkeys(form.stakeholder_ids))
    if len(stakeholders) > MAX_STAKEHOLDERS:
        errors[IntakeField.STAKEHOLDERS] = said(
            "intake.involve_at_most_num_people_here", num=MAX_STAKEHOLDERS
        )

    links: list[tuple[LinkKind, str]] = []
    for kind, url in form.links.items():
        url = url.strip()
        if not url:
            continue
        if len(url) > URL_MAX:
            errors[LINK_FIELDS[kind]] = said("intake.links_can_at_most_num_characters", num=URL_MAX)
        elif not re.match(r"^https?://[^\s<>|]+$", url, re.IGNORECASE):
            errors[LINK_FIELDS[kind]] = said("intake.enter_web_address_starting_https")
        else:
            links.append((kind, url))

    affected = [a for a in dict.fromkeys(_single_line(a) for a in form.affected_accounts) if a]
    affected = [a for a in affected if account_key(a) != account_key(account)]  # the case's own, once
    if len(affected) > MAX_AFFECTED_ACCOUNTS:
        errors[IntakeField.AFFECTED_ACCOUNTS] = said(
            "intake.list_at_most_num_other_accounts_here",
            num=MAX_AFFECTED_ACCOUNTS,
        )

    services = list(dict.fromkeys(form.affected_services))
    unknown = [s for s in services if s not in practice.services]
    if unknown:  # the register changed while the form was open, or another system sent it
        errors[IntakeField.AFFECTED_SERVICES] = said(
            "intake.services_not_in_register", services=", ".join(unknown)
        )

    tags = list(dict.fromkeys(form.tags))
    unknown_tags = [t for t in tags if t not in practice.tags]
    if unknown_tags:
        errors[IntakeField.TAGS] = said("intake.tags_not_in_register", tags=", ".join(unknown_tags))

    contacts = _contacts(form, errors)
    if errors:
        return None, errors
    assert form.category is not None
    assert severity is not None
    assert form.owner_id
    return (
        ValidIntake(
            account=account,
            summary=summary,
            description=description,
            category=form.category,
            severity=severity,
            owner_id=form.owner_id,
            account_value=account_value,
            triggers=tuple(dict.fromkeys(form.triggers)),
            stakeholder_ids=tuple(s for s in stakeholders if s != form.owner_id),
            links=tuple(links),
            contacts=tuple(contacts),
            affected_accounts=tuple(affected),
            affected_services=tuple(services),
            tags=tuple(tags),
        ),
        {},
    )


def _contacts(form: IntakeForm, errors: dict[IntakeField, Sentence]) -> list[Contact]:
    """The contacts typed, in the language and zone chosen for them (each problem by field)."""
    if not form.contacts_text.strip():
        return []
    locale = form.contact_locale if form.contact_locale in CUSTOMER_LANGUAGES else None
    if locale is None:
        errors[IntakeField.CONTACT_LANGUAGE] = said("intake.choose_language_contacts_written")
    zone = form.contact_zone or ""
    problem = zone_problem(zone) if zone else said("intake.choose_contacts_time_zone_times_we")
    if problem:
        errors[IntakeField.CONTACT_ZONE] = problem
    contacts, problems = parse_contacts(form.contacts_text, locale=locale or "en", tz=zone or "UTC")
    if problems:
        errors[IntakeField.CONTACTS] = joined(*problems[:3], between=" ")
    return contacts


@dataclass(frozen=True)
class PersonFacts:
    """What Slack tells us about a person, for the rules that concern people."""

    user_id: str
    exists: bool = True
    is_bot: bool = False
    deleted: bool = False


# The roles a person is checked for, as the sentences name them.
ROLES = {"owner": N_("intake.role_owner"), "stakeholder": N_("intake.role_stakeholder")}


def person_problem(person: PersonFacts, role: str) -> Sentence | None:
    """Why this person cannot take `role` (owner, stakeholder), or None."""
    if not person.exists:
        return said("intake.person_not_workspace_choose_someone", role=said(ROLES[role]))
    if person.is_bot or person.user_id == "USLACKBOT":
        return said("intake.bot_cannot_role_choose_person", role=said(ROLES[role]))
    if person.deleted:
        return said("intake.account_deactivated_choose_active", role=said(ROLES[role]))
    return None


CUSTOM_PREFIX = "custom_"


def custom_block_id(question_id: str) -> str:
    """The modal block of a team's own question (never the same as a built-in one)."""
    return f"{CUSTOM_PREFIX}{question_id}"


@dataclass(frozen=True)
class CustomQuestion:
    id: str
    label: str
    type: str  # text, number or choice
    required: bool
    max_length: int
    options: tuple[str, ...] = ()
    hint: str | None = None


def check_custom_answers(
    questions: Sequence[CustomQuestion], answers: Mapping[str, str]
) -> tuple[tuple[tuple[str, str], ...], dict[str, Sentence]]:
    """The team's own questions answered: (clean answers, {block id: problem})."""
    clean: list[tuple[str, str]] = []
    errors: dict[str, Sentence] = {}
    for question in questions:
        value = (
            _single_line(answers.get(question.id) or "")
            if question.type != "text"
            else (answers.get(question.id) or "").strip()
        )
        block = custom_block_id(question.id)
        if not value:
            if question.required:
                errors[block] = said("intake.answer_question_required", question=said(question.label))
            continue
        if len(value) > question.max_length:
            errors[block] = said("intake.keep_under_num_characters", num=question.max_length)
        elif question.type == "number" and not _is_number(value):
            errors[block] = said("intake.write_number_like_1200_1_200_50")
        elif question.type == "choice" and value not in question.options:
            errors[block] = said("intake.choose_one_options")
        else:
            clean.append((question.id, value))
    return tuple(clean), errors


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "").replace(" ", ""))
    except ValueError:
        return False
    return True


# The intake form's built-in labels (a team's flows/intake.yml may reword them).
DEFAULT_LABELS: dict[str, str] = {
    "account": N_("intake.account_customer"),
    "account_value": N_("intake.annual_contract_value_acv"),
    "summary": N_("intake.one_line_summary"),
    "description": N_("intake.what_happening_customer_impact"),
    "category": N_("intake.category"),
    "severity": N_("intake.severity"),
    "owner": N_("intake.label_owner"),
}


def _frozen(mapping: Mapping[Any, str]) -> Mapping[Any, str]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class FormQuestions:
    """The intake form's labels and the team's own questions (flows/intake.yml), read once
    (assistant.content.playbook.form_questions_of); never changed."""

    labels: Mapping[str, str] = field(default_factory=lambda: _frozen(DEFAULT_LABELS))
    custom: tuple[CustomQuestion, ...] = ()
    # A choice's option label, by (question id, option id).
    choice_labels: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", _frozen({**DEFAULT_LABELS, **self.labels}))
        object.__setattr__(self, "custom", tuple(self.custom))
        object.__setattr__(self, "choice_labels", _frozen(self.choice_labels))

    def choice_label(self, question_id: str, option: str) -> str:
        return self.choice_labels.get((question_id, option), option)


def custom_answer_lines(questions: FormQuestions, answers: Mapping[str, str]) -> list[tuple[str, str]]:
    """(label, answer) for a case's answers, in the form's order (a question since removed last)."""
    known = {q.id: q for q in questions.custom}
    lines = [
        (q.label, questions.choice_label(q.id, answers[q.id])) for q in questions.custom if answers.get(q.id)
    ]
    return lines + [(key, value) for key, value in answers.items() if key not in known and value]


def tier_problem(
    owner_id: str | None, severity: str, members: list[str] | None, group: str, severity_label: str
) -> Sentence | None:
    """Support tiers: a case of this severity is owned by a member of its group (the playbook's
    severity `owners`); a group the workspace lacks (`members` None) restricts no one."""
    if not owner_id or members is None or owner_id in members:
        return None
    return said("intake.owner_outside_tier", severity=severity_label, group=f"@{group}")

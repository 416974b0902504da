"""Intake: `/escalate` and "Escalate this message" open the modal; submitting it opens a case."""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.models.blocks import Option

from assistant.components import Components
from assistant.content.customer_time import default_zone, zone_options
from assistant.content.i18n import _, current_locale, speaking
from assistant.content.registry import Content
from assistant.domain import intake as rules
from assistant.domain.contacts import CUSTOMER_LANGUAGES
from assistant.domain.intake import IntakeField, IntakeForm, LinkKind, ValidIntake
from assistant.domain.money import format_money
from assistant.domain.practice import Category, Practice, Severity, Trigger
from assistant.domain.slack_text import decode_slack_text, mentioned_users, message_text
from assistant.domain.triggers import trigger_effects
from assistant.ids import CaseAction, Shortcut, ViewId
from assistant.listeners.case_flow import in_their_language
from assistant.presenters.case_context import format_duration, guidance_words, message_permalink
from assistant.rendering.escape import UserText
from assistant.rendering.prefill import with_initial_values
from assistant.rendering.render import render_view
from assistant.services import accounts, judgement
from assistant.services.cases import Opened, open_case
from assistant.slack.client import QUICK_ERRORS, SLACK_ERRORS, error_code
from assistant.slack.people import Person, zone_of

logger = logging.getLogger(__name__)
T = TypeVar("T")
# Someone is filling the form: their choice is looked up before any case's provisioning
# ((0, case id, step) and (1, …)) and the Home tabs ((2,)).
CHOSEN_PERSON_PRIORITY = (0, 0, 0)


class IntakeMetadata(BaseModel):
    """Carried in the modal's private_metadata: where to answer the CSM."""

    origin_channel_id: str | None = None
    reply_url: str | None = None
    # Opened from a signal of the 24-hour judgement tier: the case is the CSM's answer to it.
    judgement_request_id: int | None = None

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> IntakeMetadata:
        try:
            return cls.model_validate_json(view.get("private_metadata") or "{}")
        except ValidationError:
            return cls()


def account_options(engine: Any, typed: str, *, new_allowed: bool = True) -> list[dict[str, Any]]:
    """Up to 20 accounts starting with what was typed (by name, alias or domain); first, what was
    typed as a new account (Slack's typeahead offers only what the app answers), unless the
    directory has it or only known accounts may be chosen."""
    typed = " ".join(typed.split())[: rules.ACCOUNT_MAX]
    found = accounts.suggest(engine, typed)
    options = []
    if new_allowed and typed and not any(accounts.goes_by(a, typed) for a in found):
        options.append(Option(value=typed, text=_("intake.name_new_account", name=typed)[:75]))
    for account in found:
        facts = [
            account.name,
            account.tier or "",
            format_money(account.contract_value, account.currency, current_locale()) or "",
        ]
        options.append(Option(value=account.name[:150], text=" · ".join(f for f in facts if f)[:75]))
    return [option.to_dict() for option in options]


@dataclasses.dataclass(frozen=True)
class AccountPrefill:
    """What the directory knows of the account an escalation is about, filled into the form."""

    name: str
    value: str = ""  # as typed: "USD 120000"
    category: str | None = None  # the category the signal suggests
    contacts: str = ""  # one per line
    language: str | None = None
    zone: str | None = None


def intake_modal(
    *,
    content: Content,
    metadata: IntakeMetadata,
    ack_within_minutes: int,
    summary: str = "",
    description: str = "",
    source_url: str | None = None,
    account: AccountPrefill | None = None,
) -> dict[str, Any]:
    """The intake form of `content` (its practice's categories, severities and triggers, and
    its intake questions)."""
    private_metadata = metadata.model_dump_json(exclude_none=True)
    if account is not None:
        return _render_intake_modal(
            content, private_metadata, ack_within_minutes, summary, description, source_url, account
        )
    # The /escalate form is the same every time but for where to answer and the text typed:
    # rendered and checked against Slack's limits once (it is 6 KB of Block Kit), then filled in.
    # One render at a time: the first commands after a start (ten at once) wait for one render of
    # the form instead of each compiling and rendering it under the GIL (a second, measured).
    with _BLANK_RENDER:
        blank = _blank_intake_modal(content, ack_within_minutes, current_locale())
    filled = with_initial_values(
        blank,
        {
            IntakeField.SUMMARY: UserText(summary),
            IntakeField.DESCRIPTION: UserText(description),
            IntakeField.LINK_SOURCE: UserText(source_url) if source_url else None,
        },
    )
    return {**filled, "private_metadata": private_metadata}


_BLANK_RENDER = threading.Lock()


@functools.lru_cache(maxsize=16)
def _blank_intake_modal(content: Content, ack_within_minutes: int, locale: str) -> dict[str, Any]:
    """Keyed on the Content itself (a new one, with a team's own templates or questions, is new)."""
    with speaking(locale):
        return _render_intake_modal(content, "", ack_within_minutes, "", "", None)


def _render_intake_modal(
    content: Content,
    private_metadata: str,
    ack_within_minutes: int,
    summary: str,
    description: str,
    source_url: str | None,
    account: AccountPrefill | None = None,
) -> dict[str, Any]:
    account = account or AccountPrefill("")
    practice, questions = content.practice, content.questions
    return render_view(
        "intake_modal.json.j2",
        callback_id=ViewId.INTAKE.value,
        private_metadata=private_metadata,
        field=IntakeField,
        limits={
            "account": rules.ACCOUNT_MAX,
            "summary": rules.SUMMARY_MAX,
            "description": rules.DESCRIPTION_MAX,
            "stakeholders": rules.MAX_STAKEHOLDERS,
            "affected_accounts": rules.MAX_AFFECTED_ACCOUNTS,
        },
        prefill={
            "summary": UserText(summary),
            "description": UserText(description),
            "source_url": UserText(source_url) if source_url else None,
            "account": UserText(account.name) if account.name else None,
            "account_value": UserText(account.value) if account.value else None,
            "category": account.category,
            "contacts": UserText(account.contacts) if account.contacts else None,
            "zone": account.zone,
        },
        # The practice's words are translated like ours (a team's own stay as written unless
        # their catalog has them).
        guidance=guidance_words(practice),
        ack_within=format_duration(ack_within_minutes),
        categories=[
            {
                "value": c.value,
                "label": _(practice.playbook(c).label),
                "description": _(practice.playbook(c).when),
            }
            for c in practice.categories
        ],
        severities=[
            {
                "value": s.value,
                "label": _(practice.severity_label(s)),
                "description": _(practice.severity_description(s)),
            }
            for s in practice.severities
        ],
        triggers=[{"value": t.value, "label": _(practice.trigger_label(t))} for t in practice.triggers],
        services=[{"value": i, "label": _(label)} for i, label in practice.services.items()],
        languages=[{"value": code, "label": label} for code, label in CUSTOMER_LANGUAGES.items()],
        language=account.language or (current_locale() if current_locale() in CUSTOMER_LANGUAGES else "en"),
        zones=zone_options(account.zone),
        severity_defaults=severity_defaults(practice),
        labels={question: _(label) for question, label in questions.labels.items()},
        custom=[
            {
                "block_id": rules.custom_block_id(q.id),
                "label": _(q.label),
                "type": q.type,
                "required": q.required,
                "max_length": q.max_length,
                "hint": _(q.hint) if q.hint else None,
                "options": [
                    {"value": option, "label": _(questions.choice_label(q.id, option))}
                    for option in q.options
                ],
            }
            for q in questions.custom
        ],
    )


def severity_defaults(practice: Practice) -> str | None:
    """The hint under the severity when categories have a usual one (then it may be left empty)."""
    defaults = [
        f"{_(p.label)}: {_(practice.severity_label(p.default_severity))}"
        for p in map(practice.playbook, practice.categories)
        if p.default_severity
    ]
    if not defaults:
        return None
    return _("intake.left_empty_category_usual_severity", defaults=", ".join(defaults))[:150]


def parse_intake(view: dict[str, Any], content: Content) -> IntakeForm:
    """The submitted modal as a typed form (option values `content`'s practice does not have are
    treated as missing)."""
    practice = content.practice
    values = view["state"]["values"]

    def element(block_id: str) -> dict[str, Any]:
        return values.get(block_id, {}).get(block_id, {}) or {}

    def text(block_id: str) -> str:
        return element(block_id).get("value") or ""

    def option(block_id: str) -> str | None:
        return (element(block_id).get("selected_option") or {}).get("value")

    def choice(ids: type[Category] | type[Severity], known: tuple[str, ...], f: IntakeField) -> Any:
        value = option(f)
        return ids(value) if value in known else None

    triggers = [
        Trigger(o["value"])
        for o in element(IntakeField.TRIGGERS).get("selected_options") or []
        if o.get("value") in practice.triggers
    ]
    links = {kind: text(field) for kind, field in rules.LINK_FIELDS.items()}
    # A team's own question: typed text, or the chosen option.
    custom = {
        q.id: text(rules.custom_block_id(q.id)) or option(rules.custom_block_id(q.id)) or ""
        for q in content.questions.custom
    }
    return IntakeForm(
        custom=custom,
        # The option chosen in the typeahead: its value is the account's name (or the new name typed).
        account=option(IntakeField.ACCOUNT) or text(IntakeField.ACCOUNT),
        account_value_text=text(IntakeField.ACCOUNT_VALUE),
        summary=text(IntakeField.SUMMARY),
        description=text(IntakeField.DESCRIPTION),
        category=choice(Category, practice.categories, IntakeField.CATEGORY),
        severity=choice(Severity, practice.severities, IntakeField.SEVERITY),
        owner_id=element(IntakeField.OWNER).get("selected_user"),
        triggers=triggers,
        stakeholder_ids=list(element(IntakeField.STAKEHOLDERS).get("selected_users") or []),
        links={LinkKind(k): v for k, v in links.items()},
        contacts_text=text(IntakeField.CONTACTS),
        contact_locale=option(IntakeField.CONTACT_LANGUAGE),
        contact_zone=option(IntakeField.CONTACT_ZONE),
        affected_accounts=[
            o["value"] for o in element(IntakeField.AFFECTED_ACCOUNTS).get("selected_options") or []
        ],
        affected_services=[
            o["value"] for o in element(IntakeField.AFFECTED_SERVICES).get("selected_options") or []
        ],
    )


def owner_tier_error(services: Components, owner_id: str | None, severity: str | None) -> str | None:
    """The playbook's support tier for the case's severity, asked of Slack within its 3 seconds
    (the groups are cached for minutes); if Slack is slow, the owner stands."""
    practice = services.content.practice
    group = practice.owner_groups.get(str(severity)) if severity else None
    if not group or not owner_id:
        return None
    try:
        members = services.provisioner.groups.members(group, client=services.quick_client)
    except QUICK_ERRORS as exc:
        logger.warning("could not read the owners' group %s (%s); the owner stands", group, error_code(exc))
        return None
    problem = rules.tier_problem(
        owner_id, str(severity), members, group, _(practice.severity_label(str(severity))).lower()
    )
    return _(problem) if problem else None


def people_errors(
    services: Components, owner_id: str | None, stakeholder_ids: list[str]
) -> dict[IntakeField, str]:
    """Refuse an owner (or stakeholder) who is a bot, deactivated or unknown. The intake form's
    were looked up as they were chosen (look_up_chosen): Slack is asked now only of someone who
    was not (chosen on another instance, or long ago)."""
    if not owner_id and not stakeholder_ids:
        return {}
    ids = [*([owner_id] if owner_id else []), *stakeholder_ids]
    try:
        people = services.people.get_many(ids, client=services.quick_client)
    except QUICK_ERRORS as exc:
        # Slack is too slow to answer within its own 3 seconds: the case is saved all the same,
        # and the owner is checked again after the answer (provisioning tells the CSM if it fails).
        logger.warning(
            "could not check the people on an intake (%s); checked again after ack", error_code(exc)
        )
        return {}
    errors: dict[IntakeField, str] = {}
    problem = rules.person_problem(people[owner_id].facts, "owner") if owner_id else None
    if problem:
        errors[IntakeField.OWNER] = _(problem)
    refused = [
        p for p in (people[s] for s in stakeholder_ids) if rules.person_problem(p.facts, "stakeholder")
    ]
    if refused:
        names = ", ".join(p.name for p in refused)
        errors[IntakeField.STAKEHOLDERS] = _("intake.remove_names_only_active_people_can", names=names)
    return errors


def open_intake(
    client: WebClient, command: dict[str, Any], ack_within_minutes: int, content: Content
) -> None:
    """The intake modal for `/escalate [summary]`, prefilled with the command's text (decoded)."""
    text = decode_slack_text((command.get("text") or "").strip())
    metadata = IntakeMetadata(
        origin_channel_id=command.get("channel_id"), reply_url=command.get("response_url")
    )
    client.views_open(
        trigger_id=command["trigger_id"],
        view=intake_modal(
            content=content,
            metadata=metadata,
            ack_within_minutes=ack_within_minutes,
            summary=text[: rules.SUMMARY_MAX],
        ),
    )


# Lookups made before the modal opens share the trigger's 3 seconds: at most this long, then
# the prefill does without (a mention keeps Slack's label, the link field stays empty).
PREFILL_LOOKUP_SECONDS = 1.0
MAX_NAMES_LOOKED_UP = 10
PREFILL_LOOKUP_ERRORS: tuple[type[Exception], ...] = (TimeoutError, *QUICK_ERRORS)


def _within(pool: ThreadPoolExecutor, seconds: float, lookup: Callable[[], T], fallback: T) -> T:
    try:
        return pool.submit(lookup).result(timeout=seconds)
    except PREFILL_LOOKUP_ERRORS:
        return fallback


def suggested_accounts(
    services: Components, body: dict[str, Any], *, new_allowed: bool = True
) -> list[dict[str, Any]]:
    """A typeahead's options for what the person typed, in their language."""
    with speaking(lambda: services.people.locale((body.get("user") or {}).get("id"))):
        return account_options(services.engine, str(body.get("value") or ""), new_allowed=new_allowed)


def names_of(services: Components, user_ids: list[str]) -> dict[str, str]:
    """The names of the people mentioned: those known at once, then a bounded lookup of the rest
    (within our share of users.info's rate limit, which the paced work shares)."""
    people = services.people
    known = {u: p.name for u in user_ids if (p := people.cached(u)) is not None}
    missing = [u for u in user_ids if u not in known][:MAX_NAMES_LOOKED_UP]
    if missing:
        nobody: dict[str, Person] = {}
        found = _within(
            services.lookups,
            PREFILL_LOOKUP_SECONDS,
            lambda: people.get_many(missing, services.quick_client),
            nobody,
        )
        known |= {u: p.name for u, p in found.items() if p.facts.exists}
    return known


def permalink_of(services: Components, shortcut: dict[str, Any]) -> str | None:
    """The link to the message a shortcut was used on (None if Slack does not say it in time)."""
    message = shortcut.get("message") or {}
    channel_id = (shortcut.get("channel") or {}).get("id")
    ts = message.get("ts") or shortcut.get("message_ts")
    built = message_permalink(
        (shortcut.get("team") or {}).get("domain"), channel_id, ts, message.get("thread_ts")
    )
    if built or not (channel_id and ts):
        return built
    # An org-wide install has no team domain to build it from: Slack knows the link.
    answer = _within(
        services.lookups,
        PREFILL_LOOKUP_SECONDS,
        lambda: services.quick_client.chat_getPermalink(channel=channel_id, message_ts=ts),
        None,
    )
    return str(answer["permalink"]) if answer else None


def open_message_intake(services: Components, shortcut: dict[str, Any], client: WebClient) -> None:
    """The intake modal from a message: its whole content (decoded) and permalink prefilled."""
    message = shortcut.get("message") or {}
    # Mentions anywhere in it (text or attachments) become names.
    text = message_text(message, names_of(services, mentioned_users(json.dumps(message)))).strip()
    first_line = text.splitlines()[0] if text else ""
    channel_id = (shortcut.get("channel") or {}).get("id")
    metadata = IntakeMetadata(origin_channel_id=channel_id, reply_url=shortcut.get("response_url"))
    client.views_open(
        trigger_id=shortcut["trigger_id"],
        view=intake_modal(
            content=services.content,
            metadata=metadata,
            ack_within_minutes=services.settings.ack_within_minutes,
            summary=first_line[: rules.SUMMARY_MAX],
            description=text[: rules.DESCRIPTION_MAX],
            source_url=permalink_of(services, shortcut),
        ),
    )


def checked_intake(
    services: Components, view: dict[str, Any], user_id: str
) -> tuple[ValidIntake | None, dict[str, str]]:
    """The submitted form as a clean intake, or None and every problem by block, to show in the modal."""
    content = services.content
    form = parse_intake(view, content)
    if form.contacts_text.strip() and not form.contact_zone:
        # Contacts without a zone: the account's (its directory entry), else the CSM's own.
        account = accounts.find_account(services.engine, form.account) if form.account else None
        zone = default_zone(account.tz if account else None, zone_of(services.people.cached(user_id)))
        form = dataclasses.replace(form, contact_zone=zone)
    intake, problems = rules.validate_intake(form, content.practice, services.settings.default_currency)
    custom, custom_problems = rules.check_custom_answers(content.questions.custom, form.custom)
    # Every problem at once: the people are checked whatever else is wrong (from what was looked
    # up as they were chosen: Slack is not asked again before its answer).
    people = people_errors(services, form.owner_id, list(dict.fromkeys(form.stakeholder_ids)))
    errors = {**people, **{f: _(problem) for f, problem in problems.items()}}
    # The severity the case will have: the form's, raised by its triggers.
    severity = trigger_effects(content.practice, form.triggers, intake.severity).severity if intake else None
    tier = owner_tier_error(services, form.owner_id, severity) if IntakeField.OWNER not in errors else None
    if tier:
        errors[IntakeField.OWNER] = tier
    custom_errors = {block: _(problem) for block, problem in custom_problems.items()}
    unknown = accounts.unknown(services.engine, form.affected_accounts)
    if unknown:  # chosen from the directory, then removed from it while the form was open
        errors[IntakeField.AFFECTED_ACCOUNTS] = _(
            "intake.names_no_longer_account_directory", names=", ".join(unknown)
        )
    if errors or custom_errors or intake is None:
        return None, {f.value: message for f, message in errors.items()} | custom_errors
    return dataclasses.replace(intake, custom=custom), {}


def look_up_chosen(services: Components, user_ids: list[str]) -> None:
    """The people just chosen in the intake form, looked up in the background (the work queue,
    paced by Slack's limits), so the submission checks them without asking Slack."""
    for user_id in dict.fromkeys(user_ids):
        if user_id and services.people.cached(user_id) is None:
            services.work.submit(
                f"person:{user_id}",
                functools.partial(_look_up, services, user_id),
                priority=CHOSEN_PERSON_PRIORITY,
                method="users.info",
            )


def _look_up(services: Components, user_id: str) -> None:
    try:
        services.people.get(user_id)
    except SLACK_ERRORS as exc:
        logger.info(
            "could not look up a person chosen in an intake (%s): asked at the submission", error_code(exc)
        )


def store_intake(
    services: Components,
    intake: ValidIntake,
    metadata: IntakeMetadata,
    body: dict[str, Any],
    view: dict[str, Any],
) -> Opened:
    """The case stored (once per form: a resubmission finds it) and queued to open in Slack."""
    practice = services.content.practice
    opened = open_case(
        services.engine,
        intake=intake,
        practice=practice,
        reporter_id=body["user"]["id"],
        team_id=(body.get("team") or {}).get("id") or services.team_id,
        intake_view_id=view["id"],
        origin_channel_id=metadata.origin_channel_id,
        reply_url=metadata.reply_url,
        # The window of the severity the case opens at (a trigger may raise it, or shorten it).
        ack_within=services.ack_window(intake.triggers, intake.severity),
        policy=services.reminder_policy,
    )
    if opened.created and opened.case.id is not None:
        # Queued before the answer (in memory, instant): while this request is in flight the
        # queue waits for it, so cases are opened in Slack in the order they were stored.
        services.open_in_slack(opened.case)
    return opened


def after_intake_stored(services: Components, opened: Opened, metadata: IntakeMetadata, user_id: str) -> None:
    """Once Slack has its answer: the judgement signal answered, and the acknowledgement reminder set."""
    if opened.created and metadata.judgement_request_id is not None:
        judgement.answer(services.engine, metadata.judgement_request_id, user_id=user_id, escalated=True)
    if opened.created and opened.case.id is not None:
        logger.info("opened %s", opened.case.key)
        services.wake_for_acknowledgement(opened.case)


def register(app: App, services: Components) -> None:
    @app.options(IntakeField.ACCOUNT.value)
    def suggest_accounts(ack: Ack, body: dict[str, Any]) -> None:
        """The intake's typeahead: accounts from the directory, and what was typed as a new one."""
        ack(options=suggested_accounts(services, body))

    @app.options(IntakeField.AFFECTED_ACCOUNTS.value)
    def suggest_affected_accounts(ack: Ack, body: dict[str, Any]) -> None:
        """Other affected accounts: only the directory's (their CSMs and contacts are known)."""
        ack(options=suggested_accounts(services, body, new_allowed=False))

    @app.shortcut(Shortcut.ESCALATE_MESSAGE.value)
    @in_their_language(services.people)
    def handle_escalate_message(
        ack: Ack, body: dict[str, Any], shortcut: dict[str, Any], client: WebClient
    ) -> None:
        """Open the intake modal from a message: its whole content (decoded) and permalink prefilled."""
        ack()
        open_message_intake(services, shortcut, client)

    @app.action(IntakeField.OWNER.value)
    @app.action(IntakeField.STAKEHOLDERS.value)
    def look_up_people_chosen(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        """The owner or stakeholders chosen in the intake form (its fields dispatch an action)."""
        ack()
        if (body.get("view") or {}).get("callback_id") == ViewId.INTAKE.value:
            look_up_chosen(
                services, [action.get("selected_user") or "", *(action.get("selected_users") or [])]
            )

    @app.view(ViewId.INTAKE.value)
    @in_their_language(services.people)  # the form's language: the person was looked up to open it
    def handle_intake_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Validate in the modal, store the case, answer Slack, then open it in Slack."""
        intake, errors = checked_intake(services, view, body["user"]["id"])
        if intake is None:
            ack(response_action="errors", errors=errors)
            return
        metadata = IntakeMetadata.from_view(view)
        opened = store_intake(services, intake, metadata, body, view)
        ack()
        after_intake_stored(services, opened, metadata, body["user"]["id"])

    @app.action(CaseAction.OPEN_CHANNEL.value)
    def handle_open_channel(ack: Ack) -> None:
        """A link button: Slack opens the URL; we only acknowledge the click."""
        ack()

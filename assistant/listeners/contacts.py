"""Customer contacts: who at the customer hears from us, in their language, with times in their zone."""

from __future__ import annotations

from enum import StrEnum

from assistant.content.customer_time import default_zone, zone_label, zone_options
from assistant.content.i18n import N_, _, current_locale
from assistant.domain.contacts import (
    CUSTOMER_LANGUAGES,
    Contact,
    parse_contacts,
    zone_problem,
)
from assistant.listeners.case_flow import (
    Answers,
    FlowSpec,
    FlowStart,
    Submission,
    open_case_modal,
)
from assistant.models import Escalation
from assistant.presenters.case_context import case_context
from assistant.rendering.escape import UserText
from assistant.rendering.render import Message, render_message
from assistant.services import accounts, customer
from assistant.services.cases import get_case
from assistant.slack.client import QUICK_ERRORS
from assistant.slack.connect import shared_channel
from assistant.slack.people import zone_of

# flows/contacts.yml
FLOW = "contacts"


class Field(StrEnum):
    CONTACTS = "contacts"
    LANGUAGE = "contact_language"
    ZONE = "contact_zone"
    CONNECT = "connect_channel"


NEEDED = N_("contacts.add_contact_choose_customer_slack")
# Where the checked channel's name is kept among the answers, for the change.
CONNECT_NAME = "connect_channel_name"


def contact_lines(contacts: list[Contact]) -> str:
    """One line each: "Ana Souza <ana@…> (CTO) · Português (Brasil) · Brazil (São Paulo) Time"."""
    return "\n".join(
        " · ".join(
            [
                c.address + (f" ({c.role})" if c.role else ""),
                CUSTOMER_LANGUAGES.get(c.locale, c.locale),
                zone_label(c.tz),
            ]
        )
        for c in contacts
    )


def language_options() -> list[dict[str, str]]:
    return [{"value": code, "label": label} for code, label in CUSTOMER_LANGUAGES.items()]


def open_flow(start: FlowStart) -> None:
    known = customer.contacts_of(start.components.engine, start.case.id or 0)
    # The zone the contacts' times are written in, chosen already: the contacts' so far, else the
    # account's, else the CSM's own.
    account = accounts.find_account(start.components.engine, start.case.account_name)
    people = start.components.people
    reporter = people.cached(start.case.reporter_id)
    if reporter is None:
        try:
            reporter = people.get(start.case.reporter_id, start.components.quick_client)
        except QUICK_ERRORS:
            reporter = None  # Slack is slow: the zone is left for the person to choose
    zone = default_zone(known[0].tz if known else None, account.tz if account else None, zone_of(reporter))
    open_case_modal(
        start,
        "contacts_modal.json.j2",
        Field,
        known=UserText(contact_lines(known)) if known else None,
        languages=language_options(),
        language=known[0].locale
        if known
        else (current_locale() if current_locale() in CUSTOMER_LANGUAGES else "en"),
        zones=zone_options(zone),
        zone=zone,
        connect=start.case.connect_channel_id,
    )


def read(answers: Answers) -> tuple[list[Contact], dict[str, str]]:
    locale = answers.get(Field.LANGUAGE) or "en"
    zone = answers.get(Field.ZONE) or ""
    errors: dict[str, str] = {}
    if not answers.text(Field.CONTACTS):
        if not answers.get(Field.CONNECT):
            errors[Field.CONTACTS.value] = _(NEEDED)
        return [], errors
    if not zone:
        errors[Field.ZONE.value] = _("contacts.choose_contacts_time_zone_times_we")
    elif problem := zone_problem(zone):
        errors[Field.ZONE.value] = _(problem)
    contacts, problems = parse_contacts(answers.text(Field.CONTACTS), locale=locale, tz=zone or "UTC")
    if problems:
        errors[Field.CONTACTS.value] = " ".join(_(p) for p in problems[:3])
    return contacts, errors


def check(sub: Submission, answers: Answers) -> dict[str, str]:
    errors = read(answers)[1]
    channel_id = answers.get(Field.CONNECT)
    if channel_id and channel_id != sub.case.connect_channel_id:
        # Asked before Slack has its answer: the person sees the problem next to the field.
        name, problem = shared_channel(sub.components.quick_client, channel_id)
        if problem:
            errors[Field.CONNECT.value] = problem
        else:
            answers.replace(CONNECT_NAME, name)
    return errors


def apply(sub: Submission, answers: Answers) -> Escalation:
    contacts, _errors = read(answers)
    channel_id = answers.get(Field.CONNECT)
    linked = (channel_id, answers.get(CONNECT_NAME)) if answers.get(CONNECT_NAME) else None
    customer.save_contacts(
        sub.components.engine, sub.ref.case_id, contacts, sub.actor, linked, team_answers=answers.teams()
    )
    return get_case(sub.components.engine, sub.ref.case_id)


def announce(sub: Submission, answers: Answers, case: Escalation) -> Message:
    contacts, _errors = read(answers)
    return render_message(
        "contacts_added.json.j2",
        case=case_context(case),
        actor=sub.actor,
        added=len(contacts),
        contacts=UserText(contact_lines(contacts)),
        connect=case.connect_channel_id if answers.get(CONNECT_NAME) else None,
    )


SPEC = FlowSpec(flow=FLOW, refusal_field=Field.CONTACTS, check=check, apply=apply, announce=announce)

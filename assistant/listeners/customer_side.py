"""The customer's side of an owner flow's modal: whom the draft is written for, and how it is sent.

A case with contacts gets its drafts in the first contact's language, its times in
the contact's zone; without contacts, in the owner's. The routes offered are those
that can reach the customer now (e-mail needs contacts and SMTP set up).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any

from sqlmodel import Session

from assistant.components import Components
from assistant.content.customer_time import customer_time_phrase
from assistant.content.i18n import N_, _, current_locale, speaking
from assistant.domain.communications import (
    Purpose,
    Route,
    default_promise,
    local_time_phrase,
    names_another_customer,
)
from assistant.domain.contacts import CUSTOMER_LANGUAGES, Contact
from assistant.listeners.case_flow import text_value
from assistant.models import Account, Escalation
from assistant.rendering.escape import UserText, escape_mrkdwn
from assistant.services import accounts, customer
from assistant.services.customer import Outgoing
from assistant.slack.people import zone_of

SEND_BY = "send_by"
SENT_HOW = "sent_how"
SENT_AT = "sent_at"
# What the other affected accounts are told (shown when the case has some the route reaches).
OTHERS = "others_message"

ROUTE_LABELS: dict[Route, str] = {
    Route.EMAIL: N_("customer_side.e_mail_recipients"),
    Route.SLACK_CONNECT: N_("customer_side.post_as_you_customer_slack_connect"),
    Route.MYSELF: N_("customer_side.i_sent_myself_phone_ticketing_system"),
    Route.INTERNAL: N_("customer_side.don_t_send_internal_note_keeps_no"),
}


@dataclass(frozen=True)
class Audience:
    """Who the customer text is for: its language, the zone its times are in, the routes to them."""

    contacts: list[Contact]
    locale: str
    tz: str | None
    routes: list[Route]
    connect_channel: str = ""
    # Other affected accounts with contacts: each gets its own e-mail, by itself.
    also_emailed: tuple[str, ...] = ()
    # The other affected accounts with contacts (each previewed in the modal, with its own letter).
    others: tuple[Account, ...] = ()
    # What names the case's own customer: none of it may reach the others.
    own_names: tuple[str, ...] = ()

    @property
    def for_contact(self) -> bool:
        return bool(self.contacts)

    def phrase(self, moment: datetime, now: datetime) -> str:
        """The promised time as the draft says it."""
        if self.for_contact:
            with speaking(self.locale):
                return customer_time_phrase(moment, self.tz, now)
        return local_time_phrase(moment, self.tz, now)

    def route_options(self) -> list[dict[str, str]]:
        values = {"recipients": ", ".join(c.address for c in self.contacts), "channel": self.connect_channel}
        # Slack shows at most 75 characters of an option's text.
        return [{"value": r.value, "label": (_(ROUTE_LABELS[r]) % values)[:75]} for r in self.routes]

    def email_preview(
        self,
        components: Components,
        case: Escalation,
        sender_id: str,
        purpose: Purpose = Purpose.UPDATE,
    ) -> dict[str, Any] | None:
        """How the e-mail will look, said in the modal (mrkdwn, escaped): from whom, to whom, which
        subject and language; and each other affected account's own letter. None when e-mail is
        not a way to this customer."""
        by_email = Route.EMAIL in self.routes and bool(components.settings.smtp_from)
        others = [other_letter_preview(case, account, purpose) for account in self.others]
        if not by_email and not others:
            return None
        own = self._own_preview(components, case, sender_id) if by_email else None
        return {"text": own, "others": others}

    def _own_preview(self, components: Components, case: Escalation, sender_id: str) -> str:
        sender = components.people.cached(sender_id)
        via = parseaddr(components.settings.smtp_from or "")[0]
        name = sender.name if sender else ""
        return _(
            "customer_side.e_mail_from_sender_recipients",
            sender=escape_mrkdwn(f"{name} via {via}" if via else name, 120),
            recipients=escape_mrkdwn(", ".join(c.address for c in self.contacts), 500),
            subject=escape_mrkdwn(f"[{case.key}] {case.summary}", 200),
            language=CUSTOMER_LANGUAGES.get(self.locale, self.locale),
        ) + (
            " "
            + _(
                "customer_side.accounts_get_letter_their_own_each",
                accounts=escape_mrkdwn(", ".join(self.also_emailed), 500),
            )
            if self.also_emailed
            else ""
        )

    def send_by(
        self, components: Components, case: Escalation, sender_id: str, purpose: Purpose
    ) -> dict[str, Any]:
        """What a modal's "How the customer gets it" needs (`f.send_by_input`): the ways, the one
        chosen first, and the e-mail's preview."""
        return {
            "routes": self.route_options(),
            "route": self.initial_route,
            "preview": self.email_preview(components, case, sender_id, purpose),
        }

    @property
    def initial_route(self) -> str:
        """The way that reaches the customer by itself, if there is one."""
        return next(r for r in (*self.routes, Route.MYSELF) if r != Route.INTERNAL).value


def audience_of(
    components: Components, case: Escalation, writer_id: str, *, internal: bool = False
) -> Audience:
    contacts = customer.contacts_of(components.engine, case.id or 0)
    routes = [Route.EMAIL] if contacts and components.settings.email_enabled else []
    if case.connect_channel_id:
        routes.append(Route.SLACK_CONNECT)
    routes.append(Route.MYSELF)
    if internal:
        routes.append(Route.INTERNAL)
    connect = case.connect_channel_name or case.connect_channel_id or ""
    # The other affected accounts a route of this case reaches: by e-mail their contacts, in
    # Slack Connect their own channel.
    affected = [
        a
        for a in accounts.affected_of(components.engine, case.id or 0)
        if (Route.EMAIL in routes and a.contacts) or (Route.SLACK_CONNECT in routes and a.connect_channel_id)
    ]
    also = tuple(a.name for a in affected)
    others = tuple(affected)
    own = tuple(own_customer_names(components, case)) if affected else ()
    if contacts:
        return Audience(contacts, contacts[0].locale, contacts[0].tz, routes, connect, also, others, own)
    writer_zone = zone_of(components.people.cached(writer_id))
    return Audience([], current_locale(), writer_zone, routes, connect, also, others, own)


def other_letter_preview(case: Escalation, account: Account, purpose: Purpose) -> dict[str, str]:
    """Another affected account's letter as the modal shows it (escaped for mrkdwn): to whom, in
    which language, its subject and how it opens, when the owner leaves the field empty (with the
    time the modal proposes)."""
    now = datetime.now(UTC)
    promise = default_promise(now) if purpose in (Purpose.ACKNOWLEDGEMENT, Purpose.UPDATE) else None
    text, subject = customer.affected_account_letter(account, purpose, "", promise, now)
    return {
        "account": escape_mrkdwn(account.name, 200),
        "recipients": escape_mrkdwn(
            ", ".join(
                [c["email"] for c in account.contacts]
                + (
                    [f"#{account.connect_channel_name or account.connect_channel_id}"]
                    if account.connect_channel_id
                    else []
                )
            ),
            300,
        ),
        "language": CUSTOMER_LANGUAGES.get(account.language or "en", account.language or "en"),
        "subject": escape_mrkdwn(f"[{case.key}] {subject}", 200),
        "opening": escape_mrkdwn(text, 400),
    }


def own_customer_names(components: Components, case: Escalation) -> list[str]:
    """What names any customer of the case: the text for the other accounts goes to each of them."""
    with Session(components.engine) as session:
        return customer.customer_names(session, case)


def outgoing_from(answers: Any, text_field: str) -> Outgoing:
    """What the modal's answers say to send, and how."""
    route = Route(answers.get(SEND_BY) or Route.MYSELF.value)
    sent_at = answers.get(SENT_AT) if route == Route.MYSELF else None
    return Outgoing(
        route,
        answers.text(text_field),
        how=answers.text(SENT_HOW),
        sent_at=sent_at,
        others_text=text_value(answers.view, OTHERS),
    )


def route_problem(answers: Any, audience: Audience, case: Escalation) -> dict[str, str]:
    """A route no longer possible (contacts removed, SMTP turned off since the modal opened), or a
    time sent that cannot be (in the future, or before the case was opened)."""
    chosen = answers.get(SEND_BY)
    if chosen and Route(chosen) not in audience.routes:
        return {SEND_BY: _("customer_side.way_sending_not_available_now_choose")}
    others = text_value(answers.view, OTHERS)
    if others and audience.own_names:
        named = names_another_customer(others, list(audience.own_names))
        if named:
            return {
                OTHERS: _(
                    "customer_side.text_goes_several_customers_each",
                    name=named[:80],
                )
            }
    sent_at = answers.get(SENT_AT)
    if chosen == Route.MYSELF and sent_at is not None:
        if sent_at > datetime.now(UTC) + timedelta(minutes=1):
            return {SENT_AT: _("customer_side.time_not_come_yet_say_when_you_sent")}
        if sent_at < case.created_at - timedelta(minutes=1):
            return {SENT_AT: _("customer_side.before_case_opened")}
    return {}


def sending_note(components: Components, case: Escalation, answers: Any) -> dict[str, Any]:
    """What the channel is told of the customer's side: how it goes out, to whom."""
    route = answers.get(SEND_BY) or Route.MYSELF.value
    recipients = ", ".join(c.address for c in customer.contacts_of(components.engine, case.id or 0))
    if route == Route.SLACK_CONNECT:
        recipients = f"#{case.connect_channel_name or case.connect_channel_id}"
    return {"route": route, "recipients": UserText(recipients), "how": UserText(answers.text(SENT_HOW))}


def survey_for(components: Components, case: Escalation) -> Outgoing | None:
    """The satisfaction survey, the way the customer hears from us: by e-mail to the contacts (with
    links to the survey page), else in their Slack Connect channel (with buttons); None without one."""
    contacts = customer.contacts_of(components.engine, case.id or 0)
    settings = components.settings
    if contacts and settings.email_enabled and settings.public_base_url:
        route = Route.EMAIL
    elif case.connect_channel_id:
        route = Route.SLACK_CONNECT
    else:
        return None
    with speaking(contacts[0].locale if contacts else components.content.default_locale):
        text = "\n\n".join(
            [
                _("customer_side.your_case_key_summary_closed") % {"key": case.key, "summary": case.summary},
                _("customer_side.how_did_we_do_choose_score_from_1"),
            ]
        )
    return Outgoing(route, text)

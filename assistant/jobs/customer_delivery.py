"""Delivering what the customer is told: claimed from the communication table, sent, settled once.

Its own thread, woken when something is queued and otherwise at the next retry (at
least every few seconds), so neither Slack's listeners nor the Slack work queue ever
wait for a mail server. Nothing lives only here: a restart finds every
communication not delivered in its table (a claim is a lease that runs out).
"""

from __future__ import annotations

import logging
import smtplib
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assistant.content.i18n import _, speaking
from assistant.customer import survey
from assistant.customer.mail import Letter, SmtpRefused, compose, new_message_id, parse_smtp_url, send
from assistant.domain.communications import Purpose, Route, affected_subject
from assistant.ids import CaseAction
from assistant.jobs.outbox import OutboxLoop
from assistant.jobs.supervision import Fault, Supervisor
from assistant.models import Account, CustomerCommunication, Escalation, SlackDelivery, utcnow
from assistant.presenters.case_context import case_context
from assistant.rendering.escape import UserText
from assistant.rendering.render import Message, render_message
from assistant.services import customer, deliveries
from assistant.settings import Settings
from assistant.slack.case_channel import CaseChannel
from assistant.slack.client import SLACK_ERRORS, error_code
from assistant.slack.people import People

logger = logging.getLogger(__name__)

IDLE_WAKE_SECONDS = 5.0
MAIL_ERRORS = (OSError, smtplib.SMTPException, SmtpRefused)


class ConnectRefused(Exception):
    """Slack refused the post in the customer's channel for good (until a person fixes it)."""


class CustomerDelivery(OutboxLoop):
    name = "customer-delivery"

    def __init__(
        self,
        *,
        engine: sa.Engine,
        settings: Settings,
        people: People,
        channel: CaseChannel,
        on_delivered: Callable[[Escalation], None] = lambda case: None,
        supervisor: Supervisor | None = None,
    ) -> None:
        super().__init__(supervisor)
        self.engine = engine
        self.settings = settings
        # One e-mail is several timed exchanges (connect, EHLO, STARTTLS, login, the message).
        self.item_seconds = settings.smtp_timeout_seconds * 6
        self.people = people
        self.channel = channel
        self.on_delivered = on_delivered

    def next_due(self) -> datetime | None:
        return customer.next_due(self.engine)

    def tick(self, limit: int = 20) -> int:
        """Deliver what is due; how many were claimed (a full batch means: look again)."""
        now = utcnow()
        rows = customer.claim_due(
            self.engine,
            worker=self.worker,
            now=now,
            lease=timedelta(seconds=self.settings.customer_lease_seconds),
            limit=limit,
        )
        for row in rows:
            # One communication that raises (a bug, data no rule foresaw) is recorded on itself and
            # backed off; the next one is delivered all the same.
            self.supervisor.handle(
                self.name,
                f"communication:{row.id}",
                partial(self._deliver, row),
                case_id=row.escalation_id,
                on_fault=partial(self._faulted, row),
            )
        return len(rows) if len(rows) >= limit else 0

    def _faulted(self, row: CustomerCommunication, fault: Fault) -> None:
        """Held back as the supervisor says (or parked); the owner hears it is not going out.
        A fault after the delivery (telling the channel) holds nothing back: it went out."""
        with Session(self.engine) as session:
            now = session.get(CustomerCommunication, row.id)
            case = session.get(Escalation, row.escalation_id)
        if now is None or now.delivered_at is not None:
            self.supervisor.resolve(self.name, f"communication:{row.id}")
            return
        customer.hold_after_fault(
            self.engine, row, worker=self.worker, next_try_at=fault.next_try_at, error=fault.error
        )
        if now.failure_told_at is None and case is not None and case.channel_id:
            self._tell_failure(case, row, fault.error)

    # -- one communication ---------------------------------------------------------

    def _deliver(self, row: CustomerCommunication) -> None:
        with Session(self.engine) as session:
            case = session.get(Escalation, row.escalation_id)
            earlier = list(
                session.exec(
                    select(CustomerCommunication.message_id)
                    .where(
                        CustomerCommunication.escalation_id == row.escalation_id,
                        CustomerCommunication.channel == Route.EMAIL.value,
                        # Each account's mailbox has its own thread of the case.
                        col(CustomerCommunication.account_id).is_(None)
                        if row.account_id is None
                        else CustomerCommunication.account_id == row.account_id,
                        col(CustomerCommunication.delivered_at).is_not(None),
                        col(CustomerCommunication.id) < (row.id or 0),
                    )
                    .order_by(col(CustomerCommunication.id))
                )
            )
        assert case is not None
        try:
            if row.channel == Route.SLACK_CONNECT:
                message_id = self._post_in_connect(case, row)
            else:
                message_id = self._send_email(case, row, [m for m in earlier if m])
        except ConnectRefused as exc:
            self._failed(case, row, f"Slack: {exc}")
            return
        except MAIL_ERRORS as exc:
            self._failed(case, row, _describe(exc))
            return
        except SLACK_ERRORS as exc:  # the sender's name could not be looked up: try again soon
            self._failed(case, row, f"Slack: {error_code(exc)}")
            return
        if customer.mark_delivered(self.engine, row, worker=self.worker, at=utcnow(), message_id=message_id):
            self._tell_channel(case.id or 0, row.id or 0)

    def _send_email(self, case: Escalation, row: CustomerCommunication, earlier: list[str]) -> str:
        assert self.settings.smtp_url is not None
        assert self.settings.smtp_from is not None
        sender = self.people.get(row.sent_by)
        message_id = row.message_id
        if message_id is None:
            message_id = new_message_id(self.settings.smtp_from, case.id or 0, row.id or 0)
            customer.remember_message_id(self.engine, row, message_id)
        subject = case.summary
        if row.account_id is not None:  # another affected account: its own subject, in its language
            with speaking(row.language):
                subject = row.subject or _(affected_subject(Purpose(row.purpose)))
        letter = Letter(
            case_key=case.key,
            summary=subject,
            text=row.text,
            owner_name=sender.name,
            owner_title=sender.title,
            owner_email=sender.email,
            recipients=list(row.recipients),
            locale=row.language,
            survey_links=self._survey_links(case) if row.purpose == Purpose.SURVEY else None,
        )
        message = compose(letter, sender=self.settings.smtp_from, message_id=message_id, earlier=earlier)
        send(
            parse_smtp_url(self.settings.smtp_url.get_secret_value()),
            message,
            timeout=self.settings.smtp_timeout_seconds,
        )
        return message_id

    def _post_in_connect(self, case: Escalation, row: CustomerCommunication) -> str:
        """Post in the customer's Slack Connect channel, as the person who sent it: once (the
        message carries its delivery key, so an attempt that reached Slack is found, not repeated)."""
        target = case.connect_channel_id
        if row.account_id is not None:  # another affected account: its own channel
            with Session(self.engine) as session:
                account = session.get(Account, row.account_id)
            target = account.connect_channel_id if account else None
        if not target:
            raise ConnectRefused("no Slack Connect channel is linked")
        sender = self.people.get(row.sent_by)
        with speaking(row.language):
            message = render_message(
                "customer_connect_message.json.j2",
                text=UserText(row.text),
                survey=case.id if row.purpose == Purpose.SURVEY else None,
                action_id=CaseAction.CUSTOMER_SATISFACTION.value,
            )
        key = f"communication:{row.id}:connect"
        posted = self.channel.once.post(
            key,
            target,
            lambda metadata: self.channel.post(
                target, message, metadata=metadata, username=sender.name, icon_url=sender.avatar or None
            ),
            case_id=case.id,
        )
        if posted is None:  # refused for good (not in the channel, archived): a person must act
            error = (deliveries.get(self.engine, key) or SlackDelivery(key=key, target=target)).last_error
            deliveries.try_again(self.engine, key)
            raise ConnectRefused(error or "refused")
        return f"slack:{posted.channel_id}:{posted.ts}"

    def _survey_links(self, case: Escalation) -> dict[int, str]:
        return survey.links(self.settings, case.id or 0)

    def _failed(self, case: Escalation, row: CustomerCommunication, error: str) -> None:
        # Never the message or the addresses in the log: customer text stays out of it.
        logger.warning("%s: customer e-mail %s not delivered yet (%s)", case.key, row.id, error)
        customer.retry_later(self.engine, row, worker=self.worker, error=error, now=utcnow())
        if row.failure_told_at is None and case.channel_id:
            self._tell_failure(case, row, error)

    def _tell_failure(self, case: Escalation, row: CustomerCommunication, error: str) -> None:
        message = render_message(
            "customer_delivery_failing.json.j2",
            case=case_context(case),
            owner=case.owner_id,
            recipients=UserText(", ".join(row.recipients)),
            error=UserText(error),
        )
        try:
            self.channel.post_in_case(case, message, key=f"communication:{row.id}:failing")
        except SLACK_ERRORS as exc:
            logger.warning(
                "%s: could not tell the channel (%s); told at the next failure", case.key, error_code(exc)
            )
            return
        customer.mark_failure_told(self.engine, row.id or 0, error)

    def _tell_channel(self, case_id: int, communication_id: int) -> None:
        """The channel sees what the customer was sent; the card shows the promise settled."""
        with Session(self.engine) as session:
            case = session.get(Escalation, case_id)
            row = session.get(CustomerCommunication, communication_id)
        if case is None or row is None:
            return
        if not case.channel_id or row.purpose == Purpose.SURVEY:
            # The survey goes out after close: the channel (archived by then) is left alone.
            self.on_delivered(case)
            return
        try:
            self.channel.post_in_case(
                case, sent_message(case, row), key=f"communication:{communication_id}:sent"
            )
            self.channel.refresh(case)
        except SLACK_ERRORS as exc:
            logger.warning("%s: could not tell the channel of a delivery (%s)", case.key, error_code(exc))
        self.on_delivered(case)


def sent_message(case: Escalation, row: CustomerCommunication) -> Message:
    return render_message(
        "customer_communication_sent.json.j2",
        case=case_context(case),
        route=row.channel,
        purpose=row.purpose,
        recipients=UserText(", ".join(row.recipients)),
        how=UserText(row.how),
        sent_by=row.sent_by,
        delivered_at=row.delivered_at,
        queued_at=row.queued_at,
        late=bool(row.keeps_promise_at and row.delivered_at and row.delivered_at > row.keeps_promise_at),
        text=UserText(row.text),
    )


def _describe(exc: BaseException) -> str:
    """A failure in a few words, never the message: 'connection refused', 'SMTP 451'."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"SMTP {exc.smtp_code}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "the mail server closed the connection"
    if isinstance(exc, ConnectionRefusedError):
        return "the mail server refused the connection"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "the mail server did not answer in time"
    if isinstance(exc, SmtpRefused):
        return str(exc)
    return type(exc).__name__

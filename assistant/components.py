"""The parts of a running app, built once by `create_components` and handed to the flows."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

import sqlalchemy as sa
from prometheus_client import CollectorRegistry
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from assistant.content.registry import Content, load_content
from assistant.database import make_engine, migrate
from assistant.domain.lifecycle import PromiseRules, ack_window
from assistant.domain.practice import Severity
from assistant.domain.reminders import ReminderPolicy
from assistant.domain.triggers import trigger_effects
from assistant.health import Heartbeat, InFlight
from assistant.jobs.action_items import ActionItemFollowUp
from assistant.jobs.customer_delivery import CustomerDelivery
from assistant.jobs.digest import DigestPoster
from assistant.jobs.home_tab import HomeTab
from assistant.jobs.judgement import JudgementAsker
from assistant.jobs.parked import tell_parked
from assistant.jobs.personal_reminders import PersonalReminders
from assistant.jobs.provisioning import Provisioner
from assistant.jobs.reminders import ReminderDispatcher
from assistant.jobs.supervision import Supervisor
from assistant.jobs.webhook_sender import WebhookSender
from assistant.jobs.work_queue import WorkQueue
from assistant.metrics import registry_for
from assistant.models import Escalation
from assistant.rendering.render import Message
from assistant.services import customer as customer_records
from assistant.services.events import when_webhooks_owed
from assistant.settings import Settings, SettingsError
from assistant.slack.case_channel import CaseChannel
from assistant.slack.client import SLACK_ERRORS, TRANSIENT_ERRORS, make_web_client
from assistant.slack.pacing import Pacer
from assistant.slack.people import People

logger = logging.getLogger(__name__)


@dataclass
class Components:
    settings: Settings
    # The content in effect (the playbook's practice, the intake form…), loaded once: what the
    # listeners and services hand the domain (`content.practice`).
    content: Content
    engine: sa.Engine
    client: WebClient
    # For calls made before Slack's 3-second acknowledgement: no retries, short time-out.
    quick_client: WebClient
    people: People
    provisioner: Provisioner
    # Our share of Slack's rate limits, and the queue of background Slack work paced by it:
    # bounded workers of its own, so a burst of cases never takes the threads that answer Slack.
    pacer: Pacer
    work: WorkQueue
    # Bolt's listener threads: they answer Slack and do a listener's short work after ack.
    listener_executor: ThreadPoolExecutor
    # Lookups a listener waits on for a second at most before it answers (the intake's prefill).
    lookups: ThreadPoolExecutor
    bot_user_id: str
    team_id: str | None
    reminder_policy: ReminderPolicy
    reminders: ReminderDispatcher
    home: HomeTab
    digest: DigestPoster
    action_items: ActionItemFollowUp
    personal_reminders: PersonalReminders
    heartbeat: Heartbeat
    # Slack's requests being answered now: opening cases waits for them (at most 2 s) in a burst.
    in_flight: InFlight
    # What the customer is told, delivered from its table (its own thread, started with e-mail set up).
    customer: CustomerDelivery
    # The 24-hour judgement tier: signals put to the account's CSM.
    judgement: JudgementAsker
    # Webhooks out, delivered from their outbox (their own thread).
    webhooks: WebhookSender
    # Every background loop and what became of its items (assistant/supervision.py).
    supervisor: Supervisor
    # What else was started for these parts and stops with them (the API's event loop).
    stops: list[Callable[[], None]] = field(default_factory=list)
    # What /metrics serves (assistant/metrics.py): set once the parts exist, since it reads them.
    metrics: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.metrics = registry_for(self)

    def promise_rules(self, severity: str | None = None) -> PromiseRules:
        """How soon and how far ahead a customer update may be promised: the settings, and the
        severity's update cadence (the playbook's `update_within_hours`) when it is shorter."""
        cadence = self.content.practice.update_hours.get(severity or "", 10**6)
        hours = min(self.settings.max_promise_hours, cadence)
        return PromiseRules(
            min_ahead=timedelta(minutes=self.settings.min_promise_minutes),
            max_ahead=timedelta(hours=hours),
        )

    def ack_window(self, triggers: Iterable[str], severity: Severity) -> timedelta:
        """The acknowledgement window of a case of this severity with these triggers (which may
        raise the severity or shorten the window)."""
        effects = trigger_effects(self.content.practice, triggers, severity)
        return ack_window(
            effects.severity,
            default_minutes=self.settings.ack_within_minutes,
            by_severity=self.settings.ack_within_minutes_by_severity,
            playbook_minutes=self.content.practice.ack_minutes,
            trigger_minutes=effects.ack_within_minutes,
        )

    def after_change(self, case: Escalation, message: Message) -> None:
        """A change to a case, wherever it came from (a modal, the API): the case channel is told,
        then the case is shown as it is now (card in place, topic, Home tabs); what the change
        owes (reminders, the customer's messages) is looked at now."""
        self.reminders.wake()
        self.customer.wake()
        channel = self.provisioner.channel
        if case.channel_id:
            channel.post_in_case(case, message)
        channel.refresh(case)
        self.home.refresh_for(case)

    def open_in_slack(self, case: Escalation) -> None:
        """Queue a stored case for provisioning (durable: the repair sweep finishes it if we die)."""
        self.provisioner.open_new(case)

    def wake_for_acknowledgement(self, case: Escalation) -> None:
        """A new case: the reminder clock rings in time for its acknowledgement's reminder."""
        if case.ack_due_at is not None:
            self.reminders.wake_at(case.ack_due_at - self.reminder_policy.ack_before)

    def close(self) -> None:
        self.customer.stop()
        self.webhooks.stop()  # (its wake-up on events owed is among `stops`)
        self.listener_executor.shutdown(wait=True, cancel_futures=False)
        self.lookups.shutdown(wait=False, cancel_futures=True)
        self.work.shutdown()
        for stop in self.stops:
            stop()
        self.engine.dispose()


def show_breach(channel: CaseChannel, home: HomeTab, case: Escalation) -> None:
    """A promise missed: the card and the topic say so (no longer "due" as if there were time),
    and the Home tabs count it."""
    try:
        channel.refresh(case)
    except SLACK_ERRORS as exc:  # the next change shows it
        logger.warning("%s: could not show the breach on its card (%s)", case.key, type(exc).__name__)
    home.refresh_for(case)


def identify_bot(client: WebClient, settings: Settings) -> tuple[str, str | None]:
    """Ask Slack who we are; a refused token or unreachable Slack stops start-up clearly."""
    try:
        auth = client.auth_test()
    except SlackApiError as exc:
        raise SettingsError(
            f"SLACK_BOT_TOKEN was refused by Slack ({exc.response.get('error')}): "
            "copy the Bot User OAuth Token from the app's OAuth & Permissions page."
        ) from None
    except TRANSIENT_ERRORS as exc:
        raise SettingsError(
            f"Slack could not be reached at SLACK_API_URL={settings.slack_api_url} ({exc})."
        ) from None
    return str(auth["user_id"]), auth.get("team_id")


def create_components(
    settings: Settings, *, engine: sa.Engine | None = None, content: Content | None = None
) -> Components:
    """`content`: as create_app loaded it; else read from the settings' CUSTOM_DIR (raises
    PlaybookError, every problem)."""
    content = content if content is not None else load_content(settings.custom_dir, settings.default_locale)
    practice = content.practice
    engine = engine or make_engine(settings.database_url)
    migrate(engine)
    supervisor = Supervisor(engine=engine)
    pacer = Pacer(settings.slack_rate_limit_factor)
    client = make_web_client(settings, pacer=pacer)
    bot_user_id, team_id = identify_bot(client, settings)
    quick_client = make_web_client(settings, quick=True, pacer=pacer)
    people = People(client)
    in_flight = InFlight()
    # Slack's requests being answered go first: a piece of work waits (at most 2 s) for them.
    work = WorkQueue(
        pacer,
        workers=settings.background_workers,
        before_dispatch=lambda: in_flight.wait_idle(timeout=2.0),
        supervisor=supervisor,
    )
    provisioner = Provisioner(
        engine=engine,
        client=client,
        people=people,
        settings=settings,
        practice=practice,
        bot_user_id=bot_user_id,
        queue=work,
    )
    policy = ReminderPolicy(
        ack_before=timedelta(minutes=settings.remind_before_ack_minutes),
        update_before=timedelta(minutes=settings.remind_before_update_minutes),
        update_grace=timedelta(minutes=settings.update_grace_minutes),
    )
    heartbeat = Heartbeat()
    reminders = ReminderDispatcher(
        engine=engine,
        channel=provisioner.channel,
        settings=settings,
        policy=policy,
        queue=work,
        heartbeat=heartbeat,
        supervisor=supervisor,
    )
    home = HomeTab(
        engine=engine,
        client=client,
        settings=settings,
        practice=practice,
        queue=work,
        people=people,
    )
    provisioner.on_opened = home.refresh_for
    reminders.on_breach = partial(show_breach, provisioner.channel, home)
    customer = CustomerDelivery(
        engine=engine,
        settings=settings,
        people=people,
        channel=provisioner.channel,
        on_delivered=home.refresh_for,
        supervisor=supervisor,
    )
    supervisor.on_parked = partial(tell_parked, provisioner.channel, settings)
    provisioner.supervisor = supervisor
    if settings.email_enabled or customer_records.next_due(engine) is not None:
        customer.start()  # what was left undelivered goes out now; otherwise at the first queued
    webhooks = WebhookSender(engine=engine, settings=settings, channel=provisioner.channel)
    webhooks.supervisor = supervisor
    return Components(
        settings=settings,
        content=content,
        engine=engine,
        client=client,
        quick_client=quick_client,
        people=people,
        provisioner=provisioner,
        pacer=pacer,
        work=work,
        listener_executor=ThreadPoolExecutor(max_workers=32, thread_name_prefix="listener"),
        lookups=ThreadPoolExecutor(max_workers=4, thread_name_prefix="prefill"),
        bot_user_id=bot_user_id,
        team_id=team_id,
        reminder_policy=policy,
        reminders=reminders,
        home=home,
        digest=DigestPoster(
            engine=engine,
            client=client,
            channel=provisioner.channel,
            settings=settings,
            practice=practice,
            ack_target=timedelta(minutes=settings.ack_within_minutes),
            queue=work,
        ),
        action_items=ActionItemFollowUp(
            engine=engine,
            channel=provisioner.channel,
            people=people,
            settings=settings,
            supervisor=supervisor,
        ),
        personal_reminders=PersonalReminders(
            engine=engine, channel=provisioner.channel, supervisor=supervisor
        ),
        heartbeat=heartbeat,
        in_flight=in_flight,
        customer=customer,
        judgement=JudgementAsker(
            engine=engine,
            channel=provisioner.channel,
            settings=settings,
            supervisor=supervisor,
            rules=practice.judgement,
        ),
        webhooks=webhooks.start(),
        supervisor=supervisor,
        stops=[when_webhooks_owed(webhooks.owed)],
    )

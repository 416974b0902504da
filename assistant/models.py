"""Database tables. Times are stored in UTC and come back timezone-aware."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from assistant.domain.accounts import account_key
from assistant.domain.practice import Category, EscalationKind, PlaybookId, Severity
from assistant.domain.status import Status

KEY_PREFIX = "ESC-"

# Stable constraint names, so migrations can refer to them on every database.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes on every database (SQLite forgets the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware UTC time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class StrEnumType(sa.types.TypeDecorator[Any]):
    """A string column that comes back as its StrEnum (stored as plain VARCHAR)."""

    impl = sa.String(20)
    cache_ok = True

    def __init__(self, enum: type[StrEnum] | type[PlaybookId]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> Any:
        return None if value is None else self.enum(value)


def _utc_column(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def _account_key_of_name(context: Any) -> str:
    """The key of a row inserted without one (bulk inserts, seeds)."""
    return account_key(context.get_current_parameters().get("account_name") or "")


class Escalation(SQLModel, table=True):
    __tablename__ = "escalation"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str | None = Field(default=None, max_length=32)
    account_name: str = Field(max_length=200)
    # The account however it is typed ("ACME  Corp " is "acme corp"): portfolio filters in SQL.
    account_key: str = Field(
        default="",
        sa_column_kwargs={"default": _account_key_of_name, "server_default": ""},
        max_length=150,
        index=True,
    )
    account_value: int | None = Field(default=None, sa_type=sa.BigInteger)  # whole units of:
    account_currency: str | None = Field(default=None, max_length=3)  # ISO 4217
    summary: str = Field(max_length=300)
    description: str = Field(sa_type=sa.Text)
    category: Category = Field(sa_type=StrEnumType(Category))
    severity: Severity = Field(sa_type=StrEnumType(Severity))
    triggers: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    is_private: bool = False
    owner_id: str = Field(max_length=32, index=True)
    reporter_id: str = Field(max_length=32, index=True)
    stakeholder_ids: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    # [[kind, url], ...] in the order the CSM gave them.
    links: list[list[str]] = Field(default_factory=list, sa_type=sa.JSON)
    # Answers to the team's own intake questions (flows/intake.yml), by question id: no
    # migration per question.
    custom_fields: dict[str, str] = Field(default_factory=dict, sa_type=sa.JSON)
    # Stage 1: the team's services the problem affects (ids of the playbook's register).
    affected_services: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    # Internal tags (ids of the playbook's register), never shown to a customer.
    tags: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    status: Status = Field(default=Status.NEW, sa_type=StrEnumType(Status), index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    ack_due_at: datetime | None = _utc_column()

    # Where the case lives in Slack, filled in by provisioning.
    channel_id: str | None = Field(default=None, max_length=32)
    channel_name: str | None = Field(default=None, max_length=80)
    # The name asked of Slack before its answer is known, so a crash during
    # conversations.create can be repaired by adopting that channel.
    requested_channel_name: str | None = Field(default=None, max_length=80)
    card_ts: str | None = Field(default=None, max_length=32)
    # The channel's canvas (the living case document), and what each of its sections was when
    # last written (a fingerprint per section: only a section that changed is edited).
    canvas_id: str | None = Field(default=None, max_length=32)
    canvas_sections: dict[str, str] = Field(default_factory=dict, sa_type=sa.JSON)

    # Idempotency: one case per submitted intake modal.
    # The lifecycle (assistant.domain.lifecycle).
    kind: EscalationKind | None = Field(default=None, sa_type=StrEnumType(EscalationKind))
    resolving_team: str | None = Field(default=None, max_length=120)
    acknowledged_at: datetime | None = _utc_column()
    acknowledged_by: str | None = Field(default=None, max_length=32)
    customer_acknowledgement: str | None = Field(default=None, sa_type=sa.Text)
    # The promised time of the next customer update: the promise reminders keep.
    next_update_due_at: datetime | None = _utc_column(index=True)
    resolved_at: datetime | None = _utc_column()
    resolution_summary: str | None = Field(default=None, sa_type=sa.Text)
    resolution_fix: str | None = Field(default=None, sa_type=sa.Text)
    customer_confirmed: bool | None = None
    rca_due_at: datetime | None = _utc_column()
    closed_at: datetime | None = _utc_column(index=True)
    no_rca_reason: str | None = Field(default=None, sa_type=sa.Text)
    satisfaction_score: int | None = None
    satisfaction_comment: str | None = Field(default=None, sa_type=sa.Text)
    # When the customer's answer was first recorded (a correction keeps it): reports count by it.
    satisfaction_recorded_at: datetime | None = _utc_column(index=True)
    sponsorship_requested: bool = False
    # Business escalations: an executive contacts the customer within 24 hours.
    exec_contact_due_at: datetime | None = _utc_column()
    # Stage 2: the customer first hears from us by then (customer_heard_at says when they did).
    first_contact_due_at: datetime | None = _utc_column()
    # When the owner first wrote to the customer (queued or sent): the first contact is the owner's
    # from then, though our delivery may still be late.
    customer_told_at: datetime | None = _utc_column()
    # Stage 3: when the playbook calls the task force if the case is still unresolved, and when it
    # was called (the resolution stands it down).
    task_force_due_at: datetime | None = _utc_column()
    task_force_at: datetime | None = _utc_column()
    exec_contact_done_at: datetime | None = _utc_column()
    # Promises settled so far (acknowledgement, each promised update), and those kept on time.
    promises_made: int = 0
    promises_kept: int = 0
    # Promises the owner kept but our delivery did not (queued on time, delivered late).
    promises_delivered_late: int = 0
    # When the customer last heard from us (a communication delivered or recorded as sent).
    customer_heard_at: datetime | None = _utc_column()
    # The Slack Connect channel shared with the customer, where they hear from us as the owner.
    connect_channel_id: str | None = Field(default=None, max_length=32)
    connect_channel_name: str | None = Field(default=None, max_length=80)

    intake_view_id: str | None = Field(default=None, max_length=64, unique=True)
    # Opened by the API with an Idempotency-Key (intake_view_id "api:…" is the token's key): the
    # hash of that request, so the key sent again with another body is refused, not replayed.
    intake_fingerprint: str | None = Field(default=None, max_length=64)
    origin_channel_id: str | None = Field(default=None, max_length=32)
    reply_url: str | None = Field(default=None, max_length=500)

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}{self.id}"

    @property
    def participants(self) -> list[str]:
        """The people the case names: owner, reporter, stakeholders (in that order, once each)."""
        return list(dict.fromkeys([self.owner_id, self.reporter_id, *self.stakeholder_ids]))


class ProvisioningStep(SQLModel, table=True):
    """One Slack step of opening a case, recorded done or not done."""

    __tablename__ = "provisioning_step"
    __table_args__ = (
        sa.UniqueConstraint("escalation_id", "step"),
        # The repair sweep reads only steps not done: flat in history.
        sa.Index(
            "ix_provisioning_step_unfinished",
            "escalation_id",
            sqlite_where=sa.text("done_at IS NULL"),
            postgresql_where=sa.text("done_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    step: str = Field(max_length=32)
    done_at: datetime | None = _utc_column()
    attempts: int = 0
    last_attempt_at: datetime | None = _utc_column()
    last_error: str | None = Field(default=None, max_length=500)
    # Held by the worker running this step now (across threads and instances).
    lease_until: datetime | None = _utc_column()


class CaseEvent(SQLModel, table=True):
    """The timeline and audit trail of a case: who did what, when."""

    __tablename__ = "case_event"
    __table_args__ = (
        sa.Index("ix_case_event_kind_at", "kind", "at"),
        # The few events not yet handed to the webhook subscribers, found without a scan.
        sa.Index(
            "ix_case_event_webhooks_owed",
            "id",
            postgresql_where=sa.text("webhooks_owed"),
            sqlite_where=sa.text("webhooks_owed"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    actor_id: str | None = Field(default=None, max_length=32)
    kind: str = Field(max_length=40)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    # A kind subscribers hear of, not yet written to each one's outbox: the webhook sender does
    # that (services/webhooks.fan_out), so the change itself never reads the subscriptions.
    webhooks_owed: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class StatusUpdate(SQLModel, table=True):
    """One status update: what changed internally, what the customer is told, the next promise."""

    __tablename__ = "status_update"

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    author_id: str = Field(max_length=32)
    internal_text: str = Field(sa_type=sa.Text)
    customer_text: str = Field(sa_type=sa.Text)
    next_update_due_at: datetime | None = _utc_column()


class RootCauseAnalysis(SQLModel, table=True):
    __tablename__ = "root_cause_analysis"

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    author_id: str = Field(max_length=32)
    what_happened: str = Field(sa_type=sa.Text)
    root_cause: str = Field(sa_type=sa.Text)
    contributing_factors: str = Field(default="", sa_type=sa.Text)
    customer_text: str = Field(sa_type=sa.Text)
    # One of the practice's cause areas: how repeated root causes across accounts are found.
    cause_area: str | None = Field(default=None, max_length=32)


class ActionItem(SQLModel, table=True):
    """A promised piece of work with an owner and a due time: a corrective or preventive action
    from an RCA (due by the end of a day), or a step of the case's action plan (due at a time)."""

    __tablename__ = "rca_action_item"

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    # The RCA it came from; none for an action plan's step.
    rca_id: int | None = Field(default=None, foreign_key="root_cause_analysis.id", index=True)
    kind: str = Field(max_length=20)  # corrective | preventive | step
    description: str = Field(sa_type=sa.Text)
    owner_id: str = Field(max_length=32, index=True)
    # The day it is due (a step: the UTC day of its due time, so the sweep reads by day alike).
    due_on: date = Field(index=True)
    # A step's due time; an RCA item is due at the end of due_on where its owner is.
    due_at: datetime | None = _utc_column()
    done_at: datetime | None = _utc_column()
    done_by: str | None = Field(default=None, max_length=32)
    # When the owner was reminded, and the managers told it was overdue: each happens once.
    reminded_at: datetime | None = _utc_column()
    escalated_at: datetime | None = _utc_column()


class MarkedMessage(SQLModel, table=True):
    """A message of the case channel someone added to the timeline (📌 or "Add to timeline"):
    what the update and RCA drafts start from. Taken off: `removed_at`."""

    __tablename__ = "marked_message"
    __table_args__ = (sa.UniqueConstraint("escalation_id", "ts"),)

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    ts: str = Field(max_length=32)
    author_id: str = Field(max_length=32)
    # As people read it (Slack's encoding decoded, mentions as names).
    text: str = Field(sa_type=sa.Text)
    permalink: str | None = Field(default=None, max_length=500)
    marked_by: str = Field(max_length=32)
    marked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    removed_at: datetime | None = _utc_column()


class Concession(SQLModel, table=True):
    """Something conceded to the customer (a credit, an extension), with its value: it stands once
    approved where the playbook asks for an approval."""

    __tablename__ = "concession"

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    kind: str = Field(max_length=40)
    # What exactly, as written ("2,000 USD credit on the next invoice"), and its value in money
    # (whole units of `currency`) when it has one.
    value: str = Field(max_length=300)
    amount: int | None = Field(default=None, sa_type=sa.BigInteger)
    currency: str | None = Field(default=None, max_length=3)
    reason: str = Field(sa_type=sa.Text)
    requested_by: str = Field(max_length=32)
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # pending -> approved | rejected (approved at once where no approval is asked for).
    state: str = Field(default="pending", max_length=16)


class Approval(SQLModel, table=True):
    """A step waiting for (or given) an approval: who may decide, who did, and why."""

    __tablename__ = "approval"

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    subject: str = Field(max_length=20)  # domain.approvals.Subject
    # The concession's id, or the RCA's whose customer-facing text waits.
    subject_id: int
    approvers: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    # The Slack user groups they came from, to name them to others ("@cs-leadership").
    groups: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    requested_by: str = Field(max_length=32)
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    state: str = Field(default="pending", max_length=16)  # domain.approvals.ApprovalState
    decided_by: str | None = Field(default=None, max_length=32)
    decided_at: datetime | None = _utc_column()
    reason: str | None = Field(default=None, sa_type=sa.Text)


class Reminder(SQLModel, table=True):
    """A reminder due for a promise: the durable truth the scheduler only wakes up for."""

    __tablename__ = "reminder"
    __table_args__ = (
        sa.UniqueConstraint("escalation_id", "kind", "promise_at", "due_at"),
        sa.Index("ix_reminder_state_due_at", "state", "due_at"),
        # When a claim runs out (the next retry): read among the few claimed, not all ever sent.
        sa.Index("ix_reminder_state_claimed_until", "state", "claimed_until"),
    )

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    kind: str = Field(max_length=32)
    promise_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # pending -> claimed -> sent; or cancelled when the promise moves or is kept.
    state: str = Field(default="pending", max_length=16)
    claimed_until: datetime | None = _utc_column()
    claimed_by: str | None = Field(default=None, max_length=64)
    attempts: int = 0
    sent_at: datetime | None = _utc_column()
    late_seconds: float | None = None
    last_error: str | None = Field(default=None, max_length=200)


class PersonalReminder(SQLModel, table=True):
    """ "Remind me in 30 minutes (about ESC-42)", confirmed in chat: a DM to that person then, once."""

    __tablename__ = "personal_reminder"
    __table_args__ = (
        # The sweep reads only those not sent, by due time.
        sa.Index(
            "ix_personal_reminder_due",
            "due_at",
            sqlite_where=sa.text("sent_at IS NULL"),
            postgresql_where=sa.text("sent_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(max_length=32, index=True)
    escalation_id: int | None = Field(default=None, foreign_key="escalation.id")
    # What they said, as they said it (shown escaped, once, in the DM).
    note: str = Field(default="", max_length=300)
    # The request it answers (who, when, which case): a button pressed twice at once sets one.
    request_key: str | None = Field(default=None, max_length=120, sa_column_kwargs={"unique": True})
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    sent_at: datetime | None = _utc_column()


class WorkflowStepRun(SQLModel, table=True):
    """One run of a Workflow Builder step (Slack's function execution): claimed once, so a run
    Slack delivers again is not done twice; finished with its outcome, or failed by the sweep if
    it never finished (the app stopped mid-run), so no run is left hanging."""

    __tablename__ = "workflow_step_run"

    execution_id: str = Field(primary_key=True, max_length=64)
    step: str = Field(max_length=64)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    finished_at: datetime | None = _utc_column()
    # "completed" or "failed"; the outputs (ids and times) or the error said.
    outcome: str | None = Field(default=None, max_length=16)
    outputs: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    error: str | None = Field(default=None, max_length=500)


class CaseFollower(SQLModel, table=True):
    """Someone following a case (usually an executive): invited to its channel, shown it on Home."""

    __tablename__ = "case_follower"
    __table_args__ = (sa.UniqueConstraint("escalation_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    user_id: str = Field(max_length=32, index=True)
    followed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # Only people the app itself invited are removed from the channel on unfollow.
    invited_by_app: bool = False


class Sponsorship(SQLModel, table=True):
    """An account enrolled in the executive sponsorship program, and its sponsor."""

    __tablename__ = "sponsorship"

    id: int | None = Field(default=None, primary_key=True)
    # The account name folded (see domain.accounts.account_key), so "ACME, Inc." matches "Acme".
    account_key: str = Field(max_length=200, unique=True)
    account_name: str = Field(max_length=200)
    sponsor_id: str = Field(max_length=32)
    escalation_id: int | None = Field(default=None, foreign_key="escalation.id")
    enrolled_by: str = Field(max_length=32)
    enrolled_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class HomeState(SQLModel, table=True):
    """What a person last chose on their Home tab (filters, page), kept when it is refreshed for them."""

    __tablename__ = "home_state"

    user_id: str = Field(primary_key=True, max_length=32)
    filters: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    page: int = 0
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class DigestRun(SQLModel, table=True):
    """One weekly digest, claimed by the first instance to insert its week, so it is posted once."""

    __tablename__ = "digest_run"

    id: int | None = Field(default=None, primary_key=True)
    week_ending: datetime = Field(sa_type=UTCDateTime, nullable=False, unique=True)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    posted_at: datetime | None = _utc_column()
    message_ts: str | None = Field(default=None, max_length=32)


class SlackDelivery(SQLModel, table=True):
    """One message the app must post exactly once (a reminder's DM, a case's feed post...).

    Recorded as attempted before the call and done after it, so an ambiguous
    failure (a time-out, a crash mid-call) is settled by looking for the message
    in Slack (by its metadata) instead of posting it again blindly.
    """

    __tablename__ = "slack_delivery"

    id: int | None = Field(default=None, primary_key=True)
    # What it is, e.g. "reminder:42:dm:U123" or "case:7:feed".
    key: str = Field(max_length=160, unique=True)
    escalation_id: int | None = Field(default=None, index=True)
    target: str = Field(max_length=32)
    attempts: int = 0
    attempted_at: datetime | None = _utc_column()
    # Set when a call went out without a clear answer: the next attempt looks before it posts.
    uncertain: bool = False
    done_at: datetime | None = _utc_column()
    channel_id: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    given_up_at: datetime | None = _utc_column()
    last_error: str | None = Field(default=None, max_length=200)


class HandledSubmission(SQLModel, table=True):
    """A modal submission already applied: a replay of the same view and hash changes nothing."""

    __tablename__ = "handled_submission"

    view_id: str = Field(primary_key=True, max_length=64)
    view_hash: str = Field(primary_key=True, max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class AppNotice(SQLModel, table=True):
    """A standing problem with the app's set-up (the feed channel archived...), told to people once."""

    __tablename__ = "app_notice"

    key: str = Field(primary_key=True, max_length=64)
    detail: str = Field(default="", max_length=200)
    since: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    told_at: datetime | None = _utc_column()


class CustomerContact(SQLModel, table=True):
    """One of the customer's people on a case: written to in their language, times in their zone."""

    __tablename__ = "customer_contact"
    __table_args__ = (sa.UniqueConstraint("escalation_id", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    name: str = Field(default="", max_length=120)
    email: str = Field(max_length=254)
    role: str = Field(default="", max_length=80)
    locale: str = Field(default="en", max_length=10)
    tz: str = Field(default="UTC", max_length=64)
    added_by: str | None = Field(default=None, max_length=32)
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class CustomerCommunication(SQLModel, table=True):
    """One thing the customer is told: queued, then delivered once (or recorded as sent by hand).

    The durable truth of customer delivery, like the reminder table: claimed by one
    sender at a time (a lease), retried with back-off, found again after a restart.
    """

    __tablename__ = "customer_communication"
    __table_args__ = (sa.Index("ix_customer_communication_state_next", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    purpose: str = Field(max_length=20)  # domain.communications.Purpose
    channel: str = Field(max_length=20)  # domain.communications.Route
    recipients: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    subject: str = Field(default="", max_length=300)
    text: str = Field(sa_type=sa.Text)
    language: str = Field(default="en", max_length=10)
    tz: str = Field(default="UTC", max_length=64)
    sent_by: str = Field(max_length=32)
    how: str = Field(default="", max_length=200)  # "phone call", for what the owner sent themselves
    queued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # The promise this communication keeps (the outstanding one when it was queued), if any.
    keeps_promise_at: datetime | None = _utc_column()
    # queued -> claimed -> delivered; recorded (sent by the owner themselves).
    state: str = Field(default="queued", max_length=16)
    next_attempt_at: datetime | None = _utc_column()
    claimed_by: str | None = Field(default=None, max_length=64)
    attempts: int = 0
    delivered_at: datetime | None = _utc_column()
    last_error: str | None = Field(default=None, max_length=300)
    # The e-mail's Message-ID: the same on every attempt, so a retry is the same message.
    message_id: str | None = Field(default=None, max_length=200)
    # When the owner was told in the case channel that delivery is failing (once).
    failure_told_at: datetime | None = _utc_column()
    # Set when this goes to another affected account's contacts (the case's own account: None).
    account_id: int | None = None
    # The approval it waits for (state held), or waited for.
    approval_id: int | None = None


class Account(SQLModel, table=True):
    """A customer account: who they are to us (value, renewal, health, people), shared by its cases."""

    __tablename__ = "account"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    # The name folded (domain.accounts.account_key): "Acme Corp." is "acme". Unique: one account each.
    key: str = Field(max_length=150, unique=True)
    aliases: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    domains: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    # {"crm": "0015g00000AbCdE", "helpdesk": "4521"}: also in account_external_id, for lookups.
    external_ids: dict[str, str] = Field(default_factory=dict, sa_type=sa.JSON)
    contract_value: int | None = Field(default=None, sa_type=sa.BigInteger)
    currency: str | None = Field(default=None, max_length=3)
    tier: str | None = Field(default=None, max_length=40)
    renewal_on: date | None = None
    region: str | None = Field(default=None, max_length=40)
    tz: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=10)
    csm_id: str | None = Field(default=None, max_length=32)
    sponsor_id: str | None = Field(default=None, max_length=32)
    connect_channel_id: str | None = Field(default=None, max_length=32)
    connect_channel_name: str | None = Field(default=None, max_length=80)
    # [{"name", "email", "role"}]: the case's contacts when an escalation names this account.
    contacts: list[dict[str, str]] = Field(default_factory=list, sa_type=sa.JSON)
    health: int | None = None
    # Created from a name typed at intake that the directory did not know: for CS ops to review.
    needs_review: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class AccountExternalId(SQLModel, table=True):
    """An account's id in another system: how an import or the API finds it again."""

    __tablename__ = "account_external_id"
    __table_args__ = (sa.UniqueConstraint("system", "value"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    system: str = Field(max_length=40)
    value: str = Field(max_length=120)


class AccountAlias(SQLModel, table=True):
    """Another name an account is typed by (an alias, a domain), folded like its name: the
    typeahead and the API find the account by it."""

    __tablename__ = "account_alias"
    __table_args__ = (sa.UniqueConstraint("account_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    key: str = Field(max_length=150, index=True)


class AffectedAccount(SQLModel, table=True):
    """Another account the case's problem hits (an outage, a process escalation): its CSM is told,
    its contacts hear from us on their own."""

    __tablename__ = "affected_account"
    __table_args__ = (sa.UniqueConstraint("escalation_id", "account_id"),)

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    account_id: int = Field(foreign_key="account.id")
    added_by: str | None = Field(default=None, max_length=32)
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # When its CSM was told (or found to need no telling): the outbox of those DMs.
    csm_told_at: datetime | None = _utc_column()


class HealthReading(SQLModel, table=True):
    """An account's health score when it changed: the history its trend is read from."""

    __tablename__ = "health_reading"
    __table_args__ = (sa.Index("ix_health_reading_account_at", "account_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    score: int
    source: str = Field(default="import", max_length=40)


class AccountSignal(SQLModel, table=True):
    """Something an account's systems tell us besides health: a QBR held or missed, a stakeholder gone."""

    __tablename__ = "account_signal"
    __table_args__ = (sa.Index("ix_account_signal_account_at", "account_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    kind: str = Field(max_length=32)  # domain.judgement.SignalKind
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    detail: str = Field(default="", max_length=200)
    source: str = Field(default="import", max_length=40)


class JudgementRequest(SQLModel, table=True):
    """A signal of the 24-hour judgement tier put to the account's CSM: asked once, answered once."""

    __tablename__ = "judgement_request"
    __table_args__ = (sa.UniqueConstraint("account_id", "fingerprint"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    concern: str = Field(max_length=32)  # domain.judgement.Concern
    fingerprint: str = Field(max_length=120)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    raised_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    asked_at: datetime | None = _utc_column(index=True)
    asked_user_id: str | None = Field(default=None, max_length=32)
    # escalated | declined, with the CSM's reason when declined.
    answer: str | None = Field(default=None, max_length=16)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    answered_by: str | None = Field(default=None, max_length=32)
    answered_at: datetime | None = _utc_column(index=True)


class ApiToken(SQLModel, table=True):
    """A token another system calls the API with: shown once, kept only as its hash."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    token_hash: str = Field(max_length=64, unique=True)
    scopes: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = _utc_column()
    last_used_at: datetime | None = _utc_column()


class ApiRequest(SQLModel, table=True):
    """A POST made with an Idempotency-Key: claimed before it runs, its answer kept for a replay."""

    __tablename__ = "api_request"
    __table_args__ = (sa.UniqueConstraint("token_id", "key_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    token_id: int = Field(foreign_key="api_token.id")
    key_hash: str = Field(max_length=64)
    path: str = Field(max_length=300)
    # SHA-256 of the method, path and body: the key is bound to this request (None: made before 0018).
    fingerprint: str | None = Field(default=None, max_length=64)
    status: int | None = None  # None while it runs
    body: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class WebhookSubscription(SQLModel, table=True):
    """An endpoint of another system that hears of case events (signed, Standard Webhooks)."""

    __tablename__ = "webhook_subscription"
    # An id is never given again once removed (SQLite would reuse the highest): a receiver's
    # records and the managers' messages name subscriptions by id.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=500)
    events: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    secret: str = Field(max_length=100)  # whsec_…: needed to sign, so kept as given
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # Since when every attempt has failed (None while it answers); disabled after days of that.
    failing_since: datetime | None = _utc_column()
    disabled_at: datetime | None = _utc_column()


class WebhookDelivery(SQLModel, table=True):
    """One event owed to one subscription: written with the change (the outbox), delivered once
    it is acknowledged, in order per case."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "subscription_id"),
        sa.Index("ix_webhook_delivery_due", "delivered_at", "next_attempt_at"),
        sa.Index("ix_webhook_delivery_order", "subscription_id", "escalation_id", "event_id"),
        # Ids name deliveries in the supervisor's records ("webhook:12"): never given twice.
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="case_event.id")
    subscription_id: int = Field(foreign_key="webhook_subscription.id")
    escalation_id: int
    body: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    next_attempt_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    claimed_by: str | None = Field(default=None, max_length=64)
    attempts: int = 0
    delivered_at: datetime | None = _utc_column()
    last_status: int | None = None
    last_error: str | None = Field(default=None, max_length=200)
    # Sending it raised unexpectedly again and again (assistant/supervision.py): never claimed
    # again until a person retries it or replays it; later events of its case wait behind it.
    parked_at: datetime | None = _utc_column()


class WorkFault(SQLModel, table=True):
    """An item of background work that raised unexpectedly (a bug, or data no rule foresaw):
    recorded on the item, tried again with back-off, parked after a few faults (the managers are
    told once), so one odd row never stops a loop (assistant/supervision.py)."""

    __tablename__ = "work_fault"
    __table_args__ = (sa.UniqueConstraint("loop", "item"),)

    id: int | None = Field(default=None, primary_key=True)
    loop: str = Field(max_length=40)
    item: str = Field(max_length=120)  # "communication:7", "reminder:12": ids only, never text
    case_id: int | None = None
    faults: int = 0
    first_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    last_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    last_error: str = Field(default="", max_length=300)  # the exception's kind and where it was raised
    next_try_at: datetime | None = _utc_column()
    parked_at: datetime | None = _utc_column()
    # When the escalation managers were told it is parked (once; the repair sweep tells a missed one).
    told_at: datetime | None = _utc_column()
    # Set when the item was later handled without fault (kept for the record).
    resolved_at: datetime | None = _utc_column()


class CustomerVoice(SQLModel, table=True):
    """What a customer said that the guidance says not to escalate (one user's frustration with
    one feature): logged in one step, with no case, owner or channel, and counted in the digest."""

    __tablename__ = "customer_voice"

    id: int | None = Field(default=None, primary_key=True)
    account_name: str = Field(max_length=200)
    # The account's name as the directory compares names (accounts.account_key).
    account_key: str = Field(max_length=200, index=True)
    text: str = Field(max_length=3000)
    link: str | None = Field(default=None, max_length=2000)
    reporter_id: str = Field(max_length=32)
    team_id: str | None = Field(default=None, max_length=32)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)

"""What can happen to a case: the kinds of its timeline events (stored as these strings)."""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    OPENED = "opened"
    TRIGGER_EFFECTS = "trigger_effects"
    SPONSOR_INVITED = "sponsor_invited"
    # Opening the case in Slack, step by step (domain.provisioning.STEP_EVENTS).
    CHANNEL_CREATED = "channel_created"
    MEMBERS_INVITED = "members_invited"
    TOPIC_SET = "topic_set"
    PURPOSE_SET = "purpose_set"
    CARD_POSTED = "card_posted"
    CARD_PINNED = "card_pinned"
    LINKS_BOOKMARKED = "links_bookmarked"
    CANVAS_CREATED = "canvas_created"
    OWNER_NOTIFIED = "owner_notified"
    FEED_ANNOUNCED = "feed_announced"
    REPORTER_ANSWERED = "reporter_answered"
    MANAGERS_TOLD = "managers_told"
    PROVISIONING_STEP_FAILED = "provisioning_step_failed"
    CHANNEL_UNARCHIVED = "channel_unarchived"
    SLACK_CALL_FAILED = "slack_call_failed"
    # The lifecycle.
    ACKNOWLEDGED = "acknowledged"
    CLASSIFIED = "classified"
    UPDATE_POSTED = "update_posted"
    REASSIGNED = "reassigned"
    RESOLVED = "resolved"
    RCA_RECORDED = "rca_recorded"
    CLOSED = "closed"
    REOPENED = "reopened"
    # Promises.
    REMINDER_SENT = "reminder_sent"
    REMINDER_SNOOZED = "reminder_snoozed"
    BREACH = "breach"
    EXECUTIVE_CONTACT_MADE = "executive_contact_made"
    EXECUTIVE_CONTACT_CANCELLED = "executive_contact_cancelled"
    CUSTOMER_CONFIRMED = "customer_confirmed"
    TASK_FORCE_CALLED = "task_force_called"
    TASK_FORCE_STOOD_DOWN = "task_force_stood_down"
    ACTION_ITEM_DONE = "action_item_done"
    # The action plan: a step added, changed (what, who, when), taken off it.
    PLAN_STEP_ADDED = "plan_step_added"
    PLAN_STEP_CHANGED = "plan_step_changed"
    PLAN_STEP_REMOVED = "plan_step_removed"
    # Concessions, and the approvals the playbook asks for (a concession, a customer-facing RCA).
    CONCESSION_REQUESTED = "concession_requested"
    APPROVAL_REQUESTED = "approval_requested"
    APPROVAL_DECIDED = "approval_decided"
    # A message of the case channel added to the timeline (📌 or the shortcut), or taken off it.
    MESSAGE_MARKED = "message_marked"
    MESSAGE_UNMARKED = "message_unmarked"
    # The customer end: contacts, and what the customer is told (queued, delivered or recorded).
    CONTACTS_ADDED = "contacts_added"
    # The answers to a team's own questions in a flow whose change is not one event of its own.
    QUESTIONS_ANSWERED = "questions_answered"
    NOTE_ADDED = "note_added"  # from another system, through the API
    CONNECT_CHANNEL_LINKED = "connect_channel_linked"
    # Other accounts the same problem hits, and their CSMs told.
    ACCOUNTS_AFFECTED = "accounts_affected"
    ACCOUNT_CSMS_TOLD = "account_csms_told"
    ACCOUNTS_REMOVED = "accounts_removed"
    CUSTOMER_COMMUNICATION_QUEUED = "customer_communication_queued"
    CUSTOMER_COMMUNICATION_SENT = "customer_communication_sent"
    CUSTOMER_DELIVERY_FAILING = "customer_delivery_failing"
    # After the case.
    SATISFACTION_RECORDED = "satisfaction_recorded"
    SATISFACTION_CORRECTED = "satisfaction_corrected"
    # People following it.
    FOLLOWED = "followed"
    UNFOLLOWED = "unfollowed"

"""Every id Slack sends back to us, declared once (manifest.yml is checked against these)."""

from enum import StrEnum

COMMAND = "/escalate"


class Shortcut(StrEnum):
    ESCALATE_MESSAGE = "escalate_message"
    # A message of a case channel onto the case's timeline.
    ADD_TO_TIMELINE = "add_to_timeline"


class ViewId(StrEnum):
    """Modals other than the guided flows' (a flow's modal is its name: flows/<name>.yml)."""

    INTAKE = "intake"
    JUDGEMENT_DECLINE = "judgement_decline"
    SATISFACTION = "satisfaction"
    LOADING = "loading"
    VOICE = "voice_of_customer"
    # An approver's decision, with its reason.
    APPROVAL_DECISION = "approval_decision"


class CaseAction(StrEnum):
    """Buttons about a case; the value is the case id. A guided flow's button is "case_<flow>"
    (messages/case_buttons.py), from the flow's file."""

    # The card's overflow menu; each option's value is "<flow>:<case id>".
    MORE = "case_more"
    # In the reporter's DM once a case closes: record the customer's satisfaction.
    SATISFACTION = "case_satisfaction"
    # In the CSM's DM, a signal of the 24-hour judgement tier: the value is the request's id.
    JUDGEMENT_ESCALATE = "judgement_escalate"
    JUDGEMENT_DECLINE = "judgement_decline"
    # In the customer's Slack Connect channel: their score, "<case id>:<score>".
    CUSTOMER_SATISFACTION = "customer_satisfaction"
    # On reminders: "<reminder id>:<minutes>", and a business case's executive contact made.
    SNOOZE = "reminder_snooze"
    EXEC_CONTACT_DONE = "case_exec_contact_done"
    # A resolution's follow-up: the customer confirmed they can use the service again.
    SERVICE_CONFIRMED = "case_service_confirmed"
    # On an action item's reminder, its overdue notice and the Home tab: value is the item id.
    ACTION_ITEM_DONE = "action_item_done"
    OPEN_CHANNEL = "case_open_channel"
    # In the RCA modal: one more action item row of a kind (the value: "corrective" or "preventive").
    RCA_ADD_ROW = "rca_add_row"
    # In the action plan modal: one more row for a new step.
    PLAN_ADD_ROW = "plan_add_row"
    # In the acknowledgement and update forms: a response template chosen as the draft.
    RESPONSE_TEMPLATE = "response_template"
    # In an approver's DM: the value is the approval's id.
    APPROVE = "approval_approve"
    REJECT = "approval_reject"
    # On the case card: everything it leaves out, in a modal.
    DETAILS = "case_details"
    # On a missed promise, in an escalation manager's DM: the case's value is its id.
    TAKE_OWNERSHIP = "case_take_ownership"
    # On the feed announcement, the Home tab and `/escalate status`: value is the case id.
    FOLLOW = "case_follow"
    UNFOLLOW = "case_unfollow"


class HomeAction(StrEnum):
    """The Home tab's own controls: the portfolio's filters and pages."""

    FILTER_CATEGORY = "home_filter_category"
    FILTER_SEVERITY = "home_filter_severity"
    FILTER_OWNER = "home_filter_owner"
    FILTER_ACCOUNT = "home_filter_account"
    FILTER_TAG = "home_filter_tag"
    CLEAR_FILTERS = "home_clear_filters"
    PAGE_PREVIOUS = "home_page_previous"
    PAGE_NEXT = "home_page_next"


class MetadataEvent(StrEnum):
    """Slack message metadata event types, so the app can find its own messages again."""

    CASE_CARD = "escalation_case_card"
    # Every other message the app posts once (DMs, feed posts, reminders, breaches).
    DELIVERY = "escalation_delivery"

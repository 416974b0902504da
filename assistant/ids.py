"""Every id Slack sends back to us, declared once (manifest.yml is checked against these)."""

from enum import StrEnum

COMMAND = "/escalate"


class Shortcut(StrEnum):
    ESCALATE_MESSAGE = "escalate_message"


class ViewId(StrEnum):
    INTAKE = "intake"


class CaseAction(StrEnum):
    """Buttons on the case card and in the owner's DM; the value is the case id."""

    ACKNOWLEDGE = "case_acknowledge"
    CLASSIFY = "case_classify"
    POST_UPDATE = "case_post_update"
    RESOLVE = "case_resolve"
    OPEN_CHANNEL = "case_open_channel"


class MetadataEvent(StrEnum):
    """Slack message metadata event types, so the app can find its own messages again."""

    CASE_CARD = "escalation_case_card"

"""Slack Connect: the channel shared with the customer, where they hear from us as the owner."""

from __future__ import annotations

from slack_sdk import WebClient

from assistant.content.i18n import _
from assistant.slack.client import SLACK_ERRORS, error_code


def shared_channel(client: WebClient, channel_id: str) -> tuple[str | None, str | None]:
    """(the channel's name, None) if the app can post to the customer there; else (None, why not)."""
    try:
        channel = client.conversations_info(channel=channel_id)["channel"]
    except SLACK_ERRORS as exc:
        if error_code(exc) == "channel_not_found":
            return None, _("The app cannot see that channel: invite it there first (/invite @Escalations).")
        return None, _("Slack did not answer in time; try again in a moment.")
    if not (channel.get("is_ext_shared") or channel.get("is_shared")):
        return None, _("That channel is not shared with the customer: choose their Slack Connect channel.")
    if not channel.get("is_member"):
        return None, _("Invite the app to that channel first (/invite @Escalations), then choose it again.")
    return str(channel.get("name") or channel_id), None

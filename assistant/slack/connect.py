"""Slack Connect: the channel shared with the customer, where they hear from us as the owner."""

from __future__ import annotations

from slack_sdk import WebClient

from assistant.content.i18n import _
from assistant.slack.client import QUICK_ERRORS, error_code


def shared_channel(client: WebClient, channel_id: str) -> tuple[str | None, str | None]:
    """(the channel's name, None) if the app can post to the customer there; else (None, why not)."""
    try:
        channel = client.conversations_info(channel=channel_id)["channel"]
    except QUICK_ERRORS as exc:
        if error_code(exc) == "channel_not_found":
            return None, _("connect.app_cannot_see_channel_invite_there")
        return None, _("connect.slack_did_not_answer_time_try_again")
    if not (channel.get("is_ext_shared") or channel.get("is_shared")):
        return None, _("connect.channel_not_shared_customer_choose")
    if not channel.get("is_member"):
        return None, _("connect.invite_app_channel_first_invite")
    return str(channel.get("name") or channel_id), None

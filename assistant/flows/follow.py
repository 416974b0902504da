"""Follow and unfollow a case: from the feed announcement, the Home tab and `/escalate follow ESC-42`.

Following invites the person to the case channel and lists the case on their
Home tab. Unfollowing removes them from the channel only if the app invited them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from assistant.components import Components
from assistant.domain.status import Status
from assistant.domain.visibility import follow_refusal
from assistant.flows.case_flow import CaseFlows, answer_privately, say
from assistant.ids import CaseAction
from assistant.models import Escalation
from assistant.services import followers
from assistant.services.cases import CaseNotFound, get_case
from assistant.slack.client import SLACK_ERRORS, error_code

# Slack's answers to conversations.invite that mean "this person cannot be added".
CANNOT_INVITE = {
    "user_is_restricted": "guests cannot be added to this channel",
    "cant_invite": "Slack does not allow inviting them",
    "user_not_found": "Slack does not know them",
    "ura_max_channels": "they are a guest already in their maximum number of channels",
}


def participants(case: Escalation) -> set[str]:
    return {case.owner_id, case.reporter_id, *case.stakeholder_ids}


@dataclass(frozen=True)
class Outcome:
    done: bool
    text: str


def follow_case(components: Components, case: Escalation, user_id: str) -> Outcome:
    """Follow `case` for `user_id`: invite them to its channel and list it on their Home tab."""
    case_id = case.id or 0
    people = participants(case) | followers.followers_of(components.engine, [case_id])[case_id]
    refusal = follow_refusal(
        key=case.key,
        closed=case.status == Status.CLOSED,
        is_private=case.is_private,
        user_id=user_id,
        owner_id=case.owner_id,
        participants=people,
    )
    if refusal:
        return Outcome(False, refusal)
    if followers.is_following(components.engine, case_id, user_id):
        return Outcome(False, f"You already follow {case.key}.")
    invited = False
    if case.channel_id:
        try:
            invited = components.provisioner.channel.invite(case, user_id)
        except SlackApiError as exc:
            code = error_code(exc)
            if code not in CANNOT_INVITE:
                raise
            return Outcome(False, f"I could not add you to {case.key}'s channel: {CANNOT_INVITE[code]}.")
    followers.follow(components.engine, case_id, user_id, invited_by_app=invited)
    components.home.refresh_for(case)
    where = f" You are in <#{case.channel_id}>." if case.channel_id else ""
    return Outcome(True, f"You now follow {case.key}: it is on your Home tab.{where}")


def unfollow_case(components: Components, case: Escalation, user_id: str) -> Outcome:
    row = followers.unfollow(components.engine, case.id or 0, user_id)
    if row is None:
        return Outcome(False, f"You do not follow {case.key}.")
    left = ""
    # Only people the app added leave the channel; someone who joined by themselves stays.
    if row.invited_by_app and case.channel_id and user_id not in participants(case):
        try:
            components.client.conversations_kick(channel=case.channel_id, user=user_id)
            left = " and left its channel"
        except SlackApiError as exc:
            if error_code(exc) not in {"not_in_channel", "is_archived", "channel_not_found"}:
                raise
    components.home.refresh_for(case, also=[user_id])  # no longer involved, but their tab showed it
    return Outcome(True, f"You no longer follow {case.key}{left}.")


def register(app: App, flows: CaseFlows) -> None:
    components = flows.components

    def toggle(
        body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond, on: bool
    ) -> None:
        user_id = body["user"]["id"]
        answer = answer_privately(respond, client, user_id)
        value = action.get("value") or ""
        try:
            case = get_case(components.engine, int(value)) if value.isdigit() else None
        except CaseNotFound:
            case = None
        if case is None:
            say(answer, "That case no longer exists.")
            return
        try:
            outcome = (follow_case if on else unfollow_case)(components, case, user_id)
        except SLACK_ERRORS as exc:
            flows.note_failure(case, "follow" if on else "unfollow", error_code(exc))
            outcome = Outcome(False, "Slack did not answer in time; please try again in a minute.")
        on_home = (body.get("container") or {}).get("type") == "view"
        # On the Home tab the refreshed tab is the answer; elsewhere, or when refused, a sentence.
        if not (on_home and outcome.done):
            say(answer, outcome.text)

    @app.action(CaseAction.FOLLOW.value)
    def handle_follow(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        """Follow a case: join its channel, see it on the Home tab."""
        ack()
        toggle(body, action, client, respond, on=True)

    @app.action(CaseAction.UNFOLLOW.value)
    def handle_unfollow(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        """Stop following a case (leaving its channel if the app had added you)."""
        ack()
        toggle(body, action, client, respond, on=False)

"""Follow and unfollow a case: from the feed announcement, the Home tab and `/escalate follow ESC-42`.

Following invites the person to the case channel and lists the case on their
Home tab. Unfollowing removes them from the channel only if the app invited them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import App, Respond
from slack_sdk.errors import SlackApiError

from assistant.components import Components
from assistant.content.i18n import N_, _
from assistant.domain.status import Status
from assistant.domain.visibility import follow_refusal
from assistant.ids import CaseAction
from assistant.listeners.case_flow import in_their_language, managers_of, note_failure, say
from assistant.listeners.case_middleware import case_task
from assistant.models import Escalation
from assistant.services import followers
from assistant.slack.client import SLACK_ERRORS, error_code

# Slack's answers to conversations.invite that mean "this person cannot be added".
CANNOT_INVITE = {
    "user_is_restricted": N_("follow.guests_cannot_added_channel"),
    "cant_invite": N_("follow.slack_does_not_allow_inviting_them"),
    "user_not_found": N_("follow.slack_does_not_know_them"),
    "ura_max_channels": N_("follow.they_guest_already_their_maximum"),
}


@dataclass(frozen=True)
class Outcome:
    done: bool
    text: str


def follow_case(components: Components, case: Escalation, user_id: str) -> Outcome:
    """Follow `case` for `user_id`: invite them to its channel and list it on their Home tab."""
    case_id = case.id or 0
    following = followers.followers_of(components.engine, [case_id])[case_id]
    refusal = follow_refusal(
        key=case.key,
        closed=case.status == Status.CLOSED,
        is_private=case.is_private,
        user_id=user_id,
        owner_id=case.owner_id,
        # A restricted case's managers were told of it (a trigger, a missed promise): they may join.
        participants={*case.participants, *following, *managers_of(components, case)},
    )
    if refusal:
        return Outcome(False, _(refusal))
    if user_id in following:
        return Outcome(False, _("follow.you_already_follow_key", key=case.key))
    invited = False
    if case.channel_id:
        try:
            invited = components.provisioner.channel.invite(case, user_id)
        except SlackApiError as exc:
            code = error_code(exc)
            if code not in CANNOT_INVITE:
                raise
            reason = _(CANNOT_INVITE[code])
            return Outcome(False, _("follow.i_could_not_add_you_key_channel", key=case.key, reason=reason))
    followers.follow(components.engine, case_id, user_id, invited_by_app=invited)
    components.home.refresh_for(case)
    followed = _("follow.you_now_follow_key_your_home_tab", key=case.key)
    where = " " + _("follow.you", channel=case.channel_id) if case.channel_id else ""
    return Outcome(True, followed + where)


def unfollow_case(components: Components, case: Escalation, user_id: str) -> Outcome:
    row = followers.unfollow(components.engine, case.id or 0, user_id)
    if row is None:
        return Outcome(False, _("follow.you_do_not_follow_key", key=case.key))
    left = False
    # Only people the app added leave the channel; someone who joined by themselves stays.
    if row.invited_by_app and case.channel_id and user_id not in case.participants:
        try:
            components.client.conversations_kick(channel=case.channel_id, user=user_id)
            left = True
        except SlackApiError as exc:
            if error_code(exc) not in {"not_in_channel", "is_archived", "channel_not_found"}:
                raise
    components.home.refresh_for(case, also=[user_id])  # no longer involved, but their tab showed it
    if left:
        return Outcome(True, _("follow.you_no_longer_follow_key_left_its", key=case.key))
    return Outcome(True, _("follow.you_no_longer_follow_key", key=case.key))


def set_following(components: Components, case: Escalation, user_id: str, *, on: bool) -> Outcome:
    """Follow or unfollow; a Slack failure past the client's retries is noted and told, never lost."""
    try:
        return (follow_case if on else unfollow_case)(components, case, user_id)
    except SLACK_ERRORS as exc:
        note_failure(components, case, "follow" if on else "unfollow", error_code(exc))
        return Outcome(False, _("follow.slack_did_not_answer_time_please_try"))


def register(app: App, components: Components) -> None:
    # Anyone may ask; whether they may follow is follow_refusal's to say (visibility).
    loads_case = case_task(components, None)

    @in_their_language(components.people)
    def handle_follow_button(
        body: dict[str, Any], action: dict[str, Any], case: Escalation, answer: Respond
    ) -> None:
        """Follow (join the channel, see it on Home) or unfollow a case."""
        user_id = body["user"]["id"]
        outcome = set_following(components, case, user_id, on=action["action_id"] == CaseAction.FOLLOW)
        on_home = (body.get("container") or {}).get("type") == "view"
        # On the Home tab the refreshed tab is the answer; elsewhere, or when refused, a sentence.
        if not (on_home and outcome.done):
            say(answer, outcome.text)

    for action_id in (CaseAction.FOLLOW, CaseAction.UNFOLLOW):
        app.action(action_id.value)(loads_case(handle_follow_button))

"""Which buttons a case card shows in each status: the likely next steps first, the rest under "More"."""

from __future__ import annotations

from assistant.domain.lifecycle import ALLOWED, Action
from assistant.domain.status import Status
from assistant.i18n import N_, _
from assistant.ids import CaseAction

BUTTON_ACTIONS: dict[CaseAction, Action] = {
    CaseAction.ACKNOWLEDGE: Action.ACKNOWLEDGE,
    CaseAction.CLASSIFY: Action.CLASSIFY,
    CaseAction.POST_UPDATE: Action.POST_UPDATE,
    CaseAction.RESOLVE: Action.RESOLVE,
    CaseAction.REASSIGN: Action.REASSIGN,
    CaseAction.RCA: Action.RCA,
    CaseAction.CLOSE: Action.CLOSE,
    CaseAction.REOPEN: Action.REOPEN,
    CaseAction.TIMELINE: Action.TIMELINE,
}
ACTION_BUTTONS = {action: button for button, action in BUTTON_ACTIONS.items()}

LABELS: dict[Action, str] = {
    Action.ACKNOWLEDGE: N_("Acknowledge"),
    Action.CLASSIFY: N_("Classify"),
    Action.POST_UPDATE: N_("Post update"),
    Action.RESOLVE: N_("Resolve"),
    Action.REASSIGN: N_("Reassign / escalate up"),
    Action.RCA: N_("Root-cause analysis"),
    Action.CLOSE: N_("Close"),
    Action.REOPEN: N_("Reopen"),
    Action.TIMELINE: N_("Timeline"),
    Action.CONTACTS: N_("Customer contacts"),
    Action.ACCOUNTS: N_("Affected accounts"),
}

# (buttons, overflow) per status; the first button is the primary one. Slack's
# overflow menu takes 2 to 5 options, so an overflow is either empty or at least 2.
CARD_ACTIONS: dict[Status, tuple[tuple[Action, ...], tuple[Action, ...]]] = {
    Status.NEW: (
        (Action.ACKNOWLEDGE, Action.CLASSIFY, Action.POST_UPDATE, Action.RESOLVE),
        (Action.REASSIGN, Action.CONTACTS, Action.ACCOUNTS, Action.TIMELINE),
    ),
    Status.ACKNOWLEDGED: (
        (Action.POST_UPDATE, Action.CLASSIFY, Action.RESOLVE),
        (Action.REASSIGN, Action.CONTACTS, Action.ACCOUNTS, Action.TIMELINE),
    ),
    Status.RESOLVED: (
        (Action.RCA, Action.CLOSE, Action.REOPEN),
        (Action.CLASSIFY, Action.CONTACTS, Action.ACCOUNTS, Action.TIMELINE),
    ),
    Status.CLOSED: ((Action.REOPEN, Action.TIMELINE), ()),
}


def card_actions(status: Status) -> dict[str, list[dict[str, str]]]:
    """The card's buttons for a status: only what that status allows (the flows' `states`, read
    at start-up), so no button leads to a refusal."""
    allowed = ALLOWED[status]
    buttons = [a for a in CARD_ACTIONS[status][0] if a in allowed]
    more = [a for a in CARD_ACTIONS[status][1] if a in allowed]
    if len(more) == 1:  # Slack's overflow menu needs two options: a lone one is a button
        buttons.append(more.pop())
    return {
        "buttons": [{"action_id": ACTION_BUTTONS[a].value, "label": _(LABELS[a])} for a in buttons],
        "more": [{"value": a.value, "label": _(LABELS[a])} for a in more],
    }

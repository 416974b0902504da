"""The buttons that open a case's flows: on its card, in its owner's DM, on a reminder. Each is
derived from the flows' files (`opened_from`, `card`, `states`), so no button is shown that the
case's state would refuse."""

from __future__ import annotations

from typing import Any

from assistant.content.flow_files import FlowBook
from assistant.content.i18n import _
from assistant.domain.status import Status
from assistant.ids import CaseAction

# A flow's button: "case_<flow>", its value the case's id. The card's "More" menu is one
# overflow (ids.CaseAction.MORE) whose options are "<flow>:<case id>".
BUTTON_PREFIX = "case_"


def flow_button_id(flow: str) -> str:
    return f"{BUTTON_PREFIX}{flow}"


def flow_button(book: FlowBook, flow: str) -> dict[str, str]:
    return {"action_id": flow_button_id(flow), "flow": flow, "label": _(book[flow].button)}


def card_actions(book: FlowBook, status: Status) -> dict[str, list[dict[str, str]]]:
    """The card's buttons for a status, the likely next steps first, the rest under "More"."""
    buttons, more = (list(names) for names in book.card(status))
    if len(more) == 1:  # Slack's overflow menu needs two options: a lone one is a button
        buttons.append(more.pop())
    return {
        "buttons": [flow_button(book, flow) for flow in buttons],
        "more": [{"value": flow, "label": _(book[flow].button)} for flow in more[:5]],
    }


def buttons_from(book: FlowBook, status: Status, place: str) -> list[dict[str, str]]:
    """The buttons of the flows opened from `place` (owner_dm, reminder) that fit `status`."""
    buttons, more = book.card(status)
    return [flow_button(book, f) for f in (*buttons, *more) if place in book[f].opened_from]


def next_step(book: FlowBook, status: Status) -> dict[str, Any] | None:
    """A reminder's one button: the first flow a reminder opens in `status`."""
    flow = book.next_step(status)
    return flow_button(book, flow) if flow else None


class ButtonId(str):
    """A button's action id as templates name it: itself, or its `.value` (as an enum's)."""

    @property
    def value(self) -> str:
        return str(self)


def action_ids(book: FlowBook) -> dict[str, ButtonId]:
    """The ids a template may name a button by: ids.CaseAction's, and each flow's button by its
    name in capitals (case.actions.ACKNOWLEDGE: a team's template written before flows were
    declared in files still finds it)."""
    ids = {a.name: a.value for a in CaseAction} | {f.upper(): flow_button_id(f) for f in book.names}
    return {name: ButtonId(value) for name, value in ids.items()}

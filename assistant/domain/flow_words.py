"""The owner flows' words and rules as the flow definitions give them (flows/<flow>.yml): each
field's label, hint, placeholder, length and "required" sentence, and who may run a flow in
which states (the lifecycle's permission and state tables are filled from them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.domain.lifecycle import ALLOWED, PERMITTED, Action, Role
from assistant.domain.status import Status
from assistant.i18n import _

ROLES = {
    "owner": Role.OWNER,
    "reporter": Role.REPORTER,
    "manager": Role.MANAGER,
    "admin": Role.ADMIN,
    "involved": Role.INVOLVED,
}


@dataclass(frozen=True)
class FieldWords:
    label: str
    hint: str | None = None
    placeholder: str | None = None
    max_length: int | None = None
    required: str | None = None


@dataclass(frozen=True)
class FlowWords:
    title: str
    submit: str
    who: frozenset[str]
    states: frozenset[str]
    fields: dict[str, FieldWords] = field(default_factory=dict)


FLOW_WORDS: dict[Action, FlowWords] = {}


def apply_flow_words(flows: dict[Action, FlowWords]) -> None:
    """Take the flows' words, and their rules of who and when (tables filled in place)."""
    FLOW_WORDS.clear()
    FLOW_WORDS.update(flows)
    for action, flow in flows.items():
        PERMITTED[action] = frozenset(ROLES[r] for r in flow.who)
    for status in Status:
        keep = {a for a in ALLOWED[status] if a not in flows}  # the timeline: always
        ALLOWED[status] = frozenset(keep | {a for a, f in flows.items() if status.value in f.states})


def required_sentence(action: Action, field_id: str) -> str | None:
    """What to say when the field is left empty, or None if it may be."""
    flow = FLOW_WORDS.get(action)
    words = flow.fields.get(field_id) if flow else None
    return words.required if words else None


def shown_words(action: Action) -> dict[str, Any]:
    """The flow's words in the reader's language, for its modal (the title keeps %(key)s)."""
    flow = FLOW_WORDS[action]
    return {
        "title": _(flow.title),
        "submit": _(flow.submit),
        "fields": {
            field_id: {
                "label": _(words.label),
                "hint": _(words.hint) if words.hint else None,
                "placeholder": _(words.placeholder) if words.placeholder else None,
                "max_length": words.max_length or 3000,
            }
            for field_id, words in flow.fields.items()
        },
    }

"""The owner flows as data (`flows/<flow>.yml`): who may run each and in which states, the
modal's title and button, and each field's words (label, hint, placeholder, length, the
sentence shown when a required field is empty).

What a flow does stays in code (`assistant/flows/`): a team's file changes the words and the
rules of who and when, not the fields themselves. Each file is checked at start-up like the
playbook (`file:line: what is wrong`); a team's copy in CUSTOM_DIR/flows/ replaces ours, and a
field it does not mention keeps our words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationInfo, field_validator

from assistant.content import content_dir
from assistant.domain.flow_words import FieldWords, FlowWords, apply_flow_words
from assistant.domain.lifecycle import Action
from assistant.playbook import PlaybookError, PlaybookProblem, _line_of, _Strict, flows_file, parse_content

# The flows with a definition, by file name (flows/<name>.yml).
FLOW_FILES: dict[str, Action] = {
    "acknowledge": Action.ACKNOWLEDGE,
    "classify": Action.CLASSIFY,
    "update": Action.POST_UPDATE,
    "reassign": Action.REASSIGN,
    "resolve": Action.RESOLVE,
    "rca": Action.RCA,
    "close": Action.CLOSE,
    "reopen": Action.REOPEN,
    "contacts": Action.CONTACTS,
    "accounts": Action.ACCOUNTS,
}
# Slack's limit for a modal's title and buttons; a title is checked with a long case key in it.
TITLE_MAX = 24
LONG_KEY = "ESC-99999"


class FieldEntry(_Strict):
    # What the engine reads and where a choice's options come from: facts of the code, written
    # here so the file tells the whole flow; a team's file may leave them out, not change them.
    type: Literal["text", "long_text", "time", "user", "choice", "choices", "channel", "accounts"] | None = (
        None
    )
    options: str | None = None
    label: str = Field(min_length=1, max_length=150)
    hint: str | None = Field(default=None, max_length=150)
    placeholder: str | None = Field(default=None, max_length=150)
    max_length: int | None = Field(default=None, ge=1, le=3000)
    # The sentence next to the field when it is left empty; without one the field is optional.
    required: str | None = Field(default=None, min_length=1, max_length=300)


class FlowDefinition(_Strict):
    # Where the flow is opened from (a fact of the code, like a field's type).
    opened_from: tuple[Literal["card", "owner_dm", "reminder", "command", "home"], ...] = ()
    title: str = Field(min_length=1)
    submit: str = Field(min_length=1, max_length=TITLE_MAX)
    who: tuple[Literal["owner", "reporter", "manager", "admin", "involved"], ...] = Field(min_length=1)
    states: tuple[Literal["new", "acknowledged", "resolved", "closed"], ...] = Field(min_length=1)
    fields: dict[str, FieldEntry] = Field(default_factory=dict)

    @field_validator("title")
    @classmethod
    def _title(cls, value: str, info: ValidationInfo) -> str:
        try:
            shown = value % {"key": LONG_KEY}
        except (KeyError, ValueError, TypeError):
            raise ValueError("write %(key)s where the case's key goes, and no other %( )") from None
        if len(shown) > TITLE_MAX:
            raise ValueError(f"at most {TITLE_MAX} characters with the case's key in it ({len(shown)})")
        return value


def _definition(path: Path) -> FlowDefinition:
    return parse_content(FlowDefinition, path.read_text(encoding="utf-8"), path)


def load_flows(folder: Path | None = None) -> dict[Action, FlowDefinition]:
    """Every flow's definition in effect: a team's file (checked against ours), else ours."""
    found: dict[Action, FlowDefinition] = {}
    problems: list[PlaybookProblem] = []
    for name, action in FLOW_FILES.items():
        ours_path = content_dir("flows") / f"{name}.yml"
        ours = _definition(ours_path)
        path = flows_file(f"{name}.yml", folder)
        if path == ours_path:
            found[action] = ours
            continue
        problems += _against_ours(path, ours)  # beside any other mistake in the file
        try:
            theirs = _definition(path)
        except PlaybookError as exc:
            problems += exc.problems
            continue
        # A field a team's file leaves out keeps our words.
        found[action] = theirs.model_copy(update={"fields": {**ours.fields, **theirs.fields}})
    if problems:
        raise PlaybookError(sorted(problems, key=lambda p: (str(p.file), p.line)))
    return found


def _against_ours(path: Path, ours: FlowDefinition) -> list[PlaybookProblem]:
    """A team may reword fields, not invent them, nor make optional what the engine needs."""
    text = path.read_text(encoding="utf-8")
    try:
        tree, data = yaml.compose(text), yaml.safe_load(text)
    except yaml.YAMLError:
        return []  # the schema's check says where
    fields = data.get("fields") if isinstance(data, dict) else None
    problems = []
    for field_id, entry in (fields if isinstance(fields, dict) else {}).items():
        line = _line_of(tree, ("fields", field_id))
        if field_id not in ours.fields:
            known = ", ".join(ours.fields)
            problems.append(
                PlaybookProblem(path, line, f"fields.{field_id}: this flow has no such field ({known})")
            )
            continue
        entry = entry if isinstance(entry, dict) else {}
        if ours.fields[field_id].required and not entry.get("required"):
            problem = f"fields.{field_id}: must stay required (say what to write when it is empty)"
            problems.append(PlaybookProblem(path, line, problem))
        for fact in ("type", "options"):
            theirs, engine = entry.get(fact), getattr(ours.fields[field_id], fact)
            if theirs is not None and theirs != engine:
                problem = f"fields.{field_id}.{fact}: {theirs!r} is the engine's to say (it reads {engine!r})"
                problems.append(PlaybookProblem(path, _line_of(tree, ("fields", field_id, fact)), problem))
    return problems


def apply_flows(flows: dict[Action, FlowDefinition]) -> None:
    """Make `flows` the ones in effect: their words, and who may run each in which states."""
    apply_flow_words(
        {
            action: FlowWords(
                title=flow.title,
                submit=flow.submit,
                who=frozenset(flow.who),
                states=frozenset(flow.states),
                fields={
                    field_id: FieldWords(e.label, e.hint, e.placeholder, e.max_length, e.required)
                    for field_id, e in flow.fields.items()
                },
            )
            for action, flow in flows.items()
        }
    )

"""The guided flows as data (`flows/<flow>.yml`), declared once: everything the app shows or
decides about a flow is read from its file.

A flow's file says where it is opened from (the case card, the owner's DM, a reminder,
`/escalate <verb>`), its verb and the help's words for it, its card button and where that button
sits, who may run it in which states and what a refusal suggests instead, the modal's title
and button, and each question: its type (which decides the Slack block and how the answer is
read), its words, and whether it is required (the sentence shown next to it when empty).

From these files the app derives its permission and state tables, the card's buttons per state
(only those the state allows), the verbs and `/escalate help`, the reminders' next step, and the
questions of each modal. What a flow *does* stays in code (`assistant/listeners/<flow>.py`), keyed by
the flow's name (the file's name).

Each file is checked at start-up like the playbook (`file:line: what is wrong`). A team's copy in
CUSTOM_DIR/flows/ overlays ours: what it leaves out keeps our value; it may reword, move a
button, change who may run the flow and when, require more, and add questions of its own (their
answers are kept on the case's timeline). The engine's facts (where a flow opens from, a built-in
question's type and options) are ours to say.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from assistant.content.paths import content_dir
from assistant.content.playbook import (
    PlaybookError,
    PlaybookProblem,
    _line_of,
    _message,
    _Strict,
    flows_file,
    parse_content,
    read_yaml,
)
from assistant.domain.lifecycle import FlowRules, Role
from assistant.domain.status import Status

# The files in flows/ that are not flows.
NOT_FLOWS = frozenset({"playbook.yml", "intake.yml"})
# A flow's file was renamed: a team's copy under its old name is still read (the new one wins).
OLD_NAMES = {"post_update": "update", "affected_accounts": "accounts"}
# Block ids our modals use besides their flows' questions: a team's question may not take one.
ENGINE_BLOCKS = frozenset(
    {
        "others_message",
        "case_actions",
        "owner_actions",
        "corrective_add",
        "preventive_add",
        "plan_add",
        "start_from",
    }
)
ENGINE_BLOCK_PATTERN = re.compile(r"^(corrective|preventive|new|step)_\d+_")
# The states a card may be in, and Slack's overflow menu's limit.
MORE_MAX = 5
# Slack's limit for a modal's title and buttons; a title is checked with a long case key in it.
TITLE_MAX = 24
LONG_KEY = "ESC-99999"
# Slack's limit for a button's text.
BUTTON_MAX = 75

# An `/escalate` word: lower case, as people type it (no digits: `esc1` names a case).
WORD = r"^[a-z][a-z_]{1,19}$"
StateName = Literal["new", "acknowledged", "resolved", "closed"]
RoleName = Literal["owner", "reporter", "manager", "admin", "involved", "participant"]
ROLES: Mapping[str, Role] = MappingProxyType(
    {
        "owner": Role.OWNER,
        "reporter": Role.REPORTER,
        "manager": Role.MANAGER,
        "admin": Role.ADMIN,
        "involved": Role.INVOLVED,
        "participant": Role.PARTICIPANT,
    }
)
# The types of question a team may add: their answers need no code to read.
TEAM_TYPES = frozenset({"text", "long_text", "time", "user", "channel"})
QuestionType = Literal["text", "long_text", "time", "user", "choice", "choices", "channel", "accounts"]


class FieldEntry(_Strict):
    # How the answer is read and shown (the block): an engine's fact for a built-in question.
    type: QuestionType | None = None
    # Where a choice's options come from (the engine's), or the options themselves.
    options: str | None = None
    label: str = Field(min_length=1, max_length=150)
    hint: str | None = Field(default=None, max_length=150)
    placeholder: str | None = Field(default=None, max_length=150)
    max_length: int | None = Field(default=None, ge=1, le=3000)
    # The sentence next to the field when it is left empty; without one the field is optional.
    required: str | None = Field(default=None, min_length=1, max_length=300)


class CardPlace(_Strict):
    # The order of the card's buttons and of its "More" menu (smaller first).
    order: int = Field(ge=1, le=999)
    # The states in which it is one of the card's buttons; in its other states, under "More".
    button_in: tuple[StateName, ...] = ()


class FlowDefinition(_Strict):
    # Where the flow is opened from (a fact of the code, like a question's type).
    opened_from: tuple[Literal["card", "owner_dm", "reminder", "command", "home"], ...] = ()
    # `/escalate <verb>`, other words for it, and what help says it does.
    verb: str = Field(pattern=WORD)
    aliases: tuple[Annotated[str, Field(pattern=WORD)], ...] = ()
    help: str = Field(min_length=1, max_length=200)
    # The card's button (and the reminder's next step).
    button: str = Field(min_length=1, max_length=BUTTON_MAX)
    card: CardPlace | None = None
    # "… so you cannot <doing> it", "Only the owner … can <doing> this case."
    doing: str = Field(min_length=1, max_length=80)
    who: tuple[RoleName, ...] = Field(min_length=1)
    states: tuple[StateName, ...] = Field(min_length=1)
    # What to do instead, in a state the flow does not fit.
    instead: dict[StateName, str] = Field(default_factory=dict)
    # The modal (a flow without questions has none: the timeline).
    title: str | None = Field(default=None, min_length=1)
    submit: str | None = Field(default=None, min_length=1, max_length=TITLE_MAX)
    fields: dict[str, FieldEntry] = Field(default_factory=dict)

    @field_validator("title")
    @classmethod
    def _title(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        try:
            shown = value % {"key": LONG_KEY}
        except (KeyError, ValueError, TypeError):
            raise ValueError("write %(key)s where the case's key goes, and no other %( )") from None
        if len(shown) > TITLE_MAX:
            raise ValueError(f"at most {TITLE_MAX} characters with the case's key in it ({len(shown)})")
        return value

    @model_validator(mode="after")
    def _whole(self) -> FlowDefinition:
        if ("card" in self.opened_from) != (self.card is not None):
            raise ValueError(
                "a flow opened from the card says where its button sits (card: order, button_in)"
            )
        if self.fields and not (self.title and self.submit):
            raise ValueError("a flow with questions has a modal: give it a title and a submit button")
        return self


@dataclass(frozen=True)
class Question:
    """One question of a flow's modal, as its file declares it."""

    id: str
    type: str
    required: str | None = None
    # A team's own question: its answer is kept on the timeline, no code reads it.
    teams: bool = False


@dataclass(frozen=True)
class FlowBook:
    """Every flow in effect, and what is derived from them."""

    flows: Mapping[str, FlowDefinition]
    # The questions a team added, by flow.
    team_questions: Mapping[str, frozenset[str]]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.flows)

    def __getitem__(self, name: str) -> FlowDefinition:
        return self.flows[name]

    def rules(self, name: str) -> FlowRules:
        flow = self.flows[name]
        return FlowRules(
            name=name,
            who=frozenset(ROLES[r] for r in flow.who),
            states=frozenset(Status(s) for s in flow.states),
            doing=flow.doing,
            instead=MappingProxyType({Status(s): text for s, text in flow.instead.items()}),
        )

    def named(self, word: str) -> str | None:
        """The flow a word names: its verb, one of its aliases, or its name."""
        word = word.lower()
        for name, flow in self.flows.items():
            if word in (flow.verb, name, *flow.aliases):
                return name
        return None

    def words(self) -> frozenset[str]:
        """Every word `/escalate <word>` takes for a flow."""
        return frozenset(w for name, f in self.flows.items() for w in (f.verb, name, *f.aliases))

    def allowed(self, status: Status | str) -> tuple[str, ...]:
        return tuple(name for name, flow in self.flows.items() if str(status) in flow.states)

    def card(self, status: Status | str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(buttons, "More") for a card in `status`: only flows the status allows, each in its place."""
        placed = sorted(
            (flow.card.order, name, str(status) in flow.card.button_in)
            for name, flow in self.flows.items()
            if flow.card is not None and str(status) in flow.states
        )
        return (
            tuple(name for _, name, button in placed if button),
            tuple(name for _, name, button in placed if not button),
        )

    def next_step(self, status: Status | str) -> str | None:
        """A reminder's button: the first flow on the card that reminders open, in `status`."""
        buttons, more = self.card(status)
        return next((n for n in (*buttons, *more) if "reminder" in self.flows[n].opened_from), None)

    def questions(self, name: str) -> tuple[Question, ...]:
        flow = self.flows[name]
        teams = self.team_questions.get(name, frozenset())
        return tuple(
            Question(field_id, entry.type or "text", entry.required, field_id in teams)
            for field_id, entry in flow.fields.items()
        )

    def help_rows(self) -> list[dict[str, Any]]:
        """The verbs, in the card's order, with what each does and who may run it."""
        order = {n: (f.card.order if f.card else 999, i) for i, (n, f) in enumerate(self.flows.items())}
        return [
            {"word": self.flows[n].verb, "does": self.flows[n].help, "who": self.flows[n].who}
            for n in sorted(self.flows, key=order.__getitem__)
            if "command" in self.flows[n].opened_from
        ]


def _raw(path: Path) -> dict[str, Any]:
    data = read_yaml(path.read_text(encoding="utf-8"))[1]
    return data if isinstance(data, dict) else {}


def flow_names() -> list[str]:
    """Our flows, by file name (a team adds questions and rules, not flows: a flow needs code)."""
    return sorted(p.stem for p in content_dir("flows").glob("*.yml") if p.name not in NOT_FLOWS)


def load_flows(folder: Path | None = None) -> FlowBook:
    """Every flow's definition in effect: a team's file overlaid on ours, else ours."""
    found: dict[str, FlowDefinition] = {}
    added: dict[str, frozenset[str]] = {}
    files: dict[str, Path] = {}
    problems: list[PlaybookProblem] = []
    ours_by_name = {
        name: parse_content(FlowDefinition, path.read_text(encoding="utf-8"), path)
        for name in flow_names()
        for path in [content_dir("flows") / f"{name}.yml"]
    }
    engine_ids = ENGINE_BLOCKS | {field_id for flow in ours_by_name.values() for field_id in flow.fields}
    for name, ours in ours_by_name.items():
        ours_path = content_dir("flows") / f"{name}.yml"
        path = flows_file(f"{name}.yml", folder)
        old = folder / "flows" / f"{OLD_NAMES.get(name, name)}.yml" if folder is not None else None
        if path == ours_path and old is not None and old.is_file():
            path = old  # a team's copy from before the file was renamed
        if path == ours_path:
            found[name] = ours
            continue
        try:
            merged, theirs_only = _overlaid(path, ours, engine_ids)
        except PlaybookError as exc:
            problems += exc.problems
            continue
        found[name] = merged
        added[name] = theirs_only
        files[name] = path
    problems += _clashing_words(found, files)
    problems += _cards_without_buttons(found, files)
    if problems:
        raise PlaybookError(sorted(problems, key=lambda p: (str(p.file), p.line)))
    return FlowBook(MappingProxyType(found), MappingProxyType(added))


def _overlaid(
    path: Path, ours: FlowDefinition, engine_ids: frozenset[str]
) -> tuple[FlowDefinition, frozenset[str]]:
    """A team's file over ours: every problem at its line in their file."""
    text = path.read_text(encoding="utf-8")
    try:
        tree, data = read_yaml(text)
    except yaml.YAMLError:
        parse_content(FlowDefinition, text, path)  # raises, saying where
        raise
    if not isinstance(data, dict):
        raise PlaybookError([PlaybookProblem(path, 1, "expected sections (name: …), one a line")])
    problems = []
    given = data.get("fields", {})
    if not isinstance(given, dict):
        problem = "fields: one question a line (its id, then its type, label…), not a list"
        raise PlaybookError([PlaybookProblem(path, _line_of(tree, ("fields",)), problem)])
    fields: dict[str, Any] = given
    theirs_only = set()
    for field_id, entry in fields.items():
        line = _line_of(tree, ("fields", field_id))
        if not isinstance(entry, dict):
            problems.append(PlaybookProblem(path, line, f"fields.{field_id}: give its label (and type)"))
            continue
        if field_id not in ours.fields and (field_id in engine_ids or ENGINE_BLOCK_PATTERN.match(field_id)):
            problem = f"fields.{field_id}: an id the engine's modals use already; choose another"
            problems.append(PlaybookProblem(path, line, problem))
            continue
        if field_id not in ours.fields:
            theirs_only.add(field_id)
            if entry.get("type") not in TEAM_TYPES:
                types = ", ".join(sorted(TEAM_TYPES))
                problem = f"fields.{field_id}: a question of your own needs a type ({types})"
                problems.append(PlaybookProblem(path, line, problem))
            if "options" in entry:
                problems.append(
                    PlaybookProblem(
                        path, line, f"fields.{field_id}.options: only the engine's choices have options"
                    )
                )
            continue
        if ours.fields[field_id].required and not entry.get("required", True):
            problem = f"fields.{field_id}: must stay required (say what to write when it is empty)"
            problems.append(PlaybookProblem(path, line, problem))
        for fact in ("type", "options"):
            theirs, engine = entry.get(fact), getattr(ours.fields[field_id], fact)
            if theirs is not None and theirs != engine:
                problem = f"fields.{field_id}.{fact}: {theirs!r} is the engine's to say (it reads {engine!r})"
                problems.append(PlaybookProblem(path, _line_of(tree, ("fields", field_id, fact)), problem))
    if "opened_from" in data and tuple(data["opened_from"] or ()) != ours.opened_from:
        problem = f"opened_from: the engine's to say (it opens from {', '.join(ours.opened_from)})"
        problems.append(PlaybookProblem(path, _line_of(tree, ("opened_from",)), problem))
    base = ours.model_dump(exclude_none=True)
    merged_fields = {
        field_id: {**base["fields"].get(field_id, {}), **(entry if isinstance(entry, dict) else {})}
        for field_id, entry in {**base["fields"], **fields}.items()
    }
    merged = {**base, **data, "fields": merged_fields}
    for section in ("card", "instead"):  # a team's file names what it changes in them
        if isinstance(base.get(section), dict) and isinstance(data.get(section), dict):
            merged[section] = {**base[section], **data[section]}
    try:
        definition = FlowDefinition.model_validate(merged)
    except ValidationError as exc:
        problems += [
            PlaybookProblem(path, _line_of(tree, error["loc"]), _message(error)) for error in exc.errors()
        ]
    if problems:
        raise PlaybookError(sorted(problems, key=lambda p: p.line))
    return definition, frozenset(theirs_only)


def _clashing_words(flows: Mapping[str, FlowDefinition], files: Mapping[str, Path]) -> list[PlaybookProblem]:
    """Two flows answering to one `/escalate` word, or a flow taking a word the command keeps:
    each said once, in the file that brought it (a team's, where it changed the words)."""
    kept = {"help", "list", "status", "follow", "unfollow"}
    seen: dict[str, str] = {}
    problems = []

    # Ours first: a clash is the team's file's, which brought the word.
    def brings_words(name: str) -> bool:
        return name in files and bool({"verb", "aliases"} & set(_raw(files[name])))

    for name, flow in sorted(flows.items(), key=lambda item: brings_words(item[0])):
        path = files.get(name) or flows_file(f"{name}.yml")
        for key, word in [("verb", flow.verb), ("verb", name), *(("aliases", a) for a in flow.aliases)]:
            other = seen.setdefault(word, name)
            if word in kept or other != name:
                clash = "the command's own word" if word in kept else f"also the {other} flow's word"
                problems.append(PlaybookProblem(path, _key_line(path, key), f"{key} {word!r}: {clash}"))
    return list({(p.file, p.line, p.message): p for p in problems}.values())


def _cards_without_buttons(
    flows: Mapping[str, FlowDefinition], files: Mapping[str, Path]
) -> list[PlaybookProblem]:
    """A card with no button in some state, or more in its "More" menu than Slack shows: said in
    a team's file that moves buttons or states (ours are right)."""
    book = FlowBook(flows, MappingProxyType({}))
    problems = []
    moving = [path for path in files.values() if {"card", "states"} & set(_raw(path))]
    where = next(iter(moving or files.values()), None)
    if where is None:
        return []
    for status in Status:
        buttons, more = book.card(status)
        state = status.value
        if not buttons and len(more) != 1:
            problem = f"card: no button on a {state} case's card (give a flow card.button_in: [{state}])"
            problems.append(PlaybookProblem(where, _key_line(where, "card"), problem))
        if len(more) > MORE_MAX:
            problem = f"card: {len(more)} flows in a {state} case's More menu (Slack shows {MORE_MAX})"
            problems.append(PlaybookProblem(where, _key_line(where, "card"), problem))
    return problems


def _key_line(path: Path, key: str) -> int:
    try:
        return _line_of(read_yaml(path.read_text(encoding="utf-8"))[0], (key,))
    except yaml.YAMLError:
        return 1

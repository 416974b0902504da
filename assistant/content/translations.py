"""Keeping the catalogs whole: extract every sentence to translate, update the catalogs, check
them (`python -m assistant translations extract|check`).

Sentences come from three places, all under messages/ and flows/: the engine's sentences by id
(messages/sentences.yml, which the Python names and never writes), the templates (`_()` in
messages/templates/*.j2) and the practice (the labels and sentences of flows/*.yml). `check`
fails on a sentence a catalog lacks, one it marks fuzzy, one whose placeholders differ from the
English, on a template that shows English text without `_()`, on English written in the
engine's Python, shown or kept to be shown (see `check_python`), on an id no sentence has, and
on a sentence no code says. The catalogs name where each sentence is used relative to the repository
(`#: assistant/domain/communications.py`), never a machine's own folders.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import yaml
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po, write_po
from jinja2 import Environment

from assistant.content.locales import CATALOG, ENGLISH, SHIPPED
from assistant.content.paths import content_dir
from assistant.content.sentence_file import (
    PLACEHOLDER,
    SENTENCES_FILE,
    ours_path,
    read_sentences,
    sentence_entries,
    sentence_of,
)

ENGINE = Path(__file__).resolve().parents[1]
# English for the operator and for programs, never shown in Slack nor translated: the CLI and
# the HTTP API (its problems are for the programs that call it).
ENGINE_ENGLISH = (ENGINE / "cli.py", ENGINE / "api")
# The practice's words a reader sees (flows/*.yml): translated like the rest.
CONTENT_KEYS = frozenset(
    {
        "label",
        "when",
        "description",
        "note",
        "resolution_owner",
        "expected_response",
        "at_once",
        "do_not",
        "hint",
        # The flow definitions (flows/<flow>.yml).
        "title",
        "submit",
        "placeholder",
        "required",
        "help",
        "button",
        "doing",
        # A category's suggested action plan steps.
        "step",
    }
)
# Mappings whose values are all sentences: labels by id, a flow's advice by state (`instead`).
CONTENT_MAPPINGS = frozenset({"labels", "instead"})
# A literal English text in a template ("text": "Cancel") instead of {{ _("Cancel")|tojson }}.
LITERAL_TEXT = re.compile(r'"text":\s*"(?=[^"]*[A-Za-z]{2})([^"]*)"')
# Inside an expression: a string with a word in it that is not the argument of _() or ngettext()
# (emoji codes and identifiers are not words; the intake form's sample account name is a name).
EMOJI = re.compile(r":[a-z0-9_+-]+:")
WORD = re.compile(r"[A-Za-z]{3,}")
NOT_PROSE = re.compile(r"[\w.{}:/-]*")
NAMES = frozenset({"Acme Corp"})


def extract_content(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any) -> Iterator[Any]:
    """A Babel extractor for the practice's YAML: each reader-facing string with its line."""

    def walk(node: yaml.Node) -> Iterator[Any]:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(value, yaml.ScalarNode) and key.value in CONTENT_KEYS and value.value.strip():
                    yield value.start_mark.line + 1, "_", " ".join(value.value.split()), []
                elif key.value in CONTENT_MAPPINGS and isinstance(value, yaml.MappingNode):
                    for _, label in value.value:
                        yield label.start_mark.line + 1, "_", label.value, []
                else:
                    yield from walk(value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                yield from walk(item)

    tree = yaml.compose(fileobj.read().decode("utf-8"))
    if tree is not None:
        yield from walk(tree)


def extract_sentences(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any) -> Iterator[Any]:
    """A Babel extractor for the engine's sentences (messages/sentences.yml): each one's English
    (with its plural or context) at its line, its id as a comment for the translator."""
    tree = yaml.compose(fileobj.read().decode("utf-8"))
    if tree is None:
        return
    for name, node in sentence_entries(tree):
        sentence = sentence_of(node)
        if sentence is None:
            continue
        line = node.start_mark.line + 1
        if sentence.plural is not None:
            yield line, "ngettext", (sentence.msgid, sentence.plural), [f"id: {name}"]
        elif sentence.context is not None:
            yield line, "pgettext", (sentence.context, sentence.msgid), [f"id: {name}"]
        else:
            yield line, "_", sentence.msgid, [f"id: {name}"]


def sources() -> list[tuple[Path, Any]]:
    templates = content_dir("messages") / "templates"
    flows = content_dir("flows")
    return [
        (ours_path(), extract_sentences),
        *((p, "jinja2.ext:babel_extract") for p in sorted(templates.glob("*.j2"))),
        *((p, extract_content) for p in sorted(flows.glob("*.yml"))),
    ]


def shown(path: Path) -> str:
    """`path` as the catalogs and the check name it: relative to the repository (the engine's
    folder's parent, the built-in content's), so no machine's own folders are written down."""
    bases = [ENGINE.parent, content_dir("messages").parent, content_dir("flows").parent]
    for base in bases:
        if path.resolve().is_relative_to(base):
            return path.resolve().relative_to(base).as_posix()
    return path.as_posix()


def extracted() -> Catalog:
    """Every sentence to translate, with where it is used (relative to the repository)."""
    catalog = Catalog(locale=ENGLISH)
    options = {"trim_blocks": "true", "lstrip_blocks": "true"}
    for path, method in sources():
        found = extract_from_file(method, str(path), keywords=DEFAULT_KEYWORDS, options=options)
        for line, message, comments, context in found:
            catalog.add(message, locations=[(shown(path), line)], auto_comments=comments, context=context)
    return catalog


def catalog_file(locale: str) -> Path:
    return content_dir("messages") / "locale" / locale / CATALOG


def update_catalogs() -> list[Path]:
    """Bring every shipped catalog up to date with the sources (new sentences empty, gone ones dropped)."""
    template = extracted()
    written = []
    for locale in SHIPPED:
        if locale == ENGLISH:
            continue
        path = catalog_file(locale)
        if path.is_file():
            with path.open("rb") as source:
                catalog = read_po(source, locale=locale)
        else:
            catalog = Catalog(locale=locale)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            write_po(out, catalog, width=100, omit_header=False, sort_output=False, include_lineno=False)
        written.append(path)
    return written


@dataclass(frozen=True)
class CatalogProblem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def _english_in_expressions(source: str) -> Iterator[tuple[int, str]]:
    tokens = [t for t in Environment(extensions=["jinja2.ext.i18n"]).lex(source) if t[1] != "whitespace"]
    for index, (line, kind, value) in enumerate(tokens):
        text = EMOJI.sub("", value[1:-1]) if kind == "string" else ""
        if not WORD.search(text) or NOT_PROSE.fullmatch(text) or text in NAMES:
            continue
        before = [t[2] for t in tokens[max(0, index - 4) : index]]
        translated = (
            before[-2:] in (["_", "("], ["ngettext", "("])
            or (before[:2] == ["pgettext", "("])
            or (before[-1:] == [","] and before[:2] == ["ngettext", "("])
        )
        if not translated:
            yield line, value[1:-1]


def _english(path: Path) -> Iterator[CatalogProblem]:
    """English a reader would see in a template: literal texts, and strings outside _()."""
    text = path.read_text(encoding="utf-8")
    for match in LITERAL_TEXT.finditer(text):
        line = text[: match.start()].count("\n") + 1
        yield CatalogProblem(f"{shown(path)}:{line}", f"English text without _(): {match.group(1)!r}")
    for line, english in _english_in_expressions(text):
        yield CatalogProblem(f"{shown(path)}:{line}", f"English text without _(): {english!r}")


def _texts(value: Any) -> list[str]:
    """A message's id or string as a list (plural forms are several)."""
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _entry_problem(wanted: Any, found: Any) -> str | None:
    if found is None or not any(_texts(found.string)):
        return "not translated"
    if found.fuzzy:
        return "marked fuzzy: check the translation and remove the flag"
    english = set(PLACEHOLDER.findall(_texts(wanted.id)[0]))
    if any(set(PLACEHOLDER.findall(t)) != english for t in _texts(found.string)):
        return f"the placeholders differ from the English ({', '.join(sorted(english)) or 'none'})"
    return None


def check_catalogs() -> list[CatalogProblem]:
    """What is missing or wrong in the shipped catalogs and templates; empty when they are whole."""
    templates = content_dir("messages") / "templates"
    problems = [p for path in sorted(templates.glob("*.j2")) for p in _english(path)]
    ours, _problems = read_sentences(ours_path())
    python = _python_check(None, frozenset(ours))
    problems += sorted(python.problems.values(), key=lambda p: _line_order(p.where))
    problems += _unsaid(ours, python.used)
    wanted = [m for m in extracted() if m.id]
    for locale in SHIPPED:
        if locale == ENGLISH:
            continue
        path = catalog_file(locale)
        if not path.is_file():
            problems.append(CatalogProblem(shown(path), "the catalog is missing"))
            continue
        with path.open("rb") as source:
            catalog = read_po(source, locale=locale)
        for message in wanted:
            problem = _entry_problem(message, catalog.get(message.id, context=message.context))
            if problem:
                used = message.locations[0] if message.locations else ("?", 0)
                where = f"{shown(path)}: {_texts(message.id)[0]!r} (used at {used[0]}:{used[1]})"
                problems.append(CatalogProblem(where, problem))
    return problems


# English the engine's Python shows in Slack without _(). Whether a string is shown is decided
# by where it goes, never by how it reads. A value is shown when it reaches a sink:
#   - the keyword values of render_message()/render_view() (a template's context, not `locale`);
#   - the text of ack(), respond(), say() (also positional) and of the chat_* calls;
#   - ack(errors=…), and what is put in a dict named `errors` (a modal's field errors: every
#     flow names them so) or returned by a flow's `check=` (FlowSpec);
#   - the message of an ActionRefused (shown next to a field or as a notice);
#   - a file's title in files_upload_v2();
#   - the placeholders of _(), and the message _(name) looks up (it must be marked with N_()).
# It reaches one through a local or module-level name, a function's return value, or one of a
# function's parameters (then every call's argument for it is shown). Calls are followed by
# name or through an imported module, not through methods, and not into _() and N_(), which
# translate. A shown string literal or f-string with a word in it (not an identifier, nor a
# piece of a URL) is English a reader sees: a problem.
TRANSLATED = frozenset({"_", "N_", "gettext", "ngettext", "pgettext", "npgettext"})
SHOWN_KEYWORDS = {
    "ack": frozenset({"text", "errors"}),
    "respond": frozenset({"text"}),
    "say": frozenset({"text"}),
    "chat_postMessage": frozenset({"text"}),
    "chat_postEphemeral": frozenset({"text"}),
    "chat_update": frozenset({"text"}),
    "chat_scheduleMessage": frozenset({"text"}),
    "FlowSpec": frozenset({"check"}),
    "files_upload_v2": frozenset({"title", "initial_comment", "alt_text"}),
}
FILE_UPLOADS = "file_uploads"  # files_upload_v2(file_uploads=[{"title": …}, …])
SHOWN_POSITIONALLY = frozenset({"ack", "respond", "say", "ActionRefused"})
RENDERERS = frozenset({"render_message", "render_view"})
# The arguments a translation looks up (by position): a sentence kept elsewhere and looked up by
# _(name) is only in the catalogs if it was marked with N_() where it is written.
LOOKED_UP = {"_": (0,), "gettext": (0,), "ngettext": (0, 1), "pgettext": (1,)}
ERRORS = "errors"
CAPITALISED = re.compile(r"[A-Z][a-z]")
CODE = re.compile(r"[\w.{}:/?&=%#+-]*")
SLACK_TOKEN = re.compile(r"<[@#!][^>]*>|https?://\S*")

Scope = ast.FunctionDef | ast.AsyncFunctionDef | ast.Module
FUNCTIONS = ast.FunctionDef | ast.AsyncFunctionDef


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of `scope`'s own body: not those of the functions and classes defined in it."""
    body = scope.body if isinstance(scope, FUNCTIONS | ast.Module) else []
    stack: list[ast.AST] = list(reversed(body))
    if isinstance(scope, FUNCTIONS):
        stack += [*scope.args.defaults, *(d for d in scope.args.kw_defaults if d is not None)]
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, FUNCTIONS | ast.ClassDef):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _call_name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _sentence(node: ast.expr) -> str | None:
    """The English of a string literal or f-string (placeholders as {}), if it has words."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values)
    else:
        return None
    words = EMOJI.sub("", SLACK_TOKEN.sub("", text)).replace("{}", " ").strip()
    if not WORD.search(words) or text in NAMES:
        return None
    # An identifier ("primary", "in_channel") or a piece of a URL ("&team=") is not read; a
    # capitalised word ("Cancel") is.
    return text if not CODE.fullmatch(words) or CAPITALISED.search(words) else None


@dataclass
class _Module:
    name: str
    path: Path
    tree: ast.Module
    imports: dict[str, str]  # local name -> the dotted name it stands for
    functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]]  # by name, nested ones too
    enclosing: dict[int, list[Scope]]  # id(function) -> its scopes, innermost first, module last
    shown: str  # its path as the check names it


@dataclass
class _Shown:
    module: _Module
    scope: Scope
    value: ast.expr
    because: str


def _read_module(root: Path, path: Path) -> _Module:
    relative = path.relative_to(root.parent).with_suffix("")
    parts = list(relative.parts[:-1] if relative.name == "__init__" else relative.parts)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    imports: dict[str, str] = {}
    functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
    enclosing: dict[int, list[Scope]] = {}
    package = parts if path.name == "__init__.py" else parts[:-1]

    def visit(node: ast.AST, scopes: list[Scope], in_class: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    imports[alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else alias.name.split(".")[0]
                    )
            elif isinstance(child, ast.ImportFrom):
                base = package[: len(package) - child.level + 1] if child.level else []
                source = ".".join([*base, *([child.module] if child.module else [])])
                for alias in child.names:
                    imports[alias.asname or alias.name] = f"{source}.{alias.name}"
            if isinstance(child, FUNCTIONS):
                if not in_class:
                    functions.setdefault(child.name, []).append(child)
                enclosing[id(child)] = [child, *scopes]
                visit(child, [child, *scopes], False)
            else:
                visit(
                    child,
                    scopes,
                    isinstance(child, ast.ClassDef) or (in_class and not isinstance(child, ast.stmt)),
                )

    visit(tree, [tree], False)
    enclosing[id(tree)] = [tree]
    return _Module(".".join(parts), path, tree, imports, functions, enclosing, shown(path))


# What names a sentence by its id (messages/sentences.yml): the translating functions, and the
# domain's sentences (domain/sentences.py). The constant each is given must be a known id.
NAMES_A_SENTENCE = frozenset({"_", "N_", "said", "said_n", "lowered", "gettext", "ngettext", "pgettext"})


class _PythonCheck:
    """Follows every shown value to the string literals it may be (see the comment above), and
    checks each sentence the Python names by id."""

    def __init__(self, modules: list[_Module], ids: frozenset[str]) -> None:
        self.ids = ids
        self.used: set[str] = set()
        self.modules = {m.name: m for m in modules}
        self.queue: list[_Shown] = []
        self.seen: set[int] = set()
        self.problems: dict[tuple[str, int, str], CatalogProblem] = {}
        self._calls: dict[int, list[tuple[_Module, Scope, ast.Call]]] | None = None
        self._assigned: dict[int, dict[str, list[ast.expr]]] = {}

    # Where a name leads.
    def _imported(self, module: _Module, dotted: str) -> tuple[_Module, str] | None:
        owner, _dot, name = dotted.rpartition(".")
        found = self.modules.get(owner)
        return (found, name) if found else None

    def functions_called(self, module: _Module, scope: Scope, call: ast.Call) -> list[tuple[_Module, Any]]:
        func = call.func
        if isinstance(func, ast.Name):
            return self.functions_named(module, scope, func.id) or self.functions_held(module, scope, func.id)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            target = module.imports.get(func.value.id)
            if target in self.modules:
                other = self.modules[target]
                return [
                    (other, f)
                    for f in other.functions.get(func.attr, [])
                    if other.enclosing[id(f)][1] is other.tree
                ]
        return []

    def functions_named(self, module: _Module, scope: Scope, name: str) -> list[tuple[_Module, Any]]:
        for outer in module.enclosing[id(scope)]:
            nested = [f for f in module.functions.get(name, []) if module.enclosing[id(f)][1] is outer]
            if nested:
                return [(module, f) for f in nested]
        if name in module.imports:
            found = self._imported(module, module.imports[name])
            if found:
                other, real = found
                return [
                    (other, f)
                    for f in other.functions.get(real, [])
                    if other.enclosing[id(f)][1] is other.tree
                ]
        return []

    def functions_held(self, module: _Module, scope: Scope, name: str) -> list[tuple[_Module, Any]]:
        """The functions a local `name` holds: those returned by the call assigned to it
        (`checks = promise_check(…)`, then `checks(…)`)."""
        held = []
        for outer in module.enclosing[id(scope)]:
            for value in self.assignments(outer, name):
                if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
                    for other, maker in self.functions_named(module, outer, value.func.id):
                        for node in _own_nodes(maker):
                            if isinstance(node, ast.Return) and isinstance(node.value, ast.Name):
                                held += self.functions_named(other, maker, node.value.id)
        return held

    def assignments(self, scope: Scope, name: str) -> list[ast.expr]:
        """The values assigned to `name` in `scope`'s own body."""
        if id(scope) not in self._assigned:
            found: dict[str, list[ast.expr]] = {}
            for node in _own_nodes(scope):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        _assigned(target, node.value, found)
                elif (
                    isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr) and node.value is not None
                ):
                    _assigned(node.target, node.value, found)
            self._assigned[id(scope)] = found
        return self._assigned[id(scope)].get(name, [])

    # Following values.
    def show(self, module: _Module, scope: Scope, value: ast.expr | None, because: str) -> None:
        if value is not None and id(value) not in self.seen:
            self.seen.add(id(value))
            self.queue.append(_Shown(module, scope, value, because))

    def show_returns(self, module: _Module, function: Any, because: str) -> None:
        if id(function) in self.seen:
            return
        self.seen.add(id(function))
        for node in _own_nodes(function):
            if isinstance(node, ast.Return):
                self.show(module, function, node.value, f"returned by {function.name}(), {because}")

    def show_parameter(self, module: _Module, function: Any, name: str, because: str) -> None:
        if function.name in TRANSLATED:
            return  # _(message) itself: its callers' sentences are extracted
        args = function.args
        positional = [a.arg for a in [*args.posonlyargs, *args.args]]
        for caller, scope, call in self.calls().get(id(function), []):
            for keyword in call.keywords:
                if keyword.arg == name:
                    self.show(caller, scope, keyword.value, f"the {name} of {function.name}(), {because}")
            if name in positional and positional.index(name) < len(call.args):
                argument = call.args[positional.index(name)]
                if not isinstance(argument, ast.Starred):
                    self.show(caller, scope, argument, f"the {name} of {function.name}(), {because}")

    def calls(self) -> dict[int, list[tuple[_Module, Scope, ast.Call]]]:
        if self._calls is None:
            self._calls = {}
            for module in self.modules.values():
                for scope in _scopes(module):
                    for node in _own_nodes(scope):
                        if isinstance(node, ast.Call):
                            for _m, function in self.functions_called(module, scope, node):
                                self._calls.setdefault(id(function), []).append((module, scope, node))
        return self._calls

    def follow(self, item: _Shown) -> None:
        module, scope, node, because = item.module, item.scope, item.value, item.because
        text = _sentence(node)
        if text is not None:
            where = f"{module.shown}:{node.lineno}"
            message = f"English written in Python, shown in Slack ({because}): {text!r}"
            self.problems.setdefault((where, node.col_offset, text), CatalogProblem(where, message))
            return
        if isinstance(node, ast.IfExp):
            self.show(module, scope, node.body, because)
            self.show(module, scope, node.orelse, because)
        elif isinstance(node, ast.BoolOp | ast.Tuple | ast.List | ast.Set):
            for value in node.values if isinstance(node, ast.BoolOp) else node.elts:
                self.show(module, scope, value, because)
        elif isinstance(node, ast.BinOp):
            self.show(module, scope, node.left, because)
            self.show(module, scope, node.right, because)
        elif isinstance(node, ast.Dict):
            for value in node.values:
                self.show(module, scope, value, because)
        elif isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp):
            self.show(module, scope, node.elt, because)
        elif isinstance(node, ast.Starred | ast.NamedExpr | ast.Await | ast.FormattedValue | ast.Subscript):
            self.show(module, scope, node.value, because)
        elif isinstance(node, ast.JoinedStr):  # no words of its own: what fills it in
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    self.show(module, scope, value.value, because)
        elif isinstance(node, ast.Name):
            self.follow_name(module, scope, node.id, because)
        elif isinstance(node, ast.Call):
            self.follow_call(module, scope, node, because)

    def follow_name(self, module: _Module, scope: Scope, name: str, because: str) -> None:
        for outer in module.enclosing[id(scope)]:
            values = self.assignments(outer, name)
            if values:
                for value in values:
                    self.show(module, outer, value, because)
                return
            if isinstance(outer, FUNCTIONS) and name in _parameters(outer):
                self.show_parameter(module, outer, name, because)
                return
        for other, function in self.functions_named(module, scope, name):
            self.show_returns(other, function, because)
        if name in module.imports:
            found = self._imported(module, module.imports[name])
            if found:
                other, real = found
                for value in self.assignments(other.tree, real):
                    self.show(other, other.tree, value, because)

    def follow_call(self, module: _Module, scope: Scope, call: ast.Call, because: str) -> None:
        func = call.func
        if isinstance(func, ast.Name) and func.id in TRANSLATED:
            return  # translated; its placeholders are a sink of their own
        if isinstance(func, ast.Attribute) and _sentence(func.value) is not None:
            self.show(module, scope, func.value, because)  # "…{}…".format(…)
        if isinstance(func, ast.Attribute) and func.attr in ("format", "join"):
            for argument in [*call.args, *(k.value for k in call.keywords)]:
                self.show(module, scope, argument, because)
        for other, function in self.functions_called(module, scope, call):
            self.show_returns(other, function, because)

    # Where values are shown.
    def find_sinks(self, module: _Module) -> None:
        for scope in _scopes(module):
            for node in _own_nodes(scope):
                where = f"{module.shown}:{getattr(node, 'lineno', 0)}"
                if isinstance(node, ast.Call):
                    self.call_sink(module, scope, node, where)
                elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign) and node.value is not None:
                    for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                        if (isinstance(target, ast.Subscript) and _is_errors(target.value)) or (
                            _is_errors(target) and isinstance(node.value, ast.Dict)
                        ):
                            self.show(module, scope, node.value, f"a field error, {where}")

    def call_sink(self, module: _Module, scope: Scope, call: ast.Call, where: str) -> None:
        name = _call_name(call)
        if name is None:
            return
        because = f"{name}() at {where}"
        if name in RENDERERS or name in ("_", "gettext"):
            for keyword in call.keywords:
                if keyword.arg not in (None, "locale"):
                    self.show(module, scope, keyword.value, because)
        for keyword in call.keywords:
            if keyword.arg in SHOWN_KEYWORDS.get(name, ()):
                self.show(module, scope, keyword.value, because)
        for keyword in call.keywords:
            if keyword.arg == FILE_UPLOADS and isinstance(keyword.value, ast.List | ast.Tuple):
                for upload in keyword.value.elts:
                    for key, value in (
                        zip(upload.keys, upload.values, strict=True) if isinstance(upload, ast.Dict) else ()
                    ):
                        if isinstance(key, ast.Constant) and key.value in SHOWN_KEYWORDS["files_upload_v2"]:
                            self.show(module, scope, value, because)
        if name in SHOWN_POSITIONALLY:
            for argument in call.args:
                self.show(module, scope, argument, because)
        for index in LOOKED_UP.get(name, ()) if isinstance(call.func, ast.Name) else ():
            # _(CANNOT_INVITE[code]): what it may look up must have been marked with N_().
            if index < len(call.args) and not isinstance(call.args[index], ast.Constant | ast.JoinedStr):
                self.show(module, scope, call.args[index], f"looked up by {name}() at {where}")
        func = call.func
        if (
            isinstance(func, ast.Attribute)
            and _is_errors(func.value)
            and func.attr in ("setdefault", "update")
        ):
            for argument in call.args[1:] if func.attr == "setdefault" else call.args:
                self.show(module, scope, argument, f"a field error, {where}")

    def named_sentences(self, module: _Module) -> None:
        """`_("acknowledge.promise_in_past")`: an id the sentences file has; never the words."""
        for node in ast.walk(module.tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in NAMES_A_SENTENCE or not node.args:
                continue
            argument = node.args[0]
            if not isinstance(argument, ast.Constant | ast.JoinedStr):
                continue
            where = f"{module.shown}:{node.lineno}"
            text = _sentence(argument)
            if isinstance(argument, ast.Constant) and argument.value in self.ids:
                self.used.add(argument.value)
            elif text is not None:
                message = f"English written in Python, in {node.func.id}(): {text!r}"
                self.problems.setdefault((where, node.col_offset, text), CatalogProblem(where, message))
            else:
                said = argument.value if isinstance(argument, ast.Constant) else "f-string"
                message = (
                    f"no sentence has this id in messages/{SENTENCES_FILE}, in {node.func.id}(): {said!r}"
                )
                self.problems.setdefault((where, node.col_offset, str(said)), CatalogProblem(where, message))

    def run(self) -> list[CatalogProblem]:
        for module in self.modules.values():
            self.named_sentences(module)
            self.find_sinks(module)
        while self.queue:
            self.follow(self.queue.pop())
        return sorted(self.problems.values(), key=lambda p: _line_order(p.where))


def _assigned(target: ast.expr, value: ast.expr, found: dict[str, list[ast.expr]]) -> None:
    if isinstance(target, ast.Name):
        found.setdefault(target.id, []).append(value)
    elif (
        isinstance(target, ast.Tuple | ast.List)
        and isinstance(value, ast.Tuple | ast.List)
        and len(target.elts) == len(value.elts)
    ):
        for each_target, each_value in zip(target.elts, value.elts, strict=True):
            _assigned(each_target, each_value, found)


def _parameters(function: Any) -> set[str]:
    args = function.args
    return {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}


def _is_errors(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == ERRORS


def _scopes(module: _Module) -> list[Scope]:
    return [module.tree, *(f for fs in module.functions.values() for f in fs), *_methods(module.tree)]


def _methods(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            yield from (f for f in node.body if isinstance(f, FUNCTIONS))


def _line_order(where: str) -> tuple[str, int]:
    path, _colon, line = where.rpartition(":")
    return path, int(line) if line.isdigit() else 0


def python_sources(roots: Iterable[Path]) -> list[tuple[Path, Path]]:
    """(root, file) for each Python file under `roots` the check reads: not migrations, not the
    engine's English for operators and programs (ENGINE_ENGLISH)."""
    found = []
    for root in roots:
        root = root.resolve()
        for path in sorted(root.rglob("*.py")):
            if "migrations" in path.relative_to(root).parts:
                continue
            if any(path == e or path.is_relative_to(e) for e in ENGINE_ENGLISH):
                continue
            found.append((root, path))
    return found


def _python_check(roots: Iterable[Path] | None, ids: frozenset[str] | None) -> _PythonCheck:
    modules = [_read_module(root, path) for root, path in python_sources(roots or [ENGINE])]
    check = _PythonCheck(modules, frozenset(read_sentences(ours_path())[0]) if ids is None else ids)
    check.run()
    return check


def check_python(
    roots: Iterable[Path] | None = None, ids: frozenset[str] | None = None
) -> list[CatalogProblem]:
    """English written in the Python under `roots` (the engine's by default) to be shown, and
    sentences it names by an id `ids` (ours by default) lacks."""
    check = _python_check(roots, ids)
    return sorted(check.problems.values(), key=lambda p: _line_order(p.where))


def _unsaid(found: dict[str, Any], used: set[str]) -> list[CatalogProblem]:
    """Sentences of ours no code of the engine names (a sentence left behind)."""
    return [
        CatalogProblem(f"{shown(ours_path())}:{read.line}", f"{name}: no code says this sentence")
        for name, read in found.items()
        if name not in used
    ]

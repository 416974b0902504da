"""Keeping the catalogs whole: extract every sentence to translate, update the catalogs, check
them (`python -m assistant translations extract|check`).

Sentences come from three places: the engine's Python (`_()`, `N_()`), the templates
(`_()` in messages/templates/*.j2) and the built-in practice (the labels and sentences of
flows/playbook.yml and flows/intake.yml). `check` fails on a sentence a catalog lacks, one it
marks fuzzy, one whose placeholders differ from the English, and on a template that shows
English text without `_()`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import yaml
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po
from jinja2 import Environment

from assistant.content import content_dir
from assistant.i18n import CATALOG, ENGLISH, SHIPPED

ENGINE = Path(__file__).resolve().parent
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
    }
)
# A literal English text in a template ("text": "Cancel") instead of {{ _("Cancel")|tojson }}.
LITERAL_TEXT = re.compile(r'"text":\s*"(?=[^"]*[A-Za-z]{2})([^"]*)"')
# Inside an expression: a string with a word in it that is not the argument of _() or ngettext()
# (emoji codes and identifiers are not words; the intake form's sample account name is a name).
EMOJI = re.compile(r":[a-z0-9_+-]+:")
WORD = re.compile(r"[A-Za-z]{3,}")
NOT_PROSE = re.compile(r"[\w.{}:/-]*")
NAMES = frozenset({"Acme Corp"})
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def extract_content(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any) -> Iterator[Any]:
    """A Babel extractor for the practice's YAML: each reader-facing string with its line."""

    def walk(node: yaml.Node) -> Iterator[Any]:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(value, yaml.ScalarNode) and key.value in CONTENT_KEYS and value.value.strip():
                    yield value.start_mark.line + 1, "_", " ".join(value.value.split()), []
                elif key.value == "labels" and isinstance(value, yaml.MappingNode):
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


def sources() -> list[tuple[Path, Any]]:
    templates = content_dir("messages") / "templates"
    flows = content_dir("flows")
    return [
        *((p, "python") for p in sorted(ENGINE.rglob("*.py")) if "migrations" not in p.parts),
        *((p, "jinja2.ext:babel_extract") for p in sorted(templates.glob("*.j2"))),
        *((p, extract_content) for p in sorted(flows.glob("*.yml"))),
    ]


def extracted() -> Catalog:
    """Every sentence to translate, with where it is used."""
    catalog = Catalog(locale=ENGLISH)
    options = {"trim_blocks": "true", "lstrip_blocks": "true"}
    for path, method in sources():
        for line, message, comments, context in extract_from_file(method, str(path), options=options):
            catalog.add(message, locations=[(str(path), line)], auto_comments=comments, context=context)
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
        yield CatalogProblem(f"{path}:{line}", f"English text without _(): {match.group(1)!r}")
    for line, english in _english_in_expressions(text):
        yield CatalogProblem(f"{path}:{line}", f"English text without _(): {english!r}")


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
    wanted = [m for m in extracted() if m.id]
    for locale in SHIPPED:
        if locale == ENGLISH:
            continue
        path = catalog_file(locale)
        if not path.is_file():
            problems.append(CatalogProblem(str(path), "the catalog is missing"))
            continue
        with path.open("rb") as source:
            catalog = read_po(source, locale=locale)
        for message in wanted:
            problem = _entry_problem(message, catalog.get(message.id, context=message.context))
            if problem:
                used = message.locations[0] if message.locations else ("?", 0)
                where = f"{path}: {_texts(message.id)[0]!r} (used at {used[0]}:{used[1]})"
                problems.append(CatalogProblem(where, problem))
    return problems

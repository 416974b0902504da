"""The engine's sentences by id (messages/sentences.yml): the words the Python code says to
people, kept with the rest of the content so the code names a sentence and never writes it.

An entry is a sentence (`id: English`), a sentence by number (`one:`/`other:`, gettext's
ngettext) or a sentence whose words depend on where it is shown (`context:`/`text:`, pgettext).
Its English is the catalogs' msgid: the translations stay in messages/locale/…/messages.po.

A team may reword our English in CUSTOM_DIR/messages/sentences.yml, by id: its words are shown
to English readers; the other languages keep our translation unless the team's own catalog has
one for its new words. An id we do not have, a sentence without words, or placeholders that
differ from ours are refused at their line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import yaml

from assistant.content.paths import content_dir
from assistant.content.playbook import PlaybookError, PlaybookProblem, read_yaml

SENTENCES_FILE = "sentences.yml"
PLURAL = frozenset({"one", "other"})
IN_CONTEXT = frozenset({"context", "text"})
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@dataclass(frozen=True)
class EngineSentence:
    """One sentence of the engine's: the catalogs' msgid (and plural, context), and the English
    shown (ours, or a team's rewording)."""

    msgid: str
    plural: str | None = None
    context: str | None = None
    english: str | None = None  # None: the msgid itself
    english_plural: str | None = None


@dataclass(frozen=True)
class _Read:
    sentence: EngineSentence
    line: int


def ours_path() -> Path:
    return content_dir("messages") / SENTENCES_FILE


def sentence_entries(node: yaml.Node, prefix: str = "") -> Iterator[tuple[str, yaml.Node]]:
    """Each sentence's id (its groups joined by dots) and its node."""
    assert isinstance(node, yaml.MappingNode)
    for key, value in node.value:
        name = f"{prefix}{key.value}"
        if isinstance(value, yaml.MappingNode):
            keys = {k.value for k, _ in value.value}
            if keys in (PLURAL, IN_CONTEXT):
                yield name, value
            else:
                yield from sentence_entries(value, f"{name}.")
        else:
            yield name, value


def sentence_of(node: yaml.Node) -> EngineSentence | None:
    if isinstance(node, yaml.ScalarNode) and node.value.strip():
        return EngineSentence(node.value)
    if isinstance(node, yaml.MappingNode):
        forms = {k.value: v.value for k, v in node.value if isinstance(v, yaml.ScalarNode)}
        if set(forms) == PLURAL and all(s.strip() for s in forms.values()):
            return EngineSentence(forms["one"], plural=forms["other"])
        if set(forms) == IN_CONTEXT and all(s.strip() for s in forms.values()):
            return EngineSentence(forms["text"], context=forms["context"])
    return None


def read_sentences(path: Path) -> tuple[dict[str, _Read], list[PlaybookProblem]]:
    problems: list[PlaybookProblem] = []
    try:
        tree, _data = read_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return {}, [PlaybookProblem(path, mark.line + 1 if mark else 1, f"not valid YAML: {exc}")]
    found: dict[str, _Read] = {}
    if tree is None:
        return found, problems
    if not isinstance(tree, yaml.MappingNode):
        return found, [PlaybookProblem(path, 1, "sentences are given by id: `group: {id: sentence}`")]
    for name, node in sentence_entries(tree):
        line = node.start_mark.line + 1
        sentence = sentence_of(node)
        if sentence is None:
            problems.append(
                PlaybookProblem(path, line, f"{name}: a sentence, `one:`/`other:`, or `context:`/`text:`")
            )
        elif name in found:
            problems.append(PlaybookProblem(path, line, f"{name}: given twice (line {found[name].line})"))
        else:
            found[name] = _Read(sentence, line)
    return found, problems


def _placeholders(text: str | None) -> set[str]:
    return set(PLACEHOLDER.findall(text or ""))


def _reworded(ours: EngineSentence, team: EngineSentence) -> EngineSentence | str:
    """Our sentence shown in the team's English words, or what is wrong with them."""
    if (ours.plural is None) != (team.plural is None) or (ours.context is None) != (team.context is None):
        kind = "`one:`/`other:`" if ours.plural else "`context:`/`text:`" if ours.context else "one sentence"
        return f"ours is {kind}: give the same"
    for mine, theirs in ((ours.msgid, team.msgid), (ours.plural, team.plural)):
        if _placeholders(mine) != _placeholders(theirs):
            names = ", ".join(f"%({n})s" for n in sorted(_placeholders(mine))) or "none"
            return f"keep the same values as ours ({names})"
        if theirs is not None and _placeholders(mine) and not _fills(theirs):
            return "a % that is not a value: write %% for a percent sign"
    return EngineSentence(ours.msgid, ours.plural, ours.context, team.msgid, team.plural)


class _AnyValue(dict[str, object]):
    def __missing__(self, key: str) -> object:
        return 1  # fits %(name)s and %(name)d alike


def _fills(text: str) -> bool:
    """Whether `text` takes its values as the code fills them in (`text % values`)."""
    try:
        text % _AnyValue()
    except (TypeError, ValueError, KeyError):
        return False
    return True


def load_sentences(custom_dir: Path | None) -> Mapping[str, EngineSentence]:
    """Our sentences, with a team's rewording (PlaybookError: every problem at its line)."""
    read, problems = read_sentences(ours_path())
    sentences = {name: r.sentence for name, r in read.items()}
    team_file = custom_dir / "messages" / SENTENCES_FILE if custom_dir is not None else None
    if team_file is not None and team_file.is_file():
        theirs, their_problems = read_sentences(team_file)
        problems += their_problems
        for name, r in theirs.items():
            if name not in sentences:
                problems.append(
                    PlaybookProblem(team_file, r.line, f"{name}: no sentence of ours has this id")
                )
                continue
            reworded = _reworded(sentences[name], r.sentence)
            if isinstance(reworded, str):
                problems.append(PlaybookProblem(team_file, r.line, f"{name}: {reworded}"))
            else:
                sentences[name] = reworded
    if problems:
        raise PlaybookError(problems)
    return MappingProxyType(sentences)

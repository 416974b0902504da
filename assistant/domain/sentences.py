"""What the domain says, without choosing its words.

A rule that has something to tell a person (a refusal, a problem next to a field) returns a
`Sentence`: the sentence's id (its words are in messages/sentences.yml) and its values. The
edge (a listener, a template, the API) writes it in the reader's language with `i18n._`, so the
domain reads no catalog and imports nothing of the app. A value may itself be a Sentence (a
status's words inside a refusal): it is written in the same language.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sentence:
    msgid: str
    values: tuple[tuple[str, object], ...] = ()
    # Written in lower case (a label inside a sentence: "a technical case").
    lower: bool = False

    def value(self, name: str) -> object:
        return dict(self.values).get(name)


def said(msgid: str, **values: object) -> Sentence:
    """`msgid` with `%(name)s` placeholders, to be written in the reader's language."""
    return Sentence(msgid, tuple(values.items()))


def lowered(msgid: str) -> Sentence:
    """A label to be written in lower case inside another sentence."""
    return Sentence(msgid, lower=True)


def said_n(msgid: str, count: int, **values: object) -> Sentence:
    """A sentence by number ("1 minute" / "5 minutes": `one:`/`other:`); `%(num)s` is the number."""
    return Sentence(msgid, tuple({"num": count, **values}.items()))


def joined(*parts: Sentence | str, between: str = "") -> Sentence:
    """Sentences said one after the other, `between` each ("\\n\\n" between a letter's paragraphs),
    with text that is no sentence among them (a name, "line 3: "), written as it is. It has no
    words of its own: its msgid is only placeholders, in no catalog, so nothing new to translate."""
    if not parts:
        return Sentence("%(nothing)s", (("nothing", ""),))  # "" would be the catalog's header
    names = [f"part{i}" for i in range(len(parts))]
    layout = between.replace("%", "%%").join(f"%({name})s" for name in names)
    return Sentence(layout, tuple(zip(names, parts, strict=True)))


class Problem(ValueError):
    """A rule's refusal of an input, as a sentence to show next to the field."""

    def __init__(self, sentence: Sentence) -> None:
        super().__init__(sentence.msgid)
        self.sentence = sentence


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for extraction only"
    """Marks the id of a sentence kept in a table, written in the reader's language where shown."""
    return message

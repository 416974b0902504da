"""The team's language: gettext catalogs (messages/locale/<locale>/LC_MESSAGES/messages.po)
read with Babel, and the locale each message is written in.

Catalogs are compiled in memory when first used (no build step, no .mo files to forget),
and a team's own catalog (CUSTOM_DIR/messages/locale/…) replaces ours file by file.

Who reads what decides the language: a modal, a DM, an ephemeral answer and the Home tab
follow the person's Slack locale; what is posted in a case channel or the feed follows
DEFAULT_LOCALE. `speaking(locale)` sets it for the current thread's work; `_()` and the
templates' `{% trans %}` read it.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from assistant.content.locales import ENGLISH, catalog_path
from assistant.content.locales import negotiate as choose_locale
from assistant.content.registry import Content, installed
from assistant.content.sentence_file import EngineSentence

# N_ is the domain's (marking an id kept in a table); the edges import it from here with `_`.
from assistant.domain.sentences import N_ as N_
from assistant.domain.sentences import Sentence

# The locale of whoever reads what is being written now; unset: the team's DEFAULT_LOCALE.
# Set: [a locale], or [a function that finds it], called on the first sentence written, so a
# listener that answers Slack first looks the person up after.
_current: ContextVar[list[str | Callable[[], str]] | None] = ContextVar("locale", default=None)


def available() -> tuple[str, ...]:
    """The locales with a catalog in the content in effect: ours and a team's own."""
    return installed().locales


def negotiate(slack_locale: str | None, have: tuple[str, ...] | None = None) -> str:
    """Our locale for a Slack locale, among those of the content in effect (or `have`)."""
    return choose_locale(slack_locale, have if have is not None else available())


def translations(locale: str) -> NullTranslations:
    return _compiled(installed(), locale)


@functools.cache
def _compiled(content: Content, locale: str) -> NullTranslations:
    """A catalog compiled in memory, once per Content and locale (a Content is loaded once: the
    same folder loaded again is another Content, its catalogs read again)."""
    path = catalog_path(locale, content.custom_dir)
    if path is None or locale == ENGLISH:
        return NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)  # a fuzzy entry is not a translation yet
    compiled.seek(0)
    return Translations(compiled)


def current_locale() -> str:
    held = _current.get()
    if held is None:
        return installed().default_locale
    found = held[0]
    if callable(found):
        found = held[0] = found()
    return found


@contextmanager
def speaking(locale: str | Callable[[], str]) -> Iterator[None]:
    """Write in `locale` within this block (this thread only); a function is asked for it only
    when a sentence is written."""
    token = _current.set([locale])
    try:
        yield
    finally:
        _current.reset(token)


def _written(sentence: EngineSentence, count: int | None) -> str:
    """One of the engine's sentences in the current locale. A team's rewording: the team's
    catalog's translation of its words, else ours of our English, else the team's English."""
    catalog = translations(current_locale())

    def translated(one: str, other: str | None) -> str | None:
        if other is not None:
            text = catalog.ngettext(one, other, count or 0)
        elif sentence.context is not None:
            text = str(catalog.pgettext(sentence.context, one))
        else:
            text = catalog.gettext(one)
        return None if text in (one, other) else text

    ours = translated(sentence.msgid, sentence.plural)
    if sentence.english is None:
        return ours or (sentence.msgid if (count or 0) == 1 or sentence.plural is None else sentence.plural)
    theirs = translated(sentence.english, sentence.english_plural)
    english = (
        sentence.english if (count or 0) == 1 or sentence.english_plural is None else sentence.english_plural
    )
    return theirs or ours or english


def gettext(message: str) -> str:
    """`message` in the current locale: one of the engine's sentences by its id
    (messages/sentences.yml), or a template's or flow file's English."""
    return _text(message, None)


def pgettext(context: str, message: str) -> str:
    """`message` as meant in `context` (the digest's "Opened" counts cases; the card's is a date)."""
    return str(translations(current_locale()).pgettext(context, message))


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale()).ngettext(singular, plural, n)


def _text(message: str, count: object) -> str:
    """`message` (an id, else English) in the current locale; `count` picks a plural's form."""
    sentence = installed().sentences.get(message)
    if sentence is None:
        return translations(current_locale()).gettext(message)
    return _written(sentence, count if isinstance(count, int) else None)


def _(message: str | Sentence, **values: object) -> str:
    """`message` (a sentence's id, or English from a template or flow file) in the current locale,
    with `%(name)s` placeholders filled from `values` (the templates' style); a sentence by
    number is chosen by `num`. A domain's Sentence is written with its own values, each value
    that is a Sentence in the same language."""
    if isinstance(message, Sentence):
        filled = {k: _(v) if isinstance(v, Sentence) else v for k, v in message.values}
        text = _text(message.msgid, message.value("num"))
        written = text % filled if filled else text
        return written.lower() if message.lower else written
    text = _text(message, values.get("num"))
    return text % values if values else text

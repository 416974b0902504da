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
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from assistant.content.paths import content_folders
from assistant.content.registry import installed
from assistant.domain.sentences import Sentence

ENGLISH = "en"
# The languages we ship, as gettext names them (the catalogs' folder names).
SHIPPED = ("en", "pt_BR", "es")
CATALOG = "LC_MESSAGES/messages.po"

# The locale of whoever reads what is being written now; unset: the team's DEFAULT_LOCALE.
# Unset: the team's DEFAULT_LOCALE. Set: [a locale], or [a function that finds it], called on the
# first sentence written, so a listener that answers Slack first looks the person up after.
_current: ContextVar[list[str | Callable[[], str]] | None] = ContextVar("locale", default=None)
_default = [ENGLISH]
# Compiled catalogs by (content folder, locale): read once each.
_loaded: dict[tuple[Path | None, str], NullTranslations] = {}
_lock = threading.Lock()


def _content_folder() -> Path | None:
    return installed().custom_dir


def available() -> tuple[str, ...]:
    """The locales with a catalog: ours and a team's own (CUSTOM_DIR/messages/locale/<name>)."""
    return _available(_content_folder())


@functools.cache
def _available(custom_dir: Path | None) -> tuple[str, ...]:
    # Read once per content folder: every lookup of a person asks.
    names = set(SHIPPED)
    for folder in content_folders(custom_dir, "messages/locale"):
        if folder.is_dir():
            names.update(p.parent.parent.name for p in folder.glob(f"*/{CATALOG}"))
    return tuple(sorted(names))


def negotiate(slack_locale: str | None, have: tuple[str, ...] | None = None) -> str:
    """Our locale for a Slack locale ("pt-BR", "es-419", "es-ES", "fr-FR"): the same locale if
    we have it, else another of its language, else English."""
    have = have if have is not None else available()
    if not slack_locale:
        return ENGLISH
    wanted = slack_locale.replace("-", "_")
    if wanted in have:
        return wanted
    language = wanted.split("_")[0].lower()
    if language in have:
        return language
    return next((h for h in have if h.split("_")[0].lower() == language), ENGLISH)


def catalog_path(locale: str, custom_dir: Path | None = None) -> Path | None:
    """The catalog for `locale`: a team's own first, else ours."""
    for folder in content_folders(custom_dir, "messages/locale"):
        path = folder / locale / CATALOG
        if path.is_file():
            return path
    return None


def translations(locale: str) -> NullTranslations:
    custom_dir = _content_folder()
    with _lock:
        found = _loaded.get((custom_dir, locale))
        if found is not None:
            return found
        path = catalog_path(locale, custom_dir)
        if path is None or locale == ENGLISH:
            found = NullTranslations()
        else:
            with path.open("rb") as source:
                catalog = read_po(source, locale=locale)
            compiled = io.BytesIO()
            write_mo(compiled, catalog, use_fuzzy=False)  # a fuzzy entry is not a translation yet
            compiled.seek(0)
            found = Translations(compiled)
        _loaded[(custom_dir, locale)] = found
        return found


def use_default_locale(locale: str) -> None:
    """What case channels and the feed are written in (DEFAULT_LOCALE), as we have it."""
    _default[0] = negotiate(locale)


def current_locale() -> str:
    held = _current.get()
    if held is None:
        return _default[0]
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


def gettext(message: str) -> str:
    return translations(current_locale()).gettext(message)


def pgettext(context: str, message: str) -> str:
    """`message` as meant in `context` (the digest's "Opened" counts cases; the card's is a date)."""
    return str(translations(current_locale()).pgettext(context, message))


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale()).ngettext(singular, plural, n)


def _(message: str | Sentence, **values: object) -> str:
    """`message` in the current locale, with `%(name)s` placeholders filled from `values` (the
    templates' style). A domain's Sentence is written with its own values, each value that is a
    Sentence in the same language."""
    if isinstance(message, Sentence):
        filled = {k: _(v) if isinstance(v, Sentence) else v for k, v in message.values}
        if message.plural is not None:
            text = ngettext(message.msgid, message.plural, message.count or 0)
        else:
            text = gettext(message.msgid)
        written = text % filled if filled else text
        return written.lower() if message.lower else written
    text = gettext(message)
    return text % values if values else text


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for extraction only"
    """Marks a sentence kept in a table for translation where it is shown (with `_`)."""
    return message

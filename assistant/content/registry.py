"""The content in effect, loaded once: the playbook, the intake form, the flow definitions,
the templates and catalogs of ours or of a team's CUSTOM_DIR.

`load_content` reads and checks every file (all problems at once, `file:line: what is wrong`)
and returns one immutable `Content`. `create_app` (and the CLI) load it once; the app's
components carry it, and nothing in it changes while the app runs: a new CUSTOM_DIR is a new
Content. The domain never reads it: it is handed the part a rule needs.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

from assistant.content.flow_files import FlowBook, load_flows
from assistant.content.locales import ENGLISH, available_locales, negotiate
from assistant.content.playbook import (
    IntakeQuestions,
    Playbook,
    PlaybookError,
    PlaybookProblem,
    form_questions_of,
    load_intake_questions,
    load_playbook,
    practice_of,
)
from assistant.content.responses import check_libraries
from assistant.content.sentence_file import EngineSentence, load_sentences
from assistant.domain.intake import FormQuestions
from assistant.domain.practice import Practice

T = TypeVar("T")


# eq=False: a Content is itself (a cache of what was rendered from it keys on it), never equal
# to another one read from the same files.
@dataclass(frozen=True, eq=False)
class Content:
    custom_dir: Path | None
    playbook: Playbook
    intake: IntakeQuestions
    # What the domain is handed: the practice (categories, triggers, severities, their words and
    # rules) and the intake form's questions, built once from the two files above.
    practice: Practice
    questions: FormQuestions
    # The guided flows (flows/<flow>.yml) and what is derived from them.
    flows: FlowBook
    # The languages it can write in (ours and the team's catalogs), and the one case channels
    # and the feed are written in (DEFAULT_LOCALE, as we have it).
    locales: tuple[str, ...] = (ENGLISH,)
    default_locale: str = ENGLISH
    # The engine's sentences by id (messages/sentences.yml, with a team's rewording).
    sentences: Mapping[str, EngineSentence] = field(default_factory=lambda: MappingProxyType({}))


def load_content(custom_dir: Path | None = None, default_locale: str = ENGLISH) -> Content:
    """Everything a team may change, read and checked (raises PlaybookError, every problem).
    `custom_dir` None: ours alone; `default_locale`: the team's DEFAULT_LOCALE setting."""
    problems: list[PlaybookProblem] = []

    def attempt(load: Callable[[Path | None], T]) -> T | None:
        try:
            return load(custom_dir)
        except PlaybookError as exc:
            problems.extend(exc.problems)
            return None

    playbook = attempt(load_playbook)
    intake = attempt(load_intake_questions)
    flows = attempt(load_flows)
    sentences = attempt(load_sentences)
    problems += check_libraries(custom_dir)
    if problems or playbook is None or intake is None or flows is None or sentences is None:
        raise PlaybookError(sorted(problems, key=lambda p: (str(p.file), p.line)))
    locales = available_locales(custom_dir)
    return Content(
        locales=locales,
        default_locale=negotiate(default_locale, locales),
        custom_dir=custom_dir,
        playbook=playbook,
        intake=intake,
        practice=practice_of(playbook),
        questions=form_questions_of(intake),
        flows=flows,
        sentences=sentences,
    )


# The one piece of process state: the content the words and templates come from, for the edges
# that have no components at hand (templates, the case card, rendering). It points to an
# immutable Content; installing another (create_app, the CLI) replaces the reference, nothing in
# it. What is read from a content's files (templates, catalogs) is cached on the Content itself.
_installed: list[Content] = []
_lock = threading.Lock()


def install(content: Content) -> Content:
    """Make `content` the one the words and templates come from."""
    with _lock:
        _installed[:] = [content]
    return content


def install_folder(folder: Path | None, default_locale: str = ENGLISH) -> Content:
    """Load a team's folder (or ours, None) and install it (PlaybookError, every problem at its
    line, before anything changes)."""
    return install(load_content(folder, default_locale) if folder is not None else ours(default_locale))


@functools.cache
def ours(default_locale: str = ENGLISH) -> Content:
    """The built-in content: its files ship with the engine and do not change while it runs."""
    return load_content(None, default_locale)


def installed() -> Content:
    """The content in effect: what create_app (or the CLI) installed; before that, ours (read on
    first use, never at import)."""
    if not _installed:
        built_in = ours()
        with _lock:
            if not _installed:
                _installed.append(built_in)
    return _installed[0]

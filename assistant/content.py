"""Where the content a CS-ops team may change is found: built in, or in their own CUSTOM_DIR.

The built-in content lives at the top of the repository (`messages/`) and is installed as
the package `assistant_content`, so a checkout and an installed wheel find it the same way.
A folder named by the setting CUSTOM_DIR, with the same layout, replaces it file by file.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def content_dir(kind: str) -> Path:
    """The built-in content folder `kind` (messages…), wherever the package is installed."""
    return Path(str(files(f"assistant_content.{kind}")))


_custom: list[Path | None] = [None]


def use_custom_dir(folder: Path | None) -> None:
    """Use the team's folder from now on (the app sets it from its settings at start-up): its
    templates, and its playbook (raises PlaybookError, every problem at its line)."""
    from assistant.domain.practice import apply_playbook
    from assistant.flow_definitions import apply_flows, load_flows
    from assistant.i18n import forget_catalogs
    from assistant.messages.render import environment
    from assistant.playbook import apply_questions, load_intake_questions, load_playbook

    playbook = load_playbook(folder)  # all checked before anything changes
    questions = load_intake_questions(folder)
    flows = load_flows(folder)
    _custom[0] = folder
    apply_playbook(playbook)
    apply_questions(questions)
    apply_flows(flows)
    environment.cache_clear()  # the templates are looked up again
    forget_catalogs()  # and the translations
    _generation[0] += 1


_generation = [0]


def generation() -> int:
    """Changes whenever the content in effect changes (what caches of rendered content key on)."""
    return _generation[0]


def custom_dir() -> Path | None:
    """The team's own content folder (the CUSTOM_DIR setting), if one is set."""
    return _custom[0]


def custom_dirs(relative: str) -> list[Path]:
    """The team's folder for `relative` (messages/templates…), when they have one."""
    base = custom_dir()
    if base is None or not (base / relative).is_dir():
        return []
    return [base / relative]

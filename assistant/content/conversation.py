"""The phrasebooks the assistant understands people with (`messages/conversation/<language>.yml`):
ours, with a team's own cues (CUSTOM_DIR/messages/conversation/<language>.yml) added to them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from assistant.content.paths import content_dir
from assistant.domain.conversation import Intent, Phrasebook

LANGUAGES = ("en", "pt_BR", "es")


def _read(path: Path) -> dict[str, dict[str, list[str]]]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {} if path.is_file() else {}


@cache
def phrasebook(custom_dir: Path | None, language: str) -> Phrasebook:
    ours = _read(content_dir("messages") / "conversation" / f"{language}.yml")
    theirs = _read(custom_dir / "messages" / "conversation" / f"{language}.yml") if custom_dir else {}
    intents: dict[Intent, tuple[str, ...]] = {}
    words: dict[str, tuple[str, ...]] = {}
    known = set(Intent._value2member_map_)
    for source in (ours, theirs):
        # A team's slip (an unknown intent, one cue not in a list) is left out, never fatal.
        for name, cues in (source.get("intents") or {}).items():
            if name in known:
                listed = [cues] if isinstance(cues, str) else list(cues or ())
                intents[Intent(name)] = intents.get(Intent(name), ()) + tuple(str(c) for c in listed)
        for name, values in (source.get("words") or {}).items():
            listed = [values] if isinstance(values, str) else list(values or ())
            words[name] = words.get(name, ()) + tuple(str(v) for v in listed)
    return Phrasebook(intents, words)


def phrasebooks(custom_dir: Path | None, locale: str) -> list[Phrasebook]:
    """The speaker's language first, then the others (people mix them)."""
    language = next((lang for lang in LANGUAGES if locale.replace("-", "_").startswith(lang[:2])), "en")
    if locale.replace("-", "_") == "pt_BR" or locale.startswith("pt"):
        language = "pt_BR"
    return [phrasebook(custom_dir, lang) for lang in (language, *[x for x in LANGUAGES if x != language])]

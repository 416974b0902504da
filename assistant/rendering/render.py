"""Render the Jinja2 templates (top-level `messages/templates/`) to Block Kit, and validate the result.

Every interpolated value goes through `|tojson`; user text must also go
through `|mrkdwn` or `|plain` first (see escape.py). `StrictUndefined` makes a
missing variable fail instead of rendering an empty field.

Sentences are written `_("… %(name)s …", name=value)` (Jinja2's i18n extension, new style):
translated into the locale of whoever reads them (assistant.content.i18n), with the values put in
after translation, so a translation never sees, or escapes, user text.

What is rendered is checked at the level in effect (validate.use_block_kit_checks, from the
BLOCK_KIT_CHECKS setting): slack_sdk's models and Slack's limits in tests and development, Slack's
limits alone in production.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from assistant.content import i18n
from assistant.content.paths import content_dir, content_folders
from assistant.content.registry import Content, installed
from assistant.presenters import account_line
from assistant.rendering import escape
from assistant.rendering.validate import block_kit_checks, check_message, check_view

TEMPLATES = content_dir("messages") / "templates"


def _tojson(value: Any) -> str:
    def refuse(obj: Any) -> Any:
        if isinstance(obj, escape.UserText):
            raise escape.UnescapedUserText("user text must pass through |mrkdwn or |plain")
        raise TypeError(f"cannot put {type(obj).__name__} in a payload")

    return json.dumps(value, ensure_ascii=False, default=refuse)


def content_environment(
    autoescape: bool | Callable[[str | None], bool], custom_dir: Path | None
) -> Environment:
    """The templates of `messages/templates`, translated into the reader's language."""
    env = Environment(
        # A team's own templates (CUSTOM_DIR) first: each replaces the built-in one of its name.
        loader=FileSystemLoader(content_folders(custom_dir, "messages/templates")),
        undefined=StrictUndefined,
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Read the locale at each call (i18n.speaking), so one environment serves every reader.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext
    )
    return env


def environment() -> Environment:
    """Block Kit's: JSON, every value through |tojson (user text escaped for mrkdwn first)."""
    return _environment(installed())


@cache
def _environment(content: Content) -> Environment:
    # Once per Content: the same folder loaded again is another Content, its templates read again.
    env = content_environment(False, content.custom_dir)
    env.filters.update(
        tojson=_tojson,
        mrkdwn=escape.escape_mrkdwn,
        plain=escape.plain,
        mention=escape.mention,
        channel=escape.channel_link,
        slack_date=escape.slack_date,
        facts_line=account_line.facts_line,
        at_risk_line=account_line.at_risk_line,
        earlier_line=account_line.earlier_line,
        affected_line=account_line.affected_line,
    )
    return env


@cache
def _markdown_environment(content: Content) -> Environment:
    """Canvas markdown's: text, user text through |canvas (escape.escape_canvas)."""
    env = content_environment(False, content.custom_dir)
    env.filters.update(
        canvas=escape.escape_canvas,
        canvas_person=escape.canvas_person,
        canvas_time=escape.canvas_time,
        plain=escape.plain,  # the canvas's title: plain text, no markup read
    )
    return env


def render_macros(name: str, calls: dict[str, tuple[Any, ...]], **context: Any) -> dict[str, str]:
    """Each named macro of a markdown template, called with its arguments: its text, blank lines
    and surrounding spaces taken out (lines joined again by the caller)."""
    module = _markdown_environment(installed()).get_template(name).make_module(context)
    rendered = {}
    for macro, args in calls.items():
        text = str(getattr(module, macro)(*args))
        rendered[macro] = "\n".join(line.strip() for line in text.splitlines() if line.strip())
    return rendered


def _render(name: str, context: dict[str, Any]) -> Any:
    source = environment().get_template(name).render(**context)
    try:
        return json.loads(source)
    except ValueError as exc:
        raise ValueError(f"template {name} rendered invalid JSON: {exc}\n{source}") from exc


@dataclass(frozen=True)
class Message:
    text: str
    blocks: list[dict[str, Any]]


def render_message(name: str, *, locale: str | None = None, **context: Any) -> Message:
    """The message in `locale` (else the locale in effect: i18n.speaking, or DEFAULT_LOCALE)."""
    if locale is not None:
        with i18n.speaking(locale):
            return render_message(name, **context)
    rendered = _render(name, context)
    message = Message(text=rendered["text"], blocks=rendered["blocks"])
    check_message(message.text, message.blocks, level=block_kit_checks())
    return message


def render_view(name: str, *, locale: str | None = None, **context: Any) -> dict[str, Any]:
    if locale is not None:
        with i18n.speaking(locale):
            return render_view(name, **context)
    view = _render(name, context)
    check_view(view, level=block_kit_checks())
    return view

"""Render the Jinja2 templates (top-level `messages/templates/`) to Block Kit, and validate the result.

Every interpolated value goes through `|tojson`; user text must also go
through `|mrkdwn` or `|plain` first (see escape.py). `StrictUndefined` makes a
missing variable fail instead of rendering an empty field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from assistant.content import content_dir, custom_dirs
from assistant.messages import escape
from assistant.messages.validate import check_message, check_view

TEMPLATES = content_dir("messages") / "templates"


def _tojson(value: Any) -> str:
    def refuse(obj: Any) -> Any:
        if isinstance(obj, escape.UserText):
            raise escape.UnescapedUserText("user text must pass through |mrkdwn or |plain")
        raise TypeError(f"cannot put {type(obj).__name__} in a payload")

    return json.dumps(value, ensure_ascii=False, default=refuse)


@cache
def environment() -> Environment:
    env = Environment(
        # A team's own templates (CUSTOM_DIR) first: each replaces the built-in one of its name.
        loader=FileSystemLoader([*custom_dirs("messages/templates"), TEMPLATES]),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        tojson=_tojson,
        mrkdwn=escape.escape_mrkdwn,
        plain=escape.plain,
        mention=escape.mention,
        channel=escape.channel_link,
        slack_date=escape.slack_date,
    )
    return env


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


def render_message(name: str, **context: Any) -> Message:
    rendered = _render(name, context)
    message = Message(text=rendered["text"], blocks=rendered["blocks"])
    check_message(message.text, message.blocks)
    return message


def render_view(name: str, **context: Any) -> dict[str, Any]:
    view = _render(name, context)
    check_view(view)
    return view

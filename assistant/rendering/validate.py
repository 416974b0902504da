"""Block Kit checks before anything is sent, at one of two levels.

- `full`: slack_sdk's models (each block and the view parsed, validated and round-tripped, so
  a key Slack does not know is refused) plus Slack's limits. The tests and development run it.
- `limits`: Slack's limits alone (block counts, duplicate block_id, fallback text, modal title,
  private_metadata, section text, input max_length): a plain loop over the dicts, no model
  parsing. What production runs on every render (BLOCK_KIT_CHECKS); every template is still
  checked in full by the test suite.

The level is one switch for the process (`use_block_kit_checks`), set from the settings where
the app is created; until something sets it, it is `full`.
"""

from __future__ import annotations

from typing import Any, Literal

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MODAL_TITLE = 24
SECTION_TEXT = 3000
METADATA = 3000
INPUT_MAX_LENGTH = 3000
FALLBACK_TEXT = 4000

Checks = Literal["full", "limits"]
CHECKS: tuple[Checks, ...] = ("full", "limits")


class InvalidPayload(ValueError):
    """A payload Slack would refuse: always a bug in the app, never the user's fault."""


_checks: Checks = "full"


def use_block_kit_checks(level: Checks) -> Checks:
    """Render at `level` from now on, in the whole process; returns the level it replaces."""
    global _checks
    if level not in CHECKS:
        raise ValueError(f"Block Kit checks are one of {CHECKS}, not {level!r}")
    previous, _checks = _checks, level
    return previous


def block_kit_checks() -> Checks:
    """The level the rendering functions check at."""
    return _checks


# Shapes (keys and nesting, not values) whose round trip through slack_sdk was
# already checked: unknown keys depend only on the shape, and the round trip
# is the costly part of validation (milliseconds per modal).
_CHECKED_SHAPES: set[str] = set()


def _shape(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_shape(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, list):
        return "[" + ",".join(sorted({_shape(v) for v in value})) + "]"
    return type(value).__name__


def _where(index: int, raw: dict[str, Any]) -> str:
    return f"block {index} ({raw.get('type')})"


def _check_limits(blocks: list[dict[str, Any]], limit: int) -> None:
    """Slack's limits on a list of blocks: a plain loop over the dicts, no models."""
    if len(blocks) > limit:
        raise InvalidPayload(f"{len(blocks)} blocks; Slack allows {limit}")
    seen: set[str] = set()
    for index, raw in enumerate(blocks):
        if not isinstance(raw, dict):
            raise InvalidPayload(f"block {index}: not an object")
        block_id = raw.get("block_id")
        if block_id is not None:
            if block_id in seen:
                raise InvalidPayload(f"duplicate block_id {block_id!r}")
            seen.add(block_id)
        _check_block_limits(raw, _where(index, raw))


# Slack's limits that slack_sdk's models check too (production has only this guard).
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
SECTION_FIELDS = 10
CHOICE_OPTIONS = 10
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
OPTIONS = 100
ACTION_ID = 255
BLOCK_ID = 255


def _check_block_limits(raw: dict[str, Any], where: str) -> None:
    """One block's own limits: its texts, ids and how many elements, fields and options it has."""
    kind = raw.get("type")
    text = raw.get("text")
    if isinstance(text, dict) and len(text.get("text", "")) > SECTION_TEXT:
        raise InvalidPayload(f"{where}: text over {SECTION_TEXT} characters")
    if kind == "header" and isinstance(text, dict) and len(text.get("text", "")) > HEADER_TEXT:
        raise InvalidPayload(f"{where}: header over {HEADER_TEXT} characters")
    element = raw.get("element")
    if isinstance(element, dict) and int(element.get("max_length") or 0) > INPUT_MAX_LENGTH:
        raise InvalidPayload(f"{where}: input max_length over {INPUT_MAX_LENGTH}")
    if len(str(raw.get("block_id") or "")) > BLOCK_ID:
        raise InvalidPayload(f"{where}: block_id over {BLOCK_ID} characters")
    for key, most in (
        ("elements", CONTEXT_ELEMENTS if kind == "context" else ACTIONS_ELEMENTS),
        ("fields", SECTION_FIELDS),
    ):
        if isinstance(raw.get(key), list) and len(raw[key]) > most:
            raise InvalidPayload(f"{where}: more than {most} {key}")
    elements = [e for e in (raw.get("elements") or []) if isinstance(e, dict)]
    elements += [e for e in (raw.get("accessory"), raw.get("element")) if isinstance(e, dict)]
    for element in elements:
        if len(str(element.get("action_id") or "")) > ACTION_ID:
            raise InvalidPayload(f"{where}: action_id over {ACTION_ID} characters")
        label = element.get("text")
        if (
            element.get("type") == "button"
            and isinstance(label, dict)
            and len(label.get("text", "")) > BUTTON_TEXT
        ):
            raise InvalidPayload(f"{where}: button text over {BUTTON_TEXT} characters")
        options = element.get("options")
        if isinstance(options, list) and len(options) > OPTIONS:
            raise InvalidPayload(f"{where}: more than {OPTIONS} options")
        # Radio buttons and checkboxes hold fewer options than a select.
        if element.get("type") in ("radio_buttons", "checkboxes") and len(options or []) > CHOICE_OPTIONS:
            raise InvalidPayload(f"{where}: more than {CHOICE_OPTIONS} {element['type']} options")


def _round_trip(raw: dict[str, Any], where: str, block: Block | None = None) -> None:
    block = block or Block.parse(raw)
    if block is None:
        raise InvalidPayload(f"{where}: unknown block type {raw.get('type')!r}")
    try:
        block.validate_json()
    except SlackObjectFormationError as exc:
        raise InvalidPayload(f"{where}: {exc}") from exc
    # slack_sdk drops keys it does not know; Slack refuses them. A difference
    # after the round trip is a typo in a template.
    shape = _shape(raw)
    if shape not in _CHECKED_SHAPES:
        if block.to_dict() != raw:
            raise InvalidPayload(f"{where}: keys Slack does not know: {raw}")
        _CHECKED_SHAPES.add(shape)


def check_blocks(
    blocks: list[dict[str, Any]],
    limit: int,
    parsed: list[Block] | None = None,
    *,
    level: Checks = "full",
) -> None:
    _check_limits(blocks, limit)
    if level == "full":
        for index, raw in enumerate(blocks):
            _round_trip(raw, _where(index, raw), parsed[index] if parsed else None)


def check_message(text: str, blocks: list[dict[str, Any]], *, level: Checks = "full") -> None:
    """A message's text and blocks at `level` (the rendering functions pass the level in effect)."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidPayload("a message needs fallback text for notifications")
    if len(text) > FALLBACK_TEXT:
        raise InvalidPayload(f"fallback text over {FALLBACK_TEXT} characters")
    check_blocks(blocks, MESSAGE_BLOCKS, level=level)


def check_view(view: dict[str, Any], *, level: Checks = "full") -> None:
    """A view (modal or Home tab) at `level` (the rendering functions pass the level in effect)."""
    parsed: View | None = None
    if level == "full":
        try:
            parsed = View(**view)
            parsed.validate_json()
        except (SlackObjectFormationError, TypeError) as exc:
            raise InvalidPayload(f"view: {exc}") from exc
    if view.get("type") == "modal":
        for key in ("title", "submit", "close"):
            if key in view and len(view[key]["text"]) > MODAL_TITLE:
                raise InvalidPayload(f"modal {key} over {MODAL_TITLE} characters")
    if len(view.get("private_metadata", "")) > METADATA:
        raise InvalidPayload(f"private_metadata over {METADATA} characters")
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        raise InvalidPayload("a view needs a list of blocks")
    # The view's own parse has the blocks' models: each is parsed once.
    models = parsed.blocks if parsed is not None and len(parsed.blocks) == len(blocks) else None
    check_blocks(blocks, VIEW_BLOCKS, models, level=level)

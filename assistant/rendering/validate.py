"""Block Kit checks before anything is sent: slack_sdk's models plus Slack's limits."""

from __future__ import annotations

from typing import Any

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


class InvalidPayload(ValueError):
    """A payload Slack would refuse: always a bug in the app, never the user's fault."""


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


def _check_block(raw: dict[str, Any], where: str, block: Block | None = None) -> None:
    block = block or Block.parse(raw)
    if block is None:
        raise InvalidPayload(f"{where}: unknown block type {raw.get('type')!r}")
    try:
        block.validate_json()
    except SlackObjectFormationError as exc:
        raise InvalidPayload(f"{where}: {exc}") from exc
    text = raw.get("text")
    if isinstance(text, dict) and len(text.get("text", "")) > SECTION_TEXT:
        raise InvalidPayload(f"{where}: text over {SECTION_TEXT} characters")
    element = raw.get("element")
    if isinstance(element, dict) and int(element.get("max_length") or 0) > INPUT_MAX_LENGTH:
        raise InvalidPayload(f"{where}: input max_length over {INPUT_MAX_LENGTH}")
    # slack_sdk drops keys it does not know; Slack refuses them. A difference
    # after the round trip is a typo in a template.
    shape = _shape(raw)
    if shape not in _CHECKED_SHAPES:
        if block.to_dict() != raw:
            raise InvalidPayload(f"{where}: keys Slack does not know: {raw}")
        _CHECKED_SHAPES.add(shape)


def check_blocks(blocks: list[dict[str, Any]], limit: int, parsed: list[Block] | None = None) -> None:
    if len(blocks) > limit:
        raise InvalidPayload(f"{len(blocks)} blocks; Slack allows {limit}")
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(block_ids) != len(set(block_ids)):
        raise InvalidPayload(f"duplicate block_id in {block_ids}")
    for index, raw in enumerate(blocks):
        _check_block(raw, f"block {index} ({raw.get('type')})", parsed[index] if parsed else None)


def check_message(text: str, blocks: list[dict[str, Any]]) -> None:
    if not text.strip():
        raise InvalidPayload("a message needs fallback text for notifications")
    if len(text) > FALLBACK_TEXT:
        raise InvalidPayload(f"fallback text over {FALLBACK_TEXT} characters")
    check_blocks(blocks, MESSAGE_BLOCKS)


def check_view(view: dict[str, Any]) -> None:
    try:
        parsed = View(**view)
        parsed.validate_json()
    except (SlackObjectFormationError, TypeError) as exc:
        raise InvalidPayload(f"view: {exc}") from exc
    if view["type"] == "modal":
        for key in ("title", "submit", "close"):
            if key in view and len(view[key]["text"]) > MODAL_TITLE:
                raise InvalidPayload(f"modal {key} over {MODAL_TITLE} characters")
    if len(view.get("private_metadata", "")) > METADATA:
        raise InvalidPayload(f"private_metadata over {METADATA} characters")
    blocks = parsed.blocks if len(parsed.blocks) == len(view["blocks"]) else None
    check_blocks(view["blocks"], VIEW_BLOCKS, blocks)

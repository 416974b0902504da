"""What Slack refuses in Block Kit, as error codes (the stand-in's side of the contract)."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TITLE = 24


def _block_problem(raw: Any) -> str | None:
    if not isinstance(raw, dict):
        return "a block is not an object"
    block = Block.parse(raw)
    if block is None:
        return f"unknown block type {raw.get('type')!r}"
    try:
        block.validate_json()
    except SlackObjectFormationError as exc:
        return str(exc)
    element = raw.get("element") or {}
    if isinstance(element, dict) and int(element.get("max_length", 0) or 0) > 3000:
        return "max_length of an input cannot exceed 3000"
    if raw.get("type") == "section" and len(raw.get("fields") or []) > 10:
        return "a section has at most 10 fields"
    elements = [element, *(raw.get("elements") or [])] if raw.get("type") in ("input", "actions") else []
    for each in elements:
        choices = isinstance(each, dict) and each.get("type") in ("radio_buttons", "checkboxes")
        if choices and len(each.get("options") or []) > 10:
            return f"{each['type']} hold at most 10 options"
    return None


def blocks_problem(blocks: Any, limit: int) -> str | None:
    if not isinstance(blocks, list):
        return "blocks must be an array"
    if len(blocks) > limit:
        return f"no more than {limit} items allowed"
    seen: set[str] = set()
    for raw in blocks:
        problem = _block_problem(raw)
        if problem:
            return problem
        block_id = raw.get("block_id")
        if block_id:
            if block_id in seen:
                return f"duplicate block_id {block_id!r}"
            seen.add(block_id)
    return None


def view_problem(view: Any) -> str | None:
    if not isinstance(view, dict):
        return "view must be an object"
    kind = view.get("type")
    if kind not in {"modal", "home"}:
        return "view type must be modal or home"
    if kind == "modal":
        for key in ("title", "submit", "close"):
            text = (view.get(key) or {}).get("text", "")
            if key == "title" and not text:
                return "a modal needs a title"
            if len(text) > MAX_TITLE:
                return f"{key} must be less than {MAX_TITLE + 1} characters"
    if len(view.get("private_metadata") or "") > 3000:
        return "private_metadata must be less than 3001 characters"
    if len(view.get("callback_id") or "") > 255:
        return "callback_id must be less than 256 characters"
    blocks = view.get("blocks")
    if not blocks:
        return "a view needs at least one block"
    has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    if kind == "modal" and has_input and not view.get("submit"):
        return "a modal with inputs needs a submit button"
    return blocks_problem(blocks, MAX_VIEW_BLOCKS)

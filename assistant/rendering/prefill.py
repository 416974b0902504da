"""A form rendered once, filled in per request: a copy of a rendered modal with `initial_value`
set on some of its text inputs, as the templates' text inputs set it (`initial|plain(max)`).

Rendering and checking a large modal on every command costs more than Slack's whole answer; a
prefill is a few values. The blank form was checked when it was rendered, and `plain` keeps each
value within its input's `max_length`, so the copy stays within Slack's limits unchecked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assistant.rendering.escape import UserText, plain

TEXT_INPUTS = frozenset({"plain_text_input", "url_text_input"})


def with_initial_values(view: dict[str, Any], values: Mapping[str, UserText | None]) -> dict[str, Any]:
    """`view` with each input block named in `values` holding its value (an empty one: none).
    Only the blocks changed are copied: the rest, and `view`, are shared, never changed."""
    blocks = []
    for block in view["blocks"]:
        value = values.get(block.get("block_id", ""))
        element = block.get("element") or {}
        if value and element.get("type") in TEXT_INPUTS:
            element = {**element, "initial_value": plain(value, element.get("max_length"))}
            block = {**block, "element": element}
        blocks.append(block)
    return {**view, "blocks": blocks}

"""Timeline: every event of a case, shown only to the person who asked, in their own zone."""

from __future__ import annotations

from assistant.listeners.case_flow import FlowStart
from assistant.presenters.timeline import chunk, timeline_lines
from assistant.rendering.render import render_message
from assistant.services.cases import timeline

# flows/timeline.yml
FLOW = "timeline"


def open_flow(start: FlowStart) -> None:
    events = timeline(start.components.engine, start.case.id or 0)
    sections, left_out = chunk(timeline_lines(events))
    message = render_message("timeline.json.j2", key=start.case.key, sections=sections, left_out=left_out)
    start.respond(text=message.text, blocks=message.blocks, response_type="ephemeral", replace_original=False)

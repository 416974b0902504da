"""Telling the escalation managers that a piece of background work was parked: it failed
unexpectedly several times, and nothing more is tried until a person looks (assistant/supervision.py)."""

from __future__ import annotations

from assistant.models import KEY_PREFIX, WorkFault
from assistant.rendering.render import render_message
from assistant.settings import Settings
from assistant.slack.case_channel import CaseChannel


def tell_parked(channel: CaseChannel, settings: Settings, fault: WorkFault) -> None:
    """One DM to each escalation manager, each once (the delivery ledger); raises if Slack fails,
    so the fault is left untold and told again by the repair sweep."""
    for manager in settings.escalation_manager_ids:
        with channel.language_of(manager):
            message = render_message(
                "work_parked.json.j2",
                loop=fault.loop,
                item=fault.item,
                faults=fault.faults,
                error=fault.last_error,
                case_key=f"{KEY_PREFIX}{fault.case_id}" if fault.case_id else None,
                fault_id=fault.id,
            )
        # Once per parking: an item tried again and parked again is told again.
        parked = int(fault.parked_at.timestamp()) if fault.parked_at else 0
        channel.post_once(f"parked:{fault.id}:{parked}:{manager}", manager, message, case_id=fault.case_id)

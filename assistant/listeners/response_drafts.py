"""The response templates a customer-facing form offers as starting drafts (messages/responses/):
those of the case's problem type in the reader's language, and which one the form now shows."""

from __future__ import annotations

import uuid
from typing import Any

from assistant.components import Components
from assistant.content.responses import ResponseTemplate, library
from assistant.ids import CaseAction
from assistant.listeners.customer_side import Audience
from assistant.models import Escalation


def offered(
    components: Components, case: Escalation, audience: Audience, form: str
) -> list[ResponseTemplate]:
    """The drafts for the case's category (then for any case), in the language the customer reads."""
    return library(components.content.custom_dir, audience.locale).offered(form, str(case.category))


def picker(offers: list[ResponseTemplate], chosen: ResponseTemplate | None, field: str) -> dict[str, Any]:
    """What the form's template needs: the options, the one chosen, and the draft's action id (a new
    one once a template replaced the draft: Slack keeps what was typed under an action id it knows)."""
    return {
        "offered": offers,
        "chosen": chosen.id if chosen else None,
        "action": CaseAction.RESPONSE_TEMPLATE.value,
        "draft_action": f"{field}.{uuid.uuid4().hex[:8]}" if chosen else None,
    }

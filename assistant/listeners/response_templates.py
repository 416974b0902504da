"""A response template chosen in the acknowledgement or update form: the form redrawn in place with
the template's text as the draft, in the customer's language, promising the time the picker says."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

import assistant.listeners.acknowledge as acknowledge
import assistant.listeners.post_update as post_update
from assistant.components import Components
from assistant.content.responses import ACKNOWLEDGEMENT, UPDATE, ResponseTemplate
from assistant.domain.communications import Purpose
from assistant.ids import CaseAction
from assistant.listeners.case_flow import (
    CaseRef,
    FlowStart,
    case_modal_view,
    field_value,
    redraw_in_place,
    selected_time,
)
from assistant.listeners.customer_side import audience_of
from assistant.listeners.response_drafts import offered


def register(app: App, components: Components) -> None:
    @app.action(CaseAction.RESPONSE_TEMPLATE.value)
    def handle_template_chosen(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        view = body.get("view") or {}
        chosen = (action.get("selected_option") or {}).get("value")
        if not chosen or view.get("callback_id") not in (acknowledge.FLOW, post_update.FLOW):
            return

        def redraw(start: FlowStart, ref: CaseRef) -> dict[str, Any]:
            case, now = start.case, datetime.now(UTC)
            if start.flow == acknowledge.FLOW:
                # The time the picker says now: the draft promises it.
                promise = selected_time(field_value(view, acknowledge.Field.NEXT_UPDATE))
                audience = audience_of(components, case, case.owner_id)
                template = chosen_template(offered(components, case, audience, ACKNOWLEDGEMENT), chosen)
                owner = components.people.get(case.owner_id, client)
                preview = audience.email_preview(components, case, start.actor_id, Purpose.ACKNOWLEDGEMENT)
                return acknowledge.acknowledge_view(
                    components, case, owner, audience, now, preview, promise=promise, template=template
                )
            promise = selected_time(field_value(view, post_update.Field.NEXT_UPDATE))
            audience = audience_of(components, case, start.actor_id, internal=True)
            template = chosen_template(offered(components, case, audience, UPDATE), chosen)
            new_ref, context = post_update.update_form(start, promise=promise, template=template)
            return case_modal_view(start, "update_modal.json.j2", post_update.Field, new_ref, **context)

        redraw_in_place(components, client, body, redraw)


def chosen_template(offers: list[ResponseTemplate], chosen: str) -> ResponseTemplate | None:
    return next((t for t in offers if t.id == chosen), None)

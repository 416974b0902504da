"""A response template chosen in the acknowledgement or update form: the form redrawn in place with
the template's text as the draft, in the customer's language, promising the time the picker says."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

import assistant.listeners.acknowledge as acknowledge
import assistant.listeners.post_update as post_update
from assistant.components import Components
from assistant.content.i18n import speaking
from assistant.content.responses import ACKNOWLEDGEMENT, UPDATE
from assistant.domain.communications import Purpose
from assistant.ids import CaseAction
from assistant.listeners.case_flow import (
    DirectAnswer,
    FlowStart,
    case_modal_view,
    field_value,
    parse_ref,
    selected_time,
)
from assistant.listeners.customer_side import audience_of
from assistant.listeners.response_drafts import offered
from assistant.services.cases import CaseNotFound, get_case
from assistant.slack.client import SLACK_ERRORS, error_code

logger = logging.getLogger(__name__)


def register(app: App, components: Components) -> None:
    @app.action(CaseAction.RESPONSE_TEMPLATE.value)
    def handle_template_chosen(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        view = body.get("view") or {}
        ref = parse_ref(view)
        chosen = (action.get("selected_option") or {}).get("value")
        flow = view.get("callback_id")
        if ref is None or not chosen or flow not in (acknowledge.FLOW, post_update.FLOW):
            return
        try:
            case = get_case(components.engine, ref.case_id)
        except CaseNotFound:
            return
        actor = body["user"]["id"]
        promise_field = (
            acknowledge.Field.NEXT_UPDATE if flow == acknowledge.FLOW else post_update.Field.NEXT_UPDATE
        )
        promise = selected_time(field_value(view, promise_field))
        now = datetime.now(UTC)
        with speaking(components.people.locale(actor)):
            if flow == acknowledge.FLOW:
                audience = audience_of(components, case, case.owner_id)
                template = next(
                    (t for t in offered(components, case, audience, ACKNOWLEDGEMENT) if t.id == chosen), None
                )
                owner = components.people.get(case.owner_id, client)
                preview = audience.email_preview(components, case, actor, Purpose.ACKNOWLEDGEMENT)
                redrawn = acknowledge.acknowledge_view(
                    components, case, owner, audience, now, preview, promise=promise, template=template
                )
            else:
                start = FlowStart(components, client, case, actor, "", DirectAnswer(client, actor), flow)
                audience = audience_of(components, case, actor, internal=True)
                template = next(
                    (t for t in offered(components, case, audience, UPDATE) if t.id == chosen), None
                )
                new_ref, context = post_update.update_form(start, promise=promise, template=template)
                redrawn = case_modal_view(
                    start, "update_modal.json.j2", post_update.Field, new_ref, **context
                )
        try:
            client.views_update(view_id=view["id"], hash=view.get("hash"), view=redrawn)
        except SLACK_ERRORS as exc:
            # Closed meanwhile, or redrawn by a second choice (hash_conflict): the person chooses again.
            logger.info(
                "%s: the form was not redrawn with a response template (%s)", case.key, error_code(exc)
            )

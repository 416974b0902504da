"""The App Home tab: how to escalate, and the open cases you own or reported."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from assistant.components import Components
from assistant.flows.intake import GUIDANCE
from assistant.ids import COMMAND
from assistant.messages.case_context import case_context
from assistant.messages.render import render_view
from assistant.services.cases import open_cases_of

HOME_ROWS = 20


def home_view(components: Components, user_id: str) -> dict[str, Any]:
    cases = open_cases_of(components.engine, user_id, limit=HOME_ROWS + 1)
    return render_view(
        "home.json.j2",
        command=COMMAND,
        guidance=GUIDANCE,
        user_id=user_id,
        cases=[case_context(c) for c in cases[:HOME_ROWS]],
        more=len(cases) > HOME_ROWS,
    )


def register(app: App, components: Components) -> None:
    @app.event("app_home_opened")
    def handle_app_home_opened(ack: Ack, event: dict[str, Any], client: WebClient) -> None:
        """Publish the Home tab (idempotent, so Slack's retries are harmless)."""
        ack()
        if event.get("tab", "home") != "home":
            return
        client.views_publish(user_id=event["user"], view=home_view(components, event["user"]))

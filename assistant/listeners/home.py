"""The App Home tab's listeners: publish it when opened, and apply its filters and pages."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from assistant.components import Components
from assistant.domain.portfolio import Filters
from assistant.ids import HomeAction
from assistant.jobs.home_tab import ALL
from assistant.services.portfolio import home_state

FILTERS = {
    HomeAction.FILTER_CATEGORY: "category",
    HomeAction.FILTER_SEVERITY: "severity",
    HomeAction.FILTER_OWNER: "owner_id",
    HomeAction.FILTER_ACCOUNT: "account",
    HomeAction.FILTER_TAG: "tag",
}


def chosen_value(action: dict[str, Any]) -> str | None:
    """What a select on the Home tab now says (None for "Any" or a cleared owner)."""
    value = (action.get("selected_option") or {}).get("value") or action.get("selected_user")
    return None if value in {None, "", ALL} else str(value)


def register(app: App, components: Components) -> None:
    home = components.home

    @app.event("app_home_opened")
    def handle_app_home_opened(ack: Ack, event: dict[str, Any]) -> None:
        """Publish the Home tab (idempotent, so Slack's retries are harmless)."""
        ack()
        if event.get("tab", "home") != "home":
            return
        home.publish(event["user"], opened=True)

    def handle_home_filter(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        """A portfolio filter changed: show page 1 of what matches."""
        ack()
        user_id = body["user"]["id"]
        practice = components.content.practice
        filters, _ = home_state(components.engine, user_id, practice)
        name = FILTERS[HomeAction(action["action_id"])]
        home.publish(user_id, filters.with_value(name, chosen_value(action), practice), page=0)

    def handle_home_page(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        """Previous / Next on the portfolio's case list."""
        ack()
        value = action.get("value") or "0"
        home.publish(body["user"]["id"], page=int(value) if value.isdigit() else 0)

    for action_id in FILTERS:
        app.action(action_id.value)(handle_home_filter)
    for action_id in (HomeAction.PAGE_PREVIOUS, HomeAction.PAGE_NEXT):
        app.action(action_id.value)(handle_home_page)

    @app.action(HomeAction.CLEAR_FILTERS.value)
    def handle_clear_filters(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        home.publish(body["user"]["id"], Filters(), page=0)

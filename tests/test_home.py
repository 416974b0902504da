"""The Home tab shows a person the open cases they own or reported."""

from __future__ import annotations

import json

from tests.harness import CSM, EXEC, OWNER, Harness, wait_for


def test_home_tab_lists_my_open_cases(harness: Harness) -> None:
    case = harness.escalate(CSM)

    for user, expected in [(OWNER, "you own it"), (CSM, f"owner <@{OWNER}>")]:
        harness.sender.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})
        home = wait_for(lambda u=user: harness.workspace.home_views.get(u), what="the home tab")
        text = json.dumps(home["blocks"], ensure_ascii=False)
        assert f"*{case.key}* · Acme: SSO outage" in text and expected in text

    harness.sender.event(
        {"type": "app_home_opened", "user": EXEC, "channel": "D2", "tab": "home"}, retry_num=1
    )
    home = wait_for(lambda: harness.workspace.home_views.get(EXEC), what="the home tab")
    assert "No open cases" in json.dumps(home["blocks"], ensure_ascii=False)

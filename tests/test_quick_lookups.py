"""The lookups made before Slack's 3-second deadline (is the owner a person? what is this
shared channel?) and the paced background work share one budget per Slack method: in a burst,
the quick ones do without rather than draw 429s, and the queue's calls still wait their turn."""

from __future__ import annotations

from assistant.components import create_components
from assistant.content.registry import install_folder
from assistant.slack.client import QUICK_ERRORS
from slack_standin import StandIn
from slack_standin.rate_limits import RateLimits
from tests.harness import OWNER, make_settings, seed_workspace


def test_quick_lookups_in_a_burst_draw_no_429_and_leave_the_queue_its_turn(database_url: str) -> None:
    slack = StandIn().start()
    seed_workspace(slack.workspace)
    # Slack's own pace, and ours set to it (the tests' default runs both 50 times faster).
    settings = make_settings(slack, database_url, slack_rate_limit_factor=1.0)
    components = create_components(settings, content=install_folder(None))
    try:
        workspace = slack.workspace
        workspace.rate_limits = RateLimits(1.0)  # users.info: 100 a minute
        before = len(workspace.calls_to("users.info"))
        done_without = 0
        for _ in range(40):  # an outage: 40 owners checked at once, each before its answer
            try:
                components.quick_client.users_info(user=OWNER)
            except QUICK_ERRORS:
                done_without += 1
        asked = len(workspace.calls_to("users.info")) - before
        assert workspace.rate_limits.limited_by_method.get("users.info", 0) == 0  # Slack refused none
        assert asked + done_without == 40 and done_without > 0  # over our share: done without

        # The queue's own users.info waits for the budget to refill instead of drawing a 429.
        components.client.users_info(user=OWNER)
        assert len(workspace.calls_to("users.info")) - before > asked  # it was made
        assert workspace.rate_limits.limited_by_method.get("users.info", 0) == 0
    finally:
        components.close()
        slack.stop()

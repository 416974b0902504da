"""A bad day under Slack's rate limits: many escalations at once, Slack's tiers enforced by the stand-in."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from slack_standin.rate_limits import RateLimits
from slack_standin.workspace import User, Workspace
from tests.harness import CSM, OWNER, Harness, seed_workspace, start_harness, wait_for

# Slack's limits, ten times faster (Tier 2: 200 calls a minute), on both sides: the test takes seconds.
FACTOR = 10
CASES = 24
CARD_EVENT = "escalation_case_card"


def with_csms(workspace: Workspace) -> None:
    seed_workspace(workspace)
    for i in range(CASES):
        workspace.add_user(User(f"U0RUSH{i:04d}", f"csm{i}", f"CSM {i}"))


@pytest.fixture
def limited(database_url: str) -> Iterator[Harness]:
    running = start_harness(database_url, with_csms, slack_rate_limit_factor=FACTOR)
    running.workspace.rate_limits = RateLimits(FACTOR)
    try:
        yield running
    finally:
        running.stop()


def case_number(channel_name: str) -> int:
    match = re.match(r"esc-(\d+)-", channel_name)
    assert match, channel_name
    return int(match.group(1))


def test_the_stand_in_refuses_calls_past_the_tier_with_retry_after(limited: Harness) -> None:
    """The stand-in is Slack as far as limits go: Tier 2 allows a short burst, then 429 with Retry-After."""
    import urllib.error
    import urllib.request

    def set_topic() -> tuple[int, str | None]:
        request = urllib.request.Request(
            limited.standin.api_url + "conversations.setTopic",
            data=f"channel={limited.general.id}&topic=x".encode(),
            headers={"Authorization": f"Bearer {limited.workspace.bot_token}"},
        )
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, None
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Retry-After")

    answers = [set_topic() for _ in range(4)]
    assert answers[0] == (200, None)
    assert answers[-1] == (429, "1")
    time.sleep(60 / 20 / FACTOR + 0.05)  # one Tier-2 call's worth of time
    assert set_topic() == (200, None)


def test_an_outage_burst_opens_every_case_in_order_without_hammering_slack(limited: Harness) -> None:
    csms = [f"U0RUSH{i:04d}" for i in range(CASES)]
    views = []
    for csm in csms:  # one CSM a second, at Slack's pace
        views.append(limited.open_intake(csm))
        time.sleep(1 / FACTOR)

    burst = time.monotonic()

    def submit(index: int) -> tuple[int, str, float]:
        # 24 submissions in 1.2 s, far more than Tier 2 lets through at this pace (7 s of
        # channels), each 50 ms after the last so that "first come" is well defined: two
        # submitted in the same millisecond may reach the queue in either order.
        time.sleep(max(0.0, burst + index * 0.05 - time.monotonic()))
        started = time.monotonic()
        response = limited.submit_intake(views[index], csms[index], summary=f"Outage {index}")
        return response.status, response.body, time.monotonic() - started

    with ThreadPoolExecutor(CASES) as pool:
        answers = list(pool.map(submit, range(CASES)))
        # A CSM who types /escalate in the middle of the burst gets the modal at once.
        assert limited.open_intake(CSM)
    assert [(status, body) for status, body, _ in answers] == [(200, "")] * CASES
    assert max(seconds for _, _, seconds in answers) < 3

    cases = wait_for(lambda: len(limited.cases()) == CASES and limited.cases(), what="every case stored")
    for case in cases:
        limited.wait_provisioned(case.id, timeout=60)
    workspace = limited.workspace

    # First come, first provisioned: channels were created in the order the cases came in.
    created = [c.args["name"] for c in workspace.calls_to("conversations.create") if c.status == 200]
    assert [case_number(name) for name in created] == sorted(case.id or 0 for case in cases)
    # We kept to Slack's pace instead of being refused (a 429 or two from clocks that disagree at most).
    assert workspace.rate_limits.limited <= 2, workspace.rate_limits.limited
    # Everything once: one card and one bookmark a channel, one DM to the owner a case, one feed post a case.
    for channel in workspace.case_channels():
        cards = [
            m for m in channel.messages if (m.metadata or {}).get("event_type") == "escalation_case_card"
        ]
        assert len(cards) == 1 and len(channel.bookmarks) == 1, channel.name
        assert OWNER in channel.members and channel.topic
    assert len(workspace.dm_messages(OWNER)) == CASES
    assert len(limited.feed.messages) == CASES
    # Each CSM heard back about their own case.
    for csm, case in zip(csms, sorted(cases, key=lambda c: c.reporter_id), strict=True):
        assert any(case.key in m.text for m in workspace.dm_messages(csm)) or any(
            case.key in e.text for e in workspace.ephemerals_for(csm)
        )


def test_when_slack_says_wait_the_csm_hears_the_case_is_saved_and_its_place(limited: Harness) -> None:
    """Slack holds channel creation for 20 s: the CSMs hear at once, the owner within 15 s, in order."""
    limited.workspace.fail("conversations.create", status=429, retry_after=20)
    started = time.monotonic()
    first, second = "U0RUSH0000", "U0RUSH0001"
    for csm in (first, second):
        view = limited.open_intake(csm)
        assert limited.submit_intake(view, csm, summary=f"Outage for {csm}").status == 200

    told = wait_for(
        lambda: len(limited.workspace.dm_messages(second)) == 1 and limited.workspace.dm_messages(second),
        timeout=5,
        what="the second CSM to hear where the case stands",
    )
    assert "ESC-2 is saved" in told[0].text and "1 case is ahead of yours" in told[0].text
    assert "ESC-1 is saved" in wait_for(lambda: limited.workspace.dm_messages(first), timeout=5)[0].text
    # Nobody asked Slack again while it said to wait: no thread slept on it, no call was wasted.
    assert len(limited.workspace.calls_to("conversations.create")) == 1
    # The owner does not wait for the channel to learn they own the cases.
    owner_dms = wait_for(
        lambda: len(limited.workspace.dm_messages(OWNER)) == 2 and limited.workspace.dm_messages(OWNER),
        timeout=17,
        what="the owner's DMs",
    )
    assert time.monotonic() - started < 19
    assert all("you will be invited to it" in json.dumps(dm.blocks) for dm in owner_dms)
    assert not limited.workspace.calls_to("conversations.create")[1:]

    cases = limited.cases()
    for case in cases:
        limited.wait_provisioned(case.id, timeout=30)
    created = [c.args["name"] for c in limited.workspace.calls_to("conversations.create") if c.status == 200]
    assert [case_number(name) for name in created] == [1, 2]


def test_a_form_slack_refuses_to_open_is_explained_privately(limited: Harness) -> None:
    limited.workspace.fail("views.open", status=429, retry_after=1, times=5)
    response = limited.command(CSM, "", channel_id=limited.general.id)
    assert response.status == 200
    answer = limited.answer(CSM)
    assert "did not open the escalation form" in answer and "nothing was saved" in answer

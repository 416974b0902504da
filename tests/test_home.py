"""The App Home tab: my cases, cases I follow or reported, and the portfolio for leaders.

What is clicked on the tab (its buttons, filters and pages) and the follow button are sent over
signed HTTP, as Slack sends them; the rest calls the app's parts without its HTTP side
(tests/parts.py's `Parts`): the Home tab job publishes to the stand-in, where the tests read it."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session

from assistant.ids import CaseAction, HomeAction
from assistant.models import Escalation, utcnow
from tests.harness import (
    CSM,
    EXEC,
    MANAGER,
    OWNER,
    VP,
    FlowButton,
    Harness,
    in_hours,
    mrkdwn_texts,
    start_harness,
    wait_for,
)
from tests.parts import Parts, resolved_case
from tests.stories import store_cases


def section_texts(blocks: list[dict]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]


def accessory(blocks: list[dict], key: str) -> dict | None:
    for block in blocks:
        if block["type"] == "section" and f"*{key}*" in block.get("text", {}).get("text", ""):
            return block.get("accessory")
    return None


def set_ack_due(engine: sa.Engine, case: Escalation, due_in: timedelta) -> None:
    with Session(engine) as session:
        stored = session.get(Escalation, case.id)
        assert stored is not None
        stored.ack_due_at = utcnow() + due_in
        session.add(stored)
        session.commit()


def test_owner_sees_their_case_with_its_next_action_and_an_overdue_mark(harness: Harness) -> None:
    case = harness.escalate(CSM)
    blocks = harness.open_home(OWNER)
    row = next(t for t in section_texts(blocks) if f"*{case.key}*" in t)
    assert "Acme: SSO outage" in row and "you own it" in row and "Acknowledgement due <!date^" in row
    assert ":red_circle:" not in row
    button = accessory(blocks, case.key)
    assert (
        button is not None
        and button["action_id"] == FlowButton.ACKNOWLEDGE
        and button["value"] == str(case.id)
    )
    assert "Portfolio" not in harness.home_text(OWNER)  # owners are not leaders

    set_ack_due(harness.components.engine, case, -timedelta(minutes=5))
    blocks = harness.open_home(OWNER)
    assert any(t.startswith(f":red_circle: *Overdue* · *{case.key}*") for t in section_texts(blocks))

    # The row's button opens the acknowledge flow straight from the Home tab.
    before = len(harness.workspace.views)
    response = harness.sender.home_action(OWNER, FlowButton.ACKNOWLEDGE, value=str(case.id))
    assert response.status == 200
    wait_for(lambda: len(harness.workspace.views) > before, what="the acknowledge modal")
    wait_for(lambda: harness.latest_view()["callback_id"] == "acknowledge", what="the modal filled")

    # The reporter sees it under the cases they reported, owned by someone else.
    reported = harness.open_home(CSM)
    text = harness.home_text(CSM)
    assert f"owner <@{OWNER}>" in text and "Cases you reported" in text
    assert accessory(reported, case.key) is None


def test_the_home_tab_follows_the_case_as_it_changes(parts: Parts) -> None:
    case = parts.escalate()
    parts.open_home(OWNER)
    parts.run_flow(OWNER, case, "acknowledge", next_update=in_hours(3))
    # Nobody reopened the tab: the app refreshed it, and the next step is now "Post update".
    wait_for(
        lambda: (
            (accessory(parts.workspace.home_views[OWNER]["blocks"], case.key) or {}).get("action_id")
            == FlowButton.POST_UPDATE
        ),
        what="the owner's Home tab to show the next action",
    )
    assert "Next customer update due" in parts.home_text(OWNER)


def test_follow_from_the_feed_and_unfollow_from_the_home_tab(harness: Harness) -> None:
    case = harness.escalate(CSM)
    channel = harness.channel_of(case)
    announcement = harness.feed.messages[-1]
    follow = next(
        e
        for b in announcement.blocks or []
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == "Follow"
    )
    assert follow["action_id"] == CaseAction.FOLLOW
    assert VP not in channel.members

    harness.mark(VP)
    harness.sender.click(
        VP, CaseAction.FOLLOW, follow["value"], channel_id=harness.feed.id, message_ts=announcement.ts
    )
    assert (
        harness.answer(VP)
        == f"You now follow {case.key}: it is on your Home tab. You are in <#{channel.id}>."
    )
    assert VP in channel.members

    blocks = harness.open_home(VP)
    text = harness.home_text(VP)
    assert text.index("Cases you follow") < text.index(f"*{case.key}*") and "You own no open cases" in text
    button = accessory(blocks, case.key)
    assert button is not None and button["action_id"] == CaseAction.UNFOLLOW

    harness.sender.home_action(VP, CaseAction.UNFOLLOW, value=str(case.id))
    # The app invited Victor, so it removes him from the channel; the tab forgets the case.
    wait_for(lambda: VP not in channel.members, what="the unfollower to leave the channel")
    wait_for(lambda: f"*{case.key}*" not in harness.home_text(VP), what="the Home tab to drop the case")
    assert "You follow no open cases" in harness.home_text(VP)
    kinds = [e.kind for e in harness.events(case.id)]
    assert kinds.count("followed") == 1 and kinds.count("unfollowed") == 1


def test_follow_by_command_and_who_may_follow(parts: Parts) -> None:
    case = parts.escalate()
    channel = parts.channel_of(case)

    assert parts.command(VP, f"follow {case.key.lower()}")[0].startswith(f"You now follow {case.key}")
    assert parts.command(VP, f"follow {case.key}") == [f"You already follow {case.key}."]
    assert parts.command(OWNER, f"follow {case.key}")[0].startswith(f"You own {case.key}")
    refused = parts.command(VP, "follow ESC-999")
    assert refused[0].startswith("I found no case ESC-999. Use `/escalate follow ESC-42`")

    # Ken was already in the channel (a stakeholder): following does not invite him,
    # so unfollowing does not remove him.
    assert parts.command(EXEC, f"follow {case.key}")[0].startswith(f"You now follow {case.key}")
    assert parts.command(EXEC, f"unfollow {case.key}") == [f"You no longer follow {case.key}."]
    assert EXEC in channel.members and not parts.workspace.calls_to("conversations.kick")

    left = f"You no longer follow {case.key} and left its channel."
    assert parts.command(VP, f"unfollow {case.key}") == [left]
    assert VP not in channel.members
    assert parts.command(VP, f"unfollow {case.key}") == [f"You do not follow {case.key}."]


def test_a_private_case_cannot_be_followed_from_outside(parts: Parts) -> None:
    case = parts.escalate(triggers=["data_breach"], stakeholders=[])
    assert parts.command(VP, f"follow {case.key}") == [
        f"{case.key} is a restricted case with a private channel: ask its owner <@{OWNER}> for access."
    ]
    assert VP not in parts.channel_of(case).members


def test_leaders_see_the_portfolio_and_outsiders_do_not_see_private_cases(harness: Harness) -> None:
    technical = harness.escalate(CSM)
    business = harness.escalate(
        CSM,
        account="Globex",
        summary="Renewal at risk",
        category="business",
        severity="critical",
        triggers=[],
    )
    private = harness.escalate(
        CSM, account="Initech", summary="Customer data exposed", triggers=["data_breach"], stakeholders=[]
    )
    set_ack_due(harness.components.engine, technical, -timedelta(minutes=1))

    harness.open_home(MANAGER)
    text = harness.home_text(MANAGER)
    assert "Portfolio" in text
    assert "*Open cases*\\n3 (1 restricted, not named)" in text
    assert "*Unacknowledged*\\n2" in text and "*Overdue now*\\n1" in text
    assert "Technical 2 · Business 1 · Relationship 0 · Process 0" in text
    assert f"*{technical.key}* · Acme" in text and f"*{business.key}* · Globex" in text
    assert "Initech" not in text and f"*{private.key}*" not in text and "Customer data exposed" not in text
    assert f"*Oldest open*\\n*{technical.key}* · Acme" in text
    assert "No accounts enrolled yet" in text

    # Filtering by category keeps it on later visits and refreshes.
    harness.sender.home_action(MANAGER, HomeAction.FILTER_CATEGORY, selected_option="business")
    wait_for(lambda: "*Open cases*\\n1" in harness.home_text(MANAGER), what="the filtered portfolio")
    harness.open_home(MANAGER)
    text = harness.home_text(MANAGER)
    assert f"*{business.key}*" in text and f"*{technical.key}*" not in text and "Clear filters" in text
    harness.sender.home_action(MANAGER, HomeAction.CLEAR_FILTERS, value="clear")
    wait_for(lambda: "*Open cases*\\n3" in harness.home_text(MANAGER), what="the filters cleared")
    harness.sender.home_action(MANAGER, HomeAction.FILTER_OWNER, selected_user=CSM)
    wait_for(lambda: "No open cases match these filters." in harness.home_text(MANAGER), what="owner filter")

    # An outsider has no portfolio, and nothing of the private case.
    harness.open_home(VP)
    text = harness.home_text(VP)
    assert "Portfolio" not in text and "Initech" not in text and "You own no open cases" in text

    # The private case's own people see it in full.
    harness.open_home(OWNER)
    assert "Initech: Customer data exposed" in harness.home_text(OWNER)


def test_many_cases_fit_slacks_limits_with_pages(harness: Harness) -> None:
    store_cases(harness.components.engine, 240, owner=OWNER)
    blocks = harness.open_home(MANAGER)
    assert len(blocks) <= 100
    text = harness.home_text(MANAGER)
    assert "Open cases · page 1 of 24" in text and "*Open cases*\\n240" in text
    harness.sender.home_action(MANAGER, HomeAction.PAGE_NEXT, value="1")
    wait_for(lambda: "page 2 of 24" in harness.home_text(MANAGER), what="page 2")

    owner_blocks = harness.open_home(OWNER)
    assert len(owner_blocks) <= 100
    assert "…and 230 more that you own" in harness.home_text(OWNER)


def test_sponsored_accounts_are_listed_and_their_sponsor_joins_business_cases(parts: Parts) -> None:
    # A business case an executive took part in, closed with Acme enrolled in sponsorship.
    case = resolved_case(parts, category="business")
    closed = parts.close(
        case,
        no_rca_reason="Commercial settlement.",
        sponsorship=["enrol"],
        sponsor=VP,
    )
    assert closed.status == "closed"
    parts.open_home(MANAGER)
    assert f"• Acme · sponsor <@{VP}> · since <!date^" in parts.home_text(MANAGER)

    # A new business case on the same account (typed differently) brings Victor in.
    business = parts.escalate(account=" ACME, Inc. ", category="business", triggers=[], stakeholders=[])
    assert VP in parts.channel_of(business).members
    assert VP in business.stakeholder_ids
    assert any(e.kind == "sponsor_invited" and e.data["sponsor_id"] == VP for e in parts.events(business.id))
    # A technical case on that account does not.
    technical = parts.escalate(account="Acme", stakeholders=[], triggers=[])
    assert VP not in parts.channel_of(technical).members
    assert case.account_name == "Acme"
    # ...until it is classified as a business case.
    parts.run_flow(
        OWNER,
        technical,
        "classify",
        category="business",
        kind="functional",
        severity="high",
        resolving_team="CS",
        reason="The customer disputes the renewal.",
    )
    assert VP in parts.channel_of(technical).members  # invited before the change was announced
    classified = [e for e in parts.events(technical.id) if e.kind == "classified"]
    assert classified[-1].data["sponsor_invited"] == VP


def test_hostile_and_longest_texts_stay_plain_and_within_limits(parts: Parts) -> None:
    from assistant.domain.intake import SUMMARY_MAX

    store_cases(
        parts.engine,
        30,
        owner=OWNER,
        account="<!channel> & <https://evil.example|Bank> {n}" + "&" * 150,
        summary="<!here>" + "<" * (SUMMARY_MAX - 7),
    )
    for user in (MANAGER, OWNER):
        blocks = parts.open_home(user)
        assert len(blocks) <= 100
        # Slack parses markup only in mrkdwn texts (plain_text, like the account filter, shows it as is).
        text = "\n".join(mrkdwn_texts(blocks))
        assert "<!channel>" not in text and "<!here>" not in text and "<https://evil" not in text
        assert "&lt;!channel&gt; &amp; &lt;https://evil.example|Bank&gt;" in text


def test_a_burst_of_changes_rebuilds_each_home_tab_at_most_once_a_window(database_url: str) -> None:
    """Six cases opened at once: the manager's tab is rebuilt once a 3-second window, not 6 times."""
    harness = start_harness(database_url, home_refresh_seconds=3)
    try:
        harness.open_home(MANAGER)
        views = [harness.open_intake(CSM) for _ in range(6)]
        published_before = len(harness.workspace.calls_to("views.publish"))
        with ThreadPoolExecutor(6) as pool:
            list(pool.map(lambda i: harness.submit_intake(views[i], CSM, summary=f"Outage {i}"), range(6)))
        keys = [f"ESC-{n}" for n in range(1, 7)]
        wait_for(lambda: all(k in harness.home_text(MANAGER) for k in keys), what="every case on the tab")
        time.sleep(3.5)  # anything still waiting for the window has gone by now
        rebuilt = [
            c
            for c in harness.workspace.calls_to("views.publish")[published_before:]
            if c.args.get("user_id") == MANAGER
        ]
        # Once a window, whatever the machine's speed (a slow one spreads the burst over more
        # windows): a refresh asked for while one runs goes right after it (nothing is missed), so
        # never three in one window; and far fewer than the changes.
        starts = [c.started for c in rebuilt]
        assert 1 <= len(rebuilt) < 6, len(rebuilt)
        assert all(
            third - first >= 2.9 for first, _, third in zip(starts, starts[1:], starts[2:], strict=False)
        ), starts
    finally:
        harness.stop()

"""`/escalate list`, `list all`, `status ESC-n`, and help for near-miss words; private cases stay private."""

from __future__ import annotations

import json

from tests.harness import CSM, EXEC, MANAGER, OWNER, Harness, wait_for
from tests.stories import closed_with_sponsor


def reply_to(harness: Harness, user: str, text: str) -> str:
    before = len(harness.workspace.ephemerals_for(user))
    harness.sender.slash_command(user, text, channel_id=harness.general.id)
    replies = wait_for(
        lambda: harness.workspace.ephemerals_for(user)[before:], what=f"the answer to {text!r}"
    )
    return replies[0].text + json.dumps(replies[0].blocks, ensure_ascii=False)


def test_list_shows_my_open_cases_and_managers_see_all(harness: Harness) -> None:
    harness.escalate(CSM, account="Acme", summary="SSO outage")
    harness.escalate(
        CSM,
        account="Globex",
        summary="Customer data exposed",
        triggers=["data_breach"],
        stakeholders=[],
        owner=MANAGER,
    )

    mine = reply_to(harness, OWNER, "list")
    assert "*ESC-1* · Acme: SSO outage" in mine and "ESC-2" not in mine
    # A stakeholder takes part too; the CSM reported both.
    stakeholder = reply_to(harness, EXEC, "list")
    assert "*ESC-1* · Acme" in stakeholder and "ESC-2" not in stakeholder
    reported = reply_to(harness, CSM, "list")
    assert "*ESC-1* · Acme" in reported and "*ESC-2* · Globex" in reported

    everything = reply_to(harness, MANAGER, "list all")
    assert "*ESC-1* · Acme" in everything and "*ESC-2* · Globex" in everything  # the manager owns ESC-2

    refused = reply_to(harness, OWNER, "list all")
    assert "is for escalation managers" in refused


def test_status_hides_a_private_case_from_outsiders(harness: Harness) -> None:
    harness.escalate(
        CSM, account="Globex", summary="Customer data exposed", triggers=["data_breach"], stakeholders=[]
    )
    inside = reply_to(harness, OWNER, "status ESC-1")
    assert "Customer data exposed" in inside and "Next promise" in inside
    outside = reply_to(harness, EXEC, "status esc-1")
    assert "restricted case" in outside and "Globex" not in outside and "Customer data" not in outside


def test_unknown_cases_and_near_miss_words_get_help(harness: Harness) -> None:
    assert "I found no case ESC-99" in reply_to(harness, CSM, "status ESC-99")
    assert "Did you mean `/escalate status`?" in reply_to(harness, CSM, "stauts")
    assert "Did you mean `/escalate follow`?" in reply_to(harness, CSM, "folow")
    views = len(harness.workspace.views)
    harness.sender.slash_command(CSM, "Outage", channel_id=harness.general.id)  # a real one-word summary
    wait_for(lambda: len(harness.workspace.views) > views, what="the intake modal")


def test_status_offers_follow_to_those_who_may(harness: Harness) -> None:
    harness.escalate(CSM)
    assert '"action_id": "case_follow", "value": "1"' in reply_to(harness, EXEC, "status ESC-1")
    assert "case_follow" not in reply_to(harness, OWNER, "status ESC-1")  # owners do not follow


def test_verbs_take_a_case_key_anywhere(harness: Harness) -> None:
    """Typed outside the case channel (a closed case's channel is often archived: nowhere else to type it)."""
    case = closed_with_sponsor(harness, sponsor=EXEC)
    views = len(harness.workspace.views)

    timeline = reply_to(harness, OWNER, "timeline ESC-1")
    assert "Timeline" in timeline and "closed the case" in timeline
    assert "Did you mean `/escalate follow ESC-1`?" in reply_to(harness, EXEC, "folow esc 1")
    assert "Did you mean `/escalate timeline ESC-1`?" in reply_to(harness, OWNER, "timelne #esc-1-acme")
    assert "I found no case ESC-9" in reply_to(harness, OWNER, "close ESC-9")
    assert "ESC-1 is closed. There is nothing left to do" in reply_to(harness, OWNER, "close esc-1")
    assert len(harness.workspace.views) == views  # no intake modal for any of them

    harness.mark(OWNER)
    mention = f"<#{case.channel_id}|esc-1-acme>"  # as Slack encodes a channel typed in a command
    harness.sender.slash_command(OWNER, f"reopen {mention}", channel_id=harness.general.id)
    wait_for(lambda: len(harness.workspace.views) > views, what="the reopen modal")
    wait_for(lambda: harness.latest_view()["callback_id"] != "loading", what="the modal to be filled")
    assert "reopen" in harness.latest_view()["callback_id"]

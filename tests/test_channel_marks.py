"""Tell it from the channel (issue 24, part 2): a message in the case channel is added to the
timeline with the message shortcut "Add to timeline" or a 📌 reaction by a case member, with its
author, time and permalink; removing the reaction takes it off. What the channel marked starts the
customer update's draft and the RCA's "what happened"."""

from __future__ import annotations

from assistant.presenters.timeline import timeline_lines
from tests.harness import CSM, OWNER, VP, FlowButton, Harness, wait_for
from tests.stories import acknowledged

ADD_TO_TIMELINE = "add_to_timeline"


def said_in(harness: Harness, channel_id: str, user: str, text: str) -> str:
    """Someone writes in the channel (as Slack stores it: encoded); its ts."""
    return harness.workspace.post_as(user, channel_id, text).ts


def marked(harness: Harness, case_id: int | None) -> list[str]:
    kinds = [e.kind for e in harness.events(case_id)]
    return [k for k in kinds if k in ("message_marked", "message_unmarked")]


def test_a_pin_or_the_shortcut_adds_a_message_to_the_timeline_and_the_drafts(any_harness: Harness) -> None:
    """Over signed HTTP and over Socket Mode alike."""
    harness = any_harness
    case = acknowledged(harness, stakeholders=[])
    channel = harness.channel_of(case)
    first = said_in(
        harness, channel.id, OWNER, "Root cause found: the SAML cert expired at 09:02 &amp; nobody was paged"
    )
    second = said_in(harness, channel.id, CSM, "Customer says <@U0OWNER01> fixed it for 80% of users")

    # A 📌 by a case member adds it, with its author, time and link; the timeline says so.
    harness.sender.reaction(CSM, channel.id, first, "pushpin")
    wait_for(lambda: marked(harness, case.id) == ["message_marked"], what="the first message marked")
    event = next(e for e in harness.events(case.id) if e.kind == "message_marked")
    assert event.actor_id == CSM and event.data["author"] == OWNER and event.data["ts"] == first
    assert event.data["permalink"].endswith(first.replace(".", ""))
    lines = "\n".join(timeline_lines(harness.events(case.id)))
    # Decoded on the way in, escaped once on the way out (the timeline is mrkdwn).
    assert event.data["text"] == "Root cause found: the SAML cert expired at 09:02 & nobody was paged"
    assert "added a message to the timeline" in lines and "expired at 09:02 &amp; nobody was paged" in lines

    # Another reaction, or the same pin again (Slack retries), changes nothing.
    harness.sender.reaction(CSM, channel.id, first, "eyes")
    harness.sender.reaction(CSM, channel.id, first, "pushpin")
    # The shortcut on the second message; the answer is private.
    harness.mark(OWNER)
    harness.sender.message_shortcut(OWNER, channel.id, second, ADD_TO_TIMELINE)
    assert harness.answer(OWNER) == f"Added to {case.key}'s timeline."
    wait_for(lambda: marked(harness, case.id) == ["message_marked"] * 2, what="the second message marked")

    # Someone outside the case cannot mark it.
    harness.sender.reaction(VP, channel.id, second, "pushpin")
    harness.mark(VP)
    harness.sender.message_shortcut(VP, channel.id, second, ADD_TO_TIMELINE)
    assert harness.answer(VP).startswith("Only the case's people")

    # The update's draft and the RCA's "what happened" start from what was marked.
    view_id = harness.open_flow(OWNER, case, FlowButton.POST_UPDATE)
    draft = next(
        b for b in harness.workspace.views[view_id]["blocks"] if b.get("block_id") == "customer_update"
    )["element"]["initial_value"]
    assert "the SAML cert expired at 09:02 & nobody was paged" in draft
    assert "Customer says @" in draft

    # Removing the pin takes it off (the timeline says so; the drafts forget it).
    harness.sender.reaction(CSM, channel.id, first, "pushpin", added=False)
    wait_for(lambda: marked(harness, case.id)[-1:] == ["message_unmarked"], what="the message taken off")
    view_id = harness.open_flow(OWNER, case, FlowButton.POST_UPDATE)
    draft = next(
        b for b in harness.workspace.views[view_id]["blocks"] if b.get("block_id") == "customer_update"
    )["element"]["initial_value"]
    assert "SAML cert" not in draft and "Customer says @" in draft

    # The RCA's "what happened" starts from them too, each with its time.
    view_id = harness.open_flow(OWNER, case, FlowButton.RESOLVE)
    harness.submit(
        OWNER, view_id, resolution_summary="Fixed.", fix="Renewed the certificate.", customer_confirmed="yes",
        customer_notice="Your service is back.",
    )  # fmt: skip
    wait_for(lambda: harness.case(case.id).status == "resolved", what="the resolution")
    view_id = harness.open_flow(OWNER, case, FlowButton.RCA)
    happened = next(
        b for b in harness.workspace.views[view_id]["blocks"] if b.get("block_id") == "what_happened"
    )["element"]["initial_value"]
    assert "Customer says @" in happened and "SAML cert" not in happened


def test_outside_a_case_channel_the_shortcut_says_where_it_works(harness: Harness) -> None:
    harness.escalate(CSM, stakeholders=[])
    ts = said_in(harness, harness.general.id, CSM, "Nothing to do with a case")
    harness.mark(CSM)
    harness.sender.message_shortcut(CSM, harness.general.id, ts, ADD_TO_TIMELINE)
    assert harness.answer(CSM).startswith("Add to timeline works in a case channel")
    harness.sender.reaction(CSM, harness.general.id, ts, "pushpin")  # ignored, quietly

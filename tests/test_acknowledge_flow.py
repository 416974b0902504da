"""Acknowledge: the named owner takes the case and promises the next customer update."""

from __future__ import annotations

import json
import time

from tests.harness import CSM, EXEC, MANAGER, OWNER, FlowButton, Harness, in_hours, start_harness, wait_for


def test_owner_acknowledges_with_a_specific_promise(harness: Harness) -> None:
    case = harness.escalate(CSM)
    view_id = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
    view = harness.workspace.views[view_id]
    assert view["title"]["text"] == "Acknowledge ESC-1"
    draft = next(b for b in view["blocks"] if b.get("block_id") == "customer_message")["element"][
        "initial_value"
    ]
    assert (
        "I'm Sarah Miller, VP Customer Success. I have personally taken ownership of your case: SSO outage."
        in draft
    )
    assert "whether or not we have a resolution by then" in draft
    assert "(-03)" in draft  # the promise in the owner's own zone (São Paulo)

    promise = in_hours(3)
    response = harness.submit(OWNER, view_id, next_update=promise, customer_message=draft)
    assert response.status == 200 and not response.body

    channel = harness.channel_of(case)
    wait_for(lambda: len(channel.messages) == 2, what="the channel message")
    said = json.dumps(channel.messages[1].blocks, ensure_ascii=False)
    assert f"<@{OWNER}> acknowledged *ESC-1* on time" in said
    assert f"<!date^{promise}^" in said
    assert "I will send you a status update by" in said
    wait_for(lambda: channel.messages[0].edited == 1, what="the card to be updated in place")
    card = json.dumps(channel.messages[0].blocks, ensure_ascii=False)
    assert "Acknowledged" in card and "Customer told by" not in card  # the first hour's promise kept
    assert f"Acknowledged by <@{OWNER}>" in harness.details(OWNER, harness.case(case.id))
    assert f"Next customer update due*\\n<!date^{promise}^" in card
    wait_for(
        lambda: channel.topic.startswith(
            "ACKNOWLEDGED · High severity · Owner: Sarah Miller · Next customer"
        ),
        what="the topic",
    )
    stored = harness.case(case.id)
    assert stored.status == "acknowledged" and stored.acknowledged_by == OWNER
    assert int(stored.next_update_due_at.timestamp()) == promise  # type: ignore[union-attr]
    assert [e.kind for e in harness.events(case.id)][-1] == "acknowledged"


def test_changing_the_time_keeps_the_untouched_draft_true(harness: Harness) -> None:
    case = harness.escalate(CSM)
    view_id = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
    draft = next(
        b for b in harness.workspace.views[view_id]["blocks"] if b.get("block_id") == "customer_message"
    )["element"]["initial_value"]
    harness.submit(OWNER, view_id, next_update=in_hours(20), customer_message=draft)
    stored = wait_for(lambda: harness.case(case.id).customer_acknowledgement, what="the acknowledgement")
    assert stored != draft  # the time in the text moved with the time chosen
    assert stored.split(" by ")[0] == draft.split(" by ")[0]


def test_only_the_owner_or_a_manager_may_acknowledge(harness: Harness) -> None:
    case = harness.escalate(CSM)
    views_before = len(harness.workspace.views)
    harness.click(EXEC, case, FlowButton.ACKNOWLEDGE)
    refusal = [harness.answer(EXEC)]
    assert refusal == [f"Only the owner, <@{OWNER}>, or an escalation manager can acknowledge this case."]
    assert len(harness.workspace.views) == views_before
    assert harness.case(case.id).status == "new"

    view_id = harness.open_flow(MANAGER, case, FlowButton.ACKNOWLEDGE)  # managers may act on any case
    harness.submit(MANAGER, view_id, next_update=in_hours(2), customer_message="On it.")
    wait_for(lambda: harness.case(case.id).status == "acknowledged", what="the acknowledgement")


def test_the_promise_must_be_future_and_near(harness: Harness) -> None:
    case = harness.escalate(CSM)
    view_id = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
    errors = harness.submit(OWNER, view_id, next_update=in_hours(-1), customer_message="x").json()["errors"]
    assert errors == {"next_update": "Choose a time at least 5 minutes from now."}
    errors = harness.submit(OWNER, view_id, next_update=in_hours(30), customer_message="  ").json()["errors"]
    assert errors["next_update"].startswith("Promise an update within 24 hours")
    assert errors["customer_message"] == "Write the acknowledgement the customer will receive."
    assert harness.case(case.id).status == "new"


def test_acknowledging_twice_is_refused_with_what_to_do(harness: Harness) -> None:
    case = harness.escalate(CSM)
    view_id = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
    harness.submit(OWNER, view_id, next_update=in_hours(2), customer_message="On it.")
    wait_for(lambda: harness.case(case.id).status == "acknowledged", what="the acknowledgement")

    harness.command(OWNER, "ack", case.channel_id or "")
    refusal = [harness.answer(OWNER)]
    assert refusal[-1] == "ESC-1 is acknowledged and still open. Post an update instead."


def test_owner_can_acknowledge_from_the_dm_after_a_cold_start(harness: Harness) -> None:
    case = harness.escalate(CSM)
    harness.components.people._cache.clear()  # as after a restart: the owner is not known yet
    dm = harness.workspace.dm_messages(OWNER)[0]
    before = len(harness.workspace.views)
    harness.sender.click(
        OWNER,
        FlowButton.ACKNOWLEDGE,
        str(case.id),
        channel_id=harness.workspace.ims[OWNER],
        message_ts=dm.ts,
        block_id="owner_actions",
    )
    wait_for(
        lambda: (
            len(harness.workspace.views) > before and harness.latest_view()["callback_id"] == "acknowledge"
        ),
        what="the filled modal",
    )
    # The owner is looked up once (for their language, within 0.25 s), then the modal opens
    # directly: the lookup found them, so no "loading" modal was needed.
    assert [c.method for c in harness.workspace.calls][-2:] == ["users.info", "views.open"]


def test_a_slow_lookup_of_the_owner_shows_a_loading_modal_within_slacks_three_seconds(
    harness: Harness,
) -> None:
    case = harness.escalate(CSM)
    harness.components.people._cache.clear()
    harness.workspace.slow("users.info", 1.5, times=5, match={"user": OWNER})
    started = time.monotonic()
    harness.click(OWNER, case, FlowButton.ACKNOWLEDGE)
    wait_for(lambda: harness.latest_view()["callback_id"] == "acknowledge", what="the filled modal")
    opened = [c for c in harness.workspace.calls if c.method in ("views.open", "views.update")]
    assert [c.method for c in opened][-2:] == ["views.open", "views.update"]
    assert opened[-2].started - started < 3.0  # the trigger was used in time (English this once)


def test_the_earliest_promise_is_a_setting(database_url: str) -> None:
    harness = start_harness(database_url, min_promise_minutes=30)
    try:
        case = harness.escalate(CSM)
        view_id = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
        soon = int(time.time()) + 20 * 60
        errors = harness.submit(OWNER, view_id, next_update=soon, customer_message="On it.").json()["errors"]
        assert errors == {"next_update": "Choose a time at least 30 minutes from now."}
    finally:
        harness.stop()

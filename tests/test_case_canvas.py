"""The case as a canvas (issue 24, part 3): each case channel gets a channel canvas, the living case
document, created when the channel opens and edited section by section after each change (what
people add to it stays), never duplicated after a time-out, left as the record when the case
closes; where Slack has no canvases the app carries on and says so once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from slack_standin.canvases import Section
from tests.harness import (
    CSM,
    MANAGER,
    OWNER,
    FlowButton,
    Harness,
    in_hours,
    seed_workspace,
    start_harness,
    wait_for,
)  # fmt: skip
from tests.test_health import get


def canvas_of(harness: Harness, case_id: int | None) -> str:
    """The canvas's markdown once the case has one."""
    canvas_id = wait_for(lambda: harness.case(case_id).canvas_id, what="the case canvas")
    return harness.workspace.canvases[canvas_id].markdown()


def test_the_canvas_is_the_living_case_document_edited_section_by_section(harness: Harness) -> None:
    case = harness.escalate(
        CSM, summary="Logins *fail* for <!channel> § [admins](http://x.io)", stakeholders=[]
    )
    document = canvas_of(harness, case.id)
    channel = harness.channel_of(harness.case(case.id))
    canvas = harness.workspace.canvases[str(harness.case(case.id).canvas_id)]
    assert canvas.channel_id == channel.id and canvas.title == f"{case.key} · Acme"
    for mark, title in enumerate(
        ["Summary", "Status and next promise", "Customer contacts and affected accounts", "Action plan",
         "Timeline highlights", "Root-cause analysis"], start=1,
    ):  # fmt: skip
        assert f"**§{mark} · {title}**" in document
    assert document.count("§") == 6  # the user's § is not one: sections are found by it
    # User text escaped once, on one line: its markup is text, no mention, no link.
    assert r"Logins \*fail\* for \<\!channel\> \[admins\](http://x.io)" in document
    assert f"Owner: ![](@{OWNER})" in document and "Status: New" in document
    assert "Next promise: Acknowledgement due" in document and "UTC" in document
    assert "No plan yet." in document and "Not written yet." in document

    # Someone writes their own notes in the canvas: the app's edits leave them.
    canvas.sections.append(Section("paragraph", "Our notes: call Bob on Monday"))
    summary_id = canvas.sections[0].id
    edits_before = len(harness.workspace.calls_to("canvases.edit"))

    view = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
    harness.submit(OWNER, view, next_update=in_hours(2), customer_message="On it.")
    wait_for(
        lambda: "acknowledged the case" in canvas.markdown(), what="the canvas after the acknowledgement"
    )
    document = canvas.markdown()
    assert "Status: Acknowledged" in document
    assert "Next promise: Next customer update due" in document
    assert "Our notes: call Bob on Monday" in document
    assert canvas.sections[0].id == summary_id  # the summary did not change: not edited
    edits = len(harness.workspace.calls_to("canvases.edit")) - edits_before
    assert 1 <= edits <= 3  # the status and the timeline (once each, however many refreshes)
    assert len(harness.workspace.calls_to("conversations.canvases.create")) == 1


@pytest.fixture
def slow_slack(database_url: str) -> Iterator[Harness]:
    running = start_harness(database_url, seed_workspace, slack_timeout_seconds=1)
    try:
        yield running
    finally:
        running.stop()


def test_a_canvas_created_while_slack_timed_out_is_adopted_never_made_twice(slow_slack: Harness) -> None:
    harness = slow_slack
    harness.workspace.slow("conversations.canvases.create", 1.5)  # made, answered too late
    view_id = harness.open_intake(CSM)
    harness.submit_intake(view_id, CSM, stakeholders=[])
    case = wait_for(lambda: harness.case_by_view(view_id), what="the case stored")
    wait_for(  # the repair sweep (every REPAIR_INTERVAL_SECONDS when the app runs) tries the step again
        lambda: (harness.components.provisioner.repair() or True) and harness.case(case.id).canvas_id,
        what="the canvas adopted",
    )
    calls = harness.workspace.calls_to("conversations.canvases.create")
    assert len(calls) == 2 and calls[1].error == "channel_canvas_already_exists"
    channel = harness.channel_of(harness.case(case.id))
    assert [c.channel_id for c in harness.workspace.canvases.values()] == [channel.id]
    canvas = harness.workspace.canvases[str(channel.canvas_id)]
    wait_for(lambda: "Status: New" in canvas.markdown(), what="the adopted canvas current")
    document = canvas.markdown()
    assert document.count("**§2 · Status and next promise**") == 1


def test_without_canvases_cases_open_as_before_and_the_managers_hear_once(harness: Harness) -> None:
    harness.workspace.canvases_enabled = False
    first = harness.wait_provisioned(harness.escalate(CSM, stakeholders=[]).id)
    second = harness.wait_provisioned(harness.escalate(CSM, summary="Another one", stakeholders=[]).id)
    for case in (first, second):  # provisioned: the canvas step done, without a canvas
        step = next(e for e in harness.events(case.id) if e.kind == "canvas_created")
        assert step.data["canvas"] is False and harness.case(case.id).canvas_id is None
    told = [m for m in harness.workspace.dm_messages(MANAGER) if "no canvas" in m.text]
    assert len(told) == 1 and "team_tier_cannot_create_channel_canvases" in told[0].text
    status, body = get(harness, "/readyz")
    assert (status, body["status"]) == (200, "ok")  # not a fault of the app's
    # Canvases turned on later: the next case has one, and the notice is gone.
    harness.workspace.canvases_enabled = True
    third = harness.escalate(CSM, summary="A third", stakeholders=[])
    assert "Status: New" in canvas_of(harness, third.id)


def test_a_closed_case_leaves_its_canvas_as_the_record(harness: Harness) -> None:
    from tests.stories import closed_with_sponsor

    case = closed_with_sponsor(harness, sponsor=MANAGER)
    channel = harness.channel_of(case)
    wait_for(lambda: channel.is_archived, what="the channel archived")
    document = harness.workspace.canvases[str(case.canvas_id)].markdown()
    assert "Status: Closed" in document and "Resolution: Fixed." in document
    assert "closed the case" in document and "resolved the case" in document


def test_the_canvas_is_written_in_the_channels_language(harness: Harness) -> None:
    from assistant.content.i18n import speaking
    from assistant.presenters.canvas import case_document

    case = harness.escalate(CSM, stakeholders=[])
    for locale, words in {
        "pt_BR": ("Resumo", "Status e próxima promessa"),
        "es": ("Resumen", "Estado y próxima promesa"),
    }.items():
        with speaking(locale):
            document = case_document(harness.engine, harness.case(case.id)).markdown()
        assert all(w in document for w in words) and "Summary" not in document


def test_user_text_cannot_split_or_retitle_a_canvas_section(harness: Harness) -> None:
    case = harness.escalate(CSM, summary="- Checkout down", description="---", stakeholders=[])
    canvas_id = wait_for(lambda: harness.case(case.id).canvas_id, what="the canvas")
    canvas = harness.workspace.canvases[canvas_id]
    # One paragraph per section, as written: the summary is no list item, the "---" no heading.
    assert [s.kind for s in canvas.sections] == ["paragraph"] * 6
    summary = canvas.sections[0].text()
    assert "- Checkout down" in summary and "---" in summary
    # A title is plain text (no markup read there).
    assert canvas.title == f"{case.key} · Acme"

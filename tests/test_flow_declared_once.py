"""Adding a question to an owner flow, or letting a new role run it, is one change to the flow's
file in a team's CUSTOM_DIR: it shows in the modal, the card's buttons, `/escalate help` and
the permission answer, and the answer is kept on the case's timeline. Over signed HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.models import Escalation
from tests.harness import (
    CSM,
    OWNER,
    VP,
    FlowButton,
    Harness,
    closing_checklist,
    mrkdwn_texts,
    team_harness,
    wait_for,
)
from tests.stories import resolved

CLOSE = """\
# Our CSMs close the cases they reported, and we ask what the customer said.
who: [owner, reporter, manager, admin]
fields:
  customer_quote:
    type: long_text
    label: What the customer said about the fix
    max_length: 500
    required: Quote the customer, in their words.
"""
REASSIGN = "states: [new, acknowledged, resolved]\n"


@pytest.fixture
def ours_changed(database_url: str, tmp_path: Path) -> Iterator[Harness]:
    yield from team_harness(
        database_url, tmp_path / "team", {"flows/close.yml": CLOSE, "flows/reassign.yml": REASSIGN}
    )


def test_one_file_adds_a_question_and_a_role(ours_changed: Harness) -> None:
    harness = ours_changed
    harness.command(CSM, "help", channel_id=harness.general.id)
    shown = wait_for(lambda: harness.workspace.ephemerals_for(CSM), what="the help")[-1]
    assert "`/escalate close`: close it _(owner, reporter, escalation manager, admin)_" in "\n".join(
        mrkdwn_texts(shown.blocks)
    )

    case = resolved(harness, category="business", stakeholders=[], triggers=[])
    # The card: reassigning a resolved case is now allowed, so the card offers it.
    assert f'"value": "reassign:{case.id}"' in resolved_card(harness, case)

    # Someone else is told who may close it now.
    harness.click(VP, case, FlowButton.CLOSE)
    assert harness.answer(VP) == (
        f"Only the owner, <@{OWNER}>, the person who reported it, or an escalation manager "
        "can close this case."
    )

    # The CSM who reported it may close it, and the modal asks the team's question.
    view = harness.open_flow(CSM, case, FlowButton.CLOSE)
    blocks = {b.get("block_id"): b for b in harness.workspace.views[view]["blocks"]}
    asked = blocks["customer_quote"]
    assert asked["label"]["text"] == "What the customer said about the fix"
    assert asked["element"]["type"] == "plain_text_input" and asked["element"]["multiline"] is True
    assert asked["optional"] is False

    errors = harness.submit(
        CSM, view, no_rca_reason="A billing question.", **closing_checklist(harness.workspace.views[view])
    ).json()["errors"]
    assert errors == {"customer_quote": "Quote the customer, in their words."}
    harness.submit(
        CSM,
        view,
        no_rca_reason="A billing question.",
        customer_quote="It *works* <now>",
        **closing_checklist(harness.workspace.views[view]),
    )
    wait_for(lambda: harness.case(case.id).status == "closed", what="the case to close")

    closed = next(e for e in harness.events(case.id) if e.kind == "closed")
    assert closed.data["team_answers"] == {"customer_quote": "It *works* <now>"}
    harness.command(CSM, f"timeline {case.key}", channel_id=harness.general.id)
    shown = wait_for(
        lambda: [e for e in harness.workspace.ephemerals_for(CSM) if e.text.startswith("Timeline of")],
        what="the timeline",
    )[-1]
    timeline = "\n".join(mrkdwn_texts(shown.blocks))
    assert "What the customer said about the fix: It *works* &lt;now&gt;" in timeline


def test_ours_are_unchanged_without_a_teams_file(harness: Harness) -> None:
    case = resolved(harness, category="business", stakeholders=[], triggers=[])
    harness.click(CSM, case, FlowButton.CLOSE)
    assert harness.answer(CSM) == (
        f"Only the owner, <@{OWNER}>, or an escalation manager can close this case."
    )
    assert f'"value": "reassign:{case.id}"' not in resolved_card(harness, case)


def resolved_card(harness: Harness, case: Escalation) -> str:
    """The case card once it shows the case resolved (its first button: the root-cause analysis)."""

    def card() -> str | None:
        shown = json.dumps(harness.channel_of(case).messages[0].blocks)
        return shown if "case_rca" in shown else None

    return wait_for(card, what="the card of a resolved case")

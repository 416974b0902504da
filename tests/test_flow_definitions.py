"""A flow is declared once, in its file (flows/<flow>.yml): the card's buttons, the verbs, help,
the reminders' next step, the permission and state rules and the questions are all derived from
it. Pure: no Slack, no database."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.content.flow_files import load_flows
from assistant.content.i18n import _
from assistant.content.playbook import PlaybookError
from assistant.domain.lifecycle import Role, permission_refusal, roles_of
from assistant.domain.status import Status
from assistant.presenters.case_buttons import card_actions

OURS = load_flows()


def team_flows(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / "flows").mkdir(exist_ok=True)
        (tmp_path / "flows" / name).write_text(text)
    return tmp_path


def test_the_card_shows_the_likely_next_steps_first_and_never_a_refusal() -> None:
    assert OURS.card(Status.NEW) == (
        ("acknowledge", "classify"),
        ("reassign", "contacts", "affected_accounts", "task_force", "timeline"),
    )
    assert OURS.card(Status.ACKNOWLEDGED)[0] == (
        "post_update",
        "classify",
        "resolve",
        "action_plan",
        "concession",
    )
    assert OURS.card(Status.RESOLVED)[0] == ("rca", "close", "reopen", "concession")
    # A closed case: reopen, and the timeline as a button (an overflow menu needs two options).
    shown = card_actions(OURS, Status.CLOSED)
    assert [b["action_id"] for b in shown["buttons"]] == ["case_reopen", "case_timeline"]
    assert shown["more"] == []


def test_a_reminder_offers_the_next_step_of_the_case() -> None:
    assert OURS.next_step(Status.NEW) == "acknowledge"
    assert OURS.next_step(Status.ACKNOWLEDGED) == "post_update"
    assert OURS.next_step(Status.RESOLVED) == "rca"
    assert OURS.next_step(Status.CLOSED) is None


def test_the_verbs_and_help_come_from_the_files() -> None:
    assert OURS.named("ack") == OURS.named("acknowledge") == "acknowledge"
    assert OURS.named("update") == "post_update"
    assert OURS.named("accounts") == "affected_accounts"
    assert OURS.named("list") is None
    rows = {row["word"]: row for row in OURS.help_rows()}
    assert rows["ack"]["who"] == ("owner", "manager", "admin")
    assert rows["timeline"]["who"] == ("participant",)
    assert list(rows)[:4] == ["ack", "update", "classify", "resolve"]


def test_required_says_what_is_required() -> None:
    questions = {q.id: q for q in OURS.questions("acknowledge")}
    assert questions["next_update"].required == "Promise a specific time for the next customer update."
    assert questions["sent_how"].required is None
    # The close form's, each asked only when it applies (the resolution checklist, issue 23).
    assert {q.id for q in OURS.questions("close") if q.required} == {
        "no_rca_reason",
        "service_confirmed",
        "records_closed",
        "rca_shared_by",
        "handled_better",
        "improvement_area",
    }


def test_a_team_adds_a_question_and_a_role_in_one_file(tmp_path: Path) -> None:
    folder = team_flows(
        tmp_path,
        {
            "close.yml": (
                "who: [owner, reporter, manager, admin]\n"
                "fields:\n"
                "  customer_quote:\n"
                "    type: long_text\n"
                "    label: What the customer said about the fix\n"
                "    required: Quote the customer.\n"
            )
        },
    )
    flows = load_flows(folder)
    added = [q for q in flows.questions("close") if q.teams]
    assert [(q.id, q.type, q.required) for q in added] == [
        ("customer_quote", "long_text", "Quote the customer.")
    ]
    # Ours are kept, with our words.
    assert flows["close"].fields["no_rca_reason"].label == OURS["close"].fields["no_rca_reason"].label
    reporter = roles_of("U2", owner_id="U1", reporter_id="U2", manager_ids=frozenset(), is_admin=False)
    assert permission_refusal(OURS.rules("close"), reporter, "Sarah") is not None
    assert permission_refusal(flows.rules("close"), reporter, "Sarah") is None
    stranger = roles_of("U9", owner_id="U1", reporter_id="U2", manager_ids=frozenset(), is_admin=False)
    refusal = permission_refusal(flows.rules("close"), stranger, "Sarah")
    assert refusal is not None and "the person who reported it" in _(refusal)
    assert Role.REPORTER in flows.rules("close").who


def test_a_teams_file_under_its_old_name_is_still_read(tmp_path: Path) -> None:
    flows = load_flows(team_flows(tmp_path, {"update.yml": "button: Update the customer\n"}))
    assert flows["post_update"].button == "Update the customer"
    assert flows["post_update"].card == OURS["post_update"].card


def test_a_team_changes_one_thing_in_a_section_and_keeps_the_rest(tmp_path: Path) -> None:
    flows = load_flows(
        team_flows(tmp_path, {"classify.yml": "card:\n  order: 30\ninstead:\n  closed: Reopen it.\n"})
    )
    assert flows["classify"].card is not None and flows["classify"].card.button_in == ("new", "acknowledged")
    assert flows.card(Status.NEW)[0] == ("acknowledge", "classify")


def test_a_team_moves_a_flow_into_another_state_and_the_card_follows(tmp_path: Path) -> None:
    flows = load_flows(team_flows(tmp_path, {"reassign.yml": "states: [new, acknowledged, resolved]\n"}))
    assert "reassign" not in OURS.card(Status.RESOLVED)[1]
    assert "reassign" in flows.card(Status.RESOLVED)[1]


@pytest.mark.parametrize(
    ("file", "text", "expected"),
    [
        (
            "close.yml",
            "fields:\n  mood:\n    label: Mood\n",
            "close.yml:3: fields.mood: a question of your own needs a type",
        ),
        (
            "close.yml",
            "fields:\n  no_rca_reason:\n    required: null\n",
            "close.yml:3: fields.no_rca_reason: must stay required",
        ),
        ("close.yml", "opened_from: [card]\n", "close.yml:1: opened_from: the engine's to say"),
        (
            "acknowledge.yml",
            "fields:\n  next_update:\n    type: text\n",
            "acknowledge.yml:3: fields.next_update.type: 'text' is the engine's to say",
        ),
        ("close.yml", "verb: list\n", "close.yml:1: verb 'list': the command's own word"),
        ("close.yml", "who: [owner, boss]\n", "close.yml:1: who.1"),
        # A team's question may not take an id the engine's modals use.
        (
            "rca.yml",
            "fields:\n  corrective_1_description:\n    type: text\n    label: X\n",
            "rca.yml:3: fields.corrective_1_description: an id the engine's modals use already",
        ),
        (
            "close.yml",
            "fields:\n  others_message:\n    type: text\n    label: X\n",
            "close.yml:3: fields.others_message: an id",
        ),
        ("close.yml", "fields:\n  - mood\n", "close.yml:2: fields: one question a line"),
        ("close.yml", "aliases: [Take]\n", "close.yml:1: aliases.0"),
        ("acknowledge.yml", "aliases: [timeline]\n", "acknowledge.yml:1: aliases 'timeline': also the"),
        # Every state keeps a button on the card, and at most five under "More".
        (
            "reopen.yml",
            "card:\n  button_in: [resolved]\n",
            "reopen.yml:2: card: no button on a closed case's card",
        ),
    ],
)
def test_a_teams_mistake_is_named_at_its_line(tmp_path: Path, file: str, text: str, expected: str) -> None:
    with pytest.raises(PlaybookError) as raised:
        load_flows(team_flows(tmp_path, {file: text}))
    assert expected in str(raised.value), str(raised.value)


def test_a_template_names_a_flows_button_as_it_did_before_flows_had_files() -> None:
    """A team's template from before (`case.actions.ACKNOWLEDGE`, `actions.MORE.value`) still routes."""
    from assistant.ids import CaseAction
    from assistant.presenters.case_buttons import action_ids

    ids = action_ids(OURS)
    assert ids["ACKNOWLEDGE"] == "case_acknowledge" and ids["POST_UPDATE"].value == "case_post_update"
    assert ids["MORE"].value == CaseAction.MORE.value

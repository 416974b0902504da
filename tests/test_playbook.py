"""The playbook (flows/playbook.yml): the practice as data, checked with precise errors, and a team's
own copy (CUSTOM_DIR) changing what the app says and does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from assistant.content.paths import content_dir
from assistant.content.playbook import PlaybookError, parse_playbook
from assistant.content.registry import load_content
from slack_standin.workspace import User
from tests.harness import (
    CSM,
    MANAGER,
    OWNER,
    FlowButton,
    Harness,
    run_cli,
    team_harness,
    wait_for,
)
from tests.parts import Parts, running_parts

BUILT_IN = (content_dir("flows") / "playbook.yml").read_text()


def test_the_built_in_playbook_passes_its_own_check(tmp_path: Path) -> None:
    done = run_cli(["playbook", "check"], {}, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "flows/playbook.yml: the playbook is valid" in done.stdout
    shown = run_cli(["playbook", "show"], {}, tmp_path)
    assert "Escalate at once: the customer contacted an executive" in shown.stdout


def broken_folder(tmp_path: Path) -> Path:
    text = (
        BUILT_IN.replace("    label: Business\n", "    label: ''\n")
        .replace("      minimum_severity: high\n", "      minimum_severity: urgent\n")
        .replace("  - id: low\n", "  - id: Low priority\n")
        .replace(
            "      managers_told: true\n      executive_involved",
            "      manager_told: true\n      executive_involved",
        )
    )
    (tmp_path / "ours/flows").mkdir(parents=True)
    (tmp_path / "ours/flows/playbook.yml").write_text(text)
    return tmp_path / "ours"


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_a_broken_playbook_is_refused_with_every_problem_at_its_line(tmp_path: Path) -> None:
    folder = broken_folder(tmp_path)
    text = (folder / "flows/playbook.yml").read_text()
    done = run_cli(["playbook", "check", str(folder)], {}, tmp_path)
    assert done.returncode == 1
    path = folder / "flows/playbook.yml"
    errors = done.stderr.splitlines()
    empty_label = line_of(text, "label: ''")
    assert f"{path}:{empty_label}: categories.1.label: String should have at least 1 character" in errors
    urgent = line_of(text, "minimum_severity: urgent")
    where = f"{path}:{urgent}: triggers.1.effects.minimum_severity"
    assert any(e.startswith(f"{where}: unknown value 'urgent'") for e in errors), errors
    assert any(
        e.startswith(f"{path}:{line_of(text, 'manager_told')}:") and "not a setting" in e for e in errors
    )
    low = line_of(text, "- id: Low priority")
    assert (
        f"{path}:{low}: severities.3.id: 'Low priority' cannot be used here: lower-case letters, "
        "digits and _, starting with a letter, at most 20 characters"
    ) in errors
    assert errors[-1] == "4 problem(s); nothing was changed."


def test_yaml_that_does_not_parse_says_where(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError) as raised:
        parse_playbook("categories:\n  - id: technical\n    label: [unclosed\n", tmp_path / "p.yml")
    assert str(raised.value).startswith(f"{tmp_path / 'p.yml'}:") and "not valid YAML" in str(raised.value)


def problems_in(folder: Path) -> list[str]:
    """Every problem of a team's folder, each at its file and line, as `playbook check` and the
    app's start-up read it (load_content: the playbook, the intake questions, the flows)."""
    with pytest.raises(PlaybookError) as raised:
        load_content(folder)
    return [str(problem) for problem in raised.value.problems]


def test_the_app_refuses_to_start_on_a_broken_playbook(tmp_path: Path, database_url: str) -> None:
    from slack_standin import StandIn
    from tests.harness import free_port, start_app_process

    standin = StandIn().start()
    try:
        with pytest.raises(AssertionError, match="exited with 2"):
            start_app_process(standin, database_url, free_port(), CUSTOM_DIR=str(broken_folder(tmp_path)))
    finally:
        standin.stop()


@pytest.fixture
def ours(database_url: str, tmp_path: Path) -> Iterator[Parts]:
    """A team that calls business cases "Commercial", and wants managers told of public review threats."""
    text = BUILT_IN.replace("    label: Business\n", "    label: Commercial\n").replace(
        "      suggests_category: relationship\n",
        "      suggests_category: relationship\n      managers_told: true\n",
    )
    with running_parts(database_url, folder=tmp_path / "ours", files={"flows/playbook.yml": text}) as parts:
        yield parts


def test_a_teams_playbook_changes_the_words_and_the_effects(ours: Parts) -> None:
    view = ours.workspace.views[ours.open_intake(CSM)]
    assert '"text": "Commercial"' in json.dumps(view["blocks"])
    case = ours.escalate(CSM, category="business", triggers=["public_review_threat"], stakeholders=[])
    card = json.dumps(ours.channel_of(case).messages[0].blocks)
    assert "Commercial escalation" in card
    told = wait_for(lambda: ours.workspace.dm_messages(MANAGER), what="the managers to be told")
    assert "ESC-1 needs the escalation managers now" in told[0].text


@pytest.fixture
def office_hours(database_url: str, tmp_path: Path) -> Iterator[Parts]:
    """Medium cases wait for the one working day of this team's week: two days from now."""
    from datetime import UTC, datetime

    from assistant.domain.calendars import WEEKDAYS

    day = WEEKDAYS[(datetime.now(UTC).weekday() + 2) % 7]
    text = BUILT_IN.replace(
        "calendars:\n", f"calendars:\n  - id: office\n    hours: {day} 09:00-17:00\n    timezone: UTC\n", 1
    )
    medium = "    description: Real impact with a workaround, or a relationship at risk\n"
    text = text.replace(f"{medium}    calendar: around_the_clock\n", f"{medium}    calendar: office\n")
    with running_parts(database_url, folder=tmp_path / "ours", files={"flows/playbook.yml": text}) as parts:
        yield parts


def test_a_severity_on_office_hours_counts_only_them(office_hours: Parts) -> None:
    from datetime import UTC, datetime, time, timedelta

    medium = office_hours.escalate(CSM, severity="medium", triggers=[], stakeholders=[])
    opened = medium.created_at.astimezone(UTC)
    working_day = opened.date() + timedelta(days=2)
    assert medium.ack_due_at == datetime.combine(working_day, time(11, 0), UTC)  # 09:00 + 2 h
    high = office_hours.escalate(CSM, severity="high", triggers=[], stakeholders=[])
    assert high.ack_due_at is not None and high.ack_due_at - high.created_at == timedelta(hours=2)


INTAKE = """\
labels:
  summary: What the customer would say, in one line
custom_fields:
  - id: contract_id
    label: Contract ID
    required: true
    max_length: 20
    hint: As written on the order form
  - id: region
    label: Region
    type: choice
    options: [{id: latam, label: Latin America}, {id: emea, label: EMEA}]
"""


@pytest.fixture
def own_questions(database_url: str, tmp_path: Path) -> Iterator[Parts]:
    with running_parts(database_url, folder=tmp_path / "ours", files={"flows/intake.yml": INTAKE}) as parts:
        yield parts


def test_a_teams_own_intake_questions_are_asked_stored_shown_and_exported(own_questions: Parts) -> None:
    from assistant.services.export import export_rows, to_csv

    parts = own_questions
    view_id = parts.open_intake(CSM)
    blocks = {b.get("block_id"): b for b in parts.workspace.views[view_id]["blocks"]}
    assert blocks["summary"]["label"]["text"] == "What the customer would say, in one line"
    assert blocks["custom_contract_id"]["label"]["text"] == "Contract ID"
    assert blocks["custom_contract_id"]["hint"]["text"] == "As written on the order form"
    assert blocks["custom_region"]["optional"] is True

    errors = parts.submit_intake(view_id, CSM, custom_contract_id="")
    assert errors == {"custom_contract_id": "Answer “Contract ID”: it is required."}
    errors = parts.submit_intake(view_id, CSM, custom_contract_id="X" * 21)
    assert errors == {"custom_contract_id": "Keep it under 20 characters."}
    assert parts.cases() == []

    assert parts.submit_intake(view_id, CSM, custom_contract_id="ACME-2026-<7>", custom_region="latam") == {}
    case = parts.case_by_view(view_id)
    assert case is not None and case.custom_fields == {"contract_id": "ACME-2026-<7>", "region": "latam"}
    case = parts.wait_provisioned(case.id)
    details = parts.details(case)  # the card's "More details"
    assert "*Contract ID*: ACME-2026-&lt;7&gt;\\n*Region*: Latin America" in details  # escaped once

    parts.command(CSM, "status ESC-1")
    statuses = [e for e in parts.workspace.ephemerals_for(CSM) if "Next promise" in json.dumps(e.blocks)]
    assert "*Contract ID*: ACME-2026-&lt;7&gt;" in json.dumps(statuses[-1].blocks, ensure_ascii=False)

    exported = to_csv(export_rows(parts.engine))
    header, row = exported.splitlines()[:2]
    assert header.endswith(",custom:contract_id,custom:region") and row.endswith(",ACME-2026-<7>,latam")


def test_intake_questions_with_mistakes_are_refused_at_their_line(tmp_path: Path) -> None:
    (tmp_path / "ours/flows").mkdir(parents=True)
    text = INTAKE.replace("type: choice", "type: dropdown").replace("  summary:", "  title:")
    (tmp_path / "ours/flows/intake.yml").write_text(text)
    problems = problems_in(tmp_path / "ours")
    path = tmp_path / "ours/flows/intake.yml"
    assert f"{path}:2: labels.title.[key]: unknown value 'title'" in "\n".join(problems)
    assert f"{path}:11: custom_fields.1.type: unknown value 'dropdown'" in "\n".join(problems)


LEGAL_COUNSEL = "U0LEGAL01"
FINANCE_LEAD = "U0FINANCE"

BILLING = """\
  - id: billing
    label: Billing dispute
    when: The customer disputes an invoice or a charge
    resolution_owner: Finance
    expected_response: Corrected invoice or a written explanation within 2 days
    rca_required: true
    default_severity: medium
    invite_groups: ["@finance"]
"""
REGULATOR = """\
  - id: regulator_involved
    label: A regulator is involved
    effects:
      suggests_category: billing
      minimum_severity: high
      ack_within_minutes: 30
      managers_told: true
      invite_groups: [legal]
      note: "A regulator is involved: Legal joins, managers told, acknowledge within 30 minutes."
"""
OWN_INTAKE = """\
labels:
  account: Customer (as on the contract)
custom_fields:
  - id: invoice
    label: Invoice number
    required: true
    max_length: 20
"""


@pytest.fixture
def own_practice(database_url: str, tmp_path: Path) -> Iterator[Parts]:
    """A team with a category and a trigger of its own, a relabelled question and one of its own."""
    last_category = "communication to every affected account\n"
    text = BUILT_IN.replace(last_category, last_category + BILLING, 1).replace(
        "\n# Most severe first", f"{REGULATOR}\n# Most severe first", 1
    )
    files = {"flows/playbook.yml": text, "flows/intake.yml": OWN_INTAKE}
    with running_parts(database_url, folder=tmp_path / "ours", files=files) as parts:
        yield parts


def test_a_teams_own_category_and_trigger_work_everywhere_the_built_in_ones_do(
    own_practice: Parts,
) -> None:
    from assistant.services.export import export_rows, to_csv

    parts = own_practice
    parts.workspace.add_user(User(LEGAL_COUNSEL, "lena", "Lena Legal", "Counsel"))
    parts.workspace.add_user(User(FINANCE_LEAD, "fred", "Fred Finance", "Finance lead"))
    parts.workspace.add_usergroup("legal", [LEGAL_COUNSEL])
    parts.workspace.add_usergroup("finance", [FINANCE_LEAD, CSM])

    view_id = parts.open_intake(CSM)
    blocks = {b.get("block_id"): b for b in parts.workspace.views[view_id]["blocks"]}
    assert blocks["account"]["label"]["text"] == "Customer (as on the contract)"
    assert blocks["custom_invoice"]["label"]["text"] == "Invoice number"
    categories = {o["value"]: o["text"]["text"] for o in blocks["category"]["element"]["options"]}
    assert categories["billing"] == "Billing dispute"
    triggers = {o["value"]: o["text"]["text"] for o in blocks["triggers"]["element"]["options"]}
    assert triggers["regulator_involved"] == "A regulator is involved"

    errors = parts.submit_intake(
        view_id,
        CSM,
        category="billing",
        severity="medium",
        triggers=["regulator_involved"],
        stakeholders=[],
        custom_invoice="INV-2026-0042",
    )
    assert errors == {}
    stored = parts.case_by_view(view_id)
    assert stored is not None
    case = parts.wait_provisioned(stored.id)
    # The trigger's effects: severity raised, a 30-minute window, managers told, @legal invited.
    assert case.category == "billing" and case.severity == "high"
    assert case.ack_due_at is not None and case.ack_due_at - case.created_at == timedelta(minutes=30)
    told = wait_for(lambda: parts.workspace.dm_messages(MANAGER), what="the managers to be told")
    assert "ESC-1 needs the escalation managers now" in told[0].text
    members = parts.channel_of(case).members
    assert {LEGAL_COUNSEL, FINANCE_LEAD, CSM, OWNER} <= set(members)
    invited = [e for e in parts.events(case.id) if e.kind == "members_invited"]
    assert invited[0].data["groups"] == {"finance": [FINANCE_LEAD, CSM], "legal": [LEGAL_COUNSEL]}

    card = json.dumps(parts.channel_of(case).messages[0].blocks, ensure_ascii=False)
    assert "Billing dispute escalation" in card and "Escalated at once: A regulator is involved" in card
    details = parts.details(case)
    assert "*Billing dispute escalation.* Expected response: Corrected invoice" in details
    assert "Invited by the playbook: @finance, @legal" in details
    assert "*Invoice number*: INV-2026-0042" in details

    home = json.dumps(parts.open_home(MANAGER), ensure_ascii=False)
    assert "Billing dispute 1" in home
    assert '"value": "billing"' in home  # the Home tab's category filter offers it

    header, row = to_csv(export_rows(parts.engine)).splitlines()[:2]
    columns = dict(zip(header.split(","), row.split(","), strict=False))
    assert columns["category"] == "billing" and columns["custom:invoice"] == "INV-2026-0042"

    # The category's rule: like technical cases, a billing dispute closes only with an RCA.
    from assistant.content.i18n import _
    from assistant.domain.lifecycle import close_refusal

    playbook = parts.components.content.practice.playbook(case.category)
    refusal = close_refusal("ESC-1", playbook, has_rca=False)
    assert refusal is not None and _(refusal) == (
        "ESC-1 is a billing dispute case: record its root-cause analysis before closing it."
    )


def test_a_playbook_naming_a_category_it_does_not_have_is_refused_at_that_line(tmp_path: Path) -> None:
    text = BUILT_IN.replace("\n# Most severe first", f"{REGULATOR}\n# Most severe first", 1)
    (tmp_path / "ours/flows").mkdir(parents=True)
    (tmp_path / "ours/flows/playbook.yml").write_text(text)
    path = tmp_path / "ours/flows/playbook.yml"
    line = line_of(text, "suggests_category: billing")
    assert (
        f"{path}:{line}: triggers.5.effects.suggests_category: unknown value 'billing': not one of the "
        "categories (technical, business, relationship, process)"
    ) in problems_in(tmp_path / "ours")


OUR_ACKNOWLEDGE = """\
title: Take %(key)s
submit: Take it
who: [owner, reporter, manager, admin]   # the CSM who opened it may acknowledge too
states: [new]
fields:
  customer_message:
    label: First words to the customer
    max_length: 1500
    required: Say hello to the customer first.
"""


@pytest.fixture
def own_flow(database_url: str, tmp_path: Path) -> Iterator[Harness]:
    yield from team_harness(database_url, tmp_path / "ours", {"flows/acknowledge.yml": OUR_ACKNOWLEDGE})


def test_a_teams_flow_file_changes_its_words_and_who_may_run_it(own_flow: Harness) -> None:
    """End to end: a team's content folder in the real app, its card button clicked over HTTP."""
    from tests.harness import in_hours

    harness = own_flow
    case = harness.escalate(CSM)
    view_id = harness.open_flow(CSM, case, FlowButton.ACKNOWLEDGE)  # the reporter, allowed here
    view = harness.workspace.views[view_id]
    assert (view["title"]["text"], view["submit"]["text"]) == ("Take ESC-1", "Take it")
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert inputs["customer_message"]["label"]["text"] == "First words to the customer"
    assert inputs["customer_message"]["element"]["max_length"] == 1500
    assert inputs["next_update"]["label"]["text"] == "Next customer update by"  # ours, not mentioned
    errors = harness.submit(CSM, view_id, next_update=in_hours(2), customer_message="").json()["errors"]
    assert errors == {"customer_message": "Say hello to the customer first."}
    harness.submit(CSM, view_id, next_update=in_hours(2), customer_message="Hello, Acme.")
    wait_for(lambda: harness.case(case.id).status == "acknowledged", what="the acknowledgement")


def test_a_flow_file_with_mistakes_is_refused_at_its_lines(tmp_path: Path) -> None:
    text = (
        OUR_ACKNOWLEDGE.replace("title: Take %(key)s", "title: Take ownership of case %(key)s")
        .replace("    required: Say hello to the customer first.\n", "    required:\n")
        .replace("who: [owner,", "who: [boss,")
        + "  promise:\n    label: When\n"
    )
    (tmp_path / "ours/flows").mkdir(parents=True)
    (tmp_path / "ours/flows/acknowledge.yml").write_text(text)
    errors = problems_in(tmp_path / "ours")
    path = tmp_path / "ours/flows/acknowledge.yml"
    assert f"{path}:1: title: at most 24 characters with the case's key in it (32)" in errors, errors
    assert any(e.startswith(f"{path}:3: who.0: unknown value 'boss'") for e in errors), errors
    assert (
        f"{path}:7: fields.customer_message: must stay required (say what to write when it is empty)"
        in errors
    )
    assert any(
        e.startswith(f"{path}:11: fields.promise: a question of your own needs a type") for e in errors
    )
    assert len(errors) == 4, errors


@pytest.fixture
def fast_cadence(database_url: str, tmp_path: Path) -> Iterator[Parts]:
    """Critical cases promise the customer an update at least every 4 hours."""
    critical = "    calendar: around_the_clock  # a critical case's clock never stops\n"
    text = BUILT_IN.replace(critical, critical + "    update_within_hours: 4\n", 1)
    assert text != BUILT_IN
    with running_parts(database_url, folder=tmp_path / "ours", files={"flows/playbook.yml": text}) as parts:
        yield parts


def test_a_severitys_update_cadence_bounds_the_next_promise(fast_cadence: Parts) -> None:
    from tests.harness import in_hours

    parts = fast_cadence
    critical = parts.escalate(CSM, severity="critical", triggers=[], stakeholders=[])
    view_id = parts.open_flow(OWNER, critical, FlowButton.ACKNOWLEDGE)
    errors = parts.submit(OWNER, view_id, next_update=in_hours(6), customer_message="On it.")["errors"]
    assert errors == {
        "next_update": "Promise an update within 4 hours; you can always promise the next one then."
    }
    assert parts.submit(OWNER, view_id, next_update=in_hours(3), customer_message="On it.") == {}
    assert parts.case(critical.id).status == "acknowledged"
    # A high case keeps the settings' 24 hours.
    high = parts.escalate(CSM, severity="high", triggers=[], stakeholders=[])
    view_id = parts.open_flow(OWNER, high, FlowButton.ACKNOWLEDGE)
    assert parts.submit(OWNER, view_id, next_update=in_hours(6), customer_message="On it.") == {}
    assert parts.case(high.id).status == "acknowledged"


def test_a_flow_file_may_not_change_what_the_engine_reads(tmp_path: Path) -> None:
    text = OUR_ACKNOWLEDGE + "  next_update:\n    type: text\n    label: When\n"
    (tmp_path / "ours/flows").mkdir(parents=True)
    (tmp_path / "ours/flows/acknowledge.yml").write_text(text)
    path = tmp_path / "ours/flows/acknowledge.yml"
    assert f"{path}:11: fields.next_update.type: 'text' is the engine's to say (it reads 'time')" in (
        problems_in(tmp_path / "ours")
    )


def test_a_category_with_a_usual_severity_may_leave_it_empty(own_practice: Parts) -> None:
    parts = own_practice
    view_id = parts.open_intake(CSM)
    blocks = {b.get("block_id"): b for b in parts.workspace.views[view_id]["blocks"]}
    assert blocks["severity"]["optional"] is True
    assert (
        blocks["severity"]["hint"]["text"]
        == "Left empty: the category's usual severity (Billing dispute: Medium)."
    )
    errors = parts.submit_intake(view_id, CSM, category="technical", severity=None, custom_invoice="I-1")
    assert errors == {"severity": "Choose a severity."}  # technical has no usual one
    errors = parts.submit_intake(
        view_id, CSM, category="billing", severity=None, triggers=[], custom_invoice="I-1"
    )
    assert errors == {}
    case = parts.case_by_view(view_id)
    assert case is not None and case.severity == "medium"

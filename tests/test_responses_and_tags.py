"""Response templates and internal tags (issue 23, A8): the acknowledgement and update forms offer
the library's starting drafts for the case's problem type in the customer's language; tags set when
classifying show on the card and filter the Home tab, `/escalate list`, the export and the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.api import tokens
from assistant.content.playbook import PlaybookError
from assistant.content.registry import load_content
from assistant.content.responses import ACKNOWLEDGEMENT, UPDATE, check_libraries, library
from assistant.ids import HomeAction
from assistant.models import Escalation
from assistant.services.export import export_rows
from tests.harness import CSM, MANAGER, OWNER, FlowButton, Harness, in_hours, wait_for
from tests.test_api import ESCALATION, call


def element(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)["element"]


def redrawn_with(harness: Harness, user: str, view_id: str, template: str) -> dict[str, Any]:
    before = harness.workspace.views[view_id]["hash"]
    assert harness.sender.select_in_view(user, view_id, "start_from", template).status == 200
    return wait_for(
        lambda: harness.workspace.views[view_id]["hash"] != before and harness.workspace.views[view_id],
        what="the form redrawn with the template",
    )


def test_the_forms_offer_the_problem_types_drafts_and_one_becomes_the_message(harness: Harness) -> None:
    case = harness.escalate(CSM, stakeholders=[])  # technical
    view_id = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
    view = harness.workspace.views[view_id]
    picker = next(b for b in view["blocks"] if b.get("block_id") == "start_from")["elements"][0]
    assert [o["text"]["text"] for o in picker["options"]] == [
        "Outage or login failure", "Wrong or missing data", "General acknowledgement",
    ]  # fmt: skip
    promise = in_hours(3)
    view = redrawn_with(harness, OWNER, view_id, "data_problem")
    draft = element(view, "customer_message")
    assert draft["initial_value"].startswith("Hello Acme team,")
    assert "We have stopped anything that could change your data" in draft["initial_value"]
    assert draft["action_id"] != "customer_message"  # a new action id: Slack shows the new text
    harness.submit(OWNER, view_id, next_update=promise)
    wait_for(lambda: harness.case(case.id).status == "acknowledged", what="the acknowledgement")
    said = harness.case(case.id).customer_acknowledgement or ""
    assert "We have stopped anything that could change your data" in said

    # The update form offers the update drafts; a business case gets the drafts for any case.
    view_id = harness.open_flow(OWNER, case, FlowButton.POST_UPDATE)
    view = redrawn_with(harness, OWNER, view_id, "fix_in_progress")
    assert element(view, "customer_update")["initial_value"].startswith("We have found the cause")


def test_drafts_come_in_the_customers_language(harness: Harness) -> None:
    case = harness.escalate(
        CSM, contacts="Ana Souza <ana@acme.com.br>, CTO", contact_language="pt_BR",
        contact_zone="America/Sao_Paulo", stakeholders=[],
    )  # fmt: skip
    view_id = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
    picker = next(b for b in harness.workspace.views[view_id]["blocks"] if b.get("block_id") == "start_from")
    assert picker["elements"][0]["options"][0]["text"]["text"] == "Indisponibilidade ou falha de login"
    view = redrawn_with(harness, OWNER, view_id, "outage")
    draft = element(view, "customer_message")["initial_value"]
    assert draft.startswith("Olá, equipe Acme,") and "Vou enviar uma atualização até as" in draft
    harness.submit(OWNER, view_id, send_by="myself")
    wait_for(lambda: harness.case(case.id).status == "acknowledged", what="the acknowledgement")


def classified_with_tags(harness: Harness, case: Escalation, tags: list[str]) -> None:
    view_id = harness.open_flow(OWNER, case, FlowButton.CLASSIFY)
    harness.submit(
        OWNER, view_id, category=case.category.value, kind="hierarchical", severity=case.severity.value,
        tags=tags,
    )  # fmt: skip
    wait_for(lambda: harness.case(case.id).tags == tags, what="the tags")


def test_tags_show_on_the_card_and_filter_home_list_export_and_api(harness: Harness) -> None:
    vip = harness.escalate(CSM, stakeholders=[])
    other = harness.escalate(CSM, account="Globex", stakeholders=[])
    classified_with_tags(harness, vip, ["vip", "renewal_at_risk"])
    wait_for(
        lambda: (
            "Tags: VIP account, Renewal at risk" in json.dumps(harness.channel_of(vip).messages[0].blocks)
        ),
        what="the tags on the card",
    )
    classified = next(e for e in harness.events(vip.id) if e.kind == "classified")
    assert classified.data["before"]["tags"] == [] and classified.data["after"]["tags"] == [
        "vip",
        "renewal_at_risk",
    ]

    # Home: the portfolio filtered by tag.
    harness.open_home(MANAGER)
    harness.sender.home_action(MANAGER, HomeAction.FILTER_TAG, selected_option="vip")
    wait_for(lambda: "*Open cases*\\n1" in harness.home_text(MANAGER), what="the portfolio filtered by tag")
    text = harness.home_text(MANAGER)
    assert f"*{vip.key}*" in text and f"*{other.key}*" not in text

    # /escalate list all tag:vip (a manager), and an unknown tag.
    harness.command(MANAGER, "list all tag:vip", harness.general.id)
    harness.answer(MANAGER)
    listed = json.dumps(harness.workspace.ephemerals_for(MANAGER)[-1].blocks)
    assert "tagged VIP account" in listed and vip.key in listed and other.key not in listed
    harness.command(MANAGER, "list tag:nope", harness.general.id)
    assert harness.answer(MANAGER).startswith("There is no tag nope.")

    # The export: a column, and a filter.
    rows = list(export_rows(harness.components.engine, tag="vip"))
    assert [r["key"] for r in rows] == [vip.key] and rows[0]["tags"] == "vip; renewal_at_risk"

    # The API: tags on a case, set when it is opened, and a filter.
    token = tokens.create(harness.components.engine, "crm", ["escalations:write", "escalations:read"])
    status, body, _ = call(harness, "POST", "/api/v1/escalations", token, {**ESCALATION, "tags": ["nope"]})
    assert status == 422 and "tags" in json.dumps(body)
    status, opened, _ = call(
        harness, "POST", "/api/v1/escalations", token, {**ESCALATION, "account": "Initech", "tags": ["press"]}
    )
    assert status == 201 and opened["tags"] == ["press"]
    status, page, _ = call(harness, "GET", "/api/v1/escalations?tag=vip", token)
    assert status == 200 and [c["key"] for c in page["items"]] == [vip.key]
    status, _, _ = call(harness, "GET", "/api/v1/escalations?tag=nope", token)
    assert status == 422


def test_the_response_library_is_whole_in_each_language_and_a_bad_file_is_refused(tmp_path: Path) -> None:
    english = library(None, "en")
    for locale in ("pt_BR", "es"):
        other = library(None, locale)
        for form in (ACKNOWLEDGEMENT, UPDATE):
            ours, theirs = getattr(english, form), getattr(other, form)
            assert {t: [r.id for r in rs] for t, rs in ours.items()} == {
                t: [r.id for r in rs] for t, rs in theirs.items()
            }, (locale, form)
    assert check_libraries(None) == []
    responses = tmp_path / "messages" / "responses"
    responses.mkdir(parents=True)
    (responses / "en.yml").write_text("update:\n  any:\n    - {id: x, label: X, text: No time promised.}\n")
    with pytest.raises(PlaybookError, match=r"put \{time\} where the time goes"):
        load_content(tmp_path)

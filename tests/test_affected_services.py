"""Stage 1 records the affected services (issue 23): a field of the case, chosen from the
playbook's register at intake, through the API and in the classify form, on the card, in the
export and the API."""

from __future__ import annotations

import json

from assistant.api import tokens
from assistant.services.export import export_rows
from tests.harness import CSM, OWNER, FlowButton, Harness, wait_for
from tests.test_api import ESCALATION, call


def test_the_intake_records_the_affected_services_and_the_card_shows_them(harness: Harness) -> None:
    view_id = harness.open_intake(CSM)
    block = next(
        b for b in harness.workspace.views[view_id]["blocks"] if b.get("block_id") == "affected_services"
    )
    assert block["optional"] is True and block["element"]["type"] == "multi_static_select"
    offered = {o["value"]: o["text"]["text"] for o in block["element"]["options"]}
    assert offered["sso"] == "Single sign-on" and len(offered) == 8  # the playbook's register
    response = harness.submit_intake(view_id, affected_services=["sso", "public_api"])
    assert response.status == 200 and not response.body
    case = harness.wait_provisioned(wait_for(lambda: harness.case_by_view(view_id), what="the case").id)
    assert case.affected_services == ["sso", "public_api"]
    card = json.dumps(harness.channel_of(case).messages[0].blocks, ensure_ascii=False)
    assert "Affected services: Single sign-on, Public API" in card
    (row,) = export_rows(harness.engine)
    assert row["affected_services"] == "sso; public_api"

    # The owner changes them when classifying: on the timeline, before and after.
    view_id = harness.open_flow(OWNER, case, FlowButton.CLASSIFY)
    field = next(
        b for b in harness.workspace.views[view_id]["blocks"] if b.get("block_id") == "affected_services"
    )
    assert [o["value"] for o in field["element"]["initial_options"]] == ["sso", "public_api"]
    harness.submit(
        OWNER, view_id, kind="functional", resolving_team="Identity", affected_services=["sso", "mobile_app"]
    )
    wait_for(lambda: harness.case(case.id).affected_services == ["sso", "mobile_app"], what="the services")
    classified = next(e for e in harness.events(case.id) if e.kind == "classified")
    assert classified.data["before"]["services"] == ["sso", "public_api"]
    assert classified.data["after"]["services"] == ["sso", "mobile_app"]


def test_the_api_takes_and_gives_the_affected_services_by_their_ids(harness: Harness) -> None:
    token = tokens.create(harness.components.engine, "crm", ["escalations:write", "escalations:read"])
    body = {**ESCALATION, "account": "Acme", "owner": OWNER, "affected_services": ["billing"]}
    status, case, _ = call(harness, "POST", "/api/v1/escalations", token, body)
    assert status == 201 and case["affected_services"] == ["billing"]
    status, read, _ = call(harness, "GET", f"/api/v1/escalations/{case['key']}", token)
    assert read["affected_services"] == ["billing"]
    status, refused, _ = call(
        harness, "POST", "/api/v1/escalations", token, {**body, "affected_services": ["teleporter"]}
    )
    assert status == 422
    assert refused["errors"]["affected_services"].startswith("teleporter is not one of our services")

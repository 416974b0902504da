"""The HTTP API over real HTTP with real tokens: a help desk opens an escalation with one POST and
it appears in Slack like one opened from the modal."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from assistant.api import tokens
from tests.harness import (
    CSM,
    EXEC,
    OWNER,
    ROOT,
    VP,
    Harness,
    env_without_slack,
    load_directory,
    run_cli,
    wait_for,
)


def call(
    harness: Harness, method: str, path: str, token: str | None, body: Any = None, **headers: str
) -> tuple[int, dict[str, Any], dict[str, str]]:
    request = urllib.request.Request(
        harness.server.url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
            **{k.replace("_", "-"): v for k, v in headers.items()},
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}"), dict(response.headers)
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"{}"), dict(refused.headers)


ESCALATION = {
    "account": "crm:0015A",
    "summary": "SSO outage",
    "description": "Nobody at Acme can log in since 09:00.",
    "category": "technical",
    "severity": "high",
    "owner": "sarah.miller@vendor.example",
    "stakeholders": [EXEC],
    "reporter": CSM,
    "links": {"ticket": "https://support.example.com/tickets/4521"},
}


def test_a_help_desk_opens_an_escalation_with_one_post_and_it_appears_in_slack(harness: Harness) -> None:
    load_directory(
        harness,
        "name,crm_id,tier,contract_value,csm\nAcme Inc,0015A,enterprise,$120k,U0CSM0001\n"
        "Globex,0015B,growth,$80k,U0VPSALES\nInitech,0015C,smb,$20k,U0EXEC001\n",
    )
    created = run_cli(
        ["api-token", "create", "--name", "zendesk", "--scopes", "escalations:write,escalations:read"],
        env_without_slack(harness),
        ROOT,
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("esc_") and "shown this once" in created.stderr

    opening = {**ESCALATION, "affected_accounts": ["crm:0015B"]}
    status, case, _ = call(harness, "POST", "/api/v1/escalations", token, opening, Idempotency_Key="zd-4521")
    assert status == 201, case
    assert case["affected_accounts"] == ["Globex"]
    assert (case["key"], case["account"], case["owner"], case["account_value"]) == (
        "ESC-1",
        "Acme Inc",
        OWNER,
        120000,
    )
    stored = harness.wait_provisioned(case["id"])
    card = json.dumps(harness.channel_of(stored).messages[0].blocks, ensure_ascii=False)
    assert "*$200,000* at risk" in card
    details = harness.details(OWNER, stored)  # the card's "More details"
    assert "*Account* · enterprise · $120,000" in details and f"CSM <@{CSM}>" in details
    assert "*Also affected* · Globex (growth · $80,000)" in details
    wait_for(lambda: harness.workspace.dm_messages(VP), what="Globex's CSM told")
    assert harness.workspace.dm_messages(OWNER)  # the owner asked to acknowledge, as from the modal

    # The same key again, with the same request: the same case, once. (The key with another
    # body is refused: test_api_conventions.)
    status, again, _ = call(harness, "POST", "/api/v1/escalations", token, opening, Idempotency_Key="zd-4521")
    assert (status, again["key"]) == (200, "ESC-1")  # the case the key opened: 200, not 201
    assert len(harness.cases()) == 1
    # A note sent twice with one key is one note.
    for _ in range(2):
        call(
            harness,
            "POST",
            "/api/v1/escalations/ESC-1/notes",
            token,
            {"text": "Called back"},
            Idempotency_Key="n-1",
        )

    status, read, _ = call(harness, "GET", "/api/v1/escalations/ESC-1", token)
    assert status == 200 and read["status"] == "new" and read["channel_id"] == stored.channel_id
    assert read["affected_accounts"] == ["Globex"]

    # The help desk links another customer's ticket to the problem: that account is hit too.
    status, grown, _ = call(
        harness,
        "POST",
        "/api/v1/escalations/ESC-1/affected_accounts",
        token,
        {"accounts": ["crm:0015C", "Globex"]},
    )
    assert status == 200 and grown["added"] == ["Initech"]  # Globex was listed already
    assert grown["escalation"]["affected_accounts"] == ["Globex", "Initech"]
    wait_for(
        lambda: (
            "*$220,000* at risk in all 3 accounts"
            in json.dumps(harness.channel_of(stored).messages[0].blocks, ensure_ascii=False)
        ),
        what="the card with Initech",
    )
    wait_for(
        lambda: any(
            "*zendesk* (through the API) listed other affected accounts: Initech" in json.dumps(m.blocks)
            for m in harness.channel_of(stored).messages
        ),
        what="the channel told",
    )
    wait_for(
        lambda: any("also affects" in m.text for m in harness.workspace.dm_messages(EXEC)),
        what="Initech's CSM",
    )
    status, refused, _ = call(
        harness, "POST", "/api/v1/escalations/ESC-1/affected_accounts", token, {"accounts": ["crm:9"]}
    )
    assert (status, refused["errors"]) == (422, {"accounts.0": "no account crm:9 in the directory"})

    status, note, _ = call(
        harness, "POST", "/api/v1/escalations/ESC-1/notes", token, {"text": "Customer replied <3"}
    )
    assert status == 201 and note["source"] == "zendesk"
    said = wait_for(
        lambda: [
            m for m in harness.channel_of(stored).messages if "Customer replied &lt;3" in json.dumps(m.blocks)
        ],
        what="the note in the channel",
    )
    assert "From *zendesk* (through the API)" in json.dumps(said[0].blocks)
    notes = [e for e in harness.events(stored.id) if e.kind == "note_added"]
    assert len(notes) == 2  # "Called back" once (its replay answered from the record), and this one


def test_bad_requests_get_one_message_per_field_and_no_case(harness: Harness) -> None:
    token = tokens.create(harness.components.engine, "crm", ["escalations:write"])
    bad = {
        **ESCALATION,
        "account": "Acme",
        "category": "weather",
        "owner": "nobody@nowhere.example",
        "summary": "",
    }
    bad["links"] = {"ticket": "not a link"}
    bad["affected_accounts"] = ["crm:0015Z"]
    status, body, _ = call(harness, "POST", "/api/v1/escalations", token, bad)
    assert status == 422
    assert body["errors"] == {
        "owner": "no one in Slack has the e-mail nobody@nowhere.example",
        "category": "one of technical, business, relationship, process",
        "summary": "Write a one-line summary of the problem.",
        "links.ticket": "Enter a web address starting with https://",
        "affected_accounts.0": "no account crm:0015Z in the directory",
    }
    status, body, _ = call(harness, "POST", "/api/v1/escalations", token, {"account": "Acme"})
    assert status == 422 and "summary" in body["errors"] and "owner" in body["errors"]
    assert harness.cases() == []


def test_tokens_scopes_and_rate_limits(database_url: str) -> None:
    from tests.harness import start_harness

    harness = start_harness(database_url, api_rate_per_minute=3)
    try:
        engine = harness.components.engine
        reader = tokens.create(engine, "bi", ["escalations:read"])
        assert call(harness, "GET", "/api/v1/escalations", None)[0] == 401
        assert call(harness, "GET", "/api/v1/escalations", "esc_forged")[0] == 401
        assert call(harness, "POST", "/api/v1/escalations", reader, ESCALATION)[0] == 403
        statuses = [call(harness, "GET", "/api/v1/escalations", reader) for _ in range(4)]
        assert [s[0] for s in statuses] == [200, 200, 200, 429]  # 3 a minute for this token
        assert int(statuses[-1][2]["Retry-After"]) >= 1
        tokens.revoke(engine, "bi")
        assert call(harness, "GET", "/api/v1/escalations/ESC-1", reader)[0] == 401
        status, spec, _ = call(harness, "GET", "/api/v1/openapi.json", None)
        assert status == 200 and "/api/v1/escalations" in spec["paths"]
    finally:
        harness.stop()


def test_accounts_and_their_signals_are_kept_current_by_other_systems(harness: Harness) -> None:
    token = tokens.create(harness.components.engine, "gainsight", ["accounts:write"])
    account = {"name": "Acme Inc", "contract_value": "$120k", "tier": "enterprise", "csm": CSM, "health": 45}
    status, body, _ = call(harness, "PUT", "/api/v1/accounts/crm:0015A", token, account)
    assert (status, body["created"]) == (201, True)
    status, body, _ = call(harness, "PUT", "/api/v1/accounts/crm:0015A", token, {**account, "health": 22})
    assert (status, body["created"], body["raised"]) == (200, False, 1)  # a fall below 30: the CSM is asked
    status, body, _ = call(harness, "PUT", "/api/v1/accounts/crm:0015A", token, {**account, "health": 150})
    assert (status, body["errors"]) == (422, {"health": "a score from 0 to 100"})
    status, body, _ = call(
        harness,
        "POST",
        "/api/v1/accounts/crm:0015A/signals",
        token,
        {"kind": "stakeholder_left", "detail": "decision_maker"},
    )
    assert (status, body["raised"]) == (201, 1)
    assert call(harness, "POST", "/api/v1/accounts/crm:nope/signals", token, {"kind": "qbr_missed"})[0] == 404
    assert harness.components.judgement.sweep() == 2


def test_escalations_are_listed_a_page_at_a_time_with_filters(harness: Harness) -> None:
    token = tokens.create(harness.components.engine, "bi", ["escalations:write", "escalations:read"])
    for account in ("Acme", "Globex", "Acme"):
        body = {**ESCALATION, "account": account, "owner": OWNER}
        assert call(harness, "POST", "/api/v1/escalations", token, body)[0] == 201
    status, first, _ = call(harness, "GET", "/api/v1/escalations?limit=2", token)
    assert status == 200 and [c["key"] for c in first["items"]] == ["ESC-3", "ESC-2"]
    status, second, _ = call(
        harness, "GET", f"/api/v1/escalations?limit=2&cursor={first['next_cursor']}", token
    )
    assert [c["key"] for c in second["items"]] == ["ESC-1"] and second["next_cursor"] is None
    status, acme, _ = call(harness, "GET", "/api/v1/escalations?account=ACME%20Inc.&status=new", token)
    assert [c["key"] for c in acme["items"]] == ["ESC-3", "ESC-1"]
    assert call(harness, "GET", "/api/v1/escalations?cursor=nonsense", token)[1]["errors"] == {
        "cursor": "not a cursor this API gave"
    }
    assert call(harness, "GET", "/api/v1/escalations/ESC-99", token)[0] == 404


def test_an_account_put_with_a_contact_name_holding_another_address_is_refused(harness: Harness) -> None:
    token = tokens.create(harness.components.engine, "gainsight", ["accounts:write"])
    account = {"name": "Acme Inc", "contacts": ["mallory@evil.example, Ana <ana@acme.com.br>"]}
    status, body, _ = call(harness, "PUT", "/api/v1/accounts/crm:0015A", token, account)
    assert (status, body["errors"]) == (
        422,
        {
            "contacts": '“mallory@evil.example, Ana” cannot be a name: a name holds no , ; < > " or @. '
            "Write one contact per line, like Ana Souza <ana@acme.com.br>, CTO."
        },
    )
    account["contacts"] = ["Ana\u202e Souza <ana@acme.com.br>"]
    status, body, _ = call(harness, "PUT", "/api/v1/accounts/crm:0015A", token, account)
    assert (status, body["errors"]) == (
        422,
        {"contacts": "the name holds an invisible control character: type it again."},
    )
    account["contacts"] = ["Ana Souza <ana@acme.com.br>, CTO"]
    assert call(harness, "PUT", "/api/v1/accounts/crm:0015A", token, account)[0] == 201

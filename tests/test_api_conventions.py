"""The API held to its conventions: what a caller sees for odd input, keyed retries, errors,
private cases and limits (issue 21, section 5). Real HTTP against the real app, real tokens."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from email.message import Message
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from assistant.api import tokens
from assistant.customer.survey import token_for
from assistant.domain.text import clean_text
from assistant.logs import configure_logging
from tests.harness import (
    CSM,
    EXEC,
    OWNER,
    ROOT,
    Harness,
    env_without_slack,
    load_directory,
    run_cli,
    start_harness,
)

PROBLEM = "application/problem+json"
ESCALATION: dict[str, Any] = {
    "account": "Acme Inc",
    "summary": "SSO outage",
    "description": "Nobody at Acme can log in since 09:00.",
    "category": "technical",
    "severity": "high",
    "owner": OWNER,
    "stakeholders": [EXEC],
    "reporter": CSM,
}


def send(
    harness: Harness,
    method: str,
    path: str,
    token: str | None,
    body: Any = None,
    *,
    raw: bytes | None = None,
    **headers: str,
) -> tuple[int, Any, Message]:
    """(status, the body read as JSON or as text, headers): a 500's text body must not break a test."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(
        harness.server.url + path,
        method=method,
        data=data,
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
            **{k.replace("_", "-"): v for k, v in headers.items()},
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            status, content, out = response.status, response.read(), response.headers
    except urllib.error.HTTPError as refused:
        status, content, out = refused.code, refused.read(), refused.headers
    try:
        return status, json.loads(content or b"{}"), out
    except ValueError:
        return status, content.decode("utf-8", "replace"), out


def is_problem(status: int, body: Any, headers: Message) -> bool:
    """An RFC 9457 problem: its media type, and the members that say what went wrong."""
    return (
        (headers.get("Content-Type") or "").startswith(PROBLEM)
        and isinstance(body, dict)
        and body.get("status") == status
        and isinstance(body.get("title"), str)
        and isinstance(body.get("type"), str)
    )


def directory(harness: Harness) -> None:
    load_directory(
        harness,
        "name,crm_id,tier,contract_value,csm\nAcme Inc,0015A,enterprise,$120k,U0CSM0001\n"
        "Globex,0015B,growth,$80k,U0VPSALES\n",
    )


ALL = ["escalations:read", "escalations:write", "accounts:write"]


def test_eight_inputs_that_were_server_errors_are_answered(harness: Harness) -> None:
    directory(harness)
    token = tokens.create(harness.components.engine, "all", ALL)
    assert send(harness, "POST", "/api/v1/escalations", token, ESCALATION)[0] == 201

    refused = {
        "an unknown status": ("GET", "/api/v1/escalations?status=open", None, 422),
        "a date without a zone": ("GET", "/api/v1/escalations?since=2026-01-01", None, 422),
        "an id too large": ("GET", "/api/v1/escalations/ESC-99999999999999999999", None, 404),
        "a crafted cursor": (
            "GET",
            "/api/v1/escalations?cursor=" + base64.urlsafe_b64encode(b"99999999999999999999").decode(),
            None,
            422,
        ),
        "a signal's time without a zone": (
            "POST",
            "/api/v1/accounts/crm:0015A/signals",
            {"kind": "qbr_missed", "at": "2026-01-01T10:00:00"},
            422,
        ),
        "an infinite health": (
            "PUT",
            "/api/v1/accounts/crm:0015A",
            {"name": "Acme Inc", "health": "inf"},
            422,
        ),
    }
    for what, (method, path, body, expected) in refused.items():
        status, answer, headers = send(harness, method, path, token, body)
        assert status == expected, (what, status, answer)
        assert is_problem(status, answer, headers), (what, headers, answer)
    # 1e400 is valid JSON that Python reads as infinity.
    status, answer, headers = send(
        harness, "PUT", "/api/v1/accounts/crm:0015A", token, raw=b'{"name": "Acme Inc", "health": 1e400}'
    )
    assert status == 422 and is_problem(status, answer, headers) and "health" in answer["errors"]

    # A lone surrogate (half an emoji) is stored as the modal stores it (domain.text).
    half = json.dumps({**ESCALATION, "summary": "SSO \ud83d outage"}).encode()
    assert b"\\ud83d" in half
    status, case, _ = send(harness, "POST", "/api/v1/escalations", token, raw=half)
    assert (status, case["summary"]) == (201, clean_text("SSO \ud83d outage")), case
    named = json.dumps({"name": "Initech \udc00", "tier": "smb"}).encode()
    status, answer, _ = send(harness, "PUT", "/api/v1/accounts/crm:0015C", token, raw=named)
    assert status == 201, answer
    status, case, _ = send(
        harness, "POST", "/api/v1/escalations", token, {**ESCALATION, "account": "crm:0015C"}
    )
    assert (status, case["account"]) == (201, clean_text("Initech \udc00"))


def test_errors_are_problem_details_with_every_fields_problem_at_once(harness: Harness) -> None:
    writer = tokens.create(harness.components.engine, "crm", ["escalations:write"])
    status, body, headers = send(harness, "GET", "/api/v1/escalations", None)
    assert status == 401 and is_problem(status, body, headers) and headers["WWW-Authenticate"] == "Bearer"
    status, body, headers = send(harness, "GET", "/api/v1/escalations", writer)
    assert status == 403 and is_problem(status, body, headers) and "escalations:read" in body["detail"]
    status, body, headers = send(harness, "GET", "/api/v1/nowhere", writer)
    assert status == 404 and is_problem(status, body, headers)
    status, body, headers = send(harness, "POST", "/api/v1/escalations", writer, raw=b"{not json")
    assert status == 422 and is_problem(status, body, headers) and "body" in body["errors"]

    # Six problems: two of their type (a number, a null), four of their content.
    six = {
        **ESCALATION,
        "summary": "",
        "description": 42,
        "category": "weather",
        "owner": "nobody@nowhere.example",
        "reporter": None,
        "links": {"ticket": "not a link"},
    }
    status, body, headers = send(harness, "POST", "/api/v1/escalations", writer, six)
    assert status == 422 and is_problem(status, body, headers)
    assert set(body["errors"]) == {"summary", "description", "category", "owner", "reporter", "links.ticket"}
    assert body["errors"]["owner"] == "no one in Slack has the e-mail nobody@nowhere.example"
    assert harness.cases() == []


def note_events(harness: Harness) -> list[str]:
    with harness.components.engine.connect() as connection:
        return [
            row[0]
            for row in connection.execute(sa.text("SELECT kind FROM case_event WHERE kind = 'note_added'"))
        ]


def test_a_key_is_bound_to_its_request_and_kept_only_for_a_completed_answer(harness: Harness) -> None:
    token = tokens.create(harness.components.engine, "zendesk", ["escalations:write"])
    status, first, _ = send(harness, "POST", "/api/v1/escalations", token, ESCALATION, Idempotency_Key="zd-1")
    assert status == 201
    # The same request again: the first answer, said to be a replay.
    status, again, headers = send(
        harness, "POST", "/api/v1/escalations", token, ESCALATION, Idempotency_Key="zd-1"
    )
    assert (status, again["key"], headers.get("Idempotent-Replayed")) == (200, first["key"], "true")
    # The same key with another body: refused, not answered with the first case.
    other = {**ESCALATION, "summary": "Billing double-charged"}
    status, body, headers = send(harness, "POST", "/api/v1/escalations", token, other, Idempotency_Key="zd-1")
    assert status == 422 and is_problem(status, body, headers) and "Idempotency-Key" in body["errors"]
    assert len(harness.cases()) == 1

    note = "/api/v1/escalations/ESC-1/notes"
    assert send(harness, "POST", note, token, {"text": "Called back"}, Idempotency_Key="n-1")[0] == 201
    status, body, _ = send(harness, "POST", note, token, {"text": "Second note"}, Idempotency_Key="n-1")
    assert status == 422 and "Idempotency-Key" in body["errors"]  # not a silent replay dropping it

    # A refusal of the content is not kept: the corrected retry with the same key is done.
    status, body, _ = send(harness, "POST", note, token, {"text": ""}, Idempotency_Key="n-2")
    assert status == 422 and "text" in body["errors"]
    status, body, headers = send(harness, "POST", note, token, {"text": "Fixed"}, Idempotency_Key="n-2")
    assert status == 201 and "Idempotent-Replayed" not in headers
    assert len(note_events(harness)) == 2

    # One length rule on every route: up to 255 characters, whole (never cut), and no more.
    long_a, long_b = "a" * 254 + "1", "a" * 254 + "2"
    for key in (long_a, long_b):
        status, body, _ = send(harness, "POST", note, token, {"text": f"note {key[-1]}"}, Idempotency_Key=key)
        assert status == 201, body
    assert len(note_events(harness)) == 4
    status, body, _ = send(
        harness,
        "POST",
        "/api/v1/escalations",
        token,
        {**ESCALATION, "summary": "Long key"},
        Idempotency_Key="b" * 255,
    )
    assert status == 201, body
    for path in (note, "/api/v1/escalations"):
        status, body, headers = send(harness, "POST", path, token, {"text": "x"}, Idempotency_Key="k" * 256)
        assert status == 422 and is_problem(status, body, headers) and "Idempotency-Key" in body["errors"]


def test_a_retry_of_an_opened_case_is_answered_with_it_while_slack_cannot_be_asked(harness: Harness) -> None:
    token = tokens.create(harness.components.engine, "zendesk", ["escalations:write"])
    by_mail = {**ESCALATION, "owner": "sarah.miller@vendor.example"}
    status, first, _ = send(harness, "POST", "/api/v1/escalations", token, by_mail, Idempotency_Key="zd-7")
    assert status == 201, first
    # The owner is named by e-mail: Slack is asked again for each request, and now fails.
    harness.workspace.fail("users.lookupByEmail", error="fatal_error", times=50)
    status, again, headers = send(
        harness, "POST", "/api/v1/escalations", token, by_mail, Idempotency_Key="zd-7"
    )
    assert (status, again["key"], headers.get("Idempotent-Replayed")) == (200, first["key"], "true")
    # A new request meanwhile is refused next to the field, as before.
    status, body, _ = send(harness, "POST", "/api/v1/escalations", token, by_mail, Idempotency_Key="zd-8")
    assert status == 422 and body["errors"]["owner"] == "Slack could not be asked; try again"
    assert len(harness.cases()) == 1


def test_a_replay_shows_the_case_as_the_token_may_read_it_now(harness: Harness) -> None:
    """A replay is no way round the visibility rule: a token that may write but not read a private
    case learns of it, replaying its own request, only what GET would tell it."""
    writer = tokens.create(harness.components.engine, "siem", ["escalations:write"])
    private = {**ESCALATION, "summary": "Customer PII leaked", "triggers": ["data_breach"]}
    status, first, _ = send(harness, "POST", "/api/v1/escalations", writer, private, Idempotency_Key="s-1")
    assert status == 201 and first["summary"] == "Customer PII leaked"  # its own answer, in full
    status, again, headers = send(
        harness, "POST", "/api/v1/escalations", writer, private, Idempotency_Key="s-1"
    )
    assert (status, again["key"], headers.get("Idempotent-Replayed")) == (200, first["key"], "true")
    assert again["redacted"] is True and again["summary"] is None


def test_a_key_of_a_case_opened_before_the_upgrade_is_still_bound_to_its_request(harness: Harness) -> None:
    """Cases the API opened before their row kept the request's fingerprint have it in the key's
    claim (api_request): the key with another body is refused there too."""
    from assistant.api.app import fingerprint
    from assistant.models import ApiRequest

    engine = harness.components.engine
    writer = tokens.create(engine, "zendesk", ["escalations:write"])
    status, first, _ = send(harness, "POST", "/api/v1/escalations", writer, ESCALATION, Idempotency_Key="u-1")
    assert status == 201
    [token_row] = tokens.listed(engine)
    with engine.begin() as connection:  # as the code before kept it
        connection.execute(sa.text("UPDATE escalation SET intake_fingerprint = NULL"))
    with Session(engine) as session:
        session.add(
            ApiRequest(
                token_id=token_row.id or 0,
                key_hash=hashlib.sha256(b"u-1").hexdigest(),
                path="/api/v1/escalations",
                fingerprint=fingerprint("POST", "/api/v1/escalations", json.dumps(ESCALATION).encode()),
                status=201,
                body=first,
            )
        )
        session.commit()
    other = {**ESCALATION, "summary": "A different problem entirely"}
    status, body, _ = send(harness, "POST", "/api/v1/escalations", writer, other, Idempotency_Key="u-1")
    assert status == 422 and "Idempotency-Key" in body["errors"]
    status, again, _ = send(harness, "POST", "/api/v1/escalations", writer, ESCALATION, Idempotency_Key="u-1")
    assert (status, again["key"]) == (200, first["key"])


def test_the_same_key_sent_at_once_opens_one_case_and_answers_each_with_it(harness: Harness) -> None:
    token = tokens.create(harness.components.engine, "zendesk", ["escalations:write"])
    with ThreadPoolExecutor(6) as pool:
        answers = list(
            pool.map(
                lambda _: send(
                    harness, "POST", "/api/v1/escalations", token, ESCALATION, Idempotency_Key="zd-9"
                ),
                range(6),
            )
        )
    statuses = sorted(status for status, _, _ in answers)
    assert statuses == [200] * 5 + [201], [body for _, body, _ in answers]
    assert {body["key"] for _, body, _ in answers} == {"ESC-1"}
    assert len(harness.cases()) == 1


def test_a_rate_refusal_does_not_hold_the_key(database_url: str) -> None:
    harness = start_harness(database_url, api_rate_per_minute=60)
    try:
        token = tokens.create(harness.components.engine, "zendesk", ["escalations:write", "escalations:read"])
        assert send(harness, "POST", "/api/v1/escalations", token, ESCALATION)[0] == 201
        note = "/api/v1/escalations/ESC-1/notes"
        # Spend the bucket (60 calls, refilled one a second) on reads. On a busy machine a token may
        # come back between the last read and the note: then spend it again, with a fresh key.
        for attempt in range(5):
            key = f"r-{attempt}"
            spent = 0
            while send(harness, "GET", "/api/v1/escalations/ESC-1", token)[0] != 429:
                spent += 1
                assert spent < 200
            status, body, headers = send(harness, "POST", note, token, {"text": "x"}, Idempotency_Key=key)
            if status == 429:
                break
        assert status == 429 and is_problem(status, body, headers)
        time.sleep(int(headers["Retry-After"]) + 0.2)
        status, body, headers = send(harness, "POST", note, token, {"text": "x"}, Idempotency_Key=key)
        assert status == 201 and "Idempotent-Replayed" not in headers, body
    finally:
        harness.stop()


@contextmanager
def table_away(harness: Harness, table: str) -> Iterator[None]:
    """The table renamed for a moment: every statement that needs it fails, as a broken database would."""
    with harness.components.engine.begin() as connection:
        connection.execute(sa.text(f"ALTER TABLE {table} RENAME TO {table}_away"))
    try:
        yield
    finally:
        with harness.components.engine.begin() as connection:
            connection.execute(sa.text(f"ALTER TABLE {table}_away RENAME TO {table}"))


def test_a_server_error_is_logged_once_with_a_request_id_and_frees_its_key(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    token = tokens.create(harness.components.engine, "zendesk", ["escalations:write"])
    assert send(harness, "POST", "/api/v1/escalations", token, ESCALATION)[0] == 201
    note = "/api/v1/escalations/ESC-1/notes"
    secret_text = "Customer's CFO said the contract is void"
    caplog.set_level(logging.INFO)
    with table_away(harness, "case_event"):
        status, body, headers = send(
            harness, "POST", note, token, {"text": secret_text}, Idempotency_Key="n-9"
        )
    assert status == 500 and is_problem(status, body, headers), body
    request_id = headers["X-Request-Id"]
    assert body["request_id"] == request_id
    said = [r for r in caplog.records if request_id in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.ERROR
    everything = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert secret_text not in everything and token not in everything
    # The key was not left "in progress": the retry is done.
    status, body, headers = send(harness, "POST", note, token, {"text": secret_text}, Idempotency_Key="n-9")
    assert status == 201 and "Idempotent-Replayed" not in headers, body


def test_a_survey_token_never_reaches_the_log(harness: Harness) -> None:
    token = tokens.create(harness.components.engine, "zendesk", ["escalations:write"])
    assert send(harness, "POST", "/api/v1/escalations", token, ESCALATION)[0] == 201
    survey = token_for(harness.settings, 1)
    out = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("INFO", [], logging.StreamHandler(out))
    try:
        with table_away(harness, "escalation"), pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(f"{harness.server.url}/csat/{survey}?score=5", timeout=10)
        assert failed.value.code == 500
    finally:
        root.handlers, root.level = handlers, level
    logged = out.getvalue()
    assert "/csat/" in logged  # waitress said which request failed...
    assert survey not in logged and survey.split(".")[0] not in logged  # ...without the token


def test_private_cases_are_redacted_without_the_scope_for_them(harness: Harness) -> None:
    directory(harness)
    engine = harness.components.engine
    writer = tokens.create(engine, "siem", ["escalations:write"])
    private = {
        **ESCALATION,
        "summary": "Customer PII leaked via S3 bucket",
        "triggers": ["data_breach"],
        "category": "technical",
    }
    status, opened, _ = send(harness, "POST", "/api/v1/escalations", writer, private)
    assert status == 201 and opened["private"] is True
    assert send(harness, "POST", "/api/v1/escalations", writer, ESCALATION)[0] == 201

    reader = tokens.create(engine, "bi", ["escalations:read"])
    status, case, _ = send(harness, "GET", "/api/v1/escalations/ESC-1", reader)
    assert status == 200 and case["private"] is True and case["key"] == "ESC-1"
    assert case["summary"] is None and case["account"] is None and case["stakeholders"] == []
    status, listed, _ = send(harness, "GET", "/api/v1/escalations", reader)
    assert "PII" not in json.dumps(listed) and "Acme" in json.dumps(listed)  # the open one in full
    status, listed, _ = send(harness, "GET", "/api/v1/escalations?account=Acme%20Inc", reader)
    assert [c["key"] for c in listed["items"]] == ["ESC-2"]  # a filter does not tell whose it is
    status, grown, _ = send(
        harness, "POST", "/api/v1/escalations/ESC-1/affected_accounts", writer, {"accounts": ["Globex"]}
    )
    assert status == 200 and "PII" not in json.dumps(grown)

    created = run_cli(
        [
            "api-token",
            "create",
            "--name",
            "security-desk",
            "--scopes",
            "escalations:read,escalations:read_private",
        ],
        env_without_slack(harness),
        ROOT,
    )
    assert created.returncode == 0, created.stderr
    status, case, _ = send(harness, "GET", "/api/v1/escalations/ESC-1", created.stdout.strip())
    assert (status, case["summary"], case["account"]) == (
        200,
        "Customer PII leaked via S3 bucket",
        "Acme Inc",
    )


def test_limits_come_before_slack_and_text_is_cleaned_as_in_slack(harness: Harness) -> None:
    token = tokens.create(harness.components.engine, "crm", ["escalations:write", "escalations:read"])
    many = {**ESCALATION, "stakeholders": [f"person{i}@vendor.example" for i in range(300)]}
    status, body, headers = send(harness, "POST", "/api/v1/escalations", token, many)
    assert status == 422 and is_problem(status, body, headers) and "stakeholders" in body["errors"]
    assert harness.workspace.calls_to("users.lookupByEmail") == []  # not one lookup

    dirty = {
        **ESCALATION,
        "account": "Acme: EMEA",  # a name with a colon, as the modal takes it
        "summary": "SSO\x00 out\x07age",
        "description": "Line one\x1b[31m\r\nline two",
    }
    status, case, _ = send(harness, "POST", "/api/v1/escalations", token, dirty)
    assert status == 201, case
    assert (case["summary"], case["account"]) == ("SSO outage", "Acme: EMEA")
    stored = harness.cases()[-1]
    assert stored.description == "Line one[31m\nline two"


def test_the_openapi_document_describes_what_is_served(harness: Harness) -> None:
    status, spec, _ = send(harness, "GET", "/api/v1/openapi.json", None)
    assert status == 200
    assert spec["components"]["securitySchemes"] == {"bearer": {"type": "http", "scheme": "bearer"}}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("security") == [{"bearer": []}], where
            responses = operation["responses"]
            assert {"401", "403", "422", "429"} <= set(responses), where
            ok = next(code for code in responses if code.startswith("2"))
            assert responses[ok]["content"]["application/json"]["schema"], where
            assert PROBLEM in responses["401"]["content"], where
            if "{" in path:
                assert "404" in responses, where
            if method == "post":
                assert "409" in responses, where
                headers = [p for p in operation.get("parameters", []) if p["in"] == "header"]
                assert [p["name"] for p in headers] == ["Idempotency-Key"], where
                assert headers[0]["schema"]["maxLength"] == 255, where
    for page in ("/api/v1/docs", "/api/v1/redoc"):
        status, body, _ = send(harness, "GET", page, None)
        assert status == 404 and "<script" not in json.dumps(body)


def test_a_path_that_is_not_utf8_is_a_404_problem(harness: Harness) -> None:
    token = tokens.create(harness.components.engine, "reader", ["escalations:read"])
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    paths = [
        "/api/v1/escalations/%FF",
        "/api/v1/escalations/ESC-%ED%A0%80",
        "/api/v1/accounts/crm:%FF/signals",
    ]
    for path in paths:
        request = urllib.request.Request(
            harness.server.url + path, headers={"Authorization": f"Bearer {token}"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(request, timeout=10)
        answer = refused.value
        assert answer.code == 404 and answer.headers["Content-Type"] == "application/problem+json"
        body = json.loads(answer.read())
        assert body["status"] == 404 and body["request_id"] == answer.headers["X-Request-Id"]


def test_a_token_that_may_only_write_learns_only_what_it_changed(harness: Harness) -> None:
    from tests.test_api import call

    load_directory(harness, "name,crm_id\nAcme Inc,0015A\nGlobex,0015B\n")
    writer = tokens.create(harness.components.engine, "writer", ["escalations:write"])
    status, opened, _ = call(harness, "POST", "/api/v1/escalations", writer, ESCALATION)
    assert status == 201, opened
    assert call(harness, "GET", f"/api/v1/escalations/{opened['key']}", writer)[0] == 403
    status, grown, _ = call(
        harness,
        "POST",
        f"/api/v1/escalations/{opened['key']}/affected_accounts",
        writer,
        {"accounts": ["Globex"]},
    )
    assert status == 200 and grown["added"] == ["Globex"]
    assert grown["escalation"]["redacted"] is True and grown["escalation"]["summary"] is None


def test_other_systems_ids_are_texts(harness: Harness) -> None:
    from tests.test_api import call

    token = tokens.create(harness.components.engine, "gainsight", ["accounts:write"])
    for wrong in ({"a": 1}, 1e300, True, [1]):
        status, body, headers = call(
            harness, "PUT", "/api/v1/accounts/crm:0015A", token, {"name": "Acme Inc", "helpdesk_id": wrong}
        )
        assert (status, headers["Content-Type"]) == (422, PROBLEM)
        assert body["errors"]["helpdesk_id"] == 'an id is a text, like "0015A"'
    status, _, _ = call(
        harness, "PUT", "/api/v1/accounts/crm:0015A", token, {"name": "Acme Inc", "helpdesk_id": "77"}
    )
    assert status == 201


def test_an_account_put_names_every_fields_problem_in_one_answer(harness: Harness) -> None:
    from tests.test_api import call

    token = tokens.create(harness.components.engine, "gainsight", ["accounts:write"])
    account = {
        "name": "Acme Inc",
        "health": "inf",  # the body's type
        "renewal_date": "soon",  # the directory's own checks, in the same answer
        "timezone": "Mars/Olympus",
    }
    status, body, _ = call(harness, "PUT", "/api/v1/accounts/crm:0015A", token, account)
    assert status == 422 and {"health", "renewal_date", "timezone"} <= set(body["errors"]), body

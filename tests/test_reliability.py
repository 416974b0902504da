"""A slow or failing Slack never loses a case; hostile input and forged requests do nothing.

Most of these stories are about what the app does once a case is stored (opening it in Slack
through a failing or slow Web API), so they run on the app's parts (tests/parts.py's `Parts`)
without the app that Slack sends requests to; what only a request can show (hostile text cleaned on
its way in, signatures, the health check over HTTP, the signing secret kept out of the logs) runs
end to end."""

from __future__ import annotations

import io
import json
import logging
import time

import pytest

from assistant.domain.provisioning import Step
from assistant.logs import configure_logging
from assistant.services import provisioning as records
from slack_standin.sender import sign
from tests.harness import (
    CSM,
    OWNER,
    SIGNING_SECRET,
    Harness,
    mrkdwn_texts,
    wait_for,
)
from tests.parts import Parts, running_parts


def test_rate_limit_is_retried_after_retry_after(parts: Parts) -> None:
    parts.workspace.fail("conversations.create", status=429, retry_after=1)
    case = parts.escalate(CSM)

    creates = parts.workspace.calls_to("conversations.create")
    assert [c.status for c in creates] == [429, 200]
    assert creates[1].started - creates[0].ended >= 0.95  # waited for Retry-After
    assert parts.channel_of(case).name == "esc-1-acme-sso-outage"


def test_server_errors_are_retried(parts: Parts) -> None:
    parts.workspace.fail("chat.postMessage", status=503, times=2)
    case = parts.escalate(CSM)

    assert parts.channel_of(case).messages[0].ts == case.card_ts
    assert len(parts.workspace.dm_messages(OWNER)) == 1
    assert len(parts.feed.messages) == 1


def test_name_taken_picks_another_name_and_never_gives_up(parts: Parts) -> None:
    parts.workspace.add_channel("esc-1-acme-sso-outage")
    parts.workspace.add_channel("esc-1-acme-sso-outage-2")
    case = parts.escalate(CSM)

    assert case.channel_name == "esc-1-acme-sso-outage-3"
    created = next(e for e in parts.events(case.id) if e.kind == "channel_created")
    assert created.data["names_taken"] == ["esc-1-acme-sso-outage", "esc-1-acme-sso-outage-2"]


def test_a_step_failing_past_its_retries_is_completed_by_the_repair_sweep(parts: Parts) -> None:
    parts.workspace.fail("conversations.invite", status=500, times=3)  # 1 call + 2 retries
    view_id = parts.intake(CSM)
    case = wait_for(lambda: parts.case_by_view(view_id), what="the case")
    wait_for(
        lambda: (
            set(records.pending_steps(parts.engine, case.id or 0)) == {Step.INVITE}
            and parts.components.work.idle()
        ),
        what="all but the invite",
    )
    assert parts.channel_of(parts.case(case.id)).members == [parts.workspace.bot_user_id]
    failure = next(e for e in parts.events(case.id) if e.kind == "provisioning_step_failed")
    assert failure.data == {"step": "invite", "error": "http_500"}

    repaired = wait_for(parts.components.provisioner.repair, what="the repair sweep")
    assert repaired == [case.id]
    case = parts.wait_provisioned(case.id)
    assert OWNER in parts.channel_of(case).members


def test_channel_refused_tells_the_csm_and_is_created_later(parts: Parts) -> None:
    parts.workspace.fail("conversations.create", error="restricted_action")
    view_id = parts.intake(CSM)

    notice = wait_for(lambda: parts.workspace.dm_messages(CSM), what="the CSM to be told")
    assert "ESC-1" in notice[0].text and "is saved" in notice[0].text
    assert "restricted_action" in json.dumps(notice[0].blocks)
    case = parts.case_by_view(view_id)
    assert case is not None and case.channel_id is None

    wait_for(parts.components.provisioner.repair, what="the repair sweep")
    case = parts.wait_provisioned(case.id)
    assert parts.channel_of(case).name == "esc-1-acme-sso-outage"


def test_feed_channel_the_bot_has_not_joined_is_joined(parts: Parts) -> None:
    parts.feed.members.remove(parts.workspace.bot_user_id)
    parts.escalate(CSM)

    assert parts.workspace.bot_user_id in parts.feed.members
    assert len(parts.feed.messages) == 1


def test_card_is_updated_in_place_even_in_an_archived_channel(parts: Parts) -> None:
    case = parts.escalate(CSM)
    channel = parts.channel_of(case)
    channel.is_archived = True

    parts.components.provisioner.channel.refresh(case)

    assert not channel.is_archived
    assert len(channel.messages) == 1
    assert channel.messages[0].ts == case.card_ts and channel.messages[0].edited == 1
    assert "channel_unarchived" in [e.kind for e in parts.events(case.id)]


def test_hostile_text_reaches_slack_as_plain_text(harness: Harness) -> None:
    hostile = 'Acme <!channel> <@U0EXEC001> <https://evil.example|Your bank> {{ 7*7 }} "q" \\ }]'
    case = harness.escalate(CSM, account=hostile, summary=hostile, description=hostile)
    channel = harness.channel_of(case)

    sent = [channel.messages[0], *harness.workspace.dm_messages(OWNER), *harness.feed.messages]
    for message in sent:
        for text in [message.text, *mrkdwn_texts(message.blocks)]:
            assert "<!channel>" not in text
            assert "<https://evil" not in text
    card_text = json.dumps(channel.messages[0].blocks)
    assert "&lt;!channel&gt; &lt;@U0EXEC001&gt; &lt;https://evil.example|Your bank&gt; {{ 7*7 }}" in card_text
    assert channel.purpose.startswith("ESC-1: Acme <!channel>")  # topics are never parsed by Slack


@pytest.mark.parametrize(
    ("timestamp_offset", "signature"),
    [(0, "v0=" + "0" * 64), (0, ""), (-301, None)],
    ids=["wrong signature", "missing signature", "stale by over 5 minutes"],
)
def test_unsigned_or_stale_requests_get_401_and_do_nothing(
    harness: Harness, timestamp_offset: int, signature: str | None
) -> None:
    body = b"command=%2Fescalate&text=&user_id=U0CSM0001&trigger_id=1.2.x&team_id=T0STANDIN"
    timestamp = int(time.time()) + timestamp_offset
    if signature is None:
        signature = sign(SIGNING_SECRET, str(timestamp), body)
    response = harness.sender.post(
        body, "application/x-www-form-urlencoded", timestamp=timestamp, signature=signature or "x"
    )
    assert response.status == 401
    time.sleep(0.2)
    assert harness.workspace.calls_to("views.open") == []


def test_health_check(harness: Harness) -> None:
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(harness.server.url + "/readyz", timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {
            "ok": True,
            "status": "ok",
            "database": "ok",
            "migrations": "ok",
            "slack": "ok",
            "loops": {"webhooks": "ok", "work-queue": "ok"},
        }


def test_secrets_never_reach_the_logs(harness: Harness) -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", [harness.workspace.bot_token, SIGNING_SECRET], logging.StreamHandler(stream))
    try:
        harness.workspace.fail("conversations.create", status=429, retry_after=1)
        harness.escalate(CSM)
        logging.getLogger("assistant.test").debug("a debug line")
        logging.getLogger("test").warning("token in a message: %s", harness.workspace.bot_token)
    finally:
        logging.getLogger().handlers = []
        logging.getLogger().setLevel(logging.WARNING)
    logs = stream.getvalue()
    assert "a debug line" in logs  # the debug log was really written
    # Slack's libraries, which log whole requests at DEBUG (customer text), are held at INFO.
    assert "DEBUG slack_sdk" not in logs and "DEBUG slack_bolt" not in logs
    assert harness.workspace.bot_token not in logs
    assert SIGNING_SECRET not in logs
    assert "token in a message: [redacted]" in logs


def test_a_call_that_times_out_is_retried(database_url: str) -> None:
    with running_parts(database_url, slack_timeout_seconds=1) as parts:
        parts.workspace.slow("conversations.setPurpose", 2.5)
        case = parts.escalate(CSM)
        calls = parts.workspace.calls_to("conversations.setPurpose")
        assert len(calls) == 2  # the first answered too late; the client tried again
        assert parts.channel_of(case).purpose == "ESC-1: SSO outage"

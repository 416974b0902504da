"""A slow or failing Slack never loses a case; hostile input and forged requests do nothing.

Most of these stories are about what the app does once a case is stored (opening it in Slack
through a failing or slow Web API), so they run on the app's parts (`Parts`, below) without the
app that Slack sends requests to; what only a request can show (hostile text cleaned on its way in,
signatures, the health check over HTTP, the signing secret kept out of the logs) runs end to end."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from slack_bolt import Ack, Respond
from slack_bolt.response import BoltResponse
from sqlmodel import Session, col, select

from assistant.components import Components, create_components
from assistant.content.i18n import speaking
from assistant.content.registry import install_folder
from assistant.domain.provisioning import Step
from assistant.listeners import OwnerFlow
from assistant.listeners.case_flow import Answers, CaseFlows, FlowSpec, read_submission
from assistant.listeners.intake import (
    IntakeMetadata,
    after_intake_stored,
    checked_intake,
    intake_modal,
    store_intake,
)
from assistant.logs import configure_logging
from assistant.models import CaseEvent, Escalation
from assistant.server import HEALTH_PATHS, component_health
from assistant.services import provisioning as records
from slack_standin import StandIn, Workspace
from slack_standin.sender import sign, view_state
from slack_standin.workspace import Channel
from tests.harness import (
    CSM,
    OWNER,
    SIGNING_SECRET,
    Harness,
    default_intake,
    make_settings,
    seed_workspace,
    wait_for,
)

# -- the app's parts without its HTTP side (used by the other files of these stories too) ----------


class Acked(Ack):
    """A modal's answer to Slack, kept: `{}` closed it; otherwise its errors or its new view."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[dict[str, Any]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        self.answers.append(kwargs)
        return super().__call__(*args, **kwargs)


class Said(Respond):
    """What a person was answered privately when they clicked (a refusal), kept."""

    def __init__(self) -> None:
        super().__init__(response_url="https://hooks.slack.invalid/actions/answer")
        self.texts: list[str] = []

    def __call__(self, text: str = "", **_: Any) -> None:  # type: ignore[override]
        self.texts.append(text)


@dataclass
class Parts:
    """The app's parts (create_components: database, jobs, the Slack client) against a seeded Slack
    stand-in, which keeps everything the app posted: what people would see. No request reaches
    the app; the intake and the owner flows are run as their listeners run them once Slack's
    request is read (the same functions, in the same order)."""

    standin: StandIn
    components: Components
    intakes: int = 0

    @property
    def workspace(self) -> Workspace:
        return self.standin.workspace

    @property
    def engine(self) -> sa.Engine:
        return self.components.engine

    @property
    def feed(self) -> Channel:
        channel = self.workspace.channel_named("escalations")
        assert channel is not None
        return channel

    @property
    def general(self) -> Channel:
        channel = self.workspace.channel_named("general")
        assert channel is not None
        return channel

    def channel_of(self, case: Escalation) -> Channel:
        assert case.channel_id is not None
        return self.workspace.channels[case.channel_id]

    def case(self, case_id: int | None) -> Escalation:
        with Session(self.engine) as session:
            case = session.get(Escalation, case_id)
            assert case is not None
            return case

    def case_by_view(self, view_id: str) -> Escalation | None:
        with Session(self.engine) as session:
            return session.exec(select(Escalation).where(Escalation.intake_view_id == view_id)).first()

    def events(self, case_id: int | None) -> list[CaseEvent]:
        with Session(self.engine) as session:
            query = select(CaseEvent).where(CaseEvent.escalation_id == case_id).order_by(col(CaseEvent.id))
            return list(session.exec(query))

    def wait_provisioned(self, case_id: int | None, timeout: float = 10.0) -> Escalation:
        assert case_id is not None
        wait_for(
            lambda: not records.pending_steps(self.engine, case_id),
            timeout,
            what=f"case {case_id} to be provisioned",
        )
        return self.case(case_id)

    def submit_intake(self, user: str = CSM, **overrides: Any) -> str:
        """`/escalate` typed in #general and its form submitted with default_intake's answers (and
        `overrides`), as the intake listener handles it: the form checked, the case stored and
        queued to open in Slack, its reminder set. The CSM is answered at the command's
        response_url, as Slack gives one. Returns the form's view id (the case's intake_view_id)."""
        components = self.components
        metadata = IntakeMetadata(
            origin_channel_id=self.general.id,
            reply_url=self.workspace.issue_response_url(self.standin.base_url, self.general.id, user),
        )
        form = intake_modal(
            content=components.content,
            metadata=metadata,
            ack_within_minutes=components.settings.ack_within_minutes,
        )
        self.intakes += 1
        view = {**form, "id": f"VINTAKE{self.intakes:04d}"}
        view["state"] = {"values": view_state(view, default_intake(**overrides))}
        body = {"user": {"id": user}, "team": {"id": self.workspace.team_id}}
        with speaking(lambda: components.people.locale(user)):
            intake, errors = checked_intake(components, view)
            assert intake is not None and not errors, errors
            stored = IntakeMetadata.from_view(view)
            opened = store_intake(components, intake, stored, body, view)
            after_intake_stored(components, opened, stored, user)
        return str(view["id"])

    def escalate(self, user: str = CSM, **overrides: Any) -> Escalation:
        """The whole intake; waits until the case is open in Slack."""
        view_id = self.submit_intake(user, **overrides)
        case = self.case_by_view(view_id)
        assert case is not None
        return self.wait_provisioned(case.id)

    def run_flow(self, module: OwnerFlow, case: Escalation, actor: str, **values: Any) -> Escalation:
        """An owner flow as its card button and its modal run it (CaseFlows.start, then the
        submission's middleware and CaseFlows.submit): the modal opened in Slack by the flow's
        opener, submitted by `actor` with `values` ({block id: value}, the other inputs as
        shown), the change applied and announced. Returns the case as it is then."""
        components = self.components
        flows = CaseFlows(components)
        flows.register(module.FLOW, module.open_flow)
        views = len(self.workspace.views)
        said = Said()
        flows.start(
            client=components.client,
            respond=said,
            case_id=case.id or 0,
            flow=module.FLOW,
            actor_id=actor,
            trigger_id=self.workspace.issue_trigger(),
        )
        assert said.texts == [] and len(self.workspace.views) > views, said.texts
        view = list(self.workspace.views.values())[-1]
        submitted = {**view, "state": {"values": view_state(view, values)}}
        with speaking(components.people.locale(actor)):
            submission = read_submission(flows, actor, submitted, module.FLOW)
        assert submission is not None
        acked = Acked()
        spec: FlowSpec | None = getattr(module, "SPEC", None)  # a flow with questions declares it
        assert spec is not None
        flows.submit(spec, acked, submission, Answers(submitted, flows.book.questions(module.FLOW)))
        assert acked.answers == [{}], acked.answers  # the modal closed: no errors, no refusal
        return self.case(case.id)

    def health(self, path: str = "/healthz") -> tuple[int, dict[str, Any]]:
        """What the app's health check at `path` answers (its status and body), from these parts."""
        return component_health(self.components)(HEALTH_PATHS[path])


@contextmanager
def started_parts(database_url: str, **settings: Any) -> Iterator[Parts]:
    """The app's parts against a seeded stand-in (as the `components` fixture makes them), with
    these settings (make_settings' names) and the stand-in at hand."""
    standin = StandIn().start()
    try:
        seed_workspace(standin.workspace)
        components = create_components(
            make_settings(standin, database_url, **settings), content=install_folder(None)
        )
        try:
            yield Parts(standin, components)
        finally:
            components.close()
    finally:
        standin.stop()


@pytest.fixture
def parts(database_url: str) -> Iterator[Parts]:
    with started_parts(database_url) as running:
        yield running


def mrkdwn_texts(obj: object) -> list[str]:
    found: list[str] = []
    if isinstance(obj, dict):
        if obj.get("type") == "mrkdwn":
            found.append(obj["text"])
        for value in obj.values():
            found.extend(mrkdwn_texts(value))
    elif isinstance(obj, list):
        for value in obj:
            found.extend(mrkdwn_texts(value))
    return found


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
    view_id = parts.submit_intake(CSM)
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
    view_id = parts.submit_intake(CSM)

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
    with opener.open(harness.server.url + "/healthz", timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {
            "ok": True,
            "status": "ok",
            "database": "ok",
            "loops": {"webhooks": "ok", "work-queue": "ok"},
        }


def test_secrets_never_reach_the_logs(harness: Harness) -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", [harness.workspace.bot_token, SIGNING_SECRET], logging.StreamHandler(stream))
    try:
        harness.workspace.fail("conversations.create", status=429, retry_after=1)
        harness.escalate(CSM)
        logging.getLogger("test").warning("token in a message: %s", harness.workspace.bot_token)
    finally:
        logging.getLogger().handlers = []
        logging.getLogger().setLevel(logging.WARNING)
    logs = stream.getvalue()
    assert "conversations.create" in logs  # the debug log was really written
    assert harness.workspace.bot_token not in logs
    assert SIGNING_SECRET not in logs
    assert "token in a message: [redacted]" in logs


def test_a_call_that_times_out_is_retried(database_url: str) -> None:
    with started_parts(database_url, slack_timeout_seconds=1) as parts:
        parts.workspace.slow("conversations.setPurpose", 2.5)
        case = parts.escalate(CSM)
        calls = parts.workspace.calls_to("conversations.setPurpose")
        assert len(calls) == 2  # the first answered too late; the client tried again
        assert parts.channel_of(case).purpose == "ESC-1: SSO outage"

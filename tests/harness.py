"""The app as Slack sees it: the stand-in, the real app over HTTP, and a sender of signed requests."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assistant.app import create_app
from assistant.components import Components
from assistant.content.registry import install_folder, ours
from assistant.domain.account_rows import read_accounts
from assistant.domain.intake import IntakeField
from assistant.ids import CaseAction
from assistant.models import CaseEvent, Escalation
from assistant.server import (
    EVENTS_PATH,
    HttpServer,
    component_health,
    health_server_app,
    mounted_apps,
    wsgi_app,
)
from assistant.services import provisioning as records
from assistant.services.accounts import ImportReport, import_accounts
from assistant.settings import Settings
from assistant.socket_mode import close_socket_mode, connect_socket_mode
from slack_standin import StandIn, Workspace
from slack_standin.sender import AppResponse, SlackSender, SocketModeSender
from slack_standin.socket_mode import SocketModeServer
from slack_standin.workspace import Channel, User

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"

CSM = "U0CSM0001"
OWNER = "U0OWNER01"
EXEC = "U0EXEC001"
MANAGER = "U0MGR0001"
VP = "U0VPSALES"
BOT = "U0OTHERBOT"
GONE = "U0GONE001"

T = TypeVar("T")


def seed_workspace(workspace: Workspace) -> None:
    workspace.add_user(User(CSM, "carla", "Carla Smith", "Customer Success Manager", "Europe/London", 0))
    workspace.add_user(
        User(
            OWNER,
            "sarah",
            "Sarah Miller",
            "VP Customer Success",
            "America/Sao_Paulo",
            -10800,
            email="sarah.miller@vendor.example",
        )
    )
    workspace.add_user(User(EXEC, "ken", "Ken Tanaka", "Chief Revenue Officer", "Asia/Tokyo", 32400))
    workspace.add_user(User(MANAGER, "maria", "Maria Garcia", "Escalation Manager"))
    workspace.add_user(User(VP, "victor", "Victor Park", "VP Sales", "America/New_York", -18000))
    workspace.add_user(User(BOT, "otherbot", "Some Bot", is_bot=True))
    workspace.add_user(User(GONE, "gone", "Gone Person", deleted=True))
    workspace.add_channel("general", members=[CSM, OWNER, EXEC, MANAGER, VP])
    workspace.add_channel("escalations", members=[EXEC, MANAGER, workspace.bot_user_id])


def wait_for(
    predicate: Callable[[], T | Literal[False, 0, ""] | None], timeout: float = 10.0, what: str = "condition"
) -> T:
    """Poll until `predicate` returns something truthy (the app works after it answers Slack).

    The value returned is that truthy one, so its type drops the falsy parts of the predicate's
    (`case and case.channel_id` -> str, not `Escalation | str | None`).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


def mrkdwn_texts(obj: Any) -> list[str]:
    """Every mrkdwn text in a payload: where Slack would parse markup."""
    if isinstance(obj, dict):
        own = [obj["text"]] if obj.get("type") == "mrkdwn" else []
        return own + [t for v in obj.values() for t in mrkdwn_texts(v)]
    if isinstance(obj, list):
        return [t for v in obj for t in mrkdwn_texts(v)]
    return []


def default_intake(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        IntakeField.ACCOUNT: "Acme",
        IntakeField.ACCOUNT_VALUE: "$120k",
        IntakeField.SUMMARY: "SSO outage",
        IntakeField.DESCRIPTION: "Nobody at Acme can log in since 09:00; their CEO emailed ours.",
        IntakeField.CATEGORY: "technical",
        IntakeField.SEVERITY: "high",
        IntakeField.TRIGGERS: ["executive_contacted"],
        IntakeField.OWNER: OWNER,
        IntakeField.STAKEHOLDERS: [EXEC],
        IntakeField.LINK_TICKET: "https://support.example.com/tickets/4521",
    }
    # A team's own questions (custom_<id>) are answered by their block id.
    values.update({(k if k.startswith("custom_") else IntakeField(k)): v for k, v in overrides.items()})
    return {str(k): v for k, v in values.items()}


def exec_contact_made(view: dict[str, Any]) -> dict[str, str]:
    """A business case's resolve form asks about its executive contact, still owed: made."""
    asked = any(b.get("block_id") == "executive_contact" for b in view["blocks"])
    return {"executive_contact": "made"} if asked else {}


def closing_checklist(view: dict[str, Any]) -> dict[str, Any]:
    """The close form's checklist, each question it asks ticked (the customer confirmed, the
    related records closed; who shared the RCA is prefilled), and its handling review answered
    ("nothing to change")."""
    asked = {b.get("block_id") for b in view["blocks"]}
    ticked: dict[str, Any] = {f: ["yes"] for f in ("service_confirmed", "records_closed") if f in asked}
    if "handled_better" in asked:
        ticked |= {"handled_better": "Nothing: it went as the playbook says.", "improvement_area": "none"}
    return ticked


class FlowButton(StrEnum):
    """The buttons that open the guided flows, as Slack sends them back ("case_<flow>", the flow
    being the name of its file in flows/)."""

    ACKNOWLEDGE = "case_acknowledge"
    CLASSIFY = "case_classify"
    POST_UPDATE = "case_post_update"
    RESOLVE = "case_resolve"
    REASSIGN = "case_reassign"
    RCA = "case_rca"
    CLOSE = "case_close"
    REOPEN = "case_reopen"
    TIMELINE = "case_timeline"
    CONCESSION = "case_concession"


SENTENCE_ID = re.compile(r"\b[a-z_]+\.[a-z0-9_]+\b")


def assert_no_sentence_id_shown(workspace: Workspace) -> None:
    """No one read a sentence's id (`lifecycle.reopen_first`) where its words belong: every
    message, view, ephemeral answer and bookmark sent to the stand-in is written out."""
    ids = ours().sentences.keys()
    with workspace.lock:
        sent = [c.args for c in workspace.calls] + [(e.text, e.blocks) for e in workspace.ephemerals]
    shown = {found for found in SENTENCE_ID.findall(json.dumps(sent, default=str)) if found in ids}
    assert not shown, f"sentence ids shown instead of their words: {sorted(shown)}"


class WhatTheAppLeft:
    """What people see in Slack and what is stored, for a test that runs the app (Harness) or
    its parts (tests/parts.py): both have `components` and the stand-in's `workspace`."""

    components: Components

    @property
    def workspace(self) -> Workspace:
        raise NotImplementedError

    @property
    def engine(self) -> sa.Engine:
        return self.components.engine

    def channel(self, name: str) -> Channel:
        found = self.workspace.channel_named(name)
        assert found is not None
        return found

    @property
    def general(self) -> Channel:
        return self.channel("general")

    @property
    def feed(self) -> Channel:
        return self.channel("escalations")

    def channel_of(self, case: Escalation) -> Channel:
        assert case.channel_id is not None
        return self.workspace.channels[case.channel_id]

    def latest_view(self) -> dict[str, Any]:
        return list(self.workspace.views.values())[-1]

    def case(self, case_id: int | None) -> Escalation:
        with Session(self.engine) as session:
            case = session.get(Escalation, case_id)
            assert case is not None
            return case

    def case_by_view(self, view_id: str) -> Escalation | None:
        with Session(self.engine) as session:
            return session.exec(select(Escalation).where(Escalation.intake_view_id == view_id)).first()

    def cases(self) -> list[Escalation]:
        with Session(self.engine) as session:
            return list(session.exec(select(Escalation).order_by(col(Escalation.id))))

    def events(self, case_id: int | None) -> list[CaseEvent]:
        with Session(self.engine) as session:
            query = select(CaseEvent).where(CaseEvent.escalation_id == case_id).order_by(col(CaseEvent.id))
            return list(session.exec(query))

    def wait_provisioned(self, case_id: int | None, timeout: float = 10.0) -> Escalation:
        """The case once it is open in Slack (every provisioning step done)."""
        assert case_id is not None
        wait_for(
            lambda: not records.pending_steps(self.engine, case_id),
            timeout,
            what=f"case {case_id} to be provisioned",
        )
        return self.case(case_id)


@dataclass
class Harness(WhatTheAppLeft):
    standin: StandIn
    settings: Settings
    components: Components
    server: HttpServer
    sender: SlackSender
    extra_stops: list[Callable[[], None]] = field(default_factory=list)
    # How many private answers each person had when they last acted (see answer()).
    answer_marks: dict[str, int] = field(default_factory=dict)

    @property
    def workspace(self) -> Workspace:
        return self.standin.workspace

    def stop(self) -> None:
        for stop in self.extra_stops:
            stop()
        self.server.stop()
        self.components.close()
        self.standin.stop()
        install_folder(None)  # the next test in this process starts from ours, in English
        assert_no_sentence_id_shown(self.workspace)

    # -- what a CSM does ------------------------------------------------------

    def open_intake(self, user: str = CSM, text: str = "", channel_id: str | None = None) -> str:
        """Type /escalate; return the id of the modal Slack shows."""
        channel_id = channel_id or self.general.id
        before = len(self.workspace.calls_to("views.open"))
        response = self.sender.slash_command(user, text, channel_id=channel_id)
        assert response.status == 200, response
        wait_for(
            lambda: len([c for c in self.workspace.calls_to("views.open") if c.ended]) > before,
            what="views.open",
        )
        call = self.workspace.calls_to("views.open")[-1]
        assert call.error is None, call.error
        return list(self.workspace.views)[-1]

    def submit_intake(self, view_id: str, user: str = CSM, **overrides: Any) -> AppResponse:
        return self.sender.submit_view(user, view_id, default_intake(**overrides))

    def choose_people(
        self,
        view_id: str,
        user: str = CSM,
        *,
        owner: str | None = None,
        stakeholders: list[str] | None = None,
    ) -> None:
        """Pick the owner and stakeholders in the open intake form, as a person does before
        submitting it (Slack tells the app of each choice); returns once the app has looked them up."""
        for block, chosen_there in ((IntakeField.OWNER, owner), (IntakeField.STAKEHOLDERS, stakeholders)):
            if chosen_there:
                assert self.sender.choose(user, view_id, block.value, chosen_there).status == 200
        chosen = [*([owner] if owner else []), *(stakeholders or [])]
        wait_for(
            lambda: all(self.components.people.cached(u) for u in chosen), what="the people chosen looked up"
        )

    def escalate(self, user: str = CSM, **overrides: Any) -> Escalation:
        """The whole intake: command, modal, submission; waits until the case is open in Slack."""
        view_id = self.open_intake(user)
        response = self.submit_intake(view_id, user, **overrides)
        assert response.status == 200 and not response.body, response
        case = wait_for(lambda: self.case_by_view(view_id), what="the case to be stored")
        return self.wait_provisioned(case.id)

    # -- what an owner does ---------------------------------------------------

    def mark(self, user: str) -> None:
        """Remember how many private answers `user` has, before they act."""
        self.answer_marks[user] = len(self.workspace.ephemerals_for(user))

    def answer(self, user: str) -> str:
        """The first private answer `user` got since they last acted."""
        before = self.answer_marks.get(user, 0)
        return wait_for(lambda: self.refusals_for(user)[before:], what=f"an answer to {user}")[0]

    def command(self, user: str, text: str, channel_id: str) -> AppResponse:
        """Type `/escalate <text>` in a channel."""
        self.mark(user)
        return self.sender.slash_command(user, text, channel_id=channel_id)

    def click(self, user: str, case: Escalation, action_id: str) -> AppResponse:
        """Click a button on the case card; returns Slack's HTTP exchange."""
        self.mark(user)
        return self.sender.click(
            user,
            action_id,
            str(case.id),
            channel_id=case.channel_id,
            message_ts=case.card_ts,
            block_id="case_actions",
        )

    def details(self, user: str, case: Escalation, *, elsewhere: bool = False) -> str:
        """Click the card's "More details": the modal it opens (or the private refusal), as one text.
        `elsewhere`: the same button pressed outside the case channel (a copy posted in #general)."""
        before = len(self.workspace.views)
        if elsewhere:
            self.mark(user)
            self.sender.click(user, CaseAction.DETAILS, str(case.id), channel_id=self.general.id)
        else:
            self.click(user, case, CaseAction.DETAILS)
        wait_for(
            lambda: len(self.workspace.views) > before or self.refusals_for(user)[self.answer_marks[user] :],
            what="the case's details",
        )
        if len(self.workspace.views) == before:
            return self.answer(user)
        return json.dumps(self.latest_view(), ensure_ascii=False)

    def open_flow(self, user: str, case: Escalation, action_id: str) -> str:
        """Click a card button and return the id of the modal it opens."""
        before = len(self.workspace.views)
        response = self.click(user, case, action_id)
        assert response.status == 200, response
        wait_for(
            lambda: len(self.workspace.views) > before and self.latest_view().get("blocks"),
            what=f"the {action_id} modal",
        )
        wait_for(lambda: self.latest_view()["callback_id"] != "loading", what="the modal to be filled")
        return self.latest_view()["id"]

    def choose_more(self, user: str, case: Escalation, action: str) -> AppResponse:
        """The card's More menu: one of its options (`action`, a lifecycle action's value)."""
        return self.sender.click(
            user,
            CaseAction.MORE,
            "",
            channel_id=case.channel_id,
            message_ts=case.card_ts,
            block_id="case_actions",
            selected_value=f"{action}:{case.id}",
        )

    def open_more(self, user: str, case: Escalation, action: str) -> str:
        """Choose `action` in the card's More menu; the id of the modal it opens."""
        views = len(self.workspace.views)
        self.choose_more(user, case, action)
        wait_for(lambda: len(self.workspace.views) > views, what=f"the {action} modal")
        return list(self.workspace.views)[-1]

    def submit(self, user: str, view_id: str, **values: Any) -> AppResponse:
        return self.sender.submit_view(user, view_id, values)

    def refusals_for(self, user: str) -> list[str]:
        return [e.text for e in self.workspace.ephemerals_for(user)]

    def open_home(self, user: str) -> list[dict[str, Any]]:
        """Open the app's Home tab; return its blocks once the app has published it."""
        before = self.workspace.home_views.get(user, {}).get("id")
        self.sender.event({"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"})
        view = wait_for(
            lambda: (v := self.workspace.home_views.get(user)) and v["id"] != before and v,
            what=f"{user}'s Home tab",
        )
        return list(view["blocks"])

    def home_text(self, user: str) -> str:
        """What the user's Home tab shows now, as one searchable text."""
        return json.dumps(self.workspace.home_views[user]["blocks"], ensure_ascii=False)


def load_directory(harness: Harness, csv_text: str, at: datetime | None = None) -> ImportReport:
    """Accounts into the directory as CS ops would import them (every row must be good)."""
    rows, problems = read_accounts(csv_text, json_format=False, default_currency="USD")
    assert problems == [], problems
    rules = harness.components.content.practice.judgement
    return import_accounts(harness.components.engine, rows, rules=rules, now=at)


def make_settings(standin: StandIn, database_url: str, **overrides: Any) -> Settings:
    feed = standin.workspace.channel_named("escalations")
    values: dict[str, Any] = {
        "slack_bot_token": standin.workspace.bot_token,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": standin.api_url,
        "database_url": database_url,
        "escalations_feed_channel": feed.id if feed else None,
        "slack_max_retries": 2,
        "slack_timeout_seconds": 5,
        "repair_interval_seconds": 0.2,
        "provisioning_lease_seconds": 30,
        "escalation_manager_ids": MANAGER,
        # The stand-in enforces Slack's limits only when a test turns them on; pace as for a fast Slack.
        "slack_rate_limit_factor": 50,
        # Tests look at each change's Home tab; the coalescing window has a test of its own.
        "home_refresh_seconds": 0,
        # Everything rendered is checked against slack_sdk's models too (production checks limits only).
        "block_kit_checks": "full",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def start_harness(
    database_url: str,
    seed: Callable[[Workspace], None] = seed_workspace,
    *,
    mode: str = "http",
    http_port: int = 0,
    **setting_overrides: Any,
) -> Harness:
    """The real app against a seeded stand-in, receiving Slack's requests over signed HTTP or Socket Mode."""
    standin = StandIn().start()
    seed(standin.workspace)
    stops: list[Callable[[], None]] = []
    if mode == "socket":
        socket_server = SocketModeServer().start()
        standin.workspace.socket_mode = socket_server
        setting_overrides.setdefault("slack_app_token", standin.workspace.app_token)
    settings = make_settings(standin, database_url, **setting_overrides)
    app, components = create_app(settings)
    health = component_health(components)
    if mode == "socket":
        handler = connect_socket_mode(app, settings)
        server = HttpServer(
            health_server_app(health, mounted_apps(components)),
            "127.0.0.1",
            http_port,
            threads=2,
        )
        sender: SlackSender = SocketModeSender(standin.workspace, socket_server, standin.base_url)
        stops += [lambda: close_socket_mode(handler), socket_server.stop]
    else:
        server = HttpServer(
            wsgi_app(
                app,
                SIGNING_SECRET,
                health,
                components.in_flight,
                mounted_apps(components),
            ),
            "127.0.0.1",
            http_port,
            threads=8,
        )
        sender = SlackSender(standin.workspace, server.url + EVENTS_PATH, SIGNING_SECRET, standin.base_url)
    server.start_in_thread()
    return Harness(standin, settings, components, server, sender, extra_stops=stops)


ROOT = Path(__file__).resolve().parents[1]


def app_env(standin: StandIn, database_url: str) -> dict[str, str]:
    """The environment of `python -m assistant ...` pointed at the stand-in and a test database."""
    feed = standin.workspace.channel_named("escalations")
    return {
        "SLACK_BOT_TOKEN": standin.workspace.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": standin.api_url,
        "DATABASE_URL": database_url,
        "ESCALATIONS_FEED_CHANNEL": feed.id if feed else "",
        "SLACK_RATE_LIMIT_FACTOR": "50",
        "BLOCK_KIT_CHECKS": "full",  # a bench passes "limits": it measures production
    }


def env_without_slack(harness: Harness) -> dict[str, str]:
    """The app's environment minus Slack's tokens: for commands that must not need Slack."""
    settings = app_env(harness.standin, harness.settings.database_url)
    return {k: v for k, v in settings.items() if not k.startswith("SLACK_")}


def run_cli(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`python -m assistant <args>` with `env` over a clean copy of this environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_", "ESCALATIONS_"))}
    base["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def app_sender(standin: StandIn, port: int) -> SlackSender:
    """Slack's signed requests to the app serving on `port` (its own process)."""
    return SlackSender(
        standin.workspace, f"http://127.0.0.1:{port}{EVENTS_PATH}", SIGNING_SECRET, standin.base_url
    )


def start_app_process(
    standin: StandIn, database_url: str, port: int, **env_overrides: str
) -> subprocess.Popen[bytes]:
    """`python -m assistant serve` as its own process, pointed at the stand-in; returns once it serves."""
    env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper()}
    env.update(app_env(standin, database_url))
    # The clock's other jobs under test; a Monday run must not post a digest at start-up.
    env.update(PYTHONPATH=str(ROOT), DIGEST_ENABLED="false")
    env.update(env_overrides)
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        # APP_LOG=path keeps the app's log (for a benchmark or a failing test under study).
        stderr=open(os.environ["APP_LOG"], "ab") if os.environ.get("APP_LOG") else subprocess.DEVNULL,  # noqa: SIM115
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the app process exited with {process.returncode}")
        try:
            with opener.open(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    wait_for(ready, timeout=30, what="the app process to serve")
    return process


def in_hours(hours: float) -> int:
    """A datetimepicker value: a UNIX time `hours` from now."""
    return int(time.time() + hours * 3600)


def team_harness(database_url: str, folder: Path, files: dict[str, str]) -> Iterator[Harness]:
    """The app with a team's own content folder holding `files` (paths relative to it)."""
    for relative, text in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)
    running = start_harness(database_url, custom_dir=folder)
    yield running
    running.stop()
    from assistant.content.registry import install_folder

    install_folder(None)  # the next app in this process starts from ours


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

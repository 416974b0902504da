"""The app's parts without its HTTP side: what the services tier's tests run on.

A test whose subject is not Slack's request path (the intake's steps once its form is read, the
owner flows' start and submit, the dispatcher, the jobs) uses the parts create_app builds
(create_components: database, jobs, the Slack client) against a real database and a seeded Slack
stand-in, whose state shows what people would see. No request reaches the app over HTTP: the
listeners' own functions are called as Bolt calls them once it has read Slack's request (the
intake's, the command router's, a flow's opener and its submission skeleton, CaseFlows, wired by
register_all), in the same order and in the person's language.

The stand-in is the attribute `slack` (see conftest's tiers: a test naming the stand-in or the
harness is end to end).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_bolt.response import BoltResponse
from slack_sdk.webhook import WebhookResponse

from assistant.components import Components, create_components
from assistant.content.i18n import speaking
from assistant.content.registry import install_folder
from assistant.listeners import register_all
from assistant.listeners.case_details import details_view
from assistant.listeners.case_flow import Answers, CaseFlows, read_submission
from assistant.listeners.commands import answer_command
from assistant.listeners.intake import IntakeMetadata, after_intake_stored, checked_intake, store_intake
from assistant.models import Escalation
from assistant.server import HEALTH_PATHS, component_health
from slack_standin import StandIn, Workspace
from slack_standin.sender import view_state
from tests.harness import (
    CSM,
    OWNER,
    SIGNING_SECRET,
    WhatTheAppLeft,
    assert_no_sentence_id_shown,
    closing_checklist,
    default_intake,
    exec_contact_made,
    in_hours,
    make_settings,
    seed_workspace,
)


class Answered(Respond):
    """A person's private answers (a command's, a click's, a refused flow's), kept whole (text,
    blocks, who sees them). Given the response URL Slack gave (the stand-in's), each is also posted
    there, so the stand-in shows it as Slack would; without one, they are only kept."""

    def __init__(self, response_url: str | None = None) -> None:
        super().__init__(response_url=response_url or "https://hooks.slack.invalid/answer")
        self.posted = response_url is not None
        self.answers: list[dict[str, Any]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> WebhookResponse:
        assert len(args) <= 1, "answers are given their text (or whole message) and keywords"
        text = args[0] if args else kwargs.get("text", "")
        rest = {name: value for name, value in kwargs.items() if name != "text"}
        self.answers.append(dict(text) if isinstance(text, dict) else {"text": text, **rest})
        if self.posted:
            return super().__call__(*args, **kwargs)
        return WebhookResponse(url=str(self.response_url), status_code=200, body="ok", headers={})

    @property
    def texts(self) -> list[str]:
        return [str(answer.get("text", "")) for answer in self.answers]

    def block_texts(self) -> list[str]:
        """Every block's words, in order (a header's, a section's, a context's elements')."""
        words = []
        for answer in self.answers:
            for block in answer.get("blocks") or []:
                elements = block.get("elements") or [block.get("text") or {}]
                words += [element["text"] for element in elements if "text" in element]
        return words


class Acked(Ack):
    """A modal's answer to Slack, kept: `{}` closed it; otherwise its errors or its new view."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[dict[str, Any]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        self.answers.append(kwargs)
        return super().__call__(*args, **kwargs)


@dataclass
class Parts(WhatTheAppLeft):
    """The app's parts (`components`, and its owner flows as register_all wires them) and the Slack
    stand-in they talk to (`slack`), which keeps everything the app posted."""

    slack: StandIn
    components: Components
    flows: CaseFlows = field(init=False)

    def __post_init__(self) -> None:
        # A Bolt app that no request reaches: register_all wires the flows as create_app does.
        bolt = App(
            client=self.components.client, signing_secret=SIGNING_SECRET, token_verification_enabled=False
        )
        self.flows = register_all(bolt, self.components)

    # -- where things are ----------------------------------------------------------------------

    @property
    def workspace(self) -> Workspace:
        return self.slack.workspace

    # -- what is stored ------------------------------------------------------------------------

    def health(self, path: str = "/readyz") -> tuple[int, dict[str, Any]]:
        """What the app's health check at `path` answers (its status and body), from these parts."""
        return component_health(self.components)(HEALTH_PATHS[path])

    # -- what people do ------------------------------------------------------------------------

    def in_their_language(self, user: str) -> AbstractContextManager[None]:
        """As the listeners' in_their_language middleware speaks to `user`."""
        return speaking(lambda: self.components.people.locale(user))

    def answer(self, user: str, channel_id: str) -> Answered:
        """The private answers to something `user` did in `channel_id` (Slack's response URL)."""
        return Answered(self.workspace.issue_response_url(self.slack.base_url, channel_id, user))

    def command(self, user: str, text: str = "", channel_id: str | None = None) -> list[str]:
        """`/escalate <text>` as its listener answers it once acknowledged; the private answers."""
        channel_id = channel_id or self.general.id
        answered = self.answer(user, channel_id)
        command = {  # what Slack sends with a command (slack_standin/sender.py slash_command)
            "user_id": user,
            "text": text,
            "channel_id": channel_id,
            "response_url": answered.response_url,
            "trigger_id": self.workspace.issue_trigger(),
        }
        with self.in_their_language(user):
            answer_command(self.flows, self.components.client, answered, command)
        return answered.texts

    def open_intake(self, user: str = CSM) -> str:
        """Type /escalate; the id of the modal Slack shows (nothing answered privately)."""
        before = len(self.workspace.views)
        answered = self.command(user)
        assert answered == [] and len(self.workspace.views) > before, answered
        return list(self.workspace.views)[-1]

    def submitted(self, view_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """The open modal `view_id` as Slack sends it when submitted with `values` ({block: value})."""
        view = self.workspace.views[view_id]
        return {**view, "state": {"values": view_state(view, values)}}

    def submit_intake(self, view_id: str, user: str = CSM, **overrides: Any) -> dict[str, str]:
        """Submit the intake form (default_intake with `overrides`) as the intake's listener handles
        it: the errors shown in the form, or {} once the case is stored, its reminder set (it is
        then opened in Slack in the background)."""
        view = self.submitted(view_id, default_intake(**overrides))
        body = {"user": {"id": user}, "team": {"id": self.workspace.team_id}}
        with self.in_their_language(user):
            intake, errors = checked_intake(self.components, view, user)
            if intake is None:
                return errors
            metadata = IntakeMetadata.from_view(view)
            opened = store_intake(self.components, intake, metadata, body, view)
            after_intake_stored(self.components, opened, metadata, user)
        return {}

    def intake(self, user: str = CSM, **overrides: Any) -> str:
        """/escalate typed in #general and its form submitted with default_intake's answers (and
        `overrides`); the form's view id (the case's intake_view_id), the case not yet open in Slack."""
        view_id = self.open_intake(user)
        assert self.submit_intake(view_id, user, **overrides) == {}
        return view_id

    def escalate(self, user: str = CSM, **overrides: Any) -> Escalation:
        """The whole intake: command, modal, submission; the case once it is open in Slack."""
        view_id = self.intake(user, **overrides)
        case = self.case_by_view(view_id)
        assert case is not None
        return self.wait_provisioned(case.id)

    def start_flow(self, user: str, case: Escalation, flow: str) -> list[str]:
        """`flow` started on `case` by `user`, as a card button (or its More menu) starts it: its
        modal opened, or why not said privately (returned)."""
        answered = self.answer(user, case.channel_id or self.general.id)
        self.flows.start(
            client=self.components.client,
            respond=answered,
            case_id=case.id or 0,
            flow=flow.removeprefix("case_"),  # a FlowButton's action id names its flow
            actor_id=user,
            trigger_id=self.workspace.issue_trigger(),
        )
        return answered.texts

    def open_flow(self, user: str, case: Escalation, flow: str) -> str:
        """`flow` started on `case` by `user`; the id of the modal it opened."""
        before = len(self.workspace.views)
        refused = self.start_flow(user, case, flow)
        assert refused == [] and len(self.workspace.views) > before, refused
        return list(self.workspace.views)[-1]

    def submit(self, user: str, view_id: str, **values: Any) -> dict[str, Any]:
        """Submit a flow's modal (`values`: {block id: value}, the other inputs as shown), as the
        submission's middleware and CaseFlows.submit handle it: what the app acknowledged Slack
        with, once ({} when the modal closes; otherwise its errors or its new view)."""
        view = self.submitted(view_id, values)
        flow = view["callback_id"]
        with self.in_their_language(user):
            submission = read_submission(self.flows, user, view, flow)
        assert submission is not None
        acked = Acked()
        self.flows.submit(
            self.flows.specs[flow], acked, submission, Answers(view, self.flows.book.questions(flow))
        )
        assert len(acked.answers) == 1 and acked.response is not None, acked.answers
        assert acked.response.status == 200
        return json.loads(acked.response.body) if acked.response.body else {}

    def run_flow(self, user: str, case: Escalation, flow: str, **values: Any) -> Escalation:
        """`user` starts `flow` (flows/<flow>.yml) on `case` and submits its modal with `values`;
        the modal must close. Returns the case as it is then."""
        view_id = self.open_flow(user, case, flow)
        assert self.workspace.views[view_id]["callback_id"] == flow.removeprefix("case_")
        assert self.submit(user, view_id, **values) == {}
        return self.case(case.id)

    def close(self, case: Escalation, **values: Any) -> Escalation:
        """The owner closes `case` with `values`, ticking the resolution checklist it asks."""
        view_id = self.open_flow(OWNER, case, "close")
        assert self.submit(OWNER, view_id, **values, **closing_checklist(self.workspace.views[view_id])) == {}
        return self.case(case.id)

    def details(self, case: Escalation) -> str:
        """What the card's "More details" shows of `case` now, as one text."""
        return json.dumps(details_view(self.components, self.case(case.id)), ensure_ascii=False)

    def open_home(self, user: str) -> list[dict[str, Any]]:
        """`user` opens the app's Home tab (as its app_home_opened listener publishes it); its blocks."""
        self.components.home.publish(user, opened=True)
        return list(self.workspace.home_views[user]["blocks"])

    def home_text(self, user: str) -> str:
        """What the user's Home tab shows now, as one searchable text."""
        return json.dumps(self.workspace.home_views[user]["blocks"], ensure_ascii=False)


def resolved_case(parts: Parts, **intake: Any) -> Escalation:
    """A case escalated, acknowledged and resolved by its owner, as tests.stories.resolved brings one
    there."""
    case = parts.run_flow(
        OWNER, parts.escalate(**intake), "acknowledge", next_update=in_hours(2), customer_message="On it."
    )
    view_id = parts.open_flow(OWNER, case, "resolve")
    assert (
        parts.submit(
            OWNER,
            view_id,
            resolution_summary="Fixed.",
            fix="Restarted.",
            customer_confirmed="pending",
            customer_notice="Your service is back.",
            **exec_contact_made(parts.workspace.views[view_id]),
        )
        == {}
    )
    return parts.case(case.id)


@contextmanager
def running_parts(
    database_url: str,
    *,
    folder: Path | None = None,
    files: dict[str, str] | None = None,
    seed: Callable[[Workspace], None] = seed_workspace,
    **settings: Any,
) -> Iterator[Parts]:
    """The app's parts against a stand-in seeded by `seed`, with these settings (make_settings'
    names, as the environment would set them) and, given a `folder`, a team's content folder
    (CUSTOM_DIR) holding `files` ({path relative to it: text}). Afterwards, no sentence's id was
    shown to anyone instead of its words."""
    for relative, text in (files or {}).items():
        assert folder is not None
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)
    slack = StandIn().start()
    try:
        seed(slack.workspace)
        if folder is not None:
            settings["custom_dir"] = folder
        chosen = make_settings(slack, database_url, **settings)
        content = install_folder(chosen.custom_dir, chosen.default_locale)  # as create_app does
        components = create_components(chosen, content=content)
        try:
            yield Parts(slack, components)
        finally:
            components.close()
    finally:
        slack.stop()
        install_folder(None)  # the next test in this process starts from ours
    assert_no_sentence_id_shown(slack.workspace)

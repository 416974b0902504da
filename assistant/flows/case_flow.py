"""What every owner flow shares: finding the case, checking who may do what, opening its modal,
and running its submission.

Entry points (card buttons, the card's "More" menu, the owner's DM, `/escalate <verb>`
in a case channel) all go through `CaseFlows.start`, so the permission and state
checks live in one place and a refusal is always a sentence, never a silent failure.

Every submission runs one skeleton (`CaseFlows.submit`): read the case and the answers,
refuse what the person may not do now, say every problem next to its field at once,
apply the change, tell the channel, refresh the card and the Home tabs. A flow is a
`FlowSpec`: its questions, its own checks, its change, its announcement, and hooks
for what only it does (the new owner told, the channel archived…).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ValidationError
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from assistant.components import Components
from assistant.domain.communications import promise_text_problem, with_promised_time
from assistant.domain.events import EventKind
from assistant.domain.flow_words import FLOW_WORDS, required_sentence, shown_words
from assistant.domain.lifecycle import (
    Action,
    Role,
    Task,
    permission_refusal,
    promise_problem,
    roles_of,
    state_refusal,
    task_refusal,
)
from assistant.i18n import _, speaking
from assistant.ids import ViewId
from assistant.messages.case_context import case_context
from assistant.messages.escape import mention
from assistant.messages.render import Message, render_message, render_view
from assistant.models import Escalation
from assistant.services.cases import CaseNotFound, get_case
from assistant.services.events import add_event
from assistant.services.lifecycle import ActionRefused
from assistant.slack.client import SLACK_ERRORS, error_code
from assistant.slack.people import People, zone_of

logger = logging.getLogger(__name__)
ListenerT = TypeVar("ListenerT", bound=Callable[..., Any])


class CaseRef(BaseModel):
    """A modal's private_metadata: which case it is about (ids only)."""

    # Extra keys (from a modal opened by an older version) are ignored.
    case_id: int
    # A draft written for a customer contact: the time phrase it was written with, and the
    # contact's language and zone (its times are read in that zone, not the owner's).
    drafted: str | None = None
    locale: str | None = None
    zone: str | None = None

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> CaseRef:
        return cls.model_validate_json(view.get("private_metadata") or "{}")

    def dump(self) -> str:
        return self.model_dump_json(exclude_none=True)


@dataclass
class FlowStart:
    """Everything a flow's opener needs once the checks have passed."""

    components: Components
    client: WebClient
    case: Escalation
    actor_id: str
    trigger_id: str
    respond: Respond
    action: Action | None = None


Opener = Callable[[FlowStart], None]


def selected_time(element: dict[str, Any]) -> datetime | None:
    """A datetimepicker's value: Slack sends a UNIX time, picked in the user's own zone."""
    value = element.get("selected_date_time")
    return datetime.fromtimestamp(int(value), UTC) if value else None


def field_value(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    """The state of the input block `block_id` (whose action id is the same)."""
    return view["state"]["values"].get(block_id, {}).get(block_id, {}) or {}


def text_value(view: dict[str, Any], block_id: str) -> str:
    return (field_value(view, block_id).get("value") or "").strip()


def option_value(view: dict[str, Any], block_id: str) -> str | None:
    return (field_value(view, block_id).get("selected_option") or {}).get("value")


class CaseFlows:
    """The registry of owner flows, and the one door into them."""

    def __init__(self, components: Components) -> None:
        self.components = components
        self.openers: dict[Action, Opener] = {}
        self.specs: dict[Action, FlowSpec] = {}

    def register(self, action: Action, opener: Opener) -> None:
        self.openers[action] = opener

    def refusal(self, case: Escalation, actor_id: str, action: Action) -> str | None:
        """Why `actor_id` may not take `action` on `case` now, or None."""
        problem = self.permission(
            case, actor_id, lambda roles: permission_refusal(action, roles, mention(case.owner_id))
        )
        return problem or state_refusal(case.key, case.status, action)

    def permission(
        self,
        case: Escalation,
        actor_id: str,
        rule: Callable[[frozenset[Role]], str | None],
        *,
        item_owner_id: str | None = None,
    ) -> str | None:
        """What `rule` says of the actor's roles on the case (admin looked up only when it matters)."""
        roles = roles_of(
            actor_id,
            owner_id=case.owner_id,
            reporter_id=case.reporter_id,
            manager_ids=frozenset(self.components.settings.escalation_manager_ids),
            is_admin=False,
            involved=actor_id in case.participants,
            item_owner=actor_id == item_owner_id,
        )
        problem = rule(roles)
        if problem and self._is_admin(actor_id):
            problem = rule(roles | {Role.ADMIN})
        return problem

    def refused(
        self,
        respond: Respond,
        case: Escalation,
        actor_id: str,
        task: Task,
        *,
        item_owner_id: str | None = None,
    ) -> bool:
        """Whether the actor may not do `task` on the case (the permission table in
        domain.lifecycle); if not, they are told privately who may."""
        refusal = self.permission(
            case,
            actor_id,
            lambda roles: task_refusal(
                task,
                roles,
                owner_name=mention(case.owner_id),
                key=case.key,
                item_owner_name=mention(item_owner_id) if item_owner_id else "",
            ),
            item_owner_id=item_owner_id,
        )
        if refusal:
            say(respond, refusal)
        return refusal is not None

    def _is_admin(self, user_id: str) -> bool:
        try:
            return self.components.people.get(user_id, self.components.quick_client).is_admin
        except SLACK_ERRORS as exc:
            logger.warning("could not look up %s (%s); treating as not an admin", user_id, error_code(exc))
            return False

    def start(
        self,
        *,
        client: WebClient,
        respond: Respond,
        case_id: int,
        action: Action,
        actor_id: str,
        trigger_id: str,
    ) -> None:
        # The modal, or why not, in the language of the person who asked.
        with speaking(self.components.people.locale(actor_id)):
            try:
                case = get_case(self.components.engine, case_id)
            except CaseNotFound:
                say(respond, _("That case no longer exists."))
                return
            refusal = self.refusal(case, actor_id, action)
            if refusal:
                say(respond, refusal)
                return
            start = FlowStart(self.components, client, case, actor_id, trigger_id, respond, action)
            self.openers[action](start)

    def note_failure(self, case: Escalation, what: str, error: str) -> None:
        """A Slack call that failed past its retries: logged and kept on the timeline, never dropped."""
        logger.warning("%s: %s failed (%s)", case.key, what, error)
        add_event(self.components.engine, case.id or 0, EventKind.SLACK_CALL_FAILED, what=what, error=error)

    def best_effort(self, case: Escalation, what: str, call: Callable[[], object]) -> None:
        """A Slack call the case does not depend on: retried by the client, then noted if it still fails."""
        try:
            call()
        except SLACK_ERRORS as exc:
            self.note_failure(case, what, error_code(exc))

    def on_submit(self, app: App, spec: FlowSpec) -> None:
        """Run `spec` when its modal is submitted."""

        self.specs[spec.action] = spec

        def handle_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
            self.submit(spec, ack, body, view)

        handle_submission.__name__ = f"handle_{spec.action.value}_submission"
        app.view(spec.view_id.value)(handle_submission)

    def submit(self, spec: FlowSpec, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """The one skeleton every owner flow's submission runs (see the module's docstring). The
        modal's answers (errors, refusals) are in the submitter's language; what is posted in the
        case channel, in the team's (DEFAULT_LOCALE)."""
        with speaking(self.components.people.locale(body["user"]["id"])):
            done = self._check_and_apply(spec, ack, body, view)
        if done is None:
            return
        sub, answers, case = done
        spec.before(sub, answers, case)
        self.components.after_change(case, spec.announce(sub, answers, case))
        spec.then(sub, answers, case)

    def _check_and_apply(
        self, spec: FlowSpec, ack: Ack, body: dict[str, Any], view: dict[str, Any]
    ) -> tuple[Submission, Answers, Escalation] | None:
        sub = read_submission(self, body, view, spec.action)
        if sub is None:
            ack()
            return None
        refusal = sub.refusal
        if refusal and spec.refusal_notice:
            self._refuse_with_notice(ack, _(spec.refusal_notice), refusal)
            return None
        answers = Answers(view, spec.questions)
        errors = {}
        for q in spec.questions:
            sentence = required_sentence(spec.action, q.id)
            if sentence and not answers.get(q.id):
                errors[q.id] = _(sentence)
        for field, problem in spec.check(sub, answers).items():
            errors.setdefault(field, problem)
        if refusal:
            errors[spec.refusal_field] = refusal
        if errors:
            ack(response_action="errors", errors=errors)
            return None
        try:
            case = spec.apply(sub, answers)
        except ActionRefused as exc:
            if spec.refusal_notice:
                self._refuse_with_notice(ack, _(spec.refusal_notice), str(exc))
            else:
                ack(response_action="errors", errors={spec.refusal_field: str(exc)})
            return None
        ack()
        return sub, answers, case

    @staticmethod
    def _refuse_with_notice(ack: Ack, title: str, text: str) -> None:
        ack(response_action="update", view=render_view("notice_modal.json.j2", title=title, text=text))


class DirectAnswer(Respond):
    """An answer for a click with no response_url (the Home tab): a message in the app's DM."""

    def __init__(self, client: WebClient, user_id: str) -> None:
        super().__init__(response_url=None)
        self.client = client
        self.user_id = user_id

    def __call__(self, text: str = "", blocks: Any = None, **_: Any) -> Any:  # type: ignore[override]
        return self.client.chat_postMessage(channel=self.user_id, text=text, blocks=blocks)


def in_their_language(people: People) -> Callable[[ListenerT], ListenerT]:
    """A listener whose answers (ephemeral, modals) are in the Slack language of the person who
    acted. Bolt passes arguments by name: the listener must take `body`. The person is looked up
    at the first sentence written, so after the listener has answered Slack."""

    def decorate(listener: ListenerT) -> ListenerT:
        @functools.wraps(listener)
        def in_language(*args: Any, **kwargs: Any) -> Any:
            body = kwargs.get("body") or {}
            # An interaction names `user`; a slash command, `user_id`.
            user_id = (body.get("user") or {}).get("id") or body.get("user_id")
            with speaking(lambda: people.locale(user_id)):
                return listener(*args, **kwargs)

        return cast(ListenerT, in_language)

    return decorate


def answer_privately(respond: Respond, client: WebClient, user_id: str) -> Respond:
    return respond if respond.response_url else DirectAnswer(client, user_id)


def say(respond: Respond, text: str) -> None:
    """An answer only the person who acted sees."""
    message = render_message("notice.json.j2", text=text)
    respond(text=message.text, blocks=message.blocks, response_type="ephemeral", replace_original=False)


def open_modal(start: FlowStart, template: str, **context: Any) -> None:
    view = render_view(template, **context)
    start.client.views_open(trigger_id=start.trigger_id, view=view)


def parse_ref(view: dict[str, Any]) -> CaseRef | None:
    try:
        return CaseRef.from_view(view)
    except ValidationError:
        return None


def open_case_modal(
    start: FlowStart, template: str, view_id: ViewId, field: type, ref: CaseRef | None = None, **context: Any
) -> None:
    """A flow's modal for the case it was started on (`ref`: its metadata, if more than the case)."""
    open_modal(
        start,
        template,
        callback_id=view_id.value,
        metadata=(ref or CaseRef(case_id=start.case.id or 0)).dump(),
        case=case_context(start.case),
        field=field,
        # The flow's words (flows/<flow>.yml), for the template to show.
        words=shown_words(start.action) if start.action in FLOW_WORDS else None,
        **context,
    )


class Kind(StrEnum):
    """How a question's answer is read from Slack's view state."""

    TEXT = "text"
    CHOICE = "choice"  # radio buttons or a static select: the selected value
    CHOICES = "choices"  # checkboxes: the selected values
    USER = "user"
    TIME = "time"  # a datetimepicker (UNIX time, picked in the person's own zone)
    CHANNEL = "channel"  # a conversations select: the channel's id
    ACCOUNTS = "accounts"  # a multi external select over the account directory: the names


@dataclass(frozen=True)
class Question:
    id: str
    kind: Kind = Kind.TEXT
    # Whether it may be left empty, and what to say then: the flow's file (flows/<flow>.yml).


class Answers:
    """A submitted modal's answers, by question id; a flow's checks may rewrite one (`replace`)."""

    def __init__(self, view: dict[str, Any], questions: tuple[Question, ...]) -> None:
        self.view = view
        self.values: dict[str, Any] = {q.id: _read(view, q) for q in questions}

    def text(self, question: str) -> str:
        return str(self.values.get(question) or "")

    def get(self, question: str) -> Any:
        return self.values.get(question)

    def replace(self, question: str, value: Any) -> None:
        self.values[question] = value


def _read(view: dict[str, Any], question: Question) -> Any:
    if question.kind == Kind.TEXT:
        return text_value(view, question.id)
    if question.kind == Kind.CHOICE:
        return option_value(view, question.id)
    if question.kind in (Kind.CHOICES, Kind.ACCOUNTS):
        return [o.get("value") for o in field_value(view, question.id).get("selected_options") or []]
    if question.kind == Kind.USER:
        return field_value(view, question.id).get("selected_user")
    if question.kind == Kind.CHANNEL:
        return field_value(view, question.id).get("selected_conversation")
    return selected_time(field_value(view, question.id))


@dataclass
class Submission:
    """A submitted flow modal: its case, who submitted it, and whether they still may."""

    ref: CaseRef
    case: Escalation
    actor: str
    refusal: str | None


def read_submission(
    flows: CaseFlows, body: dict[str, Any], view: dict[str, Any], action: Action
) -> Submission | None:
    ref = parse_ref(view)
    if ref is None:
        return None
    case = get_case(flows.components.engine, ref.case_id)
    actor = body["user"]["id"]
    return Submission(ref, case, actor, flows.refusal(case, actor, action))


Hook = Callable[["Submission", Answers, Escalation], None]


def _nothing(sub: Submission, answers: Answers, case: Escalation) -> None:
    return None


def _no_checks(sub: Submission, answers: Answers) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class FlowSpec:
    """One owner flow's submission, as data and small functions (run by CaseFlows.submit)."""

    action: Action
    view_id: ViewId
    questions: tuple[Question, ...]
    # Where a refusal (not allowed, wrong state, the change refused) is shown.
    refusal_field: str
    apply: Callable[[Submission, Answers], Escalation]
    announce: Callable[[Submission, Answers, Escalation], Message]
    # The flow's own checks beyond "required": {field: problem}. May rewrite answers.
    check: Callable[[Submission, Answers], dict[str, str]] = _no_checks
    # Before the announcement (the channel must exist to post in) and after it.
    before: Hook = _nothing
    then: Hook = _nothing
    # Refusals shown as a notice in place of the modal, titled so, rather than next to a field.
    refusal_notice: str | None = None


def promise_check(
    flows: CaseFlows,
    *,
    time_field: str,
    text_field: str,
    writer: Callable[[Submission], str],
) -> Callable[[Submission, Answers], dict[str, str]]:
    """A new promise's checks: the time allowed (the settings' rules), and the customer's text
    promising that time (the drafted phrase follows the picker; another time typed is refused).
    `writer`: whose timezone the text's times are read in."""

    def check(sub: Submission, answers: Answers) -> dict[str, str]:
        now = datetime.now(UTC)
        promise = answers.get(time_field)
        problem = promise_problem(promise, now, flows.components.promise_rules(sub.case.severity))
        if problem:
            return {time_field: problem}
        text = answers.text(text_field)
        if promise is None or not text:
            return {}
        if sub.ref.drafted is not None:
            zone_name = sub.ref.zone
            with speaking(sub.ref.locale or "en"):
                text = with_promised_time(text, promise, zone_name, now, drafted=sub.ref.drafted)
        else:
            zone_name = zone_of(flows.components.people.cached(writer(sub)))
            text = with_promised_time(text, promise, zone_name, now)
        answers.replace(text_field, text)
        mismatch = promise_text_problem(text, promise, zone_name, now)
        return {text_field: mismatch} if mismatch else {}

    return check


def apply_or_refuse(ack: Ack, block_id: str, change: Callable[[], Escalation]) -> Escalation | None:
    """Make the change and close the modal, or show why not next to `block_id`."""
    try:
        case = change()
    except ActionRefused as exc:
        ack(response_action="errors", errors={block_id: str(exc)})
        return None
    ack()
    return case

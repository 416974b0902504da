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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ValidationError
from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from assistant.components import Components
from assistant.content.customer_time import customer_time_phrase
from assistant.content.flow_files import FlowBook, Question
from assistant.content.i18n import _, speaking
from assistant.domain.communications import promise_text_problem, with_promised_time
from assistant.domain.events import EventKind
from assistant.domain.lifecycle import (
    FlowRules,
    Role,
    permission_refusal,
    promise_problem,
    roles_of,
    state_refusal,
)
from assistant.domain.sentences import Sentence
from assistant.models import Escalation
from assistant.presenters.case_context import case_context
from assistant.rendering.escape import mention
from assistant.rendering.render import Message, render_message, render_view
from assistant.services.cases import CaseNotFound, get_case
from assistant.services.events import add_event
from assistant.services.lifecycle import ActionRefused
from assistant.slack.client import QUICK_ERRORS, SLACK_ERRORS, error_code
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
    # The RCA modal: how many action item rows of each kind it shows ("Add another" adds one).
    rows: dict[str, int] | None = None
    # The affected accounts modal: the accounts it showed as listed (their ids).
    shown: list[int] | None = None

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
    # The flow being opened (its name: flows/<name>.yml).
    flow: str = ""
    # What the form starts from, said in chat ("next_update": a Unix time, "new_owner": a user id).
    prefill: Mapping[str, str] = field(default_factory=dict)

    def prefilled_time(self) -> datetime | None:
        """The next update's time said in chat, if it is still to come (else the form's own)."""
        raw = self.prefill.get("next_update", "")
        if not raw.isdigit():
            return None
        moment = datetime.fromtimestamp(int(raw), UTC)
        return moment if moment > datetime.now(UTC) else None


Opener = Callable[[FlowStart], None]


@dataclass(frozen=True)
class RowBlocks:
    """The block ids of a repeated row of a form (an RCA's action item, a step of the action plan):
    what, who, by when, and whether it is done."""

    prefix: str

    @property
    def description(self) -> str:
        return f"{self.prefix}_description"

    @property
    def owner(self) -> str:
        return f"{self.prefix}_owner"

    @property
    def due(self) -> str:
        return f"{self.prefix}_due"

    @property
    def done(self) -> str:
        return f"{self.prefix}_done"


def selected_time(element: dict[str, Any]) -> datetime | None:
    """A datetimepicker's value: Slack sends a UNIX time, picked in the user's own zone."""
    value = element.get("selected_date_time")
    return datetime.fromtimestamp(int(value), UTC) if value else None


def field_value(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    """The state of the input block `block_id` (whose action id is the same, but for a draft
    replaced by a response template: a new action id, so that Slack shows the new text)."""
    entries = view["state"]["values"].get(block_id, {})
    found = entries.get(block_id)
    if found is None and len(entries) == 1:
        found = next(iter(entries.values()))
    return found or {}


def text_value(view: dict[str, Any], block_id: str) -> str:
    return (field_value(view, block_id).get("value") or "").strip()


def option_value(view: dict[str, Any], block_id: str) -> str | None:
    return (field_value(view, block_id).get("selected_option") or {}).get("value")


class CaseFlows:
    """The registry of owner flows, and the one door into them."""

    def __init__(self, components: Components) -> None:
        self.components = components
        self.book: FlowBook = components.content.flows
        self.openers: dict[str, Opener] = {}
        self.specs: dict[str, FlowSpec] = {}

    def register(self, flow: str, opener: Opener) -> None:
        self.openers[flow] = opener

    def rules(self, flow: str) -> FlowRules:
        return self.book.rules(flow)

    def refusal(self, case: Escalation, actor_id: str, flow: str) -> str | None:
        """Why `actor_id` may not run `flow` on `case` now (in the reader's language), or None."""
        rules = self.book.rules(flow)
        owner = mention(case.owner_id)
        refusal = permission(
            self.components, case, actor_id, lambda roles: permission_refusal(rules, roles, owner)
        )
        refusal = refusal or state_refusal(case.key, case.status, rules)
        return _(refusal) if refusal else None

    def start(
        self,
        *,
        client: WebClient,
        respond: Respond,
        case_id: int,
        flow: str,
        actor_id: str,
        trigger_id: str,
    ) -> None:
        # The modal, or why not, in the language of the person who asked.
        with speaking(self.components.people.locale(actor_id)):
            try:
                case = get_case(self.components.engine, case_id)
            except CaseNotFound:
                say(respond, _("case_flow.case_no_longer_exists"))
                return
            refusal = self.refusal(case, actor_id, flow)
            if refusal:
                say(respond, refusal)
                return
            start = FlowStart(self.components, client, case, actor_id, trigger_id, respond, flow)
            self.openers[flow](start)

    def on_submit(self, spec: FlowSpec) -> None:
        """Run `spec` when its modal is submitted (wired to Slack with the entry points)."""
        self.specs[spec.flow] = spec

    def submit(self, spec: FlowSpec, ack: Ack, sub: Submission, answers: Answers) -> None:
        """The one skeleton every owner flow's submission runs (see the module's docstring), once
        middleware has read the case, the submitter and the form. The modal's answers (errors,
        refusals) are in the submitter's language; what is posted in the case channel, in the
        team's (DEFAULT_LOCALE)."""
        with speaking(self.components.people.locale(sub.actor)):
            case = self._check_and_apply(spec, ack, sub, answers)
        if case is not None:
            self._announce(spec, sub, answers, case)

    def _announce(self, spec: FlowSpec, sub: Submission, answers: Answers, case: Escalation) -> None:
        """What follows a change made: the flow's hooks around the case channel told and the case
        shown as it is now."""
        spec.before(sub, answers, case)
        self.components.after_change(case, spec.announce(sub, answers, case))
        spec.then(sub, answers, case)

    def _problems(self, spec: FlowSpec, sub: Submission, answers: Answers) -> dict[str, str]:
        """Each question's problem: a required one asked and left empty, then the flow's own checks."""
        errors = {}
        asked = answers.view["state"]["values"]  # a question the form did not show is not asked
        for q in self.book.questions(spec.flow):
            if q.required and q.id in asked and not answers.get(q.id):
                errors[q.id] = _(q.required)
        for question, problem in spec.check(sub, answers).items():
            errors.setdefault(question, problem)
        return errors

    def _check_and_apply(
        self, spec: FlowSpec, ack: Ack, sub: Submission, answers: Answers
    ) -> Escalation | None:
        refusal = sub.refusal
        if refusal and spec.refusal_notice:
            self._refuse_with_notice(ack, _(spec.refusal_notice), refusal)
            return None
        errors = self._problems(spec, sub, answers)
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
        return case

    def run_given(
        self, flow: str, case: Escalation, actor: str, values: dict[str, Any], ref: CaseRef | None = None
    ) -> tuple[Escalation | None, dict[str, str]]:
        """A flow run from data rather than its modal (a Workflow Builder step): the same
        permissions, states, checks, change and announcement as its modal's submission. The
        changed case, or the problems by question id (in the language in effect)."""
        spec = self.specs[flow]
        sub = Submission(
            ref or CaseRef(case_id=case.id or 0), case, actor, self.refusal(case, actor, flow),
            self.rules(flow), self.components,
        )  # fmt: skip
        if sub.refusal:
            return None, {spec.refusal_field: sub.refusal}
        answers = Answers.given(values, self.book.questions(flow))
        errors = self._problems(spec, sub, answers)
        if errors:
            return None, errors
        try:
            changed = spec.apply(sub, answers)
        except ActionRefused as exc:
            return None, {spec.refusal_field: str(exc)}
        self._announce(spec, sub, answers, changed)
        return changed, {}

    @staticmethod
    def _refuse_with_notice(ack: Ack, title: str, text: str) -> None:
        ack(response_action="update", view=render_view("notice_modal.json.j2", title=title, text=text))


def permission(
    components: Components,
    case: Escalation,
    actor_id: str,
    rule: Callable[[frozenset[Role]], Sentence | None],
    *,
    item_owner_id: str | None = None,
) -> Sentence | None:
    """What `rule` says of the actor's roles on the case (admin looked up only when it matters)."""
    roles = roles_of(
        actor_id,
        owner_id=case.owner_id,
        reporter_id=case.reporter_id,
        manager_ids=managers_of(components, case),
        is_admin=False,
        involved=actor_id in case.participants,
        item_owner=actor_id == item_owner_id,
    )
    problem = rule(roles)
    if problem and is_admin(components, actor_id):
        problem = rule(roles | {Role.ADMIN})
    return problem


def managers_of(components: Components, case: Escalation) -> frozenset[str]:
    """Who manages the case: the escalation managers, and its owner's own manager (a missed
    promise escalates to both, and both may act on it)."""
    settings = components.settings
    owners_manager = settings.managers_of_owners.get(case.owner_id)
    return frozenset(settings.escalation_manager_ids) | ({owners_manager} if owners_manager else set())


def is_admin(components: Components, user_id: str) -> bool:
    try:
        return components.people.get(user_id, components.quick_client).is_admin
    except QUICK_ERRORS as exc:
        logger.warning("could not look up %s (%s); treating as not an admin", user_id, error_code(exc))
        return False


def note_failure(components: Components, case: Escalation, what: str, error: str) -> None:
    """A Slack call that failed past its retries: logged and kept on the timeline, never dropped."""
    logger.warning("%s: %s failed (%s)", case.key, what, error)
    add_event(components.engine, case.id or 0, EventKind.SLACK_CALL_FAILED, what=what, error=error)


def best_effort(components: Components, case: Escalation, what: str, call: Callable[[], object]) -> None:
    """A Slack call the case does not depend on: retried by the client, then noted if it still fails."""
    try:
        call()
    except SLACK_ERRORS as exc:
        note_failure(components, case, what, error_code(exc))


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
    start: FlowStart, template: str, field: type, ref: CaseRef | None = None, **context: Any
) -> None:
    """A flow's modal for the case it was started on (`ref`: its metadata, if more than the case)."""
    view = case_modal_view(start, template, field, ref, **context)
    start.client.views_open(trigger_id=start.trigger_id, view=view)


def case_modal_view(
    start: FlowStart, template: str, field: type, ref: CaseRef | None = None, **context: Any
) -> dict[str, Any]:
    """The view of a flow's modal (opened, or redrawn in place with views.update)."""
    return render_view(
        template,
        callback_id=start.flow,
        metadata=(ref or CaseRef(case_id=start.case.id or 0)).dump(),
        case=case_context(start.case),
        field=field,
        words=flow_words(start.components.content.flows, start.flow),
        **context,
    )


def flow_words(book: FlowBook, flow: str) -> dict[str, Any]:
    """A flow's modal words in the reader's language, for its template (the title keeps %(key)s):
    each question's label, hint, placeholder, length, whether it may be left empty, and the
    questions a team added (shown after the flow's own, each as its type says)."""
    definition = book[flow]
    questions = {q.id: q for q in book.questions(flow)}
    fields = {
        field_id: {
            "id": field_id,
            "type": questions[field_id].type,
            "label": _(entry.label),
            "hint": _(entry.hint) if entry.hint else None,
            "placeholder": _(entry.placeholder) if entry.placeholder else None,
            "max_length": entry.max_length or 3000,
            "optional": not entry.required,
        }
        for field_id, entry in definition.fields.items()
    }
    return {
        "title": _(definition.title) if definition.title else "",
        "submit": _(definition.submit) if definition.submit else "",
        "fields": fields,
        "teams": [fields[q.id] for q in questions.values() if q.teams],
    }


class Kind(StrEnum):
    """How a question's answer is read from Slack's view state (by its type in the flow's file)."""

    TEXT = "text"
    CHOICE = "choice"  # radio buttons or a static select: the selected value
    CHOICES = "choices"  # checkboxes: the selected values
    USER = "user"
    TIME = "time"  # a datetimepicker (UNIX time, picked in the person's own zone)
    CHANNEL = "channel"  # a conversations select: the channel's id
    ACCOUNTS = "accounts"  # a multi external select over the account directory: the names


KINDS = {"text": Kind.TEXT, "long_text": Kind.TEXT}


def kind_of(question: Question) -> Kind:
    return KINDS.get(question.type) or Kind(question.type)


class Answers:
    """A submitted modal's answers, by question id; a flow's checks may rewrite one (`replace`)."""

    def __init__(self, view: dict[str, Any], questions: tuple[Question, ...]) -> None:
        self.view = view
        self.values: dict[str, Any] = {q.id: _read(view, q) for q in questions}
        self.team_ids = tuple(q.id for q in questions if q.teams)

    @classmethod
    def given(cls, values: dict[str, Any], questions: tuple[Question, ...]) -> Answers:
        """Answers given as data (a Workflow Builder step) rather than read from a modal: as if
        from a modal that asked only these questions."""
        answers = cls({"state": {"values": {}}}, ())
        answers.view = {"state": {"values": {q: {} for q in values}}}
        answers.values = {q.id: values.get(q.id) for q in questions}
        answers.team_ids = tuple(q.id for q in questions if q.teams)
        return answers

    def text(self, question: str) -> str:
        return str(self.values.get(question) or "")

    def get(self, question: str) -> Any:
        return self.values.get(question)

    def replace(self, question: str, value: Any) -> None:
        self.values[question] = value

    def teams(self) -> dict[str, Any]:
        """The answers to a team's own questions (kept on the timeline), as stored: times in UTC."""
        found = {q: self.values.get(q) for q in self.team_ids}
        return {q: v.isoformat() if isinstance(v, datetime) else v for q, v in found.items() if v}


def _read(view: dict[str, Any], question: Question) -> Any:
    kind = kind_of(question)
    if kind == Kind.TEXT:
        return text_value(view, question.id)
    if kind == Kind.CHOICE:
        return option_value(view, question.id)
    if kind in (Kind.CHOICES, Kind.ACCOUNTS):
        return [o.get("value") for o in field_value(view, question.id).get("selected_options") or []]
    if kind == Kind.USER:
        return field_value(view, question.id).get("selected_user")
    if kind == Kind.CHANNEL:
        return field_value(view, question.id).get("selected_conversation")
    return selected_time(field_value(view, question.id))


@dataclass
class Submission:
    """A submitted flow modal: its case, who submitted it, and whether they still may."""

    ref: CaseRef
    case: Escalation
    actor: str
    refusal: str | None
    # The flow's rules (its file): what its service re-checks under the case's lock.
    rules: FlowRules
    # The app's parts, for the flow's hooks.
    components: Components


def read_submission(flows: CaseFlows, actor: str, view: dict[str, Any], flow: str) -> Submission | None:
    """A flow's submitted modal: its case, its submitter, and whether they still may (None: the
    modal names no case, or the case no longer exists)."""
    ref = parse_ref(view)
    if ref is None:
        return None
    try:
        case = get_case(flows.components.engine, ref.case_id)
    except CaseNotFound:
        return None
    return Submission(ref, case, actor, flows.refusal(case, actor, flow), flows.rules(flow), flows.components)


Hook = Callable[["Submission", Answers, Escalation], None]


def _nothing(sub: Submission, answers: Answers, case: Escalation) -> None:
    return None


def _no_checks(sub: Submission, answers: Answers) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class FlowSpec:
    """One owner flow's submission, as data and small functions (run by CaseFlows.submit)."""

    # Its name (flows/<flow>.yml): its questions, its modal's callback id, its rules.
    flow: str
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
        problem = promise_problem(promise, now, sub.components.promise_rules(sub.case.severity))
        if problem:
            return {time_field: _(problem)}
        text = answers.text(text_field)
        if promise is None or not text:
            return {}
        if sub.ref.drafted is not None:
            zone_name = sub.ref.zone
            with speaking(sub.ref.locale or "en"):
                chosen = customer_time_phrase(promise, zone_name, now)
            text = with_promised_time(text, promise, zone_name, now, drafted=sub.ref.drafted, chosen=chosen)
        else:
            zone_name = zone_of(sub.components.people.cached(writer(sub)))
            text = with_promised_time(text, promise, zone_name, now)
        answers.replace(text_field, text)
        mismatch = promise_text_problem(text, promise, zone_name, now)
        return {text_field: _(mismatch)} if mismatch else {}

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


def redraw_in_place(
    components: Components,
    client: WebClient,
    body: dict[str, Any],
    redraw: Callable[[FlowStart, CaseRef], dict[str, Any] | None],
) -> None:
    """A flow's open modal redrawn in place (an "Add another", a template chosen): its case read
    again, `redraw` run in the person's language, the view updated with its hash. A second click on
    a form already redrawn (hash_conflict), or a closed form, loses nothing: they click again."""
    view = body.get("view") or {}
    ref = parse_ref(view)
    if ref is None:
        return
    actor = body["user"]["id"]
    try:
        case = get_case(components.engine, ref.case_id)
    except CaseNotFound:
        return
    flow = str(view.get("callback_id") or "")
    with speaking(components.people.locale(actor)):
        start = FlowStart(components, client, case, actor, "", DirectAnswer(client, actor), flow)
        redrawn = redraw(start, ref)
    if redrawn is None:
        return
    try:
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=redrawn)
    except SLACK_ERRORS as exc:
        logger.info("%s: the %s form was not redrawn (%s)", case.key, flow, error_code(exc))

"""What a case's button and a flow's modal need before their own work, done once as listener
middleware (as Netflix Dispatch does): the click acknowledged, the case found ("no longer
exists" otherwise), the flow named, who may run it now checked, and the answer sent to the
right place, in the actor's language. The listener is then its work and nothing else: it takes
`case`, `flow` and `answer` (a private answer to the actor) by name from the context.

The other buttons on a case (a reminder's snooze, an action item done, the satisfaction form…)
do one task there rather than open a flow: `case_task` does the same for them, the task's
permission (domain.lifecycle's table) in place of the flow's, and injects `case`, `answer` and
what the button's value pointed to besides."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, BoltContext, BoltResponse, Respond
from slack_sdk import WebClient

from assistant.components import Components
from assistant.content.i18n import N_, _, speaking
from assistant.domain.lifecycle import Task
from assistant.listeners.case_flow import Answers, CaseFlows, answer_privately, read_submission, refused, say
from assistant.services.cases import CaseNotFound, get_case

CASE_GONE = N_("That case no longer exists.")


def case_button(
    flows: CaseFlows, *, flow_of: Callable[[dict[str, Any]], tuple[str, str]]
) -> Callable[..., BoltResponse | None]:
    """Middleware for a button (or menu option) that opens a flow on a case: `flow_of(action)`
    gives (flow name, case id as text)."""
    people = flows.components.people

    def load_case_and_check(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        respond: Respond,
        context: BoltContext,
        next: Callable[[], None],  # noqa: A002 - Bolt's name
    ) -> BoltResponse | None:
        acknowledged = ack()  # what Slack is answered, also when the listener is not run
        actor = body["user"]["id"]
        answer = answer_privately(respond, client, actor)
        flow, case_id = flow_of(action)
        with speaking(people.locale(actor)):
            if flow not in flows.openers:
                flow = flows.book.named(flow) or ""  # a card posted before flows had names
            if flow not in flows.openers:
                say(answer, _("That menu item is not available any more."))
                return acknowledged
            if not case_id.isdigit():
                say(answer, _("That button no longer points to a case."))
                return acknowledged
            try:
                case = get_case(flows.components.engine, int(case_id))
            except CaseNotFound:
                say(answer, _(CASE_GONE))
                return acknowledged
            refusal = flows.refusal(case, actor, flow)
            if refusal:
                say(answer, refusal)
                return acknowledged
        context["case"], context["flow"], context["answer"] = case, flow, answer
        next()
        return None

    return load_case_and_check


def flow_form(flows: CaseFlows, flow: str) -> Callable[..., BoltResponse | None]:
    """Middleware for a flow's modal submission: the case it is about, the submitter and whether
    they still may (`submission`), and the answers read as the flow's file declares them (`form`)."""
    people = flows.components.people

    def read_form(
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        context: BoltContext,
        next: Callable[[], None],  # noqa: A002 - Bolt's name
    ) -> BoltResponse | None:
        actor = body["user"]["id"]
        with speaking(people.locale(actor)):
            submission = read_submission(flows, actor, view, flow)
            if submission is None:  # the case is gone: the modal closes, nothing is applied
                return ack()
        context["submission"] = submission
        context["form"] = Answers(view, flows.book.questions(flow))
        next()
        return None

    return read_form


@dataclass(frozen=True)
class Pointer:
    """What a button's value points to: its case, and what its listener takes besides."""

    case_id: int
    # Said (translated) when the case is not found.
    gone: str = CASE_GONE
    # Whose item the task is about (an RCA action item's owner may mark it done).
    item_owner_id: str | None = None
    # Given to the listener by name, with `case` and `answer`.
    extra: Mapping[str, Any] = field(default_factory=dict)


# Reads a button's value: what it points to, or the sentence (marked with N_) saying it points
# nowhere now.
PointerReader = Callable[[Components, str], Pointer | str]


def case_in_value(components: Components, value: str) -> Pointer | str:
    """The usual button: its value is the case's id."""
    return Pointer(int(value)) if value.isdigit() else CASE_GONE


def case_task(
    components: Components, task: Task | None, *, points_to: PointerReader = case_in_value
) -> Callable[..., BoltResponse | None]:
    """Middleware for a button that does `task` on a case: the click acknowledged, the button's
    value read (`points_to`), the case found, whether the actor may do `task` checked (None: the
    listener's own rules decide), each refusal said privately in the actor's language. The
    listener takes `case`, `answer` and the pointer's `extra` by name."""
    people = components.people

    def load_case_and_check(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        respond: Respond,
        context: BoltContext,
        next: Callable[[], None],  # noqa: A002 - Bolt's name
    ) -> BoltResponse | None:
        acknowledged = ack()  # what Slack is answered, also when the listener is not run
        actor = body["user"]["id"]
        answer = answer_privately(respond, client, actor)
        # The person's language is looked up only if a refusal is written.
        with speaking(lambda: people.locale(actor)):
            pointer = points_to(components, str(action.get("value") or ""))
            if not isinstance(pointer, Pointer):
                say(answer, _(pointer))
                return acknowledged
            try:
                case = get_case(components.engine, pointer.case_id)
            except CaseNotFound:
                say(answer, _(pointer.gone))
                return acknowledged
            if task is not None and refused(
                components, answer, case, actor, task, item_owner_id=pointer.item_owner_id
            ):
                return acknowledged
        context["case"], context["answer"] = case, answer
        for name, value in pointer.extra.items():
            context[name] = value
        next()
        return None

    return load_case_and_check

"""What a button about a case and a flow's modal need before their own work, written once (as
Netflix Dispatch does with its middleware), so that each listener is its work and nothing else.

A button (a flow's, on the card, in the owner's DM or a reminder; a task's, like a snooze or an
action item done) is wrapped by `on_a_case`: the click acknowledged first, what it points to
read, the case found ("no longer exists" otherwise), who may checked (the flow's rules from its
file, or the task's permission), each refusal said privately in the actor's language; the
listener then takes `case`, `answer` (its private answer), `flow` or what the button pointed to
besides, by name. It runs in Bolt's listener thread, after Slack has its answer.

A flow's modal submission goes through `flow_form`, Bolt listener middleware (a submission is
answered with its errors, so the case is read before Slack's answer in any case): the case, the
submitter and whether they still may (`submission`), and the answers as the flow's file declares
them (`form`)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import Ack, BoltContext, BoltResponse, Respond
from slack_sdk import WebClient

from assistant.components import Components
from assistant.content.i18n import N_, _, speaking
from assistant.domain.lifecycle import Task, task_refusal
from assistant.domain.sentences import Sentence
from assistant.listeners.case_flow import (
    Answers,
    CaseFlows,
    answer_privately,
    permission,
    read_submission,
    say,
)
from assistant.models import Escalation
from assistant.rendering.escape import mention
from assistant.services.cases import CaseNotFound, get_case

CASE_GONE = N_("case_middleware.case_no_longer_exists")
# What a card posted before flows were named by their files put in its "More" menu, where that
# differs from the flow's name (fixed: a team's verbs do not change what an old card meant).
OLD_MENU_VALUES = {"ack": "acknowledge", "update": "post_update", "accounts": "affected_accounts"}


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


Work = Callable[..., None]


def on_a_case(
    components: Components,
    points_to: Callable[[Components, dict[str, Any]], Pointer | str],
    check: Callable[[Escalation, str, Pointer], Sentence | str | None] | None,
) -> Callable[[Work], Callable[..., None]]:
    """Wraps a listener for a button (or menu option) about a case: the click acknowledged
    first, what it points to read (`points_to`: a Pointer, or the sentence saying it points
    nowhere now), the case found, `check` asked whether the actor may (a refusal, or None), each
    refusal said privately in the actor's language. Then the listener's own work, which takes by
    name what it needs of `body`, `action`, `client`, `case`, `answer` (the private answer) and the
    pointer's `extra`. It runs in Bolt's listener thread, after Slack has its answer: Bolt's own
    middleware runs before Slack is answered, so a lookup there would keep Slack waiting."""
    people = components.people

    def wrap(work: Work) -> Callable[..., None]:
        wanted = set(inspect.signature(work).parameters)

        def on_the_case(
            ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
        ) -> None:
            ack()
            actor = body["user"]["id"]
            answer = answer_privately(respond, client, actor)
            # The person's language is looked up only if a refusal is written.
            with speaking(lambda: people.locale(actor)):
                pointer = points_to(components, action)
                if not isinstance(pointer, Pointer):
                    say(answer, _(pointer))
                    return
                try:
                    case = get_case(components.engine, pointer.case_id)
                except CaseNotFound:
                    say(answer, _(pointer.gone))
                    return
                refusal = check(case, actor, pointer) if check is not None else None
                if refusal:  # the flow's rules answer in words already; a task's, with a Sentence
                    say(answer, refusal if isinstance(refusal, str) else _(refusal))
                    return
            given = {"body": body, "action": action, "client": client, "case": case, "answer": answer}
            given |= pointer.extra
            work(**{name: value for name, value in given.items() if name in wanted})

        on_the_case.__name__ = work.__name__  # Bolt names the listener in its logs
        return on_the_case

    return wrap


def case_task(
    components: Components, task: Task | None, *, points_to: PointerReader = case_in_value
) -> Callable[[Work], Callable[..., None]]:
    """A button that does `task` on a case (None: the listener's own rules decide): the task's
    permission (domain.lifecycle's table) checked."""

    def may(case: Escalation, actor: str, pointer: Pointer) -> Sentence | None:
        assert task is not None
        return permission(
            components,
            case,
            actor,
            lambda roles: task_refusal(
                task,
                roles,
                owner_name=mention(case.owner_id),
                key=case.key,
                item_owner_name=mention(pointer.item_owner_id) if pointer.item_owner_id else "",
            ),
            item_owner_id=pointer.item_owner_id,
        )

    return on_a_case(
        components,
        lambda parts, action: points_to(parts, str(action.get("value") or "")),
        may if task is not None else None,
    )


def case_button(
    flows: CaseFlows, *, flow_of: Callable[[dict[str, Any]], tuple[str, str]]
) -> Callable[[Work], Callable[..., None]]:
    """A button (or menu option) that opens a flow on a case: `flow_of(action)` gives (flow name,
    case id as text); the flow's rules checked; the listener also takes `flow`."""

    def points_to(components: Components, action: dict[str, Any]) -> Pointer | str:
        flow, value = flow_of(action)
        # An order understood in chat: its form starts from what was said ("42?next_update=…").
        case_id, _question, query = value.partition("?")
        flow = OLD_MENU_VALUES.get(flow, flow)  # a card posted before flows had names
        if flow not in flows.openers:
            return N_("case_middleware.menu_item_not_available_any_more")
        if not case_id.isdigit():
            return N_("case_middleware.button_no_longer_points_case")
        return Pointer(int(case_id), extra={"flow": flow, "prefill": dict(parse_qsl(query))})

    def may(case: Escalation, actor: str, pointer: Pointer) -> str | None:
        return flows.refusal(case, actor, str(pointer.extra["flow"]))

    return on_a_case(flows.components, points_to, may)

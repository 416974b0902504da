"""An owner flow's hooks called directly, as CaseFlows.submit calls them: a real app's parts and
database, a case stored as intake stores it, and answers shaped as Slack sends a modal's state.
No request reaches the app over HTTP; what is asserted is what the person would be shown. So is
the prologue a case's task buttons share (case_middleware.case_task)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt import Respond

from assistant.components import Components
from assistant.domain.lifecycle import Task
from assistant.listeners import acknowledge, classify, close, reassign
from assistant.listeners.case_flow import Answers, CaseRef, Submission
from assistant.listeners.case_middleware import case_task
from assistant.listeners.reminders import snooze_in_value
from assistant.models import Escalation
from tests.harness import BOT, EXEC, MANAGER, OWNER
from tests.parts import Answered
from tests.stories import store_cases

# One entry of Slack's view.state.values (slack_standin/sender.py view_state), by element type.
Entry = dict[str, Any]


def text(value: str) -> Entry:
    return {"type": "plain_text_input", "value": value or None}


def choice(value: str) -> Entry:
    return {
        "type": "static_select",
        "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}},
    }


def checked(*values: str) -> Entry:
    return {
        "type": "checkboxes",
        "selected_options": [{"value": v, "text": {"type": "plain_text", "text": v}} for v in values],
    }


def user(user_id: str | None) -> Entry:
    return {"type": "users_select", "selected_user": user_id}


def moment(at: datetime) -> Entry:
    return {"type": "datetimepicker", "selected_date_time": int(at.timestamp())}


def stored_case(components: Components) -> Escalation:
    """A new technical, critical case owned by OWNER, stored as intake stores it (no Slack)."""
    return store_cases(components.engine, 1, owner=OWNER)[0]


def submitted(
    components: Components, flow: str, case: Escalation, actor: str, **state: Entry
) -> tuple[Submission, Answers]:
    """`flow`'s modal on `case` submitted by `actor` with these inputs (block id = action id)."""
    view = {"state": {"values": {block: {block: entry} for block, entry in state.items()}}}
    book = components.content.flows
    sub = Submission(CaseRef(case_id=case.id or 0), case, actor, None, book.rules(flow), components)
    return sub, Answers(view, book.questions(flow))


def test_reassign_refuses_a_bot_and_the_current_owner(components: Components) -> None:
    case = stored_case(components)
    checks = reassign.SPEC.check

    assert checks(*submitted(components, reassign.FLOW, case, OWNER, new_owner=user(BOT))) == {
        "new_owner": "A bot cannot be the owner; choose a person."
    }
    assert checks(*submitted(components, reassign.FLOW, case, OWNER, new_owner=user(OWNER))) == {
        "new_owner": "That person already owns this case."
    }
    assert checks(*submitted(components, reassign.FLOW, case, OWNER, new_owner=user(MANAGER))) == {}


def test_close_asks_why_there_is_no_rca_and_who_sponsors(components: Components) -> None:
    case = stored_case(components)
    checks = close.SPEC.check

    assert checks(*submitted(components, close.FLOW, case, OWNER, no_rca_reason=text(""))) == {
        "no_rca_reason": "Say why this case needs no root-cause analysis."
    }
    enrolled_alone = submitted(
        components, close.FLOW, case, OWNER, no_rca_reason=text("Settled."), sponsorship=checked("enrol")
    )
    assert checks(*enrolled_alone) == {"sponsor": "Name the executive sponsor, or untick the enrolment."}
    said_why = submitted(components, close.FLOW, case, OWNER, no_rca_reason=text("A pricing dispute."))
    assert checks(*said_why) == {}


def test_classify_needs_a_reason_when_the_category_changes(components: Components) -> None:
    case = stored_case(components)  # the CSM chose "technical" at intake
    checks = classify.SPEC.check
    chosen = {"kind": choice("functional"), "severity": choice("high"), "resolving_team": text("Identity")}

    changed = submitted(components, classify.FLOW, case, OWNER, category=choice("process"), **chosen)
    assert checks(*changed) == {
        "reason": "Say why the category changes from technical; it goes on the timeline."
    }
    kept = submitted(components, classify.FLOW, case, OWNER, category=choice("technical"), **chosen)
    assert checks(*kept) == {}
    forged = submitted(components, classify.FLOW, case, OWNER, category=choice("gossip"), **chosen)
    assert checks(*forged) == {
        "category": "Choose a category.",
        "reason": "Say why the category changes from technical; it goes on the timeline.",
    }


def test_acknowledge_refuses_a_promise_in_the_past(components: Components) -> None:
    case = stored_case(components)
    past = datetime.now(UTC) - timedelta(hours=1)
    sub, answers = submitted(
        components, acknowledge.FLOW, case, OWNER, next_update=moment(past), customer_message=text("On it.")
    )
    assert acknowledge.SPEC.check(sub, answers) == {
        "next_update": "Choose a time at least 5 minutes from now."  # MIN_PROMISE_MINUTES' default
    }


def test_acknowledge_moves_the_case_and_announces_the_promise(components: Components) -> None:
    case = stored_case(components)
    promise = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    sub, answers = submitted(
        components,
        acknowledge.FLOW,
        case,
        OWNER,
        next_update=moment(promise),
        customer_message=text("On it."),
    )
    assert acknowledge.SPEC.check(sub, answers) == {}

    acknowledged = acknowledge.SPEC.apply(sub, answers)
    assert acknowledged.status == "acknowledged" and acknowledged.acknowledged_by == OWNER
    assert acknowledged.next_update_due_at == promise

    said = json.dumps(acknowledge.SPEC.announce(sub, answers, acknowledged).blocks, ensure_ascii=False)
    assert f"<@{OWNER}> acknowledged *{case.key}* on time" in said
    assert f"<!date^{int(promise.timestamp())}^" in said


def test_a_task_button_is_refused_in_a_sentence_or_given_its_case(components: Components) -> None:
    case = stored_case(components)

    def click(wrapper: Any, actor: str, value: str) -> tuple[list[str], dict[str, Any], bool]:
        answered, given = Answered(), dict[str, Any]()

        def work(case: Escalation, answer: Respond) -> None:
            given.update(case=case, answer=answer)

        wrapper(work)(
            ack=lambda: None,
            body={"user": {"id": actor}},
            action={"value": value},
            client=components.client,
            respond=answered,
        )
        return answered.texts, given, bool(given)

    snooze = case_task(components, Task.SNOOZE, points_to=snooze_in_value)
    assert click(snooze, OWNER, "soon")[0] == ["That snooze button is not valid any more."]
    assert click(snooze, OWNER, "999:30")[0] == ["That reminder no longer exists."]

    exec_contact = case_task(components, Task.RECORD_EXEC_CONTACT)
    assert click(exec_contact, OWNER, "999")[:3:2] == (["That case no longer exists."], False)
    said, _context, went_on = click(exec_contact, EXEC, str(case.id))
    assert said == [f"Only the people on {case.key} can record the executive contact."] and not went_on

    said, context, went_on = click(exec_contact, MANAGER, str(case.id))
    assert said == [] and went_on
    assert context["case"].id == case.id and isinstance(context["answer"], Answered)

"""The lifecycle's rules as plain functions: states, permissions, promises, drafts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from assistant.content.flow_files import load_flows
from assistant.content.i18n import _
from assistant.content.registry import installed
from assistant.domain.communications import (
    acknowledgement_draft,
    default_promise,
    local_time_phrase,
)
from assistant.domain.lifecycle import (
    PromiseRules,
    Role,
    close_refusal,
    permission_refusal,
    promise_problem,
    roles_of,
    state_refusal,
)
from assistant.domain.practice import Category
from assistant.domain.sentences import Sentence
from assistant.domain.status import Status
from assistant.presenters.case_buttons import card_actions

NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)  # a Sunday
FLOWS = load_flows()


def said_in_english(sentence: Sentence | None) -> str:
    return _(sentence) if sentence is not None else ""


def test_the_state_machine() -> None:
    assert set(FLOWS.allowed(Status.NEW)) >= {"acknowledge", "reassign"}
    assert "post_update" not in FLOWS.allowed(Status.NEW)
    assert set(FLOWS.allowed(Status.CLOSED)) == {"reopen", "timeline"}
    assert state_refusal("ESC-1", Status.NEW, FLOWS.rules("acknowledge")) is None
    assert said_in_english(state_refusal("ESC-1", Status.CLOSED, FLOWS.rules("post_update"))) == (
        "ESC-1 is closed. Reopen it if the problem is back."
    )
    assert said_in_english(state_refusal("ESC-1", Status.RESOLVED, FLOWS.rules("acknowledge"))) == (
        "ESC-1 is resolved. Reopen it if the problem is back."
    )
    # Each refusal of the flows' own files says what to do next (issue 23): none falls back to
    # "you cannot <do> it" alone.
    for name in FLOWS.names:
        for status in Status:
            refusal = state_refusal("ESC-1", status, FLOWS.rules(name))
            assert refusal is None or "you cannot" not in said_in_english(refusal), (name, status)


def test_every_refused_flow_says_what_to_do_instead() -> None:
    for status in Status:
        for flow in set(FLOWS.names) - set(FLOWS.allowed(status)):
            sentence = said_in_english(state_refusal("ESC-9", status, FLOWS.rules(flow)))
            assert sentence.count(".") >= 2, (status, flow, sentence)


def test_who_may_do_what() -> None:
    owner = roles_of("U1", owner_id="U1", reporter_id="U2", manager_ids=frozenset(), is_admin=False)
    reporter = roles_of("U2", owner_id="U1", reporter_id="U2", manager_ids=frozenset(), is_admin=False)
    manager = roles_of("U3", owner_id="U1", reporter_id="U2", manager_ids=frozenset({"U3"}), is_admin=False)
    stranger = roles_of("U4", owner_id="U1", reporter_id="U2", manager_ids=frozenset(), is_admin=False)
    admin = roles_of("U5", owner_id="U1", reporter_id="U2", manager_ids=frozenset(), is_admin=True)
    for flow in FLOWS.names:
        rules = FLOWS.rules(flow)
        assert permission_refusal(rules, owner, "Sarah") is None
        assert permission_refusal(rules, manager, "Sarah") is None
        assert permission_refusal(rules, admin, "Sarah") is None
    assert permission_refusal(FLOWS.rules("post_update"), reporter, "Sarah") is None
    assert permission_refusal(FLOWS.rules("reassign"), reporter, "Sarah") is None
    assert said_in_english(permission_refusal(FLOWS.rules("acknowledge"), reporter, "Sarah Miller")) == (
        "Only the owner, Sarah Miller, or an escalation manager can acknowledge this case."
    )
    assert permission_refusal(FLOWS.rules("timeline"), stranger, "Sarah") is None
    assert {f for f in FLOWS.names if permission_refusal(FLOWS.rules(f), stranger, "S") is None} == {
        "timeline"
    }
    assert Role.PARTICIPANT in FLOWS.rules("timeline").who


def test_promises_are_specific_future_and_near() -> None:
    rules = PromiseRules()
    assert (
        said_in_english(promise_problem(None, NOW, rules))
        == "Promise a specific time for the next customer update."
    )
    assert said_in_english(promise_problem(NOW + timedelta(minutes=1), NOW, rules)) == (
        "Choose a time at least 5 minutes from now."
    )
    # The minimum is a setting, and the message says the number.
    strict = PromiseRules(min_ahead=timedelta(minutes=30))
    assert said_in_english(promise_problem(NOW + timedelta(minutes=20), NOW, strict)) == (
        "Choose a time at least 30 minutes from now."
    )
    assert promise_problem(NOW + timedelta(hours=3), NOW, rules) is None
    assert "within 24 hours" in said_in_english(promise_problem(NOW + timedelta(hours=25), NOW, rules))
    assert default_promise(datetime(2026, 11, 22, 14, 7, tzinfo=UTC)) == datetime(
        2026, 11, 22, 16, 30, tzinfo=UTC
    )


def test_the_same_instant_reads_right_in_sao_paulo_and_tokyo() -> None:
    promise = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
    assert local_time_phrase(promise, "America/Sao_Paulo", NOW) == "15:00 today (-03)"
    assert local_time_phrase(promise, "Asia/Tokyo", NOW) == "03:00 tomorrow (JST)"
    assert (
        local_time_phrase(promise + timedelta(days=3), "Asia/Tokyo", NOW)
        == "03:00 on Thursday 26 November (JST)"
    )
    assert local_time_phrase(promise, "Not/AZone", NOW) == "18:00 today (UTC)"


def test_the_acknowledgement_names_a_person_and_a_time() -> None:
    draft = _(
        acknowledgement_draft(
            owner_name="Sarah Miller",
            owner_title="VP Customer Success",
            account="Acme",
            summary="SSO outage",
            promise_phrase="15:00 today (-03)",
        )
    )
    assert "I'm Sarah Miller, VP Customer Success. I have personally taken ownership of your case" in draft
    assert "status update by 15:00 today (-03), whether or not we have a resolution by then" in draft


def test_closing_needs_an_rca_for_technical_cases_only() -> None:
    playbook = installed().practice.playbook
    assert close_refusal("ESC-1", playbook(Category.TECHNICAL), has_rca=False) is not None
    assert close_refusal("ESC-1", playbook(Category.TECHNICAL), has_rca=True) is None
    assert close_refusal("ESC-1", playbook(Category.BUSINESS), has_rca=False) is None


def test_tasks_around_a_case_follow_the_permission_table() -> None:
    from assistant.domain.lifecycle import Role, Task, task_refusal

    def refusal(task: Task, *roles: Role) -> str | None:
        refusal = task_refusal(
            task,
            frozenset({Role.PARTICIPANT, *roles}),
            owner_name="@Sarah",
            key="ESC-1",
            item_owner_name="@Ken",
        )
        return _(refusal) if refusal else None

    assert refusal(Task.SNOOZE, Role.OWNER) is None and refusal(Task.SNOOZE, Role.REPORTER)
    assert refusal(Task.RECORD_SATISFACTION, Role.REPORTER) is None
    assert refusal(Task.RECORD_EXEC_CONTACT, Role.INVOLVED) is None
    assert refusal(Task.RECORD_EXEC_CONTACT) == "Only the people on ESC-1 can record the executive contact."
    assert refusal(Task.FINISH_ACTION_ITEM, Role.ITEM_OWNER) is None
    assert "Only @Ken, who owns this action item" in (refusal(Task.FINISH_ACTION_ITEM) or "")
    for task in Task:  # managers and admins may do anything
        assert refusal(task, Role.MANAGER) is None and refusal(task, Role.ADMIN) is None


def test_no_card_button_leads_to_a_refusal_in_any_status() -> None:
    for status in Status:
        shown = card_actions(FLOWS, status)
        flows = [b["flow"] for b in shown["buttons"]] + [o["value"] for o in shown["more"]]
        assert flows, status
        for flow in flows:
            assert state_refusal("ESC-1", status, FLOWS.rules(flow)) is None, (status, flow)
        assert len(shown["more"]) != 1  # Slack's overflow menu takes two options or none

"""`/escalate`'s answers called directly (assistant.listeners.commands), as the command's listener
calls them once it has acknowledged Slack: a real app's parts and database, no request over HTTP.
What is asserted is what the person would be shown."""

from __future__ import annotations

from assistant.components import Components
from assistant.domain.commands import read_command
from assistant.listeners.commands import did_you_mean, show_help, show_list
from tests.harness import EXEC, OWNER
from tests.parts import Answered
from tests.stories import store_cases


def test_help_names_each_verb_with_what_it_does_and_who_may(components: Components) -> None:
    answered = Answered()
    show_help(components, components.content.flows, answered)

    assert answered.texts == ["How to use /escalate"]
    assert answered.answers[0]["response_type"] == "ephemeral"
    verbs = answered.block_texts()[1].splitlines()
    # flows/acknowledge.yml and flows/timeline.yml: the verb, its `help`, its `who` in words.
    ack = (
        "• `/escalate ack`: take the case and promise the next customer update"
        " _(owner, escalation manager, admin)_"
    )
    assert ack in verbs
    assert "• `/escalate timeline`: see every event of the case _(anyone)_" in verbs


def test_a_near_miss_of_a_verb_is_answered_with_the_verb(components: Components) -> None:
    answered = Answered()
    did_you_mean(answered, read_command("timelne ESC-7", components.content.flows.words()))

    assert answered.texts == [
        "Did you mean `/escalate timeline ESC-7`? `/escalate help` lists what is possible; "
        "`/escalate <summary>` opens a new escalation."
    ]


def test_someone_in_no_case_is_told_so_and_only_managers_list_all(components: Components) -> None:
    store_cases(components.engine, 1, owner=OWNER)  # reported by CSM: EXEC has no part in it

    answered = Answered()
    show_list(components, answered, EXEC, everyone=False)
    assert answered.texts == ["Your open escalations"]
    assert answered.block_texts() == [
        "Your open escalations",
        "No open cases.",
        "`/escalate status ESC-42` shows one case.",
    ]

    refused = Answered()
    show_list(components, refused, EXEC, everyone=True)
    assert refused.texts == [
        "`/escalate list all` is for escalation managers; `/escalate list` shows your cases."
    ]

"""Pure: how `/escalate <text>` is read. A case key anywhere, never an intake for a near-miss verb."""

from __future__ import annotations

import pytest

from assistant.domain.commands import Ask, CommandText, case_reference, read_command

VERBS = frozenset(
    {"ack", "acknowledge", "update", "classify", "reassign", "resolve", "rca", "close", "reopen", "timeline"}
)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("ESC-1", 1),
        ("esc 1", 1),
        ("esc1", 1),
        ("Esc-12", 12),
        ("#esc-7-acme-sso-outage", 7),
        ("<#C0123ABC|esc-3-globex-billing>", 3),
        ("please ESC-42 now", 42),
    ],
)
def test_a_case_key_is_found_however_it_is_typed(text: str, number: int) -> None:
    assert case_reference(text) == (number, "")


def test_words_that_merely_contain_esc_are_not_keys() -> None:
    assert case_reference("rescue 5 users")[0] is None
    assert case_reference("desc-4")[0] is None
    assert case_reference("ESC-1234x")[0] is None


def test_a_channel_mention_without_a_key_names_the_channel() -> None:
    assert case_reference("<#C0123ABC|general>") == (None, "C0123ABC")
    assert case_reference("<#C0123ABC>") == (None, "C0123ABC")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("timeline ESC-1", CommandText(Ask.VERB, "timeline", 1)),
        ("close esc 1", CommandText(Ask.VERB, "close", 1)),
        ("reopen #esc-1-acme-sso", CommandText(Ask.VERB, "reopen", 1)),
        ("update", CommandText(Ask.VERB, "update")),
        ("folow ESC-1", CommandText(Ask.DID_YOU_MEAN, "follow", 1)),
        ("timelne esc-1", CommandText(Ask.DID_YOU_MEAN, "timeline", 1)),
        ("reopn ESC-2", CommandText(Ask.DID_YOU_MEAN, "reopen", 2)),
        ("stauts", CommandText(Ask.DID_YOU_MEAN, "status")),
        ("ESC-4", CommandText(Ask.STATUS, "status", 4)),
        ("status esc 4", CommandText(Ask.STATUS, "status", 4)),
        ("follow <#C0123ABC|esc-5-acme>", CommandText(Ask.FOLLOW, "follow", 5)),
        ("list all", CommandText(Ask.LIST, everyone=True)),
        ("help", CommandText(Ask.HELP)),
        ("", CommandText(Ask.INTAKE)),
        ("Outage", CommandText(Ask.INTAKE)),
        ("close to churn at Acme", CommandText(Ask.INTAKE)),  # a summary that starts with a verb
        ("Acme esc 2 follow-up failed", CommandText(Ask.INTAKE)),  # not a verb: a summary
    ],
)
def test_what_is_asked(text: str, expected: CommandText) -> None:
    assert read_command(text, VERBS) == expected

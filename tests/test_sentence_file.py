"""The engine's sentences live in messages/sentences.yml, by id: the code names them, a reader
gets them in their language, and a team may reword our English without touching the code."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from textwrap import dedent

import pytest

from assistant.content.i18n import _, speaking
from assistant.content.playbook import PlaybookError
from assistant.content.registry import install, install_folder, installed
from assistant.domain.lifecycle import PromiseRules, promise_problem, state_refusal
from assistant.domain.status import Status

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
RULES = PromiseRules(min_ahead=timedelta(minutes=5), max_ahead=timedelta(hours=72))


@pytest.fixture
def ours_afterwards() -> Iterator[None]:
    yield
    install_folder(None)


def team_folder(tmp_path: Path, sentences: str) -> Path:
    (tmp_path / "messages").mkdir()
    (tmp_path / "messages" / "sentences.yml").write_text(dedent(sentences), encoding="utf-8")
    return tmp_path


def closed_refusal() -> str:
    flow = installed().flows.rules("contacts")  # its file says nothing for a closed case
    assert flow is not None
    refusal = state_refusal("ESC-7", Status.CLOSED, flow)
    assert refusal is not None
    return _(refusal)


def test_a_domain_refusal_is_written_from_its_id_in_each_language() -> None:
    assert closed_refusal() == "ESC-7 is closed. Reopen it first."
    with speaking("pt_BR"):
        assert closed_refusal() == "ESC-7 está encerrado. Reabra-o primeiro."
    with speaking("es"):
        assert closed_refusal().endswith("Reábrelo primero.")


def test_a_sentence_by_number_takes_the_readers_plural() -> None:
    soon = NOW + timedelta(seconds=30)
    one = promise_problem(
        soon, NOW, PromiseRules(min_ahead=timedelta(minutes=1), max_ahead=timedelta(hours=72))
    )
    many = promise_problem(soon, NOW, RULES)
    assert one is not None and many is not None
    assert _(one) == "Choose a time at least 1 minute from now."
    assert _(many) == "Choose a time at least 5 minutes from now."
    with speaking("pt_BR"):
        assert _(many) == "Escolha um horário daqui a pelo menos 5 minutos."


def test_a_team_rewords_our_english_and_keeps_our_translations(tmp_path: Path, ours_afterwards: None) -> None:
    folder = team_folder(
        tmp_path,
        """
        lifecycle:
          reopen_first: Reopen the case first (the Reopen button on its card).
          promise_at_least_minutes_ahead:
            one: Pick a time %(num)s minute ahead or later.
            other: Pick a time %(num)s minutes ahead or later.
        """,
    )
    install_folder(folder)
    assert closed_refusal().endswith("Reopen the case first (the Reopen button on its card).")
    many = promise_problem(NOW + timedelta(minutes=1), NOW, RULES)
    assert many is not None and _(many) == "Pick a time 5 minutes ahead or later."
    with speaking("pt_BR"):  # no Portuguese for the team's words: ours stays
        assert closed_refusal().endswith("Reabra-o primeiro.")
        assert _(many) == "Escolha um horário daqui a pelo menos 5 minutos."


def test_a_teams_catalog_translates_its_own_words(tmp_path: Path, ours_afterwards: None) -> None:
    folder = team_folder(tmp_path, "lifecycle:\n  reopen_first: Reopen the case first.\n")
    catalog = folder / "messages" / "locale" / "pt_BR" / "LC_MESSAGES" / "messages.po"
    catalog.parent.mkdir(parents=True)
    catalog.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Reopen the case first."\nmsgstr "Reabra o caso antes."\n',
        encoding="utf-8",
    )
    install_folder(folder)
    with speaking("pt_BR"):
        assert closed_refusal().endswith("Reabra o caso antes.")
    assert closed_refusal().endswith("Reopen the case first.")


def test_a_teams_rewording_that_cannot_work_is_refused_at_its_line(tmp_path: Path) -> None:
    folder = team_folder(
        tmp_path,
        """
        lifecycle:
          reopen_first: Reopen it first.
          no_such_sentence: Hello.
          key_state_so_you_cannot_action: '%(key)s cannot be changed now.'
          promise_at_least_minutes_ahead: Later, please.
          refusal_instead:
        account_line:
          health_score: 100% health, %(score)s
        """,
    )
    before = installed()
    with pytest.raises(PlaybookError) as refused:
        install_folder(folder)
    problems = sorted((p.line, p.message) for p in refused.value.problems)
    assert problems == [
        (4, "lifecycle.no_such_sentence: no sentence of ours has this id"),
        (
            5,
            "lifecycle.key_state_so_you_cannot_action: keep the same values as ours "
            "(%(action)s, %(key)s, %(state)s)",
        ),
        (6, "lifecycle.promise_at_least_minutes_ahead: ours is `one:`/`other:`: give the same"),
        (7, "lifecycle.refusal_instead: a sentence, `one:`/`other:`, or `context:`/`text:`"),
        (9, "account_line.health_score: a % that is not a value: write %% for a percent sign"),
    ]
    assert installed() is before  # nothing changed
    install(before)

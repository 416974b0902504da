"""The escalations feed hears how each case ends, not only that it was resolved (issue 23):
closed, with its root-cause analysis or without one, a private case by its key alone."""

from __future__ import annotations

import json

import pytest

from tests.harness import wait_for
from tests.parts import Parts, resolved_case, running_parts


def feed_text(parts: Parts) -> str:
    return "\n".join(m.text + json.dumps(m.blocks, ensure_ascii=False) for m in parts.feed.messages)


def test_the_feed_hears_a_case_closed(parts: Parts) -> None:
    case = resolved_case(parts, category="business", stakeholders=[], triggers=[], account="Globex")
    parts.close(case, no_rca_reason="A pricing dispute, settled commercially.")
    wait_for(lambda: "Closed: ESC-1" in feed_text(parts), what="the feed told of the closing")
    said = feed_text(parts)
    assert "*ESC-1* · Globex is closed without a root-cause analysis" in said
    assert "pricing dispute" not in said  # why is the case channel's business, not the feed's


def test_a_private_case_closed_is_named_by_its_key_alone(parts: Parts) -> None:
    case = resolved_case(
        parts, category="business", stakeholders=[], triggers=["data_breach"], account="Initech"
    )
    parts.close(case, no_rca_reason="Handled by the security team's report.")
    wait_for(lambda: "Closed: ESC-1" in feed_text(parts), what="the feed told of the closing")
    closing = [m for m in parts.feed.messages if m.text == "Closed: ESC-1"]
    shown = json.dumps(closing[0].blocks, ensure_ascii=False)
    assert "Restricted escalation *ESC-1* is closed." in shown and "Initech" not in shown


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("pt-BR", "*ESC-1* · Globex foi encerrado sem análise de causa raiz."),
        ("es-ES", "*ESC-1* · Globex está cerrado sin análisis de causa raíz."),
    ],
)
def test_the_feed_hears_it_in_the_teams_language(database_url: str, locale: str, words: str) -> None:
    with running_parts(database_url, default_locale=locale) as parts:
        case = resolved_case(parts, category="business", stakeholders=[], triggers=[], account="Globex")
        parts.close(case, no_rca_reason="Acordo comercial.")
        wait_for(lambda: words in feed_text(parts), what=f"the feed told in {locale}")

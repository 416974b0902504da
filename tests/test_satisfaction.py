"""The customer's satisfaction: recorded once (a correction replaces it, on the timeline), and
reported on the card, the Home portfolio, the weekly digest and the export."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from assistant.content.i18n import _
from assistant.domain.satisfaction import satisfaction_line, summarize_satisfaction
from assistant.services.export import export_rows
from tests.harness import EXEC, MANAGER, OWNER, Harness, start_harness, wait_for
from tests.stories import answer_satisfaction, closed_with_sponsor


@pytest.fixture
def unarchived(database_url: str) -> Iterator[Harness]:
    running = start_harness(database_url, archive_on_close=False)
    yield running
    running.stop()


def test_recorded_once_corrected_on_the_timeline_and_shown_everywhere(unarchived: Harness) -> None:
    harness = unarchived  # channels stay open after close, so the card can show the answer
    case = closed_with_sponsor(harness, sponsor=EXEC)
    first = answer_satisfaction(harness, case, "4", "Fast and honest.")
    assert first["title"]["text"] == "Satisfaction ESC-1"
    wait_for(lambda: harness.case(case.id).satisfaction_score == 4, what="the answer")
    # The card's "More details" shows it.
    assert "Customer satisfaction: 4 out of 5" in harness.details(OWNER, case)

    # Asked again, the form shows the answer; saving corrects it instead of adding a second one.
    second = answer_satisfaction(harness, case, "2", "Slow in the end.")
    blocks = json.dumps(second["blocks"])
    assert second["title"]["text"] == "Correct satisfaction" and "Recorded already: 4 out of 5" in blocks
    assert '"initial_option": {"value": "4"' in blocks
    assert "Fast and honest." in blocks
    wait_for(lambda: harness.case(case.id).satisfaction_score == 2, what="the correction")
    kinds = [e.kind for e in harness.events(case.id) if e.kind.startswith("satisfaction")]
    assert kinds == ["satisfaction_recorded", "satisfaction_corrected"]
    assert "Customer satisfaction: 2 out of 5" in harness.details(OWNER, case)

    harness.open_home(MANAGER)
    assert (
        "*Customer satisfaction* (last 30 days) · 2.0 of 5 from 1 answer (2: 1) · "
        "1 of 1 closed cases answered (100%)"
    ) in harness.home_text(MANAGER)
    row = next(export_rows(harness.components.engine))
    assert row["satisfaction_score"] == 2 and row["satisfaction_comment"] == "Slow in the end."


def test_an_archived_case_channel_stays_archived(harness: Harness) -> None:
    case = closed_with_sponsor(harness, sponsor=EXEC)
    wait_for(lambda: harness.channel_of(case).is_archived, what="the channel to be archived")
    answer_satisfaction(harness, case, "5")
    wait_for(lambda: harness.case(case.id).satisfaction_score == 5, what="the answer")
    harness.open_home(MANAGER)  # the answer is reported all the same
    assert "5.0 of 5 from 1 answer" in harness.home_text(MANAGER)
    assert harness.channel_of(case).is_archived
    assert "channel_unarchived" not in [e.kind for e in harness.events(case.id)]


def test_the_satisfaction_line_reads_as_a_person_would_say_it() -> None:
    summary = summarize_satisfaction([5, 5, 4, 3, 5, 4], closed=10, answered=6)
    assert _(satisfaction_line(summary)) == (
        "4.3 of 5 from 6 answers (5: 3 · 4: 2 · 3: 1) · 6 of 10 closed cases answered (60%)"
    )
    assert _(satisfaction_line(summarize_satisfaction([], closed=0, answered=0))) == "no answers recorded"
    assert _(satisfaction_line(summarize_satisfaction([], closed=3, answered=0))) == (
        "no answers recorded · 0 of 3 closed cases answered (0%)"
    )

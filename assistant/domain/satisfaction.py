"""The customer's satisfaction with how a case was handled (1 to 5), asked once a case closes.

One answer per case: a correction replaces it (and shows on the timeline). Reports
count the answers recorded in a period, and the share of the period's closed cases
that have one (the response rate).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from assistant.domain.sentences import Sentence, joined, said, said_n

SCORES = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class SatisfactionSummary:
    # How many answers gave each score (1 to 5), among those recorded in the period.
    distribution: dict[int, int] = field(default_factory=dict)
    closed: int = 0  # cases closed in the period
    answered: int = 0  # ...of which have an answer by now

    @property
    def answers(self) -> int:
        return sum(self.distribution.values())

    @property
    def average(self) -> float | None:
        if not self.answers:
            return None
        return sum(score * count for score, count in self.distribution.items()) / self.answers

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.closed if self.closed else None

    @property
    def bars(self) -> list[tuple[int, int]]:
        """(score, count) for every score, 5 first: what a reader scans."""
        return [(score, self.distribution.get(score, 0)) for score in reversed(SCORES)]


def summarize_satisfaction(scores: Iterable[int], *, closed: int, answered: int) -> SatisfactionSummary:
    distribution: dict[int, int] = {}
    for score in scores:
        if score not in SCORES:
            raise ValueError(f"a satisfaction score is 1 to 5, not {score}")
        distribution[score] = distribution.get(score, 0) + 1
    return SatisfactionSummary(distribution, closed, answered)


def satisfaction_line(summary: SatisfactionSummary) -> Sentence:
    """'4.2 of 5 from 6 answers (5: 3 · 4: 2 · 3: 1) · 6 of 10 closed cases answered (60%)'."""
    if summary.average is None:
        answers = said("satisfaction.no_answers_recorded")
    else:
        spread = " · ".join(f"{score}: {count}" for score, count in summary.bars if count)
        average = f"{summary.average:.1f}"
        answers = said_n("satisfaction.average_from_answers", summary.answers, average=average, spread=spread)
    if summary.response_rate is None:
        return answers
    rate = f"{summary.response_rate:.0%}"
    answered = said(
        "satisfaction.answered_closed_closed_cases",
        answered=summary.answered,
        closed=summary.closed,
        rate=rate,
    )
    return joined(answers, answered, between=" · ")

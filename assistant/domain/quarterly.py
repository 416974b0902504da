"""The quarterly review (issue 23, the handling review's home): a quarter's escalations beside the
quarter before, by category, account and cause, with promises kept, satisfaction, the voice of the
customer, and what the closers proposed would prevent escalations like theirs. Pure: the facts
come from services/quarterly.py."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from assistant.domain.digest import VoicesHeard
from assistant.domain.satisfaction import SatisfactionSummary

QUARTER = re.compile(r"^(?P<year>\d{4})-?Q(?P<number>[1-4])$", re.IGNORECASE)


def quarter_named(label: str) -> tuple[date, date]:
    """'2026Q4' (or '2026-Q4') -> its first day and the first day after it."""
    found = QUARTER.match(label.strip())
    if found is None:
        raise ValueError(f"not a quarter: {label!r} (write it like 2026Q4)")
    year, number = int(found["year"]), int(found["number"])
    start = date(year, 3 * number - 2, 1)
    end = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return start, end


def last_full_quarter(today: date) -> str:
    """The quarter before the one `today` is in: what a review meeting looks back on."""
    number = (today.month - 1) // 3 + 1
    return f"{today.year - 1}Q4" if number == 1 else f"{today.year}Q{number - 1}"


def previous_quarter(label: str) -> str:
    start, _end = quarter_named(label)
    return last_full_quarter(start)


@dataclass(frozen=True)
class OpenedCase:
    key: str
    account: str
    category: str
    is_private: bool


@dataclass(frozen=True)
class Proposal:
    """A closer's handling review: where an improvement lies, and what they proposed."""

    key: str
    account: str | None  # None for a restricted case: never named
    area: str
    handled_better: str | None
    improvement: str | None


@dataclass(frozen=True)
class QuarterFacts:
    opened: Sequence[OpenedCase] = ()
    causes: Sequence[str] = ()  # each RCA's cause area
    promises_made: int = 0
    promises_kept: int = 0
    satisfaction: SatisfactionSummary = field(default_factory=SatisfactionSummary)
    voices: VoicesHeard = field(default_factory=VoicesHeard)
    proposals: Sequence[Proposal] = ()


@dataclass(frozen=True)
class QuarterlyReview:
    label: str
    previous_label: str
    this: QuarterFacts
    previous: QuarterFacts

    def by_category(self) -> dict[str, tuple[int, int]]:
        now, before = (
            Counter(c.category for c in self.this.opened),
            Counter(c.category for c in self.previous.opened),
        )
        return {category: (now[category], before[category]) for category in {*now, *before}}

    def top_accounts(self, top: int = 5) -> list[tuple[str, int]]:
        """The accounts escalated most this quarter (a restricted case's is never named)."""
        return Counter(c.account for c in self.this.opened if not c.is_private).most_common(top)

    def restricted(self) -> int:
        return sum(c.is_private for c in self.this.opened)

    def causes(self) -> list[tuple[str, int]]:
        return Counter(self.this.causes).most_common()

    def proposals_by_area(self) -> dict[str, list[Proposal]]:
        grouped: dict[str, list[Proposal]] = {}
        for proposal in self.this.proposals:
            grouped.setdefault(proposal.area, []).append(proposal)
        return grouped


def quarter_bounds(label: str) -> tuple[datetime, datetime]:
    start, end = quarter_named(label)
    return datetime(start.year, start.month, 1, tzinfo=UTC), datetime(end.year, end.month, 1, tzinfo=UTC)

"""The portfolio of open cases as leaders see it: plain facts in, counts and lists out (no Slack, no SQL)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from assistant.domain.accounts import account_key
from assistant.domain.practice import Category, Practice, Severity
from assistant.domain.sentences import N_
from assistant.domain.status import Status

DUE_SOON = timedelta(hours=24)


def account_order(name: str) -> tuple[str, str]:
    """Accounts in the order a person reads them: by key, then as typed (two spellings, one place)."""
    return account_key(name), name


def next_promise(
    status: Status,
    *,
    ack_due_at: datetime | None,
    next_update_due_at: datetime | None,
    rca_due_at: datetime | None,
) -> tuple[str, datetime] | None:
    """The promise a case must keep next, and when."""
    if status == Status.NEW and ack_due_at is not None:
        return N_("portfolio.acknowledgement_due"), ack_due_at
    if status == Status.ACKNOWLEDGED and next_update_due_at is not None:
        return N_("portfolio.next_customer_update_due"), next_update_due_at
    if status == Status.RESOLVED and rca_due_at is not None:
        return N_("portfolio.root_cause_analysis_due"), rca_due_at
    return None


def week_start(now: datetime, zone: tzinfo) -> datetime:
    """Monday 00:00 of the current week in `zone` ("this week" for leaders in that zone)."""
    local = now.astimezone(zone)
    return (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class CaseFacts:
    """What the portfolio needs to know about one open case."""

    id: int
    key: str
    account: str
    summary: str
    category: Category
    severity: Severity
    status: Status
    owner_id: str
    created_at: datetime
    promise: tuple[str, datetime] | None
    is_private: bool
    channel_id: str | None = None
    participants: frozenset[str] = field(default_factory=frozenset)
    tags: frozenset[str] = field(default_factory=frozenset)

    @property
    def account_key(self) -> str:
        return account_key(self.account)

    def overdue(self, now: datetime) -> bool:
        return self.promise is not None and self.promise[1] < now

    def visible_to(self, user_id: str) -> bool:
        return not self.is_private or user_id in self.participants


@dataclass(frozen=True)
class Filters:
    category: Category | None = None
    severity: Severity | None = None
    owner_id: str | None = None
    account: str | None = None  # an account_key
    tag: str | None = None  # a tag's id

    @classmethod
    def from_dict(cls, values: dict[str, str | None], practice: Practice) -> Filters:
        """Filters as kept between visits; anything no longer valid (a category or severity the
        practice no longer has) is dropped, never an error."""
        category = values.get("category")
        severity = values.get("severity")
        return cls(
            category=Category(category) if category in practice.categories else None,
            severity=Severity(severity) if severity in practice.severities else None,
            owner_id=values.get("owner_id") or None,
            account=values.get("account") or None,
            tag=tag if (tag := values.get("tag")) in practice.tags else None,
        )

    def as_dict(self) -> dict[str, str | None]:
        return {
            "category": self.category.value if self.category else None,
            "severity": self.severity.value if self.severity else None,
            "owner_id": self.owner_id,
            "account": self.account,
            "tag": self.tag,
        }

    def with_value(self, name: str, value: str | None, practice: Practice) -> Filters:
        return Filters.from_dict(self.as_dict() | {name: value}, practice)

    @property
    def active(self) -> bool:
        return any(self.as_dict().values())

    def keep(self, case: CaseFacts) -> bool:
        return (
            (self.category is None or case.category == self.category)
            and (self.severity is None or case.severity == self.severity)
            and (self.owner_id is None or case.owner_id == self.owner_id)
            and (self.account is None or case.account_key == self.account)
            and (self.tag is None or self.tag in case.tags)
        )


@dataclass(frozen=True)
class Portfolio:
    """Open cases at a glance, as one viewer may see them."""

    open_count: int
    by_category: dict[Category, int]
    by_severity: dict[Severity, int]
    unacknowledged: list[CaseFacts]
    due_soon: list[CaseFacts]  # next promise within 24 h, soonest first
    overdue: list[CaseFacts]
    breaches_this_week: int
    oldest: CaseFacts | None
    # Open cases the viewer may not see: counted above, never named.
    restricted: int
    cases: list[CaseFacts]  # visible, filtered, oldest promise first
    accounts: list[str]  # visible open accounts, for the filter


def summarize(
    cases: Sequence[CaseFacts],
    *,
    viewer: str,
    filters: Filters,
    now: datetime,
    breaches: Sequence[CaseFacts],
) -> Portfolio:
    """`breaches`: one entry per breach this week, with its case (open or not)."""
    chosen = [c for c in cases if filters.keep(c)]
    visible = [c for c in chosen if c.visible_to(viewer)]

    never = datetime.max.replace(tzinfo=now.tzinfo)

    def soonest(items: Iterable[CaseFacts]) -> list[CaseFacts]:
        return sorted(items, key=lambda c: (c.promise[1] if c.promise else never, c.id))

    return Portfolio(
        open_count=len(chosen),
        by_category=dict(Counter(c.category for c in chosen)),
        by_severity=dict(Counter(c.severity for c in chosen)),
        unacknowledged=soonest(c for c in visible if c.status == Status.NEW),
        due_soon=soonest(c for c in visible if c.promise and now <= c.promise[1] <= now + DUE_SOON),
        overdue=soonest(c for c in visible if c.overdue(now)),
        breaches_this_week=sum(1 for c in breaches if filters.keep(c)),
        oldest=min(visible, key=lambda c: (c.created_at, c.id), default=None),
        restricted=len(chosen) - len(visible),
        cases=soonest(visible),
        accounts=sorted({c.account for c in cases if c.visible_to(viewer)}, key=account_order),
    )


@dataclass(frozen=True)
class Page:
    items: list[CaseFacts]
    number: int
    count: int


def paginate(items: Sequence[CaseFacts], number: int, size: int) -> Page:
    """One page of `items`; a page number past the end shows the last page."""
    count = max(1, -(-len(items) // size))
    number = min(max(0, number), count - 1)
    return Page(list(items[number * size : (number + 1) * size]), number, count)


@dataclass(frozen=True)
class Listed:
    """The first cases of a list, and how many it has."""

    items: list[CaseFacts]
    count: int


@dataclass(frozen=True)
class PortfolioView:
    """What a Home tab shows of the portfolio: counts, the first lines of each list, one page."""

    open_count: int
    by_category: dict[Category, int]
    by_severity: dict[Severity, int]
    unacknowledged: Listed
    due_soon: Listed
    overdue: Listed
    breaches_this_week: int
    oldest: CaseFacts | None
    restricted: int
    page: Page
    accounts: list[str]


def view_of(portfolio: Portfolio, *, page: int, size: int, lines: int) -> PortfolioView:
    """The part of a portfolio a Home tab shows (the rules; the database computes the same in SQL)."""
    return PortfolioView(
        open_count=portfolio.open_count,
        by_category=portfolio.by_category,
        by_severity=portfolio.by_severity,
        unacknowledged=Listed(portfolio.unacknowledged[:lines], len(portfolio.unacknowledged)),
        due_soon=Listed(portfolio.due_soon[:lines], len(portfolio.due_soon)),
        overdue=Listed(portfolio.overdue[:lines], len(portfolio.overdue)),
        breaches_this_week=portfolio.breaches_this_week,
        oldest=portfolio.oldest,
        restricted=portfolio.restricted,
        page=paginate(portfolio.cases, page, size),
        accounts=portfolio.accounts,
    )

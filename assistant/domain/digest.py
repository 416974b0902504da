"""The weekly digest's figures: plain functions over cases and their timeline events.

A week is [start, end). Every figure counts what happened in that week from the
timeline (opened, acknowledged, resolved, closed, promises settled, breaches),
so a case opened months ago and resolved this week counts as resolved this week.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from statistics import median_low

from assistant.domain.accounts import account_key
from assistant.domain.events import EventKind
from assistant.domain.metrics import (
    EventFact,
    acknowledged_on_time,
    first,
    first_customer_contact,
    last,
    on_time_rate,
    percentile,
    settled_promises,
)
from assistant.domain.practice import Category
from assistant.domain.satisfaction import SatisfactionSummary

# How far back a repeat escalation or a repeated root cause is looked for.
REPEAT_LOOKBACK = timedelta(days=90)


@dataclass(frozen=True)
class DigestCase:
    id: int
    account: str
    category: Category
    is_private: bool
    created_at: datetime
    events: Sequence[EventFact]
    # The root-cause area of its latest RCA and when it was recorded, if any.
    cause_area: str | None = None
    rca_at: datetime | None = None


@dataclass(frozen=True)
class RepeatAccount:
    account: str
    cases: int


@dataclass(frozen=True)
class RepeatedCause:
    label: str
    accounts: int
    cases: int


@dataclass(frozen=True)
class Day:
    day: date
    opened: int
    resolved: int
    promises_made: int
    promises_kept: int

    @property
    def on_time_rate(self) -> float | None:
        return on_time_rate(self.promises_kept, self.promises_made)


@dataclass(frozen=True)
class OverdueItem:
    case_key: str
    account: str | None  # None for a restricted case: counted, never named
    description: str | None
    owner_id: str
    due_on: date


@dataclass(frozen=True)
class ActionItemsOpen:
    """RCA action items not done when the digest is made, and those past their due date."""

    open: int = 0
    overdue: tuple[OverdueItem, ...] = ()


@dataclass(frozen=True)
class VoicesHeard:
    """The voice of the customer logged in a period (no case): how many, the accounts most heard."""

    count: int = 0
    by_account: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Digest:
    start: datetime
    end: datetime
    opened: int
    resolved: int
    closed: int
    promises_made: int
    promises_kept: int
    ack_count: int
    ack_median: timedelta | None
    ack_p90: timedelta | None
    ack_within_target: int
    ack_target: timedelta
    resolve_median: timedelta | None
    resolve_p90: timedelta | None
    breaches: int
    by_category: dict[Category, int]
    repeat_accounts: list[RepeatAccount]
    # Repeat escalations on private cases: counted, never named.
    restricted_repeats: int
    repeated_causes: list[RepeatedCause]
    days: list[Day]
    still_open: int
    satisfaction: SatisfactionSummary = field(default_factory=SatisfactionSummary)
    action_items: ActionItemsOpen = field(default_factory=ActionItemsOpen)
    # Kept by their owners (queued in time) but delivered late by us: our failure, not theirs.
    promises_delivered_late: int = 0
    # Signals of the 24-hour judgement tier answered this week: (escalated, judged and declined).
    judgements: tuple[int, int] = (0, 0)
    # Stage 2: the customers who first heard from us this week, how fast, how many in time.
    first_contact_count: int = 0
    first_contact_median: timedelta | None = None
    first_contact_p90: timedelta | None = None
    first_contact_on_time: int = 0
    voices: VoicesHeard = field(default_factory=VoicesHeard)

    @property
    def on_time_rate(self) -> float | None:
        return on_time_rate(self.promises_kept, self.promises_made)


def compute_digest(
    cases: Sequence[DigestCase],
    *,
    start: datetime,
    end: datetime,
    zone: tzinfo,
    ack_target: timedelta,
    open_at_end: int,
    cause_areas: Mapping[str, str],
    satisfaction: SatisfactionSummary | None = None,
    action_items: ActionItemsOpen | None = None,
    judgements: tuple[int, int] = (0, 0),
    voices: VoicesHeard | None = None,
) -> Digest:
    def in_week(moment: datetime | None) -> bool:
        return moment is not None and start <= moment < end

    opened = [c for c in cases if in_week(c.created_at)]
    ack_times: list[timedelta] = []
    acks_on_time = 0
    resolve_times: list[timedelta] = []
    contact_times: list[timedelta] = []
    contacts_on_time = 0
    resolved = closed = breaches = made = kept = late_by_us = 0
    day_counts: dict[date, Counter[str]] = defaultdict(Counter)

    def local_day(moment: datetime) -> date:
        return moment.astimezone(zone).date()

    for case in opened:
        day_counts[local_day(case.created_at)]["opened"] += 1
    for case in cases:
        contact = first_customer_contact(case.events)
        if contact is not None and in_week(contact[0]):
            contact_times.append(contact[0] - case.created_at)
            contacts_on_time += contact[1]
        acknowledged = first(case.events, EventKind.ACKNOWLEDGED)
        if in_week(acknowledged):
            assert acknowledged is not None
            ack_times.append(acknowledged - case.created_at)
            # Its own deadline (the calendar's); the flat target only for events recorded before.
            on_time = acknowledged_on_time(case.events)
            acks_on_time += on_time if on_time is not None else acknowledged - case.created_at <= ack_target
        resolved_at = last(case.events, EventKind.RESOLVED)
        if in_week(resolved_at):
            assert resolved_at is not None
            resolved += 1
            resolve_times.append(resolved_at - case.created_at)
            day_counts[local_day(resolved_at)]["resolved"] += 1
        closed += in_week(last(case.events, EventKind.CLOSED))
        for event in case.events:
            if not in_week(event.at):
                continue
            breaches += event.kind == EventKind.BREACH
            for promise_kept, late in settled_promises(event.data):
                made += 1
                kept += promise_kept
                late_by_us += late
                day_counts[local_day(event.at)]["made"] += 1
                day_counts[local_day(event.at)]["kept"] += promise_kept

    first_day = local_day(start)
    days = []
    for offset in range((local_day(end - timedelta(microseconds=1)) - first_day).days + 1):
        day = first_day + timedelta(days=offset)
        counts = day_counts[day]
        days.append(Day(day, counts["opened"], counts["resolved"], counts["made"], counts["kept"]))

    repeat_accounts, restricted = repeat_escalations(cases, end=end)
    return Digest(
        start=start,
        end=end,
        opened=len(opened),
        resolved=resolved,
        closed=closed,
        promises_made=made,
        promises_kept=kept,
        promises_delivered_late=late_by_us,
        ack_count=len(ack_times),
        ack_median=median_low(ack_times) if ack_times else None,
        ack_p90=percentile(ack_times, 90),
        ack_within_target=acks_on_time,
        ack_target=ack_target,
        resolve_median=median_low(resolve_times) if resolve_times else None,
        resolve_p90=percentile(resolve_times, 90),
        breaches=breaches,
        first_contact_count=len(contact_times),
        first_contact_median=median_low(contact_times) if contact_times else None,
        first_contact_p90=percentile(contact_times, 90),
        first_contact_on_time=contacts_on_time,
        by_category=dict(Counter(c.category for c in opened)),
        repeat_accounts=repeat_accounts,
        restricted_repeats=restricted,
        repeated_causes=repeated_causes(cases, end=end, cause_areas=cause_areas),
        days=days,
        still_open=open_at_end,
        satisfaction=satisfaction or SatisfactionSummary(),
        action_items=action_items or ActionItemsOpen(),
        judgements=judgements,
        voices=voices or VoicesHeard(),
    )


def repeat_escalations(cases: Sequence[DigestCase], *, end: datetime) -> tuple[list[RepeatAccount], int]:
    """Accounts escalated twice or more in the lookback, most first; and how many were private only.

    An account is named only from its non-private cases; one known only through
    private cases is counted in the second number.
    """
    recent = [c for c in cases if end - REPEAT_LOOKBACK <= c.created_at < end]
    by_account: dict[str, list[DigestCase]] = defaultdict(list)
    for case in recent:
        by_account[account_key(case.account)].append(case)
    named: list[RepeatAccount] = []
    restricted = 0
    for group in by_account.values():
        if len(group) < 2:
            continue
        public = [c for c in group if not c.is_private]
        if public:
            named.append(RepeatAccount(public[0].account, len(group)))
        else:
            restricted += 1
    named.sort(key=lambda r: (-r.cases, account_key(r.account)))
    return named, restricted


def repeated_causes(
    cases: Sequence[DigestCase], *, end: datetime, cause_areas: Mapping[str, str]
) -> list[RepeatedCause]:
    """Root-cause areas recorded for two or more accounts in the lookback: a likely process
    escalation. `cause_areas`: each area's label (the practice's; an area it no longer has: its id)."""
    accounts: dict[str, set[str]] = defaultdict(set)
    counts: Counter[str] = Counter()
    for case in cases:
        if case.cause_area and case.rca_at and end - REPEAT_LOOKBACK <= case.rca_at < end:
            accounts[case.cause_area].add(account_key(case.account))
            counts[case.cause_area] += 1
    found = [
        RepeatedCause(cause_areas.get(area, area), len(names), counts[area])
        for area, names in accounts.items()
        if len(names) >= 2
    ]
    return sorted(found, key=lambda r: (-r.accounts, -r.cases, r.label))


def latest_digest_moment(now: datetime, *, weekday: int, hour: int, minute: int, zone: tzinfo) -> datetime:
    """The most recent scheduled digest time at or before `now` (weekday: Monday is 0)."""
    local = now.astimezone(zone)
    moment = (local - timedelta(days=(local.weekday() - weekday) % 7)).replace(
        hour=hour, minute=minute, second=0, microsecond=0
    )
    if moment > local:
        moment -= timedelta(days=7)
    return moment.astimezone(now.tzinfo)

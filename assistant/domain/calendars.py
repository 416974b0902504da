"""Working time: when a team's clock runs (weekly hours in a time zone, public holidays off).

A critical case's clock runs around the clock; a team may let a lesser one's deadlines count
only its working hours (the playbook's calendars, referenced by severities). Deadlines are
computed here and stored in UTC; everything after (reminders, breaches, the card) reads
the stored moment. Public holidays come from the `holidays` package, by country.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays as public_holidays

DAY = timedelta(days=1)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class WorkingCalendar:
    """`hours`: for each weekday (0 is Monday) the working span, start < end, same day.
    An empty `hours` is the clock that never stops."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    hours: tuple[tuple[int, time, time], ...] = ()
    country: str | None = None
    subdivision: str | None = None

    @property
    def always(self) -> bool:
        return not self.hours

    @cached_property
    def _holidays(self) -> public_holidays.HolidayBase | None:
        if not self.country:
            return None
        return public_holidays.country_holidays(self.country, subdiv=self.subdivision)

    def is_holiday(self, day: date) -> bool:
        calendar = self._holidays
        return calendar is not None and day in calendar

    def _spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """That local day's working spans, as UTC moments (none on a holiday)."""
        if self.is_holiday(day):
            return []
        return [
            (
                datetime.combine(day, start, self.zone).astimezone(UTC),
                datetime.combine(day, end, self.zone).astimezone(UTC),
            )
            for weekday, start, end in self.hours
            if weekday == day.weekday()
        ]

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment `duration` of working time after `start`."""
        if self.always:
            return start + duration
        left = duration
        day = start.astimezone(self.zone).date() - DAY
        for _ in range(3 * 366):  # a calendar with a working hour a year ends this loop
            day += DAY
            for begin, end in self._spans(day):
                begin = max(begin, start)
                if begin >= end:
                    continue
                if begin + left <= end:
                    return begin + left
                left -= end - begin
        raise ValueError("this calendar has no working time in the next three years")

    def working_between(self, start: datetime, end: datetime) -> timedelta:
        """How much working time lies between two moments (zero if `end` is before `start`)."""
        if end <= start:
            return timedelta(0)
        if self.always:
            return end - start
        total = timedelta(0)
        day = start.astimezone(self.zone).date() - DAY
        last = end.astimezone(self.zone).date() + DAY
        while day <= last:
            for begin, finish in self._spans(day):
                overlap = min(finish, end) - max(begin, start)
                if overlap > timedelta(0):
                    total += overlap
            day += DAY
        return total

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """`days` working days after `start`, at the same local time of day (a day with any
        working hours counts; holidays and days off do not)."""
        local = start.astimezone(self.zone)
        day, added = local.date(), 0
        while added < days:
            day += DAY
            if self.always or self._spans(day):
                added += 1
        return datetime.combine(day, local.time(), self.zone).astimezone(start.tzinfo or UTC)


ALWAYS = WorkingCalendar()


WHOLE_DAY = (time(0, 0), time(23, 59, 59, 999999))


def parse_hours(text: str) -> tuple[tuple[int, time, time], ...]:
    """'mon-fri 09:00-18:00' (or 'mon,wed 08:00-12:00; sat 10:00-14:00'; 'mon-fri' for whole
    days) -> working spans. Raises ValueError with what is wrong."""
    spans: list[tuple[int, time, time]] = []
    for part in (p.strip() for p in text.split(";") if p.strip()):
        days_text, _, hours_text = part.partition(" ")
        if hours_text.strip():
            start_text, _, end_text = hours_text.strip().partition("-")
            start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
        else:
            start, end = WHOLE_DAY
        if not start < end:
            raise ValueError(f"{hours_text.strip()!r}: the end must come after the start, the same day")
        for piece in days_text.split(","):
            first, _, last = piece.partition("-")
            names = (first.strip(), (last or first).strip())
            unknown = [n for n in names if n not in WEEKDAYS]
            if unknown:
                raise ValueError(f"{unknown[0]!r} is not a day (use {', '.join(WEEKDAYS)})")
            a, b = WEEKDAYS.index(names[0]), WEEKDAYS.index(names[1])
            spans += [(d, start, end) for d in range(a, b + 1)]
    return tuple(sorted(spans))

"""Working time: deadlines that count a team's hours, across DST changes and public holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.content.registry import installed
from assistant.domain.calendars import ALWAYS, WorkingCalendar, parse_hours

SAO_PAULO_OFFICE = WorkingCalendar(
    zone=ZoneInfo("America/Sao_Paulo"), hours=parse_hours("mon-fri 09:00-18:00"), country="BR"
)
# Europe/Berlin changes its clocks (last Sundays of March and October); Germany has holidays.
BERLIN_OFFICE = WorkingCalendar(
    zone=ZoneInfo("Europe/Berlin"),
    hours=parse_hours("mon-fri 08:00-12:00; mon-fri 13:00-17:00"),
    country="DE",
)

moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20))


@settings(max_examples=150, deadline=None)
@given(
    start=moments,
    first=durations,
    second=durations,
    calendar=st.sampled_from([SAO_PAULO_OFFICE, BERLIN_OFFICE]),
)
def test_working_time_adds_up(
    start: datetime, first: timedelta, second: timedelta, calendar: WorkingCalendar
) -> None:
    end = calendar.add(start, first)
    assert end >= start
    assert calendar.working_between(start, end) == first
    assert calendar.add(end, second) == calendar.add(start, first + second)
    if first:  # a deadline falls inside working hours, never on a holiday
        local = end.astimezone(calendar.zone)
        assert not calendar.is_holiday(local.date()) or local.time() == time(0, 0)


def test_a_two_hour_window_counts_only_office_hours() -> None:
    friday_evening = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # 17:00 in São Paulo
    due = SAO_PAULO_OFFICE.add(friday_evening, timedelta(hours=2))
    # One hour on Friday, one on Monday from 09:00 (12:00 UTC).
    assert due == datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
    assert ALWAYS.add(friday_evening, timedelta(hours=2)) == datetime(2026, 11, 27, 22, 0, tzinfo=UTC)


def test_public_holidays_are_days_off() -> None:
    # Christmas Eve is worked in Brazil; Christmas Day is a national holiday.
    eve = datetime(2026, 12, 24, 20, 0, tzinfo=UTC)  # 17:00 local, one hour left that day
    assert SAO_PAULO_OFFICE.add(eve, timedelta(hours=2)) == datetime(2026, 12, 28, 13, 0, tzinfo=UTC)
    assert SAO_PAULO_OFFICE.is_holiday(date(2026, 12, 25))


def test_the_clock_change_does_not_stretch_the_day() -> None:
    # Sunday 29 March 2026: Berlin moves from UTC+1 to UTC+2. Monday still starts at 08:00 local.
    friday = datetime(2026, 3, 27, 15, 0, tzinfo=UTC)  # 16:00 local, one hour left
    assert BERLIN_OFFICE.add(friday, timedelta(hours=2)) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (
            datetime(2026, 11, 22, 14, 0, tzinfo=UTC),
            datetime(2026, 11, 27, 14, 0, tzinfo=UTC),
        ),  # Sunday -> Friday
        (
            datetime(2026, 11, 26, 9, 0, tzinfo=UTC),
            datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
        ),  # Thursday -> Thursday
    ],
)
def test_the_rca_is_due_five_weekdays_after_resolution(start: datetime, expected: datetime) -> None:
    """The seed playbook's rca_calendar: Monday to Friday, in UTC."""
    assert installed().practice.rca_deadline(start, 5) == expected


def test_working_days_skip_holidays() -> None:
    wednesday = datetime(2026, 12, 23, 15, 0, tzinfo=UTC)
    # Thu 24, (Fri 25 Christmas), Mon 28, Tue 29, Wed 30.
    assert SAO_PAULO_OFFICE.add_working_days(wednesday, 4) == datetime(2026, 12, 30, 15, 0, tzinfo=UTC)


def test_hours_are_read_as_people_write_them() -> None:
    assert parse_hours("sat 10:00-14:00") == ((5, time(10), time(14)),)
    assert len(parse_hours("mon-fri 09:00-18:00")) == 5
    with pytest.raises(ValueError, match="end must come after"):
        parse_hours("mon 18:00-09:00")

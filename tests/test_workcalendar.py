"""Working-day deadlines: weekends, holidays, make-up days, extensions, month and year ends."""

import datetime as dt

import pytest
from hypothesis import given, strategies as st

from council.cases.workcalendar import WorkCalendar, due_date, is_overdue, working_days_left

D = dt.date
PLAIN = WorkCalendar()
# A National Day week: Oct 1-7 off, Sunday Sep 27 and Saturday Oct 10 worked (an illustrative arrangement).
NATIONAL_DAY = WorkCalendar(
    holidays=frozenset(D(2026, 10, d) for d in range(1, 8)),
    makeup_days=frozenset({D(2026, 9, 27), D(2026, 10, 10)}),
)


def test_weekdays_and_weekends():
    assert PLAIN.is_working_day(D(2026, 11, 20))  # Friday
    assert not PLAIN.is_working_day(D(2026, 11, 21))  # Saturday
    assert not PLAIN.is_working_day(D(2026, 11, 22))  # Sunday


def test_registration_day_never_counts():
    assert PLAIN.add_working_days(D(2026, 11, 16), 1) == D(2026, 11, 17)  # Mon -> Tue
    assert PLAIN.add_working_days(D(2026, 11, 16), 0) == D(2026, 11, 16)


def test_friday_plus_one_is_monday_and_weekend_registration():
    assert PLAIN.add_working_days(D(2026, 11, 20), 1) == D(2026, 11, 23)
    assert PLAIN.add_working_days(D(2026, 11, 21), 1) == D(2026, 11, 23)  # registered Saturday
    assert PLAIN.add_working_days(D(2026, 11, 20), 5) == D(2026, 11, 27)


def test_holiday_week_and_makeup_days():
    # Registered Friday Sep 25: Sep 27 (Sunday) is worked, then Sep 28, 29, 30, then Oct 8, 9, 10 (Saturday, worked).
    assert NATIONAL_DAY.add_working_days(D(2026, 9, 25), 1) == D(2026, 9, 27)
    assert NATIONAL_DAY.add_working_days(D(2026, 9, 25), 4) == D(2026, 9, 30)
    assert NATIONAL_DAY.add_working_days(D(2026, 9, 25), 5) == D(2026, 10, 8)
    assert NATIONAL_DAY.add_working_days(D(2026, 9, 25), 7) == D(2026, 10, 10)
    assert NATIONAL_DAY.add_working_days(D(2026, 9, 25), 8) == D(2026, 10, 12)
    assert not NATIONAL_DAY.is_working_day(D(2026, 10, 5))
    assert NATIONAL_DAY.is_working_day(D(2026, 10, 10))


def test_month_and_year_ends():
    assert PLAIN.add_working_days(D(2026, 1, 30), 1) == D(2026, 2, 2)  # Fri Jan 30 -> Mon Feb 2
    assert PLAIN.add_working_days(D(2026, 2, 27), 1) == D(2026, 3, 2)
    new_year = WorkCalendar(holidays=frozenset({D(2027, 1, 1)}))
    assert new_year.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)  # Thu -> (Fri holiday) -> Mon
    assert new_year.add_working_days(D(2026, 12, 30), 15) == D(2027, 1, 21)


def test_extensions_count_from_the_previous_deadline():
    assert due_date(PLAIN, D(2026, 11, 16), 5) == D(2026, 11, 23)
    assert due_date(PLAIN, D(2026, 11, 16), 5, [5]) == D(2026, 11, 30)
    assert due_date(PLAIN, D(2026, 11, 16), 5, [2, 3]) == D(2026, 11, 30)


def test_overdue_from_the_day_after():
    due = D(2026, 11, 23)
    assert not is_overdue(due, D(2026, 11, 23))
    assert is_overdue(due, D(2026, 11, 24))
    assert not is_overdue(due, D(2026, 11, 30), closed=True)
    assert working_days_left(PLAIN, due, D(2026, 11, 20)) == 1
    assert working_days_left(PLAIN, due, due) == 0
    assert working_days_left(PLAIN, due, D(2026, 11, 25)) == -2


def test_refuses_nonsense():
    with pytest.raises(ValueError):
        PLAIN.add_working_days(D(2026, 11, 16), -1)
    with pytest.raises(ValueError):
        WorkCalendar(holidays=frozenset({D(2026, 10, 10)}), makeup_days=frozenset({D(2026, 10, 10)}))


@given(
    start=st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31)),
    n=st.integers(min_value=0, max_value=60),
    holidays=st.sets(st.dates(min_value=D(2020, 1, 1), max_value=D(2031, 6, 30)), max_size=40),
)
def test_add_and_count_agree(start, n, holidays):
    cal = WorkCalendar(holidays=frozenset(holidays))
    due = cal.add_working_days(start, n)
    assert cal.working_days_between(start, due) == n
    assert n == 0 or cal.is_working_day(due)

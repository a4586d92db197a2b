"""Working-day arithmetic: weekends, holidays, time zones, and the inverse."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calibrate.durations import WorkCalendar, to_team_time
from calibrate.errors import InputError


def between(calendar: WorkCalendar, start: str, finish: str) -> float:
    (value,) = calendar.working_days_between(
        pd.Series([pd.Timestamp(start)]), pd.Series([pd.Timestamp(finish)])
    )
    return float(value)


# ---------------------------------------------------------------- weekends


def test_weekend_is_cut_out():
    # Fri 2024-03-15 17:00 -> Mon 2024-03-18 09:00: 7 h of Friday + 9 h of Monday.
    assert between(WorkCalendar(), "2024-03-15 17:00", "2024-03-18 09:00") == pytest.approx(
        16 / 24, rel=0, abs=1e-12
    )


def test_same_day_is_positive_and_exact():
    # Tue 2024-03-19, 09:00 -> 15:00 = 6 h = 0.25 day; 09:00 -> 09:20 = 20 min = 1/72 day.
    calendar = WorkCalendar()
    assert between(calendar, "2024-03-19 09:00", "2024-03-19 15:00") == pytest.approx(
        0.25, rel=0, abs=1e-12
    )
    short = between(calendar, "2024-03-19 09:00", "2024-03-19 09:20")
    assert short > 0
    assert short == pytest.approx(1 / 72, rel=0, abs=1e-12)


def test_whole_week_is_five_days():
    # Mon 09:00 -> next Mon 09:00: five weekdays, the weekend cut out.
    assert between(WorkCalendar(), "2024-03-18 09:00", "2024-03-25 09:00") == pytest.approx(
        5.0, rel=0, abs=1e-12
    )


def test_start_on_a_weekend_counts_from_monday():
    # Sat 2024-03-16 10:00 -> Mon 2024-03-18 12:00: only Monday 00:00-12:00 counts.
    assert between(WorkCalendar(), "2024-03-16 10:00", "2024-03-18 12:00") == pytest.approx(
        0.5, rel=0, abs=1e-12
    )


def test_finish_on_a_weekend_counts_to_friday_midnight():
    # Fri 2024-03-15 12:00 -> Sat 2024-03-16 15:00: Friday 12:00-24:00 only.
    assert between(WorkCalendar(), "2024-03-15 12:00", "2024-03-16 15:00") == pytest.approx(
        0.5, rel=0, abs=1e-12
    )


def test_start_and_finish_on_the_same_weekend_is_zero():
    assert between(WorkCalendar(), "2024-03-16 10:00", "2024-03-17 15:00") == 0.0


def test_custom_weekend_friday_saturday():
    # Thu 2024-03-14 09:00 -> Sun 2024-03-17 09:00.
    # Fri/Sat weekend: Thursday 15 h + Sunday 9 h = 1.0.
    # Sat/Sun weekend: Thursday 15 h + all of Friday = 1.625; Sunday does not count.
    fri_sat = WorkCalendar(weekend=("Fri", "Sat"))
    assert fri_sat.weekmask == "1111001"
    assert between(fri_sat, "2024-03-14 09:00", "2024-03-17 09:00") == pytest.approx(
        1.0, rel=0, abs=1e-12
    )
    assert between(WorkCalendar(), "2024-03-14 09:00", "2024-03-17 09:00") == pytest.approx(
        1.625, rel=0, abs=1e-12
    )


def test_finish_before_start_is_negative():
    calendar = WorkCalendar()
    # Tue 12:00 back to Mon 12:00 of the same week: one working day back.
    assert between(calendar, "2024-03-19 12:00", "2024-03-18 12:00") == pytest.approx(
        -1.0, rel=0, abs=1e-12
    )
    # Mon 09:00 back to the Friday before, 17:00: minus (9 h + 7 h).
    assert between(calendar, "2024-03-18 09:00", "2024-03-15 17:00") == pytest.approx(
        -16 / 24, rel=0, abs=1e-12
    )


def test_missing_timestamps_give_nan_and_leave_other_rows_alone():
    start = pd.Series(pd.to_datetime(["2024-03-19 09:00", None, "2024-03-19 09:00"]))
    finish = pd.Series(pd.to_datetime(["2024-03-19 15:00", "2024-03-20 09:00", None]))
    result = WorkCalendar().working_days_between(start, finish)
    assert result[0] == pytest.approx(0.25, rel=0, abs=1e-12)
    assert np.isnan(result[1])
    assert np.isnan(result[2])


def test_all_missing_gives_all_nan():
    empty = pd.Series([pd.NaT, pd.NaT], dtype="datetime64[ns]")
    assert np.isnan(WorkCalendar().working_days_between(empty, empty)).all()


# ---------------------------------------------------------------- holidays


def test_german_christmas_is_not_worked():
    # Tue 2024-12-24 09:00 -> Fri 2024-12-27 09:00. 25 and 26 Dec are DE public holidays:
    # Tuesday 15 h + Friday 9 h = 1.0. Without holidays: Tue, Wed, Thu in between = 3.0.
    assert between(WorkCalendar(country="DE"), "2024-12-24 09:00",
                   "2024-12-27 09:00") == pytest.approx(1.0, rel=0, abs=1e-12)
    assert between(WorkCalendar(), "2024-12-24 09:00", "2024-12-27 09:00") == pytest.approx(
        3.0, rel=0, abs=1e-12
    )


def test_us_thanksgiving_only_with_country_us():
    # Wed 2024-11-27 12:00 -> Fri 2024-11-29 12:00; Thanksgiving is Thu 2024-11-28.
    # US: Wednesday 12 h + Friday 12 h = 1.0. DE (a normal Thursday): 2.0.
    assert between(WorkCalendar(country="US"), "2024-11-27 12:00",
                   "2024-11-29 12:00") == pytest.approx(1.0, rel=0, abs=1e-12)
    assert between(WorkCalendar(country="DE"), "2024-11-27 12:00",
                   "2024-11-29 12:00") == pytest.approx(2.0, rel=0, abs=1e-12)


def test_bavarian_epiphany_needs_the_subdivision():
    # Fri 2025-01-03 12:00 -> Tue 2025-01-07 12:00; Mon 2025-01-06 is Epiphany in Bavaria.
    # DE-BY: Friday 12 h + Tuesday 12 h = 1.0. DE without BY: plus all of Monday = 2.0.
    assert between(WorkCalendar(country="DE", subdivision="BY"), "2025-01-03 12:00",
                   "2025-01-07 12:00") == pytest.approx(1.0, rel=0, abs=1e-12)
    assert between(WorkCalendar(country="DE"), "2025-01-03 12:00",
                   "2025-01-07 12:00") == pytest.approx(2.0, rel=0, abs=1e-12)


def test_extra_holidays_are_cut_out():
    # Mon 2024-12-23 12:00 -> Fri 2024-12-27 12:00 in DE: Monday 12 h, Tuesday 24 Dec,
    # (25, 26 public holidays), Friday 12 h. With 24 Dec as a company holiday: 1.0; else 2.0.
    extra = WorkCalendar(country="DE", extra_holidays=(dt.date(2024, 12, 24),))
    assert between(extra, "2024-12-23 12:00", "2024-12-27 12:00") == pytest.approx(
        1.0, rel=0, abs=1e-12
    )
    assert between(WorkCalendar(country="DE"), "2024-12-23 12:00",
                   "2024-12-27 12:00") == pytest.approx(2.0, rel=0, abs=1e-12)


def test_holidays_between_and_is_working_day():
    calendar = WorkCalendar(country="DE", extra_holidays=(dt.date(2024, 12, 24),))
    days = calendar.holidays_between(2024, 2024)
    assert dt.date(2024, 12, 24) in days
    assert dt.date(2024, 12, 25) in days
    assert dt.date(2024, 12, 23) not in days
    # Mon 23 (work), Tue 24 (extra), Wed 25 (public), Sat 28 (weekend).
    flags = calendar.is_working_day(pd.to_datetime(["2024-12-23", "2024-12-24", "2024-12-25",
                                                    "2024-12-28"]))
    assert flags.tolist() == [True, False, False, False]


def test_describe_and_to_dict():
    calendar = WorkCalendar(country="DE", subdivision="BY", weekend=("Fri", "Sat"),
                            extra_holidays=(dt.date(2024, 12, 24),), timezone="Europe/Berlin")
    text = calendar.describe()
    assert "Mon, Tue, Wed, Thu, Sun" in text
    assert "DE-BY" in text
    assert "Europe/Berlin" in text
    assert calendar.to_dict() == {
        "country": "DE", "subdivision": "BY", "weekend": ["Fri", "Sat"],
        "extra_holidays": ["2024-12-24"], "timezone": "Europe/Berlin",
    }


# ---------------------------------------------------------------- time zones


def test_spring_dst_switch_does_not_shorten_the_week():
    # Europe/Berlin moved to summer time on Sun 2024-03-31.
    # Mon 2024-03-25 09:00 CET = 08:00Z;  Mon 2024-04-01 09:00 CEST = 07:00Z.
    # UTC elapsed: 7 days - 1 hour. On the team's wall clock: Mon 09:00 -> Mon 09:00 = 5.0.
    start_utc = pd.Series(pd.to_datetime(["2024-03-25T08:00:00Z"]))
    finish_utc = pd.Series(pd.to_datetime(["2024-04-01T07:00:00Z"]))
    assert (finish_utc - start_utc)[0] == pd.Timedelta(days=7) - pd.Timedelta(hours=1)
    calendar = WorkCalendar(timezone="Europe/Berlin")
    start = to_team_time(start_utc, calendar.timezone)
    finish = to_team_time(finish_utc, calendar.timezone)
    assert start[0] == pd.Timestamp("2024-03-25 09:00")
    assert finish[0] == pd.Timestamp("2024-04-01 09:00")
    (days,) = calendar.working_days_between(start, finish)
    assert days == pytest.approx(5.0, rel=0, abs=1e-12)
    # Counted on the UTC clock instead, the hour would be lost: 5 - 1/24.
    utc = to_team_time(start_utc, "UTC"), to_team_time(finish_utc, "UTC")
    (naive_days,) = WorkCalendar().working_days_between(*utc)
    assert naive_days == pytest.approx(5 - 1 / 24, rel=0, abs=1e-12)


def test_autumn_dst_switch_does_not_lengthen_the_week():
    # Back to winter time on Sun 2024-10-27.
    # Mon 2024-10-21 09:00 CEST = 07:00Z;  Mon 2024-10-28 09:00 CET = 08:00Z: 7 days + 1 hour.
    start_utc = pd.Series(pd.to_datetime(["2024-10-21T07:00:00Z"]))
    finish_utc = pd.Series(pd.to_datetime(["2024-10-28T08:00:00Z"]))
    assert (finish_utc - start_utc)[0] == pd.Timedelta(days=7) + pd.Timedelta(hours=1)
    calendar = WorkCalendar(timezone="Europe/Berlin")
    (days,) = calendar.working_days_between(to_team_time(start_utc, calendar.timezone),
                                            to_team_time(finish_utc, calendar.timezone))
    assert days == pytest.approx(5.0, rel=0, abs=1e-12)


def test_to_team_time_keeps_naive_values_and_returns_naive_ns():
    naive = pd.Series(pd.to_datetime(["2024-03-25 09:00", None]))
    result = to_team_time(naive, "Europe/Berlin")
    assert result.dtype == "datetime64[ns]"
    assert result[0] == pd.Timestamp("2024-03-25 09:00")
    assert pd.isna(result[1])
    aware = to_team_time(pd.Series(pd.to_datetime(["2024-07-01T12:00:00Z"])), "America/New_York")
    assert aware.dtype == "datetime64[ns]"
    assert aware[0] == pd.Timestamp("2024-07-01 08:00")  # EDT = UTC-4


# ---------------------------------------------------------------- add_working_days


def test_add_working_days_example():
    # Fri 2024-03-15 17:00 plus 16/24 working days: 7 h to Friday midnight, 9 h into Monday.
    finish = WorkCalendar().add_working_days(pd.Series([pd.Timestamp("2024-03-15 17:00")]),
                                             np.array([16 / 24]))
    assert finish[0] == pd.Timestamp("2024-03-18 09:00")


def test_add_working_days_from_a_weekend_starts_on_monday():
    # Sat 2024-03-16 10:00 plus 1.5 days: Monday 00:00 + 1.5 = Tuesday 12:00.
    finish = WorkCalendar().add_working_days(pd.Series([pd.Timestamp("2024-03-16 10:00")]),
                                             np.array([1.5]))
    assert finish[0] == pd.Timestamp("2024-03-19 12:00")


_CALENDARS = [
    WorkCalendar(),
    WorkCalendar(country="DE", subdivision="BY", extra_holidays=(dt.date(2024, 12, 24),)),
    WorkCalendar(weekend=("Fri", "Sat"), country="US"),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    calendar=st.sampled_from(_CALENDARS),
    cases=st.lists(
        st.tuples(
            st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2028, 12, 31)),
            st.floats(min_value=0, max_value=60, allow_nan=False, allow_infinity=False),
        ),
        min_size=1, max_size=12,
    ),
)
def test_add_working_days_inverts_working_days_between(calendar, cases):
    starts = pd.Series([pd.Timestamp(start) for start, _ in cases], dtype="datetime64[ns]")
    days = np.array([d for _, d in cases])
    finish = calendar.add_working_days(starts, days)
    back = calendar.working_days_between(starts, finish)
    np.testing.assert_allclose(back, days, rtol=0, atol=1e-6)
    assert (finish >= starts).all()


_MOMENTS = st.lists(
    st.datetimes(min_value=dt.datetime(2023, 1, 1), max_value=dt.datetime(2026, 12, 31)),
    min_size=3, max_size=3,
)


def _days(calendar: WorkCalendar, start, finish) -> float:
    return float(calendar.working_days_between(pd.Series([pd.Timestamp(start)]),
                                               pd.Series([pd.Timestamp(finish)]))[0])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendar=st.sampled_from(_CALENDARS), moments=_MOMENTS)
def test_working_days_add_up(calendar, moments):
    # Independent of the implementation: for A <= B <= C, A->B plus B->C is A->C, and
    # never more than the calendar time between them.
    a, b, c = sorted(moments)
    assert _days(calendar, a, b) + _days(calendar, b, c) == pytest.approx(
        _days(calendar, a, c), rel=0, abs=1e-9)
    assert 0 <= _days(calendar, a, b) <= (b - a) / dt.timedelta(days=1) + 1e-9




def test_finish_on_a_weekend_before_a_weekday_start_is_minus_the_forward_time():
    # Forward, Sat 2024-03-16 10:00 -> Mon 2024-03-18 09:00 is Monday's 9 h = 9/24.
    # Backward, Mon 09:00 -> Sat 10:00, it must be -9/24.
    assert between(WorkCalendar(), "2024-03-16 10:00", "2024-03-18 09:00") == pytest.approx(
        9 / 24, rel=0, abs=1e-12)
    assert between(WorkCalendar(), "2024-03-18 09:00", "2024-03-16 10:00") == pytest.approx(
        -9 / 24, rel=0, abs=1e-12)


@settings(max_examples=60, deadline=None, report_multiple_bugs=False,
          suppress_health_check=[HealthCheck.too_slow])
@given(calendar=st.sampled_from(_CALENDARS), moments=_MOMENTS)
def test_reversing_the_interval_flips_the_sign(calendar, moments):
    a, b, _ = moments
    assert _days(calendar, b, a) == pytest.approx(-_days(calendar, a, b), rel=0, abs=1e-9)


# ---------------------------------------------------------------- invalid calendars


def test_invalid_calendar_lists_every_problem():
    with pytest.raises(InputError) as caught:
        WorkCalendar(country="XX", weekend=("Sat", "Funday"), timezone="Mars/Olympus")
    columns = sorted(p.column for p in caught.value.problems)
    assert columns == ["calendar.country", "calendar.timezone", "calendar.weekend"]
    text = str(caught.value)
    assert "Funday" in text and "Mars/Olympus" in text and "XX" in text


def test_unknown_subdivision_is_an_input_error():
    with pytest.raises(InputError) as caught:
        WorkCalendar(country="DE", subdivision="ZZ")
    assert [p.column for p in caught.value.problems] == ["calendar.subdivision"]
    assert "ZZ" in str(caught.value)


def test_unknown_subdivision_is_at_least_an_input_error():
    with pytest.raises(InputError):
        WorkCalendar(country="DE", subdivision="ZZ")


def test_every_day_a_weekend_is_an_input_error():
    with pytest.raises(InputError, match="every day is a weekend day"):
        WorkCalendar(weekend=("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))

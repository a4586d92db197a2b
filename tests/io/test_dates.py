"""Date cells as real exports write them: one format per column, nothing guessed."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calibrate.errors import InputError
from calibrate.io import _dates
from calibrate.io._dates import _FORMATS, parse_timestamps


def parse(cells, **kwargs):
    return parse_timestamps(pd.Series(cells, dtype="object"), column="Created",
                            file="export.csv", **kwargs)


@pytest.mark.parametrize(
    "cell, fmt, expected, has_time",
    [
        ("14/Mar/24 3:07 PM", "%d/%b/%y %I:%M %p", "2024-03-14 15:07", True),
        ("14/Mar/24 12:30 AM", "%d/%b/%y %I:%M %p", "2024-03-14 00:30", True),
        ("14/Mar/2024", "%d/%b/%Y", "2024-03-14", False),
        ("14/03/2024 15:07", "%d/%m/%Y %H:%M", "2024-03-14 15:07", True),
        ("14.03.2024", "%d.%m.%Y", "2024-03-14", False),
        ("14.03.2024 15:07", "%d.%m.%Y %H:%M", "2024-03-14 15:07", True),
        ("Mar 14, 2024", "%b %d, %Y", "2024-03-14", False),
    ],
)
def test_supported_formats(cell, fmt, expected, has_time):
    parsed = parse([cell])
    assert parsed.format == fmt
    assert parsed.values.dtype == "datetime64[ns]"
    assert parsed.values[0] == pd.Timestamp(expected)
    assert parsed.has_time.tolist() == [has_time]
    assert parsed.unreadable.tolist() == [False]


def test_iso_with_z_is_utc_aware():
    parsed = parse(["2024-03-14T15:07:00Z"])
    assert parsed.format == "ISO 8601"
    assert str(parsed.values.dtype) == "datetime64[ns, UTC]"
    assert parsed.values[0] == pd.Timestamp("2024-03-14 15:07", tz="UTC")
    assert parsed.has_time.tolist() == [True]


@pytest.mark.parametrize("cell", ["2024-03-14T15:07:00+0100", "2024-03-14T15:07:00+01:00"])
def test_iso_with_offset_is_converted_to_utc(cell):
    # 15:07 at UTC+1 is 14:07 UTC.
    parsed = parse([cell])
    assert parsed.values[0] == pd.Timestamp("2024-03-14 14:07", tz="UTC")


def test_naive_iso_stays_naive():
    parsed = parse(["2024-03-14T15:07:00", "2024-03-15 08:00"])
    assert parsed.values.dtype == "datetime64[ns]"
    assert parsed.values.tolist() == [pd.Timestamp("2024-03-14 15:07"),
                                      pd.Timestamp("2024-03-15 08:00")]


def test_column_mixing_offsets_and_naive_cells_reads_the_naive_ones_as_utc():
    parsed = parse(["2024-03-14T15:07:00Z", "2024-03-14T16:00:00+01:00", "2024-03-14T16:00:00"])
    assert parsed.values.tolist() == [pd.Timestamp("2024-03-14 15:07", tz="UTC"),
                                      pd.Timestamp("2024-03-14 15:00", tz="UTC"),
                                      pd.Timestamp("2024-03-14 16:00", tz="UTC")]


def test_assume_utc_makes_naive_cells_utc():
    parsed = parse(["2024-03-14 15:07:00"], assume_utc=True)
    assert parsed.values[0] == pd.Timestamp("2024-03-14 15:07", tz="UTC")
    parsed = parse(["14/03/2024 15:07"], assume_utc=True)
    assert parsed.values[0] == pd.Timestamp("2024-03-14 15:07", tz="UTC")


def test_date_only_iso_has_no_time():
    parsed = parse(["2024-03-14", "2024-03-15T10:00:00"])
    assert parsed.has_time.tolist() == [False, True]


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("29/июл/26 09:59", "2026-07-29 09:59"),      # Russian
        ("12/Mär/24 10:00 AM", "2024-03-12 10:00"),   # German
        ("14/févr./24", "2024-02-14"),                # French, with its trailing dot
        ("3/мая/24 18:00", "2024-05-03 18:00"),       # Russian genitive
        ("5/paź/24 08:15", "2024-10-05 08:15"),       # Polish
    ],
)
def test_localised_month_names(cell, expected):
    parsed = parse([cell])
    assert parsed.values[0] == pd.Timestamp(expected)
    assert not parsed.unreadable.any()


def test_day_first_when_the_column_allows_it():
    # 25/04 can only be day-first, so 03/04 is the 3rd of April too.
    parsed = parse(["03/04/2024", "25/04/2024"])
    assert parsed.format == "%d/%m/%Y"
    assert parsed.values.tolist() == [pd.Timestamp("2024-04-03"), pd.Timestamp("2024-04-25")]


def test_one_format_per_column_and_the_odd_cell_is_flagged_not_guessed():
    # Month-first reads three cells, day-first two: the column is month-first, so
    # 03/04 is the 4th of March, and 25/04 is unreadable rather than read day-first.
    parsed = parse(["03/04/2024", "04/25/2024", "04/26/2024", "25/04/2024"])
    assert parsed.format == "%m/%d/%Y"
    assert parsed.values[0] == pd.Timestamp("2024-03-04")
    assert parsed.values[1] == pd.Timestamp("2024-04-25")
    assert pd.isna(parsed.values[3])
    assert parsed.unreadable.tolist() == [False, False, False, True]


def test_empty_and_missing_cells_are_not_unreadable():
    parsed = parse(["14/Mar/24 3:07 PM", "", None, "  ", "garbage"])
    assert parsed.values.isna().tolist() == [False, True, True, True, True]
    assert parsed.unreadable.tolist() == [False, False, False, False, True]
    assert parsed.has_time.tolist() == [True, False, False, False, False]


def test_all_empty_column():
    parsed = parse(["", None])
    assert parsed.format == ""
    assert parsed.values.isna().all()
    assert not parsed.unreadable.any()
    assert str(parse([""], assume_utc=True).values.dtype) == "datetime64[ns, UTC]"


def test_mostly_garbage_column_is_an_input_error_naming_column_and_file():
    with pytest.raises(InputError) as caught:
        parse_timestamps(pd.Series(["high", "low", "14/Mar/24 3:07 PM"]), column="Priority",
                         file="export.csv", rows=np.array([2, 3, 4]))
    error = caught.value
    assert "'Priority'" in error.summary and "export.csv" in error.summary
    assert [(p.row, p.value) for p in error.problems] == [(2, "high"), (3, "low")]
    assert all(p.column == "Priority" and p.file == "export.csv" for p in error.problems)


def test_implausible_years_are_unreadable():
    # No tracker holds tickets from year 24 or 2150: flagged, not kept.
    parsed = parse(["2024-03-14", "2024-03-15", "2024-03-16", "2150-01-01"])
    assert parsed.unreadable.tolist() == [False, False, False, True]
    parsed = parse(["14/03/2024", "15/03/2024", "16/03/2024", "17/03/0024"])
    assert parsed.unreadable.tolist() == [False, False, False, True]


def test_repeated_cells_parse_the_same():
    cells = ["14/Mar/24 3:07 PM"] * 3 + ["15/Mar/24 9:00 AM"]
    parsed = parse(cells)
    assert parsed.values.tolist() == [pd.Timestamp("2024-03-14 15:07")] * 3 + [
        pd.Timestamp("2024-03-15 09:00")]


def test_index_of_the_input_does_not_matter():
    cells = pd.Series(["14/Mar/24 3:07 PM", "", "15/Mar/24 9:00 AM"], index=[10, 20, 30])
    parsed = parse_timestamps(cells, column="Created", file="export.csv")
    assert parsed.values.isna().tolist() == [False, True, False]
    assert parsed.values[2] == pd.Timestamp("2024-03-15 09:00")


# ---------------------------------------------------------------- round trip


def _precision(fmt: str) -> str:
    if "%S" in fmt:
        return "s"
    if "%M" in fmt:
        return "min"
    return "D"


_MONTH_FIRST = {f for f in _FORMATS if f.startswith("%m/")}


@pytest.mark.parametrize("fmt", _FORMATS)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    moments=st.lists(
        st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2060, 12, 31)),
        min_size=1, max_size=8,
    ),
)
def test_every_supported_pattern_round_trips(fmt, moments):
    # pandas reads %y 00-68 as 20xx, so dates 2000-2060 stay unambiguous.
    expected = [pd.Timestamp(m).floor(_precision(fmt)) for m in moments]
    if fmt in _MONTH_FIRST:
        # Month-first is only chosen over day-first when some cell proves it:
        # add one whose day cannot be a month.
        expected.append(pd.Timestamp("2024-04-25 13:45"))
    cells = [m.strftime(fmt) for m in expected]
    parsed = parse(cells)
    assert parsed.format == fmt, cells
    assert parsed.values.tolist() == [e.floor(_precision(fmt)) for e in expected]
    assert not parsed.unreadable.any()
    assert parsed.has_time.all() == (_precision(fmt) != "D")


@settings(max_examples=25, deadline=None)
@given(
    moments=st.lists(
        st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2099, 12, 31)),
        min_size=1, max_size=8,
    ),
    utc=st.booleans(),
)
def test_iso_round_trips_to_the_microsecond(moments, utc):
    cells = [m.isoformat() + ("Z" if utc else "") for m in moments]
    parsed = parse(cells)
    expected = [pd.Timestamp(m, tz="UTC" if utc else None) for m in moments]
    assert parsed.format == "ISO 8601"
    assert parsed.values.tolist() == expected


# --------------------------------------------------------------------------- strptime
# strptime parses a "date time" format in two parts (once per distinct day and
# per distinct time): it must agree with pandas parsing the whole cell, on
# valid cells and on every kind of broken one.

_SEPARABLE = [f for f in _dates._FORMATS if " " in f and f.partition(" ")[0].count("%")
              and not any(d in f.partition(" ")[0] for d in _dates._TIME_DIRECTIVES)
              and not any(d in f.partition(" ")[2] for d in _dates._DATE_DIRECTIVES)]
_moments = st.datetimes(min_value=dt.datetime(1965, 1, 1), max_value=dt.datetime(2105, 12, 31))
_junk = st.text("0123456789/:.-, \tJanFebMrpyAPMam", max_size=24)


def test_the_date_time_formats_are_split():
    assert "%d/%b/%y %I:%M %p" in _SEPARABLE and "%d.%m.%Y %H:%M" in _SEPARABLE
    assert "%b %d, %Y %I:%M %p" not in _SEPARABLE  # a space inside the date: parsed whole


@settings(max_examples=80, deadline=None)
@given(fmt=st.sampled_from(_SEPARABLE), moments=st.lists(_moments, min_size=1, max_size=20),
       junk=st.lists(_junk, max_size=10), spaces=st.sampled_from([" ", "  ", "\t", " \t "]),
       drop_leading_zero=st.booleans())
def test_strptime_agrees_with_pandas_parsing_whole_cells(fmt, moments, junk, spaces,
                                                         drop_leading_zero):
    cells = [m.strftime(fmt).replace(" ", spaces, 1) for m in moments]
    if drop_leading_zero:  # Jira writes 3:07 PM, not 03:07 PM
        cells = [c.replace(" 0", " ") for c in cells]
    cells += junk + ["31/Feb/24 1:00 AM", "14/Mar/24", "3:07 PM", ""]
    # Enough cells for the split path (short columns are parsed whole anyway).
    values = pd.Series((cells * (1000 // len(cells) + 1))[:max(1000, len(cells))], dtype=object)
    expected = pd.to_datetime(values, format=fmt, errors="coerce").astype("datetime64[ns]")
    result = _dates.strptime(values, fmt)
    pd.testing.assert_series_equal(result.astype("datetime64[ns]"), expected)

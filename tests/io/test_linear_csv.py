"""Linear CSV reader: fixtures shaped like real exports, hand-computed durations."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _descriptions import check_nowhere, read_classified
from _helpers import FIXTURES, HOUR, QUICK, check_accounting, row, without_columns, write_csv_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calibrate.config import config_from_dict
from calibrate.errors import InputError
from calibrate.io import detect_format, read_export
from calibrate.io._reader import DESCRIPTION_CHARS
from calibrate.io.linear_csv import looks_like_linear_csv, read_linear_csv

SMALL = FIXTURES / "linear_small.csv"  # the 30-column export
TSHIRT = FIXTURES / "linear_tshirt.csv"  # the newer 35-column export, t-shirt estimates
SIZES = config_from_dict({"points": {"scale": {"XS": 1, "S": 2, "M": 3, "L": 5, "XL": 8}}})


# ---------------------------------------------------------------- detection


@pytest.mark.parametrize("path", [SMALL, TSHIRT])
def test_detect_format_recognises_both_header_variants(path):
    assert detect_format(path) == "linear_csv"


def test_looks_like_linear_needs_the_distinctive_columns():
    header = SMALL.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert looks_like_linear_csv(header)
    assert not looks_like_linear_csv([h for h in header if h != "Estimate"])
    assert not looks_like_linear_csv(["Issue key", "Summary", "Status", "Assignee"])


# ---------------------------------------------------------------- the small export


def test_rows_accounted_and_multiline_descriptions_do_not_split_rows():
    table = read_linear_csv(SMALL, as_of="2024-05-17 12:00")
    # 12 records in the file, although the first Description spans four lines
    assert table.rows_read == 12
    check_accounting(table)
    assert table.source_format == "linear_csv"


def test_exact_exclusion_reason_per_row():
    table = read_linear_csv(SMALL, as_of="2024-05-17 12:00")
    reasons = dict(zip(table.excluded["source_row"], table.excluded["reason"], strict=True))
    assert reasons == {
        4: "not finished work",    # ML-3: Canceled set
        5: "not finished work",    # ML-4: status Duplicate, no Canceled time
        7: "not started",          # ML-6: Todo, no Started
        8: "unassigned",           # ML-7
        9: "no points",            # ML-8: empty Estimate
        10: "invalid points",      # ML-9: Estimate -1
        11: "unparseable date",    # ML-10: Completed "sometime in May"
        12: "duplicate ticket id",  # ML-1 again
        13: "negative duration",   # ML-11: Completed before Started
    }
    details = dict(zip(table.excluded["source_row"], table.excluded["detail"], strict=True))
    assert details[4] == "closed as Canceled"
    assert details[5] == "closed as Duplicate"
    assert details[12] == "ticket ML-1 first seen at row 2"
    assert "'sometime in May'" in details[11] and "'Completed'" in details[11]
    assert table.tickets["ticket_id"].tolist() == ["ML-1", "ML-2", "ML-5"]


def test_cycle_time_from_started_to_completed():
    table = read_linear_csv(SMALL, as_of="2024-05-17 12:00")
    ml1 = row(table, "ML-1")
    # Started Tue 2024-05-07 09:00 UTC, Completed Thu 2024-05-09 15:00 UTC:
    # 15 h of Tue + Wed (1 day) + 15 h of Thu = 15/24 + 1 + 15/24 = 2.25
    np.testing.assert_allclose(ml1["duration_days"], 2.25, rtol=0, atol=1e-9)
    assert ml1["clock"] == "cycle"
    assert ml1["started_at"] == pd.Timestamp("2024-05-07 09:00")
    assert not ml1["censored"]


def test_completed_without_started_falls_back_to_lead_time():
    table = read_linear_csv(SMALL, as_of="2024-05-17 12:00")
    ml2 = row(table, "ML-2")
    # Created Fri 2024-05-10 12:00 UTC, Completed Mon 2024-05-13 06:00 UTC:
    # 12 h of Fri + weekend (0) + 6 h of Mon = 12/24 + 6/24 = 0.75
    np.testing.assert_allclose(ml2["duration_days"], 0.75, rtol=0, atol=1e-9)
    assert ml2["clock"] == "lead"
    assert ml2["started_at"] == pd.Timestamp("2024-05-10 12:00")
    assert any("clock=lead" in note for note in table.notes)


def test_open_started_issue_is_censored_at_as_of():
    table = read_linear_csv(SMALL, as_of="2024-05-17 12:00")
    ml5 = row(table, "ML-5")
    # Started Mon 2024-05-13 10:00, as-of Fri 2024-05-17 12:00:
    # 14 h of Mon + Tue, Wed, Thu (3) + 12 h of Fri = 14/24 + 3 + 12/24 = 4 + 1/12
    np.testing.assert_allclose(ml5["duration_days"], 4 + 1 / 12, rtol=0, atol=1e-9)
    assert ml5["censored"]
    assert pd.isna(ml5["finished_at"])
    assert ml5["clock"] == "cycle"


def test_text_fields_mapped_and_formula_escape_removed():
    table = read_linear_csv(SMALL, as_of="2024-05-17 12:00")
    ml1, ml2 = row(table, "ML-1"), row(table, "ML-2")
    assert ml2["title"] == "=SUM(A1)"  # the cell is '=SUM(A1)
    assert ml1["title"] == "Train baseline ranker"
    assert ml1["engineer"] == "priya@example.com"  # the e-mail, as exported
    assert ml1["labels"] == "research; experiment"  # "research, experiment" in the cell
    assert ml1["epic"] == "Ranking"
    assert ml1["sprints"] == "Sprint 12"
    assert ml2["sprints"] == "Cycle 13"  # empty Cycle Name, Cycle Number 13
    assert pd.isna(ml1["issue_type"])
    assert ml1["points"] == 3.0


def test_default_as_of_is_latest_time_in_file():
    table = read_linear_csv(SMALL)
    # latest cell: ML-5's Started / ML-2's Completed ... the max is 2024-05-13 10:00 UTC
    assert table.as_of == pd.Timestamp("2024-05-13 10:00")


def test_team_field_feeds_area_rules():
    config = config_from_dict({"areas": {"rules": [
        {"area": "ml-engineering", "patterns": ["^machine learning$"], "fields": ["team"]},
    ]}})
    table = read_linear_csv(SMALL, config, as_of="2024-05-17 12:00")
    assert set(table.tickets["area"]) == {"ml-engineering"}


# ---------------------------------------------------------------- t-shirt sizes, new header


def test_tshirt_estimates_mapped_by_config_scale():
    table = read_linear_csv(TSHIRT, SIZES)
    check_accounting(table)
    points = dict(zip(table.tickets["ticket_id"], table.tickets["points"], strict=True))
    assert points == {"DS-1": 2.0, "DS-2": 3.0, "DS-3": 8.0, "DS-6": 5.0}
    reasons = dict(zip(table.excluded["ticket_id"], table.excluded["reason"], strict=True))
    assert reasons == {"DS-4": "invalid points", "DS-5": "not finished work"}
    assert "'XXL'" in table.excluded.set_index("ticket_id").loc["DS-4", "detail"]


def test_tshirt_estimates_without_scale_are_invalid():
    table = read_linear_csv(TSHIRT)
    check_accounting(table)
    assert table.tickets.empty
    assert (table.excluded["reason"].value_counts().to_dict()
            == {"invalid points": 5, "not finished work": 1})


def test_default_as_of_and_censoring_on_new_export():
    table = read_linear_csv(TSHIRT, SIZES)
    # latest time in the file: DS-2 Completed Mon 2024-05-13 10:00 UTC
    assert table.as_of == pd.Timestamp("2024-05-13 10:00")
    ds6 = row(table, "DS-6")
    # Started Thu 2024-05-09 08:00 -> as-of Mon 2024-05-13 10:00:
    # 16 h of Thu + Fri (1) + weekend (0) + 10 h of Mon = 16/24 + 1 + 10/24
    np.testing.assert_allclose(ds6["duration_days"], 16 * HOUR + 1 + 10 * HOUR,
                               rtol=0, atol=1e-9)
    assert ds6["censored"]


def test_utc_times_converted_to_team_time_zone():
    # DS-2 started Fri 2024-05-10 22:30 UTC, completed Mon 2024-05-13 10:00 UTC.
    utc = row(read_linear_csv(TSHIRT, SIZES), "DS-2")
    # UTC: 1.5 h of Fri + weekend (0) + 10 h of Mon = 11.5/24
    np.testing.assert_allclose(utc["duration_days"], 11.5 * HOUR, rtol=0, atol=1e-9)

    berlin = config_from_dict({"calendar": {"timezone": "Europe/Berlin"},
                               "points": {"scale": {"S": 2, "M": 3, "L": 5, "XL": 8}}})
    local = row(read_linear_csv(TSHIRT, berlin), "DS-2")
    # Berlin is UTC+2 in May: start Sat 2024-05-11 00:30 (weekend, counts 0),
    # finish Mon 12:00 -> 12/24 = 0.5
    assert local["started_at"] == pd.Timestamp("2024-05-11 00:30")
    assert local["finished_at"] == pd.Timestamp("2024-05-13 12:00")
    np.testing.assert_allclose(local["duration_days"], 0.5, rtol=0, atol=1e-9)


def test_read_export_dispatches_to_linear():
    table = read_export(SMALL, as_of="2024-05-17 12:00")
    assert table.source_format == "linear_csv"
    check_accounting(table)


# ---------------------------------------------------------------- errors


def test_missing_completed_column_names_file_and_column(tmp_path):
    path = without_columns(SMALL, ("Completed",), tmp_path / "no_completed.csv")
    with pytest.raises(InputError) as caught:
        read_linear_csv(path)
    message = str(caught.value)
    assert str(path) in message
    assert "'Completed'" in message
    assert [p.column for p in caught.value.problems] == ["Completed"]


def test_missing_columns_all_listed(tmp_path):
    path = without_columns(SMALL, ("Estimate",), tmp_path / "a.csv")
    path = without_columns(path, ("Started",), tmp_path / "b.csv")
    with pytest.raises(InputError) as caught:
        read_linear_csv(path)
    assert sorted(p.column for p in caught.value.problems) == ["Estimate", "Started"]


# ---------------------------------------------------------------- property test

HEADER = SMALL.read_text(encoding="utf-8").splitlines()[0].split(",")
_VALID_TIME = st.datetimes(min_value=pd.Timestamp("2024-01-01").to_pydatetime(),
                           max_value=pd.Timestamp("2024-12-31").to_pydatetime()).map(
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
# mostly valid, so that some rows survive; empty and garbage cells too
_TIMES = st.one_of(
    _VALID_TIME, _VALID_TIME, _VALID_TIME, st.just(""),
    st.sampled_from(["garbage", "2024-13-45T00:00:00.000Z", "31/12/2024", "0"]),
)
_TEXT = st.text(st.characters(exclude_categories=("Cc", "Cs")) | st.sampled_from("\n,\"'"),
                max_size=12)
_ESTIMATES = st.one_of(
    st.integers(-5, 21).map(str), st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "S", "M", "XXL", "abc", "1,5", "  3 "]),
)
_ROWS = st.fixed_dictionaries({
    "ID": st.sampled_from(["ML-1", "ML-2", "ML-3", "ML-4", "", "'=X"]),
    "Title": _TEXT,
    "Status": st.sampled_from(["Done", "In Progress", "Todo", "Canceled", "Duplicate",
                               "Backlog", ""]),
    "Estimate": _ESTIMATES,
    "Assignee": st.sampled_from(["a@example.com", "b@example.com", ""]),
    "Labels": st.sampled_from(["", "x", "x, y", "'=z"]),
    "Created": _TIMES,
    "Started": _TIMES,
    "Completed": _TIMES,
    "Canceled": st.sampled_from(["", "2024-05-01T00:00:00.000Z"]),
    "Updated": _TIMES,
})


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_ROWS, min_size=1, max_size=8),
       as_of=st.sampled_from([None, "2024-06-30 12:00", "2023-06-01"]))
def test_random_rows_are_accounted_for_or_rejected(rows, as_of):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "linear.csv"
        write_csv_rows(path, HEADER, rows)
        try:
            table = read_linear_csv(path, SIZES, as_of=as_of)
        except InputError as error:
            # a bad row is excluded, never a reason for the reader's own table to fail
            # the canonical schema
            assert "does not match the canonical ticket table" not in str(error)
            return
    assert table.rows_read == len(rows)
    check_accounting(table)
    assert (table.tickets["duration_days"] > 0).all()


_DELAYS = st.tuples(
    st.datetimes(min_value=pd.Timestamp("2024-01-01").to_pydatetime(),
                 max_value=pd.Timestamp("2024-12-31").to_pydatetime()),
    st.integers(0, 200 * 60),      # minutes from Created to Started
    st.one_of(st.integers(-72 * 60, 400 * 60),  # minutes from the start of the clock to
              st.integers(-1, QUICK + 1)),     # Completed, also around the bookkeeping limit
    st.booleans(),                 # Started filled
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tickets=st.lists(_DELAYS, min_size=1, max_size=8))
def test_clean_done_rows_kept_exactly_when_completed_after_start(tickets):
    rows, expected_kept, expected_reasons = [], [], {}
    stamp = "%Y-%m-%dT%H:%M:%S.000Z"
    for number, (created, to_start, to_finish, has_start) in enumerate(tickets):
        started = created + pd.Timedelta(minutes=to_start)
        clock_start = started if has_start else created
        rows.append({"ID": f"ML-{number}", "Title": "t", "Status": "Done", "Estimate": "3",
                     "Assignee": "a@example.com", "Created": created.strftime(stamp),
                     "Started": started.strftime(stamp) if has_start else "",
                     "Completed": (clock_start + pd.Timedelta(minutes=to_finish)).strftime(stamp)})
        if to_finish >= QUICK:
            expected_kept.append(f"ML-{number}")
        else:  # done within closed_within_minutes of the clock's start: bookkeeping
            expected_reasons[f"ML-{number}"] = (
                "negative duration" if to_finish < 0 else "closed within minutes")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "linear.csv"
        write_csv_rows(path, HEADER, rows)
        table = read_linear_csv(path)
    assert table.tickets["ticket_id"].tolist() == expected_kept
    assert dict(zip(table.excluded["ticket_id"], table.excluded["reason"], strict=True)) \
        == expected_reasons
    assert (table.tickets["duration_days"] > 0).all()
    clocks = dict(zip(table.tickets["ticket_id"], table.tickets["clock"], strict=True))
    for number, (_, _, _, has_start) in enumerate(tickets):
        if f"ML-{number}" in clocks:
            assert clocks[f"ML-{number}"] == ("cycle" if has_start else "lead")


# ---------------------------------------------------------------- descriptions


def test_descriptions_reach_the_classifier_and_nothing_else(monkeypatch, tmp_path):
    table, described = read_classified(monkeypatch, SMALL)
    assert described["ML-1"] == ('Compare against the BM25 baseline, then report.\n'
                                 'See "offline metrics", section 2.\n\n- recall@10, ndcg')
    assert described["ML-2"] is None
    check_nowhere(table, ["BM25 baseline", '"offline metrics", section 2'], tmp_path)
    _, unread = read_classified(monkeypatch, SMALL, classify=False)
    assert set(unread.values()) == {None}


def test_long_descriptions_are_cut_and_a_missing_column_is_no_error(monkeypatch, tmp_path):
    rows = [{"ID": "ML-1", "Title": "t", "Description": "  " + "x" * 5_000, "Status": "Done",
             "Estimate": "3", "Assignee": "a@example.com", "Created": "2024-05-06T08:00:00Z",
             "Started": "2024-05-07T09:00:00Z", "Completed": "2024-05-09T15:00:00Z"}]
    header = [*rows[0], "Canceled", "Updated"]
    _, described = read_classified(monkeypatch, write_csv_rows(tmp_path / "a.csv", header, rows))
    # The first DESCRIPTION_CHARS characters, then stripped.
    assert described["ML-1"] == "x" * (DESCRIPTION_CHARS - 2)
    header.remove("Description")
    _, described = read_classified(monkeypatch, write_csv_rows(tmp_path / "b.csv", header, rows))
    assert described == {"ML-1": None}

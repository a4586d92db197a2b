"""Generic CSV reader: a [columns] mapping, hand-computed durations, mapping errors."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _descriptions import check_nowhere, read_classified
from _helpers import FIXTURES, HOUR, QUICK, check_accounting, row, write_csv_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calibrate.config import Config, config_from_dict, load_config
from calibrate.errors import InputError
from calibrate.io import detect_format, read_export
from calibrate.io.generic_csv import ALLOWED_KEYS, read_generic_csv

SMALL = FIXTURES / "generic_small.csv"
SMALL_CONFIG = FIXTURES / "generic_small.toml"
OFFSETS = FIXTURES / "generic_offsets.csv"  # semicolon-separated, ISO times with offsets
OFFSETS_CONFIG = FIXTURES / "generic_offsets.toml"  # timezone Europe/Berlin
AS_OF = "2024-04-10 12:00"


@pytest.fixture(scope="module")
def small():
    return read_generic_csv(SMALL, load_config(SMALL_CONFIG), as_of=AS_OF)


# ---------------------------------------------------------------- detection


def test_detect_format_needs_the_config():
    assert detect_format(SMALL, load_config(SMALL_CONFIG)) == "generic_csv"
    assert detect_format(OFFSETS, load_config(OFFSETS_CONFIG)) == "generic_csv"
    with pytest.raises(InputError):
        detect_format(SMALL)


def test_read_export_uses_config_file():
    table = read_export(SMALL, config=SMALL_CONFIG, as_of=AS_OF)
    assert table.source_format == "generic_csv"
    check_accounting(table)


# ---------------------------------------------------------------- the small file


def test_rows_accounted_and_exact_exclusion_reasons(small):
    assert small.rows_read == 10  # the first Notes cell spans two lines
    check_accounting(small)
    reasons = dict(zip(small.excluded["source_row"], small.excluded["reason"], strict=True))
    assert reasons == {
        4: "not finished work",  # T-3, Outcome Won't Do
        6: "not started",        # T-5, To Do, no Work started
        7: "unassigned",         # T-6
        8: "unparseable date",   # T-7, Done on "the 3rd"
        9: "invalid points",     # T-8, size XXL not in the scale
        10: "no ticket id",      # empty Key
    }
    details = dict(zip(small.excluded["source_row"], small.excluded["detail"], strict=True))
    assert details[4] == "closed as Won't Do"
    assert details[6] == "open, status To Do"
    assert small.tickets["ticket_id"].tolist() == ["T-1", "T-2", "T-4", "T-9"]


def test_cycle_and_lead_durations(small):
    t1, t2 = row(small, "T-1"), row(small, "T-2")
    # T-1: Work started Tue 2024-04-02 09:00 -> Done Thu 04-04 15:00:
    # 15/24 + 1 + 15/24 = 2.25
    np.testing.assert_allclose(t1["duration_days"], 2.25, rtol=0, atol=1e-9)
    assert t1["clock"] == "cycle"
    # T-2: no Work started, so Opened Fri 2024-04-05 12:00 -> Done Mon 04-08 06:00:
    # 12/24 + weekend 0 + 6/24 = 0.75
    np.testing.assert_allclose(t2["duration_days"], 0.75, rtol=0, atol=1e-9)
    assert t2["clock"] == "lead"


def test_open_started_ticket_censored(small):
    t4 = row(small, "T-4")
    # Work started Mon 2024-04-08 10:00, as-of Wed 04-10 12:00: 14/24 + 1 + 12/24
    np.testing.assert_allclose(t4["duration_days"], 14 * HOUR + 1 + 12 * HOUR,
                               rtol=0, atol=1e-9)
    assert t4["censored"] and pd.isna(t4["finished_at"])


def test_date_only_finish_counts_the_whole_day(small):
    t9 = row(small, "T-9")
    # Work started Tue 2024-04-02 09:00, Done on 2024-04-03 (no time) = end of Wed:
    # 15/24 + 1 = 1.625
    np.testing.assert_allclose(t9["duration_days"], 1.625, rtol=0, atol=1e-9)
    assert t9["finished_at"] == pd.Timestamp("2024-04-04 00:00")


def test_fields_mapped(small):
    t1, t2 = row(small, "T-1"), row(small, "T-2")
    assert t1["labels"] == "ml; ranking; offline"  # "ml, ranking;offline" in the cell
    assert t1["area"] == "research"  # straight from the Area column
    assert t2["area"] == "engineering"
    assert t2["points"] == 3.0  # size M, mapped by [points] scale
    assert t1["title"] == "Train the ranker"
    assert t1["status"] == "Done"
    assert t2["engineer"] == "Zoë"


# ---------------------------------------------------------------- offsets and time zones


def test_offset_cells_converted_to_team_time_zone():
    table = read_generic_csv(OFFSETS, load_config(OFFSETS_CONFIG))
    check_accounting(table)
    assert len(table.tickets) == 2
    a1 = row(table, "A-1")
    # 2024-04-05T22:30Z is Sat 2024-04-06 00:30 in Berlin (UTC+2), a weekend day;
    # 2024-04-08T10:00Z is Mon 12:00 in Berlin: weekend 0 + 12/24 = 0.5
    assert a1["started_at"] == pd.Timestamp("2024-04-06 00:30")
    np.testing.assert_allclose(a1["duration_days"], 0.5, rtol=0, atol=1e-9)
    # In UTC the same ticket would take 1.5/24 (Fri) + 10/24 (Mon) = 11.5/24
    utc = read_generic_csv(OFFSETS, load_config(OFFSETS_CONFIG).with_changes(
        calendar=Config().calendar))
    np.testing.assert_allclose(row(utc, "A-1")["duration_days"], 11.5 * HOUR,
                               rtol=0, atol=1e-9)
    # 08:00+02:00 -> 14:00+02:00 the same Tuesday: 6/24
    np.testing.assert_allclose(row(table, "A-2")["duration_days"], 0.25, rtol=0, atol=1e-9)


# ---------------------------------------------------------------- mapping errors


def test_every_mapping_problem_reported_together():
    config = config_from_dict({"columns": {
        "ticket_id": "Key", "owner": "Owner", "points": "Story size", "area": "Area",
    }})
    with pytest.raises(InputError) as caught:
        read_generic_csv(SMALL, config)
    problems = {(p.message, p.column) for p in caught.value.problems}
    assert problems == {
        ("unknown key in [columns]", "columns.owner"),
        ("required mapping missing", "columns.engineer"),
        ("required mapping missing", "columns.finished_at"),
        ("required mapping missing", "columns.started_at or columns.created_at"),
        ("required column missing", "Story size"),
    }
    unknown = next(p for p in caught.value.problems if p.column == "columns.owner")
    assert all(key in unknown.expected for key in ALLOWED_KEYS)
    assert str(SMALL) in str(caught.value)


def test_no_mapping_at_all_is_an_input_error():
    with pytest.raises(InputError) as caught:
        read_generic_csv(SMALL)
    assert len(caught.value.problems) == 5  # ticket_id, engineer, points, finished_at, start


def test_area_column_from_areas_section(tmp_path):
    raw = {"columns": {"ticket_id": "Key", "engineer": "Owner", "points": "Size",
                       "created_at": "Opened", "finished_at": "Done on"},
           "areas": {"column": "Area"}, "points": {"scale": {"M": 3}}}
    table = read_generic_csv(SMALL, config_from_dict(raw), as_of=AS_OF)
    assert row(table, "T-1")["area"] == "research"
    # without started_at every duration is lead time
    assert set(table.tickets["clock"]) == {"lead"}


def test_year_one_date_is_an_unparseable_date(tmp_path):
    path = tmp_path / "dates.csv"
    path.write_text("Key,Owner,Size,Opened,Done on\n"
                    "K-1,ann,1,14/03/2024 09:00,15/03/2024 09:00\n"
                    "K-2,ann,1,14/03/2024 09:00,01/01/0001 09:00\n", encoding="utf-8")
    config = config_from_dict({"columns": {"ticket_id": "Key", "engineer": "Owner",
                                           "points": "Size", "created_at": "Opened",
                                           "finished_at": "Done on"}})
    table = read_generic_csv(path, config)
    assert table.excluded["reason"].tolist() == ["unparseable date"]


# ---------------------------------------------------------------- property test

MAPPING = {"ticket_id": "Key", "engineer": "Owner", "points": "Size", "created_at": "Opened",
           "started_at": "Started", "finished_at": "Done", "labels": "Tags",
           "resolution": "Outcome", "status": "State"}
HEADER = list(MAPPING.values()) + ["Comment"]
CONFIG = config_from_dict({"columns": MAPPING, "points": {"scale": {"S": 1, "M": 2}}})
_VALID_TIME = st.datetimes(min_value=pd.Timestamp("2024-01-01").to_pydatetime(),
                           max_value=pd.Timestamp("2024-12-31").to_pydatetime()).map(
    lambda d: d.strftime("%Y-%m-%d %H:%M"))
_TIMES = st.one_of(_VALID_TIME, _VALID_TIME, _VALID_TIME, st.just(""),
                   st.sampled_from(["soon", "2024-04-31 10:00", "31.12.2024", "x1"]))
_ROWS = st.fixed_dictionaries({
    "Key": st.sampled_from(["K-1", "K-2", "K-3", ""]),
    "Owner": st.sampled_from(["ann", "bob", ""]),
    "Size": st.one_of(st.integers(-3, 13).map(str),
                      st.sampled_from(["", "S", "M", "XL", "1,5", "abc", "-0.5"])),
    "Opened": _TIMES,
    "Started": _TIMES,
    "Done": _TIMES,
    "Tags": st.sampled_from(["", "a,b", "a; b", ";;", "x"]),
    "Outcome": st.sampled_from(["", "Done", "Won't Do", "Duplicate"]),
    "State": st.sampled_from(["", "Done", "In Progress", "To Do"]),
    "Comment": st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=10),
})


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_ROWS, min_size=1, max_size=8),
       as_of=st.sampled_from([None, "2024-06-30 12:00"]))
def test_random_rows_are_accounted_for_or_rejected(rows, as_of):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generic.csv"
        write_csv_rows(path, HEADER, rows)
        try:
            table = read_generic_csv(path, CONFIG, as_of=as_of)
        except InputError as error:
            # a bad row is excluded, never a reason for the reader's own table to fail
            # the canonical schema
            assert "does not match the canonical ticket table" not in str(error)
            return
    assert table.rows_read == len(rows)
    check_accounting(table)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tickets=st.lists(st.tuples(
    st.datetimes(min_value=pd.Timestamp("2024-01-01").to_pydatetime(),
                 max_value=pd.Timestamp("2024-12-31").to_pydatetime()),
    st.integers(0, 200 * 60),         # minutes from Opened to Started
    st.one_of(st.integers(-72 * 60, 400 * 60),  # minutes from the start of the clock to Done
              st.integers(-1, QUICK + 1)),     # ... and around the bookkeeping limit
    st.booleans(),                    # Started filled
), min_size=1, max_size=8))
def test_clean_done_rows_kept_exactly_when_done_after_start(tickets):
    stamp = "%Y-%m-%d %H:%M"
    rows, expected, expected_reasons = [], {}, {}
    for number, (opened, to_start, to_finish, has_start) in enumerate(tickets):
        opened = opened.replace(second=0, microsecond=0)
        started = opened + pd.Timedelta(minutes=to_start)
        clock_start = started if has_start else opened
        rows.append({"Key": f"K-{number}", "Owner": "ann", "Size": "2",
                     "Opened": opened.strftime(stamp),
                     "Started": started.strftime(stamp) if has_start else "",
                     "Done": (clock_start + pd.Timedelta(minutes=to_finish)).strftime(stamp)})
        if to_finish >= QUICK:
            expected[f"K-{number}"] = "cycle" if has_start else "lead"
        else:
            expected_reasons[f"K-{number}"] = (
                "negative duration" if to_finish < 0 else "closed within minutes")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generic.csv"
        write_csv_rows(path, HEADER, rows)
        table = read_generic_csv(path, CONFIG)
    assert dict(zip(table.tickets["ticket_id"], table.tickets["clock"], strict=True)) == expected
    # Done within [durations] closed_within_minutes (default 15) of the clock's start:
    # bookkeeping, excluded.
    assert dict(zip(table.excluded["ticket_id"], table.excluded["reason"], strict=True)) \
        == expected_reasons
    assert (table.tickets["duration_days"] > 0).all()


# ---------------------------------------------------------------- descriptions


def test_a_mapped_description_reaches_the_classifier_and_nothing_else(monkeypatch, tmp_path):
    config = load_config(SMALL_CONFIG)
    described_config = config.with_changes(columns={**config.columns, "description": "Notes"})
    table, described = read_classified(monkeypatch, SMALL, described_config, as_of=AS_OF)
    assert described["T-1"] == 'Long note, with a comma\nand a second line with "quotes"'
    assert described["T-2"] is None
    check_nowhere(table, ["Long note, with a comma", 'second line with "quotes"'], tmp_path)
    # Not mapped: no descriptions, the same table.
    unmapped, described = read_classified(monkeypatch, SMALL, config, as_of=AS_OF)
    assert set(described.values()) == {None}
    pd.testing.assert_frame_equal(unmapped.tickets, table.tickets)
    # Mapped to a column the file lacks: reported like any mapped column.
    missing = config.with_changes(columns={**config.columns, "description": "Body"})
    with pytest.raises(InputError, match="Body"):
        read_generic_csv(SMALL, missing, as_of=AS_OF)

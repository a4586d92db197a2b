"""The canonical table on disk: exact round trips, strict reading."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from _helpers import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calibrate.errors import InputError
from calibrate.io import read_export
from calibrate.io.canonical import looks_like_canonical, read_canonical, write_tickets
from calibrate.io.jira_csv import read_jira_csv
from calibrate.tickets import TICKET_COLUMNS, validate_tickets


def tricky_tickets() -> pd.DataFrame:
    """Text that CSV likes to mangle, a fraction with many digits, sub-second times."""
    text = pd.StringDtype()
    return pd.DataFrame(
        {
            "ticket_id": pd.array(["ML-1", "ML-2", "#3"], dtype=text),
            "title": pd.array(["NA", 'Say "hi", then\nleave', None], dtype=text),
            "engineer": pd.array(["None", "Zoë Müller", "null"], dtype=text),
            "area": pd.array(["research", "ml-engineering", "general"], dtype=text),
            "area_source": pd.array(["rule", "classifier", "default"], dtype=text),
            "points": [3.5, 0.0, 13.0],
            "repointed": [True, False, False],
            "issue_type": pd.array([None, "Bug", "Story"], dtype=text),
            "labels": pd.array(["a; b", None, "x"], dtype=text),
            "components": pd.array([None, None, None], dtype=text),
            "epic": pd.array(["E, with comma", None, None], dtype=text),
            "sprints": pd.array(["S1; S2", None, None], dtype=text),
            "status": pd.array(["Done", "Done", "In Progress"], dtype=text),
            "created_at": pd.to_datetime(["2024-03-01 09:00:00.250", None,
                                          "2024-03-11 10:00"],
                                         format="ISO8601").astype("datetime64[ns]"),
            "started_at": pd.to_datetime(["2024-03-04 09:00:00.5", "2024-03-04 09:00",
                                          "2024-03-11 10:00"],
                                         format="ISO8601").astype("datetime64[ns]"),
            "finished_at": pd.to_datetime(["2024-03-06 15:00:01", "2024-03-05 09:00",
                                           None], format="ISO8601").astype("datetime64[ns]"),
            "duration_days": [1 / 3, 1.0, 2 / 7],
            "censored": [False, False, True],
            "clock": pd.array(["cycle", "lead", "lead"], dtype=text),
            "source_row": pd.array([2, 30, 4], dtype="int64"),
        }
    )


def test_tricky_table_is_valid_to_begin_with():
    validate_tickets(tricky_tickets())


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_round_trip_of_a_tricky_table(tmp_path, suffix):
    tickets = tricky_tickets()
    path = write_tickets(tickets, tmp_path / "sub" / f"tickets{suffix}")
    assert path.exists()
    back = read_canonical(path)
    pd.testing.assert_frame_equal(back.tickets, tickets)
    assert back.source_format == "canonical"
    assert back.rows_read == 3
    assert len(back.excluded) == 0


_title_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                      min_size=1, max_size=20)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(titles=st.lists(st.one_of(_title_text, st.sampled_from(
    ["'--", "'=1", "=1", "\uff1dA1", "''", "'", " '=x", "\t=1", "@", "-5"])),
    min_size=3, max_size=3))
def test_every_title_round_trips_exactly(tmp_path, titles):
    tickets = tricky_tickets().assign(title=pd.array(titles, dtype="string"))
    path = write_tickets(tickets, tmp_path / "tickets.csv")
    back = read_canonical(path)
    pd.testing.assert_series_equal(back.tickets["title"], tickets["title"])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("name", ["jira_cloud_small.csv", "jira_shape1_bom.csv",
                                  "jira_shape4_labels.csv"])
def test_round_trip_of_a_read_export(tmp_path, suffix, name):
    table = read_jira_csv(FIXTURES / name)
    path = write_tickets(table.tickets, tmp_path / f"tickets{suffix}")
    back = read_canonical(path)
    pd.testing.assert_frame_equal(back.tickets, table.tickets)
    assert back.rows_read == len(table.tickets)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_round_trip_of_an_empty_table(tmp_path, suffix):
    empty = tricky_tickets().iloc[:0].reset_index(drop=True)
    back = read_canonical(write_tickets(empty, tmp_path / f"empty{suffix}"))
    pd.testing.assert_frame_equal(back.tickets, empty)


def test_canonical_csv_is_plain_text(tmp_path):
    path = write_tickets(tricky_tickets(), tmp_path / "tickets.csv")
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows[0] == list(TICKET_COLUMNS)
    assert rows[2][TICKET_COLUMNS_INDEX["created_at"]] == ""
    assert rows[3][TICKET_COLUMNS_INDEX["finished_at"]] == ""
    assert rows[1][TICKET_COLUMNS_INDEX["censored"]] == "False"


TICKET_COLUMNS_INDEX = {name: i for i, name in enumerate(TICKET_COLUMNS)}


def edit_cell(tmp_path, row: int, column: str, value: str) -> Path:
    """Write the tricky table and change one cell; ``row`` counts as a spreadsheet does."""
    path = write_tickets(tricky_tickets(), tmp_path / "tickets.csv")
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[row - 1][TICKET_COLUMNS_INDEX[column]] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "column, value",
    [("duration_days", "abc"), ("points", "three"), ("created_at", "yesterday"),
     ("censored", "maybe"), ("source_row", "")],
)
def test_bad_value_names_row_and_column(tmp_path, column, value):
    path = edit_cell(tmp_path, row=3, column=column, value=value)
    with pytest.raises(InputError) as caught:
        read_canonical(path)
    (problem,) = caught.value.problems
    assert (problem.row, problem.column, problem.file) == (3, column, str(path))


@pytest.mark.parametrize(
    "column, value",
    [("engineer", ""), ("duration_days", "0"), ("points", "-1"), ("clock", "wall"),
     ("ticket_id", "ML-1")],
)
def test_value_breaking_the_schema_names_the_column(tmp_path, column, value):
    path = edit_cell(tmp_path, row=3, column=column, value=value)
    with pytest.raises(InputError) as caught:
        read_canonical(path)
    assert column in {p.column for p in caught.value.problems}
    assert str(path) in caught.value.summary


def test_value_breaking_the_schema_names_the_file_row(tmp_path):
    path = edit_cell(tmp_path, row=3, column="engineer", value="")
    with pytest.raises(InputError) as caught:
        read_canonical(path)
    assert [(p.row, p.column) for p in caught.value.problems] == [(3, "engineer")]


def test_missing_columns_are_all_listed(tmp_path):
    path = tmp_path / "tickets.csv"
    tricky_tickets().drop(columns=["engineer", "clock"]).to_csv(path, index=False)
    with pytest.raises(InputError) as caught:
        read_canonical(path)
    assert [p.column for p in caught.value.problems] == ["engineer", "clock"]


def test_extra_columns_are_ignored_with_a_note(tmp_path):
    path = tmp_path / "tickets.csv"
    tricky_tickets().assign(reason="x").to_csv(path, index=False)
    table = read_canonical(path)
    pd.testing.assert_frame_equal(table.tickets, tricky_tickets())
    assert table.notes == ["columns not in the canonical table were ignored: reason"]


def test_as_of_is_the_latest_time_and_cannot_be_moved(tmp_path):
    path = write_tickets(tricky_tickets(), tmp_path / "tickets.csv")
    table = read_canonical(path)
    # The latest of created/started/finished: the open ticket's start, 11 Mar 10:00.
    assert table.as_of == pd.Timestamp("2024-03-11 10:00")
    assert read_canonical(path, as_of="2024-03-11 10:00").as_of == table.as_of
    with pytest.raises(InputError, match="--as-of cannot be changed"):
        read_canonical(path, as_of="2024-03-05")


def test_missing_and_broken_files_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_canonical(tmp_path / "nope.csv")
    broken = tmp_path / "tickets.parquet"
    broken.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        read_canonical(broken)


def test_detected_and_read_through_read_export(tmp_path):
    for suffix in (".csv", ".parquet"):
        path = write_tickets(tricky_tickets(), tmp_path / f"tickets{suffix}")
        table = read_export(path)
        assert table.source_format == "canonical"
        pd.testing.assert_frame_equal(table.tickets, tricky_tickets())


def test_looks_like_canonical():
    assert looks_like_canonical(list(TICKET_COLUMNS))
    assert not looks_like_canonical(["ticket_id", "engineer", "area"])

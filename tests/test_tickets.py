"""The canonical ticket table's contract (pandera schema) and the row accounting."""

from __future__ import annotations

import pandas as pd
import pytest

from calibrate.errors import InputError
from calibrate.tickets import (
    EXCLUSION_COLUMNS,
    EXCLUSION_REASONS,
    TICKET_COLUMNS,
    TicketTable,
    empty_exclusions,
    ticket_schema,
    validate_tickets,
)


def valid_tickets() -> pd.DataFrame:
    """Three tickets typed by hand: two finished (cycle, lead) and one open."""
    text = pd.StringDtype()
    return pd.DataFrame(
        {
            "ticket_id": pd.array(["ML-1", "ML-2", "ML-3"], dtype=text),
            "title": pd.array(["Train", None, "Serve"], dtype=text),
            "engineer": pd.array(["ana", "ben", "ana"], dtype=text),
            "area": pd.array(["research", "general", "general"], dtype=text),
            "area_source": pd.array(["rule", "default", None], dtype=text),
            "points": [3.0, 0.0, 5.0],
            "repointed": [False, True, False],
            "issue_type": pd.array(["Story", None, "Bug"], dtype=text),
            "labels": pd.array(["a; b", None, None], dtype=text),
            "components": pd.array([None, None, None], dtype=text),
            "epic": pd.array([None, "E", None], dtype=text),
            "sprints": pd.array(["S1; S2", None, None], dtype=text),
            "status": pd.array(["Done", "Done", "In Progress"], dtype=text),
            "created_at": pd.to_datetime(["2024-03-01 09:00", "2024-03-04 09:00", None]),
            "started_at": pd.to_datetime(["2024-03-04 09:00", "2024-03-04 09:00",
                                          "2024-03-11 09:00"]),
            "finished_at": pd.to_datetime(["2024-03-06 15:00", "2024-03-04 10:00", None]),
            "duration_days": [2.25, 1 / 24, 4.0],
            "censored": [False, False, True],
            "clock": pd.array(["cycle", "lead", "cycle"], dtype=text),
            "source_row": pd.array([2, 3, 5], dtype="int64"),
        }
    ).astype({"created_at": "datetime64[ns]", "started_at": "datetime64[ns]",
              "finished_at": "datetime64[ns]"})


def test_columns_are_in_the_documented_order():
    assert list(valid_tickets().columns) == list(TICKET_COLUMNS)
    assert list(ticket_schema().columns) == list(TICKET_COLUMNS)
    assert list(EXCLUSION_COLUMNS) == [*TICKET_COLUMNS, "reason", "detail"]


def test_valid_table_is_accepted():
    table = valid_tickets()
    pd.testing.assert_frame_equal(validate_tickets(table), table)


def test_empty_table_with_the_right_types_is_accepted():
    empty = valid_tickets().iloc[:0]
    assert len(validate_tickets(empty)) == 0


def _failures(table: pd.DataFrame) -> InputError:
    with pytest.raises(InputError) as caught:
        validate_tickets(table, origin="tickets.csv")
    return caught.value


@pytest.mark.parametrize(
    "column, value, bad_row",
    [
        ("duration_days", 0.0, 1),
        ("duration_days", -0.5, 0),
        ("points", -1.0, 2),
        ("clock", "wall", 1),
        ("ticket_id", "ML-1", 1),      # duplicate of row 0
        ("engineer", None, 2),
        ("engineer", "", 0),
        ("area", None, 1),
    ],
)
def test_schema_rejects(column, value, bad_row):
    table = valid_tickets()
    table.loc[bad_row, column] = value
    error = _failures(table)
    assert any(p.column == column for p in error.problems), error
    assert all(p.file == "tickets.csv" for p in error.problems)
    assert "tickets.csv does not match the canonical ticket table" in str(error)


def test_censored_ticket_with_a_finish_is_rejected():
    table = valid_tickets()
    table.loc[2, "finished_at"] = pd.Timestamp("2024-03-12 09:00")
    error = _failures(table)
    assert "finished_at is empty exactly for censored" in str(error)


def test_finished_ticket_without_a_finish_is_rejected():
    table = valid_tickets()
    table.loc[0, "finished_at"] = pd.NaT
    assert "finished_at is empty exactly for censored" in str(_failures(table))


def test_finish_before_start_is_rejected():
    table = valid_tickets()
    table.loc[0, "finished_at"] = pd.Timestamp("2024-03-01 09:00")
    assert "finished_at is not before started_at" in str(_failures(table))


def test_several_failures_are_listed_together():
    table = valid_tickets()
    table.loc[0, "duration_days"] = 0.0
    table.loc[1, "points"] = -2.0
    table.loc[2, "clock"] = "wall"
    columns = {p.column for p in _failures(table).problems}
    assert {"duration_days", "points", "clock"} <= columns


def test_missing_and_extra_columns_are_rejected():
    assert _failures(valid_tickets().drop(columns="engineer"))
    assert _failures(valid_tickets().assign(extra=1))


def test_wrong_dtype_is_rejected():
    assert _failures(valid_tickets().astype({"points": "object"}))


# ---------------------------------------------------------------- TicketTable


def _excluded(reasons: list[str]) -> pd.DataFrame:
    frame = empty_exclusions()
    rows = pd.DataFrame({"ticket_id": [f"X-{i}" for i in range(len(reasons))],
                         "reason": reasons, "detail": ["d"] * len(reasons)})
    return pd.concat([frame, rows], ignore_index=True)


def make_table(rows_read: int, excluded: pd.DataFrame | None = None) -> TicketTable:
    return TicketTable(
        tickets=valid_tickets(),
        excluded=empty_exclusions() if excluded is None else excluded,
        rows_read=rows_read,
        source_format="jira_csv",
        path="export.csv",
        as_of=pd.Timestamp("2024-03-15 16:00"),
        notes=["dates read as %d/%b/%y"],
    )


def test_broken_accounting_raises():
    with pytest.raises(AssertionError, match="row accounting broken"):
        make_table(rows_read=4)
    with pytest.raises(AssertionError):
        make_table(rows_read=3, excluded=_excluded(["unassigned"]))


def test_summary_lists_each_reason_count():
    reasons = ["unassigned", "no points", "unassigned", "not started", "unassigned"]
    table = make_table(rows_read=8, excluded=_excluded(reasons))
    counts = table.exclusion_counts()
    assert counts.to_dict() == {"unassigned": 3, "no points": 1, "not started": 1}
    assert counts.index[0] == "unassigned"
    lines = str(table.summary()).splitlines()
    assert lines[0] == "export.csv read as jira_csv: 8 rows"
    assert lines[1].split()[:2] == ["kept", "3"]
    assert "(1 open, right-censored at 2024-03-15 16:00)" in lines[1]
    assert lines[2].split() == ["excluded", "5"]
    reason_lines = {line.strip().rsplit(maxsplit=1)[0].strip(): int(line.split()[-1])
                    for line in lines[3:6]}
    assert reason_lines == {"unassigned": 3, "no points": 1, "not started": 1}
    assert "  clock     cycle 2, lead 1" in lines
    assert "  engineers 2, areas general, research" in lines
    assert lines[-1] == "  note: dates read as %d/%b/%y"


def test_exclusion_reasons_are_documented():
    assert all(isinstance(text, str) and text for text in EXCLUSION_REASONS.values())
    assert len(EXCLUSION_REASONS) == 11

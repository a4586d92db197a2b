"""Export writers: the files are what Python's csv module (and the trackers) write, in
blocks as in one piece, and the readers read them back."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pandas as pd
import pytest

from calibrate.io import read_export, writers
from calibrate.io.writers import LINEAR_HEADER, write_jira_csv, write_jira_json, write_linear_csv

TRICKY = ["a,b", 'say "hi"', "line\nbreak", "cr\rhere", "", None, " spaced ", "=1+2", "plain"]


def _python_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def test_jira_csv_is_what_pythons_csv_module_writes(tmp_path):
    n = len(TRICKY)
    issues = pd.DataFrame({
        "Summary": TRICKY,
        "Issue key": [f"ML-{i}" for i in range(n)],
        "Labels": [["x", "y,z"] if i % 3 == 0 else [] for i in range(n)],
        "Created": pd.date_range("2024-01-01 00:05", periods=n, freq="7h"),
        "Custom field (Story Points)": [0.5, 13.0, np.nan] * 3,
        "Time Spent": [900 * i for i in range(n)],
    })
    path = write_jira_csv(issues, tmp_path / "jira.csv")
    expected = [["Summary", "Issue key", "Labels", "Labels", "Created",
                 "Custom field (Story Points)", "Time Spent"]]
    for _, row in issues.iterrows():
        labels = row["Labels"] + [""] * (2 - len(row["Labels"]))
        created = row["Created"].strftime("%d/%b/%y %I:%M %p")
        created = created[:10] + created[10:].lstrip("0")
        points = "" if np.isnan(row["Custom field (Story Points)"]) else str(
            row["Custom field (Story Points)"])
        summary = row["Summary"] if isinstance(row["Summary"], str) else ""
        expected.append([summary, row["Issue key"], *labels, created, points,
                         str(row["Time Spent"])])
    assert path.read_bytes() == b"\xef\xbb\xbf" + _python_csv(expected)
    assert "01/Jan/24 12:05 AM" in path.read_text(encoding="utf-8-sig")


def test_writing_in_blocks_gives_the_same_file(tmp_path, monkeypatch):
    issues = pd.DataFrame({"Summary": TRICKY * 3, "Labels": [["a"], [], ["b", "c"]] * 9})
    whole = write_jira_csv(issues, tmp_path / "whole.csv").read_bytes()
    monkeypatch.setattr(writers, "_BLOCK_ROWS", 4)
    assert write_jira_csv(issues, tmp_path / "blocks.csv").read_bytes() == whole


def test_a_lone_column_writes_empty_cells_as_pythons_csv_does(tmp_path):
    path = write_jira_csv(pd.DataFrame({"Summary": ["a", "", None]}), tmp_path / "one.csv")
    assert path.read_bytes() == b"\xef\xbb\xbf" + _python_csv([["Summary"], ["a"], [""], [""]])


def test_linear_csv_reads_back(tmp_path):
    created = pd.Timestamp("2024-03-30 23:30")  # the night before summer time
    issues = pd.DataFrame({
        "ID": ["ML-1", "ML-2"], "Title": ["-1 day offset", "@Zoë, rerun it"],
        "Status": ["Done", "In Progress"], "Estimate": [3.0, 0.5],
        "Assignee": ["zoe.muller@example.com", "tomasz@example.com"], "Labels": [["etl", "q3"], []],
        "Created": [created, created],
        "Started": [created + pd.Timedelta(hours=4), created + pd.Timedelta(days=2)],
        "Completed": [pd.Timestamp("2024-04-02 17:00"), pd.NaT],
    })
    path = write_linear_csv(issues, tmp_path / "linear.csv", timezone="Europe/Berlin")
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    assert list(rows[0]) == list(LINEAR_HEADER)
    assert [r["Title"] for r in rows] == ["'-1 day offset", "'@Zoë, rerun it"]
    assert rows[0]["Created"] == "2024-03-30T22:30:00.000Z"
    assert rows[0]["Started"] == "2024-03-31T01:30:00.000Z"  # +0200 from 02:00
    assert rows[0]["Labels"] == "etl, q3" and rows[1]["Completed"] == ""
    table = read_export(path)
    assert table.source_format == "linear_csv"
    assert list(table.tickets.sort_values("ticket_id")["title"]) == ["-1 day offset",
                                                                    "@Zoë, rerun it"]


def test_linear_csv_refuses_columns_linear_does_not_have(tmp_path):
    with pytest.raises(ValueError, match="Started at"):
        write_linear_csv(pd.DataFrame({"ID": ["ML-1"], "Started at": [""]}),
                         tmp_path / "linear.csv", timezone="UTC")


def test_jira_json_history_ids_grow_with_time_across_issues(tmp_path):
    day = pd.Timestamp("2024-01-08 09:00")

    def issue(key, created, started):
        return {
            "key": key, "id": key[3:], "summary": key, "issue_type": "Task",
            "status": "In Progress", "status_category": "In Progress", "resolution": None,
            "assignee": "Zoë Müller", "assignee_account_id": "a1", "assignee_email": "z@x",
            "created": created, "updated": started, "resolved": pd.NaT, "labels": ["etl"],
            "components": [], "sprints": [], "story_points": np.nan, "parent_key": None,
            "parent_summary": None, "points_changes": [],
            "status_changes": [(created, None, "To Do"), (started, "To Do", "In Progress")],
        }

    issues = pd.DataFrame([issue("ML-1", day, day + pd.Timedelta(days=3)),
                           issue("ML-2", day + pd.Timedelta(days=1), day + pd.Timedelta(days=2))])
    path = write_jira_json(issues, tmp_path / "jira.json", timezone="Europe/Berlin",
                           page_size=1)
    pages = json.loads(path.read_text(encoding="utf-8"))
    assert [(p["startAt"], p["total"], len(p["issues"])) for p in pages] == [(0, 2, 1), (1, 2, 1)]
    first, second = (page["issues"][0] for page in pages)
    # Creations take ids 500000 (ML-1) and 500001 (ML-2); ML-2 started first.
    assert [h["id"] for h in second["changelog"]["histories"]] == ["500002"]
    assert [h["id"] for h in first["changelog"]["histories"]] == ["500003"]
    assert first["fields"]["assignee"]["displayName"] == "Zoë Müller"
    assert first["fields"]["customfield_10016"] is None
    assert first["fields"]["customfield_10020"] is None and "parent" not in first["fields"]
    with pytest.raises(ValueError, match="Blocked"):
        issues.at[0, "status_changes"] = [(day, None, "To Do"), (day, "To Do", "Blocked")]
        write_jira_json(issues, tmp_path / "bad.json", timezone="Europe/Berlin")

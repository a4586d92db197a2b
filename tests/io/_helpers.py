"""What the reader tests share: fixtures per format, row helpers, and the checks
every reader must pass.

As scikit-learn's ``parametrize_with_checks`` runs every estimator through
the same checks, :func:`parametrize_with_checks` runs every export of
:data:`READER_CASES` through every check of :data:`CHECKS` that applies to
its format (see ``test_readers.py``). The helpers below are the ones the
per-format test modules use: :func:`row`, :func:`reasons`,
:func:`check_accounting`, :data:`HOUR`, and writers of small exports.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from calibrate.config import Config, load_config
from calibrate.io import FORMATS, _csv_read, detect_format, read_export
from calibrate.tickets import EXCLUSION_REASONS, TICKET_COLUMNS, TicketTable, validate_tickets

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SAMPLE = Path(__file__).resolve().parent.parent.parent / "data" / "sample"
#: One hour in (24-hour) working days.
HOUR = 1 / 24
#: Minutes: the default ``[durations] closed_within_minutes``.
QUICK = 15


# ---------------------------------------------------------------- rows and accounting


def row(table: TicketTable | pd.DataFrame, ticket_id: str) -> pd.Series:
    """The one row of ``ticket_id``: a kept ticket of a table, or a row of a frame."""
    frame = table.tickets if isinstance(table, TicketTable) else table
    rows = frame[frame["ticket_id"] == ticket_id]
    left_out = reasons(table) if isinstance(table, TicketTable) else {}
    assert len(rows) == 1, f"{ticket_id} not there once: excluded {left_out}"
    return rows.iloc[0]


def reasons(table: TicketTable, by: str = "ticket_id") -> dict:
    """Exclusion reason per excluded row, keyed by ``by`` (ticket id or source row)."""
    return dict(zip(table.excluded[by], table.excluded["reason"], strict=True))


def check_accounting(table: TicketTable) -> None:
    """Every row read is kept or excluded, with a known reason."""
    assert table.rows_read == len(table.tickets) + len(table.excluded)
    assert set(table.excluded["reason"]) <= set(EXCLUSION_REASONS)


# ---------------------------------------------------------------- writing small exports


def write_csv_rows(path: Path, header: list[str], rows: list[dict]) -> Path:
    """A CSV file of ``rows`` (dicts by column name; missing cells empty)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for values in rows:
        writer.writerow([values.get(name, "") for name in header])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def write_json(directory: str | Path, data: object, name: str) -> Path:
    """A JSON file holding ``data`` (a str is written as it is)."""
    path = Path(directory) / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def without_columns(source: Path, columns: tuple[str, ...], target: Path) -> Path:
    """A copy of a CSV export without some of its columns."""
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    keep = [i for i, name in enumerate(rows[0]) if name not in columns]
    with target.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([[r[i] for i in keep] for r in rows])
    return target


# ---------------------------------------------------------------- every reader, every check


@dataclass(frozen=True)
class ReaderCase:
    """An export a reader must read: its format, file, settings and as-of time."""

    format: str
    path: Path
    config: Path | Config | None = None
    as_of: str | None = None

    @property
    def id(self) -> str:
        return f"{self.format}:{self.path.name}"

    @property
    def settings(self) -> Config:
        return self.config if isinstance(self.config, Config) else load_config(self.config)

    def read(self) -> TicketTable:
        return FORMATS[self.format](self.path, config=self.settings, as_of=self.as_of)


_SIZES = FIXTURES / "config_points_scale.toml"
#: Real-shaped exports of every format (the canonical table has its own tests).
READER_CASES = [
    ReaderCase("jira_csv", FIXTURES / "jira_cloud_small.csv"),
    ReaderCase("jira_csv", FIXTURES / "jira_shape1_bom.csv"),
    ReaderCase("jira_csv", FIXTURES / "jira_shape2_ru_dates.csv"),
    ReaderCase("jira_csv", FIXTURES / "jira_shape3_both_points.csv"),
    ReaderCase("jira_csv", FIXTURES / "jira_shape4_labels.csv"),
    ReaderCase("jira_csv", SAMPLE / "jira_export.csv", SAMPLE / "calibrate.toml"),
    ReaderCase("linear_csv", FIXTURES / "linear_small.csv"),
    ReaderCase("linear_csv", FIXTURES / "linear_tshirt.csv", _SIZES),
    ReaderCase("linear_csv", SAMPLE / "linear_export.csv", SAMPLE / "calibrate.toml"),
    ReaderCase("gitlab_csv", FIXTURES / "gitlab_small.csv"),
    ReaderCase("gitlab_csv", FIXTURES / "gitlab_epics.csv"),
    ReaderCase("generic_csv", FIXTURES / "generic_small.csv", FIXTURES / "generic_small.toml"),
    ReaderCase("generic_csv", FIXTURES / "generic_offsets.csv",
               FIXTURES / "generic_offsets.toml"),
    ReaderCase("jira_json", FIXTURES / "jira_search_changelog.json", as_of="2024-04-12 17:00"),
    ReaderCase("jira_json", FIXTURES / "jira_json_dc_pages.json"),
    ReaderCase("github_json", FIXTURES / "github_issues.json",
               Config(points_scale={"s": 2.0, "m": 3.0, "l": 5.0})),
    ReaderCase("github_json", FIXTURES / "github_paginate_pages.json"),
    ReaderCase("github_json", FIXTURES / "github_cli_issue_list.json"),
]

#: The checks every reader passes: ``check(case)``, run by :func:`parametrize_with_checks`.
CHECKS: list[Callable[[ReaderCase], None]] = []
_CSV_ONLY: set[str] = set()


def reader_check(*, csv_only: bool = False):
    """Register a check every reader (or every CSV reader) must pass."""

    def register(check: Callable[[ReaderCase], None]) -> Callable[[ReaderCase], None]:
        CHECKS.append(check)
        if csv_only:
            _CSV_ONLY.add(check.__name__)
        return check

    return register


def parametrize_with_checks(cases: list[ReaderCase] = READER_CASES):
    """``pytest.mark.parametrize("case, check", ...)``: each case with each
    check that applies to its format."""
    pairs = [(case, check) for case in cases for check in CHECKS
             if check.__name__ not in _CSV_ONLY or case.format.endswith("_csv")]
    return pytest.mark.parametrize(
        "case, check", pairs, ids=[f"{case.id}-{check.__name__}" for case, check in pairs])


@reader_check()
def check_every_row_is_kept_or_excluded_once(case: ReaderCase) -> None:
    table = case.read()
    check_accounting(table)
    assert table.source_format == case.format
    assert table.excluded["detail"].notna().all()
    assert list(table.tickets.columns) == list(TICKET_COLUMNS)
    validate_tickets(table.tickets)
    rows = [*table.tickets["source_row"], *table.excluded["source_row"]]
    assert len(rows) == len(set(rows)) == table.rows_read


@reader_check()
def check_detected_and_read_alike_by_read_export(case: ReaderCase) -> None:
    assert detect_format(case.path, case.settings) == case.format
    direct = case.read()
    through = read_export(case.path, config=case.settings, as_of=case.as_of)
    pd.testing.assert_frame_equal(through.tickets, direct.tickets)
    pd.testing.assert_frame_equal(through.excluded, direct.excluded)
    assert (through.rows_read, through.as_of, through.notes) == (
        direct.rows_read, direct.as_of, direct.notes)


@reader_check(csv_only=True)
def check_chunks_give_the_same_table(case: ReaderCase) -> None:
    whole = case.read()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_csv_read, "CHUNK_ROWS", 3)
        chunked = case.read()
    pd.testing.assert_frame_equal(chunked.tickets, whole.tickets)
    pd.testing.assert_frame_equal(chunked.excluded, whole.excluded)
    assert (chunked.rows_read, chunked.as_of, chunked.notes) == (
        whole.rows_read, whole.as_of, whole.notes)


# ---------------------------------------------------------------- one status, every reader

#: Statuses and resolutions as users spell them, with what each means: an
#: open ticket in progress is ``started``, else ``not started``; a closed
#: ticket is ``done``, or ``not finished work`` (closed without the work done).
STATUSES = [
    ("open", "In Progress", "started"),
    ("open", "In-Progress", "started"),
    ("open", "in progress", "started"),
    ("open", "IN_PROGRESS", "started"),
    ("open", "in review", "started"),
    ("open", "To Do", "not started"),
    ("open", "Backlog", "not started"),
    ("closed", "Done", "done"),
    ("closed", "won't do", "not finished work"),
    ("closed", "Won't-Do", "not finished work"),
    ("closed", "WONT_DO", "not finished work"),
    ("closed", "duplicate", "not finished work"),
    ("closed", "Cannot  Reproduce", "not finished work"),
]
#: The as-of time of the status exports: after every time in them.
STATUS_AS_OF = "2024-03-08 12:00"
_CREATED, _STARTED, _FINISHED = "2024-03-04 09:00", "2024-03-05 09:00", "2024-03-06 09:00"


def _iso(time: str) -> str:
    return pd.Timestamp(time).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _jira_csv(directory: Path) -> tuple[Path, Config]:
    header = ["Issue key", "Summary", "Status", "Resolution", "Assignee", "Created", "Resolved",
              "Custom field (Story Points)"]
    rows = [{"Issue key": f"S-{n}", "Summary": "t", "Assignee": "ana", "Created": _CREATED,
             "Custom field (Story Points)": "2",
             **({"Status": name} if kind == "open" else
                {"Status": "Done", "Resolution": name, "Resolved": _FINISHED})}
            for n, (kind, name, _) in enumerate(STATUSES)]
    return write_csv_rows(directory / "jira.csv", header, rows), Config()


def _linear_csv(directory: Path) -> tuple[Path, Config]:
    header = ["ID", "Title", "Status", "Estimate", "Started", "Completed", "Assignee", "Created"]
    rows = [{"ID": f"S-{n}", "Title": "t", "Status": name, "Estimate": "2", "Assignee": "ana",
             "Created": _CREATED, "Completed": _FINISHED if kind == "closed" else ""}
            for n, (kind, name, _) in enumerate(STATUSES)]
    return write_csv_rows(directory / "linear.csv", header, rows), Config()


def _gitlab_csv(directory: Path) -> tuple[Path, Config]:
    header = ["Issue ID", "URL", "Title", "State", "Assignee Username", "Created At (UTC)",
              "Closed At (UTC)", "Weight", "Labels"]
    rows = [{"Issue ID": str(n), "URL": f"https://gitlab.com/g/p/-/issues/{n}", "Title": "t",
             "State": "Closed" if kind == "closed" else "Opened", "Assignee Username": "ana",
             "Created At (UTC)": _CREATED, "Weight": "2", "Labels": name,
             "Closed At (UTC)": _FINISHED if kind == "closed" else ""}
            for n, (kind, name, _) in enumerate(STATUSES)]
    return write_csv_rows(directory / "gitlab.csv", header, rows), Config()


def _generic_csv(directory: Path) -> tuple[Path, Config]:
    header = ["Key", "Owner", "Size", "Opened", "Done on", "State", "Outcome"]
    rows = [{"Key": f"S-{n}", "Owner": "ana", "Size": "2", "Opened": _CREATED,
             **({"State": name} if kind == "open" else
                {"Outcome": name, "Done on": _FINISHED})}
            for n, (kind, name, _) in enumerate(STATUSES)]
    config = Config(columns={"ticket_id": "Key", "engineer": "Owner", "points": "Size",
                             "created_at": "Opened", "finished_at": "Done on",
                             "status": "State", "resolution": "Outcome"})
    return write_csv_rows(directory / "generic.csv", header, rows), config


def _jira_json(directory: Path) -> tuple[Path, Config]:
    def status(time: str, before: str, after: str) -> dict:
        return {"created": _iso(time), "items": [{"field": "status", "fieldId": "status",
                                                  "fromString": before, "toString": after}]}

    issues = []
    for n, (kind, name, _) in enumerate(STATUSES):
        closed = kind == "closed"
        histories = [status(_STARTED, "To Do", "In Progress" if closed else name)]
        if closed:
            histories.append(status(_FINISHED, "In Progress", "Done"))
        issues.append({"key": f"S-{n}", "fields": {
            "summary": "t", "assignee": {"displayName": "Ana"}, "created": _iso(_CREATED),
            "status": {"name": "Done" if closed else name},
            "resolution": {"name": name} if closed else None,
            "resolutiondate": _iso(_FINISHED) if closed else None, "customfield_10016": 2,
        }, "changelog": {"histories": histories}})
    return write_json(directory, {"issues": issues}, "jira.json"), Config()


def _github_json(directory: Path) -> tuple[Path, Config]:
    issues = [{"number": n, "title": "t", "state": kind, "assignees": [{"login": "ana"}],
               "state_reason": name if kind == "closed" else None,
               "labels": [{"name": "points: 2"}] + ([{"name": name}] if kind == "open" else []),
               "created_at": _iso(_CREATED), "closed_at": _iso(_FINISHED) if kind == "closed"
               else None} for n, (kind, name, _) in enumerate(STATUSES, start=1)]
    return write_json(directory, issues, "github.json"), Config()


#: Per reader: writes :data:`STATUSES` as that tracker would (a status, a
#: label, a resolution or a state reason), one ticket each, in file order.
STATUS_EXPORTS: dict[str, Callable[[Path], tuple[Path, Config]]] = {
    "jira_csv": _jira_csv,
    "jira_json": _jira_json,
    "linear_csv": _linear_csv,
    "gitlab_csv": _gitlab_csv,
    "github_json": _github_json,
    "generic_csv": _generic_csv,
}


def status_outcomes(table: TicketTable) -> list[str]:
    """What became of each ticket, in file order: ``started`` (kept, open),
    ``done`` (kept, finished), or its exclusion reason."""
    outcomes = {source_row: "started" if censored else "done" for source_row, censored in
                zip(table.tickets["source_row"], table.tickets["censored"], strict=True)}
    outcomes.update(reasons(table, by="source_row"))
    return [outcomes[source_row] for source_row in sorted(outcomes)]

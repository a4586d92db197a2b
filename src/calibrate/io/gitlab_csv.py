"""GitLab's issues CSV export, as GitLab really writes it.

What the reader expects, and why:

- Columns are matched by name: ``Issue ID, URL, Title, State, ...,
  Created At (UTC), Updated At (UTC), Closed At (UTC), Milestone, Weight,
  Labels, Time Estimate, Time Spent``; newer versions append ``Epic ID,
  Epic Title`` (and later ``IID``, ``Type``, ``Start Date``, parent
  columns). The columns needed are ``URL`` or ``Issue ID``, ``State``,
  ``Created At (UTC)``, ``Closed At (UTC)``, ``Weight`` and ``Assignee
  Username`` or ``Assignee``.
- Ticket id: ``Issue ID`` is the issue's number *within its project* (two
  projects of a group export both have an issue 42), while the ``URL`` is
  unique. The id is therefore the issue reference GitLab itself shows,
  ``group/project#42``, derived from the URL
  (``https://gitlab.com/group/project/-/issues/42``); when the URL is empty
  or not an issue URL, ``Issue ID`` is used as it is.
- Times are UTC, written ``YYYY-MM-DD HH:MM:SS`` without an offset; they
  are read as UTC and converted to the team's time zone.
- The export has no start-of-work time (``Start Date`` in newer exports is
  a planned date, not the start of work), so the duration is always *lead
  time*, Created to Closed, labelled ``clock=lead``.
- ``Weight`` is the points (``[points] column`` names another column).
- ``Labels`` are comma-separated in one cell and often scoped
  (``Type::Bug``, ``workflow::In Progress``); they are re-joined with
  ``"; "`` and kept whole, so area rules can match them. The issue type is
  the value of a ``Type::`` (or ``type::``) label, else the ``Type`` column
  of newer exports.
- State: ``Closed`` is done, unless a label (or the part of a scoped label
  after its last ``::``) is a not-finished resolution from the config
  (``Won't Do``, ``duplicate``, ``wontfix``, ``Resolution::Won't Do``, ...,
  compared ignoring case and punctuation): then it is closed without the
  work done. Any other state is open; an open issue is in progress
  (right-censored at the as-of time) when a label, or the part of a scoped
  label after ``::``, is one of ``[statuses] in_progress`` (``workflow::In
  Progress``, ``Doing``), otherwise not started. ``status`` is the state.
- Several assignees are comma-separated; the first is the engineer (its
  ``Assignee Username``, else its display name from ``Assignee``), and a
  note counts the issues that had several.
- ``Epic Title`` is the epic and ``Milestone`` the sprint.
- GitLab protects formula-like text against spreadsheet injection by
  prefixing it with ``'``: exactly one leading ``'`` followed by ``=``,
  ``+``, ``-``, ``@``, ``;``, a tab or a carriage return is removed from the
  text fields read (title, labels, milestone, epic title, assignee).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from calibrate.config import Config
from calibrate.errors import InputError
from calibrate.io._assemble import assemble_tickets, parse_date_columns
from calibrate.io._csv import (
    CsvExport,
    Progress,
    has_columns,
    open_csv_export,
    restore_formulas,
)
from calibrate.tickets import TicketTable

__all__ = ["issue_reference", "looks_like_gitlab_csv", "read_gitlab_csv"]

#: Header names that together identify a GitLab issues export (case-insensitive).
SIGNATURE = ("Issue ID", "URL", "Title", "State", "Created At (UTC)", "Closed At (UTC)")
#: GitLab puts a ``'`` before text that starts like a formula (``'=SUM(A1)``).
_ESCAPED = ("=", "+", "-", "@", ";", "\t", "\r")
_ISSUE_URL = re.compile(
    r"^https?://[^/\s]+/(?P<path>[^\s?#]+?)(?:/-)?/(?:issues|work_items)/(?P<iid>\d+)/?"
    r"(?:[?#]\S*)?$"
)


def looks_like_gitlab_csv(header: list[str]) -> bool:
    """Whether a CSV header is a GitLab issues export.

    Parameters
    ----------
    header : list of str
        The column names of the file's first row.

    Returns
    -------
    bool
        True when every column of :data:`SIGNATURE` is present.

    Examples
    --------
    >>> from calibrate.io.gitlab_csv import looks_like_gitlab_csv
    >>> looks_like_gitlab_csv(["Issue ID", "URL", "Title", "State", "Created At (UTC)",
    ...                        "Closed At (UTC)", "Weight", "Labels"])
    True
    >>> looks_like_gitlab_csv(["ID", "Title", "Status"])
    False
    """
    return has_columns(header, SIGNATURE)


def issue_reference(url: str, issue_id: str = "") -> str:
    """The issue reference ``group/project#iid`` from an issue URL.

    Parameters
    ----------
    url : str
        The ``URL`` cell.
    issue_id : str
        The ``Issue ID`` cell, returned when the URL is not an issue URL.

    Returns
    -------
    str

    Examples
    --------
    >>> from calibrate.io.gitlab_csv import issue_reference
    >>> issue_reference("https://gitlab.com/group/proj/-/issues/42", "42")
    'group/proj#42'
    >>> issue_reference("", "42")
    '42'
    """
    match = _ISSUE_URL.match(url.strip())
    if match is None:
        return issue_id.strip()
    return f"{match['path']}#{match['iid']}"


def read_gitlab_csv(
    path: str | Path,
    config: Config | None = None,
    as_of: str | pd.Timestamp | None = None,
    progress: Progress | None = None,
) -> TicketTable:
    """Read a GitLab issues CSV export into the canonical ticket table.

    Parameters
    ----------
    path : str or Path
        The export (a project's or group's issue list: "Export as CSV").
    config : Config, optional
        Settings (areas, calendar, statuses, points column).
    as_of : str or Timestamp, optional
        When the export was taken; open issues are censored there. Defaults
        to the latest time in the file.
    progress : callable, optional
        Called as ``progress(bytes_read, bytes_total)`` while the file is
        read (in chunks, so memory stays bounded for large exports).

    Returns
    -------
    TicketTable
        The tickets (all ``clock=lead``), and every row left out with its
        reason.

    Raises
    ------
    InputError
        If a required column is missing (all of them are listed, with the
        file), or a date column is mostly unreadable.

    Examples
    --------
    >>> from calibrate.io import read_gitlab_csv
    >>> table = read_gitlab_csv("tests/fixtures/gitlab_small.csv")
    >>> table.tickets["ticket_id"].iloc[0]
    'ml/models#1'
    >>> sorted(table.tickets["clock"].unique())
    ['lead']
    """
    config = config or Config()
    source = open_csv_export(path, progress=progress)
    points_column = config.points_column or "Weight"
    required: list[str | tuple[str, ...]] = [
        ("URL", "Issue ID"), "State", "Created At (UTC)", "Closed At (UTC)", points_column,
        ("Assignee Username", "Assignee"),
    ]
    if config.area_column:
        required.append(config.area_column)
    problems = source.missing(required)
    if problems:
        raise InputError(
            f"{path} is not a GitLab issues CSV export calibrate can use", problems,
            hint="Export the issue list again with 'Export as CSV'; if the estimate lives in "
                 "another column, name it in calibrate.toml under [points] column.",
        )
    staging = source.stage(lambda export: _staging(export, config, points_column))
    several = int(staging.pop("_several_assignees").sum())
    dates = {"created_at": "Created At (UTC)", "finished_at": "Closed At (UTC)",
             "updated_at": "Updated At (UTC)"}
    notes = list(source.notes)
    notes += parse_date_columns(staging, source.date_cells(staging, dates), file=str(path),
                                assume_utc=True)
    if several:
        notes.append(f"{several} of {len(staging)} issues have several assignees; the first "
                     "listed is taken as the engineer")
    return assemble_tickets(staging, config=config, source_format="gitlab_csv", path=str(path),
                            as_of=as_of, notes=notes)


def _staging(export: CsvExport, config: Config, points_column: str) -> pd.DataFrame:
    """The staging rows of one chunk of the export, with its raw date cells
    and whether an issue has several assignees."""
    ticket_id = pd.Series(
        [issue_reference(url, iid) for url, iid in
         zip(export.column("URL"), export.column("Issue ID"), strict=True)],
        index=export.cells.index, dtype="object",
    )

    def text(name: str) -> pd.Series:
        return restore_formulas(export.column(name), _ESCAPED)

    label_lists = text("Labels").map(_split)
    labels = label_lists.map("; ".join)

    usernames = export.column("Assignee Username").map(_split)
    names = text("Assignee").map(_split)
    assignees = usernames.where(usernames.map(len) > 0, names)
    engineer = assignees.map(lambda people: people[0] if people else "")

    issue_type = label_lists.map(_type_label)
    issue_type = issue_type.where(issue_type != "", export.column("Type"))

    state_cell = export.column("State").str.strip()
    closed = state_cell.str.casefold() == "closed"
    resolution = label_lists.map(lambda ls: _first_match(ls, config.is_not_finished_resolution))
    in_progress = {_fold(s) for s in config.in_progress_statuses}
    started = label_lists.map(lambda ls: _first_match(ls, lambda v: _fold(v) in in_progress))
    state = np.where(closed & (resolution != ""), "not_done",
                     np.where(closed, "done", "open"))
    return pd.DataFrame(
        {
            "source_row": export.rows,
            "ticket_id": ticket_id,
            "title": text("Title"),
            "engineer": engineer,
            "issue_type": issue_type,
            "labels": labels,
            "components": "",
            "epic": text("Epic Title"),
            "team": "",
            "sprints": text("Milestone"),
            "status": state_cell,
            "resolution": resolution,
            "area_raw": export.column(config.area_column) if config.area_column else "",
            "points_raw": export.column(points_column),
            "state": state,
            "work_started": (started != "").to_numpy(),
            "_several_assignees": (assignees.map(len) > 1).to_numpy(dtype=bool),
            "created_at": export.column("Created At (UTC)"),
            "finished_at": export.column("Closed At (UTC)"),
            "updated_at": export.column("Updated At (UTC)"),
        }
    )


def _split(cell: str) -> list[str]:
    """The non-empty comma-separated parts of a cell."""
    return [part.strip() for part in cell.split(",") if part.strip()]


def _scoped_value(label: str) -> str:
    """``"workflow::In Progress"`` -> ``"In Progress"``; unscoped labels as they are."""
    return label.rsplit("::", 1)[-1].strip()


def _first_match(labels: list[str], matches) -> str:
    """The first label that, whole or by its scoped value, satisfies ``matches``."""
    for label in labels:
        if matches(label) or matches(_scoped_value(label)):
            return _scoped_value(label)
    return ""


def _type_label(labels: list[str]) -> str:
    for label in labels:
        scope, _, value = label.rpartition("::")
        if scope.strip().casefold() == "type" and value.strip():
            return value.strip()
    return ""


def _fold(text: str) -> str:
    """Lower case letters and digits only: ``"In-Progress"`` == ``"in progress"``."""
    return re.sub(r"[^a-z0-9]", "", str(text).lower())

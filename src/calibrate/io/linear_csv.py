"""Linear's CSV export, as Linear really writes it.

What the reader expects, and why:

- Columns are matched by *name*, never by position: Linear adds columns over
  time (a newer export appends ``UUID``, ``Time in status (minutes)``,
  ``Related to``, ``Blocked by`` and ``Duplicate of``). The columns needed
  are ``ID``, ``Status``, ``Estimate``, ``Assignee``, ``Created``,
  ``Started`` and ``Completed``.
- Times are ISO 8601 in UTC (``2024-05-14T08:53:33.000Z``); they are
  converted to the team's time zone (``[calendar] timezone``) before working
  days are counted.
- Linear records when work started (``Started``: the first move into a
  "started" status), so the duration is *cycle time*, Started to Completed,
  labelled ``clock=cycle``. A completed issue with an empty ``Started``
  (moved straight from the backlog to done) gets lead time, Created to
  Completed, labelled ``clock=lead``.
- State: an issue with ``Canceled`` set, or whose status is a not-finished
  resolution in the config (Linear's ``Duplicate`` and ``Canceled``
  statuses), is closed without the work done; one with ``Completed`` set is
  done; a status from ``[statuses] done`` without a ``Completed`` time is
  done with a missing date (excluded, never silently kept open). Every other
  issue is open: in progress (right-censored at the as-of time) when
  ``Started`` is set or its status is one of ``[statuses] in_progress``,
  otherwise not started.
- ``Estimate`` is the points; its scale depends on the team's settings
  (Fibonacci, linear, exponential or t-shirt sizes). T-shirt names are mapped
  to numbers by ``[points] scale`` in the config; ``[points] column`` names
  another column.
- ``Assignee`` is the assignee's e-mail address; it is used as the engineer
  as it is (the export carries no display name).
- ``Labels`` are joined with ``", "`` in one cell; they are re-joined with
  ``"; "`` like every other reader's.
- Linear protects formula-like text against spreadsheet injection by
  prefixing it with ``'``: exactly one leading ``'`` followed by ``=``,
  ``+``, ``-`` or ``@`` is removed from the text fields read (title, team,
  project, labels, cycle name, status).
- ``ID`` (``ENG-123``) is the ticket id, ``Project`` the epic, ``Team`` the
  team, and ``Cycle Name`` (``Cycle <Cycle Number>`` when the cycle has no
  name) the sprint. Linear has no issue types: ``issue_type`` stays empty.
"""

from __future__ import annotations

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

__all__ = ["looks_like_linear_csv", "read_linear_csv"]

#: Header names that together identify a Linear export (case-insensitive).
SIGNATURE = ("ID", "Title", "Status", "Estimate", "Started", "Completed", "Assignee")
#: Linear puts a ``'`` before text that starts like a formula (``'=SUM(A1)``).
_ESCAPED = ("=", "+", "-", "@")


def looks_like_linear_csv(header: list[str]) -> bool:
    """Whether a CSV header is a Linear issue export.

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
    >>> from calibrate.io.linear_csv import looks_like_linear_csv
    >>> looks_like_linear_csv(["ID", "Team", "Title", "Status", "Estimate", "Assignee",
    ...                        "Created", "Started", "Completed", "Canceled"])
    True
    >>> looks_like_linear_csv(["Issue key", "Summary", "Status"])
    False
    """
    return has_columns(header, SIGNATURE)


def read_linear_csv(
    path: str | Path,
    config: Config | None = None,
    as_of: str | pd.Timestamp | None = None,
    progress: Progress | None = None,
) -> TicketTable:
    """Read a Linear CSV export into the canonical ticket table.

    Parameters
    ----------
    path : str or Path
        The export (Linear: Settings > Workspace > Import / Export > Export
        CSV, or a view's "Export as CSV").
    config : Config, optional
        Settings (areas, calendar, statuses, points scale).
    as_of : str or Timestamp, optional
        When the export was taken; open issues are censored there. Defaults
        to the latest time in the file.
    progress : callable, optional
        Called as ``progress(bytes_read, bytes_total)`` while the file is
        read (in chunks, so memory stays bounded for large exports).

    Returns
    -------
    TicketTable
        The tickets, and every row left out with its reason.

    Raises
    ------
    InputError
        If a required column is missing (all of them are listed, with the
        file), or a date column is mostly unreadable.

    Examples
    --------
    >>> from calibrate.io import read_linear_csv
    >>> table = read_linear_csv("tests/fixtures/linear_small.csv")
    >>> table.source_format
    'linear_csv'
    >>> table.tickets.loc[table.tickets["ticket_id"] == "ML-1", "clock"].item()
    'cycle'
    >>> table.rows_read == len(table.tickets) + len(table.excluded)
    True
    """
    config = config or Config()
    source = open_csv_export(path, progress=progress)
    points_column = config.points_column or "Estimate"
    required: list[str | tuple[str, ...]] = [
        "ID", "Status", points_column, "Assignee", "Created", "Started", "Completed",
    ]
    if config.area_column:
        required.append(config.area_column)
    problems = source.missing(required)
    if problems:
        raise InputError(
            f"{path} is not a Linear CSV export calibrate can use", problems,
            hint="Export the issues again from Linear as CSV (all columns); if the estimate "
                 "lives in another column, name it in calibrate.toml under [points] column.",
        )
    staging = source.stage(lambda export: _staging(export, config, points_column))
    dates = {"created_at": "Created", "started_at": "Started", "finished_at": "Completed",
             "updated_at": "Updated"}
    notes = list(source.notes)
    notes += parse_date_columns(staging, source.date_cells(staging, dates), file=str(path),
                                assume_utc=True)
    return assemble_tickets(staging, config=config, source_format="linear_csv", path=str(path),
                            as_of=as_of, notes=notes)


def _staging(export: CsvExport, config: Config, points_column: str) -> pd.DataFrame:
    """The staging rows of one chunk of the export, with its raw date cells."""

    def text(name: str) -> pd.Series:
        return restore_formulas(export.column(name), _ESCAPED)

    status = text("Status")
    completed = export.column("Completed") != ""
    canceled = export.column("Canceled") != ""
    # (``astype(bool)``: on a file without rows, ``map`` keeps the text dtype.)
    not_finished = canceled | status.map(config.is_not_finished_resolution).astype(bool)
    done_status = status.str.casefold().isin({s.casefold() for s in config.done_statuses})
    state = np.where(not_finished, "not_done",
                     np.where(completed | done_status, "done", "open"))
    in_progress = status.str.casefold().isin({s.casefold() for s in config.in_progress_statuses})
    work_started = (export.column("Started") != "") | in_progress

    cycle_name = text("Cycle Name")
    cycle_number = export.column("Cycle Number")
    sprints = cycle_name.where(
        (cycle_name != "") | (cycle_number == ""), "Cycle " + cycle_number
    )
    labels = text("Labels").map(_rejoin_labels)
    return pd.DataFrame(
        {
            "source_row": export.rows,
            "ticket_id": export.column("ID"),
            "title": text("Title"),
            "engineer": export.column("Assignee"),
            "issue_type": "",
            "labels": labels,
            "components": "",
            "epic": text("Project"),
            "team": text("Team"),
            "sprints": sprints,
            "status": status,
            "resolution": "",
            "area_raw": text(config.area_column) if config.area_column else "",
            "points_raw": export.column(points_column),
            "state": state,
            "work_started": work_started,
            "created_at": export.column("Created"),
            "started_at": export.column("Started"),
            "finished_at": export.column("Completed"),
            "updated_at": export.column("Updated"),
        }
    )


def _rejoin_labels(cell: str) -> str:
    """``"a, b"`` -> ``"a; b"`` (Linear joins labels with ``", "``)."""
    return "; ".join(part.strip() for part in cell.split(",") if part.strip())

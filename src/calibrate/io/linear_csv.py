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
- ``Description`` (Markdown) is read only for the text classifier of
  ``[areas] classify``, and only when it is on; it is never kept.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from calibrate.config import Config
from calibrate.io._csv_read import CsvExport, Progress
from calibrate.io._people import reads_people_names
from calibrate.io._reader import AREA, POINTS, CsvFormat, read_csv_format
from calibrate.io._values import ticket_states
from calibrate.tickets import TicketTable

__all__ = ["LINEAR_CSV", "looks_like_linear_csv", "read_linear_csv"]

#: Header names that together identify a Linear export (case-insensitive).
SIGNATURE = ("ID", "Title", "Status", "Estimate", "Started", "Completed", "Assignee")


def _derive(chunk: CsvExport, config: Config) -> dict[str, object]:
    """Linear's staging rules: state, start of work, the cycle as the sprint."""
    status = chunk.column("Status")
    not_finished = (chunk.column("Canceled") != "") | config.is_not_finished_resolution(status)
    done = (chunk.column("Completed") != "") | config.is_done_status(status)
    cycle_name = chunk.column("Cycle Name")
    cycle_number = chunk.column("Cycle Number")
    return {
        "state": ticket_states(not_finished, done),
        "work_started": (chunk.column("Started") != "") | config.is_in_progress_status(status),
        "sprints": cycle_name.where((cycle_name != "") | (cycle_number == ""),
                                    "Cycle " + cycle_number),
    }


#: Linear's CSV export, as :func:`~calibrate.io._reader.read_csv_format` reads it.
LINEAR_CSV = CsvFormat(
    name="linear_csv",
    refusal="{path} is not a Linear CSV export calibrate can use",
    hint="Export the issues again from Linear as CSV (all columns); if the estimate lives in "
         "another column, name it in calibrate.toml under [points] column.",
    signature=SIGNATURE,
    required=("ID", "Status", POINTS, "Assignee", "Created", "Started", "Completed", AREA),
    points=("Estimate",),
    # Linear puts a ' before text that starts like a formula ('=SUM(A1)).
    escaped=("Title", "Team", "Project", "Labels", "Cycle Name", "Status", AREA),
    escape_starts=("=", "+", "-", "@"),
    text={"ticket_id": "ID", "title": "Title", "engineer": "Assignee", "epic": "Project",
          "team": "Team", "status": "Status"},
    description="Description",
    lists={"labels": "Labels"},
    dates={"created_at": "Created", "started_at": "Started", "finished_at": "Completed",
           "updated_at": "Updated"},
    derive=_derive,
    assume_utc=True,
)


def looks_like_linear_csv(header: list[str]) -> bool:
    """Whether a CSV header (the file's first row) is a Linear issue export:
    every column of :data:`SIGNATURE` present.

    Examples
    --------
    >>> from calibrate.io.linear_csv import looks_like_linear_csv
    >>> looks_like_linear_csv(["ID", "Team", "Title", "Status", "Estimate", "Assignee",
    ...                        "Created", "Started", "Completed", "Canceled"])
    True
    """
    return LINEAR_CSV.recognises(header)


@reads_people_names
def read_linear_csv(path: str | Path, config: Config | None = None,
                    as_of: str | pd.Timestamp | None = None,
                    progress: Progress | None = None) -> TicketTable:
    """Read a Linear CSV export (Settings > Workspace > Import / Export >
    Export CSV, or a view's "Export as CSV") into the canonical ticket table.

    The parameters are :func:`~calibrate.io.read_export`'s; the settings it
    uses are the areas, calendar, statuses, points scale and column.

    Raises
    ------
    InputError
        If a required column is missing (all of them are listed, with the
        file), or a date column is mostly unreadable.

    Examples
    --------
    >>> from calibrate.io import read_linear_csv
    >>> table = read_linear_csv("tests/fixtures/linear_small.csv")
    >>> table.tickets.loc[table.tickets["ticket_id"] == "ML-1", "clock"].item()
    'cycle'
    """
    return read_csv_format(LINEAR_CSV, path, config, as_of, progress)

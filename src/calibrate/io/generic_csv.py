"""Any CSV of tickets, read through a ``[columns]`` mapping in ``calibrate.toml``.

The mapping names, for each canonical field, the export's column::

    [columns]
    ticket_id = "Key"
    engineer = "Owner"
    points = "Size"
    created_at = "Opened"
    started_at = "Work started"
    finished_at = "Done on"
    area = "Area"

Rules:

- Required: ``ticket_id``, ``engineer``, ``points``, ``finished_at``, and
  ``started_at`` or ``created_at`` (both when you have them). Optional:
  ``title``, ``issue_type``, ``labels``, ``components``, ``epic``, ``team``,
  ``sprints``, ``status``, ``resolution``, ``area``, ``updated_at``. A
  missing mapping, an unknown key and a mapped column that is not in the
  file are all reported together, in one error.
- Dates are read with one format per column (ISO 8601 or the formats Jira
  uses); cells without an offset are the team's local time, cells with one
  are converted to it. A date-only finish counts the whole day.
- The clock is *cycle* (started_at to finished_at) where ``started_at`` is
  filled, else *lead* (created_at to finished_at), labelled per ticket.
- State: a ``resolution`` (or ``status``) that is a not-finished resolution
  from the config (Won't Do, Duplicate, ...) means closed without the work
  done; a filled ``finished_at`` means done, as does a ``status`` from
  ``[statuses] done`` (then an empty ``finished_at`` is a missing date).
  Everything else is open: in progress (right-censored at the as-of time)
  when ``started_at`` is filled or the status is one of ``[statuses]
  in_progress``, otherwise not started.
- ``labels``, ``components`` and ``sprints`` may be separated by ``,`` or
  ``;``; they are re-joined with ``"; "``.
- ``area`` names the area directly (as ``[areas] column`` does); without
  it, the area rules apply. ``points`` may hold sizes mapped by ``[points]
  scale``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from calibrate.config import Config
from calibrate.errors import InputError, Problem
from calibrate.io._assemble import assemble_tickets, parse_date_columns
from calibrate.io._csv import CsvExport, Progress, open_csv_export
from calibrate.tickets import TicketTable

__all__ = ["ALLOWED_KEYS", "REQUIRED_KEYS", "read_generic_csv"]

#: Mappings that must be present (a tuple: at least one of them).
REQUIRED_KEYS: tuple[str | tuple[str, ...], ...] = (
    "ticket_id", "engineer", "points", "finished_at", ("started_at", "created_at"),
)
_TEXT_KEYS = ("ticket_id", "title", "engineer", "issue_type", "labels", "components", "epic",
              "team", "sprints", "status", "resolution")
_DATE_KEYS = ("created_at", "started_at", "finished_at", "updated_at")
#: Every key ``[columns]`` accepts.
ALLOWED_KEYS: tuple[str, ...] = _TEXT_KEYS + ("points", "area") + _DATE_KEYS
_LIST_KEYS = ("labels", "components", "sprints")
_SEPARATORS = re.compile(r"[,;]")


def read_generic_csv(
    path: str | Path,
    config: Config | None = None,
    as_of: str | pd.Timestamp | None = None,
    progress: Progress | None = None,
) -> TicketTable:
    """Read any CSV of tickets, mapped by ``[columns]`` in the config.

    Parameters
    ----------
    path : str or Path
        The CSV file (comma, semicolon or tab separated).
    config : Config, optional
        Settings; its ``columns`` mapping is required (see the module
        docstring for the keys).
    as_of : str or Timestamp, optional
        When the export was taken; open tickets are censored there. Defaults
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
        Listing every problem with the mapping: a required key not mapped,
        an unknown key, a mapped column not in the file. Also when a date
        column is mostly unreadable.

    Examples
    --------
    >>> from calibrate.config import load_config
    >>> from calibrate.io import read_generic_csv
    >>> config = load_config("tests/fixtures/generic_small.toml")
    >>> table = read_generic_csv("tests/fixtures/generic_small.csv", config)
    >>> table.source_format
    'generic_csv'
    >>> table.rows_read == len(table.tickets) + len(table.excluded)
    True
    """
    config = config or Config()
    mapping = {str(k).strip(): str(v).strip() for k, v in config.columns.items()}
    origin = config.source or "the config"
    problems = _mapping_problems(mapping, origin)
    source = open_csv_export(path, progress=progress)
    present = [column for key, column in mapping.items() if key in ALLOWED_KEYS and column]
    if config.area_column and not mapping.get("area"):
        present.append(config.area_column)
    problems += source.missing(present)
    if problems:
        raise InputError(
            f"{path} cannot be read with the [columns] mapping of {origin}", problems,
            hint="In calibrate.toml, map each canonical name to the export's column, e.g. "
                 "[columns] ticket_id = \"Key\"; required: ticket_id, engineer, points, "
                 "finished_at, and started_at or created_at.",
        )
    staging = source.stage(lambda export: _staging(export, config, mapping))
    dates = {key: mapping[key] for key in _DATE_KEYS if mapping.get(key)}
    notes = list(source.notes)
    notes += parse_date_columns(staging, source.date_cells(staging, dates), file=str(path))
    return assemble_tickets(staging, config=config, source_format="generic_csv", path=str(path),
                            as_of=as_of, notes=notes)


def _staging(export: CsvExport, config: Config, mapping: dict[str, str]) -> pd.DataFrame:
    """The staging rows of one chunk of the export, with its raw date cells."""

    def column(key: str) -> pd.Series:
        if mapping.get(key):
            return export.column(mapping[key])
        return pd.Series("", index=export.cells.index, dtype="object")

    resolution = column("resolution")
    status = column("status")
    finished = column("finished_at").str.strip() != ""
    started = column("started_at").str.strip() != ""
    # (``astype(bool)``: on a file without rows, ``map`` keeps the text dtype.)
    not_finished = (resolution.map(config.is_not_finished_resolution).astype(bool)
                    | status.map(config.is_not_finished_resolution).astype(bool))
    not_finished &= (resolution.str.strip() != "") | (status.str.strip() != "")
    done_status = status.str.strip().str.casefold().isin(
        {s.casefold() for s in config.done_statuses})
    in_progress = status.str.strip().str.casefold().isin(
        {s.casefold() for s in config.in_progress_statuses})
    state = np.where(not_finished, "not_done",
                     np.where(finished | done_status, "done", "open"))

    staging = pd.DataFrame({"source_row": export.rows})
    for key in _TEXT_KEYS:
        values = column(key)
        staging[key] = values.map(_rejoin) if key in _LIST_KEYS else values
    if mapping.get("area"):
        staging["area_raw"] = column("area")
    elif config.area_column:
        staging["area_raw"] = export.column(config.area_column)
    staging["points_raw"] = column("points")
    staging["state"] = state
    staging["work_started"] = (started | in_progress).to_numpy()
    for key in _DATE_KEYS:
        if mapping.get(key):
            staging[key] = column(key)
    return staging


def _mapping_problems(mapping: dict[str, str], origin: str) -> list[Problem]:
    """Unknown keys and missing required keys of a ``[columns]`` mapping."""
    problems = []
    for key in mapping:
        if key not in ALLOWED_KEYS:
            problems.append(Problem("unknown key in [columns]", file=origin,
                                    column=f"columns.{key}",
                                    expected=f"one of {', '.join(ALLOWED_KEYS)}"))
    for item in REQUIRED_KEYS:
        keys = item if isinstance(item, tuple) else (item,)
        if not any(mapping.get(key) for key in keys):
            problems.append(Problem("required mapping missing", file=origin,
                                    column=" or ".join(f"columns.{key}" for key in keys),
                                    expected=f"{' or '.join(keys)} = \"<export column>\""))
    return problems


def _rejoin(cell: str) -> str:
    """``"a, b;c"`` -> ``"a; b; c"``."""
    return "; ".join(part.strip() for part in _SEPARATORS.split(cell) if part.strip())

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
  ``sprints``, ``status``, ``resolution``, ``area``, ``updated_at``,
  ``description``. A missing mapping, an unknown key and a mapped column
  that is not in the file are all reported together, in one error.
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
- ``description`` is read only for the text classifier of ``[areas]
  classify``, and only when it is on; it is never kept.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from calibrate.config import Config
from calibrate.errors import Problem
from calibrate.io._csv_read import CsvExport, Progress
from calibrate.io._people import reads_people_names
from calibrate.io._reader import AREA, CsvFormat, read_csv_format
from calibrate.io._values import ticket_states
from calibrate.tickets import TicketTable

__all__ = ["ALLOWED_KEYS", "REQUIRED_KEYS", "generic_format", "read_generic_csv"]

#: Mappings that must be present (a tuple: at least one of them).
REQUIRED_KEYS: tuple[str | tuple[str, ...], ...] = (
    "ticket_id", "engineer", "points", "finished_at", ("started_at", "created_at"),
)
_TEXT_KEYS = ("ticket_id", "title", "engineer", "issue_type", "labels", "components", "epic",
              "team", "sprints", "status", "resolution")
_DATE_KEYS = ("created_at", "started_at", "finished_at", "updated_at")
#: Every key ``[columns]`` accepts.
ALLOWED_KEYS: tuple[str, ...] = _TEXT_KEYS + ("description", "points", "area") + _DATE_KEYS
_LIST_KEYS = ("labels", "components", "sprints")


def generic_format(config: Config) -> CsvFormat:
    """The CSV format that the ``[columns]`` mapping of ``config`` describes."""
    mapping = _mapping(config)
    mapped = {key: column for key, column in mapping.items() if key in ALLOWED_KEYS and column}
    copied = {key: column for key, column in mapped.items()
              if key in _TEXT_KEYS and key not in _LIST_KEYS}
    copied.update({f"{key}_raw": mapped[key] for key in ("points", "area") if key in mapped})
    return CsvFormat(
        name="generic_csv",
        refusal="{path} cannot be read with the [columns] mapping of {origin}",
        hint="In calibrate.toml, map each canonical name to the export's column, e.g. "
             "[columns] ticket_id = \"Key\"; required: ticket_id, engineer, points, "
             "finished_at, and started_at or created_at.",
        required=(*mapped.values(), *(() if "area" in mapped else (AREA,))),
        text=copied,
        description=mapped.get("description"),
        lists={key: mapped[key] for key in _LIST_KEYS if key in mapped},
        separators=",;",
        dates={key: mapped[key] for key in _DATE_KEYS if key in mapped},
        derive=_derive,
    )


@reads_people_names
def read_generic_csv(path: str | Path, config: Config | None = None,
                     as_of: str | pd.Timestamp | None = None,
                     progress: Progress | None = None) -> TicketTable:
    """Read any CSV of tickets (comma, semicolon or tab separated), mapped by
    ``[columns]`` in the config, into the canonical ticket table.

    The parameters are :func:`~calibrate.io.read_export`'s; the config's
    ``columns`` mapping is required (see the module docstring for the keys).

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
    >>> read_generic_csv("tests/fixtures/generic_small.csv", config).source_format
    'generic_csv'
    """
    config = config or Config()
    problems = _mapping_problems(_mapping(config), config.source or "the config")
    return read_csv_format(generic_format(config), path, config, as_of, progress,
                           problems=problems)


def _mapping(config: Config) -> dict[str, str]:
    return {str(k).strip(): str(v).strip() for k, v in config.columns.items()}


def _derive(chunk: CsvExport, config: Config) -> dict[str, object]:
    """The staging rules of a mapped CSV: state and start of work."""
    mapping = _mapping(config)

    def column(key: str) -> pd.Series:
        if mapping.get(key):
            return chunk.column(mapping[key])
        return pd.Series("", index=chunk.cells.index, dtype="object")

    resolution = column("resolution")
    status = column("status")
    finished = column("finished_at").str.strip() != ""
    started = column("started_at").str.strip() != ""
    not_finished = (config.is_not_finished_resolution(resolution)
                    | config.is_not_finished_resolution(status))
    not_finished &= (resolution.str.strip() != "") | (status.str.strip() != "")
    return {
        "state": ticket_states(not_finished, finished | config.is_done_status(status)),
        "work_started": (started | config.is_in_progress_status(status)).to_numpy(),
    }


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

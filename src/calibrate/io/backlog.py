"""Reading a backlog to predict: tickets not done yet, with who and how big.

A backlog is the canonical ticket table or any CSV with a ticket id, an
engineer, an area and points. Column names are matched case-insensitively,
with common aliases (``key``/``id``, ``assignee``, ``estimate``/``story
points``/``weight``). Every row and every column is kept: the file's own
columns (title, sprint, anything) come back unchanged beside the
predictions; a row whose points are missing or neither a number >= 0 nor a
size of the points scale gets a ``problem`` and no prediction, never a
silent drop; a row without an engineer is predicted as for an engineer never
seen (and noted as unassigned).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from calibrate.errors import InputError, Problem
from calibrate.io._csv_read import read_csv_export

__all__ = ["BACKLOG_ALIASES", "CAPACITY_ALIASES", "PLAN_ALIASES", "Backlog", "read_backlog",
           "read_capacity", "read_plan"]

#: Accepted column names per backlog field (compared case-insensitively).
BACKLOG_ALIASES: dict[str, tuple[str, ...]] = {
    "ticket_id": ("ticket_id", "ticket id", "issue key", "key", "id", "issue id"),
    "engineer": ("engineer", "assignee", "assignee username", "owner"),
    "area": ("area",),
    "points": ("points", "estimate", "story points", "story point estimate", "weight",
               "custom field (story points)", "custom field (story point estimate)"),
}

#: Accepted column names of a sprint plan's fields: a backlog's, and a title
#: and the pins (tickets that must stay with their engineer).
PLAN_ALIASES: dict[str, tuple[str, ...]] = {
    **BACKLOG_ALIASES,
    "title": ("title", "summary", "name"),
    "pinned": ("pinned", "pin", "fixed"),
}

#: Accepted column names of a capacity file.
CAPACITY_ALIASES: dict[str, tuple[str, ...]] = {
    "engineer": BACKLOG_ALIASES["engineer"],
    "capacity_days": ("capacity_days", "capacity", "available_days", "available days",
                      "days"),
}


@dataclass(frozen=True)
class Backlog:
    """A backlog as read: its own columns, and the fields a prediction needs.

    Attributes
    ----------
    columns : DataFrame
        Every column of the file in file order, every cell as the text read
        (``""`` when empty). A name the predictions also write (``note``,
        ``p50_days``, ``clock``, ... : see
        :data:`calibrate.prediction.PLANNER_COLUMNS`) gets `` (backlog)``
        appended, and a repeated name `` (2)``, `` (3)``, ... — each said in
        :attr:`notes`.
    tickets : DataFrame
        ``ticket_id``, ``engineer``, ``area``, ``points`` (a number, or NaN
        when there is a problem), ``problem`` (None, ``no points`` or
        ``invalid points: ...``) and ``source_row`` (the row in the file,
        counted as a spreadsheet does).
    fields : dict
        Which column of the file each field was read from.
    notes : list of str
        Facts about the reading a user should know (renamed columns).
    """

    columns: pd.DataFrame
    tickets: pd.DataFrame
    fields: dict[str, str]
    notes: list[str] = field(default_factory=list)


def read_backlog(path: str | Path, points_scale: dict[str, float] | None = None) -> Backlog:
    """Read a backlog CSV.

    Parameters
    ----------
    path : str or Path
    points_scale : dict, optional
        Sizes such as ``{"s": 2, "m": 3}`` for non-numeric estimates
        (compared case-insensitively): the multipliers file's scale and the
        config's (see :func:`calibrate.prediction.merged_points_scale`).

    Returns
    -------
    Backlog

    Raises
    ------
    InputError
        If a required column is missing (listing the columns found).

    Examples
    --------
    >>> from calibrate.io.backlog import read_backlog
    >>> backlog = read_backlog("tests/fixtures/backlog.csv")
    >>> backlog.tickets.columns.tolist()
    ['ticket_id', 'engineer', 'area', 'points', 'problem', 'source_row']
    >>> backlog.columns.columns.tolist()
    ['ticket_id', 'engineer', 'area', 'points', 'title']
    >>> backlog.tickets.set_index("ticket_id").loc["ML-907", "problem"]
    "invalid points: 'L' is not a number >= 0 (sizes such as 'M' need a points scale)"
    """
    from calibrate.prediction import PLANNER_COLUMNS

    export = read_csv_export(path)
    columns, fields, problems = {}, {}, []
    for name, aliases in BACKLOG_ALIASES.items():
        found = next((alias for alias in aliases if export.has(alias)), None)
        if found is None:
            problems.append(Problem("required column missing", file=str(path), column=name,
                                    expected=f"a column named one of {', '.join(aliases)}"))
        else:
            columns[name] = export.column(found)
            fields[name] = str(columns[name].name)
    if problems:
        raise InputError(
            f"{path} is not a backlog calibrate can predict "
            f"(columns found: {', '.join(export.header[:15])})", problems,
            hint="A backlog needs ticket_id, engineer, area and points columns.")
    scale = {str(size).strip().lower(): float(value)
             for size, value in (points_scale or {}).items()}
    text = columns["points"].str.strip()
    points = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    if scale:
        points = points.where(points.notna(), text.str.lower().map(scale))
    usable = np.isfinite(points.to_numpy(dtype=float)) & (points.to_numpy(dtype=float) >= 0)
    expected = (f"a number >= 0 or a size of the points scale ({', '.join(scale)})" if scale
                else "a number >= 0 (sizes such as 'M' need a points scale)")
    problem = pd.Series(None, index=text.index, dtype="object")
    problem[text == ""] = "no points"
    invalid = (text != "") & ~usable
    problem[invalid] = "invalid points: " + text[invalid].map(repr) + f" is not {expected}"
    tickets = pd.DataFrame({
        "ticket_id": columns["ticket_id"].str.strip(),
        "engineer": columns["engineer"].str.strip(),
        "area": columns["area"].str.strip(),
        "points": points.where(usable),
        "problem": problem,
        "source_row": export.rows,
    })
    own, notes = _own_columns(export, set(PLANNER_COLUMNS))
    return Backlog(columns=own, tickets=tickets, fields=fields, notes=notes)


def _own_columns(export, taken: set[str]) -> tuple[pd.DataFrame, list[str]]:
    """The file's columns under names unique and clear of the prediction's."""
    names, notes, seen = [], [], set()
    taken = {name.casefold() for name in taken}
    for name in export.header:
        unique = f"{name} (backlog)" if name.casefold() in taken else name
        if unique != name:
            notes.append(f"the backlog's column {name!r} is written as {unique!r}: the "
                         f"predictions write their own {name!r}")
        candidate, count = unique, 1
        while candidate.casefold() in seen:
            count += 1
            candidate = f"{unique} ({count})"
        if candidate != unique:
            notes.append(f"the backlog's repeated column {name!r} is written as {candidate!r}")
        seen.add(candidate.casefold())
        names.append(candidate)
    own = pd.DataFrame({i: export.cells[i] for i in range(len(export.header))})
    own.columns = names
    return own, notes


def read_plan(path: str | Path) -> pd.DataFrame:
    """Read a sprint plan (or a backlog to forecast) CSV for :mod:`calibrate.plan`.

    The columns are found by name, case-insensitively, with the aliases of
    :data:`PLAN_ALIASES`: ``ticket_id``, ``area`` and ``points`` are
    required; ``engineer`` (empty: unassigned), ``title`` and ``pinned``
    are optional. The file's other columns are kept after them. Values are
    checked by :func:`calibrate.plan.plan_frame`, which lists every bad row.

    Raises
    ------
    InputError
        If a required column is missing (listing the columns found).

    Examples
    --------
    >>> from calibrate.io.backlog import read_plan
    >>> read_plan("data/sample/plan.csv").columns[:6].tolist()
    ['ticket_id', 'engineer', 'area', 'points', 'title', 'pinned']
    """
    return _named_columns(path, PLAN_ALIASES, required=("ticket_id", "area", "points"),
                          what="a sprint plan",
                          hint="A plan needs ticket_id, area and points columns (engineer, "
                               "title and pinned are optional).")


def read_capacity(path: str | Path) -> pd.DataFrame:
    """Read a capacity CSV: each engineer's available working days in the sprint.

    Columns ``engineer`` and ``capacity_days`` (aliases in
    :data:`CAPACITY_ALIASES`), leave and part time already taken off.
    Values are checked by :func:`calibrate.plan.capacity_series`.

    Examples
    --------
    >>> from calibrate.io.backlog import read_capacity
    >>> read_capacity("data/sample/capacity.csv").columns.tolist()
    ['engineer', 'capacity_days']
    """
    return _named_columns(path, CAPACITY_ALIASES, required=("engineer", "capacity_days"),
                          what="a capacity file", keep_others=False,
                          hint="A capacity file needs an engineer and a capacity_days column "
                               "(available working days in the sprint).")


def _named_columns(path, aliases: dict[str, tuple[str, ...]], *, required: tuple[str, ...],
                   what: str, hint: str, keep_others: bool = True) -> pd.DataFrame:
    """The file's columns under the standard names of ``aliases`` (then, with
    ``keep_others``, its other columns), every cell as stripped text."""
    export = read_csv_export(path)
    found = {name: next((alias for alias in names if export.has(alias)), None)
             for name, names in aliases.items()}
    missing = [name for name in required if found[name] is None]
    if missing:
        raise InputError(
            f"{path} is not {what} calibrate can read "
            f"(columns found: {', '.join(export.header[:15])})",
            [Problem("required column missing", file=str(path), column=name,
                     expected=f"a column named one of {', '.join(aliases[name])}")
             for name in missing], hint=hint)
    frame = pd.DataFrame({name: export.column(alias).str.strip()
                          for name, alias in found.items() if alias is not None})
    if keep_others:
        used = {export.positions(alias)[0] for alias in found.values() if alias is not None}
        for position, name in enumerate(export.header):
            if position not in used and name not in frame.columns:
                frame[name] = export.cells[position]
    return frame.reset_index(drop=True)

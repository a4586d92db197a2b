"""Reading a backlog to predict: tickets not done yet, with who and how big.

A backlog is the canonical ticket table or any CSV with a ticket id, an
engineer, an area and points. Column names are matched case-insensitively,
with common aliases (``key``/``id``, ``assignee``, ``estimate``/``story
points``/``weight``). Every row is kept: a row whose points are missing or
not a number >= 0 gets a ``problem`` and no prediction, never a silent drop;
a row without an engineer is predicted as for an engineer never seen.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from calibrate.errors import InputError, Problem
from calibrate.io._csv_read import read_csv_export

__all__ = ["BACKLOG_ALIASES", "read_backlog"]

#: Accepted column names per backlog field (compared case-insensitively).
BACKLOG_ALIASES: dict[str, tuple[str, ...]] = {
    "ticket_id": ("ticket_id", "ticket id", "issue key", "key", "id", "issue id"),
    "engineer": ("engineer", "assignee", "assignee username", "owner"),
    "area": ("area",),
    "points": ("points", "estimate", "story points", "story point estimate", "weight",
               "custom field (story points)", "custom field (story point estimate)"),
}


def read_backlog(path: str | Path, points_scale: dict[str, float] | None = None) -> pd.DataFrame:
    """Read a backlog CSV into ``ticket_id, engineer, area, points, problem``.

    Parameters
    ----------
    path : str or Path
    points_scale : dict, optional
        Sizes such as ``{"s": 2, "m": 3}`` (keys lower case) for non-numeric
        estimates.

    Raises
    ------
    InputError
        If a required column is missing (listing the columns found).

    Examples
    --------
    >>> from calibrate.io.backlog import read_backlog
    >>> read_backlog("tests/fixtures/backlog.csv").columns.tolist()
    ['ticket_id', 'engineer', 'area', 'points', 'problem', 'source_row']
    """
    export = read_csv_export(path)
    columns, problems = {}, []
    for field, aliases in BACKLOG_ALIASES.items():
        found = next((alias for alias in aliases if export.has(alias)), None)
        if found is None:
            problems.append(Problem("required column missing", file=str(path), column=field,
                                    expected=f"a column named one of {', '.join(aliases)}"))
        else:
            columns[field] = export.column(found)
    if problems:
        raise InputError(
            f"{path} is not a backlog calibrate can predict "
            f"(columns found: {', '.join(export.header[:15])})", problems,
            hint="A backlog needs ticket_id, engineer, area and points columns.")
    text = columns["points"].str.strip()
    points = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    if points_scale:
        points = points.where(points.notna(), text.str.lower().map(points_scale))
    problem = pd.Series(None, index=text.index, dtype="object")
    problem[text == ""] = "no points"
    problem[(text != "") & ~(points >= 0)] = "invalid points: " + text + " is not a number >= 0"
    return pd.DataFrame({
        "ticket_id": columns["ticket_id"].str.strip(),
        "engineer": columns["engineer"].str.strip(),
        "area": columns["area"].str.strip(),
        "points": points.where(points >= 0),
        "problem": problem,
        "source_row": export.rows,
    })

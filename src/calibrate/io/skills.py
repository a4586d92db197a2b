"""Reading declared skill profiles: a skills CSV, or the ``[skills]`` of calibrate.toml.

The CSV is tidy: one row per engineer and area, with the declared level, and
optionally the engineer's start date on the team::

    engineer,area,level,start_date
    Priya Raman,research,strong,2024-03-04
    Priya Raman,ml-engineering,proficient,
    Priya Raman,data-engineering,basic,
    Jonas Weber,,,2025-09-01

- Columns are found by name, ignoring case: ``engineer`` (or ``assignee``,
  ``name``), ``area``, ``level`` (or ``skill``, ``skill level``) and, optional,
  ``start_date`` (or ``start date``, ``joined``, ``started``). Other columns
  are ignored.
- Names are those of the ticket export (spaces around them removed), levels
  those of the scale (``[skills] levels``, default basic, proficient, strong;
  compared ignoring case).
- A start date (``YYYY-MM-DD``) belongs to the engineer: give it on one of
  their rows or on all of them (the same date); a row with an empty area and
  level gives a start date alone.
- Every problem of the file is reported together, with its row (header = row 1).

Examples
--------
>>> import pathlib, tempfile
>>> from calibrate.io.skills import read_skills
>>> path = pathlib.Path(tempfile.mkdtemp()) / "skills.csv"
>>> _ = path.write_text("engineer,area,level,start_date\\n"
...                     "Priya Raman,research,Strong,2024-03-04\\n"
...                     "Priya Raman,data-engineering,basic,\\n")
>>> profiles = read_skills(path)
>>> profiles.profile("Priya Raman")
{'data-engineering': 'basic', 'research': 'strong'}
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from calibrate.config import Config
from calibrate.errors import InputError, Problem
from calibrate.io._csv_read import read_csv_export
from calibrate.skills import DEFAULT_LEVELS, START_DATE_KEY, SkillProfiles

__all__ = ["SKILLS_ALIASES", "read_skills", "skills_from_config"]

#: Accepted column names per field of a skills CSV (compared ignoring case).
SKILLS_ALIASES: dict[str, tuple[str, ...]] = {
    "engineer": ("engineer", "assignee", "name"),
    "area": ("area",),
    "level": ("level", "skill", "skill level"),
    "start_date": ("start_date", "start date", "joined", "started"),
}


def read_skills(path: str | Path, *, levels=DEFAULT_LEVELS) -> SkillProfiles:
    """Read a skills CSV (the layout is in the module's documentation).

    Parameters
    ----------
    path : str or Path
    levels : sequence of str
        The scale, lowest first (a config's ``skill_levels``).

    Returns
    -------
    SkillProfiles

    Raises
    ------
    InputError
        If a required column is missing, or listing every bad row: a level
        not on the scale, a row without engineer, an area without level, a
        start date that is not a date, two levels for one engineer and area,
        two start dates for one engineer.
    """
    export = read_csv_export(path)
    found = {name: next((alias for alias in aliases if export.has(alias)), None)
             for name, aliases in SKILLS_ALIASES.items()}
    missing = [name for name in ("engineer", "area", "level") if found[name] is None]
    if missing:
        raise InputError(
            f"{path} is not a skills file calibrate can read "
            f"(columns found: {', '.join(export.header[:15])})",
            [Problem("required column missing", file=str(path), column=name,
                     expected=f"a column named one of {', '.join(SKILLS_ALIASES[name])}")
             for name in missing],
            hint="A skills file has engineer, area and level columns, and optionally "
                 "start_date (one row per engineer and area).")
    cells = {name: export.column(alias).str.strip() if alias else
             pd.Series("", index=export.cells.index) for name, alias in found.items()}
    rows = export.rows.to_numpy()
    declared = (cells["area"] != "") | (cells["level"] != "")
    problems: list[Problem] = []
    for row, engineer, date in zip(rows[~declared], cells["engineer"][~declared],
                                   cells["start_date"][~declared], strict=True):
        if not date:
            problems.append(Problem("an empty row needs at least an area and a level, or a "
                                    "start date", file=str(path), row=int(row),
                                    value=engineer or None))
    starts: dict[str, str] = {}
    for row, engineer, date in zip(rows, cells["engineer"], cells["start_date"], strict=True):
        if not date:
            continue
        if not engineer:
            problems.append(Problem("a start date needs an engineer", file=str(path),
                                    row=int(row), column="engineer", value=date))
        elif not _is_date(date):
            problems.append(Problem(f"the start date of {engineer!r} is not a date",
                                    file=str(path), row=int(row), column="start_date",
                                    value=date, expected="YYYY-MM-DD"))
        elif starts.setdefault(engineer, date) != date:
            problems.append(Problem(f"{engineer!r} has two start dates ({starts[engineer]!r} "
                                    "and this)", file=str(path), row=int(row),
                                    column="start_date", value=date))
    table = pd.DataFrame({"engineer": cells["engineer"][declared],
                          "area": cells["area"][declared],
                          "level": cells["level"][declared],
                          "source_row": rows[declared.to_numpy()]})
    try:
        profiles = SkillProfiles(table, starts, tuple(levels), str(path))
    except InputError as error:
        problems.extend(error.problems)
        profiles = None
    if problems:
        raise InputError(f"{path} has invalid skill profiles",
                         sorted(problems, key=lambda p: p.row or 0),
                         hint="One row per engineer and area: engineer,area,level[,start_date]"
                              "; levels lowest first on the scale ([skills] levels); dates as "
                              "YYYY-MM-DD.")
    return profiles


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text[:10])
    except ValueError:
        return False
    return True


def skills_from_config(config: Config) -> SkillProfiles | None:
    """The skill profiles a settings file gives: its ``[skills] file`` (read
    relative to the settings file's folder) and its ``[skills.engineers]``
    tables together, on its scale; None when it gives none.

    Raises
    ------
    InputError
        If the file cannot be read or is invalid, or the two give one
        engineer and area different levels or one engineer two start dates.

    Examples
    --------
    >>> from calibrate.config import config_from_dict
    >>> from calibrate.io.skills import skills_from_config
    >>> config = config_from_dict({"skills": {"engineers": {
    ...     "Priya Raman": {"research": "strong", "start_date": "2024-03-04"}}}})
    >>> skills_from_config(config).level_of("Priya Raman", "research")
    'strong'
    """
    inline = config.skill_profiles
    if config.skills_file is None and not inline:
        return None
    frames, starts = [], {}
    if config.skills_file is not None:
        path = Path(config.skills_file)
        if not path.is_absolute() and config.source and Path(config.source).is_file():
            path = Path(config.source).parent / path
        read = read_skills(path, levels=config.skill_levels)
        frames.append(read.levels)
        starts.update(read.start_dates)
    rows = [(engineer, area, level) for engineer, entries in inline.items()
            for area, level in entries.items() if area != START_DATE_KEY]
    frames.append(pd.DataFrame(rows, columns=["engineer", "area", "level"]))
    problems = []
    for engineer, entries in inline.items():
        if START_DATE_KEY in entries:
            day = pd.Timestamp(entries[START_DATE_KEY]).normalize()
            if starts.setdefault(engineer, day) != day:
                problems.append(Problem(f"{engineer!r} has another start date in "
                                        f"{config.skills_file}", file=config.source,
                                        column=f"skills.engineers.{engineer}.start_date",
                                        value=str(entries[START_DATE_KEY])))
    levels = pd.concat([frame for frame in frames if len(frame)] or frames, ignore_index=True)
    if problems:
        raise InputError("the skill profiles of the settings disagree", problems)
    return SkillProfiles(levels, starts, config.skill_levels, config.source)

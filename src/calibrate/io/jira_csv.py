"""Jira's CSV export (Cloud and Data Center), as Jira really writes it.

What the reader expects, and why:

- Multi-value fields (Labels, Sprint, Components, ...) repeat one identical
  header per value; their cells are joined. The number of filled Sprint cells
  is how many sprints the ticket was carried through.
- Story points sit in ``Custom field (Story Points)`` (company-managed
  projects) or ``Custom field (Story point estimate)`` (team-managed), often
  both columns with one empty; the first filled one is used
  (``[points] column`` in the config names another field).
- Dates follow the exporting user's profile (``14/Mar/24 3:07 PM`` by
  default), without a time zone: they are taken as the team's local time.
- So do the column names: a Russian export (``Ключ проблемы``, ``Тема``,
  ``Исполнитель``, ``Пользовательское поле (Story Points)`` ...) is read
  through :data:`RUSSIAN_HEADERS`, with a note; other languages are not
  translated yet.
- The CSV holds no status history, so the start of work is unknown: the
  duration is *lead time*, Created to Resolved, labelled ``clock=lead``
  (``[statuses] start_column`` can name a field that records the start of
  work, such as ``Custom field (Actual start)``). For the cycle time, export
  the issue history (see :mod:`calibrate.io.jira_json`).
- Resolutions such as Won't Do, Duplicate and Cannot Reproduce are closed but
  not finished work. A done ticket without a Resolved date (workflows that
  set no resolution) finishes at ``Status Category Changed``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from calibrate.config import Config
from calibrate.errors import InputError
from calibrate.io._assemble import assemble_tickets, parse_date_columns
from calibrate.io._csv import CsvExport, Progress, has_columns, open_csv_export
from calibrate.tickets import TicketTable

__all__ = ["english_header", "looks_like_jira_csv", "read_jira_csv"]

POINTS_COLUMNS = ("Custom field (Story Points)", "Custom field (Story point estimate)")
_EPIC_COLUMNS = ("Parent summary", "Custom field (Epic Link)", "Custom field (Epic Name)",
                 "Parent key", "Parent")
_UNRESOLVED = {"", "unresolved", "нерешенные", "nicht erledigt", "non résolu"}

#: Column names of a Jira export made in Russian (Jira translates every header
#: into the exporting user's language), lower case -> Jira's English name.
#: Ключ проблемы, Тема, Исполнитель, Создано, Обновлено, Дата решения, Статус,
#: Компоненты and the custom-field prefix are taken from real exports; the
#: others are Jira's Russian terms for the same fields.
RUSSIAN_HEADERS = {
    "ключ проблемы": "Issue key", "ключ задачи": "Issue key", "тема": "Summary",
    "исполнитель": "Assignee", "создано": "Created", "обновлено": "Updated",
    "дата решения": "Resolved", "статус": "Status", "решение": "Resolution",
    "тип задачи": "Issue Type", "тип проблемы": "Issue Type", "метки": "Labels",
    "компоненты": "Components", "спринт": "Sprint", "категория статуса": "Status Category",
    "изменение категории статуса": "Status Category Changed",
    "дата изменения категории статуса": "Status Category Changed",
}
_RUSSIAN_CUSTOM_FIELD = "пользовательское поле ("
#: Status category names as a Russian Jira writes them.
_RUSSIAN_CATEGORIES = {"готово": "done", "в работе": "in progress", "к выполнению": "to do"}


def english_header(header: list[str]) -> tuple[list[str], str | None]:
    """A Jira export's column names in English, and the language they were in.

    Jira writes the header in the exporting user's language; a Russian one
    (``Ключ проблемы``, ``Тема``, ``Пользовательское поле (Story Points)`` ...)
    is translated here, so the rest of the reader sees one vocabulary.

    Examples
    --------
    >>> from calibrate.io.jira_csv import english_header
    >>> english_header(["Тема", "Ключ проблемы", "Пользовательское поле (Story Points)"])
    (['Summary', 'Issue key', 'Custom field (Story Points)'], 'Russian')
    >>> english_header(["Summary", "Issue key"])
    (['Summary', 'Issue key'], None)
    """
    translated, changed = [], False
    for name in header:
        folded = name.strip().casefold()
        english = RUSSIAN_HEADERS.get(folded)
        if english is None and folded.startswith(_RUSSIAN_CUSTOM_FIELD):
            english = "Custom field (" + name.strip()[len(_RUSSIAN_CUSTOM_FIELD):]
        changed |= english is not None
        translated.append(english if english is not None else name)
    return translated, ("Russian" if changed else None)


def looks_like_jira_csv(header: list[str]) -> bool:
    """Whether a CSV header is a Jira issue export."""
    return has_columns(english_header(header)[0], ("Issue key", "Summary"))


def read_jira_csv(
    path: str | Path,
    config: Config | None = None,
    as_of: str | pd.Timestamp | None = None,
    progress: Progress | None = None,
) -> TicketTable:
    """Read a Jira CSV export into the canonical ticket table.

    Parameters
    ----------
    path : str or Path
        The export ("Export > CSV (all fields)" in Jira's issue search).
    config : Config, optional
        Settings (areas, calendar, statuses, points column).
    as_of : str or Timestamp, optional
        When the export was taken; open tickets are censored there. Defaults
        to the latest date in the file.
    progress : callable, optional
        Called as ``progress(bytes_read, bytes_total)`` while the file is read
        (in chunks, so memory stays bounded for large exports).

    Returns
    -------
    TicketTable

    Raises
    ------
    InputError
        If required columns are missing or a date column is unreadable.

    Examples
    --------
    >>> from calibrate.io import read_jira_csv
    >>> table = read_jira_csv("data/sample/jira_export.csv")
    >>> sorted(table.tickets["clock"].unique())
    ['lead']
    """
    config = config or Config()
    source = open_csv_export(path, progress=progress)
    source.header, language = english_header(source.header)
    points_columns = [config.points_column] if config.points_column else list(POINTS_COLUMNS)
    required: list[str | tuple[str, ...]] = [
        "Issue key", "Assignee", "Created", "Resolved", ("Status Category", "Status"),
        tuple(points_columns),
    ]
    if config.start_column:
        required.append(config.start_column)
    if config.area_column:
        required.append(config.area_column)
    problems = source.missing(required)
    if problems:
        raise InputError(
            f"{path} is not a Jira CSV export calibrate can use", problems,
            hint="Export with 'CSV (all fields)'; if your points live in another custom field, "
                 "name it in calibrate.toml under [points] column.",
        )
    staging = source.stage(lambda export: _staging(export, config, points_columns))
    notes = list(source.notes)
    if language:
        notes.append(f"column names in {language} were read as Jira's English ones")
    both_filled = int(staging.pop("_both_points").sum())
    if both_filled:
        notes.append(f"{both_filled} rows have both story-point fields filled; "
                     f"{points_columns[0]!r} was used")
    # Dates are parsed once the whole file is read: one format per column.
    dates = {"created_at": "Created", "finished_at": "Resolved", "updated_at": "Updated"}
    if config.start_column:
        dates["started_at"] = config.start_column
    notes += parse_date_columns(staging, source.date_cells(staging, dates), file=str(path))
    return assemble_tickets(staging, config=config, source_format="jira_csv", path=str(path),
                            as_of=as_of, notes=notes)


def _staging(export: CsvExport, config: Config, points_columns: list[str]) -> pd.DataFrame:
    """The staging rows of one chunk of the export, with its raw date cells
    (parsed later) and whether both points fields are filled."""
    resolution = export.column("Resolution")
    status = export.column("Status")
    # Statuses and resolutions repeat a handful of values: each distinct value
    # is folded (or tested) once, not once per row.
    category = _per_distinct(export.column("Status Category"), _category)
    status_folded = _per_distinct(status, _casefold)
    not_finished = _per_distinct(resolution, config.is_not_finished_resolution).astype(bool)
    done_status = status_folded.isin({s.casefold() for s in config.done_statuses})
    resolved = export.column("Resolved") != ""
    has_category = export.has("Status Category")
    is_done = resolved | (category == "done") if has_category else resolved | done_status
    state = np.where(not_finished & (resolved | is_done), "not_done",
                     np.where(is_done, "done", "open"))
    in_progress = {s.casefold() for s in config.in_progress_statuses}
    work_started = (category == "in progress") | status_folded.isin(in_progress)

    # Finish: Resolved, else (done without a resolution) the move into Done.
    category_changed = export.column("Status Category Changed")
    finish_cells = export.column("Resolved").where(resolved | (category != "done"),
                                                   category_changed)
    both_filled = sum(
        (export.column(name) != "").astype(int) for name in points_columns if export.has(name)
    )
    epic = export.first_filled([c for c in _EPIC_COLUMNS if export.has(c)])
    staging = pd.DataFrame(
        {
            "source_row": export.rows,
            "ticket_id": export.column("Issue key"),
            "title": export.column("Summary"),
            "engineer": export.column("Assignee"),
            "issue_type": export.column("Issue Type"),
            "labels": export.values("Labels"),
            "components": export.values("Components"),
            "epic": epic if len(epic) else "",
            "team": export.column("Custom field (Team)"),
            "sprints": export.values("Sprint"),
            "status": status,
            "resolution": resolution.where(
                ~_per_distinct(resolution, _casefold).isin(_UNRESOLVED), ""),
            "area_raw": export.column(config.area_column) if config.area_column else "",
            "points_raw": export.first_filled(points_columns),
            "state": state,
            "work_started": work_started,
            "_both_points": (both_filled > 1) if len(points_columns) > 1 else False,
            "created_at": export.column("Created"),
            "finished_at": finish_cells,
            "updated_at": export.column("Updated"),
        }
    )
    if config.start_column:
        staging["started_at"] = export.column(config.start_column)
    return staging


def _casefold(value):
    return value.casefold() if isinstance(value, str) else value


def _category(value):
    """A status category in Jira's English words, lower case."""
    folded = _casefold(value)
    return _RUSSIAN_CATEGORIES.get(folded, folded)


def _per_distinct(values: pd.Series, function) -> pd.Series:
    """``values.map(function)``, calling ``function`` once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    results = np.empty(len(uniques), dtype=object)
    results[:] = [function(value) for value in uniques]
    return pd.Series(results[codes], index=values.index)

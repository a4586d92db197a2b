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
- ``Description`` (Jira's wiki markup) is read only for the text classifier
  of ``[areas] classify``, and only when it is on; it is never kept.
- Resolutions such as Won't Do, Duplicate and Cannot Reproduce are closed but
  not finished work. A done ticket without a Resolved date (workflows that
  set no resolution) finishes at ``Status Category Changed``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from calibrate.config import Config
from calibrate.io._csv_read import CsvExport, Progress
from calibrate.io._people import reads_people_names
from calibrate.io._reader import AREA, POINTS, START, CsvFormat, counted, read_csv_format
from calibrate.io._values import TEXT, per_distinct, ticket_states
from calibrate.tickets import TicketTable

__all__ = ["JIRA_CSV", "english_header", "looks_like_jira_csv", "read_jira_csv"]

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
    "описание": "Description",
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


def _translated_header(header: list[str]) -> tuple[list[str], list[str]]:
    english, language = english_header(header)
    return english, ([f"column names in {language} were read as Jira's English ones"]
                     if language else [])


def _derive(chunk: CsvExport, config: Config) -> dict[str, object]:
    """Jira's staging rules: state, start of work, finish, resolution, epic."""
    resolution = chunk.column("Resolution")
    status = chunk.column("Status")
    category = per_distinct(chunk.column("Status Category"), _category, dtype=TEXT)
    resolved = chunk.column("Resolved") != ""
    if chunk.has("Status Category"):
        is_done = resolved | (category == "done")
    else:
        is_done = resolved | config.is_done_status(status)
    not_finished = config.is_not_finished_resolution(resolution)
    # Finish: Resolved, else (done without a resolution) the move into Done.
    finish = chunk.column("Resolved").where(resolved | (category != "done"),
                                            chunk.column("Status Category Changed"))
    points = JIRA_CSV.points_columns(config)
    filled = sum((chunk.column(name) != "").astype(int) for name in points if chunk.has(name))
    unresolved = per_distinct(resolution, lambda value: _casefold(value) in _UNRESOLVED,
                              dtype=bool)
    return {
        "epic": chunk.first_filled([c for c in _EPIC_COLUMNS if chunk.has(c)]),
        "resolution": resolution.where(~unresolved, ""),
        "state": ticket_states(not_finished & (resolved | is_done), is_done),
        "work_started": (category == "in progress") | config.is_in_progress_status(status),
        "finished_at": finish,
        "_both_points": (filled > 1) if len(points) > 1 else False,
    }


def _summarise(staging: pd.DataFrame, config: Config) -> tuple[list[str], list[str]]:
    first = JIRA_CSV.points_columns(config)[0]
    return counted(staging, {"_both_points": "{count} rows have both story-point fields "
                             f"filled; {first!r} was used"}), []


#: Jira's CSV export, as :func:`~calibrate.io._reader.read_csv_format` reads it.
JIRA_CSV = CsvFormat(
    name="jira_csv",
    refusal="{path} is not a Jira CSV export calibrate can use",
    hint="Export with 'CSV (all fields)'; if your points live in another custom field, "
         "name it in calibrate.toml under [points] column.",
    signature=("Issue key", "Summary"),
    translate_header=_translated_header,
    required=("Issue key", "Assignee", "Created", "Resolved", ("Status Category", "Status"),
              POINTS, START, AREA),
    points=POINTS_COLUMNS,
    text={"ticket_id": "Issue key", "title": "Summary", "engineer": "Assignee",
          "issue_type": "Issue Type", "team": "Custom field (Team)", "status": "Status"},
    description="Description",
    repeated={"labels": "Labels", "components": "Components", "sprints": "Sprint"},
    dates={"created_at": "Created", "finished_at": "Resolved", "updated_at": "Updated",
           "started_at": START},
    derive=_derive,
    summarise=_summarise,
)


def looks_like_jira_csv(header: list[str]) -> bool:
    """Whether a CSV header is a Jira issue export."""
    return JIRA_CSV.recognises(header)


@reads_people_names
def read_jira_csv(path: str | Path, config: Config | None = None,
                  as_of: str | pd.Timestamp | None = None,
                  progress: Progress | None = None) -> TicketTable:
    """Read a Jira CSV export ("Export > CSV (all fields)" in Jira's issue
    search) into the canonical ticket table.

    The parameters are :func:`~calibrate.io.read_export`'s; the settings it
    uses are the areas, calendar, statuses, and the points and start columns.

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
    return read_csv_format(JIRA_CSV, path, config, as_of, progress)


def _casefold(value):
    return value.casefold() if isinstance(value, str) else value


def _category(value):
    """A status category in Jira's English words, lower case."""
    folded = _casefold(value)
    return _RUSSIAN_CATEGORIES.get(folded, folded)

"""How an export format is described, and the one routine that reads any of them.

A reader module describes its format — the columns that recognise it, the
columns it needs, its date columns, its staging rules — as a
:class:`CsvFormat` or a :class:`JsonFormat`; :func:`read_csv_format` and
:func:`read_json_format` do the reading every format shares: open the file,
refuse it with every missing column listed, stage it (chunk by chunk for a
CSV), parse the dates once per column, and hand the staging table to
:func:`~calibrate.io._assemble.assemble_tickets`. The staging columns are
listed in :mod:`calibrate.io._assemble`.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from calibrate.config import Config
from calibrate.errors import InputError, Problem
from calibrate.io._assemble import assemble_tickets, parse_date_columns
from calibrate.io._csv_read import CsvExport, Progress, has_columns, open_csv_export
from calibrate.io._json import JsonExport, Restart, raw_cells
from calibrate.io._values import rejoined
from calibrate.tickets import TicketTable

__all__ = ["AREA", "DESCRIPTION_CHARS", "POINTS", "START", "CsvFormat", "JsonFormat", "Staged",
           "counted", "read_csv_format", "read_json_format", "staged_description"]


class _Setting(str):
    """A column a setting names, in a format's column lists: ``[points]
    column`` (else the format's own points columns), ``[statuses]
    start_column`` or ``[areas] column``; left out when the setting is empty."""


POINTS = _Setting("[points] column")
START = _Setting("[statuses] start_column")
AREA = _Setting("[areas] column")

#: A required column: a name, or a tuple of names of which one is enough.
Column = str | tuple[str, ...]

#: The characters of a ticket's description that are staged. Descriptions
#: are read only by the text classifier of ``[areas] classify`` (and only
#: when it is on); their beginning says what the work is, and pasted logs or
#: specifications further down would make a reading of 200,000 tickets hold
#: gigabytes of text.
DESCRIPTION_CHARS = 2_000


def staged_description(value: Any, config: Config) -> str | None:
    """A JSON record's description as the staging holds it.

    Parameters
    ----------
    value : object
        The record's description field (Markdown or plain text).
    config : Config
        Descriptions are staged only with ``[areas] classify`` on.

    Returns
    -------
    str or None
        Its first :data:`DESCRIPTION_CHARS` characters, stripped; None when
        the classifier is off, or the value is not text or is empty.

    Examples
    --------
    >>> from calibrate.config import Config
    >>> from calibrate.io._reader import staged_description
    >>> staged_description("  Retrain the ranker ", Config(area_classify=True))
    'Retrain the ranker'
    >>> print(staged_description("Retrain the ranker", Config()))
    None
    """
    if not config.area_classify or not isinstance(value, str):
        return None
    return value[:DESCRIPTION_CHARS].strip() or None


@dataclass
class Staged:
    """A reader's staging table, and what it noted about the export.

    Attributes
    ----------
    table : DataFrame
        The staging table; its date columns still hold the raw cells.
    notes : list of str
        About the export as a whole, listed before the notes on dates.
    counts : list of str
        Counts of tickets read in a particular way, listed after them.
    """

    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    counts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CsvFormat:
    """A CSV export format, described for :func:`read_csv_format`.

    Column lists may name :data:`POINTS`, :data:`START` and :data:`AREA`,
    the columns the settings name.

    Attributes
    ----------
    name : str
        The format's name, as in :data:`calibrate.io.FORMATS`.
    refusal : str
        What a file that lacks columns is not, formatted with ``path`` and
        ``origin`` (the config): ``"{path} is not a Linear CSV export ..."``.
    hint : str
        How to get a file the reader can use.
    signature : tuple of str
        The columns that together recognise the format (case-insensitive).
    required : tuple
        The columns a file must have; a tuple of names: one of them.
    points : tuple of str
        The columns holding the estimate, the first filled one used;
        ``[points] column`` replaces them. Empty: the format maps its own.
    text : mapping
        Staging column -> export column, copied as it is.
    description : str, optional
        The export column of the ticket's description; its first
        :data:`DESCRIPTION_CHARS` characters are staged only with
        ``[areas] classify`` on (the text classifier is their only reader).
        Not required: an export without it has no descriptions.
    repeated : mapping
        Staging column -> a header repeated once per value (Jira's Labels):
        the filled cells joined with ``"; "``.
    lists : mapping
        Staging column -> export column of values separated by any of
        ``separators``, re-joined with ``"; "``.
    dates : mapping
        Staging column -> export column of raw date cells, parsed (one
        format per column) once the whole file is staged.
    escaped : tuple of str
        Export columns in which the tracker put a ``'`` before text starting
        with one of ``escape_starts``; the ``'`` is removed.
    derive : callable
        ``derive(chunk, config)``: the staging columns the format computes
        (``state`` and ``work_started`` at least), by name.
    summarise : callable, optional
        ``summarise(staging, config)``: pops the helper columns ``derive``
        added and returns ``(notes, counts)`` (see :class:`Staged`).
    translate_header : callable, optional
        ``translate_header(header)``: the header in the format's own words
        (Jira writes it in the user's language), and notes on it.
    assume_utc : bool
        Date cells without an offset are UTC (else the team's local time).
    """

    name: str
    refusal: str
    hint: str
    derive: Callable[[CsvExport, Config], Mapping[str, Any]]
    signature: tuple[str, ...] = ()
    required: tuple[Column, ...] = ()
    points: tuple[str, ...] = ()
    text: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None
    repeated: Mapping[str, str] = field(default_factory=dict)
    lists: Mapping[str, str] = field(default_factory=dict)
    separators: str = ","
    dates: Mapping[str, str] = field(default_factory=dict)
    escaped: tuple[str, ...] = ()
    escape_starts: tuple[str, ...] = ()
    summarise: Callable[[pd.DataFrame, Config], tuple[list[str], list[str]]] | None = None
    translate_header: Callable[[list[str]], tuple[list[str], list[str]]] | None = None
    assume_utc: bool = False

    def recognises(self, header: list[str]) -> bool:
        """Whether a CSV header (its first row) is this format's."""
        if self.translate_header is not None:
            header = self.translate_header(header)[0]
        return bool(self.signature) and has_columns(header, self.signature)

    def points_columns(self, config: Config) -> list[str]:
        """The estimate's columns: ``[points] column``, else the format's own."""
        if not self.points:
            return []
        return [config.points_column] if config.points_column else list(self.points)

    def resolve(self, column: str, config: Config) -> Column | None:
        """A column of the description with a setting resolved (None: not set)."""
        if column is POINTS:
            return tuple(self.points_columns(config)) or None
        if column is START:
            return config.start_column
        if column is AREA:
            return config.area_column
        return column


def counted(staging: pd.DataFrame, messages: Mapping[str, str]) -> list[str]:
    """Notes counting the rows a reader flagged, the flag columns popped.

    ``messages`` maps a flag column to its note; ``{count}`` in it is the
    number of rows flagged, ``{rows}`` the number of rows. A flag no row has
    gives no note.
    """
    notes = []
    for column, message in messages.items():
        count = int(staging.pop(column).sum())
        if count:
            notes.append(message.replace("{count}", str(count)).replace("{rows}",
                                                                          str(len(staging))))
    return notes


def read_csv_format(export_format: CsvFormat, path: str | Path, config: Config | None,
                    as_of: str | pd.Timestamp | None, progress: Progress | None, *,
                    problems: list[Problem] | None = None) -> TicketTable:
    """Read a CSV export of ``export_format`` (the parameters are
    :func:`~calibrate.io.read_export`'s).

    ``problems`` found before the file was opened (a bad ``[columns]``
    mapping) are reported with the missing columns.

    Raises
    ------
    InputError
        If required columns are missing (all listed), or the file is not a
        readable CSV, or a date column is mostly unreadable.
    """
    config = config or Config()
    source = open_csv_export(path, progress=progress)
    header_notes: list[str] = []
    if export_format.translate_header is not None:
        source.header, header_notes = export_format.translate_header(source.header)
    required = [export_format.resolve(c, config) for c in export_format.required]
    problems = list(problems or []) + source.missing([c for c in required if c])
    if problems:
        origin = config.source or "the config"
        raise InputError(export_format.refusal.format(path=path, origin=origin), problems,
                         hint=export_format.hint)
    staging = source.stage(lambda chunk: _stage_chunk(export_format, chunk, config))
    notes, counts = ([], []) if export_format.summarise is None \
        else export_format.summarise(staging, config)
    dates = {target: export_format.resolve(name, config)
             for target, name in export_format.dates.items()}
    staged = Staged(staging, header_notes + notes, counts)
    return _finish(staged, source.date_cells(staging, {t: n for t, n in dates.items() if n}),
                   export_format.name, path, config, as_of, source.notes,
                   assume_utc=export_format.assume_utc, empty="has a header and no rows")


def _stage_chunk(export_format: CsvFormat, chunk: CsvExport, config: Config) -> pd.DataFrame:
    """The staging rows of one chunk: the columns the format copies, then
    those it derives; date columns hold their raw cells."""
    if export_format.escaped:
        escaped = [export_format.resolve(name, config) for name in export_format.escaped]
        chunk = chunk.restored([name for name in escaped if name],
                               export_format.escape_starts)
    staging: dict[str, Any] = {"source_row": chunk.rows}
    staging.update({target: chunk.column(name) for target, name in export_format.text.items()})
    if export_format.description and config.area_classify:
        staging["description"] = chunk.column(export_format.description).str.slice(
            0, DESCRIPTION_CHARS)
    staging.update({target: chunk.values(name)
                    for target, name in export_format.repeated.items()})
    staging.update({target: rejoined(chunk.column(name), export_format.separators)
                    for target, name in export_format.lists.items()})
    points = export_format.points_columns(config)
    if points:
        staging["points_raw"] = chunk.first_filled(points)
    if config.area_column and "area_raw" not in staging:
        staging["area_raw"] = chunk.column(config.area_column)
    for target, name in export_format.dates.items():
        column = export_format.resolve(name, config)
        if column:
            staging[target] = chunk.column(column)
    staging.update(export_format.derive(chunk, config))
    return pd.DataFrame(staging)


@dataclass(frozen=True)
class JsonFormat:
    """A JSON export format, described for :func:`read_json_format`.

    Attributes
    ----------
    name : str
        The format's name, as in :data:`calibrate.io.FORMATS`.
    stage : callable
        ``stage(export, config, path)``: the records of a
        :class:`~calibrate.io._json.JsonExport` (read as they come, from
        ``export.events(...)``) as a :class:`Staged` table, one row per
        record, raw date values in the ``dates`` columns (rows the format
        already knows are unusable marked, see
        :func:`~calibrate.io._assemble.mark_problem`). It may raise
        :class:`~calibrate.io._json.Restart` to have the file read again.
    dates : mapping
        Staging column -> the field it comes from, as problems name it.
    assume_utc : bool
        Times without an offset are UTC (else the team's local time).
    """

    name: str
    stage: Callable[[JsonExport, Config, str], Staged]
    dates: Mapping[str, str]
    assume_utc: bool = False


def read_json_format(export_format: JsonFormat, path: str | Path, config: Config | None,
                     as_of: str | pd.Timestamp | None, progress: Progress | None) -> TicketTable:
    """Read a JSON export of ``export_format`` (the parameters are
    :func:`~calibrate.io.read_export`'s); several documents written one
    after another are read as pages.

    Raises
    ------
    InputError
        If the file is not JSON, or not the format's (every problem listed).
    """
    config = config or Config()
    staged, documents = _stage_json(export_format, path, config, progress)
    reading_notes = ([f"{documents} JSON documents written one after another were read as "
                      "pages"] if documents > 1 else [])
    dates = {target: raw_cells(staged.table[target], label)
             for target, label in export_format.dates.items()}
    return _finish(staged, dates, export_format.name, path, config, as_of, reading_notes,
                   assume_utc=export_format.assume_utc, empty="holds no tickets")


def _stage_json(export_format: JsonFormat, path: str | Path, config: Config,
                progress: Progress | None) -> tuple[Staged, int]:
    """The format's staging of the file, streamed; read again from the start as
    often as the format or the file asks (:class:`~calibrate.io._json.Restart`:
    a second pass is cheaper than holding the whole document).

    Returns the staging and the number of JSON documents in the file.
    """
    settings: dict[str, Any] = {}
    shown = 0

    def monotonic(done: int, total: int) -> None:
        # A second reading does not move the progress back.
        nonlocal shown
        if done > shown:
            shown = done
            progress(done, total)

    for _ in range(4):  # each restart knows more; a fourth reading would learn nothing
        with JsonExport(path, monotonic if progress else None, **settings) as export, \
                _collector_paused():
            try:
                return export_format.stage(export, config, str(path)), export.documents
            except Restart as again:
                settings = {"multi": again.multi or export.multi or None,
                            "whole": again.whole or export.whole,
                            "hints": {**export.hints, **again.hints}}
    raise RuntimeError(f"{path}: the {export_format.name} reader kept asking to read the file "
                       "again")  # a bug, not the file's fault


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a JSON file is staged.

    Staging makes millions of short-lived objects (one record's dicts at a
    time) while the staged rows pile up; each full collection walks every
    object alive, so at 200,000 Jira issues the collector took about 7 of the
    read's seconds. Parsed JSON holds no reference cycles, so nothing is left
    for the collector to free; reference counting frees everything as usual.
    The collector's state is restored on the way out, errors included.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _finish(staged: Staged, dates: Mapping[str, pd.Series], name: str, path: str | Path,
            config: Config, as_of: str | pd.Timestamp | None, reading_notes: list[str], *,
            assume_utc: bool, empty: str) -> TicketTable:
    """Parse the date cells (one format per column) and assemble the table.

    An export without a single record is refused (``empty`` says how it
    looks) unless ``as_of`` is given: then it is an empty table, as of then.
    """
    if staged.table.empty and as_of is None:
        raise InputError(f"no tickets: {path} {empty}",
                         hint="Check the filter the export was made with: it matched no "
                              "tickets. (With --as-of, an empty table is written.)")
    notes = [*reading_notes, *staged.notes]
    notes += parse_date_columns(staged.table, dates, file=str(path), assume_utc=assume_utc)
    del dates  # (the raw date cells, parsed: not kept through the assembly)
    notes += staged.counts
    return assemble_tickets(staged.table, config=config, source_format=name, path=str(path),
                            as_of=as_of, notes=notes)

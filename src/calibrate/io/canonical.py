"""The canonical ticket table written out, as CSV or Parquet, and read back.

This is calibrate's own format: ``calibrate ingest`` writes it, and every
other command accepts it in place of an export. Reading it is strict: the
table must already satisfy the schema (it has been cleaned once); a broken
file is an error listing what is wrong, never a silent repair. (One column
may be missing: ``area_source``, which tables written before it existed
lack; it is read as empty.) ``source_row``
keeps pointing at the row of the original export.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from calibrate.areas import default_area_note
from calibrate.config import Config
from calibrate.errors import InputError, Problem
from calibrate.io._atomic import atomic_path
from calibrate.io._csv_read import CsvExport, Progress, open_csv_export
from calibrate.io._formulas import OWN_ESCAPE_STARTS
from calibrate.io._people import reads_people_names
from calibrate.io._values import TEXT, WHITESPACE, per_distinct
from calibrate.io.csv_writer import write_csv
from calibrate.tickets import TICKET_COLUMNS, TicketTable, empty_exclusions, validate_tickets

__all__ = ["looks_like_canonical", "read_canonical", "write_tickets"]

_TIME_COLUMNS = [name for name, dtype in TICKET_COLUMNS.items() if dtype == "datetime64[ns]"]
_PARQUET = (".parquet", ".pq")
_FIRST_YEAR, _LAST_YEAR = 1970, 2099


def looks_like_canonical(header: list[str]) -> bool:
    """Whether a CSV header is the canonical ticket table's."""
    return {"ticket_id", "engineer", "area", "points", "duration_days", "censored"} <= set(header)


def write_tickets(tickets: pd.DataFrame, path: str | Path) -> Path:
    """Write a ticket (or exclusions) table as CSV or Parquet, by the file's suffix.

    The file is written whole or not at all (an earlier file of the same name
    survives a failed write).

    Text that a spreadsheet would run as a formula is prefixed with ``'``
    (and the prefix removed again on reading). Times are written as
    ``YYYY-MM-DD HH:MM:SS`` (team wall clock; fractions of a
    second only when a column has them), numbers in
    full precision, so reading the file back gives the same table.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from calibrate.io import read_export, read_canonical, write_tickets
    >>> table = read_export("data/sample/linear_export.csv")
    >>> path = write_tickets(table.tickets, pathlib.Path(tempfile.mkdtemp()) / "t.csv")
    >>> read_canonical(path).tickets.equals(table.tickets)
    True
    """
    path = Path(path)
    with atomic_path(path) as partial:
        if path.suffix.lower() in _PARQUET:
            tickets.to_parquet(partial, index=False)
        else:
            write_csv(tickets, partial)
    return path

#: The staging column of file row numbers (a name no CSV header can have).
_ROW = "\x00row"


@reads_people_names
def read_canonical(path: str | Path, config: Config | None = None,
                   as_of: str | pd.Timestamp | None = None,
                   progress: Progress | None = None) -> TicketTable:
    """Read a canonical ticket table (CSV or Parquet) written by :func:`write_tickets`.

    ``config`` and ``as_of`` are accepted for a uniform reader signature;
    durations and censoring were fixed when the table was made, so an
    ``as_of`` other than the table's is an error. A CSV is read in chunks;
    ``progress(bytes_read, bytes_total)`` is called as it is.

    Raises
    ------
    InputError
        If columns are missing or any value breaks the schema (all listed).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist")
    notes: list[str] = []
    if path.suffix.lower() in _PARQUET:
        try:
            table = pd.read_parquet(path)
        except Exception as error:  # pyarrow raises many types for a bad file
            raise InputError(f"{path} is not a readable Parquet file: {error}") from None
        # Problems are reported by file row (header = row 1), as for a CSV.
        rows = pd.Series(table.index + 2, index=table.index)
        if progress is not None:
            progress(path.stat().st_size, path.stat().st_size)
    else:
        # The CSV reader every export goes through: empty files, BOMs, other
        # encodings and delimiters, and malformed rows are reported as
        # InputErrors, and every record keeps its row number in the file.
        source = open_csv_export(path, progress=progress)
        notes += source.notes
        names = list(dict.fromkeys(source.header))

        def columns(export: CsvExport) -> pd.DataFrame:
            export = export.restored(names, OWN_ESCAPE_STARTS)  # (calibrate's own escape)
            table = pd.DataFrame({name: export.column(name) for name in names},
                                 index=export.cells.index)
            return table.assign(**{_ROW: export.rows})

        table = source.stage(columns)
        rows = table.pop(_ROW)
    if "area_source" not in table.columns:
        # A table written before calibrate recorded where areas came from.
        table["area_source"] = None
    missing = [c for c in TICKET_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            f"{path} is not a canonical ticket table",
            [Problem("required column missing", file=str(path), column=c) for c in missing],
            hint="Write the table with `calibrate ingest`, or read the export it came from.",
        )
    extra = [c for c in table.columns if c not in TICKET_COLUMNS]
    table = _typed(table[list(TICKET_COLUMNS)], str(path), rows)
    validate_tickets(table, origin=str(path), rows=rows)
    _check_source_rows(table, str(path), rows)
    censored_at = table.loc[table["censored"], "started_at"]
    table_as_of = _as_of(table)
    calendar = (config or Config()).calendar
    if as_of is not None and _timestamp(as_of, calendar.timezone) != table_as_of \
            and len(censored_at):
        raise InputError(
            f"--as-of cannot be changed when reading the canonical table {path}",
            hint="Re-run `calibrate ingest` on the original export with the new --as-of.",
        )
    if pd.isna(table_as_of) and as_of is not None:  # a table without tickets
        table_as_of = _timestamp(as_of, calendar.timezone)
    if extra:
        notes.append(f"columns not in the canonical table were ignored: {', '.join(extra)}")
    areas = table["area"].dropna().unique()
    note = default_area_note(table["area_source"], str(areas[0]) if len(areas) else "")
    if note:
        notes.append(note)
    return TicketTable(
        tickets=table.reset_index(drop=True),
        excluded=empty_exclusions(),
        rows_read=len(table),
        source_format="canonical",
        path=str(path),
        as_of=table_as_of,
        notes=notes,
        calendar=calendar,
    )


def _check_source_rows(table: pd.DataFrame, origin: str, rows: pd.Series) -> None:
    """Rows of an export count from 1. (Repeated rows are allowed: a table may
    join the tickets of several exports.)"""
    source_row = table["source_row"]
    bad = source_row < 1
    if not bad.any():
        return
    problems = [
        Problem("source_row is below 1", file=origin, row=int(rows[index]),
                column="source_row", value=int(source_row[index]),
                expected="the ticket's row in its export (1 or more)")
        for index in bad[bad].index[:20]
    ]
    raise InputError(f"{origin} has source_row values no export can have", problems,
                     hint="Write the table with `calibrate ingest`, or read the export it "
                          "came from.")


def _timestamp(value, timezone: str) -> pd.Timestamp:
    """``--as-of`` on the team's wall clock (as the readers take it)."""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise InputError(f"--as-of {value!r} is not a time",
                         hint="Give a time like 2024-06-30 or 2024-06-30T18:00.") from None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(timezone).tz_localize(None)
    return stamp


def _as_of(table: pd.DataFrame) -> pd.Timestamp:
    times = pd.concat([table["created_at"], table["started_at"], table["finished_at"]])
    return pd.Timestamp(times.max()) if times.notna().any() else pd.Timestamp("NaT")


_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


def _parse_times(text: pd.Series) -> pd.Series:
    """ISO 8601 cells as naive times; NaT for empty cells and for cells that are not
    naive ISO times (the table holds the team's wall clock, without offsets)."""
    usable = (text != "") & ~text.str.contains(_OFFSET)
    candidates = text.where(usable)
    try:
        return pd.to_datetime(candidates, errors="coerce", format="ISO8601")
    except (ValueError, TypeError, OverflowError):  # one odd cell spoils the column
        return pd.Series([_parse_time(value) for value in candidates], index=text.index,
                         dtype="datetime64[us]")


def _parse_time(value) -> pd.Timestamp:
    try:
        stamp = pd.to_datetime(value, errors="coerce", format="ISO8601")
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
    return pd.NaT if stamp is pd.NaT or stamp.tzinfo is not None else stamp


#: Free text, read back exactly; names and codes are stripped of spaces.
_FREE_TEXT = ("title", "labels", "components", "epic", "sprints")


def _stripped(values: pd.Series) -> pd.Series:
    """Cells as ``str(cell).strip()``, ``""`` where missing (text read from a
    CSV stays Arrow strings)."""
    if isinstance(values.dtype, pd.StringDtype):
        return values.fillna("").astype(TEXT).str.strip(WHITESPACE)
    return values.astype("object").where(values.notna(), "").astype(str).str.strip()


def _typed(table: pd.DataFrame, origin: str, rows: pd.Series) -> pd.DataFrame:
    """Convert text cells to the schema's types, listing every cell that does not convert
    (``rows``: the file row of each index label)."""
    problems: list[Problem] = []
    result = {}
    for name, dtype in TICKET_COLUMNS.items():
        values = table[name]
        text = _stripped(values)
        if dtype == "datetime64[ns]":
            converted = _parse_times(text)
            if isinstance(values.dtype, pd.DatetimeTZDtype):
                converted = values.dt.tz_localize(None)
            elif pd.api.types.is_datetime64_any_dtype(values):
                converted = values
            # As the readers do (calibrate.io._dates): no tracker holds dates
            # outside 1970-2099, and nanosecond times cannot hold every year.
            years = converted.dt.year
            bad = (converted.isna() | (years < _FIRST_YEAR) | (years > _LAST_YEAR)) & (
                text != "")
            converted = converted.where(~bad).astype("datetime64[ns]")
        elif dtype in ("float64", "int64"):
            converted = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
            # Infinities are not measurements; an integer must be whole and exact.
            bad = (converted.isna() | ~np.isfinite(converted)) & (text != "")
            if dtype == "int64":
                bad |= converted.isna() | (converted % 1 != 0) | (converted.abs() > 2**53)
                converted = converted.where(~bad, 0).astype("int64")
        elif dtype == "bool":
            lowered = per_distinct(text, str.lower, dtype=TEXT)  # (Python's lower())
            converted = lowered.isin(["true", "1", "yes"])
            bad = ~lowered.isin(["true", "false", "1", "0", "yes", "no"])
        elif name in _FREE_TEXT:
            # Kept exactly as written (spaces included): what calibrate wrote
            # reads back unchanged. Only an empty cell is missing.
            exact = (values.fillna("") if isinstance(values.dtype, pd.StringDtype)
                     else values.astype("object").where(values.notna(), "").astype(str))
            converted = exact.where(exact != "", None).astype(dtype)
            bad = pd.Series(False, index=text.index)
        else:
            converted = text.where(text != "", None).astype(dtype)
            bad = pd.Series(False, index=text.index)
        for index in bad[bad].index[:5]:
            problems.append(Problem(f"not a valid {dtype}", file=origin, row=int(rows[index]),
                                    column=name, value=text[index]))
        result[name] = converted
    if problems:
        raise InputError(f"{origin} has values of the wrong type", problems)
    return pd.DataFrame(result, index=table.index)

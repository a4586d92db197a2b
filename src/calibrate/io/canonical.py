"""The canonical ticket table written out, as CSV or Parquet, and read back.

This is calibrate's own format: ``calibrate ingest`` writes it, and every
other command accepts it in place of an export. Reading it is strict: the
table must already satisfy the schema (it has been cleaned once); a broken
file is an error listing what is wrong, never a silent repair. ``source_row``
keeps pointing at the row of the original export.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from calibrate.config import Config
from calibrate.errors import InputError, Problem
from calibrate.io._atomic import atomic_path
from calibrate.io._csv import neutralise_formulas, restore_formulas
from calibrate.tickets import TICKET_COLUMNS, TicketTable, empty_exclusions, validate_tickets

__all__ = ["looks_like_canonical", "read_canonical", "write_tickets"]

_TIME_COLUMNS = [name for name, dtype in TICKET_COLUMNS.items() if dtype == "datetime64[ns]"]
_PARQUET = (".parquet", ".pq")


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
            neutralise_formulas(tickets).to_csv(partial, index=False)
    return path


def read_canonical(
    path: str | Path, config: Config | None = None, as_of: str | pd.Timestamp | None = None
) -> TicketTable:
    """Read a canonical ticket table (CSV or Parquet) written by :func:`write_tickets`.

    ``config`` and ``as_of`` are accepted for a uniform reader signature;
    durations and censoring were fixed when the table was made, so an
    ``as_of`` other than the table's is an error.

    Raises
    ------
    InputError
        If columns are missing or any value breaks the schema (all listed).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist")
    if path.suffix.lower() in _PARQUET:
        try:
            table = pd.read_parquet(path)
        except Exception as error:  # pyarrow raises many types for a bad file
            raise InputError(f"{path} is not a readable Parquet file: {error}") from None
    else:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        table = table.apply(restore_formulas)
    missing = [c for c in TICKET_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            f"{path} is not a canonical ticket table",
            [Problem("required column missing", file=str(path), column=c) for c in missing],
            hint="Write the table with `calibrate ingest`, or read the export it came from.",
        )
    extra = [c for c in table.columns if c not in TICKET_COLUMNS]
    table = _typed(table[list(TICKET_COLUMNS)], str(path))
    # Problems are reported by file row (header = row 1).
    validate_tickets(table, origin=str(path), rows=pd.Series(table.index + 2, index=table.index))
    censored_at = table.loc[table["censored"], "started_at"]
    table_as_of = _as_of(table)
    if as_of is not None and pd.Timestamp(as_of) != table_as_of and len(censored_at):
        raise InputError(
            f"--as-of cannot be changed when reading the canonical table {path}",
            hint="Re-run `calibrate ingest` on the original export with the new --as-of.",
        )
    notes = ([f"columns not in the canonical table were ignored: {', '.join(extra)}"]
             if extra else [])
    return TicketTable(
        tickets=table.reset_index(drop=True),
        excluded=empty_exclusions(),
        rows_read=len(table),
        source_format="canonical",
        path=str(path),
        as_of=table_as_of,
        notes=notes,
        calendar=(config or Config()).calendar,
    )


def _as_of(table: pd.DataFrame) -> pd.Timestamp:
    times = pd.concat([table["created_at"], table["started_at"], table["finished_at"]])
    return pd.Timestamp(times.max()) if times.notna().any() else pd.Timestamp("NaT")


def _typed(table: pd.DataFrame, origin: str) -> pd.DataFrame:
    """Convert text cells to the schema's types, listing every cell that does not convert."""
    problems: list[Problem] = []
    result = {}
    for name, dtype in TICKET_COLUMNS.items():
        values = table[name]
        text = values.astype("object").where(values.notna(), "").astype(str).str.strip()
        if dtype == "datetime64[ns]":
            converted = pd.to_datetime(text.where(text != ""), errors="coerce", format="ISO8601")
            if isinstance(values.dtype, pd.DatetimeTZDtype):
                converted = values.dt.tz_localize(None)
            elif pd.api.types.is_datetime64_any_dtype(values):
                converted = values
            bad = converted.isna() & (text != "")
            converted = converted.astype("datetime64[ns]")
        elif dtype in ("float64", "int64"):
            converted = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
            bad = converted.isna() & (text != "")
            if dtype == "int64":
                bad |= converted.isna()
                converted = converted.fillna(0).astype("int64")
        elif dtype == "bool":
            lowered = text.str.lower()
            converted = lowered.isin(["true", "1", "yes"])
            bad = ~lowered.isin(["true", "false", "1", "0", "yes", "no"])
        else:
            converted = text.where(text != "", None).astype(dtype)
            bad = pd.Series(False, index=text.index)
        for index in bad[bad].index[:5]:
            problems.append(Problem(f"not a valid {dtype}", file=origin, row=int(index) + 2,
                                    column=name, value=text[index]))
        result[name] = converted
    if problems:
        raise InputError(f"{origin} has values of the wrong type", problems)
    return pd.DataFrame(result, index=table.index)

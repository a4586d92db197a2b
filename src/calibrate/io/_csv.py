"""Reading CSV exports as they are: positional headers, BOMs, odd encodings.

Jira repeats an identical header once per value of a multi-value field
(``Labels,Labels,Labels``), so columns are kept by position and grouped by
name here; pandas' ``.1`` renaming would hide that they belong together.
Every cell is read as text (``"NA"`` and ``"None"`` stay text: they are
ticket titles, not missing values).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from calibrate.errors import InputError, Problem

__all__ = ["CsvExport", "read_csv_export", "read_header"]

_ENCODINGS = ("utf-8-sig", "cp1252")
_MAX_COLUMNS = 10_000


@dataclass
class CsvExport:
    """A CSV file read positionally.

    Attributes
    ----------
    path : str
        The file.
    header : list of str
        Column names in file order (repeats kept), stripped.
    cells : DataFrame
        All data cells as text, columns numbered by position, ``""`` when empty.
    rows : Series of int
        Spreadsheet row number of each record (header = row 1).
    encoding : str
        The encoding the file was read with.
    """

    path: str
    header: list[str]
    cells: pd.DataFrame
    rows: pd.Series
    encoding: str
    notes: list[str] = field(default_factory=list)

    def positions(self, name: str) -> list[int]:
        """Positions of every column called ``name`` (case-insensitive)."""
        wanted = name.strip().casefold()
        return [i for i, h in enumerate(self.header) if h.casefold() == wanted]

    def has(self, name: str) -> bool:
        return bool(self.positions(name))

    def column(self, name: str) -> pd.Series:
        """The first column called ``name``, named after it; empty cells are ``""``."""
        positions = self.positions(name)
        if not positions:
            return pd.Series("", index=self.cells.index, name=name, dtype="object")
        return self.cells[positions[0]].rename(self.header[positions[0]])

    def first_filled(self, names: list[str]) -> pd.Series:
        """Per row, the first non-empty cell among all columns with these names."""
        result = pd.Series("", index=self.cells.index, dtype="object")
        for name in names:
            for position in self.positions(name):
                values = self.cells[position]
                result = result.where(result != "", values)
        return result.rename(names[0] if names else None)

    def values(self, name: str) -> pd.Series:
        """All non-empty cells of the repeated columns ``name``, joined with ``"; "``."""
        positions = self.positions(name)
        if not positions:
            return pd.Series("", index=self.cells.index, dtype="object")
        joined = self.cells[positions[0]]
        for position in positions[1:]:
            more = self.cells[position]
            separator = np.where((joined != "") & (more != ""), "; ", "")
            joined = joined + separator + more
        return joined

    def missing(self, required: list[str | tuple[str, ...]]) -> list[Problem]:
        """Problems for required columns (a tuple means any one of them) not in the header."""
        problems = []
        for item in required:
            names = item if isinstance(item, tuple) else (item,)
            if not any(self.has(name) for name in names):
                problems.append(
                    Problem("required column missing", file=self.path,
                            column=" or ".join(names),
                            expected=f"a header with {' or '.join(repr(n) for n in names)}")
                )
        return problems


def read_header(path: str | Path) -> list[str]:
    """The header row of a CSV file (for format detection)."""
    text, _ = _decode(Path(path), limit=1 << 16)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        return [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error):
        return []


def read_csv_export(path: str | Path) -> CsvExport:
    """Read a CSV export positionally, every cell as text.

    Raises
    ------
    InputError
        If the file is missing, empty, not text, or has rows with more cells
        than the header (with the row number).
    """
    path = Path(path)
    text, encoding = _decode(path)
    # Byte-order marks (even several) and blank lines hold no data.
    content = text.lstrip("\ufeff") if text.startswith("\ufeff") else text
    if not content or content.isspace() or not content.replace("\ufeff", "").strip():
        raise InputError(f"{path} is empty", hint="Export the tickets again, with all fields.")
    del content
    delimiter = _delimiter(text)
    # A first line of tens of thousands of cells is no ticket export (say, a
    # minified JSON file); the parser would take minutes to say so.
    first_line_cells = text.count(delimiter, 0, text.find("\n") % (len(text) + 1)) + 1
    if first_line_cells > _MAX_COLUMNS:
        raise InputError(
            f"{path} is not a ticket export: its first row has {first_line_cells} cells",
            [Problem("header far too wide", file=str(path), row=1,
                     expected=f"at most {_MAX_COLUMNS} columns (Jira's widest exports have "
                              "a few hundred)")])
    # The parser is given UTF-8 bytes: a StringIO would hold the text at four
    # bytes per character (gigabytes for a large export).
    data = io.BytesIO(text.encode("utf-8"))
    del text
    try:
        table = pd.read_csv(
            data, header=None, dtype=str, keep_default_na=False, encoding="utf-8",
            na_filter=False, sep=delimiter, engine="c", skip_blank_lines=False,
        )
    except pd.errors.EmptyDataError:
        raise InputError(f"{path} is empty",
                         hint="Export the tickets again, with all fields.") from None
    except pd.errors.ParserError as error:
        # pandas counts records from 1 with the header: the spreadsheet's row.
        ragged = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
        problems = [] if ragged is None else [Problem(
            f"the row has {ragged.group(3)} cells, the header {ragged.group(1)}",
            file=str(path), row=int(ragged.group(2)))]
        raise InputError(
            f"{path} is not a well-formed CSV file: {error}", problems,
            hint="Rows must have no more cells than the header; re-export rather than editing "
                 "the file by hand.",
        ) from None
    table = table.fillna("")
    # Records, not lines: a cell may span several lines. Blank records keep
    # their number (a spreadsheet shows them as rows) but hold no ticket.
    blank = (table == "").all(axis=1).to_numpy()
    numbers = pd.Series(range(1, len(table) + 1), dtype="int64")
    first = int(np.argmax(~blank)) if (~blank).any() else 0
    header = [str(h).strip() for h in table.iloc[first].tolist()]
    keep = ~blank
    keep[: first + 1] = False
    # Usually every record after the header is kept: a slice, not a copy.
    body = table.iloc[first + 1:] if keep[first + 1:].all() else table[keep]
    cells = body.reset_index(drop=True)
    cells.columns = range(len(header))
    rows = numbers[keep].reset_index(drop=True)
    notes = [] if encoding == "utf-8-sig" else [f"{path.name} is not UTF-8; read as {encoding}"]
    skipped = int(blank[first + 1:].sum())
    if skipped:
        notes.append(f"{skipped} blank lines in {path.name} were skipped")
    return CsvExport(str(path), header, cells, rows, encoding, notes)


def _decode(path: Path, limit: int | None = None) -> tuple[str, str]:
    try:
        with path.open("rb") as handle:
            data = handle.read() if limit is None else handle.read(limit)
    except FileNotFoundError:
        raise InputError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory, not an export file") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    if b"\x00" in data[:4096]:
        raise InputError(f"{path} is a binary file, not a CSV export",
                         hint="Export the tickets as CSV (comma-separated text).")
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            if limit is not None and encoding == "utf-8-sig":
                # the read may have cut a multi-byte character in half
                try:
                    return data[: limit - 4].decode(encoding), encoding
                except UnicodeDecodeError:
                    continue
    return data.decode("latin-1"), "latin-1"


def _delimiter(text: str) -> str:
    end = text.find("\n")  # (as text.split("\n", 1)[0], without copying the rest)
    first_line = text if end < 0 else text[:end]
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ","))


# Cells a spreadsheet would run as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as spreadsheet formulas.

    Text starting with ``= + - @``, a tab or a carriage return gets a leading
    ``'`` (OWASP's advice), as Linear's own export does; numbers are left
    alone. :func:`restore_formulas` undoes it when calibrate reads its own
    files back.
    """
    frame = frame.copy()
    for column in frame.columns:
        values = frame[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        if isinstance(values.dtype, pd.StringDtype):  # text or missing: vectorised
            risky = values.str.startswith(_FORMULA_START).fillna(False).astype(bool)
        else:
            risky = _cells_where(values, _is_formula)
        if risky.any():
            text = values.astype("object")
            frame[column] = text.where(~risky, "'" + text.astype(str)).astype(values.dtype)
    return frame


def restore_formulas(values: pd.Series) -> pd.Series:
    """Undo :func:`neutralise_formulas` on text cells read back."""
    text = values.astype("object")
    marked = _cells_where(text, _is_neutralised_formula)
    return text.where(~marked, text.str[1:])


def _is_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(_FORMULA_START)


def _is_neutralised_formula(value) -> bool:
    return (isinstance(value, str) and len(value) > 1 and value[0] == "'"
            and value[1:].startswith(_FORMULA_START))


def _cells_where(values: pd.Series, test) -> pd.Series:
    """``test`` of every cell (a missing cell is not text: False), computed
    once per distinct value: columns repeat a few values, and a million-row
    table is written in seconds."""
    try:
        codes, distinct = pd.factorize(values)
    except TypeError:  # unhashable cells
        return values.astype("object").map(test).astype(bool)
    # The code of a missing cell, -1, picks the False appended at the end.
    flags = np.array([test(value) for value in distinct] + [False], dtype=bool)
    return pd.Series(flags[codes], index=values.index)

"""Reading CSV exports as they are: positional headers, blank lines, chunks.

Jira repeats an identical header once per value of a multi-value field
(``Labels,Labels,Labels``), so columns are kept by position and grouped by
name here; pandas' ``.1`` renaming would hide that they belong together.
Every cell is read as text (``"NA"`` and ``"None"`` stay text: they are
ticket titles, not missing values). The encoding is decided by
:mod:`calibrate.io._encoding`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from calibrate.errors import InputError, Problem
from calibrate.io._encoding import BLOCK_BYTES, Utf8Stream, detect_encoding, read_text_start
from calibrate.io._formulas import restore_formulas

__all__ = ["CHUNK_ROWS", "CsvChunks", "CsvExport", "Progress", "has_columns", "open_csv_export",
           "read_csv_export", "read_header"]

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

    def restored(self, names: list[str], starts: tuple[str, ...]) -> CsvExport:
        """A copy whose columns ``names`` have the tracker's formula escape
        (a ``'`` before one of ``starts``) removed; see :mod:`calibrate.io._formulas`."""
        cells = self.cells.copy(deep=False)
        for position in sorted({p for name in names for p in self.positions(name)}):
            cells[position] = restore_formulas(cells[position], starts)
        return CsvExport(self.path, self.header, cells, self.rows, self.encoding, self.notes)

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


def has_columns(header: list[str], names: tuple[str, ...]) -> bool:
    """Whether ``header`` holds every column in ``names`` (case-insensitive,
    spaces around names ignored): how readers recognise their export."""
    present = {str(h).strip().casefold() for h in header}
    return all(name.casefold() in present for name in names)


def read_header(path: str | Path) -> list[str]:
    """The header row of a CSV file (for format detection): its first
    non-blank line."""
    text = read_text_start(Path(path), limit=1 << 16)
    lines = text.lstrip("\ufeff").splitlines()
    first = next((line for line in lines if not _is_blank_line(line)), "")
    reader = csv.reader(io.StringIO(first.lstrip("\ufeff")), delimiter=_delimiter(first))
    try:
        return [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error):
        return []


def read_csv_export(path: str | Path) -> CsvExport:
    """Read a whole CSV export positionally, every cell as text.

    For large files prefer :func:`open_csv_export`, which reads in chunks.

    Raises
    ------
    InputError
        If the file is missing, empty, not text, or has rows with more cells
        than the header (with the row number).
    """
    chunks = open_csv_export(path)
    parts = list(chunks)
    cells = pd.concat([part.cells for part in parts], ignore_index=True)
    rows = pd.concat([part.rows for part in parts], ignore_index=True).astype("int64")
    return CsvExport(chunks.path, chunks.header, cells, rows, chunks.encoding, chunks.notes)


#: Records parsed at a time: large enough that the per-chunk overhead is
#: small, small enough that a chunk's cells take tens of megabytes.
CHUNK_ROWS = 50_000

#: ``progress(bytes_read, bytes_total)``, called as a file is read.
Progress = Callable[[int, int], None]


class CsvChunks:
    """A CSV export opened for reading in chunks of records.

    The header (the first non-blank line), the encoding and the delimiter
    are known once opened; iterating parses the records, ``chunk_rows`` at a
    time, into :class:`CsvExport` parts that number rows as a spreadsheet
    does. Memory is bounded by the chunk, not the file. Use
    :func:`open_csv_export`.

    Attributes
    ----------
    path : str
    header : list of str
    encoding : str
    delimiter : str
    size : int
        The file's size in bytes (for progress).
    notes : list of str
        The encoding, when not UTF-8; after iterating, blank lines skipped.
    """

    def __init__(self, path: Path, *, chunk_rows: int, progress: Progress | None) -> None:
        self.path = str(path)
        self._chunk_rows = chunk_rows
        self._progress = progress
        self.encoding = detect_encoding(path)
        self.size = path.stat().st_size
        self.notes = ([] if self.encoding == "utf-8-sig"
                      else [f"{path.name} is not UTF-8; read as {self.encoding}"])
        with Utf8Stream(path, self.encoding) as stream:
            self._blank_lines, self._start, header_line = _find_header(stream, path)
        text = header_line.decode("utf-8").lstrip("\ufeff")
        self.delimiter = _delimiter(text)
        cells = text.count(self.delimiter) + 1
        # A first row of tens of thousands of cells is no ticket export (say, a
        # minified JSON file); the parser would take minutes to say so.
        if cells > _MAX_COLUMNS:
            raise InputError(
                f"{path} is not a ticket export: its first row has {cells} cells",
                [Problem("header far too wide", file=self.path, row=self._blank_lines + 1,
                         expected=f"at most {_MAX_COLUMNS} columns (Jira's widest exports "
                                  "have a few hundred)")])
        # The header is the first record (quoted cells may span lines).
        with Utf8Stream(path, self.encoding, skip_bytes=self._start) as stream:
            try:
                first = pd.read_csv(io.BufferedReader(stream, BLOCK_BYTES), header=None, nrows=1,
                                    dtype=str, keep_default_na=False, na_filter=False,
                                    sep=self.delimiter, engine="c", encoding="utf-8",
                                    skip_blank_lines=False)
            except pd.errors.EmptyDataError:
                raise InputError(f"{path} is empty",
                                 hint="Export the tickets again, with all fields.") from None
            except pd.errors.ParserError as error:
                raise self._parser_error(error, self._blank_lines + 1) from None
        header = first.iloc[0].fillna("").astype(str).tolist() if len(first) else []
        self.header = [h.strip() for h in header]
        if self.header:
            self.header[0] = self.header[0].lstrip("\ufeff").strip()

    # Header lookups, shared with CsvExport.
    positions = CsvExport.positions
    has = CsvExport.has
    missing = CsvExport.missing

    def __iter__(self) -> Iterator[CsvExport]:
        stream = Utf8Stream(Path(self.path), self.encoding, skip_bytes=self._start)
        # The header is parsed again with the records (it may hold quoted
        # line breaks); record i (0 = header) is spreadsheet row first + i.
        first = self._blank_lines + 1
        skipped = 0
        with stream:
            reader = pd.read_csv(
                # Python strings, not Arrow's: a chunk is short-lived, and
                # converting every cell costs as much as parsing it; the
                # staging columns a reader keeps are compacted (see stage).
                io.BufferedReader(stream, BLOCK_BYTES), header=None, dtype=object,
                keep_default_na=False, na_filter=False, sep=self.delimiter, engine="c",
                skip_blank_lines=False, encoding="utf-8", chunksize=self._chunk_rows,
            )
            start = 0
            try:
                for table in reader:
                    # Only a row shorter than the header has missing cells, and
                    # then its last one is missing: one column tells.
                    if len(table.columns) and table[table.columns[-1]].isna().any():
                        table = table.fillna("")
                    numbers = np.arange(start, start + len(table), dtype="int64") + first
                    blank = _blank_records(table)
                    keep = ~blank
                    if start == 0:  # the header: neither data nor a skipped blank line
                        blank[0], keep[0] = False, False
                    skipped += int(blank.sum())
                    start += len(table)
                    # Usually every record is kept: a slice, not a copy.
                    body = table if keep.all() else table[keep]
                    cells = body.reset_index(drop=True)
                    cells.columns = range(len(cells.columns))
                    if self._progress is not None:
                        self._progress(stream.consumed, self.size)
                    yield CsvExport(self.path, self.header, cells,
                                    pd.Series(numbers[keep]), self.encoding, self.notes)
            except pd.errors.EmptyDataError:
                return
            except pd.errors.ParserError as error:
                raise self._parser_error(error, first) from None
            finally:
                note = f"{skipped} blank lines in {Path(self.path).name} were skipped"
                if skipped and note not in self.notes:  # (once, if read again)
                    self.notes.append(note)
        if self._progress is not None:
            self._progress(self.size, self.size)

    def stage(self, build: Callable[[CsvExport], pd.DataFrame]) -> pd.DataFrame:
        """Build a reader's staging table chunk by chunk.

        ``build`` turns one chunk into staging rows; text columns are stored
        compactly (Arrow strings) and the parts concatenated, so what stays in
        memory is the staging table, not every cell of the file.
        """
        parts = [_compact(build(chunk)) for chunk in self]
        if not parts:  # a header-only file
            parts = [_compact(build(CsvExport(
                self.path, self.header,
                pd.DataFrame({i: pd.Series(dtype=str) for i in range(len(self.header))}),
                pd.Series([], dtype="int64"), self.encoding, self.notes)))]
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]

    def date_cells(self, staging: pd.DataFrame, columns: dict[str, str]) -> dict[str, pd.Series]:
        """The raw date cells a reader staged, for :func:`parse_date_columns`:
        staging column -> its cells, named as the export's column is spelled."""
        return {target: staging[target].rename(self.header[self.positions(name)[0]]
                                               if self.has(name) else name)
                for target, name in columns.items()}

    def _parser_error(self, error: Exception, first: int) -> InputError:
        message = str(error)
        # pandas numbers records from 1 in "line N", from 0 in "row N".
        ragged = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
        unclosed = re.search(r"EOF inside string starting at row (\d+)", message)
        if ragged is not None:
            problems = [Problem(f"the row has {ragged.group(3)} cells, the header "
                                f"{ragged.group(1)}", file=self.path,
                                row=int(ragged.group(2)) - 1 + first)]
            hint = ("Rows must have no more cells than the header; re-export rather than "
                    "editing the file by hand.")
        elif unclosed is not None:
            problems = [Problem("a quoted cell is never closed", file=self.path,
                                row=int(unclosed.group(1)) + first,
                                expected='a closing " before the end of the file')]
            hint = "The file looks cut short or hand-edited: export it again."
        else:
            problems = [Problem("the CSV parser stopped", file=self.path, value=message)]
            hint = "Export the tickets again as CSV; re-export rather than editing by hand."
        return InputError(f"{self.path} is not a well-formed CSV file: {message}", problems,
                          hint=hint)


def open_csv_export(path: str | Path, *, chunk_rows: int | None = None,
                    progress: Progress | None = None) -> CsvChunks:
    """Open a CSV export for reading in chunks of records.

    Parameters
    ----------
    path : str or Path
        The export.
    chunk_rows : int, optional
        Records parsed at a time (default :data:`CHUNK_ROWS`).
    progress : callable, optional
        Called as ``progress(bytes_read, bytes_total)`` after each chunk.

    Raises
    ------
    InputError
        If the file is missing, empty (blank lines and byte-order marks
        only), binary, or its first row is far too wide. Malformed rows are
        reported while iterating, with their row number.

    Examples
    --------
    >>> from calibrate.io._csv_read import open_csv_export
    >>> chunks = open_csv_export("data/sample/jira_export.csv", chunk_rows=200)
    >>> chunks.header[:3]
    ['Summary', 'Issue key', 'Issue id']
    >>> [len(part.cells) for part in chunks]  # the header is the first record
    [199, 200, 200, 23]
    """
    chunk_rows = CHUNK_ROWS if chunk_rows is None else chunk_rows
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, not {chunk_rows}")
    return CsvChunks(Path(path), chunk_rows=chunk_rows, progress=progress)


def _blank_records(table: pd.DataFrame) -> np.ndarray:
    """Which records have only empty cells. Column by column, on the rows
    still in question: the first column settles almost every record."""
    candidates = np.arange(len(table))
    for column in table.columns:
        if not len(candidates):
            break
        candidates = candidates[table[column].to_numpy()[candidates] == ""]
    blank = np.zeros(len(table), dtype=bool)
    blank[candidates] = True
    return blank


def _compact(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns (object dtype holding only strings) as Arrow strings:
    a fraction of the memory of Python string objects."""
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in (
                "string", "empty"):
            frame[column] = values.astype("str")
    return frame


def _is_blank_line(line: str) -> bool:
    """A line with no cell content: empty, spaces, delimiters, empty quotes."""
    return not line.strip(" \t\r\n\ufeff,;\"")


_LINE_END = re.compile(rb"\r\n|\r|\n")  # what pandas' parser ends a line at


def _find_header(stream: Utf8Stream, path: Path) -> tuple[int, int, bytes]:
    """Skip the blank lines before the header: their count, the header's
    offset in the stream, and its first line."""
    buffer, offset, blank, searched, end_of_file = b"", 0, 0, 0, False
    while True:
        match = _LINE_END.search(buffer, searched)
        # A \r at the end of what was read may be the first half of a \r\n.
        if match is None or (match.end() == len(buffer) and match.group() == b"\r"
                             and not end_of_file):
            if not end_of_file:
                searched = max(len(buffer) - 1, 0)
                more = stream.read(BLOCK_BYTES)
                end_of_file = not more
                buffer += more
                continue
            line, length = buffer, len(buffer)
        else:
            line, length = buffer[: match.start()], match.end()
        if not _is_blank_line(line.decode("utf-8", errors="replace")):
            return blank, offset, line
        if match is None:
            raise InputError(f"{path} is empty",
                             hint="Export the tickets again, with all fields.")
        blank += 1
        offset += length
        buffer, searched = buffer[length:], 0


def _delimiter(text: str) -> str:
    end = text.find("\n")  # (as text.split("\n", 1)[0], without copying the rest)
    first_line = text if end < 0 else text[:end]
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ","))

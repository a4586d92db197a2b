"""Reading CSV exports as they are: positional headers, blank lines, chunks.

Jira repeats an identical header once per value of a multi-value field
(``Labels,Labels,Labels``), so columns are kept by position and grouped by
name here; pandas' ``.1`` renaming would hide that they belong together.
Every cell is read as text (``"NA"`` and ``"None"`` stay text: they are
ticket titles, not missing values), into Arrow strings
(:data:`~calibrate.io._values.TEXT`). The encoding is decided by
:mod:`calibrate.io._encoding`.

The records are parsed by Arrow's CSV reader (:mod:`pyarrow.csv`, on every
core). A file it does not read as pandas' parser does — a row shorter than
the header (pandas pads it with empty cells), a row longer than it, a quote
never closed — is read by pandas' parser from the first chunk not yet handed
out: it pads short rows and names a bad row in its error. Both parsers give
the same cells and rows (tested against each other and against Python's
``csv`` module).
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
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from calibrate.errors import InputError, Problem
from calibrate.io._encoding import BLOCK_BYTES, Utf8Stream, detect_encoding, read_text_start
from calibrate.io._formulas import restore_formulas
from calibrate.io._values import TEXT, arrow_text, text_series

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
        All data cells as text (:data:`~calibrate.io._values.TEXT`), columns
        numbered by position, ``""`` when empty.
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
            return self._empty().rename(name)
        return self.cells[positions[0]].rename(self.header[positions[0]])

    def first_filled(self, names: list[str]) -> pd.Series:
        """Per row, the first non-empty cell among all columns with these names."""
        columns = [arrow_text(self.cells[position]) for name in names
                   for position in self.positions(name)]
        if not columns:
            return self._empty().rename(names[0] if names else None)
        # (Empty cells as missing, the first present one taken, "" where none is.)
        first = pc.coalesce(*(pc.if_else(pc.equal(c, ""), pa.scalar(None, c.type), c)
                              for c in columns))
        return text_series(pc.fill_null(first, ""), self.cells.index).rename(names[0])

    def _empty(self) -> pd.Series:
        """A text column of empty cells."""
        return text_series(pa.repeat(pa.scalar("", pa.large_string()), len(self.cells)),
                           self.cells.index)

    def values(self, name: str) -> pd.Series:
        """All non-empty cells of the repeated columns ``name``, joined with ``"; "``."""
        positions = self.positions(name)
        if not positions:
            return self._empty()
        if len(positions) == 1:
            return self.cells[positions[0]]
        columns = [arrow_text(self.cells[position]) for position in positions]
        # (Columns empty in every row of the chunk add nothing: Jira's export is
        # as wide as the ticket with the most labels.)
        filled = [c for c in columns if pc.any(pc.not_equal(c, "")).as_py()]
        if len(filled) <= 1:
            return text_series((filled or columns)[0], self.cells.index)
        joined = filled[0]
        for more in filled[1:]:
            both = pc.and_(pc.not_equal(joined, ""), pc.not_equal(more, ""))
            separator = pc.if_else(both, pa.scalar("; ", pa.large_string()),
                                   pa.scalar("", pa.large_string()))
            joined = pc.binary_join_element_wise(joined, separator, more,
                                                 pa.scalar("", pa.large_string()))
        return text_series(joined, self.cells.index)

    def restored(self, names: list[str], starts: tuple[str, ...]) -> CsvExport:
        """A copy whose columns ``names`` have the tracker's formula escape
        (a ``'`` before one of ``starts``) removed; see :mod:`calibrate.io._formulas`."""
        cells = self.cells.copy(deep=False)
        for position in sorted({p for name in names for p in self.positions(name)}):
            values = cells[position]
            # Only a cell starting with ' can be escaped: the rest are left as they are.
            quoted = values.str.startswith("'").fillna(False).to_numpy(dtype=bool)
            if quoted.any():
                values = values.copy()
                values[quoted] = restore_formulas(values[quoted], starts)
                cells[position] = values
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
        # Record i (0 = the header, parsed again with the records: it may hold
        # quoted line breaks) is spreadsheet row first + i.
        first = self._blank_lines + 1
        read = _Read()
        try:
            try:
                yield from self._parts(self._arrow_records(read), first, read)
            except _NotForArrow:
                yield from self._parts(self._pandas_records(read, first), first, read)
        finally:
            note = f"{read.blank} blank lines in {Path(self.path).name} were skipped"
            if read.blank and note not in self.notes:  # (once, if read again)
                self.notes.append(note)
        if self._progress is not None:
            self._progress(self.size, self.size)

    def _parts(self, records: Iterator[pd.DataFrame], first: int,
               read: _Read) -> Iterator[CsvExport]:
        """Chunks of records (all cells text) as the parts handed out: blank
        records dropped and counted, rows numbered."""
        for table in records:
            start = read.records
            numbers = np.arange(start, start + len(table), dtype="int64") + first
            blank = _blank_records(table)
            keep = ~blank
            if start == 0:  # the header: neither data nor a skipped blank line
                blank[0], keep[0] = False, False
            read.blank += int(blank.sum())
            read.records += len(table)
            # Usually every record is kept, or all but the header: a slice, not a copy.
            body = (table[keep] if not keep[1:].all() else table if keep[:1].all()
                    else table.iloc[1:])
            cells = body.reset_index(drop=True)
            cells.columns = range(len(cells.columns))
            if self._progress is not None:
                read.progress = max(read.progress, read.stream.consumed)
                self._progress(read.progress, self.size)
            yield CsvExport(self.path, self.header, cells, pd.Series(numbers[keep]),
                            self.encoding, self.notes)

    def _arrow_records(self, read: _Read) -> Iterator[pd.DataFrame]:
        """The records, ``chunk_rows`` at a time, parsed by Arrow.

        Raises :class:`_NotForArrow` where Arrow's reader refuses the file
        (see the module docstring), before handing out the chunk concerned.
        """
        width = len(self.header)
        text = {f"f{i}": pa.large_string() for i in range(width)}
        # Arrow's reader ends a quoted cell never closed at the end of the file
        # without a word; a last record of its own after the file's tells that
        # the file's last record was complete (else it swallowed this one).
        trailer = (_END + self.delimiter * (width - 1) + "\n").encode("utf-8")
        with Utf8Stream(Path(self.path), self.encoding, skip_bytes=self._start,
                        trailer=trailer) as stream:
            read.stream = stream
            try:
                reader = pa_csv.open_csv(
                    io.BufferedReader(stream, BLOCK_BYTES),
                    read_options=pa_csv.ReadOptions(autogenerate_column_names=True,
                                                    block_size=_ARROW_BLOCK_BYTES),
                    parse_options=pa_csv.ParseOptions(delimiter=self.delimiter,
                                                      newlines_in_values=True,
                                                      ignore_empty_lines=False),
                    convert_options=pa_csv.ConvertOptions(column_types=text,
                                                          strings_can_be_null=False,
                                                          quoted_strings_can_be_null=False))
                if len(reader.schema) != width:
                    raise _NotForArrow
                pending: list[pa.RecordBatch] = []
                held, handed = 0, False
                for batch in reader:
                    pending.append(batch)
                    held += batch.num_rows
                    while held > self._chunk_rows:  # (the last record is the trailer)
                        table = pa.Table.from_batches(pending)
                        yield _text_frame(table.slice(0, self._chunk_rows))
                        handed = True
                        rest = table.slice(self._chunk_rows)
                        pending, held = rest.to_batches(), rest.num_rows
                table = pa.Table.from_batches(pending, schema=reader.schema)
                last = table.slice(held - 1).to_pylist() if held else []
                if last != [{name: (_END if name == "f0" else "") for name in text}]:
                    raise _NotForArrow
                if held > 1 or not handed:
                    yield _text_frame(table.slice(0, held - 1))
            except (pa.ArrowException, UnicodeError):
                raise _NotForArrow from None

    def _pandas_records(self, read: _Read, first: int) -> Iterator[pd.DataFrame]:
        """The records after the ``read.records`` already handed out,
        ``chunk_rows`` at a time, parsed by pandas (short rows padded)."""
        skip = read.records
        with Utf8Stream(Path(self.path), self.encoding, skip_bytes=self._start) as stream:
            read.stream = stream
            reader = pd.read_csv(
                io.BufferedReader(stream, BLOCK_BYTES), header=None, dtype=object,
                keep_default_na=False, na_filter=False, sep=self.delimiter, engine="c",
                skip_blank_lines=False, encoding="utf-8", chunksize=self._chunk_rows,
            )
            start = 0
            try:
                for table in reader:
                    start += len(table)
                    if start <= skip:  # (handed out by Arrow's reader, whole chunks)
                        continue
                    # Only a row shorter than the header has missing cells, and
                    # then its last one is missing: one column tells.
                    if len(table.columns) and table[table.columns[-1]].isna().any():
                        table = table.fillna("")
                    yield table.astype(TEXT)
            except pd.errors.EmptyDataError:
                return
            except pd.errors.ParserError as error:
                raise self._parser_error(error, first) from None

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
                pd.DataFrame({i: pd.Series(dtype=TEXT) for i in range(len(self.header))}),
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


#: Bytes Arrow's CSV reader parses at a time (its threads share a block).
_ARROW_BLOCK_BYTES = 4 << 20
#: The first cell of the record added after a file's own (no export has it).
_END = "\x00calibrate: end of the file\x00"


class _NotForArrow(Exception):
    """Arrow's CSV reader refused the file: pandas' parser reads it."""


@dataclass
class _Read:
    """How far a :class:`CsvChunks` iteration has come."""

    records: int = 0  # records handed out, the header and blank ones included
    blank: int = 0  # blank records skipped
    progress: int = 0  # bytes reported read
    stream: Utf8Stream | None = None


def _text_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table of strings as a frame of text columns, numbered."""
    frame = table.to_pandas(types_mapper={pa.large_string(): TEXT}.get)
    frame.columns = range(table.num_columns)
    return frame


def _blank_records(table: pd.DataFrame) -> np.ndarray:
    """Which records have only empty cells. Column by column, on the rows
    still in question: the first column settles almost every record."""
    candidates = np.arange(len(table))
    for column in table.columns:
        if not len(candidates):
            break
        values = arrow_text(table[column])
        if len(candidates) < len(table):
            values = values.take(candidates)
        empty = pc.equal(values, "").to_numpy()
        candidates = candidates[empty]
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

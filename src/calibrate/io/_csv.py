"""Reading CSV exports as they are: positional headers, BOMs, odd encodings.

Jira repeats an identical header once per value of a multi-value field
(``Labels,Labels,Labels``), so columns are kept by position and grouped by
name here; pandas' ``.1`` renaming would hide that they belong together.
Every cell is read as text (``"NA"`` and ``"None"`` stay text: they are
ticket titles, not missing values).
"""

from __future__ import annotations

import codecs
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

from calibrate.errors import InputError, Problem

__all__ = ["CHUNK_ROWS", "CsvChunks", "CsvExport", "has_columns", "open_csv_export",
           "read_csv_export", "read_header", "write_csv"]

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


def has_columns(header: list[str], names: tuple[str, ...]) -> bool:
    """Whether ``header`` holds every column in ``names`` (case-insensitive,
    spaces around names ignored): how readers recognise their export."""
    present = {str(h).strip().casefold() for h in header}
    return all(name.casefold() in present for name in names)


def read_header(path: str | Path) -> list[str]:
    """The header row of a CSV file (for format detection): its first
    non-blank line."""
    text, _ = _decode(Path(path), limit=1 << 16)
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
_BLOCK = 1 << 20

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
        self.encoding = _detect_encoding(path)
        self.size = path.stat().st_size
        self.notes = ([] if self.encoding == "utf-8-sig"
                      else [f"{path.name} is not UTF-8; read as {self.encoding}"])
        with _Utf8Stream(path, self.encoding) as stream:
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
        with _Utf8Stream(path, self.encoding, skip_bytes=self._start) as stream:
            try:
                first = pd.read_csv(io.BufferedReader(stream, _BLOCK), header=None, nrows=1,
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
        stream = _Utf8Stream(Path(self.path), self.encoding, skip_bytes=self._start)
        # The header is parsed again with the records (it may hold quoted
        # line breaks); record i (0 = header) is spreadsheet row first + i.
        first = self._blank_lines + 1
        skipped = 0
        with stream:
            reader = pd.read_csv(
                # Python strings, not Arrow's: a chunk is short-lived, and
                # converting every cell costs as much as parsing it; the
                # staging columns a reader keeps are compacted (see stage).
                io.BufferedReader(stream, _BLOCK), header=None, dtype=object,
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
    >>> from calibrate.io._csv import open_csv_export
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


def _find_header(stream: _Utf8Stream, path: Path) -> tuple[int, int, bytes]:
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
                more = stream.read(_BLOCK)
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


class _Utf8Stream(io.RawIOBase):
    """A file as UTF-8 bytes, without its byte-order mark, decoded from
    ``encoding`` (UTF-8 itself passes through) and optionally without its
    first ``skip_bytes`` bytes (of UTF-8)."""

    def __init__(self, path: Path, encoding: str, skip_bytes: int = 0) -> None:
        self._handle = path.open("rb")
        self.consumed = 0
        self._pending = b""
        self._skip = skip_bytes
        self._decoder = None
        if encoding == "utf-8-sig":
            start = self._handle.read(3)
            if start != codecs.BOM_UTF8:
                self._pending = start
            self.consumed = 3
        else:
            errors = "replace" if encoding == "utf-16" else "strict"
            self._decoder = codecs.getincrementaldecoder(encoding)(errors=errors)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._next(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _next(self, size: int) -> bytes:
        while self._skip:
            if not self._pending:
                more = self._read_block()
                if more is None:
                    break
                self._pending = more
            cut = min(self._skip, len(self._pending))
            self._pending, self._skip = self._pending[cut:], self._skip - cut
        if not self._pending:
            more = self._read_block()
            self._pending = more or b""
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def _read_block(self) -> bytes | None:
        raw = self._handle.read(_BLOCK)
        self.consumed += len(raw)
        if self._decoder is None:
            return raw or None
        text = self._decoder.decode(raw, final=not raw)
        if not raw and not text:
            return None
        return text.encode("utf-8", errors="surrogatepass")

    def close(self) -> None:
        self._handle.close()
        super().close()


def _detect_encoding(path: Path) -> str:
    """UTF-16 (with its BOM), else UTF-8 if the whole file decodes; else a
    Windows code page: cp1251 when the text reads as Cyrillic words (see
    :func:`_cyrillic_share`), cp1252 otherwise; else Latin-1 (any byte)."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise InputError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory, not an export file") from None
    with handle:
        start = handle.read(4096)
        if start.startswith((b"\xff\xfe", b"\xfe\xff")):
            return "utf-16"
        if b"\x00" in start:
            raise InputError(f"{path} is a binary file, not a CSV export",
                             hint="Export the tickets as CSV (comma-separated text).")
        candidates = ["utf-8-sig"]
        for encoding in candidates:
            handle.seek(0)
            # (Plain UTF-8 here: a BOM is valid UTF-8, and utf-8-sig's own
            # decoder lets an incomplete BOM at the end of a file pass.)
            decoder = codecs.getincrementaldecoder(encoding.removesuffix("-sig"))()
            try:
                while block := handle.read(_BLOCK * 8):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                if encoding == "utf-8-sig":  # not UTF-8: which code page?
                    handle.seek(0)
                    letters = np.zeros(2, dtype=np.int64)  # (see _high_letters)
                    while block := handle.read(_BLOCK * 8):
                        letters += _high_letters(block)
                    candidates += _code_pages(letters)
                continue
            return encoding
    return "latin-1"


def _high_letters(block: bytes) -> np.ndarray:
    """Bytes 0xC0-0xFF of a block: how many stand in runs of three or more,
    and how many there are. In cp1251 these bytes are the Cyrillic alphabet,
    so Russian text is made of such runs (words); in cp1252 they are accented
    Latin letters, which stand alone between ASCII ones (Zoë, Müller)."""
    high = np.frombuffer(block, dtype=np.uint8) >= 0xC0
    edges = np.flatnonzero(np.diff(np.concatenate(([0], high.view(np.int8), [0]))))
    lengths = edges[1::2] - edges[::2]
    return np.array([lengths[lengths >= 3].sum(), high.sum()], dtype=np.int64)


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
    try:
        return data.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError:
        if limit is not None:  # the read may have cut a multi-byte character in half
            try:
                return data[: limit - 4].decode("utf-8-sig"), "utf-8-sig"
            except UnicodeDecodeError:
                pass
    for encoding in _code_pages(_high_letters(data)):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _code_pages(letters: np.ndarray) -> list[str]:
    """The Windows code pages to try, given :func:`_high_letters` counts:
    cp1251 first when most of those letters stand in words of three or more."""
    return ["cp1251", "cp1252"] if letters[1] and letters[0] / letters[1] > 0.5 else ["cp1252"]


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


#: Rows formatted at a time by write_csv.
_WRITE_ROWS = 100_000
_NEEDS_QUOTES = r'[",\r\n]'
_DAY_NS = 86_400_000_000_000


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a table as CSV, its formula-like text neutralised.

    The format is pandas' ``to_csv(index=False)`` (minimal quoting, ``True``
    and ``False``, floats in full precision, times as ``YYYY-MM-DD
    HH:MM:SS`` with fractions only when the column has them, dates alone
    when every time is midnight, empty cells for missing values), except
    that a cell holding a carriage return is quoted, so the file reads back
    the same (pandas leaves it bare, and readers take it for a line end).
    Cells are formatted column by column with Arrow: a million rows are
    written in about a second instead of ten.
    """
    frame = neutralise_formulas(frame)
    header = io.StringIO(newline="")
    csv.writer(header, lineterminator="\n").writerow([str(c) for c in frame.columns])
    with open(path, "wb") as handle:
        handle.write(header.getvalue().encode("utf-8"))
        for start in range(0, len(frame), _WRITE_ROWS):
            part = frame.iloc[start: start + _WRITE_ROWS]
            cells = [_csv_cells(part[column]) for column in part.columns]
            if len(cells) == 1:  # (csv writes an empty lone cell as "")
                lines = pc.coalesce(pc.if_else(pc.equal(cells[0], ""), '""', cells[0]), '""')
            else:
                lines = pc.binary_join_element_wise(*cells, ",", null_handling="replace",
                                                    null_replacement="")
            body = pc.binary_join(pa.ListArray.from_arrays(
                pa.array([0, len(lines)], pa.int32()), lines), "\n")
            handle.write(body[0].as_buffer())
            handle.write(b"\n")


def _csv_cells(values: pd.Series) -> pa.Array:
    """One column's cells as CSV text (quoted where needed); null = empty."""
    dtype = values.dtype
    if dtype == np.bool_:
        return pa.array(np.where(values.to_numpy(), "True", "False"))
    if dtype == np.int64:
        return pa.array(values.to_numpy()).cast(pa.string())
    if dtype == "datetime64[ns]":
        return _time_cells(values.to_numpy())
    if dtype == np.float64 or not isinstance(dtype, pd.StringDtype):
        # Floats (full precision, as repr) and anything else as str(), once
        # per distinct value; missing values are empty.
        codes, distinct = pd.factorize(values, use_na_sentinel=True)
        texts = np.array([str(value) for value in distinct.tolist()] + [None], dtype=object)
        text = pa.array(texts[codes], type=pa.string())
    else:  # text: Arrow's own strings when pandas holds them so
        text = pa.array(values.array)
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks()
        text = text.cast(pa.string())
    needs_quotes = pc.match_substring_regex(text, _NEEDS_QUOTES)
    if not pc.any(needs_quotes).as_py():
        return text
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(needs_quotes, quoted, text)


def _time_cells(stamps: np.ndarray) -> pa.Array:
    """Times as pandas writes them: ``YYYY-MM-DD`` when all are midnight, else
    ``YYYY-MM-DD HH:MM:SS`` with as many fraction digits (3, 6, 9) as the
    column needs. Built from the parts (Arrow's strftime is 3x slower)."""
    nanoseconds = stamps.view("int64")
    present = ~np.isnat(stamps)
    used = nanoseconds[present]
    times = pa.array(stamps, type=pa.timestamp("ns"))

    def digits(values, width: int) -> pa.Array:
        return pc.utf8_lpad(pc.cast(values, pa.string()), width=width, padding="0")

    text = pc.binary_join_element_wise(digits(pc.year(times), 4), digits(pc.month(times), 2),
                                       digits(pc.day(times), 2), "-")
    if len(used) and not (used % _DAY_NS).any():
        return text
    clock = pc.binary_join_element_wise(digits(pc.hour(times), 2), digits(pc.minute(times), 2),
                                        digits(pc.second(times), 2), ":")
    text = pc.binary_join_element_wise(text, clock, " ")
    width = next((w for w in (0, 3, 6) if not (used % 10 ** (9 - w)).any()), 9)
    if width:
        fraction = pa.array((nanoseconds % 10**9) // 10 ** (9 - width), mask=~present)
        text = pc.binary_join_element_wise(text, digits(fraction, width), ".")
    return text


def restore_formulas(values: pd.Series, starts: tuple[str, ...] = _FORMULA_START) -> pd.Series:
    """Undo :func:`neutralise_formulas` on text cells read back.

    ``starts`` are the characters after which the ``'`` was added: Linear and
    GitLab escape a slightly different set than calibrate does.
    """
    text = values.astype("object")
    marked = _cells_where(text, lambda value: _is_neutralised_formula(value, starts))
    return text.where(~marked, text.str[1:])


def _is_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(_FORMULA_START)


def _is_neutralised_formula(value, starts: tuple[str, ...]) -> bool:
    return (isinstance(value, str) and len(value) > 1 and value[0] == "'"
            and value[1:].startswith(starts))


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

"""Which encoding a text export is in, and the file as UTF-8 bytes.

Exports come as UTF-8 (with or without a byte-order mark), UTF-16 with its
mark, or — re-saved by a spreadsheet — in a Windows code page. The encoding
is decided once, by :func:`detect_encoding`; :class:`Utf8Stream` then hands
the parser UTF-8 whatever the file holds.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa

from calibrate.errors import InputError

__all__ = ["BLOCK_BYTES", "Utf8Stream", "detect_encoding", "read_text_start"]

#: Bytes read from the file at a time.
BLOCK_BYTES = 1 << 20
_SCAN_BYTES = 8 * BLOCK_BYTES  # read at a time while deciding the encoding
_UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


def detect_encoding(path: Path, *, limit: int | None = None) -> str:
    """The encoding of a text file, decided on its first ``limit`` bytes
    (default: the whole file).

    UTF-16 when it starts with UTF-16's byte-order mark; else UTF-8
    (``"utf-8-sig"``, with or without a mark) when every byte decodes; else a
    Windows code page: cp1251 when the text reads as Cyrillic words (see
    :func:`_high_letters`), cp1252 otherwise; else Latin-1 (any byte).

    Raises
    ------
    InputError
        If the file is missing, a directory, or binary (a NUL byte near its start).
    """
    with _open(path) as handle:
        start = handle.read(4096)
        if start.startswith(_UTF16_MARKS):
            return "utf-16"
        if b"\x00" in start:
            raise InputError(f"{path} is a binary file, not a CSV export",
                             hint="Export the tickets as CSV (comma-separated text).")
        # (Plain UTF-8 here: a BOM is valid UTF-8, and utf-8-sig's own
        # decoder lets an incomplete BOM at the end of a file pass.)
        if _decodes(handle, "utf-8", limit):
            return "utf-8-sig"
        letters = np.zeros(2, dtype=np.int64)  # (see _high_letters)
        for block in _blocks(handle, limit):
            letters += _high_letters(block)
        for encoding in _code_pages(letters):
            if _decodes(handle, encoding, limit):
                return encoding
    return "latin-1"


def read_text_start(path: Path, limit: int) -> str:
    """The first ``limit`` bytes of a text file, decoded (a character cut at
    the limit is left out), without a byte-order mark."""
    encoding = detect_encoding(path, limit=limit)
    with _open(path) as handle:
        data = handle.read(limit)
    errors = "replace" if encoding == "utf-16" else "strict"
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    return decoder.decode(data, final=len(data) < limit)


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise InputError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory, not an export file") from None


def _blocks(handle: BinaryIO, limit: int | None) -> Iterator[bytes]:
    """The file from its start, block by block, up to ``limit`` bytes."""
    handle.seek(0)
    left = limit
    while left is None or left > 0:
        block = handle.read(_SCAN_BYTES if left is None else min(_SCAN_BYTES, left))
        if not block:
            return
        if left is not None:
            left -= len(block)
        yield block


def _decodes(handle: BinaryIO, encoding: str, limit: int | None) -> bool:
    """Whether the file's first ``limit`` bytes are text in ``encoding``."""
    if encoding == "utf-8":
        return _is_utf8(handle, limit)
    decoder = codecs.getincrementaldecoder(encoding)()
    size = 0
    try:
        for block in _blocks(handle, limit):
            decoder.decode(block)
            size += len(block)
        if limit is None or size < limit:  # (a read cut at the limit may end mid-character)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _is_utf8(handle: BinaryIO, limit: int | None) -> bool:
    """``_decodes(handle, "utf-8", limit)``, checked by Arrow's UTF-8
    validation (several times faster than decoding: the whole file is
    checked before it is read)."""
    carry, size = b"", 0
    for block in _blocks(handle, limit):
        size += len(block)
        data = carry + block if carry else block
        end = _whole_characters(data)
        carry = data[end:]
        if not _valid_utf8(memoryview(data)[:end]) or not _utf8_start(carry):
            return False
    # A character cut by the end of the file is an error; one cut by the limit is not.
    return not carry or (limit is not None and size >= limit)


def _whole_characters(data: bytes) -> int:
    """The length of ``data`` without a UTF-8 character cut at its end."""
    start = len(data) - 1
    while start >= max(len(data) - 4, 0) and 0x80 <= data[start] < 0xC0:
        start -= 1  # (continuation bytes)
    if start < 0:
        return len(data)
    lead = data[start]
    length = 2 if 0xC0 <= lead < 0xE0 else 3 if 0xE0 <= lead < 0xF0 else 4 if (
        0xF0 <= lead < 0xF8) else 1
    return start if start + length > len(data) else len(data)


def _utf8_start(data: bytes) -> bool:
    """Whether ``data`` (a few bytes) can begin UTF-8 text, as Python's
    incremental decoder judges a block that may continue."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _valid_utf8(data: memoryview) -> bool:
    """Whether ``data`` is well-formed UTF-8 (as Python's strict decoder
    takes it: no overlong forms, no surrogates, nothing past U+10FFFF)."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _high_letters(block: bytes) -> np.ndarray:
    """Bytes 0xC0-0xFF of a block: how many stand in runs of three or more,
    and how many there are. In cp1251 these bytes are the Cyrillic alphabet,
    so Russian text is made of such runs (words); in cp1252 they are accented
    Latin letters, which stand alone between ASCII ones (Zoë, Müller)."""
    high = np.frombuffer(block, dtype=np.uint8) >= 0xC0
    edges = np.flatnonzero(np.diff(np.concatenate(([0], high.view(np.int8), [0]))))
    lengths = edges[1::2] - edges[::2]
    return np.array([lengths[lengths >= 3].sum(), high.sum()], dtype=np.int64)


def _code_pages(letters: np.ndarray) -> list[str]:
    """The Windows code pages to try, given :func:`_high_letters` counts:
    cp1251 first when most of those letters stand in words of three or more."""
    return ["cp1251", "cp1252"] if letters[1] and letters[0] / letters[1] > 0.5 else ["cp1252"]


class Utf8Stream(io.RawIOBase):
    """A file as UTF-8 bytes, without its byte-order mark, decoded from
    ``encoding`` (UTF-8 itself passes through) and optionally without its
    first ``skip_bytes`` bytes (of UTF-8).

    ``trailer`` is added after the file's last byte, on a line of its own
    (after a line break when the file does not end with one): a CSV parser
    that reads it as a record of its own knows the file's last record was
    complete (see :mod:`calibrate.io._csv_read`).

    Attributes
    ----------
    consumed : int
        Bytes of the file read so far (for progress).
    """

    def __init__(self, path: Path, encoding: str, skip_bytes: int = 0,
                 trailer: bytes = b"") -> None:
        self._handle = path.open("rb")
        self.consumed = 0
        self._pending = b""
        self._skip = skip_bytes
        self._trailer = trailer
        self._last = b""  # the last byte handed out
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
        if self._decoder is None and not self._skip and not self._pending:
            # UTF-8 passes through: straight from the file into the reader's buffer.
            size = self._handle.readinto(buffer)
            if size:
                self.consumed += size
                self._last = bytes(memoryview(buffer)[size - 1:size])
                return size
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
            if more is None and self._trailer:
                line_end = b"" if self._last in (b"", b"\n", b"\r") else b"\n"
                more, self._trailer = line_end + self._trailer, b""
            self._pending = more or b""
        data, self._pending = self._pending[:size], self._pending[size:]
        if data:
            self._last = data[-1:]
        return data

    def _read_block(self) -> bytes | None:
        raw = self._handle.read(BLOCK_BYTES)
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

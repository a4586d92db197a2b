"""Reading JSON exports: the documents, their records, and the values in them.

What the JSON readers share: a file of one document or several written back
to back, walked record by record without holding the document
(:class:`JsonExport`; :func:`read_json_documents` parses a whole file, and
:func:`read_json_start` only the start of it, to recognise the format),
records numbered from 1 across pages and checked all at once
(:func:`collect_records`), and how a value of a record becomes text
(:func:`text`, :func:`raw_cells`).

Why streaming: a Jira export of 200,000 issues with changelogs is about 250
MB of JSON; parsed whole it is several GB of Python objects (and the cyclic
garbage collector, scanning them again and again, triples the parse time).
:class:`JsonExport` reads the text in pieces and steps through the outer
levels of the document itself (the documents, the list of pages, a page's
keys, the list of issues); every record, and every other value, is parsed
by the standard library's C decoder, so the values a reader sees are exactly
those :func:`json.loads` gives (same numbers, same handling of duplicate
keys, same errors), and only one record at a time is held as objects.
"""

from __future__ import annotations

import codecs
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from calibrate.errors import InputError, Problem

__all__ = ["REFUSE_AFTER", "JsonExport", "Restart", "collect_records", "get", "raw_cells",
           "read_json_documents", "read_json_start", "shape", "text"]


def read_json_documents(path: str | Path,
                        progress: Callable[[int, int], None] | None = None) -> tuple[Any, int]:
    """Parse a JSON file, also when it holds several documents one after another.

    ``gh api --paginate`` (without ``--slurp``) and hand-made scripts write
    one JSON document per page, back to back; those are returned as a list
    of the documents.

    ``progress(bytes_read, bytes_total)`` is called after each document.

    Returns
    -------
    data : object
        The parsed document, or the list of documents when there are several.
    documents : int
        How many JSON documents the file held.

    Raises
    ------
    InputError
        If the file is missing, not UTF-8 text, or not JSON (with the line
        and column of the first error).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path} does not exist") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path} is not UTF-8 text, so not a JSON export: {error}") from None
    except OSError as error:
        raise InputError(f"{path} cannot be read: {error.strerror or error}") from None
    text = _replace_lone_surrogates(text)
    decoder = json.JSONDecoder(parse_int=_parse_int)
    documents = []
    position = _skip_space(text, 0)
    while position < len(text):
        try:
            document, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise InputError(
                f"{path} is not valid JSON: {error.msg} at line {error.lineno}, "
                f"column {error.colno}",
                hint="Save the API response as it is returned (e.g. curl -o file.json).",
            ) from None
        except RecursionError:
            # No tracker nests this deep; Python's parser would need more stack.
            raise InputError(
                f"{path} nests JSON objects or lists too deeply to be a tracker export "
                f"(more than about {sys.getrecursionlimit()} levels)",
                hint="Save the API response as it is returned (e.g. curl -o file.json).",
            ) from None
        documents.append(document)
        position = _skip_space(text, end)
        if progress is not None:  # characters read, scaled to the file's bytes
            size = path.stat().st_size
            progress(size if position >= len(text) else int(size * position / len(text)), size)
    if not documents:
        raise InputError(f"{path} is empty, not a JSON export")
    if len(documents) == 1:
        return documents[0], 1
    return documents, len(documents)


#: A JSON escape: \\uXXXX (captured) or any other backslash escape.
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)
_ANY_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _replace_lone_surrogates(text: str) -> str:
    """Replace escapes of unpaired UTF-16 surrogates by U+FFFD.

    JSON allows ``"\\ud800"`` alone, but such a string cannot be written as
    UTF-8 (in a CSV, the report or Arrow), so it becomes the replacement
    character, as a UTF-8 decoder does with a broken sequence.
    """
    if not _ANY_SURROGATE.search(text):
        return text
    escapes = list(_ESCAPE.finditer(text))
    lone: list[re.Match] = []
    index = 0
    while index < len(escapes):
        unit = _code_unit(escapes[index])
        if unit is not None and 0xD800 <= unit <= 0xDBFF:
            following = escapes[index + 1] if index + 1 < len(escapes) else None
            low = _code_unit(following) if following is not None else None
            if (following is not None and following.start() == escapes[index].end()
                    and low is not None and 0xDC00 <= low <= 0xDFFF):
                index += 2  # a proper pair
                continue
            lone.append(escapes[index])
        elif unit is not None and 0xDC00 <= unit <= 0xDFFF:
            lone.append(escapes[index])
        index += 1
    if not lone:
        return text
    pieces, position = [], 0
    for match in lone:
        pieces += [text[position:match.start()], "\\ufffd"]
        position = match.end()
    return "".join(pieces) + text[position:]


def _code_unit(escape: re.Match) -> int | None:
    return int(escape.group(1), 16) if escape.group(1) else None


def _parse_int(digits: str) -> int | float:
    """A JSON integer; one too long for Python's int conversion becomes a float
    (infinite beyond 1e308), which the readers then report as a bad value."""
    if len(digits) > 4000:
        return float(digits)
    return int(digits)


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


#: Characters read from the file at a time (more for a record that is larger).
_CHUNK = 1 << 20
#: The most text one value may take (an issue, or a value beside a page's issues):
#: no tracker writes an issue this large, so a file that holds one is refused
#: instead of being parsed into many times its size of memory.
MAX_VALUE_CHARS = 64 << 20
#: How many records are read, none of them a ticket, before a file is refused.
REFUSE_AFTER = 1_000
#: How much text :func:`read_json_start` reads at most to recognise a format.
_START_CHARS = 4 << 20
#: Deepest nesting the format detection cuts lists at (trackers nest a dozen
#: levels); below it values are parsed whole.
_SKELETON_DEPTH = 64
_JSON_HINT = "Save the API response as it is returned (e.g. curl -o file.json)."
_NOT_SPACE = re.compile(r"[^ \t\r\n]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_DECODER = json.JSONDecoder(parse_int=_parse_int)
#: A page's records, streamed (the ``container`` of a ``page`` event).
LISTED = object()
_ABSENT = object()


class Restart(Exception):  # noqa: N818 - a signal, not an error
    """Read the file again from its start, knowing more.

    Raised while a file is read, caught by
    :func:`~calibrate.io._reader.read_json_format`, which reads it again with
    a new :class:`JsonExport` made with these settings.

    Parameters
    ----------
    multi : bool, optional
        The file holds several documents (see :meth:`JsonExport.events`).
    whole : bool
        Parse each element whole instead of stepping into pages (an object
        with its list of records given twice: the last one counts, as in
        :func:`json.loads`).
    hints : dict, optional
        What the format learned, for its next reading (``export.hints``).
    """

    def __init__(self, *, multi: bool | None = None, whole: bool = False,
                 hints: dict | None = None) -> None:
        super().__init__("read the file again")
        self.multi, self.whole, self.hints = multi, whole, dict(hints or {})


class JsonExport:
    """A JSON export file, read as a stream of records.

    The text is read in pieces of about a megabyte; :meth:`events` steps
    through the outer levels (documents, lists of pages, a page's keys, its
    list of records) and parses each record whole with :mod:`json`'s C
    decoder, so one record at a time is held as Python objects.

    Values are those :func:`json.loads` gives, with two changes, as
    :func:`read_json_documents` makes them: unpaired UTF-16 surrogates
    (``"\\ud800"``) become U+FFFD, and integers of more than 4000 digits
    become floats.

    Parameters
    ----------
    path : str or Path
    progress : callable, optional
        ``progress(bytes_read, bytes_total)``, called as the file is read.
    multi : bool, optional
        Whether the file is known to hold several documents (None: not yet).
    whole : bool
        Parse each element (a page, a record) whole.
    hints : dict, optional
        What a format learned on an earlier reading (see :class:`Restart`).

    Raises
    ------
    InputError
        If the file is missing or cannot be read.
    """

    def __init__(self, path: str | Path, progress: Callable[[int, int], None] | None = None,
                 *, multi: bool | None = None, whole: bool = False,
                 hints: dict | None = None) -> None:
        self.path = Path(path)
        self.name = str(path)
        self.multi, self.whole = multi, whole
        self.hints = dict(hints or {})
        #: Documents read so far.
        self.documents = 0
        #: The keys and values of the file's one document when it is an object
        #: (its record list left out): where an API error response says so.
        self.first_object: dict | None = None
        try:
            self._handle = self.path.open("rb")
            self._size = self.path.stat().st_size
        except FileNotFoundError:
            raise InputError(f"{path} does not exist") from None
        except OSError as error:
            raise InputError(f"{path} cannot be read: {error.strerror or error}") from None
        self._progress = progress
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self._text, self._pos, self._eof = "", 0, False
        self._bytes = 0  # bytes read
        self._lines = 0  # line ends in the text already dropped
        self._column = 0  # characters of the current line already dropped
        self._dropped = 0  # characters already dropped
        self._surrogates = False  # a surrogate escape was seen: clean the values
        self._tail = ""
        self._sensitive = False  # the first document reads differently among several
        self._first_keys: dict[str, None] = {}
        self._first_items = 0
        self._first_kind = ""
        self._first_scalar: Any = None

    def close(self) -> None:
        """Close the file."""
        self._handle.close()

    def __enter__(self) -> JsonExport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- what was read

    @property
    def shape(self) -> str:
        """What the file's data is, as :func:`shape` says it of the parsed file."""
        if self.documents > 1:
            return f"a list of {self.documents} items"
        if self._first_kind == "object":
            keys = list(self._first_keys)
            return "an object with keys " + ", ".join(keys[:6]) + (" ..." if len(keys) > 6
                                                                    else "")
        if self._first_kind == "list":
            return f"a list of {self._first_items} items"
        return shape(self._first_scalar)

    # ----------------------------------------------------------------- the walk

    def events(self, container: str, *, page_needs_list: bool) -> Iterator[tuple]:
        """The records of the file, in file order, and its pages.

        The file's *elements* are the document when it is an object, the
        items of the document when it is a list, and the documents when
        there are several (as :func:`read_json_documents` returns them). An
        element that is an object with the key ``container`` (whose value is
        a list, if ``page_needs_list``) is a *page*: its records are the
        items of that list; an element that is a list holds records; any
        other element is a record.

        Yields
        ------
        ("record", value, from_page)
            A record; ``from_page``: it is an item of a page's list.
        ("page", number, pairs, records)
            After a page's records: its element number (from 1), its other
            keys and values, and ``LISTED`` when its records were a list (else
            the value found).

        Raises
        ------
        InputError
            If the file is not UTF-8 JSON (with the line and column of the
            first error), is empty, nests too deeply, or holds a value larger
            than :data:`MAX_VALUE_CHARS`.
        Restart
            When the file must be read again (see :class:`Restart`).
        """
        while self._peek():
            self.documents += 1
            if self.documents == 2 and not self.multi:
                # Several documents: the first is an element itself, not a list of them.
                if self._sensitive:
                    raise Restart(multi=True)
                self.first_object = None
            single = self.documents == 1 and not self.multi
            char = self._peek()
            if single and char == "[":
                self._first_kind = "list"
                yield from self._elements(container, page_needs_list)
            elif single and char != "{":
                self._first_scalar = self._value()
                self._sensitive = True  # no element alone; a record among documents
            else:
                if single:
                    self._first_kind = "object"
                yield from self._element(self.documents, container, page_needs_list, top=single)
        if not self.documents:
            raise InputError(f"{self.name} is empty, not a JSON export")

    def _elements(self, container: str, page_needs_list: bool) -> Iterator[tuple]:
        """The items of a document that is a list, each an element."""
        self._pos += 1
        if self._peek() == "]":
            self._pos += 1
            return
        while True:
            self._first_items += 1
            if self._peek() == "[":
                self._sensitive = True  # a list of records here, one record among documents
            for event in self._element(self._first_items, container, page_needs_list,
                                       top=False):
                if event[0] == "page":
                    self._sensitive = True
                yield event
            if not self._next_item("]"):
                return

    def _element(self, number: int, container: str, page_needs_list: bool, *,
                 top: bool) -> Iterator[tuple]:
        char = self._peek()
        if self.whole or char not in "[{":
            value = self._value()
            if top and isinstance(value, dict):
                self._first_keys = dict.fromkeys(value)
            yield from self._dispatch(number, value, container, page_needs_list, top)
        elif char == "[":
            for item in self._items():
                yield "record", item, False
        else:
            yield from self._object(number, container, page_needs_list, top)

    def _dispatch(self, number: int, value: Any, container: str, page_needs_list: bool,
                  top: bool) -> Iterator[tuple]:
        """An element parsed whole, as :meth:`_element` streams one."""
        if isinstance(value, list):
            for item in value:
                yield "record", item, False
            return
        if isinstance(value, dict) and container in value and (
                isinstance(value[container], list) or not page_needs_list):
            pairs = {k: v for k, v in value.items() if k != container}
            if top:
                self.first_object = pairs
            records = value[container]
            if isinstance(records, list):
                for item in records:
                    yield "record", item, True
                records = LISTED
            yield "page", number, pairs, records
            return
        if top and isinstance(value, dict):
            self.first_object = value
        yield "record", value, False

    def _object(self, number: int, container: str, page_needs_list: bool,
                top: bool) -> Iterator[tuple]:
        """An element that is an object, read key by key: a page's records are
        yielded as they are read; an object that is not a page is a record."""
        self._pos += 1
        pairs: dict[str, Any] = {}
        listed, records = False, _ABSENT
        char = self._peek()
        if char == "}":
            self._pos += 1
        while char != "}":
            if char != '"':
                self._invalid("Expecting property name enclosed in double quotes", self._pos)
            key = self._key()
            if top:
                self._first_keys[key] = None
            if self._peek() != ":":
                self._invalid("Expecting ':' delimiter", self._pos)
            self._pos += 1
            if key == container:
                if listed or records is not _ABSENT or key in pairs:
                    raise Restart(whole=True)  # json.loads keeps the last one
                if self._peek() == "[":
                    listed = True
                    for item in self._items():
                        yield "record", item, True
                elif page_needs_list:
                    pairs[key] = self._value()
                else:
                    records = self._value()
            else:
                pairs[key] = self._value()
            char = self._peek()
            if char == ",":
                self._pos += 1
                char = self._peek()
                if char == "}":  # as json.loads says it
                    self._invalid("Expecting property name enclosed in double quotes",
                                  self._pos)
            elif char == "}":
                self._pos += 1
            else:
                self._invalid("Expecting ',' delimiter", self._pos)
        if top:
            self.first_object = pairs
        if listed or records is not _ABSENT:
            yield "page", number, pairs, LISTED if listed else records
        else:
            yield "record", pairs, False

    def _items(self) -> Iterator[Any]:
        """The items of a list, each parsed whole."""
        self._pos += 1
        if self._peek() == "]":
            self._pos += 1
            return
        while True:
            yield self._value()
            if not self._next_item("]"):
                return

    def _next_item(self, end: str) -> bool:
        """Past the ``,`` after a list's item (True) or its end (False)."""
        char = self._peek()
        if char == ",":
            self._pos += 1
            return True
        if char == end:
            self._pos += 1
            return False
        self._invalid("Expecting ',' delimiter", self._pos)
        return False  # (not reached)

    # ----------------------------------------------------------------- the start

    def start(self) -> Any:
        """The beginning of the file, enough to recognise its format.

        The first document, with each list cut after its first item that is
        not an empty page; several documents as a list of them (as
        :func:`read_json_documents` returns them), the first ones up to the
        first that is not empty. At most about 4 MB of text is read.
        """
        documents = []
        while self._peek() and self._dropped + self._pos < _START_CHARS:
            documents.append(self._skeleton())
            if self._stopped() or not _empty_page(documents[-1]):
                break
        if not documents:
            raise InputError(f"{self.name} is empty, not a JSON export")
        if len(documents) == 1 and not (not self._stopped() and self._peek()):
            return documents[0]
        return documents

    def _stopped(self) -> bool:
        return self._dropped + self._pos >= _START_CHARS

    def _skeleton(self, depth: int = 0) -> Any:
        if depth >= _SKELETON_DEPTH:
            # Deeper than any tracker's structure: the rest is parsed whole by json,
            # whose depth limit _decode turns into an InputError (recursing on here
            # would end in a RecursionError).
            return self._value()
        char = self._peek()
        if char == "{":
            self._pos += 1
            result: dict[str, Any] = {}
            char = self._peek()
            if char == "}":
                self._pos += 1
            while char != "}":
                if char != '"':
                    self._invalid("Expecting property name enclosed in double quotes",
                                  self._pos)
                key = self._key()
                if self._peek() != ":":
                    self._invalid("Expecting ':' delimiter", self._pos)
                self._pos += 1
                result[key] = self._skeleton(depth + 1)
                if self._stopped():
                    return result
                char = self._peek()
                if char == ",":
                    self._pos += 1
                    char = self._peek()
                elif char == "}":
                    self._pos += 1
                else:
                    self._invalid("Expecting ',' delimiter", self._pos)
            return result
        if char == "[":
            self._pos += 1
            items: list[Any] = []
            if self._peek() == "]":
                self._pos += 1
                return items
            while True:
                if not items or _empty_page(items[-1]):
                    items.append(self._skeleton(depth + 1))
                else:
                    self._value()  # read past, unkept
                if self._stopped() or not self._next_item("]"):
                    return items
        return self._value()

    # ----------------------------------------------------------------- the text

    def _value(self) -> Any:
        """The JSON value at the current position, parsed whole."""
        self._peek()
        return self._decode(_DECODER.raw_decode)

    def _key(self) -> str:
        return self._decode(lambda text, pos: json.decoder.scanstring(text, pos + 1))

    def _decode(self, scan: Callable[[str, int], tuple[Any, int]]) -> Any:
        """``scan(text, position)`` at the current position, reading on while the
        value goes past the text read (a value is parsed once it is all read)."""
        while True:
            text = self._text
            try:
                value, end = scan(text, self._pos)
            except json.JSONDecodeError as error:
                if not self._eof and (error.pos >= len(text) - 16
                                      or error.msg.startswith("Unterminated string")):
                    self._read_on()
                    continue
                self._invalid(error.msg, error.pos)
            except RecursionError:
                # No tracker nests this deep; Python's parser would need more stack.
                raise InputError(
                    f"{self.name} nests JSON objects or lists too deeply to be a tracker "
                    f"export (more than about {sys.getrecursionlimit()} levels)",
                    hint=_JSON_HINT) from None
            if end >= len(text) and not self._eof and text[end - 1] not in '"]}':
                self._read_on()  # a number or a literal may go on
                continue
            self._pos = end
            if self._surrogates:
                try:
                    return _without_surrogates(value)
                except RecursionError:
                    raise InputError(
                        f"{self.name} nests JSON objects or lists too deeply to be a tracker "
                        f"export (more than about {sys.getrecursionlimit() // 2} levels)",
                        hint=_JSON_HINT) from None
            return value

    def _read_on(self) -> None:
        if len(self._text) - self._pos > MAX_VALUE_CHARS:
            line, column = self._where(self._pos)
            raise InputError(
                f"{self.name} holds a single JSON value of more than "
                f"{MAX_VALUE_CHARS >> 20} MB of text (at line {line}, column {column}): no "
                "issue, page or field of a tracker export is that large, so this is not one",
                hint="Save the tracker's API response as it is returned: pages of issues "
                     "(Jira's /rest/api/3/search, GitHub's /repos/OWNER/REPO/issues).")
        self._fill()

    def _peek(self) -> str:
        """The next character that is not white space ('' at the end); not consumed."""
        while True:
            found = _NOT_SPACE.search(self._text, self._pos)
            if found:
                self._pos = found.start()
                return self._text[self._pos]
            self._pos = len(self._text)
            if not self._fill():
                return ""

    def _fill(self) -> bool:
        """Read more text (at least as much again as the value being read);
        False at the end of the file."""
        self._drop()
        while not self._eof:
            data = self._handle.read(max(_CHUNK, len(self._text)))
            try:
                piece = self._decoder.decode(data, final=not data)
            except UnicodeDecodeError as error:
                raise InputError(
                    f"{self.name} is not UTF-8 text, so not a JSON export: byte "
                    f"{error.object[error.start:error.start + 1]!r} near byte "
                    f"{self._bytes + error.start} of the file ({error.reason})") from None
            self._bytes += len(data)
            self._eof = not data
            if self._progress is not None:
                self._progress(self._bytes, self._size)
            if piece:
                if _ANY_SURROGATE.search(self._tail + piece):
                    self._surrogates = True
                self._tail = piece[-5:]
                self._text += piece
                return True
        return False

    def _drop(self) -> None:
        """Forget the text before the current position (counting its lines)."""
        dropped = self._text[:self._pos]
        if not dropped:
            return
        lines = dropped.count("\n")
        if lines:
            self._lines += lines
            self._column = len(dropped) - dropped.rfind("\n") - 1
        else:
            self._column += len(dropped)
        self._dropped += len(dropped)
        self._text = self._text[self._pos:]
        self._pos = 0

    def _where(self, pos: int) -> tuple[int, int]:
        """Line and column (from 1) of a position of the text, in the file."""
        line = self._lines + self._text.count("\n", 0, pos) + 1
        start = self._text.rfind("\n", 0, pos)
        return line, (pos - start if start >= 0 else self._column + pos + 1)

    def _invalid(self, message: str, pos: int) -> None:
        line, column = self._where(pos)
        raise InputError(f"{self.name} is not valid JSON: {message} at line {line}, "
                         f"column {column}", hint=_JSON_HINT)


def _empty_page(value: Any) -> bool:
    """An empty list, or a page with an empty ``items`` list: the next one decides."""
    return value == [] or (isinstance(value, dict) and value.get("items") == [])


def _without_surrogates(value: Any) -> Any:
    """A parsed value with every unpaired surrogate replaced by U+FFFD.

    :func:`json.loads` joins an escaped pair into one character, so a
    surrogate left in a string was unpaired in the file: the value is what
    :func:`read_json_documents` (which replaces the escapes) gives.
    """
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value
    if isinstance(value, list):
        return [_without_surrogates(item) for item in value]
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            cleaned[_without_surrogates(key)] = _without_surrogates(item)
        return cleaned
    return value


def read_json_start(path: str | Path) -> Any:
    """The beginning of a JSON file, enough to recognise its format, without
    reading the rest (see :meth:`JsonExport.start`).

    Raises
    ------
    InputError
        If the file is missing, empty, or its beginning is not UTF-8 JSON.
    """
    with JsonExport(path) as export:
        return export.start()


def collect_records(records: Iterable[Any], check: Callable[[dict], list[Problem]], *,
                    path: str, what: str, hint: str, expected: str | None = None,
                    problems: Iterable[Problem] = ()) -> list[tuple[int, dict]]:
    """The records of an export, numbered from 1 in file order.

    Parameters
    ----------
    records : iterable
        The records, pages already flattened.
    check : callable
        ``check(record)``: the problems of one record (file and row are
        filled in here).
    path : str
        The file, for messages.
    what : str
        What the file should be (``"a GitHub issues list"``).
    hint : str
        How to save a file the reader can use.
    expected : str, optional
        What a record should look like, said of one that is not an object.
    problems : iterable of Problem
        Problems already found (in the pages), listed first.

    Raises
    ------
    InputError
        Listing every problem, each with its record number.
    """
    problems = list(problems)
    numbered = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            problems.append(Problem("record is not an issue object", file=path, row=number,
                                    value=shape(record), expected=expected))
            continue
        problems += [replace(problem, file=path, row=number) for problem in check(record)]
        numbered.append((number, record))
    if problems:
        raise InputError(f"{path} is not {what} calibrate can read ({len(problems)} problems)",
                         problems, hint=hint)
    return numbered


def shape(value: Any) -> str:
    """What a JSON value is, shortly, for a message."""
    if isinstance(value, dict):
        keys = list(value)[:6]
        return "an object with keys " + ", ".join(map(str, keys)) + (" ..." if len(value) > 6
                                                                     else "")
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    return f"{type(value).__name__} {str(value)[:40]!r}"


def get(value: Any, *keys: str) -> Any:
    """``value[key1][key2]...``, or None where an object or key is missing."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def text(value: Any) -> str | None:
    """A scalar JSON value as stripped text; None for null, objects, lists and ``""``."""
    if type(value) is str:  # the common case, first: called millions of times
        stripped = value.strip()
        return stripped or None
    if value is None or isinstance(value, dict | list):
        return None
    stripped = str(value).strip()
    return stripped or None


def raw_cells(values: pd.Series, column: str) -> pd.Series:
    """Raw date values as text cells (``""`` where a record has none), named
    after the field they come from."""
    cells = [v if isinstance(v, str) else "" if v is None or v != v else str(v)
             for v in values.astype("object")]
    return pd.Series(cells, index=values.index, dtype="object", name=column)

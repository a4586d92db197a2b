"""Reading JSON exports: the documents, their records, and the values in them.

What the JSON readers share: a file of one document or several written back
to back (:func:`read_json_documents`), records numbered from 1 across pages
and checked all at once (:func:`collect_records`), and how a value of a
record becomes text (:func:`text`, :func:`raw_cells`).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from calibrate.errors import InputError, Problem

__all__ = ["collect_records", "get", "raw_cells", "read_json_documents", "shape", "text"]


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

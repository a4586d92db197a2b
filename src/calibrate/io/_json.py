"""Reading JSON exports: one document, or several written back to back."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from calibrate.errors import InputError

__all__ = ["read_json_documents"]


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
    decoder = json.JSONDecoder()
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


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position

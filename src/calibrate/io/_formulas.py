"""Text a spreadsheet would run as a formula: neutralised on writing, restored on reading.

A cell starting with ``= + - @``, a tab or a carriage return is a formula to
a spreadsheet (OWASP "CSV injection"); so is one starting with their
full-width forms ``＝ ＋ － ＠``, which some spreadsheets in East Asian locales
also evaluate. calibrate writes such text with a leading ``'``, as Linear's
own export does; Linear and GitLab do the same for slightly different sets
of characters, so a reader removes the ``'`` the tracker added.

Text that itself starts with ``'`` also gets one more ``'`` on writing, so
that reading calibrate's own files back removes exactly the quotes calibrate
added: every text round-trips unchanged (a title ``'--`` stays ``'--``).
"""

from __future__ import annotations

import pandas as pd

from calibrate.io._values import per_distinct

__all__ = ["FORMULA_START", "OWN_ESCAPE_STARTS", "neutralise_formulas", "restore_formulas"]

#: The first characters that make a cell a formula (ASCII and full-width).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

#: What calibrate puts a ``'`` before: formula starts and the quote itself, so
#: that a text beginning with ``'`` is not mistaken for an escaped one.
OWN_ESCAPE_STARTS = (*FORMULA_START, "'")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as spreadsheet formulas.

    Text starting with one of :data:`FORMULA_START` (``= + - @``, a tab, a
    carriage return, or a full-width ``＝ ＋ － ＠``) gets a leading ``'``
    (OWASP's advice), as Linear's own export does, and so does text starting
    with ``'``; numbers are left alone. :func:`restore_formulas` undoes it
    when calibrate reads its own files back.
    """
    frame = frame.copy()
    for column in frame.columns:
        values = frame[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        if isinstance(values.dtype, pd.StringDtype):  # text or missing: vectorised
            risky = values.str.startswith(OWN_ESCAPE_STARTS).fillna(False).astype(bool)
        else:
            risky = per_distinct(values, _needs_escape, dtype=bool)
        if risky.any():
            text = values.astype("object")
            frame[column] = text.where(~risky, "'" + text.astype(str)).astype(values.dtype)
    return frame


def restore_formulas(values: pd.Series,
                     starts: tuple[str, ...] = OWN_ESCAPE_STARTS) -> pd.Series:
    """Undo :func:`neutralise_formulas` on text cells read back.

    ``starts`` are the characters after which the ``'`` was added: Linear and
    GitLab escape a slightly different set than calibrate does.
    """
    text = values.astype("object")
    marked = per_distinct(text, lambda value: _is_neutralised_formula(value, starts), dtype=bool)
    return text.where(~marked, text.str[1:])


def _needs_escape(value) -> bool:
    return isinstance(value, str) and value.startswith(OWN_ESCAPE_STARTS)


def _is_neutralised_formula(value, starts: tuple[str, ...]) -> bool:
    return (isinstance(value, str) and len(value) > 1 and value[0] == "'"
            and value[1:].startswith(starts))

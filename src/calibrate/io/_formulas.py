"""Text a spreadsheet would run as a formula: neutralised on writing, restored on reading.

A cell starting with ``= + - @``, a tab or a carriage return is a formula to
a spreadsheet (OWASP "CSV injection"). calibrate writes such text with a
leading ``'``, as Linear's own export does; Linear and GitLab do the same for
slightly different sets of characters, so a reader removes the ``'`` the
tracker added.
"""

from __future__ import annotations

import pandas as pd

from calibrate.io._values import per_distinct

__all__ = ["FORMULA_START", "neutralise_formulas", "restore_formulas"]

#: The first characters that make a cell a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
            risky = values.str.startswith(FORMULA_START).fillna(False).astype(bool)
        else:
            risky = per_distinct(values, _is_formula, dtype=bool)
        if risky.any():
            text = values.astype("object")
            frame[column] = text.where(~risky, "'" + text.astype(str)).astype(values.dtype)
    return frame


def restore_formulas(values: pd.Series, starts: tuple[str, ...] = FORMULA_START) -> pd.Series:
    """Undo :func:`neutralise_formulas` on text cells read back.

    ``starts`` are the characters after which the ``'`` was added: Linear and
    GitLab escape a slightly different set than calibrate does.
    """
    text = values.astype("object")
    marked = per_distinct(text, lambda value: _is_neutralised_formula(value, starts), dtype=bool)
    return text.where(~marked, text.str[1:])


def _is_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def _is_neutralised_formula(value, starts: tuple[str, ...]) -> bool:
    return (isinstance(value, str) and len(value) > 1 and value[0] == "'"
            and value[1:].startswith(starts))

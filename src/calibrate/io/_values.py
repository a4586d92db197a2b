"""Value helpers the readers share: text columns, per distinct value, list
cells, ticket states.

Export columns repeat a handful of values (statuses, labels, sprints,
assignees), so a rule written for one cell is run once per distinct cell and
its results mapped back to the rows: a million-row export costs what its
few thousand distinct values cost. Text columns are kept as Arrow strings
(:data:`TEXT`) from the parser on: no Python object per cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["TEXT", "WHITESPACE", "arrow_text", "match_groups", "per_distinct", "rejoined",
           "split_values", "text_series", "ticket_states"]

#: The dtype of text cells read from exports: pandas' string type stored by
#: Arrow, a missing value being NaN (pandas' default ``str``).
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)

#: Every character Python's ``str.strip()`` removes (``str.isspace``; a test
#: checks the list against all of Unicode, which is too slow to scan at import):
#: ``pyarrow.compute.utf8_trim(..., characters=WHITESPACE)`` is ``str.strip()``.
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003"
              "\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def arrow_text(values: pd.Series) -> pa.ChunkedArray:
    """A text column as Arrow strings (nulls where missing), without copying
    a column already stored by Arrow. Cells that are not text are ``str()``-ed.

    Raises
    ------
    pyarrow.ArrowException, UnicodeError
        If a cell cannot be UTF-8 (a lone surrogate).
    """
    if isinstance(values.array, pd.arrays.ArrowStringArray):
        stored = pa.array(values.array)  # (Arrow's own column: no copy)
        return stored if isinstance(stored, pa.ChunkedArray) else pa.chunked_array([stored])
    cells = values.to_numpy(dtype=object)
    present = pd.notna(cells)
    if pd.api.types.infer_dtype(cells[present], skipna=False) not in ("string", "empty"):
        cells = np.where(present, cells.astype(str), None)
    return pa.chunked_array([pa.array(cells, type=pa.large_string(), from_pandas=True)])


def text_series(values: pa.Array | pa.ChunkedArray, index: pd.Index | None = None) -> pd.Series:
    """Arrow strings as a :data:`TEXT` Series (no copy of large strings)."""
    if not pa.types.is_large_string(values.type):
        values = values.cast(pa.large_string())
    return pd.Series(pd.arrays.ArrowStringArray(values, dtype=TEXT), index=index, copy=False)


def match_groups(values: pd.Series, pattern: re.Pattern, ascii_pattern: str) -> pd.DataFrame:
    """The named groups of ``pattern.match(cell)`` for each text cell (missing
    where it does not match), as :data:`TEXT` columns.

    Cells of ASCII characters without a line break are matched by Arrow's
    regular expressions with ``ascii_pattern`` (anchored at the start, as
    :meth:`re.Pattern.match` is), which must mean on such text what
    ``pattern`` means (``\\d`` as ``[0-9]``, ``\\s`` as every character
    ``str.isspace`` accepts: RE2 takes both as ASCII) and whose groups take
    part in every match; the other cells are matched by ``pattern``, once per
    distinct cell.

    Examples
    --------
    >>> import re
    >>> import pandas as pd
    >>> from calibrate.io._values import match_groups
    >>> groups = match_groups(pd.Series(["ab-12", "x", "ab-١٢"]), re.compile(r"ab-(?P<n>\\d+)$"),
    ...                       r"ab-(?P<n>[0-9]+)$")
    >>> groups["n"].tolist()
    ['12', nan, '١٢']
    """
    text = arrow_text(values)
    found = pc.extract_regex(text, f"^(?:{ascii_pattern})")  # (anchored, as re.match is)
    names = list(pattern.groupindex)
    columns = {name: text_series(pc.struct_field(found, [name]), values.index)
               for name in names}
    simple = pc.and_(pc.string_is_ascii(text), pc.invert(pc.match_substring(text, "\n")))
    others = ~pc.fill_null(simple, True).to_numpy() & values.notna().to_numpy()
    if others.any():
        codes, distinct = pd.factorize(values[others])
        matches = [pattern.match(cell) for cell in distinct]
        for name in names:
            found_here = pd.array([m[name] if m else None for m in matches], dtype=TEXT)
            column = columns[name].copy()
            column[others] = found_here.take(codes)
            columns[name] = column
    return pd.DataFrame(columns, index=values.index)


def per_distinct(values: pd.Series, function: Callable[[Any], Any], *,
                 dtype: Any = object) -> pd.Series:
    """``values.map(function)``, calling ``function`` once per distinct value.

    Missing values are passed to ``function`` like any other value; cells
    that cannot be hashed (lists) are mapped one by one. With an extension
    ``dtype`` (:data:`TEXT`) the results are converted once per distinct
    value and taken row by row in that type (no Python object per row).

    Examples
    --------
    >>> import pandas as pd
    >>> from calibrate.io._values import per_distinct
    >>> per_distinct(pd.Series(["a", "bb", "a"]), len, dtype=int).tolist()
    [1, 2, 1]
    """
    try:
        codes, distinct = pd.factorize(values, use_na_sentinel=False)
    except TypeError:  # unhashable cells
        return values.astype("object").map(function).astype(dtype)
    extension = isinstance(dtype, pd.api.extensions.ExtensionDtype)
    results = np.empty(len(distinct), dtype=object if extension else dtype)
    for position, value in enumerate(distinct):  # (item by item: results may be lists)
        results[position] = function(value)
    if extension:
        return pd.Series(pd.array(results, dtype=dtype).take(codes), index=values.index)
    return pd.Series(results[codes], index=values.index)


@cache
def _separator_pattern(separators: str) -> re.Pattern:
    return re.compile(f"[{re.escape(separators)}]")


def split_values(cell: str, separators: str = ",") -> list[str]:
    """The non-empty parts of a multi-value cell, stripped.

    Examples
    --------
    >>> from calibrate.io._values import split_values
    >>> split_values(" a, b;c,,", ",;")
    ['a', 'b', 'c']
    """
    return [part.strip() for part in _separator_pattern(separators).split(cell) if part.strip()]


def rejoined(values: pd.Series, separators: str = ",") -> pd.Series:
    """Multi-value cells joined with ``"; "``, as every reader joins them
    (``"a, b;c"`` -> ``"a; b; c"`` with ``separators=",;"``)."""
    return per_distinct(values, lambda cell: "; ".join(split_values(cell, separators)))


def ticket_states(not_finished: Any, done: Any) -> np.ndarray:
    """The staging ``state`` of each row: ``not_done`` (closed without the
    work done) before ``done`` before ``open``.

    Examples
    --------
    >>> from calibrate.io._values import ticket_states
    >>> ticket_states([True, False, False], [True, True, False]).tolist()
    ['not_done', 'done', 'open']
    """
    codes = np.where(np.asarray(not_finished, dtype=bool), 0,
                     np.where(np.asarray(done, dtype=bool), 1, 2))
    return _STATES.take(codes)  # (Arrow strings: no Python object per row)


_STATES = pd.array(["not_done", "done", "open"], dtype=TEXT)

"""Value helpers the readers share: per distinct value, list cells, ticket states.

Export columns repeat a handful of values (statuses, labels, sprints,
assignees), so a rule written for one cell is run once per distinct cell and
its results mapped back to the rows: a million-row export costs what its
few thousand distinct values cost.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["per_distinct", "rejoined", "split_values", "ticket_states"]


def per_distinct(values: pd.Series, function: Callable[[Any], Any], *,
                 dtype: Any = object) -> pd.Series:
    """``values.map(function)``, calling ``function`` once per distinct value.

    Missing values are passed to ``function`` like any other value; cells
    that cannot be hashed (lists) are mapped one by one.

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
    results = np.empty(len(distinct), dtype=dtype)
    for position, value in enumerate(distinct):  # (item by item: results may be lists)
        results[position] = function(value)
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
    return np.where(not_finished, "not_done", np.where(done, "done", "open"))

"""How people and areas are shown: the order they are listed in, and when
their numbers are held back.

One rule each for every table and figure a reader sees: names ordered
ignoring case and accents ('Adam', 'alice', 'Bob', 'Émile', 'Eve'; the data
files keep their plain, stable order), and estimates on fewer than
``--min-tickets`` finished tickets shown as "too few tickets".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["name_key", "name_order", "sorted_names", "too_few"]


def name_key(name: str) -> tuple[str, str]:
    """Sort key of an engineer or area name: case- and accent-insensitive,
    ties broken by the exact name so the order is total.

    Examples
    --------
    >>> from calibrate._names import name_key
    >>> sorted(["Bob", "alice", "Émile", "Adam", "Eve"], key=name_key)
    ['Adam', 'alice', 'Bob', 'Émile', 'Eve']
    """
    text = str(name)
    folded = "".join(c for c in unicodedata.normalize("NFKD", text)
                     if not unicodedata.combining(c)).casefold()
    return folded, text


def sorted_names(names: Iterable) -> list[str]:
    """Distinct names as text, in :func:`name_key` order."""
    return sorted({str(n) for n in names}, key=name_key)


def name_order(values: pd.Series) -> pd.Series:
    """A ``key=`` for :meth:`pandas.DataFrame.sort_values` that orders name
    columns by :func:`name_key` (other columns as they are).

    Examples
    --------
    >>> import pandas as pd
    >>> from calibrate._names import name_order
    >>> frame = pd.DataFrame({"engineer": ["bob", "Alice", "Ängel"]})
    >>> frame.sort_values("engineer", key=name_order)["engineer"].tolist()
    ['Alice', 'Ängel', 'bob']
    """
    if values.name not in ("engineer", "area"):
        return values
    return values.map(lambda name: "\x00".join(name_key(name)) if pd.notna(name) else name)


def too_few(n_finished, min_tickets: int):
    """Whether an estimate rests on too few finished tickets to be shown (it
    leans on the team): fewer than ``min_tickets``. One rule for every figure
    (and the report's tables) that suppresses such cells."""
    return np.asarray(n_finished) < min_tickets

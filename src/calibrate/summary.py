"""One summary type for every result: text, HTML and the tables as frames.

``TicketTable.summary()``, ``CalibrationResult.summary()`` and
``BacktestResult.summary()`` all return a :class:`Summary`, as statsmodels'
results all return its ``Summary``: ``print()`` it for text, let a notebook
show it as HTML, or take its ``tables`` for further work.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["Summary"]


@dataclass
class Summary:
    """A titled set of sentences and tables.

    Attributes
    ----------
    title : str or None
    tables : dict of str to DataFrame
        The tables, by title, in order.
    before, after : list of str
        Lines shown before and after the tables.

    Examples
    --------
    >>> import pandas as pd
    >>> summary = Summary("Scores", {"CRPS": pd.DataFrame({"crps": [0.31]})},
    ...                   after=["lower is better"])
    >>> print(summary)
    Scores
    ======
    <BLANKLINE>
    CRPS
    ----
       crps
    0 0.310
    <BLANKLINE>
    lower is better
    >>> summary["CRPS"]["crps"].item()
    0.31
    """

    title: str | None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)

    def __getitem__(self, title: str) -> pd.DataFrame:
        return self.tables[title]

    def __str__(self) -> str:
        return self.to_text()

    def to_text(self, max_rows: int | None = None) -> str:
        """The summary as text; ``str()`` gives it whole.

        Parameters
        ----------
        max_rows : int, optional
            Show at most this many rows of each table, and say how many more
            there are (a terminal cannot show a thousand engineers usefully;
            the tables and files keep every row).

        Examples
        --------
        >>> import pandas as pd
        >>> summary = Summary(None, {"Sizes": pd.DataFrame({"points": [1, 2, 3, 5, 8]})})
        >>> print(summary.to_text(max_rows=2))
        <BLANKLINE>
        Sizes
        -----
           points
        0       1
        1       2
        ... 3 more rows not shown
        """
        parts = [self.title, "=" * len(self.title)] if self.title else []
        if self.before:
            parts += ["", *self.before] if parts else list(self.before)
        with pd.option_context("display.width", 120, "display.max_columns", 20,
                               "display.float_format", "{:.3f}".format):
            for title, table in self.tables.items():
                parts += ["", title, "-" * len(title)]
                if max_rows is not None and len(table) > max_rows:
                    parts += [table.head(max_rows).to_string(),
                              f"... {len(table) - max_rows} more rows not shown"]
                else:
                    parts.append(table.to_string())
        if self.after:
            parts += ["", *self.after]
        return "\n".join(parts)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        parts = ["<div class='calibrate-summary'>"]
        if self.title:
            parts.append(f"<h3>{html.escape(self.title)}</h3>")
        parts += [f"<p>{html.escape(line)}</p>" for line in self.before]
        for title, table in self.tables.items():
            parts.append(f"<h4>{html.escape(title)}</h4>")
            parts.append(table.to_html(float_format="{:.3f}".format, escape=True))
        parts += [f"<p><em>{html.escape(line)}</em></p>" for line in self.after]
        parts.append("</div>")
        return "\n".join(parts)

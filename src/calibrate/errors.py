"""Errors and warnings raised by calibrate.

Every problem with a user's input is an :class:`InputError`. It carries the
individual :class:`Problem` records (file, row, column, the value found and
what was expected) so that all problems of one file are reported together,
and the command line can print them as one short paragraph.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["CalibrationWarning", "InputError", "Problem"]

#: How many individual problems an error message lists before summarising.
_MAX_LISTED = 8


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, and where.

    Parameters
    ----------
    message : str
        What is wrong, in plain words.
    file : str, optional
        The file the problem was found in.
    row : int, optional
        The row in that file, counted as a spreadsheet does (header = row 1)
        for CSV files, or the position of the record (from 1) for JSON files.
    column : str, optional
        The column or field name.
    value : object, optional
        The offending value, as found.
    expected : str, optional
        What would have been accepted.
    """

    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    value: Any = None
    expected: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        text = self.message
        if self.value is not None:
            shown = str(self.value)
            if len(shown) > 60:
                shown = shown[:57] + "..."
            text += f" (found {shown!r})"
        if self.expected:
            text += f"; expected {self.expected}"
        return f"{', '.join(where)}: {text}" if where else text


class InputError(ValueError):
    """An input file or table cannot be used as it is.

    Parameters
    ----------
    summary : str
        One sentence saying what failed.
    problems : iterable of Problem, optional
        The individual problems found, all of them.
    hint : str, optional
        How to fix it.

    Examples
    --------
    >>> from calibrate.errors import InputError, Problem
    >>> err = InputError("export.csv is not a ticket export",
    ...                  [Problem("required column missing", file="export.csv",
    ...                           column="Assignee")],
    ...                  hint="Export all fields from Jira's issue search.")
    >>> print(err)
    export.csv is not a ticket export
      - export.csv, column 'Assignee': required column missing
    Export all fields from Jira's issue search.
    """

    def __init__(
        self, summary: str, problems: Iterable[Problem] = (), hint: str | None = None
    ) -> None:
        self.summary = summary
        self.problems = list(problems)
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        lines = [self.summary]
        for problem in self.problems[:_MAX_LISTED]:
            lines.append(f"  - {problem}")
        if len(self.problems) > _MAX_LISTED:
            lines.append(f"  ... and {len(self.problems) - _MAX_LISTED} more")
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


class CalibrationWarning(UserWarning):
    """A statistical doubt about the data or the fit (not an error)."""

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

__all__ = ["CalibrationWarning", "InputError", "OutputError", "Problem", "Terminated"]

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


class OutputError(InputError):
    """A file or directory cannot be written: no permission, a read-only file
    system, a full disk or quota, a file too large for the file system, ...

    A kind of :class:`InputError` because, like a bad input, it is the user's
    to fix (write somewhere else, free some space), and every caller that
    reports input errors — the command line: one message, exit status 2 —
    reports it the same way, without a traceback.

    Parameters
    ----------
    summary, problems, hint
        As :class:`InputError`'s.
    path : str or Path, optional
        The file or directory that could not be written.
    errno : int, optional
        The system's error number (:mod:`errno`), when the system refused.
    """

    def __init__(self, summary: str, problems: Iterable[Problem] = (), hint: str | None = None,
                 *, path=None, errno: int | None = None) -> None:
        self.path = path
        self.errno = errno
        super().__init__(summary, problems, hint)


class Terminated(SystemExit):
    """SIGTERM or SIGHUP arrived while calibrate was writing its outputs.

    Raised from the signal handler so that the unfinished files are removed
    on the way out, as Ctrl-C raises :class:`KeyboardInterrupt`. A
    :class:`SystemExit` whose code is 128 + the signal's number: the exit
    status a shell reports for a process stopped by that signal.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum

    def __str__(self) -> str:
        import signal

        try:
            return f"stopped by {signal.Signals(self.signum).name}"
        except ValueError:
            return f"stopped by signal {self.signum}"


class CalibrationWarning(UserWarning):
    """A statistical doubt about the data or the fit (not an error)."""

"""The canonical ticket table: one row per ticket, whatever the export.

Every reader produces this table (and a table of the rows it excluded, with
the reason), and the model consumes only this table. Its columns:

==================  =========  ==============================================
column              type       meaning
==================  =========  ==============================================
ticket_id           string     the tracker's key (``ML-101``, ``#42``)
title               string     summary line (may be empty)
engineer            string     the assignee who did the work
area                string     research / ml-engineering / ... (see config)
area_source         string     where the area came from: ``rule`` (an area
                               rule), ``classifier`` (the text classifier
                               of ``[areas] classify``), ``column`` (an
                               export column naming it) or ``default``
                               (none of them); empty in tables written
                               before it was recorded
points              float      estimate as it stood when work started (>= 0)
repointed           bool       points changed after work started
issue_type          string     Story, Bug, Task, ... (may be empty)
labels              string     labels, joined with ``"; "``
components          string     components, joined with ``"; "``
epic                string     epic / parent / project (may be empty)
sprints             string     sprints or cycles, joined with ``"; "``
status              string     status at export time
created_at          datetime   creation, team wall clock
started_at          datetime   start of the measured clock (see ``clock``)
finished_at         datetime   done; empty for open tickets
duration_days       float      working days from started_at to finished_at
                               (open tickets: to the as-of time) (> 0)
censored            bool       open ticket: duration is a lower bound
clock               string     ``cycle`` (start of work to done) or ``lead``
                               (created to done: no start of work known)
source_row          int        row in the export (header = row 1 for CSV;
                               record number from 1 for JSON)
==================  =========  ==============================================

Times are naive timestamps on the team's wall clock (see
:func:`calibrate.durations.to_team_time`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa

from calibrate.durations import WorkCalendar
from calibrate.errors import InputError, Problem
from calibrate.summary import Summary

__all__ = [
    "AREA_SOURCES",
    "EXCLUSION_REASONS",
    "TICKET_COLUMNS",
    "TicketTable",
    "ticket_schema",
    "validate_tickets",
]

_STRING = pd.StringDtype()
_TIME = "datetime64[ns]"

#: Canonical columns, in order, with their dtypes.
TICKET_COLUMNS: dict[str, object] = {
    "ticket_id": _STRING,
    "title": _STRING,
    "engineer": _STRING,
    "area": _STRING,
    "area_source": _STRING,
    "points": "float64",
    "repointed": "bool",
    "issue_type": _STRING,
    "labels": _STRING,
    "components": _STRING,
    "epic": _STRING,
    "sprints": _STRING,
    "status": _STRING,
    "created_at": _TIME,
    "started_at": _TIME,
    "finished_at": _TIME,
    "duration_days": "float64",
    "censored": "bool",
    "clock": _STRING,
    "source_row": "int64",
}

#: Why a row can be left out of the ticket table. Every excluded row carries
#: one of these in its ``reason`` column and the specifics in ``detail``.
EXCLUSION_REASONS: dict[str, str] = {
    "no ticket id": "the row has no ticket key",
    "duplicate ticket id": "the same ticket key appears on an earlier row",
    "unassigned": "no engineer is assigned, so the work cannot be attributed",
    "no points": "the ticket was never estimated",
    "invalid points": "the estimate is not a number >= 0 (or a configured size)",
    "not finished work": "closed without the work done (Won't Do, Duplicate, Canceled, ...)",
    "not started": "open, and work has not started (backlog)",
    "unparseable date": "a date cell could not be read",
    "missing date": "a date needed for the duration is empty",
    "negative duration": "finished before it started (or started after the as-of time)",
    "closed within minutes": ("done within minutes of being created (or of work starting): "
                              "bookkeeping, not a measurement of the work "
                              "([durations] closed_within_minutes)"),
}

#: Columns of the exclusions table: the canonical ones plus the reason.
EXCLUSION_COLUMNS: dict[str, object] = {
    **{name: dtype for name, dtype in TICKET_COLUMNS.items()},
    "reason": _STRING,
    "detail": _STRING,
}

_REQUIRED_TEXT = ("ticket_id", "engineer", "area", "clock")
#: Where a ticket's area came from (``area_source``): an export column that
#: names it (``[areas] column``), a rule, the text classifier of ``[areas]
#: classify``, or none of them (the default area).
AREA_SOURCES = ("column", "rule", "classifier", "default")
#: Columns a table may lack (filled as empty when read): added after tables
#: were already written.
_OPTIONAL = ("area_source",)


def ticket_schema() -> pa.DataFrameSchema:
    """The declared contract of the canonical ticket table (a pandera schema).

    Examples
    --------
    >>> from calibrate.tickets import ticket_schema
    >>> "duration_days" in ticket_schema().columns
    True
    """
    columns = {}
    for name, dtype in TICKET_COLUMNS.items():
        checks: list[pa.Check] = []
        nullable = name not in _REQUIRED_TEXT and name not in {
            "points", "repointed", "duration_days", "censored", "source_row", "started_at",
        }
        if name == "points":
            checks.append(pa.Check.ge(0))
        if name == "duration_days":
            checks.append(pa.Check.gt(0))
        if name == "clock":
            checks.append(pa.Check.isin(["cycle", "lead"]))
        if name == "area_source":
            checks.append(pa.Check.isin(list(AREA_SOURCES)))
        if name in ("ticket_id", "engineer", "area"):
            checks.append(pa.Check.str_length(min_value=1))
        columns[name] = pa.Column(dtype, checks=checks, nullable=nullable,
                                  unique=name == "ticket_id", required=name not in _OPTIONAL)
    return pa.DataFrameSchema(
        columns,
        checks=[
            pa.Check(
                lambda df: df["finished_at"].isna() == df["censored"],
                error="finished_at is empty exactly for censored (open) tickets",
            ),
            pa.Check(
                lambda df: df["finished_at"].isna() | (df["finished_at"] >= df["started_at"]),
                error="finished_at is not before started_at",
            ),
        ],
        strict=True,
        ordered=True,
        name="canonical ticket table",
    )


def validate_tickets(tickets: pd.DataFrame, origin: str = "ticket table",
                     rows: pd.Series | None = None) -> pd.DataFrame:
    """Check a ticket table against the canonical schema.

    Parameters
    ----------
    tickets : DataFrame
        A table with the canonical columns.
    origin : str
        Where the table came from, for the error message.
    rows : Series, optional
        Row number to report for each index label (e.g. the file row of a
        canonical CSV); by default the table's ``source_row``.

    Returns
    -------
    DataFrame
        The same table.

    Raises
    ------
    InputError
        Listing every failed check (column, check, and the offending values
        with their row positions).
    """
    try:
        return ticket_schema().validate(tickets, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        problems = []
        if rows is None and "source_row" in tickets:
            rows = tickets["source_row"]
        for _, case in cases.head(40).iterrows():
            row = case.get("index")
            if rows is not None and not pd.isna(row) and row in rows.index:
                row = rows[row]
            problems.append(
                Problem(
                    f"fails check {case['check']}",
                    file=origin,
                    row=None if pd.isna(row) else int(row),
                    column=None if pd.isna(case["column"]) else str(case["column"]),
                    value=None if pd.isna(case["failure_case"]) else case["failure_case"],
                )
            )
        raise InputError(
            f"{origin} does not match the canonical ticket table "
            f"({len(cases)} failed checks)",
            problems,
            hint="The README's 'Canonical ticket table' section lists the columns and rules.",
        ) from None


def empty_exclusions() -> pd.DataFrame:
    """An exclusions table with no rows and the right columns."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in EXCLUSION_COLUMNS.items()})


@dataclass
class TicketTable:
    """A validated ticket table and the accounting of every input row.

    ``rows_read == len(tickets) + len(excluded)`` always holds.

    Attributes
    ----------
    tickets : DataFrame
        The canonical ticket table (see the module docstring).
    excluded : DataFrame
        The rows left out, with the canonical columns that could be filled,
        ``reason`` (one of :data:`EXCLUSION_REASONS`) and ``detail``.
    rows_read : int
        Data rows (or JSON records) in the export.
    source_format : str
        The reader that produced it (``jira_csv``, ``linear_csv``, ...).
    path : str
        The export file.
    as_of : pandas.Timestamp
        The time open tickets are censored at (team wall clock).
    notes : list of str
        Facts about the reading a user should know (clock used, formats).
    calendar : WorkCalendar, optional
        The working-day calendar the durations were counted with.
    people : list of tuple of str
        Every person the export names, as far as the reader knows: per
        person, the identifier the ``engineer`` column would hold (username,
        login), then the other names they go by (display name, e-mail). Read
        only by :func:`calibrate.privacy.pseudonymize`, to find them in free
        text; never written to an output file.

    Examples
    --------
    >>> from calibrate.io import read_export
    >>> table = read_export("data/sample/jira_export.csv")
    >>> table.rows_read == len(table.tickets) + len(table.excluded)
    True
    """

    tickets: pd.DataFrame
    excluded: pd.DataFrame
    rows_read: int
    source_format: str
    path: str
    as_of: pd.Timestamp
    notes: list[str] = field(default_factory=list)
    calendar: WorkCalendar | None = None
    people: list[tuple[str, ...]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if self.rows_read != len(self.tickets) + len(self.excluded):
            raise AssertionError(  # a bug in a reader, never the user's fault
                f"row accounting broken: {self.rows_read} read, {len(self.tickets)} kept, "
                f"{len(self.excluded)} excluded"
            )

    def exclusion_counts(self) -> pd.Series:
        """Excluded rows per reason, largest first."""
        counts = self.excluded["reason"].value_counts()
        counts.index.name = "reason"
        counts.name = "rows"
        return counts

    def summary(self) -> Summary:
        """The account of the rows read, kept and excluded (prints as text)."""
        tickets = self.tickets
        # (A canonical table without tickets has no times to take as-of from.)
        as_of = "no as-of time" if pd.isna(self.as_of) else f"{self.as_of:%Y-%m-%d %H:%M}"
        lines = [
            f"{self.path} read as {self.source_format}: {self.rows_read} rows",
            f"  kept      {len(tickets):>6}  ({int(tickets['censored'].sum())} open, "
            f"right-censored at {as_of})",
            f"  excluded  {len(self.excluded):>6}",
        ]
        for reason, count in self.exclusion_counts().items():
            lines.append(f"    {reason:<22}{count:>6}")
        if len(tickets):
            clocks = tickets["clock"].value_counts()
            lines.append(
                "  clock     " + ", ".join(f"{clock} {n}" for clock, n in clocks.items())
            )
            lines.append(
                f"  engineers {tickets['engineer'].nunique()}, areas "
                f"{', '.join(sorted(tickets['area'].unique()))}"
            )
        lines.extend(f"  note: {note}" for note in self.notes)
        return Summary(None, before=lines)

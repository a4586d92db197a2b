"""Histories larger than memory: ticket sums that merge, from files or a database.

The fit (:mod:`calibrate.model`) reads the finished tickets only through
sums per (engineer, area) cell: the count, and the sums of the design
vector, of log duration and of its square, each weighted by recency. The
design vector depends only on the area and the points, so sums per
(engineer, area, points value) give every cell's sums, whatever the model
later decides about pooling, and sums of two sets of tickets merge by
addition. Open (censored) tickets need their own values in the censoring EM;
they are a minority and are kept one per row. :class:`TicketSums` holds
both; :meth:`Calibrator.fit_sums <calibrate.model.Calibrator.fit_sums>`
fits them, with the result :meth:`~calibrate.model.Calibrator.fit` gives on
the same tickets (to rounding).

Where the sums come from:

- :meth:`TicketSums.from_chunks` sums canonical tables one chunk at a time,
  e.g. those of :func:`read_ticket_chunks`: a canonical ticket table on
  disk (CSV, Parquet, or a folder of Parquet files) read in chunks, each
  checked against the schema. Memory is bounded by the chunk, the groups
  and the open tickets, not by the history.
- :meth:`TicketSums.from_sql` has a database compute them: the user's query
  returns canonical columns (:data:`SQL_COLUMNS`), calibrate wraps it in one
  generated ``GROUP BY`` query for the sums and a second one for the open
  tickets. DuckDB is embedded (``duckdb:///history.duckdb``, or ``duckdb://``
  in memory over ``read_parquet('dir/*.parquet')``); any SQLAlchemy URL
  otherwise (``sqlite:///history.db``, ``postgresql://...``).

Recency weights, 0.5 ** (age / half-life), count a ticket's age from the
newest time of the whole table, unknown until the last chunk is read. Sums
weighted relative to any earlier reference r convert exactly to the newest
time N: every weight is multiplied by the same factor 0.5 ** ((N - r) /
half-life). So each chunk is summed relative to its own newest time and the
sums are rescaled to the later one when merged (every factor is at most 1:
nothing overflows), in one pass.

Inside the fit, each (engineer, area, points, clock) group of finished
tickets becomes two design rows, log durations m - s and m + s with
frequency W / 2 each, where W, m and s^2 are the group's weighted count,
mean and variance: their count, sum and sum of squares are the group's, so
every sum the likelihood reads is the tickets' own.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from calibrate.durations import WorkCalendar
from calibrate.errors import InputError, Problem
from calibrate.model import (
    Calibrator,
    Design,
    _AreaPooling,
    _check_finished_count,
    _compare_points_models,
    _pool_areas,
    _warn_thin_counts,
    design_from_codes,
    open_only_area_rows,
    recency_weights,
    warn_open_only_areas,
)
from calibrate.results import CalibrationResult, _area_tables
from calibrate.summary import Summary
from calibrate.tickets import TICKET_COLUMNS, TicketTable, validate_tickets

__all__ = ["SQL_COLUMNS", "TicketChunks", "TicketSums", "read_ticket_chunks"]

#: What identifies a group of finished tickets in the sums.
GROUP_KEYS = ("engineer", "area", "points", "clock")
#: The sums per group (``weighted_*``: with recency weights), then the times
#: the result reports the fitted window from.
SUM_COLUMNS = ("tickets", "log_days", "log_days_squared", "weight", "weighted_log_days",
               "weighted_log_days_squared")
TIME_COLUMNS = {"first_start": "min", "last_finish": "max", "last_created": "max"}
#: What is kept of each open ticket.
OPEN_COLUMNS = ("ticket_id", "title", "engineer", "area", "points", "created_at", "started_at",
                "duration_days", "clock")
#: Columns the query of :meth:`TicketSums.from_sql` returns (canonical names
#: and meanings, see :mod:`calibrate.tickets`); ``title`` may be left out.
SQL_COLUMNS = ("ticket_id", "engineer", "area", "points", "duration_days", "censored",
               "created_at", "started_at", "finished_at", "clock", "title")
_SQL_OPTIONAL = ("title",)
_DAY = pd.Timedelta(days=1)
_PARQUET = (".parquet", ".pq")
_INSTALL_HINT = "Install the SQL support: pip install calibrate[sql]"


def _empty_finished() -> pd.DataFrame:
    string = pd.StringDtype()
    return pd.DataFrame({
        "engineer": pd.Series(dtype=string), "area": pd.Series(dtype=string),
        "points": pd.Series(dtype=float), "clock": pd.Series(dtype=string),
        "tickets": pd.Series(dtype=np.int64),
        **{name: pd.Series(dtype=float) for name in SUM_COLUMNS[1:]},
        **{name: pd.Series(dtype="datetime64[ns]") for name in TIME_COLUMNS},
    })


def _empty_open() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=TICKET_COLUMNS[name]) for name in OPEN_COLUMNS})


def _factor(shift: pd.Timedelta, half_life_days: float | None) -> float:
    """What weights relative to a time multiply by to be relative to ``shift`` later."""
    if half_life_days is None or pd.isna(shift):
        return 1.0
    return float(0.5 ** ((shift / _DAY) / half_life_days))


def _latest(*times) -> pd.Timestamp:
    present = [pd.Timestamp(t) for t in times if not pd.isna(t)]
    return max(present) if present else pd.NaT


@dataclass(frozen=True)
class TicketSums:
    """What the fit reads of a ticket table: sums of the finished tickets per
    (engineer, area, points, clock), and the open tickets one by one.

    Sums merge: ``a + b`` are the sums of both tables (of different tickets).
    Make them with :meth:`from_tickets`, :meth:`from_chunks` or
    :meth:`from_sql`, and fit them with
    :meth:`Calibrator.fit_sums <calibrate.model.Calibrator.fit_sums>`.

    Attributes
    ----------
    finished : DataFrame
        One row per (``engineer``, ``area``, ``points``, ``clock``) group of
        finished tickets: ``tickets``; ``log_days`` and ``log_days_squared``,
        the sums of log working days and of its square; ``weight``,
        ``weighted_log_days``, ``weighted_log_days_squared``, the same with
        recency weights relative to ``newest``; and ``first_start``,
        ``last_finish``, ``last_created``.
    open_tickets : DataFrame
        The open tickets: ticket_id, title, engineer, area, points,
        created_at, started_at, duration_days (so far) and clock.
    newest : Timestamp
        The newest time (created, started or finished) of the tickets, which
        the recency weights count ages from (NaT: no tickets).
    half_life_days : float or None
        The recency half-life the weights were taken with (None: no recency
        weighting); a :class:`~calibrate.model.Calibrator` fits only sums of
        its own half-life.
    rows_read : int
        Rows read, kept or excluded.
    excluded : dict of str to int
        Rows left out, per reason (see :data:`calibrate.tickets.EXCLUSION_REASONS`).
    source : str
        Where the tickets came from (files, or the database without password).
    calendar : WorkCalendar, optional
        The working-day calendar the durations were counted with.
    notes : list of str

    Examples
    --------
    >>> from calibrate import read_export
    >>> from calibrate.streaming import TicketSums
    >>> table = read_export("data/sample/jira_changelog.json",
    ...                     config="data/sample/calibrate.toml")
    >>> tickets = table.tickets
    >>> early, late = tickets.iloc[:300], tickets.iloc[300:]
    >>> sums = TicketSums.from_tickets(early) + TicketSums.from_tickets(late)
    >>> sums.n_tickets == len(tickets), len(sums.open_tickets) == int(tickets["censored"].sum())
    (True, True)
    """

    finished: pd.DataFrame
    open_tickets: pd.DataFrame
    newest: pd.Timestamp
    half_life_days: float | None
    rows_read: int
    excluded: dict[str, int] = field(default_factory=dict)
    source: str = ""
    calendar: WorkCalendar | None = None
    notes: list[str] = field(default_factory=list)

    # -- sizes ---------------------------------------------------------------------
    @property
    def n_finished(self) -> int:
        """Finished tickets."""
        return int(self.finished["tickets"].sum())

    @property
    def n_tickets(self) -> int:
        """Tickets kept: finished and open."""
        return self.n_finished + len(self.open_tickets)

    # -- merging ---------------------------------------------------------------------
    def rebased(self, newest: pd.Timestamp) -> TicketSums:
        """The same sums with recency weights relative to a later time ``newest``.

        Every weight is 0.5 ** (age / half-life), so moving the reference
        later by t days multiplies each by 0.5 ** (t / half-life): the
        weighted sums are rescaled by that one factor.
        """
        newest = pd.Timestamp(newest)
        if not pd.isna(self.newest) and newest < self.newest:
            raise ValueError(f"sums can be rebased only to a later time than {self.newest}, "
                             f"not {newest}")
        factor = _factor(newest - self.newest, self.half_life_days)
        finished = self.finished.copy()
        for name in SUM_COLUMNS[3:]:
            finished[name] = finished[name] * factor
        return dataclasses.replace(self, finished=finished, newest=newest)

    def __add__(self, other: TicketSums) -> TicketSums:
        if not isinstance(other, TicketSums):
            return NotImplemented
        if other.half_life_days != self.half_life_days:
            raise ValueError("sums taken with different half-lives do not merge "
                             f"({self.half_life_days} and {other.half_life_days} days)")
        newest = _latest(self.newest, other.newest)
        parts = [s.rebased(newest).finished for s in (self, other) if len(s.finished)]
        finished = (_merge_groups(pd.concat(parts, ignore_index=True)) if parts
                    else _empty_finished())
        opened = [s.open_tickets for s in (self, other) if len(s.open_tickets)]
        excluded = dict(self.excluded)
        for reason, rows in other.excluded.items():
            excluded[reason] = excluded.get(reason, 0) + rows
        return TicketSums(
            finished=finished,
            open_tickets=(pd.concat(opened, ignore_index=True) if opened
                          else _empty_open()),
            newest=newest, half_life_days=self.half_life_days,
            rows_read=self.rows_read + other.rows_read, excluded=excluded,
            source=" + ".join(s for s in (self.source, other.source) if s),
            calendar=self.calendar or other.calendar,
            notes=list(dict.fromkeys(self.notes + other.notes)))

    # -- making them -----------------------------------------------------------------
    @classmethod
    def from_tickets(cls, tickets: TicketTable | pd.DataFrame, *,
                     half_life_days: float | None = 365.0) -> TicketSums:
        """The sums of one canonical ticket table (a reader's output, or the table).

        ``half_life_days`` must be the calibrator's (default 365, as
        :class:`~calibrate.model.Calibrator`'s); the rows the reader excluded
        are counted per reason.
        """
        if isinstance(tickets, TicketTable):
            sums = cls.from_chunks([tickets.tickets], half_life_days=half_life_days,
                                   source=tickets.path, calendar=tickets.calendar)
            excluded = {str(k): int(v) for k, v in tickets.exclusion_counts().items()}
            return dataclasses.replace(sums, rows_read=tickets.rows_read, excluded=excluded,
                                       notes=list(tickets.notes))
        return cls.from_chunks([tickets], half_life_days=half_life_days)

    @classmethod
    def from_chunks(cls, chunks: Iterable[pd.DataFrame], *,
                    half_life_days: float | None = 365.0, source: str = "",
                    calendar: WorkCalendar | None = None) -> TicketSums:
        """Sum canonical ticket tables one chunk at a time, in one pass.

        Parameters
        ----------
        chunks : iterable of DataFrame
            Canonical ticket tables (each checked against the schema), e.g.
            :func:`read_ticket_chunks` (whose source, calendar and notes are
            taken over). A ticket id may appear in only one chunk.
        half_life_days : float or None
            The calibrator's recency half-life (default 365).
        source : str
            Where the chunks come from, for the summary.
        calendar : WorkCalendar, optional

        Raises
        ------
        InputError
            If a chunk breaks the schema, or a ticket id appears twice.
        """
        checked = isinstance(chunks, TicketChunks)
        if checked:
            source = source or chunks.path
            calendar = calendar or chunks.calendar
        accumulator = _Accumulator(half_life_days)
        for number, chunk in enumerate(chunks):
            if not checked:
                validate_tickets(chunk, origin=f"chunk {number + 1}" + (
                    f" of {source}" if source else ""))
            accumulator.add(chunk)
        accumulator.check_unique(chunks if iter(chunks) is not chunks else None, source)
        sums = accumulator.sums(source=source, calendar=calendar)
        if checked:
            sums = dataclasses.replace(sums, notes=list(chunks.notes))
        return sums

    @classmethod
    def from_sql(cls, query: str, database: str = "duckdb://", *,
                 half_life_days: float | None = 365.0,
                 calendar: WorkCalendar | None = None) -> TicketSums:
        """Have a database compute the sums of the tickets ``query`` returns.

        The query returns one row per ticket with the canonical columns
        :data:`SQL_COLUMNS` (names and meanings as in
        :mod:`calibrate.tickets`; ``title`` may be left out; ``censored`` a
        boolean, or 0/1 where the database has no booleans; times without
        time zone, on the team's wall clock). calibrate runs it as a
        subquery of the queries it generates (identifiers quoted, the
        half-life and the newest time bound as parameters, never pasted in):
        one that counts the rows per exclusion reason and finds the newest
        time, one ``GROUP BY engineer, area, points, clock`` for the sums of
        the finished tickets, one for the open tickets, and one for repeated
        ticket ids. Rows without an engineer (``unassigned``), without points
        (``no points``) or with negative ones (``invalid points``), without a
        start or a duration (``missing date``), with a duration not above 0
        (``negative duration``) or without a ticket id (``no ticket id``)
        are excluded and counted per reason; other breaks of the canonical
        table (an empty area, a clock other than cycle or lead, finished_at
        not empty exactly for finished tickets, or before started_at) are
        errors.

        Parameters
        ----------
        query : str
            A ``SELECT`` (a trailing semicolon is ignored).
        database : str
            ``duckdb://`` (DuckDB in memory, the default: for queries over
            files, e.g. ``FROM read_parquet('history/*.parquet')``),
            ``duckdb:///path.duckdb`` (a DuckDB database file, opened read
            only), or any SQLAlchemy URL (``sqlite:///history.db``,
            ``postgresql://user@host/db``, ...; the driver must be installed).
        half_life_days : float or None
            The calibrator's recency half-life (default 365).
        calendar : WorkCalendar, optional
            The calendar the durations were counted with (recorded in the
            multipliers file).

        Raises
        ------
        InputError
            If DuckDB or SQLAlchemy is missing (``pip install calibrate[sql]``),
            the database cannot be opened, the query fails or lacks columns,
            or rows break the canonical table.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from calibrate import read_export
        >>> from calibrate.io import write_tickets
        >>> from calibrate.streaming import TicketSums
        >>> tickets = read_export("data/sample/jira_changelog.json",
        ...                       config="data/sample/calibrate.toml").tickets
        >>> path = write_tickets(tickets, pathlib.Path(tempfile.mkdtemp()) / "t.parquet")
        >>> sums = TicketSums.from_sql(f"SELECT * FROM read_parquet('{path}')")
        >>> sums.n_tickets == len(tickets)
        True
        """
        return _sums_from_sql(query, database, half_life_days=half_life_days,
                              calendar=calendar)

    # -- reading -----------------------------------------------------------------------
    def summary(self) -> Summary:
        """The account of the rows read, kept and excluded (prints as text), as
        :meth:`TicketTable.summary <calibrate.tickets.TicketTable.summary>`."""
        as_of = "no as-of time" if pd.isna(self.newest) else f"{self.newest:%Y-%m-%d %H:%M}"
        excluded = sum(self.excluded.values())
        lines = [
            f"{self.source or 'tickets'} read as sums: {self.rows_read} rows",
            f"  kept      {self.n_tickets:>6}  ({len(self.open_tickets)} open, "
            f"right-censored at {as_of})",
            f"  excluded  {excluded:>6}",
        ]
        for reason, count in sorted(self.excluded.items(), key=lambda item: -item[1]):
            lines.append(f"    {reason:<22}{count:>6}")
        if self.n_tickets:
            clocks = (self.finished.groupby("clock")["tickets"].sum()
                      .add(self.open_tickets["clock"].value_counts(), fill_value=0)
                      .astype(int).sort_values(ascending=False))
            lines.append("  clock     " + ", ".join(f"{c} {n}" for c, n in clocks.items()))
            engineers = pd.concat([self.finished["engineer"], self.open_tickets["engineer"]])
            areas = pd.concat([self.finished["area"], self.open_tickets["area"]])
            lines.append(f"  engineers {engineers.nunique()}, areas "
                         f"{', '.join(sorted(areas.astype(str).unique()))}")
            lines.append(f"  sums      {len(self.finished)} groups of finished tickets "
                         "(engineer, area, points, clock); open tickets one by one")
        lines.extend(f"  note: {note}" for note in self.notes)
        return Summary(None, before=lines)


def _merge_groups(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of the same group added up (sums added, first and last times kept)."""
    how = {name: "sum" for name in SUM_COLUMNS} | TIME_COLUMNS
    merged = frame.groupby(list(GROUP_KEYS), sort=True, observed=True, dropna=False).agg(how)
    merged = merged.reset_index()
    merged["tickets"] = merged["tickets"].astype(np.int64)
    for name in ("engineer", "area", "clock"):
        merged[name] = merged[name].astype(pd.StringDtype())
    return merged


# --------------------------------------------------------------------------- accumulating

#: Bits of the group key per part: engineer, area, points value, clock.
_KEY_BITS = {"engineer": 36, "area": 12, "points": 14, "clock": 2}
#: The weighted sums, rescaled when the reference time moves.
_WEIGHTED = list(SUM_COLUMNS[3:])


class _Accumulator:
    """Sums of canonical chunks, merged as they come (see the module notes).

    Each key part is coded by a dictionary grown with the values each chunk
    brings; a group is the 64-bit key of its codes. The groups so far are
    arrays sorted by key, with recency weights relative to the newest time
    so far; a chunk's groups (summed relative to its own newest time) are
    added in place, or inserted, after rescaling whichever side is relative
    to the earlier time (by a factor of at most 1). Memory: the groups, one
    chunk, the open tickets and 8 bytes per ticket id.
    """

    def __init__(self, half_life_days: float | None) -> None:
        self.half_life_days = half_life_days
        self.codes: dict[str, dict] = {name: {} for name in GROUP_KEYS}
        self.labels: dict[str, list] = {name: [] for name in GROUP_KEYS}
        self.keys = np.zeros(0, dtype=np.uint64)
        self.values = {name: np.zeros(0) for name in SUM_COLUMNS}
        self.times = {name: np.zeros(0, dtype=np.int64) for name in TIME_COLUMNS}
        self.reference = pd.NaT  # the time the weighted sums are relative to
        self.open: list[pd.DataFrame] = []
        self.hashes: list[np.ndarray] = []
        self.rows = 0
        self.newest = pd.NaT

    def _code(self, name: str, values: pd.Series) -> np.ndarray:
        local, uniques = pd.factorize(values, sort=False)
        known = self.codes[name]
        labels = self.labels[name]
        mapping = np.empty(len(uniques), dtype=np.uint64)
        for index, value in enumerate(uniques):
            code = known.get(value)
            if code is None:
                code = known[value] = len(labels)
                labels.append(value)
            mapping[index] = code
        if len(labels) > 1 << _KEY_BITS[name]:
            raise InputError(f"more than {1 << _KEY_BITS[name]} distinct values of {name}: "
                             "too many to sum by group")
        return mapping[local]

    def add(self, chunk: pd.DataFrame) -> None:
        self.rows += len(chunk)
        if not len(chunk):
            return
        self.hashes.append(pd.util.hash_array(chunk["ticket_id"].to_numpy(dtype=object)))
        newest = _latest(*(chunk[c].max() for c in ("created_at", "started_at", "finished_at")))
        self.newest = _latest(self.newest, newest)
        censored = chunk["censored"].to_numpy(dtype=bool)
        if censored.any():
            self.open.append(chunk.loc[censored, list(OPEN_COLUMNS)].reset_index(drop=True))
        finished = chunk.loc[~censored]
        if not len(finished):
            return
        key = np.zeros(len(finished), dtype=np.uint64)
        for name in GROUP_KEYS:
            key = (key << np.uint64(_KEY_BITS[name])) | self._code(name, finished[name])
        log_days = np.log(finished["duration_days"].to_numpy(dtype=float))
        if self.half_life_days is None:
            weight = np.ones(len(finished))
        else:
            age = ((newest - finished["started_at"]) / _DAY).to_numpy(dtype=float)
            weight = recency_weights(age, self.half_life_days)
        order = np.argsort(key, kind="stable")
        key = key[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        rows = {"tickets": np.ones(len(key)), "log_days": log_days,
                "log_days_squared": log_days * log_days, "weight": weight,
                "weighted_log_days": weight * log_days,
                "weighted_log_days_squared": weight * log_days * log_days}
        values = {name: np.add.reduceat(rows[name] if name == "tickets" else rows[name][order],
                                        starts) for name in SUM_COLUMNS}
        times = {}
        for name, column in (("first_start", "started_at"), ("last_finish", "finished_at"),
                             ("last_created", "created_at")):
            # NaT is the smallest int64: a maximum passes over it (and every
            # ticket has a start, so the minimum never meets one).
            ns = finished[column].to_numpy(dtype="datetime64[ns]").view(np.int64)[order]
            reduce = np.minimum if TIME_COLUMNS[name] == "min" else np.maximum
            times[name] = reduce.reduceat(ns, starts)
        self._merge(key[starts], values, times, newest)

    def _merge(self, keys: np.ndarray, values: dict, times: dict,
               reference: pd.Timestamp) -> None:
        """Add a chunk's groups (sorted by key, weights relative to ``reference``)."""
        if pd.isna(self.reference) or reference > self.reference:
            factor = _factor(reference - self.reference, self.half_life_days)
            for name in _WEIGHTED:
                self.values[name] *= factor
            self.reference = reference
        else:
            factor = _factor(self.reference - reference, self.half_life_days)
            for name in _WEIGHTED:
                values[name] = values[name] * factor
        at = np.searchsorted(self.keys, keys)
        found = at < len(self.keys)
        found[found] = self.keys[at[found]] == keys[found]
        old, new = at[found], ~found
        for name in SUM_COLUMNS:
            self.values[name][old] += values[name][found]
        for name, how in TIME_COLUMNS.items():
            reduce = np.minimum if how == "min" else np.maximum
            self.times[name][old] = reduce(self.times[name][old], times[name][found])
        if new.any():
            where = at[new]
            self.keys = np.insert(self.keys, where, keys[new])
            for name in SUM_COLUMNS:
                self.values[name] = np.insert(self.values[name], where, values[name][new])
            for name in TIME_COLUMNS:
                self.times[name] = np.insert(self.times[name], where, times[name][new])

    def check_unique(self, again: Iterable[pd.DataFrame] | None, source: str) -> None:
        """Every ticket id once (ids compared by 64-bit hash; the ids named
        from a second pass when the chunks can be read again)."""
        if not self.hashes:
            return
        hashes = np.concatenate(self.hashes)
        self.hashes = []
        hashes.sort()
        repeated = np.unique(hashes[1:][hashes[1:] == hashes[:-1]])
        del hashes
        if not len(repeated):
            return
        problems = []
        if again is not None:
            seen: dict[str, int] = {}
            for chunk in again:
                ids = chunk["ticket_id"].to_numpy(dtype=object)
                hit = np.isin(pd.util.hash_array(ids), repeated)
                for ticket in ids[hit]:
                    seen[ticket] = seen.get(ticket, 0) + 1
            problems = [Problem("the ticket id appears on more than one row", file=source or None,
                                column="ticket_id", value=ticket,
                                expected="each ticket once")
                        for ticket, count in seen.items() if count > 1][:20]
        raise InputError(f"{len(repeated)} ticket ids appear on more than one row"
                         + (f" of {source}" if source else ""), problems,
                         hint="Each ticket must appear once: the chunks (files) must not "
                              "overlap.")

    def sums(self, *, source: str, calendar: WorkCalendar | None) -> TicketSums:
        if len(self.keys):
            factor = _factor(self.newest - self.reference, self.half_life_days)
            for name in _WEIGHTED:
                self.values[name] *= factor
            finished = self._decode()
        else:
            finished = _empty_finished()
        opened = (pd.concat(self.open, ignore_index=True) if self.open else _empty_open())
        return TicketSums(finished=finished, open_tickets=opened, newest=self.newest,
                          half_life_days=self.half_life_days, rows_read=self.rows,
                          source=source, calendar=calendar)

    def _decode(self) -> pd.DataFrame:
        key = self.keys
        parts = {}
        for name in reversed(GROUP_KEYS):
            code = (key & np.uint64((1 << _KEY_BITS[name]) - 1)).astype(np.int64)
            labels = np.asarray(self.labels[name], dtype=float if name == "points" else object)
            parts[name] = labels[code]
            key = key >> np.uint64(_KEY_BITS[name])
        frame = pd.DataFrame({
            "engineer": pd.array(parts["engineer"], dtype=pd.StringDtype()),
            "area": pd.array(parts["area"], dtype=pd.StringDtype()),
            "points": parts["points"].astype(float),
            "clock": pd.array(parts["clock"], dtype=pd.StringDtype()),
            **self.values,
            **{name: self.times[name].view("datetime64[ns]") for name in TIME_COLUMNS},
        })
        frame["tickets"] = np.rint(frame["tickets"]).astype(np.int64)
        return frame.sort_values(list(GROUP_KEYS), ignore_index=True)


# --------------------------------------------------------------------------- reading files


def read_ticket_chunks(path: str | Path, *, config=None, chunk_rows: int | None = None,
                       progress: Callable[[int, int], None] | None = None) -> TicketChunks:
    """Open a canonical ticket table on disk for reading in chunks.

    Parameters
    ----------
    path : str or Path
        A canonical CSV (as ``calibrate ingest`` writes it), a Parquet file,
        or a folder of Parquet files (``*.parquet``, ``*.pq``, in subfolders
        too; e.g. one per export or per month): together one table, each
        ticket once.
    config : Config, optional
        The settings; only the calendar is used (recorded in the multipliers
        file), as :func:`calibrate.io.read_canonical` does.
    chunk_rows : int, optional
        Rows per chunk (default 250,000 of Parquet, 100,000 of a CSV, whose
        text cells take more memory).
    progress : callable, optional
        ``progress(done, total)`` after each chunk: bytes of a CSV, rows of
        Parquet files.

    Returns
    -------
    TicketChunks
        Iterate it (as often as needed) for checked canonical tables; pass
        it to :meth:`TicketSums.from_chunks`.

    Raises
    ------
    InputError
        If the path is missing, a folder without Parquet files, or not a
        canonical table (an export must be read whole, or written as a
        canonical table first with ``calibrate ingest``). Broken rows are
        reported while iterating, as :func:`calibrate.io.read_canonical`
        reports them.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from calibrate.io import read_export, write_tickets
    >>> from calibrate.streaming import TicketSums, read_ticket_chunks
    >>> tickets = read_export("data/sample/linear_export.csv").tickets
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_tickets(tickets.iloc[:200], folder / "a.parquet")
    >>> _ = write_tickets(tickets.iloc[200:], folder / "b.parquet")
    >>> chunks = read_ticket_chunks(folder, chunk_rows=100)
    >>> sum(len(chunk) for chunk in chunks) == len(tickets)
    True
    >>> TicketSums.from_chunks(chunks).n_tickets == len(tickets)
    True
    """
    from calibrate.config import Config

    return TicketChunks(Path(path), calendar=(config or Config()).calendar,
                        chunk_rows=chunk_rows, progress=progress)


class TicketChunks:
    """A canonical ticket table on disk, read in chunks (see :func:`read_ticket_chunks`).

    Attributes
    ----------
    path : str
    files : list of Path
        The files, in reading order.
    kind : {"csv", "parquet"}
    calendar : WorkCalendar
    notes : list of str
    """

    def __init__(self, path: Path, *, calendar: WorkCalendar, chunk_rows: int | None,
                 progress: Callable[[int, int], None] | None) -> None:
        if chunk_rows is not None and chunk_rows < 1:
            raise ValueError(f"chunk_rows must be at least 1, not {chunk_rows}")
        self.path = str(path)
        self.calendar = calendar
        self.notes: list[str] = []
        self._progress = progress
        if not path.exists():
            raise InputError(f"{path} does not exist")
        if path.is_dir():
            self.files = sorted(p for p in path.rglob("*")
                                if p.suffix.lower() in _PARQUET and p.is_file())
            if not self.files:
                raise InputError(
                    f"{path} is a folder without Parquet files",
                    hint="Give a folder of canonical tables written as .parquet (calibrate "
                         "ingest EXPORT --out DIR/NAME.parquet), or one file.")
            self.kind = "parquet"
        elif path.suffix.lower() in _PARQUET:
            self.files, self.kind = [path], "parquet"
        else:
            from calibrate.io._csv_read import read_header
            from calibrate.io.canonical import looks_like_canonical

            if not looks_like_canonical(read_header(path)):
                raise InputError(
                    f"{path} is not a canonical ticket table; only the canonical table (CSV "
                    "or Parquet) is read in chunks",
                    hint=f"Write it first: calibrate ingest {path} --out tickets.parquet "
                         "(then fit tickets.parquet).")
            self.files, self.kind = [path], "csv"
        self._chunk_rows = chunk_rows or (100_000 if self.kind == "csv" else 250_000)

    def __iter__(self) -> Iterator[pd.DataFrame]:
        if self.kind == "csv":
            yield from self._csv_chunks(self.files[0])
            return
        import pyarrow.parquet as pq

        total = 0
        handles = []
        for file in self.files:
            try:
                handle = pq.ParquetFile(file)
            except Exception as error:  # pyarrow raises many types for a bad file
                raise InputError(f"{file} is not a readable Parquet file: {error}") from None
            handles.append(handle)
            total += handle.metadata.num_rows
        done = 0
        for file, handle in zip(self.files, handles, strict=True):
            names = handle.schema_arrow.names
            _check_columns(names, str(file))
            self._note_extra(names)
            wanted = [name for name in TICKET_COLUMNS if name in names]
            first = 2  # header = row 1, as read_canonical reports Parquet rows
            for batch in handle.iter_batches(batch_size=self._chunk_rows, columns=wanted):
                table = batch.to_pandas()
                rows = pd.Series(np.arange(first, first + len(table)), index=table.index)
                first += len(table)
                done += len(table)
                yield _checked(table, str(file), rows)
                if self._progress is not None:
                    self._progress(done, total)

    def _csv_chunks(self, path: Path) -> Iterator[pd.DataFrame]:
        from calibrate.io._csv_read import open_csv_export
        from calibrate.io._formulas import restore_formulas

        source = open_csv_export(path, chunk_rows=self._chunk_rows, progress=self._progress)
        names = list(dict.fromkeys(source.header))
        _check_columns(names, str(path))
        self._note_extra(names)
        for note in source.notes:
            if note not in self.notes:
                self.notes.append(note)
        for part in source:
            table = pd.DataFrame({name: restore_formulas(part.column(name))
                                  for name in names if name in TICKET_COLUMNS},
                                 index=part.cells.index)
            rows = pd.Series(part.rows.to_numpy(), index=table.index)
            yield _checked(table, str(path), rows, text=True)
        for note in source.notes:  # (blank lines are known after reading)
            if note not in self.notes:
                self.notes.append(note)

    def _note_extra(self, names: list[str]) -> None:
        extra = [c for c in names if c not in TICKET_COLUMNS]
        note = f"columns not in the canonical table were ignored: {', '.join(extra)}"
        if extra and note not in self.notes:
            self.notes.append(note)


def _check_columns(names: list[str], origin: str) -> None:
    missing = [c for c in TICKET_COLUMNS if c not in names and c != "area_source"]
    if missing:
        raise InputError(
            f"{origin} is not a canonical ticket table",
            [Problem("required column missing", file=origin, column=c) for c in missing],
            hint="Write the table with `calibrate ingest`, or read the export it came from.")


def _checked(table: pd.DataFrame, origin: str, rows: pd.Series, *,
             text: bool = False) -> pd.DataFrame:
    """A chunk in the canonical types, checked as :func:`~calibrate.io.read_canonical`
    checks a whole table (``rows``: file row of each index label)."""
    from calibrate.io.canonical import _check_source_rows, _typed

    if "area_source" not in table.columns:
        table["area_source"] = None  # a table written before the column existed
    table = table[list(TICKET_COLUMNS)]
    if text or any(str(table[name].dtype) != str(dtype)
                   for name, dtype in TICKET_COLUMNS.items()):
        table = _typed(table, origin, rows)
    validate_tickets(table, origin=origin, rows=rows)
    _check_source_rows(table, origin, rows)
    return table.reset_index(drop=True)


# --------------------------------------------------------------------------- the fit


@dataclass(frozen=True)
class SummedDesign:
    """What :meth:`Calibrator.fit_sums <calibrate.model.Calibrator.fit_sums>`
    fits: the design (two rows per group of finished tickets, then the open
    tickets), the pooling of small areas, the table the result reads (one row
    per design row) and the points test."""

    design: Design
    pooling: _AreaPooling
    table: pd.DataFrame
    points_test: Callable[[], dict | None]
    result_type: type
    n_tickets: int


def prepare_summed(sums: TicketSums, calibrator: Calibrator) -> SummedDesign:
    """The steps of :meth:`Calibrator.fit <calibrate.model.Calibrator.fit>` before the
    fit, from sums: checks, warnings, pooling and the design."""
    if sums.half_life_days != calibrator.half_life_days:
        raise InputError(
            f"the sums were taken with a recency half-life of {sums.half_life_days} days, "
            f"the calibrator fits {calibrator.half_life_days}",
            hint="Take the sums with the calibrator's half_life_days.")
    finished, opened = sums.finished, sums.open_tickets
    _check_finished_count(sums.n_finished)
    unfinished = open_only_area_rows(
        np.concatenate([finished["area"].to_numpy(dtype=object),
                        opened["area"].to_numpy(dtype=object)]),
        np.concatenate([np.zeros(len(finished), dtype=bool),
                        np.ones(len(opened), dtype=bool)]))[len(finished):]
    if unfinished.any():
        warn_open_only_areas(opened.loc[unfinished, "area"])
        opened = opened[~unfinished]
    per_engineer = finished.groupby("engineer", observed=True)["tickets"].sum()
    zero_points = (int(finished.loc[finished["points"] == 0, "tickets"].sum())
                   + int((opened["points"] == 0).sum()))
    _warn_thin_counts(per_engineer[per_engineer > 0], zero_points, calibrator.zero_points)
    pooling = _pool_areas(_area_points(finished, opened), calibrator)
    rows = _design_rows(finished, opened, sums)
    engineers = sorted(set(rows["engineer"]))
    areas = sorted(set(rows["area"]))
    design = design_from_codes(
        np.searchsorted(np.asarray(engineers, dtype=object), rows["engineer"]), engineers,
        np.searchsorted(np.asarray(areas, dtype=object), rows["area"]), areas,
        rows["points"], np.exp(rows["log_days"]), rows["censored"], slopes=pooling.slopes,
        reference_points=calibrator.reference_points, zero_points=calibrator.zero_points,
        slope_groups=pooling.slope_groups, weight=rows["weight"])
    design = dataclasses.replace(design, tickets=rows["tickets"])
    params = calibrator.get_params()

    def points_test() -> dict | None:
        return _summed_points_test(finished, design, pooling, Calibrator(**params))

    return SummedDesign(design, pooling, _result_table(rows, finished, opened), points_test,
                        _SummedResult, sums.n_finished + len(opened))


def _area_points(finished: pd.DataFrame, opened: pd.DataFrame) -> pd.DataFrame:
    """:func:`calibrate.model.area_points_counts` from sums."""
    keys = ["area", "points"]
    done = finished.groupby(keys, observed=True)["tickets"].sum()
    still = opened.groupby(keys, observed=True).size()
    counts = pd.DataFrame({"finished": done, "open": still}).fillna(0).astype(np.int64)
    counts.index = pd.MultiIndex.from_arrays(
        [counts.index.get_level_values("area").astype(str).astype(object),
         counts.index.get_level_values("points").astype(float)], names=keys)
    counts = counts.sort_index()
    return pd.DataFrame({"finished": counts["finished"],
                         "total": counts["finished"] + counts["open"]})


def _pseudo_rows(count: np.ndarray, total: np.ndarray,
                 squares: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two values per group, each with frequency count / 2, whose frequency-weighted
    count, sum and sum of squares are the group's: mean -/+ sd."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(count > 0, total / count, 0.0)
        variance = np.where(count > 0, squares / count - mean * mean, 0.0)
    spread = np.sqrt(np.maximum(variance, 0.0))
    return np.concatenate([mean - spread, mean + spread]), np.concatenate([count, count]) / 2


def _design_rows(finished: pd.DataFrame, opened: pd.DataFrame, sums: TicketSums) -> dict:
    """The design's rows: two per group of finished tickets, then one per open ticket."""
    n_groups = len(finished)
    log_days, weight = _pseudo_rows(finished["weight"].to_numpy(dtype=float),
                                    finished["weighted_log_days"].to_numpy(dtype=float),
                                    finished["weighted_log_days_squared"].to_numpy(dtype=float))
    open_log_days = np.log(opened["duration_days"].to_numpy(dtype=float))
    if sums.half_life_days is None:
        open_weight = np.ones(len(opened))
    else:
        age = ((sums.newest - opened["started_at"]) / _DAY).to_numpy(dtype=float)
        open_weight = recency_weights(age, sums.half_life_days)

    def both(column: str) -> np.ndarray:
        values = finished[column].to_numpy(dtype=object if column in ("engineer", "area")
                                           else None)
        return np.concatenate([values, values])

    tickets = finished["tickets"].to_numpy(dtype=float)
    log_days_total = finished["log_days"].to_numpy(dtype=float)
    return {
        "engineer": np.concatenate([both("engineer"),
                                    opened["engineer"].to_numpy(dtype=object)]),
        "area": np.concatenate([both("area"), opened["area"].to_numpy(dtype=object)]),
        "points": np.concatenate([both("points").astype(float),
                                  opened["points"].to_numpy(dtype=float)]),
        "log_days": np.concatenate([log_days, open_log_days]),
        "weight": np.concatenate([weight, open_weight]),
        "censored": np.concatenate([np.zeros(2 * n_groups, dtype=bool),
                                    np.ones(len(opened), dtype=bool)]),
        # The first row of a group stands for its tickets, the second for none.
        "tickets": np.concatenate([tickets, np.zeros(n_groups), np.ones(len(opened))]),
        # Unweighted sums of log days (the result's raw ratios), on the same row.
        "log_days_total": np.concatenate([log_days_total, np.zeros(n_groups),
                                          open_log_days]),
    }


def _result_table(rows: dict, finished: pd.DataFrame, opened: pd.DataFrame) -> pd.DataFrame:
    """One row per design row, with what the result reads of a ticket table."""
    string = pd.StringDtype()
    n_groups = len(finished)

    def both(column: str) -> np.ndarray:
        values = finished[column].to_numpy()
        return np.concatenate([values, values])

    table = pd.DataFrame({
        "ticket_id": pd.array([None] * (2 * n_groups), dtype=string),
        "title": pd.array([None] * (2 * n_groups), dtype=string),
        "engineer": pd.array(rows["engineer"][:2 * n_groups], dtype=string),
        "area": pd.array(rows["area"][:2 * n_groups], dtype=string),
        "points": rows["points"][:2 * n_groups],
        "created_at": both("last_created"),
        "started_at": both("first_start"),
        "finished_at": both("last_finish"),
        "duration_days": np.exp(rows["log_days"][:2 * n_groups]),
        "censored": np.zeros(2 * n_groups, dtype=bool),
        "clock": pd.array(np.concatenate([finished["clock"].to_numpy(dtype=object)] * 2),
                          dtype=string),
    })
    open_rows = opened.assign(finished_at=pd.Series(pd.NaT, index=opened.index,
                                                    dtype="datetime64[ns]"),
                              censored=True)[list(table.columns)]
    table = pd.concat([table, open_rows], ignore_index=True)
    table["log_days_total"] = rows["log_days_total"]
    return table


def _summed_points_test(finished: pd.DataFrame, design: Design, pooling: _AreaPooling,
                        calibrator: Calibrator) -> dict | None:
    """:func:`calibrate.model._points_test` from the unweighted sums of the finished tickets."""
    levels = finished.groupby("area", observed=True)["points"].nunique()
    if pooling.slopes == "assumed" or (levels < 3).all():
        return None
    log_days, frequency = _pseudo_rows(finished["tickets"].to_numpy(dtype=float),
                                       finished["log_days"].to_numpy(dtype=float),
                                       finished["log_days_squared"].to_numpy(dtype=float))
    engineer = np.concatenate([finished["engineer"].to_numpy(dtype=object)] * 2)
    area = np.concatenate([finished["area"].to_numpy(dtype=object)] * 2)
    engineers, areas = sorted(set(engineer)), sorted(set(area))
    coded = {"engineer_codes": np.searchsorted(np.asarray(engineers, dtype=object), engineer),
             "engineers": engineers,
             "area_codes": np.searchsorted(np.asarray(areas, dtype=object), area),
             "areas": areas,
             "points": np.concatenate([finished["points"].to_numpy(dtype=float)] * 2),
             "duration_days": np.exp(log_days), "censored": np.zeros(len(log_days), bool),
             "reference_points": design.reference_points, "zero_points": design.zero_points,
             "weight": frequency}
    linear = design_from_codes(**coded, slopes=pooling.slopes,
                               slope_groups=pooling.slope_groups)
    category = design_from_codes(**coded, points_as_category=True)
    return _compare_points_models(linear, category, pooling, calibrator,
                                  int(finished["tickets"].sum()))


class _SummedResult(CalibrationResult):
    """The result of a fit from sums: the tables that count tickets count the
    tickets each design row stands for (``design.tickets``), and the raw ratios
    read the groups' unweighted sums of log days."""

    def __init__(self, design_fit, design, tickets: pd.DataFrame, **settings) -> None:
        super().__init__(design_fit, design, tickets, **settings)
        self.n_tickets = int(design.tickets.sum())

    @cached_property
    def _counts(self) -> dict[str, np.ndarray]:
        design = self._design
        finished = ~design.censored

        def count(codes: np.ndarray, rows: np.ndarray, size: int) -> np.ndarray:
            return np.rint(np.bincount(codes[rows], weights=design.tickets[rows],
                                       minlength=size)).astype(np.int64)

        n_engineers, n_cells = len(design.engineers), len(design.cell_engineer)
        return {
            "engineer_finished": count(design.engineer, finished, n_engineers),
            "engineer_open": count(design.engineer, ~finished, n_engineers),
            "cell_finished": count(design.cell, finished, n_cells),
            "cell_open": count(design.cell, ~finished, n_cells),
        }

    @cached_property
    def _raw_ratios(self) -> tuple[np.ndarray, np.ndarray]:
        fit, design, counts = self._fit, self._design, self._counts
        finished = ~design.censored
        fixed_part = design.patterns[design.pattern] @ fit.beta
        if self._assumed:  # the elasticity-1 offset the design took off log days
            fixed_part = fixed_part + design.log_points(design.pattern_points[design.pattern])
        total = self._tickets["log_days_total"].to_numpy(dtype=float)
        residual = np.where(finished, total - design.tickets * fixed_part, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            engineer = np.exp(np.bincount(design.engineer, residual, len(design.engineers))
                              / counts["engineer_finished"])
            cell = np.exp(np.bincount(design.cell, residual, len(design.cell_engineer))
                          / counts["cell_finished"])
        return engineer, cell

    @cached_property
    def _area_tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        elasticity, areas = _area_tables(self._fit, self._design, self._slope_columns,
                                         self._assumed)
        design = self._design
        finished = ~design.censored

        def count(rows: np.ndarray) -> np.ndarray:
            return np.rint(np.bincount(design.area[rows], weights=design.tickets[rows],
                                       minlength=len(design.areas))).astype(np.int64)

        return elasticity, areas.assign(n_finished=count(finished), n_open=count(~finished))

    @cached_property
    def multipliers(self):
        multipliers = CalibrationResult.multipliers.func(self)
        records = multipliers.records.copy()
        population = (records["scope"] == "population").to_numpy()
        records.loc[population, "n_finished"] = int(self._counts["engineer_finished"].sum())
        return dataclasses.replace(multipliers, records=records)


# --------------------------------------------------------------------------- SQL


def _sums_from_sql(query: str, database: str, *, half_life_days: float | None,
                   calendar: WorkCalendar | None) -> TicketSums:
    query = _strip_query(query)
    with _Database.open(database) as connection:
        columns = connection.columns(query)
        lowered = {name.lower(): name for name in columns}
        missing = [c for c in SQL_COLUMNS if c not in lowered and c not in _SQL_OPTIONAL]
        if missing:
            raise InputError(
                f"the query returns no column {', '.join(missing)}",
                [Problem("required column missing", file=connection.shown, column=c,
                         expected="the canonical column of that name") for c in missing],
                hint=f"The query must return the columns {', '.join(SQL_COLUMNS)} (title may "
                     "be left out): alias them, e.g. SELECT assignee AS engineer, ...")
        sql = _Sql(connection, query, {c: lowered.get(c) for c in SQL_COLUMNS})
        account = connection.frame(sql.account())
        kept = account[account["reason"].isna()]
        broken = account[account["reason"].notna()
                         & account["reason"].astype(str).str.startswith("!")]
        if len(broken):
            raise InputError(
                f"rows the query returned break the canonical ticket table "
                f"({int(broken['row_count'].sum())} rows)",
                [Problem(_BROKEN[str(reason)], file=connection.shown, column=str(reason)[1:],
                         value=f"{int(rows)} rows")
                 for reason, rows in zip(broken["reason"], broken["row_count"], strict=True)],
                hint="Fix the query: see the README's 'Canonical ticket table' section.")
        excluded = {str(reason): int(rows) for reason, rows in
                    zip(account["reason"], account["row_count"], strict=True)
                    if not pd.isna(reason)}
        rows_read = int(account["row_count"].sum())
        if not len(kept) or int(kept["row_count"].iloc[0]) == 0:
            newest, newest_day = pd.NaT, 0.0
        else:
            bounds = kept.iloc[0]
            newest = _latest(*(_timestamp(bounds[f"newest_{c}"])
                               for c in ("created_at", "started_at", "finished_at")))
            newest_day = max(float(bounds[f"day_{c}"])
                             for c in ("created_at", "started_at", "finished_at")
                             if not pd.isna(bounds[f"day_{c}"]))
        parameters = ({} if half_life_days is None
                      else {"newest_day": newest_day, "half_life": half_life_days})
        repeated = connection.frame(sql.repeated())
        if len(repeated):
            raise InputError(
                "ticket ids appear on more than one row of the query's result",
                [Problem("the ticket id appears more than once", file=connection.shown,
                         column="ticket_id", value=str(ticket), expected="each ticket once")
                 for ticket in repeated["ticket_id"]],
                hint="Return one row per ticket (e.g. SELECT DISTINCT, or the latest "
                     "version of each ticket).")
        finished = connection.frame(sql.sums(weighted=half_life_days is not None), parameters)
        opened = connection.frame(sql.open_tickets())
    return TicketSums(
        finished=_typed_sums(finished), open_tickets=_typed_open(opened), newest=newest,
        half_life_days=half_life_days, rows_read=rows_read, excluded=excluded,
        source=connection.shown, calendar=calendar)


#: What a check of the canonical table that a query's row breaks means.
_BROKEN = {
    "!area": "the area is empty",
    "!censored": "censored is empty",
    "!clock": "the clock is not 'cycle' or 'lead'",
    "!finished_at": "finished_at is empty for a finished ticket, set for an open one, or "
                    "before started_at",
}


def _strip_query(query: str) -> str:
    text = str(query).strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    if not text:
        raise InputError("the query is empty", hint="Give a SELECT returning the tickets.")
    return text


def _timestamp(value) -> pd.Timestamp:
    if value is None or pd.isna(value):
        return pd.NaT
    stamp = pd.Timestamp(value)
    return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp


def _times(values: pd.Series) -> np.ndarray:
    if not pd.api.types.is_datetime64_any_dtype(values):
        values = pd.to_datetime(values, format="ISO8601")
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    return values.astype("datetime64[ns]").to_numpy()


def _typed_sums(frame: pd.DataFrame) -> pd.DataFrame:
    string = pd.StringDtype()
    typed = pd.DataFrame({
        "engineer": frame["engineer"].astype(str).astype(string),
        "area": frame["area"].astype(str).astype(string),
        "points": frame["points"].astype(float),
        "clock": frame["clock"].astype(str).astype(string),
        "tickets": frame["tickets"].astype(np.int64),
        **{name: frame[name].astype(float) for name in SUM_COLUMNS[1:]},
        **{name: _times(frame[name]) for name in TIME_COLUMNS},
    })
    return typed.sort_values(list(GROUP_KEYS), ignore_index=True) if len(typed) else (
        _empty_finished())


def _typed_open(frame: pd.DataFrame) -> pd.DataFrame:
    if not len(frame):
        return _empty_open()
    string = pd.StringDtype()
    return pd.DataFrame({
        "ticket_id": frame["ticket_id"].astype(str).astype(string),
        "title": frame["title"].astype(string),
        "engineer": frame["engineer"].astype(str).astype(string),
        "area": frame["area"].astype(str).astype(string),
        "points": frame["points"].astype(float),
        "created_at": _times(frame["created_at"]),
        "started_at": _times(frame["started_at"]),
        "duration_days": frame["duration_days"].astype(float),
        "clock": frame["clock"].astype(str).astype(string),
    })


class _Database:
    """A connection the generated queries run on: DuckDB itself, or SQLAlchemy."""

    def __init__(self, kind: str, connection, shown: str, dialect: str, quote) -> None:
        self.kind = kind
        self.connection = connection
        self.shown = shown
        self.dialect = dialect
        self.quote = quote

    @classmethod
    def open(cls, url: str) -> _Database:
        url = str(url).strip()
        if url.split(":", 1)[0].lower() == "duckdb":
            return cls._duckdb(url)
        return cls._sqlalchemy(url)

    @classmethod
    def _duckdb(cls, url: str) -> _Database:
        try:
            import duckdb
        except ImportError:
            raise InputError(f"--database {url} needs DuckDB, which is not installed",
                             hint=_INSTALL_HINT) from None
        match = re.fullmatch(r"duckdb://(/?)(.*)", url, flags=re.IGNORECASE)
        if match is None:
            raise InputError(f"{url!r} is not a DuckDB URL",
                             hint="Give duckdb:// (in memory) or duckdb:///path/to/file.duckdb.")
        path = match.group(2)
        try:
            if path in ("", ":memory:"):
                connection = duckdb.connect(":memory:")
            else:
                if not Path(path).is_file():
                    raise InputError(f"the DuckDB database {path} does not exist",
                                     hint="Give an existing file: duckdb:///path/history.duckdb "
                                          "(relative), duckdb:////abs/path.duckdb (absolute).")
                connection = duckdb.connect(path, read_only=True)
        except duckdb.Error as error:
            raise InputError(f"cannot open the DuckDB database {path}: {error}") from None

        def quote(name: str) -> str:
            return '"' + name.replace('"', '""') + '"'

        return cls("duckdb", connection, url, "duckdb", quote)

    @classmethod
    def _sqlalchemy(cls, url: str) -> _Database:
        try:
            import sqlalchemy
        except ImportError:
            raise InputError(f"--database {url.split(':', 1)[0]}://... needs SQLAlchemy, which "
                             "is not installed", hint=_INSTALL_HINT) from None
        try:
            engine = sqlalchemy.create_engine(url)
        except (sqlalchemy.exc.ArgumentError, ValueError) as error:
            raise InputError(f"{url.split('@')[-1]!r} is not a database URL: {error}",
                             hint="Give e.g. duckdb:///history.duckdb, sqlite:///history.db or "
                                  "postgresql://user@host/database.") from None
        except ImportError as error:
            raise InputError(f"the database driver is not installed: {error}",
                             hint="Install the driver SQLAlchemy names for this URL (e.g. "
                                  "psycopg for postgresql://).") from None
        shown = engine.url.render_as_string(hide_password=True)
        if engine.dialect.name == "sqlite":
            database = engine.url.database
            if database not in (None, "", ":memory:") and not Path(database).is_file():
                raise InputError(f"the SQLite database {database} does not exist")
        try:
            connection = engine.connect()
        except sqlalchemy.exc.SQLAlchemyError as error:
            raise InputError(f"cannot connect to {shown}: {_first_line(error)}") from None
        if engine.dialect.name == "sqlite":
            _sqlite_math(connection)
        preparer = engine.dialect.identifier_preparer
        return cls("sqlalchemy", connection, shown, engine.dialect.name,
                   preparer.quote_identifier)

    def __enter__(self) -> _Database:
        return self

    def __exit__(self, *exc) -> None:
        self.connection.close()

    def parameter(self, name: str) -> str:
        return f"${name}" if self.kind == "duckdb" else f":{name}"

    def frame(self, sql: str, parameters: dict | None = None) -> pd.DataFrame:
        """The rows of one generated query."""
        try:
            if self.kind == "duckdb":
                return self.connection.execute(sql, parameters or {}).df()
            import sqlalchemy

            result = self.connection.execute(sqlalchemy.text(sql), parameters or {})
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        except Exception as error:  # each driver raises its own types
            if isinstance(error, InputError):
                raise
            raise InputError(f"the query failed in {self.shown}: {_first_line(error)}",
                             hint="Check that the query runs on its own in that database, "
                                  "and returns the canonical columns.") from None

    def columns(self, query: str) -> list[str]:
        """The names of the columns the query returns."""
        frame = self.frame(f"SELECT * FROM ({query}) AS calibrate_query LIMIT 0")
        return [str(name) for name in frame.columns]


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _sqlite_math(connection) -> None:
    """SQLite without its math functions (a compile option): the two the sums use."""
    import sqlalchemy

    try:
        connection.execute(sqlalchemy.text("SELECT ln(2.0), power(0.5, 2.0)"))
    except sqlalchemy.exc.OperationalError:
        raw = connection.connection.driver_connection
        raw.create_function("ln", 1, math.log, deterministic=True)
        raw.create_function("power", 2, math.pow, deterministic=True)


#: A timestamp as fractional days since some origin, per database.
_DAYS = {
    "duckdb": "(epoch_us(CAST({} AS TIMESTAMP)) / 86400000000.0)",
    "sqlite": "julianday({})",
    "mysql": "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01', {}) / 86400000000.0)",
    "mariadb": "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01', {}) / 86400000000.0)",
    "mssql": "(CAST(DATEDIFF_BIG(MICROSECOND, '1970-01-01', {}) AS FLOAT) / 86400000000.0)",
}
_DAYS_STANDARD = "(EXTRACT(EPOCH FROM {}) / 86400.0)"


class _Sql:
    """The queries calibrate generates around the user's (identifiers quoted,
    values bound as parameters)."""

    def __init__(self, database: _Database, query: str, names: dict[str, str | None]) -> None:
        self.database = database
        self.query = query
        self.column = {canonical: database.quote(name) for canonical, name in names.items()
                       if name is not None}
        self.has_title = names.get("title") is not None

    def _classified(self) -> str:
        """The user's rows, each with its exclusion reason (NULL: kept; a reason
        starting with ! breaks the canonical table)."""
        c = self.column

        def text(name: str) -> str:  # (ids may be numbers: compare their text with '')
            return f"CAST({c[name]} AS VARCHAR(1000))"

        reason = f"""CASE
            WHEN {c['ticket_id']} IS NULL OR {text('ticket_id')} = '' THEN 'no ticket id'
            WHEN {c['engineer']} IS NULL OR {text('engineer')} = '' THEN 'unassigned'
            WHEN {c['points']} IS NULL THEN 'no points'
            WHEN {c['points']} < 0 THEN 'invalid points'
            WHEN {c['started_at']} IS NULL OR {c['duration_days']} IS NULL THEN 'missing date'
            WHEN {c['duration_days']} <= 0 THEN 'negative duration'
            WHEN {c['area']} IS NULL OR {text('area')} = '' THEN '!area'
            WHEN {c['censored']} IS NULL THEN '!censored'
            WHEN {c['clock']} IS NULL OR {c['clock']} NOT IN ('cycle', 'lead') THEN '!clock'
            WHEN {c['censored']} AND {c['finished_at']} IS NOT NULL THEN '!finished_at'
            WHEN NOT {c['censored']} AND {c['finished_at']} IS NULL THEN '!finished_at'
            WHEN {c['finished_at']} < {c['started_at']} THEN '!finished_at'
            END"""
        title = c["title"] if self.has_title else "CAST(NULL AS VARCHAR(1000))"
        selected = ", ".join(f"{c[name]} AS {self.database.quote(name)}"
                             for name in SQL_COLUMNS if name != "title")
        return (f"SELECT {selected}, {title} AS {self.database.quote('title')}, "
                f"{reason} AS calibrate_reason FROM ({self.query}) AS calibrate_query")

    def _q(self, name: str) -> str:
        return self.database.quote(name)

    def account(self) -> str:
        """Rows per exclusion reason; for the kept ones, the newest times."""
        q = self._q
        newest = ", ".join(
            f"MAX({q(c)}) AS newest_{c}, MAX({self._days_of(c)}) AS day_{c}"
            for c in ("created_at", "started_at", "finished_at"))
        return (f"SELECT calibrate_reason AS reason, COUNT(*) AS row_count, {newest} "
                f"FROM ({self._classified()}) AS calibrate_rows GROUP BY calibrate_reason")

    def _days_of(self, column: str) -> str:
        return _DAYS.get(self.database.dialect, _DAYS_STANDARD).format(self._q(column))

    def repeated(self) -> str:
        q = self._q
        return (f"SELECT {q('ticket_id')} AS ticket_id FROM ({self._classified()}) AS "
                f"calibrate_rows WHERE calibrate_reason IS NULL GROUP BY {q('ticket_id')} "
                f"HAVING COUNT(*) > 1 ORDER BY {q('ticket_id')} LIMIT 20")

    def sums(self, *, weighted: bool) -> str:
        """One GROUP BY: the sums of the finished tickets per (engineer, area, points,
        clock), weights 0.5 ** ((newest - start) / half-life) in days."""
        q = self._q
        p = self.database.parameter
        keys = ", ".join(q(k) for k in GROUP_KEYS)
        weight = (f"POWER(0.5, ({p('newest_day')} - {self._days_of('started_at')}) / "
                  f"{p('half_life')})" if weighted else "1.0")
        rows = (f"SELECT {keys}, {q('started_at')}, {q('finished_at')}, {q('created_at')}, "
                f"LN({q('duration_days')}) AS y, {weight} AS w "
                f"FROM ({self._classified()}) AS calibrate_rows "
                f"WHERE calibrate_reason IS NULL AND NOT {q('censored')}")
        return (f"SELECT {keys}, COUNT(*) AS tickets, SUM(y) AS log_days, "
                f"SUM(y * y) AS log_days_squared, SUM(w) AS weight, "
                f"SUM(w * y) AS weighted_log_days, SUM(w * y * y) AS weighted_log_days_squared, "
                f"MIN({q('started_at')}) AS first_start, MAX({q('finished_at')}) AS last_finish, "
                f"MAX({q('created_at')}) AS last_created "
                f"FROM ({rows}) AS calibrate_finished GROUP BY {keys}")

    def open_tickets(self) -> str:
        q = self._q
        columns = ", ".join(q(c) for c in OPEN_COLUMNS)
        return (f"SELECT {columns} FROM ({self._classified()}) AS calibrate_rows "
                f"WHERE calibrate_reason IS NULL AND {q('censored')}")

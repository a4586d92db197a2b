"""From a reader's staging table to the canonical ticket table.

Each reader only translates its export into a *staging table* with the
columns below (any it cannot fill may be missing); everything that must be
the same for every tracker — points scales, areas, working-day durations,
censoring, the as-of time and the accounting of excluded rows — happens
here, once.

Staging columns
---------------
source_row (int, required), ticket_id, title, description (str: the
beginning of the ticket's description, staged only when ``[areas] classify``
is on, read only by its text classifier and removed once areas are assigned;
see :data:`~calibrate.io._reader.DESCRIPTION_CHARS`), engineer,
issue_type, labels, components, epic, team, sprints, status, resolution,
area_raw (str: the area when an export names it), points_raw (str: the
estimate cell),
points_at_start (float: replayed from history, NaN when unknown), repointed
(bool), created_at, started_at, finished_at, updated_at (timestamps, naive
local or UTC-aware), finished_has_time (bool: False for date-only cells),
state (``done`` / ``open`` / ``not_done``), work_started (bool: for open
tickets, whether work has begun), problem_reason / problem_detail (str: a row
the reader already knows is unusable, e.g. an unreadable date).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from calibrate.areas import apply_area_rules, classify_areas, default_area_note
from calibrate.config import Config
from calibrate.durations import to_team_time
from calibrate.errors import InputError
from calibrate.io._dates import parse_timestamps
from calibrate.io._values import TEXT, WHITESPACE, arrow_text, per_distinct
from calibrate.tickets import (
    EXCLUSION_COLUMNS,
    EXCLUSION_REASONS,
    TICKET_COLUMNS,
    TicketTable,
    validate_tickets,
)

__all__ = ["assemble_tickets", "mark_problem", "parse_date_columns"]

_TEXT_COLUMNS = (
    "ticket_id", "title", "description", "engineer", "issue_type", "labels", "components",
    "epic", "team", "sprints", "status", "resolution", "area_raw", "points_raw",
)
_TIME_COLUMNS = ("created_at", "started_at", "finished_at", "updated_at")
_FLAGS = ("problem_reason", "problem_detail")
_CLOCKS = pd.array(["cycle", "lead"], dtype=TEXT)
_NUMBER = re.compile(r"^\s*[+-]?(\d+([.,]\d*)?|[.,]\d+)\s*$")
_WHITESPACE = WHITESPACE  # (what str.strip() removes)


def mark_problem(staging: pd.DataFrame, mask: np.ndarray | pd.Series, reason: str,
                 detail: pd.Series | str) -> None:
    """Record ``reason`` on the rows in ``mask`` that have no problem yet."""
    if reason not in EXCLUSION_REASONS:
        raise ValueError(f"unknown exclusion reason {reason!r}")
    if "problem_reason" not in staging:
        staging["problem_reason"] = pd.Series(None, index=staging.index, dtype="object")
        staging["problem_detail"] = pd.Series(None, index=staging.index, dtype="object")
    mask = np.asarray(mask, dtype=bool) & staging["problem_reason"].isna().to_numpy()
    if not mask.any():
        return
    staging.loc[mask, "problem_reason"] = reason
    if isinstance(detail, pd.Series):
        staging.loc[mask, "problem_detail"] = detail[mask].astype(str)
    else:
        staging.loc[mask, "problem_detail"] = detail


def parse_date_columns(
    staging: pd.DataFrame,
    cells: Mapping[str, pd.Series],
    *,
    file: str,
    assume_utc: bool = False,
) -> list[str]:
    """Parse raw date cells into staging columns, marking unreadable cells.

    Parameters
    ----------
    staging : DataFrame
        The staging table; gets one column per entry of ``cells``, plus
        ``finished_has_time`` when ``finished_at`` is among them.
    cells : mapping of staging column -> (export column name, raw cells)
        Keyed by staging name (``created_at`` ...); values are Series whose
        ``name`` is the export's column name.
    file : str
        The export, for messages.
    assume_utc : bool
        Naive cells are UTC (GitLab) rather than local (Jira).

    Returns
    -------
    list of str
        Notes on the formats found.
    """
    notes = []
    rows = staging["source_row"].to_numpy()
    for target, raw in cells.items():
        column = str(raw.name)
        parsed = parse_timestamps(raw, column=column, file=file, rows=rows, assume_utc=assume_utc)
        # (The array, not to_numpy(): that makes time-zone-aware times Python objects.)
        staging[target] = parsed.values.array
        if target == "finished_at":
            staging["finished_has_time"] = parsed.has_time
        if parsed.unreadable.any():
            # The unreadable cells only, each distinct one written once.
            unreadable = raw.iloc[np.flatnonzero(parsed.unreadable)].astype("object").astype(str)
            detail = pd.Series(None, index=staging.index, dtype="object")
            where = f"column {column!r}: "
            detail[parsed.unreadable] = per_distinct(
                unreadable, lambda value, where=where, fmt=parsed.format:
                f"{where}{value!r} is not a date in the column's format ({fmt})").to_numpy()
            mark_problem(staging, parsed.unreadable, "unparseable date", detail)
        if parsed.format and parsed.format != "ISO 8601":
            notes.append(f"dates in {column!r} read as {parsed.format}")
    return notes


def assemble_tickets(
    staging: pd.DataFrame,
    *,
    config: Config,
    source_format: str,
    path: str,
    as_of: pd.Timestamp | str | None = None,
    notes: list[str] | None = None,
) -> TicketTable:
    """Turn a reader's staging table into a validated :class:`TicketTable`.

    Every staging row ends up either in ``tickets`` or in ``excluded`` with
    one reason from :data:`calibrate.tickets.EXCLUSION_REASONS`. The staging's
    ``description`` column is removed once areas are assigned: descriptions
    can be long, and nothing else reads them.
    """
    notes = list(notes or [])
    frame = _complete(staging)
    calendar = config.calendar
    for column in _TIME_COLUMNS:
        frame[column] = to_team_time(frame[column], calendar.timezone)
    as_of = _resolve_as_of(frame, as_of, calendar.timezone, path)
    exclusions = _Exclusions(frame)
    measured = _measure(frame, exclusions, as_of, config)
    kept = exclusions.reason.isna()
    notes += _duration_notes(frame, measured, kept, config)
    area, area_source = _assign_areas(frame, config, kept, notes)
    del frame["description"]
    if "description" in staging:
        del staging["description"]
    canonical = pd.DataFrame(
        {
            "ticket_id": frame["ticket_id"],
            "title": frame["title"],
            "engineer": frame["engineer"],
            "area": area,
            "area_source": area_source,
            "points": measured.points,
            "repointed": measured.repointed,
            "issue_type": frame["issue_type"],
            "labels": frame["labels"],
            "components": frame["components"],
            "epic": frame["epic"],
            "sprints": frame["sprints"],
            "status": frame["status"],
            "created_at": frame["created_at"],
            "started_at": measured.start,
            "finished_at": measured.finish.where(~measured.censored),
            "duration_days": measured.duration.clip(lower=config.minimum_duration_days),
            "censored": measured.censored,
            "clock": measured.clock,
            "source_row": frame["source_row"].astype("int64"),
        }
    )
    kept_rows = kept.to_numpy()
    tickets = _by_row(_typed(canonical if kept_rows.all() else canonical[kept_rows],
                             TICKET_COLUMNS))
    excluded = canonical[~kept_rows].assign(
        reason=exclusions.reason[~kept], detail=exclusions.detail[~kept]
    )
    # Excluded rows keep what could be read; values that made no sense stay empty.
    excluded.loc[excluded["reason"].isin(["negative duration", "missing date"]),
                 "duration_days"] = np.nan
    excluded = _by_row(_typed(excluded, EXCLUSION_COLUMNS))
    validate_tickets(tickets, origin=f"ticket table read from {path}")
    return TicketTable(
        tickets=tickets,
        excluded=excluded,
        rows_read=len(staging),
        source_format=source_format,
        path=str(path),
        as_of=as_of,
        notes=notes,
        calendar=calendar,
    )


def _by_row(table: pd.DataFrame) -> pd.DataFrame:
    """The rows in the order of the file (stable), numbered from 0; readers
    stage rows in that order, so usually no row moves (and nothing is copied)."""
    if not table["source_row"].is_monotonic_increasing:
        table = table.sort_values("source_row", kind="stable")
    return table.reset_index(drop=True)


class _Exclusions:
    """The exclusion reason and detail of every row (None: kept so far); a
    row keeps the first reason it is given."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.reason = frame["problem_reason"].astype("object")
        self.detail = frame["problem_detail"].astype("object")
        self._undecided = self.reason.isna().to_numpy().copy()  # (no reason yet)

    def exclude(self, mask: pd.Series | np.ndarray, why: str,
                text: Callable[[pd.Series], pd.Series] | str) -> pd.Series:
        """Exclude the rows in ``mask`` not excluded yet; ``text`` gives the
        detail of the selected rows (computed for those rows only). Returns
        the rows excluded now."""
        now = np.asarray(mask, dtype=bool) & self._undecided
        mask = pd.Series(now, index=self.reason.index)
        if now.any():
            self.reason[mask] = why
            self.detail[mask] = text if isinstance(text, str) else text(mask)
            self._undecided &= ~now
        return mask


@dataclass
class _Measured:
    """What :func:`_measure` found, per row."""

    state: pd.Series
    points: pd.Series
    repointed: pd.Series
    clock: pd.Series
    start: pd.Series
    finish: pd.Series
    censored: pd.Series
    duration: pd.Series
    quick: pd.Series


def _measure(frame: pd.DataFrame, exclusions: _Exclusions, as_of: pd.Timestamp,
             config: Config) -> _Measured:
    """Each ticket's state, points and clock at ``as_of``, excluding the rows
    that cannot be measured, in the order of the README's row accounting."""
    ticket_id = frame["ticket_id"]
    exclusions.exclude(ticket_id.isna(), "no ticket id", "empty key column")

    def first_seen(rows: pd.Series) -> pd.Series:
        first_row = frame.groupby("ticket_id", sort=False)["source_row"].transform("first")
        return ("ticket " + ticket_id[rows].astype(str) + " first seen at row "
                + first_row[rows].astype("Int64").astype(str))

    exclusions.exclude(ticket_id.notna() & ticket_id.duplicated(keep="first"),
                       "duplicate ticket id", first_seen)

    # Work done after the as-of time is not known yet: such tickets are open
    # at as-of (lets a backtest cut history at any time).
    finished_later = (frame["state"] == "done") & (frame["finished_at"] > as_of)
    finished = frame["finished_at"].where(~finished_later)
    state = frame["state"].where(~finished_later, "open")
    started = frame["started_at"].where(frame["started_at"] <= as_of)
    # Work had started by as-of when a start before it is known; without a
    # recorded start (lead clock), when the reader saw the ticket in progress
    # or it was finished only after as-of.
    work_started = started.notna() | (frame["started_at"].isna() & (
        frame["work_started"].fillna(False).astype(bool) | finished_later))

    resolution = frame["resolution"].fillna("")
    status = frame["status"]
    exclusions.exclude(state == "not_done", "not finished work",
                       lambda rows: "closed as " + resolution[rows].where(
                           resolution[rows] != "", status[rows].fillna("?")))
    exclusions.exclude(frame["created_at"] > as_of, "not started",
                       f"created after the as-of time {as_of}")
    exclusions.exclude((state == "open") & ~work_started, "not started",
                       lambda rows: "open, status " + status[rows].fillna("?").astype(str))
    exclusions.exclude(frame["engineer"].isna(), "unassigned", "no assignee")
    points, points_reason, points_detail = _read_points(frame, config)
    for reason in ("no points", "invalid points"):
        exclusions.exclude(points_reason == reason, reason, lambda rows: points_detail[rows])

    # The clock: start of work when known ("cycle"), else creation ("lead").
    clock = pd.Series(_CLOCKS.take(np.where(started.notna(), 0, 1)), index=frame.index)
    start = started.where(started.notna(), frame["created_at"])
    exclusions.exclude(start.isna(), "missing date",
                       "neither a start of work nor a creation time")
    exclusions.exclude((state == "done") & finished.isna(), "missing date",
                       "done, but no resolution/completion time")
    # A date-only finish means "some time that day": count the whole day.
    finish = finished.where(
        frame["finished_has_time"].fillna(True).astype(bool), finished + pd.Timedelta(days=1)
    )
    censored = state == "open"
    finish = finish.where(~censored, as_of)
    duration = pd.Series(config.calendar.working_days_between(start, finish), index=frame.index)
    # Compare the times, not the working days: a finish before the start on a
    # weekend is 0 working days but still backwards.
    exclusions.exclude((finish < start) | (duration < 0), "negative duration",
                       lambda rows: "from " + start[rows].astype(str) + " to "
                       + finish[rows].astype(str))
    quick = exclusions.exclude(
        _closed_within_minutes(start, finish, state, frame["finished_has_time"], config),
        "closed within minutes",
        lambda rows: _closed_within_detail(start[rows], finish[rows], clock[rows], config))
    return _Measured(state=state, points=points,
                     repointed=frame["repointed"].fillna(False).astype(bool), clock=clock,
                     start=start, finish=finish, censored=censored, duration=duration,
                     quick=quick)


def _duration_notes(frame: pd.DataFrame, measured: _Measured, kept: pd.Series,
                    config: Config) -> list[str]:
    """Notes on the kept tickets' durations: closed within minutes, raised to
    the minimum, on the lead clock, re-pointed."""
    notes: list[str] = []
    _note_closed_within_minutes(notes, int(measured.quick.sum()),
                                int((kept & (measured.state == "done")).sum()), config)
    short = kept & (measured.duration < config.minimum_duration_days)
    if short.any():
        notes.append(
            f"{int(short.sum())} ticket(s) took less than {config.minimum_duration_days:.3g} "
            "working days (e.g. worked only on a weekend, or closed soon after they were "
            "opened); their duration was raised to that minimum"
        )
    lead = kept & (measured.clock == "lead")
    if lead.any():
        notes.append(
            f"{int(lead.sum())} of {int(kept.sum())} tickets have no start-of-work time in "
            "the export: their duration is lead time (created to done), labelled clock=lead"
        )
    if (kept & measured.repointed).any():
        notes.append(f"{int((kept & measured.repointed).sum())} tickets were re-pointed after "
                     "work started; the estimate at the start of work is used")
    return notes


def _closed_within_minutes(start: pd.Series, finish: pd.Series, state: pd.Series,
                           finished_has_time: pd.Series, config: Config) -> pd.Series:
    """Finished tickets whose measured clock ran for less than
    ``config.closed_within_minutes`` wall-clock minutes.

    Parameters
    ----------
    start, finish : Series of datetime
        Start of the measured clock (creation for lead time, start of work for
        cycle time) and the finish, on the team's wall clock.
    state : Series of str
        ``done`` / ``open`` / ``not_done`` at the as-of time; only ``done``
        rows can qualify (an open ticket has not been closed at all).
    finished_has_time : Series of bool
        False for a date-only finish, which has no time of day to measure
        minutes with; such rows never qualify.
    config : Config
        ``closed_within_minutes``; 0 turns the rule off.

    Returns
    -------
    Series of bool
        True for the rows to exclude as ``closed within minutes``.

    Notes
    -----
    Wall-clock time, not working days: five minutes on a Saturday are still
    five minutes. The comparison is strict and exact to the nanosecond, so a
    ticket done exactly ``closed_within_minutes`` after it began is kept. The
    times are the team's wall clock: across a daylight-saving change the
    difference is off by the shift (as it is for ``negative duration``).
    """
    limit = config.closed_within_minutes
    if not limit > 0:
        return pd.Series(False, index=start.index)
    with_time = finished_has_time.fillna(True).astype(bool)
    elapsed = finish - start
    return (state == "done") & with_time & (elapsed < pd.Timedelta(minutes=limit))


def _closed_within_detail(start: pd.Series, finish: pd.Series, clock: pd.Series,
                          config: Config) -> pd.Series:
    """The ``detail`` of a ticket excluded as ``closed within minutes``."""
    minutes = pd.Series(np.char.mod("%.1f", ((finish - start).dt.total_seconds() / 60)
                                    .to_numpy(dtype=float)), index=start.index, dtype=TEXT)
    since = clock.map({"lead": "it was created", "cycle": "work started"})
    return ("done " + minutes + " minutes after " + since + " (wall clock; [durations] "
            f"closed_within_minutes = {config.closed_within_minutes:g})")


#: Above this share of finished tickets closed within minutes, a reader note
#: asks the user to look (the real teams measured had 0-3%).
CLOSED_WITHIN_MINUTES_NOTE_SHARE = 0.10


def _note_closed_within_minutes(notes: list[str], quick: int, finished_kept: int,
                                config: Config) -> None:
    """Add a note when many finished tickets were closed within minutes.

    Parameters
    ----------
    notes : list of str
        The reading's notes; appended to in place.
    quick : int
        Tickets excluded as ``closed within minutes``.
    finished_kept : int
        Finished tickets kept; with ``quick`` they are the finished tickets
        that passed every other check (the share's denominator).
    config : Config
        For the limit in the message.
    """
    finished = quick + finished_kept
    if not finished or quick / finished <= CLOSED_WITHIN_MINUTES_NOTE_SHARE:
        return
    limit = f"{config.closed_within_minutes:g}"
    notes.append(
        f"{quick} of {finished} finished tickets ({quick / finished:.0%}) were done within "
        f"{limit} minutes of being created or started and are excluded as 'closed within "
        "minutes': check whether your team creates tickets for bookkeeping (records of work "
        "done elsewhere, follow-ups closed at once); the excluded rows list them, and "
        f"[durations] closed_within_minutes = 0 keeps them (now {limit})"
    )


def _complete(staging: pd.DataFrame) -> pd.DataFrame:
    """A copy with every staging column present and text cleaned."""
    frame = staging.reset_index(drop=True).copy()
    for column in _TEXT_COLUMNS + ("state", "problem_reason", "problem_detail"):
        if column not in frame:
            frame[column] = None
        # The ticket's own text and its state stay Arrow strings (compared
        # without a Python object per row); the reader's flags, mostly empty,
        # are Python strings.
        frame[column] = _clean_text(frame[column], arrow=column not in _FLAGS)
    frame["state"] = frame["state"].astype(TEXT)
    for column in _TIME_COLUMNS:
        if column not in frame:
            frame[column] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    for column, default in (("points_at_start", np.nan), ("repointed", False),
                            ("finished_has_time", True), ("work_started", False)):
        if column not in frame:
            frame[column] = default
    if frame["state"].isna().any() or not frame["state"].dropna().isin(
            ["done", "open", "not_done"]).all():
        raise ValueError("reader bug: staging 'state' must be done/open/not_done on every row")
    return frame


def _clean_text(values: pd.Series, *, arrow: bool = False) -> pd.Series:
    """Cells as ``str(cell).strip()``, with missing and empty cells missing:
    with ``arrow``, Arrow strings (the ticket table's string dtype, ``<NA>``),
    else Python strings and None (object dtype). Vectorised: Arrow trims
    exactly the characters ``str.strip()`` does."""
    if arrow:
        try:
            text = arrow_text(values)
            trimmed = pc.utf8_trim(text, characters=_WHITESPACE)
        except (pa.ArrowException, UnicodeError):  # e.g. a lone surrogate
            pass
        else:
            # Nothing trimmed (as long as before): the staging's own strings are
            # kept, not a copy of them.
            if _bytes(trimmed) != _bytes(text):
                text = trimmed
            empty = pc.equal(text, "")
            if pc.any(empty).as_py():
                text = pc.if_else(empty, pa.scalar(None, text.type), text)
            return pd.Series(pd.arrays.ArrowStringArray(text), index=values.index)
    present = values.notna().to_numpy()
    result = np.full(len(values), None, dtype=object)
    if present.any():
        cells = values[present]
        if not isinstance(cells.dtype, pd.StringDtype):
            cells = cells.to_numpy(dtype=object)
            if pd.api.types.infer_dtype(cells, skipna=False) != "string":
                cells = np.array([str(cell) for cell in cells], dtype=object)
        try:
            text = pa.array(cells, type=pa.string())
            if isinstance(text, pa.ChunkedArray):
                text = text.combine_chunks()
            text = pc.utf8_trim(text, characters=_WHITESPACE)
        except (pa.ArrowException, UnicodeError):  # e.g. a lone surrogate
            stripped = np.array([str(cell).strip() for cell in cells], dtype=object)
        else:
            # One Python string per distinct value, shared by the rows that
            # hold it (most columns repeat a few values: a fraction of the memory).
            encoded = text.dictionary_encode()
            distinct = encoded.dictionary.to_numpy(zero_copy_only=False)
            stripped = distinct[encoded.indices.to_numpy(zero_copy_only=False)]
        stripped[stripped == ""] = None
        result[present] = stripped
    return pd.Series(result, index=values.index, dtype="object")


def _bytes(text: pa.ChunkedArray) -> int:
    """The length of all the strings together, in bytes."""
    return pc.sum(pc.binary_length(text)).as_py() or 0


def _resolve_as_of(frame: pd.DataFrame, as_of, timezone: str, path: str) -> pd.Timestamp:
    if as_of is not None:
        try:
            stamp = pd.Timestamp(as_of)
        except (ValueError, TypeError):
            raise InputError(
                f"--as-of {as_of!r} is not a time",
                hint="Give a time like 2024-06-30 or 2024-06-30T18:00.",
            ) from None
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert(timezone).tz_localize(None)
        return stamp
    latest = pd.Series([frame[c].max() for c in _TIME_COLUMNS]).max()  # (no concatenation)
    if pd.isna(latest):
        raise InputError(f"{path} has no readable dates at all, so no as-of time can be set",
                         hint="Check the export's date columns, or pass --as-of.")
    return pd.Timestamp(latest)


def _read_points(frame: pd.DataFrame, config: Config) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Points per row, and the reason/detail where there are none usable."""
    raw = frame["points_raw"]
    replayed = pd.to_numeric(frame["points_at_start"], errors="coerce")
    text = raw.fillna("").astype(str).str.strip(_WHITESPACE)
    # Estimates repeat a few values: each distinct one is read once (as
    # Python strings: str.lower() below is Python's).
    codes, distinct = pd.factorize(text)
    unique = pd.Series(distinct, dtype="object")
    numeric = unique.str.match(_NUMBER)
    unique_values = pd.to_numeric(unique.where(numeric).str.replace(",", ".", regex=False),
                                  errors="coerce")
    values = unique_values.take(codes).set_axis(frame.index)
    scale = config.points_scale
    if scale:
        mapped = unique.str.lower().map(scale).take(codes).set_axis(frame.index)
        values = values.where(values.notna(), mapped)
    values = replayed.where(replayed.notna(), values)
    reason = pd.Series(None, index=frame.index, dtype="object")
    detail = pd.Series(None, index=frame.index, dtype="object")
    empty = (text == "") & replayed.isna()
    reason[empty] = "no points"
    detail[empty] = "estimate is empty"
    invalid = ~empty & (values.isna() | (values < 0) | ~np.isfinite(values.fillna(0)))
    reason[invalid] = "invalid points"
    hint = (f"a number >= 0 or one of {', '.join(scale)}" if scale
            else "a number >= 0 (map sizes like S/M/L in [points] scale)")
    detail[invalid] = per_distinct(text[invalid],
                                   lambda value: f"estimate {value!r} is not {hint}")
    return values.astype(float), reason, detail


def _assign_areas(frame: pd.DataFrame, config: Config, kept: pd.Series,
                  notes: list[str]) -> tuple[pd.Series, pd.Series]:
    """Area per row, and where it came from (``area_source``): an explicit
    column, else the first matching rule, else (``[areas] classify``) the
    text classifier when it is sure enough, else the default. Notes on the
    classifier, and on a table whose every ticket is in the default area,
    are added to ``notes``."""
    explicit = frame["area_raw"]
    by_rule = apply_area_rules(frame, config.area_rules)
    # (The few areas as Arrow strings once each, taken row by row.)
    codes, areas = pd.factorize(by_rule)
    area = explicit.where(explicit.notna(), pd.Series(
        pd.array(list(areas), dtype=explicit.dtype).take(codes, allow_fill=True),
        index=frame.index))
    source = pd.Series(np.select([explicit.notna().to_numpy(), by_rule.notna().to_numpy()],
                                 ["column", "rule"], "default"), index=frame.index, dtype=object)
    if config.area_classify:
        area = area.astype("object").where(area.notna(), None)
        decided = source != "default"
        # A repeated ticket id is the same ticket: learned from once.
        trainable = frame["ticket_id"].notna() & ~frame["ticket_id"].duplicated(keep="first")
        classification = classify_areas(frame[["title", "description"]], area, decided,
                                        threshold=config.area_classify_threshold,
                                        trainable=trainable)
        given = classification.areas.notna()
        area = area.where(~given, classification.areas)
        source[given] = "classifier"
        notes.append(classification.note(
            decided=int((kept & decided).sum()), assigned=int((kept & given).sum()),
            remaining=int((kept & ~decided & ~given).sum()), default=config.area_default))
    note = default_area_note(source[kept], config.area_default, rules=len(config.area_rules))
    if note:
        notes.append(note)
    return area.fillna(config.area_default), source


def _typed(frame: pd.DataFrame, columns: Mapping[str, object]) -> pd.DataFrame:
    result = {}
    for name, dtype in columns.items():
        values = frame[name]
        if dtype == "bool":
            values = values.fillna(False).astype(bool)
        elif dtype == "int64":
            values = values.astype("int64")
        elif isinstance(dtype, pd.StringDtype):
            if isinstance(values.dtype, pd.StringDtype):  # (Arrow to Arrow: no copy per cell)
                values = values.astype(dtype)
            else:
                values = values.astype("object").where(values.notna(), None).astype(dtype)
        else:
            values = values.astype(dtype)
        result[name] = values
    return pd.DataFrame(result, index=frame.index)

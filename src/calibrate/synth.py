"""A seeded, synthetic ticket history of a small ML team, with its ground truth.

The bundled sample data in ``data/sample/`` is written by this module, so
that every number in it can be traced back to a known model, and tests can
check that ``calibrate`` recovers what went in. The history follows the
model of the method guide::

    log d = a[area] + b[area]·log p + u[engineer] + v[engineer, area] + e
    e ~ N(0, s[area]^2)

where ``d`` is the working days from start of work to done and ``p`` the
points at the start of work. The engineer effects ``u`` and ``v`` are
*designed* profiles (a researcher who is fast on research and slow on data
engineering, a data engineer the reverse, a fast senior, a new hire, ...)
rather than random draws; ticket noise ``e`` is drawn per ticket.

The history is generated once, as a table of tickets with their full status
and points history, and then rendered into the formats that real trackers
export (Jira CSV, Jira REST JSON with changelog, Linear CSV). The writers
only render: every date, re-pointing and status move is decided by
:func:`generate_team_history`.

Run ``python -m calibrate.synth DIRECTORY [--seed N]`` to write the sample.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd

from calibrate.durations import WorkCalendar

__all__ = [
    "AREAS",
    "DEFAULT_AS_OF",
    "LINEAR_HEADER",
    "SAMPLE_FILES",
    "SimulatedTable",
    "SyntheticHistory",
    "generate_team_history",
    "simulate_tickets",
    "write_jira_csv",
    "write_jira_json",
    "write_linear_csv",
    "write_sample",
    "write_truth",
]

#: The work areas of the synthetic team, in a fixed order.
AREAS: tuple[str, ...] = ("research", "ml-engineering", "data-engineering")

#: Linear's CSV export header, column for column.
LINEAR_HEADER: tuple[str, ...] = (
    "ID", "Team", "Title", "Description", "Status", "Estimate", "Priority", "Project ID",
    "Project", "Creator", "Assignee", "Labels", "Cycle Number", "Cycle Name", "Cycle Start",
    "Cycle End", "Created", "Updated", "Started", "Triaged", "Completed", "Canceled",
    "Archived", "Due Date", "Parent issue", "Initiatives", "Project Milestone ID",
    "Project Milestone", "SLA Status", "Roadmaps",
)

DEFAULT_AS_OF = pd.Timestamp("2026-10-30 18:00")

# --------------------------------------------------------------------------
# Design of the team and of the population model
# --------------------------------------------------------------------------

# Per area: a (log working days of a 1-point ticket for an average engineer),
# b (elasticity of duration in points; b < 1 as in real studies) and s (ticket
# noise). exp(a) ≈ 1 day for 1 point, exp(a + b·log 3) ≈ 2 days for 3 points.
_POPULATION = {
    "research": {"a": 0.05, "b": 0.55, "s": 0.62},
    "ml-engineering": {"a": 0.00, "b": 0.62, "s": 0.50},
    "data-engineering": {"a": -0.05, "b": 0.68, "s": 0.46},
}


@dataclass(frozen=True)
class _Engineer:
    name: str
    profile: str
    # Designed median multipliers per area (research, ml-eng, data-eng) before
    # centring; the stored truth is the centred version.
    target_multipliers: tuple[float, float, float]
    area_mix: tuple[float, float, float]
    tickets: int
    # Of ``tickets``, how many were pulled into the current sprint and started
    # in its days before as_of: the work in flight at the export.
    current_sprint_tickets: int
    joined: str | None = None


_TEAM = (
    _Engineer("Priya Raman", "researcher: fast on research, slow on data engineering",
              (0.70, 1.00, 1.80), (0.60, 0.30, 0.10), 115, 4),
    _Engineer("Tomasz Kowalczyk", "data engineer: fast on pipelines, slow on research",
              (1.80, 1.30, 0.70), (0.10, 0.25, 0.65), 110, 4),
    _Engineer("Daniel Okafor", "generalist, close to the team average everywhere",
              (1.00, 0.95, 1.05), (0.34, 0.33, 0.33), 105, 4),
    _Engineer("Zoë Müller", "senior, fast everywhere",
              (0.65, 0.60, 0.70), (0.30, 0.40, 0.30), 100, 4),
    _Engineer("Marcus Lindqvist", "ML engineer: fast on serving and training infrastructure",
              (1.15, 0.70, 0.95), (0.20, 0.60, 0.20), 110, 4),
    _Engineer("Aiko Tanaka", "new hire, joined two months before the end of the history",
              (1.50, 1.35, 1.45), (0.20, 0.50, 0.30), 8, 2, joined="2026-09-01"),
    _Engineer("Rafael Souza", "part-timer with few tickets",
              (1.10, 1.20, 0.90), (0.50, 0.20, 0.30), 15, 1),
)

_LEAD = "Ines Carvalho"  # reports most tickets; not an engineer in the model

_HISTORY_MONTHS = 18
_SPRINTS_IN_HISTORY = 40  # the last one is the current sprint
_LAST_SPRINT_NUMBER = 51
_POINT_SCALE = (1.0, 2.0, 3.0, 5.0, 8.0, 13.0)
_POINT_WEIGHTS = (0.24, 0.30, 0.25, 0.16, 0.05)  # over 1, 2, 3, 5, 8

# Counts of the special ticket kinds, as shares of all tickets.
_UNASSIGNED_WORKED = 3
_NOT_DONE_SHARE = 0.04
_BACKLOG_SHARE = 0.05
_NO_POINTS_SHARE = 0.02
_REPOINTED_SHARE = 0.10
_CREATED_IN_PROGRESS_SHARE = 0.03
_PAUSE_SHARE = 0.04
_REOPEN_SHARE = 0.03
_REVIEW_SHARE = 0.35

# Before this date the project was company-managed and stored points in
# "Story Points"; after the migration, in "Story point estimate".
_POINTS_FIELD_SWITCH = pd.Timestamp("2025-12-01")

_WORKDAY_START_MS = (8 * 60 + 30) * 60_000
_WORKDAY_LENGTH_MS = 9 * 3_600_000
_MS_PER_DAY = 86_400_000

_STATUS_CATEGORY = {"To Do": "To Do", "In Progress": "In Progress", "In Review": "In Progress",
                    "Done": "Done"}

_EPICS = (
    ("Ranking model v3", "research"),
    ("Uncertainty estimates for demand forecasts", "research"),
    ("LLM-assisted labelling study", "research"),
    ("Causal uplift experiments", "research"),
    ("Online inference latency", "ml-engineering"),
    ("Model registry and promotion", "ml-engineering"),
    ("GPU training cluster migration", "ml-engineering"),
    ("Feature store migration", "data-engineering"),
    ("Event pipeline reliability", "data-engineering"),
    ("Warehouse cost reduction", "data-engineering"),
)

_AREA_LABELS = {
    "research": ("research", "experiment"),
    "ml-engineering": ("ml-eng", "serving"),
    "data-engineering": ("pipeline", "etl"),
}
_NOISE_LABELS = ("tech-debt", "q3-okr", "customer-request", "flaky", "needs-design")
_AREA_COMPONENTS = {
    "research": ("Modeling",),
    "ml-engineering": ("Platform", "Modeling"),
    "data-engineering": ("Data", "Platform"),
}
_AREA_ISSUE_TYPES = {
    "research": (("Spike", "Story", "Task", "Bug"), (0.45, 0.30, 0.20, 0.05)),
    "ml-engineering": (("Story", "Task", "Bug", "Spike"), (0.40, 0.30, 0.25, 0.05)),
    "data-engineering": (("Task", "Story", "Bug", "Spike"), (0.40, 0.30, 0.27, 0.03)),
}
_PRIORITIES = (("Medium", "High", "Low", "Highest"), (0.62, 0.22, 0.13, 0.03))
_LINEAR_PRIORITY = {"Highest": "Urgent", "High": "High", "Medium": "Medium", "Low": "Low"}

_TITLE_TEMPLATES = {
    "research": (
        "Evaluate {model} on the {dataset} holdout",
        "Ablation: drop {feature} from {model}",
        "Spike: can {method} replace {model}?",
        "Reproduce the {dataset} baseline from last quarter",
        "Calibrate prediction intervals of {model}",
        "Write up results of the {method} experiment",
        "Error analysis of {model} on long-tail items",
    ),
    "ml-engineering": (
        "Serve {model} behind the {service}",
        "Add latency and drift monitoring to the {service}",
        "Batch inference job for {model}",
        "Promote {model} through the model registry",
        "Fix flaky integration test in the {service}",
        "Cache embeddings for the {service}",
        "Port {model} training to the GPU cluster",
    ),
    "data-engineering": (
        "Backfill {table} for {period}",
        "Fix late-arriving rows in {table}",
        "Migrate {table} to the feature store",
        "Add data quality checks to {table}",
        "Deduplicate events in {table}",
        "Partition {table} by event date",
        "Reduce warehouse cost of the {table} job",
    ),
}
_TITLE_WORDS = {
    "model": ("the ranking model", "the demand forecaster", "the churn classifier",
              "the embedding model", "the uplift model", "the anomaly detector"),
    "dataset": ("Q2", "EU", "cold-start", "holiday-season", "2025"),
    "feature": ("price features", "session features", "the text embedding", "recency features"),
    "method": ("conformal prediction", "gradient boosting", "a two-tower model",
               "quantile regression"),
    "service": ("recommendation API", "scoring service", "search ranker", "batch scorer"),
    "table": ("events_daily", "orders_clean", "sessions_enriched", "item_features",
              "user_profiles"),
    "period": ("2024", "the last 90 days", "Q1", "March"),
}
# Titles starting with =, +, - or @ exercise Linear's formula escaping.
_FORMULA_LIKE_TITLES = (
    ("data-engineering", "-1 day offset in partition dates of events_daily"),
    ("research", "@Zoë: rerun the calibration sweep on the holdout"),
    ("ml-engineering", "+15% p99 latency after the scoring service upgrade"),
)

_LINEAR_TEAM = "Machine Learning"
_PROJECT_KEY = "ML"
_PROJECT_NAME = "Machine Learning"
_FIRST_TICKET_NUMBER = 101
_FIRST_ISSUE_ID = 31_000
_SPRINT_FIRST_ID = 200

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, eq=False)
class SyntheticHistory:
    """A generated ticket history, its ground truth and its calendar.

    Attributes
    ----------
    tickets : pandas.DataFrame
        One row per ticket, in creation order: ``ticket_id`` (``"ML-101"``
        ...), ``title``, ``engineer`` (``None`` if unassigned), ``area``,
        ``issue_type``, ``labels``, ``components`` and ``sprints`` (lists of
        str), ``epic`` (or ``None``), ``status``, ``status_category``,
        ``resolution`` (``None`` unless done), ``points_at_start`` and
        ``points_final`` (NaN if never estimated), ``created_at``,
        ``started_at`` (NaT if never started), ``finished_at`` (NaT unless
        finished work), ``updated_at``, ``true_duration_days`` (NaN if not
        started or not finished work; set for open tickets, whose finish lies
        after ``as_of``), ``description``, ``kind`` (``"finished"``,
        ``"open"``, ``"backlog"``, ``"not_done"``), ``repointed``,
        ``resolved_at``, ``reporter``, ``priority``, ``status_changes`` (list
        of ``(timestamp, from_status, to_status)``; ``from_status`` is
        ``None`` for the creation) and ``points_changes`` (list of
        ``(timestamp, from_points, to_points)``; ``from_points`` is ``None``
        for the first estimate). Timestamps are naive, on the team's wall
        clock, to the millisecond.
    truth : dict
        The parameters the history was generated from (JSON-ready).
    calendar : WorkCalendar
        The working-day calendar durations are counted in.
    """

    tickets: pd.DataFrame
    truth: dict
    calendar: WorkCalendar


# --------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------


def generate_team_history(
    seed: int = 7,
    *,
    as_of: pd.Timestamp = DEFAULT_AS_OF,
    calendar: WorkCalendar | None = None,
) -> SyntheticHistory:
    """Generate about 18 months of a small ML team's ticket history.

    Seven engineers with designed strengths work tickets in three areas
    (:data:`AREAS`), estimated in Fibonacci points. Each started ticket's
    working-day duration is drawn from the log-linear mixed model with the
    stored ground truth; its finish is placed exactly that many working days
    after its start, so ``calendar.working_days_between(started_at,
    finished_at)`` returns the true duration. Tickets whose finish would
    fall after ``as_of`` are still open (right-censored). The history also
    holds backlog tickets, tickets closed as not finished work (Won't Do,
    Duplicate, Cannot Reproduce), unassigned and unpointed tickets, and
    tickets re-pointed after work started (whose duration follows the points
    at the start).

    Open tickets are few (about 2 %): with ~600 tickets over 18 months and a
    mean duration under two working days, only a handful are in flight at
    any moment, even with the current sprint's commitment started in its
    first days. Because a working day counts 24 hours, finishes (and
    in-between status moves) can fall at night on working days.

    Parameters
    ----------
    seed : int
        Seed of the random generator; the same seed gives the same history.
    as_of : pandas.Timestamp
        The moment of the export, a naive timestamp on the team's wall clock.
    calendar : WorkCalendar, optional
        Working days and time zone; defaults to Germany, Europe/Berlin.

    Returns
    -------
    SyntheticHistory

    Examples
    --------
    >>> from calibrate.synth import generate_team_history
    >>> history = generate_team_history(seed=7)
    >>> history.tickets["ticket_id"].iloc[0]
    'ML-101'
    >>> sorted(history.tickets["area"].unique())
    ['data-engineering', 'ml-engineering', 'research']
    >>> len(history.tickets), int((history.tickets["kind"] == "finished").sum())
    (622, 553)
    >>> round(history.truth["engineer_area_multipliers"]["Priya Raman|research"], 2)
    0.66
    """
    calendar = calendar or WorkCalendar(country="DE", timezone="Europe/Berlin")
    as_of = pd.Timestamp(as_of)
    rng = np.random.default_rng(seed)
    truth_effects = _engineer_effects()
    sprints = _sprint_calendar(as_of)
    busdays = _busday_calendar(calendar, sprints["start"].iloc[0].year - 1, as_of.year + 1)

    worked = _worked_tickets(rng, as_of, calendar, busdays, sprints, truth_effects)
    n_worked = len(worked)
    # Shares of backlog and not-done tickets refer to the total, which these
    # tickets are part of: n_total = n_worked / (1 - shares).
    n_total = round(n_worked / (1.0 - _NOT_DONE_SHARE - _BACKLOG_SHARE))
    not_done = _not_done_tickets(rng, round(_NOT_DONE_SHARE * n_total), as_of, busdays, sprints)
    backlog = _backlog_tickets(rng, round(_BACKLOG_SHARE * n_total), as_of, busdays, sprints)
    tickets = pd.concat([worked, not_done, backlog], ignore_index=True)

    _remove_points(rng, tickets)
    _add_descriptive_fields(rng, tickets)
    tickets = _finalise(rng, tickets, as_of, calendar)
    truth = _truth(truth_effects, seed, as_of, calendar, tickets)
    return SyntheticHistory(tickets=tickets, truth=truth, calendar=calendar)


def _engineer_effects() -> dict[str, Any]:
    """Split the designed multipliers into centred u (engineer) and v (engineer×area).

    Centring u over engineers and v over both engineers and areas keeps the
    truth identifiable: a[area] stays the average engineer's log duration.
    """
    log_targets = np.log([engineer.target_multipliers for engineer in _TEAM])
    grand = log_targets.mean()
    row = log_targets.mean(axis=1) - grand
    column = log_targets.mean(axis=0) - grand
    v = log_targets - grand - row[:, None] - column[None, :]
    u = row
    names = [engineer.name for engineer in _TEAM]
    return {
        "u": {name: float(round(u[i], 6)) for i, name in enumerate(names)},
        "v": {
            f"{name}|{area}": float(round(v[i, j], 6))
            for i, name in enumerate(names)
            for j, area in enumerate(AREAS)
        },
        # Root mean square of the designed effects: the spread a fitted su, sv
        # should come close to.
        "su": float(round(math.sqrt(float(np.mean(u**2))), 6)),
        "sv": float(round(math.sqrt(float(np.mean(v**2))), 6)),
    }


def _sprint_calendar(as_of: pd.Timestamp) -> pd.DataFrame:
    """Two-week sprints, the last one running at ``as_of``."""
    current_start = (as_of.normalize() - pd.Timedelta(days=as_of.day_of_week))
    starts = [
        current_start - pd.Timedelta(days=14 * k)
        for k in range(_SPRINTS_IN_HISTORY - 1, -1, -1)
    ]
    numbers = range(_LAST_SPRINT_NUMBER - _SPRINTS_IN_HISTORY + 1, _LAST_SPRINT_NUMBER + 1)
    return pd.DataFrame(
        {
            "number": list(numbers),
            "name": [f"ML Sprint {n}" for n in numbers],
            "start": pd.to_datetime(starts).astype("datetime64[ns]"),
            "end": pd.to_datetime([s + pd.Timedelta(days=14) for s in starts]).astype(
                "datetime64[ns]"
            ),
        }
    )


def _busday_calendar(calendar: WorkCalendar, first_year: int, last_year: int) -> np.busdaycalendar:
    holidays = np.array(calendar.holidays_between(first_year, last_year), dtype="datetime64[D]")
    return np.busdaycalendar(weekmask=calendar.weekmask, holidays=holidays)


def _working_days(first: pd.Timestamp, last: pd.Timestamp, busdays) -> np.ndarray:
    days = np.arange(
        np.datetime64(first.normalize(), "D"), np.datetime64(last.normalize(), "D") + 1
    )
    return days[np.is_busday(days, busdaycal=busdays)]


def _at_working_hour(days: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random moments between 08:30 and 17:30 on the given days, to the millisecond."""
    offsets = rng.integers(0, _WORKDAY_LENGTH_MS, size=len(days)) + _WORKDAY_START_MS
    return days.astype("datetime64[ms]") + offsets.astype("timedelta64[ms]")


def _start_day_pool(first: pd.Timestamp, as_of: pd.Timestamp, busdays) -> np.ndarray:
    # A day qualifies if its whole working window lies before as_of.
    last = as_of.normalize()
    if as_of < last + pd.Timedelta(milliseconds=_WORKDAY_START_MS + _WORKDAY_LENGTH_MS):
        last -= pd.Timedelta(days=1)
    return _working_days(first, last, busdays)


def _draw_points(rng: np.random.Generator, size: int) -> np.ndarray:
    return rng.choice(np.array(_POINT_SCALE[:5]), size=size, p=np.array(_POINT_WEIGHTS))


def _worked_tickets(rng, as_of, calendar, busdays, sprints, effects) -> pd.DataFrame:
    """Tickets someone started: finished or still open at ``as_of``."""
    window_start = sprints["start"].iloc[0]
    engineers, areas, starts = [], [], []
    for engineer in _TEAM:
        first = window_start
        if engineer.joined:
            first = max(window_start, pd.Timestamp(engineer.joined))
        # Starts spread evenly over the engineer's time in the team, plus the
        # current sprint's commitment; whether a ticket is still open then
        # follows from its drawn duration alone.
        current = _start_day_pool(sprints["start"].iloc[-1], as_of, busdays)
        earlier = _start_day_pool(first, sprints["start"].iloc[-1] - pd.Timedelta(days=1), busdays)
        recent = engineer.current_sprint_tickets
        days = np.sort(np.concatenate([
            rng.choice(earlier, size=engineer.tickets - recent, replace=True),
            rng.choice(current, size=recent, replace=True),
        ]))
        starts.append(_at_working_hour(days, rng))
        areas.append(rng.choice(np.array(AREAS), size=engineer.tickets, p=engineer.area_mix))
        engineers.extend([engineer.name] * engineer.tickets)
    # A few tickets were worked by someone who never assigned themselves.
    pool = _start_day_pool(window_start, as_of, busdays)
    starts.append(_at_working_hour(np.sort(rng.choice(pool, size=_UNASSIGNED_WORKED)), rng))
    areas.append(rng.choice(np.array(AREAS), size=_UNASSIGNED_WORKED))
    engineers.extend([None] * _UNASSIGNED_WORKED)

    started = pd.Series(np.concatenate(starts).astype("datetime64[ns]"))
    area = np.concatenate(areas)
    n = len(started)
    points = _draw_points(rng, n)
    effect = np.array(
        [
            0.0 if name is None else effects["u"][name] + effects["v"][f"{name}|{a}"]
            for name, a in zip(engineers, area, strict=True)
        ]
    )
    a = np.array([_POPULATION[x]["a"] for x in area])
    b = np.array([_POPULATION[x]["b"] for x in area])
    s = np.array([_POPULATION[x]["s"] for x in area])
    log_duration = a + b * np.log(points) + effect + s * rng.standard_normal(n)
    finished = calendar.add_working_days(started, np.exp(log_duration)).dt.floor("ms")
    # Recompute from the millisecond timestamps so the identity is exact.
    duration = calendar.working_days_between(started, finished)
    is_open = (finished > as_of).to_numpy()

    return pd.DataFrame(
        {
            "engineer": pd.Series(engineers, dtype=object),
            "area": area,
            "kind": np.where(is_open, "open", "finished"),
            "points_at_start": points,
            "started_at": started,
            "end_at": finished,  # the finish, also for open tickets (dropped later)
            "true_duration_days": duration,
        }
    )


def _team_member_or_none(rng, size: int, unassigned: int) -> list[str | None]:
    weights = np.array([e.tickets for e in _TEAM], dtype=float)
    names = list(rng.choice([e.name for e in _TEAM], size=size, p=weights / weights.sum()))
    for i in rng.choice(size, size=min(unassigned, size), replace=False):
        names[i] = None
    return [None if x is None else str(x) for x in names]


def _not_done_tickets(rng, count, as_of, busdays, sprints) -> pd.DataFrame:
    """Tickets closed as Won't Do, Duplicate or Cannot Reproduce: not finished work."""
    pool = _start_day_pool(sprints["start"].iloc[0], as_of - pd.Timedelta(days=28), busdays)
    created = pd.Series(
        _at_working_hour(np.sort(rng.choice(pool, size=count)), rng).astype("datetime64[ns]")
    )
    abandoned = rng.random(count) < 0.5  # started, then dropped
    start_lag = rng.integers(0, 7, size=count)
    start_days = np.busday_offset(
        created.to_numpy().astype("datetime64[D]"), start_lag, roll="forward", busdaycal=busdays
    )
    started = pd.Series(_at_working_hour(start_days, rng).astype("datetime64[ns]"))
    started = started.where(started > created, created + pd.Timedelta(minutes=20))
    base = started.where(pd.Series(abandoned), created)
    close_lag = rng.integers(1, 8, size=count)
    close_days = np.busday_offset(
        base.to_numpy().astype("datetime64[D]"), close_lag, roll="forward", busdaycal=busdays
    )
    resolved = pd.Series(_at_working_hour(close_days, rng).astype("datetime64[ns]"))
    resolution = rng.choice(
        np.array(["Won't Do", "Duplicate", "Cannot Reproduce"]), size=count, p=[0.55, 0.3, 0.15]
    )
    return pd.DataFrame(
        {
            "engineer": pd.Series(_team_member_or_none(rng, count, 2), dtype=object),
            "area": rng.choice(np.array(AREAS), size=count),
            "kind": "not_done",
            "points_at_start": _draw_points(rng, count),
            "created_at": created,
            "started_at": started.where(pd.Series(abandoned)),
            "resolved_at": resolved,
            "resolution": pd.Series(resolution, dtype=object),
            "true_duration_days": np.nan,
        }
    )


def _backlog_tickets(rng, count, as_of, busdays, sprints) -> pd.DataFrame:
    """Tickets created but never started; most are recent, a few are stale."""
    recent = _start_day_pool(as_of - pd.Timedelta(days=120), as_of, busdays)
    stale = _start_day_pool(sprints["start"].iloc[0], as_of - pd.Timedelta(days=120), busdays)
    is_stale = rng.random(count) < 0.25
    days = np.where(is_stale, rng.choice(stale, size=count), rng.choice(recent, size=count))
    created = pd.Series(_at_working_hour(np.sort(days), rng).astype("datetime64[ns]"))
    engineers = _team_member_or_none(rng, count, 4)
    # Most backlog tickets are not yet assigned to anyone in particular in
    # reality, but the model only needs a few unassigned ones.
    return pd.DataFrame(
        {
            "engineer": pd.Series(engineers, dtype=object),
            "area": rng.choice(np.array(AREAS), size=count),
            "kind": "backlog",
            "points_at_start": _draw_points(rng, count),
            "created_at": created,
            "true_duration_days": np.nan,
        }
    )


def _remove_points(rng, tickets: pd.DataFrame) -> None:
    """Mark a few tickets as never estimated; their durations stay as drawn."""
    count = round(_NO_POINTS_SHARE * len(tickets))
    rows = rng.choice(len(tickets), size=count, replace=False)
    tickets.loc[rows, "points_at_start"] = np.nan


def _add_descriptive_fields(rng, tickets: pd.DataFrame) -> None:
    n = len(tickets)
    area = tickets["area"].to_numpy()
    issue_types, labels, components, titles, descriptions, epics = [], [], [], [], [], []
    for i in range(n):
        names, weights = _AREA_ISSUE_TYPES[area[i]]
        issue_types.append(str(rng.choice(names, p=weights)))
        labels.append(_labels(rng, area[i]))
        components.append(_components(rng, area[i]))
        titles.append(_title(rng, area[i]))
        descriptions.append(_description(rng, area[i]))
        candidates = [name for name, epic_area in _EPICS if epic_area == area[i]]
        epics.append(str(rng.choice(candidates)) if rng.random() < 0.85 else None)
    priority = rng.choice(np.array(_PRIORITIES[0]), size=n, p=_PRIORITIES[1])
    tickets["issue_type"] = issue_types
    tickets["labels"] = pd.Series(labels, dtype=object)
    tickets["components"] = pd.Series(components, dtype=object)
    tickets["title"] = titles
    tickets["description"] = descriptions
    tickets["epic"] = pd.Series(epics, dtype=object)
    tickets["priority"] = priority
    # Formula-like titles on fixed rows, so Linear's escaping is always exercised.
    for title_area, title in _FORMULA_LIKE_TITLES:
        row = int(np.flatnonzero(area == title_area)[0])
        tickets.loc[row, "title"] = title


def _labels(rng, area: str) -> list[str]:
    chosen = []
    if rng.random() < 0.7:
        chosen.append(str(rng.choice(_AREA_LABELS[area])))
        if rng.random() < 0.2:
            chosen = list(_AREA_LABELS[area])
    if rng.random() < 0.25:
        chosen.append(str(rng.choice(_NOISE_LABELS)))
    return sorted(set(chosen))


def _components(rng, area: str) -> list[str]:
    draw = rng.random()
    options = _AREA_COMPONENTS[area]
    if draw < 0.15:
        return []
    if draw < 0.25 and len(options) > 1:
        return list(options)
    return [options[0]]


def _title(rng, area: str) -> str:
    template = str(rng.choice(_TITLE_TEMPLATES[area]))
    words = {key: str(rng.choice(values)) for key, values in _TITLE_WORDS.items()}
    title = template.format(**words)
    return title[0].upper() + title[1:]


def _description(rng, area: str) -> str:
    draw = rng.random()
    table = str(rng.choice(_TITLE_WORDS["table"]))
    model = str(rng.choice(_TITLE_WORDS["model"]))
    if draw < 0.6:
        return ""
    if draw < 0.88:
        return f"See the {area} notes, and the runbook for {table}."
    return (
        f'The "{table}" job fails on 1 in 20 runs, mostly on Mondays.\n'
        f'Done when {model} reads the "clean" partition, and row counts match.'
    )


def _finalise(rng, tickets: pd.DataFrame, as_of, calendar) -> pd.DataFrame:
    """Creation times, status and points histories, sprints, ids and final column order."""
    n = len(tickets)
    busdays = _busday_calendar(calendar, as_of.year - 3, as_of.year + 1)
    kind = tickets["kind"].to_numpy()
    started = tickets["started_at"]
    worked = np.isin(kind, ["finished", "open"])

    # Worked tickets were created at planning or grooming, 0-6 working days
    # before work started; a few were created directly in progress.
    created = tickets["created_at"].copy()
    lag = rng.integers(0, 7, size=n)
    lag_days = np.busday_offset(
        started.to_numpy().astype("datetime64[D]"), -lag, roll="backward", busdaycal=busdays
    )
    planned = pd.Series(_at_working_hour(lag_days, rng).astype("datetime64[ns]"))
    # Same-day creation must come before the start.
    since_eight = started - started.dt.normalize() - pd.Timedelta(hours=8)
    same_day_early = started - since_eight * rng.random(n)
    planned = planned.where(planned < started, same_day_early)
    in_progress_at_creation = worked & (rng.random(n) < _CREATED_IN_PROGRESS_SHARE)
    created = created.where(~pd.Series(worked), planned)
    created = created.where(~pd.Series(in_progress_at_creation), started)
    created = created.dt.floor("ms")
    tickets["created_at"] = created

    # Re-pointing: after work started, usually upward by one step.
    repointed = np.zeros(n, dtype=bool)
    eligible = np.flatnonzero(worked & tickets["points_at_start"].notna().to_numpy())
    chosen = rng.choice(eligible, size=round(_REPOINTED_SHARE * len(eligible)), replace=False)
    repointed[chosen] = True
    points_final = tickets["points_at_start"].to_numpy().copy()
    repoint_at = pd.Series(pd.NaT, index=tickets.index, dtype="datetime64[ns]")
    for row in chosen:
        step = 1 if rng.random() < 0.8 else -1
        position = _POINT_SCALE.index(points_final[row])
        if position == 0:
            step = 1
        points_final[row] = _POINT_SCALE[position + step]
    end = tickets["end_at"].where(tickets["end_at"] <= as_of, as_of)
    span = calendar.working_days_between(started, end)
    fraction = rng.uniform(0.1, 0.7, size=n)
    moment = calendar.add_working_days(started.fillna(as_of), np.nan_to_num(span) * fraction)
    repoint_at[repointed] = moment[repointed].dt.floor("ms")
    tickets["points_final"] = points_final
    tickets["repointed"] = repointed

    # Status histories. Pauses and reopens lie inside [start, finish], so the
    # first move into In Progress and the last into Done bound the duration.
    status_changes = []
    duration = tickets["true_duration_days"].to_numpy()
    shape = rng.random(n)
    fractions = np.sort(rng.uniform(0.05, 0.95, size=(n, 2)), axis=1)
    anchor, duration = started.fillna(as_of), np.nan_to_num(duration)
    offsets = calendar.add_working_days(anchor, duration * fractions[:, 0]).dt.floor("ms")
    offsets_2 = calendar.add_working_days(anchor, duration * fractions[:, 1]).dt.floor("ms")
    resolved = tickets["resolved_at"].copy()
    resolution = tickets["resolution"].copy()
    finished_at = tickets["end_at"].where(kind == "finished")
    for i in range(n):
        events: list[tuple[pd.Timestamp, str | None, str]] = []
        first_status = "In Progress" if in_progress_at_creation[i] else "To Do"
        events.append((created.iloc[i], None, first_status))
        if first_status == "To Do" and not pd.isna(started.iloc[i]):
            events.append((started.iloc[i], "To Do", "In Progress"))
        if kind[i] == "finished":
            finish = finished_at.iloc[i]
            t1, t2 = offsets.iloc[i], offsets_2.iloc[i]
            ordered = started.iloc[i] < t1 < t2 < finish
            if shape[i] < _PAUSE_SHARE and ordered:
                events += [(t1, "In Progress", "To Do"), (t2, "To Do", "In Progress")]
                events.append((finish, "In Progress", "Done"))
            elif shape[i] < _PAUSE_SHARE + _REOPEN_SHARE and ordered:
                events += [(t1, "In Progress", "Done"), (t2, "Done", "In Progress")]
                events.append((finish, "In Progress", "Done"))
            elif shape[i] < _PAUSE_SHARE + _REOPEN_SHARE + _REVIEW_SHARE and (
                started.iloc[i] < t2 < finish
            ):
                events += [(t2, "In Progress", "In Review"), (finish, "In Review", "Done")]
            else:
                events.append((finish, "In Progress", "Done"))
            resolved.iloc[i] = finish
            resolution.iloc[i] = "Done"
        elif kind[i] == "not_done":
            previous = "In Progress" if not pd.isna(started.iloc[i]) else "To Do"
            events.append((resolved.iloc[i], previous, "Done"))
        status_changes.append(events)
    tickets["resolved_at"] = resolved.astype("datetime64[ns]")
    tickets["resolution"] = pd.Series(
        [None if pd.isna(x) else str(x) for x in resolution], dtype=object
    )

    points_changes = []
    for i in range(n):
        changes: list[tuple[pd.Timestamp, float | None, float]] = []
        if not np.isnan(tickets["points_at_start"].iloc[i]):
            changes.append((created.iloc[i], None, float(tickets["points_at_start"].iloc[i])))
            if repointed[i]:
                changes.append(
                    (repoint_at.iloc[i], float(tickets["points_at_start"].iloc[i]),
                     float(points_final[i]))
                )
        points_changes.append(changes)

    # Last touch: the last event, sometimes a later comment or edit.
    last_event = pd.Series(
        [max([e[0] for e in ev] + [p[0] for p in pc]) for ev, pc in
         zip(status_changes, points_changes, strict=True)],
        dtype="datetime64[ns]",
    )
    later = calendar.add_working_days(last_event, rng.uniform(0, 4, size=n)).dt.floor("ms")
    touched = (rng.random(n) < 0.3) & (later <= as_of).to_numpy()
    updated = last_event.where(~touched, later)

    status = [events[-1][2] for events in status_changes]
    tickets["status"] = status
    tickets["status_category"] = [_STATUS_CATEGORY[s] for s in status]
    tickets["status_changes"] = pd.Series(status_changes, dtype=object)
    tickets["points_changes"] = pd.Series(points_changes, dtype=object)
    tickets["updated_at"] = updated
    tickets["finished_at"] = finished_at.astype("datetime64[ns]")
    tickets["reporter"] = np.where(
        rng.random(n) < 0.6, _LEAD, tickets["engineer"].fillna(_LEAD).to_numpy()
    )

    tickets["sprints"] = pd.Series(
        _ticket_sprints(rng, tickets, _sprint_calendar(as_of), as_of), dtype=object
    )

    # Jira numbers tickets in creation order.
    order = np.lexsort((np.arange(n), tickets["created_at"].to_numpy().astype("int64")))
    tickets = tickets.iloc[order].reset_index(drop=True)
    tickets.insert(0, "ticket_id", [f"ML-{_FIRST_TICKET_NUMBER + i}" for i in range(n)])
    columns = [
        "ticket_id", "title", "engineer", "area", "issue_type", "labels", "components",
        "sprints", "epic", "status", "status_category", "resolution", "points_at_start",
        "points_final", "created_at", "started_at", "finished_at", "updated_at",
        "true_duration_days", "description", "kind", "repointed", "resolved_at", "reporter",
        "priority", "status_changes", "points_changes",
    ]
    tickets = tickets[columns]
    for column in ("created_at", "started_at", "finished_at", "updated_at", "resolved_at"):
        tickets[column] = tickets[column].astype("datetime64[ns]")
    for column in ("title", "area", "issue_type", "status", "status_category", "description",
                   "kind", "reporter", "priority"):
        tickets[column] = tickets[column].astype(str)
    return tickets


def _ticket_sprints(rng, tickets, sprints, as_of) -> list[list[str]]:
    """Sprints a ticket was in while not done, as Jira's Sprint field records them.

    A ticket joins a sprint when it is planned (half of them at creation,
    the others when work starts) and is carried over into every later sprint
    until it is done.
    """
    starts = sprints["start"].to_numpy()
    names = sprints["name"].tolist()

    def index(moment) -> int:
        return int(np.searchsorted(starts, np.datetime64(moment, "ns"), side="right")) - 1

    result = []
    for row in tickets.itertuples(index=False):
        if row.kind in ("finished", "open") or (
            row.kind == "not_done" and not pd.isna(row.started_at)
        ):
            end = row.finished_at if row.kind == "finished" else (
                as_of if row.kind == "open" else row.resolved_at
            )
            planned = row.created_at if rng.random() < 0.5 else row.started_at
            first, last = max(index(planned), 0), index(end)
            result.append(names[first:last + 1])
        elif row.kind == "backlog" and row.created_at >= starts[-1] - np.timedelta64(14, "D"):
            # Recently groomed backlog tickets are planned into the current sprint.
            result.append([names[-1]] if rng.random() < 0.5 else [])
        else:
            result.append([])
    return result


def _truth(effects, seed, as_of, calendar, tickets) -> dict:
    u, v = effects["u"], effects["v"]
    engineers = [e.name for e in _TEAM]
    return {
        "model": "log d = a[area] + b[area]*log(points_at_start) + u[engineer]"
                 " + v[engineer,area] + e, e ~ N(0, s[area]^2)",
        "areas": list(AREAS),
        "a": {area: _POPULATION[area]["a"] for area in AREAS},
        "b": {area: _POPULATION[area]["b"] for area in AREAS},
        "s": {area: _POPULATION[area]["s"] for area in AREAS},
        "su": effects["su"],
        "sv": effects["sv"],
        "u": u,
        "v": v,
        "engineer_multipliers": {name: round(math.exp(u[name]), 6) for name in engineers},
        "engineer_area_multipliers": {
            key: round(math.exp(u[key.split("|")[0]] + value), 6) for key, value in v.items()
        },
        "engineer_profiles": {e.name: e.profile for e in _TEAM},
        "unassigned_effect": 0.0,
        "seed": seed,
        "as_of": as_of.isoformat(),
        "calendar": calendar.to_dict(),
        "counts": {
            "tickets": len(tickets),
            **{k: int(c) for k, c in tickets["kind"].value_counts().sort_index().items()},
            "repointed": int(tickets["repointed"].sum()),
            "unassigned": int(tickets["engineer"].isna().sum()),
            "no_points": int(tickets["points_at_start"].isna().sum()),
        },
        "notes": [
            "u and v are designed profiles, centred so that a[area] is the average engineer;"
            " su and sv are the root mean squares of the designed u and v.",
            "Durations follow points_at_start; exports show points_final.",
            "Unassigned worked tickets were drawn with u = v = 0.",
            "Unpointed tickets were drawn with points the tracker does not show.",
        ],
    }


# --------------------------------------------------------------------------
# Rendering helpers
# --------------------------------------------------------------------------


def _ascii(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _email(name: str) -> str:
    return _ascii(name).lower().replace(" ", ".") + "@example.com"


def _account_id(name: str) -> str:
    # Jira Cloud account ids are opaque hex strings; hashing keeps them stable.
    return hashlib.sha1(name.encode("utf-8")).hexdigest()[:24]


def _points_text(points: float) -> str:
    return str(int(points)) if float(points).is_integer() else str(points)


def _jira_csv_date(moment) -> str:
    if pd.isna(moment):
        return ""
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return (f"{moment.day:02d}/{_MONTHS[moment.month - 1]}/{moment.year % 100:02d} "
            f"{hour}:{moment.minute:02d} {half}")


def _localise(moment, timezone: str) -> pd.Timestamp:
    return pd.Timestamp(moment).tz_localize(timezone, ambiguous="raise", nonexistent="raise")


def _jira_json_date(moment, timezone: str) -> str | None:
    if pd.isna(moment):
        return None
    local = _localise(moment, timezone)
    milliseconds = f"{local.microsecond // 1000:03d}"
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + milliseconds + local.strftime("%z")


def _utc_iso(moment, timezone: str) -> str:
    if pd.isna(moment):
        return ""
    utc = _localise(moment, timezone).tz_convert("UTC")
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _status_category_changed(row) -> pd.Timestamp:
    moment = row.created_at
    for when, before, after in row.status_changes:
        if before is None or _STATUS_CATEGORY[before] != _STATUS_CATEGORY[after]:
            moment = when
    return moment


def _repeat(values: Sequence[str], width: int) -> list[str]:
    return list(values) + [""] * (width - len(values))


def _sprint_table(history: SyntheticHistory) -> pd.DataFrame:
    return _sprint_calendar(pd.Timestamp(history.truth["as_of"]))


# --------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------


def write_jira_csv(history: SyntheticHistory, path: str | Path) -> Path:
    """Write the history as a Jira Cloud CSV export.

    The file is UTF-8 with a byte-order mark, multi-value fields (Labels,
    Components, Watchers, Sprint) repeat their header once per value, dates
    use Jira's default ``dd/MMM/yy h:mm a`` form, and there is no start of
    work: only Created, Updated, Resolved and Status Category Changed, as in
    a real export. Points are the final points; tickets created before the
    project's migration carry them in ``Custom field (Story Points)``, later
    ones in ``Custom field (Story point estimate)``.

    Parameters
    ----------
    history : SyntheticHistory
    path : str or Path

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> history = generate_team_history(seed=7)
    >>> path = write_jira_csv(history, pathlib.Path(tempfile.mkdtemp()) / "jira.csv")
    >>> path.read_bytes()[:3] == b"\\xef\\xbb\\xbf"
    True
    """
    tickets = history.tickets
    widths = {
        "Components": max(1, int(tickets["components"].map(len).max())),
        "Labels": max(1, int(tickets["labels"].map(len).max())),
        "Sprint": max(1, int(tickets["sprints"].map(len).max())),
    }
    watchers = [_watchers(row) for row in tickets.itertuples(index=False)]
    widths["Watchers"] = max(len(w) for w in watchers)
    header = [
        "Summary", "Issue key", "Issue id", "Issue Type", "Status", "Project key",
        "Project name", "Project type", "Project lead", "Priority", "Resolution", "Assignee",
        "Assignee Id", "Reporter", "Creator", "Created", "Updated", "Last Viewed", "Resolved",
        *["Components"] * widths["Components"],
        "Due date",
        *["Labels"] * widths["Labels"],
        "Description",
        *["Watchers"] * widths["Watchers"],
        "Original estimate", "Remaining Estimate", "Time Spent",
        "Custom field (Epic Link)",
        *["Sprint"] * widths["Sprint"],
        "Custom field (Story Points)", "Custom field (Story point estimate)",
        "Parent", "Parent key", "Parent summary", "Status Category", "Status Category Changed",
    ]
    epic_keys = {name: f"ML-{i + 1}" for i, (name, _) in enumerate(_EPICS)}
    epic_ids = {name: str(_FIRST_ISSUE_ID - 100 + i) for i, (name, _) in enumerate(_EPICS)}
    rows = []
    # Jira's issue navigator lists the newest tickets first.
    for position, row in reversed(list(enumerate(tickets.itertuples(index=False)))):
        points = "" if np.isnan(row.points_final) else f"{float(row.points_final):.1f}"
        old_project = row.created_at < _POINTS_FIELD_SWITCH
        names = watchers[position]
        assignee = row.engineer if isinstance(row.engineer, str) else ""
        epic = row.epic if isinstance(row.epic, str) else None
        time_spent = ""
        if row.kind == "finished" and position % 9 == 0:
            # A few engineers log time; Jira stores it in seconds.
            time_spent = str(int(round(row.true_duration_days * 6 * 4)) * 900)
        last_viewed = ""
        if position % 4 == 0:
            last_viewed = _jira_csv_date(row.updated_at)
        rows.append([
            row.title, row.ticket_id, str(_FIRST_ISSUE_ID + position), row.issue_type,
            row.status, _PROJECT_KEY, _PROJECT_NAME, "software", _LEAD,
            row.priority, row.resolution or "", assignee,
            _account_id(assignee) if assignee else "", row.reporter, row.reporter,
            _jira_csv_date(row.created_at), _jira_csv_date(row.updated_at), last_viewed,
            _jira_csv_date(row.resolved_at) if row.status_category == "Done" else "",
            *_repeat(row.components, widths["Components"]),
            "",
            *_repeat(row.labels, widths["Labels"]),
            row.description,
            *_repeat(names, widths["Watchers"]),
            "", "", time_spent,
            epic_keys[epic] if epic and old_project else "",
            *_repeat(row.sprints, widths["Sprint"]),
            points if old_project else "", "" if old_project else points,
            epic_ids[epic] if epic and not old_project else "",
            epic_keys[epic] if epic and not old_project else "",
            epic if epic and not old_project else "",
            row.status_category, _jira_csv_date(_status_category_changed(row)),
        ])
    path = Path(path)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _watchers(row) -> list[str]:
    names = [row.reporter]
    if isinstance(row.engineer, str) and row.engineer not in names:
        names.append(row.engineer)
    # A stable third watcher on some tickets, derived from the ticket number.
    number = int(row.ticket_id.split("-")[1])
    if number % 5 == 0:
        other = _TEAM[number % len(_TEAM)].name
        if other not in names:
            names.append(other)
    return names


_STATUS_IDS = {"To Do": "10000", "In Progress": "3", "In Review": "10001", "Done": "10002"}
_CATEGORY_JSON = {
    "To Do": {"key": "new", "name": "To Do"},
    "In Progress": {"key": "indeterminate", "name": "In Progress"},
    "Done": {"key": "done", "name": "Done"},
}


def write_jira_json(history: SyntheticHistory, path: str | Path, *, page_size: int = 50) -> Path:
    """Write the history as Jira REST ``search`` pages with ``expand=changelog``.

    The file holds a JSON list of result pages. Each issue's changelog has
    the status moves (To Do → In Progress → [In Review] → Done, with a few
    pauses back to To Do and a few reopens) and the story point changes: the
    estimate set at creation and, for re-pointed tickets, the change made
    after work started. Timestamps carry the Europe/Berlin offset of the
    moment, as Jira writes them (``2024-03-14T15:07:12.345+0100``).

    Parameters
    ----------
    history : SyntheticHistory
    path : str or Path
    page_size : int
        Issues per page (Jira's ``maxResults``).

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> history = generate_team_history(seed=7)
    >>> path = write_jira_json(history, pathlib.Path(tempfile.mkdtemp()) / "jira.json")
    >>> pages = json.loads(path.read_text(encoding="utf-8"))
    >>> pages[0]["maxResults"], pages[0]["issues"][0]["key"]
    (50, 'ML-101')
    """
    timezone = history.calendar.timezone
    tickets = history.tickets
    sprints = _sprint_table(history)
    sprint_objects = {}
    for number, name, _, _ in sprints.itertuples(index=False):
        sprint_objects[name] = {"id": _SPRINT_FIRST_ID + number, "name": name}
    epic_keys = {name: f"ML-{i + 1}" for i, (name, _) in enumerate(_EPICS)}

    # History ids grow with time across the whole project, as in Jira.
    all_events = []
    for position, row in enumerate(tickets.itertuples(index=False)):
        for sequence, (when, _, _) in enumerate(row.status_changes):
            all_events.append((when, position, 0, sequence))
        for sequence, (when, _, _) in enumerate(row.points_changes):
            all_events.append((when, position, 1, sequence))
    all_events.sort(key=lambda event: (event[0].value, event[1], event[2], event[3]))
    history_ids = {event[1:]: str(500_000 + i) for i, event in enumerate(all_events)}

    issues = []
    for position, row in enumerate(tickets.itertuples(index=False)):
        histories = []
        for sequence, (when, before, after) in enumerate(row.status_changes):
            if before is None:
                continue  # the creation is not a change
            items = [{
                "field": "status", "fieldtype": "jira",
                "from": _STATUS_IDS[before], "fromString": before,
                "to": _STATUS_IDS[after], "toString": after,
            }]
            histories.append((when, history_ids[(position, 0, sequence)], items))
        for sequence, (when, before, after) in enumerate(row.points_changes):
            histories.append((when, history_ids[(position, 1, sequence)], [{
                "field": "Story point estimate", "fieldtype": "custom",
                "fromString": None if before is None else _points_text(before),
                "toString": _points_text(after),
            }]))
        histories.sort(key=lambda item: int(item[1]))
        engineer = row.engineer if isinstance(row.engineer, str) else None
        fields: dict[str, Any] = {
            "summary": row.title,
            "issuetype": {"name": row.issue_type},
            "status": {"name": row.status,
                       "statusCategory": _CATEGORY_JSON[row.status_category]},
            "resolution": {"name": row.resolution} if row.resolution else None,
            "assignee": None if engineer is None else {
                "displayName": engineer, "accountId": _account_id(engineer),
                "emailAddress": _email(engineer),
            },
            "created": _jira_json_date(row.created_at, timezone),
            "updated": _jira_json_date(row.updated_at, timezone),
            "resolutiondate": _jira_json_date(row.resolved_at, timezone)
            if row.status_category == "Done" else None,
            "labels": list(row.labels),
            "components": [{"name": name} for name in row.components],
            "customfield_10016": None if np.isnan(row.points_final) else float(row.points_final),
            "customfield_10020": [sprint_objects[name] for name in row.sprints] or None,
        }
        if isinstance(row.epic, str):
            fields["parent"] = {"key": epic_keys[row.epic], "fields": {"summary": row.epic}}
        issues.append({
            "id": str(_FIRST_ISSUE_ID + position),
            "key": row.ticket_id,
            "fields": fields,
            "changelog": {
                "histories": [
                    {"id": history_id, "created": _jira_json_date(when, timezone), "items": items}
                    for when, history_id, items in histories
                ],
            },
        })
    pages = [
        {"startAt": start, "maxResults": page_size, "total": len(issues),
         "issues": issues[start:start + page_size]}
        for start in range(0, len(issues), page_size)
    ]
    path = Path(path)
    # Compact, as the API sends it; keeps the sample small.
    path.write_text(json.dumps(pages, ensure_ascii=False, separators=(",", ":")) + "\n",
                    encoding="utf-8")
    return path


def _linear_text(text: str) -> str:
    # Linear prefixes formula-like text so spreadsheets do not evaluate it.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def write_linear_csv(history: SyntheticHistory, path: str | Path) -> Path:
    """Write the history as a Linear CSV export.

    Times are ISO 8601 in UTC (``2024-05-14T08:53:33.000Z``), the assignee
    is an email address, labels are joined with ``", "``, the estimate is the
    final points, not-finished work is Canceled (or Duplicate) instead of
    Completed, and text starting with ``=``, ``+``, ``-`` or ``@`` is
    prefixed with ``'`` as Linear does.

    Parameters
    ----------
    history : SyntheticHistory
    path : str or Path

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import csv, tempfile, pathlib
    >>> history = generate_team_history(seed=7)
    >>> path = write_linear_csv(history, pathlib.Path(tempfile.mkdtemp()) / "linear.csv")
    >>> next(csv.reader(path.open(encoding="utf-8")))[:3]
    ['ID', 'Team', 'Title']
    """
    timezone = history.calendar.timezone
    sprints = _sprint_table(history).set_index("name")
    current_sprint = sprints.index[-1]
    rows = []
    for row in history.tickets.itertuples(index=False):
        if row.kind == "not_done":
            status = "Duplicate" if row.resolution == "Duplicate" else "Canceled"
        elif row.kind == "backlog":
            status = "Todo" if current_sprint in row.sprints else "Backlog"
        else:
            status = row.status
        cycle = row.sprints[-1] if row.sprints else None
        project_id = ""
        if isinstance(row.epic, str):
            project_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"linear-project:{row.epic}"))
        rows.append({
            "ID": row.ticket_id,
            "Team": _LINEAR_TEAM,
            "Title": _linear_text(row.title),
            "Description": _linear_text(row.description),
            "Status": status,
            "Estimate": "" if np.isnan(row.points_final) else _points_text(row.points_final),
            "Priority": _LINEAR_PRIORITY[row.priority],
            "Project ID": project_id,
            "Project": row.epic if isinstance(row.epic, str) else "",
            "Creator": _email(row.reporter),
            "Assignee": _email(row.engineer) if isinstance(row.engineer, str) else "",
            "Labels": ", ".join(row.labels),
            "Cycle Number": str(sprints.loc[cycle, "number"]) if cycle else "",
            "Cycle Name": cycle or "",
            "Cycle Start": _utc_iso(sprints.loc[cycle, "start"], timezone) if cycle else "",
            "Cycle End": _utc_iso(sprints.loc[cycle, "end"], timezone) if cycle else "",
            "Created": _utc_iso(row.created_at, timezone),
            "Updated": _utc_iso(row.updated_at, timezone),
            "Started": _utc_iso(row.started_at, timezone),
            "Completed": _utc_iso(row.finished_at, timezone),
            "Canceled": _utc_iso(row.resolved_at, timezone) if row.kind == "not_done" else "",
        })
    path = Path(path)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=LINEAR_HEADER, restval="",
                                quoting=csv.QUOTE_MINIMAL)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_truth(history: SyntheticHistory, path: str | Path) -> Path:
    """Write the ground truth as JSON (sorted keys, indented by 2).

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> history = generate_team_history(seed=7)
    >>> path = write_truth(history, pathlib.Path(tempfile.mkdtemp()) / "truth.json")
    >>> json.loads(path.read_text(encoding="utf-8"))["b"]["research"]
    0.55
    """
    path = Path(path)
    path.write_text(
        json.dumps(history.truth, sort_keys=True, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    return path


#: The files :func:`write_sample` writes, by name.
SAMPLE_FILES = ("jira_export.csv", "jira_changelog.json", "linear_export.csv", "truth.json")


def write_sample(directory: str | Path, seed: int = 7) -> list[Path]:
    """Generate the history for ``seed`` and write all sample files into ``directory``.

    Writes ``jira_export.csv``, ``jira_changelog.json``, ``linear_export.csv``
    and ``truth.json``; the output is byte-for-byte the same for the same
    seed.

    Examples
    --------
    >>> import tempfile
    >>> [path.name for path in write_sample(tempfile.mkdtemp(), seed=7)]
    ['jira_export.csv', 'jira_changelog.json', 'linear_export.csv', 'truth.json']
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    history = generate_team_history(seed)
    return [
        write_jira_csv(history, directory / SAMPLE_FILES[0]),
        write_jira_json(history, directory / SAMPLE_FILES[1]),
        write_linear_csv(history, directory / SAMPLE_FILES[2]),
        write_truth(history, directory / SAMPLE_FILES[3]),
    ]


@dataclass(frozen=True)
class SimulatedTable:
    """A canonical ticket table drawn from the model, with its truth.

    Attributes
    ----------
    tickets : DataFrame
        Canonical ticket table (open tickets censored at ``as_of``).
    truth : dict
        ``intercept`` / ``elasticity`` / ``noise_sd`` per area (intercept at
        the reference of 3 points), ``engineer_sd``, ``cell_sd``, and arrays
        ``u`` (per engineer, in ``engineers`` order) and ``v`` (engineer x
        area).
    """

    tickets: pd.DataFrame
    truth: dict


def simulate_tickets(
    n_tickets: int,
    n_engineers: int,
    *,
    areas: Sequence[str] = AREAS,
    engineer_sd: float = 0.3,
    cell_sd: float = 0.2,
    noise_sd: float | Sequence[float] = 0.6,
    elasticity: float | Sequence[float] = 0.6,
    intercept: float | Sequence[float] = 0.7,
    history_days: float = 250.0,
    seed: int = 0,
    calendar: WorkCalendar | None = None,
    as_of: pd.Timestamp | str = "2026-06-30 18:00",
    abandoned: float = 0.0,
) -> SimulatedTable:
    """Draw a canonical ticket table of any size straight from the model.

    For tests and benchmarks (the realistic team export is
    :func:`generate_team_history`). Start times are spread uniformly over
    the last ``history_days`` working days before ``as_of``; tickets whose
    finish would fall after ``as_of`` are open, censored there — so a
    short history gives many open tickets. Engineers' activity varies
    (lognormal shares), so some have few tickets.

    ``abandoned`` adds that share of *abandoned* tickets on top (as in real
    exports: left "in progress" after everyone stopped): open at ``as_of``,
    started 60 to 350 working days before it, of engineers, areas and points
    drawn like the others. Their ids are listed in the truth's
    ``abandoned_ids``; the other tickets are the same as without them.

    Examples
    --------
    >>> from calibrate.synth import simulate_tickets
    >>> table = simulate_tickets(1000, 20, seed=1).tickets
    >>> len(table), table["engineer"].nunique() <= 20
    (1000, True)
    """
    rng = np.random.default_rng(seed)
    calendar = calendar or WorkCalendar()
    as_of = pd.Timestamp(as_of)
    n_areas = len(areas)

    def per_area(value) -> np.ndarray:
        return np.broadcast_to(np.asarray(value, dtype=float), (n_areas,)).copy()

    intercepts, slopes, sigmas = per_area(intercept), per_area(elasticity), per_area(noise_sd)
    u = rng.normal(0, engineer_sd, n_engineers)
    v = rng.normal(0, cell_sd, (n_engineers, n_areas))
    activity = rng.lognormal(0, 0.8, n_engineers)
    engineer = rng.choice(n_engineers, size=n_tickets, p=activity / activity.sum())
    area = rng.integers(0, n_areas, n_tickets)
    points = rng.choice(np.array([1.0, 2.0, 3.0, 5.0, 8.0]), size=n_tickets,
                        p=[0.2, 0.3, 0.3, 0.15, 0.05])
    log_days = (intercepts[area] + slopes[area] * np.log(points / 3) + u[engineer]
                + v[engineer, area] + sigmas[area] * rng.standard_normal(n_tickets))
    true_days = np.exp(log_days)
    first_day = np.busday_offset(as_of.to_datetime64().astype("datetime64[D]"),
                                 -int(np.ceil(history_days)), roll="backward")
    offsets = rng.uniform(0, history_days, n_tickets)
    starts = calendar.add_working_days(
        pd.Series(np.full(n_tickets, first_day.astype("datetime64[ns]"))), offsets)
    starts = starts.where(starts < as_of, as_of - pd.Timedelta(hours=1))
    finishes = calendar.add_working_days(starts, true_days)
    censored = (finishes > as_of).to_numpy()
    so_far = calendar.working_days_between(starts, pd.Series(as_of, index=starts.index))
    duration = np.where(censored, np.maximum(so_far, 1 / 24), true_days)
    n_abandoned = int(round(abandoned * n_tickets))
    if n_abandoned:
        # Drawn after every other ticket, so those stay as without abandonment.
        engineer = np.concatenate([engineer, rng.choice(n_engineers, size=n_abandoned,
                                                        p=activity / activity.sum())])
        area = np.concatenate([area, rng.integers(0, n_areas, n_abandoned)])
        points = np.concatenate([points, rng.choice(np.array([1.0, 2.0, 3.0, 5.0, 8.0]),
                                                    size=n_abandoned)])
        age = rng.uniform(60, 350, n_abandoned)
        anchor = np.busday_offset(as_of.to_datetime64().astype("datetime64[D]"), -360,
                                  roll="backward").astype("datetime64[ns]")
        abandoned_starts = calendar.add_working_days(
            pd.Series(np.full(n_abandoned, anchor)), 360 - age)
        starts = pd.concat([starts, abandoned_starts], ignore_index=True)
        finishes = pd.concat([finishes, pd.Series(pd.NaT, index=range(n_abandoned))],
                             ignore_index=True)
        censored = np.concatenate([censored, np.ones(n_abandoned, dtype=bool)])
        so_far = calendar.working_days_between(abandoned_starts,
                                               pd.Series(as_of, index=abandoned_starts.index))
        duration = np.concatenate([duration, np.maximum(so_far, 1 / 24)])
        n_tickets += n_abandoned
    names = np.array([f"engineer-{i:05d}" for i in range(n_engineers)], dtype=object)
    string = pd.StringDtype()
    tickets = pd.DataFrame({
        "ticket_id": pd.array([f"T-{i + 1}" for i in range(n_tickets)], dtype=string),
        "title": pd.array([None] * n_tickets, dtype=string),
        "engineer": pd.array(names[engineer], dtype=string),
        "area": pd.array(np.asarray(areas, dtype=object)[area], dtype=string),
        "points": points,
        "repointed": np.zeros(n_tickets, dtype=bool),
        "issue_type": pd.array([None] * n_tickets, dtype=string),
        "labels": pd.array([None] * n_tickets, dtype=string),
        "components": pd.array([None] * n_tickets, dtype=string),
        "epic": pd.array([None] * n_tickets, dtype=string),
        "sprints": pd.array([None] * n_tickets, dtype=string),
        "status": pd.array(np.where(censored, "In Progress", "Done"), dtype=string),
        "created_at": starts.to_numpy(dtype="datetime64[ns]"),
        "started_at": starts.to_numpy(dtype="datetime64[ns]"),
        "finished_at": finishes.where(~censored).to_numpy(dtype="datetime64[ns]"),
        "duration_days": duration,
        "censored": censored,
        "clock": pd.array(["cycle"] * n_tickets, dtype=string),
        "source_row": np.arange(2, n_tickets + 2, dtype=np.int64),
    })
    truth = {
        "areas": list(areas),
        "engineers": list(names),
        "intercept": dict(zip(areas, intercepts.tolist(), strict=True)),
        "elasticity": dict(zip(areas, slopes.tolist(), strict=True)),
        "noise_sd": dict(zip(areas, sigmas.tolist(), strict=True)),
        "engineer_sd": engineer_sd,
        "cell_sd": cell_sd,
        "u": u,
        "v": v,
        "abandoned_ids": [f"T-{i + 1}" for i in range(n_tickets - n_abandoned, n_tickets)],
    }
    return SimulatedTable(tickets, truth)



@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed.")
def main(directory: Path, seed: int) -> None:
    """Write the synthetic sample export files into DIRECTORY."""
    for path in write_sample(directory, seed=seed):
        click.echo(str(path))


if __name__ == "__main__":
    main()

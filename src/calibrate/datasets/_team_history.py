"""The bundled sample: a seeded ticket history of a small ML team, with its truth.

The sample data in ``data/sample/`` is written by this module, so that every
number in it can be traced back to a known model, and tests can check that
``calibrate`` recovers what went in. The history follows the model of
:mod:`calibrate.model` with declared skills, in its vocabulary::

    log d = intercept[area] + elasticity[area]·log(p / 3)
            + level_effect[area, level[engineer, area]] - level_mix[area]
            + u[engineer] + v[engineer, area]
            + slowdown·exp(-weeks on the team / scale_weeks) + e
    e ~ N(0, noise_sd[area]^2)

where ``d`` is the working days from start of work to done and ``p`` the
points at the start of work (``intercept`` is the log median working days
of a 3-point ticket for an average engineer). Each engineer declares a level
per area (basic, proficient or strong: a researcher strong in research, a
data engineer proficient on pipelines, a senior strong in research and ML
engineering, ...), and the levels' designed effects make most of the
differences between people; ``level_mix`` (the team's average level effect
in the area) keeps the intercept the average engineer's. The engineer effects
``u`` and ``v`` are smaller *designed* residuals on top (root mean squares
``engineer_sd`` and ``engineer_area_sd``), one of them large: the tickets of
one engineer clearly contradict her declaration. Nobody is strong, or truly
fast, in data engineering: the team's skill gap. Every engineer has a start
date; three joined during the history (five weeks in, a year before its end
and two months before it), and their first tickets are slower (the ramp-up
term). Ticket noise ``e`` is drawn per ticket.

The history is generated once, as a table of tickets with their full status
and points history (:func:`generate_team_history`), and then rendered into
the formats that real trackers export, by the writers of
:mod:`calibrate.io.writers` (:meth:`SyntheticHistory.to_jira_csv`,
:meth:`~SyntheticHistory.to_jira_json`, :meth:`~SyntheticHistory.to_linear_csv`),
with the declared profiles as a skills file
(:meth:`~SyntheticHistory.to_skills_csv`). The rendering only lays the
history out: every date, re-pointing and status move is decided by
:func:`generate_team_history`.

``python -m calibrate.datasets DIRECTORY [--seed N]`` writes the sample
(:func:`write_sample`); :func:`sample_path` finds (or generates) a sample
file wherever calibrate is installed, and :func:`load_sample` reads it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from calibrate.durations import WorkCalendar
from calibrate.errors import InputError
from calibrate.io import read_export
from calibrate.io.writers import write_jira_csv, write_jira_json, write_linear_csv
from calibrate.skills import SkillProfiles
from calibrate.tickets import TicketTable

__all__ = [
    "AREAS",
    "DEFAULT_AS_OF",
    "SAMPLE_CONFIG",
    "SAMPLE_DIRECTORY",
    "SAMPLE_EXPORTS",
    "SAMPLE_FILES",
    "SAMPLE_SEED",
    "SyntheticHistory",
    "generate_team_history",
    "get_data_home",
    "load_sample",
    "sample_path",
    "write_sample",
]

#: The work areas of the synthetic team, in a fixed order.
AREAS: tuple[str, ...] = ("research", "ml-engineering", "data-engineering")

DEFAULT_AS_OF = pd.Timestamp("2026-10-30 18:00")

# --------------------------------------------------------------------------
# Design of the team and of the population model
# --------------------------------------------------------------------------

# The points the intercept refers to (the model's ``reference_points``).
_REFERENCE_POINTS = 3.0

# Per area: intercept (log working days of a 3-point ticket for an average
# engineer), elasticity of duration in points (< 1 as in real studies) and
# noise_sd (ticket noise). Designed from what the team assumes: about one
# working day for 1 point (log days 0.05, 0, -0.05), so intercept = that +
# elasticity·log 3, about two days for 3 points.
_POPULATION = {
    area: {"intercept": log_days_at_one_point + elasticity * math.log(_REFERENCE_POINTS),
           "elasticity": elasticity, "noise_sd": noise_sd}
    for area, log_days_at_one_point, elasticity, noise_sd in (
        ("research", 0.05, 0.55, 0.62),
        ("ml-engineering", 0.00, 0.62, 0.50),
        ("data-engineering", -0.05, 0.68, 0.46),
    )
}


# The declared skill scale, lowest first (calibrate's default), and what each
# level does to log working days per area, relative to "proficient": most of
# an engineer's speed in an area comes from their level (research spreads
# widest). Everyone on the team declares "proficient" in data engineering:
# nobody is strong (or truly fast) there, the skill gap the sample shows, so
# the other levels' effects there are designed (a hire's) but not in the history.
_LEVELS = ("basic", "proficient", "strong")
_LEVEL_EFFECTS = {
    "research": {"basic": 0.40, "proficient": 0.0, "strong": -0.40},
    "ml-engineering": {"basic": 0.30, "proficient": 0.0, "strong": -0.35},
    "data-engineering": {"basic": 0.35, "proficient": 0.0, "strong": -0.30},
}

# New members are slower at first: a factor exp(slowdown·exp(-weeks / scale))
# on a ticket's duration, weeks on the team counted at its start (the model's
# ramp-up form): 1.8x in the first week, under 1.1x after about 13 weeks.
# Three engineers join during the history, two early enough for their
# ramp-up and their later speed both to be seen: that makes the scale
# estimable (a single new hire's few tickets would not bound it).
_RAMP_UP = {"slowdown": 0.6, "scale_weeks": 7.0}


@dataclass(frozen=True)
class _Engineer:
    name: str
    profile: str
    # Declared level per area (research, ml-eng, data-eng), on _LEVELS.
    levels: tuple[str, str, str]
    # The engineer's own median multipliers per area on top of their levels
    # (what the tickets show beyond the declaration), before centring.
    residual_multipliers: tuple[float, float, float]
    area_mix: tuple[float, float, float]
    tickets: int
    # Of ``tickets``, how many were pulled into the current sprint and started
    # in its days before as_of: the work in flight at the export.
    current_sprint_tickets: int
    # The first day on the team; tickets start on or after it.
    start_date: str


_TEAM = (
    _Engineer("Priya Raman", "researcher: strong in research; declared proficient in ML "
              "engineering, where her tickets are faster than the strong engineers' (the "
              "declaration the tickets contradict)",
              ("strong", "proficient", "proficient"), (1.00, 0.50, 1.10), (0.50, 0.40, 0.10), 115,
              4, "2021-02-01"),
    _Engineer("Tomasz Kowalczyk", "data engineer: proficient on pipelines, at the team's "
              "typical speed there; basic in research and ML engineering",
              ("basic", "basic", "proficient"), (1.10, 1.05, 1.00), (0.10, 0.25, 0.65), 110, 4,
              "2022-05-02"),
    _Engineer("Daniel Okafor", "generalist, proficient everywhere; joined a year before the "
              "export, slower in his first months",
              ("proficient", "proficient", "proficient"), (1.00, 0.95, 1.05), (0.34, 0.33, 0.33),
              105, 4, "2025-11-03"),
    _Engineer("Zoë Müller", "senior: strong in research and ML engineering, proficient (the "
              "team's typical speed) in data engineering",
              ("strong", "strong", "proficient"), (0.90, 1.00, 1.05), (0.30, 0.40, 0.30), 100, 4,
              "2019-09-02"),
    _Engineer("Marcus Lindqvist", "ML engineer: strong on serving and training infrastructure, "
              "basic in research; joined five weeks into the history, slower in his first months",
              ("basic", "strong", "proficient"), (1.00, 0.95, 1.00), (0.20, 0.60, 0.20), 110, 4,
              "2025-06-02"),
    _Engineer("Aiko Tanaka", "new hire, proficient in ML and data engineering, basic in "
              "research; joined two months before the export, still ramping up",
              ("basic", "proficient", "proficient"), (1.00, 1.00, 1.00), (0.20, 0.50, 0.30), 8, 2,
              "2026-09-01"),
    _Engineer("Rafael Souza", "part-timer with few tickets, proficient everywhere",
              ("proficient", "proficient", "proficient"), (1.10, 1.00, 0.95), (0.50, 0.20, 0.30),
              15, 1, "2023-06-01"),
)

_LEAD = "Ines Carvalho"  # reports most tickets; not an engineer in the model

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
        The parameters the history was generated from (JSON-ready), in the
        model's vocabulary: ``intercept`` (at ``reference_points``, 3),
        ``elasticity`` and ``noise_sd`` per area; the declared ``levels``
        (engineer -> area -> level, on ``level_scale``), ``level_effects``
        (area -> level -> effect on log working days, relative to
        proficient) and ``level_mix`` (per area, their average over the
        engineers); ``start_dates`` (engineer -> ``YYYY-MM-DD``) and
        ``ramp_up`` (``slowdown``, ``scale_weeks``); the engineers' own
        effects beyond their levels, ``u`` (per engineer) and ``v`` (per
        ``"engineer|area"``), with their root mean squares ``engineer_sd``
        and ``engineer_area_sd``; the resulting lasting (ramped-up)
        ``engineer_area_multipliers`` and ``engineer_multipliers`` against
        the average engineer; and the seed, ``as_of``, calendar and counts.
    calendar : WorkCalendar
        The working-day calendar durations are counted in.
    """

    tickets: pd.DataFrame
    truth: dict
    calendar: WorkCalendar

    @property
    def skills(self) -> SkillProfiles:
        """The team's declared profiles: each engineer's level per area and start date.

        Examples
        --------
        >>> history = generate_team_history(seed=7)
        >>> history.skills.profile("Priya Raman")
        {'data-engineering': 'proficient', 'ml-engineering': 'proficient', 'research': 'strong'}
        >>> history.skills.start_dates["Aiko Tanaka"].date().isoformat()
        '2026-09-01'
        """
        return SkillProfiles.from_dict({
            engineer: {**levels, "start_date": self.truth["start_dates"][engineer]}
            for engineer, levels in self.truth["levels"].items()},
            scale=tuple(self.truth["level_scale"]))

    def to_jira_csv(self, path: str | Path) -> Path:
        """Write the history as a Jira Cloud "CSV (all fields)" export.

        As :func:`calibrate.io.writers.write_jira_csv` writes it, newest
        ticket first. There is no start of work: only Created, Updated,
        Resolved and Status Category Changed, as in a real export. Points
        are the final points; tickets created before the project's migration
        (December 2025) carry them in ``Custom field (Story Points)`` and
        their epic in ``Custom field (Epic Link)``, later ones in ``Custom
        field (Story point estimate)`` and ``Parent``. A few tickets have
        ``Time Spent`` or ``Last Viewed``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> history = generate_team_history(seed=7)
        >>> path = history.to_jira_csv(pathlib.Path(tempfile.mkdtemp()) / "jira.csv")
        >>> path.read_bytes()[:3] == b"\\xef\\xbb\\xbf"
        True
        """
        return write_jira_csv(_jira_csv_issues(self), path)

    def to_jira_json(self, path: str | Path, *, page_size: int = 50) -> Path:
        """Write the history as Jira REST ``search`` pages with ``expand=changelog``.

        As :func:`calibrate.io.writers.write_jira_json` writes it. Each
        issue's changelog has the status moves (To Do → In Progress → [In
        Review] → Done, with a few pauses back to To Do and a few reopens)
        and the story point changes: the estimate set at creation and, for
        re-pointed tickets, the change made after work started.

        Examples
        --------
        >>> import json, tempfile, pathlib
        >>> history = generate_team_history(seed=7)
        >>> path = history.to_jira_json(pathlib.Path(tempfile.mkdtemp()) / "jira.json")
        >>> pages = json.loads(path.read_text(encoding="utf-8"))
        >>> pages[0]["maxResults"], pages[0]["issues"][0]["key"]
        (50, 'ML-101')
        """
        sprints = _sprint_table(self)
        sprint_ids = {name: _SPRINT_FIRST_ID + number for name, number
                      in zip(sprints["name"], sprints["number"].tolist(), strict=True)}
        return write_jira_json(_jira_json_issues(self), path, timezone=self.calendar.timezone,
                               sprint_ids=sprint_ids, page_size=page_size)

    def to_linear_csv(self, path: str | Path) -> Path:
        """Write the history as a Linear CSV export.

        As :func:`calibrate.io.writers.write_linear_csv` writes it: the
        assignee is an e-mail address, the estimate is the final points,
        not-finished work is Canceled (or Duplicate) instead of Completed,
        and the cycle is the ticket's last sprint.

        Examples
        --------
        >>> import csv, tempfile, pathlib
        >>> history = generate_team_history(seed=7)
        >>> path = history.to_linear_csv(pathlib.Path(tempfile.mkdtemp()) / "linear.csv")
        >>> next(csv.reader(path.open(encoding="utf-8")))[:3]
        ['ID', 'Team', 'Title']
        """
        return write_linear_csv(_linear_issues(self), path, timezone=self.calendar.timezone)

    def to_skills_csv(self, path: str | Path) -> Path:
        """Write the declared profiles as a skills CSV.

        The layout :func:`calibrate.io.skills.read_skills` reads: one row per
        engineer and area, ``engineer,area,level,start_date``, with the
        engineer's start date on each of their rows; UTF-8, ``\\n`` line ends.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from calibrate.io.skills import read_skills
        >>> history = generate_team_history(seed=7)
        >>> path = history.to_skills_csv(pathlib.Path(tempfile.mkdtemp()) / "skills.csv")
        >>> path.read_text(encoding="utf-8").splitlines()[:2]
        ['engineer,area,level,start_date', 'Priya Raman,research,strong,2021-02-01']
        >>> read_skills(path).level_of("Zoë Müller", "ml-engineering")
        'strong'
        """
        path = Path(path)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["engineer", "area", "level", "start_date"])
            for engineer, levels in self.truth["levels"].items():
                start = self.truth["start_dates"][engineer]
                writer.writerows([engineer, area, level, start] for area, level in levels.items())
        return path

    def to_truth_json(self, path: str | Path) -> Path:
        """Write the ground truth as JSON (sorted keys, indented by 2).

        Examples
        --------
        >>> import json, tempfile, pathlib
        >>> history = generate_team_history(seed=7)
        >>> path = history.to_truth_json(pathlib.Path(tempfile.mkdtemp()) / "truth.json")
        >>> json.loads(path.read_text(encoding="utf-8"))["elasticity"]["research"]
        0.55
        """
        path = Path(path)
        path.write_text(
            json.dumps(self.truth, sort_keys=True, indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        return path


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

    Seven engineers with declared skill levels and designed strengths work
    tickets in three areas (:data:`AREAS`), estimated in Fibonacci points;
    those who joined during the history are slower at first (ramp-up). Each
    started ticket's working-day duration is drawn from the log-linear mixed
    model with the stored ground truth; its finish is placed exactly that
    many working days after its start, so
    ``calendar.working_days_between(started_at, finished_at)`` returns the
    true duration. Tickets whose finish would fall after ``as_of`` are still
    open (right-censored). The history also
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
    >>> from calibrate.datasets import generate_team_history
    >>> history = generate_team_history(seed=7)
    >>> history.tickets["ticket_id"].iloc[0]
    'ML-101'
    >>> sorted(history.tickets["area"].unique())
    ['data-engineering', 'ml-engineering', 'research']
    >>> len(history.tickets), int((history.tickets["kind"] == "finished").sum())
    (622, 554)
    >>> round(history.truth["engineer_area_multipliers"]["Priya Raman|research"], 2)
    0.63
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
    """Each engineer x area's lasting effect: the declared level's, and u, v on top.

    The lasting log multiplier of engineer i in area a is ``level_effects[a,
    level[i, a]] - level_mix[a] + u[i] + v[i, a]``, where ``level_mix`` is the
    average over the team's engineers of their level's effect, and u, v split
    the designed residual multipliers, centred over engineers (u) and over
    engineers and areas (v). Centring keeps the truth identifiable: every
    area's multipliers average 1 over the engineers (log scale), so
    intercept[area] stays the average engineer's log duration.
    """
    names = [engineer.name for engineer in _TEAM]
    level = np.array([[_LEVEL_EFFECTS[area][engineer.levels[j]] for j, area in enumerate(AREAS)]
                      for engineer in _TEAM])
    residual = np.log([engineer.residual_multipliers for engineer in _TEAM])
    residual = residual - residual.mean(axis=0)
    u = residual.mean(axis=1)
    v = residual - u[:, None]
    mix = level.mean(axis=0)
    return {
        "level_mix": {area: float(round(mix[j], 6)) for j, area in enumerate(AREAS)},
        "u": {name: float(round(u[i], 6)) for i, name in enumerate(names)},
        "v": {
            f"{name}|{area}": float(round(v[i, j], 6))
            for i, name in enumerate(names)
            for j, area in enumerate(AREAS)
        },
        # Root mean square of the designed residuals: the spread a fitted
        # engineer_sd, engineer_area_sd comes close to with declared levels.
        "engineer_sd": float(round(math.sqrt(float(np.mean(u**2))), 6)),
        "engineer_area_sd": float(round(math.sqrt(float(np.mean(v**2))), 6)),
    }


def _lasting_effect(effects: dict[str, Any], engineer: _Engineer, area: str) -> float:
    """The engineer's log multiplier in ``area`` once ramped up (see :func:`_engineer_effects`)."""
    level = _LEVEL_EFFECTS[area][engineer.levels[AREAS.index(area)]]
    return (level - effects["level_mix"][area] + effects["u"][engineer.name]
            + effects["v"][f"{engineer.name}|{area}"])


def _ramp_up_effect(weeks: np.ndarray) -> np.ndarray:
    """The ramp-up's log slowdown of a ticket started ``weeks`` after its engineer's start date."""
    return _RAMP_UP["slowdown"] * np.exp(-np.maximum(weeks, 0.0) / _RAMP_UP["scale_weeks"])


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
        first = max(window_start, pd.Timestamp(engineer.start_date))
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
    team = {engineer.name: engineer for engineer in _TEAM}
    effect = np.array([0.0 if name is None else _lasting_effect(effects, team[name], a)
                       for name, a in zip(engineers, area, strict=True)])
    # Weeks on the team at the start of work; unassigned work has no ramp-up.
    start_date = pd.Series([None if name is None else team[name].start_date
                            for name in engineers], dtype="datetime64[ns]")
    weeks = ((started - start_date) / pd.Timedelta(days=7)).to_numpy(dtype=float)
    effect += _ramp_up_effect(np.nan_to_num(weeks, nan=np.inf))
    intercept = np.array([_POPULATION[x]["intercept"] for x in area])
    elasticity = np.array([_POPULATION[x]["elasticity"] for x in area])
    noise_sd = np.array([_POPULATION[x]["noise_sd"] for x in area])
    log_duration = (intercept + elasticity * np.log(points / _REFERENCE_POINTS) + effect
                    + noise_sd * rng.standard_normal(n))
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
    """Creation times, status and points histories, sprints, ids and final column order.

    The steps draw from ``rng`` in this order; changing it changes the sample.
    """
    busdays = _busday_calendar(calendar, as_of.year - 3, as_of.year + 1)
    worked = np.isin(tickets["kind"].to_numpy(), ["finished", "open"])
    in_progress_at_creation = _set_creation_times(rng, tickets, worked, busdays)
    repoint_at = _repoint(rng, tickets, worked, as_of, calendar)
    status_changes = _status_histories(rng, tickets, in_progress_at_creation, as_of, calendar)
    points_changes = _points_histories(tickets, repoint_at)
    _set_last_touch(rng, tickets, status_changes, points_changes, as_of, calendar)

    status = [events[-1][2] for events in status_changes]
    tickets["status"] = status
    tickets["status_category"] = [_STATUS_CATEGORY[s] for s in status]
    tickets["status_changes"] = pd.Series(status_changes, dtype=object)
    tickets["points_changes"] = pd.Series(points_changes, dtype=object)
    tickets["reporter"] = np.where(
        rng.random(len(tickets)) < 0.6, _LEAD, tickets["engineer"].fillna(_LEAD).to_numpy()
    )
    tickets["sprints"] = pd.Series(
        _ticket_sprints(rng, tickets, _sprint_calendar(as_of), as_of), dtype=object
    )
    return _in_creation_order(tickets)


def _set_creation_times(rng, tickets: pd.DataFrame, worked: np.ndarray, busdays) -> np.ndarray:
    """Set ``created_at`` of worked tickets; returns which were created in progress.

    Worked tickets were created at planning or grooming, 0-6 working days
    before work started; a few were created directly in progress.
    """
    n = len(tickets)
    started = tickets["started_at"]
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
    created = tickets["created_at"].where(~pd.Series(worked), planned)
    created = created.where(~pd.Series(in_progress_at_creation), started)
    tickets["created_at"] = created.dt.floor("ms")
    return in_progress_at_creation


def _repoint(rng, tickets: pd.DataFrame, worked: np.ndarray, as_of, calendar) -> pd.Series:
    """Re-point some worked tickets after work started, usually upward by one step.

    Sets ``points_final`` and ``repointed``; returns when each was re-pointed.
    """
    n = len(tickets)
    started = tickets["started_at"]
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
    return repoint_at


def _status_histories(rng, tickets: pd.DataFrame, in_progress_at_creation: np.ndarray, as_of,
                      calendar) -> list[list[tuple[pd.Timestamp, str | None, str]]]:
    """Every ticket's status moves; sets ``finished_at``, ``resolved_at``, ``resolution``.

    Pauses and reopens lie inside [start, finish], so the first move into In
    Progress and the last into Done bound the duration.
    """
    n = len(tickets)
    kind = tickets["kind"].to_numpy()
    created, started = tickets["created_at"], tickets["started_at"]
    shape = rng.random(n)
    fractions = np.sort(rng.uniform(0.05, 0.95, size=(n, 2)), axis=1)
    anchor = started.fillna(as_of)
    duration = np.nan_to_num(tickets["true_duration_days"].to_numpy())
    first = calendar.add_working_days(anchor, duration * fractions[:, 0]).dt.floor("ms")
    second = calendar.add_working_days(anchor, duration * fractions[:, 1]).dt.floor("ms")
    resolved = tickets["resolved_at"].copy()
    resolution = tickets["resolution"].copy()
    finished_at = tickets["end_at"].where(kind == "finished")
    status_changes = []
    for i in range(n):
        events: list[tuple[pd.Timestamp, str | None, str]] = []
        events.append((created.iloc[i], None,
                       "In Progress" if in_progress_at_creation[i] else "To Do"))
        if not in_progress_at_creation[i] and not pd.isna(started.iloc[i]):
            events.append((started.iloc[i], "To Do", "In Progress"))
        if kind[i] == "finished":
            events += _moves_to_done(shape[i], started.iloc[i], first.iloc[i], second.iloc[i],
                                     finished_at.iloc[i])
            resolved.iloc[i] = finished_at.iloc[i]
            resolution.iloc[i] = "Done"
        elif kind[i] == "not_done":
            previous = "In Progress" if not pd.isna(started.iloc[i]) else "To Do"
            events.append((resolved.iloc[i], previous, "Done"))
        status_changes.append(events)
    tickets["finished_at"] = finished_at.astype("datetime64[ns]")
    tickets["resolved_at"] = resolved.astype("datetime64[ns]")
    tickets["resolution"] = pd.Series(
        [None if pd.isna(x) else str(x) for x in resolution], dtype=object
    )
    return status_changes


def _moves_to_done(shape: float, start, first, second, finish) -> list[tuple]:
    """A finished ticket's moves after the start: a pause, a reopen, a review, or none."""
    ordered = start < first < second < finish
    if shape < _PAUSE_SHARE and ordered:
        return [(first, "In Progress", "To Do"), (second, "To Do", "In Progress"),
                (finish, "In Progress", "Done")]
    if shape < _PAUSE_SHARE + _REOPEN_SHARE and ordered:
        return [(first, "In Progress", "Done"), (second, "Done", "In Progress"),
                (finish, "In Progress", "Done")]
    if shape < _PAUSE_SHARE + _REOPEN_SHARE + _REVIEW_SHARE and start < second < finish:
        return [(second, "In Progress", "In Review"), (finish, "In Review", "Done")]
    return [(finish, "In Progress", "Done")]


def _points_histories(tickets: pd.DataFrame, repoint_at: pd.Series) -> list[list[tuple]]:
    """Every ticket's points changes: the estimate at creation, then any re-pointing."""
    at_start = tickets["points_at_start"].to_numpy()
    final = tickets["points_final"].to_numpy()
    repointed = tickets["repointed"].to_numpy()
    created = tickets["created_at"]
    points_changes = []
    for i in range(len(tickets)):
        changes: list[tuple[pd.Timestamp, float | None, float]] = []
        if not np.isnan(at_start[i]):
            changes.append((created.iloc[i], None, float(at_start[i])))
            if repointed[i]:
                changes.append((repoint_at.iloc[i], float(at_start[i]), float(final[i])))
        points_changes.append(changes)
    return points_changes


def _set_last_touch(rng, tickets: pd.DataFrame, status_changes, points_changes, as_of,
                    calendar) -> None:
    """Set ``updated_at``: the last event, sometimes a later comment or edit."""
    last_event = pd.Series(
        [max([e[0] for e in ev] + [p[0] for p in pc]) for ev, pc in
         zip(status_changes, points_changes, strict=True)],
        dtype="datetime64[ns]",
    )
    n = len(tickets)
    later = calendar.add_working_days(last_event, rng.uniform(0, 4, size=n)).dt.floor("ms")
    touched = (rng.random(n) < 0.3) & (later <= as_of).to_numpy()
    tickets["updated_at"] = last_event.where(~touched, later)


def _in_creation_order(tickets: pd.DataFrame) -> pd.DataFrame:
    """Jira numbers tickets in creation order: ids, final columns and their types."""
    n = len(tickets)
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
    lasting = {f"{engineer.name}|{area}": _lasting_effect(effects, engineer, area)
               for engineer in _TEAM for area in AREAS}
    return {
        "model": "log d = intercept[area] + elasticity[area]*log(points_at_start / 3)"
                 " + level_effects[area][level[engineer,area]] - level_mix[area]"
                 " + u[engineer] + v[engineer,area]"
                 " + ramp_up.slowdown*exp(-weeks on the team / ramp_up.scale_weeks)"
                 " + e, e ~ N(0, noise_sd[area]^2)",
        "reference_points": _REFERENCE_POINTS,
        "areas": list(AREAS),
        "intercept": {area: _POPULATION[area]["intercept"] for area in AREAS},
        "elasticity": {area: _POPULATION[area]["elasticity"] for area in AREAS},
        "noise_sd": {area: _POPULATION[area]["noise_sd"] for area in AREAS},
        "levels": {engineer.name: dict(zip(AREAS, engineer.levels, strict=True))
                   for engineer in _TEAM},
        "level_scale": list(_LEVELS),
        "level_effects": {area: dict(effects) for area, effects in _LEVEL_EFFECTS.items()},
        "level_mix": effects["level_mix"],
        "start_dates": {engineer.name: engineer.start_date for engineer in _TEAM},
        "ramp_up": dict(_RAMP_UP),
        "engineer_sd": effects["engineer_sd"],
        "engineer_area_sd": effects["engineer_area_sd"],
        "u": u,
        "v": v,
        "engineer_multipliers": {
            engineer.name: round(math.exp(float(np.mean(
                [lasting[f"{engineer.name}|{area}"] for area in AREAS]))), 6)
            for engineer in _TEAM},
        "engineer_area_multipliers": {key: round(math.exp(value), 6)
                                      for key, value in lasting.items()},
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
            "Each engineer declares a level per area (levels, on level_scale, lowest first);"
            " level_effects are on log working days relative to proficient, and level_mix[area]"
            " is their average over the team's engineers. Nobody declares strong in"
            " data-engineering: its effect there is designed but not in the history.",
            "u and v are the engineers' own designed effects beyond their levels, centred so"
            " that intercept[area] is the average engineer; engineer_sd and engineer_area_sd"
            " are their root mean squares.",
            "engineer_area_multipliers = exp(level effect - level_mix + u + v): the lasting"
            " speed against the average engineer, ramp-up left out; engineer_multipliers"
            " averages them over the three areas (log scale).",
            "Weeks on the team = (start of work - start_dates[engineer]) / 7 days; the ramp-up"
            " slows a ticket by a factor exp(slowdown * exp(-weeks / scale_weeks)).",
            "Durations follow points_at_start; exports show points_final.",
            "Unassigned worked tickets were drawn as the average engineer, without ramp-up.",
            "Unpointed tickets were drawn with points the tracker does not show.",
        ],
    }


# --------------------------------------------------------------------------
# Rendering: the history as the trackers export it
# --------------------------------------------------------------------------


def _ascii(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _email(name: str) -> str:
    return _ascii(name).lower().replace(" ", ".") + "@example.com"


def _account_id(name: str) -> str:
    # Jira Cloud account ids are opaque hex strings; hashing keeps them stable.
    return hashlib.sha1(name.encode("utf-8")).hexdigest()[:24]


def _status_category_changed(row) -> pd.Timestamp:
    moment = row.created_at
    for when, before, after in row.status_changes:
        if before is None or _STATUS_CATEGORY[before] != _STATUS_CATEGORY[after]:
            moment = when
    return moment


def _sprint_table(history: SyntheticHistory) -> pd.DataFrame:
    return _sprint_calendar(pd.Timestamp(history.truth["as_of"]))


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


def _epic_keys() -> dict[str, str]:
    return {name: f"ML-{i + 1}" for i, (name, _) in enumerate(_EPICS)}


def _jira_csv_issues(history: SyntheticHistory) -> pd.DataFrame:
    """The rows of the Jira CSV export, newest first (as Jira's issue navigator lists them)."""
    tickets = history.tickets
    position = np.arange(len(tickets))
    old_project = (tickets["created_at"] < _POINTS_FIELD_SWITCH).to_numpy()
    epics = [epic if isinstance(epic, str) else None for epic in tickets["epic"]]
    epic_keys = _epic_keys()
    epic_ids = {name: str(_FIRST_ISSUE_ID - 100 + i) for i, (name, _) in enumerate(_EPICS)}

    def epic_cells(lookup, *, before_migration: bool) -> list[str]:
        # Company-managed projects link epics by key; team-managed ones by parent.
        return ["" if epic is None or old != before_migration else lookup(epic)
                for epic, old in zip(epics, old_project, strict=True)]

    assignees = [name if isinstance(name, str) else "" for name in tickets["engineer"]]
    # A few engineers log time; Jira stores it in seconds.
    logs_time = (tickets["kind"] == "finished").to_numpy() & (position % 9 == 0)
    time_spent = [str(int(round(days * 6 * 4)) * 900) if logged else ""
                  for days, logged in zip(tickets["true_duration_days"], logs_time, strict=True)]
    rows = list(tickets.itertuples(index=False))
    points = tickets["points_final"]
    issues = pd.DataFrame({
        "Summary": tickets["title"], "Issue key": tickets["ticket_id"],
        "Issue id": [str(_FIRST_ISSUE_ID + i) for i in position],
        "Issue Type": tickets["issue_type"], "Status": tickets["status"],
        "Project key": _PROJECT_KEY, "Project name": _PROJECT_NAME, "Project type": "software",
        "Project lead": _LEAD, "Priority": tickets["priority"], "Resolution": tickets["resolution"],
        "Assignee": assignees,
        "Assignee Id": [_account_id(name) if name else "" for name in assignees],
        "Reporter": tickets["reporter"], "Creator": tickets["reporter"],
        "Created": tickets["created_at"], "Updated": tickets["updated_at"],
        "Last Viewed": tickets["updated_at"].where(position % 4 == 0),
        "Resolved": tickets["resolved_at"].where(tickets["status_category"] == "Done"),
        "Components": tickets["components"], "Due date": "", "Labels": tickets["labels"],
        "Description": tickets["description"],
        "Watchers": [_watchers(row) for row in rows],
        "Original estimate": "", "Remaining Estimate": "", "Time Spent": time_spent,
        "Custom field (Epic Link)": epic_cells(epic_keys.get, before_migration=True),
        "Sprint": tickets["sprints"],
        "Custom field (Story Points)": points.where(old_project),
        "Custom field (Story point estimate)": points.where(~old_project),
        "Parent": epic_cells(epic_ids.get, before_migration=False),
        "Parent key": epic_cells(epic_keys.get, before_migration=False),
        "Parent summary": epic_cells(str, before_migration=False),
        "Status Category": tickets["status_category"],
        "Status Category Changed": pd.Series([_status_category_changed(row) for row in rows],
                                             dtype="datetime64[ns]"),
    })
    return issues.iloc[::-1].reset_index(drop=True)


def _jira_json_issues(history: SyntheticHistory) -> pd.DataFrame:
    """The issues of the Jira REST export, in creation order."""
    tickets = history.tickets
    engineers = [name if isinstance(name, str) else None for name in tickets["engineer"]]
    epics = [epic if isinstance(epic, str) else None for epic in tickets["epic"]]
    epic_keys = _epic_keys()
    return pd.DataFrame({
        "key": tickets["ticket_id"],
        "id": [str(_FIRST_ISSUE_ID + i) for i in range(len(tickets))],
        "summary": tickets["title"], "issue_type": tickets["issue_type"],
        "status": tickets["status"], "status_category": tickets["status_category"],
        "resolution": tickets["resolution"],
        "assignee": engineers,
        "assignee_account_id": [name and _account_id(name) for name in engineers],
        "assignee_email": [name and _email(name) for name in engineers],
        "created": tickets["created_at"], "updated": tickets["updated_at"],
        "resolved": tickets["resolved_at"].where(tickets["status_category"] == "Done"),
        "labels": tickets["labels"], "components": tickets["components"],
        "sprints": tickets["sprints"], "story_points": tickets["points_final"],
        "parent_key": [epic and epic_keys[epic] for epic in epics], "parent_summary": epics,
        "status_changes": tickets["status_changes"], "points_changes": tickets["points_changes"],
    })


def _linear_issues(history: SyntheticHistory) -> pd.DataFrame:
    """The rows of the Linear CSV export, in creation order.

    Not-finished work is Canceled (or Duplicate) instead of Completed; a
    backlog ticket planned into the current cycle is Todo.
    """
    tickets = history.tickets
    sprints = _sprint_table(history).set_index("name")
    current_sprint = sprints.index[-1]
    statuses = []
    for row in tickets.itertuples(index=False):
        if row.kind == "not_done":
            statuses.append("Duplicate" if row.resolution == "Duplicate" else "Canceled")
        elif row.kind == "backlog":
            statuses.append("Todo" if current_sprint in row.sprints else "Backlog")
        else:
            statuses.append(row.status)
    cycles = [names[-1] if names else None for names in tickets["sprints"]]
    cycle = sprints.reindex(cycles)
    epics = [epic if isinstance(epic, str) else "" for epic in tickets["epic"]]
    return pd.DataFrame({
        "ID": tickets["ticket_id"], "Team": _LINEAR_TEAM, "Title": tickets["title"],
        "Description": tickets["description"], "Status": statuses,
        "Estimate": tickets["points_final"],
        "Priority": tickets["priority"].map(_LINEAR_PRIORITY),
        "Project ID": [str(uuid.uuid5(uuid.NAMESPACE_URL, f"linear-project:{epic}")) if epic
                       else "" for epic in epics],
        "Project": epics,
        "Creator": tickets["reporter"].map(_email),
        "Assignee": [_email(name) if isinstance(name, str) else "" for name in tickets["engineer"]],
        "Labels": tickets["labels"],
        "Cycle Number": [str(int(number)) if name else "" for name, number
                         in zip(cycles, cycle["number"].tolist(), strict=True)],
        "Cycle Name": [name or "" for name in cycles],
        "Cycle Start": cycle["start"].to_numpy(), "Cycle End": cycle["end"].to_numpy(),
        "Created": tickets["created_at"], "Updated": tickets["updated_at"],
        "Started": tickets["started_at"], "Completed": tickets["finished_at"],
        "Canceled": tickets["resolved_at"].where(tickets["kind"] == "not_done"),
    })


# --------------------------------------------------------------------------
# The sample files
# --------------------------------------------------------------------------

#: The files :func:`write_sample` writes, by name: three exports of the
#: history, its ground truth, the settings to read them with, a sprint plan
#: and its capacity, and the team's declared skill profiles.
SAMPLE_FILES = ("jira_export.csv", "jira_changelog.json", "linear_export.csv", "truth.json",
                "calibrate.toml", "plan.csv", "capacity.csv", "skills.csv")
#: The exports among :data:`SAMPLE_FILES`.
SAMPLE_EXPORTS = SAMPLE_FILES[:3]

#: Where the committed sample lives: ``data/sample/`` of a source checkout.
SAMPLE_DIRECTORY = Path(__file__).resolve().parents[3] / "data" / "sample"

#: The sample's ``calibrate.toml`` (the team's calendar and area rules).
SAMPLE_CONFIG = '''# Settings for the bundled sample team (see the README's "Configuration").

[calendar]
country = "DE"
timezone = "Europe/Berlin"

[areas]
default = "unclassified"

# Rules are tried in order; the first that matches a ticket decides its area.
[[areas.rules]]
area = "research"
patterns = ["^research$", "^experiment$"]
fields = ["labels"]

[[areas.rules]]
area = "ml-engineering"
patterns = ["^ml-eng$", "^serving$"]
fields = ["labels"]

[[areas.rules]]
area = "data-engineering"
patterns = ["^pipeline$", "^etl$"]
fields = ["labels"]

# Tickets without an area label: the epic (Jira) or project (Linear) tells.
[[areas.rules]]
area = "research"
patterns = ["ranking model", "uncertainty estimates", "labelling study", "uplift"]
fields = ["epic"]

[[areas.rules]]
area = "ml-engineering"
patterns = ["inference", "model registry", "training cluster"]
fields = ["epic"]

[[areas.rules]]
area = "data-engineering"
patterns = ["feature store", "event pipeline", "warehouse"]
fields = ["epic"]

# The Linear export names people by e-mail address: read as the Jira exports
# name them, so that skills.csv (and a plan) serves every export.
[people.names]
"priya.raman@example.com" = "Priya Raman"
"tomasz.kowalczyk@example.com" = "Tomasz Kowalczyk"
"zoe.muller@example.com" = "Zoë Müller"
"rafael.souza@example.com" = "Rafael Souza"
"aiko.tanaka@example.com" = "Aiko Tanaka"
"daniel.okafor@example.com" = "Daniel Okafor"
"marcus.lindqvist@example.com" = "Marcus Lindqvist"

# The team's declared skill levels and start dates are in skills.csv: pass
# --skills skills.csv. Not set here as [skills] file, so that these settings
# give the plain model, as the README's worked examples show it.
'''


#: The sample's next sprint: a plan for :mod:`calibrate.plan` (one ticket
#: pinned, one unassigned, one for a new hire the history has never seen).
SAMPLE_PLAN = """ticket_id,title,area,points,engineer,pinned
ML-900,Backfill user_profiles for the new region,data-engineering,5,Tomasz Kowalczyk,
ML-901,Ablation of the ranking model's recency features,research,5,Priya Raman,yes
ML-902,Canary rollout for the scoring service,ml-engineering,3,Marcus Lindqvist,
ML-903,Late-arriving events in the event pipeline,data-engineering,3,Zoë Müller,
ML-904,Uncertainty estimates for the churn model,research,8,Daniel Okafor,
ML-905,Model registry clean-up,ml-engineering,2,Marcus Lindqvist,
ML-906,Warehouse cost report,data-engineering,2,Tomasz Kowalczyk,
ML-907,Labelling study: second round,research,3,Priya Raman,
ML-908,GPU quota alerts,ml-engineering,2,Aiko Tanaka,
ML-909,Feature store schema migration,data-engineering,5,Rafael Souza,
ML-910,Uplift model baseline,research,3,Zoë Müller,
ML-911,Inference latency dashboard,ml-engineering,3,,
ML-912,Deduplicate ETL job configs,data-engineering,1,Lena Fischer,
ML-913,Training cluster autoscaling,ml-engineering,5,Daniel Okafor,
"""

#: The sample team's capacity for that sprint (leave and part time taken off).
SAMPLE_CAPACITY = """engineer,capacity_days
Aiko Tanaka,4
Daniel Okafor,10
Lena Fischer,10
Marcus Lindqvist,10
Priya Raman,8
Rafael Souza,5
Tomasz Kowalczyk,10
Zoë Müller,10
"""


def write_sample(directory: str | Path, seed: int = 7) -> list[Path]:
    """Generate the history for ``seed`` and write all sample files into ``directory``.

    Writes ``jira_export.csv``, ``jira_changelog.json``, ``linear_export.csv``,
    ``truth.json``, ``calibrate.toml``, the sprint ``plan.csv`` and
    ``capacity.csv``, and the declared profiles ``skills.csv`` (named as the
    Jira exports name people); the output is byte-for-byte the same for the
    same seed. ``python -m calibrate.datasets DIRECTORY [--seed N]`` calls it.

    Examples
    --------
    >>> import tempfile
    >>> [path.name for path in write_sample(tempfile.mkdtemp(), seed=7)]
    ... # doctest: +NORMALIZE_WHITESPACE
    ['jira_export.csv', 'jira_changelog.json', 'linear_export.csv', 'truth.json',
     'calibrate.toml', 'plan.csv', 'capacity.csv', 'skills.csv']
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    history = generate_team_history(seed)
    written = []
    for name, text in (("calibrate.toml", SAMPLE_CONFIG), ("plan.csv", SAMPLE_PLAN),
                       ("capacity.csv", SAMPLE_CAPACITY)):
        written.append(directory / name)
        written[-1].write_bytes(text.encode("utf-8"))
    return [
        history.to_jira_csv(directory / "jira_export.csv"),
        history.to_jira_json(directory / "jira_changelog.json"),
        history.to_linear_csv(directory / "linear_export.csv"),
        history.to_truth_json(directory / "truth.json"),
        *written,
        history.to_skills_csv(directory / "skills.csv"),
    ]


# --------------------------------------------------------------------------
# Loading the sample, wherever calibrate is installed
# --------------------------------------------------------------------------

#: The seed of the committed sample.
SAMPLE_SEED = 7


def get_data_home(data_home: str | Path | None = None) -> Path:
    """The folder calibrate keeps generated sample files in.

    ``data_home`` if given, else the ``CALIBRATE_DATA`` environment variable,
    else ``calibrate`` in the user's cache folder (``$XDG_CACHE_HOME``, by
    default ``~/.cache``). Not created here.

    Examples
    --------
    >>> from calibrate.datasets import get_data_home
    >>> get_data_home("/tmp/calibrate-data").as_posix()
    '/tmp/calibrate-data'
    """
    if data_home is not None:
        return Path(data_home).expanduser()
    if os.environ.get("CALIBRATE_DATA"):
        return Path(os.environ["CALIBRATE_DATA"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path("~", ".cache")
    return Path(cache).expanduser() / "calibrate"


def sample_path(name: str = "jira_changelog.json", *, data_home: str | Path | None = None) \
        -> Path:
    """The path of a sample file, ready to read.

    From a source checkout, the committed ``data/sample/`` file (a test
    keeps it identical to what the generator writes). Elsewhere (an
    installed package), the files are generated once from the seeded
    history into ``get_data_home(data_home) / "sample-VERSION"`` (about a
    second, 1.3 MB; written whole or not at all) and read from there.

    Parameters
    ----------
    name : str
        One of :data:`SAMPLE_FILES`: ``jira_changelog.json`` (Jira REST
        search results with changelog: cycle time), ``jira_export.csv`` (the
        same history as Jira's CSV export: lead time), ``linear_export.csv``,
        ``truth.json`` (the ground truth), ``calibrate.toml`` (the
        settings to read the exports with), ``plan.csv`` and ``capacity.csv``
        (a sprint to plan) or ``skills.csv`` (the declared skill profiles).
    data_home : str or Path, optional
        Where generated files are kept (see :func:`get_data_home`).

    Returns
    -------
    Path

    Raises
    ------
    InputError
        If ``name`` is not a sample file.

    Examples
    --------
    >>> import calibrate
    >>> from calibrate.datasets import sample_path
    >>> table = calibrate.read_export(sample_path("linear_export.csv"),
    ...                               config=sample_path("calibrate.toml"))
    >>> table.source_format
    'linear_csv'
    """
    if name not in SAMPLE_FILES:
        raise InputError(f"{name!r} is not a sample file",
                         hint=f"The sample files are {', '.join(SAMPLE_FILES)}.")
    if all((SAMPLE_DIRECTORY / file).is_file() for file in SAMPLE_FILES):
        return SAMPLE_DIRECTORY / name
    from calibrate._version import __version__
    from calibrate.io._atomic import atomic_directory

    directory = get_data_home(data_home) / f"sample-{__version__}-seed{SAMPLE_SEED}"
    if not all((directory / file).is_file() for file in SAMPLE_FILES):
        with atomic_directory(directory) as partial:
            write_sample(partial, seed=SAMPLE_SEED)
    return directory / name


def load_sample(export: str = "jira_changelog.json", *,
                data_home: str | Path | None = None) -> TicketTable:
    """The bundled sample team's history, read with its ``calibrate.toml``.

    Works from a source checkout and from an installed package alike (see
    :func:`sample_path`: elsewhere than a checkout the files are generated
    once, from the seeded history).

    Parameters
    ----------
    export : str
        Which export of the history: ``jira_changelog.json`` (cycle time),
        ``jira_export.csv`` (lead time) or ``linear_export.csv``.
    data_home : str or Path, optional
        Where generated files are kept (see :func:`get_data_home`).

    Raises
    ------
    InputError
        If ``export`` is not one of the sample's exports.

    Examples
    --------
    >>> table = load_sample()
    >>> table.source_format, table.rows_read == len(table.tickets) + len(table.excluded)
    ('jira_json', True)
    """
    if export not in SAMPLE_EXPORTS:
        raise InputError(f"{export!r} is not one of the sample's exports",
                         hint=f"The exports are {', '.join(SAMPLE_EXPORTS)}.")
    return read_export(sample_path(export, data_home=data_home),
                       config=sample_path("calibrate.toml", data_home=data_home))

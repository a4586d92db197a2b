"""Release forecasts: how many sprints a backlog takes, and whether to trust it.

Forecast
--------
:func:`forecast_release` runs the one Monte Carlo of the planning tools
(:func:`calibrate.plan._simulate.simulate_days`) over a backlog. One draw is
one simulated release: each engineer's effects (engineer and engineer x
area) and the areas' fixed effects are drawn once and persist over all its
sprints — a slow quarter for a person is slow on every ticket they take —
and each ticket's noise is drawn once.

The work is turned into sprints with the simplest model a planner can check
by hand: each engineer works through their tickets using their capacity
each sprint (working days available per sprint), work divides across sprint
boundaries, and the release completes when the last engineer finishes::

    sprints = max over engineers j of  load_j / capacity_j

where ``load_j`` is the simulated working days of the tickets j does. It
ignores dependencies between tickets and the end-of-sprint slack a ticket
too large for the days left leaves: on a backlog of several sprints both
are small next to the spread of the work itself.

Unassigned tickets are done by the team, pulled from the backlog in its
order by the engineer who is free first (greedy list scheduling): each
engineer does their assigned tickets first, then whoever would finish
their work earliest — on the draw's simulated days — takes the next
unassigned ticket. This is how a team with a shared backlog works, and it
needs no knowledge of a ticket's duration before it is taken. (Handing each
ticket to a person at random, in proportion to capacity, was the
alternative: it piles work on someone by chance in a way no team would
accept, and so overstates the date.) An engineer with no capacity takes no
unassigned ticket.

The percentiles of the number of sprints (50/85/95%: "we finish by" dates,
as planners quote them) become working days (sprints x ``sprint_days``)
and dates on the team's working-day calendar, counting the start date as
the first working day.

Backtest
--------
:func:`backtest_release` checks those percentiles against the history. At
each origin — a sprint boundary, after the first half of the history is
kept for training — the model is fitted on exactly what an export at the
origin held (:func:`calibrate.backtest.tickets_known_at`), the "release" is
every ticket *started* in the following ``horizon_sprints`` sprints with the
engineer who did it, and the forecast's total working days of those tickets
(the quantity the sprint count scales) is compared with the actual total.
Selecting the tickets on their start is what a planner could have listed at
the origin; selecting them on their finish would keep the quick ones and
bias the actual totals short.

A release whose tickets are not all finished by the end of the data has an
actual total known only to be at least its total so far: it counts as a
miss once that already exceeds the interval's upper end, and is left out
(and counted as undecided) otherwise. Leaving undecided releases out can
only lower the coverage reported (they would have been hits or misses; the
decided misses are all counted).
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from calibrate.backtest import _end_of_data, tickets_known_at
from calibrate.durations import WorkCalendar
from calibrate.errors import CalibrationWarning, InputError, Problem
from calibrate.model import Calibrator
from calibrate.plan._check import _draws, capacity_series, plan_frame
from calibrate.plan._simulate import multipliers_of, simulate_days, warn_about_clock
from calibrate.summary import Summary
from calibrate.tickets import TicketTable, validate_tickets

__all__ = ["ReleaseBacktest", "ReleaseForecast", "backtest_release", "forecast_release"]

#: The percentiles a release forecast reports ("we finish by", as planners quote them).
PERCENTILES = (50, 85, 95)
#: The interval the backtest scores: one-sided (at or below the 85th
#: percentile) and central (between the 7.5th and the 92.5th).
LEVEL = 0.85
#: Confidence of the binomial interval around a coverage.
_CONFIDENCE = 0.95
#: Largest days cube simulated at once (draws x tickets x engineers), to
#: bound memory (128 MB in float64); larger forecasts run in blocks of draws.
_BLOCK_CELLS = 2**24
#: Most rows of the chance-by-sprint table (ten years of two-week sprints).
_MAX_SPRINTS = 260
#: Fewest finished tickets an origin's training export needs.
_MIN_FINISHED = 20


@dataclass(frozen=True)
class ReleaseForecast:
    """The distribution of the sprints a backlog takes.

    Attributes
    ----------
    sprints : DataFrame
        One row per percentile (50, 85, 95): ``percentile``, ``sprints``
        (fractional: work divides across sprints), ``sprint`` (the sprint it
        ends in, counted from 1), ``working_days`` (sprints x
        ``sprint_days``) and ``date`` (the working day it ends on).
    by_sprint : DataFrame
        ``sprint`` (1, 2, ...), ``end_date`` (its last working day) and
        ``probability_done`` (the share of simulated releases finished by
        then), up to the sprint the 99th percentile ends in (at most 260
        sprints).
    distribution : DataFrame
        One row per simulated release (``draw``): ``sprints``,
        ``working_days`` and ``total_days`` (the team's total working days
        of work).
    per_engineer : DataFrame
        Per engineer: ``capacity_days`` (per sprint), ``assigned_tickets``,
        ``pulled_tickets`` (unassigned tickets they take, on average),
        ``mean_days``, ``p50_days`` / ``p85_days`` / ``p95_days`` of their
        load, ``p85_sprints`` (their load at the 85th percentile over their
        capacity) and ``p_last`` (the share of releases they finish last in:
        the bottleneck).
    tickets : DataFrame
        The backlog as checked (``ticket_id``, ``area``, ``points``,
        ``engineer``) with ``done_by`` (the assignee, or the engineer who
        most often pulls an unassigned ticket), ``done_by_share``,
        ``mean_days`` (over the releases, whoever does it), ``basis`` and
        ``note`` (for the assignee; for an unassigned ticket, ``team``
        and the notes of any engineer).
    sprint_days : float
    start : date
        The first day of the first sprint.
    calendar : WorkCalendar
        The working days the dates are counted on.
    clock : str
        What the durations measure (``cycle``, ``lead``, ``mixed``).
    draws : int
    seed : object
    """

    sprints: pd.DataFrame
    by_sprint: pd.DataFrame
    distribution: pd.DataFrame
    per_engineer: pd.DataFrame
    tickets: pd.DataFrame
    sprint_days: float
    start: dt.date
    calendar: WorkCalendar
    clock: str
    draws: int
    seed: object

    def summary(self) -> Summary:
        """When the backlog is done, in plain words, with the tables."""
        n_tickets = len(self.tickets)
        unassigned = int((self.tickets["engineer"] == "").sum())
        rows = self.sprints.set_index("percentile")
        before = [
            f"{n_tickets} tickets ({unassigned} unassigned), {len(self.per_engineer)} "
            f"engineers, sprints of {self.sprint_days:g} working days starting "
            f"{self.start:%a %d %b %Y}; {self.draws:,} simulated releases."]
        for percentile in PERCENTILES:
            row = rows.loc[percentile]
            before.append(
                f"{percentile}% chance of being done by {pd.Timestamp(row['date']):%a %d %b %Y} "
                f"(in sprint {int(row['sprint'])}: {row['sprints']:.1f} sprints of work).")
        if len(self.per_engineer) > 1:
            bottleneck = self.per_engineer["p_last"].idxmax()
            share = self.per_engineer.loc[bottleneck, "p_last"]
            before.append(f"The last to finish is most often {bottleneck} ({share:.0%} of "
                          "the simulated releases).")
        after = [
            "Each engineer works through their tickets with their capacity each sprint "
            "(work divides across sprint boundaries); the release is done when the last "
            "engineer is. Unassigned tickets go, in backlog order, to whoever is free first.",
            "An engineer's effect is drawn once per simulated release and persists over its "
            "sprints. Dependencies between tickets and interruptions are not modelled.",
            f"Dates count working days on the team calendar ({self.calendar.describe()}).",
        ]
        flagged = int((self.tickets["note"] != "").sum())
        if flagged:
            after.append(f"{flagged} tickets rest on fallbacks the history cannot vouch for "
                         "(see the 'note' column of .tickets).")
        if self.clock != "cycle":
            after.append(f"The durations are {self.clock} time, which includes waiting: the "
                         "sprint counts overstate the work.")
        return Summary("Release forecast",
                       {"When the backlog is done": self.sprints,
                        "Chance of being done by the end of each sprint": self.by_sprint,
                        "Per engineer": self.per_engineer},
                       before=before, after=after)


def forecast_release(model, backlog: pd.DataFrame, capacity=None, *, sprint_days: float = 10,
                     start: dt.date | str | None = None, engineers: Sequence[str] | None = None,
                     draws: int = 10_000, seed=0, profile=None) -> ReleaseForecast:
    """Forecast how many sprints a backlog takes, and the date it is done.

    Parameters
    ----------
    model : CalibrationResult or Multipliers
    backlog : DataFrame
        A plan: ``ticket_id``, ``area``, ``points``, ``engineer`` (empty or
        missing: unassigned; see :func:`calibrate.plan.plan_frame`), in the
        order the team will take the unassigned tickets.
    capacity : None, mapping or DataFrame
        Working days each engineer has per sprint (None: ``sprint_days``
        for everyone); engineers listed here but not in the backlog are in
        the team and take unassigned tickets.
    sprint_days : float, default 10
        Working days per sprint.
    start : date, optional
        The first day of the first sprint (default: today).
    engineers : sequence of str, optional
        The team taking unassigned tickets, besides the backlog's assignees
        and the capacity's engineers.
    draws : int, default 10,000
        Simulated releases.
    seed : int, Generator or None, default 0
        The same seed gives the same forecast.
    profile : SkillProfiles, optional
        Declared levels and start dates of engineers the multipliers do not
        know (new hires in ``capacity`` or ``engineers``): their tickets are
        simulated from their profile (see
        :func:`~calibrate.plan.check_plan`). Needs multipliers fitted with
        skill profiles. A ramp-up is taken as it stands on ``start`` for
        the whole release: later sprints of someone still ramping up are a
        little faster than simulated, so the forecast errs late.

    Returns
    -------
    ReleaseForecast

    Raises
    ------
    InputError
        If the backlog or the capacity is invalid, an engineer with
        assigned tickets has no capacity, or unassigned tickets have no
        team to take them.

    Warns
    -----
    CalibrationWarning
        When the durations are lead time (waiting included).

    Notes
    -----
    One draw is one release: the engineers' and areas' effects are drawn
    once and persist over its sprints, the ticket noise once per ticket.
    Each engineer's load is their tickets' simulated working days;
    ``sprints = max_j load_j / capacity_j``. Unassigned tickets go, in
    backlog order, to the engineer who is free first on the draw's days
    (their assigned work first); see the module docstring for why. Memory:
    the days of every ticket for every engineer are simulated, in blocks of
    at most 2**24 numbers.

    Examples
    --------
    >>> import datetime as dt
    >>> import pandas as pd
    >>> from calibrate import Calibrator, read_export
    >>> from calibrate.plan import forecast_release
    >>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
    >>> result = Calibrator().fit(read_export(SAMPLE, config=CONFIG)).result_
    >>> backlog = pd.DataFrame({
    ...     "ticket_id": [f"REL-{i}" for i in range(1, 31)],
    ...     "area": ["research", "ml-engineering", "data-engineering"] * 10,
    ...     "points": [3, 5, 2, 8, 1, 3] * 5,
    ...     "engineer": ["Priya Raman", "Zoë Müller", ""] * 10})
    >>> forecast = forecast_release(result, backlog, {"Priya Raman": 8, "Zoë Müller": 10},
    ...                             start=dt.date(2026, 11, 2), draws=2000)
    >>> forecast.sprints.columns.tolist()
    ['percentile', 'sprints', 'sprint', 'working_days', 'date']
    >>> bool(forecast.sprints["sprints"].is_monotonic_increasing)
    True
    """
    multipliers = multipliers_of(model)
    warn_about_clock(multipliers)
    plan = plan_frame(backlog, points_scale=multipliers.points_scale)
    assignee = plan["engineer"].to_numpy(dtype=object)
    # The team: the engineers given, the assignees, then the capacity's others.
    capacities = capacity_series(capacity, [*(engineers or []), *assignee], sprint_days)
    team = capacities.index.tolist()
    available = capacities.to_numpy(dtype=float)
    sprint_days = float(sprint_days)
    draws = _draws(draws)
    _check_team(plan, assignee, team, available)
    calendar = _calendar_of(model, multipliers)
    start = _start_date(start)

    position = {name: j for j, name in enumerate(team)}
    assignment = np.array([position.get(name, -1) for name in assignee], dtype=int)
    loads, taken, mean_days, basis, note = _simulate_loads(
        multipliers, plan, team, assignment, available, draws, seed,
        declared={"profile": profile, "on": start})
    with np.errstate(divide="ignore", invalid="ignore"):
        finish = np.where(loads > 0, loads / available, 0.0)
    sprints = finish.max(axis=1) if len(team) else np.zeros(draws)
    total = loads.sum(axis=1)

    quantiles = np.percentile(sprints, PERCENTILES)
    working_days = quantiles * sprint_days
    table = pd.DataFrame({
        "percentile": list(PERCENTILES), "sprints": quantiles,
        "sprint": np.maximum(np.ceil(quantiles - 1e-12), 1).astype(int),
        "working_days": working_days,
        "date": _completion_dates(calendar, start, working_days)})
    last = min(max(int(np.ceil(np.percentile(sprints, 99) - 1e-12)), 1), _MAX_SPRINTS)
    numbers = np.arange(1, last + 1)
    by_sprint = pd.DataFrame({
        "sprint": numbers,
        "end_date": _completion_dates(calendar, start, numbers * sprint_days),
        "probability_done": np.searchsorted(np.sort(sprints), numbers + 1e-12,
                                            side="right") / draws})
    distribution = pd.DataFrame({"draw": np.arange(draws), "sprints": sprints,
                                 "working_days": sprints * sprint_days, "total_days": total})
    per_engineer = _per_engineer(team, available, assignment, taken, loads, finish)
    tickets = _ticket_table(plan, team, assignment, taken, mean_days, basis, note, draws)
    return ReleaseForecast(sprints=table, by_sprint=by_sprint, distribution=distribution,
                           per_engineer=per_engineer, tickets=tickets,
                           sprint_days=sprint_days, start=start, calendar=calendar,
                           clock=multipliers.clock, draws=draws, seed=seed)


def _simulate_loads(multipliers, plan: pd.DataFrame, team: list, assignment: np.ndarray,
                    available: np.ndarray, draws: int, seed, declared: dict):
    """Each engineer's load per draw, with the unassigned tickets pulled
    (``declared``: :func:`simulate_days`' ``profile`` and ``on``).

    Returns the loads (draws x engineers), how often each unassigned
    ticket went to each engineer (tickets x engineers; zero rows for
    assigned tickets), each ticket's mean days over the draws, and each
    ticket's basis and note.
    """
    n_tickets, n_engineers = len(plan), len(team)
    unassigned = np.flatnonzero(assignment < 0)
    loads = np.zeros((draws, n_engineers))
    taken = np.zeros((n_tickets, n_engineers))
    day_sums = np.zeros(n_tickets)
    basis = note = None
    # One generator for all blocks: a single block draws exactly what one
    # simulate_days(seed=seed) call would.
    rng = np.random.default_rng(seed)
    block = max(1, _BLOCK_CELLS // max(n_tickets * n_engineers, 1))
    for first in range(0, draws, block):
        size = min(block, draws - first)
        simulated = simulate_days(multipliers, plan, team, draws=size, seed=rng, **declared)
        if basis is None:
            basis, note = simulated.basis, simulated.note
        part = simulated.engineer_totals(np.where(assignment < 0, -1, assignment))
        days = simulated.days
        assigned = np.flatnonzero(assignment >= 0)
        day_sums[assigned] += days[:, assigned, assignment[assigned]].sum(axis=0)
        choices = _pull_unassigned(part, available, days[:, unassigned, :])
        rows = np.arange(size)
        for k, i in enumerate(unassigned):
            taken[i] += np.bincount(choices[:, k], minlength=n_engineers)
            day_sums[i] += days[rows, i, choices[:, k]].sum()
        loads[first:first + size] = part
    return loads, taken, day_sums / draws, basis, note


def _pull_unassigned(loads: np.ndarray, available: np.ndarray,
                     days: np.ndarray) -> np.ndarray:
    """Greedy list scheduling of unassigned tickets, in place on ``loads``.

    Parameters
    ----------
    loads : ndarray (draws x engineers)
        Each engineer's assigned work, in working days; the unassigned
        tickets' days are added to it.
    available : ndarray (engineers,)
        Working days per sprint; an engineer with none takes no ticket.
    days : ndarray (draws x unassigned tickets x engineers)
        The tickets' days for each engineer, in the order they are taken.

    Returns
    -------
    ndarray of int (draws x unassigned tickets)
        The engineer each ticket went to in each draw: the one whose work
        so far ends first (ties: the first listed).
    """
    draws, count = days.shape[0], days.shape[1]
    choices = np.empty((draws, count), dtype=int)
    rows = np.arange(draws)
    idle = available <= 0
    rate = 1.0 / np.where(idle, 1.0, available)
    for k in range(count):
        free_at = loads * rate
        free_at[:, idle] = np.inf
        chosen = free_at.argmin(axis=1)
        loads[rows, chosen] += days[rows, k, chosen]
        choices[:, k] = chosen
    return choices


def _check_team(plan: pd.DataFrame, assignee: np.ndarray, team: list,
                available: np.ndarray) -> None:
    """Every assigned ticket's engineer has capacity; unassigned tickets have a team."""
    idle = {name for name, days in zip(team, available, strict=True) if not days > 0}
    # Rows as a spreadsheet counts them (the header is row 1), as plan_frame does.
    problems = [Problem("assigned to an engineer with no capacity: the release would never "
                        "finish", row=i + 2, column="engineer", value=name,
                        expected="capacity > 0 for every engineer with tickets, or the "
                                 "ticket unassigned")
                for i, name in enumerate(assignee) if name in idle]
    if problems:
        raise InputError("Some tickets are assigned to engineers without capacity", problems)
    if (assignee == "").any() and len(idle) == len(team):
        raise InputError(
            "Unassigned tickets need a team to take them, and no engineer has capacity",
            [Problem("unassigned ticket", row=i + 2, column="ticket_id", value=ticket)
             for i, ticket in enumerate(plan["ticket_id"]) if assignee[i] == ""],
            hint="Pass engineers=[...] or a capacity listing the team.")


def _calendar_of(model, multipliers) -> WorkCalendar:
    """The team's working-day calendar: a fitted result's own, else the one
    the multipliers file recorded (weekends only when it recorded none)."""
    calendar = getattr(model, "calendar", None)
    if isinstance(calendar, WorkCalendar):
        return calendar
    return WorkCalendar.from_dict(multipliers.calendar)


def _start_date(start) -> dt.date:
    if start is None:
        return dt.date.today()
    try:
        return pd.Timestamp(start).date()
    except (TypeError, ValueError) as error:
        raise InputError(f"start must be a date, not {start!r}") from error


def _completion_dates(calendar: WorkCalendar, start: dt.date,
                      working_days: np.ndarray) -> list[dt.date]:
    """The working day on which ``working_days`` of work from ``start`` end.

    The start date is the first working day (a non-working start moves to
    the next working day); work of w days ends on working day ceil(w) — so
    10 days end on the 10th working day, 10.2 on the 11th, 0 on the first.
    """
    working_days = np.asarray(working_days, dtype=float)
    ordinal = np.maximum(np.ceil(working_days - 1e-9), 1) - 1
    begin = pd.Series(np.full(len(working_days), np.datetime64(start, "ns")))
    return [stamp.date() for stamp in calendar.add_working_days(begin, ordinal)]


def _per_engineer(team: list, available: np.ndarray, assignment: np.ndarray,
                  taken: np.ndarray, loads: np.ndarray, finish: np.ndarray) -> pd.DataFrame:
    draws = len(loads)
    last = np.zeros(len(team))
    if len(team) and draws:
        counts = np.bincount(finish.argmax(axis=1), minlength=len(team))
        last = counts / draws
    p50, p85, p95 = (np.percentile(loads, PERCENTILES, axis=0) if len(team)
                     else np.zeros((3, 0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        p85_sprints = np.where(p85 > 0, p85 / available, 0.0)
    return pd.DataFrame({
        "engineer": team, "capacity_days": available,
        "assigned_tickets": np.bincount(assignment[assignment >= 0],
                                        minlength=len(team)).astype(int),
        "pulled_tickets": taken.sum(axis=0) / max(draws, 1),
        "mean_days": loads.mean(axis=0), "p50_days": p50, "p85_days": p85, "p95_days": p95,
        "p85_sprints": p85_sprints, "p_last": last}).set_index("engineer")


def _ticket_table(plan: pd.DataFrame, team: list, assignment: np.ndarray, taken: np.ndarray,
                  mean_days: np.ndarray, basis, note, draws: int) -> pd.DataFrame:
    n_tickets = len(plan)
    done_by = np.empty(n_tickets, dtype=object)
    share = np.ones(n_tickets)
    ticket_basis = np.empty(n_tickets, dtype=object)
    ticket_note = np.empty(n_tickets, dtype=object)
    for i in range(n_tickets):
        if assignment[i] >= 0:
            done_by[i] = team[assignment[i]]
            ticket_basis[i] = basis[i, assignment[i]]
            ticket_note[i] = note[i, assignment[i]]
        else:
            favourite = int(taken[i].argmax())
            done_by[i], share[i] = team[favourite], taken[i, favourite] / draws
            ticket_basis[i] = "team"
            # The engineer-specific flags of every candidate would repeat
            # the team; keep what concerns the ticket itself.
            ticket_note[i] = "; ".join(sorted({part for text in note[i] for part in
                                               str(text).split("; ")
                                               if part and not part.startswith("engineer")}))
    return plan[["ticket_id", "area", "points", "engineer"]].assign(
        done_by=done_by, done_by_share=share, mean_days=mean_days, basis=ticket_basis,
        note=ticket_note)


def _positive(value, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not number > 0 or not np.isfinite(number):
        raise InputError(f"{name} must be a number of working days > 0, not {value!r}")
    return number


@dataclass(frozen=True)
class ReleaseBacktest:
    """The release forecast's calibration on the history.

    Attributes
    ----------
    origins : DataFrame
        One row per origin scored: ``origin``, ``window_end`` (the release
        is every ticket started in [origin, window_end)), ``n_tickets``,
        ``n_open`` (still open at the end of the data), ``n_training``
        (finished tickets the model was fitted on), ``mean_days``,
        ``p50_days``, ``p85_days``, ``p95_days`` (the forecast's mean and
        percentiles of the release's total working days), ``central_low`` / ``central_high``
        (its 7.5th and 92.5th percentiles), ``actual_days`` (the total;
        for a release with open tickets, the total so far: a lower bound),
        ``within_p85`` (1.0 when the actual total is at most the 85th
        percentile, 0.0 when above, NaN when still undecided),
        ``inside_central_85`` (the same for the central interval) and
        ``pit`` (the forecast's probability of a total at most the actual
        one; NaN when open tickets leave it unknown).
    tickets : DataFrame
        The releases' tickets: ``origin``, ``ticket_id``, ``engineer``,
        ``area``, ``points``, ``started_at``, ``duration_days``,
        ``censored``.
    coverage : DataFrame
        One row per interval (``finished by the 85th percentile``,
        ``central 85% interval``): ``hits``, ``decided``, ``undecided``,
        ``coverage``, ``ci_low``, ``ci_high`` (95% Clopper–Pearson
        interval) and ``nominal`` (0.85).
    sprint_days : float
    horizon_sprints : int
    draws : int
    seed : object
    """

    origins: pd.DataFrame
    tickets: pd.DataFrame
    coverage: pd.DataFrame
    sprint_days: float
    horizon_sprints: int
    draws: int
    seed: object

    def summary(self) -> Summary:
        """The coverage in plain words, with the per-origin table."""
        one_sided = self.coverage.iloc[0]
        central = self.coverage.iloc[1]
        before = [
            f"At {len(self.origins)} origins the model was fitted on what was known there and "
            f"forecast the total working days of the tickets started in the next "
            f"{self.horizon_sprints} sprints of {self.sprint_days:g} working days.",
            f"The actual total was at or below the forecast's 85th percentile (the \"we "
            f"finish by\" figure) at {int(one_sided['hits'])} of {int(one_sided['decided'])} "
            f"origins: coverage {_percent(one_sided['coverage'])} (95% interval "
            f"{_percent(one_sided['ci_low'])}–{_percent(one_sided['ci_high'])}); "
            "85% if calibrated.",
            f"Inside the central 85% interval (7.5th to 92.5th percentile): "
            f"{int(central['hits'])} of {int(central['decided'])}, "
            f"{_percent(central['coverage'])}.",
        ]
        after = []
        undecided = int(one_sided["undecided"])
        if undecided:
            after.append(f"{undecided} origin(s) left out: their releases still had open "
                         "tickets whose total so far did not yet decide the verdict.")
        after.append("The binomial interval treats the origins as independent; they share "
                     "engineers and much of their training history, so it is too narrow.")
        return Summary("Release forecast backtest",
                       {"Coverage": self.coverage.set_index("interval"),
                        "Per origin": self.origins},
                       before=before, after=after)


def backtest_release(tickets, *, sprint_days: float = 10, horizon_sprints: int = 3,
                     origins: Sequence | None = None, n_origins: int = 6, draws: int = 2000,
                     seed=0, calibrator=None, calendar: WorkCalendar | None = None,
                     as_of=None) -> ReleaseBacktest:
    """Check the release forecast's calibration on the ticket history.

    Parameters
    ----------
    tickets : TicketTable or DataFrame
        The canonical ticket table (a DataFrame is validated first).
    sprint_days : float, default 10
        Working days per sprint.
    horizon_sprints : int, default 3
        The release: the tickets started in this many sprints after the
        origin.
    origins : sequence of Timestamp, optional
        Forecast origins; by default up to ``n_origins`` sprint boundaries
        (every ``sprint_days`` working days from the first start) spread
        over the second half of the history, as evenly as releases that do
        not overlap allow, each followed by the release window and one more
        sprint (for its tickets to finish) within the data.
    n_origins : int, default 6
    draws : int, default 2000
        Simulated releases per origin.
    seed : int, Generator or None, default 0
    calibrator : Calibrator, optional
        Settings of the model fitted at each origin (default
        ``Calibrator()``).
    calendar : WorkCalendar, optional
        Taken from the TicketTable when given one (else weekends only).
    as_of : Timestamp, optional
        The end of the data; as for :func:`calibrate.backtest.backtest`.

    Returns
    -------
    ReleaseBacktest

    Raises
    ------
    InputError
        If the table is not a canonical ticket table, or no origin can be
        scored.

    Notes
    -----
    At each origin the model is fitted on :func:`calibrate.backtest.tickets_known_at`
    and :func:`forecast_release` forecasts the tickets started in the
    window, each with the engineer who did it; the sum of their simulated
    working days is compared with the sum of their actual durations. See
    the module docstring for open tickets. The coverage is reported two
    ways: one-sided — the actual total at or below the 85th percentile, the
    planner's "done by" figure — and the central 85% interval.

    Examples
    --------
    >>> from calibrate import read_export
    >>> from calibrate.plan import backtest_release
    >>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
    >>> result = backtest_release(read_export(SAMPLE, config=CONFIG), n_origins=2)
    >>> result.coverage["interval"].tolist()
    ['finished by the 85th percentile', 'central 85% interval']
    >>> len(result.origins)
    2
    """
    table = tickets.tickets if isinstance(tickets, TicketTable) else tickets
    if not isinstance(tickets, TicketTable):
        validate_tickets(table)
    if calendar is None:
        calendar = getattr(tickets, "calendar", None) or WorkCalendar()
    calibrator = calibrator or Calibrator()
    calibrator._validate_params()
    sprint_days = _positive(sprint_days, "sprint_days")
    if int(horizon_sprints) != horizon_sprints or horizon_sprints < 1:
        raise InputError(f"horizon_sprints must be a whole number >= 1, not "
                         f"{horizon_sprints!r}")
    window_days = int(horizon_sprints) * sprint_days
    if as_of is None:
        as_of = getattr(tickets, "as_of", None)
    end = (_end_of_data(table, calendar) if as_of is None or pd.isna(as_of)
           else pd.Timestamp(as_of))
    if origins is None:
        origins = _default_origins(table, calendar, sprint_days, int(horizon_sprints), end,
                                   n_origins)
    origins = sorted(pd.Timestamp(o) for o in origins)
    if not origins:
        raise InputError("The release backtest needs at least one origin",
                         hint="The history needs about twice the release window "
                              f"({window_days:g} working days) of tickets.")
    clock = str(table["clock"].iloc[0]) if len(table) and table["clock"].nunique() == 1 \
        else "mixed"
    if clock != "cycle":
        warnings.warn(f"the durations are {clock} time: the release totals include waiting",
                      CalibrationWarning, stacklevel=2)
    rng = np.random.default_rng(seed)
    started = table["started_at"]
    rows, released = [], []
    for origin in origins:
        window_end = _window_ends(calendar, [origin], window_days)[0]
        known = tickets_known_at(table, origin, calendar)
        n_training = int((~known["censored"]).sum())
        release = table[(started >= origin) & (started < window_end)]
        if n_training < _MIN_FINISHED or release.empty:
            warnings.warn(f"release backtest origin {origin:%Y-%m-%d} skipped: too little "
                          f"data ({n_training} finished before, {len(release)} started in "
                          "the window)", CalibrationWarning, stacklevel=2)
            continue
        try:
            with warnings.catch_warnings():
                # Boundary and few-ticket warnings are expected on early origins.
                warnings.simplefilter("ignore", CalibrationWarning)
                fitted = Calibrator(**calibrator.get_params()).fit(known).result_
                forecast = forecast_release(
                    fitted, release[["ticket_id", "area", "points", "engineer"]],
                    sprint_days=sprint_days, start=origin.date(), draws=draws, seed=rng)
        except InputError as error:
            warnings.warn(f"release backtest origin {origin:%Y-%m-%d} skipped: "
                          f"{error.summary}", CalibrationWarning, stacklevel=2)
            continue
        total = forecast.distribution["total_days"].to_numpy()
        rows.append({"origin": origin, "window_end": window_end, "n_tickets": len(release),
                     "n_open": int(release["censored"].sum()), "n_training": n_training,
                     **_scored_total(total, release["duration_days"].to_numpy(float),
                                     bool(release["censored"].any()))})
        released.append(release[["ticket_id", "engineer", "area", "points", "started_at",
                                  "duration_days", "censored"]].assign(origin=origin))
    if not rows:
        raise InputError("No release backtest origin had enough data to score",
                         hint="The backtest needs a longer history (dozens of finished "
                              "tickets before each origin and tickets started after it).")
    frame = pd.DataFrame(rows)
    coverage = pd.DataFrame([
        _coverage("finished by the 85th percentile", frame["within_p85"]),
        _coverage("central 85% interval", frame["inside_central_85"])])
    release_tickets = pd.concat(released, ignore_index=True)
    release_tickets = release_tickets[["origin", *release_tickets.columns[:-1]]]
    return ReleaseBacktest(origins=frame, tickets=release_tickets, coverage=coverage,
                           sprint_days=sprint_days, horizon_sprints=int(horizon_sprints),
                           draws=int(draws), seed=seed)


def _default_origins(table: pd.DataFrame, calendar: WorkCalendar, sprint_days: float,
                     horizon_sprints: int, end: pd.Timestamp, n_origins: int) -> list:
    """Up to ``n_origins`` sprint boundaries spread over the second half of
    the history, their releases not overlapping, each followed by a whole
    window and one more sprint within the data."""
    window_days = horizon_sprints * sprint_days
    starts = table["started_at"]
    if starts.empty:
        return []
    first = pd.Timestamp(starts.min()).normalize()
    span = calendar.working_days_between(pd.Series([first]), pd.Series([end]))[0]
    boundaries = _window_ends(calendar, [first] * int(span // sprint_days + 1),
                              sprint_days * np.arange(int(span // sprint_days + 1)))
    # One more sprint after the window lets most of its tickets finish
    # within the data (an open one can leave the verdict undecided).
    ends = _window_ends(calendar, boundaries, window_days + sprint_days)
    middle = starts.quantile(0.5)
    eligible = [b for b, e in zip(boundaries, ends, strict=True) if b >= middle and e <= end]
    if not eligible or n_origins < 1:
        return []
    # Boundaries are a sprint apart: releases at least horizon_sprints apart
    # share no tickets (their verdicts are closer to independent).
    count = min(int(n_origins), (len(eligible) - 1) // horizon_sprints + 1)
    picks = np.round(np.linspace(0, len(eligible) - 1, count)).astype(int)
    return [eligible[k] for k in picks]


def _window_ends(calendar: WorkCalendar, starts: Sequence, days) -> list[pd.Timestamp]:
    """``days`` working days after each start (a sprint's or window's end)."""
    days = np.broadcast_to(np.asarray(days, dtype=float), (len(starts),))
    moments = calendar.add_working_days(pd.Series(pd.to_datetime(list(starts))), days)
    return [pd.Timestamp(moment) for moment in moments]


def _scored_total(total: np.ndarray, durations: np.ndarray, has_open: bool) -> dict:
    """A release's forecast percentiles and verdicts (see :class:`ReleaseBacktest`)."""
    low, p50, p85, high, p95 = np.quantile(
        total, [(1 - LEVEL) / 2, 0.5, LEVEL, (1 + LEVEL) / 2, 0.95])
    actual = float(durations.sum())
    if has_open:
        # Only the total so far is known: a lower bound of the actual one.
        within = 0.0 if actual > p85 else np.nan
        inside = 0.0 if actual > high else np.nan
        pit = np.nan
    else:
        within = float(actual <= p85)
        inside = float(low <= actual <= high)
        pit = float((total <= actual).mean())
    return {"mean_days": float(total.mean()), "p50_days": p50, "p85_days": p85,
            "p95_days": p95, "central_low": low,
            "central_high": high, "actual_days": actual, "within_p85": within,
            "inside_central_85": inside, "pit": pit}


def _coverage(name: str, verdicts: pd.Series) -> dict:
    """Hits among the decided origins, with a Clopper–Pearson interval."""
    decided = verdicts.dropna()
    hits, count = int(decided.sum()), len(decided)
    if count:
        interval = stats.binomtest(hits, count).proportion_ci(_CONFIDENCE, method="exact")
        low, high, share = interval.low, interval.high, hits / count
    else:
        low = high = share = np.nan
    return {"interval": name, "hits": hits, "decided": count,
            "undecided": int(verdicts.isna().sum()), "coverage": share, "ci_low": low,
            "ci_high": high, "nominal": LEVEL}


def _percent(value: float) -> str:
    return "n/a" if pd.isna(value) else f"{value:.0%}"

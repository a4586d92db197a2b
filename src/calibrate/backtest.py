"""Trust checks: a rolling-origin backtest against planning baselines, and drift.

Backtest
--------
For each origin t (by default four, spread over the second half of the
history), every model is fitted on exactly what an export taken at t would
have held (:func:`tickets_known_at`): the tickets whose clock started before
t — finished by t as finished, every other one open, censored at its
working-day age at t (including tickets that never finish) — and nothing
known after t. Each model then predicts every ticket *started* in the
window that follows (up to the next origin), as a planner would, and every
one of them is scored: the tickets finished by the end of the data on their
duration, the ones still open then as censored at their age. Random splits
are never used: ticket histories drift.

Per-ticket scores (:func:`normal_scores`, :func:`sample_scores`), all on
log working days y, for a forecast with distribution function F:

finished ticket, duration y
    PIT F(y); hit of the central 50/80/90% intervals; CRPS
    ``∫ (F(z) - 1{y <= z})² dz`` (Gneiting & Raftery 2007); log score
    ``-log f(y)``; Brier score of P(duration > cap).
open ticket, known only to exceed its age c
    *log score*: ``-log P(Y > log c)`` — the censored likelihood, a proper
    score for right-censored outcomes under independent censoring (Rindt et
    al. 2022, "Survival regression with proper scoring rules and monotonic
    neural networks", AISTATS).
    *CRPS*: ``∫_{-∞}^{log c} F(z)² dz``, the right-censored Survival-CRPS
    of Avati et al. ("Countdown regression: sharp and calibrated survival
    predictions", UAI 2019, PMLR 115, 2020): the part of the CRPS integral
    the observation determines (below log c the step 1{y <= z} is known to
    be 0; above it, unknown). For a normal N(m, s²), with x = (log c - m) / s,
    ``s [x Φ(x)² + 2 Φ(x) φ(x) - Φ(√2 x) / √π]`` (differentiate: the
    bracket's derivative is Φ(x)²; it vanishes at -∞). For an ensemble
    x_(1) <= ... <= x_(m), ``Σ_k (k/m)² |[x_(k), x_(k+1)) ∩ (-∞, log c)|``.
    *interval hit*: a miss when log c is already at or above the interval's
    upper end (the duration is past it), undetermined (NaN) otherwise.
    *PIT*: randomised, uniform on [F(log c), 1] (a fixed seed, so reruns
    agree): for a calibrated forecast F(Y) given Y > c is uniform there, so
    the values are uniform overall.
    *Brier*: the outcome is known (1) when the age has reached the cap,
    otherwise NaN.

Pooled scores: inverse probability of censoring weights
--------------------------------------------------------
Averaging those per-ticket values would still read optimistic: an open
ticket's Survival-CRPS leaves out the part of the integral above its age,
the tickets that finished are the quick ones, and mixing the two is not a
proper score (Rindt et al. 2022). The pooled coverage, CRPS, log score,
Brier score and PIT histogram are therefore estimates of what a forward
evaluation that waited for every ticket to finish would report, by inverse
probability of censoring weighting (IPCW; Robins & Rotnitzky 1992, and Graf
et al. 1999 for scores of survival forecasts). Censoring here is
administrative: a ticket's follow-up, the working days from its start to
the end of the data, is known for every ticket, finished or not, and a
ticket of duration y is seen to finish exactly when its follow-up is at
least y. With G(y) the share of the window's tickets whose follow-up is at
least y, a finished ticket gets weight 1 / G(y) (it stands for itself and
for the tickets like it still open at the end) and an open one weight 0
(see :func:`censoring_weights`); the pooled score is the weighted mean
over the finished tickets of all origins. The weights of a window sum to
about its number of tickets, so the pooling is ticket-weighted. This
assumes a ticket's duration does not depend on where in its window it
started, and it cannot see durations longer than a window's longest
follow-up (a warning says when the weights suggest that more than a tenth
of a window's tickets take that long).

``n_scored`` counts every ticket scored (``n_finished_scored`` +
``n_censored_scored``). Also reported: ``finished_coverage_50`` / ``_80`` /
``_90``, the plain share over the finished tickets only (biased towards
quick tickets; shown for comparison), and ``censored_log_score``, the plain
mean of the censored log score over every ticket (proper, so it ranks
models on all the tickets without any weighting).

Models compared, all fitted on the same training table:

``calibrate``
    The full model (engineers and engineer x area, partial pooling); with
    declared skill profiles (``skills=``) also their level effects and the
    ramp-up of new members (see "Declared skills" below).
``team only``
    Points and area, no engineers.
``1 point = 1 day``
    Median duration = points; the log-scale sd of log(actual / points) is
    fitted by maximum likelihood with the open training tickets censored at
    their age (the root mean square of log(actual / points) when none is
    open).
``EBS ratios``
    Evidence-Based Scheduling: the engineer's own past log(actual /
    estimate) ratios (the team's when the engineer has fewer than five
    finished tickets), resampled: 200 quantiles of their Kaplan–Meier
    distribution, so open tickets count at their age as for the other
    models (mass beyond the largest ratio, if that one is open, sits on
    it). Its log score is undefined (an empirical distribution has no
    density).

Declared skills
---------------
With skill profiles (:mod:`calibrate.skills`; ``backtest(..., skills=)``,
``drift(..., skills=)``) each refit of calibrate is the report's fit,
``Calibrator.fit(train, skills=..., ramp_up="auto")``, given the profiles of
the engineers who have tickets in the training table and their levels in
its areas only (a fit refuses the others). Every ticket's ramp-up is read
at its own start. An engineer first seen after the origin is predicted from
their profile — declared levels (in the areas the fit knows) and start
date — as :meth:`calibrate.export.Multipliers.predict` predicts a new hire
(``profile=``, ``on=``); without a profile, as an unseen engineer. The
baselines never use profiles.

Is that fair? A profile holds no durations, so no outcome leaks; but a
profile file has no dates of its own, and the backtest takes each
declaration as known at every origin. That is what a planner had when the
levels were declared before the work they describe — a hire's profile
written when they joined, levels stated before the tickets scored — and
then the scores are a fair forecast. Levels written or revised with
hindsight of the tickets (a level set after seeing someone's speed) would
have been unknown at the origin: the scores then overstate what the
declarations buy, most for the engineers first seen after an origin.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import optimize, special

from calibrate._distributions import normal_logpdf, normal_pdf, normal_ppf, normal_sf
from calibrate.durations import WorkCalendar
from calibrate.errors import CalibrationWarning, InputError
from calibrate.model import (
    Calibrator,
    _pool_areas,
    add_skill_terms,
    area_points_counts_coded,
    design_from_codes,
    open_only_area_rows,
    recency_weights,
)
from calibrate.skills import SkillProfiles
from calibrate.summary import Summary
from calibrate.tickets import TicketTable, validate_tickets

__all__ = [
    "BacktestResult",
    "DriftResult",
    "backtest",
    "censoring_weights",
    "drift",
    "kaplan_meier",
    "normal_scores",
    "sample_scores",
    "tickets_known_at",
]

MODELS = ("calibrate", "team only", "1 point = 1 day", "EBS ratios")
LEVELS = (0.5, 0.8, 0.9)
_MIN_OWN_RATIOS = 5
#: Quantiles of the Kaplan-Meier ratio distribution that stand for an EBS forecast.
_EBS_DRAWS = 200
#: Seed of the uniform draws of the randomised PIT of open tickets (the same
#: draw for a ticket under every model, so the models are compared alike).
_PIT_SEED = 20260610
#: Warn when the weights suggest fewer than this share of a window's tickets
#: can finish within the data (the rest are invisible to every estimate).
_MIN_OBSERVABLE_SHARE = 0.9
#: Largest ensemble block scored at once (rows x draws), to bound memory:
#: scoring holds about ten float arrays of a block (32 MB each at this size).
_BLOCK_CELLS = 2**22
_NANOSECONDS_PER_DAY = 86_400_000_000_000
_SCORE_COLUMNS = ("log_actual", "censored", "pit", "inside_50", "inside_80", "inside_90",
                  "crps", "log_score", "brier")


def tickets_known_at(tickets: pd.DataFrame, origin: pd.Timestamp,
                     calendar: WorkCalendar, minimum_days: float = 1 / 24) -> pd.DataFrame:
    """The ticket table as an export taken at ``origin`` would have held it.

    Tickets whose clock started at or after ``origin`` are dropped (for
    lead-time tickets the clock starts at creation). Of the others, those
    finished by ``origin`` keep their duration; every other one — finished
    later, or never (still open at the end of the data) — becomes open,
    censored at its working-day age at ``origin`` (at least
    ``minimum_days``), with no finish time and no status (the status in the
    table is the one at the end of the data). Whether a ticket was open at
    ``origin`` is decided from its finish time alone, which an export at
    ``origin`` would have shown as empty.

    Parameters
    ----------
    tickets : DataFrame
        The canonical ticket table.
    origin : Timestamp
        The moment of the imagined export (team wall clock).
    calendar : WorkCalendar
        The calendar the ages are counted with.
    minimum_days : float
        Floor of an age, as the readers floor durations.

    Returns
    -------
    DataFrame
        The canonical columns, index reset.
    """
    origin = pd.Timestamp(origin)
    known = tickets[tickets["started_at"] < origin].copy()
    later = (known["finished_at"].isna() | (known["finished_at"] > origin)).to_numpy()
    so_far = calendar.working_days_between(known["started_at"].to_numpy()[later],
                                           np.full(int(later.sum()), origin.to_datetime64()))
    known.loc[later, "duration_days"] = np.maximum(so_far, minimum_days)
    known.loc[later, "censored"] = True
    known.loc[later, "finished_at"] = pd.NaT
    if "status" in known:
        # The export's status is the one at its end: unknown at the origin.
        known.loc[later, "status"] = pd.NA
    return known.reset_index(drop=True)


def censoring_weights(duration_days, censored, follow_up_days) -> np.ndarray:
    """Inverse probability of censoring weights for tickets of one window.

    A ticket's follow-up is the working time from its start to the end of
    the data; one of duration y finishes within the data when its follow-up
    is at least y. With G(y) the share of the given tickets whose follow-up
    is at least y, a finished ticket gets 1 / G(y) and an open one 0.
    Averaging a per-ticket score over the finished tickets with these weights
    estimates its mean over all the tickets with their eventual durations,
    provided durations do not depend on the follow-up (the start time).

    Parameters
    ----------
    duration_days : array of float
        Durations (finished) or ages at the end of the data (open).
    censored : array of bool
        Open at the end of the data.
    follow_up_days : array of float
        Working days from each ticket's start to the end of the data (for an
        open ticket, its age).

    Returns
    -------
    ndarray of float

    Examples
    --------
    >>> from calibrate.backtest import censoring_weights
    >>> censoring_weights([1.0, 3.0, 2.0, 0.5], [False, False, True, True],
    ...                   [9.0, 9.0, 2.0, 0.5]).tolist()
    [1.3333333333333333, 2.0, 0.0, 0.0]
    """
    duration = np.asarray(duration_days, dtype=float)
    censored = np.asarray(censored, dtype=bool)
    # A finished ticket was followed at least as long as it took (guards
    # against an end of the data inferred a little too early).
    follow_up = np.where(censored, np.asarray(follow_up_days, dtype=float),
                         np.maximum(follow_up_days, duration))
    ordered = np.sort(follow_up)
    at_least = len(ordered) - np.searchsorted(ordered, duration, side="left")
    with np.errstate(divide="ignore"):
        weight = len(ordered) / at_least
    return np.where(censored, 0.0, weight)


def normal_scores(actual_log, mean, sd, *, cap, censored=None) -> pd.DataFrame:
    """Scores of normal forecasts of log working days, open tickets censored.

    Parameters
    ----------
    actual_log : array of float
        Log working days: the duration of a finished ticket, the age at the
        end of the data of an open one.
    mean, sd : array of float
        The forecasts' mean and standard deviation (log scale).
    cap : float
        The cap in working days, for the Brier score of P(duration > cap).
    censored : array of bool, optional
        Open tickets (``None``: every ticket finished).

    Returns
    -------
    DataFrame
        ``log_actual``, ``censored``, ``pit``, ``inside_50`` / ``_80`` /
        ``_90`` (1.0 hit, 0.0 miss, NaN undetermined), ``crps``,
        ``log_score``, ``brier`` (NaN when undetermined); the definitions for
        open tickets are in the module docstring.

    Examples
    --------
    >>> import numpy as np
    >>> from calibrate.backtest import normal_scores
    >>> scores = normal_scores(np.log([2.0, 5.0]), np.zeros(2), np.ones(2), cap=3.0,
    ...                        censored=[False, True])
    >>> scores[["inside_80", "brier"]].round(3).to_numpy().tolist()
    [[1.0, 0.018], [0.0, 0.747]]
    """
    actual = np.asarray(actual_log, dtype=float).reshape(-1)
    count = len(actual)
    mean = np.broadcast_to(np.asarray(mean, dtype=float), (count,))
    sd = np.broadcast_to(np.asarray(sd, dtype=float), (count,))
    censored = _censored_flags(censored, count)
    z = (actual - mean) / sd
    cdf, density = special.ndtr(z), normal_pdf(z)
    frame = {"log_actual": actual, "censored": censored,
             "pit": _randomised_pit(cdf, censored)}
    for level in LEVELS:
        half = normal_ppf(0.5 + level / 2)
        frame[f"inside_{int(level * 100)}"] = _interval_hits(
            actual, mean - half * sd, mean + half * sd, censored)
    full = z * (2 * cdf - 1) + 2 * density - 1 / np.sqrt(np.pi)
    below = z * cdf**2 + 2 * cdf * density - special.ndtr(np.sqrt(2) * z) / np.sqrt(np.pi)
    frame["crps"] = sd * np.where(censored, below, full)
    frame["log_score"] = np.where(censored, -special.log_ndtr(-z),
                                  -normal_logpdf(actual, mean, sd))
    frame["brier"] = _brier(normal_sf((np.log(cap) - mean) / sd), actual, censored, cap)
    return pd.DataFrame(frame)


def sample_scores(actual_log, samples, *, cap, censored=None) -> pd.DataFrame:
    """Scores of ensemble (sample) forecasts of log working days, open tickets censored.

    Parameters
    ----------
    actual_log : array of float
        Log working days: the duration of a finished ticket, the age at the
        end of the data of an open one.
    samples : 2-D array (tickets x draws) or sequence of 1-D arrays
        Each ticket's draws of log working days; equally weighted. Rows may
        differ in length when given as a sequence.
    cap : float
        The cap in working days, for the Brier score of P(duration > cap).
    censored : array of bool, optional
        Open tickets (``None``: every ticket finished).

    Returns
    -------
    DataFrame
        The columns of :func:`normal_scores`; ``log_score`` is NaN (an
        empirical distribution has no density). The interval is between the
        draws' quantiles (numpy's linear interpolation); the PIT of a
        finished ticket is the share of draws below it, ties counted half;
        the CRPS of a finished ticket is E|X - y| - E|X - X'| / 2.

    Examples
    --------
    >>> import numpy as np
    >>> from calibrate.backtest import sample_scores
    >>> draws = np.array([[0.0, 1.0, 2.0, 3.0]])
    >>> sample_scores(np.array([1.5]), draws, cap=10.0)[["pit", "crps"]].to_numpy().tolist()
    [[0.5, 0.375]]
    """
    actual = np.asarray(actual_log, dtype=float).reshape(-1)
    count = len(actual)
    censored = _censored_flags(censored, count)
    uniform = _pit_uniforms(count)
    if isinstance(samples, np.ndarray) and samples.ndim == 2:
        groups = [(np.arange(count), samples)]
    else:
        rows = [np.asarray(sample, dtype=float).reshape(-1) for sample in samples]
        lengths = np.array([len(row) for row in rows], dtype=int)
        groups = [(np.flatnonzero(lengths == length),
                   np.stack([rows[i] for i in np.flatnonzero(lengths == length)]))
                  for length in np.unique(lengths)]
    if sum(len(rows) for rows, _ in groups) != count:
        raise ValueError("samples needs one row of draws per ticket")
    out = {name: np.full(count, np.nan) for name in _SCORE_COLUMNS}
    for rows, matrix in groups:
        matrix = np.asarray(matrix, dtype=float)
        if matrix.shape[1] == 0:
            raise ValueError("every ticket needs at least one draw")
        block = max(1, _BLOCK_CELLS // matrix.shape[1])
        for first in range(0, len(rows), block):
            part = slice(first, first + block)
            chosen = rows[part]
            scores = _ensemble_scores(actual[chosen], np.sort(matrix[part], axis=1),
                                      censored[chosen], uniform[chosen], cap)
            for name, values in scores.items():
                out[name][chosen] = values
    out["log_actual"], out["censored"] = actual, censored
    return pd.DataFrame({name: out[name] for name in _SCORE_COLUMNS})


def _ensemble_scores(actual, draws, censored, uniform, cap) -> dict[str, np.ndarray]:
    """Scores of sorted draws (tickets x m); see :func:`sample_scores`."""
    m = draws.shape[1]
    column = actual[:, None]
    below = (draws < column).sum(axis=1)
    at_or_below = (draws <= column).sum(axis=1)
    # Finished: mid-rank PIT. Open: uniform on [P(X <= c), 1].
    cdf = np.where(censored, at_or_below / m, (below + 0.5 * (at_or_below - below)) / m)
    out = {"pit": _randomised_pit(cdf, censored, uniform)}
    for level in LEVELS:
        low, high = np.quantile(draws, [0.5 - level / 2, 0.5 + level / 2], axis=1)
        out[f"inside_{int(level * 100)}"] = _interval_hits(actual, low, high, censored)
    # E|X - X'| from the sorted draws: 2 sum_k x_(k) (2k - m - 1) / m^2.
    rank = 2 * np.arange(1, m + 1) - m - 1
    mean_spread = 2 * (draws * rank).sum(axis=1) / m**2
    full = np.abs(draws - column).mean(axis=1) - mean_spread / 2
    # Open: the empirical F is k/m on [x_(k), x_(k+1)); integrate F^2 up to log c.
    following = np.concatenate([draws[:, 1:], np.full((len(actual), 1), np.inf)], axis=1)
    pieces = np.clip(np.minimum(following, column) - draws, 0, None)
    below_age = (pieces * (np.arange(1, m + 1) / m) ** 2).sum(axis=1)
    out["crps"] = np.where(censored, below_age, full)
    out["log_score"] = np.full(len(actual), np.nan)
    out["brier"] = _brier((draws > np.log(cap)).mean(axis=1), actual, censored, cap)
    return out


def _censored_flags(censored, count: int) -> np.ndarray:
    if censored is None:
        return np.zeros(count, dtype=bool)
    flags = np.asarray(censored, dtype=bool).reshape(-1)
    if len(flags) != count:
        raise ValueError(f"censored has {len(flags)} values for {count} tickets")
    return flags


def _pit_uniforms(count: int) -> np.ndarray:
    """The seeded uniforms of the randomised PIT, one per ticket in order."""
    return np.random.default_rng(_PIT_SEED).uniform(size=count)


def _randomised_pit(cdf, censored, uniform=None) -> np.ndarray:
    """F(y) when finished; for an open ticket uniform on [F(log c), 1]."""
    uniform = _pit_uniforms(len(cdf)) if uniform is None else uniform
    return np.where(censored, cdf + uniform * (1 - cdf), cdf)


def _interval_hits(actual, low, high, censored) -> np.ndarray:
    """1.0 inside [low, high], 0.0 outside; an open ticket is a miss only once
    its age has reached the upper end, undetermined (NaN) before."""
    finished = ((low <= actual) & (actual <= high)).astype(float)
    return np.where(censored, np.where(actual >= high, 0.0, np.nan), finished)


def _brier(p_over, actual, censored, cap) -> np.ndarray:
    """(p - outcome)^2 for duration > cap; an open ticket's outcome is known
    (1) only once its age has reached the cap."""
    outcome = np.where(censored, 1.0, actual > np.log(cap))
    known = ~censored | (actual >= np.log(cap))
    return np.where(known, (p_over - outcome) ** 2, np.nan)


@dataclass
class BacktestResult:
    """Scores of every model at every origin.

    Attributes
    ----------
    scores : DataFrame
        One row per (origin, model): the columns of :meth:`summary` for that
        origin alone, and ``observable_share`` (the weights' sum over the
        window's tickets: about the share of them that could finish within
        the data).
    predictions : DataFrame
        One row per (origin, model, scored ticket): the columns of
        :func:`normal_scores` (``log_actual``, ``censored``, ``pit``, interval
        hits, ``crps``, ``log_score``, ``brier``), ``log_mean`` and ``log_sd``
        of a normal forecast (NaN for EBS), ``follow_up_days`` (working days
        from the start to the end of the data), ``weight`` (the inverse
        probability of censoring weight), ``ticket_id``, ``engineer``,
        ``area``, ``origin`` and ``model``.
    cap_days : float
    """

    scores: pd.DataFrame
    predictions: pd.DataFrame
    cap_days: float

    def summary(self) -> Summary:
        """The scores by model and the PIT histogram (prints as text; the
        frames are in ``.tables``)."""
        return Summary("Backtest", {"Scores by model (pooled over origins)":
                                    self.scores_by_model(),
                                    "PIT histogram (share per bin)": self.pit_histogram()},
                       after=["CRPS and log score on log working days: lower is better. "
                              "Coverage should equal 50/80/90%."])

    def scores_by_model(self) -> pd.DataFrame:
        """Scores pooled over all origins, one row per model.

        Columns: ``n_scored`` (every ticket scored), ``coverage_50`` /
        ``_80`` / ``_90``, ``crps``, ``log_score``, ``brier`` (weighted means
        that estimate what a forward evaluation with every duration known
        would report; see the module docstring), ``n_finished_scored``,
        ``n_censored_scored``, ``finished_coverage_50`` / ``_80`` / ``_90``
        (plain shares over the finished tickets) and ``censored_log_score``
        (plain mean of the censored log score over every ticket). NaN scores
        are skipped.
        """
        rows = [{"model": model, **_pooled(group)}
                for model, group in self.predictions.groupby("model", sort=False)]
        return pd.DataFrame(rows).set_index("model").reindex(
            [m for m in MODELS if m in set(self.predictions["model"])])

    def pit_histogram(self, bins: int = 10) -> pd.DataFrame:
        """Share of PIT values per bin, per model (each ~1/bins when calibrated).

        The finished tickets with their censoring weights (open tickets'
        randomised PIT would pull a miscalibrated model towards flat).
        """
        edges = np.linspace(0, 1, bins + 1)
        table = {}
        for model, group in self.predictions.groupby("model", sort=False):
            weight = group["weight"].to_numpy(dtype=float)
            counts, _ = np.histogram(group["pit"].clip(0, 1), bins=edges, weights=weight)
            table[model] = counts / weight.sum() if weight.sum() > 0 else counts * np.nan
        return pd.DataFrame(table, index=pd.IntervalIndex.from_breaks(edges, closed="left"))


def backtest(
    tickets: TicketTable | pd.DataFrame,
    *,
    calibrator: Calibrator | None = None,
    origins: Sequence[pd.Timestamp] | None = None,
    n_origins: int = 4,
    calendar: WorkCalendar | None = None,
    cap_days: float | None = None,
    as_of: pd.Timestamp | None = None,
    progress: Callable[[str], None] | None = None,
    skills: SkillProfiles | None = None,
) -> BacktestResult:
    """Rolling-origin backtest of calibrate and the baselines.

    Parameters
    ----------
    tickets : TicketTable or DataFrame
        The canonical ticket table (a DataFrame is validated first).
    calibrator : Calibrator, optional
        Settings for the full model (default ``Calibrator()``).
    origins : sequence of Timestamp, optional
        Forecast origins; by default ``n_origins`` quantiles of the start
        times over the second half of the history.
    calendar : WorkCalendar, optional
        Needed to re-censor tickets at each origin; taken from the
        TicketTable when given one.
    cap_days : float, optional
        The cap for the Brier score; defaults to the calibrator's.
    as_of : Timestamp, optional
        The end of the data (when open tickets were censored); taken from
        the TicketTable when given one, else the latest time the table
        implies (finish times, start times, and open tickets' start + age).
    progress : callable, optional
        Called with one short line as each origin starts, e.g.
        ``"backtest origin 2 of 4 (2025-03-01): refitting on 512,000
        tickets, scoring 128,000"``.
    skills : SkillProfiles, optional
        Declared levels and start dates (:mod:`calibrate.skills`), named as
        in the tickets: calibrate is refitted with them at each origin
        (``ramp_up="auto"``), restricted to the engineers and areas the
        training table has, and an engineer first seen after the origin is
        predicted from their profile. This assumes each declaration was
        known at every origin: see "Declared skills" in the module notes
        for when that is fair. The baselines do not use them. Without
        them (None) the scores are those of the plain model.

    Returns
    -------
    BacktestResult

    Raises
    ------
    InputError
        If a DataFrame is not a canonical ticket table, no origin has
        enough data, or ``skills`` names an engineer or area the tickets do
        not have (all listed).

    Notes
    -----
    Each origin's training table is exactly :func:`tickets_known_at`, and
    each model is fitted to it as ``Calibrator.fit`` would; the table's
    strings are coded once for all origins, so an origin costs a few array
    passes over its tickets plus the per-cell fits, and the EBS draws are
    scored in blocks (memory does not grow with the window).

    Examples
    --------
    >>> from calibrate import read_export
    >>> from calibrate.backtest import backtest
    >>> result = backtest(read_export("data/sample/linear_export.csv"), n_origins=2)
    >>> list(result.scores_by_model().index)
    ['calibrate', 'team only', '1 point = 1 day', 'EBS ratios']

    With the team's declared skills, calibrate is refitted with them at each
    origin (the baselines are not):

    >>> from calibrate.io.skills import read_skills
    >>> table = read_export("data/sample/jira_changelog.json",
    ...                     config="data/sample/calibrate.toml")
    >>> skilled = backtest(table, skills=read_skills("data/sample/skills.csv"))
    >>> crps = skilled.scores_by_model()["crps"]
    >>> bool(crps["calibrate"] < crps["team only"])
    True
    """
    table = tickets.tickets if isinstance(tickets, TicketTable) else tickets
    if not isinstance(tickets, TicketTable):
        # A reader's table was validated when read; a plain frame is checked
        # once here (the per-origin fits read arrays, not the table).
        validate_tickets(table)
    if calendar is None:
        calendar = getattr(tickets, "calendar", None) or WorkCalendar()
    calibrator = calibrator or Calibrator()
    calibrator._validate_params()
    if skills is not None:
        skills.check_against(table)
    cap = calibrator.cap_days if cap_days is None else cap_days
    if as_of is None:
        as_of = getattr(tickets, "as_of", None)
    end_of_data = _end_of_data(table, calendar) if as_of is None or pd.isna(as_of) \
        else pd.Timestamp(as_of)
    starts = table["started_at"].sort_values()
    if origins is None:
        quantiles = np.linspace(0.5, 1, n_origins + 1)[:-1]
        origins = [starts.quantile(q) for q in quantiles]
    origins = sorted(pd.Timestamp(o) for o in origins)
    if not origins:
        raise InputError("The backtest needs at least one origin")
    ends = origins[1:] + [starts.max() + pd.Timedelta(seconds=1)]
    coded = _CodedTickets.of(table)

    predictions, scores = [], []
    for number, (origin, end) in enumerate(zip(origins, ends, strict=True), start=1):
        known = coded.known_at(origin, calendar)
        window = np.flatnonzero((coded.started >= _ns(origin)) & (coded.started < _ns(end)))
        finished_before = int((~known.censored).sum())
        if finished_before < 20 or not len(window):
            warnings.warn(f"backtest origin {origin:%Y-%m-%d} skipped: too little data "
                          f"({finished_before} finished before, "
                          f"{len(window)} to score after)", CalibrationWarning, stacklevel=2)
            continue
        if progress is not None:
            progress(f"backtest origin {number} of {len(origins)} ({origin:%Y-%m-%d}): "
                     f"refitting on {len(known.rows):,} tickets, scoring {len(window):,}")
        censored = coded.censored[window]
        duration = coded.duration[window]
        follow_up = calendar.working_days_between(
            coded.started[window], np.full(len(window), end_of_data.to_datetime64()))
        # An open ticket's age is its follow-up (as the export counted it).
        follow_up = np.where(censored, duration, np.maximum(follow_up, duration))
        weight = censoring_weights(duration, censored, follow_up)
        observable = float(weight.sum() / len(window))
        if observable < _MIN_OBSERVABLE_SHARE:
            warnings.warn(
                f"backtest origin {origin:%Y-%m-%d}: only about {observable:.0%} of the "
                f"{len(window)} tickets started after it could have finished within the data "
                f"(longest follow-up {follow_up.max():.1f} working days); the scores describe "
                "those", CalibrationWarning, stacklevel=2)
        ticket_id = table["ticket_id"].iloc[window].to_numpy()
        for model, frame in _predict_all(coded, known, window, ticket_id, calibrator,
                                         cap, skills).items():
            frame = frame.assign(follow_up_days=follow_up, weight=weight,
                                 origin=origin, model=model)
            predictions.append(frame)
            scores.append({"origin": origin, "model": model, **_pooled(frame),
                           "observable_share": observable})
    if not predictions:
        raise InputError("No backtest origin had enough data to score",
                         hint="The backtest needs a longer history (dozens of tickets "
                              "before and after each origin).")
    return BacktestResult(pd.DataFrame(scores), pd.concat(predictions, ignore_index=True), cap)


def _ns(moment) -> np.datetime64:
    return pd.Timestamp(moment).to_datetime64().astype("datetime64[ns]")


@dataclass(frozen=True)
class _Known:
    """The tickets an export at an origin holds (:func:`tickets_known_at`), as
    arrays: positions in the table, durations and flags as re-censored there."""

    rows: np.ndarray
    duration: np.ndarray
    censored: np.ndarray
    finished: np.ndarray


@dataclass(frozen=True)
class _CodedTickets:
    """The columns the backtest reads, as arrays, engineers and areas coded once.

    Codes index the sorted names, as ``pd.factorize(..., sort=True)`` gives
    them, so a subset recoded by :func:`_recode` is coded exactly as
    :func:`~calibrate.model.prepare_design` would code it from its strings.
    """

    started: np.ndarray
    finished: np.ndarray
    created: np.ndarray
    duration: np.ndarray
    censored: np.ndarray
    points: np.ndarray
    engineer: np.ndarray
    engineers: np.ndarray
    area: np.ndarray
    areas: np.ndarray
    clock: np.ndarray
    clocks: pd.Index

    @classmethod
    def of(cls, table: pd.DataFrame) -> _CodedTickets:
        engineer, engineers = pd.factorize(table["engineer"], sort=True)
        area, areas = pd.factorize(table["area"], sort=True)
        clock, clocks = pd.factorize(table["clock"])
        return cls(
            started=table["started_at"].to_numpy(dtype="datetime64[ns]"),
            finished=table["finished_at"].to_numpy(dtype="datetime64[ns]"),
            created=table["created_at"].to_numpy(dtype="datetime64[ns]"),
            duration=table["duration_days"].to_numpy(dtype=float),
            censored=table["censored"].to_numpy(dtype=bool),
            points=table["points"].to_numpy(dtype=float),
            engineer=engineer, engineers=np.asarray(engineers, dtype=object),
            area=area, areas=np.asarray(areas, dtype=object),
            clock=clock, clocks=pd.Index(clocks))

    def known_at(self, origin: pd.Timestamp, calendar: WorkCalendar,
                 minimum_days: float = 1 / 24) -> _Known:
        """:func:`tickets_known_at`, on the arrays (same rows, same order)."""
        moment = _ns(origin)
        rows = np.flatnonzero(self.started < moment)
        finished = self.finished[rows]
        later = np.isnat(finished) | (finished > moment)
        duration = self.duration[rows]
        so_far = calendar.working_days_between(self.started[rows[later]],
                                               np.full(int(later.sum()), moment))
        duration[later] = np.maximum(so_far, minimum_days)
        finished[later] = np.datetime64("NaT")
        return _Known(rows, duration, self.censored[rows] | later, finished)

    def training_table(self, known: _Known) -> pd.DataFrame:
        """The columns of the training table a fitted result reads (its
        window, clock and points range), without the text columns."""
        rows = known.rows
        return pd.DataFrame({
            "started_at": self.started[rows], "finished_at": known.finished,
            "created_at": self.created[rows], "censored": known.censored,
            "points": self.points[rows],
            "clock": pd.Categorical.from_codes(self.clock[rows], self.clocks)})

    def newest(self, known: _Known) -> np.datetime64:
        """The newest time of the training table, as ``_recency_weights`` reads it."""
        candidates = [self.started[known.rows].max()]
        for values in (self.created[known.rows], known.finished):
            values = values[~np.isnat(values)]
            if len(values):
                candidates.append(values.max())
        return max(candidates)


def _recode(codes: np.ndarray, names: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Codes of a subset into the names it uses (kept in sorted order)."""
    used = np.zeros(len(names), dtype=bool)
    used[codes] = True
    position = np.cumsum(used) - 1
    return position[codes], [str(name) for name in names[used]]


def _refit(coded: _CodedTickets, known: _Known, calibrator: Calibrator,
           skills: SkillProfiles | None = None) -> dict:
    """The calibrate and team-only fits to the export at an origin.

    The same fits as ``Calibrator(...).fit(tickets_known_at(...))``, from
    the coded arrays: one design serves both (the area pooling and recency
    weights do not depend on ``random_effects``). With ``skills``, calibrate's
    is ``fit(..., skills=_fittable_profiles(...), ramp_up="auto")``: the
    same design with the skill terms added. Warnings are not raised
    (boundary and few-ticket warnings are expected on early windows).
    """
    # As fit does: an area with no finished ticket yet is left out (its level
    # has no finite estimate); its tickets are then scored as an unseen area's.
    keep = ~open_only_area_rows(coded.area[known.rows], known.censored)
    if not keep.all():
        known = _Known(known.rows[keep], known.duration[keep], known.censored[keep],
                       known.finished[keep])
    rows = known.rows
    engineer, engineers = _recode(coded.engineer[rows], coded.engineers)
    area, areas = _recode(coded.area[rows], coded.areas)
    points = coded.points[rows]
    params = calibrator.get_params()
    weight = None
    if params["half_life_days"] is not None:
        age_days = (coded.newest(known) - coded.started[rows]) / np.timedelta64(1, "D")
        weight = recency_weights(age_days, params["half_life_days"])
    table = coded.training_table(known)
    fits = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        pooling = _pool_areas(area_points_counts_coded(area, areas, points, known.censored),
                              calibrator)
        design = design_from_codes(
            engineer, engineers, area, areas, points, known.duration, known.censored,
            slopes=pooling.slopes, slope_groups=pooling.slope_groups,
            reference_points=params["reference_points"], zero_points=params["zero_points"],
            weight=weight)
        designs = {"calibrate": design, "team only": design}
        if skills is not None:
            designs["calibrate"] = add_skill_terms(
                design, _fittable_profiles(skills, engineers, areas), coded.started[rows],
                ramp=True)
        for model, random_effects in (("calibrate", True), ("team only", False)):
            fitted = Calibrator(**{**params, "random_effects": random_effects})
            fitted._fit_prepared(designs[model], pooling, table, None,
                                 points_test=_no_points_test)
            fits[model] = fitted.result_
    return fits


def _fittable_profiles(skills: SkillProfiles, engineers, areas) -> SkillProfiles:
    """The profiles of ``engineers`` with their levels in ``areas`` only: what
    a fit to tickets of just those engineers and areas accepts
    (:meth:`~calibrate.skills.SkillProfiles.check_against`)."""
    kept = skills.subset(engineers)
    levels = kept.levels[kept.levels["area"].isin(set(areas))].reset_index(drop=True)
    return replace(kept, levels=levels)


def _no_points_test() -> None:
    """The backtest's fits only predict: their points test is never asked for."""
    return None


def _end_of_data(table: pd.DataFrame, calendar: WorkCalendar) -> pd.Timestamp:
    """The latest moment the table implies: finish and start times, and open
    tickets' start plus their age."""
    moments = [table["finished_at"].max(), table["started_at"].max()]
    open_rows = table[table["censored"]]
    if len(open_rows):
        moments.append(calendar.add_working_days(
            open_rows["started_at"], open_rows["duration_days"].to_numpy(dtype=float)).max())
    return pd.Timestamp(max(m for m in moments if not pd.isna(m)))


def _pooled(frame: pd.DataFrame) -> dict[str, float]:
    """Pooled scores of a model's per-ticket frame (see :meth:`BacktestResult.summary`)."""
    censored = frame["censored"].to_numpy(dtype=bool)
    weight = frame["weight"].to_numpy(dtype=float)
    columns = [f"inside_{int(level * 100)}" for level in LEVELS]
    row = {"n_scored": len(frame)}
    for column in columns:
        row[column.replace("inside", "coverage")] = _weighted_mean(frame[column], weight)
    for score in ("crps", "log_score", "brier"):
        row[score] = _weighted_mean(frame[score], weight)
    row["n_finished_scored"] = int((~censored).sum())
    row["n_censored_scored"] = int(censored.sum())
    for column in columns:
        row[column.replace("inside", "finished_coverage")] = float(
            frame.loc[~censored, column].mean())
    row["censored_log_score"] = float(frame["log_score"].mean())
    return row


def _weighted_mean(values: pd.Series, weight: np.ndarray) -> float:
    values = values.to_numpy(dtype=float)
    use = (weight > 0) & ~np.isnan(values)
    total = weight[use].sum()
    return float(np.dot(weight[use], values[use]) / total) if total > 0 else np.nan


def _predict_all(coded: _CodedTickets, known: _Known, window: np.ndarray,
                 ticket_id: np.ndarray, calibrator: Calibrator, cap: float,
                 skills: SkillProfiles | None = None) -> dict[str, pd.DataFrame]:
    """Every model's forecasts of the window's tickets (positions ``window``),
    fitted on the export ``known`` at the origin, scored."""
    actual = np.log(coded.duration[window])
    censored = coded.censored[window]
    points = coded.points[window]
    test_engineer = coded.engineer[window]
    engineers = coded.engineers[test_engineer]
    areas = coded.areas[coded.area[window]]
    declared = {}
    if skills is not None:
        # Engineers first seen after the origin are predicted from their
        # profile, in the areas the fit knows (others: not estimated there).
        train_engineers = coded.engineers[np.unique(coded.engineer[known.rows])]
        newcomers = set(engineers) - set(train_engineers)
        profile = _fittable_profiles(skills, newcomers,
                                     coded.areas[np.unique(coded.area[known.rows])])
        declared = {"profile": profile if profile.engineers else None,
                    "on": coded.started[window]}
    out = {}
    for model, result in _refit(coded, known, calibrator, skills).items():
        prediction = result.predict(engineers, areas, points, budget_days=cap,
                                    **(declared if model == "calibrate" else {}))
        mean = prediction["log_mean"].to_numpy(dtype=float)
        sd = prediction["log_sd"].to_numpy(dtype=float)
        out[model] = normal_scores(actual, mean, sd, cap=cap, censored=censored).assign(
            log_mean=mean, log_sd=sd)
    train_censored = known.censored
    log_ratio = np.log(known.duration / np.maximum(coded.points[known.rows],
                                                   calibrator.zero_points))
    log_points = np.log(np.maximum(points, calibrator.zero_points))
    spread = _censored_rms(log_ratio, train_censored)
    out["1 point = 1 day"] = normal_scores(
        actual, log_points, np.full(len(window), spread), cap=cap, censored=censored).assign(
        log_mean=log_points, log_sd=spread)

    # EBS: one row of Kaplan-Meier quantiles per engineer with enough own
    # ratios (row 0: the team's), each ticket pointing to its row; the
    # tickets x draws matrix is only ever formed a block at a time.
    probabilities = (np.arange(_EBS_DRAWS) + 0.5) / _EBS_DRAWS
    train_engineer = coded.engineer[known.rows]
    finished_per_engineer = np.bincount(train_engineer[~train_censored],
                                        minlength=len(coded.engineers))
    own = finished_per_engineer[test_engineer] >= _MIN_OWN_RATIOS
    mine = np.unique(test_engineer[own])
    quantiles = np.empty((len(mine) + 1, _EBS_DRAWS))
    quantiles[0] = _kaplan_meier_quantiles(log_ratio, train_censored, probabilities)
    # An engineer's training rows, in table order, as one slice of a stable sort.
    order = np.argsort(train_engineer, kind="stable")
    bounds = np.searchsorted(train_engineer[order], np.stack([mine, mine + 1]))
    for row, (first, stop) in enumerate(bounds.T, start=1):
        theirs = order[first:stop]
        quantiles[row] = _kaplan_meier_quantiles(log_ratio[theirs], train_censored[theirs],
                                                 probabilities)
    row_of = np.where(own, np.searchsorted(mine, test_engineer) + 1, 0)
    out["EBS ratios"] = _ebs_scores(actual, log_points, quantiles, row_of, censored,
                                    cap).assign(log_mean=np.nan, log_sd=np.nan)
    return {model: frame.assign(ticket_id=ticket_id, engineer=engineers, area=areas)
            for model, frame in out.items()}


def _ebs_scores(actual: np.ndarray, log_points: np.ndarray, quantiles: np.ndarray,
                row_of: np.ndarray, censored: np.ndarray, cap: float) -> pd.DataFrame:
    """:func:`sample_scores` of the draws ``log_points[i] + quantiles[row_of[i]]``,
    formed and scored a block of tickets at a time."""
    count = len(actual)
    uniform = _pit_uniforms(count)
    out = {name: np.full(count, np.nan) for name in _SCORE_COLUMNS}
    block = max(1, _BLOCK_CELLS // quantiles.shape[1])
    for first in range(0, count, block):
        part = slice(first, first + block)
        # Each quantile row is nondecreasing, and adding a number keeps it so
        # (rounding is monotone): the draws come sorted, as sample_scores
        # would sort them.
        draws = log_points[part, None] + quantiles[row_of[part]]
        for name, values in _ensemble_scores(actual[part], draws, censored[part],
                                             uniform[part], cap).items():
            out[name][part] = values
    out["log_actual"], out["censored"] = actual, censored
    return pd.DataFrame({name: out[name] for name in _SCORE_COLUMNS})


def _censored_rms(log_ratio: np.ndarray, censored: np.ndarray) -> float:
    """Maximum-likelihood sd of N(0, sd²) with open tickets right-censored at
    their log ratio (the root mean square when none is open)."""
    finished = log_ratio[~censored]
    rms = float(np.sqrt(np.mean(finished**2)))
    if not censored.any():
        return rms
    opened = log_ratio[censored]

    def negative_log_likelihood(log_sd: float) -> float:
        sd = np.exp(log_sd)
        return -(normal_logpdf(finished, 0, sd).sum()
                 + special.log_ndtr(-opened / sd).sum())

    centre = np.log(max(rms, 1e-3))
    best = optimize.minimize_scalar(negative_log_likelihood, bounds=(centre - 3, centre + 5),
                                    method="bounded", options={"xatol": 1e-9})
    return float(np.exp(best.x))


def kaplan_meier(values, censored) -> tuple[np.ndarray, np.ndarray]:
    """The Kaplan-Meier distribution of right-censored values: the values
    in order and their probability masses (summing to 1).

    On ties, finished values count before open ones (as usual). Mass left
    beyond the largest value, when that one is open, is put on it. Without
    open values every value has mass 1/n.
    """
    values = np.asarray(values, dtype=float)
    censored = np.asarray(censored, dtype=bool)
    order = np.lexsort((censored, values))
    ordered, is_open = values[order], censored[order]
    at_risk = len(ordered) - np.arange(len(ordered))
    survival = np.cumprod(np.where(is_open, 1.0, 1.0 - 1.0 / at_risk))
    mass = np.r_[1.0, survival[:-1]] - survival
    mass[-1] += survival[-1]
    return ordered, mass


def _kaplan_meier_quantiles(values: np.ndarray, censored: np.ndarray,
                            probabilities: np.ndarray) -> np.ndarray:
    """Quantiles (inverse distribution function) of :func:`kaplan_meier`."""
    ordered, mass = kaplan_meier(values, censored)
    index = np.searchsorted(np.cumsum(mass), probabilities, side="left")
    return ordered[np.minimum(index, len(ordered) - 1)]


@dataclass
class DriftResult:
    """Engineer multipliers fitted in successive time windows.

    Attributes
    ----------
    multipliers : DataFrame
        One row per (window, engineer): ``window_start``, ``window_end``,
        ``median``, ``p10``, ``p90``, ``n_finished``.
    """

    multipliers: pd.DataFrame


def drift(tickets: TicketTable | pd.DataFrame, *, windows: int = 4,
          calibrator: Calibrator | None = None,
          progress: Callable[[str], None] | None = None,
          skills: SkillProfiles | None = None) -> DriftResult:
    """Fit the model separately in successive windows of start time.

    Windows hold equal numbers of tickets. A ramp-up (an engineer getting
    faster) shows as a falling multiplier. Windows too small to fit are
    skipped with a warning. ``progress``, if given, is called with one short
    line as each window's fit starts.

    With ``skills`` (declared levels and start dates, named as in the
    tickets; checked against them first) each window is fitted as the
    report fits the whole history, ``fit(window, skills=..., ramp_up="auto")``,
    with the profiles of the window's engineers and areas. Multipliers leave
    the ramp-up term out (the speed once ramped up): a ramp-up the start
    dates explain then no longer shows as a falling multiplier, and one
    that still shows is a change the declared start dates do not explain.

    Examples
    --------
    >>> from calibrate import read_export
    >>> from calibrate.backtest import drift
    >>> result = drift(read_export("data/sample/linear_export.csv"), windows=2)
    >>> sorted(result.multipliers["window"].unique().tolist())
    [1, 2]

    With declared skills (the sample's new members have start dates):

    >>> from calibrate.io.skills import read_skills
    >>> table = read_export("data/sample/jira_changelog.json",
    ...                     config="data/sample/calibrate.toml")
    >>> skilled = drift(table, windows=2, skills=read_skills("data/sample/skills.csv"))
    >>> sorted(skilled.multipliers["window"].unique().tolist())
    [1, 2]
    """
    table = tickets.tickets if isinstance(tickets, TicketTable) else tickets
    calibrator = calibrator or Calibrator()
    if skills is not None:
        skills.check_against(table)
    # Positions in start order: each window copies its own rows only (not a
    # sorted copy of the whole table).
    order = np.argsort(table["started_at"].to_numpy(), kind="stable")
    frames = []
    for number, chunk in enumerate(np.array_split(order, windows), start=1):
        part = table.iloc[chunk]
        if progress is not None:
            progress(f"drift window {number} of {windows}: fitting {len(part):,} tickets")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CalibrationWarning)
                profiles = None if skills is None else _fittable_profiles(
                    skills, pd.unique(part["engineer"]), pd.unique(part["area"]))
                result = Calibrator(**calibrator.get_params()).fit(
                    part, skills=profiles, ramp_up="auto").result_
        except InputError as error:
            warnings.warn(f"drift window {number} skipped: {error.summary}",
                          CalibrationWarning, stacklevel=2)
            continue
        frames.append(result.engineer_multipliers[
            ["engineer", "median", "p10", "p90", "n_finished"]].assign(
            window=number, window_start=part["started_at"].min(),
            window_end=part["started_at"].max()))
    if not frames:
        raise InputError("No drift window had enough tickets to fit")
    return DriftResult(pd.concat(frames, ignore_index=True))

"""Trust checks: a rolling-origin backtest against planning baselines, and drift.

Backtest
--------
For each origin t (by default four, spread over the second half of the
history), every model is fitted on what was known at t — tickets finished
by t, and tickets started before t but still open at t, censored at t — and
predicts the tickets *started* in the window that follows (up to the next
origin), as a planner would. Tickets of that window still open at the end
of the data cannot be scored and are counted, not scored. Random splits are
never used: ticket histories drift.

Scores, all on log working days: coverage of the central 50/80/90%
intervals, the probability integral transform (PIT; flat when calibrated),
CRPS and the log score (proper scoring rules; lower is better), and the
Brier score of P(duration > cap).

Models compared:

``calibrate``
    The full model (engineers and engineer x area, partial pooling).
``team only``
    Points and area, no engineers.
``1 point = 1 day``
    Median duration = points, with the spread of log(actual / points) seen in
    the training tickets.
``EBS ratios``
    Evidence-Based Scheduling: the engineer's own past actual / estimate
    ratios (the team's when the engineer has fewer than five), resampled.
    Its log score is undefined (an empirical distribution has no density).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from calibrate.durations import WorkCalendar
from calibrate.errors import CalibrationWarning, InputError
from calibrate.model import Calibrator
from calibrate.tickets import TicketTable

__all__ = ["BacktestResult", "DriftResult", "backtest", "drift", "tickets_known_at"]

MODELS = ("calibrate", "team only", "1 point = 1 day", "EBS ratios")
LEVELS = (0.5, 0.8, 0.9)
_MIN_OWN_RATIOS = 5


def tickets_known_at(tickets: pd.DataFrame, origin: pd.Timestamp,
                     calendar: WorkCalendar, minimum_days: float = 1 / 24) -> pd.DataFrame:
    """The ticket table as it would have been read at ``origin``.

    Tickets started after ``origin`` are dropped; tickets finished after it
    become open, censored at ``origin``.
    """
    known = tickets[tickets["started_at"] < origin].copy()
    later = known["finished_at"].isna() | (known["finished_at"] > origin)
    so_far = calendar.working_days_between(known.loc[later, "started_at"],
                                           pd.Series(origin, index=known.index[later]))
    known.loc[later, "duration_days"] = np.maximum(so_far, minimum_days)
    known.loc[later, "censored"] = True
    known.loc[later, "finished_at"] = pd.NaT
    return known.reset_index(drop=True)


@dataclass
class BacktestResult:
    """Scores of every model at every origin.

    Attributes
    ----------
    scores : DataFrame
        One row per (origin, model): ``n_scored``, ``n_open_unscored``,
        ``coverage_50`` / ``_80`` / ``_90``, ``crps``, ``log_score``,
        ``brier``.
    predictions : DataFrame
        One row per (origin, model, scored ticket): the actual log duration,
        predictive ``pit``, interval hits, and the per-ticket scores.
    cap_days : float
    """

    scores: pd.DataFrame
    predictions: pd.DataFrame
    cap_days: float

    def summary(self) -> pd.DataFrame:
        """Scores pooled over all origins, one row per model (ticket-weighted)."""
        rows = []
        for model, group in self.predictions.groupby("model", sort=False):
            rows.append({
                "model": model,
                "n_scored": len(group),
                **{f"coverage_{int(level * 100)}": group[f"inside_{int(level * 100)}"].mean()
                   for level in LEVELS},
                "crps": group["crps"].mean(),
                "log_score": group["log_score"].mean(),
                "brier": group["brier"].mean(),
            })
        return pd.DataFrame(rows).set_index("model").reindex(
            [m for m in MODELS if m in set(self.predictions["model"])])

    def pit_histogram(self, bins: int = 10) -> pd.DataFrame:
        """Share of PIT values per bin, per model (each ~1/bins when calibrated)."""
        edges = np.linspace(0, 1, bins + 1)
        table = {}
        for model, group in self.predictions.groupby("model", sort=False):
            counts, _ = np.histogram(group["pit"].clip(0, 1), bins=edges)
            table[model] = counts / max(len(group), 1)
        return pd.DataFrame(table, index=pd.IntervalIndex.from_breaks(edges, closed="left"))


def backtest(
    tickets: TicketTable | pd.DataFrame,
    *,
    calibrator: Calibrator | None = None,
    origins: Sequence[pd.Timestamp] | None = None,
    n_origins: int = 4,
    calendar: WorkCalendar | None = None,
    cap_days: float | None = None,
) -> BacktestResult:
    """Rolling-origin backtest of calibrate and the baselines.

    Parameters
    ----------
    tickets : TicketTable or DataFrame
        The canonical ticket table.
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

    Returns
    -------
    BacktestResult

    Examples
    --------
    >>> from calibrate import read_export
    >>> from calibrate.backtest import backtest
    >>> result = backtest(read_export("data/sample/linear_export.csv"), n_origins=2)
    >>> list(result.summary().index)
    ['calibrate', 'team only', '1 point = 1 day', 'EBS ratios']
    """
    table = tickets.tickets if isinstance(tickets, TicketTable) else tickets
    if calendar is None:
        calendar = getattr(tickets, "calendar", None) or WorkCalendar()
    calibrator = calibrator or Calibrator()
    cap = calibrator.cap_days if cap_days is None else cap_days
    starts = table["started_at"].sort_values()
    if origins is None:
        quantiles = np.linspace(0.5, 1, n_origins + 1)[:-1]
        origins = [starts.quantile(q) for q in quantiles]
    origins = sorted(pd.Timestamp(o) for o in origins)
    if not origins:
        raise InputError("The backtest needs at least one origin")
    ends = origins[1:] + [starts.max() + pd.Timedelta(seconds=1)]

    predictions, scores = [], []
    for origin, end in zip(origins, ends, strict=True):
        train = tickets_known_at(table, origin, calendar)
        window = table[(table["started_at"] >= origin) & (table["started_at"] < end)]
        test = window[~window["censored"]]
        if (~train["censored"]).sum() < 20 or test.empty:
            warnings.warn(f"backtest origin {origin:%Y-%m-%d} skipped: too little data "
                          f"({int((~train['censored']).sum())} finished before, "
                          f"{len(test)} to score after)", CalibrationWarning, stacklevel=2)
            continue
        for model, frame in _predict_all(train, test, calibrator, cap).items():
            frame = frame.assign(origin=origin, model=model)
            predictions.append(frame)
            scores.append({
                "origin": origin,
                "model": model,
                "n_scored": len(frame),
                "n_open_unscored": int(window["censored"].sum()),
                **{f"coverage_{int(level * 100)}": frame[f"inside_{int(level * 100)}"].mean()
                   for level in LEVELS},
                "crps": frame["crps"].mean(),
                "log_score": frame["log_score"].mean(),
                "brier": frame["brier"].mean(),
            })
    if not predictions:
        raise InputError("No backtest origin had enough data to score",
                         hint="The backtest needs a longer history (dozens of tickets "
                              "before and after each origin).")
    return BacktestResult(pd.DataFrame(scores), pd.concat(predictions, ignore_index=True), cap)


def _predict_all(train: pd.DataFrame, test: pd.DataFrame, calibrator: Calibrator,
                 cap: float) -> dict[str, pd.DataFrame]:
    actual = np.log(test["duration_days"].to_numpy())
    over_cap = (test["duration_days"].to_numpy() > cap).astype(float)
    points = test["points"].to_numpy(dtype=float)
    out = {}
    with warnings.catch_warnings():
        # Boundary and few-ticket warnings are expected on early, small windows.
        warnings.simplefilter("ignore", CalibrationWarning)
        for model, random_effects in (("calibrate", True), ("team only", False)):
            fitted = Calibrator(**{**calibrator.get_params(), "random_effects": random_effects})
            prediction = fitted.fit(train).result_.predict(
                test["engineer"].to_numpy(), test["area"].to_numpy(), points, budget_days=cap)
            out[model] = _normal_scores(actual, prediction["log_mean"].to_numpy(),
                                        prediction["log_sd"].to_numpy(), over_cap, cap)
    finished = train[~train["censored"]]
    log_ratio = np.log(finished["duration_days"].to_numpy()
                       / np.maximum(finished["points"].to_numpy(), calibrator.zero_points))
    safe_points = np.maximum(points, calibrator.zero_points)
    spread = float(np.sqrt(np.mean(log_ratio**2)))  # around the "1 point = 1 day" median
    out["1 point = 1 day"] = _normal_scores(actual, np.log(safe_points),
                                            np.full(len(test), spread), over_cap, cap)
    by_engineer = pd.Series(log_ratio, index=finished["engineer"].to_numpy()).groupby(level=0)
    samples = [
        (by_engineer.get_group(e).to_numpy()
         if e in by_engineer.groups and len(by_engineer.get_group(e)) >= _MIN_OWN_RATIOS
         else log_ratio) + np.log(p)
        for e, p in zip(test["engineer"], safe_points, strict=True)
    ]
    out["EBS ratios"] = _sample_scores(actual, samples, over_cap, cap)
    return {model: frame.assign(ticket_id=test["ticket_id"].to_numpy(),
                                engineer=test["engineer"].to_numpy(),
                                area=test["area"].to_numpy())
            for model, frame in out.items()}


def _normal_scores(actual, mean, sd, over_cap, cap) -> pd.DataFrame:
    z = (actual - mean) / sd
    frame = {"log_actual": actual, "pit": stats.norm.cdf(z)}
    for level in LEVELS:
        half = stats.norm.ppf(0.5 + level / 2)
        frame[f"inside_{int(level * 100)}"] = np.abs(z) <= half
    # CRPS of a normal forecast (Gneiting & Raftery 2007), in log days.
    frame["crps"] = sd * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z)
                          - 1 / np.sqrt(np.pi))
    frame["log_score"] = -stats.norm.logpdf(actual, mean, sd)
    p_over = stats.norm.sf((np.log(cap) - mean) / sd)
    frame["brier"] = (p_over - over_cap) ** 2
    return pd.DataFrame(frame)


def _sample_scores(actual, samples, over_cap, cap) -> pd.DataFrame:
    rows = []
    for y, sample, hit in zip(actual, samples, over_cap, strict=True):
        sample = np.sort(sample)
        n = len(sample)
        below, equal = np.sum(sample < y), np.sum(sample == y)
        row = {"log_actual": y, "pit": (below + 0.5 * equal) / n}
        for level in LEVELS:
            low, high = np.quantile(sample, [0.5 - level / 2, 0.5 + level / 2])
            row[f"inside_{int(level * 100)}"] = low <= y <= high
        # CRPS of an ensemble: E|X - y| - E|X - X'| / 2, with the sorted-sample
        # identity for the second term.
        spread = 2 * np.sum(sample * (2 * np.arange(1, n + 1) - n - 1)) / (n * n)
        row["crps"] = np.mean(np.abs(sample - y)) - spread / 2
        row["log_score"] = np.nan
        row["brier"] = (np.mean(sample > np.log(cap)) - hit) ** 2
        rows.append(row)
    return pd.DataFrame(rows)


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
          calibrator: Calibrator | None = None) -> DriftResult:
    """Fit the model separately in successive windows of start time.

    Windows hold equal numbers of tickets. A ramp-up (an engineer getting
    faster) shows as a falling multiplier. Windows too small to fit are
    skipped with a warning.

    Examples
    --------
    >>> from calibrate import read_export
    >>> from calibrate.backtest import drift
    >>> result = drift(read_export("data/sample/linear_export.csv"), windows=2)
    >>> sorted(result.multipliers["window"].unique().tolist())
    [1, 2]
    """
    table = tickets.tickets if isinstance(tickets, TicketTable) else tickets
    calibrator = calibrator or Calibrator()
    order = table.sort_values("started_at", kind="stable")
    frames = []
    for number, chunk in enumerate(np.array_split(np.arange(len(order)), windows), start=1):
        part = order.iloc[chunk]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CalibrationWarning)
                result = Calibrator(**calibrator.get_params()).fit(part).result_
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

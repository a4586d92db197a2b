"""Accuracy on real ticket histories, out of time (``python -m benchmarks.real_data``).

For every history — the real GitLab exports in ``../shared/data/real/*.csv``
(when that folder is there; a user's clone has no ``../shared``) and the
bundled sample (``data/sample/jira_changelog.json`` with its config) — the
evaluation

1. splits by close date: the cut is the ``train_share`` (70%) quantile of
   ``finished_at``. Training is the table as an export taken at the cut would
   hold it (:func:`calibrate.backtest.tickets_known_at`: tickets started after
   the cut are unknown, tickets open at the cut are censored at their age
   then). The test set is every ticket not finished by the cut: finished
   after it (scored on the actual duration) or still open at the end of the
   export (censored there, scored as censored).
2. fits every model on the training table and predicts the test tickets
   through its public API, and
3. scores on log working days with :func:`calibrate.backtest.normal_scores`
   and :func:`calibrate.backtest.sample_scores`: coverage of the central
   50/80/90% intervals, CRPS and log score (lower is better).

Models:

``calibrate``
    ``Calibrator().fit(train).result_.predict(engineer, area, points)``: the
    normal on log days with ``log_mean``, ``log_sd``.
``team only``
    The same with ``random_effects=False`` (points and area, no engineers).
``MixedLM engineer intercept``
    statsmodels ``MixedLM``: ``y ~ 0 + C(area) + C(area):c``, ``c =
    log(points / 3)``, a random intercept per engineer, REML, on the training
    table's finished tickets (it cannot use open ones). Fitted with lbfgs;
    when that does not report convergence (or returns the zeroed fixed
    effects of statsmodels issue 10239) bfgs, then powell. Predicted mean:
    fixed effects + the engineer's BLUP (0 for an engineer it has not seen;
    an area it has not seen gets the ticket-weighted mean of the areas'
    coefficients); sd = sqrt(residual variance + the BLUP's conditional
    variance, or the random-intercept variance for an unseen engineer).
``EBS ratios``
    Evidence-Based Scheduling: log(points) + the engineer's own past
    log(actual / points) ratios when they have at least five finished
    tickets, else the team's; the forecast is 200 quantiles of the
    Kaplan-Meier distribution of those ratios (open training tickets
    censored at their age, as :mod:`calibrate.backtest` does). No density,
    so no log score.
``1 point = 1 day``
    The team's rule of thumb as the median (log days = log points), with the
    interval from the training residuals r = log(actual / points): the
    central L interval is log points ± the L-quantile of |r| (Kaplan-Meier
    over the training tickets, open ones censored; with none open,
    ``np.quantile(|r|, L, method="inverted_cdf")``), so the median stays at
    "1 point = 1 day". CRPS is that of the symmetric empirical distribution
    log points ± |r|; it has no density, so no log score.

Open test tickets (only the bundled sample has them; every real issue is
closed) are scored as censored by the backtest's functions and pooled with
its inverse probability of censoring weights
(:func:`calibrate.backtest.censoring_weights`); with none open, each ticket
weighs 1, so pooled scores are ticket-weighted.

0-point tickets count as the calibrator's ``zero_points`` (0.5) in every
model.

The tables go to ``reports/real_data.md``, to a section of
``reports/benchmarks.md`` between markers and to a block of ``README.md``
between markers; this command rewrites only those. Nothing about single
tickets is written: the real histories stay outside the repository.

Use :func:`evaluate` (one table) or :func:`evaluate_histories` (all of them)
to compare Calibrator settings::

    from benchmarks.real_data import evaluate_histories
    from calibrate import Calibrator
    evaluate_histories(calibrator=Calibrator(noise="shared"))["pooled"]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._measure import ROOT
from benchmarks.data import mixedlm_frame
from calibrate import Calibrator, read_export
from calibrate.backtest import (
    backtest,
    censoring_weights,
    kaplan_meier,
    normal_scores,
    sample_scores,
    tickets_known_at,
)
from calibrate.config import config_from_dict
from calibrate.durations import WorkCalendar
from calibrate.errors import CalibrationWarning
from calibrate.tickets import TicketTable

#: Where the real histories are looked for (never copied into the repository).
REAL_DIR = ROOT.parent / "shared" / "data" / "real"
SAMPLE_EXPORT = ROOT / "data" / "sample" / "jira_changelog.json"
SAMPLE_CONFIG = ROOT / "data" / "sample" / "calibrate.toml"

MODELS = ("calibrate", "team only", "MixedLM engineer intercept", "EBS ratios",
          "1 point = 1 day")
BASELINES = MODELS[1:]
LEVELS = (0.5, 0.8, 0.9)
#: The goal of issue 10: pooled coverage within this of nominal at every level.
COVERAGE_TOLERANCE = 0.04
MIN_OWN_RATIOS = 5
MIXEDLM_METHODS = ("lbfgs", "bfgs", "powell")

START_MARKER = "<!-- real-data:start -->"
END_MARKER = "<!-- real-data:end -->"
SECTION_TITLE = "## Accuracy on real histories, out of time"
README_TITLE = "#### Accuracy on real histories"

#: Areas of the GitLab histories, from the labels their teams use for the kind
#: of work (fixed before any score was seen; not tuned). Weekends only: the
#: teams' holidays are unknown. Lead time: the exports have no start of work.
GITLAB_AREAS = {
    "calendar": {"timezone": "UTC"},
    "areas": {
        "default": "other",
        "rules": [
            {"area": "frontend", "patterns": ["^frontend$"], "fields": ["labels"]},
            {"area": "backend", "patterns": ["^backend$"], "fields": ["labels"]},
            {"area": "devops", "patterns": ["^devops$", "^spoc::devops$"],
             "fields": ["labels"]},
            {"area": "design", "patterns": ["^ux$", "^workflow::design$", "^figma$"],
             "fields": ["labels"]},
        ],
    },
}
#: The same without areas: one area per team (what a user gets without a config).
GITLAB_ONE_AREA = {"calendar": {"timezone": "UTC"}}


# -- the split ---------------------------------------------------------------
def split_out_of_time(tickets: TicketTable | pd.DataFrame, *, train_share: float = 0.7,
                      calendar: WorkCalendar | None = None
                      ) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """Training table as known at the cut, test tickets, and the cut.

    The cut is the ``train_share`` quantile of ``finished_at`` over finished
    tickets. Training: :func:`tickets_known_at` at the cut. Test: every ticket
    not finished by the cut (open ones stay censored at the export's end).
    """
    table = tickets.tickets if isinstance(tickets, TicketTable) else tickets
    if calendar is None:
        calendar = getattr(tickets, "calendar", None) or WorkCalendar()
    if not 0 < train_share < 1:
        raise ValueError(f"train_share must be between 0 and 1, not {train_share!r}")
    finished = table["finished_at"].dropna()
    if finished.empty:
        raise ValueError("no finished tickets: nothing to split by close date")
    cut = finished.quantile(train_share)
    train = tickets_known_at(table, cut, calendar)
    done_by_cut = table["finished_at"].notna() & (table["finished_at"] <= cut)
    test = table[~done_by_cut].reset_index(drop=True)
    return train, test, pd.Timestamp(cut)


# -- the forecasts -----------------------------------------------------------
@dataclass
class MixedLMFit:
    """The MixedLM baseline fitted on training tickets."""

    intercept: dict[str, float]
    slope: dict[str, float]
    area_weights: dict[str, float]
    blup: dict[str, float]
    blup_var: dict[str, float]
    re_var: float
    scale: float
    method: str
    converged: bool
    attempts: list[str] = field(default_factory=list)
    shared_slope: bool = False

    def predict(self, engineer, area, points, *, zero_points: float = 0.5,
                reference_points: float = 3.0) -> pd.DataFrame:
        """log_mean and log_sd per ticket (BLUP for known engineers, 0 for unseen)."""
        engineer = np.asarray(engineer, dtype=object)
        area = np.asarray(area, dtype=object)
        points = np.asarray(points, dtype=float)
        c = np.log(np.where(points > 0, points, zero_points) / reference_points)
        weights = self.area_weights
        fallback_a = sum(weights[a] * self.intercept[a] for a in weights)
        fallback_b = sum(weights[a] * self.slope[a] for a in weights)
        a = np.array([self.intercept.get(x, fallback_a) for x in area])
        b = np.array([self.slope.get(x, fallback_b) for x in area])
        u = np.array([self.blup.get(e, 0.0) for e in engineer])
        var = np.array([self.blup_var.get(e, self.re_var) for e in engineer])
        return pd.DataFrame({"log_mean": a + b * c + u,
                             "log_sd": np.sqrt(self.scale + var)})


def fit_mixedlm(finished: pd.DataFrame, *, zero_points: float = 0.5,
                reference_points: float = 3.0) -> MixedLMFit:
    """statsmodels MixedLM, engineer random intercept, fixed area + area:log(points/3)."""
    import statsmodels.formula.api as smf

    safe = finished.assign(points=np.where(finished["points"] > 0, finished["points"],
                                           zero_points) * 3.0 / reference_points)
    data = mixedlm_frame(safe)
    # As calibrate does: an area with a single points value has no slope of
    # its own, so then one slope is shared by all areas.
    shared = bool((data.groupby("area")["c"].nunique() < 2).any())
    formula = "y ~ 0 + C(area) + c" if shared else "y ~ 0 + C(area) + C(area):c"
    model = smf.mixedlm(formula, data, groups="engineer")
    chosen, attempts = None, []
    for method in MIXEDLM_METHODS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                result = model.fit(reml=True, method=[method])
            except (np.linalg.LinAlgError, ValueError) as error:
                attempts.append(f"{method}: failed ({type(error).__name__})")
                continue
        # statsmodels issue 10239: at a variance near zero lbfgs can return
        # wrong fixed effects (some exactly 0.0) and an infinite likelihood
        # with converged=True. A valid fit's fixed effects are the GLS
        # solution at its variances.
        inconsistent = not np.isfinite(result.llf) or not _gls_consistent(
            model.exog, model.endog, data["engineer"].to_numpy(),
            float(np.asarray(result.cov_re)[0, 0]), float(result.scale),
            np.asarray(result.fe_params))
        ok = bool(result.converged) and not inconsistent
        attempts.append(f"{method}: " + ("converged" if ok else
                                         "wrong fixed effects (issue 10239)" if inconsistent
                                         else "not converged"))
        if chosen is None or ok:
            chosen = (result, method, ok)
        if ok:
            break
    if chosen is None:
        raise RuntimeError("MixedLM failed with every optimiser: " + "; ".join(attempts))
    result, method, ok = chosen
    fe = result.fe_params
    areas = sorted(data["area"].unique())
    intercept = {a: float(fe[f"C(area)[{a}]"]) for a in areas}
    slope = {a: float(fe["c"] if shared else fe[f"C(area)[{a}]:c"]) for a in areas}
    counts = data["area"].value_counts()
    weights = {a: float(counts[a] / counts.sum()) for a in areas}
    re_var = float(np.asarray(result.cov_re)[0, 0])
    if re_var > 0:
        blup = {str(e): float(v.iloc[0]) for e, v in result.random_effects.items()}
        blup_var = {str(e): float(np.asarray(v)[0, 0])
                    for e, v in result.random_effects_cov.items()}
    else:
        # A variance estimated at exactly zero (statsmodels cannot invert it):
        # every BLUP is 0 with no variance.
        blup = {str(e): 0.0 for e in data["engineer"].unique()}
        blup_var = dict.fromkeys(blup, 0.0)
    return MixedLMFit(intercept, slope, weights, blup, blup_var, re_var, float(result.scale),
                      method, ok, attempts, shared)


def _gls_consistent(x: np.ndarray, y: np.ndarray, groups: np.ndarray, re_var: float,
                    scale: float, beta: np.ndarray, tolerance: float = 1e-4) -> bool:
    """Whether ``beta`` is the GLS solution of the random-intercept model at
    these variances: per group V^-1 = (I - g J) / scale, g = re_var /
    (scale + n re_var)."""
    if not (np.isfinite(re_var) and np.isfinite(scale) and scale > 0):
        return False
    codes, groups = pd.factorize(groups)
    n = np.bincount(codes)
    g = re_var / (scale + n * re_var)
    sx = np.zeros((len(n), x.shape[1]))
    np.add.at(sx, codes, x)
    sy = np.bincount(codes, weights=y)
    xtx = x.T @ x - (sx * g[:, None]).T @ sx
    xty = x.T @ y - (sx * g[:, None]).T @ sy
    try:
        gls = np.linalg.solve(xtx, xty)
    except np.linalg.LinAlgError:
        return False
    return bool(np.max(np.abs(gls - beta)) <= tolerance * (1 + np.max(np.abs(gls))))


def _quantiles(values: np.ndarray, mass: np.ndarray, probabilities) -> np.ndarray:
    """Inverse of the distribution function of a discrete distribution: the
    smallest value whose cumulative mass reaches each probability (numpy's
    ``method="inverted_cdf"`` when the masses are equal)."""
    order = np.argsort(values, kind="stable")
    values, cumulative = values[order], np.cumsum(mass[order])
    index = np.searchsorted(cumulative, np.asarray(probabilities) - 1e-12, side="left")
    return values[np.minimum(index, len(values) - 1)]


#: Draws that stand for an empirical (Kaplan-Meier) forecast: its quantiles
#: at (k + 0.5) / EMPIRICAL_DRAWS, as calibrate.backtest does for EBS.
EMPIRICAL_DRAWS = 200


def one_point_one_day(train: pd.DataFrame, points, *, zero_points: float = 0.5) -> dict:
    """The "1 point = 1 day" forecast: median = points, intervals from residual quantiles.

    With r = log(actual / points) over the training tickets (open ones
    censored at their age, through the Kaplan-Meier distribution of r), the
    central L interval is log points ± q_L, q_L the L-quantile of |r|
    (inverse distribution function; ``np.quantile(|r|, L,
    method="inverted_cdf")`` when no training ticket is open).

    Returns ``center`` (log points), ``half_width`` per level, ``lower`` /
    ``upper`` per level, and ``offsets``: symmetric draws ±(quantiles of
    |r|) whose empirical distribution is the forecast around the center.
    """
    values, mass = kaplan_meier(_log_ratio(train, zero_points),
                                train["censored"].to_numpy(dtype=bool))
    size = np.abs(values)
    center = np.log(_safe_points(points, zero_points))
    half = {level: float(_quantiles(size, mass, [level])[0]) for level in LEVELS}
    draws = _quantiles(size, mass, (np.arange(EMPIRICAL_DRAWS) + 0.5) / EMPIRICAL_DRAWS)
    return {
        "center": center,
        "half_width": half,
        "lower": {level: center - h for level, h in half.items()},
        "upper": {level: center + h for level, h in half.items()},
        "offsets": np.concatenate([-draws[::-1], draws]),
    }


def ebs_draws(train: pd.DataFrame, engineers, points, *, zero_points: float = 0.5,
              min_own: int = MIN_OWN_RATIOS) -> np.ndarray:
    """Evidence-Based Scheduling draws of log days (tickets x EMPIRICAL_DRAWS).

    log points + quantiles of the Kaplan-Meier distribution of the
    engineer's own training log(actual / points) (open tickets censored at
    their age) when they have at least ``min_own`` finished tickets, else of
    the team's.
    """
    engineers = np.asarray(engineers, dtype=object)
    log_points = np.log(_safe_points(points, zero_points))
    ratio = _log_ratio(train, zero_points)
    censored = train["censored"].to_numpy(dtype=bool)
    who = train["engineer"].astype(str).to_numpy(dtype=object)
    probabilities = (np.arange(EMPIRICAL_DRAWS) + 0.5) / EMPIRICAL_DRAWS
    finished = pd.Series(who[~censored]).value_counts()
    own = set(finished.index[finished >= min_own])
    out = np.empty((len(engineers), EMPIRICAL_DRAWS))
    out[:] = _quantiles(*kaplan_meier(ratio, censored), probabilities)
    for engineer in own & set(engineers):
        mine = who == engineer
        out[engineers == engineer] = _quantiles(*kaplan_meier(ratio[mine], censored[mine]),
                                                probabilities)
    return log_points[:, None] + out


def _safe_points(points, zero_points: float) -> np.ndarray:
    points = np.asarray(points, dtype=float)
    return np.where(points > 0, points, zero_points)


def _log_ratio(tickets: pd.DataFrame, zero_points: float) -> np.ndarray:
    return np.log(tickets["duration_days"].to_numpy(dtype=float)
                  / _safe_points(tickets["points"], zero_points))


def _end_of_data(tickets, table: pd.DataFrame, calendar: WorkCalendar) -> pd.Timestamp:
    """The export's as-of time, else the latest moment the table implies."""
    as_of = getattr(tickets, "as_of", None)
    if as_of is not None and not pd.isna(as_of):
        return pd.Timestamp(as_of)
    moments = [table["finished_at"].max(), table["started_at"].max()]
    opened = table[table["censored"]]
    if len(opened):
        moments.append(calendar.add_working_days(
            opened["started_at"], opened["duration_days"].to_numpy(dtype=float)).max())
    return pd.Timestamp(max(m for m in moments if not pd.isna(m)))


# -- scoring -----------------------------------------------------------------
def score_tickets(tickets: TicketTable | pd.DataFrame, *, calibrator: Calibrator | None = None,
                  train_share: float = 0.7, calendar: WorkCalendar | None = None
                  ) -> tuple[pd.DataFrame, dict]:
    """Per-ticket scores of every model on the out-of-time split, and facts about it.

    Returns a frame with one row per (model, test ticket): ``model``,
    ``ticket_id``, ``engineer``, ``area``, ``seen_engineer``, ``weight`` and
    the columns of :func:`calibrate.backtest.normal_scores` (``log_actual``,
    ``censored``, ``pit``, ``inside_50`` / ``_80`` / ``_90``, ``crps``,
    ``log_score``, ``brier``); and a dict with the cut, the sizes and the
    MixedLM fit's optimiser.

    ``weight`` is 1 for every ticket when all test tickets finished. When
    some are still open at the end of the export, it is the inverse
    probability of censoring weight of :func:`calibrate.backtest.
    censoring_weights` (open tickets 0, finished ones 1 / the share of test
    tickets followed at least that long), as the backtest pools its scores.
    """
    calibrator = calibrator or Calibrator()
    params = calibrator.get_params()
    zero = float(params.get("zero_points", 0.5))
    reference = float(params.get("reference_points", 3.0))
    cap = float(params.get("cap_days", 3.0))
    if calendar is None:
        calendar = getattr(tickets, "calendar", None) or WorkCalendar()
    table = tickets.tickets if isinstance(tickets, TicketTable) else tickets
    train, test, cut = split_out_of_time(table, train_share=train_share, calendar=calendar)
    finished = train[~train["censored"]]
    if test.empty:
        raise ValueError("no ticket to score after the cut")
    duration = test["duration_days"].to_numpy(dtype=float)
    actual = np.log(duration)
    censored = test["censored"].to_numpy(dtype=bool)
    engineers = test["engineer"].astype(str).to_numpy(dtype=object)
    areas = test["area"].astype(str).to_numpy(dtype=object)
    points = test["points"].to_numpy(dtype=float)
    if censored.any():
        end = _end_of_data(tickets, table, calendar)
        follow_up = calendar.working_days_between(
            test["started_at"].to_numpy(), np.full(len(test), end.to_datetime64()))
        follow_up = np.where(censored, duration, np.maximum(follow_up, duration))
        weight = censoring_weights(duration, censored, follow_up)
    else:
        weight = np.ones(len(test))
    out: dict[str, pd.DataFrame] = {}

    with warnings.catch_warnings():
        # Few-ticket and boundary warnings are expected on small real teams.
        warnings.simplefilter("ignore", CalibrationWarning)
        for model, random_effects in (("calibrate", True), ("team only", False)):
            fitted = Calibrator(**{**params, "random_effects": random_effects}).fit(train)
            prediction = fitted.result_.predict(engineers, areas, points)
            out[model] = normal_scores(actual, prediction["log_mean"].to_numpy(),
                                       prediction["log_sd"].to_numpy(), cap=cap,
                                       censored=censored)

    mixed = fit_mixedlm(finished, zero_points=zero, reference_points=reference)
    prediction = mixed.predict(engineers, areas, points, zero_points=zero,
                               reference_points=reference)
    out["MixedLM engineer intercept"] = normal_scores(
        actual, prediction["log_mean"].to_numpy(), prediction["log_sd"].to_numpy(), cap=cap,
        censored=censored)

    out["EBS ratios"] = sample_scores(
        actual, ebs_draws(train, engineers, points, zero_points=zero), cap=cap,
        censored=censored)

    rule = one_point_one_day(train, points, zero_points=zero)
    frame = sample_scores(actual, rule["center"][:, None] + rule["offsets"][None, :], cap=cap,
                          censored=censored)
    for level in LEVELS:
        # Coverage of the interval exactly as defined (residual quantiles),
        # not re-estimated from the draws; an open ticket is a miss once its
        # age is past the upper end, undetermined before (as normal_scores).
        upper = rule["upper"][level]
        hit = ((rule["lower"][level] <= actual) & (actual <= upper)).astype(float)
        frame[f"inside_{int(level * 100)}"] = np.where(
            censored, np.where(actual >= upper, 0.0, np.nan), hit)
    out["1 point = 1 day"] = frame

    seen = np.isin(engineers, finished["engineer"].astype(str).unique())
    scores = pd.concat(
        [frame.reset_index(drop=True).assign(
            model=model, ticket_id=test["ticket_id"].astype(str).to_numpy(),
            engineer=engineers, area=areas, seen_engineer=seen, weight=weight)
         for model, frame in out.items()], ignore_index=True)
    facts = {
        "cut": cut,
        "n_train": len(train),
        "n_train_finished": len(finished),
        "n_train_censored": int(train["censored"].sum()),
        "n_test": len(test),
        "n_test_censored": int(censored.sum()),
        "test_unseen_engineer_share": float(1 - seen.mean()),
        "mixedlm_method": mixed.method,
        "mixedlm_converged": mixed.converged,
        "mixedlm_attempts": mixed.attempts,
    }
    return scores, facts


def summarise(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per model: n, n_censored, coverage_50/80/90, crps, log_score.

    Means weighted by ``weight`` (1 per ticket without open test tickets:
    ticket-weighted), NaN values skipped.
    """
    rows = []
    for model in [m for m in MODELS if m in set(scores["model"])]:
        group = scores[scores["model"] == model]
        weight = (group["weight"].to_numpy(dtype=float) if "weight" in group
                  else np.ones(len(group)))
        row = {"model": model, "n": len(group), "n_censored": int(group["censored"].sum())}
        for level in LEVELS:
            row[f"coverage_{int(level * 100)}"] = _mean(group[f"inside_{int(level * 100)}"],
                                                        weight)
        row["crps"] = _mean(group["crps"], weight)
        row["log_score"] = _mean(group["log_score"], weight)
        rows.append(row)
    return pd.DataFrame(rows)


def paired_crps(scores: pd.DataFrame) -> pd.DataFrame:
    """Each baseline's CRPS minus calibrate's on the same tickets: the
    (weighted) mean and its standard error (positive: calibrate is better)."""
    keys = [c for c in ("history", "ticket_id") if c in scores.columns]
    crps = scores.pivot_table(index=keys, columns="model", values="crps", aggfunc="first")
    weight = scores[scores["model"] == "calibrate"].set_index(keys)["weight"].reindex(crps.index)
    rows = []
    for model in [m for m in BASELINES if m in crps.columns]:
        difference = crps[model] - crps["calibrate"]
        use = difference.notna() & (weight > 0)
        d, w = difference[use].to_numpy(), weight[use].to_numpy()
        mean = float(np.dot(w, d) / w.sum())
        se = float(np.sqrt(np.sum(w**2 * (d - mean) ** 2)) / w.sum()) if len(d) > 1 else math.nan
        rows.append({"model": model, "n": int(use.sum()), "crps_difference": mean, "se": se})
    return pd.DataFrame(rows)


def _mean(values: pd.Series, weight: np.ndarray) -> float:
    values = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    use = ~np.isnan(values) & (weight > 0)
    total = weight[use].sum()
    return float(np.dot(weight[use], values[use]) / total) if total > 0 else math.nan


def evaluate(table: TicketTable | pd.DataFrame, *, calibrator: Calibrator | None = None,
             train_share: float = 0.7) -> pd.DataFrame:
    """Out-of-time scores of calibrate and the baselines on one ticket table.

    Fit on the tickets finished by the ``train_share`` quantile of close
    dates (as an export then would hold them), predict the rest. One row per
    model (``calibrate``, ``team only``, ``MixedLM engineer intercept``, ``EBS
    ratios``, ``1 point = 1 day``): ``n``, ``n_censored``, ``coverage_50`` /
    ``_80`` / ``_90`` (share of test tickets inside the central interval),
    ``crps`` and ``log_score`` on log working days (lower is better; NaN where
    the forecast has no density). ``calibrator`` sets the settings of
    calibrate and of the team-only model (``random_effects=False``).
    """
    scores, _ = score_tickets(table, calibrator=calibrator, train_share=train_share)
    return summarise(scores)


# -- the histories -----------------------------------------------------------
@dataclass
class History:
    name: str
    path: Path
    config: dict | Path | None
    real: bool
    clock: str


def histories(real_dir: Path | None = REAL_DIR, *, areas: dict = GITLAB_AREAS
              ) -> tuple[list[History], str | None]:
    """The histories to evaluate, and why the real ones are missing (if they are)."""
    found, missing = [], None
    if real_dir is None:
        missing = "not read in this run (quick mode)"
    elif not Path(real_dir).is_dir() or not sorted(Path(real_dir).glob("*.csv")):
        missing = f"no real histories found at {_shown(Path(real_dir))}"
    else:
        for path in sorted(Path(real_dir).glob("*.csv")):
            found.append(History(path.stem, path, areas, True, "lead"))
    found.append(History("bundled sample (synthetic)", SAMPLE_EXPORT, SAMPLE_CONFIG, False,
                         "cycle"))
    return found, missing


def _shown(path: Path) -> str:
    try:
        return str(Path("..") / path.resolve().relative_to(ROOT.parent))
    except ValueError:
        return str(path)


def _read(history: History) -> TicketTable:
    config = history.config
    if isinstance(config, dict):
        config = config_from_dict(config, origin=f"{history.name} settings")
    return read_export(history.path, config=config)


def evaluate_histories(*, calibrator: Calibrator | None = None, train_share: float = 0.7,
                       real_dir: Path | None = REAL_DIR, areas: dict = GITLAB_AREAS,
                       log=None) -> dict:
    """Evaluate every history; pool the real ones (ticket-weighted).

    Returns a dict: ``per_history`` (DataFrame: ``history`` + the columns of
    :func:`evaluate`), ``pooled`` (the same over the real histories' tickets
    together; empty without real histories), ``facts`` (per history: cut,
    sizes, MixedLM optimiser, seconds), ``missing`` (why real histories were
    not evaluated, or None).
    """
    log = log or (lambda message: None)
    found, missing = histories(real_dir, areas=areas)
    if missing:
        log(missing)
    per_history, pooled, facts = [], [], {}
    for history in found:
        started = time.perf_counter()
        table = _read(history)
        scores, fact = score_tickets(table, calibrator=calibrator, train_share=train_share)
        fact.update(seconds=time.perf_counter() - started, real=history.real,
                    clock=history.clock, tickets=len(table.tickets),
                    engineers=int(table.tickets["engineer"].nunique()),
                    areas=sorted(table.tickets["area"].astype(str).unique()))
        facts[history.name] = fact
        per_history.append(summarise(scores).assign(history=history.name))
        if history.real:
            pooled.append(scores.assign(history=history.name))
        log(f"real data: {history.name}: {fact['n_test']} tickets scored "
            f"({fact['seconds']:.1f} s)")
    columns = ["history", "model", "n", "n_censored",
               *(f"coverage_{int(q * 100)}" for q in LEVELS), "crps", "log_score"]
    table = (pd.concat(per_history, ignore_index=True)[columns] if per_history
             else pd.DataFrame(columns=columns))
    pooled_scores = pd.concat(pooled, ignore_index=True) if pooled else None
    pooled_table = summarise(pooled_scores) if pooled else pd.DataFrame()
    differences = paired_crps(pooled_scores) if pooled else pd.DataFrame()
    return {"per_history": table, "pooled": pooled_table, "pooled_crps_differences": differences,
            "facts": facts, "missing": missing,
            "train_share": train_share, "calibrator": repr(calibrator or Calibrator())}


#: Recency half-lives (calendar days) compared by the backtest; None = no weighting.
HALF_LIVES: tuple[float | None, ...] = (None, 90, 180, 365, 730)


def half_life_sweep(*, real_dir: Path | None = REAL_DIR, areas: dict = GITLAB_AREAS,
                    half_lives=HALF_LIVES, n_origins: int = 4, log=None) -> pd.DataFrame:
    """The rolling-origin backtest of calibrate at each recency half-life.

    One row per (history, half-life): tickets scored and calibrate's
    (censoring-weighted) CRPS and coverage, with the team-only model's CRPS
    at the same half-life. This is what decides ``Calibrator``'s default
    ``half_life_days``.
    """
    log = log or (lambda message: None)
    found, _ = histories(real_dir, areas=areas)
    rows = []
    for history in found:
        table = _read(history)
        for half_life in half_lives:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CalibrationWarning)
                scores = backtest(table, calibrator=Calibrator(half_life_days=half_life),
                                  n_origins=n_origins).scores_by_model()
            ours = scores.loc["calibrate"]
            rows.append({"history": history.name, "real": history.real,
                         "half_life_days": half_life, "n": int(ours["n_scored"]),
                         "crps": ours["crps"], "coverage_50": ours["coverage_50"],
                         "coverage_80": ours["coverage_80"],
                         "coverage_90": ours["coverage_90"],
                         "team_only_crps": scores.loc["team only", "crps"]})
        log(f"recency: {history.name}: {len(half_lives)} half-lives backtested")
    return pd.DataFrame(rows)


def pooled_sweep(sweep: pd.DataFrame) -> pd.DataFrame:
    """The sweep pooled over the real histories (ticket-weighted), one row per half-life."""
    real = sweep[sweep["real"]]
    if real.empty:
        return pd.DataFrame()
    columns = ["crps", "coverage_50", "coverage_80", "coverage_90", "team_only_crps"]
    key = real["half_life_days"].fillna(0)
    pooled = real[columns].mul(real["n"], axis=0).groupby(key, sort=False).sum().div(
        real.groupby(key, sort=False)["n"].sum(), axis=0)
    pooled.insert(0, "n", real.groupby(key, sort=False)["n"].sum())
    pooled.index = [None if k == 0 else k for k in pooled.index]
    return pooled.rename_axis("half_life_days").reset_index()


def _sweep_lines(sweep: pd.DataFrame) -> list[str]:
    pooled = pooled_sweep(sweep)
    if pooled.empty:
        return []
    best = pooled.loc[pooled["crps"].idxmin(), "half_life_days"]
    sample = sweep[~sweep["real"]].set_index(sweep[~sweep["real"]]["half_life_days"].fillna(0))
    lines = _table(
        ["half-life (days)", "tickets scored", "calibrate CRPS", "coverage 50%",
         "coverage 80%", "coverage 90%", "team-only CRPS", "bundled sample: calibrate CRPS"],
        [["none" if pd.isna(row.half_life_days) else f"{row.half_life_days:g}", f"{row.n:,}",
          _number(row.crps), _number(row.coverage_50, 2), _number(row.coverage_80, 2),
          _number(row.coverage_90, 2), _number(row.team_only_crps),
          _number(sample["crps"].get(0 if pd.isna(row.half_life_days)
                                     else row.half_life_days, float("nan")))]
         for row in pooled.itertuples()])
    verdict = ("no recency weighting" if pd.isna(best)
               else f"a half-life of {best:g} days")
    at_best = pooled.loc[pooled["crps"].idxmin()]
    if at_best["team_only_crps"] < at_best["crps"]:
        lines += ["", f"In this backtest the **team-only model forecasts better** than "
                      f"calibrate ({at_best['team_only_crps']:.3f} against "
                      f"{at_best['crps']:.3f}): on these lead-time histories the per-engineer "
                      "multipliers describe the past but do not improve forecasts, and the "
                      "report says so when it backtests such a history."]
    default = Calibrator().half_life_days
    chosen = "no weighting" if default is None else f"a half-life of {default:g} days"
    agrees = (pd.isna(best) and default is None) or (not pd.isna(best) and default == best)
    return lines + ["", f"Lowest pooled CRPS on the real histories: **{verdict}**. "
                        f"`Calibrator()`'s default is {chosen}"
                        + (" — the backtest's choice." if agrees else
                           " — **not** the backtest's choice in this run.")]


def run(*, quick: bool = False, real_dir: Path | None = REAL_DIR, log=None) -> dict:
    """The section's results: the main evaluation and the one-area variant.

    ``quick`` (the benchmark's test mode) evaluates the bundled sample only.
    """
    started = time.perf_counter()
    if quick:
        real_dir = None
    main = evaluate_histories(real_dir=real_dir, log=log)
    one_area = sweep = None
    if main["pooled"] is not None and len(main["pooled"]):
        one_area = evaluate_histories(real_dir=real_dir, areas=GITLAB_ONE_AREA)
        sweep = half_life_sweep(real_dir=real_dir, log=log)
    from benchmarks.machine import _commit

    return {"main": main, "one_area": one_area, "sweep": sweep, "quick": quick,
            "date": datetime.now(UTC).strftime("%Y-%m-%d"), "commit": _commit(),
            "seconds": time.perf_counter() - started}


# -- judging the goal --------------------------------------------------------
def goal(pooled: pd.DataFrame) -> dict:
    """Issue 10's goal on the pooled real histories.

    calibrate's CRPS below every baseline's, and its coverage within
    ±``COVERAGE_TOLERANCE`` of nominal at 50/80/90%.
    """
    table = pooled.set_index("model")
    ours = table.loc["calibrate"]
    beaten_by = [m for m in BASELINES if m in table.index and table.loc[m, "crps"] <= ours["crps"]]
    gaps = {int(level * 100): float(ours[f"coverage_{int(level * 100)}"] - level)
            for level in LEVELS}
    coverage_ok = all(abs(g) <= COVERAGE_TOLERANCE + 1e-12 for g in gaps.values())
    return {"crps_met": not beaten_by, "crps_beaten_by": beaten_by, "coverage_gaps": gaps,
            "coverage_met": coverage_ok, "met": not beaten_by and coverage_ok}


def where_calibrate_loses(table: pd.DataFrame) -> dict[str, list[str]]:
    """Per score, the baselines that do at least as well as calibrate."""
    table = table.set_index("model")
    ours = table.loc["calibrate"]
    out = {"crps": [], "log_score": [], "coverage": []}
    for model in [m for m in BASELINES if m in table.index]:
        row = table.loc[model]
        if row["crps"] <= ours["crps"]:
            out["crps"].append(model)
        if not math.isnan(row["log_score"]) and row["log_score"] <= ours["log_score"]:
            out["log_score"].append(model)
        ours_error = max(abs(ours[f"coverage_{int(q * 100)}"] - q) for q in LEVELS)
        theirs = max(abs(row[f"coverage_{int(q * 100)}"] - q) for q in LEVELS)
        if theirs < ours_error:
            out["coverage"].append(model)
    return out


# -- writing -----------------------------------------------------------------
def _number(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


HEADER = ["model", "tickets scored", "coverage 50%", "coverage 80%", "coverage 90%", "CRPS",
          "log score"]


DIFFERENCE_HEADER = "CRPS − calibrate's (± s.e., same tickets)"


def _score_rows(table: pd.DataFrame, differences: pd.DataFrame | None = None
                ) -> list[list[str]]:
    best_crps = table["crps"].min()
    by_model = ({} if differences is None or not len(differences)
                else differences.set_index("model").to_dict("index"))
    rows = []
    for r in table.itertuples(index=False):
        crps = _number(r.crps)
        row = [r.model, f"{r.n:,}" + (f" ({r.n_censored} open)" if r.n_censored else ""),
               _number(r.coverage_50, 2), _number(r.coverage_80, 2), _number(r.coverage_90, 2),
               f"**{crps}**" if r.crps == best_crps else crps, _number(r.log_score)]
        if differences is not None:
            d = by_model.get(r.model)
            row.append(f"{d['crps_difference']:+.3f} ± {d['se']:.3f}" if d else "–")
        rows.append(row)
    return rows


def _pooled_table(main: dict) -> list[str]:
    return _table([*HEADER, DIFFERENCE_HEADER],
                  _score_rows(main["pooled"], main["pooled_crps_differences"]))


def _join(items: list[str]) -> str:
    items = [f"*{i}*" for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _verdict_lines(pooled: pd.DataFrame, differences: pd.DataFrame | None = None
                   ) -> list[str]:
    judged = goal(pooled)
    lost = where_calibrate_loses(pooled)
    gaps = ", ".join(f"{level}% {gap * 100:+.0f} points"
                     for level, gap in judged["coverage_gaps"].items())
    n = int(pooled.set_index("model").loc["calibrate", "n"])
    errors = " / ".join(f"{100 * math.sqrt(q * (1 - q) / n):.1f}" for q in LEVELS)
    gaps += f"; with {n} tickets one binomial standard error is {errors} points"
    lines = [
        "- CRPS below every baseline: **" + ("met" if judged["crps_met"] else "not met") + "**"
        + ("" if judged["crps_met"] else
           f" ({_join(judged['crps_beaten_by'])} "
           f"{'does' if len(judged['crps_beaten_by']) == 1 else 'do'} as well or better)")
        + _margin(differences) + ".",
        f"- calibrate's coverage within ±{COVERAGE_TOLERANCE * 100:.0f} points of nominal: **"
        + ("met" if judged["coverage_met"] else "not met") + f"** ({gaps}).",
    ]
    if lost["log_score"]:
        lines.append(f"- Log score: {_join(lost['log_score'])} "
                     f"{'is' if len(lost['log_score']) == 1 else 'are'} as good or better.")
    if lost["coverage"]:
        lines.append(f"- Coverage closer to nominal than calibrate's (worst of the three "
                     f"levels): {_join(lost['coverage'])}.")
    return lines


def _margin(differences: pd.DataFrame | None) -> str:
    """The closest baseline's CRPS difference, and whether it exceeds two standard errors."""
    if differences is None or not len(differences):
        return ""
    closest = differences.sort_values("crps_difference").iloc[0]
    clear = abs(closest["crps_difference"]) > 2 * closest["se"]
    return (f"; the closest baseline, *{closest['model']}*, differs by "
            f"{closest['crps_difference']:+.3f} ± {closest['se']:.3f} (s.e., same tickets): "
            + ("more than" if clear else "within") + " two standard errors")


def _per_history_losses(results: dict) -> list[str]:
    table = results["per_history"]
    lines = []
    for name, group in table.groupby("history", sort=False):
        lost = where_calibrate_loses(group)
        if not lost["crps"]:
            continue
        crps = group.set_index("model")["crps"]
        tied = [m for m in lost["crps"] if np.isclose(crps[m], crps["calibrate"], rtol=1e-9)]
        lower = [m for m in lost["crps"] if m not in tied]
        parts = ([f"lower CRPS than calibrate: {_join(lower)}"] if lower else []) + (
            [f"the same CRPS: {_join(tied)}"] if tied else [])
        lines.append(f"- {name}: " + "; ".join(parts) + ".")
    return lines


RECENCY_TEXT = (
    "Which recency weighting? The rolling-origin backtest (`calibrate.backtest.backtest`, "
    "4 origins over the second half of each history: at each origin an export as it was "
    "then, every ticket started after it scored, open ones as censored) of calibrate with "
    "tickets weighted 0.5 ** (age / half-life), pooled over the real histories "
    "(ticket-weighted; the team-only model at the same half-life beside it).")


def markdown_section(run_results: dict) -> str:
    """The section of ``benchmarks.md`` (markers included); also ``real_data.md``'s body."""
    main = run_results["main"]
    facts = main["facts"]
    real = [name for name, f in facts.items() if f["real"]]
    lines = [START_MARKER,
             "<!-- Generated by `python -m benchmarks.real_data` (also run by `make bench`); "
             "edits here are overwritten. -->", "", SECTION_TITLE, ""]
    lines += [
        f"Measured on {run_results['date']} (calibrate commit {run_results['commit']}; "
        f"{run_results['seconds']:.0f} s). Unlike the rest of `reports/benchmarks.md`, these "
        "are real ticket histories: public GitLab projects' issue exports (NeoDataset, "
        "CC BY-NC-SA 4.0), read from `../shared/data/real/` when that folder is there; no "
        "ticket data is copied into the repository, only these aggregate scores. GitLab "
        "exports have no "
        "start of work, so durations are **lead times** (created → closed, working days), "
        "with far more noise than cycle times.",
        "",
        f"Out of time: the cut is the {main['train_share']:.0%} quantile of close dates. "
        "The models are fitted on the table an export taken at the cut would give "
        "(`calibrate.backtest.tickets_known_at`: later tickets unknown, tickets open then "
        "censored at their age) and predict every ticket not finished by the cut, through "
        "the public API. Scores on log working days: share of tickets inside the central "
        "50/80/90% intervals (should equal the level), CRPS and log score (lower is better; "
        "best CRPS in bold). Models: *calibrate* `" + main["calibrator"] + "`; *team only* "
        "the same with `random_effects=False` (points and area); *MixedLM engineer "
        "intercept* statsmodels `MixedLM` (`y ~ 0 + C(area) + C(area):c`, random intercept "
        "per engineer, REML, finished training tickets; predictions with the engineer's BLUP, "
        "0 for unseen engineers, sd from the residual variance plus the BLUP's conditional "
        "variance or the random-intercept variance); *EBS ratios* log points + the "
        "engineer's own past log(actual/points) (the team's with fewer than 5 finished), "
        "as 200 quantiles of their Kaplan–Meier distribution (open training tickets "
        "censored at their age); *1 point = 1 day* median = points, central L interval log "
        "points ± the L-quantile of the training |log(actual/points)| (Kaplan–Meier "
        "likewise); CRPS of its symmetric empirical distribution. The two empirical "
        "forecasts have no density, so no log score. Open test tickets (the sample's) are "
        "scored as censored by `calibrate.backtest.normal_scores` / `sample_scores` and "
        "pooled with the backtest's inverse probability of censoring weights; without open "
        "test tickets every ticket weighs 1. Areas of the GitLab histories come from their "
        "labels (frontend, "
        "backend, devops, design; others `other`), set before any score was seen.",
        "",
    ]
    if main["missing"]:
        lines += [f"**Real histories: not evaluated — {main['missing']}.**", ""]
    if len(main["pooled"]):
        lines += [f"### Pooled over the {len(real)} real histories (ticket-weighted)", ""]
        lines += _pooled_table(main)
        lines += ["", "Issue 10's goal on the pooled real histories:", ""]
        lines += _verdict_lines(main["pooled"], main["pooled_crps_differences"])
        losses = _per_history_losses({"per_history": main["per_history"][
            main["per_history"]["history"].isin(real)]})
        if losses:
            lines += ["", "Per history, where calibrate's CRPS does not win:", "", *losses]
        lines += [""]
    lines += ["### Per history", ""]
    fact_rows = []
    for name, group in main["per_history"].groupby("history", sort=False):
        f = facts[name]
        lines += [f"**{name}** — {f['clock']} time; {f['tickets']:,} tickets, "
                  f"{f['engineers']} engineers, areas {', '.join(f['areas'])}", ""]
        lines += _table(HEADER, _score_rows(group))
        lines += [""]
        fact_rows.append([name, f"{f['cut']:%Y-%m-%d}",
                          f"{f['n_train_finished']:,} + {f['n_train_censored']} open",
                          f"{f['n_test']:,}" + (f" ({f['n_test_censored']} open)"
                                                if f["n_test_censored"] else ""),
                          f"{f['test_unseen_engineer_share']:.0%}",
                          f"{f['mixedlm_method']}"
                          + ("" if f["mixedlm_converged"] else " (**not converged**)"),
                          f"{f['seconds']:.1f} s"])
    lines += ["### The splits", ""]
    lines += _table(["history", "cut (close date)", "training tickets", "test tickets",
                     "test tickets of engineers unseen in training", "MixedLM optimiser",
                     "time"], fact_rows)
    one_area = run_results.get("one_area")
    if one_area is not None and len(one_area["pooled"]):
        lines += ["", "### The same, pooled, with one area per team (no area rules)", "",
                  "What a user gets without a config: every GitLab ticket in one area, so "
                  "*team only* is points alone.", ""]
        lines += _pooled_table(one_area)
    if run_results.get("sweep") is not None:
        lines += ["", "### Recency weighting, decided by the backtest", "", RECENCY_TEXT, ""]
        lines += _sweep_lines(run_results["sweep"])
    lines += ["", END_MARKER]
    return "\n".join(lines)


def readme_block(run_results: dict) -> str:
    """The README's block (markers included): the pooled table, quoted as measured."""
    main = run_results["main"]
    lines = [START_MARKER,
             "<!-- Generated by `python -m benchmarks.real_data` (also run by `make bench`); "
             "edits here are overwritten. -->", ""]
    if not len(main["pooled"]):
        lines += [f"Not measured in this run: {main['missing'] or 'no real histories'}. "
                  "Run `python -m benchmarks.real_data` with the histories in "
                  "`../shared/data/real/`.", "", END_MARKER]
        return "\n".join(lines)
    n_real = sum(1 for f in main["facts"].values() if f["real"])
    lines += [
        f"Measured on {run_results['date']} (commit {run_results['commit']}) on {n_real} real "
        "GitLab issue histories (public projects; lead time, created → closed), out of time: "
        f"fitted on what an export at the {main['train_share']:.0%} quantile of close dates "
        "would hold, scored on every ticket closed after it. Pooled, ticket-weighted; log "
        "working days; lower CRPS and log score are better; the interval coverages should "
        "equal 50/80/90%. Per-history tables and method: "
        "[reports/real_data.md](reports/real_data.md).",
        "",
    ]
    lines += _pooled_table(main)
    lines += ["", "Against issue 10's goal (calibrate's CRPS below every baseline's; coverage "
              f"within ±{COVERAGE_TOLERANCE * 100:.0f} points of nominal):", ""]
    lines += _verdict_lines(main["pooled"], main["pooled_crps_differences"])
    real = [name for name, f in main["facts"].items() if f["real"]]
    losses = _per_history_losses({"per_history": main["per_history"][
        main["per_history"]["history"].isin(real)]})
    if losses:
        lines += ["", "Per history, where calibrate's CRPS does not win:", "", *losses]
    if run_results.get("sweep") is not None:
        lines += ["", RECENCY_TEXT, ""]
        lines += _sweep_lines(run_results["sweep"])
    lines += ["", END_MARKER]
    return "\n".join(lines)


def replace_block(text: str, block: str, *, insert_before: str | None = None,
                  heading: str | None = None) -> str:
    """``text`` with ``block`` between the markers, or inserted before
    ``insert_before`` (under ``heading``), or appended."""
    start, end = text.find(START_MARKER), text.find(END_MARKER)
    if start >= 0 and end > start:
        return text[:start] + block + text[end + len(END_MARKER):]
    addition = (f"{heading}\n\n" if heading else "") + block + "\n"
    if insert_before and insert_before in text:
        at = text.find(insert_before)
        return text[:at] + addition + "\n" + text[at:]
    return text.rstrip("\n") + "\n\n" + addition


def block_in(text: str) -> str | None:
    start, end = text.find(START_MARKER), text.find(END_MARKER)
    if start < 0 or end < start:
        return None
    return text[start:end + len(END_MARKER)]


def write_outputs(run_results: dict, out: Path, readme: Path | None) -> None:
    """Write ``out/real_data.md``, the section of ``out/benchmarks.md`` and the README block.

    Files are read right before writing; nothing outside the markers changes.
    The README block is written only by a run that measured real histories.
    """
    out.mkdir(parents=True, exist_ok=True)
    section = markdown_section(run_results)
    (out / "real_data.md").write_text(
        "# Accuracy on real histories\n\n" + section + "\n", encoding="utf-8")
    insert_section(out / "benchmarks.md", section)
    if readme is not None and len(run_results["main"]["pooled"]):
        # Without the real histories (a clone without ../shared) the README
        # keeps quoting the last run that measured them.
        text = readme.read_text(encoding="utf-8")
        readme.write_text(replace_block(text, readme_block(run_results),
                                        insert_before="## For planners",
                                        heading=README_TITLE), encoding="utf-8")


def insert_section(path: Path, section: str) -> None:
    """Put the section between its markers in ``benchmarks.md`` (appended if absent)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    path.write_text(replace_block(text, section).rstrip("\n") + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.real_data",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--real", type=Path, default=REAL_DIR,
                        help="folder of real GitLab CSV exports (default: ../shared/data/real)")
    parser.add_argument("--out", type=Path, default=ROOT / "reports",
                        help="directory of benchmarks.md and real_data.md (default: reports)")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--no-readme", action="store_true", help="leave the README alone")
    options = parser.parse_args(argv)
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    results = run(real_dir=options.real, log=log)
    write_outputs(results, options.out, None if options.no_readme else options.readme)
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        if len(results["main"]["pooled"]):
            print("pooled over the real histories:")
            print(results["main"]["pooled"].to_string(index=False))
        print(results["main"]["per_history"].to_string(index=False))
    log(f"wrote {options.out / 'real_data.md'}, its section of benchmarks.md"
        + ("" if options.no_readme else f" and the block of {options.readme}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

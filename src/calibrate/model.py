"""The calibration model and its estimator, :class:`Calibrator`.

For ticket i, worked by engineer e in area a, with the team's estimate p::

    log(duration_days_i) = intercept[a] + elasticity[a] * log(p_i / 3)
                           + u[e] + v[e, a] + noise_i
    u ~ N(0, engineer_sd^2),  v ~ N(0, cell_sd^2),  noise ~ N(0, noise_sd[a]^2)

- ``intercept[a]`` is the log of the median working days of a 3-point ticket
  for a typical engineer in area a (points are centred on the reference 3).
- ``elasticity[a]`` is how durations grow with points: 1 means proportional
  ("a 3-pointer takes three times a 1-pointer"); real teams show less.
- ``u`` and ``v`` are random effects: an engineer with four tickets is pulled
  toward the team (partial pooling), one with eighty hardly at all. The
  multiplier of engineer e in area a is exp(u[e] + v[e, a]).
- Open tickets are right-censored: their duration is at least the time so
  far. They enter the likelihood through an EM iteration that replaces their
  log duration and its square by the truncated-normal conditional moments
  given the current fit (conditioning on the predicted random effects, an
  approximation that is close when, as usual, open tickets are a minority).
- A 0-point ticket is treated as ``zero_points`` (default 0.5) points, since
  log(0) is undefined; tickets without points never reach the model (they
  are excluded, with a reason, when the export is read).

Variance parameters are fitted by REML from per-(engineer, area) sums
(:mod:`calibrate._mixed`), so the cost is one pass over the rows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats
from threadpoolctl import threadpool_limits

from calibrate._mixed import CellSums, MixedFit, aggregate, fit_mixed
from calibrate.errors import CalibrationWarning, InputError
from calibrate.tickets import TicketTable, validate_tickets

__all__ = ["Calibrator", "Design", "prepare_design"]

_NOISE_OPTIONS = ("area", "shared")
_SLOPE_OPTIONS = ("area", "shared")


@dataclass(frozen=True)
class Design:
    """Tickets turned into model arrays (one entry per ticket).

    Attributes
    ----------
    log_duration : ndarray
        log working days (for open tickets: log of the time so far).
    censored : ndarray of bool
    engineer, area, cell, pattern : ndarray of int
        Codes into ``engineers``, ``areas``, the cell list and ``patterns``.
    engineers, areas : list of str
    cell_engineer, cell_area : ndarray of int
        Engineer and area code of each cell.
    patterns : ndarray (P, p)
        Fixed-effect design vector per (area, points) pattern.
    pattern_area, pattern_points : ndarray
        Area code and points value of each pattern.
    feature_names : list of str
    slope_index : ndarray of int
        Column of the elasticity used by each area (-1: not fitted; with
        ``slopes="assumed"`` the elasticity is 1, applied as an offset to
        ``log_duration``).
    """

    log_duration: np.ndarray
    censored: np.ndarray
    engineer: np.ndarray
    area: np.ndarray
    cell: np.ndarray
    pattern: np.ndarray
    engineers: list[str]
    areas: list[str]
    cell_engineer: np.ndarray
    cell_area: np.ndarray
    patterns: np.ndarray
    pattern_area: np.ndarray
    pattern_points: np.ndarray
    feature_names: list[str]
    slope_index: np.ndarray
    reference_points: float
    zero_points: float

    def log_points(self, points: np.ndarray) -> np.ndarray:
        """The model's points covariate: log(points / reference), 0 points as ``zero_points``."""
        points = np.asarray(points, dtype=float)
        return np.log(np.where(points > 0, points, self.zero_points) / self.reference_points)

    def sums(self, noise_groups: np.ndarray, n_groups: int, rows: np.ndarray | None = None,
             log_duration: np.ndarray | None = None,
             squares: np.ndarray | None = None) -> CellSums:
        """Per-cell sums of the selected rows (all by default)."""
        select = slice(None) if rows is None else rows
        y = self.log_duration[select] if log_duration is None else log_duration
        return aggregate(
            self.cell[select], self.pattern[select], self.patterns, y,
            self.cell_engineer, noise_groups, len(self.engineers), n_groups, y_squared=squares,
        )


def prepare_design(tickets: pd.DataFrame, *, slopes: str = "area",
                   reference_points: float = 3.0, zero_points: float = 0.5,
                   points_as_category: bool = False) -> Design:
    """Model arrays from a canonical ticket table (no fitting)."""
    engineer_codes, engineers = pd.factorize(tickets["engineer"], sort=True)
    area_codes, areas = pd.factorize(tickets["area"], sort=True)
    n_areas = len(areas)
    cell_keys = engineer_codes.astype(np.int64) * n_areas + area_codes
    cell_codes, cell_values = pd.factorize(cell_keys, sort=True)
    cell_engineer, cell_area = np.divmod(np.asarray(cell_values), n_areas)
    points = tickets["points"].to_numpy(dtype=float)
    points_codes, points_values = pd.factorize(points, sort=True)
    points_values = np.asarray(points_values, dtype=float)
    n_points = len(points_values)
    pattern = area_codes * n_points + points_codes
    pattern_area = np.repeat(np.arange(n_areas), n_points)
    pattern_points = np.tile(points_values, n_areas)
    covariate = np.log(np.where(pattern_points > 0, pattern_points, zero_points)
                       / reference_points)
    if points_as_category:
        # One mean per (area, points value) present: the saturated points model.
        present = np.unique(pattern)
        column = {key: i for i, key in enumerate(present)}
        patterns = np.zeros((n_areas * n_points, len(present)))
        for key, index in column.items():
            patterns[key, index] = 1.0
        names = [f"{areas[pattern_area[k]]}: {pattern_points[k]:g} points" for k in present]
        slope_index = np.full(n_areas, -1)
    elif slopes == "assumed":
        # No points variation at all: the elasticity is not estimable, and is
        # taken as 1 (an offset), so only the intercepts are fitted.
        patterns = np.zeros((n_areas * n_points, n_areas))
        patterns[np.arange(len(pattern_area)), pattern_area] = 1.0
        names = [f"intercept[{a}]" for a in areas]
        slope_index = np.full(n_areas, -1)
        offset = covariate[pattern]
    else:
        n_slopes = n_areas if slopes == "area" else 1
        patterns = np.zeros((n_areas * n_points, n_areas + n_slopes))
        patterns[np.arange(len(pattern_area)), pattern_area] = 1.0
        slope_index = n_areas + (np.arange(n_areas) if slopes == "area" else np.zeros(n_areas,
                                                                                      int))
        patterns[np.arange(len(pattern_area)), slope_index[pattern_area]] = covariate
        names = [f"intercept[{a}]" for a in areas]
        names += ([f"elasticity[{a}]" for a in areas] if slopes == "area" else ["elasticity"])
    log_duration = np.log(tickets["duration_days"].to_numpy(dtype=float))
    if slopes == "assumed" and not points_as_category:
        log_duration = log_duration - offset
    return Design(
        log_duration=log_duration,
        censored=tickets["censored"].to_numpy(dtype=bool),
        engineer=engineer_codes,
        area=area_codes,
        cell=cell_codes,
        pattern=pattern,
        engineers=[str(e) for e in engineers],
        areas=[str(a) for a in areas],
        cell_engineer=cell_engineer,
        cell_area=cell_area,
        patterns=patterns,
        pattern_area=pattern_area,
        pattern_points=pattern_points,
        feature_names=names,
        slope_index=slope_index,
        reference_points=reference_points,
        zero_points=zero_points,
    )


def fit_design(design: Design, *, noise: str = "area", reml: bool = True,
               censoring: bool = True, team_only: bool = False, max_iterations: int = 200,
               tolerance: float = 1e-7) -> tuple[MixedFit, int, bool]:
    """Fit the mixed model to a design, with the censoring EM.

    Returns the fit, the number of EM iterations and whether EM converged.
    """
    # The matrices are tiny (p x p): a multi-threaded BLAS only adds overhead
    # and thread-to-thread rounding noise that can stall the optimiser.
    with threadpool_limits(limits=1):
        return _fit_design(design, noise=noise, reml=reml, censoring=censoring,
                           team_only=team_only, max_iterations=max_iterations,
                           tolerance=tolerance)


def _fit_design(design: Design, *, noise: str, reml: bool, censoring: bool, team_only: bool,
                max_iterations: int, tolerance: float) -> tuple[MixedFit, int, bool]:
    groups = design.cell_area if noise == "area" else np.zeros(len(design.cell_area), int)
    n_groups = len(design.areas) if noise == "area" else 1
    censored = design.censored if censoring else np.zeros_like(design.censored)
    full = design.sums(groups, n_groups)
    fit = fit_mixed(full, reml=reml, fixed_zero_random=team_only)
    if not censored.any():
        return fit, 0, True
    rows = np.flatnonzero(censored)
    bound = design.log_duration[rows]
    observed = design.sums(groups, n_groups, rows=rows)
    row_x = design.patterns[design.pattern[rows]]
    row_engineer = design.engineer[rows]
    row_cell = design.cell[rows]
    row_group = groups[row_cell]
    previous = None
    for iteration in range(1, max_iterations + 1):
        mean = (row_x @ fit.beta + fit.engineer_effect[row_engineer]
                + fit.cell_effect[row_cell])
        sd = fit.sigma[row_group]
        expected, expected_square = truncated_normal_moments(mean, sd, bound)
        imputed = design.sums(groups, n_groups, rows=rows, log_duration=expected,
                              squares=expected_square)
        sums = full.with_responses(
            full.sy - observed.sy + imputed.sy,
            full.sxy - observed.sxy + imputed.sxy,
            full.syy - observed.syy + imputed.syy,
        )
        fit = fit_mixed(sums, reml=reml, fixed_zero_random=team_only,
                        start=(fit.sigma, fit.engineer_sd, fit.cell_sd))
        state = np.concatenate([fit.beta, np.log(fit.sigma), [fit.engineer_sd, fit.cell_sd]])
        if previous is not None and np.max(np.abs(state - previous)) < tolerance:
            return fit, iteration, True
        previous = state
    return fit, max_iterations, False


def truncated_normal_moments(mean: np.ndarray, sd: np.ndarray,
                             lower: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """E[Y] and E[Y^2] for Y ~ N(mean, sd^2) conditioned on Y > lower."""
    alpha = (lower - mean) / sd
    # Inverse Mills ratio phi(a) / (1 - Phi(a)), computed in logs for large a.
    mills = np.exp(stats.norm.logpdf(alpha) - special.log_ndtr(-alpha))
    expected = mean + sd * mills
    variance = sd * sd * np.maximum(1 + alpha * mills - mills * mills, 0.0)
    return expected, variance + expected * expected


class Calibrator:
    """Estimator of per-engineer and per-engineer x area duration multipliers.

    Follows scikit-learn's estimator contract: parameters are set in the
    constructor and never changed by :meth:`fit`; fitted attributes end in
    ``_``; ``fit`` returns the estimator. The full results are in
    :attr:`result_` (a :class:`~calibrate.results.CalibrationResult`).

    Parameters
    ----------
    noise : {"area", "shared"}
        A ticket-noise sd per area (default) or one for all areas.
    slopes : {"area", "shared"}
        A points elasticity per area (default) or one for all areas. Falls
        back to "shared", with a warning, when an area has a single points
        value (its elasticity cannot be estimated).
    censoring : bool
        Treat open tickets as right-censored (default). ``False`` treats the
        time so far as if it were the final duration (biased; for
        comparison only).
    reference_points : float
        Points value the intercepts refer to (the team's "3 points").
    zero_points : float
        Points value used for 0-point tickets.
    cap_days : float
        The team's cap on a ticket, in working days (default 3), used for
        overrun probabilities and recommended ticket sizes.
    confidence : float
        Required probability of fitting under the cap for a recommended size.
    method : {"reml", "ml"}
        Restricted (default) or full maximum likelihood.
    random_effects : bool
        Fit engineer and engineer x area effects (default). ``False`` gives
        the team-only model (points and area), a baseline.

    Attributes
    ----------
    result_ : CalibrationResult
    engineers_, areas_ : list of str
    n_tickets_, n_censored_ : int
    em_iterations_ : int
    converged_ : bool

    Examples
    --------
    >>> from calibrate import Calibrator, read_export
    >>> table = read_export("data/sample/jira_changelog.json",
    ...                     config="data/sample/calibrate.toml")
    >>> calibrator = Calibrator(cap_days=3).fit(table)
    >>> row = calibrator.result_.engineer_multipliers.set_index("engineer").loc["Zoë Müller"]
    >>> bool(row["p90"] < 1)    # faster than the team typical, with 90% confidence
    True
    """

    def __init__(self, *, noise: str = "area", slopes: str = "area", censoring: bool = True,
                 reference_points: float = 3.0, zero_points: float = 0.5,
                 cap_days: float = 3.0, confidence: float = 0.8,
                 method: str = "reml", random_effects: bool = True) -> None:
        self.noise = noise
        self.slopes = slopes
        self.censoring = censoring
        self.reference_points = reference_points
        self.zero_points = zero_points
        self.cap_days = cap_days
        self.confidence = confidence
        self.method = method
        self.random_effects = random_effects

    def get_params(self, deep: bool = True) -> dict:
        """Parameters, as in scikit-learn."""
        return {name: getattr(self, name) for name in (
            "noise", "slopes", "censoring", "reference_points", "zero_points", "cap_days",
            "confidence", "method", "random_effects")}

    def set_params(self, **params) -> Calibrator:
        """Set parameters, as in scikit-learn."""
        for name, value in params.items():
            if name not in self.get_params():
                raise ValueError(f"unknown parameter {name!r}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = Calibrator().get_params()
        changed = {k: v for k, v in self.get_params().items() if v != defaults[k]}
        return f"Calibrator({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    def _check_params(self) -> None:
        problems = []
        if self.noise not in _NOISE_OPTIONS:
            problems.append(f"noise must be one of {_NOISE_OPTIONS}, not {self.noise!r}")
        if self.slopes not in _SLOPE_OPTIONS:
            problems.append(f"slopes must be one of {_SLOPE_OPTIONS}, not {self.slopes!r}")
        if self.method not in ("reml", "ml"):
            problems.append(f"method must be 'reml' or 'ml', not {self.method!r}")
        if not self.reference_points > 0 or not self.zero_points > 0:
            problems.append("reference_points and zero_points must be > 0")
        if not self.cap_days > 0:
            problems.append(f"cap_days must be > 0, not {self.cap_days!r}")
        if not 0 < self.confidence < 1:
            problems.append(f"confidence must be between 0 and 1, not {self.confidence!r}")
        if problems:
            raise ValueError("; ".join(problems))

    def fit(self, tickets: TicketTable | pd.DataFrame) -> Calibrator:
        """Fit the model to a canonical ticket table.

        Parameters
        ----------
        tickets : TicketTable or DataFrame
            Output of a reader, or a canonical ticket table.

        Returns
        -------
        Calibrator
            The fitted estimator.

        Raises
        ------
        InputError
            If the table is not canonical, or holds too little to fit
            (fewer than 2 finished tickets per parameter...).
        """
        from calibrate.results import CalibrationResult

        self._check_params()
        table = tickets.tickets if isinstance(tickets, TicketTable) else tickets
        calendar = tickets.calendar if isinstance(tickets, TicketTable) else None
        validate_tickets(table)
        _check_enough(table)
        slopes = self.slopes
        single = [a for a, n in table.groupby("area")["points"].nunique().items() if n < 2]
        if table["points"].nunique() < 2:
            warnings.warn(
                f"every ticket has {table['points'].iloc[0]:g} points, so how durations grow "
                "with points cannot be estimated; predictions for other sizes ASSUME "
                "proportional growth (elasticity 1)", CalibrationWarning, stacklevel=2)
            slopes = "assumed"
        elif slopes == "area" and single:
            warnings.warn(
                f"area(s) {', '.join(single)} have a single points value, so their elasticity "
                "cannot be estimated; one elasticity is shared by all areas",
                CalibrationWarning, stacklevel=2)
            slopes = "shared"
        engineers = table.loc[~table["censored"], "engineer"].value_counts()
        if len(engineers) < 5:
            warnings.warn(
                f"only {len(engineers)} engineer(s) with finished tickets: the spread between "
                "engineers is poorly determined, and so are their intervals",
                CalibrationWarning, stacklevel=2)
        few = int((engineers < 3).sum())
        if few and few >= len(engineers) / 2:
            warnings.warn(
                f"{few} of {len(engineers)} engineers have fewer than 3 finished tickets: their "
                "multipliers are mostly the team's (see shrinkage_weight)",
                CalibrationWarning, stacklevel=2)
        if (table["points"] == 0).any():
            warnings.warn(
                f"{int((table['points'] == 0).sum())} tickets have 0 points; they are modelled "
                f"as {self.zero_points:g} points", CalibrationWarning, stacklevel=2)
        design = prepare_design(table, slopes=slopes, reference_points=self.reference_points,
                                zero_points=self.zero_points)
        fit, iterations, converged = fit_design(
            design, noise=self.noise, reml=self.method == "reml", censoring=self.censoring,
            team_only=not self.random_effects)
        if not converged:
            warnings.warn(f"the censoring EM did not converge in {iterations} iterations",
                          CalibrationWarning, stacklevel=2)
        if not fit.converged:
            warnings.warn(f"the variance optimiser reported no convergence: {fit.message}",
                          CalibrationWarning, stacklevel=2)
        typical = float(np.median(fit.sigma))
        for name, value in (("engineer", fit.engineer_sd), ("engineer x area", fit.cell_sd)):
            if self.random_effects and value < 1e-3 * typical:
                warnings.warn(
                    f"the {name} variance is estimated at zero (a boundary): the data show no "
                    f"{name} differences beyond ticket noise, so those multipliers are all 1",
                    CalibrationWarning, stacklevel=2)
        params = self.get_params()

        def points_test() -> dict | None:
            return _points_test(table, design, slopes, Calibrator(**params))

        self.engineers_ = design.engineers
        self.areas_ = design.areas
        self.n_tickets_ = len(table)
        self.n_censored_ = int(design.censored.sum())
        self.em_iterations_ = iterations
        self.converged_ = bool(converged and fit.converged)
        self.result_ = CalibrationResult.from_fit(
            fit, design, table, calibrator=self, slopes=slopes, calendar=calendar,
            points_test=points_test, em_iterations=iterations)
        return self

    def predict(self, engineer, area, points, budget_days: float | None = None) -> pd.DataFrame:
        """Predictive distribution of working days; see :meth:`CalibrationResult.predict`."""
        self._check_fitted()
        return self.result_.predict(engineer, area, points, budget_days=budget_days)

    def _check_fitted(self) -> None:
        if not hasattr(self, "result_"):
            raise AttributeError("this Calibrator is not fitted yet; call fit(tickets) first")


def _check_enough(table: pd.DataFrame) -> None:
    finished = int((~table["censored"]).sum())
    if finished < 10:
        raise InputError(
            f"Only {finished} finished tickets: too few to calibrate anything",
            hint="Use a longer history (at least a few dozen finished tickets).")


def _points_test(table: pd.DataFrame, design: Design, slopes: str,
                 calibrator: Calibrator) -> dict | None:
    """Likelihood-ratio test: log-linear points term vs points as a category.

    Both models are fitted by ML (REML criteria of models with different
    fixed effects are not comparable) on the finished tickets.
    """
    finished = table[~table["censored"]]
    levels = finished.groupby("area")["points"].nunique()
    if slopes == "assumed" or (levels < 3).all():
        return None
    linear = prepare_design(finished, slopes=slopes, reference_points=design.reference_points,
                            zero_points=design.zero_points)
    category = prepare_design(finished, points_as_category=True,
                              reference_points=design.reference_points,
                              zero_points=design.zero_points)
    team_only = not calibrator.random_effects
    fit_linear, _, _ = fit_design(linear, noise=calibrator.noise, reml=False, censoring=False,
                                  team_only=team_only)
    fit_category, _, _ = fit_design(category, noise=calibrator.noise, reml=False,
                                    censoring=False, team_only=team_only)
    statistic = max(fit_linear.criterion - fit_category.criterion, 0.0)
    df = category.patterns.shape[1] - linear.patterns.shape[1]
    if df <= 0:
        return None
    return {
        "statistic": float(statistic),
        "df": int(df),
        "p_value": float(stats.chi2.sf(statistic, df)),
        "n_tickets": len(finished),
    }

"""The calibration model and its estimator, :class:`Calibrator`.

For ticket i, worked by engineer e in area a, with the team's estimate p::

    log(duration_days_i) = intercept[a] + elasticity[a] * log(p_i / 3)
                           + u[e] + v[e, a] + noise_i
    u ~ N(0, engineer_sd^2),  v ~ N(0, engineer_area_sd^2),  noise ~ N(0, noise_sd[a]^2)

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
- Abandoned tickets: exports keep tickets "in progress" for months after
  everyone stopped. An open ticket of age c is modelled as abandoned with
  probability pi or as still being worked on, P(open at age c) = pi +
  (1 - pi) S(c), pi fitted by the same EM; the EM gives each open ticket
  the weight 1 - P(abandoned | still open at c), so a very old open ticket
  contributes (almost) nothing instead of inflating the noise. On data
  without abandoned tickets pi goes to 0 and the fit is the plain
  censored fit.
- Recency (``half_life_days``): a ticket whose clock started t days before
  the newest time in the table counts 0.5 ** (t / half_life_days) times in
  the likelihood (a frequency weight on every sum: exponential forgetting).
  The sums stay exact and one-pass.
- Small areas: an area with fewer than ``min_area_tickets`` finished tickets
  shares its noise sd and elasticity with the other small areas; if the
  small areas together still have fewer, every area shares one (a warning
  says which).
- Identification: with a single engineer the spread between engineers
  cannot be estimated (it is then not fitted, and predictions for other
  engineers use an *assumed* spread, :data:`ASSUMED_ENGINEER_SD`); when no
  engineer works in more than one area, the engineer and engineer x area
  effects cannot be told apart (only their sum is fitted, all of it as the
  engineer x area effect, so an engineer's speed is not assumed to carry
  to an area they never worked in).
- A 0-point ticket is treated as ``zero_points`` (default 0.5) points, since
  log(0) is undefined; tickets without points never reach the model (they
  are excluded, with a reason, when the export is read).

Variance parameters are fitted by REML from per-(engineer, area) sums
(:mod:`calibrate._mixed`), so the cost is one pass over the rows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy import optimize, special, stats
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from threadpoolctl import threadpool_limits

from calibrate._mixed import CellSums, MixedFit, aggregate, fit_mixed
from calibrate.errors import CalibrationWarning, InputError
from calibrate.tickets import TicketTable, validate_tickets

__all__ = ["ASSUMED_ENGINEER_SD", "Calibrator", "Design", "design_from_codes",
           "prepare_design"]

#: Log-scale spread between engineers assumed for predicting an engineer
#: never seen when the history cannot estimate it (a single engineer): the
#: typical value in published effort studies and the method guide (0.3).
ASSUMED_ENGINEER_SD = 0.3

#: LR statistic below which the split between engineer and engineer x area
#: variance is called poorly determined (chi-square, 1 df, 95%).
_SPLIT_LR_THRESHOLD = stats.chi2.ppf(0.95, 1)


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
    weight: np.ndarray | None = None

    def log_points(self, points: np.ndarray) -> np.ndarray:
        """The model's points covariate: log(points / reference), 0 points as ``zero_points``."""
        points = np.asarray(points, dtype=float)
        return np.log(np.where(points > 0, points, self.zero_points) / self.reference_points)

    def sums(self, noise_groups: np.ndarray, n_groups: int, rows: np.ndarray | None = None,
             log_duration: np.ndarray | None = None,
             squares: np.ndarray | None = None,
             frequency: np.ndarray | None = None) -> CellSums:
        """Per-cell sums of the selected rows (all by default), with the
        design's (recency) weights times the optional ``frequency`` weights."""
        select = slice(None) if rows is None else rows
        y = self.log_duration[select] if log_duration is None else log_duration
        if self.weight is not None:
            own = self.weight[select]
            frequency = own if frequency is None else own * frequency
        return aggregate(
            self.cell[select], self.pattern[select], self.patterns, y,
            self.cell_engineer, noise_groups, len(self.engineers), n_groups, y_squared=squares,
            frequency=frequency,
        )


def prepare_design(tickets: pd.DataFrame, *, slopes: str = "area",
                   reference_points: float = 3.0, zero_points: float = 0.5,
                   points_as_category: bool = False,
                   slope_groups: dict[str, str] | None = None,
                   weight: np.ndarray | None = None) -> Design:
    """Model arrays from a canonical ticket table (no fitting).

    ``slope_groups`` maps an area to the name of the elasticity it uses
    (areas mapped to one name share it); by default each area has its own
    (``slopes="area"``) or all share one (``"shared"``). ``weight`` holds
    per-ticket frequency weights (recency), None for equal weights.
    """
    engineer_codes, engineers = pd.factorize(tickets["engineer"], sort=True)
    area_codes, areas = pd.factorize(tickets["area"], sort=True)
    return design_from_codes(
        engineer_codes, [str(e) for e in engineers], area_codes, [str(a) for a in areas],
        tickets["points"].to_numpy(dtype=float), tickets["duration_days"].to_numpy(dtype=float),
        tickets["censored"].to_numpy(dtype=bool), slopes=slopes,
        reference_points=reference_points, zero_points=zero_points,
        points_as_category=points_as_category, slope_groups=slope_groups, weight=weight)


def design_from_codes(engineer_codes: np.ndarray, engineers: list[str], area_codes: np.ndarray,
                      areas: list[str], points: np.ndarray, duration_days: np.ndarray,
                      censored: np.ndarray, *, slopes: str = "area",
                      reference_points: float = 3.0, zero_points: float = 0.5,
                      points_as_category: bool = False,
                      slope_groups: dict[str, str] | None = None,
                      weight: np.ndarray | None = None) -> Design:
    """Model arrays from tickets already coded by engineer and area (no fitting).

    :func:`prepare_design` without reading the table: ``engineer_codes`` and
    ``area_codes`` index ``engineers`` and ``areas``, which must be sorted and
    each used by some ticket (as ``pd.factorize(..., sort=True)`` gives them),
    so that the design is the one :func:`prepare_design` builds from the same
    tickets. Callers that refit many subsets of one table (the backtest)
    code the strings once and call this per subset.
    """
    engineer_codes = np.asarray(engineer_codes)
    area_codes = np.asarray(area_codes)
    n_areas = len(areas)
    cell_keys = engineer_codes.astype(np.int64) * n_areas + area_codes
    cell_codes, cell_values = pd.factorize(cell_keys, sort=True)
    cell_engineer, cell_area = np.divmod(np.asarray(cell_values), n_areas)
    points = np.asarray(points, dtype=float)
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
        if slope_groups is not None:
            group_names = [slope_groups.get(str(a), str(a)) for a in areas]
        elif slopes == "area":
            group_names = [str(a) for a in areas]
        else:
            group_names = [""] * n_areas
        group_codes, unique_names = pd.factorize(pd.Series(group_names))
        n_slopes = len(unique_names)
        patterns = np.zeros((n_areas * n_points, n_areas + n_slopes))
        patterns[np.arange(len(pattern_area)), pattern_area] = 1.0
        slope_index = n_areas + group_codes
        patterns[np.arange(len(pattern_area)), slope_index[pattern_area]] = covariate
        names = [f"intercept[{a}]" for a in areas]
        names += [f"elasticity[{name}]" if name else "elasticity" for name in unique_names]
    log_duration = np.log(np.asarray(duration_days, dtype=float))
    if slopes == "assumed" and not points_as_category:
        log_duration = log_duration - offset
    return Design(
        log_duration=log_duration,
        censored=np.asarray(censored, dtype=bool),
        engineer=engineer_codes,
        area=area_codes,
        cell=cell_codes,
        pattern=pattern,
        engineers=list(engineers),
        areas=list(areas),
        cell_engineer=cell_engineer,
        cell_area=cell_area,
        patterns=patterns,
        pattern_area=pattern_area,
        pattern_points=pattern_points,
        feature_names=names,
        slope_index=slope_index,
        reference_points=reference_points,
        zero_points=zero_points,
        weight=None if weight is None else np.asarray(weight, dtype=float),
    )


@dataclass(frozen=True)
class DesignFit:
    """A fitted design: the mixed-model fit and what the censoring EM found.

    Attributes
    ----------
    fit : MixedFit
    iterations : int
        EM iterations (0 without open tickets).
    converged : bool
        Whether the EM converged (the variance optimiser's own flag is
        ``fit.converged``).
    abandoned_share : float
        Fitted pi: the share of all tickets that are abandoned open tickets.
    p_abandoned : ndarray
        Per ticket: P(abandoned | still open at its age); 0 for finished ones.
    """

    fit: MixedFit
    iterations: int
    converged: bool
    abandoned_share: float
    p_abandoned: np.ndarray


def fit_design(design: Design, *, noise_group: np.ndarray | None = None, reml: bool = True,
               censoring: bool = True, free: tuple[str, ...] = ("engineer", "cell"),
               abandonment: bool = True, max_iterations: int = 500,
               tolerance: float = 1e-7) -> DesignFit:
    """Fit the mixed model to a design, with the censoring EM.

    Parameters
    ----------
    design : Design
    noise_group : ndarray of int, optional
        Noise-sd group of each area (default: one per area).
    reml, censoring, abandonment : bool
    free : tuple of {"engineer", "cell"}
        Variance components to estimate (``()``: the team-only model).
    """
    if noise_group is None:
        noise_group = np.arange(len(design.areas))
    # The matrices are tiny (p x p): a multi-threaded BLAS only adds overhead
    # and thread-to-thread rounding noise that can stall the optimiser.
    with threadpool_limits(limits=1):
        return _fit_design(design, noise_group=np.asarray(noise_group), reml=reml,
                           censoring=censoring, free=free, abandonment=abandonment,
                           max_iterations=max_iterations, tolerance=tolerance)


def _fit_design(design: Design, *, noise_group: np.ndarray, reml: bool, censoring: bool,
                free: tuple[str, ...], abandonment: bool, max_iterations: int,
                tolerance: float) -> DesignFit:
    groups = noise_group[design.cell_area]
    n_groups = int(noise_group.max()) + 1
    censored = design.censored if censoring else np.zeros_like(design.censored)
    no_abandoned = np.zeros(len(design.log_duration))
    if not censored.any():
        fit = fit_mixed(design.sums(groups, n_groups), reml=reml, free=free)
        return DesignFit(fit, 0, True, 0.0, no_abandoned)
    rows = np.flatnonzero(censored)
    bound = design.log_duration[rows]
    finished = design.sums(groups, n_groups, rows=~censored)
    row_x = design.patterns[design.pattern[rows]]
    row_engineer = design.engineer[rows]
    row_cell = design.cell[rows]
    row_group = groups[row_cell]
    # Start with open tickets at their age so far (every area and cell has
    # rows, even one with no finished ticket); the first E-step corrects it.
    fit = fit_mixed(design.sums(groups, n_groups), reml=reml, free=free)
    share = 0.0
    p_abandoned = np.zeros(len(rows))
    previous = None
    iterations = 0
    while iterations < max_iterations:
        iterations += 1
        mean = (row_x @ fit.beta + fit.engineer_effect[row_engineer]
                + fit.cell_effect[row_cell])
        sd = fit.sigma[row_group]
        if abandonment:
            log_survival = special.log_ndtr((mean - bound) / sd)
            share = _abandoned_share(log_survival, len(censored) - len(rows))
            if share > 0:
                # P(abandoned | open at age c) = pi / (pi + (1 - pi) S(c)), in logs.
                log_abandoned = np.log(share)
                p_abandoned = np.exp(log_abandoned - np.logaddexp(
                    log_abandoned, np.log1p(-share) + log_survival))
            else:
                p_abandoned = np.zeros(len(rows))
        expected, expected_square = truncated_normal_moments(mean, sd, bound)
        imputed = design.sums(groups, n_groups, rows=rows, log_duration=expected,
                              squares=expected_square, frequency=1 - p_abandoned)
        fit = fit_mixed(finished + imputed, reml=reml, free=free,
                        start=(fit.sigma, fit.engineer_sd, fit.engineer_area_sd))
        state = np.concatenate([fit.beta, np.log(fit.sigma),
                                [fit.engineer_sd, fit.engineer_area_sd, share]])
        converged = previous is not None and np.max(np.abs(state - previous)) < tolerance
        if converged:
            break
        previous = state
    every = no_abandoned.copy()
    every[rows] = p_abandoned
    return DesignFit(fit, iterations, converged, share, every)


def _abandoned_share(log_survival: np.ndarray, n_finished: int) -> float:
    """The share pi maximising the abandonment mixture's likelihood given the
    open tickets' survival probabilities S_i (the other parameters held):

        sum over open tickets of log(pi + (1 - pi) S_i) + n_finished log(1 - pi).

    The function is concave in pi; its slope at 0 is sum(1 / S_i) - n, so pi
    is exactly 0 unless the open tickets are, together, more unlikely under
    the model than their number allows. Solving this one-dimensional problem
    in every EM iteration (instead of one EM step for pi) makes pi converge
    at once, and land exactly on 0 on data without abandoned tickets.
    """
    total = len(log_survival) + n_finished
    inverse = np.exp(np.minimum(-log_survival, 700.0))
    if inverse.sum() <= total:
        return 0.0
    survival = np.exp(log_survival)

    def slope(share: float) -> float:
        return float(np.sum((1 - survival) / (share + (1 - share) * survival))
                     - n_finished / (1 - share))

    upper = 1 - 1e-12
    if slope(upper) >= 0:
        return upper
    return float(optimize.brentq(slope, 0.0, upper, xtol=1e-14))


def truncated_normal_moments(mean: np.ndarray, sd: np.ndarray,
                             lower: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """E[Y] and E[Y^2] for Y ~ N(mean, sd^2) conditioned on Y > lower."""
    alpha = (lower - mean) / sd
    # Inverse Mills ratio phi(a) / (1 - Phi(a)), computed in logs for large a.
    mills = np.exp(stats.norm.logpdf(alpha) - special.log_ndtr(-alpha))
    expected = mean + sd * mills
    variance = sd * sd * np.maximum(1 + alpha * mills - mills * mills, 0.0)
    return expected, variance + expected * expected


class Calibrator(BaseEstimator):
    """Estimator of per-engineer and per-engineer x area duration multipliers.

    A scikit-learn estimator: parameters are set in the constructor and
    never changed by :meth:`fit` (``get_params``, ``set_params`` and
    ``sklearn.base.clone`` work, and notebooks show the HTML repr); they are
    checked against declared constraints when fitting; fitted attributes end
    in ``_``; ``fit`` returns the estimator. The full results are in
    :attr:`result_` (a :class:`~calibrate.results.CalibrationResult`).

    Parameters
    ----------
    noise : {"area", "shared"}
        A ticket-noise sd per area (default) or one for all areas. Areas
        with fewer than ``min_area_tickets`` finished tickets share one.
    slopes : {"area", "shared"}
        A points elasticity per area (default) or one for all areas. Areas
        with fewer than ``min_area_tickets`` finished tickets, or a single
        points value, share one.
    censoring : bool
        Treat open tickets as right-censored (default). ``False`` treats the
        time so far as if it were the final duration (biased; for
        comparison only).
    abandonment : bool
        Allow for abandoned open tickets (default): an open ticket far older
        than the model expects is taken as abandoned rather than as
        evidence of enormous noise. ``False`` gives the plain censored fit.
    half_life_days : float or None
        Recency weighting: a ticket started (for lead time: created) this
        many calendar days before the newest time in the table counts half
        as much in the likelihood (default 365: the rolling-origin backtest's
        choice on real histories; see the README). None weighs all tickets
        equally.
    min_area_tickets : int
        Finished tickets an area needs for its own noise sd and elasticity
        (default 30); smaller areas share them.
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

    _parameter_constraints: dict = {
        "noise": [StrOptions({"area", "shared"})],
        "slopes": [StrOptions({"area", "shared"})],
        "censoring": ["boolean"],
        "abandonment": ["boolean"],
        "half_life_days": [Interval(Real, 0, None, closed="neither"), None],
        "min_area_tickets": [Interval(Integral, 1, None, closed="left")],
        "reference_points": [Interval(Real, 0, None, closed="neither")],
        "zero_points": [Interval(Real, 0, None, closed="neither")],
        "cap_days": [Interval(Real, 0, None, closed="neither")],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "method": [StrOptions({"reml", "ml"})],
        "random_effects": ["boolean"],
    }

    def __init__(self, *, noise: str = "area", slopes: str = "area", censoring: bool = True,
                 abandonment: bool = True, half_life_days: float | None = 365.0,
                 min_area_tickets: int = 30, reference_points: float = 3.0,
                 zero_points: float = 0.5, cap_days: float = 3.0, confidence: float = 0.8,
                 method: str = "reml", random_effects: bool = True) -> None:
        self.noise = noise
        self.slopes = slopes
        self.censoring = censoring
        self.abandonment = abandonment
        self.half_life_days = half_life_days
        self.min_area_tickets = min_area_tickets
        self.reference_points = reference_points
        self.zero_points = zero_points
        self.cap_days = cap_days
        self.confidence = confidence
        self.method = method
        self.random_effects = random_effects

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
            (fewer than 10 finished tickets).
        """
        self._validate_params()
        table = tickets.tickets if isinstance(tickets, TicketTable) else tickets
        calendar = tickets.calendar if isinstance(tickets, TicketTable) else None
        validate_tickets(table)
        _check_enough(table)
        _warn_thin_data(table, self.zero_points)
        pooling = _pool_small_areas(table, self)
        design = prepare_design(table, slopes=pooling.slopes,
                                slope_groups=pooling.slope_groups,
                                reference_points=self.reference_points,
                                zero_points=self.zero_points,
                                weight=_recency_weights(table, self.half_life_days))
        params = self.get_params()

        def points_test() -> dict | None:
            return _points_test(table, design, pooling, Calibrator(**params))

        return self._fit_prepared(design, pooling, table, calendar, points_test)

    def _fit_prepared(self, design: Design, pooling: _AreaPooling, table: pd.DataFrame,
                      calendar, points_test) -> Calibrator:
        """:meth:`fit` from the design onwards: the fit and the result.

        ``table`` is read by the result only for the fitted window, the
        clock, the points range and the open tickets' list (``aging_work``);
        ``points_test`` computes the result's points test when asked. The
        backtest refits many cuts of one table through here, from designs it
        builds without the pandas work of :meth:`fit` (:func:`design_from_codes`).
        """
        from calibrate.results import CalibrationResult

        design_fit, identification = self._fit_identified(design, pooling.noise_group)
        fit = design_fit.fit
        if not design_fit.converged:
            warnings.warn(f"the censoring EM did not converge in {design_fit.iterations} "
                          "iterations", CalibrationWarning, stacklevel=3)
        if not fit.converged:
            warnings.warn(f"the variance optimiser reported no convergence: {fit.message}",
                          CalibrationWarning, stacklevel=3)
        params = self.get_params()
        self.engineers_ = design.engineers
        self.areas_ = design.areas
        self.n_tickets_ = len(table)
        self.n_censored_ = int(design.censored.sum())
        self.em_iterations_ = design_fit.iterations
        self.converged_ = bool(design_fit.converged and fit.converged)
        self.result_ = CalibrationResult(
            design_fit, design, table, settings=params, calendar=calendar,
            points_test=points_test, identification=identification, slopes=pooling.slopes,
            pooled_areas=pooling.pooled_areas)
        return self

    def _fit_identified(self, design: Design,
                        noise_group: np.ndarray) -> tuple[DesignFit, dict]:
        """Fit, holding at zero the variance components the data cannot determine.

        Returns the fit and, per component (``engineer_sd``, ``engineer_area_sd``,
        ``split``), ``"estimated"``, ``"poorly determined"``, ``"not
        identified"`` or ``"not fitted"`` (the team-only model).
        """
        settings = {"noise_group": noise_group, "reml": self.method == "reml",
                    "censoring": self.censoring, "abandonment": self.abandonment}
        if not self.random_effects:
            state = {"engineer_sd": "not fitted", "engineer_area_sd": "not fitted",
                     "split": "not fitted"}
            return fit_design(design, free=(), **settings), state
        # Engineers with finished tickets (codes stand one-to-one for names).
        engineers = len(np.unique(design.engineer[~design.censored]))
        if engineers < 2:
            warnings.warn(
                "a single engineer has finished tickets: the spread between engineers cannot "
                "be estimated (not identified); predictions for anyone else ASSUME a spread of "
                f"{ASSUMED_ENGINEER_SD:g} on the log scale", CalibrationWarning, stacklevel=4)
            state = {"engineer_sd": "not identified", "engineer_area_sd": "not identified",
                     "split": "not identified"}
            return fit_design(design, free=(), **settings), state
        state = {"engineer_sd": "estimated", "engineer_area_sd": "estimated", "split": "estimated"}
        design_fit = fit_design(design, **settings)
        fit = design_fit.fit
        total = fit.engineer_sd**2 + fit.engineer_area_sd**2
        typical = float(np.median(fit.sigma))
        if total > (1e-3 * typical) ** 2:
            # Move all of the between-person variance to one component, then
            # to the other: if the criterion does not change, the data cannot
            # tell engineer from engineer x area effects.
            ends = (fit.criterion_at(np.sqrt(total), 0.0), fit.criterion_at(0.0, np.sqrt(total)))
            statistic = max(ends) - fit.criterion
            if statistic < 0.01:
                state.update(engineer_sd="not identified", split="not identified")
                if len(design.areas) > 1:  # with one area the two are the same thing
                    warnings.warn(
                        "engineer and engineer x area effects are not separately identified "
                        "(no engineer has enough tickets in more than one area): only their "
                        "sum is estimated, as engineer x area effects; an engineer's "
                        "multiplier is read over their own ticket mix, and their speed is not "
                        "assumed to carry to other areas", CalibrationWarning, stacklevel=4)
                design_fit = fit_design(design, free=("cell",), **settings)
                fit = design_fit.fit
            elif statistic < _SPLIT_LR_THRESHOLD:
                warnings.warn(
                    "engineer and engineer x area effects are poorly separated by the data "
                    f"(likelihood-ratio {statistic:.2f} between putting all the variation on "
                    "one or the other): read an engineer's multiplier over their own ticket "
                    "mix, and expect wide intervals in areas they have not worked in",
                    CalibrationWarning, stacklevel=4)
                state["split"] = "poorly determined"
        for key, name, value in (("engineer_sd", "engineer", fit.engineer_sd),
                                 ("engineer_area_sd", "engineer x area", fit.engineer_area_sd)):
            if state[key] == "estimated" and value < 1e-3 * typical:
                warnings.warn(
                    f"the {name} variance is estimated at zero (a boundary): the data show no "
                    f"{name} differences beyond ticket noise, so those multipliers are all 1",
                    CalibrationWarning, stacklevel=4)
        return design_fit, state

    def predict(self, engineer, area, points, budget_days: float | None = None) -> pd.DataFrame:
        """Predictive distribution of working days; see :meth:`CalibrationResult.predict`."""
        self._check_fitted()
        return self.result_.predict(engineer, area, points, budget_days=budget_days)

    def _check_fitted(self) -> None:
        if not hasattr(self, "result_"):
            raise AttributeError("this Calibrator is not fitted yet; call fit(tickets) first")


@dataclass(frozen=True)
class _AreaPooling:
    """Which areas share a noise sd and an elasticity (see :func:`_pool_small_areas`)."""

    slopes: str  # "area", "shared", "pooled" (some areas share) or "assumed"
    slope_groups: dict[str, str] | None
    noise_group: np.ndarray
    pooled_areas: list[str]


def area_points_counts(area, points, censored) -> pd.DataFrame:
    """Finished and all tickets per (area, points value): all that the pooling
    of small areas (:func:`_pool_small_areas`) reads of a table.

    Parameters
    ----------
    area : array of str
    points : array of float
    censored : array of bool

    Returns
    -------
    DataFrame
        Indexed by ``area`` (str) and ``points``, sorted; columns
        ``finished`` and ``total`` (int).
    """
    codes, areas = pd.factorize(pd.Series(area).astype(str), sort=True)
    return area_points_counts_coded(codes, [str(a) for a in areas], points, censored)


def area_points_counts_coded(area_codes: np.ndarray, areas: list[str], points,
                             censored) -> pd.DataFrame:
    """:func:`area_points_counts` of tickets coded by area (``areas`` sorted)."""
    values, points_codes = np.unique(np.asarray(points, dtype=float), return_inverse=True)
    key = np.asarray(area_codes, dtype=np.int64) * len(values) + points_codes
    size = len(areas) * len(values)
    total = np.bincount(key, minlength=size)
    finished = np.bincount(key[~np.asarray(censored, dtype=bool)], minlength=size)
    present = np.flatnonzero(total)
    index = pd.MultiIndex.from_arrays(
        [np.asarray(areas, dtype=object)[present // len(values)], values[present % len(values)]],
        names=["area", "points"])
    return pd.DataFrame({"finished": finished[present], "total": total[present]}, index=index)


def _pool_small_areas(table: pd.DataFrame, calibrator: Calibrator) -> _AreaPooling:
    """Share the noise sd and elasticity of areas too small to estimate their own
    (see :func:`_pool_areas`)."""
    return _pool_areas(area_points_counts(table["area"], table["points"], table["censored"]),
                       calibrator)


def _pool_areas(area_points: pd.DataFrame, calibrator: Calibrator) -> _AreaPooling:
    """Share the noise sd and elasticity of areas too small to estimate their own.

    An area with fewer than ``min_area_tickets`` finished tickets (for the
    elasticity: or a single points value) is pooled with the other small
    areas; if the pooled group itself is below the minimum, every area
    shares one value. A warning names the areas. ``area_points`` is
    :func:`area_points_counts` of the table: the decision needs counts only.
    """
    minimum = calibrator.min_area_tickets
    area_of = area_points.index.get_level_values("area")
    points_of = area_points.index.get_level_values("points")
    areas = sorted(str(a) for a in area_of.unique())
    counts = area_points["finished"].groupby(area_of).sum().reindex(areas, fill_value=0)
    levels = pd.Series(1, index=area_of).groupby(area_of).sum().reindex(areas, fill_value=0)
    small = [a for a in areas if counts[a] < minimum]

    def pooled_is_enough(members: list[str], needs_levels: bool) -> bool:
        rows = area_of.isin(members)
        enough = int(area_points.loc[rows, "finished"].sum()) >= minimum
        return enough and (not needs_levels or points_of[rows].nunique() >= 2)

    # Pooled small areas that are still too few together join the largest
    # area: the team's most common kind of work stands in for "the team".
    largest = str(counts.idxmax())
    noise_group = np.arange(len(areas))
    noise_small: list[str] = []
    if calibrator.noise == "shared" or len(small) == len(areas):
        noise_group = np.zeros(len(areas), dtype=int)
    elif small:
        noise_small = small
        members = small if pooled_is_enough(small, needs_levels=False) else small + [largest]
        own = [a for a in areas if a not in members]
        noise_group = np.array([own.index(a) if a in own else len(own) for a in areas])
    noise_partner = (None if not noise_small or pooled_is_enough(small, needs_levels=False)
                     else largest)
    slope_partner = None
    if points_of.nunique() < 2:
        warnings.warn(
            f"every ticket has {points_of[0]:g} points, so how durations grow "
            "with points cannot be estimated; predictions for other sizes ASSUME "
            "proportional growth (elasticity 1)", CalibrationWarning, stacklevel=4)
        slopes, groups = "assumed", None
        slope_small: list[str] = []
    elif calibrator.slopes == "shared":
        slopes, groups, slope_small = "shared", None, []
    else:
        slope_small = [a for a in areas if counts[a] < minimum or levels[a] < 2]
        if not slope_small:
            slopes, groups = "area", None
        elif len(slope_small) == len(areas):
            slopes, groups = "shared", None
        else:
            slopes = "pooled"
            members = slope_small
            if not pooled_is_enough(slope_small, needs_levels=True):
                largest_big = str(counts.drop(slope_small).idxmax())
                members, slope_partner = slope_small + [largest_big], largest_big
            groups = {a: "pooled: " + ", ".join(members) for a in members}
    pooled = sorted(set(noise_small) | set(slope_small))
    if pooled:
        partners = {p for p in (noise_partner, slope_partner) if p}
        warnings.warn(
            f"area(s) {', '.join(pooled)} have fewer than {minimum} finished tickets (or a "
            "single points value): their noise sd and elasticity are not estimated on their "
            "own but shared with " + (f"the largest area ({', '.join(sorted(partners))})"
                                      if partners else "each other"),
            CalibrationWarning, stacklevel=4)
    return _AreaPooling(slopes, groups, noise_group, pooled)


def _recency_weights(table: pd.DataFrame, half_life_days: float | None) -> np.ndarray | None:
    """Weight 0.5 ** (age / half-life) per ticket, its age counted from the
    start of its clock (start of work; creation for lead time) to the newest
    time in the table.

    The start, not the finish: drift follows when the work (or, for lead
    time, the ticket) began — a ticket that waited two years in the backlog
    and closed last week tells of the team as it was two years ago.
    """
    if half_life_days is None:
        return None
    newest = max(table[column].max() for column in ("created_at", "started_at", "finished_at")
                 if table[column].notna().any())
    age_days = ((newest - table["started_at"]) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    return recency_weights(age_days, half_life_days)


def recency_weights(age_days: np.ndarray, half_life_days: float) -> np.ndarray:
    """0.5 ** (age / half-life), a negative age counted as 0 (see :func:`_recency_weights`)."""
    return 0.5 ** (np.maximum(age_days, 0.0) / half_life_days)


def _warn_thin_data(table: pd.DataFrame, zero_points: float) -> None:
    engineers = table.loc[~table["censored"], "engineer"].value_counts()
    if 2 <= len(engineers) < 5:
        warnings.warn(
            f"only {len(engineers)} engineers with finished tickets: the spread between "
            "engineers is poorly determined, and so are their intervals",
            CalibrationWarning, stacklevel=3)
    few = int((engineers < 3).sum())
    if few and few >= len(engineers) / 2:
        warnings.warn(
            f"{few} of {len(engineers)} engineers have fewer than 3 finished tickets: their "
            "multipliers are mostly the team's (see shrinkage_weight)",
            CalibrationWarning, stacklevel=3)
    if (table["points"] == 0).any():
        warnings.warn(
            f"{int((table['points'] == 0).sum())} tickets have 0 points; they are modelled "
            f"as {zero_points:g} points", CalibrationWarning, stacklevel=3)


def _check_enough(table: pd.DataFrame) -> None:
    finished = int((~table["censored"]).sum())
    if finished < 10:
        raise InputError(
            f"Only {finished} finished tickets: too few to calibrate anything",
            hint="Use a longer history (at least a few dozen finished tickets).")


def _points_test(table: pd.DataFrame, design: Design, pooling: _AreaPooling,
                 calibrator: Calibrator) -> dict | None:
    """Likelihood-ratio test: log-linear points term vs points as a category.

    Both models are fitted by ML (REML criteria of models with different
    fixed effects are not comparable) on the finished tickets.
    """
    finished = table[~table["censored"]]
    levels = finished.groupby("area")["points"].nunique()
    if pooling.slopes == "assumed" or (levels < 3).all():
        return None
    linear = prepare_design(finished, slopes=pooling.slopes, slope_groups=pooling.slope_groups,
                            reference_points=design.reference_points,
                            zero_points=design.zero_points)
    category = prepare_design(finished, points_as_category=True,
                              reference_points=design.reference_points,
                              zero_points=design.zero_points)
    settings = {"noise_group": pooling.noise_group, "reml": False, "censoring": False,
                "free": ("engineer", "cell") if calibrator.random_effects else ()}
    fit_linear = fit_design(linear, **settings).fit
    fit_category = fit_design(category, **settings).fit
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

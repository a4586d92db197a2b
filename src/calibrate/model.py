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
- Declared skills (``fit(tickets, skills=...)``, :mod:`calibrate.skills`):
  an engineer's declared level in an area enters as a fixed effect per area,
  level[a, l] for each level present other than the area's lowest (the
  reference; ``undeclared`` engineers get a level of their own), with u and v
  on top: tickets move each person away from their declaration as evidence
  accumulates. The level is constant within an engineer x area cell, so its
  columns are cell covariates and the sums stay exact
  (:func:`calibrate._mixed.add_cell_covariates`). Reported intercepts and
  multipliers stay relative to the team's typical engineer: the intercept
  includes the team's mix of levels, and an engineer x area multiplier its
  level's effect against that mix.
- Ramp-up (from start dates): + rho exp(-weeks on the team / tau), weeks at
  the ticket's start; for a fixed tau a linear fixed effect, tau chosen by
  profile likelihood (:func:`_fit_ramp`). The multipliers leave it out (the
  speed once ramped up); predictions add it for the date a ticket starts.

Variance parameters are fitted by REML from per-(engineer, area) sums
(:mod:`calibrate._mixed`), so the cost is one pass over the rows. Those sums
merge, so a history larger than memory is fitted from sums streamed from
files or computed in a database (:meth:`Calibrator.fit_sums`,
:mod:`calibrate.streaming`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy import optimize, sparse, special
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from threadpoolctl import threadpool_limits

from calibrate._distributions import chi2_ppf, chi2_sf, normal_logpdf
from calibrate._mixed import (
    CellSums,
    ColumnProfile,
    MixedFit,
    add_cell_covariates,
    add_row_covariate,
    aggregate,
    fit_mixed,
    leading_columns,
)
from calibrate.errors import CalibrationWarning, InputError, Problem
from calibrate.skills import UNDECLARED, SkillProfiles
from calibrate.tickets import TicketTable, validate_tickets

__all__ = ["ASSUMED_ENGINEER_SD", "RAMP_SCALES", "Calibrator", "Design", "RampFit", "SkillTerms",
           "add_skill_terms", "design_from_codes", "prepare_design", "week_bins"]

#: Log-scale spread between engineers assumed for predicting an engineer
#: never seen when the history cannot estimate it (a single engineer): the
#: typical value in published effort studies and the method guide (0.3).
ASSUMED_ENGINEER_SD = 0.3

#: LR statistic below which the split between engineer and engineer x area
#: variance is called poorly determined (chi-square, 1 df, 95%).
_SPLIT_LR_THRESHOLD = chi2_ppf(0.95, 1)


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
    weight : ndarray, optional
        Frequency weight of each row (recency); None: 1.
    tickets : ndarray, optional
        Tickets each row stands for; None: one each. In the streamed fit
        (:mod:`calibrate.streaming`) two rows carry the sums of a group of
        finished tickets (one with the group's count, one with 0).
    cell_covariates : ndarray (C, q), optional
        Fixed-effect columns constant within each cell (declared skill
        levels, see :func:`add_skill_terms`), after the pattern's columns.
    ramp_weeks : ndarray, optional
        Weeks on the team when each ticket started (NaN: no start date, no
        ramp-up); with it the last fixed-effect column is the ramp-up
        covariate exp(-weeks / ``ramp_scale``), 0 for NaN.
    ramp_scale : float, optional
        The ramp-up's scale in weeks; None: to be fitted (:func:`fit_design`).
    skills : SkillTerms, optional
        What the skill columns mean (see :func:`add_skill_terms`).
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
    tickets: np.ndarray | None = None
    cell_covariates: np.ndarray | None = None
    ramp_weeks: np.ndarray | None = None
    ramp_scale: float | None = None
    skills: SkillTerms | None = None

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
        sums = aggregate(
            self.cell[select], self.pattern[select], self.patterns, y,
            self.cell_engineer, noise_groups, len(self.engineers), n_groups, y_squared=squares,
            frequency=frequency,
        )
        if self.cell_covariates is not None:
            sums = add_cell_covariates(sums, self.cell_covariates)
        if self.ramp_weeks is not None:
            # Only rows with a start date carry the ramp-up column.
            index = np.arange(len(self.log_duration))[select]
            y = np.broadcast_to(y, index.shape)
            ramping = np.isfinite(self.ramp_weeks[index])
            rows = index[ramping]
            sums = add_row_covariate(
                sums, self.cell[rows], self.pattern[rows], self.patterns,
                self.ramp_covariate(rows), y[ramping],
                None if frequency is None else np.broadcast_to(frequency, index.shape)[ramping],
                self.cell_covariates)
        return sums

    def ramp_covariate(self, rows: np.ndarray | None = None,
                       scale: float | None = None) -> np.ndarray:
        """The ramp-up column of the selected rows (all by default):
        exp(-weeks on the team / scale), 0 without a start date (default
        scale: ``ramp_scale``)."""
        scale = self.ramp_scale if scale is None else scale
        if self.ramp_weeks is None or scale is None:
            raise ValueError("this design has no ramp-up term at a fixed scale")
        weeks = self.ramp_weeks[slice(None) if rows is None else rows]
        return np.where(np.isfinite(weeks), np.exp(-np.nan_to_num(weeks, nan=0.0) / scale), 0.0)

    def row_design(self, rows: np.ndarray | None = None) -> np.ndarray:
        """The fixed-effect design rows (X) of the selected rows (all by default)."""
        select = slice(None) if rows is None else rows
        x = self.patterns[self.pattern[select]]
        if self.cell_covariates is None and self.ramp_weeks is None:
            return x
        parts = [x]
        if self.cell_covariates is not None:
            parts.append(self.cell_covariates[self.cell[select]])
        if self.ramp_weeks is not None:
            parts.append(self.ramp_covariate(rows)[:, None])
        return np.hstack(parts)


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
class SkillTerms:
    """Declared levels and start dates in a design: what each extra column is.

    Attributes
    ----------
    profiles : SkillProfiles
        The profiles fitted (names as in the tickets).
    categories : DataFrame
        One row per area and level present among the engineer x area cells
        of areas with declarations (levels of the scale, then
        ``undeclared``): ``area``, ``area_code``, ``level``, ``reference``
        (the area's lowest level present: the effects are relative to it),
        ``column`` (its fixed-effect column; -1 for the reference),
        ``share`` (its share of the engineers with tickets in the area: the
        team's mix), ``n_engineers``, ``n_tickets``, ``n_finished``.
    cell_level : ndarray of object
        Each cell's level: the declared one, ``undeclared`` where the
        engineer declared none in an area others declared, None in an area
        without declarations.
    ramp_column : int or None
        The ramp-up term's column (the last), if any.
    """

    profiles: SkillProfiles
    categories: pd.DataFrame
    cell_level: np.ndarray
    ramp_column: int | None

    def centring(self, n_features: int, n_areas: int) -> np.ndarray:
        """Per area, the direction c of the team-typical intercept: the
        reference level's intercept plus the share-weighted level effects
        (row a of the result, with c' beta its estimate)."""
        directions = np.zeros((n_areas, n_features))
        directions[np.arange(n_areas), np.arange(n_areas)] = 1.0
        own = self.categories[self.categories["column"] >= 0]
        directions[own["area_code"].to_numpy(), own["column"].to_numpy()] = own["share"]
        return directions

    def offsets(self, area_codes: np.ndarray, levels: np.ndarray,
                n_features: int) -> np.ndarray:
        """Directions k (rows) of the centred level effects, k' beta = the
        level's effect minus the team's mix in the area, one per (area code,
        level) given; 0 where the area's history lacks the level (or the
        level is None: no declaration)."""
        area_codes = np.asarray(area_codes, dtype=int)
        levels = np.asarray(levels, dtype=object)
        directions = np.zeros((len(area_codes), n_features))
        table = self.categories
        for row in table.itertuples(index=False):
            hits = (area_codes == row.area_code) & (levels == row.level)
            if not hits.any():
                continue
            mix = table[(table["area_code"] == row.area_code) & (table["column"] >= 0)]
            directions[np.ix_(hits, mix["column"].to_numpy())] -= mix["share"].to_numpy()
            if row.column >= 0:
                directions[hits, row.column] += 1.0
        return directions


def add_skill_terms(design: Design, profiles: SkillProfiles, started_at, *,
                    ramp: bool) -> Design:
    """The design with declared levels and (optionally) a ramp-up term.

    Levels are a fixed effect per area: in each area with declarations, one
    column per level present other than the area's lowest (the reference),
    and one for ``undeclared`` cells (engineers with tickets there and no
    declaration), when there are any. A level is constant within an
    engineer x area cell, so its columns are cell covariates (exact sums, no
    pass over the rows: :func:`calibrate._mixed.add_cell_covariates`).
    ``ramp`` adds the weeks on the team at each ticket's start (from the
    engineer's start date; NaN without one), whose column
    exp(-weeks / scale) is added per row once the scale is fixed.

    Parameters
    ----------
    design : Design
    profiles : SkillProfiles
        Named as the design's engineers and areas (:meth:`Calibrator.fit`
        checks that with :meth:`SkillProfiles.check_against`; others are
        not used here).
    started_at : array of datetime64
        Each row's start of the clock.
    ramp : bool

    Returns
    -------
    Design
        With ``cell_covariates``, ``ramp_weeks`` (None when no row has a
        start date) and ``skills``; the same arrays as ``design`` when no
        level column is estimable and there is no ramp-up.
    """
    engineers = np.asarray(design.engineers, dtype=object)
    areas = np.asarray(design.areas, dtype=object)
    cell_areas = areas[design.cell_area]
    keys = pd.MultiIndex.from_arrays([engineers[design.cell_engineer], cell_areas])
    declared = profiles.levels.set_index(["engineer", "area"])["level"]
    level = declared.reindex(keys).to_numpy(dtype=object)
    in_declared_area = np.isin(cell_areas, profiles.areas)
    cell_level = np.where(pd.notna(level), level,
                          np.where(in_declared_area, UNDECLARED, None)).astype(object)
    n_cells = len(design.cell_engineer)
    tickets = np.bincount(design.cell, minlength=n_cells)
    finished = np.bincount(design.cell[~design.censored], minlength=n_cells)
    order = {name: rank for rank, name in enumerate((*profiles.scale, UNDECLARED))}
    rows, names = [], []
    column = design.patterns.shape[1]
    for code, area in enumerate(design.areas):
        mine = (design.cell_area == code) & (cell_level != None)  # noqa: E711 - object array
        present = sorted({str(v) for v in cell_level[mine]}, key=order.__getitem__)
        if not present or present[0] == UNDECLARED:
            cell_level[mine] = None  # nobody with tickets here declared a level
            continue
        for position, name in enumerate(present):
            members = mine & (cell_level == name)
            rows.append({"area": area, "area_code": code, "level": name,
                         "reference": position == 0, "column": -1 if position == 0 else column,
                         "share": members.sum() / mine.sum(), "n_engineers": int(members.sum()),
                         "n_tickets": int(tickets[members].sum()),
                         "n_finished": int(finished[members].sum())})
            if position:
                names.append(f"level[{area}: {name}]")
                column += 1
    # Typed even when empty (start dates without declared levels): its columns index arrays.
    categories = pd.DataFrame(rows, columns=["area", "area_code", "level", "reference", "column",
                                             "share", "n_engineers", "n_tickets", "n_finished"]
                              ).astype({"area_code": "int64", "reference": bool,
                                        "column": "int64", "share": float,
                                        "n_engineers": "int64", "n_tickets": "int64",
                                        "n_finished": "int64"})
    covariates = None
    if names:
        covariates = np.zeros((n_cells, len(names)))
        for row in categories[categories["column"] >= 0].itertuples(index=False):
            members = (design.cell_area == row.area_code) & (cell_level == row.level)
            covariates[members, row.column - design.patterns.shape[1]] = 1.0
    weeks = None
    if ramp and profiles.start_dates:
        start = pd.Series(profiles.start_dates, dtype="datetime64[ns]")
        begins = start.reindex(engineers).to_numpy(dtype="datetime64[ns]")[design.engineer]
        clock = np.asarray(started_at, dtype="datetime64[ns]")
        weeks = (clock - begins) / np.timedelta64(7, "D")
        weeks = np.where(np.isnan(weeks), np.nan, np.maximum(weeks, 0.0))
        if not np.isfinite(weeks).any():
            weeks = None
    terms = SkillTerms(profiles, categories, cell_level,
                       None if weeks is None else column)
    return replace(design, cell_covariates=covariates, ramp_weeks=weeks,
                   feature_names=[*design.feature_names, *names,
                                  *(["ramp_up"] if weeks is not None else [])],
                   skills=terms)


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
    imputed : ndarray, optional
        The open tickets' expected log durations in the last E-step (in row
        order; None without open tickets): with ``p_abandoned``, the data the
        final fit's sums were taken from.
    ramp : RampFit, optional
        The fitted ramp-up scale and its profile, when the design's scale
        was fitted.
    """

    fit: MixedFit
    iterations: int
    converged: bool
    abandoned_share: float
    p_abandoned: np.ndarray
    imputed: np.ndarray | None = None
    ramp: RampFit | None = None


def fit_design(design: Design, *, noise_group: np.ndarray | None = None, reml: bool = True,
               censoring: bool = True, free: tuple[str, ...] = ("engineer", "cell"),
               abandonment: bool = True, max_iterations: int = 500,
               tolerance: float = 1e-6) -> DesignFit:
    """Fit the mixed model to a design, with the censoring EM.

    Parameters
    ----------
    design : Design
    noise_group : ndarray of int, optional
        Noise-sd group of each area (default: one per area).
    reml, censoring, abandonment : bool
    free : tuple of {"engineer", "cell"}
        Variance components to estimate (``()``: the team-only model).
    max_iterations, tolerance
        The censoring EM stops when no fixed effect, log noise sd or
        variance component moves by ``tolerance`` in an iteration, or when
        its steps, within ten times that, stop shrinking (the optimiser's
        noise).

    A design with a ramp-up term whose scale is not fixed (``ramp_scale``
    None) has the scale fitted too (:func:`_fit_ramp`).
    """
    if noise_group is None:
        noise_group = np.arange(len(design.areas))
    # The matrices are tiny (p x p): a multi-threaded BLAS only adds overhead
    # and thread-to-thread rounding noise that can stall the optimiser.
    with threadpool_limits(limits=1):
        settings = {"noise_group": np.asarray(noise_group), "reml": reml,
                    "censoring": censoring, "free": free, "abandonment": abandonment,
                    "max_iterations": max_iterations, "tolerance": tolerance}
        if design.ramp_weeks is not None and design.ramp_scale is None:
            return _fit_ramp(design, **settings)
        return _fit_design(design, **settings)


def _fit_design(design: Design, *, noise_group: np.ndarray, reml: bool, censoring: bool,
                free: tuple[str, ...], abandonment: bool, max_iterations: int,
                tolerance: float, start: tuple | None = None,
                first_fit: MixedFit | None = None) -> DesignFit:
    """:func:`fit_design` at a fixed design; ``start`` (sigma, su, sv) warm-starts
    the first variance fit, and ``first_fit`` (a fit of a design with the same
    cells and columns) replaces the EM's first fit: its first E-step starts
    from there instead of from the open tickets' ages."""
    groups = noise_group[design.cell_area]
    n_groups = int(noise_group.max()) + 1
    censored = design.censored if censoring else np.zeros_like(design.censored)
    no_abandoned = np.zeros(len(design.log_duration))
    if not censored.any():
        fit = fit_mixed(design.sums(groups, n_groups), reml=reml, free=free, start=start)
        return DesignFit(fit, 0, True, 0.0, no_abandoned)
    rows = np.flatnonzero(censored)
    n_finished = (len(censored) - len(rows) if design.tickets is None
                  else int(design.tickets[~censored].sum()))
    bound = design.log_duration[rows]
    finished = design.sums(groups, n_groups, rows=~censored)
    row_x = design.row_design(rows)
    row_engineer = design.engineer[rows]
    row_cell = design.cell[rows]
    row_group = groups[row_cell]
    # Start with open tickets at their age so far (every area and cell has
    # rows, even one with no finished ticket); the first E-step corrects it.
    fit = (fit_mixed(design.sums(groups, n_groups), reml=reml, free=free, start=start)
           if first_fit is None else first_fit)
    share = 0.0
    p_abandoned = np.zeros(len(rows))
    previous = None
    step = np.inf
    converged = False
    iterations = 0
    while iterations < max_iterations:
        iterations += 1
        mean = (row_x @ fit.beta + fit.engineer_effect[row_engineer]
                + fit.cell_effect[row_cell])
        sd = fit.sigma[row_group]
        expected, expected_square, p_abandoned, share = _e_step(
            mean, sd, bound, n_finished, abandonment, share, p_abandoned)
        imputed = design.sums(groups, n_groups, rows=rows, log_duration=expected,
                              squares=expected_square, frequency=1 - p_abandoned)
        fit = fit_mixed(finished + imputed, reml=reml, free=free,
                        start=(fit.sigma, fit.engineer_sd, fit.engineer_area_sd))
        state = np.concatenate([fit.beta, np.log(fit.sigma),
                                [fit.engineer_sd, fit.engineer_area_sd, share]])
        if previous is not None:
            last_step, step = step, float(np.max(np.abs(state - previous)))
            converged = _em_settled(step, last_step, tolerance)
            if converged:
                break
        previous = state
    every = no_abandoned.copy()
    every[rows] = p_abandoned
    return DesignFit(fit, iterations, converged, share, every, imputed=expected)


def _em_settled(step: float, last_step: float, tolerance: float) -> bool:
    """Whether the censoring EM has converged, given its last two steps (the
    largest change of a parameter in an iteration).

    EM steps shrink geometrically. Once a step is within ten times the
    tolerance and no smaller than the one before, the steps are the variance
    optimiser's own noise (about 3e-7 on 1M tickets): waiting for one under
    the tolerance would only run iterations of chance length.
    """
    return step < tolerance or (step < 10 * tolerance and step >= last_step)


def _e_step(mean: np.ndarray, sd: np.ndarray, bound: np.ndarray, n_finished: int,
            abandonment: bool, share: float,
            p_abandoned: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """One E-step of the censoring EM for the open tickets (model mean and sd,
    log age so far ``bound``): their expected log duration and its square,
    P(abandoned | open) and the abandoned share (unchanged without
    ``abandonment``)."""
    if abandonment:
        log_survival = special.log_ndtr((mean - bound) / sd)
        share = _abandoned_share(log_survival, n_finished)
        if share > 0:
            # P(abandoned | open at age c) = pi / (pi + (1 - pi) S(c)), in logs.
            log_abandoned = np.log(share)
            p_abandoned = np.exp(log_abandoned - np.logaddexp(
                log_abandoned, np.log1p(-share) + log_survival))
        else:
            p_abandoned = np.zeros(len(bound))
    expected, expected_square = truncated_normal_moments(mean, sd, bound)
    return expected, expected_square, p_abandoned, share


#: The ramp-up scales (weeks) where the profile likelihood is evaluated, from
#: a week to two years; the optimum is then refined between grid points.
RAMP_SCALES = np.geomspace(1.0, 104.0, 17)
#: The scale the first variance fit is made at (a usual ramp-up: two months).
_RAMP_START_WEEKS = 8.0


@dataclass(frozen=True)
class RampFit:
    """The ramp-up term's scale and its profile likelihood.

    The slowdown of a ticket started ``weeks`` after its engineer's start
    date is rho exp(-weeks / tau) on the log scale. For a fixed tau that is
    a linear fixed effect; tau is chosen by profile likelihood.

    Attributes
    ----------
    scale : float
        tau, in weeks (the fit's).
    scales : ndarray
        The scales the profile was evaluated at: the grid
        :data:`RAMP_SCALES` and the refined optimum, sorted.
    criterion : ndarray
        -2 log-likelihood (ML) at each, the variance parameters held at the
        fit's (the fixed effects re-estimated by GLS).
    slowdown, slowdown_se : ndarray
        rho's estimate (log scale) and standard error at each scale.
    rounds : int
        How many times the variances were refitted at a new scale.
    at_edge : bool
        Whether the optimum is at an end of the grid (the data then bound
        the scale on one side only).
    """

    scale: float
    scales: np.ndarray
    criterion: np.ndarray
    slowdown: np.ndarray
    slowdown_se: np.ndarray
    rounds: int
    at_edge: bool


def _fit_ramp(design: Design, *, noise_group: np.ndarray, reml: bool, censoring: bool,
              free: tuple[str, ...], abandonment: bool, max_iterations: int,
              tolerance: float) -> DesignFit:
    """:func:`fit_design` of a design whose ramp-up scale tau is fitted.

    For a fixed tau the ramp-up is a linear fixed effect, so the likelihood
    maximised over the fixed effects is a function of tau and the variance
    parameters. The two are alternated: tau by the profile *ML* criterion
    with the variances held (the fixed effects by GLS; mean and variance
    parameters are asymptotically orthogonal, so holding the variances
    costs little), then the variances at the new tau, until another tau
    would gain less than 0.05 in -2 log-likelihood (or move by less than
    1%). This runs first on the tickets as the censoring EM starts from
    them (open tickets at their age so far), where a new tau changes only
    the ramp-up column's sums; then the EM runs at that tau, and the
    alternation resumes on the data it completed (usually it stops at once).
    The REML criterion cannot choose tau: its log|X'V^-1X| term runs to
    -infinity where the column vanishes (tau -> 0) or meets the intercept
    (tau -> infinity).

    The search for tau bins the weeks on the team (:func:`week_bins`: the
    covariate is then off by at most 0.01) and evaluates the criterion from
    sums per cell and bin, taken in one pass over the rows with a start
    date; the other columns' sums are the fit's. So a profile costs one pass
    plus O(cells x bins) per scale tried, and the fit keeps its one-pass
    cost; the fit at the chosen tau uses each ticket's exact weeks.
    """
    groups = noise_group[design.cell_area]
    n_groups = int(noise_group.max()) + 1
    settings = {"noise_group": noise_group, "reml": reml, "censoring": censoring, "free": free,
                "abandonment": abandonment, "max_iterations": max_iterations,
                "tolerance": tolerance}
    plain = replace(design, ramp_weeks=None)
    censored = design.censored if censoring else np.zeros_like(design.censored)
    open_rows = np.flatnonzero(censored)
    finished = plain.sums(groups, n_groups, rows=~censored)
    ramping = np.flatnonzero(np.isfinite(design.ramp_weeks))
    weeks = _WeekTable(design)
    # The data the variances are fitted to: open tickets at their ages at
    # first (where the EM starts), then completed by E-steps.
    y = design.log_duration.copy()
    squares = None
    p_abandoned = np.zeros(len(y))
    share = 0.0

    def fit_at(scale: float, start=None) -> MixedFit:
        """The variance fit at ``scale`` on the current data: only the open
        tickets' and the ramp-up column's sums are new."""
        sums = finished
        if len(open_rows):
            sums = sums + plain.sums(groups, n_groups, rows=open_rows, log_duration=y[open_rows],
                                     squares=squares, frequency=1 - p_abandoned[open_rows])
        frequency = 1 - p_abandoned[ramping]
        if design.weight is not None:
            frequency = design.weight[ramping] * frequency
        sums = add_row_covariate(sums, design.cell[ramping], design.pattern[ramping],
                                 design.patterns, np.exp(-design.ramp_weeks[ramping] / scale),
                                 y[ramping], frequency, design.cell_covariates)
        return fit_mixed(sums, reml=reml, free=free, start=start)

    n_finished = (len(y) - len(open_rows) if design.tickets is None
                  else int(design.tickets[~censored].sum()))
    scale = _RAMP_START_WEEKS
    fit = fit_at(scale)
    for _ in range(8):
        if len(open_rows):  # an E-step, then the variances on the completed data
            at_scale = replace(design, ramp_scale=scale)
            mean = (at_scale.row_design(open_rows) @ fit.beta
                    + fit.engineer_effect[design.engineer[open_rows]]
                    + fit.cell_effect[design.cell[open_rows]])
            expected, squares, p_open, share = _e_step(
                mean, fit.sigma[groups[design.cell[open_rows]]],
                design.log_duration[open_rows], n_finished, abandonment, share,
                p_abandoned[open_rows])
            y[open_rows], p_abandoned[open_rows] = expected, p_open
            fit = fit_at(scale, start=(fit.sigma, fit.engineer_sd, fit.engineer_area_sd))
        best, done = _next_scale(weeks, fit, y, p_abandoned, scale)
        if done:
            break
        scale = best
        if not len(open_rows):
            fit = fit_at(scale, start=(fit.sigma, fit.engineer_sd, fit.engineer_area_sd))
    # The censoring EM at that scale, from the last fit; then a check that the
    # data it completed do not move the scale (else again).
    rounds = 0
    while True:
        rounds += 1
        design_fit = _fit_design(replace(design, ramp_scale=scale), **settings,
                                 start=(fit.sigma, fit.engineer_sd, fit.engineer_area_sd),
                                 first_fit=fit)
        fit = design_fit.fit
        completed = design.log_duration
        if design_fit.imputed is not None:  # (only with censoring, and open tickets)
            completed = completed.copy()
            completed[open_rows] = design_fit.imputed
        search = _RampProfile(weeks, fit, completed, design_fit.p_abandoned)
        best, profile = search.optimum()
        if _settled(search, scale, best, profile) or rounds == 4:
            break
        scale = best
    return replace(design_fit, ramp=RampFit(scale=scale, rounds=rounds, **profile))


def _next_scale(weeks: _WeekTable, fit: MixedFit, y: np.ndarray, p_abandoned: np.ndarray,
                scale: float) -> tuple[float, bool]:
    """The profile's best scale at ``fit``'s variances, and whether ``scale``
    is already as good (:func:`_settled`)."""
    search = _RampProfile(weeks, fit, y, p_abandoned)
    best, profile = search.optimum()
    return best, _settled(search, scale, best, profile)


def _settled(search: _RampProfile, scale: float, best: float, profile: dict) -> bool:
    """Whether moving from ``scale`` to ``best`` gains less than 0.05 in -2
    log-likelihood (far inside any interval) or moves it by less than 1%."""
    gain = search.evaluate(scale)[0] - float(profile["criterion"].min())
    return gain < 0.05 or abs(np.log(best / scale)) < 0.01


#: Weeks on the team are binned for the search of the ramp-up scale (only:
#: the fit at the chosen scale uses each ticket's own weeks). Bins grow
#: geometrically by this ratio from :data:`_FIRST_WEEK_BIN` weeks, each
#: represented by its geometric middle, so that for every scale of one week
#: or more exp(-weeks / scale) is off by at most 0.01 (a bin [a, a r] errs
#: by at most (sqrt(r) - 1) / e on either side; the first, [0, 0.02], by
#: 1 - exp(-0.01)).
_WEEK_BIN_RATIO = 1.05
_FIRST_WEEK_BIN = 0.02


def week_bins(weeks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value's bin and each bin's representative weeks (see
    :data:`_WEEK_BIN_RATIO`): bin 0 is [0, 0.02) weeks, bin k >= 1 is
    [0.02 r^(k-1), 0.02 r^k)."""
    weeks = np.maximum(np.asarray(weeks, dtype=float), 0.0)
    log_ratio = np.log(_WEEK_BIN_RATIO)
    index = np.where(weeks < _FIRST_WEEK_BIN, 0, 1 + np.floor(
        np.log(np.maximum(weeks, _FIRST_WEEK_BIN) / _FIRST_WEEK_BIN) / log_ratio)).astype(int)
    count = int(index.max()) + 1 if len(index) else 1
    middle = _FIRST_WEEK_BIN * np.exp((np.arange(count) - 0.5) * log_ratio)
    middle[0] = _FIRST_WEEK_BIN / 2
    return index, middle


class _WeekTable:
    """The rows with a start date, by cell and week bin (:func:`week_bins`):
    the layout of the sums a profile of the ramp-up scale needs, made once."""

    def __init__(self, design: Design) -> None:
        self.design = design
        self.rows = np.flatnonzero(np.isfinite(design.ramp_weeks))
        bins, self.middle = week_bins(design.ramp_weeks[self.rows])
        self.cell = design.cell[self.rows]
        n_bins = len(self.middle)
        keys, self.key_of_row = np.unique(self.cell.astype(np.int64) * n_bins + bins,
                                          return_inverse=True)
        self.shape = (len(design.cell_engineer), n_bins)
        # CSR layout of the (cell, bin) keys: sorted by cell, then bin.
        self.indices = (keys % n_bins).astype(np.int32)
        self.indptr = np.searchsorted(keys // n_bins, np.arange(self.shape[0] + 1)).astype(
            np.int32)
        self.bin_pattern = bins * design.patterns.shape[0] + design.pattern[self.rows]

    def per_cell(self, values: np.ndarray) -> sparse.csr_array:
        """``values`` of the rows summed per (cell, bin), as a sparse matrix."""
        data = np.bincount(self.key_of_row, weights=values, minlength=len(self.indices))
        return sparse.csr_array((data, self.indices, self.indptr), shape=self.shape)


class _RampProfile:
    """The profile criterion of the ramp-up scale at fixed variance parameters.

    ``fit`` is a fit of ``design`` with the ramp-up column last; ``y`` the
    log durations its sums were taken from (open tickets: the E-step's
    expectations) and ``p_abandoned`` their abandonment probabilities. The
    other columns' sums are the fit's; a scale adds the ramp-up column's
    (:class:`calibrate._mixed.ColumnProfile`), from sums per cell and week
    bin taken once (:func:`week_bins`), so that an evaluation costs
    O(cells x bins), not a pass over the rows.
    """

    def __init__(self, weeks: _WeekTable, fit: MixedFit, y: np.ndarray,
                 p_abandoned: np.ndarray) -> None:
        design, rows = weeks.design, weeks.rows
        base = leading_columns(fit._sums, fit._sums.n_features - 1)
        frequency = 1 - p_abandoned[rows]
        if design.weight is not None:
            frequency = design.weight[rows] * frequency
        self.middle = weeks.middle
        self.per_cell = weeks.per_cell(frequency)
        self.per_cell_y = weeks.per_cell(frequency * y[rows])
        inverse_s2 = 1 / fit.sigma[base.group] ** 2
        n_bins, n_patterns = len(weeks.middle), design.patterns.shape[0]
        per_pattern = np.bincount(weeks.bin_pattern, weights=frequency * inverse_s2[weeks.cell],
                                  minlength=n_bins * n_patterns)
        self.per_bin_x = per_pattern.reshape(n_bins, n_patterns) @ design.patterns
        self.inverse_s2 = inverse_s2
        self.cell_covariates = design.cell_covariates
        self.profile = ColumnProfile(base, fit.sigma, fit.engineer_sd, fit.engineer_area_sd)

    def evaluate(self, scale: float) -> tuple[float, float, float]:
        """-2 log-likelihood (ML) at ``scale``, and rho's GLS estimate and
        standard error there."""
        z = np.exp(-self.middle / scale)
        sz = self.per_cell @ z
        zx = self.per_bin_x.T @ z
        if self.cell_covariates is not None:
            zx = np.concatenate([zx, self.cell_covariates.T @ (sz * self.inverse_s2)])
        return self.profile.evaluate(sz, self.per_cell @ (z * z), self.per_cell_y @ z, zx)

    def optimum(self) -> tuple[float, dict]:
        """The best scale (the grid's best, refined between its neighbours)
        and the profile: ``scales``, ``criterion``, ``slowdown``,
        ``slowdown_se``, ``at_edge``."""
        grid = RAMP_SCALES
        values = [self.evaluate(scale) for scale in grid]
        criterion = np.array([v[0] for v in values])
        best = int(np.argmin(criterion))
        at_edge = best in (0, len(grid) - 1)
        scale = float(grid[best])
        if not at_edge:
            found = optimize.minimize_scalar(
                lambda log_scale: self.evaluate(float(np.exp(log_scale)))[0],
                bounds=(np.log(grid[best - 1]), np.log(grid[best + 1])), method="bounded",
                options={"xatol": 1e-3})
            if found.fun < criterion[best]:
                scale = float(np.exp(found.x))
                values.append(self.evaluate(scale))
                grid = np.append(grid, scale)
        order = np.argsort(grid)
        table = np.array(values)[order]
        return scale, {"scales": np.asarray(grid)[order], "criterion": table[:, 0],
                       "slowdown": table[:, 1], "slowdown_se": table[:, 2], "at_edge": at_edge}


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
    mills = np.exp(normal_logpdf(alpha) - special.log_ndtr(-alpha))
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

    def fit(self, tickets: TicketTable | pd.DataFrame, skills: SkillProfiles | None = None,
            ramp_up: bool | str = "auto") -> Calibrator:
        """Fit the model to a canonical ticket table.

        Parameters
        ----------
        tickets : TicketTable or DataFrame
            Output of a reader, or a canonical ticket table.
        skills : SkillProfiles, optional
            Declared levels per engineer and area, and start dates. Each
            declared level becomes a fixed effect per area (relative to the
            area's lowest level present), with the engineer and engineer x
            area effects on top; see the module notes. Every engineer and
            area in them must be in the tickets
            (:meth:`~calibrate.skills.SkillProfiles.check_against`). Without
            them (None) the fit is exactly the plain model's.
        ramp_up : {"auto", True, False}
            Fit a ramp-up term, a slowdown rho exp(-weeks on the team / tau)
            with tau fitted, from the start dates: ``"auto"`` (default) when
            the profiles give a start date to an engineer with tickets;
            True requires one; False leaves start dates unused. (Arguments
            of ``fit`` rather than of the estimator because they go with the
            data fitted.)

        Returns
        -------
        Calibrator
            The fitted estimator.

        Raises
        ------
        InputError
            If the table is not canonical, or holds too little to fit
            (fewer than 10 finished tickets); if the profiles name an
            engineer or area the tickets do not have (all listed); if
            ``ramp_up`` is True and no engineer with tickets has a start date.

        Examples
        --------
        >>> from calibrate import Calibrator
        >>> from calibrate.datasets import simulate_tickets
        >>> simulated = simulate_tickets(2000, 20, seed=1, history_days=400,
        ...     level_effects={"basic": 0.0, "proficient": -0.2, "strong": -0.5})
        >>> result = Calibrator().fit(simulated.tickets, skills=simulated.skills).result_
        >>> effects = result.level_effects.set_index(["area", "level"])
        >>> bool(effects.loc[("research", "strong"), "multiplier"] < 1)
        True
        """
        self._validate_params()
        if not (ramp_up == "auto" or ramp_up is True or ramp_up is False):
            raise ValueError(f"ramp_up must be 'auto', True or False; got {ramp_up!r}")
        table = tickets.tickets if isinstance(tickets, TicketTable) else tickets
        calendar = tickets.calendar if isinstance(tickets, TicketTable) else None
        validate_tickets(table)
        _check_enough(table)
        unfinished = open_only_area_rows(table["area"], table["censored"].to_numpy(dtype=bool))
        if unfinished.any():
            warn_open_only_areas(table.loc[unfinished, "area"])
            table = table[~unfinished]
        _warn_thin_data(table, self.zero_points)
        pooling = _pool_small_areas(table, self)
        design = prepare_design(table, slopes=pooling.slopes,
                                slope_groups=pooling.slope_groups,
                                reference_points=self.reference_points,
                                zero_points=self.zero_points,
                                weight=_recency_weights(table, self.half_life_days))
        if skills is not None:
            design = _with_skills(design, table, skills, ramp_up)
        elif ramp_up is True:
            raise InputError("a ramp-up term needs start dates, and no skill profiles were "
                             "given", hint="Pass skills=SkillProfiles(..., start_dates=...).")
        params = self.get_params()

        def points_test() -> dict | None:
            return _points_test(table, design, pooling, Calibrator(**params))

        return self._fit_prepared(design, pooling, table, calendar, points_test)

    def fit_sums(self, sums) -> Calibrator:
        """Fit the model to the sums of a ticket table, as :meth:`fit` does to the table.

        The fit needs of the finished tickets only sums per engineer, area
        and points value, which merge; the open (censored) ones enter one by
        one. :class:`calibrate.streaming.TicketSums` holds both, taken from
        files read in chunks or computed inside a database, so histories
        larger than memory can be fitted. The result equals that of
        :meth:`fit` on the same tickets without skill profiles (to the fit's
        tolerances): declared skills and the ramp-up term read each ticket's
        engineer start date, which sums do not keep.

        Parameters
        ----------
        sums : TicketSums
            Taken with this estimator's ``half_life_days``.

        Returns
        -------
        Calibrator
            The fitted estimator.

        Raises
        ------
        InputError
            If the sums were taken with another half-life, or hold too little
            to fit (fewer than 10 finished tickets).

        Examples
        --------
        >>> from calibrate import Calibrator, read_export
        >>> from calibrate.streaming import TicketSums
        >>> table = read_export("data/sample/jira_changelog.json",
        ...                     config="data/sample/calibrate.toml")
        >>> calibrator = Calibrator().fit_sums(TicketSums.from_tickets(table))
        >>> calibrator.n_tickets_ == len(table.tickets)
        True
        """
        from calibrate.streaming import prepare_summed

        self._validate_params()
        prepared = prepare_summed(sums, self)
        self._fit_prepared(prepared.design, prepared.pooling, prepared.table, sums.calendar,
                           prepared.points_test, result_type=prepared.result_type)
        self.n_tickets_ = prepared.n_tickets
        return self

    def _fit_prepared(self, design: Design, pooling: _AreaPooling, table: pd.DataFrame,
                      calendar, points_test, result_type: type | None = None) -> Calibrator:
        """:meth:`fit` from the design onwards: the fit and the result.

        ``table`` is read by the result only for the fitted window, the
        clock, the points range and the open tickets' list (``aging_work``);
        ``points_test`` computes the result's points test when asked. The
        backtest refits many cuts of one table through here, from designs it
        builds without the pandas work of :meth:`fit` (:func:`design_from_codes`).
        ``result_type`` is the result's class (default ``CalibrationResult``).
        """
        from calibrate.results import CalibrationResult

        design_fit, identification = self._fit_identified(design, pooling.noise_group)
        fit = design_fit.fit
        if design_fit.ramp is not None:
            design = replace(design, ramp_scale=design_fit.ramp.scale)
            _warn_ramp(design_fit.ramp)
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
        self.result_ = (result_type or CalibrationResult)(
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

    def predict(self, engineer, area, points, budget_days: float | None = None,
                **skills) -> pd.DataFrame:
        """Predictive distribution of working days; see :meth:`CalibrationResult.predict`
        (``profile``, ``start_date`` and ``on`` pass through)."""
        self._check_fitted()
        return self.result_.predict(engineer, area, points, budget_days=budget_days, **skills)

    def _check_fitted(self) -> None:
        if not hasattr(self, "result_"):
            raise AttributeError("this Calibrator is not fitted yet; call fit(tickets) first")


def _with_skills(design: Design, table: pd.DataFrame, skills: SkillProfiles,
                 ramp_up: bool | str) -> Design:
    """:func:`add_skill_terms` for :meth:`Calibrator.fit`, with its checks and warnings."""
    skills.check_against(table)
    design = add_skill_terms(design, skills, table["started_at"].to_numpy(),
                             ramp=ramp_up is not False)
    if ramp_up is True and design.ramp_weeks is None:
        raise InputError(
            "a ramp-up term needs start dates, and no engineer with tickets has one in the "
            "skill profiles", [Problem("no start date", file=skills.source,
                                       column="start_date")],
            hint="Add start dates, or fit with ramp_up='auto' or False.")
    terms = design.skills
    undeclared = terms.cell_level == UNDECLARED
    if undeclared.any():
        engineers = np.asarray(design.engineers, dtype=object)[design.cell_engineer[undeclared]]
        areas = np.asarray(design.areas, dtype=object)[design.cell_area[undeclared]]
        shown = ", ".join(f"{e!r} in {a!r}" for e, a in list(zip(engineers, areas,
                                                                  strict=True))[:3])
        more = f" and {len(engineers) - 3} more" if len(engineers) > 3 else ""
        warnings.warn(
            f"{len(engineers)} engineer x area combinations have tickets but no declared level "
            f"({shown}{more}): they are modelled as level {UNDECLARED!r}, with an effect of its "
            "own", CalibrationWarning, stacklevel=4)
    categories = terms.categories
    single = sorted(set(categories["area"]) - set(categories.loc[~categories["reference"],
                                                                  "area"]))
    if single:
        warnings.warn(
            f"in {', '.join(single)} every engineer with tickets declared the same level: the "
            "effect of the other levels there cannot be estimated (a profile with another "
            "level in that area is predicted as the team's mix)", CalibrationWarning,
            stacklevel=4)
    return design


def _warn_ramp(ramp: RampFit) -> None:
    if ramp.at_edge:
        warnings.warn(
            f"the ramp-up scale is at the end of the range tried ({ramp.scale:g} weeks): the "
            "data bound it on one side only (see result.ramp_up)", CalibrationWarning,
            stacklevel=4)


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
    _warn_thin_counts(table.loc[~table["censored"], "engineer"].value_counts(),
                      int((table["points"] == 0).sum()), zero_points)


def _warn_thin_counts(engineers: pd.Series, zero_point_tickets: int,
                      zero_points: float) -> None:
    """:func:`_warn_thin_data` from counts: finished tickets per engineer (only
    engineers with some) and the tickets with 0 points."""
    if 2 <= len(engineers) < 5:
        warnings.warn(
            f"only {len(engineers)} engineers with finished tickets: the spread between "
            "engineers is poorly determined, and so are their intervals",
            CalibrationWarning, stacklevel=4)
    few = int((engineers < 3).sum())
    if few and few >= len(engineers) / 2:
        warnings.warn(
            f"{few} of {len(engineers)} engineers have fewer than 3 finished tickets: their "
            "multipliers are mostly the team's (see shrinkage_weight)",
            CalibrationWarning, stacklevel=4)
    if zero_point_tickets:
        warnings.warn(
            f"{zero_point_tickets} tickets have 0 points; they are modelled "
            f"as {zero_points:g} points", CalibrationWarning, stacklevel=4)


def open_only_area_rows(area: np.ndarray, censored: np.ndarray) -> np.ndarray:
    """Which tickets are in an area with no finished ticket (all still open).

    Such an area's typical duration is bounded only from below: its
    intercept has no finite maximum-likelihood estimate, and the censoring
    EM would raise it without end (to its iteration limit, and e^8 working
    days on a real history whose one 'maintenance' ticket was open at a
    backtest origin). The fit leaves these tickets out, with
    :func:`warn_open_only_areas`; the area is then predicted as one never seen.
    """
    # By hashing, not sorting: np.unique of a million area names took a second.
    codes, _ = pd.factorize(area, use_na_sentinel=False)
    censored = np.asarray(censored, dtype=bool)
    finished = np.bincount(codes[~censored], minlength=int(codes.max(initial=-1)) + 1)
    return finished[codes] == 0


def warn_open_only_areas(areas: pd.Series) -> None:
    """The warning for the tickets :func:`open_only_area_rows` leaves out
    (``areas``: the area of each)."""
    counts = pd.Series(areas).astype(str).value_counts().sort_index()
    listed = ", ".join(f"{area} ({count} open)" for area, count in counts.items())
    warnings.warn(
        f"area(s) {listed} have no finished ticket: their {int(counts.sum())} open "
        "ticket(s) are left out of the fit, since an area's typical duration needs at least "
        "one finished ticket; the area is predicted as one never seen",
        CalibrationWarning, stacklevel=3)


def _check_enough(table: pd.DataFrame) -> None:
    _check_finished_count(int((~table["censored"]).sum()))


def _check_finished_count(finished: int) -> None:
    """:func:`_check_enough` from the number of finished tickets."""
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
    # Only the columns the designs read, of the finished tickets: a copy of
    # the whole table cost 450 MB at 1M tickets.
    finished = table.loc[~table["censored"].to_numpy(dtype=bool),
                         ["engineer", "area", "points", "duration_days", "censored"]]
    levels = finished.groupby("area")["points"].nunique()
    if pooling.slopes == "assumed" or (levels < 3).all():
        return None
    settings = {"reference_points": design.reference_points, "zero_points": design.zero_points}
    linear = prepare_design(finished, slopes=pooling.slopes, slope_groups=pooling.slope_groups,
                            **settings)
    category = prepare_design(finished, points_as_category=True, **settings)
    return _compare_points_models(linear, category, pooling, calibrator, len(finished))


def _compare_points_models(linear: Design, category: Design, pooling: _AreaPooling,
                           calibrator: Calibrator, n_tickets: int) -> dict | None:
    """:func:`_points_test` from the designs of the finished tickets, with the
    points log-linear (``linear``) and as a category (``category``)."""
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
        "p_value": float(chi2_sf(statistic, df)),
        "n_tickets": n_tickets,
    }

"""The one Monte Carlo behind every planning tool: working days per ticket
per engineer per simulated sprint.

A simulated sprint draws, once, everything the tickets of a sprint share —
each area's fixed effects (intercept and elasticity: the team's typical
duration is estimated, not known), each engineer's effect in each area
(engineer x area cells, the cells of an engineer correlated through the
engineer's own effect), the effect of each engineer in an area they never
worked in and of each person never seen — and then each ticket's own noise.
A ticket done by engineer j in draw d takes::

    log days = log_mean[i, j] + delta_intercept[area] + x_i delta_elasticity[area]
               + cell[j, area] + noise_sd[area] z[d, i]

with ``log_mean`` and the documented fallbacks exactly as
:func:`calibrate.prediction.predict_durations` gives them, so that every
single (ticket, engineer) is exactly the log-normal of
:meth:`calibrate.export.Multipliers.predict`; what the Monte Carlo adds is
the dependence between tickets.

The joint covariance of the shared effects, from what the multipliers file
holds:

- An area's fixed effects: ``var_intercept``, ``var_elasticity``,
  ``cov_intercept_elasticity``. Areas whose elasticity is one shared
  estimate (``model.slopes`` ``shared`` or ``pooled``: same elasticity and
  variance) share one elasticity draw.
- A cell's effect: its record's ``log_sd^2``, and minus the record's
  ``fixed_cross_intercept`` / ``fixed_cross_elasticity`` with its area's
  fixed effects — which is what makes ``Multipliers.predict``'s variance
  ``fixed_var + log_sd^2 - 2 cross + noise_sd^2`` the variance of the sum.
- Two engineer x area cells of one engineer: one covariance kappa per
  engineer, the one the file implies. The engineer record is the effect on
  the engineer's own ticket mix, u + sum_a w_a v_a = sum_a w_a (u + v_a)
  with w_a the engineer's share of tickets in area a, so its variance is
  ``sum_a w_a^2 var_a + sum_{a != b} w_a w_b cov_ab``: kappa is the
  covariance that makes this hold, the mix-weighted average of the cells'
  covariances. (It is much smaller than the engineer's own variance: the data
  pin down u + v_a better than u.)
- A cell and the same engineer's effect in an area they never worked in
  (u + a new, independent v): ``min(k var_cell, PEV(u))`` with
  k = engineer_sd^2 / (engineer_sd^2 + engineer_area_sd^2), the regression of u
  on u + v — exact for an engineer with one area, an approximation
  otherwise; two new areas of one engineer share exactly PEV(u) (the
  area-less ``engineer_new_area`` record's variance minus
  ``engineer_area_sd^2``).
- A person never seen: ``unseen_engineer_sd^2`` in each area, of which the
  share k is their own effect, common to all their areas.
- An area never seen (each blank area a separate one): its own fixed
  effects (:func:`calibrate.prediction.unseen_area_parameters`), with the
  between-area spread of the intercepts drawn once per sprint for the area
  (all its tickets share the area's unknown level) rather than per ticket.
- Cells of different engineers: a cell's prediction error is its
  regression on the fixed effects' estimation error plus a part independent
  across engineers (Henderson), so two engineers' cells covary by
  ``cross_c' D^+ cross_c'`` (D: the fixed effects' covariance). With the
  own-area cross terms the file holds this is within about 1% of the fitted
  model's exact value on the bundled sample (where it is about 0.01: as large
  as the engineer's own uncertainty, and not negligible).
- Declared levels and the ramp-up (multipliers fitted with skill profiles):
  what :func:`calibrate.prediction.skill_terms` adds to a (ticket,
  engineer)'s variance goes to its cell — a level offset's covariance with
  the area's elasticity as a covariance with it, the rest to the cell's own
  variance. The ramp-up's slowdown is one estimate: its error is shared by
  every cell of every engineer ramping up (sd_c sd_d).
- What the file does not hold is taken as zero: covariances between areas'
  fixed effects (correlations of about 0.15 on the sample) and between an
  engineer's cell and another area's fixed effects; between the level
  offsets of engineers predicted from the same declared level.

The matrix is factorised by eigen-decomposition; tiny negative eigenvalues
(rounding, or the approximations above) are clipped, and each
(ticket, engineer)'s shared part is then rescaled so its variance is exactly
``Multipliers.predict``'s: clipping changes correlations, never marginals.
A :class:`~calibrate.errors.CalibrationWarning` says when that changed a
standard deviation by more than 0.1%.

Memory: ``days`` holds draws x tickets x engineers numbers (8 bytes each
in float64: 10,000 draws x 100 tickets x 10 engineers is 80 MB; pass
``dtype=numpy.float32`` to halve it).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from calibrate.errors import CalibrationWarning, InputError, Problem
from calibrate.prediction import (
    _area_parameters,
    _engineer_effects,
    predict_durations,
    skill_terms,
    unseen_area_parameters,
)

__all__ = ["SimulatedDays", "multipliers_of", "simulate_days", "warn_about_clock"]

#: The largest relative change of a (ticket, engineer)'s standard deviation
#: that clipping may make before a warning (it is rescaled away anyway).
_MATERIAL_CLIPPING = 1e-3


@dataclass(frozen=True)
class SimulatedDays:
    """Simulated working days of every ticket for every engineer.

    Attributes
    ----------
    days : ndarray of shape (draws, n_tickets, n_engineers)
        ``days[d, i, j]``: the working days ticket ``i`` takes if engineer
        ``j`` does it, in simulated sprint ``d``. Draws share the per-sprint
        effects across tickets and engineers (common random numbers: the
        same ticket noise whoever does the ticket), so differences and sums
        over any assignment are correct draw by draw.
    engineers : list of str
        The engineers, in the order of the last axis.
    tickets : DataFrame
        The tickets simulated (the frame given, index reset).
    points : ndarray of shape (n_tickets,)
        The points simulated (sizes such as ``"M"`` read through the points
        scale).
    basis, note : ndarray of shape (n_tickets, n_engineers), object
        What each prediction rests on and what the history cannot vouch
        for, as :meth:`~calibrate.export.Multipliers.predict` gives them.
    log_mean, log_sd : ndarray of shape (n_tickets, n_engineers)
        The log-normal of each (ticket, engineer): ``log(days[:, i, j])`` is
        exactly N(log_mean[i, j], log_sd[i, j]^2).
    seed : object
        The seed given to :func:`numpy.random.default_rng`.
    draws : int
    """

    days: np.ndarray
    engineers: list
    tickets: pd.DataFrame
    points: np.ndarray
    basis: np.ndarray
    note: np.ndarray
    log_mean: np.ndarray
    log_sd: np.ndarray
    seed: object
    draws: int

    @property
    def mean_days(self) -> np.ndarray:
        """Closed-form expected working days, shape (n_tickets, n_engineers)."""
        return np.exp(self.log_mean + self.log_sd**2 / 2)

    def engineer_totals(self, assignment) -> np.ndarray:
        """Each engineer's simulated total working days under an assignment.

        Parameters
        ----------
        assignment : array-like of int, shape (n_tickets,)
            The position in :attr:`engineers` of the engineer each ticket
            goes to; -1 for a ticket left unassigned (not counted).

        Returns
        -------
        ndarray of shape (draws, n_engineers)
        """
        assignment = np.asarray(assignment, dtype=int)
        n_tickets, n_engineers = self.days.shape[1:]
        if assignment.shape != (n_tickets,) or (assignment >= n_engineers).any() or (
                assignment < -1).any():
            raise ValueError(f"assignment must hold {n_tickets} engineer positions in "
                             f"[-1, {n_engineers}), not {assignment.tolist()!r}")
        totals = np.zeros((self.draws, n_engineers), dtype=self.days.dtype)
        for j in range(n_engineers):
            mine = np.flatnonzero(assignment == j)
            if mine.size:
                totals[:, j] = self.days[:, mine, j].sum(axis=1)
        return totals


def multipliers_of(model):
    """The :class:`~calibrate.export.Multipliers` of a fitted result or of
    multipliers themselves."""
    from calibrate.export import Multipliers

    multipliers = getattr(model, "multipliers", model)
    if not isinstance(multipliers, Multipliers):
        raise TypeError(f"model must be a CalibrationResult or Multipliers, not "
                        f"{type(model).__name__}")
    return multipliers


def warn_about_clock(multipliers, stacklevel: int = 3) -> None:
    """Warn (:class:`~calibrate.errors.CalibrationWarning`) when durations are
    not cycle time: lead time includes waiting, so capacity checks overstate
    the work a sprint holds."""
    clock = multipliers.clock
    if clock == "cycle":
        return
    what = {"lead": "lead time (creation to done, waiting in the backlog included)",
            "mixed": "partly lead time (creation to done, waiting included)"
            }.get(clock, "of unknown kind (the multipliers file does not say; maybe lead time)")
    warnings.warn(f"the multipliers' durations are {what}: compared with working-day "
                  "capacity they overstate the work a sprint holds", CalibrationWarning,
                  stacklevel=stacklevel)


def simulate_days(model, tickets: pd.DataFrame, engineers: Sequence[str], *,
                  draws: int = 10_000, seed=0, dtype=np.float64, profile=None,
                  on=None) -> SimulatedDays:
    """Simulate the working days of tickets for engineers, sprint by sprint.

    Parameters
    ----------
    model : CalibrationResult or Multipliers
    tickets : DataFrame
        Columns ``area`` and ``points`` (a number, or a size such as ``"M"``
        of the multipliers' points scale); other columns are kept.
    engineers : sequence of str
        The engineers to simulate each ticket for; a name the multipliers
        do not know (or an empty one) is a person never seen.
    draws : int, default 10,000
        Simulated sprints.
    seed : int, Generator or None, default 0
        For :func:`numpy.random.default_rng`: the same seed gives the same
        draws.
    dtype : numpy dtype, default float64
        Of :attr:`SimulatedDays.days` (``float32`` halves the memory).
    profile : SkillProfiles, optional
        Declared levels and start dates of engineers the multipliers do not
        know (new hires), each simulated from their profile, as
        :meth:`~calibrate.export.Multipliers.predict` predicts them
        (``profile=``). Needs multipliers fitted with skill profiles.
    on : date or str, optional
        When the work starts, for the ramp-up of engineers with a start
        date (default: today).

    Returns
    -------
    SimulatedDays

    Raises
    ------
    InputError
        If a column is missing, points are invalid or an engineer is
        listed twice; if a profile is given for multipliers fitted without
        skill profiles, or names a level or area they do not have.

    Notes
    -----
    See the module docstring for the draw structure and the covariances.

    Examples
    --------
    >>> import pandas as pd
    >>> from calibrate import Calibrator, read_export
    >>> from calibrate.plan._simulate import simulate_days
    >>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
    >>> result = Calibrator().fit(read_export(SAMPLE, config=CONFIG)).result_
    >>> tickets = pd.DataFrame({"area": ["research", "ml-engineering"], "points": [3, 5]})
    >>> simulated = simulate_days(result, tickets, ["Priya Raman", "Zoë Müller"], draws=2000)
    >>> simulated.days.shape
    (2000, 2, 2)
    >>> simulated.basis.tolist()
    [['engineer x area', 'engineer x area'], ['engineer x area', 'engineer x area']]
    """
    multipliers = multipliers_of(model)
    tickets = _checked_tickets(tickets)
    engineers = list(engineers)
    _check_engineers(engineers)
    draws = int(draws)
    if draws < 1:
        raise InputError(f"draws must be a whole number >= 1, not {draws!r}")
    n_tickets, n_engineers = len(tickets), len(engineers)
    rng = np.random.default_rng(seed)

    declared = {"profile": profile, "on": on}
    grid = predict_durations(multipliers, np.tile(np.asarray(engineers, dtype=object), n_tickets),
                             np.repeat(tickets["area"].to_numpy(dtype=object), n_engineers),
                             np.repeat(tickets["points"].to_numpy(dtype=object), n_engineers),
                             **declared)
    shape = (n_tickets, n_engineers)
    log_mean = grid["log_mean"].to_numpy(dtype=float).reshape(shape)
    log_sd = grid["log_sd"].to_numpy(dtype=float).reshape(shape)
    points = (grid["points"].to_numpy(dtype=float).reshape(shape)[:, 0] if n_engineers
              else _resolved_points(multipliers, tickets))
    result = {"engineers": engineers, "tickets": tickets, "points": points,
              "basis": grid["basis"].to_numpy(dtype=object).reshape(shape),
              "note": grid["note"].to_numpy(dtype=object).reshape(shape),
              "log_mean": log_mean, "log_sd": log_sd, "seed": seed, "draws": draws}
    if n_tickets == 0 or n_engineers == 0:
        return SimulatedDays(days=np.empty((draws, *shape), dtype=dtype), **result)

    structure = _Structure(multipliers, tickets["area"].to_numpy(dtype=object), points,
                           grid, engineers, declared)
    factor, scale = structure.factor(log_sd)
    latent = rng.standard_normal((draws, factor.shape[1])) @ factor.T
    ticket_noise = rng.standard_normal((draws, n_tickets)) * structure.noise_sd
    # The part of log days shared by all engineers for a ticket: its area's
    # fixed effects and its own noise.
    shared = (latent[:, structure.intercept] + structure.covariate * latent[:, structure.elasticity]
              + ticket_noise)
    days = np.empty((draws, *shape), dtype=dtype)
    for j in range(n_engineers):
        days[:, :, j] = np.exp(log_mean[:, j]
                               + scale[:, j] * (shared + latent[:, structure.cell[:, j]]))
    return SimulatedDays(days=days, **result)


class _Structure:
    """The shared effects of one simulation: which latent variable each
    (ticket, engineer) uses, and their joint covariance."""

    def __init__(self, multipliers, areas: np.ndarray, points: np.ndarray, grid: pd.DataFrame,
                 engineers: list, declared: dict | None = None) -> None:
        model = multipliers.model
        n_tickets, n_engineers = len(areas), len(engineers)
        self.covariate = np.log(np.where(points > 0, points, model["zero_points"])
                                / model["reference_points"])
        area_series = pd.Series(areas, dtype=object)
        params, known = _area_parameters(multipliers.areas, area_series)
        unseen = unseen_area_parameters(multipliers.areas)
        # The unseen-area noise holds the between-area spread of intercepts:
        # it belongs to the area (shared by its tickets), not to each ticket.
        spread = unseen["noise_sd"] ** 2 - unseen_area_parameters(
            multipliers.areas.assign(intercept=0.0))["noise_sd"] ** 2
        noise_var = params["noise_sd"].to_numpy(dtype=float) ** 2
        self.noise_sd = np.sqrt(np.where(known, noise_var, np.maximum(noise_var - spread, 0.0)))

        # Latent variables: one intercept per area key, one elasticity per
        # slope key, one effect per (engineer, area key) cell.
        blank = area_series.map(_is_blank).to_numpy(dtype=bool)
        area_key = [("blank", i) if blank[i] else ("area", str(a)) for i, a in enumerate(areas)]
        slope_of = _slope_keys(multipliers)
        slope_key = [("slope", slope_of[str(areas[i])]) if known[i] else ("unseen slope", key)
                     for i, key in enumerate(area_key)]
        index: dict = {}

        def position(key) -> int:
            return index.setdefault(key, len(index))

        self.intercept = np.array([position(("intercept", key)) for key in area_key])
        self.elasticity = np.array([position(key) for key in slope_key])
        self.cell = np.array([[position(("cell", j, area_key[i])) for j in range(n_engineers)]
                              for i in range(n_tickets)], dtype=int).reshape(n_tickets,
                                                                              n_engineers)
        covariance = np.zeros((len(index), len(index)))
        var_intercept = params["var_intercept"].to_numpy(dtype=float) + np.where(known, 0.0,
                                                                                 spread)
        covariance[self.intercept, self.intercept] = var_intercept
        covariance[self.elasticity, self.elasticity] = params["var_elasticity"].to_numpy(float)
        cov = params["cov_intercept_elasticity"].to_numpy(dtype=float)
        covariance[self.intercept, self.elasticity] = cov
        covariance[self.elasticity, self.intercept] = cov

        # The cells: variance and cross terms as predict_durations finds
        # them (run at covariate 0 and 1 to split the cross term).
        frame = grid[["engineer", "area"]].reset_index(drop=True)
        zero = np.zeros(len(frame))
        at_zero = _engineer_effects(multipliers.records, model, frame, zero)
        at_one = _engineer_effects(multipliers.records, model, frame, zero + 1)
        known_rows = np.repeat(known, n_engineers)
        own_record = at_zero["has_record"] & known_rows
        cross_intercept = np.where(own_record, at_zero["cross"], 0.0)
        cross_elasticity = np.where(own_record, at_one["cross"] - at_zero["cross"], 0.0)
        # Declared levels and the ramp-up add to a cell's variance what
        # predict_durations adds, so that the marginals need no rescaling.
        skill_variance, skill_slope, ramp_sd = _skill_variances(
            multipliers, frame, at_zero["basis"], known_rows, declared or {})
        cell_variance = at_zero["variance"] + skill_variance
        cell = self.cell.ravel()
        intercept = np.repeat(self.intercept, n_engineers)
        elasticity = np.repeat(self.elasticity, n_engineers)
        covariance[cell, cell] = cell_variance
        for fixed, cross in ((intercept, cross_intercept),
                             (elasticity, cross_elasticity - skill_slope)):
            covariance[cell, fixed] = -cross
            covariance[fixed, cell] = -cross
        basis = at_zero["basis"]
        _fill_engineer_covariances(covariance, multipliers, engineers, self.cell, basis,
                                   at_zero["variance"])
        _fill_covariances_through_fixed_effects(covariance, self.intercept, self.elasticity,
                                                self.cell)
        covariance[cell, cell] = cell_variance
        _add_ramp_covariances(covariance, cell, ramp_sd)
        self.covariance = covariance

    def factor(self, log_sd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A factor F with F F' the (clipped) covariance, and per (ticket,
        engineer) the scale that makes the simulated sd exactly ``log_sd``."""
        values, vectors = np.linalg.eigh(self.covariance)
        factor = vectors * np.sqrt(np.clip(values, 0.0, None))
        used = factor @ factor.T
        i = np.arange(self.cell.shape[0])[:, None]
        a, b, c = self.intercept[i], self.elasticity[i], self.cell
        x = self.covariate[:, None]
        variance = (used[a, a] + x**2 * used[b, b] + used[c, c] + 2 * x * used[a, b]
                    + 2 * used[a, c] + 2 * x * used[b, c] + self.noise_sd[:, None] ** 2)
        scale = log_sd / np.sqrt(variance)
        change = float(np.max(np.abs(scale - 1)))
        if change > _MATERIAL_CLIPPING:
            warnings.warn(
                f"the covariances implied by the multipliers file are not jointly consistent "
                f"(smallest eigenvalue {values.min():.3g}); they were made consistent, which "
                f"changed a simulated standard deviation by {change:.1%} before it was "
                "restored: correlations between tickets are approximate", CalibrationWarning,
                stacklevel=4)
        return factor, scale


def _fill_engineer_covariances(covariance: np.ndarray, multipliers, engineers: list,
                               cell: np.ndarray, basis: np.ndarray,
                               variance: np.ndarray) -> None:
    """Covariances between the cells of one engineer (see the module docstring)."""
    model, records = multipliers.model, multipliers.records
    person_var, cell_var = model["engineer_sd"] ** 2, model["engineer_area_sd"] ** 2
    share = person_var / (person_var + cell_var) if person_var + cell_var > 0 else 1.0
    n_engineers = cell.shape[1]
    kinds = basis.reshape(cell.shape)
    variance = variance.reshape(cell.shape)
    for j in range(n_engineers):
        positions, first = np.unique(cell[:, j], return_index=True)
        if positions.size < 2:
            continue
        kind = kinds[first, j]
        own = variance[first, j]
        if (kind == "unseen engineer").all():
            block = np.full((positions.size, positions.size), share * own[0])
        else:
            pev_u, kappa = _engineer_covariances(records, engineers[j], cell_var)
            existing = kind == "engineer x area"
            # new x new: PEV(u); existing x new: the regression of u on u + v;
            # existing x existing: the file's kappa.
            to_new = np.minimum(share * own, pev_u)
            block = np.where(existing[:, None] & existing[None, :], kappa,
                             np.where(existing[:, None], to_new[:, None],
                                      np.where(existing[None, :], to_new[None, :], pev_u)))
        np.fill_diagonal(block, own)
        covariance[np.ix_(positions, positions)] = block


def _fill_covariances_through_fixed_effects(covariance: np.ndarray, intercept: np.ndarray,
                                            elasticity: np.ndarray, cell: np.ndarray) -> None:
    """Cells of different engineers: the covariance of their regressions on
    the fixed effects, cross_c' D^+ cross_c' (D: the fixed effects' covariance)."""
    fixed = np.unique(np.concatenate([intercept, elasticity]))
    cells, first = np.unique(cell.ravel(), return_index=True)
    owner = np.tile(np.arange(cell.shape[1]), cell.shape[0])[first]
    link = covariance[np.ix_(cells, fixed)]
    inverse = np.linalg.pinv(covariance[np.ix_(fixed, fixed)], rcond=1e-10, hermitian=True)
    through_fixed = link @ inverse @ link.T
    block = covariance[np.ix_(cells, cells)]
    covariance[np.ix_(cells, cells)] = np.where(owner[:, None] != owner[None, :], through_fixed,
                                                block)


def _skill_variances(multipliers, frame: pd.DataFrame, basis: np.ndarray,
                     known_area: np.ndarray,
                     declared: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What declared levels and the ramp-up add to each (ticket, engineer)'s
    log-variance (:func:`calibrate.prediction.skill_terms`): the part at
    covariate 0, its slope in the covariate over 2 (a level offset's
    covariance with the area's elasticity) and the ramp-up's standard
    deviation. Zeros for multipliers fitted without skill profiles."""
    count = len(frame)
    if getattr(multipliers, "skills", None) is None:
        return np.zeros(count), np.zeros(count), np.zeros(count)

    def variance(fitted, covariate: float) -> np.ndarray:
        return skill_terms(fitted, frame, basis, np.full(count, covariate), known_area,
                           **declared)["variance"]

    at_zero = variance(multipliers, 0.0)
    steady = replace(multipliers, skills={**multipliers.skills, "ramp_up": None})
    ramp_sd = np.sqrt(np.maximum(at_zero - variance(steady, 0.0), 0.0))
    return at_zero, (variance(multipliers, 1.0) - at_zero) / 2, ramp_sd


def _add_ramp_covariances(covariance: np.ndarray, cell: np.ndarray, ramp_sd: np.ndarray) -> None:
    """The ramp-up's slowdown is one estimate: its error is shared by every
    cell of an engineer ramping up, and by every such engineer (cells c, d:
    sd_c sd_d; the diagonal already holds sd_c^2)."""
    cells, first = np.unique(cell, return_index=True)
    sd = ramp_sd[first]
    if not sd.any():
        return
    shared = np.outer(sd, sd)
    np.fill_diagonal(shared, 0.0)
    covariance[np.ix_(cells, cells)] += shared


def _engineer_covariances(records: pd.DataFrame, engineer: str,
                          cell_var: float) -> tuple[float, float]:
    """PEV(u) and kappa (the covariance of two of the engineer's cells)."""
    mine = records[records["engineer"] == engineer]
    scope = mine["scope"]
    person = mine[(scope == "engineer_new_area") & mine["area"].isna()]
    engineer_record = mine[scope == "engineer"]
    mix_var = float(engineer_record["log_sd"].iloc[0] ** 2) if len(engineer_record) else 0.0
    # Files from before schema 1.1 have no engineer_new_area records: the
    # engineer record is the best stand-in for u.
    pev_u = (max(float(person["log_sd"].iloc[0]) ** 2 - cell_var, 0.0) if len(person)
             else mix_var)
    cells = mine[scope == "engineer_area"]
    tickets = (cells["n_finished"] + cells["n_open"]).to_numpy(dtype=float)
    if tickets.sum() <= 0:
        tickets = np.ones(len(cells))
    weight = tickets / max(tickets.sum(), 1.0)
    squares = float(weight @ weight)
    if len(cells) < 2 or squares >= 1 - 1e-12:
        return pev_u, 0.0
    kappa = (mix_var - float(weight**2 @ cells["log_sd"].to_numpy(dtype=float) ** 2)) / (
        1 - squares)
    return pev_u, max(kappa, 0.0)


def _slope_keys(multipliers) -> dict[str, object]:
    """Per known area, the elasticity estimate it uses: areas whose
    elasticity is one shared estimate (same value and variance, under
    ``slopes`` ``shared`` or ``pooled``) get the same key."""
    areas = multipliers.areas
    names = areas["area"].astype(str).tolist()
    if multipliers.model.get("slopes") not in ("shared", "pooled"):
        return {name: name for name in names}
    groups: dict[tuple, str] = {}
    return {name: groups.setdefault((float(value), float(var)), name)
            for name, value, var in zip(names, areas["elasticity"], areas["var_elasticity"],
                                        strict=True)}


def _checked_tickets(tickets) -> pd.DataFrame:
    if not isinstance(tickets, pd.DataFrame):
        raise InputError(f"tickets must be a DataFrame, not {type(tickets).__name__}")
    missing = [c for c in ("area", "points") if c not in tickets.columns]
    if missing:
        raise InputError("the tickets lack required columns",
                         [Problem("required column missing", column=c) for c in missing],
                         hint="Give each ticket an 'area' and 'points'.")
    return tickets.reset_index(drop=True)


def _check_engineers(engineers: list) -> None:
    names = pd.Series(engineers, dtype=object)
    twice = names[names.duplicated() & names.map(lambda v: not _is_blank(v))].unique()
    if len(twice):
        raise InputError("engineers must be listed once each",
                         [Problem("engineer listed twice", value=v) for v in twice])


def _resolved_points(multipliers, tickets: pd.DataFrame) -> np.ndarray:
    if tickets.empty:
        return np.empty(0)
    return predict_durations(multipliers, "", tickets["area"].to_numpy(dtype=object),
                             tickets["points"].to_numpy(dtype=object))["points"].to_numpy(float)


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and not value.strip())

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
               + cell[j, area] + ramp_sd[i, j] r[d] + noise_sd[area] z[d, i]

with ``log_mean`` and the documented fallbacks exactly as
:func:`calibrate.prediction.predict_durations` gives them, so that every
single (ticket, engineer) is exactly the log-normal of
:meth:`calibrate.export.Multipliers.predict`; what the Monte Carlo adds is
the dependence between tickets.

The shared effects are linear forms in independent standard normals, so
their joint covariance is a Gram matrix (positive semidefinite by
construction). From what the multipliers file holds (su, sv:
``engineer_sd``, ``engineer_area_sd``):

- An area's fixed effects (the team's typical intercept and elasticity):
  ``var_intercept``, ``var_elasticity``, ``cov_intercept_elasticity``
  (D). Areas whose elasticity is one shared estimate (``model.slopes``
  ``shared`` or ``pooled``: same elasticity and variance) share one
  elasticity draw.
- An engineer's effect in an area (a cell: u + v, the record's effect).
  Its prediction error is its regression on the fixed effects' estimation
  error plus a part omega independent of them and across engineers
  (Henderson). The file holds the record's cross terms with its own area's
  fixed effects (g = minus ``fixed_cross_intercept``,
  ``fixed_cross_elasticity``), so the regression is on those, D^+ g: that
  reproduces the cross terms of ``Multipliers.predict``'s variance
  ``fixed_var + log_sd^2 - 2 cross + noise_sd^2``, and two engineers' cells
  in one area covary by g_c' D^+ g_d (within 3% of the fitted model's
  exact value on the bundled sample, where it is as large as an engineer's
  own uncertainty). omega gets the rest of ``log_sd^2``.
- omega of one engineer's cells. In the nested model, given the fixed
  effects, the error of u + v_c is t_c eta + epsilon_c: eta the error of u
  (variance k), t_c = 1 - the cell's shrinkage, Var(epsilon_c) = sv^2 t_c.
  So an engineer's cells covary by t_c t_d k, one factor per engineer. Per
  record Var(omega_c) = ``log_sd^2`` - g' D^+ g = sv^2 t_c + k t_c^2, and
  k (1 + su^2 / sv^2 sum_c (1 - t_c)) = su^2 over the engineer's records:
  one equation in k, solved with every t_c (ticket counts cannot give the
  shrinkage: recency weights and open tickets weigh less than a count; on
  the sample k comes within 2% of the fit's). An area the engineer never
  worked in, known or not, is eta plus a new v: covariance k with another
  such area, t_c k with a cell.
- A person never seen: ``unseen_engineer_sd^2`` in each area, of which the
  share su^2 / (su^2 + sv^2) is their own effect, common to all their areas.
- An area never seen (each blank area a separate one): its own fixed
  effects (:func:`calibrate.prediction.unseen_area_parameters`), with the
  between-area spread of the intercepts drawn once per sprint for the area
  (all its tickets share the area's unknown level) rather than per ticket.
- Declared levels and the ramp-up (multipliers fitted with skill profiles):
  what :func:`calibrate.prediction.skill_terms` adds. A level offset's
  covariances with the area's intercept and elasticity
  (``cov_offset_intercept``, ``cov_offset_elasticity``) are the cell's
  covariances with them, its variance (or a team mix's spread) goes to
  omega. The ramp-up's slowdown is one estimate: r, one draw per sprint,
  times each (ticket, engineer)'s z sd(rho), shared by all ramping up.
- Taken as zero, because the file does not hold them: the covariances
  between areas' fixed effects (correlations of 0.25 to 0.37 on the
  sample) and between a cell and other areas' fixed effects, and the shared
  error of the level offsets of engineers with one declared level in one
  area. The first two mostly cancel in log days: an engineer's tickets in
  two areas covary by (x_i - q_c)' M (x_k - q_d) + Cov(omega_c, omega_d)
  (M: all the fixed effects' covariance, M q_c a cell's full cross terms),
  and the first term is small once the team's engineers pin down its
  level: on the sample every correlation between (ticket, engineer) log
  days is within 0.05 of the fitted model's exact one. In a team of two or
  three engineers it is not small (the areas' intercepts are then nearly
  the engineers' mean effect), and correlations can be far off. The
  records' own covariances (what the engineer record implies) hold q_c' M
  q_d as well: taken for the covariance of omega, while the covariances
  that cancel it were zero, they overstated the covariance of an engineer's
  tickets in two areas up to thirtyfold and made the joint matrix
  indefinite.

Only numbers no fit produces (a cross term larger than the variances allow,
a fixed-effect block that is not positive semidefinite) are clipped, after
which each (ticket, engineer)'s shared part is rescaled so its variance is
exactly ``Multipliers.predict``'s: clipping changes correlations, never
marginals. A :class:`~calibrate.errors.CalibrationWarning` says when that
changed a standard deviation by more than 0.1%.

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
    sources = rng.standard_normal((draws, factor.shape[1] + 1))
    latent = sources[:, :-1] @ factor.T
    ramp = sources[:, -1:]  # the ramp-up's estimation error: one per sprint
    ticket_noise = rng.standard_normal((draws, n_tickets)) * structure.noise_sd
    # The part of log days shared by all engineers for a ticket: its area's
    # fixed effects and its own noise.
    shared = (latent[:, structure.intercept] + structure.covariate * latent[:, structure.elasticity]
              + ticket_noise)
    days = np.empty((draws, *shape), dtype=dtype)
    for j in range(n_engineers):
        days[:, :, j] = np.exp(log_mean[:, j] + scale[:, j] * (
            shared + latent[:, structure.cell[:, j]] + ramp * structure.ramp_sd[:, j]))
    return SimulatedDays(days=days, **result)


class _Structure:
    """The shared effects of one simulation: which latent variable each
    (ticket, engineer) uses, and the linear forms that give them their joint
    covariance (see the module docstring).

    Attributes
    ----------
    intercept, elasticity : ndarray of int, shape (n_tickets,)
        Each ticket's latent area intercept and elasticity.
    cell : ndarray of int, shape (n_tickets, n_engineers)
        Each (ticket, engineer)'s latent engineer effect.
    covariate : ndarray, shape (n_tickets,)
        log(points / reference points).
    noise_sd : ndarray, shape (n_tickets,)
        The ticket's own noise.
    ramp_sd : ndarray, shape (n_tickets, n_engineers)
        The ramp-up estimate's error in each (ticket, engineer): it
        multiplies one normal per sprint.
    loading : ndarray, shape (n_latent, n_sources)
        Each latent variable as a linear form in independent standard
        normals.
    covariance : ndarray, shape (n_latent, n_latent)
        ``loading @ loading.T``.
    clipped : list of str
        What was inconsistent in the file and had to be clipped (empty for
        a fit's own multipliers).
    """

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
        self.clipped: list[str] = []

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
        fixed_covariance = np.zeros((len(index), len(index)))
        var_intercept = params["var_intercept"].to_numpy(dtype=float) + np.where(known, 0.0,
                                                                                 spread)
        fixed_covariance[self.intercept, self.intercept] = var_intercept
        fixed_covariance[self.elasticity, self.elasticity] = params["var_elasticity"].to_numpy(
            dtype=float)
        cov = params["cov_intercept_elasticity"].to_numpy(dtype=float)
        fixed_covariance[self.intercept, self.elasticity] = cov
        fixed_covariance[self.elasticity, self.intercept] = cov
        fixed = np.unique(np.concatenate([self.intercept, self.elasticity]))
        fixed_factor = self._fixed_factor(fixed_covariance[np.ix_(fixed, fixed)])

        # Per (ticket, engineer) row of the grid: the cell's variance and
        # covariances with its area's intercept and elasticity, as
        # predict_durations finds them (run at covariate 0 and 1 to split the
        # cross term).
        frame = grid[["engineer", "area"]].reset_index(drop=True)
        zero = np.zeros(len(frame))
        at_zero = _engineer_effects(multipliers.records, model, frame, zero)
        at_one = _engineer_effects(multipliers.records, model, frame, zero + 1)
        known_rows = np.repeat(known, n_engineers)
        own_record = at_zero["has_record"] & known_rows
        skill = _skill_parts(multipliers, frame, at_zero["basis"], known_rows, declared or {})
        self.ramp_sd = skill["ramp_sd"].reshape(n_tickets, n_engineers)
        record_link = np.column_stack([
            -np.where(own_record, at_zero["cross"], 0.0),
            -np.where(own_record, at_one["cross"] - at_zero["cross"], 0.0)])
        link = record_link + np.column_stack([skill["cov_intercept"], skill["cov_elasticity"]])
        variance = at_zero["variance"] + skill["variance"]

        cells, first = np.unique(self.cell.ravel(), return_index=True)
        owner = np.tile(np.arange(n_engineers), n_tickets)[first]
        ends = np.column_stack([np.repeat(self.intercept, n_engineers),
                                np.repeat(self.elasticity, n_engineers)])[first]
        # The regression on the area's fixed effects: coefficients D^+ g.
        target = np.zeros((len(cells), len(fixed)))
        where = np.searchsorted(fixed, ends)
        np.add.at(target, (np.arange(len(cells))[:, None], where), link[first])
        pinv = np.linalg.pinv(fixed_factor @ fixed_factor.T, rcond=1e-10, hermitian=True)
        through_fixed = (target @ pinv) @ fixed_factor
        unreachable = np.abs(through_fixed @ fixed_factor.T - target).max(initial=0.0)
        if unreachable > 1e-9 * max(float(np.abs(target).max(initial=0.0)), 1e-300):
            self.clipped.append("a cross term with a fixed effect that has no variance")
        explained = np.einsum("cs,cs->c", through_fixed, through_fixed)
        left = variance[first] - explained
        too_large = left < -1e-12 * np.maximum(variance[first], 1e-300)
        if too_large.any():
            self.clipped.append("a cross term with the fixed effects larger than the variances "
                                "allow")
            shrink = np.sqrt(np.clip(variance[first] / np.where(too_large, explained, 1.0), 0, 1))
            through_fixed = through_fixed * np.where(too_large, shrink, 1.0)[:, None]
        left = np.maximum(left, 0.0)
        engineer_part = _engineer_loadings(multipliers, [engineers[j] for j in owner],
                                           frame["area"].to_numpy(dtype=object)[first],
                                           at_zero["basis"][first], at_zero["variance"][first])
        # k from the records is an upper bound (their variance given their own
        # area's fixed effects holds some of the other areas'): capped at what
        # is left of a cell, which keeps the marginal.
        engineer_part = np.minimum(engineer_part, np.sqrt(left))
        residual = np.sqrt(np.maximum(left - engineer_part**2, 0.0))

        n_fixed = fixed_factor.shape[1]
        loading = np.zeros((len(index), n_fixed + n_engineers + len(cells)))
        loading[fixed, :n_fixed] = fixed_factor
        loading[cells, :n_fixed] = through_fixed
        loading[cells, n_fixed + owner] = engineer_part
        loading[cells, n_fixed + n_engineers + np.arange(len(cells))] = residual
        self.loading = loading
        self.covariance = loading @ loading.T

    def _fixed_factor(self, covariance: np.ndarray) -> np.ndarray:
        """A factor of the fixed effects' covariance (clipped if the file's
        blocks are not positive semidefinite)."""
        values, vectors = np.linalg.eigh(covariance)
        scale = max(float(np.abs(values).max(initial=0.0)), 1e-300)
        if values.min(initial=0.0) < -1e-10 * scale:
            self.clipped.append(f"fixed effects' covariances (smallest eigenvalue "
                                f"{values.min():.3g})")
        return vectors * np.sqrt(np.clip(values, 0.0, None))

    def factor(self, log_sd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The loading L (L L' the covariance of the latent variables), and
        per (ticket, engineer) the scale that makes the simulated sd exactly
        ``log_sd`` (1 unless something was clipped)."""
        used = self.covariance
        i = np.arange(self.cell.shape[0])[:, None]
        a, b, c = self.intercept[i], self.elasticity[i], self.cell
        x = self.covariate[:, None]
        variance = (used[a, a] + x**2 * used[b, b] + used[c, c] + 2 * x * used[a, b]
                    + 2 * used[a, c] + 2 * x * used[b, c] + self.noise_sd[:, None] ** 2
                    + self.ramp_sd**2)
        scale = log_sd / np.sqrt(variance)
        change = float(np.max(np.abs(scale - 1)))
        if change > _MATERIAL_CLIPPING:
            what = "; ".join(self.clipped) or "rounding"
            warnings.warn(
                f"the covariances implied by the multipliers file are not jointly consistent "
                f"({what}); they were made consistent, which changed a simulated standard "
                f"deviation by {change:.1%} before it was restored: correlations between "
                "tickets are approximate", CalibrationWarning, stacklevel=4)
        return self.loading, scale


def _engineer_loadings(multipliers, engineers: list, areas: np.ndarray, basis: np.ndarray,
                       variance: np.ndarray) -> np.ndarray:
    """Each cell's loading on its engineer's shared error eta: t_c sqrt(k)
    for a cell with a record, sqrt(k) in an area the engineer never worked
    in, sqrt(share) unseen_engineer_sd for a person never seen (see the
    module docstring)."""
    model = multipliers.model
    person_var, cell_var = model["engineer_sd"] ** 2, model["engineer_area_sd"] ** 2
    share = person_var / (person_var + cell_var) if person_var + cell_var > 0 else 1.0
    loading = np.sqrt(share * variance)  # a person never seen: variance is theirs
    known = [name for name, kind in zip(engineers, basis, strict=True)
             if kind != "unseen engineer"]
    shared, shrink = _engineer_precisions(multipliers, set(known))
    for c, (engineer, area, kind) in enumerate(zip(engineers, areas, basis, strict=True)):
        if kind == "unseen engineer":
            continue
        t = shrink.get((engineer, area), 1.0) if kind == "engineer x area" else 1.0
        loading[c] = t * math.sqrt(shared[engineer])
    return loading


def _engineer_precisions(multipliers, engineers: set) -> tuple[dict, dict]:
    """Per engineer, k (the variance of the error of u given the fixed
    effects), and per (engineer, area) record t = 1 - shrinkage, from the
    records: Var(omega_c) = log_sd^2 - g' D_a^+ g = sv^2 t_c + k t_c^2 and
    k (1 + su^2 / sv^2 sum_c (1 - t_c)) = su^2, solved for k by bisection
    (the left side increases with k)."""
    model, records = multipliers.model, multipliers.records
    person_var, cell_var = model["engineer_sd"] ** 2, model["engineer_area_sd"] ** 2
    mine = records[(records["scope"] == "engineer_area") & records["engineer"].isin(engineers)]
    names = sorted(engineers, key=str)
    shared = dict.fromkeys(names, person_var)
    if mine.empty:
        return shared, {}
    table = multipliers.areas.set_index("area")
    blocks = table.reindex(mine["area"])
    a = blocks["var_intercept"].to_numpy(dtype=float)
    b = blocks["cov_intercept_elasticity"].to_numpy(dtype=float)
    e = blocks["var_elasticity"].to_numpy(dtype=float)
    g = -mine[["fixed_cross_intercept", "fixed_cross_elasticity"]].to_numpy(dtype=float)
    explained = np.array([vector @ np.linalg.pinv(np.array([[ai, bi], [bi, ei]]), rcond=1e-10,
                                                  hermitian=True) @ vector
                          for vector, ai, bi, ei in zip(g, a, b, e, strict=True)])
    own = np.maximum(mine["log_sd"].to_numpy(dtype=float) ** 2 - explained, 0.0)
    code = pd.Categorical(mine["engineer"], categories=names).codes
    if cell_var <= 0:  # no engineer x area effects: every cell is u
        k = np.full(len(names), np.inf)
        np.minimum.at(k, code, own)
        t = np.ones(len(own))
    else:
        def shrink_at(k: np.ndarray) -> np.ndarray:
            # the root of k t^2 + sv^2 t - own in a form stable at k = 0
            return np.clip(2 * own / (cell_var + np.sqrt(cell_var**2 + 4 * k[code] * own)),
                           0.0, 1.0)

        low, high = np.zeros(len(names)), np.full(len(names), person_var)
        for _ in range(100):
            k = (low + high) / 2
            lack = np.bincount(code, 1 - shrink_at(k), minlength=len(names))
            above = k * (1 + person_var / cell_var * lack) > person_var
            high, low = np.where(above, k, high), np.where(above, low, k)
        k = (low + high) / 2
        t = shrink_at(k)
    k = np.where(np.isfinite(k), k, person_var)
    shared.update(zip(names, k.tolist(), strict=True))
    keys = zip(mine["engineer"], mine["area"], strict=True)
    return shared, dict(zip(keys, t.tolist(), strict=True))


def _skill_parts(multipliers, frame: pd.DataFrame, basis: np.ndarray, known_area: np.ndarray,
                 declared: dict) -> dict[str, np.ndarray]:
    """What declared levels and the ramp-up add to each (ticket, engineer)
    (:func:`calibrate.prediction.skill_terms`), split as the simulation
    draws it: the level offset's covariances with the area's intercept and
    elasticity, the rest of its variance, and the ramp-up's standard
    deviation. Zeros for multipliers fitted without skill profiles."""
    count = len(frame)
    skills = getattr(multipliers, "skills", None)
    if skills is None:
        return dict.fromkeys(("variance", "cov_intercept", "cov_elasticity", "ramp_sd"),
                             np.zeros(count))

    def variance(fitted, covariate: float) -> np.ndarray:
        return skill_terms(fitted, frame, basis, np.full(count, covariate), known_area,
                           **declared)["variance"]

    at_zero, at_one = variance(multipliers, 0.0), variance(multipliers, 1.0)
    steady = replace(multipliers, skills={**skills, "ramp_up": None})
    uncorrelated = replace(multipliers, skills={**skills, "level_effects": [
        {**row, "cov_offset_intercept": 0.0, "cov_offset_elasticity": 0.0}
        for row in skills["level_effects"]]})
    ramp_var = np.maximum(at_zero - variance(steady, 0.0), 0.0)
    cov_intercept = (at_zero - variance(uncorrelated, 0.0)) / 2
    return {"variance": at_zero - 2 * cov_intercept - ramp_var, "cov_intercept": cov_intercept,
            "cov_elasticity": (at_one - at_zero) / 2, "ramp_sd": np.sqrt(ramp_var)}


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

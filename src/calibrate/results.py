"""Results of a calibration: multipliers, elasticities, predictions, summary.

:class:`CalibrationResult` is to :class:`~calibrate.model.Calibrator` what a
statsmodels results object is to its model: everything computed from one
fit, with tidy tables, ``predict``, and a ``summary()`` that prints as text
and renders as HTML in a notebook.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Sequence
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import optimize, special

from calibrate._distributions import chi2_ppf, chi2_sf, normal_ppf, normal_sf
from calibrate._names import name_order
from calibrate.durations import WorkCalendar
from calibrate.export import RECORD_COLUMNS, Multipliers
from calibrate.model import ASSUMED_ENGINEER_SD, RampFit
from calibrate.prediction import multiplier_summary
from calibrate.skills import UNDECLARED
from calibrate.summary import Summary

__all__ = ["CalibrationResult", "DEFAULT_POINT_SCALE", "RAMP_WITHIN"]

#: Points values for overrun tables and recommended sizes.
DEFAULT_POINT_SCALE: tuple[float, ...] = (1, 2, 3, 5, 8, 13)
_Z = normal_ppf(0.95)
#: Record columns the planner-facing tables leave out.
_INTERNAL = ["fixed_cross_intercept", "fixed_cross_elasticity"]
#: A new member is at the team's typical speed once the remaining ramp-up
#: slowdown is below this share (10%: a factor under 1.1).
RAMP_WITHIN = 0.1


class CalibrationResult:
    """Everything computed from one fit, as statsmodels' results objects are.

    Made by :meth:`Calibrator.fit <calibrate.model.Calibrator.fit>`; each table
    is computed on first use (a cached property) from the fit.

    Attributes
    ----------
    multipliers : Multipliers
        Records per population / engineer / engineer x area and the model
        parameters; what :func:`calibrate.export.write_multipliers` writes.
    engineer_multipliers, engineer_area_multipliers : DataFrame
        The engineer and engineer x area records, with ``raw_ratio``: the
        unpooled geometric-mean ratio of the engineer's finished tickets to the
        team model (shows how much pooling moved each estimate). An
        engineer's multiplier is their effect on their *own ticket mix*:
        exp(u + sum over their areas of (share of their tickets) x v).
    elasticity : DataFrame
        Per area: the points elasticity with its standard error, 90%
        confidence interval and the Wald test of elasticity = 1.
    fixed_effects : DataFrame
        All fixed effects with standard errors.
    variance_components : dict
        ``engineer_sd``, ``engineer_area_sd``, ``noise_sd`` per area, and
        ``identification``: per component (``engineer_sd``, ``engineer_area_sd``, and
        ``split`` between them) ``"estimated"``, ``"poorly determined"``,
        ``"not identified"`` (held at 0: the data cannot determine it) or
        ``"not fitted"``.
    aging_work : DataFrame
        Every open ticket with its age (working days) and ``p_abandoned``,
        the fitted probability that it is abandoned rather than still being
        worked on; most likely abandoned first.
    points_test : dict or None
        Likelihood-ratio test of the log-linear points term against points as
        a category (ML fits on finished tickets): statistic, df, p_value;
        None when no area has three points values.
    level_effects, level_test, declared_vs_measured, ramp_up : optional
        With skill profiles (``fit(tickets, skills=...)``; None without):
        the effect of each declared level per area, the test of "the
        declarations carry no signal", where the tickets contradict a
        declaration, and the ramp-up of new members (with
        :meth:`ramp_up_curve`). With profiles the areas' intercepts and the
        multipliers stay relative to the team's typical engineer (its mix of
        levels); each engineer x area record includes its declared level.
    n_tickets, n_censored, em_iterations : int
    converged : bool
    calendar : WorkCalendar or None
    """

    def __init__(self, design_fit, design, tickets: pd.DataFrame, *, settings: dict,
                 calendar: WorkCalendar | None, points_test: Callable[[], dict | None],
                 identification: dict, slopes: str, pooled_areas: Sequence[str] = ()) -> None:
        self._design_fit = design_fit
        self._fit = design_fit.fit
        self._design = design
        self._tickets = tickets
        self._settings = dict(settings)
        self._points_test = points_test
        self._identification = dict(identification)
        self._slopes = slopes
        self._pooled_areas = list(pooled_areas)
        self.calendar = calendar
        self.n_tickets = len(tickets)
        self.n_censored = int(design.censored.sum())
        self.em_iterations = design_fit.iterations
        self.converged = bool(design_fit.fit.converged and design_fit.converged)

    def _with(self, **tables) -> CalibrationResult:
        """A copy whose cached tables are replaced by ``tables``."""
        changed = copy.copy(self)
        changed.__dict__.update(tables)
        return changed

    # -- the tables, computed on first use -------------------------------
    @cached_property
    def _slope_columns(self) -> np.ndarray:
        return self._design.slope_index

    @cached_property
    def _assumed(self) -> bool:
        # Elasticity 1 is an assumption (an offset), not an estimate.
        return bool((self._slope_columns < 0).all())

    @cached_property
    def _area_tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        return _area_tables(self._fit, self._design, self._slope_columns, self._assumed,
                            centring=None if self._levels is None else self._levels.centring)

    @cached_property
    def _levels(self) -> _LevelAlgebra | None:
        """The declared levels' directions in the fixed effects (None without profiles)."""
        terms = self._design.skills
        if terms is None:
            return None
        return _LevelAlgebra.of(terms, self._design, self._fit)

    @cached_property
    def elasticity(self) -> pd.DataFrame:
        return self._area_tables[0]

    @cached_property
    def fixed_effects(self) -> pd.DataFrame:
        fit = self._fit
        se = np.sqrt(np.diag(fit.beta_covariance))
        return pd.DataFrame({"name": self._design.feature_names, "estimate": fit.beta,
                             "std_error": se, "ci_low": fit.beta - _Z * se,
                             "ci_high": fit.beta + _Z * se})

    @cached_property
    def variance_components(self) -> dict:
        areas = self._area_tables[1]
        return {"engineer_sd": float(self._fit.engineer_sd),
                "engineer_area_sd": float(self._fit.engineer_area_sd),
                "noise_sd": dict(zip(areas["area"], map(float, areas["noise_sd"]),
                                     strict=True)),
                "identification": dict(self._identification)}

    @cached_property
    def _counts(self) -> dict[str, np.ndarray]:
        """Finished, open and all tickets per engineer and per cell."""
        design = self._design
        finished = ~design.censored
        n_engineers, n_cells = len(design.engineers), len(design.cell_engineer)
        return {
            "engineer_finished": np.bincount(design.engineer[finished], minlength=n_engineers),
            "engineer_open": np.bincount(design.engineer[~finished], minlength=n_engineers),
            "cell_finished": np.bincount(design.cell[finished], minlength=n_cells),
            "cell_open": np.bincount(design.cell[~finished], minlength=n_cells),
        }

    @cached_property
    def _engineer_records(self) -> pd.DataFrame:
        """An engineer's multiplier: the effect on their own ticket mix,
        exp(u + sum over their cells of share x v). Averaging over areas they
        never worked in would shrink it toward 1 by the number of areas when
        engineer and engineer x area effects are confounded."""
        fit, design, counts = self._fit, self._design, self._counts
        n_engineers = len(design.engineers)
        cell_tickets = counts["cell_finished"] + counts["cell_open"]
        engineer_tickets = counts["engineer_finished"] + counts["engineer_open"]
        share = cell_tickets / np.maximum(engineer_tickets[design.cell_engineer], 1)
        mean, variance, cross = fit.engineer_mix_effect(share)
        prior = fit.engineer_sd**2 + fit.engineer_area_sd**2 * np.bincount(
            design.cell_engineer, share**2, n_engineers)
        if self._levels is not None:
            # The declared levels of their own mix: k = sum of share x the cell's direction.
            mix = np.zeros((n_engineers, len(fit.beta)))
            np.add.at(mix, design.cell_engineer, share[:, None] * self._levels.cell_offsets)
            mean, variance = self._levels.shifted(mix, mean, variance, cross)
        sd = np.sqrt(variance)
        return pd.DataFrame({
            "scope": "engineer", "engineer": design.engineers, "area": None,
            "log_mean": mean, "log_sd": sd, **multiplier_summary(mean, sd),
            "n_finished": counts["engineer_finished"], "n_open": counts["engineer_open"],
            "shrinkage_weight": _weight(variance, prior),
            "fixed_cross_intercept": 0.0, "fixed_cross_elasticity": 0.0,
        })

    @cached_property
    def _cell_records(self) -> pd.DataFrame:
        fit, design, counts = self._fit, self._design, self._counts
        n_cells = len(design.cell_engineer)
        mean = fit.engineer_effect[design.cell_engineer] + fit.cell_effect
        variance, cross = fit.cell_effect_uncertainty()
        own_data = _weight(variance, fit.engineer_sd**2 + fit.engineer_area_sd**2)
        cells = np.arange(n_cells)
        slope = self._slope_columns[design.cell_area]
        intercept_cross = cross[cells, design.cell_area]
        if self._levels is not None:
            # The cell's declared level is part of its record, and of its cross
            # terms with the (team-typical) intercept and the elasticity.
            offsets = self._levels.cell_offsets
            mean, variance = self._levels.shifted(offsets, mean, variance, cross)
            cross = cross - offsets @ fit.beta_covariance
            intercept_cross = np.einsum("cp,cp->c", cross,
                                        self._levels.centring[design.cell_area])
        sd = np.sqrt(variance)
        return pd.DataFrame({
            "scope": "engineer_area",
            "engineer": np.asarray(design.engineers, dtype=object)[design.cell_engineer],
            "area": np.asarray(design.areas, dtype=object)[design.cell_area],
            "log_mean": mean, "log_sd": sd, **multiplier_summary(mean, sd),
            "n_finished": counts["cell_finished"], "n_open": counts["cell_open"],
            "shrinkage_weight": own_data,
            "fixed_cross_intercept": intercept_cross,
            "fixed_cross_elasticity": (np.zeros(n_cells) if self._assumed
                                       else cross[cells, slope]),
        })

    @cached_property
    def _raw_ratios(self) -> tuple[np.ndarray, np.ndarray]:
        """Unpooled ratios: the mean residual of finished tickets against the
        fixed part, per engineer and per cell (what per-person averages of
        actual / typical would say)."""
        fit, design, counts = self._fit, self._design, self._counts
        finished = ~design.censored
        if self._levels is None:
            fixed_part = design.patterns[design.pattern] @ fit.beta
        else:
            # Against the team-typical engineer (the multipliers' 1), ramp-up
            # taken out: the level's part stays in the ratio, as in the records.
            fixed_part = (design.row_design() @ fit.beta
                          - (self._levels.cell_offsets @ fit.beta)[design.cell])
        residual = np.where(finished, design.log_duration - fixed_part, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            engineer = np.exp(np.bincount(design.engineer, residual, len(design.engineers))
                              / counts["engineer_finished"])
            cell = np.exp(np.bincount(design.cell, residual, len(design.cell_engineer))
                          / counts["cell_finished"])
        return engineer, cell

    @cached_property
    def _unseen_engineer_sd(self) -> float:
        # Only when no between-person spread is estimated at all is one assumed;
        # when just the split is not identified, the sum (held as engineer x
        # area) is the spread a new person is drawn from.
        if self._identification["engineer_area_sd"] == "not identified":
            return ASSUMED_ENGINEER_SD
        return float(np.sqrt(self._fit.engineer_sd**2 + self._fit.engineer_area_sd**2))

    @cached_property
    def multipliers(self) -> Multipliers:
        design = self._design
        unseen_sd = self._unseen_engineer_sd
        population = pd.DataFrame({
            "scope": ["population"], "engineer": [None], "area": [None],
            "log_mean": [0.0], "log_sd": [unseen_sd],
            **{k: v.reshape(1) for k, v in multiplier_summary(0.0, unseen_sd).items()},
            "n_finished": [int((~design.censored).sum())], "n_open": [self.n_censored],
            "shrinkage_weight": [0.0],
            "fixed_cross_intercept": [0.0], "fixed_cross_elasticity": [0.0],
        })
        new_areas = _new_area_records(
            self._fit, design, self._slope_columns, self._assumed,
            centring=None if self._levels is None else self._levels.centring)
        records = pd.concat([population, self._engineer_records, self._cell_records, new_areas],
                            ignore_index=True)[RECORD_COLUMNS]
        records = records.sort_values(["scope", "engineer", "area"], key=_scope_order,
                                      na_position="first").reset_index(drop=True)
        return Multipliers(records=records, areas=self._area_tables[1], model=self._model(),
                           window=_window(self._tickets),
                           calendar=self.calendar.to_dict() if self.calendar else None,
                           skills=self._skills_section())

    def _model(self) -> dict:
        """The ``model`` section of the multipliers file."""
        design, fit, settings = self._design, self._fit, self._settings
        return {
            "reference_points": float(design.reference_points),
            "zero_points": float(design.zero_points),
            "engineer_sd": float(fit.engineer_sd),
            "engineer_area_sd": float(fit.engineer_area_sd),
            "unseen_engineer_sd": float(self._unseen_engineer_sd),
            "identification": dict(self._identification),
            "cap_days": float(settings["cap_days"]),
            "confidence": float(settings["confidence"]),
            "noise": settings["noise"],
            "slopes": self._slopes,
            "pooled_areas": list(self._pooled_areas),
            "min_area_tickets": int(settings["min_area_tickets"]),
            "method": settings["method"],
            "half_life_days": (None if settings["half_life_days"] is None
                               else float(settings["half_life_days"])),
            "abandonment": bool(settings["abandonment"]),
            "abandoned_share": float(self._design_fit.abandoned_share),
            "clock": _clock(self._tickets["clock"]),
            # Points the fit has seen (finished tickets): predictions beyond extrapolate.
            "points_range": _points_range(self._tickets),
        }

    @cached_property
    def engineer_multipliers(self) -> pd.DataFrame:
        table = self._engineer_records.drop(columns=["scope", "area", *_INTERNAL]).assign(
            raw_ratio=self._raw_ratios[0])
        return table.sort_values("engineer", key=name_order).reset_index(drop=True)

    @cached_property
    def engineer_area_multipliers(self) -> pd.DataFrame:
        table = self._cell_records.drop(columns=["scope", *_INTERNAL]).assign(
            raw_ratio=self._raw_ratios[1])
        return table.sort_values(["engineer", "area"], key=name_order).reset_index(drop=True)

    @cached_property
    def aging_work(self) -> pd.DataFrame:
        open_rows = np.flatnonzero(self._design.censored)
        aging = self._tickets.iloc[open_rows][
            ["ticket_id", "title", "engineer", "area", "points", "started_at", "duration_days"]
        ].rename(columns={"duration_days": "age_days"}).assign(
            p_abandoned=self._design_fit.p_abandoned[open_rows])
        return aging.sort_values(["p_abandoned", "age_days"],
                                 ascending=False).reset_index(drop=True)

    @cached_property
    def points_test(self) -> dict | None:
        return self._points_test()

    # -- declared skills and ramp-up (with skill profiles) ----------------
    @cached_property
    def _level_table(self) -> pd.DataFrame | None:
        """Per area and level present: the effect, the team-relative offset and
        the covariances a prediction from a declared level needs."""
        levels, terms = self._levels, self._design.skills
        if levels is None:
            return None
        fit, categories = self._fit, terms.categories
        p = len(fit.beta)
        directions = terms.offsets(categories["area_code"].to_numpy(),
                                   categories["level"].to_numpy(dtype=object), p)
        column = categories["column"].to_numpy()
        own = column >= 0
        effect = np.where(own, fit.beta[np.where(own, column, 0)], 0.0)
        diagonal = np.diag(fit.beta_covariance)
        se = np.where(own, np.sqrt(diagonal[np.where(own, column, 0)]), 0.0)
        weighted = directions @ fit.beta_covariance
        codes = categories["area_code"].to_numpy()
        slope = self._slope_columns[codes]
        reference = categories.loc[categories["reference"]].set_index("area")["level"]
        with np.errstate(divide="ignore", invalid="ignore"):
            p_value = np.where(own, 2 * normal_sf(np.abs(effect / se)), np.nan)
        return pd.DataFrame({
            "area": categories["area"], "level": categories["level"],
            "reference": categories["area"].map(reference),
            "effect": effect, "std_error": se,
            "ci_low": effect - _Z * se, "ci_high": effect + _Z * se,
            "multiplier": np.exp(effect), "multiplier_low": np.exp(effect - _Z * se),
            "multiplier_high": np.exp(effect + _Z * se), "p_value": p_value,
            "team_multiplier": np.exp(directions @ fit.beta),
            "share": categories["share"], "n_engineers": categories["n_engineers"],
            "n_tickets": categories["n_tickets"], "n_finished": categories["n_finished"],
            "offset": directions @ fit.beta,
            "var_offset": np.einsum("kp,kp->k", weighted, directions),
            "cov_offset_intercept": np.einsum("kp,kp->k", weighted, levels.centring[codes]),
            "cov_offset_elasticity": (np.zeros(len(codes)) if self._assumed
                                      else weighted[np.arange(len(codes)), slope]),
        })

    @cached_property
    def level_effects(self) -> pd.DataFrame | None:
        """The effect of each declared level per area (None without profiles).

        One row per area with declarations and level present among the
        engineers with tickets there (``undeclared``: those who declared no
        level in an area others did). ``effect`` is on log working days,
        relative to the area's lowest level present (``reference``: its row
        has effect 0), with ``std_error``, 90% interval ``ci_low`` /
        ``ci_high``, ``multiplier`` = exp(effect) and its interval, and
        ``p_value`` (Wald, effect = 0). ``team_multiplier`` is the level
        against the team's typical engineer in the area (the multipliers'
        1: the team's mix of levels, weighted by ``share``, the level's
        share of the area's engineers). ``n_engineers``, ``n_tickets``,
        ``n_finished``: the engineers with tickets in the area at that level,
        and their tickets.
        """
        table = self._level_table
        if table is None:
            return None
        return table.drop(columns=["offset", "var_offset", "cov_offset_intercept",
                                   "cov_offset_elasticity"])

    @cached_property
    def level_test(self) -> dict | None:
        """Wald test of "the declarations carry no signal": every declared
        level's effect 0, in every area (``undeclared`` left out).

        Returns ``statistic``, ``df``, ``p_value`` and ``method`` ("Wald",
        chi-square on df degrees of freedom, at the fitted variances); None
        without profiles or without any estimable declared level effect.
        """
        terms = self._design.skills
        if terms is None:
            return None
        categories = terms.categories
        columns = categories.loc[(categories["column"] >= 0)
                                 & (categories["level"] != UNDECLARED), "column"].to_numpy()
        if not len(columns):
            return None
        estimate = self._fit.beta[columns]
        covariance = self._fit.beta_covariance[np.ix_(columns, columns)]
        statistic = float(estimate @ np.linalg.solve(covariance, estimate))
        return {"statistic": statistic, "df": len(columns),
                "p_value": float(chi2_sf(statistic, len(columns))), "method": "Wald"}

    @cached_property
    def declared_vs_measured(self) -> pd.DataFrame | None:
        """Where the tickets agree with the declared levels, and where they
        clearly do not (None without profiles).

        One row per engineer x area with tickets in an area with
        declarations: the ``declared`` level and what it predicts against
        the team's typical engineer (``declared_multiplier``, the level's
        ``team_multiplier``), the ``measured`` multiplier (the engineer x
        area record: level, engineer and engineer x area effects) with a 90%
        interval for the engineer's own part (``measured_low``,
        ``measured_high``: the prediction error of u + v), the
        ``closest_level`` (the area's level whose multiplier is nearest the
        measured one) and ``verdict``: ``faster than declared`` or ``slower
        than declared`` when the interval excludes the declared level's
        multiplier, else ``consistent``. With many rows, about one in ten
        consistent declarations is flagged by chance at 90%.
        """
        terms, table = self._design.skills, self._level_table
        if terms is None:
            return None
        design, fit = self._design, self._fit
        declared = np.array([level is not None for level in terms.cell_level])
        records = self._cell_records
        variance, _ = fit.cell_effect_uncertainty()
        mean = records["log_mean"].to_numpy()
        keys = pd.MultiIndex.from_arrays([table["area"], table["level"]])
        offsets = pd.Series(table["offset"].to_numpy(), index=keys)
        cell_areas = np.asarray(design.areas, dtype=object)[design.cell_area]
        expected = offsets.reindex(pd.MultiIndex.from_arrays(
            [cell_areas, terms.cell_level])).to_numpy(dtype=float)
        half = _Z * np.sqrt(variance)
        low, high = np.exp(mean - half), np.exp(mean + half)
        verdict = np.where(high < np.exp(expected), "faster than declared",
                           np.where(low > np.exp(expected), "slower than declared",
                                    "consistent"))
        closest = [_closest_level(offsets, area, value)
                   for area, value in zip(cell_areas, mean, strict=True)]
        frame = pd.DataFrame({
            "engineer": records["engineer"], "area": records["area"],
            "declared": terms.cell_level, "declared_multiplier": np.exp(expected),
            "measured": np.exp(mean), "measured_low": low, "measured_high": high,
            "closest_level": closest, "verdict": verdict,
            "n_finished": records["n_finished"], "n_open": records["n_open"],
        })[declared]
        return frame.sort_values(["engineer", "area"], key=name_order).reset_index(drop=True)

    @cached_property
    def ramp_up(self) -> dict | None:
        """The fitted ramp-up of new members (None without a ramp-up term).

        The slowdown of a ticket started ``w`` weeks after its engineer's
        start date is a factor exp(rho exp(-w / tau)) on its duration.
        Keys: ``scale_weeks`` (tau) with its 90% profile-likelihood interval
        ``scale_low`` / ``scale_high`` (None: beyond the scales tried, a
        week to two years), ``slowdown`` (rho, log scale) and
        ``slowdown_se`` at tau, ``initial_multiplier`` (exp(rho): the first
        week's factor) with ``initial_low`` / ``initial_high``,
        ``weeks_to_typical`` — N, the weeks after which the remaining
        slowdown factor is below 1 + ``within`` (10%): N = tau log(rho /
        log 1.1), 0 when rho is already below — with ``weeks_low`` /
        ``weeks_high``, ``n_engineers`` and ``n_tickets`` (tickets started
        while the slowdown was still 10% of its initial value or more, and
        their engineers) and ``statement``, the sentence for a report.

        Intervals other than tau's integrate over tau: the profile
        likelihood on a grid of log tau (flat prior), and rho given tau
        normal with its GLS estimate and standard error.
        """
        ramp = self._design_fit.ramp
        if ramp is None:
            return None
        summary = _ramp_summary(ramp, *self._slowdown)
        design = self._design
        early = np.isfinite(design.ramp_weeks) & (design.ramp_weeks < ramp.scale * np.log(10))
        summary["n_engineers"] = int(len(np.unique(design.engineer[early])))
        summary["n_tickets"] = int(early.sum())
        return summary

    def ramp_up_curve(self, weeks: Sequence[float] = tuple(range(0, 53))) -> pd.DataFrame | None:
        """The ramp-up slowdown factor by weeks on the team, with a 90% band.

        Returns a table of ``weeks``, ``multiplier`` (exp(rho exp(-weeks /
        tau)) at the estimates), ``low`` and ``high`` (the 5% and 95%
        points, integrating over tau as in :attr:`ramp_up`); None without a
        ramp-up term.
        """
        ramp = self._design_fit.ramp
        if ramp is None:
            return None
        weeks = np.asarray(weeks, dtype=float)
        weights = _ramp_weights(ramp)
        bands = np.array([[_slowdown_quantile(ramp, weights, w, q) for q in (0.05, 0.95)]
                          for w in weeks]).reshape(len(weeks), 2)
        return pd.DataFrame({
            "weeks": weeks,
            "multiplier": np.exp(self._slowdown[0] * np.exp(-weeks / ramp.scale)),
            "low": np.exp(bands[:, 0]), "high": np.exp(bands[:, 1])})

    @cached_property
    def _slowdown(self) -> tuple[float, float]:
        """rho (log scale) and its standard error, at the fitted scale."""
        column = self._design.skills.ramp_column
        return (float(self._fit.beta[column]),
                float(np.sqrt(self._fit.beta_covariance[column, column])))

    def _skills_section(self) -> dict | None:
        """The ``skills`` section of the multipliers file."""
        terms, table = self._design.skills, self._level_table
        if terms is None:
            return None
        profiles = terms.profiles
        columns = ["area", "level", "reference", "effect", "std_error", "offset", "var_offset",
                   "cov_offset_intercept", "cov_offset_elasticity", "share", "n_engineers",
                   "n_tickets"]
        ramp = self.ramp_up
        return {
            "levels": list(profiles.scale),
            "level_effects": table[columns].to_dict(orient="records"),
            "profiles": profiles.levels[["engineer", "area", "level"]].to_dict(orient="records"),
            "start_dates": {engineer: start.date().isoformat()
                            for engineer, start in profiles.start_dates.items()},
            "ramp_up": None if ramp is None else {
                key: ramp[key] for key in ("scale_weeks", "scale_low", "scale_high",
                                           "slowdown", "slowdown_se", "within",
                                           "weeks_to_typical", "weeks_low", "weeks_high")},
        }

    # -- questions a planner asks -----------------------------------------
    @property
    def cap_days(self) -> float:
        return self.multipliers.model["cap_days"]

    @property
    def confidence(self) -> float:
        return self.multipliers.model["confidence"]

    def predict(self, engineer, area, points, budget_days: float | None = None,
                points_scale: dict[str, float] | None = None, *, profile=None,
                start_date=None, on=None, unseen_levels: str = "borrow") -> pd.DataFrame:
        """Predictive distribution of working days for tickets, in full precision.

        The same computation as :meth:`calibrate.export.Multipliers.predict`
        (which this delegates to; parameters, columns — ``note`` flags what
        the history cannot vouch for — and fallbacks there), so a
        multipliers file read back gives identical predictions. With skill
        profiles, ``profile``, ``start_date`` and ``on`` predict from a
        declared profile and a ramp-up, and ``unseen_levels`` says how a
        declared level never estimated in an area is valued (there too).

        Examples
        --------
        >>> from calibrate import Calibrator, read_export
        >>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
        >>> result = Calibrator().fit(read_export(SAMPLE, config=CONFIG)).result_
        >>> prediction = result.predict("Priya Raman", "research", [1, 3, 5])
        >>> prediction["basis"].tolist()
        ['engineer x area', 'engineer x area', 'engineer x area']
        >>> bool(prediction["p50_days"].is_monotonic_increasing)
        True
        """
        return self.multipliers.predict(engineer, area, points, budget_days=budget_days,
                                        points_scale=points_scale, profile=profile,
                                        start_date=start_date, on=on,
                                        unseen_levels=unseen_levels)

    def overrun_probabilities(self, points: Sequence[float] = (1, 2, 3, 5, 8)) -> pd.DataFrame:
        """P(a ticket of N points takes more than N working days), per engineer x area.

        Returns a table with one row per engineer x area and a column
        ``p_over_N`` per points value N, plus the tickets behind each row.
        """
        cells = self.engineer_area_multipliers
        table = cells[["engineer", "area", "n_finished", "n_open"]].copy()
        p_over = self._cells_by_points(points)["p_over_points"].to_numpy()
        for index, value in enumerate(points):
            table[f"p_over_{value:g}"] = p_over[index * len(cells):(index + 1) * len(cells)]
        return table.reset_index(drop=True)

    def _cells_by_points(self, points: Sequence[float],
                         budget_days: float | None = None) -> pd.DataFrame:
        """Predictions for every engineer x area at each of ``points``, in one
        call: the cells for the first value, then for the second, ..."""
        cells = self.engineer_area_multipliers
        count = len(cells)
        return self.predict(np.tile(cells["engineer"].to_numpy(dtype=object), len(points)),
                            np.tile(cells["area"].to_numpy(dtype=object), len(points)),
                            np.repeat(np.asarray(points, dtype=float), count),
                            budget_days=budget_days)

    def recommended_sizes(self, cap_days: float | None = None, confidence: float | None = None,
                          scale: Sequence[float] = DEFAULT_POINT_SCALE) -> pd.DataFrame:
        """The largest ticket size that fits the cap, per engineer x area.

        For each engineer x area, the largest points value on ``scale`` whose
        predicted duration stays within ``cap_days`` working days with
        probability at least ``confidence``; 0 when even the smallest size
        does not (such tickets should be split). The team's assumption is the
        reference size within the cap (``reference_points`` within ``cap_days``;
        3 points within 3 days by default). For lead time, pass the lead-time
        cap (:attr:`~calibrate.export.Multipliers.verdict_cap`): the default
        ``cap_days`` is a cap on work.
        """
        cap = self.cap_days if cap_days is None else cap_days
        level = self.confidence if confidence is None else confidence
        cells = self.engineer_area_multipliers[["engineer", "area", "n_finished", "n_open"]]
        sizes = np.asarray(scale, dtype=float)
        reference = self.multipliers.model["reference_points"]
        p_over = self._cells_by_points([*sizes, reference], budget_days=cap)["p_over_budget"]
        # One row per cell, one column per size of the scale, then the reference size.
        fits = 1 - p_over.to_numpy().reshape(len(sizes) + 1, len(cells)).T
        fits, p_reference = fits[:, :-1], fits[:, -1]
        # Largest size that fits (not necessarily the last that does: with a
        # negative elasticity larger sizes fit better); 0 when none does.
        ok = fits >= level
        chosen = np.where(ok, sizes, -np.inf).argmax(axis=1) if len(sizes) else np.zeros(0, int)
        fitting = ok.any(axis=1)
        largest = np.where(fitting, sizes[chosen] if len(sizes) else 0.0, 0.0)
        p_fit = np.where(fitting & (largest != 0),
                         fits[np.arange(len(cells)), chosen] if len(sizes) else np.nan, np.nan)
        return cells.assign(
            recommended_points=largest,
            p_within_cap=p_fit,
            p_reference_within_cap=p_reference,
            cap_days=cap,
            confidence=level,
        ).reset_index(drop=True)

    def for_engineers(self, engineers: Sequence[str]) -> CalibrationResult:
        """The same result, showing only some engineers (e.g. for a report).

        The model is unchanged; the engineer and engineer x area tables and
        records are filtered (the population record stays), so every table,
        prediction and plot drawn from the copy covers just these engineers.
        """
        keep = set(engineers)
        records = self.multipliers.records
        records = records[(records["scope"] == "population") | records["engineer"].isin(keep)]
        return self._with(
            multipliers=dataclasses.replace(self.multipliers,
                                            records=records.reset_index(drop=True)),
            engineer_multipliers=self.engineer_multipliers[
                self.engineer_multipliers["engineer"].isin(keep)].reset_index(drop=True),
            engineer_area_multipliers=self.engineer_area_multipliers[
                self.engineer_area_multipliers["engineer"].isin(keep)].reset_index(drop=True),
        )

    def with_lead_cap(self, lead_cap_days: float | None) -> CalibrationResult:
        """The same result with a cap for lead time (working days from creation
        to done; None: no cap). Durations measured as lead time (``clock``
        ``lead`` or ``mixed``) are judged only against it — never against
        the team's work cap — in the summary, the report and the file.
        See :attr:`calibrate.export.Multipliers.verdict_cap`."""
        return self._with(multipliers=self.multipliers.with_lead_cap(lead_cap_days))

    def to_frame(self) -> pd.DataFrame:
        """One tidy table: every multiplier record, with the overrun
        probability of a reference-size ticket and the recommended size."""
        records = self.multipliers.records.copy()
        sizes = self.recommended_sizes()[["engineer", "area", "recommended_points",
                                          "p_reference_within_cap"]]
        return records.merge(sizes, on=["engineer", "area"], how="left")

    def summary(self) -> Summary:
        """The summary: ``str()`` gives text, a notebook shows HTML, and
        ``.tables`` holds the frames.

        Overrun verdicts ("where the assumption breaks", recommended sizes)
        are given against :attr:`~calibrate.export.Multipliers.verdict_cap`:
        the team's cap for cycle time; for lead time (and a mix of lead and
        cycle time, read as lead time) only the lead-time cap, when one is
        set (:meth:`with_lead_cap`) — without one, that table gives the
        typical lead time instead, with no verdicts.
        """
        after = []
        test = self.points_test
        if test:
            after.append(f"Points as log-linear vs as categories (LR test, ML): "
                         f"chi2={test['statistic']:.2f}, df={test['df']}, "
                         f"p={test['p_value']:.3g}")
        tables = _summary_tables(self)
        if self.level_effects is not None:
            tables["Declared levels (multiplier against the area's lowest level, 90% interval)"] = \
                self.level_effects[["area", "level", "multiplier", "multiplier_low",
                                    "multiplier_high", "p_value", "n_engineers", "n_tickets"]]
            levels = self.level_test
            if levels:
                after.append("Test that the declared levels carry no signal (Wald): "
                             f"chi2={levels['statistic']:.2f}, df={levels['df']}, "
                             f"p={levels['p_value']:.3g}")
        if self.ramp_up is not None:
            after.append("Ramp-up: " + self.ramp_up["statement"] + ".")
        after.append("Multipliers are planning aids reflecting estimates, ticket mix and "
                     "context, not a ranking of people.")
        return Summary("Calibration summary", tables, before=_clock_notes(self), after=after)


def _weight(posterior_variance: np.ndarray, prior_variance) -> np.ndarray:
    """Share of the estimate that comes from the engineer's own data:
    1 - posterior variance / prior variance (0 = all pooled, 1 = all own data)."""
    prior = np.broadcast_to(np.asarray(prior_variance, dtype=float), np.shape(posterior_variance))
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = np.where(prior > 0, 1 - posterior_variance / prior, 0.0)
    return np.clip(weight, 0.0, 1.0)


def _area_tables(fit, design, slope_columns: np.ndarray, assumed: bool,
                 centring: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The elasticity table (with its test of elasticity = 1) and the per-area
    parameters the multipliers file carries. With declared levels, the
    intercept is the team-typical one: c' beta for the rows c of ``centring``
    (the reference level's intercept plus the team's mix of level effects)."""
    areas = design.areas
    n_areas = len(areas)
    covariance = fit.beta_covariance
    se = np.sqrt(np.diag(covariance))
    if assumed:
        # Elasticity 1 is an assumption (an offset), not an estimate.
        slope_estimate, slope_se = np.ones(n_areas), np.zeros(n_areas)
        slope_var, slope_cov = np.zeros(n_areas), np.zeros(n_areas)
    else:
        slope_estimate, slope_se = fit.beta[slope_columns], se[slope_columns]
        slope_var = np.diag(covariance)[slope_columns]
        slope_cov = covariance[np.arange(n_areas), slope_columns]
    elasticity = pd.DataFrame({"area": areas, "elasticity": slope_estimate,
                               "std_error": slope_se})
    elasticity["ci_low"] = elasticity["elasticity"] - _Z * elasticity["std_error"]
    elasticity["ci_high"] = elasticity["elasticity"] + _Z * elasticity["std_error"]
    with np.errstate(divide="ignore", invalid="ignore"):
        elasticity["z_vs_1"] = (elasticity["elasticity"] - 1) / elasticity["std_error"]
    elasticity["p_value_vs_1"] = 2 * normal_sf(np.abs(elasticity["z_vs_1"]))
    if assumed:
        elasticity[["z_vs_1", "p_value_vs_1"]] = np.nan  # not tested: assumed
    # Shared: this area's elasticity is estimated together with other areas'.
    users = pd.Series(slope_columns).map(pd.Series(slope_columns).value_counts())
    elasticity["shared"] = (not assumed) & (users.to_numpy() > 1)
    elasticity["assumed"] = assumed
    group_of_area = np.zeros(n_areas, dtype=int)
    group_of_area[design.cell_area] = fit._sums.group
    noise_sd = fit.sigma[group_of_area]
    finished = ~design.censored
    intercept, intercept_var = fit.beta[:n_areas], np.diag(covariance)[:n_areas]
    if centring is not None:
        intercept = centring @ fit.beta
        weighted = centring @ covariance
        intercept_var = np.einsum("ap,ap->a", weighted, centring)
        slope_cov = np.zeros(n_areas) if assumed else weighted[np.arange(n_areas), slope_columns]
    area_table = pd.DataFrame({
        "area": areas,
        "intercept": intercept,
        "elasticity": slope_estimate,
        "noise_sd": noise_sd,
        "var_intercept": intercept_var,
        "var_elasticity": slope_var,
        "cov_intercept_elasticity": slope_cov,
        "n_finished": np.bincount(design.area[finished], minlength=n_areas),
        "n_open": np.bincount(design.area[~finished], minlength=n_areas),
    })
    return elasticity, area_table


def _new_area_records(fit, design, slope_columns: np.ndarray, assumed: bool,
                      centring: np.ndarray | None = None) -> pd.DataFrame:
    """Records for a known engineer in an area they have no tickets in.

    The best linear predictor of u + v_new is the engineer effect u alone
    (v_new is independent of all data), with prediction-error variance
    PEV(u) + engineer_area_sd^2 and u's cross terms with the area's fixed effects
    (with declared levels: with its team-typical intercept, rows of
    ``centring``; the engineer's level there is added when predicting).
    """
    n_engineers, n_areas = len(design.engineers), len(design.areas)
    has_cell = np.zeros((n_engineers, n_areas), dtype=bool)
    has_cell[design.cell_engineer, design.cell_area] = True
    engineer, area = np.nonzero(~has_cell)
    # One more per engineer for an area the model has never seen (area -1).
    engineer = np.concatenate([engineer, np.arange(n_engineers)])
    area = np.concatenate([area, np.full(n_engineers, -1)])
    known = area >= 0
    columns = ["scope", "engineer", "area", "log_mean", "log_sd", "median", "mean", "p10", "p90",
               "n_finished", "n_open", "shrinkage_weight", "fixed_cross_intercept",
               "fixed_cross_elasticity"]
    mean, variance, cross = fit.engineer_mix_effect(np.zeros(len(design.cell_engineer)))
    intercept_cross = cross if centring is None else cross @ centring.T
    prior = fit.engineer_sd**2 + fit.engineer_area_sd**2
    total_variance = variance[engineer] + fit.engineer_area_sd**2
    log_sd = np.sqrt(total_variance)
    return pd.DataFrame({
        "scope": "engineer_new_area",
        "engineer": np.asarray(design.engineers, dtype=object)[engineer],
        "area": np.where(known, np.asarray(design.areas + [None], dtype=object)[area], None),
        "log_mean": mean[engineer],
        "log_sd": log_sd,
        **multiplier_summary(mean[engineer], log_sd),
        "n_finished": 0,
        "n_open": 0,
        "shrinkage_weight": _weight(total_variance, prior),
        "fixed_cross_intercept": np.where(known, intercept_cross[engineer, area], 0.0),
        "fixed_cross_elasticity": (np.zeros(len(engineer)) if assumed else np.where(
            known, cross[engineer, slope_columns[area]], 0.0)),
    })[columns]


def _scope_order(values: pd.Series) -> pd.Series:
    if values.name == "scope":
        return values.map({"population": 0, "engineer": 1, "engineer_area": 2,
                           "engineer_new_area": 3})
    return values


def _clock(clocks: pd.Series) -> str:
    """What the durations measure: ``cycle``, ``lead`` or ``mixed`` (both kinds)."""
    kinds = set(clocks.astype(str).unique())
    return kinds.pop() if len(kinds) == 1 else "mixed"


def _window(tickets: pd.DataFrame) -> dict:
    """The fitted tickets' time window, as the multipliers file records it."""
    starts = tickets["started_at"]
    return {
        "first_start": _iso(starts.min()),
        "last_finish": _iso(tickets["finished_at"].max()),
        "as_of": _iso(max(tickets["finished_at"].max(), tickets["created_at"].max(),
                          starts.max())),
    }


def _iso(value) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).isoformat()


def _flag(state: str) -> str:
    """A row-label suffix for a variance component that is not an estimate."""
    return "" if state in ("estimated", "poorly determined") else f" [{state}]"


def _clock_notes(result: CalibrationResult) -> list[str]:
    """What the durations measure and which cap they are judged against
    (empty for cycle time: the team's cap applies)."""
    multipliers = result.multipliers
    clock, cap = multipliers.clock, multipliers.model["cap_days"]
    if clock not in ("lead", "mixed"):
        return []
    what = ("Durations are lead time: working days from creation to done, waiting in the "
            "backlog included (the export records no start of work)." if clock == "lead"
            else "Durations mix lead time (creation to done: tickets without a start of "
                 "work) and cycle time (start of work to done); they are read as lead time.")
    how = ("For work time (cycle time), read an export that records the start of work: "
           "Jira REST JSON with the changelog, Linear's CSV (Started), or a CSV with "
           "started_at.")
    lead_cap = multipliers.verdict_cap
    if lead_cap is None:
        verdict = (f"Lead time is not judged against the work cap of {cap:g} days: no "
                   "overrun verdicts. To judge it, set a lead-time cap "
                   "(result.with_lead_cap(days), lead_cap_days in calibrate.toml [model], "
                   "or --lead-cap-days).")
    else:
        verdict = (f"Verdicts are against the lead-time cap of {lead_cap:g} working days "
                   f"from creation to done, not the work cap of {cap:g} days.")
    return [what, how, verdict]


def _summary_tables(result: CalibrationResult) -> dict[str, pd.DataFrame]:
    """The summary's tables, by title."""
    multipliers = result.multipliers
    model = multipliers.model
    reference = model["reference_points"]
    clock = multipliers.clock
    lead = clock in ("lead", "mixed")
    cap = multipliers.verdict_cap
    identification = result.variance_components["identification"]
    overview = pd.DataFrame({
        "value": [
            result.n_tickets, result.n_censored,
            len(result.engineer_multipliers), len(result.elasticity),
            {"cycle": "cycle (start of work to done)",
             "lead": "lead (creation to done)",
             "mixed": "mixed lead and cycle (read as lead)"}.get(clock, clock),
            ("none (lead time)" if cap is None else
             f"{cap:g} working days" + (" of lead time" if lead else "")),
            f"{model['method'].upper()}, noise sd per {model['noise']}",
            result.em_iterations, "yes" if result.converged else "NO",
            f"{result.variance_components['engineer_sd']:.3f}",
            f"{result.variance_components['engineer_area_sd']:.3f}",
            identification["split"],
            int((result.aging_work["p_abandoned"] > 0.5).sum()),
            "none" if model.get("half_life_days") is None
            else f"{model['half_life_days']:g} days",
        ]},
        index=["tickets", "open (censored)", "engineers", "areas", "clock",
               "cap for verdicts", "fit", "EM iterations", "converged",
               "engineer sd (log)" + _flag(identification["engineer_sd"]),
               "engineer x area sd (log)" + _flag(identification["engineer_area_sd"]),
               "engineer vs engineer x area", "open, likely abandoned",
               "recency half-life"])
    elasticity = result.elasticity[["area", "elasticity", "std_error", "ci_low",
                                    "ci_high", "p_value_vs_1"]].copy()
    elasticity.insert(1, f"median days at {reference:g} points", np.exp(
        multipliers.areas["intercept"].to_numpy()))
    elasticity.insert(2, "noise sd", multipliers.areas["noise_sd"].to_numpy())
    engineers = result.engineer_multipliers[
        ["engineer", "median", "p10", "p90", "n_finished", "n_open", "shrinkage_weight",
         "raw_ratio"]]
    if cap is not None:
        sizes = result.recommended_sizes(cap_days=cap)
        column = f"p_{reference:g}_points_over_{cap:g}_days"
        breaks = sizes.assign(**{column: 1 - sizes["p_reference_within_cap"]}).sort_values(
            column, ascending=False)[
            ["engineer", "area", column, "recommended_points", "n_finished"]]
        if lead:
            title = (f"Where a {reference:g}-point ticket overruns the lead-time cap "
                     f"({cap:g} working days from creation to done, "
                     f"{result.confidence:.0%} confidence)")
        else:
            title = (f"Where the {reference:g}-point assumption breaks (cap {cap:g} "
                     f"working days, {result.confidence:.0%} confidence)")
    else:
        cells = result.engineer_area_multipliers
        prediction = result.predict(cells["engineer"], cells["area"],
                                    np.full(len(cells), reference))
        breaks = cells[["engineer", "area"]].assign(
            median_days=prediction["p50_days"].to_numpy(),
            p10_days=prediction["p10_days"].to_numpy(),
            p90_days=prediction["p90_days"].to_numpy(),
            n_finished=cells["n_finished"].to_numpy())
        title = (f"Typical lead time of a {reference:g}-point ticket (working days from "
                 "creation to done; no cap verdicts)")
    return {
        "Model": overview,
        "Points elasticity per area (1 = proportional)": elasticity,
        "Engineer multipliers (1 = team typical)": engineers,
        title: breaks,
    }


def _points_range(tickets: pd.DataFrame) -> list[float]:
    """[smallest, largest] points of the finished tickets (of all, if none finished)."""
    points = tickets.loc[~tickets["censored"].astype(bool), "points"]
    points = points if len(points) else tickets["points"]
    return [float(points.min()), float(points.max())]


# -------------------------------------------------------------- declared skills


@dataclasses.dataclass(frozen=True)
class _LevelAlgebra:
    """Declared levels in the fixed effects: the team-typical intercept of
    each area (rows of ``centring``: c' beta) and each cell's centred level
    (rows of ``cell_offsets``: k' beta, the level's effect minus the team's
    mix in the area; 0 in areas without declarations)."""

    centring: np.ndarray
    cell_offsets: np.ndarray
    beta: np.ndarray
    covariance: np.ndarray

    @classmethod
    def of(cls, terms, design, fit) -> _LevelAlgebra:
        p = len(fit.beta)
        offsets = terms.offsets(design.cell_area, terms.cell_level, p)
        return cls(terms.centring(p, len(design.areas)), offsets, fit.beta,
                   fit.beta_covariance)

    def shifted(self, directions: np.ndarray, mean: np.ndarray, variance: np.ndarray,
                cross: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and prediction-error variance of an effect plus k' beta, for
        rows k of ``directions``, given the effect's cross terms M q (Henderson:
        Var = PEV + k'Mk - 2 k'Mq)."""
        weighted = directions @ self.covariance
        return (mean + directions @ self.beta,
                variance + np.einsum("kp,kp->k", weighted, directions)
                - 2 * np.einsum("kp,kp->k", directions, cross))


def _closest_level(offsets: pd.Series, area: str, log_multiplier: float) -> str | None:
    """The area's level whose team-relative effect is nearest ``log_multiplier``."""
    if area not in offsets.index.get_level_values(0):
        return None
    own = offsets.loc[area]
    own = own[own.index != UNDECLARED]
    if own.empty:
        return None
    return str((own - log_multiplier).abs().idxmin())


def _ramp_weights(ramp: RampFit) -> np.ndarray:
    """Weights of the profiled scales: the profile likelihood times the
    width each grid point stands for on the log scale (a flat prior on log tau)."""
    log_scales = np.log(ramp.scales)
    edges = np.concatenate([[log_scales[0]], (log_scales[1:] + log_scales[:-1]) / 2,
                            [log_scales[-1]]])
    width = np.diff(edges)
    width = np.where(width > 0, width, 1e-12)
    relative = -(ramp.criterion - np.nanmin(ramp.criterion)) / 2
    weight = np.where(np.isfinite(relative), np.exp(relative), 0.0) * width
    return weight / weight.sum()


def _mixture_cdf(ramp: RampFit, weights: np.ndarray, bound: np.ndarray) -> float:
    """P(rho <= bound_j) summed over the scales with ``weights`` (rho given
    tau_j normal with its GLS estimate and standard error)."""
    se = np.where(ramp.slowdown_se > 0, ramp.slowdown_se, 1e-12)
    # special.ndtr is stats.norm.cdf without its per-call overhead: root-finding
    # calls this thousands of times for a ramp-up curve.
    return float(weights @ special.ndtr((bound - ramp.slowdown) / se))


def _slowdown_quantile(ramp: RampFit, weights: np.ndarray, weeks: float, q: float) -> float:
    """The q-quantile of the log slowdown rho exp(-weeks / tau) after ``weeks``."""
    growth = np.exp(np.minimum(weeks / ramp.scales, 700.0))

    def cdf(t: float) -> float:
        return _mixture_cdf(ramp, weights, t * growth) - q

    spread = float(np.max(np.abs(ramp.slowdown) + 10 * ramp.slowdown_se)) + 1.0
    # At scales far below the data's weeks the slowdown is barely identified
    # (estimates of 1e26 on thin histories): bisecting from such a bracket down
    # to 1e-10 takes more than brentq's default 100 steps.
    return float(optimize.brentq(cdf, -spread, spread, xtol=1e-10, maxiter=1000))


def _weeks_quantile(ramp: RampFit, weights: np.ndarray, within: float, q: float) -> float | None:
    """The q-quantile of N, the weeks until the slowdown factor is below 1 +
    within: P(N <= n) = P(rho <= log(1 + within) exp(n / tau)). None when it
    lies beyond ten times the longest scale."""
    threshold = np.log1p(within)

    def cdf(n: float) -> float:
        return _mixture_cdf(ramp, weights, threshold * np.exp(np.minimum(n / ramp.scales,
                                                                          700.0))) - q

    if cdf(0.0) >= 0:
        return 0.0
    upper = 10 * float(ramp.scales.max())
    if cdf(upper) < 0:
        return None
    return float(optimize.brentq(cdf, 0.0, upper, xtol=1e-6))


def _profile_interval(ramp: RampFit, level: float = 0.9) -> tuple[float | None, float | None]:
    """The scales whose profile criterion is within the chi-square(1)
    ``level`` quantile of the best (interpolated on log tau); None on a side
    where the profile never rises that far within the scales tried."""
    threshold = chi2_ppf(level, 1)
    excess = ramp.criterion - np.nanmin(ramp.criterion) - threshold
    log_scales = np.log(ramp.scales)
    best = int(np.nanargmin(ramp.criterion))

    def crossing(indices) -> float | None:
        previous = best
        for index in indices:
            if excess[index] > 0:
                a, b = excess[previous], excess[index]
                fraction = -a / (b - a)
                return float(np.exp(log_scales[previous]
                                    + fraction * (log_scales[index] - log_scales[previous])))
            previous = index
        return None

    return crossing(range(best - 1, -1, -1)), crossing(range(best + 1, len(excess)))


def _ramp_summary(ramp: RampFit, slowdown: float, slowdown_se: float,
                  within: float = RAMP_WITHIN) -> dict:
    """:attr:`CalibrationResult.ramp_up` from the fit (without the counts)."""
    weights = _ramp_weights(ramp)
    low, high = _profile_interval(ramp)
    threshold = np.log1p(within)
    weeks = ramp.scale * np.log(slowdown / threshold) if slowdown > threshold else 0.0
    weeks_low, weeks_high = (_weeks_quantile(ramp, weights, within, q) for q in (0.05, 0.95))
    initial = [_slowdown_quantile(ramp, weights, 0.0, q) for q in (0.05, 0.95)]
    interval = ("" if weeks_low is None or weeks_high is None
                else f" (90% interval {weeks_low:.0f} to {weeks_high:.0f} weeks)")
    return {
        "scale_weeks": float(ramp.scale), "scale_low": low, "scale_high": high,
        "at_edge": bool(ramp.at_edge),
        "slowdown": slowdown, "slowdown_se": slowdown_se,
        "initial_multiplier": float(np.exp(slowdown)),
        "initial_low": float(np.exp(initial[0])), "initial_high": float(np.exp(initial[1])),
        "within": within, "weeks_to_typical": float(weeks),
        "weeks_low": weeks_low, "weeks_high": weeks_high,
        "statement": (f"a new member reaches the team's typical speed (a remaining slowdown "
                      f"under {within:.0%}) after about {weeks:.0f} weeks{interval}; their "
                      f"first tickets take {np.exp(slowdown):.2g} times as long"),
    }

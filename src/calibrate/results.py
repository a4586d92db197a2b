"""Results of a calibration: multipliers, elasticities, predictions, summary.

:class:`CalibrationResult` is to :class:`~calibrate.model.Calibrator` what a
statsmodels results object is to its model: everything computed from one
fit, with tidy tables, ``predict``, and a ``summary()`` that prints as text
and renders as HTML in a notebook.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import stats

from calibrate._mixed import MixedFit
from calibrate.durations import WorkCalendar
from calibrate.export import RECORD_COLUMNS, Multipliers, multiplier_summary

__all__ = ["CalibrationResult", "CalibrationSummary", "DEFAULT_POINT_SCALE"]

#: Points values for overrun tables and recommended sizes.
DEFAULT_POINT_SCALE: tuple[float, ...] = (1, 2, 3, 5, 8, 13)
_Z = stats.norm.ppf(0.95)


@dataclass
class CalibrationResult:
    """Everything computed from one fit.

    Attributes
    ----------
    multipliers : Multipliers
        Records per population / engineer / engineer x area and the model
        parameters; what :func:`calibrate.export.write_multipliers` writes.
    engineer_multipliers, cell_multipliers : DataFrame
        The engineer and engineer x area records, with ``raw_ratio``: the
        unpooled geometric-mean ratio of the engineer's finished tickets to the
        team model (shows how much pooling moved each estimate).
    elasticity : DataFrame
        Per area: the points elasticity with its standard error, 90%
        confidence interval and the Wald test of elasticity = 1.
    fixed_effects : DataFrame
        All fixed effects with standard errors.
    variance_components : dict
        ``engineer_sd``, ``cell_sd`` and ``noise_sd`` per area.
    points_test : dict or None
        Likelihood-ratio test of the log-linear points term against points as
        a category (ML fits on finished tickets): statistic, df, p_value;
        None when no area has three points values. Computed on first use.
    """

    multipliers: Multipliers
    engineer_multipliers: pd.DataFrame
    cell_multipliers: pd.DataFrame
    elasticity: pd.DataFrame
    fixed_effects: pd.DataFrame
    variance_components: dict
    _points_test: Callable[[], dict | None] = field(repr=False)
    n_tickets: int
    n_censored: int
    em_iterations: int
    converged: bool
    calendar: WorkCalendar | None = None
    warnings: list[str] = field(default_factory=list)

    # -- construction -----------------------------------------------------
    @classmethod
    def from_fit(cls, fit: MixedFit, design, tickets: pd.DataFrame, *, calibrator,
                 slopes: str, calendar: WorkCalendar | None,
                 points_test: Callable[[], dict | None],
                 em_iterations: int) -> CalibrationResult:
        areas = design.areas
        n_areas = len(areas)
        se = np.sqrt(np.diag(fit.beta_covariance))
        fixed = pd.DataFrame({
            "name": design.feature_names,
            "estimate": fit.beta,
            "std_error": se,
            "ci_low": fit.beta - _Z * se,
            "ci_high": fit.beta + _Z * se,
        })
        slope_columns = design.slope_index
        assumed = bool((slope_columns < 0).all())
        if assumed:
            # Elasticity 1 is an assumption (an offset), not an estimate.
            slope_estimate, slope_se = np.ones(n_areas), np.zeros(n_areas)
            slope_var, slope_cov = np.zeros(n_areas), np.zeros(n_areas)
        else:
            cov_all = fit.beta_covariance
            slope_estimate, slope_se = fit.beta[slope_columns], se[slope_columns]
            slope_var = np.diag(cov_all)[slope_columns]
            slope_cov = cov_all[np.arange(n_areas), slope_columns]
        elasticity = pd.DataFrame({
            "area": areas,
            "elasticity": slope_estimate,
            "std_error": slope_se,
        })
        elasticity["ci_low"] = elasticity["elasticity"] - _Z * elasticity["std_error"]
        elasticity["ci_high"] = elasticity["elasticity"] + _Z * elasticity["std_error"]
        with np.errstate(divide="ignore", invalid="ignore"):
            elasticity["z_vs_1"] = (elasticity["elasticity"] - 1) / elasticity["std_error"]
        elasticity["p_value_vs_1"] = 2 * stats.norm.sf(np.abs(elasticity["z_vs_1"]))
        if assumed:
            elasticity[["z_vs_1", "p_value_vs_1"]] = np.nan  # not tested: assumed
        elasticity["shared"] = slopes == "shared"
        elasticity["assumed"] = assumed

        noise_sd = fit.sigma if len(fit.sigma) == n_areas else np.repeat(fit.sigma, n_areas)
        finished = ~design.censored
        count = lambda codes, size, mask: np.bincount(codes[mask], minlength=size)  # noqa: E731
        cov = fit.beta_covariance
        area_table = pd.DataFrame({
            "area": areas,
            "intercept": fit.beta[:n_areas],
            "elasticity": slope_estimate,
            "noise_sd": noise_sd,
            "var_intercept": np.diag(cov)[:n_areas],
            "var_elasticity": slope_var,
            "cov_intercept_elasticity": slope_cov,
            "n_finished": count(design.area, n_areas, finished),
            "n_open": count(design.area, n_areas, ~finished),
        })

        # Unpooled ratios: mean residual of finished tickets against the
        # fixed part, per cell, and their average over the engineer's areas
        # (what per-person averages of actual / typical would say).
        fixed_part = design.patterns[design.pattern] @ fit.beta
        residual = np.where(finished, design.log_duration - fixed_part, 0.0)
        n_engineers, n_cells = len(design.engineers), len(design.cell_engineer)
        engineer_finished = count(design.engineer, n_engineers, finished)
        cell_finished = count(design.cell, n_cells, finished)
        with np.errstate(invalid="ignore", divide="ignore"):
            raw_cell_log = np.bincount(design.cell, residual, n_cells) / cell_finished
            raw_cell = np.exp(raw_cell_log)
            raw_engineer = np.exp(
                pd.Series(raw_cell_log).groupby(design.cell_engineer).mean().reindex(
                    range(n_engineers)).to_numpy())

        # An engineer's multiplier: the effect on a balanced mix of the
        # team's areas, exp(u + mean over areas of v).
        engineer_mean, engineer_variance = fit.engineer_mix_effect(n_areas)
        engineer_sd = np.sqrt(engineer_variance)
        engineer_prior = fit.engineer_sd**2 + fit.cell_sd**2 / n_areas
        engineers = pd.DataFrame({
            "scope": "engineer",
            "engineer": design.engineers,
            "area": None,
            "log_mean": engineer_mean,
            "log_sd": engineer_sd,
            **multiplier_summary(engineer_mean, engineer_sd),
            "n_finished": engineer_finished,
            "n_open": count(design.engineer, n_engineers, ~finished),
            "shrinkage_weight": _weight(engineer_variance, engineer_prior),
        })
        cell_mean = fit.engineer_effect[design.cell_engineer] + fit.cell_effect
        cell_variance, cross = fit.cell_effect_uncertainty()
        cell_sd = np.sqrt(cell_variance)
        prior = fit.engineer_sd**2 + fit.cell_sd**2
        cells = pd.DataFrame({
            "scope": "engineer_area",
            "engineer": np.asarray(design.engineers, dtype=object)[design.cell_engineer],
            "area": np.asarray(areas, dtype=object)[design.cell_area],
            "log_mean": cell_mean,
            "log_sd": cell_sd,
            **multiplier_summary(cell_mean, cell_sd),
            "n_finished": cell_finished,
            "n_open": count(design.cell, n_cells, ~finished),
            "shrinkage_weight": _weight(cell_variance, prior),
            "fixed_cross_intercept": cross[np.arange(n_cells), design.cell_area],
            "fixed_cross_elasticity": (np.zeros(n_cells) if assumed else
                                       cross[np.arange(n_cells), slope_columns[design.cell_area]]),
        })
        population_sd = np.sqrt(prior)
        population = pd.DataFrame({
            "scope": ["population"], "engineer": [None], "area": [None],
            "log_mean": [0.0], "log_sd": [population_sd],
            **{k: v.reshape(1) for k, v in multiplier_summary(0.0, population_sd).items()},
            "n_finished": [int(finished.sum())], "n_open": [int((~finished).sum())],
            "shrinkage_weight": [0.0],
        })
        engineers[["fixed_cross_intercept", "fixed_cross_elasticity"]] = 0.0
        population[["fixed_cross_intercept", "fixed_cross_elasticity"]] = 0.0
        records = pd.concat([population, engineers, cells], ignore_index=True)[RECORD_COLUMNS]
        records = records.sort_values(["scope", "engineer", "area"], key=_scope_order,
                                      na_position="first").reset_index(drop=True)

        starts = tickets["started_at"]
        window = {
            "first_start": _iso(starts.min()),
            "last_finish": _iso(tickets["finished_at"].max()),
            "as_of": _iso(max(tickets["finished_at"].max(),
                              tickets["created_at"].max(), starts.max())),
        }
        model = {
            "reference_points": float(design.reference_points),
            "zero_points": float(design.zero_points),
            "engineer_sd": float(fit.engineer_sd),
            "cell_sd": float(fit.cell_sd),
            "cap_days": float(calibrator.cap_days),
            "confidence": float(calibrator.confidence),
            "noise": calibrator.noise,
            "slopes": slopes,
            "method": calibrator.method,
        }
        multipliers = Multipliers(
            records=records, areas=area_table, model=model, window=window,
            calendar=calendar.to_dict() if calendar else None)
        internal = ["fixed_cross_intercept", "fixed_cross_elasticity"]
        engineer_table = engineers.drop(columns=["scope", "area", *internal]).assign(
            raw_ratio=raw_engineer)
        cell_table = cells.drop(columns=["scope", *internal]).assign(raw_ratio=raw_cell)
        return cls(
            multipliers=multipliers,
            engineer_multipliers=engineer_table.sort_values("engineer").reset_index(drop=True),
            cell_multipliers=cell_table.sort_values(["engineer", "area"]).reset_index(drop=True),
            elasticity=elasticity,
            fixed_effects=fixed,
            variance_components={
                "engineer_sd": float(fit.engineer_sd),
                "cell_sd": float(fit.cell_sd),
                "noise_sd": dict(zip(areas, map(float, noise_sd), strict=True)),
            },
            _points_test=points_test,
            n_tickets=len(tickets),
            n_censored=int(design.censored.sum()),
            em_iterations=em_iterations,
            converged=bool(fit.converged),
            calendar=calendar,
        )

    @cached_property
    def points_test(self) -> dict | None:
        return self._points_test()

    # -- questions a planner asks -----------------------------------------
    @property
    def cap_days(self) -> float:
        return self.multipliers.model["cap_days"]

    @property
    def confidence(self) -> float:
        return self.multipliers.model["confidence"]

    def predict(self, engineer, area, points, budget_days: float | None = None) -> pd.DataFrame:
        """Predictive distribution of working days for tickets.

        The same computation as :meth:`calibrate.export.Multipliers.predict`
        (which this delegates to), so a multipliers file read back gives
        identical predictions.

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
        return self.multipliers.predict(engineer, area, points, budget_days=budget_days)

    def overrun_probabilities(self, points: Sequence[float] = (1, 2, 3, 5, 8)) -> pd.DataFrame:
        """P(a ticket of N points takes more than N working days), per engineer x area.

        Returns a table with one row per engineer x area and a column
        ``p_over_N`` per points value N, plus the tickets behind each row.
        """
        cells = self.cell_multipliers
        table = cells[["engineer", "area", "n_finished", "n_open"]].copy()
        for value in points:
            prediction = self.predict(cells["engineer"], cells["area"], np.full(len(cells), value))
            table[f"p_over_{value:g}"] = prediction["p_over_points"].to_numpy()
        return table.reset_index(drop=True)

    def recommended_sizes(self, cap_days: float | None = None, confidence: float | None = None,
                          scale: Sequence[float] = DEFAULT_POINT_SCALE) -> pd.DataFrame:
        """The largest ticket size that fits the cap, per engineer x area.

        For each engineer x area, the largest points value on ``scale`` whose
        predicted duration stays within ``cap_days`` working days with
        probability at least ``confidence``; 0 when even the smallest size
        does not (such tickets should be split). The team's assumption is the
        reference size (3 points within 3 days).
        """
        cap = self.cap_days if cap_days is None else cap_days
        level = self.confidence if confidence is None else confidence
        cells = self.cell_multipliers[["engineer", "area", "n_finished", "n_open"]]
        fits = pd.DataFrame(index=cells.index)
        for value in scale:
            prediction = self.predict(cells["engineer"], cells["area"],
                                      np.full(len(cells), value), budget_days=cap)
            fits[value] = 1 - prediction["p_over_budget"].to_numpy()
        ok = fits.ge(level)
        # Largest size that fits; sizes are monotone in points when elasticity > 0.
        largest = ok.apply(lambda row: max([v for v, fit in row.items() if fit], default=0.0),
                           axis=1)
        p_fit = [fits.loc[i, v] if v else np.nan for i, v in largest.items()]
        reference = self.multipliers.model["reference_points"]
        p_reference = 1 - self.predict(cells["engineer"], cells["area"],
                                       np.full(len(cells), reference),
                                       budget_days=cap)["p_over_budget"].to_numpy()
        return cells.assign(
            recommended_points=largest.to_numpy(),
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
        return dataclasses.replace(
            self,
            multipliers=dataclasses.replace(self.multipliers,
                                            records=records.reset_index(drop=True)),
            engineer_multipliers=self.engineer_multipliers[
                self.engineer_multipliers["engineer"].isin(keep)].reset_index(drop=True),
            cell_multipliers=self.cell_multipliers[
                self.cell_multipliers["engineer"].isin(keep)].reset_index(drop=True),
        )

    def to_frame(self) -> pd.DataFrame:
        """One tidy table: every multiplier record, with the overrun
        probability of a reference-size ticket and the recommended size."""
        records = self.multipliers.records.copy()
        sizes = self.recommended_sizes()[["engineer", "area", "recommended_points",
                                          "p_reference_within_cap"]]
        return records.merge(sizes, on=["engineer", "area"], how="left")

    def summary(self) -> CalibrationSummary:
        """A printable (text) and notebook-renderable (HTML) summary."""
        return CalibrationSummary(self)


def _weight(posterior_variance: np.ndarray, prior_variance: float) -> np.ndarray:
    """Share of the estimate that comes from the engineer's own data:
    1 - posterior variance / prior variance (0 = all pooled, 1 = all own data)."""
    if prior_variance <= 0:
        return np.zeros(len(posterior_variance))
    return np.clip(1 - posterior_variance / prior_variance, 0.0, 1.0)


def _scope_order(values: pd.Series) -> pd.Series:
    if values.name == "scope":
        return values.map({"population": 0, "engineer": 1, "engineer_area": 2})
    return values


def _iso(value) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).isoformat()


class CalibrationSummary:
    """Summary of a :class:`CalibrationResult`: ``str()`` gives text,
    ``_repr_html_`` gives HTML tables in a notebook."""

    def __init__(self, result: CalibrationResult) -> None:
        self.result = result

    def tables(self) -> dict[str, pd.DataFrame]:
        """The summary's tables, by title."""
        result = self.result
        model = result.multipliers.model
        overview = pd.DataFrame({
            "value": [
                result.n_tickets, result.n_censored,
                len(result.engineer_multipliers), len(result.elasticity),
                f"{model['method'].upper()}, noise sd per {model['noise']}",
                result.em_iterations, "yes" if result.converged else "NO",
                f"{result.variance_components['engineer_sd']:.3f}",
                f"{result.variance_components['cell_sd']:.3f}",
            ]},
            index=["tickets", "open (censored)", "engineers", "areas", "fit",
                   "EM iterations", "converged", "engineer sd (log)",
                   "engineer x area sd (log)"])
        elasticity = result.elasticity[["area", "elasticity", "std_error", "ci_low",
                                        "ci_high", "p_value_vs_1"]].copy()
        elasticity.insert(1, "median days at 3 points", np.exp(
            result.multipliers.areas["intercept"].to_numpy()))
        elasticity.insert(2, "noise sd", result.multipliers.areas["noise_sd"].to_numpy())
        engineers = result.engineer_multipliers[
            ["engineer", "median", "p10", "p90", "n_finished", "n_open", "shrinkage_weight",
             "raw_ratio"]]
        sizes = result.recommended_sizes()
        breaks = sizes.assign(
            p_3_points_over_3_days=1 - sizes["p_reference_within_cap"]).sort_values(
            "p_3_points_over_3_days", ascending=False)[
            ["engineer", "area", "p_3_points_over_3_days", "recommended_points", "n_finished"]]
        return {
            "Model": overview,
            "Points elasticity per area (1 = proportional)": elasticity,
            "Engineer multipliers (1 = team typical)": engineers,
            f"Where the 3-point assumption breaks (cap {result.cap_days:g} days, "
            f"{result.confidence:.0%} confidence)": breaks,
        }

    def __str__(self) -> str:
        parts = ["Calibration summary", "=" * 19]
        with pd.option_context("display.width", 120, "display.max_columns", 20,
                               "display.float_format", "{:.3f}".format):
            for title, table in self.tables().items():
                parts += ["", title, "-" * len(title), table.to_string()]
        test = self.result.points_test
        if test:
            parts += ["", f"Points as log-linear vs as categories (LR test, ML): "
                          f"chi2={test['statistic']:.2f}, df={test['df']}, "
                          f"p={test['p_value']:.3g}"]
        parts += ["", "Multipliers are planning aids reflecting estimates, ticket mix and "
                      "context, not a ranking of people."]
        return "\n".join(parts)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        parts = ["<div class='calibrate-summary'><h3>Calibration summary</h3>"]
        for title, table in self.tables().items():
            parts.append(f"<h4>{html.escape(title)}</h4>")
            parts.append(table.to_html(float_format="{:.3f}".format, escape=True))
        parts.append("<p><em>Multipliers are planning aids reflecting estimates, ticket mix "
                     "and context, not a ranking of people.</em></p></div>")
        return "\n".join(parts)

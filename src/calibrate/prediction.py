"""The predictive distribution of a ticket's working days.

One computation, used by :meth:`CalibrationResult.predict
<calibrate.results.CalibrationResult.predict>`, :meth:`Multipliers.predict
<calibrate.export.Multipliers.predict>` (so a multipliers file read back
predicts exactly as the fit it came from) and, through them, the backtest.
It needs only what the multipliers file holds: the per-area parameters, the
records and the model section.

For a ticket of ``points`` in area a, worked by an engineer with record r::

    x = log(points / reference_points)          (0 points: zero_points)
    log(days) ~ N(m, s^2)
    m   = intercept[a] + elasticity[a] x + r.log_mean
    s^2 = noise_sd[a]^2 + r.log_sd^2
          + var_intercept[a] + 2 x cov_intercept_elasticity[a] + x^2 var_elasticity[a]
          - 2 (r.fixed_cross_intercept + x r.fixed_cross_elasticity)

The last line is the covariance between the estimated fixed effects and the
record's effect (Henderson), which makes the variance exact.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from calibrate.errors import InputError, Problem

__all__ = ["multiplier_summary", "predict_durations", "unseen_area_parameters"]

_Z90 = stats.norm.ppf(0.9)


def multiplier_summary(log_mean, log_sd) -> dict[str, np.ndarray]:
    """Median, mean and 10th/90th percentiles of exp(N(log_mean, log_sd^2))."""
    log_mean = np.asarray(log_mean, dtype=float)
    log_sd = np.asarray(log_sd, dtype=float)
    return {
        "median": np.exp(log_mean),
        "mean": np.exp(log_mean + log_sd**2 / 2),
        "p10": np.exp(log_mean - _Z90 * log_sd),
        "p90": np.exp(log_mean + _Z90 * log_sd),
    }


def predict_durations(multipliers, engineer, area, points,
                      budget_days: float | None = None) -> pd.DataFrame:
    """Predictive distribution of working days for tickets.

    See :meth:`calibrate.export.Multipliers.predict` for the parameters, the
    columns returned and the fallbacks.
    """
    frame = _ticket_frame(engineer, area, points)
    model = multipliers.model
    budget = model["cap_days"] if budget_days is None else float(budget_days)
    points = frame["points"].to_numpy()
    covariate = np.log(np.where(points > 0, points, model["zero_points"])
                       / model["reference_points"])
    params, known_area = _area_parameters(multipliers.areas, frame["area"])
    fixed_mean = params["intercept"].to_numpy() + params["elasticity"].to_numpy() * covariate
    fixed_var = (params["var_intercept"].to_numpy()
                 + 2 * covariate * params["cov_intercept_elasticity"].to_numpy()
                 + covariate**2 * params["var_elasticity"].to_numpy())
    effect = _engineer_effects(multipliers.records, model, frame, covariate)
    basis = np.where(known_area, effect["basis"], effect["basis"] + ", unseen area")
    log_mean = fixed_mean + effect["mean"]
    # The record's cross term with the fixed effects makes the variance of
    # x'beta + u + v exact; fallbacks without a record omit it.
    fixed_var = fixed_var - 2 * np.where(effect["has_record"] & known_area, effect["cross"], 0.0)
    log_sd = np.sqrt(params["noise_sd"].to_numpy() ** 2 + effect["variance"] + fixed_var)
    per_point = np.where(points > 0, points, model["zero_points"])
    return frame.assign(basis=basis, **_lognormal_columns(log_mean, log_sd, budget, per_point))


def _ticket_frame(engineer, area, points) -> pd.DataFrame:
    engineers, areas, points = np.broadcast_arrays(
        np.atleast_1d(np.asarray(engineer, dtype=object)),
        np.atleast_1d(np.asarray(area, dtype=object)),
        np.atleast_1d(np.asarray(points, dtype=float)))
    frame = pd.DataFrame({"engineer": engineers, "area": areas, "points": points})
    bad = ~(frame["points"] >= 0)
    if bad.any():
        raise InputError("points must be numbers >= 0",
                         [Problem("invalid points", value=v)
                          for v in frame.loc[bad, "points"].head(5)])
    return frame


def _area_parameters(areas: pd.DataFrame, wanted: pd.Series) -> tuple[pd.DataFrame, np.ndarray]:
    """Each ticket's area parameters (an unseen area's: the fallback)."""
    by_area = areas.set_index("area")
    known = wanted.isin(by_area.index).to_numpy()
    params = by_area.reindex(wanted).reset_index(drop=True)
    for column, value in unseen_area_parameters(areas).items():
        params[column] = params[column].where(known, value)
    return params, known


def unseen_area_parameters(areas: pd.DataFrame) -> dict:
    """An area the model has never seen: the ticket-weighted average of the
    areas' parameters, with the between-area variance of the intercepts
    added to the noise."""
    weight = (areas["n_finished"] + areas["n_open"]).to_numpy(dtype=float)
    weight = weight / weight.sum() if weight.sum() > 0 else np.full(len(areas), 1 / len(areas))
    intercept = float(weight @ areas["intercept"])
    spread = float(weight @ (areas["intercept"] - intercept) ** 2)
    return {
        "intercept": intercept,
        "elasticity": float(weight @ areas["elasticity"]),
        "noise_sd": math.sqrt(float(weight @ areas["noise_sd"] ** 2) + spread),
        "var_intercept": float(weight @ areas["var_intercept"]),
        "var_elasticity": float(weight @ areas["var_elasticity"]),
        "cov_intercept_elasticity": float(weight @ areas["cov_intercept_elasticity"]),
        "n_finished": 0,
        "n_open": 0,
    }


def _engineer_effects(records: pd.DataFrame, model: dict, frame: pd.DataFrame,
                      covariate: np.ndarray) -> dict[str, np.ndarray]:
    """Each ticket's engineer effect: mean, variance, cross term and basis.

    An engineer x area record where the engineer has tickets in the area; an
    ``engineer_new_area`` record (the engineer effect alone, with the new
    cell's variance) where they have none — with an empty area for an area
    the model has never seen; files from before schema 1.1 lack those and
    fall back to the engineer record plus ``engineer_area_sd^2``. An unseen engineer:
    multiplier 1 with variance ``unseen_engineer_sd^2``.
    """
    new_area = records["scope"] == "engineer_new_area"
    cells = records[(records["scope"] == "engineer_area") | (new_area & records["area"].notna())
                    ].set_index(["engineer", "area"])
    people = records[new_area & records["area"].isna()].set_index("engineer")
    if people.empty:
        people = records[records["scope"] == "engineer"].set_index("engineer")
    keys = pd.MultiIndex.from_arrays([frame["engineer"], frame["area"]])
    scope = cells["scope"].reindex(keys).to_numpy()
    cell_mean = cells["log_mean"].reindex(keys).to_numpy()
    engineer_area_sd = cells["log_sd"].reindex(keys).to_numpy()
    person_mean = people["log_mean"].reindex(frame["engineer"]).to_numpy()
    person_sd = people["log_sd"].reindex(frame["engineer"]).to_numpy()
    cross = (cells["fixed_cross_intercept"].reindex(keys).to_numpy()
             + covariate * cells["fixed_cross_elasticity"].reindex(keys).to_numpy())
    has_cell, has_person = ~np.isnan(cell_mean), ~np.isnan(person_mean)
    unseen_sd = model.get("unseen_engineer_sd",
                          math.sqrt(model["engineer_sd"] ** 2 + model["engineer_area_sd"] ** 2))
    return {
        "mean": np.where(has_cell, cell_mean, np.where(has_person, person_mean, 0.0)),
        "variance": np.where(has_cell, engineer_area_sd**2,
                             np.where(has_person, person_sd**2 + model["engineer_area_sd"] ** 2,
                                      unseen_sd**2)),
        "cross": cross,
        "has_record": has_cell,
        "basis": np.where(has_cell & (scope == "engineer_area"), "engineer x area",
                          np.where(has_cell | has_person, "engineer", "unseen engineer")
                          ).astype(object),
    }


def _lognormal_columns(log_mean: np.ndarray, log_sd: np.ndarray, budget: float,
                       per_point: np.ndarray) -> dict[str, np.ndarray]:
    z = stats.norm.ppf([0.1, 0.5, 0.8, 0.9])
    return {
        "log_mean": log_mean,
        "log_sd": log_sd,
        "mean_days": np.exp(log_mean + log_sd**2 / 2),
        "p10_days": np.exp(log_mean + z[0] * log_sd),
        "p50_days": np.exp(log_mean + z[1] * log_sd),
        "p80_days": np.exp(log_mean + z[2] * log_sd),
        "p90_days": np.exp(log_mean + z[3] * log_sd),
        "p_over_budget": stats.norm.sf((np.log(budget) - log_mean) / log_sd),
        "p_over_points": stats.norm.sf((np.log(per_point) - log_mean) / log_sd),
    }

"""The multipliers file: what other planners consume, and how to read it back.

A fitted model is written as a versioned JSON file (validated by the JSON
Schema shipped as ``calibrate/multipliers.schema.json``) and, for
spreadsheets, its records as CSV. :func:`load_multipliers` reads the JSON
back into a :class:`Multipliers` that predicts without the ticket data — and
gives exactly the predictions of the model it came from, since the fitted
model predicts through the same object.

Notes for planners
------------------
- A record's ``median`` multiplier scales the team's typical duration for the
  same points and area; ``mean`` is the multiplier to use when *adding up*
  tickets (exp(log_mean + log_sd^2 / 2)).
- In a Monte Carlo plan, draw an engineer's effect (normal on the log scale
  with the record's ``log_mean`` and ``log_sd``) **once per simulated
  sprint**, and the ticket noise (the area's ``noise_sd``) once per ticket.
  Drawing the engineer's effect per ticket understates the spread of a
  sprint's total.
- Multipliers mix skill with ticket mix, context and estimating habits: they
  are planning aids, not a ranking of people.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from calibrate.errors import InputError, Problem
from calibrate.io._atomic import atomic_path
from calibrate.io._csv import write_csv

__all__ = ["SCHEMA_VERSION", "Multipliers", "load_multipliers", "write_multipliers"]

SCHEMA_VERSION = "1.0"
_Z90 = stats.norm.ppf(0.9)

#: Columns of the multiplier records, in order.
RECORD_COLUMNS = [
    "scope", "engineer", "area", "log_mean", "log_sd", "median", "mean", "p10", "p90",
    "n_finished", "n_open", "shrinkage_weight", "fixed_cross_intercept", "fixed_cross_elasticity",
]


def multiplier_summary(log_mean: np.ndarray, log_sd: np.ndarray) -> dict[str, np.ndarray]:
    """Median, mean and 10th/90th percentiles of exp(N(log_mean, log_sd^2))."""
    log_mean = np.asarray(log_mean, dtype=float)
    log_sd = np.asarray(log_sd, dtype=float)
    return {
        "median": np.exp(log_mean),
        "mean": np.exp(log_mean + log_sd**2 / 2),
        "p10": np.exp(log_mean - _Z90 * log_sd),
        "p90": np.exp(log_mean + _Z90 * log_sd),
    }


@dataclass(frozen=True)
class Multipliers:
    """Fitted multipliers and the model parameters needed to predict.

    Attributes
    ----------
    records : DataFrame
        One row per scope: ``population`` (the fallback for an engineer
        never seen), ``engineer`` and ``engineer_area``; columns
        :data:`RECORD_COLUMNS`.
    areas : DataFrame
        Per area: ``intercept`` (log median days of a reference-points ticket
        for a typical engineer), ``elasticity``, ``noise_sd``, the fixed
        effects' covariance (``var_intercept``, ``var_elasticity``,
        ``cov_intercept_elasticity``), ``n_finished``, ``n_open``.
    model : dict
        ``reference_points``, ``zero_points``, ``engineer_sd``, ``cell_sd``,
        ``cap_days``, ``confidence``, ``noise``, ``slopes``, ``method``.
    window : dict
        ``first_start``, ``last_finish``, ``as_of`` of the fitted tickets.
    calendar : dict or None
        The working-day calendar durations were counted with.
    created_at : str
        When the file was made (ISO 8601, UTC) — the only field that differs
        between two runs on the same input.
    schema_version : str

    Examples
    --------
    >>> from calibrate import Calibrator, read_export
    >>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
    >>> result = Calibrator().fit(read_export(SAMPLE, config=CONFIG)).result_
    >>> result.multipliers.predict("nobody-new", "research", 3)["basis"].iloc[0]
    'unseen engineer'
    """

    records: pd.DataFrame
    areas: pd.DataFrame
    model: dict
    window: dict
    calendar: dict | None
    created_at: str = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    schema_version: str = SCHEMA_VERSION

    # -- prediction -------------------------------------------------------
    def predict(self, engineer, area, points, budget_days: float | None = None) -> pd.DataFrame:
        """Predictive distribution of working days for tickets.

        Parameters
        ----------
        engineer, area : str or array-like of str
        points : float or array-like
            Broadcast against each other.
        budget_days : float, optional
            Budget for ``p_over_budget``; defaults to the model's cap.

        Returns
        -------
        DataFrame
            Per ticket: ``basis`` (what the prediction rests on:
            ``engineer x area``, ``engineer`` — a known engineer in an area
            they have no tickets in —, or ``unseen engineer``; ``, unseen
            area`` is appended when the area is unknown), ``log_mean``,
            ``log_sd``, ``mean_days``, ``p10_days``, ``p50_days``,
            ``p80_days``, ``p90_days``, ``p_over_budget`` (probability of
            taking longer than the budget) and ``p_over_points`` (longer than
            one working day per point).

        Notes
        -----
        log(days) ~ N(m, s^2) with m = intercept + elasticity * log(points /
        reference) + the record's ``log_mean``, and s^2 = noise_sd^2 + the
        record's ``log_sd``^2 + the fixed effects' variance at these points
        - 2 x the record's cross terms (``fixed_cross_intercept`` +
        ``fixed_cross_elasticity`` * log(points / reference): the covariance
        between the estimated fixed effects and the record's effect).
        Fallbacks: an engineer known but new to the area gets their engineer
        effect with ``cell_sd^2`` added to its variance; an unseen engineer
        gets multiplier 1 with variance ``engineer_sd^2 + cell_sd^2``; an
        unseen area gets the ticket-weighted average of the areas'
        parameters, with the between-area variance of the intercepts added.
        """
        engineers, areas_, points_ = np.broadcast_arrays(
            np.atleast_1d(np.asarray(engineer, dtype=object)),
            np.atleast_1d(np.asarray(area, dtype=object)),
            np.atleast_1d(np.asarray(points, dtype=float)))
        frame = pd.DataFrame({"engineer": engineers, "area": areas_, "points": points_})
        if (frame["points"] < 0).any() or frame["points"].isna().any():
            raise InputError("points must be numbers >= 0",
                             [Problem("invalid points", value=v)
                              for v in frame.loc[~(frame["points"] >= 0), "points"].head(5)])
        budget = self.model["cap_days"] if budget_days is None else float(budget_days)
        model = self.model
        areas = self.areas.set_index("area")
        known_area = frame["area"].isin(areas.index).to_numpy()
        fallback_area = self._unseen_area()
        params = areas.reindex(frame["area"]).reset_index(drop=True)
        for column, value in fallback_area.items():
            params[column] = params[column].where(known_area, value)

        points = frame["points"].to_numpy()
        covariate = np.log(np.where(points > 0, points, model["zero_points"])
                           / model["reference_points"])
        fixed_mean = params["intercept"].to_numpy() + params["elasticity"].to_numpy() * covariate
        fixed_var = (params["var_intercept"].to_numpy()
                     + 2 * covariate * params["cov_intercept_elasticity"].to_numpy()
                     + covariate**2 * params["var_elasticity"].to_numpy())

        records = self.records
        cells = records[records["scope"] == "engineer_area"].set_index(["engineer", "area"])
        people = records[records["scope"] == "engineer"].set_index("engineer")
        keys = pd.MultiIndex.from_arrays([frame["engineer"], frame["area"]])
        cell_mean = cells["log_mean"].reindex(keys).to_numpy()
        cell_sd = cells["log_sd"].reindex(keys).to_numpy()
        person_mean = people["log_mean"].reindex(frame["engineer"]).to_numpy()
        person_sd = people["log_sd"].reindex(frame["engineer"]).to_numpy()
        cross = (cells["fixed_cross_intercept"].reindex(keys).to_numpy()
                 + covariate * cells["fixed_cross_elasticity"].reindex(keys).to_numpy())
        has_cell = ~np.isnan(cell_mean)
        has_person = ~np.isnan(person_mean)
        effect_mean = np.where(has_cell, cell_mean, np.where(has_person, person_mean, 0.0))
        effect_var = np.where(
            has_cell, cell_sd**2,
            np.where(has_person, person_sd**2 + model["cell_sd"] ** 2,
                     model["engineer_sd"] ** 2 + model["cell_sd"] ** 2))
        basis = np.where(has_cell, "engineer x area",
                         np.where(has_person, "engineer", "unseen engineer")).astype(object)
        basis = np.where(known_area, basis, basis + ", unseen area")

        log_mean = fixed_mean + effect_mean
        # The cell's cross term with the fixed effects makes the variance of
        # x'beta + u + v exact (see CalibrationResult); fallbacks omit it.
        fixed_var = fixed_var - 2 * np.where(has_cell & known_area, cross, 0.0)
        log_sd = np.sqrt(params["noise_sd"].to_numpy() ** 2 + effect_var + fixed_var)
        z = stats.norm.ppf([0.1, 0.5, 0.8, 0.9])
        result = frame.assign(
            basis=basis,
            log_mean=log_mean,
            log_sd=log_sd,
            mean_days=np.exp(log_mean + log_sd**2 / 2),
            p10_days=np.exp(log_mean + z[0] * log_sd),
            p50_days=np.exp(log_mean + z[1] * log_sd),
            p80_days=np.exp(log_mean + z[2] * log_sd),
            p90_days=np.exp(log_mean + z[3] * log_sd),
            p_over_budget=stats.norm.sf((np.log(budget) - log_mean) / log_sd),
            p_over_points=stats.norm.sf(
                (np.log(np.where(points > 0, points, model["zero_points"])) - log_mean)
                / log_sd),
        )
        return result

    def _unseen_area(self) -> dict:
        areas = self.areas
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

    # -- file format ------------------------------------------------------
    def to_dict(self) -> dict:
        """The JSON document (plain types; NaN becomes null)."""
        return _clean({
            "schema_version": self.schema_version,
            "created_at": self.created_at,
            "window": self.window,
            "calendar": self.calendar,
            "model": self.model,
            "fallback": {
                "description": "an engineer never seen: multiplier 1, log-scale sd "
                               "sqrt(engineer_sd^2 + cell_sd^2)",
                "log_mean": 0.0,
                "log_sd": math.sqrt(self.model["engineer_sd"] ** 2 + self.model["cell_sd"] ** 2),
            },
            "areas": self.areas.to_dict(orient="records"),
            "records": self.records[RECORD_COLUMNS].to_dict(orient="records"),
        })

    @classmethod
    def from_dict(cls, document: dict) -> Multipliers:
        """Rebuild from :meth:`to_dict` output."""
        records = pd.DataFrame(document["records"], columns=RECORD_COLUMNS)
        for column in ("log_mean", "log_sd", "median", "mean", "p10", "p90",
                       "shrinkage_weight", "fixed_cross_intercept", "fixed_cross_elasticity"):
            records[column] = records[column].astype(float)
        return cls(
            records=records,
            areas=pd.DataFrame(document["areas"]),
            model=dict(document["model"]),
            window=dict(document["window"]),
            calendar=document.get("calendar"),
            created_at=document["created_at"],
            schema_version=document["schema_version"],
        )


def write_multipliers(multipliers: Multipliers, path: str | Path) -> tuple[Path, Path]:
    """Write the multipliers as JSON and their records as CSV beside it.

    Returns
    -------
    (Path, Path)
        The JSON file and the CSV file (same name, ``.csv``).
    """
    path = Path(path)
    text = json.dumps(multipliers.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)
    csv_path = path.with_suffix(".csv")
    # Both files whole or neither: a failed run keeps the previous pair.
    with atomic_path(path) as json_partial, atomic_path(csv_path) as csv_partial:
        json_partial.write_text(text + "\n", encoding="utf-8")
        write_csv(multipliers.records[RECORD_COLUMNS], csv_partial)
    return path, csv_path


def schema() -> dict:
    """The JSON Schema of the multipliers file."""
    text = resources.files("calibrate").joinpath("multipliers.schema.json").read_text("utf-8")
    return json.loads(text)


def load_multipliers(path: str | Path) -> Multipliers:
    """Read a multipliers JSON file, checking it against the shipped schema.

    Raises
    ------
    InputError
        If the file is missing, not JSON, of another major schema version,
        or does not match the schema (every violation listed).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from calibrate import Calibrator, read_export, load_multipliers, write_multipliers
    >>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
    >>> result = Calibrator().fit(read_export(SAMPLE, config=CONFIG)).result_
    >>> json_path, _ = write_multipliers(result.multipliers,
    ...                                  pathlib.Path(tempfile.mkdtemp()) / "m.json")
    >>> loaded = load_multipliers(json_path)
    >>> bool(loaded.predict("Priya Raman", "research", 3)["p50_days"].iloc[0] > 0)
    True
    """
    import jsonschema

    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError(f"{path} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{path} is not a JSON file: {error}") from None
    version = str(document.get("schema_version", "")) if isinstance(document, dict) else ""
    if version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise InputError(
            f"{path} has schema version {version or 'none'}; this calibrate reads "
            f"{SCHEMA_VERSION.split('.')[0]}.x",
            hint="Re-run `calibrate fit` with this version of calibrate.")
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    if errors:
        raise InputError(
            f"{path} is not a valid multipliers file",
            [Problem(error.message, file=str(path),
                     column="/".join(str(p) for p in error.path) or "(top level)")
             for error in errors],
        )
    return Multipliers.from_dict(document)


def _clean(value):
    """Plain JSON types: numpy scalars to Python, NaN to None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return value

"""The predictive distribution of a ticket's working days.

One computation, used by :meth:`CalibrationResult.predict
<calibrate.results.CalibrationResult.predict>`, :meth:`Multipliers.predict
<calibrate.export.Multipliers.predict>` (so a multipliers file read back
predicts exactly as the fit it came from), ``calibrate predict`` and, through
them, the backtest. It needs only what the multipliers file holds: the
per-area parameters, the records and the model section.

For a ticket of ``points`` in area a, worked by an engineer with record r::

    x = log(points / reference_points)          (0 points: zero_points)
    log(days) ~ N(m, s^2)
    m   = intercept[a] + elasticity[a] x + r.log_mean
    s^2 = noise_sd[a]^2 + r.log_sd^2
          + var_intercept[a] + 2 x cov_intercept_elasticity[a] + x^2 var_elasticity[a]
          - 2 (r.fixed_cross_intercept + x r.fixed_cross_elasticity)

The last line is the covariance between the estimated fixed effects and the
record's effect (Henderson), which makes the variance exact. Multipliers
fitted with skill profiles add, for an engineer predicted from a declared
level or ramping up, the terms of :func:`skill_terms` — a declared level
the area's history never saw borrowed from the areas where it was
estimated (:func:`borrowed_levels`). The README's
"Predictions for planners" spells out the fallbacks (an engineer new to the
area, an engineer never seen, an area never seen) for reimplementation.

Every prediction carries a ``note``: what about the row the history cannot
vouch for (an engineer or area it never saw — with the closest name it did
see, since a misspelling is the usual cause —, an unassigned row, points
outside the range the model was fitted on). :func:`note_counts` tallies
them for a summary.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from calibrate._distributions import normal_ppf, normal_sf
from calibrate._names import name_order
from calibrate.errors import InputError, Problem
from calibrate.skills import UNDECLARED, _did_you_mean

__all__ = ["NOTE_KINDS", "PLANNER_COLUMNS", "UNSEEN_LEVELS", "BorrowedLevel",
           "borrowed_levels", "merged_points_scale", "multiplier_summary", "note_counts",
           "predict_backlog", "predict_durations", "prediction_notes", "round_for_planners",
           "skill_terms", "unseen_area_parameters", "unseen_levels_problems"]

_Z90 = normal_ppf(0.9)

#: What a declared level is worth in an area where no engineer with tickets
#: declared it (so the fit has no effect for it there): ``borrow`` (from the
#: areas where it was estimated, :func:`borrowed_levels`) or ``typical``
#: (the team's mix there, x1).
UNSEEN_LEVELS = ("borrow", "typical")
#: A level's offset variance at or below this is no estimate: an area's
#: only level is its typical engineer by definition (x1 exactly).
_NO_CONTRAST = 1e-12
#: The ``basis`` suffix of a row whose declared level was borrowed.
_BORROWED_BASIS = ", declared level borrowed from other areas"

#: The kinds of note a prediction can carry, each with the pattern its
#: text starts with (a note joins several with ``"; "``).
NOTE_KINDS: dict[str, str] = {
    "no engineer (unassigned)": r"no engineer \(unassigned\)",
    "engineer not in the history": r"engineer not in the history",
    "new engineer predicted from a declared profile":
        r"new engineer, predicted from a declared profile",
    "no area": r"no area",
    "area not in the history": r"area not in the history",
    "points beyond the history's largest": r"points \S+ beyond the history's largest",
    "points below the history's smallest": r"points \S+ below the history's smallest",
}

#: The columns ``calibrate predict`` appends to a backlog's own columns, in
#: order (``budget_days`` and ``p_over_budget`` only when there is a budget).
PLANNER_COLUMNS = ("source_row", "problem", "note", "basis", "points_used", "p10_days",
                   "p50_days", "p80_days", "p90_days", "mean_days", "budget_days",
                   "p_over_budget", "clock")

_DAY_COLUMNS = ("mean_days", "p10_days", "p50_days", "p80_days", "p90_days")
_PROBABILITY_COLUMNS = ("p_over_budget", "p_over_points")


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


def predict_durations(multipliers, engineer, area, points, budget_days: float | None = None,
                      points_scale: dict[str, float] | None = None, profile=None,
                      start_date=None, on=None, unseen_levels: str = "borrow") -> pd.DataFrame:
    """Predictive distribution of working days for tickets, in full precision.

    See :meth:`calibrate.export.Multipliers.predict` for the parameters, the
    columns returned and the fallbacks; :func:`skill_terms` for what
    declared levels and the ramp-up add.
    """
    _check_unseen_levels(unseen_levels)
    scale = merged_points_scale(multipliers.points_scale, points_scale)
    frame = _ticket_frame(engineer, area, points, scale)
    model = multipliers.model
    if budget_days is None:
        budget = multipliers.verdict_cap
    else:
        budget = float(budget_days)
        if not budget > 0:
            raise InputError(f"budget_days must be a number of working days > 0, "
                             f"not {budget_days!r}")
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
    variance = params["noise_sd"].to_numpy() ** 2 + effect["variance"] + fixed_var
    if getattr(multipliers, "skills", None) is not None or profile is not None \
            or start_date is not None:
        extra = skill_terms(multipliers, frame, effect["basis"], covariate, known_area,
                            profile=profile, start_date=start_date, on=on,
                            unseen_levels=unseen_levels)
        log_mean = log_mean + extra["mean"]
        variance = variance + extra["variance"]
        basis = basis + extra["basis"]
    log_sd = np.sqrt(variance)
    per_point = np.where(points > 0, points, model["zero_points"])
    note = prediction_notes(multipliers, frame["engineer"], frame["area"], points,
                            profile=profile)
    return frame.assign(basis=basis, note=note,
                        **_lognormal_columns(log_mean, log_sd, budget, per_point))


def prediction_notes(multipliers, engineer, area, points, profile=None) -> pd.Series:
    """What the history cannot vouch for, per ticket: ``""`` or flags joined by ``"; "``.

    Flags (their kinds are :data:`NOTE_KINDS`): ``no engineer (unassigned)``;
    ``engineer not in the history (closest: 'NAME')`` — predicted as an
    engineer never seen; the closest known name (:mod:`difflib`, ignoring
    case) is given when there is one, since a misspelling is the common
    cause —, or, for an engineer ``profile`` declares (a dict: every engineer
    not in the history; a :class:`~calibrate.skills.SkillProfiles`: those it
    names), ``new engineer, predicted from a declared profile``; ``no
    area`` and ``area not in the history (closest: 'AREA')``
    — predicted with the unseen-area parameters —; ``points P beyond the
    history's largest (MAX): the prediction extrapolates`` and ``points P
    below the history's smallest (MIN): ...`` against ``model.points_range``
    (files from before schema 2.1 do not record it: no points flags).
    Missing points (NaN) get no points flag.

    Examples
    --------
    >>> from calibrate import Calibrator, read_export
    >>> from calibrate.prediction import prediction_notes
    >>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
    >>> m = Calibrator().fit(read_export(SAMPLE, config=CONFIG)).result_.multipliers
    >>> prediction_notes(m, ["Priya Ramen", None, "Priya Raman"],
    ...                  ["research", "research", "reserch"], [3, 3, 21]).tolist()
    ["engineer not in the history (closest: 'Priya Raman')", 'no engineer (unassigned)', \
"area not in the history (closest: 'research'); points 21 beyond the history's largest (8): \
the prediction extrapolates"]
    """
    engineers, areas, values = np.broadcast_arrays(
        np.atleast_1d(np.asarray(engineer, dtype=object)),
        np.atleast_1d(np.asarray(area, dtype=object)),
        np.atleast_1d(np.asarray(points, dtype=float)))
    records = multipliers.records
    known_engineers = records.loc[records["scope"] != "population", "engineer"].dropna().unique()
    engineer_notes = _name_notes(engineers.ravel(), known_engineers, "engineer",
                                 "no engineer (unassigned)")
    if profile is not None:
        # A new hire with a declared profile is no misspelling: say what the prediction uses.
        declared = (np.ones(len(engineer_notes), dtype=bool) if isinstance(profile, dict)
                    else pd.Series(engineers.ravel(), dtype=object)
                    .isin(set(profile.engineers)).to_numpy())
        new = declared & pd.Series(engineer_notes).str.startswith(
            "engineer not in the history").to_numpy()
        engineer_notes = np.where(new, "new engineer, predicted from a declared profile",
                                  engineer_notes)
    parts = [
        engineer_notes,
        _name_notes(areas.ravel(), multipliers.areas["area"].dropna().unique(), "area",
                    "no area"),
        _points_notes(values.ravel(), multipliers.model.get("points_range")),
    ]
    note = parts[0]
    for part in parts[1:]:
        note = np.where((note != "") & (part != ""), note + "; " + part, note + part)
    return pd.Series(note, dtype=object, name="note")


def note_counts(notes) -> dict[str, int]:
    """Rows per kind of note (:data:`NOTE_KINDS`), kinds without rows left out.

    Examples
    --------
    >>> from calibrate.prediction import note_counts
    >>> note_counts(["", "engineer not in the history (closest: 'Ann'); no area",
    ...              "engineer not in the history"])
    {'engineer not in the history': 2, 'no area': 1}
    """
    text = pd.Series(notes, dtype=object).fillna("").astype(str)
    counts = {}
    for kind, pattern in NOTE_KINDS.items():
        rows = int(text.str.contains(f"(?:^|; ){pattern}", regex=True).sum())
        if rows:
            counts[kind] = rows
    return counts


def merged_points_scale(fitted: dict | None, given: dict | None) -> dict[str, float]:
    """The points scale to read sizes with: the multipliers file's (``fitted``,
    what a size meant in the history) and ``given`` (a config's), sizes
    compared case-insensitively.

    Raises
    ------
    InputError
        If a size means different points in the two (every such size listed):
        a size must mean what it meant when the model was fitted.

    Examples
    --------
    >>> from calibrate.prediction import merged_points_scale
    >>> merged_points_scale({"m": 3}, {"L": 5, "M": 3})
    {'l': 5.0, 'm': 3.0}
    """
    fitted, given = _normalised_scale(fitted), _normalised_scale(given)
    conflicts = [Problem(f"size {size!r} means {given[size]:g} points here but "
                         f"{fitted[size]:g} in the multipliers file (the fitted history)")
                 for size in given if size in fitted and given[size] != fitted[size]]
    if conflicts:
        raise InputError(
            "the points scale given differs from the one the multipliers were fitted with",
            conflicts, hint="Use the [points] scale the history was read with, or re-run "
                            "`calibrate fit` with the new scale.")
    return {**given, **fitted}


def predict_backlog(backlog, multipliers, budget_days: float | None = None, *, profile=None,
                    on=None) -> pd.DataFrame:
    """A backlog's own columns followed by its predictions (full precision).

    Parameters
    ----------
    backlog : calibrate.io.backlog.Backlog
        From :func:`~calibrate.io.backlog.read_backlog` (read with the
        points scale of ``multipliers``: see :func:`merged_points_scale`).
    multipliers : calibrate.export.Multipliers
    budget_days : float, optional
        The budget for ``p_over_budget``; default: the multipliers'
        :attr:`~calibrate.export.Multipliers.verdict_cap`. Without either
        (lead time and no lead-time cap), ``budget_days`` and
        ``p_over_budget`` are left out.
    profile : SkillProfiles, optional
        Declared levels and start dates of engineers the multipliers do not
        know (new hires): see :meth:`~calibrate.export.Multipliers.predict`.
    on : date or str, optional
        When the work starts, for the ramp-up (default: today).

    Returns
    -------
    DataFrame
        Every row and column of the backlog, unchanged and in order, then
        :data:`PLANNER_COLUMNS`: ``source_row`` (the row in the file),
        ``problem`` (why a row has no prediction: no or invalid points),
        ``note`` (see :func:`prediction_notes`; rows with a problem get
        their engineer and area checked too), ``basis``, ``points_used``
        (the points predicted for: a size such as ``M`` read through the
        scale), the quantiles and mean of working days, ``budget_days``,
        ``p_over_budget`` and ``clock``. Round with
        :func:`round_for_planners` for people.

    Examples
    --------
    >>> from calibrate import Calibrator, read_export
    >>> from calibrate.io.backlog import read_backlog
    >>> from calibrate.prediction import predict_backlog
    >>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
    >>> m = Calibrator().fit(read_export(SAMPLE, config=CONFIG)).result_.multipliers
    >>> table = predict_backlog(read_backlog("tests/fixtures/backlog.csv"), m)
    >>> table.columns.tolist()[:6]
    ['ticket_id', 'engineer', 'area', 'points', 'title', 'source_row']
    >>> table.set_index("ticket_id").loc["ML-904", "note"]
    'area not in the history'
    """
    tickets = backlog.tickets
    usable = tickets["problem"].isna().to_numpy()
    budget = multipliers.verdict_cap if budget_days is None else budget_days
    columns = [c for c in PLANNER_COLUMNS
               if budget is not None or c not in ("budget_days", "p_over_budget")]
    prediction = multipliers.predict(tickets.loc[usable, "engineer"].to_numpy(),
                                     tickets.loc[usable, "area"].to_numpy(),
                                     tickets.loc[usable, "points"].to_numpy(dtype=float),
                                     budget_days=budget, profile=profile, on=on)
    output = backlog.columns.copy()
    output["source_row"] = tickets["source_row"].to_numpy()
    output["problem"] = tickets["problem"].to_numpy()
    output["note"] = prediction_notes(multipliers, tickets["engineer"].to_numpy(),
                                      tickets["area"].to_numpy(),
                                      tickets["points"].to_numpy(dtype=float),
                                      profile=profile).to_numpy()
    output["points_used"] = tickets["points"].to_numpy(dtype=float)
    for column in columns:
        if column in output:
            continue
        values = prediction[column].to_numpy()
        filled = np.full(len(output), np.nan if values.dtype.kind == "f" else None,
                         dtype=float if values.dtype.kind == "f" else object)
        filled[usable] = values
        output[column] = filled
    if budget is not None:  # the budget each p_over_budget is against
        output["budget_days"] = np.where(usable, float(budget), np.nan)
    return output[[*backlog.columns.columns, *columns]]


def round_for_planners(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with days to 1 decimal (2 significant digits below 1 day) and
    probabilities to 3 decimals, as ``calibrate predict`` writes them.

    Examples
    --------
    >>> import pandas as pd
    >>> from calibrate.prediction import round_for_planners
    >>> round_for_planners(pd.DataFrame({"p50_days": [3069.4271, 2.345, 0.03456],
    ...                                  "p_over_budget": [0.12345, 1.0, 0.0]})).to_dict("list")
    {'p50_days': [3069.4, 2.3, 0.035], 'p_over_budget': [0.123, 1.0, 0.0]}
    """
    output = frame.copy()
    for column in _DAY_COLUMNS:
        if column in output:
            output[column] = _round_days(output[column].to_numpy(dtype=float))
    for column in _PROBABILITY_COLUMNS:
        if column in output:
            output[column] = np.round(output[column].to_numpy(dtype=float), 3)
    return output


def _round_days(days: np.ndarray) -> np.ndarray:
    small = (days > 0) & (days < 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        decimals = np.where(small, 1 - np.floor(np.log10(np.where(small, days, 1.0))), 1)
    scale = 10.0**decimals
    return np.round(days * scale) / scale


def _normalised_scale(scale: dict | None) -> dict[str, float]:
    return {str(size).strip().lower(): float(points) for size, points in (scale or {}).items()}


def _name_notes(values: np.ndarray, known, what: str, blank: str) -> np.ndarray:
    """Per value: ``blank`` when empty, a not-in-the-history flag (with the
    closest known name) when unknown, else ``""``."""
    values = pd.Series(values, dtype=object)
    is_blank = values.map(lambda v: v is None or (isinstance(v, float) and math.isnan(v))
                          or (isinstance(v, str) and not v.strip())).to_numpy(dtype=bool)
    unknown = ~is_blank & ~values.isin(set(known)).to_numpy()
    folded = {str(name).casefold(): str(name) for name in known}
    texts = {}
    for value in values[unknown].unique():
        match = difflib.get_close_matches(str(value).strip().casefold(), list(folded), n=1)
        texts[value] = (f"{what} not in the history"
                        + (f" (closest: {folded[match[0]]!r})" if match else ""))
    notes = np.full(len(values), "", dtype=object)
    notes[is_blank] = blank
    notes[unknown] = values[unknown].map(texts).to_numpy()
    return notes


def _points_notes(points: np.ndarray, points_range) -> np.ndarray:
    notes = np.full(len(points), "", dtype=object)
    if not points_range:
        return notes
    smallest, largest = (float(v) for v in points_range)
    for where, side, bound in ((points > largest, "beyond the history's largest", largest),
                               (points < smallest, "below the history's smallest", smallest)):
        notes[where] = [f"points {p:g} {side} ({bound:g}): the prediction extrapolates"
                        for p in points[where]]
    return notes


def _ticket_frame(engineer, area, points, scale: dict[str, float]) -> pd.DataFrame:
    engineers, areas, raw = np.broadcast_arrays(
        np.atleast_1d(np.asarray(engineer, dtype=object)),
        np.atleast_1d(np.asarray(area, dtype=object)),
        np.atleast_1d(np.asarray(points, dtype=object)))
    raw = raw.ravel()
    try:
        values = raw.astype(float)
    except (TypeError, ValueError):  # sizes such as "M"
        series = pd.Series(raw, dtype=object)
        numbers = pd.to_numeric(series, errors="coerce")
        sizes = series.map(lambda v: scale.get(v.strip().lower()) if isinstance(v, str) else None)
        values = numbers.where(numbers.notna(), sizes).to_numpy(dtype=float)
    bad = ~(np.isfinite(values) & (values >= 0))
    if bad.any():
        expected = ("a number >= 0 or a size of the points scale (" + ", ".join(scale) + ")"
                    if scale else "a number >= 0 (sizes such as 'M' need a points scale: "
                                  "the multipliers file's or points_scale=)")
        raise InputError("points must be numbers >= 0" + (" or sizes of the points scale"
                                                          if scale else ""),
                         [Problem("invalid points", value=v, expected=expected)
                          for v in pd.unique(raw[bad])[:5]])
    return pd.DataFrame({"engineer": engineers.ravel(), "area": areas.ravel(), "points": values})


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
    # The area-less engineer_new_area record's log_sd already holds the new
    # cell's variance engineer_area_sd^2; the engineer record of a file from
    # before schema 1.1 does not, so it is added to that fallback only.
    new_cell_variance = 0.0
    if people.empty:
        people = records[records["scope"] == "engineer"].set_index("engineer")
        new_cell_variance = model["engineer_area_sd"] ** 2
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
                             np.where(has_person, person_sd**2 + new_cell_variance,
                                      unseen_sd**2)),
        "cross": cross,
        "has_record": has_cell,
        "basis": np.where(has_cell & (scope == "engineer_area"), "engineer x area",
                          np.where(has_cell | has_person, "engineer", "unseen engineer")
                          ).astype(object),
    }


def skill_terms(multipliers, frame: pd.DataFrame, basis: np.ndarray, covariate: np.ndarray,
                known_area: np.ndarray, *, profile=None, start_date=None,
                on=None, unseen_levels: str = "borrow") -> dict[str, np.ndarray]:
    """What declared levels and the ramp-up add to each ticket's prediction.

    Rows predicted from an engineer x area record already hold the
    engineer's declared level (the record's ``log_mean``): their own
    tickets speak, and nothing is added for the level. The others — an
    engineer known but new to the area, or not in the history — get their
    declared level's ``offset`` (against the team's typical engineer) and
    its variance and covariances with the area's fixed effects::

        mean     += offset[a, level]
        variance += var_offset + 2 (cov_offset_intercept + x cov_offset_elasticity)

    A declared level that no engineer with tickets declared in the area
    (so it has no ``offset`` there) is, with ``unseen_levels="borrow"``,
    borrowed from the areas where it was estimated
    (:func:`borrowed_levels`): mean += o, variance += v, no covariances
    (the areas' estimates taken as independent of this area's); with
    ``"typical"``, or a level estimated in no area, it is treated as no
    declared level. A row with no declared level in an area with
    declarations is an engineer drawn from the team's mix: variance += sum
    over the area's levels of share x offset^2. The level of a known
    engineer is the file's (``skills.profiles``), of another the
    ``profile``'s. Every row whose engineer has a start date (the file's,
    the profile's or ``start_date``) and ticket start ``on`` gets the
    ramp-up: mean += rho z, variance += (z sd(rho))^2 with z = exp(-weeks on
    the team / tau) (its covariances with the other estimates left out).

    Returns
    -------
    dict
        ``mean`` and ``variance`` to add, and ``basis`` suffixes
        (``, declared level``, or ``, declared level borrowed from other
        areas``; ``, ramping up`` when the factor is 1.01 or more).

    Raises
    ------
    InputError
        If a profile or start date is given for multipliers fitted without
        skill profiles, or a profile's level or area is not the file's, or
        ``unseen_levels`` is not one of :data:`UNSEEN_LEVELS`.
    """
    _check_unseen_levels(unseen_levels)
    skills = getattr(multipliers, "skills", None)
    if skills is None:
        raise InputError(
            "a skill profile or start date needs multipliers fitted with skill profiles",
            hint="Fit with skills=SkillProfiles(...) (calibrate fit --skills FILE).")
    count = len(frame)
    records = multipliers.records
    known = frame["engineer"].isin(
        set(records.loc[records["scope"] != "population", "engineer"].dropna())).to_numpy()
    table = pd.DataFrame(skills["level_effects"])
    levels = _row_levels(skills, frame, known, profile,
                         set(multipliers.areas["area"]) | set(table.get("area", ())))
    mean, variance = np.zeros(count), np.zeros(count)
    suffix = np.full(count, "", dtype=object)
    fallback = known_area & (np.asarray(basis, dtype=object) != "engineer x area")
    if len(table):
        keys = pd.MultiIndex.from_arrays([table["area"], table["level"]])
        rows = table.set_index(keys)
        wanted = pd.MultiIndex.from_arrays([frame["area"], levels])
        found = rows.reindex(wanted)
        has = fallback & found["offset"].notna().to_numpy()

        def column(name: str) -> np.ndarray:
            return found[name].to_numpy(dtype=float)

        mean = np.where(has, column("offset"), 0.0)
        variance = np.where(has, column("var_offset") + 2 * (
            column("cov_offset_intercept") + covariate * column("cov_offset_elasticity")), 0.0)
        # A declared level the area never saw: its worth elsewhere, assumed.
        borrowable = borrowed_levels(skills) if unseen_levels == "borrow" else {}
        declared = pd.Series(levels, dtype=object)
        lent_mean = declared.map({level: effect.log_multiplier
                                  for level, effect in borrowable.items()}).to_numpy(dtype=float)
        lent_variance = declared.map({level: effect.variance for level, effect
                                      in borrowable.items()}).to_numpy(dtype=float)
        borrowed = fallback & ~has & ~np.isnan(lent_mean)
        mean = np.where(borrowed, lent_mean, mean)
        variance = np.where(borrowed, lent_variance, variance)
        mix = (table["share"] * table["offset"] ** 2).groupby(table["area"]).sum()
        mixed = fallback & ~has & ~borrowed & frame["area"].isin(mix.index).to_numpy()
        variance = variance + np.where(mixed, frame["area"].map(mix).to_numpy(dtype=float)
                                       if mixed.any() else 0.0, 0.0)
        suffix = np.where(has, ", declared level",
                          np.where(borrowed, _BORROWED_BASIS, "")).astype(object)
    ramp = skills.get("ramp_up")
    if ramp:
        starts = _row_start_dates(skills, frame, known, profile, start_date)
        moments = _ticket_starts(on, count)
        weeks = np.maximum((moments - starts) / np.timedelta64(7, "D"), 0.0)
        z = np.where(np.isnat(starts), 0.0,
                     np.exp(-np.nan_to_num(weeks, nan=0.0) / ramp["scale_weeks"]))
        mean = mean + ramp["slowdown"] * z
        variance = variance + (ramp["slowdown_se"] * z) ** 2
        slowed = np.exp(ramp["slowdown"] * z) >= 1.01
        suffix = np.where(slowed, suffix + ", ramping up", suffix).astype(object)
    return {"mean": mean, "variance": variance, "basis": suffix}


@dataclass(frozen=True)
class BorrowedLevel:
    """A declared level's effect against the team's typical engineer,
    combined over the areas where it was estimated (:func:`borrowed_levels`).

    Attributes
    ----------
    level : str
    log_multiplier : float
        The combined log multiplier o (the random-effects mean).
    variance : float
        Its variance as the effect in one more area: 1 / sum w + tau^2.
    areas : tuple of str
        The areas it was estimated in, in name order.
    """

    level: str
    log_multiplier: float
    variance: float
    areas: tuple[str, ...]


def borrowed_levels(skills: dict | None) -> dict[str, BorrowedLevel]:
    """Per declared level, its worth against the team's typical engineer in
    an area where no engineer with tickets declared it, borrowed from the
    areas where it was estimated.

    From ``skills["level_effects"]`` (a multipliers file's ``skills``
    section): every row of the level with ``var_offset`` > 0 (an area's only
    level is x1 by definition and tells nothing; ``undeclared`` is no
    level), its ``offset`` o_a and ``var_offset`` v_a, combined as in a
    random-effects meta-analysis (DerSimonian-Laird)::

        w_a  = 1 / v_a,  o_F = sum w_a o_a / sum w_a
        Q    = sum w_a (o_a - o_F)^2
        tau2 = max(0, (Q - (k - 1)) / (sum w_a - sum w_a^2 / sum w_a))   (0 when k = 1)
        w*_a = 1 / (v_a + tau2)
        o    = sum w*_a o_a / sum w*_a,   v = 1 / sum w*_a + tau2

    Inverse-variance weights, because an area with many tickets at the
    level knows its worth better than one with few; tau2, because areas may
    truly differ, and the area borrowed into is one more area, not their
    average. Levels estimated nowhere are left out.

    Examples
    --------
    >>> import warnings
    >>> from calibrate import Calibrator, read_export
    >>> from calibrate.io.skills import read_skills
    >>> from calibrate.prediction import borrowed_levels
    >>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     m = Calibrator().fit(read_export(SAMPLE, config=CONFIG),
    ...                          skills=read_skills("data/sample/skills.csv")).result_.multipliers
    >>> strong = borrowed_levels(m.skills)["strong"]
    >>> strong.areas
    ('ml-engineering', 'research')
    >>> bool(strong.log_multiplier < 0)
    True
    """
    if not skills or not skills.get("level_effects"):
        return {}
    records = pd.DataFrame(skills["level_effects"])
    informative = records[(records["level"] != UNDECLARED)
                          & (records["var_offset"].to_numpy(dtype=float) > _NO_CONTRAST)]
    borrowable = {}
    for level, rows in informative.groupby("level", sort=False):
        rows = rows.sort_values("area", key=name_order)
        log_multiplier, variance = _dersimonian_laird(rows["offset"].to_numpy(dtype=float),
                                                      rows["var_offset"].to_numpy(dtype=float))
        borrowable[str(level)] = BorrowedLevel(str(level), log_multiplier, variance,
                                               tuple(rows["area"].astype(str)))
    return borrowable


def _dersimonian_laird(effects: np.ndarray, variances: np.ndarray) -> tuple[float, float]:
    """Random-effects (DerSimonian-Laird) mean of per-area effects and the
    variance of the effect in one more area: 1 / sum w + tau^2 (with one
    area, its own estimate and variance)."""
    weights = 1.0 / variances
    fixed = float(np.sum(weights * effects) / np.sum(weights))
    tau2 = 0.0
    if len(effects) > 1:
        q = float(np.sum(weights * (effects - fixed) ** 2))
        scale = float(np.sum(weights) - np.sum(weights ** 2) / np.sum(weights))
        tau2 = max(0.0, (q - (len(effects) - 1)) / scale)
    weights = 1.0 / (variances + tau2)
    mean = float(np.sum(weights * effects) / np.sum(weights))
    return mean, float(1.0 / np.sum(weights) + tau2)


def unseen_levels_problems(unseen_levels) -> list[Problem]:
    """``[]``, or the problem with an ``unseen_levels`` that is not one of
    :data:`UNSEEN_LEVELS` (for a caller collecting its input problems)."""
    if isinstance(unseen_levels, str) and unseen_levels in UNSEEN_LEVELS:
        return []
    return [Problem("unknown way to value a level never declared in an area",
                    column="unseen_levels", value=unseen_levels,
                    expected=" or ".join(repr(u) for u in UNSEEN_LEVELS))]


def _check_unseen_levels(unseen_levels) -> None:
    problems = unseen_levels_problems(unseen_levels)
    if problems:
        raise InputError("invalid unseen_levels", problems)


def _row_levels(skills: dict, frame: pd.DataFrame, known: np.ndarray, profile,
                areas: set[str]) -> np.ndarray:
    """Each row's declared level (None: none): the profile's for engineers it
    names (a SkillProfiles) or for engineers the history does not have (a
    dict of area to level); else the file's for known engineers. A profile's
    area must be one of the file's ``areas`` (a level in an area without
    declarations is not used: no effect was estimated there)."""
    scale = {str(level).casefold(): str(level) for level in skills["levels"]}
    declared = pd.DataFrame(skills.get("profiles") or [], columns=["engineer", "area", "level"])
    keys = pd.MultiIndex.from_arrays([frame["engineer"], frame["area"]])
    levels = declared.set_index(["engineer", "area"])["level"].reindex(keys).to_numpy(
        dtype=object)
    levels = np.where(known, levels, None)
    if profile is None:
        return np.where(pd.isna(levels), None, levels)
    problems = []
    if hasattr(profile, "levels") and hasattr(profile, "start_dates"):  # SkillProfiles
        given = profile.levels.set_index(["engineer", "area"])["level"].reindex(keys)
        named = given.notna().to_numpy()
        values, where, own = given.to_numpy(dtype=object), named, profile.levels["area"]
    else:
        given = {str(a).strip(): v for a, v in dict(profile).items()}
        values = frame["area"].map(given).to_numpy(dtype=object)
        where, own = ~known & pd.notna(values), pd.Series(list(given))
    for area in sorted(set(own) - areas):
        problems.append(Problem(f"area not in the multipliers file{_did_you_mean(area, areas)}",
                                column="profile", value=area))
    canonical = np.full(len(values), None, dtype=object)
    for index in np.flatnonzero(where):
        text = str(values[index]).strip().casefold()
        if text not in scale:
            problems.append(Problem("level not on the scale", column="profile",
                                    value=values[index],
                                    expected="one of " + ", ".join(skills["levels"])))
        else:
            canonical[index] = scale[text]
    if problems:
        unique = list({str(p): p for p in problems}.values())
        raise InputError("invalid skill profile for prediction", unique)
    levels = np.where(where, canonical, levels)
    return np.where(pd.isna(levels), None, levels)


def _row_start_dates(skills: dict, frame: pd.DataFrame, known: np.ndarray, profile,
                     start_date) -> np.ndarray:
    """Each row's engineer's start date (NaT: none): a SkillProfiles' for
    engineers it names, else the file's for known engineers and
    ``start_date`` for the others."""
    dates = pd.Series({e: pd.Timestamp(d) for e, d in (skills.get("start_dates") or {}).items()},
                      dtype="datetime64[ns]")
    starts = dates.reindex(frame["engineer"]).to_numpy(dtype="datetime64[ns]")
    starts = np.where(known, starts, np.datetime64("NaT"))
    if start_date is not None:
        try:
            stamp = pd.Timestamp(start_date).normalize().to_datetime64()
        except (ValueError, TypeError):
            raise InputError(f"start_date {start_date!r} is not a date",
                             hint="Give a date such as 2025-03-03.") from None
        starts = np.where(known, starts, stamp)
    if hasattr(profile, "start_dates"):
        theirs = pd.Series(dict(profile.start_dates), dtype="datetime64[ns]")
        given = theirs.reindex(frame["engineer"]).to_numpy(dtype="datetime64[ns]")
        starts = np.where(np.isnat(given), starts, given)
    return starts.astype("datetime64[ns]")


def _ticket_starts(on, count: int) -> np.ndarray:
    """When each ticket starts: ``on`` (one date or one per ticket), default today."""
    if on is None:
        return np.full(count, pd.Timestamp.today().normalize().to_datetime64())
    try:
        values = pd.to_datetime(pd.Series(np.atleast_1d(np.asarray(on, dtype=object))))
    except (ValueError, TypeError):
        raise InputError(f"on={on!r} is not a date (or one per ticket)",
                         hint="Give a date such as 2025-06-02.") from None
    if len(values) not in (1, count):
        raise InputError(f"on has {len(values)} dates for {count} tickets",
                         hint="Give one date, or one per ticket.")
    if values.dt.tz is not None:
        values = values.dt.tz_localize(None)
    return np.broadcast_to(values.to_numpy(dtype="datetime64[ns]"), (count,))


def _lognormal_columns(log_mean: np.ndarray, log_sd: np.ndarray, budget: float | None,
                       per_point: np.ndarray) -> dict[str, np.ndarray]:
    z = normal_ppf([0.1, 0.5, 0.8, 0.9])
    budget = np.nan if budget is None else budget
    return {
        "log_mean": log_mean,
        "log_sd": log_sd,
        "mean_days": np.exp(log_mean + log_sd**2 / 2),
        "p10_days": np.exp(log_mean + z[0] * log_sd),
        "p50_days": np.exp(log_mean + z[1] * log_sd),
        "p80_days": np.exp(log_mean + z[2] * log_sd),
        "p90_days": np.exp(log_mean + z[3] * log_sd),
        "budget_days": np.full(len(log_mean), budget, dtype=float),
        "p_over_budget": normal_sf((np.log(budget) - log_mean) / log_sd),
        "p_over_points": normal_sf((np.log(per_point) - log_mean) / log_sd),
    }

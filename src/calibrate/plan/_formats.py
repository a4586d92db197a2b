"""Planner formats besides the multipliers file.

- :func:`probability_sample`: simulated working days of every ticket of a
  plan, one row per simulated sprint and one column per ticket (the
  "probability sample" of SIPmath). The rows share a draw index: in row d,
  all of one engineer's tickets used that engineer's same effect, so a
  spreadsheet that adds a row's columns gets the right distribution of the
  total — adding independent samples would not.
- :func:`focus_factors`: working days per point per engineer x area (and per
  engineer), the form capacity planners such as Jira Plans or Azure DevOps
  can take.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize

from calibrate._distributions import normal_cdf
from calibrate.errors import InputError
from calibrate.plan._check import _draws, plan_frame
from calibrate.plan._simulate import multipliers_of, simulate_days, warn_about_clock

__all__ = ["focus_factors", "probability_sample"]


def probability_sample(model, plan, *, draws: int = 1000, seed=0, profile=None,
                       on=None) -> pd.DataFrame:
    """Simulated working days of each ticket of a plan, draw by draw.

    Parameters
    ----------
    model : CalibrationResult or Multipliers
    plan : DataFrame
        See :func:`calibrate.plan.plan_frame`. Each ticket is simulated for
        its engineer; the unassigned ones as done by one engineer never seen.
    draws : int, default 1000
        Rows (simulated sprints).
    seed : int, default 0
    profile : SkillProfiles, optional
        New hires' declared profiles (see :func:`~calibrate.plan.check_plan`).
    on : date or str, optional
        When the sprint starts (see :func:`~calibrate.plan.check_plan`).

    Returns
    -------
    DataFrame
        A ``draw`` column (1 to ``draws``) and one column per ticket, named
        by its ticket id, of working days. Sum any columns of a row for that
        draw's total: the draws share each engineer's per-sprint effect
        (see :mod:`calibrate.plan`). ``attrs`` holds ``engineer`` (ticket id
        to engineer), ``seed``, ``draws`` and ``clock``.

    Raises
    ------
    InputError
        If the plan is invalid (see :func:`~calibrate.plan.plan_frame`) or a
        ticket id is ``draw``.

    Examples
    --------
    >>> import pandas as pd
    >>> from calibrate import Calibrator, read_export
    >>> from calibrate.plan import probability_sample
    >>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
    >>> result = Calibrator().fit(read_export(SAMPLE, config=CONFIG)).result_
    >>> plan = pd.DataFrame({"ticket_id": ["ML-1", "ML-2"], "area": ["research"] * 2,
    ...                      "points": [3, 5], "engineer": ["Priya Raman", ""]})
    >>> sample = probability_sample(result, plan, draws=500)
    >>> sample.columns.tolist(), len(sample)
    (['draw', 'ML-1', 'ML-2'], 500)
    """
    multipliers = multipliers_of(model)
    warn_about_clock(multipliers)
    frame = plan_frame(plan, points_scale=multipliers.points_scale)
    if (frame["ticket_id"] == "draw").any():
        raise InputError("a ticket id is 'draw', the name of the draw index column",
                         hint="Rename that ticket.")
    team = list(dict.fromkeys(frame["engineer"]))  # "" (unassigned): one person never seen
    simulated = simulate_days(multipliers, frame, team, draws=_draws(draws), seed=seed,
                              profile=profile, on=on)
    position = {name: j for j, name in enumerate(team)}
    columns = [position[name] for name in frame["engineer"]]
    days = simulated.days[:, np.arange(len(frame)), columns]
    sample = pd.DataFrame(days, columns=frame["ticket_id"].tolist())
    sample.insert(0, "draw", np.arange(1, simulated.draws + 1))
    sample.attrs.update(engineer=dict(zip(frame["ticket_id"], frame["engineer"], strict=True)),
                        seed=seed, draws=simulated.draws, clock=multipliers.clock)
    return sample


def focus_factors(model, points: float | None = None) -> pd.DataFrame:
    """Working days per point, per engineer x area and per engineer.

    What it is: for a ticket of ``points`` points (default the model's
    ``reference_points``), the predictive distribution of its working days
    (:meth:`~calibrate.export.Multipliers.predict`) divided by its points:
    the median, the mean (use it to add up capacity: expected days add
    up), and the 10%-90% range of one such ticket's days per point.

    Why it is not a constant: durations grow as points^elasticity, so days
    per point grow as points^(elasticity - 1). With an elasticity below 1 —
    the rule in real histories — a large ticket takes fewer days per point
    than a small one, and a single focus factor overstates large tickets and
    understates small ones (at elasticity 0.6, an 8-point ticket has
    (8/3)^-0.4 = 0.68 times the days per point of a 3-point one). So the
    factor is given for one size, said in the ``points`` column; ask for
    other sizes with ``points``. The range is that of a single ticket: a
    sprint's total is relatively narrower, but not by as much as
    independent tickets would suggest (see :mod:`calibrate.plan`).

    Parameters
    ----------
    model : CalibrationResult or Multipliers
    points : float, optional
        The ticket size the factors are for; default ``reference_points``.

    Returns
    -------
    DataFrame
        ``scope`` (``engineer x area``; ``engineer``: over the engineer's
        own mix of areas, each area weighted by their tickets in it;
        ``unseen engineer``: an engineer never seen, per area, engineer
        ``""``), ``engineer``, ``area`` (``""`` for a whole engineer),
        ``basis`` (what the prediction rests on), ``points``,
        ``median_days_per_point``, ``mean_days_per_point``,
        ``p10_days_per_point``, ``p90_days_per_point``.

    Examples
    --------
    >>> from calibrate import Calibrator, read_export
    >>> from calibrate.plan import focus_factors
    >>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
    >>> result = Calibrator().fit(read_export(SAMPLE, config=CONFIG)).result_
    >>> factors = focus_factors(result)
    >>> row = factors.query("engineer == 'Priya Raman' and area == 'research'").iloc[0]
    >>> bool(row["p10_days_per_point"] < row["median_days_per_point"] < row["p90_days_per_point"])
    True
    """
    multipliers = multipliers_of(model)
    size = float(multipliers.model["reference_points"] if points is None else points)
    if not (math.isfinite(size) and size > 0):
        raise InputError(f"points must be a number > 0, not {points!r}")
    records = multipliers.records
    known = records["scope"] != "population"
    engineers = list(dict.fromkeys(records.loc[known, "engineer"].dropna()))
    areas = [str(a) for a in multipliers.areas["area"]]
    pairs = [(e, a) for e in engineers for a in areas] + [("", a) for a in areas]
    prediction = multipliers.predict([e for e, _ in pairs], [a for _, a in pairs], size)
    table = pd.DataFrame({
        "scope": ["unseen engineer" if e == "" else "engineer x area" for e, _ in pairs],
        "engineer": [e for e, _ in pairs], "area": [a for _, a in pairs],
        "basis": prediction["basis"].to_numpy(), "points": size,
        "median_days_per_point": prediction["p50_days"].to_numpy() / size,
        "mean_days_per_point": prediction["mean_days"].to_numpy() / size,
        "p10_days_per_point": prediction["p10_days"].to_numpy() / size,
        "p90_days_per_point": prediction["p90_days"].to_numpy() / size})
    cells = records[records["scope"] == "engineer_area"]
    rows = []
    for engineer in engineers:
        mine = cells[cells["engineer"] == engineer]
        weight = (mine["n_finished"] + mine["n_open"]).to_numpy(dtype=float)
        if not len(mine) or weight.sum() <= 0:
            continue
        weight = weight / weight.sum()
        at = prediction.set_index(["engineer", "area"]).loc[
            [(engineer, a) for a in mine["area"]]]
        mean, sd = at["log_mean"].to_numpy(), at["log_sd"].to_numpy()
        rows.append({"scope": "engineer", "engineer": engineer, "area": "",
                     "basis": "engineer's own mix of areas", "points": size,
                     "median_days_per_point": _mixture_quantile(0.5, weight, mean, sd) / size,
                     "mean_days_per_point": float(weight @ np.exp(mean + sd**2 / 2)) / size,
                     "p10_days_per_point": _mixture_quantile(0.1, weight, mean, sd) / size,
                     "p90_days_per_point": _mixture_quantile(0.9, weight, mean, sd) / size})
    whole = pd.DataFrame(rows, columns=table.columns)
    ordered = pd.concat([whole, table], ignore_index=True)
    # Each engineer's own row first, then their areas; the unseen engineer last.
    rank = {name: k for k, name in enumerate([*engineers, ""])}
    ordered = ordered.assign(_who=ordered["engineer"].map(rank),
                             _whole=ordered["area"] != "")
    return (ordered.sort_values(["_who", "_whole"], kind="stable")
            .drop(columns=["_who", "_whole"]).reset_index(drop=True))


def _mixture_quantile(q: float, weight: np.ndarray, log_mean: np.ndarray,
                      log_sd: np.ndarray) -> float:
    """The q-quantile of a mixture of log-normals (weights ``weight``)."""
    def excess(log_days: float) -> float:
        return float(weight @ normal_cdf((log_days - log_mean) / log_sd)) - q

    low = float(np.min(log_mean - 10 * log_sd))
    high = float(np.max(log_mean + 10 * log_sd))
    return math.exp(optimize.brentq(excess, low, high, xtol=1e-12))

"""Planner formats: the probability sample and the focus factors.

References are computed here from the model numbers by hand (log-normal
moments and quantiles, mixture quantiles with scipy); Monte Carlo
tolerances are 4 standard errors estimated from the draws.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from calibrate import CalibrationWarning, Calibrator, InputError, read_export
from calibrate.export import RECORD_COLUMNS, Multipliers
from calibrate.plan import focus_factors, probability_sample

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
SIGMAS = 4.0
CELL_MEAN = {"Ann": 0.2, "Bo": -0.1}
UNSEEN_SD = math.hypot(0.2, 0.2)


def handmade() -> Multipliers:
    """One area ('build': intercept 0.5, elasticity 0.8 known exactly,
    noise 0.5, var_intercept 0.02); Ann and Bo with a cell each (log sd 0.25,
    cross term with the intercept 0.005)."""
    def record(scope, engineer, area, log_mean, log_sd, n, cross=0.0):
        row = dict.fromkeys(RECORD_COLUMNS, 0.0)
        row.update(scope=scope, engineer=engineer, area=area, log_mean=log_mean, log_sd=log_sd,
                   median=math.exp(log_mean), mean=math.exp(log_mean + log_sd**2 / 2),
                   n_finished=n, n_open=0, fixed_cross_intercept=cross)
        return row

    rows = [record("population", None, None, 0.0, UNSEEN_SD, 40)]
    for name, mean in CELL_MEAN.items():
        rows += [record("engineer", name, None, mean, 0.15, 20),
                 record("engineer_area", name, "build", mean, 0.25, 20, 0.005),
                 record("engineer_new_area", name, None, mean, math.sqrt(0.05), 0)]
    areas = pd.DataFrame({"area": ["build"], "intercept": [0.5], "elasticity": [0.8],
                          "noise_sd": [0.5], "var_intercept": [0.02], "var_elasticity": [0.0],
                          "cov_intercept_elasticity": [0.0], "n_finished": [40], "n_open": [0]})
    model = {"reference_points": 3.0, "zero_points": 0.5, "engineer_sd": 0.2,
             "engineer_area_sd": 0.2, "unseen_engineer_sd": UNSEEN_SD, "cap_days": 3.0,
             "confidence": 0.8, "noise": "area", "slopes": "area", "method": "reml",
             "clock": "cycle", "points_range": [1.0, 8.0], "lead_cap_days": None}
    return Multipliers(records=pd.DataFrame(rows, columns=RECORD_COLUMNS), areas=areas,
                       model=model, window={}, calendar=None)


@pytest.fixture(scope="module")
def result():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        return Calibrator().fit(read_export(SAMPLE / "jira_changelog.json",
                                            config=SAMPLE / "calibrate.toml")).result_


PLAN = pd.DataFrame({"ticket_id": ["A-1", "A-2", "B-1", "U-1", "U-2"],
                     "area": ["build"] * 5, "points": [3, 5, 2, 3, 1],
                     "engineer": ["Ann", "Ann", "Bo", "", None]})


# -- probability sample -------------------------------------------------------------------------


def test_the_sample_has_a_draw_index_and_a_column_per_ticket():
    sample = probability_sample(handmade(), PLAN, draws=200, seed=4)
    assert sample.columns.tolist() == ["draw", "A-1", "A-2", "B-1", "U-1", "U-2"]
    assert sample["draw"].tolist() == list(range(1, 201))
    assert sample.attrs["engineer"] == {"A-1": "Ann", "A-2": "Ann", "B-1": "Bo", "U-1": "",
                                        "U-2": ""}
    assert sample.attrs["seed"] == 4 and sample.attrs["clock"] == "cycle"
    pd.testing.assert_frame_equal(sample, probability_sample(handmade(), PLAN, draws=200, seed=4))
    assert not sample.equals(probability_sample(handmade(), PLAN, draws=200, seed=5))
    assert (sample.drop(columns="draw") > 0).all().all()
    with pytest.raises(InputError, match="'draw'"):
        probability_sample(handmade(), PLAN.assign(ticket_id=["draw", "a", "b", "c", "d"]))


def test_columns_are_the_tickets_lognormals_and_rows_keep_their_correlations():
    """By hand: log(days) of a ticket of p points is N(0.5 + 0.8 log(p/3) +
    the cell's log_mean, s^2) with s^2 = 0.25 + 0.0625 + 0.02 - 2 x 0.005 for
    Ann and Bo, 0.25 + 0.02 + UNSEEN_SD^2 for the unassigned. Log covariances
    in one row: two of Ann's tickets share the intercept and her cell
    (0.02 + 0.0625 - 2 x 0.005); Ann and Bo share the intercept and their
    cells' regressions on it (0.02 - 2 x 0.005 + 0.005^2 / 0.02); the two
    unassigned tickets share the intercept and one unseen person
    (0.02 + UNSEEN_SD^2)."""
    draws = 60_000
    sample = probability_sample(handmade(), PLAN, draws=draws, seed=1)
    logs = np.log(sample.drop(columns="draw"))
    known_var = 0.25 + 0.0625 + 0.02 - 0.01
    unseen_var = 0.25 + 0.02 + UNSEEN_SD**2
    expected_mean = {"A-1": 0.7, "A-2": 0.5 + 0.8 * math.log(5 / 3) + 0.2,
                     "B-1": 0.5 + 0.8 * math.log(2 / 3) - 0.1, "U-1": 0.5,
                     "U-2": 0.5 + 0.8 * math.log(1 / 3)}
    for ticket, mean in expected_mean.items():
        var = unseen_var if ticket.startswith("U") else known_var
        assert abs(logs[ticket].mean() - mean) < SIGMAS * math.sqrt(var / draws), ticket
        assert abs(logs[ticket].var() / var - 1) < SIGMAS * math.sqrt(2 / draws), ticket
        days = sample[ticket]
        exact_mean = math.exp(mean + var / 2)
        assert abs(days.mean() - exact_mean) < SIGMAS * days.std() / math.sqrt(draws), ticket
    pairs = {("A-1", "A-2"): 0.02 + 0.0625 - 0.01,
             ("A-1", "B-1"): 0.02 - 0.01 + 0.005**2 / 0.02,
             ("U-1", "U-2"): 0.02 + UNSEEN_SD**2,
             ("A-1", "U-1"): 0.02 - 0.005}
    for (a, b), covariance in pairs.items():
        se = math.sqrt((logs[a].var() * logs[b].var() + covariance**2) / draws)
        assert abs(np.cov(logs[a], logs[b])[0, 1] - covariance) < SIGMAS * se, (a, b)
    # And so a row's sum has the per-sprint spread: Var(A-1 + A-2) by the
    # log-normal algebra, sum_ik E_i E_k (exp(c_ik) - 1).
    means = np.array([math.exp(expected_mean[t] + known_var / 2) for t in ("A-1", "A-2")])
    log_cov = np.array([[known_var, pairs[("A-1", "A-2")]], [pairs[("A-1", "A-2")], known_var]])
    total = sample["A-1"] + sample["A-2"]
    centred = total - total.mean()
    tolerance = SIGMAS * math.sqrt(((centred**4).mean() - centred.var() ** 2) / draws)
    assert abs(total.var() - float(means @ (np.exp(log_cov) - 1) @ means)) < tolerance


def test_the_sample_reads_sizes_and_warns_about_lead_time(lead_result):
    multipliers = lead_result.multipliers
    engineer = multipliers.records.query("scope == 'engineer'")["engineer"].iloc[0]
    area = multipliers.areas["area"].iloc[0]
    plan = pd.DataFrame({"ticket_id": ["L-1", "L-2"], "area": [area, area],
                         "points": ["m", 3], "engineer": [engineer, engineer]})
    sized = multipliers.with_points_scale({"M": 3})
    with pytest.warns(CalibrationWarning, match="lead time"):
        sample = probability_sample(sized, plan, draws=100)
    assert sample.attrs["clock"] == "lead"
    with pytest.warns(CalibrationWarning), pytest.raises(InputError, match="invalid row"):
        probability_sample(multipliers, plan, draws=100)  # no scale for "m"


# -- focus factors ------------------------------------------------------------------------------


def test_focus_factors_by_hand_from_the_file(result):
    """A reference-points ticket (x = 0): median days = exp(intercept + the
    cell's log_mean), log sd^2 = noise^2 + the cell's log_sd^2 +
    var_intercept - 2 fixed_cross_intercept; per point: / reference_points."""
    multipliers = result.multipliers
    factors = focus_factors(result)
    reference = multipliers.model["reference_points"]
    area = multipliers.areas.set_index("area").loc["research"]
    cell = multipliers.records.query(
        "scope == 'engineer_area' and engineer == 'Priya Raman' and area == 'research'").iloc[0]
    log_mean = area["intercept"] + cell["log_mean"]
    log_sd = math.sqrt(area["noise_sd"] ** 2 + cell["log_sd"] ** 2 + area["var_intercept"]
                       - 2 * cell["fixed_cross_intercept"])
    z = stats.norm.ppf(0.9)
    row = factors.query("engineer == 'Priya Raman' and area == 'research'").iloc[0]
    assert row["scope"] == "engineer x area" and row["basis"] == "engineer x area"
    assert row["points"] == reference
    assert row["median_days_per_point"] == pytest.approx(math.exp(log_mean) / reference,
                                                         rel=1e-12)
    assert row["mean_days_per_point"] == pytest.approx(
        math.exp(log_mean + log_sd**2 / 2) / reference, rel=1e-12)
    assert row["p10_days_per_point"] == pytest.approx(math.exp(log_mean - z * log_sd) / reference,
                                                      rel=1e-12)
    assert row["p90_days_per_point"] == pytest.approx(math.exp(log_mean + z * log_sd) / reference,
                                                      rel=1e-12)
    # Every engineer x area pair, the fallback for areas an engineer never
    # worked in, and a row per area for an engineer never seen.
    engineers = multipliers.records.query("scope == 'engineer'")["engineer"].tolist()
    n_areas = len(multipliers.areas)
    assert len(factors) == len(engineers) * (n_areas + 1) + n_areas
    aiko = factors.query("engineer == 'Aiko Tanaka' and area == 'research'")
    assert aiko["basis"].item() == "engineer"
    unseen = factors[factors["scope"] == "unseen engineer"]
    assert unseen["engineer"].eq("").all() and len(unseen) == n_areas
    assert factors["engineer"].iloc[-1] == "" and factors["scope"].iloc[0] == "engineer"


def test_an_engineers_own_row_is_the_mixture_of_their_areas(result):
    multipliers = result.multipliers
    factors = focus_factors(result)
    reference = multipliers.model["reference_points"]
    row = factors.query("engineer == 'Zoë Müller' and scope == 'engineer'").iloc[0]
    cells = multipliers.records.query("scope == 'engineer_area' and engineer == 'Zoë Müller'")
    weight = (cells["n_finished"] + cells["n_open"]).to_numpy(float)
    weight /= weight.sum()
    prediction = multipliers.predict("Zoë Müller", cells["area"].to_numpy(object), reference)
    mean, sd = prediction["log_mean"].to_numpy(), prediction["log_sd"].to_numpy()
    assert row["mean_days_per_point"] == pytest.approx(
        float(weight @ prediction["mean_days"]) / reference, rel=1e-12)
    for column, q in (("median_days_per_point", 0.5), ("p10_days_per_point", 0.1),
                      ("p90_days_per_point", 0.9)):
        at = math.log(row[column] * reference)
        assert float(weight @ stats.norm.cdf((at - mean) / sd)) == pytest.approx(q, abs=1e-9)


def test_days_per_point_scale_as_points_to_the_elasticity_minus_one(result):
    """Median days per point grow as points^(elasticity - 1): not a constant
    when the elasticity is not 1."""
    at_three, at_eight = focus_factors(result), focus_factors(result, points=8)
    elasticity = result.multipliers.areas.set_index("area")["elasticity"]
    cells = at_three["scope"] == "engineer x area"
    ratio = (at_eight.loc[cells, "median_days_per_point"]
             / at_three.loc[cells, "median_days_per_point"])
    expected = (8 / 3) ** (at_three.loc[cells, "area"].map(elasticity) - 1)
    np.testing.assert_allclose(ratio, expected, rtol=1e-10)
    assert (expected < 1).all()  # larger tickets: fewer days per point here
    with pytest.raises(InputError, match="points"):
        focus_factors(result, points=0)

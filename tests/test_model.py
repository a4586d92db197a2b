"""Calibrator: recovery of known truth, censoring, the estimator contract, warnings."""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from calibrate import CalibrationWarning, Calibrator, InputError, read_export
from calibrate.synth import simulate_tickets

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
Z90 = 1.6448536269514722  # two-sided 90% normal quantile


@pytest.fixture(scope="module")
def sample_fit():
    """The bundled Jira history (cycle times), fitted once."""
    table = read_export(SAMPLE / "jira_changelog.json", config=SAMPLE / "calibrate.toml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        result = Calibrator().fit(table).result_
    truth = json.loads((SAMPLE / "truth.json").read_text(encoding="utf-8"))
    return result, truth


def test_true_engineer_multipliers_fall_inside_their_90_percent_intervals(sample_fit):
    result, truth = sample_fit
    engineers = result.engineer_multipliers.set_index("engineer")
    true = pd.Series(truth["engineer_multipliers"])
    assert set(engineers.index) == set(true.index)
    low = np.exp(engineers["log_mean"] - Z90 * engineers["log_sd"])
    high = np.exp(engineers["log_mean"] + Z90 * engineers["log_sd"])
    inside = (true >= low) & (true <= high)
    assert inside.mean() >= 0.85, pd.DataFrame({"low": low, "true": true, "high": high})


def test_true_elasticities_fall_inside_their_intervals(sample_fit):
    result, truth = sample_fit
    elasticity = result.elasticity.set_index("area").loc[list(truth["b"])]
    true = pd.Series(truth["b"])
    # 90% Wald intervals; all three areas hold here.
    assert ((elasticity["ci_low"] <= true) & (true <= elasticity["ci_high"])).all(), elasticity
    # Points grow slower than proportionally, and the test of elasticity = 1 says so.
    assert (elasticity["p_value_vs_1"] < 0.01).all()


def test_pooling_beats_unpooled_ratios(sample_fit):
    result, truth = sample_fit
    cells = result.cell_multipliers
    cells = cells[cells["area"].isin(truth["areas"]) & cells["raw_ratio"].notna()]
    true = np.log([truth["engineer_area_multipliers"][f"{e}|{a}"]
                   for e, a in zip(cells["engineer"], cells["area"], strict=True)])
    pooled = np.sqrt(np.mean((np.log(cells["median"]) - true) ** 2))
    unpooled = np.sqrt(np.mean((np.log(cells["raw_ratio"]) - true) ** 2))
    # Engineer x area multipliers: at least 25% closer to the truth than the
    # per-engineer-per-area raw ratios (measured: about 40%).
    assert pooled <= 0.75 * unpooled, (pooled, unpooled)

    engineers = result.engineer_multipliers
    true = np.log(engineers["engineer"].map(truth["engineer_multipliers"]))
    pooled = np.sqrt(np.mean((np.log(engineers["median"]) - true) ** 2))
    unpooled = np.sqrt(np.mean((np.log(engineers["raw_ratio"]) - true) ** 2))
    # Per engineer (most have 100+ tickets, so pooling matters less): still closer.
    assert pooled < unpooled, (pooled, unpooled)


@pytest.fixture(scope="module")
def censored_simulation():
    # A short history: about a quarter of the tickets are still open.
    return simulate_tickets(4000, 40, seed=2, history_days=6, noise_sd=0.5)


def test_open_tickets_are_censored_not_dropped(censored_simulation):
    tickets, truth = censored_simulation.tickets, censored_simulation.truth
    assert 0.15 < tickets["censored"].mean() < 0.4
    true_elasticity = np.mean(list(truth["elasticity"].values()))
    true_intercept = np.mean(list(truth["intercept"].values()))

    def fitted(calibrator, data):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CalibrationWarning)
            result = calibrator.fit(data).result_
        cells = result.cell_multipliers
        engineer = cells["engineer"].str[-5:].astype(int).to_numpy()
        area = cells["area"].map({a: i for i, a in enumerate(truth["areas"])}).to_numpy()
        error = np.log(cells["median"].to_numpy()) - (truth["u"][engineer]
                                                      + truth["v"][engineer, area])
        return (result.elasticity["elasticity"].mean(),
                result.multipliers.areas["intercept"].mean(),
                np.sqrt(np.mean(error**2)))

    censored = fitted(Calibrator(), tickets)
    dropped = fitted(Calibrator(), tickets[~tickets["censored"]])
    # Censoring handled: elasticity and typical duration recovered.
    assert abs(censored[0] - true_elasticity) < 0.05
    assert abs(censored[1] - true_intercept) < 0.05
    # Dropping open tickets keeps the fast ones: both are biased down.
    assert dropped[0] < true_elasticity - 0.05
    assert dropped[1] < true_intercept - 0.1
    # ... and the multipliers are further from the truth.
    assert censored[2] < dropped[2]


def test_estimator_contract():
    calibrator = Calibrator(noise="shared", cap_days=2.0)
    copy = clone(calibrator)
    assert copy.get_params() == calibrator.get_params()
    assert "noise='shared'" in repr(calibrator)
    assert not hasattr(calibrator, "result_")
    with pytest.raises(AttributeError, match="not fitted"):
        calibrator.predict("x", "y", 3)
    with pytest.raises(ValueError, match="noise must be"):
        Calibrator(noise="engineer").fit(simulate_tickets(200, 5, seed=0).tickets)


def test_fit_returns_self_and_sets_fitted_attributes():
    tickets = simulate_tickets(600, 8, seed=3).tickets
    calibrator = Calibrator()
    assert calibrator.fit(tickets) is calibrator
    assert calibrator.n_tickets_ == 600
    assert calibrator.n_censored_ == int(tickets["censored"].sum())
    assert calibrator.engineers_ == sorted(tickets["engineer"].unique())
    assert calibrator.converged_


def test_too_few_finished_tickets_is_an_input_error():
    tickets = simulate_tickets(8, 2, seed=0).tickets
    with pytest.raises(InputError, match="too few"):
        Calibrator().fit(tickets)


def test_zero_points_and_single_points_value_warn():
    tickets = simulate_tickets(400, 6, seed=4).tickets
    tickets.loc[:9, "points"] = 0.0
    with pytest.warns(CalibrationWarning, match="0 points"):
        Calibrator().fit(tickets)
    tickets = simulate_tickets(400, 6, seed=4).tickets
    tickets.loc[tickets["area"] == "research", "points"] = 3.0
    with pytest.warns(CalibrationWarning, match="single points value"):
        calibrator = Calibrator().fit(tickets)
    assert calibrator.result_.elasticity["shared"].all()


def test_no_engineer_differences_warns_of_the_boundary():
    tickets = simulate_tickets(2000, 30, seed=5, engineer_sd=0.0, cell_sd=0.0).tickets
    with pytest.warns(CalibrationWarning, match="boundary"):
        result = Calibrator().fit(tickets).result_
    # On the boundary every multiplier is 1, and the fixed effects are intact.
    np.testing.assert_allclose(result.engineer_multipliers["median"], 1.0, atol=0.03)
    np.testing.assert_allclose(np.exp(result.multipliers.areas["intercept"]), np.exp(0.7),
                               rtol=0.08)


def test_team_only_model_has_no_engineer_effects():
    tickets = simulate_tickets(800, 10, seed=6).tickets
    result = Calibrator(random_effects=False).fit(tickets).result_
    assert result.variance_components["engineer_sd"] == 0.0
    np.testing.assert_allclose(result.engineer_multipliers["median"], 1.0, atol=1e-12)


def test_points_likelihood_ratio_test_matches_statsmodels():
    import statsmodels.formula.api as smf
    from scipy import stats

    tickets = simulate_tickets(1500, 15, seed=12, areas=("research", "data")).tickets
    tickets = tickets[~tickets["censored"]]
    result = Calibrator(noise="shared").fit(tickets).result_
    test = result.points_test
    data = pd.DataFrame({
        "y": np.log(tickets["duration_days"]), "c": np.log(tickets["points"] / 3),
        "p": tickets["points"].astype(str), "area": tickets["area"].astype(str),
        "engineer": tickets["engineer"].astype(str)})
    data["cell"] = data["engineer"] + "|" + data["area"]

    def llf(formula):
        model = smf.mixedlm(formula, data, groups="engineer", re_formula="1",
                            vc_formula={"cell": "0 + C(cell)"})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits = [model.fit(reml=False, method=[m]) for m in ("lbfgs", "powell")]
        return max(f.llf for f in fits)

    statistic = 2 * (llf("y ~ 0 + C(area):C(p)") - llf("y ~ 0 + C(area) + C(area):c"))
    # 2 areas x 5 points values = 10 means, against 2 intercepts + 2 slopes: df 6.
    assert test["df"] == 6
    np.testing.assert_allclose(test["statistic"], statistic, atol=2e-3)
    np.testing.assert_allclose(test["p_value"], stats.chi2.sf(statistic, 6), atol=1e-3)


def _no_nans(result):
    numbers = result.multipliers.records.select_dtypes("number")
    assert not numbers.isna().any().any()
    prediction = result.predict(result.engineer_multipliers["engineer"].iloc[0],
                                result.elasticity["area"].iloc[0], [1, 3, 8])
    assert np.isfinite(prediction[["p10_days", "p90_days", "mean_days"]].to_numpy()).all()


@pytest.fixture
def base_tickets():
    return simulate_tickets(300, 6, seed=3).tickets


def test_single_engineer_warns_and_fits(base_tickets):
    tickets = base_tickets.assign(engineer=pd.array(["solo"] * len(base_tickets), dtype="string"))
    with pytest.warns(CalibrationWarning, match="only 1 engineer"):
        result = Calibrator().fit(tickets).result_
    _no_nans(result)


def test_single_area_fits(base_tickets):
    tickets = base_tickets.assign(area=pd.array(["only"] * len(base_tickets), dtype="string"))
    result = Calibrator().fit(tickets).result_
    assert result.elasticity["area"].tolist() == ["only"]
    _no_nans(result)


def test_all_tickets_with_the_same_points_assume_proportional_growth(base_tickets):
    tickets = base_tickets.assign(points=5.0)
    with pytest.warns(CalibrationWarning, match="cannot be estimated"):
        result = Calibrator().fit(tickets).result_
    assert result.elasticity["assumed"].all()
    assert (result.elasticity["elasticity"] == 1.0).all()
    _no_nans(result)
    # The typical 5-point duration is still estimated from the data.
    finished = tickets[~tickets["censored"]]
    typical = np.exp(np.log(finished["duration_days"]).mean())
    area = result.multipliers.areas.iloc[0]
    np.testing.assert_allclose(np.exp(area["intercept"] + np.log(5 / 3)), typical, rtol=0.25)


def test_all_tickets_open_is_an_input_error(base_tickets):
    tickets = base_tickets.assign(censored=True, finished_at=pd.NaT)
    with pytest.raises(InputError, match="finished tickets"):
        Calibrator().fit(tickets)


def test_one_ticket_per_engineer_warns(base_tickets):
    tickets = simulate_tickets(300, 300, seed=1).tickets.drop_duplicates("engineer")
    tickets = tickets[~tickets["censored"]]
    with pytest.warns(CalibrationWarning, match="fewer than 3 finished tickets"):
        result = Calibrator().fit(tickets).result_
    _no_nans(result)
    assert result.engineer_multipliers["shrinkage_weight"].max() < 0.6


def test_extreme_durations_fit(base_tickets):
    tickets = base_tickets.copy()
    tickets.loc[:5, "duration_days"] = 0.01
    tickets.loc[6:10, "duration_days"] = 2000.0
    tickets.loc[:10, ["censored", "finished_at"]] = [False, tickets.loc[:10, "started_at"]]
    result = Calibrator().fit(tickets).result_
    _no_nans(result)

"""Calibrator: recovery of known truth, censoring, the estimator contract, warnings."""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from calibrate import CalibrationWarning, Calibrator, InputError, read_export
from calibrate.datasets import simulate_tickets
from calibrate.model import ASSUMED_ENGINEER_SD

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
Z90 = 1.6448536269514722  # two-sided 90% normal quantile


@pytest.fixture(scope="module")
def sample_table():
    return read_export(SAMPLE / "jira_changelog.json", config=SAMPLE / "calibrate.toml")


@pytest.fixture(scope="module")
def sample_fit(sample_table):
    """The bundled Jira history (cycle times), fitted once."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        result = Calibrator().fit(sample_table).result_
    truth = json.loads((SAMPLE / "truth.json").read_text(encoding="utf-8"))
    return result, truth


def true_own_mix(table, truth) -> pd.Series:
    """The generator's engineer multiplier over the engineer's own ticket mix:
    exp(sum over areas of ticket share x log(true engineer x area multiplier)),
    counted from the ticket table (tickets in areas the generator does not
    know, e.g. unclassified, left out)."""
    tickets = table.tickets[table.tickets["area"].isin(truth["areas"])]
    shares = tickets.groupby(["engineer", "area"]).size() / tickets.groupby("engineer").size()
    logs = np.log([truth["engineer_area_multipliers"][f"{e}|{a}"] for e, a in shares.index])
    return np.exp((shares * logs).groupby(level="engineer").sum())


def test_true_engineer_multipliers_fall_inside_their_90_percent_intervals(sample_fit,
                                                                          sample_table):
    result, truth = sample_fit
    engineers = result.engineer_multipliers.set_index("engineer")
    true = true_own_mix(sample_table, truth)
    assert set(engineers.index) == set(true.index)
    low = np.exp(engineers["log_mean"] - Z90 * engineers["log_sd"])
    high = np.exp(engineers["log_mean"] + Z90 * engineers["log_sd"])
    inside = (true >= low) & (true <= high)
    assert inside.mean() >= 0.85, pd.DataFrame({"low": low, "true": true, "high": high})


def test_true_elasticities_fall_inside_their_intervals(sample_fit):
    result, truth = sample_fit
    elasticity = result.elasticity.set_index("area").loc[list(truth["elasticity"])]
    true = pd.Series(truth["elasticity"])
    # 90% Wald intervals; all three areas hold here.
    assert ((elasticity["ci_low"] <= true) & (true <= elasticity["ci_high"])).all(), elasticity
    # Points grow slower than proportionally, and the test of elasticity = 1 says so.
    assert (elasticity["p_value_vs_1"] < 0.01).all()


def test_pooling_beats_unpooled_ratios(sample_fit):
    result, truth = sample_fit
    cells = result.engineer_area_multipliers
    cells = cells[cells["area"].isin(truth["areas"]) & cells["raw_ratio"].notna()]
    true = np.log([truth["engineer_area_multipliers"][f"{e}|{a}"]
                   for e, a in zip(cells["engineer"], cells["area"], strict=True)])
    pooled = np.sqrt(np.mean((np.log(cells["median"]) - true) ** 2))
    unpooled = np.sqrt(np.mean((np.log(cells["raw_ratio"]) - true) ** 2))
    # Engineer x area multipliers: at least 25% closer to the truth than the
    # per-engineer-per-area raw ratios (measured: about 40%).
    assert pooled <= 0.75 * unpooled, (pooled, unpooled)

    # Per engineer, the sample's engineers mostly have 100+ tickets, where
    # pooling hardly matters; see the thin-team test below.


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pooling_beats_unpooled_ratios_for_engineers_of_a_thin_team(seed):
    # 60 engineers with about 13 tickets each: the engineer multiplier (over
    # the engineer's own ticket mix) against the generator's truth, u + the
    # ticket-share-weighted v, counted from the table.
    simulated = simulate_tickets(800, 60, seed=seed, history_days=400)
    tickets, truth = simulated.tickets, simulated.truth
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        engineers = Calibrator().fit(tickets).result_.engineer_multipliers
    engineer_code = {name: i for i, name in enumerate(truth["engineers"])}
    area_code = {name: i for i, name in enumerate(truth["areas"])}
    shares = tickets.groupby(["engineer", "area"]).size() / tickets.groupby("engineer").size()
    effect = [truth["u"][engineer_code[e]] + truth["v"][engineer_code[e], area_code[a]]
              for e, a in shares.index]
    true = (shares * effect).groupby(level="engineer").sum()
    engineers = engineers[engineers["raw_ratio"].notna()]
    true = engineers["engineer"].map(true)
    pooled = np.sqrt(np.mean((np.log(engineers["median"]) - true) ** 2))
    unpooled = np.sqrt(np.mean((np.log(engineers["raw_ratio"]) - true) ** 2))
    # Measured: 32-36% lower.
    assert pooled <= 0.8 * unpooled, (pooled, unpooled)


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
        cells = result.engineer_area_multipliers
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


def test_em_stops_on_small_steps_or_at_the_optimisers_noise():
    from calibrate.model import _em_settled

    tolerance = 1e-6
    assert _em_settled(9e-7, 2e-6, tolerance)  # under the tolerance
    assert not _em_settled(3e-6, 8e-5, tolerance)  # still shrinking: go on
    assert _em_settled(4.7e-6, 3.8e-6, tolerance)  # no longer shrinking, near it: noise
    assert not _em_settled(2e-4, 1e-4, tolerance)  # growing far from it: not noise


def test_em_stop_agrees_with_a_much_tighter_one(censored_simulation, monkeypatch):
    """The default stop rule moves no estimate by more than 1e-5 against an
    EM run to 1e-10 (only under the tolerance stops it there)."""
    from calibrate import model

    def fitted(tickets):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CalibrationWarning)
            calibrator = Calibrator().fit(tickets)
        cells = calibrator.result_.engineer_area_multipliers
        return calibrator.em_iterations_, np.log(cells["median"].to_numpy()), np.log(
            calibrator.result_.multipliers.areas["intercept"].to_numpy(dtype=float))

    tickets = censored_simulation.tickets
    iterations, cells, intercepts = fitted(tickets)
    exact = model.fit_design
    monkeypatch.setattr(model, "fit_design", lambda design, **settings: exact(
        design, **{**settings, "tolerance": 1e-10, "max_iterations": 5000}))
    monkeypatch.setattr(model, "_em_settled", lambda step, last, tolerance: step < tolerance)
    tight_iterations, tight_cells, tight_intercepts = fitted(tickets)
    assert tight_iterations > iterations
    np.testing.assert_allclose(cells, tight_cells, rtol=0, atol=1e-5)
    np.testing.assert_allclose(intercepts, tight_intercepts, rtol=0, atol=1e-5)


def test_estimator_contract():
    calibrator = Calibrator(noise="shared", cap_days=2.0)
    copy = clone(calibrator)
    assert copy.get_params() == calibrator.get_params()
    assert "noise='shared'" in repr(calibrator)
    assert not hasattr(calibrator, "result_")
    with pytest.raises(AttributeError, match="not fitted"):
        calibrator.predict("x", "y", 3)
    with pytest.raises(ValueError, match="The 'noise' parameter of Calibrator must be a str "
                                         "among .*'area'.*Got 'engineer' instead"):
        Calibrator(noise="engineer").fit(simulate_tickets(200, 5, seed=0).tickets)


def test_clone_round_trips_every_parameter_and_constraints_are_declared():
    changed = {"noise": "shared", "slopes": "shared", "censoring": False,
               "abandonment": False, "half_life_days": 90.0, "min_area_tickets": 12,
               "reference_points": 2.0, "zero_points": 0.25, "cap_days": 5.0,
               "confidence": 0.9, "method": "ml", "random_effects": False}
    assert set(changed) == set(Calibrator().get_params())  # every parameter covered
    assert clone(Calibrator(**changed)).get_params() == changed
    assert set(Calibrator._parameter_constraints) == set(changed)
    tickets = simulate_tickets(200, 5, seed=0).tickets
    for name, bad, expected in (("confidence", 80, "range \\(0.0, 1.0\\)"),
                                ("cap_days", -1, "range \\(0.0, inf\\)"),
                                ("half_life_days", 0, "range \\(0.0, inf\\) or None"),
                                ("min_area_tickets", 2.5, "int in the range \\[1, inf\\)")):
        with pytest.raises(ValueError, match=f"The '{name}' parameter of Calibrator must be "
                                             f".*{expected}"):
            Calibrator(**{name: bad}).fit(tickets)


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
    # research cannot have its own elasticity: it shares the largest other
    # area's, and the remaining area keeps its own.
    elasticity = calibrator.result_.elasticity.set_index("area")
    others = tickets[(tickets["area"] != "research") & ~tickets["censored"]]
    largest = others["area"].value_counts().idxmax()
    assert elasticity.loc["research", "shared"] and elasticity.loc[largest, "shared"]
    assert elasticity.loc["research", "elasticity"] == elasticity.loc[largest, "elasticity"]
    assert not elasticity.drop(["research", largest])["shared"].any()


def test_no_engineer_differences_warns_of_the_boundary():
    tickets = simulate_tickets(2000, 30, seed=5, engineer_sd=0.0, engineer_area_sd=0.0).tickets
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
    with pytest.warns(CalibrationWarning, match="single engineer"):
        result = Calibrator().fit(tickets).result_
    _no_nans(result)
    # The spread between engineers is not identified: not reported as an
    # estimate, and an unseen engineer's interval uses the assumed spread
    # (noise and fixed-effect variance unchanged, so the variances differ by
    # exactly ASSUMED_ENGINEER_SD^2).
    identification = result.variance_components["identification"]
    assert identification["engineer_sd"] == "not identified"
    assert result.multipliers.model["unseen_engineer_sd"] == ASSUMED_ENGINEER_SD
    solo = result.predict("solo", "research", 3)
    other = result.predict("someone else", "research", 3)
    assert other["basis"].iloc[0] == "unseen engineer"
    np.testing.assert_allclose(other["log_sd"].iloc[0] ** 2 - solo["log_sd"].iloc[0] ** 2,
                               0.3**2, rtol=1e-9)


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


# -- engineer multipliers and identification (issue: numbers on real histories) --

def _single_area_team(seed: int = 0) -> pd.DataFrame:
    """Two areas, every engineer working in exactly one: engineer and
    engineer x area effects cannot be told apart."""
    simulated = simulate_tickets(1200, 12, seed=seed, engineer_sd=0.5, engineer_area_sd=0.0,
                                 areas=("research", "data"), history_days=600)
    tickets = simulated.tickets
    number = tickets["engineer"].str[-2:].astype(int)
    tickets["area"] = pd.array(np.where(number % 2 == 0, "research", "data"), dtype="string")
    return tickets[~tickets["censored"]].reset_index(drop=True)


def test_engineer_in_one_area_keeps_their_whole_effect_and_the_split_is_flagged():
    tickets = _single_area_team()
    with pytest.warns(CalibrationWarning, match="not separately identified"):
        # Unweighted, to compare with statsmodels (which has no recency weights).
        result = Calibrator(half_life_days=None).fit(tickets).result_
    identification = result.variance_components["identification"]
    assert identification["split"] == "not identified"
    assert identification["engineer_sd"] == "not identified"
    assert result.variance_components["engineer_sd"] == 0.0
    # Each engineer's multiplier is their one cell's, not half of it (the
    # engineer average over both areas would halve the log effect).
    cells = result.engineer_area_multipliers.set_index("engineer")
    engineers = result.engineer_multipliers.set_index("engineer")
    np.testing.assert_allclose(engineers["log_mean"], cells.loc[engineers.index, "log_mean"],
                               atol=1e-12)
    # Independent reference: with one cell per engineer the model is a
    # random intercept per engineer; statsmodels' BLUPs and variance.
    import statsmodels.formula.api as smf

    data = pd.DataFrame({"y": np.log(tickets["duration_days"]),
                         "c": np.log(tickets["points"] / 3),
                         "area": tickets["area"].astype(str),
                         "engineer": tickets["engineer"].astype(str)})
    model = smf.mixedlm("y ~ 0 + C(area) + C(area):c", data, groups="engineer")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # lbfgs stops at a zero variance with an infinite likelihood here (the
        # method guide's pitfall): two derivative-free optimizers that agree.
        fits = [model.fit(reml=True, method=[method]) for method in ("powell", "nm")]
    assert all(f.converged for f in fits)
    np.testing.assert_allclose(fits[0].cov_re.iloc[0, 0], fits[1].cov_re.iloc[0, 0], rtol=1e-3)
    reference = max(fits, key=lambda f: f.llf)
    blup = pd.Series({name: effect.iloc[0] for name, effect in
                      reference.random_effects.items()})
    np.testing.assert_allclose(engineers["log_mean"], blup[engineers.index], atol=2e-3)
    np.testing.assert_allclose(result.variance_components["engineer_area_sd"] ** 2,
                               reference.cov_re.iloc[0, 0], rtol=2e-2)


def test_known_engineer_in_a_new_area_is_predicted_by_their_engineer_effect_alone():
    simulated = simulate_tickets(700, 8, seed=11, history_days=600, areas=("a", "b"))
    tickets = simulated.tickets[~simulated.tickets["censored"]]
    newcomer = tickets["engineer"].value_counts().index[0]
    tickets = tickets[~((tickets["engineer"] == newcomer) & (tickets["area"] == "b"))]
    tickets = tickets.reset_index(drop=True)
    # Unweighted, so that the dense V below is the fitted model's.
    result = Calibrator(half_life_days=None).fit(tickets).result_
    prediction = result.predict(newcomer, "b", 5)
    assert prediction["basis"].iloc[0] == "engineer"

    # Dense algebra at the fitted variances: the best linear predictor of
    # x'beta + u + v_new is x'beta_hat + u_hat, with error variance
    # PEV(u) + engineer_area_sd^2 + x'Mx - 2 x'Mq (Henderson), plus the ticket noise.
    from calibrate.model import prepare_design

    design = prepare_design(tickets)
    sigma = np.array([result.variance_components["noise_sd"][a] for a in design.areas])
    components = result.variance_components
    su, sv = components["engineer_sd"], components["engineer_area_sd"]
    x = design.patterns[design.pattern]
    y = design.log_duration
    rows, n_engineers = len(y), len(design.engineers)
    z = np.zeros((rows, n_engineers + len(design.cell_engineer)))
    z[np.arange(rows), design.engineer] = 1
    z[np.arange(rows), n_engineers + design.cell] = 1
    g = np.diag([su**2] * n_engineers + [sv**2] * len(design.cell_engineer))
    v = z @ g @ z.T + np.diag(sigma[design.area] ** 2)
    v_inverse = np.linalg.inv(v)
    m = np.linalg.inv(x.T @ v_inverse @ x)
    beta = m @ x.T @ v_inverse @ y
    engineer = design.engineers.index(newcomer)
    h = su**2 * (design.engineer == engineer)
    u_hat = h @ v_inverse @ (y - x @ beta)
    q = x.T @ v_inverse @ h
    new = np.zeros(x.shape[1])
    new[design.areas.index("b")] = 1
    new[design.slope_index[design.areas.index("b")]] = np.log(5 / 3)
    variance = (su**2 - h @ v_inverse @ h + (new - q) @ m @ (new - q) + sv**2
                + sigma[design.areas.index("b")] ** 2)
    np.testing.assert_allclose(prediction["log_mean"].iloc[0], new @ beta + u_hat, rtol=1e-6)
    np.testing.assert_allclose(prediction["log_sd"].iloc[0], np.sqrt(variance), rtol=1e-6)


@pytest.mark.parametrize("share", [0.0, 0.016, 0.05])
def test_abandoned_open_tickets_do_not_move_the_fit(share):
    # Abandoned tickets: open, 60-350 working days old. The fit with them
    # must match the fit of the same team without them (within 5%), where
    # the plain censored likelihood inflates the noise by a third or more.
    simulated = simulate_tickets(1000, 15, seed=2, history_days=400, abandoned=share)
    tickets, truth = simulated.tickets, simulated.truth
    clean = tickets[~tickets["ticket_id"].isin(truth["abandoned_ids"])]
    assert len(tickets) - len(clean) == round(share * 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        robust = Calibrator().fit(tickets).result_
        reference = Calibrator().fit(clean).result_
        plain = Calibrator(abandonment=False).fit(tickets).result_

    def noise(result):
        return np.array(list(result.variance_components["noise_sd"].values()))

    def error(result):
        cells = result.engineer_area_multipliers
        engineer = {name: i for i, name in enumerate(truth["engineers"])}
        area = {name: i for i, name in enumerate(truth["areas"])}
        true = [truth["u"][engineer[e]] + truth["v"][engineer[e], area[a]]
                for e, a in zip(cells["engineer"], cells["area"], strict=True)]
        return np.sqrt(np.mean((np.log(cells["median"]) - true) ** 2))

    np.testing.assert_allclose(noise(robust), noise(reference), rtol=0.05)
    np.testing.assert_allclose(error(robust), error(reference), rtol=0.05)
    if share:
        assert noise(plain).mean() > 1.3 * noise(reference).mean()
        likely = robust.aging_work[robust.aging_work["p_abandoned"] > 0.5]
        assert set(likely["ticket_id"]) == set(truth["abandoned_ids"])
        assert robust.multipliers.model["abandoned_share"] == pytest.approx(share, abs=0.005)
    else:
        # Nothing abandoned: the same fit as the plain censored model.
        assert robust.multipliers.model["abandoned_share"] < 1e-6
        np.testing.assert_allclose(noise(robust), noise(plain), rtol=1e-4)
        np.testing.assert_allclose(robust.engineer_area_multipliers["median"],
                                   plain.engineer_area_multipliers["median"], rtol=1e-4)


def test_an_area_with_a_handful_of_tickets_shares_noise_and_elasticity():
    simulated = simulate_tickets(600, 8, seed=6, history_days=600, areas=("a", "b", "c"),
                                 noise_sd=[0.5, 0.6, 0.7])
    tickets = simulated.tickets[~simulated.tickets["censored"]]
    tiny = tickets[tickets["area"] == "c"].head(4)
    tickets = pd.concat([tickets[tickets["area"] != "c"], tiny], ignore_index=True)
    with pytest.warns(CalibrationWarning, match="fewer than 30 finished tickets"):
        result = Calibrator().fit(tickets).result_
    largest = tickets.loc[tickets["area"] != "c", "area"].value_counts().idxmax()
    noise = result.variance_components["noise_sd"]
    elasticity = result.elasticity.set_index("area")["elasticity"]
    assert noise["c"] == noise[largest]
    assert elasticity["c"] == elasticity[largest]
    assert result.multipliers.model["pooled_areas"] == ["c"]
    # With a lower minimum the area gets its own values again.
    own = Calibrator(min_area_tickets=3).fit(tickets).result_
    assert own.variance_components["noise_sd"]["c"] != own.variance_components["noise_sd"][
        largest]


def test_recency_weighting_follows_a_change_of_speed():
    # Engineer 0 becomes twice as fast in the newest part of the history.
    simulated = simulate_tickets(1500, 6, seed=4, history_days=500, engineer_sd=0.0,
                                 engineer_area_sd=0.0)
    tickets = simulated.tickets[~simulated.tickets["censored"]].copy()
    newest = tickets["finished_at"].max()
    recent = tickets["finished_at"] > newest - pd.Timedelta(days=120)
    changed = recent & (tickets["engineer"] == "engineer-00000")
    tickets.loc[changed, "duration_days"] /= 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        everything = Calibrator(half_life_days=None).fit(tickets).result_
        weighted = Calibrator(half_life_days=60).fit(tickets).result_
        long = Calibrator(half_life_days=1e9).fit(tickets).result_

    def multiplier(result):
        return result.engineer_multipliers.set_index("engineer").loc["engineer-00000", "median"]

    # The recent speed (0.5) is much closer with a 60-day half-life.
    assert abs(np.log(multiplier(weighted) / 0.5)) < 0.5 * abs(np.log(multiplier(everything)
                                                                      / 0.5))
    # A half-life far longer than the history is the unweighted fit.
    np.testing.assert_allclose(multiplier(long), multiplier(everything), rtol=1e-5)
    assert weighted.multipliers.model["half_life_days"] == 60


def _with_an_area_of_open_tickets(tickets: pd.DataFrame, count: int = 2) -> pd.DataFrame:
    """``tickets`` and ``count`` open tickets in a new area, 'maintenance'."""
    extra = tickets[tickets["censored"]].head(count).copy()
    assert len(extra) == count
    extra["area"] = "maintenance"
    extra["ticket_id"] = [f"M-{i}" for i in range(count)]
    return pd.concat([tickets, extra], ignore_index=True)


def test_an_area_whose_tickets_are_all_open_is_left_out_with_a_warning(censored_simulation):
    """Its level has no finite estimate: fitted, the EM would raise it to its
    iteration limit. Left out, the rest is the fit without those tickets."""
    tickets = censored_simulation.tickets
    with_area = _with_an_area_of_open_tickets(tickets)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CalibrationWarning)
        calibrator = Calibrator().fit(with_area)
    messages = [str(w.message) for w in caught if "no finished ticket" in str(w.message)]
    assert messages == ["area(s) maintenance (2 open) have no finished ticket: their 2 open "
                        "ticket(s) are left out of the fit, since an area's typical duration "
                        "needs at least one finished ticket; the area is predicted as one "
                        "never seen"]
    assert "maintenance" not in calibrator.areas_
    assert calibrator.n_tickets_ == len(tickets)
    assert calibrator.converged_ and calibrator.em_iterations_ < 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        without = Calibrator().fit(tickets)
    pd.testing.assert_frame_equal(calibrator.result_.engineer_area_multipliers,
                                  without.result_.engineer_area_multipliers)
    engineer = with_area["engineer"].iloc[-1]
    prediction = calibrator.result_.predict(engineer, "maintenance", 3)
    assert "area" in prediction["note"].iloc[0]
    np.testing.assert_allclose(
        prediction["log_mean"], without.result_.predict(engineer, "maintenance", 3)["log_mean"],
        rtol=1e-12)

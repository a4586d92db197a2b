"""CalibrationResult: tables, overrun probabilities, recommended sizes, summary."""

import warnings

import numpy as np
import pytest
from scipy import stats

from calibrate import CalibrationWarning, Calibrator
from calibrate.datasets import simulate_tickets
from calibrate.results import DEFAULT_POINT_SCALE


@pytest.fixture(scope="module")
def result():
    tickets = simulate_tickets(1200, 10, seed=9).tickets
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        return Calibrator().fit(tickets).result_


def test_overrun_probability_by_hand(result):
    table = result.overrun_probabilities(points=(3,))
    cell = result.multipliers.records.query("scope == 'engineer_area'").iloc[4]
    area = result.multipliers.areas.set_index("area").loc[cell["area"]]
    # 3 points is the reference: log(points / 3) = 0, so the fixed part is the
    # intercept and its variance var_intercept, less twice the cross term.
    mean = area["intercept"] + cell["log_mean"]
    sd = np.sqrt(area["noise_sd"] ** 2 + cell["log_sd"] ** 2 + area["var_intercept"]
                 - 2 * cell["fixed_cross_intercept"])
    expected = 1 - stats.norm.cdf((np.log(3) - mean) / sd)
    row = table[(table["engineer"] == cell["engineer"]) & (table["area"] == cell["area"])]
    np.testing.assert_allclose(row["p_over_3"].iloc[0], expected, rtol=1e-9)


def test_recommended_size_is_the_largest_that_fits(result):
    sizes = result.recommended_sizes(cap_days=3, confidence=0.8)
    for row in sizes.itertuples():
        fits = {p: 1 - result.predict(row.engineer, row.area, p, budget_days=3)[
            "p_over_budget"].iloc[0] for p in DEFAULT_POINT_SCALE}
        expected = max([p for p, f in fits.items() if f >= 0.8], default=0)
        assert row.recommended_points == expected
    # A looser cap never recommends smaller tickets.
    looser = result.recommended_sizes(cap_days=5, confidence=0.8)
    assert (looser["recommended_points"].to_numpy() >= sizes["recommended_points"].to_numpy()).all()


def test_summary_renders_as_text_and_html(result):
    summary = result.summary()
    text = str(summary)
    for heading in ("Model", "Points elasticity per area", "Engineer multipliers",
                    "Where the 3-point assumption breaks", "not a ranking of people"):
        assert heading in text
    html = summary._repr_html_()
    assert html.count("<table") == 4
    assert "engineer-00000" in html


def test_to_frame_is_tidy(result):
    frame = result.to_frame()
    assert {"scope", "engineer", "area", "median", "recommended_points"} <= set(frame.columns)
    assert frame["scope"].value_counts()["population"] == 1
    cells = frame[frame["scope"] == "engineer_area"]
    assert cells["recommended_points"].notna().all()


def test_multiplier_percentiles_are_lognormal(result):
    records = result.multipliers.records
    z90 = stats.norm.ppf(0.9)
    np.testing.assert_allclose(records["p90"],
                               np.exp(records["log_mean"] + z90 * records["log_sd"]), rtol=1e-12)
    np.testing.assert_allclose(records["mean"],
                               np.exp(records["log_mean"] + records["log_sd"] ** 2 / 2), rtol=1e-12)
    assert records["shrinkage_weight"].between(0, 1).all()
    # Engineers with more tickets rely more on their own data.
    engineers = result.engineer_multipliers.sort_values("n_finished")
    assert engineers["shrinkage_weight"].iloc[-1] > engineers["shrinkage_weight"].iloc[0]


def test_for_engineers_filters_every_table(result):
    chosen = sorted(result.engineer_multipliers["engineer"])[:3]
    view = result.for_engineers(chosen)
    assert sorted(view.engineer_multipliers["engineer"]) == chosen
    assert set(view.engineer_area_multipliers["engineer"]) <= set(chosen)
    assert set(view.recommended_sizes()["engineer"]) <= set(chosen)
    records = view.multipliers.records
    assert (records["scope"] == "population").sum() == 1
    # The model is the same: predictions for a shown engineer do not change.
    assert view.predict(chosen[0], "research", 3).equals(result.predict(chosen[0], "research", 3))


# -- the summary's verdicts follow the clock and the configured sizes ---------------------------


def test_summary_of_lead_time_judges_nothing_against_the_work_cap(lead_result):
    summary = lead_result.summary()
    text = str(summary)
    assert "Durations are lead time: working days from creation to done" in text
    assert "Jira REST JSON with the changelog" in text and "started_at" in text
    assert "Lead time is not judged against the work cap of 3 days: no overrun verdicts" in text
    tables = summary.tables
    assert "Where the 3-point assumption breaks" not in text
    title = ("Typical lead time of a 3-point ticket (working days from creation to done; no "
             "cap verdicts)")
    assert list(tables)[-1] == title
    assert "recommended_points" not in tables[title].columns
    assert tables["Model"].loc["clock", "value"] == "lead (creation to done)"
    assert tables["Model"].loc["cap for verdicts", "value"] == "none (lead time)"
    assert "<p>Durations are lead time" in summary._repr_html_()


def test_summary_with_a_lead_cap_labels_its_verdicts(lead_result):
    result = lead_result.with_lead_cap(10)
    tables = result.summary().tables
    title = ("Where a 3-point ticket overruns the lead-time cap (10 working days from creation "
             "to done, 80% confidence)")
    assert title in tables
    breaks = tables[title].set_index(["engineer", "area"])
    assert "p_3_points_over_10_days" in breaks.columns
    # P(a 3-point ticket takes more than 10 days) by hand, for one cell.
    cell = result.multipliers.records.query("scope == 'engineer_area'").iloc[2]
    area = result.multipliers.areas.set_index("area").loc[cell["area"]]
    mean = area["intercept"] + cell["log_mean"]
    sd = np.sqrt(area["noise_sd"] ** 2 + cell["log_sd"] ** 2 + area["var_intercept"]
                 - 2 * cell["fixed_cross_intercept"])
    expected = 1 - stats.norm.cdf((np.log(10) - mean) / sd)
    np.testing.assert_allclose(
        breaks.loc[(cell["engineer"], cell["area"]), "p_3_points_over_10_days"], expected,
        rtol=1e-9)
    assert "Verdicts are against the lead-time cap of 10 working days" in str(result.summary())
    assert result.multipliers.verdict_cap == 10 and lead_result.multipliers.verdict_cap is None


def test_summary_uses_the_configured_reference_points_and_cap():
    tickets = simulate_tickets(800, 8, seed=9).tickets
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        result = Calibrator(reference_points=2, cap_days=5).fit(tickets).result_
    tables = result.summary().tables
    title = "Where the 2-point assumption breaks (cap 5 working days, 80% confidence)"
    assert title in tables
    assert "p_2_points_over_5_days" in tables[title].columns
    elasticity = tables["Points elasticity per area (1 = proportional)"]
    assert "median days at 2 points" in elasticity.columns
    # The median of a 2-point ticket for a typical engineer is exp(intercept).
    np.testing.assert_allclose(elasticity["median days at 2 points"],
                               np.exp(result.multipliers.areas["intercept"]), rtol=1e-12)
    assert "3-point" not in str(result.summary()) and "3_points" not in str(result.summary())
    # Cycle time: the team's cap, whatever lead cap is set.
    assert result.with_lead_cap(20).multipliers.verdict_cap == 5


def test_an_unseen_engineer_is_drawn_from_the_estimated_spread_when_only_the_split_is_unknown():
    # Every engineer works in one area: engineer and engineer x area effects
    # cannot be told apart, so their sum is estimated as engineer x area. A new
    # person is drawn from that estimated spread, not from the assumed one.
    import pandas as pd

    simulated = simulate_tickets(1200, 12, seed=0, engineer_sd=0.5, engineer_area_sd=0.0,
                                 areas=("research", "data"), history_days=600)
    tickets = simulated.tickets
    number = tickets["engineer"].str[-2:].astype(int)
    tickets["area"] = pd.array(np.where(number % 2 == 0, "research", "data"), dtype="string")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        fitted = Calibrator().fit(tickets).result_
    components = fitted.variance_components
    assert components["identification"]["split"] == "not identified"
    estimated = np.hypot(components["engineer_sd"], components["engineer_area_sd"])
    assert estimated > 0.3  # the true spread is 0.5; the assumed one 0.3
    model = fitted.multipliers.model
    np.testing.assert_allclose(model["unseen_engineer_sd"], estimated, rtol=1e-12)
    population = fitted.multipliers.records.query("scope == 'population'")
    np.testing.assert_allclose(population["log_sd"], estimated, rtol=1e-12)

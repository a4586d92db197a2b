"""CalibrationResult: tables, overrun probabilities, recommended sizes, summary."""

import warnings

import numpy as np
import pytest
from scipy import stats

from calibrate import CalibrationWarning, Calibrator
from calibrate.results import DEFAULT_POINT_SCALE
from calibrate.synth import simulate_tickets


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
    assert set(view.cell_multipliers["engineer"]) <= set(chosen)
    assert set(view.recommended_sizes()["engineer"]) <= set(chosen)
    records = view.multipliers.records
    assert (records["scope"] == "population").sum() == 1
    # The model is the same: predictions for a shown engineer do not change.
    assert view.predict(chosen[0], "research", 3).equals(result.predict(chosen[0], "research", 3))

"""Plan check and reassignment costs: validators, loads, splits, hand-over deltas.

Reference numbers are independent of the code under test: closed-form
log-normals computed here from hand-chosen model numbers, ``predict``'s
closed form for single tickets, and probability bounds. Monte Carlo
tolerances are 4 standard errors (binomial for probabilities).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from calibrate import CalibrationWarning, Calibrator, InputError, read_export
from calibrate.export import RECORD_COLUMNS, Multipliers
from calibrate.plan import (
    PlanCheck,
    ReassignmentCosts,
    capacity_series,
    check_plan,
    plan_frame,
    reassignment_costs,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
SIGMAS = 4.0

# The hand-made model: one area, engineers with a cell each; the fixed
# elasticity is known (var 0), so log(days) ~ N(m(p), S2) with
# m(p) = 0.5 + 0.8 log(p / 3) + the cell's log_mean and
# S2 = noise 0.25 + cell 0.0625 + var_intercept 0.02 - 2 x cross 0.005.
CELL_MEAN = {"Ann": 0.2, "Bo": -0.1}
S2 = 0.25 + 0.0625 + 0.02 - 2 * 0.005


def handmade(points_scale=None) -> Multipliers:
    def record(scope, engineer, area, log_mean, log_sd, n, cross=0.0):
        row = dict.fromkeys(RECORD_COLUMNS, 0.0)
        row.update(scope=scope, engineer=engineer, area=area, log_mean=log_mean, log_sd=log_sd,
                   median=math.exp(log_mean), mean=math.exp(log_mean + log_sd**2 / 2),
                   n_finished=n, n_open=0, fixed_cross_intercept=cross)
        return row

    rows = [record("population", None, None, 0.0, math.hypot(0.2, 0.2), 40)]
    for name, mean in CELL_MEAN.items():
        rows += [record("engineer", name, None, mean, 0.15, 20),
                 record("engineer_area", name, "build", mean, 0.25, 20, 0.005),
                 record("engineer_new_area", name, None, mean, math.sqrt(0.05), 0)]
    areas = pd.DataFrame({"area": ["build"], "intercept": [0.5], "elasticity": [0.8],
                          "noise_sd": [0.5], "var_intercept": [0.02], "var_elasticity": [0.0],
                          "cov_intercept_elasticity": [0.0], "n_finished": [40], "n_open": [0]})
    model = {"reference_points": 3.0, "zero_points": 0.5, "engineer_sd": 0.2,
             "engineer_area_sd": 0.2, "unseen_engineer_sd": math.hypot(0.2, 0.2),
             "cap_days": 3.0, "confidence": 0.8, "noise": "area", "slopes": "area",
             "method": "reml", "clock": "cycle", "points_range": [1.0, 8.0],
             "lead_cap_days": None}
    if points_scale:
        model["points_scale"] = points_scale
    return Multipliers(records=pd.DataFrame(rows, columns=RECORD_COLUMNS), areas=areas,
                       model=model, window={}, calendar=None)


def hand_log_mean(engineer: str, points: float) -> float:
    return 0.5 + 0.8 * math.log(points / 3) + CELL_MEAN[engineer]


def plan_of(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["ticket_id", "area", "points", "engineer"])


@pytest.fixture(scope="module")
def result():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        return Calibrator().fit(read_export(SAMPLE / "jira_changelog.json",
                                            config=SAMPLE / "calibrate.toml")).result_


SPRINT = plan_of([
    ("ML-1", "research", 3, "Priya Raman"),
    ("ML-2", "research", 5, "Priya Raman"),
    ("ML-3", "ml-engineering", 2, "Priya Raman"),
    ("ML-4", "ml-engineering", 8, "Zoë Müller"),
    ("ML-5", "data-engineering", 3, "Zoë Müller"),
    ("ML-6", "data-engineering", 2, "Someone New"),
    ("ML-7", "research", 1, ""),
    ("ML-8", "reserch", 2, None),
])


# -- plan_frame ---------------------------------------------------------------------------------


def test_plan_frame_standardises_a_plan():
    plan = pd.DataFrame({"ticket_id": [" A-1", "A-2", 3], "area": ["build", None, "build"],
                         "points": [3, "M", "2,5"], "engineer": ["Ann ", np.nan, ""],
                         "pinned": ["yes", "", False], "sprint": ["S1", "S1", "S2"]})
    frame = plan_frame(plan, points_scale={"M": 3})
    assert frame.columns.tolist() == ["ticket_id", "title", "engineer", "area", "points",
                                      "pinned", "sprint"]
    assert frame["ticket_id"].tolist() == ["A-1", "A-2", "3"]
    assert frame["engineer"].tolist() == ["Ann", "", ""]
    assert frame["area"].tolist() == ["build", "", "build"]
    assert frame["points"].tolist() == [3.0, 3.0, 2.5]
    assert frame["pinned"].tolist() == [True, False, False]
    assert frame["title"].tolist() == ["", "", ""]
    # Without a scale a size is kept for the prediction to read.
    assert plan_frame(plan)["points"].tolist() == [3.0, "m", 2.5]


def test_plan_frame_lists_every_bad_row_at_once():
    plan = pd.DataFrame({
        "ticket_id": ["A-1", "", "A-3", "A-3", "A-5", "A-6", "A-7", "A-8"],
        "area": ["build"] * 8,
        "points": [3, 2, -1, 2, "XL", None, 2, True],
        "engineer": ["Ann", "Ann", "Ann", "Ann", "Ann", "Ann", "", "Ann"],
        "pinned": ["no", "", "", "", "", "maybe", "yes", ""],
    })
    with pytest.raises(InputError) as error:
        plan_frame(plan, points_scale={"m": 3})
    found = {(p.row, p.message) for p in error.value.problems}
    assert found == {
        (3, "no ticket id"),
        (4, "ticket id used more than once"), (5, "ticket id used more than once"),
        (4, "invalid points"), (6, "invalid points"), (9, "invalid points"),
        (7, "no points"), (7, "invalid pinned value"),
        (8, "ticket pinned to nobody"),
    }
    assert "7 invalid row(s)" in str(error.value)
    with pytest.raises(InputError, match="required columns") as error:
        plan_frame(pd.DataFrame({"ticket_id": ["A"], "engineer": ["Ann"]}))
    assert {p.column for p in error.value.problems} == {"area", "points"}
    # A size with an empty scale is invalid (the multipliers have none).
    with pytest.raises(InputError, match="invalid row"):
        plan_frame(plan_of([("A", "build", "M", "Ann")]), points_scale={})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["build", "test", ""]),
                          st.one_of(st.integers(0, 13), st.floats(0, 20, allow_nan=False)),
                          st.sampled_from(["Ann", "Bo", "", None])), min_size=1, max_size=8))
def test_plan_frame_keeps_every_row_and_is_idempotent(rows):
    plan = plan_of([(f"T-{i}", a, p, e) for i, (a, p, e) in enumerate(rows)])
    frame = plan_frame(plan)
    assert len(frame) == len(plan)
    assert frame["points"].tolist() == [float(p) for _, p, _ in rows]
    pd.testing.assert_frame_equal(plan_frame(frame), frame)


# -- capacity_series ----------------------------------------------------------------------------


def test_capacity_series_fills_defaults_and_adds_candidates():
    series = capacity_series(None, ["Ann", "Bo", "", "Ann"], sprint_days=8)
    assert series.to_dict() == {"Ann": 8.0, "Bo": 8.0} and series.name == "capacity_days"
    frame = pd.DataFrame({"engineer": ["Cy", "Ann"], "capacity_days": [4, "6.5"]})
    assert capacity_series(frame, ["Ann", "Bo"]).to_dict() == {"Ann": 6.5, "Bo": 10.0,
                                                               "Cy": 4.0}
    assert capacity_series({"Bo": 0}, ["Ann", "Bo"]).to_dict() == {"Ann": 10.0, "Bo": 0.0}


def test_capacity_series_lists_every_bad_entry():
    frame = pd.DataFrame({"engineer": ["Ann", "", "Bo", "Bo", "Cy"],
                          "capacity_days": [-1, 3, 4, 4, None]})
    with pytest.raises(InputError, match="invalid entries") as error:
        capacity_series(frame, ["Ann"])
    found = {(p.row, p.message.split(" of ")[0].split(" is ")[0]) for p in error.value.problems}
    assert found == {(2, "capacity"), (3, "capacity for an engineer without a name"),
                     (4, "engineer listed more than once"),
                     (5, "engineer listed more than once"), (6, "capacity")}
    with pytest.raises(InputError) as error:
        capacity_series({"Ann": math.nan, "Bo": "lots"}, ["Ann"])
    assert len(error.value.problems) == 2 and "'Bo'" in str(error.value)
    with pytest.raises(InputError, match="required columns"):
        capacity_series(pd.DataFrame({"engineer": ["Ann"]}), ["Ann"])
    with pytest.raises(InputError, match="sprint_days"):
        capacity_series(None, ["Ann"], sprint_days=0)


# -- check_plan ---------------------------------------------------------------------------------


def test_check_plan_is_reproducible_and_adds_up(result):
    check = check_plan(result, SPRINT, {"Priya Raman": 6, "Tomasz Kowalczyk": 8}, draws=4000,
                       seed=3)
    again = check_plan(result.multipliers, SPRINT, {"Priya Raman": 6, "Tomasz Kowalczyk": 8},
                       draws=4000, seed=3)
    other = check_plan(result, SPRINT, {"Priya Raman": 6, "Tomasz Kowalczyk": 8}, draws=4000,
                       seed=4)
    assert isinstance(check, PlanCheck) and check.draws == 4000 and check.seed == 3
    pd.testing.assert_frame_equal(check.engineers, again.engineers)
    assert check.p_plan_fits == again.p_plan_fits
    assert not check.engineers["low_80"].equals(other.engineers["low_80"])

    engineers = check.engineers.set_index("engineer")
    assert engineers.index.tolist() == ["Priya Raman", "Zoë Müller", "Someone New",
                                        "Tomasz Kowalczyk"]
    assert engineers["tickets"].tolist() == [3, 2, 1, 0]
    assert engineers["capacity_days"].tolist() == [6.0, 10.0, 10.0, 8.0]
    # Expected days add up the closed-form means of each engineer's tickets.
    prediction = result.predict(SPRINT["engineer"].fillna("").to_numpy(object),
                                SPRINT["area"].to_numpy(object), SPRINT["points"])
    for name in ("Priya Raman", "Zoë Müller"):
        mine = (SPRINT["engineer"] == name).to_numpy()
        assert engineers.loc[name, "expected_days"] == pytest.approx(
            prediction.loc[mine, "mean_days"].sum(), rel=1e-12)
    # Nothing assigned: nothing to do, sure to fit.
    assert engineers.loc["Tomasz Kowalczyk", ["expected_days", "high_90"]].tolist() == [0, 0]
    assert engineers.loc["Tomasz Kowalczyk", "p_within_capacity"] == 1.0
    # The ranges are nested.
    for low, high in (("low_50", "high_50"), ("low_80", "high_80"), ("low_90", "high_90")):
        assert (engineers[low] <= engineers["median_days"]).all()
        assert (engineers["median_days"] <= engineers[high]).all()
    assert (engineers["low_90"] <= engineers["low_80"]).all()
    assert (engineers["low_80"] <= engineers["low_50"]).all()
    # The whole plan fits no more often than its least likely engineer, and
    # at least as often as the union bound allows.
    p = engineers["p_within_capacity"]
    assert check.p_plan_fits <= p.min() + 1e-12
    assert check.p_plan_fits >= 1 - (1 - p).sum() - 1e-12


def test_one_ticket_engineer_matches_the_closed_form(result):
    """Someone New has one ticket: their total is that ticket's log-normal."""
    draws = 20_000
    check = check_plan(result, SPRINT, {"Someone New": 2.0}, draws=draws, seed=1)
    row = check.engineers.set_index("engineer").loc["Someone New"]
    ticket = check.tickets.set_index("ticket_id").loc["ML-6"]
    log_mean = math.log(ticket["p50_days"])
    log_sd = (math.log(ticket["p90_days"]) - log_mean) / stats.norm.ppf(0.9)
    p_within = stats.norm.cdf((math.log(2.0) - log_mean) / log_sd)
    assert abs(row["p_within_capacity"] - p_within) < SIGMAS * math.sqrt(
        p_within * (1 - p_within) / draws)
    for column, q in (("low_80", 0.1), ("median_days", 0.5), ("high_90", 0.95)):
        exact = math.exp(log_mean + stats.norm.ppf(q) * log_sd)
        density = stats.lognorm.pdf(exact, s=log_sd, scale=math.exp(log_mean))
        assert abs(row[column] - exact) < SIGMAS * math.sqrt(q * (1 - q) / draws) / density
    # Alone in the plan, the plan fits exactly when that engineer does (same draws).
    alone = check_plan(result, SPRINT.iloc[[5]], {"Someone New": 2.0}, draws=draws, seed=1)
    assert alone.p_plan_fits == alone.engineers["p_within_capacity"].iloc[0]


def test_unassigned_and_unknown_tickets_are_listed_and_flagged(result):
    check = check_plan(result, SPRINT, draws=500)
    assert check.unassigned["ticket_id"].tolist() == ["ML-7", "ML-8"]
    assert check.unassigned["engineer"].tolist() == ["", ""]
    assert check.unassigned["note"].tolist() == [
        "no engineer (unassigned)",
        "no engineer (unassigned); area not in the history (closest: 'research')"]
    assert "unseen engineer" in check.unassigned["basis"].iloc[0]
    assert "" not in check.engineers["engineer"].tolist()
    tickets = check.tickets.set_index("ticket_id")
    assert tickets.loc["ML-6", "note"] == "engineer not in the history"
    assert tickets.loc["ML-4", "basis"] == "engineer x area"
    text = str(check.summary())
    assert "2 unassigned ticket(s)" in text and "cannot vouch for" in text
    assert "ML-6" in check.summary()["Tickets the history cannot vouch for"][
        "ticket_id"].tolist()


def test_ticket_probabilities_are_predicts(result):
    check = check_plan(result, SPRINT, budget_days=4, draws=200)
    prediction = result.predict(SPRINT["engineer"].fillna("").to_numpy(object),
                                SPRINT["area"].to_numpy(object), SPRINT["points"],
                                budget_days=4)
    np.testing.assert_allclose(check.tickets["p_over_budget"], prediction["p_over_budget"],
                               rtol=1e-12)
    np.testing.assert_allclose(check.tickets["expected_days"], prediction["mean_days"],
                               rtol=1e-12)
    assert (check.tickets["budget_days"] == 4).all() and check.budget_days == 4
    assert check_plan(result, SPRINT, draws=200).budget_days == result.multipliers.verdict_cap
    with pytest.raises(InputError, match="budget_days"):
        check_plan(result, SPRINT, budget_days=-2, draws=200)
    with pytest.raises(InputError, match="draws"):
        check_plan(result, SPRINT, draws=0)


def test_lead_time_warns_and_gives_no_verdicts(lead_result):
    engineer = lead_result.multipliers.records.query("scope == 'engineer'")["engineer"].iloc[0]
    area = lead_result.multipliers.areas["area"].iloc[0]
    plan = plan_of([("L-1", area, 3, engineer), ("L-2", area, 8, engineer)])
    with pytest.warns(CalibrationWarning, match="lead time"):
        check = check_plan(lead_result, plan, draws=300)
    assert check.budget_days is None and check.clock == "lead"
    assert check.tickets["p_over_budget"].isna().all()
    assert check.tickets["split_pieces"].isna().all()
    assert "waiting is included" in str(check.summary())


# -- splits -------------------------------------------------------------------------------------


def _budget_between(engineer: str, low: float, high: float) -> float:
    """The budget at which a ticket of (low + high) / 2 points is over with
    probability exactly 0.2 = 1 - confidence: pieces of `low` points fit,
    pieces of `high` points do not."""
    middle = (low + high) / 2
    return math.exp(hand_log_mean(engineer, middle) + stats.norm.ppf(0.8) * math.sqrt(S2))


def _hand_p_over(engineer: str, points: float, budget: float) -> float:
    return stats.norm.sf((math.log(budget) - hand_log_mean(engineer, points)) / math.sqrt(S2))


def test_splits_are_the_fewest_pieces_that_fit_checked_by_hand():
    budget = _budget_between("Ann", 3, 4)
    assert _hand_p_over("Ann", 3, budget) <= 0.2 < _hand_p_over("Ann", 4, budget)
    assert _hand_p_over("Ann", 8, budget) > 0.2 and _hand_p_over("Ann", 2, budget) < 0.2
    plan = plan_of([("A-8", "build", 8, "Ann"), ("A-2", "build", 2, "Ann"),
                    ("A-13", "build", 13, "Ann")])
    # Whole points: 8 -> 2 x 4 (over), 3 x 3 (fits). 13 -> 7, 5, 4 (over), 5 x 3.
    check = check_plan(handmade(), plan, budget_days=budget, draws=100)
    tickets = check.tickets.set_index("ticket_id")
    np.testing.assert_allclose(tickets["p_over_budget"],
                               [_hand_p_over("Ann", p, budget) for p in (8, 2, 13)], rtol=1e-10)
    assert tickets.loc["A-8", ["split_pieces", "split_points"]].tolist() == [3, 3.0]
    assert tickets.loc["A-13", ["split_pieces", "split_points"]].tolist() == [5, 3.0]
    assert pd.isna(tickets.loc["A-2", "split_pieces"]) and pd.isna(tickets.loc["A-2",
                                                                               "split_points"])
    # A scale of 1, 2, 4, 8: 8 -> 2 x 4 (over), 3 pieces round up to 4 again,
    # 4 x 2 (fits).
    scaled = handmade(points_scale={"s": 1, "m": 2, "l": 4, "xl": 8})
    check = check_plan(scaled, plan_of([("A-8", "build", "xl", "Ann")]), budget_days=budget,
                       draws=100)
    assert check.tickets[["split_pieces", "split_points"]].iloc[0].tolist() == [4, 2.0]
    # Nothing fits when even one point is too much.
    tiny = _budget_between("Ann", 0.5, 0.6)
    assert _hand_p_over("Ann", 1, tiny) > 0.2
    check = check_plan(handmade(), plan_of([("A-8", "build", 8, "Ann")]), budget_days=tiny,
                       draws=100)
    assert pd.isna(check.tickets["split_pieces"].iloc[0])
    assert check.tickets["p_over_budget"].iloc[0] > 0.2


# -- reassignment costs -------------------------------------------------------------------------


def test_reassignment_deltas_are_differences_of_predictions(result):
    costs = reassignment_costs(result, SPRINT, {"Tomasz Kowalczyk": 8}, draws=3000, seed=2)
    assert isinstance(costs, ReassignmentCosts)
    assert costs.engineers == ["Priya Raman", "Zoë Müller", "Someone New", "Tomasz Kowalczyk"]
    table = costs.table
    assert len(table) == len(SPRINT) * 4
    diagonal = table[table["from_engineer"] == table["to_engineer"]]
    assert len(diagonal) == 6
    delta_columns = [c for c in table.columns if c.startswith("delta_")]
    assert (diagonal[delta_columns] == 0).all().all()
    # Every delta against independent predictions for the two engineers.
    area = dict(zip(SPRINT["ticket_id"], SPRINT["area"], strict=True))
    points = dict(zip(SPRINT["ticket_id"], SPRINT["points"], strict=True))
    to = result.predict(table["to_engineer"].to_numpy(object),
                        table["ticket_id"].map(area).to_numpy(object),
                        table["ticket_id"].map(points).to_numpy(float))
    source = result.predict(table["from_engineer"].to_numpy(object),
                            table["ticket_id"].map(area).to_numpy(object),
                            table["ticket_id"].map(points).to_numpy(float))
    moved = (table["from_engineer"] != table["to_engineer"]).to_numpy()
    np.testing.assert_allclose(table["expected_days"], to["mean_days"], rtol=1e-12)
    np.testing.assert_allclose(table.loc[moved, "delta_expected_days"],
                               (to["mean_days"] - source["mean_days"])[moved], rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(table.loc[moved, "delta_p_over_budget"],
                               (to["p_over_budget"] - source["p_over_budget"])[moved],
                               rtol=1e-10, atol=1e-12)
    # The matrix is the table pivoted; the swings are max - min expected days.
    matrix = costs.matrix()
    assert matrix.index.tolist() == SPRINT["ticket_id"].tolist()
    assert matrix.columns.tolist() == costs.engineers
    assert matrix.loc["ML-4", "Priya Raman"] == table.query(
        "ticket_id == 'ML-4' and to_engineer == 'Priya Raman'")["delta_expected_days"].item()
    swings = costs.largest_swings(3)
    assert len(swings) == 3 and swings["swing_days"].is_monotonic_decreasing
    spread = table.groupby("ticket_id")["expected_days"].agg(lambda s: s.max() - s.min())
    assert swings["swing_days"].tolist() == pytest.approx(
        spread.sort_values(ascending=False).head(3).tolist(), rel=1e-12)
    assert "Costliest hand-overs" in str(costs.summary())


def test_capacity_deltas_agree_with_checking_the_moved_plan(result):
    """Moving ML-4 (8 points) from Zoë, short of time, to Priya: P(Priya
    within capacity), Zoë's relief and P(plan fits) after the move, from the
    reassignment table, against a check of the moved plan (other draws: 4
    standard errors of a difference of two independent estimates)."""
    capacity = {"Priya Raman": 9, "Zoë Müller": 4.5}
    draws = 20_000
    costs = reassignment_costs(result, SPRINT, capacity, draws=draws, seed=0)
    row = costs.table.query("ticket_id == 'ML-4' and to_engineer == 'Priya Raman'").iloc[0]
    moved = SPRINT.assign(engineer=np.where(SPRINT["ticket_id"] == "ML-4", "Priya Raman",
                                            SPRINT["engineer"]))
    after = check_plan(result, moved, capacity, draws=draws, seed=12)
    by_engineer = after.engineers.set_index("engineer")["p_within_capacity"]
    zoe_before = costs.table.query("ticket_id == 'ML-4' and to_engineer == 'Zoë Müller'")[
        "p_to_within_capacity"].item()  # the diagonal: Zoë as planned, on the same draws

    def close(a, b):  # two independent proportions over `draws` draws each
        spread = a * (1 - a) / draws + b * (1 - b) / draws
        return abs(a - b) < SIGMAS * math.sqrt(max(spread, 1e-8))

    assert close(row["p_to_within_capacity"], by_engineer["Priya Raman"])
    assert close(zoe_before + row["delta_p_from_within_capacity"], by_engineer["Zoë Müller"])
    assert close(costs.p_plan_fits + row["delta_p_plan_fits"], after.p_plan_fits)
    assert row["delta_p_from_within_capacity"] > 0.2  # a real relief, not noise


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(1, 8), st.sampled_from(["Ann", "Bo", ""])), min_size=1,
                max_size=5),
       st.floats(0.5, 8), st.floats(0.5, 8))
def test_common_draws_make_capacity_deltas_one_signed(rows, ann, bo):
    """On common draws, taking a ticket on can only lower P(within capacity)
    and giving one away only raise it: no Monte Carlo noise can flip a sign."""
    plan = plan_of([(f"T-{i}", "build", p, e) for i, (p, e) in enumerate(rows)])
    costs = reassignment_costs(handmade(), plan, {"Ann": ann, "Bo": bo}, draws=300, seed=1)
    table = costs.table
    assert (table["delta_p_to_within_capacity"] <= 0).all()
    assert (table["delta_p_from_within_capacity"] >= 0).all()
    diagonal = table["from_engineer"] == table["to_engineer"]
    assert (table.loc[diagonal, [c for c in table.columns if c.startswith("delta_")]]
            == 0).all().all()
    # A ticket given to someone with all the time in the world costs them nothing.
    roomy = reassignment_costs(handmade(), plan, {"Ann": ann, "Bo": 1e6}, draws=300, seed=1)
    assert (roomy.table.query("to_engineer == 'Bo'")["delta_p_to_within_capacity"] == 0).all()


def test_reassignment_to_chosen_engineers(result):
    costs = reassignment_costs(result, SPRINT, engineers=["Daniel Okafor"], draws=300)
    # The owners are kept so that every from_engineer is compared on the same draws.
    assert costs.engineers == ["Daniel Okafor", "Priya Raman", "Zoë Müller", "Someone New"]
    empty = reassignment_costs(result, SPRINT.assign(engineer=""), draws=100)
    assert empty.table.empty and empty.engineers == []

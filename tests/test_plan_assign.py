"""Tests of the suggested assignment (calibrate.plan._assign).

The optimum is checked against a brute force written here, independently of
the module: every assignment enumerated with itertools, each engineer's load
summed ticket by ticket, on the same draws.
"""

from __future__ import annotations

import dataclasses
import itertools
import warnings
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import calibrate.plan._assign as assign
from calibrate import Calibrator, read_export
from calibrate.errors import CalibrationWarning, InputError
from calibrate.plan import PlanCheck, SuggestedAssignment, suggest_assignment
from calibrate.plan._assign import OBJECTIVES, best_assignment
from calibrate.plan._simulate import simulate_days

SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
PLAN, CAPACITY = "data/sample/plan.csv", "data/sample/capacity.csv"


# -- an independent reference -------------------------------------------------------------------


def objective_value(days, capacity, assignment, objective):
    """The objective of one assignment, summed ticket by ticket (-1: nobody)."""
    loads = np.zeros((days.shape[0], days.shape[2]))
    for ticket, engineer in enumerate(assignment):
        if engineer >= 0:
            loads[:, engineer] += days[:, ticket, engineer]
    capacity = np.asarray(capacity, dtype=float)
    if objective == "all_within_capacity":
        return float(np.mean(np.all(loads <= capacity, axis=1)))
    return float(np.mean(np.sum(np.clip(loads - capacity, 0.0, None), axis=1)))


def brute_force(days, capacity, start, pinned, allowed, objective):
    """The best objective over every assignment pins and ``allowed`` permit."""
    options = [[start[i]] if pinned[i] else list(np.flatnonzero(allowed[i]))
               for i in range(days.shape[1])]
    values = [objective_value(days, capacity, a, objective) for a in itertools.product(*options)]
    return max(values) if objective == "all_within_capacity" else min(values)


def is_at_least_as_good(value, reference, objective, atol=1e-9):
    if objective == "all_within_capacity":
        return value >= reference - atol
    return value <= reference + atol


def random_cube(seed, draws, tickets, engineers):
    """Log-normal working days with each engineer's effect shared by all
    their tickets in a draw, and a speed per (ticket, engineer)."""
    rng = np.random.default_rng(seed)
    typical = rng.uniform(0.5, 4.0, (tickets, 1)) * rng.uniform(0.5, 2.0, (1, engineers))
    engineer_effect = rng.normal(0.0, 0.3, (draws, 1, engineers))
    noise = rng.normal(0.0, 0.5, (draws, tickets, engineers))
    return typical * np.exp(engineer_effect + noise)


@st.composite
def problems(draw, max_tickets=7, max_engineers=3, draws=(20, 60)):
    # Largest first: Hypothesis favours (and shrinks towards) the first values.
    tickets = draw(st.sampled_from(range(max_tickets, 0, -1)))
    engineers = draw(st.sampled_from(range(max_engineers, 0, -1)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    days = random_cube(seed, draw(st.integers(*draws)), tickets, engineers)
    capacity = rng.uniform(1.0, 3.0 * tickets / engineers + 2.0, engineers)
    start = rng.integers(-1, engineers, tickets)
    pinned = (rng.random(tickets) < 0.25) & (start >= 0)
    allowed = rng.random((tickets, engineers)) < 0.75
    allowed[pinned, start[pinned]] = True
    allowed[~allowed.any(axis=1), 0] = True
    objective = draw(st.sampled_from(OBJECTIVES))
    return days, capacity, start, pinned, allowed, objective


def check_constraints(assignment, start, pinned, allowed):
    assert assignment.shape == start.shape
    assert ((assignment >= 0) & (assignment < allowed.shape[1])).all()  # everyone assigned
    np.testing.assert_array_equal(assignment[pinned], start[pinned])
    assert allowed[np.arange(len(assignment)), assignment].all()


# -- best_assignment ----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(problems())
def test_small_plans_reach_the_brute_force_optimum(problem):
    days, capacity, start, pinned, allowed, objective = problem
    assignment, value = best_assignment(days, capacity, start=start, pinned=pinned,
                                        allowed=allowed, objective=objective)
    check_constraints(assignment, start, pinned, allowed)
    assert value == pytest.approx(objective_value(days, capacity, assignment, objective),
                                  rel=0, abs=1e-9)
    assert value == pytest.approx(brute_force(days, capacity, start, pinned, allowed, objective),
                                  rel=0, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(problems())
def test_the_local_search_reaches_the_optimum_too(problem):
    """Without the whole-plan enumeration: moves, swaps and the exact
    re-division of two or three engineers' tickets (which, with three
    engineers or fewer, covers the whole plan once moves and swaps stall)."""
    days, capacity, start, pinned, allowed, objective = problem
    with mock.patch.object(assign, "_EXACT_WORK", 0):
        assignment, value = best_assignment(days, capacity, start=start, pinned=pinned,
                                            allowed=allowed, objective=objective)
    check_constraints(assignment, start, pinned, allowed)
    assert value == pytest.approx(brute_force(days, capacity, start, pinned, allowed, objective),
                                  rel=0, abs=1e-9)


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("seed", range(8))
def test_seven_tickets_three_engineers_by_brute_force(seed, objective):
    """The size the acceptance names, every time (Hypothesis also draws
    smaller plans): the whole-plan enumeration and the local search both find
    the optimum of the 3^7 = 2187 assignments."""
    rng = np.random.default_rng(seed)
    days = random_cube(seed, 60, 7, 3)
    capacity = rng.uniform(3.0, 9.0, 3)
    start, pinned = rng.integers(-1, 3, 7), np.zeros(7, bool)
    allowed = np.ones((7, 3), bool)
    optimum = brute_force(days, capacity, start, pinned, allowed, objective)
    for exact_work in (assign._EXACT_WORK, 0):
        with mock.patch.object(assign, "_EXACT_WORK", exact_work):
            _, value = best_assignment(days, capacity, start=start, pinned=pinned,
                                       objective=objective)
        assert value == pytest.approx(optimum, rel=0, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(problems(max_tickets=14, max_engineers=5, draws=(30, 80)), st.booleans())
def test_never_worse_than_the_leads_plan(problem, subsample):
    """On plans too large to enumerate (the local search, from the linearised
    start and from the lead's plan; with ``subsample``, searched on a few draws
    and polished on all), a lead's plan that assigns every ticket to an
    allowed engineer is never beaten by the suggestion on its objective."""
    days, capacity, start, pinned, allowed, objective = problem
    rng = np.random.default_rng(len(start))
    lead = np.where(start >= 0, start, rng.integers(0, days.shape[2], len(start)))
    allowed = allowed.copy()
    allowed[np.arange(len(lead)), lead] = True
    with mock.patch.object(assign, "_EXACT_WORK", 0), \
            mock.patch.object(assign, "_SEARCH_DRAWS", 10 if subsample else 10**6):
        assignment, value = best_assignment(days, capacity, start=lead, pinned=pinned,
                                            allowed=allowed, objective=objective)
    check_constraints(assignment, lead, pinned, allowed)
    assert value == pytest.approx(objective_value(days, capacity, assignment, objective),
                                  rel=0, abs=1e-9)
    assert is_at_least_as_good(value, objective_value(days, capacity, lead, objective),
                               objective)


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_the_engineer_fast_in_a_tickets_area_takes_it(objective):
    """Two research tickets and two data tickets; engineer 0 is fast at
    research (about 1 day a ticket) and slow at data (about 4), engineer 1 the
    reverse. With 4 days each, the only plan that fits gives each engineer
    the tickets of their area; the lead gave engineer 1 everything."""
    rng = np.random.default_rng(7)
    typical = np.array([[1.0, 4.0], [1.0, 4.0], [4.0, 1.0], [4.0, 1.0]])
    days = typical * np.exp(rng.normal(0, 0.2, (500, 1, 2)) + rng.normal(0, 0.2, (500, 4, 2)))
    assignment, value = best_assignment(days, [4.0, 4.0], start=[1, 1, 1, 1],
                                        pinned=[False] * 4, objective=objective)
    assert assignment.tolist() == [0, 0, 1, 1]
    assert value == pytest.approx(objective_value(days, [4.0, 4.0], [0, 0, 1, 1], objective),
                                  rel=0, abs=1e-12)
    # About 2 days each, against the lead's 10 days for engineer 1.
    lead = objective_value(days, [4.0, 4.0], [1, 1, 1, 1], objective)
    assert (value > 0.99 and lead == 0.0 if objective == "all_within_capacity"
            else value < 0.01 and lead > 5.0)


def test_ties_keep_the_leads_engineer():
    """Two interchangeable engineers (the same working days in every draw)
    and room for everything: every plan scores the same, so the lead's plan
    stands, ticket for ticket."""
    days = np.repeat(random_cube(3, 200, 5, 1), 2, axis=2)
    start = np.array([1, 0, 1, 1, 0])
    for objective in OBJECTIVES:
        assignment, _ = best_assignment(days, [100.0, 100.0], start=start,
                                        pinned=np.zeros(5, bool), objective=objective)
        np.testing.assert_array_equal(assignment, start)


def test_the_same_input_gives_the_same_answer():
    days = random_cube(11, 300, 12, 4)
    arguments = dict(start=np.zeros(12, int), pinned=np.zeros(12, bool))
    first = best_assignment(days, [6.0, 6.0, 4.0, 8.0], **arguments)
    second = best_assignment(days.copy(), [6.0, 6.0, 4.0, 8.0], **arguments)
    np.testing.assert_array_equal(first[0], second[0])
    assert first[1] == second[1]


def test_unassigned_tickets_are_assigned():
    days = random_cube(5, 100, 6, 3)
    start = np.array([-1, 0, -1, 2, -1, 1])
    assignment, value = best_assignment(days, [5.0, 5.0, 5.0], start=start,
                                        pinned=np.zeros(6, bool))
    assert (assignment >= 0).all()
    assert value == pytest.approx(brute_force(days, [5.0] * 3, start, np.zeros(6, bool),
                                              np.ones((6, 3), bool), "all_within_capacity"),
                                  rel=0, abs=1e-12)


def test_invalid_problems_are_reported_together():
    days = random_cube(0, 10, 3, 2)
    with pytest.raises(InputError) as caught:
        best_assignment(days, [5.0, -1.0], start=[-1, 0, 1], pinned=[True, False, True],
                        allowed=[[True, True], [False, False], [True, False]])
    message = str(caught.value)
    for expected in ("capacity is negative", "no engineer may take this ticket",
                     "pinned but not assigned", "pinned to an engineer it is not allowed"):
        assert expected in message
    with pytest.raises(InputError, match="wrong shape"):
        best_assignment(days, [5.0], start=[0, 0, 0], pinned=[False] * 3)
    with pytest.raises(InputError, match="unknown objective"):
        best_assignment(days, [5.0, 5.0], start=[0, 0, 0], pinned=[False] * 3,
                        objective="fastest")
    with pytest.raises(InputError, match="not an engineer index"):
        best_assignment(days, [5.0, 5.0], start=[0, 2, 0], pinned=[False] * 3)


# -- suggest_assignment on the bundled sample ---------------------------------------------------


@pytest.fixture(scope="module")
def result():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        return Calibrator().fit(read_export(SAMPLE, config=CONFIG)).result_


@pytest.fixture(scope="module")
def sample_plan():
    return pd.read_csv(PLAN)


@pytest.fixture(scope="module")
def sample_capacity():
    return pd.read_csv(CAPACITY)


@pytest.fixture(scope="module")
def suggestion(result, sample_plan, sample_capacity):
    return suggest_assignment(result, sample_plan, sample_capacity, draws=2000, seed=3)


def test_the_suggestion_assigns_every_ticket_to_a_candidate(suggestion, sample_plan,
                                                            sample_capacity):
    assert isinstance(suggestion, SuggestedAssignment)
    plan = suggestion.plan
    candidates = set(sample_capacity["engineer"]) | set(sample_plan["engineer"].dropna())
    assert set(suggestion.engineers) == candidates
    assert plan["suggested_engineer"].isin(candidates).all()
    assert plan["ticket_id"].tolist() == sample_plan["ticket_id"].tolist()
    pinned = plan[plan["pinned"]]
    assert len(pinned) == 1
    assert (pinned["suggested_engineer"] == pinned["engineer"]).all()
    lead = plan["engineer"]
    np.testing.assert_array_equal(plan["moved"],
                                  (lead != "") & (lead != plan["suggested_engineer"]))
    assert suggestion.objective == "all_within_capacity"
    assert (suggestion.draws, suggestion.seed) == (2000, 3)


def test_the_comparison_scores_both_plans_on_the_same_draws(result, suggestion):
    """Recompute every number of the comparison from one simulation with the
    same seed and candidates: the lead's plan and the suggestion share it."""
    plan, comparison = suggestion.plan, suggestion.comparison
    candidates = suggestion.engineers
    simulated = simulate_days(result, plan[["area", "points"]], candidates, draws=2000, seed=3)
    capacity = comparison.query("plan == 'lead' and scope == 'engineer'").set_index(
        "engineer").loc[candidates, "capacity_days"].to_numpy()
    for name, column in (("lead", "engineer"), ("suggested", "suggested_engineer")):
        index = np.array([candidates.index(e) if e else -1 for e in plan[column]])
        rows = comparison[comparison["plan"] == name].set_index("engineer")
        team = rows.loc[""]
        assert team["p_within_capacity"] == pytest.approx(objective_value(
            simulated.days, capacity, index, "all_within_capacity"), rel=0, abs=1e-12)
        assert team["expected_overrun_days"] == pytest.approx(objective_value(
            simulated.days, capacity, index, "expected_overrun_days"), rel=1e-12)
        assert team["tickets"] == (index >= 0).sum()
        for j, engineer in enumerate(candidates):
            load = simulated.days[:, index == j, j].sum(axis=1)
            assert rows.loc[engineer, "p_within_capacity"] == pytest.approx(
                np.mean(load <= capacity[j]), rel=0, abs=1e-12)
            assert rows.loc[engineer, "expected_days"] == pytest.approx(
                simulated.mean_days[index == j, j].sum(), rel=1e-12)
    assert list(comparison["scope"][:2]) == ["team", "team"]


def test_never_worse_than_a_complete_lead_plan_on_the_sample(result, sample_plan,
                                                             sample_capacity):
    complete = sample_plan.assign(engineer=sample_plan["engineer"].fillna("Marcus Lindqvist"))
    for objective in OBJECTIVES:
        suggestion = suggest_assignment(result, complete, sample_capacity, objective=objective,
                                        draws=1000)
        values = suggestion.objective_values()
        assert is_at_least_as_good(values["suggested"], values["lead"], objective, atol=0)


def test_the_check_is_the_plan_check_of_the_suggestion(suggestion):
    check = suggestion.check
    assert isinstance(check, PlanCheck)
    assert check.tickets["engineer"].tolist() == suggestion.plan["suggested_engineer"].tolist()
    assert check.unassigned.empty


def test_a_fast_engineer_in_the_area_takes_the_ticket(result):
    """One research ticket, lead-assigned to Tomasz Kowalczyk, who is slow at
    research; Priya Raman is fast at it. The closed-form log-normal says
    Priya is far likelier to finish it within the 4 days either has, and the
    suggestion moves it to her."""
    plan = pd.DataFrame({"ticket_id": ["R-1"], "area": ["research"], "points": [5],
                         "engineer": ["Tomasz Kowalczyk"]})
    people = ["Tomasz Kowalczyk", "Priya Raman"]
    prediction = result.multipliers.predict(people, "research", 5)
    p_within = stats.norm.cdf((np.log(4.0) - prediction["log_mean"]) / prediction["log_sd"])
    assert p_within[1] > p_within[0] + 0.2  # the case is as obvious as it looks
    for objective in OBJECTIVES:
        suggestion = suggest_assignment(result, plan, {"Priya Raman": 4, "Tomasz Kowalczyk": 4},
                                        objective=objective, draws=2000)
        assert suggestion.plan["suggested_engineer"].tolist() == ["Priya Raman"]
        assert suggestion.plan["moved"].tolist() == [True]


def test_candidates_and_allowed_engineers(result, sample_plan, sample_capacity):
    suggestion = suggest_assignment(result, sample_plan, sample_capacity,
                                    engineers=["Noor Haddad"],
                                    allowed={"ML-904": ["Daniel Okafor"],
                                             "ML-911": ["Noor Haddad", "Aiko Tanaka"]},
                                    draws=500)
    assert suggestion.engineers[-1] == "Noor Haddad"
    chosen = suggestion.plan.set_index("ticket_id")["suggested_engineer"]
    assert chosen["ML-904"] == "Daniel Okafor"
    assert chosen["ML-911"] in ("Noor Haddad", "Aiko Tanaka")
    assert "Noor Haddad" in set(suggestion.comparison["engineer"])


def test_bad_requests_are_reported(result, sample_plan):
    with pytest.raises(InputError, match="unknown objective"):
        suggest_assignment(result, sample_plan, objective="fastest", draws=100)
    with pytest.raises(InputError) as caught:
        suggest_assignment(result, sample_plan, draws=100,
                           allowed={"ML-999": ["Priya Raman"], "ML-900": ["Someone Else"],
                                    "ML-901": ["Zoë Müller"]})
    message = str(caught.value)
    assert "not a ticket of the plan" in message
    assert "'Someone Else'" in message
    assert "pinned to 'Priya Raman'" in message
    with pytest.raises(InputError, match="no engineer to assign"):
        suggest_assignment(result, sample_plan.assign(engineer="", pinned=""), draws=100)


def test_reproducible_with_a_seed(result, sample_plan, suggestion, sample_capacity):
    again = suggest_assignment(result, sample_plan, sample_capacity, draws=2000, seed=3)
    pd.testing.assert_frame_equal(again.plan, suggestion.plan)
    pd.testing.assert_frame_equal(again.comparison, suggestion.comparison)


def test_the_summary_speaks_plainly(suggestion):
    text = str(suggestion.summary())
    assert text.startswith("Suggested assignment")
    assert "Lead's plan" in text and "2,000 simulated sprints" in text
    assert "1 ticket(s) unassigned" in text  # ML-911 has no engineer in the sample plan
    assert "not a ranking of people" in text
    assert "Lead's plan vs suggested" in suggestion.summary().tables


def test_lead_time_warns_once(result, sample_plan):
    multipliers = result.multipliers
    lead = dataclasses.replace(multipliers, model={**multipliers.model, "clock": "lead"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        suggest_assignment(lead, sample_plan, draws=200)
    clock = [w for w in caught if "lead time" in str(w.message)]
    assert len(clock) == 1 and clock[0].category is CalibrationWarning


def test_an_empty_plan_and_an_unlimited_engineer(result):
    empty = pd.DataFrame({"ticket_id": [], "area": [], "points": [], "engineer": []})
    suggestion = suggest_assignment(result, empty, {"Priya Raman": 5}, draws=100)
    assert suggestion.plan.empty
    assert suggestion.objective_values() == {"lead": 1.0, "suggested": 1.0}
    # An infinite capacity never overruns: everything can go there, and the
    # fewest moves from the lead's plan decide among the plans with no overrun.
    assignment, value = best_assignment(np.ones((10, 3, 2)), [np.inf, 1.0], start=[1, 1, 1],
                                        pinned=[False] * 3, objective="expected_overrun_days")
    assert value == 0.0
    assert sorted(assignment.tolist()) == [0, 0, 1]


def test_a_plan_that_fits_in_almost_no_draw_ends_with_a_warning_not_minutes(monkeypatch):
    """With (almost) no draw in which everyone fits, the overrun still improves
    by crumbs: the search stops at its work limit, says so, and still returns
    an assignment never worse than the lead's."""
    from calibrate.plan import _assign

    monkeypatch.setattr(_assign, "_SEARCH_WORK", 10**4)
    monkeypatch.setattr(_assign, "_EXACT_WORK", 0)
    rng = np.random.default_rng(4)
    days = np.exp(rng.normal(1.5, 0.5, (400, 12, 4)))
    capacity = np.full(4, 2.0)  # far too little: nobody fits
    start = np.arange(12) % 4
    with pytest.warns(CalibrationWarning, match="work limit"):
        assignment, value = best_assignment(days, capacity, start=start,
                                            pinned=np.zeros(12, bool))
    loads = np.stack([days[:, assignment == j, j].sum(axis=1) for j in range(4)], axis=1)
    lead = np.stack([days[:, start == j, j].sum(axis=1) for j in range(4)], axis=1)
    assert (loads <= capacity).all(axis=1).mean() >= (lead <= capacity).all(axis=1).mean()

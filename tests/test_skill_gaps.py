"""The team's skill gaps: coverage per area against the generator's truth and
hand counts, and the hiring comparison against brute force and known level
effects."""

import itertools
import math
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _references import dersimonian_laird
from calibrate import CalibrationWarning, Calibrator, InputError
from calibrate.datasets import simulate_tickets
from calibrate.prediction import _dersimonian_laird
from calibrate.skill_gaps import AS_IS, SkillGaps, _cheapest, skill_gaps
from calibrate.skills import SkillProfiles

#: Declared levels with real signal in every area: strong is 0.8 faster on
#: the log scale; basic and proficient are alike.
LEVELS = {"basic": 0.0, "proficient": 0.0, "strong": -0.8}
RAMP = (0.7, 8.0)  # (log slowdown, scale in weeks): 2x slower at first
GAP = "data-engineering"
#: Weeks before the end of the history the strong data engineers left.
LEFT_WEEKS = 40
ON = "2026-07-01"
STRONG_IN_GAP = {"data-engineering": "strong", "research": "basic", "ml-engineering": "basic"}
STRONG_IN_RESEARCH = {"research": "strong", "data-engineering": "basic",
                      "ml-engineering": "basic"}


def fitted(tickets, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        return Calibrator().fit(tickets, **options).result_


@pytest.fixture(scope="module")
def departed():
    """A team whose strong data engineers all left 40 weeks before the end.

    Drawn from the model with known level effects, tiny engineer effects (so
    "truly fast" is "declared strong") and a ramp-up; the strong data
    engineers' tickets of the last 40 weeks are removed: the model still
    learns what strong means in data engineering from their earlier tickets,
    but no one on the team now is strong there.
    """
    simulated = simulate_tickets(3000, 15, seed=0, history_days=300, engineer_sd=0.05,
                                 engineer_area_sd=0.05, level_effects=LEVELS, ramp_up=RAMP)
    tickets = simulated.tickets
    levels = simulated.truth["levels"]
    strong_in_gap = {e for e, own in levels.items() if own[GAP] == "strong"}
    cut = tickets["started_at"].max() - pd.Timedelta(weeks=LEFT_WEEKS)
    keep = ~(tickets["engineer"].isin(strong_in_gap) & (tickets["started_at"] >= cut))
    tickets = tickets[keep.to_numpy()].reset_index(drop=True)
    remaining = set(tickets["engineer"])
    left = sorted(strong_in_gap & remaining)
    # The setting the tests rely on: strong data engineers in the history,
    # none of them recent; strong engineers of the other areas recent.
    recent = set(tickets.loc[tickets["started_at"] >= tickets["started_at"].max()
                             - pd.Timedelta(weeks=26), "engineer"])
    assert left and not recent & set(left)
    for area in ("research", "ml-engineering"):
        assert any(levels[e][area] == "strong" for e in recent)
    return {"tickets": tickets, "levels": levels, "left": left,
            "profiles": simulated.skills.subset(remaining)}


@pytest.fixture(scope="module")
def skills_fit(departed):
    return fitted(departed["tickets"], skills=departed["profiles"])


@pytest.fixture(scope="module")
def plain_fit(departed):
    return fitted(departed["tickets"])


@pytest.fixture(scope="module")
def coverage(skills_fit, departed):
    return skill_gaps(skills_fit, departed["tickets"])


# -- a small table made by hand -------------------------------------------------------

END = pd.Timestamp("2026-06-01 10:00")
#: (engineer, area, tickets, weeks before the last start: from, to)
HAND = [
    ("Ann", "research", 6, 0, 25), ("Bob", "research", 3, 1, 24), ("Cy", "research", 1, 2, 2),
    ("Bob", "data", 2, 3, 20), ("Cy", "data", 2, 4, 21),
    ("Cy", "ml", 7, 1, 25), ("Ann", "ml", 5, 2, 22),
    # Older than 26 weeks.
    ("Cy", "research", 15, 30, 50), ("Ann", "data", 10, 31, 49), ("Bob", "ml", 8, 32, 48),
    ("Ann", "support", 3, 33, 45), ("Bob", "support", 3, 34, 46),
]


@pytest.fixture(scope="module")
def hand():
    rows = [(engineer, area, weeks) for engineer, area, n, first, last in HAND
            for weeks in np.linspace(first, last, n)]
    tickets = simulate_tickets(len(rows), 3, seed=1).tickets
    string = pd.StringDtype()
    starts = END - pd.to_timedelta([weeks for _, _, weeks in rows], unit="W")
    tickets = tickets.assign(
        engineer=pd.array([e for e, _, _ in rows], dtype=string),
        area=pd.array([a for _, a, _ in rows], dtype=string),
        started_at=starts, created_at=starts,
        censored=False, status=pd.array(["Done"] * len(rows), dtype=string),
        finished_at=starts + pd.to_timedelta(tickets["duration_days"] * 1.4, unit="D"))
    return tickets, fitted(tickets)


# -- coverage: key-person share ------------------------------------------------------


def test_key_person_share_is_a_hand_count(hand):
    tickets, result = hand
    gaps = skill_gaps(result, tickets)
    table = gaps.coverage.set_index("area")
    # Counted by hand from HAND: tickets started in the last 26 weeks.
    assert gaps.window["n_tickets"] == 10 + 4 + 12
    assert gaps.window["end"] == END
    assert table.loc["research", ["n_recent_tickets", "key_person", "key_person_tickets",
                                 "n_recent_engineers"]].tolist() == [10, "Ann", 6, 3]
    assert table.loc["research", "key_person_share"] == pytest.approx(6 / 10, rel=1e-12)
    assert table.loc["ml", ["n_recent_tickets", "key_person", "key_person_tickets"]].tolist() \
        == [12, "Cy", 7]
    assert table.loc["ml", "key_person_share"] == pytest.approx(7 / 12, rel=1e-12)
    # A tie (Bob 2, Cy 2) goes to the first in name order.
    assert table.loc["data", ["key_person", "key_person_share"]].tolist() == ["Bob", 0.5]
    # Never dropped: an area with no recent tickets at all.
    assert table.loc["support", "n_recent_tickets"] == 0
    assert pd.isna(table.loc["support", "key_person"])
    assert math.isnan(table.loc["support", "key_person_share"])
    assert table.loc["support", "n_engineers"] == 2  # Ann and Bob worked there
    assert table.loc["research", "n_engineers"] == 3


def test_the_window_is_configurable(hand):
    tickets, result = hand
    table = skill_gaps(result, tickets, window_weeks=60).coverage.set_index("area")
    # Every ticket of HAND is within 60 weeks: all of them count.
    expected = {"research": ("Cy", 16, 25), "data": ("Ann", 10, 14), "ml": ("Bob", 8, 20),
                "support": ("Ann", 3, 6)}
    for area, (person, most, total) in expected.items():
        row = table.loc[area]
        assert (row["key_person"], row["key_person_tickets"], row["n_recent_tickets"]) \
            == (person, most, total)
        assert row["key_person_share"] == pytest.approx(most / total, rel=1e-12)


def test_too_few_recent_tickets_get_a_note_not_a_verdict(hand):
    tickets, result = hand
    gaps = skill_gaps(result, tickets, min_recent_tickets=10)
    table = gaps.coverage.set_index("area")
    assert sorted(table.index) == sorted(result.multipliers.areas["area"])
    for area, n in (("data", 4), ("support", 0)):
        assert table.loc[area, "verdict"] == "too few recent tickets"
        assert not table.loc[area, "gap"]
        assert table.loc[area, "statement"] == (
            f"Too few recent tickets in {area} to judge ({n} in the last 26 weeks; "
            "10 needed).")
    assert table.loc["research", "verdict"] in ("gap", "covered")
    assert set(gaps.gaps) <= {"research", "ml"}
    # With a lower bar, the 4 recent data tickets get a verdict.
    lower = skill_gaps(result, tickets, min_recent_tickets=4).coverage.set_index("area")
    assert lower.loc["data", "verdict"] in ("gap", "covered")


# -- coverage on generated data with known skills ---------------------------------------


@pytest.mark.parametrize("which", ["skills_fit", "plain_fit"])
def test_the_area_nobody_is_strong_in_is_the_gap(which, departed, request):
    result = request.getfixturevalue(which)
    tickets, levels = departed["tickets"], departed["levels"]
    gaps = skill_gaps(result, tickets)
    assert gaps.gaps == [GAP]
    table = gaps.coverage.set_index("area")
    for area in ("research", "ml-engineering"):
        names = table.loc[area, "clearly_fast"].split("; ")
        assert table.loc[area, "verdict"] == "covered"
        assert table.loc[area, "n_clearly_fast"] == len(names) >= 1
        assert all(levels[name][area] == "strong" for name in names)  # truly fast
    # The sentence, with the key person counted here from the tickets.
    recent = tickets[tickets["started_at"] >= tickets["started_at"].max()
                     - pd.Timedelta(weeks=26)]
    counts = Counter(e for e, a in zip(recent["engineer"], recent["area"], strict=True)
                     if a == GAP)
    most = max(counts.values())
    person = min(e for e, n in counts.items() if n == most)  # names sort plainly here
    total = sum(counts.values())
    assert table.loc[GAP, "statement"] == (
        f"No one is clearly fast in {GAP}; {most / total:.0%} of its recent tickets rest on "
        f"{person} ({most} of {total} in the last 26 weeks).")


def test_those_who_left_are_not_the_team(coverage, departed, skills_fit):
    assert not set(departed["left"]) & set(coverage.team)
    assert set(departed["left"]) <= set(coverage.left_out)
    assert set(coverage.team) | set(coverage.left_out) == set(
        skills_fit.engineer_multipliers["engineer"])
    # Named as the team, the strong data engineers cover the gap again.
    everyone = skill_gaps(skills_fit, departed["tickets"],
                          team=list(skills_fit.engineer_multipliers["engineer"]))
    assert GAP not in everyone.gaps


def test_clearly_fast_is_the_reported_interval_below_one(coverage, skills_fit, departed):
    cells = skills_fit.engineer_area_multipliers
    cells = cells[cells["engineer"].isin(coverage.team)]
    # At the result's confidence (0.8), the reported p10-p90 interval.
    assert skills_fit.confidence == 0.8
    expected = cells[cells["p90"] < 1].groupby("area")["engineer"].apply(set)
    for row in coverage.coverage.itertuples():
        names = set(row.clearly_fast.split("; ")) if row.clearly_fast else set()
        assert names == expected.get(row.area, set())
    # A stricter confidence asks more: fewer or the same engineers.
    strict = skill_gaps(skills_fit, departed["tickets"], confidence=0.99)
    assert (strict.coverage["n_clearly_fast"] <= coverage.coverage["n_clearly_fast"]).all()
    assert strict.confidence == 0.99


# -- hiring: the linear program --------------------------------------------------------


def brute_force(costs: np.ndarray, capacity: int) -> float:
    """The least total over every assignment of tickets (rows) to people
    (columns) with at most ``capacity`` tickets each."""
    best = math.inf
    n, m = costs.shape
    for choice in itertools.product(range(m), repeat=n):
        if max(Counter(choice).values()) <= capacity:
            best = min(best, sum(costs[i, j] for i, j in enumerate(choice)))
    return best


def test_the_assignment_is_the_brute_force_optimum_within_capacity(skills_fit, departed):
    team = skill_gaps(skills_fit, departed["tickets"]).team[:3]
    mix = pd.DataFrame({"area": [GAP, GAP, "research", "ml-engineering", "research"],
                        "points": [1.0, 3.0, 2.0, 5.0, 8.0]})
    gaps = skill_gaps(skills_fit, departed["tickets"], team=team, mix=mix, on=ON,
                      candidates={"hire": STRONG_IN_GAP})
    capacity = 3  # ceil(1.25 x 5 tickets / 3 engineers) = ceil(2.08)
    assert gaps.settings["capacity"] == capacity
    m = skills_fit.multipliers
    team_costs = np.column_stack([
        m.predict(name, mix["area"], mix["points"], on=ON)["mean_days"] for name in team])
    hire = m.predict("somebody new", mix["area"], mix["points"], profile=STRONG_IN_GAP,
                     on=ON)["mean_days"].to_numpy()
    row = gaps.hiring.iloc[0]
    assert row["team_days"] == pytest.approx(brute_force(team_costs, capacity), rel=1e-9)
    assert row["with_hire_days"] == pytest.approx(
        brute_force(np.column_stack([team_costs, hire]), capacity), rel=1e-9)
    plans = gaps.assignments
    assert (plans["tickets"] == plans["tickets"].round()).all()  # whole tickets
    load = plans.groupby(["scenario", "engineer"])["tickets"].sum()
    assert load.max() <= capacity
    given_out = plans.groupby(["scenario", "area", "points"])["tickets"].sum()
    for scenario in (AS_IS, "hire"):
        assert given_out[scenario].sum() == 5
    assert set(plans.loc[plans["hire"], "engineer"]) <= {"hire"}


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_the_program_matches_brute_force_on_random_costs(data):
    n = data.draw(st.integers(1, 6), label="tickets")
    m = data.draw(st.integers(1, 3), label="people")
    capacity = data.draw(st.integers(math.ceil(n / m), n), label="capacity")
    costs = np.array(data.draw(st.lists(st.integers(1, 20), min_size=n * m, max_size=n * m)),
                     dtype=float).reshape(n, m)
    plan = _cheapest(costs, np.ones(n), np.full(m, float(capacity)))
    assert np.array_equal(plan, np.round(plan))
    assert plan.sum(axis=0).max() <= capacity
    np.testing.assert_array_equal(plan.sum(axis=1), np.ones(n))
    assert (plan * costs).sum() == pytest.approx(brute_force(costs, capacity), rel=1e-12)


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_a_hire_never_adds_days(data, skills_fit, departed, coverage):
    team = data.draw(st.lists(st.sampled_from(coverage.team), min_size=1, max_size=4,
                              unique=True), label="team")
    areas = sorted(skills_fit.multipliers.areas["area"])
    mix = pd.DataFrame(data.draw(st.lists(
        st.tuples(st.sampled_from(areas), st.sampled_from([1.0, 2.0, 3.0, 5.0, 8.0]),
                  st.integers(1, 4)), min_size=1, max_size=5), label="mix"),
        columns=["area", "points", "count"])
    profile = data.draw(st.dictionaries(st.sampled_from(areas),
                                        st.sampled_from(["basic", "proficient", "strong"])),
                        label="profile")
    start = data.draw(st.sampled_from([None, "2026-06-01", "2020-01-01"]), label="start")
    slack = data.draw(st.floats(0.0, 1.0), label="slack")
    gaps = skill_gaps(skills_fit, departed["tickets"], team=team, mix=mix, slack=slack,
                      on=ON, candidates={"candidate": profile}, start_date=start)
    row = gaps.hiring.iloc[0]
    assert row["with_hire_days"] <= row["team_days"] * (1 + 1e-9)
    assert row["saving_days"] == pytest.approx(row["team_days"] - row["with_hire_days"],
                                               rel=1e-12, abs=1e-9)
    load = gaps.assignments.groupby(["scenario", "engineer"])["tickets"].sum()
    assert load.max() <= gaps.settings["capacity"] + 1e-9
    assert gaps.settings["capacity"] == math.ceil((1 + slack) * mix["count"].sum() / len(team)
                                                  - 1e-9)


# -- hiring: what the comparison says ----------------------------------------------------


@pytest.fixture(scope="module")
def comparison(skills_fit, departed):
    return skill_gaps(skills_fit, departed["tickets"], on=ON, candidates={
        "strong in the gap": STRONG_IN_GAP,
        "strong in research": STRONG_IN_RESEARCH,
        "strong in the gap, starting now": {**STRONG_IN_GAP, "start_date": ON},
        "strong in the gap, for years": {**STRONG_IN_GAP, "start_date": "2020-07-01"}})


def test_a_hire_strong_in_the_gap_saves_more(comparison):
    table = comparison.hiring.set_index("candidate")
    gap, research = table.loc["strong in the gap"], table.loc["strong in research"]
    assert gap["saving_days"] > research["saving_days"] > 0
    # The gap hire's saving comes from the gap area.
    by_area = comparison.hiring_by_area.set_index(["candidate", "area"])
    assert by_area.loc[("strong in the gap", GAP), "saving_days"] \
        > 0.5 * gap["saving_days"]
    assert by_area.loc[("strong in the gap", GAP), "hire_tickets"] > 0


def test_ramp_up_makes_a_new_hire_save_less(comparison, skills_fit):
    assert skills_fit.ramp_up is not None
    table = comparison.hiring.set_index("candidate")
    new = table.loc["strong in the gap, starting now", "saving_days"]
    assert 0 <= new < table.loc["strong in the gap", "saving_days"]
    # Six years on, the slowdown exp(-313 weeks / tau) is gone.
    assert table.loc["strong in the gap, for years", "saving_days"] == pytest.approx(
        table.loc["strong in the gap", "saving_days"], rel=1e-6)


def test_the_tables_add_up(comparison):
    hiring, by_area, plans = comparison.hiring, comparison.hiring_by_area, comparison.assignments
    mix_tickets = comparison.mix["count"].sum()
    for row in hiring.itertuples():
        mine = by_area[by_area["candidate"] == row.candidate]
        assert mine["with_hire_days"].sum() == pytest.approx(row.with_hire_days, rel=1e-10)
        assert mine["team_days"].sum() == pytest.approx(row.team_days, rel=1e-10)
        assert mine["hire_tickets"].sum() == pytest.approx(row.hire_tickets, rel=1e-12)
        assert row.tickets == mix_tickets
        assert row.hire_share == pytest.approx(row.hire_tickets / mix_tickets, rel=1e-12)
        assert row.saving_share == pytest.approx(row.saving_days / row.team_days, rel=1e-12)
        scenario = plans[plans["scenario"] == row.candidate]
        assert scenario["days"].sum() == pytest.approx(row.with_hire_days, rel=1e-10)
        assert scenario.loc[scenario["hire"], "days"].sum() == pytest.approx(row.hire_days,
                                                                             rel=1e-10)
    as_is = plans[plans["scenario"] == AS_IS]
    assert as_is["days"].sum() == pytest.approx(hiring["team_days"].iloc[0], rel=1e-10)
    assert not as_is["hire"].any()


def test_expected_days_are_lognormal_means(comparison, skills_fit):
    plans = comparison.assignments
    team_rows = plans[~plans["hire"]].head(20)
    prediction = skills_fit.multipliers.predict(team_rows["engineer"], team_rows["area"],
                                                team_rows["points"], on=ON)
    mean = np.exp(prediction["log_mean"] + prediction["log_sd"] ** 2 / 2)
    np.testing.assert_allclose(team_rows["mean_days"], mean, rtol=1e-12)
    assert (team_rows["mean_days"].to_numpy() > prediction["p50_days"].to_numpy()).all()


def test_the_default_mix_is_the_recent_tickets(comparison, departed):
    tickets = departed["tickets"]
    recent = tickets[tickets["started_at"] >= tickets["started_at"].max()
                     - pd.Timedelta(weeks=26)]
    counted = Counter(zip(recent["area"], recent["points"], strict=True))
    mix = comparison.mix
    assert dict(zip(zip(mix["area"], mix["points"], strict=True), mix["count"],
                    strict=True)) == counted
    assert comparison.settings["mix_source"] == "recent tickets"
    assert comparison.settings["on"] == pd.Timestamp(ON)


# -- without skill profiles, and bad input ---------------------------------------------


def test_profiles_need_a_fit_with_skills(plain_fit, departed):
    tickets = departed["tickets"]
    with pytest.raises(InputError, match="needs a fit with skill profiles") as error:
        skill_gaps(plain_fit, tickets, candidates={"Ana": STRONG_IN_GAP})
    assert "skills=" in str(error.value)
    with pytest.raises(InputError, match="no ramp-up term"):
        skill_gaps(plain_fit, tickets, candidates={"Ana": {}}, start_date=ON)
    # The coverage works, and so does a typical new engineer.
    gaps = skill_gaps(plain_fit, tickets, candidates={"anyone": {}}, on=ON)
    assert gaps.gaps == [GAP]
    assert gaps.hiring["profile"].iloc[0] == "typical (no declared levels)"
    assert gaps.hiring["with_hire_days"].iloc[0] <= gaps.hiring["team_days"].iloc[0]


def test_a_start_date_without_ramp_up_warns(departed):
    result = fitted(departed["tickets"], skills=departed["profiles"], ramp_up=False)
    with pytest.warns(CalibrationWarning, match="no ramp-up term"):
        skill_gaps(result, departed["tickets"], candidates={"Ana": STRONG_IN_GAP},
                   start_date=ON, on=ON)


def test_a_level_nobody_declared_anywhere_falls_back_to_typical(hand):
    tickets, _ = hand
    profiles = SkillProfiles.from_dict({"Ann": {"research": "basic"},
                                        "Bob": {"research": "proficient"}})
    result = fitted(tickets, skills=profiles)
    mix = pd.DataFrame({"area": ["research", "ml", "ml"], "points": [1.0, 3.0, 8.0]})
    with pytest.warns(CalibrationWarning, match="no engineer with tickets declared") as caught:
        gaps = skill_gaps(result, tickets, on=ON, mix=mix, team=["Ann"], slack=1.0,
                          candidates={"Kim": {"research": "strong", "ml": "strong"},
                                      "Lou": {"research": "basic"}})
    messages = [str(w.message) for w in caught]
    fallback = next(m for m in messages if "or any other" in m)
    assert "no effect to borrow" in fallback and "predicted as the team's mix" in fallback
    assert "'Kim': strong in research" in fallback and "'Kim': strong in ml" in fallback
    assert "Lou" not in " ".join(messages)  # basic in research was declared
    # Without an estimate anywhere, "strong" is the team's mix: Kim is a
    # typical engineer there, and nothing is recorded as assumed.
    typical = result.multipliers.predict("someone", mix["area"], mix["points"], on=ON)
    declared = result.multipliers.predict("someone", mix["area"], mix["points"], on=ON,
                                          profile={"research": "strong", "ml": "strong"})
    np.testing.assert_allclose(declared["log_mean"], typical["log_mean"], rtol=1e-12)
    assert gaps.hiring_by_area["assumed_level_multiplier"].isna().all()
    assert gaps.hiring_by_area["assumed_level"].isna().all()
    # One engineer whose cap (2 x 3 tickets) holds the whole mix, so does
    # the hire's: each ticket goes to the cheaper of the two.
    ann = result.multipliers.predict("Ann", mix["area"], mix["points"], on=ON)["mean_days"]
    kim = gaps.hiring.set_index("candidate").loc["Kim"]
    assert kim["with_hire_days"] == pytest.approx(
        np.minimum(ann, typical["mean_days"]).sum(), rel=1e-9)
    assert len(gaps.hiring) == 2


def test_one_estimate_is_borrowed_as_it_is(hand):
    """A level estimated in one area only: its offset and variance, as they are."""
    tickets, _ = hand
    profiles = SkillProfiles.from_dict({"Ann": {"research": "basic"},
                                        "Bob": {"research": "proficient"}})
    result = fitted(tickets, skills=profiles)
    mix = pd.DataFrame({"area": ["ml", "research"], "points": [3.0, 3.0], "count": [2, 1]})
    with pytest.warns(CalibrationWarning, match=r"basic in ml ×\d\.\d\d against the team's "
                                                r"typical engineer there, as in research "
                                                r"\(candidate 'Max'\)"):
        gaps = skill_gaps(result, tickets, on=ON, team=["Ann"], mix=mix, slack=0.0,
                          candidates={"Max": {"ml": "basic"}})
    records = pd.DataFrame(result.multipliers.skills["level_effects"]).set_index(
        ["area", "level"])
    effects = result.level_effects.set_index(["area", "level"])
    row = gaps.hiring_by_area.set_index("area").loc["ml"]
    assert row["assumed_level"] == "basic" and row["assumed_from"] == "research"
    assert row["assumed_level_multiplier"] == pytest.approx(
        effects.loc[("research", "basic"), "team_multiplier"], rel=1e-12)
    # The cost: the typical engineer's lognormal, its log mean moved by the
    # offset and its log variance grown by the offset's variance.
    typical = result.multipliers.predict("someone", "ml", [3.0], on=ON).iloc[0]
    offset = math.log(effects.loc[("research", "basic"), "team_multiplier"])
    variance = records.loc[("research", "basic"), "var_offset"]
    expected = math.exp(typical["log_mean"] + offset
                        + (typical["log_sd"] ** 2 + variance) / 2)
    # Ann's cap is the whole mix (3 tickets), so is the hire's: each ticket
    # goes to the cheaper of the two; in research Max is a typical engineer.
    ann = result.multipliers.predict("Ann", mix["area"], 3.0, on=ON)["mean_days"].to_numpy()
    research = result.multipliers.predict("someone", "research", [3.0], on=ON)["mean_days"]
    assert gaps.hiring["with_hire_days"].iloc[0] == pytest.approx(
        2 * min(ann[0], expected) + min(ann[1], research.iloc[0]), rel=1e-9)
    assert gaps.hiring_by_area.set_index("area").drop("ml")[
        "assumed_level_multiplier"].isna().all()


# -- hiring: a level no one declared in an area, borrowed -------------------------------

#: Strong is faster in research and ml-engineering; in data-engineering the
#: levels make no difference and everyone declared "proficient" there.
ONE_LEVEL_EFFECTS = {"research": LEVELS, "ml-engineering": LEVELS,
                     GAP: dict.fromkeys(LEVELS, 0.0)}


@pytest.fixture(scope="module")
def one_level():
    simulated = simulate_tickets(2000, 10, seed=5, engineer_sd=0.05, engineer_area_sd=0.05,
                                 level_effects=ONE_LEVEL_EFFECTS)
    profiles = SkillProfiles.from_dict(
        {engineer: {**levels, GAP: "proficient"}
         for engineer, levels in simulated.truth["levels"].items()}, scale=tuple(LEVELS))
    tickets = simulated.tickets
    result = fitted(tickets, skills=profiles)
    assert result.level_effects.loc[result.level_effects["area"] == GAP, "level"].tolist() \
        == ["proficient"]
    return tickets, result


def borrowed(result, level: str) -> tuple[float, float]:
    """The level's log multiplier against the team's typical engineer,
    combined over the other areas by a DerSimonian-Laird random-effects
    meta-analysis, and its variance for one more area."""
    effects = result.level_effects
    effects = effects[(effects["level"] == level) & (effects["area"] != GAP)]
    records = pd.DataFrame(result.multipliers.skills["level_effects"]).set_index(
        ["area", "level"])
    variances = np.array([records.loc[(area, level), "var_offset"]
                          for area in effects["area"]])
    return dersimonian_laird(np.log(effects["team_multiplier"].to_numpy(dtype=float)),
                             variances)


def test_a_level_never_declared_in_an_area_is_borrowed(one_level):
    tickets, result = one_level
    m = result.multipliers
    engineer = sorted(skill_gaps(result, tickets).team)[0]
    points = np.array([1.0, 2.0, 3.0, 5.0, 8.0])
    mix = pd.DataFrame({"area": GAP, "points": points, "count": 2})
    options = {"team": [engineer], "mix": mix, "slack": 0.0, "on": ON,
               "candidates": {"strong there": {GAP: "strong"}}}
    with pytest.warns(CalibrationWarning, match="never|no engineer") as caught:
        borrow = skill_gaps(result, tickets, **options)
    with pytest.warns(CalibrationWarning, match="unseen_levels='typical'"):
        typical = skill_gaps(result, tickets, unseen_levels="typical", **options)
    log_multiplier, variance = borrowed(result, "strong")
    factor = math.exp(log_multiplier + variance / 2)  # on the lognormal mean
    assert factor < 0.8  # strong is clearly faster elsewhere
    # One engineer with a cap of the whole mix (10 tickets), and the hire
    # too: each class goes to whoever is cheaper, no cap binds.
    assert borrow.settings["capacity"] == 10
    team = m.predict(engineer, mix["area"], points, on=ON)["mean_days"].to_numpy()
    hire = m.predict("someone new", mix["area"], points, on=ON, profile={GAP: "strong"},
                     unseen_levels="typical")["mean_days"].to_numpy()
    as_typical = m.predict("someone new", mix["area"], points, on=ON)["mean_days"].to_numpy()
    np.testing.assert_allclose(hire, as_typical, rtol=1e-12)  # no estimate there
    # The planner's prediction of the same hire borrows the same (GAP's only
    # level is proficient: the team's mix adds no variance there).
    planner = m.predict("someone new", mix["area"], points, on=ON, profile={GAP: "strong"})
    np.testing.assert_allclose(planner["mean_days"], hire * factor, rtol=1e-9)
    assert planner["basis"].str.endswith("declared level borrowed from other areas").all()
    rows = {"borrow": borrow.hiring.iloc[0], "typical": typical.hiring.iloc[0]}
    # "typical" is the comparison as it was: the hire as the team's mix there.
    assert rows["typical"]["with_hire_days"] == pytest.approx(
        (2 * np.minimum(team, hire)).sum(), rel=1e-9)
    assert rows["borrow"]["with_hire_days"] == pytest.approx(
        (2 * np.minimum(team, hire * factor)).sum(), rel=1e-9)
    assert rows["borrow"]["saving_days"] - rows["typical"]["saving_days"] == pytest.approx(
        (2 * (np.minimum(team, hire) - np.minimum(team, hire * factor))).sum(), rel=1e-9)
    assert rows["borrow"]["saving_days"] > rows["typical"]["saving_days"]
    # Per class: the hire's expected days, borrowed, are the typical's times the factor.
    plans = borrow.assignments[borrow.assignments["hire"]]
    assert len(plans)
    expected = dict(zip(points, hire * factor, strict=True))
    for row in plans.itertuples():
        assert row.mean_days == pytest.approx(expected[row.points], rel=1e-12)
    # The assumption, recorded and said.
    recorded = borrow.hiring_by_area.iloc[0]
    assert (recorded["assumed_level"], recorded["assumed_from"]) == (
        "strong", "ml-engineering; research")
    assert recorded["assumed_level_multiplier"] == pytest.approx(math.exp(log_multiplier),
                                                                rel=1e-12)
    assert typical.hiring_by_area["assumed_level_multiplier"].isna().all()
    message = " ".join(str(w.message) for w in caught)
    assert (f"strong in {GAP} ×{math.exp(log_multiplier):.2f} against the team's typical "
            "engineer there, as in ml-engineering and research (candidate 'strong there')"
            ) in message
    assert borrow.settings["unseen_levels"] == "borrow"
    assert "Assumed, never declared there: strong in data-engineering ×" in str(
        borrow.summary())


def test_borrowing_makes_the_hire_strong_in_the_missing_area_worth_more(one_level):
    tickets, result = one_level
    strong_there = {GAP: "strong", "research": "basic", "ml-engineering": "basic"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        borrow = skill_gaps(result, tickets, on=ON, candidates={"hire": strong_there})
        typical = skill_gaps(result, tickets, on=ON, candidates={"hire": strong_there},
                             unseen_levels="typical")
    assert borrow.hiring["saving_days"].iloc[0] > typical.hiring["saving_days"].iloc[0]
    # Everything outside the gap is costed the same: only the gap is assumed.
    by_area = borrow.hiring_by_area.set_index("area")
    assert by_area["assumed_level"].notna().tolist() == [a == GAP for a in by_area.index]
    costs = {name: gaps.assignments[gaps.assignments["hire"]
                                    & (gaps.assignments["area"] != GAP)]
             .set_index(["area", "points"])["mean_days"]
             for name, gaps in (("borrow", borrow), ("typical", typical))}
    shared = costs["borrow"].index.intersection(costs["typical"].index)
    np.testing.assert_allclose(costs["borrow"][shared], costs["typical"][shared], rtol=1e-12)


@pytest.mark.parametrize("unseen_levels", ["borrow", "typical"])
def test_a_hire_costs_what_a_planner_predicts_for_them(one_level, unseen_levels):
    """The comparison's costs are ``Multipliers.predict``'s for the same
    profile and setting: one number for the same new hire."""
    tickets, result = one_level
    profile = {GAP: "strong", "research": "basic", "ml-engineering": "proficient"}
    points = [1.0, 3.0, 8.0]
    areas = sorted(result.multipliers.areas["area"])
    mix = pd.DataFrame({"area": np.repeat(areas, len(points)),
                        "points": np.tile(points, len(areas)), "count": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        gaps = skill_gaps(result, tickets, on=ON, mix=mix, slack=0.0,
                          candidates={"hire": {**profile, "start_date": "2026-05-01"}},
                          unseen_levels=unseen_levels)
    planner = result.multipliers.predict(
        "someone new", mix["area"], mix["points"], on=ON, profile=profile,
        start_date="2026-05-01", unseen_levels=unseen_levels)
    expected = planner.set_index(["area", "points"])["mean_days"]
    plans = gaps.assignments
    hired = plans[plans["hire"]]
    assert len(hired)
    for row in hired.itertuples():
        assert row.mean_days == pytest.approx(expected[(row.area, row.points)], rel=1e-9)
    assert gaps.hiring["hire_days"].iloc[0] == pytest.approx(
        sum(r.tickets * expected[(r.area, r.points)] for r in hired.itertuples()), rel=1e-9)
    # The team's costs are the planner's too.
    team = plans[(plans["scenario"] == AS_IS)]
    for row in team.head(10).itertuples():
        assert row.mean_days == pytest.approx(result.multipliers.predict(
            row.engineer, row.area, row.points, on=ON,
            unseen_levels=unseen_levels)["mean_days"].iloc[0], rel=1e-9)
    # Recorded as assumed exactly where the planner's basis says borrowed.
    borrowed = set(planner.loc[planner["basis"].str.contains("borrowed"), "area"])
    assumed = set(gaps.hiring_by_area.loc[gaps.hiring_by_area["assumed_level"].notna(),
                                          "area"])
    assert assumed == borrowed == ({GAP} if unseen_levels == "borrow" else set())


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.floats(-2, 2), st.floats(1e-4, 1.0)), min_size=1, max_size=6))
def test_combining_the_areas_is_a_random_effects_meta_analysis(areas):
    effects = np.array([e for e, _ in areas])
    variances = np.array([v for _, v in areas])
    mean, variance = _dersimonian_laird(effects, variances)
    # Within the areas' effects, and no more certain than all of them pooled.
    assert effects.min() - 1e-12 <= mean <= effects.max() + 1e-12
    assert variance >= 1 / np.sum(1 / variances) * (1 - 1e-12)
    if len(areas) == 1:
        assert mean == pytest.approx(effects[0], rel=1e-12)
        assert variance == pytest.approx(variances[0], rel=1e-12)
        return
    expected_mean, expected_variance = dersimonian_laird(effects, variances)
    assert mean == pytest.approx(expected_mean, rel=1e-9, abs=1e-12)
    assert variance == pytest.approx(expected_variance, rel=1e-9)


def test_input_problems_are_reported_together(skills_fit, departed):
    tickets = departed["tickets"]
    mix = pd.DataFrame({"area": ["data-engineerin", "research", "research"],
                        "points": [3, -1, 2], "count": [1, 1, -2]})
    with pytest.raises(InputError) as error:
        skill_gaps(skills_fit, tickets, mix=mix, candidates={"x": {}})
    assert len(error.value.problems) == 3
    assert "did you mean 'data-engineering'" in str(error.value)
    with pytest.raises(InputError) as error:
        skill_gaps(skills_fit, tickets, on=ON, candidates={
            "Ana": {"research": "expert"}, "Ben": {"reserch": "strong"}})
    text = str(error.value)
    assert "candidate 'Ana'" in text and "expert" in text
    assert "candidate 'Ben'" in text and "did you mean 'research'" in text
    with pytest.raises(InputError, match="did you mean") as error:
        skill_gaps(skills_fit, tickets, team=["engineer-0001"])
    with pytest.raises(InputError) as error:
        skill_gaps(skills_fit, tickets, slack=-1, window_weeks=0, min_recent_tickets=1.5,
                   confidence=1.2, unseen_levels="guess")
    assert len(error.value.problems) == 5
    assert "'borrow' or 'typical'" in str(error.value)
    with pytest.raises(InputError, match="not fitted on"):
        skill_gaps(skills_fit, tickets.assign(area="elsewhere"))


def test_candidates_in_every_form(skills_fit, departed):
    tickets = departed["tickets"]
    one = skill_gaps(skills_fit, tickets, on=ON, candidates=STRONG_IN_GAP)
    assert one.hiring["candidate"].tolist() == ["new hire"]
    profiles = SkillProfiles.from_dict({"Zed": {**STRONG_IN_GAP, "start_date": ON},
                                        "Amy": STRONG_IN_RESEARCH})
    both = skill_gaps(skills_fit, tickets, on=ON, candidates=profiles)
    table = both.hiring.set_index("candidate")
    assert sorted(table.index) == ["Amy", "Zed"]
    assert table.loc["Zed", "start_date"] == pd.Timestamp(ON)
    assert pd.isna(table.loc["Amy", "start_date"])
    # The same candidate as a mapping gives the same numbers.
    mapping = skill_gaps(skills_fit, tickets, on=ON, candidates={"Zed": {
        **STRONG_IN_GAP, "start_date": ON}}).hiring.iloc[0]
    assert mapping["with_hire_days"] == pytest.approx(table.loc["Zed", "with_hire_days"],
                                                      rel=1e-12)
    with pytest.raises(InputError, match="names the team without a hire"):
        skill_gaps(skills_fit, tickets, candidates={AS_IS: {}})


def test_summary_says_it_in_words(comparison):
    summary = comparison.summary()
    titles = list(summary.tables)
    assert titles[0].startswith("Coverage per area")
    assert any(title.startswith("What if we hire: expected working days") for title in titles)
    text = str(summary)
    assert f"No one is clearly fast in {GAP}" in text
    assert "log-normal means, not medians" in text
    row = comparison.hiring.iloc[0]
    assert (f"With strong in the gap ({row['profile']}), the mix takes "
            f"{row['with_hire_days']:.1f} expected working days instead of "
            f"{row['team_days']:.1f}") in text
    assert isinstance(comparison, SkillGaps)
    assert "<h4>" in summary._repr_html_()


def test_a_hire_not_yet_started_when_the_work_is_costed_is_warned_about(skills_fit, departed):
    later = pd.Timestamp(ON) + pd.Timedelta(days=1)
    with pytest.warns(CalibrationWarning, match=r"before the start date of 'late'"):
        skill_gaps(skills_fit, departed["tickets"], on=ON,
                   candidates={"late": {**STRONG_IN_GAP, "start_date": later}})
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalibrationWarning)  # starting on the day: no warning
        skill_gaps(skills_fit, departed["tickets"], on=ON,
                   candidates={"on time": {**STRONG_IN_GAP, "start_date": ON}})

"""Release forecasts and their backtest (calibrate.plan._release).

Reference numbers come from independent computations: the closed-form
log-normal quantile of one ticket, a direct numpy simulation of a
hand-made model, a hand count of working days, a hand-worked greedy
schedule, Clopper–Pearson by its beta-quantile formula. Monte Carlo
tolerances are distribution-free: the p-quantile of n draws lies between
the exact quantiles at p -/+ 4 sqrt(p (1 - p) / n) except with probability
about 6e-5 (the order statistics' binomial).
"""

from __future__ import annotations

import datetime as dt
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from calibrate import CalibrationWarning, Calibrator, InputError, read_export
from calibrate.backtest import tickets_known_at
from calibrate.datasets import simulate_tickets
from calibrate.durations import WorkCalendar
from calibrate.export import RECORD_COLUMNS, Multipliers
from calibrate.plan import _release
from calibrate.plan._release import backtest_release, forecast_release
from calibrate.plan._simulate import simulate_days

SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
PERCENTILES = np.array([0.50, 0.85, 0.95])


@pytest.fixture(scope="module")
def sample():
    return read_export(SAMPLE, config=CONFIG)


@pytest.fixture(scope="module")
def result(sample):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        return Calibrator().fit(sample).result_


def handmade(cells: dict[str, tuple[float, float]], *, intercept: float = 0.5,
             elasticity: float = 0.6, noise_sd: float = 0.5,
             calendar: dict | None = None) -> Multipliers:
    """Multipliers of one area ``a`` with no estimation uncertainty in the
    fixed effects: engineer -> (log_mean, log_sd) of their only cell."""
    rows = [{"scope": "population", "engineer": None, "area": None, "log_mean": 0.0,
             "log_sd": 0.3}]
    for name, (log_mean, log_sd) in cells.items():
        rows.append({"scope": "engineer", "engineer": name, "area": None,
                     "log_mean": log_mean, "log_sd": log_sd})
        rows.append({"scope": "engineer_area", "engineer": name, "area": "a",
                     "log_mean": log_mean, "log_sd": log_sd})
    records = pd.DataFrame(rows).assign(
        median=np.nan, mean=np.nan, p10=np.nan, p90=np.nan, n_finished=50, n_open=0,
        shrinkage_weight=0.5, fixed_cross_intercept=0.0, fixed_cross_elasticity=0.0,
    )[RECORD_COLUMNS]
    areas = pd.DataFrame([{"area": "a", "intercept": intercept, "elasticity": elasticity,
                           "noise_sd": noise_sd, "var_intercept": 0.0, "var_elasticity": 0.0,
                           "cov_intercept_elasticity": 0.0, "n_finished": 200, "n_open": 0}])
    model = {"reference_points": 3.0, "zero_points": 0.5, "engineer_sd": 0.3,
             "engineer_area_sd": 0.2, "unseen_engineer_sd": math.hypot(0.3, 0.2),
             "cap_days": 3.0, "confidence": 0.8, "noise": "area", "slopes": "separate",
             "clock": "cycle", "points_range": [1.0, 8.0]}
    return Multipliers(records=records, areas=areas, model=model, window={},
                       calendar=calendar)


def plan(points, engineers, area="a") -> pd.DataFrame:
    return pd.DataFrame({"ticket_id": [f"T-{i}" for i in range(1, len(points) + 1)],
                         "area": area, "points": points, "engineer": engineers})


def quantile_bounds(reference: np.ndarray, p: np.ndarray, n: int) -> tuple:
    """Where the p-quantile of n draws falls, from a reference sample (or
    exact quantile function) — see the module docstring."""
    margin = 4 * np.sqrt(p * (1 - p) / n)
    return reference(np.clip(p - margin, 0, 1)), reference(np.clip(p + margin, 0, 1))


# -- the forecast -------------------------------------------------------------

def test_the_same_seed_gives_the_same_forecast(result):
    backlog = plan([3, 5, 2, 8], ["Priya Raman", "", "Zoë Müller", ""], area="research")
    first = forecast_release(result, backlog, start=dt.date(2026, 11, 2), draws=500, seed=3)
    again = forecast_release(result, backlog, start=dt.date(2026, 11, 2), draws=500, seed=3)
    other = forecast_release(result, backlog, start=dt.date(2026, 11, 2), draws=500, seed=4)
    pd.testing.assert_frame_equal(first.distribution, again.distribution)
    pd.testing.assert_frame_equal(first.sprints, again.sprints)
    assert not np.allclose(first.distribution["sprints"], other.distribution["sprints"])
    assert (first.draws, first.seed) == (500, 3)


def test_one_engineer_takes_the_total_over_capacity_sprints_in_every_draw(result):
    backlog = plan([3, 5, 2, 8, 1], ["Priya Raman"] * 5, area="ml-engineering")
    capacity = 6.5
    forecast = forecast_release(result, backlog, {"Priya Raman": capacity}, draws=1000,
                                seed=11, start=dt.date(2026, 11, 2))
    # The same draws, summed by hand.
    days = simulate_days(result, backlog, ["Priya Raman"], draws=1000, seed=11).days
    total = days[:, :, 0].sum(axis=1)
    np.testing.assert_allclose(forecast.distribution["total_days"], total, rtol=1e-12)
    np.testing.assert_allclose(forecast.distribution["sprints"], total / capacity, rtol=1e-12)
    np.testing.assert_allclose(forecast.distribution["working_days"], total / capacity * 10,
                               rtol=1e-12)
    np.testing.assert_allclose(forecast.sprints["sprints"],
                               np.percentile(total / capacity, [50, 85, 95]), rtol=1e-12)


def test_one_ticket_percentiles_are_the_lognormal_quantiles_over_capacity(result):
    draws, capacity = 20_000, 4.0
    backlog = plan([5], ["Priya Raman"], area="research")
    forecast = forecast_release(result, backlog, {"Priya Raman": capacity}, draws=draws,
                                start=dt.date(2026, 11, 2))
    row = result.multipliers.predict("Priya Raman", "research", 5).iloc[0]

    def exact(p):  # the closed-form quantile of days / capacity
        return np.exp(row["log_mean"] + stats.norm.ppf(p) * row["log_sd"]) / capacity

    low, high = quantile_bounds(exact, PERCENTILES, draws)
    got = forecast.sprints["sprints"].to_numpy()
    assert np.all((low <= got) & (got <= high)), (low, got, high)


def simulate_by_hand(cells, intercept, elasticity, noise_sd, points, owner, capacity, draws,
                     seed, per_release=True):
    """A direct simulation of the hand-made model: each engineer's effect
    once per release (or, wrongly, once per ticket), the noise per ticket;
    sprints = max over engineers of load / capacity."""
    rng = np.random.default_rng(seed)
    names = list(cells)
    log_mean = np.array([cells[name][0] for name in names])
    log_sd = np.array([cells[name][1] for name in names])
    who = np.array([names.index(name) for name in owner])
    x = np.log(np.asarray(points, dtype=float) / 3.0)
    if per_release:
        effect = (log_mean + log_sd * rng.standard_normal((draws, len(names))))[:, who]
    else:
        effect = log_mean[who] + log_sd[who] * rng.standard_normal((draws, len(who)))
    days = np.exp(intercept + elasticity * x + effect
                  + noise_sd * rng.standard_normal((draws, len(points))))
    loads = np.stack([days[:, who == j].sum(axis=1) for j in range(len(names))], axis=1)
    return (loads / np.array([capacity[name] for name in names])).max(axis=1)


def test_sums_agree_with_a_direct_simulation_of_a_handmade_model():
    cells = {"Ann": (0.2, 0.35), "Bo": (-0.1, 0.25)}
    model = handmade(cells, intercept=0.4, elasticity=0.7, noise_sd=0.5)
    points = [1, 2, 3, 5, 8, 3, 2, 5, 1, 3]
    owner = ["Ann"] * 6 + ["Bo"] * 4
    capacity = {"Ann": 6.0, "Bo": 4.0}
    draws = 10_000
    forecast = forecast_release(model, plan(points, owner), capacity, draws=draws, seed=5,
                                start=dt.date(2025, 1, 6))
    reference = simulate_by_hand(cells, 0.4, 0.7, 0.5, points, owner, capacity, 400_000, 99)
    # The reference's own error (400k draws) is a fifth of the forecast's:
    # widen the bounds by it.
    margin = 4 * np.sqrt(PERCENTILES * (1 - PERCENTILES)) * (1 / np.sqrt(draws)
                                                            + 1 / np.sqrt(400_000))
    low = np.quantile(reference, PERCENTILES - margin)
    high = np.quantile(reference, PERCENTILES + margin)
    got = forecast.sprints["sprints"].to_numpy()
    assert np.all((low <= got) & (got <= high)), (low, got, high)
    # The check has teeth: drawing the effects per ticket instead narrows
    # the distribution enough to leave the bounds at the 95th percentile.
    wrong = np.quantile(simulate_by_hand(cells, 0.4, 0.7, 0.5, points, owner, capacity,
                                         400_000, 99, per_release=False), 0.95)
    assert not low[2] <= wrong <= high[2]


def test_dates_are_counted_on_the_team_calendar():
    # Work of 5.3 days at 2 days per sprint: 2.65 sprints of 10 working days,
    # 26.5 working days, so it ends on the 27th working day. From Monday 2
    # June 2025, with Monday 9 June a company holiday: 2-6 June (days 1-5),
    # 10-13 (6-9), 16-20 (10-14), 23-27 (15-19), 30 June-4 July (20-24),
    # 7, 8, 9 July (25, 26, 27).
    calendar = {"country": None, "subdivision": None, "weekend": ["Sat", "Sun"],
                "extra_holidays": ["2025-06-09"], "timezone": "UTC"}
    model = handmade({"Ann": (0.0, 1e-6)}, intercept=math.log(5.3), noise_sd=1e-6,
                     calendar=calendar)
    forecast = forecast_release(model, plan([3], ["Ann"]), {"Ann": 2.0}, draws=200,
                                start=dt.date(2025, 6, 2))
    np.testing.assert_allclose(forecast.sprints["working_days"], 26.5, rtol=1e-4)
    assert forecast.sprints["date"].tolist() == [dt.date(2025, 7, 9)] * 3
    assert forecast.sprints["sprint"].tolist() == [3, 3, 3]
    # Sprint 1 ends on the 10th working day (Mon 16 June: the holiday moves
    # it from Fri 13), sprint 2 on the 20th (Mon 30 June), sprint 3 on the
    # 30th (Mon 14 July).
    assert forecast.by_sprint["end_date"].tolist() == [
        dt.date(2025, 6, 16), dt.date(2025, 6, 30), dt.date(2025, 7, 14)]
    assert forecast.by_sprint["probability_done"].tolist() == [0.0, 0.0, 1.0]
    # A start on a Saturday counts from the Monday.
    saturday = forecast_release(model, plan([3], ["Ann"]), {"Ann": 2.0}, draws=200,
                                start=dt.date(2025, 5, 31))
    assert saturday.sprints["date"].tolist() == [dt.date(2025, 7, 9)] * 3


def test_completion_dates_on_whole_and_empty_work():
    calendar = WorkCalendar()
    monday = dt.date(2025, 6, 2)
    got = _release._completion_dates(calendar, monday, np.array([0.0, 0.5, 1.0, 5.0, 5.01]))
    assert got == [monday, monday, monday, dt.date(2025, 6, 6), dt.date(2025, 6, 9)]


def test_unassigned_tickets_go_to_whoever_is_free_first():
    # days = points exactly (intercept log 3, elasticity 1, no noise). Ann
    # has 5 days assigned; the unassigned 3, 1, 4 are taken in that order:
    # Bo (free at 0) takes 3, Bo (free at 0.3 sprint < Ann's 0.5) takes 1,
    # Bo (0.4 < 0.5) takes 4: loads 5 and 8, so 0.8 sprints.
    model = handmade({"Ann": (0.0, 1e-6), "Bo": (0.0, 1e-6), "Cy": (0.0, 1e-6)},
                     intercept=math.log(3), elasticity=1.0, noise_sd=1e-6)
    backlog = plan([5, 3, 1, 4], ["Ann", "", None, ""])
    forecast = forecast_release(model, backlog, {"Ann": 10, "Bo": 10}, draws=100,
                                start=dt.date(2025, 6, 2))
    np.testing.assert_allclose(forecast.distribution["sprints"], 0.8, rtol=1e-4)
    engineers = forecast.per_engineer
    np.testing.assert_allclose(engineers["mean_days"], [5, 8], rtol=1e-4)
    assert engineers["pulled_tickets"].tolist() == [0.0, 3.0]
    assert forecast.tickets["done_by"].tolist() == ["Ann", "Bo", "Bo", "Bo"]
    assert forecast.tickets["basis"].tolist()[1:] == ["team"] * 3
    # An engineer named only in the capacity (Cy) joins the team: Bo and Cy
    # are both free at 0, the first listed (Bo) takes 3, then Cy (free at 0)
    # takes 1, and Cy again (0.1 < Bo's 0.3) takes 4.
    wider = forecast_release(model, backlog, {"Ann": 10, "Bo": 10, "Cy": 10}, draws=100,
                             start=dt.date(2025, 6, 2))
    assert list(wider.per_engineer.index) == ["Ann", "Bo", "Cy"]
    assert wider.per_engineer["pulled_tickets"].tolist() == [0.0, 1.0, 2.0]
    np.testing.assert_allclose(wider.distribution["sprints"], 0.5, rtol=1e-4)


def schedule_by_hand(loads, available, days):
    """Greedy list scheduling, one draw at a time, in plain Python."""
    loads = loads.copy()
    choices = np.zeros(days.shape[:2], dtype=int)
    for d in range(days.shape[0]):
        for k in range(days.shape[1]):
            best, best_time = None, math.inf
            for j, capacity in enumerate(available):
                if capacity > 0 and loads[d, j] / capacity < best_time:
                    best, best_time = j, loads[d, j] / capacity
            loads[d, best] += days[d, k, best]
            choices[d, k] = best
    return loads, choices


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(1, 6), st.integers(0, 2**31 - 1))
def test_the_greedy_schedule_is_list_scheduling(n_engineers, n_tickets, seed):
    rng = np.random.default_rng(seed)
    available = rng.choice([0.0, 2.0, 5.0, 10.0], size=n_engineers)
    available[0] = 8.0  # someone has capacity
    loads = rng.exponential(3.0, (5, n_engineers)) * (available > 0)
    days = rng.lognormal(0.5, 0.8, (5, n_tickets, n_engineers))
    expected, expected_choices = schedule_by_hand(loads, available, days)
    got = loads.copy()
    choices = _release._pull_unassigned(got, available, days)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_array_equal(choices, expected_choices)
    assert (available[choices] > 0).all()
    # With equal capacities, no one ends later than the average plus the
    # longest ticket (Graham's bound for list scheduling) when all start idle.
    equal = np.full(n_engineers, 5.0)
    idle = np.zeros((5, n_engineers))
    _release._pull_unassigned(idle, equal, days)
    longest = days.max(axis=(1, 2))
    assert (idle.max(axis=1) <= idle.sum(axis=1) / n_engineers + longest + 1e-9).all()


def test_blocks_of_draws_give_the_same_distribution(result, monkeypatch):
    # 2500 draws of 3 tickets for 1 engineer at a time: 8 blocks.
    monkeypatch.setattr(_release, "_BLOCK_CELLS", 7500)
    draws, capacity = 20_000, 5.0
    backlog = plan([2, 3, 5], ["Zoë Müller"] * 3, area="data-engineering")
    forecast = forecast_release(result, backlog, {"Zoë Müller": capacity}, draws=draws,
                                start=dt.date(2026, 11, 2))
    whole = simulate_days(result, backlog, ["Zoë Müller"], draws=200_000, seed=7).days
    reference = whole[:, :, 0].sum(axis=1) / capacity
    margin = 4 * np.sqrt(PERCENTILES * (1 - PERCENTILES)) * (1 / np.sqrt(draws)
                                                            + 1 / np.sqrt(200_000))
    got = forecast.sprints["sprints"].to_numpy()
    assert np.all((np.quantile(reference, PERCENTILES - margin) <= got)
                  & (got <= np.quantile(reference, PERCENTILES + margin)))


def test_impossible_teams_are_input_errors():
    model = handmade({"Ann": (0.0, 0.2), "Bo": (0.0, 0.2)})
    with pytest.raises(InputError, match="without capacity") as error:
        forecast_release(model, plan([3, 2], ["Ann", "Bo"]), {"Ann": 0, "Bo": 5},
                         start=dt.date(2025, 6, 2), draws=10)
    assert [p.row for p in error.value.problems] == [2]  # the header is row 1
    with pytest.raises(InputError, match="Unassigned tickets need a team"):
        forecast_release(model, plan([3, 2], ["", None]), start=dt.date(2025, 6, 2),
                         draws=10)
    with pytest.raises(InputError, match="sprint_days"):
        forecast_release(model, plan([3], ["Ann"]), sprint_days=0, draws=10)


def test_lead_time_multipliers_warn(lead_result):
    engineer = lead_result.engineer_multipliers["engineer"].iloc[0]
    area = lead_result.multipliers.areas["area"].iloc[0]
    with pytest.warns(CalibrationWarning, match="lead time"):
        forecast = forecast_release(lead_result, plan([3], [engineer], area=area), draws=50,
                                    start=dt.date(2026, 7, 1))
    assert "lead time" in str(forecast.summary())


def test_the_summary_says_when_the_backlog_is_done(result):
    backlog = plan([3, 5, 2, 8, 1, 3], ["Priya Raman", "", "Zoë Müller"] * 2,
                   area="research")
    forecast = forecast_release(result, backlog, draws=500, start=dt.date(2026, 11, 2))
    text = str(forecast.summary())
    date = forecast.sprints.set_index("percentile").loc[85, "date"]
    assert f"85% chance of being done by {date:%a %d %b %Y}" in text
    assert set(forecast.summary().tables) == {
        "When the backlog is done", "Chance of being done by the end of each sprint",
        "Per engineer"}


# -- the backtest -------------------------------------------------------------

def test_the_release_is_selected_on_start_not_on_finish():
    table = simulate_tickets(400, 5, history_days=120, seed=3).tickets
    origin = pd.Timestamp("2026-04-06")
    result = backtest_release(table, origins=[origin], horizon_sprints=2, draws=200)
    row = result.origins.iloc[0]
    window_end = row["window_end"]
    started = table["started_at"]
    by_start = set(table.loc[(started >= origin) & (started < window_end), "ticket_id"])
    finished = table["finished_at"]
    by_finish = set(table.loc[(finished >= origin) & (finished < window_end), "ticket_id"])
    assert set(result.tickets["ticket_id"]) == by_start
    # The check has teeth: the two selections differ both ways here.
    assert by_start - by_finish and by_finish - by_start
    chosen = table[table["ticket_id"].isin(by_start)]
    assert row["actual_days"] == pytest.approx(chosen["duration_days"].sum(), rel=1e-12)
    # 10 working days a sprint, two sprints: Mon 6 April + 20 working days.
    assert window_end == pd.Timestamp("2026-05-04")
    again = backtest_release(table, origins=[origin], horizon_sprints=2, draws=200)
    pd.testing.assert_frame_equal(result.origins, again.origins)


def test_open_releases_are_misses_only_once_decided():
    total = np.arange(1, 101, dtype=float)  # percentiles by numpy's interpolation
    p85, high = np.quantile(total, [0.85, 0.925])
    decided_miss = _release._scored_total(total, np.array([p85 + 0.1]), has_open=True)
    assert decided_miss["within_p85"] == 0.0 and np.isnan(decided_miss["inside_central_85"])
    past_interval = _release._scored_total(total, np.array([high + 0.1]), has_open=True)
    assert past_interval["inside_central_85"] == 0.0
    undecided = _release._scored_total(total, np.array([p85 - 0.1]), has_open=True)
    assert np.isnan(undecided["within_p85"]) and np.isnan(undecided["pit"])
    finished = _release._scored_total(total, np.array([40.0, 2.0]), has_open=False)
    assert finished["within_p85"] == 1.0 and finished["pit"] == 0.42
    assert finished["inside_central_85"] == 1.0


def test_coverage_carries_a_clopper_pearson_interval():
    verdicts = pd.Series([1.0] * 17 + [0.0] * 3 + [np.nan] * 2)
    row = _release._coverage("x", verdicts)
    k, n = 17, 20
    assert (row["hits"], row["decided"], row["undecided"]) == (17, 20, 2)
    assert row["ci_low"] == pytest.approx(stats.beta.ppf(0.025, k, n - k + 1), rel=1e-9)
    assert row["ci_high"] == pytest.approx(stats.beta.ppf(0.975, k + 1, n - k), rel=1e-9)


def test_the_backtest_is_calibrated_when_the_model_is_true():
    """Coverage of the 85th percentile over independent histories drawn
    from the model is within the binomial's 99% range around 85%.

    40 histories, one origin each (independent: origins of one history
    share its engineers' true effects and the errors of their estimates):
    the range is about 70%–97.5%, so a forecast whose "done by" figure is
    met only 2 times in 3 fails.
    """
    n_histories = 40
    hits = []
    for k in range(n_histories):
        table = simulate_tickets(300, 6, history_days=180, seed=1000 + k).tickets
        origin = table["started_at"].quantile(0.6).normalize()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CalibrationWarning)
            result = backtest_release(table, origins=[origin], draws=1000, seed=k)
        hits.append(result.origins["within_p85"].iloc[0])
    hits = np.array(hits)
    decided = hits[~np.isnan(hits)]
    assert len(decided) >= 36  # windows end 54 working days before the data ends
    low, high = stats.binom.ppf([0.005, 0.995], len(decided), 0.85)
    assert stats.binom.cdf(2 / 3 * len(decided), len(decided), 0.85) < 0.005
    assert low <= decided.sum() <= high, (decided.sum(), len(decided), low, high)


def test_the_sample_backtest_uses_sprint_boundaries_in_the_second_half(sample):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        result = backtest_release(sample)
    origins = result.origins
    # Up to 6: as many releases of 3 sprints as fit without overlapping.
    assert 2 <= len(origins) <= 6
    assert (origins["origin"].iloc[1:].to_numpy()
            >= origins["window_end"].iloc[:-1].to_numpy()).all()
    calendar = sample.calendar
    first = sample.tickets["started_at"].min().normalize()
    offsets = calendar.working_days_between(pd.Series([first] * len(origins)),
                                            origins["origin"])
    np.testing.assert_allclose(offsets % 10, 0, atol=1e-9)
    assert (origins["origin"] >= sample.tickets["started_at"].quantile(0.5)).all()
    spans = calendar.working_days_between(origins["origin"], origins["window_end"])
    np.testing.assert_allclose(spans, 30, atol=1e-9)
    assert (origins["window_end"] <= sample.as_of).all()
    coverage = result.coverage.set_index("interval")
    assert coverage["decided"].max() <= len(origins)
    text = str(result.summary())
    assert "85th percentile" in text and "central 85% interval" in text


def test_the_backtest_needs_origins_with_data():
    table = simulate_tickets(200, 4, history_days=100, seed=2).tickets
    early = table["started_at"].min() + pd.Timedelta(days=1)
    with pytest.warns(CalibrationWarning, match="skipped"), \
            pytest.raises(InputError, match="No release backtest origin"):
        backtest_release(table, origins=[early], draws=100)


def test_the_forecast_total_in_the_backtest_is_the_model_s(sample):
    """At an origin, the backtest's percentiles are those of the forecast of
    the window's tickets from the model fitted on the export at the origin."""
    origin = pd.Timestamp("2026-03-02")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        result = backtest_release(sample, origins=[origin], draws=3000, seed=1)
        fitted = Calibrator().fit(tickets_known_at(sample.tickets, origin,
                                                   sample.calendar)).result_
    release = result.tickets
    predicted = fitted.multipliers.predict(release["engineer"].to_numpy(object),
                                           release["area"].to_numpy(object),
                                           release["points"].to_numpy(float))
    # The mean total is the sum of the closed-form means, whatever the
    # correlations. Monte Carlo error: 5 standard errors of a 3000-draw mean,
    # the total's sd bounded by the sum of the tickets' sds (correlation 1).
    row = result.origins.iloc[0]
    sd_bound = np.sqrt(np.exp(predicted["log_sd"] ** 2) - 1) * predicted["mean_days"]
    assert row["mean_days"] == pytest.approx(predicted["mean_days"].sum(),
                                             abs=5 * sd_bound.sum() / np.sqrt(3000))
    assert row["p50_days"] < row["p85_days"] < row["p95_days"]
    assert row["n_tickets"] == len(release)

"""Rolling-origin backtest, scoring rules and drift."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import integrate, stats

from calibrate import CalibrationWarning, read_export
from calibrate.backtest import (
    MODELS,
    _normal_scores,
    _sample_scores,
    backtest,
    drift,
    tickets_known_at,
)
from calibrate.durations import WorkCalendar
from calibrate.synth import simulate_tickets

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def test_tickets_known_at_recensors_by_hand():
    tickets = simulate_tickets(50, 3, seed=1, history_days=30).tickets
    origin = pd.Timestamp("2026-06-10 12:00")  # a Wednesday
    known = tickets_known_at(tickets, origin, WorkCalendar())
    assert (known["started_at"] < origin).all()
    assert len(known) == int((tickets["started_at"] < origin).sum())
    open_at_origin = known[known["censored"]]
    row = open_at_origin.iloc[0]
    start = row["started_at"]
    # Working days from start to Wednesday 12:00, counted by hand: whole
    # weekdays between, plus the fractions of the first and the last day.
    days = pd.bdate_range(start.normalize(), origin.normalize(), inclusive="left")
    first_fraction = (start - start.normalize()) / pd.Timedelta(days=1)
    expected = len(days) - first_fraction + 0.5
    np.testing.assert_allclose(row["duration_days"], expected, rtol=1e-9)
    assert known.loc[~known["censored"], "finished_at"].le(origin).all()


def test_normal_crps_matches_its_integral_definition():
    # CRPS(F, y) = integral of (F(x) - 1{x >= y})^2 dx.
    mean, sd, actual = 0.3, 0.7, 1.1
    numeric = (integrate.quad(lambda x: stats.norm.cdf(x, mean, sd) ** 2, -20, actual)[0]
               + integrate.quad(lambda x: (1 - stats.norm.cdf(x, mean, sd)) ** 2, actual, 20)[0])
    scores = _normal_scores(np.array([actual]), np.array([mean]), np.array([sd]),
                            np.array([0.0]), cap=3.0)
    np.testing.assert_allclose(scores["crps"].iloc[0], numeric, rtol=1e-7)
    np.testing.assert_allclose(scores["log_score"].iloc[0], -stats.norm.logpdf(actual, mean, sd))


def test_ensemble_crps_matches_brute_force():
    rng = np.random.default_rng(0)
    sample = rng.normal(size=37)
    actual = 0.4
    brute = (np.mean(np.abs(sample - actual))
             - 0.5 * np.mean(np.abs(sample[:, None] - sample[None, :])))
    scores = _sample_scores(np.array([actual]), [sample], np.array([0.0]), cap=3.0)
    np.testing.assert_allclose(scores["crps"].iloc[0], brute, rtol=1e-12)
    np.testing.assert_allclose(scores["pit"].iloc[0], np.mean(sample < actual))


def test_backtest_on_the_sample_is_calibrated_and_beats_baselines():
    table = read_export(SAMPLE / "jira_changelog.json", config=SAMPLE / "calibrate.toml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        result = backtest(table)
    summary = result.summary()
    assert list(summary.index) == list(MODELS)
    assert abs(summary.loc["calibrate", "coverage_80"] - 0.80) <= 0.05, summary
    # Proper scores: calibrate beats every baseline on CRPS.
    assert summary["crps"].idxmin() == "calibrate", summary
    assert result.pit_histogram().sum().round(9).eq(1).all()
    assert (result.scores["n_scored"] > 0).all()


def test_drift_shows_a_ramp_up():
    # One engineer gets twice as fast in the second half of the history.
    simulation = simulate_tickets(3000, 12, seed=3, history_days=400, engineer_sd=0.1)
    tickets = simulation.tickets
    late = tickets["started_at"] > tickets["started_at"].median()
    ramping = (tickets["engineer"] == "engineer-00000") & late
    tickets.loc[ramping, "duration_days"] /= 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        result = drift(tickets, windows=2).multipliers
    series = result[result["engineer"] == "engineer-00000"].set_index("window")["median"]
    assert series.loc[2] < 0.7 * series.loc[1]

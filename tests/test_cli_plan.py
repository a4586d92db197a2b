"""`calibrate plan` and `calibrate forecast` end to end on tmp_path."""

import json
import warnings

import pandas as pd
import pytest
from click.testing import CliRunner

from calibrate import CalibrationWarning, load_multipliers
from calibrate.cli import cli
from calibrate.io.backlog import read_capacity, read_plan
from calibrate.plan import check_plan, forecast_release, suggest_assignment

PLAN = "data/sample/plan.csv"
CAPACITY = "data/sample/capacity.csv"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="calibrate")


@pytest.fixture(scope="module")
def sample_multipliers(tmp_path_factory):
    """The sample's multipliers file, written once by `calibrate fit`."""
    path = tmp_path_factory.mktemp("fit") / "multipliers.json"
    result = run("fit", "data/sample/jira_changelog.json", "--config",
                 "data/sample/calibrate.toml", "--out", path)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def api(sample_multipliers):
    """The same numbers from the API (an independent route to the CLI's files)."""
    multipliers = load_multipliers(sample_multipliers)
    plan, capacity = read_plan(PLAN), read_capacity(CAPACITY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        return {
            "check": check_plan(multipliers, plan, capacity, draws=2000, seed=3),
            "suggestion": suggest_assignment(multipliers, plan, capacity, draws=2000, seed=3),
            "forecast": forecast_release(multipliers, plan, capacity, start="2026-11-02",
                                         draws=2000, seed=3),
        }


def test_plan_writes_every_output_and_agrees_with_the_api(tmp_path, api, sample_multipliers):
    out = tmp_path / "plan"
    result = run("plan", PLAN, "--multipliers", sample_multipliers, "--capacity", CAPACITY,
                 "--draws", 2000, "--seed", 3, "--samples", 50, "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted([
        "comparison.csv", "engineers.csv", "focus_factors.csv", "plan.json",
        "probability_sample.csv", "reassignment.csv", "suggested_plan.csv", "tickets.csv"])
    headline = json.loads((out / "plan.json").read_text())
    assert headline["p_plan_fits"] == pytest.approx(api["check"].p_plan_fits, abs=1e-12)
    comparison = api["suggestion"].comparison.query("scope == 'team'").set_index("plan")
    for which in ("lead", "suggested"):
        assert headline[which]["p_plan_fits"] == pytest.approx(
            comparison.loc[which, "p_within_capacity"], abs=1e-12)
    assert headline["suggested"]["p_plan_fits"] >= headline["lead"]["p_plan_fits"]
    engineers = pd.read_csv(out / "engineers.csv")
    assert set(engineers["engineer"]) == set(api["check"].engineers["engineer"])
    tickets = pd.read_csv(out / "tickets.csv")
    assert list(tickets["ticket_id"]) == list(read_plan(PLAN)["ticket_id"])
    sample = pd.read_csv(out / "probability_sample.csv")
    assert len(sample) == 50 and set(read_plan(PLAN)["ticket_id"]) <= set(sample.columns)
    reassignment = pd.read_csv(out / "reassignment.csv")
    n_tickets, n_engineers = len(tickets), len(read_capacity(CAPACITY))
    assert len(reassignment) >= n_tickets * (n_engineers - 1)
    suggested = pd.read_csv(out / "suggested_plan.csv", keep_default_na=False)
    pinned = suggested[suggested["pinned"].astype(str).str.lower().isin(["true", "yes"])]
    assert (pinned["suggested_engineer"] == pinned["engineer"]).all()
    # The terminal shows both plans' chances.
    assert "Suggested assignment" in result.output and "Sprint plan check" in result.output


def test_plan_objective_is_an_option(tmp_path, sample_multipliers):
    result = run("plan", PLAN, "--multipliers", sample_multipliers, "--objective",
                 "expected-overrun-days", "--draws", 500, "--samples", 10, "--out",
                 tmp_path / "p")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "p" / "plan.json").read_text())["objective"] == (
        "expected_overrun_days")
    bad = run("plan", PLAN, "--multipliers", sample_multipliers, "--objective", "fastest",
              "--out", tmp_path / "q")
    assert bad.exit_code == 2 and "fastest" in bad.output


def test_a_bad_plan_lists_every_bad_row_and_exits_2(tmp_path, sample_multipliers):
    plan = tmp_path / "plan.csv"
    plan.write_text("ticket_id,area,points,engineer\nA-1,research,3,Priya Raman\n"
                    "A-1,research,x,Priya Raman\nA-3,research,,Zoë Müller\n", encoding="utf-8")
    result = run("plan", plan, "--multipliers", sample_multipliers, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "ticket id used more than once" in result.output
    assert "row 3" in result.output and "row 4" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_plan_without_required_columns_names_what_it_found(tmp_path, sample_multipliers):
    plan = tmp_path / "plan.csv"
    plan.write_text("key,size\nA-1,3\n", encoding="utf-8")
    result = run("plan", plan, "--multipliers", sample_multipliers, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "area" in result.output and "columns found: key, size" in result.output


def test_bad_capacity_and_options_exit_2_before_anything_is_written(tmp_path, sample_multipliers):
    capacity = tmp_path / "capacity.csv"
    capacity.write_text("engineer,capacity_days\nPriya Raman,-3\nZoë Müller,lots\n",
                        encoding="utf-8")
    result = run("plan", PLAN, "--multipliers", sample_multipliers, "--capacity", capacity,
                 "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "-3" in result.output and "lots" in result.output
    for option, value in (("--sprint-days", "0"), ("--draws", "5"), ("--seed", "-1")):
        bad = run("plan", PLAN, "--multipliers", sample_multipliers, option, value,
                  "--out", tmp_path / "out")
        assert bad.exit_code == 2 and option in bad.output
    assert not (tmp_path / "out").exists()


def test_forecast_writes_the_percentiles_of_the_api(tmp_path, api, sample_multipliers):
    out = tmp_path / "forecast.csv"
    result = run("forecast", PLAN, "--multipliers", sample_multipliers, "--capacity", CAPACITY,
                 "--start", "2026-11-02", "--draws", 2000, "--seed", 3, "--out", out)
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out)
    expected = api["forecast"].sprints
    assert list(written["percentile"]) == [50, 85, 95]
    assert written["sprints"].to_numpy() == pytest.approx(expected["sprints"].to_numpy(),
                                                           rel=1e-9)
    assert list(written["date"]) == [str(d) for d in expected["date"]]
    assert "85% chance of being done by" in result.output

"""The command line: ingest end to end, short errors, exit status 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from calibrate import __version__
from calibrate.cli import cli, excluded_path_for
from calibrate.io import read_canonical
from calibrate.tickets import validate_tickets

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = FIXTURES / "jira_cloud_small.csv"
CALIBRATE = Path(sys.executable).parent / "calibrate"


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="calibrate")


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"calibrate, version {__version__}"


def test_help_on_the_group_lists_every_command():
    result = run("--help")
    assert result.exit_code == 0
    for name in cli.commands:
        assert name in result.output
    assert run("-h").output == result.output


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_help_on_every_command(command):
    result = run(command, "--help")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: calibrate {command}")


def test_ingest_help_names_its_options():
    output = run("ingest", "--help").output
    for option in ("--out", "--format", "--config", "--as-of", "--verbose"):
        assert option in output


def test_ingest_end_to_end(tmp_path):
    out = tmp_path / "tickets.csv"
    result = run("ingest", SMALL, "--out", out)
    assert result.exit_code == 0, result.output
    excluded = tmp_path / "tickets.excluded.csv"
    assert out.exists() and excluded.exists()
    # Kept and excluded counts per reason (jira_cloud_small.csv has 10 rows: 3 kept).
    # Reading is announced on stderr (a progress bar on a terminal).
    assert result.stderr.splitlines()[0] == f"reading {SMALL}"
    lines = result.stdout.splitlines()
    assert lines[0] == f"{SMALL} read as jira_csv: 10 rows"
    assert lines[1].split()[:2] == ["kept", "3"]
    assert lines[2].split() == ["excluded", "7"]
    for reason in ("not finished work", "unassigned", "no points", "not started",
                   "duplicate ticket id", "unparseable date", "invalid points"):
        assert any(line.split() == [*reason.split(), "1"] for line in lines), reason
    assert lines[-1] == (f"wrote {out} (3 tickets) and {excluded} (7 excluded rows)")
    # The table written validates and holds what the summary says.
    table = read_canonical(out)
    validate_tickets(table.tickets)
    assert table.tickets["ticket_id"].tolist() == ["ML-1", "ML-2", "ML-6"]
    excluded_text = excluded.read_text(encoding="utf-8").splitlines()
    assert excluded_text[0].endswith(",reason,detail")
    assert len(excluded_text) == 8


def test_ingest_to_parquet(tmp_path):
    out = tmp_path / "tickets.parquet"
    result = run("ingest", SMALL, "--out", out)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "tickets.excluded.csv").exists()
    validate_tickets(read_canonical(out).tickets)


def test_excluded_path_for():
    assert excluded_path_for(Path("a/b/tickets.parquet")) == Path("a/b/tickets.excluded.csv")


def test_ingest_as_of(tmp_path):
    out = tmp_path / "tickets.csv"
    result = run("ingest", FIXTURES / "jira_shape1_bom.csv", "--out", out,
                 "--as-of", "2024-03-12 11:00")
    assert result.exit_code == 0, result.output
    assert "right-censored at 2024-03-12 11:00" in result.output
    tickets = read_canonical(out).tickets.set_index("ticket_id")
    # SH1-3 open since Mon 11 Mar 10:00: 14/24 + 11/24 at the as-of time.
    assert tickets.loc["SH1-3", "duration_days"] == pytest.approx(25 / 24, rel=0, abs=1e-9)
    assert "SH1-6" not in tickets.index  # created after the as-of time


def test_ingest_with_a_config(tmp_path):
    out = tmp_path / "tickets.csv"
    result = run("ingest", FIXTURES / "jira_shape4_labels.csv", "--out", out,
                 "--config", FIXTURES / "config_areas.toml")
    assert result.exit_code == 0, result.output
    assert "areas data, ml-engineering, quality, research" in result.output


@pytest.mark.parametrize("config", ["config_bad.toml", "does_not_exist.toml"])
def test_ingest_with_a_bad_config_exits_2(tmp_path, config):
    result = run("ingest", SMALL, "--out", tmp_path / "t.csv", "--config", FIXTURES / config)
    assert result.exit_code == 2
    assert config in result.output
    assert not (tmp_path / "t.csv").exists()


def test_format_forces_a_reader(tmp_path):
    out = tmp_path / "tickets.csv"
    assert run("ingest", SMALL, "--out", out, "--format", "jira_csv").exit_code == 0
    forced = run("ingest", SMALL, "--out", tmp_path / "again.csv", "--format", "canonical")
    assert forced.exit_code == 2
    assert "not a canonical ticket table" in forced.output
    unknown = run("ingest", SMALL, "--out", tmp_path / "x.csv", "--format", "excel")
    assert unknown.exit_code == 2
    assert "Unknown export format 'excel'" in unknown.output


def test_canonical_table_can_be_ingested_again(tmp_path):
    first = tmp_path / "tickets.csv"
    assert run("ingest", SMALL, "--out", first).exit_code == 0
    second = tmp_path / "again.csv"
    result = run("ingest", first, "--out", second)
    assert result.exit_code == 0, result.output
    assert "read as canonical" in result.output
    assert second.read_text(encoding="utf-8") == first.read_text(encoding="utf-8")


def test_missing_out_is_a_usage_error():
    result = run("ingest", SMALL)
    assert result.exit_code == 2
    assert "--out" in result.output


# ---------------------------------------------------------------- real processes


def calibrate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CALIBRATE), *map(str, args)], capture_output=True, text=True,
                          timeout=60, check=False)


def test_not_an_export_gives_a_short_message_and_exit_2(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Remember to buy milk.\n", encoding="utf-8")
    result = calibrate("ingest", path, "--out", tmp_path / "t.csv")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    # The reading line, then the error.
    assert result.stderr.startswith(f"reading {path}\ncalibrate: error: ")
    assert str(path) in result.stderr
    # One paragraph: no blank line, and short.
    lines = result.stderr.strip().splitlines()
    assert all(line.strip() for line in lines)
    assert len(lines) <= 12


def test_verbose_shows_the_traceback(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Remember to buy milk.\n", encoding="utf-8")
    result = calibrate("ingest", path, "--out", tmp_path / "t.csv", "--verbose")
    assert result.returncode != 0
    assert "Traceback" in result.stderr
    assert "InputError" in result.stderr


SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """`calibrate fit` on the bundled Jira history, once for the tests below."""
    out = tmp_path_factory.mktemp("fit") / "multipliers.json"
    result = run("fit", SAMPLE / "jira_changelog.json", "--config", SAMPLE / "calibrate.toml",
                 "--out", out)
    return result, out


def test_fit_end_to_end(fitted):
    result, out = fitted
    assert result.exit_code == 0, result.output
    assert out.exists() and out.with_suffix(".csv").exists()
    assert "Calibration summary" in result.output
    assert "Where the 3-point assumption breaks" in result.output
    from calibrate import load_multipliers

    loaded = load_multipliers(out)
    assert set(loaded.records["scope"]) == {"population", "engineer", "engineer_area",
                                              "engineer_new_area"}


def test_fit_on_every_bundled_sample(tmp_path):
    for name in ("jira_export.csv", "linear_export.csv"):
        result = run("fit", SAMPLE / name, "--config", SAMPLE / "calibrate.toml",
                     "--out", tmp_path / f"{name}.json")
        assert result.exit_code == 0, result.output


def test_predict_end_to_end(fitted, tmp_path):
    _, multipliers = fitted
    out = tmp_path / "predictions.csv"
    result = run("predict", FIXTURES / "backlog.csv", "--multipliers", multipliers,
                 "--out", out)
    assert result.exit_code == 0, result.output
    predictions = pd.read_csv(out, keep_default_na=False)
    backlog = pd.read_csv(FIXTURES / "backlog.csv", keep_default_na=False)
    assert len(predictions) == len(backlog)  # every row kept
    assert {"p10_days", "p50_days", "p80_days", "p90_days", "mean_days",
            "p_over_3_days"} <= set(predictions.columns)
    by_id = predictions.set_index("ticket_id")
    assert by_id.loc["ML-906", "problem"] == "no points"
    assert by_id.loc["ML-907", "problem"].startswith("invalid points")
    assert by_id.loc["ML-906", "p50_days"] == ""
    assert by_id.loc["ML-903", "basis"] == "unseen engineer"
    assert by_id.loc["ML-904", "basis"] == "engineer, unseen area"
    assert by_id.loc["ML-905", "basis"] == "unseen engineer"
    assert float(by_id.loc["ML-900", "p10_days"]) < float(by_id.loc["ML-900", "p90_days"])


def test_predict_with_a_broken_multipliers_file_exits_2(tmp_path):
    broken = tmp_path / "m.json"
    broken.write_text('{"schema_version": "1.0"}')
    result = run("predict", FIXTURES / "backlog.csv", "--multipliers", broken,
                 "--out", tmp_path / "p.csv")
    assert result.exit_code == 2
    assert "not a valid multipliers file" in result.output


def test_predict_on_a_backlog_without_points_exits_2(fitted, tmp_path):
    _, multipliers = fitted
    backlog = tmp_path / "backlog.csv"
    backlog.write_text("ticket_id,engineer,area\nX-1,Priya Raman,research\n")
    result = run("predict", backlog, "--multipliers", multipliers, "--out", tmp_path / "p.csv")
    assert result.exit_code == 2
    assert "points" in result.output


@pytest.mark.parametrize("name", ["jira_export.csv", "jira_changelog.json", "linear_export.csv"])
def test_ingest_every_bundled_sample(tmp_path, name):
    out = tmp_path / "tickets.csv"
    result = run("ingest", SAMPLE / name, "--config", SAMPLE / "calibrate.toml", "--out", out)
    assert result.exit_code == 0, result.output
    assert "kept" in result.output and "excluded" in result.output
    table = read_canonical(out)
    validate_tickets(table.tickets)
    excluded = len(pd.read_csv(excluded_path_for(out)))
    # Every row of the export is accounted for: 622 tickets in each sample.
    assert len(table.tickets) + excluded == 622


def test_same_input_gives_byte_identical_outputs(tmp_path):
    for run_number in (1, 2):
        out = tmp_path / str(run_number)
        assert run("ingest", SAMPLE / "linear_export.csv", "--config", SAMPLE / "calibrate.toml",
                   "--out", out / "tickets.csv").exit_code == 0
        assert run("fit", SAMPLE / "linear_export.csv", "--config", SAMPLE / "calibrate.toml",
                   "--out", out / "m.json").exit_code == 0
    for name in ("tickets.csv", "tickets.excluded.csv", "m.csv"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes()
    import json

    first, second = (json.loads((tmp_path / n / "m.json").read_text()) for n in ("1", "2"))
    first.pop("created_at"), second.pop("created_at")  # the one documented timestamp
    assert first == second


# -- lead time: the clock in every output, the lead-time cap -----------------------------------

@pytest.fixture(scope="module")
def lead_export(tmp_path_factory):
    """A canonical table whose durations are lead time (as a GitLab export gives)."""
    from calibrate.datasets import simulate_tickets
    from calibrate.io import write_tickets

    tickets = simulate_tickets(600, 6, intercept=3.0, noise_sd=1.2, seed=5).tickets.assign(
        clock="lead")
    return write_tickets(tickets, tmp_path_factory.mktemp("lead") / "tickets.csv")


def lead_backlog(folder: Path) -> Path:
    backlog = folder / "backlog.csv"
    backlog.write_text("ticket_id,engineer,area,points\nX-1,engineer-00000,research,3\n"
                       "X-2,somebody-new,research,5\nX-3,engineer-00001,research,\n")
    return backlog


def test_fit_and_predict_on_lead_time_carry_the_clock(lead_export, tmp_path):
    import json

    out = tmp_path / "m.json"
    result = run("fit", lead_export, "--out", out)
    assert result.exit_code == 0, result.output
    assert "Durations are lead time" in result.output
    assert "Lead time is not judged against the work cap of 3 days" in result.output
    assert "Where the 3-point assumption breaks" not in result.output
    document = json.loads(out.read_text())
    assert document["model"]["clock"] == "lead" and document["model"]["lead_cap_days"] is None
    assert set(pd.read_csv(out.with_suffix(".csv"))["clock"]) == {"lead"}

    predictions = tmp_path / "p.csv"
    result = run("predict", lead_backlog(tmp_path), "--multipliers", out, "--out", predictions)
    assert result.exit_code == 0, result.output
    assert "days are lead time (creation to done)" in result.output
    assert "no overrun probability: lead time is not judged against the work cap" in result.output
    table = pd.read_csv(predictions, keep_default_na=False).set_index("ticket_id")
    assert table.loc["X-1", "clock"] == "lead" and table.loc["X-2", "clock"] == "lead"
    assert not [c for c in table.columns if c.startswith("p_over")]

    # With a lead-time cap, the overrun probability is against it.
    result = run("predict", lead_backlog(tmp_path), "--multipliers", out, "--out", predictions,
                 "--lead-cap-days", "10")
    assert result.exit_code == 0, result.output
    capped = pd.read_csv(predictions, keep_default_na=False).set_index("ticket_id")
    assert "p_over_10_days" in capped.columns
    # Same as asking for a 10-day budget explicitly.
    run("predict", lead_backlog(tmp_path), "--multipliers", out, "--out", tmp_path / "b.csv",
        "--cap-days", "10")
    budget = pd.read_csv(tmp_path / "b.csv", keep_default_na=False).set_index("ticket_id")
    assert capped.loc["X-1", "p_over_10_days"] == budget.loc["X-1", "p_over_10_days"]


def test_cycle_time_predictions_carry_the_clock(fitted, tmp_path):
    _, multipliers = fitted
    out = tmp_path / "predictions.csv"
    result = run("predict", FIXTURES / "backlog.csv", "--multipliers", multipliers, "--out", out)
    assert result.exit_code == 0, result.output
    predictions = pd.read_csv(out, keep_default_na=False).set_index("ticket_id")
    assert predictions.loc["ML-900", "clock"] == "cycle"
    assert "p_over_3_days" in predictions.columns


def test_the_lead_cap_comes_from_the_option_or_the_config(lead_export, tmp_path):
    import json

    config = tmp_path / "calibrate.toml"
    config.write_text("[model]\nlead_cap_days = 12\n")
    out = tmp_path / "m.json"
    result = run("fit", lead_export, "--config", config, "--out", out)
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["model"]["lead_cap_days"] == 12
    assert "Verdicts are against the lead-time cap of 12 working days" in result.output
    assert "Where a 3-point ticket overruns the lead-time cap (12 working days" in result.output
    result = run("fit", lead_export, "--config", config, "--out", out, "--lead-cap-days", "8")
    assert json.loads(out.read_text())["model"]["lead_cap_days"] == 8
    config.write_text("[model]\nlead_cap_days = -1\n")
    result = run("fit", lead_export, "--config", config, "--out", out)
    assert result.exit_code == 2 and "model.lead_cap_days" in result.output
    assert run("fit", lead_export, "--out", out, "--lead-cap-days", "0").exit_code == 2

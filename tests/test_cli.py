"""The command line: ingest end to end, short errors, exit status 2."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
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
    assert "'excel' is not an export format" in unknown.output


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


def test_fit_of_a_large_team_prints_the_first_rows_and_keeps_every_one_in_the_files(tmp_path):
    from calibrate.cli import SUMMARY_ROWS
    from calibrate.datasets import simulate_tickets
    from calibrate.io import write_tickets

    engineers = SUMMARY_ROWS + 15
    tickets = simulate_tickets(40 * engineers, engineers, seed=11).tickets
    export = write_tickets(tickets, tmp_path / "tickets.csv")
    result = run("fit", export, "--out", tmp_path / "multipliers.json")
    assert result.exit_code == 0, result.output
    assert "... 15 more rows not shown" in result.output
    shown = [line for line in result.output.splitlines() if "engineer-" in line]
    assert len(shown) < 4 * SUMMARY_ROWS  # at most SUMMARY_ROWS per table, not every cell
    records = pd.read_csv(tmp_path / "multipliers.csv")
    assert records.loc[records["scope"] == "engineer", "engineer"].nunique() == engineers


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
            "p_over_budget"} <= set(predictions.columns)
    assert set(predictions["budget_days"]) == {"3.0", ""}  # none without a prediction
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
        out.mkdir()
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
    assert "p_over_budget" in capped.columns and capped.loc["X-1", "budget_days"] == "10.0"
    # Same as asking for a 10-day budget explicitly.
    run("predict", lead_backlog(tmp_path), "--multipliers", out, "--out", tmp_path / "b.csv",
        "--cap-days", "10")
    budget = pd.read_csv(tmp_path / "b.csv", keep_default_na=False).set_index("ticket_id")
    assert capped.loc["X-1", "p_over_budget"] == budget.loc["X-1", "p_over_budget"]


def test_cycle_time_predictions_carry_the_clock(fitted, tmp_path):
    _, multipliers = fitted
    out = tmp_path / "predictions.csv"
    result = run("predict", FIXTURES / "backlog.csv", "--multipliers", multipliers, "--out", out)
    assert result.exit_code == 0, result.output
    predictions = pd.read_csv(out, keep_default_na=False).set_index("ticket_id")
    assert predictions.loc["ML-900", "clock"] == "cycle"
    assert "p_over_budget" in predictions.columns
    assert predictions.loc["ML-900", "budget_days"] == "3.0"


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


# -- every option is checked before anything is read (issue #12 item 6, #17 items 5, 7) -------


@pytest.fixture
def nothing_is_read(monkeypatch):
    """Reading an export, a backlog or a multipliers file fails the test."""
    import calibrate.export
    import calibrate.io
    import calibrate.io.backlog

    def read(*args, **kwargs):
        raise AssertionError("an input was read before the options were checked")

    monkeypatch.setattr(calibrate.io, "read_export", read)
    monkeypatch.setattr(calibrate.io.backlog, "read_backlog", read)
    monkeypatch.setattr(calibrate.export, "load_multipliers", read)


def _with(command: str, tmp_path: Path, *options: str) -> list[str]:
    """A command line that is right but for ``options``."""
    multipliers = tmp_path / "m.json"
    multipliers.write_text("{}")
    base = {
        "ingest": [SMALL, "--out", tmp_path / "t.csv"],
        "fit": [SMALL, "--out", tmp_path / "m2.json"],
        "report": [SMALL, "--out", tmp_path / "report"],
        "predict": [FIXTURES / "backlog.csv", "--multipliers", multipliers,
                    "--out", tmp_path / "p.csv"],
    }[command]
    return [command, *map(str, base), *options]


_PROBABILITY = "a probability between 0 and 1, e.g. 0.8"
_BAD_OPTIONS = [
    # (commands, option, value, words the message must hold)
    (("fit", "report"), "--confidence", "80", [_PROBABILITY]),
    (("fit", "report"), "--confidence", "0", [_PROBABILITY]),
    (("fit", "report"), "--confidence", "1", [_PROBABILITY]),
    (("fit", "report"), "--confidence", "-0.5", [_PROBABILITY]),
    (("fit", "report"), "--confidence", "nan", [_PROBABILITY]),
    (("fit", "report"), "--confidence", "high", [_PROBABILITY]),
    (("fit", "report", "predict"), "--cap-days", "-1", ["working days", "> 0"]),
    (("fit", "report", "predict"), "--cap-days", "0", ["> 0"]),
    (("fit", "report", "predict"), "--cap-days", "-2", ["> 0"]),
    (("fit", "report", "predict"), "--cap-days", "nan", ["> 0"]),
    (("fit", "report", "predict"), "--cap-days", "inf", ["> 0"]),
    (("fit", "report", "predict"), "--lead-cap-days", "-1", ["> 0"]),
    (("fit", "report", "predict"), "--lead-cap-days", "nan", ["> 0"]),
    (("report",), "--min-tickets", "-1", [">= 0"]),
    (("report",), "--min-tickets", "2.5", ["whole number"]),
    (("report",), "--max-engineers", "0", [">= 1"]),
    (("report",), "--max-engineers", "-1", [">= 1"]),
    (("report",), "--pseudonym-key", "", ["empty"]),
    (("ingest", "fit", "report"), "--as-of", "9999-12-31", ["between"]),
    (("ingest", "fit", "report"), "--as-of", "0001-01-01", ["between"]),
    (("ingest", "fit", "report"), "--as-of", "nan", ["not a time"]),
    (("ingest", "fit", "report"), "--as-of", "", ["not a time"]),
    (("ingest", "fit", "report"), "--as-of", "next tuesday", ["not a time"]),
    (("ingest", "fit", "report"), "--format", "excel", ["jira_csv", "generic_csv"]),
    (("ingest", "fit", "report"), "--format", "jira-csv", ["did you mean 'jira_csv'"]),
]


@pytest.mark.parametrize(
    ("command", "option", "value", "words"),
    [pytest.param(command, option, value, words, id=f"{command} {option} {value!r}")
     for commands, option, value, words in _BAD_OPTIONS for command in commands],
)
def test_a_bad_option_exits_2_before_anything_is_read(nothing_is_read, tmp_path, command,
                                                      option, value, words):
    result = run(*_with(command, tmp_path, option, value))
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    error = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(error) == 1, result.stderr
    assert option in error[0] and repr(value) in error[0]
    for word in words:
        assert word in error[0]
    assert len(result.stderr.splitlines()) <= 4
    assert not list(tmp_path.glob("t*.csv")) and not (tmp_path / "report").exists()


@pytest.mark.parametrize("command", ["ingest", "fit", "report", "predict"])
def test_config_must_be_an_existing_small_file(nothing_is_read, tmp_path, command):
    missing = run(*_with(command, tmp_path, "--config", tmp_path / "nope.toml"))
    assert missing.exit_code == 2 and "nope.toml" in missing.stderr
    assert "does not exist" in missing.stderr
    folder = run(*_with(command, tmp_path, "--config", tmp_path))
    assert folder.exit_code == 2 and "is a directory" in folder.stderr
    huge = tmp_path / "huge.toml"
    with huge.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: takes no room on disk
    too_big = run(*_with(command, tmp_path, "--config", huge))
    assert too_big.exit_code == 2 and "huge.toml" in too_big.stderr
    assert "too large" in too_big.stderr


_OUT_SUFFIXES = {"ingest": ".xlsx", "fit": ".csv", "predict": ".json"}


@pytest.mark.parametrize("command", ["ingest", "fit", "report", "predict"])
def test_out_is_checked_before_anything_is_read(nothing_is_read, tmp_path, command):
    """A missing directory is an error (it was silently created), as are a
    directory for a file, a file for the report's directory, and a file type
    the command does not write (fit --out m.csv overwrote its JSON with the CSV)."""

    def run_with_out(out) -> tuple[int, str]:
        args = _with(command, tmp_path)
        args[args.index("--out") + 1] = str(out)
        result = run(*args)
        return result.exit_code, result.stderr

    args = _with(command, tmp_path)
    name = Path(args[args.index("--out") + 1]).name
    code, stderr = run_with_out(tmp_path / "missing" / "folder" / name)
    assert code == 2, stderr
    assert "--out" in stderr and str(tmp_path / "missing" / "folder") in stderr
    assert "does not exist" in stderr
    assert not (tmp_path / "missing").exists()
    if command == "report":
        code, stderr = run_with_out(SMALL)
        assert code == 2 and "--out" in stderr and "is a file" in stderr
    else:
        code, stderr = run_with_out(tmp_path)
        assert code == 2 and "--out" in stderr and "is a directory" in stderr
        wrong = tmp_path / f"out{_OUT_SUFFIXES[command]}"
        code, stderr = run_with_out(wrong)
        assert code == 2 and "--out" in stderr and "does not end in" in stderr


def test_predict_multipliers_must_exist(nothing_is_read, tmp_path):
    args = _with("predict", tmp_path)
    args[args.index("--multipliers") + 1] = str(tmp_path / "nope.json")
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "--multipliers" in result.stderr and "nope.json" in result.stderr


def test_format_names_are_the_readers():
    from calibrate.cli import FORMAT_NAMES
    from calibrate.io import FORMATS

    assert tuple(FORMATS) == FORMAT_NAMES


def test_bad_options_in_a_real_process_give_no_traceback(tmp_path):
    for args in (["fit", SMALL, "--out", tmp_path / "m.json", "--confidence", "80"],
                 ["ingest", SMALL, "--out", tmp_path / "t.csv", "--as-of", "9999-12-31"],
                 ["report", SMALL, "--out", tmp_path / "r", "--max-engineers", "0"]):
        result = calibrate(*args)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr and "reading" not in result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith("Error: Invalid value for")


# -- report --no-pdf (issue #12 item 5) --------------------------------------------------------


def test_report_no_pdf_writes_the_html_only(tmp_path):
    out = tmp_path / "report"
    result = run("report", SAMPLE / "linear_export.csv", "--config", SAMPLE / "calibrate.toml",
                 "--out", out, "--no-backtest", "--no-pdf")
    assert result.exit_code == 0, result.output
    assert (out / "report.html").exists()
    assert not (out / "report.pdf").exists()
    assert "report.pdf" not in result.stdout


# -- the README's synopsis and `make report` (issue #12 item 11) -------------------------------

ROOT = Path(__file__).resolve().parents[1]


def _synopsis() -> dict[str, str]:
    """The README's command-line synopsis: the text of each command's entry."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Command line", 1)[1].split("\n#", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    entries: dict[str, str] = {}
    name = None
    for line in block.splitlines():
        if line.startswith("calibrate "):
            name = line.split()[1]
            entries[name] = ""
        if name is not None:
            entries[name] += line + "\n"
    return entries


def test_readme_synopsis_lists_every_option_of_every_command():
    synopsis = _synopsis()
    assert set(cli.commands) <= set(synopsis)
    for name, command in cli.commands.items():
        for param in command.params:
            if isinstance(param, click.Option):
                option = max(param.opts, key=len)
                assert re.search(rf"{re.escape(option)}\b(?!-)", synopsis[name]), \
                    f"README synopsis of `calibrate {name}` lacks {option}"
            else:
                assert param.human_readable_name.upper() in synopsis[name]


def test_make_report_writes_into_an_ignored_folder():
    """`make report` must not rewrite the committed sample report."""
    dry_run = subprocess.run(["make", "-n", "-C", str(ROOT), "report"], capture_output=True,
                             text=True, check=True).stdout
    line = next(line for line in dry_run.splitlines() if "calibrate report" in line)
    out = line.split("--out", 1)[1].split()[0]
    assert not out.rstrip("/").endswith("reports/sample")
    ignored = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q",
                              f"{out.rstrip('/')}/report.html"], check=False)
    assert ignored.returncode == 0, f"{out} is not ignored by git"
    deliberate = subprocess.run(["make", "-n", "-C", str(ROOT), "sample-report"],
                                capture_output=True, text=True, check=True).stdout
    assert "--out reports/sample" in deliberate


# -- predict for planners: the backlog's own columns, notes, rounding, sizes ----------------


def test_predict_passes_the_backlog_through_with_notes_and_rounded_numbers(fitted, tmp_path):
    import json

    import numpy as np

    from calibrate import load_multipliers

    _, multipliers = fitted
    backlog = tmp_path / "backlog.csv"
    backlog.write_text(
        "sprint,ticket_id,title,engineer,area,points,owner notes\n"
        "S1,X-1,\"Fine, as usual\",Priya Raman,research,3,keep me\n"
        "S1,X-2,Misspelt,Priya Ramen,research,5,\n"
        "S2,X-3,Typo in the area,Priya Raman,reserch,2,=1+1\n"
        "S2,X-4,Nobody yet,,research,1,\n"
        "S3,X-5,Huge,Daniel Okafor,research,21,\n"
        "S3,X-6,Shirt size,Daniel Okafor,research,M,\n"
        "S3,X-7,Odd size,Daniel Okafor,research,XXL,\n", encoding="utf-8")
    config = tmp_path / "calibrate.toml"
    config.write_text("[points]\nscale = { S = 2, M = 3, L = 5 }\n")
    out = tmp_path / "predictions.csv"
    result = run("predict", backlog, "--multipliers", multipliers, "--out", out,
                 "--config", config)
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    given = pd.read_csv(backlog, dtype=str, keep_default_na=False)
    # The backlog's own columns come back unchanged, in order, the predictions after.
    assert written.columns.tolist() == [
        *given.columns, "source_row", "problem", "note", "basis", "points_used", "p10_days",
        "p50_days", "p80_days", "p90_days", "mean_days", "budget_days", "p_over_budget",
        "clock"]
    own = written[given.columns.tolist()]
    own.loc[own["owner notes"] == "'=1+1", "owner notes"] = "=1+1"  # (formulas neutralised)
    pd.testing.assert_frame_equal(own, given)
    by_id = written.set_index("ticket_id")
    assert by_id["note"].to_dict() == {
        "X-1": "", "X-2": "engineer not in the history (closest: 'Priya Raman')",
        "X-3": "area not in the history (closest: 'research')",
        "X-4": "no engineer (unassigned)",
        "X-5": "points 21 beyond the history's largest (8): the prediction extrapolates",
        "X-6": "", "X-7": ""}
    assert by_id.loc["X-7", "problem"] == (
        "invalid points: 'XXL' is not a number >= 0 or a size of the points scale (s, m, l)")
    assert by_id.loc["X-7", "p50_days"] == "" and by_id.loc["X-6", "points_used"] == "3.0"
    # stderr sums the notes and the rows without a prediction up.
    assert ("notes (see the note column): 1 row: no engineer (unassigned); 1 row: engineer "
            "not in the history; 1 row: area not in the history; 1 row: points beyond the "
            "history's largest") in result.stderr
    assert "no prediction (see the problem column): 1 row: invalid points" in result.stderr
    # Rounded for people: days to 0.1 (2 significant digits below a day),
    # probabilities to 0.001; the same numbers as the API's full precision.
    api = load_multipliers(multipliers).predict(
        ["Priya Raman", "Priya Ramen", "Priya Raman", "", "Daniel Okafor", "Daniel Okafor"],
        ["research", "research", "reserch", "research", "research", "research"],
        [3, 5, 2, 1, 21, 3]).set_index(pd.Index(["X-1", "X-2", "X-3", "X-4", "X-5", "X-6"]))
    for ticket, row in api.iterrows():
        for column in ("p10_days", "p50_days", "p80_days", "p90_days", "mean_days"):
            text = by_id.loc[ticket, column]
            digits = len(text.split(".")[1]) if "." in text else 0
            value = row[column]
            if value >= 1:
                assert digits <= 1
                np.testing.assert_allclose(float(text), value, atol=0.05 + 1e-12)
            else:
                assert float(text) == float(f"{value:.2g}")
        text = by_id.loc[ticket, "p_over_budget"]
        assert len(text.split(".")[1]) <= 3
        np.testing.assert_allclose(float(text), row["p_over_budget"], atol=0.0005 + 1e-12)
    assert json.loads(multipliers.read_text())["model"]["points_range"] == [1.0, 8.0]


def test_predict_reads_sizes_with_the_files_points_scale(fitted, tmp_path):
    from calibrate import load_multipliers, write_multipliers

    _, multipliers = fitted
    sized, _ = write_multipliers(load_multipliers(multipliers).with_points_scale({"M": 3}),
                                 tmp_path / "sized.json")
    backlog = tmp_path / "backlog.csv"
    backlog.write_text("ticket_id,engineer,area,points\nX-1,Priya Raman,research,m\n"
                       "X-2,Priya Raman,research,3\n")
    out = tmp_path / "p.csv"
    result = run("predict", backlog, "--multipliers", sized, "--out", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, keep_default_na=False)
    assert table["points_used"].tolist() == [3.0, 3.0]
    assert table["p50_days"].iloc[0] == table["p50_days"].iloc[1]
    # A config whose M means other points than the history's is refused.
    config = tmp_path / "calibrate.toml"
    config.write_text("[points]\nscale = { M = 5 }\n")
    result = run("predict", backlog, "--multipliers", sized, "--out", out, "--config", config)
    assert result.exit_code == 2 and "'m' means 5 points here but 3" in result.output


def test_predict_says_when_the_file_cannot_check_points(fitted, tmp_path):
    import json

    _, multipliers = fitted
    document = json.loads(multipliers.read_text())
    document["schema_version"] = "2.0"
    del document["model"]["points_range"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(document))
    result = run("predict", FIXTURES / "backlog.csv", "--multipliers", old,
                 "--out", tmp_path / "p.csv")
    assert result.exit_code == 0, result.output
    assert "(schema 2.0) does not record the points range" in result.stderr


def test_fit_records_the_configs_sizes_so_predict_reads_them_from_the_file(tmp_path):
    # A history read with a config's t-shirt scale: the multipliers file
    # carries the scale, so a planner predicts "M" without the config.
    import json

    multipliers = tmp_path / "m.json"
    result = run("fit", SAMPLE / "jira_changelog.json", "--config",
                 FIXTURES / "config_points_scale.toml", "--out", multipliers)
    assert result.exit_code == 0, result.output
    assert json.loads(multipliers.read_text())["model"]["points_scale"] == {
        "s": 1.0, "m": 3.0, "l": 5.0}
    backlog = tmp_path / "backlog.csv"
    backlog.write_text("ticket_id,engineer,area,points\nX-1,Priya Raman,general,M\n"
                       "X-2,Priya Raman,general,3\n", encoding="utf-8")
    out = tmp_path / "p.csv"
    result = run("predict", backlog, "--multipliers", multipliers, "--out", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, keep_default_na=False)
    assert table["points_used"].tolist() == [3.0, 3.0]
    assert table["p50_days"].iloc[0] == table["p50_days"].iloc[1]

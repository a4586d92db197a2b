"""The benchmark suite (``python -m benchmarks``): it runs, in a tiny ``--quick``
mode, and writes its report; the README's Performance block is generated. The
evaluation on real histories (``benchmarks/real_data.py``) is tested on generated
histories only.

Measurement, not tests: nothing here asserts a time.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
README_BEFORE = "# A project\n\nText the benchmark must leave alone.\n\n## Last section\n\nEnd.\n"


def _report_module():
    """benchmarks/report.py (plain functions of the results; no package imports)."""
    spec = importlib.util.spec_from_file_location("_benchmarks_report",
                                                  ROOT / "benchmarks" / "report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


report = _report_module()


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("benchmarks")
    readme = out / "README.md"
    readme.write_text(README_BEFORE, encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out),
         "--readme", str(readme)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return out, readme


def test_quick_run_writes_the_report_with_its_tables_and_plots(quick_run):
    out, _ = quick_run
    text = (out / "benchmarks.md").read_text(encoding="utf-8")
    for header in report.MARKDOWN_HEADERS:
        assert header + "\n" in text
    for columns in (
        "| target | threshold | measured | verdict |",
        "| path | sums | fit | multipliers | total | peak RSS |",
        "| fit | median wall time | min–max | vs without profiles |",
        "| tickets | engineers | finished | calibrate fit | calibrate engine | "
        "MixedLM (build + fit) | speed-up |",
        "| stage | wall time |",
        "| tickets | calibrate, same model as MixedLM | calibrate default | MixedLM |",
        "| multiplier | method | RMSE (log) |",
        "| model | tickets scored | coverage 50% | coverage 80% | coverage 90% | CRPS |",
        "| open tickets | elasticity bias | intercept bias |",
    ):
        assert columns in text
    assert "Quick mode" in text
    # The real-data section: in quick mode the bundled sample only, never real data.
    real_data = _real_data_module()
    assert text.count(real_data.START_MARKER) == 1 and real_data.SECTION_TITLE in text
    assert "Real histories: not evaluated" in text
    for name in ("scaling_rows.png", "scaling_engineers.png", "accuracy_by_tickets.png"):
        assert (out / "benchmarks" / name).stat().st_size > 0
        assert f"(benchmarks/{name})" in text
    results = report.load_results(out / "benchmarks" / "results.json")
    assert results["meta"]["quick"] is True
    # Both fits ran on the same data and agree (the comparison is what is reported).
    (entry,) = results["speed"]
    assert entry["mixedlm_status"] == "ok" and entry["calibrate_status"] == "ok"
    assert entry["max_diff_fixed"] < 1e-3 and entry["max_diff_variance"] < 1e-3
    models = [row["model"] for row in results["accuracy"]["backtest"]["summary"]]
    assert models == ["calibrate", "team only", "1 point = 1 day", "EBS ratios"]
    assert {t["status"] for t in report.targets(results)} <= {"met", "missed", "not measured"}


def test_quick_run_has_a_row_for_every_target_and_measures_none_it_did_not_run(quick_run):
    out, readme = quick_run
    text = (out / "benchmarks.md").read_text(encoding="utf-8")
    results = report.load_results(out / "benchmarks" / "results.json")
    rows = report.issue_16_targets(results)
    assert {row["key"] for row in rows} == ISSUE_16_KEYS
    # One reader row per CSV format measured, plus the end-to-end export's.
    (entry,) = results["speed"]
    assert sum(row["key"] == "readers" for row in rows) == len(entry["readers"]) + 1
    table = text.split("## Targets (issue #16)\n")[1].split("\n## ")[0]
    for row in rows:
        assert f"| {row['name']} | {row['target']} | {row['measured']} | **{row['verdict']}** |" \
            in table
    # Quick sizes are below every sized target: none of those rows quotes a number.
    for row in rows:
        if row["key"] not in ("readers",):
            assert row["status"] == "not measured" and row["verdict"] == report.NOT_MEASURED
    # The streamed / SQL fits and the skills case are rendered, with the machine and load.
    for header in ("## Beyond memory: streamed and SQL fits\n",
                   "### Skill profiles (issue #15)\n"):
        section = text.split(header)[1].split("\n## ")[0]
        assert "Machine: " in section and "load average" in section
    assert set(results["meta"]["section_load_average"]) == set(results["meta"]["sections"]) - {
        "real_data"}
    block = report.readme_block_in(readme)
    assert block.count(report.NOT_MEASURED) >= len(ISSUE_16_KEYS) - 1


def test_render_only_rewrites_the_same_report_from_the_stored_results(quick_run, tmp_path):
    out, readme = quick_run
    copy = tmp_path / "out"
    (copy / "benchmarks").mkdir(parents=True)
    (copy / "benchmarks" / "results.json").write_bytes(
        (out / "benchmarks" / "results.json").read_bytes())
    markdown = (out / "benchmarks.md").read_text(encoding="utf-8")
    # A stale report with the last real-data section: the section is kept.
    real_data = _real_data_module()
    section = real_data.block_in(markdown)
    (copy / "benchmarks.md").write_text("# Stale\n\n" + section + "\n", encoding="utf-8")
    readme_copy = tmp_path / "README.md"
    readme_copy.write_text(README_BEFORE, encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--render-only", "--out", str(copy),
         "--readme", str(readme_copy)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert (copy / "benchmarks.md").read_text(encoding="utf-8") == markdown
    assert readme_copy.read_text(encoding="utf-8") == readme.read_text(encoding="utf-8")


# -- verdicts, from hand-made results -----------------------------------------
ISSUE_16_KEYS = {"readers", "cli", "report_path_time", "report_path_memory", "json_time",
                 "json_memory", "stream_fit", "sql_fit", "skills", "sample_report",
                 "sample_report_pdf"}


@pytest.mark.parametrize(("value", "limit", "comparison", "unit", "expected"), [
    # Strictly below: exactly at the limit misses, by nothing.
    (10.0, 10.0, "<", "s", ("missed", "missed: exactly at the limit")),
    (9.99, 10.0, "<", "s", ("met", "met")),
    (10.5, 10.0, "<", "s", ("missed", "missed by 0.50 s")),
    (41.1, 10.0, "<", "s", ("missed", "missed by 31.1 s")),
    (10.05, 10.0, "<", "s", ("missed", "missed by 50 ms")),
    (1536.0, 1536.0, "<", "MB", ("missed", "missed: exactly at the limit")),
    (1600.0, 1536.0, "<", "MB", ("missed", "missed by 64 MB")),
    (3584.0, 2048.0, "<", "MB", ("missed", "missed by 1.50 GB")),
    # At most: exactly at the limit meets; over it misses by the factor.
    (2.0, 2.0, "≤", "×", ("met", "met")),
    (2.5, 2.0, "≤", "×", ("missed", "missed by 1.25×")),
    (50.0, 2.0, "≤", "×", ("missed", "missed by 25.0×")),
    # At least: exactly at the limit meets; under it misses by limit / value.
    (10.0, 10.0, "≥", "×", ("met", "met")),
    (8.0, 10.0, "≥", "×", ("missed", "missed by 1.25×")),
    (12.5, 10.0, "≥", "×", ("met", "met")),
])
def test_judge_at_the_boundaries(value, limit, comparison, unit, expected):
    assert report.judge(value, limit, comparison, unit) == expected


@settings(max_examples=200, deadline=None)
@given(value=st.floats(0.01, 1e4), limit=st.floats(0.01, 1e4),
       comparison=st.sampled_from(["<", "≤", "≥"]), unit=st.sampled_from(["×", "s", "MB"]))
def test_judge_meets_exactly_when_the_comparison_holds(value, limit, comparison, unit):
    status, verdict = report.judge(value, limit, comparison, unit)
    holds = {"<": value < limit, "≤": value <= limit, "≥": value >= limit}[comparison]
    assert status == ("met" if holds else "missed")
    assert verdict == "met" if holds else verdict.startswith("missed")


def _meta(**changes) -> dict:
    machine = {"cpu": "Test CPU", "cores": 2, "memory_gb": 8.0, "os": "Linux", "python": "3.11",
               "versions": {"numpy": "2", "statsmodels": "0.15"}, "blas": "openblas",
               "environment": {}, "commit": "abc1234"}
    return {"date": "2026-01-01", "quick": False, "sections": ["startup"], "complete": True,
            "total_s": 899.0, "machine": machine, "memory_method": "peak RSS",
            "load_average": [0.2, 0.4], "command": "python -m benchmarks", **changes}


def _reader(ratio: float) -> dict:
    return {"status": "ok", "ratio": ratio, "read_s": ratio * 0.1, "floor_s": 0.1}


def _full_results() -> dict:
    """Every issue #16 measurement at its target's size, each at or just past a limit."""
    return {
        "speed": [{
            "rows": 100_000, "engineers": 1_000,
            "readers": {"jira_csv": _reader(2.0), "linear_csv": _reader(2.5),
                        "gitlab_csv": {"status": "timeout", "error": "stopped after 600 s"}},
            "cli_fit": {"status": "ok", "median_s": 1.0}, "cli_ratio": 10.0,
            "mixedlm": {"total_s": 10.0},
        }],
        "end_to_end": {"rows": 1_000_000, "engineers": 5_000, "status": "ok", "stages": [],
                       "report": "done", "report_path_s": 10.0, "peak_mb": 1535.0,
                       "limit_s": 150.0, "warm_read": _reader(2.2)},
        "json_readers": {"issues": 200_000, "formats": {"jira_json": {
            "read_export": {"status": "ok", "seconds": 14.9, "peak_mb": 700.0},
            "json_load": {"status": "ok", "seconds": 9.0, "peak_mb": 700.0}}}},
        "streaming": {"tickets": 10_000_000, "engineers": 50_000, "paths": {
            "stream": {"status": "ok", "seconds": 100.0, "sums_s": 40.0, "fit_s": 60.0,
                       "peak_mb": 2047.0},
            "sql": {"status": "ok", "seconds": 90.0, "sums_s": 30.0, "fit_s": 60.0,
                    "peak_mb": 2100.0}}},
        "scaling": {"skills": {"rows": 1_000_000, "engineers": 1_000, "status": "ok",
                               "plain": {"median_s": 1.0}, "ratio_levels": 1.5,
                               "ratio_levels_and_ramp_up": 2.0}},
        "startup": {"sample report without the PDF": {"status": "ok", "median_s": 5.0,
                                                      "runs": 3},
                    "sample report with the PDF": {"status": "ok", "median_s": 5.4,
                                                   "runs": 3}},
        "meta": _meta(),
    }


def test_targets_from_hand_made_results_say_met_or_missed_by_how_much():
    rows = report.issue_16_targets(_full_results())
    assert {row["key"] for row in rows} == ISSUE_16_KEYS
    verdicts = {row["name"]: row["verdict"] for row in rows}
    # Hand-computed: 2.5 / 2 = 1.25; 2.2 / 2 = 1.10; 2100 - 2048 = 52 MB.
    assert verdicts == {
        "`read_export` of jira_csv, 100,000 tickets": "met",
        "`read_export` of linear_csv, 100,000 tickets": "missed by 1.25×",
        "`read_export` of gitlab_csv, 100,000 tickets": "missed: timeout",
        "`read_export` of jira_csv, 1,000,000 tickets (the end-to-end export)":
            "missed by 1.10×",
        "`calibrate fit` CLI on 100,000 Linear tickets vs statsmodels MixedLM from memory":
            "met",
        "1M-row Jira CSV: read + fit + report (no backtest)": "missed: exactly at the limit",
        "1M-row Jira CSV: peak memory of read + fit + report": "met",
        "Jira JSON with changelogs, 200,000 issues: `read_export`": "met",
        "Jira JSON with changelogs, 200,000 issues: peak memory":
            "missed: exactly at the limit",
        "10M tickets fitted from a Parquet folder, streamed (`calibrate fit DIR`)": "met",
        "10M tickets fitted by the SQL path, DuckDB (`calibrate fit --sql`)": "missed by 52 MB",
        "fit of 1M tickets with skill profiles vs without (issue #15)": "met",
        "`calibrate report` on the bundled sample, `--no-pdf` (issue #12)":
            "missed: exactly at the limit",
        "`calibrate report` on the bundled sample, with the PDF": "met",
    }
    assert all(row["status"] == ("met" if row["verdict"] == "met" else "missed")
               for row in rows)
    # Measured rows quote their measurement: the streamed fit's time and memory.
    stream = next(row for row in rows if row["key"] == "stream_fit")
    assert stream["value"] == "2.00 GB, 100.0 s"


def test_targets_just_past_each_limit_miss_by_the_margin():
    results = _full_results()
    results["end_to_end"]["report_path_s"] = 12.5
    results["end_to_end"]["peak_mb"] = 1636.0
    results["speed"][0]["cli_ratio"] = 8.0
    results["scaling"]["skills"]["ratio_levels_and_ramp_up"] = 2.2
    results["startup"]["sample report with the PDF"]["median_s"] = 11.0
    verdicts = {row["key"]: row["verdict"] for row in report.issue_16_targets(results)}
    # Hand-computed: 12.5 - 10; 1636 - 1536; 10 / 8; 2.2 / 2; 11 - 5.5.
    assert verdicts["report_path_time"] == "missed by 2.50 s"
    assert verdicts["report_path_memory"] == "missed by 100 MB"
    assert verdicts["cli"] == "missed by 1.25×"
    assert verdicts["skills"] == "missed by 1.10×"
    assert verdicts["sample_report_pdf"] == "missed by 5.50 s"


def test_an_unfinished_run_misses_by_at_least_what_it_took():
    results = _full_results()
    e2e = results["end_to_end"]
    e2e.update(status="failed", report="not reached", report_path_s=None, peak_mb=1700.0,
               stages=[{"name": "start-up", "seconds": 2.0},
                       {"name": "read", "seconds": 9.0},
                       {"name": "fit", "seconds": 1.0},
                       {"name": "write", "seconds": 0.5}])
    rows = {row["key"]: row for row in report.issue_16_targets(results)}
    # Start-up + read alone are 11 s of the path: at least 1 s over; the peak so far
    # is at least 1700 - 1536 = 164 MB over.
    assert rows["report_path_time"]["verdict"] == "missed by at least 1.00 s"
    assert rows["report_path_memory"]["verdict"] == "missed by at least 164 MB"
    e2e.update(status="timeout", stages=[{"name": "start-up", "seconds": 2.0}])
    rows = {row["key"]: row for row in report.issue_16_targets(results)}
    assert rows["report_path_time"]["verdict"] == "missed: not finished within the 150 s limit"
    e2e.update(status="failed", peak_mb=900.0)
    rows = {row["key"]: row for row in report.issue_16_targets(results)}
    assert rows["report_path_time"]["status"] == "not measured"
    assert rows["report_path_memory"]["status"] == "not measured"


@pytest.mark.parametrize("missing", ["speed", "end_to_end", "json_readers", "streaming",
                                     "scaling", "startup"])
def test_a_section_not_run_renders_not_measured_and_no_number(missing):
    results = _full_results()
    del results[missing]
    rows = report.issue_16_targets(results)
    assert {row["key"] for row in rows} == ISSUE_16_KEYS   # every target keeps its row
    gone = {"speed": {"cli"}, "end_to_end": {"report_path_time", "report_path_memory"},
            "json_readers": {"json_time", "json_memory"}, "streaming": {"stream_fit", "sql_fit"},
            "scaling": {"skills"}, "startup": {"sample_report", "sample_report_pdf"}}[missing]
    for row in rows:
        if row["key"] in gone:
            assert row["status"] == "not measured"
            assert row["verdict"] == row["measured"] == report.NOT_MEASURED
            assert row["value"] == "–"
    markdown = "\n".join(report.targets_markdown(results))
    for row in rows:
        assert f"| {row['name']} | {row['target']} | {row['measured']} | **{row['verdict']}** |" \
            in markdown


def test_nothing_measured_renders_every_target_as_not_measured():
    results = {"meta": _meta(sections=[], complete=False)}
    rows = report.targets(results)
    assert {row["key"] for row in report.issue_16_targets(results)} == ISSUE_16_KEYS
    assert {row["status"] for row in rows} == {"not measured"}
    block = report.readme_block(results)
    assert block.count(f"**{report.NOT_MEASURED}**") == len(rows)
    markdown = report.markdown(results, {})
    assert "## Beyond memory: streamed and SQL fits\n\nNot run." in markdown


def test_smaller_sizes_than_the_targets_are_not_measured():
    results = _full_results()
    results["end_to_end"]["rows"] = 3_000
    results["json_readers"]["issues"] = 2_000
    results["streaming"]["tickets"] = 20_000
    results["scaling"]["skills"]["rows"] = 4_000
    results["speed"][0]["rows"] = 3_000
    # The sample report has no size; the readers are judged at every size measured.
    rows = {row["key"]: row for row in report.issue_16_targets(results)
            if row["key"] not in ("readers", "sample_report", "sample_report_pdf")}
    assert len(rows) == len(ISSUE_16_KEYS) - 3
    assert all(row["status"] == "not measured" for row in rows.values())
    assert rows["stream_fit"]["measured"] == f"{report.NOT_MEASURED} (this run: 20,000 tickets)"


def test_readme_block_gives_the_readers_one_row_with_the_worst():
    results = _full_results()
    block = report.readme_block(results)
    assert block.count("`read_export` of") == 1
    # The timed-out reader is the worst; 2 of the 4 reader rows missed.
    assert ("| `read_export` of each CSV format vs pyarrow's parse of it | ≤ 2× pyarrow's parse "
            "of the file | worst timeout (gitlab_csv, 100,000 tickets) | **missed: timeout "
            "(3 of 4 missed)** |") in block
    for row in report.issue_16_targets(results):
        if row["key"] != "readers":
            assert f"| {row['name']} | {row['target']} | {row['value']} | **{row['verdict']}** |" \
                in block


def test_quick_run_writes_only_the_readme_block_it_generates(quick_run):
    out, readme = quick_run
    text = readme.read_text(encoding="utf-8")
    results = report.load_results(out / "benchmarks" / "results.json")
    block = report.readme_block(results)
    assert text == README_BEFORE.rstrip("\n") + "\n\n## Performance\n\n" + block + "\n"
    assert report.readme_block_in(readme) == block
    # Updating again replaces the block in place, touching nothing else.
    report.update_readme(readme, block)
    assert readme.read_text(encoding="utf-8") == text


def test_readme_performance_block_is_generated_from_the_committed_results():
    results = report.load_results(ROOT / "reports" / "benchmarks" / "results.json")
    assert not results["meta"]["quick"]
    assert report.readme_block_in(ROOT / "README.md") == report.readme_block(results)
    markdown = (ROOT / "reports" / "benchmarks.md").read_text(encoding="utf-8")
    for header in report.MARKDOWN_HEADERS:
        assert header + "\n" in markdown
    assert json.dumps(results)  # plain JSON


# -- the evaluation on real histories (benchmarks/real_data.py) ---------------
# Tested on generated histories only: the real exports never enter the test suite.
def _real_data_module():
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from benchmarks import real_data

    return real_data


@pytest.fixture(scope="module")
def generated_history():
    from calibrate.datasets import simulate_tickets

    return simulate_tickets(900, 12, seed=5, history_days=250.0).tickets


def test_real_data_evaluate_gives_one_row_per_model(generated_history):
    real_data = _real_data_module()
    table = real_data.evaluate(generated_history)
    _, test, _ = real_data.split_out_of_time(generated_history)
    assert list(table["model"]) == list(real_data.MODELS)
    assert list(table.columns) == ["model", "n", "n_censored", "coverage_50", "coverage_80",
                                   "coverage_90", "crps", "log_score"]
    assert (table["n"] == len(test)).all()
    assert (table["n_censored"] == int(test["censored"].sum())).all()
    assert test["censored"].any() and (~test["censored"]).any()  # both kinds are scored
    coverage = table[["coverage_50", "coverage_80", "coverage_90"]].to_numpy()
    assert ((coverage >= 0) & (coverage <= 1)).all()
    assert (coverage[:, 0] <= coverage[:, 1]).all() and (coverage[:, 1] <= coverage[:, 2]).all()
    assert (table["crps"] > 0).all()
    no_density = table["model"].isin(["EBS ratios", "1 point = 1 day"])
    assert table.loc[no_density, "log_score"].isna().all()
    assert table.loc[~no_density, "log_score"].notna().all()


def test_real_data_split_is_an_export_at_the_cut(generated_history):
    real_data = _real_data_module()
    train, test, cut = real_data.split_out_of_time(generated_history, train_share=0.7)
    finished = generated_history["finished_at"].dropna()
    assert cut == finished.quantile(0.7)
    # Nothing known after the cut: no finish after it, no start after it.
    assert (train["finished_at"].dropna() <= cut).all()
    assert (train["started_at"] < cut).all()
    # Test: every ticket not finished by the cut, and only those.
    done = generated_history["finished_at"].notna() & (generated_history["finished_at"] <= cut)
    assert set(test["ticket_id"]) == set(generated_history.loc[~done, "ticket_id"])
    assert (~train["censored"]).sum() == done.sum()


def test_real_data_mixedlm_baseline_matches_statsmodels_and_a_hand_blup(generated_history):
    """The baseline's prediction for a known engineer equals statsmodels' fit of the
    same model with the BLUP and its conditional variance computed here by hand
    (rtol 1e-6)."""
    real_data = _real_data_module()
    train, _, _ = real_data.split_out_of_time(generated_history)
    finished = train[~train["censored"]].reset_index(drop=True)
    fit = real_data.fit_mixedlm(finished)
    assert fit.converged and not fit.shared_slope

    data = pd.DataFrame({
        "y": np.log(finished["duration_days"].to_numpy(float)),
        "c": np.log(np.maximum(finished["points"].to_numpy(float), 0.5) / 3),
        "area": finished["area"].astype(str).to_numpy(object),
        "engineer": finished["engineer"].astype(str).to_numpy(object),
    })
    result = smf.mixedlm("y ~ 0 + C(area) + C(area):c", data, groups="engineer").fit(
        reml=True, method=[fit.method])
    assert result.converged
    tau2, sigma2 = float(result.cov_re.iloc[0, 0]), float(result.scale)
    fixed = np.asarray(result.model.exog) @ np.asarray(result.fe_params)
    engineer = data["engineer"].value_counts().index[0]   # the busiest: a known engineer
    mine = (data["engineer"] == engineer).to_numpy()
    n = mine.sum()
    blup = tau2 * (data["y"].to_numpy()[mine] - fixed[mine]).sum() / (sigma2 + n * tau2)
    blup_var = tau2 * sigma2 / (sigma2 + n * tau2)
    area = sorted(data["area"].unique())[0]
    points = np.array([1.0, 3.0, 8.0])
    c = np.log(points / 3)
    fe = result.fe_params
    expected_mean = fe[f"C(area)[{area}]"] + fe[f"C(area)[{area}]:c"] * c + blup
    expected_sd = np.sqrt(sigma2 + blup_var)

    prediction = fit.predict([engineer] * 3, [area] * 3, points)
    np.testing.assert_allclose(prediction["log_mean"], expected_mean, rtol=1e-6)
    np.testing.assert_allclose(prediction["log_sd"], expected_sd, rtol=1e-6)
    # An engineer it has never seen: no BLUP, the random-intercept variance.
    unseen = fit.predict(["nobody"], [area], [3.0])
    np.testing.assert_allclose(unseen["log_mean"], fe[f"C(area)[{area}]"], rtol=1e-6)
    np.testing.assert_allclose(unseen["log_sd"], np.sqrt(sigma2 + tau2), rtol=1e-6)


def test_real_data_one_point_one_day_interval_by_hand():

    real_data = _real_data_module()
    train = pd.DataFrame({"duration_days": [1.0, 2.0, 4.0, 3.0, 0.5, 6.0, 1.5],
                          "points": [1.0, 1.0, 2.0, 3.0, 1.0, 2.0, 0.0],
                          "censored": [False] * 7})
    rule = real_data.one_point_one_day(train, [2.0, 5.0, 0.0])
    # By hand: |log(actual / points)|, 0 points counted as 0.5.
    ratio = np.abs(np.log(np.array([1.0, 2.0, 4.0, 3.0, 0.5, 6.0, 1.5])
                          / np.array([1.0, 1.0, 2.0, 3.0, 1.0, 2.0, 0.5])))
    center = np.log([2.0, 5.0, 0.5])
    for level in (0.5, 0.8, 0.9):
        half = np.quantile(ratio, level, method="inverted_cdf")
        np.testing.assert_allclose(rule["lower"][level], center - half, rtol=1e-12)
        np.testing.assert_allclose(rule["upper"][level], center + half, rtol=1e-12)
    # 80%: the sorted |r| are 0, 0, log 2, log 2, log 2, log 3, log 3; the 0.8
    # quantile (inverse distribution function) is the ceil(7 x 0.8) = 6th, log 3.
    np.testing.assert_allclose(rule["half_width"][0.8], np.log(3.0), rtol=1e-12)
    # The draws are symmetric around the median "1 point = 1 day".
    np.testing.assert_allclose(np.sort(rule["offsets"]), -np.sort(rule["offsets"])[::-1])


def test_real_data_one_point_one_day_coverage_is_that_interval(generated_history):

    real_data = _real_data_module()
    scores, _ = real_data.score_tickets(generated_history)
    train, test, _ = real_data.split_out_of_time(generated_history)
    rule = real_data.one_point_one_day(train, test["points"].to_numpy(float))
    mine = scores[scores["model"] == "1 point = 1 day"].reset_index(drop=True)
    actual = np.log(test["duration_days"].to_numpy(float))
    finished = ~test["censored"].to_numpy(bool)
    for level in (0.5, 0.8, 0.9):
        hit = (rule["lower"][level] <= actual) & (actual <= rule["upper"][level])
        np.testing.assert_array_equal(mine[f"inside_{int(level * 100)}"][finished],
                                      hit[finished].astype(float))


def test_real_data_kaplan_meier_by_hand():

    real_data = _real_data_module()
    values, mass = real_data.kaplan_meier([0.1, 0.2, 0.3, 0.4], [False, True, False, False])
    # 0.1 takes 1/4; 0.2 is open: its share goes to the 3 - 1 = 2 values above it.
    np.testing.assert_allclose(values, [0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(mass, [0.25, 0.0, 0.375, 0.375])


def test_real_data_report_writes_only_its_blocks(tmp_path, generated_history):
    real_data = _real_data_module()
    # A run without real histories (as in CI): the sample only, and it says so.
    results = real_data.run(real_dir=tmp_path / "absent")
    assert results["main"]["missing"].startswith("no real histories found")
    assert len(results["main"]["pooled"]) == 0
    readme = tmp_path / "README.md"
    before = ("# P\n\n### Trust checks\n\nText.\n\n## For planners: the file\n\nEnd.\n")
    readme.write_text(before, encoding="utf-8")
    benchmarks_md = tmp_path / "benchmarks.md"
    benchmarks_md.write_text("# Benchmarks\n\n## Targets\n\nx\n", encoding="utf-8")
    real_data.write_outputs(results, tmp_path, readme)
    # Nothing measured on real histories: the README keeps its last quote.
    assert readme.read_text(encoding="utf-8") == before
    text = real_data.replace_block(before, real_data.readme_block(results),
                                   insert_before="## For planners",
                                   heading=real_data.README_TITLE)
    readme.write_text(text, encoding="utf-8")
    block = real_data.readme_block(results)
    assert "Not measured in this run" in block
    assert text == before.replace("## For planners",
                                  real_data.README_TITLE + "\n\n" + block + "\n\n## For planners")
    assert real_data.replace_block(text, block) == text   # again: replaced in place
    markdown = benchmarks_md.read_text(encoding="utf-8")
    assert markdown.startswith("# Benchmarks\n\n## Targets\n\nx\n")
    assert markdown.count(real_data.START_MARKER) == 1
    assert "Real histories: not evaluated" in markdown
    assert "bundled sample (synthetic)" in (tmp_path / "real_data.md").read_text(
        encoding="utf-8")


def test_real_data_goal_is_judged_from_the_table():

    real_data = _real_data_module()
    pooled = pd.DataFrame({
        "model": list(real_data.MODELS), "n": 100, "n_censored": 0,
        "coverage_50": [0.47, 0.5, 0.5, 0.5, 0.5], "coverage_80": [0.83, 0.8, 0.8, 0.8, 0.8],
        "coverage_90": [0.9, 0.9, 0.9, 0.9, 0.9], "crps": [1.0, 1.1, 0.99, 1.2, 1.5],
        "log_score": [2.0, 2.1, 2.2, float("nan"), float("nan")]})
    judged = real_data.goal(pooled)
    assert judged["crps_beaten_by"] == ["MixedLM engineer intercept"]
    assert judged["coverage_met"] and not judged["met"]
    pooled.loc[2, "crps"] = 1.01
    assert real_data.goal(pooled)["met"]
    pooled.loc[0, "coverage_90"] = 0.85
    assert not real_data.goal(pooled)["coverage_met"]


def test_committed_real_data_tables_agree():
    """The README's real-data block quotes the run that wrote reports/real_data.md
    (when that run read the real histories; a clone without them keeps the quote)."""
    real_data = _real_data_module()
    readme = real_data.block_in((ROOT / "README.md").read_text(encoding="utf-8"))
    section = real_data.block_in((ROOT / "reports" / "real_data.md").read_text(encoding="utf-8"))
    in_benchmarks = real_data.block_in(
        (ROOT / "reports" / "benchmarks.md").read_text(encoding="utf-8"))
    assert readme and section and section == in_benchmarks
    rows = [line for line in readme.splitlines() if line.startswith("| ")]
    if "### Pooled over" in section:   # the last run read the real histories
        assert rows and all(line in section.splitlines() for line in rows)

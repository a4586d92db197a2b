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
        "| target | threshold | measured | status |",
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

"""The benchmark suite (``python -m benchmarks``): it runs, in a tiny ``--quick``
mode, and writes its report; the README's Performance block is generated.

Measurement, not tests: nothing here asserts a time.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

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

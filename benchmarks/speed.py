"""Speed and memory: calibrate vs statsmodels MixedLM, and the end-to-end run.

Every size gets one generated table (fixed seed), written to Parquet; both
calibrate and MixedLM read that same file in their own fresh process.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks._measure import run_worker
from benchmarks.data import speed_table, write_jira_export

SEED = 20240601


def table_file(directory: Path, rows: int, engineers: int, seed: int = SEED) -> Path:
    """The generated table of that size, as Parquet (written once per run)."""
    path = directory / f"tickets_{rows}_{engineers}_{seed}.parquet"
    if not path.exists():
        speed_table(rows, engineers, seed).to_parquet(path)
    return path


def compare(ours: dict, theirs: dict) -> dict:
    """Largest differences between calibrate's and MixedLM's estimates."""
    fixed = np.max(np.abs(np.subtract(ours["fixed_effects"], theirs["fixed_effects"])))
    variances = max(abs(ours[k] - theirs[k]) for k in ("engineer_var", "cell_var", "noise_var"))
    return {"max_diff_fixed": float(fixed), "max_diff_variance": float(variances)}


def run_speed(sizes: list[dict], work: Path, *, mixedlm_timeout: float,
              log) -> list[dict]:
    rows_out = []
    for size in sizes:
        rows, engineers = size["rows"], size["engineers"]
        log(f"speed: generating {rows:,} tickets / {engineers:,} engineers")
        data = table_file(work, rows, engineers)
        log(f"speed: calibrate fits at {rows:,} rows")
        ours = run_worker("calibrate", {"data": str(data), "configs": ["same_model", "default"],
                                        "repeats": size["repeats"]}, timeout=900)
        entry = {"rows": rows, "engineers": engineers, "calibrate_status": ours.status,
                 "calibrate_error": ours.error}
        entry.update(ours.result)
        log(f"speed: statsmodels MixedLM at {rows:,} rows (limit {mixedlm_timeout:.0f} s)")
        theirs = run_worker("mixedlm", {"data": str(data), "method": "lbfgs"},
                            timeout=mixedlm_timeout)
        entry["mixedlm_status"] = theirs.status
        entry["mixedlm_limit_s"] = mixedlm_timeout
        entry["mixedlm_error"] = theirs.error
        if theirs.status == "ok":
            entry["mixedlm"] = theirs.result
            if ours.status == "ok":
                same = ours.result["same_model"]
                entry["ratio"] = theirs.result["total_s"] / same["median_s"]
                entry["ratio_fit_only"] = theirs.result["fit_s"] / same["median_s"]
                entry["ratio_engine"] = theirs.result["total_s"] / same["engine_median_s"]
                entry.update(compare(same, theirs.result))
        rows_out.append(entry)
    return rows_out


def run_end_to_end(rows: int, engineers: int, work: Path, *, timeout: float, report: bool,
                   log) -> dict:
    log(f"end to end: writing a {rows:,}-row Jira CSV export (set-up, not measured)")
    csv, config, _ = write_jira_export(rows, engineers, work / "e2e")
    out = work / "e2e" / "out"
    out.mkdir(parents=True, exist_ok=True)
    log("end to end: read, fit, write, report")
    run = run_worker("end_to_end", {"csv": str(csv), "config": str(config), "out": str(out),
                                    "report": report}, timeout=timeout)
    result = {
        "rows": rows, "engineers": engineers, "file_mb": csv.stat().st_size / 1e6,
        "status": run.status, "error": run.error, "stages": _finished_stages(run),
        "report": run.result.get("report", "not reached" if run.status != "ok" else ""),
        "peak_mb": run.result.get("peak_mb", max(
            (s["peak_mb"] for s in run.stages if s.get("peak_mb") is not None), default=None)),
        "limit_s": timeout,
    }
    plain = [s for s in result["stages"] if not s.get("report")]
    in_report = [s for s in result["stages"] if s.get("report")]
    start_and_read = sum(s["seconds"] for s in plain[:2]) if len(plain) >= 2 else None
    # `calibrate fit EXPORT`: start-up, read, fit, write the multipliers file.
    result["fit_path_s"] = sum(s["seconds"] for s in plain) if len(plain) == 4 else None
    # `calibrate report EXPORT --no-backtest`: start-up, read, then the report
    # (which fits and writes every file itself).
    done = run.status == "ok" and result["report"].startswith("done")
    result["report_path_s"] = (start_and_read + sum(s["seconds"] for s in in_report)
                               if done and start_and_read is not None else None)
    return result


def _finished_stages(run) -> list[dict]:
    """Completed stages, and the one running when the run stopped (if any)."""
    stages = []
    for stage in run.stages:
        if stage.get("started"):
            stages.append({**stage, "seconds": None,
                           "note": ("did not finish: the run was stopped at its time limit"
                                    if run.status == "timeout" else f"failed: {run.error}"),
                           "unfinished": True})
        elif stages and stages[-1].get("unfinished") and stages[-1]["name"] == stage["name"]:
            stages[-1] = stage
        else:
            stages.append(stage)
    return stages

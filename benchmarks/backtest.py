"""The report's trust checks at scale: the rolling-origin backtest and the drift view.

``calibrate report`` runs :func:`calibrate.backtest.backtest` (four origins,
two refits each, four models scored on every ticket started after the first
origin) and :func:`calibrate.backtest.drift` after the fit. This measures
both on the end-to-end benchmark's generated table (the same size and seed
as its Jira export, read here from Parquet: reading is measured there), in a
fresh process: wall time of each, the peak resident memory during them (the
table itself included, as a user's machine must hold it), and the progress
lines they print, with the time each arrived (the longest silence is
reported: a user should never wait minutes without news).

Run alone: ``python -m benchmarks.backtest [ROWS ENGINEERS]`` prints the
result as JSON (the worker protocol of :mod:`benchmarks._measure`).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._measure import RESULT_PREFIX, STAGE_PREFIX, Run, run_module
from benchmarks.speed import table_file

#: The seed of :func:`benchmarks.data.write_jira_export`: the end-to-end table.
END_TO_END_SEED = 11


def run_backtest(rows: int, engineers: int, work: Path, *, timeout: float, log) -> dict:
    """Measure backtest + drift on a generated table in a fresh process.

    Returns
    -------
    dict
        ``rows``, ``engineers``, ``status`` (``ok``, ``timeout``, ``failed``),
        ``error``, ``backtest_s``, ``drift_s``, ``total_s`` (both),
        ``peak_mb`` (during both), ``rss_before_mb`` (the table loaded),
        ``progress`` (each line with ``at_s``, seconds since the backtest
        started), ``longest_silence_s`` and ``limit_s``.
    """
    log(f"backtest: generating {rows:,} tickets / {engineers:,} engineers")
    data = table_file(work, rows, engineers, seed=END_TO_END_SEED)
    log(f"backtest: backtest and drift at {rows:,} rows (limit {timeout:.0f} s)")
    run = _run(data, timeout=timeout)
    progress = [stage for stage in run.stages if "at_s" in stage]
    result = {"rows": rows, "engineers": engineers, "status": run.status, "error": run.error,
              "limit_s": timeout, "progress": progress}
    result.update(run.result)
    ends = [0.0] + [p["at_s"] for p in progress] + (
        [result["total_s"]] if run.status == "ok" else [])
    result["longest_silence_s"] = max(
        (b - a for a, b in zip(ends[:-1], ends[1:], strict=True)), default=None)
    return result


def _run(data: Path, *, timeout: float) -> Run:
    """``python -m benchmarks.backtest --worker DATA`` with a time limit."""
    return run_module(["benchmarks.backtest", "--worker", str(data)], timeout=timeout)


def _worker(data: str) -> dict:
    """In the fresh process: load the table, then time backtest and drift."""
    import gc
    import warnings

    import pandas as pd

    from benchmarks._measure import peak_mb, reset_peak, rss_mb
    from calibrate import Calibrator
    from calibrate.backtest import backtest, drift
    from calibrate.datasets import simulate_tickets

    def emit(prefix: str, payload: dict) -> None:
        print(prefix + json.dumps(payload), flush=True)

    table = pd.read_parquet(data)
    with warnings.catch_warnings():
        # Imports and first calls on a small table first: they are not the backtest's.
        warnings.simplefilter("ignore")
        backtest(simulate_tickets(2000, 20, seed=0).tickets, n_origins=1)
    gc.collect()
    before = rss_mb()
    reset = reset_peak()
    started = time.perf_counter()

    def progress(message: str) -> None:
        emit(STAGE_PREFIX, {"name": message, "at_s": time.perf_counter() - started,
                            "rss_mb": rss_mb()})

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = backtest(table, calibrator=Calibrator(), progress=progress)
        backtest_s = time.perf_counter() - started
        progress("drift view")
        drift(table, calibrator=Calibrator(), progress=progress)
    total = time.perf_counter() - started
    summary = result.scores_by_model()
    return {"backtest_s": backtest_s, "drift_s": total - backtest_s, "total_s": total,
            "peak_mb": peak_mb(), "rss_before_mb": before, "peak_reset": reset,
            "tickets": len(table), "scored": int(summary["n_scored"].iloc[0]),
            "coverage_80": {m: float(v) for m, v in summary["coverage_80"].items()},
            "crps": {m: float(v) for m, v in summary["crps"].items()}}


def main(argv: list[str]) -> int:
    if argv[:1] == ["--worker"]:
        print(RESULT_PREFIX + json.dumps(_worker(argv[1])), flush=True)
        return 0
    rows, engineers = (int(argv[0]), int(argv[1])) if len(argv) >= 2 else (1_000_000, 5_000)
    with tempfile.TemporaryDirectory(prefix="calibrate-bench-") as work:
        result = run_backtest(rows, engineers, Path(work), timeout=900.0,
                              log=lambda message: print(message, file=sys.stderr, flush=True))
    print(json.dumps(result, indent=2))
    return 0 if result["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

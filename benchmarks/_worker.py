"""One measurement, in its own process: ``python -m benchmarks._worker TASK ARGS_JSON``.

Tasks
-----
``calibrate``
    Fit calibrate to a ticket table (Parquet), after a warm-up fit, several
    times: wall time of each fit and the peak RSS during the first.
``mixedlm``
    Build and fit statsmodels' MixedLM (the same model, finished tickets)
    once, after a small warm-up fit: wall time and peak RSS.
``end_to_end``
    Read a Jira CSV export, fit, write the multipliers file and the report,
    printing the time of each stage as it ends.
``scaling``
    calibrate's fit time on a series of tables (times only).

The result is printed as one ``RESULT:{json}`` line.
"""

from __future__ import annotations

import time

_PROCESS_START = time.perf_counter()

import gc  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

from benchmarks._measure import (  # noqa: E402
    RESULT_PREFIX,
    STAGE_PREFIX,
    peak_mb,
    reset_peak,
    rss_mb,
)

#: The fits measured: the model statsmodels can also fit (one noise sd, no
#: censoring, finished tickets), and calibrate's default on every ticket.
CONFIGS = {
    "same_model": {"noise": "shared", "finished_only": True},
    "default": {"noise": "area", "finished_only": False},
}


def _emit(prefix: str, payload: dict) -> None:
    print(prefix + json.dumps(payload), flush=True)


def _load(path: str, finished_only: bool):
    import pandas as pd

    table = pd.read_parquet(path)
    if finished_only:
        table = table[~table["censored"]].reset_index(drop=True)
    return table


def _warm_up(noise: str) -> None:
    """One small fit first: imports and first-call costs are not the fit's."""
    from calibrate import Calibrator
    from calibrate.datasets import simulate_tickets

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Calibrator(noise=noise, half_life_days=None).fit(
            simulate_tickets(2000, 20, seed=0).tickets)


def _timed_fit(table, noise: str):
    from calibrate import Calibrator

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        started = time.perf_counter()
        # Unweighted: the same model as MixedLM's (no recency weights there).
        calibrator = Calibrator(noise=noise, half_life_days=None).fit(table)
        seconds = time.perf_counter() - started
    return seconds, calibrator, [str(w.message) for w in caught]


def task_calibrate(args: dict) -> dict:
    from calibrate.model import fit_design, prepare_design

    out = {}
    for name in args["configs"]:
        config = CONFIGS[name]
        table = _load(args["data"], config["finished_only"])
        _warm_up(config["noise"])
        gc.collect()
        before = rss_mb()
        reset = reset_peak()
        seconds, calibrator, messages = _timed_fit(table, config["noise"])
        peak = peak_mb()
        times = [seconds]
        for _ in range(args["repeats"] - 1):
            del calibrator
            gc.collect()
            seconds, calibrator, _ = _timed_fit(table, config["noise"])
            times.append(seconds)
        # The engine alone: model arrays and the REML fit (with the censoring
        # EM), without validating the table or building the result tables.
        engine = []
        for _ in range(args["repeats"]):
            started = time.perf_counter()
            design = prepare_design(table, slopes=calibrator.result_.multipliers.model["slopes"])
            shared = [0] * len(design.areas)
            fit_design(design, noise_group=None if config["noise"] == "area" else shared)
            engine.append(time.perf_counter() - started)
        # Diagnostic: the same fit with the BLAS limited to one thread.
        from threadpoolctl import threadpool_info, threadpool_limits

        blas_threads = max((pool["num_threads"] for pool in threadpool_info()
                            if pool["user_api"] == "blas"), default=None)
        one_thread = []
        with threadpool_limits(limits=1, user_api="blas"):
            for _ in range(args["repeats"]):
                del calibrator
                gc.collect()
                seconds, calibrator, _ = _timed_fit(table, config["noise"])
                one_thread.append(seconds)
        result = calibrator.result_
        components = result.variance_components
        noise_sd = list(components["noise_sd"].values())
        out[name] = {
            "tickets": len(table),
            "open": int(table["censored"].sum()),
            "seconds": times,
            "median_s": statistics.median(times),
            "engine_seconds": engine,
            "engine_median_s": statistics.median(engine),
            "blas_threads": blas_threads,
            "one_thread_seconds": one_thread,
            "one_thread_median_s": statistics.median(one_thread),
            "rss_before_mb": before,
            "peak_mb": peak,
            "peak_reset": reset,
            "converged": bool(calibrator.converged_),
            "em_iterations": int(calibrator.em_iterations_),
            "warnings": messages,
            "fixed_effects": result.fixed_effects["estimate"].tolist(),
            "fixed_names": result.fixed_effects["name"].tolist(),
            "engineer_var": components["engineer_sd"] ** 2,
            "cell_var": components["engineer_area_sd"] ** 2,
            "noise_var": noise_sd[0] ** 2,
        }
        del calibrator, result, table
        gc.collect()
    return out


def _mixedlm_data(table):
    from benchmarks.data import mixedlm_frame

    return mixedlm_frame(table)


def _mixedlm_fit(data, method: str):
    import statsmodels.formula.api as smf

    started = time.perf_counter()
    model = smf.mixedlm("y ~ 0 + C(area) + C(area):c", data, groups="engineer",
                        re_formula="1", vc_formula={"cell": "0 + C(cell)"})
    built = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = model.fit(reml=True, method=[method])
    fitted = time.perf_counter()
    return result, built - started, fitted - built, [str(w.message) for w in caught]


def task_mixedlm(args: dict) -> dict:
    table = _load(args["data"], finished_only=True)
    data = _mixedlm_data(table)
    del table
    _mixedlm_fit(data.iloc[:1500], args["method"])  # warm-up
    gc.collect()
    before = rss_mb()
    reset = reset_peak()
    result, build, fit, messages = _mixedlm_fit(data, args["method"])
    peak = peak_mb()
    return {
        "tickets": len(data),
        "method": args["method"],
        "build_s": build,
        "fit_s": fit,
        "total_s": build + fit,
        "rss_before_mb": before,
        "peak_mb": peak,
        "peak_reset": reset,
        "converged": bool(result.converged),
        "warnings": sorted(set(messages))[:5],
        "fixed_effects": [float(v) for v in result.fe_params.to_numpy()],
        "fixed_names": [str(v) for v in result.fe_params.index],
        "engineer_var": float(result.cov_re.iloc[0, 0]),
        "cell_var": float(result.vcomp[0]),
        "noise_var": float(result.scale),
        "llf": float(result.llf),
    }


def task_end_to_end(args: dict) -> dict:
    out = Path(args["out"])
    clock = {"last": _PROCESS_START}

    def stage(name: str, note: str = "") -> None:
        now = time.perf_counter()
        _emit(STAGE_PREFIX, {"name": name, "seconds": now - clock["last"], "note": note,
                             "peak_mb": peak_mb()})
        clock["last"] = now

    import calibrate
    from calibrate import Calibrator, read_export, write_multipliers

    stage("start-up (interpreter and imports)")
    table = read_export(args["csv"], config=args["config"])
    stage("read the CSV export (read_export)",
          f"{table.rows_read:,} rows read, {len(table.tickets):,} kept")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calibrator = Calibrator().fit(table)
    stage("fit (Calibrator().fit)",
          f"{calibrator.n_tickets_:,} tickets, {calibrator.n_censored_:,} open, "
          f"{len(calibrator.engineers_):,} engineers")
    write_multipliers(calibrator.result_.multipliers, out / "multipliers.json")
    stage("write multipliers.json and .csv")
    report = _render_report()
    if report is None:
        stage_result = "not yet available"
    elif not args.get("report", True):
        stage_result = "skipped (quick mode)"
    else:
        # What `calibrate report EXPORT --no-backtest` does after reading;
        # render_report fits again itself, and announces its stages. Each is
        # printed as it starts and ends, so a run stopped by the time limit
        # still shows where the time went.
        current = {"name": None, "start": 0.0}

        def progress(message: str | None) -> None:
            now = time.perf_counter()
            if current["name"] is not None:
                _emit(STAGE_PREFIX, {"name": current["name"], "seconds": now - current["start"],
                                     "note": "", "peak_mb": peak_mb(), "report": True})
            if message is not None:
                current.update(name=f"report: {message}", start=now)
                _emit(STAGE_PREFIX, {"name": current["name"], "started": True, "report": True})

        del calibrator
        gc.collect()
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report(table, out / "report", with_backtest=False, progress=progress)
        progress(None)
        clock["last"] = time.perf_counter()
        stage_result = f"done in {clock['last'] - started:.1f} s"
    return {"report": stage_result, "peak_mb": peak_mb(),
            "calibrate_version": calibrate.__version__}


def _render_report():
    """``calibrate.report.render_report`` if that module exists yet, else None."""
    try:
        from calibrate.report import render_report
    except ImportError:
        return None
    return render_report


def task_scaling(args: dict) -> dict:
    points = []
    warmed = set()
    for item in args["tables"]:
        row = dict(item)
        for name in args["configs"]:
            config = CONFIGS[name]
            if config["noise"] not in warmed:
                _warm_up(config["noise"])
                warmed.add(config["noise"])
            table = _load(item["data"], config["finished_only"])
            times = []
            repeats = args["repeats"] if item["rows"] < 500_000 else args["repeats_large"]
            for _ in range(repeats):
                gc.collect()
                seconds, calibrator, _ = _timed_fit(table, config["noise"])
                times.append(seconds)
                del calibrator
            row[name] = {"tickets": len(table), "seconds": times,
                         "median_s": statistics.median(times)}
        points.append(row)
    return {"points": points}


TASKS = {
    "calibrate": task_calibrate,
    "mixedlm": task_mixedlm,
    "end_to_end": task_end_to_end,
    "scaling": task_scaling,
}


def main() -> None:
    task, args = sys.argv[1], json.loads(sys.argv[2])
    _emit(RESULT_PREFIX, TASKS[task](args))


if __name__ == "__main__":
    main()

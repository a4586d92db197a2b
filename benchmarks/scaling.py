"""Scaling: fit time against rows (engineers fixed) and against engineers (rows
fixed); and the cost of declared skill levels and a ramp-up on the largest table.

The skills case (``python -m benchmarks.scaling skills ARGS_JSON``, in a fresh
process) generates one table whose engineers declare levels with real effects
and have start dates (a ramp-up), and times the fit of the same tickets
without profiles (today's fit, unchanged), with the declared levels, and with
levels and the ramp-up (its scale fitted), each the median of runs after a
warm-up.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from benchmarks._measure import RESULT_PREFIX, run_module, run_worker
from benchmarks.speed import SEED, table_file

#: The skills case's generator: declared levels with these effects (log
#: days), and a ramp-up (log slowdown, scale in weeks).
SKILL_LEVEL_EFFECTS = {"basic": 0.0, "proficient": -0.2, "strong": -0.5}
SKILL_RAMP_UP = (0.7, 8.0)


def slope(x: list[float], y: list[float]) -> float | None:
    """Least-squares slope of log(y) on log(x) (1 = linear)."""
    pairs = [(a, b) for a, b in zip(x, y, strict=True) if a and b]
    if len(pairs) < 2:
        return None
    logs = np.log(np.array(pairs, dtype=float))
    return float(np.polyfit(logs[:, 0], logs[:, 1], 1)[0])


def affine(x: list[float], y: list[float]) -> dict | None:
    """Least-squares time = a + b * size, with R^2 (a cost linear in size fits well)."""
    if len(x) < 3:
        return None
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    b, a = np.polyfit(x, y, 1)
    residual = y - (a + b * x)
    r2 = 1 - float(residual @ residual) / float(((y - y.mean()) ** 2).sum())
    return {"intercept_s": float(a), "per_unit_s": float(b), "r2": r2}


def run_scaling(plan: dict, work: Path, *, log) -> dict:
    series = {
        "rows": [{"rows": rows, "engineers": plan["fixed_engineers"]}
                 for rows in plan["rows"]],
        "engineers": [{"rows": plan["fixed_rows"], "engineers": engineers}
                      for engineers in plan["engineers"]],
    }
    out = {"fixed_engineers": plan["fixed_engineers"], "fixed_rows": plan["fixed_rows"]}
    for name, points in series.items():
        for point in points:
            point["data"] = str(table_file(work, point["rows"], point["engineers"]))
        log(f"scaling vs {name}: calibrate on {len(points)} tables")
        run = run_worker("scaling", {"tables": points, "configs": ["same_model", "default"],
                                     "repeats": plan["repeats"],
                                     "repeats_large": plan["repeats_large"]}, timeout=900)
        measured = run.result.get("points", []) if run.status == "ok" else []
        if run.status != "ok":
            log(f"scaling vs {name}: calibrate {run.status}: {run.error}")
        for point in measured:
            if plan["mixedlm"] and point[name] <= plan["mixedlm_max"][name]:
                log(f"scaling vs {name}: MixedLM at {point['rows']:,} rows / "
                    f"{point['engineers']:,} engineers")
                theirs = run_worker("mixedlm", {"data": point["data"], "method": "lbfgs"},
                                    timeout=plan["mixedlm_timeout"])
                point["mixedlm"] = ({"total_s": theirs.result["total_s"],
                                     "converged": theirs.result["converged"]}
                                    if theirs.status == "ok" else {"status": theirs.status})
            point.pop("data", None)
        x = [p[name] for p in measured]
        slopes = {config: slope(x, [p[config]["median_s"] for p in measured])
                  for config in ("same_model", "default")}
        large = [p for p in measured if p[name] >= plan["large_from"][name]]
        slopes_large = {config: slope([p[name] for p in large],
                                      [p[config]["median_s"] for p in large])
                        for config in ("same_model", "default")}
        with_mixedlm = [p for p in measured if "total_s" in p.get("mixedlm", {})]
        slopes["mixedlm"] = slope([p[name] for p in with_mixedlm],
                                  [p["mixedlm"]["total_s"] for p in with_mixedlm])
        fits = {config: affine(x, [p[config]["median_s"] for p in measured])
                for config in ("same_model", "default")}
        out[name] = {"points": measured, "slopes": slopes, "slopes_large": slopes_large,
                     "affine": fits,
                     "large_from": plan["large_from"][name], "status": run.status,
                     "error": run.error}
    out["skills"] = run_skills(plan, log=log)
    return out


def run_skills(plan: dict, *, log) -> dict:
    """The skills case on the series' largest table (``plan["skills"]`` may
    set ``rows``, ``engineers`` and ``repeats``)."""
    size = {"rows": max(plan["rows"]), "engineers": plan["fixed_engineers"],
            "repeats": plan["repeats_large"], **plan.get("skills", {})}
    log(f"scaling: skill profiles, {size['rows']:,} tickets / {size['engineers']:,} engineers")
    run = run_module(["benchmarks.scaling", "skills", json.dumps(size)], timeout=1800)
    if run.status != "ok":
        log(f"scaling: skill profiles {run.status}: {run.error}")
    return {**size, "status": run.status, "error": run.error, **run.result}


def measure_skills(size: dict) -> dict:
    """Median fit times of one generated table without and with skill profiles."""
    from calibrate import Calibrator
    from calibrate.datasets import simulate_tickets

    rows, engineers = size["rows"], size["engineers"]
    simulated = simulate_tickets(rows, engineers, seed=SEED,
                                 history_days=max(250.0, rows / engineers * 4.0),
                                 level_effects=SKILL_LEVEL_EFFECTS, ramp_up=SKILL_RAMP_UP)
    small = simulate_tickets(2000, 20, seed=0, level_effects=SKILL_LEVEL_EFFECTS,
                             ramp_up=SKILL_RAMP_UP)
    configs = {"plain": {}, "levels": {"skills": simulated.skills, "ramp_up": False},
               "levels_and_ramp_up": {"skills": simulated.skills}}
    out = {"tickets": rows, "open": int(simulated.tickets["censored"].sum())}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for options in ({}, {"skills": small.skills}):  # imports and first calls
            Calibrator(half_life_days=None).fit(small.tickets, **options)
        for name, options in configs.items():
            times = []
            for _ in range(size["repeats"]):
                started = time.perf_counter()
                calibrator = Calibrator(half_life_days=None).fit(simulated.tickets, **options)
                times.append(time.perf_counter() - started)
            out[name] = {"seconds": times, "median_s": statistics.median(times),
                         "em_iterations": int(calibrator.em_iterations_)}
            ramp = calibrator.result_.ramp_up
            if ramp is not None:
                out[name]["ramp_up_scale_weeks"] = ramp["scale_weeks"]
    for name in ("levels", "levels_and_ramp_up"):
        out[f"ratio_{name}"] = out[name]["median_s"] / out["plain"]["median_s"]
    return out


def main() -> None:
    task, args = sys.argv[1], json.loads(sys.argv[2])
    if task != "skills":
        raise SystemExit(f"unknown task {task!r}: this module measures 'skills'")
    print(RESULT_PREFIX + json.dumps(measure_skills(args)), flush=True)


if __name__ == "__main__":
    main()

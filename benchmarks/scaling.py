"""Scaling: fit time against rows (engineers fixed) and against engineers (rows fixed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks._measure import run_worker
from benchmarks.speed import table_file


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
    return out

"""Accuracy on generated data with known truth.

- Multipliers: RMSE of log engineer x area and engineer multipliers against
  the truth, for calibrate (partial pooling, censoring), statsmodels MixedLM's
  BLUPs (finished tickets, one noise sd) and unpooled per-engineer ratios
  (Evidence-Based Scheduling style).
- Backtest: calibrate's rolling-origin backtest (coverage, CRPS, log score,
  Brier) against its baselines, pooled over seeds.
- Open tickets: a short history with about a quarter of the tickets open,
  fitted with calibrate's censoring, with the open tickets dropped, and with
  the time so far taken as the duration.

Multipliers are relative to the team (the fixed effects absorb any common
offset), so estimates and truth are both centred before comparing.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from benchmarks.data import mixedlm_frame
from calibrate import Calibrator
from calibrate.backtest import BacktestResult, backtest
from calibrate.datasets import simulate_tickets

#: Bins of finished tickets per engineer x area cell, with their labels.
TICKET_BINS = [(1, 9, "1-9"), (10, 29, "10-29"), (30, 10**9, "30+")]
METHODS = ("calibrate", "MixedLM BLUP", "unpooled ratio")


def team_table(seed: int, engineers: int, low: int = 20,
               high: int = 200) -> tuple[pd.DataFrame, dict]:
    """A team whose engineers have between ``low`` and ``high`` tickets each
    (log-uniform), drawn from the model with known truth."""
    simulated = simulate_tickets(engineers * 400, engineers, seed=seed)
    tickets = simulated.tickets
    rng = np.random.default_rng(seed + 10_000)
    target = np.exp(rng.uniform(np.log(low), np.log(high), engineers)).round().astype(int)
    code = {name: i for i, name in enumerate(simulated.truth["engineers"])}
    keep = []
    for name, rows in tickets.groupby("engineer", sort=True).indices.items():
        wanted = min(target[code[name]], len(rows))
        keep.append(rng.choice(rows, size=wanted, replace=False))
    table = tickets.iloc[np.sort(np.concatenate(keep))].reset_index(drop=True)
    return table, simulated.truth


def _rmse(estimate: np.ndarray, truth: np.ndarray) -> float:
    difference = (estimate - estimate.mean()) - (truth - truth.mean())
    return float(np.sqrt(np.mean(difference**2)))


def _mixedlm_effects(finished: pd.DataFrame, areas: list[str]) -> tuple[dict, dict, bool]:
    """BLUPs of u + v per cell and u + mean over areas of v per engineer."""
    import statsmodels.formula.api as smf

    data = mixedlm_frame(finished)
    model = smf.mixedlm("y ~ 0 + C(area) + C(area):c", data, groups="engineer",
                        re_formula="1", vc_formula={"cell": "0 + C(cell)"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = model.fit(reml=True, method=["lbfgs"])
    cells, engineers = {}, {}
    for engineer, effects in result.random_effects.items():
        u = float(effects.iloc[0])
        total_v = 0.0
        for area in areas:
            key = f"cell[C(cell)[{engineer}|{area}]]"
            if key in effects.index:
                cells[(engineer, area)] = u + float(effects[key])
                total_v += float(effects[key])
        engineers[engineer] = u + total_v / len(areas)
    return cells, engineers, bool(result.converged)


def multiplier_errors(seeds: list[int], engineers: int, *, log) -> dict:
    """RMSE of log multipliers against the truth, per method, over seeds."""
    per_seed, by_bin, summary_counts, converged = [], [], [], []
    for seed in seeds:
        table, truth = team_table(seed, engineers)
        log(f"accuracy: multipliers, seed {seed} ({len(table):,} tickets)")
        areas = truth["areas"]
        u = dict(zip(truth["engineers"], truth["u"], strict=True))
        v = {(e, a): truth["v"][i, j] for i, e in enumerate(truth["engineers"])
             for j, a in enumerate(areas)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = Calibrator().fit(table).result_
        cells = result.engineer_area_multipliers
        people = result.engineer_multipliers
        mixed_cells, mixed_people, ok = _mixedlm_effects(table[~table["censored"]], areas)
        converged.append(ok)
        keys = list(zip(cells["engineer"], cells["area"], strict=True))
        true_cell = np.array([u[e] + v[(e, a)] for e, a in keys])
        estimates = {
            "calibrate": cells["log_mean"].to_numpy(),
            "MixedLM BLUP": np.array([mixed_cells.get(k, np.nan) for k in keys]),
            "unpooled ratio": np.log(cells["raw_ratio"].to_numpy()),
        }
        finished_n = cells["n_finished"].to_numpy()
        usable = np.isfinite(estimates["unpooled ratio"])  # cells with finished tickets
        names = people["engineer"].tolist()
        true_person = np.array([u[e] + np.mean([v[(e, a)] for a in areas]) for e in names])
        finished = table[~table["censored"]]
        velocity = (np.log(finished["duration_days"] / finished["points"])
                    .groupby(finished["engineer"].to_numpy()).mean())
        person_estimates = {
            "calibrate": people["log_mean"].to_numpy(),
            "MixedLM BLUP": np.array([mixed_people.get(e, 0.0) for e in names]),
            "unpooled ratio": np.log(people["raw_ratio"].to_numpy()),
            "EBS velocity": velocity.reindex(names).to_numpy(),
        }
        row = {"seed": seed, "tickets": len(table), "engineers": len(names),
               "cells": int(usable.sum())}
        for method, estimate in estimates.items():
            row[f"cell:{method}"] = _rmse(estimate[usable], true_cell[usable])
            for low, high, label in TICKET_BINS:
                inside = usable & (finished_n >= low) & (finished_n <= high)
                if inside.sum() >= 5:
                    by_bin.append({"seed": seed, "method": method, "bin": label,
                                   "cells": int(inside.sum()),
                                   "rmse": _rmse(estimate[inside], true_cell[inside])})
        for method, estimate in person_estimates.items():
            present = np.isfinite(estimate)
            row[f"engineer:{method}"] = _rmse(estimate[present], true_person[present])
        per_seed.append(row)
        summary_counts.append((people["n_finished"] + people["n_open"]).to_numpy())
    counts = np.concatenate(summary_counts)
    frame = pd.DataFrame(per_seed)
    bins = pd.DataFrame(by_bin)
    table_out = []
    for level in ("cell", "engineer"):
        for method in (*METHODS, "EBS velocity"):
            column = f"{level}:{method}"
            if column in frame:
                table_out.append({"level": level, "method": method,
                                  "rmse_mean": float(frame[column].mean()),
                                  "rmse_sd": float(frame[column].std(ddof=1))
                                  if len(frame) > 1 else 0.0})
    bin_table = (bins.groupby(["bin", "method"], sort=False)
                 .agg(rmse=("rmse", "mean"), cells=("cells", "sum")).reset_index()
                 .to_dict("records")) if len(bins) else []
    return {
        "seeds": seeds, "engineers": engineers, "per_seed": frame.to_dict("records"),
        "summary": table_out, "by_tickets": bin_table,
        "tickets_per_engineer": [int(counts.min()), int(np.median(counts)), int(counts.max())],
        "mixedlm_converged": all(converged),
    }


def backtest_scores(seeds: list[int], engineers: int, *, n_origins: int, log) -> dict:
    """The rolling-origin backtest of each seed's team, pooled."""
    scores, predictions = [], []
    for seed in seeds:
        table, _ = team_table(seed, engineers)
        log(f"accuracy: backtest, seed {seed}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = backtest(table, n_origins=n_origins)
        scores.append(result.scores.assign(seed=seed))
        predictions.append(result.predictions.assign(seed=seed))
    pooled = BacktestResult(pd.concat(scores, ignore_index=True),
                            pd.concat(predictions, ignore_index=True), result.cap_days)
    summary = pooled.scores_by_model().reset_index()
    return {"seeds": seeds, "origins": n_origins,
            "summary": summary.replace({np.nan: None}).to_dict("records")}


def censoring_effect(seeds: list[int], engineers: int, tickets: int, history_days: float, *,
                     log) -> dict:
    """calibrate's censoring vs dropping open tickets vs taking the time so far."""
    rows = []
    for seed in seeds:
        simulated = simulate_tickets(tickets, engineers, seed=seed, history_days=history_days)
        table, truth = simulated.tickets, simulated.truth
        log(f"accuracy: open tickets, seed {seed} ({table['censored'].mean():.0%} open)")
        areas = truth["areas"]
        index = {e: i for i, e in enumerate(truth["engineers"])}
        true_p = _p_over(np.array([truth["intercept"][a] for a in areas]),
                         np.array([truth["elasticity"][a] for a in areas]),
                         np.array([truth["noise_sd"][a] for a in areas]))
        fits = {
            "censored (calibrate)": (Calibrator(), table),
            "open tickets dropped": (Calibrator(), table[~table["censored"]]),
            "time so far as duration": (Calibrator(censoring=False), table),
        }
        for method, (calibrator, data) in fits.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = calibrator.fit(data.reset_index(drop=True)).result_
            parameters = result.multipliers.areas.set_index("area").loc[areas]
            cells = result.engineer_area_multipliers
            true_cell = np.array([truth["u"][index[e]] + truth["v"][index[e], areas.index(a)]
                                  for e, a in zip(cells["engineer"], cells["area"],
                                                  strict=True)])
            p_over = _p_over(parameters["intercept"].to_numpy(),
                             parameters["elasticity"].to_numpy(),
                             parameters["noise_sd"].to_numpy())
            rows.append({
                "seed": seed, "method": method, "open_share": float(table["censored"].mean()),
                "elasticity_bias": float(np.mean(parameters["elasticity"].to_numpy()
                                                 - [truth["elasticity"][a] for a in areas])),
                "intercept_bias": float(np.mean(parameters["intercept"].to_numpy()
                                                - [truth["intercept"][a] for a in areas])),
                "noise_sd_bias": float(np.mean(parameters["noise_sd"].to_numpy()
                                               - [truth["noise_sd"][a] for a in areas])),
                "cell_rmse": _rmse(cells["log_mean"].to_numpy(), true_cell),
                "p_over_5": float(np.mean(p_over)),
                "p_over_5_true": float(np.mean(true_p)),
            })
    frame = pd.DataFrame(rows)
    summary = frame.groupby("method", sort=False).mean(numeric_only=True).drop(columns="seed")
    return {"seeds": seeds, "engineers": engineers, "tickets": tickets,
            "history_days": history_days, "open_share": float(frame["open_share"].mean()),
            "summary": summary.reset_index().to_dict("records")}


def _p_over(intercept: np.ndarray, elasticity: np.ndarray, noise: np.ndarray,
            points: float = 5.0) -> np.ndarray:
    """P(a typical engineer's ticket of ``points`` points takes more than that many days)."""
    mean = intercept + elasticity * np.log(points / 3)
    return stats.norm.sf((np.log(points) - mean) / noise)


def run_accuracy(plan: dict, *, log) -> dict:
    return {
        "multipliers": multiplier_errors(plan["seeds"], plan["engineers"], log=log),
        "backtest": backtest_scores(plan["seeds"], plan["engineers"],
                                    n_origins=plan["origins"], log=log),
        "censoring": censoring_effect(plan["censor_seeds"], plan["censor_engineers"],
                                      plan["censor_tickets"], plan["censor_history_days"],
                                      log=log),
    }

"""The report's tables, and its method and data-quality section, as rows of text."""

from __future__ import annotations

import numpy as np
import pandas as pd

from calibrate._names import too_few
from calibrate.backtest import BacktestResult
from calibrate.report._common import LIKELY_ABANDONED, days_text, percent_text
from calibrate.results import CalibrationResult
from calibrate.tickets import EXCLUSION_REASONS, TicketTable

__all__ = ["aging_rows", "method_section", "tables_section"]


def tables_section(result: CalibrationResult, *, backtest_result: BacktestResult | None,
                   min_tickets: int) -> dict:
    """The multipliers, elasticity and backtest tables: ``engineer_rows`` and
    ``cell_rows`` (numbers on fewer than ``min_tickets`` finished tickets
    suppressed), ``elasticity_rows``, ``backtest_rows``."""
    # One rule for tables and figures: numbers on fewer than min_tickets
    # finished tickets lean on the team and are not shown.
    engineer_rows = []
    for row in result.engineer_multipliers.itertuples():
        enough = not too_few(row.n_finished, min_tickets)
        engineer_rows.append({
            "engineer": row.engineer, "enough": enough,
            "median": f"{row.median:.2f}" if enough else "too few tickets",
            "interval": f"{row.p10:.2f}–{row.p90:.2f}" if enough else "",
            "mean": f"{row.mean:.2f}" if enough else "",
            "tickets": int(row.n_finished), "open": int(row.n_open),
            "weight": percent_text(row.shrinkage_weight) if enough else ""})
    cell_rows = []
    for row in result.engineer_area_multipliers.itertuples():
        enough = not too_few(row.n_finished, min_tickets)
        cell_rows.append({
            "engineer": row.engineer, "area": row.area, "enough": enough,
            "median": f"{row.median:.2f}" if enough else "too few tickets",
            "interval": f"{row.p10:.2f}–{row.p90:.2f}" if enough else "",
            "tickets": int(row.n_finished), "open": int(row.n_open),
        })
    elasticity_rows = [
        {"area": row.area, "estimate": f"{row.elasticity:.2f}",
         "interval": f"{row.ci_low:.2f}–{row.ci_high:.2f}",
         "p_value": "< 0.001" if row.p_value_vs_1 < 0.001 else f"{row.p_value_vs_1:.3f}",
         "typical": days_text(np.exp(area_row.intercept)), "noise": f"{area_row.noise_sd:.2f}"}
        for row, area_row in zip(result.elasticity.itertuples(),
                                 result.multipliers.areas.itertuples(), strict=True)
    ]
    backtest_rows = []
    if backtest_result is not None:
        for model_name, row in backtest_result.scores_by_model().iterrows():
            backtest_rows.append({
                "model": model_name, "n": int(row["n_scored"]),
                "coverage_50": percent_text(row["coverage_50"]),
                "coverage_80": percent_text(row["coverage_80"]),
                "coverage_90": percent_text(row["coverage_90"]),
                "crps": f"{row['crps']:.3f}",
                "log_score": "—" if pd.isna(row["log_score"]) else f"{row['log_score']:.3f}",
            })
    return {"engineer_rows": engineer_rows, "cell_rows": cell_rows,
            "elasticity_rows": elasticity_rows, "backtest_rows": backtest_rows}


def method_section(table: TicketTable, result: CalibrationResult) -> dict:
    """Rows read, kept and left out (with reasons), aging work, the clocks
    and calendar of the durations, the model's fit and the points test."""
    tickets = table.tickets
    model = result.multipliers.model
    points_test = result.points_test
    return {
        "rows": {"read": table.rows_read, "kept": len(tickets), "excluded": len(table.excluded),
                 "open": int(tickets["censored"].sum())},
        "exclusions": [{"reason": reason, "rows": int(n), "meaning": EXCLUSION_REASONS[reason]}
                       for reason, n in table.exclusion_counts().items()],
        "aging": aging_rows(result),
        "open_total": len(result.aging_work),
        "clocks": [{"clock": kind, "tickets": int(n)}
                   for kind, n in tickets["clock"].value_counts().items()],
        "calendar": table.calendar.describe() if table.calendar else "not recorded",
        "notes": list(table.notes),
        "model": {
            "engineer_sd": f"{model['engineer_sd']:.2f}",
            "engineer_area_sd": f"{model['engineer_area_sd']:.2f}",
            "em_iterations": result.em_iterations, "converged": result.converged,
            "method": model["method"].upper(),
        },
        "points_test": None if points_test is None else {
            "statistic": f"{points_test['statistic']:.1f}", "df": points_test["df"],
            "p_value": f"{points_test['p_value']:.3f}"},
    }


def aging_rows(result: CalibrationResult, limit: int = 30) -> list[dict]:
    """The likely-abandoned open tickets, most likely first ("aging work")."""
    aging = result.aging_work
    likely = aging[aging["p_abandoned"] > LIKELY_ABANDONED].head(limit)
    return [{"ticket": row.ticket_id, "title": "" if pd.isna(row.title) else row.title,
             "engineer": row.engineer, "area": row.area, "age": days_text(row.age_days),
             "p": percent_text(row.p_abandoned)}
            for row in likely.itertuples()]

"""Everything the report template shows, computed from the result objects.

No file I/O: plots become SVG text in memory (data URIs), tables become
lists of rows, and every sentence of the summary is written here with its
numbers, so the template only lays them out (and escapes them).
"""

from __future__ import annotations

import base64
import datetime as dt
import io

import numpy as np
import pandas as pd

from calibrate._version import __version__
from calibrate.backtest import BacktestResult, DriftResult
from calibrate.results import CalibrationResult
from calibrate.tickets import EXCLUSION_REASONS, TicketTable

__all__ = ["build_context", "figure_to_data_uri"]

DISCLAIMER = ("Multipliers are planning aids: they reflect estimates, ticket mix, context and "
              "estimating habits as much as skill. They are not a ranking of people.")


def figure_to_data_uri(figure) -> str:
    """A matplotlib figure as an inline SVG data URI (deterministic output)."""
    import matplotlib

    buffer = io.StringIO()
    # Text stays text (searchable, selectable, smaller); the hash salt makes ids stable;
    # dpi sets the resolution of the parts drawn as images (dense scatter plots).
    with matplotlib.rc_context({"svg.hashsalt": "calibrate", "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None},
                       dpi=200)
    encoded = base64.b64encode(buffer.getvalue().encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"


def _days(value: float) -> str:
    return f"{value:.1f}"


def _percent(value: float) -> str:
    return "—" if pd.isna(value) else f"{value:.0%}"


def _points(value: float) -> str:
    return "split it" if value == 0 else f"{value:g}"


def build_context(table: TicketTable, result: CalibrationResult, *,
                  backtest_result: BacktestResult | None, drift_result: DriftResult | None,
                  min_tickets: int, pseudonymized: bool, fit_warnings: list[str],
                  max_engineers: int = 40) -> dict:
    """The template's variables.

    A team of more than ``max_engineers`` is shown through the engineers with
    the most finished tickets (every engineer stays in the data files).
    """
    from matplotlib import pyplot

    from calibrate import plots

    everyone = result.engineer_multipliers.sort_values(["n_finished", "engineer"],
                                                       ascending=[False, True])
    shown_engineers = sorted(everyone["engineer"].head(max_engineers))
    hidden = len(everyone) - len(shown_engineers)
    if hidden:
        result = result.for_engineers(shown_engineers)
        if drift_result is not None:
            drift_result = DriftResult(drift_result.multipliers[
                drift_result.multipliers["engineer"].isin(shown_engineers)])
    model = result.multipliers.model
    cap, confidence = model["cap_days"], model["confidence"]
    reference = model["reference_points"]
    tickets = table.tickets

    sizes = result.recommended_sizes()
    overrun = result.overrun_probabilities(points=(1, 2, 3, 5, 8))
    prediction = result.predict(sizes["engineer"], sizes["area"],
                                np.full(len(sizes), reference))
    cells = sizes.assign(
        p_over=overrun[f"p_over_{reference:g}"].to_numpy(),
        median_days=prediction["p50_days"].to_numpy(),
        enough=sizes["n_finished"] >= min_tickets,
    )
    shown = cells[cells["enough"]].sort_values("p_over", ascending=False)
    suppressed = int((~cells["enough"]).sum())

    # -- the summary, in sentences ---------------------------------------
    breaking = shown[shown["p_over"] > 1 - confidence]
    summary = []
    if len(breaking):
        worst = breaking.iloc[0]
        summary.append(
            f"The team assumes a {reference:g}-point ticket takes at most {cap:g} working "
            f"days. That fails more often than {1 - confidence:.0%} of the time for "
            f"{len(breaking)} of {len(shown)} engineer × area combinations. The worst: "
            f"{worst['engineer']} on {worst['area']}, where a {reference:g}-point ticket "
            f"overruns {cap:g} days {_percent(worst['p_over'])} of the time (typically "
            f"{_days(worst['median_days'])} days).")
    else:
        summary.append(
            f"The team's assumption — a {reference:g}-point ticket within {cap:g} working "
            f"days — holds at {confidence:.0%} confidence for every engineer × area "
            "combination with enough tickets.")
    holding = shown[shown["p_over"] <= 1 - confidence]
    if len(holding) and len(breaking):
        summary.append(f"It holds for the other {len(holding)} combinations.")
    elasticity = result.elasticity
    ratios = ", ".join(
        f"{row.area}: {3 ** row.elasticity:.1f}×"
        for row in elasticity.itertuples())
    summary.append(
        "Story points grow slower than working time: a 3-point ticket takes "
        f"{ratios} a 1-point ticket, not 3× (points elasticity per area; 1 would be "
        "proportional).")
    smaller = shown[shown["recommended_points"] < reference]
    larger = shown[shown["recommended_points"] > reference]
    summary.append(
        f"Recommended ticket sizes (largest points that fit {cap:g} days with "
        f"{confidence:.0%} confidence): {len(smaller)} combinations should get tickets "
        f"smaller than {reference:g} points, {len(larger)} can take larger ones; "
        "see the table below.")
    if backtest_result is not None:
        pooled = backtest_result.summary()
        ours = pooled.loc["calibrate"]
        naive = pooled.loc["1 point = 1 day"]
        summary.append(
            f"Backtest on {int(ours['n_scored'])} tickets predicted from earlier history: "
            f"the 80% intervals contained the actual duration "
            f"{_percent(ours['coverage_80'])} of the time (ideal: 80%), and the forecast "
            f"error (CRPS) was {ours['crps']:.2f} against {naive['crps']:.2f} for "
            "\"1 point = 1 day\" (lower is better).")
    if hidden:
        summary.append(
            f"The team has {len(everyone)} engineers; this report shows the "
            f"{len(shown_engineers)} with the most finished tickets. Every engineer is in "
            "multipliers.csv and multipliers.json.")
    if suppressed:
        summary.append(
            f"{suppressed} engineer × area combinations have fewer than {min_tickets} "
            "finished tickets: their numbers are not shown (\"too few tickets\").")

    breaks_table = [
        {
            "engineer": row.engineer, "area": row.area,
            "p_over": _percent(row.p_over),
            "median_days": _days(row.median_days),
            "recommended": _points(row.recommended_points),
            "tickets": int(row.n_finished), "open": int(row.n_open),
            "breaks": bool(row.p_over > 1 - confidence),
        }
        for row in shown.itertuples()
    ]

    # -- plots -------------------------------------------------------------
    figures = []

    def add(identifier: str, title: str, figure) -> None:
        figures.append({"id": identifier, "title": title,
                        "caption": plots.CAPTIONS[identifier],
                        "src": figure_to_data_uri(figure)})
        pyplot.close(figure)

    add("plot_points_vs_days", "Where points break", plots.plot_points_vs_days(result, table))
    add("plot_overrun_map", "Overrun map",
        plots.plot_overrun_map(result, points=reference, min_tickets=min_tickets))
    add("plot_recommended_sizes", "Recommended ticket size",
        plots.plot_recommended_sizes(result, min_tickets=min_tickets))
    add("plot_multipliers", "Multipliers", plots.plot_multipliers(result))
    add("plot_elasticity", "Points elasticity", plots.plot_elasticity(result, table))
    if backtest_result is not None:
        add("plot_calibration", "Calibration (backtest)", plots.plot_calibration(backtest_result))
    if drift_result is not None:
        add("plot_drift", "Drift", plots.plot_drift(drift_result))
    add("plot_data_quality", "Data quality",
        plots.plot_data_quality(table, min_tickets=min_tickets, engineers=shown_engineers))

    # -- tables ------------------------------------------------------------
    engineer_rows = [
        {"engineer": row.engineer, "median": f"{row.median:.2f}",
         "interval": f"{row.p10:.2f}–{row.p90:.2f}", "mean": f"{row.mean:.2f}",
         "tickets": int(row.n_finished), "open": int(row.n_open),
         "weight": _percent(row.shrinkage_weight)}
        for row in result.engineer_multipliers.itertuples()
    ]
    cell_rows = []
    for row in result.cell_multipliers.itertuples():
        enough = row.n_finished >= min_tickets
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
         "typical": _days(np.exp(area_row.intercept)), "noise": f"{area_row.noise_sd:.2f}"}
        for row, area_row in zip(elasticity.itertuples(),
                                 result.multipliers.areas.itertuples(), strict=True)
    ]
    backtest_rows = []
    if backtest_result is not None:
        for model_name, row in backtest_result.summary().iterrows():
            backtest_rows.append({
                "model": model_name, "n": int(row["n_scored"]),
                "coverage_50": _percent(row["coverage_50"]),
                "coverage_80": _percent(row["coverage_80"]),
                "coverage_90": _percent(row["coverage_90"]),
                "crps": f"{row['crps']:.3f}",
                "log_score": "—" if pd.isna(row["log_score"]) else f"{row['log_score']:.3f}",
            })

    # -- method and data quality -----------------------------------------
    counts = table.exclusion_counts()
    exclusions = [{"reason": reason, "rows": int(n), "meaning": EXCLUSION_REASONS[reason]}
                  for reason, n in counts.items()]
    clocks = tickets["clock"].value_counts()
    points_test = result.points_test
    calendar = table.calendar.describe() if table.calendar else "not recorded"
    window = result.multipliers.window
    return {
        "title": "Estimation calibration report",
        "version": __version__,
        "generated_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "source": {"path": table.path, "format": table.source_format},
        "window": {"first": (window["first_start"] or "")[:10],
                   "last": (window["last_finish"] or "")[:10],
                   "as_of": f"{table.as_of:%Y-%m-%d %H:%M}"},
        "cap": f"{cap:g}", "confidence": f"{confidence:.0%}", "reference": f"{reference:g}",
        "summary": summary,
        "breaks": breaks_table,
        "disclaimer": DISCLAIMER,
        "pseudonymized": pseudonymized,
        "min_tickets": min_tickets,
        "figures": figures,
        "engineer_rows": engineer_rows,
        "cell_rows": cell_rows,
        "elasticity_rows": elasticity_rows,
        "backtest_rows": backtest_rows,
        "rows": {"read": table.rows_read, "kept": len(tickets), "excluded": len(table.excluded),
                 "open": int(tickets["censored"].sum())},
        "exclusions": exclusions,
        "clocks": [{"clock": clock, "tickets": int(n)} for clock, n in clocks.items()],
        "calendar": calendar,
        "notes": list(table.notes),
        "warnings": fit_warnings,
        "model": {
            "engineer_sd": f"{model['engineer_sd']:.2f}", "cell_sd": f"{model['cell_sd']:.2f}",
            "em_iterations": result.em_iterations, "converged": result.converged,
            "method": model["method"].upper(),
        },
        "points_test": None if points_test is None else {
            "statistic": f"{points_test['statistic']:.1f}", "df": points_test["df"],
            "p_value": f"{points_test['p_value']:.3f}"},
    }

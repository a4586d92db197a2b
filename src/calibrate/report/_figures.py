"""The report's figures: each display drawn and inlined as SVG, with its
title and caption."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

from calibrate.backtest import BacktestResult, DriftResult
from calibrate.report._captions import CAPTIONS
from calibrate.report._common import Rule
from calibrate.results import CalibrationResult
from calibrate.tickets import TicketTable

__all__ = ["figure_to_data_uri", "figures_section"]


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


def figures_section(table: TicketTable, result: CalibrationResult, rule: Rule, *,
                    backtest_result: BacktestResult | None, drift_result: DriftResult | None,
                    min_tickets: int, engineers: Sequence[str]) -> list[dict]:
    """Every figure the report shows, in order: ``id`` (its anchor on the
    page), ``title``, ``caption`` and ``src`` (the SVG data URI).

    No overrun map for lead time ("N points within N working days" is a rule
    about work), no recommended sizes without a cap that judges the clock.
    """
    from calibrate import plots

    figures = []

    def add(identifier: str, title: str, display, note: str = "") -> None:
        caption = CAPTIONS[type(display).__name__] + (f" {note}" if note else "")
        figures.append({"id": identifier, "title": title, "caption": caption,
                        "src": figure_to_data_uri(display.plot().figure_)})

    measured = _measured(rule)
    add("plot_points_vs_days", "Where points break",
        plots.PointsVsDaysDisplay.from_result(result, table, cap_days=rule.verdict_cap),
        _cap_note(rule))
    if not rule.lead:
        add("plot_overrun_map", "Overrun map",
            plots.OverrunMapDisplay.from_result(result, points=rule.reference,
                                                min_tickets=min_tickets))
    if rule.verdict_cap is not None:
        add("plot_recommended_sizes", "Recommended ticket size",
            plots.RecommendedSizesDisplay.from_result(result, cap_days=rule.verdict_cap,
                                                      min_tickets=min_tickets),
            f"The team's reference size is {rule.reference:g} points; the cap is "
            f"{rule.cap_days_text}, at {rule.confidence:.0%} confidence.")
    add("plot_multipliers", "Multipliers", plots.MultipliersDisplay.from_result(result),
        f"Multipliers here scale {measured}." if rule.lead else "")
    add("plot_elasticity", "Points elasticity",
        plots.ElasticityDisplay.from_result(result, table),
        f"Here the days are {measured}." if rule.lead else "")
    if backtest_result is not None:
        add("plot_calibration", "Calibration (backtest)",
            plots.CalibrationDisplay.from_backtest(backtest_result))
    if drift_result is not None:
        add("plot_drift", "Drift", plots.DriftDisplay.from_drift(drift_result))
    add("plot_data_quality", "Data quality",
        plots.DataQualityDisplay.from_table(table, min_tickets=min_tickets, engineers=engineers))
    return figures


def _measured(rule: Rule) -> str:
    """What lead-time (or mixed) durations measure, for captions."""
    return ("lead time (working days from creation to done)" if rule.clock == "lead" else
            "a mix of lead time (creation to done) and cycle time (start of work to done)")


def _cap_note(rule: Rule) -> str:
    """Which cap the dotted line of "Where points break" is."""
    if not rule.lead:
        return f"The cap is the team's: {rule.cap:g} working days."
    if rule.verdict_cap is None:
        return (f"Here every duration is {_measured(rule)}. The dotted line is the team's work "
                f"cap of {rule.cap:g} days, drawn for scale only: lead time is not judged "
                "against it.")
    return (f"Here every duration is {_measured(rule)}, and the dotted line is the lead-time "
            f"cap of {rule.verdict_cap:g} working days.")

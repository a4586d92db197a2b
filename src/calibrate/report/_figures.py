"""The report's figures: each display drawn and inlined as SVG, with its
title and caption.

A figure whose height grows with the team — the multipliers, the overrun
map, the recommended sizes, tickets per engineer and area, the drift, the
declared levels against the tickets — is drawn in panels of a group of
engineers each, every panel with its own axes and labels, so that each fits
an A4 page at a legible size: one figure of a large team would be cut off at
the page's bottom, or shrunk to unreadable labels.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import math
from collections.abc import Callable, Sequence

import pandas as pd

from calibrate._names import sorted_names
from calibrate.backtest import BacktestResult, DriftResult
from calibrate.report._captions import CAPTIONS
from calibrate.report._common import Rule
from calibrate.report._forked import map_forked
from calibrate.results import CalibrationResult
from calibrate.tickets import TicketTable

__all__ = ["MULTIPLIER_ROWS_PER_PANEL", "ENGINEERS_PER_PANEL", "figure_to_data_uri",
           "figures_section", "panel_groups", "prepare_drawing"]

#: Most rows (an engineer's, and one per area they worked in) of one panel of
#: the multipliers figure: 0.22 inch a row, so a panel printed on A4 (the 11
#: inch wide figure at about 65%) takes at most two thirds of the page.
MULTIPLIER_ROWS_PER_PANEL = 40
#: Most engineers in one panel of the engineer x area grids (0.32 inch a row)
#: and of the drift (a row of five small panels per five engineers).
ENGINEERS_PER_PANEL = {"grid": 30, "drift": 20}


def prepare_drawing() -> None:
    """Load what drawing the figures needs: the displays, matplotlib and its
    SVG backend, and the font list (a third of a second on a small report,
    done while another core computes; see :func:`render_report`)."""
    import matplotlib.backends.backend_svg  # noqa: F401
    from matplotlib import font_manager

    import calibrate.plots  # noqa: F401

    font_manager.fontManager.findfont("DejaVu Sans")


def figure_to_data_uri(figure) -> str:
    """A matplotlib figure as an inline SVG data URI (deterministic output).

    The figure is laid out once and then frozen (its layout engine removed).
    """
    import matplotlib

    buffer = io.StringIO()
    # Text stays text (searchable, selectable, smaller); the hash salt makes ids stable;
    # dpi sets the resolution of the parts drawn as images (dense scatter plots). The
    # figures are laid out by matplotlib's constrained layout, which keeps everything
    # inside the figure: bbox_inches="tight" would only draw each figure once more.
    with matplotlib.rc_context({"svg.hashsalt": "calibrate", "svg.fonttype": "none",
                                "figure.autolayout": False,
                                "figure.constrained_layout.use": False}):
        engine = figure.get_layout_engine()
        if engine is not None:
            # With a layout engine, savefig draws the figure twice (a dry run, then the
            # SVG), laying it out each time: a third of a report's run. Laid out here
            # once and frozen, the figure is drawn once.
            engine.execute(figure)
            figure.set_layout_engine(None)
        figure.savefig(buffer, format="svg", metadata={"Date": None}, dpi=200)
    encoded = base64.b64encode(buffer.getvalue().encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"


def panel_groups(sizes: Sequence[int], most: int) -> list[range]:
    """Split items of the given sizes, in order, into the fewest runs whose
    sizes add up to at most ``most`` each (an item larger than ``most`` is a
    run of its own), as even as that allows; the runs as ranges of indexes.

    Examples
    --------
    >>> panel_groups([5] * 40, 40)
    [range(0, 8), range(8, 16), range(16, 24), range(24, 32), range(32, 40)]
    >>> [len(group) for group in panel_groups([1] * 40, 30)]
    [20, 20]
    """
    def greedy(limit: int) -> list[range]:
        groups, start, total = [], 0, 0
        for index, size in enumerate(sizes):
            if index > start and total + size > limit:
                groups.append(range(start, index))
                start, total = index, 0
            total += size
        return groups + [range(start, len(sizes))] if len(sizes) else groups

    fewest = len(greedy(most))
    # The smallest limit that needs no more runs than the largest does: even runs.
    limit = max(math.ceil(sum(sizes) / max(fewest, 1)), max(sizes, default=0))
    while len(greedy(limit)) > fewest:
        limit += 1
    return greedy(limit)


def figures_section(table: TicketTable, result: CalibrationResult, rule: Rule, *,
                    backtest_result: BacktestResult | None, drift_result: DriftResult | None,
                    min_tickets: int, engineers: Sequence[str],
                    reassignment=None, skills=None,
                    beside: Callable[[], object] | None = None) -> list[dict]:
    """Every figure the report shows, in order: ``id`` (its anchor on the
    page), ``section`` (``plots``, ``plan`` for the sprint plan's or
    ``skills`` for the skills and coverage section's),
    ``title``, ``caption`` and ``panels``, each with ``src`` (the SVG data
    URI) and ``label`` (which engineers it shows; empty for a figure of one
    panel).

    No overrun map for lead time ("N points within N working days" is a rule
    about work), no recommended sizes without a cap that judges the clock.
    ``reassignment``, a :class:`~calibrate.plots.ReassignmentDisplay`, is the
    sprint plan's heat map (drawn with the others, shown in its section).
    ``skills``, a :class:`~calibrate.report._skills.SkillsCheck`, gives the
    skills section's: the skill coverage (with the hiring comparison), and
    with skill profiles the declared levels against the tickets — in panels
    of a group of engineers, as the multipliers — and the ramp-up.
    ``beside`` is work for this process while a forked copy starts drawing
    (:func:`~calibrate.report._forked.map_forked`).
    """
    from calibrate import plots

    figures = []
    displays_drawn = []  # every panel's display, in the order of the figures' panels

    def add(identifier: str, title: str, displays: list, note: str = "",
            labels: Sequence[str] = ("",), section: str = "plots") -> None:
        shown = getattr(displays[0], "display", displays[0])  # a data-quality panel's display
        caption = CAPTIONS[type(shown).__name__] + (f" {note}" if note else "")
        panels = [{"src": None, "label": label}
                  for _, label in zip(displays, labels, strict=True)]
        displays_drawn.extend(displays)
        figures.append({"id": identifier, "section": section, "title": title,
                        "caption": caption, "panels": panels})

    everyone = [str(name) for name in result.engineer_multipliers["engineer"]]
    grid_groups = _engineer_groups(everyone, [1] * len(everyone), ENGINEERS_PER_PANEL["grid"])
    grid_labels = _panel_labels(grid_groups, len(everyone))
    measured = _measured(rule)
    add("plot_points_vs_days", "Where points break",
        [plots.PointsVsDaysDisplay.from_result(result, table, cap_days=rule.verdict_cap)],
        _cap_note(rule))
    if not rule.lead:
        whole = plots.OverrunMapDisplay.from_result(result, points=rule.reference,
                                                    min_tickets=min_tickets)
        add("plot_overrun_map", "Overrun map",
            [dataclasses.replace(whole, cells=_of(whole.cells, group), engineers=group)
             for group in grid_groups], labels=grid_labels)
    if rule.verdict_cap is not None:
        # One display cut into groups keeps the colour of each size the same in every panel.
        whole = plots.RecommendedSizesDisplay.from_result(result, cap_days=rule.verdict_cap,
                                                          min_tickets=min_tickets)
        add("plot_recommended_sizes", "Recommended ticket size",
            [dataclasses.replace(whole, sizes=_of(whole.sizes, group), engineers=group)
             for group in grid_groups],
            f"The team's reference size is {rule.reference:g} points; the cap is "
            f"{rule.cap_days_text}, at {rule.confidence:.0%} confidence.", grid_labels)
    rows = (result.engineer_area_multipliers["engineer"].astype(str).value_counts()
            .reindex(everyone, fill_value=0) + 1).tolist()  # the engineer's row and their areas'
    multiplier_groups = _engineer_groups(everyone, rows, MULTIPLIER_ROWS_PER_PANEL)
    add("plot_multipliers", "Multipliers",
        [plots.MultipliersDisplay.from_result(result, engineers=group, min_tickets=min_tickets)
         for group in multiplier_groups],
        f"Multipliers here scale {measured}." if rule.lead else "",
        _panel_labels(multiplier_groups, len(everyone)))
    add("plot_elasticity", "Points elasticity",
        [plots.ElasticityDisplay.from_result(result, table)],
        f"Here the days are {measured}." if rule.lead else "")
    if backtest_result is not None:
        add("plot_calibration", "Calibration (backtest)",
            [plots.CalibrationDisplay.from_backtest(backtest_result)])
    if drift_result is not None:
        drifting = sorted(drift_result.multipliers["engineer"].astype(str).unique())
        groups = _engineer_groups(drifting, [1] * len(drifting), ENGINEERS_PER_PANEL["drift"])
        add("plot_drift", "Drift",
            [plots.DriftDisplay.from_drift(DriftResult(drift_result.multipliers[
                drift_result.multipliers["engineer"].astype(str).isin(group)]))
             for group in groups], labels=_panel_labels(groups, len(drifting)))
    quality_groups = _engineer_groups(list(engineers), [1] * len(engineers),
                                      ENGINEERS_PER_PANEL["grid"])
    add("plot_data_quality", "Data quality",
        [_DataQualityPanel(plots.DataQualityDisplay.from_table(
            table, min_tickets=min_tickets, engineers=group), rows=number == 0)
         for number, group in enumerate(quality_groups)],
        labels=_panel_labels(quality_groups, len(engineers)))
    if reassignment is not None:
        add("plot_reassignment", "What a hand-over costs", [reassignment],
            f"Here durations are {_measured(rule)}." if rule.lead else "", section="plan")
    if skills is not None:
        _add_skills(add, skills, result, table, min_tickets)
    # Drawing is the slow part: the panels are drawn on two cores where there are two.
    sources = iter(map_forked(_data_uri, displays_drawn, beside=beside))
    for figure in figures:
        for panel in figure["panels"]:
            panel["src"] = next(sources)
    return figures


def _add_skills(add, skills, result: CalibrationResult, table: TicketTable,
                min_tickets: int) -> None:
    """The skills section's figures (see :func:`figures_section`)."""
    from calibrate import plots

    if skills.gaps is not None:
        hiring = skills.gaps.hiring is not None
        add("plot_skill_gaps", "Skill coverage" + (" and what a hire would change" if hiring
                                                   else ""),
            [plots.SkillGapsDisplay.from_gaps(skills.gaps)], section="skills")
    declared = result.declared_vs_measured
    shown = set(map(str, result.engineer_multipliers["engineer"]))
    counts = (pd.Series(dtype=int) if declared is None
              else declared["engineer"].astype(str).value_counts())
    names = [name for name in sorted_names(counts.index) if name in shown]
    if skills.declared and names:
        # Each panel also has a row naming each of its areas.
        most = max(MULTIPLIER_ROWS_PER_PANEL - declared["area"].nunique(), 1)
        groups = _engineer_groups(names, [int(counts[name]) for name in names], most)
        add("plot_declared_vs_measured", "Declared against measured",
            [plots.DeclaredVsMeasuredDisplay.from_result(result, engineers=group,
                                                         min_tickets=min_tickets)
             for group in groups], labels=_panel_labels(groups, len(names)), section="skills")
    if result.ramp_up is not None:
        add("plot_ramp_up", "Ramp-up of new members",
            [plots.RampUpDisplay.from_result(result, table)], section="skills")


def _data_uri(display) -> str:
    """A display's figure, drawn, as an SVG data URI."""
    return figure_to_data_uri(_drawn(display))


def _engineer_groups(names: list[str], sizes: list[int], most: int) -> list[list[str]]:
    """``names`` in runs of at most ``most`` rows (``sizes``: each name's rows)."""
    return [[names[index] for index in run] for run in panel_groups(sizes, most)]


def _panel_labels(groups: list[list[str]], total: int) -> list[str]:
    """Which engineers each panel shows; nothing for a figure of one panel."""
    if len(groups) == 1:
        return [""]
    labels, first = [], 1
    for group in groups:
        last = first + len(group) - 1
        labels.append(f"Engineers {first}–{last} of {total}: {group[0]} to {group[-1]}")
        first = last + 1
    return labels


def _of(cells: pd.DataFrame, engineers: list[str]) -> pd.DataFrame:
    """The engineer x area rows of these engineers."""
    return cells[cells["engineer"].astype(str).isin(engineers)].reset_index(drop=True)


def _drawn(display):
    """The figure a display draws."""
    return display.plot().figure_


class _DataQualityPanel:
    """A panel of the data-quality figure: the row accounting (``rows``, the
    first panel only) and the tickets of a group of engineers.

    Drawn by :class:`calibrate.plots.DataQualityDisplay` on axes given to
    it; later panels give it a spare axes for the row accounting, which is
    then dropped, so the accounting is shown once.
    """

    def __init__(self, display, *, rows: bool):
        self.display, self.rows = display, rows

    def plot(self):
        if self.rows:
            return self.display.plot()
        from matplotlib.figure import Figure

        from calibrate.plots import _style

        with _style.applied():
            height = _style.rows_height(len(self.display.engineers), 0.32, 1.7)
            figure = _style.new_figure(_style.WIDTH, height)
            spare = Figure().add_subplot()
            self.display.plot(axes=(spare, figure.add_subplot()))
        self.figure_ = figure
        return self



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

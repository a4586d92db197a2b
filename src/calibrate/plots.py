"""Figures of a calibration, for the report and for notebooks.

Every function takes fitted objects (a :class:`~calibrate.results.CalibrationResult`,
a :class:`~calibrate.tickets.TicketTable`, a backtest or drift result) and an
optional ``ax`` (or ``axes`` for two-panel figures), draws on it, and returns
the :class:`matplotlib.figure.Figure`. Without ``ax`` a new figure is made with
:class:`matplotlib.figure.Figure` directly — never through ``pyplot`` — so no
global figure state is touched, nothing is shown, and nothing is written:
saving is the caller's business (``fig.savefig(...)``).

Model quantities come from the result objects' methods (``predict``,
``overrun_probabilities``, ``recommended_sizes``, ``summary``,
``pit_histogram``); the plots only summarise the tickets themselves
(medians, counts).

Design: a colour-blind-safe palette whose colours also differ in lightness,
with markers and line styles carrying the same information, so the figures
read in greyscale print; figure heights and label sizes grow with the number
of engineers; widths are 10-11 inches (a 1200-pixel page at 100 dpi).

:data:`CAPTIONS` holds a plain-language caption per function, for the report.

Examples
--------
>>> import calibrate
>>> from calibrate.plots import plot_multipliers
>>> table = calibrate.read_export("data/sample/jira_changelog.json",
...                               config="data/sample/calibrate.toml")
>>> figure = plot_multipliers(calibrate.Calibrator().fit(table).result_)
>>> type(figure).__name__
'Figure'
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import BoundaryNorm, LinearSegmentedColormap, ListedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

from calibrate.results import DEFAULT_POINT_SCALE

__all__ = [
    "CAPTIONS",
    "plot_calibration",
    "plot_data_quality",
    "plot_drift",
    "plot_elasticity",
    "plot_multipliers",
    "plot_overrun_map",
    "plot_points_vs_days",
    "plot_recommended_sizes",
]

#: One plain-language caption per plot function, for the report.
CAPTIONS: dict[str, str] = {
    "plot_points_vs_days": (
        "Where points break: every ticket's actual working days against its story points, "
        "one panel per area (log scale; dots are spread sideways so they do not hide each "
        "other). The black line is the typical engineer's median and the grey band the range "
        "that holds 80% of tickets for a new team member; the dotted line is the cap named in "
        "the legend (tickets above it took longer), and hollow triangles are tickets still "
        "open (they will take at least that long)."),
    "plot_overrun_map": (
        "The chance that a ticket takes longer, in working days, than its points, per engineer "
        "and area. Darker cells break the \"N points within N days\" rule more often (bold: "
        "more often than the team's confidence allows); hatched grey cells rest on fewer than "
        "a handful of finished tickets and lean on the team's numbers."),
    "plot_multipliers": (
        "How much longer (above 1) or shorter (below 1) each engineer's tickets take than the "
        "team typical, overall and per area, with the range that holds the true value 80% of "
        "the time. Crosses are the engineer's own raw averages: the gap to the dot shows how "
        "far a small sample was pulled toward the team. These are planning aids reflecting "
        "ticket mix and context, not a ranking of people."),
    "plot_recommended_sizes": (
        "The largest ticket, in story points, each engineer can take on in each area and still "
        "finish within the cap at the stated confidence. Red cells are below the team's "
        "reference size, the points of its rule (split such tickets, or plan more days); blue "
        "cells have room to spare."),
    "plot_elasticity": (
        "How working days grow with story points, per area (both axes on log scales). If days "
        "were proportional to points the dots would follow the dashed line; a flatter fitted "
        "line (elasticity below 1) means big tickets take less than their points suggest and "
        "small ones more."),
    "plot_calibration": (
        "Can the predictions be trusted? Left: the share of later tickets that fell inside the "
        "50/80/90% ranges predicted from earlier history; on the diagonal is honest. Right: "
        "where actual durations fell within the predicted distribution; a flat profile at the "
        "dotted line is well calibrated, a slope or a U shape means biased or over-confident."),
    "plot_drift": (
        "Each engineer's multiplier fitted separately in successive periods, with its 80% "
        "range. A falling line is someone getting faster (for example a new hire ramping up); "
        "overlapping ranges mean no real change."),
    "plot_data_quality": (
        "What went into the model. Left: the export's rows that were kept and those left out, "
        "by reason. Right: tickets per engineer and area; hatched cells have fewer tickets than "
        "the report's minimum, so their estimates lean on the rest of the team."),
}

# -- palette and style -------------------------------------------------------
# Paul Tol's colour-blind-safe colours; the first four are also spread in
# lightness (greyscale 55, 172, 117, 144 of 255). Always paired with a marker
# and a line style, which carry the distinction in print.
_AREA_COLOURS = ("#004488", "#DDAA33", "#BB5566", "#6699CC", "#228833", "#999933")
_AREA_MARKERS = ("o", "s", "^", "D", "v", "P")
_AREA_LINES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (1, 1)))
_MODEL_STYLE = {
    "calibrate": ("#004488", "o", "-"),
    "team only": ("#BB5566", "s", "--"),
    "1 point = 1 day": ("#DDAA33", "^", ":"),
    "EBS ratios": ("#000000", "D", "-."),
}
_INK = "#222222"
_MUTED = "#666666"
_BAND = "#D9D9D9"
_OVER = "#994455"          # overruns and the cap
_WITHIN = "#6699CC"        # tickets within the cap
_FEW = "#F0F0F0"           # cells with too few tickets
#: More dots than this in one plot are drawn as an image inside the SVG.
_RASTER_POINTS = 1500
_WIDTH = 11.0              # inches; 1100 px at 100 dpi

_STYLE = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": _MUTED,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "xtick.color": _INK,
    "ytick.color": _INK,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "figure.titlesize": 12,
    "figure.titleweight": "bold",
    "hatch.linewidth": 0.6,
}


@contextmanager
def _style() -> Iterator[None]:
    with mpl.rc_context(_STYLE):
        yield


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _own_axes(ax: Axes | None, width: float, height: float) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    figure = _figure(width, height)
    return figure, figure.add_subplot()


def _small_multiples(n: int, n_columns: int, panel_height: float,
                     extra_height: float) -> tuple[Figure, list[Axes], list[Axes]]:
    """A figure of n panels with shared axes; returns it, the panels, and the
    panels at the bottom of their column (those that show x tick labels)."""
    n_rows = math.ceil(n / n_columns)
    figure = _figure(_WIDTH, extra_height + panel_height * n_rows)
    flat = figure.subplots(n_rows, n_columns, sharex=True, sharey=True, squeeze=False).ravel()
    for spare in flat[n:]:
        spare.set_visible(False)
    panels = list(flat[:n])
    bottoms = [panel for index, panel in enumerate(panels) if index + n_columns >= n]
    for panel in bottoms:
        panel.xaxis.set_tick_params(labelbottom=True)
    return figure, panels, bottoms


def _label_size(n_rows: int) -> float:
    """Tick-label font size for a list of n names (smaller for long lists)."""
    return 10.0 if n_rows <= 12 else 9.0 if n_rows <= 25 else 8.0


def _rows_height(n_rows: int, per_row: float, extra: float, minimum: float = 3.5) -> float:
    return max(minimum, extra + per_row * n_rows)


def _short(name: str, width: int = 26) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def _ticket_frame(table) -> pd.DataFrame:
    return getattr(table, "tickets", table)


def _result(result):
    """Accept a fitted Calibrator as well as its result."""
    return getattr(result, "result_", result)


def _duration_name(result) -> str:
    """What the durations measure, for titles: work (cycle) or lead time."""
    clock = getattr(result.multipliers, "clock", "cycle")
    return {"lead": "lead time", "mixed": "lead and cycle time"}.get(clock, "working days")


def _grows(result) -> str:
    name = _duration_name(result)
    return f"{name} grows" if name == "lead time" else f"{name} grow"


def _cap_label(result, cap: float) -> tuple[str, bool]:
    """The cap line's label, and whether tickets are judged against it: lead
    time only against a lead-time cap, never against the team's work cap."""
    multipliers = result.multipliers
    if getattr(multipliers, "clock", "cycle") not in ("lead", "mixed"):
        return f"cap: {cap:g} working days", True
    if multipliers.verdict_cap is not None and cap == multipliers.verdict_cap:
        return f"lead-time cap: {cap:g} working days", True
    return f"work cap {cap:g} days (lead time not judged)", False


def _areas(result) -> list[str]:
    return [str(a) for a in result.multipliers.areas["area"]]


def _engineers(result) -> list[str]:
    return [str(e) for e in result.engineer_multipliers["engineer"]]


def _area_style(index: int) -> tuple[str, str, object]:
    k = index % len(_AREA_COLOURS)
    return _AREA_COLOURS[k], _AREA_MARKERS[k], _AREA_LINES[k]


def _series_style(index: int) -> tuple[str, str, object]:
    """Style of the index-th of many series: colour, marker and line style
    cycle with an offset per lap, so no two of the first 36 look alike."""
    n = len(_AREA_COLOURS)
    lap = index // n
    return (_AREA_COLOURS[index % n], _AREA_MARKERS[(index + lap) % n],
            _AREA_LINES[(index + 2 * lap) % n])


def _unseen_engineer(result) -> str:
    """A name the model has never seen: predictions for it are those of a new
    team member (median = the typical engineer's; spread includes how much
    engineers differ)."""
    known = set(_engineers(result))
    name = "(new team member)"
    while name in known:
        name += "'"
    return name


def _log_axis(ax: Axes, axis: str, ticks: Sequence[float] | None = None,
              template: str = "{:g}") -> None:
    """Log scale with plain-number tick labels (1, 2, 5, 10 ...)."""
    getattr(ax, f"set_{axis}scale")("log")
    target = ax.xaxis if axis == "x" else ax.yaxis
    low, high = (ax.get_xlim() if axis == "x" else ax.get_ylim())
    if ticks is None:
        decades = range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1)
        ticks = [m * 10.0**d for d in decades for m in (1, 2, 5)]
    # Interior ticks only: a label centred on the edge would stick out.
    ticks = [t for t in ticks if low * 1.04 <= t <= high / 1.04]
    target.set_major_locator(FixedLocator(ticks))
    target.set_major_formatter(FuncFormatter(lambda v, _: template.format(v)))
    target.set_minor_locator(NullLocator())
    target.set_minor_formatter(NullFormatter())


_MULTIPLIER_TICKS = (
    (0.25, 0.33, 0.5, 0.67, 0.8, 1, 1.25, 1.5, 2, 3, 4, 6, 8),
    (0.25, 0.33, 0.5, 0.67, 1, 1.5, 2, 3, 4, 6, 8),
    (0.25, 0.5, 1, 2, 4, 8),
)


def _multiplier_ticks(low: float, high: float, length_inches: float) -> list[float]:
    """The finest tick set for a log multiplier axis whose labels stay at
    least 0.2 inch apart on an axis this long."""
    span = math.log(high / low)
    for ticks in _MULTIPLIER_TICKS:
        inside = [t for t in ticks if low <= t <= high]
        gaps = np.diff(np.log(inside)) / span * length_inches
        if len(inside) < 2 or gaps.min() >= 0.2:
            return inside
    return inside


def _text_colour(rgba) -> str:
    red, green, blue = rgba[:3]
    return "white" if 0.299 * red + 0.587 * green + 0.114 * blue < 0.5 else _INK


def _grid_axes(ax: Axes, rows: Sequence[str], columns: Sequence[str]) -> None:
    """Set up ax as an engineer (rows) x area (columns) grid."""
    ax.set_xlim(0, len(columns))
    ax.set_ylim(len(rows), 0)
    # Wrap long area names to the column width (roughly: row labels take a
    # quarter of the axes' initial width; 0.065 inch per character), at
    # spaces and hyphens only.
    column_inches = (0.75 * ax.get_position().width * ax.figure.get_figwidth()
                     / max(len(columns), 1))
    wrap = max(8, int(column_inches / 0.065))
    ax.set_xticks(np.arange(len(columns)) + 0.5,
                  ["\n".join(textwrap.wrap(_short(c, 28), wrap, break_long_words=False)) or c
                   for c in columns])
    ax.set_yticks(np.arange(len(rows)) + 0.5, rows)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    ax.tick_params(axis="y", labelsize=_label_size(len(rows)))
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_aspect("auto")


def _grid_size(n_rows: int, n_columns: int) -> tuple[float, float]:
    width = min(_WIDTH, max(10.0, 4.0 + 1.5 * n_columns))
    return width, _rows_height(n_rows, 0.32, 1.9)


def _cell(ax: Axes, row: int, column: int, *, face, text: str, gid: str,
          hatch: str | None = None, text_colour: str = _INK, weight: str = "normal",
          style: str = "normal", size: float = 9.0) -> None:
    ax.add_patch(Rectangle((column, row), 1, 1, facecolor=face, hatch=hatch,
                           edgecolor="#AAAAAA" if hatch else "white",
                           linewidth=0.6 if hatch else 1.5, gid=gid))
    if text:
        label = ax.text(column + 0.5, row + 0.5, text, ha="center", va="center",
                        color=text_colour, fontsize=size, fontweight=weight, fontstyle=style,
                        gid=f"{gid}-text")
        if hatch:  # keep the label readable over the hatching
            label.set_bbox({"facecolor": face, "edgecolor": "none", "pad": 1.0})


# -- 1. where points break ------------------------------------------------------
def plot_points_vs_days(result, table, *, cap_days: float | None = None,
                        ax: Axes | None = None, seed: int = 0,
                        max_points: int = 4000) -> Figure:
    """Actual working days against story points, per area.

    Each finished ticket is a dot (points jittered sideways, working days on
    a log scale); tickets over the cap are dark diamonds; open tickets are
    hollow upward triangles at their time so far (a lower bound). Lines: the
    fitted median of a typical engineer, with the 80% predictive band
    (10th-90th percentile) for a new team member — both from
    ``result.predict`` with an engineer the model has not seen, so the band
    includes the spread between engineers —, "1 point = 1 day", and the cap.

    Parameters
    ----------
    result : CalibrationResult
    table : TicketTable or DataFrame
        The tickets the result was fitted on.
    cap_days : float, optional
        The team's cap (default ``result.cap_days``).
    ax : Axes, optional
        Draw every area on this axes (distinct colours and markers; the
        80% bands only when there are at most two areas, as more overlap
        into a blur); by default a new figure with one panel per area.
    seed : int
        Seed of the sideways jitter and of the sample (the plot is
        deterministic).
    max_points : int
        With more tickets than this, a random sample of this many is drawn
        (the counts in the panel titles are of all tickets).
    """
    result = _result(result)
    tickets = _ticket_frame(table)
    cap = result.cap_days if cap_days is None else float(cap_days)
    areas = _areas(result) + sorted(set(tickets["area"].astype(str)) - set(_areas(result)))
    points = tickets["points"].to_numpy(dtype=float)
    values = np.unique(points)
    half_width = min(0.22, 0.3 * np.diff(values).min()) if len(values) > 1 else 0.22
    generator = np.random.default_rng(seed)
    x_all = points + generator.uniform(-half_width, half_width, len(points))
    drawn = (generator.random(len(points)) < max_points / len(points) if len(points) > max_points
             else np.ones(len(points), dtype=bool))
    days = tickets["duration_days"].to_numpy(dtype=float)
    censored = tickets["censored"].to_numpy(dtype=bool)
    area_of = tickets["area"].astype(str).to_numpy()
    positive = values[values > 0]
    grid = np.linspace(positive.min() if len(positive) else 1.0,
                       max(values.max(), 1.0), 80)
    x_limits = (values.min() - 0.7, values.max() + 0.7)
    low = min(days.min(), grid.min(), cap) * 0.7
    high = max(days.max(), cap) * 1.4
    newcomer = _unseen_engineer(result)
    # Thousands of dots as vector shapes make the SVG heavy and the PDF slow
    # to print: they are drawn as an image (axes, lines and text stay vector).
    raster = int(drawn.sum()) > _RASTER_POINTS
    cap_label, judged = _cap_label(result, cap)
    measure = _duration_name(result)

    with _style():
        single = ax is not None
        if single:
            high *= (high / low) ** 0.45  # headroom for the legend, whatever the layout
            figure, panels = ax.figure, [ax] * len(areas)
        else:
            n_columns = 1 if len(areas) == 1 else 2 if len(areas) in (2, 4) else 3
            figure, panels, bottoms = _small_multiples(len(areas), n_columns, 3.6, 1.0)
        fitted_areas = set(_areas(result))
        for index, (area, panel) in enumerate(zip(areas, panels, strict=True)):
            colour, marker, line = _area_style(index)
            mine = area_of == area
            done = mine & ~censored
            within, over = done & (days <= cap) & drawn, done & (days > cap) & drawn
            opened = mine & censored & drawn
            if single:
                panel.scatter(x_all[within], days[within], s=14, marker=marker, color=colour,
                              alpha=0.55, linewidths=0, gid="within",
                              rasterized=raster)
                panel.scatter(x_all[over], days[over], s=26, marker=marker, color=colour,
                              edgecolors=_INK, linewidths=1.0, gid="over",
                              rasterized=raster)
                panel.scatter(x_all[opened], days[opened], s=34, marker="^",
                              facecolors="none", edgecolors=colour, linewidths=1.1, gid="open",
                              rasterized=raster)
            else:
                dense = mine.sum() > 400  # smaller, lighter dots for big histories
                panel.scatter(x_all[within], days[within], s=8 if dense else 14, marker="o",
                              color=_WITHIN, alpha=0.45 if dense else 0.6, linewidths=0,
                              gid="within",
                              rasterized=raster)
                panel.scatter(x_all[over], days[over], s=13 if dense else 22, marker="D",
                              color=_OVER, alpha=0.6 if dense else 0.85, linewidths=0,
                              gid="over",
                              rasterized=raster)
                panel.scatter(x_all[opened], days[opened], s=38, marker="^",
                              facecolors="none", edgecolors=_INK, linewidths=1.1, gid="open",
                              rasterized=raster)
            if area in fitted_areas:
                band = result.predict(newcomer, area, grid)
                if not single or len(areas) <= 2:  # more overlapping bands are a blur
                    panel.fill_between(grid, band["p10_days"], band["p90_days"],
                                       color=colour if single else _BAND,
                                       alpha=0.15 if single else 0.7, linewidth=0, zorder=0,
                                       gid="band")
                panel.plot(grid, band["p50_days"], color=colour if single else _INK,
                           linestyle=line if single else "-", linewidth=2.0, gid="median")
            if not single or index == 0:
                panel.plot(grid, grid, color=_MUTED, linestyle="--", linewidth=1.2,
                           gid="one-point-one-day")
                panel.axhline(cap, color=_OVER, linestyle=":", linewidth=1.8, gid="cap")
            if not single:
                n_over = int((done & (days > cap)).sum())
                panel.set_title(f"{_short(area, 30)}\n{int(mine.sum())} tickets"
                                + (f", {n_over} over the cap ({n_over / max(done.sum(), 1):.0%})"
                                   if judged else f" ({measure})"),
                                fontsize=9.5, loc="left")
        axes_list = [ax] if single else panels
        for panel in axes_list:
            panel.set_xlim(*x_limits)
            panel.set_ylim(low, high)
            _log_axis(panel, "y")
            panel.set_xticks(values, [f"{v:g}" for v in values])
            panel.grid(axis="y", color="#EEEEEE", linewidth=0.8, zorder=-1)
            panel.set_axisbelow(True)
        reference = [
            Line2D([], [], color=_INK, linewidth=2.0, label="fitted median, typical engineer"),
            Patch(color=_BAND, label="80% of tickets, new team member"),
            Line2D([], [], color=_MUTED, linestyle="--", label="1 point = 1 day"),
            Line2D([], [], color=_OVER, linestyle=":", linewidth=1.8,
                   label=cap_label),
        ]
        if single:
            area_keys = [Line2D([], [], color=_area_style(i)[0], marker=_area_style(i)[1],
                                linestyle=_area_style(i)[2], label=a)
                         for i, a in enumerate(areas)]
            marks = [
                Line2D([], [], color=_MUTED, marker="o", markeredgecolor=_INK, linestyle="",
                       label=("over the cap" if judged else f"over {cap:g} days")
                       + " (dark edge)"),
                Line2D([], [], color=_INK, marker="^", markerfacecolor="none", linestyle="",
                       label="open: at least this long"),
                Line2D([], [], color=_INK, linewidth=2.0,
                       label="lines: fitted median, typical engineer"),
                Line2D([], [], color=_MUTED, linestyle="--", label="1 point = 1 day"),
                Line2D([], [], color=_OVER, linestyle=":", linewidth=1.8,
                       label=cap_label),
            ]
            ax.legend(handles=area_keys + marks, fontsize=8, loc="upper left", ncols=2)
            ax.set_xlabel("story points (at start of work; spread sideways)")
            ax.set_ylabel("working days (log scale)")
            ax.set_title("Where points break" if measure == "working days"
                         else f"Where points break ({measure})")
        else:
            marks = [
                Line2D([], [], color=_WITHIN, marker="o", linestyle="", label="finished"),
                Line2D([], [], color=_OVER, marker="D", linestyle="",
                       label="finished over the cap" if judged
                       else f"finished, over {cap:g} days"),
                Line2D([], [], color=_INK, marker="^", markerfacecolor="none", linestyle="",
                       markersize=7, label="open: at least this long"),
            ]
            figure.legend(handles=marks + reference, loc="outside lower center", ncols=4)
            for panel in bottoms:
                panel.set_xlabel("story points (at start of work; spread sideways)")
            figure.supylabel("working days (log scale)", fontsize=10)
            figure.suptitle(f"Where points break: {measure} against story points")
    return figure


# -- 2. overrun map -------------------------------------------------------------
def plot_overrun_map(result, *, points: float = 3, min_tickets: int = 5,
                     ax: Axes | None = None) -> Figure:
    """Engineer x area heatmap of P(a ``points``-point ticket takes more than
    ``points`` working days), from ``result.overrun_probabilities``.

    Each cell shows the percentage. Cells with fewer than ``min_tickets``
    finished tickets are grey, hatched and read "too few tickets" with the
    count, not a number (their estimate leans on the team, and a report
    suppresses it); engineer x area
    pairs without tickets are left blank. Bold: above 1 - the result's
    confidence (the rule fails at the team's confidence). The colour bar
    marks that threshold.
    """
    result = _result(result)
    column = f"p_over_{points:g}"
    table = result.overrun_probabilities(points=(points,))
    engineers, areas = _engineers(result), _areas(result)
    threshold = 1 - result.confidence
    top = float(np.nanmax(table[column])) if len(table) else 0.5
    norm = Normalize(0, max(0.5, math.ceil(top * 10) / 10))
    cmap = mpl.colormaps["YlOrRd"]
    size = _label_size(len(engineers))
    with _style():
        figure, ax = _own_axes(ax, *_grid_size(len(engineers), len(areas)))
        _grid_axes(ax, engineers, areas)
        for row in table.to_dict("records"):
            i, j = engineers.index(str(row["engineer"])), areas.index(str(row["area"]))
            p, n = float(row[column]), int(row["n_finished"])
            if n < min_tickets:
                _cell(ax, i, j, face=_FEW, hatch="////", gid="cell-too-few",
                      text=f"too few tickets ({n})", text_colour=_MUTED, style="italic",
                      size=size - 0.5)
            else:
                face = cmap(norm(p))
                _cell(ax, i, j, face=face, gid="cell", text=f"{p:.0%}",
                      text_colour=_text_colour(face), size=size,
                      weight="bold" if p > threshold else "normal")
        bar = figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.8,
                              aspect=30, pad=0.02, format=FuncFormatter(lambda v, _: f"{v:.0%}"))
        bar.ax.axhline(threshold, color=_INK, linewidth=3)
        bar.set_label(f"chance of more than {points:g} working days\n"
                      f"(black line: {threshold:.0%}, the most that {result.confidence:.0%} "
                      "confidence allows)", fontsize=9)
        bar.outline.set_visible(False)
        measure = _duration_name(result)
        ax.set_title(f"How often a {points:g}-point ticket takes more than {points:g} working "
                     "days" + ("" if measure == "working days" else f" ({measure})"), pad=8)
        ax.set_xlabel(f"hatched: too few tickets (under {min_tickets} finished) · "
                      "blank: no tickets",
                      fontsize=8.5, color=_MUTED)
    return figure


# -- 3. multipliers (forest plot) -----------------------------------------------
def plot_multipliers(result, *, ax: Axes | None = None, cells: bool = True) -> Figure:
    """Forest plot of the multipliers, engineer by engineer.

    One row per engineer (bold: their multiplier on a balanced mix of the
    areas) followed, when ``cells``, by one row per area they worked in.
    Dot = median multiplier, bar = 80% interval (p10-p90); the cross is the
    raw, unpooled ratio (own finished tickets against the team model), with a
    faint line to the dot showing how far pooling moved it. Log x axis, line
    at 1 (the team typical). Engineers are in alphabetical order, not ranked.
    """
    result = _result(result)
    people = result.engineer_multipliers
    cell_table = result.cell_multipliers
    areas = _areas(result)
    rows: list[dict] = []
    for person in people.to_dict("records"):
        rows.append({**person, "label": f"{person['engineer']} ({person['n_finished']})",
                     "kind": "engineer"})
        if cells:
            mine = cell_table[cell_table["engineer"] == person["engineer"]]
            for cell in mine.to_dict("records"):
                rows.append({**cell, "label": f"{cell['area']} ({cell['n_finished']})",
                             "kind": "cell"})
    frame = pd.DataFrame(rows)
    if "area" not in frame:
        frame["area"] = None
    n_rows = len(frame)
    y = np.arange(n_rows, dtype=float)
    size = _label_size(n_rows)
    values = pd.concat([frame["p10"], frame["p90"], frame["raw_ratio"]]).to_numpy(dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    x_low = min(values.min(), 0.9) / 1.15
    x_high = max(values.max(), 1.1) * 1.15
    with _style():
        own = ax is None
        figure, ax = _own_axes(ax, _WIDTH, _rows_height(n_rows, 0.22, 1.6))
        engineer_rows = np.flatnonzero(frame["kind"].to_numpy() == "engineer")
        bounds = [*engineer_rows, n_rows]
        for k in range(0, len(engineer_rows), 2):  # shade every other engineer's group
            ax.axhspan(bounds[k] - 0.5, bounds[k + 1] - 0.5, color="#F2F2F2", zorder=0,
                       linewidth=0)
        ax.axvline(1, color=_MUTED, linestyle="--", linewidth=1.0, zorder=1)
        # Raw ratios just below their row, joined to the pooled median by a
        # faint line: its length is how far pooling moved the estimate.
        raw = frame["raw_ratio"].to_numpy(dtype=float)
        has_raw = np.isfinite(raw)
        below = y[has_raw] + 0.3
        ax.hlines(below, raw[has_raw], frame["median"].to_numpy()[has_raw],
                  color="#999999", linewidth=0.9, linestyle=":", zorder=2, gid="shrinkage")
        ax.plot(raw[has_raw], below, linestyle="", marker="x", markersize=4.5,
                color="#777777", markeredgewidth=1.0, zorder=3, gid="raw",
                label="raw ratio (own tickets only)")
        person = frame["kind"].to_numpy() == "engineer"
        ax.hlines(y[person], frame["p10"][person], frame["p90"][person], color=_INK,
                  linewidth=2.4, zorder=4, gid="engineer-interval")
        ax.plot(frame["median"][person], y[person], linestyle="", marker="o", markersize=7,
                color=_INK, zorder=5, gid="engineer-median")
        for index, area in enumerate(areas):
            colour, marker, _ = _area_style(index)
            mine = (frame["kind"].to_numpy() == "cell") & (frame["area"].to_numpy() == area)
            if not mine.any():
                continue
            ax.hlines(y[mine], frame["p10"][mine], frame["p90"][mine], color=colour,
                      linewidth=1.6, zorder=4, gid="cell-interval")
            ax.plot(frame["median"][mine], y[mine], linestyle="", marker=marker,
                    markersize=5.5, color=colour, markeredgecolor=_INK, markeredgewidth=0.5,
                    zorder=5, gid="cell-median")
        ax.set_ylim(n_rows - 0.5, -0.5)
        ax.set_yticks(y, frame["label"])
        for tick, kind in zip(ax.get_yticklabels(), frame["kind"], strict=True):
            tick.set_fontweight("bold" if kind == "engineer" else "normal")
            tick.set_fontsize(size if kind == "engineer" else size - 0.5)
            tick.set_color(_INK if kind == "engineer" else "#333333")
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(x_low, x_high)
        _log_axis(ax, "x", _multiplier_ticks(x_low, x_high, 7.0), template="×{:g}")
        ax.grid(axis="x", color="#E5E5E5", linewidth=0.8)
        ax.set_axisbelow(True)
        if n_rows > 30:  # a tall figure: the scale at the top as well
            ax.tick_params(axis="x", labeltop=True)
        ax.set_xlabel("multiplier on the team-typical working days (log scale; ×2 = twice "
                      "as long, ×0.5 = half)")
        ax.set_title("Duration multipliers per engineer and area (80% intervals)", pad=10)
        handles = [
            Line2D([], [], color=_INK, marker="o", linewidth=2.4,
                   label="engineer, all areas (median, 80% interval)"),
            *[Line2D([], [], color=_area_style(i)[0], marker=_area_style(i)[1],
                     markeredgecolor=_INK, markeredgewidth=0.5, linewidth=1.6, label=a)
              for i, a in enumerate(areas) if cells],
            Line2D([], [], color="#888888", marker="x", linestyle=":",
                   label="raw ratio (own tickets only)"),
            Line2D([], [], color=_MUTED, linestyle="--", label="team typical (×1)"),
        ]
        legend_columns = min(4, len(handles))
        if own:
            figure.legend(handles=handles, loc="outside lower center", ncols=legend_columns,
                          fontsize=8.5)
        else:
            ax.legend(handles=handles, loc="upper right", fontsize=8)
        ax.text(0.0, -0.5, "(n) = finished tickets", transform=ax.get_yaxis_transform(),
                fontsize=7.5, color=_MUTED, ha="right", va="bottom")
    return figure


# -- 4. recommended sizes -------------------------------------------------------
def plot_recommended_sizes(result, *, cap_days: float | None = None,
                           confidence: float | None = None, min_tickets: int = 5,
                           ax: Axes | None = None) -> Figure:
    """Engineer x area grid of the largest points that fit the cap.

    From ``result.recommended_sizes(cap_days, confidence)``: each cell shows
    the size ("split" when not even the smallest fits). Colours are ordered
    by size: reds below the team's reference (``reference_points``; bold), light grey at
    it, blues above; the colour bar marks the reference. Cells with fewer
    than ``min_tickets`` finished tickets are grey, hatched and read "too
    few tickets", without a size.
    """
    result = _result(result)
    sizes = result.recommended_sizes(cap_days=cap_days, confidence=confidence)
    cap = float(sizes["cap_days"].iloc[0]) if len(sizes) else result.cap_days
    level = float(sizes["confidence"].iloc[0]) if len(sizes) else result.confidence
    reference = float(result.multipliers.model["reference_points"])
    levels = sorted({0.0, reference, *map(float, DEFAULT_POINT_SCALE),
                     *sizes["recommended_points"].astype(float)})
    below = [v for v in levels if v < reference]
    above = [v for v in levels if v > reference]
    reds = LinearSegmentedColormap.from_list("below", ["#67001F", "#D6604D"])
    blues = LinearSegmentedColormap.from_list("above", ["#DCEAF4", "#8FBBDA"])
    colours = ([reds(t) for t in np.linspace(0, 1, len(below))] + ["#F2F2F2"]
               + [blues(t) for t in np.linspace(0, 1, len(above))])
    cmap = ListedColormap(colours)
    norm = BoundaryNorm(np.arange(len(levels) + 1) - 0.5, len(levels))
    engineers, areas = _engineers(result), _areas(result)
    size = _label_size(len(engineers))
    few_seen = False
    with _style():
        figure, ax = _own_axes(ax, *_grid_size(len(engineers), len(areas)))
        _grid_axes(ax, engineers, areas)
        for row in sizes.to_dict("records"):
            i, j = engineers.index(str(row["engineer"])), areas.index(str(row["area"]))
            value = float(row["recommended_points"])
            few = int(row["n_finished"]) < min_tickets
            few_seen |= few
            if few:
                _cell(ax, i, j, face=_FEW, hatch="////", gid="cell-too-few",
                      text=f"too few tickets ({int(row['n_finished'])})", text_colour=_MUTED,
                      style="italic", size=size - 0.5)
                continue
            face = cmap(norm(levels.index(value)))
            text = "split" if value == 0 else f"{value:g}"
            _cell(ax, i, j, face=face, gid="cell", text=text, text_colour=_text_colour(face),
                  weight="bold" if value < reference else "normal", size=size + 1)
        bar = figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.8,
                              aspect=30, pad=0.02, ticks=np.arange(len(levels)))
        bar.set_ticklabels([("split (0)" if v == 0 else f"{v:g}")
                            + (" ← team reference" if v == reference else "") for v in levels])
        bar.ax.tick_params(labelsize=8.5, length=0)
        bar.set_label("largest story points", fontsize=9)
        bar.outline.set_visible(False)
        measure = _duration_name(result)
        ax.set_title(f"Largest ticket that fits {cap:g} working days"
                     + ("" if measure == "working days" else f" of {measure}")
                     + f" with {level:.0%} confidence", pad=8)
        note = f"bold/red: below the team's {reference:g}-point reference"
        if few_seen:
            note += f" · hatched: too few tickets (under {min_tickets} finished)"
        ax.set_xlabel(note, fontsize=8.5, color=_MUTED)
    return figure


# -- 5. elasticity ----------------------------------------------------------------
def plot_elasticity(result, table, *, ax: Axes | None = None) -> Figure:
    """Median working days per points value against proportional growth, per area.

    Dots: the median actual working days of the finished tickets at each
    points value (bars: the middle half, 25th-75th percentile). Dashed: days
    proportional to points, through the median at the reference points (the
    fitted one when an area has no finished tickets of that size). Solid: the
    fitted median of a typical engineer (``result.predict`` for an unseen
    engineer), with the
    elasticity and its 90% interval in the legend. Log-log axes, so
    proportional growth is a 45° line and the fitted line's slope is the
    elasticity. 0-point tickets are left out (no place on a log axis).
    """
    result = _result(result)
    tickets = _ticket_frame(table)
    finished = tickets[~tickets["censored"].astype(bool) & (tickets["points"] > 0)]
    areas = _areas(result)
    elasticity = result.elasticity.set_index("area")
    reference = float(result.multipliers.model["reference_points"])
    newcomer = _unseen_engineer(result)
    values = np.unique(finished["points"].to_numpy(dtype=float))
    if not len(values):
        values = np.array([reference])
    grid = np.geomspace(values.min(), values.max(), 60) if len(values) > 1 else values
    with _style():
        single = ax is not None
        if single:
            figure, panels = ax.figure, [ax] * len(areas)
        else:
            n_columns = 1 if len(areas) == 1 else 2 if len(areas) in (2, 4) else 3
            figure, panels, bottoms = _small_multiples(len(areas), n_columns, 3.2, 1.0)
        y_values: list[float] = []
        for index, (area, panel) in enumerate(zip(areas, panels, strict=True)):
            colour, marker, line = _area_style(index)
            mine = finished[finished["area"].astype(str) == area]
            stats = mine.groupby("points")["duration_days"].describe()
            fitted = result.predict(newcomer, area, grid)["p50_days"].to_numpy()
            if reference in stats.index:
                anchor = float(stats.loc[reference, "50%"])
            else:
                anchor = float(result.predict(newcomer, area, reference)["p50_days"].iloc[0])
            proportional = anchor * grid / reference
            row = elasticity.loc[area]
            shared = " shared" if bool(row.get("shared", False)) else ""
            name = f"{area}: " if single else ""
            fitted_label = (f"{name}fitted{shared} elasticity {row['elasticity']:.2f} "
                            f"(90% interval {row['ci_low']:.2f}–{row['ci_high']:.2f})")
            panel.plot(grid, proportional, color=colour if single else _MUTED,
                       linestyle="--", linewidth=1.2, gid="proportional")
            fitted_line = panel.plot(grid, fitted, color=colour, linestyle=line if single else "-",
                                     linewidth=2.2, gid="fitted", label=fitted_label)[0]
            if len(stats):
                panel.errorbar(stats.index.to_numpy(dtype=float), stats["50%"],
                               yerr=[stats["50%"] - stats["25%"], stats["75%"] - stats["50%"]],
                               fmt=marker, color=colour, markeredgecolor=_INK,
                               markeredgewidth=0.6, markersize=7, elinewidth=1.0, capsize=3,
                               gid="medians")
                y_values += [*stats["25%"], *stats["75%"]]
            y_values += [*fitted, *proportional]
            if not single:
                panel.set_title(f"{_short(area, 30)} ({len(mine)} finished)", fontsize=10,
                                loc="left")
                panel.legend(handles=[fitted_line], loc="upper left", fontsize=8.5)
        y_low, y_high = min(y_values) / 1.3, max(y_values) * 1.3
        for panel in [ax] if single else panels:
            panel.set_xlim(values.min() / 1.25, values.max() * 1.25)
            panel.set_ylim(y_low, y_high)
            _log_axis(panel, "x", list(values))
            _log_axis(panel, "y")
            panel.grid(color="#EEEEEE", linewidth=0.8)
            panel.set_axisbelow(True)
        common = [
            Line2D([], [], color=_MUTED, marker="o", markeredgecolor=_INK, linestyle="",
                   label="median of finished tickets (bar: middle half)"),
            Line2D([], [], color=_MUTED, linestyle="--",
                   label=f"proportional: days ∝ points, through the {reference:g}-point "
                         "median"),
        ]
        if single:
            handles, _ = ax.get_legend_handles_labels()
            ax.legend(handles=handles + common, loc="upper left", fontsize=8)
            ax.set_xlabel("story points (log scale)")
            ax.set_ylabel("median working days (log scale)")
            ax.set_title(f"How {_grows(result)} with story points")
        else:
            figure.legend(handles=common, loc="outside lower center", ncols=2)
            for panel in bottoms:
                panel.set_xlabel("story points (log scale)")
            figure.supylabel("median working days, finished tickets (log scale)", fontsize=10)
            figure.suptitle(f"How {_grows(result)} with story points "
                            "(elasticity 1 = proportional)")
    return figure


# -- 6. calibration (backtest) ------------------------------------------------------
def plot_calibration(backtest_result, *, axes: Sequence[Axes] | None = None) -> Figure:
    """Two panels from a :class:`~calibrate.backtest.BacktestResult`.

    Left: coverage of the 50/80/90% intervals against the nominal level,
    one line per model, with the diagonal (perfect calibration). Right: the
    PIT histogram per model (share of scored tickets per tenth of the
    predictive distribution, as step lines) with the flat line of a
    calibrated model.
    """
    summary = backtest_result.scores_by_model()
    histogram = backtest_result.pit_histogram()
    levels = [int(c.split("_")[1]) for c in summary.columns if c.startswith("coverage_")]
    edges = np.r_[histogram.index.left.to_numpy(dtype=float),
                  histogram.index.right.to_numpy(dtype=float)[-1]]
    with _style():
        if axes is None:
            figure = _figure(_WIDTH, 4.6)
            left, right = figure.subplots(1, 2)
        else:
            left, right = axes
            figure = left.figure
        left.plot([0, 100], [0, 100], color=_MUTED, linestyle="-", linewidth=1.0,
                  gid="diagonal", label="perfectly calibrated")
        for number, model in enumerate(summary.index):
            colour, marker, line = _MODEL_STYLE.get(model, _area_style(number))
            coverage = [100 * summary.loc[model, f"coverage_{level}"] for level in levels]
            left.plot(levels, coverage, color=colour, marker=marker, linestyle=line,
                      linewidth=1.8, markersize=7, markeredgecolor=_INK, markeredgewidth=0.5,
                      label=model, gid="coverage")
            right.stairs(100 * histogram[model].to_numpy(), 100 * edges, baseline=None,
                         color=colour, linestyle=line, linewidth=1.8, label=model, gid="pit")
        lowest = float(np.nanmin(summary[[f"coverage_{v}" for v in levels]])) * 100
        low = max(0, 10 * math.floor(min(min(levels) - 10, lowest - 5) / 10))
        left.set_xlim(low, 100)
        left.set_ylim(low, 100)
        left.set_xticks(levels, [f"{v}%" for v in levels])
        left.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}%"))
        left.set_aspect("equal", adjustable="box")
        left.grid(color="#EEEEEE", linewidth=0.8)
        left.set_xlabel("promised: the interval should hold this share")
        left.set_ylabel("delivered: share of later tickets inside")
        n_scored = int(summary["n_scored"].max()) if len(summary) else 0
        left.set_title(f"Do the intervals hold? ({n_scored} tickets scored)")
        left.legend(loc="upper left", fontsize=8.5)
        flat = 100 / len(histogram)
        right.axhline(flat, color=_INK, linestyle=":", linewidth=1.4, gid="flat",
                      label="calibrated (flat)")
        right.set_xlim(0, 100)
        right.set_ylim(0, max(float(histogram.to_numpy().max()) * 100 * 1.15, flat * 2))
        right.set_xticks(np.linspace(0, 100, 6), [f"{v:g}%" for v in np.linspace(0, 100, 6)])
        right.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}%"))
        right.set_xlabel("where the actual duration fell in the predicted range\n"
                         "(0% = at the short end, 100% = at the long end)")
        right.set_ylabel("share of tickets")
        right.set_title("Calibration profile (PIT histogram)")
        right.legend(loc="upper center", fontsize=8.5, ncols=2)
    return figure


# -- 7. drift ---------------------------------------------------------------------
def plot_drift(drift_result, *, min_tickets: int = 5, ax: Axes | None = None) -> Figure:
    """Each engineer's multiplier over successive windows, from a
    :class:`~calibrate.backtest.DriftResult`.

    Median multiplier per window (line and markers) with its 80% interval
    (p10-p90, shaded band), log y axis, line at 1. Without ``ax``: one small
    panel per engineer (shared axes); with ``ax``: every engineer on it,
    dodged sideways, error bars for the intervals. Hollow markers: windows in
    which the engineer finished fewer than ``min_tickets`` tickets.
    """
    frame = drift_result.multipliers.copy()
    frame["engineer"] = frame["engineer"].astype(str)
    windows = (frame.groupby("window")[["window_start", "window_end"]].agg(
        {"window_start": "min", "window_end": "max"}).sort_index())
    numbers = windows.index.to_numpy()
    labels = [f"{w.window_start:%b ’%y}–\n{w.window_end:%b ’%y}" for w in windows.itertuples()]
    engineers = sorted(frame["engineer"].unique())
    values = frame[["p10", "p90"]].to_numpy(dtype=float)
    y_low = min(float(np.nanmin(values)), 0.9) / 1.1
    y_high = max(float(np.nanmax(values)), 1.1) * 1.1
    with _style():
        single = ax is not None
        if single:  # headroom for the legend
            y_high *= (y_high / y_low) ** (0.12 * math.ceil(len(engineers) / 4))
        if single:
            figure = ax.figure
            panels = [ax] * len(engineers)
        else:
            n_columns = min(len(engineers), 4 if len(engineers) <= 16 else 5)
            figure, panels, bottoms = _small_multiples(len(engineers), n_columns, 2.0, 1.3)
            step = max(1, math.ceil(len(numbers) * n_columns / 20))  # labels that fit
            labels = [label if k % step == 0 else "" for k, label in enumerate(labels)]
        spread = 0.5 / max(len(engineers), 1)
        for index, (engineer, panel) in enumerate(zip(engineers, panels, strict=True)):
            mine = frame[frame["engineer"] == engineer].set_index("window").reindex(numbers)
            x = numbers.astype(float)
            if single:
                colour, marker, line = _series_style(index)
                x = x + (index - (len(engineers) - 1) / 2) * spread
                panel.errorbar(x, mine["median"], yerr=[mine["median"] - mine["p10"],
                                                        mine["p90"] - mine["median"]],
                               color=colour, marker=marker, linestyle=line, linewidth=1.5,
                               markersize=6, capsize=2, elinewidth=1.0, label=engineer,
                               markeredgecolor=_INK, markeredgewidth=0.5, gid="drift")
            else:
                panel.fill_between(x, mine["p10"], mine["p90"], color=_BAND, linewidth=0,
                                   gid="drift-band")
                panel.vlines(x, mine["p10"], mine["p90"], color="#999999", linewidth=1.0,
                             gid="drift-interval")
                panel.plot(x, mine["median"], color=_AREA_COLOURS[0], linewidth=1.8,
                           gid="drift", label=engineer)
                few = (mine["n_finished"] < min_tickets).to_numpy()
                panel.plot(x[~few], mine["median"][~few], color=_AREA_COLOURS[0], marker="o",
                           markersize=5, linestyle="")
                panel.plot(x[few], mine["median"][few], color=_AREA_COLOURS[0], marker="o",
                           markersize=5, linestyle="", markerfacecolor="white")
                panel.set_title("\n".join(textwrap.wrap(engineer, 24)[:2]),
                                fontsize=9 if n_columns > 4 else 9.5)
            if not single or index == 0:
                panel.axhline(1, color=_MUTED, linestyle="--", linewidth=1.0, gid="one")
        for panel in [ax] if single else panels:
            panel.set_xlim(numbers.min() - 0.5, numbers.max() + 0.5)
            panel.set_ylim(y_low, y_high)
            _log_axis(panel, "y", _multiplier_ticks(y_low, y_high, 6.0 if single else 1.5),
                      template="×{:g}")
            panel.set_xticks(numbers, labels, fontsize=7.5 if not single else 8.5)
            panel.grid(axis="y", color="#EEEEEE", linewidth=0.8)
            panel.set_axisbelow(True)
        if single:
            ax.legend(loc="upper left", fontsize=8, ncols=min(4, len(engineers)))
            ax.set_xlabel("period (tickets by start of work)")
            ax.set_ylabel("multiplier (log scale; ×1 = team typical)")
            ax.set_title("Multipliers over time (median, 80% interval)")
        else:
            figure.legend(handles=[
                Line2D([], [], color=_AREA_COLOURS[0], marker="o", label="median multiplier"),
                Patch(color=_BAND, label="80% interval"),
                Line2D([], [], color=_AREA_COLOURS[0], marker="o", markerfacecolor="white",
                       linestyle="", label=f"fewer than {min_tickets} finished tickets"),
                Line2D([], [], color=_MUTED, linestyle="--", label="team typical (×1)"),
            ], loc="outside lower center", ncols=4)
            for panel in bottoms:
                panel.set_xlabel("period (by start of work)", fontsize=9)
            figure.supylabel("multiplier (log scale; ×1 = team typical)", fontsize=10)
            figure.suptitle("Multipliers over time (periods hold equal numbers of tickets)")
    return figure


# -- 8. data quality ------------------------------------------------------------
def plot_data_quality(table, *, min_tickets: int = 5,
                      axes: Sequence[Axes] | None = None,
                      engineers: Sequence[str] | None = None) -> Figure:
    """Two panels from a :class:`~calibrate.tickets.TicketTable`.

    Left: rows kept and rows excluded per reason (horizontal bars with the
    counts). Right: tickets (finished and open) per engineer x area as a
    count grid (only ``engineers``, when given); cells with fewer than
    ``min_tickets`` are hatched.
    """
    tickets = _ticket_frame(table)
    excluded = (table.exclusion_counts() if hasattr(table, "exclusion_counts")
                else pd.Series(dtype=int))
    rows_read = int(getattr(table, "rows_read", len(tickets)))
    bars = pd.concat([pd.Series({"kept (used in the model)": len(tickets)}),
                      excluded.astype(int).rename(lambda reason: f"excluded: {reason}")])
    grid_tickets = tickets if engineers is None else tickets[
        tickets["engineer"].astype(str).isin(set(map(str, engineers)))]
    counts = (grid_tickets.assign(engineer=grid_tickets["engineer"].astype(str),
                                  area=grid_tickets["area"].astype(str))
              .groupby(["engineer", "area"]).size())
    engineers = sorted(counts.index.get_level_values(0).unique())
    areas = sorted(counts.index.get_level_values(1).unique())
    with _style():
        bars_height = 1.1 + 0.34 * len(bars)
        grid_height = _rows_height(len(engineers), 0.32, 1.7)
        slots = max(len(bars), 3)
        if axes is None and len(engineers) <= 12 and len(areas) <= 4:  # side by side
            figure = _figure(_WIDTH, max(grid_height, bars_height))
            left, right = figure.subplots(1, 2, width_ratios=[1, 1.15])
            slots = max(slots, round((max(grid_height, bars_height) - 1.1) / 0.34))
        elif axes is None:  # the grid needs the full width
            figure = _figure(_WIDTH, bars_height + grid_height)
            left, right = figure.subplots(2, 1, height_ratios=[bars_height, grid_height])
        else:
            left, right = axes
            figure = left.figure
        y = np.arange(len(bars))
        colours = [_AREA_COLOURS[0]] + [_AREA_COLOURS[2]] * (len(bars) - 1)
        left.barh(y, bars.to_numpy(), color=colours, height=0.65, gid="rows")
        for position, value in zip(y, bars.to_numpy(), strict=True):
            share = value / max(rows_read, 1)
            percent = "<1%" if 0 < share < 0.005 else f"{share:.0%}"
            left.text(value, position, f" {value} ({percent})",
                      va="center", ha="left", fontsize=9, color=_INK, gid="count")
        left.set_yticks(y, bars.index)
        left.set_ylim(slots - 0.5, -0.5)  # bars of one thickness, from the top
        left.set_xlim(0, bars.max() * 1.3 if len(bars) else 1)
        left.tick_params(axis="y", length=0)
        left.set_xlabel("rows of the export")
        left.set_title(f"{rows_read} rows read: {len(tickets)} kept, "
                       f"{rows_read - len(tickets)} left out")
        grid_max = int(counts.max()) if len(counts) else 1
        norm = Normalize(0, grid_max)
        cmap = LinearSegmentedColormap.from_list("counts", ["#EEF3F8", "#2F5F8A"])
        _grid_axes(right, engineers, areas)
        size = _label_size(len(engineers))
        for (engineer, area), count in counts.items():
            i, j = engineers.index(engineer), areas.index(area)
            if count < min_tickets:
                _cell(right, i, j, face=_FEW, hatch="////", gid="count-cell", text=f"{count}",
                      text_colour=_MUTED, style="italic", size=size)
            else:
                face = cmap(norm(count))
                _cell(right, i, j, face=face, gid="count-cell", text=f"{count}",
                      text_colour=_text_colour(face), size=size)
        right.set_title("Tickets per engineer and area", pad=8)
        right.set_xlabel(f"finished and open · hatched: fewer than {min_tickets} · blank: none",
                         fontsize=8.5, color=_MUTED)
    return figure

"""How every figure looks: palette, rc style, figure sizes, shared axes helpers.

A colour-blind-safe palette whose colours also differ in lightness, with
markers and line styles carrying the same information, so the figures read
in greyscale print; figure heights and label sizes grow with the number of
engineers; widths are 10-11 inches (a 1200-pixel page at 100 dpi).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

# Paul Tol's colour-blind-safe colours; the first four are also spread in
# lightness (greyscale 55, 172, 117, 144 of 255). Always paired with a marker
# and a line style, which carry the distinction in print.
AREA_COLOURS = ("#004488", "#DDAA33", "#BB5566", "#6699CC", "#228833", "#999933")
AREA_MARKERS = ("o", "s", "^", "D", "v", "P")
AREA_LINES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (1, 1)))
MODEL_STYLE = {
    "calibrate": ("#004488", "o", "-"),
    "team only": ("#BB5566", "s", "--"),
    "1 point = 1 day": ("#DDAA33", "^", ":"),
    "EBS ratios": ("#000000", "D", "-."),
}
INK = "#222222"
MUTED = "#666666"
BAND = "#D9D9D9"
OVER = "#994455"           # overruns and the cap
WITHIN = "#6699CC"         # tickets within the cap
FEW = "#F0F0F0"            # cells with too few tickets
#: More dots than this in one plot are drawn as an image inside the SVG.
RASTER_POINTS = 1500
WIDTH = 11.0               # inches; 1100 px at 100 dpi

_RC = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": MUTED,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "xtick.color": INK,
    "ytick.color": INK,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "figure.titlesize": 12,
    "figure.titleweight": "bold",
    "hatch.linewidth": 0.6,
}


@contextmanager
def applied() -> Iterator[None]:
    """The figures' rc settings, for the drawing done inside it."""
    with mpl.rc_context(_RC):
        yield


def new_figure(width: float, height: float) -> Figure:
    """A figure made directly, never through ``pyplot``: no global state."""
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def own_axes(ax: Axes | None, width: float, height: float) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    figure = new_figure(width, height)
    return figure, figure.add_subplot()


def small_multiples(n: int, n_columns: int, panel_height: float,
                    extra_height: float) -> tuple[Figure, list[Axes], list[Axes]]:
    """A figure of n panels with shared axes; returns it, the panels, and the
    panels at the bottom of their column (those that show x tick labels)."""
    n_rows = math.ceil(n / n_columns)
    figure = new_figure(WIDTH, extra_height + panel_height * n_rows)
    flat = figure.subplots(n_rows, n_columns, sharex=True, sharey=True, squeeze=False).ravel()
    for spare in flat[n:]:
        spare.set_visible(False)
    panels = list(flat[:n])
    bottoms = [panel for index, panel in enumerate(panels) if index + n_columns >= n]
    for panel in bottoms:
        panel.xaxis.set_tick_params(labelbottom=True)
    return figure, panels, bottoms


def area_panels(n_areas: int, panel_height: float) -> tuple[Figure, list[Axes], list[Axes]]:
    """:func:`small_multiples` of one panel per area (1, 2 or 3 columns)."""
    n_columns = 1 if n_areas == 1 else 2 if n_areas in (2, 4) else 3
    return small_multiples(n_areas, n_columns, panel_height, 1.0)


def finish_panels(figure: Figure, panels: Sequence[Axes], bottoms: Sequence[Axes], *,
                  scale: Callable[[Axes], None], legend: list, ncols: int, xlabel: str,
                  ylabel: str, title: str, xlabel_size: float | None = None) -> None:
    """Give every panel of a small-multiples figure the same scales
    (``scale(panel)``), then the shared legend (below the panels), axis
    labels (x on the bottom panels) and title."""
    for panel in panels:
        scale(panel)
    figure.legend(handles=legend, loc="outside lower center", ncols=ncols)
    size = {} if xlabel_size is None else {"fontsize": xlabel_size}
    for panel in bottoms:
        panel.set_xlabel(xlabel, **size)
    figure.supylabel(ylabel, fontsize=10)
    figure.suptitle(title)


def label_size(n_rows: int) -> float:
    """Tick-label font size for a list of n names (smaller for long lists)."""
    return 10.0 if n_rows <= 12 else 9.0 if n_rows <= 25 else 8.0


def rows_height(n_rows: int, per_row: float, extra: float, minimum: float = 3.5) -> float:
    return max(minimum, extra + per_row * n_rows)


def short(name: str, width: int = 26) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def area_style(index: int) -> tuple[str, str, object]:
    k = index % len(AREA_COLOURS)
    return AREA_COLOURS[k], AREA_MARKERS[k], AREA_LINES[k]


def series_style(index: int) -> tuple[str, str, object]:
    """Style of the index-th of many series: colour, marker and line style
    cycle with an offset per lap, so no two of the first 36 look alike."""
    n = len(AREA_COLOURS)
    lap = index // n
    return (AREA_COLOURS[index % n], AREA_MARKERS[(index + lap) % n],
            AREA_LINES[(index + 2 * lap) % n])


def log_axis(ax: Axes, axis: str, ticks: Sequence[float] | None = None,
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


def multiplier_ticks(low: float, high: float, length_inches: float) -> list[float]:
    """The finest tick set for a log multiplier axis whose labels stay at
    least 0.2 inch apart on an axis this long."""
    span = math.log(high / low)
    for ticks in _MULTIPLIER_TICKS:
        inside = [t for t in ticks if low <= t <= high]
        gaps = np.diff(np.log(inside)) / span * length_inches
        if len(inside) < 2 or gaps.min() >= 0.2:
            return inside
    return inside


def text_colour(rgba) -> str:
    red, green, blue = rgba[:3]
    return "white" if 0.299 * red + 0.587 * green + 0.114 * blue < 0.5 else INK


def grid_axes(ax: Axes, rows: Sequence[str], columns: Sequence[str]) -> None:
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
                  ["\n".join(textwrap.wrap(short(c, 28), wrap, break_long_words=False)) or c
                   for c in columns])
    ax.set_yticks(np.arange(len(rows)) + 0.5, rows)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    ax.tick_params(axis="y", labelsize=label_size(len(rows)))
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_aspect("auto")


def grid_size(n_rows: int, n_columns: int) -> tuple[float, float]:
    width = min(WIDTH, max(10.0, 4.0 + 1.5 * n_columns))
    return width, rows_height(n_rows, 0.32, 1.9)


def cell(ax: Axes, row: int, column: int, *, face, text: str, gid: str,
         hatch: str | None = None, text_colour: str = INK, weight: str = "normal",
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


def few_cell(ax: Axes, row: int, column: int, n: int, size: float) -> None:
    """A cell resting on too few finished tickets: grey, hatched, no number."""
    cell(ax, row, column, face=FEW, hatch="////", gid="cell-too-few",
         text=f"too few tickets ({n})", text_colour=MUTED, style="italic", size=size - 0.5)

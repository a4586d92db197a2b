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
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.textpath import text_to_path
from matplotlib.ticker import FuncFormatter, Locator, NullFormatter, NullLocator

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
    # Names and areas are the team's text, not maths: "a $x^2$ b" is drawn as
    # typed, and a lone or malformed "$" cannot crash the drawing.
    "text.parse_math": False,
    "text.usetex": False,
}


@contextmanager
def applied() -> Iterator[None]:
    """The figures' rc settings, for the drawing done inside it."""
    with mpl.rc_context(_RC):
        yield


def plain_text(*artists: Artist) -> None:
    """Draw every text under ``artists`` (figures, axes) as it reads.

    :func:`applied` makes the texts created inside it plain, but not those
    of axes made before it (a caller's ``ax``: its title and axis labels)
    nor tick labels, which matplotlib creates as it needs them; so every
    plot ends with this, over the axes it drew on.
    """
    for artist in artists:
        for ax in artist.axes if isinstance(artist, Figure) else [artist]:
            for axis in (ax.xaxis, ax.yaxis):
                # Create the tick labels needed now, so they can be made plain.
                axis.get_major_ticks(len(axis.get_majorticklocs()))
                axis.get_minor_ticks(len(axis.get_minorticklocs()))
        for text in artist.findobj(Text):
            text.set_parse_math(False)
            text.set_usetex(False)


def new_figure(width: float, height: float) -> Figure:
    """A figure made directly, never through ``pyplot``: no global state."""
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _default_margins(figure: Figure) -> bool:
    params = figure.subplotpars
    return all(getattr(params, side) == mpl.rcParams[f"figure.subplot.{side}"]
               for side in ("left", "right", "bottom", "top", "wspace", "hspace"))


def own_axes(ax: Axes | None, width: float, height: float) -> tuple[Figure, Axes]:
    """``ax`` (see :func:`fit_layout`) and its figure, or a new figure's single axes."""
    if ax is None:
        figure = new_figure(width, height)
        return figure, figure.add_subplot()
    fit_layout(ax)
    return ax.figure, ax


def fit_layout(*axes: Axes) -> None:
    """Give a caller's figure that has no layout of its own (no layout
    engine, the default margins, ``axes`` subplots) constrained layout: its
    fixed margins would cut long names and labels off at the figure's edge."""
    figure = axes[0].figure
    figure = figure if isinstance(figure, Figure) else figure.figure  # a subfigure's
    if (figure.get_layout_engine() is None and _default_margins(figure)
            and all(ax.get_subplotspec() is not None for ax in axes)):
        figure.set_layout_engine("constrained")


def fit(ax: Axes, text: str, size: float | None = None) -> str:
    """``text`` broken at spaces into lines as wide as ``ax`` (a title or
    axis label in font ``size``, by default the axes title's).

    Done when the text is set rather than by matplotlib's ``wrap``, which
    wraps against the figure's edge from the text's position before layout
    and so mixes badly with constrained layout. A figure of the displays'
    own width never needs it; a caller's small ``ax`` does.
    """
    size = float(size if size is not None else mpl.rcParams["axes.titlesize"]
                 if isinstance(mpl.rcParams["axes.titlesize"], (int, float)) else 11.0)
    inches = ax.bbox.width / ax.figure.dpi
    figure_inches = ax.figure.bbox.width / ax.figure.dpi
    if figure_inches < 0.7 * WIDTH:  # a small figure: its layout will narrow the axes
        inches = min(inches, 0.6 * figure_inches)
    width = max(16, int(inches / (0.58 * size / 72)))  # DejaVu Sans: ~0.58 em a character
    return "\n".join(textwrap.fill(line, width, break_long_words=False) or line
                      for line in str(text).split("\n"))


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


def name_width(ax: Axes, size: float = 10.0) -> int:
    """How many characters of a row label fit in about a third of ``ax``'s
    figure (26 on the displays' own figures; fewer on a caller's small one)."""
    inches = ax.figure.bbox.width / ax.figure.dpi
    return int(min(26, max(12, 0.3 * inches / (0.58 * size / 72))))


def short(name: str, width: int = 26) -> str:
    name = str(name)
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


class SpacedLocator(Locator):
    """Ticks from ``candidates`` (most wanted first) whose labels do not
    collide.

    Chosen when the axis is drawn, from its length then and its labels'
    extents in its font, so a small or shrunk axes shows fewer ticks
    rather than overlapping labels (×0.67×0.8). A candidate is taken when
    its label keeps ``gap`` points clear of those already taken; ticks whose
    label would be centred on the axis' ends are left out (they stick out).
    """

    def __init__(self, candidates: Sequence[float], gap: float = 7.0):
        self.candidates = [float(c) for c in candidates]
        self.gap = gap
        # An axis asks for its ticks several times a draw, with the same
        # view, length and font: measuring the labels once is enough.
        self._last: tuple[tuple, list[float]] | None = None

    def _label_size(self) -> float:
        try:  # the tick labels' own size (a caller's axes may use another)
            return float(self.axis.majorTicks[0].label1.get_fontsize())
        except (AttributeError, IndexError):
            return float(mpl.rcParams["xtick.labelsize"] if isinstance(
                mpl.rcParams["xtick.labelsize"], (int, float)) else 9.0)

    def __call__(self) -> list[float]:
        low, high = self.axis.get_view_interval()
        return self.tick_values(low, high)

    def tick_values(self, vmin: float, vmax: float) -> list[float]:
        low, high = sorted((vmin, vmax))
        axis = self.axis
        if axis is None:
            return [c for c in self.candidates if low <= c <= high]
        transform = axis.get_transform()
        ends = transform.transform([low, high])
        if not np.all(np.isfinite(ends)) or ends[1] == ends[0]:
            return [c for c in self.candidates if low <= c <= high]
        horizontal = axis.axis_name == "x"
        box = axis.axes.bbox
        pixels = box.width if horizontal else box.height
        dpi = axis.axes.figure.dpi
        size = self._label_size()
        formatter = axis.get_major_formatter()
        key = (low, high, tuple(ends), pixels, dpi, size, horizontal, id(formatter))
        if self._last is not None and self._last[0] == key:
            return list(self._last[1])
        ticks = self._spaced(low, high, ends, horizontal, pixels, dpi, size, formatter, transform)
        self._last = (key, ticks)
        return list(ticks)

    def _spaced(self, low, high, ends, horizontal, pixels, dpi, size, formatter,
                transform) -> list[float]:
        font = FontProperties(size=size)
        taken: list[tuple[float, float, float]] = []
        for value in self.candidates:
            if not low <= value <= high:
                continue
            where = (transform.transform([value])[0] - ends[0]) / (ends[1] - ends[0])
            if not 0.015 <= where <= 0.985:
                continue
            centre = where * pixels
            label = formatter(value, None)
            if horizontal:
                extent = text_to_path.get_text_width_height_descent(label, font, ismath=False)[0]
            else:
                extent = size * (label.count("\n") + 1)
            half = (extent + self.gap) / 2 * dpi / 72
            if all(centre + half <= start or centre - half >= end for start, end, _ in taken):
                taken.append((centre - half, centre + half, value))
        return sorted(value for _, _, value in taken)


#: Multiplier ticks, most wanted first: the doublings, then the thirds and
#: halves between them, then finer steps where the axis is long enough.
MULTIPLIER_TICKS = (1, 2, 0.5, 4, 0.25, 8, 0.125, 10, 0.1, 3, 0.33, 1.5, 0.67, 6, 0.2, 5,
                    20, 0.05, 50, 1.25, 0.8, 2.5, 0.4, 15, 30, 0.75, 1.33, 12, 0.3, 0.15)


def points_ticks(values: Sequence[float]) -> list[float]:
    """Points ticks, most wanted first: the planning-poker sizes, then the
    other values (ascending)."""
    poker = (1, 2, 3, 5, 8, 13, 20, 40, 100, 0.5, 0)
    values = [float(v) for v in values]
    return ([float(v) for v in poker if v in values]
            + [v for v in sorted(values) if v not in poker])


def spaced_axis(target, ticks: Sequence[float], label: Callable[[float], str]) -> None:
    """Ticks at ``ticks`` (most wanted first) whose labels do not collide,
    labelled ``label(value)``; no minor ticks."""
    target.set_major_locator(SpacedLocator(ticks))
    target.set_major_formatter(FuncFormatter(lambda v, _: label(v)))
    target.set_minor_locator(NullLocator())
    target.set_minor_formatter(NullFormatter())


def log_axis(ax: Axes, axis: str, ticks: Sequence[float] | None = None,
             template: str | Callable[[float], str] = "{:g}") -> None:
    """Log scale with plain-number tick labels (1, 2, 5, 10 ...) that do
    not collide; ``ticks``: the candidates, most wanted first; ``template``:
    a format string or a function of the value."""
    getattr(ax, f"set_{axis}scale")("log")
    target = ax.xaxis if axis == "x" else ax.yaxis
    low, high = (ax.get_xlim() if axis == "x" else ax.get_ylim())
    if ticks is None:
        decades = range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1)
        ticks = [m * 10.0**d for m in (1, 2, 5) for d in decades]
    spaced_axis(target, ticks, template if callable(template) else template.format)


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
    width = name_width(ax, label_size(len(rows)))
    ax.set_yticks(np.arange(len(rows)) + 0.5, [short(r, width) for r in rows])
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
        # Clipped to the grid and left out of the layout: on a small axes a
        # long "too few tickets" may overrun its cell, never the figure's edge.
        label = ax.text(column + 0.5, row + 0.5, text, ha="center", va="center",
                        color=text_colour, fontsize=size, fontweight=weight, fontstyle=style,
                        gid=f"{gid}-text", clip_on=True, in_layout=False)
        if hatch:  # keep the label readable over the hatching
            label.set_bbox({"facecolor": face, "edgecolor": "none", "pad": 1.0})


def few_cell(ax: Axes, row: int, column: int, n: int, size: float) -> None:
    """A cell resting on too few finished tickets: grey, hatched, no number."""
    cell(ax, row, column, face=FEW, hatch="////", gid="cell-too-few",
         text=f"too few tickets ({n})", text_colour=MUTED, style="italic", size=size - 0.5)

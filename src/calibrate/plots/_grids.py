"""Engineer x area grids: the overrun map and the recommended ticket sizes."""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import BoundaryNorm, LinearSegmentedColormap, ListedColormap, Normalize
from matplotlib.ticker import FuncFormatter

from calibrate._names import too_few
from calibrate.plots import _data, _style
from calibrate.results import DEFAULT_POINT_SCALE

__all__ = ["OverrunMapDisplay", "RecommendedSizesDisplay"]


def _colour_bar(figure, ax: Axes, norm, cmap, **options):
    bar = figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.8, aspect=30,
                          pad=0.02, **options)
    bar.outline.set_visible(False)
    return bar


def _grid(ax: Axes | None, engineers: list[str], areas: list[str]):
    """``ax``, or the axes of a new figure sized to the grid, set up as the
    engineer x area grid; and its figure."""
    figure, ax = _style.own_axes(ax, *_style.grid_size(len(engineers), len(areas)))
    _style.grid_axes(ax, engineers, areas)
    return figure, ax


def _in_measure(measure: str, joint: str) -> str:
    """" (lead time)" or " of lead time" after a title; nothing for working days."""
    return "" if measure == "working days" else joint.format(measure)


@dataclass(kw_only=True, eq=False, repr=False)
class OverrunMapDisplay:
    """Engineer x area heatmap of P(a ``points``-point ticket takes more than
    ``points`` working days).

    Each cell shows the percentage. Cells with fewer than ``min_tickets``
    finished tickets are grey, hatched and read "too few tickets" with the
    count, not a number (their estimate leans on the team, and a report
    suppresses it); engineer x area pairs without tickets are left blank.
    Bold: above 1 - the result's confidence (the rule fails at the team's
    confidence). The colour bar marks that threshold.

    ``from_result`` reads the probabilities; ``plot`` draws them and sets ``figure_``
    and ``ax_`` (the grid: the colour bar has axes of its own).
    """

    #: One row per engineer x area: ``engineer``, ``area``, ``p_over``, ``n_finished``.
    cells: pd.DataFrame
    engineers: list[str]
    areas: list[str]
    points: float
    confidence: float
    min_tickets: int
    measure: str

    @classmethod
    def from_result(cls, result, *, points: float = 3,
                    min_tickets: int = 5) -> OverrunMapDisplay:
        """The probabilities from ``result.overrun_probabilities``."""
        result = _data.fitted_result(result)
        table = result.overrun_probabilities(points=(points,))
        cells = pd.DataFrame({"engineer": table["engineer"].astype(str),
                              "area": table["area"].astype(str),
                              "p_over": table[f"p_over_{points:g}"].astype(float),
                              "n_finished": table["n_finished"].astype(int)})
        return cls(cells=cells, engineers=_data.engineers_of(result), areas=_data.areas_of(result),
                   points=points, confidence=result.confidence, min_tickets=min_tickets,
                   measure=_data.duration_name(result))

    def plot(self, ax: Axes | None = None) -> OverrunMapDisplay:
        """Draw on ``ax`` (by default a new figure sized to the grid)."""
        points, threshold = self.points, 1 - self.confidence
        top = float(np.nanmax(self.cells["p_over"])) if len(self.cells) else 0.5
        norm = Normalize(0, max(0.5, math.ceil(top * 10) / 10))
        cmap = mpl.colormaps["YlOrRd"]
        size = _style.label_size(len(self.engineers))
        own = ax is None
        with _style.applied():
            figure, ax = _grid(ax, self.engineers, self.areas)
            for row in self.cells.itertuples():
                i, j = self.engineers.index(row.engineer), self.areas.index(row.area)
                if too_few(row.n_finished, self.min_tickets):
                    _style.few_cell(ax, i, j, row.n_finished, size)
                else:
                    face = cmap(norm(row.p_over))
                    _style.cell(ax, i, j, face=face, gid="cell", text=f"{row.p_over:.0%}",
                                text_colour=_style.text_colour(face), size=size,
                                weight="bold" if row.p_over > threshold else "normal")
            bar = _colour_bar(figure, ax, norm, cmap,
                              format=FuncFormatter(lambda v, _: f"{v:.0%}"))
            bar.ax.axhline(threshold, color=_style.INK, linewidth=3)
            # Short: a rotated label longer than a small figure is tall would be cut.
            bar.set_label(f"chance of more than {points:g} working days", fontsize=9)
            ax.set_title(_style.fit(
                ax, f"How often a {points:g}-point ticket takes more than {points:g} working "
                "days" + _in_measure(self.measure, " ({})")), pad=8)
            ax.set_xlabel(_style.fit(
                ax, f"black line on the scale: {threshold:.0%}, the most that "
                f"{self.confidence:.0%} confidence allows · hatched: too few tickets (under "
                f"{self.min_tickets} finished) · blank: no tickets", 8.5),
                fontsize=8.5, color=_style.MUTED)
            _style.plain_text(*([figure] if own else [ax, bar.ax]))
        self.figure_, self.ax_ = figure, ax
        return self


@dataclass(kw_only=True, eq=False, repr=False)
class RecommendedSizesDisplay:
    """Engineer x area grid of the largest points that fit the cap.

    Each cell shows the size ("split" when not even the smallest fits).
    Colours are ordered by size: reds below the team's reference (bold),
    light grey at it, blues above; the colour bar marks the reference. Cells
    with fewer than ``min_tickets`` finished tickets are grey, hatched and
    read "too few tickets", without a size.

    ``from_result`` reads the sizes; ``plot`` draws them and sets ``figure_`` and
    ``ax_`` (the grid: the colour bar has axes of its own).
    """

    #: One row per engineer x area: ``engineer``, ``area``,
    #: ``recommended_points``, ``n_finished``.
    sizes: pd.DataFrame
    engineers: list[str]
    areas: list[str]
    #: The cap (working days) and confidence the sizes fit.
    cap: float
    confidence: float
    #: The team's reference size, in points.
    reference: float
    #: Every size the colour scale shows, ascending (0 = "split").
    levels: list[float]
    min_tickets: int
    measure: str

    @classmethod
    def from_result(cls, result, *, cap_days: float | None = None,
                    confidence: float | None = None,
                    min_tickets: int = 5) -> RecommendedSizesDisplay:
        """The sizes from ``result.recommended_sizes(cap_days, confidence)``
        (by default the result's cap and confidence)."""
        result = _data.fitted_result(result)
        table = result.recommended_sizes(cap_days=cap_days, confidence=confidence)
        reference = float(result.multipliers.model["reference_points"])
        sizes = pd.DataFrame({"engineer": table["engineer"].astype(str),
                              "area": table["area"].astype(str),
                              "recommended_points": table["recommended_points"].astype(float),
                              "n_finished": table["n_finished"].astype(int)})
        return cls(
            sizes=sizes, engineers=_data.engineers_of(result), areas=_data.areas_of(result),
            cap=float(table["cap_days"].iloc[0]) if len(table) else result.cap_days,
            confidence=(float(table["confidence"].iloc[0]) if len(table)
                        else result.confidence),
            reference=reference,
            levels=sorted({0.0, reference, *map(float, DEFAULT_POINT_SCALE),
                           *sizes["recommended_points"]}),
            min_tickets=min_tickets, measure=_data.duration_name(result))

    def _colours(self) -> tuple[ListedColormap, BoundaryNorm]:
        """One colour per level: reds below the reference, grey at it, blues above."""
        below = [v for v in self.levels if v < self.reference]
        above = [v for v in self.levels if v > self.reference]
        reds = LinearSegmentedColormap.from_list("below", ["#67001F", "#D6604D"])
        blues = LinearSegmentedColormap.from_list("above", ["#DCEAF4", "#8FBBDA"])
        colours = ([reds(t) for t in np.linspace(0, 1, len(below))] + ["#F2F2F2"]
                   + [blues(t) for t in np.linspace(0, 1, len(above))])
        return (ListedColormap(colours),
                BoundaryNorm(np.arange(len(self.levels) + 1) - 0.5, len(self.levels)))

    def plot(self, ax: Axes | None = None) -> RecommendedSizesDisplay:
        """Draw on ``ax`` (by default a new figure sized to the grid)."""
        cmap, norm = self._colours()
        levels, reference = self.levels, self.reference
        size = _style.label_size(len(self.engineers))
        few = too_few(self.sizes["n_finished"], self.min_tickets)
        own = ax is None
        with _style.applied():
            figure, ax = _grid(ax, self.engineers, self.areas)
            for row, scarce in zip(self.sizes.itertuples(), few, strict=True):
                i, j = self.engineers.index(row.engineer), self.areas.index(row.area)
                if scarce:
                    _style.few_cell(ax, i, j, row.n_finished, size)
                    continue
                value = row.recommended_points
                face = cmap(norm(levels.index(value)))
                _style.cell(ax, i, j, face=face, gid="cell",
                            text="split" if value == 0 else f"{value:g}",
                            text_colour=_style.text_colour(face),
                            weight="bold" if value < reference else "normal", size=size + 1)
            bar = _colour_bar(figure, ax, norm, cmap, ticks=np.arange(len(levels)))
            bar.set_ticklabels([("split (0)" if v == 0 else f"{v:g}")
                                + (" ← team reference" if v == reference else "")
                                for v in levels])
            bar.ax.tick_params(labelsize=8.5, length=0)
            bar.set_label("largest story points", fontsize=9)
            ax.set_title(_style.fit(ax, f"Largest ticket that fits {self.cap:g} working days"
                                    + _in_measure(self.measure, " of {}")
                                    + f" with {self.confidence:.0%} confidence"), pad=8)
            note = f"bold/red: below the team's {reference:g}-point reference"
            if few.any():
                note += f" · hatched: too few tickets (under {self.min_tickets} finished)"
            ax.set_xlabel(_style.fit(ax, note, 8.5), fontsize=8.5, color=_style.MUTED)
            _style.plain_text(*([figure] if own else [ax, bar.ax]))
        self.figure_, self.ax_ = figure, ax
        return self

"""The multipliers as a forest plot, engineer by engineer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from calibrate._names import too_few
from calibrate.plots import _data, _style

__all__ = ["MultipliersDisplay"]


@dataclass(kw_only=True, eq=False, repr=False)
class MultipliersDisplay:
    """Forest plot of the multipliers, engineer by engineer.

    One row per engineer (bold: their multiplier over their own ticket
    mix) followed, when ``cells`` and there is more than one area, by one
    row per area they worked in (with a single area those rows would repeat
    the engineer's). Dot = median multiplier, bar = 80% interval (p10-p90);
    the cross is the raw, unpooled ratio (own finished tickets against the
    team model), with a faint line to the dot showing how far pooling moved
    it. Rows resting on fewer than ``min_tickets`` finished tickets read
    "too few tickets", without an estimate, as in the overrun map. Log x
    axis, line at 1 (the team typical). Engineers are in alphabetical order
    (ignoring case), not ranked, unless chosen and ordered by ``engineers``.

    ``from_result`` reads the multipliers; ``plot`` draws them and sets ``figure_`` and
    ``ax_``.
    """

    #: One row per line of the plot, top to bottom: ``label``, ``name``
    #: (engineer or area), ``kind`` ("engineer" or "cell"), ``engineer``,
    #: ``area`` (cells), ``median``, ``p10``, ``p90``, ``raw_ratio``,
    #: ``n_finished``, ``too_few`` (shown without an estimate).
    rows: pd.DataFrame
    #: The fitted areas (the cells' colours follow this order).
    areas: list[str]
    #: Whether the rows include the engineer x area cells.
    cells: bool
    #: Rows with fewer finished tickets than this are "too few tickets".
    min_tickets: int = 0
    #: The multiplier axis's range: the whole team's, also when ``rows``
    #: hold only some engineers (so split figures share one scale).
    span: tuple[float, float] = (0.9 / 1.15, 1.1 * 1.15)

    @classmethod
    def from_result(cls, result, *, cells: bool = True, engineers: Sequence[str] | None = None,
                    min_tickets: int = 0) -> MultipliersDisplay:
        """The engineer multipliers and, when ``cells``, the engineer x area ones.

        Parameters
        ----------
        result : CalibrationResult (or a fitted Calibrator)
        cells : bool
            Also a row per area each engineer worked in (never with a single
            area: the row would repeat the engineer's).
        engineers : sequence of str, optional
            Only these engineers, in this order (to split a large team over
            several figures); by default everyone, alphabetically ignoring case.
        min_tickets : int
            Engineers and engineer x area cells with fewer finished tickets
            than this are shown as "too few tickets", without an estimate
            (the overrun map's rule, :func:`calibrate._names.too_few`).

        Raises
        ------
        ValueError
            When ``engineers`` names someone the result does not know.
        """
        result = _data.fitted_result(result)
        people = result.engineer_multipliers.assign(
            engineer=lambda f: f["engineer"].astype(str)).set_index("engineer", drop=False)
        cell_table = result.engineer_area_multipliers.assign(
            engineer=lambda f: f["engineer"].astype(str), area=lambda f: f["area"].astype(str))
        areas = _data.areas_of(result)
        if engineers is None:
            chosen = _data.engineers_of(result)
        else:
            chosen = list(dict.fromkeys(map(str, engineers)))
            unknown = [name for name in chosen if name not in people.index]
            if unknown:
                raise ValueError(f"not engineers of the result: {', '.join(unknown)}")
        with_cells = cells and len(areas) > 1

        def rows_of(names: list[str]) -> pd.DataFrame:
            rows: list[dict] = []
            for name in names:
                person = people.loc[name].to_dict()
                rows.append({**person, "label": f"{_style.short(name)} ({person['n_finished']})",
                             "name": name, "kind": "engineer", "area": None})
                if with_cells:
                    mine = cell_table[cell_table["engineer"] == name]
                    mine = mine.iloc[np.argsort([areas.index(a) for a in mine["area"]],
                                                kind="stable")]
                    rows += [{**cell, "name": cell["area"], "kind": "cell",
                              "label": f"{_style.short(cell['area'])} ({cell['n_finished']})"}
                             for cell in mine.to_dict("records")]
            columns = ["label", "name", "kind", "engineer", "area", "median", "p10", "p90",
                       "raw_ratio", "n_finished"]
            frame = pd.DataFrame(rows, columns=columns)
            frame["too_few"] = too_few(frame["n_finished"].to_numpy(dtype=float),
                                             min_tickets)
            return frame

        frame = rows_of(chosen)
        # The scale covers the whole team, so figures of different groups of
        # engineers (a large team split over pages) can be read side by side.
        span = _span(frame if engineers is None else rows_of(_data.engineers_of(result)))
        return cls(rows=frame, areas=areas, cells=with_cells, min_tickets=min_tickets,
                   span=span)

    def plot(self, ax: Axes | None = None) -> MultipliersDisplay:
        """Draw on ``ax`` (by default a new figure, one row per line; the
        legend goes below a figure of its own, inside a given ``ax``)."""
        n_rows = len(self.rows)
        with _style.applied():
            own = ax is None
            figure, ax = _style.own_axes(ax, _style.WIDTH, _style.rows_height(n_rows, 0.22, 1.6))
            self._draw(ax)
            self._decorate(ax)
            self._legend(figure, ax, own)
            _style.plain_text(figure if own else ax)
        self.figure_, self.ax_ = figure, ax
        return self

    def _draw(self, ax: Axes) -> None:
        frame = self.rows
        y = np.arange(len(frame), dtype=float)
        kind = frame["kind"].to_numpy()
        shown = ~frame["too_few"].to_numpy(dtype=bool)
        engineer_rows = np.flatnonzero(kind == "engineer")
        bounds = [*engineer_rows, len(frame)]
        for k in range(0, len(engineer_rows), 2):  # shade every other engineer's group
            ax.axhspan(bounds[k] - 0.5, bounds[k + 1] - 0.5, color="#F2F2F2", zorder=0,
                       linewidth=0)
        ax.axvline(1, color=_style.MUTED, linestyle="--", linewidth=1.0, zorder=1)
        # Raw ratios just below their row, joined to the pooled median by a
        # faint line: its length is how far pooling moved the estimate.
        raw = frame["raw_ratio"].to_numpy(dtype=float)
        has_raw = np.isfinite(raw) & shown
        below = y[has_raw] + 0.3
        ax.hlines(below, raw[has_raw], frame["median"].to_numpy()[has_raw],
                  color="#999999", linewidth=0.9, linestyle=":", zorder=2, gid="shrinkage")
        ax.plot(raw[has_raw], below, linestyle="", marker="x", markersize=4.5,
                color="#777777", markeredgewidth=1.0, zorder=3, gid="raw",
                label="raw ratio (own tickets only)")
        person = (kind == "engineer") & shown
        ax.hlines(y[person], frame["p10"][person], frame["p90"][person], color=_style.INK,
                  linewidth=2.4, zorder=4, gid="engineer-interval")
        ax.plot(frame["median"][person], y[person], linestyle="", marker="o", markersize=7,
                color=_style.INK, zorder=5, gid="engineer-median")
        for index, area in enumerate(self.areas):
            colour, marker, _ = _style.area_style(index)
            mine = (kind == "cell") & (frame["area"].to_numpy() == area) & shown
            if not mine.any():
                continue
            ax.hlines(y[mine], frame["p10"][mine], frame["p90"][mine], color=colour,
                      linewidth=1.6, zorder=4, gid="cell-interval")
            ax.plot(frame["median"][mine], y[mine], linestyle="", marker=marker,
                    markersize=5.5, color=colour, markeredgecolor=_style.INK, markeredgewidth=0.5,
                    zorder=5, gid="cell-median")
        # Suppressed rows, as in the overrun map: a note instead of an estimate.
        for row in np.flatnonzero(~shown):
            ax.text(1, y[row], f"too few tickets ({frame['n_finished'].iloc[row]})",
                    ha="center", va="center", fontsize=7.5, fontstyle="italic",
                    color=_style.MUTED, zorder=6, gid="too-few",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})

    def _decorate(self, ax: Axes) -> None:
        """Row labels (engineers bold), the log multiplier axis, titles."""
        frame = self.rows
        n_rows = len(frame)
        size = _style.label_size(n_rows)
        ax.set_ylim(n_rows - 0.5, -0.5)
        # Names cut to what fits a third of the figure (a caller's may be small).
        width = _style.name_width(ax, size)
        labels = [f"{_style.short(name, width)} ({n})" for name, n
                  in zip(frame["name"], frame["n_finished"], strict=True)]
        ax.set_yticks(np.arange(n_rows, dtype=float), labels)
        for tick, kind, few in zip(ax.get_yticklabels(), frame["kind"], frame["too_few"],
                                   strict=True):
            tick.set_fontweight("bold" if kind == "engineer" else "normal")
            tick.set_fontsize(size if kind == "engineer" else size - 0.5)
            tick.set_color(_style.MUTED if few else _style.INK if kind == "engineer"
                           else "#333333")
            tick.set_fontstyle("italic" if few else "normal")
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(*self.span)
        _style.log_axis(ax, "x", _style.MULTIPLIER_TICKS, template="×{:g}")
        ax.grid(axis="x", color="#E5E5E5", linewidth=0.8)
        ax.set_axisbelow(True)
        if n_rows > 30:  # a tall figure: the scale at the top as well
            ax.tick_params(axis="x", labeltop=True)
        ax.set_xlabel(_style.fit(ax, "multiplier on the team-typical working days (log scale; "
                                 "×2 = twice as long, ×0.5 = half)", 10))
        ax.set_title(_style.fit(
            ax, f"Duration multipliers per engineer{' and area' if self.cells else ''} "
            "(80% intervals)"), pad=10)

    def _legend(self, figure: Figure, ax: Axes, own: bool) -> None:
        handles = [
            Line2D([], [], color=_style.INK, marker="o", linewidth=2.4,
                   label=("engineer, all areas" if self.cells else "engineer")
                   + " (median, 80% interval)"),
            *[Line2D([], [], color=_style.area_style(i)[0], marker=_style.area_style(i)[1],
                     markeredgecolor=_style.INK, markeredgewidth=0.5, linewidth=1.6, label=a)
              for i, a in enumerate(self.areas) if self.cells],
            Line2D([], [], color="#888888", marker="x", linestyle=":",
                   label="raw ratio (own tickets only)"),
            Line2D([], [], color=_style.MUTED, linestyle="--", label="team typical (×1)"),
        ]
        if own:
            figure.legend(handles=handles, loc="outside lower center",
                          ncols=min(4, len(handles)), fontsize=8.5)
        else:
            ax.legend(handles=handles, loc="upper right", fontsize=8)
        note = "(n) = finished tickets"
        if self.rows["too_few"].any():
            note += f"; too few: under {self.min_tickets}"
        ax.text(0.0, -0.5, note, transform=ax.get_yaxis_transform(),
                fontsize=7.5, color=_style.MUTED, ha="right", va="bottom")


def _span(frame: pd.DataFrame) -> tuple[float, float]:
    """The multiplier axis's range for these rows: their shown intervals and raw
    ratios, and always ×1, with a margin."""
    shown = frame[~frame["too_few"].to_numpy(dtype=bool)]
    values = pd.concat([shown["p10"], shown["p90"], shown["raw_ratio"]]).to_numpy(dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    if not len(values):
        values = np.array([1.0])
    return min(values.min(), 0.9) / 1.15, max(values.max(), 1.1) * 1.15

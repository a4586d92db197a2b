"""What went into the model: rows kept and left out, tickets per engineer and area."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, Normalize

from calibrate._names import too_few
from calibrate.plots import _data, _style

__all__ = ["DataQualityDisplay"]


@dataclass(kw_only=True, eq=False, repr=False)
class DataQualityDisplay:
    """Two panels from a :class:`~calibrate.tickets.TicketTable`.

    Left: rows kept and rows excluded per reason (horizontal bars with the
    counts). Right: tickets (finished and open) per engineer x area as a
    count grid; cells with fewer than ``min_tickets`` are hatched. Side by
    side for a small team, the grid below the bars otherwise.

    ``from_table`` reads the counts; ``plot`` draws them and sets ``figure_`` and
    ``axes_`` (the rows panel and the grid).
    """

    #: Rows of the export: "kept (used in the model)", then "excluded: <reason>".
    rows: pd.Series
    rows_read: int
    n_kept: int
    #: Tickets per (engineer, area).
    counts: pd.Series
    #: The grid's rows and columns, alphabetical (ignoring case).
    engineers: list[str]
    areas: list[str]
    min_tickets: int

    @classmethod
    def from_table(cls, table, *, min_tickets: int = 5,
                   engineers: Sequence[str] | None = None) -> DataQualityDisplay:
        """The row accounting of ``table`` (a TicketTable, or a plain ticket
        frame: no exclusions) and its tickets per engineer x area (only
        ``engineers``, when given)."""
        tickets = _data.ticket_frame(table)
        excluded = (table.exclusion_counts() if hasattr(table, "exclusion_counts")
                    else pd.Series(dtype=int))
        rows = pd.concat([pd.Series({"kept (used in the model)": len(tickets)}),
                          excluded.astype(int).rename(lambda reason: f"excluded: {reason}")])
        grid_tickets = tickets if engineers is None else tickets[
            tickets["engineer"].astype(str).isin(set(map(str, engineers)))]
        counts = (grid_tickets.assign(engineer=grid_tickets["engineer"].astype(str),
                                      area=grid_tickets["area"].astype(str))
                  .groupby(["engineer", "area"]).size())
        return cls(rows=rows, rows_read=int(getattr(table, "rows_read", len(tickets))),
                   n_kept=len(tickets), counts=counts,
                   engineers=_data.sorted_names(counts.index.get_level_values(0)),
                   areas=_data.sorted_names(counts.index.get_level_values(1)),
                   min_tickets=min_tickets)

    def plot(self, axes: Sequence[Axes] | None = None) -> DataQualityDisplay:
        """Draw on the two ``axes`` (by default a new figure)."""
        bars_height = 1.1 + 0.34 * len(self.rows)
        grid_height = _style.rows_height(len(self.engineers), 0.32, 1.7)
        slots = max(len(self.rows), 3)
        with _style.applied():
            if axes is None and len(self.engineers) <= 12 and len(self.areas) <= 4:
                # side by side
                figure = _style.new_figure(_style.WIDTH, max(grid_height, bars_height))
                left, right = figure.subplots(1, 2, width_ratios=[1, 1.15])
                slots = max(slots, round((max(grid_height, bars_height) - 1.1) / 0.34))
            elif axes is None:  # the grid needs the full width
                figure = _style.new_figure(_style.WIDTH, bars_height + grid_height)
                left, right = figure.subplots(2, 1, height_ratios=[bars_height, grid_height])
            else:
                left, right = axes
                figure = left.figure
                _style.fit_layout(left, right)
            self._draw_rows(left, slots)
            self._draw_grid(right)
            _style.plain_text(*([figure] if axes is None else [left, right]))
        self.figure_, self.axes_ = figure, (left, right)
        return self

    def _draw_rows(self, ax: Axes, slots: int) -> None:
        bars, rows_read = self.rows, self.rows_read
        y = np.arange(len(bars))
        colours = [_style.AREA_COLOURS[0]] + [_style.AREA_COLOURS[2]] * (len(bars) - 1)
        ax.barh(y, bars.to_numpy(), color=colours, height=0.65, gid="rows")
        for position, value in zip(y, bars.to_numpy(), strict=True):
            share = value / max(rows_read, 1)
            percent = "<1%" if 0 < share < 0.005 else f"{share:.0%}"
            ax.text(value, position, f" {value} ({percent})",
                    va="center", ha="left", fontsize=9, color=_style.INK, gid="count")
        ax.set_yticks(y, [_style.short(reason, 40) for reason in bars.index])
        ax.set_ylim(slots - 0.5, -0.5)  # bars of one thickness, from the top
        ax.set_xlim(0, bars.max() * 1.3 if len(bars) else 1)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel("rows of the export")
        ax.set_title(_style.fit(ax, f"{rows_read} rows read: {self.n_kept} kept, "
                                f"{rows_read - self.n_kept} left out"))

    def _draw_grid(self, ax: Axes) -> None:
        counts, engineers, areas = self.counts, self.engineers, self.areas
        norm = Normalize(0, int(counts.max()) if len(counts) else 1)
        cmap = LinearSegmentedColormap.from_list("counts", ["#EEF3F8", "#2F5F8A"])
        _style.grid_axes(ax, engineers, areas)
        size = _style.label_size(len(engineers))
        for (engineer, area), count in counts.items():
            i, j = engineers.index(engineer), areas.index(area)
            if too_few(count, self.min_tickets):
                _style.cell(ax, i, j, face=_style.FEW, hatch="////", gid="count-cell",
                            text=f"{count}", text_colour=_style.MUTED, style="italic", size=size)
            else:
                face = cmap(norm(count))
                _style.cell(ax, i, j, face=face, gid="count-cell", text=f"{count}",
                            text_colour=_style.text_colour(face), size=size)
        ax.set_title(_style.fit(ax, "Tickets per engineer and area"), pad=8)
        ax.set_xlabel(_style.fit(ax, f"finished and open · hatched: fewer than "
                                 f"{self.min_tickets} · blank: none", 8.5),
                      fontsize=8.5, color=_style.MUTED)

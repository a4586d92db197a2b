"""Where points break: every ticket's working days against its story points."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from calibrate.plots import _data, _style

__all__ = ["PointsVsDaysDisplay", "PointsVsDaysOverlayDisplay"]


@dataclass(kw_only=True, eq=False, repr=False)
class _PointsVsDays:
    """The data both figures of working days against points draw."""

    #: One row per ticket: ``area``, ``points``, ``x`` (points, spread
    #: sideways; the edge for tickets beyond ``limit``), ``days``,
    #: ``censored`` (open: at least this long), ``beyond`` (more points than
    #: ``limit``) and ``drawn`` (in the sample drawn).
    tickets: pd.DataFrame
    #: The fitted areas, then areas only the tickets have.
    areas: list[str]
    #: Per fitted area along ``grid``: ``area``, ``points``, ``p10_days``,
    #: ``p50_days``, ``p90_days`` of a new team member.
    curves: pd.DataFrame
    #: The distinct points values up to ``limit`` (the x ticks).
    values: np.ndarray
    #: The largest points on the axis: the team's scale
    #: (:func:`calibrate.plots._data.points_limit`); larger tickets are
    #: drawn at ``edge``, as right-pointing triangles.
    limit: float
    edge: float
    #: Points at which the curves and the "1 point = 1 day" line are drawn.
    grid: np.ndarray
    #: The cap drawn, its legend label, and whether tickets are judged against it.
    cap: float
    cap_label: str
    judged: bool
    #: What the durations measure ("working days", "lead time" ...).
    measure: str

    @classmethod
    def from_result(cls, result, table, *, cap_days: float | None = None, seed: int = 0,
                    max_points: int = 4000):
        """The tickets, and the predictions for an engineer the model has not seen.

        Parameters
        ----------
        result : CalibrationResult (or a fitted Calibrator)
        table : TicketTable or DataFrame
            The tickets the result was fitted on.
        cap_days : float, optional
            The cap drawn (default ``result.cap_days``).
        seed : int
            Seed of the sideways spread and of the sample (the plot is
            deterministic).
        max_points : int
            With more tickets than this, a random sample of this many is drawn
            (the counts in panel titles are of all tickets).
        """
        result = _data.fitted_result(result)
        tickets = _data.ticket_frame(table)
        cap = result.cap_days if cap_days is None else float(cap_days)
        fitted = _data.areas_of(result)
        points = tickets["points"].to_numpy(dtype=float)
        limit = _data.points_limit(points)
        beyond = points > limit
        values = np.unique(points[~beyond])
        edge = limit + 1.0
        half_width = min(0.22, 0.3 * np.diff(values).min()) if len(values) > 1 else 0.22
        generator = np.random.default_rng(seed)
        x = np.where(beyond, edge, points) + generator.uniform(-half_width, half_width,
                                                               len(points))
        drawn = (generator.random(len(points)) < max_points / len(points)
                 if len(points) > max_points else np.ones(len(points), dtype=bool))
        positive = values[values > 0]
        grid = np.linspace(positive.min() if len(positive) else 1.0, max(limit, 1.0), 80)
        newcomer = _data.unseen_engineer(result)
        curves = pd.concat(
            [result.predict(newcomer, area, grid)[["p10_days", "p50_days", "p90_days"]]
             .assign(area=area, points=grid) for area in fitted], ignore_index=True)
        label, judged = _data.cap_label(result, cap)
        area = tickets["area"].astype(str)
        return cls(
            tickets=pd.DataFrame({
                # Arrow's strings, not a Python string per ticket (tens of MB on a million).
                "area": area.array, "points": points, "x": x,
                "days": tickets["duration_days"].to_numpy(dtype=float),
                "censored": tickets["censored"].to_numpy(dtype=bool), "beyond": beyond,
                "drawn": drawn}),
            # The distinct areas, not a set built from every ticket's (seconds on a million).
            areas=fitted + _data.sorted_names(set(area.unique()) - set(fitted)),
            curves=curves, values=values, limit=limit, edge=edge, grid=grid, cap=cap,
            cap_label=label, judged=judged,
            measure=_data.duration_name(result))

    def _groups(self, area: str | None = None) -> dict[str, np.ndarray]:
        """Masks of the area's tickets (every area's: None): all, finished,
        and those drawn as within the cap, over it, open, and beyond the
        points axis (at its edge)."""
        frame = self.tickets
        days, drawn = frame["days"].to_numpy(), frame["drawn"].to_numpy()
        censored, beyond = frame["censored"].to_numpy(), frame["beyond"].to_numpy()
        mine = (np.ones(len(frame), dtype=bool) if area is None
                else (frame["area"] == area).to_numpy(dtype=bool))
        done = mine & ~censored
        inside = drawn & ~beyond
        return {"mine": mine, "done": done, "within": done & (days <= self.cap) & inside,
                "over": done & (days > self.cap) & inside, "open": mine & censored & inside,
                "beyond": mine & beyond & drawn}

    def _note(self, area: str | None = None) -> str:
        """How many of the area's tickets are beyond the points axis, and their points."""
        frame = self.tickets
        mine = self._groups(area)["mine"]
        return _data.beyond_note(frame["points"].to_numpy()[mine], self.limit)

    def _draw_beyond(self, ax: Axes, mask: np.ndarray, colour: str | None = None) -> None:
        """Tickets beyond the points axis, at its edge: right-pointing
        triangles, filled by state (within the cap, over it; hollow: open)."""
        if not mask.any():
            return
        frame = self.tickets[mask]
        over = (frame["days"] > self.cap).to_numpy() & ~frame["censored"].to_numpy()
        fill = np.where(frame["censored"], "none",
                        np.where(over, _style.OVER, colour or _style.WITHIN))
        ax.scatter(frame["x"], frame["days"], s=46, marker=">", facecolors=list(fill),
                   edgecolors=_style.INK, linewidths=0.9, zorder=4, gid="beyond")

    def _curve(self, area: str) -> pd.DataFrame | None:
        curve = self.curves[self.curves["area"] == area]
        return curve if len(curve) else None

    def _raster(self) -> bool:
        # Thousands of dots as vector shapes make the SVG heavy and the PDF slow
        # to print: they are drawn as an image (axes, lines and text stay vector).
        return int(self.tickets["drawn"].sum()) > _style.RASTER_POINTS

    def _days_limits(self) -> tuple[float, float]:
        days = self.tickets["days"].to_numpy()
        return (min(days.min(), self.grid.min(), self.cap) * 0.7,
                max(days.max(), self.cap) * 1.4)

    def _scale(self, ax: Axes, low: float, high: float) -> None:
        values = self.values
        outside = bool(self.tickets["beyond"].any())
        right = self.edge if outside else values.max()
        ax.set_xlim(values.min() - 0.7, right + 0.7)
        ax.set_ylim(low, high)
        _style.log_axis(ax, "y")
        # The edge's tick first: it must say what the triangles there are.
        ticks = ([self.edge] if outside else []) + _style.points_ticks(values)
        _style.spaced_axis(ax.xaxis, ticks,
                           lambda v: f">{self.limit:g}" if outside and v == self.edge
                           else f"{v:g}")
        if outside:
            ax.axvline((self.limit + self.edge) / 2, color="#BBBBBB", linestyle=(0, (1, 2)),
                       linewidth=0.8, zorder=0, gid="edge")
        ax.grid(axis="y", color="#EEEEEE", linewidth=0.8, zorder=-1)
        ax.set_axisbelow(True)

    def _beyond_handles(self) -> list:
        if not self.tickets["beyond"].any():
            return []
        return [Line2D([], [], color=_style.MUTED, marker=">", markeredgecolor=_style.INK,
                       linestyle="", markersize=7,
                       label=f"more than {self.limit:g} points, at the edge")]

    def _references(self, ax: Axes) -> None:
        """The "1 point = 1 day" line and the cap."""
        ax.plot(self.grid, self.grid, color=_style.MUTED, linestyle="--", linewidth=1.2,
                gid="one-point-one-day")
        ax.axhline(self.cap, color=_style.OVER, linestyle=":", linewidth=1.8, gid="cap")


class PointsVsDaysDisplay(_PointsVsDays):
    """Actual working days against story points, one panel per area.

    Each finished ticket is a dot (points spread sideways, working days on a
    log scale); tickets over the cap are dark diamonds; open tickets are
    hollow upward triangles at their time so far (a lower bound). Lines: the
    fitted median of a typical engineer, with the 80% predictive band
    (10th-90th percentile) for a new team member — both from
    ``result.predict`` with an engineer the model has not seen, so the band
    includes the spread between engineers —, "1 point = 1 day", and the cap.

    ``from_result`` reads the tickets and the predictions; ``plot`` draws a new figure
    and sets ``figure_`` and ``axes_`` (a panel per area).
    """

    def plot(self) -> PointsVsDaysDisplay:
        """Draw a new figure of one panel per area (shared axes)."""
        raster = self._raster()
        low, high = self._days_limits()
        with _style.applied():
            figure, panels, bottoms = _style.area_panels(len(self.areas), 3.6)
            for area, panel in zip(self.areas, panels, strict=True):
                self._draw_area(panel, area, raster)
            _style.finish_panels(
                figure, panels, bottoms, scale=lambda panel: self._scale(panel, low, high),
                legend=self._legend_handles(), ncols=4,
                xlabel="story points (at start of work; spread sideways)",
                ylabel="working days (log scale)",
                title=f"Where points break: {self.measure} against story points")
            _style.plain_text(figure)
        self.figure_, self.axes_ = figure, panels
        return self

    def _draw_area(self, panel: Axes, area: str, raster: bool) -> None:
        x, days = self.tickets["x"].to_numpy(), self.tickets["days"].to_numpy()
        groups = self._groups(area)
        dense = groups["mine"].sum() > 400  # smaller, lighter dots for big histories
        within, over, opened = groups["within"], groups["over"], groups["open"]
        panel.scatter(x[within], days[within], s=8 if dense else 14, marker="o",
                      color=_style.WITHIN, alpha=0.45 if dense else 0.6, linewidths=0,
                      gid="within", rasterized=raster)
        panel.scatter(x[over], days[over], s=13 if dense else 22, marker="D", color=_style.OVER,
                      alpha=0.6 if dense else 0.85, linewidths=0, gid="over", rasterized=raster)
        panel.scatter(x[opened], days[opened], s=38, marker="^", facecolors="none",
                      edgecolors=_style.INK, linewidths=1.1, gid="open", rasterized=raster)
        self._draw_beyond(panel, groups["beyond"])
        curve = self._curve(area)
        if curve is not None:
            panel.fill_between(self.grid, curve["p10_days"], curve["p90_days"], color=_style.BAND,
                               alpha=0.7, linewidth=0, zorder=0, gid="band")
            panel.plot(self.grid, curve["p50_days"], color=_style.INK, linestyle="-", linewidth=2.0,
                       gid="median")
        self._references(panel)
        done = groups["done"]
        n_over = int((done & (self.tickets["days"].to_numpy() > self.cap)).sum())
        panel.set_title(f"{_style.short(area, 30)}\n{int(groups['mine'].sum())} tickets"
                        + (f", {n_over} over the cap ({n_over / max(done.sum(), 1):.0%})"
                           if self.judged else f" ({self.measure})"),
                        fontsize=9.5, loc="left")
        note = self._note(area)
        if note:
            panel.set_title(note.replace(" drawn", "\ndrawn"), fontsize=8, loc="right",
                            color=_style.MUTED)

    def _legend_handles(self) -> list:
        return [
            Line2D([], [], color=_style.WITHIN, marker="o", linestyle="", label="finished"),
            Line2D([], [], color=_style.OVER, marker="D", linestyle="",
                   label="finished over the cap" if self.judged
                   else f"finished, over {self.cap:g} days"),
            Line2D([], [], color=_style.INK, marker="^", markerfacecolor="none", linestyle="",
                   markersize=7, label="open: at least this long"),
            *self._beyond_handles(),
            Line2D([], [], color=_style.INK, linewidth=2.0,
                   label="fitted median, typical engineer"),
            Patch(color=_style.BAND, label="80% of tickets, new team member"),
            Line2D([], [], color=_style.MUTED, linestyle="--", label="1 point = 1 day"),
            Line2D([], [], color=_style.OVER, linestyle=":", linewidth=1.8, label=self.cap_label),
        ]


class PointsVsDaysOverlayDisplay(_PointsVsDays):
    """Actual working days against story points, every area on one axes.

    The same tickets and lines as :class:`PointsVsDaysDisplay`, told apart
    by colour, marker and line style per area; tickets over the cap have a
    dark edge. The 80% bands are drawn only with at most two areas (more
    overlap into a blur).

    ``plot`` sets ``figure_`` and ``ax_``.
    """

    def plot(self, ax: Axes | None = None) -> PointsVsDaysOverlayDisplay:
        """Draw on ``ax`` (by default a new figure)."""
        raster = self._raster()
        low, high = self._days_limits()
        high *= (high / low) ** 0.45  # headroom for the legend, whatever the layout
        own = ax is None
        with _style.applied():
            figure, ax = _style.own_axes(ax, _style.WIDTH, 6.0)
            for index, area in enumerate(self.areas):
                self._draw_area(ax, index, area, raster)
                if index == 0:  # once, beneath the other areas' lines
                    self._references(ax)
            self._scale(ax, low, high)
            small = figure.bbox.width / figure.dpi < 0.7 * _style.WIDTH  # a caller's small figure
            ax.legend(handles=self._legend_handles(), fontsize=7 if small else 8,
                      loc="upper left", ncols=1 if small else 2)
            note = self._note()
            ax.set_xlabel(_style.fit(ax, "story points (at start of work; spread sideways)"
                                     + (f"\n{note}" if note else ""), 10))
            ax.set_ylabel("working days (log scale)")
            ax.set_title(_style.fit(ax, "Where points break" if self.measure == "working days"
                                    else f"Where points break ({self.measure})"))
            _style.plain_text(figure if own else ax)
        self.figure_, self.ax_ = figure, ax
        return self

    def _draw_area(self, ax: Axes, index: int, area: str, raster: bool) -> None:
        colour, marker, line = _style.area_style(index)
        x, days = self.tickets["x"].to_numpy(), self.tickets["days"].to_numpy()
        groups = self._groups(area)
        within, over, opened = groups["within"], groups["over"], groups["open"]
        ax.scatter(x[within], days[within], s=14, marker=marker, color=colour, alpha=0.55,
                   linewidths=0, gid="within", rasterized=raster)
        ax.scatter(x[over], days[over], s=26, marker=marker, color=colour, edgecolors=_style.INK,
                   linewidths=1.0, gid="over", rasterized=raster)
        ax.scatter(x[opened], days[opened], s=34, marker="^", facecolors="none",
                   edgecolors=colour, linewidths=1.1, gid="open", rasterized=raster)
        self._draw_beyond(ax, groups["beyond"], colour)
        curve = self._curve(area)
        if curve is not None:
            if len(self.areas) <= 2:  # more overlapping bands are a blur
                ax.fill_between(self.grid, curve["p10_days"], curve["p90_days"], color=colour,
                                alpha=0.15, linewidth=0, zorder=0, gid="band")
            ax.plot(self.grid, curve["p50_days"], color=colour, linestyle=line, linewidth=2.0,
                    gid="median")

    def _legend_handles(self) -> list:
        areas = [Line2D([], [], color=colour, marker=marker, linestyle=line, label=area)
                 for area, (colour, marker, line)
                 in zip(self.areas, map(_style.area_style, range(len(self.areas))), strict=True)]
        return areas + [
            Line2D([], [], color=_style.MUTED, marker="o", markeredgecolor=_style.INK, linestyle="",
                   label=("over the cap" if self.judged else f"over {self.cap:g} days")
                   + " (dark edge)"),
            Line2D([], [], color=_style.INK, marker="^", markerfacecolor="none", linestyle="",
                   label="open: at least this long"),
            *self._beyond_handles(),
            Line2D([], [], color=_style.INK, linewidth=2.0,
                   label="lines: fitted median, typical engineer"),
            Line2D([], [], color=_style.MUTED, linestyle="--", label="1 point = 1 day"),
            Line2D([], [], color=_style.OVER, linestyle=":", linewidth=1.8, label=self.cap_label),
        ]

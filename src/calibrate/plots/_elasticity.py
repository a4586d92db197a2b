"""How working days grow with story points: medians against proportional growth."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from calibrate.plots import _data, _style

__all__ = ["ElasticityDisplay", "ElasticityOverlayDisplay"]


@dataclass(kw_only=True, eq=False, repr=False)
class _Elasticity:
    """The data both elasticity figures draw."""

    #: Finished tickets per area and points value (0 points left out):
    #: ``area``, ``points``, ``p25``, ``median``, ``p75`` of the working days, ``n``.
    medians: pd.DataFrame
    #: Per area along the points grid: ``area``, ``points``, ``fitted`` (the
    #: typical engineer's median) and ``proportional`` (days ∝ points through
    #: the median at the reference size).
    curves: pd.DataFrame
    #: ``result.elasticity``: per area, ``elasticity``, ``ci_low``, ``ci_high``,
    #: ``shared`` ...
    elasticity: pd.DataFrame
    areas: list[str]
    #: The distinct points values of finished tickets up to ``limit`` (the x ticks).
    values: np.ndarray
    #: Medians of the points values beyond the team's scale (``limit``,
    #: :func:`calibrate.plots._data.points_limit`): ``area``, ``points``,
    #: ``median``, ``n``; drawn at ``edge`` as right-pointing triangles.
    beyond: pd.DataFrame
    limit: float
    edge: float
    reference: float
    measure: str

    @classmethod
    def from_result(cls, result, table):
        """Medians of the finished tickets, and the fitted median of an
        engineer the model has not seen (``result.predict``)."""
        result = _data.fitted_result(result)
        tickets = _data.ticket_frame(table)
        # The three columns drawn from: a mask over the whole table would copy
        # every column of it (hundreds of MB on a million tickets).
        finished = tickets[["area", "points", "duration_days"]][
            ~tickets["censored"].astype(bool) & (tickets["points"] > 0)]
        limit = _data.points_limit(tickets["points"])
        outside = finished[finished["points"] > limit]
        beyond = pd.DataFrame({
            "area": outside["area"].astype(str), "points": outside["points"].astype(float),
            "median": outside["duration_days"].astype(float)}).groupby(
                ["area", "points"], as_index=False)["median"].agg(["median", "size"]).rename(
                    columns={"size": "n"})
        finished = finished[finished["points"] <= limit]
        reference = float(result.multipliers.model["reference_points"])
        newcomer = _data.unseen_engineer(result)
        values = np.unique(finished["points"].to_numpy(dtype=float))
        if not len(values):
            values = np.array([reference])
        grid = np.geomspace(values.min(), values.max(), 60) if len(values) > 1 else values
        areas = _data.areas_of(result)
        medians, curves = [], []
        for area in areas:
            mine = finished[finished["area"].astype(str) == area]
            stats = mine.groupby("points")["duration_days"].describe()
            medians.append(pd.DataFrame({
                "area": area, "points": stats.index.to_numpy(dtype=float),
                "p25": stats["25%"].to_numpy(), "median": stats["50%"].to_numpy(),
                "p75": stats["75%"].to_numpy(),
                "n": mine.groupby("points").size().reindex(stats.index).to_numpy()}))
            if reference in stats.index:
                anchor = float(stats.loc[reference, "50%"])
            else:
                anchor = float(result.predict(newcomer, area, reference)["p50_days"].iloc[0])
            curves.append(pd.DataFrame({
                "area": area, "points": grid,
                "fitted": result.predict(newcomer, area, grid)["p50_days"].to_numpy(),
                "proportional": anchor * grid / reference}))
        return cls(medians=pd.concat(medians, ignore_index=True),
                   curves=pd.concat(curves, ignore_index=True),
                   elasticity=result.elasticity.reset_index(drop=True),
                   areas=areas, values=values, beyond=beyond, limit=limit,
                   edge=float(values.max()) * 1.35, reference=reference,
                   measure=_data.duration_name(result))

    def _fitted_label(self, area: str, prefix: str, separator: str = " ") -> str:
        row = self.elasticity.set_index("area").loc[area]
        shared = " shared" if bool(row.get("shared", False)) else ""
        return (f"{prefix}fitted{shared} elasticity {row['elasticity']:.2f}{separator}"
                f"(90% interval {row['ci_low']:.2f}–{row['ci_high']:.2f})")

    def _draw_area(self, ax: Axes, index: int, area: str, *, line, proportional_colour: str,
                   label: str) -> Line2D:
        """The area's proportional line, fitted line (in ``line`` style,
        labelled ``label``) and medians; returns the fitted line."""
        colour, marker, _ = _style.area_style(index)
        curve = self.curves[self.curves["area"] == area]
        grid = curve["points"].to_numpy()
        ax.plot(grid, curve["proportional"].to_numpy(), color=proportional_colour,
                linestyle="--", linewidth=1.2, gid="proportional")
        fitted = ax.plot(grid, curve["fitted"].to_numpy(), color=colour, linestyle=line,
                         linewidth=2.2, gid="fitted", label=label)[0]
        stats = self.medians[self.medians["area"] == area]
        if len(stats):
            ax.errorbar(stats["points"].to_numpy(), stats["median"],
                        yerr=[stats["median"] - stats["p25"], stats["p75"] - stats["median"]],
                        fmt=marker, color=colour, markeredgecolor=_style.INK, markeredgewidth=0.6,
                        markersize=7, elinewidth=1.0, capsize=3, gid="medians")
        outside = self.beyond[self.beyond["area"] == area]
        if len(outside):
            ax.plot(np.full(len(outside), self.edge), outside["median"], linestyle="",
                    marker=">", color=colour, markeredgecolor=_style.INK, markeredgewidth=0.6,
                    markersize=7, gid="beyond")
        return fitted

    def _note(self, area: str | None = None) -> str:
        """The area's (every area's: None) medians beyond the points axis."""
        outside = self.beyond if area is None else self.beyond[self.beyond["area"] == area]
        if not len(outside):
            return ""
        listed = ", ".join(f"{v:g}" for v in sorted(set(outside["points"])))
        n = int(outside["n"].sum())
        return (f"{'1 ticket' if n == 1 else f'{n} tickets'} over {self.limit:g} points "
                f"({listed}): median at the edge ▸")

    def _days_limits(self) -> tuple[float, float]:
        y_values = [*self.medians["p25"], *self.medians["p75"], *self.curves["fitted"],
                    *self.curves["proportional"], *self.beyond["median"]]
        return min(y_values) / 1.3, max(y_values) * 1.3

    def _scale(self, ax: Axes, y_low: float, y_high: float) -> None:
        values = self.values
        outside = len(self.beyond) > 0
        ax.set_xlim(values.min() / 1.25, (self.edge if outside else values.max()) * 1.25)
        ax.set_ylim(y_low, y_high)
        _style.log_axis(ax, "x", ([self.edge] if outside else []) + _style.points_ticks(values),
                        template=lambda v: f">{self.limit:g}" if outside and v == self.edge
                        else f"{v:g}")
        _style.log_axis(ax, "y")
        ax.grid(color="#EEEEEE", linewidth=0.8)
        ax.set_axisbelow(True)

    def _common_handles(self) -> list[Line2D]:
        return [
            Line2D([], [], color=_style.MUTED, marker="o", markeredgecolor=_style.INK, linestyle="",
                   label="median of finished tickets (bar: middle half)"),
            Line2D([], [], color=_style.MUTED, linestyle="--",
                   label=f"proportional: days ∝ points, through the {self.reference:g}-point "
                         "median"),
        ]


class ElasticityDisplay(_Elasticity):
    """Median working days per points value against proportional growth,
    one panel per area.

    Dots: the median actual working days of the finished tickets at each
    points value (bars: the middle half, 25th-75th percentile). Dashed: days
    proportional to points, through the median at the reference points (the
    fitted one when an area has no finished tickets of that size). Solid: the
    fitted median of a typical engineer (``result.predict`` for an unseen
    engineer), with the elasticity and its 90% interval in the legend.
    Log-log axes, so proportional growth is a 45° line and the fitted line's
    slope is the elasticity. 0-point tickets are left out (no place on a log
    axis).

    ``from_result`` reads the medians and the fitted lines; ``plot`` draws a new figure
    and sets ``figure_`` and ``axes_`` (a panel per area).
    """

    def plot(self) -> ElasticityDisplay:
        """Draw a new figure of one panel per area (shared axes)."""
        with _style.applied():
            figure, panels, bottoms = _style.area_panels(len(self.areas), 3.2)
            for index, (area, panel) in enumerate(zip(self.areas, panels, strict=True)):
                fitted = self._draw_area(panel, index, area, line="-",
                                         proportional_colour=_style.MUTED,
                                         # (two lines: one is wider than a panel)
                                         label=self._fitted_label(area, "", "\n"))
                n_finished = int(self.medians.loc[self.medians["area"] == area, "n"].sum())
                panel.set_title(f"{_style.short(area, 30)} ({n_finished} finished)", fontsize=10,
                                loc="left")
                note = self._note(area)
                if note:
                    panel.set_title(note.replace(": ", ":\n"), fontsize=8, loc="right",
                                    color=_style.MUTED)
                panel.legend(handles=[fitted], loc="upper left", fontsize=8.5)
            y_low, y_high = self._days_limits()
            _style.finish_panels(
                figure, panels, bottoms, scale=lambda panel: self._scale(panel, y_low, y_high),
                legend=self._common_handles(), ncols=2,
                xlabel="story points (log scale)",
                ylabel="median working days, finished tickets (log scale)",
                title=f"How {_data.grows(self.measure)} with story points "
                      "(elasticity 1 = proportional)")
            _style.plain_text(figure)
        self.figure_, self.axes_ = figure, panels
        return self


class ElasticityOverlayDisplay(_Elasticity):
    """Median working days per points value against proportional growth,
    every area on one axes (told apart by colour, marker and line style;
    the legend names each area's elasticity).

    ``plot`` sets ``figure_`` and ``ax_``.
    """

    def plot(self, ax: Axes | None = None) -> ElasticityOverlayDisplay:
        """Draw on ``ax`` (by default a new figure)."""
        own = ax is None
        with _style.applied():
            figure, ax = _style.own_axes(ax, _style.WIDTH, 6.0)
            for index, area in enumerate(self.areas):
                colour, _, line = _style.area_style(index)
                self._draw_area(ax, index, area, line=line, proportional_colour=colour,
                                label=self._fitted_label(area, f"{area}: "))
            self._scale(ax, *self._days_limits())
            handles, _ = ax.get_legend_handles_labels()
            ax.legend(handles=handles + self._common_handles(), loc="upper left", fontsize=8)
            note = self._note()
            ax.set_xlabel(_style.fit(ax, "story points (log scale)"
                                     + (f"\n{note}" if note else ""), 10))
            ax.set_ylabel("median working days (log scale)")
            ax.set_title(_style.fit(ax, f"How {_data.grows(self.measure)} with story points"))
            _style.plain_text(figure if own else ax)
        self.figure_, self.ax_ = figure, ax
        return self

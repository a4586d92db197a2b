"""How the forecasts held up (backtest) and how multipliers moved over time (drift)."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from calibrate._names import too_few
from calibrate.plots import _data, _style

__all__ = ["CalibrationDisplay", "DriftDisplay", "DriftOverlayDisplay"]


def _percent_axis(axis) -> None:
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}%"))


@dataclass(kw_only=True, eq=False, repr=False)
class CalibrationDisplay:
    """Two panels from a :class:`~calibrate.backtest.BacktestResult`.

    Left: coverage of the 50/80/90% intervals against the nominal level,
    one line per model, with the diagonal (perfect calibration). Right: the
    PIT histogram per model (share of scored tickets per tenth of the
    predictive distribution, as step lines) with the flat line of a
    calibrated model.

    ``from_backtest`` reads the scores; ``plot`` draws them and sets ``figure_`` and
    ``axes_`` (the coverage panel and the PIT panel).
    """

    #: ``backtest_result.scores_by_model()``: per model, ``coverage_50`` ...,
    #: ``n_scored``.
    scores: pd.DataFrame
    #: ``backtest_result.pit_histogram()``: share of tickets per bin, per model.
    pit: pd.DataFrame
    #: The interval levels scored, in percent (50, 80, 90).
    levels: list[int]
    #: The PIT bins' edges (0 to 1).
    edges: np.ndarray

    @classmethod
    def from_backtest(cls, backtest_result) -> CalibrationDisplay:
        """The pooled scores and the PIT histogram of each model."""
        scores = backtest_result.scores_by_model()
        pit = backtest_result.pit_histogram()
        return cls(scores=scores, pit=pit,
                   levels=[int(c.split("_")[1]) for c in scores.columns
                           if c.startswith("coverage_")],
                   edges=np.r_[pit.index.left.to_numpy(dtype=float),
                               pit.index.right.to_numpy(dtype=float)[-1]])

    def plot(self, axes: Sequence[Axes] | None = None) -> CalibrationDisplay:
        """Draw on the two ``axes`` (by default a new figure)."""
        with _style.applied():
            if axes is None:
                figure = _style.new_figure(_style.WIDTH, 4.6)
                left, right = figure.subplots(1, 2)
            else:
                left, right = axes
                figure = left.figure
                _style.fit_layout(left, right)
            left.plot([0, 100], [0, 100], color=_style.MUTED, linestyle="-", linewidth=1.0,
                      gid="diagonal", label="perfectly calibrated")
            for number, model in enumerate(self.scores.index):
                colour, marker, line = _style.MODEL_STYLE.get(model, _style.area_style(number))
                coverage = [100 * self.scores.loc[model, f"coverage_{level}"]
                            for level in self.levels]
                left.plot(self.levels, coverage, color=colour, marker=marker, linestyle=line,
                          linewidth=1.8, markersize=7, markeredgecolor=_style.INK,
                          markeredgewidth=0.5, label=model, gid="coverage")
                right.stairs(100 * self.pit[model].to_numpy(), 100 * self.edges, baseline=None,
                             color=colour, linestyle=line, linewidth=1.8, label=model, gid="pit")
            self._coverage_axes(left)
            self._pit_axes(right)
            _style.plain_text(*([figure] if axes is None else [left, right]))
        self.figure_, self.axes_ = figure, (left, right)
        return self

    def _coverage_axes(self, left: Axes) -> None:
        levels = self.levels
        lowest = float(np.nanmin(self.scores[[f"coverage_{v}" for v in levels]])) * 100
        low = max(0, 10 * math.floor(min(min(levels) - 10, lowest - 5) / 10))
        left.set_xlim(low, 100)
        left.set_ylim(low, 100)
        left.set_xticks(levels, [f"{v}%" for v in levels])
        _percent_axis(left.yaxis)
        left.set_aspect("equal", adjustable="box")
        left.grid(color="#EEEEEE", linewidth=0.8)
        left.set_xlabel("promised: the interval should hold this share")
        left.set_ylabel("delivered: share of later tickets inside")
        n_scored = int(self.scores["n_scored"].max()) if len(self.scores) else 0
        left.set_title(f"Do the intervals hold? ({n_scored} tickets scored)")
        left.legend(loc="upper left", fontsize=8.5)

    def _pit_axes(self, right: Axes) -> None:
        flat = 100 / len(self.pit)
        right.axhline(flat, color=_style.INK, linestyle=":", linewidth=1.4, gid="flat",
                      label="calibrated (flat)")
        right.set_xlim(0, 100)
        right.set_ylim(0, max(float(self.pit.to_numpy().max()) * 100 * 1.15, flat * 2))
        ticks = np.linspace(0, 100, 6)
        right.set_xticks(ticks, [f"{v:g}%" for v in ticks])
        _percent_axis(right.yaxis)
        right.set_xlabel("where the actual duration fell in the predicted range\n"
                         "(0% = at the short end, 100% = at the long end)")
        right.set_ylabel("share of tickets")
        right.set_title("Calibration profile (PIT histogram)")
        right.legend(loc="upper center", fontsize=8.5, ncols=2)


@dataclass(kw_only=True, eq=False, repr=False)
class _Drift:
    """The data both drift figures draw."""

    #: ``drift_result.multipliers`` (engineer as text): per engineer and
    #: window, ``median``, ``p10``, ``p90``, ``n_finished`` ...
    multipliers: pd.DataFrame
    #: Per window number: ``window_start``, ``window_end``.
    windows: pd.DataFrame
    #: Engineers, alphabetical (ignoring case).
    engineers: list[str]
    #: Windows with fewer finished tickets than this are marked.
    min_tickets: int

    @classmethod
    def from_drift(cls, drift_result, *, min_tickets: int = 5):
        """The multipliers of each window of a :class:`~calibrate.backtest.DriftResult`."""
        frame = drift_result.multipliers.copy()
        frame["engineer"] = frame["engineer"].astype(str)
        windows = (frame.groupby("window")[["window_start", "window_end"]].agg(
            {"window_start": "min", "window_end": "max"}).sort_index())
        return cls(multipliers=frame, windows=windows,
                   engineers=_data.sorted_names(frame["engineer"]), min_tickets=min_tickets)

    def _numbers(self) -> np.ndarray:
        return self.windows.index.to_numpy()

    def _labels(self) -> list[str]:
        return [f"{w.window_start:%b ’%y}–\n{w.window_end:%b ’%y}"
                for w in self.windows.itertuples()]

    def _of(self, engineer: str) -> pd.DataFrame:
        """The engineer's rows, one per window (NaN where absent)."""
        frame = self.multipliers
        return frame[frame["engineer"] == engineer].set_index("window").reindex(self._numbers())

    def _range(self) -> tuple[float, float]:
        values = self.multipliers[["p10", "p90"]].to_numpy(dtype=float)
        return (min(float(np.nanmin(values)), 0.9) / 1.1,
                max(float(np.nanmax(values)), 1.1) * 1.1)

    def _scale(self, ax: Axes, y_low: float, y_high: float, labels: list[str], *,
               fontsize: float) -> None:
        numbers = self._numbers()
        ax.set_xlim(numbers.min() - 0.5, numbers.max() + 0.5)
        ax.set_ylim(y_low, y_high)
        _style.log_axis(ax, "y", _style.MULTIPLIER_TICKS, template="×{:g}")
        ax.set_xticks(numbers, labels, fontsize=fontsize)
        ax.grid(axis="y", color="#EEEEEE", linewidth=0.8)
        ax.set_axisbelow(True)

    def _one_line(self, ax: Axes) -> None:
        ax.axhline(1, color=_style.MUTED, linestyle="--", linewidth=1.0, gid="one")


class DriftDisplay(_Drift):
    """Each engineer's multiplier over successive windows, one small panel
    per engineer (shared axes).

    Median multiplier per window (line and markers) with its 80% interval
    (p10-p90, shaded band), log y axis, line at 1. Hollow markers: windows in
    which the engineer finished fewer than ``min_tickets`` tickets.

    ``from_drift`` reads the windows; ``plot`` draws a new figure and sets ``figure_``
    and ``axes_`` (a panel per engineer).
    """

    def plot(self) -> DriftDisplay:
        """Draw a new figure of one panel per engineer."""
        engineers = self.engineers
        n_columns = min(len(engineers), 4 if len(engineers) <= 16 else 5)
        step = max(1, math.ceil(len(self._numbers()) * n_columns / 20))  # labels that fit
        labels = [label if k % step == 0 else "" for k, label in enumerate(self._labels())]
        y_low, y_high = self._range()
        with _style.applied():
            figure, panels, bottoms = _style.small_multiples(len(engineers), n_columns, 2.0, 1.3)
            for engineer, panel in zip(engineers, panels, strict=True):
                self._draw_engineer(panel, engineer)
                panel.set_title("\n".join(textwrap.wrap(engineer, 24)[:2]),
                                fontsize=9 if n_columns > 4 else 9.5)
                self._one_line(panel)
            _style.finish_panels(
                figure, panels, bottoms, legend=self._legend_handles(), ncols=4,
                scale=lambda panel: self._scale(panel, y_low, y_high, labels, fontsize=7.5),
                xlabel="period (by start of work)", xlabel_size=9,
                ylabel="multiplier (log scale; ×1 = team typical)",
                title="Multipliers over time (periods hold equal numbers of tickets)")
            _style.plain_text(figure)
        self.figure_, self.axes_ = figure, panels
        return self

    def _legend_handles(self) -> list:
        colour = _style.AREA_COLOURS[0]
        return [
            Line2D([], [], color=colour, marker="o", label="median multiplier"),
            Patch(color=_style.BAND, label="80% interval"),
            Line2D([], [], color=colour, marker="o", markerfacecolor="white", linestyle="",
                   label=f"fewer than {self.min_tickets} finished tickets"),
            Line2D([], [], color=_style.MUTED, linestyle="--", label="team typical (×1)"),
        ]

    def _draw_engineer(self, panel: Axes, engineer: str) -> None:
        mine = self._of(engineer)
        x = self._numbers().astype(float)
        colour = _style.AREA_COLOURS[0]
        panel.fill_between(x, mine["p10"], mine["p90"], color=_style.BAND, linewidth=0,
                           gid="drift-band")
        panel.vlines(x, mine["p10"], mine["p90"], color="#999999", linewidth=1.0,
                     gid="drift-interval")
        panel.plot(x, mine["median"], color=colour, linewidth=1.8, gid="drift", label=engineer)
        few = too_few(mine["n_finished"].to_numpy(dtype=float), self.min_tickets)
        panel.plot(x[~few], mine["median"][~few], color=colour, marker="o", markersize=5,
                   linestyle="")
        panel.plot(x[few], mine["median"][few], color=colour, marker="o", markersize=5,
                   linestyle="", markerfacecolor="white")


class DriftOverlayDisplay(_Drift):
    """Every engineer's multiplier over successive windows on one axes,
    dodged sideways, with error bars for the 80% intervals.

    ``plot`` sets ``figure_`` and ``ax_``.
    """

    def plot(self, ax: Axes | None = None) -> DriftOverlayDisplay:
        """Draw on ``ax`` (by default a new figure)."""
        engineers = self.engineers
        y_low, y_high = self._range()
        y_high *= (y_high / y_low) ** (0.12 * math.ceil(len(engineers) / 4))  # legend room
        spread = 0.5 / max(len(engineers), 1)
        own = ax is None
        with _style.applied():
            figure, ax = _style.own_axes(ax, _style.WIDTH, 6.0)
            for index, engineer in enumerate(engineers):
                mine = self._of(engineer)
                colour, marker, line = _style.series_style(index)
                x = (self._numbers().astype(float)
                     + (index - (len(engineers) - 1) / 2) * spread)
                ax.errorbar(x, mine["median"], yerr=[mine["median"] - mine["p10"],
                                                     mine["p90"] - mine["median"]],
                            color=colour, marker=marker, linestyle=line, linewidth=1.5,
                            markersize=6, capsize=2, elinewidth=1.0, label=engineer,
                            markeredgecolor=_style.INK, markeredgewidth=0.5, gid="drift")
                if index == 0:  # once, beneath the other engineers' lines
                    self._one_line(ax)
            self._scale(ax, y_low, y_high, self._labels(), fontsize=8.5)
            ax.legend(loc="upper left", fontsize=8, ncols=min(4, len(engineers)))
            ax.set_xlabel("period (tickets by start of work)")
            ax.set_ylabel("multiplier (log scale; ×1 = team typical)")
            ax.set_title(_style.fit(ax, "Multipliers over time (median, 80% interval)"))
            _style.plain_text(figure if own else ax)
        self.figure_, self.ax_ = figure, ax
        return self

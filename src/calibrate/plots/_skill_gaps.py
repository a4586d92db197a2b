"""The team's skill gaps: clearly fast engineers and key-person share per
area, and what a hire would change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from calibrate.plots import _style
from calibrate.plots._reassignment import signed_days

__all__ = ["SkillGapsDisplay"]

#: The shading behind a gap area's row (and the colour of its marks).
GAP_SHADE = "#F6E3E7"


@dataclass(kw_only=True, eq=False, repr=False)
class SkillGapsDisplay:
    """Per area, how many engineers are clearly fast and how much of the
    recent work rests on one person; with a hiring comparison, the mix's
    expected working days for the team as is and with each candidate.

    Left panel: the number of the team's engineers who are clearly fast in
    the area (their multiplier's interval at the result's confidence below
    1), with "of N" engineers who have tickets there. Right panel: the
    share of the area's recent tickets worked by one engineer, with their
    name. The two share the area rows (name order, top to bottom). A gap
    area — no one clearly fast — is shaded, its label bold, and reads "no
    one clearly fast"; an area with too few recent tickets for a verdict
    is shown in grey with a note. With a comparison (``hiring``), a third
    panel below: one bar per scenario (the team as is, then each
    candidate in the order given) with the expected days and the saving.

    ``from_gaps`` (or ``from_result``) reads the tables; ``plot`` draws them
    and sets ``figure_`` and ``axes_`` (the coverage panels, then the hiring
    panel when there is one).
    """

    #: One row per area (name order): ``area``, ``n_engineers``,
    #: ``n_clearly_fast``, ``n_recent_tickets``, ``key_person``,
    #: ``key_person_tickets``, ``key_person_share``, ``verdict``.
    coverage: pd.DataFrame
    #: Weeks of started tickets that count as recent.
    window_weeks: float
    #: The level of the multiplier intervals.
    confidence: float
    min_recent_tickets: int
    #: One row per scenario, team as is first: ``scenario``, ``days``,
    #: ``saving_days``, ``saving_share``; None without a comparison.
    hiring: pd.DataFrame | None = None
    #: Tickets in the compared mix, and the date the work is done.
    mix_tickets: float | None = None
    on: pd.Timestamp | None = None

    @classmethod
    def from_gaps(cls, gaps) -> SkillGapsDisplay:
        """The tables of a :class:`~calibrate.skill_gaps.SkillGaps`.

        Examples
        --------
        >>> from calibrate import Calibrator, read_export
        >>> from calibrate.plots._skill_gaps import SkillGapsDisplay
        >>> from calibrate.skill_gaps import skill_gaps
        >>> table = read_export("data/sample/jira_changelog.json",
        ...                     config="data/sample/calibrate.toml")
        >>> gaps = skill_gaps(Calibrator().fit(table).result_, table,
        ...                   candidates={"a typical engineer": {}})
        >>> display = SkillGapsDisplay.from_gaps(gaps).plot()
        >>> len(display.axes_)
        3
        """
        coverage = gaps.coverage[["area", "n_engineers", "n_clearly_fast", "n_recent_tickets",
                                  "key_person", "key_person_tickets", "key_person_share",
                                  "verdict"]].reset_index(drop=True)
        hiring = mix_tickets = on = None
        if gaps.hiring is not None and len(gaps.hiring):
            table = gaps.hiring
            team_days = float(table["team_days"].iloc[0])
            hiring = pd.DataFrame({
                "scenario": ["team as is", *table["candidate"].astype(str)],
                "days": [team_days, *table["with_hire_days"].astype(float)],
                "saving_days": [0.0, *table["saving_days"].astype(float)],
                "saving_share": [0.0, *table["saving_share"].astype(float)],
            })
            mix_tickets = float(table["tickets"].iloc[0])
            on = gaps.settings.get("on")
        return cls(coverage=coverage, window_weeks=float(gaps.window["weeks"]),
                   confidence=float(gaps.confidence),
                   min_recent_tickets=int(gaps.min_recent_tickets), hiring=hiring,
                   mix_tickets=mix_tickets, on=on)

    @classmethod
    def from_result(cls, result, tickets, **options) -> SkillGapsDisplay:
        """:func:`~calibrate.skill_gaps.skill_gaps` of ``result`` and its
        ``tickets`` (``options`` are its keyword arguments), then
        :meth:`from_gaps`."""
        from calibrate.skill_gaps import skill_gaps

        return cls.from_gaps(skill_gaps(result, tickets, **options))

    def plot(self, axes: Sequence[Axes] | None = None) -> SkillGapsDisplay:
        """Draw on ``axes`` (two, or three with a comparison; by default a
        new figure)."""
        n_areas = len(self.coverage)
        with_hiring = self.hiring is not None
        coverage_height = _style.rows_height(n_areas, 0.45, 1.6, minimum=2.4)
        hiring_height = 1.5 + 0.4 * len(self.hiring) if with_hiring else 0.0
        with _style.applied():
            own = axes is None
            if own:
                figure = _style.new_figure(_style.WIDTH, coverage_height + hiring_height)
                if with_hiring:
                    panels = figure.subplot_mosaic(
                        [["fast", "key"], ["hiring", "hiring"]],
                        height_ratios=[coverage_height, hiring_height],
                        width_ratios=[1, 1.25])
                    chosen = [panels["fast"], panels["key"], panels["hiring"]]
                else:
                    chosen = list(figure.subplots(1, 2, width_ratios=[1, 1.25]))
                chosen[1].sharey(chosen[0])
            else:
                chosen = list(axes)
                wanted = 3 if with_hiring else 2
                if len(chosen) != wanted:
                    raise ValueError(f"give {wanted} axes (the coverage panels"
                                     f"{' and the hiring panel' if with_hiring else ''}), "
                                     f"not {len(chosen)}")
                figure = chosen[0].figure
                _style.fit_layout(*chosen)
            self._draw_fast(chosen[0])
            # Side by side on its own figure, the panels share the area labels.
            self._draw_key_person(chosen[1], labels=not own)
            if with_hiring:
                self._draw_hiring(chosen[2])
            _style.plain_text(*([figure] if own else chosen))
        self.figure_, self.axes_ = figure, tuple(chosen)
        return self

    # -- the coverage panels --------------------------------------------------

    def _rows(self, ax: Axes, labels: bool = True) -> tuple[np.ndarray, np.ndarray,
                                                             np.ndarray]:
        """Area rows top to bottom, gap rows shaded; labels bold for gaps
        (or none). Returns the rows' y, and which are gaps and which have no
        verdict."""
        frame = self.coverage
        y = np.arange(len(frame), dtype=float)
        verdict = frame["verdict"].to_numpy(dtype=object)
        gap, few = verdict == "gap", verdict == "too few recent tickets"
        for row in np.flatnonzero(gap):
            ax.axhspan(row - 0.5, row + 0.5, color=GAP_SHADE, zorder=0, linewidth=0,
                       gid="gap-row")
        size = _style.label_size(len(frame))
        width = _style.name_width(ax, size)
        ax.set_yticks(y, [_style.short(area, width) for area in frame["area"]])
        for tick, is_gap, is_few in zip(ax.get_yticklabels(), gap, few, strict=True):
            tick.set_fontweight("bold" if is_gap else "normal")
            tick.set_color(_style.OVER if is_gap else _style.MUTED if is_few else _style.INK)
            tick.set_fontstyle("italic" if is_few else "normal")
            tick.set_fontsize(size)
        ax.tick_params(axis="y", length=0, labelleft=labels)
        ax.set_ylim(len(frame) - 0.5, -0.5)
        return y, gap, few

    def _draw_fast(self, ax: Axes) -> None:
        frame = self.coverage
        y, gap, few = self._rows(ax)
        count = frame["n_clearly_fast"].to_numpy(dtype=float)
        engineers = frame["n_engineers"].to_numpy(dtype=int)
        colours = [_style.BAND if f else _style.AREA_COLOURS[0] for f in few]
        ax.barh(y, count, height=0.6, color=colours, gid="clearly-fast", zorder=2)
        top = max(float(engineers.max()) if len(engineers) else 1.0, 1.0)
        for row in range(len(frame)):
            if gap[row]:
                ax.text(0, y[row], f" no one clearly fast (of {engineers[row]})", va="center",
                        ha="left", fontsize=9, fontweight="bold", color=_style.OVER,
                        gid="gap", zorder=3)
            elif few[row]:
                ax.text(count[row], y[row], f" {int(count[row])} of {engineers[row]} · too few "
                        f"recent tickets ({frame['n_recent_tickets'].iloc[row]})", va="center",
                        ha="left", fontsize=8.5, fontstyle="italic", color=_style.MUTED,
                        gid="too-few", zorder=3)
            else:
                ax.text(count[row], y[row], f" {int(count[row])} of {engineers[row]}",
                        va="center", ha="left", fontsize=9, color=_style.INK, gid="count",
                        zorder=3)
        ax.set_xlim(0, top * 1.9)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(_style.fit(ax, "engineers clearly fast there (of those with tickets "
                                 "in the area)", 9), fontsize=9)
        ax.set_title(_style.fit(ax, f"Clearly fast: {self.confidence:.0%} interval below the "
                                "team typical"), pad=8)

    def _draw_key_person(self, ax: Axes, labels: bool) -> None:
        frame = self.coverage
        y, gap, few = self._rows(ax, labels)
        share = frame["key_person_share"].to_numpy(dtype=float)
        shown = np.where(np.isfinite(share), share * 100, 0.0)
        colours = [_style.BAND if f else _style.OVER if g else _style.AREA_COLOURS[3]
                   for g, f in zip(gap, few, strict=True)]
        ax.barh(y, shown, height=0.6, color=colours, gid="key-person", zorder=2)
        for row in range(len(frame)):
            n_recent = int(frame["n_recent_tickets"].iloc[row])
            if not n_recent:
                text, gid = " no recent tickets", "too-few"
            else:
                text = (f" {share[row]:.0%} · {frame['key_person'].iloc[row]} "
                        f"({frame['key_person_tickets'].iloc[row]} of {n_recent})")
                gid = "too-few" if few[row] else "share"
            ax.text(shown[row], y[row], text, va="center", ha="left", fontsize=9,
                    color=_style.MUTED if few[row] else _style.INK,
                    fontstyle="italic" if few[row] else "normal", gid=gid, zorder=3,
                    clip_on=False)
        ax.set_xlim(0, 175)
        ticks = [0, 25, 50, 75, 100]
        ax.set_xticks(ticks, [f"{t}%" for t in ticks])
        note = (f" · grey: under {self.min_recent_tickets} recent tickets, no verdict"
                if few.any() else "")
        ax.set_xlabel(_style.fit(ax, f"share of the area's tickets started in the last "
                                 f"{self.window_weeks:g} weeks{note}", 9), fontsize=9)
        ax.set_title(_style.fit(ax, "Key person: recent tickets resting on one engineer"),
                     pad=8)

    # -- the hiring panel -------------------------------------------------------

    def _draw_hiring(self, ax: Axes) -> None:
        frame = self.hiring
        y = np.arange(len(frame), dtype=float)
        days = frame["days"].to_numpy(dtype=float)
        colours = [_style.MUTED] + [_style.AREA_COLOURS[0]] * (len(frame) - 1)
        ax.barh(y, days, height=0.6, color=colours, gid="hiring", zorder=2)
        for row in range(len(frame)):
            text = f" {days[row]:.1f} days"
            if row:
                saving = frame["saving_days"].iloc[row]
                percent = signed_days(-100 * frame["saving_share"].iloc[row])
                text += f" · {signed_days(-saving)} ({percent}%)"
            ax.text(days[row], y[row], text, va="center", ha="left", fontsize=9,
                    color=_style.INK, gid="hiring-days", zorder=3,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
        size = _style.label_size(len(frame))
        width = _style.name_width(ax, size)
        labels = ["team as is", *[f"with {_style.short(name, width)}"
                                  for name in frame["scenario"].iloc[1:]]]
        ax.set_yticks(y, labels)
        ax.get_yticklabels()[0].set_fontweight("bold")
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(len(frame) - 0.5, -0.5)
        ax.set_xlim(0, float(days.max()) * 1.35 if len(days) and days.max() > 0 else 1.0)
        ax.axvline(days[0], color=_style.INK, linestyle=":", linewidth=1.0, gid="as-is",
                   zorder=1)
        on = "" if self.on is None else f" on {pd.Timestamp(self.on).date().isoformat()}"
        ax.set_xlabel(_style.fit(ax, "expected working days of the mix (sum of the tickets' "
                                 "mean days, the work shared out at the least total)", 9),
                      fontsize=9)
        ax.set_title(_style.fit(ax, f"What if we hire: the mix of {self.mix_tickets:g} tickets"
                                f"{on}"), pad=8)

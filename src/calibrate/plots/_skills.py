"""Declared skills against the tickets, and the ramp-up of new members."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from calibrate._names import too_few
from calibrate.errors import InputError, Problem
from calibrate.plots import _data, _style
from calibrate.skills import UNDECLARED

__all__ = ["DeclaredVsMeasuredDisplay", "RampUpDisplay"]

SLOWER, FASTER, CONSISTENT = "slower than declared", "faster than declared", "consistent"
#: Colour, marker and bar width of each verdict. The marker points the way the
#: tickets push (longer: right), so the flag also reads in greyscale print.
VERDICT_STYLE = {
    CONSISTENT: ("#666666", "o", 1.8),
    SLOWER: (_style.OVER, ">", 2.8),
    FASTER: (_style.AREA_COLOURS[0], "<", 2.8),
}
LEVEL_LINE = "#A8A8A8"
LEVEL_DASHES = (0, (2, 2))  # short dashes: not the ×1 line's long ones


def _without_profiles(what: str) -> InputError:
    return InputError(
        f"cannot draw {what}: the result was fitted without skill profiles",
        [Problem("no declared levels or start dates in the fitted result",
                 expected="the result of Calibrator().fit(tickets, skills=profiles)")],
        hint="Fit with skills= (Calibrator().fit(tickets, skills=read_skills(FILE)); "
             "calibrate fit --skills FILE).")


def _skills_of(result, what: str) -> dict:
    """The result's skills section; an InputError when it has none."""
    skills = getattr(result.multipliers, "skills", None)
    if skills is None:
        raise _without_profiles(what)
    return skills


@dataclass(kw_only=True, eq=False, repr=False)
class DeclaredVsMeasuredDisplay:
    """Each engineer's measured multiplier per area against the multiplier
    of the level they declared there.

    Rows are grouped by area (a bold row names the area), engineers in
    alphabetical order (ignoring case) within it, unless chosen and ordered
    by ``engineers``. Grouping by area rather than by engineer, and on one
    axes rather than a panel per area: a level's multiplier is the area's
    (strong in research is not strong in data engineering), so each area's
    levels are drawn once, as faint vertical lines over its rows and named
    on its row, and every declaration is read against its own area's levels;
    one full-width axes leaves room for the verdicts, where narrow panels
    side by side would not, and grows downwards with more areas.

    Per row: dot and bar = the measured multiplier and its 90% interval
    (the engineer's own part: :attr:`CalibrationResult.declared_vs_measured`);
    hollow diamond = what the declared level predicts. Rows whose interval
    excludes the declared level's multiplier are flagged — coloured, drawn
    with a triangle pointing the way the tickets push, and named in a column
    at the right: "slower than declared" or "faster than declared", with the
    area's level the tickets read closest to. Rows resting on fewer than
    ``min_tickets`` finished tickets show the declaration only and read
    "too few tickets". Log x axis, dashed line at ×1 (the area's typical
    engineer).

    A large team: 0.22 inch a row with smaller labels past 12 rows, the
    scale repeated at the top past 30; ``engineers`` draws a group of them,
    on the whole team's scale, so a report can split the rows into figures
    of a page each that read side by side.

    ``from_result`` reads the table; ``plot`` draws it and sets ``figure_`` and
    ``ax_``.
    """

    #: One row per line of the plot, top to bottom: ``label``, ``kind``
    #: ("area": the area's name row, or "cell"), ``engineer``, ``area``,
    #: ``declared``, ``declared_multiplier``, ``measured``, ``measured_low``,
    #: ``measured_high``, ``closest_level``, ``verdict``, ``n_finished``,
    #: ``too_few`` (shown without an estimate).
    rows: pd.DataFrame
    #: The multiplier of each declared level against the area's typical
    #: engineer: ``area``, ``level``, ``multiplier`` (the levels' lines).
    levels: pd.DataFrame
    #: Rows with fewer finished tickets than this are "too few tickets".
    min_tickets: int = 0
    #: The multiplier axis's range: the whole team's, also when ``rows``
    #: hold only some engineers (so split figures share one scale).
    span: tuple[float, float] = (0.9 / 1.15, 1.1 * 1.15)

    @classmethod
    def from_result(cls, result, *, engineers: Sequence[str] | None = None,
                    min_tickets: int = 0) -> DeclaredVsMeasuredDisplay:
        """The declared and measured multipliers of every engineer x area
        with a declaration, from ``result.declared_vs_measured``.

        Parameters
        ----------
        result : CalibrationResult (or a fitted Calibrator)
            Fitted with skill profiles (``Calibrator().fit(tickets, skills=...)``).
        engineers : sequence of str, optional
            Only these engineers, in this order within each area (to split a
            large team over several figures); by default everyone,
            alphabetically ignoring case.
        min_tickets : int
            Rows with fewer finished tickets than this show the declaration
            only, as "too few tickets" (the overrun map's rule,
            :func:`calibrate._names.too_few`).

        Raises
        ------
        InputError
            When the result was fitted without skill profiles.
        ValueError
            When ``engineers`` names someone the result does not know.

        Examples
        --------
        >>> import calibrate
        >>> from calibrate.datasets import simulate_tickets
        >>> from calibrate.plots._skills import DeclaredVsMeasuredDisplay
        >>> simulated = simulate_tickets(1200, 8, seed=1, history_days=400, ramp_up=(0.7, 8.0),
        ...     level_effects={"basic": 0.0, "proficient": -0.3, "strong": -0.6})
        >>> result = calibrate.Calibrator().fit(simulated.tickets,
        ...                                     skills=simulated.skills).result_
        >>> display = DeclaredVsMeasuredDisplay.from_result(result).plot()
        >>> int((display.rows["kind"] == "cell").sum()) == len(result.declared_vs_measured)
        True
        """
        result = _data.fitted_result(result)
        table = result.declared_vs_measured
        if table is None:
            raise _without_profiles("declared against measured")
        table = table.assign(engineer=table["engineer"].astype(str),
                             area=table["area"].astype(str))
        everyone = _data.engineers_of(result)
        if engineers is None:
            chosen = everyone
        else:
            chosen = list(dict.fromkeys(map(str, engineers)))
            unknown = [name for name in chosen if name not in set(everyone)]
            if unknown:
                raise ValueError(f"not engineers of the result: {', '.join(unknown)}")
        effects = result.level_effects
        levels = pd.DataFrame({"area": effects["area"].astype(str),
                               "level": effects["level"].astype(str),
                               "multiplier": effects["team_multiplier"].astype(float)})
        levels = levels[levels["level"] != UNDECLARED].reset_index(drop=True)
        areas = [area for area in _data.areas_of(result) if area in set(table["area"])]
        # The scale covers the whole team, so figures of different groups of
        # engineers (a large team split over pages) can be read side by side.
        whole = _rows(table, areas, everyone, min_tickets)
        frame = whole if engineers is None else _rows(table, areas, chosen, min_tickets)
        return cls(rows=frame, levels=levels, min_tickets=min_tickets,
                   span=_span(whole, levels))

    def plot(self, ax: Axes | None = None) -> DeclaredVsMeasuredDisplay:
        """Draw on ``ax`` (by default a new figure, one row per line; the
        legend goes below a figure of its own, inside a given ``ax``)."""
        n_rows = max(len(self.rows), 1)
        with _style.applied():
            own = ax is None
            figure, ax = _style.own_axes(ax, _style.WIDTH, _style.rows_height(n_rows, 0.22, 1.9))
            self._decorate(ax)
            self._draw(ax)
            self._legend(figure, ax, own)
            _style.plain_text(figure if own else ax)
        self.figure_, self.ax_ = figure, ax
        return self

    def _draw(self, ax: Axes) -> None:
        frame = self.rows
        if frame.empty:
            ax.text(0.5, 0.5, "no declared levels for these engineers", ha="center",
                    va="center", transform=ax.transAxes, color=_style.MUTED, gid="empty")
            return
        y = np.arange(len(frame), dtype=float)
        kind = frame["kind"].to_numpy()
        headers = np.flatnonzero(kind == "area")
        bounds = [*headers, len(frame)]
        for k in range(len(headers)):
            top, bottom = bounds[k] - 0.5, bounds[k + 1] - 0.5
            if k % 2 == 0:  # shade every other area's rows
                ax.axhspan(top, bottom, color="#F2F2F2", zorder=0, linewidth=0)
            self._area_levels(ax, frame["area"].iloc[headers[k]], headers[k], top, bottom)
        ax.axvline(1, color=_style.MUTED, linestyle="--", linewidth=1.0, zorder=1, gid="one")
        cells = kind == "cell"
        shown = cells & ~frame["too_few"].to_numpy(dtype=bool)
        ax.plot(frame["declared_multiplier"][cells], y[cells], linestyle="", marker="D",
                markersize=7, markerfacecolor="none", markeredgecolor=_style.INK,
                markeredgewidth=1.3, zorder=6, gid="declared")
        verdict = frame["verdict"].to_numpy(dtype=object)
        for name, (colour, marker, width) in VERDICT_STYLE.items():
            mine = shown & (verdict == name)
            gid = name.split()[0]  # "consistent", "slower", "faster"
            ax.hlines(y[mine], frame["measured_low"][mine], frame["measured_high"][mine],
                      color=colour, linewidth=width, zorder=4, gid=f"{gid}-interval")
            ax.plot(frame["measured"][mine], y[mine], linestyle="", marker=marker,
                    markersize=8 if name != CONSISTENT else 6.5, color=colour,
                    markeredgecolor=_style.INK, markeredgewidth=0.5, zorder=5,
                    gid=f"{gid}-measured")
        self._verdicts(ax, y)

    def _area_levels(self, ax: Axes, area: str, header: int, top: float, bottom: float) -> None:
        """The area's levels: faint lines over its rows, named on its row."""
        mine = self.levels[self.levels["area"] == area].sort_values("multiplier")
        if mine.empty:
            return
        ax.vlines(mine["multiplier"], top, bottom, color=LEVEL_LINE, linewidth=1.2,
                  linestyle=LEVEL_DASHES, zorder=1, gid="level-line")
        for x, text in _level_labels(ax, mine, self.span):
            ax.text(x, header, text, ha="center", va="center", fontsize=7.5,
                    color=_style.MUTED, fontstyle="italic", zorder=3, gid="level-name",
                    clip_on=True,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6, "alpha": 0.85})

    def _verdicts(self, ax: Axes, y: np.ndarray) -> None:
        """The verdict column at the right: flagged rows in their colour, bold."""
        frame = self.rows
        # Room for a whole sentence on the displays' own width; a word on a small figure.
        long = ax.figure.bbox.width / ax.figure.dpi >= 0.7 * _style.WIDTH
        transform = ax.get_yaxis_transform()
        for row, where in zip(frame.itertuples(index=False), y, strict=True):
            if row.kind != "cell":
                continue
            if row.too_few:
                ax.text(1.01, where, f"too few tickets ({row.n_finished})", transform=transform,
                        ha="left", va="center", fontsize=7.5, fontstyle="italic",
                        color=_style.MUTED, gid="too-few")
                continue
            if row.verdict == CONSISTENT:
                continue
            text = row.verdict if long else row.verdict.split()[0]
            if long and pd.notna(row.closest_level) and row.closest_level != row.declared:
                text += f" (closest: {row.closest_level})"
            ax.text(1.01, where, text, transform=transform, ha="left", va="center",
                    fontsize=8, fontweight="bold", color=VERDICT_STYLE[row.verdict][0],
                    gid="verdict")

    def _decorate(self, ax: Axes) -> None:
        """Row labels (areas bold, flagged engineers in their colour), the
        log multiplier axis, titles."""
        frame = self.rows
        n_rows = max(len(frame), 1)
        size = _style.label_size(n_rows)
        ax.set_ylim(n_rows - 0.5, -0.5)
        width = _style.name_width(ax, size)
        labels = [_style.short(row.area, width) if row.kind == "area" else
                  f"{_style.short(row.engineer, width)} · {_declared_text(row.declared)} "
                  f"({row.n_finished})" for row in frame.itertuples(index=False)]
        ax.set_yticks(np.arange(len(frame), dtype=float), labels)
        for tick, row in zip(ax.get_yticklabels(), frame.itertuples(index=False), strict=True):
            header = row.kind == "area"
            flagged = not header and not row.too_few and row.verdict != CONSISTENT
            tick.set_fontweight("bold" if header or flagged else "normal")
            tick.set_fontsize(size if header else size - 0.5)
            tick.set_color(_style.MUTED if not header and row.too_few
                           else VERDICT_STYLE[row.verdict][0] if flagged else _style.INK)
            tick.set_fontstyle("italic" if not header and row.too_few else "normal")
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(*self.span)
        _style.log_axis(ax, "x", _style.MULTIPLIER_TICKS, template="×{:g}")
        ax.grid(axis="x", color="#E5E5E5", linewidth=0.8)
        ax.set_axisbelow(True)
        if n_rows > 30:  # a tall figure: the scale at the top as well
            ax.tick_params(axis="x", labeltop=True)
        ax.set_xlabel(_style.fit(ax, "multiplier on the working days of the area's typical "
                                 "engineer (log scale; ×2 = twice as long, ×0.5 = half)", 10))
        ax.set_title(_style.fit(ax, "Declared levels against the tickets (90% intervals)"),
                     pad=10)

    def _legend(self, figure: Figure, ax: Axes, own: bool) -> None:
        def measured(name: str, label: str) -> Line2D:
            colour, marker, width = VERDICT_STYLE[name]
            return Line2D([], [], color=colour, marker=marker, linewidth=width,
                          markeredgecolor=_style.INK, markeredgewidth=0.5, label=label)

        handles = [
            measured(CONSISTENT, "measured (median, 90% interval): consistent"),
            measured(SLOWER, SLOWER),
            measured(FASTER, FASTER),
            Line2D([], [], color=_style.INK, marker="D", markerfacecolor="none", linestyle="",
                   markeredgewidth=1.3, label="what the declared level predicts"),
            Line2D([], [], color=LEVEL_LINE, linestyle=LEVEL_DASHES,
                   label="the area's levels (named on its row)"),
            Line2D([], [], color=_style.MUTED, linestyle="--", label="area typical (×1)"),
        ]
        # What a flag means, and how often one is wrong: with many rows some are.
        title = ("flagged: the 90% interval excludes the declared level's multiplier "
                 "(about 1 in 10 true declarations is flagged by chance)")
        if own:
            figure.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8.5,
                          title=title, title_fontsize=8.5)
        else:  # inside a caller's axes: only what the row labels and verdicts do not say
            ax.legend(handles=[handles[3], handles[1], handles[2]], loc="best", fontsize=7,
                      labels=["declared level", "slower", "faster"])
        note = "(n) = finished tickets"
        if self.rows["too_few"].any():
            note += f"; too few: under {self.min_tickets}"
        ax.text(0.0, -0.5, note, transform=ax.get_yaxis_transform(),
                fontsize=7.5, color=_style.MUTED, ha="right", va="bottom")


def _declared_text(level) -> str:
    return "no level declared" if level == UNDECLARED else str(level)


def _rows(table: pd.DataFrame, areas: list[str], engineers: list[str],
          min_tickets: int) -> pd.DataFrame:
    """The plot's rows: per area, its name row and its engineers' rows in
    the order of ``engineers``."""
    columns = ["engineer", "area", "declared", "declared_multiplier", "measured",
               "measured_low", "measured_high", "closest_level", "verdict", "n_finished"]
    position = {name: k for k, name in enumerate(engineers)}
    rows: list[dict] = []
    for area in areas:
        mine = table[(table["area"] == area) & table["engineer"].isin(position)]
        if mine.empty:
            continue
        mine = mine.iloc[np.argsort(mine["engineer"].map(position).to_numpy(), kind="stable")]
        rows.append({"kind": "area", "area": area, "label": area})
        rows += [{**cell, "kind": "cell", "label": cell["engineer"]}
                 for cell in mine[columns].to_dict("records")]
    frame = pd.DataFrame(rows, columns=["label", "kind", *columns])
    frame["n_finished"] = frame["n_finished"].fillna(0).astype(int)
    frame["too_few"] = (frame["kind"] == "cell").to_numpy() & too_few(
        frame["n_finished"].to_numpy(dtype=float), min_tickets)
    return frame


def _span(frame: pd.DataFrame, levels: pd.DataFrame) -> tuple[float, float]:
    """The multiplier axis's range: the shown intervals, the declared levels'
    multipliers and ×1, with a margin."""
    cells = frame[(frame["kind"] == "cell").to_numpy()]
    shown = cells[~cells["too_few"].to_numpy(dtype=bool)]
    values = np.concatenate([
        shown[["measured_low", "measured_high"]].to_numpy(dtype=float).ravel(),
        cells["declared_multiplier"].to_numpy(dtype=float),
        levels.loc[levels["area"].isin(set(cells["area"])), "multiplier"].to_numpy(dtype=float),
        [1.0]])
    values = values[np.isfinite(values) & (values > 0)]
    return min(values.min(), 0.9) / 1.15, max(values.max(), 1.1) * 1.15


def _level_labels(ax: Axes, levels: pd.DataFrame,
                  span: tuple[float, float]) -> list[tuple[float, str]]:
    """Where to name an area's levels, and with what: levels whose names
    would overlap on the axis are named together ("proficient · strong", at
    their middle) — their multipliers are then as good as the same."""
    # The axes' width before layout, less the room the row labels and the
    # verdicts will take; 0.58 em a character (DejaVu Sans), 7.5 points.
    inches = 0.7 * ax.bbox.width / ax.figure.dpi
    low, high = np.log(span[0]), np.log(span[1])

    def place(value: float) -> float:
        return (np.log(value) - low) / (high - low) * inches

    def width(text: str) -> float:
        return (len(text) + 2) * 0.58 * 7.5 / 72

    groups = [([float(value)], [str(level)]) for value, level
              in zip(levels["multiplier"], levels["level"], strict=True)]
    merged = True
    while merged and len(groups) > 1:
        merged = False
        for k in range(len(groups) - 1):
            (a_values, a_names), (b_values, b_names) = groups[k], groups[k + 1]
            a_text, b_text = " · ".join(a_names), " · ".join(b_names)
            a_x = place(math.exp(np.mean(np.log(a_values))))
            b_x = place(math.exp(np.mean(np.log(b_values))))
            if b_x - a_x < (width(a_text) + width(b_text)) / 2:
                groups[k:k + 2] = [(a_values + b_values, a_names + b_names)]
                merged = True
                break
    return [(math.exp(np.mean(np.log(values))), " · ".join(names)) for values, names in groups]


@dataclass(kw_only=True, eq=False, repr=False)
class RampUpDisplay:
    """The ramp-up of new members: the slowdown factor on their working days
    by weeks on the team, with its 90% band.

    The curve is exp(rho exp(-weeks / tau)) at the estimates; the band
    integrates over tau as :meth:`CalibrationResult.ramp_up_curve` does. A
    dotted line marks a remaining slowdown of 10% (the result's ``within``);
    the diamond on it, at ``weeks_to_typical``, is where a new member
    reaches the team's typical speed, with its 90% interval as a bar (an
    arrow where the interval's upper end lies beyond the scales tried).
    Dashed line at ×1: the member's settled speed. Linear weeks, log factor.

    With ``tickets``, the new members' tickets are drawn behind the curve:
    each one's working days over the model's prediction for its engineer,
    area and points once settled, at the weeks on the team it started —
    finished tickets as dots, open ones as hollow triangles (at least this
    long). Single tickets scatter by about ×2 around the curve (the noise
    the model leaves), so the finished tickets' geometric mean per band of
    weeks is drawn too — only where at least 5 finished and at most 10% of
    the band's tickets are still open: the open ones are the long ones, and
    leaving them out would pull the mean down. Tickets whose ratio lies
    beyond the axis (past the central 98%, which would squeeze the curve)
    are drawn at its edge and counted in a note.

    ``from_result`` reads the curve (and the tickets); ``plot`` draws them and sets
    ``figure_`` and ``ax_``.
    """

    #: ``result.ramp_up_curve(weeks)``: ``weeks``, ``multiplier``, ``low``, ``high``.
    curve: pd.DataFrame
    #: ``result.ramp_up``: ``weeks_to_typical``, ``weeks_low``, ``weeks_high``
    #: (None: beyond the scales tried), ``within``, ``n_engineers``, ``n_tickets`` ...
    ramp: dict
    #: The new members' tickets (empty without ``tickets``): ``engineer``,
    #: ``weeks`` (on the team at the ticket's start), ``ratio`` (working days
    #: over the settled prediction; open: so far), ``censored`` (open).
    tickets: pd.DataFrame
    #: The finished tickets' geometric mean ratio per band of weeks:
    #: ``weeks_from``, ``weeks_to``, ``weeks`` (the middle), ``ratio``,
    #: ``n_finished``, ``n_open``, ``shown`` (few enough open tickets).
    bands: pd.DataFrame
    #: The weeks axis: 0 to this.
    horizon: float

    @classmethod
    def from_result(cls, result, tickets=None, *,
                    horizon_weeks: float | None = None) -> RampUpDisplay:
        """The ramp-up curve and the new members' tickets.

        Parameters
        ----------
        result : CalibrationResult (or a fitted Calibrator)
            Fitted with start dates in the skill profiles and a ramp-up term.
        tickets : TicketTable or DataFrame, optional
            The tickets the result was fitted on: those of engineers with a
            start date, started within ``horizon_weeks`` of it, are drawn.
        horizon_weeks : float, optional
            How many weeks on the team the axis shows; by default 1.25 times
            the largest of ``weeks_to_typical``, its interval's upper end and
            3 tau, between 12 weeks and 4 years.

        Raises
        ------
        InputError
            When the result was fitted without skill profiles, or without a
            ramp-up term.

        Examples
        --------
        >>> import calibrate
        >>> from calibrate.datasets import simulate_tickets
        >>> from calibrate.plots._skills import RampUpDisplay
        >>> simulated = simulate_tickets(1200, 8, seed=1, history_days=400, ramp_up=(0.7, 8.0),
        ...     level_effects={"basic": 0.0, "proficient": -0.3, "strong": -0.6})
        >>> result = calibrate.Calibrator().fit(simulated.tickets,
        ...                                     skills=simulated.skills).result_
        >>> display = RampUpDisplay.from_result(result, simulated.tickets).plot()
        >>> float(display.curve["weeks"].iloc[-1]) == display.horizon
        True
        """
        result = _data.fitted_result(result)
        skills = _skills_of(result, "the ramp-up")
        ramp = result.ramp_up
        if ramp is None:
            raise InputError(
                "cannot draw the ramp-up: the result has no ramp-up term",
                [Problem("no engineer with tickets has a start date, or the fit left the "
                         "ramp-up out", value=f"{len(skills.get('start_dates') or {})} "
                         "start dates", expected="start dates in the skill profiles")],
                hint="Give start dates in the skill profiles (start_date) and fit with "
                     "ramp_up='auto' or True.")
        horizon = (float(horizon_weeks) if horizon_weeks is not None
                   else _horizon(ramp))
        curve = result.ramp_up_curve(np.linspace(0.0, horizon, 97))
        frame = _new_member_tickets(result, ramp, skills, tickets, horizon)
        return cls(curve=curve, ramp=dict(ramp), tickets=frame,
                   bands=_bands(frame, horizon), horizon=horizon)

    def plot(self, ax: Axes | None = None) -> RampUpDisplay:
        """Draw on ``ax`` (by default a new figure; the legend goes below a
        figure of its own, inside a given ``ax``)."""
        with _style.applied():
            own = ax is None
            figure, ax = _style.own_axes(ax, _style.WIDTH, 5.2)
            low, high = self._range()
            ax.set_xlim(0, self.horizon)
            ax.set_ylim(low, high)
            _style.log_axis(ax, "y", _style.MULTIPLIER_TICKS, template="×{:g}")
            beyond = self._draw_tickets(ax, low, high)
            self._draw_curve(ax)
            self._draw_typical(ax)
            self._decorate(ax, beyond)
            self._legend(figure, ax, own)
            _style.plain_text(figure if own else ax)
        self.figure_, self.ax_ = figure, ax
        return self

    def _range(self) -> tuple[float, float]:
        """The factor axis: the band, the 10% line and ×1; the tickets'
        central 98% when drawn."""
        values = [self.curve["low"].min(), self.curve["high"].max(), 1.0,
                  1.0 + self.ramp["within"]]
        ratios = self.tickets["ratio"].to_numpy(dtype=float)
        ratios = ratios[np.isfinite(ratios) & (ratios > 0)]
        if len(ratios):
            values += list(np.quantile(ratios, [0.01, 0.99]))
        values = np.asarray(values, dtype=float)
        return min(values.min(), 0.9) / 1.1, max(values.max(), 1.1) * 1.1

    def _draw_tickets(self, ax: Axes, low: float, high: float) -> int:
        """The tickets (those beyond the axis at its edge); returns how many
        are at the edge."""
        frame = self.tickets
        if frame.empty:
            return 0
        # The edges, a little inside so the marker shows whole.
        ratio = frame["ratio"].to_numpy(dtype=float)
        inside = np.clip(ratio, low * 1.04, high / 1.04)
        edge = inside != ratio
        open_ = frame["censored"].to_numpy(dtype=bool)
        weeks = frame["weeks"].to_numpy(dtype=float)
        # Thousands of dots as vector shapes make the SVG heavy: drawn as an image.
        raster = len(frame) > _style.RASTER_POINTS
        ax.scatter(weeks[~open_], inside[~open_], s=12, marker="o", color=_style.WITHIN,
                   alpha=0.55, linewidths=0, zorder=2, gid="ticket", rasterized=raster)
        ax.scatter(weeks[open_], inside[open_], s=30, marker="^", facecolors="none",
                   edgecolors=_style.INK, linewidths=1.0, zorder=3, gid="open",
                   rasterized=raster)
        bands = self.bands[self.bands["shown"]]
        ax.plot(bands["weeks"], bands["ratio"], linestyle="", marker="s", markersize=6.5,
                color=_style.AREA_COLOURS[1], markeredgecolor=_style.INK, markeredgewidth=0.8,
                zorder=6, gid="band-mean")
        return int(edge.sum())

    def _draw_curve(self, ax: Axes) -> None:
        curve = self.curve
        ax.fill_between(curve["weeks"], curve["low"], curve["high"], color=_style.BAND,
                        alpha=0.8, linewidth=0, zorder=1, gid="ramp-band")
        ax.plot(curve["weeks"], curve["multiplier"], color=_style.AREA_COLOURS[0],
                linewidth=2.4, zorder=5, gid="ramp-curve")
        ax.axhline(1, color=_style.MUTED, linestyle="--", linewidth=1.0, zorder=1, gid="one")
        ax.axhline(1 + self.ramp["within"], color=_style.INK, linestyle=":", linewidth=1.1,
                   zorder=1, gid="within")

    def _draw_typical(self, ax: Axes) -> None:
        """The weeks to the typical speed: a diamond on the 10% line (on the
        curve's start when there is no slowdown to speak of), its interval
        as a bar, and a note."""
        ramp = self.ramp
        weeks = float(ramp["weeks_to_typical"])
        level = (1 + ramp["within"] if weeks > 0
                 else float(self.curve["multiplier"].iloc[0]))
        first, last = ramp["weeks_low"], ramp["weeks_high"]
        ends = [0.0 if first is None else first, self.horizon if last is None else last]
        ax.hlines(level, *ends, color=_style.INK, linewidth=2.2, zorder=6,
                  gid="weeks-interval")
        ax.plot([ends[0]] if last is None else ends, [level] * (1 if last is None else 2),
                linestyle="", marker="|", markersize=9, markeredgewidth=2.0, color=_style.INK,
                zorder=6, gid="weeks-ends")
        if last is None:  # the interval runs on past what the scales tried
            ax.plot([self.horizon], [level], marker=">", color=_style.INK, markersize=7,
                    clip_on=False, zorder=6, gid="weeks-beyond")
        ax.vlines(weeks, ax.get_ylim()[0], level, color=_style.INK, linestyle=":",
                  linewidth=1.0, zorder=6, gid="weeks-line")
        ax.plot([weeks], [level], linestyle="", marker="D", markersize=9,
                color=_style.AREA_COLOURS[1], markeredgecolor=_style.INK, markeredgewidth=1.0,
                zorder=7, gid="weeks-to-typical")
        if weeks > 0:
            text = f"about {weeks:.0f} weeks"
            if first is not None:
                text += (f"\n(90%: {first:.0f} to " + (f"{last:.0f})" if last is not None
                                                        else "beyond the scales tried)"))
        else:
            text = "within 10% from the start"
        right_half = weeks > 0.55 * self.horizon
        ax.annotate(text, (weeks, level), xytext=(-10 if right_half else 10, 14),
                    textcoords="offset points", ha="right" if right_half else "left",
                    va="bottom", fontsize=8.5, fontweight="bold", color=_style.INK, zorder=8,
                    gid="weeks-note",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0, "alpha": 0.85})

    def _decorate(self, ax: Axes, beyond: int) -> None:
        # Whole weeks, months (4) or quarters (13), at most about ten ticks.
        step = next(s for s in (1, 2, 4, 8, 13, 26, 52) if self.horizon / s <= 10)
        ticks = np.arange(0.0, self.horizon + 1e-9, step)
        ax.set_xticks(ticks, [f"{w:g}" for w in ticks])
        ax.grid(color="#EEEEEE", linewidth=0.8)
        ax.set_axisbelow(True)
        label = "weeks on the team when the ticket started"
        if beyond:
            label += (f" · {beyond} ticket{'s' if beyond > 1 else ''} beyond the factor "
                      "axis drawn at its edge")
        ax.set_xlabel(_style.fit(ax, label, 10))
        ax.set_ylabel(_style.fit(ax, "slowdown factor on working days (log scale)", 10))
        ramp = self.ramp
        ax.set_title(_style.fit(
            ax, f"Ramp-up of new members (90% band; {ramp['n_tickets']} early tickets of "
            f"{ramp['n_engineers']} engineers)"), pad=10)

    def _legend(self, figure: Figure, ax: Axes, own: bool) -> None:
        within = self.ramp["within"]
        # (handle, label below a figure of its own, label inside a caller's axes or None)
        entries = [
            (Line2D([], [], color=_style.AREA_COLOURS[0], linewidth=2.4),
             "slowdown factor (estimate)", "slowdown"),
            (Patch(color=_style.BAND), "90% band", None),
            (Line2D([], [], color=_style.AREA_COLOURS[1], marker="D", markeredgecolor=_style.INK,
                    linestyle="-", linewidth=2.2, markersize=8),
             f"typical speed (under {within:.0%} slower): weeks, 90% interval",
             "typical speed: weeks (90%)"),
            (Line2D([], [], color=_style.INK, linestyle=":"), f"{within:.0%} slower",
             f"{within:.0%} slower"),
            (Line2D([], [], color=_style.MUTED, linestyle="--"), "settled speed (×1)", None),
        ]
        if not self.tickets.empty:
            entries.append((Line2D([], [], color=_style.WITHIN, marker="o", linestyle=""),
                            "a ticket: working days ÷ settled prediction", "a ticket"))
            if self.tickets["censored"].any():
                entries.append((Line2D([], [], color=_style.INK, marker="^",
                                       markerfacecolor="none", linestyle=""),
                                "open: at least this", "open"))
            if self.bands["shown"].any():
                entries.append((Line2D([], [], color=_style.AREA_COLOURS[1], marker="s",
                                       markeredgecolor=_style.INK, linestyle=""),
                                "geometric mean of finished tickets", "band mean"))
        if own:
            figure.legend(handles=[h for h, _, _ in entries], labels=[t for _, t, _ in entries],
                          loc="outside lower center", ncols=3, fontsize=8.5)
        else:  # inside a caller's axes: fewer words
            kept = [(h, t) for h, _, t in entries if t]
            ax.legend(handles=[h for h, _ in kept], labels=[t for _, t in kept],
                      loc="upper right", fontsize=7, ncols=2)


def _horizon(ramp: dict) -> float:
    """The weeks axis's end: room past the weeks to the typical speed, its
    interval and three scales, in whole 4-week steps, 12 weeks to 4 years."""
    reach = max(float(ramp["weeks_to_typical"]), float(ramp["weeks_high"] or 0.0),
                3 * float(ramp["scale_weeks"]))
    return float(min(208, max(12, 4 * math.ceil(1.25 * reach / 4))))


def _new_member_tickets(result, ramp: dict, skills: dict, tickets,
                        horizon: float) -> pd.DataFrame:
    """The tickets of engineers with a start date, started within ``horizon``
    weeks of it: working days over the prediction once settled."""
    columns = ["engineer", "weeks", "ratio", "censored"]
    if tickets is None:
        return pd.DataFrame(columns=columns).astype(
            {"weeks": float, "ratio": float, "censored": bool})
    frame = _data.ticket_frame(tickets)
    starts = pd.Series({name: pd.Timestamp(day) for name, day
                        in (skills.get("start_dates") or {}).items()}, dtype="datetime64[ns]")
    engineer = frame["engineer"].astype(str)
    begun = engineer.map(starts)
    started = pd.to_datetime(frame["started_at"])
    if started.dt.tz is not None:  # start dates are the team's wall clock
        started = started.dt.tz_localize(None)
    # Weeks on the team as the model counts them (a ticket begun before the
    # start date counts as the first week's).
    weeks = ((started - begun) / pd.Timedelta(days=7)).clip(lower=0.0)
    days = frame["duration_days"].to_numpy(dtype=float)
    points = frame["points"].to_numpy(dtype=float)
    keep = (begun.notna() & (weeks <= horizon)
            & engineer.isin(set(_data.engineers_of(result)))
            & frame["area"].astype(str).isin(set(_data.areas_of(result)))).to_numpy() & (
        np.isfinite(days) & (days > 0) & np.isfinite(points) & (points >= 0))
    if not keep.any():
        return _new_member_tickets(result, ramp, skills, None, horizon)
    kept = frame[keep]
    weeks = weeks[keep].to_numpy(dtype=float)
    prediction = result.predict(engineer[keep].to_numpy(), kept["area"].astype(str).to_numpy(),
                                points[keep], on=started[keep].to_numpy())
    # The prediction at the ticket's start includes the ramp-up, rho z with
    # z = exp(-weeks / tau) (CalibrationResult.ramp_up); without it, settled.
    settled = (prediction["log_mean"].to_numpy()
               - ramp["slowdown"] * np.exp(-weeks / ramp["scale_weeks"]))
    return pd.DataFrame({
        "engineer": engineer[keep].to_numpy(), "weeks": weeks,
        "ratio": days[keep] / np.exp(settled),
        "censored": kept["censored"].to_numpy(dtype=bool)})


def _bands(frame: pd.DataFrame, horizon: float) -> pd.DataFrame:
    """The finished tickets' geometric mean ratio per band of weeks (about
    twelve bands); ``shown`` where it is not pulled down by open tickets."""
    width = max(1.0, round(horizon / 12))
    edges = np.arange(0.0, horizon + width, width)
    which = np.clip(np.searchsorted(edges, frame["weeks"].to_numpy(dtype=float),
                                    side="right") - 1, 0, len(edges) - 2)
    open_ = frame["censored"].to_numpy(dtype=bool)
    logs = np.log(frame["ratio"].to_numpy(dtype=float))
    count = len(edges) - 1
    n_finished = np.bincount(which[~open_], minlength=count)
    n_open = np.bincount(which[open_], minlength=count)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(which[~open_], logs[~open_], minlength=count) / n_finished
    return pd.DataFrame({
        "weeks_from": edges[:-1], "weeks_to": edges[1:], "weeks": (edges[:-1] + edges[1:]) / 2,
        "ratio": np.exp(mean), "n_finished": n_finished, "n_open": n_open,
        "shown": (n_finished >= 5) & (n_open <= 0.1 * (n_finished + n_open))})

"""Canonical ticket tables of any size, drawn straight from the model.

For tests and benchmarks: :func:`simulate_tickets` draws tickets from the
model of :mod:`calibrate.model`, in its vocabulary::

    log d = intercept[area] + elasticity[area]·log(p / 3) + u[engineer] + v[engineer, area] + e
    u ~ N(0, engineer_sd^2),  v ~ N(0, engineer_area_sd^2),  e ~ N(0, noise_sd[area]^2)

and returns the canonical table with the truth it was drawn from. The
realistic export of a team is :func:`calibrate.datasets.generate_team_history`.

Optionally (``level_effects``, ``ramp_up``) the engineers also get declared
skill levels with known effects and start dates with a ramp-up, and the
table comes with its :class:`~calibrate.skills.SkillProfiles`::

    log d = ... + level_effect[area, level[engineer, area]]
            + slowdown * exp(-weeks on the team / scale_weeks)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from calibrate.datasets._team_history import AREAS
from calibrate.durations import WorkCalendar
from calibrate.skills import SkillProfiles

__all__ = ["SimulatedTable", "simulate_tickets"]

_POINTS = np.array([1.0, 2.0, 3.0, 5.0, 8.0])
_POINT_WEIGHTS = [0.2, 0.3, 0.3, 0.15, 0.05]
_REFERENCE_POINTS = 3.0


@dataclass(frozen=True)
class SimulatedTable:
    """A canonical ticket table drawn from the model, with its truth.

    Attributes
    ----------
    tickets : DataFrame
        Canonical ticket table (open tickets censored at ``as_of``).
    truth : dict
        ``intercept`` / ``elasticity`` / ``noise_sd`` per area (intercept at
        the reference of 3 points), ``engineer_sd``, ``engineer_area_sd``, and arrays
        ``u`` (per engineer, in ``engineers`` order) and ``v`` (engineer x
        area); ``abandoned_ids`` lists the abandoned tickets. With declared
        levels or a ramp-up also ``levels`` (engineer -> area -> level),
        ``level_effects`` (area -> level -> effect on log days),
        ``start_dates`` (engineer -> Timestamp) and ``ramp_up``
        (``slowdown``, ``scale_weeks``).
    skills : SkillProfiles or None
        The declared levels and start dates (None unless asked for).
    """

    tickets: pd.DataFrame
    truth: dict
    skills: SkillProfiles | None = None


@dataclass
class _Draws:
    """Who worked which ticket, its points, start and (true or so-far) duration."""

    engineer: np.ndarray
    area: np.ndarray
    points: np.ndarray
    starts: pd.Series
    finishes: pd.Series
    censored: np.ndarray
    duration: np.ndarray


def simulate_tickets(
    n_tickets: int,
    n_engineers: int,
    *,
    areas: Sequence[str] = AREAS,
    engineer_sd: float = 0.3,
    engineer_area_sd: float = 0.2,
    noise_sd: float | Sequence[float] = 0.6,
    elasticity: float | Sequence[float] = 0.6,
    intercept: float | Sequence[float] = 0.7,
    history_days: float = 250.0,
    seed: int = 0,
    calendar: WorkCalendar | None = None,
    as_of: pd.Timestamp | str = "2026-06-30 18:00",
    abandoned: float = 0.0,
    level_effects: Mapping[str, float] | Mapping[str, Mapping[str, float]] | None = None,
    ramp_up: tuple[float, float] | None = None,
    new_hires: float | None = None,
) -> SimulatedTable:
    """Draw a canonical ticket table of any size straight from the model.

    For tests and benchmarks (the realistic team export is
    :func:`~calibrate.datasets.generate_team_history`). Start times are
    spread uniformly over the last ``history_days`` working days before
    ``as_of``; tickets whose finish would fall after ``as_of`` are open,
    censored there — so a short history gives many open tickets. Engineers'
    activity varies (lognormal shares), so some have few tickets.
    ``intercept``, ``elasticity`` and ``noise_sd`` are one value for every
    area or one per area; ``intercept`` is the log median working days of a
    3-point ticket.

    ``abandoned`` adds that share of *abandoned* tickets on top (as in real
    exports: left "in progress" after everyone stopped): open at ``as_of``,
    started 60 to 350 working days before it, of engineers, areas and points
    drawn like the others. Their ids are listed in the truth's
    ``abandoned_ids``; the other tickets are the same as without them.

    ``level_effects`` gives every engineer a declared level in every area,
    drawn uniformly from the levels (the mapping's keys, lowest first), and
    adds the level's effect to the log duration: ``{level: effect}`` for
    every area alike, or ``{area: {level: effect}}``. All effects 0 gives
    declarations that carry no signal. ``ramp_up=(slowdown, scale_weeks)``
    gives every engineer a start date — a share ``new_hires`` (default
    0.3) join during the first 70% of the history, their tickets start
    after it; the others joined one to four years before — and adds
    slowdown x exp(-weeks on the team / scale_weeks). Both are drawn from a
    separate random stream: with the same seed and without them, the table
    is unchanged.

    Examples
    --------
    >>> from calibrate.datasets import simulate_tickets
    >>> table = simulate_tickets(1000, 20, seed=1).tickets
    >>> len(table), table["engineer"].nunique() <= 20
    (1000, True)
    """
    rng = np.random.default_rng(seed)
    calendar = calendar or WorkCalendar()
    as_of = pd.Timestamp(as_of)
    n_areas = len(areas)

    def per_area(value) -> np.ndarray:
        return np.broadcast_to(np.asarray(value, dtype=float), (n_areas,)).copy()

    intercepts, slopes, sigmas = per_area(intercept), per_area(elasticity), per_area(noise_sd)
    u = rng.normal(0, engineer_sd, n_engineers)
    v = rng.normal(0, engineer_area_sd, (n_engineers, n_areas))
    activity = rng.lognormal(0, 0.8, n_engineers)
    share = activity / activity.sum()
    skills = None
    if level_effects is not None or ramp_up is not None:
        skills = _SkillDraws.draw(np.random.default_rng([seed, 1]), n_engineers, list(areas),
                                  level_effects, ramp_up, new_hires, history_days)
    draws = _worked_tickets(rng, n_tickets, share, n_areas, intercepts, slopes, sigmas, u, v,
                            history_days, calendar, as_of, skills)
    n_abandoned = int(round(abandoned * n_tickets))
    if n_abandoned:
        # Drawn after every other ticket, so those stay as without abandonment.
        draws = _with_abandoned(rng, draws, n_abandoned, share, n_areas, calendar, as_of)
    names = np.array([f"engineer-{i:05d}" for i in range(n_engineers)], dtype=object)
    tickets = _canonical_table(draws, names, np.asarray(areas, dtype=object))
    n_total = len(tickets)
    truth = {
        "areas": list(areas),
        "engineers": list(names),
        "intercept": dict(zip(areas, intercepts.tolist(), strict=True)),
        "elasticity": dict(zip(areas, slopes.tolist(), strict=True)),
        "noise_sd": dict(zip(areas, sigmas.tolist(), strict=True)),
        "engineer_sd": engineer_sd,
        "engineer_area_sd": engineer_area_sd,
        "u": u,
        "v": v,
        "abandoned_ids": [f"T-{i + 1}" for i in range(n_total - n_abandoned, n_total)],
    }
    if skills is None:
        return SimulatedTable(tickets, truth)
    truth.update(skills.truth(names, list(areas)))
    profiles = SkillProfiles.from_dict(
        {engineer: {**levels, **({"start_date": truth["start_dates"][engineer]}
                                 if engineer in truth["start_dates"] else {})}
         for engineer, levels in truth["levels"].items()}, scale=skills.scale)
    return SimulatedTable(tickets, truth, profiles)


@dataclass
class _SkillDraws:
    """Declared levels (engineer x area codes into ``scale``) with their
    effects, and start dates (working days after the history's first day,
    negative before it) with the ramp-up."""

    scale: tuple[str, ...]
    level: np.ndarray | None
    effect: np.ndarray | None  # area x level
    start: np.ndarray | None
    ramp_up: tuple[float, float] | None
    first_day: pd.Timestamp | None = None
    calendar: WorkCalendar | None = None

    @classmethod
    def draw(cls, rng, n_engineers, areas, level_effects, ramp_up, new_hires, history_days):
        scale: tuple[str, ...] = ()
        level = effect = start = None
        if level_effects is not None:
            values = list(level_effects.values())
            per_area = isinstance(values[0], Mapping)
            scale = tuple(values[0] if per_area else level_effects)
            effect = np.array([[float((level_effects[a] if per_area else level_effects)[name])
                                for name in scale] for a in areas])
            level = rng.integers(0, len(scale), (n_engineers, len(areas)))
        if ramp_up is not None:
            share = 0.3 if new_hires is None else new_hires
            hired = rng.random(n_engineers) < share
            start = np.where(hired, rng.uniform(0, 0.7 * history_days, n_engineers),
                             -rng.uniform(250, 1000, n_engineers))
        return cls(scale or ("basic", "proficient", "strong"), level, effect, start,
                   None if ramp_up is None else (float(ramp_up[0]), float(ramp_up[1])))

    def offsets(self, engineer, offsets, history_days):
        """Ticket start offsets, a new hire's moved after their start."""
        if self.start is None:
            return offsets
        begin = np.maximum(self.start[engineer], 0.0)
        return begin + offsets / history_days * (history_days - begin)

    def log_shift(self, engineer, area, starts, first_day, calendar):
        self.first_day, self.calendar = first_day, calendar
        shift = np.zeros(len(engineer))
        if self.level is not None:
            shift += self.effect[area, self.level[engineer, area]]
        if self.start is not None:
            weeks = (starts - self.start_dates()[engineer]) / pd.Timedelta(days=7)
            slowdown, scale = self.ramp_up
            shift += slowdown * np.exp(-np.maximum(weeks.to_numpy(dtype=float), 0.0) / scale)
        return shift

    def start_dates(self) -> np.ndarray:
        """Start dates as midnight timestamps (working days from the first day)."""
        anchor = pd.Series(np.full(len(self.start), self.first_day))
        after = self.calendar.add_working_days(anchor, np.maximum(self.start, 0.0))
        before = anchor + pd.to_timedelta(np.minimum(self.start, 0.0) * 7 / 5, unit="D")
        return pd.Series(np.where(self.start >= 0, after, before)).dt.normalize().to_numpy()

    def truth(self, names, areas) -> dict:
        out = {"levels": {}, "level_effects": {}, "start_dates": {}, "ramp_up": None}
        if self.level is not None:
            out["levels"] = {name: {area: self.scale[self.level[e, a]]
                                    for a, area in enumerate(areas)}
                             for e, name in enumerate(names)}
            out["level_effects"] = {area: dict(zip(self.scale, self.effect[a].tolist(),
                                                   strict=True))
                                    for a, area in enumerate(areas)}
        else:
            out["levels"] = {name: {} for name in names}
        if self.start is not None:
            out["start_dates"] = dict(zip(names, map(pd.Timestamp, self.start_dates()),
                                          strict=True))
            out["ramp_up"] = {"slowdown": self.ramp_up[0], "scale_weeks": self.ramp_up[1]}
        return out


def _worked_tickets(rng, n_tickets, share, n_areas, intercepts, slopes, sigmas, u, v,
                    history_days, calendar, as_of, skills: _SkillDraws | None = None) -> _Draws:
    """Tickets started over the history, with durations drawn from the model."""
    engineer = rng.choice(len(share), size=n_tickets, p=share)
    area = rng.integers(0, n_areas, n_tickets)
    points = rng.choice(_POINTS, size=n_tickets, p=_POINT_WEIGHTS)
    log_days = (intercepts[area] + slopes[area] * np.log(points / _REFERENCE_POINTS)
                + u[engineer] + v[engineer, area]
                + sigmas[area] * rng.standard_normal(n_tickets))
    true_days = np.exp(log_days)
    first_day = np.busday_offset(as_of.to_datetime64().astype("datetime64[D]"),
                                 -int(np.ceil(history_days)), roll="backward")
    offsets = rng.uniform(0, history_days, n_tickets)
    if skills is not None:
        offsets = skills.offsets(engineer, offsets, history_days)
    starts = calendar.add_working_days(
        pd.Series(np.full(n_tickets, first_day.astype("datetime64[ns]"))), offsets)
    starts = starts.where(starts < as_of, as_of - pd.Timedelta(hours=1))
    if skills is not None:
        true_days = np.exp(log_days + skills.log_shift(
            engineer, area, starts, pd.Timestamp(first_day), calendar))
    finishes = calendar.add_working_days(starts, true_days)
    censored = (finishes > as_of).to_numpy()
    so_far = calendar.working_days_between(starts, pd.Series(as_of, index=starts.index))
    duration = np.where(censored, np.maximum(so_far, 1 / 24), true_days)
    return _Draws(engineer, area, points, starts, finishes, censored, duration)


def _with_abandoned(rng, draws: _Draws, n_abandoned: int, share, n_areas, calendar,
                    as_of) -> _Draws:
    """``draws`` and, after them, abandoned tickets: open, started long ago."""
    engineer = rng.choice(len(share), size=n_abandoned, p=share)
    area = rng.integers(0, n_areas, n_abandoned)
    points = rng.choice(_POINTS, size=n_abandoned)
    age = rng.uniform(60, 350, n_abandoned)
    anchor = np.busday_offset(as_of.to_datetime64().astype("datetime64[D]"), -360,
                              roll="backward").astype("datetime64[ns]")
    starts = calendar.add_working_days(pd.Series(np.full(n_abandoned, anchor)), 360 - age)
    so_far = calendar.working_days_between(starts, pd.Series(as_of, index=starts.index))
    return _Draws(
        engineer=np.concatenate([draws.engineer, engineer]),
        area=np.concatenate([draws.area, area]),
        points=np.concatenate([draws.points, points]),
        starts=pd.concat([draws.starts, starts], ignore_index=True),
        finishes=pd.concat([draws.finishes, pd.Series(pd.NaT, index=range(n_abandoned))],
                           ignore_index=True),
        censored=np.concatenate([draws.censored, np.ones(n_abandoned, dtype=bool)]),
        duration=np.concatenate([draws.duration, np.maximum(so_far, 1 / 24)]),
    )


def _canonical_table(draws: _Draws, names: np.ndarray, areas: np.ndarray) -> pd.DataFrame:
    """The draws as the canonical ticket table (cycle time, ids ``T-1`` ...)."""
    n = len(draws.points)
    string = pd.StringDtype()

    def empty() -> pd.arrays.StringArray:
        return pd.array([None] * n, dtype=string)

    return pd.DataFrame({
        "ticket_id": pd.array([f"T-{i + 1}" for i in range(n)], dtype=string),
        "title": empty(),
        "engineer": pd.array(names[draws.engineer], dtype=string),
        "area": pd.array(areas[draws.area], dtype=string),
        # The simulation names each ticket's area, as an export's area column would.
        "area_source": pd.array(["column"] * n, dtype=string),
        "points": draws.points,
        "repointed": np.zeros(n, dtype=bool),
        "issue_type": empty(),
        "labels": empty(),
        "components": empty(),
        "epic": empty(),
        "sprints": empty(),
        "status": pd.array(np.where(draws.censored, "In Progress", "Done"), dtype=string),
        "created_at": draws.starts.to_numpy(dtype="datetime64[ns]"),
        "started_at": draws.starts.to_numpy(dtype="datetime64[ns]"),
        "finished_at": draws.finishes.where(~draws.censored).to_numpy(dtype="datetime64[ns]"),
        "duration_days": draws.duration,
        "censored": draws.censored,
        "clock": pd.array(["cycle"] * n, dtype=string),
        "source_row": np.arange(2, n + 2, dtype=np.int64),
    })

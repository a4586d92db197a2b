"""Canonical ticket tables of any size, drawn straight from the model.

For tests and benchmarks: :func:`simulate_tickets` draws tickets from the
model of :mod:`calibrate.model`, in its vocabulary::

    log d = intercept[area] + elasticity[area]·log(p / 3) + u[engineer] + v[engineer, area] + e
    u ~ N(0, engineer_sd^2),  v ~ N(0, engineer_area_sd^2),  e ~ N(0, noise_sd[area]^2)

and returns the canonical table with the truth it was drawn from. The
realistic export of a team is :func:`calibrate.datasets.generate_team_history`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from calibrate.datasets._team_history import AREAS
from calibrate.durations import WorkCalendar

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
        area); ``abandoned_ids`` lists the abandoned tickets.
    """

    tickets: pd.DataFrame
    truth: dict


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
    draws = _worked_tickets(rng, n_tickets, share, n_areas, intercepts, slopes, sigmas, u, v,
                            history_days, calendar, as_of)
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
    return SimulatedTable(tickets, truth)


def _worked_tickets(rng, n_tickets, share, n_areas, intercepts, slopes, sigmas, u, v,
                    history_days, calendar, as_of) -> _Draws:
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
    starts = calendar.add_working_days(
        pd.Series(np.full(n_tickets, first_day.astype("datetime64[ns]"))), offsets)
    starts = starts.where(starts < as_of, as_of - pd.Timedelta(hours=1))
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

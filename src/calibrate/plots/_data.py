"""What the displays read off the fitted objects (no matplotlib here)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from calibrate._names import sorted_names

#: The planning-poker scale most teams estimate on: the points axis extends at
#: most to the next of these above the team's well-used sizes.
POKER_SCALE: tuple[float, ...] = (0.5, 1, 2, 3, 5, 8, 13, 20, 40, 100)


def points_limit(points) -> float:
    """The largest story points a points axis shows: the team's scale.

    The values well used (at least 2 tickets and 1% of them) are the team's
    scale; the axis goes on to the next planning-poker size above the
    largest of them (a few 13s on a team of 8s stay in view) and no further,
    so one 80-point ticket does not squeeze every other ticket into a tenth
    of the width. Larger tickets are drawn at the edge (see
    :func:`beyond_note`).
    """
    values = np.asarray(points, dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return 1.0
    distinct, counts = np.unique(values, return_counts=True)
    used = distinct[counts >= max(2, 0.01 * len(values))]
    if not len(used):
        return float(distinct.max())
    following = [v for v in POKER_SCALE if v > used.max()]
    return float(min(distinct.max(), following[0] if following else distinct.max()))


def beyond_note(points, limit: float) -> str:
    """"2 tickets over 20 points (24, 40) drawn at the edge ▸", or ""."""
    values = np.asarray(points, dtype=float)
    values = np.sort(values[values > limit])
    if not len(values):
        return ""
    listed = ", ".join(f"{v:g}" for v in np.unique(values))
    tickets = "1 ticket" if len(values) == 1 else f"{len(values)} tickets"
    return f"{tickets} over {limit:g} points ({listed}) drawn at the edge ▸"


def ticket_frame(table) -> pd.DataFrame:
    """The tickets of a TicketTable, or the frame itself."""
    return getattr(table, "tickets", table)


def fitted_result(result):
    """Accept a fitted Calibrator as well as its result."""
    return getattr(result, "result_", result)


def duration_name(result) -> str:
    """What the durations measure, for titles: work (cycle) or lead time."""
    clock = getattr(result.multipliers, "clock", "cycle")
    return {"lead": "lead time", "mixed": "lead and cycle time"}.get(clock, "working days")


def grows(measure: str) -> str:
    """"<measure> grow(s)", for a title."""
    return f"{measure} grows" if measure == "lead time" else f"{measure} grow"


def cap_label(result, cap: float) -> tuple[str, bool]:
    """The cap line's label, and whether tickets are judged against it: lead
    time only against a lead-time cap, never against the team's work cap."""
    multipliers = result.multipliers
    if getattr(multipliers, "clock", "cycle") not in ("lead", "mixed"):
        return f"cap: {cap:g} working days", True
    if multipliers.verdict_cap is not None and cap == multipliers.verdict_cap:
        return f"lead-time cap: {cap:g} working days", True
    return f"work cap {cap:g} days (lead time not judged)", False


def areas_of(result) -> list[str]:
    """The fitted areas, in :func:`~calibrate._names.name_key` order."""
    return sorted_names(result.multipliers.areas["area"])


def engineers_of(result) -> list[str]:
    """The engineers, in :func:`~calibrate._names.name_key` order."""
    return sorted_names(result.engineer_multipliers["engineer"])


def unseen_engineer(result) -> str:
    """A name the model has never seen: predictions for it are those of a new
    team member (median = the typical engineer's; spread includes how much
    engineers differ)."""
    known = set(engineers_of(result))
    name = "(new team member)"
    while name in known:
        name += "'"
    return name

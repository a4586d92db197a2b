"""What the displays read off the fitted objects (no matplotlib here)."""

from __future__ import annotations

import pandas as pd


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
    return [str(a) for a in result.multipliers.areas["area"]]


def engineers_of(result) -> list[str]:
    return [str(e) for e in result.engineer_multipliers["engineer"]]


def unseen_engineer(result) -> str:
    """A name the model has never seen: predictions for it are those of a new
    team member (median = the typical engineer's; spread includes how much
    engineers differ)."""
    known = set(engineers_of(result))
    name = "(new team member)"
    while name in known:
        name += "'"
    return name

"""What the report's sections share: the rule verdicts are given against,
the abandonment threshold, and how numbers are written."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from calibrate.results import CalibrationResult

#: An open ticket is listed as likely abandoned above this probability.
LIKELY_ABANDONED = 0.5

#: How the report's warnings begin when the backtest could not run.
BACKTEST_NOT_RUN = "backtest not run"


@dataclass(frozen=True)
class Rule:
    """The team's rule — a ``reference``-point ticket within ``cap`` working
    days at ``confidence`` — and the clock the durations measure.

    Verdicts are given against ``verdict_cap``: the team's cap for cycle
    time, the lead-time cap for lead (and mixed) time when one is set, and
    none otherwise (see :attr:`calibrate.export.Multipliers.verdict_cap`).
    """

    reference: float
    cap: float
    confidence: float
    clock: str
    verdict_cap: float | None

    @classmethod
    def of(cls, result: CalibrationResult) -> Rule:
        model = result.multipliers.model
        return cls(reference=model["reference_points"], cap=model["cap_days"],
                   confidence=model["confidence"], clock=result.multipliers.clock,
                   verdict_cap=result.multipliers.verdict_cap)

    @property
    def lead(self) -> bool:
        """Durations are read as lead time (mixed clocks too)."""
        return self.clock in ("lead", "mixed")

    @property
    def cap_days_text(self) -> str:
        """How the cap is named wherever a verdict is given."""
        return (f"{self.verdict_cap:g} working days of lead time" if self.lead and self.verdict_cap
                else f"{self.cap:g} working days")


def days_text(value: float) -> str:
    return f"{value:.1f}"


def percent_text(value: float) -> str:
    return "—" if pd.isna(value) else f"{value:.0%}"


def points_text(value: float) -> str:
    return "split it" if value == 0 else f"{value:g}"


def ratio_text(value: float) -> str:
    return f"{value:.1f}×"


def p_value_text(value: float) -> str:
    # Two decimals would print a p of 0.004 as "p = 0.00".
    if value < 0.001:
        return "p < 0.001"
    return f"p = {value:.3f}" if value < 0.01 else f"p = {value:.2f}"


def joined(items: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]

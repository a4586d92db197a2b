"""Planning with the multipliers: sprint-plan risk, reassignment costs,
suggested assignments, release forecasts and planner formats.

Everything here works from a fitted :class:`~calibrate.results.CalibrationResult`
or from a multipliers file alone (:func:`calibrate.load_multipliers`), and
every risk comes from one Monte Carlo
(:func:`calibrate.plan._simulate.simulate_days`), seeded and reproducible.

Why each engineer's effect is drawn once per simulated sprint
---------------------------------------------------------------
A ticket's working days are log-normal: log(days) = the team's typical
duration for its area and points + the engineer's effect in that area + the
ticket's own noise. The engineer's effect is not known exactly — the
multipliers give its estimate and its uncertainty (``log_sd``) — but whatever
its true value is, it is the same for every ticket that engineer does in the
sprint: if Priya is slower on research than her estimate says, she is slower
on all her research tickets. So a simulated sprint draws the effect once and
applies it to all her tickets, and only the ticket noise is drawn per
ticket. Drawing the effect afresh for each ticket lets an unlucky draw on
one ticket be cancelled by a lucky one on the next, which never happens to a
real person: the simulated total looks more certain than it is, and the
more tickets an engineer has, the larger the error (the covariance terms
grow with the square of the number of tickets, the variances only with the
number). The area's fixed effects are drawn once per sprint for the same
reason, and an engineer's cells in different areas are correlated through
the engineer's own effect.
"""

from calibrate.plan._assign import SuggestedAssignment, suggest_assignment
from calibrate.plan._check import (
    PlanCheck,
    ReassignmentCosts,
    capacity_series,
    check_plan,
    plan_frame,
    reassignment_costs,
)
from calibrate.plan._formats import focus_factors, probability_sample
from calibrate.plan._release import (
    ReleaseBacktest,
    ReleaseForecast,
    backtest_release,
    forecast_release,
)
from calibrate.plan._simulate import SimulatedDays

__all__ = [
    "PlanCheck",
    "ReassignmentCosts",
    "ReleaseBacktest",
    "ReleaseForecast",
    "SimulatedDays",
    "SuggestedAssignment",
    "backtest_release",
    "capacity_series",
    "check_plan",
    "focus_factors",
    "forecast_release",
    "plan_frame",
    "probability_sample",
    "reassignment_costs",
    "suggest_assignment",
]

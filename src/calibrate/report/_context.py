"""Everything the report template shows, computed from the result objects.

No file I/O: plots become SVG text in memory (data URIs), tables become
lists of rows, and every sentence of the summary is written with its
numbers, so the template only lays them out (and escapes them). One module
per section of the page: :mod:`~calibrate.report._summary` (the summary's
sentences and verdicts), :mod:`~calibrate.report._figures` (the plots, with
the captions of :mod:`~calibrate.report._captions`) and
:mod:`~calibrate.report._tables` (the tables; method and data quality),
:mod:`~calibrate.report._plan` (the sprint plan, when one is given),
:mod:`~calibrate.report._skills` (skills and coverage); :func:`build_context`
composes them.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from calibrate._names import name_key
from calibrate._version import __version__
from calibrate.backtest import BacktestResult, DriftResult
from calibrate.report._common import BACKTEST_NOT_RUN, Rule
from calibrate.report._figures import figures_section
from calibrate.report._plan import HEAT_MAP_TICKETS, check_sprint_plan, plan_section
from calibrate.report._skills import check_skills, gap_finding, skills_section
from calibrate.report._summary import summary_section
from calibrate.report._tables import method_section, tables_section
from calibrate.results import CalibrationResult
from calibrate.tickets import TicketTable

__all__ = ["build_context"]

DISCLAIMER = ("Multipliers are planning aids: they reflect estimates, ticket mix, context and "
              "estimating habits as much as skill. They are not a ranking of people.")


def build_context(table: TicketTable, result: CalibrationResult, *,
                  backtest_result: BacktestResult | None, drift_result: DriftResult | None,
                  min_tickets: int, pseudonymized: bool, fit_warnings: list[str],
                  max_engineers: int = 40, generated_at: dt.datetime | None = None,
                  plan: pd.DataFrame | None = None, capacity: pd.Series | None = None,
                  sprint_days: float = 10) -> dict:
    """The template's variables.

    With a ``plan`` (as :func:`~calibrate.report._plan.plan_inputs` returns
    it, with its ``capacity``), ``plan`` holds the sprint-plan section
    (:func:`~calibrate.report._plan.plan_section`), checked against the
    whole team's result; else None. ``skills`` holds the skills and
    coverage section (:func:`~calibrate.report._skills.skills_section`):
    the coverage of the whole team always, the declared levels, ramp-up and
    hiring comparison when ``result`` was fitted with skill profiles.

    ``generated_at`` is the page's "Generated" time (now, by default): the
    one value that differs between two runs on the same input, passed in so
    that a run's files share one time and tests can freeze it.

    A team of more than ``max_engineers`` is shown through the engineers with
    the most finished tickets (every engineer stays in the data files).

    Verdicts — overrun probabilities against a cap, "fails", recommended
    sizes — are given against ``result.multipliers.verdict_cap``: the team's
    cap for cycle time, the lead-time cap for lead (and mixed) time when one
    is set, and not at all otherwise.
    """
    # The plan is checked against every engineer, before the result is cut
    # down to the engineers shown.
    sprint_plan = (None if plan is None else
                   check_sprint_plan(result, plan, capacity, sprint_days=sprint_days))
    # So are the skill gaps: who is clearly fast, and who the work rests on.
    skills = check_skills(table, result)
    everyone = result.engineer_multipliers.sort_values(["n_finished", "engineer"],
                                                       ascending=[False, True])
    shown_engineers = sorted(everyone["engineer"].head(max_engineers), key=name_key)
    if len(shown_engineers) < len(everyone):
        result = result.for_engineers(shown_engineers)
        if drift_result is not None:
            drift_result = DriftResult(drift_result.multipliers[
                drift_result.multipliers["engineer"].isin(shown_engineers)])
    rule = Rule.of(result)
    reassignment = None
    if sprint_plan is not None:
        from calibrate.plots import ReassignmentDisplay

        reassignment = ReassignmentDisplay.from_costs(
            sprint_plan.costs, HEAT_MAP_TICKETS,
            titles=dict(zip(plan["ticket_id"], plan["title"], strict=True)))
    backtest_failure = next((warning.split(": ", 1)[-1] for warning in fit_warnings
                             if warning.startswith(BACKTEST_NOT_RUN)), None)
    window = result.multipliers.window
    return {
        "title": "Estimation calibration report",
        "version": __version__,
        "generated_at": (generated_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
                        .strftime("%Y-%m-%d %H:%M UTC"),
        "source": {"path": table.path, "format": table.source_format},
        "window": {"first": (window["first_start"] or "")[:10],
                   "last": (window["last_finish"] or "")[:10],
                   "as_of": f"{table.as_of:%Y-%m-%d %H:%M}"},
        "cap": f"{rule.cap:g}", "confidence": f"{rule.confidence:.0%}",
        "reference": f"{rule.reference:g}",
        "clock": rule.clock, "lead": rule.lead,
        "verdict_cap": None if rule.verdict_cap is None else f"{rule.verdict_cap:g}",
        "cap_days_text": rule.cap_days_text,
        "disclaimer": DISCLAIMER,
        "pseudonymized": pseudonymized,
        "min_tickets": min_tickets,
        "warnings": fit_warnings,
        **summary_section(table, result, rule, backtest_result=backtest_result,
                          min_tickets=min_tickets, team_size=len(everyone),
                          backtest_failure=backtest_failure,
                          skill_gap_finding=gap_finding(skills, rule)),
        "figures": figures_section(table, result, rule, backtest_result=backtest_result,
                                   drift_result=drift_result, min_tickets=min_tickets,
                                   engineers=shown_engineers, reassignment=reassignment,
                                   skills=skills,
                                   # The method section's points test refits the model
                                   # (seconds on a million tickets): done while the
                                   # figures start being drawn on the other core.
                                   beside=lambda: result.points_test),
        "plan": None if sprint_plan is None else plan_section(sprint_plan, rule),
        "skills": skills_section(skills, result, rule, min_tickets=min_tickets,
                                 engineers=shown_engineers),
        **tables_section(result, backtest_result=backtest_result, min_tickets=min_tickets),
        **method_section(table, result),
    }

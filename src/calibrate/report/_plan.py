"""The report's sprint-plan section (``calibrate report ... --plan PLAN.csv``).

The plan is checked before anything is fitted (:func:`plan_inputs`), its
people are pseudonymised with the table's key when the report is
(:func:`known_to_privacy`, :func:`pseudonymized_plan`), and after the fit
:func:`check_sprint_plan` runs the plan check, the reassignment costs and
the suggested assignment of :mod:`calibrate.plan` on the fitted result, with
one seed. :func:`plan_section` writes the section's sentences and table rows;
the heat map is drawn with the report's other figures
(:mod:`calibrate.report._figures`).
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import pandas as pd

from calibrate._names import name_key, name_order
from calibrate.errors import CalibrationWarning, InputError, Problem
from calibrate.plan import (
    PlanCheck,
    ReassignmentCosts,
    SuggestedAssignment,
    capacity_series,
    check_plan,
    plan_frame,
    reassignment_costs,
    suggest_assignment,
)
from calibrate.privacy import Pseudonyms
from calibrate.report._common import Rule, days_text, joined
from calibrate.tickets import TicketTable

__all__ = ["HEAT_MAP_TICKETS", "PLAN_DRAWS", "PLAN_SEED", "SprintPlan", "check_sprint_plan",
           "known_to_privacy", "plan_inputs", "plan_section", "pseudonymized_plan"]

#: Simulated sprints behind every number of the section, and their seed: the
#: plan check, the reassignment costs and the suggested assignment share both.
PLAN_DRAWS = 10_000
PLAN_SEED = 0
#: Rows of the reassignment heat map: the tickets with the largest swings.
HEAT_MAP_TICKETS = 12
#: The plan's columns the report uses (others are not shown, nor pseudonymised).
_COLUMNS = ["ticket_id", "title", "engineer", "area", "points", "pinned"]


@dataclass(frozen=True)
class SprintPlan:
    """A plan's check, reassignment costs and suggested assignment, on the
    same seed, with the statistical warnings they gave (``notes``) and
    whether a capacity was given (else every engineer has ``sprint_days``)."""

    check: PlanCheck
    costs: ReassignmentCosts
    suggestion: SuggestedAssignment
    capacity_given: bool
    notes: list[str]


def plan_inputs(plan, capacity, *, sprint_days: float,
                points_scale: dict[str, float] | None) -> tuple[pd.DataFrame, pd.Series | None]:
    """The plan and capacity, checked before anything is fitted.

    The plan in :func:`~calibrate.plan.plan_frame`'s form with its sizes read
    as points through ``points_scale`` (the config's), so that a bad row — a
    size the scale does not know included — stops the run now; the capacity
    as :func:`~calibrate.plan.capacity_series` reads it (None stays None).

    Raises
    ------
    InputError
        Listing every bad row of the plan, or every bad entry of the capacity;
        also for a plan without tickets, or without anyone to do them (no
        engineer in the plan and no capacity).

    Examples
    --------
    >>> import pandas as pd
    >>> from calibrate.report._plan import plan_inputs
    >>> plan = pd.DataFrame({"ticket_id": ["A-1", "A-2"], "area": ["research"] * 2,
    ...                      "points": ["M", 5], "engineer": ["Priya Raman", ""]})
    >>> frame, capacity = plan_inputs(plan, None, sprint_days=10, points_scale={"M": 3})
    >>> frame["points"].tolist(), capacity
    ([3.0, 5.0], None)
    >>> plan_inputs(plan, None, sprint_days=10, points_scale=None)
    Traceback (most recent call last):
    calibrate.errors.InputError: the plan has 1 invalid row(s)
    ...
    """
    frame = plan_frame(plan, points_scale=dict(points_scale or {}))[_COLUMNS]
    days = capacity_series(capacity, frame["engineer"], sprint_days)
    if frame.empty:
        raise InputError("the plan has no tickets",
                         hint="Give a plan with one row per ticket of the sprint.")
    if days.empty:
        raise InputError("no engineer to check the plan against: every ticket is "
                         "unassigned and there is no capacity",
                         [Problem("no engineers", column="engineer",
                                  expected="an engineer for some tickets, or a capacity "
                                           "listing who can take them")])
    return frame, None if capacity is None else days


def known_to_privacy(table: TicketTable, plan: pd.DataFrame,
                     capacity: pd.Series | None) -> TicketTable:
    """``table`` knowing the people of the plan and the capacity too, so that
    :func:`calibrate.privacy.pseudonymize` gives someone only the plan names
    (a new hire) a pseudonym and replaces their name in free text."""
    people = set(plan["engineer"]) | set([] if capacity is None else capacity.index)
    engineers = pd.concat([table.tickets["engineer"], table.excluded["engineer"]]).dropna()
    new = sorted(people - {str(e).strip() for e in engineers} - {""}, key=name_key)
    if not new:
        return table
    return dataclasses.replace(table, people=[*table.people, *((name,) for name in new)])


def pseudonymized_plan(plan: pd.DataFrame, capacity: pd.Series | None,
                       names: Pseudonyms) -> tuple[pd.DataFrame, pd.Series | None]:
    """The plan and capacity with the table's pseudonyms: engineers as in the
    table, titles and areas through the same free-text replacement."""

    def alias(name: str) -> str:
        return "" if name == "" else names.get(name) or names.text(name)

    private = plan.assign(engineer=plan["engineer"].map(alias),
                          title=plan["title"].map(names.text),
                          area=plan["area"].map(names.text))
    if capacity is not None:
        capacity = capacity.rename(index=alias)
    return private, capacity


def check_sprint_plan(model, plan: pd.DataFrame, capacity: pd.Series | None, *,
                      sprint_days: float) -> SprintPlan:
    """Check the plan, price every hand-over and suggest an assignment, all
    on :data:`PLAN_DRAWS` simulated sprints with seed :data:`PLAN_SEED`."""
    settings = {"sprint_days": sprint_days, "draws": PLAN_DRAWS, "seed": PLAN_SEED}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CalibrationWarning)
        check = check_plan(model, plan, capacity, **settings)
        costs = reassignment_costs(model, plan, capacity, **settings)
        suggestion = suggest_assignment(model, plan, capacity, **settings)
    notes = list(dict.fromkeys(str(w.message) for w in caught
                               if issubclass(w.category, CalibrationWarning)))
    return SprintPlan(check=check, costs=costs, suggestion=suggestion,
                      capacity_given=capacity is not None, notes=notes)


def chance_text(p: float) -> str:
    """A probability for people: "63%", and ">99%" / "<1%" rather than a
    certainty the simulation cannot give."""
    if p > 0.995:
        return ">99%"
    if p < 0.005:
        return "<1%"
    return f"{p:.0%}"


def plan_section(sprint_plan: SprintPlan, rule: Rule) -> dict:
    """The section's sentences and rows (every number as text).

    ``intro``, ``headline`` and ``engineer_sentences``; ``engineers`` (rows:
    ``engineer``, ``tickets``, ``points``, ``capacity``, ``expected``,
    ``range``, ``p_within``, ``at_risk``); ``risky_intro`` and ``risky``
    (tickets likely over the cap, with the split); ``flagged`` (tickets the
    history cannot vouch for); ``suggestion_sentences``, ``moved`` (tickets
    that change hands) and ``comparison`` (the two plans, engineer by
    engineer, the whole plan first); ``caveat`` and ``notes``.
    """
    check, suggestion = sprint_plan.check, sprint_plan.suggestion
    confidence = check.confidence
    tickets = check.tickets
    engineers = check.engineers.sort_values("engineer", key=name_order, kind="stable")
    n_people = int((engineers["tickets"] > 0).sum())
    where = ("available working days from the capacity file (leave and part time taken off)"
             if sprint_plan.capacity_given else
             f"every engineer has the sprint's {check.sprint_days:g} working days "
             "(no capacity file given)")
    intro = [f"The plan: {_count(len(tickets), 'ticket')} ({tickets['points'].sum():g} "
             f"points) for {_count(n_people, 'engineer')} in a sprint of "
             f"{check.sprint_days:g} working days; {where}.",
             f"Every chance here comes from {check.draws:,} simulated sprints (seed "
             f"{check.seed}) in which each engineer's speed is drawn once for all their "
             "tickets and each ticket's own luck separately."]
    headline = (f"Chance that the whole plan fits — every engineer finishes all their "
                f"tickets within their available days: {chance_text(check.p_plan_fits)}.")

    loaded = engineers[engineers["tickets"] > 0]
    at_risk = loaded[loaded["p_within_capacity"] < confidence]
    engineer_sentences = []
    if len(at_risk):
        listed = [f"{row.engineer} ({chance_text(row.p_within_capacity)})"
                  for row in at_risk.sort_values("p_within_capacity").itertuples()]
        engineer_sentences.append(
            f"{joined(listed)} {'has' if len(listed) == 1 else 'have'} less than the team's "
            f"{confidence:.0%} chance of finishing within their available days: give them "
            "fewer tickets, or more days.")
    elif len(loaded):
        lowest = loaded.sort_values("p_within_capacity").iloc[0]
        engineer_sentences.append(
            f"Each engineer alone has at least the team's {confidence:.0%} chance of "
            f"finishing within their available days (the lowest: {lowest['engineer']}, "
            f"{chance_text(lowest['p_within_capacity'])}).")
    if len(loaded) > 1 and check.p_plan_fits < loaded["p_within_capacity"].min() - 0.005:
        engineer_sentences.append(
            "The whole plan fits less often than any one engineer does: it needs every one "
            "of them to finish.")
    unassigned = check.unassigned
    if len(unassigned):
        engineer_sentences.append(
            f"{_count(len(unassigned), 'ticket')} unassigned "
            f"({', '.join(unassigned['ticket_id'])}; about "
            f"{days_text(unassigned['expected_days'].sum())} expected working days) "
            f"{'is' if len(unassigned) == 1 else 'are'} in nobody's load above.")
    engineer_rows = [{
        "engineer": row.engineer, "tickets": int(row.tickets), "points": f"{row.points:g}",
        "capacity": f"{row.capacity_days:g}", "expected": days_text(row.expected_days),
        "range": f"{days_text(row.low_80)}–{days_text(row.high_80)}",
        "p_within": chance_text(row.p_within_capacity),
        "at_risk": bool(row.tickets > 0 and row.p_within_capacity < confidence)}
        for row in engineers.itertuples()]

    risky_intro, risky_rows = _risky(check, rule)
    flagged = [{"ticket": row.ticket_id, "engineer": row.engineer, "note": row.note}
               for row in tickets[tickets["note"] != ""].itertuples()]
    return {
        "intro": intro, "headline": headline, "engineer_sentences": engineer_sentences,
        "engineers": engineer_rows, "risky_intro": risky_intro, "risky": risky_rows,
        "flagged": flagged,
        "suggestion_sentences": _suggestion_sentences(suggestion),
        "moved": _moved_rows(suggestion, tickets),
        "comparison": _comparison_rows(suggestion),
        "caveat": ("The suggestion knows only the history's working days. Weigh it against "
                   "what the numbers cannot see — who knows the code, who should learn it, "
                   "on-call and reviews — and pin the tickets that must stay (a pinned column "
                   "in the plan). Multipliers are planning aids, not a ranking of people."),
        "notes": sprint_plan.notes,
    }


def _risky(check: PlanCheck, rule: Rule) -> tuple[str, list[dict]]:
    """The sentence before the tickets likely over the cap, and their rows
    (most likely first)."""
    if check.budget_days is None:
        return ("No ticket is judged against a cap: the durations are lead time and no "
                "lead-time cap is set (lead_cap_days).", [])
    risk = 1 - check.confidence
    tickets = check.tickets
    risky = tickets[tickets["p_over_budget"] > risk].sort_values(
        "p_over_budget", ascending=False, kind="stable")
    cap = f"{check.budget_days:g} working days" + (" of lead time" if rule.lead else "")
    if not len(risky):
        return (f"Every ticket fits the cap: none has more than a {risk:.0%} chance of taking "
                f"more than {cap}.", [])
    intro = (f"{_count(len(risky), 'ticket')} {'has' if len(risky) == 1 else 'have'} more "
             f"than a {risk:.0%} chance (the team's {check.confidence:.0%} confidence) of "
             f"taking more than {cap}, for the engineer the plan gives "
             f"{'it' if len(risky) == 1 else 'them'}. The split is the fewest equal pieces "
             "that each fit the cap for that engineer.")
    rows = []
    for row in risky.itertuples():
        if pd.isna(row.split_pieces):
            split = "no split fits: plan more days"
        else:
            split = f"{int(row.split_pieces)} pieces of {row.split_points:g} points"
        rows.append({"ticket": row.ticket_id, "title": row.title,
                     "engineer": row.engineer or "unassigned", "area": row.area,
                     "points": f"{row.points:g}", "expected": days_text(row.expected_days),
                     "p90": days_text(row.p90_days), "p_over": chance_text(row.p_over_budget),
                     "split": split})
    return intro, rows


def _suggestion_sentences(suggestion: SuggestedAssignment) -> list[str]:
    values = suggestion.objective_values()
    plan = suggestion.plan
    moved = int(plan["moved"].sum())
    unassigned = int((plan["engineer"] == "").sum())
    if suggestion.objective == "all_within_capacity":
        aim = "makes it most likely that every engineer finishes within their available days"
        scores = (f"the whole plan fits with {chance_text(values['suggested'])} chance, "
                  f"against {chance_text(values['lead'])} for this plan")
    else:
        aim = "keeps the expected days beyond capacity lowest"
        scores = (f"{days_text(values['suggested'])} expected days beyond capacity, against "
                  f"{days_text(values['lead'])} for this plan")
    pinned = " (pinned tickets stay with their engineer)" if plan["pinned"].any() else ""
    sentences = [f"The suggested assignment {aim}{pinned}: {scores}, on the same simulated "
                 "sprints."]
    if moved or unassigned:
        gets = (f"; {_count(unassigned, 'unassigned ticket')} "
                f"{'gets' if unassigned == 1 else 'get'} an engineer" if unassigned else "")
        sentences.append(f"{_count(moved, 'ticket')} "
                         f"{'changes' if moved == 1 else 'change'} hands{gets}.")
    else:
        sentences.append("This plan is already the best assignment found: no ticket changes "
                         "hands.")
    if unassigned:
        sentences.append("This plan's chance counts its unassigned tickets in nobody's load; "
                         "the suggestion assigns every ticket, so it carries more work.")
    return sentences


def _moved_rows(suggestion: SuggestedAssignment, tickets: pd.DataFrame) -> list[dict]:
    """The tickets that change hands (or get an engineer), in plan order."""
    plan = suggestion.plan
    own_days = tickets.set_index("ticket_id")["expected_days"]
    changed = plan[plan["moved"] | (plan["engineer"] == "")]
    return [{"ticket": row.ticket_id, "title": row.title, "area": row.area,
             "points": f"{row.points:g}", "lead": row.engineer or "unassigned",
             "suggested": row.suggested_engineer,
             "lead_days": days_text(own_days[row.ticket_id]),
             "suggested_days": days_text(row.suggested_expected_days)}
            for row in changed.itertuples()]


def _comparison_rows(suggestion: SuggestedAssignment) -> list[dict]:
    """The whole plan, then each engineer (name order): the two plans side by side."""
    table = suggestion.comparison
    rows = []
    team = table[table["scope"] == "team"].set_index("plan")
    people = table[table["scope"] == "engineer"]
    order = sorted(dict.fromkeys(people["engineer"]), key=name_key)
    for who, part in [("", team), *((name, people[people["engineer"] == name]
                                     .set_index("plan")) for name in order)]:
        lead, suggested = part.loc["lead"], part.loc["suggested"]
        rows.append({
            "engineer": who or "Whole plan", "team": who == "",
            "capacity": f"{lead['capacity_days']:g}",
            "tickets_lead": int(lead["tickets"]), "tickets_suggested": int(suggested["tickets"]),
            "days_lead": days_text(lead["expected_days"]),
            "days_suggested": days_text(suggested["expected_days"]),
            "p_lead": chance_text(lead["p_within_capacity"]),
            "p_suggested": chance_text(suggested["p_within_capacity"])})
    return rows


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")

"""Suggested assignment: which engineer takes which ticket of a sprint plan.

:func:`best_assignment` is the optimiser. It works on a simulated cube of
working days — ``days[d, i, j]``: ticket ``i`` done by engineer ``j`` in
simulated sprint ``d``, with each engineer's effect drawn once per sprint —
and knows nothing about the model that made it. :func:`suggest_assignment`
simulates the cube from a model and a plan (:func:`calibrate.plan._simulate.
simulate_days`), runs the optimiser and sets its result beside the lead's own
plan, both scored on the same draws.

The objectives are sample averages over the draws, so every comparison is
exact on those draws:

- ``all_within_capacity``: the share of draws in which every engineer's
  total is within their capacity (maximised);
- ``expected_overrun_days``: the mean over draws of the total days beyond
  capacity, ``sum_j max(0, load_j - capacity_j)`` (minimised).

Method. A plan whose possible assignments times draws is at most
``_EXACT_WORK`` (5 x 10^7: e.g. 7 tickets x 3 engineers at 10,000 draws) is
solved exactly by enumerating them all. A larger one starts from two points:
a linearised optimum (a mixed-integer program on the expected working days,
:func:`scipy.optimize.milp`, with a fixed node limit) and the lead's plan
(its unassigned tickets inserted one by one where they hurt the objective
least). From each, a local search accepts only changes that improve the
sampled objective: a ticket to another engineer, two tickets swapped, and
the exact re-division of all the movable tickets of two or three engineers
among them when that has few enough possibilities (when moves and swaps are
stuck). The search runs on the first ``_SEARCH_DRAWS`` (1,000) draws — a
random subsample, the draws being exchangeable — and then moves and swaps
polish the result on all of them. All changes are evaluated exactly on the
draws, with incremental updates of the engineers' loads. The better of the
two results is returned, and never one worse than the lead's plan: a final
check, on all draws and without tolerance, returns the lead's plan (with
its unassigned tickets inserted) if the search did not beat it.

Ties are broken by the other objective, then by the number of tickets taken
from the engineer the lead gave them to, then by the order of the search
(deterministic: same inputs, same answer).
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from calibrate.errors import CalibrationWarning, InputError, Problem
from calibrate.plan._check import (
    PlanCheck,
    _draws,
    _rounded,
    _text,
    capacity_series,
    check_plan,
    plan_frame,
)
from calibrate.plan._simulate import multipliers_of, simulate_days, warn_about_clock
from calibrate.summary import Summary

__all__ = ["OBJECTIVES", "SuggestedAssignment", "best_assignment", "suggest_assignment"]

#: The objectives :func:`best_assignment` and :func:`suggest_assignment` accept.
OBJECTIVES = ("all_within_capacity", "expected_overrun_days")

#: Plans whose possible assignments x draws are at most this are enumerated.
_EXACT_WORK = 5 * 10**7
#: The local search runs on this many draws, then polishes on all of them.
_SEARCH_DRAWS = 1_000
#: A group of engineers' tickets is re-divided exactly when it has at most
#: _GROUP_LIMIT possible divisions and divisions x draws is at most _GROUP_WORK.
_GROUP_LIMIT = 4_096
_GROUP_WORK = 8 * 10**6
#: Most (candidate x draw) evaluations one local search may spend: when no
#: plan fits in any draw the overrun still improves by crumbs, move after
#: move, and the search would run for many minutes. A few seconds here.
_SEARCH_WORK = 6 * 10**8
#: Branch-and-bound nodes for the linearised start.
_NODE_LIMIT = 100
#: Largest temporary arrays (elements) the vectorised evaluations build at
#: once: of moves, and of enumerated divisions (kept small: they are passed
#: over several times, best within the processor's cache).
_CHUNK = 1 << 20
_ENUMERATION_CHUNK = 1 << 16
#: Relative tolerance under which two overrun totals count as equal (rounding).
_RTOL = 1e-9


@dataclass(frozen=True)
class SuggestedAssignment:
    """A suggested assignment beside the lead's plan (from :func:`suggest_assignment`).

    Attributes
    ----------
    plan : DataFrame
        The plan (as :func:`~calibrate.plan.plan_frame` reads it: ``engineer``
        is the lead's, ``""`` when unassigned) with ``suggested_engineer``,
        ``moved`` (True when the lead gave the ticket to someone else; a
        ticket the lead left unassigned is not "moved") and
        ``suggested_expected_days`` (the ticket's expected working days with
        the suggested engineer).
    comparison : DataFrame
        The lead's plan and the suggestion, on the same simulated sprints.
        One row per plan (``lead``, ``suggested``) for the team (``scope``
        ``team``, ``engineer`` ``""``), then per plan and candidate engineer
        (``scope`` ``engineer``): ``capacity_days``, ``tickets``,
        ``expected_days`` (the sum of the tickets' expected days),
        ``p_within_capacity`` (for the team: P(every engineer finishes
        within capacity)), ``expected_overrun_days`` (mean days beyond
        capacity; for the team, summed over engineers). The lead's tickets
        left unassigned are in nobody's load.
    objective : str
        ``all_within_capacity`` or ``expected_overrun_days``.
    engineers : list of str
        The candidates: the plan's engineers, then those given as
        ``engineers``, then the capacity's others.
    check : PlanCheck
        :func:`~calibrate.plan.check_plan` of the suggested plan (its own
        simulated sprints, with the same seed).
    draws : int
    seed : object
    """

    plan: pd.DataFrame
    comparison: pd.DataFrame
    objective: str
    engineers: list
    check: PlanCheck
    draws: int
    seed: object

    def objective_values(self) -> dict[str, float]:
        """The objective for the lead's plan and for the suggestion.

        Examples
        --------
        >>> import pandas as pd
        >>> from calibrate import Calibrator, read_export
        >>> from calibrate.plan import suggest_assignment
        >>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
        >>> result = Calibrator().fit(read_export(SAMPLE, config=CONFIG)).result_
        >>> plan = pd.read_csv("data/sample/plan.csv")
        >>> suggestion = suggest_assignment(result, plan, draws=1000)
        >>> values = suggestion.objective_values()
        >>> bool(values["suggested"] >= values["lead"])
        True
        """
        column = ("p_within_capacity" if self.objective == "all_within_capacity"
                  else "expected_overrun_days")
        team = self.comparison[self.comparison["scope"] == "team"].set_index("plan")
        return {name: float(team.loc[name, column]) for name in ("lead", "suggested")}

    def summary(self) -> Summary:
        """The suggestion beside the lead's plan, in plain words."""
        values = self.objective_values()
        unassigned = int((self.plan["engineer"] == "").sum())
        moved = self.plan[self.plan["moved"]]
        what = ("the chance that every engineer finishes within capacity"
                if self.objective == "all_within_capacity"
                else "the expected days beyond capacity, summed over engineers")
        shown = ("{:.0%}" if self.objective == "all_within_capacity" else "{:.1f} days").format
        before = [f"Optimised: {what}. Lead's plan {shown(values['lead'])}, suggested "
                  f"{shown(values['suggested'])}, both on the same {self.draws:,} simulated "
                  f"sprints (seed {self.seed})."]
        if len(moved) or unassigned:
            before.append(f"{len(moved)} ticket(s) change hands"
                          + (f"; {unassigned} unassigned ticket(s) get an engineer."
                             if unassigned else "."))
        else:
            before.append("The lead's plan is already the best assignment found: "
                          "no ticket changes hands.")
        if unassigned:
            before.append(f"The lead's plan leaves {unassigned} ticket(s) unassigned; its "
                          "figures count them in nobody's load, so it holds less work than "
                          "the suggestion, which assigns every ticket.")
        tables = {}
        changed = self.plan[self.plan["moved"] | (self.plan["engineer"] == "")]
        if len(changed):
            tables["Tickets that change hands"] = _rounded(changed[[
                "ticket_id", "title", "area", "points", "engineer", "suggested_engineer",
                "suggested_expected_days"]].rename(columns={"engineer": "lead_engineer"}))
        tables["Lead's plan vs suggested"] = _rounded(self._side_by_side())
        after = ["Pinned tickets stay with their engineer. Probabilities are shares of "
                 "simulated sprints in which each engineer's speed is drawn once for all "
                 "their tickets.",
                 "Multipliers mix skill with ticket mix and context: they are planning aids, "
                 "not a ranking of people."]
        return Summary("Suggested assignment", tables, before=before, after=after)

    def _side_by_side(self) -> pd.DataFrame:
        """The comparison with the two plans side by side, one row per scope."""
        table = self.comparison.assign(
            who=np.where(self.comparison["scope"] == "team", "whole team (plan fits)",
                         self.comparison["engineer"]))
        wide = table.pivot(index="who", columns="plan",
                           values=["tickets", "expected_days", "p_within_capacity"])
        wide.columns = [f"{column}_{plan}" for column, plan in wide.columns]
        order = list(dict.fromkeys(table["who"]))
        wide = wide.reindex(order)
        wide.insert(0, "capacity_days", table.drop_duplicates("who").set_index("who")
                    ["capacity_days"].reindex(order))
        wide.index.name = "engineer"
        for column in ("tickets_lead", "tickets_suggested"):
            wide[column] = wide[column].astype(int)
        return wide


def suggest_assignment(model, plan, capacity=None, *, objective: str = "all_within_capacity",
                       sprint_days: float = 10, engineers=None, allowed=None,
                       budget_days: float | None = None, draws: int = 10_000,
                       seed=0, profile=None, on=None) -> SuggestedAssignment:
    """Suggest who takes which ticket, beside the lead's own plan.

    Parameters
    ----------
    model : CalibrationResult or Multipliers
        A fitted result or a multipliers file's contents
        (:func:`calibrate.load_multipliers`).
    plan : DataFrame
        The lead's plan (see :func:`~calibrate.plan.plan_frame`):
        ``ticket_id``, ``area``, ``points``, ``engineer`` (empty:
        unassigned), optional ``title`` and ``pinned`` (the ticket stays with
        its engineer).
    capacity : None, mapping or DataFrame
        Working days each engineer has (see
        :func:`~calibrate.plan.capacity_series`); an engineer in it but not
        in the plan is a candidate too.
    objective : {"all_within_capacity", "expected_overrun_days"}
        Maximise the chance that every engineer finishes within capacity,
        or minimise the expected days beyond capacity (summed over
        engineers).
    sprint_days : float, default 10
        Capacity of an engineer the capacity does not list.
    engineers : sequence of str, optional
        More candidates (with ``sprint_days`` unless ``capacity`` says).
    allowed : mapping of ticket id to engineers, optional
        Who may take those tickets (each a candidate); the others may go to
        anyone.
    budget_days : float, optional
        For :attr:`SuggestedAssignment.check` (the per-ticket verdicts).
    draws : int, default 10,000
        Simulated sprints; the lead's plan and the suggestion are scored on
        the same ones.
    seed : int, default 0
        Same seed, same answer.
    profile : SkillProfiles, optional
        New hires' declared profiles (see :func:`~calibrate.plan.check_plan`).
    on : date or str, optional
        When the sprint starts (see :func:`~calibrate.plan.check_plan`).

    Returns
    -------
    SuggestedAssignment

    Raises
    ------
    InputError
        For an invalid plan, capacity or objective, an ``allowed`` naming an
        unknown ticket or someone who is not a candidate, a pinned ticket
        whose engineer is not allowed, or tickets with no one to take them.

    Warns
    -----
    CalibrationWarning
        When the durations are not cycle time (lead time includes waiting).

    Notes
    -----
    The optimiser is :func:`best_assignment`, on working days simulated by
    :func:`calibrate.plan._simulate.simulate_days` for every ticket and
    candidate. The suggestion is never worse than the lead's plan on the
    objective, on these draws, when the lead's plan assigns every ticket
    (to an allowed engineer). Tickets the lead left unassigned are assigned;
    the lead's plan is then scored with them in nobody's load, as it
    stands, and the suggestion is never worse than the lead's plan with
    those tickets added where they hurt least.

    Time grows with draws x tickets^2: about a second for the bundled sample
    plan (14 tickets, 8 engineers, 10,000 draws), tens of seconds for 50
    tickets, minutes for 100.

    Examples
    --------
    >>> import pandas as pd
    >>> from calibrate import Calibrator, read_export
    >>> from calibrate.plan import suggest_assignment
    >>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
    >>> result = Calibrator().fit(read_export(SAMPLE, config=CONFIG)).result_
    >>> plan = pd.read_csv("data/sample/plan.csv")
    >>> capacity = pd.read_csv("data/sample/capacity.csv")
    >>> suggestion = suggest_assignment(result, plan, capacity, draws=2000)
    >>> pinned = suggestion.plan[suggestion.plan["pinned"]]
    >>> bool((pinned["suggested_engineer"] == pinned["engineer"]).all())
    True
    >>> bool((suggestion.plan["suggested_engineer"] != "").all())
    True
    >>> print(suggestion.summary())  # doctest: +ELLIPSIS
    Suggested assignment
    ====================
    <BLANKLINE>
    Optimised: the chance that every engineer finishes within capacity. Lead's plan ...
    """
    multipliers = multipliers_of(model)
    warn_about_clock(multipliers)
    if objective not in OBJECTIVES:
        raise InputError("unknown objective for the suggested assignment",
                         [Problem("unknown objective", column="objective", value=objective,
                                  expected=" or ".join(OBJECTIVES))])
    frame = plan_frame(plan, points_scale=multipliers.points_scale)
    extra = [] if engineers is None else [_text(e) for e in _as_list(engineers)]
    capacities = capacity_series(capacity, [*frame["engineer"], *extra], sprint_days)
    candidates = list(capacities.index)
    draws = _draws(draws)
    position = {name: j for j, name in enumerate(candidates)}
    start = np.array([position.get(e, -1) for e in frame["engineer"]], dtype=np.intp)
    pinned = frame["pinned"].to_numpy(dtype=bool)
    permitted = _allowed_matrix(allowed, frame, candidates)
    if len(frame) and not candidates:
        raise InputError("no engineer to assign the plan's tickets to",
                         [Problem("no candidates", expected="engineers in the plan, in the "
                                  "capacity or given as engineers=")])

    simulated = simulate_days(multipliers, frame, candidates, draws=draws, seed=seed,
                              profile=profile, on=on)
    capacity_days = capacities.to_numpy(dtype=float)
    if len(frame):
        assignment, _ = best_assignment(simulated.days, capacity_days, start=start,
                                        pinned=pinned, allowed=permitted, objective=objective)
    else:
        assignment = start
    mean = simulated.mean_days
    rows = np.arange(len(frame))
    suggested = frame.copy()
    suggested["suggested_engineer"] = np.asarray(candidates, dtype=object)[assignment]
    suggested["moved"] = (start >= 0) & (assignment != start)
    suggested["suggested_expected_days"] = mean[rows, assignment]
    comparison = pd.concat([_scores(simulated.days, mean, capacities, start, "lead"),
                            _scores(simulated.days, mean, capacities, assignment, "suggested")],
                           ignore_index=True)
    order = {name: k for k, name in enumerate(["", *candidates])}
    comparison = comparison.sort_values(  # the team, then each engineer: lead, suggested
        ["engineer", "plan"], key=lambda s: s.map(order) if s.name == "engineer" else s,
        kind="stable").reset_index(drop=True)
    with warnings.catch_warnings():  # warned about the clock once already
        warnings.filterwarnings("ignore", "the multipliers' durations are", CalibrationWarning)
        check = check_plan(multipliers, suggested.assign(engineer=suggested["suggested_engineer"]),
                           capacities.to_dict(), sprint_days=sprint_days,
                           budget_days=budget_days, draws=draws, seed=seed,
                           profile=profile, on=on)
    return SuggestedAssignment(plan=suggested, comparison=comparison, objective=objective,
                               engineers=candidates, check=check, draws=draws, seed=seed)


def _as_list(values) -> list:
    return [values] if isinstance(values, str) else list(values)


def _allowed_matrix(allowed, frame: pd.DataFrame, candidates: list) -> np.ndarray:
    """``allowed`` (ticket id -> engineers) as a tickets x candidates matrix."""
    matrix = np.ones((len(frame), len(candidates)), dtype=bool)
    if allowed is None:
        return matrix
    row_of = {ticket: i for i, ticket in enumerate(frame["ticket_id"])}
    column_of = {name: j for j, name in enumerate(candidates)}
    problems = []
    for ticket, names in dict(allowed).items():
        i = row_of.get(_text(ticket))
        if i is None:
            problems.append(Problem("not a ticket of the plan", column="allowed", value=ticket))
            continue
        names = [_text(name) for name in _as_list(names)]
        unknown = [name for name in names if name not in column_of]
        if unknown:
            problems.append(Problem(f"allowed engineer(s) of {ticket!r} not among the "
                                    "candidates", column="allowed", value=", ".join(unknown),
                                    expected="engineers of the plan, the capacity or "
                                             "engineers="))
        matrix[i] = False
        matrix[i, [column_of[name] for name in names if name in column_of]] = True
        owner = frame["engineer"].iloc[i]
        if not matrix[i].any():
            problems.append(Problem(f"no engineer allowed to take {ticket!r}", column="allowed",
                                    expected="at least one candidate"))
        elif frame["pinned"].iloc[i] and owner not in names:
            problems.append(Problem(f"{ticket!r} is pinned to {owner!r}, who is not allowed "
                                    "to take it", column="allowed", value=", ".join(names)))
    if problems:
        raise InputError("the allowed engineers cannot be used", problems,
                         hint="Give each ticket id of the plan the candidates who may take it.")
    return matrix


def _scores(days: np.ndarray, mean: np.ndarray, capacities: pd.Series, assignment: np.ndarray,
            name: str) -> pd.DataFrame:
    """The team row and the per-engineer rows of one plan (unassigned
    tickets, -1, in nobody's load)."""
    names = list(capacities.index)
    capacity = capacities.to_numpy(dtype=float)
    loads = np.zeros((days.shape[0], len(names)))
    expected = np.zeros(len(names))
    count = np.zeros(len(names), dtype=int)
    for j in range(len(names)):
        mine = np.flatnonzero(assignment == j)
        loads[:, j] = days[:, mine, j].sum(axis=1, dtype=float)
        expected[j], count[j] = mean[mine, j].sum(), mine.size
    within = loads <= capacity
    excess = np.maximum(loads - capacity, 0.0)  # as best_assignment computes them
    overrun = excess.mean(axis=0)
    engineers = pd.DataFrame({"plan": name, "scope": "engineer", "engineer": names,
                              "capacity_days": capacity, "tickets": count,
                              "expected_days": expected, "p_within_capacity": within.mean(axis=0),
                              "expected_overrun_days": overrun})
    team = pd.DataFrame({"plan": [name], "scope": ["team"], "engineer": [""],
                         "capacity_days": [capacity.sum()], "tickets": [count.sum()],
                         "expected_days": [expected.sum()],
                         "p_within_capacity": [float(within.all(axis=1).mean())],
                         "expected_overrun_days": [float(excess.sum(axis=1).mean())]})
    return pd.concat([team, engineers], ignore_index=True)


def best_assignment(days, capacity, *, start, pinned, allowed=None,
                    objective: str = "all_within_capacity") -> tuple[np.ndarray, float]:
    """The assignment of tickets to engineers that is best on simulated sprints.

    Parameters
    ----------
    days : array of shape (draws, tickets, engineers)
        ``days[d, i, j]``: working days ticket ``i`` takes if engineer ``j``
        does it, in simulated sprint ``d`` (engineer effects shared by the
        tickets of one draw, as :func:`calibrate.plan._simulate.simulate_days`
        draws them).
    capacity : array of shape (engineers,)
        Working days each engineer has in the sprint (>= 0; ``inf`` allowed).
    start : array of int, shape (tickets,)
        The lead's plan: the engineer index of each ticket, -1 for unassigned.
    pinned : array of bool, shape (tickets,)
        Tickets that must stay with the engineer ``start`` gives them.
    allowed : array of bool, shape (tickets, engineers), optional
        Who may take each ticket; default everyone. A pinned ticket's engineer
        must be allowed. The lead's assignment of an unpinned ticket to an
        engineer not allowed is treated as unassigned.
    objective : {"all_within_capacity", "expected_overrun_days"}
        Maximise the share of draws in which every engineer's total is within
        capacity, or minimise the mean total overrun days
        ``mean_d sum_j max(0, load_dj - capacity_j)``.

    Returns
    -------
    assignment : ndarray of int, shape (tickets,)
        An engineer index for every ticket (unassigned tickets are assigned).
    value : float
        The objective on these draws: a probability, or expected overrun days.

    Raises
    ------
    InputError
        If the shapes disagree, a capacity is negative or NaN, a ticket has no
        allowed engineer, or a pinned ticket is unassigned or pinned to an
        engineer it is not allowed to.

    Notes
    -----
    The result is never worse than the lead's plan on the objective when the
    lead's plan assigns every ticket to an allowed engineer. When it leaves
    tickets unassigned, the comparison point is the lead's plan with those
    tickets inserted one by one, largest first, with whoever hurts the
    objective least (the lead's plan as it stands does less work, so it cannot
    be compared). See the module docstring for the method.

    Examples
    --------
    Two tickets, two engineers with 5 days each; engineer 1 is fast on ticket
    1, and the lead gave both tickets to engineer 0:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> days = np.exp(rng.normal(np.log([[[3.0, 4.0], [3.0, 1.0]]]), 0.3, (500, 2, 2)))
    >>> assignment, p = best_assignment(days, [5.0, 5.0], start=[0, 0],
    ...                                 pinned=[False, False])
    >>> assignment.tolist()
    [0, 1]
    >>> bool(p > 0.9)
    True
    """
    problem = _Problem.build(days, capacity, start, pinned, allowed, objective)
    lead = problem.complete(problem.lead_start())
    if problem.n_assignments() * problem.draws <= _EXACT_WORK:
        candidates = [problem.enumerate_all(lead)]
    else:
        # Search on the first draws (a random subsample: draws are exchangeable),
        # then polish on all of them.
        coarse = problem.first_draws(_SEARCH_DRAWS)
        candidates = []
        for first in (lead, problem.linearised()):
            if first is not None:
                found = coarse.local_search(first)
                candidates.append(found if coarse is problem
                                  else problem.local_search(found, groups=False))
    best = lead
    for candidate in candidates:
        if problem.better(problem.key(candidate), problem.key(best)):
            best = candidate
    # The invariant, whatever the search did: never worse than the lead's plan.
    if problem.worse(best, lead):
        best = lead
    return best, problem.value(best)


class _Problem:
    """A cube, capacities and constraints, with the sampled objective.

    Keys are tuples compared lexicographically, smaller is better:
    (primary, secondary, tickets moved from the lead's engineer), where the
    fit count enters negated (-draws in which everyone fits) and the overrun
    as its total over draws.
    """

    def __init__(self, days, capacity, lead, pinned, allowed, objective):
        self.days = days
        self.capacity = capacity
        self.lead = lead
        self.pinned = pinned
        self.allowed = allowed
        self.objective = objective
        self.draws, self.tickets, self.engineers = days.shape
        self.free = np.flatnonzero(~pinned)
        self.work_left = _SEARCH_WORK

    # -- construction and validation --------------------------------------

    @classmethod
    def build(cls, days, capacity, start, pinned, allowed, objective) -> _Problem:
        problems = []
        days = np.asarray(days)
        if (days.ndim != 3 or not np.issubdtype(days.dtype, np.floating) or days.shape[0] == 0
                or (days.shape[1] and not days.shape[2])):
            raise InputError("the simulated working days cannot be used",
                             [Problem("not a float array of shape (draws, tickets, engineers) "
                                      "with draws, and engineers for the tickets",
                                      column="days", value=days.shape)])
        _, n_tickets, n_engineers = days.shape
        capacity = np.asarray(capacity, dtype=float).reshape(-1)
        start = np.asarray(start).reshape(-1)
        pinned = np.asarray(pinned, dtype=bool).reshape(-1)
        allowed = (np.ones((n_tickets, n_engineers), dtype=bool) if allowed is None
                   else np.asarray(allowed, dtype=bool))
        for name, array, shape in (("capacity", capacity, (n_engineers,)),
                                   ("start", start, (n_tickets,)),
                                   ("pinned", pinned, (n_tickets,)),
                                   ("allowed", allowed, (n_tickets, n_engineers))):
            if array.shape != shape:
                problems.append(Problem("wrong shape", column=name, value=array.shape,
                                        expected=f"{shape} to match days {days.shape}"))
        if objective not in OBJECTIVES:
            problems.append(Problem("unknown objective", column="objective", value=objective,
                                    expected=" or ".join(OBJECTIVES)))
        if problems:
            raise InputError("the assignment problem cannot be set up", problems)
        if (not np.issubdtype(start.dtype, np.integer)
                or ((start < -1) | (start >= n_engineers)).any()):
            problems.append(Problem("not an engineer index or -1", column="start",
                                    value=start.tolist(),
                                    expected=f"integers in -1..{n_engineers - 1}"))
            raise InputError("the assignment problem cannot be set up", problems)
        for j in np.flatnonzero(~(capacity >= 0)):
            problems.append(Problem("capacity is negative or missing", column=f"capacity[{j}]",
                                    value=capacity[j], expected="working days >= 0"))
        for i in np.flatnonzero(~allowed.any(axis=1)):
            problems.append(Problem("no engineer may take this ticket", column=f"allowed[{i}]",
                                    expected="at least one allowed engineer"))
        for i in np.flatnonzero(pinned & (start < 0)):
            problems.append(Problem("pinned but not assigned to anyone", column=f"pinned[{i}]",
                                    expected="an engineer to stay with"))
        for i in np.flatnonzero(pinned & (start >= 0)):
            if not allowed[i, start[i]]:
                problems.append(Problem("pinned to an engineer it is not allowed to",
                                        column=f"allowed[{i}]", value=int(start[i])))
        if problems:
            raise InputError("the assignment problem cannot be set up", problems)
        return cls(days, capacity, start.astype(np.intp), pinned, allowed, objective)

    def lead_start(self) -> np.ndarray:
        """The lead's plan with assignments to engineers not allowed dropped."""
        a = self.lead.copy()
        assigned = a >= 0
        bad = assigned & ~self.allowed[np.arange(self.tickets), np.where(assigned, a, 0)]
        a[bad] = -1
        return a

    def first_draws(self, draws: int) -> _Problem:
        """The same problem on the first ``draws`` draws (self if no fewer)."""
        if draws >= self.draws:
            return self
        return _Problem(self.days[:draws], self.capacity, self.lead, self.pinned,
                        self.allowed, self.objective)

    # -- scoring -------------------------------------------------------------

    def loads(self, a: np.ndarray) -> np.ndarray:
        """Each engineer's total per draw, (draws, engineers), float64;
        unassigned tickets (-1) count for no one."""
        loads = np.zeros((self.draws, self.engineers))
        for j in range(self.engineers):
            mine = np.flatnonzero(a == j)
            if mine.size:
                loads[:, j] = self.days[:, mine, j].sum(axis=1, dtype=float)
        return loads

    def moved(self, a: np.ndarray) -> int:
        """Tickets taken from the engineer the lead gave them to."""
        return int(((self.lead >= 0) & (a != self.lead)).sum())

    def _key(self, neg_fits, excess, moved):
        if self.objective == "all_within_capacity":
            return (neg_fits, excess, moved)
        return (excess, neg_fits, moved)

    def key(self, a: np.ndarray) -> tuple:
        state = self.state(a)
        return self._key(-int((state.n_over == 0).sum()), state.excess, state.moved)

    def value(self, a: np.ndarray) -> float:
        """The objective: P(all within capacity) or expected overrun days."""
        loads = self.loads(a)
        if self.objective == "all_within_capacity":
            return float((loads <= self.capacity).all(axis=1).mean())
        return float(np.maximum(loads - self.capacity, 0.0).sum(axis=1).mean())

    def worse(self, a: np.ndarray, b: np.ndarray) -> bool:
        """Whether ``a`` is strictly worse than ``b`` on the objective, both
        computed the same way, without tolerance."""
        va, vb = self.value(a), self.value(b)
        return va < vb if self.objective == "all_within_capacity" else va > vb

    @staticmethod
    def _tied(x, y) -> bool:
        return abs(x - y) <= _RTOL * (1.0 + abs(x) + abs(y))

    def better(self, k1: tuple, k2: tuple) -> bool:
        """Whether key ``k1`` is strictly better than ``k2`` (overrun totals
        equal up to rounding count as tied)."""
        for x, y in zip(k1, k2, strict=True):
            if not self._tied(x, y):
                return x < y
        return False

    def state(self, a: np.ndarray) -> _State:
        loads = self.loads(a)
        over = loads > self.capacity
        excess = np.maximum(loads - self.capacity, 0.0).sum(axis=0)
        return _State(a=a, loads=loads, over=over,
                      n_over=over.sum(axis=1, dtype=np.int16 if self.engineers < 2**15 else None),
                      excess_by_engineer=excess, excess=float(excess.sum()), moved=self.moved(a))

    def _score_two(self, state, j, k, load_j, load_k):
        """(-fits, total excess) per candidate after replacing the loads of
        engineers ``j`` and ``k`` (arrays of the candidates, j != k) by
        ``load_j`` and ``load_k`` (draws x candidates)."""
        others = state.n_over[:, None] - state.over[:, j] - state.over[:, k]
        cap_j, cap_k = self.capacity[j], self.capacity[k]
        fits = (others == 0) & (load_j <= cap_j) & (load_k <= cap_k)
        excess = (state.excess - state.excess_by_engineer[j] - state.excess_by_engineer[k]
                  + np.maximum(load_j - cap_j, 0.0).sum(axis=0)
                  + np.maximum(load_k - cap_k, 0.0).sum(axis=0))
        return -fits.sum(axis=0), excess

    def _score_group(self, state, engineers, loads):
        """(-fits, total excess) per candidate after replacing the loads of
        ``engineers`` (the same for every candidate) by ``loads`` (a list of
        draws x candidates arrays)."""
        others = state.n_over - state.over[:, engineers].sum(axis=1)
        fits = np.repeat((others == 0)[:, None], loads[0].shape[1], axis=1)
        excess = state.excess - state.excess_by_engineer[engineers].sum()
        for j, load in zip(engineers, loads, strict=True):
            fits &= load <= self.capacity[j]
            excess = excess + np.maximum(load - self.capacity[j], 0.0).sum(axis=0)
        return -fits.sum(axis=0), excess

    def _moved_delta(self, tickets, old, new):
        lead = self.lead[tickets]
        return (((lead >= 0) & (new != lead)).astype(np.int64)
                - ((lead >= 0) & (old != lead)))

    def _keep(self, best, neg_fits, excess, moved, locate):
        """The better of ``best`` (a (key, where) pair or None) and the best
        candidate of this batch (first on ties); ``locate(index)`` says where."""
        if np.size(neg_fits) == 0:
            return best
        neg_fits, excess, moved = np.broadcast_arrays(neg_fits, excess, moved)
        primary, secondary = ((neg_fits, excess) if self.objective == "all_within_capacity"
                              else (excess, neg_fits))
        index = np.arange(primary.size)
        for column in (primary, secondary, moved):  # lexicographic, rounding-tolerant
            values = column.ravel()[index]
            low = values.min()
            index = index[values <= low + _RTOL * (1.0 + 2 * abs(low))]
        flat = int(index[0])
        key = (primary.ravel()[flat].item(), secondary.ravel()[flat].item(),
               int(moved.ravel()[flat]))
        if best is None or self.better(key, best[0]):
            return key, locate(flat)
        return best

    # -- neighbourhoods ------------------------------------------------------

    def best_move(self, state):
        """The best move of one ticket to another engineer: (key, (ticket, engineer))."""
        best = None
        self.work_left -= self.free.size * self.engineers * self.draws
        step = max(1, _CHUNK // self.draws)
        for k in range(self.engineers):
            tickets = self.free[(state.a[self.free] != k) & self.allowed[self.free, k]]
            for begin in range(0, tickets.size, step):
                chunk = tickets[begin:begin + step]
                j = state.a[chunk]
                load_j = state.loads[:, j] - self.days[:, chunk, j]
                load_k = state.loads[:, k, None] + self.days[:, chunk, k]
                neg_fits, excess = self._score_two(state, j, np.full(chunk.size, k),
                                                   load_j, load_k)
                moved = state.moved + self._moved_delta(chunk, j, k)
                best = self._keep(best, neg_fits, excess, moved,
                                  lambda flat, c=chunk, k=k: (int(c[flat]), k))
        return best

    def best_swap(self, state):
        """The best exchange of two tickets between their engineers:
        (key, (ticket, ticket))."""
        best = None
        self.work_left -= self.free.size * (self.free.size - 1) // 2 * self.draws
        for position, i in enumerate(self.free[:-1]):
            others = self.free[position + 1:]
            j, k = state.a[i], state.a[others]
            others = others[(k != j) & self.allowed[i, k] & self.allowed[others, j]]
            if others.size == 0:
                continue
            k = state.a[others]
            load_j = (state.loads[:, j] - self.days[:, i, j])[:, None] + self.days[:, others, j]
            load_k = state.loads[:, k] - self.days[:, others, k] + self.days[:, i, k]
            neg_fits, excess = self._score_two(state, np.full(k.size, j), k, load_j, load_k)
            moved = (state.moved + self._moved_delta(i, j, k)
                     + self._moved_delta(others, k, j))
            best = self._keep(best, neg_fits, excess, moved,
                              lambda flat, i=i, o=others: (int(i), int(o[flat])))
        return best

    # -- exact enumeration ---------------------------------------------------

    def _options(self, tickets, engineers):
        return [np.intersect1d(np.flatnonzero(self.allowed[i]), engineers) for i in tickets]

    def n_assignments(self) -> float:
        """How many assignments the pins and ``allowed`` permit."""
        return float(np.prod([self.allowed[i].sum() for i in self.free], dtype=float))

    def enumerate_group(self, state, tickets, engineers):
        """The best re-division of ``tickets`` among ``engineers`` (every
        combination ``allowed`` permits; the other engineers' loads
        unchanged): (key, engineer of each of those tickets), or None."""
        options = self._options(tickets, engineers)
        sizes = [len(o) for o in options]
        self.work_left -= int(np.prod(sizes, dtype=float)) * self.draws
        if 0 in sizes or tickets.size == 0:
            return None
        total = int(np.prod(sizes, dtype=float))
        engineers = np.asarray(engineers)
        base = state.loads[:, engineers].copy()
        for i in tickets:
            base[:, np.flatnonzero(engineers == state.a[i])] -= self.days[:, i, state.a[i], None]
        blocks = [np.ascontiguousarray(self.days[:, tickets, e], dtype=float) for e in engineers]
        lead = self.lead[tickets]
        moved_outside = state.moved - int(((lead >= 0) & (state.a[tickets] != lead)).sum())
        step = max(1, _ENUMERATION_CHUNK // self.draws)
        best = None
        for begin in range(0, total, step):
            digits = np.unravel_index(np.arange(begin, min(total, begin + step)), sizes)
            choice = np.stack([options[f][d] for f, d in enumerate(digits)], axis=1)
            # A contiguous right operand keeps the product in BLAS (far faster).
            loads = [base[:, g, None]
                     + blocks[g] @ np.ascontiguousarray((choice == e).T, dtype=float)
                     for g, e in enumerate(engineers)]
            neg_fits, excess = self._score_group(state, engineers, loads)
            moved = moved_outside + ((lead >= 0) & (choice != lead)).sum(axis=1)
            best = self._keep(best, neg_fits, excess, moved,
                              lambda flat, c=choice: c[flat].copy())
        return best

    def enumerate_all(self, lead: np.ndarray) -> np.ndarray:
        """The optimum, by enumeration of every assignment of the free tickets."""
        a = lead.copy()
        found = self.enumerate_group(self.state(lead), self.free, np.arange(self.engineers))
        if found is not None:
            a[self.free] = found[1]
        return a

    # -- starting points and the search --------------------------------------

    def complete(self, a: np.ndarray) -> np.ndarray:
        """Insert the unassigned tickets one by one, largest expected work
        first, each with whoever hurts the key least."""
        a = a.copy()
        missing = np.flatnonzero(a < 0)
        if missing.size == 0:
            return a
        mean = self.days[:, missing, :].mean(axis=0, dtype=float)
        size = np.where(self.allowed[missing], mean, np.inf).min(axis=1)
        for i in missing[np.argsort(-size, kind="stable")]:
            state = self.state(a)
            best = None
            for k in np.flatnonzero(self.allowed[i]):
                load = state.loads[:, k, None] + self.days[:, i, k, None]
                neg_fits, excess = self._score_group(state, [k], [load])
                moved = state.moved + self._moved_delta(i, -1, k)
                best = self._keep(best, neg_fits, excess, moved, lambda flat, k=k: int(k))
            a[i] = best[1]
        return a

    def linearised(self) -> np.ndarray | None:
        """The optimum of a linear stand-in on expected working days.

        all_within_capacity: minimise the largest expected excess over
        capacity, max_j (E[load_j] - capacity_j); expected_overrun_days:
        minimise sum_j max(0, E[load_j] - capacity_j). Both with a small
        weight on the total expected working days, to prefer the faster
        engineer. None if the solver finds nothing within its node limit
        (a fixed node limit, not a time limit, keeps the answer reproducible).
        """
        from scipy.optimize import Bounds, LinearConstraint, milp

        n, m = self.tickets, self.engineers
        mean = self.days.mean(axis=0, dtype=float)  # (tickets, engineers)
        big = float(np.abs(mean).sum()) + 1.0
        capacity = np.minimum(self.capacity, big)  # an infinite capacity never binds
        weight = 1e-3 / big
        # Variables: x (tickets x engineers, row-major), then z (1) or o (engineers).
        extra = 1 if self.objective == "all_within_capacity" else m
        cost = np.concatenate([weight * mean.ravel(), np.ones(extra)])
        one_each = np.zeros((n, n * m + extra))
        load = np.zeros((m, n * m + extra))
        for i in range(n):
            one_each[i, i * m:(i + 1) * m] = 1.0
        for j in range(m):
            load[j, j:n * m:m] = mean[:, j]
            load[j, n * m + (0 if extra == 1 else j)] = -1.0
        lower = np.zeros(n * m + extra)
        lower[np.flatnonzero(self.pinned) * m + self.lead[self.pinned]] = 1.0
        if extra == 1:
            lower[-1] = -np.inf  # the largest excess is negative when everyone has slack
        upper = np.concatenate([self.allowed.ravel().astype(float), np.full(extra, np.inf)])
        # Without presolve: HiGHS's repair of presolved incumbents prints a
        # stray debug line (HiGHS issue 2783), and these programs are small.
        solution = milp(cost, integrality=np.r_[np.ones(n * m), np.zeros(extra)],
                        bounds=Bounds(lower, upper),
                        constraints=[LinearConstraint(one_each, 1.0, 1.0),
                                     LinearConstraint(load, -np.inf, capacity)],
                        options={"node_limit": _NODE_LIMIT, "presolve": False})
        if solution.x is None:
            return None
        x = solution.x[:n * m].reshape(n, m)
        return np.where(self.allowed, x, -np.inf).argmax(axis=1).astype(np.intp)

    def local_search(self, a: np.ndarray, groups: bool = True) -> np.ndarray:
        """Improve ``a`` until no move, swap or (with ``groups``) group
        re-division improves it."""
        a = a.copy()
        teams = ([np.array(g) for size in (2, 3) if size <= self.engineers
                  for g in itertools.combinations(range(self.engineers), size)]
                 if groups else [])
        next_team = 0
        for _ in range(100 * self.tickets * self.engineers):  # a safety bound
            if self.work_left <= 0:
                warnings.warn("the suggested assignment's search stopped at its work limit: "
                              "a better assignment may exist (this happens when almost no "
                              "simulated sprint fits; give capacities or fewer tickets)",
                              CalibrationWarning, stacklevel=2)
                return a
            state = self.state(a)
            current = self._key(-int((state.n_over == 0).sum()), state.excess, state.moved)
            chosen = None
            for found, kind in ((self.best_move(state), "move"), (self.best_swap(state), "swap")):
                if (found is not None and self.better(found[0], current)
                        and (chosen is None or self.better(found[0], chosen[0]))):
                    chosen = (found[0], kind, found[1])
            if chosen is None:
                next_team, chosen = self._improving_group(state, teams, next_team, current)
                if chosen is None:
                    return a
            _, kind, where = chosen
            if kind == "move":
                a[where[0]] = where[1]
            elif kind == "swap":
                i, k = where
                a[i], a[k] = a[k], a[i]
            else:
                tickets, choice = where
                a[tickets] = choice
        return a

    def _improving_group(self, state, teams, first, current):
        """The next re-division of two or three engineers' tickets that
        improves on ``current``, among those with few enough possibilities,
        trying the teams round-robin from ``first``: (where to go on from,
        (key, "group", (tickets, their engineers)) or None)."""
        for step in range(len(teams)):
            position = (first + step) % len(teams)
            engineers = teams[position]
            tickets = self.free[np.isin(state.a[self.free], engineers)]
            sizes = [len(o) for o in self._options(tickets, engineers)]
            divisions = np.prod(sizes, dtype=float)
            if divisions > _GROUP_LIMIT or divisions * self.draws > _GROUP_WORK:
                continue
            found = self.enumerate_group(state, tickets, engineers)
            if found is not None and self.better(found[0], current):
                return position + 1, (found[0], "group", (tickets, found[1]))
        return first, None


class _State:
    """One assignment with its loads and per-draw tallies."""

    __slots__ = ("a", "excess", "excess_by_engineer", "loads", "moved", "n_over", "over")

    def __init__(self, **values):
        for name, value in values.items():
            setattr(self, name, value)

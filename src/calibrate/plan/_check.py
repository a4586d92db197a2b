"""Checking a sprint plan: each engineer's load against their capacity, each
ticket against the budget, and what moving a ticket to someone else costs.

The plan and capacity validators here (:func:`plan_frame`,
:func:`capacity_series`) are shared by every planning tool. The risks come
from one Monte Carlo (:func:`calibrate.plan._simulate.simulate_days`: each
engineer's effect drawn once per simulated sprint, the ticket noise per
ticket); expected days and per-ticket probabilities are the closed-form
log-normal of :meth:`calibrate.export.Multipliers.predict`, which the
simulation reproduces exactly ticket by ticket.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from calibrate.errors import InputError, Problem
from calibrate.plan._simulate import (
    _is_blank,
    multipliers_of,
    simulate_days,
    warn_about_clock,
)
from calibrate.prediction import merged_points_scale
from calibrate.summary import Summary

__all__ = ["PlanCheck", "ReassignmentCosts", "capacity_series", "check_plan", "plan_frame",
           "reassignment_costs"]

#: The central ranges of an engineer's total reported, as (name, low, high) percentiles.
RANGES = (("50", 25.0, 75.0), ("80", 10.0, 90.0), ("90", 5.0, 95.0))

_TRUE = {"true", "yes", "y", "1", "pinned", "x"}
_FALSE = {"false", "no", "n", "0", ""}


# -- the shared validators ---------------------------------------------------------------------


def plan_frame(plan, points_scale: dict[str, float] | None = None) -> pd.DataFrame:
    """A sprint plan or backlog, checked and in a standard form.

    Parameters
    ----------
    plan : DataFrame
        Columns ``ticket_id``, ``area`` and ``points`` (a number >= 0, or a
        size such as ``"M"``), and optionally ``engineer`` (empty or missing:
        unassigned), ``title`` and ``pinned`` (true when the ticket must
        stay with its engineer: a bool, or ``yes``/``no``, ``true``/``false``,
        ``1``/``0``, empty for no). Other columns are kept.
    points_scale : dict, optional
        Sizes and the points they stand for (a multipliers'
        :attr:`~calibrate.export.Multipliers.points_scale`): sizes are then
        read as points here, and a size not in the scale is a problem of its
        row. Without it, sizes are kept as text (lower case) for the
        prediction to read with the multipliers' scale.

    Returns
    -------
    DataFrame
        ``ticket_id`` (text), ``title`` (text, ``""`` when none),
        ``engineer`` (text, ``""`` when unassigned), ``area`` (text, ``""``
        when none), ``points`` (float; a size as text when it cannot be
        read yet), ``pinned`` (bool), then the plan's other columns; index
        0..n-1.

    Raises
    ------
    InputError
        Listing every problem at once: missing columns; rows with no ticket
        id, a ticket id used twice, missing or invalid points, an invalid
        pinned value or a ticket pinned to nobody. Rows are counted as a
        spreadsheet counts them (the header is row 1).

    Examples
    --------
    >>> import pandas as pd
    >>> from calibrate.plan import plan_frame
    >>> plan = pd.DataFrame({"ticket_id": ["A-1", "A-2"], "area": ["research", "research"],
    ...                      "points": [3, "M"], "engineer": ["Priya Raman", None]})
    >>> plan_frame(plan, points_scale={"m": 3})[["ticket_id", "engineer", "points"]]
      ticket_id     engineer  points
    0       A-1  Priya Raman     3.0
    1       A-2                  3.0
    """
    if not isinstance(plan, pd.DataFrame):
        raise InputError(f"the plan must be a DataFrame, not {type(plan).__name__}")
    missing = [c for c in ("ticket_id", "area", "points") if c not in plan.columns]
    if missing:
        raise InputError(
            "the plan lacks required columns",
            [Problem("required column missing", column=c) for c in missing],
            hint=f"A plan needs ticket_id, area and points (engineer, title and pinned are "
                 f"optional); its columns are {', '.join(map(str, plan.columns))}.")
    plan = plan.reset_index(drop=True)
    rows = np.arange(len(plan)) + 2  # as in a spreadsheet: the header is row 1
    problems: list[tuple[int, Problem]] = []

    ticket_id = plan["ticket_id"].map(_text)
    for position in np.flatnonzero(ticket_id.to_numpy() == ""):
        problems.append((position, Problem("no ticket id", row=rows[position],
                                           column="ticket_id")))
    repeated = ticket_id.duplicated(keep=False) & (ticket_id != "")
    for position in np.flatnonzero(repeated.to_numpy()):
        first = rows[np.flatnonzero((ticket_id == ticket_id[position]).to_numpy())]
        problems.append((position, Problem(
            "ticket id used more than once", row=rows[position], column="ticket_id",
            value=ticket_id[position], expected=f"one row per ticket (rows "
                                                f"{', '.join(map(str, first))})")))

    scale = None if points_scale is None else merged_points_scale(None, points_scale)
    points, points_problems = _points(plan["points"], scale, rows)
    problems += points_problems

    engineer = (plan["engineer"].map(_text) if "engineer" in plan.columns
                else pd.Series("", index=plan.index, dtype=object))
    pinned = pd.Series(False, index=plan.index, dtype=bool)
    if "pinned" in plan.columns:
        for position, value in enumerate(plan["pinned"]):
            flag = _flag(value)
            if flag is None:
                problems.append((position, Problem(
                    "invalid pinned value", row=rows[position], column="pinned", value=value,
                    expected="true/false, yes/no, 1/0 or empty")))
            elif flag and engineer[position] == "":
                problems.append((position, Problem(
                    "ticket pinned to nobody", row=rows[position], column="pinned",
                    expected="an engineer for a pinned ticket")))
            else:
                pinned[position] = flag
    if problems:
        problems.sort(key=lambda item: item[0])
        raise InputError(f"the plan has {len({p for p, _ in problems})} invalid row(s)",
                         [problem for _, problem in problems],
                         hint="Fix those rows: every ticket needs a unique id and points.")

    standard = pd.DataFrame({
        "ticket_id": ticket_id,
        "title": plan["title"].map(_text) if "title" in plan.columns else "",
        "engineer": engineer,
        "area": plan["area"].map(_text),
        "points": points,
        "pinned": pinned,
    })
    others = [c for c in plan.columns if c not in standard.columns]
    return pd.concat([standard, plan[others]], axis=1)


def capacity_series(capacity, engineers, sprint_days: float = 10) -> pd.Series:
    """Each engineer's available working days in the sprint.

    Parameters
    ----------
    capacity : None, mapping or DataFrame
        None: every engineer has ``sprint_days``. A mapping of engineer to
        working days, or a DataFrame with columns ``engineer`` and
        ``capacity_days`` (leave and part time already taken off). An
        engineer of ``engineers`` not in it has ``sprint_days``.
    engineers : sequence of str
        The engineers of the plan (blank names are ignored).
    sprint_days : float, default 10
        Working days in the sprint.

    Returns
    -------
    Series
        Named ``capacity_days``, indexed by ``engineer``: the plan's
        engineers in order, then those only in ``capacity`` (candidates for
        tickets), in its order.

    Raises
    ------
    InputError
        Listing every problem: missing columns, a capacity that is not a
        number >= 0, an engineer without a name or listed twice, or
        ``sprint_days`` not a number > 0.

    Examples
    --------
    >>> from calibrate.plan import capacity_series
    >>> capacity_series({"Zoë Müller": 6}, ["Priya Raman", "Zoë Müller"]).to_dict()
    {'Priya Raman': 10.0, 'Zoë Müller': 6.0}
    """
    try:
        default = float(sprint_days)
    except (TypeError, ValueError):
        default = math.nan
    if not (math.isfinite(default) and default > 0):
        raise InputError("sprint_days must be a number of working days > 0",
                         [Problem("invalid sprint length", value=sprint_days,
                                  expected="a number > 0")])
    names, days, rows = _capacity_entries(capacity)
    problems = []
    for name, value, row in zip(names, days, rows, strict=True):
        if name == "":
            problems.append(Problem("capacity for an engineer without a name", row=row,
                                    column="engineer" if row else None))
        elif names.count(name) > 1:
            problems.append(Problem("engineer listed more than once", row=row,
                                    column="engineer" if row else None, value=name))
        number = _number(value)
        if not (math.isfinite(number) and number >= 0):
            whose = f" of {name!r}" if name else ""
            problems.append(Problem(f"capacity{whose} is not a number of working days >= 0",
                                    row=row, column="capacity_days" if row else None,
                                    value="empty" if _is_blank(value) else value,
                                    expected="a number >= 0"))
    if problems:
        raise InputError("the capacity has invalid entries", problems,
                         hint="Give each engineer's available working days once, as a "
                              "number >= 0.")
    given = dict(zip(names, (_number(v) for v in days), strict=True))
    order = [e for e in dict.fromkeys(_text(e) for e in engineers) if e != ""]
    order += [name for name in names if name not in order]
    return pd.Series([given.get(name, default) for name in order],
                     index=pd.Index(order, name="engineer", dtype=object),
                     name="capacity_days", dtype=float)


# -- the plan check -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanCheck:
    """A sprint plan's risks (from :func:`check_plan`).

    Attributes
    ----------
    engineers : DataFrame
        Per engineer (the plan's, then engineers with capacity but no
        ticket): ``engineer``, ``tickets``, ``points``, ``capacity_days``,
        ``expected_days`` (the sum of the tickets' expected days),
        ``median_days``, ``low_50``/``high_50``, ``low_80``/``high_80``,
        ``low_90``/``high_90`` (central 50/80/90% ranges of the total:
        the 25th/75th, 10th/90th and 5th/95th percentiles),
        ``p_within_capacity`` (P(all their tickets are done within their
        capacity)), ``flagged_tickets`` (tickets with a note).
    tickets : DataFrame
        Per ticket: ``ticket_id``, ``title``, ``engineer`` (``""`` when
        unassigned), ``area``, ``points``, ``basis``, ``note``,
        ``expected_days``, ``p50_days``, ``p90_days``, ``budget_days``,
        ``p_over_budget`` and the suggested split: ``split_pieces`` pieces of
        ``split_points`` points each — the fewest equal pieces (points
        rounded up to a size of the points scale, or to whole points) whose
        P(over the budget) for that engineer is at most 1 - confidence;
        empty when the ticket already fits or when no split fits.
    unassigned : DataFrame
        The rows of ``tickets`` with no engineer (predicted as for an
        engineer never seen), counted in nobody's load.
    p_plan_fits : float
        P(every engineer finishes all their tickets within capacity), from
        the same simulated sprints.
    budget_days : float or None
        The budget each ticket is judged against (None: lead time without a
        lead-time cap, so no verdicts).
    confidence : float
        The multipliers' confidence: a ticket fits when P(over the budget)
        <= 1 - confidence.
    sprint_days, clock, draws, seed
    """

    engineers: pd.DataFrame
    tickets: pd.DataFrame
    unassigned: pd.DataFrame
    p_plan_fits: float
    budget_days: float | None
    confidence: float
    sprint_days: float
    clock: str
    draws: int
    seed: object

    def summary(self) -> Summary:
        """The check in plain words, with the tables rounded for people."""
        before = [f"Chance the whole plan fits (every engineer finishes within capacity): "
                  f"{self.p_plan_fits:.0%}, from {self.draws:,} simulated sprints "
                  f"(seed {self.seed})."]
        if self.clock != "cycle":
            before.append(f"Durations are {self.clock} time: waiting is included, so loads "
                          "overstate the work.")
        tables = {"Engineers": _rounded(self.engineers.drop(columns=["flagged_tickets"]))}
        if self.budget_days is not None:
            risky = self.tickets[self.tickets["p_over_budget"] > 1 - self.confidence]
            if len(risky):
                tables[f"Tickets likely over {self.budget_days:g} days"] = _rounded(risky[[
                    "ticket_id", "engineer", "area", "points", "expected_days", "p90_days",
                    "p_over_budget", "split_pieces", "split_points"]])
        flagged = self.tickets[self.tickets["note"] != ""]
        if len(flagged):
            tables["Tickets the history cannot vouch for"] = flagged[
                ["ticket_id", "engineer", "area", "points", "basis", "note"]]
        after = ["Ranges are central ranges of each engineer's total working days: 80% means "
                 "a 1-in-10 chance of more than the high end.",
                 "Each engineer's speed is drawn once per simulated sprint (it is shared by "
                 "all their tickets), so the ranges are wider than per-ticket sums suggest."]
        if len(self.unassigned):
            after.append(f"{len(self.unassigned)} unassigned ticket(s), "
                         f"{self.unassigned['expected_days'].sum():.1f} expected days, are in "
                         "nobody's load.")
        return Summary("Sprint plan check", tables, before=before, after=after)


def check_plan(model, plan, capacity=None, *, sprint_days: float = 10,
               budget_days: float | None = None, draws: int = 10_000, seed=0,
               profile=None, on=None) -> PlanCheck:
    """Check a sprint plan: each engineer's load against their capacity.

    Parameters
    ----------
    model : CalibrationResult or Multipliers
        A fitted result or a multipliers file's contents
        (:func:`calibrate.load_multipliers`): no ticket history needed.
    plan : DataFrame
        The tickets (see :func:`plan_frame`): ``ticket_id``, ``area``,
        ``points``, ``engineer`` (empty: unassigned), optional ``title``.
    capacity : None, mapping or DataFrame
        Working days each engineer has in the sprint (see
        :func:`capacity_series`); default ``sprint_days`` each.
    sprint_days : float, default 10
    budget_days : float, optional
        The budget each ticket is judged against; default the multipliers'
        :attr:`~calibrate.export.Multipliers.verdict_cap`.
    draws : int, default 10,000
        Simulated sprints.
    seed : int, default 0
        Same seed, same answer.
    profile : SkillProfiles, optional
        Declared levels and start dates of engineers the multipliers do not
        know (new hires): their tickets are predicted from their profile
        (see :meth:`~calibrate.export.Multipliers.predict`; the ``basis``
        column says ``declared level``). Needs multipliers fitted with
        skill profiles.
    on : date or str, optional
        When the sprint starts, for the ramp-up of engineers with a start
        date (default: today).

    Returns
    -------
    PlanCheck

    Warns
    -----
    CalibrationWarning
        When the durations are not cycle time (lead time includes waiting).

    Examples
    --------
    >>> import pandas as pd
    >>> from calibrate import Calibrator, read_export
    >>> from calibrate.plan import check_plan
    >>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
    >>> result = Calibrator().fit(read_export(SAMPLE, config=CONFIG)).result_
    >>> plan = pd.DataFrame({
    ...     "ticket_id": ["ML-1", "ML-2", "ML-3", "ML-4"],
    ...     "area": ["research", "research", "ml-engineering", "data-engineering"],
    ...     "points": [3, 8, 5, 2],
    ...     "engineer": ["Priya Raman", "Priya Raman", "Zoë Müller", ""]})
    >>> check = check_plan(result, plan, {"Priya Raman": 6}, draws=2000)
    >>> check.engineers[["engineer", "tickets", "capacity_days"]].values.tolist()
    [['Priya Raman', 2, 6.0], ['Zoë Müller', 1, 10.0]]
    >>> check.unassigned["ticket_id"].tolist()
    ['ML-4']
    >>> 0 <= check.p_plan_fits <= 1
    True
    """
    multipliers = multipliers_of(model)
    warn_about_clock(multipliers)
    frame = plan_frame(plan, points_scale=multipliers.points_scale)
    capacities = capacity_series(capacity, frame["engineer"], sprint_days)
    budget = _budget(multipliers, budget_days)
    confidence = float(multipliers.model["confidence"])
    team = [e for e in dict.fromkeys(frame["engineer"]) if e != ""]

    declared = {"profile": profile, "on": on}
    prediction = multipliers.predict(frame["engineer"].to_numpy(dtype=object),
                                     frame["area"].to_numpy(dtype=object),
                                     frame["points"].to_numpy(dtype=object),
                                     budget_days=budget, **declared)
    tickets = _ticket_table(frame, prediction, budget)
    tickets = _with_splits(tickets, multipliers, budget, confidence, declared)

    simulated = simulate_days(multipliers, frame, team, draws=_draws(draws), seed=seed,
                              **declared)
    position = {name: j for j, name in enumerate(team)}
    assignment = np.array([position.get(e, -1) for e in frame["engineer"]], dtype=int)
    totals = simulated.engineer_totals(assignment)
    within = totals <= capacities.reindex(team).to_numpy(dtype=float)
    engineers = _engineer_table(frame, tickets, capacities, team, totals, within)
    p_fits = float(within.all(axis=1).mean()) if team else 1.0
    return PlanCheck(engineers=engineers, tickets=tickets,
                     unassigned=tickets[tickets["engineer"] == ""].reset_index(drop=True),
                     p_plan_fits=p_fits, budget_days=budget, confidence=confidence,
                     sprint_days=float(sprint_days), clock=multipliers.clock,
                     draws=simulated.draws, seed=seed)


# -- reassignment costs -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReassignmentCosts:
    """What moving each ticket to each engineer would change (from
    :func:`reassignment_costs`).

    Attributes
    ----------
    table : DataFrame
        One row per ticket and engineer it could go to: ``ticket_id``,
        ``from_engineer`` (``""`` when unassigned: compared with an engineer
        never seen), ``to_engineer``, ``expected_days`` and
        ``p_over_budget`` if ``to_engineer`` did it, ``delta_expected_days``
        and ``delta_p_over_budget`` (minus the same for ``from_engineer``),
        ``p_to_within_capacity`` (P(``to_engineer`` finishes all their
        tickets, this one included, within capacity)),
        ``delta_p_to_within_capacity`` (the change that one ticket makes),
        ``delta_p_from_within_capacity`` (the change for ``from_engineer``,
        who loses it) and ``delta_p_plan_fits``. Zero on the diagonal
        (``to_engineer == from_engineer``). Probabilities of finishing within
        capacity come from the same simulated sprints before and after the
        move (common random numbers), so their deltas carry no Monte Carlo
        noise of their own beyond the move's.
    engineers : list of str
        The engineers tickets could go to.
    p_plan_fits : float
        P(every engineer finishes within capacity) for the plan as given, on
        the same simulated sprints (add ``delta_p_plan_fits`` for a move).
    budget_days : float or None
    draws, seed
    """

    table: pd.DataFrame
    engineers: list
    p_plan_fits: float
    budget_days: float | None
    draws: int
    seed: object

    def matrix(self, column: str = "delta_expected_days") -> pd.DataFrame:
        """``column`` as a ticket x engineer table (tickets in plan order).

        Examples
        --------
        >>> import pandas as pd
        >>> from calibrate import Calibrator, read_export
        >>> from calibrate.plan import reassignment_costs
        >>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
        >>> result = Calibrator().fit(read_export(SAMPLE, config=CONFIG)).result_
        >>> plan = pd.DataFrame({"ticket_id": ["ML-1", "ML-2"], "area": ["research"] * 2,
        ...                      "points": [3, 5], "engineer": ["Priya Raman", "Zoë Müller"]})
        >>> costs = reassignment_costs(result, plan, draws=1000)
        >>> costs.matrix().shape
        (2, 2)
        """
        if column not in self.table.columns:
            raise KeyError(f"{column!r} is not a column of the table: "
                           f"{', '.join(self.table.columns)}")
        order = list(dict.fromkeys(self.table["ticket_id"]))
        return (self.table.pivot(index="ticket_id", columns="to_engineer", values=column)
                .reindex(index=order, columns=self.engineers))

    def largest_swings(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` tickets whose expected days depend most on who does them.

        Returns
        -------
        DataFrame
            ``ticket_id``, ``from_engineer``, ``fastest_engineer``,
            ``fastest_days``, ``slowest_engineer``, ``slowest_days`` and
            ``swing_days`` (slowest - fastest expected days), largest swing
            first.
        """
        rows = []
        for ticket_id, group in self.table.groupby("ticket_id", sort=False):
            fastest = group.loc[group["expected_days"].idxmin()]
            slowest = group.loc[group["expected_days"].idxmax()]
            rows.append({"ticket_id": ticket_id, "from_engineer": fastest["from_engineer"],
                         "fastest_engineer": fastest["to_engineer"],
                         "fastest_days": fastest["expected_days"],
                         "slowest_engineer": slowest["to_engineer"],
                         "slowest_days": slowest["expected_days"],
                         "swing_days": slowest["expected_days"] - fastest["expected_days"]})
        table = pd.DataFrame(rows, columns=["ticket_id", "from_engineer", "fastest_engineer",
                                            "fastest_days", "slowest_engineer", "slowest_days",
                                            "swing_days"])
        return (table.sort_values("swing_days", ascending=False, kind="stable")
                .head(n).reset_index(drop=True))

    def summary(self) -> Summary:
        """The tickets whose hand-over costs most, in plain words."""
        swings = self.largest_swings()
        costly = self.table[self.table["to_engineer"] != self.table["from_engineer"]]
        costly = costly.sort_values("delta_expected_days", ascending=False).head(10)
        return Summary(
            "Reassignment costs", {
                "Tickets whose expected days depend most on who does them": _rounded(swings),
                "Costliest hand-overs": _rounded(costly[[
                    "ticket_id", "from_engineer", "to_engineer", "expected_days",
                    "delta_expected_days", "delta_p_over_budget",
                    "delta_p_to_within_capacity"]])},
            before=[f"Chance the plan as given fits: {self.p_plan_fits:.0%}. Moving a ticket "
                    f"changes its expected working days by the difference between the two "
                    f"engineers on that area and size; chances of finishing within capacity "
                    f"come from {self.draws:,} simulated sprints (seed {self.seed}), the same "
                    f"before and after each move."],
            after=["Multipliers mix skill with ticket mix and context: they are planning "
                   "aids, not a ranking of people."])


def reassignment_costs(model, plan, capacity=None, *, engineers=None, sprint_days: float = 10,
                       budget_days: float | None = None, draws: int = 10_000,
                       seed=0, profile=None, on=None) -> ReassignmentCosts:
    """The cost of handing each ticket to each other engineer.

    Parameters
    ----------
    model : CalibrationResult or Multipliers
    plan : DataFrame
        See :func:`plan_frame`.
    capacity : None, mapping or DataFrame
        See :func:`capacity_series`.
    engineers : sequence of str, optional
        Who tickets could go to; default the plan's engineers and those in
        ``capacity``.
    sprint_days : float, default 10
    budget_days : float, optional
        Default the multipliers' :attr:`~calibrate.export.Multipliers.verdict_cap`.
    draws : int, default 10,000
    seed : int, default 0
    profile : SkillProfiles, optional
        New hires' declared profiles (see :func:`check_plan`).
    on : date or str, optional
        When the sprint starts (see :func:`check_plan`).

    Returns
    -------
    ReassignmentCosts

    Examples
    --------
    >>> import pandas as pd
    >>> from calibrate import Calibrator, read_export
    >>> from calibrate.plan import reassignment_costs
    >>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
    >>> result = Calibrator().fit(read_export(SAMPLE, config=CONFIG)).result_
    >>> plan = pd.DataFrame({"ticket_id": ["ML-1", "ML-2"], "area": ["research", "research"],
    ...                      "points": [3, 5], "engineer": ["Priya Raman", "Zoë Müller"]})
    >>> costs = reassignment_costs(result, plan, draws=1000)
    >>> row = costs.table.query("ticket_id == 'ML-1' and to_engineer == 'Priya Raman'")
    >>> float(row["delta_expected_days"].iloc[0])
    0.0
    """
    multipliers = multipliers_of(model)
    warn_about_clock(multipliers)
    frame = plan_frame(plan, points_scale=multipliers.points_scale)
    capacities = capacity_series(capacity, frame["engineer"], sprint_days)
    budget = _budget(multipliers, budget_days)
    if engineers is None:
        team = list(capacities.index)
    else:
        team = [e for e in dict.fromkeys(_text(e) for e in engineers) if e != ""]
        missing = [e for e in frame["engineer"] if e != "" and e not in team]
        capacities = capacity_series(capacity, [*team, *missing], sprint_days)
        team = [*team, *dict.fromkeys(missing)]  # owners must be simulated too
    n_tickets, n_engineers = len(frame), len(team)
    columns = ["ticket_id", "from_engineer", "to_engineer", "expected_days",
               "delta_expected_days", "p_over_budget", "delta_p_over_budget",
               "p_to_within_capacity", "delta_p_to_within_capacity",
               "delta_p_from_within_capacity", "delta_p_plan_fits"]
    if not team or not n_tickets:
        return ReassignmentCosts(table=pd.DataFrame(columns=columns), engineers=team,
                                 p_plan_fits=1.0, budget_days=budget, draws=_draws(draws),
                                 seed=seed)
    simulated = simulate_days(multipliers, frame, [*team, ""], draws=_draws(draws), seed=seed,
                              profile=profile, on=on)
    days = simulated.days
    position = {name: j for j, name in enumerate(team)}
    owner = np.array([position.get(e, -1) for e in frame["engineer"]], dtype=int)
    totals = simulated.engineer_totals(np.where(owner >= 0, owner, -1))[:, :n_engineers]
    limit = capacities.reindex(team).to_numpy(dtype=float)
    fits = totals <= limit
    failing = (~fits).sum(axis=1)  # engineers over capacity, per draw
    # From values: the owner's, or an engineer never seen (last column) when unassigned.
    own = np.where(owner >= 0, owner, n_engineers)
    mean = simulated.mean_days
    from_mean = mean[np.arange(n_tickets), own]
    p_over = _p_over(simulated.log_mean, simulated.log_sd, budget)
    from_p_over = p_over[np.arange(n_tickets), own]

    # The owner's totals without each ticket (same draws).
    rows = np.arange(n_tickets)
    own_days = days[:, rows, own]  # (draws, tickets)
    has_owner = owner >= 0
    owner_fits = np.where(has_owner, fits[:, np.maximum(owner, 0)], True)
    owner_fits_after = np.where(
        has_owner, totals[:, np.maximum(owner, 0)] - own_days <= limit[np.maximum(owner, 0)], True)
    records = []
    for j, name in enumerate(team):
        # Engineer j's total with each ticket added (nothing changes on the diagonal).
        moved = owner != j
        to_after = np.where(moved, totals[:, [j]] + days[:, :, j] <= limit[j], fits[:, [j]])
        after_failing = (failing[:, None] - (~fits[:, [j]]) + (~to_after)
                         - np.where(moved, ~owner_fits, False)
                         + np.where(moved, ~owner_fits_after, False))
        p_to = to_after.mean(axis=0)
        records.append(pd.DataFrame({
            "ticket_id": frame["ticket_id"].to_numpy(),
            "from_engineer": frame["engineer"].to_numpy(),
            "to_engineer": name,
            "expected_days": mean[:, j],
            "delta_expected_days": np.where(moved, mean[:, j] - from_mean, 0.0),
            "p_over_budget": p_over[:, j],
            "delta_p_over_budget": np.where(moved, p_over[:, j] - from_p_over, 0.0),
            "p_to_within_capacity": p_to,
            "delta_p_to_within_capacity": p_to - fits[:, j].mean(),
            "delta_p_from_within_capacity": np.where(
                moved & has_owner, owner_fits_after.mean(axis=0) - owner_fits.mean(axis=0),
                0.0),
            "delta_p_plan_fits": (after_failing == 0).mean(axis=0) - (failing == 0).mean(),
        }))
    table = pd.concat(records, ignore_index=True)
    order = {ticket: k for k, ticket in enumerate(frame["ticket_id"])}
    table = table.sort_values(["ticket_id", "to_engineer"], key=lambda s: s.map(
        order if s.name == "ticket_id" else {e: k for k, e in enumerate(team)}), kind="stable")
    return ReassignmentCosts(table=table[columns].reset_index(drop=True), engineers=team,
                             p_plan_fits=float((failing == 0).mean()), budget_days=budget,
                             draws=simulated.draws, seed=seed)


# -- helpers ------------------------------------------------------------------------------------


def _ticket_table(frame: pd.DataFrame, prediction: pd.DataFrame,
                  budget: float | None) -> pd.DataFrame:
    return pd.DataFrame({
        "ticket_id": frame["ticket_id"].to_numpy(),
        "title": frame["title"].to_numpy(),
        "engineer": frame["engineer"].to_numpy(),
        "area": frame["area"].to_numpy(),
        "points": prediction["points"].to_numpy(dtype=float),
        "basis": prediction["basis"].to_numpy(),
        "note": prediction["note"].to_numpy(),
        "expected_days": prediction["mean_days"].to_numpy(),
        "p50_days": prediction["p50_days"].to_numpy(),
        "p90_days": prediction["p90_days"].to_numpy(),
        "budget_days": np.full(len(frame), np.nan if budget is None else budget),
        "p_over_budget": prediction["p_over_budget"].to_numpy(dtype=float),
        "log_mean": prediction["log_mean"].to_numpy(),
        "log_sd": prediction["log_sd"].to_numpy(),
    })


def _with_splits(tickets: pd.DataFrame, multipliers, budget: float | None,
                 confidence: float, declared: dict) -> pd.DataFrame:
    """The suggested split of each ticket too likely over the budget."""
    pieces = pd.array([pd.NA] * len(tickets), dtype="Int64")
    piece_points = np.full(len(tickets), np.nan)
    if budget is not None:
        sizes = _piece_sizes(multipliers)
        risk = 1 - confidence
        for i, row in tickets.iterrows():
            if not row["p_over_budget"] > risk:
                continue
            found = _split(multipliers, row, sizes, budget, risk, declared)
            if found:
                pieces[i], piece_points[i] = found
    tickets = tickets.drop(columns=["log_mean", "log_sd"])
    tickets["split_pieces"] = pieces
    tickets["split_points"] = piece_points
    return tickets


def _piece_sizes(multipliers) -> np.ndarray | None:
    """The sizes a piece may have: the points scale's (positive) values, or
    None for whole points."""
    values = sorted({v for v in multipliers.points_scale.values() if v > 0})
    return np.array(values) if values else None


def _split(multipliers, row, sizes, budget: float, risk: float,
           declared: dict) -> tuple[int, float] | None:
    """The fewest equal pieces (size rounded up to an allowed one) each with
    P(over budget) <= risk, or None."""
    points = float(row["points"])
    smallest = sizes[0] if sizes is not None else 1.0
    previous = None
    for count in range(2, max(int(math.ceil(points / smallest)), 1) + 1):
        share = points / count
        if sizes is None:
            piece = float(max(math.ceil(share - 1e-9), 1))
        else:
            above = sizes[sizes >= share - 1e-9]
            piece = float(above[0]) if len(above) else float(sizes[-1])
        if piece >= points or piece == previous:
            continue  # no smaller than the ticket, or no smaller than the last try
        previous = piece
        p_over = multipliers.predict(row["engineer"], row["area"], piece, budget_days=budget,
                                     **declared)["p_over_budget"].iloc[0]
        if p_over <= risk:
            return count, piece
    return None


def _engineer_table(frame: pd.DataFrame, tickets: pd.DataFrame, capacities: pd.Series,
                    team: list, totals: np.ndarray, within: np.ndarray) -> pd.DataFrame:
    names = list(capacities.index)
    assigned = tickets[tickets["engineer"] != ""]
    grouped = assigned.groupby("engineer", sort=False)
    table = pd.DataFrame({"engineer": names})
    table["tickets"] = grouped.size().reindex(names, fill_value=0).to_numpy(dtype=int)
    table["points"] = grouped["points"].sum().reindex(names, fill_value=0.0).to_numpy(float)
    table["capacity_days"] = capacities.to_numpy(dtype=float)
    table["expected_days"] = grouped["expected_days"].sum().reindex(
        names, fill_value=0.0).to_numpy(float)
    column = {name: j for j, name in enumerate(team)}
    full = np.zeros((totals.shape[0], len(names)))
    fits = np.ones((totals.shape[0], len(names)), dtype=bool)
    for k, name in enumerate(names):
        if name in column:
            full[:, k], fits[:, k] = totals[:, column[name]], within[:, column[name]]
    table["median_days"] = np.percentile(full, 50, axis=0)
    for label, low, high in RANGES:
        table[f"low_{label}"] = np.percentile(full, low, axis=0)
        table[f"high_{label}"] = np.percentile(full, high, axis=0)
    table["p_within_capacity"] = fits.mean(axis=0)
    table["flagged_tickets"] = (assigned["note"] != "").groupby(
        assigned["engineer"], sort=False).sum().reindex(names, fill_value=0).to_numpy(int)
    return table


def _p_over(log_mean: np.ndarray, log_sd: np.ndarray, budget: float | None) -> np.ndarray:
    from calibrate._distributions import normal_sf

    if budget is None:
        return np.full(log_mean.shape, np.nan)
    return normal_sf((math.log(budget) - log_mean) / log_sd)


def _budget(multipliers, budget_days) -> float | None:
    if budget_days is None:
        return multipliers.verdict_cap
    budget = _number(budget_days)
    if not (math.isfinite(budget) and budget > 0):
        raise InputError("budget_days must be a number of working days > 0",
                         [Problem("invalid budget", value=budget_days, expected="a number > 0")])
    return budget


def _draws(draws) -> int:
    number = _number(draws)
    if not (math.isfinite(number) and number >= 1 and number == int(number)):
        raise InputError("draws must be a whole number >= 1",
                         [Problem("invalid number of draws", value=draws)])
    return int(number)


def _points(values: pd.Series, scale: dict[str, float] | None,
            rows: np.ndarray) -> tuple[pd.Series, list[tuple[int, Problem]]]:
    """Points as floats (sizes read through ``scale``, or kept as text
    when there is no scale to read them with yet: None) and the rows whose
    points are missing or invalid."""
    if scale is None:
        expected = "a number >= 0 or a size such as 'M'"
    elif scale:
        expected = f"a number >= 0 or a size of the points scale ({', '.join(scale)})"
    else:
        expected = "a number >= 0 (sizes such as 'M' need a points scale in the multipliers)"
    output, problems = [], []
    for position, value in enumerate(values):
        number = _number(value)
        text = _text(value)
        if not math.isnan(number) and not isinstance(value, str | bool):
            usable = math.isfinite(number) and number >= 0
            output.append(number)
        elif text == "":
            problems.append((position, Problem("no points", row=rows[position],
                                               column="points", expected=expected)))
            output.append(math.nan)
            continue
        elif not math.isnan(_number(text.replace(",", "."))):
            number = _number(text.replace(",", "."))
            usable = math.isfinite(number) and number >= 0
            output.append(number)
        elif scale is not None:
            number = scale.get(text.lower(), math.nan)
            usable = not math.isnan(number)
            output.append(number)
        else:
            usable = not isinstance(value, bool)  # a size, read later with the model's scale
            output.append(text.lower())
        if not usable:
            problems.append((position, Problem("invalid points", row=rows[position],
                                               column="points", value=value,
                                               expected=expected)))
    kept = pd.Series(output, index=values.index, dtype=object)
    if all(isinstance(v, float) for v in output):
        kept = kept.astype(float)
    return kept, problems


def _capacity_entries(capacity) -> tuple[list[str], list, list]:
    """Names, values and the row each came from (None for a mapping)."""
    if capacity is None:
        return [], [], []
    if isinstance(capacity, pd.Series):
        capacity = capacity.to_dict()
    if isinstance(capacity, Mapping):
        return ([_text(name) for name in capacity], list(capacity.values()),
                [None] * len(capacity))
    if isinstance(capacity, pd.DataFrame):
        missing = [c for c in ("engineer", "capacity_days") if c not in capacity.columns]
        if missing:
            raise InputError("the capacity lacks required columns",
                             [Problem("required column missing", column=c) for c in missing],
                             hint="Capacity needs an 'engineer' and a 'capacity_days' column.")
        rows = np.arange(len(capacity)) + 2
        return ([_text(name) for name in capacity["engineer"]],
                capacity["capacity_days"].tolist(), [int(r) for r in rows])
    raise InputError(f"capacity must be None, a mapping of engineer to working days or a "
                     f"DataFrame, not {type(capacity).__name__}")


def _rounded(table: pd.DataFrame) -> pd.DataFrame:
    """Days to 1 decimal and probabilities to 3, for people."""
    output = table.copy()
    for column in output.columns:
        if output[column].dtype.kind != "f":
            continue
        digits = 3 if column.startswith(("p_", "delta_p_")) else 1
        output[column] = output[column].round(digits)
    return output


def _text(value) -> str:
    return "" if _is_blank(value) else str(value).strip()


def _number(value) -> float:
    if isinstance(value, bool | np.bool_):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _flag(value) -> bool | None:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if _is_blank(value):
        return False
    if isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    return True if text in _TRUE else False if text in _FALSE else None

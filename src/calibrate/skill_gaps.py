"""The team's skill gaps: who is clearly fast where, who the work rests on,
and what one more engineer would change.

:func:`skill_gaps` reads a fitted :class:`~calibrate.results.CalibrationResult`
(with or without skill profiles) and the ticket table it was fitted on, and
returns a :class:`SkillGaps` with

- ``coverage``: per area, the engineers of the team who are *clearly fast*
  there — their engineer x area multiplier's interval at the result's
  confidence lies entirely below 1, the team's typical engineer in the area
  (at the default confidence of 0.8 that is the reported ``p90`` below 1) —,
  how many of the team have tickets there, and the *key-person share*: the
  share of the area's recent tickets (the last ``window_weeks`` weeks of
  started tickets) worked by the one engineer with most of them. An area
  where no one is clearly fast is a ``gap``; an area with too few recent
  tickets gets a note instead of a verdict.
- with ``candidates``, the "what if we hire" comparison: the expected
  working days of a typical backlog mix for the team as it is and with one
  more engineer of each candidate profile (ramping up from a start date,
  when the fit has a ramp-up term).

How the work is shared out. Each ticket of the mix is of a class (area x
points) and costs each engineer its *expected* (log-normal mean, not
median) working days, from :meth:`Multipliers.predict
<calibrate.export.Multipliers.predict>` — for a candidate, from their
declared ``profile=``, ``start_date=`` and the date ``on=`` the work is done.
A transportation linear program (:func:`scipy.optimize.linprog`, HiGHS)
sends the classes to the engineers at the least total expected days, each
engineer — the candidate too — taking at most ``(1 + slack)`` times an equal
share of the mix's tickets among the team as it is (rounded up to whole
tickets when the mix counts whole tickets; the program's optimum is then
whole tickets too). Without the cap the fastest engineer would take
everything and a hire would only count where they beat everyone; with it,
the work spreads, and a hire strong where the team is weak is worth more
than an all-rounder by default. The cap is per person and fixed by the team
as it is, so a hire only adds capacity: the total with a hire is never more
than without.

A level the history never saw in an area. A declared level has an effect
only where engineers with tickets declared it: when everyone in
data-engineering declared "proficient", the fit cannot value "strong" there,
and a candidate strong there would be predicted as the team's mix (x1) —
exactly the hire the comparison exists for. By default
(``unseen_levels="borrow"``) such a level is an explicit assumption instead:
its multiplier against the team's typical engineer where it was estimated
(the level's ``team_multiplier`` in
:attr:`~calibrate.results.CalibrationResult.level_effects`), combined
across those areas, shifts the typical engineer's prediction in the area,
and its variance is added — as :meth:`Multipliers.predict
<calibrate.export.Multipliers.predict>` predicts that person for a planner
(:func:`calibrate.prediction.borrowed_levels`), so the comparison's costs
are the planner's. ``hiring_by_area`` records every assumed number and a
:class:`~calibrate.errors.CalibrationWarning` states it.

Multipliers mix skill with ticket mix, context and estimating habits: the
coverage and the comparison are planning aids, not rankings of people.

Examples
--------
>>> from calibrate import Calibrator, read_export
>>> from calibrate.skill_gaps import skill_gaps
>>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
>>> table = read_export(SAMPLE, config=CONFIG)
>>> result = Calibrator().fit(table).result_
>>> gaps = skill_gaps(result, table, candidates={"a typical engineer": {}})
>>> gaps.coverage.columns[:4].tolist()
['area', 'n_engineers', 'n_clearly_fast', 'clearly_fast']
>>> row = gaps.hiring.iloc[0]
>>> bool(row["with_hire_days"] <= row["team_days"])
True

On the sample everyone declared "proficient" in data-engineering: "strong"
there is borrowed from research and ml-engineering.

>>> import warnings
>>> from calibrate.io.skills import read_skills
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     skilled = Calibrator().fit(table, skills=read_skills("data/sample/skills.csv"))
...     gaps = skill_gaps(skilled, table, candidates={
...         "strong data engineer": {"data-engineering": "strong"}})
>>> assumed = gaps.hiring_by_area.set_index("area").loc["data-engineering"]
>>> assumed["assumed_level"], assumed["assumed_from"]
('strong', 'ml-engineering; research')
>>> bool(assumed["assumed_level_multiplier"] < 1)
True
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, sparse

from calibrate._distributions import normal_ppf
from calibrate._names import name_key, name_order, sorted_names
from calibrate.errors import CalibrationWarning, InputError, Problem
from calibrate.prediction import (
    UNSEEN_LEVELS,
    BorrowedLevel,
    borrowed_levels,
    unseen_levels_problems,
)
from calibrate.skills import START_DATE_KEY, SkillProfiles, _did_you_mean
from calibrate.summary import Summary

__all__ = ["AS_IS", "DEFAULT_MIN_RECENT_TICKETS", "DEFAULT_SLACK", "DEFAULT_WINDOW_WEEKS",
           "UNSEEN_LEVELS", "SkillGaps", "skill_gaps"]

#: Weeks of started tickets at the end of the history that count as recent.
DEFAULT_WINDOW_WEEKS = 26.0
#: Recent tickets an area needs for a verdict (gap or covered).
DEFAULT_MIN_RECENT_TICKETS = 10
#: How far above an equal share of the mix one engineer may take.
DEFAULT_SLACK = 0.25
#: The ``scenario`` of the team as it is, in :attr:`SkillGaps.assignments`.
AS_IS = "team as is"

_VERDICTS = ("gap", "covered", "too few recent tickets")


@dataclass(frozen=True)
class SkillGaps:
    """The team's skill coverage and, optionally, a hiring comparison.

    Made by :func:`skill_gaps`; ``summary()`` gives text (and HTML in a
    notebook).

    Attributes
    ----------
    coverage : DataFrame
        One row per fitted area (none left out), in name order:
        ``n_engineers`` (engineers of the team with tickets in the area),
        ``n_clearly_fast`` and ``clearly_fast`` (their names joined with
        ``"; "``: the team's engineers whose engineer x area multiplier
        interval at ``confidence`` is entirely below 1), ``n_recent_tickets``
        (the area's tickets started in the window, whoever worked them) and
        ``n_recent_engineers``, ``key_person`` (the engineer with most of the
        recent tickets; ties go to the first in name order),
        ``key_person_tickets``, ``key_person_share`` (their share of the
        recent tickets; NaN with none), ``gap`` (True: no one is clearly
        fast, with enough recent tickets for a verdict), ``verdict``
        (``gap``, ``covered`` or ``too few recent tickets``: under
        ``min_recent_tickets``, no verdict) and ``statement``, the sentence
        for a reader.
    team : list of str
        The engineers counted and given work, in name order.
    left_out : list of str
        Engineers of the result not in the team (by default: those without
        tickets in the window).
    window : dict
        ``weeks``, ``start``, ``end`` (Timestamps: tickets started from
        ``start`` to ``end``, the last start in the table) and ``n_tickets``.
    confidence : float
        The level of the multiplier intervals.
    min_recent_tickets : int
    hiring : DataFrame or None
        With candidates: one row per candidate, in the order given:
        ``candidate``, ``profile`` (as text), ``start_date`` (NaT: none, no
        ramp-up), ``tickets`` (in the mix), ``team_days`` (expected working
        days of the mix for the team as it is), ``with_hire_days``,
        ``saving_days``, ``saving_share`` (of ``team_days``),
        ``hire_tickets``, ``hire_share`` (of the mix's tickets) and
        ``hire_days`` (the expected days of the hire's part).
    hiring_by_area : DataFrame or None
        Per candidate and area, the same split by area: ``tickets``,
        ``team_days``, ``with_hire_days``, ``saving_days``, ``hire_tickets``,
        ``hire_share`` (of the area's tickets). A saving can be negative in
        one area: the hire frees someone who then does more of it. Where the
        candidate's level was never declared in the area and was borrowed
        (``unseen_levels="borrow"``): ``assumed_level`` (the level),
        ``assumed_level_multiplier`` (its assumed multiplier against the
        team's typical engineer there) and ``assumed_from`` (the areas it
        was borrowed from, joined with ``"; "``); None, NaN and None where
        nothing is assumed.
    assignments : DataFrame or None
        How the work is shared out in each scenario (``team as is``, then
        each candidate): ``scenario``, ``engineer`` (a hire under the
        candidate's name), ``hire``, ``area``, ``points``, ``tickets``,
        ``mean_days`` (expected working days of one such ticket for that
        engineer: the log-normal mean) and ``days`` (tickets x mean_days).
    mix : DataFrame or None
        The mix compared: ``area``, ``points``, ``count``.
    settings : dict
        ``slack``, ``capacity`` (tickets one engineer may take), ``on`` (the
        date the work is done: ramp-up is counted at it), ``mix_source``
        (``recent tickets`` or ``given``) and ``unseen_levels``.
    """

    coverage: pd.DataFrame
    team: list[str]
    left_out: list[str]
    window: dict
    confidence: float
    min_recent_tickets: int
    hiring: pd.DataFrame | None = None
    hiring_by_area: pd.DataFrame | None = None
    assignments: pd.DataFrame | None = None
    mix: pd.DataFrame | None = None
    settings: dict = field(default_factory=dict)

    @property
    def gaps(self) -> list[str]:
        """The areas where no one of the team is clearly fast (with a verdict)."""
        return self.coverage.loc[self.coverage["gap"], "area"].tolist()

    def summary(self) -> Summary:
        """The coverage table and, with candidates, the hiring comparison,
        with a sentence per area and per candidate.

        Examples
        --------
        >>> from calibrate import Calibrator, read_export
        >>> from calibrate.skill_gaps import skill_gaps
        >>> table = read_export("data/sample/jira_changelog.json",
        ...                     config="data/sample/calibrate.toml")
        >>> gaps = skill_gaps(Calibrator().fit(table).result_, table)
        >>> summary = gaps.summary()
        >>> list(summary.tables)[0].startswith("Coverage per area")
        True
        """
        window = self.window
        before = [
            f"Team: {len(self.team)} engineers"
            + (f" ({len(self.left_out)} others of the history left out: no tickets started "
               f"in the window, or not chosen)" if self.left_out else "") + ".",
            f"Recent tickets: the {window['n_tickets']} started in the last "
            f"{window['weeks']:g} weeks of the history ({_day(window['start'])} to "
            f"{_day(window['end'])}).",
            f"Clearly fast: the engineer x area multiplier's {self.confidence:.0%} interval "
            "is entirely below 1 (the team's typical engineer in the area).",
        ]
        coverage = self.coverage[["area", "n_engineers", "n_clearly_fast", "clearly_fast",
                                  "n_recent_tickets", "key_person", "key_person_share",
                                  "verdict"]]
        tables = {"Coverage per area (clearly fast engineers and key-person share of the "
                  "recent tickets)": coverage}
        after = list(self.coverage["statement"])
        if self.hiring is not None:
            settings = self.settings
            tables[f"What if we hire: expected working days of the mix "
                   f"({int(round(self.hiring['tickets'].iloc[0]))} tickets, "
                   f"{settings['mix_source']}) on {_day(settings['on'])}"] = self.hiring[
                ["candidate", "profile", "start_date", "team_days", "with_hire_days",
                 "saving_days", "saving_share", "hire_tickets", "hire_share"]]
            tables["What if we hire, per area"] = self.hiring_by_area
            after += [_hire_statement(row, self.hiring_by_area)
                      for row in self.hiring.to_dict("records")]
            after.append(
                "Expected working days are means of the predictive distributions (log-normal "
                "means, not medians), summed over the mix; the work goes to whoever is expected "
                f"to be quickest, each engineer taking at most {settings['capacity']:g} "
                f"tickets ((1 + {settings['slack']:g}) times an equal share among the team as "
                "it is).")
        after.append("Multipliers are planning aids reflecting estimates, ticket mix and "
                     "context, not a ranking of people.")
        return Summary("Skill gaps", tables, before=before, after=after)


def skill_gaps(result, tickets, *, candidates=None, start_date=None, on=None,
               mix: pd.DataFrame | None = None, slack: float = DEFAULT_SLACK,
               team: Sequence[str] | None = None,
               window_weeks: float = DEFAULT_WINDOW_WEEKS,
               min_recent_tickets: int = DEFAULT_MIN_RECENT_TICKETS,
               confidence: float | None = None, unseen_levels: str = "borrow") -> SkillGaps:
    """The team's skill coverage per area, and what hiring would change.

    Parameters
    ----------
    result : CalibrationResult or fitted Calibrator
        With or without skill profiles (candidates with a declared profile
        need them).
    tickets : TicketTable or DataFrame
        The ticket table the result was fitted on: its recent tickets give
        the key-person shares and the default mix.
    candidates : mapping, optional
        Engineers one might hire, by name: each a profile ``{area: level}``
        (an empty one: a typical engineer), optionally with a
        ``"start_date"`` key (:data:`calibrate.skills.START_DATE_KEY`, as
        in ``[skills.engineers]`` of ``calibrate.toml``); or one profile
        (named ``new hire``; ``{}``: one typical engineer); or a
        :class:`~calibrate.skills.SkillProfiles`
        (each of its engineers a candidate, with their start dates). Levels
        and areas are checked against the fit.
    start_date : date or str, optional
        The candidates' start date on the team (a candidate's own
        ``start_date`` wins). With the fit's ramp-up term, a hire is slower
        at first; None: no ramp-up (someone long on the team).
    on : date or str, optional
        When the mix is worked on: ramp-up (the candidates' and the team's)
        is counted at this date. Default: the end of the history (the
        result's ``as_of``).
    mix : DataFrame, optional
        The backlog to share out: ``area``, ``points`` and optionally
        ``count`` (tickets of that kind; default 1 per row). Default: the
        areas x points of the recent tickets.
    slack : float, default 0.25
        Each engineer takes at most ``(1 + slack)`` x the mix's tickets /
        the team's size.
    team : sequence of str, optional
        The engineers who count and take work. Default: the result's
        engineers with tickets started in the window (those who left are not
        the team).
    window_weeks : float, default 26
        Recent tickets: started in the last this many weeks of the history.
    min_recent_tickets : int, default 10
        An area with fewer recent tickets gets a note, not a verdict.
    confidence : float, optional
        The level of the multiplier intervals for "clearly fast"; default
        the result's (``result.confidence``; at 0.8 the interval is the
        reported ``p10`` to ``p90``).
    unseen_levels : {"borrow", "typical"}, default "borrow"
        A candidate's level that no engineer with tickets declared in an
        area (so the fit has no effect for it there). ``borrow``: assume it
        is worth there what it is worth elsewhere — its multiplier against
        the team's typical engineer in the areas where it was estimated,
        combined (see Notes), on top of the typical engineer's prediction in
        the area; a level estimated nowhere falls back to ``typical``.
        ``typical``: predict the candidate as the team's mix there (x1).
        Passed on to :meth:`Multipliers.predict
        <calibrate.export.Multipliers.predict>` for every cost (the team's
        too: an engineer's declared level in an area they have no tickets
        in), so the costs are what a planner gets for the same people.

    Returns
    -------
    SkillGaps

    Raises
    ------
    InputError
        Listing every problem together: a parameter out of range, a team
        member or mix area the result does not know (with the closest
        name), tickets of areas the result was not fitted on, a mix row
        that is not a ticket class, a candidate's profile or start date for
        a result fitted without skill profiles (fit with ``skills=``), a
        level or area a profile cannot use.

    Warns
    -----
    CalibrationWarning
        When a candidate declares a level no engineer with tickets declared
        in that area (a team whose data engineers all declared "proficient"
        cannot say what "strong" is worth in data engineering): saying what
        was assumed for it (with ``borrow``: the multiplier and the areas it
        comes from), or that the candidate is predicted as the team's mix
        there (``typical``, or a level estimated in no area); and when a
        start date is given but the fit has no ramp-up term (the hire is
        predicted at full speed).

    Notes
    -----
    Every ticket's cost is its expected working days — the mean of its
    log-normal predictive distribution, exp(log_mean + log_sd^2 / 2), the
    ``mean_days`` of :meth:`Multipliers.predict
    <calibrate.export.Multipliers.predict>`, not the median — so the totals
    are expected totals. A candidate is predicted as an engineer the history
    has never seen, with their declared levels: that uncertainty (how much
    engineers differ) is part of their mean days.

    "Clearly fast" is about the interval, not the size of the advantage:
    with many tickets a small real advantage qualifies, and at 0.8 an
    engineer truly at the team's typical speed is flagged about one time in
    ten. With declared levels an engineer x area record includes the level's
    effect, estimated once for everyone who declared it, so a level effect
    off by chance moves them together.

    A borrowed level. Its log multiplier against the team's typical
    engineer, o_a with variance v_a (the ``offset`` and ``var_offset`` of
    ``multipliers.skills["level_effects"]``), is taken from every area a
    where it was estimated (an area's only level is x1 by definition and
    tells nothing) and combined as in a random-effects meta-analysis
    (DerSimonian-Laird): tau^2 the spread between the areas beyond their
    standard errors, weights 1 / (v_a + tau^2), o = sum w_a o_a / sum w_a.
    The candidate's log mean in the area moves by o and its log variance
    grows by 1 / sum w_a + tau^2 (the new area is one more draw of the
    level's effect, not their average), in place of the spread of the
    team's mix of levels there. This is :meth:`Multipliers.predict
    <calibrate.export.Multipliers.predict>`'s own prediction of the
    candidate (:func:`calibrate.prediction.borrowed_levels`), whose
    ``basis`` then says ``declared level borrowed from other areas``. The
    areas' estimates are taken as independent. Against the team's typical
    engineer is what the multipliers measure; when the areas' mixes of
    levels differ, "as much faster than the typical engineer" is not "as
    much faster than the area's declared level" — the assumption is named
    as such.

    Examples
    --------
    >>> from calibrate import Calibrator, read_export
    >>> from calibrate.skill_gaps import skill_gaps
    >>> table = read_export("data/sample/jira_changelog.json",
    ...                     config="data/sample/calibrate.toml")
    >>> result = Calibrator().fit(table).result_
    >>> gaps = skill_gaps(result, table)
    >>> sorted(gaps.coverage["verdict"].unique()) <= ["covered", "gap",
    ...                                                "too few recent tickets"]
    True
    >>> skill_gaps(result, table, candidates={"Ana": {"research": "strong"}})
    Traceback (most recent call last):
    ...
    calibrate.errors.InputError: a candidate's declared profile needs a fit with skill profiles
      - column 'candidates': candidate 'Ana' declares levels (found 'research: strong')
    Fit with skills (Calibrator().fit(tickets, skills=SkillProfiles(...)), or calibrate fit \
--skills FILE); the coverage works without them, and a candidate with an empty profile is \
a typical engineer.
    """
    result = getattr(result, "result_", result)
    table = getattr(tickets, "tickets", tickets)
    level = result.confidence if confidence is None else confidence
    _check_settings(slack, window_weeks, min_recent_tickets, level, unseen_levels)
    fitted_areas = sorted_names(result.multipliers.areas["area"])
    _check_ticket_areas(table, fitted_areas)
    window, recent = _recent(table, window_weeks)
    engineers = sorted_names(result.engineer_multipliers["engineer"])
    chosen = _team(team, engineers, recent)
    coverage = _coverage(result, recent, chosen, fitted_areas, level, window_weeks,
                         min_recent_tickets)
    gaps = SkillGaps(coverage=coverage, team=chosen,
                     left_out=[e for e in engineers if e not in set(chosen)], window=window,
                     confidence=float(level), min_recent_tickets=int(min_recent_tickets))
    if candidates is None:
        return gaps
    hires = _candidates(candidates, start_date, result)
    classes, source = _mix(mix, recent, fitted_areas)
    moment = _on(on, result)
    early = sorted(h.name for h in hires if h.start_date is not None and h.start_date > moment)
    if early:
        # Not yet on the team when the work is costed: the ramp-up holds them at
        # their first week, so the comparison says little about them.
        warnings.warn(f"the work is costed on {_day(moment)}, before the start date of "
                      f"{', '.join(repr(name) for name in early)}: they are costed as in "
                      "their first week on the team; give a later on=", CalibrationWarning,
                      stacklevel=2)
    assumed = _assumed_levels(hires, result.multipliers.skills, set(fitted_areas),
                              unseen_levels)
    hiring, by_area, assignments, capacity = _compare(result, chosen, hires, classes, slack,
                                                      moment, assumed, unseen_levels)
    return SkillGaps(
        coverage=coverage, team=chosen, left_out=gaps.left_out, window=window,
        confidence=float(level), min_recent_tickets=int(min_recent_tickets),
        hiring=hiring, hiring_by_area=by_area, assignments=assignments, mix=classes,
        settings={"slack": float(slack), "capacity": capacity, "on": moment,
                  "mix_source": source, "unseen_levels": unseen_levels})


# ------------------------------------------------------------------ checks


def _check_settings(slack, window_weeks, min_recent_tickets, confidence,
                    unseen_levels) -> None:
    problems = []
    if not (_real(slack) and math.isfinite(slack) and slack >= 0):
        problems.append(Problem("slack must be a number >= 0", column="slack", value=slack,
                                expected="e.g. 0.25: 25% above an equal share"))
    if not (_real(window_weeks) and math.isfinite(window_weeks) and window_weeks > 0):
        problems.append(Problem("the window must be a number of weeks > 0",
                                column="window_weeks", value=window_weeks))
    if isinstance(min_recent_tickets, bool) or not (
            isinstance(min_recent_tickets, numbers.Integral) and min_recent_tickets >= 0):
        problems.append(Problem("min_recent_tickets must be a whole number >= 0",
                                column="min_recent_tickets", value=min_recent_tickets))
    if not (_real(confidence) and 0 < confidence < 1):
        problems.append(Problem("confidence must be between 0 and 1", column="confidence",
                                value=confidence, expected="e.g. 0.8"))
    problems += unseen_levels_problems(unseen_levels)
    if problems:
        raise InputError("invalid skill-gap settings", problems)


def _real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_ticket_areas(table: pd.DataFrame, areas: list[str]) -> None:
    """The tickets must be the fitted table's: no area the result lacks."""
    found = sorted_names(pd.unique(table["area"].dropna()))
    unknown = [a for a in found if a not in set(areas)]
    if unknown:
        raise InputError(
            f"the tickets have {len(unknown)} area{'s' if len(unknown) != 1 else ''} the "
            "result was not fitted on",
            [Problem(f"area not in the result{_did_you_mean(a, areas)}", column="area",
                     value=a) for a in unknown],
            hint="Pass the ticket table the result was fitted on.")


def _recent(table: pd.DataFrame, weeks: float) -> tuple[dict, pd.DataFrame]:
    """The window and its tickets (engineer and area as text)."""
    started = pd.to_datetime(table["started_at"])
    end = started.max()
    if pd.isna(end):
        raise InputError("the tickets have no start times: no recent window",
                         hint="Pass the ticket table the result was fitted on.")
    start = end - pd.Timedelta(weeks=weeks)
    inside = (started >= start).to_numpy()
    recent = pd.DataFrame({"engineer": table["engineer"].astype(object).to_numpy()[inside],
                           "area": table["area"].astype(object).to_numpy()[inside],
                           "points": table["points"].to_numpy(dtype=float)[inside]}).dropna()
    recent = recent.astype({"engineer": str, "area": str})
    return ({"weeks": float(weeks), "start": start, "end": end,
             "n_tickets": int(len(recent))}, recent)


def _team(team, engineers: list[str], recent: pd.DataFrame) -> list[str]:
    known = set(engineers)
    if team is None:
        chosen = [e for e in sorted_names(recent["engineer"]) if e in known]
        if not chosen:
            raise InputError("no engineer of the result has tickets in the window",
                             hint="Widen the window (window_weeks=) or name the team (team=).")
        return chosen
    names = [team] if isinstance(team, str) else list(team)
    problems = [Problem(f"engineer not in the result{_did_you_mean(str(n), known)}",
                        column="team", value=n) for n in names if str(n) not in known]
    if problems:
        raise InputError(f"the team names {len(problems)} engineer"
                         f"{'s' if len(problems) != 1 else ''} the result does not have",
                         problems, hint="Use the names of the ticket export.")
    if not names:
        raise InputError("the team is empty", hint="Name at least one engineer (team=).")
    return sorted_names(names)


# ----------------------------------------------------------------- coverage


def _coverage(result, recent: pd.DataFrame, team: list[str], areas: list[str],
              confidence: float, weeks: float, min_recent: int) -> pd.DataFrame:
    cells = result.engineer_area_multipliers
    cells = cells.assign(engineer=cells["engineer"].astype(str), area=cells["area"].astype(str))
    cells = cells[cells["engineer"].isin(set(team))]
    # The two-sided interval at `confidence` from the record's log-scale mean
    # and sd: the reported p10-p90 at the default 0.8.
    z = normal_ppf(0.5 + confidence / 2)
    upper = np.exp(cells["log_mean"].to_numpy(dtype=float)
                   + z * cells["log_sd"].to_numpy(dtype=float))
    fast = cells.loc[upper < 1]
    per_area = recent.groupby(["area", "engineer"]).size()
    rows = []
    for area in areas:
        names = sorted_names(fast.loc[fast["area"] == area, "engineer"])
        counts = per_area[area] if area in per_area.index.get_level_values(0) else pd.Series(
            dtype=int)
        n_recent = int(counts.sum())
        if n_recent:
            most = int(counts.max())
            key = min((str(e) for e, c in counts.items() if c == most), key=name_key)
        else:
            most, key = 0, None
        verdict = ("too few recent tickets" if n_recent < min_recent
                   else "covered" if names else "gap")
        rows.append({
            "area": area,
            "n_engineers": int((cells["area"] == area).sum()),
            "n_clearly_fast": len(names),
            "clearly_fast": "; ".join(names),
            "n_recent_tickets": n_recent,
            "n_recent_engineers": int(len(counts)),
            "key_person": key,
            "key_person_tickets": most,
            "key_person_share": most / n_recent if n_recent else np.nan,
            "gap": verdict == "gap",
            "verdict": verdict,
            "statement": _area_statement(area, names, verdict, key, most, n_recent, weeks,
                                         min_recent),
        })
    return pd.DataFrame(rows, columns=[
        "area", "n_engineers", "n_clearly_fast", "clearly_fast", "n_recent_tickets",
        "n_recent_engineers", "key_person", "key_person_tickets", "key_person_share", "gap",
        "verdict", "statement"])


def _area_statement(area: str, fast: list[str], verdict: str, key: str | None, most: int,
                    n_recent: int, weeks: float, min_recent: int) -> str:
    window = f"the last {weeks:g} weeks"
    if verdict == "too few recent tickets":
        return (f"Too few recent tickets in {area} to judge ({n_recent} in {window}; "
                f"{min_recent} needed).")
    if verdict == "gap":
        head = f"No one is clearly fast in {area}"
    else:
        people = "1 engineer is" if len(fast) == 1 else f"{len(fast)} engineers are"
        head = f"{people} clearly fast in {area} ({', '.join(fast)})"
    if not n_recent:
        return f"{head}; it has no recent tickets ({window})."
    return (f"{head}; {most / n_recent:.0%} of its recent tickets rest on {key} "
            f"({most} of {n_recent} in {window}).")


# ------------------------------------------------------------------ hiring


@dataclass(frozen=True)
class _Candidate:
    name: str
    profile: dict[str, str]
    start_date: pd.Timestamp | None


def _candidates(candidates, start_date, result) -> list[_Candidate]:
    """The candidates, checked together against what the fit can predict."""
    if isinstance(candidates, SkillProfiles):
        named = {e: {**candidates.profile(e),
                     **({START_DATE_KEY: candidates.start_dates[e]}
                        if e in candidates.start_dates else {})}
                 for e in candidates.engineers}
    elif isinstance(candidates, Mapping) and candidates and all(
            value is None or isinstance(value, Mapping) for value in candidates.values()):
        named = {str(name): dict(value or {}) for name, value in candidates.items()}
    elif isinstance(candidates, Mapping):
        named = {"new hire": dict(candidates)}
    else:
        raise InputError("candidates must be a mapping of name to profile, one profile or "
                         "SkillProfiles", [Problem("not a mapping", column="candidates",
                                                   value=candidates)],
                         hint='e.g. {"strong in research": {"research": "strong"}}')
    problems, hires = [], []
    default_start = _date(start_date, "start_date", problems)
    for name, entries in named.items():
        if name == AS_IS:
            problems.append(Problem(f"{AS_IS!r} names the team without a hire",
                                    column="candidates", value=name,
                                    expected="another name"))
        own = entries.pop(START_DATE_KEY, None)
        start = default_start if own is None else _date(own, f"candidates[{name!r}]",
                                                         problems)
        profile = {str(area).strip(): str(level).strip() for area, level in entries.items()}
        hires.append(_Candidate(name, profile, start))
    skills = result.multipliers.skills
    if skills is None:
        declared = [Problem(f"candidate {h.name!r} declares levels", column="candidates",
                            value=_profile_text(h.profile)) for h in hires if h.profile]
        if declared:
            raise InputError(
                "a candidate's declared profile needs a fit with skill profiles", declared,
                hint="Fit with skills (Calibrator().fit(tickets, skills=SkillProfiles(...)), "
                     "or calibrate fit --skills FILE); the coverage works without them, and a "
                     "candidate with an empty profile is a typical engineer.")
        problems += [Problem(f"candidate {h.name!r} has a start date, and the fit has no "
                             "ramp-up term (no skill profiles)", column="start_date",
                             value=_day(h.start_date)) for h in hires
                     if h.start_date is not None]
    if problems:
        raise InputError("invalid candidates", problems,
                         hint="Dates as YYYY-MM-DD; a ramp-up needs a fit with skill profiles "
                              "and start dates.")
    return hires


def _assumed_levels(hires: list[_Candidate], skills: dict | None, areas: set[str],
                    unseen_levels: str) -> dict[str, dict[str, BorrowedLevel]]:
    """Per candidate, per area where their level was never declared by an
    engineer with tickets, the borrowed effect (``unseen_levels="borrow"``
    and the level estimated elsewhere) — the one
    :meth:`Multipliers.predict <calibrate.export.Multipliers.predict>`
    applies, from :func:`~calibrate.prediction.borrowed_levels` —; the
    others are predicted as the team's mix there. Warns saying which is
    which, and about start dates without a ramp-up term. Bad levels and
    areas are the prediction's errors: they are skipped here."""
    if skills is None:
        return {}
    scale = {str(level).casefold(): str(level) for level in skills["levels"]}
    records = pd.DataFrame(skills["level_effects"], columns=["area", "level"])
    estimated = {(str(area), str(level).casefold())
                 for area, level in zip(records["area"], records["level"], strict=True)}
    borrowable = borrowed_levels(skills) if unseen_levels == "borrow" else {}
    assumed: dict[str, dict[str, BorrowedLevel]] = {}
    borrowed_by: dict[tuple[str, str], list[str]] = {}
    typical = []
    for hire in hires:
        for area, given in hire.profile.items():
            level = scale.get(given.casefold())
            if area not in areas or level is None or (area, level.casefold()) in estimated:
                continue
            effect = borrowable.get(level)
            if effect is None:
                typical.append(f"{hire.name!r}: {given} in {area}")
                continue
            assumed.setdefault(hire.name, {})[area] = effect
            borrowed_by.setdefault((level, area), []).append(hire.name)
    if borrowed_by:
        warnings.warn(
            "no engineer with tickets declared these levels in these areas, so the fit cannot "
            "value them there; assumed: " + "; ".join(
                f"{_assumption_text(borrowable[level], area)} "
                f"(candidate{'s' if len(names) > 1 else ''} "
                f"{', '.join(repr(n) for n in names)})"
                for (level, area), names in borrowed_by.items()),
            CalibrationWarning, stacklevel=3)
    if typical:
        why = ("in these areas or any other, so there is no effect to borrow, and the "
               "candidates are predicted as the team's mix there" if unseen_levels == "borrow"
               else "in these areas, so the fit has no effect for them and the candidates "
                    "are predicted as the team's mix there (unseen_levels='typical')")
        warnings.warn(f"no engineer with tickets declared these levels {why}: "
                      + ", ".join(typical), CalibrationWarning, stacklevel=3)
    if not skills.get("ramp_up") and any(h.start_date is not None for h in hires):
        warnings.warn("the fit has no ramp-up term (no start dates in the skill profiles): "
                      "the candidates are predicted at full speed from their start date",
                      CalibrationWarning, stacklevel=3)
    return assumed


def _date(value, column: str, problems: list[Problem]) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        stamp = pd.NaT
    if pd.isna(stamp):
        problems.append(Problem("not a date", column=column, value=value,
                                expected="YYYY-MM-DD"))
        return None
    return (stamp.tz_localize(None) if stamp.tzinfo is not None else stamp).normalize()


def _on(on, result) -> pd.Timestamp:
    if on is None:
        as_of = result.multipliers.window.get("as_of")
        return pd.Timestamp(as_of).normalize() if as_of else pd.Timestamp.today().normalize()
    problems: list[Problem] = []
    stamp = _date(on, "on", problems)
    if problems:
        raise InputError("invalid date for the work", problems)
    return stamp


def _mix(mix, recent: pd.DataFrame, areas: list[str]) -> tuple[pd.DataFrame, str]:
    """The mix as classes: ``area``, ``points``, ``count`` (count > 0)."""
    if mix is None:
        if recent.empty:
            raise InputError("no recent tickets to make a mix of",
                             hint="Give a mix (mix=) or widen the window (window_weeks=).")
        return _classes(recent["area"], recent["points"],
                        pd.Series(1.0, index=recent.index)), "recent tickets"
    frame = pd.DataFrame(mix)
    source = "given"
    problems = []
    missing = [c for c in ("area", "points") if c not in frame.columns]
    if missing:
        raise InputError("the mix needs area and points columns",
                         [Problem("column missing", column=c) for c in missing],
                         hint="e.g. pd.DataFrame({'area': [...], 'points': [...], "
                              "'count': [...]})")
    count = (frame["count"] if "count" in frame.columns
             else pd.Series(1.0, index=frame.index))
    points = pd.to_numeric(frame["points"], errors="coerce")
    count = pd.to_numeric(count, errors="coerce")
    known = set(areas)
    for row, (area, given_points, value, number) in enumerate(
            zip(frame["area"], frame["points"], points, count, strict=True), start=1):
        if pd.isna(area) or str(area).strip() not in known:
            problems.append(Problem(f"area not in the result{_did_you_mean(str(area), known)}",
                                    row=row, column="area", value=area))
        if not (np.isfinite(value) and value >= 0):
            problems.append(Problem("points must be a number >= 0", row=row, column="points",
                                    value=given_points))
        if not (np.isfinite(number) and number >= 0):
            problems.append(Problem("count must be a number >= 0", row=row, column="count",
                                    value=number))
    if problems:
        raise InputError(f"invalid mix ({len(problems)} problem"
                         f"{'s' if len(problems) != 1 else ''})", problems)
    classes = _classes(frame["area"].astype(str).str.strip(), points, count)
    if not classes["count"].sum() > 0:
        raise InputError("the mix has no tickets", hint="Give counts > 0.")
    return classes, source


def _classes(area: pd.Series, points: pd.Series, count: pd.Series) -> pd.DataFrame:
    """Tickets counted per area and points, in name order then points."""
    frame = pd.DataFrame({"area": area.to_numpy(dtype=object),
                          "points": points.to_numpy(dtype=float),
                          "count": count.to_numpy(dtype=float)})
    classes = frame.groupby(["area", "points"], as_index=False)["count"].sum()
    classes = classes[classes["count"] > 0]
    return classes.sort_values(["area", "points"], key=name_order).reset_index(drop=True)


def _compare(result, team: list[str], hires: list[_Candidate], classes: pd.DataFrame,
             slack: float, on: pd.Timestamp, assumed: dict[str, dict[str, BorrowedLevel]],
             unseen_levels: str):
    multipliers = result.multipliers
    n_classes, n_team = len(classes), len(team)
    area = classes["area"].to_numpy(dtype=object)
    points = classes["points"].to_numpy(dtype=float)
    counts = classes["count"].to_numpy(dtype=float)
    team_costs = multipliers.predict(
        np.repeat(np.asarray(team, dtype=object), n_classes), np.tile(area, n_team),
        np.tile(points, n_team), on=on, unseen_levels=unseen_levels,
    )["mean_days"].to_numpy().reshape(n_team, n_classes).T
    total = float(counts.sum())
    whole = bool(np.all(counts == np.round(counts)))
    capacity = (1 + slack) * total / n_team
    # Whole tickets: a whole cap keeps the program's optimum in whole tickets.
    capacity = float(math.ceil(capacity - 1e-9)) if whole else capacity
    base = _cheapest(team_costs, counts, np.full(n_team, capacity))
    hire_name = _unseen_name(multipliers)
    hire_costs, problems = [], []
    for hire in hires:
        try:
            # The planner's numbers: predict borrows a level the area never saw.
            costs = multipliers.predict(
                np.full(n_classes, hire_name, dtype=object), area, points,
                profile=hire.profile or None, start_date=hire.start_date, on=on,
                unseen_levels=unseen_levels)["mean_days"].to_numpy(dtype=float)
        except InputError as error:
            problems += [Problem(f"candidate {hire.name!r}: {p.message}", column="candidates",
                                 value=p.value, expected=p.expected) for p in error.problems]
            problems += [] if error.problems else [Problem(f"candidate {hire.name!r}: "
                                                           f"{error.summary}")]
            continue
        hire_costs.append(costs)
    if problems:
        raise InputError("invalid candidates", problems,
                         hint="Use the areas and levels of the skill profiles the result "
                              "was fitted with.")
    base_days = (base * team_costs).sum(axis=1)  # per class, summed over engineers
    scenarios = [(AS_IS, base, team_costs, team)]
    rows, area_rows = [], []
    team_total = float(base_days.sum())
    for hire, costs in zip(hires, hire_costs, strict=True):
        everyone = np.column_stack([team_costs, costs])
        plan = _cheapest(everyone, counts, np.full(n_team + 1, capacity))
        scenarios.append((hire.name, plan, everyone, [*team, hire.name]))
        days = (plan * everyone).sum(axis=1)
        hire_tickets = plan[:, -1]
        with_total = float(days.sum())
        rows.append({
            "candidate": hire.name, "profile": _profile_text(hire.profile),
            "start_date": pd.NaT if hire.start_date is None else hire.start_date,
            "tickets": total, "team_days": team_total, "with_hire_days": with_total,
            "saving_days": team_total - with_total,
            "saving_share": (team_total - with_total) / team_total,
            "hire_tickets": float(hire_tickets.sum()),
            "hire_share": float(hire_tickets.sum()) / total,
            "hire_days": float((hire_tickets * costs).sum()),
        })
        borrowed = assumed.get(hire.name, {})
        for name in sorted_names(area):
            mine = area == name
            tickets = float(counts[mine].sum())
            effect = borrowed.get(name)
            area_rows.append({
                "candidate": hire.name, "area": name, "tickets": tickets,
                "team_days": float(base_days[mine].sum()),
                "with_hire_days": float(days[mine].sum()),
                "saving_days": float(base_days[mine].sum() - days[mine].sum()),
                "hire_tickets": float(hire_tickets[mine].sum()),
                "hire_share": float(hire_tickets[mine].sum()) / tickets,
                "assumed_level": None if effect is None else effect.level,
                "assumed_level_multiplier": np.nan if effect is None
                else math.exp(effect.log_multiplier),
                "assumed_from": None if effect is None else "; ".join(effect.areas),
            })
    hiring = pd.DataFrame(rows, columns=[
        "candidate", "profile", "start_date", "tickets", "team_days", "with_hire_days",
        "saving_days", "saving_share", "hire_tickets", "hire_share", "hire_days"])
    by_area = pd.DataFrame(area_rows, columns=[
        "candidate", "area", "tickets", "team_days", "with_hire_days", "saving_days",
        "hire_tickets", "hire_share", "assumed_level", "assumed_level_multiplier",
        "assumed_from"])
    return hiring, by_area, _assignment_table(scenarios, classes, len(team)), capacity


def _assignment_table(scenarios, classes: pd.DataFrame, n_team: int) -> pd.DataFrame:
    parts = []
    for scenario, plan, costs, people in scenarios:
        k, j = np.nonzero(plan > 0)
        parts.append(pd.DataFrame({
            "scenario": scenario,
            "engineer": np.asarray(people, dtype=object)[j],
            "hire": j >= n_team,
            "area": classes["area"].to_numpy(dtype=object)[k],
            "points": classes["points"].to_numpy(dtype=float)[k],
            "tickets": plan[k, j],
            "mean_days": costs[k, j],
            "days": plan[k, j] * costs[k, j],
        }))
    table = pd.concat(parts, ignore_index=True)
    order = {name: i for i, name in enumerate(dict.fromkeys(s[0] for s in scenarios))}
    return table.sort_values(["scenario", "engineer", "area", "points"],
                             key=lambda c: c.map(order) if c.name == "scenario"
                             else name_order(c)).reset_index(drop=True)


def _cheapest(costs: np.ndarray, counts: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """The transportation program: tickets of each class (rows of ``costs``)
    to engineers (columns) at the least total cost, every ticket given out,
    engineer j taking at most ``capacity[j]``. Returns tickets per class and
    engineer."""
    n_classes, n_people = costs.shape
    size = n_classes * n_people
    index = np.arange(size)
    # x[k, j] flattened row-major: class k's row sums to its count,
    # engineer j's column sum is within their capacity.
    each_class = sparse.csr_array((np.ones(size), (index // n_people, index)),
                                  shape=(n_classes, size))
    each_person = sparse.csr_array((np.ones(size), (index % n_people, index)),
                                   shape=(n_people, size))
    solution = optimize.linprog(costs.ravel(), A_ub=each_person, b_ub=capacity,
                                A_eq=each_class, b_eq=counts, bounds=(0, None),
                                method="highs-ds")
    if solution.status != 0:  # pragma: no cover - capacity always covers the mix
        raise RuntimeError(f"sharing out the mix failed: {solution.message}")
    plan = np.clip(solution.x.reshape(n_classes, n_people), 0.0, None)
    rounded = np.round(plan)
    # A vertex of a program with whole counts and capacities is whole: clean
    # the solver's rounding noise.
    return np.where(np.abs(plan - rounded) < 1e-7, rounded, plan)


def _unseen_name(multipliers) -> str:
    """A name the records do not know: a candidate is predicted as a new person."""
    known = set(multipliers.records["engineer"].dropna().astype(str))
    name = "(candidate)"
    while name in known:
        name += "'"
    return name


# ------------------------------------------------------------------- words


def _profile_text(profile: Mapping[str, Any]) -> str:
    if not profile:
        return "typical (no declared levels)"
    return "; ".join(f"{area}: {level}" for area, level in
                     sorted(profile.items(), key=lambda item: name_key(item[0])))


def _day(value) -> str:
    return "none" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _assumption_text(effect: BorrowedLevel, area: str) -> str:
    """"strong in data-engineering ×0.80 against the team's typical engineer
    there, as in ml-engineering and research"."""
    sources = list(effect.areas)
    where = sources[0] if len(sources) == 1 else ", ".join(sources[:-1]) + " and " + sources[-1]
    return (f"{effect.level} in {area} ×{math.exp(effect.log_multiplier):.2f} against the "
            f"team's typical engineer there, as in {where}")


def _hire_statement(row: dict, by_area: pd.DataFrame | None = None) -> str:
    start = ("" if pd.isna(row["start_date"])
             else f", starting {_day(row['start_date'])}")
    saving = row["saving_days"]
    change = (f"{saving:.1f} fewer ({row['saving_share']:.0%})" if saving > 0.05
              else "no fewer")
    sentence = (f"With {row['candidate']} ({row['profile']}{start}), the mix takes "
                f"{row['with_hire_days']:.1f} expected working days instead of "
                f"{row['team_days']:.1f}: {change}; they take {row['hire_tickets']:g} of its "
                f"{row['tickets']:g} tickets ({row['hire_share']:.0%}).")
    if by_area is None or "assumed_level" not in by_area:
        return sentence
    mine = by_area[(by_area["candidate"] == row["candidate"]) & by_area["assumed_level"].notna()]
    assumed = [f"{r.assumed_level} in {r.area} ×{r.assumed_level_multiplier:.2f} (as in "
               f"{r.assumed_from.replace('; ', ', ')})" for r in mine.itertuples()]
    return sentence + (f" Assumed, never declared there: {'; '.join(assumed)}."
                       if assumed else "")

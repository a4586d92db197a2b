"""The report's "Skills and coverage" section.

Always, with or without declared skills: the team's skill coverage per area
(:func:`calibrate.skill_gaps.skill_gaps`) — who is clearly fast where, how
much of the recent work rests on one person — with the areas where no one
is clearly fast named in a verdict line. With skill profiles (a result
fitted with ``skills=``): whether the declared levels carry signal (the
level test), each level's multiplier against the team's typical engineer
per area, the declarations the tickets clearly contradict, the ramp-up of
new members, and the hiring comparison. Its candidates are, for each area
with declared levels, someone strong there and basic in the others (the top
and bottom of the scale the fit used), starting at the end of the history
and costed :data:`HIRE_WEEKS` weeks in. A candidate's level that no engineer
with tickets declared in an area is borrowed from the areas where it was
estimated (``unseen_levels="borrow"`` of the skill gaps); the section says
so, and the sentence naming the best hire states the assumption when that
hire's work rests on it.

:func:`check_skills` runs the skill gaps once, on the whole team's result
(before a large team is cut down to the engineers shown), keeping their
statistical warnings as notes; :func:`skills_section` writes the section's
sentences and table rows, and :func:`gap_finding` the summary's sentence.
The figures are drawn with the report's others
(:mod:`calibrate.report._figures`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from calibrate._names import name_key, sorted_names, too_few
from calibrate.errors import CalibrationWarning, InputError
from calibrate.report._common import Rule, joined, p_value_text
from calibrate.results import CalibrationResult
from calibrate.skill_gaps import SkillGaps, skill_gaps
from calibrate.skills import UNDECLARED
from calibrate.tickets import TicketTable

__all__ = ["HIRE_WEEKS", "QUARTER_WEEKS", "SIGNAL_LEVEL", "SkillsCheck", "check_skills",
           "gap_finding", "skills_section"]

#: Weeks after their start a candidate's work is costed: half a year in, when
#: the ramp-up still counts (a new member is typically slower) but no longer
#: dominates — a lead hires for the year, not for the first weeks.
HIRE_WEEKS = 26
#: A quarter of a year, in weeks: savings are given per quarter.
QUARTER_WEEKS = 13
#: The level test's p-value under which the declared levels "carry signal".
SIGNAL_LEVEL = 0.05
#: A candidate saving less than this many working days a quarter saves nothing worth naming.
LEAST_SAVING_DAYS = 0.5


@dataclass(frozen=True)
class SkillsCheck:
    """The skill gaps of the whole team, and what the section needs to say about them.

    ``gaps`` is None when they could not be computed (``failure`` says
    why); ``declared`` is whether the result was fitted with declared levels;
    ``candidates`` the hiring comparison's profiles by name (empty without
    declared levels), ``start`` their start date and ``on`` the date their
    work is costed (None without a ramp-up term: the end of the history);
    ``default_areas`` the areas holding only tickets no area rule classified
    (not a skill); ``notes`` the statistical warnings of the skill gaps.
    """

    gaps: SkillGaps | None
    declared: bool
    candidates: dict[str, dict[str, str]] = field(default_factory=dict)
    start: pd.Timestamp | None = None
    on: pd.Timestamp | None = None
    default_areas: list[str] = field(default_factory=list)
    failure: str | None = None
    notes: list[str] = field(default_factory=list)


def check_skills(table: TicketTable, result: CalibrationResult) -> SkillsCheck:
    """The coverage of ``result``'s team and, with declared levels, the
    hiring comparison, with the warnings they gave as notes.

    A hiring comparison that cannot run is a note, and the coverage is
    computed without it; coverage that cannot be computed (no recent
    tickets, say) is the check's ``failure``.

    Examples
    --------
    >>> from calibrate import Calibrator, read_export
    >>> from calibrate.report._skills import check_skills
    >>> table = read_export("data/sample/jira_changelog.json",
    ...                     config="data/sample/calibrate.toml")
    >>> check = check_skills(table, Calibrator().fit(table).result_)
    >>> check.declared, check.candidates, check.gaps.hiring
    (False, {}, None)
    """
    effects = result.level_effects
    declared = effects is not None and len(effects) > 0
    candidates = _candidates(result) if declared else {}
    start = on = None
    if candidates and result.ramp_up is not None:
        window = result.multipliers.window
        start = pd.Timestamp(window["as_of"] or window["last_finish"]).normalize()
        on = start + pd.Timedelta(weeks=HIRE_WEEKS)
    gaps, failure, notes = None, None, []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CalibrationWarning)
        if candidates:
            try:
                gaps = skill_gaps(result, table, candidates=candidates, start_date=start, on=on)
            except InputError as error:
                notes.append(f"Hiring comparison not shown: {error.summary}")
        if gaps is None:
            try:
                gaps = skill_gaps(result, table)
            except InputError as error:
                failure = error.summary
    for warning in caught:
        if issubclass(warning.category, CalibrationWarning):
            text = str(warning.message)
            notes.append(text[:1].upper() + text[1:])
        else:  # not the section's to keep
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)
    return SkillsCheck(gaps=gaps, declared=declared,
                       candidates=candidates if gaps is not None and gaps.hiring is not None
                       else {},
                       start=start, on=on, default_areas=_default_areas(table),
                       failure=failure, notes=list(dict.fromkeys(notes)))


def _candidates(result: CalibrationResult) -> dict[str, dict[str, str]]:
    """Per area with declared levels: strong there, basic in the others (the
    top and bottom of the fit's scale)."""
    scale = result.multipliers.skills["levels"]
    areas = sorted_names(result.level_effects["area"])
    return {f"{scale[-1]} in {area}": {other: scale[-1] if other == area else scale[0]
                                       for other in areas}
            for area in areas}


def _default_areas(table: TicketTable) -> list[str]:
    """Areas whose every ticket fell in them because no area rule matched."""
    tickets = table.tickets
    if "area_source" not in tickets or not len(tickets):
        return []
    source = tickets["area_source"].astype(object).eq("default")
    by_area = source.groupby(tickets["area"].astype(str).to_numpy()).all()
    return sorted_names(by_area.index[by_area.to_numpy(dtype=bool)])


def skill_gap_areas(check: SkillsCheck) -> list[str]:
    """The gap areas that are skills (the default area left out)."""
    if check.gaps is None:
        return []
    return [area for area in check.gaps.gaps if area not in set(check.default_areas)]


def gap_finding(check: SkillsCheck, rule: Rule) -> str | None:
    """The summary's sentence on the team's skill gaps (None without one).

    Examples
    --------
    >>> from calibrate import Calibrator, read_export
    >>> from calibrate.report._common import Rule
    >>> from calibrate.report._skills import check_skills, gap_finding
    >>> table = read_export("data/sample/jira_changelog.json",
    ...                     config="data/sample/calibrate.toml")
    >>> result = Calibrator().fit(table).result_
    >>> finding = gap_finding(check_skills(table, result), Rule.of(result))
    >>> finding.startswith("Skill gap: no one on the team is clearly faster than the team's "
    ...                    "typical engineer in data-engineering")
    True
    """
    areas = skill_gap_areas(check)
    if not areas:
        return None
    plural = "s" if len(areas) > 1 else ""
    sentence = (f"Skill gap{plural}: no one on the team is clearly faster than the team's "
                f"typical engineer in {joined(areas)} (see Skills and coverage).")
    # On the summary's page only a saving worth naming.
    best = _best_hire(check, rule, savings_only=True)
    return sentence + (f" {best}" if best else "")


def skills_section(check: SkillsCheck, result: CalibrationResult, rule: Rule, *,
                   min_tickets: int, engineers: list[str]) -> dict:
    """The section's sentences and rows (every number as text).

    Coverage, always: ``verdict`` (the gap areas named), ``default_note``
    (the default area is not a skill), ``coverage`` (a sentence per area),
    ``failure`` (why there is no coverage, if there is none). Hiring, with
    declared levels: ``hiring_intro`` (the candidates and how they are
    costed) and ``hiring`` (which saves most, and caveats). Declared levels
    (``declared``): ``level_test``, ``level_rows`` (area, level, multiplier
    against the team's typical engineer with its 90% range, engineers and
    tickets), ``level_notes``, ``contradicted_intro`` and ``contradicted``
    (of the shown ``engineers``, on at least ``min_tickets`` finished
    tickets). ``ramp``: the ramp-up in words, with skill profiles (None
    without). ``notes``: the skill gaps' warnings.
    """
    section = {"declared": check.declared, "failure": check.failure,
               "notes": check.notes, "verdict": None, "default_note": None, "coverage": [],
               "hiring_intro": None, "hiring": []}
    if check.gaps is not None:
        section.update(_coverage(check))
        section.update(_hiring(check, result, rule))
    if check.declared:
        section.update(level_test=_level_test(result), level_rows=_level_rows(result),
                       level_notes=_level_notes(result),
                       **_contradicted(result, min_tickets, engineers))
    # Start dates alone (no levels) still give a ramp-up.
    section["ramp"] = None if result.multipliers.skills is None else _ramp(result)
    return section


# ------------------------------------------------------------------ coverage


def _coverage(check: SkillsCheck) -> dict:
    gaps = check.gaps
    areas = skill_gap_areas(check)
    judged = gaps.coverage[~gaps.coverage["area"].isin(set(check.default_areas))]
    few = list(judged.loc[judged["verdict"] == "too few recent tickets", "area"])
    covered = list(judged.loc[judged["verdict"] == "covered", "area"])
    if len(areas) == 1:
        verdict = (f"Skill gap: {areas[0]}. No one on the team is clearly faster there than "
                   "the team's typical engineer.")
    elif areas:
        verdict = (f"Skill gaps: {joined(areas)}. In each, no one on the team is clearly "
                   "faster than the team's typical engineer.")
    elif covered and not few:
        verdict = ("No skill gap: in every area with enough recent tickets to judge, at least "
                   "one engineer is clearly faster than the team's typical engineer.")
    elif covered:
        # Only some areas could be judged (a real history: one of ten): name them,
        # rather than claim "every area".
        verdict = (f"No skill gap in {joined(covered)}, the "
                   f"{'only area' if len(covered) == 1 else 'areas'} with enough recent "
                   "tickets to judge: at least one engineer is clearly faster there than the "
                   "team's typical engineer.")
    else:
        # Nothing judged (e.g. every ticket in the default area): no verdict to give.
        verdict = "No area can be judged for skill gaps."
    if few:
        verdict += f" Too few recent tickets to judge {joined(few)}."
    default = [area for area in check.default_areas if area in set(gaps.coverage["area"])]
    default_note = None
    if default:
        which = "holds" if len(default) == 1 else "hold"
        default_note = (f"{joined(default)} {which} the tickets no area rule classified: not "
                        "a skill, so left out of the verdict (classify them to tell).")
    window = gaps.window
    intro = (f"Clearly fast: the engineer × area multiplier's {gaps.confidence:.0%} range is "
             "entirely below 1, the team's typical engineer in the area. Recent tickets: "
             f"the {window['n_tickets']} started in the last {window['weeks']:g} weeks of the "
             f"history, by {len(gaps.team)} engineers (the team counted here).")
    return {"verdict": verdict, "default_note": default_note, "coverage_intro": intro,
            "coverage": list(gaps.coverage["statement"])}


# ------------------------------------------------------------------- hiring


def _days_word(rule: Rule) -> str:
    return "working days of lead time" if rule.lead else "working days"


def _share_text(share: float) -> str:
    # A saving of 0.4% is not "0%".
    return f"{share:.1%}" if abs(share) < 0.1 else f"{share:.0%}"


def _per_quarter(check: SkillsCheck) -> float:
    """Quarters' worth of work in the recent mix, inverted: savings on the
    mix times this are savings a quarter."""
    return QUARTER_WEEKS / float(check.gaps.window["weeks"])


def _best_hire(check: SkillsCheck, rule: Rule, *, savings_only: bool = False) -> str | None:
    """Which candidate saves most, against the others; None without a
    comparison (or, ``savings_only``, when none saves half a day a quarter)."""
    hiring = None if check.gaps is None else check.gaps.hiring
    if hiring is None or not len(hiring):
        return None
    order = np.argsort(-hiring["saving_days"].to_numpy(dtype=float), kind="stable")
    ranked = hiring.iloc[order]
    best = ranked.iloc[0]
    quarter = float(best["saving_days"]) * _per_quarter(check)
    if quarter < LEAST_SAVING_DAYS:
        if savings_only:
            return None
        return (f"No candidate would save as much as half a working day a quarter on the "
                f"recent mix (the most: someone {best['candidate']}, "
                f"{max(quarter, 0):.1f} {_days_word(rule)}).")
    amount = f"{quarter:.0f}" if quarter >= 10 else f"{quarter:.1f}"
    sentence = (f"Hiring someone {best['candidate']} would save about {amount} "
                f"{_days_word(rule)} a quarter on the recent mix "
                f"({_share_text(best['saving_share'])})")
    others = [f"{row.candidate} ({_share_text(row.saving_share)})"
              for row in ranked.iloc[1:].itertuples()]
    if others:
        listed = others[0] if len(others) == 1 else ", ".join(others[:-1]) + " or " + others[-1]
        sentence += f", more than {listed}"
    # The saving rests on an assumed level where the hire takes work.
    assumed = [_assuming(row) for row in _assumed(check, best["candidate"]).itertuples()
               if row.hire_tickets > 0]
    if assumed:
        sentence += ", assuming " + joined(assumed)
    return sentence + "."


def _assumed(check: SkillsCheck, candidate: str | None = None) -> pd.DataFrame:
    """The rows of the comparison per area with a borrowed level (of one
    candidate, or all), in the table's order."""
    by_area = check.gaps.hiring_by_area
    if by_area is None or "assumed_level" not in by_area:
        return pd.DataFrame(columns=["candidate", "area", "hire_tickets", "assumed_level",
                                     "assumed_level_multiplier", "assumed_from"])
    rows = by_area[by_area["assumed_level"].notna()]
    return rows if candidate is None else rows[rows["candidate"] == candidate]


def _sources(row) -> str:
    return joined(str(row.assumed_from).split("; "))


def _assuming(row) -> str:
    """"someone strong in data-engineering is as much faster than the team's
    typical engineer there as strong engineers are in ml-engineering and
    research (×0.80)"."""
    multiplier = float(row.assumed_level_multiplier)
    if f"{multiplier:.2f}" == "1.00":
        how = "as fast as the team's typical engineer there, as"
    else:
        how = (f"as much {'faster' if multiplier < 1 else 'slower'} than the team's typical "
               "engineer there as")
    return (f"someone {row.assumed_level} in {row.area} is {how} {row.assumed_level} "
            f"engineers are in {_sources(row)} (×{multiplier:.2f})")


def _hiring(check: SkillsCheck, result: CalibrationResult, rule: Rule) -> dict:
    gaps = check.gaps
    if gaps.hiring is None or not check.candidates:
        return {}
    scale = result.multipliers.skills["levels"]
    top, bottom = scale[-1], scale[0]
    if check.start is not None:
        slowdown = float(result.ramp_up_curve([HIRE_WEEKS])["multiplier"].iloc[0])
        when = (f"starting at the end of the history ({check.start:%Y-%m-%d}) and costed "
                f"{HIRE_WEEKS} weeks in ({check.on:%Y-%m-%d}), when the ramp-up still slows a "
                f"new member (×{slowdown:.2f}) but no longer dominates")
    else:
        when = ("costed at full speed: the fit has no ramp-up term (no start dates in the "
                "skill profiles)")
    settings = gaps.settings
    window = gaps.window
    intro = (f"The candidates: for each area with declared levels, someone {top} there "
             f"and {bottom} in the others (the top and bottom of the scale "
             f"{' < '.join(scale)}), {when}. Each is compared with the team as it is on the "
             f"mix of the {window['n_tickets']} tickets started in the last "
             f"{window['weeks']:g} weeks (about {window['n_tickets'] * _per_quarter(check):.0f} "
             f"a quarter), the work going to whoever is expected to be quickest, each engineer "
             f"taking at most {settings['capacity']:g} of its tickets.")
    sentences = [_best_hire(check, rule)]
    # Each borrowed level once, with the candidates it costs.
    assumed = _assumed(check)
    for (level, area), rows in assumed.groupby(["assumed_level", "area"], sort=False):
        row = next(rows.itertuples())
        names = joined([f"someone {name}" for name in rows["candidate"]])
        sentences.append(
            f"No engineer with tickets declared {level} in {area}, so the fit cannot say what "
            f"{level} is worth there. It is assumed to be worth what it is in {_sources(row)}: "
            f"×{row.assumed_level_multiplier:.2f} against the team's typical engineer, with "
            f"the uncertainty of that estimate ({names}).")
    borrowed = set(zip(assumed["assumed_level"], assumed["area"], strict=True))
    estimated = {(str(area), str(level).casefold())
                 for area, level in zip(result.level_effects["area"],
                                        result.level_effects["level"], strict=True)}
    for name, profile in check.candidates.items():
        area = next(a for a, level in profile.items() if level == top)
        if (area, top.casefold()) not in estimated and (top, area) not in borrowed:
            sentences.append(
                f"No engineer with tickets declared {top} in {area}, or in any other area, so "
                f"the fit cannot say what {top} is worth there: someone {name} is costed as "
                f"the team's typical engineer in {area}.")
    return {"hiring_intro": intro, "hiring": sentences}


# ----------------------------------------------------------- declared levels


def _level_test(result: CalibrationResult) -> str:
    test = result.level_test
    if test is None:
        return ("No declared level's effect can be estimated: in every area, the engineers "
                "with tickets there declared the same level.")
    detail = (f"Wald test that every declared level's effect is zero, χ² = "
              f"{test['statistic']:.1f} on {test['df']} degree{'s' if test['df'] != 1 else ''} "
              f"of freedom, {p_value_text(test['p_value'])}")
    if test["p_value"] < SIGNAL_LEVEL:
        return ("The declared levels carry signal: tickets differ by declared level more than "
                f"chance explains ({detail}).")
    return ("The declared levels carry no clear signal: tickets do not differ by declared "
            f"level more than chance would explain ({detail}), so a profile moves a "
            "prediction little from the team's typical engineer.")


def _level_text(level: str) -> str:
    return "no level declared" if level == UNDECLARED else level


def _level_rows(result: CalibrationResult) -> list[dict]:
    """Per area and level: its multiplier against the team's typical
    engineer in the area, with the 90% range of that multiplier."""
    skills = result.multipliers.skills
    records = pd.DataFrame(skills["level_effects"])
    # The level's offset from the team's typical engineer and its variance.
    spread = records.set_index(["area", "level"])["var_offset"]
    z = stats.norm.ppf(0.95)
    rank = {level: k for k, level in enumerate(skills["levels"])}
    effects = result.level_effects
    rows = []
    for row in sorted(effects.itertuples(), key=lambda r: (
            name_key(r.area), rank.get(r.level, len(rank)))):
        half = z * np.sqrt(max(float(spread[(row.area, row.level)]), 0.0))
        middle = np.log(row.team_multiplier)
        # An area's only level is its typical engineer: ×1 exactly, no range.
        interval = (f"×{np.exp(middle - half):.2f}–×{np.exp(middle + half):.2f}" if half > 1e-9
                    else "—")
        rows.append({"area": row.area, "level": _level_text(row.level),
                     "multiplier": f"×{row.team_multiplier:.2f}", "range": interval,
                     "engineers": int(row.n_engineers), "tickets": int(row.n_finished)})
    return rows


def _level_notes(result: CalibrationResult) -> list[str]:
    """Areas whose engineers all declared one level: levels not told apart there."""
    effects = result.level_effects
    declared = effects[effects["level"] != UNDECLARED]
    notes = []
    for area, levels in declared.groupby("area", sort=False)["level"]:
        if levels.nunique() == 1:
            notes.append(f"In {area} every engineer with tickets declared the same level "
                         f"({levels.iloc[0]}): the tickets cannot tell the levels apart there.")
    return sorted(notes, key=name_key)


def _contradicted(result: CalibrationResult, min_tickets: int,
                  engineers: list[str]) -> dict:
    table = result.declared_vs_measured
    table = table[table["engineer"].astype(str).isin(set(engineers))]
    judged = table[~too_few(table["n_finished"].to_numpy(dtype=float), min_tickets)]
    flagged = judged[judged["verdict"] != "consistent"]
    items = []
    for row in flagged.itertuples():
        text = (f"{row.engineer} in {row.area}: declared {_level_text(row.declared)}, which "
                f"predicts ×{row.declared_multiplier:.2f}; the tickets read "
                f"×{row.measured:.2f} (90% range ×{row.measured_low:.2f}–"
                f"×{row.measured_high:.2f}): {row.verdict}")
        if pd.notna(row.closest_level) and row.closest_level != row.declared:
            text += f", closest to {row.closest_level}"
        items.append(text + ".")
    unjudged = len(table) - len(judged)
    rest = (f" {unjudged} declaration{'s' if unjudged != 1 else ''} on fewer than "
            f"{min_tickets} finished tickets {'are' if unjudged != 1 else 'is'} not judged."
            if unjudged else "")
    if items:
        intro = (f"The tickets clearly contradict {len(items)} of {len(judged)} declarations "
                 "(their 90% range excludes what the declared level predicts; about 1 in 10 "
                 f"honest declarations is flagged by chance).{rest}")
    else:
        intro = (f"The tickets clearly contradict none of the {len(judged)} declarations with "
                 f"at least {min_tickets} finished tickets.{rest}")
    return {"contradicted_intro": intro, "contradicted": items}


def _ramp(result: CalibrationResult) -> str:
    ramp = result.ramp_up
    if ramp is None:
        return ("No ramp-up is fitted: that needs start dates in the skill profiles for "
                "engineers with tickets.")
    statement = ramp["statement"]
    return (f"{statement[0].upper()}{statement[1:]} (from {ramp['n_tickets']} tickets of "
            f"{ramp['n_engineers']} engineers in their first weeks on the team).")

"""The report's summary: its sentences, with their numbers, and the table of
verdicts (or of typical lead times) beside them.

Every sentence is written here, so the template only lays them out (and
escapes them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from calibrate._names import name_order
from calibrate.backtest import BacktestResult
from calibrate.report._common import (
    LIKELY_ABANDONED,
    Rule,
    days_text,
    joined,
    p_value_text,
    percent_text,
    points_text,
    ratio_text,
)
from calibrate.results import CalibrationResult
from calibrate.tickets import TicketTable

__all__ = ["SUMMARY_ROWS", "backtest_sentences", "clock_sentences", "elasticity_sentences",
           "model_sentences", "summary_section"]


#: Rows of the verdicts (or typical lead times) table on the summary's page:
#: with the sentences, about as many as fit one A4 page. A larger team's are
#: the combinations most at risk, with a pointer to the full table.
SUMMARY_ROWS = 12


def summary_section(table: TicketTable, result: CalibrationResult, rule: Rule, *,
                    backtest_result: BacktestResult | None, min_tickets: int,
                    team_size: int, backtest_failure: str | None = None,
                    skill_gap_finding: str | None = None) -> dict:
    """The summary's sentences and its table.

    The summary is one page a lead can read alone: ``verdict`` (the clock
    the durations measure, then where the team's rule breaks — or the
    typical lead time when no cap judges it), ``findings`` (the rest of what
    the report found), ``backtest_sentence`` (how the forecasts held up, in
    one sentence) and ``summary_rows``: the first :data:`SUMMARY_ROWS` rows
    of the table, with ``summary_rows_note`` saying which they are when the
    table has more. ``summary`` is every sentence, in that order.

    The table is ``breaks`` (the verdict and recommended size per engineer x
    area, worst first) or, when no cap judges lead time, ``typical`` (the
    typical lead time per engineer x area, alphabetically; on the summary's
    page the slowest first).

    ``result`` holds the engineers shown; ``team_size`` is how many the team has;
    ``backtest_failure`` says why the backtest could not run, if it could not;
    ``skill_gap_finding``, the areas where no one is clearly fast (and the
    hire that would save most), is one of the findings.
    """
    cells = _cells_at_reference(result, rule, min_tickets)
    shown = cells[cells["enough"]]
    verdicts = rule.verdict_cap is not None
    if verdicts:
        shown = shown.sort_values("p_over", ascending=False)
    else:
        shown = shown.sort_values(["engineer", "area"], key=name_order)
    verdict = clock_sentences(table.tickets, rule.clock, table.source_format, rule.cap,
                              rule.verdict_cap)
    if verdicts:
        verdict += _verdict_sentences(shown, rule)
    else:
        verdict.append(_typical_sentence(result, rule))
    findings = elasticity_sentences(result.elasticity, rule.reference, rule.clock)
    one_area = _default_area_sentence(table)
    if one_area:
        findings.insert(0, one_area)
    if verdicts:
        smaller = shown[shown["recommended_points"] < rule.reference]
        larger = shown[shown["recommended_points"] > rule.reference]
        findings.append(
            f"Recommended ticket sizes (largest points that fit {rule.cap_days_text} with "
            f"{rule.confidence:.0%} confidence): {len(smaller)} combinations should get tickets "
            f"smaller than {rule.reference:g} points, {len(larger)} can take larger ones; "
            "see the table below.")
    if skill_gap_finding:
        findings.append(skill_gap_finding)
    if backtest_result is not None:
        backtest = backtest_sentences(backtest_result) or [
            "The backtest scored no tickets of the calibrated model."]
    else:
        why = (f"it could not run ({backtest_failure})" if backtest_failure else
               "it was not asked for (--no-backtest)")
        backtest = [f"No backtest in this report: {why}, so its forecasts were not checked "
                    "against tickets that finished later."]
    rest = model_sentences(result)
    n_shown = len(result.engineer_multipliers)
    if team_size > n_shown:
        rest.append(
            f"The team has {team_size} engineers; this report shows the {n_shown} with the "
            "most finished tickets. Every engineer is in multipliers.csv and multipliers.json.")
    suppressed = int((~cells["enough"]).sum())
    if suppressed:
        rest.append(
            f"{suppressed} engineer × area "
            + ("combination has" if suppressed == 1 else "combinations have")
            + f" fewer than {min_tickets} finished tickets: their numbers are not shown "
            "(\"too few tickets\").")
    rows = _breaks_rows(shown, rule) if verdicts else _typical_rows(shown)
    # The summary's page shows the combinations most at risk: worst first
    # already for verdicts, the slowest typical lead times otherwise.
    ranked = rows if verdicts else _typical_rows(
        shown.sort_values("median_days", ascending=False, kind="stable"))
    note = ""
    if len(rows) > SUMMARY_ROWS:
        which = "most likely to overrun" if verdicts else "with the longest typical lead time"
        note = (f"The {SUMMARY_ROWS} of {len(rows)} engineer × area combinations {which}; "
                f"all {len(rows)} are in the table under Tables.")
    return {"summary": verdict + findings + backtest + rest,
            "verdict": verdict, "findings": findings + backtest[1:] + rest,
            "backtest_sentence": backtest[0],
            "breaks": rows if verdicts else [], "typical": [] if verdicts else rows,
            "summary_rows": ranked[:SUMMARY_ROWS], "summary_rows_note": note}


def _default_area_sentence(table: TicketTable) -> str | None:
    """When every ticket is in the default area: that sentence, pointing to
    ``calibrate init`` (the reading's note, as a sentence)."""
    from calibrate.areas import default_area_note

    tickets = table.tickets
    if "area_source" not in tickets or not len(tickets):
        return None
    note = default_area_note(tickets["area_source"], str(tickets["area"].iloc[0]))
    return None if note is None else note[0].upper() + note[1:] + "."


def _cells_at_reference(result: CalibrationResult, rule: Rule, min_tickets: int) -> pd.DataFrame:
    """Per engineer x area: the predicted days of a reference-size ticket,
    whether it rests on ``min_tickets`` finished tickets (``enough``), and,
    when verdicts are given, the recommended size and P(over the cap)."""
    cells = result.engineer_area_multipliers[["engineer", "area", "n_finished", "n_open"]]
    prediction = result.predict(cells["engineer"], cells["area"],
                                np.full(len(cells), rule.reference))
    cells = cells.assign(
        median_days=prediction["p50_days"].to_numpy(),
        p10_days=prediction["p10_days"].to_numpy(),
        p90_days=prediction["p90_days"].to_numpy(),
        enough=cells["n_finished"] >= min_tickets,
    )
    if rule.verdict_cap is None:
        return cells
    sizes = result.recommended_sizes(cap_days=rule.verdict_cap)
    return cells.assign(
        recommended_points=sizes["recommended_points"].to_numpy(),
        # P(a reference-size ticket takes longer than the cap).
        p_over=1 - sizes["p_reference_within_cap"].to_numpy(),
    )


def _verdict_sentences(shown: pd.DataFrame, rule: Rule) -> list[str]:
    """Where the rule fails (worst first in ``shown``) and where it holds."""
    reference, confidence = rule.reference, rule.confidence
    breaking = shown[shown["p_over"] > 1 - confidence]
    holding = shown[shown["p_over"] <= 1 - confidence]
    if rule.lead:
        statement = (f"Against the lead-time cap, a {reference:g}-point ticket should be done "
                     f"within {rule.verdict_cap:g} working days of its creation.")
    else:
        statement = (f"The team assumes a {reference:g}-point ticket takes at most "
                     f"{rule.verdict_cap:g} working days.")
    if not len(breaking):
        return [f"{statement} That holds at {confidence:.0%} confidence for every engineer × "
                "area combination with enough tickets."]
    worst = breaking.iloc[0]
    sentences = [
        f"{statement} That fails more often than {1 - confidence:.0%} of the time for "
        f"{len(breaking)} of {len(shown)} engineer × area combinations. The worst: "
        f"{worst['engineer']} on {worst['area']}, where a {reference:g}-point ticket "
        f"takes longer than {rule.cap_days_text} {percent_text(worst['p_over'])} of the time "
        f"(typically {days_text(worst['median_days'])} days)."]
    if len(holding):
        sentences.append(f"It holds for the other {len(holding)} combinations.")
    return sentences


def _typical_sentence(result: CalibrationResult, rule: Rule) -> str:
    """The typical engineer's lead time of a reference-size ticket, per area."""
    newcomer = result.predict(_unseen(result), result.multipliers.areas["area"], rule.reference)
    typical = joined([
        f"{days_text(row.p50_days)} working days"
        + ("" if len(newcomer) == 1 else f" in {row.area}")
        + f" (80% of such tickets: {days_text(row.p10_days)}–{days_text(row.p90_days)} days)"
        for row in newcomer.itertuples()])
    return (f"From creation to done, a {rule.reference:g}-point ticket of a typical engineer "
            f"takes {typical}; the table below gives each engineer × area.")


def _breaks_rows(shown: pd.DataFrame, rule: Rule) -> list[dict]:
    return [
        {
            "engineer": row.engineer, "area": row.area,
            "p_over": percent_text(row.p_over),
            "median_days": days_text(row.median_days),
            "recommended": points_text(row.recommended_points),
            "tickets": int(row.n_finished), "open": int(row.n_open),
            "breaks": bool(row.p_over > 1 - rule.confidence),
        }
        for row in shown.itertuples()
    ]


def _typical_rows(shown: pd.DataFrame) -> list[dict]:
    return [
        {
            "engineer": row.engineer, "area": row.area,
            "median_days": days_text(row.median_days),
            "range": f"{days_text(row.p10_days)}–{days_text(row.p90_days)}",
            "tickets": int(row.n_finished), "open": int(row.n_open),
        }
        for row in shown.itertuples()
    ]


#: Why an export has no start of work, by reader. A ``github_json`` or
#: ``gitlab_json`` file may come from `calibrate pull`, whose issues carry
#: their history: there no move to an in-progress name was found.
_NO_START_OF_WORK = {
    "gitlab_csv": "GitLab's issues CSV records no start of work (the history of workflow:: "
                  "labels is not in it)",
    "jira_csv": "Jira's CSV export has no status history, so it records no start of work",
    "github_json": "no issue shows a start of work: GitHub's issues list records none, and in "
                   "a file from `calibrate pull github` no issue's timeline moves it to an "
                   "in-progress label, project column or status (name the team's with "
                   "--in-progress, or in calibrate.toml's [statuses] in_progress)",
    "gitlab_json": "no issue's label events add an in-progress label (name the team's workflow "
                   "labels in calibrate.toml's [statuses] in_progress)",
    "generic_csv": "the export maps no started_at column",
}

#: What gives cycle time today.
CYCLE_TIME_SOURCES = (
    "For work time (cycle time: start of work to done), read an export that records the "
    "start of work: Jira's REST search saved with expand=changelog (--format jira_json), "
    "Linear's CSV export (its Started column), or any CSV with a started_at column mapped in "
    "calibrate.toml's [columns] (--format generic_csv); or download the history with "
    "`calibrate pull` from Jira, GitLab, Linear or GitHub (calibrate pull SOURCE --out "
    "history.json), which keeps each issue's status or label changes.")

LEAD_CAP_HOW = ("set a lead-time cap: lead_cap_days in calibrate.toml's [model] section, or "
                "--lead-cap-days")


def clock_sentences(tickets: pd.DataFrame, clock: str, source_format: str, cap: float,
                    lead_cap: float | None) -> list[str]:
    """The summary's opening when durations are lead time (none for cycle time).

    ``clock`` is the fit's (``cycle``, ``lead`` or ``mixed``). Mixed
    durations are treated as lead time: the model does not tell the two
    clocks apart, so every number mixes them.
    """
    if clock not in ("lead", "mixed"):
        return []
    how = CYCLE_TIME_SOURCES
    if source_format == "jira_csv":
        how += (" A Jira CSV can also name a field that holds the start of work in "
                "[statuses] start_column.")
    if clock == "lead":
        why = _NO_START_OF_WORK.get(source_format,
                                    "the export records no start of work")
        opening = (f"Every duration in this report is lead time — working days from a "
                   f"ticket's creation to done, waiting in the backlog included — because "
                   f"{why}. {how}")
    else:
        kinds = tickets["clock"].astype(str).value_counts()
        n_lead, n_all = int(kinds.get("lead", 0)), int(kinds.sum())
        opening = (f"{n_lead} of {n_all} tickets ({n_lead / max(n_all, 1):.0%}) are measured "
                   "in lead time — working days from creation to done, waiting in the backlog "
                   "included — because the export records no start of work for them; the "
                   "others in cycle time (start of work to done). The model does not tell the "
                   "two apart, so every number here mixes them and is read as lead time. "
                   f"{how} Or keep only the cycle-time tickets: `calibrate ingest`, delete the "
                   "rows whose clock is lead, and run `calibrate report` on that table.")
    if lead_cap is None:
        verdict = (f"Lead time is not work time, so no ticket is judged against the team's "
                   f"cap of {cap:g} working days: this report gives no overrun verdicts and no "
                   f"recommended sizes. To judge lead time, {LEAD_CAP_HOW}.")
    else:
        verdict = (f"Lead time is not work time, so verdicts below are against the lead-time "
                   f"cap you set — {lead_cap:g} working days from creation to done "
                   f"(lead_cap_days) — not against the team's work cap of {cap:g} days.")
    return [opening, verdict]


def elasticity_sentences(elasticity: pd.DataFrame, reference: float,
                         clock: str = "cycle") -> list[str]:
    """How durations grow with points, in words, from each area's estimate,
    its 90% interval and the test of proportional growth (elasticity 1).

    An area's elasticity is "below 1" or "above 1" only when its whole
    interval is; otherwise it is not distinguishable from proportional.
    Areas in the same case share a sentence; a shared elasticity is one.
    """
    subject = {"lead": "Lead times", "mixed": "Durations"}.get(clock, "Working days")
    low, high = (1.0, reference) if reference > 1 else (reference, 2 * reference)
    proportional = high / low
    pair = f"a {high:g}-point ticket takes"
    against = f"as long as a {low:g}-point ticket"
    if bool(elasticity["assumed"].any()):
        return [f"Every ticket has the same points, so how {subject.lower()} grow with points "
                "cannot be estimated: predictions for other sizes assume proportional growth "
                "(elasticity 1), which is an assumption, not a finding."]
    shared = bool(elasticity["shared"].all()) and len(elasticity) > 1
    rows = elasticity.iloc[:1].assign(pooled=1) if shared else _pooled_once(elasticity)
    single = len(rows) == 1
    groups: dict[str, list] = {"below": [], "above": [], "proportional": []}
    for row in rows.itertuples():
        tested = np.isfinite(row.std_error) and row.std_error > 0
        if tested and row.ci_high < 1:
            groups["below"].append(row)
        elif tested and row.ci_low > 1:
            groups["above"].append(row)
        else:
            groups["proportional"].append(row)

    def detail(row, kind: str, with_ratio: bool) -> str:
        numbers = (f"elasticity {row.elasticity:.2f}, 90% interval {row.ci_low:.2f}–"
                   f"{row.ci_high:.2f}")
        if kind != "proportional" and single:
            numbers += f", entirely {kind} 1"
        if not np.isnan(row.p_value_vs_1) and (single or kind == "proportional"):
            numbers += f"; {p_value_text(row.p_value_vs_1)} against proportional growth"
        if shared:
            numbers += "; one elasticity for all areas"
        if row.pooled > 1:
            numbers = f"one elasticity for the {row.pooled}: {numbers}"
        ratio = f"{ratio_text(proportional ** row.elasticity)}; " if with_ratio else ""
        return numbers if single else f"{row.area} ({ratio}{numbers})"

    sentences = []
    for kind, members in groups.items():
        if not members:
            continue
        if kind == "proportional":
            claim = (f"{subject} are not distinguishable from proportional to story points "
                     f"(where {pair} {proportional:g}× {against})")
            if single:
                sentences.append(f"{claim}: {detail(members[0], kind, False)}.")
            else:
                sentences.append(
                    f"{claim} in {joined([detail(r, kind, False) for r in members])}.")
            continue
        verb = "more slowly" if kind == "below" else "faster"
        bound = "less" if kind == "below" else "more"
        if single:
            row = members[0]
            word = "not" if kind == "below" else "more than"
            sentences.append(
                f"{subject} grow {verb} than story points: {pair} "
                f"{ratio_text(proportional ** row.elasticity)} {against}, {word} "
                f"{proportional:g}× ({detail(row, kind, False)}).")
        else:
            sentences.append(
                f"{subject} grow {verb} than story points — {pair} {bound} than "
                f"{proportional:g}× {against} — in "
                f"{joined([detail(r, kind, True) for r in members])}: "
                f"{'the' if len(members) == 1 else 'each'} 90% interval lies entirely "
                f"{kind} 1.")
    return sentences


def _pooled_once(elasticity: pd.DataFrame) -> pd.DataFrame:
    """One row per elasticity: the areas too small for their own, which
    share one (the same estimate and interval), merged into one row whose
    ``area`` names them all and ``pooled`` counts them (1 elsewhere), so the
    sentence gives the shared numbers once."""
    table = elasticity.assign(pooled=1)
    shared = table[table["shared"].astype(bool)]
    if shared.empty:
        return table
    keys = ["elasticity", "ci_low", "ci_high"]
    merged = []
    for _, group in shared.groupby(keys, sort=False):
        row = group.iloc[:1].copy()
        row["area"] = joined([str(area) for area in group["area"]])
        row["pooled"] = len(group)
        merged.append(row)
    own = table[~table["shared"].astype(bool)]
    return pd.concat([own, *merged]).sort_values("area", kind="stable")


#: What each baseline is, for the backtest sentence.
_BASELINES = {
    "team only": "points and area, no engineers",
    "1 point = 1 day": "median working days = points",
    "EBS ratios": "each engineer's past actual / estimate ratios, resampled",
}


def backtest_sentences(backtest_result: BacktestResult) -> list[str]:
    """The backtest in words: interval coverage, calibrate's forecast error
    against the strongest baseline (lowest CRPS), and whether per-engineer
    multipliers forecast better than the team-only model."""
    pooled = backtest_result.scores_by_model()
    if "calibrate" not in pooled.index:
        return []
    ours = pooled.loc["calibrate"]
    sentence = (f"Backtest on {int(ours['n_scored'])} tickets predicted from earlier history: "
                f"the 80% intervals contained the actual duration "
                f"{percent_text(ours['coverage_80'])} of the time (ideal: 80%).")
    baselines = pooled.drop(index="calibrate")["crps"].dropna()
    if not len(baselines):
        return [sentence]
    best = str(baselines.idxmin())
    named = f"\"{best}\" ({_BASELINES[best]})" if best in _BASELINES else f"\"{best}\""
    if ours["crps"] < baselines[best]:
        sentence += (f" Forecast error (CRPS, lower is better): {ours['crps']:.2f}, against "
                     f"{baselines[best]:.2f} for the strongest baseline, {named}.")
    else:
        sentence += (f" Forecast error (CRPS, lower is better): {ours['crps']:.2f}, no better "
                     f"than the strongest baseline, {named}, at {baselines[best]:.2f}.")
    sentences = [sentence]
    if "team only" in baselines.index:
        team = float(baselines["team only"])
        difference, noise, n_pairs = _paired_crps_difference(backtest_result)
        if ours["crps"] >= team:
            sentences.append(
                f"Per-engineer multipliers did not forecast better than the team-only model "
                f"(points and area, no engineers): CRPS {ours['crps']:.2f} against "
                f"{team:.2f}. For forecasts, plan with the team's numbers; the engineer "
                "multipliers describe past tickets but do not improve predictions here.")
        elif noise is not None and difference > -2 * noise:
            sentences.append(
                f"Per-engineer multipliers did not forecast measurably better than the "
                f"team-only model (points and area, no engineers): CRPS {ours['crps']:.2f} "
                f"against {team:.2f}, a difference within the noise of {n_pairs} tickets "
                f"(paired difference {difference:+.3f} ± {2 * noise:.3f}).")
    return sentences


def _paired_crps_difference(backtest_result: BacktestResult):
    """Mean per-ticket CRPS of calibrate minus team only over the same tickets,
    its standard error and the number of pairs; (nan, None, 0) when the
    tickets cannot be paired. Uses the backtest's per-ticket ``weight``
    (inverse probability of censoring) when it has one, as its pooled scores do."""
    predictions = backtest_result.predictions
    if not {"origin", "ticket_id", "model", "crps"} <= set(predictions.columns):
        return np.nan, None, 0
    both = predictions[predictions["model"].isin(["calibrate", "team only"])]
    if "weight" not in both.columns:
        both = both.assign(weight=1.0)
    wide = both.pivot_table(index=["origin", "ticket_id"], columns="model",
                            values=["crps", "weight"])
    if not {"calibrate", "team only"} <= set(wide["crps"].columns):
        return np.nan, None, 0
    difference = (wide["crps"]["calibrate"] - wide["crps"]["team only"]).to_numpy()
    weight = wide["weight"]["calibrate"].to_numpy(dtype=float)
    use = np.isfinite(difference) & (weight > 0)
    if use.sum() < 2:
        return np.nan, None, 0
    difference, weight = difference[use], weight[use]
    mean = float(np.dot(weight, difference) / weight.sum())
    error = float(np.sqrt(np.sum((weight * (difference - mean)) ** 2)) / weight.sum())
    return mean, error, int(use.sum())


def _unseen(result: CalibrationResult) -> str:
    known = set(result.multipliers.records["engineer"].dropna())
    name = "(new team member)"
    while name in known:
        name += "'"
    return name


def model_sentences(result: CalibrationResult) -> list[str]:
    """What the fit could not determine, and the open tickets it took as abandoned."""
    sentences = []
    aging = result.aging_work
    likely = aging[aging["p_abandoned"] > LIKELY_ABANDONED]
    if len(likely):
        sentences.append(
            f"{len(likely)} of {len(aging)} open tickets look abandoned: open far longer than "
            "this team's tickets take (listed under \"Aging work\"). They are kept, but do not "
            "stretch the estimates.")
    identification = result.variance_components["identification"]
    several_areas = len(result.elasticity) > 1
    if identification["engineer_sd"] == "not identified" and identification["engineer_area_sd"] == (
            "not identified"):
        sentences.append(
            "With a single engineer the spread between engineers cannot be measured: numbers "
            "for anyone else assume a typical spread, not one measured on this team.")
    elif identification["split"] == "not identified" and several_areas:
        sentences.append(
            "No engineer has enough tickets in more than one area, so the data cannot tell an "
            "engineer who is fast in general from one who is fast in their area: each "
            "engineer's multiplier is read over their own tickets, and nothing is assumed "
            "about areas they have not worked in.")
    elif identification["split"] == "poorly determined":
        sentences.append(
            "Few engineers work in more than one area, so the data barely separate being fast "
            "in general from being fast in an area: read each engineer's multiplier over "
            "their own tickets, and expect wide ranges in areas they have not worked in.")
    return sentences

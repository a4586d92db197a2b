"""Everything the report template shows, computed from the result objects.

No file I/O: plots become SVG text in memory (data URIs), tables become
lists of rows, and every sentence of the summary is written here with its
numbers, so the template only lays them out (and escapes them).
"""

from __future__ import annotations

import base64
import datetime as dt
import io

import numpy as np
import pandas as pd

from calibrate._version import __version__
from calibrate.backtest import BacktestResult, DriftResult
from calibrate.results import CalibrationResult
from calibrate.tickets import EXCLUSION_REASONS, TicketTable

__all__ = ["build_context", "figure_to_data_uri"]

DISCLAIMER = ("Multipliers are planning aids: they reflect estimates, ticket mix, context and "
              "estimating habits as much as skill. They are not a ranking of people.")


def figure_to_data_uri(figure) -> str:
    """A matplotlib figure as an inline SVG data URI (deterministic output)."""
    import matplotlib

    buffer = io.StringIO()
    # Text stays text (searchable, selectable, smaller); the hash salt makes ids stable;
    # dpi sets the resolution of the parts drawn as images (dense scatter plots).
    with matplotlib.rc_context({"svg.hashsalt": "calibrate", "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None},
                       dpi=200)
    encoded = base64.b64encode(buffer.getvalue().encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"


def _days(value: float) -> str:
    return f"{value:.1f}"


def _percent(value: float) -> str:
    return "—" if pd.isna(value) else f"{value:.0%}"


def _points(value: float) -> str:
    return "split it" if value == 0 else f"{value:g}"


def _ratio(value: float) -> str:
    return f"{value:.1f}×"


def _p_value(value: float) -> str:
    return "p < 0.001" if value < 0.001 else f"p = {value:.2f}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


#: Why an export has no start of work, by reader.
_NO_START_OF_WORK = {
    "gitlab_csv": "GitLab's issues CSV records no start of work (the history of workflow:: "
                  "labels is not in it)",
    "jira_csv": "Jira's CSV export has no status history, so it records no start of work",
    "github_json": "GitHub issues record no start of work",
    "generic_csv": "the export maps no started_at column",
}

#: What gives cycle time today.
CYCLE_TIME_SOURCES = (
    "For work time (cycle time: start of work to done), read an export that records the "
    "start of work: Jira's REST search saved with expand=changelog (--format jira_json), "
    "Linear's CSV export (its Started column), or any CSV with a started_at column mapped in "
    "calibrate.toml's [columns] (--format generic_csv).")

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
    rows = elasticity.iloc[:1] if shared else elasticity
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
            numbers += f"; {_p_value(row.p_value_vs_1)} against proportional growth"
        if shared:
            numbers += "; one elasticity for all areas"
        ratio = f"{_ratio(proportional ** row.elasticity)}; " if with_ratio else ""
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
                    f"{claim} in {_and([detail(r, kind, False) for r in members])}.")
            continue
        verb = "more slowly" if kind == "below" else "faster"
        bound = "less" if kind == "below" else "more"
        if single:
            row = members[0]
            word = "not" if kind == "below" else "more than"
            sentences.append(
                f"{subject} grow {verb} than story points: {pair} "
                f"{_ratio(proportional ** row.elasticity)} {against}, {word} "
                f"{proportional:g}× ({detail(row, kind, False)}).")
        else:
            sentences.append(
                f"{subject} grow {verb} than story points — {pair} {bound} than "
                f"{proportional:g}× {against} — in "
                f"{_and([detail(r, kind, True) for r in members])}: "
                f"{'the' if len(members) == 1 else 'each'} 90% interval lies entirely "
                f"{kind} 1.")
    return sentences


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
                f"{_percent(ours['coverage_80'])} of the time (ideal: 80%).")
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


#: An open ticket is listed as likely abandoned above this probability.
LIKELY_ABANDONED = 0.5


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
    if identification["engineer_sd"] == "not identified" and identification["cell_sd"] == (
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


def aging_rows(result: CalibrationResult, limit: int = 30) -> list[dict]:
    """The likely-abandoned open tickets, most likely first ("aging work")."""
    aging = result.aging_work
    likely = aging[aging["p_abandoned"] > LIKELY_ABANDONED].head(limit)
    return [{"ticket": row.ticket_id, "title": "" if pd.isna(row.title) else row.title,
             "engineer": row.engineer, "area": row.area, "age": _days(row.age_days),
             "p": _percent(row.p_abandoned)}
            for row in likely.itertuples()]


def build_context(table: TicketTable, result: CalibrationResult, *,
                  backtest_result: BacktestResult | None, drift_result: DriftResult | None,
                  min_tickets: int, pseudonymized: bool, fit_warnings: list[str],
                  max_engineers: int = 40) -> dict:
    """The template's variables.

    A team of more than ``max_engineers`` is shown through the engineers with
    the most finished tickets (every engineer stays in the data files).

    Verdicts — overrun probabilities against a cap, "fails", recommended
    sizes — are given against ``result.multipliers.verdict_cap``: the team's
    cap for cycle time, the lead-time cap for lead (and mixed) time when one
    is set, and not at all otherwise.
    """
    from matplotlib import pyplot

    from calibrate import plots

    everyone = result.engineer_multipliers.sort_values(["n_finished", "engineer"],
                                                       ascending=[False, True])
    shown_engineers = sorted(everyone["engineer"].head(max_engineers))
    hidden = len(everyone) - len(shown_engineers)
    if hidden:
        result = result.for_engineers(shown_engineers)
        if drift_result is not None:
            drift_result = DriftResult(drift_result.multipliers[
                drift_result.multipliers["engineer"].isin(shown_engineers)])
    model = result.multipliers.model
    cap, confidence = model["cap_days"], model["confidence"]
    reference = model["reference_points"]
    clock = result.multipliers.clock
    lead = clock in ("lead", "mixed")
    verdict_cap = result.multipliers.verdict_cap
    tickets = table.tickets
    # How the cap is named wherever a verdict is given.
    cap_days_text = (f"{verdict_cap:g} working days of lead time" if lead and verdict_cap
                     else f"{cap:g} working days")

    cells = result.cell_multipliers[["engineer", "area", "n_finished", "n_open"]]
    prediction = result.predict(cells["engineer"], cells["area"],
                                np.full(len(cells), reference))
    cells = cells.assign(
        median_days=prediction["p50_days"].to_numpy(),
        p10_days=prediction["p10_days"].to_numpy(),
        p90_days=prediction["p90_days"].to_numpy(),
        enough=cells["n_finished"] >= min_tickets,
    )
    if verdict_cap is not None:
        sizes = result.recommended_sizes(cap_days=verdict_cap)
        cells = cells.assign(
            recommended_points=sizes["recommended_points"].to_numpy(),
            # P(a reference-size ticket takes longer than the cap).
            p_over=1 - sizes["p_reference_within_cap"].to_numpy(),
        )
        shown = cells[cells["enough"]].sort_values("p_over", ascending=False)
    else:
        shown = cells[cells["enough"]].sort_values(["engineer", "area"])
    suppressed = int((~cells["enough"]).sum())

    # -- the summary, in sentences ---------------------------------------
    summary = clock_sentences(tickets, clock, table.source_format, cap, verdict_cap)
    if verdict_cap is not None:
        breaking = shown[shown["p_over"] > 1 - confidence]
        holding = shown[shown["p_over"] <= 1 - confidence]
        if lead:
            rule = (f"Against the lead-time cap, a {reference:g}-point ticket should be done "
                    f"within {verdict_cap:g} working days of its creation.")
        else:
            rule = (f"The team assumes a {reference:g}-point ticket takes at most "
                    f"{verdict_cap:g} working days.")
        if len(breaking):
            worst = breaking.iloc[0]
            summary.append(
                f"{rule} That fails more often than {1 - confidence:.0%} of the time for "
                f"{len(breaking)} of {len(shown)} engineer × area combinations. The worst: "
                f"{worst['engineer']} on {worst['area']}, where a {reference:g}-point ticket "
                f"takes longer than {cap_days_text} {_percent(worst['p_over'])} of the time "
                f"(typically {_days(worst['median_days'])} days).")
        else:
            summary.append(
                f"{rule} That holds at {confidence:.0%} confidence for every engineer × area "
                "combination with enough tickets.")
        if len(holding) and len(breaking):
            summary.append(f"It holds for the other {len(holding)} combinations.")
    else:
        newcomer = result.predict(_unseen(result), result.multipliers.areas["area"],
                                  reference)
        typical = _and([
            f"{_days(row.p50_days)} working days"
            + ("" if len(newcomer) == 1 else f" in {row.area}")
            + f" (80% of such tickets: {_days(row.p10_days)}–{_days(row.p90_days)} days)"
            for row in newcomer.itertuples()])
        summary.append(
            f"From creation to done, a {reference:g}-point ticket of a typical engineer takes "
            f"{typical}; the table below gives each engineer × area.")
    summary += elasticity_sentences(result.elasticity, reference, clock)
    if verdict_cap is not None:
        smaller = shown[shown["recommended_points"] < reference]
        larger = shown[shown["recommended_points"] > reference]
        summary.append(
            f"Recommended ticket sizes (largest points that fit {cap_days_text} with "
            f"{confidence:.0%} confidence): {len(smaller)} combinations should get tickets "
            f"smaller than {reference:g} points, {len(larger)} can take larger ones; "
            "see the table below.")
    if backtest_result is not None:
        summary += backtest_sentences(backtest_result)
    summary += model_sentences(result)
    if hidden:
        summary.append(
            f"The team has {len(everyone)} engineers; this report shows the "
            f"{len(shown_engineers)} with the most finished tickets. Every engineer is in "
            "multipliers.csv and multipliers.json.")
    if suppressed:
        summary.append(
            f"{suppressed} engineer × area combinations have fewer than {min_tickets} "
            "finished tickets: their numbers are not shown (\"too few tickets\").")

    if verdict_cap is not None:
        breaks_table = [
            {
                "engineer": row.engineer, "area": row.area,
                "p_over": _percent(row.p_over),
                "median_days": _days(row.median_days),
                "recommended": _points(row.recommended_points),
                "tickets": int(row.n_finished), "open": int(row.n_open),
                "breaks": bool(row.p_over > 1 - confidence),
            }
            for row in shown.itertuples()
        ]
        typical_table = []
    else:
        breaks_table = []
        typical_table = [
            {
                "engineer": row.engineer, "area": row.area,
                "median_days": _days(row.median_days),
                "range": f"{_days(row.p10_days)}–{_days(row.p90_days)}",
                "tickets": int(row.n_finished), "open": int(row.n_open),
            }
            for row in shown.itertuples()
        ]

    # -- plots -------------------------------------------------------------
    figures = []

    def add(identifier: str, title: str, figure, note: str = "") -> None:
        caption = plots.CAPTIONS[identifier] + (f" {note}" if note else "")
        figures.append({"id": identifier, "title": title, "caption": caption,
                        "src": figure_to_data_uri(figure)})
        pyplot.close(figure)

    measured = ("lead time (working days from creation to done)" if clock == "lead" else
                "a mix of lead time (creation to done) and cycle time (start of work to done)")
    if not lead:
        cap_note = f"The cap is the team's: {cap:g} working days."
    elif verdict_cap is None:
        cap_note = (f"Here every duration is {measured}. The dotted line is the team's work cap "
                    f"of {cap:g} days, drawn for scale only: lead time is not judged against it.")
    else:
        cap_note = (f"Here every duration is {measured}, and the dotted line is the lead-time "
                    f"cap of {verdict_cap:g} working days.")
    add("plot_points_vs_days", "Where points break",
        plots.plot_points_vs_days(result, table, cap_days=verdict_cap), cap_note)
    if not lead:
        # "N points within N working days" is a rule about work, not lead time.
        add("plot_overrun_map", "Overrun map",
            plots.plot_overrun_map(result, points=reference, min_tickets=min_tickets))
    if verdict_cap is not None:
        add("plot_recommended_sizes", "Recommended ticket size",
            plots.plot_recommended_sizes(result, cap_days=verdict_cap, min_tickets=min_tickets),
            f"The team's reference size is {reference:g} points; the cap is {cap_days_text}, "
            f"at {confidence:.0%} confidence.")
    add("plot_multipliers", "Multipliers", plots.plot_multipliers(result),
        f"Multipliers here scale {measured}." if lead else "")
    add("plot_elasticity", "Points elasticity", plots.plot_elasticity(result, table),
        f"Here the days are {measured}." if lead else "")
    if backtest_result is not None:
        add("plot_calibration", "Calibration (backtest)", plots.plot_calibration(backtest_result))
    if drift_result is not None:
        add("plot_drift", "Drift", plots.plot_drift(drift_result))
    add("plot_data_quality", "Data quality",
        plots.plot_data_quality(table, min_tickets=min_tickets, engineers=shown_engineers))

    # -- tables ------------------------------------------------------------
    engineer_rows = [
        {"engineer": row.engineer, "median": f"{row.median:.2f}",
         "interval": f"{row.p10:.2f}–{row.p90:.2f}", "mean": f"{row.mean:.2f}",
         "tickets": int(row.n_finished), "open": int(row.n_open),
         "weight": _percent(row.shrinkage_weight)}
        for row in result.engineer_multipliers.itertuples()
    ]
    cell_rows = []
    for row in result.cell_multipliers.itertuples():
        enough = row.n_finished >= min_tickets
        cell_rows.append({
            "engineer": row.engineer, "area": row.area, "enough": enough,
            "median": f"{row.median:.2f}" if enough else "too few tickets",
            "interval": f"{row.p10:.2f}–{row.p90:.2f}" if enough else "",
            "tickets": int(row.n_finished), "open": int(row.n_open),
        })
    elasticity_rows = [
        {"area": row.area, "estimate": f"{row.elasticity:.2f}",
         "interval": f"{row.ci_low:.2f}–{row.ci_high:.2f}",
         "p_value": "< 0.001" if row.p_value_vs_1 < 0.001 else f"{row.p_value_vs_1:.3f}",
         "typical": _days(np.exp(area_row.intercept)), "noise": f"{area_row.noise_sd:.2f}"}
        for row, area_row in zip(result.elasticity.itertuples(),
                                 result.multipliers.areas.itertuples(), strict=True)
    ]
    backtest_rows = []
    if backtest_result is not None:
        for model_name, row in backtest_result.scores_by_model().iterrows():
            backtest_rows.append({
                "model": model_name, "n": int(row["n_scored"]),
                "coverage_50": _percent(row["coverage_50"]),
                "coverage_80": _percent(row["coverage_80"]),
                "coverage_90": _percent(row["coverage_90"]),
                "crps": f"{row['crps']:.3f}",
                "log_score": "—" if pd.isna(row["log_score"]) else f"{row['log_score']:.3f}",
            })

    # -- method and data quality -----------------------------------------
    counts = table.exclusion_counts()
    exclusions = [{"reason": reason, "rows": int(n), "meaning": EXCLUSION_REASONS[reason]}
                  for reason, n in counts.items()]
    clocks = tickets["clock"].value_counts()
    points_test = result.points_test
    calendar = table.calendar.describe() if table.calendar else "not recorded"
    window = result.multipliers.window
    return {
        "title": "Estimation calibration report",
        "version": __version__,
        "generated_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "source": {"path": table.path, "format": table.source_format},
        "window": {"first": (window["first_start"] or "")[:10],
                   "last": (window["last_finish"] or "")[:10],
                   "as_of": f"{table.as_of:%Y-%m-%d %H:%M}"},
        "cap": f"{cap:g}", "confidence": f"{confidence:.0%}", "reference": f"{reference:g}",
        "summary": summary,
        "breaks": breaks_table,
        "disclaimer": DISCLAIMER,
        "pseudonymized": pseudonymized,
        "min_tickets": min_tickets,
        "figures": figures,
        "engineer_rows": engineer_rows,
        "cell_rows": cell_rows,
        "elasticity_rows": elasticity_rows,
        "backtest_rows": backtest_rows,
        "rows": {"read": table.rows_read, "kept": len(tickets), "excluded": len(table.excluded),
                 "open": int(tickets["censored"].sum())},
        "exclusions": exclusions,
        "aging": aging_rows(result),
        "open_total": len(result.aging_work),
        "clocks": [{"clock": kind, "tickets": int(n)} for kind, n in clocks.items()],
        "clock": clock, "lead": lead,
        "verdict_cap": None if verdict_cap is None else f"{verdict_cap:g}",
        "cap_days_text": cap_days_text,
        "typical": typical_table,
        "calendar": calendar,
        "notes": list(table.notes),
        "warnings": fit_warnings,
        "model": {
            "engineer_sd": f"{model['engineer_sd']:.2f}", "cell_sd": f"{model['cell_sd']:.2f}",
            "em_iterations": result.em_iterations, "converged": result.converged,
            "method": model["method"].upper(),
        },
        "points_test": None if points_test is None else {
            "statistic": f"{points_test['statistic']:.1f}", "df": points_test["df"],
            "p_value": f"{points_test['p_value']:.3f}"},
    }

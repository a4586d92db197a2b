"""Writing the results: ``benchmarks.md``, the plots, ``results.json`` and the README block.

Everything here is computed from the results dictionary alone (what
``results.json`` holds), so the README's Performance block can be checked
against the committed results: :func:`readme_block` of ``results.json`` must
be what sits between the markers.

Every target is a row whether or not this run measured it: a measured row
says *met* or *missed by* how much (a ratio for ratio targets, seconds or
memory otherwise; :func:`judge`), a row whose measurement is not in the
results says "not measured in this run", never an older number.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

START_MARKER = "<!-- performance:start -->"
END_MARKER = "<!-- performance:end -->"
RESULTS_NAME = "results.json"
PLOT_DIR = "benchmarks"
NOT_MEASURED = "not measured in this run"

TARGET_RATIO = 30.0
TARGET_FIT_1M_S = 2.0
#: The report's backtest and drift view at 1M rows (issue #17): time and memory.
TARGET_BACKTEST_S = 60.0
TARGET_MEMORY_MB = 2048.0
TARGET_RUN_S = 15 * 60.0
#: Start-up targets (issue #12): what a user waits for before anything is computed.
TARGET_STARTUP_S = {"import calibrate": 0.8, "calibrate --help": 0.3,
                    "calibrate --version": 0.3}
SAME_ESTIMATES = 1e-3  # the tolerance of the test suite's comparison with MixedLM

#: Issue #16: every CSV reader within this factor of pyarrow's parse of the
#: same file; ``calibrate fit`` on 100k Linear tickets this many times faster
#: than statsmodels MixedLM fitting them from memory; the 1M-row Jira CSV
#: read + fit + report (no backtest) within this time and memory.
TARGET_READER_RATIO = 2.0
TARGET_CLI_RATIO = 10.0
TARGET_CLI_ROWS = 100_000
TARGET_REPORT_PATH_ROWS = 1_000_000
TARGET_REPORT_PATH_S = 10.0
TARGET_REPORT_PATH_MEMORY_MB = 1536.0
#: Issue #16: reading 200k Jira issues with changelogs, streamed (its peak
#: below that of ``json.load`` of the whole document).
TARGET_JSON_ISSUES = 200_000
TARGET_JSON_READ_S = 15.0
#: Issue #16: the fit of 10M tickets from sums, streamed or in the database.
TARGET_STREAM_TICKETS = 10_000_000
TARGET_STREAM_PEAK_MB = 2048.0
#: Issue #15: the fit of 1M tickets with skill profiles within this factor
#: of the fit without.
TARGET_SKILLS_ROWS = 1_000_000
TARGET_SKILLS_RATIO = 2.0
#: Issue #12: the sample report without the PDF; issue #16: the report on
#: the sample (552 tickets) was 11 s with the PDF, to be halved.
TARGET_SAMPLE_REPORT_S = 5.0
SAMPLE_REPORT_BEFORE_S = 11.0
TARGET_SAMPLE_REPORT_PDF_S = SAMPLE_REPORT_BEFORE_S / 2

#: Load averages from this (1-minute, on the benchmark's 2 cores) mean other
#: work slowed the measurements.
LOADED = 1.5

MARKDOWN_HEADERS = (
    "## Targets (issue #16)",
    "## Other targets",
    "## Machine",
    "## Speed and memory: calibrate vs statsmodels MixedLM",
    "## End to end: a Jira CSV export, read, fitted and reported",
    "## Beyond memory: streamed and SQL fits",
    "## Scaling",
    "### Skill profiles (issue #15)",
    "## Accuracy against known truth",
    "## Start-up and the sample report",
    "## JSON readers",
)


# -- formatting --------------------------------------------------------------
def seconds(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if value < 0.1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def memory(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value / 1024:.2f} GB" if value >= 1024 else f"{value:.0f} MB"


def ratio(value: float | None) -> str:
    return "–" if value is None else (f"{value:.0f}×" if value >= 10 else f"{value:.1f}×")


def precise_ratio(value: float | None) -> str:
    """A ratio near a target: two decimals below 10 (2.04× is not 2.0×)."""
    return "–" if value is None else (f"{value:.1f}×" if value >= 10 else f"{value:.2f}×")


def number(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def scientific(value: float | None) -> str:
    return "–" if value is None else f"{value:.1e}"


def _count(items: list | int, noun: str) -> str:
    n = items if isinstance(items, int) else len(items)
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


# -- targets -----------------------------------------------------------------
def judge(value: float, limit: float, comparison: str, unit: str) -> tuple[str, str]:
    """``(status, verdict)`` of a measured value against its target.

    ``comparison`` is ``"<"`` (strictly below: exactly at the limit misses),
    ``"≤"`` or ``"≥"``; ``unit`` is ``"×"`` (a ratio: missed by the factor
    between value and limit), ``"s"`` or ``"MB"`` (missed by the difference).
    The status is ``met`` or ``missed``; the verdict says it with the margin.
    """
    met = {"<": value < limit, "≤": value <= limit, "≥": value >= limit}[comparison]
    if met:
        return "met", "met"
    if value == limit:
        return "missed", "missed: exactly at the limit"
    if unit == "×":
        if value <= 0:
            return "missed", "missed"
        over = limit / value if comparison == "≥" else value / limit
        return "missed", f"missed by {precise_ratio(over)}"
    gap = abs(value - limit)
    return "missed", f"missed by {seconds(gap) if unit == 's' else memory(gap)}"


def _measured(key: str, name: str, threshold: str, value: float, limit: float,
              comparison: str, unit: str, shown: str, detail: str = "") -> dict:
    status, verdict = judge(value, limit, comparison, unit)
    # How far from the limit, limit = 1 and above 1 is worse: ranks rows of one kind.
    score = (limit / value if value > 0 else math.inf) if comparison == "≥" else value / limit
    return {"key": key, "name": name, "target": threshold, "value": shown,
            "measured": shown + (f" ({detail})" if detail else ""), "status": status,
            "verdict": verdict, "score": score}


def _not_measured(key: str, name: str, threshold: str, reason: str = "") -> dict:
    return {"key": key, "name": name, "target": threshold, "value": "–",
            "measured": NOT_MEASURED + (f" ({reason})" if reason else ""),
            "status": "not measured", "verdict": NOT_MEASURED, "score": None}


def _failed(key: str, name: str, threshold: str, what: str, detail: str = "") -> dict:
    """A measurement that did not finish (stopped at its time limit, or failed):
    the target is missed by an unknown margin."""
    return {"key": key, "name": name, "target": threshold, "value": what,
            "measured": what + (f" ({detail})" if detail else ""), "status": "missed",
            "verdict": f"missed: {what}", "score": math.inf}


def _at_least(row: dict) -> dict:
    """A row judged on part of what the target counts: a miss is a lower bound."""
    if row["status"] == "missed":
        row["verdict"] = row["verdict"].replace("missed by", "missed by at least")
        row["value"] = "≥ " + row["value"]
        row["measured"] = "≥ " + row["measured"]
    return row


def _speed_entry(results: dict, rows: int) -> dict | None:
    return next((e for e in results.get("speed", []) if e["rows"] == rows), None)


def targets(results: dict) -> list[dict]:
    """Every target, issue #16's first: :func:`issue_16_targets` and :func:`other_targets`."""
    return issue_16_targets(results) + other_targets(results)


def issue_16_targets(results: dict) -> list[dict]:
    """Issue #16's targets (with the two it shares with #12 and #15), one row each.

    Each row holds ``key`` (the kind of target; the CSV readers have one row
    per format and size measured), ``name``, ``target`` (the threshold),
    ``value`` (the measured value, short), ``measured`` (with its context),
    ``status`` (``met``, ``missed`` or ``not measured``) and ``verdict``
    (``met``, ``missed by`` the margin, or ``not measured in this run``).
    """
    return [*_reader_targets(results), _cli_target(results), *_report_path_targets(results),
            *_json_targets(results), *_streaming_targets(results), _skills_target(results),
            *_sample_report_targets(results)]


def _reader_targets(results: dict) -> list[dict]:
    """One row per CSV reader and size measured: ``read_export`` over pyarrow's parse."""
    threshold = f"≤ {TARGET_READER_RATIO:g}× pyarrow's parse of the file"
    rows = []

    def add(name: str, item: dict) -> None:
        if item.get("ratio") is None:
            rows.append(_failed("readers", name, threshold, item.get("status") or "failed",
                                item.get("error", "")[:120]))
        else:
            rows.append(_measured(
                "readers", name, threshold, item["ratio"], TARGET_READER_RATIO, "≤", "×",
                precise_ratio(item["ratio"]),
                f"{seconds(item['read_s'])} vs {seconds(item['floor_s'])}"))

    for entry in results.get("speed", []):
        for format_name, item in (entry.get("readers") or {}).items():
            add(f"`read_export` of {format_name}, {entry['rows']:,} tickets", item)
    e2e = results.get("end_to_end") or {}
    if e2e.get("warm_read"):
        add(f"`read_export` of jira_csv, {e2e['rows']:,} tickets (the end-to-end export)",
            e2e["warm_read"])
    return rows or [_not_measured("readers", "`read_export` of every CSV format", threshold)]


def _cli_target(results: dict) -> dict:
    name = (f"`calibrate fit` CLI on {TARGET_CLI_ROWS:,} Linear tickets vs statsmodels "
            "MixedLM from memory")
    threshold = f"≥ {TARGET_CLI_RATIO:g}× faster"
    entry = next((e for e in results.get("speed", []) if e.get("cli_fit")), None)
    if entry is None:
        return _not_measured("cli", name, threshold)
    if entry["rows"] < TARGET_CLI_ROWS:
        return _not_measured("cli", name, threshold, f"this run: {entry['rows']:,} tickets")
    cli = entry["cli_fit"]
    if cli.get("status") != "ok":
        return _failed("cli", name, threshold, f"`calibrate fit` {cli.get('status')}",
                       cli.get("error", ""))
    if entry.get("cli_ratio") is None:
        return _not_measured("cli", name, threshold, _missing(entry, "mixedlm"))
    return _measured("cli", name, threshold, entry["cli_ratio"], TARGET_CLI_RATIO, "≥", "×",
                     precise_ratio(entry["cli_ratio"]),
                     f"{seconds(cli['median_s'])} with start-up vs "
                     f"{seconds(entry['mixedlm']['total_s'])}")


def _report_path_targets(results: dict) -> list[dict]:
    """The 1M-row Jira CSV read + fit + report (no backtest): time and peak memory."""
    rows = f"{TARGET_REPORT_PATH_ROWS // 1_000_000}M"
    time_name = f"{rows}-row Jira CSV: read + fit + report (no backtest)"
    memory_name = f"{rows}-row Jira CSV: peak memory of read + fit + report"
    time_threshold = f"< {TARGET_REPORT_PATH_S:g} s"
    memory_threshold = f"< {memory(TARGET_REPORT_PATH_MEMORY_MB)}"
    e2e = results.get("end_to_end")
    if not e2e or e2e["rows"] < TARGET_REPORT_PATH_ROWS:
        reason = f"this run: {e2e['rows']:,} rows" if e2e else ""
        return [_not_measured("report_path_time", time_name, time_threshold, reason),
                _not_measured("report_path_memory", memory_name, memory_threshold, reason)]
    total = e2e.get("report_path_s")
    if total is not None:
        timed = _measured("report_path_time", time_name, time_threshold, total,
                          TARGET_REPORT_PATH_S, "<", "s", seconds(total))
    else:
        # No complete report: what finished is a lower bound of the path's time.
        plain = [s for s in e2e["stages"] if not s.get("report")]
        part = sum(s["seconds"] or 0.0 for s in plain[:2]) + sum(
            s["seconds"] or 0.0 for s in e2e["stages"] if s.get("report"))
        if e2e["status"] == "timeout":
            timed = _failed("report_path_time", time_name, time_threshold,
                            f"not finished within the {e2e['limit_s']:.0f} s limit")
        elif part >= TARGET_REPORT_PATH_S:
            timed = _at_least(_measured("report_path_time", time_name, time_threshold, part,
                                        TARGET_REPORT_PATH_S, "<", "s", seconds(part),
                                        f"the report {e2e['report']}"))
        else:
            timed = _not_measured("report_path_time", time_name, time_threshold,
                                  f"the report {e2e['report']}")
    peak = e2e.get("peak_mb")
    if peak is None:
        peaked = _not_measured("report_path_memory", memory_name, memory_threshold)
    else:
        peaked = _measured("report_path_memory", memory_name, memory_threshold, peak,
                           TARGET_REPORT_PATH_MEMORY_MB, "<", "MB", memory(peak))
        if total is None:  # the peak of an unfinished run is a lower bound
            peaked = (_at_least(peaked) if peaked["status"] == "missed" else
                      _not_measured("report_path_memory", memory_name, memory_threshold,
                                    f"the report {e2e['report']}"))
    return [timed, peaked]


def _json_targets(results: dict) -> list[dict]:
    """Reading 200k Jira issues with changelogs: time, and memory below the document's."""
    time_name = f"Jira JSON with changelogs, {TARGET_JSON_ISSUES:,} issues: `read_export`"
    memory_name = f"Jira JSON with changelogs, {TARGET_JSON_ISSUES:,} issues: peak memory"
    time_threshold = f"< {TARGET_JSON_READ_S:g} s"
    memory_threshold = "bounded: below `json.load` of the whole document"
    readers = results.get("json_readers")
    jira = (readers or {}).get("formats", {}).get("jira_json")
    if jira is None or readers["issues"] < TARGET_JSON_ISSUES:
        reason = f"this run: {readers['issues']:,} issues" if jira is not None else ""
        return [_not_measured("json_time", time_name, time_threshold, reason),
                _not_measured("json_memory", memory_name, memory_threshold, reason)]
    read, whole = jira["read_export"], jira["json_load"]
    if read.get("status") != "ok":
        return [_failed("json_time", time_name, time_threshold, read.get("status", "failed"),
                        read.get("error", "")),
                _failed("json_memory", memory_name, memory_threshold,
                        read.get("status", "failed"))]
    timed = _measured("json_time", time_name, time_threshold, read["seconds"],
                      TARGET_JSON_READ_S, "<", "s", seconds(read["seconds"]))
    if whole.get("status") != "ok":
        return [timed, _not_measured("json_memory", memory_name, memory_threshold,
                                     f"`json.load` {whole.get('status')}")]
    return [timed, _measured("json_memory", memory_name, memory_threshold, read["peak_mb"],
                             whole["peak_mb"], "<", "MB",
                             f"{memory(read['peak_mb'])} vs {memory(whole['peak_mb'])}")]


def _streaming_targets(results: dict) -> list[dict]:
    """The fit of 10M tickets from sums: streamed from Parquet, and in DuckDB."""
    threshold = f"< {memory(TARGET_STREAM_PEAK_MB)} peak (time reported)"
    size = f"{TARGET_STREAM_TICKETS // 1_000_000}M"
    names = {"stream": f"{size} tickets fitted from a Parquet folder, streamed "
                       "(`calibrate fit DIR`)",
             "sql": f"{size} tickets fitted by the SQL path, DuckDB (`calibrate fit --sql`)"}
    streaming = results.get("streaming")
    rows = []
    for task, name in names.items():
        key = f"{task}_fit"
        if not streaming or streaming["tickets"] < TARGET_STREAM_TICKETS:
            rows.append(_not_measured(key, name, threshold, f"this run: "
                                      f"{streaming['tickets']:,} tickets" if streaming else ""))
            continue
        entry = streaming["paths"].get(task)
        if entry is None:
            rows.append(_not_measured(key, name, threshold))
        elif entry.get("status") != "ok":
            rows.append(_failed(key, name, threshold, entry.get("status", "failed"),
                                entry.get("error", "")[:120]))
        else:
            rows.append(_measured(
                key, name, threshold, entry["peak_mb"], TARGET_STREAM_PEAK_MB, "<", "MB",
                f"{memory(entry['peak_mb'])}, {seconds(entry['seconds'])}",
                f"{seconds(entry['sums_s'])} summing, {seconds(entry['fit_s'])} fitting; "
                f"{streaming['engineers']:,} engineers"))
    return rows


def _skills_target(results: dict) -> dict:
    """Issue #15: the fit with skill profiles within 2× of the same fit without."""
    name = (f"fit of {TARGET_SKILLS_ROWS // 1_000_000}M tickets with skill profiles vs "
            "without (issue #15)")
    threshold = f"≤ {TARGET_SKILLS_RATIO:g}× the fit without"
    skills = (results.get("scaling") or {}).get("skills")
    if not skills:
        return _not_measured("skills", name, threshold)
    if skills["rows"] < TARGET_SKILLS_ROWS:
        return _not_measured("skills", name, threshold, f"this run: {skills['rows']:,} tickets")
    if skills.get("status") != "ok":
        return _failed("skills", name, threshold, skills.get("status", "failed"),
                       skills.get("error", "")[:120])
    ratios = {"levels": skills["ratio_levels"],
              "levels and ramp-up": skills["ratio_levels_and_ramp_up"]}
    worst = max(ratios.values())
    return _measured("skills", name, threshold, worst, TARGET_SKILLS_RATIO, "≤", "×",
                     precise_ratio(worst),
                     "; ".join(f"{label} {precise_ratio(value)}"
                               for label, value in ratios.items())
                     + f"; without: {seconds(skills['plain']['median_s'])}")


def _sample_report_targets(results: dict) -> list[dict]:
    """The report on the bundled sample: without the PDF (issue #12), with it (#16)."""
    startup = results.get("startup") or {}
    rows = []
    for key, entry_name, name, limit, note in (
            ("sample_report", "sample report without the PDF",
             "`calibrate report` on the bundled sample, `--no-pdf` (issue #12)",
             TARGET_SAMPLE_REPORT_S, ""),
            ("sample_report_pdf", "sample report with the PDF",
             "`calibrate report` on the bundled sample, with the PDF",
             TARGET_SAMPLE_REPORT_PDF_S, f" (half of {SAMPLE_REPORT_BEFORE_S:g} s)")):
        threshold = f"< {limit:g} s{note}"
        entry = startup.get(entry_name)
        if entry is None:
            rows.append(_not_measured(key, name, threshold))
        elif entry.get("median_s") is None:
            rows.append(_failed(key, name, threshold, entry.get("status", "failed"),
                                entry.get("error", "")[-120:]))
        else:
            rows.append(_measured(key, name, threshold, entry["median_s"], limit, "<", "s",
                                  seconds(entry["median_s"]),
                                  f"median of {entry['runs']}"))
    return rows


def other_targets(results: dict) -> list[dict]:
    """The targets of earlier issues, one row each (as :func:`issue_16_targets`)."""
    out = []
    name = "fit vs statsmodels MixedLM, 100k tickets / 1,000 engineers"
    threshold = f"≥ {TARGET_RATIO:.0f}× faster, same estimates"
    entry = _speed_entry(results, 100_000)
    if entry and entry.get("ratio") is not None:
        same = (entry["max_diff_fixed"] <= SAME_ESTIMATES
                and entry["max_diff_variance"] <= SAME_ESTIMATES
                and entry["mixedlm"]["converged"])
        row = _measured("mixedlm_ratio", name, threshold, entry["ratio"], TARGET_RATIO, "≥",
                        "×", f"{ratio(entry['ratio'])} faster",
                        f"{seconds(entry['same_model']['median_s'])} vs "
                        f"{seconds(entry['mixedlm']['total_s'])}; estimates "
                        f"{'agree' if same else 'DIFFER'}: max diff "
                        f"{scientific(entry['max_diff_fixed'])} fixed effects, "
                        f"{scientific(entry['max_diff_variance'])} variances")
        if not same:
            row["status"] = "missed"
            row["verdict"] = ("missed: the estimates differ" if row["verdict"] == "met"
                              else row["verdict"] + "; the estimates differ")
        out.append(row)
    else:
        out.append(_not_measured("mixedlm_ratio", name, threshold,
                                 "" if entry is None else _missing(entry, "mixedlm")))

    entry = _speed_entry(results, 1_000_000)
    fit_name, fit_threshold = ("fit of 1M tickets (calibrate's default model)",
                               f"< {TARGET_FIT_1M_S:g} s")
    memory_name, memory_threshold = ("peak memory of the 1M-ticket fit",
                                     f"< {memory(TARGET_MEMORY_MB)}")
    if entry and "default" in entry:
        default = entry["default"]
        out.append(_measured("fit_1m", fit_name, fit_threshold, default["median_s"],
                             TARGET_FIT_1M_S, "<", "s", seconds(default["median_s"]),
                             "the same model as MixedLM: "
                             f"{seconds(entry['same_model']['median_s'])}"))
        out.append(_measured("fit_1m_memory", memory_name, memory_threshold,
                             default["peak_mb"], TARGET_MEMORY_MB, "<", "MB",
                             memory(default["peak_mb"])))
    else:
        reason = "" if entry is None else _missing(entry, "calibrate")
        out.append(_not_measured("fit_1m", fit_name, fit_threshold, reason))
        out.append(_not_measured("fit_1m_memory", memory_name, memory_threshold, reason))

    startup = results.get("startup") or {}
    for command, limit in TARGET_STARTUP_S.items():
        key, threshold = f"startup:{command}", f"< {limit:g} s"
        entry = startup.get(command)
        if entry is None:
            out.append(_not_measured(key, f"`{command}`", threshold))
        elif entry.get("median_s") is None:
            out.append(_failed(key, f"`{command}`", threshold, entry.get("status", "failed"),
                               entry.get("error", "")[-120:]))
        else:
            out.append(_measured(key, f"`{command}`", threshold, entry["median_s"], limit,
                                 "<", "s", seconds(entry["median_s"])))

    e2e = results.get("end_to_end") or {}
    checks = e2e.get("backtest")
    name = "backtest + drift view of the report, 1M rows"
    threshold = f"< {TARGET_BACKTEST_S:g} s, < {memory(TARGET_MEMORY_MB)}"
    if not checks or checks["rows"] < 1_000_000:
        out.append(_not_measured("backtest", name, threshold,
                                 f"this run: {checks['rows']:,} rows" if checks else ""))
    elif checks.get("status") != "ok":
        out.append(_failed("backtest", name, threshold, checks["status"],
                           checks.get("error", "")))
    else:
        # Two limits: the row misses by the worse of the two margins.
        timed = _measured("backtest", name, threshold, checks["total_s"], TARGET_BACKTEST_S,
                          "<", "s", seconds(checks["total_s"]))
        peaked = _measured("backtest", name, threshold, checks["peak_mb"], TARGET_MEMORY_MB,
                           "<", "MB", memory(checks["peak_mb"]))
        worse = max((timed, peaked), key=lambda row: row["score"])
        out.append({**worse, "value": f"{timed['value']}, peak {peaked['value']}",
                    "measured": f"{timed['value']}, peak {peaked['value']} (longest wait for "
                                f"progress {seconds(checks['longest_silence_s'])})",
                    "status": "met" if timed["status"] == peaked["status"] == "met"
                    else "missed"})

    meta = results.get("meta", {})
    name, threshold = "the whole benchmark, one command, 2-core machine", "< 15 min"
    total = meta.get("total_s")
    if meta.get("quick") or total is None or not meta.get("complete", True):
        out.append(_not_measured("whole_run", name, threshold,
                                 "quick run" if meta.get("quick") else ""))
    else:
        row = _measured("whole_run", name, threshold, total, TARGET_RUN_S, "<", "s",
                        f"{total / 60:.1f} min",
                        f"on {meta.get('machine', {}).get('cores')} cores")
        if row["status"] == "missed":
            row["verdict"] = f"missed by {(total - TARGET_RUN_S) / 60:.1f} min"
        out.append(row)
    return out


def _missing(entry: dict | None, which: str) -> str:
    if entry is None:
        return "not run at this size"
    status, error = entry.get(f"{which}_status"), entry.get(f"{which}_error", "")
    if status == "timeout":
        return f"statsmodels took longer than {entry.get('mixedlm_limit_s', 0):.0f} s"
    return f"{status}: {error}" if status else ""


# -- README block ------------------------------------------------------------
def readme_block(results: dict) -> str:
    """The README's Performance section, between the markers (inclusive): the
    targets with their verdicts, and a few headline numbers."""
    meta = results["meta"]
    machine = meta["machine"]
    lines = [
        START_MARKER,
        "<!-- Generated by `make bench` (python -m benchmarks) from "
        "reports/benchmarks/results.json; edits here are overwritten. -->",
        "",
        f"Measured by `make bench` on {meta['date']} on {_machine_line(machine)}; "
        f"the whole run took {meta['total_s'] / 60:.1f} min{_load_note(meta)}. Ratios carry "
        "the claims: absolute times depend on the machine. Full tables, method and plots: "
        "[reports/benchmarks.md](reports/benchmarks.md).",
        "",
    ]
    if meta.get("quick"):
        lines += ["**Quick mode: tiny sizes, for testing the benchmark only.**", ""]
    lines += ["Issue #16's targets first (with the sample report of #12 and the skills fit of "
              "#15), then those of earlier issues: *met*, or *missed by* how much.", ""]
    rows = [[item["name"], item["target"], item["value"], f"**{item['verdict']}**"]
            for item in _readers_in_one(issue_16_targets(results)) + other_targets(results)]
    lines += _table(["target", "threshold", "measured", "verdict"], rows)
    headlines = []
    entry = _speed_entry(results, 1_000_000)
    if entry and entry.get("ratio") is not None:
        headlines.append(f"fit vs statsmodels MixedLM, 1M tickets / 5,000 engineers: "
                         f"{ratio(entry['ratio'])} faster "
                         f"({seconds(entry['same_model']['median_s'])} vs "
                         f"{seconds(entry['mixedlm']['total_s'])})")
    if results.get("accuracy"):
        headlines += _accuracy_headlines(results["accuracy"])
    if headlines:
        lines += ["", *(f"- {line}." for line in headlines)]
    lines += ["", END_MARKER]
    return "\n".join(lines)


def _readers_in_one(rows: list[dict]) -> list[dict]:
    """The CSV readers' rows as one (the README's short table): the worst reader
    carries the verdict."""
    readers = [row for row in rows if row["key"] == "readers"]
    measured = [row for row in readers if row["score"] is not None]
    if len(measured) < 2:
        return rows
    worst = max(measured, key=lambda row: row["score"])
    missed = [row for row in measured if row["status"] == "missed"]
    label = worst["name"].replace("`read_export` of ", "")
    merged = {**worst, "name": "`read_export` of each CSV format vs pyarrow's parse of it",
              "value": (f"worst {worst['value']} ({label})" if missed else
                        f"all {len(measured)} within; worst {worst['value']} ({label})"),
              "verdict": (worst["verdict"] + (f" ({len(missed)} of {len(measured)} missed)"
                                              if len(missed) > 1 else "")
                          if missed else "met")}
    first = rows.index(readers[0])
    return rows[:first] + [merged] + [row for row in rows[first:] if row["key"] != "readers"]


def _load_note(meta: dict) -> str:
    """", with other work on the machine (load ...)" when the load average rose past
    one during the run: the absolute times are then slower than the machine's."""
    loads = [v for v in meta.get("load_average") or [] if v is not None]
    if not loads or max(loads) < LOADED:
        return ""
    cores = meta.get("machine", {}).get("cores", "?")
    return (f", with other work on the machine (1-minute load average "
            f"{' → '.join(f'{v:.1f}' for v in loads)} on {cores} cores: absolute times are "
            "slower than a quiet machine's)")


def _machine_line(machine: dict) -> str:
    versions = machine["versions"]
    return (f"{machine['cpu']} ({machine['cores']} cores, "
            f"{machine['memory_gb']:.0f} GB RAM), Python {machine['python']}, "
            f"numpy {versions['numpy']}, statsmodels {versions['statsmodels']}")


def _rmse(accuracy: dict, level: str, method: str) -> float | None:
    for row in accuracy["multipliers"]["summary"]:
        if row["level"] == level and row["method"] == method:
            return row["rmse_mean"]
    return None


def _accuracy_headlines(accuracy: dict) -> list[str]:
    rows = []
    ours = _rmse(accuracy, "cell", "calibrate")
    unpooled = _rmse(accuracy, "cell", "unpooled ratio")
    blup = _rmse(accuracy, "cell", "MixedLM BLUP")
    if ours and unpooled:
        rows.append("error of engineer × area multipliers (RMSE, log scale, known truth): "
                    f"calibrate {number(ours)}, MixedLM BLUPs {number(blup)}, unpooled "
                    f"ratios (EBS-style) {number(unpooled)}: "
                    f"{(1 - ours / unpooled):.0%} lower than unpooled")
    scores = {row["model"]: row for row in accuracy["backtest"]["summary"]}
    if "calibrate" in scores:
        parts = [f"{model} {number(row['coverage_80'], 2)} / {number(row['crps'])}"
                 for model, row in scores.items()]
        rows.append("backtest, 80% interval coverage / CRPS (log days; lower is better): "
                    + "; ".join(parts))
    censoring = {row["method"]: row for row in accuracy["censoring"]["summary"]}
    kept = censoring.get("censored (calibrate)")
    dropped = censoring.get("open tickets dropped")
    if kept and dropped:
        rows.append(f"open tickets ({accuracy['censoring']['open_share']:.0%} open), "
                    "bias of the elasticity / P(5 points > 5 days): "
                    f"censored {kept['elasticity_bias']:+.2f} / "
                    f"{number(kept['p_over_5'], 2)}; dropped "
                    f"{dropped['elasticity_bias']:+.2f} / "
                    f"{number(dropped['p_over_5'], 2)} (truth "
                    f"{number(kept['p_over_5_true'], 2)})")
    return rows


def update_readme(readme: Path, block: str) -> None:
    """Replace the block between the markers, or append it as a new section.

    The file is read right before writing, and nothing outside the markers is
    touched.
    """
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(START_MARKER), text.find(END_MARKER)
    if start >= 0 and end > start:
        text = text[:start] + block + text[end + len(END_MARKER):]
    else:
        text = text.rstrip("\n") + "\n\n## Performance\n\n" + block + "\n"
    readme.write_text(text, encoding="utf-8")


def readme_block_in(readme: Path) -> str | None:
    """The Performance block currently in a README (markers included), if any."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(START_MARKER), text.find(END_MARKER)
    if start < 0 or end < start:
        return None
    return text[start:end + len(END_MARKER)]


# -- plots -------------------------------------------------------------------
def plot_scaling(scaling: dict, directory: Path) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = {}
    labels = {"same_model": "calibrate, same model as MixedLM",
              "default": "calibrate, default (noise per area, censoring)",
              "mixedlm": "statsmodels MixedLM (lbfgs)"}
    for name, title, fixed in (
            ("rows", "Fit time vs tickets", f"{scaling['fixed_engineers']:,} engineers"),
            ("engineers", "Fit time vs engineers", f"{scaling['fixed_rows']:,} tickets")):
        series = scaling.get(name, {})
        points = series.get("points", [])
        if not points:
            continue
        figure, axes = plt.subplots(figsize=(6.4, 4.4), dpi=110)
        for key, style in (("same_model", "o-"), ("default", "s-"), ("mixedlm", "^--")):
            xy = [(p[name], p[key]["median_s"] if key != "mixedlm" else p[key]["total_s"])
                  for p in points
                  if key in p and ("median_s" in p[key] or "total_s" in p[key])]
            if not xy:
                continue
            slope_value = series["slopes"].get(key)
            label = labels[key] + (f" (slope {slope_value:.2f})" if slope_value else "")
            axes.plot(*zip(*xy, strict=True), style, label=label)
        # A line of slope 1 through the largest size: a cost linear in size runs
        # parallel to it, fixed costs bend the curve above it at small sizes.
        x = [p[name] for p in points]
        last = points[-1]["same_model"]["median_s"]
        axes.plot([x[0], x[-1]], [last * x[0] / x[-1], last], ":", color="grey",
                  label="slope 1 (linear)")
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("tickets" if name == "rows" else "engineers")
        axes.set_ylabel("wall time (s)")
        axes.set_title(f"{title} ({fixed}, log-log)")
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize=8)
        figure.tight_layout()
        path = directory / f"scaling_{name}.png"
        figure.savefig(path)
        plt.close(figure)
        files[name] = path.name
    return files


def plot_accuracy(accuracy: dict, directory: Path) -> str | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = accuracy["multipliers"]["by_tickets"]
    if not rows:
        return None
    bins = list(dict.fromkeys(r["bin"] for r in rows))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    figure, axes = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    width = 0.8 / len(methods)
    for i, method in enumerate(methods):
        values = [next((r["rmse"] for r in rows if r["bin"] == b and r["method"] == method),
                       float("nan")) for b in bins]
        axes.bar([j + i * width for j in range(len(bins))], values, width, label=method)
    axes.set_xticks([j + width * (len(methods) - 1) / 2 for j in range(len(bins))])
    axes.set_xticklabels([f"{b} finished tickets" for b in bins])
    axes.set_ylabel("RMSE of log multiplier")
    axes.set_title("Engineer x area multipliers vs truth, by tickets in the cell")
    axes.legend(fontsize=8)
    axes.grid(True, axis="y", alpha=0.3)
    figure.tight_layout()
    path = directory / "accuracy_by_tickets.png"
    figure.savefig(path)
    plt.close(figure)
    return path.name


# -- the markdown ------------------------------------------------------------
def markdown(results: dict, plots: dict[str, str]) -> str:
    meta = results["meta"]
    machine = meta["machine"]
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `make bench` (`python -m benchmarks`) on {meta['date']}; the whole run "
        f"took {meta['total_s'] / 60:.1f} min. Do not edit: rerun the command. All data are "
        "generated in the run with fixed seeds (`calibrate.datasets.simulate_tickets`, and a "
        "Jira CSV export written from it with `calibrate.io.writers.write_jira_csv`), except "
        "in the last section, which reads real "
        "ticket histories (`python -m benchmarks.real_data`). Ratios, not absolute times, "
        "carry the claims.",
        "",
    ]
    if meta.get("quick"):
        lines += ["**Quick mode** (`--quick`): tiny sizes, for testing the benchmark code "
                  "only; these numbers mean nothing.", ""]
    lines += targets_markdown(results)
    lines += ["", "## Machine", ""]
    environment = ", ".join(f"`{k}={v}`" for k, v in machine["environment"].items()) or "none"
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items())
    lines += _table(["", ""], [
        ["CPU", machine["cpu"]],
        ["cores available", str(machine["cores"])],
        ["memory", f"{machine['memory_gb']:.1f} GB" if machine["memory_gb"] else "–"],
        ["OS", machine["os"]],
        ["Python", machine["python"]],
        ["packages", versions],
        ["BLAS", machine["blas"]],
        ["thread / BLAS variables set", environment],
        ["calibrate commit", machine["commit"]],
        ["memory measured as", meta["memory_method"]],
        ["load average (1 min) at the start / end of the run",
         " / ".join(number(v, 2) for v in meta.get("load_average", [None, None]))
         + " (other work on the machine slows every measurement)"],
    ])
    lines += ["", *_speed_section(results)]
    lines += ["", *_end_to_end_section(results)]
    lines += ["", *_streaming_section(results)]
    lines += ["", *_scaling_section(results, plots)]
    lines += ["", *_accuracy_section(results, plots)]
    lines += ["", *_startup_section(results)]
    lines += ["", *_json_readers_section(results)]
    return "\n".join(lines) + "\n"


def _json_readers_section(results: dict) -> list[str]:
    readers = results.get("json_readers")
    lines = ["## JSON readers", ""]
    if not readers:
        return lines + ["Not run."]
    lines += [
        f"`read_export` of a Jira REST export ({readers['issues']:,} issues with changelogs, "
        "pages of 100 with their `names` maps) and of a GitHub issues list of the same tickets, "
        "each in a fresh process, beside `json.load` of the same file alone (the parse floor "
        "of a reader that holds the whole document). The readers stream the file: memory is "
        f"bounded by the ticket table, not the document. Peak memory: {readers['memory']}.",
        "",
    ]
    rows = []
    for name, entry in readers["formats"].items():
        ours, parse = entry["read_export"], entry["json_load"]
        rows.append([name, f"{entry['file_mb']:.0f} MB",
                     seconds(ours.get("seconds")) if ours.get("status") == "ok" else ours["status"],
                     memory(ours.get("peak_mb")),
                     seconds(parse.get("seconds")) if parse.get("status") == "ok"
                     else parse["status"], memory(parse.get("peak_mb"))])
    return lines + _table(["export", "file", "read_export", "its peak RSS", "json.load alone",
                           "its peak RSS"], rows)


def _startup_section(results: dict) -> list[str]:
    startup = results.get("startup")
    lines = ["## Start-up and the sample report", ""]
    if not startup:
        return lines + ["Not run."]
    lines += [
        "Each command in a fresh process, as a user types it (median of the runs). "
        "`import calibrate` and the command line's `--help` / `--version` import pandas, "
        "scipy, pandera and the PDF printer only when a command needs them. The sample "
        "report is `calibrate report data/sample/jira_changelog.json --config "
        "data/sample/calibrate.toml` (backtest included), with and without `--no-pdf`.",
        "",
    ]
    rows = [[f"`{name}`" if not name.startswith("sample") else name,
             seconds(entry.get("median_s")), str(entry.get("runs", "")),
             entry.get("error", "") if entry.get("status") != "ok" else ""]
            for name, entry in startup.items()]
    return lines + _table(["command", "median wall time", "runs", ""], rows)


def _speed_section(results: dict) -> list[str]:
    lines = [
        "## Speed and memory: calibrate vs statsmodels MixedLM",
        "",
        "The same model in both: `log days ~ 0 + area + area:log(points/3)`, a random "
        "intercept per engineer and a variance component per engineer × area, one noise sd, "
        "REML, on the finished tickets (MixedLM can neither give each area its own noise sd "
        "nor handle open tickets). calibrate: `Calibrator(noise=\"shared\", half_life_days=None)"
        ".fit(table)` (no recency weighting: MixedLM has none), the "
        "whole public call (validating the table, fitting, building every result table), "
        "median of several runs after one warm-up fit in the same process. MixedLM: "
        "`smf.mixedlm(\"y ~ 0 + C(area) + C(area):c\", data, groups=\"engineer\", "
        "re_formula=\"1\", vc_formula={\"cell\": \"0 + C(cell)\"})` and `.fit(reml=True, "
        "method=[\"lbfgs\"])`, timed once after a small warm-up fit (building the model from "
        "the formula plus fitting). Each runs in its own fresh process on the same Parquet "
        "file; peak memory is that process's peak RSS during the call (data and libraries "
        "included). *engine* is calibrate without the table validation and result tables "
        "(`prepare_design` + `fit_design`). *default* is calibrate's default fit on every "
        "ticket (noise sd per area, open tickets censored).",
        "",
    ]
    rows = []
    for entry in results.get("speed", []):
        same, default = entry.get("same_model"), entry.get("default")
        mixed = entry.get("mixedlm")
        if mixed:
            mixed_text = (f"{seconds(mixed['total_s'])} ({seconds(mixed['build_s'])} + "
                          f"{seconds(mixed['fit_s'])})")
            converged = "yes" if mixed["converged"] else "**no**"
            mixed_memory = memory(mixed["peak_mb"])
        else:
            mixed_text = _missing(entry, "mixedlm")
            converged = mixed_memory = "–"
        rows.append([
            f"{entry['rows']:,}", f"{entry['engineers']:,}",
            f"{same['tickets']:,}" if same else "–",
            seconds(same["median_s"]) if same else _missing(entry, "calibrate"),
            seconds(same["engine_median_s"]) if same else "–",
            mixed_text, f"**{ratio(entry.get('ratio'))}**",
            ratio(entry.get("ratio_engine")),
            scientific(entry.get("max_diff_fixed")), scientific(entry.get("max_diff_variance")),
            converged,
            memory(same["peak_mb"]) if same else "–", mixed_memory,
            (f"{seconds(default['median_s'])} ({seconds(min(default['seconds']))}–"
             f"{seconds(max(default['seconds']))})") if default else "–",
            memory(default["peak_mb"]) if default else "–",
        ])
    lines += _table(["tickets", "engineers", "finished", "calibrate fit", "calibrate engine",
                     "MixedLM (build + fit)", "speed-up", "speed-up (engine)",
                     "max diff fixed effects", "max diff variances", "MixedLM converged",
                     "calibrate peak RSS", "MixedLM peak RSS",
                     "calibrate default fit (min–max)", "default fit peak RSS"], rows)
    diagnostic = []
    for entry in results.get("speed", []):
        same, default = entry.get("same_model"), entry.get("default")
        if same and default and "one_thread_median_s" in same:
            diagnostic.append([
                f"{entry['rows']:,}", str(same.get("blas_threads") or "?"),
                seconds(same["median_s"]), seconds(same["one_thread_median_s"]),
                f"{seconds(default['median_s'])} ({seconds(min(default['seconds']))}–"
                f"{seconds(max(default['seconds']))})",
                f"{seconds(default['one_thread_median_s'])} "
                f"({seconds(min(default['one_thread_seconds']))}–"
                f"{seconds(max(default['one_thread_seconds']))})"])
    if diagnostic:
        lines += ["", "Diagnostic, not a claim: the same calibrate fits with the BLAS limited to "
                  "one thread (`threadpoolctl.threadpool_limits(1)`) in the same process. The "
                  "numbers above use the BLAS as configured (its default threads).", ""]
        lines += _table(["tickets", "BLAS threads", "same model", "same model, 1 BLAS thread",
                         "default fit (min–max)", "default fit, 1 BLAS thread (min–max)"],
                        diagnostic)
    notes = []
    for entry in results.get("speed", []):
        for which in ("same_model", "default"):
            item = entry.get(which) or {}
            if item.get("warnings"):
                notes.append(f"- calibrate ({which}) at {entry['rows']:,} tickets warned: "
                             + "; ".join(sorted(set(item["warnings"])))[:300])
        mixed = entry.get("mixedlm") or {}
        if mixed.get("warnings"):
            notes.append(f"- MixedLM at {entry['rows']:,} tickets warned: "
                         + "; ".join(mixed["warnings"])[:300])
    if notes:
        lines += ["", *notes]
    return lines + _readers_section(results)


def _readers_section(results: dict) -> list[str]:
    """The CSV readers against pyarrow's parse of the same file (issue #16)."""
    entry = next((e for e in results.get("speed", []) if e.get("readers")), None)
    if entry is None:
        return []
    lines = [
        "",
        f"### CSV readers against the parse floor ({entry['rows']:,} tickets)",
        "",
        "The speed table written as each CSV export calibrate reads (`benchmarks/speed.py`: "
        "Jira's repeated headers, Linear's ISO times, GitLab's URLs and labels, a "
        "`[columns]`-mapped CSV, the canonical table), each read in a fresh process after one "
        "warm-up read, alternating with `pyarrow.csv.read_csv` of the same file: the *parse "
        "floor* reads every column as text with quoted cells that may span lines (what the "
        "reader needs), *pyarrow defaults* infers types. Minimum of the runs (the least "
        "disturbed by other work on the machine); the ratio is `read_export` over the floor "
        "of the same run. *chunks* is calibrate's chunked parse alone (Arrow's reader, rows "
        "numbered, blank lines dropped). *most calls* is the largest number of calls of one "
        "Python function during one read: a Python loop over rows calls one about once per "
        "row. *before*: the same measurement at commit "
        + (f"{entry['readers_before']['commit']} ({entry['readers_before']['measured']}, "
           "recorded in `benchmarks/speed.py`)." if entry.get("readers_before") else "–."),
        "",
    ]
    before = (entry.get("readers_before") or {}).get("formats", {})
    rows = []
    for name, item in entry["readers"].items():
        if item.get("status") != "ok":
            rows.append([name, item.get("status", ""), item.get("error", "")[:80]] + [""] * 7)
            continue
        was = before.get(name, {})
        rows.append([
            name, f"{item['file_mb']:.0f} MB", seconds(item["floor_s"]),
            seconds(item["floor_default_s"]), seconds(item["chunks_s"]),
            seconds(item["read_s"]), f"**{ratio(item['ratio'])}**",
            f"{item['profile']['most_calls']:,}",
            f"{seconds(was['read_s'])}, {ratio(was['ratio'])}" if was else "–",
            f"{was['most_calls']:,}" if was else "–"])
    lines += _table(["reader", "file", "parse floor", "pyarrow defaults", "chunks",
                     "read_export", "read / floor", "most calls", "before: read, ratio",
                     "before: most calls"], rows)
    profiles = [f"{name}: " + ", ".join(f"{t['function']} {seconds(t['own_s'])}"
                                         for t in item["profile"]["top"][:3])
                for name, item in entry["readers"].items() if item.get("status") == "ok"]
    if profiles:
        lines += ["", "Where a read's time goes now (cProfile, own time of the three costliest "
                      "functions; Arrow's kernels are `pyarrow/compute.py` wrappers):", ""]
        lines += [f"- {line}" for line in profiles]
    cli = entry.get("cli_fit") or {}
    if cli.get("status") == "ok":
        mixed = entry.get("mixedlm") or {}
        lines += ["", f"`{cli['command']}` on the {entry['rows']:,}-ticket Linear export, as a "
                      "user runs it (a fresh process: start-up, read, fit, summary, files): "
                      f"median {seconds(cli['median_s'])} of {len(cli['seconds'])} runs"
                  + (f", against statsmodels MixedLM's {seconds(mixed['total_s'])} on the same "
                     f"tickets from memory: **{ratio(entry['cli_ratio'])}** faster."
                     if entry.get("cli_ratio") else ".")]
    return lines


def _end_to_end_section(results: dict) -> list[str]:
    e2e = results.get("end_to_end")
    lines = ["## End to end: a Jira CSV export, read, fitted and reported", ""]
    if not e2e:
        return lines + ["Not run."]
    lines += [
        f"A Jira Cloud \"CSV (all fields)\"-style export of {e2e['rows']:,} tickets "
        f"({e2e['engineers']:,} engineers, {e2e['file_mb']:.0f} MB: repeated Labels / Sprint / "
        "Components / Watchers headers, both story-point fields, dates as `14/Mar/24 3:07 PM`, "
        "areas from labels by the config's rules, German holidays), run in one fresh process "
        "as a user would: start-up, `read_export`, `Calibrator().fit`, `write_multipliers`, "
        "then the report as `calibrate report EXPORT --no-backtest` makes it "
        "(`render_report(..., with_backtest=False)`, which fits again itself and writes the "
        "HTML, PDF and data files). No warm-up: the stages include first-call costs. Writing "
        "the CSV is set-up, not measured.",
        "",
    ]
    rows = [[s["name"], seconds(s["seconds"]), s.get("note", ""), memory(s.get("peak_mb"))]
            for s in e2e["stages"]]
    if not any(s.get("report") for s in e2e["stages"]):
        rows.append(["report (HTML/PDF)", "–", e2e["report"], "–"])
    rows.append(["**`calibrate fit` path**: start-up + read + fit + multipliers file",
                 f"**{seconds(e2e.get('fit_path_s'))}**", "", ""])
    rows.append(["**`calibrate report --no-backtest` path**: start-up + read + report",
                 f"**{seconds(e2e.get('report_path_s'))}**",
                 "" if e2e.get("report_path_s") is not None else e2e["report"], ""])
    lines += _table(["stage", "wall time", "", "process peak RSS so far"], rows)
    if e2e["status"] != "ok":
        lines += ["", f"The run did not finish: {e2e['status']} ({e2e['error']})."]
    lines += ["", f"Peak RSS of the whole process: **{memory(e2e.get('peak_mb'))}**."]
    warm = e2e.get("warm_read") or {}
    if warm.get("ratio") is not None:
        lines += ["", f"The same export read again in another fresh process, after a warm-up "
                      f"read (imports and first calls paid, as the parse floor's are): "
                      f"`read_export` {seconds(warm['read_s'])} (calibrate's chunked parse "
                      f"alone {seconds(warm['chunks_s'])}) beside `pyarrow.csv.read_csv` of "
                      f"it, {seconds(warm['floor_s'])} with every column text and cells that "
                      f"may span lines ({seconds(warm['floor_default_s'])} with its defaults): "
                      f"**{ratio(warm['ratio'])}** the parse floor."]
    was = e2e.get("before")
    if was:
        lines += ["", f"Before (commit {was['commit']}, {was['measured']}, recorded in "
                      f"`benchmarks/speed.py`): the same export read in {seconds(was['read_s'])} "
                      f"after a warm-up, {ratio(was['ratio'])} the parse floor measured beside "
                      f"it, peak RSS {memory(was['peak_mb'])} in a fresh process."]
    checks = e2e.get("backtest")
    if checks:
        lines += [
            "",
            "The rows above are `calibrate report --no-backtest`. Without that flag the report "
            "also runs the rolling-origin backtest (four origins, two refits each, four models "
            "scored) and the drift view; measured separately on the same generated table "
            f"({checks['rows']:,} tickets, loaded from Parquet, in a fresh process; "
            "`python -m benchmarks.backtest`):",
            "",
        ]
        if checks.get("status") == "ok":
            total = e2e.get("report_path_s")
            lines += _table(["", "wall time", "peak RSS (table included)"], [
                ["backtest", seconds(checks["backtest_s"]), ""],
                ["drift view", seconds(checks["drift_s"]), ""],
                ["both", f"**{seconds(checks['total_s'])}**", memory(checks["peak_mb"])],
                ["longest wait between progress lines", seconds(checks["longest_silence_s"]),
                 ""],
                ["**`calibrate report` with the backtest** (the path above + both)",
                 f"**{seconds(total + checks['total_s'])}**" if total is not None else "–",
                 ""],
            ])
        else:
            lines += [f"Not finished: {checks['status']} ({checks.get('error', '')})."]
    return lines


def _scaling_section(results: dict, plots: dict[str, str]) -> list[str]:
    scaling = results.get("scaling")
    lines = ["## Scaling", ""]
    if not scaling:
        return lines + ["Not run."]
    lines += [_conditions(results, "scaling"), ""]
    lines += [
        "Wall time of the fit (median of runs after a warm-up) against the number of tickets "
        f"with {scaling['fixed_engineers']:,} engineers, and against the number of engineers "
        f"with {scaling['fixed_rows']:,} tickets; the slope of log time on log size is 1 for "
        "a cost linear in size. At small sizes fixed costs (the optimiser's iterations, "
        "building result tables) dominate, so the slope over the larger sizes is the one "
        "that shows the per-row cost.",
        "",
    ]
    for name, label in (("rows", "tickets"), ("engineers", "engineers")):
        series = scaling.get(name)
        if not series or not series["points"]:
            continue
        rows = []
        for point in series["points"]:
            mixed = point.get("mixedlm", {})
            mixed_text = (seconds(mixed["total_s"]) if "total_s" in mixed
                          else mixed.get("status", "not run"))
            rows.append([f"{point[name]:,}", seconds(point["same_model"]["median_s"]),
                         seconds(point["default"]["median_s"]), mixed_text])
        slopes, large = series["slopes"], series["slopes_large"]
        rows.append(["slope (all sizes)", number(slopes.get("same_model"), 2),
                     number(slopes.get("default"), 2), number(slopes.get("mixedlm"), 2)])
        rows.append([f"slope (≥ {series['large_from']:,})", number(large.get("same_model"), 2),
                     number(large.get("default"), 2), ""])
        lines += [f"### Time vs {label}", ""]
        lines += _table([label, "calibrate, same model as MixedLM",
                         "calibrate default", "MixedLM"], rows)
        fits = series.get("affine", {})
        unit = 100_000 if name == "rows" else 1_000
        described = [f"{which}: {seconds(fit['intercept_s'])} + "
                     f"{seconds(fit['per_unit_s'] * unit)} per {unit:,} {label} "
                     f"(R² {fit['r2']:.3f})"
                     for which, fit in (("same model", fits.get("same_model")),
                                        ("default", fits.get("default")))
                     if fit]
        if described:
            lines += ["", "Least-squares line, time = fixed + per-size cost: "
                      + "; ".join(described) + "."]
        if name in plots:
            lines += ["", f"![fit time vs {label}]({PLOT_DIR}/{plots[name]})"]
        lines += [""]
    return lines + _skills_section(results)


def _skills_section(results: dict) -> list[str]:
    """The skills case of the scaling section (issue #15's benchmark target)."""
    skills = results["scaling"].get("skills")
    lines = ["### Skill profiles (issue #15)", ""]
    if not skills:
        return lines + ["Not run."]
    lines += [
        f"One generated table of {skills['rows']:,} tickets and {skills['engineers']:,} "
        "engineers whose engineers declare skill levels with real effects and have start "
        "dates (a ramp-up; `python -m benchmarks.scaling skills`, in a fresh process), "
        "fitted without profiles (the fit as before issue #15), with the declared levels, "
        "and with the levels and the ramp-up (its scale fitted): "
        f"`Calibrator(half_life_days=None).fit`, median of {_count(skills['repeats'], 'run')} "
        f"after a warm-up. Target: within {TARGET_SKILLS_RATIO:g}× of the fit without at "
        f"{TARGET_SKILLS_ROWS:,} tickets.",
        "",
        _conditions(results, "scaling"),
        "",
    ]
    if skills.get("status") != "ok":
        return lines + [f"Not finished: {skills.get('status')} ({skills.get('error', '')})."]
    rows = []
    for name, label in (("plain", "without profiles"), ("levels", "declared levels"),
                        ("levels_and_ramp_up", "declared levels and a ramp-up")):
        entry = skills[name]
        scale = entry.get("ramp_up_scale_weeks")
        rows.append([label, seconds(entry["median_s"]),
                     f"{seconds(min(entry['seconds']))}–{seconds(max(entry['seconds']))}",
                     "1×" if name == "plain" else f"**{precise_ratio(skills[f'ratio_{name}'])}**",
                     str(entry["em_iterations"]),
                     "–" if scale is None else f"{scale:.1f} weeks"])
    lines += [f"{skills['tickets']:,} tickets, {skills['open']:,} of them open.", ""]
    return lines + _table(["fit", "median wall time", "min–max", "vs without profiles",
                           "EM iterations", "ramp-up scale fitted"], rows)


def _streaming_section(results: dict) -> list[str]:
    """The fit from sums (issue #16): a Parquet folder streamed, and DuckDB's SQL path."""
    streaming = results.get("streaming")
    lines = ["## Beyond memory: streamed and SQL fits", ""]
    if not streaming:
        return lines + ["Not run."]
    lines += [
        f"{streaming['tickets']:,} canonical tickets of {streaming['engineers']:,} engineers, "
        f"written as {_count(streaming['files'], 'Parquet file')} "
        f"({streaming['data_mb']:.0f} MB), one "
        "file in memory at a time (set-up, not measured; `python -m benchmarks.streaming`), "
        "then fitted from their per-(engineer, area) sums, each path in a fresh process: "
        "*streamed* reads the folder in chunks and sums them here (`calibrate fit DIR`); "
        "*SQL* has DuckDB, in memory, sum `read_parquet('DIR/*.parquet')` with calibrate's "
        "generated `GROUP BY` queries (`calibrate fit --sql`). Both then fit the same model "
        "from the sums and build the multipliers table. Peak memory: "
        f"{streaming['memory']}. Target: under {memory(TARGET_STREAM_PEAK_MB)} at "
        f"{TARGET_STREAM_TICKETS:,} tickets.",
        "",
        _conditions(results, "streaming"),
        "",
    ]
    names = {"stream": "streamed from the Parquet folder", "sql": "SQL path, DuckDB"}
    rows = []
    for task, entry in streaming["paths"].items():
        label = names.get(task, task)
        if entry.get("status") != "ok":
            rows.append([label, *["–"] * 9, f"{entry.get('status')}: "
                                            f"{entry.get('error', '')[:120]}"])
            continue
        rows.append([label, seconds(entry["sums_s"]), seconds(entry["fit_s"]),
                     seconds(entry["multipliers_s"]), f"**{seconds(entry['seconds'])}**",
                     f"**{memory(entry['peak_mb'])}**", memory(entry["sums_peak_mb"]),
                     f"{entry['groups']:,}", f"{entry['open']:,}",
                     f"{entry['em_iterations']}{'' if entry['converged'] else ' (not converged)'}",
                     "ok"])
    return lines + _table(["path", "sums", "fit", "multipliers", "total", "peak RSS",
                           "peak RSS while summing", "engineer × area groups", "open tickets",
                           "EM iterations", "status"], rows)


def _conditions(results: dict, section: str) -> str:
    """The machine and the load average while ``section`` ran (the whole run's
    for results that did not record it per section)."""
    meta = results["meta"]
    by_section = (meta.get("section_load_average") or {}).get(section)
    loads = [v for v in (by_section or meta.get("load_average") or []) if v is not None]
    text = f"Machine: {_machine_line(meta['machine'])}."
    if loads:
        text += (f" 1-minute load average {' → '.join(f'{v:.1f}' for v in loads)} "
                 + ("at the start and end of this section" if by_section
                    else "at the start and end of the whole run") + ".")
        if max(loads) >= LOADED:
            text += (" Measured on a loaded machine (other work on its "
                     f"{meta['machine'].get('cores', '?')} cores): absolute times are slower "
                     "than a quiet machine's.")
    return text


def targets_markdown(results: dict) -> list[str]:
    """The two target sections of ``benchmarks.md`` (issue #16's, then the others), as lines."""
    lines = [
        "## Targets (issue #16)", "",
        "Each target of issue #16, with the two it shares with issue #12 (the sample report) "
        "and issue #15 (skill profiles), measured in this run: *met*, or *missed by* the "
        "factor (ratio targets) or the time or memory (the others) between measured value "
        "and limit. A measurement this run did not make (a section not run, sizes smaller "
        "than the target's in a quick run) says so: no number from another run is quoted. "
        "The sections below give the method and every measurement.", "",
        *_targets_table(issue_16_targets(results)),
        "", "## Other targets", "", "The targets of earlier issues.", "",
        *_targets_table(other_targets(results)),
    ]
    return lines


def _targets_table(rows: list[dict]) -> list[str]:
    return _table(["target", "threshold", "measured", "verdict"],
                  [[t["name"], t["target"], t["measured"], f"**{t['verdict']}**"]
                   for t in rows])


def _accuracy_section(results: dict, plots: dict[str, str]) -> list[str]:
    accuracy = results.get("accuracy")
    lines = ["## Accuracy against known truth", ""]
    if not accuracy:
        return lines + ["Not run."]
    multipliers = accuracy["multipliers"]
    low, middle, high = multipliers["tickets_per_engineer"]
    lines += [
        f"### Multipliers ({_count(multipliers['seeds'], 'seed')}, {multipliers['engineers']} "
        f"engineers each, {low} to {high} tickets per engineer, median {middle})",
        "",
        "RMSE of log multipliers against the simulated truth (engineer × area: u + v; "
        "engineer: u + the mean of v over the areas), both centred (multipliers are "
        "relative to the team), mean ± sd over seeds. *calibrate*: `Calibrator()` on every "
        "ticket. *MixedLM BLUP*: the predicted u + v of the same model fitted by statsmodels "
        "(finished tickets, one noise sd). *unpooled ratio*: the engineer's own geometric "
        "mean of actual / team-typical duration (`raw_ratio`: no pooling, as Evidence-Based "
        "Scheduling's per-person ratios). *EBS velocity*: the engineer's mean log(actual / "
        "points), centred (the plain EBS ratio, which also ignores points elasticity and "
        "area).",
        "",
    ]
    rows = [[row["level"].replace("cell", "engineer × area"), row["method"],
             f"{number(row['rmse_mean'])} ± {number(row['rmse_sd'])}"]
            for row in multipliers["summary"]]
    lines += _table(["multiplier", "method", "RMSE (log)"], rows)
    if multipliers["by_tickets"]:
        lines += ["", "By finished tickets in the engineer × area cell (pooling matters most "
                      "where there are few):", ""]
        lines += _table(["finished tickets in the cell", "method", "cells", "RMSE (log)"],
                        [[r["bin"], r["method"], str(r["cells"]), number(r["rmse"])]
                         for r in multipliers["by_tickets"]])
    if "accuracy" in plots:
        lines += ["", f"![RMSE by tickets per cell]({PLOT_DIR}/{plots['accuracy']})"]
    if not multipliers["mixedlm_converged"]:
        lines += ["", "Note: MixedLM did not report convergence on every seed."]
    backtest = accuracy["backtest"]
    lines += [
        "",
        f"### Rolling-origin backtest ({_count(backtest['seeds'], 'seed')}, {backtest['origins']} "
        "origins each, pooled)",
        "",
        "`calibrate.backtest.backtest`: at each origin every model is fitted on what was "
        "known then and scores the tickets started after it. Coverage of the central "
        "intervals should equal the level; CRPS and log score are on log working days "
        "(lower is better; the EBS resampling has no density, so no log score).",
        "",
    ]
    lines += _table(["model", "tickets scored", "coverage 50%", "coverage 80%", "coverage 90%",
                     "CRPS", "log score", "Brier (P > cap)"],
                    [[r["model"], f"{r['n_scored']:,}", number(r["coverage_50"], 3),
                      number(r["coverage_80"], 3), number(r["coverage_90"], 3),
                      number(r["crps"]), number(r["log_score"]), number(r["brier"])]
                     for r in backtest["summary"]])
    censoring = accuracy["censoring"]
    lines += [
        "",
        f"### Open tickets ({_count(censoring['seeds'], 'seed')}, "
        f"{censoring['tickets']:,} tickets, {censoring['engineers']} engineers, "
        f"a {censoring['history_days']:g}-working-day history: {censoring['open_share']:.0%} open)",
        "",
        "Bias is estimate − truth, averaged over areas and seeds; P(5 > 5) is the chance a "
        "typical engineer's 5-point ticket takes more than 5 working days.",
        "",
    ]
    lines += _table(["open tickets", "elasticity bias", "intercept bias", "noise sd bias",
                     "RMSE of log engineer × area multipliers", "P(5 > 5)", "true P(5 > 5)"],
                    [[r["method"], number(r["elasticity_bias"]), number(r["intercept_bias"]),
                      number(r["noise_sd_bias"]), number(r["cell_rmse"]),
                      number(r["p_over_5"]), number(r["p_over_5_true"])]
                     for r in censoring["summary"]])
    return lines


# -- all outputs -------------------------------------------------------------
def write_outputs(results: dict, out: Path, readme: Path | None) -> Path:
    """Write ``out/benchmarks.md``, ``out/benchmarks/*`` and the README block."""
    directory = out / PLOT_DIR
    directory.mkdir(parents=True, exist_ok=True)
    (directory / RESULTS_NAME).write_text(json.dumps(results, indent=1, default=_plain) + "\n",
                                          encoding="utf-8")
    plots = {}
    if results.get("scaling"):
        plots.update(plot_scaling(results["scaling"], directory))
    if results.get("accuracy"):
        name = plot_accuracy(results["accuracy"], directory)
        if name:
            plots["accuracy"] = name
    path = out / "benchmarks.md"
    path.write_text(markdown(results, plots), encoding="utf-8")
    if readme is not None:
        update_readme(readme, readme_block(load_results(directory / RESULTS_NAME)))
    return path


def load_results(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _plain(value):
    """JSON for numpy scalars."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value)}")

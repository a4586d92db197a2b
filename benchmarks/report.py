"""Writing the results: ``benchmarks.md``, the plots, ``results.json`` and the README block.

Everything here is computed from the results dictionary alone (what
``results.json`` holds), so the README's Performance block can be checked
against the committed results: :func:`readme_block` of ``results.json`` must
be what sits between the markers.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

START_MARKER = "<!-- performance:start -->"
END_MARKER = "<!-- performance:end -->"
RESULTS_NAME = "results.json"
PLOT_DIR = "benchmarks"

TARGET_RATIO = 30.0
TARGET_FIT_1M_S = 2.0
TARGET_END_TO_END_S = 30.0
#: The report's backtest and drift view at 1M rows (issue #17): time and memory.
TARGET_BACKTEST_S = 60.0
#: Reading 200k Jira issues with changelogs (issue #16).
TARGET_JSON_READ_S = 15.0
#: Issue #16: every CSV reader within this factor of pyarrow's parse of the
#: same file; ``calibrate fit`` on 100k Linear tickets this many times faster
#: than statsmodels MixedLM fitting them from memory; the 1M-row Jira CSV
#: read + fit + report (no backtest) within this time and memory.
TARGET_READER_RATIO = 2.0
TARGET_CLI_RATIO = 10.0
TARGET_REPORT_PATH_S = 10.0
TARGET_REPORT_PATH_MEMORY_MB = 1536.0
TARGET_MEMORY_MB = 2048.0
TARGET_RUN_S = 15 * 60.0
#: Start-up targets: what a user waits for before anything is computed.
TARGET_STARTUP_S = {"import calibrate": 0.8, "calibrate --help": 0.3,
                    "calibrate --version": 0.3, "sample report without the PDF": 5.0}
SAME_ESTIMATES = 1e-3  # the tolerance of the test suite's comparison with MixedLM

MARKDOWN_HEADERS = (
    "## Targets",
    "## Machine",
    "## Speed and memory: calibrate vs statsmodels MixedLM",
    "## End to end: a Jira CSV export, read, fitted and reported",
    "## Scaling",
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


def number(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def scientific(value: float | None) -> str:
    return "–" if value is None else f"{value:.1e}"


def _count(items: list, noun: str) -> str:
    return f"{len(items)} {noun}" + ("" if len(items) == 1 else "s")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


# -- targets -----------------------------------------------------------------
def _speed_entry(results: dict, rows: int) -> dict | None:
    return next((e for e in results.get("speed", []) if e["rows"] == rows), None)


def targets(results: dict) -> list[dict]:
    """The issue's targets, each with the measured value and met / missed."""
    out = []

    def add(name: str, target: str, measured: str, met: bool | None) -> None:
        status = "not measured" if met is None else ("met" if met else "missed")
        out.append({"name": name, "target": target, "measured": measured, "status": status})

    entry = _speed_entry(results, 100_000)
    if entry and entry.get("ratio") is not None:
        same = (entry["max_diff_fixed"] <= SAME_ESTIMATES
                and entry["max_diff_variance"] <= SAME_ESTIMATES
                and entry["mixedlm"]["converged"])
        add("fit vs statsmodels MixedLM, 100k tickets / 1,000 engineers",
            f"≥ {TARGET_RATIO:.0f}× faster, same estimates",
            f"{ratio(entry['ratio'])} faster ({seconds(entry['same_model']['median_s'])} vs "
            f"{seconds(entry['mixedlm']['total_s'])}); estimates "
            f"{'agree' if same else 'DIFFER'} (max diff {scientific(entry['max_diff_fixed'])} "
            f"fixed effects, {scientific(entry['max_diff_variance'])} variances)",
            entry["ratio"] >= TARGET_RATIO and same)
    else:
        add("fit vs statsmodels MixedLM, 100k tickets / 1,000 engineers",
            f"≥ {TARGET_RATIO:.0f}× faster, same estimates",
            _missing(entry, "mixedlm"), None)

    entry = _speed_entry(results, 1_000_000)
    if entry and "default" in entry:
        fit = entry["default"]["median_s"]
        add("fit of 1M tickets (calibrate's default model)", f"< {TARGET_FIT_1M_S:.0f} s",
            f"{seconds(fit)} (the same model as MixedLM: "
            f"{seconds(entry['same_model']['median_s'])})", fit < TARGET_FIT_1M_S)
        add("peak memory of the 1M-ticket fit", f"< {memory(TARGET_MEMORY_MB)}",
            memory(entry["default"]["peak_mb"]), entry["default"]["peak_mb"] < TARGET_MEMORY_MB)
    else:
        add("fit of 1M tickets (calibrate's default model)", f"< {TARGET_FIT_1M_S:.0f} s",
            _missing(entry, "calibrate"), None)
        add("peak memory of the 1M-ticket fit", f"< {memory(TARGET_MEMORY_MB)}",
            _missing(entry, "calibrate"), None)

    e2e = results.get("end_to_end")
    big = e2e is not None and e2e["rows"] >= 1_000_000
    if big and e2e.get("report_path_s") is not None:
        total = e2e["report_path_s"]
        add("end to end, 1M-row Jira CSV: read + fit + report", f"< {TARGET_END_TO_END_S:.0f} s",
            seconds(total), total < TARGET_END_TO_END_S)
    elif big:
        # No complete report run: missed if what was measured already exceeds the
        # target (or the run hit its time limit), else not measured.
        part = e2e.get("fit_path_s")
        unfinished = [stage["name"] for stage in e2e["stages"] if stage.get("unfinished")]
        if e2e["status"] == "ok":
            note = f"report {e2e['report']}"
        elif e2e["status"] == "timeout":
            note = (f"not finished within the {e2e['limit_s']:.0f} s limit"
                    + (f" (stopped in '{unfinished[0]}')" if unfinished else ""))
        else:
            note = f"run failed: {e2e['error']}"
        over = e2e["status"] == "timeout" or (part is not None and part >= TARGET_END_TO_END_S)
        add("end to end, 1M-row Jira CSV: read + fit + report", f"< {TARGET_END_TO_END_S:.0f} s",
            f"{note}; read + fit + multipliers file: {seconds(part)}", False if over else None)
    else:
        add("end to end, 1M-row Jira CSV: read + fit + report", f"< {TARGET_END_TO_END_S:.0f} s",
            "not run at 1M rows", None)
    if big and e2e.get("peak_mb") is not None:
        add("peak memory, 1M-row end to end", f"< {memory(TARGET_MEMORY_MB)}",
            memory(e2e["peak_mb"]), e2e["peak_mb"] < TARGET_MEMORY_MB)
    else:
        add("peak memory, 1M-row end to end", f"< {memory(TARGET_MEMORY_MB)}",
            "not run at 1M rows", None)

    _csv_reader_targets(results, add)

    readers = results.get("json_readers")
    jira = (readers or {}).get("formats", {}).get("jira_json")
    if jira is not None and readers["issues"] >= 200_000:
        read = jira["read_export"]
        ok = read.get("status") == "ok"
        add(f"Jira JSON with changelogs, {readers['issues']:,} issues: read",
            f"< {TARGET_JSON_READ_S:.0f} s, bounded memory",
            f"{seconds(read['seconds'])}, peak {memory(read['peak_mb'])} (json.load of the "
            f"file alone: peak {memory(jira['json_load'].get('peak_mb'))})" if ok
            else read["status"], read["seconds"] < TARGET_JSON_READ_S if ok else False)

    # Results from before the start-up section have no rows for it (the README
    # quotes the committed results.json as it is).
    startup = results.get("startup")
    for name, limit in TARGET_STARTUP_S.items() if startup is not None else ():
        entry = startup.get(name)
        measured = entry.get("median_s") if entry else None
        add(f"{name}" + (" (bundled sample)" if "report" in name else ""), f"< {limit:g} s",
            seconds(measured) if measured is not None
            else (f"failed: {entry['error']}" if entry else "not measured"),
            None if measured is None else measured < limit)

    checks = (e2e or {}).get("backtest")
    name = "backtest + drift view of the report, 1M rows"
    if big and checks and checks.get("status") == "ok":
        add(name, f"< {TARGET_BACKTEST_S:.0f} s, < {memory(TARGET_MEMORY_MB)}",
            f"{seconds(checks['total_s'])}, peak {memory(checks['peak_mb'])} (longest "
            f"wait for progress {seconds(checks['longest_silence_s'])})",
            checks["total_s"] < TARGET_BACKTEST_S and checks["peak_mb"] < TARGET_MEMORY_MB)
    elif big and checks:
        add(name, f"< {TARGET_BACKTEST_S:.0f} s, < {memory(TARGET_MEMORY_MB)}",
            f"{checks['status']}: {checks.get('error', '')}", False)
    elif e2e is not None and big:
        add(name, f"< {TARGET_BACKTEST_S:.0f} s, < {memory(TARGET_MEMORY_MB)}",
            "not measured", None)

    meta = results.get("meta", {})
    cores = meta.get("machine", {}).get("cores")
    total = meta.get("total_s")
    full = not meta.get("quick", False)
    add("the whole benchmark, one command, 2-core machine", "< 15 min",
        f"{total / 60:.1f} min on {cores} cores" if total else "–",
        (total < TARGET_RUN_S) if (total and full) else None)
    return out


def _csv_reader_targets(results: dict, add) -> None:
    """Issue #16's rows, from results that hold them (older ones do not)."""
    entry = next((e for e in results.get("speed", []) if e.get("readers")), None)
    if entry is not None:
        readers = entry["readers"]
        ratios = {name: r["ratio"] for name, r in readers.items() if r.get("status") == "ok"}
        worst = max(ratios.values(), default=None)
        add(f"CSV readers vs pyarrow's parse of the same file, {entry['rows']:,} tickets",
            f"≤ {TARGET_READER_RATIO:g}× for every reader",
            ", ".join(f"{name} {ratio(value)}" for name, value in ratios.items())
            + (f" ({len(readers) - len(ratios)} failed)" if len(ratios) < len(readers) else "")
            + (f"; missed by up to {worst / TARGET_READER_RATIO:.1f}×"
               if worst and worst > TARGET_READER_RATIO else ""),
            (worst <= TARGET_READER_RATIO and len(ratios) == len(readers))
            if worst is not None else None)
        cli = entry.get("cli_fit") or {}
        name = (f"`calibrate fit` on {entry['rows']:,} Linear tickets vs statsmodels MixedLM "
                "from memory")
        if entry.get("cli_ratio") is not None:
            add(name, f"≥ {TARGET_CLI_RATIO:g}× faster",
                f"{ratio(entry['cli_ratio'])} faster ({seconds(cli['median_s'])}, start-up "
                f"included, vs {seconds(entry['mixedlm']['total_s'])})"
                + (f"; missed by {TARGET_CLI_RATIO / entry['cli_ratio']:.1f}×"
                   if entry["cli_ratio"] < TARGET_CLI_RATIO else ""),
                entry["cli_ratio"] >= TARGET_CLI_RATIO)
        else:
            add(name, f"≥ {TARGET_CLI_RATIO:g}× faster",
                cli.get("error") or _missing(entry, "mixedlm"), None)
    e2e = results.get("end_to_end") or {}
    if "warm_read" not in e2e or e2e["rows"] < 1_000_000:
        return
    warm = e2e["warm_read"]
    if warm.get("ratio") is not None:
        add(f"{e2e['rows']:,}-row Jira CSV read vs pyarrow's parse of it",
            f"≤ {TARGET_READER_RATIO:g}×",
            f"{ratio(warm['ratio'])} ({seconds(warm['read_s'])} vs "
            f"{seconds(warm['floor_s'])}, after a warm-up)"
            + (f"; missed by {warm['ratio'] / TARGET_READER_RATIO:.1f}×"
               if warm["ratio"] > TARGET_READER_RATIO else ""),
            warm["ratio"] <= TARGET_READER_RATIO)
    total = e2e.get("report_path_s")
    add("1M-row Jira CSV: read + fit + report (no backtest)",
        f"< {TARGET_REPORT_PATH_S:g} s",
        seconds(total) + (f"; missed by {total - TARGET_REPORT_PATH_S:.1f} s"
                          if total is not None and total >= TARGET_REPORT_PATH_S else "")
        if total is not None else f"not measured: report {e2e.get('report')}",
        None if total is None else total < TARGET_REPORT_PATH_S)
    peak = e2e.get("peak_mb")
    add("peak memory, 1M-row Jira CSV read + fit + report",
        f"< {memory(TARGET_REPORT_PATH_MEMORY_MB)}",
        memory(peak) + (f"; missed by {memory(peak - TARGET_REPORT_PATH_MEMORY_MB)}"
                        if peak is not None and peak >= TARGET_REPORT_PATH_MEMORY_MB else ""),
        None if peak is None else peak < TARGET_REPORT_PATH_MEMORY_MB)


def _missing(entry: dict | None, which: str) -> str:
    if entry is None:
        return "not run at this size"
    status, error = entry.get(f"{which}_status"), entry.get(f"{which}_error", "")
    if status == "timeout":
        return f"skipped: statsmodels took longer than {entry.get('mixedlm_limit_s', 0):.0f} s"
    return f"{status}: {error}" if status else "not measured"


# -- README block ------------------------------------------------------------
def readme_block(results: dict) -> str:
    """The README's Performance section, between the markers (inclusive)."""
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
    rows = []
    for item in targets(results):
        rows.append([item["name"], item["measured"], f"{item['target']}: **{item['status']}**"])
    entry = _speed_entry(results, 1_000_000)
    if entry and entry.get("ratio") is not None:
        rows.append(["fit vs statsmodels MixedLM, 1M tickets / 5,000 engineers",
                     f"{ratio(entry['ratio'])} faster ({seconds(entry['same_model']['median_s'])}"
                     f" vs {seconds(entry['mixedlm']['total_s'])})", ""])
    accuracy = results.get("accuracy")
    if accuracy:
        rows += _accuracy_headlines(accuracy)
    lines += _table(["", "measured", "target"], rows)
    lines += ["", END_MARKER]
    return "\n".join(lines)


def _load_note(meta: dict) -> str:
    """", with other work on the machine (load ...)" when the load average rose past
    one during the run: the absolute times are then slower than the machine's."""
    loads = [v for v in meta.get("load_average") or [] if v is not None]
    if not loads or max(loads) < 1.5:
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


def _accuracy_headlines(accuracy: dict) -> list[list[str]]:
    rows = []
    ours = _rmse(accuracy, "cell", "calibrate")
    unpooled = _rmse(accuracy, "cell", "unpooled ratio")
    blup = _rmse(accuracy, "cell", "MixedLM BLUP")
    if ours and unpooled:
        rows.append(["error of engineer × area multipliers (RMSE, log scale, known truth)",
                     f"calibrate {number(ours)}, MixedLM BLUPs {number(blup)}, unpooled "
                     f"ratios (EBS-style) {number(unpooled)}: "
                     f"{(1 - ours / unpooled):.0%} lower than unpooled", ""])
    scores = {row["model"]: row for row in accuracy["backtest"]["summary"]}
    if "calibrate" in scores:
        parts = [f"{model} {number(row['coverage_80'], 2)} / {number(row['crps'])}"
                 for model, row in scores.items()]
        rows.append(["backtest: 80% interval coverage / CRPS (log days; lower is better)",
                     "; ".join(parts), ""])
    censoring = {row["method"]: row for row in accuracy["censoring"]["summary"]}
    kept = censoring.get("censored (calibrate)")
    dropped = censoring.get("open tickets dropped")
    if kept and dropped:
        rows.append([f"open tickets ({accuracy['censoring']['open_share']:.0%} open): "
                     "bias of the elasticity / P(5 points > 5 days)",
                     f"censored {kept['elasticity_bias']:+.2f} / "
                     f"{number(kept['p_over_5'], 2)}; dropped "
                     f"{dropped['elasticity_bias']:+.2f} / "
                     f"{number(dropped['p_over_5'], 2)} (truth "
                     f"{number(kept['p_over_5_true'], 2)})", ""])
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
    lines += ["## Targets", ""]
    lines += _table(["target", "threshold", "measured", "status"],
                    [[t["name"], t["target"], t["measured"], f"**{t['status']}**"]
                     for t in targets(results)])
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
    return lines[:-1]


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

"""Speed and memory: calibrate vs statsmodels MixedLM, the CSV readers against
the parse floor, and the end-to-end run.

Every size gets one generated table (fixed seed), written to Parquet; both
calibrate and MixedLM read that same file in their own fresh process. The
same table is also written as each CSV export calibrate reads (Jira, Linear,
GitLab, a ``[columns]``-mapped CSV and the canonical table): each reader is
timed beside ``pyarrow.csv.read_csv`` of the same file (every column as
text, Arrow's threads), the parse floor, in one fresh process
(``python -m benchmarks.speed read ...``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._measure import run_module, run_worker
from benchmarks.data import AREA_LABELS, JIRA_CONFIG, speed_table, write_jira_export

SEED = 20240601


def table_file(directory: Path, rows: int, engineers: int, seed: int = SEED) -> Path:
    """The generated table of that size, as Parquet (written once per run)."""
    path = directory / f"tickets_{rows}_{engineers}_{seed}.parquet"
    if not path.exists():
        speed_table(rows, engineers, seed).to_parquet(path)
    return path


def compare(ours: dict, theirs: dict) -> dict:
    """Largest differences between calibrate's and MixedLM's estimates."""
    fixed = np.max(np.abs(np.subtract(ours["fixed_effects"], theirs["fixed_effects"])))
    variances = max(abs(ours[k] - theirs[k]) for k in ("engineer_var", "cell_var", "noise_var"))
    return {"max_diff_fixed": float(fixed), "max_diff_variance": float(variances)}


#: The CSV readers and ``calibrate fit`` are measured at the largest speed
#: size up to this many tickets (100k in the full run).
READERS_MAX_ROWS = 200_000


def run_speed(sizes: list[dict], work: Path, *, mixedlm_timeout: float,
              log) -> list[dict]:
    readers_rows = max((size["rows"] for size in sizes if size["rows"] <= READERS_MAX_ROWS),
                       default=None)
    rows_out = []
    for size in sizes:
        rows, engineers = size["rows"], size["engineers"]
        log(f"speed: generating {rows:,} tickets / {engineers:,} engineers")
        data = table_file(work, rows, engineers)
        log(f"speed: calibrate fits at {rows:,} rows")
        ours = run_worker("calibrate", {"data": str(data), "configs": ["same_model", "default"],
                                        "repeats": size["repeats"]}, timeout=900)
        entry = {"rows": rows, "engineers": engineers, "calibrate_status": ours.status,
                 "calibrate_error": ours.error}
        entry.update(ours.result)
        log(f"speed: statsmodels MixedLM at {rows:,} rows (limit {mixedlm_timeout:.0f} s)")
        theirs = run_worker("mixedlm", {"data": str(data), "method": "lbfgs"},
                            timeout=mixedlm_timeout)
        entry["mixedlm_status"] = theirs.status
        entry["mixedlm_limit_s"] = mixedlm_timeout
        entry["mixedlm_error"] = theirs.error
        if theirs.status == "ok":
            entry["mixedlm"] = theirs.result
            if ours.status == "ok":
                same = ours.result["same_model"]
                entry["ratio"] = theirs.result["total_s"] / same["median_s"]
                entry["ratio_fit_only"] = theirs.result["fit_s"] / same["median_s"]
                entry["ratio_engine"] = theirs.result["total_s"] / same["engine_median_s"]
                entry.update(compare(same, theirs.result))
        if rows == readers_rows:
            repeats = min(size["repeats"], 3)
            entry["readers"] = run_readers(rows, engineers, work, repeats=repeats, log=log)
            entry["readers_before"] = BEFORE_READERS if rows == BEFORE_READERS["rows"] else None
            entry["cli_fit"] = run_cli_fit(rows, engineers, work, repeats=repeats, log=log)
            if entry["cli_fit"]["status"] == "ok" and theirs.status == "ok":
                entry["cli_ratio"] = theirs.result["total_s"] / entry["cli_fit"]["median_s"]
        rows_out.append(entry)
    return rows_out


def run_end_to_end(rows: int, engineers: int, work: Path, *, timeout: float, report: bool,
                   log) -> dict:
    log(f"end to end: writing a {rows:,}-row Jira CSV export (set-up, not measured)")
    csv, config, _ = write_jira_export(rows, engineers, work / "e2e")
    out = work / "e2e" / "out"
    out.mkdir(parents=True, exist_ok=True)
    log("end to end: read, fit, write, report")
    run = run_worker("end_to_end", {"csv": str(csv), "config": str(config), "out": str(out),
                                    "report": report}, timeout=timeout)
    log("end to end: the read again after a warm-up, beside the pyarrow parse floor")
    warm = run_module(["benchmarks.speed", "read", json.dumps(
        {"path": str(csv), "format": "jira_csv", "config": str(config), "repeats": 1,
         "profile": False})], timeout=timeout)
    result = {
        "rows": rows, "engineers": engineers, "file_mb": csv.stat().st_size / 1e6,
        "status": run.status, "error": run.error, "stages": _finished_stages(run),
        "report": run.result.get("report", "not reached" if run.status != "ok" else ""),
        "peak_mb": run.result.get("peak_mb", max(
            (s["peak_mb"] for s in run.stages if s.get("peak_mb") is not None), default=None)),
        "limit_s": timeout,
        "warm_read": ({key: warm.result[key] for key in ("floor_s", "floor_default_s",
                                                          "chunks_s", "read_s", "ratio")}
                      if warm.status == "ok" else {"status": warm.status, "error": warm.error}),
        "before": BEFORE_END_TO_END if rows == BEFORE_END_TO_END["rows"] else None,
    }
    plain = [s for s in result["stages"] if not s.get("report")]
    in_report = [s for s in result["stages"] if s.get("report")]
    start_and_read = sum(s["seconds"] for s in plain[:2]) if len(plain) >= 2 else None
    # `calibrate fit EXPORT`: start-up, read, fit, write the multipliers file.
    result["fit_path_s"] = sum(s["seconds"] for s in plain) if len(plain) == 4 else None
    # `calibrate report EXPORT --no-backtest`: start-up, read, then the report
    # (which fits and writes every file itself).
    done = run.status == "ok" and result["report"].startswith("done")
    result["report_path_s"] = (start_and_read + sum(s["seconds"] for s in in_report)
                               if done and start_and_read is not None else None)
    return result


def _finished_stages(run) -> list[dict]:
    """Completed stages, and the one running when the run stopped (if any)."""
    stages = []
    for stage in run.stages:
        if stage.get("started"):
            stages.append({**stage, "seconds": None,
                           "note": ("did not finish: the run was stopped at its time limit"
                                    if run.status == "timeout" else f"failed: {run.error}"),
                           "unfinished": True})
        elif stages and stages[-1].get("unfinished") and stages[-1]["name"] == stage["name"]:
            stages[-1] = stage
        else:
            stages.append(stage)
    return stages


# -- the CSV exports of the readers benchmark -------------------------------
#: Settings for the generated Linear and GitLab exports: areas from labels
#: (as for the Jira export), the Berlin wall clock.
LABELS_CONFIG = JIRA_CONFIG

#: Settings for the generated ``[columns]``-mapped CSV.
GENERIC_CONFIG = """\
[calendar]
country = "DE"
timezone = "Europe/Berlin"

[columns]
ticket_id = "Key"
title = "Summary"
engineer = "Owner"
points = "Size"
created_at = "Opened"
started_at = "Work started"
finished_at = "Done on"
area = "Area"
labels = "Tags"
status = "State"
resolution = "Outcome"
"""

_GITLAB_HEADER = ("Issue ID", "URL", "Title", "State", "Description", "Author",
                  "Author Username", "Assignee", "Assignee Username", "Confidential", "Locked",
                  "Due Date", "Created At (UTC)", "Updated At (UTC)", "Closed At (UTC)",
                  "Milestone", "Weight", "Labels", "Time Estimate", "Time Spent")


def _utc(times: pd.Series) -> pd.Series:
    """Naive Berlin wall-clock times as naive UTC (a simulated time in a
    daylight-saving gap moves forward; an ambiguous one takes winter time)."""
    local = times.dt.tz_localize("Europe/Berlin", ambiguous=False, nonexistent="shift_forward")
    return local.dt.tz_convert("UTC").dt.tz_localize(None)


def _export_columns(table: pd.DataFrame, seed: int) -> dict:
    """What the generated exports share: numbers, labels, people, times."""
    rng = np.random.default_rng(seed)
    n = len(table)
    done = ~table["censored"].to_numpy()
    started = pd.Series(table["started_at"].to_numpy(dtype="datetime64[ns]")).dt.floor("s")
    created = started - pd.to_timedelta(rng.integers(0, 3 * 86_400, n), unit="s")
    finished = pd.Series(table["finished_at"].to_numpy(dtype="datetime64[ns]")).dt.floor("s")
    label = table["area"].astype(str).map(AREA_LABELS).to_numpy(dtype=object)
    extra = rng.choice(np.array(["", ", backend", ", customer"], dtype=object), n,
                       p=[0.6, 0.3, 0.1])
    return {
        "number": np.arange(1, n + 1).astype(str).astype(object),
        "done": done, "created": created, "started": started,
        "finished": finished.where(done), "updated": finished.where(done, started),
        "label": label, "labels": label + extra,
        "engineer": table["engineer"].astype(str).to_numpy(dtype=object),
        "points": table["points"].to_numpy(dtype=float),
        "sprint": rng.integers(1, 200, n).astype(str).astype(object),
    }


def write_linear_export(table: pd.DataFrame, path: Path, seed: int = SEED) -> Path:
    """``table`` as Linear's CSV export (:func:`calibrate.io.writers.write_linear_csv`):
    Started is the start of work, labels name the area."""
    from calibrate.io.writers import write_linear_csv

    c = _export_columns(table, seed)
    issues = pd.DataFrame({
        "ID": "ML-" + c["number"], "Team": "Machine Learning",
        "Title": "Improve " + c["label"] + " job number " + c["number"],
        "Status": np.where(c["done"], "Done", "In Progress"), "Estimate": c["points"],
        "Priority": "Medium", "Project": "Platform", "Creator": "ines@example.com",
        "Assignee": c["engineer"] + "@example.com", "Labels": c["labels"],
        "Cycle Number": c["sprint"], "Cycle Name": "",
        "Created": _utc(c["created"]), "Updated": _utc(c["updated"]),
        "Started": _utc(c["started"]), "Completed": _utc(c["finished"]),
    })
    return write_linear_csv(issues, path, timezone="UTC")


def write_gitlab_export(table: pd.DataFrame, path: Path, seed: int = SEED) -> Path:
    """``table`` as GitLab's issues CSV export: times in UTC, the area and
    (for open issues) ``workflow::In Progress`` as labels, Weight the points."""
    c = _export_columns(table, seed)

    def stamp(times: pd.Series) -> pd.Series:
        return _utc(times).dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")

    issues = pd.DataFrame({
        "Issue ID": c["number"],
        "URL": "https://gitlab.com/ml/models/-/issues/" + c["number"],
        "Title": "Improve " + c["label"] + " job number " + c["number"],
        "State": np.where(c["done"], "Closed", "Open"), "Description": "",
        "Author": "Ines Carvalho", "Author Username": "ines",
        "Assignee": c["engineer"], "Assignee Username": c["engineer"],
        "Confidential": "No", "Locked": "No", "Due Date": "",
        "Created At (UTC)": stamp(c["created"]), "Updated At (UTC)": stamp(c["updated"]),
        "Closed At (UTC)": stamp(c["finished"]), "Milestone": "Sprint " + c["sprint"],
        "Weight": pd.Series(c["points"]).map("{:g}".format),
        "Labels": c["labels"] + np.where(c["done"], ", Type::Task",
                                         ", Type::Task, workflow::In Progress"),
        "Time Estimate": "0", "Time Spent": "0",
    }, columns=list(_GITLAB_HEADER))
    issues.to_csv(path, index=False, lineterminator="\n")
    return path


def write_generic_export(table: pd.DataFrame, path: Path, seed: int = SEED) -> Path:
    """``table`` as a spreadsheet of tickets read through ``[columns]``
    (:data:`GENERIC_CONFIG`): minute-stamped local times, an Area column."""
    c = _export_columns(table, seed)

    def stamp(times: pd.Series) -> pd.Series:
        return times.dt.strftime("%Y-%m-%d %H:%M").fillna("")

    pd.DataFrame({
        "Key": "T-" + c["number"], "Summary": "Improve " + c["label"] + " job " + c["number"],
        "Owner": c["engineer"], "Size": pd.Series(c["points"]).map("{:g}".format),
        "Opened": stamp(c["created"]), "Work started": stamp(c["started"]),
        "Done on": stamp(c["finished"]), "Area": table["area"].astype(str).to_numpy(),
        "Tags": c["labels"], "State": np.where(c["done"], "Done", "In Progress"),
        "Outcome": np.where(c["done"], "Done", ""),
    }).to_csv(path, index=False, lineterminator="\n")
    return path


def write_reader_exports(rows: int, engineers: int, directory: Path, *,
                         jira_rows: int | None = None) -> dict[str, dict[str, str]]:
    """Every CSV export of the readers benchmark, of the speed table of that
    size (the Jira export is :func:`benchmarks.data.write_jira_export`'s, of
    ``jira_rows`` tickets): format -> ``{"csv": path, "config": path}``."""
    from calibrate.io import write_tickets

    directory.mkdir(parents=True, exist_ok=True)
    table = speed_table(rows, engineers, SEED)
    labels = directory / "labels.toml"
    labels.write_text(LABELS_CONFIG, encoding="utf-8")
    generic = directory / "generic.toml"
    generic.write_text(GENERIC_CONFIG, encoding="utf-8")
    jira_csv, jira_config, _ = write_jira_export(jira_rows or rows, engineers,
                                                 directory / "jira")
    files = {
        "jira_csv": (jira_csv, jira_config),
        "linear_csv": (write_linear_export(table, directory / "linear.csv"), labels),
        "gitlab_csv": (write_gitlab_export(table, directory / "gitlab.csv"), labels),
        "generic_csv": (write_generic_export(table, directory / "generic.csv"), generic),
        "canonical": (write_tickets(table, directory / "canonical.csv"), None),
    }
    return {name: {"csv": str(csv), "config": str(config) if config else None}
            for name, (csv, config) in files.items()}


# -- measuring the CSV readers ----------------------------------------------
#: Formats of the readers benchmark, in the order of the report.
READERS = ("jira_csv", "linear_csv", "gitlab_csv", "generic_csv", "canonical")

#: The readers before issue #16 (commit c6a7e5f: pandas' CSV parser, Python
#: objects per cell, Python calls per row), measured with
#: :func:`measure_reader` on these same generated exports (100,000 tickets,
#: 1,000 engineers, 3 repeats) on 2026-12-07 on the 2-core benchmark
#: machine, 1-minute load average about 2 (other sessions running): the
#: ratios, not the times, compare with a later run. ``most_calls`` is the
#: largest number of calls of one Python function during one read (about
#: one per row or cell: a Python loop over rows).
BEFORE_READERS = {
    "rows": 100_000, "commit": "c6a7e5f", "measured": "2026-12-07", "load_average": 2.0,
    "formats": {
        "jira_csv": {"read_s": 1.314, "floor_s": 0.147, "ratio": 8.9, "chunks_s": 0.405,
                     "most_calls": 8_234, "top": "pandas' C parser (read)", "top_s": 0.39},
        "linear_csv": {"read_s": 1.283, "floor_s": 0.088, "ratio": 14.5, "chunks_s": 0.394,
                       "most_calls": 600_000, "top": "pandas' C parser (read)",
                       "top_s": 0.257},
        "gitlab_csv": {"read_s": 1.477, "floor_s": 0.079, "ratio": 18.6, "chunks_s": 0.354,
                       "most_calls": 400_000, "top": "pandas' C parser (read)",
                       "top_s": 0.291},
        "generic_csv": {"read_s": 0.928, "floor_s": 0.043, "ratio": 21.8, "chunks_s": 0.174,
                        "most_calls": 400_000,
                        "top": "object strings to Arrow (string_arrow _from_sequence)",
                        "top_s": 0.152},
        "canonical": {"read_s": 1.418, "floor_s": 0.072, "ratio": 19.6, "chunks_s": 0.238,
                      "most_calls": 2_000_000, "top": "per-cell string calls (_str_map)",
                      "top_s": 0.277},
    },
}

#: The 1M-row Jira export of the end-to-end run before issue #16 (commit
#: c6a7e5f), read by :func:`measure_reader` in the same session as
#: :data:`BEFORE_READERS` (one repeat), and its peak RSS in a fresh process.
BEFORE_END_TO_END = {"rows": 1_000_000, "commit": "c6a7e5f", "measured": "2026-12-07",
                     "read_s": 14.652, "floor_s": 2.517, "ratio": 5.8, "chunks_s": 6.836,
                     "peak_mb": 1607.0, "most_calls": 29_276}


def _text_floor(path: str):
    """``pyarrow.csv.read_csv`` of the file as the readers need it parsed:
    every column text, quoted cells that may span lines (the parse floor)."""
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    read = pa_csv.ReadOptions(autogenerate_column_names=True)
    width = len(pa_csv.open_csv(path, read_options=read).schema)
    text = {f"f{i}": pa.large_string() for i in range(width)}
    return pa_csv.read_csv(
        path, read_options=read,
        parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
        convert_options=pa_csv.ConvertOptions(column_types=text, strings_can_be_null=False,
                                              quoted_strings_can_be_null=False))


def _seconds(function) -> float:
    import time

    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def _profile(function, rows: int, top: int = 8) -> dict:
    """cProfile of one call: where the time went, and the largest number of
    calls of one Python function (a Python loop over rows calls one about as
    many times as there are rows)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(function)
    stats = pstats.Stats(profiler).stats
    total = sum(entry[2] for entry in stats.values())
    by_time = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)

    def name(key) -> str:
        file, line, function_name = key
        short = file.split("site-packages/")[-1].split("/src/")[-1]
        return f"{short}:{line}({function_name})" if line else function_name

    python = [(name(key), entry[1]) for key, entry in stats.items() if key[1]]
    most_called = max(python, key=lambda item: item[1], default=("", 0))
    return {"top": [{"function": name(key), "own_s": entry[2]} for key, entry in by_time[:top]],
            "total_s": total, "most_called": most_called[0], "most_calls": most_called[1],
            "rows": rows}


def measure_reader(path: str, export_format: str, config: str | None, repeats: int, *,
                   profile: bool = True) -> dict:
    """In this (fresh) process: the parse floor and ``read_export`` of one file,
    alternated ``repeats`` times after a warm-up read (the minimum of each is
    the least disturbed by other work on the machine), and a profile."""
    import warnings

    from pyarrow import csv as pa_csv

    from calibrate.io import read_export
    from calibrate.io._csv_read import open_csv_export

    def read():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return read_export(path, format=export_format, config=config)

    table = read()
    times: dict[str, list[float]] = {"floor": [], "floor_default": [], "chunks": [], "read": []}
    for _ in range(repeats):
        times["floor"].append(_seconds(lambda: _text_floor(path)))
        times["floor_default"].append(_seconds(lambda: pa_csv.read_csv(path)))
        times["chunks"].append(_seconds(lambda: list(open_csv_export(path))))
        times["read"].append(_seconds(read))
    best = {name: min(values) for name, values in times.items()}
    return {"file_mb": Path(path).stat().st_size / 1e6, "rows_read": table.rows_read,
            "tickets": len(table.tickets), "seconds": times,
            **{f"{name}_s": value for name, value in best.items()},
            "ratio": best["read"] / best["floor"],
            "ratio_default": best["read"] / best["floor_default"],
            "profile": _profile(read, table.rows_read) if profile else None}


def run_readers(rows: int, engineers: int, work: Path, *, repeats: int, log,
                timeout: float = 600.0) -> dict:
    """Every CSV reader on the exports of the speed table of that size, each
    format in its own fresh process."""
    files = write_reader_exports(rows, engineers, work / f"readers_{rows}")
    out = {}
    for name in READERS:
        log(f"speed: {name} reader vs the pyarrow parse floor at {rows:,} rows")
        run = run_module(["benchmarks.speed", "read", json.dumps(
            {"path": files[name]["csv"], "format": name, "config": files[name]["config"],
             "repeats": repeats})], timeout=timeout)
        out[name] = {"status": run.status, "error": run.error, **run.result}
    return out


def run_cli_fit(rows: int, engineers: int, work: Path, *, repeats: int, log,
                timeout: float = 300.0) -> dict:
    """``calibrate fit`` on the Linear export of the speed table of that size,
    as a user runs it (a fresh process each time, start-up included)."""
    import statistics
    import subprocess
    import time

    files = write_reader_exports(rows, engineers, work / f"readers_{rows}")
    script = Path(sys.executable).with_name("calibrate")
    command = ([str(script)] if script.exists()
               else [sys.executable, "-c", "from calibrate.cli import main; main()"])
    out = work / f"cli_fit_{rows}" / "multipliers.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    command += ["fit", files["linear_csv"]["csv"], "--config", files["linear_csv"]["config"],
                "--out", str(out)]
    times = []
    for _ in range(repeats):
        log(f"speed: calibrate fit on the {rows:,}-ticket Linear export")
        started = time.perf_counter()
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired:
            return {"status": "timeout", "error": f"stopped after {timeout:.0f} s"}
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
            return {"status": "failed", "error": lines[-1][-300:]}
    return {"status": "ok", "seconds": times, "median_s": statistics.median(times),
            "min_s": min(times), "command": "calibrate fit linear.csv --config labels.toml "
                                            "--out multipliers.json"}


def main(argv: list[str] | None = None) -> None:
    """``python -m benchmarks.speed read ARGS_JSON``: one reader measured in a
    fresh process (:func:`measure_reader`; see :func:`run_readers`)."""
    from benchmarks._measure import RESULT_PREFIX

    task, args = (argv or sys.argv[1:])[:2]
    args = json.loads(args)
    if task == "read":
        result = measure_reader(args["path"], args["format"], args["config"], args["repeats"],
                                profile=args.get("profile", True))
    else:
        raise SystemExit(f"unknown task {task!r}")
    print(RESULT_PREFIX + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

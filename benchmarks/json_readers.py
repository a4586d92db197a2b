"""The JSON readers at scale: time and peak memory of ``read_export`` on big exports.

``python -m benchmarks.json_readers`` writes (once, into a work folder) a Jira
REST search export of 200,000 issues with changelogs and a GitHub issues list
of 200,000 issues, then reads each with :func:`calibrate.read_export` in a
fresh process and prints the wall time and the peak resident set size of that
process during the read (see :mod:`benchmarks._measure`). For comparison it
also measures what parsing the whole document at once costs (``json.load`` of
the file, nothing else, the garbage collector on as in any program): the
readers stream the JSON (:class:`calibrate.io._json.JsonExport`), so their
peak memory is bounded by the ticket table, not by the document.

The exports are made from :func:`calibrate.datasets.simulate_tickets` (seed
1): the Jira one by :func:`calibrate.io.writers.write_jira_json` (pages of
100 issues, the writer of the bundled sample), each page followed by the
``names`` map a search with ``expand=names`` returns (so the reader has to
resolve field names that come *after* the issues); the GitHub one as ``gh api
--paginate --slurp`` writes it (a list of pages of 100). Writing is set-up,
not measured.

Options: ``--issues N`` (default 200,000), ``--engineers N`` (1,000),
``--work DIR`` (default: a folder in the system's temporary directory, kept
between runs), ``--quick`` (2,000 issues, to test this code),
``--json FILE`` (also write the results as JSON, for the report).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._measure import RESULT_PREFIX, memory_method, run_module

#: The measurements' targets (issue #16): 200k Jira issues with changelogs.
TARGET_SECONDS = 15.0

_AREA_LABELS = {"research": "research", "ml-engineering": "ml-eng",
                "data-engineering": "pipeline"}
_NAMES = {"summary": "Summary", "status": "Status", "assignee": "Assignee",
          "created": "Created", "updated": "Updated", "resolutiondate": "Resolved",
          "labels": "Labels", "components": "Component/s", "issuetype": "Issue Type",
          "customfield_10016": "Story point estimate", "customfield_10020": "Sprint",
          "parent": "Parent"}


# --------------------------------------------------------------------------- data


def _simulated(n_issues: int, n_engineers: int, seed: int):
    from calibrate.datasets import simulate_tickets

    return simulate_tickets(n_issues, n_engineers, seed=seed).tickets


def jira_issues(n_issues: int, n_engineers: int, seed: int = 1):
    """Simulated tickets as the issues frame :func:`~calibrate.io.writers.write_jira_json`
    writes: To Do at creation (up to three days before the start), In
    Progress at the start, Done at the finish (open tickets stay In
    Progress); an estimate at creation, re-estimated after the start for the
    repointed ones."""
    import numpy as np
    import pandas as pd

    table = _simulated(n_issues, n_engineers, seed)
    rng = np.random.default_rng(seed)
    n = len(table)
    started = pd.to_datetime(table["started_at"]).dt.floor("s")
    created = started - pd.to_timedelta(rng.integers(0, 3 * 86_400, n), unit="s")
    finished = pd.to_datetime(table["finished_at"]).dt.floor("s")
    done = ~table["censored"].to_numpy()
    points = table["points"].to_numpy(dtype=float)
    repointed = table["repointed"].to_numpy(dtype=bool)
    areas = table["area"].astype(str).to_numpy()
    engineers = table["engineer"].astype(str).to_numpy()
    status_changes, points_changes = [], []
    for i in range(n):
        moves = [(created[i], None, "To Do"), (started[i], "To Do", "In Progress")]
        if done[i]:
            moves.append((finished[i], "In Progress", "Done"))
        status_changes.append(moves)
        estimates = [(created[i], None, points[i])]
        if repointed[i]:
            estimates.append((started[i] + pd.Timedelta(hours=2), points[i], points[i] * 2))
        points_changes.append(estimates)
    labels = [_AREA_LABELS.get(area, area) for area in areas]
    return pd.DataFrame({
        "key": [f"ML-{i + 1}" for i in range(n)],
        "id": [str(100_000 + i) for i in range(n)],
        "summary": [f"Improve {label} job number {i + 1}" for i, label in enumerate(labels)],
        "issue_type": rng.choice(["Task", "Story", "Bug"], n),
        "status": np.where(done, "Done", "In Progress"),
        "status_category": np.where(done, "Done", "In Progress"),
        "resolution": [("Done" if d else None) for d in done],
        "assignee": engineers,
        "assignee_account_id": ["acct-" + name for name in engineers],
        "assignee_email": [name + "@example.com" for name in engineers],
        "created": created, "updated": finished.where(done, started),
        "resolved": finished.where(done),
        "labels": [[label] for label in labels],
        "components": [[label + "-component"] for label in labels],
        "sprints": [[f"ML Sprint {k}"] for k in rng.integers(1, 200, n)],
        "story_points": points,
        "parent_key": [f"ML-EPIC-{area}" for area in areas],
        "parent_summary": [f"Epic of {area}" for area in areas],
        "status_changes": status_changes, "points_changes": points_changes,
    })


def write_jira_export(path: Path, n_issues: int, n_engineers: int, seed: int = 1) -> Path:
    """The Jira REST search export (pages of 100, ``names`` after each page's issues)."""
    from calibrate.io.writers import write_jira_json

    issues = jira_issues(n_issues, n_engineers, seed)
    sprint_ids = {f"ML Sprint {k}": 1_000 + k for k in range(1, 200)}
    write_jira_json(issues, path, timezone="UTC", sprint_ids=sprint_ids, page_size=100)
    pages = json.loads(path.read_text(encoding="utf-8"))
    for page in pages:
        page["names"] = _NAMES  # as Jira orders the response: after "issues"
    path.write_text(json.dumps(pages, ensure_ascii=False, separators=(",", ":")) + "\n",
                    encoding="utf-8")
    return path


def write_github_export(path: Path, n_issues: int, n_engineers: int, seed: int = 1) -> Path:
    """A GitHub issues list as ``gh api --paginate --slurp`` saves it (pages of 100)."""
    import pandas as pd

    table = _simulated(n_issues, n_engineers, seed)
    created = pd.to_datetime(table["started_at"]).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    closed = pd.to_datetime(table["finished_at"]).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    issues = []
    for i, row in enumerate(table.itertuples(index=False)):
        is_closed = not row.censored
        issues.append({
            "url": f"https://api.github.com/repos/acme/ml/issues/{i + 1}",
            "repository_url": "https://api.github.com/repos/acme/ml",
            "html_url": f"https://github.com/acme/ml/issues/{i + 1}",
            "id": 2_000_000 + i, "number": i + 1,
            "title": f"Improve job number {i + 1}",
            "user": {"login": "reporter", "id": 1, "type": "User"},
            "labels": [{"id": 10, "name": _AREA_LABELS.get(str(row.area), str(row.area)),
                        "color": "ededed", "default": False},
                       {"id": 11, "name": f"points: {row.points:g}", "color": "ededed",
                        "default": False}]
                      + ([] if is_closed else [{"id": 12, "name": "in progress"}]),
            "state": "closed" if is_closed else "open",
            "locked": False,
            "assignee": {"login": str(row.engineer), "id": 3},
            "assignees": [{"login": str(row.engineer), "id": 3}],
            "milestone": None, "comments": 0,
            "created_at": created[i], "updated_at": closed[i] if is_closed else created[i],
            "closed_at": closed[i] if is_closed else None,
            "state_reason": "completed" if is_closed else None,
            "body": "Details of the job follow in the linked document.",
        })
    pages = [issues[start:start + 100] for start in range(0, len(issues), 100)]
    path.write_text(json.dumps(pages, separators=(",", ":")) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- measuring


def measure(path: str, task: str) -> dict:
    """In this (fresh) process: time and peak RSS of reading ``path``.

    ``task`` is ``read_export`` (the reader, format recognised from the file
    as a user's call does) or ``json_load`` (only parsing the whole document
    with the standard library, for comparison).
    """
    from benchmarks._measure import peak_mb, reset_peak, rss_mb

    if task == "read_export":
        import calibrate

        calibrate.read_export  # noqa: B018 - import the readers before measuring
        from calibrate.io import read_export
    before = rss_mb()
    reset_peak()
    started = time.perf_counter()
    if task == "read_export":
        table = read_export(path)
        rows = table.rows_read
        tickets = len(table.tickets)
    else:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        rows = len(document)  # top-level items: pages of issues
        tickets = None
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_mb": peak_mb(), "rss_before_mb": before,
            "rows_read": rows, "tickets": tickets}


def run_json_readers(n_issues: int, n_engineers: int, work: Path, *, log=print,
                     timeout: float = 600.0) -> dict:
    """Write the exports (once) and measure each, every measurement in a fresh process."""
    work.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, writer in (("jira_json", write_jira_export), ("github_json", write_github_export)):
        path = work / f"{name}_{n_issues}_{n_engineers}.json"
        if not path.exists():
            log(f"json readers: writing {n_issues:,} issues as {name}")
            started = time.perf_counter()
            writer(path, n_issues, n_engineers)
            log(f"json readers: written in {time.perf_counter() - started:.0f} s")
        files[name] = path
    results = {"issues": n_issues, "engineers": n_engineers, "memory": memory_method(),
               "target_seconds": TARGET_SECONDS, "formats": {}}
    for name, path in files.items():
        entry = {"file_mb": path.stat().st_size / 2**20}
        for task in ("read_export", "json_load"):
            log(f"json readers: {task} of {path.name}")
            run = _run_here(path, task, timeout)
            entry[task] = {"status": run.status, "error": run.error, **run.result}
        results["formats"][name] = entry
    return results


def _run_here(path: Path, task: str, timeout: float):
    """Run :func:`measure` in a fresh ``python -m benchmarks.json_readers`` process."""
    return run_module(["benchmarks.json_readers", "--measure", str(path), "--task", task],
                      timeout=timeout)


def markdown(results: dict) -> str:
    """The results as a Markdown section (for ``benchmarks.md``)."""
    lines = [f"## JSON readers: {results['issues']:,} issues",
             "",
             f"Peak memory: {results['memory']}.",
             "",
             "| export | file | read_export | peak RSS | json.load alone | its peak RSS |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, entry in results["formats"].items():
        ours, theirs = entry["read_export"], entry["json_load"]
        lines.append(
            f"| {name} | {entry['file_mb']:.0f} MB | {_seconds(ours)} | {_memory(ours)} "
            f"| {_seconds(theirs)} | {_memory(theirs)} |")
    return "\n".join(lines) + "\n"


def _seconds(entry: dict) -> str:
    return f"{entry['seconds']:.1f} s" if entry.get("status") == "ok" else entry["status"]


def _memory(entry: dict) -> str:
    return f"{entry['peak_mb']:.0f} MB" if entry.get("status") == "ok" else "-"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.json_readers",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--issues", type=int, default=200_000)
    parser.add_argument("--engineers", type=int, default=1_000)
    parser.add_argument("--work", type=Path,
                        default=Path(tempfile.gettempdir()) / "calibrate-json-benchmark")
    parser.add_argument("--quick", action="store_true", help="2,000 issues, to test the code")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the worker's side
    parser.add_argument("--task", default="read_export", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.measure:
        print(RESULT_PREFIX + json.dumps(measure(options.measure, options.task)), flush=True)
        return
    issues, engineers = (2_000, 50) if options.quick else (options.issues, options.engineers)
    results = run_json_readers(issues, engineers, options.work,
                               log=lambda text: print(text, file=sys.stderr, flush=True))
    if options.json:
        options.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(markdown(results))


if __name__ == "__main__":
    main()

"""Beyond one machine's memory: the fit of 10 million tickets from sums.

``python -m benchmarks.streaming`` writes (once, into a work folder) a
company's history: 10,000,000 canonical tickets of 50,000 engineers, as
Parquet files of 500,000 tickets each, never holding more than one file's
tickets in memory. Each file is drawn by
:func:`calibrate.datasets.simulate_tickets` with its own seed (so each
draws its own engineer effects for the same 50,000 names: the numbers
measure the cost, not the accuracy), over a history long enough that a few
tickets are open, plus 0.5% abandoned open tickets; ticket ids are
numbered across files. Writing is set-up, not measured.

Then, each in a fresh process (:func:`benchmarks._measure.run_module`), it
measures the wall time per stage and the peak resident set size of that
process (see :mod:`benchmarks._measure`):

- ``stream``: :func:`calibrate.streaming.read_ticket_chunks` over the
  folder and :meth:`TicketSums.from_chunks
  <calibrate.streaming.TicketSums.from_chunks>` (reading, checking and
  summing, one pass), then :meth:`Calibrator.fit_sums
  <calibrate.model.Calibrator.fit_sums>` and the multipliers table (what
  ``calibrate fit FOLDER`` writes);
- ``sql``: :meth:`TicketSums.from_sql <calibrate.streaming.TicketSums.from_sql>`
  with DuckDB in memory over ``read_parquet('FOLDER/*.parquet')`` (``calibrate
  fit --sql``), then the same fit.

Target (issue #16): under 2 GB of peak memory. Options: ``--tickets N``
(default 10,000,000), ``--engineers N`` (50,000), ``--work DIR`` (default:
a folder in the system's temporary directory, kept between runs),
``--quick`` (20,000 tickets, to test this code), ``--json FILE`` (also
write the results as JSON).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._measure import RESULT_PREFIX, memory_method, run_module

#: The target of issue #16: the streamed fit of 10M tickets in bounded memory.
TARGET_PEAK_MB = 2048.0
#: Tickets per Parquet file (and per draw of the simulation).
FILE_TICKETS = 500_000
#: The run's sizes: full, and tiny for the test suite.
FULL = {"tickets": 10_000_000, "engineers": 50_000, "timeout": 3600.0}
QUICK = {"tickets": 20_000, "engineers": 200, "timeout": 600.0}


# --------------------------------------------------------------------------- data


def write_history(folder: Path, n_tickets: int, n_engineers: int, *, log=print) -> Path:
    """Write ``n_tickets`` canonical tickets as Parquet files into ``folder`` (once:
    a folder that holds them already is kept), one file in memory at a time."""
    import pandas as pd

    from calibrate.datasets import simulate_tickets
    from calibrate.io import write_tickets

    done = folder / "COMPLETE"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    files = max(1, -(-n_tickets // FILE_TICKETS))
    per_file = -(-n_tickets // files)
    # As the speed benchmark's tables: about four working days per ticket and
    # engineer, so open tickets are the few started in the last days.
    history_days = max(250.0, n_tickets / n_engineers * 4.0)
    first_id = 1
    for index in range(files):
        size = min(per_file, n_tickets - index * per_file)
        started = time.perf_counter()
        table = simulate_tickets(size, n_engineers, seed=10_000 + index,
                                 history_days=history_days, abandoned=0.005).tickets
        table["ticket_id"] = pd.array([f"T-{first_id + i}" for i in range(len(table))],
                                      dtype=pd.StringDtype())
        first_id += len(table)
        write_tickets(table, folder / f"tickets-{index:04d}.parquet")
        log(f"streaming: wrote file {index + 1}/{files} ({len(table):,} tickets) in "
            f"{time.perf_counter() - started:.1f} s")
        del table
    done.write_text(f"{first_id - 1}\n", encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- measuring


def measure(folder: str, task: str) -> dict:
    """In this (fresh) process: time per stage and peak RSS of the fit from sums.

    ``task`` is ``stream`` (the Parquet files read in chunks and summed here)
    or ``sql`` (DuckDB in memory sums them with the generated queries).
    """
    from benchmarks._measure import peak_mb, reset_peak, rss_mb
    from calibrate.model import Calibrator
    from calibrate.streaming import TicketSums, read_ticket_chunks

    before = rss_mb()
    reset_peak()
    stages = {}
    started = time.perf_counter()
    if task == "stream":
        sums = TicketSums.from_chunks(read_ticket_chunks(folder))
    else:
        sums = TicketSums.from_sql(f"SELECT * FROM read_parquet('{folder}/*.parquet')",
                                   "duckdb://")
    stages["sums_s"] = time.perf_counter() - started
    sums_peak = peak_mb()
    mark = time.perf_counter()
    calibrator = Calibrator().fit_sums(sums)
    stages["fit_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    records = calibrator.result_.multipliers.records
    stages["multipliers_s"] = time.perf_counter() - mark
    return {
        "seconds": time.perf_counter() - started, **stages,
        "peak_mb": peak_mb(), "sums_peak_mb": sums_peak, "rss_before_mb": before,
        "tickets": sums.n_tickets, "open": len(sums.open_tickets),
        "groups": len(sums.finished), "engineers": len(calibrator.engineers_),
        "records": len(records), "em_iterations": calibrator.em_iterations_,
        "converged": calibrator.converged_,
    }


def run_streaming(plan: dict, work: Path, *, log=print) -> dict:
    """Write the history (once) and measure both paths, each in a fresh process."""
    folder = work / f"history_{plan['tickets']}_{plan['engineers']}"
    started = time.perf_counter()
    write_history(folder, plan["tickets"], plan["engineers"], log=log)
    files = sorted(folder.glob("*.parquet"))
    results = {"tickets": plan["tickets"], "engineers": plan["engineers"],
               "files": len(files), "data_mb": sum(f.stat().st_size for f in files) / 2**20,
               "memory": memory_method(), "target_peak_mb": TARGET_PEAK_MB,
               "write_s": time.perf_counter() - started, "paths": {}}
    for task in ("stream", "sql"):
        log(f"streaming: {task} fit of {plan['tickets']:,} tickets")
        run = run_module(["benchmarks.streaming", "--measure", str(folder), "--task", task],
                         timeout=plan["timeout"])
        results["paths"][task] = {"status": run.status, "error": run.error, **run.result}
        if run.status == "ok":
            log(f"streaming: {task}: {run.result['seconds']:.0f} s, peak "
                f"{run.result['peak_mb']:.0f} MB")
        else:
            log(f"streaming: {task} {run.status}: {run.error}")
    return results


def markdown(results: dict) -> str:
    """The results as a Markdown section (for ``benchmarks.md``)."""
    lines = [f"## Beyond memory: {results['tickets']:,} tickets, "
             f"{results['engineers']:,} engineers, fitted from sums",
             "",
             f"{results['files']} Parquet files, {results['data_mb']:.0f} MB. Peak memory: "
             f"{results['memory']}; target under {results['target_peak_mb']:.0f} MB.",
             "",
             "| path | sums | fit | multipliers | total | peak RSS | groups | open | status |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    names = {"stream": "Parquet folder read in chunks (`calibrate fit DIR`)",
             "sql": "DuckDB over the files (`calibrate fit --sql`)"}
    for task, entry in results["paths"].items():
        if entry.get("status") != "ok":
            lines.append(f"| {names[task]} | - | - | - | - | - | - | - | {entry.get('status')} |")
            continue
        met = "met" if entry["peak_mb"] < results["target_peak_mb"] else (
            f"missed by {entry['peak_mb'] - results['target_peak_mb']:.0f} MB")
        lines.append(
            f"| {names[task]} | {entry['sums_s']:.1f} s | {entry['fit_s']:.1f} s "
            f"| {entry['multipliers_s']:.1f} s | {entry['seconds']:.1f} s "
            f"| {entry['peak_mb']:.0f} MB | {entry['groups']:,} | {entry['open']:,} | {met} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.streaming",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=FULL["tickets"])
    parser.add_argument("--engineers", type=int, default=FULL["engineers"])
    parser.add_argument("--work", type=Path,
                        default=Path(tempfile.gettempdir()) / "calibrate-streaming-benchmark")
    parser.add_argument("--quick", action="store_true", help="20,000 tickets, to test the code")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the worker's side
    parser.add_argument("--task", default="stream", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.measure:
        print(RESULT_PREFIX + json.dumps(measure(options.measure, options.task)), flush=True)
        return
    plan = dict(QUICK) if options.quick else {**FULL, "tickets": options.tickets,
                                              "engineers": options.engineers}
    results = run_streaming(plan, options.work,
                            log=lambda text: print(text, file=sys.stderr, flush=True))
    if options.json:
        options.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(markdown(results))


if __name__ == "__main__":
    main()

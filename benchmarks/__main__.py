"""``python -m benchmarks``: run every benchmark and write the report.

Writes ``reports/benchmarks.md``, ``reports/benchmarks/*.png``,
``reports/benchmarks/results.json`` and the Performance block of
``README.md``; the ``real_data`` section (:mod:`benchmarks.real_data`) adds
its section to ``benchmarks.md``, writes ``reports/real_data.md`` and its own
README block. ``--quick`` runs tiny sizes in seconds (to test this code; the
README is then left alone unless ``--readme`` is given, and the real
histories are not read). ``--render-only`` measures nothing: it writes the
report and the README block again from ``OUT/benchmarks/results.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import real_data, streaming
from benchmarks._measure import ROOT, memory_method
from benchmarks.accuracy import run_accuracy
from benchmarks.backtest import run_backtest
from benchmarks.json_readers import run_json_readers
from benchmarks.machine import machine_info
from benchmarks.report import RESULTS_NAME, load_results, write_outputs
from benchmarks.scaling import run_scaling
from benchmarks.speed import run_end_to_end, run_speed
from benchmarks.startup import run_startup

#: The full run: sized for under 15 minutes on a 2-core machine.
FULL = {
    "speed": [
        {"rows": 10_000, "engineers": 50, "repeats": 7},
        {"rows": 100_000, "engineers": 1_000, "repeats": 5},
        {"rows": 1_000_000, "engineers": 5_000, "repeats": 3},
    ],
    "mixedlm_timeout": 180.0,
    "end_to_end": {"rows": 1_000_000, "engineers": 5_000, "timeout": 150.0, "report": True,
                   "backtest": {"rows": 1_000_000, "engineers": 5_000, "timeout": 300.0}},
    "scaling": {
        "rows": [10_000, 30_000, 100_000, 300_000, 1_000_000], "fixed_engineers": 1_000,
        "engineers": [50, 200, 1_000, 5_000, 20_000], "fixed_rows": 100_000,
        "repeats": 5, "repeats_large": 3, "mixedlm": True, "mixedlm_timeout": 120.0,
        "mixedlm_max": {"rows": 1_000_000, "engineers": 20_000},
        "large_from": {"rows": 100_000, "engineers": 1_000},
    },
    "accuracy": {
        "seeds": [1, 2, 3, 4, 5], "engineers": 100, "origins": 4,
        "censor_seeds": [1, 2, 3, 4, 5], "censor_engineers": 60, "censor_tickets": 6_000,
        "censor_history_days": 7.0,
    },
    "startup": {"repeats": 7, "report_repeats": 3},
    "json_readers": {"issues": 200_000, "engineers": 1_000},
}

#: Tiny sizes: seconds, for the test suite.
QUICK = {
    "speed": [{"rows": 3_000, "engineers": 30, "repeats": 2}],
    "mixedlm_timeout": 60.0,
    "end_to_end": {"rows": 3_000, "engineers": 30, "timeout": 120.0, "report": False,
                   "backtest": {"rows": 3_000, "engineers": 30, "timeout": 120.0}},
    "scaling": {
        "rows": [2_000, 4_000], "fixed_engineers": 20,
        "engineers": [10, 20], "fixed_rows": 3_000,
        "repeats": 1, "repeats_large": 1, "mixedlm": False, "mixedlm_timeout": 60.0,
        "mixedlm_max": {"rows": 0, "engineers": 0},
        "large_from": {"rows": 2_000, "engineers": 10},
    },
    "accuracy": {
        "seeds": [1, 2], "engineers": 12, "origins": 2,
        "censor_seeds": [1], "censor_engineers": 12, "censor_tickets": 1_000,
        "censor_history_days": 7.0,
    },
    "startup": {"repeats": 1, "report_repeats": 0},
    "json_readers": {"issues": 2_000, "engineers": 50},
}

SECTIONS = ("startup", "speed", "end_to_end", "json_readers", "streaming", "scaling", "accuracy",
            "real_data")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (seconds)")
    parser.add_argument("--out", type=Path, default=ROOT / "reports",
                        help="directory for benchmarks.md and benchmarks/ (default: reports)")
    parser.add_argument("--readme", type=Path, default=None,
                        help="README to update (default: README.md, except with --quick)")
    parser.add_argument("--no-readme", action="store_true", help="leave the README alone")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"comma-separated subset of {', '.join(SECTIONS)}")
    parser.add_argument("--render-only", action="store_true",
                        help="measure nothing: rewrite the report (and the README block) "
                             "from OUT/benchmarks/results.json")
    options = parser.parse_args(argv)
    if options.render_only:
        return _render(options)
    sections = [s.strip() for s in options.sections.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    readme = options.readme
    if readme is None and not options.quick:
        readme = ROOT / "README.md"
    if options.no_readme or set(sections) != set(SECTIONS):
        readme = None  # the README quotes complete runs only
    plan = QUICK if options.quick else FULL

    started = time.perf_counter()
    load_before = _load_average()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f} s] {message}", file=sys.stderr, flush=True)

    results: dict = {}
    loads: dict[str, list[float | None]] = {}
    with tempfile.TemporaryDirectory(prefix="calibrate-bench-") as work:
        work = Path(work)
        if "startup" in sections:
            with _load_during("startup", loads):
                results["startup"] = run_startup(plan["startup"], work, log=log)
        if "speed" in sections:
            with _load_during("speed", loads):
                results["speed"] = run_speed(plan["speed"], work,
                                             mixedlm_timeout=plan["mixedlm_timeout"], log=log)
        if "end_to_end" in sections:
            e2e = plan["end_to_end"]
            with _load_during("end_to_end", loads):
                results["end_to_end"] = run_end_to_end(
                    e2e["rows"], e2e["engineers"], work, timeout=e2e["timeout"],
                    report=e2e["report"], log=log)
                checks = e2e["backtest"]
                results["end_to_end"]["backtest"] = run_backtest(
                    checks["rows"], checks["engineers"], work, timeout=checks["timeout"],
                    log=log)
        if "json_readers" in sections:
            json_plan = plan["json_readers"]
            with _load_during("json_readers", loads):
                results["json_readers"] = run_json_readers(
                    json_plan["issues"], json_plan["engineers"], work / "json", log=log)
        if "streaming" in sections:
            with _load_during("streaming", loads):
                results["streaming"] = streaming.run_streaming(
                    streaming.QUICK if options.quick else streaming.FULL, work / "streaming",
                    log=log)
        if "scaling" in sections:
            with _load_during("scaling", loads):
                results["scaling"] = run_scaling(plan["scaling"], work, log=log)
        if "accuracy" in sections:
            with _load_during("accuracy", loads):
                results["accuracy"] = run_accuracy(plan["accuracy"], log=log)
    # Real histories: aggregate scores only, kept out of results.json.
    real = real_data.run(quick=options.quick, log=log) if "real_data" in sections else None
    markdown_path = options.out / "benchmarks.md"
    previous = (real_data.block_in(markdown_path.read_text(encoding="utf-8"))
                if markdown_path.exists() else None)
    results["meta"] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "quick": options.quick,
        "sections": sections,
        "complete": set(sections) == set(SECTIONS),
        "total_s": time.perf_counter() - started,
        "machine": machine_info(),
        "memory_method": memory_method(),
        "load_average": [load_before, _load_average()],
        "section_load_average": loads,
        "command": "python -m benchmarks" + (" --quick" if options.quick else ""),
    }
    path = write_outputs(results, options.out, readme)
    if real is not None:
        # The README quotes the real histories only from a full (not quick) run.
        real_data.write_outputs(real, options.out, None if options.quick else readme)
    elif previous:
        real_data.insert_section(path, previous)  # keep the last measured section
    log(f"wrote {path}" + (f" and the Performance block of {readme}" if readme else ""))
    return 0


def _render(options: argparse.Namespace) -> int:
    """Write ``benchmarks.md``, the plots and the README block again from the
    stored results (after a change of the report's code), keeping the
    real-data section that ``benchmarks.md`` holds."""
    results = load_results(options.out / "benchmarks" / RESULTS_NAME)
    readme = options.readme
    if readme is None and not results["meta"].get("quick"):
        readme = ROOT / "README.md"
    if options.no_readme or not results["meta"].get("complete", True):
        readme = None
    markdown_path = options.out / "benchmarks.md"
    previous = (real_data.block_in(markdown_path.read_text(encoding="utf-8"))
                if markdown_path.exists() else None)
    path = write_outputs(results, options.out, readme)
    if previous:
        real_data.insert_section(path, previous)
    print(f"wrote {path}" + (f" and the Performance block of {readme}" if readme else ""),
          file=sys.stderr)
    return 0


@contextmanager
def _load_during(section: str, loads: dict) -> Iterator[None]:
    """Record the load average at the start and end of a section into ``loads``."""
    before = _load_average()
    yield
    loads[section] = [before, _load_average()]


def _load_average() -> float | None:
    """The 1-minute load average: other work on the machine slows the measurements."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


if __name__ == "__main__":
    sys.exit(main())

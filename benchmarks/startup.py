"""Start-up and everyday commands: how long a user waits for the small things.

``import calibrate``, ``calibrate --help`` and ``calibrate --version`` answer
from the command line without importing pandas, scipy, pandera or the PDF
printer (the package imports its public names lazily); ``calibrate report``
on the bundled sample is timed with and without the PDF (``--no-pdf`` is for
iterating on a configuration). Each command runs in a fresh process, as a
user runs it; the median of the repeats is reported.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks._measure import ROOT

SAMPLE = ROOT / "data" / "sample"


def _calibrate_command() -> list[str]:
    """The installed ``calibrate`` script beside this interpreter (else ``-m``)."""
    script = Path(sys.executable).with_name("calibrate")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from calibrate.cli import main; main()"]


def _time(command: list[str], repeats: int) -> dict:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                                   check=False)
        times.append(time.perf_counter() - started)
        if completed.returncode != 0:
            return {"status": "failed", "error": completed.stderr.strip()[-500:],
                    "median_s": None, "runs": len(times)}
    return {"status": "ok", "median_s": statistics.median(times), "min_s": min(times),
            "runs": len(times)}


def run_startup(plan: dict, work: Path, *, log: Callable[[str], None]) -> dict:
    """Time the start-up commands and the sample report.

    ``plan`` holds ``repeats`` (start-up commands) and ``report_repeats``
    (the sample report, with and without the PDF; 0 skips it).
    """
    calibrate = _calibrate_command()
    results: dict = {}
    for name, command in (
        ("import calibrate", [sys.executable, "-c", "import calibrate"]),
        ("calibrate --help", [*calibrate, "--help"]),
        ("calibrate --version", [*calibrate, "--version"]),
    ):
        log(f"start-up: {name}")
        results[name] = _time(command, plan["repeats"])
    if plan["report_repeats"]:
        report = [*calibrate, "report", str(SAMPLE / "jira_changelog.json"), "--config",
                  str(SAMPLE / "calibrate.toml")]
        for name, extra in (("sample report without the PDF", ["--no-pdf"]),
                            ("sample report with the PDF", [])):
            log(f"start-up: {name}")
            out = work / name.replace(" ", "-")
            results[name] = _time([*report, "--out", str(out), *extra], plan["report_repeats"])
    return results

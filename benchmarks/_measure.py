"""Measuring: memory of the current process, and running a measurement in a
fresh process with a wall-clock limit.

Memory is the resident set size (RSS) of the measuring process, from
``/proc/self/status`` (Linux): ``VmHWM`` is its high-water mark. Writing 5
to ``/proc/self/clear_refs`` resets the mark to the current RSS, so the peak
*during* one call can be read — it includes what was resident before the call
(interpreter, libraries, the data), i.e. it is what the machine must hold.
Where ``/proc`` is not available, the lifetime peak from
``resource.getrusage`` is used and the report says so.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULT_PREFIX = "RESULT:"
STAGE_PREFIX = "STAGE:"


def _status_kb(key: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_mb() -> float | None:
    """Current resident set size, in MB (None where /proc is missing)."""
    kb = _status_kb("VmRSS")
    return None if kb is None else kb / 1024


def reset_peak() -> bool:
    """Reset the RSS high-water mark to the current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def peak_mb() -> float:
    """RSS high-water mark since the last :func:`reset_peak` (or process start), in MB."""
    kb = _status_kb("VmHWM")
    if kb is not None:
        return kb / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def memory_method() -> str:
    if _status_kb("VmHWM") is not None and reset_peak():
        return ("peak resident set size (VmHWM) of the measuring process, reset just before "
                "the measured call (/proc/self/clear_refs)")
    return "lifetime peak resident set size of the measuring process (getrusage)"


@dataclass
class Run:
    """Outcome of one measurement in a subprocess."""

    status: str  # "ok", "timeout", "failed"
    seconds: float
    result: dict = field(default_factory=dict)
    stages: list[dict] = field(default_factory=list)
    error: str = ""


def run_worker(task: str, args: dict, *, timeout: float) -> Run:
    """Run ``python -m benchmarks._worker`` for one task, with a time limit.

    The worker prints ``STAGE:`` lines as it goes (kept when it is stopped by
    the limit) and one ``RESULT:`` line at the end.
    """
    return run_module(["benchmarks._worker", task, json.dumps(args)], timeout=timeout)


def run_module(arguments: list[str], *, timeout: float) -> Run:
    """Run ``python -m ARGUMENTS...`` in a fresh process with this checkout on the
    path and a time limit; read its ``STAGE:`` lines and its ``RESULT:`` line."""
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + ([environment["PYTHONPATH"]] if environment.get("PYTHONPATH") else []))
    command = [sys.executable, "-m", *arguments]
    started = time.perf_counter()
    try:
        completed = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True,
                                   text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as expired:
        output = expired.stdout or ""
        if isinstance(output, bytes):
            output = output.decode("utf-8", errors="replace")
        return Run("timeout", time.perf_counter() - started, stages=_stages(output),
                   error=f"stopped after {timeout:.0f} s")
    seconds = time.perf_counter() - started
    stages = _stages(completed.stdout)
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return Run("ok", seconds, json.loads(line[len(RESULT_PREFIX):]), stages)
    tail = (completed.stderr or completed.stdout).strip().splitlines()[-5:]
    return Run("failed", seconds, stages=stages,
               error=f"exit status {completed.returncode}: " + " | ".join(tail))


def _stages(output: str) -> list[dict]:
    return [json.loads(line[len(STAGE_PREFIX):]) for line in output.splitlines()
            if line.startswith(STAGE_PREFIX)]

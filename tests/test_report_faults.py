"""The report directory under faults (issue #17 items 9-11, 14).

Whatever stops a run — SIGKILL, SIGTERM or SIGHUP between any two of its
writing steps or at any stage, a write the system refuses — the output
directory holds one complete run (every file of its marker, each with the
marker's checksum), and no unfinished directory remains after the next run.

The kills between every pair of steps run the writing part in a forked copy
of this process (``_write_report``: the same code ``calibrate report`` runs,
without refitting and redrawing for each of the 30-odd cases); real
``calibrate report`` processes are then killed at a few steps through the
test-only ``CALIBRATE_TEST_STOP_AFTER`` hook, and signalled at every stage
they print.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

import calibrate.io._atomic as atomic
import calibrate.report as report_module
from calibrate import Calibrator, read_export
from calibrate.cli import cli
from calibrate.datasets import simulate_tickets
from calibrate.errors import CalibrationWarning, OutputError
from calibrate.io import write_tickets
from calibrate.report import REPORT_FILES, REPORT_MARKER, build_html, render_report

pytestmark = pytest.mark.skipif(os.name != "posix", reason="signals and fork are POSIX's")

CALIBRATE = Path(sys.executable).parent / "calibrate"
RUN_A = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
RUN_B = dt.datetime(2026, 1, 6, 10, 45, tzinfo=dt.UTC)
#: The writing steps, in order (see calibrate.report._write_report).
STEPS = ("staging", "report.html", "report.pdf", "multipliers", "tickets.csv", "excluded.csv",
         "marker", "synced", "swapped", "cleaned")


# -- helpers ---------------------------------------------------------------------------------


def one_complete_run(out: Path) -> dict:
    """The marker of the run ``out`` holds, having checked that ``out`` holds
    exactly that run's files, each whole (its checksum is the marker's)."""
    marker = json.loads((out / REPORT_MARKER).read_text(encoding="utf-8"))
    assert sorted(p.name for p in out.iterdir()) == sorted([*marker["files"], REPORT_MARKER])
    for name, digest in marker["files"].items():
        assert "sha256:" + hashlib.sha256((out / name).read_bytes()).hexdigest() == digest, name
    assert set(marker["files"]) in ({*REPORT_FILES}, {*REPORT_FILES} - {"report.pdf"})
    return marker


def leftovers(out: Path) -> list[str]:
    """Unfinished or set-aside directories of runs beside ``out``, or inside it."""
    beside = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
    inside = [p.name for p in out.glob(".partial-*")] if out.is_dir() else []
    return beside + inside


def fake_pdf(html: str, path: Path) -> Path:
    """A stand-in for WeasyPrint (seconds per run): bytes that depend on the page."""
    path.write_bytes(b"%PDF-1.4 stand-in " + hashlib.sha256(html.encode()).hexdigest().encode())
    return path


def in_child(action, env: dict[str, str] | None = None, timeout: float = 60) -> int:
    """Run ``action`` in a forked copy of this process; its wait status."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 0
        try:
            os.environ.update(env or {})
            action()
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 99
        finally:
            os._exit(code)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the child process hung")
        time.sleep(0.005)


@dataclasses.dataclass
class Run:
    """What one report run writes (the expensive part done once)."""

    html: str
    multipliers: object
    generated_at: dt.datetime


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A small export, its table, and the inputs of two runs A and B."""
    folder = tmp_path_factory.mktemp("faults")
    export = write_tickets(simulate_tickets(120, 2, seed=0).tickets, folder / "export.csv")
    table = read_export(export)
    with warnings.catch_warnings():  # two engineers: the fit says it is thin
        warnings.simplefilter("ignore", CalibrationWarning)
        result = Calibrator().fit(table).result_

    html = build_html(table, result, files=REPORT_FILES, generated_at=RUN_A)

    def run(when: dt.datetime) -> Run:
        # The pages of two runs differ in their "Generated" line only (drawn once).
        page = html.replace(f"Generated {RUN_A:%Y-%m-%d %H:%M} UTC",
                            f"Generated {when:%Y-%m-%d %H:%M} UTC")
        multipliers = dataclasses.replace(result.multipliers,
                                          created_at=f"{when:%Y-%m-%dT%H:%M:%SZ}")
        return Run(page, multipliers, when)

    assert run(RUN_B).html != html
    return {"export": export, "table": table, "folder": folder, "A": run(RUN_A),
            "B": run(RUN_B)}


def write(small, run: Run, out: Path, pdf: bool = True) -> dict[str, Path]:
    return report_module._write_report(out, html=run.html, pdf=pdf, multipliers=run.multipliers,
                                       table=small["table"], generated_at=run.generated_at,
                                       say=lambda message: None)


@pytest.fixture
def report_a(small, tmp_path, monkeypatch):
    """A directory holding run A, complete; returns it and A's marker."""
    monkeypatch.setattr(report_module, "write_pdf", fake_pdf)
    out = tmp_path / "team"
    write(small, small["A"], out)
    return out, one_complete_run(out)


# -- killed between every pair of writing steps ----------------------------------------------


@pytest.mark.parametrize("signame", ["SIGKILL", "SIGTERM", "SIGHUP"])
@pytest.mark.parametrize("step", STEPS)
def test_a_run_stopped_after_any_step_leaves_one_complete_run(small, report_a, step, signame):
    out, marker_a = report_a
    status = in_child(lambda: write(small, small["B"], out),
                      env={"CALIBRATE_TEST_STOP_AFTER": step,
                           "CALIBRATE_TEST_STOP_SIGNAL": signame})
    signum = getattr(signal, signame)
    if signame == "SIGKILL":
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signum, status
    else:  # stopped cleanly: exit status 128 + the signal's number, as a shell says it
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 128 + signum, status
    marker = one_complete_run(out)
    swapped = STEPS.index(step) >= STEPS.index("swapped")
    assert marker["generated_at"] == (f"{RUN_B:%Y-%m-%dT%H:%M:%SZ}" if swapped
                                      else marker_a["generated_at"])
    if not swapped:
        assert marker == marker_a
    if signame != "SIGKILL":  # a catchable signal: cleaned up on the way out
        assert leftovers(out) == []
    # The next run removes whatever the killed one left.
    write(small, small["A"], out, pdf=False)
    assert leftovers(out) == []
    assert "report.pdf" not in one_complete_run(out)["files"]


@pytest.mark.parametrize("step", STEPS)
def test_a_first_run_killed_after_any_step_leaves_no_report_or_a_complete_one(
        small, tmp_path, monkeypatch, step):
    monkeypatch.setattr(report_module, "write_pdf", fake_pdf)
    out = tmp_path / "new"
    status = in_child(lambda: write(small, small["B"], out),
                      env={"CALIBRATE_TEST_STOP_AFTER": step})
    assert os.WIFSIGNALED(status), status
    if STEPS.index(step) >= STEPS.index("swapped"):
        one_complete_run(out)
    else:
        assert not out.exists()
    write(small, small["A"], out)
    assert leftovers(out) == []
    assert one_complete_run(out)["generated_at"] == f"{RUN_A:%Y-%m-%dT%H:%M:%SZ}"


def test_without_an_atomic_exchange_a_kill_between_the_renames_is_undone(
        small, report_a, monkeypatch):
    # Where renameat2(RENAME_EXCHANGE) is missing, the old directory is renamed
    # aside and the new one into place; a kill between the two leaves no
    # report directory, and the next run puts the old one back first.
    out, marker_a = report_a
    monkeypatch.setattr(atomic, "_exchange", lambda first, second: False)
    rename = os.rename

    def rename_then_die(source, destination):
        rename(source, destination)
        if Path(source) == out:
            os.kill(os.getpid(), signal.SIGKILL)

    def killed_run():
        monkeypatch.setattr(atomic.os, "rename", rename_then_die)
        write(small, small["B"], out)

    assert os.WIFSIGNALED(in_child(killed_run))
    assert not out.exists() and len(leftovers(out)) == 2  # the old run aside, the new one
    atomic.remove_abandoned(out)
    assert one_complete_run(out) == marker_a and leftovers(out) == []
    # And without a kill the fallback replaces the directory too.
    write(small, small["B"], out)
    assert one_complete_run(out)["generated_at"] == f"{RUN_B:%Y-%m-%dT%H:%M:%SZ}"
    assert leftovers(out) == []


def test_a_directory_a_live_run_is_writing_is_left_alone(small, report_a):
    out, _ = report_a
    busy = out.parent / f".{out.name}.partial-{os.getpid()}-0123abcd"
    busy.mkdir()
    lock = atomic._lock(busy)
    try:
        write(small, small["B"], out)
        assert busy.exists()  # locked: another run of this report is writing it
    finally:
        atomic._unlock(lock)
    shutil.rmtree(busy)


# -- real `calibrate report` processes -------------------------------------------------------


def calibrate_report(small, out: Path, *extra: str,
                     env: dict[str, str] | None = None) -> subprocess.Popen:
    """A real `calibrate report` process (one thread of numerics: several run at once)."""
    one_thread = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                         "MKL_NUM_THREADS")}
    return subprocess.Popen(
        [str(CALIBRATE), "report", str(small["export"]), "--out", str(out), "--no-backtest",
         *extra], env={**os.environ, **one_thread, **(env or {})}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)


def copies(source: Path, names) -> list[Path]:
    """Copies of a report directory, one per name."""
    outs = [source.parent / "copies" / name for name in names]
    for out in outs:
        shutil.copytree(source, out)
    return outs


def test_calibrate_report_killed_after_the_swap_and_the_next_run(small, report_a):
    # Killed once the new directory is swapped in, before the old one is removed
    # (the fork tests above kill at every step; this is the real command).
    source, marker_a = report_a
    (out,) = copies(source, ("team",))
    process = calibrate_report(small, out, "--no-pdf", "--cap-days", "4",
                               env={"CALIBRATE_TEST_STOP_AFTER": "swapped"})
    process.communicate(timeout=120)
    assert process.returncode == -signal.SIGKILL
    marker = one_complete_run(out)  # the new report, whole
    assert "report.pdf" not in marker["files"]
    assert json.loads((out / "multipliers.json").read_text())["model"]["cap_days"] == 4
    assert leftovers(out)  # the old report, not yet removed
    write(small, small["A"], out)  # the next run removes it
    assert one_complete_run(out) == marker_a
    assert leftovers(out) == []


STAGES = ("reading", "fitting the model", "drawing the plots", "printing the PDF",
          "writing the data files")


def test_calibrate_report_stopped_by_sigterm_or_sighup_at_every_stage(small, report_a):
    source, marker_a = report_a
    cases = [(stage, signame) for stage in STAGES for signame in ("SIGTERM", "SIGHUP")]
    outs = copies(source, [f"{signame}-{stage.replace(' ', '-')}" for stage, signame in cases])
    outcome: dict[tuple[str, str], tuple[int, str]] = {}

    def signal_at(stage: str, signame: str, out: Path) -> None:
        # The PDF only where its stage is the one signalled: the slow part.
        process = calibrate_report(small, out, *(() if stage == "printing the PDF"
                                                 else ("--no-pdf",)), "--cap-days", "4")
        seen = []
        for line in process.stderr:
            seen.append(line)
            if line.startswith(stage) or f"] {stage}" in line:
                process.send_signal(getattr(signal, signame))
                break
        rest = process.communicate(timeout=120)[1]
        outcome[stage, signame] = process.returncode, "".join(seen) + rest

    threads = [threading.Thread(target=signal_at, args=(*case, out))
               for case, out in zip(cases, outs, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for (stage, signame), out in zip(cases, outs, strict=True):
        returncode, stderr = outcome[stage, signame]
        signum = getattr(signal, signame)
        # Killed by the signal before writing began, stopped cleanly while
        # writing (one line, no traceback), or done before it arrived.
        assert returncode in (-signum, 128 + signum, 0), (stage, signame, stderr)
        assert "Traceback" not in stderr, stderr
        if returncode == 128 + signum:
            assert f"calibrate: stopped by {signame}" in stderr
        marker = one_complete_run(out)
        if returncode != 0 and stage != "writing the data files":
            assert marker == marker_a, (stage, signame)
        assert leftovers(out) == [], (stage, signame, leftovers(out))


# -- writes the system refuses ---------------------------------------------------------------


@pytest.mark.parametrize(("code", "reason", "advice"), [
    (errno.EACCES, "Permission denied", "permission"),
    (errno.EROFS, "Read-only file system", "read-only"),
    (errno.ENOSPC, "No space left on device", "free some space"),
    (errno.EDQUOT, "Disk quota exceeded", "quota"),
    (errno.EFBIG, "File too large", "ulimit -f"),
])
def test_a_refused_write_names_the_file_and_the_reason(small, report_a, monkeypatch, code,
                                                       reason, advice):
    out, marker_a = report_a

    def refused(html, path):
        raise OSError(code, reason, str(path))

    monkeypatch.setattr(report_module, "write_pdf", refused)
    with pytest.raises(OutputError) as caught:
        write(small, small["B"], out)
    message = str(caught.value)
    assert message.startswith(f"cannot write {out / 'report.pdf'}: {reason} "
                              f"[{errno.errorcode[code]}]; {out} is unchanged"), message
    assert advice in message.lower()
    assert one_complete_run(out) == marker_a and leftovers(out) == []


def test_a_file_system_turning_read_only_does_not_hide_the_error(small, report_a, monkeypatch):
    # The clean-up fails too (EROFS): the message is still the write's, with a note.
    out, marker_a = report_a

    def refused(html, path):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    def rmtree(path, *args, **kwargs):
        if not kwargs.get("ignore_errors"):
            raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(report_module, "write_pdf", refused)
    monkeypatch.setattr(atomic.shutil, "rmtree", rmtree)
    with pytest.raises(OutputError) as caught:
        write(small, small["B"], out)
    assert str(caught.value).startswith(f"cannot write {out / 'report.pdf'}: Read-only")
    assert any("could not be removed either" in note for note in caught.value.__notes__)
    assert one_complete_run(out) == marker_a
    monkeypatch.undo()
    write(small, small["A"], out)  # writable again: the next run cleans up
    assert leftovers(out) == []


def test_a_file_too_large_for_the_process_limit_is_exit_2_and_one_message(small, tmp_path):
    # A real refusal by the kernel, root or not: RLIMIT_FSIZE (ulimit -f) makes
    # writing past 64 kB fail with EFBIG (Python ignores SIGXFSZ).
    out = tmp_path / "team"
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, hard))
    try:
        result = CliRunner().invoke(cli, ["report", str(small["export"]), "--out", str(out),
                                          "--no-backtest", "--no-pdf"], prog_name="calibrate")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert f"calibrate: error: cannot write {out / 'report.html'}: File too large [EFBIG]" \
        in result.stderr
    assert "ulimit -f" in result.stderr
    assert not out.exists() and leftovers(out) == []


# -- what the report directory may hold ------------------------------------------------------


def test_a_folder_with_other_files_is_refused_before_the_work(small, tmp_path):
    out = tmp_path / "team"
    out.mkdir()
    (out / "notes.md").write_text("my notes")
    (out / "report.html").write_text("an old page")
    result = CliRunner().invoke(cli, ["report", str(small["export"]), "--out", str(out),
                                      "--no-backtest", "--no-pdf"], prog_name="calibrate")
    assert result.exit_code == 2, result.output
    assert f"{out} holds files that are not a calibrate report's: notes.md" in result.stderr
    assert "fitting" not in result.stderr  # said before the slow part
    assert sorted(p.name for p in out.iterdir()) == ["notes.md", "report.html"]


def test_an_earlier_report_directory_is_replaced_whole_and_stays_a_real_directory(
        small, tmp_path, monkeypatch):
    # A report from before the marker (as reports/sample/, tracked by git), with
    # an unfinished directory an older calibrate left in it: accepted, and
    # replaced by a real directory (not a link) with the same permissions.
    monkeypatch.setattr(report_module, "write_pdf", fake_pdf)
    out = tmp_path / "sample"
    out.mkdir()
    for name in REPORT_FILES:
        (out / name).write_text("an older run's")
    (out / ".partial-k2j4h5_x").mkdir()
    out.chmod(0o750)
    written = write(small, small["A"], out)
    assert out.is_dir() and not out.is_symlink()
    assert out.stat().st_mode & 0o777 == 0o750
    assert set(written) == set(REPORT_FILES)
    assert one_complete_run(out)["generated_at"] == f"{RUN_A:%Y-%m-%dT%H:%M:%SZ}"
    assert leftovers(out) == []


def test_a_linked_report_directory_stays_a_link(small, tmp_path, monkeypatch):
    monkeypatch.setattr(report_module, "write_pdf", fake_pdf)
    real = tmp_path / "runs" / "team"
    real.parent.mkdir()
    write(small, small["A"], real)
    link = tmp_path / "team"
    link.symlink_to(real, target_is_directory=True)
    write(small, small["B"], link)
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert one_complete_run(real)["generated_at"] == f"{RUN_B:%Y-%m-%dT%H:%M:%SZ}"
    assert leftovers(real) == []


# -- one clock value per run (item 14) -------------------------------------------------------


def test_two_runs_at_the_same_time_write_the_same_bytes(small, tmp_path):
    table = small["table"]
    first = render_report(table, tmp_path / "first", with_backtest=False, pdf=False,
                          generated_at=RUN_A)
    second = render_report(table, tmp_path / "second", with_backtest=False, pdf=False,
                           generated_at=RUN_A)
    for name, path in first.items():
        assert path.read_bytes() == second[name].read_bytes(), name
    assert (tmp_path / "first" / REPORT_MARKER).read_bytes() == \
        (tmp_path / "second" / REPORT_MARKER).read_bytes()
    html = first["report.html"].read_text(encoding="utf-8")
    assert "Generated 2026-01-05 09:30 UTC" in html
    created = json.loads(first["multipliers.json"].read_text())["created_at"]
    assert created == "2026-01-05T09:30:00Z"

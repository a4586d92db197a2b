"""The calibration report: one HTML page and the same as PDF, for a team lead.

:func:`render_report` runs the whole job on a ticket table — fit, backtest,
drift, plots — and writes into a directory:

``report.html``
    a single self-contained page (plots inline as SVG, no network fetches)
``report.pdf``
    the same page printed by WeasyPrint (not with ``pdf=False``)
``multipliers.json``, ``multipliers.csv``
    the multipliers file for planners (:mod:`calibrate.export`)
``tickets.csv``, ``excluded.csv``
    the canonical ticket table and the rows left out, with reasons

and ``.calibrate-report``, which marks the directory as a report and lists
its files with their SHA-256 checksums (:data:`REPORT_MARKER`).

The report owns its directory: each run writes a complete new directory
beside it and swaps it in as one unit (:func:`calibrate.io._atomic.atomic_directory`),
so the directory always holds one complete run — the previous one until the
new one is complete, however the run ends (an error, Ctrl-C, SIGTERM, SIGHUP,
or SIGKILL, whose leftovers the next run removes). A directory holding files
a report did not write is refused (:class:`~calibrate.errors.OutputError`)
rather than emptied. A write the system refuses (no permission, read-only,
disk full, file too large) is an :class:`~calibrate.errors.OutputError`
naming the file and the reason.

The page opens with a plain-language summary that a lead can read alone — on
one page of the PDF: where the team's rule — a reference-size ticket within
the cap — breaks and by how much, the other findings (how durations grow with
points, ...), the recommended ticket sizes of the combinations most at risk,
and how well the forecasts held up in the backtest against the strongest
baseline. Then the plots (a tall figure of a large team in panels of a group
of engineers, each fitting a page), "Skills and coverage" (who is clearly fast
in each area, who its recent work rests on, the areas with no one; with
declared skill profiles, ``skills=``, also what the declared levels are worth,
where the tickets contradict them, how fast new members ramp up and what
hiring someone strong in each area would save: :mod:`calibrate.skill_gaps`),
the tables, and the method and data quality. Engineer x area numbers resting on fewer
than ``min_tickets`` finished tickets are suppressed ("too few tickets").

With a sprint plan (``calibrate report ... --plan PLAN.csv``), a "Sprint
plan" section follows the summary: the chance the whole plan fits, each
engineer's load against their capacity, the tickets likely over the cap and
how to split them, a suggested assignment beside the plan, and a heat map of
what moving each ticket would cost (:mod:`calibrate.plan`, on the fitted
result). The report's files stay the same; ``calibrate plan`` writes the
plan's.

Lead time is not work time: when the export records no start of work, the
summary opens by saying so and how to get cycle time, and verdicts are given
only against a lead-time cap (``lead_cap_days``), when one is set — never
against the team's work cap (see
:attr:`calibrate.export.Multipliers.verdict_cap`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import signal
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pandas as pd

from calibrate._version import __version__
from calibrate.backtest import BacktestResult, DriftResult, backtest, drift
from calibrate.errors import CalibrationWarning, InputError, OutputError
from calibrate.export import Multipliers, write_multipliers
from calibrate.io._atomic import atomic_directory, output_error
from calibrate.io.canonical import write_tickets
from calibrate.model import Calibrator
from calibrate.privacy import pseudonymize as pseudonymize_table
from calibrate.report._common import BACKTEST_NOT_RUN
from calibrate.report._context import build_context
from calibrate.report._figures import prepare_drawing
from calibrate.report._forked import can_fork, in_background, map_forked
from calibrate.report._plan import (
    PLAN_DRAWS,
    known_to_privacy,
    plan_inputs,
    pseudonymized_plan,
)
from calibrate.results import CalibrationResult
from calibrate.skills import SkillProfiles
from calibrate.tickets import TicketTable

__all__ = ["REPORT_FILES", "REPORT_MARKER", "StageCallback", "build_html", "render_report",
           "write_pdf"]

#: The files a report directory holds.
REPORT_FILES = ("report.html", "report.pdf", "multipliers.json", "multipliers.csv",
                "tickets.csv", "excluded.csv")

#: The file that marks a directory as a calibrate report (so that a new run may
#: replace it): JSON with the calibrate version, the run's time and the SHA-256
#: of each of the run's files.
REPORT_MARKER = ".calibrate-report"

#: :func:`render_report`'s ``progress``: called with a short message as each
#: stage starts. Not :data:`calibrate.io.Progress`, which reading calls with
#: the bytes read and the file's size.
StageCallback = Callable[[str], None]


def build_html(table: TicketTable, result: CalibrationResult, *,
               backtest_result: BacktestResult | None = None,
               drift_result: DriftResult | None = None, min_tickets: int = 5,
               pseudonymized: bool = False, fit_warnings: list[str] | None = None,
               max_engineers: int = 40, files: Sequence[str] = (),
               generated_at: dt.datetime | None = None, plan=None, capacity=None,
               sprint_days: float = 10) -> str:
    """The report as one self-contained HTML string (no I/O).

    ``files`` are the names of the files written beside the page, which it
    lists (none: the page lists no files). ``generated_at`` is the time the
    page says it was generated (now, by default; a time without a time zone
    is taken as local time); the same inputs and time give the same page.
    With a ``plan`` (and ``capacity``, ``sprint_days``: see
    :func:`render_report`) the page has a "Sprint plan" section; the plan's
    engineers must be named as in ``table`` (pseudonyms included).

    Examples
    --------
    >>> from calibrate import Calibrator, read_export
    >>> from calibrate.report import build_html
    >>> table = read_export("data/sample/jira_changelog.json",
    ...                     config="data/sample/calibrate.toml")
    >>> html = build_html(table, Calibrator().fit(table).result_)
    >>> "Where the 3-point assumption breaks" in html
    True
    """
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    environment = Environment(
        loader=PackageLoader("calibrate", "report/templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"),
                                     default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    if plan is not None:
        plan, capacity = plan_inputs(plan, capacity, sprint_days=sprint_days,
                                     points_scale=result.multipliers.points_scale)
    context = build_context(table, result, backtest_result=backtest_result,
                            drift_result=drift_result, min_tickets=min_tickets,
                            pseudonymized=pseudonymized, fit_warnings=fit_warnings or [],
                            max_engineers=max_engineers, generated_at=generated_at,
                            plan=plan, capacity=capacity, sprint_days=sprint_days)
    context["files"] = list(files)
    return environment.get_template("report.html.j2").render(**context)


def write_pdf(html: str, path: Path) -> Path:
    """Print the HTML to PDF with WeasyPrint (no network: everything is inline)."""
    import logging

    from weasyprint import HTML

    # WeasyPrint logs every CSS property it does not support; not news to a user.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    HTML(string=html, base_url=None).write_pdf(path)
    return path


def render_report(
    table: TicketTable,
    out_dir: str | Path,
    *,
    calibrator: Calibrator | None = None,
    pseudonymize: bool = False,
    pseudonym_key: str | None = None,
    min_tickets: int = 5,
    max_engineers: int = 40,
    with_backtest: bool = True,
    progress: StageCallback | None = None,
    lead_cap_days: float | None = None,
    points_scale: dict[str, float] | None = None,
    pdf: bool = True,
    generated_at: dt.datetime | None = None,
    plan: pd.DataFrame | None = None,
    capacity=None,
    sprint_days: float = 10,
    skills: SkillProfiles | None = None,
) -> dict[str, Path]:
    """Fit, check and write the full report for a ticket table.

    Parameters
    ----------
    table : TicketTable
        From :func:`calibrate.read_export`.
    out_dir : str or Path
        The report's directory (created if needed; its folder must exist).
        Its whole content is replaced, as one unit, when the new report is
        complete; until then it holds the previous report. It must hold
        nothing but a report's files (an :class:`~calibrate.errors.OutputError`
        otherwise, before anything is computed).
    calibrator : Calibrator, optional
        Model settings (cap, confidence, ...); ``Calibrator()`` by default.
    pseudonymize : bool
        Replace engineers by pseudonyms, and known people's names in all
        text (see :mod:`calibrate.privacy`).
    pseudonym_key : str, optional
        Key of the pseudonyms (see :mod:`calibrate.privacy`); a random one
        when omitted, so the pseudonyms cannot be recomputed from names.
    min_tickets : int
        Engineer x area numbers on fewer finished tickets are suppressed in
        the report.
    max_engineers : int
        A larger team is shown in the report through the engineers with the
        most finished tickets (all engineers stay in the data files).
    with_backtest : bool
        Run the rolling-origin backtest and the drift view (the slow part).
    progress : StageCallback, optional
        Called as ``progress(message)`` with a short message as each stage
        starts (reading's byte counts are :func:`calibrate.read_export`'s).
    lead_cap_days : float, optional
        The cap lead time (creation to done) is judged against, in working
        days; without one, lead-time durations get no overrun verdicts.
        Unused when the durations are cycle time (the calibrator's
        ``cap_days`` applies).
    points_scale : dict, optional
        The t-shirt scale the export was read with (a config's
        ``points_scale``), recorded in ``multipliers.json`` so that planners
        can predict sizes such as ``"M"``.
    pdf : bool
        Print the page to ``report.pdf`` (the slow part after the backtest).
        Without it no ``report.pdf`` is written, and an earlier one in
        ``out_dir`` is removed: it would not match the new page.
    generated_at : datetime, optional
        The run's time (now, by default): the page's "Generated" line and the
        multipliers file's ``created_at`` — the only things that differ
        between two runs on the same input — come from this one value.
    plan : DataFrame, optional
        A sprint plan (see :func:`calibrate.plan.plan_frame`; e.g. from
        :func:`calibrate.io.backlog.read_plan`): adds a "Sprint plan"
        section — the chance the whole plan fits, each engineer's expected
        working days, 80% range and chance of finishing within capacity,
        the tickets likely over the cap with a suggested split, a suggested
        assignment beside the plan, and what moving each ticket would cost
        (:func:`~calibrate.plan.check_plan`,
        :func:`~calibrate.plan.reassignment_costs` and
        :func:`~calibrate.plan.suggest_assignment` on the fitted result, on
        the same 10,000 simulated sprints, seed 0). It is checked before
        anything is fitted; sizes such as ``"M"`` are read with
        ``points_scale``. With ``pseudonymize`` its engineers get the
        table's pseudonyms and its titles and areas the same replacement of
        names as the table's text. No file is written for it (``calibrate
        plan`` writes the plan's files).
    capacity : None, mapping or DataFrame
        With ``plan``: each engineer's available working days in the sprint
        (see :func:`calibrate.plan.capacity_series`); default ``sprint_days``
        each.
    sprint_days : float, default 10
        With ``plan``: working days in the sprint.
    skills : SkillProfiles, optional
        Declared levels and start dates of the table's engineers
        (:mod:`calibrate.skills`), named as in the export: the model is
        fitted with them (``Calibrator.fit(table, skills=..., ramp_up="auto")``)
        and the multipliers file carries their level effects and ramp-up.
        Checked against the table before anything is fitted; with
        ``pseudonymize`` their engineers get the table's pseudonyms
        (:meth:`~calibrate.skills.SkillProfiles.pseudonymized`). The
        backtest and the drift view refit with them too (at each origin,
        the engineers and areas then known; see "Declared skills" in
        :mod:`calibrate.backtest`).

    Returns
    -------
    dict
        File name -> path of every file written (those of
        :data:`REPORT_FILES`, less ``report.pdf`` without ``pdf``).

    Raises
    ------
    InputError
        When ``plan`` or ``capacity`` is invalid (every bad row listed), or
        ``skills`` names an engineer or area the table does not have (all
        listed), before anything is fitted.
    OutputError
        When ``out_dir`` holds files a report did not write, or the system
        refuses a write (no permission, read-only file system, disk full,
        file too large); ``out_dir`` is then unchanged.
    calibrate.errors.Terminated
        When SIGTERM or SIGHUP arrives while the files are written (a
        :class:`SystemExit` with status 128 + the signal's number), after
        the unfinished files are removed; ``out_dir`` is then unchanged.
    """
    say = progress or (lambda message: None)
    out_dir = Path(out_dir)
    generated_at = (generated_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    # Before the slow part: a folder that is not the report's is refused now.
    _check_out_dir(out_dir)
    if plan is not None:
        plan, capacity = plan_inputs(plan, capacity, sprint_days=sprint_days,
                                     points_scale=points_scale)
    if skills is not None:
        skills.check_against(table)  # with the names as written, not their pseudonyms
    calibrator = calibrator or Calibrator()
    if pseudonymize:
        say("replacing engineers' names by pseudonyms")
        if plan is not None:
            table = known_to_privacy(table, plan, capacity)
        table, names = pseudonymize_table(table, key=pseudonym_key)
        if plan is not None:
            plan, capacity = pseudonymized_plan(plan, capacity, names)
        if skills is not None:
            skills = skills.pseudonymized(names)
    say(f"fitting the model to {len(table.tickets)} tickets")
    fit_warnings: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CalibrationWarning)
        result = Calibrator(**calibrator.get_params()).fit(table, skills=skills,
                                                           ramp_up="auto").result_
    if lead_cap_days is not None:
        result = result.with_lead_cap(lead_cap_days)
    fit_warnings += [str(w.message) for w in caught if issubclass(w.category, CalibrationWarning)]
    backtest_result = drift_result = None
    if with_backtest:
        say("backtesting: refitting at several past dates, and fitting successive "
            "windows for the drift view")
        backtest_result, drift_result = _checks(table, calibrator, say, fit_warnings,
                                                skills=skills, pdf=pdf)
    files = [name for name in REPORT_FILES if pdf or name != "report.pdf"]
    say((f"checking the sprint plan on {PLAN_DRAWS:,} simulated sprints, "
         if plan is not None else "") + "drawing the plots and writing the page")
    html = build_html(table, result, backtest_result=backtest_result,
                      drift_result=drift_result, min_tickets=min_tickets,
                      pseudonymized=pseudonymize, fit_warnings=fit_warnings,
                      max_engineers=max_engineers, files=files, generated_at=generated_at,
                      plan=plan, capacity=capacity, sprint_days=sprint_days)
    multipliers = dataclasses.replace(result.multipliers.with_points_scale(points_scale),
                                      created_at=f"{generated_at:%Y-%m-%dT%H:%M:%SZ}")
    return _write_report(out_dir, html=html, pdf=pdf, multipliers=multipliers, table=table,
                         generated_at=generated_at, say=say)


def _write_report(out_dir: Path, *, html: str, pdf: bool, multipliers: Multipliers,
                  table: TicketTable, generated_at: dt.datetime,
                  say: StageCallback) -> dict[str, Path]:
    """Write a report's files into a new directory and swap it in for ``out_dir``.

    The steps, each reported to :func:`_reached` as it completes: the new
    directory (``staging``), ``report.html``, ``multipliers`` (the JSON and
    the CSV), ``tickets.csv``, ``excluded.csv``, ``report.pdf`` (printed
    meanwhile on another core where there is one: :func:`in_background`),
    the ``marker``, the files flushed to disk (``synced``), the swap
    (``swapped``), the old run removed (``cleaned``).
    """
    files = [name for name in REPORT_FILES if pdf or name != "report.pdf"]
    if pdf:
        say("printing the PDF")
    # Forked before the new directory exists, so that the copy holds none of its locks.
    with (_printing(html) if pdf else contextlib.nullcontext()) as print_pdf, \
            atomic_directory(out_dir, shown=out_dir, reached=_reached) as staging:

        def write(step: str, writer: Callable[[Path], object]) -> None:
            # Name the file the user asked for, not the temporary one, and
            # say that the report directory is as it was.
            name = {"multipliers": "multipliers.json", "marker": REPORT_MARKER}.get(step, step)
            try:
                writer(staging / name)
            except OSError as error:
                if error.errno is None:
                    raise
                raise output_error(out_dir / _final_name(error.filename, staging, name),
                                   error, unchanged=out_dir if out_dir.exists() else None) \
                    from error
            except OutputError as error:
                cause = error.__cause__
                if not isinstance(cause, OSError):
                    raise
                shown = _final_name(error.path, staging, name)
                refused = output_error(out_dir / shown, cause,
                                       unchanged=out_dir if out_dir.exists() else None)
                for note in getattr(error, "__notes__", ()):
                    refused.add_note(note)
                raise refused from cause
            _reached(step)

        write("report.html", lambda path: path.write_text(html, encoding="utf-8"))
        say("writing the data files")
        write("multipliers", lambda path: write_multipliers(multipliers, path))
        write("tickets.csv", lambda path: write_tickets(table.tickets, path))
        write("excluded.csv", lambda path: write_tickets(table.excluded, path))
        if pdf:
            write("report.pdf", print_pdf)
        # Files may have appeared in the folder during the run: they would be lost.
        _check_out_dir(out_dir)
        write("marker", lambda path: _write_marker(path, files, generated_at))
    return {name: out_dir / name for name in files}


@contextlib.contextmanager
def _printing(html: str) -> Iterator[Callable[[Path], None]]:
    """Start printing the page to PDF; yield a function that writes the PDF to a path.

    Where :func:`in_background` forks, a forked copy prints it (while this
    process writes the data files: each takes seconds on a large table) into
    an unnamed temporary file, which leaves nothing behind however the run
    ends; the function copies it. Elsewhere the function prints it.
    """
    if not can_fork():
        yield lambda path: write_pdf(html, path)
        return
    with tempfile.TemporaryFile() as printed, \
            in_background(lambda: write_pdf(html, Path(f"/proc/self/fd/{printed.fileno()}"))
                          ) as done:

        def copy(path: Path) -> None:
            done()  # (printed here if the copy could not)
            printed.seek(0)
            with open(path, "wb") as target:
                shutil.copyfileobj(printed, target)

        yield copy


def _reached(step: str) -> None:
    """Called as each writing step completes.

    Test-only hook: with the environment variable ``CALIBRATE_TEST_STOP_AFTER``
    set to a step's name, the process sends itself ``CALIBRATE_TEST_STOP_SIGNAL``
    (``SIGKILL`` by default) right after that step, so that the fault tests
    (tests/test_report_faults.py) can stop a real ``calibrate report`` between
    any two steps. Not a setting for users.
    """
    if os.environ.get("CALIBRATE_TEST_STOP_AFTER") == step:
        signum = getattr(signal, os.environ.get("CALIBRATE_TEST_STOP_SIGNAL", "SIGKILL"))
        os.kill(os.getpid(), signum)


def _final_name(written: str | os.PathLike | None, staging: Path, default: str) -> str:
    """The report file a path in the staging directory stands for (a
    temporary ``.NAME.HEX.partial`` file stands for NAME)."""
    if written is None or Path(written).parent != staging:
        return default
    name = Path(written).name
    match = re.fullmatch(r"\.(.+)\.[0-9a-f]{32}\.partial", name)
    return match[1] if match else name


def _write_marker(path: Path, files: Sequence[str], generated_at: dt.datetime) -> None:
    """The marker: a report's files and their checksums, for a later run and for people."""
    sums = {name: "sha256:" + hashlib.sha256((path.parent / name).read_bytes()).hexdigest()
            for name in files}
    marker = {"written_by": "calibrate report", "version": __version__,
              "generated_at": f"{generated_at:%Y-%m-%dT%H:%M:%SZ}", "files": sums}
    path.write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


def _ours(name: str) -> bool:
    """Whether an entry of a report directory is one a report run writes or
    left (an older calibrate's temporary ``.partial-*`` folder or file)."""
    return (name in REPORT_FILES or name == REPORT_MARKER
            or re.fullmatch(r"\.partial-[A-Za-z0-9_]+", name) is not None
            or re.fullmatch(r"\.(.+)\.[0-9a-f]{32}\.partial", name) is not None)


def _check_out_dir(out_dir: Path) -> None:
    """Refuse a report directory that is a file, or holds files a report did not write.

    A new run replaces the whole directory: another file in it would be lost.
    """
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise OutputError(f"{out_dir} is a file, not a directory for the report's files",
                          hint="Give a directory (new, or one a report was written to).",
                          path=out_dir)
    try:
        foreign = sorted(name for name in os.listdir(out_dir) if not _ours(name))
    except OSError as error:
        raise output_error(out_dir, error, doing="read") from error
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5
                                          else "")
        raise OutputError(
            f"{out_dir} holds files that are not a calibrate report's: {shown}",
            hint="Each run replaces the report directory as a whole, so they would be lost. "
                 "Move them elsewhere, or give another --out (a new or empty directory, or "
                 "an earlier report's).", path=out_dir)


def _checks(table: TicketTable, calibrator: Calibrator, say: StageCallback,
            notes: list[str], *, skills: SkillProfiles | None = None, pdf: bool = False,
            ) -> tuple[BacktestResult | None, DriftResult | None]:
    """The backtest and the drift view, side by side on two cores when there are two.

    Neither depends on the other, and each is a series of refits; run one
    after the other they were a third of a small report's time. Each
    returns its own notes: a forked copy's effects are lost. With
    ``skills`` both refit the model the report fits (declared levels and
    ramp-up), so that they check that model. Meanwhile this process loads
    the plotting library and, with ``pdf``, WeasyPrint (:func:`_prepare`).
    """
    checks = {
        "backtest": (lambda: backtest(table, calibrator=calibrator, progress=say,
                                      skills=skills), BACKTEST_NOT_RUN),
        "drift": (lambda: drift(table, calibrator=calibrator, progress=say, skills=skills),
                  "drift view not shown"),
    }

    def run(name: str) -> tuple[object, list[str]]:
        compute, failure = checks[name]
        own: list[str] = []
        return _optional(compute, failure, own), own

    # This process loads the libraries meanwhile: the figures and the PDF come next.
    (backtest_result, backtest_notes), (drift_result, drift_notes) = map_forked(
        run, list(checks), beside=lambda: _prepare(pdf=pdf))
    notes += backtest_notes + drift_notes
    return backtest_result, drift_result


def _prepare(*, pdf: bool) -> None:
    """Load what drawing the figures needs and, with ``pdf``, WeasyPrint (half
    a second), on a core that would otherwise wait (see :func:`_checks`)."""
    prepare_drawing()
    if pdf:
        import weasyprint  # noqa: F401


def _optional(compute: Callable, failure: str, notes: list[str]):
    """Run an optional check; if the data are too thin for it, say so in the report."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CalibrationWarning)
            return compute()
    except InputError as error:
        notes.append(f"{failure}: {error.summary}")
        return None

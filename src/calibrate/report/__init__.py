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

All files are written to a temporary directory first and moved into place
only when every one of them is complete, so a failed run leaves no partial
report behind and does not clobber an earlier one.

The page opens with a plain-language summary that a lead can read alone — on
one page of the PDF: where the team's rule — a reference-size ticket within
the cap — breaks and by how much, the other findings (how durations grow with
points, ...), the recommended ticket sizes of the combinations most at risk,
and how well the forecasts held up in the backtest against the strongest
baseline. Then the plots (a tall figure of a large team in panels of a group
of engineers, each fitting a page), the tables, and the method and data
quality. Engineer x area numbers resting on fewer
than ``min_tickets`` finished tickets are suppressed ("too few tickets").

Lead time is not work time: when the export records no start of work, the
summary opens by saying so and how to get cycle time, and verdicts are given
only against a lead-time cap (``lead_cap_days``), when one is set — never
against the team's work cap (see
:attr:`calibrate.export.Multipliers.verdict_cap`).
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from calibrate.backtest import BacktestResult, DriftResult, backtest, drift
from calibrate.errors import CalibrationWarning, InputError
from calibrate.export import write_multipliers
from calibrate.io.canonical import write_tickets
from calibrate.model import Calibrator
from calibrate.privacy import pseudonymize as pseudonymize_table
from calibrate.report._common import BACKTEST_NOT_RUN
from calibrate.report._context import build_context
from calibrate.results import CalibrationResult
from calibrate.tickets import TicketTable

__all__ = ["REPORT_FILES", "StageCallback", "build_html", "render_report", "write_pdf"]

#: The files a report directory holds.
REPORT_FILES = ("report.html", "report.pdf", "multipliers.json", "multipliers.csv",
                "tickets.csv", "excluded.csv")

#: :func:`render_report`'s ``progress``: called with a short message as each
#: stage starts. Not :data:`calibrate.io.Progress`, which reading calls with
#: the bytes read and the file's size.
StageCallback = Callable[[str], None]


def build_html(table: TicketTable, result: CalibrationResult, *,
               backtest_result: BacktestResult | None = None,
               drift_result: DriftResult | None = None, min_tickets: int = 5,
               pseudonymized: bool = False, fit_warnings: list[str] | None = None,
               max_engineers: int = 40, files: Sequence[str] = ()) -> str:
    """The report as one self-contained HTML string (no I/O).

    ``files`` are the names of the files written beside the page, which it
    lists (none: the page lists no files).

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
    context = build_context(table, result, backtest_result=backtest_result,
                            drift_result=drift_result, min_tickets=min_tickets,
                            pseudonymized=pseudonymized, fit_warnings=fit_warnings or [],
                            max_engineers=max_engineers)
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
) -> dict[str, Path]:
    """Fit, check and write the full report for a ticket table.

    Parameters
    ----------
    table : TicketTable
        From :func:`calibrate.read_export`.
    out_dir : str or Path
        Directory to write into (created if needed). Existing files of the
        same names are replaced only when the new report is complete.
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

    Returns
    -------
    dict
        File name -> path of every file written (those of
        :data:`REPORT_FILES`, less ``report.pdf`` without ``pdf``).
    """
    say = progress or (lambda message: None)
    out_dir = Path(out_dir)
    calibrator = calibrator or Calibrator()
    if pseudonymize:
        say("replacing engineers' names by pseudonyms")
        table, _ = pseudonymize_table(table, key=pseudonym_key)
    say(f"fitting the model to {len(table.tickets)} tickets")
    fit_warnings: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CalibrationWarning)
        result = Calibrator(**calibrator.get_params()).fit(table).result_
    if lead_cap_days is not None:
        result = result.with_lead_cap(lead_cap_days)
    fit_warnings += [str(w.message) for w in caught if issubclass(w.category, CalibrationWarning)]
    backtest_result = drift_result = None
    if with_backtest:
        say("backtesting: refitting at several past dates")
        backtest_result = _optional(lambda: backtest(table, calibrator=calibrator, progress=say),
                                    BACKTEST_NOT_RUN, fit_warnings)
        say("fitting successive windows for the drift view")
        drift_result = _optional(lambda: drift(table, calibrator=calibrator, progress=say),
                                 "drift view not shown", fit_warnings)
    files = [name for name in REPORT_FILES if pdf or name != "report.pdf"]
    say("drawing the plots and writing the page")
    html = build_html(table, result, backtest_result=backtest_result,
                      drift_result=drift_result, min_tickets=min_tickets,
                      pseudonymized=pseudonymize, fit_warnings=fit_warnings,
                      max_engineers=max_engineers, files=files)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".partial-") as staging:
        staging = Path(staging)
        (staging / "report.html").write_text(html, encoding="utf-8")
        if pdf:
            say("printing the PDF")
            write_pdf(html, staging / "report.pdf")
        say("writing the data files")
        write_multipliers(result.multipliers.with_points_scale(points_scale),
                          staging / "multipliers.json")
        write_tickets(table.tickets, staging / "tickets.csv")
        write_tickets(table.excluded, staging / "excluded.csv")
        # Everything is complete: move it into place (an atomic rename per file).
        written = {}
        for name in files:
            target = out_dir / name
            os.replace(staging / name, target)
            written[name] = target
        if not pdf:  # an earlier report's PDF would contradict the new page
            (out_dir / "report.pdf").unlink(missing_ok=True)
    return written


def _optional(compute: Callable, failure: str, notes: list[str]):
    """Run an optional check; if the data are too thin for it, say so in the report."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CalibrationWarning)
            return compute()
    except InputError as error:
        notes.append(f"{failure}: {error.summary}")
        return None

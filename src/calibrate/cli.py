"""The ``calibrate`` command line.

Input problems (:class:`~calibrate.errors.InputError`) become a short message
on stderr and exit status 2; ``--verbose`` shows the traceback instead.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import click

from calibrate._version import __version__
from calibrate.errors import CalibrationWarning, InputError

EXIT_INPUT_ERROR = 2

_format_option = click.option(
    "--format", "format_name", default=None, metavar="NAME",
    help="Export format (jira_csv, jira_json, linear_csv, gitlab_csv, github_json, canonical, "
         "generic_csv). Recognised from the file when omitted.",
)
_config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Settings file (calibrate.toml): calendar, area rules, points scale, statuses.",
)
_as_of_option = click.option(
    "--as-of", default=None, metavar="TIME",
    help="When the export was taken (e.g. 2024-06-30T18:00); open tickets are censored "
         "there. Default: the latest time in the export.",
)
_verbose_option = click.option("--verbose", is_flag=True, help="Show tracebacks on errors.")


def _cap_options(command: Callable) -> Callable:
    """--cap-days and --confidence: the team's cap and the confidence to fit it."""
    command = click.option(
        "--confidence", type=float, default=0.8, show_default=True,
        help="Required probability of a ticket fitting the cap, for recommended sizes.",
    )(command)
    return click.option("--cap-days", type=float, default=3.0, show_default=True,
                        help="The team's cap on one ticket's work, in working days (cycle "
                             "time is judged against it; lead time is not).")(command)


_lead_cap_option = click.option(
    "--lead-cap-days", type=click.FloatRange(min=0, min_open=True), default=None,
    metavar="DAYS",
    help="Judge lead time (creation to done: exports without a start of work) against this "
         "cap, in working days. Default: lead_cap_days in the config's [model] section; "
         "without one, lead time gets no overrun verdicts.",
)


def _lead_cap(option: float | None, config_path: Path | None) -> float | None:
    """--lead-cap-days, else the config's [model] lead_cap_days, else None."""
    if option is not None:
        return option
    from calibrate.config import load_config

    return load_config(config_path).lead_cap_days


def _reports_input_errors(command: Callable) -> Callable:
    """Turn InputError into a short message and exit status 2."""

    @functools.wraps(command)
    def wrapper(*args, verbose: bool = False, **kwargs):
        try:
            return command(*args, **kwargs)
        except InputError as error:
            if verbose:
                raise
            click.echo(f"calibrate: error: {error}", err=True)
            sys.exit(EXIT_INPUT_ERROR)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="calibrate")
def cli() -> None:
    """Estimation calibration: how long story-pointed tickets really take,
    per engineer and per area."""


@cli.command()
@click.argument("export", type=click.Path(path_type=Path))
@_format_option
@_config_option
@_as_of_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the canonical ticket table (.csv or .parquet); the excluded "
                   "rows go beside it, in a file ending in .excluded.csv.")
@_verbose_option
@_reports_input_errors
def ingest(export: Path, format_name: str | None, config_path: Path | None,
           as_of: str | None, out: Path) -> None:
    """Read EXPORT into the canonical ticket table, accounting for every row."""
    from calibrate.io import write_tickets

    table = _read(export, format_name, config_path, as_of)
    write_tickets(table.tickets, out)
    excluded_path = excluded_path_for(out)
    write_tickets(table.excluded, excluded_path)
    click.echo(str(table.summary()))
    click.echo(f"wrote {out} ({len(table.tickets)} tickets) and {excluded_path} "
               f"({len(table.excluded)} excluded rows)")


@cli.command()
@click.argument("export", type=click.Path(path_type=Path))
@_format_option
@_config_option
@_as_of_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Multipliers file to write (.json); the records also go to a .csv beside it.")
@_cap_options
@_lead_cap_option
@_verbose_option
@_reports_input_errors
def fit(export: Path, format_name: str | None, config_path: Path | None, as_of: str | None,
        out: Path, cap_days: float, confidence: float, lead_cap_days: float | None) -> None:
    """Fit the calibration model to EXPORT and write the multipliers file."""
    from calibrate.export import write_multipliers
    from calibrate.model import Calibrator

    table = _read(export, format_name, config_path, as_of)
    click.echo(str(table.summary()), err=True)
    click.echo(f"fitting {len(table.tickets)} tickets ...", err=True)
    with _warnings_to_terminal():
        calibrator = Calibrator(cap_days=cap_days, confidence=confidence).fit(table)
    result = calibrator.result_
    lead_cap = _lead_cap(lead_cap_days, config_path)
    if lead_cap is not None:
        result = result.with_lead_cap(lead_cap)
    json_path, csv_path = write_multipliers(result.multipliers, out)
    click.echo(str(result.summary()))
    click.echo(f"wrote {json_path} and {csv_path}")


@cli.command()
@click.argument("backlog", type=click.Path(path_type=Path))
@click.option("--multipliers", "multipliers_path", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="A multipliers file written by `calibrate fit`.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the predictions (.csv).")
@click.option("--cap-days", type=float, default=None,
              help="Budget for the overrun probability (default: the cap the file's "
                   "durations are judged against: the team's cap for cycle time, the "
                   "lead-time cap for lead time).")
@_lead_cap_option
@_config_option
@_verbose_option
@_reports_input_errors
def predict(backlog: Path, multipliers_path: Path, out: Path, cap_days: float | None,
            lead_cap_days: float | None, config_path: Path | None) -> None:
    """Predict working days for each ticket of BACKLOG (a CSV with ticket_id,
    engineer, area and points columns, e.g. the canonical table).

    Predictions measure the clock the multipliers were fitted on (the `clock`
    column: cycle or lead time). Lead time gets an overrun probability only
    against a lead-time cap (--lead-cap-days, the config's, or the file's)
    or an explicit --cap-days."""
    from calibrate.config import load_config
    from calibrate.export import load_multipliers
    from calibrate.io._atomic import atomic_path
    from calibrate.io.backlog import read_backlog
    from calibrate.io.csv_writer import write_csv

    multipliers = load_multipliers(multipliers_path)
    config = load_config(config_path)
    lead_cap = lead_cap_days if lead_cap_days is not None else config.lead_cap_days
    if lead_cap is not None:
        multipliers = multipliers.with_lead_cap(lead_cap)
    tickets = read_backlog(backlog, points_scale=config.points_scale)
    usable = tickets["problem"].isna().to_numpy()
    # An explicit --cap-days is a budget the user asked about; otherwise the
    # cap the durations are judged against, and none for lead time without one.
    budget = cap_days if cap_days is not None else multipliers.verdict_cap
    prediction = multipliers.predict(tickets.loc[usable, "engineer"].to_numpy(),
                                     tickets.loc[usable, "area"].to_numpy(),
                                     tickets.loc[usable, "points"].to_numpy(),
                                     budget_days=budget)
    columns = ["basis", "p10_days", "p50_days", "p80_days", "p90_days", "mean_days",
               *(["p_over_budget"] if budget is not None else []), "clock"]
    output = tickets.copy()
    for column in columns:
        output[column] = None
        output.loc[usable, column] = prediction[column].to_numpy()
    if budget is not None:
        output = output.rename(columns={"p_over_budget": f"p_over_{budget:g}_days"})
    with atomic_path(out) as partial:
        write_csv(output, partial)
    clock = multipliers.clock
    click.echo(f"predicted {int(usable.sum())} of {len(tickets)} backlog tickets "
               f"({int((~usable).sum())} without usable points, listed with their problem); "
               f"days are {_CLOCK_WORDS.get(clock, clock + ' time')}; wrote {out}")
    if budget is None:
        click.echo(f"no overrun probability: lead time is not judged against the work cap of "
                   f"{multipliers.model['cap_days']:g} days; set --lead-cap-days (or "
                   "lead_cap_days in the config's [model] section) to get one", err=True)


@cli.command()
@click.argument("export", type=click.Path(path_type=Path))
@_format_option
@_config_option
@_as_of_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory for report.html, report.pdf, multipliers.json/.csv, tickets.csv "
                   "and excluded.csv.")
@_cap_options
@click.option("--pseudonymize", is_flag=True,
              help="Replace engineers' names by stable pseudonyms in every output file.")
@click.option("--pseudonym-key", default="calibrate", show_default=True,
              help="Key of the pseudonyms: the same key gives the same pseudonyms.")
@click.option("--min-tickets", type=int, default=5, show_default=True,
              help="Engineer x area numbers on fewer finished tickets are shown as "
                   "'too few tickets'.")
@click.option("--max-engineers", type=int, default=40, show_default=True,
              help="A larger team is shown through the engineers with the most finished "
                   "tickets (all stay in the data files).")
@click.option("--no-backtest", is_flag=True, help="Skip the backtest and drift view (faster).")
@_lead_cap_option
@_verbose_option
@_reports_input_errors
def report(export: Path, format_name: str | None, config_path: Path | None, as_of: str | None,
           out: Path, cap_days: float, confidence: float, pseudonymize: bool,
           pseudonym_key: str, min_tickets: int, max_engineers: int,
           no_backtest: bool, lead_cap_days: float | None) -> None:
    """Write the calibration report (HTML and PDF) and its data files for EXPORT."""
    from calibrate.model import Calibrator
    from calibrate.report import render_report

    started = time.monotonic()

    def progress(message: str) -> None:
        click.echo(f"[{time.monotonic() - started:6.1f} s] {message} ...", err=True)

    table = _read(export, format_name, config_path, as_of)
    click.echo(str(table.summary()), err=True)
    with _warnings_to_terminal():
        written = render_report(
            table, out, calibrator=Calibrator(cap_days=cap_days, confidence=confidence),
            pseudonymize=pseudonymize, pseudonym_key=pseudonym_key, min_tickets=min_tickets,
            max_engineers=max_engineers, with_backtest=not no_backtest, progress=progress,
            lead_cap_days=_lead_cap(lead_cap_days, config_path))
    progress("done")
    for path in written.values():
        click.echo(f"wrote {path}")


#: What the days of each clock measure, for messages.
_CLOCK_WORDS = {
    "cycle": "cycle time (start of work to done)",
    "lead": "lead time (creation to done)",
    "mixed": "a mix of lead and cycle time",
    "unknown": "of an unrecorded clock (a file from before schema 1.1)",
}


def _read(export: Path, format_name: str | None, config_path: Path | None, as_of: str | None):
    """Read an export with a progress bar on stderr (a line, when not a terminal)."""
    from calibrate.io import read_export

    with click.progressbar(length=max(_size(export), 1), label=f"reading {export}",
                           file=sys.stderr, show_eta=True) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        return read_export(export, format=format_name, config=config_path, as_of=as_of,
                           progress=progress)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # missing: read_export says so
        return 0


@contextlib.contextmanager
def _warnings_to_terminal():
    """Show statistical warnings as one line each on stderr, not as Python warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CalibrationWarning)
        yield
    for warning in caught:
        if issubclass(warning.category, CalibrationWarning):
            click.echo(f"calibrate: warning: {warning.message}", err=True)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)


def excluded_path_for(out: Path) -> Path:
    """The exclusions file that goes with a ticket table: ``NAME.excluded.csv``."""
    return out.with_name(f"{out.stem}.excluded.csv")


def main() -> None:
    """Entry point of the ``calibrate`` script."""
    cli(prog_name="calibrate")

"""The ``calibrate`` command line.

Input problems (:class:`~calibrate.errors.InputError`) and outputs the system
refuses to write (:class:`~calibrate.errors.OutputError`: no permission,
read-only, disk full, ...) become a short message on stderr and exit status 2;
``--verbose`` shows the traceback instead. SIGTERM or SIGHUP while ``report``
writes its directory stops it cleanly (:class:`~calibrate.errors.Terminated`):
one line on stderr, exit status 128 + the signal's number (143, 129).
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import gc
import math
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import click

from calibrate._version import __version__
from calibrate.errors import CalibrationWarning, InputError, Terminated

EXIT_INPUT_ERROR = 2

#: Rows of each table `fit` prints (a history of a thousand engineers would
#: print thousands of lines; the multipliers file has every row).
SUMMARY_ROWS = 60

#: The export formats, as ``calibrate.io.FORMATS`` names them (kept here so that
#: ``--help`` does not import the readers; a test keeps the two the same).
FORMAT_NAMES = ("jira_csv", "jira_json", "linear_csv", "gitlab_csv", "gitlab_json", "github_json",
                "linear_json", "canonical", "generic_csv")


# -- option types: every value is checked before anything is read ---------------------------
# A bad value is a click usage error: one line naming the option and the value
# and saying what was expected, exit status 2, no traceback.


class _Number(click.ParamType):
    """A finite number in a range; the message says what was expected."""

    def __init__(self, expected: str, *, integer: bool = False, low: float | None = None,
                 low_open: bool = False, high: float | None = None,
                 high_open: bool = False, metavar: str = "NUMBER") -> None:
        self.expected = expected
        self.integer = integer
        self.low, self.low_open, self.high, self.high_open = low, low_open, high, high_open
        self.name = metavar.lower()

    def convert(self, value, param, ctx):
        text = str(value).strip()
        number = value
        if isinstance(value, bool) or not isinstance(value, int | float):
            try:
                number = int(text) if self.integer else float(text)
            except ValueError:
                self.fail(self._message(text), param, ctx)
        if not math.isfinite(number) or not self._in_range(number):
            self.fail(self._message(text), param, ctx)
        return number

    def _in_range(self, value: float) -> bool:
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or (value < self.high if self.high_open else value <= self.high)

    def _message(self, text: str) -> str:
        message = f"{text!r} is not {self.expected}"
        try:
            number = float(text)
        except ValueError:
            return message
        if self.high == 1 and 1 < number <= 100:  # a percentage given for a probability
            message += f"; for {number:g}% give {number / 100:g}"
        return message


_PROBABILITY = _Number("a probability between 0 and 1, e.g. 0.8", low=0, low_open=True,
                       high=1, high_open=True, metavar="PROBABILITY")
_CAP_DAYS = _Number("a number of working days > 0, e.g. 3", low=0, low_open=True,
                    metavar="DAYS")
_LEAD_CAP_DAYS = _Number("a number of working days > 0, e.g. 10", low=0, low_open=True,
                         metavar="DAYS")


class _FormatName(click.ParamType):
    """An export format's name; a near miss gets 'did you mean'."""

    name = "format"

    def convert(self, value, param, ctx):
        if value in FORMAT_NAMES:
            return value
        folded = str(value).strip().lower().replace("-", "_").replace(" ", "_")
        close = difflib.get_close_matches(folded, FORMAT_NAMES, n=1, cutoff=0.6)
        guess = f"did you mean {close[0]!r}? The formats" if close else "the formats"
        self.fail(f"{value!r} is not an export format; {guess} are {', '.join(FORMAT_NAMES)}",
                  param, ctx)

    def shell_complete(self, ctx, param, incomplete):
        from click.shell_completion import CompletionItem

        return [CompletionItem(name) for name in FORMAT_NAMES if name.startswith(incomplete)]


class _AsOf(click.ParamType):
    """A time, in the range a ticket history can have (as read_export checks it)."""

    name = "time"

    def convert(self, value, param, ctx):
        from calibrate.io import check_as_of

        try:
            check_as_of(value, name=None)
        except InputError as error:
            self.fail(f"{error.summary}; give a time like 2024-06-30 or 2024-06-30T18:00",
                      param, ctx)
        return value


class _ConfigFile(click.Path):
    """An existing settings file of a sane size (as load_config checks it)."""

    def __init__(self) -> None:
        super().__init__(exists=True, dir_okay=False, path_type=Path)

    def convert(self, value, param, ctx):
        path = super().convert(value, param, ctx)
        from calibrate.config import check_config_path

        try:
            check_config_path(path)
        except InputError as error:
            self.fail(error.summary, param, ctx)
        return path


class _OutPath(click.ParamType):
    """Where to write: a file (with one of ``suffixes``) or a directory, in a
    directory that exists (a typo in it is not silently created)."""

    def __init__(self, *, directory: bool = False, suffixes: tuple[str, ...] = ()) -> None:
        self.directory = directory
        self.suffixes = suffixes
        self.name = "directory" if directory else "file"

    def convert(self, value, param, ctx):
        path = Path(value)
        parent = path.absolute().parent
        if str(value).strip() == "":
            self.fail("'' is not a path", param, ctx)
        if not parent.is_dir():
            what = "is not a directory" if parent.exists() else "does not exist"
            self.fail(f"{str(value)!r}: the directory {parent} {what}; create it first, or "
                      "write somewhere else", param, ctx)
        if self.directory and path.exists() and not path.is_dir():
            self.fail(f"{str(value)!r} is a file; give a directory for the report's files",
                      param, ctx)
        if not self.directory and path.is_dir():
            example = path / f"out{self.suffixes[0] if self.suffixes else ''}"
            self.fail(f"{str(value)!r} is a directory; give a file in it, e.g. {example}",
                      param, ctx)
        if self.suffixes and path.suffix.lower() not in self.suffixes:
            self.fail(f"{str(value)!r} does not end in {' or '.join(self.suffixes)}; e.g. "
                      f"{path.with_suffix(self.suffixes[0])}", param, ctx)
        return path


class _Key(click.ParamType):
    """A non-empty text."""

    name = "text"

    def convert(self, value, param, ctx):
        if not str(value).strip():
            self.fail(f"{value!r} is empty; give a key (any text kept secret)", param, ctx)
        return str(value)


_format_option = click.option(
    "--format", "format_name", type=_FormatName(), default=None, metavar="NAME",
    help=f"Export format ({', '.join(FORMAT_NAMES)}). Recognised from the file when omitted.",
)
_config_option = click.option(
    "--config", "config_path", type=_ConfigFile(), default=None,
    help="Settings file (calibrate.toml): calendar, area rules, points scale, statuses.",
)
_as_of_option = click.option(
    "--as-of", type=_AsOf(), default=None, metavar="TIME",
    help="When the export was taken (e.g. 2024-06-30T18:00); open tickets are censored "
         "there. Default: the latest time in the export.",
)
_verbose_option = click.option("--verbose", is_flag=True, help="Show tracebacks on errors.")


def _cap_options(command: Callable) -> Callable:
    """--cap-days and --confidence: the team's cap and the confidence to fit it."""
    command = click.option(
        "--confidence", type=_PROBABILITY, default=0.8, show_default=True,
        help="Required probability of a ticket fitting the cap, for recommended sizes.",
    )(command)
    return click.option("--cap-days", type=_CAP_DAYS, default=3.0, show_default=True,
                        help="The team's cap on one ticket's work, in working days (cycle "
                             "time is judged against it; lead time is not).")(command)


_lead_cap_option = click.option(
    "--lead-cap-days", type=_LEAD_CAP_DAYS, default=None,
    metavar="DAYS",
    help="Judge lead time (creation to done: exports without a start of work) against this "
         "cap, in working days. Default: lead_cap_days in the config's [model] section; "
         "without one, lead time gets no overrun verdicts.",
)


#: A skills file: checked to exist before anything is read; its rows when read.
_SKILLS_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_SKILLS_DEFAULT = "Default: the [skills] of --config; --skills wins over it."
_fit_skills_option = click.option(
    "--skills", "skills_path", type=_SKILLS_FILE, default=None, metavar="FILE",
    help="Declared skill profiles: a CSV of engineer, area, level and optionally start_date, "
         "one row per engineer and area, levels on the config's [skills] scale (default "
         "basic < proficient < strong; see the README's Declared skills). Each level is "
         "fitted as an effect per area, the start dates as a ramp-up; the multipliers file "
         "carries both. An engineer with no tickets who starts after the history (a new hire) "
         "is left out of the fit. " + _SKILLS_DEFAULT)
_planning_skills_option = click.option(
    "--skills", "skills_path", type=_SKILLS_FILE, default=None, metavar="FILE",
    help="Declared skill profiles (the CSV of `calibrate fit --skills`): an engineer the "
         "multipliers file does not know (a new hire) is predicted from their declared levels "
         "(on the file's scale) and start date, and says so in the basis column. Needs a "
         "multipliers file fitted with skills. " + _SKILLS_DEFAULT)


def _load_config(config_path: Path | None):
    """The settings, read once per command (defaults without a file)."""
    from calibrate.config import load_config

    return load_config(config_path)


def _lead_cap(option: float | None, config) -> float | None:
    """--lead-cap-days, else the config's [model] lead_cap_days, else None."""
    return option if option is not None else config.lead_cap_days


def _fit_profiles(skills_path: Path | None, config):
    """The profiles to fit with: --skills, else the config's [skills] (None:
    neither), on the config's scale."""
    from calibrate.io.skills import read_skills, skills_from_config

    if skills_path is not None:
        return read_skills(skills_path, levels=config.skill_levels)
    return skills_from_config(config)


def _fitted_profiles(profiles, table, *, named: bool = True):
    """The profiles to fit ``table`` with, checked against it: less the new
    hires — engineers without tickets whose start date is after the
    history's last start (a profile cannot be fitted without tickets, and
    such a name is not a misspelling) —, said in a note on stderr
    (``named=False``: how many, not who).

    Raises
    ------
    InputError
        Listing every other engineer and area the tickets do not have, with
        the closest name they do have.
    """
    if profiles is None:
        return None
    profiles = _without_new_hires(profiles, table, named=named)
    if profiles is not None:
        try:
            profiles.check_against(table)
        except InputError as error:
            raise InputError(
                error.summary, error.problems,
                hint="Names and areas are those of the export. A new hire with no tickets "
                     "yet is left out of the fit when their start_date is after the "
                     "history (`calibrate predict` and `plan` use their profile).") from None
    return profiles


def _without_new_hires(profiles, table, *, named: bool):
    """The profiles less the new hires (see :func:`_fitted_profiles`)."""
    tickets = table.tickets
    known = set(tickets["engineer"].dropna())
    last_start = tickets["started_at"].max()
    new = [engineer for engineer in profiles.engineers
           if engineer not in known and engineer in profiles.start_dates
           and profiles.start_dates[engineer] > last_start]
    if not new:
        return profiles
    who = f" ({', '.join(new)})" if named else ""
    click.echo(f"calibrate: note: {len(new)} engineer{'s' if len(new) != 1 else ''} of the "
               f"skill profiles{who} start{'s' if len(new) == 1 else ''} after the history: "
               "left out of the fit; `calibrate predict` and `calibrate plan` predict new "
               "hires from their profile (--skills)", err=True)
    kept = profiles.subset(set(profiles.engineers) - set(new))
    return kept if kept.engineers else None


def _planning_profiles(skills_path: Path | None, config, multipliers, multipliers_path: Path):
    """The profiles to predict new hires from: --skills (on the multipliers'
    scale: a level means what it meant in the fit), else the config's
    [skills]; None without either, or when the multipliers were fitted
    without skills and only the config has profiles (said on stderr)."""
    from calibrate.io.skills import read_skills, skills_from_config

    if skills_path is None and config.skills_file is None and not config.skill_profiles:
        return None
    if multipliers.skills is None:
        if skills_path is None:
            click.echo(f"calibrate: note: the [skills] profiles of {config.source} are not "
                       f"used: {multipliers_path} was fitted without skills (fit with "
                       "--config or --skills to use them)", err=True)
            return None
        raise InputError(
            f"{multipliers_path} was fitted without skill profiles: it holds no level effects "
            f"or ramp-up to predict from the profiles of {skills_path}",
            hint=f"Refit with them (calibrate fit EXPORT --skills {skills_path} --out "
                 f"{multipliers_path}), then run this again.")
    if skills_path is not None:
        return read_skills(skills_path, levels=multipliers.skills["levels"])
    return skills_from_config(config)


def _skill_notes(result) -> None:
    """The level test's verdict and the ramp-up statement, on stderr."""
    test = result.level_test
    if test is not None:
        verdict = ("the declared levels carry signal: durations differ by level"
                   if test["p_value"] < 0.05 else
                   "the declared levels carry no clear signal: their effects are not "
                   "distinguishable from none")
        click.echo(f"calibrate: note: {verdict} (Wald test: chi2={test['statistic']:.1f}, "
                   f"df={test['df']}, p={test['p_value']:.2g})", err=True)
    if result.ramp_up is not None:
        click.echo(f"calibrate: note: ramp-up: {result.ramp_up['statement']}", err=True)


def _reports_input_errors(command: Callable) -> Callable:
    """Turn InputError (and OutputError, one of them) into a short message and
    exit status 2; say why a run stopped on SIGTERM or SIGHUP (its exit
    status stays 128 + the signal's number)."""

    @functools.wraps(command)
    def wrapper(*args, verbose: bool = False, **kwargs):
        try:
            return command(*args, **kwargs)
        except InputError as error:
            if verbose:
                raise
            # Notes say what else went wrong (a clean-up that failed too).
            notes = "".join(f"\n{note}" for note in getattr(error, "__notes__", ()))
            click.echo(f"calibrate: error: {error}{notes}", err=True)
            sys.exit(EXIT_INPUT_ERROR)
        except Terminated as stop:
            click.echo(f"calibrate: {stop}; unfinished files removed", err=True)
            raise

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
@click.option("--out", type=_OutPath(suffixes=(".csv", ".parquet", ".pq")), required=True,
              help="Where to write the canonical ticket table (.csv or .parquet); the excluded "
                   "rows go beside it, in a file ending in .excluded.csv.")
@_verbose_option
@_reports_input_errors
def ingest(export: Path, format_name: str | None, config_path: Path | None,
           as_of: str | None, out: Path) -> None:
    """Read EXPORT into the canonical ticket table, accounting for every row."""
    from calibrate.io import write_tickets

    table = _read(export, format_name, _load_config(config_path), as_of)
    write_tickets(table.tickets, out)
    excluded_path = excluded_path_for(out)
    write_tickets(table.excluded, excluded_path)
    click.echo(str(table.summary()))
    click.echo(f"wrote {out} ({len(table.tickets)} tickets) and {excluded_path} "
               f"({len(table.excluded)} excluded rows)")


@cli.command()
@click.argument("export", type=click.Path(path_type=Path), required=False)
@_format_option
@_config_option
@_as_of_option
@click.option("--out", type=_OutPath(suffixes=(".json",)), required=True,
              help="Multipliers file to write (.json); the records also go to a .csv beside it.")
@_cap_options
@_lead_cap_option
@click.option("--stream", is_flag=True,
              help="Read EXPORT, a canonical ticket table (CSV or Parquet; a folder of Parquet "
                   "files is always streamed), in chunks and fit from sums: memory grows with "
                   "engineers x areas x points values and the open tickets, not the history.")
@click.option("--sql", "sql_query", default=None, metavar="QUERY",
              help="Fit the tickets QUERY returns instead of an EXPORT: a SELECT of the "
                   "canonical columns (see the README), run inside --database, which computes "
                   "the sums. @FILE reads the query from FILE.")
@click.option("--database", default=None, metavar="URL",
              help="Where --sql runs: duckdb:// (DuckDB in memory, the default; query files "
                   "with read_parquet('dir/*.parquet')), duckdb:///history.duckdb, or a "
                   "SQLAlchemy URL (sqlite:///history.db, postgresql://user@host/db).")
@_fit_skills_option
@_verbose_option
@_reports_input_errors
def fit(export: Path | None, format_name: str | None, config_path: Path | None,
        as_of: str | None, out: Path, cap_days: float, confidence: float,
        lead_cap_days: float | None, stream: bool, sql_query: str | None,
        database: str | None, skills_path: Path | None) -> None:
    """Fit the calibration model to EXPORT and write the multipliers file.

    A history too large for memory is fitted from sums: --stream reads a
    canonical ticket table (CSV, Parquet, or a folder of Parquet files) in
    chunks; --sql QUERY --database URL has a database compute them.

    With declared skill profiles (--skills, or the config's [skills]) the
    fit adds an effect per area and declared level and a ramp-up from the
    start dates, and says on stderr whether the levels carry signal and
    how long a new member takes to reach the team's typical speed."""
    from calibrate.export import write_multipliers
    from calibrate.model import Calibrator

    config = _load_config(config_path)
    profiles = _fit_profiles(skills_path, config)  # a bad file stops the run before the export
    calibrator = Calibrator(cap_days=cap_days, confidence=confidence)
    if profiles is not None and (stream or sql_query is not None
                                 or (export is not None and export.is_dir())):
        if skills_path is not None:
            raise click.UsageError("--skills needs EXPORT read whole, not --stream, --sql or a "
                                   "folder: declared levels and the ramp-up read each ticket's "
                                   "engineer and start, which sums do not keep")
        click.echo(f"calibrate: note: the [skills] profiles of {config.source} are not used: "
                   "a fit from sums keeps no per-ticket start", err=True)
        profiles = None
    sums = _read_sums(export, format_name, config, as_of, stream=stream, sql_query=sql_query,
                      database=database, half_life_days=calibrator.half_life_days)
    if sums is None:
        table = _read(export, format_name, config, as_of)
        click.echo(str(table.summary()), err=True)
        profiles = _fitted_profiles(profiles, table)
        click.echo(f"fitting {len(table.tickets)} tickets"
                   + (" with declared skills" if profiles is not None else "") + " ...",
                   err=True)
        with _warnings_to_terminal():
            calibrator.fit(table, skills=profiles, ramp_up="auto")
    else:
        click.echo(str(sums.summary()), err=True)
        click.echo(f"fitting {sums.n_tickets} tickets from sums ...", err=True)
        with _warnings_to_terminal():
            calibrator.fit_sums(sums)
    result = calibrator.result_
    if profiles is not None:
        _skill_notes(result)
    lead_cap = _lead_cap(lead_cap_days, config)
    if lead_cap is not None:
        result = result.with_lead_cap(lead_cap)
    # The sizes the history was read with, so `predict` accepts "M" as the team does.
    multipliers = result.multipliers.with_points_scale(config.points_scale)
    json_path, csv_path = write_multipliers(multipliers, out)
    click.echo(result.summary().to_text(max_rows=SUMMARY_ROWS))
    click.echo(f"wrote {json_path} and {csv_path}")


def _read_sums(export: Path | None, format_name: str | None, config, as_of: str | None, *,
               stream: bool, sql_query: str | None, database: str | None,
               half_life_days: float | None):
    """The sums `fit` fits from (--stream, a folder, or --sql), with progress on
    stderr; None when EXPORT is read whole."""
    from calibrate.streaming import TicketSums, read_ticket_chunks

    if database is not None and sql_query is None:
        raise click.UsageError("--database is where --sql runs; add --sql QUERY")
    if sql_query is not None:
        if export is not None:
            raise click.UsageError("give EXPORT or --sql QUERY, not both")
        given = [name for name, value in (("--stream", stream), ("--format", format_name),
                                          ("--as-of", as_of)) if value]
        if given:
            raise click.UsageError(f"{', '.join(given)} do not apply to --sql: the query "
                                   "returns the canonical ticket table")
        query = sql_query
        if sql_query.startswith("@"):
            try:
                query = Path(sql_query[1:]).read_text(encoding="utf-8")
            except OSError as error:
                raise click.UsageError(f"--sql {sql_query}: cannot read the query file: "
                                       f"{error.strerror or error}") from None
        click.echo(f"computing the sums in {(database or 'duckdb://').split('@')[-1]} ...",
                   err=True)
        return TicketSums.from_sql(query, database or "duckdb://", half_life_days=half_life_days,
                                   calendar=config.calendar)
    if export is None:
        raise click.UsageError("missing EXPORT (or --sql QUERY)")
    if not (stream or export.is_dir()):
        return None
    if format_name not in (None, "canonical"):
        raise click.UsageError(f"--stream reads the canonical ticket table, not {format_name}; "
                               f"write it first: calibrate ingest {export} --out tickets.parquet")
    if as_of is not None:
        raise click.UsageError("--as-of does not apply to the canonical ticket table: its "
                               "durations were fixed when it was written (calibrate ingest)")
    bars = []

    def progress(done: int, total: int) -> None:
        bars[0].length = max(total, 1)
        bars[0].update(done - bars[0].pos)

    chunks = read_ticket_chunks(export, config=config, progress=progress)  # (checks the path)
    with click.progressbar(length=1, label=f"summing {export}", file=sys.stderr,
                           show_eta=True) as bar:
        bars.append(bar)
        return TicketSums.from_chunks(chunks, half_life_days=half_life_days)


@cli.command()
@click.argument("backlog", type=click.Path(path_type=Path))
@click.option("--multipliers", "multipliers_path", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A multipliers file written by `calibrate fit`.")
@click.option("--out", type=_OutPath(suffixes=(".csv",)), required=True,
              help="Where to write the predictions (.csv).")
@click.option("--cap-days", type=_CAP_DAYS, default=None, metavar="DAYS",
              help="Budget for the overrun probability (default: the cap the file's "
                   "durations are judged against: the team's cap for cycle time, the "
                   "lead-time cap for lead time).")
@_lead_cap_option
@_config_option
@_planning_skills_option
@click.option("--on", type=_AsOf(), default=None, metavar="DATE",
              help="When the work starts (e.g. 2026-11-02), for the ramp-up of engineers with "
                   "a start date (the multipliers file's or --skills'). Default: today.")
@_verbose_option
@_reports_input_errors
def predict(backlog: Path, multipliers_path: Path, out: Path, cap_days: float | None,
            lead_cap_days: float | None, config_path: Path | None, skills_path: Path | None,
            on: str | None) -> None:
    """Predict working days for each ticket of BACKLOG (a CSV with ticket_id,
    engineer, area and points columns, e.g. the canonical table).

    Every row and column of BACKLOG comes back unchanged, followed by the
    predictions: problem (why a row has none), note (what the history cannot
    vouch for: an engineer or area it never saw, with the closest name it
    did see; an unassigned row; points beyond the fitted range), basis,
    points_used, p10/p50/p80/p90/mean days (to 0.1 day, 2 significant
    digits below a day), budget_days and p_over_budget (to 0.001), clock.
    A summary of the notes goes to stderr. Sizes such as M are read with the
    multipliers file's points scale and the config's.

    Predictions measure the clock the multipliers were fitted on (the `clock`
    column: cycle or lead time). Lead time gets an overrun probability only
    against a lead-time cap (--lead-cap-days, the config's, or the file's)
    or an explicit --cap-days.

    With --skills (or the config's [skills]) and a multipliers file fitted
    with skills, an engineer the file does not know is predicted from their
    declared levels and start date (basis: "unseen engineer, declared
    level", "..., ramping up") rather than as the team's average."""
    from calibrate.export import load_multipliers
    from calibrate.io._atomic import atomic_path
    from calibrate.io.backlog import read_backlog
    from calibrate.io.csv_writer import write_csv
    from calibrate.prediction import (
        merged_points_scale,
        note_counts,
        predict_backlog,
        round_for_planners,
    )

    multipliers = load_multipliers(multipliers_path)
    config = _load_config(config_path)
    profiles = _planning_profiles(skills_path, config, multipliers, multipliers_path)
    lead_cap = _lead_cap(lead_cap_days, config)
    if lead_cap is not None:
        multipliers = multipliers.with_lead_cap(lead_cap)
    # Sizes such as "M" mean what they meant when the history was read.
    backlog_table = read_backlog(
        backlog, points_scale=merged_points_scale(multipliers.points_scale, config.points_scale))
    # An explicit --cap-days is a budget the user asked about; otherwise the
    # cap the durations are judged against, and none for lead time without one.
    budget = cap_days if cap_days is not None else multipliers.verdict_cap
    output = predict_backlog(backlog_table, multipliers, budget_days=budget, profile=profiles,
                             on=on)
    with atomic_path(out) as partial:
        write_csv(round_for_planners(output), partial)
    problems = output["problem"].dropna()
    clock = multipliers.clock
    click.echo(f"predicted {len(output) - len(problems)} of {len(output)} backlog tickets "
               f"({len(problems)} without usable points, listed with their problem); "
               f"days are {_CLOCK_WORDS.get(clock, clock + ' time')}; wrote {out}")

    def rows(count: int) -> str:
        return f"{count} row{'' if count == 1 else 's'}"

    for note in backlog_table.notes:
        click.echo(f"calibrate: note: {note}", err=True)
    basis = output["basis"].fillna("")
    declared = basis.str.startswith("unseen engineer") & basis.str.contains(
        "declared level|ramping up")
    if declared.any():
        click.echo(f"calibrate: note: {rows(int(declared.sum()))} of engineers not in the "
                   "history predicted from their declared profile (see the basis column)",
                   err=True)
    counts = note_counts(output["note"])
    if counts:
        click.echo("calibrate: notes (see the note column): "
                   + "; ".join(f"{rows(n)}: {kind}" for kind, n in counts.items()), err=True)
    if len(problems):
        kinds = problems.str.split(":").str[0].value_counts(sort=False)
        click.echo("calibrate: no prediction (see the problem column): "
                   + "; ".join(f"{rows(n)}: {kind}" for kind, n in kinds.items()), err=True)
    if multipliers.points_range is None:
        click.echo(f"calibrate: note: {multipliers_path} (schema {multipliers.schema_version}) "
                   "does not record the points range of its history, so points beyond it are "
                   "not flagged; re-run `calibrate fit` to record it", err=True)
    if budget is None:
        click.echo(f"no overrun probability: lead time is not judged against the work cap of "
                   f"{multipliers.model['cap_days']:g} days; set --lead-cap-days (or "
                   "lead_cap_days in the config's [model] section) to get one", err=True)


@cli.command()
@click.argument("export", type=click.Path(path_type=Path))
@_format_option
@_config_option
@_as_of_option
@click.option("--out", type=_OutPath(directory=True), required=True,
              help="Directory for report.html, report.pdf, multipliers.json/.csv, tickets.csv "
                   "and excluded.csv (created if missing; the folder it is in must exist). "
                   "Each run replaces it as a whole, so it may hold only a report's files.")
@_cap_options
@click.option("--pseudonymize", is_flag=True,
              help="Replace engineers by pseudonyms, and every known form of known people's "
                   "names in text fields, areas, notes and the input path, in every output "
                   "(see the README's Privacy paragraph).")
@click.option("--pseudonym-key", type=_Key(), default=None,
              help="Key of the pseudonyms (with --pseudonymize): the same key gives the same "
                   "pseudonyms. Without one, a random key is drawn and printed once.")
@click.option("--min-tickets", type=_Number("a whole number >= 0, e.g. 5", integer=True, low=0,
                                            metavar="INTEGER"), default=5, show_default=True,
              help="Engineer x area numbers on fewer finished tickets are shown as "
                   "'too few tickets'.")
@click.option("--max-engineers", type=_Number("a whole number >= 1, e.g. 40", integer=True,
                                              low=1, metavar="INTEGER"),
              default=40, show_default=True,
              help="A larger team is shown through the engineers with the most finished "
                   "tickets (all stay in the data files).")
@click.option("--no-backtest", is_flag=True, help="Skip the backtest and drift view (faster).")
@click.option("--no-pdf", is_flag=True,
              help="Write the HTML report only, not report.pdf (faster, e.g. while adjusting "
                   "a config).")
@click.option("--plan", "plan_path", type=click.Path(path_type=Path), default=None,
              metavar="PLAN",
              help="A sprint plan CSV (ticket_id, area, points; engineer, title and pinned "
                   "optional): adds a Sprint plan section — the chance the plan fits, each "
                   "engineer's load, tickets at risk, a suggested assignment and what moving "
                   "a ticket costs. Writes no extra file (`calibrate plan` does).")
@click.option("--capacity", "capacity_path", type=click.Path(path_type=Path), default=None,
              metavar="CAPACITY",
              help="With --plan: CSV of engineer, capacity_days (available working days in "
                   "the sprint). Default: the sprint length for everyone.")
@click.option("--sprint-days", type=_Number("a number of working days > 0, e.g. 10", low=0,
                                            low_open=True, metavar="DAYS"),
              default=None, metavar="DAYS",
              help="With --plan: working days in the sprint.  [default: 10]")
@_lead_cap_option
@_fit_skills_option
@_verbose_option
@_reports_input_errors
def report(export: Path, format_name: str | None, config_path: Path | None, as_of: str | None,
           out: Path, cap_days: float, confidence: float, pseudonymize: bool,
           pseudonym_key: str | None, min_tickets: int, max_engineers: int,
           no_backtest: bool, no_pdf: bool, plan_path: Path | None,
           capacity_path: Path | None, sprint_days: float | None,
           lead_cap_days: float | None, skills_path: Path | None) -> None:
    """Write the calibration report (HTML and PDF) and its data files for EXPORT.

    With declared skill profiles (--skills, or the config's [skills]) the
    model is fitted with them and multipliers.json carries the level
    effects and the ramp-up; under --pseudonymize the profiles get the
    same pseudonyms as the export."""
    from calibrate.io.backlog import read_capacity, read_plan
    from calibrate.model import Calibrator
    from calibrate.report import render_report

    started = time.monotonic()

    def progress(message: str) -> None:
        click.echo(f"[{time.monotonic() - started:6.1f} s] {message} ...", err=True)

    if pseudonym_key is not None and not pseudonymize:
        raise click.UsageError("--pseudonym-key is the key of --pseudonymize; add "
                               "--pseudonymize, or leave the key out")
    if plan_path is None and (capacity_path is not None or sprint_days is not None):
        raise click.UsageError("--capacity and --sprint-days go with --plan; add "
                               "--plan PLAN.csv, or leave them out")
    # The plan's files first: a bad one stops the run before the export is read.
    plan_table = read_plan(plan_path) if plan_path is not None else None
    capacity = read_capacity(capacity_path) if capacity_path is not None else None
    # Under --pseudonymize the terminal shows neither the input's path nor a
    # name: the summary is that of the pseudonymised table.
    config = _load_config(config_path)
    profiles = _fit_profiles(skills_path, config)
    shown = table = _read(export, format_name, config, as_of,
                          label="the export" if pseudonymize else None)
    profiles = _fitted_profiles(profiles, table, named=not pseudonymize)
    if pseudonymize:
        from calibrate.privacy import pseudonymize as pseudonymize_table
        from calibrate.privacy import random_key

        if pseudonym_key is None:
            pseudonym_key = random_key()
            click.echo(f"pseudonym key for this run: {pseudonym_key}; pass --pseudonym-key "
                       "to reuse it", err=True)
        shown, _ = pseudonymize_table(table, key=pseudonym_key)
    click.echo(str(shown.summary()), err=True)
    with _warnings_to_terminal():
        written = render_report(
            table, out, calibrator=Calibrator(cap_days=cap_days, confidence=confidence),
            pseudonymize=pseudonymize, pseudonym_key=pseudonym_key, min_tickets=min_tickets,
            max_engineers=max_engineers, with_backtest=not no_backtest, progress=progress,
            lead_cap_days=_lead_cap(lead_cap_days, config),
            points_scale=config.points_scale, pdf=not no_pdf, plan=plan_table,
            capacity=capacity, sprint_days=10 if sprint_days is None else sprint_days,
            skills=profiles)
    progress("done")
    for path in written.values():
        click.echo(f"wrote {path}")


@cli.command()
@click.argument("export", type=click.Path(path_type=Path))
@_format_option
@_config_option
@click.option("--out", type=_OutPath(suffixes=(".toml",)), default=Path("calibrate.toml"),
              show_default=True, help="Where to write the starter settings file (.toml).")
@click.option("--min-tickets", type=_Number("a whole number >= 1, e.g. 8", integer=True, low=1,
                                            metavar="INTEGER"), default=8, show_default=True,
              help="Fewest tickets of a candidate listed, and of an area proposed.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@_verbose_option
@_reports_input_errors
def init(export: Path, format_name: str | None, config_path: Path | None, out: Path,
         min_tickets: int, force: bool) -> None:
    """Find the team's areas in EXPORT and write a starter calibrate.toml.

    Lists what could name areas -- labels, scoped-label families (type::,
    team::, ...), components, issue types and epics -- with each one's
    ticket count and how its tickets' durations differ from the rest;
    proposes area rules that split most tickets into a few areas; and
    writes a commented settings file with those rules and the calendar and
    statuses seen in the export. --config is used to read EXPORT (e.g. the
    [columns] of a generic CSV); its area rules are not."""
    import dataclasses

    from calibrate.areas import (
        default_area_note,
        find_area_candidates,
        propose_area_schemes,
        summarize_areas,
    )
    from calibrate.config import load_config, starter_config
    from calibrate.io._atomic import atomic_path

    if out.exists() and not force:
        raise click.UsageError(f"{out} exists; pass --force to replace it, or give another "
                               "--out")
    given = _load_config(config_path)
    config = given.with_changes(area_rules=(), area_classify=False)
    table = _read(export, format_name, config, None)
    # (Not the note that points to `calibrate init`: this is it.)
    pointer = default_area_note(table.tickets["area_source"], config.area_default, rules=0)
    click.echo(str(dataclasses.replace(table, notes=[n for n in table.notes
                                                     if n != pointer]).summary()))
    candidates = find_area_candidates(table.tickets, config=config)
    schemes = propose_area_schemes(table.tickets, min_tickets=min_tickets, config=config)
    click.echo("")
    click.echo(str(summarize_areas(candidates, schemes, tickets=len(table.tickets),
                                   min_tickets=min_tickets)))
    text = starter_config(table, schemes, name=out.name,
                          base=given if config_path is not None else None)
    with atomic_path(out) as partial:
        partial.write_text(text, encoding="utf-8")
    load_config(out)  # what was written reads back (a bug otherwise, not the user's)
    click.echo(f"\nwrote {out}: check it (the proposed rules and their alternatives are "
               f"commented there), then run\n  calibrate report {export} --config {out} "
               "--out report/")



#: Per source of `calibrate pull`: its module and function (imported when used),
#: the default --url (None: required), and the options it takes besides --url.
_PULL_SOURCES = {
    "jira": ("calibrate.pull.jira", "pull_jira", None, ("project", "jql", "points_field")),
    "gitlab": ("calibrate.pull.gitlab", "pull_gitlab", "https://gitlab.com", ("project",)),
    "linear": ("calibrate.pull.linear", "pull_linear", "https://api.linear.app/graphql",
               ("team",)),
    "github": ("calibrate.pull.github", "pull_github", "https://api.github.com",
               ("repo", "points_field", "in_progress")),
}
#: The options a source cannot do without.
_PULL_REQUIRED = {"gitlab": "project", "github": "repo"}


@cli.command()
@click.argument("source", type=click.Choice(list(_PULL_SOURCES)), metavar="SOURCE")
@click.option("--url", default=None, metavar="URL",
              help="The tracker's address (Jira: required, e.g. https://acme.atlassian.net; "
                   "GitLab: https://gitlab.com; Linear: https://api.linear.app/graphql; "
                   "GitHub: https://api.github.com).")
@click.option("--project", default=None, metavar="P",
              help="Jira: a project key (ML); GitLab: the project's path (group/project) or id.")
@click.option("--jql", default=None, metavar="Q", help="Jira: the JQL choosing the issues.")
@click.option("--team", default=None, metavar="T", help="Linear: the team's key or name.")
@click.option("--repo", default=None, metavar="OWNER/NAME", help="GitHub: the repository.")
@click.option("--points-field", default=None, metavar="NAME",
              help="Jira: the story-points field's name or id when it is not 'Story Points' or "
                   "'Story point estimate'; GitHub: the Projects number field holding points.")
@click.option("--in-progress", "in_progress", multiple=True, metavar="PATTERN",
              help="GitHub: a label or project status meaning work has started (repeat the "
                   "option for several).")
@click.option("--since", is_flag=True,
              help="Update the earlier pull in --out: fetch only what changed since, and merge.")
@click.option("--resume", is_flag=True,
              help="Continue an interrupted download to --out where it stopped.")
@click.option("--out", type=_OutPath(suffixes=(".json",)), required=True,
              help="The JSON file to write (whole or not at all); `calibrate report` reads it.")
@_verbose_option
@_reports_input_errors
def pull(source: str, url: str | None, project: str | None, jql: str | None,
         team: str | None, repo: str | None, points_field: str | None,
         in_progress: tuple[str, ...], since: bool, resume: bool, out: Path) -> None:
    """Download a team's history from SOURCE (jira, gitlab, linear or github)
    through its API into --out, with the history that gives cycle time
    (Jira's changelog, GitLab's label and state events, ...).

    Credentials come from the environment (or ~/.netrc for the host):
    JIRA_EMAIL and JIRA_API_TOKEN (Jira Cloud) or JIRA_TOKEN (Data Center),
    GITLAB_TOKEN, LINEAR_API_KEY, GITHUB_TOKEN. They are never written to
    any file or message. Progress goes to stderr; rate limits are waited
    out. An interrupted download continues with --resume; --since brings an
    earlier pull up to date. Then: calibrate report FILE.json --out report/"""
    import importlib

    module_name, function_name, default_url, takes = _PULL_SOURCES[source]
    given = {"project": project, "jql": jql, "team": team, "repo": repo,
             "points_field": points_field, "in_progress": in_progress or None}
    wrong = [name for name, value in given.items() if value is not None and name not in takes]
    if wrong:
        shown = ", ".join("--" + name.replace("_", "-") for name in wrong)
        raise click.UsageError(f"{shown} {'does' if len(wrong) == 1 else 'do'} not apply to "
                               f"{source}; it takes --url"
                               + "".join(f", --{name.replace('_', '-')}" for name in takes))
    required = _PULL_REQUIRED.get(source)
    if required and given[required] is None:
        raise click.UsageError(f"{source} needs --{required}")
    if url is None and default_url is None:
        raise click.UsageError(f"{source} needs --url, the site's address (e.g. "
                               "https://acme.atlassian.net)")
    try:
        puller = getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError):
        raise click.UsageError(f"pulling from {source} is not available in this version "
                               "of calibrate") from None
    started = time.monotonic()

    def progress(line: str) -> None:
        click.echo(f"[{time.monotonic() - started:6.1f} s] {line}", err=True)

    options = {name: given[name] for name in takes if given[name] is not None}
    try:
        result = puller(out, url=url or default_url, since=since, resume=resume,
                        progress=progress, **options)
    except KeyboardInterrupt:
        click.echo("calibrate: interrupted; the same command with --resume continues the "
                   "download", err=True)
        sys.exit(130)
    click.echo(result.summary())
    click.echo(f"next: calibrate report {out} --out report/")


_OBJECTIVES = {"all-within-capacity": "all_within_capacity",
               "expected-overrun-days": "expected_overrun_days"}

_sprint_days_option = click.option(
    "--sprint-days", type=_Number("a number of working days > 0, e.g. 10", low=0, low_open=True,
                                  metavar="DAYS"),
    default=10, show_default=True,
    help="Working days in a sprint: every engineer's capacity unless --capacity says otherwise.")
_capacity_option = click.option(
    "--capacity", "capacity_path", type=click.Path(path_type=Path), default=None,
    help="CSV of engineer, capacity_days: each engineer's available working days in the "
         "sprint (leave and part time taken off). Default: the sprint length for everyone.")
_draws_option = click.option(
    "--draws", type=_Number("a whole number >= 100, e.g. 10000", integer=True, low=100,
                            metavar="INTEGER"),
    default=10_000, show_default=True, help="Simulated sprints (Monte Carlo draws).")
_seed_option = click.option(
    "--seed", type=_Number("a whole number >= 0, e.g. 0", integer=True, low=0,
                           metavar="INTEGER"),
    default=0, show_default=True, help="Seed of the simulation: the same seed, the same numbers.")


@cli.command()
@click.argument("plan_path", metavar="PLAN", type=click.Path(path_type=Path))
@click.option("--multipliers", "multipliers_path", required=True,
              type=click.Path(path_type=Path), help="multipliers.json from `calibrate fit`.")
@_capacity_option
@_sprint_days_option
@click.option("--objective", type=click.Choice(sorted(_OBJECTIVES)),
              default="all-within-capacity", show_default=True,
              help="What the suggested assignment optimises: the chance that every engineer "
                   "finishes within capacity, or the expected days over capacity.")
@click.option("--cap-days", type=_CAP_DAYS, default=None, metavar="DAYS",
              help="The per-ticket cap for overrun chances and splits. Default: the "
                   "multipliers' cap (the lead-time cap for lead time).")
@_draws_option
@_seed_option
@click.option("--samples", type=_Number("a whole number >= 1, e.g. 1000", integer=True, low=1,
                                        metavar="INTEGER"),
              default=1000, show_default=True,
              help="Rows of the probability sample (draws per ticket).")
@click.option("--out", type=_OutPath(directory=True), required=True,
              help="Directory for the plan's files (created if its folder exists).")
@_config_option
@_planning_skills_option
@click.option("--start", type=_AsOf(), default=None, metavar="DATE",
              help="First day of the sprint, for the ramp-up of engineers with a start date "
                   "(the multipliers file's or --skills'). Default: today.")
@_verbose_option
@_reports_input_errors
def plan(plan_path: Path, multipliers_path: Path, capacity_path: Path | None,
         sprint_days: float, objective: str, cap_days: float | None, draws: int, seed: int,
         samples: int, out: Path, config_path: Path | None, skills_path: Path | None,
         start: str | None) -> None:
    """Check a sprint PLAN against the multipliers: each engineer's expected
    working days and range, the chance each finishes within capacity and the
    whole plan fits, tickets likely over the cap with a suggested split, what
    moving each ticket to someone else would cost, and a suggested assignment
    beside the plan.

    PLAN is a CSV with ticket_id, area, points and optionally engineer (empty:
    unassigned), title and pinned (yes: the ticket stays with its engineer).
    Writes into --out: engineers.csv, tickets.csv, reassignment.csv,
    suggested_plan.csv, comparison.csv, probability_sample.csv (one row per
    simulated sprint, one column per ticket: sums across a row are a sprint's
    total), focus_factors.csv and plan.json (the headline numbers). Numbers
    come from one seeded Monte Carlo in which each engineer's effect is drawn
    once per simulated sprint.

    With --skills (or the config's [skills]) and a multipliers file fitted
    with skills, an engineer of the plan or the capacity the file does not
    know (a new hire) is simulated from their declared levels and start
    date instead of as the team's average."""
    from calibrate.plan import (
        check_plan,
        focus_factors,
        probability_sample,
        reassignment_costs,
        suggest_assignment,
    )

    config = _load_config(config_path)
    multipliers, plan_table, capacity = _planning_inputs(multipliers_path, plan_path,
                                                         capacity_path, config)
    profiles = _planning_profiles(skills_path, config, multipliers, multipliers_path)
    declared = {"profile": profiles, "on": start}
    settings = {"sprint_days": sprint_days, "budget_days": cap_days, "draws": draws,
                "seed": seed, **declared}
    with _warnings_to_terminal():
        check = check_plan(multipliers, plan_table, capacity, **settings)
        costs = reassignment_costs(multipliers, plan_table, capacity, **settings)
        suggestion = suggest_assignment(multipliers, plan_table, capacity,
                                        objective=_OBJECTIVES[objective], **settings)
        sample = probability_sample(multipliers, plan_table, draws=samples, seed=seed,
                                    **declared)
        factors = focus_factors(multipliers)
    out.mkdir(exist_ok=True)
    files = {
        "engineers.csv": check.engineers, "tickets.csv": check.tickets,
        "reassignment.csv": costs.table, "suggested_plan.csv": suggestion.plan,
        "comparison.csv": suggestion.comparison, "probability_sample.csv": sample,
        "focus_factors.csv": factors,
    }
    headline = {
        "plan": str(plan_path), "multipliers": str(multipliers_path),
        "clock": multipliers.clock, "sprint_days": sprint_days, "draws": draws, "seed": seed,
        "objective": _OBJECTIVES[objective], "p_plan_fits": check.p_plan_fits,
        # The lead's plan and the suggestion, scored on the same simulated sprints.
        "lead": _team_scores(suggestion.comparison, "lead"),
        "suggested": {**_team_scores(suggestion.comparison, "suggested"),
                      "moved_tickets": int(suggestion.plan["moved"].sum())},
    }
    _write_files(out, files, {"plan.json": headline})
    click.echo(str(check.summary()))
    click.echo("")
    click.echo(str(suggestion.summary()))
    click.echo(f"\nwrote {', '.join([*files, 'plan.json'])} to {out}")


@cli.command()
@click.argument("backlog_path", metavar="BACKLOG", type=click.Path(path_type=Path))
@click.option("--multipliers", "multipliers_path", required=True,
              type=click.Path(path_type=Path), help="multipliers.json from `calibrate fit`.")
@_capacity_option
@_sprint_days_option
@click.option("--start", type=_AsOf(), default=None, metavar="DATE",
              help="First day of the first sprint (default: today).")
@_draws_option
@_seed_option
@click.option("--out", type=_OutPath(suffixes=(".csv",)), required=True,
              help="CSV of the forecast: the 50/85/95th percentiles of sprints and dates.")
@_config_option
@_planning_skills_option
@_verbose_option
@_reports_input_errors
def forecast(backlog_path: Path, multipliers_path: Path, capacity_path: Path | None,
             sprint_days: float, start: str | None, draws: int, seed: int, out: Path,
             config_path: Path | None, skills_path: Path | None) -> None:
    """Forecast when a BACKLOG will be done: the number of sprints and the
    date at the 50th, 85th and 95th percentiles, on the team's calendar.

    BACKLOG is a CSV like a sprint plan (ticket_id, area, points; engineer
    optional: unassigned tickets go to whoever is free first). --capacity
    gives each engineer's working days per sprint. Each engineer's effect is
    drawn once per simulated release and holds over all its sprints.

    With --skills (or the config's [skills]) and a multipliers file fitted
    with skills, a new hire in --capacity is simulated from their declared
    levels, and their ramp-up as it stands at --start."""
    from calibrate.plan import forecast_release

    config = _load_config(config_path)
    multipliers, backlog, capacity = _planning_inputs(multipliers_path, backlog_path,
                                                      capacity_path, config)
    profiles = _planning_profiles(skills_path, config, multipliers, multipliers_path)
    with _warnings_to_terminal():
        result = forecast_release(multipliers, backlog, capacity, sprint_days=sprint_days,
                                  start=start, draws=draws, seed=seed, profile=profiles)
    _write_files(out.parent, {out.name: result.sprints}, {})
    click.echo(str(result.summary()))
    click.echo(f"\nwrote {out}")


def _team_scores(comparison, which: str) -> dict:
    """A plan's team-level numbers from a suggestion's comparison table."""
    team = comparison[(comparison["plan"] == which) & (comparison["scope"] == "team")].iloc[0]
    return {"p_plan_fits": float(team["p_within_capacity"]),
            "expected_overrun_days": float(team["expected_overrun_days"])}


def _planning_inputs(multipliers_path: Path, plan_path: Path, capacity_path: Path | None,
                     config):
    """The multipliers (with the config's points scale too), the plan and the capacity."""
    from calibrate.export import load_multipliers
    from calibrate.io.backlog import read_capacity, read_plan
    from calibrate.prediction import merged_points_scale

    multipliers = load_multipliers(multipliers_path)
    # Sizes such as "M" mean what they meant when the history was read, or what the config says.
    multipliers = multipliers.with_points_scale(
        merged_points_scale(multipliers.points_scale, config.points_scale) or None)
    capacity = read_capacity(capacity_path) if capacity_path is not None else None
    return multipliers, read_plan(plan_path), capacity


def _write_files(directory: Path, tables: dict, documents: dict) -> None:
    """Each table as CSV and each document as JSON in ``directory``, each file atomically."""
    import json

    from calibrate.io._atomic import atomic_path
    from calibrate.io.csv_writer import write_csv

    for name, table in tables.items():
        with atomic_path(directory / name) as partial:
            write_csv(table, partial)
    for name, document in documents.items():
        with atomic_path(directory / name) as partial:
            partial.write_text(json.dumps(document, indent=2, default=str) + "\n",
                               encoding="utf-8")


#: What the days of each clock measure, for messages.
_CLOCK_WORDS = {
    "cycle": "cycle time (start of work to done)",
    "lead": "lead time (creation to done)",
    "mixed": "a mix of lead and cycle time",
    "unknown": "of an unrecorded clock (a file from before schema 1.1)",
}


def _read(export: Path, format_name: str | None, config, as_of: str | None,
          label: str | None = None):
    """Read an export with a progress bar on stderr (a line, when not a terminal);
    ``label`` names the export there instead of its path."""
    from calibrate.io import read_export

    with click.progressbar(length=max(_size(export), 1), label=f"reading {label or export}",
                           file=sys.stderr, show_eta=True) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        return read_export(export, format=format_name, config=config, as_of=as_of,
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
    try:
        cli(prog_name="calibrate")
    finally:
        # Everything made so far is about to be freed at exit: moved out of the
        # garbage collector's reach, the interpreter's shutdown takes 0.1 s
        # instead of 0.6-0.8 s after a report (files are closed by then).
        gc.freeze()

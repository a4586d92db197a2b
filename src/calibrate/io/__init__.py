"""Readers: from a tracker's export to the canonical ticket table.

Every reader returns a :class:`~calibrate.tickets.TicketTable` (the tickets
and the excluded rows with their reasons). :func:`read_export` recognises the
format from the file itself; each reader can also be called by name.

==============  ==========================================================
format          what it reads
==============  ==========================================================
``jira_csv``    Jira Cloud / Data Center "CSV (all fields)" export
``jira_json``   Jira REST search results saved with ``expand=changelog``
``linear_csv``  Linear's CSV export
``gitlab_csv``  GitLab's issues CSV export
``gitlab_json`` GitLab REST issues with label and state events
                (``calibrate pull gitlab``)
``github_json`` GitHub REST ``issues`` responses saved as JSON
``linear_json`` Linear GraphQL ``issues`` nodes (``calibrate pull linear``)
``canonical``   the canonical ticket table, CSV or Parquet
``generic_csv`` any CSV, with a ``[columns]`` mapping in calibrate.toml
==============  ==========================================================
"""

from __future__ import annotations

import datetime as dt
import difflib
import stat
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from calibrate.config import Config, config_from_dict, load_config
from calibrate.errors import InputError, Problem
from calibrate.io._csv_read import Progress, read_header
from calibrate.io._json import read_json_start
from calibrate.io.canonical import looks_like_canonical, read_canonical, write_tickets
from calibrate.io.csv_writer import write_csv
from calibrate.io.generic_csv import read_generic_csv
from calibrate.io.github_json import looks_like_github_json, read_github_json
from calibrate.io.gitlab_csv import looks_like_gitlab_csv, read_gitlab_csv
from calibrate.io.gitlab_json import looks_like_gitlab_json, read_gitlab_json
from calibrate.io.jira_csv import looks_like_jira_csv, read_jira_csv
from calibrate.io.jira_json import looks_like_jira_json, read_jira_json
from calibrate.io.linear_csv import looks_like_linear_csv, read_linear_csv
from calibrate.io.linear_json import looks_like_linear_json, read_linear_json
from calibrate.tickets import TicketTable

__all__ = [
    "AS_OF_RANGE",
    "FORMATS",
    "check_as_of",
    "detect_format",
    "read_canonical",
    "read_export",
    "read_generic_csv",
    "read_github_json",
    "read_gitlab_csv",
    "read_gitlab_json",
    "read_jira_csv",
    "read_jira_json",
    "read_linear_csv",
    "read_linear_json",
    "write_csv",
    "write_tickets",
]

Reader = Callable[..., TicketTable]

#: Reader per format name.
FORMATS: dict[str, Reader] = {
    "jira_csv": read_jira_csv,
    "jira_json": read_jira_json,
    "linear_csv": read_linear_csv,
    "gitlab_csv": read_gitlab_csv,
    "gitlab_json": read_gitlab_json,
    "github_json": read_github_json,
    "linear_json": read_linear_json,
    "canonical": read_canonical,
    "generic_csv": read_generic_csv,
}

_CSV_DETECTORS: tuple[tuple[str, Callable[[list[str]], bool]], ...] = (
    ("canonical", looks_like_canonical),
    ("jira_csv", looks_like_jira_csv),
    ("linear_csv", looks_like_linear_csv),
    ("gitlab_csv", looks_like_gitlab_csv),
)


def detect_format(path: str | Path, config: Config | None = None) -> str:
    """Name of the reader for an export file, recognised from its content.

    Raises
    ------
    InputError
        If the file matches no known export; the message shows its header.

    Examples
    --------
    >>> from calibrate.io import detect_format
    >>> detect_format("data/sample/linear_export.csv")
    'linear_csv'
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist")
    if path.is_dir():
        raise InputError(f"{path} is a directory, not an export file")
    _refuse_workbook(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        return "canonical"
    with path.open("rb") as handle:
        start = handle.read(256).lstrip(b"\xef\xbb\xbf \t\r\n")
    # A CSV header can start with "[" too; JSON's list holds objects.
    json_like = start[:1] == b"{" or (start[:1] == b"[" and start[1:].lstrip()[:1] in (b"{", b"]"))
    if path.suffix.lower() == ".json" or json_like:
        return _detect_json(path)
    header = read_header(path)
    for name, looks_like in _CSV_DETECTORS:
        if looks_like(header):
            return name
    if config is not None and config.columns:
        return "generic_csv"
    shown = ", ".join(header[:12]) + (" ..." if len(header) > 12 else "")
    raise InputError(
        f"{path} is not a ticket export calibrate recognises",
        [Problem("unrecognised header", file=str(path), row=1, value=shown or "(empty)")],
        hint="Supported: Jira CSV or JSON (REST search with changelog), Linear CSV, GitLab "
             "issues CSV, GitHub issues JSON, the canonical table; for any other CSV, map its "
             "columns in calibrate.toml under [columns] (see the README).",
    )


def _detect_json(path: Path) -> str:
    data = read_json_start(path)  # the beginning is enough: the whole may be GBs
    if looks_like_gitlab_json(data):  # (before Jira's: a pulled file is a page of issues)
        return "gitlab_json"
    # Linear before Jira and GitHub: its nodes carry an "identifier" theirs have not,
    # and a pulled file says its source even when its "issues" list is empty.
    if looks_like_linear_json(data):
        return "linear_json"
    if looks_like_jira_json(data):
        return "jira_json"
    if looks_like_github_json(data):
        return "github_json"
    raise InputError(
        f"{path} is JSON, but not a Jira search result or a GitHub issues list",
        hint="Save Jira's /rest/api/3/search response (with expand=changelog) or GitHub's "
             "/repos/OWNER/REPO/issues?state=all response.",
    )


#: Spreadsheet workbooks: by name, and by their first bytes (a zip archive:
#: .xlsx and .ods; the OLE2 compound file: .xls).
_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".numbers")
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


def _refuse_workbook(path: Path) -> None:
    """A spreadsheet workbook is not an export: say how to get the CSV."""
    try:
        with path.open("rb") as handle:
            start = handle.read(8)
    except OSError:  # (the reader says what is wrong with the file)
        return
    if path.suffix.lower() in _WORKBOOK_SUFFIXES or start.startswith(_WORKBOOK_MAGIC):
        raise InputError(
            f"{path} is a spreadsheet workbook, not a CSV or JSON export",
            hint="Save it as CSV from your spreadsheet (File → Save as → CSV UTF-8) and read "
                 "that; or export CSV from the tracker directly.",
        )


#: The times an ``as_of`` can name: a ticket history is in this range, and
#: times outside it overflow pandas' clock (2262) or the calendar.
AS_OF_RANGE = (pd.Timestamp("1900-01-01"), pd.Timestamp("2200-01-01"))


def check_as_of(as_of: str | dt.date | pd.Timestamp | np.datetime64 | None,
                name: str | None = "as_of") -> pd.Timestamp | None:
    """The time an ``as_of`` argument names, checked; None stays None.

    Accepts a date or time as text (ISO 8601, e.g. ``2024-06-30`` or
    ``2024-06-30T18:00+02:00``), a :class:`datetime.date` or datetime, a
    Timestamp or a ``numpy.datetime64``, within :data:`AS_OF_RANGE`.
    ``name`` starts the error message (the command line gives its own).

    Raises
    ------
    InputError
        If it is not a time (including ``""``, ``"nan"`` and ``NaT``, which
        would otherwise read as "no time") or lies outside the range.

    Examples
    --------
    >>> from calibrate.io import check_as_of
    >>> check_as_of("2024-06-30T18:00")
    Timestamp('2024-06-30 18:00:00')
    """
    if as_of is None:
        return None
    shown = f"{name} {as_of!r}" if name else repr(as_of)
    hint = "Give a time like 2024-06-30 or 2024-06-30T18:00, when the export was taken."
    if isinstance(as_of, bool) or not isinstance(as_of, str | dt.date | np.datetime64):
        raise InputError(f"{shown} is not a time ({type(as_of).__name__})", hint=hint)
    try:
        stamp = pd.Timestamp(as_of)
    except (ValueError, TypeError, OverflowError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise InputError(f"{shown} is not a time", hint=hint)
    wall = stamp.tz_localize(None) if stamp.tzinfo is not None else stamp
    earliest, end = AS_OF_RANGE
    if not earliest <= wall < end:
        raise InputError(
            f"{shown} is not between {earliest:%Y-%m-%d} and "
            f"{end - pd.Timedelta(days=1):%Y-%m-%d}",
            hint="Give the time the export was taken, e.g. 2024-06-30T18:00.")
    return stamp


def _suggest_format(name: object) -> str:
    folded = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    close = difflib.get_close_matches(folded, list(FORMATS), n=1, cutoff=0.6)
    return f"Did you mean {close[0]!r}? " if close else ""


def read_export(
    path: str | Path,
    format: str | None = None,
    config: Config | Mapping | str | Path | None = None,
    as_of: str | pd.Timestamp | None = None,
    progress: Progress | None = None,
) -> TicketTable:
    """Read any supported export into the canonical ticket table.

    Every reader (``read_jira_csv`` ...) takes the parameters documented
    here, except ``format``.

    Parameters
    ----------
    path : str or Path
        The export file.
    format : str, optional
        A name from :data:`FORMATS`; recognised from the file when omitted.
    config : Config, dict or path, optional
        Settings: a :class:`~calibrate.config.Config`, a dict shaped like
        ``calibrate.toml`` (``{"calendar": {"country": "DE"}}``, checked as
        the file is), or the path of a ``calibrate.toml``.
    as_of : str, date or Timestamp, optional
        When the export was taken; open tickets are right-censored there.
        Defaults to the latest time found in the export. Checked by
        :func:`check_as_of` before the file is read.
    progress : callable, optional
        Called as ``progress(bytes_read, bytes_total)`` while the file is
        read. CSV files are read in chunks, so memory is bounded by the
        ticket table, not by the file.

    Returns
    -------
    TicketTable
        The tickets, the rows left out with their reasons, and notes on
        how the export was read. Engineers the settings' ``[people] names``
        map are given the name kept (a note lists them), so one skills file
        serves every export of a team.

    Raises
    ------
    InputError
        If the file, the settings, ``format`` or ``as_of`` cannot be used
        (the settings' problems all listed together).
    TypeError
        If ``config`` is none of the types above.

    Examples
    --------
    >>> from calibrate.io import read_export
    >>> table = read_export("data/sample/linear_export.csv")
    >>> table.source_format
    'linear_csv'
    >>> table.rows_read == len(table.tickets) + len(table.excluded)
    True
    """
    # Everything given is checked before the file is read.
    if format is not None and format not in FORMATS:
        raise InputError(
            f"Unknown export format {format!r}",
            hint=f"{_suggest_format(format)}Use one of: {', '.join(FORMATS)}.",
        )
    check_as_of(as_of)
    if isinstance(config, Mapping):
        config = config_from_dict(config, origin="the config dict")
    elif config is None or isinstance(config, str | Path):
        config = load_config(config)
    elif not isinstance(config, Config):
        raise TypeError(f"config must be a Config, a dict of settings shaped like calibrate.toml "
                        f"or the path of a calibrate.toml; got {type(config).__name__}")
    _refuse_stream(Path(path))
    if format is None:
        format = detect_format(path, config)
    elif Path(path).is_file():
        _refuse_workbook(Path(path))
    return FORMATS[format](path, config=config, as_of=as_of, progress=progress)


def _refuse_stream(path: Path) -> None:
    """A pipe or device (``<(cat export.csv)``, ``/dev/stdin``) cannot be read
    twice, as recognising the format and reading the rows need: say so."""
    try:
        mode = path.stat().st_mode
    except OSError:  # missing or unreadable: the readers say which
        return
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode):
        raise InputError(
            f"{path} is a pipe or a device, not a file: calibrate reads an export more than "
            "once (to recognise it, then to read it)",
            hint="Save it to a file first (e.g. `cat ... > export.csv`) and read that file.")

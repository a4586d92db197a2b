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
``github_json`` GitHub REST ``issues`` responses saved as JSON
``canonical``   the canonical ticket table, CSV or Parquet
``generic_csv`` any CSV, with a ``[columns]`` mapping in calibrate.toml
==============  ==========================================================
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from calibrate.config import Config, load_config
from calibrate.errors import InputError, Problem
from calibrate.io._csv_read import Progress, read_header
from calibrate.io._json import read_json_documents
from calibrate.io.canonical import looks_like_canonical, read_canonical, write_tickets
from calibrate.io.csv_writer import write_csv
from calibrate.io.generic_csv import read_generic_csv
from calibrate.io.github_json import looks_like_github_json, read_github_json
from calibrate.io.gitlab_csv import looks_like_gitlab_csv, read_gitlab_csv
from calibrate.io.jira_csv import looks_like_jira_csv, read_jira_csv
from calibrate.io.jira_json import looks_like_jira_json, read_jira_json
from calibrate.io.linear_csv import looks_like_linear_csv, read_linear_csv
from calibrate.tickets import TicketTable

__all__ = [
    "FORMATS",
    "detect_format",
    "read_canonical",
    "read_export",
    "read_generic_csv",
    "read_github_json",
    "read_gitlab_csv",
    "read_jira_csv",
    "read_jira_json",
    "read_linear_csv",
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
    "github_json": read_github_json,
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
    data, _ = read_json_documents(path)
    if looks_like_jira_json(data):
        return "jira_json"
    if looks_like_github_json(data):
        return "github_json"
    raise InputError(
        f"{path} is JSON, but not a Jira search result or a GitHub issues list",
        hint="Save Jira's /rest/api/3/search response (with expand=changelog) or GitHub's "
             "/repos/OWNER/REPO/issues?state=all response.",
    )


def read_export(
    path: str | Path,
    format: str | None = None,
    config: Config | str | Path | None = None,
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
    config : Config or path, optional
        Settings, or the path of a ``calibrate.toml``.
    as_of : str or Timestamp, optional
        When the export was taken; open tickets are right-censored there.
        Defaults to the latest time found in the export.
    progress : callable, optional
        Called as ``progress(bytes_read, bytes_total)`` while the file is
        read. CSV files are read in chunks, so memory is bounded by the
        ticket table, not by the file.

    Returns
    -------
    TicketTable
        The tickets, the rows left out with their reasons, and notes on
        how the export was read.

    Examples
    --------
    >>> from calibrate.io import read_export
    >>> table = read_export("data/sample/linear_export.csv")
    >>> table.source_format
    'linear_csv'
    >>> table.rows_read == len(table.tickets) + len(table.excluded)
    True
    """
    if not isinstance(config, Config):
        config = load_config(config)
    if format is None:
        format = detect_format(path, config)
    if format not in FORMATS:
        raise InputError(
            f"Unknown export format {format!r}",
            hint=f"Use one of: {', '.join(FORMATS)}.",
        )
    return FORMATS[format](path, config=config, as_of=as_of, progress=progress)

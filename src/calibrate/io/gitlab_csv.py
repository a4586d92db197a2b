"""GitLab's issues CSV export, as GitLab really writes it.

What the reader expects, and why:

- Columns are matched by name: ``Issue ID, URL, Title, State, ...,
  Created At (UTC), Updated At (UTC), Closed At (UTC), Milestone, Weight,
  Labels, Time Estimate, Time Spent``; newer versions append ``Epic ID,
  Epic Title`` (and later ``IID``, ``Type``, ``Start Date``, parent
  columns). The columns needed are ``URL`` or ``Issue ID``, ``State``,
  ``Created At (UTC)``, ``Closed At (UTC)``, ``Weight`` and ``Assignee
  Username`` or ``Assignee``.
- Ticket id: ``Issue ID`` is the issue's number *within its project* (two
  projects of a group export both have an issue 42), while the ``URL`` is
  unique. The id is therefore the issue reference GitLab itself shows,
  ``group/project#42``, derived from the URL
  (``https://gitlab.com/group/project/-/issues/42``); when the URL is empty
  or not an issue URL, ``Issue ID`` is used as it is.
- Times are UTC, written ``YYYY-MM-DD HH:MM:SS`` without an offset; they
  are read as UTC and converted to the team's time zone.
- The export has no start-of-work time (``Start Date`` in newer exports is
  a planned date, not the start of work), so the duration is always *lead
  time*, Created to Closed, labelled ``clock=lead``.
- ``Weight`` is the points (``[points] column`` names another column).
- ``Labels`` are comma-separated in one cell and often scoped
  (``Type::Bug``, ``workflow::In Progress``); they are re-joined with
  ``"; "`` and kept whole, so area rules can match them. The issue type is
  the value of a ``Type::`` (or ``type::``) label, else the ``Type`` column
  of newer exports.
- State: ``Closed`` is done, unless a label (or the part of a scoped label
  after its last ``::``) is a not-finished resolution from the config
  (``Won't Do``, ``duplicate``, ``wontfix``, ``Resolution::Won't Do``, ...,
  compared ignoring case and punctuation): then it is closed without the
  work done. Any other state is open; an open issue is in progress
  (right-censored at the as-of time) when a label, or the part of a scoped
  label after ``::``, is one of ``[statuses] in_progress`` (``workflow::In
  Progress``, ``Doing``), otherwise not started. ``status`` is the state.
- Several assignees are comma-separated; the first is the engineer (its
  ``Assignee Username``, else its display name from ``Assignee``), and a
  note counts the issues that had several.
- ``Epic Title`` is the epic and ``Milestone`` the sprint.
- ``Description`` (Markdown) is read only for the text classifier of
  ``[areas] classify``, and only when it is on; it is never kept.
- Every assignee and author is kept in :attr:`TicketTable.people
  <calibrate.tickets.TicketTable.people>` as ``(username, display name)``
  (``Assignee Username`` paired with ``Assignee``, ``Author Username`` with
  ``Author``, position by position), so that
  :func:`calibrate.privacy.pseudonymize` can find their display names in
  titles; they are not written to any output.
- GitLab protects formula-like text against spreadsheet injection by
  prefixing it with ``'``: exactly one leading ``'`` followed by ``=``,
  ``+``, ``-``, ``@``, ``;``, a tab or a carriage return is removed from the
  text fields read (title, labels, milestone, epic title, assignee).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd

from calibrate.config import Config
from calibrate.io._csv_read import CsvExport, Progress
from calibrate.io._people import reads_people_names
from calibrate.io._reader import AREA, POINTS, CsvFormat, counted, read_csv_format
from calibrate.io._values import (
    TEXT,
    WHITESPACE,
    match_groups,
    per_distinct,
    split_values,
    ticket_states,
)
from calibrate.tickets import TicketTable

__all__ = ["GITLAB_CSV", "issue_reference", "looks_like_gitlab_csv", "read_gitlab_csv"]

#: Header names that together identify a GitLab issues export (case-insensitive).
SIGNATURE = ("Issue ID", "URL", "Title", "State", "Created At (UTC)", "Closed At (UTC)")
_ISSUE_URL = re.compile(
    r"^https?://[^/\s]+/(?P<path>[^\s?#]+?)(?:/-)?/(?:issues|work_items)/(?P<iid>\d+)/?"
    r"(?:[?#]\S*)?$"
)
# The same pattern for Arrow's engine on ASCII text (see match_groups): \s is
# every ASCII character str.isspace() accepts, \d an ASCII digit.
_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f "
_ISSUE_URL_ASCII = (rf"^https?://[^/{_SPACE}]+/(?P<path>[^{_SPACE}?#]+?)(?:/-)?/"
                    rf"(?:issues|work_items)/(?P<iid>[0-9]+)/?(?:[?#][^{_SPACE}]*)?$")


def issue_reference(url: str, issue_id: str = "") -> str:
    """The issue reference ``group/project#iid`` from an issue URL.

    Parameters
    ----------
    url : str
        The ``URL`` cell.
    issue_id : str
        The ``Issue ID`` cell, returned when the URL is not an issue URL.

    Returns
    -------
    str

    Examples
    --------
    >>> from calibrate.io.gitlab_csv import issue_reference
    >>> issue_reference("https://gitlab.com/group/proj/-/issues/42", "42")
    'group/proj#42'
    >>> issue_reference("", "42")
    '42'
    """
    match = _ISSUE_URL.match(url.strip())
    if match is None:
        return issue_id.strip()
    return f"{match['path']}#{match['iid']}"


def _derive(chunk: CsvExport, config: Config,
            people: set[tuple[str, ...]] | None = None) -> dict[str, object]:
    """GitLab's staging rules: the issue reference, the first assignee, and
    state, start of work and issue type from the labels. Every assignee and
    author found is added to ``people``."""
    if people is not None:
        for usernames, names in (("Assignee Username", "Assignee"),
                                 ("Author Username", "Author")):
            people.update(_named_people(chunk.column(usernames), chunk.column(names)))
    ticket_id = _issue_references(chunk.column("URL"), chunk.column("Issue ID"))
    # The usernames when there are any, else the display names.
    first_username, usernames = _people(chunk.column("Assignee Username"))
    first_name, names = _people(chunk.column("Assignee"))
    assignees = np.where(usernames > 0, usernames, names)
    labels = _label_rules(chunk.column("Labels"), config)
    state_cell = chunk.column("State").str.strip(WHITESPACE)
    closed = per_distinct(state_cell, str.casefold, dtype=TEXT) == "closed"
    return {
        "ticket_id": ticket_id,
        "engineer": first_username.where(usernames > 0, first_name),
        "issue_type": labels["issue_type"].where(labels["issue_type"] != "",
                                                 chunk.column("Type")),
        "status": state_cell,
        "resolution": labels["resolution"],
        "state": ticket_states(closed & (labels["resolution"] != ""), closed),
        "work_started": labels["started"].to_numpy(),
        "_several_assignees": assignees > 1,
    }


def _issue_references(urls: pd.Series, issue_ids: pd.Series) -> pd.Series:
    """:func:`issue_reference` of each row, vectorised."""
    groups = match_groups(urls.str.strip(WHITESPACE), _ISSUE_URL, _ISSUE_URL_ASCII)
    references = groups["path"] + "#" + groups["iid"]
    return references.where(groups["path"].notna(), issue_ids.str.strip(WHITESPACE))


def _named_people(usernames: pd.Series, names: pd.Series) -> set[tuple[str, ...]]:
    """``(username, display name)`` of every person in two parallel columns
    of comma-separated people (``(display name,)`` without a username)."""
    found: set[tuple[str, ...]] = set()
    # Each distinct pair once: the pairs of the columns' distinct values that occur.
    user_codes, user_cells = pd.factorize(usernames)
    name_codes, name_cells = pd.factorize(names)
    pairs = np.unique(user_codes.astype(np.int64) * max(len(name_cells), 1) + name_codes)
    for username_cell, name_cell in zip(user_cells.take(pairs // max(len(name_cells), 1)),
                                        name_cells.take(pairs % max(len(name_cells), 1)),
                                        strict=True):
        logins = split_values(username_cell or "")
        shown = split_values(name_cell or "")
        if len(logins) == len(shown):
            found.update(zip(logins, shown, strict=True))
        else:  # cannot pair them up: each on its own
            found.update((person,) for person in logins + shown)
    return found


def _people(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The first of the comma-separated people in each cell, and how many there are."""
    first = per_distinct(cells, lambda cell: next(iter(split_values(cell)), ""), dtype=TEXT)
    return first, per_distinct(cells, lambda cell: len(split_values(cell)), dtype=int)


def _label_rules(cells: pd.Series, config: Config) -> pd.DataFrame:
    """Per Labels cell: the value of its ``Type::`` label, the first label
    that is a not-finished resolution, whether a label is an in-progress
    status (a label counts whole or by its scoped value, after ``::``).
    Each distinct label is matched against the config once."""
    codes, distinct = pd.factorize(cells, use_na_sentinel=False)
    lists = [split_values(cell) for cell in distinct]
    every = pd.Series(sorted({name for labels in lists for label in labels
                              for name in (label, _scoped_value(label))}), dtype="object")
    not_finished = set(every[config.is_not_finished_resolution(every)])
    in_progress = set(every[config.is_in_progress_status(every)])
    # Per distinct cell, then taken row by row (Arrow strings, no object per row).
    return pd.DataFrame({
        "issue_type": pd.array([_type_label(labels) for labels in lists], dtype=TEXT).take(codes),
        "resolution": pd.array([_first_match(labels, not_finished) for labels in lists],
                               dtype=TEXT).take(codes),
        "started": np.array([_first_match(labels, in_progress) != "" for labels in lists],
                            dtype=bool)[codes],
    }, index=cells.index)


def _summarise(staging: pd.DataFrame, config: Config) -> tuple[list[str], list[str]]:
    return [], counted(staging, {"_several_assignees": "{count} of {rows} issues have several "
                                 "assignees; the first listed is taken as the engineer"})


#: GitLab's issues CSV export, as :func:`~calibrate.io._reader.read_csv_format` reads it.
GITLAB_CSV = CsvFormat(
    name="gitlab_csv",
    refusal="{path} is not a GitLab issues CSV export calibrate can use",
    hint="Export the issue list again with 'Export as CSV'; if the estimate lives in "
         "another column, name it in calibrate.toml under [points] column.",
    signature=SIGNATURE,
    required=(("URL", "Issue ID"), "State", "Created At (UTC)", "Closed At (UTC)", POINTS,
              ("Assignee Username", "Assignee"), AREA),
    points=("Weight",),
    # GitLab puts a ' before text that starts like a formula ('=SUM(A1)).
    escaped=("Title", "Labels", "Milestone", "Epic Title", "Assignee"),
    escape_starts=("=", "+", "-", "@", ";", "\t", "\r"),
    text={"title": "Title", "epic": "Epic Title", "sprints": "Milestone"},
    description="Description",
    lists={"labels": "Labels"},
    dates={"created_at": "Created At (UTC)", "finished_at": "Closed At (UTC)",
           "updated_at": "Updated At (UTC)"},
    derive=_derive,
    summarise=_summarise,
    assume_utc=True,
)


def looks_like_gitlab_csv(header: list[str]) -> bool:
    """Whether a CSV header is a GitLab issues export (has every column of
    :data:`SIGNATURE`, in any case).

    Examples
    --------
    >>> from calibrate.io.gitlab_csv import looks_like_gitlab_csv
    >>> looks_like_gitlab_csv(["ID", "Title", "Status"])
    False
    """
    return GITLAB_CSV.recognises(header)


@reads_people_names
def read_gitlab_csv(path: str | Path, config: Config | None = None,
                    as_of: str | pd.Timestamp | None = None,
                    progress: Progress | None = None) -> TicketTable:
    """Read a GitLab issues CSV export (a project's or group's issue list:
    "Export as CSV") into the canonical ticket table, every ticket on the
    lead clock.

    The parameters are :func:`~calibrate.io.read_export`'s; the settings it
    uses are the areas, calendar, statuses and points column.

    Raises
    ------
    InputError
        If required columns are missing (every one is listed) or a date
        column is mostly unreadable.

    Examples
    --------
    >>> from calibrate.io import read_gitlab_csv
    >>> read_gitlab_csv("tests/fixtures/gitlab_small.csv").tickets["ticket_id"].iloc[0]
    'ml/models#1'
    """
    people: set[tuple[str, ...]] = set()
    export_format = dataclasses.replace(
        GITLAB_CSV, derive=lambda chunk, config: _derive(chunk, config, people))
    table = read_csv_format(export_format, path, config, as_of, progress)
    table.people = sorted(people)
    return table


def _scoped_value(label: str) -> str:
    """``"workflow::In Progress"`` -> ``"In Progress"``; unscoped labels as they are."""
    return label.rsplit("::", 1)[-1].strip()


def _first_match(labels: list[str], names: set[str]) -> str:
    """The scoped value of the first label that, whole or by its scoped
    value, is one of ``names``; ``""`` when none is."""
    for label in labels:
        if label in names or _scoped_value(label) in names:
            return _scoped_value(label)
    return ""


def _type_label(labels: list[str]) -> str:
    for label in labels:
        scope, _, value = label.rpartition("::")
        if scope.strip().casefold() == "type" and value.strip():
            return value.strip()
    return ""

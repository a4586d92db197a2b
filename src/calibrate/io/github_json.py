"""GitHub issues: REST ``/repos/OWNER/REPO/issues?state=all`` responses saved as JSON.

What the reader accepts, and the rules it applies:

- Shapes. A list of issue objects; a list of pages (lists), as ``gh api
  --paginate --slurp`` writes it; pages written one after another, as ``gh
  api --paginate`` writes them without ``--slurp``; a search response
  (``{"total_count", "items": [...]}``); or the camel-case objects of ``gh
  issue list --json number,title,state,stateReason,createdAt,closedAt,...``.
  Fields the reader does not use are ignored. ``source_row`` is the *record
  number*: the position of the issue in the file, counted from 1 across
  pages.
- Ticket id. ``#<number>`` when every issue comes from one repository (or no
  issue names its repository); ``owner/repo#<number>`` when the file mixes
  repositories (from ``repository_url``, else ``html_url``), so that issue
  numbers of different repositories do not collide.
- Pull requests. The issues endpoint also returns pull requests (objects
  with a ``pull_request`` key). They are not tickets: each is excluded as
  ``not finished work`` with the detail ``pull request, not an issue``.
- Engineer. The first of ``assignees`` (else ``assignee``), by login; when
  an issue has several assignees the first is used, and a note counts them.
- Points. A numeric field, when present: ``[points] column`` names the key,
  else ``points``, ``story_points``, ``estimate`` or ``size`` (as added by a
  Projects export; case and separators ignored). Otherwise a label:
  ``points: 3``, ``points/3``, ``sp: 3``, ``estimate: 5``, ``size: M``
  (separator ``:``, ``/`` or ``=``; any value, so sizes can be mapped with
  ``[points] scale``), ``size M`` or ``points-3`` (space or ``-``: only a
  number or a configured size), and ``3 points``, ``3 pts``, ``3 sp``. When
  labels disagree, the first is used and a note counts them. A file whose
  issues carry no estimate at all is an error.
- Clock. The issues endpoint records no start of work: the duration is
  lead time, ``created_at`` to ``closed_at`` (``clock=lead``). An issue saved
  with its history, as ``calibrate pull github`` writes it — its
  ``/timeline`` events in ``timeline``, and its Projects status changes
  (GraphQL ``ProjectV2ItemStatusChangedEvent`` nodes) in
  ``projectStatusChanges`` — starts work at the first of: an in-progress
  label added (``labeled``), a move into an in-progress column of a classic
  project (``project_card.column_name``), or a project status changed to an
  in-progress one; it is then measured from there (``clock=cycle``). Labels,
  columns and statuses are judged as the in-progress labels below, with the
  pull's ``--in-progress`` names (in the file's ``calibrate_pull`` header)
  added to ``[statuses] in_progress``. Times are UTC; an unreadable one
  excludes the issue as ``unparseable date``, a close before the start as
  ``negative duration``.
- State. ``closed`` with ``state_reason`` ``not_planned`` or ``duplicate``
  (any of ``[statuses] not_finished_resolutions``) is not finished work;
  other closed issues are done; open issues are open, and have started work
  when a label is an in-progress status (``[statuses] in_progress``,
  compared by letters and digits as every reader compares statuses, a
  ``status:`` or ``status/`` prefix ignored, so ``in progress``, ``status:
  In Progress`` and ``in-progress`` all count); an
  open issue without such a label is excluded as ``not started``, one with
  it is censored at ``as_of``, its clock running from creation.
- Labels are joined with ``"; "`` (areas come from them, see the config),
  the milestone title is the epic, the issue type (``type.name``) the issue
  type.
- ``body`` (the description, Markdown) is read only for the text classifier
  of ``[areas] classify``, and only when it is on; it is never kept.

Malformed input — not JSON, JSON that is not a list of issues, records
without ``number`` or ``state`` — raises :class:`~calibrate.errors.InputError`
listing every problem with its record number and field; a GitHub API error
response (``{"message": "Bad credentials", ...}``) is reported as such.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from calibrate.config import Config, fold_name
from calibrate.errors import InputError, Problem
from calibrate.io._assemble import mark_problem
from calibrate.io._csv_read import Progress
from calibrate.io._json import REFUSE_AFTER, JsonExport, shape, text
from calibrate.io._people import reads_people_names
from calibrate.io._reader import (
    JsonFormat,
    Staged,
    counted,
    read_json_format,
    staged_description,
)
from calibrate.io._values import ticket_states
from calibrate.tickets import TicketTable

__all__ = ["GITHUB_JSON", "looks_like_github_json", "read_github_json"]

#: The header of a file ``calibrate pull`` wrote.
PULL_HEADER = "calibrate_pull"
#: Timeline events that move an issue in a classic project (they name its column).
_COLUMN_EVENTS = ("added_to_project", "moved_columns_in_project", "converted_note_to_issue")

#: Top-level keys that hold a numeric estimate (compared without case or separators).
POINTS_KEYS = ("points", "story_points", "estimate", "size")

_SEPARATED = re.compile(
    r"^\s*(?:story[\s_-]*points?|points?|pts|sp|estimate|size|effort)\s*([:/=]|\s|-)\s*(.+?)\s*$",
    re.IGNORECASE,
)
_SUFFIXED = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(?:story[\s_-]*points?|points?|pts|sp)\s*$",
                       re.IGNORECASE)
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")
_STATUS_PREFIX = re.compile(r"^\s*status\s*[:/]\s*", re.IGNORECASE)
_REPOSITORY = re.compile(r"/repos/([^/]+/[^/]+?)/?$")
_HTML_REPOSITORY = re.compile(r"github\.com/([^/]+/[^/]+)/(?:issues|pull)/")
_CAMEL = {"createdAt": "created_at", "closedAt": "closed_at", "updatedAt": "updated_at",
          "stateReason": "state_reason", "url": "html_url"}
_HINT = ("Save GitHub's /repos/OWNER/REPO/issues?state=all response, e.g. "
         "gh api --paginate --slurp 'repos/OWNER/REPO/issues?state=all&per_page=100' > issues.json")


def looks_like_github_json(data: Any) -> bool:
    """Whether parsed JSON is a GitHub issues list (or pages of one).

    Examples
    --------
    >>> from calibrate.io.github_json import looks_like_github_json
    >>> looks_like_github_json([{"number": 7, "state": "open",
    ...                          "created_at": "2024-05-14T08:53:33Z"}])
    True
    >>> looks_like_github_json({"issues": []})
    False
    """
    if isinstance(data, dict) and isinstance(data.get(PULL_HEADER), dict):
        return data[PULL_HEADER].get("source") == "github"  # (also when it holds no issue)
    first = next(_records(data), None)
    return isinstance(first, dict) and "number" in first and "state" in first and (
        "created_at" in first or "createdAt" in first
    )


@reads_people_names
def read_github_json(path: str | Path, config: Config | None = None,
                     as_of: str | pd.Timestamp | None = None,
                     progress: Progress | None = None) -> TicketTable:
    """Read GitHub issues saved from the REST API (``/repos/OWNER/REPO/
    issues?state=all`` responses) into the canonical ticket table, every
    ticket on the lead clock.

    The parameters are :func:`~calibrate.io.read_export`'s; the settings it
    uses are the points column and scale, in-progress labels, areas, calendar.

    Raises
    ------
    InputError
        If the file is not JSON, not a list of GitHub issues, has records
        without ``number`` or ``state`` (all listed, with record numbers), or
        no issue carries an estimate.

    Examples
    --------
    >>> from calibrate.io import read_github_json
    >>> ticket = read_github_json("tests/fixtures/github_issues.json").tickets.iloc[0]
    >>> str(ticket["ticket_id"]), str(ticket["engineer"]), float(ticket["points"])
    ('#11', 'alice-c', 3.0)
    """
    return read_json_format(GITHUB_JSON, path, config, as_of, progress)


def _stage(export: JsonExport, config: Config, path: str) -> Staged:
    """One staging row per issue, staged as it is read; pull requests marked as
    not finished work."""
    issues = _collect_issues(export, config, path)
    config = _with_pulled_in_progress(config, export.first_object)
    staging = pd.DataFrame.from_records(issues.rows, columns=issues.columns)
    staging["started_at"] = _first_in_progress(staging.pop("_moves"), config)
    repositories = set(staging.pop("_repository").dropna())
    qualified = len(repositories) > 1
    if qualified:  # issue numbers of different repositories would collide
        staging["ticket_id"] = [f"{repository}{ticket}" if repository else ticket
                                for repository, ticket in zip(issues.repositories,
                                                              staging["ticket_id"],
                                                              strict=True)]
    if not staging["_estimated"].any() and len(staging) > staging["_pull_request"].sum():
        raise _no_estimate(path, staging["labels"])
    closed = staging["status"] == "closed"
    not_finished = closed & config.is_not_finished_resolution(staging["resolution"])
    staging["state"] = ticket_states(not_finished, closed)
    staging["work_started"] = (staging["state"] == "open") & _in_progress(
        staging.pop("_labels"), config)
    mark_problem(staging, staging.pop("_pull_request").to_numpy(dtype=bool),
                 "not finished work", "pull request, not an issue")
    notes = ([f"issues of {len(repositories)} repositories: ticket ids are owner/repo#number"]
             if qualified else [])
    counts = counted(staging, {
        "_several_assignees": "{count} issues have several assignees; the first is taken as "
                              "the engineer",
        "_conflicting": "{count} issues carry several different estimates in their labels; "
                        "the first was used",
    })
    staging.pop("_estimated")
    return Staged(staging, notes, counts)


def _record(number: int, issue: dict, config: Config) -> dict[str, Any]:
    """The staging row of one issue (its state, and whether its id names its
    repository, are decided for all rows at once)."""
    labels = [name for name in (_label(v) for v in _list(issue.get("labels"))) if name]
    logins = [login for login in (_login(a) for a in _list(issue.get("assignees"))) if login]
    if not logins and _login(issue.get("assignee")):
        logins = [_login(issue.get("assignee"))]
    points, disagree = _points(issue, labels, _points_keys(config.points_column),
                               set(config.points_scale))
    is_pull_request = "pull_request" in issue
    closed = str(issue["state"]).strip().lower() == "closed"
    reason = text(issue.get("state_reason"))
    repository = _repository(issue)
    ticket = f"#{issue['number']}"
    return {
        "source_row": number,
        "ticket_id": ticket,
        "_repository": repository,
        "title": text(issue.get("title")),
        "description": staged_description(issue.get("body"), config),
        "engineer": logins[0] if logins else None,
        "issue_type": text(_name(issue.get("type"))),
        "labels": "; ".join(labels) or None,
        "epic": text(_name(issue.get("milestone"), "title")),
        "status": str(issue["state"]).strip().lower(),
        "resolution": reason.lower() if reason and closed else None,
        "points_raw": points,
        "created_at": issue.get("created_at"),
        "finished_at": issue.get("closed_at") if closed else None,
        "updated_at": issue.get("updated_at"),
        "_labels": tuple(labels),
        "_moves": _moves(issue),
        "_pull_request": is_pull_request,
        "_estimated": points is not None and not is_pull_request,
        "_several_assignees": len(logins) > 1,
        "_conflicting": disagree,
    }


def _in_progress(labels: pd.Series, config: Config) -> np.ndarray:
    """Per issue (a tuple of labels): whether a label, without a ``status:``
    or ``status/`` prefix, is an in-progress status. Each distinct label is
    matched against the config once."""
    codes, distinct = pd.factorize(labels)
    every = pd.Series(sorted({label for issue in distinct for label in issue}), dtype="object")
    started = set(every[config.is_in_progress_status(
        every.str.replace(_STATUS_PREFIX, "", regex=True))])
    flags = np.array([any(label in started for label in issue) for issue in distinct], dtype=bool)
    return flags[codes]


def _moves(issue: dict) -> tuple[tuple[str, str], ...]:
    """The ``(time, name)`` of each move that may start work, from the issue's
    saved history: labels added, classic project columns entered, project
    statuses set."""
    moves = []
    for event in _list(issue.get("timeline")):
        kind = event.get("event") if isinstance(event, dict) else None
        if kind == "labeled":
            name = _label(event.get("label"))
        elif kind in _COLUMN_EVENTS:
            name = text(_name(event.get("project_card"), "column_name"))
        else:
            continue
        if name and isinstance(event.get("created_at"), str):
            moves.append((event["created_at"], name))
    for change in _list(issue.get("projectStatusChanges")):
        name = text(change.get("status")) if isinstance(change, dict) else None
        if name and isinstance(change.get("createdAt"), str):
            moves.append((change["createdAt"], name))
    return tuple(moves)


def _first_in_progress(moves: pd.Series, config: Config) -> list[str | None]:
    """Per issue, the raw time of its earliest move into an in-progress label,
    column or status (None: none). Each distinct name is judged once, a
    ``status:`` or ``status/`` prefix ignored, as :func:`_in_progress` does."""
    names = pd.Series(sorted({name for issue in moves for _, name in issue}), dtype="object")
    started = set(names[config.is_in_progress_status(
        names.str.replace(_STATUS_PREFIX, "", regex=True))])
    first = []
    for issue in moves:
        times = [time for time, name in issue if name in started]
        first.append(min(times, key=_utc) if times else None)
    return first


def _utc(raw: str) -> pd.Timestamp:
    """A move's time, for ordering; an unreadable one sorts last (the readable decide)."""
    stamp = pd.to_datetime(raw, utc=True, errors="coerce")
    return pd.Timestamp.max.tz_localize("UTC") if pd.isna(stamp) else stamp


def _with_pulled_in_progress(config: Config, header: dict | None) -> Config:
    """``config`` with the in-progress names a pull recorded (``--in-progress``) added."""
    names = (header or {}).get(PULL_HEADER, {})
    names = names.get("query") if isinstance(names, dict) else None
    names = names.get("in_progress") if isinstance(names, dict) else None
    extra = tuple(str(name) for name in names or () if isinstance(name, str) and name.strip())
    if not extra:
        return config
    return config.with_changes(in_progress_statuses=config.in_progress_statuses + extra)


def _no_estimate(path: str, labels: pd.Series) -> InputError:
    seen = sorted({label for cell in labels.dropna() for label in cell.split("; ") if label})
    return InputError(
        f"No issue in {path} carries an estimate",
        [Problem("no points field or points label", file=path, column="labels",
                 value=", ".join(seen[:12]) if seen else "(no labels)",
                 expected="labels like 'points: 3', '3 points', 'size: M', or a numeric "
                          "'points' field")],
        hint="Name the estimate's key in calibrate.toml under [points] column, or label "
             "issues with their points.",
    )


#: GitHub's issues JSON, as :func:`~calibrate.io._reader.read_json_format` reads it.
GITHUB_JSON = JsonFormat(
    name="github_json",
    stage=_stage,
    dates={"created_at": "created_at", "started_at": "timeline: first move to in progress",
           "finished_at": "closed_at", "updated_at": "updated_at"},
    assume_utc=True,
)


def _records(data: Any) -> Iterator[Any]:
    """Issue records in file order, through pages and search responses; the
    camel-case objects of ``gh issue list --json`` renamed as the API names them."""
    if isinstance(data, dict):
        records = data["items"] if isinstance(data.get("items"), list) else [data]
    elif isinstance(data, list):
        records = (record for element in data for record in _page(element))
    else:
        records = []
    return map(_snake_case, records)


def _page(element: Any) -> list:
    if isinstance(element, list):
        return element
    if isinstance(element, dict) and isinstance(element.get("items"), list):
        return element["items"]
    return [element]


def _snake_case(record: Any) -> Any:
    if isinstance(record, dict) and "createdAt" in record:  # url is the web page there
        return {_CAMEL.get(k, k): v for k, v in record.items()}
    return record


@dataclass
class _Issues:
    """The staging rows of a file's issues, in file order."""

    columns: list[str]
    rows: list[tuple]

    @property
    def repositories(self) -> list[str | None]:
        at = self.columns.index("_repository")
        return [row[at] for row in self.rows]


def _collect_issues(export: JsonExport, config: Config, path: str) -> _Issues:
    """The issues, numbered from 1 and staged as they are read, with every
    problem listed together (as :func:`~calibrate.io._json.collect_records`
    lists them); a file whose first :data:`~calibrate.io._json.REFUSE_AFTER`
    records hold no issue is refused without reading on."""
    columns: list[str] | None = None
    rows: list[tuple] = []
    problems: list[Problem] = []
    number = valid = 0
    numbered = False  # a record has a "number": this is a list of issues
    for event in export.events("items", page_needs_list=True):
        if event[0] != "record":
            continue
        record = _snake_case(event[1])
        number += 1
        if not isinstance(record, dict):
            problems.append(Problem("record is not an issue object", file=path, row=number,
                                    value=shape(record)))
        else:
            numbered = numbered or "number" in record
            found = _issue_problems(record)
            if found:
                problems += [replace(problem, file=path, row=number) for problem in found]
            else:
                valid += 1
                staged = _record(number, record, config)
                if columns is None:
                    columns = list(staged)
                # Tuples of plain values: fewer objects for the garbage collector to walk.
                rows.append(tuple(staged.values()))
        if number >= REFUSE_AFTER and not valid:
            if not numbered:
                raise _not_issues(path, f"none of the first {number} records is an issue")
            # Said first, as the list of problems is shortened when printed.
            problems.insert(0, Problem(f"reading stopped: none of the first {number} records "
                                       "is an issue", file=path))
            break
    data = export.first_object
    if data is not None and "message" in data and "number" not in data:
        raise InputError(
            f"{path} holds a GitHub API error response, not issues: {data['message']}",
            hint=_HINT,
        )
    if not numbered and not (data is not None and isinstance(data.get(PULL_HEADER), dict)):
        raise _not_issues(path, export.shape)  # (a pull of an empty repository is fine)
    if problems:
        raise InputError(f"{path} is not a GitHub issues list calibrate can read "
                         f"({len(problems)} problems)", problems, hint=_HINT)
    # (no issue at all: the columns of one, for an empty table)
    return _Issues(columns or list(_record(0, {"number": 0, "state": "open"}, config)), rows)


def _not_issues(path: str, found: str) -> InputError:
    return InputError(
        f"{path} is JSON, but not a list of GitHub issues",
        [Problem("no GitHub issues found", file=path, value=found,
                 expected='[{"number": ..., "state": ..., "created_at": ...}, ...]')],
        hint=_HINT,
    )


def _issue_problems(record: dict) -> list[Problem]:
    problems = []
    value = record.get("number")
    if "number" not in record:
        problems.append(Problem("issue has no number", column="number"))
    elif isinstance(value, bool) or not isinstance(value, int):
        problems.append(Problem("issue number is not a whole number", column="number",
                                value=repr(value)))
    state = record.get("state")
    if not isinstance(state, str) or state.strip().lower() not in ("open", "closed"):
        problems.append(Problem("issue has no state", column="state",
                                value=None if state is None else repr(state),
                                expected="open or closed"))
    return problems


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _name(value: Any, key: str = "name") -> Any:
    return value.get(key) if isinstance(value, dict) else value


def _label(value: Any) -> str | None:
    return text(_name(value))


def _login(value: Any) -> str | None:
    return text(_name(value, "login"))


def _repository(issue: dict) -> str | None:
    for key, pattern in (("repository_url", _REPOSITORY), ("html_url", _HTML_REPOSITORY)):
        value = issue.get(key)
        match = pattern.search(value) if isinstance(value, str) else None
        if match:
            return match.group(1)
    return None


@functools.cache
def _points_keys(column: str | None) -> frozenset[str]:
    """The keys that hold an estimate (``[points] column``, else :data:`POINTS_KEYS`), folded."""
    return frozenset(fold_name(key) for key in ((column,) if column else POINTS_KEYS))


def _points(issue: dict, labels: list[str], wanted: frozenset[str],
            scale: set[str]) -> tuple[str | None, bool]:
    """The estimate as text (field first, then labels), and whether labels disagree."""
    for key, value in issue.items():
        if fold_name(key) in wanted and value is not None and not isinstance(value, dict | list):
            if isinstance(value, float) and value.is_integer():
                return str(int(value)), False
            value_text = text(value)
            if value_text:
                return value_text, False
    found = []
    for label in labels:
        match = _SEPARATED.match(label)
        if match:
            separator, value = match.group(1), match.group(2)
            if separator.strip() in (":", "/", "=") or _NUMBER.match(value) \
                    or value.lower() in scale:
                found.append(value)
            continue
        match = _SUFFIXED.match(label)
        if match:
            found.append(match.group(1))
    if not found:
        return None, False
    return found[0], len({v.lower() for v in found}) > 1

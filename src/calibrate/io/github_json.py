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
- Clock. GitHub records no start of work: the duration is lead time,
  ``created_at`` to ``closed_at`` (``clock=lead``). Times are UTC; an
  unreadable one excludes the issue as ``unparseable date``, a close before
  the creation as ``negative duration``.
- State. ``closed`` with ``state_reason`` ``not_planned`` or ``duplicate``
  (any of ``[statuses] not_finished_resolutions``) is not finished work;
  other closed issues are done; open issues are open, and have started work
  when a label is an in-progress status (``[statuses] in_progress``, case,
  ``-``/``_`` and a ``status:`` or ``status/`` prefix ignored, so ``in
  progress``, ``status: In Progress`` and ``in-progress`` all count); an
  open issue without such a label is excluded as ``not started``, one with
  it is censored at ``as_of``, its clock running from creation.
- Labels are joined with ``"; "`` (areas come from them, see the config),
  the milestone title is the epic, the issue type (``type.name``) the issue
  type.

Malformed input — not JSON, JSON that is not a list of issues, records
without ``number`` or ``state`` — raises :class:`~calibrate.errors.InputError`
listing every problem with its record number and field; a GitHub API error
response (``{"message": "Bad credentials", ...}``) is reported as such.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from calibrate.config import Config
from calibrate.errors import InputError, Problem
from calibrate.io._assemble import assemble_tickets, mark_problem, parse_date_columns
from calibrate.io._csv import Progress
from calibrate.io._json import read_json_documents
from calibrate.tickets import TicketTable

__all__ = ["looks_like_github_json", "read_github_json"]

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
    first = next(_records(data), None)
    return isinstance(first, dict) and "number" in first and "state" in first and (
        "created_at" in first or "createdAt" in first
    )


def read_github_json(
    path: str | Path,
    config: Config | None = None,
    as_of: str | pd.Timestamp | None = None,
    progress: Progress | None = None,
) -> TicketTable:
    """Read GitHub issues saved from the REST API into the canonical ticket table.

    Parameters
    ----------
    path : str or Path
        The saved ``/repos/OWNER/REPO/issues?state=all`` response(s).
    config : Config, optional
        Settings (points column and scale, in-progress labels, areas, calendar).
    as_of : str or Timestamp, optional
        When the export was taken; open tickets are censored there. Defaults
        to the latest time in the file.
    progress : callable, optional
        Called as ``progress(bytes_read, bytes_total)`` while the file is read.

    Returns
    -------
    TicketTable
        Every ticket has ``clock == "lead"``.

    Raises
    ------
    InputError
        If the file is not JSON, not a list of GitHub issues, has records
        without ``number`` or ``state`` (all listed, with record numbers), or
        no issue carries an estimate.

    Examples
    --------
    >>> from calibrate.io import read_github_json
    >>> table = read_github_json("tests/fixtures/github_issues.json")
    >>> table.rows_read == len(table.tickets) + len(table.excluded)
    True
    >>> ticket = table.tickets.set_index("ticket_id").loc["#11"]
    >>> str(ticket["engineer"]), float(ticket["points"]), str(ticket["clock"])
    ('alice-c', 3.0, 'lead')
    """
    config = config or Config()
    path_text = str(path)
    data, documents = read_json_documents(path, progress)
    issues = _collect_issues(data, path_text)
    notes = []
    if documents > 1:
        notes.append(f"{documents} JSON documents written one after another were read as pages")

    repositories = {_repository(issue) for _, issue in issues} - {None}
    qualified = len(repositories) > 1
    if qualified:
        notes.append(f"issues of {len(repositories)} repositories: ticket ids are "
                     "owner/repo#number")
    scale = set(config.points_scale)
    in_progress = {_status_key(s) for s in config.in_progress_statuses}
    not_finished: dict[str, bool] = {}
    records = []
    several_assignees = conflicting = estimated = pull_requests = 0
    for number, issue in issues:
        labels = [name for name in (_label(v) for v in _list(issue.get("labels"))) if name]
        logins = [login for login in (_login(a) for a in _list(issue.get("assignees"))) if login]
        if not logins and _login(issue.get("assignee")):
            logins = [_login(issue.get("assignee"))]
        several_assignees += len(logins) > 1
        points, disagree = _points(issue, labels, config.points_column, scale)
        conflicting += disagree
        is_pr = "pull_request" in issue
        pull_requests += is_pr
        estimated += points is not None and not is_pr

        state_text = str(issue["state"]).strip().lower()
        reason = _text(issue.get("state_reason"))
        reason = reason.lower() if reason else None
        closed = state_text == "closed"
        if reason and reason not in not_finished:
            not_finished[reason] = config.is_not_finished_resolution(reason)
        if closed and reason and not_finished[reason]:
            state = "not_done"
        else:
            state = "done" if closed else "open"
        repository = _repository(issue)
        ticket = f"#{issue['number']}"
        records.append(
            {
                "source_row": number,
                "ticket_id": f"{repository}{ticket}" if qualified and repository else ticket,
                "title": _text(issue.get("title")),
                "engineer": logins[0] if logins else None,
                "issue_type": _text(_name(issue.get("type"))),
                "labels": "; ".join(labels) or None,
                "epic": _text(_name(issue.get("milestone"), "title")),
                "status": state_text,
                "resolution": reason if closed else None,
                "points_raw": points,
                "state": state,
                "work_started": state == "open"
                and any(_status_key(label) in in_progress for label in labels),
                "is_pull_request": is_pr,
                "_created": issue.get("created_at"),
                "_closed": issue.get("closed_at") if closed else None,
                "_updated": issue.get("updated_at"),
            }
        )
    if not estimated and len(issues) > pull_requests:
        seen = sorted({label for record in records for label in
                       (record["labels"] or "").split("; ") if label})
        raise InputError(
            f"No issue in {path_text} carries an estimate",
            [Problem("no points field or points label", file=path_text, column="labels",
                     value=", ".join(seen[:12]) if seen else "(no labels)",
                     expected="labels like 'points: 3', '3 points', 'size: M', or a numeric "
                              "'points' field")],
            hint="Name the estimate's key in calibrate.toml under [points] column, or label "
                 "issues with their points.",
        )

    staging = pd.DataFrame.from_records(records)
    is_pr = staging.pop("is_pull_request").to_numpy(dtype=bool)
    mark_problem(staging, is_pr, "not finished work", "pull request, not an issue")
    dates = {
        "created_at": _cells(staging.pop("_created"), "created_at"),
        "finished_at": _cells(staging.pop("_closed"), "closed_at"),
        "updated_at": _cells(staging.pop("_updated"), "updated_at"),
    }
    notes += parse_date_columns(staging, dates, file=path_text, assume_utc=True)
    if several_assignees:
        notes.append(f"{several_assignees} issues have several assignees; the first is "
                     "taken as the engineer")
    if conflicting:
        notes.append(f"{conflicting} issues carry several different estimates in their "
                     "labels; the first was used")
    return assemble_tickets(staging, config=config, source_format="github_json",
                            path=path_text, as_of=as_of, notes=notes)


def _records(data: Any) -> Iterator[Any]:
    """Issue records in file order, through pages and search responses."""
    if isinstance(data, dict):
        if isinstance(data.get("items"), list):
            yield from data["items"]
        else:
            yield data
        return
    if not isinstance(data, list):
        return
    for element in data:
        if isinstance(element, list):
            yield from element
        elif isinstance(element, dict) and isinstance(element.get("items"), list):
            yield from element["items"]
        else:
            yield element


def _collect_issues(data: Any, path: str) -> list[tuple[int, dict]]:
    """The issues, numbered from 1, with every problem listed together."""
    if isinstance(data, dict) and "message" in data and "number" not in data:
        raise InputError(
            f"{path} holds a GitHub API error response, not issues: {data['message']}",
            hint=_HINT,
        )
    records = list(_records(data))
    if not any(isinstance(r, dict) and "number" in r for r in records):
        raise InputError(
            f"{path} is JSON, but not a list of GitHub issues",
            [Problem("no GitHub issues found", file=path, value=_shape(data),
                     expected='[{"number": ..., "state": ..., "created_at": ...}, ...]')],
            hint=_HINT,
        )
    problems = []
    issues = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            problems.append(Problem("record is not an issue object", file=path, row=number,
                                    value=_shape(record)))
            continue
        if "createdAt" in record:  # gh issue list --json: camel case, url is the web page
            record = {_CAMEL.get(k, k): v for k, v in record.items()}
        value = record.get("number")
        if "number" not in record:
            problems.append(Problem("issue has no number", file=path, row=number,
                                    column="number"))
        elif isinstance(value, bool) or not isinstance(value, int):
            problems.append(Problem("issue number is not a whole number", file=path, row=number,
                                    column="number", value=repr(value)))
        state = record.get("state")
        if not isinstance(state, str) or state.strip().lower() not in ("open", "closed"):
            problems.append(Problem("issue has no state", file=path, row=number, column="state",
                                    value=None if state is None else repr(state),
                                    expected="open or closed"))
        issues.append((number, record))
    if problems:
        raise InputError(f"{path} is not a GitHub issues list calibrate can read "
                         f"({len(problems)} problems)", problems, hint=_HINT)
    return issues


def _shape(value: Any) -> str:
    if isinstance(value, dict):
        keys = list(value)[:6]
        return "an object with keys " + ", ".join(map(str, keys)) + (" ..." if len(value) > 6
                                                                     else "")
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    return f"{type(value).__name__} {str(value)[:40]!r}"


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _name(value: Any, key: str = "name") -> Any:
    return value.get(key) if isinstance(value, dict) else value


def _label(value: Any) -> str | None:
    return _text(_name(value))


def _login(value: Any) -> str | None:
    return _text(_name(value, "login"))


def _repository(issue: dict) -> str | None:
    for key, pattern in (("repository_url", _REPOSITORY), ("html_url", _HTML_REPOSITORY)):
        value = issue.get(key)
        match = pattern.search(value) if isinstance(value, str) else None
        if match:
            return match.group(1)
    return None


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _status_key(label: str) -> str:
    text = _STATUS_PREFIX.sub("", label).lower().replace("-", " ").replace("_", " ")
    return " ".join(text.split())


def _points(issue: dict, labels: list[str], column: str | None,
            scale: set[str]) -> tuple[str | None, bool]:
    """The estimate as text (field first, then labels), and whether labels disagree."""
    wanted = {_fold(column)} if column else {_fold(k) for k in POINTS_KEYS}
    for key, value in issue.items():
        if _fold(str(key)) in wanted and value is not None and not isinstance(value, dict | list):
            if isinstance(value, float) and value.is_integer():
                return str(int(value)), False
            text = _text(value)
            if text:
                return text, False
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


def _cells(values: pd.Series, column: str) -> pd.Series:
    """Raw date cells as text (``""`` where the issue has no value)."""
    cells = [v if isinstance(v, str) else "" if v is None or v != v else str(v)
             for v in values.astype("object")]
    return pd.Series(cells, index=values.index, dtype="object", name=column)

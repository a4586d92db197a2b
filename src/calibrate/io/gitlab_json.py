"""GitLab issues from the REST API, with their label and state events.

The file ``calibrate pull gitlab`` writes — ``{"calibrate_pull": {...},
"issues": [...]}``, each issue as ``GET /projects/:id/issues`` returns it
with the lists of ``GET .../issues/:iid/resource_label_events`` and
``.../resource_state_events`` added under those names — and also a bare list
of issue objects, or pages of them written one after another (``glab api
--paginate``), with or without the events.

What the reader takes, and the rules it applies:

- Ticket id: the issue reference ``group/project#iid`` from ``web_url`` (as
  the GitLab CSV reader derives it from ``URL``), else ``references.full``,
  else the ``iid``.
- Start of work: the *first* ``add`` event of an in-progress label: a label
  that, whole or by its scoped value (after the last ``::``), is one of
  ``[statuses] in_progress`` (so ``workflow::In Dev``, ``workflow::in
  progress``, ``Doing`` and ``In Progress`` all count with the defaults;
  compared by letters and digits, ignoring case). A label added after the
  issue was (last) closed is ignored. Such tickets are on the cycle clock;
  those without one — no workflow label, or an issue saved without its
  label events — keep lead time (created to closed), labelled
  ``clock=lead``, as in the CSV export. Pauses (a workflow label removed)
  are not subtracted.
- Finish: the last ``closed`` state event (a ``reopened`` one after it
  means the issue is open again, as its ``state`` says), else
  ``closed_at``.
- State: ``closed`` is done unless a label (whole or by its scoped value)
  is a not-finished resolution (``duplicate``, ``Resolution::Won't Do``,
  ...), as in the CSV reader, or the issue was moved to another project
  (``moved_to_id``): then it is not finished work. ``opened`` is open, and
  in progress (right-censored) when it has a start of work or carries an
  in-progress label now.
- Points: ``weight`` (``[points] column`` names another key of the issue
  object). Engineer: the first of ``assignees`` by username (a note counts
  issues with several). Labels joined with ``"; "`` (plain names, or the
  ``name`` of label objects from ``with_labels_details=true``); issue type:
  the value of a ``Type::`` label, else the work item ``type`` (``ISSUE`` →
  ``Issue``); epic: ``epic.title``; sprints: ``milestone.title``.
- ``description`` (Markdown) is read only for the text classifier of
  ``[areas] classify``, and only when it is on; it is never kept.
- Every assignee and the author are kept in :attr:`TicketTable.people
  <calibrate.tickets.TicketTable.people>` as ``(username, name)``, for
  :func:`calibrate.privacy.pseudonymize`.
- Times are ISO 8601 with their offset (``2024-03-04T09:00:00.000Z``),
  converted to the team's time zone; an unreadable event time excludes the
  issue as ``unparseable date``.

Malformed input — not JSON, not GitLab issues, issues without ``iid`` or
``state`` — raises :class:`~calibrate.errors.InputError` listing every
problem with its record number; a file in which no issue has a weight (a
GitLab tier without weights) is an error that says how to name the points.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from calibrate.config import Config
from calibrate.errors import InputError, Problem
from calibrate.io._assemble import mark_problem
from calibrate.io._csv_read import Progress
from calibrate.io._json import REFUSE_AFTER, JsonExport, get, shape, text
from calibrate.io._people import reads_people_names
from calibrate.io._reader import (
    JsonFormat,
    Staged,
    counted,
    read_json_format,
    staged_description,
)
from calibrate.io._values import ticket_states
from calibrate.io.gitlab_csv import _label_rules, issue_reference
from calibrate.tickets import TicketTable

__all__ = ["GITLAB_JSON", "looks_like_gitlab_json", "read_gitlab_json"]

_HINT = ("Pull the project with `calibrate pull gitlab --project GROUP/PROJECT --out "
         "history.json`, or save GitLab's /projects/:id/issues?state=all responses.")
_LABEL_EVENTS = "resource_label_events"
_STATE_EVENTS = "resource_state_events"


def looks_like_gitlab_json(data: Any) -> bool:
    """Whether parsed JSON is GitLab issues (a pulled file, a list, or pages).

    Examples
    --------
    >>> from calibrate.io.gitlab_json import looks_like_gitlab_json
    >>> looks_like_gitlab_json([{"id": 84, "iid": 4, "project_id": 3, "state": "opened",
    ...                          "created_at": "2024-03-11T10:00:00.000Z"}])
    True
    >>> looks_like_gitlab_json([{"number": 7, "state": "open"}])
    False
    """
    if isinstance(data, dict) and isinstance(data.get("calibrate_pull"), dict):
        return data["calibrate_pull"].get("source") == "gitlab"
    first = next(_records(data), None)
    return isinstance(first, dict) and all(
        key in first for key in ("iid", "project_id", "state", "created_at"))


@reads_people_names
def read_gitlab_json(path: str | Path, config: Config | None = None,
                     as_of: str | pd.Timestamp | None = None,
                     progress: Progress | None = None) -> TicketTable:
    """Read GitLab issues saved from the REST API, with their label and state
    events (as ``calibrate pull gitlab`` writes them), into the canonical
    ticket table: tickets with a workflow label on the cycle clock, the
    others on the lead clock.

    The parameters are :func:`~calibrate.io.read_export`'s; the settings it
    uses are the statuses (in-progress labels, not-finished resolutions),
    points column, areas and calendar.

    Raises
    ------
    InputError
        If the file is not JSON, not GitLab issues, has records without
        ``iid`` or ``state`` (all listed, with record numbers), or no issue
        has a weight.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> from calibrate.io import read_gitlab_json
    >>> issue = {"iid": 1, "project_id": 3, "state": "closed", "weight": 3,
    ...          "web_url": "https://gitlab.com/ml/models/-/issues/1",
    ...          "assignees": [{"username": "priya", "name": "Priya Raman"}],
    ...          "created_at": "2024-03-04T09:00:00Z", "closed_at": "2024-03-06T15:00:00Z",
    ...          "resource_label_events": [{"action": "add", "label": {"name": "workflow::doing"},
    ...                                     "created_at": "2024-03-05T09:00:00Z"}]}
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "issues.json"
    >>> _ = path.write_text(json.dumps([issue]))
    >>> ticket = read_gitlab_json(path).tickets.iloc[0]
    >>> str(ticket["ticket_id"]), str(ticket["clock"]), float(ticket["duration_days"])
    ('ml/models#1', 'cycle', 1.25)
    """
    people: set[tuple[str, ...]] = set()
    export_format = dataclasses.replace(
        GITLAB_JSON, stage=lambda export, config, path: _stage(export, config, path, people))
    table = read_json_format(export_format, path, config, as_of, progress)
    table.people = sorted(people)
    return table


def _stage(export: JsonExport, config: Config, path: str,
           people: set[tuple[str, ...]] | None = None) -> Staged:
    """One staging row per issue, its start and finish from its events."""
    classify = _LabelClasses(config)
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    number = valid = 0
    gitlab_like = False
    for event in export.events("issues", page_needs_list=True):
        if event[0] != "record":
            gitlab_like = True  # a page with an "issues" list
            continue
        record = event[1]
        number += 1
        if not isinstance(record, dict):
            problems.append(Problem("record is not an issue object", file=path, row=number,
                                    value=shape(record)))
        else:
            gitlab_like = gitlab_like or "iid" in record
            found = _issue_problems(record)
            if found:
                problems += [dataclasses.replace(p, file=path, row=number) for p in found]
            else:
                valid += 1
                rows.append(_record(number, record, config, classify, people))
        if number >= REFUSE_AFTER and not valid:
            if not gitlab_like:
                raise _not_issues(path, f"none of the first {number} records is an issue")
            problems.insert(0, Problem(f"reading stopped: none of the first {number} records "
                                       "is an issue", file=path))
            break
    data = export.first_object
    if data is not None and "message" in data and "iid" not in data:
        raise InputError(f"{path} holds a GitLab API error response, not issues: "
                         f"{data['message']}", hint=_HINT)
    if not gitlab_like:
        raise _not_issues(path, export.shape)
    if problems:
        raise InputError(f"{path} is not a GitLab issues file calibrate can read "
                         f"({len(problems)} problems)", problems, hint=_HINT)
    staging = pd.DataFrame(rows)
    if staging.empty:  # (an empty project: a table with the date columns only)
        return Staged(pd.DataFrame(columns=["source_row", *GITLAB_JSON.dates], dtype=object))
    if not staging["_weighted"].any():
        raise InputError(
            f"No issue in {path} has a weight",
            [Problem("no weight", file=path, column=config.points_column or "weight",
                     expected="the issues' story points in 'weight'")],
            hint="Weights are a feature of GitLab's paid tiers; if the points live in another "
                 "key of the issue objects, name it in calibrate.toml under [points] column.")
    labels = _label_rules(staging.pop("_labels"), config)
    closed = staging["_closed"].to_numpy(dtype=bool)
    moved = staging.pop("_moved").to_numpy(dtype=bool)
    staging["issue_type"] = labels["issue_type"].where(labels["issue_type"] != "",
                                                       staging["issue_type"])
    staging["resolution"] = labels["resolution"].where(~moved, "moved")
    staging["state"] = ticket_states(closed & ((labels["resolution"] != "").to_numpy() | moved),
                                     closed)
    staging["work_started"] = staging["started_at"].notna() | labels["started"]
    # An unreadable event time comes first: the start or finish found may be wrong.
    mark_problem(staging, staging["_problem"].notna().to_numpy(), "unparseable date",
                 staging["_problem"])
    mark_problem(staging, moved, "not finished work", "moved to another project")
    staging = staging.drop(columns=["_closed", "_weighted", "_problem"])
    counts = counted(staging, {
        "_several_assignees": "{count} of {rows} issues have several assignees; the first "
                              "listed is taken as the engineer",
        "_no_events": "{count} issues were saved without their label events "
                      "(resource_label_events): their start of work is unknown, lead time "
                      "is used",
    })
    return Staged(staging, [], counts)


def _record(number: int, issue: dict, config: Config, classify: _LabelClasses,
            people: set[tuple[str, ...]] | None) -> dict[str, Any]:
    """The staging row of one issue (label rules are applied to all rows at once)."""
    labels = [name for name in (_label_name(label) for label in _list(issue.get("labels")))
              if name]
    assignees = [a for a in _list(issue.get("assignees")) if isinstance(a, dict)]
    if not assignees and isinstance(issue.get("assignee"), dict):
        assignees = [issue["assignee"]]
    usernames = [text(a.get("username")) or text(a.get("name")) for a in assignees]
    usernames = [name for name in usernames if name]
    if people is not None:
        for person in (*assignees, issue.get("author")):
            if isinstance(person, dict):
                pair = tuple(v for v in (text(person.get("username")), text(person.get("name")))
                             if v)
                if pair:
                    people.add(pair)
    closed = str(issue["state"]).strip().lower() == "closed"
    points_key = config.points_column or "weight"
    points = issue.get(points_key)
    events = _Events(issue, classify)
    finished = None
    if closed:
        finished = events.last_closed or text(issue.get("closed_at"))
    started = events.first_start(until=finished if closed else None)
    url = text(issue.get("web_url")) or ""
    reference = text(get(issue, "references", "full"))
    ticket = issue_reference(url, reference or str(issue["iid"]))
    kind = text(issue.get("type"))
    return {
        "source_row": number,
        "ticket_id": ticket,
        "title": text(issue.get("title")),
        "description": staged_description(issue.get("description"), config),
        "engineer": usernames[0] if usernames else None,
        "issue_type": kind.replace("_", " ").capitalize() if kind else None,
        "labels": "; ".join(labels) or None,
        "epic": text(get(issue, "epic", "title")),
        "sprints": text(get(issue, "milestone", "title")),
        "status": "Closed" if closed else "Open",
        "area_raw": text(issue.get(config.area_column)) if config.area_column else None,
        "points_raw": None if isinstance(points, dict | list) else text(points),
        "created_at": issue.get("created_at"),
        "started_at": started,
        "finished_at": finished,
        "updated_at": issue.get("updated_at"),
        # The CSV reader's label rules take a comma-separated cell (GitLab
        # label names cannot hold a comma).
        "_labels": ",".join(labels),
        "_closed": closed,
        "_moved": closed and issue.get("moved_to_id") is not None,
        "_weighted": text(points) is not None and not isinstance(points, dict | list),
        "_problem": events.problem,
        "_several_assignees": len(usernames) > 1,
        "_no_events": _LABEL_EVENTS not in issue,
    }


class _LabelClasses:
    """Whether a label name is an in-progress one, matched once per name."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.known: dict[str, bool] = {}

    def in_progress(self, name: str) -> bool:
        found = self.known.get(name)
        if found is None:
            scoped = name.rsplit("::", 1)[-1].strip()
            found = bool(self.config.is_in_progress_status(name)
                         or self.config.is_in_progress_status(scoped))
            self.known[name] = found
        return found


class _Events:
    """One issue's label and state events, in time order."""

    def __init__(self, issue: dict, classify: _LabelClasses) -> None:
        self.problem: str | None = None
        self.starts: list[tuple[dt.datetime, int, str]] = []
        closes: list[tuple[dt.datetime, int, str]] = []
        for order, event in enumerate(_list(issue.get(_LABEL_EVENTS))):
            if not isinstance(event, dict) or str(event.get("action")) != "add":
                continue
            name = _label_name(event.get("label"))  # None: a label deleted since
            if name is None or not classify.in_progress(name):
                continue
            when = self._time(event.get("created_at"), _LABEL_EVENTS)
            if when is not None:
                self.starts.append((when, order, event["created_at"]))
        for order, event in enumerate(_list(issue.get(_STATE_EVENTS))):
            if isinstance(event, dict) and event.get("state") in ("closed", "reopened"):
                when = self._time(event.get("created_at"), _STATE_EVENTS)
                if when is not None:
                    closes.append((when, order, event["state"], event["created_at"]))
        self.starts.sort()
        closes.sort()
        self.last_closed = closes[-1][3] if closes and closes[-1][2] == "closed" else None

    def _time(self, raw: Any, where: str) -> dt.datetime | None:
        try:
            when = dt.datetime.fromisoformat(str(raw).strip())
        except ValueError:
            if self.problem is None:
                self.problem = f"{where}: event time {raw!r} is not a date"
            return None
        return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)

    def first_start(self, until: str | None) -> str | None:
        """The raw time of the first in-progress label added (by ``until``, when given)."""
        limit = None
        if until is not None:
            try:
                limit = dt.datetime.fromisoformat(until.strip())
            except ValueError:  # (the finish itself is reported as unreadable)
                limit = None
            if limit is not None and limit.tzinfo is None:
                limit = limit.replace(tzinfo=dt.UTC)
        for when, _, raw in self.starts:
            if limit is None or when <= limit:
                return raw
        return None


#: GitLab's issues JSON, as :func:`~calibrate.io._reader.read_json_format` reads it.
GITLAB_JSON = JsonFormat(
    name="gitlab_json",
    stage=_stage,
    dates={"created_at": "created_at",
           "started_at": "resource_label_events: first in-progress label added",
           "finished_at": "resource_state_events: last closed / closed_at",
           "updated_at": "updated_at"},
    assume_utc=True,
)


def _records(data: Any) -> Iterator[Any]:
    """Issue records in file order, through pages and a pulled file."""
    if isinstance(data, dict):
        return iter(data["issues"] if isinstance(data.get("issues"), list) else [data])
    if isinstance(data, list):
        return (record for element in data
                for record in (element if isinstance(element, list) else [element]))
    return iter(())


def _issue_problems(record: dict) -> list[Problem]:
    problems = []
    iid = record.get("iid")
    if "iid" not in record:
        problems.append(Problem("issue has no iid", column="iid"))
    elif isinstance(iid, bool) or not isinstance(iid, int):
        problems.append(Problem("issue iid is not a whole number", column="iid",
                                value=repr(iid)))
    state = record.get("state")
    if not isinstance(state, str) or state.strip().lower() not in ("opened", "closed"):
        problems.append(Problem("issue has no state", column="state",
                                value=None if state is None else repr(state),
                                expected="opened or closed"))
    for key in (_LABEL_EVENTS, _STATE_EVENTS):
        if key in record and not isinstance(record[key], list):
            problems.append(Problem(f"{key} is not a list", column=key,
                                    value=shape(record[key])))
    return problems


def _not_issues(path: str, found: str) -> InputError:
    return InputError(
        f"{path} is JSON, but not GitLab issues",
        [Problem("no GitLab issues found", file=path, value=found,
                 expected='[{"iid": ..., "state": ..., "created_at": ...}, ...]')],
        hint=_HINT,
    )


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _label_name(label: Any) -> str | None:
    return text(label.get("name")) if isinstance(label, dict) else text(label)

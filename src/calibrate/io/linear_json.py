"""Linear issues: GraphQL ``issues`` nodes saved as JSON (what ``calibrate pull linear`` writes).

What the reader accepts, and the rules it applies:

- Shapes. The file ``calibrate pull linear`` writes (``{"calibrate_pull":
  {...}, "issues": [node, ...]}``); a saved GraphQL response (``{"data":
  {"issues": {"nodes": [...], "pageInfo": {...}}}}``, also ``data.team.issues``
  and ``edges``), a list of such pages, pages written one after another, or a
  bare list of issue nodes. Fields the reader does not use are ignored.
  ``source_row`` is the *record number*: the position of the issue in the
  file, counted from 1 across pages.
- The issue node is Linear's ``Issue`` object: ``identifier`` (``ENG-123``,
  the ticket id), ``title``, ``createdAt``, ``updatedAt``, ``startedAt``,
  ``completedAt``, ``canceledAt``, ``estimate``, ``assignee { name
  displayName email }``, ``labels { nodes { name } }``, ``team { key name }``,
  ``state { name type }``, ``project { name }``, ``cycle { number name }`` and
  ``history { nodes { createdAt fromEstimate toEstimate } }``; ``description``
  (Markdown) is read only for the text classifier of ``[areas] classify``,
  and only when it is on, and never kept.
- The rules are those of the Linear CSV reader (:mod:`calibrate.io.linear_csv`),
  so the same tickets give the same canonical table: the engineer is the
  assignee's e-mail (as the CSV export names them; else the display name,
  else the name); the team is the team's name, the epic the project's name,
  the sprint the cycle's name (``Cycle <number>`` when it has none); labels
  are joined with ``"; "``. Linear has no issue types.
- Clock: work starts at ``startedAt`` (the first move into a "started"
  state), so the duration is *cycle time*, ``startedAt`` to ``completedAt``
  (``clock=cycle``); a completed issue without ``startedAt`` gets lead time
  from ``createdAt`` (``clock=lead``). Times are ISO 8601 in UTC.
- State: an issue with ``canceledAt`` set, whose state type is ``canceled``
  or whose state name is a not-finished resolution in the config is closed
  without the work done (abandoned); one with ``completedAt`` set, state
  type ``completed`` or a ``[statuses] done`` state name is done; every other
  issue is open: in progress (right-censored at the as-of time) when
  ``startedAt`` is set, its state type is ``started`` or its name one of
  ``[statuses] in_progress``, otherwise not started.
- Points: ``estimate`` (the team's scale; Linear stores t-shirt sizes as
  numbers too); ``[points] column`` names another key of the issue node.
  Re-estimates: the history's estimate changes (``fromEstimate`` ->
  ``toEstimate``) are replayed in time order, and the estimate in force when
  work started is the ticket's points; a later change to another number marks
  it ``repointed`` (as the Jira changelog reader does). Without estimate
  changes, or without a start of work, the current estimate is used.
- Issues saved without their history, and issues whose history has more
  entries than the file holds (``history.pageInfo.hasNextPage``), are counted
  in a note: their estimate at the start of work may be unknown.

Malformed input — not JSON, JSON that is not a list of Linear issues, records
without ``identifier`` — raises :class:`~calibrate.errors.InputError` listing
every problem with its record number and field; a GraphQL error response
(``{"errors": [{"message": ...}]}``) is reported as such.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
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
from calibrate.tickets import TicketTable

__all__ = ["LINEAR_JSON", "looks_like_linear_json", "read_linear_json"]

_HINT = ("Pull the issues with `calibrate pull linear --out history.json`, or save Linear's "
         "GraphQL issues(first:, after:) responses with the fields the reader documents.")


def looks_like_linear_json(data: Any) -> bool:
    """Whether parsed JSON is Linear issue nodes (a pulled file, GraphQL pages,
    or a list of nodes).

    Examples
    --------
    >>> from calibrate.io.linear_json import looks_like_linear_json
    >>> looks_like_linear_json({"issues": [{"identifier": "ENG-1",
    ...                                     "createdAt": "2024-05-14T08:53:33.000Z"}]})
    True
    >>> looks_like_linear_json([{"number": 7, "state": "open"}])
    False
    """
    if isinstance(data, dict) and get(data, "calibrate_pull", "source") == "linear":
        return True
    elements = data if isinstance(data, list) else [data]
    for element in elements[:2]:  # (an empty first page: the next decides)
        if isinstance(element, dict) and isinstance(element.get("issues"), list):
            nodes = element["issues"]
        else:
            nodes = _nodes(element)
        if nodes:
            return _is_issue(nodes[0])
    return False


@reads_people_names
def read_linear_json(path: str | Path, config: Config | None = None,
                     as_of: str | pd.Timestamp | None = None,
                     progress: Progress | None = None) -> TicketTable:
    """Read Linear issues saved from its GraphQL API (the file ``calibrate
    pull linear`` writes, or saved ``issues`` responses) into the canonical
    ticket table; issues with a ``startedAt`` are on the cycle clock.

    The parameters are :func:`~calibrate.io.read_export`'s; the settings it
    uses are the statuses, the points column and scale, areas and calendar.

    Raises
    ------
    InputError
        If the file is not JSON, not Linear issue nodes, or has records
        without ``identifier`` (all listed, with record numbers).

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> from calibrate.io import read_linear_json
    >>> issue = {"identifier": "ML-1", "createdAt": "2024-05-06T08:00:00.000Z",
    ...          "startedAt": "2024-05-07T09:00:00.000Z",
    ...          "completedAt": "2024-05-09T15:00:00.000Z", "estimate": 3,
    ...          "assignee": {"email": "priya@example.com"},
    ...          "state": {"name": "Done", "type": "completed"}}
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "linear.json"
    >>> _ = path.write_text(json.dumps({"issues": [issue]}))
    >>> ticket = read_linear_json(path).tickets.iloc[0]
    >>> str(ticket["clock"]), float(ticket["points"]), float(ticket["duration_days"])
    ('cycle', 3.0, 2.25)
    """
    return read_json_format(LINEAR_JSON, path, config, as_of, progress)


# --------------------------------------------------------------------------- staging


def _stage(export: JsonExport, config: Config, path: str) -> Staged:
    """One staging row per issue node, its estimate at the start of work replayed
    from its history."""
    issues = _collect_issues(export, config, path)
    staging = pd.DataFrame.from_records(issues.rows, columns=issues.columns)
    status = staging["status"]
    kind = staging.pop("_state_type")
    not_finished = (staging.pop("_canceled").to_numpy(dtype=bool) | (kind == "canceled").to_numpy()
                    | np.asarray(config.is_not_finished_resolution(status), dtype=bool))
    done = (staging.pop("_completed").to_numpy(dtype=bool) | (kind == "completed").to_numpy()
            | np.asarray(config.is_done_status(status), dtype=bool))
    staging["state"] = ticket_states(not_finished, done)
    staging["work_started"] = (staging.pop("_started").to_numpy(dtype=bool)
                               | (kind == "started").to_numpy()
                               | np.asarray(config.is_in_progress_status(status), dtype=bool))
    # An unreadable history time is the ticket's first problem: its estimate at
    # the start of work may be wrong in any way.
    details = staging.pop("_history_problem")
    mark_problem(staging, details.notna().to_numpy(), "unparseable date", details)
    return Staged(staging, [], counted(staging, {
        "_no_history": "{count} issues were saved without their history: re-estimates are "
                       "not known, their current estimate is used",
        "_truncated": "{count} issues have more history entries than the file holds "
                      "(history.pageInfo.hasNextPage): their estimate at the start of work "
                      "may be missing; pull them again with calibrate pull linear",
    }))


def _record(number: int, issue: dict, config: Config) -> dict[str, Any]:
    """The staging row of one issue node (its state is decided for all rows at once)."""
    history = issue.get("history")
    started_raw = issue.get("startedAt")
    replay = _replay_estimates(_history_nodes(history), started_raw)
    points_key = config.points_column or "estimate"
    return {
        "source_row": number,
        "ticket_id": text(issue.get("identifier")),
        "title": text(issue.get("title")),
        "description": staged_description(issue.get("description"), config),
        "engineer": _person(issue.get("assignee")),
        "labels": "; ".join(_label_names(issue.get("labels"))) or None,
        "epic": text(get(issue, "project", "name")),
        "team": text(get(issue, "team", "name")) or text(get(issue, "team", "key")),
        "sprints": _cycle(issue.get("cycle")),
        "status": text(get(issue, "state", "name")),
        "area_raw": _scalar(issue.get(config.area_column)) if config.area_column else None,
        "points_raw": _scalar(issue.get(points_key)),
        "points_at_start": replay.points_at_start,
        "repointed": replay.repointed,
        "created_at": issue.get("createdAt"),
        "started_at": started_raw,
        "finished_at": issue.get("completedAt"),
        "updated_at": issue.get("updatedAt"),
        "_state_type": (text(get(issue, "state", "type")) or "").casefold(),
        "_canceled": text(issue.get("canceledAt")) is not None,
        "_completed": text(issue.get("completedAt")) is not None,
        "_started": text(started_raw) is not None,
        "_history_problem": replay.problem,
        "_no_history": history is None,
        "_truncated": get(history, "pageInfo", "hasNextPage") is True,
    }


@dataclass(frozen=True)
class _Replay:
    points_at_start: float = np.nan
    repointed: bool = False
    problem: str | None = None


def _replay_estimates(history: list[dict], started_raw: Any) -> _Replay:
    """The estimate in force at the start of work, and whether it changed to
    another number afterwards, from the history's estimate changes.

    The rule is the Jira changelog reader's: the last change at or before the
    start gives the estimate; with none, the value the first change replaced.
    """
    started = _time(started_raw)
    if started is None or pd.isna(started):
        return _Replay()
    changes = []
    for order, entry in enumerate(history):
        before, after = entry.get("fromEstimate"), entry.get("toEstimate")
        if before is None and after is None:  # (not an estimate change)
            continue
        raw = entry.get("createdAt")
        time = _time(raw)
        if time is None or pd.isna(time):
            return _Replay(problem=f"history entry time {raw!r} is not a date")
        changes.append((time, order, _number(before), _number(after)))
    if not changes:
        return _Replay()
    changes.sort(key=lambda change: change[:2])
    before_start = [change for change in changes if change[0] <= started]
    value = before_start[-1][3] if before_start else changes[0][2]
    if math.isnan(value):
        return _Replay()
    later = (change[3] for change in changes if change[0] > started)
    return _Replay(value, any(not math.isnan(after) and after != value for after in later))


def _time(raw: Any) -> pd.Timestamp | None:
    """A history or start time in UTC; None when there is none, NaT when unreadable."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        stamp = pd.Timestamp(raw.strip())
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
    if pd.isna(stamp):
        return pd.NaT
    return stamp.tz_convert("UTC") if stamp.tzinfo is not None else stamp.tz_localize("UTC")


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return np.nan
    return float(value) if math.isfinite(value) else np.nan


def _scalar(value: Any) -> str | None:
    """A value as text: whole numbers without a spurious ``.0``, objects by name."""
    if isinstance(value, dict):
        value = value.get("name")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return text(value)


def _person(value: Any) -> str | None:
    if not isinstance(value, dict):
        return text(value)
    for key in ("email", "displayName", "name"):
        name = text(value.get(key))
        if name:
            return name
    return None


def _label_names(labels: Any) -> list[str]:
    nodes = labels.get("nodes") if isinstance(labels, dict) else labels
    if not isinstance(nodes, list):
        return []
    return [name for name in (text(get(n, "name")) if isinstance(n, dict) else text(n)
                              for n in nodes) if name]


def _cycle(cycle: Any) -> str | None:
    if not isinstance(cycle, dict):
        return None
    name = text(cycle.get("name"))
    number = _scalar(cycle.get("number"))
    return name or (f"Cycle {number}" if number else None)


def _history_nodes(history: Any) -> list[dict]:
    nodes = history.get("nodes") if isinstance(history, dict) else history
    return [n for n in nodes if isinstance(n, dict)] if isinstance(nodes, list) else []


#: Linear's issue nodes, as :func:`~calibrate.io._reader.read_json_format` reads them.
LINEAR_JSON = JsonFormat(
    name="linear_json",
    stage=_stage,
    dates={"created_at": "createdAt", "started_at": "startedAt", "finished_at": "completedAt",
           "updated_at": "updatedAt"},
    assume_utc=True,
)


# --------------------------------------------------------------------------- records


def _is_issue(value: Any) -> bool:
    return isinstance(value, dict) and "identifier" in value and (
        "createdAt" in value or "startedAt" in value or "completedAt" in value)


def _nodes(value: Any) -> list:
    """The issue nodes a record holds: itself when it is an issue, else those of
    a GraphQL response or connection it is (``data.issues``, ``data.team.issues``,
    ``nodes``, ``edges``); an empty list when it holds none."""
    if not isinstance(value, dict) or "identifier" in value:
        return [value] if isinstance(value, dict) else []
    data = value.get("data")
    if isinstance(data, dict):
        for connection in (data.get("issues"), get(data, "team", "issues")):
            if isinstance(connection, dict):
                return _nodes(connection)
        if isinstance(data.get("issue"), dict):
            return [data["issue"]]
        return []
    if isinstance(value.get("nodes"), list):
        return value["nodes"]
    if isinstance(value.get("edges"), list):
        return [edge.get("node") if isinstance(edge, dict) else edge for edge in value["edges"]]
    return []


@dataclass
class _Issues:
    """The staging rows of a file's issues, in file order."""

    columns: list[str]
    rows: list[tuple]


def _collect_issues(export: JsonExport, config: Config, path: str) -> _Issues:
    """The issue nodes, numbered from 1 and staged as they are read, with every
    problem listed together; a file whose first
    :data:`~calibrate.io._json.REFUSE_AFTER` records hold no issue is refused
    without reading on."""
    columns: list[str] | None = None
    rows: list[tuple] = []
    problems: list[Problem] = []
    errors: list[str] = []
    number = valid = 0
    linear_like = identified = False  # pages or GraphQL responses; a node with an identifier
    for event in export.events("issues", page_needs_list=True):
        if event[0] == "page":
            linear_like = True
            continue
        record, from_page = event[1], event[2]
        nodes = [record]
        if not from_page and isinstance(record, dict) and "identifier" not in record:
            if isinstance(record.get("errors"), list) and not record.get("data"):
                errors += [str(get(error, "message") or error) for error in record["errors"]]
                continue
            if any(key in record for key in ("data", "nodes", "edges")):
                linear_like = True
                nodes = _nodes(record)
        for node in nodes:
            number += 1
            identified = identified or (isinstance(node, dict) and "identifier" in node)
            found = _issue_problems(node)
            if found:
                problems += [replace(problem, file=path, row=number) for problem in found]
                continue
            valid += 1
            staged = _record(number, node, config)
            if columns is None:
                columns = list(staged)
            # Tuples of plain values: fewer objects for the garbage collector to walk.
            rows.append(tuple(staged.values()))
        if number >= REFUSE_AFTER and not valid:
            raise _not_issues(path, f"none of the first {number} records is a Linear issue")
    if errors and not valid:
        raise InputError(f"{path} holds a Linear API error response, not issues: "
                         + "; ".join(errors), hint=_HINT)
    if (number and not identified) or not (number or linear_like):
        raise _not_issues(path, export.shape)
    if problems:
        raise InputError(f"{path} is not a Linear issues file calibrate can read "
                         f"({len(problems)} problems)", problems, hint=_HINT)
    return _Issues(columns or list(_record(0, {}, Config())), rows)


def _not_issues(path: str, found: str) -> InputError:
    return InputError(
        f"{path} is JSON, but not a list of Linear issues",
        [Problem("no Linear issues found", file=path, value=found,
                 expected='{"issues": [{"identifier": ..., "createdAt": ...}, ...]}')],
        hint=_HINT,
    )


def _issue_problems(record: Any) -> list[Problem]:
    if not isinstance(record, dict):
        return [Problem("record is not an issue object", value=shape(record),
                        expected='{"identifier": ..., "createdAt": ...}')]
    if "identifier" not in record:
        return [Problem("issue has no identifier", column="identifier",
                        value=shape(record))]
    if not isinstance(record["identifier"], str) or not record["identifier"].strip():
        return [Problem("issue identifier is not a text", column="identifier",
                        value=repr(record["identifier"]), expected="a key like ENG-123")]
    return []

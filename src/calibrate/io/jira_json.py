"""Jira issue history: REST ``search`` results saved with ``expand=changelog``.

What the reader accepts, and the rules it applies:

- Shapes. One search response (``{"startAt", "maxResults", "total",
  "issues": [...]}``, also the newer ``/search/jql`` response with
  ``nextPageToken``), a list of such pages, a bare list of issue objects
  (each with ``key`` and ``fields``), one issue object, or several of these
  JSON documents written one after another. Fields the reader does not use
  are ignored. ``source_row`` is the *record number*: the position of the
  issue in the file, counted from 1 across pages.
- Story points. The response's ``names`` map (``expand=names``) names the
  field: ``Story Points`` (company-managed projects) or ``Story point
  estimate`` (team-managed; ``customfield_10016`` on Jira Cloud), the first
  filled one is used. Without the map, the common ids ``customfield_10016``,
  ``customfield_10026``, ``customfield_10002``, ``customfield_10004`` and
  ``customfield_10106`` are tried, keeping those whose values are numbers in
  every issue (and filled in at least one). ``[points] column`` in the
  config names another field, by id (``customfield_10042``), by name
  (``Effort``, needs the ``names`` map) or as the CSV export calls it
  (``Custom field (Effort)``); in a file written by ``calibrate pull
  --points-field``, the field its header names does the same. A file
  without any points field is an error.
- Other fields. The engineer is the assignee's display name (else e-mail,
  account id, user name); the epic is the parent's summary (else its key, or
  the ``Epic Link``); sprints come from the ``Sprint`` field
  (``customfield_10020`` on Cloud; Data Center's
  ``com.atlassian.greenhopper.service.sprint.Sprint@...[...,name=...,...]``
  strings are recognised in any custom field), joined with ``"; "`` like
  labels and components; ``[areas] column`` names a field like ``[points]
  column`` does. The description (``fields.description``: plain text with
  Jira's wiki markup in REST v2, an Atlassian Document Format tree in v3,
  read by :func:`adf_text`) is read only for the text classifier of
  ``[areas] classify``, and only when it is on; it is never kept.
- Start of work is the *first* move into an in-progress status: a status in
  ``[statuses] in_progress``, or any status that is neither a to-do status
  (:data:`TODO_STATUSES`), nor a done status, nor a not-finished resolution
  name (status categories are not in the changelog, so statuses are judged
  by name). A ticket created directly in an in-progress status (the first
  status change moves *from* an in-progress status, or there is no status
  change at all and the current status category is In Progress or Done)
  starts at its creation.
- Finish is the *last* move into a done status (in ``[statuses] done``, or
  the ticket's current status when its category is Done); a move between two
  done statuses (Done to Closed) does not move it. A move back out of done
  reopens the ticket: it is open unless its current status category is
  Done. Without such a move (a workflow without history, a truncated
  changelog) the finish is ``resolutiondate``, else
  ``statuscategorychangedate``.
- Pauses (moves back to a to-do status) are *not* subtracted: the clock runs
  on working days from the first start to the last done.
- State: a resolution (or a done status) named in ``[statuses]
  not_finished_resolutions`` (Won't Do, Duplicate, ...) is not finished
  work; otherwise a ticket whose current status category is Done (or, when
  the category is missing, whose status is a done status) is done, and all
  others are open. An open ticket has started work when it has a start of
  work.
- Points at the start of work: the changelog's changes of the points field
  are replayed in time order; the value in force at the start of work is the
  ticket's estimate, and a later change to another number marks it
  ``repointed``. Without such changes (or without a start of work) the
  field's current value is the estimate.
- Clock: tickets with a start of work are measured from it (``cycle``);
  tickets without one, and every issue saved *without* a changelog, from
  creation (``lead``).
- Times carry their UTC offset (``2024-03-14T15:07:12.345+0100``) and are
  converted to the calendar's time zone. An unreadable time (a field or a
  changelog entry used for the clock) excludes the ticket as ``unparseable
  date``; a finish before the start (or, on the lead clock, before the
  creation) as ``negative duration``.
- ``as_of`` cuts at the given time (see :func:`calibrate.io._assemble.
  assemble_tickets`): a ticket whose last done is later is open at ``as_of``.
  The changelog is not replayed up to ``as_of`` itself, so a ticket done
  before ``as_of`` and reopened and done again after it counts as open.
- A search response may embed only part of a long changelog
  (``changelog.total`` larger than the entries given); such issues are
  counted in a note, as their start or finish may be missing.

Malformed input — not JSON, JSON that is not a search result, issues without
``key`` or ``fields`` — raises :class:`~calibrate.errors.InputError` listing
every problem with its record number and field. An individual issue without
an assignee or points is an excluded row, not an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from calibrate.config import Config, fold_name
from calibrate.errors import InputError, Problem
from calibrate.io._assemble import mark_problem
from calibrate.io._csv_read import Progress
from calibrate.io._json import LISTED, REFUSE_AFTER, JsonExport, Restart, get, shape, text
from calibrate.io._people import reads_people_names
from calibrate.io._reader import (
    DESCRIPTION_CHARS,
    JsonFormat,
    Staged,
    counted,
    read_json_format,
    staged_description,
)
from calibrate.tickets import TicketTable

__all__ = ["JIRA_JSON", "TODO_STATUSES", "adf_text", "looks_like_jira_json", "read_jira_json"]

#: Status names that mean "not started" (Jira's To Do category, by name).
TODO_STATUSES = (
    "To Do",
    "Todo",
    "Backlog",
    "Open",
    "New",
    "Reopened",
    "Selected for Development",
    "Ready",
    "Ready for Development",
)

#: Field ids story points often have when the response has no ``names`` map.
COMMON_POINTS_IDS = (
    "customfield_10016",
    "customfield_10026",
    "customfield_10002",
    "customfield_10004",
    "customfield_10106",
)
_POINTS_NAMES = ("story points", "story point estimate")
_SPRINT_ID = "customfield_10020"
_DC_SPRINT = "greenhopper.service.sprint.Sprint"
_CSV_NAME = re.compile(r"^\s*custom field \((.*)\)\s*$", re.IGNORECASE)
_DC_SPRINT_NAME = re.compile(
    r"name=(.*?),(?:goal|startDate|endDate|completeDate|activatedDate|sequence|state|"
    r"rapidViewId|autoStartStop|synced|incompleteIssuesDestinationId)="
)
_DC_SPRINT_NAME_LOOSE = re.compile(r"name=([^,\]]*)")
_HINT = ("Save the response of Jira's /rest/api/3/search (or /search/jql) with "
         "expand=changelog,names: one response, a list of pages, or a list of issues.")


@reads_people_names
def read_jira_json(path: str | Path, config: Config | None = None,
                   as_of: str | pd.Timestamp | None = None,
                   progress: Progress | None = None) -> TicketTable:
    """Read Jira REST search results with changelogs (the saved responses of
    ``/rest/api/3/search?expand=changelog,names``, or ``/rest/api/2/search``
    on Data Center) into the canonical ticket table; tickets with a start of
    work are on the cycle clock.

    The parameters are :func:`~calibrate.io.read_export`'s; the settings it
    uses are the statuses, the points and area fields, areas and calendar.

    Raises
    ------
    InputError
        If the file is not JSON, not a Jira search result, has issues
        without ``key`` or ``fields`` (all listed, with record numbers), or
        has no story-points field.

    Examples
    --------
    >>> from calibrate.io import read_jira_json
    >>> table = read_jira_json("tests/fixtures/jira_search_changelog.json")
    >>> ticket = table.tickets.set_index("ticket_id").loc["ML-101"]
    >>> str(ticket["clock"]), float(ticket["points"]), round(float(ticket["duration_days"]), 3)
    ('cycle', 3.0, 3.083)
    """
    return read_json_format(JIRA_JSON, path, config, as_of, progress)


@dataclass(frozen=True)
class _Fields:
    """Which fields of an issue hold what (ids resolved for this file)."""

    points: _Field
    area: _Field | None
    sprints: list[str]
    team: list[str]
    epic_links: list[str]


#: Issues read before the fields are resolved when no page has ended yet, and
#: issues staged at a time (their times parsed and statuses classified together).
_FIRST_ISSUES = 1_000
_BATCH = 5_000


def _stage(export: JsonExport, config: Config, path: str) -> Staged:
    """One staging row per issue, its start and finish replayed from its changelog.

    The issues are staged as they are read, in batches. Which fields hold
    the points, sprints, team ... depends on the whole file (the ``names``
    map, which Jira writes after each page's issues, and the values of the
    candidate fields in every issue), so it is settled early, after the first
    page (or the first :data:`_FIRST_ISSUES` issues), and checked at the
    end: if the whole file says otherwise, the file is read a second time
    with the fields known (``export.hints["fields"]``).
    """
    reading = _Reading(config, path, export.hints.get("fields"))
    for event in export.events("issues", page_needs_list=False):
        if event[0] == "record":
            reading.add(event[1], from_page=event[2])
        else:
            reading.add_page(*event[1:])
    return reading.finish(export)


class _Reading:
    """The state of one reading of a Jira file: issues checked and staged as
    they come, and what is needed to resolve the fields at the end."""

    def __init__(self, config: Config, path: str, fields: _Fields | None) -> None:
        self.config, self.path = config, path
        self.export = _Export(names={}, keys=set(), stats={})
        self.known = fields is not None  # from an earlier reading of the file
        self.fields = fields
        #: Issues read before the fields are known, whole.
        self.unread: list[tuple[int, dict]] = []
        #: Issues read (:func:`_read_issue`), to stage with their batch.
        self.pending: list[tuple[int, _Issue]] = []
        #: The times and status names of the pending issues (parsed, classified
        #: once per batch).
        self.raw_times: set[str] = set()
        self.names: set[str | None] = set()
        self.columns: list[str] | None = None
        self.rows: list[tuple] = []
        self.history_problems: list[tuple[int, str, str]] = []
        self.statuses = _Statuses(config)
        self.times = _TimeCache()
        self.number = 0  # records read
        self.valid = 0  # issues among them
        self.looks_like_jira = False
        self.problems: list[Problem] = []
        self.page_problems: list[Problem] = []

    def add_page(self, number: int, pairs: dict, issues: Any) -> None:
        self.looks_like_jira = True
        if isinstance(pairs.get("names"), dict):
            self.export.names.update({str(k): str(v) for k, v in pairs["names"].items()})
        pulled = pairs.get("calibrate_pull")  # the points field `calibrate pull` was told
        if isinstance(pulled, dict) and isinstance(pulled.get("points_field"), str):
            self.export.points_field = pulled["points_field"]
        if issues is not LISTED:
            self.page_problems.append(Problem(f"page {number}: 'issues' is not a list",
                                              file=self.path, column="issues",
                                              value=shape(issues)))
        if self.fields is None and self.unread:  # the first page: its names are known
            self._settle(self._resolve(provisional=True))

    def add(self, record: Any, *, from_page: bool) -> None:
        """One record: checked (as :func:`collect_records` does), counted
        towards the fields, and staged when its batch is full."""
        self.number += 1
        if from_page or isinstance(record, dict) and (
                "issues" in record or "key" in record or "fields" in record):
            self.looks_like_jira = True  # (a page, with "issues", looks like Jira)
        if not isinstance(record, dict):
            self.problems.append(Problem("record is not an issue object", file=self.path,
                                         row=self.number, value=shape(record),
                                         expected='{"key": ..., "fields": {...}}'))
        else:
            problems = _issue_problems(record)
            if problems:
                self.problems += [replace(p, file=self.path, row=self.number) for p in problems]
            else:
                self.valid += 1
                self.export.count(record["fields"])
                if self.fields is None:
                    self.unread.append((self.number, record))
                else:  # read now, while its objects are fresh in the processor's cache
                    self.pending.append((self.number, self._read(record)))
        if self.fields is None and len(self.unread) >= _FIRST_ISSUES:
            self._settle(self._resolve(provisional=True))
        if len(self.pending) >= _BATCH:
            self._stage_pending()
        if self.number >= REFUSE_AFTER and not self.valid:
            self._refuse()

    def _refuse(self) -> None:
        """No issue among the first records: not an export, whatever follows."""
        if not self.looks_like_jira:
            raise InputError(
                f"{self.path} is JSON, but not a Jira search result",
                [Problem("no Jira issues found", file=self.path,
                         value=f"none of the first {self.number} records is an issue",
                         expected='{"issues": [{"key": ..., "fields": {...}}, ...]}')],
                hint=_HINT)
        # Said first, as the list of problems is shortened when printed.
        problems = [Problem(f"reading stopped: none of the first {self.number} records is an "
                            "issue", file=self.path), *self.page_problems, *self.problems]
        raise InputError(f"{self.path} is not a Jira search result calibrate can read "
                         f"({len(problems)} problems)", problems, hint=_HINT)

    def _resolve(self, *, provisional: bool) -> _Fields | None:
        """The fields, from what was read so far (None: not yet known)."""
        try:
            return _resolve_fields(self.export, self.config, self.path)
        except InputError:
            if provisional:
                return None  # the rest of the file may name them
            raise

    def _read(self, issue: dict) -> _Issue:
        return _read_issue(issue, self.fields, self.config, self.raw_times, self.names)

    def _settle(self, fields: _Fields | None) -> None:
        """Take the fields (None: not known yet) and read the issues held until then."""
        self.fields = fields
        if fields is not None:
            unread, self.unread = self.unread, []
            self.pending += [(number, self._read(issue)) for number, issue in unread]

    def _stage_pending(self) -> None:
        """Stage the issues read and not yet staged, and forget them."""
        issues, self.pending = self.pending, []
        self.times.add(self.raw_times)
        self.statuses.add(self.names - {None})
        self.raw_times, self.names = set(), set()
        for number, issue in issues:
            record, problems = _record(issue, self.statuses, self.times)
            if self.columns is None:
                self.columns = ["source_row", *record]
            # Tuples of plain values: fewer objects for the garbage collector to walk.
            self.rows.append((number, *record.values()))
            self.history_problems += [(number, reason, detail) for reason, detail in problems]

    def finish(self, export: JsonExport) -> Staged:
        """Every issue staged; the errors found, in the order the whole-file
        reader raised them."""
        data = export.first_object
        if data is not None and isinstance(data.get("errorMessages"), list):
            raise InputError(
                f"{self.path} holds a Jira error response, not search results: "
                + "; ".join(str(m) for m in data["errorMessages"]),
                hint=_HINT,
            )
        if not self.looks_like_jira:
            raise InputError(
                f"{self.path} is JSON, but not a Jira search result",
                [Problem("no Jira issues found", file=self.path, value=export.shape,
                         expected='{"issues": [{"key": ..., "fields": {...}}, ...]}')],
                hint=_HINT,
            )
        problems = self.page_problems + self.problems
        if problems:
            raise InputError(f"{self.path} is not a Jira search result calibrate can read "
                             f"({len(problems)} problems)", problems, hint=_HINT)
        if not self.valid:
            raise InputError(f"{self.path} holds no issues",
                             hint="Check the JQL of the search: it matched nothing.")
        fields = _resolve_fields(self.export, self.config, self.path)
        if self.known:
            fields = self.fields
        elif self.fields is None:
            self._settle(fields)
        elif fields != self.fields:
            raise Restart(hints={"fields": fields})  # settled too early: read again
        self._stage_pending()
        staging = pd.DataFrame.from_records(self.rows, columns=self.columns)
        # An unreadable changelog time is the first problem of its ticket: without
        # it, the start and finish found may be wrong in any way.
        record_numbers = staging["source_row"].to_numpy()
        for number, reason, detail in self.history_problems:
            mark_problem(staging, record_numbers == number, reason, detail)
        names = self.export.names
        notes = ["story points read from " + ", ".join(
            f"{fid} ({names[fid]!r})" if fid in names else fid for fid in fields.points.ids)]
        return Staged(staging, notes, counted(staging, {
            "_no_changelog": "{count} issues were saved without a changelog (search without "
                             "expand=changelog): their start of work is unknown, lead time is "
                             "used",
            "_truncated": "{count} issues have more changelog entries (changelog.total) than "
                          "the file holds: their start of work or finish may be missing; add "
                          "their full changelog (/rest/api/3/issue/KEY/changelog) to "
                          "'histories'",
        }))


def _resolve_fields(export: _Export, config: Config, path: str) -> _Fields:
    """Which fields hold the points, area, sprints, team and epic link."""
    wanted = config.points_column or export.points_field
    points = _resolve_field(wanted, export, "[points] column") if wanted \
        else _default_points_field(export, path)
    return _Fields(
        points=points,
        area=_resolve_field(config.area_column, export, "[areas] column")
        if config.area_column else None,
        sprints=export.ids_named("sprint") or _sprint_ids(export),
        team=export.ids_named("team"),
        epic_links=export.ids_named("epic link"),
    )


class _Issue(NamedTuple):
    """An issue as read (:func:`_read_issue`), before its changelog is replayed."""

    record: dict[str, Any]  # the staging row, the replayed values still to come
    changes: _Changes
    category: str  # of the current status, folded ("" when missing)
    resolved: str | None  # its resolution date (else status category change date)


def _read_issue(issue: dict, fields: _Fields, config: Config, times: set[str],
                names: set[str | None]) -> _Issue:
    """An issue's values, before the changelog is replayed (:func:`_record`),
    and the times to parse and status names to classify for that (added to
    ``times`` and ``names``)."""
    values = issue["fields"]
    status = text(get(values, "status", "name"))
    category = (text(get(values, "status", "statusCategory", "key")) or "").casefold()
    resolution = text(get(values, "resolution", "name"))
    created = values.get("created")
    if isinstance(created, str):
        times.add(created)
    names.add(status)
    names.add(resolution)
    changelog = issue.get("changelog")
    changes = _changes(changelog, fields.points, times, names)
    record = {
        "ticket_id": text(issue.get("key")),
        "title": text(values.get("summary")),
        # (Flattened only for the classifier: a large tree costs time to walk.)
        "description": staged_description(
            adf_text(values.get("description"), limit=DESCRIPTION_CHARS), config)
        if config.area_classify else None,
        "engineer": _person(values.get("assignee")),
        "issue_type": text(get(values, "issuetype", "name")),
        "labels": _join(values.get("labels")),
        "components": _join(values.get("components")),
        "epic": _epic(values, fields.epic_links),
        "team": _first_value(values, fields.team),
        "sprints": _sprints(values, fields.sprints),
        "status": status,
        "resolution": resolution,
        "area_raw": _first_value(values, fields.area.ids) if fields.area else None,
        "points_raw": _first_value(values, fields.points.ids),
        "points_at_start": np.nan,  # (this and the next four: from the replay)
        "repointed": False,
        "state": None,
        "work_started": False,
        "created_at": created,
        "started_at": None,
        "finished_at": None,
        "updated_at": values.get("updated"),
        "_no_changelog": changelog is None,
        "_truncated": isinstance(changelog, dict) and isinstance(changelog.get("total"), int)
        and changelog["total"] > changes.histories,
    }
    resolved = text(values.get("resolutiondate")) or text(values.get("statuscategorychangedate"))
    return _Issue(record, changes, category, resolved)


def _record(issue: _Issue, statuses: _Statuses,
            times: _TimeCache) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The staging row of an issue read (its times parsed, its statuses
    classified), and the problems of its changelog."""
    record, category = issue.record, issue.category
    status, resolution = record["status"], record["resolution"]
    final_done = category == "done" or (not category and status in statuses.done)
    not_finished = resolution in statuses.not_finished or (
        final_done and status in statuses.not_finished)
    state = "not_done" if not_finished else ("done" if final_done else "open")
    has_changelog = not record["_no_changelog"]
    created = record["created_at"]
    replay = _replay(
        issue.changes, created if isinstance(created, str) else None, status,
        status if final_done else None, statuses, times,
        has_changelog=has_changelog, category=category,
    )
    record["points_at_start"] = replay.points_at_start
    record["repointed"] = replay.repointed
    record["state"] = state
    record["work_started"] = replay.started is not None or (
        not has_changelog and statuses.is_working(status, category))
    record["started_at"] = replay.started
    if state != "open":
        record["finished_at"] = replay.finished or issue.resolved
    return record, replay.problems


#: ADF nodes that stand within a line of text (all others are blocks: paragraphs,
#: headings, list items, code blocks, table cells ... and unknown types).
_ADF_INLINE = frozenset({"text", "mention", "emoji", "hardBreak", "date", "status",
                         "inlineCard", "placeholder", "inlineExtension"})
#: ADF nodes whose content is not text (attachments and their captions).
_ADF_MEDIA = frozenset({"media", "mediaInline", "mediaSingle", "mediaGroup"})
#: A line break between blocks, on the walk's stack (not a string of the document).
_ADF_BREAK = object()


def adf_text(document: Any, limit: int | None = None) -> str:
    """The text of an Atlassian Document Format tree: Jira Cloud's rich text.

    Jira's REST API v3 gives a description as ADF, a tree of nodes
    (``{"type": ..., "content": [...]}``) whose leaves are ``text`` nodes; v2
    (Data Center) gives plain text. The result is the text of the ``text``
    nodes in document order, and the ``attrs.text`` of mentions (``@Ana``):
    marks (bold, links ...), media, emoji, cards, dates and other attributes
    are left out. Each block (paragraph, heading, list item, code block,
    table cell ..., and any node type not known here) is a line of its own.

    Any JSON value is accepted, as a tracker may send anything: a node of
    another shape gives no text, a list is walked item by item, a string
    (REST v2) is its own text. The walk keeps its own stack, so no depth of
    nesting the JSON reader accepts makes it fail.

    Parameters
    ----------
    document : object
        The parsed ADF document (``{"type": "doc", "version": 1, "content":
        [...]}``), a node, a list of nodes, or plain text.
    limit : int, optional
        The most characters to return; the walk stops once it has that
        much text.

    Returns
    -------
    str
        The text, one line per block, each line stripped and empty lines
        left out; ``""`` when there is none.

    Examples
    --------
    >>> from calibrate.io.jira_json import adf_text
    >>> print(adf_text({"type": "doc", "version": 1, "content": [
    ...     {"type": "heading", "attrs": {"level": 2},
    ...      "content": [{"type": "text", "text": "Retrain the ranker"}]},
    ...     {"type": "paragraph", "content": [
    ...         {"type": "text", "text": "Ask "},
    ...         {"type": "mention", "attrs": {"id": "5f1a", "text": "@Ana"}},
    ...         {"type": "text", "text": " for the ", "marks": [{"type": "strong"}]},
    ...         {"type": "text", "text": "eval set"}]},
    ...     {"type": "mediaSingle", "content": [{"type": "media", "attrs": {"id": "9"}}]}]}))
    Retrain the ranker
    Ask @Ana for the eval set
    """
    pieces: list[str] = []
    size = 0  # characters of text collected (line breaks not counted)
    stack: list[Any] = [document]
    while stack and (limit is None or size < limit):
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
            continue
        piece = node if isinstance(node, str) else None
        if node is _ADF_BREAK:
            pieces.append("\n")
        elif isinstance(node, dict):
            kind = node.get("type")
            kind = kind if isinstance(kind, str) else None
            if kind == "text":
                piece = node.get("text")
            elif kind == "mention":
                piece = get(node, "attrs", "text")
            elif kind == "hardBreak":
                pieces.append("\n")
            elif kind not in _ADF_MEDIA:
                block = kind not in _ADF_INLINE
                content = node.get("content")
                # (Pushed in reverse: the stack pops them in document order.)
                stack += [_ADF_BREAK] if block else []
                stack += reversed(content) if isinstance(content, list) else []
                stack += [_ADF_BREAK] if block else []
        if isinstance(piece, str):
            if limit is not None:
                piece = piece[:limit - size]
            pieces.append(piece)
            size += len(piece)
    lines = (line.strip() for line in "".join(pieces).splitlines())
    return "\n".join(line for line in lines if line)[:limit].rstrip()


#: Jira's search results, as :func:`~calibrate.io._reader.read_json_format` reads them.
JIRA_JSON = JsonFormat(
    name="jira_json",
    stage=_stage,
    dates={"created_at": "fields.created",
           "started_at": "changelog: first move to in progress",
           "finished_at": "changelog: last move to done / fields.resolutiondate",
           "updated_at": "fields.updated"},
)


# --------------------------------------------------------------------------- loading


def looks_like_jira_json(data: Any) -> bool:
    """Whether parsed JSON is a Jira search result (or a list of pages or issues).

    Examples
    --------
    >>> from calibrate.io.jira_json import looks_like_jira_json
    >>> looks_like_jira_json({"startAt": 0, "total": 1,
    ...                       "issues": [{"key": "ML-1", "fields": {}}]})
    True
    >>> looks_like_jira_json([{"number": 1, "state": "open"}])
    False
    """
    if isinstance(data, dict):
        return _is_page(data) or _is_issue(data)
    if isinstance(data, list) and data:
        first = data[0]
        if isinstance(first, list) and first:
            first = first[0]
        return isinstance(first, dict) and (_is_page(first) or _is_issue(first))
    return False


@dataclass
class _Export:
    """What the fields are resolved from: the ``names`` maps of the pages, every
    field key of the issues, and per custom field what its values are like."""

    names: dict[str, str]
    keys: set[str]
    #: custom field id -> [filled, numeric, holds DC sprint strings], over every issue
    stats: dict[str, list[bool]] = field(default_factory=dict)
    #: The points field a pulled file's header names (``calibrate pull --points-field``).
    points_field: str | None = None
    #: The custom field ids among ``keys``.
    custom: set[str] = field(default_factory=set)

    def ids_named(self, name: str) -> list[str]:
        wanted = name.casefold()
        return [fid for fid, n in self.names.items() if n.casefold() == wanted]

    def count(self, fields: dict) -> None:
        """Add one issue's fields (a field an issue lacks is None there)."""
        new = fields.keys() - self.keys
        if new:
            self.keys.update(new)
            self.custom.update(fid for fid in new if fid.startswith("customfield_"))
        # (Set operations: an issue has many fields, few of them custom.)
        for fid in self.custom & fields.keys():
            value = fields[fid]
            if value is None:
                continue
            stat = self.stats.get(fid)
            if stat is None:
                stat = self.stats[fid] = [True, True, False]
            if stat[1] and not _is_number_like(value):
                stat[1] = False
            if not stat[2] and isinstance(value, list) and value and isinstance(
                    value[0], str) and _DC_SPRINT in value[0]:
                stat[2] = True

    def filled(self, fid: str) -> bool:
        """Some issue has a value in the field."""
        return fid in self.stats

    def numeric(self, fid: str) -> bool:
        """Every value of the field is a number (or empty)."""
        return fid not in self.stats or self.stats[fid][1]


def _is_page(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("issues"), list) and (
        not value["issues"] or _is_issue(value["issues"][0])
    )


def _is_issue(value: Any) -> bool:
    return isinstance(value, dict) and "key" in value and isinstance(value.get("fields"), dict)


def _issue_problems(issue: dict) -> list[Problem]:
    problems = []
    key = issue.get("key")
    if "key" not in issue:
        problems.append(Problem("issue has no key", column="key"))
    elif not isinstance(key, str) or not key.strip():
        problems.append(Problem("issue key is not a text", column="key", value=repr(key),
                                expected="a key like ML-101"))
    if not isinstance(issue.get("fields"), dict):
        problems.append(Problem("issue has no fields object", column="fields",
                                value=shape(issue.get("fields")), expected='"fields": {...}'))
    changelog = issue.get("changelog")
    if changelog is not None and not (isinstance(changelog, dict) and isinstance(
            changelog.get("histories", []), list)):
        problems.append(Problem("changelog is not an object with a 'histories' list",
                                column="changelog", value=shape(changelog)))
    return problems


# --------------------------------------------------------------------------- fields


@dataclass(frozen=True)
class _Field:
    ids: tuple[str, ...]
    names: frozenset[str]  # lower-case names the changelog uses for it


def _resolve_field(wanted: str, export: _Export, setting: str) -> _Field:
    """A field named by id, by name, or as the CSV export calls it."""
    match = _CSV_NAME.match(wanted)
    name = match.group(1) if match else wanted
    if name in export.keys:
        label = export.names.get(name, "")
        return _Field((name,), frozenset({label.casefold()} - {""}))
    ids = export.ids_named(name)
    if ids:
        return _Field(tuple(ids), frozenset({name.casefold()}))
    raise InputError(
        f"{setting} {wanted!r} is not a field of the issues in this file",
        [Problem("field not found", column=wanted,
                 expected="a field id such as customfield_10016, or a field name from the "
                          "response's 'names' map")],
        hint="Search with expand=names so fields can be found by name, or give the field id.",
    )


def _default_points_field(export: _Export, path: str) -> _Field:
    ids = [fid for name in _POINTS_NAMES for fid in export.ids_named(name)]
    if ids:
        return _Field(tuple(ids), frozenset(_POINTS_NAMES))
    ids = [fid for fid in COMMON_POINTS_IDS if fid in export.keys and export.numeric(fid)]
    filled = [fid for fid in ids if export.filled(fid)]
    ids = filled or ids[:1]
    if ids:
        return _Field(tuple(ids), frozenset(_POINTS_NAMES))
    numeric = sorted(
        fid for fid in export.keys
        if fid.startswith("customfield_") and export.filled(fid) and export.numeric(fid)
    )
    shown = ", ".join(f"{fid} ({export.names[fid]!r})" if fid in export.names else fid
                      for fid in numeric[:8])
    raise InputError(
        f"{path} has no story-points field",
        [Problem("no field named 'Story Points' or 'Story point estimate', and none of the "
                 "usual ids " + ", ".join(COMMON_POINTS_IDS), file=path,
                 value=f"numeric custom fields: {shown}" if shown else None)],
        hint="Name the field in calibrate.toml under [points] column (its id, or its name "
             "when the search used expand=names).",
    )


def _is_number_like(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return value.strip() == ""
        return True
    return False


def _scalar_text(value: Any) -> str | None:
    """A field value as text: numbers without a spurious ``.0``, options by value."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dict):
        for key in ("value", "name", "title", "displayName", "key"):
            if value.get(key) is not None:
                return _scalar_text(value[key])
        return None
    if isinstance(value, list):
        return _join(value)
    return text(value)


def _first_value(fields: dict, ids: Iterable[str]) -> str | None:
    for fid in ids:
        value = _scalar_text(fields.get(fid))
        if value is not None:
            return value
    return None


def _join(values: Any) -> str | None:
    if not isinstance(values, list):
        return _scalar_text(values)
    # (Plain strings, the usual labels, without a call each.)
    texts = [t for t in ((v.strip() or None) if type(v) is str else _scalar_text(v)
                         for v in values) if t]
    return "; ".join(texts) or None


def _person(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in ("displayName", "emailAddress", "accountId", "name", "key"):
            name = text(value.get(key))
            if name:
                return name
        return None
    return text(value)


def _epic(fields: dict, epic_link_ids: list[str]) -> str | None:
    parent = fields.get("parent")
    return (text(get(parent, "fields", "summary")) or text(get(parent, "key"))
            or _first_value(fields, epic_link_ids))


def _sprints(fields: dict, ids: list[str]) -> str | None:
    names = []
    for fid in ids:
        value = fields.get(fid)
        for sprint in value if isinstance(value, list) else [value]:
            if isinstance(sprint, dict):
                name = text(sprint.get("name"))
            elif isinstance(sprint, str) and "name=" in sprint:
                match = _DC_SPRINT_NAME.search(sprint) or _DC_SPRINT_NAME_LOOSE.search(sprint)
                name = match.group(1).strip() if match else None
            else:
                name = text(sprint)
            if name:
                names.append(name)
    return "; ".join(names) or None


def _sprint_ids(export: _Export) -> list[str]:
    """Sprint fields without a ``names`` map: Cloud's id, and fields holding DC sprint strings."""
    ids = [_SPRINT_ID] if _SPRINT_ID in export.keys else []
    for fid in sorted(export.keys - {_SPRINT_ID}):
        if fid.startswith("customfield_") and fid in export.stats and export.stats[fid][2]:
            ids.append(fid)
    return ids


# --------------------------------------------------------------------------- history


class _Statuses:
    """How each status and resolution name in the file is classified: by the
    config's rules (:meth:`~calibrate.config.Config.is_in_progress_status` ...),
    matched once per distinct name, as the names are met (:meth:`add`)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.in_progress: set[str] = set()
        self.done: set[str] = set()
        self.todo: set[str] = set()
        self.not_finished: set[str] = set()
        self.folded: dict[str, str] = {}

    def add(self, names: set[str]) -> None:
        """Classify the names not met before (each name on its own, so the
        order they come in does not matter)."""
        every = pd.Series(sorted(names - self.folded.keys()), dtype="object")
        if every.empty:
            return
        todo = {fold_name(name) for name in TODO_STATUSES}
        folded = {name: fold_name(name) for name in every}
        self.folded.update(folded)
        self.in_progress.update(every[self.config.is_in_progress_status(every)])
        self.done.update(every[self.config.is_done_status(every)])
        self.todo.update(name for name in every if folded[name] in todo)
        self.not_finished.update(every[self.config.is_not_finished_resolution(every)])

    def is_done(self, name: str | None, final_done: str | None) -> bool:
        """A done status, or the ticket's current status when that is done."""
        return name is not None and (name in self.done or (
            final_done is not None and self._fold(name) == self._fold(final_done)))

    def _fold(self, name: str) -> str:
        return self.folded[name] if name in self.folded else fold_name(name)

    def is_in_progress(self, name: str | None, final_done: str | None) -> bool:
        """An in-progress status, or one that is neither to-do, nor done, nor
        a not-finished resolution (the changelog has no status categories)."""
        if name is None:
            return False
        if name in self.in_progress:
            return True
        return not (self.is_done(name, final_done) or name in self.todo
                    or name in self.not_finished)

    def is_working(self, status: str | None, category: str) -> bool:
        """Whether the current status is a work-in-progress one (no history needed)."""
        if category:
            return category == "indeterminate"
        return self.is_in_progress(status, None)


class _TimeCache:
    """Changelog times, each parsed once, as they are met (:meth:`add`).

    A time is kept as nanoseconds since the epoch (UTC), a Python int: the
    reader only orders times, and ints compare much faster than Timestamps
    (and cost nothing to make). An unreadable time is None.
    """

    def __init__(self) -> None:
        self._times: dict[str, int | None] = {}
        #: ``get(raw)``: the time, None when unreadable (the dict's own method: fast).
        self.get = self._times.get

    def add(self, raw: set[str]) -> None:
        """Parse the times not met before (each on its own: ISO 8601, any offset)."""
        unique = list(raw - self._times.keys())
        if not unique:
            return
        parsed = pd.to_datetime(pd.Series(unique, dtype="object"), format="ISO8601", utc=True,
                                errors="coerce")
        # In nanoseconds whatever unit pandas chose: Python ints do not overflow.
        scale = 10 ** (9 - _DIGITS_OF_UNIT[parsed.dt.unit])
        readable = parsed.notna().to_numpy()
        values = parsed.array.asi8.tolist()
        self._times.update(zip(unique, (value * scale if ok else None
                                        for value, ok in zip(values, readable.tolist(),
                                                             strict=True)), strict=True))


#: Decimal digits of a second in each datetime unit pandas uses.
_DIGITS_OF_UNIT = {"s": 0, "ms": 3, "us": 6, "ns": 9}


class _Changes(NamedTuple):
    """What an issue's changelog says, read once: its entries that change the
    status or the points, each ``(raw time, status moves, points moves)``
    with moves ``(from text, to text)``; ``histories``: how many entries it
    holds."""

    histories: int
    entries: list[tuple[Any, list[tuple[str | None, str | None]],
                        list[tuple[str | None, str | None]]]]


_NO_CHANGES = _Changes(0, [])


def _changes(changelog: Any, points: _Field, times: set[str], names: set) -> _Changes:
    """The status and points changes of a changelog, in file order (an entry
    or item that is not an object is left out; a status item is never a
    points one); the times of these entries are added to ``times``, the
    status names moved from and to, to ``names``."""
    histories = changelog.get("histories") if isinstance(changelog, dict) else None
    if not isinstance(histories, list):
        return _NO_CHANGES
    ids, points_names = points.ids, points.names
    entries = []
    count = 0
    for history in histories:
        if not isinstance(history, dict):
            continue
        count += 1
        items = history.get("items")
        if not isinstance(items, list):
            continue
        moves: list[tuple[str | None, str | None]] = []
        changed: list[tuple[str | None, str | None]] = []
        for item in items:
            if not isinstance(item, dict):
                continue
            name = item.get("field")
            folded = name.casefold() if type(name) is str else str(name or "").casefold()
            field_id = item.get("fieldId")
            is_status = folded == "status" or field_id == "status"
            if is_status or field_id in ids or folded in points_names:
                # (text() inlined for the usual strings: millions of calls.)
                before, after = item.get("fromString"), item.get("toString")
                before = (before.strip() or None) if type(before) is str else text(before)
                after = (after.strip() or None) if type(after) is str else text(after)
                if is_status:
                    moves.append((before, after))
                    names.add(before)
                    names.add(after)
                else:
                    changed.append((before, after))
        if moves or changed:
            raw = history.get("created")
            if isinstance(raw, str):
                times.add(raw)
            entries.append((raw, moves, changed))
    return _Changes(count, entries)


class _Replay(NamedTuple):
    started: str | None
    finished: str | None
    points_at_start: float
    repointed: bool
    problems: list[tuple[str, str]]


def _replay(
    changes: _Changes,
    created_raw: str | None,
    status: str | None,
    final_done: str | None,
    statuses: _Statuses,
    times: _TimeCache,
    *,
    has_changelog: bool,
    category: str,
) -> _Replay:
    """Start of work, finish and points at start, from one issue's changelog."""
    problems: list[tuple[str, str]] = []
    status_events, points_events = _events(changes, times, problems)
    started = finished = start_time = None
    if has_changelog:
        initial = status_events[0][2] if status_events else None
        created_in_progress = (
            statuses.is_in_progress(initial, final_done) if status_events
            else category in ("indeterminate", "done") or (
                not category and (statuses.is_in_progress(status, final_done)
                                  or final_done is not None))
        )
        if created_in_progress and created_raw:
            started, start_time = created_raw, times.get(created_raw)
        else:
            for time, raw, _, after in status_events:
                if statuses.is_in_progress(after, final_done):
                    started, start_time = raw, time
                    break
        is_done = False
        for _, raw, _, after in status_events:
            now_done = statuses.is_done(after, final_done)
            if now_done and not is_done:
                finished = raw
            is_done = now_done

    points_at_start, repointed = np.nan, False
    if points_events and started is not None and start_time is not None:
        before = [after for time, _, _, after in points_events if time <= start_time]
        at_start = before[-1] if before else points_events[0][2]
        points_at_start = _number(at_start)
        if not np.isnan(points_at_start):
            for time, _, _, after in points_events:
                if time > start_time:
                    value = _number(after)
                    if not np.isnan(value) and value != points_at_start:
                        repointed = True
                        break
    return _Replay(started, finished, points_at_start, repointed, problems)


#: A change in time order: ``(time, raw time, from text, to text)``, the time
#: in nanoseconds (see :class:`_TimeCache`); the sort key is its time.
_Event = tuple[int, str, str | None, str | None]
_BY_TIME = itemgetter(0)


def _events(changes: _Changes, times: _TimeCache,
            problems: list[tuple[str, str]]) -> tuple[list[_Event], list[_Event]]:
    """The status changes and the points changes of a changelog, in time
    order; an entry without a readable time is a problem, not an event."""
    status_events: list[_Event] = []
    points_events: list[_Event] = []
    time_of = times.get
    for raw, moves, changed in changes.entries:
        time = time_of(raw) if isinstance(raw, str) else None
        if time is None:
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                problems.append(("missing date", "a changelog entry has no 'created' time"))
            else:
                problems.append(("unparseable date", f"changelog entry time {raw!r} is not a date"))
            continue
        for before, after in moves:
            status_events.append((time, raw, before, after))
        for before, after in changed:
            points_events.append((time, raw, before, after))
    # (Stable sorts: changes at the same time stay in changelog order.)
    status_events.sort(key=_BY_TIME)
    points_events.sort(key=_BY_TIME)
    return status_events, points_events


def _number(text: str | None) -> float:
    if text is None:
        return np.nan
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return np.nan
    return value if np.isfinite(value) else np.nan

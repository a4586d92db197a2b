"""Writers: issues rendered as the exports the readers of this package read.

Each writer mirrors a reader and writes the file as the tracker does (the
readers' module docstrings give the same rules from the other side). The
writers only render: the caller decides every value, one row per issue, in
the order the file lists them. They make test data — the bundled sample
(:mod:`calibrate.datasets`) and the benchmarks' million-row export — so CSV
cells are formatted column by column with Arrow, in blocks of rows.

==========================  ===============================================
writer                      mirrors
==========================  ===============================================
:func:`write_jira_csv`      :mod:`calibrate.io.jira_csv`
:func:`write_jira_json`     :mod:`calibrate.io.jira_json`
:func:`write_linear_csv`    :mod:`calibrate.io.linear_csv`
==========================  ===============================================
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["LINEAR_HEADER", "write_jira_csv", "write_jira_json", "write_linear_csv"]

#: Linear's CSV export header, column for column.
LINEAR_HEADER: tuple[str, ...] = (
    "ID", "Team", "Title", "Description", "Status", "Estimate", "Priority", "Project ID",
    "Project", "Creator", "Assignee", "Labels", "Cycle Number", "Cycle Name", "Cycle Start",
    "Cycle End", "Created", "Updated", "Started", "Triaged", "Completed", "Canceled",
    "Archived", "Due Date", "Parent issue", "Initiatives", "Project Milestone ID",
    "Project Milestone", "SLA Status", "Roadmaps",
)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_BLOCK_ROWS = 100_000  # rows formatted at a time
_NEEDS_QUOTES = r'[",\r\n]'  # what Python's csv quotes (QUOTE_MINIMAL, CRLF line ends)
_FORMULA_START = r"^[=+\-@]"  # the text Linear prefixes with '


# --------------------------------------------------------------------------
# Jira CSV
# --------------------------------------------------------------------------


def write_jira_csv(issues: pd.DataFrame, path: str | Path) -> Path:
    """Write issues as a Jira Cloud / Data Center "CSV (all fields)" export.

    The file is UTF-8 with a byte-order mark, quoted only where needed, with
    CRLF line ends. A multi-value field (Labels, Components, Sprint,
    Watchers) repeats its header once per value: give it as a column of
    lists (written as many times as the longest list, at least once) or as
    repeated columns of the same name. Times are written in
    Jira's default ``dd/MMM/yy h:mm a`` (``14/Mar/24 3:07 PM``, to the
    minute, no time zone); numbers in float columns as Jira writes story
    points (``3.0``, ``0.5``); other cells as ``str()`` gives them, and
    missing values (None, NaN, NaT) as empty cells.

    Parameters
    ----------
    issues : pandas.DataFrame
        One row per issue, in the file's order (Jira lists the newest
        first). The columns are Jira's headers, in the file's order
        (``Summary``, ``Issue key``, ``Created``, ``Custom field (Story
        Points)`` ...); times are naive, on the team's wall clock.
    path : str or Path

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> issues = pd.DataFrame({
    ...     "Issue key": ["ML-2", "ML-1"],
    ...     "Summary": ["Fix, then test", "Spike"],
    ...     "Created": pd.to_datetime(["2024-03-14 15:07:59", "2024-03-13 00:30:00"]),
    ...     "Labels": [["etl", "q3"], []],
    ...     "Custom field (Story Points)": [3.0, float("nan")],
    ... })
    >>> path = write_jira_csv(issues, pathlib.Path(tempfile.mkdtemp()) / "jira.csv")
    >>> print(path.read_text(encoding="utf-8-sig"), end="")
    Issue key,Summary,Created,Labels,Labels,Custom field (Story Points)
    ML-2,"Fix, then test",14/Mar/24 3:07 PM,etl,q3,3.0
    ML-1,Spike,13/Mar/24 12:30 AM,,,
    """
    columns: list[tuple[str, pd.Series]] = []
    for position, name in enumerate(issues.columns):
        values = issues.iloc[:, position]
        if _holds_lists(values):
            columns += [(name, cells) for cells in _spread(values)]
        else:
            columns.append((name, values))
    return _write_csv(path, columns, _jira_csv_cells, byte_order_mark=True)


def _jira_csv_cells(values: pd.Series) -> pa.Array:
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return _jira_csv_dates(values)
    if pd.api.types.is_float_dtype(values.dtype):
        return _each_distinct(values, str)
    return _text(values)


def _jira_csv_dates(values: pd.Series) -> pa.Array:
    """Jira's default ``14/Mar/24 3:07 PM``; empty where missing."""
    times = _arrow_times(values)
    hour = pc.hour(times)
    twelve = pc.if_else(pc.equal(hour, 0), 12,
                        pc.if_else(pc.greater(hour, 12), pc.subtract(hour, 12), hour))
    month = pc.take(pa.array(_MONTHS), pc.subtract(pc.month(times), 1))
    year = pc.utf8_slice_codeunits(pc.cast(pc.year(times), pa.string()), 2)
    date = pc.binary_join_element_wise(_digits(pc.day(times), 2), month, year, "/")
    clock = pc.binary_join_element_wise(pc.cast(twelve, pa.string()),
                                        _digits(pc.minute(times), 2), ":")
    half = pc.if_else(pc.less(hour, 12), "AM", "PM")
    return pc.fill_null(pc.binary_join_element_wise(date, clock, half, " "), "")


# --------------------------------------------------------------------------
# Linear CSV
# --------------------------------------------------------------------------


def write_linear_csv(issues: pd.DataFrame, path: str | Path, *, timezone: str) -> Path:
    """Write issues as Linear's CSV export.

    The columns are :data:`LINEAR_HEADER`, in that order (those missing from
    ``issues`` are empty). The file is UTF-8 without a byte-order mark,
    quoted only where needed, with CRLF line ends. Times are ISO 8601 in UTC
    to the millisecond (``2024-05-14T08:53:33.000Z``); the estimate is
    written without a needless ``.0`` (``3``, ``0.5``); a list (Labels) is
    joined with ``", "``; text starting with ``=``, ``+``, ``-`` or ``@`` is
    prefixed with ``'``, as Linear does; missing values are empty cells.

    Parameters
    ----------
    issues : pandas.DataFrame
        One row per issue, in the file's order, with columns named as in
        :data:`LINEAR_HEADER` (``ID``, ``Title``, ``Estimate``, ``Assignee``
        — an e-mail address — ``Created``, ``Started``, ``Completed`` ...).
        Times are naive, on the team's wall clock in ``timezone``.
    path : str or Path
    timezone : str
        The team's time zone (``"Europe/Berlin"``).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValueError
        If a column is not one of Linear's.

    Examples
    --------
    >>> import csv, pathlib, tempfile
    >>> import pandas as pd
    >>> issues = pd.DataFrame({
    ...     "ID": ["ML-1"], "Title": ["-1 day offset"], "Estimate": [3.0],
    ...     "Labels": [["etl", "q3"]], "Created": pd.to_datetime(["2024-05-14 10:53:33.5"]),
    ... })
    >>> path = write_linear_csv(issues, pathlib.Path(tempfile.mkdtemp()) / "linear.csv",
    ...                         timezone="Europe/Berlin")
    >>> row = next(csv.DictReader(path.open(encoding="utf-8")))
    >>> row["Title"], row["Estimate"], row["Labels"], row["Created"], row["Started"]
    ("'-1 day offset", '3', 'etl, q3', '2024-05-14T08:53:33.500Z', '')
    """
    unknown = [str(name) for name in issues.columns if name not in LINEAR_HEADER]
    if unknown:
        raise ValueError(f"not columns of Linear's export: {', '.join(unknown)}")
    empty = pd.Series([None] * len(issues), index=issues.index, dtype=object)
    columns = [(name, issues[name] if name in issues.columns else empty)
               for name in LINEAR_HEADER]

    def cells(values: pd.Series) -> pa.Array:
        if pd.api.types.is_datetime64_dtype(values.dtype):
            return _utc_times(values, timezone)
        if pd.api.types.is_float_dtype(values.dtype):
            return _each_distinct(values, _points_text)
        if _holds_lists(values):
            values = values.map(lambda value: ", ".join(value)
                                if isinstance(value, list | tuple) else value)
        text = _text(values)
        return pc.if_else(pc.match_substring_regex(text, _FORMULA_START),
                          pc.binary_join_element_wise("'", text, ""), text)

    return _write_csv(path, columns, cells, byte_order_mark=False)


def _utc_times(values: pd.Series, timezone: str) -> pa.Array:
    """``2024-05-14T08:53:33.000Z``; empty where missing."""
    local = values.dt.tz_localize(timezone, ambiguous="raise", nonexistent="raise")
    times = _arrow_times(local.dt.tz_convert("UTC").dt.tz_localize(None))
    date = pc.binary_join_element_wise(_digits(pc.year(times), 4), _digits(pc.month(times), 2),
                                       _digits(pc.day(times), 2), "-")
    clock = pc.binary_join_element_wise(_digits(pc.hour(times), 2), _digits(pc.minute(times), 2),
                                        _digits(pc.second(times), 2), ":")
    text = pc.binary_join_element_wise(date, "T", clock, ".",
                                       _digits(pc.millisecond(times), 3), "Z", "")
    return pc.fill_null(text, "")


# --------------------------------------------------------------------------
# Jira REST JSON with changelog
# --------------------------------------------------------------------------

#: Status ids of Jira's default software workflow.
_STATUS_IDS = {"To Do": "10000", "In Progress": "3", "In Review": "10001", "Done": "10002"}
_CATEGORY_JSON = {
    "To Do": {"key": "new", "name": "To Do"},
    "In Progress": {"key": "indeterminate", "name": "In Progress"},
    "Done": {"key": "done", "name": "Done"},
}
_FIRST_HISTORY_ID = 500_000


def write_jira_json(
    issues: pd.DataFrame,
    path: str | Path,
    *,
    timezone: str,
    sprint_ids: Mapping[str, int] | None = None,
    page_size: int = 50,
) -> Path:
    """Write issues as Jira REST ``search`` pages saved with ``expand=changelog``.

    The file holds a JSON list of result pages (``startAt``, ``maxResults``,
    ``total``, ``issues``), compact as the API sends it. Each issue's
    changelog has its status moves and its story point changes; history ids
    grow with time across the whole file, as in Jira. Times carry the UTC
    offset of the moment in ``timezone`` (``2024-03-14T15:07:12.345+0100``).
    Story points go to ``customfield_10016`` (Jira Cloud's "Story point
    estimate", also the changelog's field name), sprints to
    ``customfield_10020``, the epic to ``parent``.

    Parameters
    ----------
    issues : pandas.DataFrame
        One row per issue, in the file's order, with columns ``key``, ``id``,
        ``summary``, ``issue_type``, ``status`` (one of Jira's default
        workflow: To Do, In Progress, In Review, Done), ``status_category``
        (To Do, In Progress or Done), ``resolution`` (None if unresolved),
        ``assignee`` (display name; None if unassigned),
        ``assignee_account_id``, ``assignee_email``, ``created``,
        ``updated``, ``resolved`` (NaT if unresolved), ``labels``,
        ``components`` and ``sprints`` (lists of names), ``story_points``
        (NaN if not estimated), ``parent_key`` and ``parent_summary`` (None
        without an epic), ``status_changes`` (a list of ``(time,
        from_status, to_status)``; ``from_status`` is None for the creation,
        which takes a history id but is not a change) and ``points_changes``
        (a list of ``(time, from_points, to_points)``; ``from_points`` is
        None for the first estimate). Times are naive, on the team's wall
        clock.
    path : str or Path
    timezone : str
        The team's time zone (``"Europe/Berlin"``).
    sprint_ids : mapping, optional
        The sprint id of every sprint name in ``sprints``.
    page_size : int
        Issues per page (Jira's ``maxResults``).

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> import pandas as pd
    >>> created, started = pd.Timestamp("2024-03-14 09:00"), pd.Timestamp("2024-07-01 10:00")
    >>> issues = pd.DataFrame([{
    ...     "key": "ML-1", "id": "31000", "summary": "Spike", "issue_type": "Spike",
    ...     "status": "In Progress", "status_category": "In Progress", "resolution": None,
    ...     "assignee": None, "assignee_account_id": None, "assignee_email": None,
    ...     "created": created, "updated": started, "resolved": pd.NaT,
    ...     "labels": [], "components": [], "sprints": ["ML Sprint 1"], "story_points": 3.0,
    ...     "parent_key": None, "parent_summary": None,
    ...     "status_changes": [(created, None, "To Do"), (started, "To Do", "In Progress")],
    ...     "points_changes": [(created, None, 3.0)],
    ... }])
    >>> path = write_jira_json(issues, pathlib.Path(tempfile.mkdtemp()) / "jira.json",
    ...                        timezone="Europe/Berlin", sprint_ids={"ML Sprint 1": 201})
    >>> issue = json.loads(path.read_text(encoding="utf-8"))[0]["issues"][0]
    >>> issue["fields"]["created"], issue["fields"]["customfield_10020"]
    ('2024-03-14T09:00:00.000+0100', [{'id': 201, 'name': 'ML Sprint 1'}])
    >>> for history in issue["changelog"]["histories"]:
    ...     print(history["id"], history["created"], history["items"][0]["toString"])
    500001 2024-03-14T09:00:00.000+0100 3
    500002 2024-07-01T10:00:00.000+0200 In Progress
    """
    sprint_ids = dict(sprint_ids or {})
    history_ids = _history_ids(issues)
    issues_json = [
        {
            "id": row.id,
            "key": row.key,
            "fields": _jira_fields(row, timezone, sprint_ids),
            "changelog": {"histories": _changelog(row, position, history_ids, timezone)},
        }
        for position, row in enumerate(issues.itertuples(index=False))
    ]
    pages = [
        {"startAt": start, "maxResults": page_size, "total": len(issues_json),
         "issues": issues_json[start:start + page_size]}
        for start in range(0, len(issues_json), page_size)
    ]
    path = Path(path)
    path.write_text(json.dumps(pages, ensure_ascii=False, separators=(",", ":")) + "\n",
                    encoding="utf-8")
    return path


def _history_ids(issues: pd.DataFrame) -> dict[tuple[int, int, int], str]:
    """History id of each (issue position, 0 status / 1 points, change number)."""
    events = []
    for position, row in enumerate(issues.itertuples(index=False)):
        for sequence, (when, _, _) in enumerate(row.status_changes):
            events.append((when, position, 0, sequence))
        for sequence, (when, _, _) in enumerate(row.points_changes):
            events.append((when, position, 1, sequence))
    events.sort(key=lambda event: (event[0].value, event[1], event[2], event[3]))
    return {event[1:]: str(_FIRST_HISTORY_ID + i) for i, event in enumerate(events)}


def _changelog(row, position: int, history_ids, timezone: str) -> list[dict[str, Any]]:
    histories = []
    for sequence, (when, before, after) in enumerate(row.status_changes):
        if before is None:
            continue  # the creation is not a change
        items = [{"field": "status", "fieldtype": "jira",
                  "from": _status_id(before), "fromString": before,
                  "to": _status_id(after), "toString": after}]
        histories.append((when, history_ids[(position, 0, sequence)], items))
    for sequence, (when, before, after) in enumerate(row.points_changes):
        items = [{"field": "Story point estimate", "fieldtype": "custom",
                  "fromString": None if before is None else _points_text(before),
                  "toString": _points_text(after)}]
        histories.append((when, history_ids[(position, 1, sequence)], items))
    histories.sort(key=lambda item: int(item[1]))
    return [{"id": history_id, "created": _jira_json_time(when, timezone), "items": items}
            for when, history_id, items in histories]


def _jira_fields(row, timezone: str, sprint_ids: dict[str, int]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "summary": row.summary,
        "issuetype": {"name": row.issue_type},
        "status": {"name": row.status, "statusCategory": _CATEGORY_JSON[row.status_category]},
        "resolution": {"name": row.resolution} if isinstance(row.resolution, str) else None,
        "assignee": None if not isinstance(row.assignee, str) else {
            "displayName": row.assignee, "accountId": row.assignee_account_id,
            "emailAddress": row.assignee_email,
        },
        "created": _jira_json_time(row.created, timezone),
        "updated": _jira_json_time(row.updated, timezone),
        "resolutiondate": _jira_json_time(row.resolved, timezone),
        "labels": list(row.labels),
        "components": [{"name": name} for name in row.components],
        "customfield_10016": None if np.isnan(row.story_points) else float(row.story_points),
        "customfield_10020": [{"id": sprint_ids[name], "name": name}
                              for name in row.sprints] or None,
    }
    if isinstance(row.parent_key, str):
        fields["parent"] = {"key": row.parent_key, "fields": {"summary": row.parent_summary}}
    return fields


def _status_id(status: str) -> str:
    if status not in _STATUS_IDS:
        raise ValueError(f"status {status!r} is not one of Jira's default workflow "
                         f"({', '.join(_STATUS_IDS)})")
    return _STATUS_IDS[status]


def _jira_json_time(moment, timezone: str) -> str | None:
    if pd.isna(moment):
        return None
    local = pd.Timestamp(moment).tz_localize(timezone, ambiguous="raise", nonexistent="raise")
    milliseconds = f"{local.microsecond // 1000:03d}"
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + milliseconds + local.strftime("%z")


# --------------------------------------------------------------------------
# Cells and files
# --------------------------------------------------------------------------


def _points_text(points: float) -> str:
    return str(int(points)) if float(points).is_integer() else str(points)


def _holds_lists(values: pd.Series) -> bool:
    return values.dtype == object and any(isinstance(v, list | tuple) for v in values)


def _spread(values: pd.Series) -> list[pd.Series]:
    """A column of lists as columns of single values, as wide as the longest list."""
    lists = [list(v) if isinstance(v, list | tuple) else [] for v in values]
    width = max(1, max(map(len, lists), default=0))
    table = pd.DataFrame([v + [None] * (width - len(v)) for v in lists], index=values.index,
                         columns=range(width), dtype=object)
    return [table[k] for k in range(width)]


def _text(values: pd.Series) -> pa.Array:
    """Text cells as they are, other values as ``str()``; missing ones empty."""
    if isinstance(values.dtype, pd.StringDtype):  # Arrow's own strings when pandas has them
        text = pa.array(values.array)
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks()
        return pc.fill_null(text.cast(pa.string()), "")
    if values.dtype == np.int64:
        return pa.array(values.to_numpy()).cast(pa.string())
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return pc.fill_null(pa.array(values.to_numpy(dtype=object), pa.string(),
                                     from_pandas=True), "")
    return _each_distinct(values, str)


def _each_distinct(values: pd.Series, format: Callable[[Any], str]) -> pa.Array:
    """``format`` of every cell, called once per distinct value; missing ones empty."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    texts = np.array([format(value) for value in distinct.tolist()] + [""], dtype=object)
    return pa.array(texts[codes], pa.string())


def _arrow_times(values: pd.Series) -> pa.Array:
    return pa.array(values.to_numpy(dtype="datetime64[ns]"), pa.timestamp("ns"),
                    from_pandas=True)


def _digits(values: pa.Array, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(values, pa.string()), width=width, padding="0")


def _quoted(text: pa.Array) -> pa.Array:
    needs_quotes = pc.match_substring_regex(text, _NEEDS_QUOTES)
    if not pc.any(needs_quotes).as_py():
        return text
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(needs_quotes, quoted, text)


def _write_csv(path: str | Path, columns: list[tuple[str, pd.Series]],
               cells: Callable[[pd.Series], pa.Array], *, byte_order_mark: bool) -> Path:
    """Header and rows as Python's csv module writes them (QUOTE_MINIMAL, CRLF)."""
    header = io.StringIO(newline="")
    csv.writer(header).writerow([name for name, _ in columns])
    path = Path(path)
    rows = len(columns[0][1]) if columns else 0
    with path.open("wb") as handle:
        handle.write((("\ufeff" if byte_order_mark else "") + header.getvalue()).encode("utf-8"))
        for start in range(0, rows, _BLOCK_ROWS):
            block = [_quoted(cells(values.iloc[start:start + _BLOCK_ROWS]))
                     for _, values in columns]
            if len(block) == 1:  # (csv writes an empty lone cell as "")
                lines = pc.if_else(pc.equal(block[0], ""), '""', block[0])
            else:
                lines = pc.binary_join_element_wise(*block, ",")
            body = pc.binary_join(pa.ListArray.from_arrays(
                pa.array([0, len(lines)], pa.int32()), lines), "\r\n")
            handle.write(body[0].as_buffer())
            handle.write(b"\r\n")
    return path

"""Pull Jira issues with their full changelogs, from Jira Cloud or Data Center.

- Which Jira: a site on ``*.atlassian.net`` is Cloud; any other address is
  asked (``GET /rest/api/2/serverInfo``, its ``deploymentType``).
- Cloud: ``GET /rest/api/3/search/jql`` with the JQL, ``expand=changelog``
  and ``nextPageToken`` pagination (the old ``/search`` answers 410 Gone);
  an issue whose embedded changelog is partial (``total`` larger than the
  entries given) gets its whole history from ``/rest/api/3/issue/{key}/
  changelog`` (paginated, ``isLast``). Credentials: ``JIRA_EMAIL`` and
  ``JIRA_API_TOKEN``.
- Data Center: ``GET /rest/api/2/search`` with ``startAt``/``maxResults``/
  ``total``; a partial changelog is completed from ``/rest/api/2/issue/
  {key}?expand=changelog``. Credentials: ``JIRA_TOKEN`` (a personal access
  token).
- Story points: the field list (``/rest/api/{3|2}/field``) is read, and the
  fields named ``Story Points`` or ``Story point estimate`` are the points
  (``points_field`` names another, by name or id). The list is saved as the
  response's ``names`` map (id → name), so the reader finds every field by
  name; a field chosen with ``points_field`` is recorded in the header.

The file — ``{"calibrate_pull": {...}, "names": {...}, "issues": [...]}``,
one page of a search response — is read by the ``jira_json`` reader.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from calibrate.errors import InputError, Problem
from calibrate.pull._http import Progress, TrackerClient, check_url, credentials, shown_url
from calibrate.pull._store import PullResult, PullState

__all__ = ["POINTS_FIELD_NAMES", "pull_jira"]

#: The names story-points fields have: company-managed and team-managed projects.
POINTS_FIELD_NAMES = ("Story Points", "Story point estimate")

_PAGE = 100
#: Fields not needed to measure a ticket, and large: left out of the search.
# The description stays: the area classifier ([areas] classify) learns from it.
_LEFT_OUT = ("-comment", "-attachment", "-worklog", "-issuelinks",
             "-subtasks", "-watches", "-votes", "-environment")
_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)


def pull_jira(out: str | Path, *, url: str, project: str | None = None, jql: str | None = None,
              points_field: str | None = None, deployment: str | None = None,
              since: bool = False, resume: bool = False, progress: Progress | None = None,
              client: TrackerClient | None = None) -> PullResult:
    """Download Jira issues with their full changelogs into ``out`` (read back
    by :func:`calibrate.io.read_jira_json`: cycle time from the status history).

    Parameters
    ----------
    out : str or Path
        The JSON file to write (atomically).
    url : str
        The site: ``https://acme.atlassian.net`` (Cloud) or the Data Center
        base URL (with its context path, e.g. ``https://jira.acme.com/jira``).
    project : str, optional
        A project key: the issues of ``project = KEY`` (and ``jql``, if given).
    jql : str, optional
        The issues to pull; at least one of ``project`` and ``jql`` is needed.
    points_field : str, optional
        The story-points field, by name or id, when it is not named
        ``Story Points`` or ``Story point estimate``.
    deployment : {"cloud", "datacenter"}, optional
        Which API to use; asked from the server when omitted.
    since : bool
        Update the previous pull at ``out`` with the issues updated since it.
    resume : bool
        Continue an interrupted download to ``out``.
    progress : callable, optional
        ``progress(line)`` after each page, and on pauses and retries.
    client : TrackerClient, optional
        The HTTP client (default: one with the credentials of
        :func:`~calibrate.pull._http.credentials`).

    Returns
    -------
    PullResult

    Raises
    ------
    InputError
        On missing or rejected credentials, a JQL Jira refuses, no
        story-points field, or a server that keeps failing.

    Examples
    --------
    >>> from calibrate.pull import pull_jira
    >>> pull_jira("history.json", url="https://acme.atlassian.net",
    ...           project="ML")  # doctest: +SKIP
    PullResult(path=PosixPath('history.json'), issues=812, ...)
    """
    url = check_url(url)
    query = _query(project, jql)
    if deployment not in (None, "cloud", "datacenter"):
        raise ValueError(f"deployment must be 'cloud' or 'datacenter', not {deployment!r}")
    say = progress or (lambda line: None)
    host = urlsplit(url).hostname or ""
    own_client = client is None
    if client is None:
        client = TrackerClient(url, auth_header=credentials("jira", host), source="jira",
                               progress=progress)
    try:
        if deployment is None:
            deployment = _deployment(client, host)
        version = "3" if deployment == "cloud" else "2"
        names, points = _fields(client, version, points_field)
        state = PullState(out, source="jira", base_url=url, project=project, query=jql,
                          key=lambda issue: str(issue["id"]), since=since, resume=resume,
                          progress=progress)
        if points_field is not None:
            state.header["points_field"] = points[0]
        say(f"Jira {'Cloud' if version == '3' else 'Data Center'}; story points in "
            + ", ".join(f"{names[fid]!r} ({fid})" for fid in points))
        search = _Search(client, state, version, _since(query, state.since_time), say)
        search.run()
        return state.finish(client, extra={"names": names})
    finally:
        if own_client:
            client.close()


def _query(project: str | None, jql: str | None) -> str:
    project = (project or "").strip()
    jql = (jql or "").strip()
    if not project and not jql:
        raise InputError("no Jira issues chosen: give --project KEY or --jql QUERY",
                         hint='E.g. --project ML, or --jql "project = ML AND created >= '
                              '2023-01-01".')
    if project and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", project):
        raise InputError(f"{project!r} is not a Jira project key",
                         hint="Give the key (the part before the dash in ML-101), or choose "
                              "the issues with --jql.")
    if not project:
        return jql
    where, order = _split_order(jql)
    clause = f'project = "{project}"' + (f" AND ({where})" if where else "")
    return f"{clause} {order or 'ORDER BY created ASC'}"


def _split_order(jql: str) -> tuple[str, str]:
    """``(condition, "ORDER BY ...")`` of a JQL query (either may be empty)."""
    matches = list(_ORDER_BY.finditer(jql))
    if not matches:
        return jql.strip(), ""
    start = matches[-1].start()
    return jql[:start].strip(), jql[start:].strip()


def _since(query: str, since_time: dt.datetime | None) -> str:
    """The query, restricted to issues updated since ``since_time`` (JQL's
    relative minutes: the site's time zone plays no part)."""
    if since_time is None:
        return query
    minutes = max(1, math.ceil((dt.datetime.now(dt.UTC) - since_time).total_seconds() / 60))
    where, order = _split_order(query)
    clause = f"({where}) AND updated >= -{minutes}m" if where else f"updated >= -{minutes}m"
    return f"{clause} {order}".strip()


def _deployment(client: TrackerClient, host: str) -> str:
    if host.lower().endswith(".atlassian.net"):
        return "cloud"
    info = client.get_json("rest/api/2/serverInfo").data
    kind = str(info.get("deploymentType", "")) if isinstance(info, dict) else ""
    if not kind:
        raise InputError(f"{client.base_url} does not answer as a Jira site does "
                         "(/rest/api/2/serverInfo has no deploymentType)",
                         hint="Check --url: the address you open Jira at, with its context "
                              "path if it has one.")
    return "cloud" if kind.casefold() == "cloud" else "datacenter"


def _fields(client: TrackerClient, version: str,
            wanted: str | None) -> tuple[dict[str, str], list[str]]:
    """Every field's name by id, and the ids of the story-points fields."""
    data = client.get_json(f"rest/api/{version}/field").data
    if not isinstance(data, list):
        raise InputError(f"{client.base_url}/rest/api/{version}/field did not answer with the "
                         "list of fields", hint="Check --url: it should be a Jira site.")
    fields = [f for f in data if isinstance(f, dict) and f.get("id") and f.get("name")]
    names = {str(f["id"]): str(f["name"]) for f in fields}
    if wanted is not None:
        chosen = [fid for fid, name in names.items()
                  if wanted.strip() in (fid,) or name.casefold() == wanted.strip().casefold()]
    else:
        folded = {name.casefold() for name in POINTS_FIELD_NAMES}
        chosen = [fid for fid, name in names.items() if name.casefold() in folded]
    if chosen:
        return names, chosen[:1] if wanted is not None else chosen
    numeric = sorted(str(f["name"]) for f in fields
                     if f.get("custom") and (f.get("schema") or {}).get("type") == "number")
    looked_for = repr(wanted) if wanted is not None else " or ".join(
        repr(name) for name in POINTS_FIELD_NAMES)
    raise InputError(
        f"no story-points field named {looked_for} on this Jira site",
        [Problem("field not found", value=", ".join(numeric[:12]) or "(no number fields)",
                 expected="the name or id of the field holding story points")],
        hint="Give --points-field NAME with one of the number fields listed (its name as "
             "Jira shows it, or its id such as customfield_10042).")


class _Search:
    """The paginated search, each issue's changelog completed, stored as it goes."""

    def __init__(self, client: TrackerClient, state: PullState, version: str, jql: str,
                 say: Progress) -> None:
        self.client, self.state, self.version, self.jql, self.say = \
            client, state, version, jql, say
        self.fields = ",".join(("*navigable", *_LEFT_OUT))

    def run(self) -> None:
        cursor = self.state.cursor if isinstance(self.state.cursor, dict) else {}
        if cursor.get("done"):
            return
        number = 0
        while True:
            number += 1
            if self.version == "3":
                page = self._get("rest/api/3/search/jql", {
                    "jql": self.jql, "fields": self.fields, "expand": "changelog",
                    "maxResults": _PAGE, "nextPageToken": cursor.get("token")})
                token = page.get("nextPageToken")
                done = bool(page.get("isLast")) or not token
                following = {"token": token, "done": done}
            else:
                start = int(cursor.get("start_at") or 0)
                page = self._get("rest/api/2/search", {
                    "jql": self.jql, "fields": self.fields, "expand": "changelog",
                    "startAt": start, "maxResults": _PAGE})
                count = len(page["issues"])
                total = page.get("total")
                done = count == 0 or (isinstance(total, int) and start + count >= total)
                following = {"start_at": start + count, "done": done}
            for issue in page["issues"]:
                self._store(issue)
            self.state.advance(following)
            cursor = following
            total = page.get("total")
            of = f" of {total}" if isinstance(total, int) else ""
            self.say(f"page {number}: {len(self.state.records)}{of} issues")
            if done:
                return

    def _get(self, path: str, params: dict[str, Any]) -> dict:
        answer = self.client.get_json(path, params)
        data = answer.data
        if not isinstance(data, dict) or not isinstance(data.get("issues"), list):
            raise InputError(f"{shown_url(answer.url)} did not answer with search results",
                             hint="Check --url: it should be the Jira site's address.")
        for issue in data["issues"]:
            if not isinstance(issue, dict) or "id" not in issue or "key" not in issue:
                raise InputError(f"{shown_url(answer.url)} answered with something that is "
                                 "not a Jira issue", hint="Check --url.")
        return data

    def _store(self, issue: dict) -> None:
        if self.state.has(issue):
            return
        changelog = issue.get("changelog")
        if isinstance(changelog, dict):
            histories = changelog.get("histories")
            total = changelog.get("total")
            if isinstance(histories, list) and isinstance(total, int) and total > len(histories):
                issue["changelog"] = self._whole_changelog(str(issue["key"]))
        self.state.add(issue)

    def _whole_changelog(self, key: str) -> dict:
        """Every entry of an issue's changelog, as the search embeds it."""
        histories: list = []
        if self.version == "3":
            path = f"rest/api/3/issue/{quote(key, safe='')}/changelog"
            while True:
                page = self.client.get_json(path, {"startAt": len(histories),
                                                   "maxResults": _PAGE}).data
                values = page.get("values") if isinstance(page, dict) else None
                if not isinstance(values, list):
                    raise InputError(f"the changelog of {key} did not come as a page of "
                                     "values", hint="Check --url.")
                histories += values
                total = page.get("total")
                last = page.get("isLast")
                if last is None:  # (older sites): the total says
                    last = not (isinstance(total, int) and len(histories) < total)
                if last or not values:
                    break
        else:
            data = self.client.get_json(f"rest/api/2/issue/{quote(key, safe='')}",
                                        {"fields": "created", "expand": "changelog"}).data
            found = data.get("changelog", {}).get("histories") if isinstance(data, dict) \
                else None
            if not isinstance(found, list):
                raise InputError(f"the changelog of {key} did not come with the issue",
                                 hint="Check --url.")
            histories = found
        return {"startAt": 0, "maxResults": len(histories), "total": len(histories),
                "histories": histories}

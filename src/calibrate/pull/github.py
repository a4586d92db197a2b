"""Pull a repository's issues from GitHub, with their timelines, for the ``github_json`` reader.

What is asked, and why:

- ``GET /repos/{owner}/{repo}/issues?state=all&sort=created&direction=asc
  &per_page=100``, following ``Link: <...>; rel="next"``. Pull requests,
  which the endpoint mixes in (objects with a ``pull_request`` key), are
  skipped. Oldest first, so that issues opened during a download only add
  pages at the end (a resumed download misses none).
- Per issue ``GET /repos/{owner}/{repo}/issues/{number}/timeline`` (all
  pages): the events that can start work or end it — labels added and
  removed, closes and reopens, assignments, classic project column moves,
  Projects additions and status changes (:data:`TIMELINE_EVENTS`) — kept as
  GitHub returns them in the issue's ``timeline`` list. Comments,
  references and commits are left out: they are most of a timeline and say
  nothing about the clock.
- With ``points_field`` (a Projects number field, e.g. ``Story Points``):
  one GraphQL query per 50 issues (``repository.issues { projectItems {
  fieldValueByName } timelineItems(itemTypes:
  [PROJECT_V2_ITEM_STATUS_CHANGED_EVENT]) }``) reads each issue's project
  items, the field's number and its project status changes. The items go
  in ``projectItems``, the status changes in ``projectStatusChanges`` (the
  GraphQL nodes as returned), and the first number found in ``points``,
  which the reader takes as the estimate before any label. The token then
  needs the ``read:project`` scope.
- ``in_progress``: label, column or status names that mean work started,
  added to the reader's ``[statuses] in_progress``; they are recorded in the
  file's header (``query``), where the reader finds them.
- Rate limits (``x-ratelimit-remaining`` / ``x-ratelimit-reset``, 403 and
  429), retries and errors are the client's
  (:class:`~calibrate.pull._http.TrackerClient`).
- ``--since`` asks for the issues updated since the previous pull (the
  endpoint's ``since``, and ``filterBy: {since:}`` in GraphQL) and replaces
  them, by ``id``, in the previous file; ``--resume`` continues after the
  last page stored, without fetching a stored issue's timeline again.

The token is the ``GITHUB_TOKEN`` variable (sent as ``Bearer``); ``gh auth
token`` prints one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from calibrate.errors import InputError
from calibrate.pull._http import Progress, TrackerClient, credentials
from calibrate.pull._store import PullResult, PullState

__all__ = ["DEFAULT_URL", "PER_PAGE", "TIMELINE_EVENTS", "pull_github"]

#: GitHub's REST API (GitHub Enterprise Server: ``https://HOST/api/v3``).
DEFAULT_URL = "https://api.github.com"
#: Issues and timeline events per page (GitHub's largest page).
PER_PAGE = 100
#: Issues per GraphQL page of project fields.
PROJECT_PAGE_SIZE = 50
#: The timeline events kept per issue.
TIMELINE_EVENTS = frozenset({
    "labeled", "unlabeled", "closed", "reopened", "assigned", "unassigned",
    "added_to_project", "moved_columns_in_project", "removed_from_project",
    "converted_note_to_issue", "added_to_project_v2", "removed_from_project_v2",
    "project_v2_item_status_changed",
})
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")

#: A page of issues with their project items and project status changes.
PROJECTS_QUERY = f"""
query Projects($owner: String!, $name: String!, $after: String, $since: DateTime,
               $field: String!) {{
  repository(owner: $owner, name: $name) {{
    issues(first: {PROJECT_PAGE_SIZE}, after: $after, filterBy: {{since: $since}}) {{
      nodes {{
        number
        projectItems(first: 10) {{
          nodes {{
            project {{ number title }}
            points: fieldValueByName(name: $field) {{
              ... on ProjectV2ItemFieldNumberValue {{ number }}
            }}
            status: fieldValueByName(name: "Status") {{
              ... on ProjectV2ItemFieldSingleSelectValue {{ name }}
            }}
          }}
        }}
        timelineItems(first: 100, itemTypes: [PROJECT_V2_ITEM_STATUS_CHANGED_EVENT]) {{
          nodes {{
            __typename
            ... on ProjectV2ItemStatusChangedEvent {{
              createdAt previousStatus status project {{ number title }}
            }}
          }}
        }}
      }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}
""".strip()


def pull_github(out: str | Path, *, repo: str, url: str = DEFAULT_URL,
                points_field: str | None = None, in_progress: Sequence[str] = (),
                since: bool = False, resume: bool = False, progress: Progress | None = None,
                client: TrackerClient | None = None) -> PullResult:
    """Download a repository's issues with their timelines into ``out``.

    Parameters
    ----------
    out : str or Path
        The JSON file to write (``{"calibrate_pull": {...}, "items": [...]}``),
        read back by :func:`calibrate.io.read_github_json`.
    repo : str
        ``OWNER/NAME``.
    url : str
        The REST API's root (``https://HOST/api/v3`` for GitHub Enterprise
        Server); GraphQL is asked at ``/graphql`` beside it.
    points_field : str, optional
        A Projects number field holding the estimate (read with GraphQL,
        with the project status changes); labels otherwise.
    in_progress : sequence of str
        Label, column or status names that mean work started, besides
        ``[statuses] in_progress``.
    since : bool
        Update the previous pull at ``out`` with the issues changed since it.
    resume : bool
        Continue an interrupted download to ``out``.
    progress : callable, optional
        ``progress(line)``, told about every page and every pause.
    client : TrackerClient, optional
        The HTTP client (tests inject one); by default one authenticated
        with ``GITHUB_TOKEN``.

    Returns
    -------
    PullResult

    Raises
    ------
    InputError
        If ``repo`` is not ``OWNER/NAME``, the token is missing or rejected,
        the repository does not exist, GraphQL answers with errors, or the
        download fails for good (the message says to ``--resume``).

    Examples
    --------
    >>> from calibrate.pull.github import pull_github
    >>> pull_github("history.json", repo="acme/ml-platform")  # doctest: +SKIP
    PullResult(path=PosixPath('history.json'), issues=230, requests=241, pauses=0, ...)
    """
    if not isinstance(repo, str) or not _REPOSITORY.match(repo.strip()):
        raise InputError(f"--repo {repo!r} is not OWNER/NAME",
                         hint="Give the repository as it appears in its address, e.g. "
                              "--repo acme/ml-platform.")
    owner, name = repo.strip().split("/")
    url = url.rstrip("/")
    progress = progress or (lambda line: None)
    own = client is None
    if client is None:
        client = TrackerClient(url, auth_header=credentials("github", urlsplit(url).hostname
                                                            or ""),
                               source="github", progress=progress)
    query = {"points_field": points_field, "in_progress": [str(n) for n in in_progress]}
    try:
        state = PullState(out, source="github", base_url=url, project=f"{owner}/{name}",
                          query=query, key=_issue_id, records_key="items", since=since,
                          resume=resume, progress=progress)
        since_text = _iso(state.since_time)
        projects = (_project_fields(client, _graphql_url(url), owner, name, points_field,
                                    since_text, progress)
                    if points_field else {})
        base = f"repos/{quote(owner)}/{quote(name)}"
        params = {"state": "all", "sort": "created", "direction": "asc", "per_page": PER_PAGE,
                  "since": since_text}
        for number, page in enumerate(client.pages(f"{base}/issues", params,
                                                   start=state.cursor), start=1):
            if not isinstance(page.data, list):
                raise InputError(f"GitHub's answer to {base}/issues is not a list of issues",
                                 hint="Check --url: it should be GitHub's REST API root "
                                      f"({DEFAULT_URL}, or https://HOST/api/v3).")
            for issue in page.data:
                if not isinstance(issue, dict) or "pull_request" in issue or state.has(issue):
                    continue
                issue["timeline"] = _timeline(client, f"{base}/issues/{issue['number']}")
                issue.update(projects.get(issue.get("number"), {}))
                state.add(issue)
            progress(f"page {number}: {len(state.records)} issues")
            if page.next_url is not None:
                state.advance(page.next_url)
        return state.finish(client)
    finally:
        if own:
            client.close()


def _issue_id(record: dict) -> Any:
    return record.get("id", record.get("number"))


def _iso(time: dt.datetime | None) -> str | None:
    if time is None:
        return None
    return time.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _graphql_url(rest_url: str) -> str:
    """GitHub's GraphQL endpoint beside its REST root (``/api/v3`` -> ``/api/graphql``)."""
    if rest_url.endswith("/api/v3"):
        return rest_url[: -len("/v3")] + "/graphql"
    return rest_url + "/graphql"


def _timeline(client: TrackerClient, issue_path: str) -> list[dict]:
    """The issue's timeline events that bear on its clock, in order."""
    events = []
    for page in client.pages(f"{issue_path}/timeline", {"per_page": PER_PAGE}):
        if isinstance(page.data, list):
            events += [event for event in page.data
                       if isinstance(event, dict) and event.get("event") in TIMELINE_EVENTS]
    return events


def _project_fields(client: TrackerClient, graphql_url: str, owner: str, name: str,
                    field: str, since: str | None, progress: Progress) -> dict[int, dict]:
    """Per issue number: its project items, project status changes, and the
    points the field holds (the first number among its projects)."""
    found: dict[int, dict] = {}
    after = None
    while True:
        response = client.post_json(graphql_url, {"query": PROJECTS_QUERY, "variables": {
            "owner": owner, "name": name, "after": after, "since": since, "field": field}})
        body = response.data if isinstance(response.data, dict) else {}
        issues = ((body.get("data") or {}).get("repository") or {}).get("issues")
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        if errors or not isinstance(issues, dict):
            messages = "; ".join(str(e.get("message") or e) for e in errors) or \
                "no issues in the answer"
            raise InputError(f"GitHub refused the Projects query for {owner}/{name}: {messages}",
                             hint="Reading a Projects field needs a token with the "
                                  "read:project scope; without --points-field, points come "
                                  "from labels.")
        for issue in issues.get("nodes") or []:
            if not isinstance(issue, dict) or not isinstance(issue.get("number"), int):
                continue
            items = (issue.get("projectItems") or {}).get("nodes") or []
            changes = [node for node in (issue.get("timelineItems") or {}).get("nodes") or []
                       if isinstance(node, dict)
                       and node.get("__typename") == "ProjectV2ItemStatusChangedEvent"]
            record: dict[str, Any] = {"projectItems": items, "projectStatusChanges": changes}
            points = next((item["points"]["number"] for item in items
                           if isinstance(item, dict) and isinstance(item.get("points"), dict)
                           and isinstance(item["points"].get("number"), int | float)), None)
            if points is not None:
                record["points"] = points
            found[issue["number"]] = record
        info = issues.get("pageInfo") or {}
        progress(f"project fields: {len(found)} issues")
        if not info.get("hasNextPage") or not info.get("endCursor"):
            return found
        after = info["endCursor"]

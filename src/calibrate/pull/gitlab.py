"""Pull a GitLab project's issues with their label and state events.

``GET /api/v4/projects/:id/issues?state=all`` (100 a page, oldest first,
following the ``Link: rel="next"`` header, else ``X-Next-Page``), then for
each issue ``GET .../issues/:iid/resource_label_events`` and
``.../resource_state_events`` (paginated the same way), kept under those
names in the issue object. The file is read back by
:func:`calibrate.io.read_gitlab_json`: start of work from the first
in-progress workflow label, weight as points.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlsplit

from calibrate.errors import InputError
from calibrate.pull._http import Progress, TrackerClient, check_url, credentials, shown_url
from calibrate.pull._store import PullResult, PullState

__all__ = ["pull_gitlab"]

_PER_PAGE = 100
_EVENTS = ("resource_label_events", "resource_state_events")


def pull_gitlab(out: str | Path, *, project: str, url: str = "https://gitlab.com",
                since: bool = False, resume: bool = False, progress: Progress | None = None,
                client: TrackerClient | None = None) -> PullResult:
    """Download a GitLab project's issues, with their label and state events,
    into ``out`` (read back by :func:`calibrate.io.read_gitlab_json`).

    Parameters
    ----------
    out : str or Path
        The JSON file to write (atomically).
    project : str
        The project's path (``group/subgroup/project``) or numeric id.
    url : str
        The GitLab instance (``https://gitlab.com``; ``/api/v4`` is added).
    since : bool
        Update the previous pull at ``out``: fetch only the issues updated
        since it (``updated_after``) and replace them in it.
    resume : bool
        Continue an interrupted download to ``out`` (``<out>.partial``).
    progress : callable, optional
        ``progress(line)`` after each page, and on pauses and retries.
    client : TrackerClient, optional
        The HTTP client (default: one with ``GITLAB_TOKEN`` or ``~/.netrc``).

    Returns
    -------
    PullResult

    Raises
    ------
    InputError
        If the token is missing or rejected, the project is not found, or
        the server keeps failing (then ``resume=True`` continues).

    Examples
    --------
    >>> from calibrate.pull import pull_gitlab
    >>> pull_gitlab("history.json", project="gitlab-org/gitlab-ui")  # doctest: +SKIP
    PullResult(path=PosixPath('history.json'), issues=310, ...)
    """
    project = str(project).strip().strip("/")
    if not project:
        raise InputError("no GitLab project given",
                         hint="Give --project GROUP/PROJECT (its path) or its numeric id.")
    url = check_url(url)
    api = url if url.endswith("/api/v4") else url + "/api/v4"
    own_client = client is None
    if client is None:
        client = TrackerClient(api, auth_header=credentials("gitlab", urlsplit(api).hostname),
                               source="gitlab", progress=progress)
    say = progress or (lambda line: None)
    try:
        state = PullState(out, source="gitlab", base_url=url,
                          project=project, query=None, key=lambda issue: issue["id"],
                          since=since, resume=resume, progress=progress)
        issues_path = f"projects/{quote(project, safe='')}/issues"
        cursor = state.cursor
        if not (isinstance(cursor, dict) and "next" in cursor and cursor["next"] is None):
            params = {"state": "all", "scope": "all", "per_page": _PER_PAGE,
                      "order_by": "created_at", "sort": "asc"}
            if state.since_time is not None:
                params["updated_after"] = state.since_time.strftime("%Y-%m-%dT%H:%M:%SZ")
            start = cursor.get("next") if isinstance(cursor, dict) else None
            for number, page in enumerate(client.pages(issues_path, params, start=start), 1):
                if not isinstance(page.data, list):
                    raise InputError(f"{shown_url(page.url)} did not answer with a list of "
                                     "issues", hint="Check --url: it should be a GitLab "
                                                    "instance.")
                for issue in page.data:
                    if not isinstance(issue, dict) or "iid" not in issue or "id" not in issue:
                        raise InputError(f"{shown_url(page.url)} answered with something that "
                                         "is not a GitLab issue",
                                         hint="Check --url: it should be a GitLab instance.")
                    if state.has(issue):
                        continue
                    for name in _EVENTS:
                        issue[name] = _events(client, f"{issues_path}/{issue['iid']}/{name}")
                    state.add(issue)
                state.advance({"next": page.next_url})
                say(f"page {number}: {len(state.records)} issues")
        return state.finish(client)
    finally:
        if own_client:
            client.close()


def _events(client: TrackerClient, path: str) -> list:
    events: list = []
    for page in client.pages(path, {"per_page": _PER_PAGE}):
        if not isinstance(page.data, list):
            raise InputError(f"{shown_url(page.url)} did not answer with a list of events",
                             hint="Check --url: it should be a GitLab instance (13.2 or later "
                                  "for state events).")
        events += page.data
    return events

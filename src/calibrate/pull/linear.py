"""Pull a team's issues from Linear's GraphQL API, for the ``linear_json`` reader.

What is asked, and why:

- ``issues(first:, after:, filter:, includeArchived: true, orderBy: updatedAt)``
  pages, :data:`PAGE_SIZE` issues each, followed by ``pageInfo { hasNextPage
  endCursor }``. Archived issues are included: Linear archives closed issues
  after a while, and they are most of a team's history. ``--team KEY``
  filters on ``team.key``; without it every issue the key can see is pulled.
- Per issue the fields :mod:`calibrate.io.linear_json` reads: ``startedAt``,
  ``completedAt``, ``canceledAt``, ``estimate``, ``assignee``, ``labels``,
  ``team``, ``state``, ``project``, ``cycle``, and the ``history`` entries
  (estimate and state changes), whose further pages are fetched with
  ``issue(id:) { history(after:) }`` and appended, so a file holds every
  entry (``pageInfo.hasNextPage`` is then false).
- Rate limits are the client's (:class:`~calibrate.pull._http.TrackerClient`),
  as are 429, 5xx, bodies cut short and rejected keys: when Linear's
  ``X-RateLimit-Requests-Remaining`` reaches 0 the next request waits until
  ``X-RateLimit-Requests-Reset`` (a Unix time in milliseconds), and a
  ``RATELIMITED`` GraphQL error (HTTP 400) waits for the reset and asks
  again. Other GraphQL errors are reported here.
- ``--since`` asks for the issues whose ``updatedAt`` is after the previous
  pull (the store's :attr:`~calibrate.pull._store.PullState.since_time`) and
  replaces them, by ``id``, in the previous file; ``--resume`` continues
  after the last page stored, without fetching a stored issue again.

The key is the ``LINEAR_API_KEY`` variable (a personal API key, sent as it
is in ``Authorization``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from calibrate.errors import InputError
from calibrate.pull._http import Progress, TrackerClient, credentials
from calibrate.pull._store import PullResult, PullState

__all__ = ["DEFAULT_URL", "HISTORY_PAGE_SIZE", "PAGE_SIZE", "pull_linear"]

#: Linear's GraphQL endpoint.
DEFAULT_URL = "https://api.linear.app/graphql"
#: Issues per page: with their history, a page stays well below Linear's
#: complexity limit for one query (connections multiply by their ``first``).
PAGE_SIZE = 25
#: History entries asked for per issue (further ones are fetched per issue).
HISTORY_PAGE_SIZE = 50
_HISTORY_FIELDS = ("nodes { createdAt fromEstimate toEstimate fromState { type } "
                   "toState { type } } pageInfo { hasNextPage endCursor }")

#: One page of issues.
ISSUES_QUERY = f"""
query Issues($first: Int!, $after: String, $filter: IssueFilter) {{
  issues(first: $first, after: $after, filter: $filter, includeArchived: true,
         orderBy: updatedAt) {{
    nodes {{
      id identifier title description createdAt updatedAt startedAt completedAt canceledAt
      archivedAt
      estimate
      assignee {{ name displayName email }}
      labels(first: 20) {{ nodes {{ name }} }}
      team {{ key name }}
      state {{ name type }}
      project {{ name }}
      cycle {{ number name }}
      history(first: {HISTORY_PAGE_SIZE}) {{ {_HISTORY_FIELDS} }}
    }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
""".strip()

#: The further history of one issue.
HISTORY_QUERY = f"""
query History($id: String!, $after: String) {{
  issue(id: $id) {{
    history(first: 100, after: $after) {{ {_HISTORY_FIELDS} }}
  }}
}}
""".strip()

#: The team a ``--team`` key names (to refuse an unknown key instead of pulling nothing).
TEAMS_QUERY = """
query Teams($key: String!) {
  teams(filter: { key: { eq: $key } }) { nodes { id key name } }
}
""".strip()


def pull_linear(out: str | Path, *, team: str | None = None, url: str = DEFAULT_URL,
                since: bool = False, resume: bool = False, progress: Progress | None = None,
                client: TrackerClient | None = None) -> PullResult:
    """Download a Linear team's issues with their history into ``out``.

    Parameters
    ----------
    out : str or Path
        The JSON file to write (``{"calibrate_pull": {...}, "issues": [...]}``),
        read back by :func:`calibrate.io.read_linear_json`.
    team : str, optional
        The team's key (``ENG``, the prefix of its issue identifiers); every
        issue the API key can see when omitted.
    url : str
        The GraphQL endpoint.
    since : bool
        Update the previous pull at ``out`` with the issues changed since it.
    resume : bool
        Continue an interrupted download to ``out``.
    progress : callable, optional
        ``progress(line)``, told about every page and every pause.
    client : TrackerClient, optional
        The HTTP client (tests inject one); by default one authenticated
        with ``LINEAR_API_KEY``.

    Returns
    -------
    PullResult

    Raises
    ------
    InputError
        If the key is missing or rejected, the team does not exist, Linear
        answers the query with errors, or the download fails for good (the
        message says to ``--resume``).

    Examples
    --------
    >>> from calibrate.pull.linear import pull_linear
    >>> pull_linear("history.json", team="ENG")  # doctest: +SKIP
    PullResult(path=PosixPath('history.json'), issues=412, requests=18, pauses=0, ...)
    """
    progress = progress or (lambda line: None)
    own = client is None
    if client is None:
        client = TrackerClient(url, auth_header=credentials("linear", urlsplit(url).hostname
                                                            or ""),
                               source="linear", progress=progress)
    try:
        state = PullState(out, source="linear", base_url=url, project=team, query=None,
                          key=_issue_id, records_key="issues", since=since, resume=resume,
                          progress=progress)
        graphql = _GraphQL(client, url, progress)
        if team is not None and not resume:
            _check_team(graphql, team)
        issue_filter = _filter(team, state.since_time)
        cursor = state.cursor
        page = 0
        while True:
            page += 1
            data = graphql.ask(ISSUES_QUERY, {"first": PAGE_SIZE, "after": cursor,
                                              "filter": issue_filter or None})
            connection = _connection(data, "issues")
            for node in connection["nodes"]:
                if not isinstance(node, dict) or state.has(node):
                    continue
                _complete_history(graphql, node)
                state.add(node)
            info = connection.get("pageInfo") or {}
            progress(f"page {page}: {len(state.records)} issues")
            if not info.get("hasNextPage") or not info.get("endCursor"):
                break
            cursor = info["endCursor"]
            state.advance(cursor)
        return state.finish(client)
    finally:
        if own:
            client.close()


def _issue_id(record: dict) -> str:
    return str(record.get("id") or record.get("identifier"))


def _filter(team: str | None, since: dt.datetime | None) -> dict[str, Any]:
    """The ``IssueFilter``: the team's key, and updates after ``since``."""
    found: dict[str, Any] = {}
    if team is not None:
        found["team"] = {"key": {"eq": team}}
    if since is not None:
        found["updatedAt"] = {"gt": since.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")}
    return found


def _check_team(graphql: _GraphQL, team: str) -> None:
    teams = _connection(graphql.ask(TEAMS_QUERY, {"key": team}), "teams")["nodes"]
    if not teams:
        raise InputError(f"Linear has no team with the key {team!r} that this API key can see",
                         hint="Give the team's key, the prefix of its issue identifiers "
                              "(ENG for ENG-123), as --team.")


def _complete_history(graphql: _GraphQL, node: dict) -> None:
    """Fetch the rest of an issue's history and append it to its first page."""
    history = node.get("history")
    if not isinstance(history, dict):
        return
    info = history.get("pageInfo") or {}
    while info.get("hasNextPage") and info.get("endCursor"):
        data = graphql.ask(HISTORY_QUERY, {"id": node["id"], "after": info["endCursor"]})
        more = (data.get("issue") or {}).get("history") if isinstance(data, dict) else None
        if not isinstance(more, dict):
            break
        history["nodes"] = list(history.get("nodes") or []) + list(more.get("nodes") or [])
        info = more.get("pageInfo") or {}
    history["pageInfo"] = {"hasNextPage": bool(info.get("hasNextPage")),
                           "endCursor": info.get("endCursor")}


def _connection(data: Any, name: str) -> dict:
    connection = data.get(name) if isinstance(data, dict) else None
    if not isinstance(connection, dict) or not isinstance(connection.get("nodes"), list):
        raise InputError(f"Linear's answer has no {name} list",
                         hint="Check --url: it should be Linear's GraphQL endpoint "
                              f"({DEFAULT_URL}).")
    return connection


class _GraphQL:
    """GraphQL requests through the client (which waits out Linear's rate
    limits), with Linear's errors."""

    def __init__(self, client: TrackerClient, url: str, progress: Progress) -> None:
        self.client, self.url, self.progress = client, url, progress

    def ask(self, query: str, variables: dict[str, Any]) -> Any:
        """The ``data`` of a query's answer.

        Raises
        ------
        InputError
            If Linear answers with errors (its rate limit is waited out by
            the client), or keeps refusing for its rate limit.
        """
        response = self.client.post_json(self.url, {"query": query, "variables": variables})
        body = response.data if isinstance(response.data, dict) else {}
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        if errors:
            messages = "; ".join(str(e.get("message") or e) for e in errors)
            raise InputError(f"Linear refused the query: {messages}",
                             hint="Check --team and that the API key may read the team's "
                                  "issues.")
        return body.get("data")

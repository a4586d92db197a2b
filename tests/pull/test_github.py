"""``pull_github`` against a local GitHub: REST issue pages, timelines, the Projects
GraphQL query, errors, resume and ``--since``, and the file read back."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from calibrate import read_export
from calibrate.config import Config
from calibrate.errors import InputError
from calibrate.io.github_json import read_github_json
from calibrate.pull._http import TrackerClient, credentials
from calibrate.pull._store import SINCE_MARGIN, partial_path
from calibrate.pull.github import PER_PAGE, _graphql_url, pull_github
from conftest import SECRET

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NOW = 1_700_000_000.0
REPO = "acme/ml-platform"
SIZES = Config(points_scale={"s": 2.0, "m": 3.0, "l": 5.0})
AS_OF = "2024-05-17 12:00"
#: The fixture's issues and one pull request (#16), in the order GitHub lists them.
ITEMS = [item for page in json.loads((FIXTURES / "github_issues.json").read_text())
         for item in page]
ISSUES = [item for item in ITEMS if "pull_request" not in item]


def event(kind: str, time: str, **fields) -> dict:
    """A timeline event as the REST API returns it (common fields, then the event's own)."""
    return {"id": abs(hash((kind, time))) % 10**9, "node_id": "E", "url": "u",
            "actor": {"login": "alice-c"}, "event": kind, "commit_id": None,
            "commit_url": None, "created_at": time, **fields}


def labeled(time: str, name: str) -> dict:
    return event("labeled", time, label={"name": name, "color": "ededed"})


def commented(time: str) -> dict:
    return {"id": 1, "event": "commented", "created_at": time, "body": "looks good",
            "user": {"login": "bnovak"}}


class GitHub:
    """A local GitHub for one repository: issue pages of ``per_page``, timelines."""

    def __init__(self, server, items: list[dict], *, per_page: int = 5,
                 timelines: dict[int, list[list[dict]]] | None = None,
                 projects: dict[int, dict] | None = None, headers: dict | None = None):
        self.server, self.items, self.per_page = server, items, per_page
        self.timelines = timelines or {}
        self.projects = projects or {}
        self.headers = headers or {}
        self.fail_page: int | None = None
        base = f"/repos/{REPO}"
        server.route("GET", f"{base}/issues", self.issues)
        server.route("GET", re.compile(rf"{base}/issues/(\d+)/timeline"), self.timeline)
        server.route("POST", "/graphql", self.graphql)

    def _link(self, path: str, query: dict, page: int, last: int) -> dict:
        if page >= last:
            return {}
        following = "&".join(f"{k}={v}" for k, v in {**query, "page": page + 1}.items())
        return {"Link": f'<{self.server.url}{path}?{following}>; rel="next", '
                        f'<{self.server.url}{path}?page={last}>; rel="last"'}

    def issues(self, method, path, query, headers, body):
        page = int(query.get("page", 1))
        if self.fail_page == page:
            return 500, {}, {"message": "Server Error"}
        since = query.get("since")
        items = [i for i in self.items if since is None or i["updated_at"] >= since]
        last = max(1, -(-len(items) // self.per_page))
        chunk = items[(page - 1) * self.per_page: page * self.per_page]
        return 200, {**self.headers, **self._link(path, query, page, last)}, chunk

    def timeline(self, method, path, query, headers, body):
        number = int(path.split("/")[-2])
        pages = self.timelines.get(number, [[]])
        page = int(query.get("page", 1))
        return 200, self._link(path, query, page, len(pages)), pages[page - 1]

    def graphql(self, method, path, query, headers, body):
        variables = body["variables"]
        numbers = [i["number"] for i in self.items if "pull_request" not in i]
        start = int(variables["after"] or 0)
        chunk = numbers[start:start + 3]
        nodes = [{"number": n, **self.projects.get(n, {
            "projectItems": {"nodes": []}, "timelineItems": {"nodes": []}})} for n in chunk]
        more = start + 3 < len(numbers)
        return 200, {}, {"data": {"repository": {"issues": {
            "nodes": nodes, "pageInfo": {"hasNextPage": more,
                                         "endCursor": str(start + 3) if more else None}}}}}

    def paths(self, pattern: str = "") -> list[str]:
        return [r.path for r in self.server.requests if pattern in r.path]


def client_for(server, sleeps, **options) -> TrackerClient:
    lines: list[str] = []
    client = TrackerClient(server.url, auth_header=credentials(
        "github", "127.0.0.1", environ={"GITHUB_TOKEN": SECRET}), source="github",
        progress=lines.append, sleep=sleeps, seed=0, clock=lambda: NOW,
        **{"max_retries": 2, **options})
    client.lines = lines
    return client


def pull(server, sleeps, out, **options):
    client = options.pop("client", None) or client_for(server, sleeps)
    lines: list[str] = []
    result = pull_github(out, repo=REPO, url=server.url, client=client,
                         progress=lines.append, **options)
    return result, lines + client.lines


# ---------------------------------------------------------------- pages and the file


def test_issues_pages_skip_pull_requests_and_read_as_the_saved_list(server, no_sleep,
                                                                   tmp_path):
    # Timelines whose events start no work: the same table as the saved issues list.
    timelines = {11: [[commented("2024-05-07T10:00:00Z"),
                       event("closed", "2024-05-08T20:00:00Z")]]}
    github = GitHub(server, copy.deepcopy(ITEMS), per_page=5, timelines=timelines)
    out = tmp_path / "history.json"
    result, _ = pull(server, no_sleep, out)
    assert result.issues == len(ISSUES) == 12
    issue_requests = [r for r in server.requests if r.path == f"/repos/{REPO}/issues"]
    assert [r.query.get("page") for r in issue_requests] == [None, "2", "3"]
    assert issue_requests[0].query == {"state": "all", "sort": "created", "direction": "asc",
                                       "per_page": str(PER_PAGE)}
    assert f"/repos/{REPO}/issues/16/timeline" not in github.paths()  # the pull request
    assert len(github.paths("/timeline")) == 12
    assert {r.headers["authorization"] for r in server.requests} == {f"Bearer {SECRET}"}
    assert result.requests == len(server.requests)
    data = json.loads(out.read_text())
    assert data["calibrate_pull"]["source"] == "github"
    # Comments are left out of the timeline; the kept events are as GitHub sent them.
    assert data["items"][0]["timeline"] == [event("closed", "2024-05-08T20:00:00Z")]
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps(ISSUES))  # the equivalent `gh api` export, without PRs
    table = read_export(out, config=SIZES, as_of=AS_OF)
    assert table.source_format == "github_json"
    expected = read_github_json(saved, config=SIZES, as_of=AS_OF)
    pd.testing.assert_frame_equal(table.tickets, expected.tickets)
    pd.testing.assert_frame_equal(table.excluded, expected.excluded)


def test_start_of_work_from_labels_and_project_columns(server, no_sleep, tmp_path):
    timelines = {
        # #11: in progress Tue 2024-05-07 09:00, closed Wed 20:00
        11: [[labeled("2024-05-06T09:00:00Z", "research")],
             [labeled("2024-05-07T09:00:00Z", "status: In Progress"),
              labeled("2024-05-07T12:00:00Z", "in progress")]],  # (a second page)
        # #12: a classic project card moved into "In progress" Wed 09:00, closed Fri 15:00
        12: [[event("moved_columns_in_project", "2024-05-08T09:00:00Z",
                    project_card={"id": 1, "column_name": "In progress",
                                  "previous_column_name": "To do"})]],
        # #14 (open): work started Mon 2024-05-13 12:00
        14: [[labeled("2024-05-13T12:00:00Z", "in progress")]],
    }
    GitHub(server, copy.deepcopy(ITEMS), timelines=timelines)
    out = tmp_path / "h.json"
    pull(server, no_sleep, out)
    tickets = read_export(out, config=SIZES, as_of=AS_OF).tickets.set_index("ticket_id")
    expected = {"#11": 15 / 24 + 20 / 24, "#12": 15 / 24 + 1 + 15 / 24,
                "#14": 12 / 24 + 3 + 12 / 24}  # Mon 12:00 to Fri 12:00 (as of)
    for ticket, days in expected.items():
        assert tickets.loc[ticket, "clock"] == "cycle", ticket
        np.testing.assert_allclose(tickets.loc[ticket, "duration_days"], days, rtol=0,
                                   atol=1e-9, err_msg=ticket)
    assert tickets.loc["#19", "clock"] == "lead"


def test_in_progress_names_given_to_the_pull_are_used_by_the_reader(server, no_sleep,
                                                                   tmp_path):
    timelines = {11: [[labeled("2024-05-07T09:00:00Z", "wip")]]}
    GitHub(server, copy.deepcopy(ITEMS), timelines=timelines)
    out = tmp_path / "h.json"
    pull(server, no_sleep, out, in_progress=("WIP",))
    assert json.loads(out.read_text())["calibrate_pull"]["query"]["in_progress"] == ["WIP"]
    tickets = read_export(out, config=SIZES, as_of=AS_OF).tickets.set_index("ticket_id")
    assert tickets.loc["#11", "clock"] == "cycle"
    # Without the name, "wip" means nothing.
    pull(server, no_sleep, tmp_path / "plain.json")
    plain = read_export(tmp_path / "plain.json", config=SIZES, as_of=AS_OF).tickets
    assert plain.set_index("ticket_id").loc["#11", "clock"] == "lead"


def test_points_and_status_changes_from_a_projects_field(server, no_sleep, tmp_path):
    project = {"number": 3, "title": "Roadmap"}
    projects = {18: {  # labelled "bug" only: its points come from the project
        "projectItems": {"nodes": [{"project": project, "points": {"number": 3.0},
                                    "status": {"name": "Done"}}]},
        "timelineItems": {"nodes": [
            {"__typename": "ProjectV2ItemStatusChangedEvent", "createdAt":
             "2024-05-09T12:00:00Z", "previousStatus": "Todo", "status": "In Progress",
             "project": project}]}}}
    github = GitHub(server, copy.deepcopy(ITEMS), projects=projects)
    out = tmp_path / "h.json"
    pull(server, no_sleep, out, points_field="Story Points")
    graphql = [r for r in server.requests if r.path == "/graphql"]
    assert [r.body["variables"] for r in graphql] == [
        {"owner": "acme", "name": "ml-platform", "after": after, "since": None,
         "field": "Story Points"} for after in (None, "3", "6", "9")]
    assert "PROJECT_V2_ITEM_STATUS_CHANGED_EVENT" in graphql[0].body["query"]
    assert {r.headers["authorization"] for r in graphql} == {f"Bearer {SECRET}"}
    assert github.paths("/graphql") == ["/graphql"] * 4
    stored = {i["number"]: i for i in json.loads(out.read_text())["items"]}
    assert stored[18]["points"] == 3.0
    assert stored[18]["projectStatusChanges"][0]["status"] == "In Progress"
    assert "points" not in stored[11]
    ticket = read_export(out, config=SIZES, as_of=AS_OF).tickets.set_index("ticket_id").loc["#18"]
    # In Progress Thu 2024-05-09 12:00, closed Fri 12:00: one working day.
    assert (ticket["clock"], float(ticket["points"])) == ("cycle", 3.0)
    np.testing.assert_allclose(ticket["duration_days"], 1.0, rtol=0, atol=1e-9)


def test_graphql_errors_say_which_scope_is_needed(server, no_sleep, tmp_path):
    GitHub(server, copy.deepcopy(ITEMS))
    server.json("POST", "/graphql", {"data": {"repository": None}, "errors": [
        {"type": "INSUFFICIENT_SCOPES", "message": "Your token has not been granted the "
                                                   "required scopes"}]})
    with pytest.raises(InputError, match="required scopes") as raised:
        pull(server, no_sleep, tmp_path / "h.json", points_field="Story Points")
    assert "read:project" in raised.value.hint


def test_an_empty_repository_writes_an_empty_history(server, no_sleep, tmp_path):
    GitHub(server, [])
    out = tmp_path / "h.json"
    result, _ = pull(server, no_sleep, out)
    assert result.issues == 0
    assert read_export(out, as_of=AS_OF).tickets.empty  # recognised from its header
    with pytest.raises(InputError, match="no tickets"):
        read_export(out)


# ---------------------------------------------------------------- failures and limits


@pytest.mark.parametrize(("status", "message"), [
    (401, "GITHUB_TOKEN was rejected"), (403, "GITHUB_TOKEN was refused access"),
    (404, "not found"),
])
def test_rejected_tokens_and_missing_repositories(server, no_sleep, tmp_path, status,
                                                  message):
    server.json("GET", f"/repos/{REPO}/issues", {"message": "Bad credentials"},
                status=status)
    out = tmp_path / "h.json"
    with pytest.raises(InputError, match=message):
        pull(server, no_sleep, out)
    assert not out.exists()


def test_the_rate_limit_pauses_until_its_reset(server, no_sleep, tmp_path):
    GitHub(server, copy.deepcopy(ISSUES[:2]),
           headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 20)})
    result, lines = pull(server, no_sleep, tmp_path / "h.json")
    assert no_sleep == [21.0]
    assert result.pauses == 1 and result.issues == 2
    assert any("rate limit" in line for line in lines)


def test_server_errors_and_cut_bodies_are_retried(server, no_sleep, tmp_path):
    GitHub(server, copy.deepcopy(ISSUES[:1]))
    server.sequence("GET", f"/repos/{REPO}/issues/11/timeline", [
        (502, {}, "Bad gateway"), (200, {"Content-Length": "100"}, b"[{"),
        (200, {}, [labeled("2024-05-07T09:00:00Z", "in progress")])])
    result, _ = pull(server, no_sleep, tmp_path / "h.json")
    assert result.issues == 1 and len(no_sleep) == 2
    assert json.loads((tmp_path / "h.json").read_text())["items"][0]["timeline"][0][
        "event"] == "labeled"


def test_a_bad_repository_name_is_refused_before_any_request(server, no_sleep, tmp_path):
    with pytest.raises(InputError, match="not OWNER/NAME"):
        pull_github(tmp_path / "h.json", repo="ml-platform", url=server.url,
                    client=client_for(server, no_sleep))
    assert server.requests == []


def test_graphql_lives_beside_the_rest_root():
    assert _graphql_url("https://api.github.com") == "https://api.github.com/graphql"
    assert _graphql_url("https://git.acme.example/api/v3") \
        == "https://git.acme.example/api/graphql"


def test_a_missing_token_names_the_variable(tmp_path):
    with pytest.raises(InputError, match="set GITHUB_TOKEN"):
        pull_github(tmp_path / "h.json", repo=REPO, url="http://127.0.0.1:9")


# ---------------------------------------------------------------- resume and since


def test_an_interrupted_pull_resumes_without_fetching_twice(server, no_sleep, tmp_path):
    github = GitHub(server, copy.deepcopy(ITEMS), per_page=5)
    github.fail_page = 2
    out = tmp_path / "h.json"
    with pytest.raises(InputError, match="--resume"):
        pull(server, no_sleep, out)
    assert partial_path(out).exists() and not out.exists()
    first = len(server.requests)
    github.fail_page = None
    result, lines = pull(server, no_sleep, out, resume=True)
    again = [r for r in server.requests[first:]]
    assert [r.query.get("page") for r in again if r.path == f"/repos/{REPO}/issues"] \
        == ["2", "3"]
    timelines = [r.path for r in server.requests if r.path.endswith("/timeline")]
    assert len(timelines) == len(set(timelines)) == 12  # no issue fetched twice
    assert result.issues == 12
    assert [i["number"] for i in json.loads(out.read_text())["items"]] \
        == [i["number"] for i in ISSUES]
    assert any(line.startswith("resuming: 5 issues") for line in lines)


def test_since_asks_for_updated_issues_and_merges_them(server, no_sleep, tmp_path):
    out = tmp_path / "h.json"
    GitHub(server, copy.deepcopy(ISSUES[:3]))
    pull(server, no_sleep, out)
    header = json.loads(out.read_text())["calibrate_pull"]
    pulled_at = dt.datetime.fromisoformat(header["pulled_at"])
    since = (pulled_at - SINCE_MARGIN).astimezone(dt.UTC)
    later = (since + dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    renamed = dict(copy.deepcopy(ISSUES[1]), title="Renamed", updated_at=later)
    new = dict(copy.deepcopy(ISSUES[4]), updated_at=later)
    server.requests.clear()
    GitHub(server, [copy.deepcopy(ISSUES[0]), renamed, copy.deepcopy(ISSUES[2]), new])
    result, _ = pull(server, no_sleep, out, since=True)
    listing = [r for r in server.requests if r.path == f"/repos/{REPO}/issues"]
    assert dt.datetime.fromisoformat(listing[0].query["since"]) == since.replace(microsecond=0)
    assert len([r for r in server.requests if r.path.endswith("/timeline")]) == 2
    data = json.loads(out.read_text())
    assert [i["number"] for i in data["items"]] == [11, 12, 13, 15]
    assert data["items"][1]["title"] == "Renamed"
    assert (result.issues, result.fetched, result.since) == (4, 2, header["pulled_at"])


# ---------------------------------------------------------------- secrets


def test_the_token_is_in_no_file_message_or_progress_line(server, no_sleep, tmp_path):
    github = GitHub(server, copy.deepcopy(ITEMS), per_page=5)
    github.fail_page = 2
    out = tmp_path / "h.json"
    texts = []
    with pytest.raises(InputError) as raised:
        pull(server, no_sleep, out)
    texts += [str(raised.value), str(raised.value.hint), partial_path(out).read_text()]
    github.fail_page = None
    _, lines = pull(server, no_sleep, out, resume=True)
    texts += lines + [out.read_text()]
    for status in (401, 403, 404, 500):
        server.json("GET", f"/repos/{REPO}/issues", {"message": f"token {SECRET}"},
                    status=status)
        with pytest.raises(InputError) as raised:
            pull(server, no_sleep, tmp_path / f"{status}.json")
        texts += [str(raised.value), str(raised.value.hint), repr(raised.value)]
    assert texts and all(SECRET not in text for text in texts)

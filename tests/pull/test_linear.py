"""``pull_linear`` against a local Linear: GraphQL pages, history pages, rate limits,
errors, resume and ``--since``, and the file read back by ``read_export``."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from calibrate import read_export
from calibrate.errors import InputError
from calibrate.io.linear_csv import read_linear_csv
from calibrate.pull._http import TrackerClient, credentials
from calibrate.pull._store import SINCE_MARGIN, partial_path
from calibrate.pull.linear import HISTORY_PAGE_SIZE, PAGE_SIZE, pull_linear
from conftest import SECRET

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NOW = 1_700_000_000.0  # the injected clock (2023-11-14T22:13:20Z)
AS_OF = "2024-05-17 12:00"
STATE_TYPES = {"Done": "completed", "Canceled": "canceled", "Duplicate": "canceled",
               "In Progress": "started", "Todo": "unstarted"}


def nodes_from_csv(path: Path) -> list[dict]:
    """Linear's GraphQL issue nodes for the issues of a Linear CSV export."""
    with path.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    nodes = []
    for number, record in enumerate(records):
        title = record["Title"]
        nodes.append({
            "id": f"uuid-{number}", "identifier": record["ID"],
            "title": title[1:] if title.startswith("'=") else title,
            "createdAt": record["Created"], "updatedAt": record["Updated"],
            "startedAt": record["Started"] or None, "completedAt": record["Completed"] or None,
            "canceledAt": record["Canceled"] or None, "archivedAt": None,
            "estimate": float(record["Estimate"]) if record["Estimate"] else None,
            "assignee": {"name": "n", "displayName": "d", "email": record["Assignee"]}
            if record["Assignee"] else None,
            "labels": {"nodes": [{"name": n.strip()} for n in record["Labels"].split(",")
                                 if n.strip()]},
            "team": {"key": "ML", "name": record["Team"]},
            "state": {"name": record["Status"], "type": STATE_TYPES[record["Status"]]},
            "project": {"name": record["Project"]},
            "cycle": {"number": int(record["Cycle Number"]),
                      "name": record["Cycle Name"] or None},
            "history": {"nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}},
        })
    return nodes


ISSUES = nodes_from_csv(FIXTURES / "linear_small.csv")


class Linear:
    """A local Linear: ``issues`` served ``per_page`` at a time, cursors ``c<n>``."""

    def __init__(self, server, issues: list[dict], *, per_page: int = 5,
                 teams: tuple[str, ...] = ("ML",), history: dict | None = None,
                 headers: dict | None = None) -> None:
        self.server, self.issues, self.per_page = server, issues, per_page
        self.teams, self.history = teams, history or {}
        self.headers = headers or {}
        self.fail_after: str | None = None  # a cursor whose page answers 500
        server.route("POST", "/graphql", self.answer)

    def answer(self, method, path, query, headers, body):
        text, variables = body["query"], body.get("variables") or {}
        if text.startswith("query Teams"):
            teams = [{"id": key, "key": key, "name": key} for key in self.teams
                     if key == variables["key"]]
            return 200, self.headers, {"data": {"teams": {"nodes": teams}}}
        if text.startswith("query History"):
            pages = self.history[variables["id"]]
            index = int(variables["after"][1:])
            more = index + 1 < len(pages)
            return 200, self.headers, {"data": {"issue": {"history": {
                "nodes": pages[index],
                "pageInfo": {"hasNextPage": more, "endCursor": f"h{index + 1}" if more
                             else None}}}}}
        after = variables.get("after")
        if self.fail_after is not None and after == self.fail_after:
            return 500, {}, {"errors": [{"message": "internal"}]}
        start = int(after[1:]) if after else 0
        nodes = self.issues[start:start + self.per_page]
        end = start + len(nodes)
        more = end < len(self.issues)
        return 200, self.headers, {"data": {"issues": {
            "nodes": nodes, "pageInfo": {"hasNextPage": more,
                                         "endCursor": f"c{end}" if nodes else None}}}}

    def bodies(self, kind: str = "query Issues") -> list[dict]:
        return [r.body for r in self.server.requests if r.body["query"].startswith(kind)]


def client_for(server, sleeps, **options) -> TrackerClient:
    lines: list[str] = []
    client = TrackerClient(server.url + "/graphql",
                           auth_header=credentials("linear", "127.0.0.1",
                                                   environ={"LINEAR_API_KEY": SECRET}),
                           source="linear", progress=lines.append, sleep=sleeps, seed=0,
                           clock=lambda: NOW, **{"max_retries": 2, **options})
    client.lines = lines
    return client


def pull(server, sleeps, out, **options):
    client = options.pop("client", None) or client_for(server, sleeps)
    lines: list[str] = []
    result = pull_linear(out, url=server.url + "/graphql", client=client,
                         progress=lines.append, **{"team": "ML", **options})
    return result, lines + client.lines


# ---------------------------------------------------------------- pages and the file


def test_pages_are_followed_and_the_file_reads_as_the_csv_export(server, no_sleep, tmp_path):
    linear = Linear(server, ISSUES, per_page=5)
    out = tmp_path / "history.json"
    result, _ = pull(server, no_sleep, out)
    assert result.issues == len(ISSUES) == 12
    # The team checked once, then three pages: after None, c5, c10.
    bodies = linear.bodies()
    assert [b["variables"]["after"] for b in bodies] == [None, "c5", "c10"]
    assert all(b["variables"]["first"] == PAGE_SIZE for b in bodies)
    assert all(b["variables"]["filter"] == {"team": {"key": {"eq": "ML"}}} for b in bodies)
    assert f"history(first: {HISTORY_PAGE_SIZE})" in bodies[0]["query"]
    assert "includeArchived: true" in bodies[0]["query"]
    assert len(server.requests) == 4 == result.requests
    for request in server.requests:
        assert (request.method, request.path) == ("POST", "/graphql")
        assert request.headers["authorization"] == SECRET  # a personal key: no "Bearer"
    # The file: the header, then the API's nodes as they came.
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["calibrate_pull"]["source"] == "linear"
    assert data["calibrate_pull"]["project"] == "ML"
    assert data["issues"] == ISSUES
    assert not partial_path(out).exists()
    # Read back, it is the table of the equivalent CSV export.
    table = read_export(out, as_of=AS_OF)
    assert table.source_format == "linear_json"
    from_csv = read_linear_csv(FIXTURES / "linear_small.csv", as_of=AS_OF)
    pd.testing.assert_frame_equal(
        table.tickets, from_csv.tickets.assign(source_row=from_csv.tickets["source_row"] - 1))


def test_without_a_team_every_issue_is_asked_for(server, no_sleep, tmp_path):
    linear = Linear(server, ISSUES[:3])
    pull(server, no_sleep, tmp_path / "h.json", team=None)
    assert [b["variables"]["filter"] for b in linear.bodies()] == [None]
    assert linear.bodies("query Teams") == []


def test_long_histories_are_fetched_to_their_end(server, no_sleep, tmp_path):
    def change(day: int, before: float, after: float) -> dict:
        return {"createdAt": f"2024-05-0{day}T10:00:00.000Z", "fromEstimate": before,
                "toEstimate": after, "fromState": None, "toState": None}

    node = dict(ISSUES[0], estimate=8.0, history={
        "nodes": [change(6, 1, 2)], "pageInfo": {"hasNextPage": True, "endCursor": "h1"}})
    # ML-1 starts on 2024-05-07 09:00: 2 -> 3 before, 3 -> 8 after (on the second page).
    linear = Linear(server, [node], history={"uuid-0": [None, [change(6, 2, 3)],
                                                        [change(8, 3, 8)]]})
    out = tmp_path / "h.json"
    pull(server, no_sleep, out)
    assert [b["variables"] for b in linear.bodies("query History")] == [
        {"id": "uuid-0", "after": "h1"}, {"id": "uuid-0", "after": "h2"}]
    history = json.loads(out.read_text())["issues"][0]["history"]
    assert [entry["toEstimate"] for entry in history["nodes"]] == [2, 3, 8]
    assert history["pageInfo"]["hasNextPage"] is False
    ticket = read_export(out, as_of=AS_OF).tickets.iloc[0]
    assert (float(ticket["points"]), bool(ticket["repointed"])) == (3.0, True)


def test_an_empty_team_writes_an_empty_history(server, no_sleep, tmp_path):
    Linear(server, [])
    out = tmp_path / "h.json"
    result, _ = pull(server, no_sleep, out)
    assert result.issues == 0
    assert json.loads(out.read_text())["issues"] == []
    with pytest.raises(InputError, match="no tickets"):
        read_export(out)
    assert read_export(out, as_of=AS_OF).tickets.empty


def test_an_unknown_team_is_refused(server, no_sleep, tmp_path):
    Linear(server, ISSUES, teams=("OPS",))
    with pytest.raises(InputError, match="no team with the key 'ML'"):
        pull(server, no_sleep, tmp_path / "h.json")


# ---------------------------------------------------------------- rate limits


def test_a_used_up_request_budget_waits_until_its_reset(server, no_sleep, tmp_path):
    reset_ms = int((NOW + 30) * 1000)
    Linear(server, ISSUES[:2], headers={"X-RateLimit-Requests-Remaining": "0",
                                        "X-RateLimit-Requests-Reset": str(reset_ms)})
    result, lines = pull(server, no_sleep, tmp_path / "h.json")
    # The client waits before the next request (the page after the team's
    # answer) until the reset, plus a second; not after the last answer.
    assert no_sleep == [31.0]
    assert result.pauses == 1
    assert any("rate limit" in line for line in lines)


def test_a_ratelimited_answer_waits_and_asks_again(server, no_sleep, tmp_path):
    limited = {"errors": [{"message": "Rate limit exceeded",
                           "extensions": {"code": "RATELIMITED"}}]}
    page = {"data": {"issues": {"nodes": ISSUES[:1],
                                "pageInfo": {"hasNextPage": False, "endCursor": "c1"}}}}
    server.sequence("POST", "/graphql", [
        (200, {"X-RateLimit-Requests-Remaining": "0",
               "X-RateLimit-Requests-Reset": str(int((NOW + 5) * 1000))}, limited),
        (200, {}, page)])
    result, _ = pull(server, no_sleep, tmp_path / "h.json", team=None)
    assert no_sleep == [6.0]
    assert result.issues == 1 and result.requests == 2


def test_429_with_retry_after_is_honoured(server, no_sleep, tmp_path):
    page = {"data": {"issues": {"nodes": ISSUES[:1],
                                "pageInfo": {"hasNextPage": False, "endCursor": "c1"}}}}
    server.sequence("POST", "/graphql", [(429, {"Retry-After": "2"}, {"errors": []}),
                                         (200, {}, page)])
    result, _ = pull(server, no_sleep, tmp_path / "h.json", team=None)
    assert no_sleep == [2.0]
    assert result.issues == 1


# ---------------------------------------------------------------- failures


@pytest.mark.parametrize(("status", "message"), [
    (401, "LINEAR_API_KEY was rejected"), (403, "LINEAR_API_KEY was refused access"),
    (404, "not found"),
])
def test_rejected_keys_and_wrong_addresses(server, no_sleep, tmp_path, status, message):
    server.json("POST", "/graphql", {"errors": [{"message": "nope"}]}, status=status)
    out = tmp_path / "h.json"
    with pytest.raises(InputError, match=message) as raised:
        pull(server, no_sleep, out)
    assert SECRET not in str(raised.value)
    assert not out.exists()


def test_server_errors_are_retried(server, no_sleep, tmp_path):
    page = {"data": {"issues": {"nodes": ISSUES[:1],
                                "pageInfo": {"hasNextPage": False, "endCursor": "c1"}}}}
    server.sequence("POST", "/graphql", [(500, {}, "oops"), (502, {}, "oops"), (200, {}, page)])
    result, _ = pull(server, no_sleep, tmp_path / "h.json", team=None)
    assert result.issues == 1 and len(no_sleep) == 2


def test_a_truncated_body_is_retried_then_reported(server, no_sleep, tmp_path):
    cut = (200, {"Content-Length": "500"}, b'{"data": {"issues": {"nodes": [')
    server.sequence("POST", "/graphql", [cut])
    out = tmp_path / "h.json"
    with pytest.raises(InputError, match="failed 3 times") as raised:
        pull(server, no_sleep, out, team=None)
    assert "--resume" in str(raised.value.hint)
    assert not out.exists()


def test_graphql_errors_are_reported(server, no_sleep, tmp_path):
    server.json("POST", "/graphql", {"errors": [{"message": "Unknown argument 'orderBy'"}]})
    with pytest.raises(InputError, match="Linear refused the query: Unknown argument"):
        pull(server, no_sleep, tmp_path / "h.json", team=None)


def test_a_missing_key_names_the_variable(tmp_path):
    with pytest.raises(InputError, match="set LINEAR_API_KEY"):
        pull_linear(tmp_path / "h.json", url="http://127.0.0.1:9/graphql")


def test_the_key_comes_from_the_environment(server, tmp_path, monkeypatch):
    monkeypatch.setenv("LINEAR_API_KEY", SECRET)
    Linear(server, ISSUES[:2])
    result = pull_linear(tmp_path / "h.json", team="ML", url=server.url + "/graphql")
    assert result.issues == 2
    assert {r.headers["authorization"] for r in server.requests} == {SECRET}


# ---------------------------------------------------------------- resume and since


def test_an_interrupted_pull_resumes_where_it_stopped(server, no_sleep, tmp_path):
    linear = Linear(server, ISSUES, per_page=5)
    linear.fail_after = "c5"
    out = tmp_path / "h.json"
    lines: list[str] = []
    with pytest.raises(InputError, match="--resume"):
        pull_linear(out, team="ML", url=server.url + "/graphql",
                    client=client_for(server, no_sleep), progress=lines.append)
    assert not out.exists() and partial_path(out).exists()
    linear.fail_after = None
    first_run = len(linear.bodies())
    result, lines = pull(server, no_sleep, out, resume=True)
    afters = [b["variables"]["after"] for b in linear.bodies()[first_run:]]
    assert afters == ["c5", "c10"]  # the stored first page is not asked again
    assert result.issues == 12 and result.fetched == 12
    data = json.loads(out.read_text())
    assert [issue["id"] for issue in data["issues"]] == [issue["id"] for issue in ISSUES]
    assert any(line.startswith("resuming: 5 issues") for line in lines)
    assert not partial_path(out).exists()


def test_a_resumed_page_skips_the_issues_already_stored(server, no_sleep, tmp_path):
    # The first run stores two issues of the page, then gives up on the third's history.
    def change(day: int) -> dict:
        return {"createdAt": f"2024-05-0{day}T10:00:00.000Z", "fromEstimate": 1,
                "toEstimate": 2, "fromState": None, "toState": None}

    issues = [dict(issue, history={"nodes": [], "pageInfo": {"hasNextPage": True,
                                                              "endCursor": "h0"}})
              for issue in ISSUES[:4]]
    history = {issue["id"]: [[change(6)]] for issue in issues}
    linear = Linear(server, issues, per_page=4, history=history)
    calls = {"count": 0}

    def flaky(method, path, query, headers, body):
        if body["query"].startswith("query History") and body["variables"]["id"] == "uuid-2":
            calls["count"] += 1
            if calls["count"] <= 3:  # the first run gives up on it
                return 500, {}, "down"
        return linear.answer(method, path, query, headers, body)

    server.route("POST", "/graphql", flaky)
    out = tmp_path / "h.json"
    with pytest.raises(InputError):
        pull(server, no_sleep, out)
    result, _ = pull(server, no_sleep, out, resume=True)
    history_ids = [b["variables"]["id"] for b in linear.bodies("query History")]
    # uuid-0 and uuid-1 were stored by the first run: their history is not asked again.
    assert history_ids.count("uuid-0") == 1 and history_ids.count("uuid-1") == 1
    assert result.issues == 4
    assert [i["identifier"] for i in json.loads(out.read_text())["issues"]] \
        == [i["identifier"] for i in issues]


def test_since_fetches_the_updated_issues_and_merges_them(server, no_sleep, tmp_path):
    out = tmp_path / "h.json"
    Linear(server, ISSUES[:3])
    pull(server, no_sleep, out)
    header = json.loads(out.read_text())["calibrate_pull"]
    pulled_at = dt.datetime.fromisoformat(header["pulled_at"])
    # Since then: ML-2 was renamed, a new issue was created.
    renamed = dict(ISSUES[1], title="Renamed")
    new = dict(ISSUES[4])
    server.requests.clear()
    linear = Linear(server, [renamed, new])
    result, _ = pull(server, no_sleep, out, since=True)
    (body,) = linear.bodies()
    since = dt.datetime.fromisoformat(body["variables"]["filter"]["updatedAt"]["gt"])
    assert since == (pulled_at - SINCE_MARGIN).astimezone(dt.UTC)
    assert body["variables"]["filter"]["team"] == {"key": {"eq": "ML"}}
    data = json.loads(out.read_text())
    assert [i["identifier"] for i in data["issues"]] == ["ML-1", "ML-2", "ML-3", "ML-5"]
    assert data["issues"][1]["title"] == "Renamed"
    assert result.since == header["pulled_at"] and result.fetched == 2 and result.issues == 4


def test_since_refuses_a_previous_pull_of_another_team(server, no_sleep, tmp_path):
    out = tmp_path / "h.json"
    Linear(server, ISSUES[:2], teams=("ML", "OPS"))
    pull(server, no_sleep, out)
    with pytest.raises(InputError, match="other settings"):
        pull(server, no_sleep, out, team="OPS", since=True)


# ---------------------------------------------------------------- secrets


def test_the_key_is_in_no_file_message_or_progress_line(server, no_sleep, tmp_path):
    out = tmp_path / "h.json"
    linear = Linear(server, ISSUES, per_page=5)
    linear.fail_after = "c5"
    texts = []
    with pytest.raises(InputError) as raised:
        pull(server, no_sleep, out)
    texts += [str(raised.value), str(raised.value.hint), partial_path(out).read_text()]
    linear.fail_after = None
    _, lines = pull(server, no_sleep, out, resume=True)
    texts += lines + [out.read_text()]
    for status in (401, 403, 404, 500):
        server.json("POST", "/graphql", {"message": SECRET}, status=status)
        with pytest.raises(InputError) as raised:
            pull(server, no_sleep, tmp_path / f"{status}.json")
        texts += [str(raised.value), str(raised.value.hint), repr(raised.value)]
    assert texts and all(SECRET not in text for text in texts)


# ---------------------------------------------------------------- Linear's HTTP 400 RATELIMITED

RATELIMITED = {"errors": [{"message": "Rate limit exceeded",
                           "extensions": {"code": "RATELIMITED"}}]}
ONE_PAGE = {"data": {"issues": {"nodes": ISSUES[:2],
                                "pageInfo": {"hasNextPage": False, "endCursor": "c2"}}}}


def test_a_400_ratelimited_answer_waits_for_the_reset_and_asks_again(server, no_sleep,
                                                                     tmp_path):
    # As Linear documents it: HTTP 400, the GraphQL error code RATELIMITED, and
    # the reset as a Unix time in milliseconds.
    server.sequence("POST", "/graphql", [
        (400, {"X-RateLimit-Requests-Remaining": "0",
               "X-RateLimit-Requests-Reset": str(int((NOW + 9) * 1000))}, RATELIMITED),
        (200, {"X-RateLimit-Requests-Remaining": "1499"}, ONE_PAGE)])
    out = tmp_path / "h.json"
    result, lines = pull(server, no_sleep, out, team=None)
    assert no_sleep == [pytest.approx(10.0, abs=1e-6)]  # 9 s to the reset, plus a second
    assert (result.issues, result.requests, result.pauses) == (2, 2, 1)
    assert [r.body for r in server.requests][0] == [r.body for r in server.requests][1]
    assert json.loads(out.read_text())["issues"] == ISSUES[:2]
    assert any("RATELIMITED" in line for line in lines)
    assert all(SECRET not in line for line in lines)


def test_a_400_ratelimited_pull_that_never_gets_through_says_resume(server, no_sleep,
                                                                    tmp_path):
    linear = Linear(server, ISSUES, per_page=5)
    first_page = {"c5"}  # after the first page, Linear refuses with no time to wait for

    def refusing(method, path, query, headers, body):
        if body["variables"].get("after") in first_page:
            return 400, {}, RATELIMITED
        return linear.answer(method, path, query, headers, body)

    server.route("POST", "/graphql", refusing)
    out = tmp_path / "h.json"
    with pytest.raises(InputError, match="HTTP 400 RATELIMITED") as raised:
        pull(server, no_sleep, out)
    assert "--resume" in raised.value.hint
    assert SECRET not in str(raised.value)
    assert not out.exists() and partial_path(out).exists()
    # Backed off between the tries (client_for allows 2 retries), then given up.
    assert len(no_sleep) == 2
    first_page.clear()  # the limit is gone: the download continues after the first page
    first_run = len(linear.bodies())
    result, _ = pull(server, no_sleep, out, resume=True)
    assert [b["variables"]["after"] for b in linear.bodies()[first_run:]] == ["c5", "c10"]
    assert result.issues == 12


def test_a_400_ratelimited_reset_too_far_away_is_an_error(server, no_sleep, tmp_path):
    server.json("POST", "/graphql", RATELIMITED, status=400, headers={
        "X-RateLimit-Requests-Remaining": "0",
        "X-RateLimit-Requests-Reset": str(int((NOW + 7200) * 1000))})
    with pytest.raises(InputError, match="120 minutes") as raised:
        pull(server, no_sleep, tmp_path / "h.json", team=None)
    assert "--resume" in raised.value.hint and no_sleep == []

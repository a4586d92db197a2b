"""``pull_gitlab`` against a local GitLab: pages, events, errors, resume, --since, secrets.

The local server answers as GitLab's REST v4 documentation shows:
``/projects/:id/issues`` pages with ``Link`` (rel next/first/last) and the
``X-Page``/``X-Next-Page``/``X-Total`` headers, and the per-issue
``resource_label_events`` / ``resource_state_events`` lists.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from calibrate.errors import InputError
from calibrate.io import read_export
from calibrate.pull import pull_gitlab
from calibrate.pull._http import TrackerClient, credentials
from calibrate.pull._store import HEADER, partial_path

PROJECT = "ml/models"
ISSUES_PATH = "/api/v4/projects/ml%2Fmodels/issues"
EVENTS = re.compile(r"/api/v4/projects/ml%2Fmodels/issues/(\d+)/(resource_\w+_events)")
AS_OF = "2024-03-20 12:00"


def person(username):
    return {"id": len(username), "username": username, "name": username.title(),
            "state": "active", "avatar_url": None,
            "web_url": f"https://gitlab.example/{username}"}


def make_issue(iid, *, labels=(), closed=None, created="2024-03-04T09:00:00.000Z",
               updated=None, weight=2):
    return {
        "id": 700 + iid, "iid": iid, "project_id": 12, "title": f"Issue {iid}",
        "description": None, "state": "closed" if closed else "opened",
        "created_at": created, "updated_at": updated or closed or created,
        "closed_at": closed, "closed_by": person("lee") if closed else None,
        "labels": list(labels), "milestone": None, "assignees": [person("priya")],
        "author": person("lee"), "type": "ISSUE", "assignee": person("priya"),
        "user_notes_count": 0, "merge_requests_count": 0, "upvotes": 0, "downvotes": 0,
        "due_date": None, "confidential": False, "discussion_locked": None,
        "issue_type": "issue", "web_url": f"https://gitlab.example/{PROJECT}/-/issues/{iid}",
        "time_stats": {"time_estimate": 0, "total_time_spent": 0,
                       "human_time_estimate": None, "human_total_time_spent": None},
        "task_completion_status": {"count": 0, "completed_count": 0}, "weight": weight,
        "references": {"short": f"#{iid}", "relative": f"#{iid}", "full": f"{PROJECT}#{iid}"},
        "moved_to_id": None, "epic": None,
    }


def label_event(number, iid, time, name, action="add"):
    return {"id": number, "user": person("lee"), "created_at": time, "resource_type": "Issue",
            "resource_id": 700 + iid,
            "label": {"id": 40, "name": name, "color": "#428BCA", "description": None},
            "action": action}


def state_event(number, iid, time, state):
    return {"id": number, "user": person("lee"), "created_at": time, "resource_type": "Issue",
            "resource_id": 700 + iid, "state": state}


class FakeGitLab:
    """One project's issues and events on the local server, two issues a page."""

    def __init__(self, server, issues, label_events, state_events, page_size=2):
        self.server, self.issues = server, issues
        self.events = {"resource_label_events": label_events,
                       "resource_state_events": state_events}
        self.page_size = page_size
        self.fail_events_of: set[int] = set()
        server.route("GET", ISSUES_PATH, self.issue_page)
        server.route("GET", EVENTS, self.event_page)

    def issue_page(self, method, path, query, headers, body):
        chosen = self.issues
        if "updated_after" in query:
            after = dt.datetime.fromisoformat(query["updated_after"])
            chosen = [i for i in chosen if dt.datetime.fromisoformat(i["updated_at"]) >= after]
        return self._page(path, query, chosen)

    def event_page(self, method, path, query, headers, body):
        iid, kind = EVENTS.fullmatch(path).groups()
        if int(iid) in self.fail_events_of:
            return 500, {}, {"message": "500 Internal Server Error"}
        # Events are paged with the X- headers only (no Link): the fallback.
        events = self.events[kind].get(int(iid), [])
        return self._page(path, query, events, link=False)

    def _page(self, path, query, items, link=True):
        page = int(query.get("page", "1"))
        size = min(int(query.get("per_page", "20")), self.page_size)
        pages = max(1, -(-len(items) // size))
        headers = {"X-Page": str(page), "X-Per-Page": str(size), "X-Total": str(len(items)),
                   "X-Total-Pages": str(pages), "X-Prev-Page": str(page - 1) if page > 1 else "",
                   "X-Next-Page": str(page + 1) if page < pages else ""}
        if link:
            def url(number):
                others = "&".join(f"{k}={v}" for k, v in query.items() if k != "page")
                return f"<{self.server.url}{path}?{others}&page={number}>"
            links = [f'{url(page + 1)}; rel="next"'] if page < pages else []
            links += [f'{url(1)}; rel="first"', f'{url(pages)}; rel="last"']
            headers["Link"] = ", ".join(links)
        return 200, headers, items[(page - 1) * size:page * size]


ISSUES = [
    make_issue(1, labels=["workflow::in dev", "backend"], closed="2024-03-06T15:00:00.000Z"),
    make_issue(2, labels=["frontend"], closed="2024-03-05T09:00:00.000Z"),
    make_issue(3, labels=["workflow::doing"], closed="2024-03-12T09:00:00.000Z"),
    make_issue(4, labels=["workflow::in dev"], created="2024-03-11T10:00:00.000Z"),
    make_issue(5, labels=["workflow::to do"], created="2024-03-11T10:00:00.000Z"),
]
LABEL_EVENTS = {
    1: [label_event(1, 1, "2024-03-04T09:00:00.000Z", "backend"),
        label_event(2, 1, "2024-03-05T09:00:00.000Z", "workflow::to do"),
        label_event(3, 1, "2024-03-05T09:00:00.000Z", "workflow::to do", "remove"),
        label_event(4, 1, "2024-03-05T09:00:00.000Z", "workflow::in dev")],
    2: [label_event(5, 2, "2024-03-04T09:00:00.000Z", "frontend")],
    3: [label_event(6, 3, "2024-03-07T10:00:00.000Z", "workflow::doing")],
    4: [label_event(7, 4, "2024-03-12T10:00:00.000Z", "workflow::in dev")],
    5: [label_event(8, 5, "2024-03-11T10:00:00.000Z", "workflow::to do")],
}
STATE_EVENTS = {
    1: [state_event(11, 1, "2024-03-06T15:00:00.000Z", "closed")],
    2: [state_event(12, 2, "2024-03-05T09:00:00.000Z", "closed")],
    3: [state_event(13, 3, "2024-03-08T09:00:00.000Z", "closed"),
        state_event(14, 3, "2024-03-11T09:00:00.000Z", "reopened"),
        state_event(15, 3, "2024-03-12T09:00:00.000Z", "closed")],
}


@pytest.fixture
def gitlab(server):
    return FakeGitLab(server, [dict(i) for i in ISSUES], LABEL_EVENTS, STATE_EVENTS)


@pytest.fixture
def client(server, no_sleep, monkeypatch, secret):
    monkeypatch.setenv("GITLAB_TOKEN", secret)
    lines: list[str] = []
    made = TrackerClient(server.url + "/api/v4", auth_header=credentials("gitlab", "127.0.0.1"),
                         source="gitlab", sleep=no_sleep, progress=lines.append, seed=1,
                         max_retries=2)
    made.lines = lines
    yield made
    made.close()


def pull(tmp_path, server, client, **options):
    return pull_gitlab(tmp_path / "history.json", project=PROJECT, url=server.url,
                       client=client, progress=client.lines.append, **options)


def event_requests(server):
    return [path for path in server.paths() if EVENTS.fullmatch(path)]


def event_pages(server):
    return [(r.path, r.query.get("page")) for r in server.requests if EVENTS.fullmatch(r.path)]


# ---------------------------------------------------------------- a whole pull


def test_pull_pages_through_issues_and_events(tmp_path, server, gitlab, client, secret):
    result = pull(tmp_path, server, client)
    assert result.issues == 5 and result.requests == len(server.requests)
    listing = [r for r in server.requests if r.path == ISSUES_PATH]
    assert [r.query.get("page") for r in listing] == [None, "2", "3"]
    assert listing[0].query == {"state": "all", "scope": "all", "per_page": "100",
                                "order_by": "created_at", "sort": "asc"}
    # Each issue's two event lists, once each, two events a page.
    pages = sum(max(1, -(-len(events.get(n, [])) // 2)) for n in range(1, 6)
                for events in (LABEL_EVENTS, STATE_EVENTS))
    assert pages == 12
    assert len(event_requests(server)) == pages
    assert [r.query.get("page") for r in server.requests
            if r.path.endswith("/1/resource_label_events")] == [None, "2"]
    assert all(r.headers.get("private-token") == secret for r in server.requests)
    assert all(r.query.get("per_page") == "100" for r in server.requests
               if EVENTS.fullmatch(r.path))
    data = json.loads(result.path.read_text())
    assert data[HEADER]["source"] == "gitlab" and data[HEADER]["project"] == PROJECT
    assert data[HEADER]["base_url"] == server.url
    first = data["issues"][0]
    assert first["resource_label_events"] == LABEL_EVENTS[1]
    assert first["resource_state_events"] == STATE_EVENTS[1]
    assert not partial_path(result.path).exists()
    assert any(line.startswith("page 3: 5 issues") for line in client.lines)


def test_the_pulled_history_gives_cycle_time_where_a_workflow_label_was_set(
        tmp_path, server, gitlab, client):
    result = pull(tmp_path, server, client)
    table = read_export(result.path, as_of=AS_OF)
    assert table.source_format == "gitlab_json"
    tickets = table.tickets.set_index("ticket_id")
    assert tickets.loc["ml/models#1", "clock"] == "cycle"
    # in dev Tue 09:00 -> closed Wed 15:00: 15 h + 15 h of 24-hour working days
    assert tickets.loc["ml/models#1", "duration_days"] == pytest.approx(30 / 24, abs=1e-9)
    assert tickets.loc["ml/models#2", "clock"] == "lead"  # no workflow label: lead time
    assert tickets.loc["ml/models#2", "duration_days"] == pytest.approx(1.0, abs=1e-9)
    # Reopened: from the first doing (Thu 10:00) to the last close (Tue 09:00).
    assert tickets.loc["ml/models#3", "duration_days"] == pytest.approx(
        14 / 24 + 1 + 1 + 9 / 24, abs=1e-9)  # Thu, Fri, (weekend), Mon, Tue
    assert tickets.loc["ml/models#4", "censored"]
    assert tickets.loc["ml/models#4", "clock"] == "cycle"
    assert dict(zip(table.excluded["ticket_id"], table.excluded["reason"],
                    strict=True)) == {"ml/models#5": "not started"}
    assert any("clock=lead" in note for note in table.notes)


def test_an_empty_project(tmp_path, server, client):
    FakeGitLab(server, [], {}, {})
    result = pull(tmp_path, server, client)
    assert result.issues == 0
    data = json.loads(result.path.read_text())
    assert data["issues"] == []
    assert read_export(result.path, as_of=AS_OF).tickets.empty


def test_a_numeric_project_id_and_an_api_url(tmp_path, server, client):
    server.json("GET", "/api/v4/projects/12/issues", [])
    pull_gitlab(tmp_path / "h.json", project="12", url=server.url + "/api/v4/", client=client)
    assert server.paths() == ["/api/v4/projects/12/issues"]


# ---------------------------------------------------------------- rate limits and failures


def test_a_rate_limit_pause(tmp_path, server, gitlab, client, no_sleep):
    original = gitlab.issue_page
    calls = []

    def limited(*request):
        calls.append(1)
        if len(calls) == 2:
            return 429, {"Retry-After": "3", "RateLimit-Remaining": "0"}, \
                {"message": "Retry later"}
        return original(*request)

    server.route("GET", ISSUES_PATH, limited)
    result = pull(tmp_path, server, client)
    assert result.issues == 5 and result.pauses == 1
    assert no_sleep == [3.0]
    assert any("rate limit" in line for line in client.lines)


def test_server_errors_and_a_truncated_body_are_retried(tmp_path, server, gitlab, client):
    original = gitlab.issue_page
    answers = iter([(502, {}, "bad gateway"), (200, {"Content-Length": "999"}, b'[{"id": ')])

    def flaky(*request):
        return next(answers, None) or original(*request)

    server.route("GET", ISSUES_PATH, flaky)
    assert pull(tmp_path, server, client).issues == 5


@pytest.mark.parametrize(("status", "words"), [
    (401, "the token in GITLAB_TOKEN was rejected (HTTP 401)"),
    (403, "refused access (HTTP 403)"),
    (404, f"not found: {{url}}{ISSUES_PATH}"),
])
def test_errors_say_what_to_do_and_write_nothing(tmp_path, server, client, status, words,
                                                 secret):
    server.json("GET", ISSUES_PATH, {"message": f"{status} error"}, status=status)
    with pytest.raises(InputError) as caught:
        pull(tmp_path, server, client)
    assert words.format(url=server.url) in str(caught.value)
    assert secret not in str(caught.value)
    assert not (tmp_path / "history.json").exists()


def test_a_missing_token_names_the_variable(tmp_path, server):
    with pytest.raises(InputError, match="set GITLAB_TOKEN"):
        pull_gitlab(tmp_path / "h.json", project=PROJECT, url=server.url)
    assert server.requests == []


def test_a_bad_url_or_project(tmp_path, client):
    with pytest.raises(InputError, match="not an http"):
        pull_gitlab(tmp_path / "h.json", project=PROJECT, url="gitlab.example.com")
    with pytest.raises(InputError, match="no GitLab project"):
        pull_gitlab(tmp_path / "h.json", project=" / ", client=client)


def test_an_answer_that_is_not_gitlab_issues(tmp_path, server, client):
    server.json("GET", ISSUES_PATH, {"issues": []})
    with pytest.raises(InputError, match="not answer with a list of issues"):
        pull(tmp_path, server, client)


# ---------------------------------------------------------------- resume and since


def test_resume_continues_without_fetching_an_issue_twice(tmp_path, server, gitlab, client):
    gitlab.fail_events_of = {4}  # the second page's second issue keeps failing
    with pytest.raises(InputError, match="failed 3 times"):
        pull(tmp_path, server, client)
    out = tmp_path / "history.json"
    assert partial_path(out).exists() and not out.exists()
    first_run = event_pages(server)
    gitlab.fail_events_of = set()
    server.requests.clear()
    result = pull(tmp_path, server, client, resume=True)
    assert result.issues == 5
    second_run = event_pages(server)
    # Issues 1-3 had their events stored: not asked again; the listing restarts
    # after the first page, the last one stored.
    fetched = [page for page in first_run + second_run if "/4/" not in page[0]]
    assert len(fetched) == len(set(fetched)) == 10
    assert not any(f"/issues/{n}/" in path for path, _ in second_run for n in (1, 2, 3))
    listing = [r.query.get("page") for r in server.requests if r.path == ISSUES_PATH]
    assert listing == ["2", "3"]
    assert [i["iid"] for i in json.loads(out.read_text())["issues"]] == [1, 2, 3, 4, 5]
    assert any("resuming: 3 issues already fetched" in line for line in client.lines)


def test_resume_of_a_finished_listing_asks_nothing_again(tmp_path, server, gitlab, client):
    out = tmp_path / "history.json"
    pull(tmp_path, server, client)
    # A run killed after its last page, before the file was written:
    state = [{"header": json.loads(out.read_text())[HEADER]}]
    state += [{"record": issue} for issue in json.loads(out.read_text())["issues"]]
    state.append({"cursor": {"next": None}})
    partial_path(out).write_text("\n".join(json.dumps(line) for line in state) + "\n")
    out.unlink()
    server.requests.clear()
    assert pull(tmp_path, server, client, resume=True).issues == 5
    assert server.requests == []


def test_since_fetches_the_updated_issues_and_merges_them(tmp_path, server, gitlab, client):
    first = pull(tmp_path, server, client)
    pulled_at = json.loads(first.path.read_text())[HEADER]["pulled_at"]
    # Issue 4 closes after the pull; issue 6 is new.
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).isoformat()
    gitlab.issues[3] = {**gitlab.issues[3], "state": "closed", "closed_at": later,
                        "updated_at": later}
    gitlab.issues.append(make_issue(6, created=later, labels=["doing"]))
    server.requests.clear()
    result = pull(tmp_path, server, client, since=True)
    listing = [r for r in server.requests if r.path == ISSUES_PATH]
    after = dt.datetime.fromisoformat(listing[0].query["updated_after"])
    assert after == dt.datetime.fromisoformat(pulled_at) - dt.timedelta(hours=1)
    assert result.fetched == 2 and result.issues == 6 and result.since == pulled_at
    issues = json.loads(result.path.read_text())["issues"]
    assert [i["iid"] for i in issues] == [1, 2, 3, 4, 5, 6]
    assert issues[3]["state"] == "closed"
    assert issues[0] == json.loads(first.path.read_text())["issues"][0]
    assert {p for p in event_requests(server)} == {
        f"{ISSUES_PATH}/{n}/{kind}" for n in (4, 6)
        for kind in ("resource_label_events", "resource_state_events")}


# ---------------------------------------------------------------- secrets


def test_the_token_is_in_no_output_file_message_or_line(tmp_path, server, gitlab, client,
                                                        secret, capsys):
    messages = []
    result = pull(tmp_path, server, client)
    for status in (401, 403, 404, 400, 500):
        server.json("GET", ISSUES_PATH, {"message": f"token {secret} refused"},
                    status=status)
        with pytest.raises(InputError) as caught:
            pull_gitlab(tmp_path / "other.json", project=PROJECT, url=server.url,
                        client=client, progress=client.lines.append)
        messages.append(str(caught.value))
    captured = capsys.readouterr()
    texts = [*messages, *client.lines, captured.out, captured.err, repr(client),
             result.path.read_text(), repr(result)]
    texts += [p.read_text() for p in tmp_path.iterdir() if p.is_file()]
    assert not any(secret in text for text in texts)

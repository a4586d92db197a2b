"""``pull_jira`` against a local Jira Cloud and Data Center.

The local server answers as Atlassian's REST documentation shows: Cloud's
``/rest/api/3/search/jql`` (``nextPageToken``, ``isLast``, changelogs
embedded with ``expand=changelog``), ``/rest/api/3/issue/{key}/changelog``
pages (``startAt``, ``maxResults``, ``total``, ``isLast``, ``values``),
``/rest/api/3/field``; Data Center's ``/rest/api/2/search`` (``startAt``,
``maxResults``, ``total``), ``/rest/api/2/serverInfo`` and ``/rest/api/2/field``.
The issues are the committed Jira fixtures', so the pulled file read back
must give the same canonical table as the fixture itself.
"""

from __future__ import annotations

import base64
import copy
import json
import re

import pandas as pd
import pytest

from calibrate.errors import InputError
from calibrate.io import detect_format, read_export
from calibrate.pull import pull_jira
from calibrate.pull._http import TrackerClient, credentials
from calibrate.pull._store import HEADER, partial_path
from calibrate.pull.jira import _query, _since

FIXTURES = __import__("pathlib").Path(__file__).resolve().parent.parent / "fixtures"
CLOUD_FIXTURE = FIXTURES / "jira_search_changelog.json"
DC_FIXTURE = FIXTURES / "jira_json_dc_pages.json"
AS_OF = "2024-06-01 12:00"
CHANGELOG = re.compile(r"/rest/api/3/issue/([A-Z]+-\d+)/changelog")
DC_ISSUE = re.compile(r"/rest/api/2/issue/([A-Z]+-\d+)")


def field(fid, name, kind="string", custom=True):
    return {"id": fid, "key": fid, "name": name, "custom": custom, "orderable": True,
            "navigable": True, "searchable": True, "clauseNames": [name.lower()],
            "schema": {"type": kind, "custom": "com.atlassian.jira.plugin.system."
                                              "customfieldtypes:float", "customId": 1}}


class FakeJira:
    """A Jira site on the local server: its fields, a search and changelogs."""

    def __init__(self, server, issues, fields, *, cloud=True, page_size=5, history_page=2,
                 embedded=2):
        self.server, self.issues, self.cloud = server, issues, cloud
        self.page_size, self.history_page, self.embedded = page_size, history_page, embedded
        self.fail_changelog = False
        version = "3" if cloud else "2"
        server.json("GET", f"/rest/api/{version}/field", fields)
        if cloud:
            server.route("GET", "/rest/api/3/search/jql", self.search_jql)
            server.route("GET", CHANGELOG, self.changelog)
            server.json("GET", "/rest/api/3/search", {"errorMessages": [
                "The requested API has been removed. Please migrate to /rest/api/3/search/jql"]},
                status=410)
        else:
            server.json("GET", "/rest/api/2/serverInfo", {
                "baseUrl": server.url, "version": "9.12.2", "versionNumbers": [9, 12, 2],
                "deploymentType": "Server", "buildNumber": 912002,
                "serverTitle": "Jira"})
            server.route("GET", "/rest/api/2/search", self.search)
            server.route("GET", DC_ISSUE, self.issue)

    def _embedded(self, issue):
        """An issue as search returns it: a long changelog cut after ``embedded`` entries."""
        issue = copy.deepcopy(issue)
        histories = issue.get("changelog", {}).get("histories", [])
        if len(histories) > self.embedded:
            issue["changelog"] = {"startAt": 0, "maxResults": self.embedded,
                                  "total": len(histories),
                                  "histories": histories[:self.embedded]}
        return issue

    def search_jql(self, method, path, query, headers, body):
        start = int(query.get("nextPageToken", "tok-0").removeprefix("tok-"))
        size = min(int(query.get("maxResults", "50")), self.page_size)
        chosen = self.issues[start:start + size]
        page = {"issues": [self._embedded(i) for i in chosen], "isLast":
                start + size >= len(self.issues)}
        if not page["isLast"]:
            page["nextPageToken"] = f"tok-{start + size}"
        return 200, {}, page

    def search(self, method, path, query, headers, body):
        start = int(query.get("startAt", "0"))
        size = min(int(query.get("maxResults", "50")), self.page_size)
        return 200, {}, {"expand": "schema,names", "startAt": start, "maxResults": size,
                         "total": len(self.issues),
                         "issues": [self._embedded(i) for i in self.issues[start:start + size]]}

    def _histories(self, key):
        return next(i for i in self.issues if i["key"] == key)["changelog"]["histories"]

    def changelog(self, method, path, query, headers, body):
        if self.fail_changelog:
            return 503, {}, {"errorMessages": ["unavailable"]}
        key = CHANGELOG.fullmatch(path).group(1)
        histories = self._histories(key)
        start = int(query.get("startAt", "0"))
        size = min(int(query.get("maxResults", "100")), self.history_page)
        values = histories[start:start + size]
        last = start + size >= len(histories)
        page = {"self": f"{self.server.url}{path}?startAt={start}&maxResults={size}",
                "maxResults": size, "startAt": start, "total": len(histories),
                "isLast": last, "values": values}
        if not last:
            page["nextPage"] = f"{self.server.url}{path}?startAt={start + size}&maxResults={size}"
        return 200, {}, page

    def issue(self, method, path, query, headers, body):
        key = DC_ISSUE.fullmatch(path).group(1)
        full = copy.deepcopy(next(i for i in self.issues if i["key"] == key))
        return 200, {}, {"id": full["id"], "key": key, "fields": {
            "created": full["fields"]["created"]}, "changelog": full["changelog"]}


def cloud_issues():
    return json.loads(CLOUD_FIXTURE.read_text())["issues"]


def cloud_fields():
    names = json.loads(CLOUD_FIXTURE.read_text())["names"]
    number = {"customfield_10016", "customfield_10026"}
    return [field(fid, name, "number" if fid in number else "string",
                  custom=fid.startswith("customfield_")) for fid, name in names.items()]


def dc_issues():
    return [issue for page in json.loads(DC_FIXTURE.read_text()) for issue in page["issues"]]


DC_FIELDS = [field("summary", "Summary", custom=False), field("created", "Created", custom=False),
             field("customfield_10002", "Story Points", "number"),
             field("customfield_10004", "Story point estimate", "number"),
             field("customfield_10005", "Sprint", "array"),
             field("customfield_10006", "Epic Link", "any"),
             field("customfield_10003", "Rank", "any")]


@pytest.fixture
def cloud_auth(monkeypatch, secret):
    monkeypatch.setenv("JIRA_EMAIL", "ann@example.com")
    monkeypatch.setenv("JIRA_API_TOKEN", secret)
    return credentials("jira", "acme.atlassian.net")


def make_client(server, auth, sleeps, **options):
    lines: list[str] = []
    options.setdefault("max_retries", 2)
    client = TrackerClient(server.url, auth_header=auth, source="jira", sleep=sleeps,
                           progress=lines.append, seed=3, **options)
    client.lines = lines
    return client


def pull(tmp_path, server, client, **options):
    options.setdefault("project", "ML")
    options.setdefault("deployment", "cloud")
    return pull_jira(tmp_path / "history.json", url=server.url, client=client,
                     progress=client.lines.append, **options)


def same_tables(pulled, reference):
    pd.testing.assert_frame_equal(pulled.tickets, reference.tickets)
    pd.testing.assert_frame_equal(pulled.excluded, reference.excluded)


# ---------------------------------------------------------------- Cloud


def test_cloud_pull_pages_completes_changelogs_and_reads_back_as_the_export(
        tmp_path, server, cloud_auth, no_sleep, secret):
    FakeJira(server, cloud_issues(), cloud_fields())
    client = make_client(server, cloud_auth, no_sleep)
    result = pull(tmp_path, server, client)
    assert result.issues == 16
    searches = [r for r in server.requests if r.path == "/rest/api/3/search/jql"]
    assert [r.query.get("nextPageToken") for r in searches] == [None, "tok-5", "tok-10",
                                                                 "tok-15"]
    first = searches[0].query
    assert first["jql"] == 'project = "ML" ORDER BY created ASC'
    assert first["expand"] == "changelog" and first["maxResults"] == "100"
    assert first["fields"].startswith("*navigable,-comment")
    assert "description" not in first["fields"]  # kept: the area classifier reads it
    expected = "Basic " + base64.b64encode(f"ann@example.com:{secret}".encode()).decode()
    assert all(r.headers["authorization"] == expected for r in server.requests)
    # Issues with more than two history entries had the rest fetched, two a page.
    long = [i["key"] for i in cloud_issues() if len(i["changelog"]["histories"]) > 2]
    pages = [(CHANGELOG.fullmatch(r.path).group(1), r.query["startAt"])
             for r in server.requests if CHANGELOG.fullmatch(r.path)]
    assert sorted({key for key, _ in pages}) == sorted(long)
    assert ("ML-105", "4") in pages and ("ML-105", "0") in pages
    data = json.loads(result.path.read_text())
    assert data[HEADER]["source"] == "jira" and data[HEADER]["project"] == "ML"
    assert data["names"]["customfield_10016"] == "Story point estimate"
    ml105 = next(i for i in data["issues"] if i["key"] == "ML-105")
    assert ml105["changelog"]["total"] == len(ml105["changelog"]["histories"]) == 5
    assert detect_format(result.path) == "jira_json"
    same_tables(read_export(result.path, as_of=AS_OF), read_export(CLOUD_FIXTURE, as_of=AS_OF))
    assert any("story points in 'Story point estimate' (customfield_10016)" in line
               for line in client.lines)


def test_the_points_field_by_another_name(tmp_path, server, cloud_auth, no_sleep):
    issues = cloud_issues()
    for issue in issues:  # the site keeps its points in "Effort"
        fields = issue["fields"]
        one, other = fields.pop("customfield_10016", None), fields.pop("customfield_10026", None)
        fields["customfield_10042"] = one if one is not None else other
        for history in issue["changelog"]["histories"]:
            for item in history["items"]:
                if item.get("fieldId") in ("customfield_10016", "customfield_10026"):
                    item.update(field="Effort", fieldId="customfield_10042")
    fields = [f for f in cloud_fields() if f["id"] not in ("customfield_10016",
                                                           "customfield_10026")]
    fields.append(field("customfield_10042", "Effort", "number"))
    FakeJira(server, issues, fields)
    client = make_client(server, cloud_auth, no_sleep)
    with pytest.raises(InputError, match="no story-points field") as caught:
        pull(tmp_path, server, client)
    assert "Effort" in str(caught.value) and "--points-field" in caught.value.hint
    result = pull(tmp_path, server, client, points_field="effort")
    assert json.loads(result.path.read_text())[HEADER]["points_field"] == "customfield_10042"
    table = read_export(result.path, as_of=AS_OF)
    reference = read_export(CLOUD_FIXTURE, as_of=AS_OF)
    pd.testing.assert_frame_equal(table.tickets, reference.tickets)
    with pytest.raises(InputError, match="'Velocity'"):
        pull(tmp_path, server, client, points_field="Velocity")


def test_an_empty_search(tmp_path, server, cloud_auth, no_sleep):
    FakeJira(server, [], cloud_fields())
    result = pull(tmp_path, server, make_client(server, cloud_auth, no_sleep))
    assert result.issues == 0
    assert json.loads(result.path.read_text())["issues"] == []
    assert detect_format(result.path) == "jira_json"


def test_a_rate_limit_pause_on_the_search(tmp_path, server, cloud_auth, no_sleep):
    jira = FakeJira(server, cloud_issues(), cloud_fields())
    calls = []

    def limited(*request):
        calls.append(1)
        if len(calls) == 2:
            return 429, {"Retry-After": "2", "X-RateLimit-Remaining": "0"}, \
                {"errorMessages": ["Rate limit exceeded."]}
        return jira.search_jql(*request)

    server.route("GET", "/rest/api/3/search/jql", limited)
    client = make_client(server, cloud_auth, no_sleep)
    result = pull(tmp_path, server, client)
    assert result.issues == 16 and result.pauses == 1 and no_sleep == [2.0]


def test_a_jql_jira_refuses_is_quoted(tmp_path, server, cloud_auth, no_sleep):
    FakeJira(server, cloud_issues(), cloud_fields())
    server.json("GET", "/rest/api/3/search/jql", {
        "errorMessages": ["Error in the JQL Query: Expecting a field name but got 'AND'."],
        "warningMessages": []}, status=400)
    with pytest.raises(InputError, match="HTTP 400.*Expecting a field name"):
        pull(tmp_path, server, make_client(server, cloud_auth, no_sleep), jql="AND")


@pytest.mark.parametrize(("status", "words"), [
    (401, "the token in JIRA_API_TOKEN was rejected (HTTP 401)"),
    (403, "refused access (HTTP 403)"),
    (404, "not found: {url}/rest/api/3/field"),
])
def test_errors(tmp_path, server, cloud_auth, no_sleep, status, words, secret):
    server.json("GET", "/rest/api/3/field", {"errorMessages": [secret]}, status=status)
    with pytest.raises(InputError) as caught:
        pull(tmp_path, server, make_client(server, cloud_auth, no_sleep))
    assert words.format(url=server.url) in str(caught.value)
    assert "JIRA_EMAIL and JIRA_API_TOKEN" in str(caught.value) or status == 404
    assert secret not in str(caught.value)
    assert not (tmp_path / "history.json").exists()


def test_a_truncated_search_page_is_retried(tmp_path, server, cloud_auth, no_sleep):
    jira = FakeJira(server, cloud_issues(), cloud_fields())
    answers = iter([(200, {"Content-Length": "5000"}, b'{"issues": [{"id": "1'),
                    (500, {}, {"errorMessages": ["Internal server error"]})])
    server.route("GET", "/rest/api/3/search/jql",
                 lambda *request: next(answers, None) or jira.search_jql(*request))
    result = pull(tmp_path, server, make_client(server, cloud_auth, no_sleep))
    assert result.issues == 16 and len(no_sleep) == 2


def test_missing_credentials(tmp_path, server):
    with pytest.raises(InputError, match="JIRA_EMAIL and JIRA_API_TOKEN .* or JIRA_TOKEN"):
        pull_jira(tmp_path / "h.json", url=server.url, project="ML")
    assert server.requests == []


def test_resume_fetches_no_issue_twice(tmp_path, server, cloud_auth, no_sleep):
    jira = FakeJira(server, cloud_issues(), cloud_fields())
    client = make_client(server, cloud_auth, no_sleep)
    jira.fail_changelog = True  # ML-101, the first long history, keeps failing
    calls = []
    original = jira.changelog

    def failing_late(*request):  # the first page's long histories come through
        calls.append(1)
        return original(*request) if len(calls) <= 6 else (503, {}, {"errorMessages": ["x"]})

    jira.fail_changelog = False
    server.route("GET", CHANGELOG, failing_late)
    with pytest.raises(InputError, match="failed 3 times"):
        pull(tmp_path, server, client)
    out = tmp_path / "history.json"
    stored = [json.loads(line) for line in partial_path(out).read_text().splitlines()]
    first_keys = [line["record"]["key"] for line in stored if "record" in line]
    assert first_keys  # some issues were stored before the failure
    first_changelogs = [CHANGELOG.fullmatch(r.path).group(1) for r in server.requests
                        if CHANGELOG.fullmatch(r.path)]
    server.route("GET", CHANGELOG, original)
    server.requests.clear()
    result = pull(tmp_path, server, client, resume=True)
    assert result.issues == 16
    again = [CHANGELOG.fullmatch(r.path).group(1) for r in server.requests
             if CHANGELOG.fullmatch(r.path)]
    assert not set(again) & set(first_keys)
    assert set(first_changelogs) | set(again) == {
        i["key"] for i in cloud_issues() if len(i["changelog"]["histories"]) > 2}
    keys = [i["key"] for i in json.loads(out.read_text())["issues"]]
    assert sorted(keys) == sorted(i["key"] for i in cloud_issues())
    assert not partial_path(out).exists()


def test_since_asks_for_recent_updates_and_merges(tmp_path, server, cloud_auth, no_sleep):
    jira = FakeJira(server, cloud_issues(), cloud_fields())
    client = make_client(server, cloud_auth, no_sleep)
    first = pull(tmp_path, server, client)
    # Jira answers the update query with ML-102 changed and one new issue.
    changed = copy.deepcopy(jira.issues[1])
    changed["fields"]["summary"] = "Renamed"
    new = copy.deepcopy(jira.issues[0])
    new.update(id="20999", key="ML-999")
    jira.issues = [changed, new]
    server.requests.clear()
    result = pull(tmp_path, server, client, since=True)
    jql = next(r for r in server.requests if r.path == "/rest/api/3/search/jql").query["jql"]
    minutes = int(re.search(r'updated >= -(\d+)m', jql).group(1))
    assert jql.startswith('(project = "ML") AND updated >= -') and jql.endswith(
        "ORDER BY created ASC")
    assert 60 <= minutes <= 62  # since the previous pull, less an hour's margin
    assert result.fetched == 2 and result.issues == 17
    issues = json.loads(result.path.read_text())["issues"]
    assert issues[1]["fields"]["summary"] == "Renamed" and issues[-1]["key"] == "ML-999"
    assert json.loads(first.path.read_text())[HEADER]["pulled_at"] == result.since


def test_the_token_is_nowhere(tmp_path, server, cloud_auth, no_sleep, secret, capsys):
    jira = FakeJira(server, cloud_issues(), cloud_fields())
    client = make_client(server, cloud_auth, no_sleep)
    result = pull(tmp_path, server, client)
    jira.fail_changelog = True
    messages = []
    for options in ({"resume": False}, {"resume": True}):
        with pytest.raises(InputError) as caught:
            pull_jira(tmp_path / "other.json", url=server.url, project="ML",
                      deployment="cloud", client=client, progress=client.lines.append,
                      **options)
        messages.append(str(caught.value))
    basic = dict(cloud_auth)["Authorization"]
    texts = [*messages, *client.lines, *capsys.readouterr(), repr(client), repr(cloud_auth),
             repr(result)]
    texts += [p.read_text() for p in tmp_path.iterdir() if p.is_file()]
    assert not any(secret in text or basic in text for text in texts)


# ---------------------------------------------------------------- Data Center


def test_data_center_is_recognised_and_paged_by_start_at(tmp_path, server, no_sleep,
                                                         monkeypatch, secret):
    monkeypatch.setenv("JIRA_TOKEN", secret)
    FakeJira(server, dc_issues(), DC_FIELDS, cloud=False, page_size=2, embedded=1)
    client = make_client(server, credentials("jira", "127.0.0.1"), no_sleep)
    result = pull(tmp_path, server, client, project=None, deployment=None,
                  jql="project = DS ORDER BY key")
    assert server.requests[0].path == "/rest/api/2/serverInfo"
    searches = [r for r in server.requests if r.path == "/rest/api/2/search"]
    assert [r.query["startAt"] for r in searches] == ["0", "2", "4"]
    assert searches[0].query["jql"] == "project = DS ORDER BY key"
    assert all(r.headers["authorization"] == f"Bearer {secret}" for r in server.requests)
    completed = [r for r in server.requests if DC_ISSUE.fullmatch(r.path)]
    assert completed and all(r.query["expand"] == "changelog" for r in completed)
    assert result.issues == len(dc_issues())
    same_tables(read_export(result.path, as_of=AS_OF), read_export(DC_FIXTURE, as_of=AS_OF))


def test_data_center_401_names_jira_token(tmp_path, server, no_sleep, monkeypatch, secret):
    monkeypatch.setenv("JIRA_TOKEN", secret)
    server.json("GET", "/rest/api/2/serverInfo", {}, status=401)
    client = make_client(server, credentials("jira", "127.0.0.1"), no_sleep)
    with pytest.raises(InputError, match=r"token in JIRA_TOKEN was rejected \(HTTP 401\)"):
        pull(tmp_path, server, client, deployment=None)


# ---------------------------------------------------------------- the query


@pytest.mark.parametrize(("project", "jql", "expected"), [
    ("ML", None, 'project = "ML" ORDER BY created ASC'),
    ("ML", "labels = ml", 'project = "ML" AND (labels = ml) ORDER BY created ASC'),
    ("ML", "labels = ml order by rank", 'project = "ML" AND (labels = ml) order by rank'),
    (None, "project = X ORDER BY key", "project = X ORDER BY key"),
])
def test_query(project, jql, expected):
    assert _query(project, jql) == expected


def test_query_needs_a_project_or_jql():
    with pytest.raises(InputError, match="--project KEY or --jql"):
        _query(None, " ")
    with pytest.raises(InputError, match="not a Jira project key"):
        _query("ML; DROP", None)


def test_since_keeps_the_order_clause():
    import datetime as dt

    hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=90)
    assert re.fullmatch(r"\(project = X\) AND updated >= -9[01]m ORDER BY key",
                        _since("project = X ORDER BY key", hour_ago))
    assert _since("project = X", None) == "project = X"

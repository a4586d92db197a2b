"""`calibrate pull` end to end against the local tracker of tests/pull: options,
dispatch, progress, errors (exit status 2), resume, --since, and no token in
any output."""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from calibrate.cli import cli
from calibrate.pull._store import HEADER, PullResult, partial_path


def _load(name: str, path: Path) -> types.ModuleType:
    """A test helper module loaded by path: pytest imports every conftest.py under
    the one name "conftest", so tests/pull's cannot be imported by name here."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # (dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


_PULL_TESTS = Path(__file__).parent / "pull"
_conftest = _load("_pull_conftest", _PULL_TESTS / "conftest.py")
server = _conftest.server
no_network = _conftest.no_network  # the network guard, autouse here too
SECRET = _conftest.SECRET
GITLAB = _load("_pull_gitlab_tests", _PULL_TESTS / "test_gitlab.py")
JIRA = _load("_pull_jira_tests", _PULL_TESTS / "test_jira.py")


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="calibrate")


@pytest.fixture
def gitlab(server, monkeypatch):
    monkeypatch.setenv("GITLAB_TOKEN", SECRET)
    return GITLAB.FakeGitLab(server, [dict(i) for i in GITLAB.ISSUES], GITLAB.LABEL_EVENTS,
                             GITLAB.STATE_EVENTS)


def pull_gitlab_args(server, out, *more):
    return ("pull", "gitlab", "--url", server.url, "--project", "ml/models", "--out", out, *more)


def test_pull_gitlab_then_ingest_measures_cycle_time(tmp_path, server, gitlab):
    out = tmp_path / "history.json"
    result = run(*pull_gitlab_args(server, out))
    assert result.exit_code == 0, result.output
    assert f"wrote {out}: 5 issues" in result.stdout
    assert "page 3: 5 issues" in result.stderr
    assert f"next: calibrate report {out}" in result.stdout
    tickets_path = tmp_path / "tickets.csv"
    ingested = run("ingest", out, "--out", tickets_path, "--as-of", "2024-03-20T12:00")
    assert ingested.exit_code == 0, ingested.output
    tickets = pd.read_csv(tickets_path).set_index("ticket_id")
    assert tickets.loc["ml/models#1", "clock"] == "cycle"
    assert tickets.loc["ml/models#2", "clock"] == "lead"


def test_pull_jira_cloud_recognised_from_server_info(tmp_path, server, monkeypatch):
    JIRA.FakeJira(server, JIRA.cloud_issues(), JIRA.cloud_fields())
    server.json("GET", "/rest/api/2/serverInfo", {"baseUrl": server.url, "version": "1001.0.0",
                                                  "deploymentType": "Cloud"})
    monkeypatch.setenv("JIRA_EMAIL", "ann@example.com")
    monkeypatch.setenv("JIRA_API_TOKEN", SECRET)
    out = tmp_path / "jira.json"
    result = run("pull", "jira", "--url", server.url, "--project", "ML", "--jql",
                 "labels = ml", "--out", out)
    assert result.exit_code == 0, result.output
    assert "16 issues" in result.stdout
    search = next(r for r in server.requests if r.path == "/rest/api/3/search/jql")
    assert search.query["jql"] == 'project = "ML" AND (labels = ml) ORDER BY created ASC'
    assert json.loads(out.read_text())[HEADER]["query"] == "labels = ml"


@pytest.mark.parametrize(("args", "words"), [
    (("pull", "gitlab", "--jql", "x", "--project", "a/b"), "--jql does not apply to gitlab"),
    (("pull", "gitlab",), "gitlab needs --project"),
    (("pull", "github",), "github needs --repo"),
    (("pull", "jira", "--project", "ML"), "jira needs --url"),
    (("pull", "jira", "--url", "https://x.atlassian.net", "--team", "T", "--repo", "a/b"),
     "--team, --repo do not apply to jira"),
    (("pull", "trello",), "'trello' is not one of"),
])
def test_usage_errors(tmp_path, args, words):
    result = run(*args, "--out", tmp_path / "h.json")
    assert result.exit_code == 2
    assert words in result.output


def test_out_must_be_json(tmp_path):
    result = run("pull", "gitlab", "--project", "a/b", "--out", tmp_path / "h.csv")
    assert result.exit_code == 2 and "does not end in .json" in result.output


def test_a_missing_token_is_a_short_error(tmp_path, server):
    result = run(*pull_gitlab_args(server, tmp_path / "h.json"))
    assert result.exit_code == 2
    assert result.stderr.startswith("calibrate: error: no gitlab credentials: set GITLAB_TOKEN")
    assert "Traceback" not in result.output


def test_a_rejected_token_is_a_short_error_without_the_token(tmp_path, server, monkeypatch):
    monkeypatch.setenv("GITLAB_TOKEN", SECRET)
    server.json("GET", GITLAB.ISSUES_PATH, {"message": "401 Unauthorized"}, status=401)
    result = run(*pull_gitlab_args(server, tmp_path / "h.json"))
    assert result.exit_code == 2
    assert "the token in GITLAB_TOKEN was rejected (HTTP 401) by 127.0.0.1" in result.stderr
    assert SECRET not in result.output


def test_a_rate_limit_is_waited_out_with_a_progress_line(tmp_path, server, gitlab):
    original = gitlab.issue_page
    calls = []

    def limited(*request):
        calls.append(1)
        return (429, {"Retry-After": "0"}, {"message": "Retry later"}) if len(calls) == 2 \
            else original(*request)

    server.route("GET", GITLAB.ISSUES_PATH, limited)
    result = run(*pull_gitlab_args(server, tmp_path / "h.json"))
    assert result.exit_code == 0, result.output
    assert "rate limit of 127.0.0.1 reached (HTTP 429): waiting 0.0 s" in result.stderr
    assert "1 pause)" in result.stdout


def test_resume_and_since_from_the_command_line(tmp_path, server, gitlab):
    out = tmp_path / "history.json"
    original = gitlab.event_page
    refuse = {"on": True}

    def flaky(method, path, *rest):  # a token revoked mid-way, restored later
        if refuse["on"] and "/issues/4/" in path:
            return 401, {}, {"message": "401 Unauthorized"}
        return original(method, path, *rest)

    server.route("GET", GITLAB.EVENTS, flaky)
    failed = run(*pull_gitlab_args(server, out))
    assert failed.exit_code == 2 and partial_path(out).exists() and not out.exists()
    refuse["on"] = False
    server.requests.clear()
    resumed = run(*pull_gitlab_args(server, out, "--resume"))
    assert resumed.exit_code == 0, resumed.output
    assert "resuming: 3 issues already fetched" in resumed.stderr
    assert not any(f"/issues/{n}/" in p for p in server.paths() for n in (1, 2, 3))
    again = run(*pull_gitlab_args(server, out, "--since"))
    assert again.exit_code == 0, again.output
    assert "5 issues, 0 updated since" in again.stdout  # the fake's issues changed in 2024
    everything = failed.output + resumed.output + again.output
    assert SECRET not in everything
    assert all(SECRET not in p.read_text() for p in tmp_path.iterdir() if p.is_file())


def test_linear_and_github_are_dispatched_with_their_options(tmp_path, monkeypatch):
    calls = {}

    def recorder(name):
        def pull(out, **options):
            calls[name] = (out, options)
            return PullResult(Path(out), 0, 1, 0)
        return pull

    for source in ("linear", "github"):
        module = types.ModuleType(f"calibrate.pull.{source}")
        setattr(module, f"pull_{source}", recorder(source))
        monkeypatch.setitem(sys.modules, f"calibrate.pull.{source}", module)
    out = tmp_path / "h.json"
    assert run("pull", "linear", "--team", "ML", "--out", out).exit_code == 0
    assert calls["linear"][1] == {"url": "https://api.linear.app/graphql", "since": False,
                                  "resume": False, "progress": calls["linear"][1]["progress"],
                                  "team": "ML"}
    result = run("pull", "github", "--repo", "acme/ml", "--points-field", "Points",
                 "--in-progress", "In Progress", "--in-progress", "doing", "--since",
                 "--out", out)
    assert result.exit_code == 0, result.output
    options = calls["github"][1]
    assert options["url"] == "https://api.github.com" and options["repo"] == "acme/ml"
    assert options["points_field"] == "Points" and options["since"] is True
    assert options["in_progress"] == ("In Progress", "doing")

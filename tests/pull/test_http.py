"""The pull HTTP client against the local server: retries, rate limits, errors, secrets."""

from __future__ import annotations

import base64
import email.utils
import re

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from calibrate.errors import InputError
from calibrate.pull._http import (
    AuthHeader,
    JsonResponse,
    TrackerClient,
    _retry_after,
    credentials,
    shown_url,
)

SECRET = "SECRET-TOKEN-123"  # as the conftest sets it (checked by a test)
NOW = 1_700_000_000.0  # the injected clock's Unix time


def client_for(server, sleeps, *, source="gitlab", auth=None, clock=lambda: NOW, **options):
    auth = auth if auth is not None else credentials("gitlab", "127.0.0.1",
                                                      environ={"GITLAB_TOKEN": SECRET})
    lines: list[str] = []
    client = TrackerClient(server.url + "/api/v4", auth_header=auth, source=source,
                           progress=lines.append, sleep=sleeps, seed=0, clock=clock, **options)
    client.lines = lines
    return client


def secret_free(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text
        assert "SECRET" not in text


# -- credentials -------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "variable", "header", "value"), [
    ("gitlab", "GITLAB_TOKEN", "PRIVATE-TOKEN", SECRET),
    ("linear", "LINEAR_API_KEY", "Authorization", SECRET),  # a personal key: no Bearer
    ("github", "GITHUB_TOKEN", "Authorization", f"Bearer {SECRET}"),
])
def test_credentials_from_the_variable_of_each_source(source, variable, header, value):
    found = credentials(source, "example.com", environ={variable: SECRET})
    assert dict(found) == {header: value}
    assert found.origin == variable
    secret_free(repr(found), str(found))


def test_jira_cloud_basic_and_data_center_bearer():
    environ = {"JIRA_EMAIL": "ann@example.com", "JIRA_API_TOKEN": SECRET, "JIRA_TOKEN": "PAT-9"}
    cloud = credentials("jira", "acme.atlassian.net", environ=environ)
    expected = base64.b64encode(f"ann@example.com:{SECRET}".encode()).decode()
    assert dict(cloud) == {"Authorization": f"Basic {expected}"}
    assert cloud.origin == "JIRA_API_TOKEN"
    center = credentials("jira", "jira.acme.example", environ=environ)
    assert dict(center) == {"Authorization": "Bearer PAT-9"}
    # Only one kind set: that one, whatever the host.
    assert credentials("jira", "jira.acme.example",
                       environ={"JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": SECRET}).origin \
        == "JIRA_API_TOKEN"


def test_missing_credentials_name_the_variables_to_set(tmp_path):
    with pytest.raises(InputError, match="set GITLAB_TOKEN"):
        credentials("gitlab", "gitlab.com", environ={}, netrc_path=tmp_path / "none")
    with pytest.raises(InputError, match="JIRA_EMAIL and JIRA_API_TOKEN .* or JIRA_TOKEN"):
        credentials("jira", "x.atlassian.net", environ={"JIRA_EMAIL": "a@b.c"},
                    netrc_path=tmp_path / "none")


def test_credentials_from_netrc(tmp_path):
    path = tmp_path / "netrc"
    path.write_text(f"machine gitlab.example.com login me password {SECRET}\n")
    path.chmod(0o600)
    found = credentials("gitlab", "gitlab.example.com", environ={}, netrc_path=path)
    assert dict(found) == {"PRIVATE-TOKEN": SECRET}
    assert "netrc" in found.origin
    jira = credentials("jira", "gitlab.example.com", environ={}, netrc_path=path)
    assert dict(jira) == {"Authorization": "Basic " + base64.b64encode(
        f"me:{SECRET}".encode()).decode()}
    with pytest.raises(InputError):
        credentials("gitlab", "other.example.com", environ={}, netrc_path=path)


def test_an_unreadable_netrc_is_reported_without_its_content(tmp_path):
    path = tmp_path / "netrc"
    path.write_text(f"machine h login me password {SECRET} bogus\n")
    path.chmod(0o600)
    with pytest.raises(InputError) as caught:
        credentials("gitlab", "h", environ={}, netrc_path=path)
    secret_free(str(caught.value))


def test_the_home_netrc_is_read(monkeypatch, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".netrc").write_text(f"machine h.example login me password {SECRET}\n")
    (home / ".netrc").chmod(0o600)
    monkeypatch.setenv("HOME", str(home))
    assert dict(credentials("github", "h.example")) == {"Authorization": f"Bearer {SECRET}"}


# -- URLs and pages ----------------------------------------------------------------------------


@given(st.text(alphabet="abcdefghijklmnop0123456789-._~", min_size=1, max_size=20))
def test_shown_url_never_shows_userinfo_or_query(secret):
    url = f"https://user:{secret}@tracker.example:8443/api/v4/x?private_token={secret}#{secret}"
    assert shown_url(url) == "https://tracker.example:8443/api/v4/x"


def test_next_url_from_link_or_x_next_page():
    link = ('<https://g.example/api/v4/projects/1/issues?page=3&per_page=2>; rel="next", '
            '<https://g.example/api/v4/projects/1/issues?page=1&per_page=2>; rel="first"')
    page = JsonResponse([], httpx.Headers({"Link": link}), "https://g.example/api/v4/x?page=2")
    assert page.next_url == "https://g.example/api/v4/projects/1/issues?page=3&per_page=2"
    last = JsonResponse([], httpx.Headers({"Link": '<https://g.example/a?page=1>; rel="first"'}),
                        "https://g.example/a?page=4")
    assert last.next_url is None
    numbered = JsonResponse([], httpx.Headers({"X-Next-Page": "3", "X-Page": "2"}),
                            "https://g.example/a?per_page=2&page=2")
    assert numbered.next_url == "https://g.example/a?per_page=2&page=3"
    assert JsonResponse([], httpx.Headers({"X-Next-Page": ""}), "https://g/a").next_url is None


def test_pages_follow_next_links_and_send_the_token(server, no_sleep):
    def issues(method, path, query, headers, body):
        page = int(query.get("page", "1"))
        next_link = {"Link": f'<{server.url}/api/v4/items?page={page + 1}>; rel="next"'} \
            if page < 3 else {}
        return 200, next_link, [{"n": page}]

    server.route("GET", "/api/v4/items", issues)
    with client_for(server, no_sleep) as client:
        pages = list(client.pages("items", {"per_page": 1}))
    assert [p.data for p in pages] == [[{"n": 1}], [{"n": 2}], [{"n": 3}]]
    assert [r.query.get("page") for r in server.requests] == [None, "2", "3"]
    assert all(r.headers["private-token"] == SECRET for r in server.requests)
    assert client.requests == 3 and client.pauses == 0


def test_post_json_sends_the_body(server, no_sleep):
    server.route("POST", "/graphql", lambda m, p, q, h, body: (200, {}, {"data": body}))
    auth = credentials("linear", "127.0.0.1", environ={"LINEAR_API_KEY": SECRET})
    client = TrackerClient(server.url, auth_header=auth, source="linear", sleep=no_sleep)
    answer = client.post_json("/graphql", {"query": "{ viewer { id } }"})
    assert answer.data == {"data": {"query": "{ viewer { id } }"}}
    assert server.requests[0].headers["authorization"] == SECRET
    assert server.requests[0].headers["content-type"] == "application/json"


# -- rate limits and retries -------------------------------------------------------------------


def test_429_with_retry_after_seconds_waits_and_asks_again(server, no_sleep):
    server.sequence("GET", "/api/v4/x", [(429, {"Retry-After": "7"}, {"message": "slow"}),
                                         (200, {}, {"ok": True})])
    client = client_for(server, no_sleep)
    assert client.get_json("x").data == {"ok": True}
    assert no_sleep == [7.0]
    assert client.pauses == 1 and client.requests == 2
    assert any("rate limit" in line for line in client.lines)


def test_retry_after_as_an_http_date():
    date = email.utils.formatdate(NOW + 30, usegmt=True)
    assert _retry_after(date, NOW) == pytest.approx(30, abs=1e-9)
    assert _retry_after("not a date", NOW) is None
    assert _retry_after("-5", NOW) == 0.0


def test_503_with_retry_after_waits(server, no_sleep):
    server.sequence("GET", "/api/v4/x", [(503, {"Retry-After": "2"}, "busy"),
                                         (200, {}, [1])])
    assert client_for(server, no_sleep).get_json("x").data == [1]
    assert no_sleep == [2.0]


def test_gitlab_ratelimit_remaining_zero_pauses_until_reset(server, no_sleep):
    # The answer that used the last request says when the limit resets; the
    # next request waits for it (plus a second for the clocks to differ).
    server.json("GET", "/api/v4/x", [1], headers={"RateLimit-Remaining": "0",
                                                  "RateLimit-Reset": str(int(NOW) + 20)})
    client = client_for(server, no_sleep)
    client.get_json("x")
    assert no_sleep == []
    client.get_json("x")
    assert no_sleep == [pytest.approx(21.0)]


def test_github_403_with_the_limit_used_up_waits_for_the_reset(server, no_sleep):
    server.sequence("GET", "/api/v4/x", [
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 5)},
         {"message": "API rate limit exceeded"}),
        (200, {"x-ratelimit-remaining": "4999"}, {"ok": 1})])
    client = client_for(server, no_sleep, source="github")
    assert client.get_json("x").data == {"ok": 1}
    assert no_sleep == [pytest.approx(6.0)]


def test_a_wait_longer_than_max_pause_is_an_error_that_says_resume(server, no_sleep):
    server.json("GET", "/api/v4/x", {}, status=429, headers={"Retry-After": "7200"})
    with pytest.raises(InputError, match="120 minutes") as caught:
        client_for(server, no_sleep, max_pause=900).get_json("x")
    assert "--resume" in str(caught.value)
    assert no_sleep == []


def test_rate_limit_waits_are_bounded(server, no_sleep):
    server.json("GET", "/api/v4/x", {}, status=429, headers={"Retry-After": "1"})
    with pytest.raises(InputError, match="still refuses"):
        client_for(server, no_sleep).get_json("x")
    assert len(no_sleep) == 10


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried_with_growing_back_off(server, no_sleep, status):
    server.sequence("GET", "/api/v4/x", [(status, {}, "oops")] * 3 + [(200, {}, [2])])
    client = client_for(server, no_sleep)
    assert client.get_json("x").data == [2]
    assert client.requests == 4
    # Full jitter between half and all of 1, 2, 4 seconds.
    for attempt, waited in enumerate(no_sleep):
        assert 0.5 * 2 ** attempt <= waited <= 2 ** attempt


def test_retries_are_bounded(server, no_sleep):
    server.json("GET", "/api/v4/x", "down", status=502)
    with pytest.raises(InputError, match=r"failed 3 times: HTTP 502") as caught:
        client_for(server, no_sleep, max_retries=2).get_json("x")
    assert "--resume" in caught.value.hint
    assert len(no_sleep) == 2


def test_a_truncated_body_is_retried_then_reported(server, no_sleep):
    cut = (200, {"Content-Length": "100"}, b'[{"id": 1, "ti')
    server.sequence("GET", "/api/v4/x", [cut, (200, {}, [{"id": 1}])])
    assert client_for(server, no_sleep).get_json("x").data == [{"id": 1}]
    server.json("GET", "/api/v4/y", b"", headers={"Content-Length": "50"})
    with pytest.raises(InputError, match="closed before the answer was complete"):
        client_for(server, no_sleep, max_retries=1).get_json("y")


def test_a_body_that_is_not_json_is_retried_then_reported(server, no_sleep):
    server.json("GET", "/api/v4/x", b"<html>proxy error</html>")
    with pytest.raises(InputError, match="not valid JSON"):
        client_for(server, no_sleep, max_retries=1).get_json("x")
    assert len(server.requests) == 2


def test_a_lost_connection_is_retried(server, no_sleep):
    client = client_for(server, no_sleep, max_retries=1)
    client.base_url = "http://127.0.0.1:9/api/v4"  # nothing listens there
    client._origin = "http://127.0.0.1:9"
    with pytest.raises(InputError, match="cannot connect"):
        client.get_json("x")
    assert len(no_sleep) == 1


# -- errors ------------------------------------------------------------------------------------


def test_401_names_the_variable_to_set(server, no_sleep):
    server.json("GET", "/api/v4/x", {"message": "401 Unauthorized"}, status=401)
    with pytest.raises(InputError) as caught:
        client_for(server, no_sleep).get_json("x")
    message = str(caught.value)
    assert "the token in GITLAB_TOKEN was rejected (HTTP 401) by 127.0.0.1" in message
    assert "Set GITLAB_TOKEN to a valid token" in message
    assert len(server.requests) == 1  # not retried


def test_403_says_the_token_may_not_read(server, no_sleep):
    server.json("GET", "/api/v4/x", {"message": "403 Forbidden"}, status=403)
    with pytest.raises(InputError, match=r"refused access \(HTTP 403\)"):
        client_for(server, no_sleep).get_json("x")


def test_404_names_the_url_without_its_query(server, no_sleep):
    with pytest.raises(InputError) as caught:
        client_for(server, no_sleep).get_json("projects/a%2Fb", {"private_token": "q-secret"})
    assert f"not found: {server.url}/api/v4/projects/a%2Fb" in str(caught.value)
    assert "q-secret" not in str(caught.value)


def test_other_client_errors_quote_the_tracker(server, no_sleep):
    server.json("GET", "/api/v4/x", {"errorMessages": ["Field 'foo' does not exist."]},
                status=400)
    with pytest.raises(InputError, match="HTTP 400 .*Field 'foo' does not exist"):
        client_for(server, no_sleep).get_json("x")


def test_a_server_echoing_the_token_is_scrubbed(server, no_sleep):
    server.json("GET", "/api/v4/x", {"message": f"bad token {SECRET}"}, status=400)
    with pytest.raises(InputError) as caught:
        client_for(server, no_sleep).get_json("x")
    secret_free(str(caught.value))
    assert "***" in str(caught.value)


def test_redirects_are_followed_on_the_same_host_only(server, no_sleep):
    server.json("GET", "/api/v4/old", {}, status=301,
                headers={"Location": f"{server.url}/api/v4/new"})
    server.json("GET", "/api/v4/new", {"moved": True})
    server.json("GET", "/api/v4/away", {}, status=302,
                headers={"Location": "https://elsewhere.example/steal"})
    client = client_for(server, no_sleep)
    assert client.get_json("old").data == {"moved": True}
    assert server.requests[-1].headers["private-token"] == SECRET
    with pytest.raises(InputError, match="another host"):
        client.get_json("away")


def test_a_next_link_to_another_host_is_refused(server, no_sleep):
    server.json("GET", "/api/v4/x", [1], headers={
        "Link": '<https://elsewhere.example/api/v4/x?page=2>; rel="next"'})
    client = client_for(server, no_sleep)
    with pytest.raises(InputError, match="another host"):
        list(client.pages("x"))


def test_repr_shows_no_secret(server, no_sleep):
    client = client_for(server, no_sleep)
    secret_free(repr(client), repr(client.__dict__.get("_auth")))


def test_a_non_http_url_is_refused():
    with pytest.raises(InputError, match="not an http"):
        TrackerClient("ftp://x", auth_header={}, source="gitlab")


def test_the_secret_is_the_conftest_s(secret):
    assert secret == SECRET


def test_the_guard_stops_requests_to_other_hosts():
    with pytest.raises(BaseException, match="tests stay local"), httpx.Client() as client:
        client.get("https://gitlab.com/api/v4/version")


def test_no_token_variable_leaks_into_tests():
    import os

    assert not any(re.search("TOKEN|API_KEY", name) and os.environ[name] for name in os.environ
                   if name in ("GITLAB_TOKEN", "GITHUB_TOKEN", "JIRA_TOKEN", "JIRA_API_TOKEN",
                               "LINEAR_API_KEY"))


def test_auth_header_repr_hides_values():
    header = AuthHeader({"Authorization": f"Bearer {SECRET}"}, origin="GITHUB_TOKEN")
    secret_free(repr(header), str(header), f"{header}", repr([header]))


# -- Linear's rate limit: HTTP 400 RATELIMITED, and its request budget -------------------------

RATELIMITED = {"errors": [{"message": "Rate limit exceeded", "extensions": {
    "code": "RATELIMITED", "statusCode": 400}}]}


def linear_client(server, sleeps, **options):
    auth = credentials("linear", "127.0.0.1", environ={"LINEAR_API_KEY": SECRET})
    return client_for(server, sleeps, source="linear", auth=auth, **options)


@pytest.mark.parametrize("reset", [str(int((NOW + 12) * 1000)),  # milliseconds, as Linear sends
                                   str(int(NOW + 12))])  # seconds
def test_400_ratelimited_waits_until_the_requests_reset(server, no_sleep, reset):
    server.sequence("POST", "/api/v4/graphql", [
        (400, {"X-RateLimit-Requests-Remaining": "0", "X-RateLimit-Requests-Reset": reset},
         RATELIMITED),
        (200, {"X-RateLimit-Requests-Remaining": "1499"}, {"data": {"ok": 1}})])
    client = linear_client(server, no_sleep)
    assert client.post_json("graphql", {"query": "{ x }"}).data == {"data": {"ok": 1}}
    # Until the reset 12 s after the clock, plus a second for the clocks to differ.
    assert no_sleep == [pytest.approx(13.0, abs=1e-6)]
    assert client.pauses == 1 and client.requests == 2
    assert any("RATELIMITED" in line and "waiting 13.0 s" in line for line in client.lines)
    secret_free(*client.lines)


def test_400_ratelimited_with_requests_left_waits_for_the_complexity_reset(server, no_sleep):
    # Requests were left: the complexity budget refused the query, so its reset counts.
    server.sequence("POST", "/api/v4/graphql", [
        (400, {"X-RateLimit-Requests-Remaining": "900",
               "X-RateLimit-Requests-Reset": str(int((NOW + 3) * 1000)),
               "X-RateLimit-Complexity-Remaining": "12",
               "X-RateLimit-Complexity-Reset": str(int((NOW + 40) * 1000))}, RATELIMITED),
        (200, {}, {"data": {}})])
    linear_client(server, no_sleep).post_json("graphql", {"query": "{ x }"})
    assert no_sleep == [pytest.approx(41.0, abs=1e-6)]


def test_400_ratelimited_without_a_reset_honours_retry_after(server, no_sleep):
    server.sequence("POST", "/api/v4/graphql", [(400, {"Retry-After": "4"}, RATELIMITED),
                                                (200, {}, {"data": {}})])
    linear_client(server, no_sleep).post_json("graphql", {"query": "{ x }"})
    assert no_sleep == [4.0]


def test_400_ratelimited_without_any_time_backs_off_and_is_bounded(server, no_sleep):
    server.json("POST", "/api/v4/graphql", RATELIMITED, status=400)
    client = linear_client(server, no_sleep, max_retries=3)
    with pytest.raises(InputError, match=r"failed 4 times: HTTP 400 RATELIMITED") as caught:
        client.post_json("graphql", {"query": "{ x }"})
    assert "--resume" in caught.value.hint
    assert len(server.requests) == 4
    # Full jitter between half and all of 1, 2, 4 seconds, as for a 5xx.
    assert len(no_sleep) == 3
    for attempt, waited in enumerate(no_sleep):
        assert 0.5 * 2 ** attempt <= waited <= 2 ** attempt
    secret_free(str(caught.value), str(caught.value.hint), *client.lines)


def test_400_ratelimited_waits_are_bounded(server, no_sleep):
    server.json("POST", "/api/v4/graphql", RATELIMITED, status=400, headers={
        "X-RateLimit-Requests-Remaining": "0",
        "X-RateLimit-Requests-Reset": str(int((NOW + 1) * 1000))})
    with pytest.raises(InputError, match=r"still refuses .* 10 waits \(HTTP 400 RATELIMITED\)"):
        linear_client(server, no_sleep).post_json("graphql", {"query": "{ x }"})
    assert len(no_sleep) == 10 and len(server.requests) == 11


def test_a_ratelimited_reset_beyond_max_pause_is_an_error_that_says_resume(server, no_sleep):
    server.json("POST", "/api/v4/graphql", RATELIMITED, status=400, headers={
        "X-RateLimit-Requests-Reset": str(int((NOW + 3600) * 1000))})
    with pytest.raises(InputError, match="60 minutes") as caught:
        linear_client(server, no_sleep, max_pause=900).post_json("graphql", {"query": "{ x }"})
    assert "--resume" in caught.value.hint and no_sleep == []


def test_other_400_graphql_errors_are_not_retried(server, no_sleep):
    server.json("POST", "/api/v4/graphql", {"errors": [{
        "message": "Unknown argument 'orderBy'",
        "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}]}, status=400)
    with pytest.raises(InputError, match="HTTP 400 .*Unknown argument 'orderBy'"):
        linear_client(server, no_sleep).post_json("graphql", {"query": "{ x }"})
    assert len(server.requests) == 1 and no_sleep == []


@pytest.mark.parametrize("reset", [str(int((NOW + 20) * 1000)), str(int(NOW + 20))])
def test_linear_requests_remaining_zero_pauses_until_reset(server, no_sleep, reset):
    server.json("POST", "/api/v4/graphql", {"data": {}}, headers={
        "X-RateLimit-Requests-Remaining": "0", "X-RateLimit-Requests-Reset": reset})
    client = linear_client(server, no_sleep)
    client.post_json("graphql", {"query": "{ x }"})
    assert no_sleep == []  # nothing asked yet: no wait after the last answer
    client.post_json("graphql", {"query": "{ x }"})
    assert no_sleep == [pytest.approx(21.0, abs=1e-6)]


# -- pause(): the one way to wait --------------------------------------------------------------


def test_pause_sleeps_counts_and_says_why(server, no_sleep):
    client = client_for(server, no_sleep, max_pause=60)
    client.pause(2.5, "waiting for the mirror")
    client.pause(60, "the longest allowed")
    client.pause(-3, "nothing to wait for")
    assert no_sleep == [2.5, 60.0, 0.0]
    assert client.pauses == 3
    assert client.lines == ["waiting for the mirror: waiting 2.5 s",
                            "the longest allowed: waiting 60.0 s",
                            "nothing to wait for: waiting 0.0 s"]


def test_pause_beyond_max_pause_is_an_error_and_waits_nothing(server, no_sleep):
    client = client_for(server, no_sleep, max_pause=60)
    with pytest.raises(InputError, match="asks to wait 2 minutes, more than the 1 minutes") \
            as caught:
        client.pause(120, f"limit hit for {SECRET}")
    assert "--resume" in caught.value.hint
    assert no_sleep == [] and client.pauses == 0 and client.lines == []
    secret_free(str(caught.value))


def test_pause_waits_exactly_what_is_asked_up_to_max_pause():
    slept: list[float] = []
    # One client for every example (opening an HTTP client is slow).
    client = TrackerClient("http://127.0.0.1:9", auth_header={}, source="gitlab",
                           sleep=slept.append)

    @given(seconds=st.floats(min_value=0, max_value=1e4, allow_nan=False),
           max_pause=st.floats(min_value=0, max_value=1e4, allow_nan=False))
    def check(seconds, max_pause):
        slept.clear()
        client.max_pause, before = max_pause, client.pauses
        if seconds <= max_pause:
            client.pause(seconds, "why")
            assert slept == [seconds] and client.pauses == before + 1
        else:
            with pytest.raises(InputError):
                client.pause(seconds, "why")
            assert slept == [] and client.pauses == before

    try:
        check()
    finally:
        client.close()


def test_a_pause_that_outlasts_a_pending_reset_serves_it(server, no_sleep):
    server.json("GET", "/api/v4/x", [1], headers={"RateLimit-Remaining": "0",
                                                  "RateLimit-Reset": str(int(NOW) + 20)})
    long = client_for(server, no_sleep)
    long.get_json("x")
    long.pause(30, "something else")  # past the reset (+1 s): the next request need not wait
    server.json("GET", "/api/v4/y", [2])
    long.get_json("y")
    assert no_sleep == [30.0]
    short = client_for(server, no_sleep)
    short.get_json("x")
    short.pause(5, "something else")  # (the injected clock stands still: 21 s still to wait)
    short.get_json("y")
    assert no_sleep == [30.0, 5.0, pytest.approx(21.0, abs=1e-6)]


# -- the pulled file's header: a dict query round-trips (calibrate.pull._store) ---------------


def test_a_dict_query_round_trips_through_the_header(server, no_sleep, tmp_path):
    from calibrate.pull._store import PullState, partial_path, read_pulled

    out = tmp_path / "pulled.json"
    query = {"points_field": "Story points", "in_progress": ("In Progress", "Doing")}

    def state(**options):
        return PullState(out, source="github", base_url="https://api.github.com",
                         project="acme/app", query=query, key=lambda r: r["number"],
                         records_key="items", **options)

    first = state()
    first.add({"number": 1})
    first.advance("cursor-1")
    # An interrupted run's sidecar is taken up by --resume: its header compares equal.
    resumed = state(resume=True)
    assert resumed.resumed and resumed.cursor == "cursor-1" and resumed.has(1)
    client = client_for(server, no_sleep)
    resumed.finish(client)
    assert not partial_path(out).exists()
    header, payload = read_pulled(out)
    assert header["query"] == {"points_field": "Story points",
                               "in_progress": ["In Progress", "Doing"]}
    assert payload == {"items": [{"number": 1}]}
    # --since accepts the previous pull made with the same options ...
    assert state(since=True).since == header["pulled_at"]
    # ... and refuses one made with others.
    query["in_progress"] = ("Doing",)
    with pytest.raises(InputError, match="other settings"):
        state(since=True)


@given(st.integers(min_value=10**9, max_value=4 * 10**9))  # 2001 to 2096, in seconds
def test_a_reset_time_is_read_in_seconds_or_milliseconds(seconds):
    from calibrate.pull._http import _epoch

    assert _epoch(str(seconds)) == seconds
    assert _epoch(f" {seconds * 1000} ") == pytest.approx(seconds, abs=1e-6)
    assert _epoch("soon") is None and _epoch(None) is None

"""A local tracker for the pull tests, and a guard that keeps them off the network.

:class:`TrackerServer` is a real HTTP server on 127.0.0.1 (a port the system
picks) in a thread. A test registers routes: a method, a path (a string
matched exactly against the raw path, percent-escapes included, or a
compiled regex matched whole) and a handler called as ``handler(method,
path, query, headers, body)`` with the query as ``{name: value}`` (the last
value of a repeated name; ``query_lists`` on the record has them all), the
headers with lower-case names, and the body parsed as JSON (None when
empty, the raw bytes when not JSON). The handler returns ``(status, headers,
body)``; a dict or list body is sent as JSON, text as UTF-8, bytes as they
are. A ``Content-Length`` header the handler sets is sent as it is, so a body
shorter than it is a body cut short. A request no route matches gets a 404.
Every request is recorded (:attr:`TrackerServer.requests`).

The autouse fixture :func:`no_network` makes any HTTP request to another
host fail the test at once, points the proxy variables at a closed port
(for any other client), removes the trackers' token variables and gives the
test a home of its own (no ``~/.netrc`` of the developer's is read).

Test modules use the fixtures (``server``, ``secret``, ``no_sleep``) rather
than importing this module: pytest imports every ``conftest.py`` under the
one name ``conftest``. A module outside this folder (``tests/test_cli_pull.py``)
loads it by path and takes the fixtures it needs.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

#: The variables that hold trackers' credentials (cleared for every test).
TOKEN_VARIABLES = ("JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_TOKEN", "GITLAB_TOKEN",
                   "LINEAR_API_KEY", "GITHUB_TOKEN", "NETRC")
#: The token the tests use; no output, message or file may show it.
SECRET = "SECRET-TOKEN-123"

Handler = Callable[[str, str, dict, dict, Any], tuple]


@dataclass(frozen=True)
class Recorded:
    """One request the server received."""

    method: str
    path: str  # raw, percent-escapes kept
    query: dict[str, str]
    query_lists: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: Any


class TrackerServer:
    """A local HTTP server answering the routes a test registers.

    Attributes
    ----------
    url : str
        ``http://127.0.0.1:PORT``.
    requests : list of Recorded
        Every request received, in order.
    """

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._routes: list[tuple[str, str | re.Pattern, Handler]] = []
        self._lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the standard library's name
                server._answer(self)

            do_POST = do_GET  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(target=self._http.serve_forever,
                                        kwargs={"poll_interval": 0.01}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    # -- routes ------------------------------------------------------------------------------

    def route(self, method: str, path: str | re.Pattern, handler: Handler) -> None:
        """Answer ``method path`` with ``handler`` (later routes take precedence)."""
        self._routes.insert(0, (method.upper(), path, handler))

    def json(self, method: str, path: str | re.Pattern, body: Any, status: int = 200,
             headers: dict | None = None) -> None:
        """Answer ``method path`` with a fixed JSON body."""
        self.route(method, path, lambda *request: (status, headers or {}, body))

    def sequence(self, method: str, path: str | re.Pattern,
                 answers: Iterable[tuple]) -> None:
        """Answer ``method path`` with ``answers`` in turn, ``(status, headers,
        body)`` each, the last one repeated."""
        answers = list(answers)
        count = [0]

        def handler(*request: Any) -> tuple:
            answer = answers[min(count[0], len(answers) - 1)]
            count[0] += 1
            return answer

        self.route(method, path, handler)

    def paths(self, method: str | None = None) -> list[str]:
        """The paths requested (with ``method`` only), in order."""
        return [r.path for r in self.requests if method is None or r.method == method]

    # -- serving -----------------------------------------------------------------------------

    def _answer(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        lists = parse_qs(parts.query, keep_blank_values=True)
        headers = {name.lower(): value for name, value in request.headers.items()}
        length = int(headers.get("content-length") or 0)
        raw = request.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        record = Recorded(request.command, parts.path, {k: v[-1] for k, v in lists.items()},
                          lists, headers, body)
        with self._lock:
            self.requests.append(record)
        handler = self._find(request.command, parts.path)
        if handler is None:
            status, answer_headers, answer = 404, {}, {"message": "404 Not Found"}
        else:
            status, answer_headers, answer = handler(record.method, record.path, record.query,
                                                     record.headers, record.body)
        if isinstance(answer, bytes):
            data, kind = answer, "application/octet-stream"
        elif isinstance(answer, str):
            data, kind = answer.encode(), "text/plain; charset=utf-8"
        else:
            data, kind = json.dumps(answer).encode(), "application/json"
        names = {name.lower() for name in answer_headers}
        request.send_response(status)
        if "content-type" not in names:
            request.send_header("Content-Type", kind)
        if "content-length" not in names:
            request.send_header("Content-Length", str(len(data)))
        for name, value in answer_headers.items():
            request.send_header(name, str(value))
        request.send_header("Connection", "close")
        request.end_headers()
        request.wfile.write(data)
        request.wfile.flush()
        request.close_connection = True

    def _find(self, method: str, path: str) -> Handler | None:
        for route_method, pattern, handler in self._routes:
            if route_method != method:
                continue
            if isinstance(pattern, re.Pattern):
                if pattern.fullmatch(path):
                    return handler
            elif pattern == path:
                return handler
        return None


@pytest.fixture
def server():
    """A local tracker, closed after the test."""
    tracker = TrackerServer()
    yield tracker
    tracker.close()


class NetworkUsed(BaseException):  # noqa: N818 - not an Exception: no retry loop catches it
    """A test tried to reach a host other than the local server."""


@pytest.fixture(autouse=True)
def no_network(monkeypatch, tmp_path_factory):
    """Fail at once on any HTTP request to a non-local host; no real credentials."""
    original = httpx.HTTPTransport.handle_request

    def local_only(self, request):
        if request.url.host not in ("127.0.0.1", "localhost"):
            raise NetworkUsed(f"a test tried to reach {request.url.host}: tests stay local")
        return original(self, request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", local_only)
    dead = "http://127.0.0.1:9"  # the discard port: nothing listens
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                 "all_proxy"):
        monkeypatch.setenv(name, dead)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    for name in TOKEN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))


@pytest.fixture
def secret() -> str:
    """The token the tests set (:data:`SECRET`): no output, message or file may show it."""
    return SECRET


@pytest.fixture
def no_sleep():
    """A ``sleep`` that records the waits asked for and does not wait."""

    class Sleeps(list):
        def __call__(self, seconds: float) -> None:
            self.append(seconds)

    return Sleeps()

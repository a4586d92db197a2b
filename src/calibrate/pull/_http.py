"""The one HTTP client every ``calibrate pull`` source talks through.

:class:`TrackerClient` sends the requests of a download and deals with what
trackers answer besides data:

- Rate limits. A 429 (or 503) with ``Retry-After`` (seconds, or an HTTP
  date) waits that long and asks again. When GitLab's ``RateLimit-Remaining``,
  GitHub's ``x-ratelimit-remaining`` or Linear's
  ``X-RateLimit-Requests-Remaining`` reaches 0, the next request waits until
  the matching ``…-Reset`` time (a Unix time, in seconds or, as Linear sends
  it, milliseconds); a GitHub 403 or 429 with ``x-ratelimit-remaining: 0``
  waits the same way. Linear refuses a request over its limits with a
  GraphQL error whose ``extensions.code`` is ``RATELIMITED`` (HTTP 400; an
  HTTP 200 answer carrying it is treated alike): that waits until the reset
  of the budget used up (``X-RateLimit-Requests-Reset``, or
  ``X-RateLimit-Complexity-Reset`` when requests were left), else for
  ``Retry-After``, else backs off as for a failure that passes. Every wait
  goes through :meth:`TrackerClient.pause` and is bounded by ``max_pause``
  seconds: a longer one is an error that says when to try again
  (``--resume`` continues the download).
- Failures that pass. 500, 502, 503 and 504, a dropped connection, a
  timeout, a body cut short or not JSON: tried again up to ``max_retries``
  times after an exponential back-off with jitter (``sleep`` and ``seed``
  are injectable, so tests do not wait).
- Failures that do not. 401 and 403 name the environment variable whose
  token was rejected; 404 names the address (without its query); any other
  4xx quotes the tracker's own message.
- Redirects are followed only within the same host (a token is never sent
  elsewhere); a next-page link to another host is refused for the same
  reason.

Secrets: the token lives in the request headers only. It is never part of a
URL the client shows, a message it raises, a progress line, or its repr;
any text the client produces is scrubbed of the credential values as a last
guard. :func:`credentials` finds the token for a tracker from the
environment or ``~/.netrc`` and returns it as an :class:`AuthHeader` whose
repr hides it.
"""

from __future__ import annotations

import base64
import email.utils
import json
import netrc
import os
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from calibrate.errors import InputError

__all__ = ["AuthHeader", "JsonResponse", "Progress", "TrackerClient", "check_url", "credentials",
           "shown_url"]

#: Called with one line of progress (no newline), e.g. ``"page 3: 300 issues"``.
Progress = Callable[[str], None]

#: The variables each source reads its credentials from, in the order tried.
VARIABLES = {
    "jira": ("JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_TOKEN"),
    "gitlab": ("GITLAB_TOKEN",),
    "linear": ("LINEAR_API_KEY",),
    "github": ("GITHUB_TOKEN",),
}

_RETRIED_STATUSES = frozenset({500, 502, 503, 504})
#: The remaining/reset headers of a rate limit, by tracker: GitLab, GitHub, Linear.
_LIMIT_HEADERS = (("ratelimit-remaining", "ratelimit-reset"),
                  ("x-ratelimit-remaining", "x-ratelimit-reset"),
                  ("x-ratelimit-requests-remaining", "x-ratelimit-requests-reset"))
#: Rate-limit waits one request may take before it is an error.
_MAX_RATE_LIMIT_WAITS = 10
_USER_AGENT = "calibrate-pull (+https://pypi.org/project/calibrate)"
_NEXT_LINK = re.compile(r'<([^>]*)>\s*;[^,]*\brel="?next"?', re.IGNORECASE)


class AuthHeader(dict):
    """Request headers that carry a credential, and where it came from.

    A ``dict`` of header names to values whose repr shows the names only,
    so that printing it (a log line, a debugger, a traceback's locals in a
    bug report) does not show the token.

    Attributes
    ----------
    origin : str
        What the credential was read from, for messages: an environment
        variable (``"GITLAB_TOKEN"``) or ``"~/.netrc (machine HOST)"``.
    remedy : str
        What to set to replace a rejected credential.

    Examples
    --------
    >>> from calibrate.pull._http import AuthHeader
    >>> AuthHeader({"PRIVATE-TOKEN": "glpat-123"}, origin="GITLAB_TOKEN")
    AuthHeader(PRIVATE-TOKEN=***, origin='GITLAB_TOKEN')
    """

    def __init__(self, headers: Mapping[str, str], *, origin: str,
                 remedy: str | None = None) -> None:
        super().__init__(headers)
        self.origin = origin
        self.remedy = remedy or f"set {origin} to a valid token"

    def __repr__(self) -> str:
        names = ", ".join(f"{name}=***" for name in self)
        return f"AuthHeader({names}, origin={self.origin!r})"

    __str__ = __repr__


def credentials(source: str, host: str, *, environ: Mapping[str, str] | None = None,
                netrc_path: str | os.PathLike | None = None) -> AuthHeader:
    """The request headers that authenticate to ``source`` at ``host``.

    From environment variables first, else from the ``~/.netrc`` entry for
    ``host``:

    ===========  ==========================================  ==================
    source       variables                                   header
    ===========  ==========================================  ==================
    ``jira``     ``JIRA_EMAIL`` + ``JIRA_API_TOKEN`` (Cloud)  Basic
    ``jira``     ``JIRA_TOKEN`` (Data Center access token)   Bearer
    ``gitlab``   ``GITLAB_TOKEN``                            ``PRIVATE-TOKEN``
    ``linear``   ``LINEAR_API_KEY``                          ``Authorization``
    ``github``   ``GITHUB_TOKEN``                            Bearer
    ===========  ==========================================  ==================

    For Jira on ``*.atlassian.net`` the e-mail and API token are tried
    first, elsewhere the access token. A ``~/.netrc`` entry's login and
    password are Basic credentials for Jira and its password the token for
    the others.

    Parameters
    ----------
    source : str
        ``"jira"``, ``"gitlab"``, ``"linear"`` or ``"github"``.
    host : str
        The tracker's host name (for ``~/.netrc`` and the Jira order).
    environ : mapping, optional
        The environment (default :data:`os.environ`).
    netrc_path : path, optional
        The netrc file (default ``~/.netrc``).

    Raises
    ------
    InputError
        When no credential is found: the message names the variables to set.

    Examples
    --------
    >>> from calibrate.pull._http import credentials
    >>> credentials("gitlab", "gitlab.com", environ={"GITLAB_TOKEN": "glpat-123"})
    AuthHeader(PRIVATE-TOKEN=***, origin='GITLAB_TOKEN')
    """
    if source not in VARIABLES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(VARIABLES)}")
    environ = os.environ if environ is None else environ

    def variable(name: str) -> str | None:
        value = environ.get(name, "").strip()
        return value or None

    if source == "jira":
        email, api_token, access_token = (variable(name) for name in VARIABLES["jira"])
        found = []
        if email and api_token:
            found.append(AuthHeader({"Authorization": _basic(email, api_token)},
                                    origin="JIRA_API_TOKEN",
                                    remedy="set JIRA_EMAIL and JIRA_API_TOKEN to your Atlassian "
                                           "e-mail and a valid API token"))
        if access_token:
            found.append(AuthHeader({"Authorization": f"Bearer {access_token}"},
                                    origin="JIRA_TOKEN"))
        if found:
            cloud = host.lower().endswith(".atlassian.net")
            return found[0] if cloud or len(found) == 1 else found[1]
    else:
        (name,) = VARIABLES[source]
        token = variable(name)
        if token:
            return _header(source, token, origin=name)
    entry = _netrc_entry(host, netrc_path)
    if entry is not None:
        login, password = entry
        origin = f"~/.netrc (machine {host})"
        remedy = f"correct the password of machine {host} in ~/.netrc, or set " \
                 + _wanted(source)
        if source == "jira":
            return AuthHeader({"Authorization": _basic(login or "", password)}, origin=origin,
                              remedy=remedy)
        return AuthHeader(_header(source, password, origin=origin), origin=origin,
                          remedy=remedy)
    raise InputError(
        f"no {source} credentials: set {_wanted(source)}",
        hint=_CREDENTIAL_HINTS[source] + f" A ~/.netrc entry for machine {host} works too.",
    )


_CREDENTIAL_HINTS = {
    "jira": "Jira Cloud: create an API token at id.atlassian.com (Security > API tokens) and "
            "set JIRA_EMAIL and JIRA_API_TOKEN. Data Center: create a personal access token "
            "(profile > Personal Access Tokens) and set JIRA_TOKEN.",
    "gitlab": "Create a personal access token with the read_api scope (User settings > Access "
              "tokens) and set GITLAB_TOKEN.",
    "linear": "Create a personal API key (Settings > Account > Security & access) and set "
              "LINEAR_API_KEY.",
    "github": "Create a token that can read the repository's issues (Settings > Developer "
              "settings > Personal access tokens), or use `gh auth token`, and set "
              "GITHUB_TOKEN.",
}


def _wanted(source: str) -> str:
    if source == "jira":
        return "JIRA_EMAIL and JIRA_API_TOKEN (Jira Cloud) or JIRA_TOKEN (Data Center)"
    return VARIABLES[source][0]


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _header(source: str, token: str, *, origin: str) -> AuthHeader:
    if source == "gitlab":
        return AuthHeader({"PRIVATE-TOKEN": token}, origin=origin)
    if source == "linear":  # a personal API key goes as it is, without "Bearer"
        return AuthHeader({"Authorization": token}, origin=origin)
    return AuthHeader({"Authorization": f"Bearer {token}"}, origin=origin)


def _netrc_entry(host: str, path: str | os.PathLike | None) -> tuple[str, str] | None:
    """``(login, password)`` of ``host`` in the netrc file, or None."""
    try:
        entries = netrc.netrc(os.fspath(path) if path is not None else None)
    except FileNotFoundError:
        return None
    except (netrc.NetrcParseError, OSError) as error:
        # (The parse error quotes the file's line, which may hold a password.)
        where = getattr(error, "filename", None) or "~/.netrc"
        raise InputError(f"{where} cannot be read: line {getattr(error, 'lineno', '?')} is "
                         "not a netrc entry",
                         hint="Fix the file, or set the token's environment variable.") \
            from None
    found = entries.authenticators(host)
    if found is None or not found[2]:
        return None
    return found[0], found[2]


def check_url(url: str) -> str:
    """An http(s) URL given by the user, as :func:`shown_url` shows it (no
    trailing ``/``).

    Raises
    ------
    InputError
        If it is not an http or https URL with a host.

    Examples
    --------
    >>> from calibrate.pull._http import check_url
    >>> check_url("https://gitlab.example.com/")
    'https://gitlab.example.com'
    """
    parts = urlsplit(str(url).strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{shown_url(url) or str(url)!r} is not an http(s) URL",
                         hint="Give the tracker's address with its scheme, e.g. "
                              "https://gitlab.example.com.")
    return shown_url(str(url).strip()).rstrip("/")


def shown_url(url: str) -> str:
    """A URL as messages show it: without user name, password, query or fragment.

    Examples
    --------
    >>> from calibrate.pull._http import shown_url
    >>> shown_url("https://me:secret@gitlab.example.com/api/v4/projects?private_token=x")
    'https://gitlab.example.com/api/v4/projects'
    """
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


@dataclass(frozen=True)
class JsonResponse:
    """A tracker's answer: the parsed body, the headers, and where it came from.

    Attributes
    ----------
    data : object
        The JSON body, parsed.
    headers : Mapping
        The response headers (names case-insensitive).
    url : str
        The URL asked, query included (no credential is ever in it).
    """

    data: Any
    headers: Mapping[str, str]
    url: str

    @property
    def next_url(self) -> str | None:
        """The next page: the ``Link`` header's ``rel="next"`` (GitLab,
        GitHub), else GitLab's ``X-Next-Page`` applied to this URL; None on
        the last page."""
        link = self.headers.get("link")
        if link:
            match = _NEXT_LINK.search(link)
            if match:
                return urljoin(self.url, match.group(1))
            return None
        page = (self.headers.get("x-next-page") or "").strip()
        if page:
            url = httpx.URL(self.url)
            return str(url.copy_set_param("page", page))
        return None


class TrackerClient:
    """HTTP client for one tracker: JSON requests with retries, rate-limit
    pauses and clear errors.

    Parameters
    ----------
    base_url : str
        The API's root, e.g. ``https://gitlab.com/api/v4``; paths are
        relative to it, and only URLs on its host are ever requested.
    auth_header : mapping
        Headers that authenticate (from :func:`credentials`). Sent with
        every request, shown nowhere.
    source : str
        The tracker (``"gitlab"`` ...), for messages.
    progress : callable, optional
        ``progress(line)``, told about every pause and retry.
    max_retries : int
        How many times a failure that may pass (5xx, a lost connection, a
        body cut short) is tried again before it is an error.
    timeout : float
        Seconds to wait for a connection or a response.
    sleep : callable
        ``sleep(seconds)``; tests inject one that does not wait.
    max_pause : float
        The longest single wait (rate limit or back-off), in seconds.
    seed : int, optional
        Seed of the back-off's jitter.
    clock : callable
        The current Unix time (for rate-limit reset times).

    Attributes
    ----------
    requests : int
        Requests sent so far (retries included).
    pauses : int
        Waits so far: rate-limit pauses and back-offs.

    Examples
    --------
    >>> from calibrate.pull._http import TrackerClient
    >>> client = TrackerClient("https://gitlab.example.com/api/v4",
    ...                        auth_header={"PRIVATE-TOKEN": "secret"}, source="gitlab")
    >>> client
    TrackerClient('https://gitlab.example.com/api/v4', source='gitlab')
    >>> client.close()
    """

    def __init__(self, base_url: str, *, auth_header: Mapping[str, str], source: str,
                 progress: Progress | None = None, max_retries: int = 5,
                 timeout: float = 30, sleep: Callable[[float], None] = time.sleep,
                 max_pause: float = 900.0, seed: int | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.base_url = check_url(base_url)
        self.source = source
        self.progress = progress or (lambda line: None)
        self.max_retries = max_retries
        self.max_pause = max_pause
        self.requests = 0
        self.pauses = 0
        self._sleep = sleep
        self._clock = clock
        self._random = random.Random(seed)
        self._origin = _origin(self.base_url)
        self._auth = auth_header
        self._secrets = _secrets(auth_header)
        self._resume_at: float | None = None  # a rate limit reached: wait before the next
        self._http = httpx.Client(
            headers={"Accept": "application/json", "User-Agent": _USER_AGENT},
            timeout=timeout, follow_redirects=False)

    def __repr__(self) -> str:
        return f"TrackerClient({self.base_url!r}, source={self.source!r})"

    def __enter__(self) -> TrackerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    @property
    def host(self) -> str:
        """The tracker's host name."""
        return urlsplit(self.base_url).hostname or ""

    def url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        """The absolute URL of ``path`` (relative to ``base_url``, or absolute
        on its host) with ``params`` added to its query."""
        if path.startswith(("http://", "https://")):
            url = httpx.URL(path)
        else:
            url = httpx.URL(self.base_url + "/" + path.lstrip("/"))
        if params:
            url = url.copy_merge_params({k: v for k, v in params.items() if v is not None})
        return str(url)

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> JsonResponse:
        """GET ``path`` (relative to ``base_url``, or a URL on its host, such
        as a next-page link) and parse the JSON answer.

        Raises
        ------
        InputError
            On a rejected credential, a missing resource, a rate-limit wait
            beyond ``max_pause``, or a failure that outlasted the retries.
        """
        return self._request("GET", self.url(path, params))

    def post_json(self, path: str, body: Any) -> JsonResponse:
        """POST ``body`` as JSON to ``path`` (GraphQL) and parse the JSON answer.

        Raises
        ------
        InputError
            As :meth:`get_json`.
        """
        return self._request("POST", self.url(path), body)

    def pages(self, path: str, params: Mapping[str, Any] | None = None, *,
              start: str | None = None) -> Iterator[JsonResponse]:
        """Every page of a paginated GET, following ``Link: rel="next"`` (or
        ``X-Next-Page``) until the last.

        ``start`` is a next-page URL to begin with instead (a resumed
        download); each page's :attr:`JsonResponse.next_url` is where the
        following one starts.
        """
        url: str | None = start or self.url(path, params)
        while url is not None:
            page = self._request("GET", url)
            yield page
            url = page.next_url

    # -- the request loop ------------------------------------------------------------------

    def pause(self, seconds: float, why: str) -> None:
        """Wait ``seconds`` (a rate limit, a back-off), telling ``progress`` why.

        The one way the client and the sources wait: counted in
        :attr:`pauses`, slept with the injected ``sleep``, and bounded by
        ``max_pause``. A wait that outlasts a pending rate-limit reset also
        serves it, so the next request does not wait again.

        Parameters
        ----------
        seconds : float
            How long; a negative value waits nothing (still a pause).
        why : str
            What is waited for, for the progress line (``"rate limit of
            api.linear.app used up"``); it is scrubbed of the credential.

        Raises
        ------
        InputError
            If ``seconds`` is more than ``max_pause``: the message says how
            long the server asks to wait and to continue later with
            ``--resume``. Nothing is slept then.

        Examples
        --------
        >>> from calibrate.pull._http import TrackerClient
        >>> waited = []
        >>> client = TrackerClient("https://gitlab.example.com/api/v4", auth_header={},
        ...                        source="gitlab", sleep=waited.append, progress=print)
        >>> client.pause(2.5, "rate limit of gitlab.example.com used up")
        rate limit of gitlab.example.com used up: waiting 2.5 s
        >>> waited, client.pauses
        ([2.5], 1)
        >>> client.close()
        """
        seconds = float(seconds)
        seconds = seconds if seconds > 0 else 0.0  # (also NaN: nothing to wait for)
        if seconds > self.max_pause:
            minutes = seconds / 60
            raise self._error(
                f"{why}: the server asks to wait {minutes:.0f} minutes, more than the "
                f"{self.max_pause / 60:.0f} minutes calibrate waits",
                hint="Run the same command again later with --resume to continue where the "
                     "download stopped.")
        until = self._clock() + seconds
        self.pauses += 1
        self.progress(self._scrub(f"{why}: waiting {seconds:.1f} s"))
        self._sleep(seconds)
        if self._resume_at is not None and self._resume_at <= until:
            self._resume_at = None

    def _request(self, method: str, url: str, body: Any = None) -> JsonResponse:
        self._check_origin(url)
        failures = redirects = limited = 0
        while True:
            self._wait_for_rate_limit()
            self.requests += 1
            try:
                response = self._http.request(method, url, headers=dict(self._auth),
                                              json=body if method == "POST" else None)
                content = response.content  # read whole: a cut body raises here
            except httpx.TransportError as error:
                failures += 1
                self._retry_or_fail(failures, url, _transport_reason(error))
                continue
            status = response.status_code
            self._note_rate_limit(response)
            if status in (301, 302, 303, 307, 308) and "location" in response.headers:
                redirects += 1
                target = urljoin(url, response.headers["location"])
                if _origin(target) != self._origin or redirects > 5:
                    raise self._error(
                        f"{shown_url(url)} redirects to {shown_url(target)}, another host: "
                        "calibrate does not send your token there",
                        hint=f"Give --url {_origin(target)} if that is the tracker's address.")
                url = target
                if status == 303:
                    method, body = "GET", None
                continue
            data: Any = None
            invalid: ValueError | None = None
            if status <= 400:  # (a 400 may be Linear's rate limit)
                try:
                    data = json.loads(content) if content.strip() else None
                except (json.JSONDecodeError, UnicodeDecodeError) as error:
                    invalid = error
            graphql_limited = _graphql_rate_limited(data)
            answer = f"HTTP {status}" + (" RATELIMITED" if graphql_limited else "")
            wait = self._rate_limit_wait(response, graphql_limited)
            if wait is not None:
                limited += 1
                if limited > _MAX_RATE_LIMIT_WAITS:
                    raise self._error(
                        f"{self.host} still refuses {shown_url(url)} for its rate limit "
                        f"after {_MAX_RATE_LIMIT_WAITS} waits ({answer})",
                        hint="Try again later with --resume to continue where the download "
                             "stopped.")
                self.pause(wait, f"rate limit of {self.host} reached ({answer})")
                continue
            if status in _RETRIED_STATUSES or status == 429 or graphql_limited:
                failures += 1
                self._retry_or_fail(failures, url, answer)
                continue
            if status >= 400:
                raise self._status_error(response, url)
            if invalid is not None:
                failures += 1
                reason = f"the answer is not valid JSON ({_json_reason(invalid)})"
                self._retry_or_fail(failures, url, reason)
                continue
            return JsonResponse(data, response.headers, url)

    def _check_origin(self, url: str) -> None:
        if _origin(url) != self._origin:
            raise self._error(
                f"the {self.source} API at {self.base_url} pointed to {shown_url(url)}, on "
                "another host: calibrate does not send your token there",
                hint="Check --url: it should be the tracker's own address.")

    def _retry_or_fail(self, failures: int, url: str, reason: str) -> None:
        if failures > self.max_retries:
            raise self._error(
                f"{shown_url(url)} failed {failures} times: {reason}",
                hint=f"The {self.source} server or the network is having trouble; try again "
                     "later with --resume to continue where the download stopped.")
        # Exponential back-off with full jitter, 1 s, 2 s, 4 s ... at most a minute.
        delay = min(60.0, 2.0 ** (failures - 1)) * (0.5 + 0.5 * self._random.random())
        self.pause(delay, f"{reason} from {shown_url(url)}; trying again "
                          f"({failures} of {self.max_retries})")

    # -- rate limits ----------------------------------------------------------------------

    def _rate_limit_wait(self, response: httpx.Response,
                         graphql_limited: bool = False) -> float | None:
        """Seconds to wait before asking again, when the answer says how long
        (a 429 or 503 with ``Retry-After``; a 429, or GitHub's 403, with the
        rate limit used up and its reset time; Linear's ``RATELIMITED`` with
        its reset time or ``Retry-After``); None otherwise."""
        status, headers = response.status_code, response.headers
        if graphql_limited:
            reset = _graphql_reset(headers)
            if reset is not None:
                return max(0.0, reset - self._clock()) + 1.0
            return _retry_after(headers.get("retry-after"), self._clock())
        if status not in (403, 429, 503):
            return None
        after = _retry_after(headers.get("retry-after"), self._clock())
        if after is not None:
            return after
        reset = _reset(headers)
        if status != 503 and _remaining(headers) == 0 and reset is not None:
            return max(0.0, reset - self._clock()) + 1.0
        return None

    def _note_rate_limit(self, response: httpx.Response) -> None:
        """Remember to wait for the reset when this answer used the last request."""
        if response.status_code < 400 and _remaining(response.headers) == 0:
            reset = _reset(response.headers)
            if reset is not None:
                self._resume_at = reset + 1.0

    def _wait_for_rate_limit(self) -> None:
        if self._resume_at is None:
            return
        wait = self._resume_at - self._clock()
        self._resume_at = None
        if wait > 0:
            self.pause(wait, f"rate limit of {self.host} used up")

    # -- errors ---------------------------------------------------------------------------

    def _status_error(self, response: httpx.Response, url: str) -> InputError:
        status = response.status_code
        remedy = getattr(self._auth, "remedy", None) or f"set {_wanted(self.source)} to a " \
                                                         "valid token"
        origin = getattr(self._auth, "origin", None) or _wanted(self.source)
        if status == 401:
            return self._error(f"the token in {origin} was rejected (HTTP 401) by {self.host}",
                               hint=f"{remedy[0].upper()}{remedy[1:]}.")
        if status == 403:
            return self._error(
                f"the token in {origin} was refused access (HTTP 403) by {self.host} to "
                f"{shown_url(url)}",
                hint=f"{remedy[0].upper()}{remedy[1:]} that can read this project "
                     "(a token's scopes or the project's permissions may not allow it).")
        message = _server_message(response)
        if status == 404:
            return self._error(f"not found: {shown_url(url)} (HTTP 404)"
                               + (f": {message}" if message else ""),
                               hint="Check --url and the project, team or repository named "
                                    "(and that the token can see it: some trackers answer "
                                    "404 to hide what a token may not read).")
        return self._error(f"{self.host} answered HTTP {status} to {shown_url(url)}"
                           + (f": {message}" if message else ""),
                           hint="Check the options given (a query the tracker refuses, an "
                                "unknown field).")

    def _error(self, summary: str, hint: str | None = None) -> InputError:
        return InputError(self._scrub(summary), hint=self._scrub(hint) if hint else None)

    def _scrub(self, text: str) -> str:
        """``text`` without any credential value (a last guard: a server may
        echo a header back in its message)."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _origin(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def _secrets(auth: Mapping[str, str]) -> list[str]:
    """Every form a credential could be shown in: the header values, the
    token after ``Bearer``/``Basic``, and what a Basic value decodes to."""
    found: set[str] = set()
    for value in auth.values():
        value = str(value)
        found.add(value)
        scheme, _, rest = value.partition(" ")
        if rest:
            found.add(rest)
            if scheme.lower() == "basic":
                try:
                    decoded = base64.b64decode(rest).decode()
                except ValueError:
                    continue
                found.update(part for part in decoded.split(":", 1) if len(part) >= 6)
                found.add(decoded)
    # Longest first: a token inside a header value is replaced as a whole.
    return sorted((s for s in found if len(s) >= 4), key=len, reverse=True)


def _remaining(headers: Mapping[str, str]) -> int | None:
    """Requests left in the rate limit (GitLab ``RateLimit-Remaining``, GitHub
    ``x-ratelimit-remaining``, Linear ``X-RateLimit-Requests-Remaining``)."""
    for remaining, _ in _LIMIT_HEADERS:
        value = headers.get(remaining)
        if value is not None:
            return _count(value)
    return None


def _count(value: str | None) -> int | None:
    try:
        return int(value.strip()) if value is not None else None
    except ValueError:
        return None


def _reset(headers: Mapping[str, str]) -> float | None:
    """The Unix time the rate limit resets (GitLab ``RateLimit-Reset``,
    GitHub ``x-ratelimit-reset``, Linear ``X-RateLimit-Requests-Reset``),
    from the tracker whose remaining count is given."""
    for remaining, reset in _LIMIT_HEADERS:
        if headers.get(remaining) is not None or headers.get(reset) is not None:
            return _epoch(headers.get(reset))
    return None


def _epoch(value: str | None) -> float | None:
    """A Unix time in seconds from a header in seconds or, above 1e11 (the
    year 5138 in seconds, 1973 in milliseconds), in milliseconds as Linear sends it."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if number != number:  # NaN
        return None
    return number / 1000 if number > 1e11 else number


def _graphql_rate_limited(data: Any) -> bool:
    """Whether a GraphQL answer is Linear's refusal for its rate limit: an
    error whose ``extensions.code`` is ``RATELIMITED``."""
    errors = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(errors, list):
        return False
    return any(isinstance(error, dict) and isinstance(error.get("extensions"), dict)
               and str(error["extensions"].get("code", "")).upper() == "RATELIMITED"
               for error in errors)


def _graphql_reset(headers: Mapping[str, str]) -> float | None:
    """When Linear's budget that refused a request resets: the requests
    budget's, or the complexity budget's when requests were left."""
    requests_left = _count(headers.get("x-ratelimit-requests-remaining"))
    complexity = _epoch(headers.get("x-ratelimit-complexity-reset"))
    if requests_left is not None and requests_left > 0 and complexity is not None:
        return complexity
    return _epoch(headers.get("x-ratelimit-requests-reset"))


def _retry_after(value: str | None, now: float) -> float | None:
    """Seconds from ``Retry-After``: a number of seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def _transport_reason(error: httpx.TransportError) -> str:
    if isinstance(error, httpx.TimeoutException):
        return "no answer in time"
    if isinstance(error, httpx.RemoteProtocolError):
        return "the connection closed before the answer was complete"
    if isinstance(error, httpx.ConnectError):
        return "cannot connect"
    return f"network error ({type(error).__name__})"


def _json_reason(error: ValueError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at character {error.pos}"
    return "not UTF-8 text"


def _server_message(response: httpx.Response) -> str:
    """The tracker's own words about an error, shortly (Jira's
    ``errorMessages``, GitLab's ``message``/``error``, GitHub's ``message``)."""
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        return ""
    parts: list[str] = []
    if isinstance(data, dict):
        for key in ("errorMessages", "message", "error", "errors"):
            value = data.get(key)
            if isinstance(value, list):
                parts += [str(item.get("message", item)) if isinstance(item, dict) else str(item)
                          for item in value]
            elif isinstance(value, dict):
                parts += [f"{k}: {v}" for k, v in value.items()]
            elif value:
                parts.append(str(value))
    text = "; ".join(part for part in parts if part)
    return text if len(text) <= 300 else text[:297] + "..."

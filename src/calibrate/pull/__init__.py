"""``calibrate pull``: a team's ticket history from a tracker's API, saved for its reader.

One function per tracker writes a JSON file that the matching reader reads
(:func:`calibrate.read_export` recognises it), so that durations can be
measured from the start of work (cycle time) instead of creation:

=====================  ================================  =====================
function               tracker and API                   read back by
=====================  ================================  =====================
:func:`pull_jira`      Jira Cloud (REST v3) and Data     ``jira_json``
                       Center (REST v2), with changelogs
:func:`pull_gitlab`    GitLab REST v4, with label and    ``gitlab_json``
                       state events
``pull_linear``        Linear GraphQL                    ``linear_json``
``pull_github``        GitHub REST, with timelines       ``github_json``
=====================  ================================  =====================

Each returns a :class:`PullResult`. Credentials come from environment
variables or ``~/.netrc`` (:func:`~calibrate.pull._http.credentials`) and
are never written anywhere. The network is used by this package only.
"""

from __future__ import annotations

import importlib
from typing import Any

from calibrate.pull._store import PullResult
from calibrate.pull.gitlab import pull_gitlab
from calibrate.pull.jira import pull_jira

__all__ = ["PullResult", "pull_github", "pull_gitlab", "pull_jira", "pull_linear"]


def __getattr__(name: str) -> Any:
    # The Linear and GitHub modules are imported when first asked for.
    if name in ("pull_linear", "pull_github"):
        module = importlib.import_module(f"calibrate.pull.{name.removeprefix('pull_')}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""GitHub issues JSON reader: real-shaped fixtures, hand-computed lead times.

GitHub records no start of work, so every duration is lead time, created_at
to closed_at (UTC), in working days on the default calendar (Mon-Fri, UTC):
whole working days from the creation day up to the close day, minus the part
of the creation day before the creation, plus the part of the close day
before the close.
"""

from __future__ import annotations

import tempfile

import numpy as np
import pandas as pd
import pytest
from _descriptions import check_nowhere, read_classified
from _helpers import FIXTURES, HOUR, check_accounting, row, write_json
from hypothesis import given, settings
from hypothesis import strategies as st

from calibrate.config import Config, config_from_dict
from calibrate.errors import InputError
from calibrate.io import detect_format, read_export
from calibrate.io.github_json import looks_like_github_json, read_github_json

ISSUES = FIXTURES / "github_issues.json"  # gh api --paginate --slurp: a list of two pages
PAGES = FIXTURES / "github_paginate_pages.json"  # gh api --paginate: two arrays back to back
CLI = FIXTURES / "github_cli_issue_list.json"  # gh issue list --json ...
AS_OF = "2024-05-17 12:00"  # a Friday, UTC
SIZES = Config(points_scale={"s": 2.0, "m": 3.0, "l": 5.0})


@pytest.fixture(scope="module")
def table():
    return read_github_json(ISSUES, config=SIZES, as_of=AS_OF)


def _write(directory, data):
    return write_json(directory, data, "issues.json")


def _issue(number, *, state="closed", reason="completed", created="2024-05-06T08:00:00Z",
           closed="2024-05-07T08:00:00Z", labels=("points: 2",), assignees=("ann",),
           repository="acme/ml"):
    return {
        "url": f"https://api.github.com/repos/{repository}/issues/{number}",
        "repository_url": f"https://api.github.com/repos/{repository}",
        "html_url": f"https://github.com/{repository}/issues/{number}",
        "number": number,
        "title": f"Issue {number}",
        "state": state,
        "state_reason": reason,
        "labels": [{"name": name} for name in labels],
        "assignee": {"login": assignees[0]} if assignees else None,
        "assignees": [{"login": login} for login in assignees],
        "milestone": None,
        "created_at": created,
        "updated_at": closed or created,
        "closed_at": closed if state == "closed" else None,
    }


# ---------------------------------------------------------------- detection and shapes


@pytest.mark.parametrize("path", [ISSUES, CLI])
def test_detect_format(path):
    assert detect_format(path) == "github_json"


def test_looks_like_github_json_accepts_every_saved_shape():
    issue = {"number": 7, "state": "open", "created_at": "2024-05-14T08:53:33Z"}
    assert looks_like_github_json([issue])
    assert looks_like_github_json([[issue], [issue]])
    assert looks_like_github_json({"total_count": 1, "incomplete_results": False,
                                   "items": [issue]})
    assert looks_like_github_json([{"number": 7, "state": "OPEN",
                                    "createdAt": "2024-05-14T08:53:33Z"}])


@pytest.mark.parametrize("data", [
    [], [[]], {}, "text", None,
    {"startAt": 0, "issues": [{"key": "ML-1", "fields": {}}]},
    [{"key": "ML-1", "fields": {}}],
    [{"number": 7}],
])
def test_looks_like_github_json_rejects_other_json(data):
    assert not looks_like_github_json(data)


def test_read_export_dispatches_to_the_reader():
    result = read_export(ISSUES, as_of=AS_OF)
    assert result.source_format == "github_json"
    check_accounting(result)


# ---------------------------------------------------------------- accounting and exclusions


def test_row_accounting(table):
    assert table.rows_read == 13
    check_accounting(table)
    assert list(table.tickets["ticket_id"]) == ["#11", "#12", "#14", "#19", "#20", "#23"]


def test_exact_reason_per_excluded_issue(table):
    got = {row.ticket_id: (row.reason, row.detail) for row in table.excluded.itertuples()}
    assert got == {
        "#13": ("not finished work", "closed as not_planned"),
        "#15": ("not started", "open, status open"),
        "#16": ("not finished work", "pull request, not an issue"),
        "#17": ("unassigned", "no assignee"),
        "#18": ("no points", "estimate is empty"),
        "#21": ("unparseable date", "column 'closed_at': '2024-05-16T25:00:00Z' is not a date "
                                    "in the column's format (ISO 8601)"),
        "#22": ("not finished work", "closed as duplicate"),
    }


def test_sizes_without_a_scale_are_invalid_points():
    result = read_github_json(ISSUES, as_of=AS_OF)
    found = row(result.excluded, "#12")
    assert found["reason"] == "invalid points"
    assert "'M'" in found["detail"]
    check_accounting(result)


def test_source_row_counts_across_pages(table):
    # Page 1 holds #11..#17 (records 1-7), page 2 #18..#23 (records 8-13).
    assert row(table.excluded, "#18")["source_row"] == 8
    assert row(table.tickets, "#23")["source_row"] == 13


# ---------------------------------------------------------------- durations


@pytest.mark.parametrize(("ticket", "expected"), [
    # Mon 6 May 08:00 to Wed 8 May 20:00: Mon, Tue = 2; 2 - 8/24 + 20/24
    ("#11", 2 - 8 * HOUR + 20 * HOUR),
    # Tue 7 May 09:00 to Fri 10 May 15:00: Tue, Wed, Thu = 3; 3 - 9/24 + 15/24
    ("#12", 3 - 9 * HOUR + 15 * HOUR),
    # Open, "in progress" label: Mon 13 May 10:00 to the as-of Fri 17 May 12:00:
    # Mon..Thu = 4; 4 - 10/24 + 12/24
    ("#14", 4 - 10 * HOUR + 12 * HOUR),
    # Thu 9 May 13:00 to Tue 14 May 10:00: Thu, Fri, Mon = 3; 3 - 13/24 + 10/24
    ("#19", 3 - 13 * HOUR + 10 * HOUR),
    # Fri 10 May 16:00 to Mon 13 May 08:00 (the weekend does not count): 1 - 16/24 + 8/24
    ("#20", 1 - 16 * HOUR + 8 * HOUR),
    # Open, "status: In Progress" label: Wed 15 May 09:00 to Fri 17 May 12:00:
    # 2 - 9/24 + 12/24
    ("#23", 2 - 9 * HOUR + 12 * HOUR),
])
def test_hand_computed_lead_times(table, ticket, expected):
    found = row(table.tickets, ticket)
    assert found["clock"] == "lead"
    assert found["started_at"] == found["created_at"]
    np.testing.assert_allclose(found["duration_days"], expected, rtol=0, atol=1e-9)


def test_open_issues_with_an_in_progress_label_are_censored(table):
    censored = table.tickets[table.tickets["censored"]]
    assert list(censored["ticket_id"]) == ["#14", "#23"]
    assert censored["finished_at"].isna().all()


def test_default_as_of_is_the_latest_time_in_the_file():
    # #23 was updated 2024-05-17T09:30:00Z.
    assert read_github_json(ISSUES, config=SIZES).as_of == pd.Timestamp("2024-05-17 09:30")


# ---------------------------------------------------------------- points and fields


@pytest.mark.parametrize(("ticket", "points"), [
    ("#11", 3.0),  # "points: 3"
    ("#12", 3.0),  # "size: M" through [points] scale
    ("#14", 2.0),  # "2 pts"
    ("#19", 5.0),  # "estimate: 5"
    ("#20", 8.0),  # top-level "points": 8 wins over the label "points/5"
    ("#23", 3.0),  # plain-string label "3 points"
])
def test_points_from_fields_and_labels(table, ticket, points):
    assert row(table.tickets, ticket)["points"] == pytest.approx(points, rel=0, abs=0)


def test_fields(table):
    found = row(table.tickets, "#19")
    assert found["engineer"] == "bnovak"  # first of two assignees
    assert found["epic"] == "Q2 Pipelines"
    assert found["labels"] == "estimate: 5; ml-engineering"
    assert found["title"] == "Backfill click logs"
    assert found["status"] == "closed"
    assert not found["repointed"]
    assert row(table.tickets, "#12")["issue_type"] == "Task"
    assert any("1 issues have several assignees" in note for note in table.notes)


def test_areas_from_labels():
    config = config_from_dict({"areas": {"rules": [
        {"area": "research", "patterns": ["research"]},
        {"area": "ml-engineering", "patterns": ["ml-engineering"]}]}})
    result = read_github_json(ISSUES, config=config.with_changes(points_scale={"m": 3.0}),
                              as_of=AS_OF)
    areas = dict(zip(result.tickets["ticket_id"], result.tickets["area"], strict=True))
    assert areas == {"#11": "research", "#12": "ml-engineering", "#14": "general",
                     "#19": "ml-engineering", "#20": "ml-engineering", "#23": "research"}


@pytest.mark.parametrize(("label", "points"), [
    ("points: 3", 3.0), ("Points/3", 3.0), ("sp: 1", 1.0), ("estimate: 5", 5.0),
    ("story points = 2", 2.0), ("3 points", 3.0), ("3 pts", 3.0), ("1 point", 1.0),
    ("0.5 sp", 0.5), ("points-8", 8.0),
    ("size: M", 3.0), ("Size: XL", 8.0), ("size m", 3.0),  # sizes through [points] scale
])
def test_points_label_patterns(tmp_path, label, points):
    issue = _issue(1, labels=(label, "research"))
    result = read_github_json(_write(tmp_path, [issue]),
                              config=Config(points_scale={"m": 3.0, "xl": 8.0}))
    assert row(result.tickets, "#1")["points"] == pytest.approx(points, rel=0, abs=0)


@pytest.mark.parametrize("label", ["estimate needed", "sprint-3", "points", "size-later",
                                   "good first issue"])
def test_labels_that_are_not_estimates(tmp_path, label):
    issues = [_issue(1, labels=(label,)), _issue(2)]
    result = read_github_json(_write(tmp_path, issues))
    assert row(result.excluded, "#1")["reason"] == "no points"


def test_disagreeing_points_labels_use_the_first_and_are_noted(tmp_path):
    result = read_github_json(_write(tmp_path, [_issue(1, labels=("points: 2", "size: 5"))]))
    assert row(result.tickets, "#1")["points"] == pytest.approx(2.0, rel=0, abs=0)
    assert any("several different estimates" in note for note in result.notes)


def test_points_column_names_a_field(tmp_path):
    issue = _issue(1, labels=())
    issue["Effort"] = 5
    result = read_github_json(_write(tmp_path, [issue]), config=Config(points_column="effort"))
    assert row(result.tickets, "#1")["points"] == pytest.approx(5.0, rel=0, abs=0)


def test_issues_of_several_repositories_get_qualified_ids(tmp_path):
    issues = [_issue(1, repository="acme/ml"), _issue(1, repository="acme/data")]
    result = read_github_json(_write(tmp_path, issues))
    assert list(result.tickets["ticket_id"]) == ["acme/ml#1", "acme/data#1"]
    assert any("2 repositories" in note for note in result.notes)


def test_closed_before_created_is_a_negative_duration(tmp_path):
    # Both on one weekend (Sun 10:00 created, Sat 09:00 closed), so 0 working days apart.
    issue = _issue(1, created="2024-05-12T10:00:00Z", closed="2024-05-11T09:00:00Z")
    result = read_github_json(_write(tmp_path, [issue, _issue(2)]))
    assert row(result.excluded, "#1")["reason"] == "negative duration"


# ---------------------------------------------------------------- other shapes


def test_pages_written_back_to_back():
    result = read_github_json(PAGES)
    assert result.rows_read == 2
    # #31: Mon 6 May 08:00 to Tue 7 May 14:00: 1 - 8/24 + 14/24
    # #32: Tue 7 May 09:00 to 15:00 the same day: 15/24 - 9/24
    np.testing.assert_allclose(result.tickets["duration_days"],
                               [1 - 8 * HOUR + 14 * HOUR, 15 * HOUR - 9 * HOUR],
                               rtol=0, atol=1e-9)
    assert any("2 JSON documents" in note for note in result.notes)


def test_gh_issue_list_json():
    result = read_github_json(CLI)
    check_accounting(result)
    assert row(result.excluded, "#42")["reason"] == "not finished work"  # NOT_PLANNED
    found = row(result.tickets, "#41")
    assert found["engineer"] == "alice-c"
    assert found["epic"] == "Q2 Pipelines"
    # Mon 6 May 08:00 to Tue 7 May 08:00: 1 - 8/24 + 8/24
    np.testing.assert_allclose(found["duration_days"], 1.0, rtol=0, atol=1e-9)
    assert row(result.tickets, "#43")["censored"]  # open, label "in-progress"


def test_search_response(tmp_path):
    data = {"total_count": 2, "incomplete_results": False, "items": [_issue(1), _issue(2)]}
    result = read_github_json(_write(tmp_path, data))
    assert list(result.tickets["ticket_id"]) == ["#1", "#2"]


# ---------------------------------------------------------------- errors


def test_not_json_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match=r"issues\.json is not valid JSON: .* line 1"):
        read_github_json(_write(tmp_path, '[{"number": 1,]'))


def test_json_of_another_shape_is_an_input_error():
    with pytest.raises(InputError, match="is JSON, but not a list of GitHub issues"):
        read_github_json(FIXTURES / "jira_search_changelog.json")


def test_api_error_response_is_reported(tmp_path):
    data = {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest",
            "status": "401"}
    with pytest.raises(InputError, match="API error response, not issues: Bad credentials"):
        read_github_json(_write(tmp_path, data))


def test_all_malformed_records_are_reported_together(tmp_path):
    issues = [_issue(1), _issue(2), _issue(3), _issue(4), 5]
    del issues[1]["number"]
    issues[3]["state"] = "merged"
    path = _write(tmp_path, [issues[:3], issues[3:]])
    with pytest.raises(InputError) as error:
        read_github_json(path)
    message = str(error.value)
    assert f"{path}, row 2, column 'number': issue has no number" in message
    assert f"{path}, row 4, column 'state': issue has no state (found \"'merged'\")" in message
    assert f"{path}, row 5: record is not an issue object" in message
    assert len(error.value.problems) == 3


def test_no_estimate_anywhere_is_an_input_error(tmp_path):
    issues = [_issue(1, labels=("bug",)), _issue(2, labels=("research",))]
    with pytest.raises(InputError, match="No issue .* carries an estimate") as error:
        read_github_json(_write(tmp_path, issues))
    assert "bug, research" in str(error.value)


# ---------------------------------------------------------------- property


@st.composite
def _times(draw):
    moment = pd.Timestamp("2024-01-01") + pd.Timedelta(
        minutes=draw(st.integers(0, 60 * 24 * 120)))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


_labels = st.lists(st.sampled_from(
    ["points: 3", "size: M", "2 pts", "estimate: x", "in progress", "research", "bug",
     "status/in-progress", "points: -1"]), max_size=3)


@st.composite
def _issues(draw):
    issues = []
    for number in range(1, draw(st.integers(1, 8)) + 1):
        state = draw(st.sampled_from(["open", "closed"]))
        logins = draw(st.lists(st.sampled_from(["ann", "bo", "cy"]), max_size=2))
        issue = {
            "number": number,
            "title": draw(st.sampled_from(["x", "", None])),
            "state": state,
            "state_reason": draw(st.sampled_from([None, "completed", "not_planned",
                                                  "reopened", "duplicate"])),
            "created_at": draw(_times()),
            "closed_at": draw(_times()) if state == "closed" else None,
            "updated_at": draw(st.one_of(st.none(), _times())),
            "assignee": {"login": logins[0]} if logins else None,
            "assignees": [{"login": login} for login in logins],
            "labels": [{"name": name} for name in draw(_labels)],
            "milestone": draw(st.sampled_from([None, {"title": "Q2"}])),
        }
        if draw(st.integers(0, 5)) == 0:
            issue["pull_request"] = {"url": "https://api.github.com/repos/o/r/pulls/1"}
        if draw(st.integers(0, 3)) == 0:
            issue["points"] = draw(st.sampled_from([None, 1, 2.5, "3"]))
        issues.append(issue)
    return issues


@settings(max_examples=50, deadline=None)
@given(issues=_issues(), paged=st.booleans())
def test_property_reading_random_issues_accounts_for_every_row(issues, paged):
    data = [issues[:2], issues[2:]] if paged else issues
    with tempfile.TemporaryDirectory() as directory:
        path = _write(directory, data)
        try:
            table = read_github_json(path, config=Config(points_scale={"m": 3.0}))
        except InputError as error:
            # The only input error well-formed issues can cause.
            assert "carries an estimate" in str(error)
            return
    assert table.rows_read == len(issues)
    check_accounting(table)
    assert set(table.tickets["ticket_id"]) | set(table.excluded["ticket_id"]) == {
        f"#{issue['number']}" for issue in issues}


# ---------------------------------------------------------------- descriptions


def test_bodies_reach_the_classifier_and_nothing_else(monkeypatch, tmp_path):
    table, described = read_classified(monkeypatch, ISSUES, SIZES, as_of=AS_OF)
    # The issue's body (Markdown) is its description.
    assert described["#11"] == ("## Goal\r\nBenchmark the **rerankers** on the support set."
                                "\r\n\r\n- [ ] cross-encoder\r\n- [ ] late interaction")
    assert described["#12"] is None and described["#13"] == "See the design doc."
    check_nowhere(table, ["Benchmark the **rerankers**", "late interaction",
                          "See the design doc."], tmp_path)
    _, unread = read_classified(monkeypatch, ISSUES, SIZES, classify=False, as_of=AS_OF)
    assert set(unread.values()) == {None}
    # `gh issue list --json` without body: no descriptions.
    _, listed = read_classified(monkeypatch, CLI, as_of=AS_OF)
    assert set(listed.values()) == {None}

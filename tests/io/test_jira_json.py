"""Jira REST search (expand=changelog) reader: real-shaped fixtures, hand-computed durations.

Durations are working days on the default calendar (Mon-Fri, UTC): whole
working days from the start day up to the finish day, minus the part of the
start day before the start, plus the part of the finish day before the
finish. The fixture's times carry +0100 (before 31 March 2024) or +0200
offsets and are converted to UTC first.
"""

from __future__ import annotations

import json
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
from calibrate.io._reader import DESCRIPTION_CHARS
from calibrate.io.jira_json import adf_text, looks_like_jira_json, read_jira_json

CLOUD = FIXTURES / "jira_search_changelog.json"  # one response, expand=changelog,names
DC = FIXTURES / "jira_json_dc_pages.json"  # Data Center: two pages, no names map
AS_OF = "2024-04-12 17:00"  # a Friday, team time (UTC)
DC_AS_OF = "2024-05-15 12:00"  # a Wednesday


@pytest.fixture(scope="module")
def cloud():
    return read_jira_json(CLOUD, as_of=AS_OF)


@pytest.fixture(scope="module")
def dc():
    return read_jira_json(DC, as_of=DC_AS_OF)


def _write(directory, data):
    return write_json(directory, data, "search.json")


def _issue(key, *, status="Done", category="done", resolution="Done", assignee="Ann Lee",
           created="2024-03-04T09:00:00.000+0000", resolved=None, points=3.0, histories=()):
    """A minimal Jira Cloud issue with a changelog."""
    return {
        "id": "10001",
        "key": key,
        "fields": {
            "summary": f"Ticket {key}",
            "status": {"name": status, "statusCategory": {"key": category}},
            "resolution": {"name": resolution} if resolution else None,
            "assignee": {"displayName": assignee} if assignee else None,
            "created": created,
            "updated": created,
            "resolutiondate": resolved,
            "customfield_10016": points,
        },
        "changelog": {"startAt": 0, "maxResults": len(histories), "total": len(histories),
                      "histories": list(histories)},
    }


def _status(created, before, after):
    return {"created": created, "items": [
        {"field": "status", "fieldtype": "jira", "fieldId": "status",
         "fromString": before, "toString": after}]}


# ---------------------------------------------------------------- detection and shapes


@pytest.mark.parametrize("path", [CLOUD, DC])
def test_detect_format(path):
    assert detect_format(path) == "jira_json"


def test_looks_like_jira_json_accepts_every_saved_shape():
    issue = {"key": "ML-1", "fields": {"summary": "x"}}
    page = {"startAt": 0, "maxResults": 50, "total": 1, "issues": [issue]}
    assert looks_like_jira_json(page)
    assert looks_like_jira_json([page, page])
    assert looks_like_jira_json([issue])
    assert looks_like_jira_json(issue)
    assert looks_like_jira_json({"isLast": True, "issues": []})  # /search/jql, no match


@pytest.mark.parametrize("data", [
    [], {}, "text", 3, None,
    [{"number": 7, "state": "open", "created_at": "2024-05-14T08:53:33Z"}],
    {"total_count": 1, "items": [{"number": 7}]},
    {"issues": [{"number": 7}]},
])
def test_looks_like_jira_json_rejects_other_json(data):
    assert not looks_like_jira_json(data)


def test_read_export_dispatches_to_the_reader():
    table = read_export(CLOUD, as_of=AS_OF)
    assert table.source_format == "jira_json"
    assert len(table.tickets) == 11


# ---------------------------------------------------------------- accounting and exclusions


def test_row_accounting_cloud(cloud):
    assert cloud.rows_read == 16
    check_accounting(cloud)
    assert len(cloud.tickets) == 11


def test_row_accounting_dc(dc):
    assert dc.rows_read == 5
    check_accounting(dc)
    assert len(dc.tickets) == 4


def test_exact_reason_per_excluded_ticket(cloud):
    got = {row.ticket_id: (row.reason, row.detail) for row in cloud.excluded.itertuples()}
    assert got == {
        "ML-108": ("not finished work", "closed as Won't Do"),
        "ML-109": ("unassigned", "no assignee"),
        "ML-110": ("no points", "estimate is empty"),
        "ML-112": ("not started", "open, status To Do"),
        "ML-113": ("unparseable date",
                   "column 'fields.created': '2024-03-32T09:00:00.000+0100' is not a date in "
                   "the column's format (ISO 8601)"),
    }


def test_source_row_is_the_record_number(cloud, dc):
    assert row(cloud.tickets, "ML-101")["source_row"] == 1
    assert row(cloud.excluded, "ML-113")["source_row"] == 13
    # DC: two issues on page 1, then DS-3, DS-4, DS-5 on page 2.
    assert row(dc.excluded, "DS-3")["source_row"] == 3
    assert row(dc.tickets, "DS-4")["source_row"] == 4


# ---------------------------------------------------------------- the clock


@pytest.mark.parametrize(("ticket", "expected"), [
    # Normal To Do -> In Progress -> In Review -> Done: Tue 5 Mar 09:00 UTC to Fri 8 Mar 11:00.
    # Tue, Wed, Thu whole = 3; 3 - 9/24 + 11/24
    ("ML-101", 3 - 9 * HOUR + 11 * HOUR),
    # Created in In Progress Mon 11 Mar 08:00 UTC, Done Tue 12 Mar 16:00: 1 - 8/24 + 16/24
    ("ML-102", 1 - 8 * HOUR + 16 * HOUR),
    # Created in In Progress Mon 8 Apr 08:00 UTC, open, as-of Fri 12 Apr 17:00:
    # Mon..Thu = 4; 4 - 8/24 + 17/24
    ("ML-103", 4 - 8 * HOUR + 17 * HOUR),
    # Pause not subtracted: first start Wed 6 Mar 08:00, Done Thu 14 Mar 17:00.
    # Wed 6, Thu 7, Fri 8, Mon 11, Tue 12, Wed 13 = 6; 6 - 8/24 + 17/24
    ("ML-104", 6 - 8 * HOUR + 17 * HOUR),
    # Reopened: start Mon 18 Mar 09:00, last Done Fri 22 Mar 13:00: 4 - 9/24 + 13/24
    ("ML-105", 4 - 9 * HOUR + 13 * HOUR),
    # Re-pointed after start: Tue 26 Mar 08:00 to Thu 28 Mar 16:00: 2 - 8/24 + 16/24
    ("ML-106", 2 - 8 * HOUR + 16 * HOUR),
    # +0200 after the DST change: Tue 2 Apr 07:00 to Thu 4 Apr 13:00: 2 - 7/24 + 13/24
    ("ML-107", 2 - 7 * HOUR + 13 * HOUR),
    # Open since Tue 9 Apr 12:00, as-of Fri 12 Apr 17:00: Tue..Thu = 3; 3 - 12/24 + 17/24
    ("ML-111", 3 - 12 * HOUR + 17 * HOUR),
    # Done Fri 15 Mar 08:00 (the later move Done -> Closed does not count):
    # start Mon 11 Mar 12:00; Mon..Thu = 4; 4 - 12/24 + 8/24
    ("ML-114", 4 - 12 * HOUR + 8 * HOUR),
    # "Deployed" (category done, not in the done list): Wed 3 Apr 07:00 to Fri 5 Apr 09:00:
    # 2 - 7/24 + 9/24
    ("ML-115", 2 - 7 * HOUR + 9 * HOUR),
    # Paused back to To Do, still open: started Wed 10 Apr 07:00, as-of Fri 17:00:
    # 2 - 7/24 + 17/24
    ("ML-116", 2 - 7 * HOUR + 17 * HOUR),
])
def test_hand_computed_working_day_durations(cloud, ticket, expected):
    found = row(cloud.tickets, ticket)
    assert found["clock"] == "cycle"
    np.testing.assert_allclose(found["duration_days"], expected, rtol=0, atol=1e-9)


def test_start_and_finish_times(cloud):
    tickets = cloud.tickets.set_index("ticket_id")
    # First move into In Progress, converted from +0100 to UTC.
    assert tickets.loc["ML-101", "started_at"] == pd.Timestamp("2024-03-05 09:00")
    assert tickets.loc["ML-101", "finished_at"] == pd.Timestamp("2024-03-08 11:00")
    # Pause: the first start counts, not the restart on 13 Mar.
    assert tickets.loc["ML-104", "started_at"] == pd.Timestamp("2024-03-06 08:00")
    # Reopened: the last move into Done (22 Mar), not the first (19 Mar).
    assert tickets.loc["ML-105", "finished_at"] == pd.Timestamp("2024-03-22 13:00")
    # Done -> Closed three days later does not move the finish.
    assert tickets.loc["ML-114", "finished_at"] == pd.Timestamp("2024-03-15 08:00")


def test_created_directly_in_progress_starts_at_creation(cloud):
    for ticket in ("ML-102", "ML-103"):
        found = row(cloud.tickets, ticket)
        assert found["started_at"] == found["created_at"], ticket


def test_open_tickets_with_a_start_are_censored(cloud):
    censored = set(cloud.tickets.loc[cloud.tickets["censored"], "ticket_id"])
    assert censored == {"ML-103", "ML-111", "ML-116"}
    assert cloud.tickets.loc[cloud.tickets["censored"], "finished_at"].isna().all()


def test_default_as_of_is_the_latest_time_in_the_file():
    # ML-116 was updated 2024-04-12T18:00+0200 = 16:00 UTC.
    assert read_jira_json(CLOUD).as_of == pd.Timestamp("2024-04-12 16:00")


# ---------------------------------------------------------------- points


@pytest.mark.parametrize(("ticket", "points", "repointed"), [
    ("ML-101", 3.0, False),  # pointed before the start of work
    ("ML-106", 2.0, True),  # 2 at start, 3 after: the estimate at start is used
    ("ML-107", 3.0, False),  # 5 -> 3 before the start ("Story Points" field)
    ("ML-102", 2.0, False),  # no points history: the current value
])
def test_points_at_start_of_work(cloud, ticket, points, repointed):
    found = row(cloud.tickets, ticket)
    assert found["points"] == pytest.approx(points, rel=0, abs=0)
    assert found["repointed"] == repointed


def test_repointed_tickets_are_noted(cloud):
    assert any("1 tickets were re-pointed" in note for note in cloud.notes)
    assert any("customfield_10016 ('Story point estimate')" in note for note in cloud.notes)


def test_points_without_names_map_use_common_ids_and_history(dc):
    found = row(dc.tickets, "DS-1")
    # customfield_10002 holds 5 now; the changelog's "Story Points" went 3 -> 5 after the start.
    assert found["points"] == pytest.approx(3.0, rel=0, abs=0)
    assert found["repointed"]
    assert any(note == "story points read from customfield_10002" for note in dc.notes)


@pytest.mark.parametrize("column", [
    "customfield_10016", "Story point estimate", "Custom field (Story point estimate)",
])
def test_points_column_by_id_name_or_csv_name(column):
    table = read_jira_json(CLOUD, config=Config(points_column=column), as_of=AS_OF)
    # ML-107 has its estimate only in customfield_10026 ("Story Points").
    assert row(table.excluded, "ML-107")["reason"] == "no points"
    check_accounting(table)


def test_unknown_points_column_is_an_input_error():
    with pytest.raises(InputError, match="'Effort' is not a field"):
        read_jira_json(CLOUD, config=Config(points_column="Effort"))


def test_no_points_field_at_all_is_an_input_error(tmp_path):
    issue = _issue("P-1")
    del issue["fields"]["customfield_10016"]
    issue["fields"]["customfield_10777"] = 5
    path = _write(tmp_path, {"issues": [issue]})
    with pytest.raises(InputError, match="no story-points field") as error:
        read_jira_json(path)
    assert "customfield_10777" in str(error.value)


# ---------------------------------------------------------------- other fields


def test_fields_of_a_cloud_ticket(cloud):
    found = row(cloud.tickets, "ML-115")
    assert found["engineer"] == "Bob Novak"
    assert found["title"] == "Ship the reranker behind a feature flag"
    assert found["issue_type"] == "Story"
    assert found["epic"] == "Reranker launch"
    assert found["sprints"] == "ML Sprint 2; ML Sprint 3"
    assert found["labels"] == "ml-engineering"
    assert found["status"] == "Deployed"
    assert row(cloud.tickets, "ML-105")["components"] == "Pipelines"


def test_data_center_sprint_strings(dc):
    # The name holds a comma: "DS Sprint 7 (ranking, eval)".
    assert row(dc.tickets, "DS-2")["sprints"] == "DS Sprint 6; DS Sprint 7 (ranking, eval)"
    assert row(dc.tickets, "DS-1")["engineer"] == "Bob Novak"


def test_issues_without_changelog_use_lead_time(dc):
    found = row(dc.tickets, "DS-4")
    assert found["clock"] == "lead"
    # Created Mon 6 May 07:00 UTC, resolved Wed 8 May 13:00 UTC: 2 - 7/24 + 13/24
    np.testing.assert_allclose(found["duration_days"], 2 - 7 * HOUR + 13 * HOUR, rtol=0, atol=1e-9)
    # In Progress without a changelog: started (censored), lead clock from creation
    # Mon 13 May 06:00 UTC to the as-of Wed 15 May 12:00: 2 - 6/24 + 12/24
    open_row = row(dc.tickets, "DS-5")
    assert open_row["censored"] and open_row["clock"] == "lead"
    np.testing.assert_allclose(open_row["duration_days"], 2 - 6 * HOUR + 12 * HOUR,
                               rtol=0, atol=1e-9)
    assert any("2 issues were saved without a changelog" in note for note in dc.notes)


@pytest.mark.parametrize(("ticket", "expected"), [
    # Open -> In Progress Mon 6 May 07:00 UTC, -> Resolved Thu 9 May 14:00: 3 - 7/24 + 14/24
    ("DS-1", 3 - 7 * HOUR + 14 * HOUR),
    # In Progress Wed 8 May 11:00, Resolved Fri 10 May 08:00 (Closed on Monday does not
    # count): 2 - 11/24 + 8/24
    ("DS-2", 2 - 11 * HOUR + 8 * HOUR),
])
def test_dc_durations(dc, ticket, expected):
    found = row(dc.tickets, ticket)
    assert found["clock"] == "cycle"
    np.testing.assert_allclose(found["duration_days"], expected, rtol=0, atol=1e-9)


def test_area_from_a_named_field_and_from_rules():
    table = read_jira_json(CLOUD, config=Config(area_column="Components"), as_of=AS_OF)
    assert row(table.tickets, "ML-105")["area"] == "Pipelines"
    ruled = read_jira_json(CLOUD, as_of=AS_OF, config=config_from_dict(
        {"areas": {"rules": [{"area": "research", "patterns": ["research", "spike"]}]}}))
    assert row(ruled.tickets, "ML-106")["area"] == "research"
    assert row(ruled.tickets, "ML-105")["area"] == "general"


def test_custom_status_lists_from_the_config(tmp_path):
    # "Doing" counts as work in progress; "Shipped" is done (both by name: no category).
    issue = _issue("P-1", status="Shipped", category="", histories=[
        _status("2024-03-04T10:00:00.000+0000", "Backlog", "Doing"),
        _status("2024-03-05T16:00:00.000+0000", "Doing", "Shipped"),
    ])
    path = _write(tmp_path, {"issues": [issue]})
    table = read_jira_json(path, config=Config(in_progress_statuses=("Doing",),
                                               done_statuses=("Shipped",)))
    found = row(table.tickets, "P-1")
    # Mon 4 Mar 10:00 to Tue 5 Mar 16:00: 1 - 10/24 + 16/24
    np.testing.assert_allclose(found["duration_days"], 1 - 10 * HOUR + 16 * HOUR, rtol=0,
                               atol=1e-9)


def test_not_finished_status_name_is_not_done(tmp_path):
    issue = _issue("P-1", status="Cancelled", resolution=None, histories=[
        _status("2024-03-04T10:00:00.000+0000", "To Do", "Cancelled")])
    path = _write(tmp_path, {"issues": [issue, _issue("P-2")]})
    table = read_jira_json(path)
    assert row(table.excluded, "P-1")["reason"] == "not finished work"


def test_finish_before_start_is_a_negative_duration(tmp_path):
    # Both times in one weekend: Sunday 10:00 start, done the Saturday before.
    issue = _issue("P-1", histories=[
        _status("2024-03-03T10:00:00.000+0000", "To Do", "In Progress"),
        _status("2024-03-03T11:00:00.000+0000", "In Progress", "To Do"),
        _status("2024-03-02T09:00:00.000+0000", "To Do", "Done"),
    ])
    path = _write(tmp_path, {"issues": [issue]})
    table = read_jira_json(path, as_of="2024-03-08")
    assert row(table.excluded, "P-1")["reason"] == "negative duration"


def test_unreadable_changelog_time_excludes_the_ticket(tmp_path):
    issue = _issue("P-1", histories=[_status("last tuesday", "To Do", "In Progress"),
                                     _status("2024-03-05T10:00:00.000+0000", "In Progress",
                                             "Done")])
    path = _write(tmp_path, {"issues": [issue, _issue("P-2")]})
    table = read_jira_json(path)
    found = row(table.excluded, "P-1")
    assert found["reason"] == "unparseable date"
    assert "'last tuesday'" in found["detail"]


def test_changelog_times_are_ordered_to_the_nanosecond_across_batches(monkeypatch, tmp_path):
    # Each issue staged in a batch of its own: P-2's finish is a time P-1's batch parsed
    # (to the microsecond), its start one parsed to the nanosecond, the day before though
    # later in the file: in time order the start comes first.
    monkeypatch.setattr("calibrate.io.jira_json._FIRST_ISSUES", 1)
    monkeypatch.setattr("calibrate.io.jira_json._BATCH", 1)
    finish = "2024-03-05T10:00:00.000+0000"
    first = _issue("P-1", histories=[_status(finish, "To Do", "Done")])
    second = _issue("P-2", histories=[
        _status(finish, "In Progress", "Done"),
        _status("2024-03-04T09:59:59.999999999+0000", "To Do", "In Progress")])
    table = read_jira_json(_write(tmp_path, [first, second]), as_of="2024-03-08")
    found = row(table, "P-2")
    assert found["started_at"] == pd.Timestamp("2024-03-04 09:59:59.999999999")
    assert found["finished_at"] == pd.Timestamp("2024-03-05 10:00")


def test_truncated_changelog_is_noted(tmp_path):
    issue = _issue("P-1", histories=[_status("2024-03-05T10:00:00.000+0000", "To Do", "Done")])
    issue["changelog"]["total"] = 140
    table = read_jira_json(_write(tmp_path, {"issues": [issue]}))
    assert any("more changelog entries" in note for note in table.notes)


# ---------------------------------------------------------------- other shapes


def _cloud_issues():
    return json.loads(CLOUD.read_text(encoding="utf-8"))["issues"]


def test_bare_list_of_issues_reads_like_the_response(cloud, tmp_path):
    issues = _cloud_issues()
    table = read_jira_json(_write(tmp_path, issues), as_of=AS_OF)
    # Without the names map both points fields are found by their common ids.
    pd.testing.assert_series_equal(table.tickets["duration_days"],
                                   cloud.tickets["duration_days"], rtol=0, atol=1e-9)
    assert list(table.tickets["points"]) == list(cloud.tickets["points"])


def test_pages_written_back_to_back(tmp_path):
    issues = _cloud_issues()
    pages = [{"startAt": 0, "maxResults": 10, "total": 16, "issues": issues[:10]},
             {"startAt": 10, "maxResults": 10, "total": 16, "issues": issues[10:]}]
    text = json.dumps(pages[0]) + "\n" + json.dumps(pages[1]) + "\n"
    table = read_jira_json(_write(tmp_path, text), as_of=AS_OF)
    assert table.rows_read == 16
    assert row(table.excluded, "ML-113")["source_row"] == 13
    assert any("2 JSON documents" in note for note in table.notes)


def test_single_issue_object(tmp_path):
    table = read_jira_json(_write(tmp_path, _cloud_issues()[0]))
    assert list(table.tickets["ticket_id"]) == ["ML-101"]


# ---------------------------------------------------------------- errors


def test_not_json_is_an_input_error(tmp_path):
    path = _write(tmp_path, '{"issues": [{"key": "ML-1",,}]}')
    with pytest.raises(InputError, match=r"search\.json is not valid JSON: .* line 1, column"):
        read_jira_json(path)


def test_empty_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="is empty"):
        read_jira_json(_write(tmp_path, "  \n"))


def test_json_of_another_shape_is_an_input_error():
    with pytest.raises(InputError, match="is JSON, but not a Jira search result"):
        read_jira_json(FIXTURES / "github_issues.json")


def test_jira_error_response_is_reported(tmp_path):
    path = _write(tmp_path, {"errorMessages": ["The value 'XX' does not exist for the field "
                                               "'project'."], "errors": {}})
    with pytest.raises(InputError, match="error response.*'XX' does not exist"):
        read_jira_json(path)


def test_all_malformed_issues_are_reported_together(tmp_path):
    issues = [_issue("P-1"), _issue("P-2"), _issue("P-3"), _issue("P-4"), "P-5"]
    del issues[2]["key"]
    del issues[3]["fields"]
    path = _write(tmp_path, {"issues": issues})
    with pytest.raises(InputError) as error:
        read_jira_json(path)
    message = str(error.value)
    assert f"{path}, row 3, column 'key': issue has no key" in message
    assert f"{path}, row 4, column 'fields': issue has no fields object" in message
    assert f"{path}, row 5: record is not an issue object" in message
    assert len(error.value.problems) == 3


def test_no_issues_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="holds no issues"):
        read_jira_json(_write(tmp_path, {"startAt": 0, "total": 0, "issues": []}))


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_jira_json(tmp_path / "nope.json")


# ---------------------------------------------------------------- property


_STATUSES = [("To Do", "new"), ("Backlog", "new"), ("In Progress", "indeterminate"),
             ("In Review", "indeterminate"), ("Blocked", "indeterminate"), ("Done", "done"),
             ("Closed", "done"), ("Deployed", "done")]
_OFFSETS = ["+0000", "+0100", "+0200", "-0500", "+0530"]


@st.composite
def _times(draw):
    moment = pd.Timestamp("2024-01-01") + pd.Timedelta(
        minutes=draw(st.integers(0, 60 * 24 * 120)))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000") + draw(st.sampled_from(_OFFSETS))


_names = st.sampled_from([name for name, _ in _STATUSES])
_points = st.one_of(st.none(), st.integers(0, 13), st.sampled_from([0.5, 2.0, 21.0]),
                    st.sampled_from(["5", "abc", ""]))


@st.composite
def _histories(draw):
    histories = []
    for _ in range(draw(st.integers(0, 5))):
        if draw(st.booleans()):
            item = {"field": "status", "fieldId": "status", "fromString": draw(_names),
                    "toString": draw(_names)}
        else:
            item = {"field": "Story point estimate", "fieldId": "customfield_10016",
                    "fromString": draw(st.sampled_from([None, "", "1", "2", "3", "8"])),
                    "toString": draw(st.sampled_from([None, "", "1", "2", "3", "8"]))}
        histories.append({"created": draw(_times()), "items": [item]})
    return histories


@st.composite
def _issues(draw):
    issues = []
    for index in range(draw(st.integers(1, 8))):
        status, category = draw(st.sampled_from(_STATUSES))
        issue = {
            "key": f"P-{index}",
            "fields": {
                "summary": draw(st.sampled_from(["x", "", None])),
                "status": {"name": status, "statusCategory": {"key": category}},
                "resolution": draw(st.sampled_from([None, {"name": "Done"},
                                                    {"name": "Won't Do"}])),
                "assignee": draw(st.sampled_from([None, {"displayName": "Ann"},
                                                  {"accountId": "5f1a"}])),
                "created": draw(_times()),
                "updated": draw(st.one_of(st.none(), _times())),
                "resolutiondate": draw(st.one_of(st.none(), _times())),
                "labels": draw(st.sampled_from([[], ["research"], ["a", "b"]])),
                "customfield_10016": draw(_points),
            },
        }
        if draw(st.integers(0, 4)):
            issue["changelog"] = {"histories": draw(_histories())}
        issues.append(issue)
    return issues


@settings(max_examples=50, deadline=None)
@given(issues=_issues(), wrap=st.booleans())
def test_property_reading_random_issues_accounts_for_every_row(issues, wrap):
    # wrap: a search response with its names map; else a bare list of issues, where a
    # non-numeric points value ("abc") leaves no field that looks like story points.
    data = {"startAt": 0, "issues": issues,
            "names": {"customfield_10016": "Story point estimate"}} if wrap else issues
    with tempfile.TemporaryDirectory() as directory:
        path = _write(directory, data)
        try:
            table = read_jira_json(path)
        except InputError as error:
            # The only input error well-formed issues can cause.
            assert not wrap and "has no story-points field" in str(error)
            return
    assert table.rows_read == len(issues)
    check_accounting(table)
    assert set(table.tickets["ticket_id"]) | set(table.excluded["ticket_id"]) == {
        issue["key"] for issue in issues}


# ---------------------------------------------------------------- descriptions

# ML-101's ADF description, flattened by hand: a block per line; the mention's
# text; no marks, no media, no emoji.
_ML_101 = "\n".join([
    "Goal",
    "Compare BM25 and the dense retriever on the support corpus; ask @Alice Chen for the "
    "labelled queries.",
    "recall@10", "nDCG@10", 'evaluate(retriever, corpus="support")',
    "retriever", "owner", "dense", "research",
    "Done when the table is filled", "and reviewed.",
])


def test_cloud_adf_descriptions_reach_the_classifier_flattened(monkeypatch, tmp_path):
    table, described = read_classified(monkeypatch, CLOUD, as_of=AS_OF)
    assert described["ML-101"] == _ML_101
    # An unknown block type and an expand are walked; marks do not split words.
    assert described["ML-104"] == "Label 500 queries from the support logs\n" \
                                  "Two annotators per query."
    # An empty document and a null description: nothing.
    assert described["ML-103"] is None and described["ML-102"] is None
    check_nowhere(table, ["dense retriever", "Two annotators", "annotators per query",
                          "labelled queries", "Done when the table"], tmp_path)


def test_dc_plain_descriptions_reach_the_classifier_as_they_are(monkeypatch, tmp_path):
    table, described = read_classified(monkeypatch, DC, as_of=DC_AS_OF)
    # (Lines stripped, blank ones dropped, as for an ADF tree.)
    assert described["DS-1"] == ("h3. Goal\nCompare the *offline* metrics of the ranking "
                                 "model with [~priya]'s baseline.\n{code}ndcg@10, mrr{code}")
    # Empty, null and missing.
    assert described["DS-2"] is None and described["DS-4"] is None
    assert described["DS-3"] is None
    check_nowhere(table, ["offline* metrics", "[~priya]", "ndcg@10, mrr"], tmp_path)


def test_descriptions_are_not_read_without_the_classifier(monkeypatch):
    plain, described = read_classified(monkeypatch, CLOUD, classify=False, as_of=AS_OF)
    assert set(described.values()) == {None}
    # The table is the same either way (no rule decides an area: the
    # classifier has nothing to learn from and gives none).
    pd.testing.assert_frame_equal(plain.tickets, read_jira_json(CLOUD, config=Config(
        area_classify=True), as_of=AS_OF).tickets)


def test_long_descriptions_are_cut_for_the_classifier(monkeypatch, tmp_path):
    words = " ".join(f"word{i}" for i in range(2_000))
    long = {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": words}]}] * 3}
    issue = _issue("P-1", resolved="2024-03-06T09:00:00.000+0000")
    issue["fields"]["description"] = long
    plain = _issue("P-2", resolved="2024-03-06T09:00:00.000+0000")
    plain["fields"]["description"] = words
    _, described = read_classified(monkeypatch, _write(tmp_path, [issue, plain]))
    assert described["P-1"] == described["P-2"] == words[:DESCRIPTION_CHARS].strip()


def test_a_deeply_nested_adf_description_is_read(monkeypatch, tmp_path):
    # As deep as the JSON reader accepts (it refuses about 1,000 levels).
    depth = 400
    node = {"type": "text", "text": "at the bottom"}
    for level in range(depth):
        node = {"type": "paragraph" if level % 2 else "futureBlock", "content": [node]}
    issue = _issue("P-1", resolved="2024-03-06T09:00:00.000+0000")
    issue["fields"]["description"] = {"type": "doc", "version": 1, "content": [node]}
    _, described = read_classified(monkeypatch, _write(tmp_path, [issue]))
    assert described["P-1"] == "at the bottom"


def test_adf_text_walks_any_depth_without_recursion():
    node: object = "deep"
    for level in range(50_000):
        node = [node] if level % 2 else {"type": "listItem", "content": [node]}
    assert adf_text(node) == "deep"


@pytest.mark.parametrize(("document", "expected"), [
    (None, ""), (3, ""), (True, ""), ("  plain text\n", "plain text"), ([], ""),
    ({"type": "text", "text": 5}, ""), ({"type": ["text"], "content": "x"}, ""),
    ({"type": "mention", "attrs": "Ana"}, ""), ({"content": [{"type": "text", "text": "a"}]}, "a"),
    ({"type": "paragraph", "content": [{"type": "text", "text": "a"}, "b", None, 7]}, "ab"),
    ({"type": "doc", "content": [{"type": "paragraph", "content": [
        {"type": "text", "text": "one"}]}, {"type": "paragraph", "content": [
            {"type": "text", "text": "two"}]}]}, "one\ntwo"),
    ({"type": "mediaGroup", "content": [{"type": "text", "text": "a caption"}]}, ""),
    ({"type": "paragraph", "content": [{"type": "text", "text": "a"}, {"type": "hardBreak"},
                                       {"type": "status", "attrs": {"text": "DONE"}},
                                       {"type": "text", "text": "b"}]}, "a\nb"),
])
def test_adf_text_of_odd_values(document, expected):
    assert adf_text(document) == expected


def test_adf_text_limit():
    document = {"type": "doc", "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "abcdef"}]},
        {"type": "paragraph", "content": [{"type": "text", "text": "ghijkl"}]}]}
    assert adf_text(document, limit=4) == "abcd"
    assert adf_text(document, limit=9) == "abcdef\ngh"
    assert adf_text(document, limit=0) == ""


_NODE_TYPES = ["doc", "paragraph", "heading", "text", "mention", "hardBreak", "bulletList",
               "listItem", "codeBlock", "table", "tableCell", "media", "mediaSingle", "emoji",
               "unknownThing", ""]
_json_leaves = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
                | st.text(max_size=12) | st.sampled_from(_NODE_TYPES))
_keys = st.sampled_from(["type", "content", "text", "attrs", "marks"]) | st.text(max_size=5)
_json = st.recursive(_json_leaves, lambda children: st.lists(children, max_size=4)
                     | st.dictionaries(_keys, children, max_size=5), max_leaves=40)


@settings(max_examples=300, deadline=None)
@given(document=_json, limit=st.none() | st.integers(0, 30))
def test_property_adf_text_of_any_json_is_text(document, limit):
    text = adf_text(document, limit=limit)
    assert isinstance(text, str)
    assert limit is None or len(text) <= limit
    assert text == text.strip() and "\n\n" not in text


_words = st.text(st.characters(codec="utf-8", categories=("L", "N", "Zs")), max_size=10)


@settings(max_examples=100, deadline=None)
@given(paragraphs=st.lists(st.lists(_words, max_size=4), max_size=5))
def test_property_adf_text_gives_each_paragraph_as_a_line(paragraphs):
    document = {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": part} for part in parts]}
        for parts in paragraphs]}
    # By hand: a paragraph's text nodes run together; lines stripped, empty ones dropped.
    lines = ["".join(parts).strip() for parts in paragraphs]
    assert adf_text(document) == "\n".join(line for line in lines if line)

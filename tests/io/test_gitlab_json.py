"""GitLab issues JSON reader: issues shaped as the REST API documents them, with
their label and state events, and hand-computed durations.

Durations are in working days on the default calendar (Mon-Fri, UTC, 24-hour
days): a ticket started Tuesday 09:00 and closed Wednesday 15:00 took
15/24 + 15/24 = 1.25 days.
"""

from __future__ import annotations

import csv
import datetime as dt
import json

import pandas as pd
import pytest
from _descriptions import check_nowhere, read_classified
from _helpers import HOUR, check_accounting, row
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calibrate.config import config_from_dict
from calibrate.errors import InputError
from calibrate.io import detect_format, read_export
from calibrate.io.gitlab_json import looks_like_gitlab_json, read_gitlab_json

AS_OF = "2024-03-15 12:00"
PROJECT = "ml/models"


def person(username, name=None):
    return {"id": abs(hash(username)) % 1000, "username": username,
            "name": name or username.title(), "state": "active",
            "avatar_url": None, "web_url": f"https://gitlab.com/{username}"}


def issue(iid, *, state="closed", created="2024-03-04T09:00:00.000Z", closed=None,
          labels=(), assignees=("priya",), weight=3, events=(), states=None, project=PROJECT,
          **fields):
    """An issue as ``GET /projects/:id/issues`` returns it, with its events added as
    ``calibrate pull`` adds them (``events``: (time, action, label) triples;
    ``states``: (time, state) pairs; None: saved without events)."""
    if closed is None and state == "closed":
        closed = "2024-03-05T09:00:00.000Z"
    record = {
        "id": 1000 + iid, "iid": iid, "project_id": 3, "title": f"Issue {iid}",
        "description": "", "state": state, "created_at": created,
        "updated_at": closed or created, "closed_at": closed,
        "closed_by": person("lee") if closed else None, "labels": list(labels),
        "milestone": {"id": 5, "iid": 1, "project_id": 3, "title": "Sprint 5",
                      "state": "active"},
        "assignees": [person(a) for a in assignees],
        "author": person("lee", "Lee Park"),
        "type": "ISSUE", "assignee": person(assignees[0]) if assignees else None,
        "user_notes_count": 0, "merge_requests_count": 0, "upvotes": 0, "downvotes": 0,
        "due_date": None, "confidential": False, "discussion_locked": None,
        "issue_type": "issue", "web_url": f"https://gitlab.com/{project}/-/issues/{iid}",
        "time_stats": {"time_estimate": 0, "total_time_spent": 0,
                       "human_time_estimate": None, "human_total_time_spent": None},
        "task_completion_status": {"count": 0, "completed_count": 0},
        "weight": weight, "has_tasks": False,
        "references": {"short": f"#{iid}", "relative": f"#{iid}",
                       "full": f"{project}#{iid}"},
        "severity": "UNKNOWN", "moved_to_id": None, "epic_iid": None, "epic": None,
    }
    record.update(fields)
    if events is not None:
        record["resource_label_events"] = [
            {"id": 500 + n, "user": person("lee"), "created_at": time,
             "resource_type": "Issue", "resource_id": record["id"],
             "label": None if label is None else {"id": 70 + n, "name": label,
                                                  "color": "#34495E", "description": ""},
             "action": action}
            for n, (time, action, label) in enumerate(events)]
        if states is None:
            states = [(closed, "closed")] if closed else []
        record["resource_state_events"] = [
            {"id": 900 + n, "user": person("lee"), "created_at": time,
             "resource_type": "Issue", "resource_id": record["id"], "state": kind}
            for n, (time, kind) in enumerate(states)]
    return record


def pulled(issues):
    return {"calibrate_pull": {"source": "gitlab", "version": 1,
                               "pulled_at": "2024-03-15T12:00:00Z",
                               "base_url": "https://gitlab.com", "project": PROJECT,
                               "query": None},
            "issues": issues}


def write(tmp_path, data, name="history.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def read(tmp_path, issues, **options):
    options.setdefault("as_of", AS_OF)
    return read_gitlab_json(write(tmp_path, pulled(issues)), **options)


TUE_9 = "2024-03-05T09:00:00.000Z"
WED_15 = "2024-03-06T15:00:00.000Z"


# ---------------------------------------------------------------- the clock


def test_a_workflow_label_starts_the_cycle_clock(tmp_path):
    table = read(tmp_path, [issue(1, closed=WED_15, labels=["workflow::in dev"],
                                  events=[("2024-03-04T09:00:00.000Z", "add", "backend"),
                                          (TUE_9, "add", "workflow::in dev")])])
    ticket = row(table, "ml/models#1")
    assert ticket["clock"] == "cycle"
    assert ticket["duration_days"] == pytest.approx(15 * HOUR + 15 * HOUR, abs=1e-9)
    assert ticket["started_at"] == pd.Timestamp("2024-03-05 09:00")
    assert ticket["points"] == 3.0


def test_without_a_workflow_label_lead_time_is_used_and_labelled(tmp_path):
    table = read(tmp_path, [issue(2, labels=["backend"],
                                  events=[("2024-03-04T09:00:00.000Z", "add", "backend")])])
    ticket = row(table, "ml/models#2")
    assert ticket["clock"] == "lead"
    assert ticket["duration_days"] == pytest.approx(1.0, abs=1e-9)  # Mon 09:00 -> Tue 09:00
    assert any("lead time" in note and "clock=lead" in note for note in table.notes)


def test_an_issue_saved_without_events_is_on_the_lead_clock_with_a_note(tmp_path):
    table = read(tmp_path, [issue(3, labels=["workflow::in dev"], events=None)])
    assert row(table, "ml/models#3")["clock"] == "lead"
    assert any("1 issues were saved without their label events" in n for n in table.notes)


@pytest.mark.parametrize("label", ["workflow::in dev", "workflow::In Progress", "doing",
                                   "In Progress", "Workflow::Doing", "status::in-progress"])
def test_default_in_progress_labels(tmp_path, label):
    table = read(tmp_path, [issue(4, closed=WED_15, events=[(TUE_9, "add", label)])])
    assert row(table, "ml/models#4")["clock"] == "cycle"


@pytest.mark.parametrize("label", ["workflow::to do", "workflow::review done", "backend",
                                   "Type::Bug", "priority::1"])
def test_other_labels_do_not_start_work(tmp_path, label):
    table = read(tmp_path, [issue(5, closed=WED_15, events=[(TUE_9, "add", label)])])
    assert row(table, "ml/models#5")["clock"] == "lead"


def test_configured_patterns_replace_the_defaults(tmp_path):
    config = config_from_dict({"statuses": {"in_progress": ["building"]}})
    table = read(tmp_path, [
        issue(6, closed=WED_15, events=[(TUE_9, "add", "workflow::building")]),
        issue(7, closed=WED_15, events=[(TUE_9, "add", "doing")]),
    ], config=config)
    assert row(table, "ml/models#6")["clock"] == "cycle"
    assert row(table, "ml/models#7")["clock"] == "lead"


def test_the_first_move_into_progress_counts_and_weekends_do_not(tmp_path):
    # Fri 18:00 doing, removed, Mon 08:00 doing again; closed Mon 10:00.
    table = read(tmp_path, [issue(
        8, created="2024-03-08T16:00:00.000Z", closed="2024-03-11T10:00:00.000Z",
        events=[("2024-03-08T18:00:00.000Z", "add", "doing"),
                ("2024-03-08T20:00:00.000Z", "remove", "doing"),
                ("2024-03-11T08:00:00.000Z", "add", "doing")])])
    assert row(table, "ml/models#8")["duration_days"] == pytest.approx(
        6 * HOUR + 10 * HOUR, abs=1e-9)


def test_reopened_issue_finishes_at_its_last_close(tmp_path):
    table = read(tmp_path, [issue(
        9, closed="2024-03-07T12:00:00.000Z",
        events=[("2024-03-04T12:00:00.000Z", "add", "workflow::in dev")],
        states=[("2024-03-05T12:00:00.000Z", "closed"), ("2024-03-06T09:00:00.000Z", "reopened"),
                ("2024-03-07T12:00:00.000Z", "closed")])])
    ticket = row(table, "ml/models#9")
    assert ticket["finished_at"] == pd.Timestamp("2024-03-07 12:00")
    assert ticket["duration_days"] == pytest.approx(3.0, abs=1e-9)


def test_an_issue_reopened_and_open_now_is_open(tmp_path):
    table = read(tmp_path, [issue(
        10, state="opened", closed=None, closed_at=None, labels=["doing"],
        events=[("2024-03-04T12:00:00.000Z", "add", "doing")],
        states=[("2024-03-05T12:00:00.000Z", "closed"), ("2024-03-06T09:00:00.000Z", "reopened")])])
    ticket = row(table, "ml/models#10")
    assert ticket["censored"]
    assert ticket["clock"] == "cycle"
    assert ticket["started_at"] == pd.Timestamp("2024-03-04 12:00")


def test_a_workflow_label_added_after_the_close_is_ignored(tmp_path):
    table = read(tmp_path, [issue(11, closed=TUE_9, events=[(WED_15, "add", "doing")])])
    ticket = row(table, "ml/models#11")
    assert ticket["clock"] == "lead"
    assert ticket["duration_days"] == pytest.approx(1.0, abs=1e-9)


def test_a_deleted_label_event_is_skipped(tmp_path):
    table = read(tmp_path, [issue(12, closed=WED_15, events=[(TUE_9, "add", None)])])
    assert row(table, "ml/models#12")["clock"] == "lead"


# ---------------------------------------------------------------- states and fields


def test_states_and_exclusions(tmp_path):
    table = read(tmp_path, [
        issue(20, state="opened", closed=None, labels=["workflow::to do"], events=[]),
        issue(21, labels=["Type::Bug", "duplicate"], events=[]),
        issue(22, labels=["Resolution::Won't Do"], events=[]),
        issue(23, moved_to_id=4321, events=[]),
        issue(24, assignees=(), events=[]),
        issue(25, weight=None, events=[]),
        issue(26, state="opened", closed=None, labels=["workflow::doing"], events=[]),
        issue(27, closed=WED_15, events=[("not a time", "add", "doing")]),
    ])
    check_accounting(table)
    reasons = dict(zip(table.excluded["ticket_id"], table.excluded["reason"], strict=True))
    details = dict(zip(table.excluded["ticket_id"], table.excluded["detail"], strict=True))
    assert reasons == {
        "ml/models#20": "not started",
        "ml/models#21": "not finished work",
        "ml/models#22": "not finished work",
        "ml/models#23": "not finished work",
        "ml/models#24": "unassigned",
        "ml/models#25": "no points",
        "ml/models#27": "unparseable date",
    }
    assert details["ml/models#23"] == "moved to another project"
    assert "not a time" in details["ml/models#27"]
    # Open and carrying a workflow label now: in progress, from creation (no event).
    ticket = row(table, "ml/models#26")
    assert ticket["censored"] and ticket["clock"] == "lead"


def test_fields_people_and_several_assignees(tmp_path):
    table = read(tmp_path, [issue(
        30, labels=["Type::Feature", "Product::Search"], assignees=("priya", "zoe"),
        epic={"id": 7, "iid": 2, "title": "Search relevance", "group_id": 9}, events=[])])
    ticket = row(table, "ml/models#30")
    assert ticket["engineer"] == "priya"
    assert ticket["issue_type"] == "Feature"
    assert ticket["labels"] == "Type::Feature; Product::Search"
    assert ticket["epic"] == "Search relevance"
    assert ticket["sprints"] == "Sprint 5"
    assert ticket["status"] == "Closed"
    assert any("1 of 1 issues have several assignees" in n for n in table.notes)
    assert ("priya", "Priya") in table.people and ("lee", "Lee Park") in table.people


def test_issue_type_from_the_work_item_type_without_a_type_label(tmp_path):
    table = read(tmp_path, [issue(31, type="INCIDENT", events=[])])
    assert row(table, "ml/models#31")["issue_type"] == "Incident"


def test_label_objects_with_details(tmp_path):
    labels = [{"id": 1, "name": "workflow::doing", "color": "#fff"}]
    table = read(tmp_path, [issue(32, state="opened", closed=None, labels=labels, events=[])])
    assert row(table, "ml/models#32")["labels"] == "workflow::doing"


def test_points_column_names_another_key(tmp_path):
    config = config_from_dict({"points": {"column": "story_points"}})
    table = read(tmp_path, [issue(33, weight=None, story_points=5, events=[])], config=config)
    assert row(table, "ml/models#33")["points"] == 5.0


def test_ids_of_two_projects_do_not_collide(tmp_path):
    table = read(tmp_path, [issue(1, events=[]), issue(1, project="ml/data", events=[])])
    assert sorted(table.tickets["ticket_id"]) == ["ml/data#1", "ml/models#1"]


# ---------------------------------------------------------------- shapes and errors


def test_detection_of_pulled_files_lists_and_pages(tmp_path):
    one = issue(1, events=[])
    paths = [write(tmp_path, pulled([one]), "a.json"), write(tmp_path, [one], "b.json"),
             write(tmp_path, pulled([]), "c.json")]
    (tmp_path / "d.json").write_text(json.dumps([one]) + json.dumps([issue(2, events=[])]))
    paths.append(tmp_path / "d.json")
    assert [detect_format(p) for p in paths] == ["gitlab_json"] * 4
    table = read_export(paths[3], as_of=AS_OF)
    assert len(table.tickets) == 2


@pytest.mark.parametrize("data", [
    [{"number": 7, "state": "open", "created_at": "2024-05-14T08:53:33Z"}],
    {"issues": [{"key": "ML-1", "fields": {}}]},
    {"calibrate_pull": {"source": "jira"}, "issues": []},
])
def test_other_trackers_are_not_gitlab(data):
    assert not looks_like_gitlab_json(data)


def test_an_empty_pull_has_no_tickets_unless_as_of(tmp_path):
    path = write(tmp_path, pulled([]))
    with pytest.raises(InputError, match="no tickets"):
        read_gitlab_json(path)
    assert read_gitlab_json(path, as_of=AS_OF).tickets.empty


def test_bad_records_are_listed_together(tmp_path):
    path = write(tmp_path, pulled([issue(1, events=[]), {"iid": "x", "state": "open"}, 7,
                                   {**issue(3, events=[]), "resource_label_events": {}}]))
    with pytest.raises(InputError, match="4 problems") as caught:
        read_gitlab_json(path)
    assert [p.row for p in caught.value.problems] == [2, 2, 3, 4]


def test_no_weight_anywhere_is_an_error_that_says_what_to_do(tmp_path):
    with pytest.raises(InputError, match="has a weight") as caught:
        read(tmp_path, [issue(1, weight=None, events=[])])
    assert "[points] column" in caught.value.hint


def test_an_api_error_response(tmp_path):
    with pytest.raises(InputError, match="error response.*404 Project Not Found"):
        read_gitlab_json(write(tmp_path, {"message": "404 Project Not Found"}))


def test_json_that_is_not_gitlab(tmp_path):
    with pytest.raises(InputError, match="not GitLab issues"):
        read_gitlab_json(write(tmp_path, [{"a": 1}]))


# ---------------------------------------------------------------- the CSV export's equivalent


CSV_HEADER = ["Issue ID", "URL", "Title", "State", "Description", "Author", "Author Username",
              "Assignee", "Assignee Username", "Confidential", "Locked", "Due Date",
              "Created At (UTC)", "Updated At (UTC)", "Closed At (UTC)", "Milestone", "Weight",
              "Labels", "Time Estimate", "Time Spent", "Epic ID", "Epic Title", "Type"]


def _csv_time(value):
    return "" if value is None else dt.datetime.fromisoformat(value).strftime(
        "%Y-%m-%d %H:%M:%S")


def test_without_workflow_events_the_table_is_the_csv_exports(tmp_path):
    """The same issues through "Export as CSV" and through the API give the
    same canonical table (all lead time: the events hold no workflow label)."""
    issues = [
        issue(1, closed=WED_15, labels=["Type::Feature", "area::research"], events=[]),
        issue(2, labels=["Type::Bug", "duplicate"], events=[]),
        issue(3, state="opened", closed=None, labels=["workflow::In Progress"], events=[]),
        issue(4, state="opened", closed=None, labels=["workflow::To Do"], events=[]),
        issue(5, assignees=("priya", "zoe"), created="2024-03-08T16:00:00.000Z",
              closed="2024-03-11T10:00:00.000Z", events=[]),
        issue(6, assignees=(), events=[]),
        issue(7, weight=None, events=[]),
        issue(8, epic={"id": 7, "title": "Search relevance"}, labels=["Doing"], events=[]),
    ]
    csv_path = tmp_path / "export.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        for record in issues:
            names = [a["name"] for a in record["assignees"]]
            logins = [a["username"] for a in record["assignees"]]
            epic = record["epic"] or {}
            writer.writerow([
                record["iid"], record["web_url"], record["title"],
                "Closed" if record["state"] == "closed" else "Open", "", "Lee Park", "lee",
                ", ".join(names), ", ".join(logins), "No", "No", "",
                _csv_time(record["created_at"]), _csv_time(record["updated_at"]),
                _csv_time(record["closed_at"]), record["milestone"]["title"],
                "" if record["weight"] is None else record["weight"],
                ",".join(record["labels"]), 0, 0, epic.get("id", ""), epic.get("title", ""),
                "Issue"])
    from_csv = read_export(csv_path, as_of=AS_OF)
    from_json = read_export(write(tmp_path, pulled(issues)), as_of=AS_OF)
    assert from_csv.source_format == "gitlab_csv" and from_json.source_format == "gitlab_json"
    # (source_row counts records in the JSON, spreadsheet rows in the CSV: header = row 1)
    pd.testing.assert_frame_equal(from_json.tickets.drop(columns="source_row"),
                                  from_csv.tickets.drop(columns="source_row"))
    assert (from_json.tickets["source_row"] + 1).tolist() == from_csv.tickets["source_row"].tolist()
    columns = ["ticket_id", "reason", "detail"]
    pd.testing.assert_frame_equal(from_json.excluded[columns], from_csv.excluded[columns])
    assert from_json.people == from_csv.people


# ---------------------------------------------------------------- property


_LABELS = ["doing", "workflow::in dev", "backend", "workflow::to do"]
_events = st.lists(st.tuples(st.integers(0, 20 * 24 * 60), st.sampled_from(["add", "remove"]),
                             st.sampled_from(_LABELS)), max_size=8)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=_events, close_minute=st.integers(1, 20 * 24 * 60))
def test_start_is_the_first_in_progress_add_before_the_close(tmp_path, events, close_minute):
    base = dt.datetime(2024, 3, 4, tzinfo=dt.UTC)

    def at(minute):
        return (base + dt.timedelta(minutes=minute)).isoformat().replace("+00:00", "Z")

    record = issue(40, created=at(0), closed=at(close_minute),
                   events=[(at(m), action, label) for m, action, label in events])
    table = read_gitlab_json(write(tmp_path, pulled([record])), as_of="2024-04-15",
                             config=config_from_dict({"durations": {"closed_within_minutes": 0}}))
    # Brute force: every add of an in-progress label at or before the close.
    adds = [m for m, action, label in events
            if action == "add" and label in ("doing", "workflow::in dev") and m <= close_minute]
    ticket = row(table, "ml/models#40")
    if adds:
        assert ticket["clock"] == "cycle"
        expected = (base + dt.timedelta(minutes=min(adds))).replace(tzinfo=None)
        assert ticket["started_at"] == pd.Timestamp(expected)
    else:
        assert ticket["clock"] == "lead"


# ---------------------------------------------------------------- descriptions


def test_descriptions_reach_the_classifier_and_nothing_else(monkeypatch, tmp_path):
    markdown = ("### Steps\n\n1. Pull the click logs\n2. Retrain the **ranker**\n\n"
                "/cc @priya")
    issues = [issue(1, description=markdown), issue(2, description=None), issue(3)]
    del issues[2]["description"]
    path = write(tmp_path, pulled(issues))
    table, described = read_classified(monkeypatch, path, as_of=AS_OF)
    assert described == {"ml/models#1": markdown, "ml/models#2": None, "ml/models#3": None}
    check_nowhere(table, ["Pull the click logs", "Retrain the **ranker**"], tmp_path)
    _, unread = read_classified(monkeypatch, path, classify=False, as_of=AS_OF)
    assert set(unread.values()) == {None}

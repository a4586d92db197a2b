"""Linear JSON reader: GraphQL issue nodes, checked against the Linear CSV reader
on the same tickets and against hand-computed durations and estimates."""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _descriptions import check_nowhere, read_classified
from _helpers import (
    CHECKS,
    FIXTURES,
    STATUS_AS_OF,
    STATUSES,
    ReaderCase,
    check_accounting,
    reasons,
    row,
    status_outcomes,
    write_json,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calibrate.config import Config
from calibrate.errors import InputError
from calibrate.io import detect_format, read_export
from calibrate.io.linear_csv import read_linear_csv
from calibrate.io.linear_json import looks_like_linear_json, read_linear_json

SMALL_CSV = FIXTURES / "linear_small.csv"
AS_OF = "2024-05-17 12:00"
#: Linear's state types of the statuses in the small CSV export.
STATE_TYPES = {"Done": "completed", "Canceled": "canceled", "Duplicate": "canceled",
               "In Progress": "started", "Todo": "unstarted"}


def _or_none(cell: str) -> str | None:
    return cell or None


def _estimate(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def nodes_from_csv(path: Path) -> list[dict]:
    """The issue nodes Linear's GraphQL API gives for the issues of a CSV export
    (the CSV's ``'`` before formula-like text is not in the API's values)."""
    with path.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    nodes = []
    for record in records:
        title = record["Title"]
        nodes.append({
            "id": f"uuid-{record['ID']}",
            "identifier": record["ID"],
            "title": title[1:] if title.startswith("'=") else title,
            "createdAt": record["Created"], "updatedAt": record["Updated"],
            "startedAt": _or_none(record["Started"]),
            "completedAt": _or_none(record["Completed"]),
            "canceledAt": _or_none(record["Canceled"]),
            "estimate": _estimate(record["Estimate"]),
            "assignee": {"name": "x", "displayName": "x", "email": record["Assignee"]}
            if record["Assignee"] else None,
            "labels": {"nodes": [{"name": name.strip()} for name in record["Labels"].split(",")
                                 if name.strip()]},
            "team": {"key": "ML", "name": record["Team"]},
            "state": {"name": record["Status"], "type": STATE_TYPES[record["Status"]]},
            "project": {"name": record["Project"]} if record["Project"] else None,
            "cycle": {"number": int(record["Cycle Number"]), "name": _or_none(record["Cycle Name"])}
            if record["Cycle Number"] else None,
            "history": {"nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}},
        })
    return nodes


def pulled(nodes: list[dict]) -> dict:
    """The file ``calibrate pull linear`` writes around the nodes."""
    return {"calibrate_pull": {"source": "linear", "version": 1,
                               "pulled_at": "2024-05-17T12:00:00Z",
                               "base_url": "https://api.linear.app/graphql", "project": "ML",
                               "query": {"team": "ML"}},
            "issues": nodes}


def graphql_page(nodes: list[dict], cursor: str | None = None, more: bool = False) -> dict:
    """One response of ``issues(first:, after:)``."""
    return {"data": {"issues": {"nodes": nodes,
                                "pageInfo": {"hasNextPage": more, "endCursor": cursor}}}}


def issue(identifier: str = "ML-1", **fields) -> dict:
    """A done issue node, started Tue 2024-05-07 09:00, completed Thu 15:00 UTC."""
    node = {"identifier": identifier, "title": "t", "createdAt": "2024-05-06T08:00:00.000Z",
            "updatedAt": "2024-05-09T15:00:00.000Z", "startedAt": "2024-05-07T09:00:00.000Z",
            "completedAt": "2024-05-09T15:00:00.000Z", "canceledAt": None, "estimate": 3,
            "assignee": {"name": "priya", "displayName": "Priya", "email": "priya@example.com"},
            "labels": {"nodes": []}, "team": {"key": "ML", "name": "Machine Learning"},
            "state": {"name": "Done", "type": "completed"}}
    node.update(fields)
    return node


def estimate_change(time: str, before: float | None, after: float | None) -> dict:
    return {"createdAt": time, "fromEstimate": before, "toEstimate": after,
            "fromState": None, "toState": None}


def read_nodes(directory: Path, nodes: list[dict], **options) -> object:
    return read_linear_json(write_json(directory, pulled(nodes), "linear.json"), **options)


# ---------------------------------------------------------------- the same tickets as the CSV


def test_same_canonical_table_as_the_linear_csv_export(tmp_path):
    from_csv = read_linear_csv(SMALL_CSV, as_of=AS_OF)
    from_json = read_nodes(tmp_path, nodes_from_csv(SMALL_CSV), as_of=AS_OF)
    # The CSV numbers rows from its header (row 1), the JSON its records from 1.
    expected = from_csv.tickets.assign(source_row=from_csv.tickets["source_row"] - 1)
    pd.testing.assert_frame_equal(from_json.tickets, expected)
    excluded_csv = from_csv.excluded.assign(source_row=from_csv.excluded["source_row"] - 1)
    # Details name the file's own fields ('Completed' there, 'completedAt' here).
    pd.testing.assert_frame_equal(from_json.excluded.drop(columns="detail"),
                                  excluded_csv.drop(columns="detail"))
    assert (from_json.rows_read, from_json.as_of) == (from_csv.rows_read, from_csv.as_of)


def test_cycle_time_and_fields_of_one_ticket(tmp_path):
    table = read_nodes(tmp_path, [issue(labels={"nodes": [{"name": "research"},
                                                            {"name": "experiment"}]},
                                        project={"name": "Ranking"},
                                        cycle={"number": 12, "name": None})])
    ticket = row(table, "ML-1")
    # Tue 09:00 to Thu 15:00: 15/24 + 1 + 15/24 working days
    np.testing.assert_allclose(ticket["duration_days"], 15 / 24 + 1 + 15 / 24, rtol=0, atol=1e-9)
    assert ticket["clock"] == "cycle"
    assert ticket["engineer"] == "priya@example.com"
    assert ticket["labels"] == "research; experiment"
    assert ticket["epic"] == "Ranking"
    assert ticket["sprints"] == "Cycle 12"
    assert ticket["status"] == "Done"
    assert pd.isna(ticket["issue_type"])


def test_engineer_falls_back_to_the_display_name_then_the_name(tmp_path):
    table = read_nodes(tmp_path, [
        issue("ML-1", assignee={"name": "priya", "displayName": "Priya P", "email": None}),
        issue("ML-2", assignee={"name": "zoe"}),
    ])
    assert table.tickets["engineer"].tolist() == ["Priya P", "zoe"]


def test_completed_without_started_is_lead_time(tmp_path):
    table = read_nodes(tmp_path, [issue(startedAt=None)])
    ticket = row(table, "ML-1")
    assert ticket["clock"] == "lead"
    # Mon 08:00 to Thu 15:00: 16/24 + 2 + 15/24
    np.testing.assert_allclose(ticket["duration_days"], 16 / 24 + 2 + 15 / 24, rtol=0, atol=1e-9)


def test_states_from_the_state_type_and_the_timestamps(tmp_path):
    nodes = [
        issue("ML-1", completedAt=None, canceledAt="2024-05-08T10:00:00.000Z",
              state={"name": "Canceled", "type": "canceled"}),
        issue("ML-2", completedAt=None, state={"name": "Won't fix", "type": "canceled"}),
        issue("ML-3", completedAt=None, state={"name": "Building", "type": "started"},
              startedAt=None),
        issue("ML-4", completedAt=None, startedAt=None,
              state={"name": "Todo", "type": "unstarted"}),
        issue("ML-5", completedAt=None, state={"name": "Building", "type": "started"}),
    ]
    table = read_nodes(tmp_path, nodes, as_of="2024-05-10 09:00")
    check_accounting(table)
    assert reasons(table) == {"ML-1": "not finished work", "ML-2": "not finished work",
                              "ML-4": "not started"}
    started_without_time = row(table, "ML-3")
    assert started_without_time["censored"] and started_without_time["clock"] == "lead"
    in_progress = row(table, "ML-5")
    assert in_progress["censored"] and in_progress["clock"] == "cycle"
    # Tue 09:00 to Fri 09:00 (the as-of time)
    np.testing.assert_allclose(in_progress["duration_days"], 3.0, rtol=0, atol=1e-9)


def test_every_status_spelling_is_classified_as_by_every_reader(tmp_path):
    # Linear has no resolutions: a closed ticket's status name says how it ended.
    nodes = []
    for n, (kind, name, _) in enumerate(STATUSES):
        closed = kind == "closed"
        nodes.append(issue(f"S-{n}", createdAt="2024-03-04T09:00:00.000Z",
                           updatedAt="2024-03-06T09:00:00.000Z",
                           startedAt="2024-03-05T09:00:00.000Z" if closed else None,
                           completedAt="2024-03-06T09:00:00.000Z" if closed else None,
                           estimate=2, state={"name": name, "type": None}))
    table = read_nodes(tmp_path, nodes, as_of=STATUS_AS_OF)
    names = [name for _, name, _ in STATUSES]
    assert dict(zip(names, status_outcomes(table), strict=True)) \
        == {name: outcome for _, name, outcome in STATUSES}


# ---------------------------------------------------------------- re-estimates


def test_estimate_in_force_when_work_started(tmp_path):
    history = {"nodes": [
        estimate_change("2024-05-08T10:00:00.000Z", 3, 5),  # after the start: re-pointed
        estimate_change("2024-05-06T09:00:00.000Z", 2, 3),  # before the start
        {"createdAt": "2024-05-07T10:00:00.000Z", "fromEstimate": None, "toEstimate": None,
         "fromState": {"type": "unstarted"}, "toState": {"type": "started"}},
    ], "pageInfo": {"hasNextPage": False}}
    table = read_nodes(tmp_path, [issue(estimate=5, history=history)])
    ticket = row(table, "ML-1")
    assert float(ticket["points"]) == 3.0
    assert bool(ticket["repointed"])
    assert any("re-pointed" in note for note in table.notes)


def test_estimate_set_only_after_the_start_keeps_the_current_one(tmp_path):
    history = {"nodes": [estimate_change("2024-05-08T10:00:00.000Z", None, 5)]}
    ticket = row(read_nodes(tmp_path, [issue(estimate=5, history=history)]), "ML-1")
    assert float(ticket["points"]) == 5.0
    assert not bool(ticket["repointed"])


def test_unreadable_history_time_excludes_the_ticket(tmp_path):
    history = {"nodes": [estimate_change("yesterday", 2, 3)]}
    table = read_nodes(tmp_path, [issue(history=history), issue("ML-2")])
    assert reasons(table) == {"ML-1": "unparseable date"}
    assert "'yesterday'" in table.excluded["detail"].iloc[0]


def test_missing_and_truncated_histories_are_counted_in_notes(tmp_path):
    nodes = [issue("ML-1"), issue("ML-2", history={"nodes": [], "pageInfo": {
        "hasNextPage": True, "endCursor": "c1"}}), issue("ML-3", history={"nodes": []})]
    table = read_nodes(tmp_path, nodes)
    assert any(note.startswith("1 issues were saved without their history")
               for note in table.notes)
    assert any(note.startswith("1 issues have more history entries") for note in table.notes)


_ESTIMATES = st.integers(min_value=0, max_value=13)


@st.composite
def estimate_histories(draw):
    """An issue's estimates over time: a starting value, then changes at distinct
    hours, and the hour work started."""
    values = draw(st.lists(_ESTIMATES, min_size=1, max_size=6))
    hours = sorted(draw(st.lists(st.integers(0, 200), min_size=len(values) - 1,
                                 max_size=len(values) - 1, unique=True)))
    start = draw(st.integers(0, 200).filter(lambda h: h not in hours))
    order = draw(st.permutations(range(len(hours))))  # the file need not be in time order
    return values, hours, start, order


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(estimate_histories())
def test_points_are_the_estimate_at_the_start_of_work(case):
    values, hours, start, order = case
    origin = pd.Timestamp("2024-01-01T00:00:00Z")

    def at(hour: int) -> str:
        return (origin + pd.Timedelta(hours=hour)).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    changes = [estimate_change(at(hours[i]), values[i], values[i + 1]) for i in order]
    node = issue(createdAt=at(-1), startedAt=at(start), completedAt=at(400), estimate=values[-1],
                 history={"nodes": changes})
    # Brute force: the estimate in force at each hour, read at the start.
    in_force = values[sum(hour < start for hour in hours)]
    later = values[sum(hour < start for hour in hours) + 1:]
    with tempfile.TemporaryDirectory() as directory:
        ticket = row(read_nodes(Path(directory), [node]), "ML-1")
    assert float(ticket["points"]) == in_force
    assert bool(ticket["repointed"]) == any(value != in_force for value in later)


# ---------------------------------------------------------------- shapes and detection


def test_every_saved_shape_gives_the_same_table(tmp_path):
    nodes = nodes_from_csv(SMALL_CSV)
    expected = read_nodes(tmp_path, nodes, as_of=AS_OF)
    pages = [graphql_page(nodes[:5], "c5", True), graphql_page(nodes[5:], "c12", False)]
    one_after_another = "\n".join(json.dumps(page) for page in pages)
    edges = {"data": {"team": {"issues": {"edges": [{"node": n, "cursor": str(i)}
                                                    for i, n in enumerate(nodes)]}}}}
    shapes = {"pages.json": pages, "documents.json": one_after_another, "nodes.json": nodes,
              "edges.json": edges, "one_page.json": graphql_page(nodes)}
    for name, data in shapes.items():
        path = write_json(tmp_path, data, name)
        assert detect_format(path) == "linear_json", name
        table = read_export(path, as_of=AS_OF)
        pd.testing.assert_frame_equal(table.tickets, expected.tickets, obj=name)
        pd.testing.assert_frame_equal(table.excluded, expected.excluded, obj=name)


def test_a_bare_list_with_number_and_state_is_linear_not_github(tmp_path):
    node = issue(number=1, state={"name": "Done", "type": "completed"})
    path = write_json(tmp_path, [node], "nodes.json")
    assert detect_format(path) == "linear_json"


def test_looks_like_linear_json_tells_trackers_apart():
    assert looks_like_linear_json(pulled([]))
    assert looks_like_linear_json(graphql_page([issue()]))
    assert looks_like_linear_json([graphql_page([]), graphql_page([issue()])])
    assert not looks_like_linear_json([{"number": 7, "state": "open",
                                        "created_at": "2024-05-14T08:53:33Z"}])
    assert not looks_like_linear_json({"issues": [{"key": "ML-1", "fields": {}}]})
    assert not looks_like_linear_json({"data": {"viewer": {"id": "x"}}})


@pytest.mark.parametrize("check", [c for c in CHECKS
                                   if c.__name__ != "check_chunks_give_the_same_table"],
                         ids=lambda c: c.__name__)
def test_reader_passes_the_checks_every_reader_passes(tmp_path, check):
    path = write_json(tmp_path, pulled(nodes_from_csv(SMALL_CSV)), "linear.json")
    check(ReaderCase("linear_json", path, Config(), AS_OF))


# ---------------------------------------------------------------- malformed input


def test_graphql_error_response_is_reported(tmp_path):
    path = write_json(tmp_path, {"errors": [{"message": "Authentication required, not "
                                             "authenticated", "extensions": {
                                                 "code": "AUTHENTICATION_ERROR"}}]}, "e.json")
    with pytest.raises(InputError, match="Linear API error response.*Authentication required"):
        read_linear_json(path)


def test_every_bad_record_is_listed_with_its_number(tmp_path):
    nodes = [issue("ML-1"), {"title": "no id", "createdAt": "2024-05-06T08:00:00Z"},
             "text", issue(""), issue("ML-5")]
    with pytest.raises(InputError) as raised:
        read_nodes(tmp_path, nodes)
    problems = {(p.row, p.message) for p in raised.value.problems}
    assert problems == {(2, "issue has no identifier"), (3, "record is not an issue object"),
                        (4, "issue identifier is not a text")}


def test_json_of_another_tracker_is_refused(tmp_path):
    github = write_json(tmp_path, [{"number": 1, "state": "open",
                                    "created_at": "2024-05-14T08:53:33Z"}], "github.json")
    with pytest.raises(InputError, match="not a list of Linear issues"):
        read_linear_json(github)
    other = write_json(tmp_path, {"data": {"viewer": {"id": "x"}}}, "viewer.json")
    with pytest.raises(InputError, match="no tickets"):
        read_linear_json(other)


def test_an_empty_pull_is_an_empty_table_as_of_a_time(tmp_path):
    path = write_json(tmp_path, pulled([]), "empty.json")
    with pytest.raises(InputError, match="no tickets"):
        read_linear_json(path)
    table = read_linear_json(path, as_of=AS_OF)
    assert table.rows_read == 0 and table.tickets.empty


# ---------------------------------------------------------------- descriptions


def test_descriptions_reach_the_classifier_as_from_the_csv(monkeypatch, tmp_path):
    with SMALL_CSV.open(encoding="utf-8", newline="") as handle:
        descriptions = [r["Description"] for r in csv.DictReader(handle)]
    nodes = [dict(node, description=description or None)
             for node, description in zip(nodes_from_csv(SMALL_CSV), descriptions, strict=True)]
    del nodes[2]["description"]  # (a node saved without the field)
    path = write_json(tmp_path, pulled(nodes), "linear.json")
    table, described = read_classified(monkeypatch, path, as_of=AS_OF)
    _, from_csv = read_classified(monkeypatch, SMALL_CSV, as_of=AS_OF)
    assert described == from_csv
    assert described["ML-1"].startswith("Compare against the BM25 baseline")
    check_nowhere(table, ["BM25 baseline", '"offline metrics", section 2'], tmp_path)
    _, unread = read_classified(monkeypatch, path, classify=False, as_of=AS_OF)
    assert set(unread.values()) == {None}


def test_a_description_that_is_not_text_is_none(monkeypatch, tmp_path):
    nodes = [issue("ML-1", description={"type": "doc"}), issue("ML-2", description=7),
             issue("ML-3", description="  Retrain the ranker  ")]
    _, described = read_classified(monkeypatch, write_json(tmp_path, pulled(nodes), "l.json"))
    assert described == {"ML-1": None, "ML-2": None, "ML-3": "Retrain the ranker"}

"""GitLab issues CSV reader: fixtures shaped like real exports, hand-computed durations."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _descriptions import check_nowhere, read_classified
from _helpers import FIXTURES, HOUR, QUICK, check_accounting, row, without_columns, write_csv_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calibrate.config import config_from_dict
from calibrate.errors import InputError
from calibrate.io import detect_format, read_export
from calibrate.io.gitlab_csv import issue_reference, looks_like_gitlab_csv, read_gitlab_csv

SMALL = FIXTURES / "gitlab_small.csv"  # the 20-column export
EPICS = FIXTURES / "gitlab_epics.csv"  # the newer export with Epic ID, Epic Title
AS_OF = "2024-03-15 12:00"
HEADER = EPICS.read_text(encoding="utf-8").splitlines()[0].split(",")


# ---------------------------------------------------------------- detection and ids


@pytest.mark.parametrize("path", [SMALL, EPICS])
def test_detect_format_recognises_both_header_variants(path):
    assert detect_format(path) == "gitlab_csv"


def test_looks_like_gitlab_needs_its_distinctive_columns():
    header = SMALL.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert looks_like_gitlab_csv(header)
    assert not looks_like_gitlab_csv([h for h in header if h != "Closed At (UTC)"])


@pytest.mark.parametrize(("url", "iid", "expected"), [
    ("https://gitlab.com/group/proj/-/issues/42", "42", "group/proj#42"),
    ("https://gitlab.example.org/a/b/c/-/issues/7", "7", "a/b/c#7"),
    ("https://gitlab.example.org/a/b/issues/7", "7", "a/b#7"),  # before the /-/ routes
    ("https://gitlab.com/group/proj/-/work_items/9", "9", "group/proj#9"),
    ("", "42", "42"),
    ("not a url", "42", "42"),
])
def test_issue_reference_from_url(url, iid, expected):
    assert issue_reference(url, iid) == expected


# ---------------------------------------------------------------- the small export


def test_rows_accounted_and_exact_exclusion_reasons():
    table = read_gitlab_csv(SMALL, as_of=AS_OF)
    assert table.rows_read == 12  # multi-line Description in the first record
    check_accounting(table)
    reasons = dict(zip(table.excluded["source_row"], table.excluded["reason"], strict=True))
    assert reasons == {
        3: "not finished work",    # #2 labelled duplicate
        4: "not finished work",    # #3 labelled Resolution::Won't Do
        6: "not started",          # #5 open, workflow::To Do
        8: "unassigned",           # #7
        9: "no points",            # #8 no weight
        10: "duplicate ticket id",  # the URL of #1 again
        11: "unparseable date",    # #9 closed "yesterday"
    }
    details = dict(zip(table.excluded["source_row"], table.excluded["detail"], strict=True))
    assert details[3] == "closed as duplicate"
    assert details[4] == "closed as Won't Do"
    assert details[10] == "ticket ml/models#1 first seen at row 2"


def test_ticket_ids_are_issue_references_unique_across_projects():
    table = read_gitlab_csv(SMALL, as_of=AS_OF)
    # Issue ID 1 exists in ml/models and in ml/data: two different tickets
    assert table.tickets["ticket_id"].tolist() == [
        "ml/models#1", "ml/models#4", "ml/models#6", "ml/data#1", "ml/models#10",
    ]


def test_lead_time_always_labelled():
    table = read_gitlab_csv(SMALL, as_of=AS_OF)
    assert set(table.tickets["clock"]) == {"lead"}
    assert (table.tickets["started_at"] == table.tickets["created_at"]).all()
    assert any("clock=lead" in note for note in table.notes)


def test_hand_computed_durations():
    table = read_gitlab_csv(SMALL, as_of=AS_OF)
    # #1: Mon 2024-03-04 09:00 -> Wed 03-06 15:00 UTC: 15/24 + 1 + 15/24 = 2.25
    np.testing.assert_allclose(row(table, "ml/models#1")["duration_days"], 2.25,
                               rtol=0, atol=1e-9)
    # #6: Fri 2024-03-08 16:00 -> Mon 03-11 10:00: 8/24 + weekend 0 + 10/24 = 0.75
    np.testing.assert_allclose(row(table, "ml/models#6")["duration_days"], 0.75,
                               rtol=0, atol=1e-9)
    # ml/data#1: Tue 2024-03-12 09:00 -> 15:00 the same day: 6/24 = 0.25
    np.testing.assert_allclose(row(table, "ml/data#1")["duration_days"], 0.25,
                               rtol=0, atol=1e-9)


def test_open_in_progress_issue_is_censored():
    table = read_gitlab_csv(SMALL, as_of=AS_OF)
    wip = row(table, "ml/models#4")  # labelled workflow::In Progress
    # Created Mon 2024-03-11 10:00, as-of Fri 03-15 12:00: 14/24 + 3 + 12/24 = 4 + 1/12
    np.testing.assert_allclose(wip["duration_days"], 4 + 1 / 12, rtol=0, atol=1e-9)
    assert wip["censored"] and pd.isna(wip["finished_at"])
    doing = row(table, "ml/models#10")  # plain label "Doing"
    # Created Wed 2024-03-13 09:00 -> as-of Fri 12:00: 15/24 + 1 + 12/24 = 2.125
    np.testing.assert_allclose(doing["duration_days"], 2.125, rtol=0, atol=1e-9)
    assert doing["censored"]


def test_fields_mapped():
    table = read_gitlab_csv(SMALL, as_of=AS_OF)
    first = row(table, "ml/models#1")
    assert first["engineer"] == "priya"  # Assignee Username
    assert first["issue_type"] == "Feature"  # from the scoped label Type::Feature
    assert first["labels"] == "Type::Feature; area::research"
    assert first["sprints"] == "Sprint 5"
    assert first["title"] == "Train the ranker"
    assert first["points"] == 3.0
    assert first["status"] == "Closed"
    assert pd.isna(row(table, "ml/models#6")["issue_type"])


def test_several_assignees_first_is_engineer_and_noted():
    table = read_gitlab_csv(SMALL, as_of=AS_OF)
    assert row(table, "ml/models#6")["engineer"] == "priya"  # "priya, zoe"
    assert any(note.startswith("1 of 12 issues have several assignees") for note in table.notes)


def test_scoped_labels_feed_area_rules():
    config = config_from_dict({"areas": {"rules": [
        {"area": "research", "patterns": ["area::research"], "fields": ["labels"]},
    ]}})
    table = read_gitlab_csv(SMALL, config, as_of=AS_OF)
    areas = dict(zip(table.tickets["ticket_id"], table.tickets["area"], strict=True))
    assert areas["ml/models#1"] == "research"
    assert areas["ml/models#6"] == "research"
    assert areas["ml/data#1"] == "general"


def test_configured_in_progress_statuses_decide_work_started():
    config = config_from_dict({"statuses": {"in_progress": ["Doing"]}})
    table = read_gitlab_csv(SMALL, config, as_of=AS_OF)
    excluded = table.excluded.set_index("ticket_id")["reason"]
    # workflow::In Progress no longer counts as started
    assert excluded["ml/models#4"] == "not started"
    assert row(table, "ml/models#10")["censored"]


# ---------------------------------------------------------------- the export with epics


def test_epic_columns_type_label_and_issue_id_fallback():
    table = read_gitlab_csv(EPICS)
    check_accounting(table)
    tune = row(table, "acme/search/api#21")
    assert tune["epic"] == "Search relevance"
    assert tune["issue_type"] == "bug"  # lower-case scoped label type::bug
    assert tune["labels"] == "type::bug; Product::Search"
    manual = row(table, "23")  # empty URL: the Issue ID is the id
    assert pd.isna(manual["epic"])
    assert manual["title"] == "@here manual entry"  # the cell is '@here manual entry
    reasons = dict(zip(table.excluded["ticket_id"], table.excluded["reason"], strict=True))
    assert reasons == {"acme/search/api#22": "not finished work"}  # labelled wontfix


def test_utc_times_converted_to_team_time_zone():
    # #21 created Fri 2024-03-08 23:30 UTC, closed Mon 2024-03-11 12:00 UTC
    utc = row(read_gitlab_csv(EPICS), "acme/search/api#21")
    # UTC: 0.5 h of Fri + weekend 0 + 12 h of Mon = 12.5/24
    np.testing.assert_allclose(utc["duration_days"], 12.5 * HOUR, rtol=0, atol=1e-9)
    berlin = config_from_dict({"calendar": {"timezone": "Europe/Berlin"}})
    local = row(read_gitlab_csv(EPICS, berlin), "acme/search/api#21")
    # Berlin is UTC+1 in March: created Sat 00:30 (weekend, 0), closed Mon 13:00: 13/24
    assert local["started_at"] == pd.Timestamp("2024-03-09 00:30")
    assert local["finished_at"] == pd.Timestamp("2024-03-11 13:00")
    np.testing.assert_allclose(local["duration_days"], 13 * HOUR, rtol=0, atol=1e-9)


def test_read_export_dispatches_to_gitlab():
    table = read_export(EPICS)
    assert table.source_format == "gitlab_csv"


# ---------------------------------------------------------------- errors


def test_missing_columns_all_listed_with_file(tmp_path):
    path = without_columns(SMALL, ("Weight", "State"), tmp_path / "gitlab_cut.csv")
    with pytest.raises(InputError) as caught:
        read_gitlab_csv(path)
    assert str(path) in str(caught.value)
    assert sorted(p.column for p in caught.value.problems) == ["State", "Weight"]


@pytest.mark.parametrize("cell", ["-1", "0001-01-01 00:00:00"])
def test_out_of_range_date_cell_is_an_unparseable_date(tmp_path, cell):
    rows = [{"Issue ID": "1", "URL": "https://gitlab.com/a/b/-/issues/1", "State": "Closed",
             "Assignee Username": "priya", "Weight": "1",
             "Created At (UTC)": "2024-03-04 09:00:00", "Closed At (UTC)": "2024-03-05 09:00:00"},
            {"Issue ID": "2", "URL": "https://gitlab.com/a/b/-/issues/2", "State": "Closed",
             "Assignee Username": "priya", "Weight": "1",
             "Created At (UTC)": "2024-03-04 09:00:00", "Closed At (UTC)": cell}]
    path = tmp_path / "gitlab.csv"
    write_csv_rows(path, HEADER, rows)
    table = read_gitlab_csv(path)
    assert table.excluded["reason"].tolist() == ["unparseable date"]


# ---------------------------------------------------------------- property test

_VALID_TIME = st.datetimes(min_value=pd.Timestamp("2024-01-01").to_pydatetime(),
                           max_value=pd.Timestamp("2024-12-31").to_pydatetime()).map(
    lambda d: d.strftime("%Y-%m-%d %H:%M:%S"))
_TIMES = st.one_of(_VALID_TIME, _VALID_TIME, _VALID_TIME, st.just(""),
                   st.sampled_from(["yesterday", "2024-02-30 10:00:00", "12/31/2024", "n/a", "-1"]))
_ROWS = st.fixed_dictionaries({
    "Issue ID": st.sampled_from(["1", "2", "3", ""]),
    "URL": st.sampled_from(["", "https://gitlab.com/a/b/-/issues/1",
                            "https://gitlab.com/a/c/-/issues/1", "http://x"]),
    "Title": st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=10),
    "State": st.sampled_from(["Closed", "Open", "closed", "opened", ""]),
    "Assignee Username": st.sampled_from(["", "priya", "priya, zoe", ",", " "]),
    "Assignee": st.sampled_from(["", "Priya Raman"]),
    "Created At (UTC)": _TIMES,
    "Updated At (UTC)": _TIMES,
    "Closed At (UTC)": _TIMES,
    "Weight": st.one_of(st.integers(-3, 13).map(str),
                        st.sampled_from(["", "2.5", "x", "nan", "inf", "1e3"])),
    "Labels": st.sampled_from(["", "Doing", "workflow::In Progress", "Won't Do",
                               "Type::Bug,duplicate", "a::b::wontfix", "::", ",,"]),
    "Epic Title": st.sampled_from(["", "E"]),
})


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_ROWS, min_size=1, max_size=8),
       as_of=st.sampled_from([None, "2024-06-30 12:00"]))
def test_random_rows_are_accounted_for_or_rejected(rows, as_of):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "gitlab.csv"
        write_csv_rows(path, HEADER, rows)
        try:
            table = read_gitlab_csv(path, as_of=as_of)
        except InputError as error:
            # a bad row is excluded, never a reason for the reader's own table to fail
            # the canonical schema
            assert "does not match the canonical ticket table" not in str(error)
            return
    assert table.rows_read == len(rows)
    check_accounting(table)
    assert set(table.tickets["clock"]) <= {"lead"}


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tickets=st.lists(st.tuples(
    st.datetimes(min_value=pd.Timestamp("2024-01-01").to_pydatetime(),
                 max_value=pd.Timestamp("2024-12-31").to_pydatetime()),
    st.one_of(st.integers(-72 * 60, 400 * 60),  # minutes from Created to Closed
              st.integers(-1, QUICK + 1)),     # ... and around the bookkeeping limit
), min_size=1, max_size=8))
def test_clean_closed_rows_kept_exactly_when_closed_after_created(tickets):
    stamp = "%Y-%m-%d %H:%M:%S"
    rows = [{"Issue ID": str(number), "URL": f"https://gitlab.com/g/p/-/issues/{number}",
             "State": "Closed", "Assignee Username": "priya", "Weight": "2",
             "Created At (UTC)": created.strftime(stamp),
             "Closed At (UTC)": (created + pd.Timedelta(minutes=delay)).strftime(stamp)}
            for number, (created, delay) in enumerate(tickets)]
    expected_kept = [f"g/p#{number}" for number, (_, delay) in enumerate(tickets)
                     if delay >= QUICK]
    # Closed within [durations] closed_within_minutes (default 15) of creation: bookkeeping.
    expected_reasons = {f"g/p#{number}": "negative duration" if delay < 0
                        else "closed within minutes"
                        for number, (_, delay) in enumerate(tickets) if delay < QUICK}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "gitlab.csv"
        write_csv_rows(path, HEADER, rows)
        table = read_gitlab_csv(path)
    assert table.tickets["ticket_id"].tolist() == expected_kept
    assert dict(zip(table.excluded["ticket_id"], table.excluded["reason"], strict=True)) \
        == expected_reasons
    assert (table.tickets["duration_days"] > 0).all()


# ---------------------------------------------------------------- closed within minutes


def test_issues_closed_within_minutes_of_creation_are_excluded(tmp_path):
    # Created Mon 2024-03-04 09:00 UTC; closed 30 s, 4 min, 14:59, exactly 15 min, 20 min
    # and 2 h later; one still open and in progress. The default limit is 15 minutes.
    closes = {"1": "09:00:30", "2": "09:04:00", "3": "09:14:59", "4": "09:15:00",
              "5": "09:20:00", "6": "11:00:00"}
    rows = [{"Issue ID": number, "URL": f"https://gitlab.com/g/p/-/issues/{number}",
             "State": "Closed", "Assignee Username": "priya", "Weight": "2",
             "Created At (UTC)": "2024-03-04 09:00:00",
             "Closed At (UTC)": f"2024-03-04 {closed}"} for number, closed in closes.items()]
    rows.append({"Issue ID": "7", "URL": "https://gitlab.com/g/p/-/issues/7", "State": "Opened",
                 "Assignee Username": "priya", "Weight": "2", "Labels": "workflow::Doing",
                 "Created At (UTC)": "2024-03-04 09:00:00"})
    path = tmp_path / "gitlab.csv"
    write_csv_rows(path, HEADER, rows)
    table = read_gitlab_csv(path, as_of="2024-03-05 09:00")
    check_accounting(table)
    assert table.rows_read == 7
    assert len(table.tickets) == 4 and len(table.excluded) == 3
    reasons = dict(zip(table.excluded["ticket_id"], table.excluded["reason"], strict=True))
    assert reasons == {"g/p#1": "closed within minutes", "g/p#2": "closed within minutes",
                       "g/p#3": "closed within minutes"}
    assert table.exclusion_counts().to_dict() == {"closed within minutes": 3}
    # 15 and 20 minutes: raised to the one-hour minimum; 2 h = 2/24; the open issue has
    # been in progress one working day at as-of.
    assert row(table, "g/p#4")["duration_days"] == pytest.approx(HOUR, rel=0, abs=1e-12)
    assert row(table, "g/p#5")["duration_days"] == pytest.approx(HOUR, rel=0, abs=1e-12)
    assert row(table, "g/p#6")["duration_days"] == pytest.approx(2 * HOUR, rel=0, abs=1e-12)
    assert row(table, "g/p#7")["duration_days"] == pytest.approx(1.0, rel=0, abs=1e-12)
    # 3 of 6 finished issues (50%): the reader says so.
    assert any(note.startswith("3 of 6 finished tickets (50%) were done within 15 minutes")
               for note in table.notes)
    # Turned off: every issue kept.
    off = read_gitlab_csv(path, config=config_from_dict({"durations": {
        "closed_within_minutes": 0}}), as_of="2024-03-05 09:00")
    assert len(off.tickets) == 7 and off.excluded.empty
    assert not any("closed within" in note for note in off.notes)


# ---------------------------------------------------------------- descriptions


def test_descriptions_reach_the_classifier_and_nothing_else(monkeypatch, tmp_path):
    # GitLab's "Export as CSV" writes the description, Markdown, in "Description"
    # (the fifth column, as in the real exports).
    assert HEADER[4] == "Description"
    table, described = read_classified(monkeypatch, SMALL, as_of=AS_OF)
    assert described["ml/models#1"] == 'Steps:\n1. pull data, "clean" it\n2. train, evaluate'
    assert described["ml/models#2"] is None
    check_nowhere(table, ['pull data, "clean" it', "2. train, evaluate"], tmp_path)
    _, unread = read_classified(monkeypatch, SMALL, classify=False, as_of=AS_OF)
    assert set(unread.values()) == {None}
    # An export without the column (a trimmed file): no descriptions, no error.
    trimmed = without_columns(SMALL, ("Description",), tmp_path / "trimmed.csv")
    without, described = read_classified(monkeypatch, trimmed, as_of=AS_OF)
    assert set(described.values()) == {None}
    pd.testing.assert_frame_equal(without.tickets, table.tickets)

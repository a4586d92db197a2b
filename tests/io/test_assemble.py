"""From a reader's staging table to the canonical table: every rule, once."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from _helpers import check_accounting, reasons, row
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calibrate.config import AreaRule, Config
from calibrate.durations import WorkCalendar
from calibrate.errors import InputError
from calibrate.io._assemble import assemble_tickets, mark_problem, parse_date_columns
from calibrate.tickets import EXCLUSION_COLUMNS, EXCLUSION_REASONS, TICKET_COLUMNS

_TIMES = ("created_at", "started_at", "finished_at", "updated_at")
# Mon 2024-03-04 09:00 -> Tue 2024-03-05 09:00 is exactly one working day.
_DEFAULT = {"engineer": "ana", "points_raw": "2", "state": "done",
            "created_at": "2024-03-04 09:00", "finished_at": "2024-03-05 09:00"}


def stage(*rows: dict) -> pd.DataFrame:
    """A staging table: each row is _DEFAULT updated by the given dict."""
    records = []
    for number, values in enumerate(rows):
        record = {"source_row": number + 2, "ticket_id": f"T-{number + 2}", **_DEFAULT, **values}
        records.append(record)
    frame = pd.DataFrame(records)
    for column in _TIMES:
        if column in frame:
            frame[column] = pd.to_datetime(frame[column], format="ISO8601")
    return frame


def assemble(staging: pd.DataFrame, config: Config | None = None, **kwargs):
    kwargs.setdefault("as_of", "2024-03-29 18:00")
    return assemble_tickets(staging, config=config or Config(), source_format="test",
                            path="staging.csv", **kwargs)


# ---------------------------------------------------------------- exclusion reasons


def test_every_exclusion_reason():
    staging = stage(
        {"ticket_id": "OK"},
        {"ticket_id": None},
        {"ticket_id": "OK"},                                        # row 4: duplicate of row 2
        {"ticket_id": "UNASSIGNED", "engineer": None},
        {"ticket_id": "NO-POINTS", "points_raw": ""},
        {"ticket_id": "BAD-POINTS", "points_raw": "a lot"},
        {"ticket_id": "WONT-DO", "state": "not_done", "resolution": "Won't Do"},
        {"ticket_id": "BACKLOG", "state": "open", "finished_at": None, "status": "To Do"},
        {"ticket_id": "UNREADABLE"},
        {"ticket_id": "NO-FINISH", "finished_at": None},
        {"ticket_id": "NEGATIVE", "finished_at": "2024-03-01 09:00"},
        {"ticket_id": "QUICK", "finished_at": "2024-03-04 09:05"},
    )
    mark_problem(staging, (staging["ticket_id"] == "UNREADABLE").to_numpy(),
                 "unparseable date", "column 'Resolved': 'soon' is not a date")
    table = assemble(staging)
    check_accounting(table)
    assert table.tickets["ticket_id"].tolist() == ["OK"]
    excluded = table.excluded
    assert set(excluded["reason"]) == set(EXCLUSION_REASONS)
    by_row = dict(zip(excluded["source_row"], excluded["reason"], strict=True))
    assert by_row == {
        3: "no ticket id", 4: "duplicate ticket id", 5: "unassigned", 6: "no points",
        7: "invalid points", 8: "not finished work", 9: "not started",
        10: "unparseable date", 11: "missing date", 12: "negative duration",
        13: "closed within minutes",
    }
    details = dict(zip(excluded["source_row"], excluded["detail"], strict=True))
    assert details[4].startswith("ticket OK first seen at row 2")
    assert details[8] == "closed as Won't Do"
    assert details[9] == "open, status To Do"
    assert details[10] == "column 'Resolved': 'soon' is not a date"
    assert "'a lot'" in details[7]
    # Excluded rows are typed like the canonical table plus reason/detail, in file order.
    assert list(excluded.columns) == list(EXCLUSION_COLUMNS)
    assert excluded["source_row"].is_monotonic_increasing
    # A duration that makes no sense is not kept on the excluded row.
    assert np.isnan(excluded.loc[excluded["reason"] == "negative duration",
                                 "duration_days"]).all()


def test_duplicate_detail_names_the_first_row_as_an_integer():
    table = assemble(stage({"ticket_id": "A"}, {"ticket_id": "A"}))
    assert table.excluded["detail"].tolist() == ["ticket A first seen at row 2"]


def test_duplicate_detail_is_an_integer_row_even_when_some_keys_are_missing():
    table = assemble(stage({"ticket_id": "A"}, {"ticket_id": None}, {"ticket_id": "A"}))
    assert dict(zip(table.excluded["source_row"], table.excluded["detail"], strict=True))[4] \
        == "ticket A first seen at row 2"


def test_missing_start_and_creation_is_a_missing_date():
    table = assemble(stage({"created_at": None}, {"ticket_id": "OK"}))
    assert reasons(table) == {"T-2": "missing date"}
    assert "neither a start of work nor a creation time" in table.excluded["detail"][0]


def test_created_after_as_of_is_not_started():
    table = assemble(stage({"created_at": "2024-04-02 09:00", "finished_at": None,
                            "state": "open", "work_started": True}, {}))
    assert reasons(table) == {"T-2": "not started"}
    assert "created after the as-of time" in table.excluded["detail"][0]


def test_precedence_follows_assembles_order():
    # Both unassigned and without points: "unassigned" comes first in assemble.
    # Not finished work beats unassigned; a reader's own reason beats everything.
    staging = stage(
        {"ticket_id": "A", "engineer": None, "points_raw": None},
        {"ticket_id": "B", "engineer": None, "state": "not_done"},
        {"ticket_id": "C", "engineer": None, "points_raw": "x", "state": "not_done"},
        {"ticket_id": "D", "points_raw": "", "finished_at": None},
        {"ticket_id": "E", "engineer": "  ", "points_raw": "  "},
    )
    mark_problem(staging, (staging["ticket_id"] == "C").to_numpy(), "unparseable date", "bad")
    table = assemble(staging)
    assert reasons(table) == {"A": "unassigned", "B": "not finished work",
                              "C": "unparseable date", "D": "no points", "E": "unassigned"}
    check_accounting(table)


def test_mark_problem_keeps_the_first_reason_and_rejects_unknown_ones():
    staging = stage({}, {})
    mark_problem(staging, [True, False], "unparseable date", "first")
    mark_problem(staging, [True, True], "missing date",
                 pd.Series(["again", "second"], index=staging.index))
    assert staging["problem_reason"].tolist() == ["unparseable date", "missing date"]
    assert staging["problem_detail"].tolist() == ["first", "second"]
    with pytest.raises(ValueError, match="unknown exclusion reason"):
        mark_problem(staging, [True, True], "too hard", "x")


def test_invalid_state_is_a_reader_bug():
    with pytest.raises(ValueError, match="reader bug"):
        assemble(stage({"state": "finished"}))
    with pytest.raises(ValueError, match="reader bug"):
        assemble(stage({"state": None}))


# ---------------------------------------------------------------- durations


def test_duration_is_hand_computed_and_lead_without_a_start():
    # Mon 2024-03-04 09:00 -> Wed 2024-03-06 15:00 = 15/24 + 1 + 15/24 = 2.25.
    table = assemble(stage({"finished_at": "2024-03-06 15:00"}))
    ticket = row(table, "T-2")
    assert ticket["duration_days"] == pytest.approx(2.25, rel=0, abs=1e-9)
    assert ticket["clock"] == "lead"
    assert ticket["started_at"] == pd.Timestamp("2024-03-04 09:00")
    assert any("lead time" in note for note in table.notes)


def test_cycle_clock_when_work_start_is_known():
    # Started Tue 2024-03-05 12:00, finished Wed 2024-03-06 15:00 = 12/24 + 15/24 = 1.125.
    table = assemble(stage({"started_at": "2024-03-05 12:00",
                            "finished_at": "2024-03-06 15:00"}))
    ticket = row(table, "T-2")
    assert ticket["clock"] == "cycle"
    assert ticket["duration_days"] == pytest.approx(1.125, rel=0, abs=1e-9)


def test_minimum_duration_floor_and_its_note():
    # Closed 20 minutes after it was opened (past the 15-minute bookkeeping limit):
    # 20/1440 working days, raised to 1/24. Closed the moment it was opened, with the
    # bookkeeping rule off and a configured minimum of 0.01: raised to 0.01.
    staging = stage({"finished_at": "2024-03-04 09:20"}, {"ticket_id": "normal"},
                    {"ticket_id": "instant", "finished_at": "2024-03-04 09:00"})
    table = assemble(staging)
    assert row(table, "T-2")["duration_days"] == pytest.approx(1 / 24, rel=0, abs=1e-12)
    assert row(table, "normal")["duration_days"] == pytest.approx(1.0, rel=0, abs=1e-12)
    assert reasons(table) == {"instant": "closed within minutes"}
    (note,) = [n for n in table.notes if "less than" in n]
    assert note.startswith("1 ticket(s) took less than 0.0417 working days")
    floored = assemble(staging, Config(minimum_duration_days=0.01, closed_within_minutes=0))
    assert row(floored, "T-2")["duration_days"] == pytest.approx(20 / 1440, rel=0, abs=1e-12)
    assert row(floored, "instant")["duration_days"] == pytest.approx(0.01, rel=0, abs=1e-12)


def test_weekend_only_ticket_is_floored():
    # Sat 10:00 -> Sun 15:00: no working time at all.
    table = assemble(stage({"created_at": "2024-03-09 10:00",
                            "finished_at": "2024-03-10 15:00"}))
    assert row(table, "T-2")["duration_days"] == pytest.approx(1 / 24, rel=0, abs=1e-12)


def test_finish_before_start_on_a_weekend_is_a_negative_duration():
    # Created Sat 2024-03-09 15:00, resolved the same Saturday at 10:00.
    table = assemble(stage({"created_at": "2024-03-09 15:00",
                            "finished_at": "2024-03-09 10:00"}, {"ticket_id": "OK"}))
    assert reasons(table) == {"T-2": "negative duration"}


def test_date_only_finish_counts_to_the_end_of_the_day():
    # Created and resolved on Tue 2024-03-12, both date-only: the whole day, 1.0.
    # Created Tue 09:00 (with a time), resolved "Wed 2024-03-13" (date only): counted to
    # Thursday 00:00 = 15/24 + 1 = 1.625.
    staging = stage(
        {"ticket_id": "same-day", "created_at": "2024-03-12", "finished_at": "2024-03-12"},
        {"ticket_id": "next-day", "created_at": "2024-03-12 09:00",
         "finished_at": "2024-03-13"},
    )
    staging["finished_has_time"] = [False, False]
    table = assemble(staging)
    assert row(table, "same-day")["duration_days"] == pytest.approx(1.0, rel=0, abs=1e-12)
    assert row(table, "same-day")["finished_at"] == pd.Timestamp("2024-03-13")
    assert row(table, "next-day")["duration_days"] == pytest.approx(1.625, rel=0, abs=1e-12)


def test_open_ticket_is_censored_at_as_of():
    # In progress since Mon 2024-03-25 09:00; as-of Wed 2024-03-27 12:00: 15/24 + 1 + 12/24.
    staging = stage({"state": "open", "finished_at": None, "work_started": True,
                     "created_at": "2024-03-25 09:00"})
    table = assemble(staging, as_of="2024-03-27 12:00")
    ticket = row(table, "T-2")
    assert bool(ticket["censored"]) is True
    assert pd.isna(ticket["finished_at"])
    assert ticket["duration_days"] == pytest.approx(15 / 24 + 1 + 12 / 24, rel=0, abs=1e-9)
    assert table.as_of == pd.Timestamp("2024-03-27 12:00")


def test_open_ticket_with_a_start_column_has_started():
    # No work_started flag, but a start of work before as-of: censored, cycle clock.
    staging = stage({"state": "open", "finished_at": None,
                     "started_at": "2024-03-26 09:00"})
    ticket = row(assemble(staging, as_of="2024-03-27 09:00"), "T-2")
    assert ticket["clock"] == "cycle"
    assert ticket["duration_days"] == pytest.approx(1.0, rel=0, abs=1e-12)


def test_work_started_after_as_of_is_not_started():
    staging = stage({"state": "open", "finished_at": None, "work_started": True,
                     "started_at": "2024-03-28 09:00"}, {})
    table = assemble(staging, as_of="2024-03-27 09:00")
    assert reasons(table) == {"T-2": "not started"}


def test_finished_after_as_of_with_known_start_is_censored():
    # Started Tue 2024-03-05 09:00, finished Fri 03-08; as-of Wed 03-06 09:00 -> open, 1.0.
    staging = stage({"started_at": "2024-03-05 09:00", "finished_at": "2024-03-08 09:00"})
    ticket = row(assemble(staging, as_of="2024-03-06 09:00"), "T-2")
    assert bool(ticket["censored"]) is True
    assert ticket["duration_days"] == pytest.approx(1.0, rel=0, abs=1e-12)


def test_default_as_of_is_the_latest_time_in_the_table():
    staging = stage({"updated_at": "2024-03-20 17:30"}, {"finished_at": "2024-03-07 10:00"})
    table = assemble_tickets(staging, config=Config(), source_format="t", path="s.csv")
    assert table.as_of == pd.Timestamp("2024-03-20 17:30")


def test_as_of_with_an_offset_is_converted_to_team_time():
    config = Config(calendar=WorkCalendar(timezone="Europe/Berlin"))
    table = assemble(stage({}), config, as_of="2024-03-29T12:00:00Z")
    assert table.as_of == pd.Timestamp("2024-03-29 13:00")  # CET = UTC+1


def test_bad_as_of_and_no_dates_are_input_errors():
    with pytest.raises(InputError, match="--as-of"):
        assemble(stage({}), as_of="next tuesday-ish")
    no_dates = stage({"created_at": None, "finished_at": None})
    with pytest.raises(InputError, match="no readable dates"):
        assemble_tickets(no_dates, config=Config(), source_format="t", path="s.csv")


def test_utc_times_are_counted_on_the_team_clock():
    # 08:00Z and 07:00Z a week apart across the March 2024 DST switch: Mon 09:00 -> Mon
    # 09:00 in Berlin, 5.0 working days (the UTC clock would give 5 - 1/24).
    staging = stage({})
    staging["created_at"] = pd.to_datetime(["2024-03-25T08:00:00Z"])
    staging["finished_at"] = pd.to_datetime(["2024-04-01T07:00:00Z"])
    config = Config(calendar=WorkCalendar(timezone="Europe/Berlin"))
    ticket = row(assemble(staging, config, as_of="2024-04-30"), "T-2")
    assert ticket["created_at"] == pd.Timestamp("2024-03-25 09:00")
    assert ticket["duration_days"] == pytest.approx(5.0, rel=0, abs=1e-12)


# ---------------------------------------------------------------- closed within minutes
# Mon 2024-03-04 09:00 is the creation time of every _DEFAULT row.


def _quick_fixture() -> pd.DataFrame:
    return stage(
        {"ticket_id": "30s", "finished_at": "2024-03-04 09:00:30"},
        {"ticket_id": "4min", "finished_at": "2024-03-04 09:04"},
        {"ticket_id": "20min", "finished_at": "2024-03-04 09:20"},
        {"ticket_id": "2h", "finished_at": "2024-03-04 11:00"},
        {"ticket_id": "open", "state": "open", "finished_at": None, "work_started": True},
    )


def test_closed_within_minutes_excludes_bookkeeping_and_keeps_the_rest():
    table = assemble(_quick_fixture())
    check_accounting(table)
    assert (table.rows_read, len(table.tickets), len(table.excluded)) == (5, 3, 2)
    assert reasons(table) == {"30s": "closed within minutes", "4min": "closed within minutes"}
    details = dict(zip(table.excluded["ticket_id"], table.excluded["detail"], strict=True))
    assert details == {
        "30s": "done 0.5 minutes after it was created (wall clock; [durations] "
               "closed_within_minutes = 15)",
        "4min": "done 4.0 minutes after it was created (wall clock; [durations] "
                "closed_within_minutes = 15)",
    }
    # 20 minutes is past the limit (raised to the one-hour minimum); 2 h = 2/24.
    assert row(table, "20min")["duration_days"] == pytest.approx(1 / 24, rel=0, abs=1e-12)
    assert row(table, "2h")["duration_days"] == pytest.approx(2 / 24, rel=0, abs=1e-12)
    # Open since Mon 09:00, as-of Fri 2024-03-29 18:00: 4 weeks less 15 h = 19 + 9/24.
    assert row(table, "open")["duration_days"] == pytest.approx(19 + 9 / 24, rel=0, abs=1e-9)
    assert bool(row(table, "open")["censored"]) is True
    # Every reason of the exclusions file is documented.
    assert EXCLUSION_REASONS["closed within minutes"]


def test_closed_within_minutes_zero_keeps_every_ticket():
    table = assemble(_quick_fixture(), Config(closed_within_minutes=0))
    check_accounting(table)
    assert len(table.tickets) == 5 and table.excluded.empty
    for ticket_id in ("30s", "4min", "20min"):
        assert row(table, ticket_id)["duration_days"] == pytest.approx(1 / 24, rel=0, abs=1e-12)


@pytest.mark.parametrize(("limit", "finished_at", "excluded"), [
    (15, "2024-03-04 09:15:00", False),             # exactly the limit: kept
    (15, "2024-03-04 09:14:59", True),
    (15, "2024-03-04 09:14:59.999999999", True),    # one nanosecond short
    (20, "2024-03-04 09:20:00", False),
    (20, "2024-03-04 09:19:00", True),
    (0.5, "2024-03-04 09:00:29", True),             # fractions of a minute: 30 s
    (0.5, "2024-03-04 09:00:30", False),
    (1440, "2024-03-05 08:59:00", True),            # the largest limit, one day
])
def test_closed_within_minutes_boundary_is_exact(limit, finished_at, excluded):
    staging = stage({"finished_at": finished_at})
    table = assemble(staging, Config(closed_within_minutes=limit))
    check_accounting(table)
    assert (reasons(table) == {"T-2": "closed within minutes"}) is excluded
    assert len(table.tickets) == (0 if excluded else 1)


def test_closed_within_minutes_uses_the_measured_clock():
    # Cycle clock: created a week earlier, work started Mon 10:00 and done at 10:05 (a
    # board swept after the fact) is excluded; done at 10:20, kept. Lead clock: created
    # and closed five minutes apart on a Saturday (no working time: wall clock counts).
    staging = stage(
        {"ticket_id": "swept", "created_at": "2024-02-26 09:00",
         "started_at": "2024-03-04 10:00", "finished_at": "2024-03-04 10:05"},
        {"ticket_id": "worked", "created_at": "2024-02-26 09:00",
         "started_at": "2024-03-04 10:00", "finished_at": "2024-03-04 10:20"},
        {"ticket_id": "saturday", "created_at": "2024-03-09 10:00",
         "finished_at": "2024-03-09 10:05"},
    )
    table = assemble(staging)
    check_accounting(table)
    assert reasons(table) == {"swept": "closed within minutes",
                              "saturday": "closed within minutes"}
    details = dict(zip(table.excluded["ticket_id"], table.excluded["detail"], strict=True))
    assert details["swept"].startswith("done 5.0 minutes after work started")
    assert details["saturday"].startswith("done 5.0 minutes after it was created")
    assert row(table, "worked")["clock"] == "cycle"


def test_closed_within_minutes_needs_a_finish_time_and_a_close_before_as_of():
    # A date-only finish has no time of day (created Tue 23:55, resolved "Tue": counted to
    # Wed 00:00, 5 minutes, but not a measured quick close). Finished after the as-of
    # time: open at as-of, so not closed at all. Unassigned: the earlier reason wins.
    staging = stage(
        {"ticket_id": "date-only", "created_at": "2024-03-12 23:55",
         "finished_at": "2024-03-12"},
        {"ticket_id": "later", "created_at": "2024-03-29 17:58",
         "finished_at": "2024-03-29 18:03"},
        {"ticket_id": "nobody", "engineer": None, "finished_at": "2024-03-04 09:01"},
    )
    staging["finished_has_time"] = [False, True, True]
    table = assemble(staging, as_of="2024-03-29 18:00")
    check_accounting(table)
    assert reasons(table) == {"nobody": "unassigned"}
    assert row(table, "date-only")["duration_days"] == pytest.approx(1 / 24, rel=0, abs=1e-12)
    assert bool(row(table, "later")["censored"]) is True


def test_a_large_share_closed_within_minutes_gets_a_note():
    # 2 of 10 finished tickets (20%) closed within 15 minutes: a note. 1 of 10 (10%,
    # not above the 10% threshold): none. An open ticket does not count.
    normal = [{"ticket_id": f"N-{n}"} for n in range(8)]
    quick = [{"ticket_id": f"Q-{n}", "finished_at": "2024-03-04 09:01"} for n in range(2)]
    still_open = {"ticket_id": "open", "state": "open", "finished_at": None,
                  "work_started": True}
    table = assemble(stage(*normal, *quick, still_open))
    (note,) = [n for n in table.notes if "closed within" in n]
    assert note.startswith("2 of 10 finished tickets (20%) were done within 15 minutes")
    assert "bookkeeping" in note and "closed_within_minutes = 0" in note
    calm = assemble(stage(*normal, {"ticket_id": "N-8"}, quick[0], still_open))
    assert reasons(calm) == {"Q-0": "closed within minutes"}
    assert not [n for n in calm.notes if "closed within" in n]
    assert not [n for n in assemble(stage(*normal)).notes if "closed within" in n]


# ---------------------------------------------------------------- points


@pytest.mark.parametrize(
    "cell, expected",
    [("3,5", 3.5), ("3.5", 3.5), (" 2 ", 2.0), ("0", 0.0), (".5", 0.5), ("+1", 1.0),
     ("13", 13.0)],
)
def test_points_numbers(cell, expected):
    assert row(assemble(stage({"points_raw": cell})), "T-2")["points"] == expected


@pytest.mark.parametrize("cell", ["-1", "-0.5", "three", "1e3", "inf", "NaN", "3 points", "1/2"])
def test_points_invalid(cell):
    table = assemble(stage({"points_raw": cell}))
    assert reasons(table) == {"T-2": "invalid points"}


def test_points_scale_maps_sizes_case_insensitively():
    config = Config(points_scale={"s": 1.0, "m": 3.0})
    table = assemble(stage({"ticket_id": "A", "points_raw": "M"},
                           {"ticket_id": "B", "points_raw": "s"},
                           {"ticket_id": "C", "points_raw": "XL"},
                           {"ticket_id": "D", "points_raw": "5"}), config)
    assert row(table, "A")["points"] == 3.0
    assert row(table, "B")["points"] == 1.0
    assert row(table, "D")["points"] == 5.0
    assert reasons(table) == {"C": "invalid points"}
    assert "one of s, m" in table.excluded["detail"][0]


def test_replayed_points_at_start_override_the_current_estimate():
    staging = stage({"ticket_id": "A", "points_raw": "5", "points_at_start": 3.0,
                     "repointed": True},
                    {"ticket_id": "B", "points_raw": "", "points_at_start": 2.0},
                    {"ticket_id": "C", "points_raw": "8", "points_at_start": np.nan})
    table = assemble(staging)
    assert row(table, "A")["points"] == 3.0
    assert bool(row(table, "A")["repointed"]) is True
    assert row(table, "B")["points"] == 2.0
    assert bool(row(table, "B")["repointed"]) is False
    assert row(table, "C")["points"] == 8.0
    assert any(n.startswith("1 tickets were re-pointed") for n in table.notes)


# ---------------------------------------------------------------- areas


def test_area_column_then_first_matching_rule_then_default():
    config = Config(
        area_default="ml-engineering",
        area_rules=(AreaRule("research", ("research", "spike"), ("labels", "title")),
                    AreaRule("data", ("^etl$",), ("components",)),
                    AreaRule("quality", ("^bug$",), ("issue_type",))),
    )
    staging = stage(
        {"ticket_id": "explicit", "area_raw": "Platform", "labels": "research"},
        {"ticket_id": "both", "labels": "ml-research", "components": "ETL"},
        {"ticket_id": "title", "title": "Spike: new loss"},
        {"ticket_id": "component", "components": "etl"},
        {"ticket_id": "not-whole", "components": "etl-v2"},
        {"ticket_id": "bug", "issue_type": "Bug"},
        {"ticket_id": "other", "issue_type": "Story", "labels": "docs"},
    )
    table = assemble(staging, config)
    areas = dict(zip(table.tickets["ticket_id"], table.tickets["area"], strict=True))
    assert areas == {"explicit": "Platform", "both": "research", "title": "research",
                     "component": "data", "not-whole": "ml-engineering", "bug": "quality",
                     "other": "ml-engineering"}


def test_anchored_rule_matches_one_of_several_labels():
    config = Config(area_rules=(AreaRule("data", ("^etl$",), ("labels",)),))
    table = assemble(stage({"labels": "infra; etl"}), config)
    assert row(table, "T-2")["area"] == "data"


# ---------------------------------------------------------------- parse_date_columns


def test_parse_date_columns_marks_unreadable_cells_and_date_only_finishes():
    staging = stage({}, {}, {}, {})
    staging = staging.drop(columns=["created_at", "finished_at"])
    created = pd.Series(["4/Mar/24 9:00 AM", "5/Mar/24 9:00 AM", "31/Foo/24 9:00 AM",
                         "6/Mar/24 9:00 AM"], name="Created")
    resolved = pd.Series(["2024-03-05", "2024-03-06T10:00:00", "2024-03-07", ""],
                         name="Resolved")
    staging["state"] = ["done", "done", "done", "open"]
    staging["work_started"] = [False, False, False, True]
    notes = parse_date_columns(staging, {"created_at": created, "finished_at": resolved},
                               file="export.csv")
    assert notes == ["dates in 'Created' read as %d/%b/%y %I:%M %p"]
    assert staging["finished_has_time"].tolist() == [False, True, False, False]
    assert staging["problem_reason"].isna().tolist() == [True, True, False, True]
    assert staging["problem_reason"][2] == "unparseable date"
    assert "'31/Foo/24 9:00 AM'" in staging["problem_detail"][2]
    table = assemble(staging, as_of="2024-03-08 09:00")
    check_accounting(table)
    # T-2: Mon 09:00 -> date-only Tue 03-05, counted to Wed 00:00 = 15/24 + 1.
    assert row(table, "T-2")["duration_days"] == pytest.approx(15 / 24 + 1, rel=0, abs=1e-9)
    # T-3: Tue 09:00 -> Wed 10:00 = 1 + 1/24.
    assert row(table, "T-3")["duration_days"] == pytest.approx(1 + 1 / 24, rel=0, abs=1e-9)
    assert reasons(table) == {"T-4": "unparseable date"}


# ---------------------------------------------------------------- property


_ENGINEERS = st.sampled_from(["ana", "ana", "ben", "ben", "cy", "cy", None, "", "  ", "NA"])
_POINTS = st.one_of(
    st.sampled_from(["1", "2", "3", "5", "3,5", "0", " 8 ", "1", "2", "3", None, "", "-1", "M",
                     "abc", "1e9", "nan"]),
    st.text(max_size=4),
)
_MOMENT = st.datetimes(min_value=pd.Timestamp("2024-02-26").to_pydatetime(),
                       max_value=pd.Timestamp("2024-03-24").to_pydatetime())
_OFFSET = st.one_of(st.integers(min_value=-60, max_value=400), st.none())


def _after(base, hours):
    if base is None or hours is None:
        return None
    return base + pd.Timedelta(hours=hours)


@st.composite
def staging_tables(draw):
    """Mostly plausible rows, with missing values, duplicates and nonsense sprinkled in."""
    size = draw(st.integers(min_value=1, max_value=12))
    rows = []
    for number in range(size):
        created = draw(_MOMENT) if draw(st.integers(0, 9)) else None
        started = _after(created, draw(_OFFSET)) if draw(st.integers(0, 3)) == 0 else None
        key = f"K-{number}" if draw(st.integers(0, 5)) else None
        rows.append({
            "source_row": number + 2,
            "ticket_id": key or draw(st.sampled_from([None, "", " ", "K-0", "K-1"])),
            "engineer": draw(_ENGINEERS),
            "labels": draw(st.sampled_from([None, "", "research", "etl; infra"])),
            "issue_type": draw(st.sampled_from([None, "Bug", "Story"])),
            "status": draw(st.sampled_from([None, "Done", "In Progress", "To Do"])),
            "resolution": draw(st.sampled_from([None, "", "Done", "Won't Do"])),
            "points_raw": draw(_POINTS),
            "points_at_start": draw(st.sampled_from([np.nan, np.nan, 0.0, 2.0, -1.0])),
            "repointed": draw(st.sampled_from([None, True, False])),
            "created_at": created,
            "started_at": started,
            "finished_at": _after(created, draw(_OFFSET)),
            "updated_at": draw(st.one_of(st.none(), _MOMENT)),
            "finished_has_time": draw(st.booleans()),
            "state": draw(st.sampled_from(["done", "done", "open", "not_done"])),
            "work_started": draw(st.sampled_from([None, True, False])),
        })
    frame = pd.DataFrame(rows)
    for column in _TIMES:
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    return frame


@settings(max_examples=35, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(staging=staging_tables(), as_of=st.sampled_from([None, "2024-03-15 12:00"]),
       scale=st.booleans())
def test_random_staging_tables_are_accounted_for_or_rejected_cleanly(staging, as_of, scale):
    config = Config(points_scale={"m": 3.0} if scale else {})
    try:
        table = assemble_tickets(staging, config=config, source_format="t", path="s.csv",
                                 as_of=as_of)
    except InputError:
        return
    check_accounting(table)
    assert table.rows_read == len(staging)
    assert list(table.tickets.columns) == list(TICKET_COLUMNS)
    assert (table.tickets["duration_days"] > 0).all()
    assert sorted(table.tickets["source_row"].tolist() + table.excluded["source_row"].tolist()) \
        == sorted(staging["source_row"].tolist())


def test_the_whitespace_list_is_what_str_strip_removes():
    """_WHITESPACE is written out (scanning Unicode at import took 0.1 s);
    this scan keeps it equal to str.isspace on the running Python."""
    from calibrate.io._assemble import _WHITESPACE

    scanned = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
    assert scanned == _WHITESPACE

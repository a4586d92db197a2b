"""Jira's CSV export, on fixtures built from four real export headers.

Each ``jira_shape*.csv`` fixture keeps the header of one real Jira Cloud export
(``tests/fixtures/formats/jira_cloud_header_N.csv``, copies of the real
export headers in the method guide's ``formats/``) byte for byte, repeated
columns and BOM included, with a few hand-written rows under it. Durations
below are computed by hand from the rows (weekends cut out, 24-hour days).
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from _descriptions import check_nowhere, read_classified
from _helpers import FIXTURES, check_accounting, reasons, row, without_columns

from calibrate.config import Config, load_config
from calibrate.errors import InputError
from calibrate.io import detect_format, read_export
from calibrate.io.jira_csv import RUSSIAN_HEADERS, looks_like_jira_csv, read_jira_csv
from calibrate.tickets import TICKET_COLUMNS, validate_tickets

REAL_HEADERS = FIXTURES / "formats"
SHAPES = {
    1: "jira_shape1_bom.csv",
    2: "jira_shape2_ru_dates.csv",
    3: "jira_shape3_both_points.csv",
    4: "jira_shape4_labels.csv",
}


def read(name: str, config: str | None = None, **kwargs):
    loaded = load_config(FIXTURES / config) if config else Config()
    return read_jira_csv(FIXTURES / name, config=loaded, **kwargs)


# ---------------------------------------------------------------- the fixtures


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_fixture_keeps_the_real_header_exactly(shape):
    real = (REAL_HEADERS / f"jira_cloud_header_{shape}.csv").read_bytes().split(b"\n", 1)[0]
    ours = (FIXTURES / SHAPES[shape]).read_bytes().split(b"\n", 1)[0]
    assert ours == real


def test_fixture_shapes_are_what_the_tests_assume():
    first = (FIXTURES / SHAPES[1]).read_bytes()
    assert first.startswith(b"\xef\xbb\xbf")  # shape 1 starts with a BOM
    header3 = (FIXTURES / SHAPES[3]).read_text(encoding="utf-8").splitlines()[0]
    assert "Status Category Changed" not in header3
    header4 = (FIXTURES / SHAPES[4]).read_text(encoding="utf-8").splitlines()[0]
    assert header4.count(",Labels,") == 2  # three Labels columns in a row


ALL_CASES = [
    ("jira_cloud_small.csv", None), ("jira_cloud_small.csv", "config_points_scale.toml"),
    (SHAPES[1], None), (SHAPES[2], None), (SHAPES[2], "config_points_scale.toml"),
    (SHAPES[3], None), (SHAPES[3], "config_start_column.toml"),
    (SHAPES[4], None), (SHAPES[4], "config_areas.toml"), (SHAPES[4], "config_area_column.toml"),
]


@pytest.mark.parametrize("name, config", ALL_CASES)
def test_every_row_is_accounted_for(name, config):
    table = read(name, config)
    data_rows = len(pd.read_csv(FIXTURES / name, dtype=str, keep_default_na=False,
                                encoding="utf-8-sig"))
    assert table.rows_read == data_rows
    check_accounting(table)
    assert table.excluded["detail"].notna().all()
    assert list(table.tickets.columns) == list(TICKET_COLUMNS)
    validate_tickets(table.tickets)
    assert table.source_format == "jira_csv"
    # Every source row appears exactly once, kept or excluded.
    rows = sorted([*table.tickets["source_row"], *table.excluded["source_row"]])
    assert rows == list(range(2, data_rows + 2))


@pytest.mark.parametrize("name", [*SHAPES.values(), "jira_cloud_small.csv"])
def test_fixtures_are_detected_and_read_as_jira(name):
    table = read_export(FIXTURES / name)
    assert table.source_format == "jira_csv"


# ---------------------------------------------------------------- shape 1


def test_shape1_bom_estimate_only_and_default_dates():
    table = read(SHAPES[1])
    # as-of: the latest time in the file, SH1-3's Updated 15/Mar/24 4:00 PM.
    assert table.as_of == pd.Timestamp("2024-03-15 16:00")
    assert sorted(table.tickets["ticket_id"]) == ["SH1-1", "SH1-3", "SH1-6", "SH1-7"]
    assert reasons(table) == {"SH1-2": "not finished work",  # Duplicate
                              "SH1-4": "not started",        # To Do
                              "SH1-5": "unassigned"}
    # SH1-1: Mon 04 Mar 09:00 -> Wed 06 Mar 15:00 = 15/24 + 1 + 15/24.
    assert row(table, "SH1-1")["duration_days"] == pytest.approx(2.25, rel=0, abs=1e-9)
    # SH1-7: Mon 11 Mar 09:00 -> Thu 14 Mar 17:00 = 15/24 + 2 + 17/24.
    assert row(table, "SH1-7")["duration_days"] == pytest.approx(3 + 8 / 24, rel=0, abs=1e-9)
    first = row(table, "SH1-1")
    assert first["points"] == 3.0
    assert first["engineer"] == "Ana Lima"
    assert first["epic"] == "Modeling"
    assert first["sprints"] == "S1"
    assert first["clock"] == "lead"
    assert first["created_at"] == pd.Timestamp("2024-03-04 09:00")
    assert first["finished_at"] == pd.Timestamp("2024-03-06 15:00")
    assert any("%d/%b/%y %I:%M %p" in note for note in table.notes)
    assert any("lead time" in note for note in table.notes)


def test_open_in_progress_ticket_is_censored_at_as_of_with_lead_clock():
    # SH1-3 (resolution text "Unresolved"): Mon 11 Mar 10:00 -> as-of Fri 15 Mar 16:00
    # = 14/24 + 3 + 16/24 = 4.25.
    ticket = row(read(SHAPES[1]), "SH1-3")
    assert bool(ticket["censored"]) is True
    assert pd.isna(ticket["finished_at"])
    assert ticket["clock"] == "lead"
    assert ticket["status"] == "In Progress"
    assert ticket["duration_days"] == pytest.approx(4.25, rel=0, abs=1e-9)


def test_done_without_resolved_finishes_at_status_category_changed():
    # SH1-6: Resolved empty; Status Category Changed Wed 13 Mar 12:00; created Tue 12:00.
    ticket = row(read(SHAPES[1]), "SH1-6")
    assert ticket["finished_at"] == pd.Timestamp("2024-03-13 12:00")
    assert ticket["duration_days"] == pytest.approx(1.0, rel=0, abs=1e-9)
    assert bool(ticket["censored"]) is False


def test_as_of_cuts_history():
    table = read(SHAPES[1], as_of="2024-03-12 11:00")
    assert table.as_of == pd.Timestamp("2024-03-12 11:00")
    # Finished before as-of: unchanged.
    assert row(table, "SH1-1")["duration_days"] == pytest.approx(2.25, rel=0, abs=1e-9)
    # Open at as-of: Mon 11 Mar 10:00 -> Tue 12 Mar 11:00 = 14/24 + 11/24.
    assert bool(row(table, "SH1-3")["censored"]) is True
    assert row(table, "SH1-3")["duration_days"] == pytest.approx(25 / 24, rel=0, abs=1e-9)
    excluded = reasons(table)
    assert excluded["SH1-6"] == "not started"  # created Tue 12 Mar 12:00, after as-of
    assert excluded["SH1-2"] == "not finished work"
    assert excluded["SH1-4"] == "not started"
    check_accounting(table)


def test_as_of_before_a_resolution_gives_a_censored_open_ticket():
    # SH1-7: created Mon 11 Mar 09:00, resolved Thu 14 Mar. At as-of Tue 12 Mar 11:00 it was
    # open: lead time so far = 15/24 + 11/24.
    table = read(SHAPES[1], as_of="2024-03-12 11:00")
    ticket = row(table, "SH1-7")
    assert bool(ticket["censored"]) is True
    assert pd.isna(ticket["finished_at"])
    assert ticket["duration_days"] == pytest.approx(26 / 24, rel=0, abs=1e-9)


# ---------------------------------------------------------------- shape 2: Russian dates


def test_russian_month_names():
    table = read(SHAPES[2])
    # as-of: SH2-3's Updated, 6/авг/24 15:00.
    assert table.as_of == pd.Timestamp("2024-08-06 15:00")
    # SH2-1: Mon 29 Jul 09:59 -> Wed 31 Jul 17:59 = 841/1440 + 1 + 1079/1440 = 2 + 1/3.
    assert row(table, "SH2-1")["duration_days"] == pytest.approx(2 + 1 / 3, rel=0, abs=1e-9)
    # SH2-2: Thu 1 Aug 10:00 -> Mon 5 Aug 10:00 = 14/24 + 1 + 10/24 = 2.0.
    assert row(table, "SH2-2")["duration_days"] == pytest.approx(2.0, rel=0, abs=1e-9)
    # SH2-3 open: Mon 5 Aug 09:00 -> as-of Tue 6 Aug 15:00 = 15/24 + 15/24.
    assert row(table, "SH2-3")["duration_days"] == pytest.approx(1.25, rel=0, abs=1e-9)
    assert row(table, "SH2-1")["created_at"] == pd.Timestamp("2024-07-29 09:59")
    assert any("%d/%b/%y %H:%M" in note for note in table.notes)


def test_unparseable_date_row_is_excluded_with_the_cell():
    table = read(SHAPES[2])
    assert reasons(table)["SH2-5"] == "unparseable date"
    detail = table.excluded.set_index("ticket_id").loc["SH2-5", "detail"]
    assert "Created" in detail and "31/фуу/24 10:00" in detail


def test_t_shirt_points_need_a_scale():
    assert reasons(read(SHAPES[2]))["SH2-4"] == "invalid points"
    table = read(SHAPES[2], "config_points_scale.toml")
    ticket = row(table, "SH2-4")
    assert ticket["points"] == 3.0  # M = 3 in the config's scale
    # Tue 30 Jul 09:00 -> 15:00.
    assert ticket["duration_days"] == pytest.approx(0.25, rel=0, abs=1e-9)
    small = read("jira_cloud_small.csv", "config_points_scale.toml")
    assert row(small, "ML-10")["points"] == 5.0  # L = 5


# ---------------------------------------------------------------- shape 3: both point columns


def test_story_points_columns():
    table = read(SHAPES[3])
    assert row(table, "SH3-1")["points"] == 5.0  # both filled (5 and 3): Story Points
    assert row(table, "SH3-2")["points"] == 2.0  # only Story point estimate
    assert row(table, "SH3-3")["points"] == 1.0  # only Story Points
    assert ("1 rows have both story-point fields filled; 'Custom field (Story Points)' "
            "was used") in table.notes


def test_shape3_durations_and_exclusions():
    table = read(SHAPES[3])
    # Dates as dd/mm/yyyy HH:MM. SH3-1 Mon 09:00 -> Tue 09:00; SH3-2 Tue 10:00 -> Thu 16:00
    # = 14/24 + 1 + 16/24; SH3-3 Wed 09:00 -> Fri 09:00.
    assert row(table, "SH3-1")["duration_days"] == pytest.approx(1.0, rel=0, abs=1e-9)
    assert row(table, "SH3-2")["duration_days"] == pytest.approx(2.25, rel=0, abs=1e-9)
    assert row(table, "SH3-3")["duration_days"] == pytest.approx(2.0, rel=0, abs=1e-9)
    assert reasons(table) == {
        "SH3-4": "missing date",       # done, no Resolved, no Status Category Changed column
        "SH3-5": "not finished work",  # Won't Do
        "SH3-6": "not finished work",  # Cannot Reproduce
    }


def test_start_column_gives_cycle_time():
    table = read(SHAPES[3], "config_start_column.toml")
    # SH3-1 started Mon 12:00, done Tue 09:00 = 12/24 + 9/24.
    assert row(table, "SH3-1")["clock"] == "cycle"
    assert row(table, "SH3-1")["duration_days"] == pytest.approx(21 / 24, rel=0, abs=1e-9)
    # SH3-3 started Thu 09:00, done Fri 09:00.
    assert row(table, "SH3-3")["clock"] == "cycle"
    assert row(table, "SH3-3")["duration_days"] == pytest.approx(1.0, rel=0, abs=1e-9)
    # SH3-2 has no start: lead time, as without the setting.
    assert row(table, "SH3-2")["clock"] == "lead"
    assert row(table, "SH3-2")["duration_days"] == pytest.approx(2.25, rel=0, abs=1e-9)


# ---------------------------------------------------------------- shape 4: labels, areas


def test_shape4_labels_components_duplicate_and_durations():
    table = read(SHAPES[4])
    assert row(table, "SH4-1")["labels"] == "ml-research; etl"  # the empty middle cell skipped
    assert row(table, "SH4-1")["components"] == "etl"
    assert row(table, "SH4-1")["points"] == 2.0   # Story Points empty, estimate 2
    assert row(table, "SH4-2")["points"] == 3.0   # Story Points 3, estimate empty
    assert row(table, "SH4-2")["title"] == "Nightly ETL"  # the first of the duplicates
    assert pd.isna(row(table, "SH4-3")["labels"])
    assert reasons(table) == {"SH4-2": "duplicate ticket id"}
    assert table.excluded["source_row"].tolist() == [6]
    assert table.excluded["detail"].tolist() == ["ticket SH4-2 first seen at row 3"]
    # Dotted German dates. SH4-1 Mon 09:00 -> 15:00; SH4-3 Thu 07 Mar 09:00 -> Mon 11 Mar
    # 09:00 = 15/24 + 1 + 9/24; SH4-4 Fri 09:00 -> 17:00.
    assert row(table, "SH4-1")["duration_days"] == pytest.approx(0.25, rel=0, abs=1e-9)
    assert row(table, "SH4-3")["duration_days"] == pytest.approx(2.0, rel=0, abs=1e-9)
    assert row(table, "SH4-4")["duration_days"] == pytest.approx(8 / 24, rel=0, abs=1e-9)


def test_area_rules_first_match_wins_else_default():
    table = read(SHAPES[4], "config_areas.toml")
    areas = dict(zip(table.tickets["ticket_id"], table.tickets["area"], strict=True))
    assert areas == {
        "SH4-1": "research",        # label ml-research (also component etl: first rule wins)
        "SH4-2": "data",            # component ETL
        "SH4-3": "quality",         # issue type Bug
        "SH4-4": "ml-engineering",  # nothing matches: the default
    }


def test_explicit_area_column_then_rules():
    table = read(SHAPES[4], "config_area_column.toml")
    areas = dict(zip(table.tickets["ticket_id"], table.tickets["area"], strict=True))
    assert areas == {"SH4-1": "ml-engineering", "SH4-2": "Platform", "SH4-3": "quality",
                     "SH4-4": "ml-engineering"}


# ---------------------------------------------------------------- the small fixture


def test_small_fixture_multi_value_fields_and_rows():
    table = read("jira_cloud_small.csv")
    # ML-1's description spans two lines; ML-2 is still spreadsheet row 3.
    assert row(table, "ML-1")["source_row"] == 2
    assert row(table, "ML-2")["source_row"] == 3
    assert row(table, "ML-1")["labels"] == "research; experiment"
    assert row(table, "ML-1")["sprints"] == "ML Sprint 1; ML Sprint 2"
    assert row(table, "ML-2")["engineer"] == "Zoë Müller"
    # ML-1: Mon 4 Mar 09:15 -> Wed 6 Mar 15:15 = 14.75/24 + 1 + 15.25/24.
    assert row(table, "ML-1")["duration_days"] == pytest.approx(2.25, rel=0, abs=1e-9)
    assert reasons(table) == {
        "ML-3": "not finished work", "ML-4": "unassigned", "ML-5": "no points",
        "ML-7": "not started", "ML-2": "duplicate ticket id", "ML-9": "unparseable date",
        "ML-10": "invalid points",
    }


# ---------------------------------------------------------------- other files


def write(tmp_path, text: str, name: str = "export.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_required_columns_are_all_listed(tmp_path):
    path = write(tmp_path, "Issue key,Summary,Status\nML-1,x,Done\n")
    with pytest.raises(InputError) as caught:
        read_jira_csv(path)
    columns = [p.column for p in caught.value.problems]
    assert columns == ["Assignee", "Created", "Resolved",
                       "Custom field (Story Points) or Custom field (Story point estimate)"]
    assert str(path) in caught.value.summary


def test_configured_columns_are_required_too(tmp_path):
    path = write(tmp_path, "Issue key,Summary,Status,Assignee,Created,Resolved\nML-1,x,Done,"
                           "a,1/Mar/24 9:00 AM,2/Mar/24 9:00 AM\n")
    config = Config(points_column="Custom field (Effort)", start_column="Custom field (Begun)",
                    area_column="Custom field (Area)")
    with pytest.raises(InputError) as caught:
        read_jira_csv(path, config=config)
    assert [p.column for p in caught.value.problems] == [
        "Custom field (Effort)", "Custom field (Begun)", "Custom field (Area)"]


def test_configured_points_column(tmp_path):
    path = write(tmp_path, "Issue key,Summary,Status,Assignee,Created,Resolved,"
                           "Custom field (Effort),Custom field (Story Points)\n"
                           "ML-1,x,Done,a,4/Mar/24 9:00 AM,5/Mar/24 9:00 AM,8,2\n")
    table = read_jira_csv(path, config=Config(points_column="Custom field (Effort)"))
    assert table.tickets["points"].tolist() == [8.0]


def test_status_without_status_category_uses_configured_statuses(tmp_path):
    path = write(tmp_path,
                 "Issue key,Summary,Status,Resolution,Assignee,Created,Resolved,"
                 "Custom field (Story Points)\n"
                 "A-1,done,Closed,Fixed,ana,4/Mar/24 9:00 AM,5/Mar/24 9:00 AM,1\n"
                 "A-2,reviewing,In Review,,ana,4/Mar/24 9:00 AM,,2\n"
                 "A-3,waiting,Open,,ana,4/Mar/24 9:00 AM,,2\n"
                 "A-4,abandoned,Closed,Won't Fix,ana,4/Mar/24 9:00 AM,5/Mar/24 9:00 AM,1\n")
    table = read_jira_csv(path)
    assert bool(row(table, "A-1")["censored"]) is False
    assert bool(row(table, "A-2")["censored"]) is True  # In Review: work has started
    # as-of = latest time in the file, Tue 5 Mar 09:00: A-2 open for one working day.
    assert row(table, "A-2")["duration_days"] == pytest.approx(1.0, rel=0, abs=1e-9)
    assert reasons(table) == {"A-3": "not started", "A-4": "not finished work"}


def test_date_column_of_garbage_is_an_input_error(tmp_path):
    path = write(tmp_path, "Issue key,Summary,Status,Assignee,Created,Resolved,"
                           "Custom field (Story Points)\n"
                           "A-1,x,Done,ana,yesterday,5/Mar/24 9:00 AM,1\n"
                           "A-2,x,Done,ana,last week,5/Mar/24 9:00 AM,1\n")
    with pytest.raises(InputError) as caught:
        read_jira_csv(path)
    assert "'Created'" in caught.value.summary
    assert [p.row for p in caught.value.problems] == [2, 3]


def test_tickets_resolved_within_minutes_are_excluded(tmp_path):
    # Jira's default date format has minutes only. Created Mon 4 Mar 2024 9:00 AM; resolved
    # the same minute, 4, 14, 15 (the default limit: kept) and 20 minutes and 2 hours
    # later; Q-7 in progress. Q-8 was created a week earlier and its start of work (the
    # configured start column) is 5 minutes before the resolution: cycle clock, excluded.
    resolved = {"Q-1": "9:00 AM", "Q-2": "9:04 AM", "Q-3": "9:14 AM", "Q-4": "9:15 AM",
                "Q-5": "9:20 AM", "Q-6": "11:00 AM"}
    lines = ["Issue key,Summary,Status,Resolution,Assignee,Created,Resolved,"
             "Custom field (Story Points),Custom field (Begun)"]
    lines += [f"{key},t,Done,Done,ana,4/Mar/24 9:00 AM,4/Mar/24 {time},2,"
              for key, time in resolved.items()]
    lines.append("Q-7,t,In Progress,,ana,4/Mar/24 9:00 AM,,2,")
    lines.append("Q-8,t,Done,Done,ana,26/Feb/24 9:00 AM,4/Mar/24 10:05 AM,2,4/Mar/24 10:00 AM")
    path = write(tmp_path, "\n".join(lines) + "\n")
    config = Config(start_column="Custom field (Begun)")
    table = read_jira_csv(path, config=config, as_of="2024-03-05 09:00")
    check_accounting(table)
    assert table.rows_read == 8
    assert reasons(table) == {key: "closed within minutes" for key in ("Q-1", "Q-2", "Q-3", "Q-8")}
    details = dict(zip(table.excluded["ticket_id"], table.excluded["detail"], strict=True))
    assert details["Q-2"].startswith("done 4.0 minutes after it was created")
    assert details["Q-8"].startswith("done 5.0 minutes after work started")
    assert row(table, "Q-4")["duration_days"] == pytest.approx(1 / 24, rel=0, abs=1e-12)
    assert row(table, "Q-6")["duration_days"] == pytest.approx(2 / 24, rel=0, abs=1e-12)
    # Q-7 is open, censored.
    assert row(table, "Q-7")["duration_days"] == pytest.approx(1.0, rel=0, abs=1e-12)
    off = read_jira_csv(path, config=config.with_changes(closed_within_minutes=0),
                        as_of="2024-03-05 09:00")
    assert len(off.tickets) == 8 and off.excluded.empty
    assert row(off, "Q-8")["clock"] == "cycle"


def test_looks_like_jira_csv():
    assert looks_like_jira_csv(["Summary", "Issue key", "Status"])
    assert looks_like_jira_csv(["summary", "ISSUE KEY"])
    assert not looks_like_jira_csv(["ID", "Title", "Status"])
    assert not looks_like_jira_csv([])


@pytest.mark.parametrize("as_of", [None, "2024-03-01"])
def test_header_only_export_is_an_empty_table_or_an_input_error(tmp_path, as_of):
    path = write(tmp_path, "Summary,Issue key,Status,Resolution,Assignee,Created,Resolved,"
                           "Custom field (Story Points)\n")
    try:
        table = read_jira_csv(path, as_of=as_of)
    except InputError:
        return
    assert table.rows_read == 0
    assert len(table.tickets) == 0 and len(table.excluded) == 0


# --------------------------------------------------------------------------- Russian headers


def _in_russian(text: str) -> str:
    """jira_cloud_small.csv as a Russian Jira writes it: every known header and
    the status categories translated (first Russian name of each field)."""
    russian = {}
    for name, english in RUSSIAN_HEADERS.items():
        russian.setdefault(english, name.capitalize())
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    header = [russian.get(h, h) for h in rows[0]]
    header = [h.replace("Custom field (", "Пользовательское поле (") for h in header]
    category = rows[0].index("Status Category")
    categories = {"Done": "Готово", "In Progress": "В работе", "To Do": "К выполнению"}
    for cells in rows[1:]:
        cells[category] = categories.get(cells[category], cells[category])
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows([header, *rows[1:]])
    return out.getvalue()


def test_a_russian_export_reads_as_the_english_one(tmp_path):
    small = FIXTURES / "jira_cloud_small.csv"
    english = read(small.name)
    path = tmp_path / "jira_ru.csv"
    path.write_text(_in_russian(small.read_text(encoding="utf-8-sig")), encoding="utf-8-sig")
    assert "Ключ проблемы" in path.read_text(encoding="utf-8-sig").splitlines()[0]
    assert detect_format(path) == "jira_csv"
    russian = read_export(path)
    pd.testing.assert_frame_equal(russian.tickets, english.tickets)
    pd.testing.assert_frame_equal(russian.excluded, english.excluded)
    assert any("Russian" in note for note in russian.notes)


def test_a_russian_export_saved_as_cp1251_is_read(tmp_path):
    """Excel re-saves Russian exports in Windows-1251: its Cyrillic words must
    not be read as cp1252 accented letters (mojibake, then no known column)."""
    small = FIXTURES / "jira_cloud_small.csv"
    text = _in_russian(small.read_text(encoding="utf-8-sig"))
    text = text.replace("Data Engineering", "Инженерия данных")  # Cyrillic cells too
    path = tmp_path / "jira_ru.csv"
    path.write_bytes(text.encode("cp1251", errors="replace"))  # (Zoë: no ë in cp1251)
    assert detect_format(path) == "jira_csv"
    table = read_export(path)
    assert table.rows_read == read(small.name).rows_read
    assert any("read as cp1251" in note for note in table.notes)
    assert any("Russian" in note for note in table.notes)


# ---------------------------------------------------------------- descriptions


def test_descriptions_reach_the_classifier_and_nothing_else(monkeypatch, tmp_path):
    table, described = read_classified(monkeypatch, FIXTURES / "jira_cloud_small.csv")
    # The multi-line quoted cell, as it is (Jira's wiki markup is text to the classifier).
    assert described["ML-1"] == 'Multi-line\ndescription, with "quotes"'
    assert described["ML-3"] is None and described["ML-10"] is None  # empty cells
    check_nowhere(table, ['description, with "quotes"'], tmp_path)
    # A Data Center export's empty Description column.
    _, described = read_classified(monkeypatch, FIXTURES / SHAPES[1])
    assert set(described.values()) == {None}


def test_descriptions_are_not_read_without_the_classifier(monkeypatch):
    _, described = read_classified(monkeypatch, FIXTURES / "jira_cloud_small.csv",
                                   classify=False)
    assert set(described.values()) == {None}


def test_an_export_without_descriptions_is_read_as_before(monkeypatch, tmp_path):
    path = without_columns(FIXTURES / "jira_cloud_small.csv", ("Description",),
                           tmp_path / "no_description.csv")
    table, described = read_classified(monkeypatch, path)
    assert set(described.values()) == {None}
    pd.testing.assert_frame_equal(table.tickets, read_jira_csv(
        FIXTURES / "jira_cloud_small.csv", Config(area_classify=True)).tickets)


def test_a_russian_export_names_the_description_column_in_russian(monkeypatch, tmp_path):
    text = (FIXTURES / "jira_cloud_small.csv").read_text(encoding="utf-8-sig")
    header, rest = text.split("\n", 1)
    path = tmp_path / "ru.csv"
    path.write_text(header.replace("Description", "Описание") + "\n" + rest, encoding="utf-8")
    _, described = read_classified(monkeypatch, path)
    assert described["ML-1"] == 'Multi-line\ndescription, with "quotes"'

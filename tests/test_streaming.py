"""Ticket sums (calibrate.streaming): streamed and SQL sums against a brute-force
computation, exact rebasing of recency weights, and the fit from sums against
the in-memory fit of the same tickets.

Tolerances: sums are compared at rtol=1e-12 (files, DuckDB) and 1e-9 (SQLite,
whose julianday() holds times to the millisecond); fitted values at
rtol=atol=1e-6. The fit stops at its optimiser's and EM's tolerances, so the
in-memory fit itself moves by ~3e-7 when the rows of its table are only put
in another order (test_in_memory_fit_moves_as_much_when_rows_are_reordered):
the streamed fit cannot be asked to agree more closely than that.
"""

from __future__ import annotations

import math
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calibrate import CalibrationWarning, Calibrator
from calibrate.datasets import simulate_tickets
from calibrate.errors import InputError
from calibrate.io import write_tickets
from calibrate.model import _pool_small_areas, _recency_weights, prepare_design
from calibrate.streaming import (
    GROUP_KEYS,
    SUM_COLUMNS,
    TicketSums,
    prepare_summed,
    read_ticket_chunks,
)
from calibrate.tickets import TICKET_COLUMNS

FIT = {"rtol": 1e-6, "atol": 1e-6}
TIMES = ("created_at", "started_at", "finished_at")


def _quiet(function, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        return function(*args)


def _history(n: int = 1500, engineers: int = 25, seed: int = 11) -> pd.DataFrame:
    """Simulated tickets with open and abandoned ones, both clocks and 0 points;
    times to the second (what SQLite keeps)."""
    table = simulate_tickets(n, engineers, seed=seed, history_days=60, abandoned=0.03).tickets
    for column in TIMES:
        table[column] = table[column].dt.floor("s")
    lead = np.arange(len(table)) % 9 == 0
    table.loc[lead, "clock"] = "lead"
    table.loc[np.arange(len(table)) % 97 == 5, "points"] = 0.0
    return table


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return _history()


@pytest.fixture(scope="module")
def in_memory(history) -> Calibrator:
    return _quiet(Calibrator().fit, history)


def brute_force_sums(table: pd.DataFrame, half_life_days: float | None,
                     reference: pd.Timestamp | None = None) -> pd.DataFrame:
    """Per (engineer, area, points, clock): the sums, row by row in Python."""
    newest = reference if reference is not None else max(table[c].max() for c in TIMES)
    groups: dict[tuple, list[float]] = {}
    for row in table[~table["censored"]].itertuples():
        key = (row.engineer, row.area, float(row.points), row.clock)
        y = math.log(row.duration_days)
        age = (newest - row.started_at).total_seconds() / 86_400
        w = 1.0 if half_life_days is None else 0.5 ** (age / half_life_days)
        total = groups.setdefault(key, [0.0] * 6)
        for index, value in enumerate((1.0, y, y * y, w, w * y, w * y * y)):
            total[index] += value
    frame = pd.DataFrame([[*key, *values] for key, values in sorted(groups.items())],
                         columns=[*GROUP_KEYS, *SUM_COLUMNS])
    return frame


def assert_sums_equal(sums: TicketSums, expected: pd.DataFrame, rtol: float) -> None:
    got = sums.finished
    assert len(got) == len(expected)
    for key in GROUP_KEYS:
        assert got[key].tolist() == expected[key].tolist()
    assert got["tickets"].tolist() == expected["tickets"].astype(int).tolist()
    for column in SUM_COLUMNS[1:]:
        np.testing.assert_allclose(got[column], expected[column], rtol=rtol, atol=1e-300)


def assert_same_fit(streamed: Calibrator, memory: Calibrator) -> None:
    """Every table of the result, numbers at rtol=atol=1e-6."""
    ours, theirs = streamed.result_, memory.result_
    assert streamed.n_tickets_ == memory.n_tickets_
    assert streamed.n_censored_ == memory.n_censored_
    assert streamed.engineers_ == memory.engineers_ and streamed.areas_ == memory.areas_
    assert ours.n_tickets == theirs.n_tickets and ours.n_censored == theirs.n_censored
    a, b = ours.variance_components, theirs.variance_components
    assert a["identification"] == b["identification"]
    np.testing.assert_allclose([a["engineer_sd"], a["engineer_area_sd"]],
                               [b["engineer_sd"], b["engineer_area_sd"]], **FIT)
    assert a["noise_sd"].keys() == b["noise_sd"].keys()
    np.testing.assert_allclose(list(a["noise_sd"].values()), list(b["noise_sd"].values()),
                               **FIT)
    pd.testing.assert_frame_equal(ours.fixed_effects, theirs.fixed_effects, **FIT)
    pd.testing.assert_frame_equal(ours.elasticity, theirs.elasticity, **FIT)
    pd.testing.assert_frame_equal(ours.multipliers.records, theirs.multipliers.records, **FIT)
    pd.testing.assert_frame_equal(ours.multipliers.areas, theirs.multipliers.areas, **FIT)
    pd.testing.assert_frame_equal(ours.engineer_multipliers, theirs.engineer_multipliers,
                                  **FIT)
    pd.testing.assert_frame_equal(ours.engineer_area_multipliers,
                                  theirs.engineer_area_multipliers, **FIT)
    assert ours.multipliers.window == theirs.multipliers.window
    model, expected = dict(ours.multipliers.model), dict(theirs.multipliers.model)
    for key in ("engineer_sd", "engineer_area_sd", "unseen_engineer_sd", "abandoned_share"):
        np.testing.assert_allclose(model.pop(key), expected.pop(key), **FIT)
    assert model == expected
    by_id = ["ticket_id"]
    pd.testing.assert_frame_equal(ours.aging_work.sort_values(by_id, ignore_index=True),
                                  theirs.aging_work.sort_values(by_id, ignore_index=True),
                                  **FIT)
    test, expected_test = ours.points_test, theirs.points_test
    assert (test is None) == (expected_test is None)
    if test is not None:
        assert test["df"] == expected_test["df"]
        assert test["n_tickets"] == expected_test["n_tickets"]
        np.testing.assert_allclose(test["statistic"], expected_test["statistic"], **FIT)


# -- the sums ------------------------------------------------------------------------


@pytest.mark.parametrize("half_life_days", [365.0, 30.0, None])
def test_sums_of_chunks_equal_a_brute_force_sum(history, half_life_days):
    # Chunks out of time order: the newest time arrives in the middle.
    chunks = [history.iloc[900:], history.iloc[:400], history.iloc[400:900]]
    sums = TicketSums.from_chunks(chunks, half_life_days=half_life_days)
    assert_sums_equal(sums, brute_force_sums(history, half_life_days), rtol=1e-12)
    assert sums.newest == max(history[c].max() for c in TIMES)
    assert sums.n_tickets == len(history) and sums.rows_read == len(history)
    expected_open = history.loc[history["censored"], list(sums.open_tickets.columns)]
    pd.testing.assert_frame_equal(
        sums.open_tickets.sort_values("ticket_id", ignore_index=True),
        expected_open.sort_values("ticket_id", ignore_index=True))


def test_groups_carry_their_first_start_and_last_finish(history):
    sums = TicketSums.from_tickets(history)
    finished = history[~history["censored"]]
    first = finished.groupby(list(GROUP_KEYS))["started_at"].min()
    last = finished.groupby(list(GROUP_KEYS))["finished_at"].max()
    keyed = sums.finished.set_index(list(GROUP_KEYS))
    assert (keyed["first_start"] == first.reindex(keyed.index)).all()
    assert (keyed["last_finish"] == last.reindex(keyed.index)).all()


def test_many_small_chunks_merge_into_the_same_sums(history):
    chunks = [history.iloc[start:start + 37] for start in range(0, len(history), 37)]
    sums = TicketSums.from_chunks(chunks[::-1])
    assert_sums_equal(sums, brute_force_sums(history, 365.0), rtol=1e-12)


def _tables(draw) -> pd.DataFrame:
    """A small canonical table: a few engineers, areas and points values, times
    over up to three years, some tickets open."""
    n = draw(st.integers(12, 40))
    engineer = draw(st.lists(st.sampled_from(["ana", "bo", "cy", "dee"]), min_size=n,
                             max_size=n))
    area = draw(st.lists(st.sampled_from(["data", "ml"]), min_size=n, max_size=n))
    points = draw(st.lists(st.sampled_from([0.0, 1.0, 2.0, 3.0, 5.0]), min_size=n,
                           max_size=n))
    # Distinct durations: identical ones leave no residual variance, a degenerate
    # fit whose optimum rounding alone decides.
    days = draw(st.lists(st.floats(0.05, 40.0), min_size=n, max_size=n, unique=True))
    start = draw(st.lists(st.integers(0, 3 * 365 * 86_400), min_size=n, max_size=n))
    # About a quarter open: open tickets are usually a minority.
    censored = draw(st.lists(st.sampled_from([False, False, False, True]), min_size=n,
                             max_size=n))
    return canonical_table(engineer, area, points, days, start, censored)


def canonical_table(engineer, area, points, days, start, censored) -> pd.DataFrame:
    n = len(engineer)
    string = pd.StringDtype()
    started = pd.Timestamp("2022-01-03") + pd.to_timedelta(np.asarray(start), unit="s")
    days = np.asarray(days, dtype=float)
    censored = np.asarray(censored, dtype=bool)
    finished = (started + pd.to_timedelta(np.round(days * 86_400), unit="s")).where(~censored)
    columns = {
        "ticket_id": pd.array([f"T-{i}" for i in range(n)], dtype=string),
        "title": pd.array([None] * n, dtype=string),
        "engineer": pd.array(engineer, dtype=string),
        "area": pd.array(area, dtype=string),
        "area_source": pd.array(["column"] * n, dtype=string),
        "points": np.asarray(points, dtype=float),
        "repointed": np.zeros(n, dtype=bool),
        "status": pd.array(np.where(censored, "In Progress", "Done"), dtype=string),
        "created_at": started.to_numpy(),
        "started_at": started.to_numpy(),
        "finished_at": finished.to_numpy(),
        "duration_days": days,
        "censored": censored,
        "clock": pd.array(["cycle"] * n, dtype=string),
        "source_row": np.arange(2, n + 2, dtype=np.int64),
    }
    table = pd.DataFrame(columns)
    for name, dtype in TICKET_COLUMNS.items():
        if name not in table:
            table[name] = pd.Series([None] * n, dtype=dtype)
    return table[list(TICKET_COLUMNS)]


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_chunks_in_any_order_and_any_split_give_the_same_sums(data):
    table = _tables(data.draw)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(table)), max_size=4)))
    chunks = [table.iloc[a:b] for a, b in zip([0, *cuts], [*cuts, len(table)], strict=True)]
    order = data.draw(st.permutations(range(len(chunks))))
    half_life = data.draw(st.sampled_from([None, 7.0, 365.0]))
    sums = TicketSums.from_chunks([chunks[i] for i in order], half_life_days=half_life)
    assert_sums_equal(sums, brute_force_sums(table, half_life), rtol=1e-12)


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_rebasing_weights_to_a_later_time_is_exact(data):
    """One pass suffices: sums weighted relative to any time convert exactly to a
    later one (each weight times the same factor 0.5 ** (shift / half-life))."""
    table = _tables(data.draw)
    half_life = data.draw(st.floats(1.0, 1000.0))
    shift = pd.Timedelta(seconds=data.draw(st.integers(0, 3 * 365 * 86_400)))
    sums = TicketSums.from_tickets(table, half_life_days=half_life)
    later = sums.rebased(sums.newest + shift)
    expected = brute_force_sums(table, half_life, reference=sums.newest + shift)
    assert later.newest == sums.newest + shift
    assert_sums_equal(later, expected, rtol=1e-11)
    # Merging rebases both sides to the later newest time, in either order.
    old, new = table.iloc[: len(table) // 2], table.iloc[len(table) // 2:]
    merged = [TicketSums.from_tickets(a, half_life_days=half_life)
              + TicketSums.from_tickets(b, half_life_days=half_life)
              for a, b in ((old, new), (new, old))]
    for each in merged:
        assert_sums_equal(each, brute_force_sums(table, half_life), rtol=1e-11)


def test_rebasing_to_an_earlier_time_is_refused(history):
    sums = TicketSums.from_tickets(history)
    with pytest.raises(ValueError, match="later time"):
        sums.rebased(sums.newest - pd.Timedelta(days=1))


def test_sums_of_different_half_lives_do_not_merge(history):
    with pytest.raises(ValueError, match="different half-lives"):
        _ = (TicketSums.from_tickets(history, half_life_days=30.0)
             + TicketSums.from_tickets(history, half_life_days=365.0))


def test_a_ticket_in_two_chunks_is_an_error_naming_it(history):
    chunks = [history.iloc[:100], history.iloc[90:200]]
    with pytest.raises(InputError, match="10 ticket ids appear on more than one row") as error:
        TicketSums.from_chunks(chunks)
    assert {p.value for p in error.value.problems} == set(history["ticket_id"].iloc[90:100])


def test_a_chunk_that_breaks_the_schema_is_an_error(history):
    broken = history.iloc[:50].copy()
    broken.loc[3, "duration_days"] = -1.0
    with pytest.raises(InputError, match="chunk 2 .*canonical ticket table"):
        TicketSums.from_chunks([history.iloc[50:100], broken])


def test_summary_accounts_for_every_row(history):
    from calibrate.io import read_export

    table = read_export("data/sample/jira_export.csv", config="data/sample/calibrate.toml")
    sums = TicketSums.from_tickets(table)
    text = str(sums.summary())
    assert f"{table.rows_read} rows" in text
    assert sums.rows_read == sums.n_tickets + sum(sums.excluded.values())
    for reason, count in table.exclusion_counts().items():
        assert sums.excluded[reason] == count
        assert reason in text


# -- the design from sums -------------------------------------------------------------


@pytest.mark.parametrize("half_life_days", [365.0, None])
def test_summed_design_has_the_sums_of_the_tickets(history, half_life_days):
    calibrator = Calibrator(half_life_days=half_life_days)
    pooling = _pool_small_areas(history, calibrator)
    table_design = prepare_design(history, slopes=pooling.slopes,
                                  slope_groups=pooling.slope_groups,
                                  weight=_recency_weights(history, half_life_days))
    summed = _quiet(prepare_summed, TicketSums.from_tickets(
        history, half_life_days=half_life_days), calibrator).design
    assert summed.engineers == table_design.engineers and summed.areas == table_design.areas
    np.testing.assert_array_equal(summed.cell_engineer, table_design.cell_engineer)
    np.testing.assert_array_equal(summed.patterns, table_design.patterns)
    assert summed.feature_names == table_design.feature_names
    groups = pooling.noise_group[table_design.cell_area]
    n_groups = int(groups.max()) + 1
    for rows in (None, "finished"):
        select_table = None if rows is None else ~table_design.censored
        select_summed = None if rows is None else ~summed.censored
        expected = table_design.sums(groups, n_groups, rows=select_table)
        got = summed.sums(groups, n_groups, rows=select_summed)
        for name in ("n", "sx", "sxx", "sy", "sxy", "syy"):
            np.testing.assert_allclose(getattr(got, name), getattr(expected, name),
                                       rtol=1e-12, atol=1e-12)
    assert int(summed.tickets[~summed.censored].sum()) == int((~history["censored"]).sum())


# -- the fit ------------------------------------------------------------------------------


def test_fit_from_sums_equals_the_in_memory_fit(history, in_memory):
    chunks = [history.iloc[start:start + 400] for start in range(0, len(history), 400)]
    streamed = _quiet(Calibrator().fit_sums, TicketSums.from_chunks(chunks[::-1]))
    assert_same_fit(streamed, in_memory)
    assert str(streamed.result_.summary()).count("\n") == str(
        in_memory.result_.summary()).count("\n")


def test_in_memory_fit_moves_as_much_when_rows_are_reordered(history, in_memory):
    """Why fitted values are compared at 1e-6: the fit's own stopping rules
    leave differences of this size between two orders of the same rows."""
    shuffled = history.sample(frac=1.0, random_state=3).reset_index(drop=True)
    again = _quiet(Calibrator().fit, shuffled)
    difference = abs(again.result_.variance_components["engineer_sd"]
                     - in_memory.result_.variance_components["engineer_sd"])
    assert difference < 1e-6


@pytest.mark.parametrize("settings_", [
    {"half_life_days": None},
    {"noise": "shared", "slopes": "shared", "method": "ml"},
    {"random_effects": False},
    {"abandonment": False, "min_area_tickets": 400},
])
def test_fit_from_sums_equals_the_in_memory_fit_for_other_settings(history, settings_):
    table = history.iloc[:900]
    memory = _quiet(Calibrator(**settings_).fit, table)
    sums = TicketSums.from_tickets(table, half_life_days=settings_.get("half_life_days", 365.0))
    assert_same_fit(_quiet(Calibrator(**settings_).fit_sums, sums), memory)


def test_fit_from_sums_with_every_points_value_the_same():
    table = _history(400, 6, seed=2).assign(points=3.0)
    memory = _quiet(Calibrator().fit, table)
    assert memory.result_.multipliers.model["slopes"] == "assumed"
    assert_same_fit(_quiet(Calibrator().fit_sums, TicketSums.from_tickets(table)), memory)


def test_fit_from_sums_warns_as_the_in_memory_fit():
    table = _history(300, 4, seed=5)
    with warnings.catch_warnings(record=True) as memory:
        warnings.simplefilter("always", CalibrationWarning)
        Calibrator().fit(table)
    with warnings.catch_warnings(record=True) as streamed:
        warnings.simplefilter("always", CalibrationWarning)
        Calibrator().fit_sums(TicketSums.from_tickets(table))
    assert [str(w.message) for w in streamed] == [str(w.message) for w in memory]
    assert any("0 points" in str(w.message) for w in memory)


def test_an_area_of_open_tickets_is_left_out_of_the_fit_from_sums_as_in_memory(history):
    extra = history[history["censored"]].head(3).assign(
        area="maintenance", ticket_id=["M-1", "M-2", "M-3"])
    table = pd.concat([history, extra], ignore_index=True)
    with warnings.catch_warnings(record=True) as memory:
        warnings.simplefilter("always", CalibrationWarning)
        fitted = Calibrator().fit(table)
    with warnings.catch_warnings(record=True) as streamed:
        warnings.simplefilter("always", CalibrationWarning)
        summed = Calibrator().fit_sums(TicketSums.from_tickets(table))
    assert [str(w.message) for w in streamed] == [str(w.message) for w in memory]
    assert any("maintenance (3 open)" in str(w.message) for w in memory)
    assert summed.n_tickets_ == fitted.n_tickets_ == len(history)
    assert summed.areas_ == fitted.areas_ and "maintenance" not in summed.areas_
    assert summed.em_iterations_ < 100


def test_sums_of_another_half_life_are_refused(history):
    with pytest.raises(InputError, match="half-life of 30.0 days"):
        Calibrator().fit_sums(TicketSums.from_tickets(history, half_life_days=30.0))


def test_too_few_finished_tickets_is_the_same_error(history):
    few = history[~history["censored"]].iloc[:9]
    with pytest.raises(InputError, match="Only 9 finished tickets"):
        Calibrator().fit_sums(TicketSums.from_tickets(few))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fit_from_sql_sums_equals_the_in_memory_fit_on_random_tables(data):
    """Random small tables, sums computed by DuckDB: the criterion at the optimum
    (which flat directions of a small table's likelihood do not move) agrees
    to 1e-7, the fixed effects to 1e-5, every ticket count exactly. Without
    the censoring EM, whose hundreds of refits on a table of a dozen tickets
    would take minutes here: the EM's part is the same code on the same sums
    (test_summed_design_has_the_sums_of_the_tickets) and is compared on
    larger tables above."""
    table = _tables(data.draw)
    calibrator = Calibrator(censoring=False, min_area_tickets=5)
    with tempfile.TemporaryDirectory() as folder:
        path = write_tickets(table, Path(folder) / "t.parquet")
        sums = TicketSums.from_sql(f"SELECT * FROM read_parquet('{path}')")
    try:
        memory = _quiet(calibrator.fit, table)
    except InputError as error:
        with pytest.raises(InputError, match=error.summary.split(":")[0]):
            _quiet(Calibrator(**calibrator.get_params()).fit_sums, sums)
        return
    streamed = _quiet(Calibrator(**calibrator.get_params()).fit_sums, sums)
    ours, theirs = streamed.result_, memory.result_
    counts = ["scope", "engineer", "area", "n_finished", "n_open"]
    assert ours.multipliers.records[counts].equals(theirs.multipliers.records[counts])
    assert ours.variance_components["identification"] == (
        theirs.variance_components["identification"])
    np.testing.assert_allclose(ours._fit.criterion, theirs._fit.criterion, rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(ours._fit.beta, theirs._fit.beta, rtol=1e-5, atol=1e-5)


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_summed_design_has_the_sums_of_random_tables(data):
    """What makes the fits equal, on any table: the design from sums has the
    design sums of the tickets (all rows, finished rows) and their counts."""
    table = _tables(data.draw)
    half_life = data.draw(st.sampled_from([None, 30.0, 365.0]))
    calibrator = Calibrator(half_life_days=half_life, min_area_tickets=5)
    if (~table["censored"]).sum() < 10:
        return
    pooling = _quiet(_pool_small_areas, table, calibrator)
    expected = prepare_design(table, slopes=pooling.slopes, slope_groups=pooling.slope_groups,
                              weight=_recency_weights(table, half_life))
    summed = _quiet(prepare_summed, TicketSums.from_tickets(table, half_life_days=half_life),
                    calibrator).design
    assert summed.feature_names == expected.feature_names
    np.testing.assert_array_equal(summed.cell_engineer, expected.cell_engineer)
    groups = pooling.noise_group[expected.cell_area]
    n_groups = int(groups.max()) + 1
    for rows in (None, "finished"):
        got = summed.sums(groups, n_groups, rows=None if rows is None else ~summed.censored)
        want = expected.sums(groups, n_groups, rows=None if rows is None else ~expected.censored)
        for name in ("n", "sx", "sxx", "sy", "sxy", "syy"):
            np.testing.assert_allclose(getattr(got, name), getattr(want, name), rtol=1e-11,
                                       atol=1e-11)
    np.testing.assert_array_equal(np.sort(summed.log_duration[summed.censored]),
                                  np.sort(expected.log_duration[expected.censored]))


# -- files ----------------------------------------------------------------------------------


def test_parquet_folder_in_chunks_gives_the_sums_and_the_fit(history, in_memory, tmp_path):
    nested = tmp_path / "2026"
    nested.mkdir()
    write_tickets(history.iloc[:700], tmp_path / "a.parquet")
    write_tickets(history.iloc[700:], nested / "b.pq")
    chunks = read_ticket_chunks(tmp_path, chunk_rows=256)
    assert [p.name for p in chunks.files] == ["b.pq", "a.parquet"]
    assert max(len(chunk) for chunk in chunks) == 256
    sums = TicketSums.from_chunks(chunks)
    assert sums.source == str(tmp_path)
    assert_sums_equal(sums, brute_force_sums(history, 365.0), rtol=1e-12)
    assert_same_fit(_quiet(Calibrator().fit_sums, sums), in_memory)


def test_canonical_csv_in_chunks_gives_the_sums(history, tmp_path):
    path = write_tickets(history, tmp_path / "tickets.csv")
    progress = []
    chunks = read_ticket_chunks(path, chunk_rows=300,
                                progress=lambda done, total: progress.append((done, total)))
    sums = TicketSums.from_chunks(chunks)
    assert_sums_equal(sums, brute_force_sums(history, 365.0), rtol=1e-12)
    assert progress[-1][0] == progress[-1][1] == path.stat().st_size


def test_a_broken_row_in_a_parquet_file_is_reported_with_file_and_row(history, tmp_path):
    broken = history.iloc[:300].copy()
    broken.loc[250, "points"] = -2.0
    write_tickets(history.iloc[300:600], tmp_path / "a.parquet")
    write_tickets(broken, tmp_path / "b.parquet")
    with pytest.raises(InputError) as error:
        TicketSums.from_chunks(read_ticket_chunks(tmp_path, chunk_rows=100))
    problem = error.value.problems[0]
    assert problem.file == str(tmp_path / "b.parquet")
    assert (problem.row, problem.column, problem.value) == (252, "points", -2.0)


def test_the_same_ticket_in_two_files_is_named(history, tmp_path):
    write_tickets(history.iloc[:300], tmp_path / "a.parquet")
    write_tickets(history.iloc[299:600], tmp_path / "b.parquet")
    with pytest.raises(InputError, match="1 ticket ids") as error:
        TicketSums.from_chunks(read_ticket_chunks(tmp_path))
    assert [p.value for p in error.value.problems] == [history["ticket_id"].iloc[299]]


def test_parquet_without_a_canonical_column_is_an_error(history, tmp_path):
    history.drop(columns=["clock"]).to_parquet(tmp_path / "a.parquet")
    with pytest.raises(InputError, match="not a canonical ticket table") as error:
        list(read_ticket_chunks(tmp_path / "a.parquet"))
    assert [p.column for p in error.value.problems] == ["clock"]


def test_what_cannot_be_read_in_chunks(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_ticket_chunks(tmp_path / "missing.parquet")
    with pytest.raises(InputError, match="folder without Parquet files"):
        read_ticket_chunks(tmp_path)
    with pytest.raises(InputError, match="calibrate ingest"):
        read_ticket_chunks("data/sample/jira_export.csv")


# -- SQL ------------------------------------------------------------------------------------


def _sqlite(table: pd.DataFrame, path: Path, name: str = "tickets") -> str:
    import sqlalchemy

    engine = sqlalchemy.create_engine(f"sqlite:///{path}")
    table.to_sql(name, engine, index=False, if_exists="replace")
    engine.dispose()
    return f"sqlite:///{path}"


def _duckdb_file(table: pd.DataFrame, path: Path) -> str:
    import duckdb

    with duckdb.connect(str(path)) as connection:
        connection.register("frame", table)
        connection.execute("CREATE TABLE tickets AS SELECT * FROM frame")
    return f"duckdb:///{path}"


def test_sql_on_duckdb_file_and_sqlite_gives_the_sums_and_the_fit(history, in_memory,
                                                                   tmp_path):
    for url, rtol in ((_duckdb_file(history, tmp_path / "history.duckdb"), 1e-12),
                      (_sqlite(history, tmp_path / "history.db"), 1e-9)):
        sums = TicketSums.from_sql("SELECT * FROM tickets;", url)
        assert_sums_equal(sums, brute_force_sums(history, 365.0), rtol=rtol)
        assert sums.newest == max(history[c].max() for c in TIMES)
        assert sums.source == url and sums.excluded == {}
        assert_same_fit(_quiet(Calibrator().fit_sums, sums), in_memory)


def test_sql_on_duckdb_over_parquet_files(history, in_memory, tmp_path):
    write_tickets(history.iloc[:800], tmp_path / "a.parquet")
    write_tickets(history.iloc[800:], tmp_path / "b.parquet")
    query = f"SELECT * FROM read_parquet('{tmp_path}/*.parquet')"
    sums = TicketSums.from_sql(query, "duckdb://")
    assert_same_fit(_quiet(Calibrator().fit_sums, sums), in_memory)


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_sql_sums_equal_the_sums_of_the_table(data):
    table = _tables(data.draw)
    half_life = data.draw(st.sampled_from([None, 30.0, 365.0]))
    with tempfile.TemporaryDirectory() as folder:
        for url, rtol in ((_duckdb_file(table, Path(folder) / "t.duckdb"), 1e-12),
                          (_sqlite(table, Path(folder) / "t.db"), 1e-9)):
            sums = TicketSums.from_sql("SELECT * FROM tickets", url, half_life_days=half_life)
            assert_sums_equal(sums, brute_force_sums(table, half_life), rtol=rtol)
            assert len(sums.open_tickets) == int(table["censored"].sum())


def test_sql_excludes_rows_per_reason_and_accounts_for_them(history, tmp_path):
    table = history.iloc[:400].copy()
    table["engineer"] = table["engineer"].astype(object)
    table["points"] = table["points"].astype(object)
    table.loc[0:4, "engineer"] = None        # unassigned
    table.loc[5:7, "points"] = None          # no points
    table.loc[8, "points"] = -1.0            # invalid points
    table.loc[9:10, "duration_days"] = 0.0   # negative duration
    url = _sqlite(table, tmp_path / "t.db")
    sums = TicketSums.from_sql("SELECT * FROM tickets", url)
    assert sums.excluded == {"unassigned": 5, "no points": 3, "invalid points": 1,
                             "negative duration": 2}
    assert sums.rows_read == 400 and sums.n_tickets == 389
    kept = history.iloc[11:400]
    assert_sums_equal(sums, brute_force_sums(kept, 365.0), rtol=1e-9)
    assert "unassigned                 5" in str(sums.summary())


def test_sql_rows_that_break_the_table_are_an_error(history, tmp_path):
    table = history.iloc[:100].copy()
    table.loc[0:1, "clock"] = "wall"
    table.loc[2, "finished_at"] = pd.NaT  # a finished ticket without a finish
    url = _sqlite(table.assign(censored=table["censored"] & (table.index != 2)),
                  tmp_path / "t.db")
    with pytest.raises(InputError, match="break the canonical ticket table") as error:
        TicketSums.from_sql("SELECT * FROM tickets", url)
    found = {p.column: p.value for p in error.value.problems}
    assert found == {"clock": "2 rows", "finished_at": "1 rows"}


def test_sql_query_without_title_and_with_other_spellings(history, tmp_path):
    url = _duckdb_file(history.iloc[:300], tmp_path / "t.duckdb")
    query = ("SELECT ticket_id AS TICKET_ID, engineer AS Engineer, area, points, "
             "duration_days, censored, created_at, started_at, finished_at, clock "
             "FROM tickets")
    sums = TicketSums.from_sql(query, url)
    assert sums.open_tickets["title"].isna().all()
    assert_sums_equal(sums, brute_force_sums(history.iloc[:300], 365.0), rtol=1e-12)


def test_sql_errors_say_what_is_wrong(history, tmp_path):
    url = _duckdb_file(history.iloc[:50], tmp_path / "t.duckdb")
    with pytest.raises(InputError, match="returns no column engineer, area"):
        TicketSums.from_sql("SELECT ticket_id FROM tickets", url)
    with pytest.raises(InputError, match="the query failed in .*nope"):
        TicketSums.from_sql("SELECT * FROM nope", url)
    with pytest.raises(InputError, match="the query is empty"):
        TicketSums.from_sql(" ; ", url)
    with pytest.raises(InputError, match="does not exist"):
        TicketSums.from_sql("SELECT 1", f"duckdb:///{tmp_path / 'missing.duckdb'}")
    with pytest.raises(InputError, match="does not exist"):
        TicketSums.from_sql("SELECT 1", f"sqlite:///{tmp_path / 'missing.db'}")
    with pytest.raises(InputError, match="not a database URL"):
        TicketSums.from_sql("SELECT 1", "no-such-scheme://x")
    twice = pd.concat([history.iloc[:20], history.iloc[10:12]])
    url = _duckdb_file(twice, tmp_path / "twice.duckdb")
    with pytest.raises(InputError, match="more than one row") as error:
        TicketSums.from_sql("SELECT * FROM tickets", url)
    assert [p.value for p in error.value.problems] == sorted(history["ticket_id"].iloc[10:12])


def test_sql_values_are_bound_not_pasted(history, tmp_path):
    """The generated queries hold no value: the half-life and the newest time are
    parameters (a query text with them pasted in would differ per half-life)."""
    from calibrate.streaming import _Database, _Sql

    url = _duckdb_file(history.iloc[:50], tmp_path / "t.duckdb")
    with _Database.open(url) as database:
        names = {c: c for c in ("ticket_id", "engineer", "area", "points", "duration_days",
                                "censored", "created_at", "started_at", "finished_at",
                                "clock", "title")}
        text = _Sql(database, "SELECT * FROM tickets", names).sums(weighted=True)
    assert "$newest_day" in text and "$half_life" in text
    assert '"engineer"' in text and "365" not in text


def test_missing_sql_support_names_the_extra(monkeypatch, history):
    import builtins

    real_import = builtins.__import__

    def without(name, *args, **kwargs):
        if name in ("duckdb", "sqlalchemy"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without)
    for url in ("duckdb://", "sqlite:///x.db"):
        with pytest.raises(InputError, match=r"pip install calibrate\[sql\]"):
            TicketSums.from_sql("SELECT 1", url)

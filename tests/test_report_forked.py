"""Drawing on two cores gives what drawing on one gives."""

import os

import pytest

from calibrate.report import _forked
from calibrate.report._forked import map_forked


@pytest.fixture
def forking(monkeypatch):
    """The forked path even on one core (it is only slower there)."""
    if not hasattr(os, "fork"):
        pytest.fail("these tests need os.fork (Linux, as in CI)")
    monkeypatch.setattr(_forked, "can_fork", lambda: True)


def _square(value):
    return value * value


def test_one_core_maps_in_the_process(monkeypatch):
    monkeypatch.setattr(_forked, "can_fork", lambda: False)
    assert map_forked(_square, range(7)) == [value * value for value in range(7)]


def test_results_come_back_in_order_whoever_computed_them(forking):
    parent = os.getpid()
    where = map_forked(lambda value: (value, os.getpid() == parent), range(40))
    assert [value for value, _ in where] == list(range(40))
    # Both processes took items (each item is slow enough for the copy to start).
    done_here = set(map_forked(_slow_where(parent), range(12)))
    assert done_here == {True, False}


def _slow_where(parent):
    def where(value):
        sum(range(200_000))
        return os.getpid() == parent
    return where


def test_an_item_the_copy_fails_on_is_done_again_here(forking):
    parent = os.getpid()

    def fragile(value):
        sum(range(200_000))
        if os.getpid() != parent:
            raise RuntimeError("only the copy fails")
        return value + 1

    assert map_forked(fragile, range(10)) == list(range(1, 11))


def test_an_error_is_raised_here_and_the_copy_is_gone(forking):
    def failing(value):
        if value == 3:
            raise ValueError("bad item 3")
        return value

    with pytest.raises(ValueError, match="bad item 3"):
        map_forked(failing, range(6))
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # no child left behind


def test_the_copy_crashing_outright_loses_nothing(forking):
    parent = os.getpid()

    def crashing(value):
        if os.getpid() != parent:
            os._exit(9)
        return value * 2

    assert map_forked(crashing, range(8)) == [value * 2 for value in range(8)]


def test_the_report_figures_are_the_same_drawn_on_one_core_or_two(forking, monkeypatch):
    import warnings

    from calibrate import CalibrationWarning, Calibrator, read_export
    from calibrate.report._common import Rule
    from calibrate.report._figures import figures_section

    sample_table = read_export("data/sample/jira_changelog.json",
                               config="data/sample/calibrate.toml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        result = Calibrator().fit(sample_table).result_
    engineers = [str(name) for name in result.engineer_multipliers["engineer"]]

    def sources() -> list[str]:
        figures = figures_section(sample_table, result, Rule.of(result), backtest_result=None,
                                  drift_result=None, min_tickets=5, engineers=engineers)
        return [panel["src"] for figure in figures for panel in figure["panels"]]

    on_two = sources()
    monkeypatch.setattr(_forked, "can_fork", lambda: False)
    assert sources() == on_two
    assert len(on_two) >= 5 and all(src.startswith("data:image/svg+xml;base64,")
                                    for src in on_two)


@pytest.mark.parametrize("fork", [True, False])
def test_beside_runs_here_once_before_this_process_takes_items(monkeypatch, fork):
    monkeypatch.setattr(_forked, "can_fork", lambda: fork)
    parent, calls = os.getpid(), []

    def item(value):
        # Here, beside() has run before this process computes any item.
        assert os.getpid() != parent or calls == ["beside"]
        return value * 3

    assert map_forked(item, range(6), beside=lambda: calls.append("beside")) == [
        value * 3 for value in range(6)]
    assert calls == ["beside"]  # its effect is this process's, and it ran once


def test_the_report_runs_backtest_and_drift_beside_each_other_with_their_notes(
        forking, monkeypatch):
    """Notes of a check too thin to run come back from whichever process ran it."""
    from calibrate import Calibrator
    from calibrate.datasets import simulate_tickets
    from calibrate.report import _checks
    from calibrate.report._common import BACKTEST_NOT_RUN

    table = simulate_tickets(15, 2, seed=2, history_days=30).tickets  # too short for either
    notes: list[str] = []
    assert _checks(table, Calibrator(), lambda message: None, notes) == (None, None)
    assert [note.split(":")[0] for note in notes] == [BACKTEST_NOT_RUN, "drift view not shown"]
    monkeypatch.setattr(_forked, "can_fork", lambda: False)
    alone: list[str] = []
    assert _checks(table, Calibrator(), lambda message: None, alone) == (None, None)
    assert alone == notes

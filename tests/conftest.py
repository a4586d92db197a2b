"""Shared fixtures: where the test data lives."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    """The directory of the committed test exports and config files."""
    return FIXTURES


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A skipped test is a test that did not run: the suite is not green.

    pytest's own "no tests ran" exit status (5) already fails ``make test``;
    this also fails a run in which anything was skipped.
    """
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and exitstatus == 0:
        reporter.write_line(f"{skipped} tests were skipped: failing the run", red=True)
        session.exitstatus = 1


@pytest.fixture(scope="session")
def lead_result():
    """A fitted result whose durations are lead time (created to done)."""
    import warnings

    from calibrate import CalibrationWarning, Calibrator
    from calibrate.datasets import simulate_tickets

    tickets = simulate_tickets(900, 8, intercept=3.0, noise_sd=1.2, seed=5).tickets.assign(
        clock="lead")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        return Calibrator().fit(tickets).result_

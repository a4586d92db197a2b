"""Every reader through the same checks, and the same statuses through every reader."""

from __future__ import annotations

import pytest
from _helpers import (
    STATUS_AS_OF,
    STATUS_EXPORTS,
    STATUSES,
    parametrize_with_checks,
    status_outcomes,
)

from calibrate.io import read_export


@parametrize_with_checks()
def test_reader(case, check):
    check(case)


@pytest.mark.parametrize("format", sorted(STATUS_EXPORTS))
def test_statuses_are_classified_alike_by_every_reader(tmp_path, format):
    # "In-Progress", "in progress" and "IN_PROGRESS" are all "In Progress":
    # statuses and resolutions are compared by their letters and digits only.
    path, config = STATUS_EXPORTS[format](tmp_path)
    table = read_export(path, format=format, config=config, as_of=STATUS_AS_OF)
    names = [name for _, name, _ in STATUSES]
    assert dict(zip(names, status_outcomes(table), strict=True)) \
        == {name: outcome for _, name, outcome in STATUSES}

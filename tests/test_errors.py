"""InputError and Problem: what a user sees when an input is wrong."""

from __future__ import annotations

import pytest

from calibrate.errors import CalibrationWarning, InputError, Problem


def test_problem_names_file_row_column_value_and_expectation():
    problem = Problem("not a date", file="export.csv", row=7, column="Created",
                      value="31/Foo/24", expected="a date like 14/Mar/24")
    assert str(problem) == (
        "export.csv, row 7, column 'Created': not a date (found '31/Foo/24'); "
        "expected a date like 14/Mar/24"
    )


def test_problem_without_location_is_just_the_message():
    assert str(Problem("something is off")) == "something is off"


def test_problem_shortens_long_values():
    shown = str(Problem("too long", value="x" * 100))
    # 57 characters and an ellipsis: 60 in all, quoted.
    assert "'" + "x" * 57 + "...'" in shown
    assert "x" * 58 not in shown


def test_problem_row_zero_is_still_shown():
    assert "row 0" in str(Problem("m", row=0))


def test_input_error_lists_every_problem_and_the_hint():
    problems = [Problem(f"problem {i}", column=f"c{i}") for i in range(3)]
    error = InputError("export.csv is not usable", problems, hint="Re-export it.")
    lines = str(error).splitlines()
    assert lines[0] == "export.csv is not usable"
    assert lines[1:4] == [f"  - column 'c{i}': problem {i}" for i in range(3)]
    assert lines[4] == "Re-export it."
    assert error.problems == problems
    assert error.summary == "export.csv is not usable"


def test_input_error_summarises_beyond_eight_problems():
    error = InputError("many", [Problem(f"p{i}") for i in range(11)])
    text = str(error)
    assert "  - p7" in text
    assert "  - p8" not in text
    assert "... and 3 more" in text
    assert len(error.problems) == 11


def test_input_error_is_a_value_error_and_can_be_raised():
    with pytest.raises(ValueError, match="broken"):
        raise InputError("broken")


def test_calibration_warning_is_a_user_warning():
    with pytest.warns(CalibrationWarning):
        import warnings

        warnings.warn("few tickets", CalibrationWarning, stacklevel=1)
    assert issubclass(CalibrationWarning, UserWarning)

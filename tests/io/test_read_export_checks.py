"""read_export checks what it is given before reading (issue #12 item 9, #17 item 5):
``config`` as a dict, ``as_of``, ``format``; spreadsheet workbooks and exports
without a single ticket get messages that say what to do."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from _helpers import FIXTURES

import calibrate.io
from calibrate.config import load_config
from calibrate.errors import InputError
from calibrate.io import detect_format, read_export

SMALL = FIXTURES / "jira_cloud_small.csv"


@pytest.fixture
def unread(monkeypatch):
    """Every reader fails the test: the checks must come first."""

    def read(*args, **kwargs):
        raise AssertionError("the export was read before the arguments were checked")

    for name in list(calibrate.io.FORMATS):
        monkeypatch.setitem(calibrate.io.FORMATS, name, read)


# ---------------------------------------------------------------- config as a dict


def test_config_can_be_a_dict_shaped_like_the_file():
    from_file = read_export(FIXTURES / "jira_shape4_labels.csv",
                            config=FIXTURES / "config_areas.toml")
    import tomllib

    raw = tomllib.loads((FIXTURES / "config_areas.toml").read_text(encoding="utf-8"))
    from_dict = read_export(FIXTURES / "jira_shape4_labels.csv", config=raw)
    pd.testing.assert_frame_equal(from_dict.tickets, from_file.tickets)
    assert load_config(FIXTURES / "config_areas.toml").area_rules


def test_a_bad_config_dict_is_an_input_error_with_did_you_mean(unread):
    with pytest.raises(InputError) as caught:
        read_export(SMALL, config={"calender": {"country": "DE"}})
    assert "the config dict" in str(caught.value)
    assert "did you mean 'calendar'?" in str(caught.value)


def test_a_config_of_another_type_is_a_type_error_saying_what_is_accepted(unread):
    with pytest.raises(TypeError, match="config must be a Config, a dict of settings"):
        read_export(SMALL, config=42)


# ---------------------------------------------------------------- as_of


@pytest.mark.parametrize(
    ("as_of", "words"),
    [("nan", "is not a time"), ("", "is not a time"), ("NaT", "is not a time"),
     (pd.NaT, "is not a time"), (float("nan"), "is not a time"), (5, "is not a time"),
     (True, "is not a time"), (np.datetime64("NaT"), "is not a time"),
     ("next tuesday", "is not a time"),
     ("9999-12-31", "is not between 1900-01-01 and 2199-12-31"),
     ("0001-01-01", "is not between"), ("2262-04-12", "is not between"),
     ("1678-01-01", "is not between"), (dt.date(1, 1, 1), "is not between")],
)
def test_a_bad_as_of_is_an_input_error_before_reading(unread, tmp_path, as_of, words):
    with pytest.raises(InputError) as caught:
        read_export(SMALL, as_of=as_of)
    assert str(caught.value).startswith("as_of ")
    assert words in caught.value.summary
    # Before the file is even looked at.
    with pytest.raises(InputError, match="^as_of "):
        read_export(tmp_path / "missing.csv", as_of=as_of)


@pytest.mark.parametrize("as_of", ["2024-03-12", "2024-03-12T11:00+01:00", dt.date(2024, 3, 12),
                                   pd.Timestamp("2024-03-12 11:00"),
                                   np.datetime64("2024-03-12T11:00")])
def test_good_as_of_values_pass(as_of):
    from calibrate.io import check_as_of

    assert isinstance(check_as_of(as_of), pd.Timestamp)
    assert check_as_of(None) is None


def test_nan_as_of_no_longer_means_no_time():
    """``--as-of nan`` kept 540 of the sample's 552 tickets: NaT compared as false."""
    with pytest.raises(InputError, match="is not a time"):
        read_export(SMALL, as_of="nan")


# ---------------------------------------------------------------- format


def test_an_unknown_format_gets_did_you_mean(unread):
    with pytest.raises(InputError) as caught:
        read_export(SMALL, format="jira-csv")
    assert "Did you mean 'jira_csv'?" in str(caught.value)
    assert "generic_csv" in str(caught.value)


# ---------------------------------------------------------------- spreadsheet workbooks

_ZIP = b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40


@pytest.mark.parametrize(("name", "content"), [
    pytest.param("export.xlsx", _ZIP, id="xlsx"), pytest.param("export.ods", _ZIP, id="ods"),
    pytest.param("export.xls", _OLE, id="xls"),
    # Renamed: recognised by its first bytes.
    pytest.param("export.csv", _ZIP, id="zip-named-csv"),
    pytest.param("export", _OLE, id="ole-without-suffix"),
    # By its name alone.
    pytest.param("export.xlsx", b"Issue key,Summary\n", id="text-named-xlsx"),
])
def test_a_spreadsheet_workbook_says_save_it_as_csv(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    for call in (lambda: detect_format(path), lambda: read_export(path),
                 lambda: read_export(path, format="jira_csv")):
        with pytest.raises(InputError) as caught:
            call()
        text = str(caught.value)
        assert f"{path} is a spreadsheet workbook" in text
        assert "Save it as CSV from your spreadsheet (File → Save as → CSV UTF-8)" in text


# ---------------------------------------------------------------- no tickets


@pytest.mark.parametrize(("fixture", "config"), [
    ("jira_cloud_small.csv", None), ("linear_small.csv", None), ("gitlab_small.csv", None),
    ("generic_small.csv", "generic_small.toml"),
])
def test_a_header_only_file_says_no_tickets(tmp_path, fixture, config):
    path = tmp_path / fixture
    header = (FIXTURES / fixture).read_text(encoding="utf-8-sig").splitlines()[0]
    path.write_text(header + "\n", encoding="utf-8")
    settings = None if config is None else FIXTURES / config
    with pytest.raises(InputError) as caught:
        read_export(path, config=settings)
    assert caught.value.summary == f"no tickets: {path} has a header and no rows"
    assert "no readable dates" not in str(caught.value)
    # Given the as-of time, it is an empty table.
    table = read_export(path, config=settings, as_of="2024-06-30")
    assert (table.rows_read, len(table.tickets), len(table.excluded)) == (0, 0, 0)



@pytest.mark.parametrize("format_name", [None, "linear_csv"])
def test_a_pipe_is_refused_with_a_plain_message(tmp_path, format_name):
    # `calibrate report <(cat export.csv)`: a pipe can be read only once.
    import os

    pipe = tmp_path / "export.csv"
    os.mkfifo(pipe)
    with pytest.raises(InputError, match="is a pipe or a device, not a file") as raised:
        read_export(pipe, format=format_name)
    assert "Save it to a file first" in str(raised.value)

"""detect_format and read_export: every fixture recognised, everything else refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from _helpers import FIXTURES

from calibrate.config import Config
from calibrate.errors import InputError
from calibrate.io import FORMATS, detect_format, read_export

ROOT = Path(__file__).parent.parent.parent
JIRA_FIXTURES = ["jira_cloud_small.csv", "jira_shape1_bom.csv", "jira_shape2_ru_dates.csv",
                 "jira_shape3_both_points.csv", "jira_shape4_labels.csv"]


@pytest.mark.parametrize("name", JIRA_FIXTURES)
def test_jira_fixtures_are_detected(name):
    assert detect_format(FIXTURES / name) == "jira_csv"
    assert detect_format(str(FIXTURES / name)) == "jira_csv"


def test_jira_detected_whatever_the_file_is_called(tmp_path):
    path = tmp_path / "download (3).txt"
    path.write_bytes((FIXTURES / "jira_shape1_bom.csv").read_bytes())
    assert detect_format(path) == "jira_csv"


def test_canonical_is_detected(tmp_path):
    from calibrate.io import write_tickets

    table = read_export(FIXTURES / "jira_cloud_small.csv")
    assert detect_format(write_tickets(table.tickets, tmp_path / "t.csv")) == "canonical"
    assert detect_format(write_tickets(table.tickets, tmp_path / "t.parquet")) == "canonical"


def _refused(path, config=None) -> InputError:
    with pytest.raises(InputError) as caught:
        detect_format(path, config)
    with pytest.raises(InputError):
        read_export(path)
    assert str(path) in caught.value.summary
    return caught.value


def test_random_text_file_is_refused(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Remember to buy milk.\nAnd eggs, maybe.\n", encoding="utf-8")
    error = _refused(path)
    assert "not a ticket export" in error.summary
    assert "Remember to buy milk." in str(error)  # the header is shown


def test_pyproject_is_refused():
    error = _refused(ROOT / "pyproject.toml")
    assert "[build-system]" in str(error)


def test_csv_of_something_else_is_refused(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text("Region,Revenue\nNorth,100\n", encoding="utf-8")
    _refused(path)


def test_any_csv_with_a_column_mapping_goes_to_the_generic_reader(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text("Key,Owner\nA-1,ana\n", encoding="utf-8")
    assert detect_format(path, Config(columns={"ticket_id": "Key"})) == "generic_csv"


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b"")
    assert "(empty)" in str(_refused(path))


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    _refused(path)


def test_directory_is_refused(tmp_path):
    assert "is a directory" in _refused(tmp_path).summary


def test_missing_path_is_refused(tmp_path):
    assert "does not exist" in _refused(tmp_path / "nope.csv").summary


@pytest.mark.parametrize("content", ['{"not": "tickets"}', "[1, 2", "{"])
def test_json_that_is_not_an_export_is_refused(tmp_path, content):
    path = tmp_path / "export.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError):
        detect_format(path)


def test_unknown_format_name_is_an_input_error():
    with pytest.raises(InputError, match="Unknown export format 'excel'"):
        read_export(FIXTURES / "jira_cloud_small.csv", format="excel")


def test_format_forces_the_reader():
    with pytest.raises(InputError, match="not a canonical ticket table"):
        read_export(FIXTURES / "jira_cloud_small.csv", format="canonical")
    assert read_export(FIXTURES / "jira_cloud_small.csv",
                       format="jira_csv").source_format == "jira_csv"


def test_read_export_takes_a_config_path():
    table = read_export(FIXTURES / "jira_shape4_labels.csv",
                        config=FIXTURES / "config_areas.toml")
    assert "research" in set(table.tickets["area"])
    with pytest.raises(InputError):
        read_export(FIXTURES / "jira_shape4_labels.csv", config=FIXTURES / "config_bad.toml")


def test_formats_table_names_every_reader():
    assert set(FORMATS) == {"jira_csv", "jira_json", "linear_csv", "linear_json", "gitlab_csv",
                            "gitlab_json", "github_json", "canonical", "generic_csv"}

"""`calibrate fit` from sums: --stream (and folders), --sql/--database; the
multipliers file equals the one fitted from the whole table (rtol=atol=1e-6,
the fit's own reproducibility: see tests/test_streaming.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from calibrate.cli import cli
from calibrate.datasets import simulate_tickets
from calibrate.io import write_tickets

FIT = {"rtol": 1e-6, "atol": 1e-6}


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="calibrate")


@pytest.fixture(scope="module")
def tickets() -> pd.DataFrame:
    table = simulate_tickets(1200, 15, seed=21, history_days=80, abandoned=0.02).tickets
    for column in ("created_at", "started_at", "finished_at"):
        table[column] = table[column].dt.floor("s")
    return table


@pytest.fixture(scope="module")
def whole(tickets, tmp_path_factory) -> dict:
    """The multipliers file of `calibrate fit` on the table read whole."""
    folder = tmp_path_factory.mktemp("whole")
    path = write_tickets(tickets, folder / "tickets.parquet")
    result = run("fit", path, "--out", folder / "m.json")
    assert result.exit_code == 0, result.output
    return json.loads((folder / "m.json").read_text(encoding="utf-8"))


def assert_same_file(path: Path, expected: dict) -> None:
    got = json.loads(path.read_text(encoding="utf-8"))
    records = pd.DataFrame(got["records"])
    theirs = pd.DataFrame(expected["records"])
    pd.testing.assert_frame_equal(records, theirs, **FIT)
    pd.testing.assert_frame_equal(pd.DataFrame(got["areas"]), pd.DataFrame(expected["areas"]),
                                  **FIT)
    for key, value in expected["model"].items():
        if isinstance(value, float):
            np.testing.assert_allclose(got["model"][key], value, **FIT)
        else:
            assert got["model"][key] == value, key
    assert got["window"] == expected["window"]


def test_a_folder_of_parquet_files_is_streamed(tickets, whole, tmp_path):
    folder = tmp_path / "history"
    folder.mkdir()
    write_tickets(tickets.iloc[:500], folder / "2025.parquet")
    write_tickets(tickets.iloc[500:], folder / "2026.parquet")
    result = run("fit", folder, "--out", tmp_path / "m.json")
    assert result.exit_code == 0, result.output
    assert f"{folder} read as sums: {len(tickets)} rows" in result.output
    assert "fitting 1200 tickets from sums" not in result.output  # (1224 with abandoned)
    assert f"fitting {len(tickets)} tickets from sums" in result.output
    assert_same_file(tmp_path / "m.json", whole)


def test_stream_reads_a_canonical_csv_in_chunks(tickets, whole, tmp_path):
    path = write_tickets(tickets, tmp_path / "tickets.csv")
    result = run("fit", path, "--stream", "--out", tmp_path / "m.json")
    assert result.exit_code == 0, result.output
    assert "read as sums" in result.output
    assert_same_file(tmp_path / "m.json", whole)


def test_sql_on_duckdb_over_parquet_and_on_sqlite(tickets, whole, tmp_path):
    import sqlalchemy

    path = write_tickets(tickets, tmp_path / "tickets.parquet")
    result = run("fit", "--sql", f"SELECT * FROM read_parquet('{path}')",
                 "--out", tmp_path / "duck.json")
    assert result.exit_code == 0, result.output
    assert "computing the sums in duckdb://" in result.output
    assert_same_file(tmp_path / "duck.json", whole)

    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'history.db'}")
    tickets.to_sql("tickets", engine, index=False)
    engine.dispose()
    query = tmp_path / "query.sql"
    query.write_text("-- the team's tickets\nSELECT * FROM tickets;\n", encoding="utf-8")
    result = run("fit", "--sql", f"@{query}", "--database",
                 f"sqlite:///{tmp_path / 'history.db'}", "--out", tmp_path / "lite.json")
    assert result.exit_code == 0, result.output
    assert_same_file(tmp_path / "lite.json", whole)


@pytest.mark.parametrize(("arguments", "message"), [
    (["--database", "duckdb://"], "--database is where --sql runs"),
    (["EXPORT", "--sql", "SELECT 1"], "give EXPORT or --sql QUERY, not both"),
    (["--sql", "SELECT 1", "--stream"], "--stream do not apply to --sql"),
    (["--sql", "@missing.sql"], "cannot read the query file"),
    ([], "missing EXPORT (or --sql QUERY)"),
    (["EXPORT", "--stream", "--as-of", "2026-01-01"], "--as-of does not apply"),
    (["EXPORT", "--stream", "--format", "jira_csv"], "--stream reads the canonical"),
])
def test_usage_errors(arguments, message, tmp_path):
    export = tmp_path / "t.parquet"
    export.touch()
    arguments = [export if a == "EXPORT" else a for a in arguments]
    result = run("fit", *arguments, "--out", tmp_path / "m.json")
    assert result.exit_code == 2
    assert message in result.output


def test_input_errors_are_one_message_and_status_2(tmp_path):
    result = run("fit", "data/sample/jira_export.csv", "--stream", "--out", tmp_path / "m.json")
    assert result.exit_code == 2
    assert "calibrate: error: data/sample/jira_export.csv is not a canonical ticket table" in (
        result.output)
    assert "calibrate ingest" in result.output
    assert "summing" not in result.output  # refused before reading anything
    result = run("fit", "--sql", "SELECT * FROM nowhere", "--out", tmp_path / "m.json")
    assert result.exit_code == 2
    assert "calibrate: error: the query failed in duckdb://" in result.output
    assert "Traceback" not in result.output

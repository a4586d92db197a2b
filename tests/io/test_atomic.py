"""Outputs are written whole or not at all."""

import pytest

import calibrate.io.csv_writer
from calibrate.datasets import simulate_tickets
from calibrate.io import write_tickets
from calibrate.io._atomic import atomic_path


def test_a_failure_keeps_the_previous_file_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("previous")
    with pytest.raises(RuntimeError), atomic_path(target) as partial:
        partial.write_text("half of the new")
        raise RuntimeError("disk full")
    assert target.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_write_tickets_failing_midway_keeps_the_old_table(tmp_path, monkeypatch):
    tickets = simulate_tickets(50, 3, seed=0).tickets
    path = write_tickets(tickets, tmp_path / "tickets.csv")
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")  # after the header is written: a truncated file

    monkeypatch.setattr(calibrate.io.csv_writer, "_csv_cells", broken)
    with pytest.raises(OSError):
        write_tickets(tickets.head(10), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tickets.csv"]


def test_written_files_get_the_usual_permissions(tmp_path):
    import os

    umask = os.umask(0)
    os.umask(umask)
    path = write_tickets(simulate_tickets(20, 2, seed=0).tickets, tmp_path / "t.csv")
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask

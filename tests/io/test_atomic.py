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


# -- refused writes and clean-ups that fail (issue #17 item 9) ---------------------------------


def test_a_refused_write_is_one_error_naming_the_target(tmp_path, monkeypatch):
    import errno

    import calibrate.io._atomic as atomic
    from calibrate.errors import OutputError

    target = tmp_path / "multipliers.json"
    target.write_text("previous")

    def full(source, destination):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", full)
    with pytest.raises(OutputError) as caught, atomic_path(target) as partial:
        partial.write_text("new")
    assert str(caught.value).startswith(
        f"cannot write {target}: No space left on device [ENOSPC]; {target} is unchanged\n")
    assert "free some space" in str(caught.value)
    assert caught.value.path == target and caught.value.errno == errno.ENOSPC
    assert target.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["multipliers.json"]


def test_a_failing_clean_up_does_not_hide_the_error(tmp_path, monkeypatch):
    # On a file system turned read-only, removing the unfinished file fails too:
    # the error is still the write's, and the failed removal is a note on it.
    import errno
    from pathlib import Path

    from calibrate.errors import OutputError

    def read_only(self, missing_ok=False):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "unlink", read_only)
    target = tmp_path / "tickets.csv"
    with pytest.raises(OutputError) as caught, atomic_path(target) as partial:
        partial.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device", str(partial))
    assert str(caught.value).startswith(f"cannot write {target}: No space left on device")
    assert any("could not be removed either (Read-only file system)" in note
               for note in caught.value.__notes__)


def test_a_directory_is_replaced_by_one_exchange(tmp_path, monkeypatch):
    import calibrate.io._atomic as atomic
    from calibrate.io._atomic import atomic_directory

    target = tmp_path / "report"
    with atomic_directory(target) as new:  # the first time: one rename
        (new / "a.txt").write_text("first")
    exchanges = []
    exchange = atomic._exchange

    def recorded(first, second):
        exchanges.append((first, second))
        return exchange(first, second)

    monkeypatch.setattr(atomic, "_exchange", recorded)
    with atomic_directory(target) as new:
        (new / "b.txt").write_text("second")
        assert (target / "a.txt").read_text() == "first"  # untouched until the end
    assert [second for _, second in exchanges] == [target]
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]

"""The pulled file, the resume sidecar and --since merges."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calibrate.errors import InputError
from calibrate.pull._store import (
    HEADER,
    SINCE_MARGIN,
    PullResult,
    PullState,
    merge_records,
    partial_path,
    read_pulled,
)


class _Client:  # what finish() reads of a TrackerClient
    requests = 4
    pauses = 1


def state(out, **options):
    settings = {"source": "gitlab", "base_url": "https://g.example", "project": "a/b",
                "query": None, "key": lambda record: record["id"]}
    settings.update(options)
    return PullState(out, **settings)


def test_a_finished_pull_writes_header_and_payload_and_removes_the_sidecar(tmp_path):
    out = tmp_path / "history.json"
    pull = state(out)
    assert partial_path(out).exists()
    pull.add({"id": 1, "title": "é"})
    pull.advance("cursor-1")
    result = pull.finish(_Client(), extra={"names": {"f": "F"}})
    assert not partial_path(out).exists()
    data = json.loads(out.read_text(encoding="utf-8"))
    assert list(data) == [HEADER, "names", "issues"]
    header = data[HEADER]
    assert header["source"] == "gitlab" and header["version"] == 1
    assert header["base_url"] == "https://g.example" and header["project"] == "a/b"
    pulled_at = dt.datetime.fromisoformat(header["pulled_at"])
    assert abs(dt.datetime.now(dt.UTC) - pulled_at) < dt.timedelta(minutes=5)
    assert data["issues"] == [{"id": 1, "title": "é"}]
    assert result == PullResult(out, 1, 4, 1, since=None, fetched=1)


def test_resume_continues_after_the_last_page_and_keeps_the_first_start(tmp_path):
    out = tmp_path / "history.json"
    first = state(out)
    first.add({"id": 1})
    first.add({"id": 2})
    first.advance({"page": 2})
    first.add({"id": 3})  # a page left half done
    started = first.header["pulled_at"]
    # (killed here: no finish)
    lines = []
    again = state(out, resume=True, progress=lines.append)
    assert again.resumed
    assert again.cursor == {"page": 2}
    assert [again.has(n) for n in (1, 2, 3, 4)] == [True, True, True, False]
    assert again.has({"id": 3})
    assert again.header["pulled_at"] == started
    assert "3 issues already fetched" in lines[0]
    again.add({"id": 4})
    again.finish(_Client())
    assert [r["id"] for r in json.loads(out.read_text())["issues"]] == [1, 2, 3, 4]


def test_a_line_cut_short_by_a_kill_is_ignored(tmp_path):
    out = tmp_path / "h.json"
    first = state(out)
    first.add({"id": 1})
    with partial_path(out).open("a") as handle:
        handle.write('{"record": {"id": 2, "ti')
    again = state(out, resume=True)
    assert again.has(1) and not again.has(2)


def test_without_resume_an_old_sidecar_is_started_afresh(tmp_path):
    out = tmp_path / "h.json"
    state(out).add({"id": 1})
    lines = []
    fresh = state(out, progress=lines.append)
    assert not fresh.resumed and not fresh.has(1)
    assert "--resume" in lines[0]


def test_resume_of_another_download_starts_afresh(tmp_path):
    out = tmp_path / "h.json"
    state(out, project="other/project").add({"id": 1})
    lines = []
    again = state(out, resume=True, progress=lines.append)
    assert not again.resumed and not again.has(1)
    assert "another download" in lines[0]


def test_resume_without_a_sidecar_starts_afresh(tmp_path):
    again = state(tmp_path / "h.json", resume=True)
    assert not again.resumed and again.cursor is None


def _previous(out, records, pulled_at="2024-05-01T10:00:00Z", **header):
    data = {HEADER: {"source": "gitlab", "version": 1, "pulled_at": pulled_at,
                     "base_url": "https://g.example", "project": "a/b", "query": None,
                     **header},
            "names": {"a": "A"}, "issues": records}
    out.write_text(json.dumps(data))


def test_since_replaces_updated_records_by_id_and_adds_new_ones(tmp_path):
    out = tmp_path / "h.json"
    _previous(out, [{"id": 1, "v": "old"}, {"id": 2, "v": "old"}])
    pull = state(out, since=True)
    assert pull.since == "2024-05-01T10:00:00Z"
    assert pull.since_time == dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC) - SINCE_MARGIN
    pull.add({"id": 2, "v": "new"})
    pull.add({"id": 3, "v": "new"})
    result = pull.finish(_Client(), extra={"names": {"b": "B"}})
    data = json.loads(out.read_text())
    assert data["issues"] == [{"id": 1, "v": "old"}, {"id": 2, "v": "new"}, {"id": 3, "v": "new"}]
    assert data["names"] == {"a": "A", "b": "B"}
    assert data[HEADER]["since"] == "2024-05-01T10:00:00Z"
    assert data[HEADER]["pulled_at"] != "2024-05-01T10:00:00Z"
    assert (result.issues, result.fetched, result.since) == (3, 2, "2024-05-01T10:00:00Z")
    assert "2 updated since 2024-05-01T10:00:00Z" in result.summary()


def test_since_needs_the_previous_pull_of_the_same_settings(tmp_path):
    out = tmp_path / "h.json"
    with pytest.raises(InputError, match="no previous pull"):
        state(out, since=True)
    _previous(out, [], project="c/d")
    with pytest.raises(InputError, match="other settings") as caught:
        state(out, since=True)
    assert any(p.column == "project" for p in caught.value.problems)
    out.write_text(json.dumps({"issues": []}))
    with pytest.raises(InputError, match="not written by `calibrate pull`"):
        state(out, since=True)
    out.write_text("{not json")
    with pytest.raises(InputError, match="cannot be read"):
        state(out, since=True)
    _previous(out, [], pulled_at="yesterday")
    with pytest.raises(InputError, match="does not say when"):
        state(out, since=True)


def test_read_pulled_splits_header_and_payload(tmp_path):
    out = tmp_path / "h.json"
    _previous(out, [{"id": 1}])
    header, payload = read_pulled(out)
    assert header["project"] == "a/b"
    assert payload == {"names": {"a": "A"}, "issues": [{"id": 1}]}


def test_a_failed_write_leaves_the_previous_file(tmp_path):
    out = tmp_path / "h.json"
    out.write_text("previous")
    pull = state(out)
    pull.add({"id": 1})
    pull.records[1]["bad"] = object()  # not JSON: the write fails part-way

    with pytest.raises(TypeError):
        pull.finish(_Client())
    assert out.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


records = st.lists(st.fixed_dictionaries({"id": st.integers(0, 8), "v": st.integers()}),
                   max_size=10)


@given(records, records)
def test_merge_keeps_one_record_per_id_the_freshest(previous, fresh):
    merged = merge_records(previous, fresh, key=lambda r: r["id"])
    ids = [r["id"] for r in merged]
    assert len(ids) == len(set(ids))
    assert set(ids) == {r["id"] for r in previous} | {r["id"] for r in fresh}
    latest = {r["id"]: r for r in previous}
    latest.update({r["id"]: r for r in fresh})
    assert all(r == latest[r["id"]] for r in merged)
    # Previous ids keep their order, new ones follow.
    first_seen = list(dict.fromkeys([r["id"] for r in previous] + [r["id"] for r in fresh]))
    assert ids == first_seen

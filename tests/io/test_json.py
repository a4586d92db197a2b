"""Reading JSON documents (calibrate.io._json): what a parser chokes on becomes an
InputError or a plain value, never a traceback."""

from __future__ import annotations

import json

import pytest
from _helpers import FIXTURES
from hypothesis import given
from hypothesis import strategies as st

from calibrate.errors import InputError
from calibrate.io import read_export
from calibrate.io._json import _replace_lone_surrogates, read_json_documents

JIRA = FIXTURES / "jira_search_changelog.json"
GITHUB = FIXTURES / "github_issues.json"


@pytest.mark.parametrize("escaped, expected", [
    (r'"a\ud800b"', "a\ufffdb"),               # a lone high surrogate
    (r'"\udc00x"', "\ufffdx"),                  # a lone low surrogate
    (r'"a\ud83d\ude00b"', "a\U0001f600b"),      # a proper pair stays
    (r'"\ud800\ud800\udc00"', "\ufffd\U00010000"),
    (r'"a\\ud800"', "a\\ud800"),                # an escaped backslash: literal text
    (r'"x\\\ud800"', "x\\\ufffd"),
    (r'"\uD800"', "\ufffd"),                    # upper-case hex
])
def test_lone_surrogates_become_the_replacement_character(escaped, expected):
    value = json.loads(_replace_lone_surrogates(escaped))
    assert value == expected
    value.encode("utf-8")  # writable as UTF-8


@given(st.text(max_size=30))
def test_valid_text_is_left_alone(value):
    # Any string without lone surrogates survives the replacement unchanged.
    for ensure_ascii in (True, False):
        text = json.dumps(value, ensure_ascii=ensure_ascii)
        if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            continue
        assert json.loads(_replace_lone_surrogates(text)) == value


@pytest.mark.parametrize("source, field", [(JIRA, '"summary":'), (GITHUB, '"title":')])
def test_an_export_with_a_lone_surrogate_is_read_and_written(tmp_path, source, field):
    from calibrate.io import write_tickets

    text = source.read_text(encoding="utf-8")
    compact = json.dumps(json.loads(text))  # one known spacing: "key": value
    assert field in compact
    broken = compact.replace(f'{field} "', f'{field} "\\ud800', 1)
    path = tmp_path / source.name
    path.write_text(broken, encoding="utf-8")
    table = read_export(path)
    titles = table.tickets["title"].dropna().tolist() + table.excluded["title"].dropna().tolist()
    assert any("\ufffd" in title for title in titles)
    write_tickets(table.tickets, tmp_path / "tickets.csv")  # raised UnicodeEncodeError


def test_json_nested_too_deeply_is_an_input_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"issues": ' + "[" * 5000 + "]" * 5000 + "}", encoding="utf-8")
    with pytest.raises(InputError, match="nests JSON objects or lists too deeply"):
        read_json_documents(path)
    with pytest.raises(InputError, match="deep.json"):
        read_export(path, format="jira_json")


@pytest.mark.parametrize("depth", [1_500, 100_000])
def test_format_detection_refuses_json_nested_too_deeply(tmp_path, depth):
    """Found by the long fuzz run: detecting the format (no --format) followed
    the nesting by recursion and raised RecursionError."""
    path = tmp_path / "deep.json"
    path.write_text('{"issues": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")
    with pytest.raises(InputError, match=r"deep\.json nests JSON objects or lists too deeply"):
        read_export(path)


def test_a_five_thousand_digit_integer_is_read_as_a_number(tmp_path):
    document = json.loads(JIRA.read_text(encoding="utf-8"))
    text = json.dumps(document).replace('"summary":', '"huge": ' + "9" * 5000 + ', "summary":',
                                        1)
    path = tmp_path / "huge.json"
    path.write_text(text, encoding="utf-8")
    data, _ = read_json_documents(path)
    assert data["issues"][0]["fields"]["huge"] == float("inf")
    assert len(read_export(path).tickets) == len(read_export(JIRA).tickets)


# ---------------------------------------------------------------- streaming (issue #16)
#
# The readers stream the file (calibrate.io._json.JsonExport). The reference
# below parses the file whole with read_json_documents and walks the parsed
# data as the readers' documentation says (elements, pages, records); both
# feed the same staging, so the tables must be the same, whatever the shape of
# the file and however it falls into pieces.

import pandas as pd  # noqa: E402
from _helpers import SAMPLE  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from calibrate.io import _json, _reader, detect_format, jira_json  # noqa: E402
from calibrate.io._json import LISTED, shape  # noqa: E402

JSON_EXPORTS = [*sorted(FIXTURES.glob("*.json")), SAMPLE / "jira_changelog.json"]


class WholeDocument:
    """The reference reading: the file parsed whole, walked as documented."""

    def __init__(self, path, progress=None, *, multi=None, whole=False, hints=None):
        self.data, self.documents = read_json_documents(path)
        self.multi, self.whole, self.hints = multi, whole, dict(hints or {})
        self.first_object = None
        self.shape = shape(self.data)

    def events(self, container, *, page_needs_list):
        top = self.documents == 1 and isinstance(self.data, dict)
        elements = [self.data] if top else self.data if isinstance(self.data, list) else []
        for number, element in enumerate(elements, start=1):
            if isinstance(element, list):
                for record in element:
                    yield "record", record, False
            elif isinstance(element, dict) and container in element and (
                    isinstance(element[container], list) or not page_needs_list):
                pairs = {k: v for k, v in element.items() if k != container}
                self.first_object = pairs if top else None
                records = element[container]
                if isinstance(records, list):
                    for record in records:
                        yield "record", record, True
                    records = LISTED
                yield "page", number, pairs, records
            else:
                self.first_object = element if top else None
                yield "record", element, False

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


def _read(path, monkeypatch, *, reference=False, chunk=None, batch=None):
    with monkeypatch.context() as patch:
        if reference:
            patch.setattr(_reader, "JsonExport", WholeDocument)
        if chunk:
            patch.setattr(_json, "_CHUNK", chunk)
        if batch:
            patch.setattr(jira_json, "_BATCH", batch)
            patch.setattr(jira_json, "_FIRST_ISSUES", batch)
        try:
            return read_export(path, as_of="2026-01-01")
        except InputError as error:
            return error


def _same(streamed, whole):
    if isinstance(whole, InputError):
        assert isinstance(streamed, InputError), streamed
        assert str(streamed) == str(whole)
        return
    assert not isinstance(streamed, InputError), streamed
    pd.testing.assert_frame_equal(streamed.tickets, whole.tickets)
    pd.testing.assert_frame_equal(streamed.excluded, whole.excluded)
    assert streamed.notes == whole.notes
    assert streamed.rows_read == whole.rows_read


@pytest.mark.parametrize("path", JSON_EXPORTS, ids=lambda p: p.name)
@pytest.mark.parametrize("chunk, batch", [(None, None), (7, 1), (64, 2)])
def test_streamed_reader_gives_the_table_of_the_whole_document(path, chunk, batch, monkeypatch):
    whole = _read(path, monkeypatch, reference=True)
    assert not isinstance(whole, InputError)
    _same(_read(path, monkeypatch, chunk=chunk, batch=batch), whole)


def _records(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    records, names = [], {}
    for element in data if isinstance(data, list) else [data]:
        if isinstance(element, dict) and "issues" in element:
            records += element["issues"]
            names.update(element.get("names") or {})
        elif isinstance(element, list):
            records += element
        else:
            records.append(element)
    return records, names


@st.composite
def paginated(draw, records, names, jira):
    """The same records in any of the saved shapes: one page, a list of pages,
    pages back to back, a bare list; names before or after; any spacing."""
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(records) - 1)), max_size=4)))
    pages = [records[a:b] for a, b in zip([0, *cuts], [*cuts, len(records)], strict=True)]
    how = draw(st.sampled_from(["one page", "list of pages", "back to back", "bare list"]))
    names_first = draw(st.booleans())

    def page(items, at):
        if not jira:
            return items
        body = {"startAt": at, "maxResults": len(items), "issues": items}
        if names:
            body = {"names": names, **body} if names_first else {**body, "names": names}
        return body

    indent = draw(st.sampled_from([None, 1]))
    ascii_only = draw(st.booleans())

    def dump(value):
        return json.dumps(value, indent=indent, ensure_ascii=ascii_only)

    starts = [0, *cuts]
    if how == "one page":
        return dump(page(records, 0))
    if how == "bare list":
        return dump(records)
    shaped = [page(items, at) for items, at in zip(pages, starts, strict=True)]
    if how == "list of pages":
        return dump(shaped)
    return draw(st.sampled_from(["", "\n", " \r\n"])).join(dump(p) for p in shaped)


@pytest.mark.parametrize("name", ["jira_search_changelog.json", "jira_json_dc_pages.json",
                                  "github_issues.json"])
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_property_any_pagination_reads_as_the_whole_document(name, data, tmp_path_factory,
                                                            monkeypatch):
    records, names = _records(FIXTURES / name)
    text = data.draw(paginated(records, names, name.startswith("jira")))
    path = tmp_path_factory.mktemp("shapes") / name
    path.write_text(text, encoding="utf-8")
    chunk = data.draw(st.sampled_from([None, 5, 50]))
    batch = data.draw(st.sampled_from([None, 1, 3]))
    _same(_read(path, monkeypatch, chunk=chunk, batch=batch),
          _read(path, monkeypatch, reference=True))


@pytest.mark.parametrize("chunk", [None, 3, 11])
@pytest.mark.parametrize("text", [
    '{"issues": [{"key": "ML-1",,}]}',
    '[{"a": 1},\n {"b": 2}\n,]',
    '{"issues": [1, 2}',
    '{"issues" [1]}',
    '\ufeff{"issues": [{"key": "ML-1", "fields": {}}], "names": {"a": "b"} "x": 1}',
    '[{"key": "ML-1"}] [{"key": "ML-2"}] x',
    '{"issues": [{"key": "ML-1", "fields": {"summary": "abc\n"}}]}',
    '{"issues": [',
])
def test_invalid_json_is_reported_where_json_finds_it(tmp_path, monkeypatch, text, chunk):
    path = tmp_path / "search.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as whole:
        read_json_documents(path)
    monkeypatch.setattr(_json, "_CHUNK", chunk or _json._CHUNK)
    with pytest.raises(InputError) as streamed:
        read_export(path, format="jira_json")
    assert str(streamed.value).split(":")[0] == str(whole.value).split(":")[0]
    where = str(whole.value).split(" at line ")[1]
    assert str(streamed.value).split(" at line ")[1] == where


@pytest.mark.parametrize("chunk", [None, 4, 9])
def test_lone_surrogates_split_across_pieces_read_as_whole(tmp_path, monkeypatch, chunk):
    compact = json.dumps(json.loads(JIRA.read_text(encoding="utf-8")))
    broken = compact.replace('"summary": "', '"summary": "\\ud800\\ud83d\\ude00x\\udc00', 3)
    path = tmp_path / "surrogates.json"
    path.write_text(broken, encoding="utf-8")
    whole = _read(path, monkeypatch, reference=True)
    streamed = _read(path, monkeypatch, chunk=chunk)
    _same(streamed, whole)
    assert streamed.tickets["title"].str.startswith("\ufffd\U0001f600x\ufffd").sum() >= 1


def test_deep_nesting_in_a_streamed_record_is_an_input_error(tmp_path, monkeypatch):
    path = tmp_path / "deep.json"
    path.write_text('[{"key": "ML-1", "fields": ' + "[" * 100_000 + "]" * 100_000 + "}]",
                    encoding="utf-8")
    monkeypatch.setattr(_json, "_CHUNK", 1000)
    with pytest.raises(InputError, match="deep.json nests JSON objects or lists too deeply"):
        read_export(path, format="jira_json")


def test_a_file_of_other_records_is_refused_without_reading_on(tmp_path):
    # After REFUSE_AFTER records none of which is an issue, the reader stops:
    # the broken end of the file is never reached.
    records = ",".join(['{"id": 1, "name": "not an issue"}'] * (_json.REFUSE_AFTER + 5))
    path = tmp_path / "other.json"
    path.write_text("[" + records + ", ]]]] this is never read", encoding="utf-8")
    with pytest.raises(InputError, match="is JSON, but not a Jira search result") as error:
        read_export(path, format="jira_json")
    assert "none of the first 1000 records is an issue" in str(error.value)
    with pytest.raises(InputError, match="is JSON, but not a list of GitHub issues"):
        read_export(path, format="github_json")


def test_broken_issues_only_are_refused_after_the_first_thousand(tmp_path):
    records = ",".join(['{"key": "ML-1"}'] * (_json.REFUSE_AFTER + 5))
    path = tmp_path / "broken.json"
    path.write_text('{"issues": [' + records + ", ]]]] never read", encoding="utf-8")
    with pytest.raises(InputError, match="reading stopped: none of the first 1000 records"):
        read_export(path, format="jira_json")


def test_a_value_too_large_for_an_export_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(_json, "MAX_VALUE_CHARS", 100)
    monkeypatch.setattr(_json, "_CHUNK", 16)
    path = tmp_path / "big.json"
    path.write_text('{"data": [' + ",".join(["1"] * 200) + "]}", encoding="utf-8")
    with pytest.raises(InputError, match="big.json holds a single JSON value of more than"):
        read_export(path, format="jira_json")


def test_detection_reads_only_the_beginning(tmp_path):
    # A page of issues, then megabytes the detector never parses.
    issue = json.dumps({"key": "ML-1", "fields": {"summary": "x"}})
    path = tmp_path / "long.json"
    path.write_text('{"issues": [' + ",".join([issue] * 150_000) + ", broken", encoding="utf-8")
    assert path.stat().st_size > 6 * 2**20
    assert detect_format(path) == "jira_json"


def test_detection_sees_a_later_page_after_an_empty_one(tmp_path):
    path = tmp_path / "pages.json"
    path.write_text('[] [{"number": 7, "state": "open", "created_at": "2024-05-14T08:53:33Z"}]',
                    encoding="utf-8")
    assert detect_format(path) == "github_json"


def test_progress_reaches_the_file_size(tmp_path, monkeypatch):
    monkeypatch.setattr(_json, "_CHUNK", 1000)
    calls = []
    read_export(JIRA, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (JIRA.stat().st_size, JIRA.stat().st_size)
    assert [done for done, _ in calls] == sorted({done for done, _ in calls})

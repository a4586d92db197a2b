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


def test_a_five_thousand_digit_integer_is_read_as_a_number(tmp_path):
    document = json.loads(JIRA.read_text(encoding="utf-8"))
    text = json.dumps(document).replace('"summary":', '"huge": ' + "9" * 5000 + ', "summary":',
                                        1)
    path = tmp_path / "huge.json"
    path.write_text(text, encoding="utf-8")
    data, _ = read_json_documents(path)
    assert data["issues"][0]["fields"]["huge"] == float("inf")
    assert len(read_export(path).tickets) == len(read_export(JIRA).tickets)

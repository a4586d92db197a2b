"""CSV exports read as they are: positional headers, BOMs, encodings, broken files."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd
import pytest
from _helpers import FIXTURES, SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from calibrate.errors import InputError
from calibrate.io import _csv_read, read_export, write_tickets
from calibrate.io._csv_read import open_csv_export, read_csv_export, read_header
from calibrate.io._formulas import neutralise_formulas, restore_formulas
from calibrate.io.csv_writer import write_csv


def write(tmp_path, text: str, name: str = "export.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_bom_is_stripped_from_the_first_header(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b"\xef\xbb\xbfSummary,Issue key\nTrain,ML-1\n")
    export = read_csv_export(path)
    assert export.header == ["Summary", "Issue key"]
    assert export.has("Summary")
    assert export.column("Summary").tolist() == ["Train"]
    assert export.encoding == "utf-8-sig"
    assert export.notes == []
    assert read_header(path) == ["Summary", "Issue key"]


def test_repeated_headers_are_kept_positionally(tmp_path):
    path = write(tmp_path, "Issue key,Labels,Labels,Labels,Sprint,Sprint\n"
                           "ML-1,a,,c,S1,S2\n"
                           "ML-2,,,,,S3\n"
                           "ML-3,,b,,,\n")
    export = read_csv_export(path)
    assert export.header == ["Issue key", "Labels", "Labels", "Labels", "Sprint", "Sprint"]
    assert export.positions("labels") == [1, 2, 3]
    # Only non-empty cells are joined, with "; ".
    assert export.values("Labels").tolist() == ["a; c", "", "b"]
    assert export.values("Sprint").tolist() == ["S1; S2", "S3", ""]
    # column() is the first of them; first_filled() the first non-empty one per row.
    assert export.column("Labels").tolist() == ["a", "", ""]
    assert export.first_filled(["Labels"]).tolist() == ["a", "", "b"]
    assert export.values("Components").tolist() == ["", "", ""]


def test_first_filled_prefers_the_earlier_name(tmp_path):
    path = write(tmp_path, "Issue key,Story Points,Story point estimate\n"
                           "ML-1,,3\nML-2,5,2\nML-3,1,\nML-4,,\n")
    export = read_csv_export(path)
    assert export.first_filled(["Story Points", "Story point estimate"]).tolist() == [
        "3", "5", "1", ""]


def test_na_like_cells_stay_text(tmp_path):
    path = write(tmp_path, "Issue key,Summary\nML-1,NA\nML-2,None\nML-3,null\nML-4,NaN\nML-5,\n")
    export = read_csv_export(path)
    assert export.column("Summary").tolist() == ["NA", "None", "null", "NaN", ""]


def test_multi_line_cells_keep_record_count_and_row_numbers(tmp_path):
    path = write(tmp_path, 'Issue key,Description\n'
                           'ML-1,"line one\nline two\nline three"\n'
                           'ML-2,plain\n'
                           'ML-3,"a, ""quoted"" one\n"\n'
                           'ML-4,last\n')
    export = read_csv_export(path)
    assert len(export.cells) == 4
    assert export.column("Issue key").tolist() == ["ML-1", "ML-2", "ML-3", "ML-4"]
    # Records, as a spreadsheet numbers them: the header is row 1.
    assert export.rows.tolist() == [2, 3, 4, 5]
    assert export.column("Description")[0] == "line one\nline two\nline three"
    assert export.column("Description")[2] == 'a, "quoted" one\n'


def test_crlf_line_endings(tmp_path):
    path = write(tmp_path, "Issue key,Summary\r\nML-1,a\r\nML-2,b\r\n")
    export = read_csv_export(path)
    assert export.header == ["Issue key", "Summary"]
    assert export.column("Summary").tolist() == ["a", "b"]


def test_row_numbers_count_blank_lines_as_a_spreadsheet_does(tmp_path):
    path = write(tmp_path, "Issue key,Summary\nML-1,a\n\nML-2,b\n")
    export = read_csv_export(path)
    assert export.column("Issue key").tolist() == ["ML-1", "ML-2"]
    assert export.rows.tolist() == [2, 4]


def test_header_cells_are_stripped_and_matched_case_insensitively(tmp_path):
    path = write(tmp_path, " Issue key , SUMMARY\nML-1,x\n")
    export = read_csv_export(path)
    assert export.header == ["Issue key", "SUMMARY"]
    assert export.has("summary")
    assert export.column("Summary").name == "SUMMARY"


def test_semicolon_delimited_file(tmp_path):
    path = write(tmp_path, "Issue key;Summary;Story Points\nML-1;Train, then test;3,5\n")
    export = read_csv_export(path)
    assert export.header == ["Issue key", "Summary", "Story Points"]
    assert export.column("Summary").tolist() == ["Train, then test"]
    assert export.column("Story Points").tolist() == ["3,5"]
    assert read_header(path) == ["Issue key", "Summary", "Story Points"]


def test_tab_delimited_file(tmp_path):
    path = write(tmp_path, "Issue key\tSummary\nML-1\tTrain\n")
    assert read_csv_export(path).column("Summary").tolist() == ["Train"]


def test_cp1252_file_is_read_with_a_note(tmp_path):
    path = write(tmp_path, "Issue key,Assignee,Summary\nML-1,Zoë Müller,“quoted” – dash\n",
                 encoding="cp1252")
    export = read_csv_export(path)
    assert export.encoding == "cp1252"
    assert export.column("Assignee").tolist() == ["Zoë Müller"]
    assert export.column("Summary").tolist() == ["“quoted” – dash"]
    assert len(export.notes) == 1
    assert "export.csv" in export.notes[0] and "cp1252" in export.notes[0]


def test_utf8_file_has_no_note(tmp_path):
    path = write(tmp_path, "Issue key,Assignee\nML-1,Zoë Müller\n")
    export = read_csv_export(path)
    assert export.column("Assignee").tolist() == ["Zoë Müller"]
    assert export.notes == []


def test_utf16_file_with_bom_is_read(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes("Issue key,Assignee\nML-1,Zoë\n".encode("utf-16"))
    export = read_csv_export(path)
    assert export.header == ["Issue key", "Assignee"]
    assert export.column("Assignee").tolist() == ["Zoë"]


def test_binary_file_is_an_input_error(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(InputError, match="binary"):
        read_csv_export(path)
    with pytest.raises(InputError, match="binary"):
        read_header(path)


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"\xef\xbb\xbf"])
def test_empty_file_is_an_input_error(tmp_path, content):
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match="empty"):
        read_csv_export(path)


def test_ragged_row_with_too_many_cells_is_an_input_error(tmp_path):
    path = write(tmp_path, "Issue key,Summary\nML-1,a\nML-2,b,extra\n")
    with pytest.raises(InputError) as caught:
        read_csv_export(path)
    text = str(caught.value)
    assert "export.csv" in text
    assert "line 3" in text  # pandas' own wording names the offending line


def test_short_row_is_padded_with_empty_cells(tmp_path):
    path = write(tmp_path, "Issue key,Summary,Labels\nML-1,a\n")
    export = read_csv_export(path)
    assert export.column("Labels").tolist() == [""]
    assert export.values("Labels").tolist() == [""]


def test_header_only_file_has_no_rows(tmp_path):
    export = read_csv_export(write(tmp_path, "Issue key,Summary\n"))
    assert export.header == ["Issue key", "Summary"]
    assert len(export.cells) == 0
    assert export.rows.tolist() == []


def test_missing_lists_every_absent_column(tmp_path):
    export = read_csv_export(write(tmp_path, "Issue key,Status\nML-1,Done\n"))
    problems = export.missing(["Issue key", "Assignee", ("Status Category", "Status"),
                               ("Story Points", "Story point estimate")])
    assert [p.column for p in problems] == ["Assignee", "Story Points or Story point estimate"]
    assert all(p.file == str(export.path) for p in problems)


@pytest.mark.parametrize("make", ["missing", "directory"])
def test_missing_file_or_directory_is_an_input_error(tmp_path, make):
    path = tmp_path / "nope.csv" if make == "missing" else tmp_path
    with pytest.raises(InputError):
        read_csv_export(path)
    with pytest.raises(InputError):
        read_header(path)


def test_formula_cells_are_neutralised_and_restored():
    frame = pd.DataFrame({
        "text": pd.array(["=1+1", "+44 20", "-rm", "@SUM(A1)", "\tx", "plain", None],
                         dtype="string"),
        "number": [-1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
    })
    safe = neutralise_formulas(frame)
    assert safe["text"].tolist()[:5] == ["'=1+1", "'+44 20", "'-rm", "'@SUM(A1)", "'\tx"]
    assert safe["text"].iloc[5] == "plain" and pd.isna(safe["text"].iloc[6])
    assert safe["number"].tolist() == frame["number"].tolist()  # numbers untouched
    restored = restore_formulas(safe["text"])
    assert restored.tolist()[:6] == frame["text"].tolist()[:6]


@pytest.mark.parametrize("text", ["\uff1d1+1", "\uff0b44", "\uff0drm", "\uff20SUM(A1)"])
def test_full_width_formula_starts_are_neutralised(text):
    # Some spreadsheets (East Asian locales) evaluate =+-@ in their full-width forms too.
    frame = pd.DataFrame({"text": pd.array([text], dtype="string")})
    safe = neutralise_formulas(frame)
    assert safe["text"].iloc[0] == "'" + text
    assert restore_formulas(safe["text"]).iloc[0] == text


@pytest.mark.parametrize("text", ["'--", "'=1", "''x", "'", "'hello"])
def test_text_starting_with_a_quote_round_trips(text):
    # The quote is calibrate's escape; a text's own leading quote must survive it.
    for frame in (pd.DataFrame({"text": pd.array([text], dtype="string")}),
                  pd.DataFrame({"text": pd.Series([text], dtype="object")})):
        safe = neutralise_formulas(frame)
        assert safe["text"].iloc[0] == "'" + text
        assert restore_formulas(safe["text"]).iloc[0] == text


# --------------------------------------------------------------------------- chunks
# Large exports are read in chunks of records, so memory is bounded by the
# chunk; the chunking must not change a single cell, row number or note.


_cell = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                max_size=12)


def _reference(text: str, delimiter: str = ",") -> tuple[list[list[str]], list[int]]:
    """Records after the header, and their spreadsheet row numbers, by Python's
    own csv module: blank records skipped but counted, as a spreadsheet does."""
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    width = len(records[0])
    rows, numbers = [], []
    for number, record in enumerate(records[1:], start=2):
        if all(cell == "" for cell in record):
            continue
        rows.append(record + [""] * (width - len(record)))
        numbers.append(number)
    return rows, numbers


@settings(max_examples=60, deadline=None)
@given(header=st.lists(st.text("abcdefgh XYZ", min_size=1, max_size=6), min_size=1,
                       max_size=4),
       body=st.lists(st.lists(_cell, min_size=1, max_size=4), max_size=12),
       blank_every=st.integers(0, 4), chunk_rows=st.integers(1, 5),
       line_end=st.sampled_from(["\n", "\r\n", "\r"]))
def test_chunks_hold_exactly_the_records_the_csv_module_reads(
        tmp_path_factory, header, body, blank_every, chunk_rows, line_end):
    width = len(header)
    rows = [(row + [""] * width)[:width] for row in body]
    if blank_every:  # blank records between the others
        rows = [r for i, row in enumerate(rows)
                for r in ([[""] * width, row] if i % blank_every == 0 else [row])]
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator=line_end).writerows([header, *rows])
    text = out.getvalue()
    if not any(cell.strip(' \t\r\n\ufeff,;"') for cell in header):
        return  # a blank header line is not a header; tested separately
    path = tmp_path_factory.mktemp("chunks") / "export.csv"
    path.write_bytes(text.encode("utf-8"))
    expected_rows, expected_numbers = _reference(text)

    parts = list(open_csv_export(path, chunk_rows=chunk_rows))
    cells = [list(map(str, record)) for part in parts for record in
             part.cells.itertuples(index=False)]
    numbers = [int(n) for part in parts for n in part.rows]
    assert cells == expected_rows
    assert numbers == expected_numbers
    assert all(len(part.cells) <= chunk_rows for part in parts)
    whole = read_csv_export(path)
    assert whole.rows.tolist() == expected_numbers


def test_progress_runs_to_the_file_size(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Issue key,Summary\n" + "".join(f"ML-{i},t{i}\n" for i in range(200)),
                    encoding="utf-8")
    calls = []
    parts = list(open_csv_export(path, chunk_rows=50,
                                 progress=lambda done, total: calls.append((done, total))))
    # The header is the first chunk's first record: 49 + 50 + 50 + 50 + 1 rows.
    assert [len(part.cells) for part in parts] == [49, 50, 50, 50, 1]
    size = path.stat().st_size
    assert {total for _, total in calls} == {size}
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-1] == size and len(done) >= len(parts)


def test_the_encoding_is_decided_on_the_whole_file(tmp_path):
    """A cp1252 byte far past the first blocks still makes the file cp1252
    (not UTF-8 with a garbled cell, nor an error half-way through)."""
    path = tmp_path / "export.csv"
    filler = "".join(f"ML-{i},plain text {i}\n" for i in range(200_000))  # ~5 MB
    path.write_bytes(("Issue key,Summary\n" + filler + "ML-x,Zoë – end\n").encode("cp1252"))
    export = read_csv_export(path)
    assert export.encoding == "cp1252"
    assert export.column("Summary").iloc[-1] == "Zoë – end"
    assert len(export.cells) == 200_001


def test_utf16_is_read_in_chunks(tmp_path):
    path = tmp_path / "export.csv"
    text = "Issue key,Assignee\n" + "".join(f"ML-{i},Zoë {i}\n" for i in range(10))
    path.write_bytes(text.encode("utf-16"))
    parts = list(open_csv_export(path, chunk_rows=3))
    assert [len(p.cells) for p in parts] == [2, 3, 3, 2]  # the header is a record too
    assert parts[-1].column("Assignee").tolist() == ["Zoë 8", "Zoë 9"]
    assert parts[0].header == ["Issue key", "Assignee"]


@pytest.mark.parametrize("prefix", ["\n", "\r\n\r\n", ",,,\n", '"",""\n', "\ufeff\n", "\r\r"])
def test_blank_lines_before_the_header_are_skipped_and_counted(tmp_path, prefix):
    path = tmp_path / "export.csv"
    path.write_bytes((prefix + "Issue key,Summary\nML-1,a\n\nML-2,b\n").encode("utf-8"))
    export = read_csv_export(path)
    assert export.header == ["Issue key", "Summary"]
    skipped = len(prefix.replace("\r\n", "\n").replace("\r", "\n").splitlines())
    assert export.rows.tolist() == [2 + skipped, 4 + skipped]
    assert export.notes == ["1 blank lines in export.csv were skipped"]


@pytest.mark.parametrize("body, row, message", [
    ("A-1,a\nA-2,b\nA-3,c\nA-4,d,e\n", 5, "the row has 3 cells, the header 2"),
    ('A-1,a\nA-2,b\nA-3,c\nA-4,"d\nA-5,e\n', 5, "a quoted cell is never closed"),
])
def test_a_malformed_row_in_a_later_chunk_is_named_by_its_row(tmp_path, body, row, message):
    path = tmp_path / "export.csv"
    path.write_text("\n\nIssue key,Summary\n" + body, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        list(open_csv_export(path, chunk_rows=2))
    # Two blank lines, the header (row 3), then A-1 at row 4 ... the bad row.
    assert [(p.row, p.message) for p in caught.value.problems] == [(row + 2, message)]
    assert str(path) in str(caught.value)


def test_chunk_rows_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="chunk_rows"):
        open_csv_export(write(tmp_path, "a,b\n1,2\n"), chunk_rows=0)


# (Every CSV reader gives the same table in chunks: a check of test_readers.py.)


def test_the_canonical_table_is_read_in_chunks(monkeypatch, tmp_path):
    table = read_export(SAMPLE / "jira_export.csv", config=SAMPLE / "calibrate.toml")
    path = write_tickets(table.tickets, tmp_path / "tickets.csv")
    whole = read_export(path)
    monkeypatch.setattr(_csv_read, "CHUNK_ROWS", 7)
    chunked = read_export(path)
    pd.testing.assert_frame_equal(chunked.tickets, whole.tickets)
    pd.testing.assert_frame_equal(whole.tickets, table.tickets)


@pytest.mark.parametrize("data", [b"\xef", b"\xef\xbb"], ids=["1 byte", "2 bytes"])
def test_half_a_byte_order_mark_is_not_utf8(tmp_path, data):
    """Found by the long fuzz run: Python's utf-8-sig decoder lets an incomplete
    BOM at the end of a file pass; the file is not UTF-8, so cp1252 with a note."""
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    export = read_csv_export(path)
    assert export.encoding == "cp1252"
    assert export.header == [data.decode("cp1252")]
    assert "not UTF-8" in export.notes[0]


# --------------------------------------------------------------------------- writing

_text = st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cs",),
                                                   blacklist_characters="\r"), max_size=8))
_moment = st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2099, 1, 1))
_fraction = st.sampled_from([0, 1_000_000, 1_000, 1, 0])  # ns past the second: ms, us, ns


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(_text, st.booleans(), st.integers(-10**12, 10**12),
                               st.floats(), st.one_of(st.none(), _moment), _fraction,
                               st.one_of(st.none(), st.floats(), st.integers(-9, 9), _text)),
                     max_size=6),
       midnight=st.booleans(), columns=st.integers(1, 7))
def test_write_csv_writes_what_pandas_writes(tmp_path_factory, rows, midnight, columns):
    """Reference: pandas' to_csv on the neutralised frame (cells with a carriage
    return aside: pandas leaves them unquoted, see the next test)."""
    frame = pd.DataFrame(rows, columns=["text", "flag", "count", "share", "time", "ns",
                                        "mixed"])
    frame = frame.astype({"text": "string", "flag": bool, "count": "int64", "share": float,
                          "mixed": object})
    times = pd.to_datetime(frame["time"]).astype("datetime64[ns]")
    times = times.dt.normalize() if midnight else times.dt.floor("s")
    frame["time"] = times + pd.to_timedelta(frame.pop("ns"), unit="ns")
    frame = frame.iloc[:, :columns]
    path = tmp_path_factory.mktemp("write") / "out.csv"
    write_csv(frame, path)
    expected = neutralise_formulas(frame).to_csv(index=False, lineterminator="\n")
    assert path.read_text(encoding="utf-8") == expected


def test_a_carriage_return_in_a_cell_is_quoted_and_reads_back(tmp_path):
    """pandas writes "a\\rb" bare, and every CSV reader ends the line there."""
    table = read_export(FIXTURES / "linear_small.csv")
    tickets = table.tickets.copy()
    tickets.loc[0, "title"] = "first\rsecond"
    tickets.loc[1, "title"] = '"quoted",\r\nnext line'
    path = write_tickets(tickets, tmp_path / "tickets.csv")
    assert '"first\rsecond"' in path.read_bytes().decode("utf-8")
    pd.testing.assert_frame_equal(read_export(path).tickets, tickets)


@pytest.mark.parametrize("names, encoding", [
    ("Zoë Müller;Größe;Élodie Lefèvre;Ångström;Çelik", "cp1252"),
    ("Ключ проблемы;Исполнитель;Иван Петров;Ёлка", "cp1251"),
])
def test_a_windows_code_page_is_told_by_its_words(tmp_path, names, encoding):
    """Accented Latin letters stand alone between ASCII ones; Cyrillic ones
    make whole words: that decides cp1252 or cp1251."""
    path = tmp_path / "export.csv"
    path.write_bytes(("Issue key,Assignee\n" + "".join(
        f"ML-{i},{name}\n" for i, name in enumerate(names.split(";")))).encode(encoding))
    export = read_csv_export(path)
    assert export.encoding == encoding
    assert export.column("Assignee").tolist() == names.split(";")

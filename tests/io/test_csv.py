"""CSV exports read as they are: positional headers, BOMs, encodings, broken files."""

from __future__ import annotations

import pandas as pd
import pytest

from calibrate.errors import InputError
from calibrate.io._csv import read_csv_export, read_header


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
    from calibrate.io._csv import neutralise_formulas, restore_formulas

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

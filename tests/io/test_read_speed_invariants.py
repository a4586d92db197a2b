"""The read path's vectorised shortcuts against simple per-row references.

Reading a CSV export works column by column and once per distinct value:
Arrow's CSV parser (with pandas' as the fallback), Arrow's UTF-8 check,
date cells split into day and time parts, ISO 8601 cells parsed by Arrow,
statuses, issue URLs and multi-value cells matched per distinct value. Each
test here writes the obvious one-row-at-a-time computation (Python's own
decoder, ``re``, ``pd.to_datetime`` of one cell, a loop) and checks the
vectorised path gives exactly the same, on the inputs real exports hold and
on hostile ones. No timings: speed is the benchmark's business
(``benchmarks/speed.py``).
"""

from __future__ import annotations

import codecs
import io
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calibrate.config import Config, fold_name
from calibrate.errors import InputError
from calibrate.io import _csv_read, _dates, _encoding
from calibrate.io._assemble import _clean_text
from calibrate.io._csv_read import open_csv_export
from calibrate.io._values import TEXT, match_groups, per_distinct, ticket_states
from calibrate.io.gitlab_csv import _issue_references, issue_reference


def _settings(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _text(values) -> pd.Series:
    return pd.Series(values, dtype=TEXT)


# --------------------------------------------------------------------------- the parser
# Arrow's CSV reader parses; a file it refuses (a short or long row, a quote
# never closed) is read by pandas' parser from the first chunk not handed out.
# The two must give the same records, rows, notes and errors.


def _read(path, chunk_rows: int, *, pandas_only: bool, monkeypatch) -> tuple:
    """Everything a chunked reading gives, or the error it raises."""
    with monkeypatch.context() as patch:
        if pandas_only:
            def refuse(self, read):
                raise _csv_read._NotForArrow
                yield  # (a generator, as the method it replaces)

            patch.setattr(_csv_read.CsvChunks, "_arrow_records", refuse)
        try:
            chunks = open_csv_export(path, chunk_rows=chunk_rows)
            parts = list(chunks)
        except InputError as error:
            return ("error", str(error), [(p.row, p.message) for p in error.problems])
        return ("ok", chunks.header,
                [[list(map(str, record)) for record in part.cells.itertuples(index=False)]
                 for part in parts],
                [part.rows.tolist() for part in parts], list(chunks.notes))


_csv_text = st.lists(st.sampled_from(['a', 'b', 'é', ',', ',', '"', '"', '""', '\n', '\r\n',
                                      '\r', ' ', ';', '\t', '\x00']), max_size=40).map("".join)


@_settings(150)
@given(header=st.sampled_from(["h1,h2,h3", "h1", "Issue key;Summary", '"h,1",h2']),
       body=_csv_text, chunk_rows=st.sampled_from([1, 2, 3, 50]))
def test_arrow_and_pandas_parsers_read_any_text_alike(tmp_path_factory, monkeypatch, header,
                                                      body, chunk_rows):
    path = tmp_path_factory.mktemp("parse") / "export.csv"
    path.write_bytes((header + "\n" + body).encode("utf-8"))
    assert (_read(path, chunk_rows, pandas_only=False, monkeypatch=monkeypatch)
            == _read(path, chunk_rows, pandas_only=True, monkeypatch=monkeypatch))


@pytest.mark.parametrize("tail, kind", [
    ('ML-9,"never closed\n', "error"),  # Arrow would end the cell at the end of the file
    ("ML-9\n", "ok"),  # a short row: pandas pads it
    ("\n\nML-9,x\n", "ok"),  # blank lines
    ("ML-9,x,y\n", "error"),  # a row longer than the header
])
def test_a_file_arrow_refuses_late_is_read_on_by_pandas(tmp_path, monkeypatch, tail, kind):
    """The irregular record comes after chunks Arrow already handed out."""
    path = tmp_path / "export.csv"
    path.write_text("Issue key,Summary\n" + "".join(f"ML-{i},t{i}\n" for i in range(7)) + tail,
                    encoding="utf-8")
    arrow = _read(path, 3, pandas_only=False, monkeypatch=monkeypatch)
    assert arrow == _read(path, 3, pandas_only=True, monkeypatch=monkeypatch)
    assert arrow[0] == kind


def test_the_header_record_and_chunk_boundaries_are_kept(tmp_path):
    """Exactly ``chunk_rows`` records per chunk (the header is the first), the
    last record of the file included, as with pandas' parser."""
    path = tmp_path / "export.csv"
    path.write_text("Issue key,Summary\n" + "".join(f"ML-{i},t{i}\n" for i in range(9)),
                    encoding="utf-8")
    parts = list(open_csv_export(path, chunk_rows=3))
    assert [len(part.cells) for part in parts] == [2, 3, 3, 1]
    assert [part.rows.tolist() for part in parts] == [[2, 3], [4, 5, 6], [7, 8, 9], [10]]
    assert all(part.cells.dtypes.eq(TEXT).all() for part in parts)


# --------------------------------------------------------------------------- UTF-8 check


_pieces = st.sampled_from([b"a", b"\xc3\xa9", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80",
                           b"\xed\xa0\x80", b"\xc0\x80", b"\x80", b"\xff", b"\xf4\x90\x80\x80",
                           b"\xe2\x82", b"\xc3", b"\xf0\x9f", b"\n", b"\x00"])


@_settings(300)
@given(data=st.lists(_pieces, max_size=12).map(b"".join),
       limit=st.one_of(st.none(), st.integers(1, 12)), block=st.integers(1, 7))
def test_the_utf8_check_is_pythons_decoder(monkeypatch, data, limit, block):
    def python(handle) -> bool:  # what _decodes did for UTF-8: Python's decoder
        decoder = codecs.getincrementaldecoder("utf-8")()
        chunk = handle.read() if limit is None else handle.read(limit)
        try:
            decoder.decode(chunk)
            if limit is None or len(chunk) < limit:
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
        return True

    monkeypatch.setattr(_encoding, "_SCAN_BYTES", block)  # characters cut between blocks
    assert _encoding._is_utf8(io.BytesIO(data), limit) == python(io.BytesIO(data))


# --------------------------------------------------------------------------- dates


@_settings(300)
@given(st.text(st.sampled_from(list("0123456789/:.- \t\n\x0b\x0c\r\xa0APMaJn")), max_size=16))
def test_the_date_time_split_is_the_regular_expression(cell):
    text = pa.array([cell, None], pa.large_string())
    days, times = _dates._split_date_time(text)
    expected = pc.extract_regex(text, _dates._DATE_AND_TIME)
    assert days.dictionary_decode().to_pylist() == pc.struct_field(expected, [0]).to_pylist()
    assert times.dictionary_decode().to_pylist() == pc.struct_field(expected, [1]).to_pylist()


_YEARS = st.integers(1968, 2101)


@_settings(15)
@given(seed=st.integers(0, 2**32 - 1), fmt=st.sampled_from(
    ["%d/%b/%y %I:%M %p", "%d/%m/%Y %H:%M", "%d.%m.%Y %H:%M", "%Y/%m/%d %H:%M"]),
    junk=st.lists(st.text("0123456789/:. \t\xa0JanPM", max_size=14), max_size=8),
    assume_utc=st.booleans())
def test_day_time_columns_read_row_by_row_equal_parsing_each_cell(seed, fmt, junk, assume_utc):
    """Thousands of distinct cells (the split path): each row as pandas reads
    that one cell with the column's format, years outside 1970-2099 unread."""
    rng = np.random.default_rng(seed)
    moments = (pd.Timestamp("1969-06-01")
               + pd.to_timedelta(rng.integers(0, 131 * 365 * 1440, 2_500), unit="min"))
    cells = [m.strftime(fmt) for m in moments] + junk + ["", "  "]
    parsed = _dates.parse_timestamps(pd.Series(cells, dtype=object), column="c", file="f",
                                     assume_utc=assume_utc)
    assert parsed.format == fmt
    # The reference: pandas reading every whole cell with the format (no split).
    stripped = [cell.strip() for cell in cells]
    whole = pd.to_datetime(pd.Series(stripped, dtype=object), format=fmt, errors="coerce")
    expected = whole.where((whole.dt.year >= 1970) & (whole.dt.year <= 2099)).tolist()
    has_time = [bool(text) and re.search(r"\d{1,2}:\d{2}", text) is not None
                for text in stripped]
    values = parsed.values.dt.tz_localize(None) if assume_utc else parsed.values
    pd.testing.assert_series_equal(values, pd.Series(expected, dtype="datetime64[ns]"),
                                   check_names=False)
    assert parsed.has_time.tolist() == has_time
    assert parsed.unreadable.tolist() == [bool(c.strip()) and pd.isna(e)
                                          for c, e in zip(cells, expected, strict=True)]


@st.composite
def _iso_cell(draw) -> str:
    """ISO 8601-like cells: valid or not, every shape Arrow or pandas might read."""
    def digits(width: int, low: int = 0, high: int | None = None) -> str:
        return str(draw(st.integers(low, 10**width - 1 if high is None else high))).zfill(width)

    cell = f"{digits(4, 1960, 2110)}-{digits(2)}-{digits(2)}"
    if draw(st.booleans()):
        cell += draw(st.sampled_from("T ")) + digits(2)
        if draw(st.booleans()):
            cell += ":" + digits(2)
            if draw(st.booleans()):
                cell += ":" + digits(2)
                if draw(st.booleans()):
                    cell += "." + "7" * draw(st.integers(1, 10))
    return cell + draw(st.sampled_from(["", "", "Z", "+02:00", "-0530", "+05", "z", "+24:00"]))


@_settings(300)
@given(cell=_iso_cell())
def test_what_arrow_reads_as_iso_8601_pandas_reads_alike(cell):
    read = _dates._arrow_iso(_text([cell]))
    if read is None:
        return  # refused: pandas reads the column
    times, has_time = read
    aware = isinstance(times.dtype, pd.DatetimeTZDtype)
    expected = pd.to_datetime(pd.Series([cell]), format="ISO8601", utc=aware, errors="coerce")
    assert times[0] == expected[0]
    assert has_time[0] == (re.search(r"\d{1,2}:\d{2}", cell) is not None)


def _iso_reference(cells: list[str], assume_utc: bool) -> tuple[list, list]:
    """Each cell as pandas reads it alone: with an offset (Z, +HH:MM, +HHMM)
    in UTC, else naive (in UTC when the column has an offset somewhere or the
    source is UTC); years outside 1970-2099 unread."""
    stripped = [cell.strip() for cell in cells]
    offset = [re.search(r"(?:Z|[+-]\d{2}:?\d{2})$", cell) is not None for cell in stripped]
    to_utc = assume_utc or any(o for cell, o in zip(stripped, offset, strict=True) if cell)
    values = []
    for cell, has_offset in zip(stripped, offset, strict=True):
        value = (pd.to_datetime(pd.Series([cell]), format="ISO8601", utc=has_offset,
                                errors="coerce")[0] if cell else pd.NaT)
        if pd.notna(value) and not 1970 <= value.year <= 2099:
            value = pd.NaT
        if pd.notna(value) and to_utc and value.tzinfo is None:
            value = value.tz_localize("UTC")
        values.append(value)
    return values, [bool(cell) and re.search(r"\d{1,2}:\d{2}", cell) is not None
                    for cell in stripped]


@_settings(60)
@given(cells=st.lists(st.one_of(_iso_cell().filter(lambda c: not re.search(r"[+-]\d{2}$", c)),
                                st.sampled_from(["", "soon", "2024-05-14Z"])),
                      min_size=1, max_size=30), assume_utc=st.booleans())
def test_iso_columns_equal_parsing_each_cell_with_pandas(cells, assume_utc):
    try:
        parsed = _dates.parse_timestamps(pd.Series(cells, dtype=object), column="c", file="f",
                                         assume_utc=assume_utc)
    except InputError:
        return  # mostly unreadable: refused (test_dates.py)
    if parsed.format != "ISO 8601":
        return
    expected, has_time = _iso_reference(cells, assume_utc)
    got = [None if pd.isna(v) else pd.Timestamp(v) for v in parsed.values]
    assert got == [None if pd.isna(v) else v for v in expected]
    assert parsed.has_time.tolist() == has_time


def test_an_offset_of_hours_alone_is_left_to_pandas():
    assert _dates._arrow_iso(_text(["2024-05-14T08:53+05"])) is None
    assert _dates._arrow_iso(_text(["2024-05-14T08:53+0500"])) is not None


# --------------------------------------------------------------------------- statuses


_status = st.one_of(st.none(), st.sampled_from(
    ["Won't Do", "WONT_DO", "won't-do", "Duplicate", "Done", "In Progress", "IN_PROGRESS",
     "Canceled", "", " ", "İn Progress", "to do"]), st.text(max_size=8))


@_settings(120)
@given(values=st.lists(_status, max_size=30))
def test_status_rules_equal_folding_each_row(values):
    config = Config()
    column = pd.Series(values, dtype=object)
    for rule, names in ((config.is_not_finished_resolution, config.not_finished_resolutions),
                        (config.is_in_progress_status, config.in_progress_statuses),
                        (config.is_done_status, config.done_statuses)):
        wanted = {"".join(filter(str.isalnum, name.casefold())) for name in names}
        expected = [v is not None and "".join(filter(str.isalnum, str(v).casefold())) in wanted
                    for v in values]
        assert rule(column).tolist() == expected
        assert rule(_text(values)).tolist() == expected
        assert [fold_name(v) for v in values if v is not None] == [
            "".join(filter(str.isalnum, str(v).casefold())) for v in values if v is not None]


# --------------------------------------------------------------------------- per distinct


_cell = st.text(st.characters(blacklist_categories=("Cs",)), max_size=10)
_url = st.one_of(_cell, st.builds(
    lambda scheme, host, path, kind, iid, tail: f"{scheme}://{host}/{path}{kind}{iid}{tail}",
    st.sampled_from(["https", "http", "ftp"]), st.sampled_from(["gitlab.com", "git lab", "g.io"]),
    st.sampled_from(["ml/models", "a/b/c", "x y/z", "ml/models/-"]),
    st.sampled_from(["/-/issues/", "/issues/", "/work_items/", "/merge_requests/"]),
    st.sampled_from(["42", "7", "٣", "4٢", "", "x"]),
    st.sampled_from(["", "/", "?x=1", "#note", " \x1c", "\n", "?a b"])))


@_settings(150)
@given(rows=st.lists(st.tuples(_url, st.sampled_from(["42", " 7 ", "", "١"])), max_size=12))
def test_issue_references_equal_issue_reference_of_each_row(rows):
    urls, ids = _text([u for u, _ in rows]), _text([i for _, i in rows])
    expected = [issue_reference(u, i) for u, i in rows]
    assert _issue_references(urls, ids).tolist() == expected


@_settings(100)
@given(cells=st.lists(st.one_of(st.none(), _cell, st.sampled_from(["ab-12", "ab-١٢", "ab-3\n"])),
                      max_size=12))
def test_match_groups_equals_re_match_of_each_cell(cells):
    pattern = re.compile(r"ab-(?P<n>\d+)$")
    groups = match_groups(_text(cells), pattern, r"ab-(?P<n>[0-9]+)$")
    expected = [(pattern.match(c)["n"] if c is not None and pattern.match(c) else None)
                for c in cells]
    assert [None if pd.isna(v) else v for v in groups["n"]] == expected


@_settings(100)
@given(rows=st.lists(st.lists(st.sampled_from(["", "", "a", "b; c", "'=1", "''x", "'-2", " "]),
                              min_size=4, max_size=4), min_size=1, max_size=10))
def test_repeated_and_first_filled_columns_equal_a_loop_over_rows(rows):
    header = ["Labels", "Labels", "Points", "Labels"]
    export = _csv_read.CsvExport("f.csv", header, pd.DataFrame(
        {i: _text([r[i] for r in rows]) for i in range(4)}), pd.Series(range(len(rows))),
        "utf-8-sig")
    assert export.values("Labels").tolist() == [
        "; ".join(c for c in (r[0], r[1], r[3]) if c) for r in rows]
    assert export.first_filled(["Points", "Labels"]).tolist() == [
        next((c for c in (r[2], r[0], r[1], r[3]) if c), "") for r in rows]
    restored = export.restored(["Labels"], ("=", "-")).cells
    for position in (0, 1, 3):
        assert restored[position].tolist() == [
            r[position][1:] if len(r[position]) > 1 and r[position][0] == "'"
            and r[position][1] in "=-" else r[position] for r in rows]


@_settings(100)
@given(cells=st.lists(st.one_of(st.none(), _cell, st.sampled_from([" a ", "\x1cb\u3000", ""])),
                      max_size=12), stored=st.sampled_from(["object", "text"]))
def test_clean_text_is_str_strip_of_each_cell(cells, stored):
    values = pd.Series(cells, dtype=object if stored == "object" else TEXT)
    cleaned = _clean_text(values, arrow=True)
    expected = [None if c is None or not str(c).strip() else str(c).strip() for c in cells]
    assert [None if pd.isna(v) else v for v in cleaned] == expected
    assert isinstance(cleaned.dtype, pd.StringDtype)


@_settings(60)
@given(cells=st.lists(st.sampled_from(["a", "bb", "", "é"]), max_size=10),
       stored=st.sampled_from(["object", "text"]))
def test_per_distinct_in_text_is_a_loop_over_rows(cells, stored):
    values = pd.Series(cells, dtype=object if stored == "object" else TEXT)
    result = per_distinct(values, lambda v: f"<{v}>", dtype=TEXT)
    assert result.tolist() == [f"<{v}>" for v in cells]
    assert result.dtype == TEXT


def test_ticket_states_row_by_row():
    not_finished = [True, True, False, False]
    done = [True, False, True, False]
    assert ticket_states(not_finished, done).tolist() == [
        "not_done" if n else "done" if d else "open" for n, d in zip(not_finished, done,
                                                                     strict=True)]

"""Hostile input for every reader: property-based fuzzing with Hypothesis.

Each test starts from a *valid* export of one format (slices of the bundled
sample, and the small fixtures for GitLab, GitHub, the generic CSV and the
canonical table) and mutates it the way real files get broken: truncated at
any byte, other delimiters (in the whole file or on some lines), other
encodings and BOMs (also mixed line by line), ragged rows, huge cells,
formula-like cells (``= + - @``), garbage, negative and non-numeric points,
dates in the future, before creation, in other formats and in the years 1 and
9999, duplicated rows and keys, deleted (also required) columns, empty files
and header-only files; for JSON also dropped keys, values of the wrong type,
wrong nesting, duplicated object keys and documents written back to back.

The only allowed outcomes of reading such a file are

- a valid ticket table with exact row accounting: ``rows_read == kept +
  excluded``, the kept table passes the canonical schema, every exclusion has
  a known reason, and every row number is unique and inside the file; or
- an :class:`~calibrate.errors.InputError` naming the file, whose problems say
  where (row and/or column) when they are about a row or a column.

Anything else (another exception type, a broken table) is a failure, and so is
``calibrate ingest`` exiting with anything but 0 or 2, or printing a traceback.

Hypothesis profiles (registered here, used only by this module's tests):
``ci`` (the default; 25 examples per test, derandomised, so CI is reproducible)
and ``long`` (``CALIBRATE_FUZZ_PROFILE=long``: 2000 random examples per test;
``make fuzz``).
"""

from __future__ import annotations

import codecs
import contextlib
import copy
import csv
import io
import json
import os
import re
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import event as _event
from hypothesis import note as _note
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from calibrate.cli import cli
from calibrate.config import Config, load_config
from calibrate.errors import InputError, Problem
from calibrate.io import FORMATS, read_export, write_tickets
from calibrate.io._csv_read import open_csv_export
from calibrate.tickets import EXCLUSION_REASONS, validate_tickets

#: Pandas' announcements of behaviour that will change are failures here: the
#: input that triggers one will break the reader with the next pandas.
pytestmark = pytest.mark.filterwarnings("error::pandas.errors.PandasChangeWarning")

# --------------------------------------------------------------------------- profiles

_COMMON = dict(
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.large_base_example, HealthCheck.filter_too_much],
)
# Registered as "fuzz-ci" and "fuzz-long": Hypothesis has a built-in "ci" profile,
# loaded for every test when it detects CI, which re-registering would change.
settings.register_profile("fuzz-ci", max_examples=25, derandomize=True, database=None,
                          **_COMMON)
settings.register_profile("fuzz-long", max_examples=2000, **_COMMON)
#: "ci" (default: bounded, reproducible) or "long" (make fuzz).
PROFILE = os.environ.get("CALIBRATE_FUZZ_PROFILE", "ci")
#: The settings of every property test below (not loaded globally: other
#: modules' Hypothesis tests keep their own settings).
FUZZ = settings(settings.get_profile(f"fuzz-{PROFILE}"))

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
FIXTURES = ROOT / "tests" / "fixtures"
SAMPLE_CONFIG = SAMPLE / "calibrate.toml"
#: Rows (CSV) or issues per page (JSON) kept from the bundled sample: enough
#: for every state and clock, small enough for many examples.
SLICE = 30
#: No single read may take longer than this (seconds); a hang is a failure too.
READ_LIMIT = 60.0

# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class Source:
    """A valid export to start mutating from."""

    name: str
    format: str
    suffix: str
    config_path: Path | None
    #: CSV: the records (header first); JSON: None.
    rows: tuple[tuple[str, ...], ...] | None = None
    #: JSON: the document as text; CSV: None.
    text: str | None = None
    bom: bool = False
    #: Columns (CSV) or keys (JSON) the readers use: mutated more often.
    targets: tuple[str, ...] = ()
    key: str = ""
    dates: tuple[str, ...] = ()

    @property
    def config(self) -> Config:
        return _config(self.config_path)

    @property
    def kind(self) -> str:
        return "csv" if self.rows is not None else "json"


_CONFIGS: dict[Path | None, Config] = {}


def _config(path: Path | None) -> Config:
    if path not in _CONFIGS:
        _CONFIGS[path] = load_config(path)
    return _CONFIGS[path]


def _csv_records(path: Path, limit: int | None = None) -> tuple[tuple[tuple[str, ...], ...], bool]:
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig")
    records = list(csv.reader(io.StringIO(text, newline="")))
    if limit is not None:
        records = records[: limit + 1]
    return tuple(tuple(r) for r in records), raw.startswith(codecs.BOM_UTF8)


def _jira_json_slice() -> str:
    pages = json.loads((SAMPLE / "jira_changelog.json").read_text(encoding="utf-8"))
    kept = []
    for page in pages[:2]:
        page = dict(page, issues=page["issues"][: SLICE // 2])
        page["total"] = len(page["issues"])
        kept.append(page)
    return json.dumps(kept, indent=1)


def _canonical_csv() -> tuple[tuple[tuple[str, ...], ...], bool]:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "jira.json"
        source.write_text(_jira_json_slice(), encoding="utf-8")
        table = read_export(source, config=SAMPLE_CONFIG)
        out = write_tickets(table.tickets, Path(tmp) / "tickets.csv")
        return _csv_records(out)


_JIRA_CSV_TARGETS = (
    "Issue key", "Summary", "Assignee", "Created", "Resolved", "Updated", "Status",
    "Status Category", "Status Category Changed", "Resolution", "Custom field (Story Points)",
    "Custom field (Story point estimate)", "Labels", "Sprint", "Parent summary",
)
_LINEAR_TARGETS = ("ID", "Title", "Status", "Estimate", "Assignee", "Created", "Started",
                   "Completed", "Canceled", "Labels", "Cycle Name", "Cycle Number", "Project")
_GITLAB_TARGETS = ("Issue ID", "URL", "Title", "State", "Created At (UTC)", "Closed At (UTC)",
                   "Updated At (UTC)", "Weight", "Assignee", "Assignee Username", "Labels")
_GENERIC_TARGETS = ("Key", "Summary", "Owner", "Size", "Opened", "Work started", "Done on",
                    "Area", "Tags", "State", "Outcome")
_CANONICAL_TARGETS = ("ticket_id", "engineer", "area", "points", "repointed", "created_at",
                      "started_at", "finished_at", "duration_days", "censored", "clock",
                      "source_row", "title")
_JIRA_JSON_TARGETS = (
    "key", "fields", "created", "updated", "resolutiondate", "statuscategorychangedate",
    "customfield_10016", "customfield_10026", "assignee", "displayName", "status", "name",
    "statusCategory", "resolution", "changelog", "histories", "items", "field", "fieldId",
    "toString", "fromString", "issues", "names", "labels", "customfield_10020", "parent",
)
_GITHUB_TARGETS = ("number", "state", "state_reason", "created_at", "closed_at", "updated_at",
                   "labels", "name", "assignee", "assignees", "login", "pull_request", "title",
                   "milestone", "repository_url", "html_url")


def _build_sources() -> dict[str, Source]:
    jira_rows, jira_bom = _csv_records(SAMPLE / "jira_export.csv", SLICE)
    linear_rows, _ = _csv_records(SAMPLE / "linear_export.csv", SLICE)
    gitlab_rows, _ = _csv_records(FIXTURES / "gitlab_small.csv")
    generic_rows, _ = _csv_records(FIXTURES / "generic_small.csv")
    canonical_rows, _ = _canonical_csv()
    sources = [
        Source("jira_csv", "jira_csv", ".csv", SAMPLE_CONFIG, rows=jira_rows, bom=jira_bom,
               targets=_JIRA_CSV_TARGETS, key="Issue key",
               dates=("Created", "Resolved", "Updated", "Status Category Changed")),
        Source("linear_csv", "linear_csv", ".csv", SAMPLE_CONFIG, rows=linear_rows,
               targets=_LINEAR_TARGETS, key="ID",
               dates=("Created", "Started", "Completed", "Canceled", "Updated")),
        Source("gitlab_csv", "gitlab_csv", ".csv", None, rows=gitlab_rows,
               targets=_GITLAB_TARGETS, key="URL",
               dates=("Created At (UTC)", "Closed At (UTC)", "Updated At (UTC)")),
        Source("generic_csv", "generic_csv", ".csv", FIXTURES / "generic_small.toml",
               rows=generic_rows, targets=_GENERIC_TARGETS, key="Key",
               dates=("Opened", "Work started", "Done on")),
        Source("canonical", "canonical", ".csv", SAMPLE_CONFIG, rows=canonical_rows,
               targets=_CANONICAL_TARGETS, key="ticket_id",
               dates=("created_at", "started_at", "finished_at")),
        Source("jira_json", "jira_json", ".json", SAMPLE_CONFIG, text=_jira_json_slice(),
               targets=_JIRA_JSON_TARGETS, key="key"),
        Source("jira_json_names", "jira_json", ".json", None,
               text=(FIXTURES / "jira_search_changelog.json").read_text(encoding="utf-8"),
               targets=_JIRA_JSON_TARGETS, key="key"),
        Source("github_json", "github_json", ".json", None,
               text=(FIXTURES / "github_issues.json").read_text(encoding="utf-8"),
               targets=_GITHUB_TARGETS, key="number"),
    ]
    return {source.name: source for source in sources}


SOURCES = _build_sources()
CSV_SOURCES = [name for name, source in SOURCES.items() if source.kind == "csv"]
JSON_SOURCES = [name for name, source in SOURCES.items() if source.kind == "json"]

# --------------------------------------------------------------------------- hostile values

FORMULAS = ("=1+2", "=SUM(A1:A9)", '=HYPERLINK("http://evil.example","x")', "+3", "-3",
            "@SUM(A1)", "-2+3", "=", "+", "-", "@", "'=1+2", "'-5", "=cmd|' /C calc'!A0",
            "\t=1", "\r=1", "\uff1d1+2", "\uff0b3", "\uff0d3", "\uff20SUM(A1)", "'--")
GARBAGE = ("", " ", "   ", "\t", "null", "NULL", "NaN", "nan", "None", "N/A", "-", "?", "abc",
           "ünïcödé ✓", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\u200b", "\ufeff", "\x00", "\\", '"', "'", ",", ";",
           "a\nb", "a\r\nb", "\r", "\x1b[31m", "<script>alert(1)</script>", "Unassigned",
           "0", "true", "[]", "{}")
POINTS = ("-1", "-0.5", "-0", "0", "0.0", "1e308", "1e309", "-1e309", "inf", "-inf", "Infinity",
          "NaN", "3,5", "3.5.1", "1/2", "three", "XL", "S", "m", "½", "٣", "１", "3 points",
          "+5", "  8  ", "0x10", "1_000", "99999999999999999999999", "1e-320", ".5", "5.")
DATES = (
    "2999-01-01", "2999-12-31T23:59:59.000Z", "9999-12-31", "9999-12-31T23:59:59.999+0000",
    "0001-01-01", "0001-01-01T00:00:00Z", "1900-01-01", "1969-12-31T23:59:59Z",
    "1970-01-01T00:00:00Z", "2099-12-31T23:59:59Z", "2100-01-01T00:00:00Z", "2262-04-12",
    "1677-09-21", "2024-02-30", "2024-13-01", "2024-00-10", "2023-02-29T10:00:00Z",
    "2025-03-30T02:30:00", "2025-10-26T02:30:00", "30/Mar/25 2:30 AM", "26/Oct/25 2:30 AM",
    "14/Mar/24 3:07 PM", "14/Mar/2024", "03/14/2024", "14.03.2024", "2024/03/14",
    "Mar 14, 2024", "1710425227", "1710425227000", "yesterday", "2024-03-14T25:61:00Z",
    "2024-03-14T10:00:00+25:00", "2024-03-14T10:00:00+14:00", "2024-03-14T10:00:00-12:00",
    "29/июл/26 09:59", "31/Feb/24 3:07 PM", "00/Jan/00 0:00 AM",
    "2024-03-14T10:00:00.123456789Z", "2024-03-14 10:00:00 UTC", "14/Mar/24 15:07 PM",
    "01/Jan/01 1:00 AM", "31/Dec/99 11:59 PM",
)
#: Status, state and resolution words of every tracker: valid values in the
#: wrong place send tickets down other paths (done without a date, reopened ...).
STATES = ("Done", "done", "DONE", "In Progress", "in progress", "To Do", "Backlog", "Closed",
          "closed", "Open", "open", "opened", "Resolved", "Won't Do", "Duplicate", "Canceled",
          "not_planned", "completed", "reopened", "indeterminate", "new", "In Review",
          "Unresolved", "workflow::In Progress", "Resolution::Won't Do", "Type::Bug")
_HOSTILE_TEXT = FORMULAS + GARBAGE + POINTS + DATES + STATES


def _weighted(draw, choices):
    """One of ``(weight, value)`` pairs; shrinks towards the first (the benign one)."""
    total = sum(weight for weight, _ in choices)
    pick = draw(st.integers(0, total - 1))
    for weight, value in choices:
        if pick < weight:
            return value
        pick -= weight
    raise AssertionError("unreachable")


def _hostile_cell() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(_HOSTILE_TEXT),
        st.text(max_size=24),
        st.integers(-10**6, 10**6).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )


_YEAR = re.compile(r"(?<!\d)(\d{4})(?=-|/|\b)")
_SHORT_YEAR = re.compile(r"(/[^/\d\s]+/)(\d{2})(?=\s|$)")
_NEW_YEARS = ("0001", "1899", "1969", "1970", "2000", "2099", "2100", "2999", "9999")


def _shift_year(draw, value: str) -> str:
    """The date with another year (future, past, or out of range)."""
    year = draw(st.sampled_from(_NEW_YEARS))
    if _YEAR.search(value):
        return _YEAR.sub(year, value, count=1)
    if _SHORT_YEAR.search(value):
        return _SHORT_YEAR.sub(lambda m: m.group(1) + year[-2:], value, count=1)
    return year + value


_HUGE_CHARS = ("x", "9", "ä", '"', ",", "=", " ", "\n", "-")


def _huge(draw) -> str:
    size = draw(st.sampled_from([10_000, 100_000, 1_000_000]))
    return draw(st.sampled_from(_HUGE_CHARS)) * size


# --------------------------------------------------------------------------- CSV mutations


def _positions(header: list[str], name: str) -> list[int]:
    return [i for i, h in enumerate(header) if h.strip().casefold() == name.casefold()]


def _pick_column(draw, rows: list[list[str]], source: Source, names=None) -> int | None:
    header = rows[0] if rows else []
    width = max((len(r) for r in rows), default=0)
    if width == 0:
        return None
    names = source.targets if names is None else names
    if names and draw(st.booleans()):
        positions = [p for name in names for p in _positions(header, name)]
        if positions:
            return draw(st.sampled_from(positions))
    return draw(st.integers(0, width - 1))


def _pick_row(draw, rows, *, header=False) -> int | None:
    first = 0 if header else 1
    if len(rows) <= first:
        return None
    return draw(st.integers(first, len(rows) - 1))


def _set(row: list[str], column: int, value: str) -> None:
    if column >= len(row):
        row.extend([""] * (column + 1 - len(row)))
    row[column] = value


def _m_hostile_cell(draw, rows, source):
    row, column = _pick_row(draw, rows, header=draw(st.integers(0, 9)) == 0), \
        _pick_column(draw, rows, source)
    if row is not None and column is not None:
        value = draw(_hostile_cell())
        _set(rows[row], column, value)
        return f"cell ({row + 1}, {column}) = {value!r}"


def _m_column_of_hostile_cells(draw, rows, source):
    """Many rows of one column replaced (most of a date or points column)."""
    column = _pick_column(draw, rows, source)
    if column is None or len(rows) < 2:
        return None
    value = draw(st.sampled_from(_HOSTILE_TEXT))
    share = draw(st.sampled_from([0.3, 0.6, 1.0]))
    for index in range(1, len(rows)):
        if index <= share * len(rows):
            _set(rows[index], column, value)
    return f"column {column} mostly {value!r}"


def _m_huge_cell(draw, rows, source):
    row, column = _pick_row(draw, rows, header=draw(st.integers(0, 9)) == 0), \
        _pick_column(draw, rows, source)
    if row is not None and column is not None:
        value = _huge(draw)
        _set(rows[row], column, value)
        return f"cell ({row + 1}, {column}) = {value[:1]!r} * {len(value)}"


def _m_date(draw, rows, source):
    row = _pick_row(draw, rows)
    column = _pick_column(draw, rows, source, source.dates)
    if row is None or column is None:
        return None
    if draw(st.booleans()) and column < len(rows[row]) and rows[row][column]:
        value = _shift_year(draw, rows[row][column])
    else:
        value = draw(st.sampled_from(DATES))
    _set(rows[row], column, value)
    return f"date ({row + 1}, {column}) = {value!r}"


def _m_swap_dates(draw, rows, source):
    """Two date cells of one row swapped: finished before created, and so on."""
    row = _pick_row(draw, rows)
    first = _pick_column(draw, rows, source, source.dates)
    second = _pick_column(draw, rows, source, source.dates)
    if row is None or first is None or second is None:
        return None
    cells = rows[row]
    if max(first, second) >= len(cells):
        cells.extend([""] * (max(first, second) + 1 - len(cells)))
    cells[first], cells[second] = cells[second], cells[first]
    return f"row {row + 1}: swapped columns {first} and {second}"


def _m_ragged(draw, rows, source):
    row = _pick_row(draw, rows, header=draw(st.integers(0, 4)) == 0)
    if row is None:
        return None
    if draw(st.booleans()):
        extra = draw(st.integers(1, 5))
        rows[row].extend(draw(st.sampled_from(_HOSTILE_TEXT)) for _ in range(extra))
        return f"row {row + 1}: {extra} extra cells"
    keep = draw(st.integers(0, max(len(rows[row]) - 1, 0)))
    del rows[row][keep:]
    return f"row {row + 1}: cut to {keep} cells"


def _m_duplicate_row(draw, rows, source):
    row = _pick_row(draw, rows)
    if row is None:
        return None
    at = draw(st.integers(1, len(rows)))
    rows.insert(at, list(rows[row]))
    return f"row {row + 1} copied to {at + 1}"


def _m_duplicate_key(draw, rows, source):
    positions = _positions(rows[0], source.key) if rows else []
    first, second = _pick_row(draw, rows), _pick_row(draw, rows)
    if not positions or first is None or second is None:
        return None
    column = positions[0]
    value = rows[first][column] if column < len(rows[first]) else ""
    _set(rows[second], column, value)
    return f"row {second + 1} gets the key of row {first + 1}"


def _m_delete_column(draw, rows, source):
    column = _pick_column(draw, rows, source)
    if column is None:
        return None
    for row in rows:
        if column < len(row):
            del row[column]
    return f"column {column} deleted"


def _m_rename_header(draw, rows, source):
    column = _pick_column(draw, rows, source)
    if column is None or column >= len(rows[0]):
        return None
    name = rows[0][column]
    rows[0][column] = draw(st.sampled_from([
        name.upper(), name.lower(), f" {name} ", name + "_", "", name[:-1], "\ufeff" + name,
        f'"{name}"', name.replace(" ", "\u00a0"),
    ]))
    return f"header {column} renamed to {rows[0][column]!r}"


def _m_delete_rows(draw, rows, source):
    what = draw(st.sampled_from(["header only", "no rows at all", "some rows", "no header"]))
    if what == "header only":
        del rows[1:]
    elif what == "no rows at all":
        rows.clear()
    elif what == "no header":
        del rows[:1]
    else:
        for _ in range(draw(st.integers(1, 5))):
            row = _pick_row(draw, rows)
            if row is not None:
                del rows[row]
    return what


def _m_blank_rows(draw, rows, source):
    for _ in range(draw(st.integers(1, 3))):
        rows.insert(draw(st.integers(0, len(rows))), [])
    return "blank rows"


def _m_duplicate_header(draw, rows, source):
    row = _pick_row(draw, rows)
    if not rows or row is None:
        return None
    rows.insert(row, list(rows[0]))
    return f"header repeated at row {row + 1}"


CSV_MUTATIONS = (
    (6, _m_hostile_cell), (2, _m_column_of_hostile_cells), (1, _m_huge_cell), (5, _m_date),
    (3, _m_swap_dates), (3, _m_ragged), (2, _m_duplicate_row), (2, _m_duplicate_key),
    (1, _m_delete_column), (1, _m_rename_header), (1, _m_delete_rows), (1, _m_blank_rows),
    (1, _m_duplicate_header),
)


def _write_csv(draw, rows: list[list[str]]) -> tuple[str, str]:
    delimiter = _weighted(draw, [(16, ","), (2, ";"), (2, "\t"), (1, "|"), (3, "mixed")])
    newline = _weighted(draw, [(4, "\n"), (4, "\r\n"), (1, "\r")])
    quoting = _weighted(draw, [(4, csv.QUOTE_MINIMAL), (1, csv.QUOTE_ALL)])
    others: set[int] = set()
    if delimiter == "mixed":
        count = draw(st.integers(1, 5))
        others = {draw(st.integers(0, max(len(rows) - 1, 0))) for _ in range(count)}
    out = io.StringIO(newline="")
    for index, row in enumerate(rows):
        used = delimiter
        if delimiter == "mixed":
            used = draw(st.sampled_from([";", "\t"])) if index in others else ","
        csv.writer(out, delimiter=used, lineterminator=newline, quoting=quoting).writerow(row)
    return out.getvalue(), f"delimiter {delimiter!r}, newline {newline!r}"


def _text_mutation(draw, text: str) -> tuple[str, str]:
    what = _weighted(draw, [(12, "none"), (2, "insert"), (1, "delete")])
    if what == "insert" and text:
        at = draw(st.integers(0, len(text)))
        token = draw(st.sampled_from(['"', '"', "\x00", "\n", "\r", ",", ";", "\t", "\ufeff",
                                      '""', "'", "\\", "\u2028", "\x1a"]))
        return text[:at] + token + text[at:], f"inserted {token!r} at {at}"
    if what == "delete" and text:
        at = draw(st.integers(0, len(text) - 1))
        length = draw(st.integers(1, 200))
        return text[:at] + text[at + length:], f"deleted {length} chars at {at}"
    return text, ""


_ENCODINGS = ((24, "utf-8"), (2, "utf-8-sig"), (2, "cp1252"), (1, "latin-1"), (2, "utf-16"),
              (1, "utf-16-le"), (1, "utf-16-be"), (1, "utf-32"), (2, "mixed"))


def _encode(draw, text: str, bom: bool) -> tuple[bytes, list[str]]:
    """The text as bytes: an encoding, BOM fiddling, then byte-level damage."""
    log = []
    encoding = _weighted(draw, _ENCODINGS)
    if encoding == "mixed":  # some lines cp1252, the rest UTF-8
        lines = text.splitlines(keepends=True)
        chosen = {draw(st.integers(0, max(len(lines) - 1, 0)))
                  for _ in range(draw(st.integers(1, 6)))}
        data = b"".join(line.encode("cp1252" if i in chosen else "utf-8", errors="replace")
                        for i, line in enumerate(lines))
    else:
        data = text.encode(encoding, errors="replace")
    if bom and encoding in ("utf-8", "mixed"):
        data = codecs.BOM_UTF8 + data
    log.append(f"encoding {encoding}")
    fiddle = _weighted(draw, [(20, "keep"), (2, "add"), (2, "remove"), (1, "double"),
                              (1, "utf-16 bom on utf-8")])
    if fiddle == "add":
        data = codecs.BOM_UTF8 + data
    elif fiddle == "remove":
        for mark in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            if data.startswith(mark):
                data = data[len(mark):]
    elif fiddle == "double":
        data = codecs.BOM_UTF8 * 2 + data.removeprefix(codecs.BOM_UTF8)
    elif fiddle == "utf-16 bom on utf-8":
        data = codecs.BOM_UTF16_LE + data
    if fiddle != "keep":
        log.append(f"BOM {fiddle}")
    if draw(st.integers(0, 19)) == 0:
        at = draw(st.integers(0, len(data)))
        junk = draw(st.binary(min_size=1, max_size=8))
        data = data[:at] + junk + data[at:]
        log.append(f"bytes {junk!r} inserted at {at}")
    if draw(st.integers(0, 9)) == 0:
        cut = draw(st.integers(0, len(data)))
        data = data[:cut]
        log.append(f"truncated at byte {cut}")
    return data, log


@dataclass(frozen=True)
class Case:
    """A mutated export: the bytes to write, the file name, and how it was made."""

    source: Source
    data: bytes
    name: str
    log: tuple[str, ...]

    def __repr__(self) -> str:  # what Hypothesis prints for a failing example
        return (f"Case(source={self.source.name!r}, name={self.name!r}, "
                f"size={len(self.data)}, log={list(self.log)!r}, "
                f"head={self.data[:300]!r})")

    def _repr_pretty_(self, printer, cycle) -> None:  # Hypothesis' pretty printer
        printer.text(repr(self))


_NAMES = ("export", "export", "my export (1) – ü", "EXPORT.final")


def _file_name(draw, source: Source) -> str:
    stem = draw(st.sampled_from(_NAMES))
    suffix = _weighted(draw, [(20, source.suffix), (1, ".txt"), (1, ""), (1, ".csv"),
                              (1, ".json")])
    return stem + suffix


@st.composite
def mutated_csv(draw, source: Source) -> Case:
    rows = [list(row) for row in source.rows]
    log = []
    for _ in range(draw(st.integers(0, 4))):
        mutation = _weighted(draw, CSV_MUTATIONS)
        done = mutation(draw, rows, source)
        if done:
            log.append(done)
    text, written = _write_csv(draw, rows)
    log.append(written)
    text, changed = _text_mutation(draw, text)
    if changed:
        log.append(changed)
    data, encoded = _encode(draw, text, source.bom)
    return Case(source, data, _file_name(draw, source), tuple(log + encoded))


# --------------------------------------------------------------------------- JSON mutations


def _nodes(document) -> list[tuple[object, object]]:
    """Every (container, key) of a JSON document, in a fixed order."""
    found = []
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            items = list(node.items())
        elif isinstance(node, list):
            items = list(enumerate(node))
        else:
            continue
        for key, value in items:
            found.append((node, key))
            if isinstance(value, dict | list):
                stack.append(value)
    return found


def _pick_node(draw, document, source: Source):
    nodes = _nodes(document)
    if not nodes:
        return None
    if draw(st.booleans()):
        targeted = [n for n in nodes if n[1] in source.targets]
        if targeted:
            nodes = targeted
    return nodes[draw(st.integers(0, len(nodes) - 1))]


_JSON_VALUES = (None, "", " ", "garbage", -3, -0.5, 0, 1e308, float("nan"), float("inf"),
                True, False, [], {}, [1, 2], {"a": 1}, {"name": None}, [None], "=SUM(A1)",
                "+1", "-1", "@x", "3", "-3", "three", 10**30, 1710425227, 2.5,
                {"name": "Done", "statusCategory": {"key": "done"}},
                {"name": "In Progress", "statusCategory": {"key": "indeterminate"}},
                {"key": "new"}, {"displayName": ""}, {"login": None}, [{"name": "points: 3"}],
                {"histories": None}, {"histories": [None, 1, {"items": None}]},
                [{"field": "status", "toString": "Done"}])


def _hostile_json_value() -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from(_JSON_VALUES),
        st.sampled_from(_HOSTILE_TEXT),
        st.text(max_size=16),
        st.integers(-10**9, 10**9),
    )


def _retype(draw, value):
    """The value as another JSON type."""
    kind = draw(st.sampled_from(["str", "number", "null", "list", "object", "bool"]))
    if kind == "str":
        return json.dumps(value) if not isinstance(value, str) else value
    if kind == "number":
        try:
            return float(value) if isinstance(value, str) else len(str(value))
        except ValueError:
            return -len(value)
    if kind == "null":
        return None
    if kind == "list":
        return [value]
    if kind == "object":
        return {"value": value}
    return bool(value)


def _j_set(draw, document, source):
    node = _pick_node(draw, document, source)
    if node is None:
        return document, None
    container, key = node
    # A copy: the values are shared constants, and later mutations change the
    # document in place (a changed constant makes Hypothesis' replays differ).
    value = copy.deepcopy(draw(_hostile_json_value()))
    container[key] = value
    return document, f"[{key!r}] = {value!r}"


def _j_retype(draw, document, source):
    node = _pick_node(draw, document, source)
    if node is None:
        return document, None
    container, key = node
    container[key] = _retype(draw, container[key])
    return document, f"[{key!r}] retyped to {type(container[key]).__name__}"


def _j_drop(draw, document, source):
    node = _pick_node(draw, document, source)
    if node is None:
        return document, None
    container, key = node
    del container[key]
    return document, f"[{key!r}] deleted"


def _date_nodes(document):
    return [(c, k) for c, k in _nodes(document)
            if isinstance(c[k], str) and re.match(r"^\d{4}-\d{2}-\d{2}", c[k])]


def _j_date(draw, document, source):
    nodes = _date_nodes(document)
    if not nodes:
        return document, None
    container, key = nodes[draw(st.integers(0, len(nodes) - 1))]
    if draw(st.booleans()):
        container[key] = _shift_year(draw, container[key])
    else:
        container[key] = draw(st.sampled_from(DATES))
    return document, f"[{key!r}] = {container[key]!r}"


def _j_swap_dates(draw, document, source):
    nodes = _date_nodes(document)
    if len(nodes) < 2:
        return document, None
    (c1, k1) = nodes[draw(st.integers(0, len(nodes) - 1))]
    (c2, k2) = nodes[draw(st.integers(0, len(nodes) - 1))]
    c1[k1], c2[k2] = c2[k2], c1[k1]
    return document, f"swapped dates [{k1!r}] and [{k2!r}]"


def _j_huge(draw, document, source):
    node = _pick_node(draw, document, source)
    if node is None:
        return document, None
    container, key = node
    container[key] = _huge(draw)
    return document, f"[{key!r}] huge"


def _object_lists(document):
    return [c[k] for c, k in _nodes(document)
            if isinstance(c[k], list) and c[k] and isinstance(c[k][0], dict)] + (
        [document] if isinstance(document, list) and document else [])


def _j_duplicate(draw, document, source):
    """An element (an issue, a history entry, a label) copied, or its key."""
    lists = _object_lists(document)
    if not lists:
        return document, None
    target = lists[draw(st.integers(0, len(lists) - 1))]
    first = draw(st.integers(0, len(target) - 1))
    second = draw(st.integers(0, len(target) - 1))
    if draw(st.booleans()) or not isinstance(target[first], dict):
        target.insert(second, json.loads(json.dumps(target[first])))
        return document, f"element {first} copied to {second}"
    if isinstance(target[second], dict) and source.key in target[first]:
        target[second][source.key] = target[first][source.key]
        return document, f"element {second} gets the key of {first}"
    return document, None


def _j_nest(draw, document, source):
    how = _weighted(draw, [(3, "wrap node in list"), (2, "wrap node in object"),
                           (1, "wrap document"), (1, "document in object"), (2, "flatten")])
    if how == "wrap document":
        return [document], how
    if how == "document in object":
        return {"data": document}, how
    node = _pick_node(draw, document, source)
    if node is None:
        return document, None
    container, key = node
    value = container[key]
    if how == "wrap node in list":
        container[key] = [value]
    elif how == "wrap node in object":
        container[key] = {"value": value}
    elif isinstance(value, list) and value:
        container[key] = value[0]
    return document, f"{how} at [{key!r}]"


def _j_empty(draw, document, source):
    value = copy.deepcopy(draw(st.sampled_from(
        [[], {}, {"issues": []}, [[]], [{}], None, 0, "", "issues",
         {"message": "Bad credentials"}, {"errorMessages": ["nope"]},
         [{"issues": None}], [{"key": "X-1"}], [{"number": 1}]])))
    return value, f"document = {value!r}"


def _j_reverse(draw, document, source):
    """A list in the opposite order: changelogs out of time order, pages swapped."""
    lists = [c[k] for c, k in _nodes(document) if isinstance(c[k], list) and len(c[k]) > 1]
    if not lists:
        return document, None
    target = lists[draw(st.integers(0, len(lists) - 1))]
    target.reverse()
    return document, f"a list of {len(target)} reversed"


JSON_MUTATIONS = ((6, _j_set), (2, _j_reverse), (4, _j_retype), (4, _j_drop), (5, _j_date),
                  (3, _j_swap_dates), (1, _j_huge), (3, _j_duplicate), (1, _j_nest), (1, _j_empty))

_DUPLICATE_KEYS = ("key", "fields", "created", "summary", "number", "state", "created_at",
                   "assignee", "issues", "resolutiondate", "closed_at")


def _json_text_mutation(draw, text: str) -> tuple[str, str]:
    what = _weighted(draw, [(12, "none"), (3, "duplicate key"), (1, "two documents"),
                            (1, "trailing garbage"), (1, "insert"), (1, "lone surrogate"),
                            (1, "deep nesting"), (1, "huge integer")])
    braces = [m.start() for m in re.finditer(r"\}", text)]
    if what in ("lone surrogate", "deep nesting", "huge integer") and braces:
        # Values Python's json module chokes on: written as text, since json.dumps
        # cannot produce them (or would recurse itself).
        at = braces[draw(st.integers(0, len(braces) - 1))]
        key = draw(st.sampled_from(_DUPLICATE_KEYS))
        if what == "lone surrogate":
            value = draw(st.sampled_from(['"\\ud800"', '"a\\udfffb"', '"\\ud83d x"']))
        elif what == "deep nesting":
            depth = draw(st.sampled_from([1_500, 100_000]))
            value = "[" * depth + "]" * depth
        else:
            value = draw(st.sampled_from(["9" * 5_000, "-" + "1" * 4_301, "1" + "0" * 400]))
        return text[:at] + f', "{key}": {value}' + text[at:], f"{what} at {key!r}"
    if what == "duplicate key":
        if braces:
            at = braces[draw(st.integers(0, len(braces) - 1))]
            key = draw(st.sampled_from(_DUPLICATE_KEYS))
            value = json.dumps(draw(st.sampled_from(_JSON_VALUES[:20])))
            return text[:at] + f', "{key}": {value}' + text[at:], f"duplicate key {key!r}"
    elif what == "two documents":
        return text + draw(st.sampled_from(["", "\n", " "])) + text, what
    elif what == "trailing garbage":
        junk = draw(st.sampled_from(["x", ",", "]", "}", "\x00", "null", "{", "[1]", "\ufeff"]))
        return text + junk, f"trailing {junk!r}"
    elif what == "insert" and text:
        at = draw(st.integers(0, len(text)))
        token = draw(st.sampled_from(['"', ",", "{", "}", "[", "]", ":", "\\", "\x00", "\n",
                                      "NaN", "-", "\ufeff"]))
        return text[:at] + token + text[at:], f"inserted {token!r} at {at}"
    return text, ""


@st.composite
def mutated_json(draw, source: Source) -> Case:
    document = json.loads(source.text)
    log = []
    for _ in range(draw(st.integers(0, 4))):
        mutation = _weighted(draw, JSON_MUTATIONS)
        document, done = mutation(draw, document, source)
        if done:
            log.append(done)
    text = json.dumps(document, ensure_ascii=draw(st.booleans()),
                      indent=draw(st.sampled_from([None, 1, 2])))
    text, changed = _json_text_mutation(draw, text)
    if changed:
        log.append(changed)
    data, encoded = _encode(draw, text, False)
    return Case(source, data, _file_name(draw, source), tuple(log + encoded))


def mutated(source: Source) -> st.SearchStrategy[Case]:
    return mutated_csv(source) if source.kind == "csv" else mutated_json(source)


any_case = st.sampled_from(sorted(SOURCES)).flatmap(lambda name: mutated(SOURCES[name]))

# --------------------------------------------------------------------------- the property


def note(text: str) -> None:
    """Hypothesis' note, also usable outside a Hypothesis test."""
    with contextlib.suppress(InvalidArgument):
        _note(text)


def event(text: str) -> None:
    """Hypothesis' event (counted in --hypothesis-show-statistics), also outside one."""
    with contextlib.suppress(InvalidArgument):
        _event(text)


#: Problems about the whole file, which name neither a row nor a column.
WHOLE_FILE_PROBLEMS = ("no Jira issues found", "no GitHub issues found", "no GitLab issues found",
                       "no Linear issues found", "no field named 'Story Points'")


def _row_bound(data: bytes) -> int:
    """An upper bound of the record numbers a CSV file can have (header = 1)."""
    return data.count(b"\n") + data.count(b"\r") + 2


def _record_bound(data: bytes) -> int:
    """An upper bound of the row or record number any reader can report for a file
    (JSON records are counted, not lines: at most one per comma, plus one)."""
    return _row_bound(data) + data.count(b",")


_NAMES_A_ROW = re.compile(r"\b(?:row|line) \d+")


def _check_error(error: InputError, path: Path, data: bytes) -> None:
    text = str(error)
    assert path.name in text, f"the error does not name the file {path.name!r}:\n{text}"
    bug = _known_bug(error)
    if bug is not None:
        event(f"known bug: {bug}")
        return
    if _NAMES_A_ROW.search(error.summary) and " is not valid JSON: " not in error.summary:
        # (a JSON syntax error's line and column are places in the text, not records)
        assert any(p.row is not None for p in error.problems), (
            f"the error is about a row, but no problem carries it:\n{text}")
    for problem in error.problems:
        assert isinstance(problem, Problem), problem
        if problem.row is not None:
            assert isinstance(problem.row, int) and not isinstance(problem.row, bool), problem
            assert 1 <= problem.row <= _record_bound(data), (problem, _record_bound(data))
        located = problem.row is not None or problem.column is not None
        assert located or problem.message.startswith(WHOLE_FILE_PROBLEMS), (
            f"a problem without a row or column: {problem!r}")
    event(f"InputError: {error.summary.replace(str(path), '<file>')[:70]}")


def _check_table(table, path: Path, data: bytes) -> None:
    tickets, excluded = table.tickets, table.excluded
    assert table.rows_read == len(tickets) + len(excluded)
    validate_tickets(tickets, origin=str(path))
    reasons = set(excluded["reason"].astype(str))
    assert reasons <= set(EXCLUSION_REASONS), reasons - set(EXCLUSION_REASONS)
    assert excluded["detail"].notna().all(), excluded[excluded["detail"].isna()]
    kept_rows = tickets["source_row"]
    assert tickets["ticket_id"].is_unique
    if table.source_format == "canonical":
        # source_row points into the original export(s), not into this file: a
        # table may join several exports, so only its lower bound is known.
        assert (kept_rows >= 1).all(), kept_rows[kept_rows < 1]
    else:
        assert kept_rows.is_unique, kept_rows[kept_rows.duplicated()]
        rows = pd.concat([kept_rows, excluded["source_row"]], ignore_index=True)
        assert rows.is_unique, rows[rows.duplicated()]
        if table.source_format.endswith("_csv"):
            low, high = 2, _row_bound(data)
        else:
            low, high = 1, table.rows_read
        outside = rows[(rows < low) | (rows > high)]
        assert outside.empty, (outside.tolist(), low, high)
    event(f"table: {table.source_format}, {'empty' if tickets.empty else 'tickets'}"
          f"{', exclusions' if len(excluded) else ''}")


def _raised_in(error: BaseException, module: str) -> bool:
    """Whether the innermost calibrate frame of the traceback is in ``module``."""
    frames = [f.filename for f in traceback.extract_tb(error.__traceback__)
              if f"{os.sep}calibrate{os.sep}" in f.filename]
    return bool(frames) and frames[-1].endswith(module)


#: Open bugs in modules this suite may not change, each with a strict xfail
#: test at the end: name -> predicate on the exception. Remove an entry when
#: its bug is fixed (its xfail test then fails as XPASS, as a reminder).
#: None is open.
KNOWN_BUGS: dict = {}


def _known_bug(error: BaseException) -> str | None:
    for name, matches in KNOWN_BUGS.items():
        if matches(error):
            return name
    return None


def _read_and_check(path: Path, case: Case, format: str | None,
                    as_of: str | None = None) -> None:
    note(f"reading {path.name} with format={format!r}, as_of={as_of!r}")
    started = time.monotonic()
    try:
        table = read_export(path, format=format, config=case.source.config, as_of=as_of)
    except InputError as error:
        _check_error(error, path, case.data)
    except Exception as error:
        bug = _known_bug(error)
        if bug is None:
            raise
        event(f"known bug: {bug}")
    else:
        _check_table(table, path, case.data)
    elapsed = time.monotonic() - started
    assert elapsed < READ_LIMIT, f"reading took {elapsed:.1f} s"


def _written(case: Case, directory: str) -> Path:
    path = Path(directory) / case.name
    path.write_bytes(case.data)
    return path


def _check_case(case: Case, other_format: str | None, as_of: str | None) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = _written(case, directory)
        _read_and_check(path, case, None)
        _read_and_check(path, case, case.source.format, as_of)
        if other_format is not None:
            _read_and_check(path, case, other_format)


_OTHER_FORMAT = st.one_of(st.none(), st.sampled_from(sorted(FORMATS)))
#: Export times: the default (latest time in the file), before everything, in
#: the middle of the samples' histories, after everything, with an offset.
AS_OF = (None, None, None, None, "1999-01-01", "2024-03-06 12:00", "2025-06-01",
         "2026-10-25 02:30", "2099-12-31", "2025-06-01T00:00:00+05:00")


@FUZZ
@pytest.mark.parametrize("source", CSV_SOURCES + JSON_SOURCES)
@given(data=st.data(), other_format=_OTHER_FORMAT, as_of=st.sampled_from(AS_OF))
def test_readers_on_hostile_files(source, data, other_format, as_of):
    """A mutated CSV or JSON export gives an accounted, valid table or an InputError."""
    case = data.draw(mutated(SOURCES[source]), label="case")
    _check_case(case, other_format, as_of)


@FUZZ
@given(case=any_case, forced=st.booleans(), as_of=st.sampled_from(AS_OF))
def test_cli_ingest_on_hostile_files(case, forced, as_of):
    """``calibrate ingest`` exits 0 or 2 on any file, never with a traceback."""
    with tempfile.TemporaryDirectory() as directory:
        path = _written(case, directory)
        (Path(directory) / "out").mkdir()  # --out into a missing directory is an error
        args = ["ingest", str(path), "--out", str(Path(directory) / "out" / "tickets.csv")]
        if case.source.config_path is not None:
            args += ["--config", str(case.source.config_path)]
        if forced:
            args += ["--format", case.source.format]
        if as_of is not None:
            args += ["--as-of", as_of]
        result = CliRunner().invoke(cli, args, prog_name="calibrate")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            bug = _known_bug(result.exception)
            if bug is not None:
                event(f"known bug: {bug}")
                return
        crash = "".join(traceback.format_exception(*result.exc_info)) if (
            result.exc_info and result.exit_code not in (0, 2)) else ""
        assert result.exit_code in (0, 2), f"exit {result.exit_code}\n{result.output}\n{crash}"
        assert "Traceback" not in result.output, result.output
        if result.exit_code == 2:
            assert path.name in result.stderr, result.stderr
            # The reading line (a progress bar on a terminal), then the error.
            assert result.stderr.startswith(f"reading {path}\ncalibrate: error: "), (
                result.stderr)
        event(f"exit {result.exit_code}")


# --------------------------------------------------------------------------- fixed cases


def _degenerate(source: Source) -> dict[str, bytes]:
    """Files every reader meets sooner or later: empty, blank, header only, a lone BOM."""
    cases = {
        "empty": b"",
        "bom only": codecs.BOM_UTF8,
        "blank lines": b"\n\r\n  \n",
        "nul bytes": b"\x00" * 64,
    }
    if source.kind == "csv":
        header = ",".join(source.rows[0]).encode("utf-8")
        cases["header only"] = header
        cases["header only, newline"] = header + b"\r\n"
        cases["header and blank lines"] = header + b"\n\n\n"
        cases["header, utf-16"] = ",".join(source.rows[0]).encode("utf-16")
        cases["header only, semicolons"] = ";".join(source.rows[0]).encode("utf-8")
    else:
        for text in ("[]", "{}", "null", "[[]]", '{"issues": []}', "[{}]", '"text"', "1"):
            cases[f"json {text}"] = text.encode()
    return cases


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_degenerate_files(source, tmp_path):
    """Empty, blank, header-only and one-value files, read by every reader."""
    for label, data in _degenerate(SOURCES[source]).items():
        case = Case(SOURCES[source], data, f"export{SOURCES[source].suffix}", (label,))
        path = tmp_path / case.name
        path.write_bytes(data)
        for format in (None, case.source.format):
            try:
                _read_and_check(path, case, format)
            except AssertionError as error:
                raise AssertionError(f"{label!r}, format {format!r}: {error}") from error


# --------------------------------------------------------------------------- 50 MB


FIFTY_MB = 50 * 1024 * 1024
#: Seconds a 50 MB file may take, whatever the outcome.
BIG_LIMIT = 30.0


def _timed_reads(path: Path, config: Config | None, formats, data_rows: int | None) -> list:
    outcomes = []
    for format in formats:
        started = time.monotonic()
        try:
            table = read_export(path, format=format, config=config)
        except InputError as error:
            assert path.name in str(error), str(error)
            outcome = f"InputError: {error.summary[:80]}"
        else:
            assert table.rows_read == len(table.tickets) + len(table.excluded)
            if data_rows is not None:
                assert table.rows_read == data_rows
            validate_tickets(table.tickets)
            outcome = f"table of {table.rows_read} rows"
        elapsed = time.monotonic() - started
        assert elapsed < BIG_LIMIT, f"{format}: {elapsed:.1f} s"
        outcomes.append((format, outcome, round(elapsed, 1)))
    return outcomes


def test_50_mb_of_one_column(tmp_path):
    """A 50 MB file of a single column: refused cleanly and quickly."""
    path = tmp_path / "one column.csv"
    line = b"ML-123456789\n"
    path.write_bytes(b"Issue key\n" + line * (FIFTY_MB // len(line)))
    outcomes = _timed_reads(path, _config(SAMPLE_CONFIG), [None, "jira_csv"], None)
    # With a [columns] mapping, any CSV is read in full by the generic reader.
    outcomes += _timed_reads(path, _config(FIXTURES / "generic_small.toml"), [None], None)
    assert all(outcome.startswith("InputError") for _, outcome, _ in outcomes), outcomes


def test_one_50_mb_cell(tmp_path):
    """A Jira export whose one cell holds 50 MB: read and accounted, quickly."""
    rows = [list(row) for row in SOURCES["jira_csv"].rows]
    header = rows[0]
    summary = header.index("Summary")
    rows[1][summary] = "x" * FIFTY_MB
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path = tmp_path / "big cell.csv"
    path.write_bytes(codecs.BOM_UTF8 + out.getvalue().encode("utf-8"))
    outcomes = _timed_reads(path, _config(SAMPLE_CONFIG), [None], len(rows) - 1)
    assert outcomes[0][1].startswith("table"), outcomes


def test_one_50_mb_cell_in_json(tmp_path):
    """A Jira JSON export whose one title holds 50 MB: read and accounted, quickly."""
    pages = json.loads(SOURCES["jira_json"].text)
    pages[0]["issues"][0]["fields"]["summary"] = "y" * FIFTY_MB
    path = tmp_path / "big title.json"
    path.write_text(json.dumps(pages), encoding="utf-8")
    count = sum(len(page["issues"]) for page in pages)
    outcomes = _timed_reads(path, _config(SAMPLE_CONFIG), [None], count)
    assert outcomes[0][1].startswith("table"), outcomes


# --------------------------------------------------------------------------- fixed bugs
# Inputs the fuzzing found to break a reader, kept as plain regression tests.


def _canonical_with(tmp_path, column: str, value: str, row: int = 2, **more: str) -> Path:
    """The canonical source with cells of one row (header = row 1) changed."""
    rows = [list(r) for r in SOURCES["canonical"].rows]
    for name, text in {column: value, **more}.items():
        rows[row - 1][rows[0].index(name)] = text
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    path = tmp_path / "tickets.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.mark.parametrize("column, value", [
    ("created_at", "2999-01-01"),  # was OutOfBoundsDatetime
    ("finished_at", "0001-01-01 00:00:00"),
    ("started_at", "2024-03-14T10:00:00Z"),  # was "Mixed timezones" ValueError
    ("created_at", "2024-03-14T10:00:00+01:00"),
    ("points", "inf"),  # was accepted
    ("duration_days", "Infinity"),
    ("source_row", "2.5"),  # was truncated to 2
    ("source_row", "1e30"),  # was an overflow
    ("source_row", "0"),  # no export has a row 0
])
def test_canonical_values_no_table_can_hold_are_input_errors(tmp_path, column, value):
    path = _canonical_with(tmp_path, column, value, row=3)
    with pytest.raises(InputError) as caught:
        read_export(path)
    assert [(p.row, p.column) for p in caught.value.problems] == [(3, column)]
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("data, message", [
    (b"", "is empty"),  # was pandas' EmptyDataError
    (b"ticket_id,title\nA,b,c,d\n", "not a well-formed CSV"),  # was ParserError
    (codecs.BOM_UTF16_LE + b"t\x00", "ticket_id"),  # was UnicodeDecodeError
])
def test_broken_canonical_csv_is_an_input_error(tmp_path, data, message):
    path = tmp_path / "tickets.csv"
    path.write_bytes(data)
    with pytest.raises(InputError, match=message):
        read_export(path, format="canonical")


def test_canonical_csv_saved_by_a_spreadsheet_is_read(tmp_path):
    """Semicolons and cp1252, as a European spreadsheet saves it: read, with a note."""
    rows = SOURCES["canonical"].rows
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    path = tmp_path / "tickets.csv"
    path.write_bytes(out.getvalue().encode("cp1252", errors="replace"))
    table = read_export(path)
    assert table.source_format == "canonical"
    assert len(table.tickets) == len(rows) - 1
    assert any("not UTF-8" in note for note in table.notes)


def test_canonical_as_of_with_an_offset_is_team_time(tmp_path):
    """An --as-of with an offset is the same instant on the team's clock (it was
    compared as a different time, always refused)."""
    path = _canonical_with(tmp_path, "censored", "True", finished_at="")
    config = _config(SAMPLE_CONFIG)  # Europe/Berlin
    table = read_export(path, config=config)
    assert table.tickets["censored"].any()
    local = table.as_of.tz_localize(config.calendar.timezone)
    same = read_export(path, config=config, as_of=local.tz_convert("UTC").isoformat())
    assert same.as_of == table.as_of
    with pytest.raises(InputError, match="--as-of cannot be changed"):
        read_export(path, config=config, as_of=(local + pd.Timedelta(hours=1)).isoformat())
    with pytest.raises(InputError, match="is not a time"):
        read_export(path, config=config, as_of="the day after")


def test_canonical_table_without_tickets_takes_the_given_as_of(tmp_path):
    """No times to take the as-of from: --as-of is it (it was left NaT)."""
    path = tmp_path / "tickets.csv"
    path.write_text(",".join(SOURCES["canonical"].rows[0]) + "\n", encoding="utf-8")
    table = read_export(path, as_of="2024-06-30 18:00")
    assert table.as_of == pd.Timestamp("2024-06-30 18:00")
    result = CliRunner().invoke(cli, ["ingest", str(path), "--as-of", "2024-06-30",
                                      "--out", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    assert "right-censored at 2024-06-30 00:00" in result.output


@pytest.mark.parametrize("source", ["generic_csv", "linear_csv"])
def test_header_only_file_is_an_empty_table(tmp_path, source):
    """Was a TypeError (generic) and a pandas deprecation warning (linear): ``map``
    on a column without rows keeps the text dtype, and ``|`` on text fails."""
    path = tmp_path / "export.csv"
    path.write_text(",".join(SOURCES[source].rows[0]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="no tickets: .* has a header and no rows"):
        read_export(path, config=SOURCES[source].config)
    table = read_export(path, config=SOURCES[source].config, as_of="2024-06-30")
    assert (table.rows_read, len(table.tickets), len(table.excluded)) == (0, 0, 0)


# --------------------------------------------------------------------------- CSV layer
# Found by this suite in calibrate.io._csv_read and _encoding (then _csv), fixed there;
# kept as regression tests.


@pytest.mark.parametrize("data", [codecs.BOM_UTF8 * 2, codecs.BOM_UTF8 * 2 + b"\r\n\r\n"],
                         ids=["two BOMs", "two BOMs and blank lines"])
def test_a_file_of_byte_order_marks_is_an_input_error(tmp_path, data):
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    for format in ("jira_csv", "linear_csv", "gitlab_csv", "generic_csv", "canonical"):
        with pytest.raises(InputError, match="export.csv"):
            read_export(path, format=format, config=_config(FIXTURES / "generic_small.toml"))


def test_a_row_with_too_many_cells_names_its_row_in_a_problem(tmp_path):
    path = tmp_path / "export.csv"
    # Row 3 (header = row 1) has two cells too many; row 2 spans three lines.
    path.write_text('Issue key,Summary,Assignee\nA-1,"multi\nline\ncell",x\nA-2,b,c,d,e\n',
                    encoding="utf-8")
    with pytest.raises(InputError) as caught:
        list(open_csv_export(path))
    assert [(p.row, p.file) for p in caught.value.problems] == [(3, str(path))]


def test_a_header_of_many_thousand_columns_is_refused_quickly(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Issue key" + "," * 30_000 + "\n", encoding="utf-8")
    # Refused from its first line, before the CSV parser runs (which would
    # take seconds to minutes on such a line).
    with pytest.raises(InputError, match="export.csv") as caught:
        read_export(path, format="jira_csv")
    assert "30001 cells" in str(caught.value)
    assert [(p.row, p.file) for p in caught.value.problems] == [(1, str(path))]


# Found by the long run (2,000 examples per property), fixed; kept as regression tests.


def test_ingest_of_a_canonical_table_without_tickets(tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text(",".join(SOURCES["canonical"].rows[0]) + "\n", encoding="utf-8")
    table = read_export(path)
    assert (table.rows_read, len(table.tickets)) == (0, 0)
    assert "0 rows" in str(table.summary())


def test_an_unterminated_quote_names_its_row_in_a_problem(tmp_path):
    path = tmp_path / "export.csv"
    # The quote opened in row 3 (header = row 1; row 2 spans two lines) never closes.
    path.write_text('Issue key,Summary,Assignee\nA-1,"multi\nline",x\nA-2,"b,c\nA-3,d,e\n',
                    encoding="utf-8")
    with pytest.raises(InputError, match="is not a well-formed CSV file") as caught:
        list(open_csv_export(path))
    assert [(p.row, p.file) for p in caught.value.problems] == [(3, str(path))]
    assert "never closed" in str(caught.value)


@pytest.mark.parametrize("blank", ["\n", "\r\n\r\n", ",,,\n"], ids=["LF", "2 CRLF", "commas"])
def test_blank_lines_before_the_header_are_skipped(tmp_path, blank):
    original = FIXTURES / "jira_cloud_small.csv"
    expected = read_export(original)
    path = tmp_path / "export.csv"
    path.write_bytes(blank.encode() + original.read_bytes().removeprefix(codecs.BOM_UTF8))
    table = read_export(path)
    assert table.rows_read == expected.rows_read
    assert (table.tickets["source_row"] == expected.tickets["source_row"] + blank.count("\n")
            ).all()

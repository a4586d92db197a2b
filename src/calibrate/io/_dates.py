"""Reading the date and time cells of real exports.

Jira writes dates in the exporting user's profile format (``14/Mar/24 3:07 PM``
by default, also ``14/Mar/2024``, ``14/03/2024 15:07``, ISO ...), possibly with
localised month names (``29/июл/26 09:59``), and never with a time zone.
Linear, GitLab, GitHub and Jira's REST API write ISO 8601, mostly in UTC.

A column is parsed with *one* format, the one that reads the most of its
cells (so ``03/04/2024`` is not read day-first in one row and month-first in
the next); the cells that format cannot read are reported, not guessed.
Dates outside 1970-2099 count as unreadable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from calibrate.errors import InputError, Problem
from calibrate.io._values import WHITESPACE, arrow_text, text_series

__all__ = ["ParsedDates", "parse_timestamps"]

_ENGLISH = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

# Month names and abbreviations as Jira (Java's date formats) writes them in
# the languages it is most often used in. Lower case, without trailing dots.
_MONTH_NAMES: dict[str, tuple[str, ...]] = {
    "ru": ("янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"),
    "ru_long": ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
                "сентября", "октября", "ноября", "декабря"),
    "ru_short2": ("янв", "февр", "март", "апр", "мая", "июнь", "июль", "авг", "сент", "окт",
                  "нояб", "дек"),
    "uk": ("січ", "лют", "бер", "кві", "тра", "чер", "лип", "сер", "вер", "жов", "лис", "гру"),
    "de": ("jan", "feb", "mär", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "dez"),
    "de_alt": ("jän", "febr", "märz", "apr", "mai", "juni", "juli", "aug", "sept", "okt", "nov",
               "dez"),
    "fr": ("janv", "févr", "mars", "avr", "mai", "juin", "juil", "août", "sept", "oct", "nov",
           "déc"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
    "es_alt": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov",
               "dic"),
    "pt": ("jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"),
    "it": ("gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"),
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "pl": ("sty", "lut", "mar", "kwi", "maj", "cze", "lip", "sie", "wrz", "paź", "lis", "gru"),
    "en_long": ("january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december"),
}
_TO_ENGLISH: dict[str, str] = {}
for _names in _MONTH_NAMES.values():
    for _index, _name in enumerate(_names):
        _TO_ENGLISH.setdefault(_name, _ENGLISH[_index].title())
_MONTH_TOKEN = re.compile(r"[^\W\d_]+\.?")
_AM_PM = {"am": "AM", "pm": "PM", "a.m.": "AM", "p.m.": "PM"}
# Cells made only of ASCII digits and separators and of tokens that
# _normalise_month_names leaves unchanged (English month abbreviations as Jira
# writes them, AM/PM), each token followed by neither a letter nor a dot: the
# normalisation is the identity on them. A plain pattern (no look-arounds), so
# pandas can run it in Arrow's regex engine.
_SAME_TOKENS = tuple(name.title() for name in _ENGLISH) + ("AM", "PM")
_PLAIN_DATE = (r"[0-9/:. ,-]*(?:(?:" + "|".join(_SAME_TOKENS)
               + r")(?:[0-9/: ,-][0-9/:. ,-]*)?)*")

#: Formats tried for cells that are not ISO 8601, in order of preference
#: (day-first before month-first: Jira's default is day-first).
_FORMATS: tuple[str, ...] = (
    "%d/%b/%y %I:%M %p",
    "%d/%b/%Y %I:%M %p",
    "%d/%b/%y %H:%M",
    "%d/%b/%Y %H:%M",
    "%d/%b/%y",
    "%d/%b/%Y",
    "%d-%b-%Y %H:%M",
    "%d-%b-%Y",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%y %H:%M",
    "%d/%m/%Y %I:%M %p",
    "%d/%m/%Y",
    "%d/%m/%y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y",
    "%d.%m.%y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%y %I:%M %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%b %d, %Y %I:%M %p",
    "%b %d, %Y",
)
_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_HAS_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
_HAS_TIME = re.compile(r"\d{1,2}:\d{2}")
_SAMPLE = 2000
_FIRST_YEAR, _LAST_YEAR = 1970, 2099


@dataclass(frozen=True)
class ParsedDates:
    """A parsed date column.

    Attributes
    ----------
    values : Series
        Timestamps: time-zone aware (UTC) when the cells carried an offset or
        the source is known to be UTC, naive otherwise; NaT where empty or
        unreadable.
    has_time : ndarray of bool
        Whether the cell carried a time of day (date-only cells mean
        "sometime that day").
    unreadable : ndarray of bool
        Non-empty cells that could not be read.
    format : str
        The format used (``ISO 8601`` or a strftime pattern), or ``""`` if the
        column is empty.
    """

    values: pd.Series
    has_time: np.ndarray
    unreadable: np.ndarray
    format: str


def parse_timestamps(
    cells: pd.Series,
    *,
    column: str,
    file: str,
    rows: np.ndarray | None = None,
    assume_utc: bool = False,
) -> ParsedDates:
    """Parse one export column of date/time cells.

    Parameters
    ----------
    cells : Series of str
        The raw cells; empty strings and missing values are "no date".
    column, file : str
        Where the cells came from, for error messages.
    rows : ndarray of int, optional
        Source row numbers of the cells, for error messages.
    assume_utc : bool
        Cells without an offset are UTC (GitLab's ``Created At (UTC)``);
        otherwise they are local wall-clock times.

    Returns
    -------
    ParsedDates

    Raises
    ------
    InputError
        When most of the column's cells are not dates in any known format
        (a wrong column, or an unsupported date format), with examples.

    Examples
    --------
    >>> import pandas as pd
    >>> from calibrate.io._dates import parse_timestamps
    >>> parsed = parse_timestamps(pd.Series(["14/Mar/24 3:07 PM", "2/Apr/24 11:30 AM"]),
    ...                           column="Created", file="export.csv")
    >>> parsed.format, str(parsed.values[0])
    ('%d/%b/%y %I:%M %p', '2024-03-14 15:07:00')
    """
    text = _stripped(cells)
    present = (text != "").to_numpy()
    count = len(text)
    values = pd.Series(pd.NaT, index=range(count), dtype="datetime64[ns]")
    has_time = np.zeros(count, dtype=bool)
    unreadable = np.zeros(count, dtype=bool)
    if not present.any():
        if assume_utc:
            values = values.dt.tz_localize("UTC")
        return ParsedDates(values, has_time, unreadable, "")

    filled = text[present]
    sample = _first_distinct(filled, _SAMPLE)
    iso = sample.str.match(_ISO).mean() >= 0.5
    read = _arrow_iso(filled) if iso else None
    if read is not None:
        # Arrow reads every cell (ISO 8601 as trackers write it): row by row,
        # without first finding the distinct cells, most of them distinct anyway.
        parsed, has_time_filled = _localised(*read, assume_utc=assume_utc)
        fmt = "ISO 8601"
    elif not iso and (split := _split_rows(filled, sample, assume_utc)) is not None:
        (parsed, has_time_filled), fmt = split
    else:
        # Each distinct cell is parsed once (exports repeat dates and times).
        codes, distinct = pd.factorize(filled)
        unique = pd.Series(distinct)
        has_time_unique = None
        if iso:
            # (Arrow refused a cell above: pandas reads them.)
            (parsed_unique, has_time_unique), fmt = _parse_iso(unique, assume_utc,
                                                               arrow=False), "ISO 8601"
        else:
            normalised = _normalise_month_names(unique)
            fmt = _best_format(normalised.head(_SAMPLE))
            parsed_unique = _plausible(strptime(normalised, fmt))
            if assume_utc:
                parsed_unique = parsed_unique.dt.tz_localize("UTC")
        # (A column of times is taken from, not turned into, an array: to_numpy()
        # would make time-zone-aware times Python objects, a hundred times slower.)
        parsed = pd.Series(parsed_unique.to_numpy()[codes] if parsed_unique.dtype == object
                           else parsed_unique.array.take(codes), index=filled.index)
        has_time_filled = None
        if fmt == "ISO 8601" or "%H" in fmt or "%I" in fmt:
            if has_time_unique is None:
                has_time_unique = unique.str.contains(_HAS_TIME).to_numpy(dtype=bool)
            has_time_filled = has_time_unique[codes]

    readable_share = parsed.notna().mean()
    if readable_share < 0.5:
        examples = filled[parsed.isna()].head(5)
        raise InputError(
            f"Column {column!r} of {file} does not hold dates in a format calibrate knows",
            [
                Problem("not a date", file=file, column=column, value=value,
                        row=None if rows is None else int(rows[index]),
                        expected="a date like 14/Mar/24 3:07 PM, 14/03/2024 15:07 or ISO 8601")
                for index, value in examples.items()
            ],
            hint="Export dates in ISO 8601 or Jira's default format, or map the right column.",
        )
    # Only a column of objects can hold a mix of naive and aware timestamps.
    if isinstance(parsed.dtype, pd.DatetimeTZDtype) or (parsed.dtype == object and parsed.map(
        lambda v: getattr(v, "tzinfo", None) is not None
    ).any()):
        parsed = pd.to_datetime(parsed, utc=True)
        values = values.dt.tz_localize("UTC")
    values.loc[filled.index] = parsed
    unreadable[filled.index[parsed.isna().to_numpy()]] = True
    if has_time_filled is not None:  # (a format without a time of day: none has one)
        has_time[filled.index] = has_time_filled
    return ParsedDates(values, has_time, unreadable, fmt)


_TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%p")
_DATE_DIRECTIVES = ("%d", "%m", "%b", "%y", "%Y")
_DATE_AND_TIME = r"^(?P<day>\S+)\s+(?P<time>.*)$"


def strptime(values: pd.Series, fmt: str) -> pd.Series:
    """``pd.to_datetime(values, format=fmt, errors="coerce")``, faster on
    real exports' columns.

    A format of a date and a time of day separated by a space
    (``%d/%b/%y %I:%M %p``) is split there, like each cell at its first run
    of whitespace (where the format's space matches), and the two parts are
    parsed once per distinct date and per distinct time: a million
    minute-stamped cells hold a few thousand days and at most 1,440
    minutes, instead of a million distinct strings. Other formats are parsed
    whole. Either way pandas parses, with the same times (tested).
    """
    if not _separable(fmt) or len(values) < _SPLIT_FROM:
        return pd.to_datetime(values, format=fmt, errors="coerce")
    try:
        text = arrow_text(values).combine_chunks()
    except (pa.ArrowException, UnicodeError):  # e.g. a lone surrogate
        return pd.to_datetime(values, format=fmt, errors="coerce")
    return pd.Series(_split_parse(*_split_date_time(text), fmt), index=values.index)


#: Distinct cells from which :func:`strptime` splits a "date time" format.
_SPLIT_FROM = 1000
#: What RE2's ``\s`` (in :data:`_DATE_AND_TIME`) matches.
_RE2_SPACE = " \t\n\x0c\r"


def _separable(fmt: str) -> bool:
    """Whether ``fmt`` is a date, a space, and a time of day."""
    date_format, space, time_format = fmt.partition(" ")
    return bool(space and not any(d in date_format for d in _TIME_DIRECTIVES)
                and not any(d in time_format for d in _DATE_DIRECTIVES)
                and any(d in time_format for d in _TIME_DIRECTIVES))


def _split_parse(days: pa.DictionaryArray, times: pa.DictionaryArray, fmt: str, *,
                 prepare=None) -> np.ndarray:
    """Times from the day and time parts of cells (see :func:`_split_date_time`),
    each distinct part parsed once (after ``prepare``, on the distinct parts)."""
    date_format, _, time_format = fmt.partition(" ")
    day = _parse_distinct(days, date_format, prepare=prepare)
    clock = _parse_distinct(times, time_format, prepare=prepare)
    return day + (clock - np.datetime64("1900-01-01", "ns"))


def _split_date_time(text: pa.Array) -> tuple[pa.DictionaryArray, pa.DictionaryArray]:
    """The ``day`` and ``time`` of ``pc.extract_regex(text, _DATE_AND_TIME)``
    (null where it does not match), dictionary-encoded, found faster: each
    cell is split at its first space and the regular expression runs only on
    the cells it would read otherwise (a day part holding other whitespace,
    a time part holding a line break, a cell without a space; tested)."""
    parts = pc.split_pattern(text, " ", max_splits=1)
    split = pc.fill_null(pc.equal(pc.list_value_length(parts), 2), False)
    parts = pc.if_else(split, parts, pa.scalar(None, parts.type))
    days = pc.list_element(parts, 0).dictionary_encode()
    times = pc.utf8_ltrim(pc.list_element(parts, 1), _RE2_SPACE).dictionary_encode()
    odd = (_flags(days, lambda d: pc.or_(pc.equal(d, ""),
                                         pc.match_substring_regex(d, "[\t\n\x0c\r]")))
           | _flags(times, lambda d: pc.match_substring(d, "\n"))
           | (~split.to_numpy(zero_copy_only=False) & text.is_valid().to_numpy(
               zero_copy_only=False)))
    if odd.any():
        mask = pa.array(odd)
        found = pc.extract_regex(pc.filter(text, mask), _DATE_AND_TIME)
        days, times = (pc.replace_with_mask(part.dictionary_decode(), mask,
                                            pc.struct_field(found, [name])).dictionary_encode()
                       for part, name in ((days, "day"), (times, "time")))
    return days, times


def _flags(encoded: pa.DictionaryArray, test) -> np.ndarray:
    """``test`` of each cell's value, computed once per distinct value (False where null)."""
    flags = np.append(pc.fill_null(test(encoded.dictionary), False).to_numpy(
        zero_copy_only=False).astype(bool), False)
    return flags[encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)]


def _stripped(cells: pd.Series) -> pd.Series:
    """Cells as ``str(cell).strip()`` (Arrow strings, numbered from 0), ``""``
    where missing."""
    cells = pd.Series(cells).reset_index(drop=True)
    try:
        text = arrow_text(cells)
    except (pa.ArrowException, UnicodeError):  # e.g. a lone surrogate: Python's strip
        text = cells.astype("object")
        return text.where(text.notna(), "").astype(str).str.strip()
    trimmed = pc.fill_null(pc.utf8_trim(text, characters=WHITESPACE), "")
    return text_series(trimmed)


def _parse_distinct(values: pa.Array, fmt: str, *, prepare=None) -> np.ndarray:
    """Each distinct cell parsed once (after ``prepare``, a function of a
    Series of them); NaT where missing or unreadable."""
    encoded = values if isinstance(values, pa.DictionaryArray) else values.dictionary_encode()
    distinct = pd.Series(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object)
    if prepare is not None:
        distinct = prepare(distinct)
    parsed = pd.to_datetime(distinct, format=fmt, errors="coerce")
    # (A missing part, index null -> -1, picks the NaT appended at the end.)
    table = np.append(parsed.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return table[codes]


def _split_rows(filled: pd.Series, sample: pd.Series, assume_utc: bool
                ) -> tuple[tuple[pd.Series, np.ndarray | None], str] | None:
    """Cells of a "date time" format read row by row: each cell split at its
    first run of whitespace (:func:`_split_date_time`), the day and time
    parts normalised and parsed once per distinct part, without first finding
    the distinct cells (a million minute-stamped cells are mostly distinct;
    their days and minutes are few). Returns the times, whether each cell
    has a time of day, and the format; None when the column is not of a
    separable format with thousands of distinct cells (what :func:`strptime`
    splits), or not Arrow text.

    Normalising the parts is normalising the cell (month names and am/pm are
    runs of letters, never across whitespace); so is asking whether a time
    of day is there (:data:`_HAS_TIME` holds no whitespace).
    """
    if len(sample) < _SAMPLE:  # (the sample is then every distinct cell)
        return None
    fmt = _best_format(_normalise_month_names(sample))
    if not _separable(fmt):
        return None
    try:
        text = arrow_text(filled).combine_chunks()
    except (pa.ArrowException, UnicodeError):  # e.g. a lone surrogate
        return None
    days, times = _split_date_time(text)
    parsed = pd.Series(_split_parse(days, times, fmt, prepare=_normalise_month_names),
                       index=filled.index)
    has_time = None
    if "%H" in fmt or "%I" in fmt:
        def timed(values: pa.Array) -> pa.Array:
            found = text_series(values).str.contains(_HAS_TIME).to_numpy(dtype=bool)
            return pa.array(found)

        has_time = _flags(days, timed) | _flags(times, timed)
        whole = pc.is_null(days).to_numpy(zero_copy_only=False)
        if whole.any():  # (cells the split did not read: asked whole)
            has_time[whole] = filled[whole].str.contains(_HAS_TIME).to_numpy(dtype=bool)
    parsed = _plausible(parsed)
    return (parsed.dt.tz_localize("UTC") if assume_utc else parsed, has_time), fmt


def _first_distinct(values: pd.Series, count: int) -> pd.Series:
    """The first ``count`` distinct values, in the order they first appear
    (found in the first rows when they hold that many)."""
    for rows in (4 * count, 64 * count, None):
        distinct = pd.unique(values.iloc[:rows])
        if len(distinct) >= count or rows is None or rows >= len(values):
            return pd.Series(distinct[:count])
    raise AssertionError("unreachable")


def _localised(times: pd.Series, has_time: np.ndarray, *,
               assume_utc: bool) -> tuple[pd.Series, np.ndarray]:
    """Times Arrow read (see :func:`_arrow_iso`) as :func:`_parse_iso` gives them."""
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        return _plausible(times), has_time
    local = _plausible(times)
    return (local.dt.tz_localize("UTC") if assume_utc
            else local.astype("datetime64[ns]")), has_time


def _parse_iso(unique: pd.Series, assume_utc: bool, *,
               arrow: bool = True) -> tuple[pd.Series, np.ndarray]:
    """Distinct ISO 8601 cells as times, and whether each has a time of day
    (read by Arrow when it reads them all and ``arrow``, else by pandas)."""
    read = _arrow_iso(unique) if arrow else None
    if read is not None:
        return _localised(*read, assume_utc=assume_utc)
    has_time = unique.str.contains(_HAS_TIME).to_numpy(dtype=bool)
    with_offset = unique.str.contains(_HAS_OFFSET)
    result = pd.Series(pd.NaT, index=unique.index, dtype="datetime64[ns, UTC]")
    if with_offset.any():
        result[with_offset] = _plausible(pd.to_datetime(
            unique[with_offset], format="ISO8601", utc=True, errors="coerce"
        ))
    naive = ~with_offset
    if naive.any():
        local = _plausible(pd.to_datetime(unique[naive], format="ISO8601", errors="coerce"))
        if assume_utc or with_offset.any():
            # A column mixing offset and naive cells: the naive ones are read as
            # UTC, the only reading that keeps the column on one clock.
            result[naive] = local.dt.tz_localize("UTC")
        else:
            return local.astype("datetime64[ns]"), has_time
    return result, has_time


def _arrow_iso(unique: pd.Series) -> tuple[pd.Series, np.ndarray] | None:
    """The times of ISO 8601 cells, and which have a time of day, when Arrow's
    ISO 8601 parser reads every one of them with an offset (then as UTC) or
    every one without; else None.

    Arrow reads a strict subset of what pandas' ``format="ISO8601"`` reads,
    to the same times (tested), and refuses the rest: a column with a cell
    it refuses, or mixing cells with and without offsets, is pandas' to read.
    So is one with an offset of hours alone (``+05``), which
    :data:`_HAS_OFFSET` does not take for an offset. On what Arrow reads, a
    ``:`` is there exactly when a time is (a date and an hour alone have
    none, as :data:`_HAS_TIME` says).
    """
    try:
        text = arrow_text(unique)
    except (pa.ArrowException, UnicodeError):  # e.g. a lone surrogate
        return None
    for zone in ("UTC", None):
        try:
            times = pc.cast(text, pa.timestamp("ns", zone))
        except pa.ArrowInvalid:
            continue
        if zone and _hours_offset(text):
            return None
        has_time = pc.match_substring(text, ":").to_numpy().astype(bool)
        return times.to_pandas().set_axis(unique.index), has_time
    return None


def _hours_offset(text: pa.ChunkedArray) -> bool:
    """Whether a cell ends in an offset of hours alone (``+05``), judged on
    the distinct last three characters."""
    endings = pc.utf8_slice_codeunits(text, -3).unique().to_pylist()
    return any(re.fullmatch(r"[+-][0-9]{2}", ending or "") for ending in endings)


def _plausible(parsed: pd.Series) -> pd.Series:
    """Nanosecond timestamps; cells outside 1970-2099 count as unreadable
    (no tracker holds such dates, and pandas cannot hold every year)."""
    years = parsed.dt.year
    keep = (years >= _FIRST_YEAR) & (years <= _LAST_YEAR)
    unit = "datetime64[ns, UTC]" if isinstance(parsed.dtype, pd.DatetimeTZDtype) else (
        "datetime64[ns]")
    return parsed.where(keep).astype(unit)


def _normalise_month_names(values: pd.Series) -> pd.Series:
    """Replace localised month names and am/pm markers by English ones."""

    def replace(match: re.Match) -> str:
        token = match.group(0).lower()
        bare = token.rstrip(".")
        if token in _AM_PM:
            return _AM_PM[token]
        if bare in _AM_PM:
            return _AM_PM[bare]
        return _TO_ENGLISH.get(bare, match.group(0))

    # Cells in Jira's default English form need no replacement: tested in one
    # vectorised pass, only the others go through the replacement callback.
    plain = values.str.fullmatch(_PLAIN_DATE).to_numpy(dtype=bool)
    if plain.all():
        return values
    result = values.copy()
    result[~plain] = values[~plain].str.replace(_MONTH_TOKEN, replace, regex=True)
    return result


def _best_format(sample: pd.Series) -> str:
    best, best_count = _FORMATS[0], -1
    for fmt in _FORMATS:
        count = int(pd.to_datetime(sample, format=fmt, errors="coerce").notna().sum())
        if count > best_count:
            best, best_count = fmt, count
        if count == len(sample):
            break
    return best

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
    text = pd.Series(cells, dtype="object").reset_index(drop=True)
    text = text.where(text.notna(), "").astype(str).str.strip()
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
    # Each distinct cell is parsed once (exports repeat dates and times).
    codes, distinct = pd.factorize(filled)
    unique = pd.Series(distinct)
    sample = unique.head(_SAMPLE)
    iso_share = sample.str.match(_ISO).mean()
    if iso_share >= 0.5:
        parsed_unique, fmt = _parse_iso(unique, assume_utc), "ISO 8601"
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
    time_in_format = fmt == "ISO 8601" or "%H" in fmt or "%I" in fmt
    if time_in_format:
        has_time[filled.index] = unique.str.contains(_HAS_TIME).to_numpy(dtype=bool)[codes]
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
    date_format, space, time_format = fmt.partition(" ")
    separable = (space and not any(d in date_format for d in _TIME_DIRECTIVES)
                 and not any(d in time_format for d in _DATE_DIRECTIVES)
                 and any(d in time_format for d in _TIME_DIRECTIVES))
    if not separable or len(values) < 1000:
        return pd.to_datetime(values, format=fmt, errors="coerce")
    try:
        text = pa.array(values.astype(object), type=pa.string(), from_pandas=True)
    except (pa.ArrowException, UnicodeError):  # e.g. a lone surrogate
        return pd.to_datetime(values, format=fmt, errors="coerce")
    parts = pc.extract_regex(text, _DATE_AND_TIME)  # null where a cell has no space
    days = _parse_distinct(parts.field("day"), date_format)
    times = _parse_distinct(parts.field("time"), time_format) - np.datetime64("1900-01-01", "ns")
    return pd.Series(days + times, index=values.index)


def _parse_distinct(values: pa.Array, fmt: str) -> np.ndarray:
    """Each distinct cell parsed once; NaT where missing or unreadable."""
    encoded = values.dictionary_encode()
    distinct = encoded.dictionary.to_numpy(zero_copy_only=False)
    parsed = pd.to_datetime(pd.Series(distinct, dtype=object), format=fmt, errors="coerce")
    # (A missing part, index null -> -1, picks the NaT appended at the end.)
    table = np.append(parsed.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return table[codes]


def _parse_iso(unique: pd.Series, assume_utc: bool) -> pd.Series:
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
            return local.astype("datetime64[ns]")
    return result


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

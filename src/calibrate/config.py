"""Project settings, read from ``calibrate.toml``.

Every setting has a default, so a config file is optional. A file only needs
the sections it changes::

    [calendar]
    country = "DE"                 # public holidays that are not working days
    timezone = "Europe/Berlin"     # the team's wall clock
    weekend = ["Sat", "Sun"]
    extra_holidays = ["2024-12-24"]

    [areas]
    column = ""                    # an export column that names the area directly
    default = "general"            # area of a ticket no rule matches
    [[areas.rules]]
    area = "research"
    patterns = ["research", "spike", "experiment"]
    fields = ["labels", "components", "issue_type", "epic", "team"]

    [points]
    scale = { XS = 1, S = 2, M = 3, L = 5, XL = 8 }

    [statuses]
    in_progress = ["In Progress", "In Review"]
    done = ["Done", "Closed"]
    not_finished_resolutions = ["Won't Do", "Duplicate", "Cannot Reproduce"]

    [durations]
    minimum_days = 0.0416667       # shorter durations are raised to this (one hour)
    closed_within_minutes = 15     # tickets done this soon are bookkeeping; 0 keeps them

    [columns]                      # for the generic CSV reader: canonical name = export column
    ticket_id = "Key"
    engineer = "Owner"

    [model]
    lead_cap_days = 10             # judge lead time (created -> done) against this cap

Unknown sections and keys are errors (a typo would otherwise be ignored
silently); a near miss is answered with "did you mean", and every problem of a
file is listed together.

From Python, the settings are a :class:`Config` (its calendar a
:class:`~calibrate.durations.WorkCalendar`, its area rules :class:`AreaRule`
records); :func:`load_config` reads one from a file, :func:`config_from_dict`
from a dict shaped like the file, and ``read_export(path, config=...)`` takes
any of the three::

    >>> from calibrate.config import AreaRule, Config, WorkCalendar, config_from_dict
    >>> config_from_dict({"calendar": {"timezone": "Europe/Berlin"}}).calendar.timezone
    'Europe/Berlin'
    >>> Config(calendar=WorkCalendar(timezone="Europe/Berlin"),
    ...        area_rules=(AreaRule("research", ("spike",)),)).area_rules[0].area
    'research'
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from calibrate.durations import WorkCalendar
from calibrate.errors import InputError, Problem

__all__ = [
    "AREA_RULE_FIELDS",
    "DEFAULT_CLOSED_WITHIN_MINUTES",
    "DEFAULT_DONE",
    "DEFAULT_IN_PROGRESS",
    "DEFAULT_NOT_FINISHED",
    "MAXIMUM_CLOSED_WITHIN_MINUTES",
    "MAXIMUM_CONFIG_BYTES",
    "AreaRule",
    "Config",
    "Matches",
    "Names",
    "WorkCalendar",
    "check_config_path",
    "config_from_dict",
    "fold_name",
    "load_config",
]

#: Ticket fields an area rule can look at.
AREA_RULE_FIELDS = ("labels", "components", "issue_type", "epic", "team", "title")

DEFAULT_IN_PROGRESS = (
    "In Progress",
    "In Development",
    "In Dev",
    "Doing",
    "Started",
    "In Review",
    "Code Review",
    "Review",
    "Testing",
    "In Testing",
    "QA",
    "Blocked",
)
DEFAULT_DONE = ("Done", "Closed", "Resolved", "Complete", "Completed", "Released", "Shipped")
DEFAULT_NOT_FINISHED = (
    "Won't Do",
    "Won't Fix",
    "Wont Do",
    "Wontfix",
    "Duplicate",
    "Cannot Reproduce",
    "Can't Reproduce",
    "Incomplete",
    "Declined",
    "Rejected",
    "Canceled",
    "Cancelled",
    "Obsolete",
    "Not a Bug",
    "Abandoned",
    "not_planned",
)

#: Default of ``[durations] closed_within_minutes``. In four real GitLab
#: projects (1,007 finished tickets) every ticket closed within 8.5 minutes of
#: its creation and the next one after 35.8: the bookkeeping spike ends in
#: that gap (see ``benchmarks/quick_closes.py`` and the README).
DEFAULT_CLOSED_WITHIN_MINUTES = 15.0
#: The largest ``closed_within_minutes`` accepted: one day (longer work is
#: real work; ``minimum_days`` is the setting for short durations).
MAXIMUM_CLOSED_WITHIN_MINUTES = 24 * 60
#: The largest settings file read: a calibrate.toml is a few hundred bytes;
#: anything near this is not one (a log, an export passed by mistake).
MAXIMUM_CONFIG_BYTES = 1 << 20


@dataclass(frozen=True)
class AreaRule:
    """Tickets whose ``fields`` match any of ``patterns`` belong to ``area``.

    Patterns are case-insensitive regular expressions searched anywhere in
    the field (so ``"research"`` matches the label ``ml-research``); anchor
    them (``"^research$"``) to match a whole value.
    """

    area: str
    patterns: tuple[str, ...]
    fields: tuple[str, ...] = AREA_RULE_FIELDS

    @property
    def regex(self) -> re.Pattern:
        return re.compile("|".join(f"(?:{p})" for p in self.patterns), re.IGNORECASE)


@dataclass(frozen=True)
class Config:
    """All settings, with their defaults.

    Examples
    --------
    >>> from calibrate.config import Config
    >>> Config().area_default
    'general'
    """

    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    area_column: str | None = None
    area_default: str = "general"
    area_rules: tuple[AreaRule, ...] = ()
    points_scale: dict[str, float] = field(default_factory=dict)
    points_column: str | None = None
    in_progress_statuses: tuple[str, ...] = DEFAULT_IN_PROGRESS
    done_statuses: tuple[str, ...] = DEFAULT_DONE
    not_finished_resolutions: tuple[str, ...] = DEFAULT_NOT_FINISHED
    start_column: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    minimum_duration_days: float = 1 / 24
    #: Finished tickets whose measured clock (created -> done for lead time,
    #: work started -> done for cycle time) ran for less than this many
    #: wall-clock minutes are excluded as "closed within minutes"; 0 keeps them.
    closed_within_minutes: float = DEFAULT_CLOSED_WITHIN_MINUTES
    #: The cap lead time (created -> done) is judged against, in working days;
    #: None: lead time gets no cap verdicts (the team's cap is for work time).
    lead_cap_days: float | None = None
    source: str | None = None

    def with_changes(self, **changes: Any) -> Config:
        """A copy with some settings changed."""
        return replace(self, **changes)

    def is_in_progress_status(self, statuses: Names) -> Matches:
        """Whether each status means work has started (``[statuses] in_progress``).

        Statuses are compared by :func:`fold_name`, so ``"In-Progress"``,
        ``"in progress"`` and ``"IN_PROGRESS"`` all match ``"In Progress"``.

        Parameters
        ----------
        statuses : str, Series or sequence of str
            One status, or a column of them; missing values match nothing.

        Returns
        -------
        bool, Series of bool or array of bool
            For a str, a bool; for a Series, a Series on its index; else an
            array. A column is folded once per distinct value, not per row.

        Examples
        --------
        >>> from calibrate.config import Config
        >>> Config().is_in_progress_status("IN_PROGRESS")
        True
        >>> Config().is_in_progress_status(["In-Progress", "To Do", None]).tolist()
        [True, False, False]
        """
        return _matches(statuses, self.in_progress_statuses)

    def is_done_status(self, statuses: Names) -> Matches:
        """Whether each status means the work is done (``[statuses] done``).

        Compared and vectorised as in :meth:`is_in_progress_status`.
        """
        return _matches(statuses, self.done_statuses)

    def is_not_finished_resolution(self, resolutions: Names) -> Matches:
        """Whether each resolution (or status) means the ticket was closed
        without the work done (``[statuses] not_finished_resolutions``).

        Compared and vectorised as in :meth:`is_in_progress_status`:
        ``"WONT_DO"`` is the default ``"Won't Do"``.
        """
        return _matches(resolutions, self.not_finished_resolutions)


#: What the status rules of :class:`Config` accept, and what they return.
Names = str | pd.Series | Sequence[str | None] | None
Matches = bool | pd.Series | np.ndarray


@functools.lru_cache(maxsize=1 << 16)  # names repeat: statuses, labels, field names
def fold_name(name: str) -> str:
    """A name as statuses and resolutions are compared: its letters and
    digits, case-folded.

    Examples
    --------
    >>> from calibrate.config import fold_name
    >>> fold_name("In-Progress") == fold_name("in progress") == fold_name("IN_PROGRESS")
    True
    >>> fold_name("Won't Do")
    'wontdo'
    """
    return "".join(filter(str.isalnum, str(name).casefold()))


def _matches(values: Names, names: tuple[str, ...]) -> Matches:
    """Which values fold to one of ``names``, folding each distinct value once."""
    wanted = frozenset(fold_name(name) for name in names)
    if values is None or isinstance(values, str):
        return values is not None and fold_name(values) in wanted
    column = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    codes, distinct = pd.factorize(column, use_na_sentinel=True)
    # The code of a missing value, -1, picks the False appended at the end.
    flags = np.array([fold_name(value) in wanted for value in distinct] + [False], dtype=bool)
    matched = flags[codes]
    return pd.Series(matched, index=column.index) if isinstance(values, pd.Series) else matched


_SCHEMA: dict[str, set[str]] = {
    "calendar": {"country", "subdivision", "weekend", "extra_holidays", "timezone"},
    "areas": {"column", "default", "rules"},
    "points": {"scale", "column"},
    "statuses": {"in_progress", "done", "not_finished_resolutions", "start_column"},
    "columns": set(),  # free mapping, checked by the generic reader
    "model": {"lead_cap_days"},
    "durations": {"minimum_days", "closed_within_minutes"},
}


def load_config(path: str | Path | None) -> Config:
    """Read a ``calibrate.toml`` file; ``None`` gives the defaults.

    Raises
    ------
    InputError
        If the file cannot be read, is not TOML, or has unknown or
        ill-typed settings; all problems are listed together.

    Examples
    --------
    >>> from calibrate.config import load_config
    >>> load_config(None).calendar.weekend
    ('Sat', 'Sun')
    """
    if path is None:
        return Config()
    path = check_config_path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(
            f"Config file {path} is not UTF-8 text",
            hint="Save it as UTF-8 (a calibrate.toml is a text file; see the README's "
                 "configuration section for an example).",
        ) from None
    except OSError as error:
        raise InputError(f"Config file {path} cannot be read: {error.strerror or error}",
                         hint="Check that the file is readable.") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(
            f"Config file {path} is not valid TOML: {error}",
            hint="See the README's configuration section for an example.",
        ) from None
    return config_from_dict(raw, origin=str(path))


def check_config_path(path: str | Path) -> Path:
    """The path of a settings file, checked before it is read: it exists, is a
    regular file (not a directory or a device) and is no larger than
    :data:`MAXIMUM_CONFIG_BYTES`.

    Raises
    ------
    InputError
        Saying which of these failed.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"Config file {path} does not exist",
                         hint="Check the path, or leave --config out to use the defaults.")
    if path.is_dir():
        raise InputError(f"Config file {path} is a directory",
                         hint="Give the calibrate.toml file in it.")
    if not path.is_file():
        raise InputError(f"Config file {path} is not a regular file",
                         hint="Give a calibrate.toml text file.")
    size = path.stat().st_size
    if size > MAXIMUM_CONFIG_BYTES:
        raise InputError(
            f"Config file {path} is too large for a settings file ({size / 2**20:.0f} MB; "
            f"at most {MAXIMUM_CONFIG_BYTES // 2**20} MB)",
            hint="Is it the export? The export is the first argument; --config takes a "
                 "calibrate.toml.",
        )
    return path


def config_from_dict(raw: Mapping[str, Any], origin: str = "config") -> Config:
    """Build a :class:`Config` from parsed TOML (a nested dict).

    Sections and keys are those of ``calibrate.toml`` (see the module's
    documentation); dates may be :class:`datetime.date` or ISO text.

    Raises
    ------
    InputError
        Listing every unknown or ill-typed setting, with ``origin`` as the file.
    TypeError
        If ``raw`` is not a mapping.

    Examples
    --------
    >>> from calibrate.config import config_from_dict
    >>> config_from_dict({"points": {"scale": {"S": 1, "M": 3}}}).points_scale
    {'s': 1.0, 'm': 3.0}
    """
    if not isinstance(raw, Mapping):
        raise TypeError(f"settings must be a dict of sections, as in calibrate.toml "
                        f"(e.g. {{'calendar': {{'country': 'DE'}}}}); got {type(raw).__name__}")
    settings = _Settings(dict(raw), origin)
    settings.check_keys()
    # (Read in this order, so that the problems are listed in it.)
    extra_holidays = _extra_holidays(settings)
    rules = _area_rules(settings)
    scale = _points_scale(settings)
    columns = settings.section("columns")
    if not all(isinstance(v, str) for v in columns.values()):
        settings.bad("columns", "each mapping must be 'canonical_name = \"Export column\"'",
                     value=columns)
        columns = {}
    minimum, closed_within, lead_cap = _durations(settings)
    config = Config(
        calendar=_calendar(settings, extra_holidays),
        area_column=settings.text("areas", "column"),
        area_default=settings.text("areas", "default") or "general",
        area_rules=rules,
        points_scale=scale,
        points_column=settings.text("points", "column"),
        in_progress_statuses=settings.text_list("statuses", "in_progress", DEFAULT_IN_PROGRESS),
        done_statuses=settings.text_list("statuses", "done", DEFAULT_DONE),
        not_finished_resolutions=settings.text_list(
            "statuses", "not_finished_resolutions", DEFAULT_NOT_FINISHED
        ),
        start_column=settings.text("statuses", "start_column"),
        columns=dict(columns),
        lead_cap_days=lead_cap,
        minimum_duration_days=minimum,
        closed_within_minutes=closed_within,
        source=origin,
    )
    if settings.problems:
        raise InputError(f"The settings in {origin} are not valid", settings.problems,
                         hint="See the README's configuration section.")
    return config


class _Settings:
    """Parsed TOML, read setting by setting; every problem is collected (not
    raised) so that a file's mistakes are all reported at once."""

    def __init__(self, raw: dict, origin: str) -> None:
        self.raw = raw
        self.origin = origin
        self.problems: list[Problem] = []

    def bad(self, key: str, message: str, value: Any = None, expected: str | None = None) -> None:
        self.problems.append(Problem(message, file=self.origin, column=key, value=value,
                                     expected=expected))

    def check_keys(self) -> None:
        """Report unknown sections and keys (with the nearest known name), and
        sections that are not tables."""
        for name, content in self.raw.items():
            if name not in _SCHEMA:
                self.bad(name, f"unknown section{_did_you_mean(name, _SCHEMA)}",
                         expected=f"one of {', '.join(sorted(_SCHEMA))}")
            elif not isinstance(content, dict):
                self.bad(name, "a section must be a table", value=content)
            elif name != "columns":  # (a free mapping, checked by the generic reader)
                for key in content:
                    if key not in _SCHEMA[name]:
                        self.bad(f"{name}.{key}", f"unknown setting{_suggestion(name, key)}",
                                 expected=f"one of {', '.join(sorted(_SCHEMA[name]))}")

    def section(self, name: str) -> dict:
        # A section that is not a table was reported by check_keys; read it as empty.
        content = self.raw.get(name, {})
        return content if isinstance(content, dict) else {}

    def text_list(self, section: str, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.section(section).get(key)
        if value is None:
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.bad(f"{section}.{key}", "must be a list of strings", value=value)
            return default
        return tuple(value)

    def text(self, section: str, key: str) -> str | None:
        value = self.section(section).get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.bad(f"{section}.{key}", "must be a string", value=value)
            return None
        return value


def _did_you_mean(name: str, known) -> str:
    """``"; did you mean 'x'?"`` for the known name nearest to a misspelt one, or ``""``."""
    close = difflib.get_close_matches(str(name).lower(), sorted(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _suggestion(section: str, key: str) -> str:
    """For an unknown key: the section it belongs to, or the nearest key of its section."""
    homes = [other for other, keys in _SCHEMA.items() if key in keys and other != section]
    if homes:
        return f"; it belongs in the [{homes[0]}] section"
    return _did_you_mean(key, _SCHEMA[section])


def _is_number(value: Any) -> bool:
    """A finite int or float (TOML has nan and inf; neither is a setting)."""
    return (not isinstance(value, bool) and isinstance(value, int | float)
            and math.isfinite(value))


def _extra_holidays(settings: _Settings) -> tuple[dt.date, ...]:
    extra: list[dt.date] = []
    values = settings.section("calendar").get("extra_holidays", [])
    if not isinstance(values, list):
        settings.bad("calendar.extra_holidays", "must be a list of dates", value=values)
        values = []
    for value in values:
        if isinstance(value, dt.date):
            extra.append(value)
            continue
        try:
            extra.append(dt.date.fromisoformat(str(value)))
        except ValueError:
            settings.bad("calendar.extra_holidays", "not a date", value=value,
                         expected="YYYY-MM-DD")
    return tuple(extra)


def _area_rules(settings: _Settings) -> tuple[AreaRule, ...]:
    raw_rules = settings.section("areas").get("rules", [])
    if not isinstance(raw_rules, list):
        settings.bad("areas.rules", "must be a list of [[areas.rules]] tables", value=raw_rules)
        raw_rules = []
    rules = (_area_rule(settings, f"areas.rules[{index}]", rule)
             for index, rule in enumerate(raw_rules, start=1))
    return tuple(rule for rule in rules if rule is not None)


def _area_rule(settings: _Settings, key: str, rule: Any) -> AreaRule | None:
    """One ``[[areas.rules]]`` table, or None (reported) when it is not usable."""
    if not isinstance(rule, dict) or not isinstance(rule.get("area"), str):
        settings.bad(key, "each rule needs an 'area' string and a 'patterns' list", value=rule)
        return None
    if not rule["area"].strip():
        # Would reach the ticket table as an empty area, blamed on the export's rows.
        settings.bad(f"{key}.area", "must name an area (it is empty)", value=rule["area"])
        return None
    patterns = rule.get("patterns", [])
    if isinstance(patterns, str):
        patterns = [patterns]
    if not patterns or not all(isinstance(p, str) for p in patterns):
        settings.bad(key, "'patterns' must be a non-empty list of strings", value=patterns)
        return None
    rule_fields = rule.get("fields", list(AREA_RULE_FIELDS))
    if isinstance(rule_fields, str):
        rule_fields = [rule_fields]
    unknown = [f for f in rule_fields if f not in AREA_RULE_FIELDS]
    if unknown:
        guess = _did_you_mean(unknown[0], AREA_RULE_FIELDS)
        settings.bad(key, f"unknown field in 'fields'{guess}", value=unknown,
                     expected=f"any of {', '.join(AREA_RULE_FIELDS)}")
        return None
    extra_keys = set(rule) - {"area", "patterns", "fields"}
    if extra_keys:
        guess = _did_you_mean(sorted(map(str, extra_keys))[0], ("area", "patterns", "fields"))
        settings.bad(key, f"unknown key in rule{guess}", value=sorted(extra_keys),
                     expected="area, patterns, fields")
    try:
        compiled = AreaRule(rule["area"], tuple(patterns), tuple(rule_fields))
        compiled.regex  # noqa: B018 - compile now so a bad pattern is reported here
    except re.error as error:
        settings.bad(key, f"pattern is not a valid regular expression ({error})", value=patterns)
        return None
    return compiled


#: The most points a size may stand for: beyond it a value is a typo, not an estimate.
MAXIMUM_SCALE_POINTS = 1000.0


def _points_scale(settings: _Settings) -> dict[str, float]:
    scale: dict[str, float] = {}
    raw_scale = settings.section("points").get("scale", {})
    if not isinstance(raw_scale, dict):
        settings.bad("points.scale", "must be a table of size = points", value=raw_scale)
        raw_scale = {}
    spelled: dict[str, str] = {}
    for name, value in raw_scale.items():
        size = str(name).strip().lower()
        if size in spelled:  # sizes are matched ignoring case and spaces
            settings.bad(f"points.scale.{name}",
                         f"is the same size as {spelled[size]!r} (sizes are matched ignoring "
                         "case and spaces); keep one of them", value=value)
        elif not _is_number(value) or not 0 <= value <= MAXIMUM_SCALE_POINTS:
            settings.bad(f"points.scale.{name}",
                         f"must be a number of points from 0 to {MAXIMUM_SCALE_POINTS:g}",
                         value=value)
        else:
            scale[size] = float(value)
        spelled.setdefault(size, str(name))
    return scale


def _durations(settings: _Settings) -> tuple[float, float, float | None]:
    """``[durations] minimum_days``, ``closed_within_minutes`` and ``[model]
    lead_cap_days`` (a bad one is reported and its default used)."""
    durations = settings.section("durations")
    minimum = durations.get("minimum_days", 1 / 24)
    if not _is_number(minimum) or not 0 < minimum < 1:
        settings.bad("durations.minimum_days", "must be a number between 0 and 1", value=minimum)
        minimum = 1 / 24
    closed_within = durations.get("closed_within_minutes", DEFAULT_CLOSED_WITHIN_MINUTES)
    if not _is_number(closed_within) or not 0 <= closed_within <= MAXIMUM_CLOSED_WITHIN_MINUTES:
        settings.bad("durations.closed_within_minutes",
                     f"must be a number of minutes from 0 (keep every ticket) to "
                     f"{MAXIMUM_CLOSED_WITHIN_MINUTES} (one day)", value=closed_within)
        closed_within = DEFAULT_CLOSED_WITHIN_MINUTES
    lead_cap = settings.section("model").get("lead_cap_days")
    if lead_cap is not None and (not _is_number(lead_cap) or not lead_cap > 0):
        settings.bad("model.lead_cap_days", "must be a number of working days > 0",
                     value=lead_cap)
        lead_cap = None
    return float(minimum), float(closed_within), None if lead_cap is None else float(lead_cap)


def _calendar(settings: _Settings, extra_holidays: tuple[dt.date, ...]) -> WorkCalendar:
    """The working calendar; it checks itself, and its problems join the others."""
    try:
        return WorkCalendar(
            country=settings.text("calendar", "country"),
            subdivision=settings.text("calendar", "subdivision"),
            weekend=settings.text_list("calendar", "weekend", ("Sat", "Sun")),
            extra_holidays=extra_holidays,
            timezone=settings.text("calendar", "timezone") or "UTC",
        )
    except InputError as error:
        settings.problems.extend(replace(p, file=settings.origin) for p in error.problems)
        return WorkCalendar()

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
    classify = false               # areas of the other tickets from their text
    classify_threshold = 0.6       # ... when the classifier is at least this sure
    [[areas.rules]]                # a pattern rule: these values mean this area
    area = "research"
    patterns = ["research", "spike", "experiment"]
    fields = ["labels", "components", "issue_type", "epic", "team"]
    [[areas.rules]]                # a capture rule: the value after the prefix is
    prefix = "Product::"           # the area (the label Product::Search -> "search")
    fields = ["labels"]

Rules are tried in order; the first that matches a ticket decides its area.
``calibrate init EXPORT`` proposes rules from an export, and writes a
commented starter file (:func:`starter_config`).

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

    [skills]                       # declared skill levels (calibrate.skills)
    levels = ["basic", "proficient", "strong"]   # the scale, lowest first
    file = "skills.csv"            # engineer,area,level[,start_date]; relative to this file
    [skills.engineers."Priya Raman"]             # or the profiles here
    research = "strong"
    data-engineering = "basic"
    start_date = 2024-03-04        # joined the team (for the ramp-up)

    [people]                       # one person, one name, in every export
    names = { "priya.raman@example.com" = "Priya Raman", "praman" = "Priya Raman" }

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
    >>> AreaRule(prefix="Product::").area_of("product:: Global Search")
    'global search'
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
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from calibrate.durations import WorkCalendar
from calibrate.errors import InputError, Problem
from calibrate.skills import DEFAULT_LEVELS, START_DATE_KEY, UNDECLARED

if TYPE_CHECKING:
    from calibrate.areas import AreaScheme
    from calibrate.tickets import TicketTable

__all__ = [
    "AREA_RULE_FIELDS",
    "DEFAULT_CLASSIFY_THRESHOLD",
    "DEFAULT_CLOSED_WITHIN_MINUTES",
    "DEFAULT_DONE",
    "DEFAULT_IN_PROGRESS",
    "DEFAULT_NOT_FINISHED",
    "MAXIMUM_CLOSED_WITHIN_MINUTES",
    "MAXIMUM_CONFIG_BYTES",
    "PREFIX_RULE_FIELDS",
    "AreaRule",
    "Config",
    "Matches",
    "Names",
    "WorkCalendar",
    "check_config_path",
    "config_from_dict",
    "fold_name",
    "load_config",
    "starter_config",
]

#: Ticket fields an area rule can look at.
AREA_RULE_FIELDS = ("labels", "components", "issue_type", "epic", "team", "title")
#: The fields a capture rule (``prefix``) looks at unless it names its own:
#: where scoped labels live (a title would give an area per sentence).
PREFIX_RULE_FIELDS = ("labels", "components")
#: Default of ``[areas] classify_threshold``: below this probability, the
#: classifier leaves a ticket in the default area.
DEFAULT_CLASSIFY_THRESHOLD = 0.6

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
    """How tickets get an area from their fields: a pattern rule or a capture rule.

    A *pattern rule* (``area`` and ``patterns``) gives ``area`` to the
    tickets whose ``fields`` match any of ``patterns``. Patterns are
    case-insensitive regular expressions searched anywhere in each value
    (so ``"research"`` matches the label ``ml-research``); anchor them
    (``"^research$"``) to match a whole value.

    A *capture rule* (``prefix``) gives each ticket the value that follows
    ``prefix`` in the first of its values that starts with it (compared
    ignoring case; spaces around the value dropped; lower-cased): with
    ``prefix = "Product::"`` the label ``Product::Search`` gives the area
    ``search``. One rule covers a scoped-label family, values added later
    included. Its fields default to :data:`PREFIX_RULE_FIELDS`.

    Parameters
    ----------
    area : str, optional
        The area a pattern rule gives (not for a capture rule).
    patterns : tuple of str
        A pattern rule's regular expressions.
    fields : tuple of str, optional
        The ticket fields looked at, in order (see :data:`AREA_RULE_FIELDS`);
        by default all of them for a pattern rule, :data:`PREFIX_RULE_FIELDS`
        for a capture rule.
    prefix : str, optional
        A capture rule's prefix.

    Examples
    --------
    >>> from calibrate.config import AreaRule
    >>> AreaRule("research", ("^spike$",)).area_of("Spike")
    'research'
    >>> rule = AreaRule(prefix="Product::")
    >>> rule.area_of("Product::Search"), rule.area_of("Type::Bug"), rule.fields
    ('search', None, ('labels', 'components'))
    """

    area: str | None = None
    patterns: tuple[str, ...] = ()
    fields: tuple[str, ...] | None = None
    prefix: str | None = None

    def __post_init__(self) -> None:
        capture = self.prefix is not None
        if capture == (self.area is not None) or capture == bool(self.patterns) \
                or (capture and not self.prefix.strip()):
            raise ValueError("an area rule has either an area and patterns, or a non-empty "
                             f"prefix; got area={self.area!r}, patterns={self.patterns!r}, "
                             f"prefix={self.prefix!r}")
        if self.fields is None:
            object.__setattr__(self, "fields", PREFIX_RULE_FIELDS if capture
                               else AREA_RULE_FIELDS)

    @property
    def regex(self) -> re.Pattern:
        """The compiled rule: the patterns joined, or the prefix with the value captured."""
        if self.prefix is not None:
            return re.compile(rf"^\s*{re.escape(self.prefix.strip())}\s*(\S.*?)\s*$",
                              re.IGNORECASE | re.DOTALL)
        return re.compile("|".join(f"(?:{p})" for p in self.patterns), re.IGNORECASE)

    def area_of(self, value: str) -> str | None:
        """The area this rule gives a ticket with this one value (one label,
        one component, ...), or None when the rule does not match it."""
        if self.prefix is None:
            return self.area if self.regex.search(value) else None
        match = self.regex.match(value)
        return None if match is None else " ".join(match[1].split()).lower()


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
    #: ``[areas] classify``: give the tickets no rule decided an area from
    #: their title and description (:func:`calibrate.areas.classify_areas`).
    area_classify: bool = False
    #: ``[areas] classify_threshold``: the least probability of the
    #: classifier's area for it to be used; below it, the default area.
    area_classify_threshold: float = DEFAULT_CLASSIFY_THRESHOLD
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
    #: ``[skills] levels``: the scale of declared levels, lowest first.
    skill_levels: tuple[str, ...] = DEFAULT_LEVELS
    #: ``[skills] file``: a skills CSV (:func:`calibrate.io.skills.read_skills`),
    #: relative to the settings file's folder; None: none.
    skills_file: str | None = None
    #: ``[skills.engineers]``: profiles given in the settings file, engineer ->
    #: {area: level, ``start_date``: date} (see :func:`calibrate.io.skills.skills_from_config`).
    skill_profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: ``[people] names``: the name to use for a name an export gives
    #: (exports name one person differently: Linear by e-mail, GitLab by
    #: username, Jira by display name), compared without regard to case or
    #: spacing (:func:`person_key`); see :func:`calibrate.io.read_export`.
    people_names: dict[str, str] = field(default_factory=dict)

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
    "areas": {"column", "default", "rules", "classify", "classify_threshold"},
    "points": {"scale", "column"},
    "statuses": {"in_progress", "done", "not_finished_resolutions", "start_column"},
    "columns": set(),  # free mapping, checked by the generic reader
    "model": {"lead_cap_days"},
    "durations": {"minimum_days", "closed_within_minutes"},
    "skills": {"levels", "file", "engineers"},
    "people": {"names"},
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
    classify, classify_threshold = _classify(settings)
    skill_levels, skills_file, skill_profiles = _skills(settings)
    people_names = _people_names(settings)
    config = Config(
        calendar=_calendar(settings, extra_holidays),
        area_column=settings.text("areas", "column"),
        area_default=settings.text("areas", "default") or "general",
        area_rules=rules,
        area_classify=classify,
        area_classify_threshold=classify_threshold,
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
        skill_levels=skill_levels,
        skills_file=skills_file,
        skill_profiles=skill_profiles,
        people_names=people_names,
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


_RULE_KEYS = ("area", "patterns", "fields", "prefix")


def _area_rule(settings: _Settings, key: str, rule: Any) -> AreaRule | None:
    """One ``[[areas.rules]]`` table, or None (reported) when it is not usable."""
    if not isinstance(rule, dict) or not (isinstance(rule.get("area"), str)
                                          or isinstance(rule.get("prefix"), str)):
        settings.bad(key, "each rule needs an 'area' string and a 'patterns' list, or a "
                     "'prefix' string (a capture rule)", value=rule)
        return None
    capture = "prefix" in rule
    if capture and ("area" in rule or "patterns" in rule):
        settings.bad(key, "a rule has either 'area' and 'patterns', or 'prefix' (the area is "
                     "then the value after the prefix), not both",
                     value=sorted(k for k in rule if k in _RULE_KEYS))
        return None
    if capture and not rule["prefix"].strip():
        settings.bad(f"{key}.prefix", "must not be empty (e.g. \"Product::\")",
                     value=rule["prefix"])
        return None
    if not capture and not rule["area"].strip():
        # Would reach the ticket table as an empty area, blamed on the export's rows.
        settings.bad(f"{key}.area", "must name an area (it is empty)", value=rule["area"])
        return None
    patterns = rule.get("patterns", [])
    if isinstance(patterns, str):
        patterns = [patterns]
    if not capture and (not patterns or not all(isinstance(p, str) for p in patterns)):
        settings.bad(key, "'patterns' must be a non-empty list of strings", value=patterns)
        return None
    rule_fields = rule.get("fields", list(PREFIX_RULE_FIELDS if capture else AREA_RULE_FIELDS))
    if isinstance(rule_fields, str):
        rule_fields = [rule_fields]
    unknown = [f for f in rule_fields if f not in AREA_RULE_FIELDS]
    if unknown or not rule_fields:
        guess = _did_you_mean(unknown[0], AREA_RULE_FIELDS) if unknown else ""
        settings.bad(key, f"unknown field in 'fields'{guess}" if unknown else
                     "'fields' is empty", value=unknown or rule_fields,
                     expected=f"any of {', '.join(AREA_RULE_FIELDS)}")
        return None
    extra_keys = set(rule) - set(_RULE_KEYS)
    if extra_keys:
        guess = _did_you_mean(sorted(map(str, extra_keys))[0], _RULE_KEYS)
        settings.bad(key, f"unknown key in rule{guess}", value=sorted(extra_keys),
                     expected=", ".join(_RULE_KEYS))
    try:
        compiled = (AreaRule(prefix=rule["prefix"], fields=tuple(rule_fields)) if capture
                    else AreaRule(rule["area"], tuple(patterns), tuple(rule_fields)))
        compiled.regex  # noqa: B018 - compile now so a bad pattern is reported here
    except re.error as error:
        settings.bad(key, f"pattern is not a valid regular expression ({error})", value=patterns)
        return None
    return compiled


def _skills(settings: _Settings) -> tuple[tuple[str, ...], str | None, dict[str, dict]]:
    """``[skills]``: the scale, the file and the profiles given inline (each
    bad one reported; the defaults used)."""
    section = settings.section("skills")
    levels = section.get("levels", list(DEFAULT_LEVELS))
    folded = [str(v).strip().casefold() for v in levels] if isinstance(levels, list) else []
    if (not isinstance(levels, list) or len(levels) < 2
            or not all(isinstance(v, str) and v.strip() for v in levels)
            or len(set(folded)) != len(folded) or UNDECLARED in folded):
        settings.bad("skills.levels", "must list two or more distinct level names, lowest "
                     f"first (and not {UNDECLARED!r})", value=levels,
                     expected='e.g. ["basic", "proficient", "strong"]')
        levels = list(DEFAULT_LEVELS)
    scale = tuple(v.strip() for v in levels)
    known = {v.casefold(): v for v in scale}
    skills_file = settings.text("skills", "file")
    engineers = section.get("engineers", {})
    if not isinstance(engineers, dict):
        settings.bad("skills.engineers", "must be a table of [skills.engineers.\"NAME\"] tables",
                     value=engineers)
        engineers = {}
    profiles: dict[str, dict] = {}
    for engineer, entries in engineers.items():
        key = f"skills.engineers.{engineer}"
        if not isinstance(entries, dict):
            settings.bad(key, "must be a table of area = level (and start_date = a date)",
                         value=entries)
            continue
        profile: dict[str, Any] = {}
        for area, value in entries.items():
            if area == START_DATE_KEY:
                day = value if isinstance(value, dt.date) else _iso_date(value)
                if day is None:
                    settings.bad(f"{key}.{area}", "not a date", value=value,
                                 expected="YYYY-MM-DD")
                else:
                    profile[area] = day
            elif not isinstance(value, str) or value.strip().casefold() not in known:
                settings.bad(f"{key}.{area}", "level not on the scale" +
                             _did_you_mean(str(value), known), value=value,
                             expected=f"one of {', '.join(scale)}")
            else:
                profile[area] = known[value.strip().casefold()]
        profiles[str(engineer)] = profile
    return scale, skills_file, profiles


def person_key(name: str) -> str:
    """A person's name as ``[people] names`` compares it: case-folded, runs
    of whitespace as one space, no spaces at the ends.

    Examples
    --------
    >>> from calibrate.config import person_key
    >>> person_key("  Priya.Raman@Example.com ") == person_key("priya.raman@example.com")
    True
    """
    return " ".join(str(name).split()).casefold()


def _people_names(settings: _Settings) -> dict[str, str]:
    """``[people] names``: export name -> the name kept (each bad entry
    reported). A name kept must not itself be renamed: one step, no chains."""
    names = settings.section("people").get("names", {})
    if not isinstance(names, dict):
        settings.bad("people.names", "must be a table of \"name in an export\" = \"name to use\"",
                     value=names, expected='e.g. { "priya@example.com" = "Priya Raman" }')
        return {}
    mapped: dict[str, str] = {}
    for given, kept in names.items():
        if not isinstance(kept, str) or not kept.strip() or not str(given).strip():
            settings.bad(f"people.names.{given}", "must map a name to a non-empty name",
                         value=kept)
            continue
        key = person_key(given)
        if key in mapped and mapped[key] != kept.strip():
            settings.bad(f"people.names.{given}", "the same name (ignoring case and spaces) "
                         f"is mapped twice, to {mapped[key]!r} and {kept.strip()!r}", value=kept)
            continue
        mapped[key] = kept.strip()
    for kept in sorted(set(mapped.values())):
        onward = mapped.get(person_key(kept))
        if onward is not None and person_key(onward) != person_key(kept):
            settings.bad(f"people.names.{kept}", f"{kept!r} is a name kept for another "
                         f"name, and is itself mapped to {onward!r}", value=onward,
                         expected=f"map every name straight to the one kept ({onward!r})")
    return mapped


def _iso_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _classify(settings: _Settings) -> tuple[bool, float]:
    """``[areas] classify`` and ``classify_threshold`` (a bad one is reported
    and its default used)."""
    areas = settings.section("areas")
    classify = areas.get("classify", False)
    if not isinstance(classify, bool):
        settings.bad("areas.classify", "must be true or false", value=classify)
        classify = False
    threshold = areas.get("classify_threshold", DEFAULT_CLASSIFY_THRESHOLD)
    if not _is_number(threshold) or not 0 <= threshold < 1:
        settings.bad("areas.classify_threshold",
                     "must be a probability from 0 (always use the classifier's area) to "
                     "below 1", value=threshold)
        threshold = DEFAULT_CLASSIFY_THRESHOLD
    return classify, float(threshold)


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


# ------------------------------------------------------------------- starter file


def starter_config(table: TicketTable, schemes: Sequence[AreaScheme] = (), *,
                   alternatives: int = 3, name: str = "calibrate.toml",
                   base: Config | None = None) -> str:
    """A commented ``calibrate.toml`` for an export, as ``calibrate init`` writes it.

    The calendar's weekend is the days on which the export's tickets were
    rarely created or finished; the statuses are the in-progress and done
    names the export uses (for GitLab, also the values of its workflow
    labels); the area rules are those of the first scheme, the next
    ``alternatives`` following, commented out. Everything else is left at
    its default, with a comment saying what to set.

    Parameters
    ----------
    table : TicketTable
        The export, read with the defaults (its kept and excluded rows are
        both looked at).
    schemes : sequence of AreaScheme
        From :func:`calibrate.areas.propose_area_schemes`, best first.
    alternatives : int
        How many other schemes to add, commented out.
    name : str
        The file's name, for the command its header suggests.
    base : Config, optional
        The settings the export was read with (``calibrate init
        --config``): everything but the area rules and ``classify`` is
        carried over (the ``[columns]`` of a generic CSV, the points scale,
        the calendar, ...), so that the new file reads the export as the old
        one did.

    Returns
    -------
    str
        TOML text that :func:`load_config` reads without error.

    Examples
    --------
    >>> import tomllib
    >>> from calibrate import read_export
    >>> from calibrate.areas import propose_area_schemes
    >>> from calibrate.config import config_from_dict, starter_config
    >>> table = read_export("data/sample/linear_export.csv")
    >>> text = starter_config(table, propose_area_schemes(table.tickets))
    >>> config = config_from_dict(tomllib.loads(text))
    >>> [rule.area for rule in config.area_rules], config.calendar.weekend
    (['ml-eng', 'pipeline', 'experiment'], ('Sat', 'Sun'))
    """
    rows = pd.concat([table.tickets, table.excluded], ignore_index=True)
    tickets = table.tickets
    lines = [
        f"# calibrate.toml for {Path(str(table.path)).name}, written by `calibrate init` from "
        f"what the export holds",
        f"# ({table.source_format}: {table.rows_read} rows, {len(tickets)} tickets kept). "
        "Check each section, then run",
        f"#   calibrate report {Path(str(table.path)).name} --config {name} --out report/",
        "# Settings left out keep their defaults (the README's \"Configuration\" lists them).",
        "",
    ]
    base = base or Config()
    lines += _starter_calendar(rows, table.source_format, base)
    lines += _starter_areas(tickets, list(schemes), alternatives, base)
    lines += _starter_statuses(rows, base)
    lines += _starter_points(table, base)
    lines += _starter_model(tickets, base)
    lines += _starter_carried(base)
    return "\n".join(lines).rstrip() + "\n"


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: A weekday with fewer events than this share of the median day's is a
#: weekend day (teams do a little work on weekends; a working day has many).
_QUIET_DAY = 0.25
#: Fewer events than this tell nothing about the week.
_FEW_EVENTS = 50


#: The clock each reader's times are on before ``[calendar] timezone`` applies.
_EXPORT_CLOCKS = {"jira_csv": "the exporting user's local time",
                  "generic_csv": "as the export wrote them"}


def _starter_calendar(rows: pd.DataFrame, source_format: str, base: Config) -> list[str]:
    events = pd.concat([rows["created_at"], rows["finished_at"]]).dropna()
    calendar = base.calendar
    lines = ["[calendar]"]
    counts = events.dt.day_of_week.value_counts().reindex(range(7), fill_value=0)
    seen = ", ".join(f"{_DAYS[day]} {int(counts[day])}" for day in range(7))
    weekend = list(calendar.weekend)
    if len(events) >= _FEW_EVENTS:
        quiet = [_DAYS[day] for day in range(7) if counts[day] < _QUIET_DAY * counts.median()]
        lines.append(f"# Tickets created or finished per weekday: {seen}.")
        if calendar.weekend != WorkCalendar().weekend:
            lines.append("# The weekend of the settings the export was read with is kept.")
        elif quiet and len(quiet) < 7:
            weekend = quiet
        else:
            lines.append("# No day of the week is quiet: the default weekend is kept.")
    else:
        lines.append(f"# Too few tickets to see the team's week ({seen}): the weekend is kept.")
    lines.append(f"weekend = [{', '.join(_toml_string(day) for day in weekend)}]")
    hours = events.dt.hour.value_counts().reindex(range(24), fill_value=0)
    if len(events) >= _FEW_EVENTS:
        # The busiest eight hours, on a clock that wraps around midnight.
        totals = [sum(hours[(start + h) % 24] for h in range(8)) for start in range(24)]
        start = int(np.argmax(totals))
        clock = (f"the team's clock, {calendar.timezone}" if calendar.timezone != "UTC" else
                 f"read as UTC; the export's clock: {_EXPORT_CLOCKS.get(source_format, 'UTC')}")
        lines.append(f"# Most tickets were created or finished between {start:02d}:00 and "
                     f"{(start + 8) % 24:02d}:00 ({clock}).")
    lines.append("# The team's time zone; durations count working days on its wall clock:")
    lines.append(f"timezone = {_toml_string(calendar.timezone)}" if calendar.timezone != "UTC"
                 else '# timezone = "Europe/Berlin"')
    lines.append("# Public holidays of a country (ISO code) are not working days; also company "
                 "days off:")
    lines.append(f"country = {_toml_string(calendar.country)}" if calendar.country
                 else '# country = "DE"')
    if calendar.subdivision:
        lines.append(f"subdivision = {_toml_string(calendar.subdivision)}")
    holidays = ", ".join(day.isoformat() for day in calendar.extra_holidays)  # TOML dates
    lines.append(f"extra_holidays = [{holidays}]" if holidays
                 else '# extra_holidays = ["2024-12-24"]')
    lines.append("")
    return lines


def _starter_areas(tickets: pd.DataFrame, schemes: list, alternatives: int,
                   base: Config) -> list[str]:
    lines = ["[areas]", f"default = {_toml_string(base.area_default)}     # the area of a "
             "ticket no rule matches"]
    if base.area_column:
        lines.append(f"column = {_toml_string(base.area_column)}     # names the area directly")
    lines += ["# Give the tickets no rule matches an area from their title and description, "
              "when a"]
    lines += [
        "# text classifier trained on the tickets the rules decided is this sure (the reading",
        "# notes show its cross-validated accuracy):",
        "# classify = true",
        "# classify_threshold = 0.6",
    ]
    if not schemes:
        lines += [
            "# No labels, components, issue types or epics split these tickets into areas of",
            "# several tickets each. Write rules of your own; the first that matches decides:",
            "# [[areas.rules]]",
            '# area = "research"',
            '# patterns = ["^research$", "spike"]     # case-insensitive regular expressions',
            '# fields = ["labels", "title"]',
            "",
        ]
        return lines
    best, others = schemes[0], schemes[1:1 + alternatives]
    lines += ["#", f"# Proposed: {_scheme_words(best, len(tickets))}"]
    lines += [f"#   {line}" for line in _scheme_areas(best)]
    lines += ["# Rules are tried in order; the first that matches a ticket decides its area.", ""]
    lines += _small_areas_rule(best)
    lines += _rule_lines(best.rules)
    for scheme in others:
        lines += ["", f"# Or instead: {_scheme_words(scheme, len(tickets))}"]
        lines += [f"#   {line}" for line in _scheme_areas(scheme)]
        lines += [f"# {line}" if line else "#" for line in _rule_lines(scheme.rules)]
    lines.append("")
    return lines


def _small_areas_rule(scheme) -> list[str]:
    """For a capture rule that makes small areas: a rule, commented out, that
    keeps them in the default area instead."""
    captures = [rule for rule in scheme.rules if rule.prefix is not None]
    if len(captures) != 1 or not scheme.small:
        return []
    rule = captures[0]
    values = "|".join(_regex_literal(area) for area in scheme.small)
    pattern = f"^{_regex_literal(rule.prefix.strip())}\\s*({values})$"
    return ["# To keep the areas with few tickets in the default area instead, uncomment:",
            "# [[areas.rules]]", '# area = "general"', f"# patterns = [{_toml_string(pattern)}]",
            f"# fields = [{', '.join(_toml_string(f) for f in rule.fields)}]"]


_REGEX_SPECIAL = re.compile(r"([.^$*+?{}\[\]\\|()])")


def _regex_literal(value: str) -> str:
    """A regular expression matching ``value`` literally; only regex syntax
    is escaped, so that the pattern stays readable in a settings file.

    Examples
    --------
    >>> from calibrate.config import _regex_literal
    >>> print(_regex_literal("Pajamas UI Kit (v2)"))
    Pajamas UI Kit \\(v2\\)
    """
    return _REGEX_SPECIAL.sub(r"\\\1", value)


def _scheme_words(scheme, n: int) -> str:
    adequate = (scheme.counts >= 1).sum() - len(scheme.small)
    p_value = "" if math.isnan(scheme.p_value) else \
        f"; durations differ between them with Kruskal-Wallis p = {scheme.p_value:.2g}"
    return (f"{scheme.description} -- {scheme.coverage:.0%} of {n} tickets in {adequate} "
            f"areas{p_value}")


def _scheme_areas(scheme) -> list[str]:
    parts = [f"{area} {int(count)} ({_median_words(scheme.median_days.get(area))})"
             for area, count in scheme.counts.items()]
    rest = int(scheme.areas.isna().sum())
    lines = [", ".join(parts[i:i + 3]) for i in range(0, len(parts), 3)]
    if rest:
        lines.append(f"no rule matches {rest} ticket(s): the default area "
                     f"({_median_words(scheme.median_days.get(None))})")
    if scheme.small:
        lines.append(f"areas with few tickets ({', '.join(scheme.small)}): the model pools "
                     "their slope and noise with the others")
    return [f"tickets (median working days of the finished ones): {lines[0]}", *lines[1:]] \
        if lines else []


def _median_words(days) -> str:
    return "no finished tickets" if days is None or math.isnan(days) else f"{days:.3g} days"


def _rule_lines(rules: Sequence[AreaRule]) -> list[str]:
    lines: list[str] = []
    for rule in rules:
        lines.append("[[areas.rules]]")
        if rule.prefix is not None:
            lines.append(f"prefix = {_toml_string(rule.prefix)}    # the area is the value "
                         "after it")
        else:
            lines.append(f"area = {_toml_string(rule.area)}")
            lines.append(f"patterns = [{', '.join(_toml_string(p) for p in rule.patterns)}]")
        lines.append(f"fields = [{', '.join(_toml_string(f) for f in rule.fields)}]")
    return lines


def _starter_statuses(rows: pd.DataFrame, base: Config) -> list[str]:
    """The statuses the export uses, and the values of workflow labels."""
    from calibrate.areas import find_area_candidates

    names = rows["status"].dropna().astype(str).value_counts()
    candidates = find_area_candidates(rows, fields=("labels",))
    workflow = candidates[(candidates["kind"] == "scoped") & (candidates["role"] == "status")]
    defaults = base
    values = {label.rsplit(":", 1)[-1].strip(): int(n)
              for label, n in zip(workflow["candidate"], workflow["tickets"], strict=True)}
    seen = {**{str(k): int(v) for k, v in names.items()}, **values}
    folded = {fold_name(name) for name in seen}
    # The names seen first, then the defaults not seen: a status the export
    # does not show now (a Jira changelog's "In Progress") still counts.
    started = [name for name in seen if defaults.is_in_progress_status(name)]
    started += [name for name in base.in_progress_statuses if fold_name(name) not in folded]
    done = [name for name in names.index if defaults.is_done_status(name)]
    done += [name for name in base.done_statuses if fold_name(name) not in folded]
    other = [name for name in seen if not (defaults.is_in_progress_status(name)
                                           or defaults.is_done_status(name)
                                           or defaults.is_not_finished_resolution(name))]
    lines = ["[statuses]"]
    if len(names):
        lines.append("# Statuses seen: " + ", ".join(f"{k} {v}" for k, v in names.items()))
    if values:
        lines += _wrapped("# Workflow labels seen: ", [
            f"{label} {n}" for label, n in zip(workflow["candidate"], workflow["tickets"],
                                               strict=True)])
    if other:
        lines += _wrapped("# Neither started nor done (add those that mean work has begun to "
                          "in_progress): ", other)
    lines += ["# Work starts at the first move into one of these (a scoped label counts by its "
              "value:",
              "# workflow::doing is \"doing\"); an open ticket in none of them has not started.",
              *_wrapped("in_progress = [", [_toml_string(s) for s in started], end="]"),
              *_wrapped("done = [", [_toml_string(s) for s in done], end="]")]
    if base.not_finished_resolutions != DEFAULT_NOT_FINISHED:
        lines += _wrapped("not_finished_resolutions = [",
                          [_toml_string(s) for s in base.not_finished_resolutions], end="]")
    if base.start_column:
        lines.append(f"start_column = {_toml_string(base.start_column)}")
    lines.append("")
    return lines


def _wrapped(head: str, items: Sequence[str], end: str = "", width: int = 96) -> list[str]:
    """``head`` and the items, comma-separated, over lines of at most ``width``
    (a comment's continuation lines start with ``#   ``)."""
    indent = "#   " if head.startswith("#") else "    "
    lines, line = [], head
    for position, item in enumerate(items):
        piece = item + ("," if position < len(items) - 1 else end)
        if len(line) + len(piece) + 1 > width and line.strip() not in (head.strip(), ""):
            lines.append(line.rstrip())
            line = indent
        line += piece if line.endswith(("[", " ")) else " " + piece
    lines.append(line.rstrip() + ("" if items else end))
    return lines


_INVALID_ESTIMATE = re.compile(r"^estimate (?P<value>'.*'|\".*\") is not")


def _starter_points(table: TicketTable, base: Config) -> list[str]:
    """The points settings read with, and a scale to fill in when estimates
    were sizes rather than numbers."""
    lines = []
    if base.points_column:
        lines.append(f"column = {_toml_string(base.points_column)}")
    if base.points_scale:
        lines.append("scale = { " + ", ".join(f"{_toml_key(size)} = {points!r}" for size, points
                                              in base.points_scale.items()) + " }")
    excluded = table.excluded
    invalid = excluded.loc[excluded["reason"] == "invalid points", "detail"].dropna()
    # Sizes are matched ignoring case: one entry per size, as first spelt.
    sizes: dict[str, tuple[str, int]] = {}
    for detail in invalid:
        match = _INVALID_ESTIMATE.match(str(detail))
        size = match["value"][1:-1].strip() if match else ""
        if size:
            spelling, count = sizes.get(size.lower(), (size, 0))
            sizes[size.lower()] = (spelling, count + 1)
    if sizes:
        ordered = sorted(sizes.values(), key=lambda item: -item[1])
        shown = ", ".join(f"{size} {n}" for size, n in ordered)
        lines += [f"# Estimates that are not numbers ({shown}) were left out; give each its "
                  "points", "# (a scale replaces the one above):",
                  "# scale = { " + ", ".join(f"{_toml_key(size)} = 1" for size, _ in ordered)
                  + " }"]
    return ["[points]", *lines, ""] if lines else []


def _starter_model(tickets: pd.DataFrame, base: Config) -> list[str]:
    if base.lead_cap_days is not None:
        return ["[model]", f"lead_cap_days = {base.lead_cap_days!r}", ""]
    if not len(tickets) or not (tickets["clock"] == "lead").all():
        return []
    return ["[model]",
            "# Every duration is lead time (created to done: the export has no start of work),",
            "# which is not judged against the team's cap on work time. To judge it against a",
            "# lead-time cap of your own, in working days:",
            "# lead_cap_days = 10",
            "# (A history with status changes gives cycle time: Jira's changelog, or the README's",
            "# \"Getting started with your own data\".)", ""]


def _starter_carried(base: Config) -> list[str]:
    """The ``[durations]`` and ``[columns]`` settings the export was read with."""
    lines = []
    durations = []
    if base.minimum_duration_days != Config().minimum_duration_days:
        durations.append(f"minimum_days = {base.minimum_duration_days!r}")
    if base.closed_within_minutes != DEFAULT_CLOSED_WITHIN_MINUTES:
        durations.append(f"closed_within_minutes = {base.closed_within_minutes!r}")
    if durations:
        lines += ["[durations]", *durations, ""]
    if base.columns:
        lines += ["[columns]", *(f"{_toml_key(key)} = {_toml_string(value)}"
                                 for key, value in base.columns.items()), ""]
    return lines


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _toml_string(key)


def _toml_string(text: str) -> str:
    """``text`` as a TOML string: a literal string (no escapes, so regular
    expressions stay readable) when it can be one, else a basic string.

    Examples
    --------
    >>> from calibrate.config import _toml_string
    >>> print(_toml_string(r"^ml\\.eng$"), _toml_string("won't"))
    '^ml\\.eng$' "won't"
    """
    if "'" not in text and not any(ord(c) < 32 or ord(c) == 127 for c in text if c != "\t"):
        return f"'{text}'"
    escaped = []
    for char in text:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 32 or ord(char) == 127:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'

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
silently).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from calibrate.durations import WorkCalendar
from calibrate.errors import InputError, Problem

__all__ = ["AreaRule", "Config", "load_config"]

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

    def is_not_finished_resolution(self, resolution: str) -> bool:
        """Whether a resolution means the ticket was closed without the work done."""
        wanted = {_fold(r) for r in self.not_finished_resolutions}
        return _fold(resolution) in wanted


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


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
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError(f"Config file {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InputError(
            f"Config file {path} is not valid TOML: {error}",
            hint="See the README's configuration section for an example.",
        ) from None
    return config_from_dict(raw, origin=str(path))


def config_from_dict(raw: dict, origin: str = "config") -> Config:
    """Build a :class:`Config` from parsed TOML (a nested dict)."""
    problems: list[Problem] = []

    def bad(key: str, message: str, value: Any = None, expected: str | None = None) -> None:
        problems.append(Problem(message, file=origin, column=key, value=value, expected=expected))

    for section, content in raw.items():
        if section not in _SCHEMA:
            bad(section, "unknown section", expected=f"one of {', '.join(sorted(_SCHEMA))}")
            continue
        if not isinstance(content, dict):
            bad(section, "a section must be a table", value=content)
            continue
        if section == "columns":
            continue
        for key in content:
            if key not in _SCHEMA[section]:
                bad(f"{section}.{key}", "unknown setting",
                    expected=f"one of {', '.join(sorted(_SCHEMA[section]))}")

    def section(name: str) -> dict:
        # A section that is not a table was reported above; read it as empty.
        content = raw.get(name, {})
        return content if isinstance(content, dict) else {}

    def text_list(section_name: str, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = section(section_name).get(key)
        if value is None:
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            bad(f"{section_name}.{key}", "must be a list of strings", value=value)
            return default
        return tuple(value)

    def text(section_name: str, key: str) -> str | None:
        value = section(section_name).get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            bad(f"{section_name}.{key}", "must be a string", value=value)
            return None
        return value

    extra: list[dt.date] = []
    holidays_setting = section("calendar").get("extra_holidays", [])
    if not isinstance(holidays_setting, list):
        bad("calendar.extra_holidays", "must be a list of dates", value=holidays_setting)
        holidays_setting = []
    for value in holidays_setting:
        if isinstance(value, dt.date):
            extra.append(value)
            continue
        try:
            extra.append(dt.date.fromisoformat(str(value)))
        except ValueError:
            bad("calendar.extra_holidays", "not a date", value=value, expected="YYYY-MM-DD")

    rules: list[AreaRule] = []
    raw_rules = section("areas").get("rules", [])
    if not isinstance(raw_rules, list):
        bad("areas.rules", "must be a list of [[areas.rules]] tables", value=raw_rules)
        raw_rules = []
    for index, rule in enumerate(raw_rules, start=1):
        key = f"areas.rules[{index}]"
        if not isinstance(rule, dict) or not isinstance(rule.get("area"), str):
            bad(key, "each rule needs an 'area' string and a 'patterns' list", value=rule)
            continue
        patterns = rule.get("patterns", [])
        if isinstance(patterns, str):
            patterns = [patterns]
        if not patterns or not all(isinstance(p, str) for p in patterns):
            bad(key, "'patterns' must be a non-empty list of strings", value=patterns)
            continue
        rule_fields = rule.get("fields", list(AREA_RULE_FIELDS))
        if isinstance(rule_fields, str):
            rule_fields = [rule_fields]
        unknown = [f for f in rule_fields if f not in AREA_RULE_FIELDS]
        if unknown:
            bad(key, "unknown field in 'fields'", value=unknown,
                expected=f"any of {', '.join(AREA_RULE_FIELDS)}")
            continue
        extra_keys = set(rule) - {"area", "patterns", "fields"}
        if extra_keys:
            bad(key, "unknown key in rule", value=sorted(extra_keys),
                expected="area, patterns, fields")
        try:
            compiled = AreaRule(rule["area"], tuple(patterns), tuple(rule_fields))
            compiled.regex  # noqa: B018 - compile now so a bad pattern is reported here
        except re.error as error:
            bad(key, f"pattern is not a valid regular expression ({error})", value=patterns)
            continue
        rules.append(compiled)

    scale: dict[str, float] = {}
    raw_scale = section("points").get("scale", {})
    if not isinstance(raw_scale, dict):
        bad("points.scale", "must be a table of size = points", value=raw_scale)
        raw_scale = {}
    for name, value in raw_scale.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            bad(f"points.scale.{name}", "must be a non-negative number", value=value)
        else:
            scale[str(name).strip().lower()] = float(value)

    columns = section("columns")
    if not all(isinstance(v, str) for v in columns.values()):
        bad("columns", "each mapping must be 'canonical_name = \"Export column\"'", value=columns)
        columns = {}

    minimum = section("durations").get("minimum_days", 1 / 24)
    if isinstance(minimum, bool) or not isinstance(minimum, int | float) or not 0 < minimum < 1:
        bad("durations.minimum_days", "must be a number between 0 and 1", value=minimum)
        minimum = 1 / 24
    closed_within = section("durations").get("closed_within_minutes",
                                             DEFAULT_CLOSED_WITHIN_MINUTES)
    if (isinstance(closed_within, bool) or not isinstance(closed_within, int | float)
            or not 0 <= closed_within <= MAXIMUM_CLOSED_WITHIN_MINUTES):
        bad("durations.closed_within_minutes",
            f"must be a number of minutes from 0 (keep every ticket) to "
            f"{MAXIMUM_CLOSED_WITHIN_MINUTES} (one day)", value=closed_within)
        closed_within = DEFAULT_CLOSED_WITHIN_MINUTES

    lead_cap = section("model").get("lead_cap_days")
    if lead_cap is not None and (isinstance(lead_cap, bool) or not isinstance(lead_cap, int | float)
                                 or not lead_cap > 0):
        bad("model.lead_cap_days", "must be a number of working days > 0", value=lead_cap)
        lead_cap = None

    # The calendar checks itself; its problems join the others.
    calendar = WorkCalendar()
    try:
        calendar = WorkCalendar(
            country=text("calendar", "country"),
            subdivision=text("calendar", "subdivision"),
            weekend=text_list("calendar", "weekend", ("Sat", "Sun")),
            extra_holidays=tuple(extra),
            timezone=text("calendar", "timezone") or "UTC",
        )
    except InputError as error:
        problems.extend(replace(p, file=origin) for p in error.problems)

    config = Config(
        calendar=calendar,
        area_column=text("areas", "column"),
        area_default=text("areas", "default") or "general",
        area_rules=tuple(rules),
        points_scale=scale,
        points_column=text("points", "column"),
        in_progress_statuses=text_list("statuses", "in_progress", DEFAULT_IN_PROGRESS),
        done_statuses=text_list("statuses", "done", DEFAULT_DONE),
        not_finished_resolutions=text_list(
            "statuses", "not_finished_resolutions", DEFAULT_NOT_FINISHED
        ),
        start_column=text("statuses", "start_column"),
        columns=dict(columns),
        lead_cap_days=None if lead_cap is None else float(lead_cap),
        minimum_duration_days=float(minimum),
        closed_within_minutes=float(closed_within),
        source=origin,
    )
    if problems:
        raise InputError(f"The settings in {origin} are not valid", problems,
                         hint="See the README's configuration section.")
    return config


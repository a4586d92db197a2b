"""Declared skill profiles: each engineer's level per area, and start dates.

What a team knows or declares about its people — "strong in research, basic
in data engineering", "joined on 3 March" — as model input. A
:class:`SkillProfiles` holds, per engineer and area, a level on a small
ordinal scale (by default ``basic < proficient < strong``; the scale is
configurable, lowest first) and, per engineer, optionally the date they
started on the team. It computes nothing: the model
(:meth:`Calibrator.fit(tickets, skills=...) <calibrate.model.Calibrator.fit>`)
turns levels into a fixed effect per area and start dates into a ramp-up
term.

Names are matched as the readers normalise them: engineers and areas with
the spaces around them removed (``str.strip``), compared exactly; levels
ignoring case (``"Strong"`` is ``strong``). :meth:`SkillProfiles.check_against`
lists every engineer and area a ticket table does not know, with the
closest name it does know (the usual cause is a misspelling), and a
pseudonymised run maps the names with :meth:`SkillProfiles.pseudonymized`
and the same key.

Files: :func:`calibrate.io.skills.read_skills` reads the CSV layout, and the
``[skills]`` table of ``calibrate.toml`` holds the scale and, optionally, the
profiles themselves (:func:`calibrate.io.skills.skills_from_config`).

Examples
--------
>>> from calibrate.skills import SkillProfiles
>>> profiles = SkillProfiles.from_dict({
...     "Priya Raman": {"research": "Strong", "data-engineering": "basic",
...                     "start_date": "2024-03-04"},
...     "Tomás Ortega": {"research": "proficient"}})
>>> profiles.level_of("Priya Raman", "research")
'strong'
>>> profiles.start_dates["Priya Raman"].date().isoformat()
'2024-03-04'
>>> profiles.engineers
['Priya Raman', 'Tomás Ortega']
"""

from __future__ import annotations

import datetime as dt
import difflib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from calibrate.errors import InputError, Problem

__all__ = ["DEFAULT_LEVELS", "START_DATE_KEY", "UNDECLARED", "SkillProfiles"]

#: The default ordinal scale of declared levels, lowest first.
DEFAULT_LEVELS: tuple[str, ...] = ("basic", "proficient", "strong")

#: The key of an engineer's start date in :meth:`SkillProfiles.from_dict`
#: (and in the ``[skills.engineers]`` tables of ``calibrate.toml``): not an area.
START_DATE_KEY = "start_date"

#: The level category the model gives an engineer x area with tickets but no
#: declared level, in an area where others declared theirs.
UNDECLARED = "undeclared"


@dataclass(frozen=True)
class SkillProfiles:
    """Declared levels per engineer and area, and start dates per engineer.

    Parameters
    ----------
    levels : DataFrame
        Columns ``engineer``, ``area``, ``level``: one row per declaration.
        Names are stripped; a level is matched to ``scale`` ignoring case
        and stored as the scale spells it. A pair declared twice with the
        same level counts once.
    start_dates : mapping of str to date, optional
        When each engineer started on the team (a date, a
        :class:`pandas.Timestamp` or ISO text ``YYYY-MM-DD``); engineers
        without one are taken to have been on the team throughout the
        history (no ramp-up).
    scale : sequence of str
        The levels, lowest first (at least two, distinct ignoring case);
        default :data:`DEFAULT_LEVELS`.
    source : str, optional
        Where the profiles were read from, for messages.

    Attributes
    ----------
    levels : DataFrame
        ``engineer``, ``area``, ``level`` (str), sorted by engineer and area.
    start_dates : dict of str to Timestamp
        Midnight of each start date (the team's wall clock).
    scale : tuple of str

    Raises
    ------
    InputError
        Listing every level not on the scale, empty name, pair declared with
        two different levels, start date that is not a date, and a bad
        scale, together.

    Examples
    --------
    >>> import pandas as pd
    >>> from calibrate.skills import SkillProfiles
    >>> SkillProfiles(pd.DataFrame({"engineer": ["Ann"], "area": ["research"],
    ...                             "level": ["expert"]}))
    Traceback (most recent call last):
    ...
    calibrate.errors.InputError: invalid skill profiles
      - column 'level': level not on the scale (found 'expert'); expected one of basic, \
proficient, strong (lowest first)
    Levels go lowest first on the scale (see [skills] levels in calibrate.toml); dates as \
YYYY-MM-DD.
    """

    levels: pd.DataFrame
    start_dates: Mapping[str, Any] = field(default_factory=dict)
    scale: tuple[str, ...] = DEFAULT_LEVELS
    source: str | None = None

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        scale = tuple(str(level).strip() for level in self.scale)
        folded = [level.casefold() for level in scale]
        if len(scale) < 2 or len(set(folded)) != len(folded) or "" in scale:
            problems.append(Problem(
                "the scale of levels needs at least two distinct, non-empty names, lowest "
                "first", file=self.source, column="scale", value=list(self.scale),
                expected='e.g. ["basic", "proficient", "strong"]'))
        if UNDECLARED in folded:
            problems.append(Problem(f"{UNDECLARED!r} cannot be a level: it is the model's name "
                                    "for a missing declaration", file=self.source,
                                    column="scale", value=list(self.scale)))
        spelled = dict(zip(folded, scale, strict=True))
        levels = _declarations(self.levels, spelled, scale, self.source, problems)
        starts = _start_dates(self.start_dates, self.source, problems)
        if problems:
            raise InputError("invalid skill profiles", problems,
                             hint="Levels go lowest first on the scale (see [skills] levels in "
                                  "calibrate.toml); dates as YYYY-MM-DD.")
        object.__setattr__(self, "scale", scale)
        object.__setattr__(self, "levels", levels)
        object.__setattr__(self, "start_dates", starts)

    # -- construction -----------------------------------------------------
    @classmethod
    def from_dict(cls, profiles: Mapping[str, Mapping[str, Any]], *,
                  scale: Iterable[str] = DEFAULT_LEVELS,
                  source: str | None = None) -> SkillProfiles:
        """Profiles from ``{engineer: {area: level, ..., "start_date": date}}``.

        The shape of the ``[skills.engineers]`` tables of ``calibrate.toml``;
        the key :data:`START_DATE_KEY` holds the start date, every other key
        is an area.

        Examples
        --------
        >>> from calibrate.skills import SkillProfiles
        >>> SkillProfiles.from_dict({"Ann": {"research": "strong"}}).profile("Ann")
        {'research': 'strong'}
        """
        rows, starts = [], {}
        for engineer, entries in profiles.items():
            if not isinstance(entries, Mapping):
                raise InputError("invalid skill profiles", [Problem(
                    "an engineer's profile must be a table of area = level",
                    file=source, column=str(engineer), value=entries)])
            for key, value in entries.items():
                if key == START_DATE_KEY:
                    starts[str(engineer)] = value
                else:
                    rows.append((str(engineer), str(key), value))
        levels = pd.DataFrame(rows, columns=["engineer", "area", "level"])
        return cls(levels, starts, tuple(scale), source)

    # -- questions --------------------------------------------------------
    @property
    def engineers(self) -> list[str]:
        """Every engineer with a declared level or a start date, sorted."""
        return sorted(set(self.levels["engineer"]) | set(self.start_dates))

    @property
    def areas(self) -> list[str]:
        """Every area with a declared level, sorted."""
        return sorted(set(self.levels["area"]))

    def level_of(self, engineer: str, area: str) -> str | None:
        """The level ``engineer`` declared in ``area``, or None."""
        rows = self.levels[(self.levels["engineer"] == engineer) & (self.levels["area"] == area)]
        return None if rows.empty else str(rows["level"].iloc[0])

    def profile(self, engineer: str) -> dict[str, str]:
        """``{area: level}`` of one engineer (empty when they declared none)."""
        rows = self.levels[self.levels["engineer"] == engineer]
        return dict(zip(rows["area"], rows["level"], strict=True))

    def rank(self, level: str) -> int:
        """Position of a level on the scale, from 0 (the lowest)."""
        return self.scale.index(level)

    def to_frame(self) -> pd.DataFrame:
        """One tidy table: ``engineer``, ``area``, ``level``, ``start_date``
        (the layout :func:`calibrate.io.skills.read_skills` reads; an
        engineer with a start date and no level has one row with empty area
        and level)."""
        table = self.levels.copy()
        table["start_date"] = table["engineer"].map(self.start_dates)
        alone = sorted(set(self.start_dates) - set(table["engineer"]))
        extra = pd.DataFrame({"engineer": alone, "area": None, "level": None,
                              "start_date": [self.start_dates[e] for e in alone]})
        parts = [frame for frame in (table, extra) if len(frame)]
        if not parts:
            return pd.DataFrame(columns=["engineer", "area", "level", "start_date"])
        return pd.concat(parts, ignore_index=True).sort_values(
            ["engineer", "area"], na_position="first").reset_index(drop=True)

    # -- derived profiles -----------------------------------------------
    def subset(self, engineers: Iterable[str]) -> SkillProfiles:
        """The profiles of some engineers only (e.g. those of a training cut,
        or all but one engineer held out)."""
        keep = set(engineers)
        levels = self.levels[self.levels["engineer"].isin(keep)].reset_index(drop=True)
        starts = {e: d for e, d in self.start_dates.items() if e in keep}
        return replace(self, levels=levels, start_dates=starts)

    def pseudonymized(self, pseudonyms) -> SkillProfiles:
        """The profiles with names as :func:`calibrate.privacy.pseudonymize` gave them.

        Engineers the mapping knows get its pseudonym; others (a new hire
        not in the export) get the pseudonym of their name under the same
        key, so planning with the same key names them consistently. Areas
        are scrubbed as the ticket table's areas were (an area named after
        a person is renamed the same way).

        Parameters
        ----------
        pseudonyms : calibrate.privacy.Pseudonyms
            The mapping :func:`~calibrate.privacy.pseudonymize` returned.

        Examples
        --------
        >>> from calibrate import read_export
        >>> from calibrate.privacy import pseudonymize
        >>> from calibrate.skills import SkillProfiles
        >>> table = read_export("data/sample/jira_changelog.json")
        >>> private, mapping = pseudonymize(table, key="k")
        >>> profiles = SkillProfiles.from_dict({"Priya Raman": {"research": "strong"}})
        >>> renamed = profiles.pseudonymized(mapping).engineers[0]
        >>> renamed in set(private.tickets["engineer"])
        True
        """
        from calibrate.privacy import pseudonym

        used = set(pseudonyms.values())

        def rename(name: str) -> str:
            if name in pseudonyms:
                return pseudonyms[name]
            alias, extra = pseudonym(name, pseudonyms.key), 0
            while alias in used:  # the short digest collided: draw again, as pseudonymize does
                extra += 1
                alias = pseudonym(f"{name}\x00{extra}", pseudonyms.key)
            return alias

        names = {name: rename(name) for name in self.engineers}
        levels = self.levels.assign(engineer=self.levels["engineer"].map(names),
                                    area=self.levels["area"].map(pseudonyms.text))
        starts = {names[e]: d for e, d in self.start_dates.items()}
        return replace(self, levels=levels, start_dates=starts)

    # -- validation against tickets ---------------------------------------
    def check_against(self, tickets) -> None:
        """Every engineer and area of the profiles must be in the tickets.

        An engineer or area the tickets do not know is usually a misspelling
        (or another spelling than the export's): all of them are listed
        together, each with the closest known name. To predict someone with
        no tickets yet (a new hire), pass their profile to ``predict``
        instead (``profile=``), or drop them with :meth:`subset`.

        Parameters
        ----------
        tickets : TicketTable or DataFrame
            The canonical ticket table the profiles go with.

        Raises
        ------
        InputError
            Listing every unknown engineer and area.

        Examples
        --------
        >>> import pandas as pd
        >>> from calibrate.skills import SkillProfiles
        >>> tickets = pd.DataFrame({"engineer": ["Priya Raman"], "area": ["research"]})
        >>> SkillProfiles.from_dict({"Priya Ramen": {"reserch": "strong"}}).check_against(
        ...     tickets)
        Traceback (most recent call last):
        ...
        calibrate.errors.InputError: the skill profiles name 1 engineer and 1 area the \
tickets do not have
          - column 'engineer': engineer not in the tickets; did you mean 'Priya Raman'? \
(found 'Priya Ramen')
          - column 'area': area not in the tickets; did you mean 'research'? (found 'reserch')
        An engineer with no tickets yet (a new hire) is predicted from a profile passed to \
predict (profile=...), not fitted: leave them out of the fitted profiles \
(SkillProfiles.subset).
        """
        table = getattr(tickets, "tickets", tickets)
        # (Distinct values first: a history has millions of rows, a team a few names.)
        known_engineers = {str(name) for name in pd.unique(table["engineer"].dropna())}
        known_areas = {str(name) for name in pd.unique(table["area"].dropna())}
        engineers = [e for e in self.engineers if e not in known_engineers]
        areas = [a for a in self.areas if a not in known_areas]
        problems = [
            Problem(f"{what} not in the tickets{_did_you_mean(name, known)}", file=self.source,
                    column=what, value=name)
            for what, names, known in (("engineer", engineers, known_engineers),
                                       ("area", areas, known_areas))
            for name in names]
        if problems:
            counts = " and ".join(f"{len(names)} {what}{'s' if len(names) != 1 else ''}"
                                  for what, names in (("engineer", engineers), ("area", areas))
                                  if names)
            raise InputError(
                f"the skill profiles name {counts} the tickets do not have", problems,
                hint="An engineer with no tickets yet (a new hire) is predicted from a profile "
                     "passed to predict (profile=...), not fitted: leave them out of the "
                     "fitted profiles (SkillProfiles.subset).")


# ----------------------------------------------------------------- helpers


def _fold(name: str) -> str:
    """A name as compared for suggestions: case and accents ignored."""
    return "".join(c for c in unicodedata.normalize("NFKD", str(name))
                   if not unicodedata.combining(c)).casefold()


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the known name closest to ``name``, or ``""``."""
    folded = {_fold(k): k for k in sorted(known)}
    close = difflib.get_close_matches(_fold(name), list(folded), n=1, cutoff=0.6)
    return f"; did you mean {folded[close[0]]!r}?" if close else ""


def _text(value: Any) -> str | None:
    """A name stripped as the readers strip it; None when missing or empty."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def _declarations(levels: Any, spelled: dict[str, str], scale: tuple[str, ...],
                  source: str | None, problems: list[Problem]) -> pd.DataFrame:
    """The declarations, normalised and checked (problems collected). A
    ``source_row`` column, when there is one, numbers the problems."""
    frame = pd.DataFrame(levels)
    missing = [c for c in ("engineer", "area", "level") if c not in frame.columns]
    if missing:
        problems.append(Problem("declarations need engineer, area and level columns",
                                file=source, column=", ".join(missing)))
        return pd.DataFrame({"engineer": [], "area": [], "level": []}, dtype=object)
    row_of = (frame["source_row"] if "source_row" in frame
              else pd.Series([None] * len(frame), index=frame.index, dtype=object))
    seen: dict[tuple[str, str], str] = {}
    expected = f"one of {', '.join(scale)} (lowest first)"
    for engineer, area, level, row in zip(frame["engineer"], frame["area"], frame["level"],
                                          row_of, strict=True):
        row = None if row is None or pd.isna(row) else int(row)
        engineer, area, text = _text(engineer), _text(area), _text(level)
        if engineer is None or area is None:
            problems.append(Problem("a declaration needs an engineer and an area", file=source,
                                    row=row, column="engineer" if engineer is None else "area",
                                    value=level))
        elif text is None or text.casefold() not in spelled:
            problems.append(Problem("level not on the scale" if text else "no level",
                                    file=source, row=row, column="level", value=text,
                                    expected=expected))
        elif seen.setdefault((engineer, area), spelled[text.casefold()]) \
                != spelled[text.casefold()]:
            problems.append(Problem(
                f"{engineer!r} in {area!r} is declared both {seen[(engineer, area)]!r} and "
                f"{spelled[text.casefold()]!r}", file=source, row=row, column="level"))
    table = pd.DataFrame([(e, a, level) for (e, a), level in seen.items()],
                         columns=["engineer", "area", "level"], dtype=object)
    return table.sort_values(["engineer", "area"]).reset_index(drop=True)


def _start_dates(starts: Mapping[str, Any], source: str | None,
                 problems: list[Problem]) -> dict[str, pd.Timestamp]:
    """Start dates as midnight timestamps (problems collected)."""
    result = {}
    for engineer, value in dict(starts).items():
        name = _text(engineer)
        if name is None:
            problems.append(Problem("a start date needs an engineer", file=source,
                                    column="engineer", value=value))
            continue
        stamp = _date(value)
        if stamp is None:
            problems.append(Problem(f"the start date of {name!r} is not a date", file=source,
                                    column="start_date", value=value, expected="YYYY-MM-DD"))
            continue
        if result.get(name, stamp) != stamp:
            problems.append(Problem(f"{name!r} has two start dates", file=source,
                                    column="start_date", value=value))
        result[name] = stamp
    return dict(sorted(result.items()))


def _date(value: Any) -> pd.Timestamp | None:
    """A date (or a time, whose day is taken) as a midnight Timestamp, or None."""
    if isinstance(value, dt.date | pd.Timestamp):
        stamp = pd.Timestamp(value)
    elif isinstance(value, str) and value.strip():
        try:
            stamp = pd.Timestamp(dt.date.fromisoformat(value.strip()[:10]))
        except ValueError:
            return None
    else:
        return None
    if stamp is pd.NaT or not 1900 <= stamp.year <= 2199:
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp.normalize()

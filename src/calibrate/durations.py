"""Working-day arithmetic: how long a ticket took, in working days.

A duration counts elapsed wall-clock time, in units of 24 hours, on working
days only. Weekends, public holidays of a configurable country (from the
``holidays`` package) and extra company holidays are cut out; fractions are
kept. So a ticket started Friday 17:00 and finished Monday 09:00 took
7/24 + 9/24 = 0.67 working days, and one started and finished the same
Tuesday, 09:00 to 15:00, took 0.25.

Timestamps are compared on the team's local wall clock: exports that carry a
time zone (UTC in Linear, GitLab, GitHub) are converted to the calendar's
``timezone`` first, so that a day is a local calendar day, and a
daylight-saving change does not add or remove an hour from a working day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from calibrate.errors import InputError, Problem

__all__ = ["WorkCalendar", "to_team_time"]

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_NANOSECONDS_PER_DAY = 86_400 * 10**9


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days, and the team's local time zone.

    Parameters
    ----------
    country : str, optional
        ISO country code whose public holidays are not working days
        (e.g. ``"DE"``, ``"US"``, ``"GB"``). ``None`` means weekends only.
    subdivision : str, optional
        State or province code for regional holidays (e.g. ``"BY"``).
    weekend : sequence of str
        Day names (``"Mon"`` ... ``"Sun"``) that are not working days.
    extra_holidays : sequence of date
        Company holidays on top of the public ones.
    timezone : str
        IANA time zone of the team; time-zone-aware timestamps are converted
        to it before days are counted.

    Examples
    --------
    >>> import pandas as pd
    >>> from calibrate.durations import WorkCalendar
    >>> calendar = WorkCalendar(country="DE")
    >>> start = pd.Series(pd.to_datetime(["2024-03-15 17:00"]))   # a Friday
    >>> finish = pd.Series(pd.to_datetime(["2024-03-18 09:00"]))  # the Monday after
    >>> calendar.working_days_between(start, finish).round(3).tolist()
    [0.667]
    """

    country: str | None = None
    subdivision: str | None = None
    weekend: tuple[str, ...] = ("Sat", "Sun")
    extra_holidays: tuple[dt.date, ...] = field(default_factory=tuple)
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        problems = []
        for day in self.weekend:
            if day not in _DAY_NAMES:
                problems.append(
                    Problem("unknown weekend day", column="calendar.weekend", value=day,
                            expected=f"one of {', '.join(_DAY_NAMES)}")
                )
        if len(set(self.weekend)) >= 7:
            problems.append(Problem("every day is a weekend day", column="calendar.weekend"))
        try:
            pd.Timestamp("2024-01-01").tz_localize(self.timezone)
        except Exception:
            problems.append(
                Problem("unknown time zone", column="calendar.timezone", value=self.timezone,
                        expected="an IANA name such as 'Europe/Berlin' or 'UTC'")
            )
        if self.country:
            import holidays

            try:
                holidays.country_holidays(self.country, years=2024)
            except NotImplementedError:
                problems.append(
                    Problem("unknown holiday country", column="calendar.country",
                            value=self.country, expected="an ISO 3166 code such as 'DE' or 'US'")
                )
            else:
                if self.subdivision:
                    try:
                        holidays.country_holidays(self.country, subdiv=self.subdivision,
                                                  years=2024)
                    except (NotImplementedError, ValueError) as error:
                        problems.append(
                            Problem(f"unknown subdivision of {self.country} ({error})",
                                    column="calendar.subdivision", value=self.subdivision)
                        )
        if problems:
            raise InputError("The working-day calendar is not valid", problems)

    @property
    def weekmask(self) -> str:
        """The calendar's week as numpy's weekmask string (``"1111100"``)."""
        return "".join("0" if day in self.weekend else "1" for day in _DAY_NAMES)

    def holidays_between(self, first_year: int, last_year: int) -> list[dt.date]:
        """Non-working dates (public and extra holidays) in the given years."""
        dates = {d for d in self.extra_holidays if first_year <= d.year <= last_year}
        if self.country:
            import holidays

            public = holidays.country_holidays(
                self.country, subdiv=self.subdivision, years=range(first_year, last_year + 1)
            )
            dates.update(public.keys())
        return sorted(dates)

    @cached_property
    def _holiday_cache(self) -> dict[tuple[int, int], np.busdaycalendar]:
        return {}

    def _busday_calendar(self, days: np.ndarray) -> np.busdaycalendar:
        """A numpy business-day calendar covering every date in ``days``."""
        valid = days[~np.isnat(days)]
        if valid.size == 0:
            years = (2000, 2000)
        else:
            years = (
                int(valid.min().astype("datetime64[Y]").astype(int)) + 1970,
                int(valid.max().astype("datetime64[Y]").astype(int)) + 1970 + 1,
            )
        cache = self._holiday_cache
        if years not in cache:
            holidays = np.array(self.holidays_between(*years), dtype="datetime64[D]")
            cache[years] = np.busdaycalendar(weekmask=self.weekmask, holidays=holidays)
        return cache[years]

    def is_working_day(self, dates: pd.Series | Sequence) -> np.ndarray:
        """Whether each date is a working day."""
        days = _as_days(dates)
        result = np.zeros(days.shape, dtype=bool)
        valid = ~np.isnat(days)
        result[valid] = np.is_busday(days[valid], busdaycal=self._busday_calendar(days))
        return result

    def working_days_between(
        self, start: pd.Series | Sequence, finish: pd.Series | Sequence
    ) -> np.ndarray:
        """Working days from each ``start`` to the matching ``finish``.

        Both are naive local timestamps (see :func:`to_team_time`). The result
        is negative where ``finish`` is before ``start`` and NaN where either
        is missing.
        """
        start_ns, start_day, start_fraction = _split_days(start)
        finish_ns, finish_day, finish_fraction = _split_days(finish)
        valid = ~(np.isnat(start_day) | np.isnat(finish_day))
        result = np.full(start_day.shape, np.nan)
        if not valid.any():
            return result
        calendar = self._busday_calendar(np.concatenate([start_day[valid], finish_day[valid]]))
        s_day, f_day = start_day[valid], finish_day[valid]
        # Whole working days in [start day, finish day), then correct for the
        # part of the first and the last day that lies outside the interval.
        # A backwards interval is counted forwards and negated (numpy counts
        # a different set of days for reversed bounds).
        s_frac, f_frac = start_fraction[valid], finish_fraction[valid]
        backwards = (f_day < s_day) | ((f_day == s_day) & (f_frac < s_frac))
        low_day, high_day = np.where(backwards, f_day, s_day), np.where(backwards, s_day, f_day)
        low_frac = np.where(backwards, f_frac, s_frac)
        high_frac = np.where(backwards, s_frac, f_frac)
        whole = np.busday_count(low_day, high_day, busdaycal=calendar).astype(float)
        forward = (whole - low_frac * np.is_busday(low_day, busdaycal=calendar)
                   + high_frac * np.is_busday(high_day, busdaycal=calendar))
        result[valid] = np.where(backwards, -forward, forward)
        return result

    def add_working_days(self, start: pd.Series | Sequence, days: np.ndarray) -> pd.Series:
        """The timestamps that lie ``days`` working days after each ``start``.

        The inverse of :meth:`working_days_between` for non-negative ``days``:
        a start on a non-working day first moves to the next working day's
        beginning.
        """
        _, start_day, start_fraction = _split_days(start)
        days = np.asarray(days, dtype=float)
        calendar = self._busday_calendar(start_day)
        on_working_day = np.is_busday(start_day, busdaycal=calendar)
        first_day = np.busday_offset(start_day, 0, roll="forward", busdaycal=calendar)
        offset = days + np.where(on_working_day, start_fraction, 0.0)
        whole = np.floor(offset)
        fraction = offset - whole
        finish_day = np.busday_offset(first_day, whole.astype(np.int64), busdaycal=calendar)
        finish = finish_day.astype("datetime64[ns]") + (
            fraction * _NANOSECONDS_PER_DAY
        ).round().astype("timedelta64[ns]")
        return pd.Series(finish, index=getattr(start, "index", None))

    def describe(self) -> str:
        """A short plain-language description, for reports."""
        working = [d for d in _DAY_NAMES if d not in self.weekend]
        text = f"working days {', '.join(working)}"
        if self.country:
            region = f"{self.country}-{self.subdivision}" if self.subdivision else self.country
            text += f"; public holidays of {region}"
        if self.extra_holidays:
            text += f"; {len(self.extra_holidays)} extra holidays"
        return text + f"; local time zone {self.timezone}"

    @classmethod
    def from_dict(cls, document: dict | None) -> WorkCalendar:
        """The calendar :meth:`to_dict` wrote (a multipliers file's
        ``calendar``); missing fields take their defaults.

        Examples
        --------
        >>> calendar = WorkCalendar(country="DE", timezone="Europe/Berlin")
        >>> WorkCalendar.from_dict(calendar.to_dict()) == calendar
        True
        """
        document = document or {}
        return cls(
            country=document.get("country") or None,
            subdivision=document.get("subdivision") or None,
            weekend=tuple(document.get("weekend") or ("Sat", "Sun")),
            extra_holidays=tuple(dt.date.fromisoformat(str(day))
                                 for day in document.get("extra_holidays") or ()),
            timezone=document.get("timezone") or "UTC")

    def to_dict(self) -> dict:
        """The calendar as plain data (for the multipliers file)."""
        return {
            "country": self.country,
            "subdivision": self.subdivision,
            "weekend": list(self.weekend),
            "extra_holidays": [d.isoformat() for d in self.extra_holidays],
            "timezone": self.timezone,
        }


def to_team_time(timestamps: pd.Series, timezone: str) -> pd.Series:
    """Naive local timestamps on the team's wall clock.

    Time-zone-aware values are converted to ``timezone`` and the zone is
    dropped; naive values are taken to be local already (Jira writes dates in
    the exporting user's zone, without saying which).
    """
    series = pd.Series(timestamps)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert(timezone).dt.tz_localize(None).astype("datetime64[ns]")
    return series.astype("datetime64[ns]")


def _as_days(values: pd.Series | Sequence) -> np.ndarray:
    return pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[ns]").astype(
        "datetime64[D]"
    )


def _split_days(values: pd.Series | Sequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Timestamps as (nanoseconds, day, fraction of the day elapsed)."""
    stamps = pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[ns]")
    days = stamps.astype("datetime64[D]")
    fraction = (stamps - days.astype("datetime64[ns]")).astype("int64") / _NANOSECONDS_PER_DAY
    fraction = np.where(np.isnat(stamps), np.nan, fraction)
    return stamps, days, fraction

"""calibrate: estimation calibration for teams that estimate in story points.

Read a tracker export into the canonical ticket table::

    >>> import calibrate
    >>> table = calibrate.read_export("data/sample/linear_export.csv")
    >>> print(table.summary())  # doctest: +ELLIPSIS
    data/sample/linear_export.csv read as linear_csv: ...

The public names below are imported on first use, so ``import calibrate``
and ``calibrate --help`` do not pay for pandas, scipy, pandera and the PDF
printer until something needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from calibrate._version import __version__

if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from calibrate.config import Config, load_config
    from calibrate.durations import WorkCalendar
    from calibrate.errors import CalibrationWarning, InputError, Problem
    from calibrate.export import Multipliers, load_multipliers, write_multipliers
    from calibrate.io import detect_format, read_export, write_tickets
    from calibrate.io.skills import read_skills
    from calibrate.model import Calibrator
    from calibrate.results import CalibrationResult
    from calibrate.skills import SkillProfiles
    from calibrate.tickets import TicketTable, validate_tickets

#: Where each public name lives.
_PUBLIC = {
    "CalibrationResult": "calibrate.results",
    "CalibrationWarning": "calibrate.errors",
    "Calibrator": "calibrate.model",
    "Config": "calibrate.config",
    "InputError": "calibrate.errors",
    "Multipliers": "calibrate.export",
    "Problem": "calibrate.errors",
    "SkillProfiles": "calibrate.skills",
    "TicketTable": "calibrate.tickets",
    "WorkCalendar": "calibrate.durations",
    "detect_format": "calibrate.io",
    "load_config": "calibrate.config",
    "load_multipliers": "calibrate.export",
    "read_export": "calibrate.io",
    "read_skills": "calibrate.io.skills",
    "validate_tickets": "calibrate.tickets",
    "write_multipliers": "calibrate.export",
    "write_tickets": "calibrate.io",
}

__all__ = [
    "CalibrationResult",
    "CalibrationWarning",
    "Calibrator",
    "Config",
    "InputError",
    "Multipliers",
    "Problem",
    "SkillProfiles",
    "TicketTable",
    "WorkCalendar",
    "__version__",
    "detect_format",
    "load_config",
    "load_multipliers",
    "read_export",
    "read_skills",
    "validate_tickets",
    "write_multipliers",
    "write_tickets",
]


def __getattr__(name: str):
    """Import a public name on first access (PEP 562)."""
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'calibrate' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later accesses are plain attribute lookups
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})

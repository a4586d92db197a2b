"""calibrate: estimation calibration for teams that estimate in story points.

Read a tracker export into the canonical ticket table::

    >>> import calibrate
    >>> table = calibrate.read_export("data/sample/linear_export.csv")
    >>> print(table.summary())  # doctest: +ELLIPSIS
    data/sample/linear_export.csv read as linear_csv: ...
"""

from calibrate._version import __version__
from calibrate.config import Config, load_config
from calibrate.durations import WorkCalendar
from calibrate.errors import CalibrationWarning, InputError, Problem
from calibrate.export import Multipliers, load_multipliers, write_multipliers
from calibrate.io import detect_format, read_export, write_tickets
from calibrate.model import Calibrator
from calibrate.results import CalibrationResult
from calibrate.tickets import TicketTable, validate_tickets

__all__ = [
    "CalibrationResult",
    "CalibrationWarning",
    "Calibrator",
    "Config",
    "InputError",
    "Problem",
    "TicketTable",
    "WorkCalendar",
    "__version__",
    "detect_format",
    "load_config",
    "load_multipliers",
    "Multipliers",
    "read_export",
    "validate_tickets",
    "write_multipliers",
    "write_tickets",
]

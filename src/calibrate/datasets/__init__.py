"""Datasets: the bundled sample team and tables drawn from the model.

- :func:`simulate_tickets` draws a canonical ticket table of any size from
  the model, with its truth (for tests and benchmarks).
- :func:`generate_team_history` is the bundled sample's story: 18 months of
  a seven-person ML team, with its ground truth; :func:`write_sample`
  renders it into the export files of ``data/sample/`` (also ``python -m
  calibrate.datasets DIRECTORY``), with the writers of
  :mod:`calibrate.io.writers`.
- :func:`load_sample` reads the committed sample (from a source checkout).
"""

from calibrate.datasets._samples_generator import SimulatedTable, simulate_tickets
from calibrate.datasets._team_history import (
    AREAS,
    SAMPLE_DIRECTORY,
    SAMPLE_FILES,
    SyntheticHistory,
    generate_team_history,
    load_sample,
    write_sample,
)

__all__ = [
    "AREAS",
    "SAMPLE_DIRECTORY",
    "SAMPLE_FILES",
    "SimulatedTable",
    "SyntheticHistory",
    "generate_team_history",
    "load_sample",
    "simulate_tickets",
    "write_sample",
]

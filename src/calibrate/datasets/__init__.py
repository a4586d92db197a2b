"""Datasets: the bundled sample team and tables drawn from the model.

- :func:`simulate_tickets` draws a canonical ticket table of any size from
  the model, with its truth (for tests and benchmarks).
- :func:`generate_team_history` is the bundled sample's story: 18 months of
  a seven-person ML team, with its ground truth and its declared skill
  levels and start dates; :func:`write_sample` renders it into the export
  files of ``data/sample/`` and a ``skills.csv`` (also ``python -m
  calibrate.datasets DIRECTORY``), with the writers of
  :mod:`calibrate.io.writers`.
- :func:`sample_path` gives the path of a sample file (``data/sample/`` of a
  source checkout; elsewhere generated once into a cache folder,
  :func:`get_data_home`), and :func:`load_sample` reads the sample, so
  notebooks need no ``../data/sample`` paths.
"""

from calibrate.datasets._samples_generator import SimulatedTable, simulate_tickets
from calibrate.datasets._team_history import (
    AREAS,
    SAMPLE_CONFIG,
    SAMPLE_DIRECTORY,
    SAMPLE_EXPORTS,
    SAMPLE_FILES,
    SyntheticHistory,
    generate_team_history,
    get_data_home,
    load_sample,
    sample_path,
    write_sample,
)

__all__ = [
    "AREAS",
    "SAMPLE_CONFIG",
    "SAMPLE_DIRECTORY",
    "SAMPLE_EXPORTS",
    "SAMPLE_FILES",
    "SimulatedTable",
    "SyntheticHistory",
    "generate_team_history",
    "get_data_home",
    "load_sample",
    "sample_path",
    "simulate_tickets",
    "write_sample",
]

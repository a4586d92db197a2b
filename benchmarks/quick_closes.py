"""Evidence for ``[durations] closed_within_minutes``: tickets closed within minutes.

Reads every GitLab CSV export in a folder (by default ``../shared/data/real``
beside the repository, the development data set, which is not part of the
project: CC BY-NC-SA) with calibrate's own reader, the rule turned off, and
prints numbers only (no ticket data):

- per team: finished tickets that pass every other check, how many were
  closed within 1, 5, 15 and 60 minutes of their creation (wall clock) and
  under one working hour (the ``minimum_days`` floor), the share within the
  default limit, how many a lognormal fitted to the others expects there,
  and how many of those the ticket's own author closed for themself
  (author = first assignee);
- pooled: a histogram of created -> closed time on a log scale, and the
  widest gap between one second and one day (where the bookkeeping spike
  ends);
- per team: the sd of log duration with the rule off and on (how much the
  spike widens the left tail).

Run ``python -m benchmarks.quick_closes [FOLDER]``. Without the folder it
says so and exits 0.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from calibrate import read_export
from calibrate.config import DEFAULT_CLOSED_WITHIN_MINUTES, Config

#: The repository, and the development data set beside it (not shipped with it).
REPOSITORY = Path(__file__).resolve().parents[1]
REAL_DATA = REPOSITORY.parent / "shared" / "data" / "real"
#: Cut-offs counted per team, in wall-clock minutes.
CUTOFFS = (1, 5, 15, 60)
#: Histogram bins of created -> closed minutes (pooled over teams).
BINS = (0, 1, 5, 15, 60, 240, 24 * 60, 7 * 24 * 60, np.inf)


def team_numbers(path: Path) -> tuple[dict, np.ndarray]:
    """Counts for one export, and its created -> closed minutes.

    Parameters
    ----------
    path : Path
        A GitLab issues CSV export.

    Returns
    -------
    dict
        The team's row of the table (counts only).
    ndarray
        Wall-clock minutes from creation to close of its finished tickets.
    """
    table = read_export(path, config=Config(closed_within_minutes=0))
    finished = table.tickets[~table.tickets["censored"]]
    minutes = ((finished["finished_at"] - finished["created_at"]).dt.total_seconds()
               / 60).to_numpy()
    limit = DEFAULT_CLOSED_WITHIN_MINUTES
    quick = minutes < limit
    row = {"team": path.stem, "finished": len(finished)}
    for cutoff in CUTOFFS:
        row[f"< {cutoff} min"] = int((minutes < cutoff).sum())
    row["<= 1 working h"] = int((finished["duration_days"] <= 1 / 24 + 1e-12).sum())
    row[f"share < {limit:g} min"] = f"{quick.mean():.1%}"
    row["by own author"] = _closed_by_author(path, finished["source_row"].to_numpy()[quick])
    # What a lognormal (fitted to the log minutes of the tickets above the
    # limit) expects below it: the spike is the excess over this.
    slow = np.log(minutes[~quick])
    expected = len(minutes) * stats.norm.cdf(np.log(limit), slow.mean(), slow.std(ddof=1))
    row[f"lognormal expects < {limit:g} min"] = f"{expected:.1g}"
    row["sd log d, rule off"] = f"{np.log(finished['duration_days']).std(ddof=1):.2f}"
    ruled = read_export(path, config=Config(closed_within_minutes=limit)).tickets
    ruled = ruled[~ruled["censored"]]
    row["rule on"] = f"{np.log(ruled['duration_days']).std(ddof=1):.2f}"
    return row, minutes


def _closed_by_author(path: Path, source_rows: np.ndarray) -> str:
    """How many of the given rows were assigned to the issue's own author."""
    try:
        raw = pd.read_csv(path, usecols=["Author Username", "Assignee Username"], dtype=str)
    except ValueError:  # not a GitLab export with these columns
        return "n/a"
    rows = raw.iloc[source_rows - 2]  # CSV: header = row 1
    first_assignee = rows["Assignee Username"].fillna("").str.split(",").str[0].str.strip()
    return f"{int((first_assignee == rows['Author Username']).sum())} of {len(rows)}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    folder = Path(argv[0]) if argv else REAL_DATA
    exports = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    if not exports:
        print(f"No real exports in {folder}: nothing to measure (the development data "
              "set is not part of the repository; pass a folder of GitLab CSV exports).")
        return 0
    shown = os.path.relpath(folder, REPOSITORY) if folder.is_absolute() else folder
    print(f"Exports read from {shown} (numbers only).\n")
    rows, minutes = zip(*(team_numbers(path) for path in exports), strict=True)
    table = pd.DataFrame(rows)
    limit = f"{DEFAULT_CLOSED_WITHIN_MINUTES:g}"
    print("Finished tickets closed within ... of their creation (wall clock); 'by own author':")
    print("of those under the default limit, how many the author had assigned to themself.")
    print(table.loc[:, "team":"by own author"].to_string(index=False))
    print(f"\nThe spike against the lognormal tail (fitted to the tickets above {limit} min), "
          f"and the sd of\nlog working-day duration with the rule off and on "
          f"(closed_within_minutes = {limit}):")
    print(table.loc[:, ["team", *table.loc[:, f"lognormal expects < {limit} min":].columns]]
          .to_string(index=False))

    pooled = np.sort(np.concatenate(minutes))
    print(f"\nPooled created -> closed time of {len(pooled)} finished tickets:")
    counts, _ = np.histogram(pooled, bins=BINS)
    labels = ["< 1 min", "1-5 min", "5-15 min", "15-60 min", "1-4 h", "4-24 h", "1-7 days",
              ">= 7 days"]
    for label, count in zip(labels, counts, strict=True):
        print(f"  {label:<10}{count:>6}  {'#' * int(count) if count <= 60 else '#' * 60 + '...'}")
    # Where the spike ends: the widest gap (by ratio) between consecutive
    # times from one second to one day.
    short = pooled[(pooled >= 1 / 60) & (pooled < 24 * 60)]
    if len(short) > 1:
        widest = int(np.argmax(short[1:] / short[:-1]))
        below = int((pooled <= short[widest]).sum())
        print(f"Widest gap between 1 second and 1 day (by ratio): no ticket between "
              f"{short[widest]:.1f} and {short[widest + 1]:.1f} minutes ({below} tickets "
              "below it).")
    return 0


if __name__ == "__main__":
    sys.exit(main())

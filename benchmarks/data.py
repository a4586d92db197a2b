"""Data for the benchmarks, generated in the run with fixed seeds.

- :func:`speed_table`: a canonical ticket table from
  :func:`calibrate.datasets.simulate_tickets` (the model with known truth).
- :func:`write_jira_export`: the same kind of table written as a Jira Cloud
  "CSV (all fields)" export by :func:`calibrate.io.writers.write_jira_csv`
  (the writer of the bundled sample), with the columns and repeated headers
  of the sample's export. A million rows take seconds to write; writing is
  set-up, not measured.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from calibrate.datasets import simulate_tickets
from calibrate.io.writers import write_jira_csv

#: Areas of the generated teams, and the label a Jira user would put on them.
AREA_LABELS = {"research": "research", "ml-engineering": "ml-eng",
               "data-engineering": "pipeline"}

#: Settings for reading the generated Jira export: areas from labels, as in
#: the bundled sample's configuration (German holidays, Berlin wall clock).
JIRA_CONFIG = """\
[calendar]
country = "DE"
timezone = "Europe/Berlin"

[areas]
default = "unclassified"

[[areas.rules]]
area = "research"
patterns = ["^research$", "^experiment$"]
fields = ["labels"]

[[areas.rules]]
area = "ml-engineering"
patterns = ["^ml-eng$", "^serving$"]
fields = ["labels"]

[[areas.rules]]
area = "data-engineering"
patterns = ["^pipeline$", "^etl$"]
fields = ["labels"]
"""


def speed_table(n_tickets: int, n_engineers: int, seed: int) -> pd.DataFrame:
    """A canonical table of ``n_tickets`` tickets over a long history (few open)."""
    history = max(250.0, n_tickets / n_engineers * 4.0)
    return simulate_tickets(n_tickets, n_engineers, seed=seed, history_days=history).tickets


def _choice(rng: np.random.Generator, values: list[str], size: int,
            p: list[float] | None = None) -> pd.Categorical:
    return pd.Categorical.from_codes(rng.choice(len(values), size=size, p=p), values)


def _constant(text: str, size: int) -> pd.Categorical:
    return pd.Categorical.from_codes(np.zeros(size, dtype=np.int8), [text])


def _strings(values) -> pd.Series:
    return pd.Series(np.asarray(values)).astype("string[pyarrow]")


def _jira_issues(table: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The simulated tickets as the rows and columns of a Jira CSV export.

    Created is the start of work (so lead time equals the simulated
    duration); open tickets are "In Progress" with no Resolved date. Points
    sit in ``Custom field (Story Points)`` for the older half of the tickets
    and in ``Custom field (Story point estimate)`` for the newer half, as in
    a project migrated to team-managed boards. Multi-value fields are
    repeated columns, as wide as a real export of this size (some ticket
    always has three labels, watchers and sprints).
    """
    n = len(table)
    done = ~table["censored"].to_numpy()
    number = _strings(np.arange(1, n + 1))
    engineer = _strings(table["engineer"].astype(str))
    reporter = _strings(rng.choice(table["engineer"].unique().astype(str), n))
    label = _strings(table["area"].astype(str).map(AREA_LABELS))
    empty = _constant("", n)
    created = pd.Series(table["started_at"].to_numpy(dtype="datetime64[ns]"))
    resolved = pd.Series(table["finished_at"].to_numpy(dtype="datetime64[ns]")).where(done)
    updated = resolved.where(done, created)
    points = pd.Series(table["points"].to_numpy(dtype=float))
    older = np.arange(n) < n // 2
    sprint = "ML Sprint " + _strings(rng.integers(1, 200, n))
    carried = rng.random(n) < 0.2
    state = pd.Categorical(np.where(done, "Done", "In Progress"))
    columns = [
        ("Summary", "Improve " + label + " job number " + number),
        ("Issue key", "ML-" + number),
        ("Issue id", np.arange(100_000, 100_000 + n)),
        ("Issue Type", _choice(rng, ["Task", "Story", "Bug", "Spike"], n,
                               [0.5, 0.3, 0.15, 0.05])),
        ("Status", state),
        ("Project key", _constant("ML", n)),
        ("Project name", _constant("Machine Learning", n)),
        ("Project type", _constant("software", n)),
        ("Project lead", _constant("Ines Carvalho", n)),
        ("Priority", _choice(rng, ["Medium", "High", "Low"], n, [0.6, 0.25, 0.15])),
        ("Resolution", pd.Categorical(np.where(done, "Done", ""))),
        ("Assignee", engineer), ("Assignee Id", "acct-" + engineer),
        ("Reporter", reporter), ("Creator", reporter),
        ("Created", created), ("Updated", updated), ("Last Viewed", empty), ("Resolved", resolved),
        ("Components", label + "-component"), ("Components", empty),
        ("Due date", empty),
        ("Labels", label), ("Labels", _choice(rng, ["", "backend", "customer"], n,
                                              [0.6, 0.3, 0.1])), ("Labels", empty),
        ("Description", "Details of job " + number + " follow in the linked document."),
        ("Watchers", reporter), ("Watchers", engineer), ("Watchers", empty),
        ("Original estimate", empty), ("Remaining Estimate", empty), ("Time Spent", empty),
        ("Custom field (Epic Link)", empty),
        ("Sprint", sprint), ("Sprint", sprint.where(carried, "")), ("Sprint", empty),
        ("Custom field (Story Points)", points.where(older)),
        ("Custom field (Story point estimate)", points.where(~older)),
        ("Parent", empty), ("Parent key", empty), ("Parent summary", empty),
        ("Status Category", state),
        ("Status Category Changed", updated),
    ]
    return pd.concat([pd.Series(values, name=name) for name, values in columns], axis=1)


def write_jira_export(n_tickets: int, n_engineers: int, directory: str | Path, *,
                      seed: int = 11) -> tuple[Path, Path, pd.DataFrame]:
    """Write a Jira-style CSV export of a simulated team, and its config.

    Returns the CSV path, the config path and the simulated canonical table.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    table = speed_table(n_tickets, n_engineers, seed)
    issues = _jira_issues(table, np.random.default_rng(seed + 1))
    path = write_jira_csv(issues, directory / f"jira_{n_tickets}.csv")
    config = directory / "calibrate.toml"
    config.write_text(JIRA_CONFIG, encoding="utf-8")
    return path, config, table


def mixedlm_frame(tickets: pd.DataFrame) -> pd.DataFrame:
    """The columns statsmodels' MixedLM formula uses: log days, log(points/3),
    area, engineer and the engineer x area cell."""
    data = pd.DataFrame({
        "y": np.log(tickets["duration_days"].to_numpy(dtype=float)),
        "c": np.log(tickets["points"].to_numpy(dtype=float) / 3),
        "area": tickets["area"].astype(str).to_numpy(dtype=object),
        "engineer": tickets["engineer"].astype(str).to_numpy(dtype=object),
    })
    data["cell"] = data["engineer"] + "|" + data["area"]
    return data

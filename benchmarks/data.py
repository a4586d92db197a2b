"""Data for the benchmarks, generated in the run with fixed seeds.

- :func:`speed_table`: a canonical ticket table from
  :func:`calibrate.synth.simulate_tickets` (the model with known truth).
- :func:`write_jira_export`: the same kind of table written as a Jira Cloud
  "CSV (all fields)" export, with the columns, repeated headers and date
  format of :func:`calibrate.synth.write_jira_csv`, but vectorised (pyarrow)
  so that a million rows take seconds to write. Writing it is set-up, not
  measured.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from calibrate.synth import simulate_tickets

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

_HEADER = [
    "Summary", "Issue key", "Issue id", "Issue Type", "Status", "Project key",
    "Project name", "Project type", "Project lead", "Priority", "Resolution", "Assignee",
    "Assignee Id", "Reporter", "Creator", "Created", "Updated", "Last Viewed", "Resolved",
    "Components", "Components", "Due date", "Labels", "Labels", "Labels", "Description",
    "Watchers", "Watchers", "Watchers", "Original estimate", "Remaining Estimate",
    "Time Spent", "Custom field (Epic Link)", "Sprint", "Sprint", "Sprint",
    "Custom field (Story Points)", "Custom field (Story point estimate)", "Parent",
    "Parent key", "Parent summary", "Status Category", "Status Category Changed",
]


def speed_table(n_tickets: int, n_engineers: int, seed: int) -> pd.DataFrame:
    """A canonical table of ``n_tickets`` tickets over a long history (few open)."""
    history = max(250.0, n_tickets / n_engineers * 4.0)
    return simulate_tickets(n_tickets, n_engineers, seed=seed, history_days=history).tickets


def _choice(rng: np.random.Generator, values: list[str], size: int,
            p: list[float] | None = None) -> pa.Array:
    codes = rng.choice(len(values), size=size, p=p)
    return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()),
                                          pa.array(values)).cast(pa.string())


def _jira_dates(values: pd.Series) -> pa.Array:
    """Jira's default ``14/Mar/24 3:07 PM`` (empty where missing)."""
    stamps = pa.array(values.dt.floor("min").to_numpy(dtype="datetime64[s]"),
                      pa.timestamp("s"), from_pandas=True)
    text = pc.strftime(stamps, format="%d/%b/%y %I:%M %p", locale="C")
    text = pc.replace_substring_regex(text, pattern=r" 0(\d):", replacement=r" \1:")
    return pc.fill_null(text, "")


def _concat(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def write_jira_export(n_tickets: int, n_engineers: int, directory: str | Path, *,
                      seed: int = 11) -> tuple[Path, Path, pd.DataFrame]:
    """Write a Jira-style CSV export of a simulated team, and its config.

    Created is the start of work (so lead time equals the simulated
    duration); open tickets are "In Progress" with no Resolved date. Points
    sit in ``Custom field (Story Points)`` for the older half of the tickets
    and in ``Custom field (Story point estimate)`` for the newer half, as in
    a project migrated to team-managed boards.

    Returns the CSV path, the config path and the simulated canonical table.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    table = speed_table(n_tickets, n_engineers, seed)
    rng = np.random.default_rng(seed + 1)
    n = len(table)
    done = ~table["censored"].to_numpy()
    number = pa.array(np.arange(1, n + 1)).cast(pa.string())
    engineer = pa.array(table["engineer"].astype(str).to_numpy(dtype=object), pa.string())
    reporter = pa.array(rng.choice(table["engineer"].unique().astype(str), n), pa.string())
    area = table["area"].astype(str).map(AREA_LABELS).to_numpy(dtype=object)
    label = pa.array(area, pa.string())
    empty = pa.array(np.full(n, "", dtype=object), pa.string())
    constant = lambda text: pa.array(np.full(n, text, dtype=object), pa.string())  # noqa: E731
    created = _jira_dates(table["started_at"])
    resolved = _jira_dates(table["finished_at"].where(done))
    updated = pc.if_else(pa.array(done), resolved, created)
    points = pa.array(table["points"].to_numpy()).cast(pa.string())
    points = pc.if_else(pc.match_substring(points, "."), points, _concat(points, ".0"))
    older = pa.array(np.arange(n) < n // 2)
    status = pc.if_else(pa.array(done), "Done", "In Progress")
    sprint = _concat("ML Sprint ", pa.array(rng.integers(1, 200, n)).cast(pa.string()))
    carried = pa.array(rng.random(n) < 0.2)
    columns = [
        _concat("Improve ", label, " job number ", number),               # Summary
        _concat("ML-", number),                                          # Issue key
        pa.array(np.arange(100_000, 100_000 + n)).cast(pa.string()),     # Issue id
        _choice(rng, ["Task", "Story", "Bug", "Spike"], n, [0.5, 0.3, 0.15, 0.05]),
        status,
        constant("ML"), constant("Machine Learning"), constant("software"),
        constant("Ines Carvalho"),
        _choice(rng, ["Medium", "High", "Low"], n, [0.6, 0.25, 0.15]),
        pc.if_else(pa.array(done), "Done", ""),                          # Resolution
        engineer,
        _concat("acct-", engineer),                                      # Assignee Id
        reporter, reporter,
        created, updated, empty, resolved,
        _concat(label, "-component"), empty,                             # Components x2
        empty,                                                           # Due date
        label, _choice(rng, ["", "backend", "customer"], n, [0.6, 0.3, 0.1]), empty,
        _concat("Details of job ", number, " follow in the linked document."),
        reporter, engineer, empty,                                       # Watchers x3
        empty, empty, empty,
        empty,                                                           # Epic Link
        sprint, pc.if_else(carried, sprint, ""), empty,                  # Sprint x3
        pc.if_else(older, points, ""), pc.if_else(older, "", points),
        empty, empty, empty,
        pc.if_else(pa.array(done), "Done", "In Progress"),
        updated,
    ]
    # No generated cell holds a comma, quote or line break, so no cell needs
    # quoting (Jira quotes only where needed, too).
    lines = pc.binary_join_element_wise(*columns, ",")
    body = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, n], pa.int32()), lines), "\n")
    path = directory / f"jira_{n_tickets}.csv"
    with path.open("wb") as handle:
        handle.write(b"\xef\xbb\xbf" + ",".join(_HEADER).encode() + b"\n")
        handle.write(body[0].as_buffer())
        handle.write(b"\n")
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

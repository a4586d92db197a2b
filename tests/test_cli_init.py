"""`calibrate init`: candidates, proposed areas and a starter calibrate.toml; and the
pointer to it from `ingest`, `fit` and `report` when every ticket is in the default area."""

from __future__ import annotations

import csv
import io
import re
import tomllib

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from calibrate.cli import cli
from calibrate.config import load_config
from calibrate.io import read_export

_HEADER = ["Issue ID", "URL", "Title", "State", "Description", "Author", "Author Username",
           "Assignee", "Assignee Username", "Confidential", "Locked", "Due Date",
           "Created At (UTC)", "Updated At (UTC)", "Closed At (UTC)", "Milestone", "Weight",
           "Labels", "Time Estimate", "Time Spent"]


def _gitlab_export(path, seed: int = 0, *, areas: bool = True, kinds: bool = True) \
        -> dict[str, int]:
    """A GitLab issues export of a team working Sunday to Thursday: frontend,
    backend and devops tickets (devops also labelled backend; without
    ``areas``, none of these labels), bug or feature (with ``kinds``), and
    workflow and priority labels on all; returns the tickets per area."""
    rng = np.random.default_rng(seed)
    rows, counts, number = [], {}, 0
    # 2024-01-07 is a Sunday; the team's week is Sunday to Thursday.
    workdays = [day for day in pd.date_range("2024-01-07", "2024-12-31")
                if day.day_of_week in (6, 0, 1, 2, 3)]
    for area, count in (("frontend", 40, ), ("backend", 25), ("devops", 10), (None, 15)):
        counts[area] = count
        for _ in range(count):
            number += 1
            labels = ([area] if area and areas else []) + (
                ["backend"] if area == "devops" and areas else [])
            kind = str(rng.choice(["bug", "feature"]))
            labels += ([kind] if kinds else []) + [
                "workflow::doing", f"priority::{rng.integers(1, 4)}"]
            created = workdays[rng.integers(0, len(workdays) - 30)] + pd.Timedelta(hours=9)
            closed = workdays[workdays.index(created.normalize()) + int(rng.integers(1, 20))] \
                + pd.Timedelta(hours=int(rng.integers(10, 17)))
            rows.append([number, f"https://gitlab.com/team/app/-/issues/{number}",
                         f"Ticket {number}", "Closed", "", "Lee", "lee", "Ana", "ana", "No", "No",
                         "", f"{created:%Y-%m-%d %H:%M:%S}", f"{closed:%Y-%m-%d %H:%M:%S}",
                         f"{closed:%Y-%m-%d %H:%M:%S}", "", str(rng.choice([1, 2, 3, 5])),
                         ",".join(labels), "0", "0"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_HEADER)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return counts


def test_init_lists_candidates_proposes_areas_and_writes_a_config_that_reads_back(tmp_path):
    export = tmp_path / "issues.csv"
    counts = _gitlab_export(export)
    out = tmp_path / "team.toml"
    result = CliRunner().invoke(cli, ["init", str(export), "--out", str(out)])
    assert result.exit_code == 0, result.output
    # Each candidate with its ticket count; the workflow labels for what they are.
    assert re.search(r"labels\s+frontend\s+area\s+40\s", result.output)
    assert re.search(r"labels\s+backend\s+area\s+35\s", result.output)
    assert re.search(r"workflow:: \(1 values\)\s+status\s+90\s", result.output)
    assert "Proposed: labels frontend, devops, backend" in result.output
    assert "calibrate init" not in result.output.split("Areas")[0]  # no pointer to itself
    config = load_config(out)
    assert [rule.area for rule in config.area_rules] == ["frontend", "devops", "backend"]
    # The week seen in the export: nothing happens on Fridays and Saturdays.
    assert config.calendar.weekend == ("Fri", "Sat")
    assert "doing" in config.in_progress_statuses and "Closed" in config.done_statuses
    # Read with the written config, the tickets fall into the areas proposed.
    table = read_export(export, config=out)
    assert table.tickets["area"].value_counts().to_dict() == {
        "frontend": counts["frontend"], "backend": counts["backend"],
        "devops": counts["devops"], "general": counts[None]}
    assert not any("calibrate init" in note for note in table.notes)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# calibrate.toml for issues.csv")
    assert "calibrate report issues.csv --config team.toml" in text
    # The alternatives are written too, commented out, and read as comments.
    assert re.search(r"# Or instead: labels \(kinds of work\) (bug, feature|feature, bug)", text)
    assert "lead_cap_days" in text and "lead_cap_days" not in tomllib.loads(text).get(
        "model", {})


def test_init_does_not_replace_a_file_unless_forced(tmp_path):
    export = tmp_path / "issues.csv"
    _gitlab_export(export)
    out = tmp_path / "calibrate.toml"
    out.write_text("# mine\n", encoding="utf-8")
    refused = CliRunner().invoke(cli, ["init", str(export), "--out", str(out)])
    assert refused.exit_code == 2
    assert "exists; pass --force" in refused.output
    assert out.read_text(encoding="utf-8") == "# mine\n"
    forced = CliRunner().invoke(cli, ["init", str(export), "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert load_config(out).area_rules


def test_init_without_areas_to_find_writes_a_config_without_rules(tmp_path):
    export = tmp_path / "issues.csv"
    _gitlab_export(export, areas=False, kinds=False)
    out = tmp_path / "calibrate.toml"
    result = CliRunner().invoke(cli, ["init", str(export), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "write area rules of your own" in result.output
    config = load_config(out)
    assert config.area_rules == ()
    assert "# [[areas.rules]]" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("export", ["data/sample/jira_changelog.json",
                                    "data/sample/jira_export.csv",
                                    "data/sample/linear_export.csv"])
def test_init_on_the_sample_exports(tmp_path, export):
    out = tmp_path / "calibrate.toml"
    result = CliRunner().invoke(cli, ["init", export, "--out", str(out)])
    assert result.exit_code == 0, result.output
    config = load_config(out)
    assert len(config.area_rules) >= 3
    table = read_export(export, config=out)
    assert table.tickets["area"].nunique() >= 4  # three areas and the default


def test_ingest_fit_and_report_point_to_init_when_every_ticket_is_in_the_default_area(
        tmp_path):
    export = "data/sample/linear_export.csv"
    runner = CliRunner()
    ingest = runner.invoke(cli, ["ingest", export, "--out", str(tmp_path / "t.csv")])
    assert ingest.exit_code == 0, ingest.output
    assert "every ticket is in the default area 'general'" in ingest.output
    assert "`calibrate init EXPORT`" in ingest.output
    fit = runner.invoke(cli, ["fit", export, "--out", str(tmp_path / "m.json")])
    assert fit.exit_code == 0, fit.output
    assert "`calibrate init EXPORT`" in fit.output  # (stderr is mixed in)
    report = runner.invoke(cli, ["report", export, "--out", str(tmp_path / "report"),
                                 "--no-pdf", "--no-backtest"])
    assert report.exit_code == 0, report.output
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    summary = html.split('<section id="summary">')[1].split("</section>")[0]
    assert "Every ticket is in the default area" in summary
    assert "calibrate init EXPORT" in summary
    # With area rules that decide some tickets, none of them says it.
    config = tmp_path / "calibrate.toml"
    config.write_text('[[areas.rules]]\nprefix = "x::"\nfields = ["labels"]\n'
                      '[[areas.rules]]\narea = "data"\npatterns = ["^etl$", "^pipeline$"]\n',
                      encoding="utf-8")
    ruled = runner.invoke(cli, ["ingest", export, "--config", str(config),
                                "--out", str(tmp_path / "r.csv")])
    assert ruled.exit_code == 0, ruled.output
    assert "calibrate init" not in ruled.output


_AREA_WORDS = {
    "frontend": ["button", "page", "layout", "css", "component", "modal", "dropdown", "render"],
    "backend": ["api", "endpoint", "database", "query", "service", "migration", "cache",
                "schema"],
    "devops": ["deploy", "kubernetes", "docker", "terraform", "monitoring", "cluster", "helm",
               "runner"],
}


def _describe(path, seed: int = 0) -> dict[str, str]:
    """Fill the export's Description column with text naming each ticket's area
    (the unlabelled tickets are frontend work); returns each issue's true area."""
    rng = np.random.default_rng(seed)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    truth = {}
    for record in rows[1:]:
        labels = record[_HEADER.index("Labels")].split(",")
        area = next((a for a in ("frontend", "devops", "backend") if a in labels), "frontend")
        words = [*rng.choice(_AREA_WORDS[area], size=4), *rng.choice(
            ["the", "for", "and", "fix", "with", "on", "update"], size=4)]
        rng.shuffle(words)
        record[_HEADER.index("Description")] = "We need to " + " ".join(words) + ".\n\nThanks!"
        truth[f"team/app#{record[0]}"] = area
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return truth


def test_init_then_classify_places_unlabelled_tickets_from_their_descriptions(tmp_path):
    export = tmp_path / "issues.csv"
    counts = _gitlab_export(export)
    truth = _describe(export)
    descriptions = [row["Description"] for row in csv.DictReader(
        export.open(encoding="utf-8", newline=""))]
    out = tmp_path / "team.toml"
    runner = CliRunner()
    result = runner.invoke(cli, ["init", str(export), "--out", str(out)])
    assert result.exit_code == 0, result.output
    # The user turns the classifier on, as the written file shows.
    text = out.read_text(encoding="utf-8")
    assert "# classify = true" in text
    out.write_text(text.replace("# classify = true", "classify = true").replace(
        "# classify_threshold = 0.6", "classify_threshold = 0.5"), encoding="utf-8")
    tickets_path = tmp_path / "tickets.csv"
    ingest = runner.invoke(cli, ["ingest", str(export), "--config", str(out),
                                 "--out", str(tickets_path)])
    assert ingest.exit_code == 0, ingest.output
    assert "from their titles and descriptions" in ingest.output
    tickets = read_export(tickets_path).tickets
    unlabelled = tickets[tickets["area_source"] != "rule"]
    assert len(unlabelled) == counts[None]
    placed = unlabelled["area"] == unlabelled["ticket_id"].map(truth)
    assert placed.mean() >= 0.8
    assert set(unlabelled.loc[placed, "area_source"]) == {"classifier"}
    # No description in anything shown or written, by init or by ingest.
    shown = [result.output, ingest.output, out.read_text(encoding="utf-8"),
             tickets_path.read_text(encoding="utf-8"),
             (tmp_path / "tickets.excluded.csv").read_text(encoding="utf-8")]
    for description in descriptions:
        assert not any(description.split("\n")[0] in part for part in shown)

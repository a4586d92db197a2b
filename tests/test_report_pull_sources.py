"""The report's lead-time opening and files written by ``calibrate pull``: it must
not say a pulled GitHub or GitLab file has no start of work (their issues carry
their history), and it names ``calibrate pull`` among the ways to cycle time."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from calibrate import read_export
from calibrate.config import Config
from calibrate.report._summary import CYCLE_TIME_SOURCES, clock_sentences

FIXTURES = Path(__file__).resolve().parent / "fixtures"
AS_OF = "2024-05-17 12:00"
SIZES = Config(points_scale={"s": 2.0, "m": 3.0, "l": 5.0})
#: The fixture's issues (pull requests left out), as GitHub's REST API lists them.
ISSUES = [item for page in json.loads((FIXTURES / "github_issues.json").read_text())
          for item in page if "pull_request" not in item]
#: The formats a pull writes that have a reader of their own (Jira's is jira_json).
PULLED_FORMATS = ("jira_json", "gitlab_json", "linear_json", "github_json")


def opening(source_format: str, clock: str = "lead",
            tickets: pd.DataFrame | None = None) -> str:
    if tickets is None:
        tickets = pd.DataFrame({"clock": ["lead", "lead", "cycle"]})
    return clock_sentences(tickets, clock, source_format, cap=3.0, lead_cap=None)[0]


def pulled_github_file(path: Path, timeline_of) -> Path:
    """A file as `calibrate pull github` writes it: the header, then the issues,
    each with its ``timeline`` events."""
    header = {"source": "github", "version": 1, "pulled_at": "2024-05-17T12:00:00Z",
              "base_url": "https://api.github.com", "project": "acme/ml-platform",
              "query": {"points_field": None, "in_progress": []}}
    items = [dict(issue, timeline=timeline_of(issue)) for issue in ISSUES]
    path.write_text(json.dumps({"calibrate_pull": header, "items": items}), encoding="utf-8")
    return path


def test_github_json_is_not_said_to_have_no_start_of_work():
    text = opening("github_json")
    assert "GitHub issues record no start of work" not in text
    # Why, for a pulled file: no timeline moved an issue into progress; and what to do.
    assert "calibrate pull github" in text and "timeline" in text
    assert "--in-progress" in text and "[statuses] in_progress" in text


def test_gitlab_json_names_its_label_events_not_a_missing_start():
    text = opening("gitlab_json")
    assert "the export records no start of work" not in text
    assert "label events" in text and "[statuses] in_progress" in text


@pytest.mark.parametrize("source_format", ["gitlab_csv", "jira_csv", "github_json",
                                           "generic_csv", "linear_json", "some_other"])
@pytest.mark.parametrize("clock", ["lead", "mixed"])
def test_the_ways_to_cycle_time_include_calibrate_pull(source_format, clock):
    text = opening(source_format, clock)
    assert CYCLE_TIME_SOURCES in text
    assert "`calibrate pull`" in CYCLE_TIME_SOURCES
    sources = CYCLE_TIME_SOURCES[CYCLE_TIME_SOURCES.index("`calibrate pull`"):]
    for tracker in ("Jira", "GitLab", "Linear", "GitHub"):
        assert tracker in sources, tracker
    # The ways that were there before are still named.
    for way in ("expand=changelog", "jira_json", "Linear's CSV export (its Started column)",
                "started_at", "generic_csv"):
        assert way in text, way


def test_cycle_time_has_no_opening():
    assert clock_sentences(pd.DataFrame({"clock": ["cycle"]}), "cycle", "github_json",
                           cap=3.0, lead_cap=None) == []


def test_a_pulled_github_file_without_moves_into_progress_reads_as_the_sentence_says(
        tmp_path):
    # Every issue pulled with its timeline, none moved to an in-progress label:
    # all lead time, and the opening says why without denying the timelines.
    path = pulled_github_file(tmp_path / "history.json", lambda issue: [
        {"event": "labeled", "created_at": issue["created_at"], "label": {"name": "bug"}}])
    table = read_export(path, config=SIZES, as_of=AS_OF)
    assert table.source_format == "github_json"
    assert len(table.tickets) > 0 and set(table.tickets["clock"].astype(str)) == {"lead"}
    text = opening(table.source_format, "lead", table.tickets)
    assert "timeline" in text and "GitHub issues record no start of work" not in text


def test_a_pulled_github_file_does_record_starts_of_work(tmp_path):
    # Why the old sentence was wrong: a closed issue labelled "In Progress" in
    # its timeline is measured from that label on (cycle time).
    closed = next(issue for issue in ISSUES if issue["state"] == "closed"
                  and issue.get("state_reason") not in ("not_planned", "duplicate"))
    start = pd.Timestamp(closed["created_at"]) + pd.Timedelta(hours=1)
    assert start < pd.Timestamp(closed["closed_at"])
    path = pulled_github_file(tmp_path / "history.json", lambda issue: [
        {"event": "labeled", "created_at": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
         "label": {"name": "In Progress"}}] if issue is closed else [])
    table = read_export(path, config=SIZES, as_of=AS_OF)
    ticket = table.tickets.set_index("ticket_id").loc[f"#{closed['number']}"]
    assert str(ticket["clock"]) == "cycle"

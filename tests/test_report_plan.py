"""The report's sprint-plan section (``calibrate report ... --plan``): the
numbers of calibrate.plan on the sample plan, absent without a plan,
pseudonymised with the table, and a bad plan stopped before the fit."""

from __future__ import annotations

import base64
import re
import warnings
from html import unescape
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import calibrate
from calibrate import Calibrator, read_export
from calibrate.cli import cli
from calibrate.errors import InputError
from calibrate.io.backlog import read_capacity, read_plan
from calibrate.plan import check_plan, reassignment_costs, suggest_assignment
from calibrate.privacy import pseudonym
from calibrate.report import REPORT_FILES, build_html, render_report

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
KEY = "plan-secret"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="calibrate")


@pytest.fixture(scope="module")
def table():
    return read_export(SAMPLE / "jira_changelog.json", config=SAMPLE / "calibrate.toml")


@pytest.fixture(scope="module")
def result(table):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", calibrate.CalibrationWarning)
        return Calibrator().fit(table).result_


@pytest.fixture(scope="module")
def plan():
    return read_plan(SAMPLE / "plan.csv")


@pytest.fixture(scope="module")
def capacity():
    return read_capacity(SAMPLE / "capacity.csv")


@pytest.fixture(scope="module")
def report(tmp_path_factory, table, plan, capacity):
    out = tmp_path_factory.mktemp("plan") / "report"
    written = render_report(table, out, plan=plan, capacity=capacity, with_backtest=False,
                            pdf=False)
    return written, written["report.html"].read_text(encoding="utf-8")


def section(html: str) -> str:
    return html.split('<section id="plan">')[1].split("</section>")[0]


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def table_rows(html: str, identifier: str) -> list[list[str]]:
    body = html.split(f'id="{identifier}"')[1].split("</tbody>")[0].split("<tbody>")[1]
    return [[text_of(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def percent(p: float) -> str:
    return ">99%" if p > 0.995 else "<1%" if p < 0.005 else f"{p:.0%}"


def test_the_section_shows_the_numbers_of_the_planning_api(report, result, plan, capacity):
    written, html = report
    assert set(written) == set(REPORT_FILES) - {"report.pdf"}  # no file for the plan
    shown = section(html)
    check = check_plan(result, plan, capacity, draws=10_000, seed=0)
    assert (f"Chance that the whole plan fits — every engineer finishes all their tickets "
            f"within their available days: {percent(check.p_plan_fits)}.") in text_of(shown)
    # Each engineer's load, in name order.
    rows = table_rows(shown, "plan-engineers")
    expected = check.engineers.set_index("engineer")
    assert [row[0] for row in rows] == ["Aiko Tanaka", "Daniel Okafor", "Lena Fischer",
                                        "Marcus Lindqvist", "Priya Raman", "Rafael Souza",
                                        "Tomasz Kowalczyk", "Zoë Müller"]
    for name, tickets, points, days, mean, spread, chance in rows:
        row = expected.loc[name]
        assert int(tickets) == row["tickets"] and float(points) == row["points"]
        assert float(days) == pytest.approx(row["capacity_days"], abs=0)
        assert float(mean) == pytest.approx(row["expected_days"], abs=0.05)
        low, high = map(float, spread.split("–"))
        assert (low, high) == pytest.approx((row["low_80"], row["high_80"]), abs=0.05)
        assert chance == percent(row["p_within_capacity"])
    # Capacity from the file: Aiko has 4 days, Rafael 5.
    assert float(rows[0][3]) == 4 and float(rows[5][3]) == 5
    # Tickets at risk, with the split, most likely over the cap first.
    risky = check.tickets[check.tickets["p_over_budget"] > 1 - check.confidence]
    risky = risky.sort_values("p_over_budget", ascending=False)
    rows = table_rows(shown, "plan-risky")
    assert [row[0] for row in rows] == list(risky["ticket_id"])
    for row, ticket in zip(rows, risky.itertuples(), strict=True):
        assert row[7] == percent(ticket.p_over_budget)
        assert row[8] == f"{ticket.split_pieces} pieces of {ticket.split_points:g} points"


def test_the_suggestion_and_the_heat_map(report, result, plan, capacity):
    shown = section(report[1])
    suggestion = suggest_assignment(result, plan, capacity, draws=10_000, seed=0)
    values = suggestion.objective_values()
    assert values["suggested"] >= values["lead"]
    assert (f"the whole plan fits with {percent(values['suggested'])} chance, against "
            f"{percent(values['lead'])} for this plan") in text_of(shown)
    changed = suggestion.plan[suggestion.plan["moved"] | (suggestion.plan["engineer"] == "")]
    rows = table_rows(shown, "plan-moved")
    assert [(row[0], row[4], row[5], float(row[7])) for row in rows] == [
        (t.ticket_id, t.engineer or "unassigned", t.suggested_engineer,
         pytest.approx(t.suggested_expected_days, abs=0.05)) for t in changed.itertuples()]
    comparison = table_rows(shown, "plan-comparison")
    assert comparison[0][0] == "Whole plan"
    assert comparison[0][6:] == [percent(values["lead"]), percent(values["suggested"])]
    # The heat map is in this section, not among the plots, with the tickets
    # whose expected days swing most.
    assert shown.count('id="plot_reassignment"') == 1
    assert 'id="plot_reassignment"' not in report[1].split('<section id="plots">')[1]
    source = re.search(r'id="plot_reassignment".*?src="data:image/svg\+xml;base64,([^"]+)"',
                       shown, re.S)[1]
    svg = base64.b64decode(source).decode("utf-8")
    costs = reassignment_costs(result, plan, capacity, draws=10_000, seed=0)
    swings = costs.largest_swings(12)["ticket_id"]
    assert all(ticket in svg for ticket in swings)
    left_out = set(plan["ticket_id"]) - set(swings)
    assert left_out and not any(ticket in svg for ticket in left_out)
    assert "What a late hand-over costs" in shown  # its caption


def test_no_plan_no_section(table, result):
    html = build_html(table, result)
    assert 'id="plan"' not in html and "Sprint plan" not in html
    assert "plot_reassignment" not in html


def test_pseudonymized_plan_uses_the_tables_pseudonyms(tmp_path, plan, table):
    # A newcomer only the plan names, and names in the titles.
    private_plan = pd.concat([plan, pd.DataFrame({
        "ticket_id": ["ML-950"], "title": ["Onboarding Noor Haddad: pair with Priya"],
        "area": ["research"], "points": ["8"], "engineer": ["Noor Haddad"], "pinned": [""]})],
        ignore_index=True)
    plan_path = tmp_path / "plan.csv"
    private_plan.to_csv(plan_path, index=False)
    out = tmp_path / "private"
    result = run("report", SAMPLE / "jira_changelog.json", "--config", SAMPLE / "calibrate.toml",
                 "--out", out, "--plan", plan_path, "--capacity", SAMPLE / "capacity.csv",
                 "--sprint-days", 10, "--pseudonymize", "--pseudonym-key", KEY, "--no-backtest",
                 "--no-pdf")
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    names = set(private_plan["engineer"].dropna()) | set(table.tickets["engineer"])
    names -= {""}
    for word in names | {part for name in names for part in name.split()}:
        assert word.lower() not in html.lower(), word
    shown = section(html)
    rows = table_rows(shown, "plan-engineers")
    # Each engineer under the pseudonym the same key gives them in the table.
    assert {row[0] for row in rows} == {pseudonym(name, KEY) for name in
                                        set(read_capacity(SAMPLE / "capacity.csv")["engineer"])
                                        | {"Noor Haddad"}}
    tickets = pd.read_csv(out / "tickets.csv")
    assert pseudonym("Priya Raman", KEY) in set(tickets["engineer"])
    assert (f"ML-950 ({pseudonym('Noor Haddad', KEY)}): engineer not in the history"
            in text_of(shown))
    # Titles get the table's free-text replacement (8 points of research for a
    # newcomer: a ticket at risk, listed with its title).
    risky = {row[0]: row[1] for row in table_rows(shown, "plan-risky")}
    assert risky["ML-950"] == (f"Onboarding {pseudonym('Noor Haddad', KEY)}: pair with "
                               f"{pseudonym('Priya Raman', KEY)}")


def test_a_bad_plan_stops_the_run_before_the_fit(tmp_path, table, monkeypatch):
    bad = tmp_path / "plan.csv"
    bad.write_text("ticket_id,area,points,engineer\nA-1,research,3,Priya Raman\n"
                   "A-1,research,XL,Zoë Müller\nA-3,research,,\n", encoding="utf-8")
    out = tmp_path / "report"
    result = run("report", SAMPLE / "jira_changelog.json", "--config", SAMPLE / "calibrate.toml",
                 "--out", out, "--plan", bad, "--no-backtest", "--no-pdf")
    assert result.exit_code == 2, result.output
    assert "the plan has 3 invalid row(s)" in result.output
    for row in ("row 2", "row 3", "row 4"):
        assert row in result.output
    assert "fitting" not in result.output and not out.exists()
    # The same through the API: nothing is fitted, nothing written.

    def no_fit(self, *args, **kwargs):
        raise AssertionError("fitted before the plan was checked")

    monkeypatch.setattr(Calibrator, "fit", no_fit)
    with pytest.raises(InputError, match="invalid row"):
        render_report(table, out, plan=read_plan(bad), with_backtest=False, pdf=False)
    sample_plan = read_plan(SAMPLE / "plan.csv")
    with pytest.raises(InputError, match="capacity"):
        render_report(table, out, plan=sample_plan, capacity={"Priya Raman": -1},
                      with_backtest=False, pdf=False)
    with pytest.raises(InputError, match="no tickets"):
        render_report(table, out, plan=sample_plan.iloc[:0], with_backtest=False, pdf=False)
    with pytest.raises(InputError, match="no engineer"):  # nobody to suggest either
        render_report(table, out, plan=sample_plan.assign(engineer="", pinned=""),
                      with_backtest=False, pdf=False)
    assert not out.exists()
    # A plan's file without its required columns: before the export is read.
    result = run("report", SAMPLE / "jira_changelog.json", "--out", out, "--plan",
                 SAMPLE / "capacity.csv")
    assert result.exit_code == 2 and "reading" not in result.output, result.output
    # --capacity belongs to --plan.
    result = run("report", SAMPLE / "jira_changelog.json", "--out", out, "--capacity",
                 SAMPLE / "capacity.csv")
    assert result.exit_code == 2 and "go with --plan" in result.output

"""The report: every file written, the HTML in a real headless browser
(offline, no console errors, inert markup), the PDF's text, privacy options."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from calibrate import read_export
from calibrate.cli import cli
from calibrate.datasets import simulate_tickets
from calibrate.io import write_tickets
from calibrate.report import REPORT_FILES, render_report

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SECTIONS = ("Summary", "Plots", "Skills and coverage", "Tables", "Method and data quality")
FIGURES = ("Where points break", "Overrun map", "Recommended ticket size", "Multipliers",
           "Points elasticity", "Calibration (backtest)", "Drift", "Data quality",
           "Skill coverage")
HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_TITLE = '<img src=x onerror="alert(2)">=HYPERLINK("http://evil")'


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="calibrate")


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = run("report", SAMPLE / "jira_changelog.json", "--config", SAMPLE / "calibrate.toml",
                 "--out", out)
    assert result.exit_code == 0, result.output
    return out, result


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    """A canonical table whose engineer names and titles carry markup and formulas."""
    tickets = simulate_tickets(500, 6, seed=21).tickets
    tickets["engineer"] = tickets["engineer"].replace({"engineer-00001": HOSTILE_NAME})
    tickets["title"] = pd.array([HOSTILE_TITLE] * len(tickets), dtype="string")
    folder = tmp_path_factory.mktemp("hostile")
    export = write_tickets(tickets, folder / "tickets.csv")
    out = folder / "report"
    result = run("report", export, "--out", out)
    assert result.exit_code == 0, result.output
    return out


def test_every_file_is_written(sample_report):
    out, result = sample_report
    for name in REPORT_FILES:
        assert (out / name).stat().st_size > 0, name
    assert not list(out.glob(".partial-*"))
    # Progress is shown for the long stages.
    for stage in ("reading", "fitting", "backtesting", "printing the PDF"):
        assert stage in result.output


def test_report_on_every_bundled_sample(tmp_path):
    for name in ("jira_export.csv", "linear_export.csv"):
        out = tmp_path / name
        result = run("report", SAMPLE / name, "--config", SAMPLE / "calibrate.toml", "--out", out,
                     "--no-backtest")
        assert result.exit_code == 0, result.output
        assert all((out / file).exists() for file in REPORT_FILES)


def test_html_is_self_contained(sample_report):
    html = (sample_report[0] / "report.html").read_text(encoding="utf-8")
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html
    assert html.count("data:image/svg+xml;base64,") == len(FIGURES)
    for heading in SECTIONS + FIGURES:
        assert heading in html


def test_pdf_has_every_section_plot_and_table(sample_report):
    reader = PdfReader(sample_report[0] / "report.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 4
    for heading in SECTIONS + FIGURES:
        assert heading in text, heading
    for table in ("Engineer multipliers", "Engineer × area multipliers",
                  "Points elasticity per area", "Backtest"):
        assert table in text, table
    assert "not a ranking of people" in text


def browse(path: Path, *, width: int = 1200, print_media: bool = False):
    """Open a report in headless chromium, offline; collect what went wrong."""
    from playwright.sync_api import sync_playwright

    problems = {"console": [], "requests": [], "dialogs": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        page = browser.new_page(viewport={"width": width, "height": 1000})
        page.on("console", lambda m: problems["console"].append(m.text)
                if m.type == "error" else None)
        page.on("pageerror", lambda error: problems["console"].append(str(error)))

        def on_dialog(dialog):
            problems["dialogs"].append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)

        def route(request_route):
            url = request_route.request.url
            if url.startswith(("file:", "data:")):
                request_route.continue_()
            else:
                problems["requests"].append(url)
                request_route.abort()

        page.route("**/*", route)
        if print_media:
            page.emulate_media(media="print")
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        facts = page.evaluate("""() => ({
            sections: [...document.querySelectorAll('section > h2')].map(h => h.textContent),
            images: [...document.images].map(i => i.complete && i.naturalWidth > 0),
            scripts: document.querySelectorAll('script').length,
            text: document.body.innerText,
            overflowing: [...document.querySelectorAll('table')]
                .filter(t => t.scrollWidth > t.parentElement.clientWidth + 1).map(t => t.id),
            pageOverflow: document.documentElement.scrollWidth > window.innerWidth + 1,
            // Elements reaching past the window's edges, but for those inside a
            // box that scrolls sideways (a wide table or plot on a phone).
            wide: [...document.body.querySelectorAll('*')].filter(element => {
                const box = element.getBoundingClientRect();
                let scrolls = false;
                for (let up = element.parentElement; up && !scrolls; up = up.parentElement) {
                    scrolls = ['auto', 'scroll'].includes(getComputedStyle(up).overflowX);
                }
                return box.width > 0 && !scrolls
                    && (box.right > window.innerWidth + 1 || box.left < -1);
            }).map(element => `${element.tagName}#${element.id}.${element.className}`),
            // How much each plot is shrunk from the size it was drawn at.
            plotScales: [...document.querySelectorAll('figure img')].map(
                image => image.getBoundingClientRect().width / image.naturalWidth),
        })""")
        screenshot = page.screenshot(full_page=False)
        browser.close()
    return facts, problems, screenshot


def test_html_in_a_real_browser(sample_report, tmp_path):
    facts, problems, screenshot = browse(sample_report[0] / "report.html")
    assert problems == {"console": [], "requests": [], "dialogs": []}
    assert facts["sections"] == list(SECTIONS)
    assert facts["images"] and all(facts["images"])
    assert facts["scripts"] == 0
    assert not facts["overflowing"] and not facts["pageOverflow"]
    assert screenshot[:8] == b"\x89PNG\r\n\x1a\n"


def test_tables_do_not_overflow_an_a4_page(sample_report):
    # A4 at 96 dpi, less the page margins: about 690 px of text width.
    facts, problems, _ = browse(sample_report[0] / "report.html", width=690, print_media=True)
    assert not facts["overflowing"], facts["overflowing"]
    assert problems["console"] == []


def test_markup_in_names_and_titles_is_inert(hostile_report):
    facts, problems, _ = browse(hostile_report / "report.html")
    assert problems["dialogs"] == []  # no alert() ran
    assert problems["console"] == [] and problems["requests"] == []
    assert facts["scripts"] == 0
    assert HOSTILE_NAME in facts["text"]  # shown as text, not run
    html = (hostile_report / "report.html").read_text(encoding="utf-8")
    assert HOSTILE_NAME not in html and "&lt;script&gt;" in html


def test_pseudonymized_report_names_nobody(tmp_path):
    table = read_export(SAMPLE / "jira_changelog.json", config=SAMPLE / "calibrate.toml")
    names = set(table.tickets["engineer"].dropna()) | set(table.excluded["engineer"].dropna())
    truth = json.loads((SAMPLE / "truth.json").read_text(encoding="utf-8"))
    names |= set(truth["engineer_multipliers"])
    parts = {part for name in names for part in name.split() if len(part) >= 3}
    out = tmp_path / "private"
    result = run("report", SAMPLE / "jira_changelog.json", "--config", SAMPLE / "calibrate.toml",
                 "--out", out, "--pseudonymize", "--pseudonym-key", "team-secret", "--no-backtest")
    assert result.exit_code == 0, result.output
    for name in REPORT_FILES:
        path = out / name
        if name.endswith(".pdf"):
            text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
        else:
            text = path.read_text(encoding="utf-8")
        for word in names | parts:
            assert word.lower() not in text.lower(), (name, word)
    # Stable: the same key gives the same pseudonyms.
    again = tmp_path / "again"
    run("report", SAMPLE / "jira_changelog.json", "--config", SAMPLE / "calibrate.toml",
        "--out", again, "--pseudonymize", "--pseudonym-key", "team-secret", "--no-backtest")
    assert (out / "multipliers.csv").read_text() == (again / "multipliers.csv").read_text()


def test_small_cells_are_suppressed(tmp_path):
    table = read_export(SAMPLE / "jira_changelog.json", config=SAMPLE / "calibrate.toml")
    written = render_report(table, tmp_path, min_tickets=30, with_backtest=False)
    html = written["report.html"].read_text(encoding="utf-8")
    cells = pd.read_csv(written["multipliers.csv"]).query("scope == 'engineer_area'")
    assert html.count("too few tickets") >= int((cells["n_finished"] < 30).sum())


def test_a_failed_run_leaves_the_previous_report(tmp_path, monkeypatch):
    table = read_export(SAMPLE / "jira_changelog.json", config=SAMPLE / "calibrate.toml")
    written = render_report(table, tmp_path, with_backtest=False)
    before = {name: path.read_bytes() for name, path in written.items()}

    def broken_pdf(html, path):
        raise RuntimeError("printer on fire")

    monkeypatch.setattr("calibrate.report.write_pdf", broken_pdf)
    with pytest.raises(RuntimeError):
        render_report(table, tmp_path, with_backtest=False)
    after = {name: (tmp_path / name).read_bytes() for name in REPORT_FILES}
    assert after == before
    assert not list(tmp_path.glob(".partial-*"))


def test_written_csvs_are_inert_in_a_spreadsheet(hostile_report):
    import csv

    for name in ("tickets.csv", "excluded.csv", "multipliers.csv"):
        with open(hostile_report / name, newline="", encoding="utf-8") as handle:
            cells = [cell for row in csv.reader(handle) for cell in row]
        risky = [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")
                 or (c[:1] == "-" and not c[1:2].isdigit())]
        assert risky == [], (name, risky[:3])
    tickets = pd.read_csv(hostile_report / "tickets.csv")
    assert (tickets["title"] == "'" + HOSTILE_TITLE).all() or (
        tickets["title"] == HOSTILE_TITLE).all()


def test_a_large_team_shows_its_busiest_engineers(tmp_path):
    tickets = simulate_tickets(3000, 60, seed=4).tickets
    export = write_tickets(tickets, tmp_path / "tickets.csv")
    out = tmp_path / "report"
    result = run("report", export, "--out", out, "--no-backtest", "--max-engineers", "12")
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "The team has 60 engineers; this report shows the 12" in html
    busiest = tickets[~tickets["censored"]]["engineer"].value_counts()
    shown_rows = html.split('id="engineer-multipliers"')[1].split("</table>")[0]
    assert shown_rows.count("<tr>") == 12 + 1  # header + 12 engineers
    assert busiest.index[0] in shown_rows
    # Every engineer stays in the data files.
    assert pd.read_csv(out / "multipliers.csv").query("scope == 'engineer'").shape[0] == 60


# -- lead time, the elasticity sentence, configured sizes, the backtest sentence --------------

def ticket_table(tickets, source_format="gitlab_csv"):
    """A TicketTable around a canonical table, as a reader of ``source_format`` returns it."""
    from calibrate.durations import WorkCalendar
    from calibrate.tickets import TicketTable

    excluded = tickets.iloc[:0].assign(reason=pd.Series(dtype="string"),
                                       detail=pd.Series(dtype="string"))
    return TicketTable(tickets, excluded, len(tickets), source_format, "export.csv",
                       tickets["finished_at"].max(), calendar=WorkCalendar())


def context_of(table, result, backtest_result=None):
    from calibrate.report._context import build_context

    return build_context(table, result, backtest_result=backtest_result, drift_result=None,
                         min_tickets=5, pseudonymized=False, fit_warnings=[])


def fitted(tickets, **settings):
    import warnings

    from calibrate import CalibrationWarning, Calibrator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        return Calibrator(**settings).fit(tickets).result_


def p_over_by_hand(result, engineer, area, points, cap):
    """P(a ticket of `points` takes more than `cap` days): the lognormal of the
    model's Notes, from the file's numbers, at the reference size (x = 0 when
    points == reference_points)."""
    import numpy as np
    from scipy import stats

    multipliers = result.multipliers
    assert points == multipliers.model["reference_points"]
    row = multipliers.areas.set_index("area").loc[area]
    cell = multipliers.records.query(
        "scope == 'engineer_area' and engineer == @engineer and area == @area").iloc[0]
    mean = row["intercept"] + cell["log_mean"]
    sd = np.sqrt(row["noise_sd"] ** 2 + cell["log_sd"] ** 2 + row["var_intercept"]
                 - 2 * cell["fixed_cross_intercept"])
    return 1 - stats.norm.cdf((np.log(cap) - mean) / sd)


@pytest.fixture(scope="module")
def lead_tickets():
    # Lead time is long and noisy: a 3-point ticket typically ~20 working days.
    return simulate_tickets(900, 8, intercept=3.0, noise_sd=1.2, seed=5).tickets.assign(
        clock="lead")


@pytest.fixture(scope="module")
def lead_result(lead_tickets):
    return fitted(lead_tickets)


VERDICT_WORDS = ("fails", "split it", "Recommended ticket sizes", "assumption breaks",
                 "overruns 3", "longer than 3 working days")


def test_lead_time_summary_says_so_and_gives_no_verdict_against_the_work_cap(
        lead_tickets, lead_result):
    context = context_of(ticket_table(lead_tickets), lead_result)
    first = context["summary"][0]
    # The clock, why, and how to get cycle time today.
    assert first.startswith("Every duration in this report is lead time")
    assert "GitLab's issues CSV records no start of work" in first
    assert "workflow::" in first
    for source in ("expand=changelog", "jira_json", "Linear's CSV export (its Started column)",
                   "started_at", "generic_csv"):
        assert source in first, source
    assert "no ticket is judged against the team's cap of 3 working days" in context["summary"][1]
    assert "lead_cap_days" in context["summary"][1]
    text = " ".join(context["summary"])
    for word in VERDICT_WORDS:
        assert word not in text, word
    assert context["breaks"] == [] and context["verdict_cap"] is None
    assert context["typical"], "the typical lead time table replaces the verdicts"
    figures = [figure["id"] for figure in context["figures"]]
    assert "plot_overrun_map" not in figures and "plot_recommended_sizes" not in figures
    points_caption = context["figures"][0]["caption"]
    assert "lead time is not judged against it" in points_caption


def test_a_lead_cap_gives_verdicts_labelled_as_lead_time(lead_tickets, lead_result):
    result = lead_result.with_lead_cap(10)
    context = context_of(ticket_table(lead_tickets), result)
    assert context["summary"][0].startswith("Every duration in this report is lead time")
    assert ("verdicts below are against the lead-time cap you set — 10 working days from "
            "creation to done") in context["summary"][1]
    verdict = context["summary"][2]
    assert verdict.startswith("Against the lead-time cap, a 3-point ticket should be done "
                              "within 10 working days of its creation.")
    assert "That fails more often than 20% of the time" in verdict
    assert "longer than 10 working days of lead time" in verdict
    sizes = [s for s in context["summary"] if s.startswith("Recommended ticket sizes")]
    assert sizes and "fit 10 working days of lead time with 80% confidence" in sizes[0]
    assert context["verdict_cap"] == "10" and context["breaks"]
    # Each row: P(3-point ticket > 10 lead-time days), by hand from the file's numbers.
    for row in context["breaks"][:3]:
        expected = p_over_by_hand(result, row["engineer"], row["area"], 3, 10)
        assert row["p_over"] == f"{expected:.0%}"
    html = build_html_of(ticket_table(lead_tickets), result)
    assert "Where a 3-point ticket overruns the lead-time cap" in html
    assert "P(lead time over 10 days)" in html
    assert "Where the 3-point assumption breaks" not in html


def build_html_of(table, result):
    from calibrate.report import build_html

    return build_html(table, result)


def test_a_mixed_clock_is_read_as_lead_time(lead_tickets):
    tickets = lead_tickets.copy()
    tickets["clock"] = ["cycle" if i % 4 else "lead" for i in range(len(tickets))]
    result = fitted(tickets)
    assert result.multipliers.clock == "mixed"
    context = context_of(ticket_table(tickets, "linear_csv"), result)
    first = context["summary"][0]
    assert first.startswith("225 of 900 tickets (25%) are measured in lead time")
    assert "read as lead time" in first and "Linear's CSV export" in first
    assert "delete the rows whose clock is lead" in first
    text = " ".join(context["summary"])
    for word in VERDICT_WORDS:
        assert word not in text, word
    assert context["breaks"] == []


def with_elasticity(result, rows):
    """The result with its elasticity table replaced: (area, estimate, std_error)."""
    import numpy as np
    from scipy import stats

    table = pd.DataFrame(rows, columns=["area", "elasticity", "std_error"])
    z = stats.norm.ppf(0.95)
    table["ci_low"] = table["elasticity"] - z * table["std_error"]
    table["ci_high"] = table["elasticity"] + z * table["std_error"]
    table["z_vs_1"] = (table["elasticity"] - 1) / table["std_error"]
    table["p_value_vs_1"] = 2 * stats.norm.sf(np.abs(table["z_vs_1"]))
    table["shared"] = False
    table["assumed"] = False
    return result._with(elasticity=table)  # a copy with this elasticity table


@pytest.fixture(scope="module")
def one_area():
    tickets = simulate_tickets(500, 6, areas=("general",), seed=3).tickets
    return tickets, fitted(tickets)


def elasticity_sentence(context):
    found = [s for s in context["summary"] if "story points" in s and "elasticity" in s]
    assert len(found) == 1, context["summary"]
    return found[0]


def test_the_elasticity_sentence_follows_the_estimate_and_its_test(one_area):
    tickets, result = one_area
    table = ticket_table(tickets, "jira_json")
    # 0.6, 90% interval 0.45-0.75: below 1. 3 ** 0.6 = 1.93.
    below = elasticity_sentence(context_of(table, with_elasticity(
        result, [("general", 0.6, 0.0912)])))
    assert below.startswith("Working days grow more slowly than story points: a 3-point ticket "
                            "takes 1.9× as long as a 1-point ticket, not 3×")
    assert "90% interval 0.45–0.75, entirely below 1" in below
    # 1.07 with p = 0.65 (standard error 0.1543): not distinguishable; 3 ** 1.07 = 3.24
    # must not be reported as a finding.
    level = elasticity_sentence(context_of(table, with_elasticity(
        result, [("general", 1.07, 0.1543)])))
    assert level.startswith("Working days are not distinguishable from proportional to story "
                            "points")
    assert "elasticity 1.07, 90% interval 0.82–1.32; p = 0.65 against proportional" in level
    assert "3.2×" not in level and "slower" not in level and "faster" not in level
    # 1.6, 90% interval 1.3-1.9: above 1. 3 ** 1.6 = 5.80.
    above = elasticity_sentence(context_of(table, with_elasticity(
        result, [("general", 1.6, 0.1824)])))
    assert above.startswith("Working days grow faster than story points: a 3-point ticket "
                            "takes 5.8× as long as a 1-point ticket, more than 3×")
    assert "entirely above 1" in above


def test_the_elasticity_sentences_group_areas_by_what_the_test_says(one_area):
    from calibrate.report._summary import elasticity_sentences

    _, result = one_area
    table = with_elasticity(result, [("data", 0.6, 0.0912), ("ml", 1.07, 0.1543),
                                     ("research", 0.62, 0.08)]).elasticity
    slower, level = elasticity_sentences(table, reference=3)
    assert slower.startswith("Working days grow more slowly than story points — a 3-point "
                             "ticket takes less than 3× as long as a 1-point ticket — in "
                             "data (1.9×; elasticity 0.60")
    assert "and research (2.0×; elasticity 0.62" in slower
    assert level.startswith("Working days are not distinguishable from proportional to story "
                            "points (where a 3-point ticket takes 3× as long as a 1-point "
                            "ticket) in ml (elasticity 1.07")
    # Lead time says so; reference 2 compares 2 with 1 point (2 ** 0.6 = 1.52).
    (lead,) = elasticity_sentences(table.iloc[:1], reference=2, clock="lead")
    assert lead.startswith("Lead times grow more slowly than story points: a 2-point ticket "
                           "takes 1.5× as long as a 1-point ticket, not 2×")


def test_areas_sharing_one_elasticity_are_named_together_with_its_numbers_once():
    """A real history's seven small areas shared one elasticity: the sentence
    repeated its numbers seven times."""
    from calibrate.report._summary import elasticity_sentences

    table = pd.DataFrame({
        "area": ["bug", "design", "security", "user feature"],
        "elasticity": [0.82, 1.18, 1.18, 0.50], "std_error": [0.67, 0.87, 0.87, 0.34],
        "ci_low": [-0.29, -0.26, -0.26, -0.05], "ci_high": [1.93, 2.61, 2.61, 1.06],
        "p_value_vs_1": [0.79, 0.84, 0.84, 0.14], "shared": [False, True, True, False],
        "assumed": False})
    (sentence,) = elasticity_sentences(table, reference=3, clock="lead")
    assert sentence == (
        "Lead times are not distinguishable from proportional to story points (where a "
        "3-point ticket takes 3× as long as a 1-point ticket) in bug (elasticity 0.82, 90% "
        "interval -0.29–1.93; p = 0.79 against proportional growth), design and security (one "
        "elasticity for the 2: elasticity 1.18, 90% interval -0.26–2.61; p = 0.84 against "
        "proportional growth) and user feature (elasticity 0.50, 90% interval -0.05–1.06; "
        "p = 0.14 against proportional growth).")
    # Every area sharing one: said once, as the team's.
    (every,) = elasticity_sentences(table[table["shared"]], reference=3)
    assert every.endswith("(where a 3-point ticket takes 3× as long as a 1-point ticket): "
                          "elasticity 1.18, 90% interval -0.26–2.61; p = 0.84 against "
                          "proportional growth; one elasticity for all areas.")


def test_reference_points_and_cap_are_the_configured_ones(one_area, tmp_path):
    tickets, _ = one_area
    result = fitted(tickets, reference_points=2, cap_days=5)
    table = ticket_table(tickets, "jira_json")
    context = context_of(table, result)
    text = " ".join(context["summary"])
    assert "a 2-point ticket takes at most 5 working days" in text
    assert "Recommended ticket sizes (largest points that fit 5 working days" in text
    assert "smaller than 2 points" in text
    assert "a 2-point ticket takes" in text and "not 2×" in text  # the elasticity sentence
    three = re.compile(r"(?<![\d.])3(-point| working days|×| days| points)")
    assert not three.search(text), three.search(text)
    # The breaks table's P(over) is P(2-point ticket > 5 days), by hand.
    for row in context["breaks"][:3]:
        assert row["p_over"] == f"{p_over_by_hand(result, row['engineer'], row['area'], 2, 5):.0%}"
    html = build_html_of(table, result)
    for phrase in ("Where the 2-point assumption breaks", "P(over 5 days)",
                   "Typical days at 2 points", "log(points / 2)",
                   "reference size is 2 points; the cap is 5 working days"):
        assert phrase in html, phrase
    assert not re.search(r"(?<![\d.])3(-point| working days| points)|points / 3", html)


def backtest_of(crps):
    """A BacktestResult whose per-ticket CRPS per model is given (equal coverage)."""
    from calibrate.backtest import BacktestResult

    frames = []
    for model, values in crps.items():
        frames.append(pd.DataFrame({
            "origin": pd.Timestamp("2026-01-01"), "model": model, "censored": False,
            "weight": 1.0, "ticket_id": [f"T-{i}" for i in range(len(values))], "crps": values,
            "log_score": 1.0, "brier": 0.1, "pit": 0.5, "log_actual": 0.0,
            "inside_50": True, "inside_80": [i % 5 != 0 for i in range(len(values))],
            "inside_90": True}))
    predictions = pd.concat(frames, ignore_index=True)
    return BacktestResult(scores=pd.DataFrame(), predictions=predictions, cap_days=3.0)


def test_the_backtest_sentence_names_the_strongest_baseline():
    from calibrate.report._summary import backtest_sentences

    n = 40
    # Team only is the strongest baseline, and calibrate does not beat it.
    worse = backtest_of({"calibrate": [0.42] * n, "team only": [0.40] * n,
                         "1 point = 1 day": [0.60] * n, "EBS ratios": [0.45] * n})
    first, second = backtest_sentences(worse)
    assert "the 80% intervals contained the actual duration 80% of the time" in first
    assert ("Forecast error (CRPS, lower is better): 0.42, no better than the strongest "
            "baseline, \"team only\" (points and area, no engineers), at 0.40.") in first
    assert "1 point = 1 day" not in first
    assert second.startswith("Per-engineer multipliers did not forecast better than the "
                             "team-only model")
    assert "CRPS 0.42 against 0.40" in second
    # Calibrate ahead of every baseline, EBS ratios the strongest of them.
    ahead = backtest_of({"calibrate": [0.30, 0.34] * (n // 2), "team only": [0.50] * n,
                         "1 point = 1 day": [0.60] * n, "EBS ratios": [0.40] * n})
    (only,) = backtest_sentences(ahead)
    assert ("0.32, against 0.40 for the strongest baseline, \"EBS ratios\" (each engineer's "
            "past actual / estimate ratios, resampled).") in only
    # Ahead of team only by less than the noise of the paired differences.
    close = backtest_of({"calibrate": [0.30, 0.50] * (n // 2), "team only": [0.41] * n,
                         "1 point = 1 day": [0.60] * n, "EBS ratios": [0.45] * n})
    _, noise = backtest_sentences(close)
    assert noise.startswith("Per-engineer multipliers did not forecast measurably better than "
                            "the team-only model")
    assert "within the noise of 40 tickets" in noise


@pytest.fixture(scope="module")
def lead_report(tmp_path_factory, lead_tickets):
    folder = tmp_path_factory.mktemp("lead")
    export = write_tickets(lead_tickets, folder / "tickets.csv")
    out = folder / "report"
    result = run("report", export, "--out", out, "--no-backtest")
    assert result.exit_code == 0, result.output
    return out


def test_a_lead_time_report_end_to_end(lead_report):
    html = (lead_report / "report.html").read_text(encoding="utf-8")
    summary = html.split('<section id="summary">')[1].split("</section>")[0]
    assert "Every duration in this report is lead time" in summary
    assert "Typical lead time of a 3-point ticket" in summary
    for word in ("fails more often", "split it", "Where the 3-point assumption breaks"):
        assert word not in summary, word
    document = json.loads((lead_report / "multipliers.json").read_text(encoding="utf-8"))
    assert document["model"]["clock"] == "lead" and document["model"]["lead_cap_days"] is None
    assert set(pd.read_csv(lead_report / "multipliers.csv")["clock"]) == {"lead"}
    text = "\n".join(page.extract_text() for page in PdfReader(lead_report / "report.pdf").pages)
    assert "Every duration in this report is lead time" in " ".join(text.split())


# -- aging work and what the data cannot determine ---------------------------------------

def test_abandoned_open_tickets_are_named_and_counted():
    simulated = simulate_tickets(600, 10, seed=3, history_days=400, abandoned=0.02)
    abandoned = set(simulated.truth["abandoned_ids"])
    table = ticket_table(simulated.tickets, source_format="jira_json")
    context = context_of(table, fitted(simulated.tickets))
    listed = {row["ticket"] for row in context["aging"]}
    # Every abandoned ticket is named; a genuine ticket far in the model's
    # tail may be too (here one 3-pointer open for 8.6 working days).
    assert abandoned <= listed and len(listed - abandoned) <= 1
    assert context["open_total"] == int(simulated.tickets["censored"].sum())
    sentence = next(s for s in context["summary"] if "look abandoned" in s)
    assert sentence.startswith(f"{len(listed)} of {context['open_total']} open tickets")
    html = build_html_of(table, fitted(simulated.tickets))
    assert "Aging work" in html and sorted(abandoned)[0] in html


def test_engineer_and_area_effects_not_told_apart_are_said_plainly():
    tickets = simulate_tickets(800, 10, seed=5, history_days=600, areas=("a", "b")).tickets
    number = tickets["engineer"].str[-2:].astype(int)
    tickets["area"] = pd.array(number.map(lambda n: "a" if n % 2 else "b"), dtype="string")
    result = fitted(tickets)
    assert result.variance_components["identification"]["split"] == "not identified"
    context = context_of(ticket_table(tickets, source_format="jira_json"), result)
    assert any("cannot tell an engineer who is fast in general from one who is fast in "
               "their area" in sentence for sentence in context["summary"])
    # A team where engineers work across areas gets no such sentence.
    across = simulate_tickets(800, 10, seed=5, history_days=600).tickets
    context = context_of(ticket_table(across, source_format="jira_json"), fitted(across))
    assert not any("fast in general" in sentence for sentence in context["summary"])


# -- a large team on paper and on a phone; the one-page summary; no PDF -----------------------

TEAM_AREAS = ("research", "ml-engineering", "data-engineering", "platform")
#: Titles the displays draw inside the figures whose height grows with the team.
ENGINEER_FIGURE_TITLES = ("Duration multipliers per engineer and area",
                          "How often a 3-point ticket takes more than 3 working days",
                          "Largest ticket that fits 3 working days",
                          "Tickets per engineer and area")
#: A page (but the last) whose content reaches less far down than this is nearly blank.
LEAST_PAGE_CONTENT = 0.3


@pytest.fixture(scope="module")
def team_report(tmp_path_factory):
    """The report of a 40-engineer, 4-area team (no backtest: the slow part)."""
    folder = tmp_path_factory.mktemp("team")
    tickets = simulate_tickets(2400, 40, areas=TEAM_AREAS, seed=12).tickets
    table = read_export(write_tickets(tickets, folder / "tickets.csv"))
    engineers = sorted(table.tickets["engineer"].unique())
    assert len(engineers) == 40
    render_report(table, folder / "report", with_backtest=False)
    return folder / "report", engineers


def pdf_pages(path: Path) -> list[str]:
    """The text a reader sees on each page, whitespace runs made single spaces.

    By poppler's pdftotext, which keeps only what is drawn inside the page:
    pypdf also extracts the text of a figure cut off at the page's bottom.
    """
    import subprocess

    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout
    return [" ".join(page.split()) for page in text.split("\f")[:-1]]


def content_extent(path: Path) -> list[float]:
    """How far down each page of a PDF its content reaches, from the first
    inked pixel row to the last, as a share of the page height (rendered at
    20 dpi in grey by poppler's pdftoppm)."""
    import subprocess

    import numpy as np

    raw = subprocess.run(["pdftoppm", "-gray", "-r", "20", str(path)], capture_output=True,
                         check=True).stdout
    extents = []
    while raw:  # one binary PGM per page: "P5\nwidth height\n255\n" then the pixels
        _, size, _, rest = raw.split(b"\n", 3)
        width, height = map(int, size.split())
        pixels = np.frombuffer(rest[:width * height], np.uint8).reshape(height, width)
        raw = rest[width * height:]
        inked = np.flatnonzero((pixels < 200).any(axis=1))
        extents.append((inked[-1] - inked[0] + 1) / height if len(inked) else 0.0)
    return extents


def test_the_pdf_of_a_large_team_shows_every_engineer_in_every_figure(team_report):
    out, engineers = team_report
    pages = pdf_pages(out / "report.pdf")
    assert all(name in " ".join(pages) for name in engineers)
    # Names are drawn as text in the figures: each figure whose height grows
    # with the team names every engineer on the pages that carry its title.
    for title in ENGINEER_FIGURE_TITLES:
        drawn = " ".join(page for page in pages if title in page)
        missing = [name for name in engineers if name not in drawn]
        assert drawn and not missing, (title, missing)


def test_the_pdf_of_a_large_team_has_no_nearly_blank_page(team_report, sample_report):
    for out in (team_report[0], sample_report[0]):
        extents = content_extent(out / "report.pdf")
        blank = [number for number, extent in enumerate(extents[:-1], start=1)
                 if extent < LEAST_PAGE_CONTENT]
        assert not blank, (out, blank, [round(extent, 2) for extent in extents])


def test_page_one_is_a_summary_a_lead_can_read_alone(team_report, sample_report):
    for out, backtest_words in ((sample_report[0], "Backtest on "),
                                (team_report[0], "No backtest in this report")):
        pages = pdf_pages(out / "report.pdf")
        first = pages[0]
        assert "The team assumes a 3-point ticket takes at most 3 working days." in first
        assert "Recommended ticket sizes" in first
        html = (out / "report.html").read_text(encoding="utf-8")
        summary = html.split('<section id="summary"')[1].split("</section>")[0]
        rows = re.findall(r"<tr class=\"(?:breaks|holds)\"><td>([^<]+)</td><td>([^<]+)</td>",
                          summary)
        assert rows, "the recommended sizes table is in the summary"
        # Every row of it on page 1, read line by line as laid out: the plain
        # reading order may put two names of adjacent rows before their areas.
        layout = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1",
                                 str(out / "report.pdf"), "-"], capture_output=True,
                                check=True, text=True).stdout
        lines = [re.sub(r"[\s-]", "", line) for line in layout.splitlines()]
        for engineer, area in rows:
            wanted = re.sub(r"[\s-]", "", engineer + area)
            assert any(wanted in line for line in lines), (engineer, area)
        assert backtest_words in first
        assert "not a ranking of people" in first
        assert pages[1].startswith("Plots"), pages[1][:80]


def test_the_summary_of_a_large_team_points_to_the_full_table(team_report):
    out, _ = team_report
    first = pdf_pages(out / "report.pdf")[0]
    found = re.search(r"The 12 of (\d+) engineer × area combinations most likely to overrun; "
                      r"all \d+ are in the table under Tables", first)
    assert found and int(found[1]) > 100, first
    html = (out / "report.html").read_text(encoding="utf-8")
    full = html.split('id="all-verdicts"')[1].split("</table>")[0]
    assert full.count("<tr class=") == int(found[1])


def test_on_a_phone_nothing_is_wider_than_the_screen_and_plots_stay_legible(
        sample_report, team_report):
    for out in (sample_report[0], team_report[0]):
        facts, problems, _ = browse(out / "report.html", width=400)
        assert facts["wide"] == [] and not facts["pageOverflow"], facts["wide"][:10]
        # Shrunk to less than two thirds of their drawn size, the figures'
        # 9-point labels would be under 6 points: scroll sideways instead.
        assert facts["plotScales"] and min(facts["plotScales"]) >= 0.66, facts["plotScales"]
        assert problems["console"] == []


def test_a_report_without_its_pdf(tmp_path):
    table = read_export(SAMPLE / "jira_changelog.json", config=SAMPLE / "calibrate.toml")
    (tmp_path / "report.pdf").write_bytes(b"%PDF- an earlier report's")
    written = render_report(table, tmp_path, with_backtest=False, pdf=False)
    assert set(written) == set(REPORT_FILES) - {"report.pdf"}
    # No PDF beside the page: not even an earlier run's, which would not match it.
    assert not (tmp_path / "report.pdf").exists()
    html = written["report.html"].read_text(encoding="utf-8")
    for heading in SECTIONS + FIGURES[:5] + ("Data quality",):
        assert heading in html, heading
    assert "report.pdf" not in html
    with_pdf = render_report(table, tmp_path / "both", with_backtest=False)
    assert "report.pdf" in with_pdf["report.html"].read_text(encoding="utf-8")


def test_min_tickets_and_name_order_hold_in_every_table(tmp_path):
    # --min-tickets hides an engineer's own numbers in the engineer table too, and
    # names are listed ignoring case ('alice' between 'Adam' and 'Bob').
    tickets = simulate_tickets(900, 6, seed=8).tickets
    names = ["Adam", "alice", "Bob", "carol", "Dave", "émile"]
    codes = sorted(tickets["engineer"].unique())
    tickets["engineer"] = tickets["engineer"].map(dict(zip(codes, names, strict=True))).astype(
        "string")
    finished = tickets[~tickets["censored"]]["engineer"].value_counts()
    threshold = int(finished.min()) + 1  # the least busy engineer falls below it
    table = ticket_table(tickets)
    written = render_report(table, tmp_path, min_tickets=threshold, with_backtest=False,
                            pdf=False)
    html = written["report.html"].read_text(encoding="utf-8")
    rows = html.split('id="engineer-multipliers"')[1].split("</table>")[0].split("<tr>")[2:]
    shown = [re.search(r"<td>(.*?)</td>", row).group(1) for row in rows]
    assert shown == ["Adam", "alice", "Bob", "carol", "Dave", "émile"]
    quiet = finished.idxmin()
    quiet_row = rows[shown.index(quiet)]
    assert "too few tickets" in quiet_row
    busy_row = rows[shown.index(finished.idxmax())]
    assert "too few tickets" not in busy_row


@pytest.mark.parametrize("value, text", [(0.0004, "p < 0.001"), (0.0042, "p = 0.004"),
                                         (0.0099, "p = 0.010"), (0.65, "p = 0.65")])
def test_a_small_p_value_is_not_printed_as_zero(value, text):
    # mlreef's elasticity test gave p = 0.004, printed as "p = 0.00".
    from calibrate.report._common import p_value_text

    assert p_value_text(value) == text


def test_the_sprint_plan_section_in_a_real_browser(tmp_path):
    out = tmp_path / "plan"
    result = run("report", SAMPLE / "jira_changelog.json", "--config", SAMPLE / "calibrate.toml",
                 "--out", out, "--plan", SAMPLE / "plan.csv", "--capacity",
                 SAMPLE / "capacity.csv", "--no-backtest", "--no-pdf")
    assert result.exit_code == 0, result.output
    for width in (1300, 400):
        facts, problems, screenshot = browse(out / "report.html", width=width)
        assert problems == {"console": [], "requests": [], "dialogs": []}, width
        assert facts["sections"] == ["Summary", "Sprint plan", *SECTIONS[1:]]
        assert facts["images"] and all(facts["images"]) and facts["scripts"] == 0
        assert "Chance that the whole plan fits" in facts["text"]
        # Nothing wider than the window, but inside a box that scrolls sideways.
        assert facts["wide"] == [] and not facts["pageOverflow"], (width, facts["wide"][:10])
        assert min(facts["plotScales"]) >= 0.66, (width, facts["plotScales"])
        if width > 1200:  # at full width no table needs to scroll
            assert not facts["overflowing"], facts["overflowing"]
        assert screenshot[:8] == b"\x89PNG\r\n\x1a\n"

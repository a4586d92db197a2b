"""The report: every file written, the HTML in a real headless browser
(offline, no console errors, inert markup), the PDF's text, privacy options."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from calibrate import read_export
from calibrate.cli import cli
from calibrate.io import write_tickets
from calibrate.report import REPORT_FILES, render_report
from calibrate.synth import simulate_tickets

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SECTIONS = ("Summary", "Plots", "Tables", "Method and data quality")
FIGURES = ("Where points break", "Overrun map", "Recommended ticket size", "Multipliers",
           "Points elasticity", "Calibration (backtest)", "Drift", "Data quality")
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
                 "--out", out, "--pseudonymize", "--no-backtest")
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
        "--out", again, "--pseudonymize", "--no-backtest")
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

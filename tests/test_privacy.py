"""Pseudonyms: keyed, unique, random by default, and every known form of every
known name scrubbed from every text field, the notes and the path."""

from __future__ import annotations

import csv
import dataclasses
import json
import re
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from calibrate.datasets import simulate_tickets
from calibrate.io import read_export
from calibrate.privacy import PARTIAL, pseudonym, pseudonymize
from calibrate.tickets import TicketTable, empty_exclusions


def table_with(names, titles):
    tickets = simulate_tickets(len(names), 1, seed=0).tickets
    tickets["engineer"] = pd.array(names, dtype="string")
    tickets["title"] = pd.array(titles, dtype="string")
    return TicketTable(tickets=tickets, excluded=empty_exclusions(), rows_read=len(tickets),
                       source_format="canonical", path="x.csv",
                       as_of=pd.Timestamp("2026-01-01"), notes=["Priya Raman had 2 tickets"])


def test_pseudonyms_are_stable_and_keyed():
    assert pseudonym("Priya Raman", "k") == pseudonym("Priya Raman", "k")
    assert pseudonym("Priya Raman", "k") != pseudonym("Priya Raman", "other")
    assert pseudonym("Priya Raman", "k") != pseudonym("Priya Ramen", "k")


def test_without_a_key_the_pseudonyms_are_random():
    # A public default key lets anyone with a list of candidate names undo them.
    table = table_with(["Priya Raman", "Lee Park"], ["a", "b"])
    first, mapping = pseudonymize(table)
    second, other = pseudonymize(table)
    assert mapping.key != other.key and len(mapping.key) >= 16
    assert mapping["Priya Raman"] != other["Priya Raman"]
    # A stable key is an explicit choice, and reproduces the pseudonyms.
    again, same = pseudonymize(table, key=mapping.key)
    assert same == mapping and list(again.tickets["engineer"]) == list(first.tickets["engineer"])


def test_names_are_replaced_everywhere():
    table = table_with(
        ["Priya Raman", "zoe.muller@example.com", "Priya Raman"],
        ["Pair with priya raman on the loader", "Review Zoe's PR", "ask Raman"])
    private, mapping = pseudonymize(table, key="k")
    assert set(private.tickets["engineer"]) == set(mapping.values())
    text = " ".join(private.tickets["title"]) + " ".join(private.notes)
    for word in ("Priya", "Raman", "zoe", "muller"):
        assert word.lower() not in text.lower()
    assert mapping["Priya Raman"] in private.tickets["title"].iloc[0]
    # The original table is untouched.
    assert table.tickets["engineer"].iloc[0] == "Priya Raman"


def test_short_name_parts_are_left_in_text():
    # Parts under three letters ("Al") would wipe ordinary words; only whole names go.
    table = table_with(["Al Li"], ["Al Li fixed the ALL-caps label"])
    private, mapping = pseudonymize(table, key="k")
    assert private.tickets["title"].iloc[0] == f"{mapping['Al Li']} fixed the ALL-caps label"


def test_pseudonyms_are_unique():
    names = [f"person {i}" for i in range(300)]
    private, mapping = pseudonymize(table_with(names, ["t"] * 300), key="k")
    assert len(set(mapping.values())) == 300
    assert dataclasses.is_dataclass(private)


# ---------------------------------------------------------------- every spelling


@dataclasses.dataclass(frozen=True)
class Person:
    first: str
    last: str
    username: str

    @property
    def display(self) -> str:
        return f"{self.first} {self.last}"


# Every word of every name has five letters or more, so no 4-character
# pseudonym suffix ("Engineer K4TQ") can contain one by chance.
TEAM = (
    Person("Renée", "O’Connor", "roconnor"),
    Person("Jürgen", "Weiß", "jweiss"),
    Person("Priya", "Raman", "praman"),
    Person("Zoltán", "Müller-Lüdke", "zmueller"),
)
FILLER = ("fix the loader", "review", "pair on it", "ask", "update readme")


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))


def ascii_name(text: str) -> str:
    return strip_accents(text.replace("ß", "ss")).replace("’", "'")


def german(text: str) -> str:
    for umlaut, spelled in (("ü", "ue"), ("ö", "oe"), ("ä", "ae"), ("ß", "ss")):
        text = text.replace(umlaut, spelled)
    return text


def squashed(text: str) -> str:
    return re.sub(r"[\s'’\-]", "", ascii_name(text))


#: The spellings a name turns up in, in titles, labels, sprints, areas ...
SPELLINGS = {
    "as written": lambda p: p.display,
    "lower case": lambda p: p.display.lower(),
    "upper case": lambda p: p.display.upper(),
    "accents dropped": lambda p: strip_accents(p.display),
    "ß as ss, no accents": lambda p: ascii_name(p.display),
    "umlauts as ue": lambda p: german(p.display),
    "straight apostrophe": lambda p: p.display.replace("’", "'"),
    "decomposed accents": lambda p: unicodedata.normalize("NFD", p.display),
    "First.Last": lambda p: ascii_name(p.display).replace(" ", "."),
    "first.last@ e-mail": lambda p: ascii_name(p.display).lower().replace(" ", ".")
    + "@example.com",
    "first_last": lambda p: ascii_name(p.display).lower().replace(" ", "_"),
    "first-last": lambda p: ascii_name(p.display).lower().replace(" ", "-"),
    "FirstLast": lambda p: squashed(p.first) + squashed(p.last),
    "firstlast": lambda p: (squashed(p.first) + squashed(p.last)).lower(),
    "Last, First": lambda p: f"{p.last}, {p.first}",
    "surname alone": lambda p: p.last,
    "surname, no accents": lambda p: ascii_name(p.last),
    "first name alone": lambda p: p.first,
    "first name, no accents": lambda p: ascii_name(p.first),
    "possessive": lambda p: f"{p.first}’s",
    "username": lambda p: p.username,
    "@mention": lambda p: f"@{p.username}",
    "username e-mail": lambda p: f"{p.username}@corp.example.org",
}
assert len(SPELLINGS) >= 20

#: Text fields of the tickets, of the excluded rows, and of the table.
TICKET_FIELDS = ("title", "labels", "components", "epic", "sprints", "status", "issue_type",
                 "area")
EXCLUDED_FIELDS = (*TICKET_FIELDS, "detail")


def forbidden(people=TEAM) -> set[str]:
    """Every word of every name, folded, and the words run together."""
    words = set()
    for person in people:
        for name in (person.display, german(person.display), person.username):
            folded = ascii_name(name).casefold()
            parts = [w for w in re.split(r"[\W_]+", folded) if w]
            words.update(w for w in parts if len(w) >= 3)
            words.add("".join(parts))
    return words


def leaks(text: str, words: set[str]) -> set[str]:
    """The forbidden words in a text, compared folded, as parts of words too."""
    folded = ascii_name(unicodedata.normalize("NFC", text)).casefold()
    return {word for word in words if word in folded}


def spelled_table(cells: dict[str, list[str]], n: int) -> TicketTable:
    tickets = simulate_tickets(n, len(TEAM), seed=1).tickets
    tickets["engineer"] = pd.array([TEAM[i % len(TEAM)].username for i in range(n)],
                                   dtype="string")
    for column in TICKET_FIELDS:
        tickets[column] = pd.array(cells[column], dtype="string")
    excluded = empty_exclusions()
    excluded = pd.concat([excluded, tickets.assign(
        reason="no points", detail=pd.array(cells["detail"], dtype="string"))[excluded.columns]],
        ignore_index=True).astype(excluded.dtypes.to_dict())
    return TicketTable(
        tickets=tickets, excluded=excluded, rows_read=2 * n, source_format="gitlab_csv",
        path=f"/home/{TEAM[0].username}/exports/{cells['path'][0]}.csv",
        as_of=pd.Timestamp("2026-01-01"), notes=cells["notes"],
        people=[(p.username, p.display) for p in TEAM])


def spelled(draw_person: int, spelling: str, filler: str) -> str:
    return f"{filler} {SPELLINGS[spelling](TEAM[draw_person])} {filler}"


_cells = st.lists(st.tuples(st.integers(0, len(TEAM) - 1), st.sampled_from(sorted(SPELLINGS)),
                            st.sampled_from(FILLER)), min_size=6, max_size=6)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.fixed_dictionaries({field: _cells for field in
                              (*EXCLUDED_FIELDS, "notes", "path")}))
def test_no_spelling_of_any_name_survives_in_any_field(drawn):
    cells = {field: [spelled(*cell) for cell in values] for field, values in drawn.items()}
    table = spelled_table(cells, 6)
    private, mapping = pseudonymize(table, key="k")
    words = forbidden()
    for frame in (private.tickets, private.excluded):
        for column in frame.columns:
            if column == "ticket_id" or not pd.api.types.is_string_dtype(frame[column]):
                continue
            for value in frame[column].dropna():
                assert not leaks(value, words), (column, value)
    for text in [*private.notes, private.path]:
        assert not leaks(text, words), text
    assert private.people == []


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
def test_every_spelling_is_replaced(spelling):
    # Each spelling on its own, in a title, for every person (a readable failure).
    n = len(TEAM)
    cells = {field: ["x"] * n for field in (*EXCLUDED_FIELDS, "notes", "path")}
    cells["title"] = [spelled(i, spelling, "fix") for i in range(n)]
    private, _ = pseudonymize(spelled_table(cells, n), key="k")
    for before, after in zip(cells["title"], private.tickets["title"], strict=True):
        assert not leaks(after, forbidden()), (before, after)


def test_every_form_of_a_name_becomes_the_persons_pseudonym():
    n = len(TEAM)
    cells = {field: ["x"] * n for field in (*EXCLUDED_FIELDS, "notes", "path")}
    cells["title"] = [f"Update {p.display}’s readme" for p in TEAM]
    cells["labels"] = [f"owner::{p.first.lower()}" for p in TEAM]
    private, mapping = pseudonymize(spelled_table(cells, n), key="k")
    for person, title, labels in zip(TEAM, private.tickets["title"], private.tickets["labels"],
                                     strict=True):
        assert title == f"Update {mapping[person.username]}’s readme"
        assert mapping[person.display] == mapping[person.username]
        assert labels == f"owner::{mapping[person.username]}"


def test_a_part_two_people_share_becomes_a_neutral_word():
    table = table_with(["Priya Raman", "Priya Shah"], ["ask Priya", "ask Raman or Shah"])
    private, mapping = pseudonymize(table, key="k")
    assert list(private.tickets["title"]) == [
        f"ask {PARTIAL}", f"ask {mapping['Priya Raman']} or {mapping['Priya Shah']}"]


def test_an_area_named_after_a_person_stays_one_area():
    n = 8
    cells = {field: ["x"] * n for field in (*EXCLUDED_FIELDS, "notes", "path")}
    cells["area"] = ["Renée’s squad", "platform", "Jürgen's squad", "Renee's squad"] * 2
    private, mapping = pseudonymize(spelled_table(cells, n), key="k")
    areas = private.tickets["area"]
    assert not any(leaks(a, forbidden()) for a in areas)
    assert areas.iloc[0] == areas.iloc[4] == f"{mapping['roconnor']}’s squad"
    assert areas.iloc[2] == f"{mapping['jweiss']}'s squad"
    assert areas.nunique() == 4  # no two areas merged (two spellings stay two areas)


def test_areas_that_would_merge_are_kept_apart():
    table = table_with(["Priya Raman", "Priya Shah"], ["a", "b"])
    table.tickets["area"] = pd.array(["Priya's squad", "priya's squad"], dtype="string")
    private, _ = pseudonymize(table, key="k")
    assert list(private.tickets["area"]) == [f"{PARTIAL}'s squad", f"{PARTIAL}'s squad (2)"]


# ---------------------------------------------------------------- a GitLab export

GITLAB_HEADER = ["Issue ID", "URL", "Title", "State", "Description", "Author",
                 "Author Username", "Assignee", "Assignee Username", "Confidential", "Locked",
                 "Due Date", "Created At (UTC)", "Updated At (UTC)", "Closed At (UTC)",
                 "Milestone", "Weight", "Labels", "Time Estimate", "Time Spent", "Epic ID",
                 "Epic Title", "Squad"]
#: Someone who only reports issues: named in the export, never an engineer.
REPORTER = Person("Oksana", "Kovalenko", "okoval")


def write_gitlab_export(path: Path, rows: int = 48) -> Path:
    """A GitLab "Export as CSV" file: engineers are usernames, while titles,
    labels, milestones, epics and the squad column use display names."""
    path.parent.mkdir(parents=True, exist_ok=True)
    spellings = sorted(SPELLINGS)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(GITLAB_HEADER)
        for i in range(rows):
            person = TEAM[i % len(TEAM)]
            other = TEAM[(i + 1) % len(TEAM)]
            spelling = SPELLINGS[spellings[i % len(spellings)]]
            assignees = ((f"{person.display}, {other.display}",
                          f"{person.username}, {other.username}") if i % 7 == 0
                         else (person.display, person.username))
            author = REPORTER if i % 3 == 0 else other
            day = 1 + i % 20
            closed = f"2024-03-{day + 1 + i % 5:02d} 15:00:00" if i % 6 else ""
            writer.writerow([
                i + 1, f"https://gitlab.com/team/app/-/issues/{i + 1}",
                f"Update {spelling(person)}'s readme, asked by {REPORTER.display}",
                "Closed" if closed else "Opened", "", author.display, author.username,
                *assignees, "No", "No", "", f"2024-03-{day:02d} 09:00:00",
                f"2024-03-{day:02d} 10:00:00", closed,
                f"Sprint of {spelling(other)}", "" if i % 11 == 0 else str(1 + i % 5),
                f"Type::Feature,spoc::{person.first.lower()},owner::{spelling(other)},"
                + ("workflow::In Progress" if i % 6 == 0 else "frontend"),
                "0", "0", "7", f"{person.last}'s epic",
                f"{person.first}’s squad" if i % 2 else "platform",
            ])
    return path


@pytest.fixture
def gitlab_export(tmp_path):
    # The path names people too (a home directory, a file named after a person).
    return write_gitlab_export(
        tmp_path / TEAM[2].username / f"{TEAM[0].first}_{TEAM[0].last}_issues.csv")


def squad_config(tmp_path: Path) -> Path:
    config = tmp_path / "calibrate.toml"
    config.write_text('[areas]\ncolumn = "Squad"\n', encoding="utf-8")
    return config


def test_a_gitlab_export_keeps_display_names_for_privacy(gitlab_export, tmp_path):
    table = read_export(gitlab_export, config=squad_config(tmp_path))
    assert set(table.tickets["engineer"]) <= {p.username for p in TEAM}
    people = set(table.people)
    assert {(p.username, p.display) for p in (*TEAM, REPORTER)} <= people


def test_a_gitlab_export_names_nobody_once_pseudonymized(gitlab_export, tmp_path):
    table = read_export(gitlab_export, config=squad_config(tmp_path))
    private, mapping = pseudonymize(table)
    words = forbidden((*TEAM, REPORTER))
    for frame in (private.tickets, private.excluded):
        for column in frame.columns:
            if column == "ticket_id" or not pd.api.types.is_string_dtype(frame[column]):
                continue
            for value in frame[column].dropna().unique():
                assert not leaks(value, words), (column, value)
    for text in [*private.notes, private.path, str(private.summary())]:
        assert not leaks(text, words), text
    # A title naming its engineer shows the engineer's own pseudonym, not a
    # second identity, and a display name maps to its username's pseudonym.
    first = private.tickets.iloc[0]
    assert first["title"].startswith(f"Update {first['engineer']}") or PARTIAL in first["title"]
    for person in TEAM:
        assert mapping[person.display] == mapping[person.username]
    # The areas named after people are still one area per squad.
    assert private.tickets["area"].nunique() == table.tickets["area"].nunique()


# ---------------------------------------------------------------- end to end


def run(*args):
    return CliRunner().invoke(cli_group(), [str(a) for a in args], prog_name="calibrate")


def cli_group():
    from calibrate.cli import cli

    return cli


def output_texts(out: Path) -> dict[str, str]:
    texts = {}
    for path in sorted(out.iterdir()):
        if path.suffix == ".pdf":
            texts[path.name] = "\n".join(page.extract_text() for page in PdfReader(path).pages)
        elif path.is_file():
            texts[path.name] = path.read_text(encoding="utf-8")
    return texts


def test_report_pseudonymized_names_nobody_anywhere(gitlab_export, tmp_path):
    """Through ``calibrate report --pseudonymize``: the HTML, the PDF's text,
    every data file and the terminal. Needs the CLI to pseudonymize what it
    prints and to draw (and print once) a random key when none is given."""
    out = tmp_path / "shared"
    config = squad_config(tmp_path)
    result = run("report", gitlab_export, "--config", config, "--out", out, "--pseudonymize",
                 "--no-backtest")
    assert result.exit_code == 0, result.output
    words = forbidden((*TEAM, REPORTER))
    texts = output_texts(out)
    assert {"report.html", "report.pdf", "tickets.csv", "excluded.csv",
            "multipliers.json", "multipliers.csv"} <= set(texts)
    for name, text in texts.items():
        assert not leaks(text, words), (name, leaks(text, words))
    terminal = result.output  # stdout and stderr, as the user sees them
    assert not leaks(terminal, words), leaks(terminal, words)
    # No key given: a random one, printed once (on stderr), so the run can be repeated.
    keys = re.findall(r"pseudonym key for this run: (\S+?);", result.stderr)
    assert len(keys) == 1, terminal
    again = tmp_path / "again"
    result = run("report", gitlab_export, "--config", config, "--out", again,
                 "--pseudonymize", "--pseudonym-key", keys[0], "--no-backtest")
    assert result.exit_code == 0, result.output
    assert (out / "multipliers.csv").read_text() == (again / "multipliers.csv").read_text()
    other = tmp_path / "other"
    result = run("report", gitlab_export, "--config", config, "--out", other,
                 "--pseudonymize", "--no-backtest")
    assert result.exit_code == 0, result.output
    engineers = {json.dumps(sorted(pd.read_csv(d / "tickets.csv")["engineer"].unique()))
                 for d in (out, other)}
    assert len(engineers) == 2  # a fresh random key: other pseudonyms

"""``[people] names``: one name per person across exports (calibrate.io._people)."""

import warnings

import pandas as pd
from _helpers import SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from calibrate import CalibrationWarning, Calibrator
from calibrate.config import config_from_dict, load_config
from calibrate.io import read_export
from calibrate.io._people import apply_people_names
from calibrate.io.skills import read_skills
from calibrate.privacy import pseudonymize
from calibrate.tickets import TicketTable, empty_exclusions

#: The sample team's Linear e-mails, as its Jira exports name the same people.
EMAILS = {"aiko.tanaka@example.com": "Aiko Tanaka", "daniel.okafor@example.com": "Daniel Okafor",
          "marcus.lindqvist@example.com": "Marcus Lindqvist",
          "priya.raman@example.com": "Priya Raman", "rafael.souza@example.com": "Rafael Souza",
          "tomasz.kowalczyk@example.com": "Tomasz Kowalczyk",
          "zoe.muller@example.com": "Zoë Müller"}


def sample_config(people: bool = True):
    """The sample's settings, with its ``[people] names`` or without any."""
    import tomllib

    raw = tomllib.loads((SAMPLE / "calibrate.toml").read_text(encoding="utf-8"))
    assert raw["people"]["names"] == EMAILS  # what the sample's settings say
    raw.pop("people")
    return config_from_dict({**raw, "people": {"names": EMAILS}} if people else raw)


def test_the_linear_export_reads_as_the_jira_export_names_people():
    config = sample_config()
    linear = read_export(SAMPLE / "linear_export.csv", config=config)
    jira = read_export(SAMPLE / "jira_changelog.json", config=config)
    assert set(linear.tickets["engineer"]) == set(jira.tickets["engineer"])
    assert linear.rows_read == len(linear.tickets) + len(linear.excluded)
    plain = read_export(SAMPLE / "linear_export.csv", config=sample_config(people=False))
    # Only the names change: every other cell, and every row, as before.
    pd.testing.assert_frame_equal(linear.tickets.drop(columns="engineer"),
                                  plain.tickets.drop(columns="engineer"))
    assert linear.tickets["engineer"].tolist() == plain.tickets["engineer"].map(EMAILS).tolist()
    note = [n for n in linear.notes if "[people] names" in n]
    assert note and note[0].startswith("7 name(s) read as the name [people] names gives: "
                                       "'aiko.tanaka@example.com' as 'Aiko Tanaka'")
    assert note[0].endswith("and 2 more")


def test_one_skills_file_then_serves_the_linear_export():
    profiles = read_skills(SAMPLE / "skills.csv")
    table = read_export(SAMPLE / "linear_export.csv", config=sample_config())
    profiles.check_against(table.tickets)  # every name and area found
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        result = Calibrator().fit(table, skills=profiles).result_
    assert result.level_effects is not None and result.ramp_up is not None


def test_pseudonymising_still_finds_the_old_names():
    table = read_export(SAMPLE / "linear_export.csv", config=sample_config())
    private, mapping = pseudonymize(table, key="k")
    assert "Priya Raman" in mapping
    assert mapping.text("mail priya.raman@example.com") != "mail priya.raman@example.com"
    text = " ".join(private.notes)
    assert "priya.raman@example.com" not in text and "Priya Raman" not in text


def test_no_names_leaves_the_table_as_it_is():
    table = read_export(SAMPLE / "linear_export.csv")
    assert apply_people_names(table, {}) is table
    assert apply_people_names(table, {"nobody@example.com": "Nobody"}) is table
    assert load_config(None).people_names == {}


NAMES = st.sampled_from(["ann", "Ann", "ANN ", "bo", "Bo", "cy", "dee"])


@settings(max_examples=60, deadline=None)
@given(engineers=st.lists(NAMES, min_size=1, max_size=12),
       names=st.dictionaries(st.sampled_from(["ann", "bo", "zed"]),
                             st.sampled_from(["Ann A.", "Bo B.", "cy"]), max_size=3))
def test_only_the_engineer_column_changes_and_every_row_stays(engineers, names):
    from calibrate.config import person_key

    tickets = pd.DataFrame({"engineer": pd.array(engineers, dtype="string"),
                            "ticket_id": [f"T-{i}" for i in range(len(engineers))]})
    table = TicketTable(tickets=tickets, excluded=empty_exclusions(),
                        rows_read=len(engineers), source_format="canonical", path="x.csv",
                        as_of=pd.Timestamp("2026-01-01"))
    renamed = apply_people_names(table, names)
    assert renamed.rows_read == len(renamed.tickets) == len(engineers)
    expected = [names.get(person_key(e), e) for e in engineers]
    assert renamed.tickets["engineer"].tolist() == expected
    assert renamed.tickets["ticket_id"].tolist() == tickets["ticket_id"].tolist()
    assert str(renamed.tickets["engineer"].dtype) == "string"

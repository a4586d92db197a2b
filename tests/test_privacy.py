"""Pseudonyms: stable, unique, and names scrubbed from free text."""

import dataclasses

import pandas as pd

from calibrate.datasets import simulate_tickets
from calibrate.privacy import pseudonym, pseudonymize
from calibrate.tickets import TicketTable, empty_exclusions


def table_with(names, titles):
    tickets = simulate_tickets(len(names), 1, seed=0).tickets
    tickets["engineer"] = pd.array(names, dtype="string")
    tickets["title"] = pd.array(titles, dtype="string")
    return TicketTable(tickets=tickets, excluded=empty_exclusions(), rows_read=len(tickets),
                       source_format="canonical", path="x.csv",
                       as_of=pd.Timestamp("2026-01-01"), notes=["Priya Raman had 2 tickets"])


def test_pseudonyms_are_stable_and_keyed():
    assert pseudonym("Priya Raman") == pseudonym("Priya Raman")
    assert pseudonym("Priya Raman") != pseudonym("Priya Raman", key="other")
    assert pseudonym("Priya Raman") != pseudonym("Priya Ramen")


def test_names_are_replaced_everywhere():
    table = table_with(
        ["Priya Raman", "zoe.muller@example.com", "Priya Raman"],
        ["Pair with priya raman on the loader", "Review Zoe's PR", "ask Raman"])
    private, mapping = pseudonymize(table)
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
    private, mapping = pseudonymize(table)
    assert private.tickets["title"].iloc[0] == f"{mapping['Al Li']} fixed the ALL-caps label"


def test_pseudonyms_are_unique():
    names = [f"person {i}" for i in range(300)]
    private, mapping = pseudonymize(table_with(names, ["t"] * 300))
    assert len(set(mapping.values())) == 300
    assert dataclasses.is_dataclass(private)

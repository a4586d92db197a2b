"""SkillProfiles: normalisation, validation, matching against tickets, pseudonyms."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibrate import InputError, read_export
from calibrate.privacy import pseudonym, pseudonymize
from calibrate.skills import DEFAULT_LEVELS, SkillProfiles


def test_names_are_stripped_and_levels_matched_ignoring_case():
    profiles = SkillProfiles.from_dict({
        " Priya Raman ": {" research": "STRONG ", "data-engineering": "Basic",
                          "start_date": "2024-03-04"},
        "Tomás": {"research": "proficient", "start_date": dt.date(2025, 1, 6)},
        "Ann": {"start_date": pd.Timestamp("2025-02-03 14:30")}})
    assert profiles.profile("Priya Raman") == {"data-engineering": "basic", "research": "strong"}
    assert profiles.level_of("Tomás", "research") == "proficient"
    assert profiles.level_of("Tomás", "data-engineering") is None
    assert profiles.engineers == ["Ann", "Priya Raman", "Tomás"]
    assert profiles.areas == ["data-engineering", "research"]
    # Start dates are days: midnight on the team's wall clock.
    assert profiles.start_dates == {"Ann": pd.Timestamp("2025-02-03"),
                                    "Priya Raman": pd.Timestamp("2024-03-04"),
                                    "Tomás": pd.Timestamp("2025-01-06")}
    assert profiles.rank("strong") == 2 and profiles.scale == DEFAULT_LEVELS


def test_a_configured_scale_is_used_as_spelt():
    profiles = SkillProfiles.from_dict({"Ann": {"research": "senior"}},
                                       scale=("Junior", "Senior"))
    assert profiles.level_of("Ann", "research") == "Senior"
    with pytest.raises(InputError, match="level not on the scale"):
        SkillProfiles.from_dict({"Ann": {"research": "strong"}}, scale=("Junior", "Senior"))


def test_every_problem_is_listed_together():
    levels = pd.DataFrame({
        "engineer": ["Ann", "", "Bob", "Cy", "Cy", "Dee"],
        "area": ["research", "research", None, "research", "research", "data"],
        "level": ["expert", "basic", "basic", "basic", "strong", None],
    })
    with pytest.raises(InputError) as error:
        SkillProfiles(levels, {"Eve": "not a date", "Fay": "2024-02-30"})
    messages = [str(problem) for problem in error.value.problems]
    assert len(messages) == 7, messages
    for text in ("level not on the scale (found 'expert')",
                 "a declaration needs an engineer and an area",
                 "'Cy' in 'research' is declared both 'basic' and 'strong'",
                 "no level", "the start date of 'Eve' is not a date",
                 "the start date of 'Fay' is not a date"):
        assert any(text in message for message in messages), (text, messages)


@pytest.mark.parametrize("scale", [("only",), ("basic", "Basic"), ("basic", "undeclared"),
                                   ("basic", " ")])
def test_a_bad_scale_is_an_input_error(scale):
    with pytest.raises(InputError, match="scale|undeclared"):
        SkillProfiles.from_dict({}, scale=scale)


def test_the_same_declaration_twice_counts_once():
    levels = pd.DataFrame({"engineer": ["Ann", "Ann"], "area": ["research", "research"],
                           "level": ["strong", "Strong"]})
    assert len(SkillProfiles(levels).levels) == 1


def test_subset_keeps_only_the_engineers_named():
    profiles = SkillProfiles.from_dict({"Ann": {"research": "strong", "start_date": "2024-01-01"},
                                        "Bob": {"research": "basic"}})
    kept = profiles.subset(["Bob"])
    assert kept.engineers == ["Bob"] and kept.start_dates == {}
    assert profiles.engineers == ["Ann", "Bob"]  # unchanged


names = st.text(alphabet=st.characters(categories=("L", "N")), min_size=1, max_size=8)


@settings(max_examples=50, deadline=None)
@given(profiles=st.dictionaries(names, st.dictionaries(names, st.sampled_from(DEFAULT_LEVELS),
                                                       max_size=3), max_size=5))
def test_the_tidy_table_reads_back_the_same_profiles(profiles):
    built = SkillProfiles.from_dict(profiles)
    for engineer, levels in profiles.items():
        for area, level in levels.items():
            assert built.level_of(engineer.strip(), area.strip()) == level
    frame = built.to_frame()
    again = SkillProfiles(frame.dropna(subset=["area"])[["engineer", "area", "level"]],
                          dict(zip(frame["engineer"], frame["start_date"], strict=True)) if
                          frame["start_date"].notna().any() else {})
    pd.testing.assert_frame_equal(again.levels, built.levels)


# -- against the tickets ------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    return read_export("data/sample/jira_changelog.json", config="data/sample/calibrate.toml")


def test_known_names_pass_and_unknown_ones_are_listed_with_the_closest(sample):
    engineers = sorted(set(sample.tickets["engineer"]))
    SkillProfiles.from_dict({engineers[0]: {"research": "strong"}}).check_against(sample)
    misspelt = SkillProfiles.from_dict({
        engineers[0].upper(): {"research": "strong"},
        "Someone Else Entirely": {"Research": "basic", "ml-engineering": "basic"}})
    with pytest.raises(InputError) as error:
        misspelt.check_against(sample.tickets)
    messages = [str(problem) for problem in error.value.problems]
    assert error.value.summary == ("the skill profiles name 2 engineers and 1 area the "
                                   "tickets do not have")
    assert any(f"did you mean {engineers[0]!r}" in m for m in messages)
    assert any("did you mean 'research'" in m and "'Research'" in m for m in messages)
    assert "profile passed to predict" in error.value.hint


def test_pseudonymised_profiles_match_the_pseudonymised_tickets(sample):
    private, mapping = pseudonymize(sample, key="team key")
    engineers = sorted(set(sample.tickets["engineer"]))
    profiles = SkillProfiles.from_dict({
        engineers[0]: {"research": "strong", "start_date": "2024-01-08"},
        engineers[1]: {"ml-engineering": "basic"},
        "Newt Hire": {"research": "proficient"}})
    renamed = profiles.pseudonymized(mapping)
    # Known engineers get the mapping's pseudonym, a new name the pseudonym
    # of its name under the same key.
    assert renamed.level_of(mapping[engineers[0]], "research") == "strong"
    assert renamed.start_dates == {mapping[engineers[0]]: pd.Timestamp("2024-01-08")}
    assert renamed.level_of(pseudonym("Newt Hire", "team key"), "research") == "proficient"
    renamed.subset(set(private.tickets["engineer"])).check_against(private)
    assert not set(renamed.engineers) & set(engineers)


def test_an_area_named_after_a_person_is_renamed_as_in_the_tickets(sample):
    person = sorted(set(sample.tickets["engineer"]))[0]
    tickets = sample.tickets.copy()
    tickets["area"] = tickets["area"].where(tickets["area"] != "research", f"{person}'s squad")
    table = sample.__class__(**{**sample.__dict__, "tickets": tickets})
    private, mapping = pseudonymize(table, key="k")
    profiles = SkillProfiles.from_dict({person: {f"{person}'s squad": "strong"}})
    renamed = profiles.pseudonymized(mapping)
    assert renamed.areas[0] in set(private.tickets["area"])
    renamed.check_against(private)

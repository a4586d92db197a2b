"""calibrate.toml: defaults, a full file, and every problem reported at once."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibrate.config import (
    AREA_RULE_FIELDS,
    DEFAULT_CLOSED_WITHIN_MINUTES,
    DEFAULT_DONE,
    DEFAULT_IN_PROGRESS,
    DEFAULT_NOT_FINISHED,
    AreaRule,
    Config,
    config_from_dict,
    fold_name,
    load_config,
)
from calibrate.durations import WorkCalendar
from calibrate.errors import InputError


def test_defaults():
    config = load_config(None)
    assert config == Config()
    assert config.calendar == WorkCalendar()
    assert config.calendar.weekend == ("Sat", "Sun")
    assert config.calendar.timezone == "UTC"
    assert config.calendar.country is None
    assert config.area_column is None
    assert config.area_default == "general"
    assert config.area_rules == ()
    assert config.points_scale == {}
    assert config.points_column is None
    assert config.start_column is None
    assert config.columns == {}
    assert config.in_progress_statuses == DEFAULT_IN_PROGRESS
    assert config.done_statuses == DEFAULT_DONE
    assert config.not_finished_resolutions == DEFAULT_NOT_FINISHED
    assert config.minimum_duration_days == pytest.approx(1 / 24, rel=0, abs=1e-15)
    assert config.closed_within_minutes == DEFAULT_CLOSED_WITHIN_MINUTES == 15.0


def test_empty_file_gives_the_defaults(tmp_path):
    path = tmp_path / "calibrate.toml"
    path.write_text("# nothing set\n", encoding="utf-8")
    config = load_config(path)
    assert config.with_changes(source=None) == Config()
    assert config.source == str(path)


def test_full_file_parses(fixtures):
    path = fixtures / "config_full.toml"
    config = load_config(path)
    assert config.calendar == WorkCalendar(
        country="DE", subdivision="BY", weekend=("Sat", "Sun"),
        extra_holidays=(dt.date(2024, 12, 24), dt.date(2024, 12, 31)),
        timezone="Europe/Berlin",
    )
    assert config.area_column == "Custom field (Team)"
    assert config.area_default == "ml-engineering"
    assert config.area_rules == (
        AreaRule("research", ("research", "spike", "experiment"), ("labels", "title")),
        AreaRule("data", ("^etl$",), ("components",)),
    )
    # Size names are folded to lower case.
    assert config.points_scale == {"xs": 1.0, "s": 2.0, "m": 3.0, "l": 5.0, "xl": 8.5}
    assert config.points_column == "Custom field (Effort)"
    assert config.in_progress_statuses == ("Doing", "Reviewing")
    assert config.done_statuses == ("Shipped",)
    assert config.not_finished_resolutions == ("Nope",)
    assert config.start_column == "Custom field (Actual start)"
    assert config.columns == {"ticket_id": "Key", "engineer": "Owner"}
    assert config.minimum_duration_days == 0.01
    assert config.source == str(path)


@pytest.mark.parametrize(("value", "expected"), [(0, 0.0), (5, 5.0), (7.5, 7.5), (1440, 1440.0)])
def test_closed_within_minutes_is_read_from_durations(tmp_path, value, expected):
    # 0 turns the bookkeeping rule off; up to one day (1440 minutes) is accepted.
    path = tmp_path / "calibrate.toml"
    path.write_text(f"[durations]\nclosed_within_minutes = {value}\n", encoding="utf-8")
    config = load_config(path)
    assert config.closed_within_minutes == expected
    assert isinstance(config.closed_within_minutes, float)
    assert config.minimum_duration_days == pytest.approx(1 / 24, rel=0, abs=1e-15)


def test_rule_fields_default_to_all_fields():
    config = config_from_dict({"areas": {"rules": [{"area": "r", "patterns": ["x"]}]}})
    assert config.area_rules[0].fields == AREA_RULE_FIELDS


def test_area_rule_regex_is_case_insensitive_and_unanchored():
    rule = AreaRule("research", ("research", "^spike$"))
    assert rule.regex.search("ML-RESEARCH")
    assert rule.regex.search("Spike")
    assert not rule.regex.search("spiked")


@pytest.mark.parametrize(
    "resolution", ["Won't Do", "won't do", "WONT DO", "Cannot  Reproduce", "duplicate"]
)
def test_not_finished_resolutions_are_matched_loosely(resolution):
    assert Config().is_not_finished_resolution(resolution)


@pytest.mark.parametrize("resolution", ["Done", "Fixed", ""])
def test_finished_resolutions(resolution):
    assert not Config().is_not_finished_resolution(resolution)


@pytest.mark.parametrize("status", ["In Progress", "In-Progress", "in progress", "IN_PROGRESS",
                                    "inprogress", " In  Progress "])
def test_statuses_are_compared_by_letters_and_digits(status):
    assert Config().is_in_progress_status(status)
    assert Config(done_statuses=(status,)).is_done_status("In Progress")
    assert fold_name(status) == "inprogress"


def test_names_in_other_alphabets_are_compared_by_their_letters():
    config = Config(not_finished_resolutions=("Отклонено",))
    assert config.is_not_finished_resolution("отклонено")
    assert not config.is_not_finished_resolution("Готово")


def test_status_rules_run_over_a_column_once_per_distinct_value(monkeypatch):
    import calibrate.config

    statuses = pd.Series(["Done", None, "done", "To Do"] * 1000, index=range(10, 4010))
    folded = []

    def counting(name):
        folded.append(name)
        return fold_name(name)

    monkeypatch.setattr(calibrate.config, "fold_name", counting)
    done = Config().is_done_status(statuses)
    assert done.index.equals(statuses.index)
    assert done.tolist() == [True, False, True, False] * 1000
    # The configured names and the three distinct statuses; a missing one matches nothing.
    assert len(folded) == len(DEFAULT_DONE) + 3
    assert Config().is_in_progress_status(["Doing", "Done"]).tolist() == [True, False]


def _problem_keys(error: InputError) -> set[str]:
    return {p.column for p in error.problems}


def test_bad_file_reports_every_problem_with_file_and_key(fixtures):
    path = fixtures / "config_bad.toml"
    with pytest.raises(InputError) as caught:
        load_config(path)
    error = caught.value
    assert _problem_keys(error) == {
        "calendr",                    # unknown section
        "areas.colour",               # unknown key
        "areas.rules[1]",             # bad regular expression
        "points.scale.S",             # not a number
        "calendar.extra_holidays",    # not a date
    }
    assert all(p.file == str(path) for p in error.problems)
    text = str(error)
    assert str(path) in text
    assert "(unclosed" in text and "2024-13-45" in text and "small" in text


def test_bad_country_and_time_zone_are_reported_with_file(fixtures):
    path = fixtures / "config_bad_country.toml"
    with pytest.raises(InputError) as caught:
        load_config(path)
    assert _problem_keys(caught.value) == {"calendar.country", "calendar.timezone"}
    assert all(p.file == str(path) for p in caught.value.problems)


def test_bad_country_is_listed_with_the_other_problems():
    raw = {
        "calendar": {"country": "XX", "extra_holidays": ["not a date"]},
        "points": {"scale": {"S": "small"}},
    }
    with pytest.raises(InputError) as caught:
        config_from_dict(raw, origin="calibrate.toml")
    assert _problem_keys(caught.value) == {
        "calendar.country", "calendar.extra_holidays", "points.scale.S"
    }


@pytest.mark.parametrize(
    "raw, key",
    [
        ({"calendar": {"weekend": ["Sat", "Sonntag"]}}, "calendar.weekend"),
        ({"calendar": {"weekend": "Sat"}}, "calendar.weekend"),
        ({"calendar": {"country": 49}}, "calendar.country"),
        ({"areas": {"rules": [{"area": "x", "patterns": []}]}}, "areas.rules[1]"),
        ({"areas": {"rules": [{"patterns": ["x"]}]}}, "areas.rules[1]"),
        ({"areas": {"rules": [{"area": "x", "patterns": ["x"], "fields": ["body"]}]}},
         "areas.rules[1]"),
        ({"areas": {"rules": [{"area": "x", "patterns": ["x"], "colour": 1}]}},
         "areas.rules[1]"),
        ({"points": {"scale": {"S": -1}}}, "points.scale.S"),
        ({"points": {"scale": {"S": True}}}, "points.scale.S"),
        ({"statuses": {"done": "Done"}}, "statuses.done"),
        ({"statuses": {"in_progress": [1, 2]}}, "statuses.in_progress"),
        ({"columns": {"ticket_id": 3}}, "columns"),
        ({"durations": {"minimum_days": 0}}, "durations.minimum_days"),
        ({"durations": {"minimum_days": 1.5}}, "durations.minimum_days"),
        ({"durations": {"minimum_days": "1h"}}, "durations.minimum_days"),
        ({"durations": {"closed_within_minutes": -1}}, "durations.closed_within_minutes"),
        ({"durations": {"closed_within_minutes": 1441}}, "durations.closed_within_minutes"),
        ({"durations": {"closed_within_minutes": "15m"}}, "durations.closed_within_minutes"),
        ({"durations": {"closed_within_minutes": True}}, "durations.closed_within_minutes"),
        ({"durations": {"closed_within_minutes": float("nan")}},
         "durations.closed_within_minutes"),
        ({"durations": {"closed_within": 15}}, "durations.closed_within"),
        ({"calendar": 3}, "calendar"),
    ],
)
def test_each_bad_setting_is_an_input_error(raw, key):
    with pytest.raises(InputError) as caught:
        config_from_dict(raw, origin="calibrate.toml")
    assert key in _problem_keys(caught.value)
    assert all(p.file == "calibrate.toml" for p in caught.value.problems)


@pytest.mark.parametrize(
    "raw",
    [{"points": 3}, {"statuses": "Done"}, {"durations": 1}, {"points": {"scale": "XS"}}],
)
def test_non_table_section_is_an_input_error(raw):
    with pytest.raises(InputError):
        config_from_dict(raw, origin="calibrate.toml")


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_config(tmp_path / "nope.toml")


def test_invalid_toml_is_an_input_error(tmp_path):
    path = tmp_path / "calibrate.toml"
    path.write_text("[calendar\ncountry = ", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        load_config(path)


# -- help with mistakes (issue #12 item 9) ------------------------------------------------------


def test_misspelt_names_get_did_you_mean_all_listed_together():
    raw = {
        "calender": {"country": "DE"},                   # section misspelt
        "areas": {"defualt": "ml"},                      # key misspelt
        "durations": {"lead_cap_days": 10},              # key in the wrong section
        "statuses": {"colour": "blue"},                  # nothing near
        "areas.rules": [],
    }
    with pytest.raises(InputError) as caught:
        config_from_dict(raw, origin="calibrate.toml")
    problems = {p.column: p.message for p in caught.value.problems}
    assert problems["calender"] == "unknown section; did you mean 'calendar'?"
    assert problems["areas.defualt"] == "unknown setting; did you mean 'default'?"
    assert problems["durations.lead_cap_days"] == (
        "unknown setting; it belongs in the [model] section")
    assert problems["statuses.colour"] == "unknown setting"
    assert all(p.file == "calibrate.toml" for p in caught.value.problems)
    text = str(caught.value)
    assert "calibrate.toml, column 'calender': unknown section; did you mean 'calendar'?" in text


def test_misspelt_names_in_an_area_rule_get_did_you_mean():
    raw = {"areas": {"rules": [{"area": "r", "patterns": ["x"], "field": ["labels"]},
                               {"area": "s", "patterns": ["y"], "fields": ["label"]}]}}
    with pytest.raises(InputError) as caught:
        config_from_dict(raw, origin="calibrate.toml")
    messages = {p.column: p.message for p in caught.value.problems}
    assert messages["areas.rules[1]"] == "unknown key in rule; did you mean 'fields'?"
    assert messages["areas.rules[2]"] == "unknown field in 'fields'; did you mean 'labels'?"


def test_the_bad_file_says_did_you_mean(fixtures):
    with pytest.raises(InputError, match=r"'calendr'.*did you mean 'calendar'\?"):
        load_config(fixtures / "config_bad.toml")


@pytest.mark.parametrize(
    ("raw", "key"),
    [({"points": {"scale": {"S": float("nan")}}}, "points.scale.S"),
     ({"points": {"scale": {"S": float("inf")}}}, "points.scale.S"),
     ({"model": {"lead_cap_days": float("inf")}}, "model.lead_cap_days")],
)
def test_nan_and_inf_are_not_settings(raw, key):
    with pytest.raises(InputError) as caught:
        config_from_dict(raw, origin="calibrate.toml")
    assert key in _problem_keys(caught.value)


def test_config_types_are_public():
    import calibrate.config

    for name in ("Config", "AreaRule", "WorkCalendar", "config_from_dict", "load_config",
                 "check_config_path", "fold_name", "AREA_RULE_FIELDS", "DEFAULT_DONE"):
        assert name in calibrate.config.__all__, name
    for name in calibrate.config.__all__:
        value = getattr(calibrate.config, name)
        if isinstance(value, type) or callable(value) and not hasattr(value, "__args__"):
            assert value.__doc__, name
    assert calibrate.config.WorkCalendar is WorkCalendar
    assert "config_from_dict" in calibrate.config.__doc__


def test_settings_that_are_not_a_dict_are_a_type_error():
    with pytest.raises(TypeError, match="settings must be a dict of sections"):
        config_from_dict([("calendar", {})])


def test_a_config_path_that_is_not_a_small_text_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="is a directory"):
        load_config(tmp_path)
    huge = tmp_path / "huge.toml"
    huge.write_bytes(b"# padding\n" * 120_000)  # 1.2 MB of comments
    with pytest.raises(InputError, match=r"huge.toml is too large"):
        load_config(huge)
    latin = tmp_path / "latin.toml"
    latin.write_bytes('[areas]\ndefault = "Forschung & Entwicklung \xe4"\n'.encode("latin-1"))
    with pytest.raises(InputError, match="latin.toml is not UTF-8 text"):
        load_config(latin)


@pytest.mark.parametrize("scale, message", [
    ("{ S = 1e308, M = 3 }", "must be a number of points from 0 to 1000"),
    ("{ S = inf, M = 3 }", "must be a number of points from 0 to 1000"),
    ("{ S = -1, M = 3 }", "must be a number of points from 0 to 1000"),
    ("{ S = 1, s = 2 }", "is the same size as 'S'"),
    ("{ 'M ' = 1, m = 3 }", "is the same size as 'M '"),
])
def test_a_points_scale_holds_plausible_points_and_distinct_sizes(tmp_path, scale, message):
    path = tmp_path / "calibrate.toml"
    path.write_text(f"[points]\nscale = {scale}\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_config(path)


def test_an_empty_area_name_in_a_rule_is_the_configs_problem(tmp_path):
    # It used to reach the ticket table and be reported against the export's rows.
    path = tmp_path / "calibrate.toml"
    path.write_text('[[areas.rules]]\narea = " "\npatterns = ["a"]\nfields = ["title"]\n',
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"areas.rules\[1\].area.*must name an area") as raised:
        load_config(path)
    assert "calibrate.toml" in str(raised.value)


# -- capture rules, [areas] classify, the starter file (issue #13) -------------------------------


def test_a_capture_rule_reads_from_toml_with_its_own_default_fields(tmp_path):
    from calibrate.config import PREFIX_RULE_FIELDS

    path = tmp_path / "calibrate.toml"
    path.write_text('[areas]\nclassify = true\nclassify_threshold = 0.75\n'
                    '[[areas.rules]]\nprefix = "Product::"\n'
                    '[[areas.rules]]\nprefix = "team:"\nfields = ["components", "labels"]\n'
                    '[[areas.rules]]\narea = "data"\npatterns = ["etl"]\n', encoding="utf-8")
    config = load_config(path)
    assert config.area_rules == (
        AreaRule(prefix="Product::", fields=PREFIX_RULE_FIELDS),
        AreaRule(prefix="team:", fields=("components", "labels")),
        AreaRule("data", ("etl",), AREA_RULE_FIELDS),
    )
    assert PREFIX_RULE_FIELDS == ("labels", "components")
    assert (config.area_classify, config.area_classify_threshold) == (True, 0.75)
    assert (Config().area_classify, Config().area_classify_threshold) == (False, 0.6)


@pytest.mark.parametrize(("value", "expected"), [
    ("Product::Search", "search"), ("product::search", "search"), ("PRODUCT:: Global  Search ",
                                                                   "global search"),
    ("  Product::Search", "search"), ("Product::", None), ("Products::Search", None),
    ("Type::Product::Search", None), ("Product:Search", None),
])
def test_a_capture_rule_gives_the_value_after_its_prefix_lower_cased(value, expected):
    assert AreaRule(prefix="Product::").area_of(value) == expected


def test_a_pattern_rule_gives_its_area_to_a_matching_value():
    rule = AreaRule("research", ("^spike$", "research"))
    assert [rule.area_of(v) for v in ("Spike", "ml-research", "spiked")] == [
        "research", "research", None]


@pytest.mark.parametrize("raw, message", [
    ({"area": "x", "patterns": ["y"], "prefix": "a::"}, "either 'area' and 'patterns', or "
                                                        "'prefix'"),
    ({"prefix": "a::", "patterns": ["y"]}, "either 'area' and 'patterns', or 'prefix'"),
    ({"prefix": " "}, "must not be empty"),
    ({"prefix": "a::", "fields": []}, "'fields' is empty"),
    ({"prefix": "a::", "fields": ["label"]}, "did you mean 'labels'"),
    ({"prefix": 3}, "or a 'prefix' string"),
    ({"prefix": "a::", "prefx": 1}, "unknown key in rule"),
])
def test_bad_capture_rules_are_the_configs_problem(raw, message):
    with pytest.raises(InputError) as caught:
        config_from_dict({"areas": {"rules": [raw]}}, origin="calibrate.toml")
    assert any(message in p.message for p in caught.value.problems), caught.value.problems
    assert all(p.file == "calibrate.toml" for p in caught.value.problems)


@pytest.mark.parametrize("raw, key", [
    ({"areas": {"classify": "yes"}}, "areas.classify"),
    ({"areas": {"classify": 1}}, "areas.classify"),
    ({"areas": {"classify_threshold": 1}}, "areas.classify_threshold"),
    ({"areas": {"classify_threshold": -0.1}}, "areas.classify_threshold"),
    ({"areas": {"classify_threshold": float("nan")}}, "areas.classify_threshold"),
    ({"areas": {"classify_threshold": True}}, "areas.classify_threshold"),
    ({"areas": {"clasify": True}}, "areas.clasify"),
])
def test_bad_classify_settings_are_input_errors(raw, key):
    with pytest.raises(InputError) as caught:
        config_from_dict(raw, origin="calibrate.toml")
    assert key in _problem_keys(caught.value)


def test_area_rules_in_python_have_one_form():
    for bad in ({}, {"area": "x"}, {"patterns": ("x",)}, {"prefix": ""},
                {"area": "x", "patterns": ("y",), "prefix": "a::"}):
        with pytest.raises(ValueError, match="either an area and patterns"):
            AreaRule(**bad)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_every_text_is_written_as_a_toml_string_that_reads_back(text):
    import tomllib

    from calibrate.config import _toml_string

    assert tomllib.loads(f"value = {_toml_string(text)}\n")["value"] == text


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20))
def test_a_literal_pattern_matches_its_text_and_nothing_longer(text):
    import re

    from calibrate.config import _regex_literal

    pattern = re.compile(f"^{_regex_literal(text)}$", re.DOTALL)
    assert pattern.match(text)
    assert not pattern.match(text + "x")


def test_the_starter_file_of_the_sample_reads_back_with_its_proposed_rules(tmp_path):
    import tomllib

    from calibrate.areas import propose_area_schemes
    from calibrate.config import DEFAULT_IN_PROGRESS, starter_config
    from calibrate.io import read_export

    table = read_export("data/sample/jira_changelog.json")
    schemes = propose_area_schemes(table.tickets)
    text = starter_config(table, schemes, alternatives=2, name="team.toml")
    path = tmp_path / "team.toml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path)
    assert config.area_rules == schemes[0].rules
    assert config.area_default == "general" and not config.area_classify
    # Statuses: those the export shows first, then every default not seen.
    assert {fold_name(s) for s in DEFAULT_IN_PROGRESS} <= {
        fold_name(s) for s in config.in_progress_statuses}
    assert config.done_statuses[0] == "Done"
    # The alternatives are there, as comments only.
    assert text.count("# Or instead:") == 2
    assert len(tomllib.loads(text)["areas"]["rules"]) == len(schemes[0].rules)
    assert "--config team.toml" in text


def test_the_starter_file_says_when_sizes_need_a_points_scale(fixtures, tmp_path):
    from calibrate.config import starter_config
    from calibrate.io import read_export

    table = read_export(fixtures / "linear_tshirt.csv")
    text = starter_config(table)
    path = tmp_path / "calibrate.toml"
    path.write_text(text.replace("# scale = ", "scale = "), encoding="utf-8")
    scale = load_config(path).points_scale
    assert scale and set(scale.values()) == {1.0}
    sizes = table.excluded.loc[table.excluded["reason"] == "invalid points", "detail"]
    assert len(scale) == sizes.str.extract(r"estimate '(.*)' is not")[0].str.lower().nunique()


def test_the_starter_file_keeps_every_setting_of_the_config_it_was_read_with(fixtures):
    import dataclasses
    import tomllib

    from calibrate.config import starter_config
    from calibrate.io import read_export

    base = load_config(fixtures / "config_full.toml")
    table = read_export("data/sample/linear_export.csv")
    back = config_from_dict(tomllib.loads(starter_config(table, base=base)))
    changed = {f.name for f in dataclasses.fields(Config)
               if getattr(back, f.name) != getattr(base, f.name)}
    # Only the areas' rules are new (none proposed here), and where it was read from.
    assert changed == {"area_rules", "source"}


def test_people_names_are_read_with_their_keys_folded():
    config = config_from_dict({"people": {"names": {
        " Priya.Raman@Example.com": "Priya Raman", "praman": "  Priya Raman "}}})
    assert config.people_names == {"priya.raman@example.com": "Priya Raman",
                                   "praman": "Priya Raman"}
    assert Config().people_names == {}


def test_bad_people_names_are_all_listed_together():
    raw = {"people": {"names": {"a@example.com": "Ann", "A@EXAMPLE.COM": "Anne",
                                "bo": "", "Ann": "Annie", "cy": 3}}}
    with pytest.raises(InputError) as caught:
        config_from_dict(raw, origin="calibrate.toml")
    problems = {p.column: p.message for p in caught.value.problems}
    assert problems == {
        "people.names.A@EXAMPLE.COM": "the same name (ignoring case and spaces) is mapped "
                                      "twice, to 'Ann' and 'Anne'",
        "people.names.bo": "must map a name to a non-empty name",
        "people.names.cy": "must map a name to a non-empty name",
        "people.names.Ann": "'Ann' is a name kept for another name, and is itself mapped to "
                            "'Annie'",
    }
    with pytest.raises(InputError, match="must be a table"):
        config_from_dict({"people": {"names": ["a", "b"]}})
    with pytest.raises(InputError, match="unknown setting; did you mean 'names'"):
        config_from_dict({"people": {"name": {"a": "b"}}})

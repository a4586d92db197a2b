"""Reading skill profiles: the skills CSV and the [skills] table of calibrate.toml."""

import pandas as pd
import pytest

from calibrate import InputError
from calibrate.config import config_from_dict, load_config
from calibrate.io.skills import read_skills, skills_from_config
from calibrate.skills import SkillProfiles


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_the_tidy_layout_is_read(tmp_path):
    path = write(tmp_path / "skills.csv", (
        "Engineer,Area,Level,Start Date,notes\n"
        "Priya Raman ,research,Strong,2024-03-04,hired for research\n"
        "Priya Raman,ml-engineering,proficient,2024-03-04,\n"
        "Priya Raman,data-engineering,basic,,\n"
        "Jonas Weber,,,2025-09-01,\n"
        "Tomás Ortega,research,basic,,\n"))
    profiles = read_skills(path)
    assert profiles.profile("Priya Raman") == {
        "data-engineering": "basic", "ml-engineering": "proficient", "research": "strong"}
    assert profiles.start_dates == {"Jonas Weber": pd.Timestamp("2025-09-01"),
                                    "Priya Raman": pd.Timestamp("2024-03-04")}
    assert profiles.engineers == ["Jonas Weber", "Priya Raman", "Tomás Ortega"]
    assert profiles.source == str(path)


def test_aliases_and_a_scale_of_ones_own(tmp_path):
    path = write(tmp_path / "skills.csv", "name;AREA;skill\nAnn;research;Senior\n")
    profiles = read_skills(path, levels=("junior", "senior"))
    assert profiles.level_of("Ann", "research") == "senior"
    assert profiles.start_dates == {}


def test_every_bad_row_is_reported_with_its_row(tmp_path):
    path = write(tmp_path / "skills.csv", (
        "engineer,area,level,start_date\n"
        "Priya Raman,research,strong,2024-03-04\n"          # row 2: fine
        "Priya Raman,ml-engineering,expert,2024-03-05\n"    # row 3: level, second date
        ",research,basic,\n"                                # row 4: no engineer
        "Jonas,,,2025-13-01\n"                              # row 5: not a date
        "Ann,research,,\n"                                  # row 6: no level
        "Ann,data,basic,\n"                                 # row 7: fine
        "Ann,data,strong,\n"                                # row 8: two levels
        "Bob,,,\n"))                                        # row 9: nothing
    with pytest.raises(InputError) as error:
        read_skills(path)
    rows = sorted(problem.row for problem in error.value.problems)
    assert rows == [3, 3, 4, 5, 6, 8, 9], [str(p) for p in error.value.problems]
    assert all(problem.file == str(path) for problem in error.value.problems)


def test_a_missing_column_is_named(tmp_path):
    path = write(tmp_path / "skills.csv", "engineer,level\nAnn,strong\n")
    with pytest.raises(InputError, match="not a skills file") as error:
        read_skills(path)
    assert [problem.column for problem in error.value.problems] == ["area"]


def test_profiles_written_as_their_tidy_table_read_back_the_same(tmp_path):
    profiles = SkillProfiles.from_dict({
        "Ann": {"research": "strong", "data": "basic", "start_date": "2023-05-02"},
        "Bob": {"research": "proficient"}, "Cy": {"start_date": "2026-01-05"}})
    table = profiles.to_frame()
    table["start_date"] = table["start_date"].dt.strftime("%Y-%m-%d")
    table.to_csv(tmp_path / "skills.csv", index=False)
    again = read_skills(tmp_path / "skills.csv")
    pd.testing.assert_frame_equal(again.levels, profiles.levels)
    assert again.start_dates == profiles.start_dates


# -- calibrate.toml ------------------------------------------------------------------


def test_the_settings_file_names_a_skills_file_beside_it_and_profiles_of_its_own(tmp_path):
    write(tmp_path / "skills.csv", "engineer,area,level\nAnn,research,senior\n")
    config = load_config(write(tmp_path / "calibrate.toml", (
        '[skills]\nlevels = ["junior", "senior"]\nfile = "skills.csv"\n'
        '[skills.engineers."Bob"]\nresearch = "Junior"\nstart_date = 2025-02-03\n')))
    assert config.skill_levels == ("junior", "senior")
    profiles = skills_from_config(config)
    assert profiles.profile("Ann") == {"research": "senior"}
    assert profiles.profile("Bob") == {"research": "junior"}
    assert profiles.start_dates == {"Bob": pd.Timestamp("2025-02-03")}
    assert profiles.scale == ("junior", "senior")


def test_no_skills_section_gives_no_profiles():
    assert skills_from_config(config_from_dict({})) is None


def test_the_file_and_the_settings_must_agree(tmp_path):
    write(tmp_path / "skills.csv", "engineer,area,level,start_date\nAnn,research,strong,"
                                   "2024-01-01\n")
    config = load_config(write(tmp_path / "calibrate.toml", (
        '[skills]\nfile = "skills.csv"\n'
        '[skills.engineers."Ann"]\nresearch = "basic"\nstart_date = 2024-02-01\n')))
    with pytest.raises(InputError, match="disagree|declared both"):
        skills_from_config(config)


def test_bad_skills_settings_are_listed_together():
    with pytest.raises(InputError) as error:
        config_from_dict({"skills": {
            "levels": ["one"], "fil": "x.csv",
            "engineers": {"Ann": {"research": "guru", "start_date": "soon"}, "Bob": "strong"}}})
    columns = sorted(problem.column for problem in error.value.problems)
    assert columns == ["skills.engineers.Ann.research", "skills.engineers.Ann.start_date",
                       "skills.engineers.Bob", "skills.fil", "skills.levels"]
    assert "did you mean 'file'" in str(error.value)

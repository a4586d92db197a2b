"""`--skills` on `calibrate fit`, `report`, `predict`, `plan` and `forecast` (issue #15 item 5),
end to end on a generated history whose declared levels and ramp-up are known."""

import json
import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from calibrate import CalibrationWarning, Calibrator, InputError, load_multipliers
from calibrate.cli import _fitted_profiles, cli
from calibrate.datasets import simulate_tickets
from calibrate.io import read_canonical
from calibrate.io.canonical import write_tickets
from calibrate.io.skills import read_skills
from calibrate.plan import check_plan
from calibrate.plan._simulate import simulate_days
from calibrate.privacy import pseudonymize
from calibrate.skills import SkillProfiles

LEVELS = {"basic": 0.0, "proficient": -0.5, "strong": -1.0}  # log days, against basic
RAMP = (0.8, 6.0)  # log slowdown, scale in weeks
NAMES = ["Priya Raman", "Jonas Weber", "Zoë Müller", "Tomás Ortega", "Aiko Tanaka",
         "Kwame Mensah", "Lena Fischer", "Omar Haddad", "Sofia Rossi", "Arjun Mehta"]
#: Two new hires with no tickets, starting after the history: one declared
#: strong everywhere, one basic everywhere.
STRONG_HIRE, BASIC_HIRE = "Nadia Okafor", "Ben Carter"
HIRED = "2026-09-01"
AREAS = ("data-engineering", "ml-engineering", "research")


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="calibrate")


def write_profiles(profiles: SkillProfiles, path, extra: pd.DataFrame | None = None):
    """The tidy CSV `--skills` reads, from profiles (and extra rows)."""
    table = profiles.to_frame()
    table["start_date"] = table["start_date"].dt.strftime("%Y-%m-%d")
    pd.concat([table, extra]).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """tickets.csv and skills.csv (the team and two new hires) of a history
    with real level signal and a ramp-up; the profiles of the team."""
    folder = tmp_path_factory.mktemp("history")
    simulated = simulate_tickets(900, 10, seed=4, history_days=250, level_effects=LEVELS,
                                 ramp_up=RAMP)
    names = {f"engineer-{i:05d}": name for i, name in enumerate(NAMES)}
    tickets = simulated.tickets.assign(engineer=simulated.tickets["engineer"].map(names))
    team = SkillProfiles(simulated.skills.levels.assign(
        engineer=simulated.skills.levels["engineer"].map(names)),
        {names[e]: d for e, d in simulated.skills.start_dates.items()})
    hires = pd.DataFrame({"engineer": [STRONG_HIRE] * 3 + [BASIC_HIRE] * 3,
                          "area": list(AREAS) * 2, "level": ["strong"] * 3 + ["basic"] * 3,
                          "start_date": HIRED})
    return {"folder": folder, "tickets": write_tickets(tickets, folder / "tickets.csv"),
            "table": tickets, "team": team,
            "skills": write_profiles(team, folder / "skills.csv", hires)}


@pytest.fixture(scope="module")
def fitted(history):
    """`calibrate fit --skills`: its result and the multipliers file."""
    out = history["folder"] / "multipliers.json"
    result = run("fit", history["tickets"], "--skills", history["skills"], "--out", out)
    assert result.exit_code == 0, result.output
    return result, out


@pytest.fixture(scope="module")
def plain(history):
    """A multipliers file fitted without skills."""
    out = history["folder"] / "plain.json"
    result = run("fit", history["tickets"], "--out", out)
    assert result.exit_code == 0, result.output
    return out


def declared_backlog(path, rows):
    pd.DataFrame(rows, columns=["ticket_id", "engineer", "area", "points"]).to_csv(
        path, index=False)
    return path


# -- fit -----------------------------------------------------------------------------------------


def test_fit_writes_the_skills_section_and_says_what_the_levels_and_ramp_up_show(history,
                                                                                  fitted):
    result, out = fitted
    document = json.loads(out.read_text())
    assert document["schema_version"] == "2.2"
    skills = document["skills"]
    assert skills["levels"] == ["basic", "proficient", "strong"]
    # The file's level effects are those of the API fit with the team's profiles
    # (the new hires, who have no tickets, are left out of it).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        api = Calibrator().fit(history["table"], skills=history["team"], ramp_up="auto").result_
    written = pd.DataFrame(skills["level_effects"]).set_index(["area", "level"])
    expected = api.level_effects.set_index(["area", "level"])
    np.testing.assert_allclose(written.loc[expected.index, "effect"], expected["effect"],
                               rtol=1e-9, atol=1e-12)
    # As the truth says: in every area, strong is faster than basic, clearly
    # (the upper end of a 90% interval below 0).
    for area in AREAS:
        strong = written.loc[(area, "strong")]
        assert strong["reference"] == "basic"
        assert strong["effect"] + 1.645 * strong["std_error"] < 0, area
    assert {row["engineer"] for row in skills["profiles"]} == set(history["team"].engineers)
    assert skills["ramp_up"]["slowdown"] > 0
    # stderr: the new hires left out (by name), the level test's verdict, the ramp-up.
    stderr = result.stderr
    assert re.search(rf"2 engineers of the skill profiles \({BASIC_HIRE}, {STRONG_HIRE}\) "
                     r"start after the history: left out of the fit", stderr)
    assert "calibrate: note: the declared levels carry signal" in stderr
    p_value = float(re.search(r"p=([0-9.e+-]+)\)", stderr)[1])
    assert p_value == pytest.approx(api.level_test["p_value"], rel=0.05)
    assert f"calibrate: note: ramp-up: {api.ramp_up['statement']}" in stderr


def test_a_misspelt_engineer_or_area_stops_the_fit_with_the_closest_names(history, tmp_path):
    bad = write_profiles(history["team"], tmp_path / "skills.csv", pd.DataFrame({
        "engineer": ["Priya Ramen", "Jonas Weber"], "area": ["research", "reserch"],
        "level": ["strong", "basic"], "start_date": [None, None]}))
    result = run("fit", history["tickets"], "--skills", bad, "--out", tmp_path / "m.json")
    assert result.exit_code == 2
    assert "1 engineer and 1 area the tickets do not have" in result.stderr
    assert "did you mean 'Priya Raman'? (found 'Priya Ramen')" in result.stderr
    assert "did you mean 'research'? (found 'reserch')" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "m.json").exists()


def test_a_bad_skills_file_stops_the_run_before_the_export_is_read(tmp_path):
    skills = tmp_path / "skills.csv"
    skills.write_text("engineer,area,level\nAnn,research,expert\n", encoding="utf-8")
    # The export does not exist: the skills file is what is reported.
    result = run("fit", tmp_path / "missing.csv", "--skills", skills, "--out",
                 tmp_path / "m.json")
    assert result.exit_code == 2
    assert "invalid skill profiles" in result.stderr and "'expert'" in result.stderr
    assert "reading" not in result.stderr
    missing = run("fit", tmp_path / "missing.csv", "--skills", tmp_path / "nope.csv", "--out",
                  tmp_path / "m.json")
    assert missing.exit_code == 2 and "'--skills'" in missing.output


def test_skills_need_the_tickets_read_whole(history, tmp_path):
    result = run("fit", history["tickets"], "--stream", "--skills", history["skills"], "--out",
                 tmp_path / "m.json")
    assert result.exit_code == 2
    assert "--skills needs EXPORT read whole" in result.output


def test_the_config_gives_the_profiles_and_skills_wins_over_it(history, tmp_path):
    misspelt = write_profiles(history["team"], tmp_path / "team.csv", pd.DataFrame({
        "engineer": ["Priya Ramen"], "area": ["research"], "level": ["strong"],
        "start_date": [None]}))
    config = tmp_path / "calibrate.toml"
    config.write_text(f'[skills]\nfile = "{misspelt.name}"\n', encoding="utf-8")
    out = tmp_path / "m.json"
    from_config = run("fit", history["tickets"], "--config", config, "--out", out)
    assert from_config.exit_code == 2, from_config.output
    assert "found 'Priya Ramen'" in from_config.stderr
    given = run("fit", history["tickets"], "--config", config, "--skills", history["skills"],
                "--out", out)
    assert given.exit_code == 0, given.output
    assert "Priya Ramen" not in json.dumps(json.loads(out.read_text())["skills"])


# -- predict -------------------------------------------------------------------------------------


def _offsets(multipliers_path) -> pd.Series:
    skills = json.loads(multipliers_path.read_text())["skills"]
    return pd.DataFrame(skills["level_effects"]).set_index(["area", "level"])["offset"]


def test_predict_gives_new_hires_their_declared_levels_and_ramp_up(history, fitted, tmp_path):
    _, multipliers = fitted
    backlog = declared_backlog(tmp_path / "backlog.csv", [
        ("T-1", STRONG_HIRE, "research", 5), ("T-2", BASIC_HIRE, "research", 5),
        ("T-3", STRONG_HIRE, "ml-engineering", 5), ("T-4", BASIC_HIRE, "ml-engineering", 5),
        ("T-5", "Someone Else", "research", 5), ("T-6", "Priya Raman", "research", 5)])

    def predict(on):
        out = tmp_path / f"predictions-{on}.csv"
        result = run("predict", backlog, "--multipliers", multipliers, "--skills",
                     history["skills"], "--on", on, "--out", out)
        assert result.exit_code == 0, result.output
        return result, pd.read_csv(out, keep_default_na=False).set_index("ticket_id")

    first_week, early = predict("2026-09-08")
    _, settled = predict("2027-09-07")
    assert early.loc["T-1", "basis"] == "unseen engineer, declared level, ramping up"
    assert early.loc["T-5", "basis"] == "unseen engineer"
    assert early.loc["T-6", "basis"] == "engineer x area"
    assert settled.loc["T-1", "basis"] == "unseen engineer, declared level"
    assert "4 rows of engineers not in the history predicted from their declared profile" \
        in first_week.stderr
    # The medians differ by the declared levels' offsets (by hand from the
    # file; p50 is rounded to 0.1 day in the CSV).
    offsets = _offsets(multipliers)
    for strong, basic, area in (("T-1", "T-2", "research"), ("T-3", "T-4", "ml-engineering")):
        ratio = math.exp(offsets[(area, "strong")] - offsets[(area, "basic")])
        assert ratio < 1
        assert abs(settled.loc[strong, "p50_days"] - ratio * settled.loc[basic, "p50_days"]) \
            <= 0.05 * (1 + ratio) + 1e-9
        assert settled.loc[strong, "mean_days"] < settled.loc[basic, "mean_days"]
    # One week in, the slowdown is exp(rho exp(-weeks / tau)) of the file's ramp-up;
    # a year in, it is gone (to rounding).
    ramp = json.loads(multipliers.read_text())["skills"]["ramp_up"]
    weeks = 7 / 7
    slowdown = math.exp(ramp["slowdown"] * (math.exp(-weeks / ramp["scale_weeks"])
                                            - math.exp(-53 / ramp["scale_weeks"])))
    assert slowdown > 1.2
    for ticket in ("T-1", "T-2"):
        assert abs(early.loc[ticket, "p50_days"] - slowdown * settled.loc[ticket, "p50_days"]) \
            <= 0.05 * (1 + slowdown) + 1e-9
    # Known engineers' tickets are as without --skills (their start is years back).
    assert early.loc["T-6", "p50_days"] == settled.loc["T-6", "p50_days"]


def test_predict_with_the_configs_skills(history, fitted, tmp_path):
    _, multipliers = fitted
    config = tmp_path / "calibrate.toml"
    config.write_text(f'[skills]\nfile = "{history["skills"].as_posix()}"\n', encoding="utf-8")
    backlog = declared_backlog(tmp_path / "backlog.csv", [("T-1", STRONG_HIRE, "research", 3)])
    out = tmp_path / "predictions.csv"
    result = run("predict", backlog, "--multipliers", multipliers, "--config", config, "--on",
                 "2027-09-07", "--out", out)
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["basis"].iloc[0] == "unseen engineer, declared level"


def test_predict_with_skills_needs_multipliers_fitted_with_them(history, plain, tmp_path):
    backlog = declared_backlog(tmp_path / "backlog.csv", [("T-1", STRONG_HIRE, "research", 3)])
    result = run("predict", backlog, "--multipliers", plain, "--skills", history["skills"],
                 "--out", tmp_path / "p.csv")
    assert result.exit_code == 2
    assert f"{plain} was fitted without skill profiles" in result.stderr
    assert "calibrate fit EXPORT --skills" in result.stderr
    assert not (tmp_path / "p.csv").exists()


def test_a_profile_in_an_area_the_file_does_not_have_is_reported(fitted, tmp_path):
    _, multipliers = fitted
    skills = tmp_path / "skills.csv"
    skills.write_text(f"engineer,area,level\n{STRONG_HIRE},reserch,strong\n", encoding="utf-8")
    backlog = declared_backlog(tmp_path / "backlog.csv", [("T-1", STRONG_HIRE, "research", 3)])
    result = run("predict", backlog, "--multipliers", multipliers, "--skills", skills,
                 "--out", tmp_path / "p.csv")
    assert result.exit_code == 2
    assert "did you mean 'research'?" in result.stderr


# -- plan ----------------------------------------------------------------------------------------


def test_plan_simulates_new_hires_from_their_profiles(history, fitted, tmp_path):
    _, multipliers = fitted
    plan = tmp_path / "plan.csv"
    pd.DataFrame({"ticket_id": ["P-1", "P-2", "P-3", "P-4", "P-5"],
                  "area": ["research", "research", "research", "research", "ml-engineering"],
                  "points": [3, 5, 3, 5, 3],
                  "engineer": [STRONG_HIRE, STRONG_HIRE, BASIC_HIRE, BASIC_HIRE,
                               "Priya Raman"]}).to_csv(plan, index=False)
    options = ["--multipliers", multipliers, "--draws", 500, "--samples", 10, "--start",
               "2026-12-07"]
    declared, undeclared = tmp_path / "declared", tmp_path / "undeclared"
    result = run("plan", plan, *options, "--skills", history["skills"], "--out", declared)
    assert result.exit_code == 0, result.output
    assert run("plan", plan, *options, "--out", undeclared).exit_code == 0
    loads = pd.read_csv(declared / "engineers.csv").set_index("engineer")["expected_days"]
    assert loads[STRONG_HIRE] < loads[BASIC_HIRE]
    without = pd.read_csv(undeclared / "engineers.csv").set_index("engineer")["expected_days"]
    assert without[STRONG_HIRE] == pytest.approx(without[BASIC_HIRE], rel=1e-9)  # both unseen
    tickets = pd.read_csv(declared / "tickets.csv").set_index("ticket_id")
    assert tickets.loc["P-1", "basis"].startswith("unseen engineer, declared level")
    # The same numbers as the API given the profiles.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        check = check_plan(load_multipliers(multipliers), pd.read_csv(plan), draws=500,
                           profile=read_skills(history["skills"]), on="2026-12-07")
    np.testing.assert_allclose(tickets["expected_days"].to_numpy(),
                               check.tickets["expected_days"].to_numpy(), rtol=1e-6)
    headline = json.loads((declared / "plan.json").read_text())
    assert headline["p_plan_fits"] == pytest.approx(check.p_plan_fits, abs=1e-12)


def test_a_simulated_new_hire_has_the_predicted_distribution(history, fitted):
    """What the plan's Monte Carlo draws for a profiled new hire ramping up is
    Multipliers.predict's log-normal, ticket by ticket."""
    _, path = fitted
    multipliers = load_multipliers(path)
    profiles = read_skills(history["skills"])
    tickets = pd.DataFrame({"area": ["research", "ml-engineering"], "points": [3, 5]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        simulated = simulate_days(multipliers, tickets, [STRONG_HIRE, BASIC_HIRE],
                                  draws=40_000, seed=1, profile=profiles, on="2026-09-15")
    expected = multipliers.predict(np.tile([STRONG_HIRE, BASIC_HIRE], 2),
                                   np.repeat(tickets["area"], 2), np.repeat(tickets["points"], 2),
                                   profile=profiles, on="2026-09-15")
    log_days = np.log(simulated.days).reshape(len(simulated.days), -1)
    sd = expected["log_sd"].to_numpy()
    # Monte Carlo error of a mean: sd / sqrt(draws); of an sd: sd / sqrt(2 draws).
    np.testing.assert_allclose(log_days.mean(axis=0), expected["log_mean"], rtol=0,
                               atol=float(4 * sd.max() / math.sqrt(40_000)))
    np.testing.assert_allclose(log_days.std(axis=0), sd, rtol=4 / math.sqrt(80_000))


def test_forecast_simulates_new_hires_in_the_capacity_from_their_profiles(history, fitted,
                                                                          tmp_path):
    from calibrate.plan import forecast_release

    _, multipliers = fitted
    backlog = tmp_path / "backlog.csv"
    pd.DataFrame({"ticket_id": [f"R-{i}" for i in range(8)],
                  "area": ["research", "ml-engineering"] * 4, "points": [3, 5, 2, 3] * 2,
                  "engineer": [STRONG_HIRE] * 4 + [BASIC_HIRE] * 4}).to_csv(backlog, index=False)
    capacity = tmp_path / "capacity.csv"
    pd.DataFrame({"engineer": [STRONG_HIRE, BASIC_HIRE], "capacity_days": [8, 8]}).to_csv(
        capacity, index=False)
    options = ["--multipliers", multipliers, "--capacity", capacity, "--draws", 2000,
               "--start", "2026-12-07"]
    declared, undeclared = tmp_path / "declared.csv", tmp_path / "undeclared.csv"
    result = run("forecast", backlog, *options, "--skills", history["skills"], "--out", declared)
    assert result.exit_code == 0, result.output
    assert run("forecast", backlog, *options, "--out", undeclared).exit_code == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        forecast = forecast_release(load_multipliers(multipliers), pd.read_csv(backlog),
                                    {STRONG_HIRE: 8, BASIC_HIRE: 8}, start="2026-12-07",
                                    draws=2000, profile=read_skills(history["skills"]))
    written = pd.read_csv(declared)
    np.testing.assert_allclose(written["sprints"], forecast.sprints["sprints"], rtol=1e-9)
    tickets = forecast.tickets.set_index("ticket_id")
    assert tickets.loc["R-0", "basis"].startswith("unseen engineer, declared level")
    days = tickets.groupby("engineer")["mean_days"].sum()
    assert days[STRONG_HIRE] < days[BASIC_HIRE]
    # Without the profiles both are the team's unseen engineer: the same days.
    assert not pd.read_csv(undeclared)["sprints"].equals(written["sprints"])


# -- report --------------------------------------------------------------------------------------


def test_report_pseudonymises_the_profiles_with_the_exports_pseudonyms(history, canonical,
                                                                      tmp_path):
    out = tmp_path / "report"
    result = run("report", history["tickets"], "--skills", history["skills"], "--pseudonymize",
                 "--pseudonym-key", "k", "--no-backtest", "--no-pdf", "--out", out)
    assert result.exit_code == 0, result.output
    people = [*NAMES, STRONG_HIRE, BASIC_HIRE]
    words = {word for name in people for word in name.split()}
    texts = {"terminal": result.output,
             **{path.name: path.read_text(encoding="utf-8") for path in out.iterdir()}}
    for where, text in texts.items():
        found = sorted(word for word in words if re.search(rf"\b{re.escape(word)}\b", text))
        assert not found, (where, found)
    assert "2 engineers of the skill profiles start after the history" in result.stderr
    # The skills still apply: profiles keyed by the table's pseudonyms, and the
    # level effects of the fit on the real names.
    document = json.loads((out / "multipliers.json").read_text())
    _, mapping = pseudonymize(canonical, key="k")
    assert {row["engineer"] for row in document["skills"]["profiles"]} \
        == {mapping[name] for name in history["team"].engineers}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        api = Calibrator().fit(history["table"], skills=history["team"]).result_
    written = pd.DataFrame(document["skills"]["level_effects"]).set_index(["area", "level"])
    expected = api.level_effects.set_index(["area", "level"])
    np.testing.assert_allclose(written.loc[expected.index, "effect"], expected["effect"],
                               rtol=1e-6, atol=1e-9)


# -- which engineers are new hires -----------------------------------------------------------------


@pytest.fixture(scope="module")
def canonical(history):
    """The history as `calibrate` reads it."""
    return read_canonical(history["tickets"])


@settings(max_examples=25, deadline=None)
@given(days=st.integers(-400, 400), misspelt=st.booleans())
def test_only_engineers_without_tickets_starting_after_the_history_are_left_out(
        canonical, days, misspelt):
    table = canonical
    last_start = table.tickets["started_at"].max()
    name = "Priya Ramen" if misspelt else "Fresh Hire"
    profiles = SkillProfiles.from_dict({
        "Priya Raman": {"research": "strong"},
        name: {"research": "basic",
               "start_date": (last_start.normalize() + pd.Timedelta(days=days)).date()}})
    if (last_start.normalize() + pd.Timedelta(days=days)) > last_start:
        kept = _fitted_profiles(profiles, table, named=False)
        assert kept.engineers == ["Priya Raman"]
    else:
        with pytest.raises(InputError, match="engineer not in the tickets") as error:
            _fitted_profiles(profiles, table, named=False)
        assert [problem.value for problem in error.value.problems] == [name]

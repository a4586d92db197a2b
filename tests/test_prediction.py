"""Predictions for planners: notes, sizes, the points range, the README formula."""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from calibrate import CalibrationWarning, Calibrator, InputError, load_multipliers, read_export
from calibrate.datasets import simulate_tickets
from calibrate.export import schema, write_multipliers
from calibrate.io.backlog import read_backlog

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="module")
def sample():
    """The bundled Jira history (cycle time, points 1 to 8) and its fit."""
    table = read_export(SAMPLE / "jira_changelog.json", config=SAMPLE / "calibrate.toml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        return table, Calibrator().fit(table).result_


@pytest.fixture(scope="module")
def sample_file(sample, tmp_path_factory):
    """The sample's multipliers file and its JSON document, as a planner gets them."""
    path, _ = write_multipliers(sample[1].multipliers, tmp_path_factory.mktemp("m") / "m.json")
    return path, json.loads(path.read_text(encoding="utf-8"))


# -- notes ----------------------------------------------------------------------------------


def test_notes_flag_what_the_history_cannot_vouch_for(sample):
    from calibrate.prediction import note_counts

    _, result = sample
    rows = [  # engineer, area, points, expected note
        ("Priya Raman", "research", 3, ""),
        ("Priya Ramen", "research", 3, "engineer not in the history (closest: 'Priya Raman')"),
        ("priya raman", "research", 3, "engineer not in the history (closest: 'Priya Raman')"),
        ("Zoe Muller", "research", 3, "engineer not in the history (closest: 'Zoë Müller')"),
        ("Somebody New", "research", 3, "engineer not in the history"),
        (None, "research", 3, "no engineer (unassigned)"),
        ("", "research", 3, "no engineer (unassigned)"),
        ("Priya Raman", "reserch", 3, "area not in the history (closest: 'research')"),
        ("Priya Raman", "forecasting", 3, "area not in the history"),
        ("Priya Raman", None, 3, "no area"),
        ("Priya Raman", "research", 21,
         "points 21 beyond the history's largest (8): the prediction extrapolates"),
        ("Priya Raman", "research", 0.5,
         "points 0.5 below the history's smallest (1): the prediction extrapolates"),
        (None, "reserch", 13, "no engineer (unassigned); area not in the history (closest: "
                              "'research'); points 13 beyond the history's largest (8): the "
                              "prediction extrapolates"),
    ]
    engineers, areas, points, expected = (list(column) for column in zip(*rows, strict=True))
    prediction = result.predict(engineers, areas, points)
    assert prediction["note"].tolist() == expected
    # Flagged rows are still predicted, by the documented fallbacks.
    assert prediction["basis"].tolist()[:3] == ["engineer x area", "unseen engineer",
                                                "unseen engineer"]
    assert prediction["p50_days"].notna().all()
    assert note_counts(prediction["note"]) == {
        "no engineer (unassigned)": 3, "engineer not in the history": 4,
        "no area": 1, "area not in the history": 3,
        "points beyond the history's largest": 2, "points below the history's smallest": 1}


def test_the_points_range_is_that_of_the_finished_tickets(sample, sample_file):
    table, result = sample
    finished = table.tickets.loc[~table.tickets["censored"], "points"]
    expected = [float(finished.min()), float(finished.max())]
    assert result.multipliers.points_range == tuple(expected)
    _, document = sample_file
    assert document["schema_version"] == "2.1"
    assert document["model"]["points_range"] == expected
    # Open tickets do not widen it: the fit hardly learns from them.
    tickets = simulate_tickets(400, 6, seed=3).tickets
    open_row = tickets.index[tickets["censored"]][0]
    tickets.loc[open_row, "points"] = 40.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        fitted = Calibrator().fit(tickets).result_.multipliers
    finished = tickets.loc[~tickets["censored"], "points"]
    assert fitted.points_range == (finished.min(), finished.max()) and finished.max() < 40


# -- sizes ----------------------------------------------------------------------------------


def test_sizes_are_read_with_the_files_points_scale(sample, tmp_path):
    _, result = sample
    sized = result.multipliers.with_points_scale({"S": 2, "M": 3})
    path, _ = write_multipliers(sized, tmp_path / "m.json")
    document = json.loads(path.read_text())
    jsonschema.Draft202012Validator(schema()).validate(document)
    assert document["model"]["points_scale"] == {"s": 2.0, "m": 3.0}
    loaded = load_multipliers(path)
    by_size = loaded.predict("Priya Raman", "research", ["M", "m", " s ", 3, "5"])
    by_points = loaded.predict("Priya Raman", "research", [3, 3, 2, 3, 5])
    pd.testing.assert_frame_equal(by_size, by_points, rtol=0, atol=0)
    # A config's extra sizes are welcome; a size that means other points is not.
    extra = loaded.predict("Priya Raman", "research", "L", points_scale={"l": 5, "M": 3})
    assert extra["points"].iloc[0] == 5
    with pytest.raises(InputError, match="differs") as error:
        loaded.predict("Priya Raman", "research", "M", points_scale={"m": 5})
    assert "'m' means 5 points here but 3" in str(error.value)
    with pytest.raises(InputError, match="sizes of the points scale") as error:
        loaded.predict("Priya Raman", "research", ["M", "XL", -1])
    assert "'XL'" in str(error.value) and "s, m" in str(error.value)
    # Without a scale a size is an error that says what would help.
    with pytest.raises(InputError, match="points scale"):
        result.multipliers.predict("Priya Raman", "research", "M")
    with pytest.raises(InputError, match="points scale"):
        sized.with_points_scale({"m": -3})


# -- the budget: one name ---------------------------------------------------------------------


def test_the_overrun_column_is_p_over_budget_against_budget_days(sample, lead_result):
    _, result = sample
    prediction = result.predict("Priya Raman", "research", [3, 5])
    row = prediction.iloc[1]
    assert row["budget_days"] == 3.0  # the cap cycle time is judged against
    np.testing.assert_allclose(
        row["p_over_budget"], stats.norm.sf((np.log(3) - row["log_mean"]) / row["log_sd"]),
        rtol=1e-12)
    lead = lead_result.multipliers
    unjudged = lead.predict("engineer-00000", "research", 3)
    assert np.isnan(unjudged["budget_days"].iloc[0]) and np.isnan(
        unjudged["p_over_budget"].iloc[0])
    assert lead.with_lead_cap(12).predict("engineer-00000", "research", 3)[
        "budget_days"].iloc[0] == 12
    assert lead.predict("engineer-00000", "research", 3, budget_days=8)["budget_days"].iloc[0] == 8
    with pytest.raises(InputError, match="budget_days"):
        result.predict("Priya Raman", "research", 3, budget_days=0)


# -- older files ----------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.0", "1.1"])
def test_files_without_the_points_range_load_and_predict_the_same(sample, sample_file,
                                                                   tmp_path, version):
    _, result = sample
    _, document = sample_file
    document = json.loads(json.dumps(document))
    document["schema_version"] = version
    del document["model"]["points_range"]
    if version.startswith("1."):
        document["model"]["cell_sd"] = document["model"].pop("engineer_area_sd")
    path = tmp_path / "old.json"
    path.write_text(json.dumps(document))
    loaded = load_multipliers(path)
    assert loaded.points_range is None and loaded.points_scale == {}
    old = loaded.predict(["Priya Raman", "Priya Ramen"], "research", [21, 3])
    new = result.predict(["Priya Raman", "Priya Ramen"], "research", [21, 3])
    assert old["note"].tolist() == ["", new["note"].iloc[1]]  # no range: points not checked
    pd.testing.assert_frame_equal(old.drop(columns="note"), new.drop(columns="note"))


# -- the JSON Schema ------------------------------------------------------------------------


def test_the_schema_describes_every_property():
    undescribed = []

    def walk(node, path):
        if isinstance(node, dict):
            for name, child in (node.get("properties") or {}).items():
                if not (isinstance(child, dict) and str(child.get("description", "")).strip()):
                    undescribed.append(f"{path}/{name}")
            for key, child in node.items():
                walk(child, f"{path}/{key}")
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, f"{path}/{index}")

    document = schema()
    walk(document, "")
    assert undescribed == []
    # (and the walk does look everywhere: these are nested three levels down)
    assert "description" in document["properties"]["records"]["items"]["properties"]["p90"]
    assert "points_range" in document["properties"]["model"]["properties"]


# -- the README's formula, reimplemented from the JSON alone ------------------------------


def readme_prediction(document: dict, engineer, area: str, points: float,
                      budget: float) -> dict:
    """The README's "Predictions for planners" formula, step by step, from the JSON."""
    model = document["model"]
    x = math.log((points if points > 0 else model["zero_points"]) / model["reference_points"])
    areas = {entry["area"]: entry for entry in document["areas"]}
    keys = ["intercept", "elasticity", "var_intercept", "var_elasticity",
            "cov_intercept_elasticity"]
    if area in areas:
        params = areas[area]
    else:  # step 2: the ticket-weighted average, the intercepts' spread added
        entries = list(areas.values())
        w = np.array([e["n_finished"] + e["n_open"] for e in entries], dtype=float)
        w = w / w.sum()
        params = {k: float(w @ np.array([e[k] for e in entries])) for k in keys}
        intercepts = np.array([e["intercept"] for e in entries])
        params["noise_sd"] = math.sqrt(
            float(w @ np.array([e["noise_sd"] ** 2 for e in entries]))
            + float(w @ (intercepts - params["intercept"]) ** 2))

    def record(scope, record_area):
        return next((r for r in document["records"] if r["scope"] == scope
                     and r["engineer"] == engineer and r["area"] == record_area), None)

    r = record("engineer_area", area) or record("engineer_new_area", area)
    if r is not None:
        c = r["fixed_cross_intercept"] + x * r["fixed_cross_elasticity"]
    else:
        r = record("engineer_new_area", None) or {"log_mean": 0.0,
                                                  "log_sd": model["unseen_engineer_sd"]}
        c = 0.0
    m = params["intercept"] + params["elasticity"] * x + r["log_mean"]
    fixed_var = (params["var_intercept"] + 2 * x * params["cov_intercept_elasticity"]
                 + x * x * params["var_elasticity"])
    s2 = params["noise_sd"] ** 2 + r["log_sd"] ** 2 + fixed_var - 2 * c
    s = math.sqrt(s2)
    return {"x": x, "m": m, "fixed_var": fixed_var, "c": c, "s²": s2, "log_sd": s,
            "p10_days": math.exp(m - 1.2815515655446004 * s), "p50_days": math.exp(m),
            "p80_days": math.exp(m + 0.8416212335729143 * s),
            "p90_days": math.exp(m + 1.2815515655446004 * s),
            "mean_days": math.exp(m + s2 / 2),
            "p_over_budget": 1 - stats.norm.cdf((math.log(budget) - m) / s),
            "p_over_points": 1 - stats.norm.cdf(
                (math.log(points if points > 0 else model["zero_points"]) - m) / s)}


def test_the_readme_formula_reimplemented_from_the_json_gives_the_predictions(sample_file):
    path, document = sample_file
    loaded = load_multipliers(path)
    cases = [  # (engineer, area, points, basis)
        ("Priya Raman", "research", 5, "engineer x area"),
        ("Priya Raman", "data-engineering", 0, "engineer x area"),
        ("Aiko Tanaka", "research", 2, "engineer"),              # new to a known area
        ("Somebody New", "research", 13, "unseen engineer"),
        ("Priya Raman", "forecasting", 5, "engineer, unseen area"),
        ("Somebody New", "forecasting", 1, "unseen engineer, unseen area"),
    ]
    engineers, areas, points, bases = (list(c) for c in zip(*cases, strict=True))
    assert not any(r["engineer"] == "Aiko Tanaka" and r["area"] == "research"
                   and r["scope"] == "engineer_area" for r in document["records"])
    prediction = loaded.predict(engineers, areas, points, budget_days=2.5)
    assert prediction["basis"].tolist() == bases
    for row, case in zip(prediction.itertuples(), cases, strict=True):
        expected = readme_prediction(document, *case[:3], budget=2.5)
        for column in ("p10_days", "p50_days", "p80_days", "p90_days", "mean_days",
                       "p_over_budget", "p_over_points", "log_sd"):
            np.testing.assert_allclose(getattr(row, column), expected[column], rtol=1e-9,
                                       atol=1e-15, err_msg=f"{case}: {column}")


def test_the_readme_worked_example_is_what_the_file_gives(sample_file):
    _, document = sample_file
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Predictions for planners")[1].split("\n## ")[0]
    example = section.split("**Worked example**")[1].split("A test recomputes")[0]
    expected = readme_prediction(document, "Priya Raman", "research", 5, budget=3)
    checked = set()
    for line in example.splitlines():
        found = re.match(r"\s+(x|m|fixed_var|c|s²|\w+_days|p_over_budget)\b.*=\s*([-\d.]+)\s*$",
                         line)
        if not found:
            continue
        name, shown = found.group(1), found.group(2)
        decimals = len(shown.split(".")[1])
        assert abs(expected[name] - float(shown)) <= 0.5 * 10**-decimals + 1e-12, (
            f"README shows {name} = {shown}; the file gives {expected[name]:.6f}")
        checked.add(name)
    assert checked == {"x", "m", "fixed_var", "c", "s²", "p50_days", "p90_days", "mean_days",
                       "p_over_budget"}
    # The inputs it quotes are the file's too.
    research = next(a for a in document["areas"] if a["area"] == "research")
    for value in (research["intercept"], research["elasticity"], research["noise_sd"]):
        assert f"{value:.4f}" in example


# -- a backlog, its own columns kept --------------------------------------------------------


def test_a_backlog_keeps_every_column_and_says_why_a_size_is_unusable(sample, tmp_path):
    from calibrate.prediction import predict_backlog

    _, result = sample
    backlog = tmp_path / "backlog.csv"
    backlog.write_text("Sprint,Issue key,Summary,Assignee,area,Story Points,note,note\n"
                       "S1,X-1,First,Priya Raman,research,M,mine,again\n"
                       "S1,X-2,Second,,research,XL,,\n"
                       "S2,X-3,Third,Priya Raman,research,inf,,\n", encoding="utf-8")
    read = read_backlog(backlog, points_scale={"m": 3, "s": 2})
    assert read.columns.columns.tolist() == ["Sprint", "Issue key", "Summary", "Assignee",
                                             "area", "Story Points", "note (backlog)",
                                             "note (backlog) (2)"]
    assert read.fields == {"ticket_id": "Issue key", "engineer": "Assignee", "area": "area",
                           "points": "Story Points"}
    assert any("'note (backlog)'" in note for note in read.notes)
    assert read.tickets["points"].iloc[0] == 3
    assert read.tickets["problem"].isna().tolist() == [True, False, False]
    assert read.tickets["problem"].iloc[1:].tolist() == [
        "invalid points: 'XL' is not a number >= 0 or a size of the points scale (m, s)",
        "invalid points: 'inf' is not a number >= 0 or a size of the points scale (m, s)"]
    table = predict_backlog(read, result.multipliers)
    pd.testing.assert_frame_equal(table.iloc[:, :8], read.columns)
    assert table["note"].tolist() == ["", "no engineer (unassigned)", ""]
    assert table["p50_days"].notna().tolist() == [True, False, False]
    np.testing.assert_allclose(
        table["p50_days"].iloc[0],
        result.predict("Priya Raman", "research", 3)["p50_days"].iloc[0], rtol=1e-15)


def test_a_new_hire_with_a_declared_profile_is_noted_as_such_not_as_a_misspelling():
    from calibrate.prediction import note_counts, prediction_notes
    from calibrate.skills import SkillProfiles

    simulated = simulate_tickets(600, 6, seed=4, level_effects={"basic": 0.3, "strong": -0.3})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        multipliers = Calibrator().fit(simulated.tickets, skills=simulated.skills) \
            .result_.multipliers
    known = str(simulated.tickets["engineer"].iloc[0])
    hire = SkillProfiles.from_dict({"Newcomer": {"research": "strong"}})
    engineers = ["Newcomer", known + "x", known]
    notes = prediction_notes(multipliers, engineers, "research", 3, profile=hire).tolist()
    assert notes[0] == "new engineer, predicted from a declared profile"
    assert notes[1].startswith("engineer not in the history (closest: ")  # not declared
    assert notes[2] == ""
    # A dict profile applies to every engineer the history does not know.
    as_dict = prediction_notes(multipliers, engineers, "research", 3,
                               profile={"research": "strong"}).tolist()
    assert as_dict[:2] == ["new engineer, predicted from a declared profile"] * 2
    predicted = multipliers.predict(engineers, "research", 3, profile=hire)
    assert predicted["note"].tolist() == notes
    assert note_counts(notes) == {"engineer not in the history": 1,
                                  "new engineer predicted from a declared profile": 1}


# -- a declared level the area never saw: borrowed from the other areas -----------------------

GAP = "data-engineering"
#: Strong is faster in research and ml-engineering; in data-engineering
#: everyone declared "proficient", so "strong" has no estimate there.
BORROW_LEVELS = {"basic": 0.0, "proficient": 0.0, "strong": -0.8}


@pytest.fixture(scope="module")
def one_level(tmp_path_factory):
    """A fit where ``strong`` is estimated in two areas and never declared in
    data-engineering, with one engineer ("the mover") who has no tickets
    there; its multipliers file and JSON document."""
    from calibrate.skills import SkillProfiles

    simulated = simulate_tickets(
        900, 8, seed=5, engineer_sd=0.05, engineer_area_sd=0.05,
        level_effects={"research": BORROW_LEVELS, "ml-engineering": BORROW_LEVELS,
                       GAP: dict.fromkeys(BORROW_LEVELS, 0.0)})
    tickets = simulated.tickets
    mover = sorted(set(tickets["engineer"].astype(str)))[0]
    tickets = tickets[~((tickets["engineer"] == mover) & (tickets["area"] == GAP)).to_numpy()]
    profiles = SkillProfiles.from_dict(
        {engineer: {**levels, GAP: "proficient"}
         for engineer, levels in simulated.truth["levels"].items()}, scale=tuple(BORROW_LEVELS))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        multipliers = Calibrator().fit(tickets.reset_index(drop=True),
                                       skills=profiles).result_.multipliers
    path, _ = write_multipliers(multipliers, tmp_path_factory.mktemp("one") / "m.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    effects = document["skills"]["level_effects"]
    assert [e["level"] for e in effects if e["area"] == GAP] == ["proficient"]
    assert all(any(e["area"] == a and e["level"] == "strong" for e in effects)
               for a in ("research", "ml-engineering"))
    return load_multipliers(path), document, mover


def combined_from_the_json(document: dict, level: str) -> tuple[float, float]:
    """The README's borrowing step from the JSON alone, by statsmodels: the
    DerSimonian-Laird mean of the level's ``offset`` over the areas where
    ``var_offset`` > 0, and the variance of one more area's effect (tau^2
    truncated at 0, as the estimator does)."""
    from _references import dersimonian_laird

    rows = [e for e in document["skills"]["level_effects"]
            if e["level"] == level and e["var_offset"] > 1e-12]
    return dersimonian_laird(np.array([e["offset"] for e in rows]),
                             np.array([e["var_offset"] for e in rows]))


def test_a_level_the_area_never_saw_is_borrowed_as_the_json_says(one_level):
    multipliers, document, _ = one_level
    points = [1.0, 3.0, 8.0]
    offset, variance = combined_from_the_json(document, "strong")
    assert offset < -0.3  # strong is clearly faster where it was estimated
    hire = multipliers.predict("Newcomer", GAP, points, budget_days=2.5,
                               profile={GAP: "strong"})
    assert hire["basis"].tolist() == ["unseen engineer, declared level borrowed from other "
                                      "areas"] * 3
    assert hire["note"].str.startswith("new engineer, predicted from a declared").all()
    # The area's only level is "proficient" (offset 0, share 1): the team's
    # mix adds nothing there, so the typical engineer is the README's step 4.
    for row, p in zip(hire.itertuples(), points, strict=True):
        typical = readme_prediction(document, "Newcomer", GAP, p, budget=2.5)
        m, s2 = typical["m"] + offset, typical["s²"] + variance
        np.testing.assert_allclose(row.log_mean, m, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(row.log_sd ** 2, s2, rtol=1e-9)
        np.testing.assert_allclose(row.mean_days, math.exp(m + s2 / 2), rtol=1e-9)
    # "typical": the team's mix there, as before borrowing.
    as_before = multipliers.predict("Newcomer", GAP, points, budget_days=2.5,
                                    profile={GAP: "strong"}, unseen_levels="typical")
    for row, p in zip(as_before.itertuples(), points, strict=True):
        typical = readme_prediction(document, "Newcomer", GAP, p, budget=2.5)
        np.testing.assert_allclose([row.log_mean, row.log_sd, row.mean_days],
                                   [typical["m"], typical["log_sd"], typical["mean_days"]],
                                   rtol=1e-9)
    assert as_before["basis"].eq("unseen engineer").all()
    # A level with an estimate in the area is its own, borrowing or not.
    own = [multipliers.predict("Newcomer", "research", 3.0, profile={"research": "strong"},
                               unseen_levels=how) for how in ("borrow", "typical")]
    pd.testing.assert_frame_equal(*own)
    assert own[0]["basis"].iloc[0] == "unseen engineer, declared level"
    with pytest.raises(InputError, match="unseen_levels") as error:
        multipliers.predict("Newcomer", GAP, 3.0, unseen_levels="guess")
    assert "'borrow' or 'typical'" in str(error.value)


def test_only_rows_predicted_from_a_declared_level_borrow(one_level):
    from calibrate.skills import SkillProfiles

    multipliers, document, mover = one_level
    offset, variance = combined_from_the_json(document, "strong")
    stayer = next(r["engineer"] for r in document["records"]
                  if r["scope"] == "engineer_area" and r["area"] == GAP)
    # A known engineer's own tickets speak: declaring them strong where they
    # worked changes nothing (their engineer x area record holds their level).
    declared = SkillProfiles.from_dict({stayer: {GAP: "strong"}, mover: {GAP: "strong"}},
                                       scale=tuple(BORROW_LEVELS))
    worked = multipliers.predict(stayer, GAP, 3.0, profile=declared)
    pd.testing.assert_frame_equal(worked, multipliers.predict(stayer, GAP, 3.0))
    assert worked["basis"].iloc[0] == "engineer x area"
    # Moving to an area they have no tickets in, declared strong there: borrowed
    # on top of their engineer_new_area record (the README's step 3).
    moved = multipliers.predict(mover, GAP, 3.0, profile=declared, budget_days=2.5).iloc[0]
    assert moved["basis"] == "engineer, declared level borrowed from other areas"
    plain = readme_prediction(document, mover, GAP, 3.0, budget=2.5)
    np.testing.assert_allclose([moved["log_mean"], moved["log_sd"] ** 2],
                               [plain["m"] + offset, plain["s²"] + variance], rtol=1e-9)
    # Their file's level there ("proficient", estimated) is used as it is.
    kept = multipliers.predict(mover, GAP, 3.0).iloc[0]
    assert kept["basis"] == "engineer, declared level"
    np.testing.assert_allclose(kept["log_mean"], plain["m"], rtol=1e-9, atol=1e-12)


def test_the_readme_documents_the_borrowing_step():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Predictions for planners")[1].split("\n## ")[0]
    for phrase in ("skills.level_effects", "var_offset", "DerSimonian", "tau²",
                   "declared level borrowed from other areas", "unseen_levels"):
        assert phrase in section, phrase

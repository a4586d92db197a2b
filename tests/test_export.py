"""The multipliers file: schema, round trip, prediction fallbacks and formulas."""

import json
import warnings

import jsonschema
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import calibrate.io.csv_writer
from calibrate import CalibrationWarning, Calibrator, InputError, load_multipliers
from calibrate.datasets import simulate_tickets
from calibrate.export import RECORD_COLUMNS, schema, write_multipliers


@pytest.fixture(scope="module")
def result():
    tickets = simulate_tickets(1500, 12, seed=8).tickets
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        return Calibrator().fit(tickets).result_


def test_written_file_validates_against_the_shipped_schema(result, tmp_path):
    json_path, csv_path = write_multipliers(result.multipliers, tmp_path / "m.json")
    document = json.loads(json_path.read_text())
    jsonschema.Draft202012Validator(schema()).validate(document)
    assert document["schema_version"].startswith("2.")
    scopes = {record["scope"] for record in document["records"]}
    assert scopes == {"population", "engineer", "engineer_area", "engineer_new_area"}
    assert pd.read_csv(csv_path).columns.tolist() == [*RECORD_COLUMNS, "clock"]


def test_the_file_holds_the_document_with_one_record_per_line(result, tmp_path):
    json_path, _ = write_multipliers(result.multipliers, tmp_path / "m.json")
    text = json_path.read_text(encoding="utf-8")
    assert json.loads(text) == result.multipliers.to_dict()
    lines = text.splitlines()
    start = lines.index('  "records": [')
    records = lines[start + 1:start + 1 + len(result.multipliers.records)]
    assert [json.loads(line.rstrip(",")) for line in records] == \
        result.multipliers.to_dict()["records"]
    assert lines[start + 1 + len(records)].startswith("  ]")
    assert lines[1].startswith('  "schema_version"')  # the rest indented as before


def test_records_become_the_same_plain_values_as_every_other_part_of_the_file():
    from calibrate.export import _clean, _plain_records

    frame = pd.DataFrame({
        "scope": pd.array(["engineer", None, "population"], dtype="string"),
        "log_mean": [0.25, np.nan, -np.inf], "n_open": np.array([0, 3, 7], dtype="int64"),
        "flag": [True, False, True], "label": ["a", None, "c"],
    })
    assert _plain_records(frame) == _clean(frame.to_dict(orient="records"))
    assert _plain_records(frame)[1] == {"scope": None, "log_mean": None, "n_open": 3,
                                        "flag": False, "label": None}
    assert [type(value) for value in _plain_records(frame)[0].values()] == [
        str, float, int, bool, str]


def test_round_trip_gives_identical_predictions(result, tmp_path):
    json_path, _ = write_multipliers(result.multipliers, tmp_path / "m.json")
    loaded = load_multipliers(json_path)
    engineers = ["engineer-00000", "engineer-00003", "never-seen", "engineer-00001"]
    areas = ["research", "ml-engineering", "research", "an-unseen-area"]
    points = [1, 3, 5, 0]
    pd.testing.assert_frame_equal(result.predict(engineers, areas, points),
                                  loaded.predict(engineers, areas, points))


def test_prediction_bases_and_fallbacks(result):
    model = result.multipliers.model
    prediction = result.predict(["engineer-00000", "never-seen"], ["research", "research"],
                                [3, 3]).set_index("engineer")
    assert prediction.loc["engineer-00000", "basis"] == "engineer x area"
    assert prediction.loc["never-seen", "basis"] == "unseen engineer"
    # Unseen engineer: multiplier 1, so the median is the area's typical
    # 3-point duration, and the spread adds engineer and cell variance.
    area = result.multipliers.areas.set_index("area").loc["research"]
    expected_sd = np.sqrt(area["noise_sd"] ** 2 + model["engineer_sd"] ** 2
                          + model["engineer_area_sd"] ** 2 + area["var_intercept"])
    np.testing.assert_allclose(prediction.loc["never-seen", "p50_days"],
                               np.exp(area["intercept"]), rtol=1e-12)
    np.testing.assert_allclose(prediction.loc["never-seen", "log_sd"], expected_sd, rtol=1e-12)
    unseen_area = result.predict("engineer-00000", "nowhere", 3)
    assert unseen_area["basis"].iloc[0] == "engineer, unseen area"


def test_prediction_quantiles_follow_the_lognormal(result):
    row = result.predict("engineer-00002", "data-engineering", 2, budget_days=2.5).iloc[0]
    m, s = row["log_mean"], row["log_sd"]
    for level, column in ((0.1, "p10_days"), (0.5, "p50_days"), (0.8, "p80_days"),
                          (0.9, "p90_days")):
        np.testing.assert_allclose(row[column], np.exp(m + stats.norm.ppf(level) * s),
                                   rtol=1e-12)
    np.testing.assert_allclose(row["mean_days"], np.exp(m + s * s / 2), rtol=1e-12)
    np.testing.assert_allclose(row["p_over_budget"], 1 - stats.norm.cdf((np.log(2.5) - m) / s),
                               rtol=1e-9)
    np.testing.assert_allclose(row["p_over_points"], 1 - stats.norm.cdf((np.log(2) - m) / s),
                               rtol=1e-9)


def test_negative_points_are_rejected(result):
    with pytest.raises(InputError, match="points"):
        result.predict("engineer-00000", "research", -1)


def test_load_rejects_broken_files(result, tmp_path):
    json_path, _ = write_multipliers(result.multipliers, tmp_path / "m.json")
    document = json.loads(json_path.read_text())
    document["records"][0]["log_sd"] = -1
    del document["model"]["cap_days"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document))
    with pytest.raises(InputError) as error:
        load_multipliers(broken)
    message = str(error.value)
    assert "log_sd" in message and "cap_days" in message  # every violation listed
    document["schema_version"] = "3.0"
    broken.write_text(json.dumps(document))
    with pytest.raises(InputError, match="schema version 3.0"):
        load_multipliers(broken)
    (tmp_path / "not.json").write_text("{oops")
    with pytest.raises(InputError, match="not a JSON file"):
        load_multipliers(tmp_path / "not.json")
    with pytest.raises(InputError, match="does not exist"):
        load_multipliers(tmp_path / "missing.json")


def test_multipliers_file_is_deterministic_apart_from_created_at(result, tmp_path):
    first = json.loads(write_multipliers(result.multipliers, tmp_path / "a.json")[0].read_text())
    tickets = simulate_tickets(1500, 12, seed=8).tickets
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        again = Calibrator().fit(tickets).result_
    second = json.loads(write_multipliers(again.multipliers, tmp_path / "b.json")[0].read_text())
    first.pop("created_at"), second.pop("created_at")
    assert first == second


def test_a_failed_write_keeps_both_previous_files(result, tmp_path, monkeypatch):
    json_path, csv_path = write_multipliers(result.multipliers, tmp_path / "m.json")
    before = json_path.read_bytes(), csv_path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    # The CSV is written after the JSON: fail while formatting its cells.
    monkeypatch.setattr(calibrate.io.csv_writer, "_csv_cells", broken)
    with pytest.raises(OSError):
        write_multipliers(result.multipliers, tmp_path / "m.json")
    assert (json_path.read_bytes(), csv_path.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.csv", "m.json"]


# -- the clock, the lead cap, what to add up -------------------------------------------------


def test_file_csv_and_predictions_carry_the_clock(result, lead_result, tmp_path):
    json_path, csv_path = write_multipliers(lead_result.with_lead_cap(12).multipliers,
                                            tmp_path / "lead.json")
    document = json.loads(json_path.read_text())
    jsonschema.Draft202012Validator(schema()).validate(document)
    assert document["model"]["clock"] == "lead"
    assert document["model"]["lead_cap_days"] == 12
    assert set(pd.read_csv(csv_path)["clock"]) == {"lead"}
    loaded = load_multipliers(json_path)
    prediction = loaded.predict(["engineer-00000", "never-seen"], "research", [3, 5])
    assert prediction.columns[-1] == "clock" and set(prediction["clock"]) == {"lead"}
    assert loaded.verdict_cap == 12
    # Cycle time: no lead cap written as null, the clock says cycle.
    json_path, csv_path = write_multipliers(result.multipliers, tmp_path / "cycle.json")
    document = json.loads(json_path.read_text())
    assert document["model"]["clock"] == "cycle" and document["model"]["lead_cap_days"] is None
    assert set(pd.read_csv(csv_path)["clock"]) == {"cycle"}
    assert set(result.predict("engineer-00000", "research", [1, 3])["clock"]) == {"cycle"}


def test_the_schema_describes_the_clock_and_the_lead_cap():
    model = schema()["properties"]["model"]["properties"]
    assert model["clock"]["enum"] == ["cycle", "lead", "mixed"]
    assert "lead" in model["clock"]["description"]
    assert model["lead_cap_days"]["type"] == ["number", "null"]
    validator = jsonschema.Draft202012Validator({**schema()["properties"]["model"]})
    assert not validator.is_valid({"clock": "wall"})
    assert not validator.is_valid({"lead_cap_days": 0})
    mean = schema()["properties"]["records"]["items"]["properties"]["mean"]["description"]
    assert "noise_sd^2 / 2" in mean and "mean_days" in mean


def test_verdict_cap_follows_the_clock(result, lead_result):
    import dataclasses

    assert result.multipliers.verdict_cap == 3.0                    # cycle: the team's cap
    assert result.multipliers.with_lead_cap(10).verdict_cap == 3.0
    assert lead_result.multipliers.verdict_cap is None              # lead: none by default
    assert lead_result.multipliers.with_lead_cap(10).verdict_cap == 10.0
    mixed = dataclasses.replace(lead_result.multipliers,
                                model={**lead_result.multipliers.model, "clock": "mixed"})
    assert mixed.verdict_cap is None and mixed.with_lead_cap(7).verdict_cap == 7.0
    with pytest.raises(ValueError, match="lead_cap_days"):
        lead_result.multipliers.with_lead_cap(0)
    # A file from before the clock was recorded keeps the old rule, and says so.
    old = dataclasses.replace(result.multipliers, model={
        k: v for k, v in result.multipliers.model.items() if k != "clock"})
    assert old.clock == "unknown" and old.verdict_cap == 3.0


def test_the_docs_say_what_to_add_up():
    from pathlib import Path

    import calibrate.export

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    planners = readme.split("## For planners")[1].split("\n## ")[0]
    for text in (calibrate.export.__doc__, planners):
        assert "is the multiplier to use when *adding up*" not in text
        assert "noise_sd^2 / 2" in " ".join(text.split())
        assert "mean_days" in text


def test_a_schema_1_file_still_loads_and_predicts_the_same(result, tmp_path):
    # 1.x named the engineer x area sd cell_sd (2.0: engineer_area_sd).
    json_path, _ = write_multipliers(result.multipliers, tmp_path / "m.json")
    document = json.loads(json_path.read_text())
    document["schema_version"] = "1.1"
    document["model"]["cell_sd"] = document["model"].pop("engineer_area_sd")
    document["model"]["identification"]["cell_sd"] = (
        document["model"]["identification"].pop("engineer_area_sd"))
    old = tmp_path / "old.json"
    old.write_text(json.dumps(document))
    loaded = load_multipliers(old)
    assert loaded.model["engineer_area_sd"] == result.multipliers.model["engineer_area_sd"]
    pd.testing.assert_frame_equal(loaded.predict("engineer-00000", "research", [1, 3, 8]),
                                  result.multipliers.predict("engineer-00000", "research",
                                                             [1, 3, 8]))

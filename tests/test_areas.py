"""calibrate.areas: the rules, the candidates and proposals of `init`, the text classifier."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2, rankdata

from calibrate.areas import (
    AreaClassifier,
    apply_area_rules,
    classify_areas,
    default_area_note,
    find_area_candidates,
    propose_area_schemes,
    summarize_areas,
)
from calibrate.config import AreaRule, Config
from calibrate.datasets import AREAS, generate_team_history
from calibrate.io import read_canonical, read_export, write_tickets
from calibrate.io._assemble import assemble_tickets

# ------------------------------------------------------------------------ the rules


def test_first_matching_rule_decides_and_capture_takes_the_first_matching_value():
    tickets = pd.DataFrame({
        "labels": ["Team::Data; team::Web", "frontend; Team:: Platform  Eng ", "bug", None],
        "title": ["etl", "page", "etl job", "nothing"],
    })
    rules = (AreaRule("web", ("^frontend$",), ("labels",)),
             AreaRule(prefix="team::"),
             AreaRule("data", ("etl",), ("title",)))
    assert apply_area_rules(tickets, rules).tolist() == ["data", "web", "data", None]
    # Without the pattern rule first, the capture rule decides the second ticket.
    assert apply_area_rules(tickets, rules[1:]).tolist() == [
        "data", "platform eng", "data", None]


def test_an_anchored_pattern_matches_one_value_among_several_and_fields_may_be_missing():
    tickets = pd.DataFrame({"labels": ["ml-research; etl", "research", "ml-research"]})
    rules = (AreaRule("research", ("^research$",), ("labels", "components")),)
    assert apply_area_rules(tickets, rules).tolist() == [None, "research", None]


_LABEL = st.sampled_from(["team::data", "Team::Web", "team:: ops ", "teams::x", "frontend",
                          "FrontEnd", "bug", "type::bug", "team::", "x team::y"])


def _brute_force(cells: list, rules: list) -> list:
    """Each ticket's area by the documented semantics, one value at a time."""
    result = []
    for cell in cells:
        area = None
        for rule in rules:
            for value in (cell.split("; ") if cell else []):
                if rule["prefix"] is not None:
                    head = value.lstrip()
                    if head.lower().startswith(rule["prefix"].lower()):
                        rest = " ".join(head[len(rule["prefix"]):].split()).lower()
                        if rest:
                            area = rest
                elif re.search(rule["pattern"], value, re.IGNORECASE):
                    area = rule["area"]
                if area is not None:
                    break
            if area is not None:
                break
        result.append(area)
    return result


@settings(max_examples=100, deadline=None)
@given(cells=st.lists(st.one_of(st.none(), st.lists(_LABEL, min_size=1, max_size=3).map(
    "; ".join)), min_size=1, max_size=12),
    order=st.permutations([0, 1, 2]))
def test_rules_agree_with_a_value_by_value_reading(cells, order):
    specs = [{"prefix": "team::", "area": None, "pattern": None},
             {"prefix": None, "area": "web", "pattern": "^frontend$"},
             {"prefix": None, "area": "bugs", "pattern": "bug"}]
    specs = [specs[i] for i in order]
    rules = [AreaRule(prefix=s["prefix"], fields=("labels",)) if s["prefix"] else
             AreaRule(s["area"], (s["pattern"],), ("labels",)) for s in specs]
    got = apply_area_rules(pd.DataFrame({"labels": cells}), rules).tolist()
    assert got == _brute_force(cells, specs)


def test_default_area_note_only_when_every_ticket_is_in_the_default_area():
    everything = pd.Series(["default"] * 3)
    assert "calibrate init" in default_area_note(everything, "general", rules=0)
    assert "no area rules are configured" in default_area_note(everything, "general", rules=0)
    assert "the 2 area rules matched no ticket" in default_area_note(everything, "x", rules=2)
    assert default_area_note(pd.Series(["default", "rule"]), "general") is None
    assert default_area_note(pd.Series([], dtype=object), "general") is None


def test_readings_say_when_every_ticket_is_in_the_default_area(fixtures, tmp_path):
    plain = read_export(fixtures / "gitlab_small.csv")
    assert set(plain.tickets["area_source"]) == {"default"}
    assert any("calibrate init" in note for note in plain.notes)
    assert "calibrate init" in str(plain.summary())
    ruled = read_export(fixtures / "gitlab_small.csv", config=Config(
        area_rules=(AreaRule(prefix="area::"),)))
    assert not any("calibrate init" in note for note in ruled.notes)
    assert set(ruled.tickets["area_source"]) <= {"rule", "default"}
    assert "rule" in set(ruled.tickets["area_source"])
    # The canonical table keeps where each area came from, and says so too.
    for suffix in (".csv", ".parquet"):
        back = read_canonical(write_tickets(plain.tickets, tmp_path / f"t{suffix}"))
        pd.testing.assert_series_equal(back.tickets["area_source"], plain.tickets["area_source"])
        assert any("calibrate init" in note for note in back.notes)
        back = read_canonical(write_tickets(ruled.tickets, tmp_path / f"r{suffix}"))
        pd.testing.assert_frame_equal(back.tickets, ruled.tickets)


def test_a_canonical_table_without_area_source_reads_with_it_empty(tmp_path):
    table = read_export("data/sample/linear_export.csv")
    path = tmp_path / "old.csv"
    table.tickets.drop(columns="area_source").to_csv(path, index=False)
    back = read_canonical(path)
    assert list(back.tickets.columns) == list(table.tickets.columns)
    assert back.tickets["area_source"].isna().all()
    assert not any("calibrate init" in note for note in back.notes)


# ----------------------------------------------------------------------- candidates


def _table(labels: list[str | None], days: list[float], **columns) -> pd.DataFrame:
    n = len(labels)
    return pd.DataFrame({"labels": labels, "duration_days": days,
                         "censored": columns.pop("censored", [False] * n), **columns})


def _exact_mann_whitney(inside: np.ndarray, outside: np.ndarray) -> float:
    """Two-sided p of the rank-sum statistic by enumerating every split (no ties)."""
    values = np.concatenate([inside, outside])
    ranks = rankdata(values)
    observed = ranks[:len(inside)].sum()
    sums = np.array([ranks[list(c)].sum() for c in
                     itertools.combinations(range(len(values)), len(inside))])
    lower, upper = (sums <= observed).mean(), (sums >= observed).mean()
    return min(1.0, 2 * min(lower, upper))


def test_candidate_counts_medians_and_p_values_are_those_computed_by_hand():
    days = [1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 30.0, 40.0, 5.0]
    labels = ["web"] * 4 + ["data"] * 4 + [None]
    table = _table(labels, days, censored=[False] * 8 + [True])
    candidates = find_area_candidates(table).set_index("candidate")
    web = candidates.loc["web"]
    assert (web["tickets"], web["finished"]) == (4, 4)
    assert web["median_days"] == pytest.approx(np.exp(np.median(np.log(days[:4]))), rel=1e-12)
    # The open ticket (5 days, a lower bound) is in neither median.
    assert web["rest_median_days"] == pytest.approx(np.exp(np.median(np.log(days[4:8]))),
                                                    rel=1e-12)
    assert web["p_value"] == pytest.approx(
        _exact_mann_whitney(np.log(days[:4]), np.log(days[4:8])), rel=1e-9)
    assert web["ratio"] == pytest.approx(web["median_days"] / web["rest_median_days"])


def test_families_roles_and_plain_labels():
    labels = ["type::Bug; workflow::doing; component:chart", "Type::Feature; priority::1",
              "type::bug; Category:Design System", "frontend; component:button",
              "bug; good first issue", "Deliverable"]
    candidates = find_area_candidates(_table(labels, [1.0] * 6))
    by_name = candidates.set_index("candidate")
    assert by_name.loc["type:: (2 values)", "tickets"] == 3  # Bug and bug are one value
    assert by_name.loc["type:: (2 values)", "role"] == "kind of work"
    assert by_name.loc["workflow:: (1 values)", "role"] == "status"
    assert by_name.loc["priority:: (1 values)", "role"] == "priority"
    # A single-colon prefix shared by several labels is a family; alone it is a label.
    assert by_name.loc["component: (2 values)", "role"] == "area"
    assert by_name.loc["Category:Design System", "kind"] == "value"
    assert by_name.loc["frontend", "role"] == "area"
    assert by_name.loc["bug", "role"] == "kind of work"
    assert by_name.loc["good first issue", "role"] == "planning"
    assert by_name.loc["Deliverable", "role"] == "planning"
    # A family's values follow it.
    family = candidates.index[candidates["candidate"] == "type:: (2 values)"][0]
    assert candidates.loc[family + 1, "kind"] == "scoped"


# -------------------------------------------------------------------------- schemes


def _team(seed: int = 0) -> pd.DataFrame:
    """Tickets of a frontend / backend / devops team: devops work is also
    labelled backend, bug and feature cut across both, the frontend's
    tickets are slower."""
    rng = np.random.default_rng(seed)
    rows = []
    for area, count, scale in (("frontend", 60, 3.0), ("backend", 40, 1.5), ("devops", 12, 1.5),
                               (None, 20, 2.0)):
        for _ in range(count):
            labels = [] if area is None else [area] + (["backend"] if area == "devops" else [])
            labels.append("bug" if rng.random() < 0.5 else "feature")
            if rng.random() < 0.4:
                labels.append(f"priority::{rng.integers(1, 4)}")
            rows.append(("; ".join(labels), scale * rng.lognormal(0, 0.4)))
    return pd.DataFrame(rows, columns=["labels", "duration_days"]).assign(censored=False)


def test_proposal_separates_areas_puts_sub_areas_first_and_leaves_cross_cutting_labels_out():
    tickets = _team()
    schemes = propose_area_schemes(tickets)
    best = schemes[0]
    assert [rule.area for rule in best.rules] == ["frontend", "devops", "backend"]
    assert best.counts.to_dict() == {"frontend": 60, "backend": 40, "devops": 12}
    # Hand computation: 112 of 132 tickets in areas of 60, 40, 12.
    shares = np.array([60, 40, 12]) / 112
    effective = np.exp(-(shares * np.log(shares)).sum())
    assert best.coverage == pytest.approx(112 / 132, rel=1e-12)
    assert best.effective_areas == pytest.approx(effective, rel=1e-12)
    assert best.score == pytest.approx(112 / 132 * (1 - 1 / effective), rel=1e-12)
    assert best.overlap == pytest.approx(12 / 112, rel=1e-12)  # devops is also backend
    # Kruskal-Wallis by hand (no ties): H from rank sums, chi-square with k - 1 df.
    log_days = np.log(tickets["duration_days"].to_numpy())
    groups = [log_days[(best.areas == area).to_numpy()] for area in best.counts.index]
    ranks = rankdata(np.concatenate(groups))
    n, parts, start = len(ranks), [], 0
    for group in groups:
        parts.append(ranks[start:start + len(group)].sum() ** 2 / len(group))
        start += len(group)
    h = 12 / (n * (n + 1)) * sum(parts) - 3 * (n + 1)
    assert best.p_value == pytest.approx(chi2.sf(h, len(groups) - 1), rel=1e-9)
    # The kinds of work are a scheme of their own, ranked below; priorities are none.
    kinds = [s for s in schemes if s.tier == 2]
    assert kinds and set(kinds[0].counts.index) == {"bug", "feature"}
    assert not any("priority" in s.description for s in schemes)
    # The median days per area are those of the area's tickets.
    frontend = tickets["duration_days"][(best.areas == "frontend").to_numpy()]
    assert best.median_days["frontend"] == pytest.approx(
        np.exp(np.median(np.log(frontend))), rel=1e-12)


def test_labels_that_name_one_area_are_joined_into_its_rule():
    # "research" and "experiment" name one area: they go together far more
    # often than chance (3 times as often as their area's share of tickets).
    labels = (["research"] * 10 + ["experiment"] * 10 + ["research; experiment"] * 6
              + ["etl"] * 10 + ["pipeline"] * 10 + ["etl; pipeline"] * 6
              + ["web"] * 26 + ["mobile"] * 26 + ["infra"] * 26)
    best = propose_area_schemes(_table(labels, [1.0] * len(labels)))[0]
    assert best.counts.to_dict() == {"web": 26, "mobile": 26, "infra": 26, "etl": 26,
                                     "experiment": 26}
    patterns = {rule.area: set(rule.patterns) for rule in best.rules}
    assert patterns["experiment"] == {"^experiment$", "^research$"}
    assert patterns["etl"] == {"^etl$", "^pipeline$"}
    assert best.overlap == 0


def test_a_scoped_family_is_one_capture_rule_and_reads_back_the_same_areas():
    labels = (["type::user feature"] * 30 + ["type::bug"] * 20 + ["type::staff request"] * 10
              + ["type::design"] * 3 + [None] * 7)
    table = _table(labels, [1.0] * len(labels)).assign(issue_type=None)
    best = propose_area_schemes(table)[0]
    assert best.rules == (AreaRule(prefix="type::", fields=("labels",)),)
    assert best.small == ("design",)
    assert best.coverage == pytest.approx(60 / 70, rel=1e-12)
    assert best.areas.value_counts().to_dict() == {
        "user feature": 30, "bug": 20, "staff request": 10, "design": 3}


def test_no_scheme_when_nothing_splits_the_tickets():
    table = _table(["bug", "feature", None, "workflow::doing"] * 3, [1.0] * 12)
    assert propose_area_schemes(table) == []
    summary = summarize_areas(find_area_candidates(table), [], tickets=12)
    assert "write area rules of your own" in str(summary)


def test_the_sample_teams_labels_give_back_its_three_areas():
    # The synthetic team labels each ticket with labels of its true area (two per area).
    history = generate_team_history(seed=7).tickets
    history = history[history["kind"].isin(["finished", "open"])].reset_index(drop=True)
    tickets = pd.DataFrame({
        "labels": history["labels"].map(lambda ls: "; ".join(ls) or None),
        "duration_days": history["true_duration_days"].to_numpy(),
        "censored": history["kind"].eq("open").to_numpy()})
    scheme = next(s for s in propose_area_schemes(tickets) if s.description.startswith("labels"))
    assigned = scheme.areas.notna().to_numpy()
    truth = pd.crosstab(scheme.areas[assigned].to_numpy(), history["area"][assigned].to_numpy())
    assert truth.shape == (3, 3)
    # Every proposed area holds the tickets of exactly one true area.
    assert (truth.max(axis=1) == truth.sum(axis=1)).all()
    assert set(truth.idxmax(axis=1)) == set(AREAS)


def test_summary_lists_candidates_and_the_proposal():
    tickets = _team()
    summary = summarize_areas(find_area_candidates(tickets), propose_area_schemes(tickets),
                              tickets=len(tickets))
    proposed = summary["Proposed areas"]
    assert proposed.index.tolist() == ["frontend", "backend", "devops", "(default)"]
    assert proposed["tickets"].tolist() == [60, 40, 12, 20]
    assert "Proposed: labels frontend, devops, backend" in str(summary)
    assert summary["Candidates"]["tickets"].min() >= 8


# ----------------------------------------------------------------------- classifier

_VOCABULARY = {
    "research": "experiment hypothesis ablation baseline paper notebook metric offline",
    "frontend": "button page layout css component modal dropdown render",
    "data": "etl warehouse pipeline backfill partition schema ingestion table",
}
_SHARED = ["fix", "update", "add", "improve", "the", "for", "of", "and", "on", "with", "to"]


def _texts(n: int, seed: int, signal: int = 3) -> tuple[list[str], list[str]]:
    """Generated ticket texts with known areas: ``signal`` words of the
    area's vocabulary among shared ones."""
    rng = np.random.default_rng(seed)
    names = sorted(_VOCABULARY)
    texts, areas = [], []
    for _ in range(n):
        area = names[rng.integers(len(names))]
        words = list(rng.choice(_VOCABULARY[area].split(), size=signal))
        words += list(rng.choice(_SHARED, size=4))
        rng.shuffle(words)
        texts.append(" ".join(words))
        areas.append(area)
    return texts, areas


def test_classifier_recovers_known_areas_of_generated_text():
    texts, areas = _texts(300, seed=1)
    classifier = AreaClassifier(threshold=0.5).fit(texts[:200], areas[:200])
    predicted = classifier.predict(texts[200:])
    given = predicted != None  # noqa: E711 - elementwise on an object array
    right = predicted[given] == np.array(areas[200:], dtype=object)[given]
    assert given.mean() >= 0.9
    assert right.mean() >= 0.97
    assert classifier.cv_accuracy_ >= 0.95
    # Cross-validation estimates the accuracy on unseen tickets.
    unseen = (classifier.classes_[classifier.predict_proba(texts[200:]).argmax(axis=1)]
              == np.array(areas[200:], dtype=object)).mean()
    assert abs(classifier.cv_accuracy_ - unseen) <= 0.05
    counts = pd.Series(areas[:200]).value_counts()
    assert classifier.baseline_accuracy_ == pytest.approx(counts.iloc[0] / 200, rel=1e-12)
    assert classifier.n_train_ == 200 and classifier.n_splits_ == 5


def test_classifier_is_deterministic_and_the_threshold_leaves_unsure_tickets_alone():
    texts, areas = _texts(120, seed=2, signal=1)
    first = AreaClassifier(threshold=0.6).fit(texts[:90], areas[:90])
    second = AreaClassifier(threshold=0.6).fit(texts[:90], areas[:90])
    np.testing.assert_array_equal(first.predict_proba(texts[90:]),
                                  second.predict_proba(texts[90:]))
    assert first.cv_accuracy_ == second.cv_accuracy_
    strict = AreaClassifier(threshold=0.95).fit(texts[:90], areas[:90])
    best = first.predict_proba(texts[90:]).max(axis=1)
    assert ((first.predict(texts[90:]) != None) == (best >= 0.6)).all()  # noqa: E711
    assert ((strict.predict(texts[90:]) != None) == (best >= 0.95)).all()  # noqa: E711
    confident = best >= 0.6
    assert 0 < confident.sum() < len(best)


def test_classify_areas_fills_only_the_undecided_and_refuses_a_useless_classifier():
    texts, areas = _texts(200, seed=3)
    text = pd.Series(texts)
    known = pd.Series(areas, dtype=object).where(pd.Series(np.arange(200) < 150), None)
    result = classify_areas(text, known, known.notna(), threshold=0.5)
    assert result.used and result.areas[:150].isna().all()
    given = result.areas[150:].notna()
    assert given.mean() >= 0.9
    assert (result.areas[150:][given] == pd.Series(areas)[150:][given]).all()
    note = result.note(decided=150, assigned=int(given.sum()),
                       remaining=int((~given).sum()), default="general")
    assert "cross-validated accuracy" in note and f"{given.sum()} got" in note
    # Text with no relation to the areas: no better than guessing, not used.
    noise = pd.Series(np.random.default_rng(4).permutation(texts))
    useless = classify_areas(noise, known, known.notna(), threshold=0.0)
    assert not useless.used and useless.areas.isna().all()
    assert "not used" in useless.note(decided=150, assigned=0, remaining=50, default="general")
    # One area only: nothing to learn.
    single = pd.Series(["research"] * 150 + [None] * 50, dtype=object)
    lonely = classify_areas(text, single, single.notna())
    assert lonely.classifier is None and "two areas" in lonely.reason


def _staging(texts: list[str], labels: list[str | None]) -> pd.DataFrame:
    n = len(texts)
    return pd.DataFrame({
        "source_row": np.arange(2, n + 2), "ticket_id": [f"T-{i}" for i in range(n)],
        "title": texts, "description": ["" for _ in range(n)], "engineer": "ana",
        "labels": labels, "points_raw": "2", "state": "done",
        "created_at": pd.Timestamp("2024-03-04 09:00"),
        "finished_at": pd.Timestamp("2024-03-05 09:00")})


def test_readers_classify_the_tickets_no_rule_decided_and_record_it():
    texts, areas = _texts(240, seed=5)
    labels = [area if i < 180 else None for i, area in enumerate(areas)]
    rules = tuple(AreaRule(area, (f"^{area}$",), ("labels",)) for area in _VOCABULARY)
    config = Config(area_rules=rules, area_classify=True, area_classify_threshold=0.5)
    table = assemble_tickets(_staging(texts, labels), config=config, source_format="test",
                             path="staging.csv", as_of="2024-03-29")
    tickets = table.tickets
    assert table.rows_read == len(tickets) + len(table.excluded)
    source = tickets["area_source"]
    assert (source[:180] == "rule").all()
    assert set(source[180:]) <= {"classifier", "default"}
    classified = (source == "classifier").to_numpy()
    assert classified.sum() >= 54
    assert (tickets["area"][classified] == np.array(areas, dtype=object)[classified]).all()
    assert (tickets["area"][(source == "default").to_numpy()] == "general").all()
    assert any(note.startswith("[areas] classify: text classifier trained on 180 tickets")
               for note in table.notes)
    again = assemble_tickets(_staging(texts, labels), config=config, source_format="test",
                             path="staging.csv", as_of="2024-03-29")
    pd.testing.assert_frame_equal(again.tickets, tickets)
    # Without classify, the same tickets stay in the default area.
    plain = assemble_tickets(_staging(texts, labels), config=config.with_changes(
        area_classify=False), source_format="test", path="staging.csv", as_of="2024-03-29")
    assert (plain.tickets["area_source"][180:] == "default").all()
    assert not any("classify" in note for note in plain.notes)


def test_areas_with_too_few_tickets_to_check_are_not_learned():
    texts, areas = _texts(90, seed=6)
    texts += ["ablation paper", "css modal", "warehouse table"]
    areas += ["rare one", "rare one", "rare two"]
    classifier = AreaClassifier().fit(texts, areas)
    assert set(classifier.classes_) == set(_VOCABULARY)
    assert classifier.n_splits_ == 5 and classifier.n_train_ == 90
    # With only small areas, those of two tickets or more are learned, in fewer folds.
    few = AreaClassifier().fit(["alpha beta", "alpha gamma", "delta echo", "delta fox",
                                "golf"], ["one", "one", "two", "two", "three"])
    assert set(few.classes_) == {"one", "two"} and few.n_splits_ == 2


# ------------------------------------------------------- titles and descriptions

#: Titles that say nothing of the area (the same for every area).
_VAGUE_TITLES = ["Follow-up", "Small fix", "Investigate", "Update", "Task for next sprint",
                 "Clean up", "Look into this"]


def _described(n: int, seed: int) -> tuple[pd.DataFrame, list[str]]:
    """Generated tickets whose titles are vague and whose descriptions carry
    the area (as :func:`_texts` writes text), with their areas."""
    descriptions, areas = _texts(n, seed)
    titles = np.random.default_rng(seed + 100).choice(_VAGUE_TITLES, size=n)
    return pd.DataFrame({"title": titles, "description": descriptions}), areas


def test_descriptions_place_tickets_whose_titles_say_nothing():
    texts, areas = _described(240, seed=7)
    known = pd.Series(areas, dtype=object).where(pd.Series(np.arange(240) < 180), None)
    truth = np.array(areas[180:], dtype=object)

    def placed_right(result) -> float:
        """The share of the undecided tickets given their true area."""
        return float((result.areas[180:].to_numpy() == truth).mean())

    described = classify_areas(texts, known, known.notna(), threshold=0.5)
    assert described.used and described.classifier.uses_descriptions_
    given = described.areas[180:].notna().to_numpy()
    assert given.mean() >= 0.9
    assert (described.areas[180:].to_numpy()[given] == truth[given]).mean() >= 0.97
    assert described.classifier.cv_accuracy_ >= 0.9 and placed_right(described) >= 0.85
    # The titles alone: about as good as guessing (a third of three areas), so
    # the classifier is rarely sure and places few tickets right.
    titles = classify_areas(texts["title"], known, known.notna(), threshold=0.5)
    assert not titles.classifier.uses_descriptions_
    assert titles.classifier.cv_accuracy_ <= titles.classifier.baseline_accuracy_ + 0.1
    assert placed_right(titles) <= 0.2
    note = titles.note(decided=180, assigned=0, remaining=60, default="general")
    assert "from their titles (the export gives no descriptions" in note
    assert "from their titles and descriptions" in described.note(
        decided=180, assigned=int(given.sum()), remaining=int((~given).sum()),
        default="general")


def test_without_descriptions_the_classifier_is_that_of_the_titles():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    titles, areas = _texts(150, seed=8, signal=1)
    # The titles' pipeline, built by hand.
    reference = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True,
                                              strip_accents="unicode"),
                              LogisticRegression(C=10.0, max_iter=2000))
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    cv = cross_val_predict(reference, titles[:100], areas[:100], cv=folds, method="predict")
    expected = reference.fit(titles[:100], areas[:100]).predict_proba(titles[100:])
    empty = ["", None, "   ", "a", "b"]  # (single letters are not words to TF-IDF)
    for texts in (titles, pd.DataFrame({"title": titles}),
                  pd.DataFrame({"title": titles, "description": (empty * 30)})):
        rows = texts[:100] if isinstance(texts, pd.DataFrame) else texts[:100]
        later = texts[100:]
        classifier = AreaClassifier().fit(rows, areas[:100])
        assert not classifier.uses_descriptions_
        np.testing.assert_allclose(classifier.predict_proba(later), expected, rtol=1e-9,
                                   atol=1e-12)
        assert classifier.cv_accuracy_ == pytest.approx(
            float(np.mean(cv == np.array(areas[:100], dtype=object))), abs=1e-12)


def test_a_long_description_does_not_drown_the_title():
    # Informative titles; long descriptions of words every area shares.
    titles, areas = _texts(200, seed=9)
    rng = np.random.default_rng(9)
    noise = [" ".join(rng.choice(_SHARED + ["ticket", "please", "thanks", "team", "check"],
                                 size=120)) for _ in titles]
    texts = pd.DataFrame({"title": titles, "description": noise})
    classifier = AreaClassifier(threshold=0.5).fit(texts[:150], areas[:150])
    assert classifier.uses_descriptions_ and classifier.cv_accuracy_ >= 0.9
    predicted = classifier.predict(texts[150:])
    given = predicted != None  # noqa: E711 - elementwise on an object array
    assert given.mean() >= 0.8
    assert (predicted[given] == np.array(areas[150:], dtype=object)[given]).mean() >= 0.95


def test_titles_without_words_and_descriptions_without_words_cannot_be_learned():
    texts = pd.DataFrame({"title": ["", "!!", "?", "-"] * 5, "description": ["", "a"] * 10})
    with pytest.raises(ValueError, match="no words to learn from"):
        AreaClassifier().fit(texts, ["x", "y"] * 10)
    # Descriptions alone are enough.
    texts["description"] = ["etl job", "model run"] * 10
    assert AreaClassifier().fit(texts, ["x", "y"] * 10).uses_descriptions_


def test_readers_classify_from_descriptions_and_do_not_keep_them():
    descriptions, areas = _texts(240, seed=10)
    titles = list(np.random.default_rng(10).choice(_VAGUE_TITLES, size=240))
    labels = [area if i < 180 else None for i, area in enumerate(areas)]
    rules = tuple(AreaRule(area, (f"^{area}$",), ("labels",)) for area in _VOCABULARY)
    config = Config(area_rules=rules, area_classify=True, area_classify_threshold=0.5)
    staging = _staging(titles, labels).assign(description=descriptions)
    table = assemble_tickets(staging, config=config, source_format="test",
                             path="staging.csv", as_of="2024-03-29")
    source = table.tickets["area_source"].to_numpy()
    classified = source == "classifier"
    assert classified[180:].mean() >= 0.9
    assert (table.tickets["area"].to_numpy()[classified]
            == np.array(areas, dtype=object)[classified]).all()
    assert any("from their titles and descriptions" in note for note in table.notes)
    # Read, then dropped: from the staging as well as the table.
    assert "description" not in staging and "description" not in table.tickets
    assert not any(description in note for note in table.notes for description in descriptions)


_word = st.sampled_from(["etl", "job", "Étl", "a", "b", "x1", "__", "--", "é", "model"])


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.lists(_word, max_size=4).map(" ".join), min_size=1, max_size=6),
       name=st.sampled_from(["title", "description"]))
def test_property_words_are_found_exactly_when_tf_idf_accepts_the_texts(texts, name):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from calibrate.areas import _DESCRIPTION_WORDS, _TITLE_WORDS, _IfWords

    settings_ = _TITLE_WORDS if name == "title" else _DESCRIPTION_WORDS
    chosen = _IfWords(name, tuple(settings_.items()))(pd.DataFrame({name: texts}))
    try:  # brute force: does the vectorizer itself accept them?
        TfidfVectorizer(**settings_).fit(texts)
    except ValueError:
        accepted = False
    else:
        accepted = True
    assert chosen == (name if accepted else [])

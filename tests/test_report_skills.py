"""The report's "Skills and coverage" section, on generated data with known
skills: a team whose strong data engineers left (the gap), two engineers who
declared themselves basic where they are strong (contradicted declarations)
and new members ramping up."""

from __future__ import annotations

import base64
import re
import warnings
from dataclasses import replace
from html import unescape
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _references import dersimonian_laird
from calibrate import CalibrationWarning, Calibrator
from calibrate.datasets import simulate_tickets
from calibrate.durations import WorkCalendar
from calibrate.report import build_html, render_report
from calibrate.report._common import Rule
from calibrate.report._figures import MULTIPLIER_ROWS_PER_PANEL
from calibrate.report._skills import HIRE_WEEKS, check_skills, gap_finding, skills_section
from calibrate.skill_gaps import SkillGaps, skill_gaps
from calibrate.skills import SkillProfiles
from calibrate.tickets import TicketTable

#: Strong is 0.8 faster on the log scale in every area; basic and proficient alike.
LEVELS = {"basic": 0.0, "proficient": 0.0, "strong": -0.8}
RAMP = (0.7, 8.0)  # (log slowdown, scale in weeks): 2x slower at first
GAP = "data-engineering"
AREAS = ("research", "ml-engineering", GAP)
#: Where two strong engineers declared themselves basic.
MODEST_AREA = "ml-engineering"
#: Weeks before the end of the history the strong data engineers left.
LEFT_WEEKS = 40
NAMES = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov",
         "Donald Knuth", "Frances Allen", "John Backus", "Radia Perlman", "Ken Thompson",
         "Margaret Hamilton", "Dennis Ritchie", "Katherine Johnson", "Tim Berners",
         "Leslie Lamport"]


def fitted(table, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        return Calibrator().fit(table, **options).result_


def ticket_table(tickets: pd.DataFrame) -> TicketTable:
    """A TicketTable around a canonical table, as a reader returns it."""
    excluded = tickets.iloc[:0].assign(reason=pd.Series(dtype="string"),
                                       detail=pd.Series(dtype="string"))
    return TicketTable(tickets, excluded, len(tickets), "gitlab_csv", "export.csv",
                       tickets["finished_at"].max(), calendar=WorkCalendar())


def profiles_of(truth: dict, names: dict[str, str], *, scale=tuple(LEVELS),
                changed: dict[tuple[str, str], str] | None = None) -> SkillProfiles:
    """The generator's declarations under the engineers' new names, with
    some ``changed`` ((engineer, area) -> level)."""
    changed = changed or {}
    return SkillProfiles.from_dict(
        {names[engineer]: {**{area: changed.get((names[engineer], area), level)
                              for area, level in levels.items()},
                           **({"start_date": truth["start_dates"][engineer]}
                              if engineer in truth["start_dates"] else {})}
         for engineer, levels in truth["levels"].items() if engineer in names}, scale=scale)


@pytest.fixture(scope="module")
def team():
    """A team whose strong data engineers all left 40 weeks before the end
    (as in tests/test_skill_gaps.py), named like people; two engineers
    strong in ml-engineering declared basic there."""
    simulated = simulate_tickets(3000, 15, seed=0, history_days=300, engineer_sd=0.05,
                                 engineer_area_sd=0.05, level_effects=LEVELS, ramp_up=RAMP,
                                 areas=AREAS)
    names = dict(zip(simulated.truth["engineers"], NAMES, strict=True))
    tickets = simulated.tickets
    levels = {names[e]: own for e, own in simulated.truth["levels"].items()}
    tickets["engineer"] = tickets["engineer"].map(names).astype("string")
    strong_in_gap = {e for e, own in levels.items() if own[GAP] == "strong"}
    cut = tickets["started_at"].max() - pd.Timedelta(weeks=LEFT_WEEKS)
    keep = ~(tickets["engineer"].isin(strong_in_gap) & (tickets["started_at"] >= cut))
    tickets = tickets[keep.to_numpy()].reset_index(drop=True)
    counts = tickets.loc[tickets["area"] == MODEST_AREA, "engineer"].value_counts()
    modest = [e for e in counts.index if levels[e][MODEST_AREA] == "strong"
              and e not in strong_in_gap][:2]
    assert len(modest) == 2 and counts[modest].min() >= 30
    profiles = profiles_of(simulated.truth, names,
                           changed={(e, MODEST_AREA): "basic" for e in modest})
    table = ticket_table(tickets)
    return {"table": table, "profiles": profiles.subset(set(tickets["engineer"])),
            "levels": levels, "modest": modest}


@pytest.fixture(scope="module")
def skills_result(team):
    return fitted(team["table"], skills=team["profiles"], ramp_up="auto")


@pytest.fixture(scope="module")
def plain_result(team):
    return fitted(team["table"])


@pytest.fixture(scope="module")
def skills_html(team, skills_result):
    return build_html(team["table"], skills_result)


@pytest.fixture(scope="module")
def plain_html(team, plain_result):
    return build_html(team["table"], plain_result)


def section(html: str) -> str:
    return html.split('<section id="skills">')[1].split("</section>")[0]


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def element(html: str, identifier: str) -> str:
    """The text of the element with this id (a p, ul or table)."""
    found = re.search(rf'<(\w+)[^>]*id="{identifier}"[^>]*>(.*?)</\1>', html, re.S)
    assert found, identifier
    return text_of(found[2])


def items(html: str, identifier: str) -> list[str]:
    listed = re.search(rf'<ul[^>]*id="{identifier}"[^>]*>(.*?)</ul>', html, re.S)
    return [text_of(item) for item in re.findall(r"<li>(.*?)</li>", listed[1], re.S)] \
        if listed else []


# -- where the section is and what it holds ---------------------------------------------


def test_with_skill_profiles_the_section_has_every_part(skills_html, skills_result):
    sections = re.findall(r'<section id="(\w+)">', skills_html)
    assert sections == ["summary", "plots", "skills", "tables", "method"]
    part = section(skills_html)
    assert "<h2>Skills and coverage</h2>" in part
    for figure in ("plot_skill_gaps", "plot_declared_vs_measured", "plot_ramp_up"):
        assert f'id="{figure}"' in part, figure
    assert "Skill coverage and what a hire would change" in part  # its hiring panel
    # The level test, in one plain sentence with its p-value.
    test = skills_result.level_test
    assert test["p_value"] < 0.001  # strong is 0.8 faster: real signal
    assert ("The declared levels carry signal" in text_of(part)
            and "p < 0.001" in text_of(part))
    # The ramp-up in words, as the result says it.
    statement = skills_result.ramp_up["statement"]
    assert element(part, "ramp-up-statement").startswith(
        statement[0].upper() + statement[1:])


def test_the_level_table_gives_each_level_against_the_team_typical(skills_html,
                                                                  skills_result):
    rows = re.findall(r"<tr>(.*?)</tr>",
                      skills_html.split('id="level-effects"')[1].split("</tbody>")[0], re.S)
    cells = [[text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
             for row in rows[1:]]
    effects = skills_result.level_effects
    assert len(cells) == len(effects)
    # The 90% range of exp(offset), offset ~ normal: from the file's variance.
    records = pd.DataFrame(skills_result.multipliers.skills["level_effects"]).set_index(
        ["area", "level"])
    z = 1.6448536269514722  # the standard normal's 95% point
    for area, level, multiplier, interval, engineers in cells:
        row = effects[(effects["area"] == area) & (effects["level"] == level)].iloc[0]
        assert multiplier == f"×{row['team_multiplier']:.2f}"
        sd = np.sqrt(records.loc[(area, level), "var_offset"])
        low, high = (row["team_multiplier"] * np.exp(-z * sd),
                     row["team_multiplier"] * np.exp(z * sd))
        assert interval == f"×{low:.2f}–×{high:.2f}"
        assert engineers == f"{row['n_engineers']} ({row['n_finished']})"
    # Strong against basic in each area: near the truth, exp(-0.8) = 0.45.
    table = effects.set_index(["area", "level"])["team_multiplier"]
    for area in AREAS:
        assert table[(area, "strong")] / table[(area, "basic")] == pytest.approx(
            np.exp(-0.8), rel=0.35)


def test_without_profiles_only_the_coverage(plain_html):
    part = section(plain_html)
    assert "<h2>Skills and coverage</h2>" in part and 'id="plot_skill_gaps"' in part
    assert 'id="skills-coverage"' in part
    for absent in ("Declared levels", "plot_declared_vs_measured", "plot_ramp_up",
                   "What if we hire", "level-effects", 'id="contradicted"'):
        assert absent not in part, absent
    assert "Skill coverage and what a hire would change" not in part


@pytest.mark.parametrize("which", ["skills_html", "plain_html"])
def test_the_gap_area_is_named_in_the_verdict_line(which, request):
    verdict = element(section(request.getfixturevalue(which)), "skills-verdict")
    assert verdict.startswith(f"Skill gap: {GAP}.")
    for area in AREAS:
        if area != GAP:
            assert area not in verdict


def test_the_summary_carries_the_gap_finding(skills_html, plain_html):
    for html in (skills_html, plain_html):
        summary = html.split('<section id="summary">')[1].split("</section>")[0]
        findings = [text_of(item) for item in re.findall(r"<li>(.*?)</li>", summary, re.S)]
        found = [f for f in findings if f.startswith("Skill gap")]
        assert len(found) == 1 and GAP in found[0], findings


# -- the hiring comparison -----------------------------------------------------------


@pytest.fixture(scope="module")
def hiring(team, skills_result):
    """The comparison the section describes, computed here from its
    description: for each area, strong there and basic elsewhere, starting
    at the end of the history and costed HIRE_WEEKS (26) weeks in."""
    start = pd.Timestamp(skills_result.multipliers.window["as_of"]).normalize()
    candidates = {f"strong in {area}": {other: "strong" if other == area else "basic"
                                        for other in AREAS} for area in AREAS}
    gaps = skill_gaps(skills_result, team["table"], candidates=candidates, start_date=start,
                      on=start + pd.Timedelta(weeks=HIRE_WEEKS))
    return gaps, start


def test_the_hiring_sentence_names_the_largest_saving(skills_html, hiring):
    gaps, start = hiring
    table = gaps.hiring.set_index("candidate")
    best = table["saving_days"].idxmax()
    assert best == f"strong in {GAP}"  # what the team lacks saves most
    sentence = element(section(skills_html), "hiring-verdict")
    # The mix is the last 26 weeks of tickets: a quarter's saving is half of it.
    quarter = table.loc[best, "saving_days"] * 13 / 26
    assert quarter > 1
    amount = f"{quarter:.0f}" if quarter >= 10 else f"{quarter:.1f}"
    def share(name: str) -> str:
        value = table.loc[name, "saving_share"]
        return f"{value:.1%}" if abs(value) < 0.1 else f"{value:.0%}"

    assert sentence.startswith(f"Hiring someone {best} would save about {amount} working "
                               f"days a quarter on the recent mix ({share(best)}), more than ")
    others = sentence.split(", more than ")[1]
    for name in table.index.drop(best):
        assert f"{name} ({share(name)})" in others, name
    # The settings are stated: the start, the weeks in, the mix.
    part = text_of(section(skills_html))
    assert f"starting at the end of the history ({start:%Y-%m-%d})" in part
    assert (f"costed {HIRE_WEEKS} weeks in ({start + pd.Timedelta(weeks=HIRE_WEEKS):%Y-%m-%d})"
            in part)
    assert f"the mix of the {gaps.window['n_tickets']} tickets started in the last 26 weeks" \
        in part


def fake_check(savings: list[float], window_weeks: float = 26.0):
    """A SkillsCheck whose comparison has these savings (days on the mix)."""
    from calibrate.report._skills import SkillsCheck

    team_days = 1000.0
    hiring = pd.DataFrame({
        "candidate": [f"strong in area {k}" for k in range(len(savings))],
        "saving_days": savings, "saving_share": [s / team_days for s in savings],
        "team_days": team_days, "with_hire_days": [team_days - s for s in savings],
        "tickets": 100.0})
    coverage = pd.DataFrame({"area": ["area 0"], "gap": [True], "verdict": ["gap"],
                             "statement": ["No one is clearly fast in area 0."]})
    gaps = SkillGaps(coverage=coverage, team=["A"], left_out=[],
                     window={"weeks": window_weeks, "n_tickets": 100}, confidence=0.8,
                     min_recent_tickets=10, hiring=hiring)
    return SkillsCheck(gaps=gaps, declared=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 500, allow_nan=False), min_size=1, max_size=5),
       st.floats(4, 52))
def test_the_summary_names_the_best_hire_only_when_it_saves(savings, weeks):
    from calibrate.report._skills import LEAST_SAVING_DAYS, gap_finding

    rule = Rule(reference=3, cap=3, confidence=0.8, clock="cycle", verdict_cap=3)
    finding = gap_finding(fake_check(savings, weeks), rule)
    assert finding.startswith("Skill gap: no one on the team is clearly faster than the "
                              "team's typical engineer in area 0")
    best = int(np.argmax(savings))  # the first of equal savings
    per_quarter = savings[best] * 13 / weeks
    if per_quarter < LEAST_SAVING_DAYS:
        assert "Hiring" not in finding
    else:
        named = re.search(r"Hiring someone (strong in area \d+) would save", finding)
        assert named and named[1] == f"strong in area {best}"
        others = finding.split(", more than ")[-1] if len(savings) > 1 else ""
        for k in range(len(savings)):
            assert (f"strong in area {k} (" in others) == (k != best)


def borrowed_multiplier(result, level: str, area: str) -> float:
    """The level's multiplier against the team's typical engineer, from the
    other areas' estimates combined by statsmodels' DerSimonian-Laird
    random-effects mean (tau^2 truncated at 0: then the fixed-effect mean)."""
    effects = result.level_effects
    effects = effects[(effects["level"] == level) & (effects["area"] != area)]
    records = pd.DataFrame(result.multipliers.skills["level_effects"]).set_index(
        ["area", "level"])
    variances = np.array([records.loc[(a, level), "var_offset"] for a in effects["area"]])
    mean, _ = dersimonian_laird(np.log(effects["team_multiplier"].to_numpy(dtype=float)),
                                variances)
    return float(np.exp(mean))


@pytest.fixture(scope="module")
def all_proficient(team):
    """The team, everyone declaring "proficient" in data-engineering (as on
    the bundled sample): the fit cannot value "strong" there."""
    profiles = team["profiles"]
    declared = SkillProfiles.from_dict(
        {e: {**profiles.profile(e), GAP: "proficient",
             **({"start_date": profiles.start_dates[e]} if e in profiles.start_dates else {})}
         for e in profiles.engineers}, scale=tuple(LEVELS))
    result = fitted(team["table"], skills=declared, ramp_up="auto")
    return result, check_skills(team["table"], result)


def test_the_best_hire_sentence_states_a_borrowed_level(all_proficient):
    result, check = all_proficient
    hiring = check.gaps.hiring.set_index("candidate")
    best = hiring["saving_days"].idxmax()
    assert best == f"strong in {GAP}"  # the hire the comparison exists for
    multiplier = borrowed_multiplier(result, "strong", GAP)
    assumption = (f"assuming someone strong in {GAP} is as much faster than the team's typical "
                  "engineer there as strong engineers are in ml-engineering and research "
                  f"(×{multiplier:.2f}).")
    rule = Rule.of(result)
    section_ = skills_section(check, result, rule, min_tickets=5, engineers=check.gaps.team)
    verdict = section_["hiring"][0]
    assert verdict.startswith(f"Hiring someone {best} would save about ")
    assert verdict.endswith(", " + assumption)
    # The summary's sentence carries it too.
    assert gap_finding(check, rule).endswith(", " + assumption)
    # The section says what was assumed for every candidate: basic there too.
    text = " ".join(section_["hiring"][1:])
    assert (f"No engineer with tickets declared strong in {GAP}, so the fit cannot say what "
            "strong is worth there. It is assumed to be worth what it is in ml-engineering "
            f"and research: ×{multiplier:.2f} against the team's typical engineer") in text
    basic = borrowed_multiplier(result, "basic", GAP)
    assert (f"No engineer with tickets declared basic in {GAP}" in text
            and f"×{basic:.2f} against the team's typical engineer" in text)
    assert any(f"strong in {GAP} ×{multiplier:.2f}" in note for note in check.notes)


def test_an_assumption_the_best_hire_does_not_use_is_not_in_its_sentence(all_proficient):
    """The other candidates are basic in data-engineering (assumed too): the
    sentence names the assumption only where the best hire takes work."""
    result, check = all_proficient
    by_area = check.gaps.hiring_by_area
    rows = by_area[by_area["assumed_level"].notna()]
    assert set(rows["candidate"]) == set(check.candidates)  # every candidate assumes
    seen = set()
    for candidate in check.candidates:
        gaps = check.gaps
        hiring = gaps.hiring.assign(saving_days=np.where(
            gaps.hiring["candidate"] == candidate, 1e6, 0.0))  # make it the best
        forced = replace(check, gaps=replace(gaps, hiring=hiring))
        mine = rows[rows["candidate"] == candidate]
        sentence = gap_finding(forced, Rule.of(result))
        uses = bool((mine["hire_tickets"] > 0).any())
        assert ("assuming" in sentence) == uses, sentence
        seen.add(uses)
    assert seen == {True, False}  # both cases met


# -- declared against measured ---------------------------------------------------------


def test_every_contradicted_declaration_is_listed(skills_html, skills_result, team):
    listed = items(section(skills_html), "contradicted")
    table = skills_result.declared_vs_measured
    judged = table[table["n_finished"] >= 5]
    flagged = judged[judged["verdict"] != "consistent"]
    # The two engineers declared basic where they are strong are among them.
    for name in team["modest"]:
        row = flagged[(flagged["engineer"] == name) & (flagged["area"] == MODEST_AREA)]
        assert len(row) == 1 and row["verdict"].iloc[0] == "faster than declared", name
    assert len(listed) == len(flagged)
    for row in flagged.itertuples():
        mine = [item for item in listed if item.startswith(f"{row.engineer} in {row.area}:")]
        assert len(mine) == 1, (row.engineer, row.area)
        assert f"declared {row.declared}" in mine[0] and row.verdict in mine[0]
        assert f"×{row.measured:.2f}" in mine[0]
    intro = text_of(section(skills_html)).split("The tickets clearly contradict ")[1]
    assert intro.startswith(f"{len(flagged)} of {len(judged)} declarations")


def test_a_large_team_gets_its_declarations_in_panels(monkeypatch):
    """40 engineers x 3 areas: the declared-against-measured figure in
    panels of whole engineers, each within a page's rows."""
    import calibrate.report._figures as figures
    from calibrate.report._context import build_context

    simulated = simulate_tickets(2400, 40, seed=3, level_effects=LEVELS, areas=AREAS)
    table = ticket_table(simulated.tickets)
    result = fitted(table, skills=simulated.skills)
    drawn = []
    # The displays as they would be drawn, without the drawing.
    monkeypatch.setattr(figures, "map_forked",
                        lambda function, displays, beside=None: drawn.extend(displays) or
                        ["data:,"] * len(displays))
    context = build_context(table, result, backtest_result=None, drift_result=None,
                            min_tickets=5, pseudonymized=False, fit_warnings=[])
    figure = next(f for f in context["figures"] if f["id"] == "plot_declared_vs_measured")
    assert figure["section"] == "skills" and len(figure["panels"]) >= 2
    panels = [d for d in drawn if type(d).__name__ == "DeclaredVsMeasuredDisplay"]
    assert len(panels) == len(figure["panels"])
    seen = []
    for display in panels:
        assert len(display.rows) <= MULTIPLIER_ROWS_PER_PANEL
        seen += sorted(set(display.rows.loc[display.rows["kind"] == "cell", "engineer"]))
    assert sorted(seen) == sorted(set(result.declared_vs_measured["engineer"]))  # once each
    assert [p["label"].split(":")[0] for p in figure["panels"]][0].startswith("Engineers 1–")


# -- notes and privacy ---------------------------------------------------------------


def test_warnings_of_the_skill_gaps_are_notes_in_the_section():
    """On a scale of its own (novice < expert) where no engineer declared
    expert in research: the candidate expert there is costed with expert's
    worth in the other areas, and the section says so."""
    simulated = simulate_tickets(600, 6, seed=4, areas=AREAS,
                                 level_effects={"novice": 0.0, "expert": -0.5})
    names = {e: e for e in simulated.truth["engineers"]}
    profiles = profiles_of(simulated.truth, names, scale=("novice", "expert"),
                           changed={(e, "research"): "novice" for e in names})
    table = ticket_table(simulated.tickets)
    result = fitted(table, skills=profiles)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalibrationWarning)  # none escapes the section
        html = build_html(table, result)
    part = section(html)
    notes = items(part, "skills-notes")
    multiplier = borrowed_multiplier(result, "expert", "research")
    assert any("no engineer with tickets declared these levels" in note.lower()
               and f"expert in research ×{multiplier:.2f} against the team's typical engineer "
                   "there, as in data-engineering and ml-engineering" in note
               for note in notes), notes
    assert ("No engineer with tickets declared expert in research, so the fit cannot say "
            "what expert is worth there. It is assumed to be worth what it is in "
            f"data-engineering and ml-engineering: ×{multiplier:.2f} against the team's "
            "typical engineer") in text_of(part)
    # The candidates are the top and bottom of this scale.
    assert "someone expert there and novice in the others" in text_of(part)


def test_a_pseudonymized_report_names_nobody(team, tmp_path):
    written = render_report(team["table"], tmp_path / "report", skills=team["profiles"],
                            pseudonymize=True, pseudonym_key="skills-secret",
                            with_backtest=False, pdf=False)
    html = written["report.html"].read_text(encoding="utf-8")
    part = section(html)
    assert 'id="plot_declared_vs_measured"' in part and 'id="contradicted"' in part
    # The page's text and the text drawn in its figures.
    figures = [base64.b64decode(data).decode("utf-8")
               for data in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)]
    assert len(figures) >= 3
    lowered = " ".join([text_of(html), *map(unescape, figures)]).lower()
    for name in NAMES:
        for word in [name, *name.split()]:
            assert not re.search(rf"\b{re.escape(word.lower())}\b", lowered), word
    # The section names people, by their pseudonyms.
    assert re.search(r"Engineer [A-Z]{4}", element(part, "skills-coverage"))


def test_with_every_ticket_in_the_default_area_no_skill_gap_is_claimed():
    """Found on a real GitLab history without area rules: the verdict said "No
    skill gap: in every area ... at least one engineer is clearly faster"
    although no area could be judged at all."""
    from calibrate import read_export

    table = read_export("data/sample/jira_changelog.json")  # no config: one default area
    result = fitted(table)
    check = check_skills(table, result)
    assert check.default_areas == sorted(set(table.tickets["area"].astype(str)))
    verdict = skills_section(check, result, Rule.of(result), min_tickets=5,
                             engineers=[])["verdict"]
    assert verdict == "No area can be judged for skill gaps."


def test_when_only_some_areas_can_be_judged_the_no_gap_verdict_names_them():
    """Found on a real GitLab history (ten areas, one with enough recent
    tickets): "No skill gap: in every area ..." read as a verdict on all ten."""
    from calibrate.report._skills import _coverage

    coverage = pd.DataFrame({
        "area": ["bug", "general", "security", "user feature"],
        "verdict": ["too few recent tickets", "covered", "too few recent tickets", "covered"],
        "statement": ["", "", "", ""]})
    gaps = SimpleNamespace(coverage=coverage, gaps=[], confidence=0.8, team=["a", "b"],
                           window={"n_tickets": 72, "weeks": 26})
    check = SimpleNamespace(gaps=gaps, default_areas=["general"])
    verdict = _coverage(check)["verdict"]
    assert verdict == ("No skill gap in user feature, the only area with enough recent tickets "
                       "to judge: at least one engineer is clearly faster there than the team's "
                       "typical engineer. Too few recent tickets to judge bug and security.")
    every = SimpleNamespace(gaps=SimpleNamespace(**{**vars(gaps), "coverage": coverage.assign(
        verdict="covered")}), default_areas=["general"])
    assert _coverage(every)["verdict"].startswith("No skill gap: in every area")

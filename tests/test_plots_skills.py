"""Declared vs measured and ramp-up plots: what was drawn, not pixels."""

import dataclasses
import math
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402

from calibrate import CalibrationWarning, Calibrator, InputError  # noqa: E402
from calibrate.datasets import simulate_tickets  # noqa: E402
from calibrate.plots import _style  # noqa: E402
from calibrate.plots._skills import (  # noqa: E402
    DeclaredVsMeasuredDisplay,
    RampUpDisplay,
    _bands,
    _level_labels,
)
from calibrate.skills import SkillProfiles  # noqa: E402

SIGNAL = {"basic": 0.0, "proficient": -0.3, "strong": -0.6}
RAMP = (0.7, 8.0)  # 2x slower at first, fading over about 8 weeks
AREAS = ("research", "ops $infra", "data", "ml")
# Mixed case and dollar signs (mathtext), in no particular order.
NAMES = ["Bob", "alice", "Adam", "a $x^2$ b", "cost $5", "Zoë", "carol", "dan"]
ORDER = ["a $x^2$ b", "Adam", "alice", "Bob", "carol", "cost $5", "dan", "Zoë"]


def fit(tickets, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        return Calibrator(half_life_days=None).fit(tickets, **options).result_


@pytest.fixture(scope="module")
def team():
    """8 engineers, 4 areas, levels with signal, new members ramping up; one
    declaration the tickets clearly contradict each way."""
    simulated = simulate_tickets(1600, 8, seed=1, history_days=400, areas=AREAS,
                                 level_effects=SIGNAL, ramp_up=RAMP)
    rename = dict(zip(sorted(simulated.tickets["engineer"].unique()), NAMES, strict=True))
    tickets = simulated.tickets.assign(engineer=simulated.tickets["engineer"].map(rename))
    skills = simulated.skills
    levels = skills.levels.assign(engineer=skills.levels["engineer"].map(rename))
    profiles = SkillProfiles(levels, {rename[e]: d for e, d in skills.start_dates.items()})
    # Cells of a level several engineers declared in the area (with one or two,
    # the level's effect would take the contradicted engineer's speed in).
    shared = levels.groupby(["area", "level"])["engineer"].transform("size") >= 3
    counts = tickets.groupby(["engineer", "area"]).size()
    cells = sorted(((counts[(e, a)], e, a) for e, a in zip(
        levels.loc[shared, "engineer"], levels.loc[shared, "area"], strict=True)), reverse=True)
    slow = cells[0][1:]
    fast = next(cell[1:] for cell in cells if cell[1] != slow[0] and cell[2] != slow[1])
    for (engineer, area), factor in ((slow, 4.0), (fast, 0.25)):
        mine = (tickets["engineer"] == engineer) & (tickets["area"] == area)
        tickets.loc[mine, "duration_days"] *= factor
    return tickets, profiles, slow, fast


@pytest.fixture(scope="module")
def result(team):
    tickets, profiles, _, _ = team
    return fit(tickets, skills=profiles)


@pytest.fixture(autouse=True)
def no_global_figures():
    """The plots never go through pyplot: no figure is left open."""
    before = set(plt.get_fignums())
    yield
    assert set(plt.get_fignums()) == before


def draw(figure):
    if not isinstance(figure.canvas, FigureCanvasAgg):
        FigureCanvasAgg(figure)
    figure.canvas.draw()
    return figure.canvas.get_renderer()


def lines(ax, gid):
    return [line for line in ax.lines if line.get_gid() == gid]


def collections(ax, gid):
    return [c for c in ax.collections if c.get_gid() == gid]


def texts(ax, gid):
    return [t for t in ax.texts if t.get_gid() == gid]


def tick_texts(ax):
    return [label.get_text() for label in ax.get_yticklabels()]


def same_colour(a, b):
    return np.allclose(to_rgba(a), to_rgba(b))


def drawn_texts(figure):
    """Every visible non-empty text: tick labels of the current ticks only."""
    found = []
    for artist in figure.findobj(Text):
        axes = artist.axes
        if axes is not None and any(artist is tick.label1 or artist is tick.label2
                                    for axis in (axes.xaxis, axes.yaxis)
                                    for tick in axis.majorTicks + axis.minorTicks):
            continue
        found.append(artist)
    for ax in figure.axes:
        found += ax.get_xticklabels() + ax.get_yticklabels()
    return [t for t in found if t.get_visible() and t.get_text().strip()]


def inside_figure(figure):
    """Every drawn text inside the figure (clipped texts: their visible part)."""
    renderer = draw(figure)
    frame = figure.bbox.padded(1)
    for text in drawn_texts(figure):
        box = text.get_window_extent(renderer)
        if text.get_clip_on() and text.get_clip_box() is not None:
            box = Bbox.intersection(box, text.get_clip_box()) or Bbox.null()
            if box.width <= 0:
                continue
        assert (frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0
                and box.y1 <= frame.y1), text.get_text()


# -- declared vs measured -------------------------------------------------------------


@pytest.fixture(scope="module")
def declared(result):
    display = DeclaredVsMeasuredDisplay.from_result(result)
    yield display, display.plot().ax_
    plt.close(display.figure_)


def cell_rows(ax, table):
    """Each table row's y on the axes, found from the tick labels: the area's
    name row, then the engineer's row under it."""
    labels = tick_texts(ax)
    rows = []
    for engineer, area in zip(table["engineer"], table["area"], strict=True):
        header = labels.index(area)
        after = [k for k in range(header + 1, len(labels))
                 if labels[k].startswith(f"{engineer} · ")]
        rows.append(after[0])
    return np.array(rows, dtype=float)


def test_rows_are_grouped_by_area_and_sorted_ignoring_case(declared, result):
    display, ax = declared
    table = result.declared_vs_measured
    labels = tick_texts(ax)
    headers = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"
               and " · " not in t.get_text()]
    assert headers == sorted(AREAS, key=str.casefold)
    for area in AREAS:
        start = labels.index(area)
        names = [label.split(" · ")[0] for label in labels[start + 1:start + 1 + len(ORDER)]]
        assert names == [n for n in ORDER if ((table["engineer"] == n)
                                              & (table["area"] == area)).any()]
    assert len(labels) == len(table) + len(AREAS)
    # Each label carries the declared level and the finished tickets.
    for engineer, area, level, n in table[["engineer", "area", "declared",
                                           "n_finished"]].itertuples(index=False):
        start = labels.index(area)
        assert f"{engineer} · {level} ({n})" in labels[start:]


def test_markers_sit_at_the_tables_numbers(declared, result):
    _, ax = declared
    table = result.declared_vs_measured
    y = cell_rows(ax, table)
    (diamonds,) = lines(ax, "declared")
    drawn = dict(zip(np.asarray(diamonds.get_ydata(), dtype=float),
                     np.asarray(diamonds.get_xdata(), dtype=float), strict=True))
    np.testing.assert_allclose([drawn[row] for row in y], table["declared_multiplier"],
                               rtol=1e-12)
    medians, intervals = {}, {}
    for verdict in ("consistent", "slower", "faster"):
        for line in lines(ax, f"{verdict}-measured"):
            medians.update(zip(np.asarray(line.get_ydata(), dtype=float),
                               np.asarray(line.get_xdata(), dtype=float), strict=True))
        for bars in collections(ax, f"{verdict}-interval"):
            intervals.update({segment[0][1]: (segment[0][0], segment[1][0])
                              for segment in bars.get_segments()})
    assert len(medians) == len(intervals) == len(table)
    np.testing.assert_allclose([medians[row] for row in y], table["measured"], rtol=1e-12)
    np.testing.assert_allclose([intervals[row] for row in y],
                               table[["measured_low", "measured_high"]], rtol=1e-12)
    assert ax.get_xscale() == "log"
    assert lines(ax, "one")[0].get_xdata() == [1, 1]
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert len(labels) >= 3 and all(label.startswith("×") for label in labels)


STYLE = {"slower than declared": (_style.OVER, "slower"),
         "faster than declared": (_style.AREA_COLOURS[0], "faster"),
         "consistent": ("#666666", "consistent")}


def test_contradicted_declarations_are_coloured_and_named(declared, result, team):
    _, ax = declared
    _, _, slow, fast = team
    table = result.declared_vs_measured
    cells = table.set_index(["engineer", "area"])
    assert cells.loc[slow, "verdict"] == "slower than declared"
    assert cells.loc[fast, "verdict"] == "faster than declared"
    y = cell_rows(ax, table)
    verdict_at = {t.get_position()[1]: t for t in texts(ax, "verdict")}
    assert set(verdict_at) == set(y[(table["verdict"] != "consistent").to_numpy()])
    for row, cell in zip(y, table.itertuples(index=False), strict=True):
        colour, gid = STYLE[cell.verdict]
        (mine,) = [line for line in lines(ax, f"{gid}-measured")
                   if row in np.asarray(line.get_ydata(), dtype=float)]
        assert same_colour(mine.get_color(), colour)
        label = ax.get_yticklabels()[int(row)]
        if cell.verdict == "consistent":
            assert row not in verdict_at and label.get_fontweight() != "bold"
            continue
        expected = cell.verdict + ("" if cell.closest_level == cell.declared
                                   else f" (closest: {cell.closest_level})")
        text = verdict_at[row]
        assert text.get_text() == expected
        assert same_colour(text.get_color(), colour) and text.get_fontweight() == "bold"
        assert same_colour(label.get_color(), colour) and label.get_fontweight() == "bold"


def test_each_areas_levels_are_drawn_over_its_rows_only(declared, result):
    _, ax = declared
    effects = result.level_effects
    labels = tick_texts(ax)
    headers = sorted(labels.index(area) for area in AREAS)
    names = texts(ax, "level-name")
    segments = [s for c in collections(ax, "level-line") for s in c.get_segments()]
    for area in AREAS:
        top = labels.index(area)
        bottom = min([h for h in headers if h > top], default=len(labels))
        mine = [s for s in segments if {s[0][1], s[1][1]} == {top - 0.5, bottom - 0.5}]
        levels = effects[effects["area"] == area]
        np.testing.assert_allclose(sorted(s[0][0] for s in mine),
                                   sorted(levels["team_multiplier"]), rtol=1e-12)
        named = " · ".join(t.get_text() for t in names if t.get_position()[1] == top)
        assert sorted(named.split(" · ")) == sorted(levels["level"])
    assert len(segments) == len(effects)  # none spans another area's rows


def test_a_group_of_engineers_reads_on_the_teams_scale(declared, result):
    _, ax = declared
    chosen = ["carol", "Adam"]
    part = DeclaredVsMeasuredDisplay.from_result(result, engineers=chosen).plot()
    labels = tick_texts(part.ax_)
    people = [label.split(" · ")[0] for label in labels if " · " in label]
    assert people == chosen * len(AREAS)  # in the order given, within each area
    np.testing.assert_allclose(part.ax_.get_xlim(), ax.get_xlim(), rtol=1e-12)
    plt.close(part.figure_)
    # The team's range, with a margin (and ×1, and every area's levels).
    table = result.declared_vs_measured
    values = np.r_[table[["measured_low", "measured_high", "declared_multiplier"]]
                   .to_numpy().ravel(), result.level_effects["team_multiplier"], 1.0]
    low, high = ax.get_xlim()
    assert values.min() / 1.2 < low < values.min() and values.max() < high < values.max() * 1.2
    with pytest.raises(ValueError, match="nobody"):
        DeclaredVsMeasuredDisplay.from_result(result, engineers=["nobody"])


def test_rows_on_too_few_tickets_show_the_declaration_only(result):
    table = result.declared_vs_measured
    threshold = int(np.quantile(table["n_finished"], 0.3)) + 1
    few = table["n_finished"] < threshold
    assert 0 < few.sum() < len(table)
    display = DeclaredVsMeasuredDisplay.from_result(result, min_tickets=threshold).plot()
    ax = display.ax_
    medians = sum(len(line.get_xdata()) for line in ax.lines
                  if (line.get_gid() or "").endswith("-measured"))
    assert medians == (~few).sum()
    assert len(lines(ax, "declared")[0].get_xdata()) == len(table)
    marks = [t.get_text() for t in texts(ax, "too-few")]
    assert sorted(marks) == sorted(f"too few tickets ({n})" for n in table.loc[few, "n_finished"])
    plt.close(display.figure_)


def test_a_tall_figure_grows_and_repeats_its_scale(declared):
    display, ax = declared
    assert len(display.rows) > 30
    assert display.figure_.get_figheight() / len(display.rows) >= 0.2
    assert 10 <= display.figure_.get_figwidth() <= 12
    assert ax.xaxis.get_tick_params(which="major").get("labeltop") is True


def test_names_are_drawn_as_typed(declared):
    display, _ = declared
    figure = display.figure_
    renderer = draw(figure)
    dollars = [t for t in drawn_texts(figure) if "$" in t.get_text()]
    assert any(t.get_text().startswith("a $x^2$ b · ") for t in dollars)
    assert any(t.get_text() == "ops $infra" for t in dollars)
    for text in dollars:
        assert not text.get_parse_math() and not text.get_usetex(), text.get_text()
        plain = Text(text=text.get_text(), parse_math=False,
                     fontproperties=text.get_fontproperties(), figure=figure)
        assert text.get_window_extent(renderer).width == pytest.approx(
            plain.get_window_extent(renderer).width, rel=0.05, abs=2)


@pytest.mark.parametrize("size", [(4, 3), (7, 5)])
def test_a_given_small_axes_keeps_every_label_inside(result, size):
    figure = Figure(figsize=size)
    ax = figure.add_subplot()
    display = DeclaredVsMeasuredDisplay.from_result(result, engineers=["a $x^2$ b", "Bob"])
    assert display.plot(ax=ax).figure_ is figure and display.ax_ is ax
    assert ax.get_legend() is not None
    inside_figure(figure)


def test_without_profiles_says_to_fit_with_skills(team):
    tickets, _, _, _ = team
    plain = fit(tickets[tickets["area"] == "research"])
    for make in (DeclaredVsMeasuredDisplay.from_result, RampUpDisplay.from_result):
        with pytest.raises(InputError, match="without skill profiles") as caught:
            make(plain)
        assert "skills=" in str(caught.value) and caught.value.problems


@settings(max_examples=60, deadline=None)
@given(multipliers=st.lists(st.floats(0.3, 3.0), min_size=1, max_size=5, unique=True),
       width=st.floats(2.0, 12.0))
def test_level_names_never_overlap_and_each_is_named_once(multipliers, width):
    figure = Figure(figsize=(width, 3))
    ax = figure.add_subplot()
    names = ["basic", "proficient", "strong", "expert", "lead"][:len(multipliers)]
    levels = pd.DataFrame({"level": names, "multiplier": multipliers}).sort_values("multiplier")
    span = (0.25, 4.0)
    placed = _level_labels(ax, levels, span)
    assert sorted(n for _, text in placed for n in text.split(" · ")) == sorted(names)
    # Independent of the function's own arithmetic: positions on the log axis
    # and label widths at 7.5 points, 0.58 em a character.
    inches = 0.7 * ax.bbox.width / figure.dpi
    x = [(math.log(v) - math.log(span[0])) / math.log(span[1] / span[0]) * inches
         for v, _ in placed]
    assert x == sorted(x)
    widths = [(len(text) + 2) * 0.58 * 7.5 / 72 for _, text in placed]
    for k in range(len(placed) - 1):
        assert x[k + 1] - x[k] >= (widths[k] + widths[k + 1]) / 2 - 1e-9
    # A merged name sits at the geometric middle of its levels.
    for value, text in placed:
        members = levels.set_index("level").loc[text.split(" · "), "multiplier"]
        assert value == pytest.approx(math.exp(np.log(members).mean()), rel=1e-12)


# -- ramp-up -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ramp_tickets(team, result):
    """The tickets, with every third new member's ticket of weeks 9 to 12
    on the team left open (still running)."""
    tickets = team[0].copy()
    starts = {e: d for e, d in team[1].start_dates.items()}
    weeks = (tickets["started_at"] - tickets["engineer"].map(starts)) / pd.Timedelta(days=7)
    running = tickets.index[(weeks >= 9) & (weeks < 12)][::3]
    tickets.loc[running, "censored"] = True
    return tickets, weeks


@pytest.fixture(scope="module")
def ramp_display(result, ramp_tickets):
    display = RampUpDisplay.from_result(result, ramp_tickets[0])
    yield display, display.plot().ax_
    plt.close(display.figure_)


def test_the_curve_and_band_are_the_results(ramp_display, result):
    display, ax = ramp_display
    ramp = result.ramp_up
    (curve,) = lines(ax, "ramp-curve")
    weeks = np.asarray(curve.get_xdata(), dtype=float)
    assert weeks[0] == 0 and weeks[-1] == display.horizon == ax.get_xlim()[1]
    # The hand formula exp(rho exp(-w / tau)) at the estimates.
    np.testing.assert_allclose(
        curve.get_ydata(), np.exp(ramp["slowdown"] * np.exp(-weeks / ramp["scale_weeks"])),
        rtol=1e-12)
    expected = result.ramp_up_curve(weeks[::12])
    (band,) = collections(ax, "ramp-band")
    vertices = band.get_paths()[0].vertices
    for w, low, high in expected[["weeks", "low", "high"]].itertuples(index=False):
        at = vertices[np.isclose(vertices[:, 0], w)][:, 1]
        assert np.isclose(at, low, rtol=1e-9).any() and np.isclose(at, high, rtol=1e-9).any()
    assert expected["low"].iloc[0] < ramp["initial_multiplier"] < expected["high"].iloc[0]
    assert ax.get_yscale() == "log"
    assert lines(ax, "one")[0].get_ydata() == [1, 1]
    assert np.allclose(lines(ax, "within")[0].get_ydata(), 1 + ramp["within"])


def test_the_weeks_to_typical_speed_are_marked_with_their_interval(ramp_display, result):
    _, ax = ramp_display
    ramp = result.ramp_up
    assert ramp["weeks_to_typical"] > 0 and ramp["weeks_high"] is not None
    (marker,) = lines(ax, "weeks-to-typical")
    np.testing.assert_allclose(marker.get_xdata(), [ramp["weeks_to_typical"]], rtol=1e-12)
    np.testing.assert_allclose(marker.get_ydata(), [1 + ramp["within"]], rtol=1e-12)
    # The marker is on the curve: exp(rho exp(-N / tau)) = 1 + within.
    np.testing.assert_allclose(
        np.exp(ramp["slowdown"] * np.exp(-ramp["weeks_to_typical"] / ramp["scale_weeks"])),
        1 + ramp["within"], rtol=1e-9)
    ((start, end),) = [[s[0][0], s[1][0]] for s in collections(ax, "weeks-interval")[0]
                       .get_segments()]
    np.testing.assert_allclose([start, end], [ramp["weeks_low"], ramp["weeks_high"]])
    (note,) = texts(ax, "weeks-note")
    assert f"about {ramp['weeks_to_typical']:.0f} weeks" in note.get_text()
    assert f"{ramp['weeks_low']:.0f} to {ramp['weeks_high']:.0f}" in note.get_text()
    assert not lines(ax, "weeks-beyond")


def test_an_interval_past_the_scales_tried_and_no_slowdown(ramp_display):
    display, _ = ramp_display
    open_ended = dataclasses.replace(display, ramp={**display.ramp, "weeks_high": None}).plot()
    ax = open_ended.ax_
    ((start, end),) = [[s[0][0], s[1][0]] for s in collections(ax, "weeks-interval")[0]
                       .get_segments()]
    assert end == display.horizon and start == display.ramp["weeks_low"]
    assert lines(ax, "weeks-beyond")[0].get_xdata() == [display.horizon]
    assert "beyond the scales tried" in texts(ax, "weeks-note")[0].get_text()
    plt.close(open_ended.figure_)
    settled = dataclasses.replace(display, ramp={**display.ramp, "weeks_to_typical": 0.0,
                                                 "weeks_low": 0.0, "weeks_high": 0.0}).plot()
    (marker,) = lines(settled.ax_, "weeks-to-typical")
    assert list(marker.get_xdata()) == [0.0]
    assert texts(settled.ax_, "weeks-note")[0].get_text() == "within 10% from the start"
    plt.close(settled.figure_)


def test_new_members_tickets_are_their_days_over_the_settled_prediction(
        ramp_display, result, ramp_tickets):
    display, ax = ramp_display
    tickets, weeks = ramp_tickets
    mine = tickets[(weeks >= 0) & (weeks <= display.horizon)]
    # Independently: the prediction long after the start date is the settled one.
    settled = result.predict(mine["engineer"].to_numpy(), mine["area"].to_numpy(),
                             mine["points"].to_numpy(), on="2200-01-01")
    expected = mine["duration_days"].to_numpy() / np.exp(settled["log_mean"].to_numpy())
    open_ = mine["censored"].to_numpy()
    assert open_.sum() >= 2  # the two left open, and any still running
    low, high = ax.get_ylim()
    for gid, rows in (("ticket", ~open_), ("open", open_)):
        (dots,) = collections(ax, gid)
        drawn = np.asarray(dots.get_offsets())
        np.testing.assert_allclose(np.sort(drawn[:, 0]), np.sort(weeks[mine.index[rows]]),
                                   rtol=1e-12)
        # Inside the axis: at their ratio; beyond it: at its edge.
        order = np.argsort(weeks[mine.index[rows]].to_numpy())
        np.testing.assert_allclose(drawn[np.argsort(drawn[:, 0]), 1],
                                   np.clip(expected[rows][order], low * 1.04, high / 1.04),
                                   rtol=1e-9)
    outside = ((expected < low * 1.04) | (expected > high / 1.04)).sum()
    assert outside > 0 and f"{outside} tickets beyond" in ax.get_xlabel()
    assert len(display.tickets) == len(mine)


def test_band_means_are_shown_only_where_open_tickets_cannot_bias_them(ramp_display):
    display, ax = ramp_display
    (means,) = lines(ax, "band-mean")
    shown = display.bands[display.bands["shown"]]
    np.testing.assert_allclose(means.get_xdata(), shown["weeks"])
    np.testing.assert_allclose(means.get_ydata(), shown["ratio"])
    # A third of weeks 9-12 open: the band is left out, with enough finished tickets.
    biased = display.bands[(display.bands["weeks_from"] < 12) & (display.bands["weeks_to"] > 9)]
    assert (biased["n_finished"] >= 5).all() and not biased["shown"].any()
    assert (display.bands["n_finished"] >= 5).sum() > len(shown) > 0


@settings(max_examples=50, deadline=None)
@given(tickets=st.lists(st.tuples(st.floats(0.0, 30.0), st.floats(0.05, 20.0),
                                  st.sampled_from([False] * 9 + [True])),  # 1 in 10 open
                        min_size=1, max_size=200),
       horizon=st.floats(8.0, 60.0))
def test_band_means_equal_brute_force(tickets, horizon):
    weeks, ratios, open_ = zip(*tickets, strict=True)
    n = len(tickets)
    frame = pd.DataFrame({"weeks": np.minimum(weeks, horizon), "ratio": ratios,
                          "censored": open_})
    bands = _bands(frame, horizon)
    assert bands["n_finished"].sum() + bands["n_open"].sum() == n
    assert bands["weeks_from"].iloc[0] == 0 and bands["weeks_to"].iloc[-1] >= horizon
    for band in bands.itertuples():
        last = band.Index == len(bands) - 1
        inside = [(w, r, c) for w, r, c in zip(frame["weeks"], frame["ratio"],
                                               frame["censored"], strict=True)
                  if band.weeks_from <= w and (w < band.weeks_to or last)]
        finished = [r for _, r, c in inside if not c]
        assert band.n_finished == len(finished) and band.n_open == len(inside) - len(finished)
        if finished:
            assert band.ratio == pytest.approx(math.prod(finished) ** (1 / len(finished)),
                                               rel=1e-9)
        assert band.shown == (len(finished) >= 5 and band.n_open <= 0.1 * len(inside))


def test_without_tickets_only_the_curve_and_a_chosen_horizon(result):
    display = RampUpDisplay.from_result(result, horizon_weeks=30).plot()
    ax = display.ax_
    assert ax.get_xlim() == (0, 30) and display.curve["weeks"].iloc[-1] == 30
    assert not collections(ax, "ticket") and not lines(ax, "band-mean")
    legend = [t.get_text() for legend in display.figure_.legends for t in legend.get_texts()]
    assert not any("ticket" in text for text in legend)
    assert any("typical speed" in text for text in legend)
    plt.close(display.figure_)


def test_without_a_ramp_up_term_says_what_is_missing(team):
    tickets, profiles, _, _ = team
    levels_only = fit(tickets, skills=profiles, ramp_up=False)
    with pytest.raises(InputError, match="no ramp-up term") as caught:
        RampUpDisplay.from_result(levels_only)
    assert "start date" in str(caught.value)
    assert DeclaredVsMeasuredDisplay.from_result(levels_only).rows["kind"].eq("cell").any()


@pytest.mark.parametrize("size", [(4, 3), (7, 5)])
def test_ramp_up_on_a_given_small_axes_keeps_every_label_inside(result, ramp_tickets, size):
    figure = Figure(figsize=size)
    ax = figure.add_subplot()
    display = RampUpDisplay.from_result(result, ramp_tickets[0])
    assert display.plot(ax=ax).figure_ is figure and display.ax_ is ax
    inside_figure(figure)

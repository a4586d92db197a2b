"""Plots: what was drawn (axes, labels, series, cells, texts), not pixels."""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Rectangle, StepPatch  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402

import calibrate  # noqa: E402
from calibrate import plots  # noqa: E402
from calibrate.backtest import MODELS, backtest, drift  # noqa: E402
from calibrate.datasets import simulate_tickets  # noqa: E402
from calibrate.plots import _style  # noqa: E402
from calibrate.plots._data import unseen_engineer  # noqa: E402
from calibrate.report._captions import CAPTIONS  # noqa: E402

SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"


@pytest.fixture(scope="module")
def table():
    return calibrate.read_export(SAMPLE, config=CONFIG)


@pytest.fixture(scope="module")
def result(table):
    return calibrate.Calibrator().fit(table).result_


@pytest.fixture(scope="module")
def backtest_result(table):
    return backtest(table, n_origins=2)


@pytest.fixture(scope="module")
def drift_result(table):
    return drift(table)


@pytest.fixture(autouse=True)
def no_global_figures():
    """The plots never go through pyplot: no figure is left open."""
    before = set(plt.get_fignums())
    yield
    assert set(plt.get_fignums()) == before
    plt.close("all")


def blank_axes(n=1, **kwargs):
    figure = Figure(figsize=(10, 6))
    axes = figure.subplots(1, n, **kwargs)
    return figure, axes


def lines(ax, gid):
    return [line for line in ax.lines if line.get_gid() == gid]


def flat_at(line, value):
    """A horizontal line at value (axhline: two points, y == [value, value])."""
    y = np.asarray(line.get_ydata(), dtype=float)
    return y.shape == (2,) and np.allclose(y, [value, value])


def cap_lines(ax, cap):
    return [line for line in ax.lines if flat_at(line, cap)]


def collection(ax, gid):
    found = [c for c in ax.collections if c.get_gid() == gid]
    assert len(found) == 1, gid
    return found[0]


def grid_cells(ax, prefix):
    cells = [p for p in ax.patches if isinstance(p, Rectangle)
             and (p.get_gid() or "").startswith(prefix)]
    texts = [t for t in ax.texts if (t.get_gid() or "").startswith(prefix)]
    return cells, texts


def tick_texts(labels):
    return [label.get_text().replace("\n", "") for label in labels]


def visible_axes(figure):
    return [ax for ax in figure.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]


def test_every_plot_has_a_caption():
    # The report captions every figure kind; the overlays are notebook variants.
    functions = {name for name in plots.__all__ if not name.endswith("OverlayDisplay")}
    assert set(CAPTIONS) == functions
    assert all(20 < len(text) < 600 for text in CAPTIONS.values())


def test_palette_reads_in_greyscale():
    grey = [0.299 * int(c[1:3], 16) + 0.587 * int(c[3:5], 16) + 0.114 * int(c[5:7], 16)
            for c in _style.AREA_COLOURS[:4]]
    gaps = np.diff(sorted(grey))
    assert gaps.min() > 20
    assert len(set(_style.AREA_MARKERS)) == len(_style.AREA_MARKERS)


# -- 1. where points break ----------------------------------------------------
def test_points_vs_days_one_panel_per_area(result, table):
    figure = plots.PointsVsDaysDisplay.from_result(result, table).plot().figure_
    assert isinstance(figure, Figure)
    tickets = table.tickets
    areas = list(result.multipliers.areas["area"])
    panels = visible_axes(figure)
    assert len(panels) == len(areas)
    cap = result.cap_days
    drawn = 0
    newcomer = unseen_engineer(result)
    for area, ax in zip(areas, panels, strict=True):
        assert ax.get_yscale() == "log"
        assert ax.get_title(loc="left").startswith(area)
        assert len(cap_lines(ax, cap)) == 1
        (identity,) = lines(ax, "one-point-one-day")
        np.testing.assert_allclose(identity.get_xdata(), identity.get_ydata())
        mine = tickets[tickets["area"] == area]
        open_ = collection(ax, "open").get_offsets()
        over = collection(ax, "over").get_offsets()
        within = collection(ax, "within").get_offsets()
        assert len(open_) == mine["censored"].sum()
        assert len(over) == ((~mine["censored"]) & (mine["duration_days"] > cap)).sum()
        assert (np.asarray(over)[:, 1] > cap).all() and (np.asarray(within)[:, 1] <= cap).all()
        # Jitter is sideways only, by less than half a point.
        assert np.abs(np.asarray(within)[:, 0] - np.round(np.asarray(within)[:, 0])).max() < 0.5
        drawn += len(open_) + len(over) + len(within)
        # The median line is the typical engineer's: exp(intercept + elasticity log(p/3)).
        (median,) = lines(ax, "median")
        params = result.multipliers.areas.set_index("area").loc[area]
        x = np.asarray(median.get_xdata())
        np.testing.assert_allclose(
            median.get_ydata(), np.exp(params["intercept"] + params["elasticity"] * np.log(x / 3)))
        band = collection(ax, "band")
        assert band.get_paths()  # the 80% band of a new team member
        assert result.predict(newcomer, area, 3)["basis"].iloc[0] == "unseen engineer"
    assert drawn == len(tickets)
    assert "working days" in figure.get_supylabel()
    assert "story points" in panels[-1].get_xlabel()
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert "1 point = 1 day" in labels and any("cap" in label for label in labels)


def test_points_vs_days_cap_and_passed_axes(result, table):
    figure, ax = blank_axes()
    assert plots.PointsVsDaysOverlayDisplay.from_result(
        result, table, cap_days=5).plot(ax=ax).figure_ is figure
    assert len(cap_lines(ax, 5.0)) == 1 and not cap_lines(ax, 3.0)
    areas = list(result.multipliers.areas["area"])
    assert len([c for c in ax.collections if c.get_gid() == "open"]) == len(areas)
    assert len(lines(ax, "median")) == len(areas)
    over = np.concatenate([c.get_offsets()[:, 1] for c in ax.collections
                           if c.get_gid() == "over" and len(c.get_offsets())])
    assert (over > 5).all()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert all(area in legend for area in areas)
    assert "working days" in ax.get_ylabel() and "story points" in ax.get_xlabel()


# -- 2. overrun map -----------------------------------------------------------
def test_overrun_map_cells_and_too_few(result):
    figure = plots.OverrunMapDisplay.from_result(result).plot().figure_
    ax = figure.axes[0]
    cells = result.engineer_area_multipliers
    patches, texts = grid_cells(ax, "cell")
    assert len(patches) == len(texts) == len(cells)
    few = cells["n_finished"] < 5
    few_patches = [p for p in patches if p.get_gid() == "cell-too-few"]
    assert len(few_patches) == few.sum() > 0
    assert all(p.get_hatch() for p in few_patches)
    few_texts = [t.get_text() for t in texts if t.get_gid() == "cell-too-few-text"]
    assert len(few_texts) == few.sum() and all("too few tickets" in t for t in few_texts)
    assert not any("%" in t for t in few_texts)  # suppressed: no number shown
    # Known cells show the percentage, in the colour map; too-few cells are grey.
    table = result.overrun_probabilities(points=(3,))
    known = table[table["n_finished"] >= 5]
    shown = sorted(t.get_text() for t in texts if t.get_gid() == "cell-text")
    assert shown == sorted(f"{p:.0%}" for p in known["p_over_3"])
    assert {tuple(np.round(p.get_facecolor(), 3)) for p in few_patches} == {
        tuple(np.round(matplotlib.colors.to_rgba(_style.FEW), 3))}
    assert tick_texts(ax.get_yticklabels()) == list(result.engineer_multipliers["engineer"])
    assert tick_texts(ax.get_xticklabels()) == list(result.multipliers.areas["area"])
    assert "3 working days" in ax.get_title()
    assert len(figure.axes) == 2  # the colour bar


def test_overrun_map_other_points_threshold_and_axes(result):
    figure, ax = blank_axes()
    assert plots.OverrunMapDisplay.from_result(
        result, points=5, min_tickets=0).plot(ax=ax).figure_ is figure
    patches, _ = grid_cells(ax, "cell")
    assert all(p.get_gid() == "cell" for p in patches)
    table = result.overrun_probabilities(points=(5,))
    assert sorted(t.get_text() for t in ax.texts) == sorted(f"{p:.0%}" for p in table["p_over_5"])
    assert "5 working days" in ax.get_title()


# -- 3. multipliers -----------------------------------------------------------
def test_multipliers_forest(result):
    figure = plots.MultipliersDisplay.from_result(result).plot().figure_
    ax = figure.axes[0]
    people, cells = result.engineer_multipliers, result.engineer_area_multipliers
    labels = tick_texts(ax.get_yticklabels())
    assert len(labels) == len(people) + len(cells)
    bold = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert [b.split(" (")[0] for b in bold] == list(people["engineer"])
    assert ax.get_xscale() == "log"
    assert any(np.asarray(line.get_xdata()).shape == (2,)
               and np.allclose(line.get_xdata(), [1, 1]) for line in ax.lines)
    (raw,) = lines(ax, "raw")
    expected = np.r_[people["raw_ratio"], cells["raw_ratio"]]
    expected = expected[np.isfinite(expected)]
    np.testing.assert_allclose(np.sort(raw.get_xdata()), np.sort(expected))
    (medians,) = lines(ax, "engineer-median")
    np.testing.assert_allclose(medians.get_xdata(), people["median"])
    intervals = [c for c in ax.collections if c.get_gid() == "engineer-interval"][0]
    segments = intervals.get_segments()
    np.testing.assert_allclose([s[0][0] for s in segments], people["p10"])
    np.testing.assert_allclose([s[1][0] for s in segments], people["p90"])
    cell_medians = np.concatenate([line.get_xdata() for line in lines(ax, "cell-median")])
    assert len(cell_medians) == len(cells)
    assert "multiplier" in ax.get_xlabel()


def test_multipliers_engineers_only_on_passed_axes(result):
    figure, ax = blank_axes()
    assert plots.MultipliersDisplay.from_result(result, cells=False).plot(ax=ax).figure_ is figure
    assert len(ax.get_yticklabels()) == len(result.engineer_multipliers)
    assert not lines(ax, "cell-median")
    assert ax.get_legend() is not None


# -- 4. recommended sizes ------------------------------------------------------
def test_recommended_sizes_grid(result):
    figure = plots.RecommendedSizesDisplay.from_result(result).plot().figure_
    ax = figure.axes[0]
    sizes = result.recommended_sizes()
    patches, texts = grid_cells(ax, "cell")
    assert len(patches) == len(texts) == len(sizes)
    expected = sorted((f"too few tickets ({n})" if n < 5 else
                       "split" if v == 0 else f"{v:g}")
                      for v, n in zip(sizes["recommended_points"], sizes["n_finished"],
                                      strict=True))
    assert sorted(t.get_text() for t in texts) == expected
    # Below the 3-point reference: bold (suppressed cells show no size).
    bold = [t.get_text() for t in texts if t.get_fontweight() == "bold"]
    enough = sizes["n_finished"] >= 5
    assert len(bold) == ((sizes["recommended_points"] < 3) & enough).sum()
    colour_bar = figure.axes[1]
    assert any("team reference" in t.get_text() for t in colour_bar.get_yticklabels())
    assert "3 working days" in ax.get_title() and "80%" in ax.get_title()


def test_recommended_sizes_cap_confidence_and_axes(result):
    figure, ax = blank_axes()
    assert plots.RecommendedSizesDisplay.from_result(
        result, cap_days=5, confidence=0.9).plot(ax=ax).figure_ is figure
    sizes = result.recommended_sizes(cap_days=5, confidence=0.9)
    _, texts = grid_cells(ax, "cell")
    assert sorted(t.get_text() for t in texts) == sorted(
        f"too few tickets ({n})" if n < 5 else "split" if v == 0 else f"{v:g}"
        for v, n in zip(sizes["recommended_points"], sizes["n_finished"], strict=True))
    assert "5 working days" in ax.get_title() and "90%" in ax.get_title()


# -- 5. elasticity -------------------------------------------------------------
def test_elasticity_panels(result, table):
    figure = plots.ElasticityDisplay.from_result(result, table).plot().figure_
    areas = list(result.multipliers.areas["area"])
    panels = visible_axes(figure)
    assert len(panels) == len(areas)
    finished = table.tickets[~table.tickets["censored"]]
    for area, ax in zip(areas, panels, strict=True):
        assert ax.get_xscale() == ax.get_yscale() == "log"
        (proportional,) = lines(ax, "proportional")
        ratio = np.asarray(proportional.get_ydata()) / np.asarray(proportional.get_xdata())
        np.testing.assert_allclose(ratio, ratio[0])
        median_3 = finished.loc[(finished["area"] == area) & (finished["points"] == 3),
                                "duration_days"].median()
        np.testing.assert_allclose(ratio[0] * 3, median_3)
        (fitted,) = lines(ax, "fitted")
        row = result.elasticity.set_index("area").loc[area]
        assert f"{row['elasticity']:.2f}" in fitted.get_label()
        assert f"{row['ci_low']:.2f}–{row['ci_high']:.2f}" in fitted.get_label()
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [fitted.get_label()]
        (bars,) = ax.containers  # errorbar: data line, caps, bars
        medians = bars.lines[0]
        expected = finished[finished["area"] == area].groupby("points")["duration_days"].median()
        np.testing.assert_allclose(np.asarray(medians.get_ydata(), dtype=float),
                                   expected.to_numpy())
    assert "working days" in figure.get_supylabel()


def test_elasticity_on_passed_axes(result, table):
    figure, ax = blank_axes()
    assert plots.ElasticityOverlayDisplay.from_result(result, table).plot(ax=ax).figure_ is figure
    areas = list(result.multipliers.areas["area"])
    assert len(lines(ax, "fitted")) == len(lines(ax, "proportional")) == len(areas)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sum("elasticity" in text and "90%" in text for text in legend) == len(areas)


# -- 6. calibration ------------------------------------------------------------
def test_calibration_panels(backtest_result):
    figure = plots.CalibrationDisplay.from_backtest(backtest_result).plot().figure_
    left, right = figure.axes
    (diagonal,) = lines(left, "diagonal")
    np.testing.assert_allclose(diagonal.get_xdata(), diagonal.get_ydata())
    coverage = lines(left, "coverage")
    summary = backtest_result.scores_by_model()
    assert [line.get_label() for line in coverage] == list(summary.index) == list(MODELS)
    for line, model in zip(coverage, summary.index, strict=True):
        np.testing.assert_allclose(line.get_xdata(), [50, 80, 90])
        np.testing.assert_allclose(
            line.get_ydata(), 100 * summary.loc[model, ["coverage_50", "coverage_80",
                                                        "coverage_90"]].to_numpy(dtype=float))
    steps = [p for p in right.patches if isinstance(p, StepPatch)]
    assert [p.get_label() for p in steps] == list(summary.index)
    histogram = backtest_result.pit_histogram()
    for patch, model in zip(steps, summary.index, strict=True):
        np.testing.assert_allclose(patch.get_data().values, 100 * histogram[model].to_numpy())
    (flat,) = lines(right, "flat")
    assert flat_at(flat, 10)
    assert "share" in left.get_ylabel() and "share" in right.get_ylabel()


def test_calibration_on_passed_axes(backtest_result):
    figure, axes = blank_axes(2)
    assert plots.CalibrationDisplay.from_backtest(backtest_result).plot(axes=axes).figure_ is figure
    assert len(lines(axes[0], "coverage")) == len(MODELS)


# -- 7. drift ------------------------------------------------------------------
def test_drift_one_panel_per_engineer(drift_result):
    figure = plots.DriftDisplay.from_drift(drift_result).plot().figure_
    frame = drift_result.multipliers
    engineers = sorted(frame["engineer"].unique())
    panels = visible_axes(figure)
    assert len(panels) == len(engineers)
    windows = sorted(frame["window"].unique())
    for engineer, ax in zip(engineers, panels, strict=True):
        (line,) = lines(ax, "drift")
        assert line.get_label() == engineer
        mine = frame[frame["engineer"] == engineer].set_index("window").reindex(windows)
        np.testing.assert_allclose(line.get_ydata(), mine["median"])  # NaN where absent
        assert any(flat_at(line, 1) for line in ax.lines)
        assert ax.get_yscale() == "log"
        assert collection(ax, "drift-band") is not None


def test_drift_on_passed_axes(drift_result):
    figure, ax = blank_axes()
    assert plots.DriftOverlayDisplay.from_drift(drift_result).plot(ax=ax).figure_ is figure
    engineers = sorted(drift_result.multipliers["engineer"].unique())
    assert [c.get_label() for c in ax.containers] == engineers
    for container, engineer in zip(ax.containers, engineers, strict=True):
        assert container.lines[0].get_gid() == "drift"
        frame = drift_result.multipliers
        mine = frame[frame["engineer"] == engineer]
        y = np.asarray(container.lines[0].get_ydata(), dtype=float)
        assert np.isfinite(y).sum() == len(mine)
    assert "multiplier" in ax.get_ylabel()


# -- 8. data quality -----------------------------------------------------------
def test_data_quality_panels(table):
    figure = plots.DataQualityDisplay.from_table(table).plot().figure_
    left, right = [ax for ax in figure.axes]
    reasons = table.exclusion_counts()
    bars = [p for p in left.patches if p.get_gid() == "rows"]
    assert len(bars) == 1 + len(reasons)
    assert [round(b.get_width()) for b in bars] == [len(table.tickets), *reasons.to_list()]
    counts = [t.get_text().split()[0] for t in left.texts if t.get_gid() == "count"]
    assert counts == [str(len(table.tickets)), *map(str, reasons.to_list())]
    assert tick_texts(left.get_yticklabels())[1:] == [f"excluded: {r}" for r in reasons.index]
    assert str(table.rows_read) in left.get_title()
    grid = table.tickets.groupby(["engineer", "area"]).size()
    cells, texts = grid_cells(right, "count-cell")
    assert len(cells) == len(texts) == len(grid)
    assert sorted(int(t.get_text()) for t in texts) == sorted(grid.to_list())
    assert sum(bool(c.get_hatch()) for c in cells) == (grid < 5).sum()


def test_data_quality_on_passed_axes_and_plain_frame(table):
    figure, axes = blank_axes(2)
    assert plots.DataQualityDisplay.from_table(table.tickets).plot(axes=axes).figure_ is figure
    assert len([p for p in axes[0].patches if p.get_gid() == "rows"]) == 1


# -- sizes with many engineers ----------------------------------------------------
def test_figures_grow_with_the_number_of_engineers(result):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", calibrate.CalibrationWarning)
        big = calibrate.Calibrator().fit(simulate_tickets(900, 36, seed=2).tickets).result_
    small_map, big_map = (plots.OverrunMapDisplay.from_result(r).plot().figure_
                          for r in (result, big))
    assert big_map.get_figheight() > 2 * small_map.get_figheight()
    assert 10 <= big_map.get_figwidth() <= 12
    labels = big_map.axes[0].get_yticklabels()
    assert len(labels) == len(big.engineer_multipliers)
    assert 7 <= labels[0].get_fontsize() < 10
    forest = plots.MultipliersDisplay.from_result(big).plot().figure_
    inches_per_row = forest.get_figheight() / len(forest.axes[0].get_yticklabels())
    assert inches_per_row >= 0.2
    assert 10 <= forest.get_figwidth() <= 12


def test_titles_and_captions_name_the_clock_and_the_configured_sizes():
    tickets = simulate_tickets(600, 6, seed=2).tickets
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", calibrate.CalibrationWarning)
        two = calibrate.Calibrator(reference_points=2, cap_days=5).fit(tickets).result_
        lead = calibrate.Calibrator().fit(tickets.assign(clock="lead")).result_
    figure = plots.RecommendedSizesDisplay.from_result(two).plot().figure_
    assert figure.axes[0].get_xlabel().startswith("bold/red: below the team's 2-point reference")
    plt.close(figure)
    figure = plots.ElasticityDisplay.from_result(two, tickets).plot().figure_
    labels = [text.get_text() for legend in figure.legends for text in legend.get_texts()]
    assert "proportional: days ∝ points, through the 2-point median" in labels
    plt.close(figure)
    assert not any("3-point" in caption for caption in CAPTIONS.values())
    # Lead time: named in the titles; the work cap is drawn for scale, not as a verdict.
    figure = plots.PointsVsDaysDisplay.from_result(lead, tickets).plot().figure_
    assert figure.get_suptitle() == "Where points break: lead time against story points"
    labels = [text.get_text() for legend in figure.legends for text in legend.get_texts()]
    assert "work cap 3 days (lead time not judged)" in labels
    assert all("over the cap" not in ax.get_title(loc="left") for ax in visible_axes(figure))
    plt.close(figure)
    figure = plots.PointsVsDaysDisplay.from_result(lead.with_lead_cap(10), tickets,
                                             cap_days=10).plot().figure_
    labels = [text.get_text() for legend in figure.legends for text in legend.get_texts()]
    assert "lead-time cap: 10 working days" in labels
    plt.close(figure)
    figure = plots.RecommendedSizesDisplay.from_result(lead.with_lead_cap(10),
                                                  cap_days=10).plot().figure_
    assert figure.axes[0].get_title().startswith("Largest ticket that fits 10 working days of "
                                                 "lead time")
    plt.close(figure)


# -- issue #12/#17: real data ----------------------------------------------------
ODD_NAMES = ["Bob", "alice", "Adam", "a $x^2$ b", "cost $5"]


@pytest.fixture(scope="module")
def one_area():
    """One area, names of mixed case and with dollar signs (mathtext)."""
    tickets = simulate_tickets(300, 5, areas=("ops $infra",), seed=3).tickets
    names = {f"engineer-{i:05d}": name for i, name in enumerate(ODD_NAMES)}
    tickets = tickets.assign(engineer=tickets["engineer"].map(names))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", calibrate.CalibrationWarning)
        fitted = calibrate.Calibrator().fit(tickets).result_
    return tickets, fitted


def drawn_texts(figure):
    """Every non-empty visible text of a drawn figure: tick labels of the
    current ticks only (stale ticks are kept by matplotlib but not drawn)."""
    texts = []
    for artist in figure.findobj(matplotlib.text.Text):
        if isinstance(artist.axes, matplotlib.axes.Axes) and any(
                artist is tick.label1 or artist is tick.label2
                for axis in (artist.axes.xaxis, artist.axes.yaxis)
                for tick in axis.majorTicks + axis.minorTicks):
            continue
        texts.append(artist)
    for ax in figure.axes:
        texts += ax.get_xticklabels() + ax.get_yticklabels()
    return [t for t in texts if t.get_visible() and t.get_text().strip()]


def draw(figure):
    """Draw on an Agg canvas (a Figure made directly has a base canvas, which
    draws nothing); returns the renderer."""
    if not isinstance(figure.canvas, FigureCanvasAgg):
        FigureCanvasAgg(figure)
    figure.canvas.draw()
    return figure.canvas.get_renderer()


def beyond(ax):
    return [c for c in ax.collections if c.get_gid() == "beyond" and len(c.get_offsets())]


def test_points_axis_follows_the_team_scale(result, table):
    # One 80-point ticket among 1-13 point ones: the axis stays on the team's
    # scale, the ticket sits at the right edge, marked and named in a note.
    tickets = table.tickets.copy()
    tickets.loc[tickets.index[0], "points"] = 80.0
    tickets.loc[tickets.index[1:4], "points"] = 13.0
    figure = plots.PointsVsDaysDisplay.from_result(result, tickets).plot().figure_
    draw(figure)
    panels = visible_axes(figure)
    area = tickets["area"].iloc[0]
    for ax in panels:
        low, high = ax.get_xlim()
        assert 13 < high <= 22
        assert max(float(t) for t in ax.get_xticks()) <= high
    (ax,) = [ax for ax in panels if ax.get_title(loc="left").startswith(area)]
    (edge,) = beyond(ax)
    x, y = np.asarray(edge.get_offsets())[0]
    assert 13 < x < ax.get_xlim()[1]
    assert y == pytest.approx(tickets["duration_days"].iloc[0])
    assert edge.get_paths()[0] != collection(ax, "within").get_paths()[0]  # its own marker
    notes = [t.get_text() for t in drawn_texts(figure) if "80" in t.get_text()]
    assert any("1 ticket" in n for n in notes)
    assert not any(beyond(other) for other in panels if other is not ax)
    # The same on one axes.
    figure, ax = blank_axes()
    plots.PointsVsDaysOverlayDisplay.from_result(result, tickets).plot(ax=ax)
    assert 13 < ax.get_xlim()[1] <= 22 and len(beyond(ax)) == 1
    # The elasticity's (log) points axis too.
    figure = plots.ElasticityDisplay.from_result(result, tickets).plot().figure_
    assert all(ax.get_xlim()[1] <= 30 for ax in visible_axes(figure))


def overlapping(labels, renderer):
    boxes = [label.get_window_extent(renderer) for label in labels
             if label.get_visible() and label.get_text()]
    return [(a, b) for k, a in enumerate(boxes) for b in boxes[k + 1:] if a.overlaps(b)]


@pytest.mark.parametrize("size", [None, (4, 3), (6, 4)])
def test_multiplier_tick_labels_do_not_overlap(result, size):
    display = plots.MultipliersDisplay.from_result(result)
    if size is None:
        figure = display.plot().figure_
    else:
        figure = Figure(figsize=size)
        display.plot(ax=figure.add_subplot())
    # A wide range too: every tick set from x0.25 to x8 is a candidate.
    wide = plots.MultipliersDisplay.from_result(result)
    wide.rows.loc[0, "p10"], wide.rows.loc[0, "p90"] = 0.2, 9.0
    figures = [figure, wide.plot().figure_]
    for figure in figures:
        renderer = draw(figure)
        labels = figure.axes[0].get_xticklabels()
        assert len([t for t in labels if t.get_text()]) >= 3
        assert not overlapping(labels, renderer)


def test_one_area_no_duplicate_rows(one_area):
    _, fitted = one_area
    ax = plots.MultipliersDisplay.from_result(fitted).plot().ax_
    labels = tick_texts(ax.get_yticklabels())
    assert len(labels) == len(fitted.engineer_multipliers)
    assert not lines(ax, "cell-median")
    (medians,) = lines(ax, "engineer-median")
    assert len(medians.get_xdata()) == len(labels)


def test_names_sort_case_insensitively(one_area):
    tickets, fitted = one_area
    expected = ["a $x^2$ b", "Adam", "alice", "Bob", "cost $5"]
    ax = plots.MultipliersDisplay.from_result(fitted).plot().ax_
    assert [label.split(" (")[0] for label in tick_texts(ax.get_yticklabels())] == expected
    for display in (plots.OverrunMapDisplay.from_result(fitted),
                    plots.RecommendedSizesDisplay.from_result(fitted)):
        assert tick_texts(display.plot().ax_.get_yticklabels()) == expected
    right = plots.DataQualityDisplay.from_table(tickets).plot().axes_[1]
    assert tick_texts(right.get_yticklabels()) == expected


def test_passed_small_axes_keep_labels_inside(result, table):
    long = {name: f"{name} Alexandra-Wilhelmina" for name in table.tickets["engineer"].unique()}
    renamed = table.tickets.assign(engineer=table.tickets["engineer"].map(long))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", calibrate.CalibrationWarning)
        fitted = calibrate.Calibrator().fit(renamed).result_
    for make in (lambda: plots.MultipliersDisplay.from_result(fitted, cells=False),
                 lambda: plots.OverrunMapDisplay.from_result(fitted),
                 lambda: plots.PointsVsDaysOverlayDisplay.from_result(result, table)):
        figure = Figure(figsize=(4, 3))
        make().plot(ax=figure.add_subplot())
        renderer = draw(figure)
        inside = figure.bbox.padded(1)
        for text in drawn_texts(figure):
            box = text.get_window_extent(renderer)
            if text.get_clip_on() and text.get_clip_box() is not None:  # drawn clipped
                box = Bbox.intersection(box, text.get_clip_box()) or Bbox.null()
                if box.width <= 0:
                    continue
            assert (inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0
                    and box.y1 <= inside.y1), text.get_text()


def test_multipliers_engineers_and_min_tickets(result):
    people = list(result.engineer_multipliers["engineer"])
    chosen = [people[3], people[0]]
    display = plots.MultipliersDisplay.from_result(result, engineers=chosen, min_tickets=5)
    ax = display.plot().ax_
    bold = [t.get_text().split(" (")[0] for t in ax.get_yticklabels()
            if t.get_fontweight() == "bold"]
    assert bold == chosen
    cells = result.engineer_area_multipliers
    mine = cells[cells["engineer"].isin(chosen)]
    few = mine[mine["n_finished"] < 5]
    assert len(few) > 0
    cell_medians = np.concatenate([line.get_xdata() for line in lines(ax, "cell-median")])
    assert len(cell_medians) == len(mine) - len(few)  # suppressed: no estimate drawn
    np.testing.assert_allclose(np.sort(cell_medians),
                               np.sort(mine.loc[mine["n_finished"] >= 5, "median"]))
    marks = [t for t in ax.texts if t.get_gid() == "too-few"]
    assert len(marks) == len(few) and all("too few tickets" in t.get_text() for t in marks)
    # The overrun map suppresses the same cells.
    grid = plots.OverrunMapDisplay.from_result(result, min_tickets=5).plot().ax_
    patches, _ = grid_cells(grid, "cell-too-few")
    assert len(patches) == (cells["n_finished"] < 5).sum()
    with pytest.raises(ValueError, match="nobody"):
        plots.MultipliersDisplay.from_result(result, engineers=["nobody"])


def test_figures_of_groups_of_engineers_share_the_teams_scale(result):
    # A large team is split over figures; each must read on the same axis.
    people = list(result.engineer_multipliers["engineer"])
    whole = plots.MultipliersDisplay.from_result(result).plot().ax_.get_xlim()
    for group in (people[:2], people[2:]):
        part = plots.MultipliersDisplay.from_result(result, engineers=group).plot().ax_
        np.testing.assert_allclose(part.get_xlim(), whole, rtol=1e-12)
    # The team's range: every interval and raw ratio inside it.
    rows = pd.concat([result.engineer_multipliers, result.engineer_area_multipliers])
    values = rows[["p10", "p90", "raw_ratio"]].to_numpy(dtype=float).ravel()
    values = values[np.isfinite(values)]
    assert whole[0] < values.min() and values.max() < whole[1]


def test_user_text_is_drawn_as_plain_text(one_area):
    tickets, fitted = one_area
    figures = [
        plots.MultipliersDisplay.from_result(fitted).plot().figure_,
        plots.OverrunMapDisplay.from_result(fitted).plot().figure_,
        plots.RecommendedSizesDisplay.from_result(fitted).plot().figure_,
        plots.PointsVsDaysDisplay.from_result(fitted, tickets).plot().figure_,
        plots.ElasticityDisplay.from_result(fitted, tickets).plot().figure_,
        plots.DataQualityDisplay.from_table(tickets).plot().figure_,
    ]
    figure, ax = blank_axes()
    plots.PointsVsDaysOverlayDisplay.from_result(fitted, tickets).plot(ax=ax)
    figures.append(figure)
    for figure in figures:
        renderer = draw(figure)  # no ParseFatalException
        with_dollars = [t for t in drawn_texts(figure) if "$" in t.get_text()]
        assert with_dollars
        for text in with_dollars:
            assert not text.get_parse_math() and not text.get_usetex(), text.get_text()
            # Drawn literally: as wide as the same string without mathtext.
            plain = matplotlib.text.Text(text=text.get_text(), parse_math=False,
                                         fontproperties=text.get_fontproperties(),
                                         figure=figure)
            assert text.get_window_extent(renderer).width == pytest.approx(
                plain.get_window_extent(renderer).width, rel=0.05, abs=2)
    texts = [t.get_text() for t in drawn_texts(figures[0])]
    assert any(t.startswith("a $x^2$ b (") for t in texts)

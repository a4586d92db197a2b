"""The skill-gaps display: what was drawn (bar lengths, labels, texts, the
marked gap, the hiring bars), not pixels."""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from calibrate import CalibrationWarning, Calibrator  # noqa: E402
from calibrate.datasets import simulate_tickets  # noqa: E402
from calibrate.plots import _style  # noqa: E402
from calibrate.plots._skill_gaps import GAP_SHADE, SkillGapsDisplay  # noqa: E402
from calibrate.skill_gaps import SkillGaps  # noqa: E402

MINUS = "\u2212"


def made_by_hand(hiring: bool = True) -> SkillGaps:
    """Three areas: one gap, one covered, one without a verdict."""
    coverage = pd.DataFrame({
        "area": ["data $x$ eng", "ml-engineering", "research"],
        "n_engineers": [6, 7, 5],
        "n_clearly_fast": [0, 3, 1],
        "clearly_fast": ["", "A; B; C", "D"],
        "n_recent_tickets": [50, 80, 4],
        "n_recent_engineers": [4, 6, 2],
        "key_person": ["Tomasz $K$", "B", "D"],
        "key_person_tickets": [31, 20, 3],
        "key_person_share": [31 / 50, 20 / 80, 3 / 4],
        "gap": [True, False, False],
        "verdict": ["gap", "covered", "too few recent tickets"],
        "statement": ["", "", ""],
    })
    table = pd.DataFrame({
        "candidate": ["strong in data", "strong in research"],
        "profile": ["", ""], "start_date": [pd.NaT, pd.NaT], "tickets": [134.0, 134.0],
        "team_days": [400.0, 400.0], "with_hire_days": [360.0, 390.0],
        "saving_days": [40.0, 10.0], "saving_share": [0.1, 0.025],
        "hire_tickets": [20.0, 20.0], "hire_share": [20 / 134, 20 / 134],
        "hire_days": [30.0, 35.0]})
    window = {"weeks": 26.0, "start": pd.Timestamp("2026-01-01"),
              "end": pd.Timestamp("2026-07-01"), "n_tickets": 134}
    return SkillGaps(coverage=coverage, team=list("ABCDEFG"), left_out=[], window=window,
                     confidence=0.8, min_recent_tickets=10,
                     hiring=table if hiring else None,
                     settings={"on": pd.Timestamp("2026-07-01"), "slack": 0.25,
                               "capacity": 24.0, "mix_source": "recent tickets"})


@pytest.fixture(autouse=True)
def no_global_figures():
    """The display never goes through pyplot: no figure is left open."""
    before = set(plt.get_fignums())
    yield
    assert set(plt.get_fignums()) == before


def bars(ax, gid):
    """The bars of a barh with this gid, top to bottom: (width, colour)."""
    found = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_gid() == gid]
    found.sort(key=lambda p: p.get_y())
    return [p.get_width() for p in found], [to_hex(p.get_facecolor()) for p in found]


def texts(ax, gid):
    return [t.get_text() for t in ax.texts if t.get_gid() == gid]


def labels(ax):
    return [t.get_text() for t in ax.get_yticklabels()]


def test_bars_are_the_tables_numbers():
    display = SkillGapsDisplay.from_gaps(made_by_hand()).plot()
    fast, key, hiring = display.axes_
    widths, _ = bars(fast, "clearly-fast")
    assert widths == [0, 3, 1]
    widths, _ = bars(key, "key-person")
    np.testing.assert_allclose(widths, [62.0, 25.0, 75.0], rtol=1e-12)
    widths, colours = bars(hiring, "hiring")
    assert widths == [400.0, 360.0, 390.0]
    assert labels(fast) == ["data $x$ eng", "ml-engineering", "research"]
    assert labels(hiring) == ["team as is", "with strong in data", "with strong in research"]
    assert texts(fast, "count") == [" 3 of 7"]
    assert texts(key, "share") == [" 62% · Tomasz $K$ (31 of 50)", " 25% · B (20 of 80)"]
    assert texts(hiring, "hiring-days") == [
        " 400.0 days", f" 360.0 days · {MINUS}40.0 ({MINUS}10.0%)",
        f" 390.0 days · {MINUS}10.0 ({MINUS}2.5%)"]
    assert "134 tickets on 2026-07-01" in hiring.get_title()


def test_the_gap_is_marked():
    display = SkillGapsDisplay.from_gaps(made_by_hand()).plot()
    fast, key, _ = display.axes_
    for ax in (fast, key):
        shaded = [p for p in ax.patches if p.get_gid() == "gap-row"]
        assert len(shaded) == 1  # only the gap's row, the first
        bottom, height = shaded[0].get_y(), shaded[0].get_height()
        assert (bottom, bottom + height) == pytest.approx((-0.5, 0.5), abs=1e-12)
        assert to_hex(shaded[0].get_facecolor()) == GAP_SHADE.lower()
    assert texts(fast, "gap") == [" no one clearly fast (of 6)"]
    ticks = fast.get_yticklabels()
    assert ticks[0].get_fontweight() == "bold"
    assert to_hex(ticks[0].get_color()) == _style.OVER.lower()
    assert [t.get_fontweight() for t in ticks[1:]] == ["normal", "normal"]
    _, colours = bars(key, "key-person")
    assert colours[0] == _style.OVER.lower() and colours[1] != _style.OVER.lower()


def test_an_area_without_a_verdict_is_grey_with_a_note():
    display = SkillGapsDisplay.from_gaps(made_by_hand()).plot()
    fast, key, _ = display.axes_
    assert texts(fast, "too-few") == [" 1 of 5 · too few recent tickets (4)"]
    _, colours = bars(fast, "clearly-fast")
    assert colours[2] == _style.BAND.lower() and colours[1] != _style.BAND.lower()
    assert fast.get_yticklabels()[2].get_fontstyle() == "italic"
    assert texts(key, "too-few") == [" 75% · D (3 of 4)"]
    assert "under 10 recent tickets" in key.get_xlabel()


def test_without_a_comparison_two_panels():
    display = SkillGapsDisplay.from_gaps(made_by_hand(hiring=False)).plot()
    assert len(display.axes_) == 2
    assert display.figure_.axes == list(display.axes_)
    # Side by side, the right panel shares the left's area labels.
    assert not display.axes_[1].yaxis.get_tick_params()["labelleft"]


def test_on_passed_axes():
    figure = Figure(figsize=(10, 7))
    axes = figure.subplots(3, 1)
    display = SkillGapsDisplay.from_gaps(made_by_hand()).plot(axes=axes)
    assert display.figure_ is figure and display.axes_ == tuple(axes)
    assert labels(axes[1]) == ["data $x$ eng", "ml-engineering", "research"]
    with pytest.raises(ValueError, match="give 3 axes"):
        SkillGapsDisplay.from_gaps(made_by_hand()).plot(axes=axes[:2])
    with pytest.raises(ValueError, match="give 2 axes"):
        SkillGapsDisplay.from_gaps(made_by_hand(hiring=False)).plot(axes=axes)


def test_names_are_plain_text():
    display = SkillGapsDisplay.from_gaps(made_by_hand()).plot()
    figure = display.figure_
    canvas = FigureCanvasAgg(figure)
    canvas.draw()  # no mathtext error
    renderer = canvas.get_renderer()
    drawn = [t for t in figure.findobj(Text) if "$" in t.get_text() and t.get_visible()]
    assert drawn
    for text in drawn:
        assert not text.get_parse_math() and not text.get_usetex()
        plain = Text(text=text.get_text(), parse_math=False,
                     fontproperties=text.get_fontproperties(), figure=figure)
        assert text.get_window_extent(renderer).width == pytest.approx(
            plain.get_window_extent(renderer).width, rel=0.05, abs=2)


def test_from_result_reads_a_fit():
    simulated = simulate_tickets(600, 6, seed=2, history_days=200,
                                 level_effects={"basic": 0.0, "strong": -0.5})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        result = Calibrator().fit(simulated.tickets, skills=simulated.skills).result_
    display = SkillGapsDisplay.from_result(result, simulated.tickets, on="2026-07-01",
                                           candidates={"Ana": {"research": "strong"}})
    assert display.coverage["area"].tolist() == sorted(result.multipliers.areas["area"])
    assert display.hiring["scenario"].tolist() == ["team as is", "Ana"]
    display.plot()
    widths, _ = bars(display.axes_[0], "clearly-fast")
    assert widths == display.coverage["n_clearly_fast"].tolist()

"""The reassignment heat map: what was drawn (cells, texts, colours, labels,
order, the marked engineer), not pixels."""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

import calibrate  # noqa: E402
from calibrate.io.backlog import read_capacity, read_plan  # noqa: E402
from calibrate.plan import ReassignmentCosts, reassignment_costs  # noqa: E402
from calibrate.plots import ReassignmentDisplay  # noqa: E402

SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
#: The sample capacity's engineers, ignoring case and accents, typed by hand.
ENGINEERS_IN_NAME_ORDER = ["Aiko Tanaka", "Daniel Okafor", "Lena Fischer", "Marcus Lindqvist",
                           "Priya Raman", "Rafael Souza", "Tomasz Kowalczyk", "Zoë Müller"]
MINUS = "\u2212"


@pytest.fixture(scope="module")
def plan():
    return read_plan("data/sample/plan.csv")


@pytest.fixture(scope="module")
def costs(plan):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", calibrate.CalibrationWarning)
        result = calibrate.Calibrator().fit(calibrate.read_export(SAMPLE, config=CONFIG)).result_
    return reassignment_costs(result, plan, read_capacity("data/sample/capacity.csv"),
                              draws=500)


@pytest.fixture(autouse=True)
def no_global_figures():
    """The display never goes through pyplot: no figure is left open."""
    before = set(plt.get_fignums())
    yield
    assert set(plt.get_fignums()) == before


def shown(value: float) -> str:
    """A change in days as the cells should read: one decimal, signed, a true minus."""
    if abs(value) < 0.05:
        return "0"
    return ("+" if value > 0 else MINUS) + f"{abs(value):.1f}"


def cells_of(ax):
    """(row, column) -> (patch, text) of every grid cell drawn."""
    patches = {(int(p.get_y()), int(p.get_x())): p for p in ax.patches
               if isinstance(p, Rectangle) and p.get_gid() in ("cell", "current")}
    texts = {(int(t.get_position()[1] - 0.5), int(t.get_position()[0] - 0.5)): t
             for t in ax.texts if t.get_gid() in ("cell-text", "current-text")}
    assert patches.keys() == texts.keys()
    return {key: (patches[key], texts[key]) for key in patches}


def row_tickets(ax):
    return [label.get_text().split(" ")[0] for label in ax.get_yticklabels()]


def column_names(ax):
    return [label.get_text().replace("\n", " ") for label in ax.get_xticklabels()]


def swings_by_hand(table: pd.DataFrame, n: int) -> list[str]:
    """The n tickets with the largest spread of expected days across engineers."""
    spread = {}
    for ticket in dict.fromkeys(table["ticket_id"]):
        days = table.loc[table["ticket_id"] == ticket, "expected_days"].to_numpy(float)
        spread[ticket] = days.max() - days.min()
    ranked = sorted(spread, key=lambda t: -spread[t])  # stable: plan order on ties
    return ranked[:n]


def test_rows_columns_and_cell_values(costs, plan):
    display = ReassignmentDisplay.from_costs(costs, 12)
    ax = display.plot().ax_
    tickets = swings_by_hand(costs.table, 12)
    assert row_tickets(ax) == tickets
    assert column_names(ax) == ENGINEERS_IN_NAME_ORDER
    cells = cells_of(ax)
    assert len(cells) == 12 * len(ENGINEERS_IN_NAME_ORDER)
    owner = dict(zip(plan["ticket_id"], plan["engineer"].fillna(""), strict=True))
    for row in costs.table.itertuples():
        if row.ticket_id not in tickets:
            continue
        i, j = tickets.index(row.ticket_id), ENGINEERS_IN_NAME_ORDER.index(row.to_engineer)
        patch, text = cells[(i, j)]
        if owner[row.ticket_id] == row.to_engineer:
            assert text.get_text() == "now" and patch.get_gid() == "current"
        else:
            assert text.get_text() == shown(row.delta_expected_days), row
            assert patch.get_gid() == "cell"


def test_the_current_engineer_is_marked_once_per_assigned_ticket(costs, plan):
    ax = ReassignmentDisplay.from_costs(costs, 14).plot().ax_
    tickets = row_tickets(ax)
    assert sorted(tickets) == sorted(plan["ticket_id"])  # every ticket when n >= the plan
    outlines = [p for p in ax.patches if p.get_gid() == "current-outline"]
    marked = {int(p.get_y()): int(p.get_x()) for p in outlines}
    owner = dict(zip(plan["ticket_id"], plan["engineer"].fillna(""), strict=True))
    assigned = [t for t in tickets if owner[t]]
    assert len(outlines) == len(marked) == len(assigned) == 13
    for i, ticket in enumerate(tickets):
        if owner[ticket]:
            assert marked[i] == ENGINEERS_IN_NAME_ORDER.index(owner[ticket]), ticket
        else:
            assert i not in marked  # ML-911 is unassigned: nothing to mark
    labels = [label.get_text() for label in ax.get_yticklabels()]
    assert [label for label in labels if "(unassigned)" in label] == ["ML-911 (unassigned)"]
    assert "new team member" in ax.get_xlabel()


def test_colours_diverge_from_zero(costs):
    display = ReassignmentDisplay.from_costs(costs, 12)
    ax = display.plot().ax_
    cmap = matplotlib.colormaps["RdBu_r"]
    deltas = display.cells["delta_expected_days"].to_numpy(float)
    limit = max(0.5, np.ceil(np.abs(deltas).max() * 2) / 2)
    matrix = costs.matrix("delta_expected_days")
    for (i, j), (patch, _) in cells_of(ax).items():
        delta = matrix.loc[display.tickets[i], display.engineers[j]]
        # Centred on 0: the same change up or down has the same strength of colour.
        np.testing.assert_allclose(patch.get_facecolor(), cmap(0.5 + delta / (2 * limit)),
                                   atol=1 / 255)
        red, _, blue, _ = patch.get_facecolor()
        if delta > 0.05:
            assert red > blue
        elif delta < -0.05:
            assert blue > red
    bar = [a for a in ax.figure.axes if a is not ax]
    assert len(bar) == 1 and bar[0].get_ylim() == pytest.approx((-limit, limit))


def test_titles_passed_axes_and_n(costs, plan):
    titles = dict(zip(plan["ticket_id"], plan["title"], strict=True))
    figure = Figure(figsize=(10, 6))
    ax = figure.add_subplot()
    display = ReassignmentDisplay.from_costs(costs, 3, titles=titles).plot(ax=ax)
    assert display.figure_ is figure and display.ax_ is ax
    labels = [label.get_text() for label in ax.get_yticklabels()]
    # The id and the title's start, cut to a row label's width.
    assert labels[0].startswith("ML-904 · Uncertainty") and labels[0].endswith("…")
    assert len(labels[0]) <= 26
    assert len(labels) == 3 and len(cells_of(ax)) == 3 * len(ENGINEERS_IN_NAME_ORDER)
    assert "3 of 14 tickets" in ax.get_xlabel()
    with pytest.raises(ValueError, match="at least 1"):
        ReassignmentDisplay.from_costs(costs, 0)


def test_names_and_titles_are_drawn_as_plain_text(costs):
    table = costs.table.assign(to_engineer=costs.table["to_engineer"].str.replace(
        "Priya Raman", "Priya $x^2$"), from_engineer=costs.table["from_engineer"].str.replace(
        "Priya Raman", "Priya $x^2$"))
    odd = ReassignmentCosts(table=table, engineers=[e.replace("Priya Raman", "Priya $x^2$")
                                                    for e in costs.engineers],
                            p_plan_fits=costs.p_plan_fits, budget_days=costs.budget_days,
                            draws=costs.draws, seed=costs.seed)
    figure = ReassignmentDisplay.from_costs(odd, titles={"ML-904": "a $ lone dollar"}).plot(
        ).figure_
    FigureCanvasAgg(figure).draw()  # no mathtext parse error
    texts = [t for t in figure.findobj(matplotlib.text.Text) if "$" in t.get_text()]
    assert texts and all(not t.get_parse_math() for t in texts)


# -- invariants on random plans -----------------------------------------------------------------

@st.composite
def random_costs(draw):
    """A ReassignmentCosts of a random plan: random expected days per ticket
    and engineer, each ticket with an engineer or unassigned."""
    engineers = draw(st.lists(st.sampled_from(["ann", "Bob", "Émile", "dave", "Zed"]),
                              min_size=1, max_size=4, unique=True))
    n_tickets = draw(st.integers(1, 6))
    days = st.floats(0.2, 9.0, allow_nan=False)
    rows = []
    for k in range(n_tickets):
        owner = draw(st.sampled_from(["", *engineers]))
        expected = {e: draw(days) for e in engineers}
        base = expected[owner] if owner else draw(days)
        for e in engineers:
            rows.append({"ticket_id": f"T-{k}", "from_engineer": owner, "to_engineer": e,
                         "expected_days": expected[e],
                         "delta_expected_days": 0.0 if e == owner else expected[e] - base})
    return ReassignmentCosts(table=pd.DataFrame(rows), engineers=engineers, p_plan_fits=0.5,
                             budget_days=3.0, draws=100, seed=0)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(costs=random_costs(), n=st.integers(1, 8))
def test_every_shown_ticket_has_a_cell_per_engineer_and_one_mark_if_assigned(costs, n):
    display = ReassignmentDisplay.from_costs(costs, n).plot()
    ax = display.ax_
    tickets = swings_by_hand(costs.table, n)
    assert row_tickets(ax) == tickets
    assert column_names(ax) == sorted(costs.engineers, key=lambda e: e.casefold()
                                      .replace("é", "e"))
    cells = cells_of(ax)
    assert len(cells) == len(tickets) * len(costs.engineers)
    owners = costs.table.drop_duplicates("ticket_id").set_index("ticket_id")["from_engineer"]
    marks = [key for key, (patch, _) in cells.items() if patch.get_gid() == "current"]
    assert len(marks) == sum(owners[t] != "" for t in tickets)
    for i, j in marks:
        assert owners[tickets[i]] == display.engineers[j]

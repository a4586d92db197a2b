"""What handing a ticket to someone else changes: a ticket x engineer heat map."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter

from calibrate._names import sorted_names
from calibrate.plots import _style
from calibrate.plots._grids import _colour_bar

__all__ = ["ReassignmentDisplay"]

#: The label of a row whose ticket nobody has yet.
UNASSIGNED = "(unassigned)"


def signed_days(value: float) -> str:
    """A change in days as a cell shows it: "+1.2", "−0.8" (a true minus), "0"."""
    if round(value, 1) == 0:
        return "0"
    return f"{value:+.1f}".replace("-", "\u2212")


@dataclass(kw_only=True, eq=False, repr=False)
class ReassignmentDisplay:
    """Ticket x engineer heat map: the change in a ticket's expected working
    days if it moved to each engineer.

    Rows are the ``n`` tickets whose expected days depend most on who does
    them (the largest swing between the fastest and the slowest engineer
    first, :meth:`~calibrate.plan.ReassignmentCosts.largest_swings`);
    columns are the engineers, in :func:`~calibrate._names.name_key` order.
    Each cell shows the change in expected working days against the
    engineer the plan gives the ticket: blue fewer, red more, on a colour
    scale centred on 0. That engineer's cell is outlined and reads "now". A
    ticket the plan leaves unassigned is compared with a new team member
    (an engineer the history has never seen) and has no outlined cell.

    ``from_costs`` reads the changes; ``plot`` draws them and sets
    ``figure_`` and ``ax_`` (the grid: the colour bar has axes of its own).
    """

    #: One row per shown ticket x engineer: ``ticket_id``, ``engineer``,
    #: ``delta_expected_days``.
    cells: pd.DataFrame
    #: The shown tickets, top to bottom (largest swing first).
    tickets: list[str]
    #: The columns.
    engineers: list[str]
    #: Each shown ticket's engineer in the plan (``""``: unassigned).
    current: dict[str, str]
    #: Each shown ticket's row label: its id, then its title when known.
    labels: dict[str, str]
    #: How many tickets the plan has (the rows are the ``len(tickets)`` of them
    #: with the largest swings).
    n_plan_tickets: int

    @classmethod
    def from_costs(cls, costs, n: int = 12, *,
                   titles: Mapping[str, str] | None = None) -> ReassignmentDisplay:
        """The changes from a :class:`~calibrate.plan.ReassignmentCosts`.

        Parameters
        ----------
        costs : ReassignmentCosts
            From :func:`calibrate.plan.reassignment_costs`.
        n : int, default 12
            Show the ``n`` tickets with the largest swings.
        titles : mapping of ticket id to title, optional
            Shown after each ticket's id.

        Examples
        --------
        >>> import pandas as pd
        >>> from calibrate import Calibrator, read_export
        >>> from calibrate.plan import reassignment_costs
        >>> from calibrate.plots import ReassignmentDisplay
        >>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
        >>> result = Calibrator().fit(read_export(SAMPLE, config=CONFIG)).result_
        >>> costs = reassignment_costs(result, pd.read_csv("data/sample/plan.csv"), draws=500)
        >>> display = ReassignmentDisplay.from_costs(costs, n=5)
        >>> display.tickets
        ['ML-904', 'ML-913', 'ML-901', 'ML-902', 'ML-911']
        >>> type(display.plot().figure_).__name__
        'Figure'
        """
        if n < 1:
            raise ValueError(f"n must be at least 1 ticket, not {n!r}")
        table = costs.table
        tickets = [str(t) for t in costs.largest_swings(n)["ticket_id"]]
        shown = table[table["ticket_id"].astype(str).isin(tickets)]
        cells = pd.DataFrame({"ticket_id": shown["ticket_id"].astype(str),
                              "engineer": shown["to_engineer"].astype(str),
                              "delta_expected_days": shown["delta_expected_days"].astype(float)}
                             ).reset_index(drop=True)
        owners = table.drop_duplicates("ticket_id").set_index(
            table.drop_duplicates("ticket_id")["ticket_id"].astype(str))["from_engineer"]
        current = {ticket: str(owners[ticket]) for ticket in tickets}
        titles = titles or {}
        labels = {}
        for ticket in tickets:
            title = str(titles.get(ticket, "") or "").strip()
            unassigned = f" {UNASSIGNED}" if current[ticket] == "" else ""
            labels[ticket] = f"{ticket}{unassigned}" + (f" · {title}" if title else "")
        return cls(cells=cells, tickets=tickets, engineers=sorted_names(costs.engineers),
                   current=current, labels=labels,
                   n_plan_tickets=int(table["ticket_id"].nunique()))

    def plot(self, ax: Axes | None = None) -> ReassignmentDisplay:
        """Draw on ``ax`` (by default a new figure sized to the grid)."""
        deltas = self.cells["delta_expected_days"].to_numpy(dtype=float)
        largest = float(np.nanmax(np.abs(deltas))) if len(deltas) else 0.0
        limit = max(0.5, math.ceil(largest * 2) / 2)  # symmetric: 0 is the middle colour
        norm = Normalize(-limit, limit)
        cmap = mpl.colormaps["RdBu_r"]  # blue fewer days, red more; reads in greyscale
        size = _style.label_size(len(self.tickets))
        own = ax is None
        with _style.applied():
            figure, ax = _style.own_axes(ax, *_style.grid_size(len(self.tickets),
                                                                len(self.engineers)))
            _style.grid_axes(ax, [self.labels[t] for t in self.tickets], self.engineers)
            for row in self.cells.itertuples():
                i, j = self.tickets.index(row.ticket_id), self.engineers.index(row.engineer)
                face = cmap(norm(row.delta_expected_days))
                now = self.current[row.ticket_id] == row.engineer
                _style.cell(ax, i, j, face=face, gid="current" if now else "cell",
                            text="now" if now else signed_days(row.delta_expected_days),
                            text_colour=_style.text_colour(face), size=size,
                            weight="bold" if now else "normal")
                if now:  # outlined, inside the cell so neighbours do not cover it
                    ax.add_patch(Rectangle((j + 0.06, i + 0.06), 0.88, 0.88, fill=False,
                                           edgecolor=_style.INK, linewidth=2,
                                           gid="current-outline"))
            bar = _colour_bar(figure, ax, norm, cmap,
                              format=FuncFormatter(lambda v, _: signed_days(v)))
            bar.set_label("change in expected working days", fontsize=9)
            ax.set_title(_style.fit(
                ax, "What handing a ticket to someone else changes: expected working days"),
                pad=8)
            note = (f"the {len(self.tickets)} of {self.n_plan_tickets} tickets whose days "
                    "depend most on who does them · outlined \"now\": the engineer in the "
                    "plan · blue: fewer days, red: more")
            if any(owner == "" for owner in self.current.values()):
                note += f" · {UNASSIGNED}: compared with a new team member"
            ax.set_xlabel(_style.fit(ax, note, 8.5), fontsize=8.5, color=_style.MUTED)
            _style.plain_text(*([figure] if own else [ax, bar.ax]))
        self.figure_, self.ax_ = figure, ax
        return self

"""``[people] names``: one name per person across exports (see :func:`apply_people_names`)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import replace

import pandas as pd

from calibrate.config import Config, person_key
from calibrate.tickets import TicketTable

#: How many renamed people a note lists by name.
_LISTED = 5


def reads_people_names(reader: Callable[..., TicketTable]) -> Callable[..., TicketTable]:
    """A reader whose table gets its settings' ``[people] names`` as its last
    step (:func:`apply_people_names`): every reader, called directly or
    through :func:`calibrate.io.read_export`, names people alike."""

    @functools.wraps(reader)
    def read(path, config: Config | None = None, as_of=None, progress=None) -> TicketTable:
        table = reader(path, config=config, as_of=as_of, progress=progress)
        return apply_people_names(table, (config or Config()).people_names)

    return read


def apply_people_names(table: TicketTable, names: Mapping[str, str]) -> TicketTable:
    """The table with every engineer the names map (keys compared by
    :func:`~calibrate.config.person_key`) given the name kept.

    Exports name one person differently (Linear by e-mail, GitLab by
    username, Jira by display name); mapped to one name, a skills file and
    the multipliers serve every export. The ticket and exclusion tables are
    both renamed, a note says who was renamed, and the old name stays one
    of the person's names (``people``), so pseudonymising still finds it in
    free text.

    Examples
    --------
    >>> from calibrate.io import read_export
    >>> table = read_export("data/sample/linear_export.csv")
    >>> email = table.tickets["engineer"].iloc[0]
    >>> renamed = apply_people_names(table, {email.upper(): "Someone Else"})
    >>> renamed.tickets["engineer"].iloc[0]
    'Someone Else'
    """
    if not names:
        return table
    kept = {person_key(given): name for given, name in names.items()}
    found = pd.concat([table.tickets["engineer"], table.excluded["engineer"]]).dropna().unique()
    renames = {str(name): kept[person_key(name)] for name in found
               if person_key(name) in kept and kept[person_key(name)] != name}
    if not renames:
        return table

    def renamed(frame: pd.DataFrame) -> pd.DataFrame:
        engineer = frame["engineer"]
        mapped = engineer.map(renames)
        return frame.assign(engineer=mapped.where(mapped.notna(), engineer).astype(engineer.dtype))

    listed = ", ".join(f"{old!r} as {new!r}" for old, new in sorted(renames.items())[:_LISTED])
    more = len(renames) - _LISTED
    note = (f"{len(renames)} name(s) read as the name [people] names gives: {listed}"
            + (f" and {more} more" if more > 0 else ""))
    return replace(table, tickets=renamed(table.tickets), excluded=renamed(table.excluded),
                   notes=[*table.notes, note], people=_people(table.people, renames))


def _people(people: list[tuple[str, ...]], renames: dict[str, str]) -> list[tuple[str, ...]]:
    """Every person's names, the name kept first (as ``engineer`` holds it)
    and the old one among the others."""
    result = []
    seen = set()
    for names in people:
        first = names[0] if names else None
        if first in renames:
            names = (renames[first], *names)
            seen.add(first)
        result.append(tuple(names))
    result += [(new, old) for old, new in renames.items() if old not in seen]
    return result

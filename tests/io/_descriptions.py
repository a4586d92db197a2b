"""What the reader tests of descriptions share: reading an export while
watching what the text classifier of ``[areas] classify`` is given, and
checking that no description reaches the table, its notes or the files
written from it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from calibrate.config import Config
from calibrate.io import _assemble, read_export, write_tickets
from calibrate.tickets import TicketTable


def read_classified(monkeypatch, path: str | Path, config: Config | None = None, *,
                    classify: bool = True, **options) -> tuple[TicketTable, dict]:
    """Read ``path`` (with ``[areas] classify`` on unless ``classify`` is
    False), and return the table and the description of each ticket as the
    classifier got it (by ticket id, its first row; None when empty).
    Without the classifier, what the assembly was staged with."""
    config = (config or Config()).with_changes(area_classify=classify)
    staged: list[pd.DataFrame] = []
    given: list[pd.DataFrame] = []
    # (The functions themselves, also when an earlier call of this test watches them.)
    assign = getattr(_assemble._assign_areas, "__wrapped__", _assemble._assign_areas)
    classify_areas = getattr(_assemble.classify_areas, "__wrapped__", _assemble.classify_areas)

    def watch_assign(frame, *args, **kwargs):
        staged.append(frame[["ticket_id", "description"]].copy())
        return assign(frame, *args, **kwargs)

    def watch_classify(texts, *args, **kwargs):
        given.append(texts.copy())
        return classify_areas(texts, *args, **kwargs)

    watch_assign.__wrapped__, watch_classify.__wrapped__ = assign, classify_areas
    monkeypatch.setattr(_assemble, "_assign_areas", watch_assign)
    monkeypatch.setattr(_assemble, "classify_areas", watch_classify)
    table = read_export(path, config=config, **options)
    (frame,) = staged
    if classify:
        (texts,) = given
        assert texts.index.equals(frame.index)
        assert list(texts.columns) == ["title", "description"]
        frame = frame.assign(description=texts["description"])
    else:
        assert not given
    descriptions = frame["description"].astype(object).where(frame["description"].notna(), None)
    described: dict = {}
    for ticket, description in zip(frame["ticket_id"], descriptions, strict=True):
        described.setdefault(ticket, description)
    return table, described


def check_nowhere(table: TicketTable, texts: list[str], directory: Path) -> None:
    """None of ``texts`` (parts of descriptions found in no other field) is in
    the table's cells or notes, nor in the tickets and exclusions files
    written from it; and the table has no description column."""
    assert texts, "nothing to look for"
    for frame in (table.tickets, table.excluded):
        assert "description" not in frame.columns
    written = [write_tickets(table.tickets, directory / "tickets.csv"),
               write_tickets(table.excluded, directory / "excluded.csv")]
    shown = "\n".join([*table.notes, *(path.read_text(encoding="utf-8") for path in written),
                       table.tickets.to_csv(), table.excluded.to_csv()])
    for text in texts:
        assert text not in shown

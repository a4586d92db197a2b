"""Sharing results without naming people: stable pseudonyms.

:func:`pseudonymize` replaces every engineer's name in a ticket table by a
pseudonym such as ``Engineer K4TQ``, before anything is fitted, so no real
name reaches a report, a table or a multipliers file. Pseudonyms are stable:
the same name and key always give the same pseudonym, so reports made at
different times can be compared (change the key to unlink them).

Names also appear inside text (a title like "Pair with Priya Raman on the
loader"): the full name, an e-mail's local part and each part of a name of
three letters or more are replaced wherever they stand as whole words in
the text columns. That cannot catch a nickname; check free text before
sharing it.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re

import pandas as pd

from calibrate.tickets import TicketTable

__all__ = ["pseudonym", "pseudonymize"]

_TEXT_COLUMNS = ("title", "labels", "components", "epic", "sprints", "status", "detail")


def pseudonym(name: str, key: str = "calibrate") -> str:
    """The stable pseudonym of one name.

    Examples
    --------
    >>> from calibrate.privacy import pseudonym
    >>> pseudonym("Priya Raman") == pseudonym("Priya Raman")
    True
    >>> pseudonym("Priya Raman").startswith("Engineer ")
    True
    """
    digest = hashlib.sha256(f"{key}\x00{name}".encode()).digest()
    return "Engineer " + base64.b32encode(digest).decode()[:4]


def pseudonymize(table: TicketTable, key: str = "calibrate") -> tuple[TicketTable, dict[str, str]]:
    """A copy of ``table`` with engineers' names replaced by pseudonyms.

    Parameters
    ----------
    table : TicketTable
    key : str
        Secret mixed into the pseudonyms; the same key gives the same
        pseudonyms.

    Returns
    -------
    (TicketTable, dict)
        The pseudonymized table and the mapping from name to pseudonym (keep
        it private: it is the only link back to the names).

    Examples
    --------
    >>> from calibrate import read_export
    >>> from calibrate.privacy import pseudonymize
    >>> table = read_export("data/sample/jira_changelog.json")
    >>> private, mapping = pseudonymize(table)
    >>> "Priya Raman" in set(private.tickets["engineer"])
    False
    """
    names = pd.concat([table.tickets["engineer"], table.excluded["engineer"]]).dropna()
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for name in sorted(set(names)):
        alias = pseudonym(name, key)
        extra = 0
        while alias in used:  # a collision of the short digest: lengthen it
            extra += 1
            alias = pseudonym(f"{name}\x00{extra}", key)
        used.add(alias)
        mapping[name] = alias
    replace = _text_replacer(mapping)

    def scrub(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame["engineer"] = frame["engineer"].map(
            lambda v: mapping.get(v, v) if isinstance(v, str) else v).astype(
            frame["engineer"].dtype)
        for column in _TEXT_COLUMNS:
            if column in frame:
                frame[column] = frame[column].map(
                    lambda v: replace(v) if isinstance(v, str) else v).astype(
                    frame[column].dtype)
        return frame

    scrubbed = dataclasses.replace(
        table, tickets=scrub(table.tickets), excluded=scrub(table.excluded),
        notes=[replace(note) for note in table.notes])
    return scrubbed, mapping


def _text_replacer(mapping: dict[str, str]):
    """A function that replaces names (and their parts) inside free text."""
    variants: dict[str, str] = {}
    for name, alias in mapping.items():
        variants[name] = alias
        local = name.split("@", 1)[0]
        variants[local] = alias
        for part in re.split(r"[\s._@-]+", local):
            if len(part) >= 3:
                variants.setdefault(part, alias)
    if not variants:
        return lambda text: text
    # Longest first, so a full name is replaced before its parts.
    ordered = sorted(variants, key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(v) for v in ordered) + r")(?!\w)",
                         re.IGNORECASE)
    lowered = {k.lower(): v for k, v in variants.items()}
    return lambda text: pattern.sub(lambda m: lowered[m.group(0).lower()], text)

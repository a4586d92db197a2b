"""Sharing results without naming people: keyed pseudonyms, names scrubbed from text.

:func:`pseudonymize` replaces every engineer by a pseudonym such as
``Engineer K4TQ`` before anything is fitted, and scrubs every known form of
every known person's name from the table's text, so the report, the data
files and the terminal show no name the export gave.

Who is known
    Every value of the ``engineer`` column (of kept and excluded rows), and
    every person a reader recorded in :attr:`TicketTable.people
    <calibrate.tickets.TicketTable.people>`: the GitLab reader records each
    assignee's and author's username *and* display name (a GitLab engineer
    is a username, while titles say "Update Jane Doe's readme"). The other
    readers record nobody beyond the engineer column, so a Jira reporter or
    changelog author who never had a ticket assigned, and anyone the export
    does not name as a person (a colleague mentioned only in a title), is
    **not** known and not replaced.

Where
    Every text column of the tickets and of the excluded rows except
    ``ticket_id`` (kept so tickets can be looked up; a personal GitLab
    namespace in ``user/project#42`` stays) and the fixed vocabularies
    ``clock`` and ``reason``: title, issue type, area, labels, components,
    epic, sprints, status, detail. Also the reading notes and the export's
    path (``TicketTable.path``, which the report and the terminal show).
    The same value is always replaced the same way, so an area named
    "Jane's squad" is still one area.

Which forms
    Names are compared after folding: case, accents (``é`` = ``e``, NFKD),
    ``ß`` = ``ss``, ``ø ł æ œ đ`` = ``o l ae oe d``, German ``ü`` = ``ue``,
    curly and straight apostrophes, dashes. A display name such as "Renée
    O’Connor-Weiß" (a status after " - ", " | " or "(" is ignored) or a
    username such as "renee.oconnor" is split into its words; the whole
    sequence, the first and last words, and the first word with any other
    word are found with any separator between them (space, ``.``, ``_``,
    ``-``, ``'``, ``,`` or none: "renee.oconnor", "ReneeOConnor",
    "renee_o_connor"), also as an e-mail address with any domain, and are
    replaced by the person's pseudonym. The last and first words in reverse
    ("Raman, Priya") are too. Each single word of three letters or more
    ("Renée", "Weiß", "Connor"), and each part of a name written as one
    ("O'Connor", "Müller-Lüdke"), is replaced wherever it stands alone:
    by the person's pseudonym, or by ``[name]`` when two known people share
    it — also when it is an ordinary word ("Mark", "Gray", "Post").
    Shorter words ("Al", "Li", "Jo") are replaced only within a longer
    form. When a display name is known, the words of the username are not
    taken alone (``cwoolley-gitlab`` would wipe "gitlab"); nor are the
    words of accounts that are not people (bots, "Inactive Account").
    Matches are whole words: a letter or digit on either side prevents one
    ("Priya2" stays). If replacing names would merge two areas, the second
    gets a number ("Engineer K4TQ's squad (2)"), so the model still sees
    the same areas.

Not replaced
    Nicknames and other spellings not derived from a known name ("Bobby"
    for Robert, "JD", initials), transliterations from other scripts, names
    of people the export does not name as people (see above), ticket ids,
    and anything not in the table: comments are not read at all, and
    descriptions only by the area classifier (``[areas] classify``), never
    written to any output. Check free text before sharing it.

The key
    Pseudonyms are keyed: the same name and key give the same pseudonym, so
    reports made with one key can be compared; anyone with the key and a
    list of candidate names can undo them, so :func:`pseudonymize` draws a
    random key (:func:`random_key`) unless one is passed, and a stable key
    is an explicit choice to keep private.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import re
import secrets
import unicodedata
from collections.abc import Callable
from pathlib import PurePath

import pandas as pd

from calibrate.tickets import TicketTable

__all__ = ["PARTIAL", "Pseudonyms", "pseudonym", "pseudonymize", "random_key"]

#: What replaces a form of a name that several known people share.
PARTIAL = "[name]"

#: Columns left as they are: ids and fixed vocabularies.
_KEPT_COLUMNS = frozenset({"ticket_id", "engineer", "clock", "reason", "area_source"})
#: Accounts that are not people: their words are not replaced on their own.
_NOT_PEOPLE = frozenset({"ghost user", "inactive account", "deleted user", "automation for jira",
                         "system", "unassigned", "none"})
_APOSTROPHES = "\u2019\u2018\u02bc\u02b9\u0060\u00b4\u2032\uff07"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"
_SPECIAL = {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "æ": "ae", "œ": "oe", "þ": "th",
            "ı": "i", "ħ": "h", "ŧ": "t"}
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
#: Between the words of a name: any run of these (or nothing).
_SEPARATOR = r"[\s._'\-,]*"
#: An e-mail domain after a name.
_DOMAIN = r"(?:@[^\W_][\w-]*(?:\.[\w-]+)+)?"
#: The end of a match: no letter or digit follows.
_END = r"(?![^\W_])"
_WORD = re.compile(r"[^\W_]+")
#: A display name's status suffix: "Jane Doe - OOO until May", "Jane Doe (away)".
_STATUS = re.compile(r"\s+[-|–—]\s+.*$|\s*[(\[].*$")


def random_key() -> str:
    """A fresh random key for :func:`pseudonymize` (from :mod:`secrets`).

    Examples
    --------
    >>> from calibrate.privacy import random_key
    >>> random_key() != random_key()
    True
    """
    return secrets.token_urlsafe(16)


def pseudonym(name: str, key: str) -> str:
    """The pseudonym of one name under ``key``.

    Examples
    --------
    >>> from calibrate.privacy import pseudonym
    >>> pseudonym("Priya Raman", "k") == pseudonym("Priya Raman", "k")
    True
    >>> pseudonym("Priya Raman", "k").startswith("Engineer ")
    True
    """
    digest = hashlib.sha256(f"{key}\x00{name}".encode()).digest()
    return "Engineer " + base64.b32encode(digest).decode()[:4]


class Pseudonyms(dict):
    """The mapping from every known name to its pseudonym (keep it private:
    with the key, it is the link back to the names).

    Attributes
    ----------
    key : str
        The key the pseudonyms were made with (a random one unless one was
        passed to :func:`pseudonymize`).
    """

    def __init__(self, mapping: dict[str, str], key: str,
                 scrub: Callable[[str], str]) -> None:
        super().__init__(mapping)
        self.key = key
        self._scrub = scrub

    def text(self, text: str) -> str:
        """``text`` with every known form of every known name replaced."""
        return self._scrub(text)

    def path(self, path: str | PurePath) -> str:
        """A path, for display, with the names in it replaced
        (``/home/jdoe/jane_doe.csv`` -> ``/home/Engineer K4TQ/Engineer K4TQ.csv``)."""
        return self._scrub(str(path))


def pseudonymize(table: TicketTable, key: str | None = None) -> tuple[TicketTable, Pseudonyms]:
    """A copy of ``table`` with every known person's names replaced.

    The engineers become pseudonyms (``Engineer K4TQ``); every known form of
    every known name is replaced in the text columns, the notes and the
    path (the module docstring lists exactly what is and is not replaced).

    Parameters
    ----------
    table : TicketTable
    key : str, optional
        Secret mixed into the pseudonyms: the same key gives the same
        pseudonyms. Without one, a random key is drawn (it is the returned
        mapping's ``key``), so pseudonyms differ from run to run.

    Returns
    -------
    (TicketTable, Pseudonyms)
        The pseudonymized table (its ``people`` emptied) and the mapping
        from each known name to its pseudonym, with the key used.

    Examples
    --------
    >>> from calibrate import read_export
    >>> from calibrate.privacy import pseudonymize
    >>> table = read_export("data/sample/jira_changelog.json")
    >>> private, mapping = pseudonymize(table)
    >>> "Priya Raman" in set(private.tickets["engineer"])
    False
    >>> pseudonymize(table, mapping.key)[1] == mapping
    True
    """
    if key is None:
        key = random_key()
    identities = _identities(table)
    mapping: dict[str, str] = {}
    aliases: list[str] = []
    used: set[str] = set()
    for identity in identities:
        alias = pseudonym(identity.canonical, key)
        extra = 0
        while alias in used:  # a collision of the short digest: draw again
            extra += 1
            alias = pseudonym(f"{identity.canonical}\x00{extra}", key)
        used.add(alias)
        aliases.append(alias)
    owners: dict[str, set[int]] = {}
    for number, identity in enumerate(identities):
        for name in identity.names:
            owners.setdefault(name, set()).add(number)
    for name, numbers in owners.items():
        if len(numbers) == 1:
            mapping[name] = aliases[next(iter(numbers))]
    engineer_alias = {name: aliases[number] for number, identity in enumerate(identities)
                      for name in identity.engineers}
    scrub = _text_scrubber(identities, aliases)

    def scrub_frame(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        if "engineer" in frame:
            frame["engineer"] = frame["engineer"].map(
                lambda v: engineer_alias.get(v, v) if isinstance(v, str) else v).astype(
                frame["engineer"].dtype)
        for column in frame.columns:
            series = frame[column]
            if column in _KEPT_COLUMNS or not (pd.api.types.is_string_dtype(series)
                                               or series.dtype == object):
                continue
            distinct = {v: scrub(v) for v in series.dropna().unique() if isinstance(v, str)}
            if column == "area":
                distinct = _kept_apart(distinct)
            frame[column] = series.map(
                lambda v, new=distinct: new.get(v, v) if isinstance(v, str) else v
            ).astype(series.dtype)
        return frame

    scrubbed = dataclasses.replace(
        table, tickets=scrub_frame(table.tickets), excluded=scrub_frame(table.excluded),
        notes=[scrub(note) for note in table.notes], path=scrub(str(table.path)), people=[])
    return scrubbed, Pseudonyms(mapping, key, scrub)


def _kept_apart(replaced: dict[str, str]) -> dict[str, str]:
    """``replaced`` with values that two originals share told apart
    (``[name]'s squad``, ``[name]'s squad (2)``), so that no two areas merge."""
    seen: dict[str, int] = {}
    result = {}
    for original in sorted(replaced, key=lambda v: (replaced[v] != v, v)):
        value = replaced[original]
        count = seen.get(value, 0) + 1
        seen[value] = count
        result[original] = value if count == 1 else f"{value} ({count})"
    return result


# ------------------------------------------------------------------ identities


@dataclasses.dataclass
class _Identity:
    """One person: the name their pseudonym is drawn from, the engineer
    values that are them, and every name they go by."""

    canonical: str
    engineers: list[str]
    names: list[str]


def _identities(table: TicketTable) -> list[_Identity]:
    """Every known person: each recorded person (merged by identifier), and
    each engineer value, attached to the recorded person it names (by
    identifier, else by a display name only that person has)."""
    by_id: dict[str, list[str]] = {}
    for person in getattr(table, "people", None) or []:
        names = [n for n in (str(p).strip() for p in person if p is not None) if n]
        if names:
            known = by_id.setdefault(names[0], [names[0]])
            known.extend(n for n in names[1:] if n not in known)
    other_names: dict[str, set[str]] = {}
    for ident, names in by_id.items():
        for name in names[1:]:
            other_names.setdefault(name, set()).add(ident)
    engineers: dict[str, list[str]] = {}
    values = pd.concat([table.tickets["engineer"], table.excluded["engineer"]]).dropna()
    for value in sorted({v.strip() for v in values if isinstance(v, str)} - {""}):
        if value in by_id:
            owner = value
        elif len(other_names.get(value, ())) == 1:
            owner = next(iter(other_names[value]))
        else:
            owner = value
            by_id.setdefault(value, [value])
        engineers.setdefault(owner, []).append(value)
    # (also the raw, unstripped values, which the engineer column holds)
    raw = {v for v in values if isinstance(v, str)}
    identities = []
    for ident in sorted(by_id):
        own = engineers.get(ident, [])
        exact = sorted(v for v in raw if v.strip() in own)
        identities.append(_Identity(canonical=own[0] if own else ident, engineers=exact,
                                    names=by_id[ident]))
    return identities


# ------------------------------------------------------------------ folding


@functools.lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    """One character as names are compared: casefolded, accents dropped."""
    if char in _APOSTROPHES:
        return "'"
    if char in _DASHES:
        return "-"
    folded = char.casefold()
    folded = "".join(_SPECIAL.get(c, c) for c in folded)
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _fold(text: str) -> tuple[str, list[int] | None]:
    """``text`` folded, and for each folded character the position of the
    character it came from (None: the same positions, for ASCII text)."""
    if text.isascii():
        return text.lower(), None
    parts: list[str] = []
    origin: list[int] = []
    for position, char in enumerate(text):
        folded = _fold_char(char)
        parts.append(folded)
        origin.extend([position] * len(folded))
    return "".join(parts), origin


def _fold_name(name: str) -> str:
    return _fold(name)[0]


def _words(name: str) -> list[list[str]]:
    """The words of a name, each with its spellings (plain, and German
    ``ü`` = ``ue``)."""
    plain = _WORD.findall(_fold_name(name))
    german = _WORD.findall(_fold_name(name.translate(_GERMAN)))
    if len(german) != len(plain):
        german = plain
    return [sorted({p, g}, key=len, reverse=True) for p, g in zip(plain, german, strict=True)]


# ------------------------------------------------------------------ forms


@dataclasses.dataclass(frozen=True)
class _Form:
    """One way a name can be written: a pattern on folded text, matched
    at the start of a word, and what replaces it (the longest match wins;
    a full name before a part)."""

    first: tuple[str, ...]  # spellings of its first word
    pattern: re.Pattern
    full: int               # 1: a full name (its pseudonym), 0: a part ([name])
    replacement: str


def _name_forms(name: str) -> tuple[list[list[list[str]]], list[list[list[str]]]]:
    """The word sequences a name is written as in full, and its parts: each
    word of three letters or more, and each part written as one
    (``O'Connor``, ``Müller-Lüdenscheidt``)."""
    name = name.strip()
    local = name.split("@", 1)[0] if "@" in name else name
    shown = _STATUS.sub("", local) or local
    words = _words(shown)
    if sum(len(s[0]) for s in words) < 2:
        return [], []
    sequences = [words]
    if len(words) >= 2:
        sequences.append([words[0], words[-1]])
        sequences.append([words[-1], words[0]])
        sequences.extend([words[0], other] for other in words[1:-1])
    if shown != local:
        sequences.append(_words(local))
    if _fold_name(shown) in _NOT_PEOPLE or "bot" in {s[0] for s in words}:
        return sequences, []
    parts = [[spellings] for spellings in words if _letters(spellings) >= 3]
    for part in re.split(r"[\s,]+", shown):
        part_words = _words(part)
        if len(part_words) > 1 and sum(_letters(s) for s in part_words) >= 3:
            parts.append(part_words)
    return sequences, parts


def _letters(spellings: list[str]) -> int:
    return sum(c.isalpha() for c in spellings[0])


def _key(words: list[list[str]]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(spellings) for spellings in words)


def _text_scrubber(identities: list[_Identity], aliases: list[str]) -> Callable[[str], str]:
    """A function replacing every form of every known name in a text."""
    full: dict[tuple[tuple[str, ...], ...], set[int]] = {}
    partial: dict[tuple[tuple[str, ...], ...], set[int]] = {}
    for number, identity in enumerate(identities):
        # With a display name known, the identifier's words are not taken on
        # their own: they are often not names (``cwoolley-gitlab``).
        spoken = set(identity.names[1:]) or set(identity.names)
        for name in dict.fromkeys(identity.names + identity.engineers):
            sequences, parts = _name_forms(name)
            for sequence in sequences:
                full.setdefault(_key(sequence), set()).add(number)
            if name in spoken or name not in identity.names:
                for part in parts:
                    partial.setdefault(_key(part), set()).add(number)
    forms: list[_Form] = []
    for sequence, owners in full.items():
        replacement = aliases[next(iter(owners))] if len(owners) == 1 else PARTIAL
        forms.append(_Form(sequence[0], _pattern(sequence), 1, replacement))
    for sequence, owners in partial.items():
        if sequence not in full:
            replacement = aliases[next(iter(owners))] if len(owners) == 1 else PARTIAL
            forms.append(_Form(sequence[0], _pattern(sequence), 0, replacement))
    if not forms:
        return lambda text: text
    index: dict[str, list[_Form]] = {}
    for form in forms:
        for spelling in form.first:
            index.setdefault(spelling, []).append(form)
    lengths = sorted({len(spelling) for spelling in index})

    @functools.lru_cache(maxsize=65536)
    def scrub(text: str) -> str:
        folded, origin = _fold(text)
        pieces: list[str] = []
        done = 0    # in folded text
        kept = 0    # in the original text
        for word in _WORD.finditer(folded):
            start, found = word.start(), word.group()
            if start < done:
                continue
            best: tuple[int, int, str] | None = None
            for length in lengths:
                if length > len(found):
                    break
                for form in index.get(found[:length], ()):
                    match = form.pattern.match(folded, start)
                    if match is not None and (best is None
                                              or (match.end(), form.full) > best[:2]):
                        best = (match.end(), form.full, form.replacement)
            if best is None:
                continue
            begin, end = _original_span(text, origin, start, best[0])
            pieces += [text[kept:begin], best[2]]
            kept, done = end, best[0]
        if not pieces:
            return text
        pieces.append(text[kept:])
        return "".join(pieces)

    return scrub


def _pattern(sequence: tuple[tuple[str, ...], ...]) -> re.Pattern:
    return re.compile(_SEPARATOR.join("(?:" + "|".join(re.escape(s) for s in spellings) + ")"
                                      for spellings in sequence) + _DOMAIN + _END)


def _original_span(text: str, origin: list[int] | None, start: int, end: int) -> tuple[int, int]:
    """The span of the original text that folded to ``[start, end)``, with
    any combining marks that follow it."""
    if origin is None:
        return start, end
    begin, stop = origin[start], origin[end - 1] + 1
    while stop < len(text) and _fold_char(text[stop]) == "":
        stop += 1
    return begin, stop

"""A team's areas: the rules that decide them, finding them in an export, and a text classifier.

An *area* is the kind of work a ticket belongs to (research, frontend,
data engineering, ...): the model fits a duration scale per area. Areas come
from ``[[areas.rules]]`` in ``calibrate.toml`` (:class:`~calibrate.config.AreaRule`),
so this module is about those rules, in three parts, all computation (the
readers and ``calibrate init`` read and write the files):

- :func:`apply_area_rules` gives each ticket the area of the first rule that
  matches it: every reader assigns areas with it.
- :func:`find_area_candidates` lists what in an export could name areas
  (labels, scoped-label families such as ``type::``, components, issue
  types, epics), each with its ticket count and how its tickets' durations
  differ from the rest; :func:`propose_area_schemes` turns them into rules
  that split the tickets into a few areas of adequate size
  (``calibrate init`` prints both and writes the best as a starter config).
- :class:`AreaClassifier` and :func:`classify_areas` give the tickets no
  rule decided an area from their title and description, when the
  classifier is sure enough (``[areas] classify = true``).

Examples
--------
>>> import pandas as pd
>>> from calibrate.areas import apply_area_rules
>>> from calibrate.config import AreaRule
>>> tickets = pd.DataFrame({"labels": ["Product::Search; bug", "frontend", None]})
>>> rules = (AreaRule("web", ("^frontend$",), ("labels",)), AreaRule(prefix="Product::"))
>>> apply_area_rules(tickets, rules).tolist()
['search', 'web', None]
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from calibrate.config import AreaRule, Config, _regex_literal, fold_name
from calibrate.summary import Summary
from calibrate.tickets import AREA_SOURCES

__all__ = [
    "AREA_SOURCES",
    "CANDIDATE_FIELDS",
    "AreaClassifier",
    "AreaScheme",
    "apply_area_rules",
    "classify_areas",
    "default_area_note",
    "find_area_candidates",
    "propose_area_schemes",
    "summarize_areas",
]


#: The ticket fields :func:`find_area_candidates` looks at, in the order listed.
CANDIDATE_FIELDS = ("labels", "components", "issue_type", "epic")

#: An area needs this many tickets by default to be proposed: enough to see
#: its median and spread roughly (the model pools the slope and noise of
#: smaller areas, and the report shows engineer x area cells from 5).
DEFAULT_MIN_TICKETS = 8


# ----------------------------------------------------------------------------- rules


def apply_area_rules(tickets: pd.DataFrame, rules: Sequence[AreaRule]) -> pd.Series:
    """The area each ticket gets from the first rule that matches it.

    Parameters
    ----------
    tickets : DataFrame
        One row per ticket, with the fields the rules look at (``labels``,
        ``components``, ``issue_type``, ``epic``, ``team``, ``title``);
        multi-value fields joined with ``"; "``, as in the canonical table.
        A field the frame lacks matches nothing.
    rules : sequence of AreaRule
        Tried in order; within a rule, its fields in order, and a field's
        values in order (which matters to a capture rule only).

    Returns
    -------
    Series of object
        The area, or None where no rule matched; on ``tickets``' index.

    Examples
    --------
    >>> import pandas as pd
    >>> from calibrate.areas import apply_area_rules
    >>> from calibrate.config import AreaRule
    >>> tickets = pd.DataFrame({"labels": ["type::Bug; team::Data", "team::Web"],
    ...                         "title": ["Fix the ETL", "Fix the page"]})
    >>> rules = (AreaRule("data", ("etl",), ("title",)), AreaRule(prefix="team::"))
    >>> apply_area_rules(tickets, rules).tolist()
    ['data', 'web']
    """
    area = pd.Series(None, index=tickets.index, dtype=object)
    for rule in rules:
        for name in rule.fields:
            undecided = area.isna()
            if not undecided.any():
                return area.where(area.notna(), None)
            if name not in tickets:
                continue
            found = _rule_areas(tickets[name], rule)
            area = area.where(~(undecided & found.notna()), found)
    return area.where(area.notna(), None)


def _rule_areas(values: pd.Series, rule: AreaRule) -> pd.Series:
    """The area ``rule`` gives each cell (None: no match). A multi-value cell
    (values joined with ``"; "``) is matched value by value, so an anchored
    pattern matches one label among several; a capture rule takes the first
    value it matches."""
    text = values.fillna("").astype(str)
    # Labels, components and epics repeat a few values: each distinct cell is
    # looked at once.
    codes, distinct = pd.factorize(text)
    if rule.prefix is None:
        unique = pd.Series(distinct, dtype=object)
        multi = unique.str.contains("; ", regex=False)
        matched = unique.str.contains(rule.regex)
        if multi.any():
            parts = unique[multi].str.split("; ").explode()
            matched[multi] = parts.str.contains(rule.regex).groupby(level=0).any()
        found = np.where(matched.to_numpy(dtype=bool), rule.area, None)
    else:
        found = np.array([next((area for part in cell.split("; ")
                                if (area := rule.area_of(part)) is not None), None)
                          for cell in distinct], dtype=object)
    return pd.Series(found[codes] if len(found) else np.full(len(text), None, dtype=object),
                     index=values.index, dtype=object)


def default_area_note(area_source: pd.Series, default: str, rules: int | None = None) -> \
        str | None:
    """The note a reading gets when every ticket fell in the default area.

    Parameters
    ----------
    area_source : Series of str
        The kept tickets' ``area_source`` (see :data:`AREA_SOURCES`).
    default : str
        The default area's name.
    rules : int, optional
        How many area rules were configured (None: not known, e.g. for a
        canonical table read back).

    Returns
    -------
    str or None
        None unless there are tickets and every one is in the default area.

    Examples
    --------
    >>> import pandas as pd
    >>> from calibrate.areas import default_area_note
    >>> print(default_area_note(pd.Series(["default", "default"]), "general", rules=0))
    ... # doctest: +NORMALIZE_WHITESPACE
    every ticket is in the default area 'general' (no area rules are configured), so the
    model cannot tell areas apart; `calibrate init EXPORT` lists the labels, components,
    issue types and epics that could name the team's areas and writes a starter
    calibrate.toml with area rules
    """
    # (Missing values are not "default": a table written before it was recorded.)
    if not len(area_source) or not area_source.astype("string").eq("default").fillna(
            False).all():
        return None
    why = ("" if rules is None else " (no area rules are configured)" if rules == 0
           else f" (the {rules} area rule{'' if rules == 1 else 's'} matched no ticket)")
    return (f"every ticket is in the default area {default!r}{why}, so the model cannot tell "
            "areas apart; `calibrate init EXPORT` lists the labels, components, issue types and "
            "epics that could name the team's areas and writes a starter calibrate.toml with "
            "area rules")


# ------------------------------------------------------------------------ candidates

# What a label means, when it is not an area. Compared by fold_name.
#: Labels that say what kind of work a ticket is (GitHub's default labels,
#: common issue types): another dimension than the area.
_KIND_OF_WORK = frozenset(fold_name(name) for name in (
    "bug", "bugs", "defect", "feature", "features", "feature request", "enhancement",
    "enhancements", "improvement", "task", "story", "user story", "chore", "maintenance",
    "refactor", "refactoring", "technical debt", "tech debt", "tech-debt", "debt",
    "regression", "question", "support", "hotfix", "incident", "spike", "epic", "type",
    "kind", "issue type", "ticket type",
))
#: Words (or word sequences) of labels that plan, triage or flag tickets.
_PLANNING = ("deliverable", "stretch", "okr", "blocked", "blocker", "needs",
             "accepting merge requests", "good for new contributors", "good first issue",
             "help wanted", "triage", "wontfix", "duplicate", "invalid", "milestone", "sprint",
             "release", "version", "backlog", "icebox", "missing", "follow up", "followup",
             "deprecated")
_PRIORITY = re.compile(r"p\d+|critical|urgent|highest|high|medium|low|lowest|major|minor|"
                       r"trivial|.*priority.*|.*severity.*")
#: Scoped-label families (by their folded prefix) that are not areas.
_STATUS_FAMILIES = frozenset({"workflow", "process", "status", "state", "phase", "column",
                              "board", "stage", "resolution"})
_PRIORITY_FAMILIES = frozenset({"priority", "severity", "impact", "urgency", "sus", "p"})
_PLANNING_FAMILIES = frozenset({"milestone", "sprint", "release", "version", "deliverable",
                                "quarter", "okr", "missed", "estimate", "weight", "points",
                                "size", "effort"})

#: Candidate roles, and the tier of a scheme built from them: areas first,
#: then kinds of work (they say what a ticket is, not where the work is),
#: then epics (projects come and go). Other roles are not proposed.
_TIERS = {"area": 1, "kind of work": 2, "epic": 3}
_TIER_WEIGHTS = {1: 1.0, 2: 0.5, 3: 0.25}

_SCOPED = re.compile(r"^(?P<prefix>.*\S\s*::)\s*(?P<value>\S.*)$", re.DOTALL)
_PREFIXED = re.compile(r"^(?P<prefix>[^\W\d_][\w\-]{0,23}\s?[:/])\s*(?P<value>\S.*)$",
                       re.DOTALL)


def _scope(value: str, single: bool) -> tuple[str, str] | None:
    """``(prefix, value)`` of a scoped label (``type::Bug``; with ``single``
    also ``component:chart`` or ``area/web``), else None."""
    match = _SCOPED.match(value) or (_PREFIXED.match(value) if single else None)
    return None if match is None else (match["prefix"], match["value"].strip())


def _family_key(prefix: str) -> str:
    return "".join(prefix.split()).casefold()


def _words(text: str) -> str:
    """The words of a text, lower-case, one space apart, padded with spaces."""
    return " " + " ".join(re.findall(r"[^\W_]+", text.casefold())) + " "


def _label_role(label: str, config: Config) -> str:
    """What a label (or a family's value) looks like: see :func:`find_area_candidates`."""
    folded = fold_name(label)
    if config.is_in_progress_status(label) or config.is_done_status(label) \
            or config.is_not_finished_resolution(label):
        return "status"
    if folded in _KIND_OF_WORK:
        return "kind of work"
    words = _words(label)
    if any(f" {phrase} " in words for phrase in _PLANNING):
        return "planning"
    if _PRIORITY.fullmatch(folded):
        return "priority"
    return "area"


def _family_role(prefix: str, values: Sequence[str], config: Config) -> str:
    """What a scoped-label family looks like, from its prefix and values."""
    folded = fold_name(prefix)
    if folded in _STATUS_FAMILIES or any(_label_role(v, config) == "status" for v in values):
        return "status"
    if folded in _PRIORITY_FAMILIES or _PRIORITY.fullmatch(folded) \
            or all(v[:1].isdigit() for v in values):
        return "priority"
    if folded in _KIND_OF_WORK:
        return "kind of work"
    if folded in _PLANNING_FAMILIES:
        return "planning"
    return "area"


@dataclass
class _Candidate:
    """One candidate: its field, the values it stands for, the tickets it has."""

    field: str
    name: str          # as shown: the value, or the family's prefix
    kind: str          # "value", "family" or "scoped" (a value of a family)
    role: str
    members: np.ndarray  # bool per ticket
    values: tuple[str, ...] = ()  # the raw values (a family: its labels)
    prefix: str | None = None


def _candidates(tickets: pd.DataFrame, fields: Sequence[str], config: Config) \
        -> list[_Candidate]:
    """Every candidate of ``fields``, families with their values."""
    n = len(tickets)
    found: list[_Candidate] = []
    for name in fields:
        if name not in tickets:
            continue
        cells = tickets[name].astype(object).where(tickets[name].notna(), None)
        multi = name in ("labels", "components")
        parts = cells.dropna().astype(str)
        parts = parts.str.split("; ").explode() if multi else parts
        parts = parts[parts.str.strip() != ""]
        positions = pd.Series(tickets.index.get_indexer(parts.index), index=parts.index)
        by_value = pd.DataFrame({"position": positions.to_numpy(), "value": parts.to_numpy()})
        if by_value.empty:
            continue
        groups = by_value.groupby("value", sort=False)["position"].unique()

        def members(positions: Sequence[np.ndarray]) -> np.ndarray:
            mask = np.zeros(n, dtype=bool)
            for chunk in positions:
                mask[np.asarray(chunk, dtype=int)] = True
            return mask

        scopes = {value: _scope(value, single=False) for value in groups.index} if multi \
            else {}
        # Single-separator prefixes (component:chart) make a family only when
        # several values share one; alone (Category:Design System) a label is a label.
        single = {value: _scope(value, single=True) for value in groups.index
                  if multi and scopes[value] is None}
        single_counts = pd.Series([_family_key(s[0]) for s in single.values() if s],
                                  dtype=object).value_counts()
        for value, scoped in single.items():
            if scoped and single_counts.get(_family_key(scoped[0]), 0) >= 2:
                scopes[value] = scoped
        families: dict[str, list[str]] = {}
        for value in groups.index:
            scoped = scopes.get(value)
            if scoped is None:
                role = ("kind of work" if name == "issue_type" else "epic" if name == "epic"
                        else _label_role(value, config))
                found.append(_Candidate(name, value, "value", role, members([groups[value]]),
                                        (value,)))
            else:
                families.setdefault(_family_key(scoped[0]), []).append(value)
        for labels in families.values():
            # The family is written as most of its tickets spell its prefix.
            spellings: dict[str, int] = {}
            for label in labels:
                spelling = _scope(label, True)[0].strip()
                spellings[spelling] = spellings.get(spelling, 0) + len(groups[label])
            prefix = max(sorted(spellings), key=spellings.__getitem__)
            role = _family_role(prefix, [_scope(label, True)[1] for label in labels], config)
            found.append(_Candidate(name, prefix, "family", role,
                                    members([groups[label] for label in labels]),
                                    tuple(labels), prefix))
            for label in labels:
                found.append(_Candidate(name, label, "scoped", role, members([groups[label]]),
                                        (label,), prefix))
    return found


def _durations(tickets: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Log working days of each ticket, and which are finished (only
    finished tickets' durations are compared: an open one's is a lower bound)."""
    days = tickets["duration_days"].to_numpy(dtype=float) if "duration_days" in tickets \
        else np.full(len(tickets), np.nan)
    finished = ~tickets["censored"].to_numpy(dtype=bool) if "censored" in tickets \
        else np.ones(len(tickets), dtype=bool)
    finished &= np.isfinite(days) & (days > 0)
    return np.log(np.where(finished, days, 1.0)), finished


def _compare(log_days: np.ndarray, finished: np.ndarray, members: np.ndarray) \
        -> tuple[int, float, float, float]:
    """Finished tickets in ``members``, their median working days, the rest's,
    and the two-sided Mann-Whitney p-value of the difference."""
    from scipy.stats import mannwhitneyu

    inside = log_days[members & finished]
    outside = log_days[~members & finished]
    median = float(np.exp(np.median(inside))) if len(inside) else math.nan
    rest = float(np.exp(np.median(outside))) if len(outside) else math.nan
    p_value = math.nan
    if len(inside) >= 2 and len(outside) >= 2:
        p_value = float(mannwhitneyu(inside, outside, alternative="two-sided").pvalue)
    return len(inside), median, rest, p_value


def find_area_candidates(tickets: pd.DataFrame, *, fields: Sequence[str] = CANDIDATE_FIELDS,
                         config: Config | None = None) -> pd.DataFrame:
    """What in a ticket table could name the team's areas, and how the durations differ.

    Every label and component value, every scoped-label family (labels
    sharing a prefix: ``type::Bug`` and ``type::Feature`` make ``type::``;
    ``component:chart`` and ``component:button`` make ``component:``) and
    each of its values, every issue type and every epic is a candidate.

    Parameters
    ----------
    tickets : DataFrame
        A canonical ticket table (only the kept tickets are meaningful: the
        durations of excluded rows are not measurements).
    fields : sequence of str
        The fields to look at.
    config : Config, optional
        Its status names tell workflow labels apart (default: the defaults).

    Returns
    -------
    DataFrame
        One row per candidate: ``field``, ``candidate`` (the value, or a
        family's prefix), ``kind`` (``value``, ``family``, or ``scoped``: a
        family's value), ``role`` (what the candidate looks like: ``area``,
        ``kind of work``, ``epic``, ``status``, ``priority`` or
        ``planning``; only areas, kinds of work and epics are proposed),
        ``tickets``, ``finished``, ``median_days`` and ``rest_median_days``
        (median working days of the finished tickets with and without the
        candidate), ``ratio`` (their quotient) and ``p_value`` (two-sided
        Mann-Whitney test of the two groups' durations; not corrected for
        the number of candidates). Sorted by field, then family with its
        values, then tickets, largest first.

    Examples
    --------
    >>> from calibrate import read_export
    >>> from calibrate.areas import find_area_candidates
    >>> table = read_export("data/sample/jira_changelog.json")
    >>> candidates = find_area_candidates(table.tickets)
    >>> components = candidates[candidates["field"] == "components"]
    >>> dict(zip(components["candidate"], components["tickets"]))
    {'Platform': 202, 'Data': 161, 'Modeling': 149}
    """
    config = config or Config()
    tickets = tickets.reset_index(drop=True)
    log_days, finished = _durations(tickets)
    rows = []
    order = {name: position for position, name in enumerate(fields)}
    for candidate in _candidates(tickets, fields, config):
        n_finished, median, rest, p_value = _compare(log_days, finished, candidate.members)
        family = candidate.prefix or candidate.name
        shown = candidate.name
        if candidate.kind == "family":
            values = {_area_name(_scope(label, True)[1]) for label in candidate.values}
            shown = f"{candidate.prefix} ({len(values)} values)"
        rows.append({
            "field": candidate.field, "candidate": shown, "kind": candidate.kind,
            "role": candidate.role, "tickets": int(candidate.members.sum()),
            "finished": n_finished, "median_days": median, "rest_median_days": rest,
            "ratio": median / rest if rest > 0 else math.nan, "p_value": p_value,
            "_field_order": order[candidate.field], "_family": family,
            "_family_size": 0, "_family_first": candidate.kind != "family",
        })
    columns = ["field", "candidate", "kind", "role", "tickets", "finished", "median_days",
               "rest_median_days", "ratio", "p_value"]
    if not rows:
        return pd.DataFrame({name: pd.Series(dtype=object if name in columns[:4] else float)
                             for name in columns})
    frame = pd.DataFrame(rows)
    # A family sorts as one block, by its size; its values follow it.
    size = frame[frame["kind"].isin(["value", "family"])].set_index(
        ["field", "_family"])["tickets"]
    frame["_family_size"] = [size.get((f, fam), 0) for f, fam in
                             zip(frame["field"], frame["_family"], strict=True)]
    frame = frame.sort_values(["_field_order", "_family_size", "_family", "_family_first",
                               "tickets", "candidate"],
                              ascending=[True, False, True, True, False, True], kind="stable")
    return frame[columns].reset_index(drop=True)


# -------------------------------------------------------------------------- schemes


@dataclass(frozen=True, eq=False)
class AreaScheme:
    """A way to split tickets into areas: rules, and what they do to a ticket table.

    Attributes
    ----------
    description : str
        What the rules look at, in words (``"labels frontend, backend,
        devops"``, ``"scoped labels type::"``).
    rules : tuple of AreaRule
        The rules, in the order they are to be tried.
    areas : Series of object
        The area the rules give each ticket (None: the default area).
    counts : Series of int
        Tickets per area, largest first.
    coverage : float
        Share of the tickets in an area of at least ``min_tickets`` tickets.
    effective_areas : float
        ``exp`` of the entropy of those areas' shares: 1 when one area holds
        them all, k for k areas of equal size.
    overlap : float
        Share of the tickets in an area that two or more rules match (the
        first rule decides; many such tickets mean the areas are not
        distinct).
    tier : int
        1 for areas (labels, components, families of area-like labels),
        2 for kinds of work (issue types, ``type::`` labels), 3 for epics.
    score : float
        ``coverage x (1 - 1 / effective_areas)``, weighted by tier (1, 1/2,
        1/4): most tickets in a few areas of similar size score highest.
    p_value : float
        Kruskal-Wallis test that the finished tickets' durations are the
        same in every area of adequate size (NaN with fewer than two).
    small : tuple of str
        Areas the rules give fewer than ``min_tickets`` tickets.
    median_days : Series of float
        Median working days of each area's finished tickets (in the order of
        ``counts``), and of the tickets no rule matched (index None).
    """

    description: str
    rules: tuple[AreaRule, ...]
    areas: pd.Series = field(repr=False)
    counts: pd.Series = field(repr=False)
    coverage: float
    effective_areas: float
    overlap: float
    tier: int
    score: float
    p_value: float
    small: tuple[str, ...] = ()
    median_days: pd.Series = field(default_factory=lambda: pd.Series(dtype=float), repr=False)


def _area_name(value: str) -> str:
    """An area named after a value, as a capture rule names it."""
    return " ".join(value.split()).lower()


def _whole_value(value: str) -> str:
    """A pattern matching exactly ``value``."""
    return f"^{_regex_literal(value)}$"


def _evaluate(description: str, rules: tuple[AreaRule, ...], tier: int,
              tickets: pd.DataFrame, log_days: np.ndarray, finished: np.ndarray,
              min_tickets: int) -> AreaScheme:
    from scipy.stats import kruskal

    areas = apply_area_rules(tickets, rules).reset_index(drop=True)
    counts = areas.value_counts()
    adequate = counts[counts >= min_tickets]
    n = max(len(tickets), 1)
    coverage = float(adequate.sum() / n)
    shares = adequate / adequate.sum() if len(adequate) else adequate
    effective = float(np.exp(-(shares * np.log(shares)).sum())) if len(adequate) else 0.0
    matches = np.zeros(len(tickets), dtype=int)
    for rule in rules:
        matches += apply_area_rules(tickets, (rule,)).notna().to_numpy()
    in_area = areas.notna().to_numpy()
    overlap = float((matches[in_area] > 1).mean()) if in_area.any() else 0.0
    samples = [log_days[(areas == area).to_numpy() & finished] for area in adequate.index]
    samples = [sample for sample in samples if len(sample) >= 2]
    p_value = math.nan
    if len(samples) >= 2 and len(np.unique(np.concatenate(samples))) > 1:
        p_value = float(kruskal(*samples).pvalue)
    score = coverage * (1 - 1 / effective) if effective > 1 else 0.0
    medians = {}
    for area in [*counts.index, None]:
        rows = (areas.isna() if area is None else areas == area).to_numpy() & finished
        medians[area] = float(np.exp(np.median(log_days[rows]))) if rows.any() else math.nan
    return AreaScheme(description=description, rules=rules, areas=areas, counts=counts,
                      coverage=coverage, effective_areas=effective, overlap=overlap, tier=tier,
                      score=score * _TIER_WEIGHTS[tier], p_value=p_value,
                      small=tuple(str(a) for a in counts[counts < min_tickets].index),
                      median_days=pd.Series(list(medians.values()), index=list(medians),
                                            dtype=float))


# How a value that shares tickets with areas already chosen is treated
# (shares are of the value's own tickets). It is *related* to an area when it
# shares more than a tenth of its tickets with it and at least twice the
# share of all tickets that area has: a sub-area of it (its rule tried first)
# when at least half its tickets are in it, else another name for it (its
# pattern joins the area's rule). Unrelated to every area, it is an area of
# its own if it shares at most a third of its tickets with any one of them
# and at most half with all of them together; anything else cuts across the
# areas (a kind of work, a flag) and is left out.
_RELATED_SHARE = 0.1
_RELATED_LIFT = 2.0
_SUB_AREA = 0.5
_SEPARATE = 1 / 3
_OWN = 0.5


@dataclass
class _Group:
    area: str
    values: list[str]
    members: np.ndarray
    parent: str | None = None


def _value_groups(candidates: list[_Candidate], n: int, max_areas: int) -> list[_Group]:
    """Choose values (largest first) that split tickets into distinct areas:
    a value sharing few tickets with the areas chosen is a new area, one
    concentrated in one chosen area a sub-area or another name of it, and
    one spread over several (a kind of work, a flag) is left out."""
    groups: list[_Group] = []
    for candidate in sorted(candidates, key=lambda c: (-c.members.sum(), c.name)):
        size = candidate.members.sum()
        shares = [(candidate.members & group.members).sum() / size for group in groups]
        related = [index for index, (share, group) in enumerate(zip(shares, groups, strict=True))
                   if share > _RELATED_SHARE
                   and share >= _RELATED_LIFT * group.members.sum() / n]
        others = [share for index, share in enumerate(shares) if index not in related]
        if len(related) > 1 or any(share > _SEPARATE for share in others) \
                or sum(others) > _OWN:
            continue
        if not related:
            if len(groups) < max_areas:
                groups.append(_Group(_area_name(candidate.name), [candidate.name],
                                     candidate.members.copy()))
            continue
        group = groups[related[0]]
        if shares[related[0]] >= _SUB_AREA:
            if len(groups) < max_areas:
                groups.append(_Group(_area_name(candidate.name), [candidate.name],
                                     candidate.members.copy(), parent=group.area))
        else:
            group.values.append(candidate.name)
            group.members |= candidate.members
    return groups


def _rules_of(groups: list[_Group], field_name: str) -> tuple[AreaRule, ...]:
    """One rule per group, sub-areas just before the area they are part of."""
    ordered: list[_Group] = []
    for group in groups:
        if group.parent is None:
            ordered.extend(g for g in groups if g.parent == group.area)
            ordered.append(group)
    ordered.extend(g for g in groups if g not in ordered)
    return tuple(AreaRule(group.area, tuple(_whole_value(v) for v in group.values),
                          (field_name,)) for group in ordered)


def propose_area_schemes(tickets: pd.DataFrame, *, min_tickets: int = DEFAULT_MIN_TICKETS,
                         max_areas: int = 8, fields: Sequence[str] = CANDIDATE_FIELDS,
                         config: Config | None = None) -> list[AreaScheme]:
    """Ways to split a ticket table into areas, the most useful first.

    The schemes tried:

    - *labels* (and, separately, *components*): values chosen largest
      first. A value is *related* to an area chosen before when it shares
      more than a tenth of its tickets with it, and at least twice the
      share of all tickets that area has. Related to one area, it is a
      sub-area of it when at least half its tickets are in it (its rule
      comes first), else another name for it (its pattern joins that
      area's rule); related to none, and sharing at most a third of its
      tickets with each and at most half with all together, it is an area
      of its own; anything else cuts across the areas (``bug``,
      ``feature``: kinds of work and flags do) and is left out. Labels that
      look like kinds of work, statuses, priorities or planning flags are
      not taken as areas (see the ``role`` of
      :func:`find_area_candidates`); the kinds of work make a scheme of
      their own.
    - each *scoped-label family* (``type::``, ``team::``, ...) as one
      capture rule, except workflow, priority and planning families;
    - *issue types* and *epics*, one rule per value.

    Each is scored by :attr:`AreaScheme.score`: the share of tickets it
    puts in areas of at least ``min_tickets`` tickets, times ``1 - 1/k``
    for ``k`` effective areas, halved for kinds of work and quartered for
    epics (a kind of work says what a ticket is, an epic which project it
    served; an area says where the work is).

    Parameters
    ----------
    tickets : DataFrame
        A canonical ticket table (the kept tickets).
    min_tickets : int
        Fewest tickets of an area counted as adequate.
    max_areas : int
        Most areas a label, component or epic scheme proposes.
    fields : sequence of str
        The fields to look at.
    config : Config, optional
        Its status names tell workflow labels apart.

    Returns
    -------
    list of AreaScheme
        Best first; schemes with fewer than two areas of adequate size are
        left out.

    Examples
    --------
    >>> from calibrate import read_export
    >>> from calibrate.areas import propose_area_schemes
    >>> table = read_export("data/sample/jira_changelog.json")
    >>> best = propose_area_schemes(table.tickets)[0]
    >>> best.description, best.counts.to_dict()
    ('components Platform, Data, Modeling', {'platform': 202, 'data': 140, 'modeling': 126})
    """
    config = config or Config()
    tickets = tickets.reset_index(drop=True)
    n = len(tickets)
    log_days, finished = _durations(tickets)
    candidates = _candidates(tickets, fields, config)

    def evaluate(description: str, rules: tuple[AreaRule, ...], tier: int) -> AreaScheme:
        return _evaluate(description, rules, tier, tickets, log_days, finished, min_tickets)

    schemes: list[AreaScheme] = []
    for field_name in fields:
        values = [c for c in candidates if c.field == field_name and c.kind == "value"
                  and c.members.sum() >= min_tickets]
        for role in ("area", "kind of work", "epic"):
            chosen = [c for c in values if c.role == role]
            if not chosen:
                continue
            if field_name in ("labels", "components"):
                groups = _value_groups(chosen, n, max_areas)
            else:  # one value per ticket: nothing overlaps
                groups = [_Group(_area_name(c.name), [c.name], c.members) for c in
                          sorted(chosen, key=lambda c: (-c.members.sum(), c.name))[:max_areas]]
            scheme = _adequate(groups, field_name, role, evaluate, min_tickets)
            if scheme is not None:
                schemes.append(scheme)
        for family in (c for c in candidates if c.field == field_name and c.kind == "family"
                       and c.role in _TIERS):
            schemes.append(evaluate(f"scoped {field_name} {family.prefix}",
                                    (AreaRule(prefix=family.prefix, fields=(field_name,)),),
                                    _TIERS[family.role]))
    schemes = [s for s in schemes if (s.counts >= min_tickets).sum() >= 2]
    # On a tie, fewer rules (a capture rule also takes the family's future values).
    schemes.sort(key=lambda s: (-s.score, s.tier, len(s.rules), s.description))
    distinct: list[AreaScheme] = []
    for scheme in schemes:  # (GitLab's issue type is its type:: label: one scheme, twice)
        if not any(scheme.areas.fillna("").equals(kept.areas.fillna("")) for kept in distinct):
            distinct.append(scheme)
    return distinct


def _adequate(groups: list[_Group], field_name: str, role: str, evaluate,
              min_tickets: int) -> AreaScheme | None:
    """The scheme of ``groups``, without the groups its rules leave fewer
    than ``min_tickets`` tickets (the first matching rule decides)."""
    while groups:
        rules = _rules_of(groups, field_name)
        values = ", ".join(v for rule in rules for v in _plain(rule))
        what = {"labels": "labels", "components": "components", "issue_type": "issue types",
                "epic": "epics"}[field_name]
        if role == "kind of work" and field_name in ("labels", "components"):
            what = f"{field_name} (kinds of work)"
        scheme = evaluate(f"{what} {values}", rules, _TIERS[role])
        small = set(scheme.small)
        if not small:
            return scheme
        kept = [g for g in groups if g.area not in small]
        for group in kept:
            if group.parent in small:
                group.parent = None
        if len(kept) == len(groups):
            return scheme
        groups = kept
    return None


def _plain(rule: AreaRule) -> list[str]:
    """The values a rule of :func:`_rules_of` matches, as written."""
    return [re.sub(r"\\(.)", r"\1", pattern[1:-1]) for pattern in rule.patterns]


def summarize_areas(candidates: pd.DataFrame, schemes: Sequence[AreaScheme], *,
                    tickets: int, min_tickets: int = DEFAULT_MIN_TICKETS,
                    alternatives: int = 3, shown: int = 40) -> Summary:
    """What ``calibrate init`` prints: the candidates, and the proposed areas.

    Parameters
    ----------
    candidates : DataFrame
        From :func:`find_area_candidates`.
    schemes : sequence of AreaScheme
        From :func:`propose_area_schemes`, best first.
    tickets : int
        Tickets in the table.
    min_tickets : int
        Candidates with fewer tickets are counted, not listed.
    alternatives : int
        Schemes listed after the proposed one.
    shown : int
        Most candidates listed.

    Returns
    -------
    Summary
        Tables ``Candidates`` and ``Proposed areas``.

    Examples
    --------
    >>> from calibrate import read_export
    >>> from calibrate.areas import (find_area_candidates, propose_area_schemes,
    ...                              summarize_areas)
    >>> table = read_export("data/sample/linear_export.csv")
    >>> summary = summarize_areas(find_area_candidates(table.tickets),
    ...                           propose_area_schemes(table.tickets),
    ...                           tickets=len(table.tickets))
    >>> summary["Proposed areas"].index.tolist()
    ['ml-eng', 'pipeline', 'experiment', '(default)']
    """
    listed = candidates[candidates["tickets"] >= min_tickets]
    more = len(listed) - shown
    listed = listed.head(shown)

    def number(value: float, digits: str = ".3g") -> str:
        return "" if pd.isna(value) else format(value, digits)

    names = ["  " + c if kind == "scoped" else c
             for c, kind in zip(listed["candidate"], listed["kind"], strict=True)]
    width = max((len(name) for name in names), default=0)
    candidate_table = pd.DataFrame({
        "field": listed["field"],
        # Left-aligned, so that a family's values stand indented under it.
        "candidate": [name.ljust(width) for name in names],
        "role": listed["role"],
        "tickets": listed["tickets"],
        "days": listed["median_days"].map(number),
        "rest": listed["rest_median_days"].map(number),
        "p": listed["p_value"].map(lambda p: number(p, ".2g")),
    }).set_index("field")
    before = [f"Candidates with at least {min_tickets} tickets, of {tickets} (days: median "
              "working days of the finished tickets with the candidate, and of the rest; p: "
              "two-sided Mann-Whitney test of the difference, not corrected for the number of "
              "candidates)."]
    if more > 0:
        before.append(f"{more} more candidates with at least {min_tickets} tickets are not "
                      "listed.")
    tables = {"Candidates": candidate_table}
    after: list[str] = []
    if schemes:
        best = schemes[0]
        rows = [{"area": str(area), "tickets": int(count),
                 "days": number(best.median_days.get(area)),
                 "rule": _rule_words(best, area)} for area, count in best.counts.items()]
        rows.append({"area": "(default)", "tickets": int(best.areas.isna().sum()),
                     "days": number(best.median_days.get(None)), "rule": "no rule matches"})
        tables["Proposed areas"] = pd.DataFrame(rows).set_index("area")
        after.append(f"Proposed: {_scheme_line(best, tickets)}.")
        if best.small:
            after.append(f"Areas with fewer than {min_tickets} tickets ({', '.join(best.small)}) "
                         "stay areas of their own: the model pools their slope and noise.")
        for scheme in schemes[1:1 + alternatives]:
            after.append(f"Or: {_scheme_line(scheme, tickets)}.")
    else:
        tables["Proposed areas"] = pd.DataFrame(columns=["area", "tickets", "days", "rule"]
                                                ).set_index("area")
        after.append(f"No labels, components, issue types or epics split the tickets into two "
                     f"or more areas of {min_tickets} tickets or more: write area rules of your "
                     "own (the README's \"Configuration\").")
    return Summary("Areas", tables, before=before, after=after)


def _scheme_line(scheme: AreaScheme, tickets: int) -> str:
    adequate = len(scheme.counts) - len(scheme.small)
    line = (f"{scheme.description} ({scheme.coverage:.0%} of {tickets} tickets in {adequate} "
            f"areas of adequate size")
    if scheme.overlap:
        line += f"; {scheme.overlap:.0%} of them matched by two rules or more"
    if not math.isnan(scheme.p_value):
        line += f"; Kruskal-Wallis p = {scheme.p_value:.2g}"
    return line + ")"


def _rule_words(scheme: AreaScheme, area) -> str:
    for rule in scheme.rules:
        if rule.prefix is not None:
            return f"{', '.join(rule.fields)} {rule.prefix}{area}"
        if rule.area == area:
            return f"{', '.join(rule.fields)} {' or '.join(_plain(rule))}"
    return ""


# ----------------------------------------------------------------------- classifier


#: TF-IDF of the titles: words and word pairs.
_TITLE_WORDS = {"ngram_range": (1, 2), "sublinear_tf": True, "strip_accents": "unicode",
                "min_df": 1}
#: TF-IDF of the descriptions: words in two tickets or more. A word met in one
#: ticket only cannot help with another; descriptions have many (names, links,
#: identifiers), and with them and word pairs the solver took ten times longer
#: for no better accuracy on real exports.
_DESCRIPTION_WORDS = {"sublinear_tf": True, "strip_accents": "unicode", "min_df": 2}


@dataclass(frozen=True)
class _IfWords:
    """The columns a text vectorizer gets: ``name`` when some word (as the
    vectorizer reads words) is in ``min_df`` of its texts, else none.
    TF-IDF refuses texts without such a word (an export without
    descriptions), and ColumnTransformer leaves out a vectorizer given no
    column. Stops at the first such word."""

    name: str
    settings: tuple

    def __call__(self, texts: pd.DataFrame) -> str | list[str]:
        from sklearn.feature_extraction.text import TfidfVectorizer

        settings = dict(self.settings)
        words = TfidfVectorizer(**settings).build_analyzer()
        seen: dict[str, int] = {}
        for text in texts[self.name]:
            for word in set(words(text)):
                seen[word] = seen.get(word, 0) + 1
                if seen[word] >= settings["min_df"]:
                    return self.name
        return []


def _ticket_texts(texts: pd.DataFrame | Sequence[str]) -> pd.DataFrame:
    """Ticket texts as a frame of ``title`` and ``description`` (``""`` where
    missing), numbered from 0; a sequence of str is the titles."""
    if isinstance(texts, pd.DataFrame):
        frame = pd.DataFrame({name: (texts[name].to_numpy(dtype=object) if name in texts
                                     else np.full(len(texts), "", dtype=object))
                              for name in ("title", "description")})
    else:
        titles = list(texts)
        frame = pd.DataFrame({"title": pd.Series(titles, dtype=object),
                              "description": np.full(len(titles), "", dtype=object)})
    return frame.fillna("").astype(str)


class AreaClassifier:
    """Areas from ticket text: TF-IDF of titles and of descriptions, then logistic regression.

    A scikit-learn pipeline: a :class:`~sklearn.feature_extraction.text.TfidfVectorizer`
    of the titles (words and word pairs) beside one of the descriptions
    (words in two tickets or more), then a
    :class:`~sklearn.linear_model.LogisticRegression` on both; cross-validated
    when fitted, so that its accuracy on tickets it has not seen is known.
    Deterministic: the folds are drawn with ``random_state`` and the solver
    is exact.

    Parameters
    ----------
    threshold : float
        The least probability of the most probable area for :meth:`predict`
        to give it; below it, None.
    n_splits : int
        Folds of the stratified cross-validation (fewer when the smallest
        area has fewer tickets; at least 2).
    random_state : int
        Seed of the folds.

    Attributes
    ----------
    pipeline_ : sklearn.pipeline.Pipeline
        The pipeline, fitted on all the training tickets.
    classes_ : ndarray of str
        The areas learned (see :meth:`fit`).
    uses_descriptions_ : bool
        Whether descriptions were learned from: False when the training
        tickets have none (older exports), or no two share a word.
    n_train_ : int
        Training tickets used.
    n_splits_ : int
        Folds used.
    cv_accuracy_ : float
        Cross-validated accuracy of the most probable area.
    baseline_accuracy_ : float
        Accuracy of always guessing the most common area.
    cv_confident_share_ : float
        Share of the cross-validated predictions whose probability reached
        ``threshold``.
    cv_confident_accuracy_ : float
        Accuracy of those (NaN when there are none).

    Notes
    -----
    The title and the description are vectorised separately, each scaled to
    length one, rather than as one text. A description is often ten times
    longer than its title: in one vector, its many words would take most of
    the vector's length and drown the title's few, which name the work most
    directly. On the real GitLab exports measured (areas from labels,
    cross-validated), one vector of both lost 5 and 8 points of accuracy
    against the titles alone on two teams of three; separate vectors lost at
    most 1.3 points there and gained the descriptions' 5 points on the third.
    Without any description the pipeline is the titles' alone.

    Examples
    --------
    >>> import pandas as pd
    >>> from calibrate.areas import AreaClassifier
    >>> texts = pd.DataFrame({
    ...     "title": ["Follow-up", "Investigate", "Small fix"] * 6,
    ...     "description": ["train the ranking model", "tune the model", "model experiment",
    ...                     "fix the etl job", "backfill the etl", "etl job schema"] * 3})
    >>> areas = ["research", "research", "research", "data", "data", "data"] * 3
    >>> classifier = AreaClassifier(threshold=0.5).fit(texts, areas)
    >>> classifier.predict(pd.DataFrame({"title": ["Small fix", "Follow-up"],
    ...                                  "description": ["retrain the model",
    ...                                                  "the etl job fails"]})).tolist()
    ['research', 'data']
    >>> round(classifier.cv_accuracy_, 2), classifier.uses_descriptions_
    (1.0, True)

    A sequence of strings is read as titles without descriptions:

    >>> AreaClassifier(threshold=0.5).fit(texts["description"], areas).uses_descriptions_
    False
    """

    def __init__(self, threshold: float = 0.6, n_splits: int = 5, random_state: int = 0) -> None:
        self.threshold = threshold
        self.n_splits = n_splits
        self.random_state = random_state

    def _pipeline(self):
        from sklearn.compose import ColumnTransformer
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        return make_pipeline(
            ColumnTransformer(
                [(name, TfidfVectorizer(**settings), _IfWords(name, tuple(settings.items())))
                 for name, settings in (("title", _TITLE_WORDS),
                                        ("description", _DESCRIPTION_WORDS))],
                # (Sparse whatever the density: the same features for any data.)
                sparse_threshold=1.0),
            # C = 10: ticket texts are short, so the default penalty (C = 1)
            # shrinks the few words each has too far toward "no idea".
            LogisticRegression(C=10.0, max_iter=2000),
        )

    def fit(self, texts: pd.DataFrame | Sequence[str], areas: Sequence[str]) -> AreaClassifier:
        """Learn the areas of tickets from their texts.

        Areas with fewer than ``n_splits`` tickets are left out (too few to
        learn or to check), unless that leaves fewer than two areas: then
        those with two tickets or more are learned, with fewer folds.

        Parameters
        ----------
        texts : DataFrame or sequence of str
            The tickets' ``title`` and ``description`` columns (either may be
            missing or empty), or their titles alone.
        areas : sequence of str
            The tickets' areas.

        Raises
        ------
        ValueError
            With fewer than two areas of at least two tickets, or titles and
            descriptions without a single word.
        """
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        texts = _ticket_texts(texts)
        areas = pd.Series(list(areas), dtype=object)
        counts = areas.value_counts()
        enough = self.n_splits if (counts >= self.n_splits).sum() >= 2 else 2
        learnable = areas.isin(counts[counts >= enough].index).to_numpy()
        texts, areas = texts[learnable], areas[learnable]
        if areas.nunique() < 2:
            raise ValueError("the classifier needs at least two areas with two or more "
                             "tickets each")
        if not any(_IfWords(name, tuple(settings.items()))(texts)
                   for name, settings in (("title", _TITLE_WORDS),
                                          ("description", _DESCRIPTION_WORDS))):
            raise ValueError("the tickets' titles and descriptions have no words to learn from")
        self.n_splits_ = int(max(2, min(self.n_splits, areas.value_counts().min())))
        folds = StratifiedKFold(self.n_splits_, shuffle=True, random_state=self.random_state)
        try:
            probabilities = cross_val_predict(self._pipeline(), texts, areas, cv=folds,
                                              method="predict_proba")
        except ValueError as error:  # a fold whose tickets have no words
            raise ValueError(f"the tickets' texts cannot be learned from ({error})") from None
        classes = np.array(sorted(areas.unique()), dtype=object)
        best = probabilities.argmax(axis=1)
        right = classes[best] == areas.to_numpy()
        confident = probabilities.max(axis=1) >= self.threshold
        self.cv_accuracy_ = float(right.mean())
        self.baseline_accuracy_ = float(areas.value_counts().iloc[0] / len(areas))
        self.cv_confident_share_ = float(confident.mean())
        self.cv_confident_accuracy_ = float(right[confident].mean()) if confident.any() \
            else math.nan
        self.pipeline_ = self._pipeline().fit(texts, areas)
        self.classes_ = np.asarray(self.pipeline_.classes_, dtype=object)
        described = self.pipeline_[0].output_indices_["description"]
        self.uses_descriptions_ = described.stop > described.start
        self.n_train_ = int(len(areas))
        return self

    def predict_proba(self, texts: pd.DataFrame | Sequence[str]) -> np.ndarray:
        """The probability of each area in :attr:`classes_`, per ticket
        (``texts`` as in :meth:`fit`)."""
        return self.pipeline_.predict_proba(_ticket_texts(texts))

    def predict(self, texts: pd.DataFrame | Sequence[str]) -> np.ndarray:
        """The most probable area of each ticket, or None where its
        probability is below ``threshold`` (``texts`` as in :meth:`fit`)."""
        probabilities = self.predict_proba(texts)
        best = self.classes_[probabilities.argmax(axis=1)]
        return np.where(probabilities.max(axis=1) >= self.threshold, best, None)


@dataclass
class AreaClassification:
    """What :func:`classify_areas` did.

    Attributes
    ----------
    areas : Series of object
        The classifier's area for each ticket it gave one, else None.
    probability : Series of float
        The probability of the most probable area, for every ticket it was
        asked about (NaN elsewhere).
    classifier : AreaClassifier or None
        The fitted classifier; None when there was nothing to learn from.
    used : bool
        Whether its areas are used (it must beat always guessing the most
        common area in cross-validation).
    reason : str
        Why no classifier was fitted or used, else ``""``.
    """

    areas: pd.Series
    probability: pd.Series
    classifier: AreaClassifier | None
    used: bool
    reason: str = ""

    def note(self, decided: int, assigned: int, remaining: int, default: str) -> str:
        """The note for a reading: what was learned, how well, what it gave.

        Parameters
        ----------
        decided, assigned, remaining : int
            Kept tickets whose area a rule or column decided, that got the
            classifier's area, and that stay in the default area.
        default : str
            The default area's name.
        """
        head = "[areas] classify"
        if self.classifier is None:
            return (f"{head}: no classifier, {self.reason}; {remaining} ticket(s) stay in "
                    f"{default!r}")
        c = self.classifier
        confident = (f"{c.cv_confident_share_:.0%} of its cross-validated predictions reached "
                     f"the threshold {c.threshold:g}"
                     + (f", and {c.cv_confident_accuracy_:.2f} of those were right"
                        if c.cv_confident_share_ > 0 else ""))
        read = ("titles and descriptions" if c.uses_descriptions_
                else "titles (the export gives no descriptions to learn from)")
        learned = (f"{head}: text classifier trained on {c.n_train_} tickets whose area a rule "
                   f"decided ({len(c.classes_)} areas), from their {read}; "
                   f"{c.n_splits_}-fold cross-validated "
                   f"accuracy {c.cv_accuracy_:.2f} (always guessing the most common area: "
                   f"{c.baseline_accuracy_:.2f}); {confident}")
        if not self.used:
            return (f"{learned}. It does no better than guessing, so it was not used: "
                    f"{remaining} ticket(s) stay in {default!r}")
        return (f"{learned}. Of the kept tickets no rule decided, {assigned} got the "
                f"classifier's area and {remaining} stay in {default!r} (probability below "
                f"{c.threshold:g})")


def classify_areas(texts: pd.DataFrame | pd.Series, areas: pd.Series, decided: pd.Series, *,
                   threshold: float = 0.6, trainable: pd.Series | None = None,
                   random_state: int = 0) -> AreaClassification:
    """Areas for the tickets no rule decided, learned from those a rule did.

    Parameters
    ----------
    texts : DataFrame or Series of str
        Each ticket's ``title`` and ``description`` (see
        :meth:`AreaClassifier.fit`; either may be missing or empty), or its
        title alone.
    areas : Series of object
        Each ticket's area where ``decided``.
    decided : Series of bool
        Tickets whose area a rule (or an export column) decided: the
        training set; the others are classified.
    threshold : float
        The least probability for a classifier's area to be given.
    trainable : Series of bool, optional
        Tickets that may be learned from (e.g. not a repeated ticket id);
        by default all.
    random_state : int
        Seed of the cross-validation folds.

    Returns
    -------
    AreaClassification

    Examples
    --------
    >>> import pandas as pd
    >>> from calibrate.areas import classify_areas
    >>> texts = pd.DataFrame({
    ...     "title": ["Follow-up", "Small fix"] * 7,
    ...     "description": ["tune the model", "model experiment", "fix the etl job",
    ...                     "etl backfill"] * 3 + ["retrain the model", "etl job fails"]})
    >>> areas = pd.Series(["research", "research", "data", "data"] * 3 + [None, None])
    >>> result = classify_areas(texts, areas, areas.notna(), threshold=0.5)
    >>> result.areas.tolist()[-2:], result.used
    (['research', 'data'], True)
    """
    decided = decided.astype(bool)
    train = decided & (trainable.astype(bool) if trainable is not None else True)
    wanted = ~decided
    nothing = pd.Series(None, index=texts.index, dtype=object)
    probability = pd.Series(np.nan, index=texts.index)
    if not wanted.any():
        return AreaClassification(nothing, probability, None, False,
                                  "every ticket's area was decided by a rule")
    classifier = AreaClassifier(threshold=threshold, random_state=random_state)
    try:
        classifier.fit(texts[train], areas[train])
    except ValueError as error:
        return AreaClassification(nothing, probability, None, False,
                                  f"{error} (the rules decided "
                                  f"{areas[train].nunique()} area(s))")
    probabilities = classifier.predict_proba(texts[wanted])
    probability[wanted] = probabilities.max(axis=1)
    used = classifier.cv_accuracy_ > classifier.baseline_accuracy_
    if used:
        nothing[wanted] = classifier.predict(texts[wanted])
    return AreaClassification(nothing, probability, classifier, used)

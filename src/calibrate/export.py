"""The multipliers file: what other planners consume, and how to read it back.

A fitted model is written as a versioned JSON file (validated by the JSON
Schema shipped as ``calibrate/multipliers.schema.json``) and, for
spreadsheets, its records as CSV. :func:`load_multipliers` reads the JSON
back into a :class:`Multipliers` that predicts without the ticket data — and
gives exactly the predictions of the model it came from, since the fitted
model predicts through the same object.

Notes for planners
------------------
- **What to add up.** A ticket's expected working days is ``mean_days`` from
  :meth:`Multipliers.predict` (``calibrate predict`` writes it too): the sum
  of the tickets' ``mean_days`` is the expected total of a plan, whatever the
  correlations between tickets. By hand, for a ticket of ``p`` points in area
  ``a`` done by the engineer of an ``engineer_area`` record, with
  ``x = log(p / reference_points)`` (0 points count as ``zero_points``)::

      expected days = exp(intercept[a] + elasticity[a] * x + log_mean
                          + (noise_sd[a]^2 + log_sd^2 + fixed_var - 2 * cross) / 2)
      fixed_var     = var_intercept[a] + 2 * x * cov_intercept_elasticity[a]
                      + x^2 * var_elasticity[a]
      cross         = fixed_cross_intercept + x * fixed_cross_elasticity

  that is, exp(intercept[a] + elasticity[a] * x + noise_sd[a]^2 / 2) x the
  record's ``mean`` x exp(fixed_var / 2 - cross). The record's ``mean``
  multiplier, exp(log_mean + log_sd^2 / 2), is the mean of the engineer's
  factor only: the team's median ticket, exp(intercept + elasticity * x),
  times ``mean`` leaves out the ticket-noise factor exp(noise_sd^2 / 2) —
  x1.2 at a noise sd of 0.6, x3.1 at 1.5 (typical of lead time) — and
  understates every total. The fallbacks (an engineer new to the area or
  never seen, an unseen area) are in the Notes of :meth:`Multipliers.predict`.
- **What the history cannot vouch for.** Each prediction's ``note`` flags an
  engineer or area the history never saw (with the closest name it did see:
  usually a misspelling), an unassigned row, and points outside
  ``model.points_range`` (the fitted line extrapolated). The README's
  "Predictions for planners" gives the whole computation to reimplement it.
- A record's ``median`` multiplier scales the team's typical (median)
  duration for the same points and area.
- **Which clock.** ``model["clock"]`` says what every duration measures:
  ``cycle`` (start of work to done: work time), ``lead`` (creation to done,
  for exports without a start of work: includes waiting in the backlog) or
  ``mixed`` (both kinds in one fit). Predictions measure the same clock (the
  ``clock`` column of :meth:`Multipliers.predict` and of the CSV). Lead time
  is not judged against the work cap ``cap_days``: the cap verdicts use
  :attr:`Multipliers.verdict_cap` — ``cap_days`` for cycle time,
  ``lead_cap_days`` (set by the user, else none) for lead and mixed time.
- In a Monte Carlo plan, draw an engineer's effect (normal on the log scale
  with the record's ``log_mean`` and ``log_sd``) **once per simulated
  sprint**, and the ticket noise (the area's ``noise_sd``) once per ticket.
  Drawing the engineer's effect per ticket understates the spread of a
  sprint's total.
- **Declared skills** (files fitted with skill profiles, schema 2.2). An
  ``engineer_area`` or ``engineer`` record already holds the engineer's
  declared level (its effect against the area's typical engineer, with its
  uncertainty in ``log_sd`` and the cross terms), so the formula above is
  exact for them and readers of 2.1 files need nothing new. Someone without
  tickets in the area (an ``engineer_new_area`` record, or not in the file)
  adds their declared level's ``offset`` from ``skills.level_effects`` to
  the log mean and ``var_offset + 2 (cov_offset_intercept + x
  cov_offset_elasticity)`` to the log-variance — a level no engineer with
  tickets declared in the area is borrowed from the areas where it was
  estimated (:func:`calibrate.prediction.borrowed_levels`) —, or, with no
  declared level there, the team's mix (``sum share x offset^2`` added to
  the variance).
  With ``skills.ramp_up``, an engineer w weeks after their start date adds
  ``slowdown x z`` (and ``(slowdown_se x z)^2``), z = exp(-w /
  scale_weeks): :meth:`Multipliers.predict` does all of this
  (``profile=``, ``start_date=``, ``on=``).
- Multipliers mix skill with ticket mix, context and estimating habits: they
  are planning aids, not a ranking of people.

Examples
--------
A ticket's expected days by hand, from the file's numbers, is ``mean_days``:

>>> import math
>>> from calibrate import Calibrator, read_export
>>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
>>> m = Calibrator().fit(read_export(SAMPLE, config=CONFIG)).result_.multipliers
>>> record = m.records.query("engineer == 'Priya Raman' and area == 'research'").iloc[0]
>>> area = m.areas.set_index("area").loc["research"]
>>> x = math.log(5 / m.model["reference_points"])     # a 5-point ticket
>>> fixed_var = (area["var_intercept"] + 2 * x * area["cov_intercept_elasticity"]
...              + x**2 * area["var_elasticity"])
>>> cross = record["fixed_cross_intercept"] + x * record["fixed_cross_elasticity"]
>>> by_hand = (math.exp(area["intercept"] + area["elasticity"] * x + area["noise_sd"]**2 / 2)
...            * record["mean"] * math.exp(fixed_var / 2 - cross))
>>> mean_days = m.predict("Priya Raman", "research", 5)["mean_days"].iloc[0]
>>> round(float(by_hand / mean_days), 9)
1.0
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from calibrate.errors import InputError, Problem
from calibrate.io._atomic import atomic_path
from calibrate.io.csv_writer import write_csv
from calibrate.prediction import predict_durations

__all__ = ["SCHEMA_VERSION", "Multipliers", "load_multipliers", "write_multipliers"]

SCHEMA_VERSION = "2.2"
#: The version a file declares when it has none of 2.2's optional sections
#: (``skills``): the oldest version whose readers understand all of it.
_PLAIN_VERSION = "2.1"

#: Columns of the multiplier records, in order.
RECORD_COLUMNS = [
    "scope", "engineer", "area", "log_mean", "log_sd", "median", "mean", "p10", "p90",
    "n_finished", "n_open", "shrinkage_weight", "fixed_cross_intercept", "fixed_cross_elasticity",
]


@dataclass(frozen=True)
class Multipliers:
    """Fitted multipliers and the model parameters needed to predict.

    Attributes
    ----------
    records : DataFrame
        One row per scope: ``population`` (the fallback for an engineer
        never seen), ``engineer`` and ``engineer_area``; columns
        :data:`RECORD_COLUMNS`.
    areas : DataFrame
        Per area: ``intercept`` (log median days of a reference-points ticket
        for a typical engineer), ``elasticity``, ``noise_sd``, the fixed
        effects' covariance (``var_intercept``, ``var_elasticity``,
        ``cov_intercept_elasticity``), ``n_finished``, ``n_open``.
    model : dict
        ``reference_points``, ``zero_points``, ``engineer_sd``, ``engineer_area_sd``,
        ``cap_days``, ``confidence``, ``noise``, ``slopes``, ``method``,
        ``clock`` (what the durations measure: ``cycle``, ``lead`` or
        ``mixed``), ``lead_cap_days`` (the cap lead time is judged
        against, or None; see :meth:`with_lead_cap`), ``points_range``
        (the smallest and largest points of the finished tickets fitted,
        since schema 2.1; see :attr:`points_range`) and, when known,
        ``points_scale`` (sizes such as ``m`` to points; see
        :meth:`with_points_scale`). Every field is described in the JSON
        Schema.
    window : dict
        ``first_start``, ``last_finish``, ``as_of`` of the fitted tickets.
    calendar : dict or None
        The working-day calendar durations were counted with.
    created_at : str
        When the file was made (ISO 8601, UTC) — the only field that differs
        between two runs on the same input.
    schema_version : str
        The file's version: 2.1, or 2.2 when it has a ``skills`` section.
    skills : dict or None
        With skill profiles (schema 2.2): ``levels`` (the scale, lowest
        first), ``level_effects`` (per area and level: the effect against
        the area's reference level, ``offset`` against the team's typical
        engineer and the covariances a prediction needs), ``profiles`` (each
        known engineer's declared levels), ``start_dates`` and ``ramp_up``
        (the fitted curve, or None). See :meth:`predict`'s ``profile``.

    Examples
    --------
    >>> from calibrate import Calibrator, read_export
    >>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
    >>> result = Calibrator().fit(read_export(SAMPLE, config=CONFIG)).result_
    >>> result.multipliers.predict("nobody-new", "research", 3)["basis"].iloc[0]
    'unseen engineer'
    """

    records: pd.DataFrame
    areas: pd.DataFrame
    model: dict
    window: dict
    calendar: dict | None
    created_at: str = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    schema_version: str = _PLAIN_VERSION
    skills: dict | None = None

    # -- prediction -------------------------------------------------------
    def predict(self, engineer, area, points, budget_days: float | None = None,
                points_scale: dict[str, float] | None = None, *, profile=None,
                start_date=None, on=None, unseen_levels: str = "borrow") -> pd.DataFrame:
        """Predictive distribution of working days for tickets.

        Parameters
        ----------
        engineer, area : str or array-like of str
            An empty or missing engineer is predicted as one never seen, an
            empty or missing area as one never seen (each noted).
        points : float, str or array-like
            Points, or sizes of the points scale such as ``"M"``
            (case-insensitive). Broadcast against each other.
        budget_days : float, optional
            Budget in working days for ``p_over_budget``; default
            :attr:`verdict_cap` (``cap_days`` for cycle time, the lead-time
            cap for lead time; without one, ``budget_days`` and
            ``p_over_budget`` are NaN).
        points_scale : dict, optional
            More sizes (e.g. a config's ``points_scale``) besides the file's
            :attr:`points_scale`; a size both give must mean the same points.
        profile : dict or SkillProfiles, optional
            Declared levels for engineers the history does not have (a new
            hire): ``{"research": "strong", ...}`` for every such row, or a
            :class:`~calibrate.skills.SkillProfiles` naming them (which also
            overrides the file's declared levels of known engineers in areas
            they have no tickets in). Needs a file fitted with skill profiles.
        start_date : date or str, optional
            The start date on the team of the engineers of ``profile`` (a
            dict); known engineers' start dates are the file's.
        on : date, str or array-like, optional
            When the tickets start, for the ramp-up of engineers with a start
            date (default: today).
        unseen_levels : {"borrow", "typical"}, default "borrow"
            An engineer predicted from a declared level (a new hire, or a
            known engineer in an area they have no tickets in) whose level
            no engineer with tickets declared in the area, so the fit has no
            effect for it there. ``borrow``: the level's multiplier against
            the team's typical engineer in the areas where it was estimated,
            combined (:func:`calibrate.prediction.borrowed_levels`), with
            its variance; ``basis`` says ``declared level borrowed from
            other areas``. ``typical``: the team's mix there (x1). A level
            estimated nowhere is ``typical`` either way. An engineer with
            tickets in the area is never borrowed for: their engineer x area
            record speaks.

        Returns
        -------
        DataFrame
            Per ticket, in full precision (``calibrate predict`` rounds for
            people; see :func:`calibrate.prediction.round_for_planners`):
            ``engineer``, ``area``, ``points`` (a size read through the
            scale), ``basis`` (what the prediction rests on: ``engineer x
            area``, ``engineer`` — a known engineer in an area they have no
            tickets in —, or ``unseen engineer``; ``, unseen area`` is
            appended when the area is unknown; with skill profiles ``,
            declared level`` or ``, declared level borrowed from other
            areas``, and ``, ramping up``), ``note`` (``""``, or what
            the history cannot vouch for: an engineer or area it never saw,
            with the closest name it did see, an unassigned row, points
            outside :attr:`points_range`; see
            :func:`calibrate.prediction.prediction_notes`), ``log_mean``,
            ``log_sd``, ``mean_days``, ``p10_days``, ``p50_days``,
            ``p80_days``, ``p90_days``, ``budget_days`` and
            ``p_over_budget`` (probability of taking longer than the
            budget), ``p_over_points`` (longer than one working day per
            point), and ``clock`` (what the days measure: see :attr:`clock`).

        Raises
        ------
        InputError
            If points are not numbers >= 0 or sizes of the scale (listed), or
            ``unseen_levels`` is neither ``"borrow"`` nor ``"typical"``.

        Notes
        -----
        log(days) ~ N(m, s^2) with m = intercept + elasticity * log(points /
        reference) + the record's ``log_mean``, and s^2 = noise_sd^2 + the
        record's ``log_sd``^2 + the fixed effects' variance at these points
        - 2 x the record's cross terms (``fixed_cross_intercept`` +
        ``fixed_cross_elasticity`` * log(points / reference): the covariance
        between the estimated fixed effects and the record's effect).
        Fallbacks: an engineer known but new to the area uses the record of
        scope ``engineer_new_area``: the engineer effect u alone (the best
        linear predictor: the new engineer x area effect is independent of
        all data), with variance PEV(u) + ``engineer_area_sd^2`` and u's cross terms
        with that area's fixed effects; for an area the model has never
        seen, the record with an empty area (cross terms 0). An unseen
        engineer gets multiplier 1 with variance ``unseen_engineer_sd^2``
        (``engineer_sd^2 + engineer_area_sd^2``, or an assumed value when the history
        cannot estimate it). An unseen area gets the ticket-weighted average
        of the areas' parameters, with the between-area variance of the
        intercepts added (:func:`calibrate.prediction.unseen_area_parameters`).
        With skill profiles, the declared level (its offset, or the borrowed
        one) and the ramp-up are added as :func:`calibrate.prediction.skill_terms`
        says. The README's "Predictions for planners" has the whole computation,
        with a worked example.

        Points beyond the history's range are predicted by extending the
        fitted line (and flagged): the lognormal numbers stay honest about
        the model's uncertainty there — the fixed effects' variance grows
        with log(points / reference)^2 — but not about whether the line
        still holds.

        Examples
        --------
        >>> from calibrate import Calibrator, read_export
        >>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
        >>> m = Calibrator().fit(read_export(SAMPLE, config=CONFIG)).result_.multipliers
        >>> p = m.predict(["Priya Raman", "Priya Ramen"], "research", ["M", 13],
        ...               points_scale={"m": 3})
        >>> p[["points", "basis", "note"]].values.tolist()   # doctest: +NORMALIZE_WHITESPACE
        [[3.0, 'engineer x area', ''],
         [13.0, 'unseen engineer', "engineer not in the history (closest: 'Priya Raman');
          points 13 beyond the history's largest (8): the prediction extrapolates"]]
        """
        result = predict_durations(self, engineer, area, points, budget_days=budget_days,
                                   points_scale=points_scale, profile=profile,
                                   start_date=start_date, on=on, unseen_levels=unseen_levels)
        result["clock"] = self.clock  # what the days measure: work (cycle) or lead time
        return result

    # -- points -------------------------------------------------------------
    @property
    def points_range(self) -> tuple[float, float] | None:
        """The smallest and largest points of the finished tickets the model
        was fitted on; None for files from before schema 2.1. Predictions
        outside it extrapolate the fitted line (and are noted)."""
        value = self.model.get("points_range")
        return None if not value else (float(value[0]), float(value[1]))

    @property
    def points_scale(self) -> dict[str, float]:
        """Sizes (lower case) and the points they stand for, as the history
        was read with (``model.points_scale``); empty when not recorded."""
        return {str(size).strip().lower(): float(points)
                for size, points in (self.model.get("points_scale") or {}).items()}

    def with_points_scale(self, points_scale: dict[str, float] | None) -> Multipliers:
        """The same multipliers recording the points scale the history was
        read with (a config's ``points_scale``: ``{"s": 2, "m": 3}``), so
        that :meth:`predict` and ``calibrate predict`` accept those sizes.
        Written to the file as ``model.points_scale``; None or empty removes it.

        Examples
        --------
        >>> from calibrate import Calibrator, read_export
        >>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
        >>> m = Calibrator().fit(read_export(SAMPLE, config=CONFIG)).result_.multipliers
        >>> m.with_points_scale({"S": 2, "M": 3}).points_scale
        {'s': 2.0, 'm': 3.0}
        """
        model = {k: v for k, v in self.model.items() if k != "points_scale"}
        scale = {str(size).strip().lower(): float(points)
                 for size, points in (points_scale or {}).items()}
        bad = [Problem("a size's points must be a number >= 0", column=size, value=points)
               for size, points in scale.items() if not (math.isfinite(points) and points >= 0)]
        if bad:
            raise InputError("invalid points scale", bad)
        if scale:
            model["points_scale"] = scale
        return replace(self, model=model)

    # -- the clock --------------------------------------------------------
    @property
    def clock(self) -> str:
        """What the durations measure: ``cycle`` (start of work to done),
        ``lead`` (creation to done) or ``mixed`` (both in one fit);
        ``unknown`` for a file written before calibrate recorded it."""
        return str(self.model.get("clock") or "unknown")

    @property
    def verdict_cap(self) -> float | None:
        """The cap tickets are judged against, in working days, or None.

        Cycle time is judged against ``cap_days``, the team's cap on work.
        Lead time includes waiting in the backlog, so lead and mixed
        durations are judged only against ``lead_cap_days``, and not at all
        when none is set (None). A file that does not record its clock keeps
        ``cap_days``.

        Examples
        --------
        >>> from calibrate import Calibrator
        >>> from calibrate.datasets import simulate_tickets
        >>> tickets = simulate_tickets(300, 6, seed=1).tickets.assign(clock="lead")
        >>> lead = Calibrator(cap_days=3).fit(tickets).result_.multipliers
        >>> lead.clock, lead.verdict_cap, lead.with_lead_cap(10).verdict_cap
        ('lead', None, 10.0)
        """
        if self.clock in ("lead", "mixed"):
            lead_cap = self.model.get("lead_cap_days")
            return None if lead_cap is None else float(lead_cap)
        return float(self.model["cap_days"])

    def with_lead_cap(self, lead_cap_days: float | None) -> Multipliers:
        """The same multipliers with a cap for lead time, in working days
        from creation to done (None: no cap, so no verdicts on lead time).

        Only lead and mixed clocks use it (see :attr:`verdict_cap`); it is
        written to the file as ``model.lead_cap_days``.
        """
        if lead_cap_days is not None and not float(lead_cap_days) > 0:
            raise ValueError(f"lead_cap_days must be > 0, not {lead_cap_days!r}")
        value = None if lead_cap_days is None else float(lead_cap_days)
        return replace(self, model={**self.model, "lead_cap_days": value})

    # -- file format ------------------------------------------------------
    def to_dict(self) -> dict:
        """The JSON document (plain types; NaN becomes null)."""
        skills = {} if self.skills is None else {"skills": self.skills}
        version = self.schema_version
        if skills and _version_tuple(version) < _version_tuple("2.2"):
            version = "2.2"
        document = _clean({
            "schema_version": version,
            "created_at": self.created_at,
            "window": self.window,
            "calendar": self.calendar,
            "model": {**self.model, "lead_cap_days": self.model.get("lead_cap_days")},
            "fallback": {
                "description": "an engineer never seen: multiplier 1, log-scale sd "
                               "model.unseen_engineer_sd (sqrt(engineer_sd^2 + "
                               "engineer_area_sd^2), "
                               "or an assumed spread when the history cannot estimate it)",
                "log_mean": 0.0,
                "log_sd": self.model.get("unseen_engineer_sd", math.sqrt(
                    self.model["engineer_sd"] ** 2 + self.model["engineer_area_sd"] ** 2)),
            },
            "areas": self.areas.to_dict(orient="records"),
        })
        # The records (thousands) column by column: what _clean does value by value.
        document["records"] = _plain_records(self.records[RECORD_COLUMNS])
        return {**document, **_clean(skills)}

    @classmethod
    def from_dict(cls, document: dict) -> Multipliers:
        """Rebuild from :meth:`to_dict` output."""
        records = pd.DataFrame(document["records"], columns=RECORD_COLUMNS)
        for column in ("log_mean", "log_sd", "median", "mean", "p10", "p90",
                       "shrinkage_weight", "fixed_cross_intercept", "fixed_cross_elasticity"):
            records[column] = records[column].astype(float)
        return cls(
            records=records,
            areas=pd.DataFrame(document["areas"]),
            model=dict(document["model"]),
            window=dict(document["window"]),
            calendar=document.get("calendar"),
            created_at=document["created_at"],
            schema_version=document["schema_version"],
            skills=document.get("skills"),
        )


def write_multipliers(multipliers: Multipliers, path: str | Path) -> tuple[Path, Path]:
    """Write the multipliers as JSON and their records as CSV beside it.

    Returns
    -------
    (Path, Path)
        The JSON file and the CSV file (same name, ``.csv``).
    """
    path = Path(path)
    text = _document_text(multipliers.to_dict())
    csv_path = path.with_suffix(".csv")
    # Both files whole or neither: a failed run keeps the previous pair.
    with atomic_path(path) as json_partial, atomic_path(csv_path) as csv_partial:
        json_partial.write_text(text + "\n", encoding="utf-8")
        # Each row says which clock its multipliers measure (no model section in a CSV).
        write_csv(multipliers.records[RECORD_COLUMNS].assign(clock=multipliers.clock),
                  csv_partial)
    return path, csv_path


def _document_text(document: dict) -> str:
    """The multipliers document as JSON text: indented, with one record per
    line. A file of thousands of records stays readable and diffs by record,
    and is written by the json module's C encoder (an indented dump of every
    record is written in Python: 1 s for 15,000 records)."""
    options = {"ensure_ascii": False, "allow_nan": False}
    records = document["records"]
    text = json.dumps({**document, "records": []}, indent=2, **options)
    if not records:
        return text
    lines = ",\n".join("    " + json.dumps(record, **options) for record in records)
    marker = '"records": []'
    # The key is at the document's top level, so its first occurrence is it
    # (no text before it can hold the marker: strings are escaped, keys fixed).
    return text.replace(marker, '"records": [\n' + lines + "\n  ]", 1)


def schema() -> dict:
    """The JSON Schema of the multipliers file."""
    text = resources.files("calibrate").joinpath("multipliers.schema.json").read_text("utf-8")
    return json.loads(text)


def load_multipliers(path: str | Path) -> Multipliers:
    """Read a multipliers JSON file, checking it against the shipped schema.

    Raises
    ------
    InputError
        If the file is missing, not JSON, of another major schema version,
        or does not match the schema (every violation listed).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from calibrate import Calibrator, read_export, load_multipliers, write_multipliers
    >>> SAMPLE, CONFIG = "data/sample/jira_changelog.json", "data/sample/calibrate.toml"
    >>> result = Calibrator().fit(read_export(SAMPLE, config=CONFIG)).result_
    >>> json_path, _ = write_multipliers(result.multipliers,
    ...                                  pathlib.Path(tempfile.mkdtemp()) / "m.json")
    >>> loaded = load_multipliers(json_path)
    >>> bool(loaded.predict("Priya Raman", "research", 3)["p50_days"].iloc[0] > 0)
    True
    """
    import jsonschema

    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError(f"{path} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{path} is not a JSON file: {error}") from None
    version = str(document.get("schema_version", "")) if isinstance(document, dict) else ""
    major = version.split(".")[0]
    if major == "1":
        document = _upgrade_from_1(document)
    elif major != SCHEMA_VERSION.split(".")[0]:
        raise InputError(
            f"{path} has schema version {version or 'none'}; this calibrate reads "
            f"1.x and {SCHEMA_VERSION.split('.')[0]}.x",
            hint="Re-run `calibrate fit` with this version of calibrate.")
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    if errors:
        raise InputError(
            f"{path} is not a valid multipliers file",
            [Problem(error.message, file=str(path),
                     column="/".join(str(p) for p in error.path) or "(top level)")
             for error in errors],
        )
    return Multipliers.from_dict(document)


def _upgrade_from_1(document: dict) -> dict:
    """A 1.x document in the 2.0 shape: 2.0 names the engineer x area sd
    ``engineer_area_sd`` (1.x: ``cell_sd``); nothing else changed. (2.1 only
    added optional fields: ``model.points_range`` and ``model.points_scale``;
    2.2 the optional ``skills`` section: files of 2.0 and 2.1 have none, and
    predict as before.)"""
    document = json.loads(json.dumps(document))  # a deep copy
    model = document.get("model")
    if isinstance(model, dict) and "cell_sd" in model:
        model["engineer_area_sd"] = model.pop("cell_sd")
        identification = model.get("identification")
        if isinstance(identification, dict) and "cell_sd" in identification:
            identification["engineer_area_sd"] = identification.pop("cell_sd")
    document["schema_version"] = "2.0"
    return document


def _version_tuple(version: str) -> tuple[int, ...]:
    """``"2.10"`` as ``(2, 10)``, for comparing versions (0 for parts that are not numbers)."""
    return tuple(int(part) if part.isdigit() else 0 for part in str(version).split("."))


def _plain_records(frame: pd.DataFrame) -> list[dict]:
    """The rows of a flat frame as dicts of plain JSON types (as
    :func:`_clean` makes them: non-finite numbers and missing text None)."""
    columns = []
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_float_dtype(column.dtype):
            values = column.to_numpy(dtype=float)
            cells = values.astype(object)
            cells[~np.isfinite(values)] = None
        elif pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_integer_dtype(
                column.dtype):
            cells = column.to_numpy().astype(object)  # Python ints and bools
        else:
            cells = column.astype(object).where(column.notna(), None).to_numpy()
        columns.append(cells.tolist())
    names = [str(name) for name in frame.columns]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _clean(value):
    """Plain JSON types: numpy scalars to Python, NaN to None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return value

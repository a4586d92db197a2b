"""Figures of a calibration, for the report and for notebooks.

Each figure is a *display*, after scikit-learn's ``RocCurveDisplay``: a
classmethod (``from_result``, ``from_backtest``, ``from_drift``,
``from_table``, ``from_costs``) reads what the figure needs off the fitted
objects — as plain attributes and data frames, every model quantity from the result's
own methods (``predict``, ``overrun_probabilities``, ``recommended_sizes``,
``scores_by_model``, ``pit_histogram``) — and ``plot(...)`` only draws,
returning the display with ``figure_`` and ``ax_`` (one axes) or ``axes_``
(several) set::

    figure = MultipliersDisplay.from_result(result).plot().figure_

``plot`` takes an ``ax`` (or two ``axes``) to draw on; without one a new
:class:`matplotlib.figure.Figure` is made directly — never through
``pyplot`` — so no global figure state is touched, nothing is shown, and
nothing is written: saving is the caller's business
(``display.figure_.savefig(...)``). Figures of one panel per area or
engineer always make their own figure; their ``...OverlayDisplay``
counterparts draw everything on one axes.

- :class:`PointsVsDaysDisplay`: working days against story points, a panel per
  area (:class:`PointsVsDaysOverlayDisplay`: every area on one axes);
- :class:`OverrunMapDisplay`: P(N points > N working days), engineer x area;
- :class:`RecommendedSizesDisplay`: the largest points that fit the cap, engineer x area;
- :class:`MultipliersDisplay`: forest plot of the engineer (and engineer x area)
  multipliers;
- :class:`ElasticityDisplay`: median days per points value against proportional
  growth, a panel per area (:class:`ElasticityOverlayDisplay`: one axes);
- :class:`CalibrationDisplay`: the backtest's interval coverage and PIT histogram;
- :class:`DriftDisplay`: multipliers over successive windows, a panel per engineer
  (:class:`DriftOverlayDisplay`: every engineer on one axes);
- :class:`DataQualityDisplay`: rows kept and left out; tickets per engineer x area;
- :class:`ReassignmentDisplay`: what moving each ticket of a sprint plan to each
  engineer changes, ticket x engineer (``from_costs``);
- :class:`DeclaredVsMeasuredDisplay`: each engineer x area's measured multiplier
  against what their declared skill level predicts, contradictions flagged;
- :class:`RampUpDisplay`: how much slower a new member's tickets are, by weeks on
  the team;
- :class:`SkillGapsDisplay`: per area, who is clearly fast there and the share of
  its recent tickets resting on one person, and what a hire would change
  (:func:`calibrate.skill_gaps.skill_gaps`).

Plain-language captions for these figures are the report's
(:mod:`calibrate.report`), not the plots'.

Examples
--------
>>> import calibrate
>>> from calibrate.plots import MultipliersDisplay
>>> table = calibrate.read_export("data/sample/jira_changelog.json",
...                               config="data/sample/calibrate.toml")
>>> display = MultipliersDisplay.from_result(calibrate.Calibrator().fit(table).result_)
>>> type(display.plot().figure_).__name__
'Figure'
"""

from calibrate.plots._backtest import CalibrationDisplay, DriftDisplay, DriftOverlayDisplay
from calibrate.plots._elasticity import ElasticityDisplay, ElasticityOverlayDisplay
from calibrate.plots._grids import OverrunMapDisplay, RecommendedSizesDisplay
from calibrate.plots._multipliers import MultipliersDisplay
from calibrate.plots._points import PointsVsDaysDisplay, PointsVsDaysOverlayDisplay
from calibrate.plots._quality import DataQualityDisplay
from calibrate.plots._reassignment import ReassignmentDisplay
from calibrate.plots._skill_gaps import SkillGapsDisplay
from calibrate.plots._skills import DeclaredVsMeasuredDisplay, RampUpDisplay

__all__ = [
    "CalibrationDisplay",
    "DataQualityDisplay",
    "DeclaredVsMeasuredDisplay",
    "DriftDisplay",
    "DriftOverlayDisplay",
    "ElasticityDisplay",
    "ElasticityOverlayDisplay",
    "MultipliersDisplay",
    "OverrunMapDisplay",
    "PointsVsDaysDisplay",
    "PointsVsDaysOverlayDisplay",
    "RampUpDisplay",
    "ReassignmentDisplay",
    "RecommendedSizesDisplay",
    "SkillGapsDisplay",
]

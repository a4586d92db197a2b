"""Reference computations shared by several test modules (independent of calibrate)."""

import warnings

import numpy as np
from statsmodels.stats.meta_analysis import combine_effects


def dersimonian_laird(effects: np.ndarray, variances: np.ndarray) -> tuple[float, float]:
    """statsmodels' DerSimonian-Laird random-effects mean and the variance
    of one more study's effect (var of the mean + tau^2). statsmodels does
    not truncate tau^2 at 0; the estimator does (Q below its degrees of
    freedom: no spread between the areas), and then it is the fixed-effect
    (inverse-variance) mean."""
    with warnings.catch_warnings():
        # Its random-effects columns at a negative tau^2 (unused then).
        warnings.simplefilter("ignore", RuntimeWarning)
        reference = combine_effects(effects, variances, method_re="chi2")
    if reference.tau2 <= 0:
        return reference.mean_effect_fe, reference.var_eff_w_fe
    return reference.mean_effect_re, reference.var_eff_w_re + reference.tau2

"""The normal and chi-squared functions the computations use.

``scipy.stats`` costs about 0.8 s to import (its hundred distribution classes
and their docstrings), which every command that fits would pay for a handful
of closed-form functions. These are the same functions from
``scipy.special``, which ``scipy.stats`` itself evaluates them with.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["chi2_ppf", "chi2_sf", "normal_cdf", "normal_logpdf", "normal_pdf", "normal_ppf",
           "normal_sf"]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def normal_cdf(x):
    """P(Z <= x) for a standard normal Z (``scipy.stats.norm.cdf``)."""
    return special.ndtr(np.asarray(x, dtype=float))


def normal_sf(x):
    """P(Z > x), accurate far in the upper tail (``scipy.stats.norm.sf``)."""
    return special.ndtr(-np.asarray(x, dtype=float))


def normal_ppf(q):
    """The standard normal quantile of ``q`` (``scipy.stats.norm.ppf``)."""
    return special.ndtri(np.asarray(q, dtype=float))


def normal_pdf(x):
    """The standard normal density (``scipy.stats.norm.pdf``)."""
    return np.exp(normal_logpdf(x))


def normal_logpdf(x, loc=0.0, scale=1.0):
    """The log density of N(loc, scale^2) at ``x`` (``scipy.stats.norm.logpdf``)."""
    scale = np.asarray(scale, dtype=float)
    z = (np.asarray(x, dtype=float) - loc) / scale
    return -0.5 * z * z - np.log(scale) - _LOG_SQRT_2PI


def chi2_sf(x, df):
    """P(X > x) for X chi-squared with ``df`` degrees of freedom
    (``scipy.stats.chi2.sf``)."""
    return special.chdtrc(df, np.asarray(x, dtype=float))


def chi2_ppf(q, df):
    """The ``q`` quantile of the chi-squared distribution with ``df`` degrees
    of freedom (``scipy.stats.chi2.ppf``)."""
    return special.chdtri(df, 1.0 - np.asarray(q, dtype=float))

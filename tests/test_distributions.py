"""The normal and chi-squared functions against scipy.stats (the reference)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from calibrate._distributions import (
    chi2_ppf,
    chi2_sf,
    normal_cdf,
    normal_logpdf,
    normal_pdf,
    normal_ppf,
    normal_sf,
)

FINITE = st.floats(-30, 30, allow_nan=False)
PROBABILITY = st.floats(1e-12, 1 - 1e-12)


@given(FINITE)
def test_normal_functions_match_scipy_stats(x):
    np.testing.assert_allclose(normal_cdf(x), stats.norm.cdf(x), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(normal_sf(x), stats.norm.sf(x), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(normal_pdf(x), stats.norm.pdf(x), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(normal_logpdf(x, 0.3, 2.5), stats.norm.logpdf(x, 0.3, 2.5),
                               rtol=1e-12)


@given(PROBABILITY)
def test_normal_quantile_matches_scipy_stats(q):
    np.testing.assert_allclose(normal_ppf(q), stats.norm.ppf(q), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("df", [1, 2, 9, 40])
def test_chi2_functions_match_scipy_stats(df):
    x = np.array([0.0, 1e-6, 0.5, 3.84, 10.85, 80.0])
    np.testing.assert_allclose(chi2_sf(x, df), stats.chi2.sf(x, df), rtol=1e-10)
    q = np.array([0.5, 0.9, 0.95, 0.99])
    np.testing.assert_allclose(chi2_ppf(q, df), stats.chi2.ppf(q, df), rtol=1e-10)


def test_arrays_and_series_come_back_as_arrays():
    import pandas as pd

    values = pd.Series([-1.0, 0.0, 2.0], index=[5, 6, 7])
    result = normal_sf(values)
    assert isinstance(result, np.ndarray)
    np.testing.assert_allclose(result, stats.norm.sf(values.to_numpy()), rtol=1e-12)
    # The 95% two-sided critical values the model quotes, by hand:
    assert normal_ppf(0.975) == pytest.approx(1.959963984540054, rel=1e-12)
    assert chi2_ppf(0.95, 1) == pytest.approx(1.959963984540054**2, rel=1e-10)


def test_planners_reading_the_multipliers_import_neither_scipy_stats_nor_sklearn(tmp_path):
    """scipy.stats and scikit-learn (which imports scipy.stats) cost about a
    second to import: a tool that loads the multipliers file and predicts
    pays neither (the fit needs scikit-learn for its estimator contract)."""
    import subprocess
    import sys
    import warnings

    from calibrate import Calibrator
    from calibrate.datasets import load_sample
    from calibrate.export import write_multipliers

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = Calibrator().fit(load_sample()).result_
    path, _ = write_multipliers(result.multipliers, tmp_path / "multipliers.json")
    engineer, area = result.engineer_area_multipliers[["engineer", "area"]].iloc[0]
    code = ("import sys\n"
            "from calibrate.export import load_multipliers\n"
            f"multipliers = load_multipliers({str(path)!r})\n"
            f"prediction = multipliers.predict({engineer!r}, {area!r}, 3)\n"
            "assert prediction['p50_days'].iloc[0] > 0\n"
            "print(sorted(name for name in ('scipy.stats', 'sklearn') if name in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"

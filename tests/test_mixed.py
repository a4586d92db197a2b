"""The sums-based (RE)ML engine against independent computations:
statsmodels MixedLM (converged, two optimizers) and dense matrix algebra."""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from calibrate._mixed import aggregate, fit_mixed
from calibrate.model import prepare_design


def simulate(seed, engineers=25, areas=3, rows=1500, su=0.3, sv=0.2, sigma=0.6):
    """Tickets from the nested model, as a canonical-like frame."""
    rng = np.random.default_rng(seed)
    engineer = rng.integers(0, engineers, rows)
    area = rng.integers(0, areas, rows)
    points = rng.choice([1.0, 2.0, 3.0, 5.0, 8.0], rows)
    u = rng.normal(0, su, engineers)
    v = rng.normal(0, sv, (engineers, areas))
    intercept = np.array([0.5, 0.7, 0.6, 0.4])[:areas]
    slope = np.array([0.6, 0.5, 0.7, 0.8])[:areas]
    noise = sigma if np.isscalar(sigma) else np.asarray(sigma)[area]
    y = (intercept[area] + slope[area] * np.log(points / 3) + u[engineer]
         + v[engineer, area] + rng.normal(0, 1, rows) * noise)
    return pd.DataFrame({
        "engineer": pd.array([f"e{e:03d}" for e in engineer], dtype="string"),
        "area": pd.array([f"a{a}" for a in area], dtype="string"),
        "points": points,
        "duration_days": np.exp(y),
        "censored": np.zeros(rows, dtype=bool),
    })


def design_sums(frame, noise="shared"):
    design = prepare_design(frame)
    groups = design.cell_area if noise == "area" else np.zeros(len(design.cell_area), int)
    n_groups = len(design.areas) if noise == "area" else 1
    return design, design.sums(groups, n_groups)


def statsmodels_fit(frame, method):
    data = pd.DataFrame({
        "y": np.log(frame["duration_days"]),
        "c": np.log(frame["points"] / 3),
        "area": frame["area"].astype(str),
        "engineer": frame["engineer"].astype(str),
    })
    data["cell"] = data["engineer"] + "|" + data["area"]
    model = smf.mixedlm("y ~ 0 + C(area) + C(area):c", data, groups="engineer",
                        re_formula="1", vc_formula={"cell": "0 + C(cell)"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(reml=True, method=[method])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_agrees_with_statsmodels_mixedlm(seed):
    frame = simulate(seed)
    design, sums = design_sums(frame)
    ours = fit_mixed(sums)
    # The reference is only a reference if it converged with two optimizers
    # that agree with each other; the one with the higher likelihood is used.
    fits = [statsmodels_fit(frame, method) for method in ("lbfgs", "powell")]
    assert all(f.converged for f in fits)
    np.testing.assert_allclose(fits[0].fe_params, fits[1].fe_params, atol=1e-3)
    reference = max(fits, key=lambda f: f.llf)
    assert ours.converged
    assert ours.log_likelihood >= reference.llf - 1e-6

    # statsmodels orders C(area)[a0..] then C(area)[a]:c — the same as ours.
    np.testing.assert_allclose(ours.beta, reference.fe_params.to_numpy(), atol=1e-3)
    np.testing.assert_allclose(ours.engineer_sd**2, reference.cov_re.iloc[0, 0], atol=1e-3)
    np.testing.assert_allclose(ours.engineer_area_sd**2, reference.vcomp[0], atol=1e-3)
    np.testing.assert_allclose(ours.sigma[0] ** 2, reference.scale, atol=1e-3)
    np.testing.assert_allclose(ours.log_likelihood, reference.llf, atol=1e-3)

    effects = reference.random_effects
    u = np.array([effects[e].iloc[0] for e in design.engineers])
    np.testing.assert_allclose(ours.engineer_effect, u, atol=1e-3)
    v = np.array([
        effects[design.engineers[e]][f"cell[C(cell)[{design.engineers[e]}|{design.areas[a]}]]"]
        for e, a in zip(design.cell_engineer, design.cell_area, strict=True)
    ])
    np.testing.assert_allclose(ours.cell_effect, v, atol=1e-3)
    # Standard errors of the fixed effects (Wald) come from the same matrix.
    np.testing.assert_allclose(np.sqrt(np.diag(ours.beta_covariance)),
                               reference.bse_fe.to_numpy(), rtol=1e-2)


def dense_model(frame, sigma_by_area, su, sv):
    """X, y, Z, G, V written out in full (only feasible for small data)."""
    design = prepare_design(frame)
    x = design.patterns[design.pattern]
    y = design.log_duration
    rows = len(y)
    n_engineers, n_cells = len(design.engineers), len(design.cell_engineer)
    z = np.zeros((rows, n_engineers + n_cells))
    z[np.arange(rows), design.engineer] = 1
    z[np.arange(rows), n_engineers + design.cell] = 1
    g = np.diag([su**2] * n_engineers + [sv**2] * n_cells)
    r = np.diag(np.asarray(sigma_by_area)[design.area] ** 2)
    v = z @ g @ z.T + r
    return design, x, y, z, g, v


def dense_reml(x, y, v):
    """-2 restricted log-likelihood and GLS fixed effects, written out in full."""
    v_inverse = np.linalg.inv(v)
    xvx = x.T @ v_inverse @ x
    beta = np.linalg.solve(xvx, x.T @ v_inverse @ y)
    residual = y - x @ beta
    value = (np.linalg.slogdet(v)[1] + np.linalg.slogdet(xvx)[1]
             + residual @ v_inverse @ residual + (len(y) - x.shape[1]) * np.log(2 * np.pi))
    return value, beta


def test_criterion_and_predictions_match_dense_algebra():
    frame = simulate(7, engineers=6, areas=2, rows=80)
    sigma = np.array([0.5, 0.8])
    su, sv = 0.35, 0.25
    design, x, y, z, g, v = dense_model(frame, sigma, su, sv)
    _, sums = design_sums(frame, noise="area")

    from calibrate._mixed import _criterion

    value, forms, beta = _criterion(sums, sigma, su, sv, reml=True)
    dense, beta_dense = dense_reml(x, y, v)
    np.testing.assert_allclose(value, dense, rtol=1e-10)
    np.testing.assert_allclose(beta, beta_dense, rtol=1e-9)

    # Fit, then compare BLUPs and prediction-error variances at the optimum.
    fit = fit_mixed(sums)
    design, x, y, z, g, v = dense_model(frame, fit.sigma, fit.engineer_sd, fit.engineer_area_sd)
    v_inverse = np.linalg.inv(v)
    m = np.linalg.inv(x.T @ v_inverse @ x)
    beta = m @ x.T @ v_inverse @ y
    blup = g @ z.T @ v_inverse @ (y - x @ beta)
    n_engineers = len(design.engineers)
    np.testing.assert_allclose(fit.engineer_effect, blup[:n_engineers], atol=1e-10)
    np.testing.assert_allclose(fit.cell_effect, blup[n_engineers:], atol=1e-10)

    # Henderson: Var(l'b_hat - l'b) = l'Gl - h'V^-1 h + q'Mq, h = ZGl, q = X'V^-1 h.
    variance, cross = fit.cell_effect_uncertainty()
    for cell, engineer in enumerate(design.cell_engineer):
        weights = np.zeros(z.shape[1])
        weights[engineer] = 1
        weights[n_engineers + cell] = 1
        h = z @ g @ weights
        q = x.T @ v_inverse @ h
        expected = weights @ g @ weights - h @ v_inverse @ h + q @ m @ q
        np.testing.assert_allclose(variance[cell], expected, rtol=1e-8)
        np.testing.assert_allclose(cross[cell], m @ q, rtol=1e-8, atol=1e-12)

    # An engineer's own ticket mix, u + sum_c share_c v_c, and the engineer
    # effect alone (shares 0: the best linear predictor in a new area).
    rng = np.random.default_rng(0)
    own_share = rng.uniform(0.1, 1.0, len(design.cell_engineer))
    own_share /= np.bincount(design.cell_engineer, own_share)[design.cell_engineer]
    for share in (own_share, np.zeros(len(design.cell_engineer))):
        mean, variance, cross = fit.engineer_mix_effect(share)
        for engineer in range(n_engineers):
            weights = np.zeros(z.shape[1])
            weights[engineer] = 1
            own_cells = np.flatnonzero(design.cell_engineer == engineer)
            weights[n_engineers + own_cells] = share[own_cells]
            h = z @ g @ weights
            q = x.T @ v_inverse @ h
            expected = weights @ g @ weights - h @ v_inverse @ h + q @ m @ q
            np.testing.assert_allclose(variance[engineer], expected, rtol=1e-8)
            np.testing.assert_allclose(cross[engineer], m @ q, rtol=1e-8, atol=1e-12)
            np.testing.assert_allclose(mean[engineer], weights @ blup, atol=1e-10)


def test_frequency_weights_are_repeated_rows():
    """A row of weight 2 is two identical rows (against V written out in full);
    fractional weights interpolate the sums linearly."""
    frame = simulate(8, engineers=5, areas=2, rows=60)
    sigma, su, sv = np.array([0.5, 0.8]), 0.3, 0.2
    design = prepare_design(frame)
    frequency = np.random.default_rng(1).integers(1, 3, len(frame)).astype(float)

    from calibrate._mixed import _criterion

    weighted = aggregate(design.cell, design.pattern, design.patterns, design.log_duration,
                         design.cell_engineer, design.cell_area, len(design.engineers), 2,
                         frequency=frequency)
    value, _, beta = _criterion(weighted, sigma, su, sv, reml=True)
    repeat = np.repeat(np.arange(len(frame)), frequency.astype(int))
    _, x, y, _, _, v = dense_model(frame.iloc[repeat].reset_index(drop=True), sigma, su, sv)
    dense, beta_dense = dense_reml(x, y, v)
    np.testing.assert_allclose(value, dense, rtol=1e-10)
    np.testing.assert_allclose(beta, beta_dense, rtol=1e-9)
    half = aggregate(design.cell, design.pattern, design.patterns, design.log_duration,
                     design.cell_engineer, design.cell_area, len(design.engineers), 2,
                     frequency=np.full(len(frame), 0.5))
    plain = aggregate(design.cell, design.pattern, design.patterns, design.log_duration,
                      design.cell_engineer, design.cell_area, len(design.engineers), 2)
    for name in ("n", "sx", "sxx", "sy", "sxy", "syy"):
        np.testing.assert_allclose(getattr(half, name), 0.5 * getattr(plain, name), rtol=1e-12)


def test_sums_merge():
    frame = simulate(9, engineers=4, areas=2, rows=50)
    design, whole = design_sums(frame)
    half = np.arange(len(frame)) < 20
    groups = np.zeros(len(design.cell_area), int)
    merged = design.sums(groups, 1, rows=half) + design.sums(groups, 1, rows=~half)
    for name in ("n", "sx", "sxx", "sy", "sxy", "syy"):
        np.testing.assert_allclose(getattr(merged, name), getattr(whole, name), atol=1e-12)


def test_area_noise_fit_is_a_maximum_of_the_dense_criterion():
    frame = simulate(11, engineers=12, areas=2, rows=400, sigma=[0.4, 0.9])
    _, sums = design_sums(frame, noise="area")
    fit = fit_mixed(sums)
    np.testing.assert_allclose(fit.sigma, [0.4, 0.9], rtol=0.15)

    def dense_criterion(sigma, su, sv):
        _, x, y, _, _, v = dense_model(frame, sigma, su, sv)
        v_inverse = np.linalg.inv(v)
        xvx = x.T @ v_inverse @ x
        beta = np.linalg.solve(xvx, x.T @ v_inverse @ y)
        residual = y - x @ beta
        return (np.linalg.slogdet(v)[1] + np.linalg.slogdet(xvx)[1]
                + residual @ v_inverse @ residual)

    best = dense_criterion(fit.sigma, fit.engineer_sd, fit.engineer_area_sd)
    for step in ([0.01, 0, 0, 0], [0, -0.01, 0, 0], [0, 0, 0.01, 0], [0, 0, 0, -0.01]):
        sigma = fit.sigma + np.array(step[:2])
        assert dense_criterion(sigma, fit.engineer_sd + step[2],
                               fit.engineer_area_sd + step[3]) > best


def test_zero_variance_is_reported_on_the_boundary_not_as_zeroed_fixed_effects():
    # No engineer differences at all: both variances belong at zero, and the
    # fixed effects must then equal ordinary least squares (statsmodels
    # issue 10239: the obvious call can return an intercept of exactly 0.0).
    frame = simulate(5, engineers=50, rows=3000, su=0.0, sv=0.0, sigma=0.5)
    _, sums = design_sums(frame)
    fit = fit_mixed(sums)
    assert fit.engineer_sd < 0.03 and fit.engineer_area_sd < 0.03
    data = pd.DataFrame({"y": np.log(frame["duration_days"]),
                         "c": np.log(frame["points"] / 3), "area": frame["area"].astype(str)})
    ols = smf.ols("y ~ 0 + C(area) + C(area):c", data).fit()
    np.testing.assert_allclose(fit.beta, ols.params.to_numpy(), atol=2e-3)
    assert np.all(np.abs(fit.beta[:3]) > 0.3)  # intercepts near their true 0.5-0.7


def test_aggregate_equals_direct_sums():
    frame = simulate(3, engineers=4, areas=2, rows=60)
    design, sums = design_sums(frame)
    x = design.patterns[design.pattern]
    y = design.log_duration
    for cell in range(len(design.cell_engineer)):
        rows = design.cell == cell
        np.testing.assert_allclose(sums.n[cell], rows.sum())
        np.testing.assert_allclose(sums.sx[cell], x[rows].sum(0), atol=1e-12)
        np.testing.assert_allclose(sums.sxx[cell], x[rows].T @ x[rows], atol=1e-12)
        np.testing.assert_allclose(sums.sy[cell], y[rows].sum(), atol=1e-12)
        np.testing.assert_allclose(sums.sxy[cell], x[rows].T @ y[rows], atol=1e-12)
        np.testing.assert_allclose(sums.syy[cell], (y[rows] ** 2).sum(), atol=1e-12)


def test_aggregate_uses_given_squares():
    cell = np.array([0, 0, 1])
    pattern = np.zeros(3, dtype=int)
    patterns = np.ones((1, 1))
    sums = aggregate(cell, pattern, patterns, np.array([1.0, 2.0, 3.0]),
                     np.array([0, 0]), np.array([0, 0]), 1, 1,
                     y_squared=np.array([10.0, 20.0, 30.0]))
    np.testing.assert_allclose(sums.syy, [30.0, 30.0])
    np.testing.assert_allclose(sums.sy, [3.0, 3.0])

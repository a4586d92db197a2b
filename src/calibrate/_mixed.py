"""Exact (RE)ML for the nested normal model, computed from per-cell sums.

Model, for ticket i of engineer e in area a (cell c = (e, a))::

    y_i = x_i' beta + u_e + v_c + e_i,   u_e ~ N(0, su^2),  v_c ~ N(0, sv^2),
    e_i ~ N(0, sigma_a^2)

Rows of one cell share sigma, so V_c = sigma^2 I + sv^2 J has the inverse
(1/sigma^2)(I - g J) with g = sv^2 / (sigma^2 + n sv^2), and V_c^-1 1 = w 1
with w = 1 / (sigma^2 + n sv^2). An engineer's block adds su^2 11' — one more
rank-one (Woodbury) step with k = su^2 / (1 + su^2 W), W = sum_c n_c w_c.
Every quadratic form the likelihood needs (X'V^-1X, X'V^-1y, y'V^-1y) and
log|V| is then a sum over cells of terms in n, sum x, sum y, sum xx', sum xy,
sum y^2: the cost after one pass over the rows is O(cells * p^2), whatever
the number of rows. Predictions of the random effects (BLUPs) and their
conditional variances come from the same sums.

Rows may carry a *frequency* weight f_i: the row counts f_i times, as if
it were f_i identical rows (recency weighting gives an old ticket f < 1; the
censoring EM gives an open ticket 1 - P(abandoned)). It multiplies every sum,
n included, so the formulas above hold with n = sum f.

This module is pure computation (numpy/scipy); it knows nothing of tickets.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import optimize

__all__ = ["CellSums", "MixedFit", "aggregate", "fit_mixed"]

_LOG_2PI = np.log(2 * np.pi)


@dataclass(frozen=True)
class CellSums:
    """Sufficient statistics per cell (engineer x area).

    Attributes
    ----------
    engineer, group : ndarray of int, shape (C,)
        Engineer code and noise group (area, or 0 for a shared noise sd) of
        each cell.
    n : ndarray, shape (C,)
        Sum of the frequency weights (the row count when unweighted).
    sx : ndarray, shape (C, p)
    sxx : ndarray, shape (C, p, p)
    sy, syy : ndarray, shape (C,)
    sxy : ndarray, shape (C, p)
    n_engineers, n_groups : int
    """

    engineer: np.ndarray
    group: np.ndarray
    n: np.ndarray
    sx: np.ndarray
    sxx: np.ndarray
    sy: np.ndarray
    sxy: np.ndarray
    syy: np.ndarray
    n_engineers: int
    n_groups: int

    def __add__(self, other: CellSums) -> CellSums:
        """Sums of two sets of rows over the same cells (sums merge)."""
        return replace(self, n=self.n + other.n, sx=self.sx + other.sx,
                       sxx=self.sxx + other.sxx, sy=self.sy + other.sy,
                       sxy=self.sxy + other.sxy, syy=self.syy + other.syy)

    @property
    def n_features(self) -> int:
        return self.sx.shape[1]

    def with_responses(self, sy: np.ndarray, sxy: np.ndarray, syy: np.ndarray) -> CellSums:
        """The same cells with other response sums (used by the censoring EM)."""
        return replace(self, sy=sy, sxy=sxy, syy=syy)


def aggregate(
    cell: np.ndarray,
    pattern: np.ndarray,
    patterns: np.ndarray,
    y: np.ndarray,
    cell_engineer: np.ndarray,
    cell_group: np.ndarray,
    n_engineers: int,
    n_groups: int,
    y_squared: np.ndarray | None = None,
    frequency: np.ndarray | None = None,
) -> CellSums:
    """Per-cell sums from rows, in one pass.

    Rows are described by a cell code and a *pattern* code: the row's design
    vector is ``patterns[pattern]`` (the design depends only on the area and
    the points, so there are few patterns). Rows are first summed per
    (cell, pattern) with ``bincount``; the p x p products are then formed
    per (cell, pattern), not per row.

    ``y_squared`` replaces ``y**2`` in the sum of squares (for censored rows
    the EM supplies E[y^2], which is not E[y]^2). ``frequency`` holds
    per-row weights (see the module notes); None means 1.
    """
    n_cells = len(cell_engineer)
    n_patterns, p = patterns.shape
    key = cell.astype(np.int64) * n_patterns + pattern
    size = n_cells * n_patterns
    squared = y * y if y_squared is None else y_squared
    plain = np.bincount(key, minlength=size)
    if frequency is None:
        count = plain
        total = np.bincount(key, weights=y, minlength=size)
        squares = np.bincount(key, weights=squared, minlength=size)
    else:
        count = np.bincount(key, weights=frequency, minlength=size)
        total = np.bincount(key, weights=y * frequency, minlength=size)
        squares = np.bincount(key, weights=squared * frequency, minlength=size)
    # A row of weight 0 still names its cell (an engineer with only such rows).
    used = np.flatnonzero(plain)
    used_cell, used_pattern = np.divmod(used, n_patterns)
    x = patterns[used_pattern]
    weight = count[used].astype(float)

    def per_cell(values: np.ndarray) -> np.ndarray:
        flat = values.reshape(len(used), -1)
        out = np.zeros((n_cells, flat.shape[1]))
        np.add.at(out, used_cell, flat)
        return out.reshape((n_cells,) + values.shape[1:])

    return CellSums(
        engineer=np.asarray(cell_engineer),
        group=np.asarray(cell_group),
        n=np.bincount(used_cell, weights=weight, minlength=n_cells),
        sx=per_cell(weight[:, None] * x),
        sxx=per_cell(weight[:, None, None] * x[:, :, None] * x[:, None, :]),
        sy=np.bincount(used_cell, weights=total[used], minlength=n_cells),
        sxy=per_cell(total[used][:, None] * x),
        syy=np.bincount(used_cell, weights=squares[used], minlength=n_cells),
        n_engineers=n_engineers,
        n_groups=n_groups,
    )


@dataclass(frozen=True)
class _Forms:
    """Quadratic forms and determinant at one value of the variance parameters."""

    xvx: np.ndarray
    xvy: np.ndarray
    yvy: float
    logdet: float
    w: np.ndarray  # per cell
    k: np.ndarray  # per engineer
    big_w: np.ndarray  # per engineer
    t: np.ndarray  # per engineer: sum over cells of w * sum x


def _forms(sums: CellSums, sigma: np.ndarray, su: float, sv: float) -> _Forms:
    s2 = sigma[sums.group] ** 2
    n = sums.n
    sv2, su2 = sv * sv, su * su
    denominator = s2 + n * sv2
    g = sv2 / denominator
    w = 1.0 / denominator
    # Within cells (matrix products, not einsum: this runs hundreds of times).
    inverse_s2 = 1 / s2
    p = sums.n_features
    xvx = (inverse_s2 @ sums.sxx.reshape(len(n), p * p)).reshape(p, p)
    xvx -= (sums.sx * (g * inverse_s2)[:, None]).T @ sums.sx
    xvy = inverse_s2 @ sums.sxy - (g * sums.sy * inverse_s2) @ sums.sx
    yvy = float(np.sum((sums.syy - g * sums.sy**2) * inverse_s2))
    logdet = float(np.sum(n * np.log(s2) + np.log1p(n * sv2 * inverse_s2)))
    # Across an engineer's cells (rank-one update per engineer).
    engineers = sums.n_engineers
    weighted = w[:, None] * sums.sx
    t = np.column_stack([np.bincount(sums.engineer, weights=weighted[:, j], minlength=engineers)
                         for j in range(p)])
    s = np.bincount(sums.engineer, weights=w * sums.sy, minlength=engineers)
    big_w = np.bincount(sums.engineer, weights=n * w, minlength=engineers)
    k = su2 / (1 + su2 * big_w)
    xvx = xvx - (t * k[:, None]).T @ t
    xvy = xvy - (k * s) @ t
    yvy -= float(np.sum(k * s * s))
    logdet += float(np.sum(np.log1p(su2 * big_w)))
    return _Forms(xvx, xvy, yvy, logdet, w, k, big_w, t)


def _criterion(sums: CellSums, sigma: np.ndarray, su: float, sv: float,
               reml: bool) -> tuple[float, _Forms, np.ndarray]:
    """-2 log-likelihood (ML) or -2 restricted log-likelihood (REML)."""
    forms = _forms(sums, sigma, su, sv)
    try:
        chol = np.linalg.cholesky(forms.xvx)
    except np.linalg.LinAlgError:
        # A huge finite value keeps finite-difference gradients defined.
        return 1e100, forms, np.full(sums.n_features, np.nan)
    beta = np.linalg.solve(forms.xvx, forms.xvy)
    rss = forms.yvy - beta @ forms.xvy
    total = float(sums.n.sum())
    value = forms.logdet + rss
    if reml:
        value += 2 * np.sum(np.log(np.diag(chol))) + (total - sums.n_features) * _LOG_2PI
    else:
        value += total * _LOG_2PI
    return float(value), forms, beta


@dataclass(frozen=True)
class MixedFit:
    """A fitted nested model.

    Attributes
    ----------
    beta : ndarray (p,)
        Fixed effects.
    beta_covariance : ndarray (p, p)
        (X'V^-1X)^-1 at the estimated variances.
    sigma : ndarray (groups,)
        Residual sd per noise group.
    engineer_sd, engineer_area_sd : float
        su and sv.
    engineer_effect : ndarray (E,)
        Predicted u per engineer (BLUP).
    cell_effect : ndarray (C,)
        Predicted v per cell.
    engineer_weight : ndarray (E,)
        Share of an engineer's own data in u: su^2 W / (1 + su^2 W).
    criterion : float
        -2 (restricted) log-likelihood at the optimum.
    reml : bool
    converged : bool
    iterations : int
    """

    beta: np.ndarray
    beta_covariance: np.ndarray
    sigma: np.ndarray
    engineer_sd: float
    engineer_area_sd: float
    engineer_effect: np.ndarray
    cell_effect: np.ndarray
    engineer_weight: np.ndarray
    criterion: float
    reml: bool
    converged: bool
    iterations: int
    message: str
    _sums: CellSums
    _forms: _Forms

    @property
    def log_likelihood(self) -> float:
        return -0.5 * self.criterion

    def cell_effect_uncertainty(self) -> tuple[np.ndarray, np.ndarray]:
        """Prediction-error variance of u_e + v_c for every cell, and its
        cross term with the fixed effects.

        For l'b = u_e + v_c, Henderson's prediction-error variance, including
        the uncertainty of the estimated fixed effects, is
        l'G l - h'V^-1 h + q'M q, where h = Cov(y, l'b) (nonzero only on the
        engineer's rows), q = X'V^-1 h and M = (X'V^-1 X)^-1. A prediction
        x'beta + l'b then has error variance
        l'G l - h'V^-1 h + (x - q)'M(x - q), so the cross term M q is
        returned too.

        Returns
        -------
        variance : ndarray (C,)
        cross : ndarray (C, p)
            M q per cell.
        """
        sums, forms = self._sums, self._forms
        su2, sv2 = self.engineer_sd**2, self.engineer_area_sd**2
        engineer = sums.engineer
        nw = sums.n * forms.w
        big_w, k, t = forms.big_w[engineer], forms.k[engineer], forms.t[engineer]
        # l puts weight 1 on u and on the cell's own v: alpha = su^2 + sv^2 on
        # the cell, su^2 on the engineer's other cells.
        squares = su2 * su2 * big_w + (2 * su2 * sv2 + sv2 * sv2) * nw
        linear = su2 * big_w + sv2 * nw
        q = su2 * t + sv2 * forms.w[:, None] * sums.sx - (k * linear)[:, None] * t
        cross = q @ self.beta_covariance
        variance = su2 + sv2 - (squares - k * linear**2) + np.einsum("cp,cp->c", q, cross)
        return np.maximum(variance, 0.0), cross

    def engineer_mix_effect(self, cell_weight: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                     np.ndarray]:
        """Mean and prediction-error variance of u_e + sum_c cell_weight_c v_c.

        ``cell_weight`` has one entry per cell (the engineer's share of their
        tickets in that cell for the engineer's own ticket mix; all zeros for
        the engineer effect u_e alone). With l the combination, h = Cov(y,
        l'b) is alpha_c = su^2 + sv^2 cell_weight_c on every row of the
        engineer's cell c, so every term comes from the sums as in
        :meth:`cell_effect_uncertainty`.

        Returns
        -------
        mean : ndarray (E,)
        variance : ndarray (E,)
            Including the fixed effects' uncertainty (q'M q).
        cross : ndarray (E, p)
            M q per engineer: a prediction x'beta + l'b has error variance
            variance + x'M x - 2 x'(M q).
        """
        sums, forms = self._sums, self._forms
        su2, sv2 = self.engineer_sd**2, self.engineer_area_sd**2
        engineers = sums.n_engineers
        omega = np.asarray(cell_weight, dtype=float)
        nw = sums.n * forms.w

        def per_engineer(values: np.ndarray) -> np.ndarray:
            return np.bincount(sums.engineer, weights=values, minlength=engineers)

        nw_sum = per_engineer(nw * omega)
        squares = (su2 * su2 * forms.big_w + 2 * su2 * sv2 * nw_sum
                   + sv2 * sv2 * per_engineer(nw * omega**2))
        linear = su2 * forms.big_w + sv2 * nw_sum
        weighted_sx = (omega * forms.w)[:, None] * sums.sx
        own = np.column_stack([per_engineer(weighted_sx[:, j]) for j in range(sums.n_features)])
        q = su2 * forms.t + sv2 * own - (forms.k * linear)[:, None] * forms.t
        prior = su2 + sv2 * per_engineer(omega**2)
        cross = q @ self.beta_covariance
        variance = prior - (squares - forms.k * linear**2) + np.einsum("ep,ep->e", q, cross)
        mean = self.engineer_effect + per_engineer(omega * self.cell_effect)
        return mean, np.maximum(variance, 0.0), cross

    def criterion_at(self, engineer_sd: float, engineer_area_sd: float) -> float:
        """The fitted criterion (-2 log-likelihood, ML or REML as fitted) at
        other values of the engineer and engineer x area sds, the noise sds
        kept at their estimates (for checking what the data determine)."""
        value, _, _ = _criterion(self._sums, self.sigma, engineer_sd, engineer_area_sd, self.reml)
        return value


def fit_mixed(
    sums: CellSums,
    *,
    reml: bool = True,
    start: tuple[np.ndarray, float, float] | None = None,
    free: tuple[str, ...] = ("engineer", "cell"),
    tolerance: float = 1e-12,
) -> MixedFit:
    """Fit the variance parameters by (RE)ML and compute everything else in closed form.

    Parameters
    ----------
    sums : CellSums
    reml : bool
        Restricted (default) or full maximum likelihood.
    start : (sigma, su, sv), optional
        Starting values (warm start).
    free : tuple of {"engineer", "cell"}
        The variance components to estimate; the others are held at 0.
        ``()`` fits without random effects: the team-only model.
    tolerance : float
        Relative tolerance on the (per-ticket) criterion.
    """
    groups = sums.n_groups
    if start is None:
        sigma0 = np.full(groups, _pooled_sd(sums))
        start = (sigma0, 0.5 * sigma0.mean(), 0.3 * sigma0.mean())
    sigma0, su0, sv0 = start
    unknown = set(free) - {"engineer", "cell"}
    if unknown:
        raise ValueError(f"free components must be 'engineer' and/or 'cell', not {unknown}")
    free_engineer, free_cell = "engineer" in free, "cell" in free
    n_free = free_engineer + free_cell

    def unpack(theta: np.ndarray) -> tuple[np.ndarray, float, float]:
        sigma = np.exp(theta[:groups])
        rest = iter(theta[groups:])
        su = float(next(rest)) if free_engineer else 0.0
        sv = float(next(rest)) if free_cell else 0.0
        return sigma, su, sv

    # Per-ticket scale: the criterion grows with the number of tickets, and
    # an O(1) objective keeps finite-difference gradients accurate.
    per_ticket = 1.0 / max(float(sums.n.sum()), 1.0)

    def objective(theta: np.ndarray) -> float:
        value, _, _ = _criterion(sums, *unpack(theta), reml)
        return value * per_ticket

    # Bounds scaled to the data: far wider than any plausible optimum, but
    # away from degenerate corners where the criterion overflows.
    scale = _pooled_sd(sums)
    theta0 = np.log(np.clip(np.asarray(sigma0, dtype=float), 1e-3 * scale, 10 * scale))
    bounds = [(np.log(1e-4 * scale), np.log(100 * scale))] * groups
    if n_free:
        random0 = [max(value, 0.05 * scale) for value, is_free in
                   ((su0, free_engineer), (sv0, free_cell)) if is_free]
        theta0 = np.concatenate([theta0, random0])
        bounds += [(0.0, 20 * scale)] * n_free
    best = optimize.minimize(
        objective, theta0, method="L-BFGS-B", bounds=bounds,
        options={"ftol": tolerance, "gtol": 1e-8, "maxiter": 2000, "eps": 1e-8},
    )
    converged = bool(best.success)
    iterations = int(best.nit)
    near_boundary = n_free > 0 and min(best.x[groups:]) < 1e-3 * scale
    if not best.success or near_boundary:
        # A derivative-free pass from there guards against a stop on a flat
        # stretch of the numerical gradient and lands exactly on a boundary.
        polish = optimize.minimize(
            objective, best.x, method="Powell", bounds=bounds,
            options={"xtol": 1e-10, "ftol": 1e-14, "maxiter": 20000},
        )
        converged = converged or bool(polish.success)
        iterations += int(getattr(polish, "nit", 0))
        if polish.fun <= best.fun:
            best = polish
    sigma, su, sv = unpack(best.x)
    value, forms, beta = _criterion(sums, sigma, su, sv, reml)
    covariance = np.linalg.inv(forms.xvx)
    engineer_effect, cell_effect = _predict_effects(sums, forms, beta, su, sv)
    big_w = forms.big_w
    weight = su * su * big_w / (1 + su * su * big_w)
    return MixedFit(
        beta=beta,
        beta_covariance=covariance,
        sigma=sigma,
        engineer_sd=su,
        engineer_area_sd=sv,
        engineer_effect=engineer_effect,
        cell_effect=cell_effect,
        engineer_weight=weight,
        criterion=value,
        reml=reml,
        converged=converged and bool(np.isfinite(value)),
        iterations=iterations,
        message=str(best.message),
        _sums=sums,
        _forms=forms,
    )


def _predict_effects(sums: CellSums, forms: _Forms, beta: np.ndarray, su: float,
                     sv: float) -> tuple[np.ndarray, np.ndarray]:
    """BLUPs: u_e = su^2 R_e / (1 + su^2 W_e); v_c = sv^2 w_c (r_c - n_c k_e R_e),
    where r_c is the cell's sum of residuals y - x'beta and R_e = sum_c w_c r_c."""
    residual_sum = sums.sy - sums.sx @ beta
    big_r = np.bincount(sums.engineer, weights=forms.w * residual_sum,
                        minlength=sums.n_engineers)
    su2 = su * su
    engineer_effect = su2 * big_r / (1 + su2 * forms.big_w)
    k = forms.k[sums.engineer]
    cell_effect = sv * sv * forms.w * (residual_sum - sums.n * k * big_r[sums.engineer])
    return engineer_effect, cell_effect


def _pooled_sd(sums: CellSums) -> float:
    """Residual sd of ordinary least squares, for starting values."""
    xtx = sums.sxx.sum(0)
    xty = sums.sxy.sum(0)
    beta = np.linalg.lstsq(xtx, xty, rcond=None)[0]
    rss = sums.syy.sum() - 2 * beta @ xty + beta @ xtx @ beta
    dof = max(sums.n.sum() - len(beta), 1.0)
    return float(np.sqrt(max(rss / dof, 1e-4)))

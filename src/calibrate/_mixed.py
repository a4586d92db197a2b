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

More fixed-effect columns (declared skill levels, a ramp-up term) are
appended to the sums, exactly: a column constant within each cell from the
cell's sums (:func:`add_cell_covariates`), a column varying by row in one
pass over the rows where it is not 0 (:func:`add_row_covariate`).
:class:`ColumnProfile` evaluates the likelihood as one column changes with
the variances held, in O(cells) per evaluation (for profiling the
ramp-up's scale).

This module is pure computation (numpy/scipy); it knows nothing of tickets.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import optimize

__all__ = ["CellSums", "ColumnProfile", "MixedFit", "add_cell_covariates", "add_row_covariate",
           "aggregate", "fit_mixed", "leading_columns"]

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
    group_sxx : ndarray, shape (n_groups, p, p), optional
        ``sxx`` summed per noise group, when precomputed: the criterion
        needs sxx only divided by the group's noise variance, so with many
        fixed effects (skill levels) it reads these instead of every
        cell's (:func:`add_cell_covariates` sets them).
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
    group_sxx: np.ndarray | None = None

    def __add__(self, other: CellSums) -> CellSums:
        """Sums of two sets of rows over the same cells (sums merge)."""
        grouped = (None if self.group_sxx is None or other.group_sxx is None
                   else self.group_sxx + other.group_sxx)
        return replace(self, n=self.n + other.n, sx=self.sx + other.sx,
                       sxx=self.sxx + other.sxx, sy=self.sy + other.sy,
                       sxy=self.sxy + other.sxy, syy=self.syy + other.syy,
                       group_sxx=grouped)

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
    if sums.group_sxx is None:
        xvx = (inverse_s2 @ sums.sxx.reshape(len(n), p * p)).reshape(p, p)
    else:  # the same sum, over groups (the noise variance is the group's)
        xvx = (sigma ** -2.0 @ sums.group_sxx.reshape(sums.n_groups, p * p)).reshape(p, p)
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


# -- extra fixed-effect columns (declared skill levels, ramp-up) -----------------------


def add_cell_covariates(sums: CellSums, covariates: np.ndarray) -> CellSums:
    """The sums with columns appended that are constant within each cell.

    A covariate constant within a cell (an engineer's declared level in the
    cell's area) multiplies the cell's existing sums: sum x c' = (sum x) c',
    sum c c' = n c c', sum c y = c sum y. No pass over the rows, and exact.

    Parameters
    ----------
    sums : CellSums
    covariates : ndarray (C, q)
        The appended columns' values per cell.
    """
    c = np.asarray(covariates, dtype=float)
    n = sums.n
    p, q = sums.n_features, c.shape[1]
    sxx = np.empty((len(n), p + q, p + q))
    sxx[:, :p, :p] = sums.sxx
    cross = sums.sx[:, :, None] * c[:, None, :]
    sxx[:, :p, p:] = cross
    sxx[:, p:, :p] = np.swapaxes(cross, 1, 2)
    sxx[:, p:, p:] = n[:, None, None] * c[:, :, None] * c[:, None, :]
    # Per group, block by block (cheaper than summing the new sxx again).
    group = np.zeros((sums.n_groups, p + q, p + q))
    group[:, :p, :p] = _base_per_group(sums)
    for g in range(sums.n_groups):
        mine = sums.group == g
        group[g, :p, p:] = sums.sx[mine].T @ c[mine]
        group[g, p:, :p] = group[g, :p, p:].T
        group[g, p:, p:] = (c[mine] * n[mine, None]).T @ c[mine]
    return replace(sums, sx=np.hstack([sums.sx, n[:, None] * c]), sxx=sxx,
                   sxy=np.hstack([sums.sxy, sums.sy[:, None] * c]), group_sxx=group)


def add_row_covariate(sums: CellSums, cell: np.ndarray, pattern: np.ndarray,
                      patterns: np.ndarray, z: np.ndarray, y: np.ndarray,
                      frequency: np.ndarray | None = None,
                      cell_covariates: np.ndarray | None = None) -> CellSums:
    """The sums with one column appended that varies from row to row (ramp-up).

    Only the rows where the column is not 0 are given (``cell``,
    ``pattern``, ``z``, ``y``, ``frequency`` per row): the others add
    nothing to its sums. A row's other columns are ``patterns[pattern]``
    followed by ``cell_covariates[cell]`` (as :func:`add_cell_covariates`
    appended them), so sum z x is summed per (cell, pattern) with
    ``bincount`` and multiplied by the pattern matrix: one pass over the
    given rows, O(rows + cells x patterns x p).

    Parameters
    ----------
    sums : CellSums
        Of every row, without the new column.
    cell, pattern : ndarray of int
    patterns : ndarray (P, p0)
    z, y : ndarray
        The new column and the response of the given rows.
    frequency : ndarray, optional
        The rows' frequency weights (1 when None).
    cell_covariates : ndarray (C, q), optional
    """
    n_cells = len(sums.n)
    n_patterns = patterns.shape[0]
    weighted = z if frequency is None else z * frequency
    key = cell.astype(np.int64) * n_patterns + pattern
    per_pattern = np.bincount(key, weights=weighted, minlength=n_cells * n_patterns)
    zx = per_pattern.reshape(n_cells, n_patterns) @ patterns
    sz = np.bincount(cell, weights=weighted, minlength=n_cells)
    if cell_covariates is not None:
        zx = np.hstack([zx, np.asarray(cell_covariates, dtype=float) * sz[:, None]])
    szz = np.bincount(cell, weights=weighted * z, minlength=n_cells)
    szy = np.bincount(cell, weights=weighted * y, minlength=n_cells)
    p = sums.n_features
    sxx = np.empty((n_cells, p + 1, p + 1))
    sxx[:, :p, :p] = sums.sxx
    sxx[:, :p, p] = zx
    sxx[:, p, :p] = zx
    sxx[:, p, p] = szz
    group = np.zeros((sums.n_groups, p + 1, p + 1))
    group[:, :p, :p] = _base_per_group(sums)
    for g in range(sums.n_groups):
        mine = sums.group == g
        group[g, :p, p] = group[g, p, :p] = zx[mine].sum(axis=0)
        group[g, p, p] = szz[mine].sum()
    return replace(sums, sx=np.hstack([sums.sx, sz[:, None]]), sxx=sxx,
                   sxy=np.hstack([sums.sxy, szy[:, None]]), group_sxx=group)


def leading_columns(sums: CellSums, p: int) -> CellSums:
    """The sums of the first ``p`` fixed-effect columns only."""
    grouped = None if sums.group_sxx is None else sums.group_sxx[:, :p, :p]
    return replace(sums, sx=sums.sx[:, :p], sxx=sums.sxx[:, :p, :p], sxy=sums.sxy[:, :p],
                   group_sxx=grouped)


def _base_per_group(sums: CellSums) -> np.ndarray:
    """``sums.sxx`` summed over the cells of each noise group."""
    if sums.group_sxx is not None:
        return sums.group_sxx
    return np.stack([sums.sxx[sums.group == g].sum(axis=0) for g in range(sums.n_groups)])


class ColumnProfile:
    """The ML criterion as one more fixed-effect column changes, the
    variance parameters held: for profiling a parameter of that column
    (the ramp-up scale).

    At fixed variances V is fixed, so X0'V^-1X0, X0'V^-1y, y'V^-1y and
    log|V| of the other columns are computed once; a new column z adds a
    row and column to X'V^-1X and an entry to X'V^-1y, each from its sums
    per cell (sum z, sum z^2, sum z y) and sum z x0 / sigma^2 over all rows,
    by the formulas of :func:`_forms`. One evaluation then costs
    O(cells x p), whatever the number of rows.

    Parameters
    ----------
    sums : CellSums
        Of every row, without the new column.
    sigma : ndarray
    engineer_sd, engineer_area_sd : float
    """

    def __init__(self, sums: CellSums, sigma: np.ndarray, engineer_sd: float,
                 engineer_area_sd: float) -> None:
        self.sums = sums
        forms = _forms(sums, np.asarray(sigma, dtype=float), engineer_sd, engineer_area_sd)
        self.forms = forms
        self.s2 = np.asarray(sigma, dtype=float)[sums.group] ** 2
        self.g = engineer_area_sd**2 * forms.w
        # Per engineer: sum over their cells of w sum y (the y part of t).
        self.sy_engineer = np.bincount(sums.engineer, weights=forms.w * sums.sy,
                                       minlength=sums.n_engineers)
        self.constant = forms.logdet + float(sums.n.sum()) * _LOG_2PI

    def evaluate(self, sz: np.ndarray, szz: np.ndarray, szy: np.ndarray,
                 zx: np.ndarray) -> tuple[float, float, float]:
        """The criterion with the column z, and z's GLS coefficient and its
        standard error.

        Parameters
        ----------
        sz, szz, szy : ndarray (C,)
            Per cell: sum f z, sum f z^2, sum f z y (f: frequency weights).
        zx : ndarray (p,)
            Sum over all rows of f z x / sigma^2 of the row's cell (x: the
            other columns).
        """
        sums, forms, s2, g = self.sums, self.forms, self.s2, self.g
        inverse = 1 / s2
        xvz = zx - sums.sx.T @ (g * sz * inverse)
        zvz = float(np.sum((szz - g * sz * sz) * inverse))
        zvy = float(np.sum((szy - g * sz * sums.sy) * inverse))
        tz = np.bincount(sums.engineer, weights=forms.w * sz, minlength=sums.n_engineers)
        xvz = xvz - forms.t.T @ (forms.k * tz)
        zvz -= float(np.sum(forms.k * tz * tz))
        zvy -= float(np.sum(forms.k * tz * self.sy_engineer))
        p = sums.n_features
        matrix = np.empty((p + 1, p + 1))
        matrix[:p, :p] = forms.xvx
        matrix[:p, p] = matrix[p, :p] = xvz
        matrix[p, p] = zvz
        vector = np.append(forms.xvy, zvy)
        try:
            np.linalg.cholesky(matrix)
        except np.linalg.LinAlgError:
            return 1e100, float("nan"), float("nan")
        covariance = np.linalg.inv(matrix)
        beta = covariance @ vector
        rss = forms.yvy - float(beta @ vector)
        return self.constant + rss, float(beta[-1]), float(np.sqrt(max(covariance[-1, -1], 0)))

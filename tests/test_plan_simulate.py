"""The planning Monte Carlo: marginals, the shared per-sprint effects, fallbacks.

Every reference number is computed independently of the simulation: the
closed-form log-normal of ``Multipliers.predict``, a numerical convolution
of conditional log-normals integrated over the shared effect with
Gauss-Hermite, log-normal moment algebra, and the fitted mixed model's own
prediction-error covariances (Henderson's mixed-model equations solved by
brute force from the design's rows). Monte Carlo tolerances are 4 standard
errors (a false alarm about once in 16,000 comparisons) estimated from the
draws.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, signal, stats

from calibrate import CalibrationWarning, Calibrator, InputError, read_export
from calibrate.datasets import simulate_tickets
from calibrate.export import RECORD_COLUMNS, Multipliers
from calibrate.io.skills import read_skills
from calibrate.plan._simulate import SimulatedDays, _Structure, simulate_days
from calibrate.prediction import predict_durations

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
SIGMAS = 4.0  # Monte Carlo tolerance, in standard errors


@pytest.fixture(scope="module")
def result():
    """The bundled sample's fit (fitted once for the module)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        return Calibrator().fit(read_export(SAMPLE / "jira_changelog.json",
                                            config=SAMPLE / "calibrate.toml")).result_


@pytest.fixture(scope="module")
def skilled():
    """The bundled sample fitted with its declared levels and start dates."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        return Calibrator().fit(read_export(SAMPLE / "jira_changelog.json",
                                            config=SAMPLE / "calibrate.toml"),
                                skills=read_skills(SAMPLE / "skills.csv")).result_


def henderson(result) -> np.ndarray:
    """The fitted model's exact joint prediction-error covariance of
    (beta-hat - beta, u-hat - u, v-hat - v): the inverse of the coefficient
    matrix of Henderson's mixed-model equations, built densely from the
    design's rows (X, Z, each row's weight over its noise variance) at the
    fitted variances. Effects with variance 0 are 0 and left out."""
    fit, design = result._fit, result._design
    x = design.row_design()
    rows, p = x.shape
    n_engineers, n_cells = len(design.engineers), len(design.cell_engineer)
    # Open tickets enter the final fit weighted by P(not abandoned); recency too.
    weight = 1 - result._design_fit.p_abandoned
    if design.weight is not None:
        weight = weight * design.weight
    precision = weight / fit.sigma[fit._sums.group[design.cell]] ** 2
    z = np.zeros((rows, n_engineers + n_cells))
    z[np.arange(rows), design.engineer] = 1
    z[np.arange(rows), n_engineers + design.cell] = 1
    w = np.hstack([x, z])
    prior = np.r_[np.full(p, np.inf), np.full(n_engineers, fit.engineer_sd**2),
                  np.full(n_cells, fit.engineer_area_sd**2)]
    keep = prior > 0
    coefficients = (w.T @ (precision[:, None] * w))[np.ix_(keep, keep)] + np.diag(1 / prior[keep])
    joint = np.zeros((len(prior), len(prior)))
    joint[np.ix_(keep, keep)] = np.linalg.inv(coefficients)
    return joint


def structure_of(model, engineers, areas, points, **declared):
    """The simulation's _Structure for every (ticket, engineer) of a grid,
    and predict's log sd of each, shape (tickets, engineers)."""
    areas = np.asarray(areas, dtype=object)
    points = np.asarray(points, dtype=float)
    multipliers = getattr(model, "multipliers", model)
    grid = predict_durations(multipliers, np.tile(np.array(engineers, dtype=object), len(areas)),
                             np.repeat(areas, len(engineers)), np.repeat(points, len(engineers)),
                             **declared)
    structure = _Structure(multipliers, areas, points, grid, list(engineers), declared)
    return structure, grid["log_sd"].to_numpy().reshape(len(areas), len(engineers))


def log_duration_covariance(structure) -> np.ndarray:
    """Cov(log days) of every (ticket, engineer) pair (rows ticket-major),
    from the structure's covariance of its latent variables, the tickets'
    noise and the ramp-up's shared error: the matrix the draws realise."""
    n_tickets, n_engineers = structure.cell.shape
    forms = np.zeros((n_tickets * n_engineers, structure.covariance.shape[0]))
    rows = np.arange(n_tickets * n_engineers)
    ticket = rows // n_engineers
    np.add.at(forms, (rows, structure.intercept[ticket]), 1.0)
    np.add.at(forms, (rows, structure.elasticity[ticket]), structure.covariate[ticket])
    np.add.at(forms, (rows, structure.cell.ravel()), 1.0)
    noise = structure.noise_sd[ticket] ** 2 * (ticket[:, None] == ticket[None, :])
    ramp = structure.ramp_sd.ravel()
    return forms @ structure.covariance @ forms.T + noise + np.outer(ramp, ramp)


def shared_engineer_error(multipliers, engineer: str) -> tuple[float, dict]:
    """k and t_c of the module docstring, by hand from the file: per record
    Var(omega_c) = log_sd^2 - g' D^-1 g = sv^2 t + k t^2, and k (1 + su^2 /
    sv^2 sum_c (1 - t_c)) = su^2, solved with numpy's polynomial roots and
    scipy's brentq."""
    model, records = multipliers.model, multipliers.records
    su2, sv2 = model["engineer_sd"] ** 2, model["engineer_area_sd"] ** 2
    table = multipliers.areas.set_index("area")
    own = {}
    for _, row in records[(records["scope"] == "engineer_area")
                          & (records["engineer"] == engineer)].iterrows():
        a = table.loc[row["area"]]
        fixed = np.array([[a["var_intercept"], a["cov_intercept_elasticity"]],
                          [a["cov_intercept_elasticity"], a["var_elasticity"]]])
        g = -np.array([row["fixed_cross_intercept"], row["fixed_cross_elasticity"]])
        own[row["area"]] = row["log_sd"] ** 2 - g @ np.linalg.solve(fixed, g)

    def t_of(k: float, d: float) -> float:
        roots = np.roots([k, sv2, -d])
        return float(np.clip(roots.real[roots.real >= 0].max(), 0.0, 1.0))

    k = optimize.brentq(lambda k: k * (1 + su2 / sv2 * sum(1 - t_of(k, d) for d in own.values()))
                        - su2, 0.0, su2, xtol=1e-15, rtol=1e-13)
    return k, {area: t_of(k, d) for area, d in own.items()}


def handmade(*, areas=("build",), var_intercept=0.02, var_elasticity=0.0, cov=0.0,
             cross=(0.005, 0.0), cell_sd=0.25, noise_sd=0.5, engineer_sd=0.2,
             engineer_area_sd=0.2, engineer_log_sd=0.15, clock="cycle") -> Multipliers:
    """Areas (default: 'build' alone) and one engineer, 'Ann', with a cell of
    20 tickets in each: every number chosen by hand."""
    def record(scope, engineer, area, log_mean, log_sd, n=0, crossed=(0.0, 0.0)):
        row = dict.fromkeys(RECORD_COLUMNS, 0.0)
        row.update(scope=scope, engineer=engineer, area=area, log_mean=log_mean, log_sd=log_sd,
                   median=math.exp(log_mean), mean=math.exp(log_mean + log_sd**2 / 2),
                   n_finished=n, n_open=0, fixed_cross_intercept=crossed[0],
                   fixed_cross_elasticity=crossed[1])
        return row

    unseen_sd = math.hypot(engineer_sd, engineer_area_sd)
    records = pd.DataFrame([
        record("population", None, None, 0.0, unseen_sd, 20 * len(areas)),
        record("engineer", "Ann", None, 0.1, engineer_log_sd, 20 * len(areas)),
        *(record("engineer_area", "Ann", area, 0.2, cell_sd, 20, cross) for area in areas),
        record("engineer_new_area", "Ann", None, 0.1, math.sqrt(0.01 + engineer_area_sd**2)),
    ], columns=RECORD_COLUMNS)
    table = pd.DataFrame({"area": list(areas), "intercept": 0.5, "elasticity": 0.8,
                          "noise_sd": noise_sd, "var_intercept": var_intercept,
                          "var_elasticity": var_elasticity, "cov_intercept_elasticity": cov,
                          "n_finished": 20, "n_open": 0})
    model = {"reference_points": 3.0, "zero_points": 0.5, "engineer_sd": engineer_sd,
             "engineer_area_sd": engineer_area_sd, "unseen_engineer_sd": unseen_sd,
             "cap_days": 3.0, "confidence": 0.8, "noise": "area", "slopes": "area",
             "method": "reml", "clock": clock, "points_range": [1.0, 8.0],
             "lead_cap_days": None}
    return Multipliers(records=records, areas=table, model=model, window={}, calendar=None)


def tickets(areas, points) -> pd.DataFrame:
    return pd.DataFrame({"area": areas, "points": points})


# -- reproducibility and shape ----------------------------------------------------------------


def test_the_same_seed_gives_the_same_draws(result):
    frame = tickets(["research", "ml-engineering"], [3, 5])
    people = ["Priya Raman", "Zoë Müller", "Somebody New"]
    first = simulate_days(result, frame, people, draws=500, seed=7)
    again = simulate_days(result.multipliers, frame, people, draws=500, seed=7)
    other = simulate_days(result, frame, people, draws=500, seed=8)
    assert isinstance(first, SimulatedDays)
    assert first.days.shape == (500, 2, 3) and first.draws == 500 and first.seed == 7
    np.testing.assert_array_equal(first.days, again.days)
    assert not np.allclose(first.days, other.days)
    narrow = simulate_days(result, frame, people, draws=500, seed=7, dtype=np.float32)
    assert narrow.days.dtype == np.float32
    np.testing.assert_allclose(narrow.days, first.days, rtol=1e-5)


# -- one ticket: the closed-form log-normal ---------------------------------------------------


CASES = [  # engineer, area, points: every basis and fallback
    ("Priya Raman", "research", 3),            # engineer x area
    ("Aiko Tanaka", "research", 5),            # engineer new to the area (with its record)
    ("Marcus Lindqvist", "forecasting", 2),    # known engineer, unseen area
    ("Somebody New", "ml-engineering", 8),     # unseen engineer
    ("", None, 1),                              # unassigned, no area
    ("Daniel Okafor", "unclassified", 13),     # pooled slope, points beyond the range
]


def test_each_ticket_is_exactly_the_closed_form_lognormal(result):
    engineers = [c[0] for c in CASES]
    frame = tickets([c[1] for c in CASES], [c[2] for c in CASES])
    draws = 40_000
    simulated = simulate_days(result, frame, engineers, draws=draws, seed=3)
    predicted = result.predict(engineers, frame["area"].to_numpy(object), frame["points"])
    for i, (engineer, _, _) in enumerate(CASES):
        days = simulated.days[:, i, i]  # ticket i done by its own engineer
        row = predicted.iloc[i]
        assert simulated.log_mean[i, i] == pytest.approx(row["log_mean"], rel=1e-12)
        assert simulated.log_sd[i, i] == pytest.approx(row["log_sd"], rel=1e-12)
        assert simulated.basis[i, i] == row["basis"] and simulated.note[i, i] == row["note"]
        # mean: standard error from the draws
        assert abs(days.mean() - row["mean_days"]) < SIGMAS * days.std() / math.sqrt(draws), \
            engineer
        # quantiles: the share of draws below each closed-form quantile is binomial
        for q, column in ((0.1, "p10_days"), (0.5, "p50_days"), (0.9, "p90_days")):
            share = (days <= row[column]).mean()
            assert abs(share - q) < SIGMAS * math.sqrt(q * (1 - q) / draws), (engineer, column)
        # log scale: mean and sd
        logs = np.log(days)
        assert abs(logs.mean() - row["log_mean"]) < SIGMAS * row["log_sd"] / math.sqrt(draws)
        assert abs(logs.std() / row["log_sd"] - 1) < SIGMAS / math.sqrt(2 * draws)


def test_fallbacks_are_flagged_as_predict_flags_them(result):
    frame = tickets(["research", "reserch", None], [3, 21, 2])
    simulated = simulate_days(result, frame, ["Priya Raman", "Priya Ramen", ""], draws=10)
    assert simulated.basis[:, 1].tolist() == ["unseen engineer", "unseen engineer, unseen area",
                                              "unseen engineer, unseen area"]
    assert simulated.basis[1, 0] == "engineer, unseen area"
    assert simulated.note[0, 1] == "engineer not in the history (closest: 'Priya Raman')"
    assert simulated.note[1, 0] == ("area not in the history (closest: 'research'); points 21 "
                                    "beyond the history's largest (8): the prediction "
                                    "extrapolates")
    assert simulated.note[2, 2] == "no engineer (unassigned); no area"


def test_sizes_are_read_with_the_points_scale(result):
    sized = result.multipliers.with_points_scale({"S": 2, "M": 3})
    by_size = simulate_days(sized, tickets(["research"], ["m"]), ["Priya Raman"], draws=50)
    by_points = simulate_days(sized, tickets(["research"], [3]), ["Priya Raman"], draws=50)
    np.testing.assert_array_equal(by_size.days, by_points.days)
    assert by_size.points.tolist() == [3.0]
    with pytest.raises(InputError, match="points"):
        simulate_days(sized, tickets(["research"], ["XL"]), ["Priya Raman"], draws=50)


def test_bad_input_is_an_input_error(result):
    with pytest.raises(InputError, match="required columns") as error:
        simulate_days(result, pd.DataFrame({"points": [3]}), ["Priya Raman"])
    assert "'area'" in str(error.value)
    with pytest.raises(InputError, match="once each"):
        simulate_days(result, tickets(["research"], [3]), ["Priya Raman", "Priya Raman"])
    with pytest.raises(TypeError, match="CalibrationResult or Multipliers"):
        simulate_days("multipliers.json", tickets(["research"], [3]), ["Priya Raman"])


# -- one engineer's sum: numerical convolution --------------------------------------------------


def test_one_engineers_sum_matches_a_numerical_convolution():
    """Given the shared effect S (area intercept + Ann's cell: one normal when
    the elasticity is known), Ann's tickets are independent log-normals: the
    CDF of their sum is the convolution of their densities, integrated over
    S by Gauss-Hermite quadrature."""
    multipliers = handmade()
    points = [1, 3, 5]
    draws = 60_000
    simulated = simulate_days(multipliers, tickets(["build"] * 3, points), ["Ann"], draws=draws,
                              seed=11)
    total = simulated.days[:, :, 0].sum(axis=1)

    # By hand: the shared effect's variance, each ticket's conditional log-normal.
    shared_var = 0.02 + 0.25**2 - 2 * 0.005
    noise_sd = 0.5
    centres = [0.5 + 0.8 * math.log(p / 3) + 0.2 for p in points]
    step, top = 0.002, 80.0
    edges = np.arange(0.0, top + step, step)
    nodes, weights = np.polynomial.hermite_e.hermegauss(48)  # probabilists' Hermite
    weights = weights / weights.sum()
    grid = edges[:-1] + 1.5 * step  # midpoints of 3 bins summed: + 3 half steps
    cdf = np.zeros(len(edges) - 1)
    for node, weight in zip(nodes, weights, strict=True):
        shift = node * math.sqrt(shared_var)
        mass = None
        for centre in centres:
            bins = np.diff(stats.lognorm.cdf(edges, s=noise_sd, scale=math.exp(centre + shift)))
            mass = bins if mass is None else signal.fftconvolve(mass, bins)[:len(bins)]
        cdf += weight * np.cumsum(np.clip(mass, 0, None))
    at = np.quantile(total, [0.05, 0.25, 0.5, 0.75, 0.95])
    reference = np.interp(at, grid, cdf)
    empirical = np.array([(total <= a).mean() for a in at])
    tolerance = SIGMAS * np.sqrt(reference * (1 - reference) / draws)
    np.testing.assert_array_less(np.abs(empirical - reference), tolerance)
    # and the convolution is a real reference: its mean is the closed-form sum of means
    density = np.diff(np.concatenate([[0.0], cdf]))
    assert float(density @ grid) == pytest.approx(float(simulated.mean_days.sum()), rel=2e-3)


# -- per sprint, not per ticket -----------------------------------------------------------------


def _sum_variance(mean: np.ndarray, log_cov: np.ndarray) -> float:
    """Var(sum of log-normals) = sum_ik E_i E_k (exp(Cov(log X_i, log X_k)) - 1)."""
    return float(mean @ (np.exp(log_cov) - 1) @ mean)


def _variance_tolerance(total: np.ndarray) -> float:
    """SIGMAS standard errors of a sample variance: sqrt((m4 - s^4) / n)."""
    centred = total - total.mean()
    return SIGMAS * math.sqrt(((centred**4).mean() - centred.var() ** 2) / len(total))


def hand_log_covariance(multipliers, engineer: str, areas: list, points: list) -> np.ndarray:
    """Cov(log days) of one engineer's tickets (known areas), from the file's
    numbers by the rules of the simulation's docstring: the same area shares
    its fixed effects and the engineer's cell (var_intercept + x_i x_k
    var_elasticity + (x_i + x_k) cov + the cell's variance - both cross
    terms); two areas (with elasticities of their own) share the error of the
    engineer's effect: t_a t_b k for two cells of a known engineer (see
    shared_engineer_error), share x unseen_engineer_sd^2 for a person never
    seen."""
    model, records = multipliers.model, multipliers.records
    table = multipliers.areas.set_index("area")
    mine = records[records["engineer"] == engineer]
    cells = mine[mine["scope"] == "engineer_area"].set_index("area")
    share = model["engineer_sd"] ** 2 / (model["engineer_sd"] ** 2 + model["engineer_area_sd"] ** 2)
    if len(cells):
        shared, shrink = shared_engineer_error(multipliers, engineer)
    else:
        between = share * model["unseen_engineer_sd"] ** 2
    x = np.log(np.array(points, dtype=float) / model["reference_points"])
    prediction = multipliers.predict(engineer, areas, points)
    log_cov = np.diag(prediction["log_sd"].to_numpy() ** 2)
    for i in range(len(areas)):
        for k in range(len(areas)):
            if i == k:
                continue
            if areas[i] != areas[k]:
                log_cov[i, k] = (shrink[areas[i]] * shrink[areas[k]] * shared if len(cells)
                                 else between)
                continue
            a = table.loc[areas[i]]
            if len(cells):
                c = cells.loc[areas[i]]
                cell_var, cross = c["log_sd"] ** 2, (c["fixed_cross_intercept"],
                                                     c["fixed_cross_elasticity"])
            else:
                cell_var, cross = model["unseen_engineer_sd"] ** 2, (0.0, 0.0)
            log_cov[i, k] = (a["var_intercept"] + x[i] * x[k] * a["var_elasticity"]
                             + (x[i] + x[k]) * a["cov_intercept_elasticity"] + cell_var
                             - 2 * cross[0] - (x[i] + x[k]) * cross[1])
    return log_cov


@pytest.mark.parametrize("engineer", ["Somebody New", "Priya Raman"])
def test_drawing_the_engineer_effect_per_ticket_understates_the_sprint_total(result, engineer):
    """A sprint of six tickets in two areas. Per sprint, the log durations
    covary (see hand_log_covariance); per ticket (each ticket simulated on its
    own: nothing shared), they do not. The variance algebra of log-normals,
    Var(sum) = sum_ik E_i E_k (exp(Cov(log X_i, log X_k)) - 1), predicts both
    totals and so by how much per-ticket draws understate the spread."""
    areas = ["research"] * 3 + ["data-engineering"] * 3
    points = [2, 3, 5, 2, 3, 5]
    draws = 200_000
    per_sprint = simulate_days(result, tickets(areas, points), [engineer], draws=draws, seed=5)
    per_ticket = np.column_stack([
        simulate_days(result, tickets([a], [p]), [engineer], draws=draws, seed=100 + i
                      ).days[:, 0, 0] for i, (a, p) in enumerate(zip(areas, points, strict=True))])

    log_cov = hand_log_covariance(result.multipliers, engineer, areas, points)
    mean = result.predict(engineer, areas, points)["mean_days"].to_numpy()
    sprint_var = _sum_variance(mean, log_cov)
    ticket_var = _sum_variance(mean, np.diag(np.diag(log_cov)))
    understated = sprint_var - ticket_var
    if engineer == "Somebody New":  # a person never seen: a material difference
        assert understated > 0.3 * ticket_var

    sprint_total = per_sprint.days[:, :, 0].sum(axis=1)
    ticket_total = per_ticket.sum(axis=1)
    sprint_tolerance = _variance_tolerance(sprint_total)
    ticket_tolerance = _variance_tolerance(ticket_total)
    assert understated > sprint_tolerance  # so the check below tells the two apart
    assert abs(sprint_total.var() - sprint_var) < sprint_tolerance
    assert abs(ticket_total.var() - ticket_var) < ticket_tolerance
    assert abs((sprint_total.var() - ticket_total.var()) - understated) < math.hypot(
        sprint_tolerance, ticket_tolerance)


def test_an_engineers_cells_share_the_error_of_their_engineer_effect_as_the_fit_says(result):
    """Exact, from the fitted model (brute force): given the fixed effects,
    the prediction errors omega of an engineer's cells are the Schur
    complement of the fixed effects' block of Henderson's covariance; the
    engineer effect's own error has variance k = Var(omega_u), and a cell's
    is (1 - lambda_c) omega_u + its own part. The file has no ticket
    weights, so the simulation solves k and t_c = 1 - lambda_c from the
    records: k within 3%, and the simulated covariance of two of an
    engineer's cells given their areas' fixed effects within 0.0015 of the
    exact one (cells' variances 0.004 to 0.07), 0 across engineers. A cell's
    own variance given the fixed effects is larger than the exact one (its
    regression on the other areas' fixed effects is not in the file) by at
    most 0.0025."""
    fit, design = result._fit, result._design
    joint = henderson(result)
    p, n_engineers = len(fit.beta), len(design.engineers)
    random = joint[p:, p:] - joint[p:, :p] @ np.linalg.solve(joint[:p, :p], joint[:p, p:])
    people, areas = list(design.engineers), list(result.multipliers.areas["area"])
    structure, _ = structure_of(result, people, areas, np.full(len(areas), 3.0))
    fixed = np.unique(np.concatenate([structure.intercept, structure.elasticity]))
    covariance = structure.covariance
    given_fixed = covariance - covariance[:, fixed] @ np.linalg.pinv(
        covariance[np.ix_(fixed, fixed)]) @ covariance[fixed, :]
    forms, latent, owner = [], [], []
    for c, (e, a) in enumerate(zip(design.cell_engineer, design.cell_area, strict=True)):
        form = np.zeros(n_engineers + len(design.cell_engineer))
        form[[e, n_engineers + c]] = 1
        forms.append(form)
        latent.append(structure.cell[areas.index(design.areas[a]), people.index(
            design.engineers[e])])
        owner.append(e)
    forms, owner = np.array(forms), np.array(owner)
    exact = forms @ random @ forms.T
    simulated = given_fixed[np.ix_(latent, latent)]
    same = owner[:, None] == owner[None, :]
    pairs = same & ~np.eye(len(owner), dtype=bool)
    np.testing.assert_allclose(simulated[pairs], exact[pairs], rtol=0, atol=1.5e-3)
    excess = np.diag(simulated) - np.diag(exact)
    assert np.all((excess > -1e-12) & (excess < 2.5e-3))
    np.testing.assert_allclose(simulated[~same], 0.0, atol=1e-12)
    assert np.all(np.abs(exact[~same]) < 1e-12)  # Henderson: independent across engineers
    for e, name in enumerate(people):
        shared, _ = shared_engineer_error(result.multipliers, name)
        assert shared == pytest.approx(random[e, e], rel=0.03), name


def test_log_durations_covary_as_the_fitted_model_says(result):
    """Exact, from the fitted model: the log days of (ticket i, engineer j)
    err by x_i'(beta - beta-hat) + the error of u_j + v_c (+ a new v in an
    area j never worked in), so every covariance is a quadratic form in
    Henderson's joint covariance. For every known engineer and area at 1, 3
    and 8 points: the variances are predict's and the exact ones (rtol
    1e-9), and every correlation is within 0.05 of the exact one — the
    simulation lacks only the fixed effects' covariances between areas and
    the records' cross terms with other areas' fixed effects, which nearly
    cancel in log days. The records' own covariances do not: for an
    engineer's cells in two areas they hold the part through the fixed
    effects too, many times the covariance of the log days there (taken for
    it, they made the joint matrix indefinite)."""
    fit, design = result._fit, result._design
    joint = henderson(result)
    p, n_engineers = len(fit.beta), len(design.engineers)
    people, known = list(design.engineers), list(result.multipliers.areas["area"])
    areas = [a for a in known for _ in range(3)]
    points = [1.0, 3.0, 8.0] * len(known)
    structure, log_sd = structure_of(result, people, areas, points)
    simulated = log_duration_covariance(structure)

    x = np.log(np.array(points) / result.multipliers.model["reference_points"])
    forms = np.zeros((len(areas) * len(people), joint.shape[0]))
    new_cell = np.zeros(len(forms), dtype=object)  # (engineer, area) of a new v
    noise = np.zeros(len(forms))
    for i, area in enumerate(areas):
        a = design.areas.index(area)
        for j in range(len(people)):
            row = i * len(people) + j
            forms[row, a] = 1
            forms[row, design.slope_index[a]] += x[i]
            forms[row, p + j] = 1
            cell = np.flatnonzero((design.cell_engineer == j) & (design.cell_area == a))
            if len(cell):
                forms[row, p + n_engineers + cell[0]] = 1
            else:
                new_cell[row] = (j, a)
            noise[row] = fit.sigma[fit._sums.group[np.flatnonzero(design.cell_area == a)[0]]]
    ticket = np.arange(len(forms)) // len(people)
    fresh = np.array([[fit.engineer_area_sd**2 if c != 0 and c == d else 0.0 for d in new_cell]
                      for c in new_cell])
    exact = forms @ joint @ forms.T + fresh + np.where(ticket[:, None] == ticket[None, :],
                                                       np.outer(noise, noise), 0.0)
    np.testing.assert_allclose(np.diag(simulated), log_sd.ravel() ** 2, rtol=1e-9)
    np.testing.assert_allclose(np.diag(exact), log_sd.ravel() ** 2, rtol=1e-9)
    sd = np.sqrt(np.diag(exact))
    assert np.max(np.abs(simulated - exact) / np.outer(sd, sd)) < 0.05

    # Why not the records' covariance: Tomasz's cells in data- and ml-engineering.
    tomasz = people.index("Tomasz Kowalczyk")
    cells = [np.flatnonzero((design.cell_engineer == tomasz)
                            & (design.cell_area == design.areas.index(a)))[0]
             for a in ("data-engineering", "ml-engineering")]
    record = np.zeros((2, joint.shape[0]))
    record[:, p + tomasz] = 1
    record[[0, 1], [p + n_engineers + cells[0], p + n_engineers + cells[1]]] = 1
    records_covariance = (record @ joint @ record.T)[0, 1]
    rows = [areas.index(a) * len(people) + tomasz + len(people)  # their 3-point tickets
            for a in ("data-engineering", "ml-engineering")]
    assert records_covariance > 10 * exact[rows[0], rows[1]]
    assert simulated[rows[0], rows[1]] == pytest.approx(exact[rows[0], rows[1]], abs=1e-3)


def test_cells_of_two_engineers_covary_as_the_fit_says(result):
    """Exact, from the fitted model: a cell's prediction error is q_c'(beta-hat
    - beta) plus a part independent across engineers, so two engineers' cells
    covary by cross_c' M^-1 cross_c' with the full cross-term vectors and the
    fixed effects' covariance M. The file holds the own-area part only; the
    simulation's value must be within 3% of the exact one."""
    fit, design = result._fit, result._design
    _, cross = fit.cell_effect_uncertainty()
    inverse = np.linalg.inv(fit.beta_covariance)
    people = ["Priya Raman", "Zoë Müller", "Daniel Okafor"]
    for area in ("research", "data-engineering"):
        cells = [np.flatnonzero((np.asarray(design.engineers)[design.cell_engineer] == p)
                                & (np.asarray(design.areas)[design.cell_area] == area))[0]
                 for p in people]
        grid = predict_durations(result.multipliers, people, area, 3)
        structure = _Structure(result.multipliers, np.array([area], dtype=object),
                               np.array([3.0]), grid, people)
        for j, k in ((0, 1), (0, 2), (1, 2)):
            truth = cross[cells[j]] @ inverse @ cross[cells[k]]
            simulated = structure.covariance[structure.cell[0, j], structure.cell[0, k]]
            assert simulated == pytest.approx(truth, rel=0.03), (area, j, k)


def test_the_covariances_of_cells_follow_the_documented_rules(result):
    """Aiko: a cell in ml-engineering, new to research (a record with
    cross terms) and to an unseen area; Zoë: a cell in each area; a person
    never seen. Every covariance by hand from the file's numbers (k and t_c
    of an engineer: shared_engineer_error), then the simulated covariances
    of the log days against them."""
    multipliers = result.multipliers
    model, records = multipliers.model, multipliers.records
    table = multipliers.areas.set_index("area")
    areas = ["ml-engineering", "research", "forecasting"]
    people = ["Aiko Tanaka", "Zoë Müller", "Somebody New"]
    frame = tickets(areas, [3, 3, 3])

    def record(engineer, scope, area=None):
        rows = records[(records["engineer"] == engineer) & (records["scope"] == scope)]
        rows = rows[rows["area"].isna()] if area is None else rows[rows["area"] == area]
        return rows.iloc[0]

    share = model["engineer_sd"] ** 2 / (model["engineer_sd"] ** 2 + model["engineer_area_sd"] ** 2)
    aiko, aiko_shrink = shared_engineer_error(multipliers, "Aiko Tanaka")
    zoe, zoe_shrink = shared_engineer_error(multipliers, "Zoë Müller")
    assert "research" not in aiko_shrink and {"ml-engineering", "research"} <= set(zoe_shrink)
    aiko_research = record("Aiko Tanaka", "engineer_new_area", "research")
    zoe_research = record("Zoë Müller", "engineer_area", "research")
    research = table.loc["research"]
    fixed = np.array([[research["var_intercept"], research["cov_intercept_elasticity"]],
                      [research["cov_intercept_elasticity"], research["var_elasticity"]]])

    def cross(row):
        return np.array([row["fixed_cross_intercept"], row["fixed_cross_elasticity"]])

    expected = {  # (ticket, engineer), (ticket, engineer): covariance of the cells
        ((0, 0), (1, 0)): aiko_shrink["ml-engineering"] * aiko,          # cell x new area
        ((1, 0), (2, 0)): aiko,                                          # new x new
        ((0, 1), (1, 1)): zoe_shrink["ml-engineering"] * zoe_shrink["research"] * zoe,
        ((1, 0), (1, 1)): cross(aiko_research) @ np.linalg.solve(fixed, cross(zoe_research)),
        ((0, 1), (1, 0)): 0.0,                   # other engineer, other area
        ((0, 2), (1, 2)): share * model["unseen_engineer_sd"] ** 2,   # a person never seen
        ((1, 1), (1, 2)): 0.0,                   # the unseen person has no cross terms
    }
    simulated = simulate_days(result, frame, people, draws=10)
    grid = predict_durations(multipliers, np.tile(np.array(people, dtype=object), 3),
                             np.repeat(areas, 3), np.repeat([3, 3, 3], 3))
    structure = _Structure(multipliers, np.asarray(areas, dtype=object), simulated.points, grid,
                           people)
    for (a, b), value in expected.items():
        assert structure.covariance[structure.cell[a], structure.cell[b]] == pytest.approx(
            value, rel=1e-9, abs=1e-15), (a, b)

    # The draws: Cov(log days) of two tickets is the covariance of their
    # shared effects (different areas share only the cells' covariance).
    draws = 100_000
    logs = np.log(simulate_days(result, frame, people, draws=draws, seed=9).days)
    for (a, b), value in expected.items():
        if a[0] == b[0]:
            continue  # same ticket: its noise is shared too
        x, y = logs[:, a[0], a[1]], logs[:, b[0], b[1]]
        se = math.sqrt((x.var() * y.var() + value**2) / draws)
        assert abs(np.cov(x, y)[0, 1] - value) < SIGMAS * se, (a, b)


def test_the_same_ticket_done_by_two_people_shares_its_noise(result):
    simulated = simulate_days(result, tickets(["research"], [3]), ["Priya Raman", "Zoë Müller"],
                              draws=20_000, seed=2)
    logs = np.log(simulated.days[:, 0, :])
    noise_sd = result.multipliers.areas.set_index("area").loc["research", "noise_sd"]
    # at least the ticket noise is common: the difference has less variance
    assert np.var(logs[:, 0] - logs[:, 1]) < logs.var(axis=0).sum() - 1.5 * noise_sd**2


def test_an_unseen_area_level_is_shared_by_its_tickets(result):
    """The between-area spread of an unseen area's intercept is one level for
    the area, drawn per sprint; two blank areas are two unknown areas."""
    frame = tickets(["forecasting", "forecasting", None, None], [3, 3, 3, 3])
    draws = 40_000
    simulated = simulate_days(result, frame, ["Somebody New"], draws=draws, seed=4)
    logs = np.log(simulated.days[:, :, 0])
    named = np.corrcoef(logs[:, 0], logs[:, 1])[0, 1]
    blank = np.corrcoef(logs[:, 2], logs[:, 3])[0, 1]
    cross = np.corrcoef(logs[:, 0], logs[:, 2])[0, 1]
    assert named > blank + 8 / math.sqrt(draws)
    assert cross == pytest.approx(blank, abs=SIGMAS * 2 / math.sqrt(draws))


# -- numerical safety ---------------------------------------------------------------------------


@pytest.mark.parametrize("inconsistent, what", [
    # |cross| / sd(intercept) = 0.04 / sqrt(0.02) = 0.28 > the cell's sd 0.25:
    # a correlation above 1, which no fit produces.
    ({"cross": (0.04, 0.0)}, "cross term"),
    # cov^2 = 0.03^2 > 0.02 x 0.01: the area's fixed effects' block is indefinite.
    ({"var_elasticity": 0.01, "cov": 0.03}, "fixed effects"),
    # a covariance with an elasticity known exactly (variance 0)
    ({"cross": (0.005, 0.01)}, "no variance"),
])
def test_inconsistent_covariances_are_clipped_with_a_warning_and_marginals_kept(inconsistent,
                                                                                 what):
    multipliers = handmade(areas=("build", "test"), **inconsistent)
    frame = tickets(["build", "test", "build"], [3, 5, 1])
    draws = 40_000
    with pytest.warns(CalibrationWarning, match=f"not jointly consistent.*{what}"):
        simulated = simulate_days(multipliers, frame, ["Ann"], draws=draws, seed=1)
    logs = np.log(simulated.days[:, :, 0])
    prediction = multipliers.predict("Ann", frame["area"], frame["points"])
    for i in range(len(frame)):
        assert abs(logs[:, i].std() / prediction["log_sd"].iloc[i] - 1) < SIGMAS / math.sqrt(
            2 * draws)


def test_consistent_numbers_need_no_clipping():
    """A fit's own numbers, and an engineer record implying a covariance of
    Ann's two cells (0.06, from mix = var / 2 + kappa / 2 with equal shares)
    larger than what is left of each cell once its cross term with the
    area's intercept is out (0.0625 - 0.012^2 / 0.02 = 0.0553): the
    simulation does not take the cells' covariance from the engineer
    record, so nothing is inconsistent."""
    mix_sd = math.sqrt(0.25**2 / 2 + 0.06 / 2)
    multipliers = handmade(areas=("build", "test"), cross=(0.012, 0.0), engineer_log_sd=mix_sd)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalibrationWarning)
        simulate_days(multipliers, tickets(["build", "test"], [3, 5]), ["Ann", "Bo"], draws=100)
    structure, _ = structure_of(multipliers, ["Ann", "Bo"], ["build", "test"], [3, 5])
    assert structure.clipped == []


# -- totals -------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-1, 2), min_size=4, max_size=4))
def test_engineer_totals_add_up_the_assigned_tickets(assignment):
    simulated = _small_simulation()
    totals = simulated.engineer_totals(assignment)
    for j in range(3):
        expected = sum(simulated.days[:, i, j] for i in range(4) if assignment[i] == j)
        np.testing.assert_allclose(totals[:, j], expected if np.ndim(expected) else 0.0,
                                   rtol=1e-12)


def test_engineer_totals_reject_a_bad_assignment():
    with pytest.raises(ValueError, match="engineer positions"):
        _small_simulation().engineer_totals([0, 1, 3, 0])


_SMALL: list[SimulatedDays] = []


def _small_simulation() -> SimulatedDays:
    if not _SMALL:
        _SMALL.append(simulate_days(handmade(), tickets(["build"] * 4, [1, 2, 3, 5]),
                                    ["Ann", "Bo", ""], draws=50, seed=0))
    return _SMALL[0]


@pytest.mark.parametrize("schema", ["2.1", "1.0 (no engineer_new_area records)"])
def test_the_joint_covariance_reproduces_every_marginal_variance(result, schema):
    """Deterministic: for every (ticket, engineer) — every basis and fallback,
    known and unseen areas, blank names — the variance the joint covariance
    gives the simulated log days is predict's log_sd^2, before any clipping,
    and the matrix needs none (files before schema 1.1 included)."""
    multipliers = result.multipliers
    if schema != "2.1":
        records = multipliers.records
        multipliers = Multipliers(records=records[records["scope"] != "engineer_new_area"],
                                  areas=multipliers.areas, model=multipliers.model,
                                  window=multipliers.window, calendar=multipliers.calendar)
    areas = [*multipliers.areas["area"], "forecasting", None]
    people = [*multipliers.records.query("scope == 'engineer'")["engineer"], "Somebody New", ""]
    area = np.array(areas * 3, dtype=object)
    points = np.tile([1.0, 2, 3, 5, 8, 13], 3)[:len(area)]
    grid = predict_durations(multipliers, np.tile(np.array(people, dtype=object), len(area)),
                             np.repeat(area, len(people)), np.repeat(points, len(people)))
    structure = _Structure(multipliers, area, points, grid, people)
    assert np.linalg.eigvalsh(structure.covariance).min() > 0
    log_sd = grid["log_sd"].to_numpy().reshape(len(area), len(people))
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalibrationWarning)
        _, scale = structure.factor(log_sd)
    np.testing.assert_allclose(scale, 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.diag(log_duration_covariance(structure)), log_sd.ravel() ** 2,
                               rtol=1e-9)


@pytest.mark.parametrize("on", ["2025-07-01", "2026-10-01"])
def test_declared_levels_and_the_ramp_up_keep_every_marginal(skilled, on):
    """The sample fitted with its declared levels and start dates, a new
    hire declared strong in research, work starting while engineers ramp
    up: a positive definite matrix, predict's variances (rtol 1e-9), the
    new hire's level offset covarying with research's fixed effects by the
    file's cov_offset_intercept / cov_offset_elasticity (exactly: the offset
    and the team's intercept are linear forms of the same estimates), and
    the ramp-up's error z sd(rho) shared by everyone ramping up."""
    multipliers = skilled.multipliers
    areas = [*multipliers.areas["area"], "forecasting", None]
    people = [*multipliers.records.query("scope == 'engineer'")["engineer"], "Somebody New", ""]
    area = np.array(areas * 2, dtype=object)
    points = np.tile([1.0, 2, 3, 5, 8, 13], 2)[:len(area)]
    declared = {"profile": {"research": "strong"}, "on": on}
    structure, log_sd = structure_of(multipliers, people, area, points, **declared)
    assert np.linalg.eigvalsh(structure.covariance).min() > 0
    assert structure.clipped == []
    np.testing.assert_allclose(np.diag(log_duration_covariance(structure)), log_sd.ravel() ** 2,
                               rtol=1e-9)

    level = pd.DataFrame(multipliers.skills["level_effects"]).set_index(["area", "level"]).loc[
        ("research", "strong")]
    i, j = list(area).index("research"), people.index("Somebody New")
    cell = structure.cell[i, j]
    assert structure.covariance[cell, structure.intercept[i]] == pytest.approx(
        level["cov_offset_intercept"], rel=1e-9)
    assert structure.covariance[cell, structure.elasticity[i]] == pytest.approx(
        level["cov_offset_elasticity"], rel=1e-9)

    ramp = multipliers.skills["ramp_up"]
    starts = {name: pd.Timestamp(day) for name, day in multipliers.skills["start_dates"].items()}
    for j, name in enumerate(people):
        weeks = max((pd.Timestamp(on) - starts[name]).days / 7, 0.0) if name in starts else None
        expected = 0.0 if weeks is None else ramp["slowdown_se"] * math.exp(
            -weeks / ramp["scale_weeks"])
        np.testing.assert_allclose(structure.ramp_sd[:, j], expected, rtol=1e-9, atol=1e-300)
    assert structure.ramp_sd.max() > 0.05  # someone is ramping up


@settings(max_examples=15, deadline=None)
@given(n_tickets=st.integers(40, 250), n_engineers=st.integers(2, 6), n_areas=st.integers(1, 3),
       recency=st.booleans(), levels=st.booleans(), seed=st.integers(0, 10**6))
def test_the_joint_covariance_of_any_fit_is_positive_semidefinite_with_exact_marginals(
        n_tickets, n_engineers, n_areas, recency, levels, seed):
    """Small fits of simulated histories (few engineers, recency weights,
    open tickets, declared levels): the joint covariance is positive
    semidefinite as built, nothing is clipped and every (ticket, engineer)'s
    variance is predict's (rtol 1e-9) — every basis and fallback."""
    simulated = simulate_tickets(
        n_tickets, n_engineers, areas=("research", "ml", "data")[:n_areas], seed=seed,
        history_days=150,
        level_effects={"basic": 0.0, "proficient": -0.3, "strong": -0.6} if levels else None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        fitted = Calibrator(half_life_days=120.0 if recency else None).fit(
            simulated.tickets, **({"skills": simulated.skills} if levels else {})).result_
    multipliers = fitted.multipliers
    areas = [*multipliers.areas["area"], "elsewhere", None] * 2
    people = [*multipliers.records.query("scope == 'engineer'")["engineer"], "Somebody New", ""]
    points = np.tile([0.0, 1, 2, 3, 5, 8, 13], 2)[:len(areas)]
    declared = {"profile": {"research": "strong"}} if levels else {}
    structure, log_sd = structure_of(multipliers, people, areas, points, **declared)
    covariance = structure.covariance
    assert np.linalg.eigvalsh(covariance).min() >= -1e-12 * np.abs(covariance).max()
    assert structure.clipped == []
    np.testing.assert_allclose(np.diag(log_duration_covariance(structure)), log_sd.ravel() ** 2,
                               rtol=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalibrationWarning)
        _, scale = structure.factor(log_sd)
    np.testing.assert_allclose(scale, 1.0, rtol=0, atol=1e-9)

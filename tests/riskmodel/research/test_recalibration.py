"""Recalibration recovers known truth; the likelihood is the engine's own; fits agree."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.special import expit

from riskmodel.model import Model
from riskmodel.research.cohort import load_cohort
from riskmodel.research.fitting import expand, fit_map, loglik, refit_sklearn
from riskmodel.research.recalibration import RecalibrationError, estimate
from riskmodel.research.simulate import simulate

OUTCOME = "bone_metastasis"


def _cohort(model, n, seed, **options):
    return load_cohort(simulate(n, seed, model, **options), OUTCOME)


def _inside(entry, truth):
    return entry["low"] <= truth <= entry["high"]


def test_logistic_recovers_a_shifted_intercept_and_a_slope_of_0_7(model, big_cohort):
    found = estimate(model, big_cohort, "logistic").details
    assert _inside(found["calibration_intercept"], -0.5), found
    assert _inside(found["calibration_slope"], 0.7), found


def test_intercept_recovers_a_shift_when_the_weights_are_right(model):
    found = estimate(model, _cohort(model, 8000, 21, intercept_shift=0.4), "intercept")
    assert _inside(found.details["calibration_intercept"], 0.4), found.details
    np.testing.assert_array_equal(found.gamma[1:], model.beta)  # weights untouched


def test_refit_recovers_the_generating_weights_within_their_standard_errors(model, big_cohort):
    found = estimate(model, big_cohort, "refit")
    truth = np.concatenate([[-0.5 + 0.7 * model.intercept], 0.7 * model.beta])
    se = np.sqrt(np.diag(found.cov))
    estimated = [model.names.index(n) + 1 for n in found.details["estimated_terms"]]
    assert set(found.details["estimated_terms"]) == set(model.names) - {"stage_iii", "cea"}
    z = (found.gamma[estimated] - truth[estimated]) / se[estimated]
    assert np.all(np.abs(z) < 3.5), dict(zip(found.details["estimated_terms"], z, strict=True))
    # Held terms: stage III never applies (T and N known) and CEA is always 5 ng/mL; the
    # intercept absorbs CEA, so the linear predictor still matches the truth at CEA = 5.
    cea = model.names.index("cea") + 1
    held_lp = found.gamma[0] + 5 * found.gamma[cea]
    assert abs(held_lp - (truth[0] + 5 * truth[cea])) < 3.5 * se[0]
    assert "literature weight kept" in found.status["stage_iii"]


def test_refit_equals_statsmodels_glm_on_complete_data(model):
    cohort = _cohort(model, 4000, 5)
    found = estimate(model, cohort, "refit")
    X = model.design(cohort.table).X
    free = [model.names.index(n) for n in found.details["estimated_terms"]]
    glm = sm.GLM(cohort.y, sm.add_constant(X[:, free]), family=sm.families.Binomial()).fit()
    cea = model.names.index("cea")
    intercept = found.gamma[0] + 5.0 * found.gamma[cea + 1]  # held CEA is absorbed back
    np.testing.assert_allclose([intercept, *found.gamma[[j + 1 for j in free]]], glm.params,
                               atol=2e-5)
    np.testing.assert_allclose(np.sqrt(np.diag(found.cov))[[j + 1 for j in free]],
                               glm.bse[1:], rtol=1e-3)


def test_with_missing_inputs_em_with_sklearn_and_direct_maximisation_agree(model):
    cohort = _cohort(model, 2000, 9, missing={"bsp": 0.4, "alp": 0.3})
    data = expand(model, model.design(cohort.table).X, cohort.y)
    free = [model.names.index(n) + 1 for n in ("non_squamous", "t4", "n3", "bsp_positive",
                                               "alp_high", "calcium_high")]
    em = refit_sklearn(data, free, tol=1e-11)
    A = np.zeros((len(model.names) + 1, len(free) + 1))
    A[0, 0] = 1.0
    for i, j in enumerate(free):
        A[j, i + 1] = 1.0
    direct = fit_map(data, A, np.zeros(len(model.names) + 1), np.zeros(len(free) + 1))
    np.testing.assert_allclose(em.theta, direct.theta, atol=1e-4)
    np.testing.assert_allclose(em.cov, direct.cov, rtol=1e-3, atol=1e-6)


def test_the_fitted_likelihood_is_the_engines_prediction_and_its_derivatives_are_right(model):
    cohort = _cohort(model, 300, 4, missing={"bsp": 0.5, "cea": 0.5, "alp": 0.2})
    X = model.design(cohort.table).X
    data = expand(model, X, cohort.y)
    gamma = np.concatenate([[model.intercept], model.beta])
    p = data.group @ (data.weight * expit(data.Z @ gamma))
    np.testing.assert_allclose(p, model.score_design(X).probability, rtol=1e-12)
    shifted = gamma + 0.05 * np.arange(len(gamma))
    _value, grad, hess = loglik(shifted, data)
    h, eye = 1e-5, np.eye(len(gamma))
    numeric = [(loglik(shifted + h * e, data)[0] - loglik(shifted - h * e, data)[0]) / (2 * h)
               for e in eye]
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-6)
    numeric_hess = np.array([(loglik(shifted + h * e, data)[1] - loglik(shifted - h * e, data)[1])
                             / (2 * h) for e in eye])
    np.testing.assert_allclose(hess, numeric_hess, rtol=1e-5, atol=1e-5)


def test_shrink_stays_near_the_literature_on_little_data_and_nears_refit_on_much(model,
                                                                               big_cohort):
    small = estimate(model, _cohort(model, 60, 2, slope=0.7), "shrink")
    assert np.max(np.abs(small.gamma[1:] - model.beta) / model.se) < 1.0
    large, refit = estimate(model, big_cohort, "shrink"), estimate(model, big_cohort, "refit")
    free = [model.names.index(n) + 1 for n in refit.details["estimated_terms"]]
    se = np.sqrt(np.diag(refit.cov))
    assert np.all(np.abs(large.gamma[free] - refit.gamma[free]) < se[free])
    held = model.names.index("stage_iii") + 1  # no information: the posterior is the prior
    assert large.gamma[held] == pytest.approx(model.beta[held - 1], abs=1e-6)
    assert np.sqrt(large.cov[held, held]) == pytest.approx(model.se[held - 1], rel=1e-4)


def test_shrink_is_the_maximum_of_the_penalised_likelihood(model):
    cohort = _cohort(model, 500, 6, slope=0.7)
    found = estimate(model, cohort, "shrink")
    data = expand(model, model.design(cohort.table).X, cohort.y)

    def penalised(gamma):
        return loglik(gamma, data)[0] - 0.5 * np.sum(((gamma[1:] - model.beta) / model.se) ** 2)

    best = penalised(found.gamma)
    rng = np.random.default_rng(0)
    for _ in range(20):
        assert penalised(found.gamma + rng.normal(0, 0.02, len(found.gamma))) < best


def test_refit_refuses_a_term_missing_in_every_row_and_names_it(model):
    frame = simulate(400, 3, model).drop(columns=["t_category"])
    frame["stage"] = None  # keep the rows valid: no T means no stage check
    with pytest.raises(RecalibrationError, match="refit cannot estimate t4: it is missing in "
                                                 "every row; use --method shrink"):
        estimate(model, load_cohort(frame, OUTCOME), "refit")


def test_a_cohort_with_one_outcome_cannot_be_recalibrated(model):
    frame = simulate(50, 3, model).assign(bone_metastasis=0)
    with pytest.raises(RecalibrationError, match="rows with and without the outcome"):
        estimate(model, load_cohort(frame, OUTCOME), "intercept")


def test_the_literature_uncertainty_carried_through_an_intercept_fit_is_the_implicit_one(
        model):
    """With an explicit-intercept parent and complete rows, the new intercept c solves
    sum(y - sigmoid(c + x.beta)) = 0, so dc/dbeta_j = -sum(w x_j) / sum(w), w = p (1 - p)."""
    from riskmodel.research.provenance import recalibrate

    data = simulate(3000, 12, model, intercept_shift=0.2)
    parent = Model(recalibrate(model, load_cohort(data, OUTCOME), "intercept"))
    cohort = load_cohort(simulate(2000, 13, model, intercept_shift=-0.3), OUTCOME)
    found = estimate(parent, cohort, "intercept")
    X = parent.design(cohort.table).X
    p = expit(found.gamma[0] + X @ parent.beta)
    w = p * (1 - p)
    J = np.vstack([-(w @ X) / w.sum(), np.eye(len(parent.beta))])
    var_a = found.details["calibration_intercept"]["se"] ** 2
    expected = J @ np.diag(parent.se**2) @ J.T
    expected[0, 0] += var_a
    np.testing.assert_allclose(found.cov, expected, rtol=2e-4, atol=1e-10)


def test_logistic_estimates_are_the_calibration_figures_validation_reports(model):
    from riskmodel.research.report import validation_report

    cohort = _cohort(model, 3000, 14, slope=0.8, missing={"t_category": 0.5, "cea": 0.6})
    found = estimate(model, cohort, "logistic").details
    overall = validation_report(model, cohort)["overall"]
    assert found["calibration_slope"]["estimate"] == pytest.approx(
        overall["calibration_slope"]["estimate"], abs=1e-9)
    intercept_only = estimate(model, cohort, "intercept").details["calibration_intercept"]
    assert intercept_only["estimate"] == pytest.approx(
        overall["calibration_intercept"]["estimate"], abs=1e-9)

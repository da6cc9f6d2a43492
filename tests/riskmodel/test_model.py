"""The model's arithmetic: intercept, reference mean, interval, marginalisation, batch path."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

import riskmodel
from riskmodel import intercept as intercept_module

NAN = float("nan")


def design(rows: list[list[float]]) -> np.ndarray:
    return np.array(rows, dtype=float)


def test_mean_reference_risk_equals_the_baseline(model, hand):
    assert model.mean_reference_risk() == pytest.approx(0.1742, abs=1e-9)
    assert hand.reference_mean_risk(model.intercept) == pytest.approx(0.1742, abs=1e-9)


def test_first_order_intercept_is_only_an_approximation(model, hand):
    # logit(0.1742) - sum beta_i E[x_i]; its mean risk misses the baseline (Jensen's gap).
    expected = np.log(0.1742 / 0.8258) - sum(
        hand.BETA[name] * p for name, p in hand.PREVALENCE.items()) - 0.0602 * 5.0
    approx = intercept_module.first_order(model.baseline, model.terms)
    assert approx == pytest.approx(expected, abs=1e-12)
    assert abs(hand.reference_mean_risk(approx) - 0.1742) > 0.01
    assert abs(approx - model.intercept) > 0.1


def test_explicit_intercept_is_used_as_given(spec):
    spec["intercept"] = {"method": "explicit", "value": -2.5, "se": 0.1}
    model = riskmodel.Model(spec)
    scores = model.score_design(design([[0, 0, 0, 0, 0, 0, 0, 0]]))
    assert scores.probability[0] == pytest.approx(expit(-2.5), abs=1e-15)
    sd = (np.log(scores.high[0] / (1 - scores.high[0])) + 2.5) / model.z
    assert sd == pytest.approx(0.1, abs=1e-12)


def test_complete_rows_match_sklearn_predict_proba(model):
    rng = np.random.default_rng(7)
    X = (rng.random((5000, 8)) < 0.3).astype(float)
    X[:, 7] = rng.uniform(0, 20, 5000)
    lr = LogisticRegression()
    lr.classes_, lr.coef_ = np.array([0, 1]), model.beta[None, :].copy()
    lr.intercept_ = np.array([model.intercept])
    scores = model.score_design(X)
    np.testing.assert_allclose(scores.probability, lr.predict_proba(X)[:, 1], rtol=0,
                               atol=1e-14)
    np.testing.assert_array_equal(scores.contributions, X * model.beta)
    assert np.isnan(scores.missing_low).all()
    assert np.isnan(scores.missing_high).all()


def test_interval_is_the_delta_method_including_missing_rows(model):
    """The engine's SD of the logit equals a numerical delta method: central differences of
    the logit in each beta (the intercept re-solved every time) and in the baseline."""
    X = design([[1, 0, 1, 0, 1, 0, 1, 12.0],
                [NAN, NAN, NAN, 0, NAN, NAN, NAN, NAN],
                [0, NAN, 1, 0, NAN, 1, 0, 3.0],
                [1, NAN, NAN, 1, 0, 0, NAN, 25.0]])
    scores = model.score_design(X)
    engine_sd = (np.log(scores.param_high / (1 - scores.param_high)) - scores.logit) / model.z
    jacobian = [_derivative(model.spec, X, ("terms", j, "beta")) for j in range(8)]
    baseline_se = np.sqrt(0.1742 * 0.8258 / 15716)
    variance = sum((jacobian[j] * model.se[j]) ** 2 for j in range(8))
    variance += (_derivative(model.spec, X, ("baseline", "probability")) * baseline_se) ** 2
    np.testing.assert_allclose(engine_sd, np.sqrt(variance), rtol=1e-6)
    assert engine_sd[1] == pytest.approx(baseline_se / (0.1742 * 0.8258), rel=1e-6)


def _derivative(spec, X, path, h=1e-6):
    values = []
    for step in (h, -h):
        changed = copy.deepcopy(spec)
        target = changed
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] += step
        values.append(riskmodel.Model(changed).score_design(X).logit)
    return (values[0] - values[1]) / (2 * h)


def test_missing_values_are_marginalised_whatever_the_weight(spec):
    """NaN propagates through the linear predictor even when a term's weight is 0."""
    spec["terms"][5]["beta"], spec["terms"][5]["se"] = 0.0, 0.0
    model = riskmodel.Model(spec)
    scores = model.score_design(design([[1, 0, 0, 0, 0, NAN, 0, 5.0]]))
    assert np.isfinite(scores.contributions).all()
    assert scores.missing_low[0] == scores.missing_high[0] == pytest.approx(
        scores.probability[0], abs=1e-15)


def test_missing_contribution_is_beta_times_the_reference_mean(model):
    scores = model.score_design(design([[NAN, 0, 0, 0, 0, 0, 0, NAN]]))
    assert scores.contributions[0, 0] == pytest.approx(1.050 * 0.779, abs=1e-15)
    assert scores.contributions[0, 7] == pytest.approx(0.0602 * 5.0, abs=1e-15)


def test_rows_are_scored_alike_across_blocks(model):
    """More rows than one block: every row equals the same row scored alone."""
    rng = np.random.default_rng(3)
    X = (rng.random((40_000, 8)) < 0.3).astype(float)
    X[rng.random(X.shape) < 0.02] = np.nan
    whole = model.score_design(X)
    for i in (0, 16_383, 16_384, 39_999):
        alone = model.score_design(X[i:i + 1])
        for field in ("probability", "low", "high", "missing_low", "missing_high"):
            np.testing.assert_array_equal(getattr(whole, field)[i], getattr(alone, field)[0])


def test_design_of_the_wrong_width_is_refused(model):
    with pytest.raises(ValueError, match=r"shape \(n, 8\)"):
        model.score_design(np.zeros((3, 7)))


def test_missing_inputs_are_ranked_by_how_much_they_narrow_the_range():
    result = riskmodel.score(riskmodel.Patient(histology="squamous", t_category="T2a",
                                               n_category="N0", bsp="negative",
                                               cea=riskmodel.Quantity(1, "ng/mL")))
    names = [m.name for m in result.missing]
    assert names == ["alp", "calcium"]  # beta 1.347 before 0.595
    assert result.missing[0].narrowing > result.missing[1].narrowing > 0


def test_interval_with_a_full_covariance_is_the_delta_method(spec):
    """A recalibrated spec: explicit intercept and a covariance of (beta0, betas)."""
    rng = np.random.default_rng(11)
    root = rng.normal(0, 0.1, (9, 9))
    cov = root @ root.T
    spec["intercept"] = {"method": "explicit", "value": -3.0}
    spec["interval"]["covariance"] = ((cov + cov.T) / 2).tolist()
    model = riskmodel.Model(spec)
    X = design([[1, 0, 1, 0, 1, 0, 1, 12.0], [NAN, 1, NAN, 0, 0, NAN, 0, NAN]])
    scores = model.score_design(X)
    engine_sd = (np.log(scores.param_high / (1 - scores.param_high)) - scores.logit) / model.z
    jacobian = np.column_stack(
        [_derivative(spec, X, ("intercept", "value"))]
        + [_derivative(spec, X, ("terms", j, "beta")) for j in range(8)])
    expected = np.sqrt(np.einsum("ij,jk,ik->i", jacobian, np.asarray(spec["interval"]
                                                                    ["covariance"]), jacobian))
    np.testing.assert_allclose(engine_sd, expected, rtol=1e-6)


def test_no_rows_score_to_empty_arrays(model):
    scores = model.score_design(np.zeros((0, 8)))
    assert scores.probability.shape == (0,)
    assert scores.contributions.shape == (0, 8)

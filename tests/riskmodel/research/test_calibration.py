"""Validation metrics against independent implementations (scikit-learn, statsmodels, loops)."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.special import expit, logit
from sklearn.metrics import brier_score_loss, roc_auc_score

from riskmodel.research import metrics as cal


@pytest.fixture(scope="module")
def sample():
    rng = np.random.default_rng(3)
    p = np.round(rng.uniform(0.02, 0.7, 400), 2)  # rounded: many ties
    y = (rng.random(400) < expit(0.3 + 1.4 * logit(p))).astype(int)
    return y, p, logit(p)


def _delong_by_pairs(y, p):
    """DeLong's variance straight from its definition: O(m n) structural components."""
    pos, neg = p[y == 1], p[y == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    return psi.mean(), np.var(v10, ddof=1) / len(pos) + np.var(v01, ddof=1) / len(neg)


def test_auc_and_delong_variance_match_sklearn_and_the_definition(sample):
    y, p, _ = sample
    found = cal.auc_delong(y, p)
    auc, var = _delong_by_pairs(y, p)
    assert found["estimate"] == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert found["estimate"] == pytest.approx(auc, abs=1e-12)
    assert found["se"] == pytest.approx(np.sqrt(var), rel=1e-10)
    assert found["low"] < found["estimate"] < found["high"]


def test_calibration_intercept_and_slope_match_statsmodels_glm(sample):
    y, _, lp = sample
    ones = np.ones((len(y), 1))
    offset = sm.GLM(y, ones, family=sm.families.Binomial(), offset=lp).fit()
    slope = sm.GLM(y, sm.add_constant(lp), family=sm.families.Binomial()).fit()
    a, b = cal.calibration_intercept(y, lp), cal.calibration_slope(y, lp)
    assert a["estimate"] == pytest.approx(offset.params[0], abs=1e-8)
    assert a["se"] == pytest.approx(offset.bse[0], rel=1e-6)
    assert b["estimate"] == pytest.approx(slope.params[1], abs=1e-8)
    assert b["se"] == pytest.approx(slope.bse[1], rel=1e-6)
    assert (b["low"], b["high"]) == pytest.approx(tuple(slope.conf_int()[1]), rel=1e-6)


def test_brier_matches_sklearn_and_the_null_is_the_prevalence_model(sample):
    y, p, _ = sample
    found = cal.brier(y, p)
    assert found["value"] == pytest.approx(brier_score_loss(y, p), abs=1e-15)
    assert found["null"] == pytest.approx(brier_score_loss(y, np.full(len(y), y.mean())))


def test_observed_expected_is_the_ratio_with_a_log_scale_binomial_interval():
    y, p = np.array([1, 0, 0, 1, 0, 0, 0, 0]), np.full(8, 0.5)
    found = cal.observed_expected(y, p)
    half = cal.Z95 * np.sqrt((1 - 2 / 8) / 2)  # O = 2, n = 8
    assert found["ratio"] == 0.5
    assert (found["low"], found["high"]) == pytest.approx((0.5 * np.exp(-half),
                                                           0.5 * np.exp(half)))


def test_net_benefit_matches_a_loop_over_patients(sample):
    y, p, _ = sample
    curve = cal.decision_curve(y, p, np.array([0.05, 0.2, 0.5]))
    for i, t in enumerate((0.05, 0.2, 0.5)):
        treated = p >= t
        tp, fp = np.sum(treated & (y == 1)), np.sum(treated & (y == 0))
        assert curve["model"][i] == pytest.approx(tp / len(y) - fp / len(y) * t / (1 - t))
        assert curve["treat_all"][i] == pytest.approx(y.mean() - (1 - y.mean()) * t / (1 - t))
        assert curve["treat_none"][i] == 0.0


def test_tied_predictions_stay_in_one_group_and_few_values_are_their_own_groups():
    p = np.array([0.1] * 90 + [0.3] * 10)
    y = np.array([1] * 9 + [0] * 81 + [1] * 5 + [0] * 5)
    groups = cal.deciles(y, p)
    assert [(g["n"], g["events"], g["observed"]) for g in groups] == [(90, 9, 0.1), (10, 5, 0.5)]
    many = cal.deciles(np.arange(200) % 2, np.linspace(0.01, 0.9, 200))
    assert len(many) == 10
    assert sum(g["n"] for g in many) == 200


def test_no_smoothed_curve_or_slope_when_predictions_do_not_vary_enough():
    p, y = np.array([0.2] * 50 + [0.4] * 50), np.array([0, 1] * 50)
    assert cal.smoothed_curve(y, p)["note"].startswith("only 2 distinct predictions")
    tied = cal.auc_delong(y, np.full(100, 0.3))
    assert tied["estimate"] == 0.5
    assert tied["low"] is None
    assert "no ranking" in tied["note"]
    constant = cal.calibration_slope(y, np.zeros(100))
    assert constant["estimate"] is None
    assert "every prediction is the same" in constant["reason"]


def test_the_smoothed_curve_follows_a_known_calibration(sample):
    rng = np.random.default_rng(8)
    p = rng.uniform(0.05, 0.6, 4000)
    y = (rng.random(4000) < p).astype(int)  # perfectly calibrated
    curve = cal.smoothed_curve(y, p)
    gap = np.abs(np.array(curve["observed"]) - np.array(curve["predicted"]))
    assert len(curve["predicted"]) == 101
    assert gap.max() < 0.05


def test_a_perfectly_separated_outcome_gives_no_calibration_slope_rather_than_a_number():
    lp = np.linspace(-3, 3, 40)
    y = (lp > 0).astype(float)
    assert cal.calibration_slope(y, lp) == {"estimate": None, "reason": "did not converge"}


def test_logistic_fit_agrees_with_sklearn_unpenalised_logistic_regression():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(5)
    x = rng.normal(size=500)
    y = (rng.random(500) < 1 / (1 + np.exp(-(0.4 + 1.2 * x)))).astype(float)
    coef, _ = cal.logistic_fit(np.column_stack([np.ones(500), x]), y)
    reference = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(x[:, None], y)
    assert coef == pytest.approx([reference.intercept_[0], reference.coef_[0, 0]], abs=1e-5)

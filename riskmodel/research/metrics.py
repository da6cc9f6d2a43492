"""Validation metrics of predicted risks against observed 0/1 outcomes.

Discrimination: AUC with DeLong's variance (DeLong ER et al., Biometrics 1988;44:837-845, in
the fast midrank form of Sun X, Xu W, IEEE Signal Process Lett 2014;21:1389-1393) and a 95% CI
on the logit scale (it stays inside 0-1). Calibration: observed/expected with a binomial
delta-method CI for ln(O/E); calibration intercept (logistic regression of the outcome with
the model's log-odds as offset) and slope (log-odds as the only covariate), both fitted as
statsmodels binomial GLMs, with Wald CIs; Brier score. Curves: decile points, a
lowess-smoothed calibration curve (statsmodels), and net benefit (Vickers AJ, Elkin EB, Med
Decis Making 2006;26:565-574).
"""

from __future__ import annotations

import warnings
from statistics import NormalDist
from typing import Any

import numpy as np
from scipy.special import expit, logit

Z95 = NormalDist().inv_cdf(0.975)
# Decision-curve thresholds shown: 1% to 60% in steps of 1% (a display range, not a claim).
THRESHOLDS = np.round(np.arange(1, 61) / 100, 2)


def auc_delong(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    """AUC, DeLong standard error and 95% CI (logit-transformed).

    Examples
    --------
    >>> import numpy as np
    >>> r = auc_delong(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    >>> r["estimate"], round(r["se"], 4)
    (0.75, 0.3536)
    """
    from scipy.stats import rankdata  # scipy.stats is slow to import: only when needed

    y, p = np.asarray(y).astype(bool), np.asarray(p, dtype=float)
    pos, neg = p[y], p[~y]
    m, n = len(pos), len(neg)
    if m == 0 or n == 0:
        return {"estimate": None, "reason": "needs both outcomes"}
    if np.ptp(p) == 0:
        return {"estimate": 0.5, "se": 0.0, "low": None, "high": None, "method": "DeLong",
                "note": "every prediction is the same: there is no ranking to measure"}
    ranks = rankdata(np.concatenate([pos, neg]))
    auc = float((ranks[:m].sum() - m * (m + 1) / 2) / (m * n))
    v_pos = (ranks[:m] - rankdata(pos)) / n
    v_neg = 1.0 - (ranks[m:] - rankdata(neg)) / m
    var = (np.var(v_pos, ddof=1) if m > 1 else 0.0) / m + (
        np.var(v_neg, ddof=1) if n > 1 else 0.0) / n
    se = float(np.sqrt(var))
    return {"estimate": auc, "se": se, **_logit_ci(auc, se), "method": "DeLong"}


def _logit_ci(value: float, se: float) -> dict[str, float | None]:
    if not 0 < value < 1:
        return {"low": None, "high": None}
    half = Z95 * se / (value * (1 - value))
    return {"low": float(expit(logit(value) - half)), "high": float(expit(logit(value) + half))}


def observed_expected(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    """Calibration-in-the-large as observed/expected events, 95% CI on the log scale.

    SE(ln O/E) = sqrt((1 - O/n) / O): the delta method for a binomial count O.
    """
    observed, expected, n = float(np.sum(y)), float(np.sum(p)), len(y)
    ratio = observed / expected
    if observed == 0:
        return {"observed": 0, "expected": expected, "ratio": ratio, "low": None, "high": None}
    half = Z95 * np.sqrt((1 - observed / n) / observed)
    return {"observed": int(observed), "expected": expected, "ratio": ratio,
            "low": float(ratio * np.exp(-half)), "high": float(ratio * np.exp(half))}


def logistic_fit(X: np.ndarray, y: np.ndarray, offset: np.ndarray | None = None,
                 max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood logistic regression (statsmodels' binomial GLM, with an optional
    offset): (coefficients, covariance).

    ``X`` includes the intercept column. Raises ArithmeticError when the fit does not converge
    or the outcome is perfectly separated (the estimates would be meaningless).
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import (
        ConvergenceWarning,
        PerfectSeparationError,
        PerfectSeparationWarning,
    )

    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("error", RuntimeWarning)  # exp overflow: diverging estimates
        try:
            fit = sm.GLM(y, X, family=sm.families.Binomial(), offset=offset).fit(
                maxiter=max_iter, tol=1e-10)
        except (ConvergenceWarning, PerfectSeparationWarning, PerfectSeparationError,
                RuntimeWarning):
            raise ArithmeticError("logistic regression did not converge (separation?)") from None
    if not fit.converged:
        raise ArithmeticError("logistic regression did not converge (separation?)")
    return np.asarray(fit.params), np.asarray(fit.cov_params())


def calibration_intercept(y: np.ndarray, lp: np.ndarray) -> dict[str, Any]:
    """Calibration intercept: logit P(y) = a + lp (lp as offset); 0 is ideal."""
    if np.sum(y) in (0, len(y)):
        return {"estimate": None, "reason": "needs both outcomes"}
    try:
        coef, cov = logistic_fit(np.ones((len(y), 1)), y, offset=lp)
    except (ArithmeticError, np.linalg.LinAlgError):
        return {"estimate": None, "reason": "did not converge"}
    return _wald(coef[0], cov[0, 0])


def calibration_slope(y: np.ndarray, lp: np.ndarray) -> dict[str, Any]:
    """Calibration slope: logit P(y) = a + b lp; 1 is ideal."""
    if np.ptp(lp) == 0:
        return {"estimate": None, "reason": "not estimable: every prediction is the same"}
    if np.sum(y) in (0, len(y)):
        return {"estimate": None, "reason": "needs both outcomes"}
    try:
        coef, cov = logistic_fit(np.column_stack([np.ones(len(y)), lp]), y)
    except (ArithmeticError, np.linalg.LinAlgError):
        return {"estimate": None, "reason": "did not converge"}
    return _wald(coef[1], cov[1, 1])


def _wald(estimate: float, variance: float) -> dict[str, float]:
    se = float(np.sqrt(variance))
    return {"estimate": float(estimate), "se": se, "low": float(estimate - Z95 * se),
            "high": float(estimate + Z95 * se)}


def brier(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Brier score, the Brier score of predicting the prevalence, and the scaled Brier."""
    value = float(np.mean((np.asarray(p) - np.asarray(y)) ** 2))
    prevalence = float(np.mean(y))
    null = prevalence * (1 - prevalence)
    return {"value": value, "null": null, "scaled": 1 - value / null if null > 0 else None}


def performance(y: np.ndarray, p: np.ndarray, lp: np.ndarray) -> dict[str, Any]:
    """Every summary figure: n, events, AUC, O/E, calibration intercept and slope, Brier.

    Examples
    --------
    >>> import numpy as np
    >>> y, p = np.array([0, 1, 0, 1, 1, 0]), np.array([.2, .7, .4, .6, .3, .1])
    >>> r = performance(y, p, np.log(p / (1 - p)))
    >>> r["n"], r["events"], round(r["auc"]["estimate"], 3), round(r["brier"]["value"], 4)
    (6, 3, 0.889, 0.1583)
    """
    y = np.asarray(y).astype(int)
    return {"n": len(y), "events": int(y.sum()), "mean_predicted": float(np.mean(p)),
            "auc": auc_delong(y, p), "oe": observed_expected(y, p),
            "calibration_intercept": calibration_intercept(y, lp),
            "calibration_slope": calibration_slope(y, lp), "brier": brier(y, p)}


def deciles(y: np.ndarray, p: np.ndarray, groups: int = 10) -> list[dict[str, float]]:
    """Mean predicted and observed risk per tenth of predicted risk (ties kept together).

    With ``groups`` or fewer distinct predictions, each distinct prediction is a group.
    """
    y, p = np.asarray(y), np.asarray(p, dtype=float)
    distinct = np.unique(p)
    if len(distinct) <= groups:
        bins = np.searchsorted(distinct, p)
    else:
        edges = np.unique(np.quantile(p, np.linspace(0, 1, groups + 1)))
        bins = np.searchsorted(edges[1:-1], p, side="left")
    found = []
    for b in np.unique(bins):
        inside = bins == b
        events, n = int(np.sum(y[inside])), int(inside.sum())
        found.append({"n": n, "events": events, "mean_predicted": float(np.mean(p[inside])),
                      "observed": events / n})
    return found


MIN_DISTINCT_FOR_LOWESS = 10  # fewer distinct predictions: the grouped points are the curve


def smoothed_curve(y: np.ndarray, p: np.ndarray, points: int = 101) -> dict[str, Any]:
    """Lowess calibration curve (frac 2/3, no robustness iterations, which binary data break).

    With fewer than 10 distinct predictions there is nothing to smooth: the curve is empty
    and ``note`` says why (the grouped points show calibration).
    """
    from statsmodels.nonparametric.smoothers_lowess import lowess

    p = np.asarray(p, dtype=float)
    distinct = len(np.unique(p))
    if distinct < MIN_DISTINCT_FOR_LOWESS:
        return {"predicted": [], "observed": [], "note": f"only {distinct} distinct "
                "predictions: no smoothed curve (the grouped points show calibration)"}
    delta = 0.01 * float(np.ptp(p))  # statsmodels' advice for large n: skip near-equal x
    with np.errstate(invalid="ignore", divide="ignore"):  # a failed local fit is NaN: see below
        fitted = lowess(np.asarray(y, dtype=float), p, frac=2 / 3, it=0, delta=delta)
    if np.isnan(fitted).any():
        return {"predicted": [], "observed": [], "note": "lowess failed on tied predictions: "
                "no smoothed curve (the grouped points show calibration)"}
    keep = np.unique(np.linspace(0, len(fitted) - 1, min(points, len(fitted))).astype(int))
    return {"predicted": fitted[keep, 0].tolist(), "observed": fitted[keep, 1].tolist()}


def decision_curve(y: np.ndarray, p: np.ndarray, thresholds: np.ndarray = THRESHOLDS
                   ) -> dict[str, list[float]]:
    """Net benefit of treating when p >= threshold, of treating all, and of treating none."""
    y, p = np.asarray(y).astype(bool), np.asarray(p, dtype=float)
    n, prevalence = len(y), float(np.mean(y))
    odds = thresholds / (1 - thresholds)
    pos, neg = np.sort(p[y]), np.sort(p[~y])
    tp = (len(pos) - np.searchsorted(pos, thresholds, side="left")) / n
    fp = (len(neg) - np.searchsorted(neg, thresholds, side="left")) / n
    return {"thresholds": thresholds.tolist(), "model": (tp - fp * odds).tolist(),
            "treat_all": (prevalence - (1 - prevalence) * odds).tolist(),
            "treat_none": [0.0] * len(thresholds)}

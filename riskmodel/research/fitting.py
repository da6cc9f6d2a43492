"""Fit a model's weights to a cohort by the likelihood of the engine's own predictions.

A row with missing inputs is predicted by the engine as p = sum_c w_c sigmoid(z_c . gamma):
the mixture over every combination c of the missing terms' reference values (weights w_c),
gamma = (intercept, betas). Fitting maximises exactly that likelihood, so a fitted model
predicts the cohort as it was fitted (no imputation; missing rows are not dropped). With no
missing input it is ordinary logistic regression.

- :func:`fit_map`: maximum (penalised) likelihood of gamma = A theta + g0 with optional
  independent normal priors on gamma, by scipy.optimize (trust-region, exact Hessian).
- :func:`refit_sklearn`: unpenalised scikit-learn ``LogisticRegression``; with missing inputs
  inside EM (the E-step weights each combination by its posterior, the M-step is a weighted
  sklearn fit), which climbs the same mixture likelihood.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import minimize
from scipy.special import expit, log_expit

from riskmodel.errors import RiskModelError
from riskmodel.marginal import combinations
from riskmodel.model import Model


class FitError(RiskModelError, ArithmeticError):
    """A fit did not converge or cannot estimate what was asked."""


@dataclass(frozen=True)
class Expanded:
    """Rows of [1, x] per cohort row and combination of its missing terms' values."""

    Z: np.ndarray  # (m, k + 1)
    weight: np.ndarray  # (m,) reference probability of the combination
    row: np.ndarray  # (m,) cohort row of each expanded row
    y: np.ndarray  # (n,) outcome
    group: sparse.csr_matrix  # (n, m) sums expanded rows per cohort row

    @property
    def complete(self) -> bool:
        """Whether no row had a missing term (one expanded row per cohort row)."""
        return len(self.row) == len(self.y)


def expand(model: Model, X: np.ndarray, y: np.ndarray) -> Expanded:
    """Expand a design (NaN = missing term) over the reference values of its missing terms."""
    X, n = np.asarray(X, dtype=float), len(X)
    missing = np.isnan(X)
    codes = missing @ (1 << np.arange(X.shape[1])) if X.shape[1] else np.zeros(n, int)
    blocks, weights, rows = [], [], []
    for code in np.unique(codes):
        members = np.flatnonzero(codes == code)
        idx = [j for j in range(X.shape[1]) if code >> j & 1]
        values, w = combinations([model.terms[j].support() for j in idx])
        block = np.repeat(X[members], len(w), axis=0)
        if idx:
            block[:, idx] = np.tile(values, (len(members), 1))
        blocks.append(block)
        weights.append(np.tile(w, len(members)))
        rows.append(np.repeat(members, len(w)))
    Z = np.column_stack([np.ones(sum(len(b) for b in blocks)), np.concatenate(blocks)])
    row = np.concatenate(rows)
    group = sparse.csr_matrix((np.ones(len(row)), (row, np.arange(len(row)))),
                              shape=(n, len(row)))
    return Expanded(Z, np.concatenate(weights), row, np.asarray(y, dtype=float), group)


def loglik(gamma: np.ndarray, data: Expanded) -> tuple[float, np.ndarray, np.ndarray]:
    """Log-likelihood of the engine's predictions, its gradient and Hessian in gamma."""
    eta = data.Z @ gamma
    s = expit(eta)
    if data.complete:  # one expanded row per cohort row, in order: plain logistic regression
        y = data.y
        value = float(np.sum(y * log_expit(eta) + (1 - y) * log_expit(-eta)))
        return value, data.Z.T @ (y - s), -(data.Z.T @ (data.Z * (s * (1 - s))[:, None]))
    p = data.group @ (data.weight * s)
    q = data.group @ (data.weight * expit(-eta))  # 1 - p without cancellation
    y = data.y
    value = float(np.sum(y * np.log(p) + (1 - y) * np.log(q)))
    r = y / p - (1 - y) / q
    ds = data.weight * s * (1 - s)
    G = data.group @ (data.Z * ds[:, None])
    grad = G.T @ r
    curvature = y / p**2 + (1 - y) / q**2
    inner = r[data.row] * ds * (1 - 2 * s)
    hess = -(G.T @ (G * curvature[:, None])) + data.Z.T @ (data.Z * inner[:, None])
    return value, grad, hess


@dataclass(frozen=True)
class Fit:
    """A fitted parameter vector, its covariance (inverse observed information) and gamma."""

    theta: np.ndarray
    cov: np.ndarray
    gamma: np.ndarray
    loglik: float


def fit_map(data: Expanded, A: np.ndarray, g0: np.ndarray, theta0: np.ndarray,
            prior_mean: np.ndarray | None = None, prior_sd: np.ndarray | None = None) -> Fit:
    """Maximise loglik(A theta + g0) - sum((gamma - mean)^2 / (2 sd^2)) over theta.

    ``prior_sd`` is infinite (flat) where a component has no prior.
    """
    precision = np.zeros(len(g0)) if prior_sd is None else 1.0 / np.square(prior_sd)
    mean = np.zeros(len(g0)) if prior_mean is None else prior_mean
    objective = _penalised(data, A, g0, mean, precision)
    result = minimize(lambda t: objective(t)[0], theta0, jac=lambda t: objective(t)[1],
                      hess=lambda t: objective(t)[2], method="trust-exact",
                      options={"gtol": 1e-9, "maxiter": 500})
    _, grad, hess = objective(result.x)
    # Judge convergence by the Newton decrement (scale-free): trust-exact may stop with a
    # "bad approximation" message when it is already at the optimum to machine precision.
    try:
        decrement = float(grad @ np.linalg.solve(hess, grad))
    except np.linalg.LinAlgError:
        decrement = np.inf
    if not 0 <= decrement < 1e-8:
        raise FitError(f"the fit did not converge: {result.message}")
    return _fit(result.x, hess, A @ result.x + g0, data)


def _penalised(data: Expanded, A: np.ndarray, g0: np.ndarray, mean: np.ndarray,
               precision: np.ndarray):
    """theta -> (value, gradient, Hessian) of the negative penalised log-likelihood, cached
    for the last theta (scipy asks for the three apart at the same point)."""
    cache: dict[bytes, tuple[float, np.ndarray, np.ndarray]] = {}

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        key = theta.tobytes()
        if key not in cache:
            gamma = A @ theta + g0
            value, grad, hess = loglik(gamma, data)
            dev = gamma - mean
            cache.clear()
            cache[key] = (-value + 0.5 * dev @ (precision * dev),
                          A.T @ (-grad + precision * dev), A.T @ (-hess + np.diag(precision)) @ A)
        return cache[key]

    return objective


def _fit(theta: np.ndarray, hessian: np.ndarray, gamma: np.ndarray, data: Expanded) -> Fit:
    try:
        cov = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        raise FitError("the fitted parameters are not identifiable from this cohort") from None
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
        raise FitError("the fitted parameters are not identifiable from this cohort")
    return Fit(theta, cov, gamma, loglik(gamma, data)[0])


def refit_sklearn(data: Expanded, free: list[int], max_em: int = 1000,
                  tol: float = 1e-9) -> Fit:
    """Refit the intercept and the ``free`` columns of Z with unpenalised sklearn; EM if missing.

    Returns theta = (intercept, free betas) on the free columns only (held columns are the
    caller's: they must be constant and never missing, so the intercept absorbs them).
    """
    X = data.Z[:, free]
    weight, previous = data.weight.copy(), -np.inf
    for _ in range(max_em):
        theta = _sklearn_step(X, data.y[data.row], weight)
        sub = Expanded(data.Z[:, [0, *free]], data.weight, data.row, data.y, data.group)
        value = loglik(theta, sub)[0]
        if data.complete or value - previous < tol:
            break
        previous = value
        weight = _posterior(sub.Z @ theta, data)
    else:
        raise FitError(f"EM did not converge in {max_em} iterations")
    return _fit(theta, -loglik(theta, sub)[2], theta, sub)


def _sklearn_step(X: np.ndarray, y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    # C=inf: no penalty (sklearn >= 1.8 spells "penalty=None" this way).
    model = LogisticRegression(C=np.inf, solver="lbfgs", max_iter=10_000, tol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            model.fit(X, y, sample_weight=weight)
        except ConvergenceWarning as exc:
            raise FitError(f"scikit-learn's refit did not converge: {exc}") from None
    return np.concatenate([model.intercept_, model.coef_[0]])


def _posterior(eta: np.ndarray, data: Expanded) -> np.ndarray:
    """E-step: each combination's probability given the row's outcome."""
    y = data.y[data.row]
    joint = data.weight * np.where(y > 0, expit(eta), expit(-eta))
    return joint / (data.group.T @ (data.group @ joint))

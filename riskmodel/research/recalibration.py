"""Turn the literature model into a locally valid one: four methods, each a new spec.

Rows with missing inputs are kept, never imputed: the engine marginalises their missing terms
over the reference, in fitting as in scoring.

- ``intercept``: logistic regression of the outcome with the parent's log-odds lp as offset,
  logit p = a + lp; a new intercept, the weights kept.
- ``logistic``: logit p = a + b lp; every weight times b and a new intercept. lp is the
  log-odds as the engine computes them (marginalised when inputs are missing), so a and b are
  exactly the calibration intercept and slope that validation reports.
- ``refit``: every weight re-estimated by unpenalised scikit-learn ``LogisticRegression``, on
  the likelihood of the engine's marginalised predictions (EM when inputs are missing; see
  :mod:`riskmodel.research.fitting`). A term whose value never varies in the cohort and is never
  missing (e.g. stage III when T and N are always known) cannot be estimated: it keeps its
  literature weight and the intercept absorbs it; a term missing everywhere, or with a single
  observed value and missing elsewhere, makes refit refuse (use ``shrink``).
- ``shrink``: Bayesian maximum a posteriori logistic regression on the same likelihood:
  independent normal priors centred on the literature weights with the spec's SEs as prior
  SDs, a flat prior on the intercept, maximised with scipy.optimize; covariance from the
  inverse Hessian (the posterior's).

Covariance of the new spec: the fit's inverse observed information; for ``intercept`` and
``logistic`` plus the literature weights' own uncertainty carried through the fit (their SEs,
independent, through a central-difference Jacobian of the whole fit), and for terms refit
could not estimate their literature SEs.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from riskmodel.errors import RiskModelError
from riskmodel.model import Model

from .cohort import Cohort
from .fitting import Expanded, expand, fit_map, refit_sklearn
from .metrics import Z95, logistic_fit

METHODS = ("intercept", "logistic", "refit", "shrink")


class RecalibrationError(RiskModelError, ValueError):
    """The cohort cannot support the requested recalibration."""


@dataclass(frozen=True)
class Estimate:
    """What a method found: gamma = (intercept, betas), its covariance, and the details."""

    gamma: np.ndarray
    cov: np.ndarray
    details: dict[str, Any]
    status: dict[str, str]


def estimate(model: Model, cohort: Cohort, method: str) -> Estimate:
    """Fit ``method`` to the cohort; raise RecalibrationError when it cannot be done.

    Examples
    --------
    >>> from riskmodel import load_model
    >>> from riskmodel.research.cohort import load_cohort
    >>> from riskmodel.research.simulate import simulate
    >>> model = load_model()
    >>> cohort = load_cohort(simulate(2000, seed=4, model=model, slope=0.7), "bone_metastasis")
    >>> found = estimate(model, cohort, "logistic")
    >>> round(found.details["calibration_slope"]["estimate"], 2)
    0.66
    """
    if method not in METHODS:
        raise RecalibrationError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    if cohort.events in (0, cohort.n):
        raise RecalibrationError("the cohort needs rows with and without the outcome")
    X = model.design(cohort.table).X
    return _FITTERS[method](model, expand(model, X, cohort.y), X)


def _intercept(model: Model, data: Expanded, X: np.ndarray) -> Estimate:
    return _on_log_odds(model, X, data.y, slope=False)


def _logistic(model: Model, data: Expanded, X: np.ndarray) -> Estimate:
    return _on_log_odds(model, X, data.y, slope=True)


def _on_log_odds(model: Model, X: np.ndarray, y: np.ndarray, slope: bool) -> Estimate:
    """Recalibrate on the parent's log-odds; carry the literature SEs through the fit."""
    coef, cov = _fit_log_odds(model, X, y, slope)
    k = len(model.beta)
    A = np.zeros((k + 1, len(coef)))  # d gamma / d (a, b) at the parent's weights
    A[0, 0] = 1.0
    if slope:
        A[0, 1], A[1:, 1] = model.intercept, model.beta
    J = np.zeros((k + 1, k))
    for j in range(k):
        h = 1e-5 * max(1.0, abs(model.beta[j]))
        ends = [_gamma(m, _fit_log_odds(m, X, y, slope)[0], slope)
                for m in (_perturbed(model, j, h), _perturbed(model, j, -h))]
        J[:, j] = (ends[0] - ends[1]) / (2 * h)
    details = {"calibration_intercept": _ci(coef, cov, 0)}
    if slope:
        details["calibration_slope"] = _ci(coef, cov, 1)
    status = dict.fromkeys(model.names, "literature weight times the calibration slope"
                           if slope else "literature weight kept")
    return Estimate(_gamma(model, coef, slope), A @ cov @ A.T + (J * model.se**2) @ J.T,
                    details, status)


def _fit_log_odds(model: Model, X: np.ndarray, y: np.ndarray, slope: bool):
    lp = model.score_design(X).logit
    try:
        if slope:
            return logistic_fit(np.column_stack([np.ones(len(y)), lp]), y)
        return logistic_fit(np.ones((len(y), 1)), y, offset=lp)
    except (ArithmeticError, np.linalg.LinAlgError):
        raise RecalibrationError("the recalibration did not converge") from None


def _gamma(model: Model, coef: np.ndarray, slope: bool) -> np.ndarray:
    """(intercept, betas) of logit p = a + b lp, lp = intercept + x . beta of ``model``."""
    b = coef[1] if slope else 1.0
    return np.concatenate([[coef[0] + b * model.intercept], b * model.beta])


def _perturbed(model: Model, j: int, delta: float) -> Model:
    """The model with beta_j moved by delta (its intercept re-solved as its spec says)."""
    spec = copy.deepcopy(model.spec)
    spec["terms"][j]["beta"] += delta
    return Model(spec)


def _ci(coef: np.ndarray, cov: np.ndarray, i: int) -> dict[str, float]:
    se, value = float(np.sqrt(cov[i, i])), float(coef[i])
    return {"estimate": value, "se": se, "low": value - Z95 * se, "high": value + Z95 * se}


def _refit(model: Model, data: Expanded, X: np.ndarray) -> Estimate:
    free, held, status = [], {}, {}
    for j, name in enumerate(model.names):
        kind, value, why = _variation(data, X, j)
        if kind == "varies":
            free.append(j + 1)
            status[name] = "re-estimated (scikit-learn LogisticRegression, unpenalised)"
        elif kind == "constant":
            held[j] = value
            status[name] = f"literature weight kept: {why}"
        else:
            raise RecalibrationError(
                f"refit cannot estimate {name}: {why}; use --method shrink (the literature "
                "weight as prior) or logistic")
    if not free:
        raise RecalibrationError("refit: no term varies in this cohort; use intercept")
    found = refit_sklearn(data, free)
    return _assemble_refit(model, found, free, held, status)


def _variation(data: Expanded, X: np.ndarray, j: int) -> tuple[str, float, str]:
    """('varies' | 'constant' | 'refuse', the constant x, why) for term j."""
    missing = np.isnan(X[:, j])
    column = data.Z[:, j + 1]  # missing rows take every reference value in turn
    if np.ptp(column) == 0:
        value = float(column[0])
        where = ("it is missing in every row and its reference is the single value"
                 if missing.all() else "every row has the same value")
        return "constant", value, f"{where} x = {value:g}, so the intercept absorbs it"
    if missing.all():
        return "refuse", 0.0, "it is missing in every row"
    if np.ptp(X[~missing, j]) == 0:
        return "refuse", 0.0, "every row where it is known has the same value"
    return "varies", 0.0, ""


def _assemble_refit(model: Model, found, free: list[int], held: dict[int, float],
                    status: dict[str, str]) -> Estimate:
    k = len(model.terms)
    gamma = np.concatenate([[0.0], model.beta])
    index = [0, *free]
    gamma[index] = found.theta
    cov = np.zeros((k + 1, k + 1))
    cov[np.ix_(index, index)] = found.cov
    J = np.zeros((k + 1, k))
    for j, value in held.items():
        gamma[0] -= model.beta[j] * value  # the fitted intercept includes the held term
        J[0, j], J[j + 1, j] = -value, 1.0
    cov += (J * model.se**2) @ J.T
    return Estimate(gamma, cov, {"estimated_terms": [model.names[i - 1] for i in free]}, status)


def _shrink(model: Model, data: Expanded, X: np.ndarray) -> Estimate:
    if np.any(model.se <= 0):
        raise RecalibrationError("shrink needs a positive SE for every literature weight")
    k = len(model.terms)
    mean = np.concatenate([[0.0], model.beta])
    sd = np.concatenate([[np.inf], model.se])
    found = fit_map(data, np.eye(k + 1), np.zeros(k + 1), np.concatenate(
        [[model.intercept], model.beta]), prior_mean=mean, prior_sd=sd)
    status = dict.fromkeys(model.names, "shrunk toward the literature weight "
                                        "(normal prior, SD = literature SE)")
    return Estimate(found.gamma, found.cov, {"prior": "normal(literature beta, literature SE); "
                                             "flat on the intercept"}, status)


_FITTERS = {"intercept": _intercept, "logistic": _logistic, "refit": _refit, "shrink": _shrink}

"""The intercept: solved so that the mean risk over the reference population is the baseline.

The reference population is the product of the terms' reference distributions (each term
independent, docs/evidence.md#intercept). beta0 is the root of

    E[sigmoid(beta0 + beta . x)] = baseline,

the mean taken over every combination of reference values, found by Brent's method. The
first-order form ``logit(baseline) - sum_i beta_i E[x_i]`` ignores the curvature of the sigmoid
(Jensen's inequality), so its mean risk misses the baseline; :func:`first_order` is kept only
to show that difference (the model card prints both).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit, logit

from .marginal import Joint, combinations
from .terms import Term


@dataclass(frozen=True)
class Intercept:
    """beta0, how it moves with each beta, and its own variance (for the delta method)."""

    value: float
    method: str  # "exact_mean_risk" or "explicit"
    gradient: np.ndarray  # d beta0 / d beta_i (zero when the value is given explicitly)
    variance: float  # from the baseline's binomial SE, or the explicit SE


def in_reference(term: Term) -> bool:
    """Whether a term varies in the reference population.

    A term used only when other inputs are missing (stage III) never applies to a patient with
    those inputs known, and the reference population has them known.
    """
    return not term.used_only_when_missing


def reference_grid(terms: Sequence[Term], joint: Joint | None = None,
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Every combination of the terms' reference values (rows) and its probability.

    The staging terms (``joint.columns``) take their values jointly from the reference
    (T, N) distribution; every other term is independent.

    Examples
    --------
    >>> from riskmodel import load_model
    >>> values, weights = reference_grid(load_model(version="1.0.0").terms)
    >>> values.shape, round(float(weights.sum()), 12)
    ((64, 8), 1.0)
    """
    alone = [j for j in range(len(terms)) if joint is None or j not in joint.columns]
    supports = [terms[j].support() if in_reference(terms[j]) else (np.zeros(1), np.ones(1))
                for j in alone]
    order = alone
    if joint is not None and joint.columns:
        supports.insert(0, joint.reference)
        order = [*joint.columns, *alone]
    values, weights = combinations(supports)
    return values[:, np.argsort(order)], weights


def first_order(baseline: float, terms: Sequence[Term]) -> float:
    """The first-order approximation logit(baseline) - sum_i beta_i E[x_i] (not used to score)."""
    return float(logit(baseline) - sum(t.beta * t.mean() for t in terms if in_reference(t)))


def mean_risk(beta0: float, beta: np.ndarray, terms: Sequence[Term],
              joint: Joint | None = None, fixed: dict[int, float] | None = None) -> float:
    """Mean predicted risk over the reference population for a given intercept.

    ``fixed`` sets some terms (by column) to a value for everyone: the mean risk of a
    subgroup, e.g. squamous histology.
    """
    values, weights = reference_grid(terms, joint)
    for j, value in (fixed or {}).items():
        values[:, j] = value
    return float(weights @ expit(beta0 + values @ beta))


def solve(spec: dict[str, Any], terms: Sequence[Term], joint: Joint | None = None) -> Intercept:
    """The intercept a spec asks for: explicit, or solved from the baseline exactly.

    Examples
    --------
    >>> from riskmodel import load_model
    >>> model = load_model(version="1.0.0")
    >>> round(model.intercept, 6), round(mean_risk(model.intercept, model.beta, model.terms), 12)
    (-4.016142, 0.1742)
    """
    chosen = spec["intercept"]
    if chosen["method"] == "explicit":
        se = float(chosen.get("se", 0.0))
        return Intercept(float(chosen["value"]), "explicit", np.zeros(len(terms)), se * se)
    return _solve_exact(spec["baseline"], terms, joint)


def _solve_exact(baseline: dict[str, Any], terms: Sequence[Term],
                 joint: Joint | None) -> Intercept:
    """Root of the mean-risk equation, its gradient in the betas, and its variance."""
    target = float(baseline["probability"])
    values, weights = reference_grid(terms, joint)
    offsets = values @ np.array([t.beta for t in terms])
    b0 = float(brentq(lambda b: float(weights @ expit(b + offsets)) - target, -40.0, 40.0,
                      xtol=1e-15, rtol=4 * np.finfo(float).eps))
    p = expit(b0 + offsets)
    slope = weights * p * (1 - p)  # d mean risk / d beta0, per combination
    # Implicit differentiation of mean risk = baseline: d beta0 / d beta_i = -E[s x_i] / E[s];
    # and d beta0 / d baseline = 1 / E[s], times the baseline's binomial SE.
    gradient = -(slope @ values) / slope.sum()
    n = baseline.get("n")
    se_baseline = np.sqrt(target * (1 - target) / n) if n else 0.0
    return Intercept(b0, "exact_mean_risk", gradient, float((se_baseline / slope.sum()) ** 2))

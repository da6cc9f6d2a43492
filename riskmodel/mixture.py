"""Quantiles of the risk given what is known: a mixture over the missing inputs' values.

Given what is known, the log-odds is, for each combination c of the missing values (reference
probability w_c), normal with mean mu_c (the point log-odds) and SD sd_c (the delta method's
parameter uncertainty). The 95% interval of the risk is the 2.5% and 97.5% quantiles of that
mixture on the log-odds scale, mapped through the sigmoid. Each quantile lies between the
smallest and the largest of the components' own quantiles; bisection between them finds it.
With nothing missing there is one component and the interval is the parameter interval.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr
from scipy.special.cython_special import ndtr as _ndtr

# Bisection halves the bracket: 64 steps take any bracket narrower than 2^40 to below 1e-15.
_STEPS = 64


def quantiles(mu: np.ndarray, sd: np.ndarray, weights: np.ndarray, z: float) -> np.ndarray:
    """(n, 2): the lower and upper quantiles at -z and +z SD (e.g. 2.5% and 97.5%).

    ``mu``, ``sd`` are (n, m), ``weights`` (m,) sums to 1. Sums run column by column in a
    fixed order, so a row's quantiles depend on that row alone.
    """
    alpha = float(ndtr(-z))
    if len(mu) == 1:
        return _quantiles_one(mu, sd, weights, z, alpha)
    out = np.empty((len(mu), 2))
    for side, (target, sign) in enumerate(((alpha, -1.0), (1.0 - alpha, 1.0))):
        ends = mu + sign * z * sd
        low, high = ends.min(axis=1), ends.max(axis=1)
        for _ in range(_STEPS):
            mid = 0.5 * (low + high)
            below = _cdf(mid, mu, sd, weights) < target
            low = np.where(below, mid, low)
            high = np.where(below, high, mid)
        out[:, side] = 0.5 * (low + high)
    return out


def _cdf(x: np.ndarray, mu: np.ndarray, sd: np.ndarray, weights: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(sd > 0, (x[:, None] - mu) / sd, np.where(x[:, None] >= mu, np.inf, -np.inf))
    cdf = ndtr(u)
    out = cdf[:, 0] * weights[0]
    for j in range(1, len(weights)):
        out += cdf[:, j] * weights[j]
    return out


def _quantiles_one(mu: np.ndarray, sd: np.ndarray, weights: np.ndarray, z: float,
                   alpha: float) -> np.ndarray:
    """``quantiles`` of one row, bisected on Python floats: the same IEEE operations in the same
    order as the vectorised loop (so the same bits), without numpy calls on arrays of length
    one. ``ndtr`` is scipy's own function called on one float (``cython_special``: the same
    bits as the ufunc). Each side is bisected until a step changes nothing.
    tests/riskmodel/test_one_row.py checks it against the vectorised path."""
    parts = list(zip(mu[0].tolist(), sd[0].tolist(), weights.tolist(), strict=True))
    targets, brackets = (alpha, 1.0 - alpha), []
    for sign in (-1.0, 1.0):
        ends = mu + sign * z * sd
        brackets.append([float(ends.min(axis=1)[0]), float(ends.max(axis=1)[0])])
    for side, target in enumerate(targets):
        low, high = brackets[side]
        for _ in range(_STEPS):
            mid = 0.5 * (low + high)
            total = None
            for mean, s, weight in parts:
                u = (mid - mean) / s if s > 0 else (math.inf if mid >= mean else -math.inf)
                term = _ndtr(u) * weight
                total = term if total is None else total + term
            if total < target:
                if low == mid:
                    # A step that changes nothing is a fixed point: every later step would
                    # compute the same mid and the same decision, so the result is known.
                    break
                low = mid
            else:
                if high == mid:
                    break
                high = mid
        brackets[side] = [low, high]
    return np.array([[0.5 * (low + high) for low, high in brackets]])

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
    order as the vectorised loop (so the same bits), without some 800 numpy calls on arrays of
    length one. Both quantiles are bisected together (one ``ndtr`` call per step for both).
    tests/riskmodel/test_one_row.py checks it against the vectorised path."""
    mus, sds, w = mu[0].tolist(), sd[0].tolist(), weights.tolist()
    targets, brackets = (alpha, 1.0 - alpha), []
    for sign in (-1.0, 1.0):
        ends = mu + sign * z * sd
        brackets.append([float(ends.min(axis=1)[0]), float(ends.max(axis=1)[0])])
    m, live = len(w), [0, 1]
    for _ in range(_STEPS):
        mids = [0.5 * (brackets[side][0] + brackets[side][1]) for side in live]
        u = [(x - mean) / s if s > 0 else (math.inf if x >= mean else -math.inf)
             for x in mids for mean, s in zip(mus, sds, strict=True)]
        cdf = ndtr(np.array(u)).tolist()
        for k, (side, mid) in enumerate(zip(live.copy(), mids, strict=True)):
            row = cdf[k * m:(k + 1) * m]
            total = row[0] * w[0]
            for j in range(1, m):
                total += row[j] * w[j]
            bracket, end = brackets[side], 0 if total < targets[side] else 1
            if bracket[end] == mid:
                # A step that changes nothing is a fixed point: every later step would compute
                # the same mid and the same decision, so the vectorised loop's result is known.
                live.remove(side)
            bracket[end] = mid
        if not live:
            break
    return np.array([[0.5 * (low + high) for low, high in brackets]])

"""Missing inputs: marginalised over the reference distribution, with the range they leave open.

For a row whose terms M are missing, the risk is the mean over the reference population of
what they could be: p = sum_c w_c sigmoid(eta_known + beta_M . v_c), over every combination c
of the missing terms' reference values v_c, of probability w_c (terms independent). The range
is sigmoid(eta_known + the lowest and the highest beta_M . v) over every value the missing
terms can take (binary: 0 or 1; linear: 0 to the cap), not only the reference values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logit

from .terms import Term


@dataclass(frozen=True)
class Marginal:
    """Rows with a missing value, marginalised."""

    logit: np.ndarray  # logit of the marginal risk
    ratio: np.ndarray  # r = sum_c w_c s_c / (p (1 - p)), s_c the sigmoid's slope
    x_bar: np.ndarray  # (n, k): x, each missing x replaced by its slope-weighted mean
    low: np.ndarray  # logit with the missing terms at their lowest
    high: np.ndarray  # logit with the missing terms at their highest


def marginalise(terms: Sequence[Term], beta: np.ndarray, intercept: float,
                X: np.ndarray, patterns: dict | None = None) -> Marginal:
    """Marginalise rows of X (NaN = missing) pattern by pattern.

    The gradient of the marginal logit with respect to the betas is r (x_bar + d beta0/d beta):
    the delta method for a marginalised row uses ``ratio`` and ``x_bar`` in place of 1 and x.
    ``patterns`` keeps, across calls with the same terms, each missing pattern's combinations
    and span (they depend on the terms only).
    """
    patterns = {} if patterns is None else patterns
    missing = np.isnan(X)
    x_bar = np.where(missing, 0.0, X)
    eta_known = intercept + x_bar @ beta
    eta, ratio, spans = np.empty(len(X)), np.ones(len(X)), np.zeros((len(X), 2))
    codes = missing @ (1 << np.arange(X.shape[1]))
    for code in np.unique(codes[codes > 0]):
        sel = codes == code
        idx = np.flatnonzero(missing[sel][0])
        key = tuple(idx.tolist())
        if key not in patterns:
            patterns[key] = (*combinations([terms[j].support() for j in idx]),
                             span([terms[j] for j in idx]))
        values, weights, spans[sel] = patterns[key]
        sig = expit(eta_known[sel, None] + values @ beta[idx])
        p = sig @ weights
        slope = sig * (1 - sig) * weights
        total = slope.sum(axis=1)
        eta[sel], ratio[sel] = logit(p), total / (p * (1 - p))
        x_bar[np.ix_(sel, idx)] = (slope @ values) / total[:, None]
    eta[codes == 0] = eta_known[codes == 0]
    return Marginal(eta, ratio, x_bar, eta_known + spans[:, 0], eta_known + spans[:, 1])


def combinations(supports: Sequence[tuple[np.ndarray, np.ndarray]]):
    """Every combination of values (one row each) of independent terms, and its probability.

    ``supports`` holds, per term, its values and their probabilities (``Term.support()``);
    the last term varies fastest, as in ``itertools.product``.
    """
    if not supports:
        return np.zeros((1, 0)), np.ones(1)
    values = np.meshgrid(*(np.asarray(s[0], dtype=float) for s in supports), indexing="ij")
    weights = np.meshgrid(*(np.asarray(s[1], dtype=float) for s in supports), indexing="ij")
    return (np.stack([v.ravel() for v in values], axis=1),
            np.prod([w.ravel() for w in weights], axis=0))


def span(terms: Sequence[Term]) -> tuple[float, float]:
    """Lowest and highest sum of beta x over every value the terms can take."""
    ends = np.array([[t.beta * v for v in t.span()] for t in terms]).reshape(-1, 2)
    return float(ends.min(axis=1).sum()), float(ends.max(axis=1).sum())

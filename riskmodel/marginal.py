"""Missing inputs: marginalised over the reference distribution, with the range they leave open.

For a row whose terms M are missing, the risk is the mean over the reference population of
what they could be: p = sum_c w_c sigmoid(eta_known + beta_M . v_c), over every combination c
of the missing terms' reference values v_c, of probability w_c. Terms are independent, except
the staging terms (T4, N3, stage III), whose values come jointly from the patient's (T, N)
completions (:mod:`riskmodel.completions`). The range is sigmoid(eta_known + the lowest and the
highest beta_M . v) over every value the missing terms can take (binary: 0 or 1; linear: 0 to
the cap; continuous: floor to cap; staging: the consistent completions only).

Every sum over terms or combinations runs in a fixed order, one column at a time: a row's
result then depends on that row alone, never on the size of the batch or its position in it
(a matrix product may block its sums differently for different shapes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logit

from .mixture import quantiles
from .terms import Term

Support = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Marginal:
    """Rows with a missing value, marginalised."""

    logit: np.ndarray  # logit of the marginal risk
    ratio: np.ndarray  # r = sum_c w_c s_c / (p (1 - p)), s_c the sigmoid's slope
    x_bar: np.ndarray  # (n, k): x, each missing x replaced by its slope-weighted mean
    x_mean: np.ndarray  # (n, k): x, each missing x replaced by its reference mean
    low: np.ndarray  # logit with the missing terms at their lowest
    high: np.ndarray  # logit with the missing terms at their highest
    q_low: np.ndarray  # logit quantiles of the risk given what is known (see mixture)
    q_high: np.ndarray


def rowdot(A: np.ndarray, v: np.ndarray) -> np.ndarray:
    """A @ v summed column by column in a fixed order (bit-identical for any number of rows)."""
    if len(A) == 1 and A.shape[1] and A.dtype == v.dtype == np.float64:
        return np.array([_rowdot_one(A[0].tolist(), v.tolist())])
    out = A[:, 0] * v[0] if A.shape[1] else np.zeros(len(A))
    for j in range(1, A.shape[1]):
        out += A[:, j] * v[j]
    return out


def _rowdot_one(a: list[float], v: list[float]) -> float:
    """One row's ``rowdot`` on Python floats: the same multiplications and additions in the
    same order (so the same bits), without a numpy call per column; a sparse patient has
    thousands of combinations. tests/riskmodel/test_one_row.py checks it."""
    out = a[0] * v[0]
    for j in range(1, len(a)):
        out += a[j] * v[j]
    return out


@dataclass(frozen=True)
class Joint:
    """The staging terms: their columns, and each completion group's support (by id)."""

    columns: tuple[int, ...]
    supports: Sequence[Support]
    reference: Support  # used when a row has no completion id (nothing known of T, N, stage)


def marginalise(terms: Sequence[Term], beta: np.ndarray, intercept: float, X: np.ndarray,
                patterns: dict | None = None, *, joint: Joint | None = None,
                group: np.ndarray | None = None, at_mean: frozenset[int] = frozenset(),
                variance: Callable | None = None, z: float = 1.959963984540054) -> Marginal:
    """Marginalise rows of X (NaN = missing), pattern by pattern.

    ``group`` holds each row's completion id (-1: none) into ``joint.supports``. Columns in
    ``at_mean`` (research inputs) enter the range at their reference mean, not their span.
    ``variance`` (x0, idx, values) gives the parameter variance of the log-odds at every combination
    (rows x combinations); with it, ``q_low``/``q_high`` are the quantiles of the risk given
    what is known (parameter uncertainty and missing inputs together); without, they are NaN.
    """
    patterns = {} if patterns is None else patterns
    n, k = X.shape
    missing = np.isnan(X)
    group = np.full(n, -1) if group is None else np.asarray(group)
    x_bar = np.where(missing, 0.0, X)
    x_mean = x_bar.copy()
    eta_known = intercept + rowdot(x_bar, beta)
    eta, ratio = eta_known.copy(), np.ones(n)
    spans = np.zeros((n, 2))
    q = np.full((n, 2), np.nan)
    codes = rowdot(missing.astype(float), (1 << np.arange(k)).astype(float)).astype(np.int64)
    # The distinct (pattern, completion id) pairs (np.unique(axis=0) costs some 50 us a call).
    pairs = sorted(set(zip(codes[codes > 0].tolist(), group[codes > 0].tolist(), strict=True)))
    for code, gid in pairs:
        sel = (codes == code) & (group == gid)
        columns = tuple(np.flatnonzero(missing[np.flatnonzero(sel)[0]]).tolist())
        order, values, weights, offsets, span = cached_pattern(patterns, terms, beta, columns,
                                                               joint, gid, at_mean)
        spans[sel] = span
        sig = expit(eta_known[sel, None] + offsets)
        p = rowdot(sig, weights)
        slope = sig * (1 - sig) * weights
        total = rowdot(slope, np.ones(len(weights)))
        eta[sel], ratio[sel] = logit(p), total / (p * (1 - p))
        for col, j in enumerate(order):
            x_bar[sel, j] = rowdot(slope, values[:, col]) / total
            x_mean[sel, j] = float(rowdot(values[None, :, col], weights)[0])
        if variance is not None:
            x0 = np.where(missing[sel], 0.0, X[sel])
            sd = np.sqrt(variance(x0, order, values))
            q[sel] = quantiles(eta_known[sel, None] + offsets, sd, weights, z)
    return Marginal(eta, ratio, x_bar, x_mean, eta_known + spans[:, 0],
                    eta_known + spans[:, 1], q[:, 0], q[:, 1])


def cached_pattern(patterns: dict, terms, beta, columns: tuple[int, ...], joint: Joint | None,
                   gid: int, at_mean: frozenset[int]):
    """The combinations of the missing ``columns`` (ascending; ``_pattern``), worked out once
    per (columns, completion id) and kept in ``patterns`` (``Model._patterns``). The key is
    plain Python, so one patient looks it up without building an array."""
    key = (columns, int(gid))
    found = patterns.get(key)
    if found is None:
        found = patterns[key] = _pattern(terms, beta, np.array(columns, dtype=np.intp), joint,
                                         int(gid), at_mean)
    return found


def _pattern(terms, beta, idx, joint: Joint | None, gid: int, at_mean: frozenset[int]):
    """The combinations of one missing pattern: columns, values, weights, offsets, span."""
    in_joint = [j for j in idx if joint is not None and j in joint.columns]
    alone = [j for j in idx if j not in in_joint]
    supports = []
    low = high = 0.0
    if in_joint:
        values, weights = joint.supports[gid] if gid >= 0 else joint.reference
        cols = [joint.columns.index(j) for j in in_joint]
        part = values[:, cols]
        supports.append((part, weights))
        sums = rowdot(part, beta[in_joint])
        low, high = float(sums.min()), float(sums.max())
    supports += [terms[j].support() for j in alone]
    ranged = [j for j in alone if j not in at_mean]
    s_low, s_high = span([terms[j] for j in ranged]) if ranged else (0.0, 0.0)
    fixed = sum(terms[j].beta * terms[j].mean() for j in alone if j in at_mean)
    s_low, s_high = s_low + fixed, s_high + fixed
    order = in_joint + alone
    values, weights = combinations(supports)
    offsets = rowdot(values, beta[order]) if order else np.zeros(len(weights))
    return order, values, weights, offsets, (low + s_low, high + s_high)


def combinations(supports: Sequence[Support]):
    """Every combination of values (one row each) of independent supports, and its probability.

    ``supports`` holds, per term, its values and their probabilities (``Term.support()``), or,
    for terms that vary jointly, a 2-D array of values (one row per joint value) and their
    probabilities; the last support varies fastest, as in ``itertools.product``.
    """
    if not supports:
        return np.zeros((1, 0)), np.ones(1)
    sizes = [len(s[1]) for s in supports]
    index = np.indices(sizes).reshape(len(sizes), -1)
    columns, weights = [], np.ones(index.shape[1])
    for (values, probs), pick in zip(supports, index, strict=True):
        values = np.asarray(values, dtype=float)
        columns.append(values[pick].reshape(len(pick), -1))
        weights = weights * np.asarray(probs, dtype=float)[pick]
    return np.concatenate(columns, axis=1), weights


def span(terms: Sequence[Term]) -> tuple[float, float]:
    """Lowest and highest sum of beta x over every value the terms can take."""
    ends = np.array([[t.beta * v for v in t.span()] for t in terms]).reshape(-1, 2)
    return float(ends.min(axis=1).sum()), float(ends.max(axis=1).sum())

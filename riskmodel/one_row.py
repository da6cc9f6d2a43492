"""One patient scored on Python floats, with the bits of the vectorised engine.

Through the vectorised engine one patient pays numpy's per-call overhead on arrays of length
one, a few hundred times. Here the same IEEE 754 operations run in the same order as
``Model.design``, ``Model._score_block``, ``Model._score_missing``, ``marginal.marginalise``
and ``explain._risks_without`` do for one row, so the results are the same bits. What is not
plain arithmetic stays numpy's or scipy's, called on the same values (``exp``, ``expit``,
``logit``, ``ndtr``): libm's ``exp`` differs from numpy's in the last bit.
tests/riskmodel/test_one_row.py checks every output against the vectorised path.

A row with missing terms is marginalised over the same cached patterns
(``Model._patterns``). A model with a full parameter covariance gets None: the vectorised path
scores it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import expit, logit

from .features import BY_NAME, QUANTITIES
from .inputs import Patient
from .marginal import _rowdot_one, cached_pattern
from .mixture import quantiles
from .units import FACTORS

if TYPE_CHECKING:
    from .model import Model

_NAN = math.nan


@dataclass(frozen=True, slots=True)
class OneRow:
    """A patient's design and scores as Python floats (one value per term where a list)."""

    values: dict[str, float]  # numeric inputs used, canonical units (NaN: missing)
    x: list[float]  # NaN: missing (marginalised)
    not_used: list[bool]
    contributions: list[float]
    without: list[float]  # the risk with each term alone absent
    probability: float
    logit: float
    low: float
    high: float
    param_low: float
    param_high: float
    missing_low: float  # NaN when nothing is missing
    missing_high: float


def score_one(model: Model, patient: Patient) -> OneRow | None:
    """Score ``patient`` as ``Model.design`` and ``Model.score_design`` would, one row; None
    for a model this path does not cover (a full parameter covariance)."""
    if model._quad.ndim != 1:
        return None
    values = _values(model, patient)
    x = [_encode(term, values[term.input]) for term in model.terms]
    group = -1
    if model.staging:
        staging, group = model.staging_cell(
            tuple(values[name] for name in ("t_category", "n_category", "stage")))
        for j, value in zip(model.staging, staging, strict=True):
            x[j] = value
    not_used = [_not_used(term, x[j], values) for j, term in enumerate(model.terms)]
    x = [0.0 if unused else v for v, unused in zip(x, not_used, strict=True)]
    scorer = _Scorer(model, group)
    row = scorer.score(x)
    if row is None:
        return None
    variants = []
    for j in range(len(x)):
        variant = x.copy()
        variant[j] = 0.0
        variants.append(variant)
    risks = scorer.risks(variants)
    without = [row.probability if unused else r
               for r, unused in zip(risks, not_used, strict=True)]
    return OneRow(values, x, not_used, row.contributions, without, row.probability,
                  row.logit, row.low, row.high, row.param_low, row.param_high,
                  row.missing_low, row.missing_high)


@dataclass(frozen=True, slots=True)
class _Scored:
    probability: float
    logit: float
    low: float
    high: float
    param_low: float
    param_high: float
    contributions: list[float]
    missing_low: float
    missing_high: float


class _Scorer:
    """One row's scoring, as the vectorised path does it (see the module's docstring)."""

    def __init__(self, model: Model, group: int):
        self.model, self.group = model, group
        self.beta, self.quad, self.lin = model._floats

    def score(self, x: list[float]) -> _Scored | None:
        """``Model.score_design`` of one row (complete, or marginalised)."""
        if not any(v != v for v in x):
            eta = _rowdot_one(x, self.beta) + self.model.intercept
            variance = self._variance(x)
            if not variance >= 0.0:
                return None
            low, p, high = self._bounds(eta, variance)
            return _Scored(p, eta, low, high, low, high,
                           [v * b for v, b in zip(x, self.beta, strict=True)], _NAN, _NAN)
        return self._marginal(x)

    def risks(self, rows: list[list[float]]) -> list[float]:
        """The risk of each row, as ``score_design(..., interval=False)`` gives it: the
        sigmoid of its log-odds (for a marginalised row, the logit of its marginal risk);
        every expit, logit and exp of the rows in one call each."""
        etas: list[float] = [0.0] * len(rows)
        marginal = []  # (row, weights, mu)
        for i, x in enumerate(rows):
            if not any(v != v for v in x):
                etas[i] = _rowdot_one(x, self.beta) + self.model.intercept
                continue
            _, _, mu, (_, _, weights, _, _) = self._known_part(x)
            marginal.append((i, weights.tolist(), mu))
        if marginal:
            sig = expit(np.array([m for _, _, mu in marginal for m in mu])).tolist()
            risks, start = [], 0
            for _, w, mu in marginal:
                risks.append(_rowdot_one(sig[start:start + len(mu)], w))
                start += len(mu)
            for (i, _, _), eta in zip(marginal, logit(np.array(risks)).tolist(), strict=True):
                etas[i] = eta
        return [1.0 / (e + 1.0) for e in np.exp(-np.array(etas)).tolist()]

    def _known_part(self, x: list[float]):
        """What ``marginalise`` works out first for a row with missing terms: x with 0 where
        missing, its log-odds, each combination's log-odds, and the pattern (``_pattern``)."""
        model = self.model
        pattern = cached_pattern(model._patterns, model.terms, model.beta,
                                 tuple([j for j, v in enumerate(x) if v != v]), model._joint,
                                 self.group, model._research)
        x_bar = [0.0 if v != v else v for v in x]
        eta_known = model.intercept + _rowdot_one(x_bar, self.beta)
        offsets = pattern[3].tolist()
        return x_bar, eta_known, [eta_known + o for o in offsets], pattern

    def _marginal(self, x: list[float]) -> _Scored | None:
        """``Model._score_missing`` and ``marginalise`` of one row."""
        model, beta = self.model, self.beta
        x_bar, eta_known, mu, (order, values, weights, _, span) = self._known_part(x)
        x_mean = x_bar.copy()
        w = weights.tolist()
        sig = expit(np.array(mu)).tolist()
        p = _rowdot_one(sig, w)
        slope = [s * (1 - s) * wc for s, wc in zip(sig, w, strict=True)]
        total = _rowdot_one(slope, [1.0] * len(slope))
        eta = float(logit(p))
        ratio = total / (p * (1 - p))
        spread = self._combination_variance(x_mean, order, values)  # x_mean: still 0 there
        if not all(v >= 0.0 for v in spread):
            return None
        q_low, q_high = quantiles(np.array([mu]), np.array([[math.sqrt(v) for v in spread]]),
                                  weights, model.z)[0].tolist()
        columns = values.T.tolist()
        for col, j in enumerate(order):
            x_bar[j] = _rowdot_one(slope, columns[col]) / total
            x_mean[j] = _rowdot_one(columns[col], w)
        variance = ratio * ratio * self._variance(x_bar)
        if not variance >= 0.0:
            return None
        param_low, p_bounds, param_high = self._bounds(eta, variance)
        low, high, missing_low, missing_high = expit(np.array(
            [q_low, q_high, eta_known + span[0], eta_known + span[1]])).tolist()
        return _Scored(p_bounds, eta, low, high, param_low, param_high,
                       [v * b for v, b in zip(x_mean, beta, strict=True)],
                       missing_low, missing_high)

    def _variance(self, x: list[float]) -> float:
        """``Model._variance`` of one row (diagonal form): x'Qx + lin.x + const."""
        variance = _rowdot_one([v * v for v in x], self.quad)
        variance += _rowdot_one(x, self.lin)
        return variance + self.model._const

    def _combination_variance(self, x0: list[float], order: list[int],
                              values: np.ndarray) -> list[float]:
        """``Model._combination_variance`` of one row (diagonal form), per combination."""
        known = self._variance(x0)
        lin = [self.lin[j] for j in order]
        quad = [self.quad[j] for j in order]
        out = []
        for combination in values.tolist():
            own = _rowdot_one([v * v for v in combination], quad) if order else 0.0
            own += _rowdot_one(combination, lin) if order else 0.0
            out.append(known + own)
        return out

    def _bounds(self, eta: float, variance: float) -> tuple[float, float, float]:
        """``Model._bounds``: (low, risk, high), the exponentials numpy's."""
        e, f = np.exp(np.array([-eta, math.sqrt(variance) * self.model.z])).tolist()
        return 1.0 / (e * f + 1.0), 1.0 / (e + 1.0), 1.0 / (e / f + 1.0)


def _values(model: Model, patient: Patient) -> dict[str, object]:
    """The inputs as ``Model.design`` sees them: categories, and numbers in canonical units."""
    values: dict[str, object] = {name: getattr(patient, name) for name in BY_NAME}
    for feature in QUANTITIES:
        q = values[feature.name]
        values[feature.name] = (_NAN if q is None
                                else float(q.value) * FACTORS[feature.name].get(q.unit, _NAN))
    correction = model.spec.get("calcium_correction")
    albumin = values["albumin"]
    if correction and albumin == albumin:
        values["calcium"] = values["calcium"] + correction["slope_mmol_per_g"] * (
            correction["reference_albumin_g_per_l"] - albumin)
    return values


def _encode(term, value) -> float:
    """``Term.encode`` of one value."""
    if term.kind == "staging":
        return _NAN
    if term.kind == "binary":
        return term._x_of_category.get(value, _NAN) if isinstance(value, str) else _NAN
    if value != value:
        return _NAN
    if term.kind == "threshold":
        return float(value > term.threshold)
    if term.kind == "continuous":
        return min(max(value, float(term.floor)), float(term.cap)) - term.centre
    return value if term.cap is None else min(value, float(term.cap))


def _not_used(term, x: float, values: dict[str, object]) -> bool:
    """``Model._not_used`` of one row."""
    if not term.used_only_when_missing:
        return False
    return all(_known(values[name], name) for name in term.used_only_when_missing) or x != x


def _known(value, name: str) -> bool:
    if isinstance(value, float):
        return value == value
    return isinstance(value, str) and value not in BY_NAME[name].missing_codes

"""One patient with every term known, scored on Python floats.

Through the vectorised engine one patient pays numpy's per-call overhead on arrays of length
one, a few hundred times. A patient whose terms are all known (what the API, the form and
CDS Hooks usually send) takes this path: the same IEEE 754 operations in the same order as
``Model.design``, ``Model._score_block`` and ``explain._risks_without`` do for a complete row,
so the same bits. The exponentials are numpy's (one call for the risks, one for the interval,
as in ``Model._bounds``): libm's ``exp`` may differ from numpy's in the last bit.
tests/riskmodel/test_one_row.py checks every output against the vectorised path.

A patient with a missing term gets None: the vectorised path marginalises it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

import numpy as np

from .features import BY_NAME, QUANTITIES
from .inputs import Patient
from .marginal import _rowdot_one
from .units import FACTORS

if TYPE_CHECKING:
    from .model import Model

_NAN = math.nan


@dataclass(frozen=True, slots=True)
class OneRow:
    """A complete patient's design and scores, as Python floats (one value per term)."""

    values: dict[str, float]  # numeric inputs used, canonical units (NaN: missing)
    x: list[float]
    not_used: list[bool]
    contributions: list[float]
    without: list[float]  # the risk with each term alone absent
    probability: float
    logit: float
    low: float
    high: float


def score_complete(model: Model, patient: Patient) -> OneRow | None:
    """Score ``patient`` when every term of ``model`` is known; None when one is missing."""
    values = _values(model, patient)
    x = [_encode(term, values[term.input]) for term in model.terms]
    if model.staging:
        staging = _staging(model, values)
        if staging is None:
            return None
        for j, value in zip(model.staging, staging, strict=True):
            x[j] = value
    not_used = [_not_used(term, x[j], values) for j, term in enumerate(model.terms)]
    x = [0.0 if unused else v for v, unused in zip(x, not_used, strict=True)]
    if any(v != v for v in x):
        return None
    beta = _betas(model)
    eta = _rowdot_one(x, beta) + model.intercept
    variance = _variance(model, x)
    if not variance >= 0.0:  # np.sqrt would give NaN: leave that to the vectorised path
        return None
    etas = [eta]
    for j in range(len(x)):
        variant = x.copy()
        variant[j] = 0.0
        etas.append(_rowdot_one(variant, beta) + model.intercept)
    e = np.exp(-np.array(etas)).tolist()  # Model._bounds: exp(-eta), then exp(+w)
    half_width = np.array([math.sqrt(variance) * model.z])
    f = float(np.exp(half_width, out=half_width)[0])
    p = 1.0 / (e[0] + 1.0)
    without = [p if unused else 1.0 / (ej + 1.0)
               for ej, unused in zip(e[1:], not_used, strict=True)]
    return OneRow(values, x, not_used, [v * b for v, b in zip(x, beta, strict=True)], without,
                  p, eta, 1.0 / (e[0] * f + 1.0), 1.0 / (e[0] / f + 1.0))


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


def _staging(model: Model, values: dict[str, object]) -> list[float] | None:
    """The staging terms of the patient's (T, N) cell; None when they vary over completions."""
    key = tuple(values[name] for name in ("t_category", "n_category", "stage"))
    known = _STAGING.setdefault(model, {})
    if key not in known:
        support = model.completions.support(*key)
        if support is None:
            raise ValueError(f"no AJCC 8th (T, N) cell agrees with T, N, stage {key}")
        found = support[0]
        same = (found.min(axis=0) == found.max(axis=0)).all()
        known[key] = found[0].tolist() if same else None
    return known[key]


def _not_used(term, x: float, values: dict[str, object]) -> bool:
    """``Model._not_used`` of one row."""
    if not term.used_only_when_missing:
        return False
    return all(_known(values[name], name) for name in term.used_only_when_missing) or x != x


def _known(value, name: str) -> bool:
    if isinstance(value, float):
        return value == value
    return isinstance(value, str) and value not in BY_NAME[name].missing_codes


def _variance(model: Model, x: list[float]) -> float:
    """``Model._variance`` of one row: x'Qx + lin.x + const, summed in the same order."""
    quad, lin = _QUAD.get(model) or _QUAD.setdefault(model, (model._quad.tolist(),
                                                              model._lin.tolist()))
    if model._quad.ndim == 1:
        variance = _rowdot_one([v * v for v in x], quad)
    else:
        columns = [list(c) for c in zip(*quad, strict=True)]
        stacked = [_rowdot_one(x, q) for q in columns]
        variance = _rowdot_one([s * v for s, v in zip(stacked, x, strict=True)], [1.0] * len(x))
    variance += _rowdot_one(x, lin)
    return variance + model._const


def _betas(model: Model) -> list[float]:
    beta = _BETA.get(model)
    if beta is None:
        beta = _BETA[model] = model.beta.tolist()
    return beta


_STAGING: WeakKeyDictionary = WeakKeyDictionary()
_QUAD: WeakKeyDictionary = WeakKeyDictionary()
_BETA: WeakKeyDictionary = WeakKeyDictionary()

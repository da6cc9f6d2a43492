"""The points version of a model, for use on paper (Sullivan LM et al., Stat Med 2004).

Each weight is counted in whole points of a base unit B = beta x increment of the spec's base
term (``spec["points"]["base_unit"]``; for the literature model, the CEA weight for 5 ng/mL).
A rule term (binary or threshold) scores round(beta / B) points; a linear term scores
round(beta x min(x, cap) / B), shown as one row per range of values. A total maps back to a
risk as sigmoid(beta0 + B x total). Rounding is half away from zero. What the rounding costs
is measured against the exact model, never assumed: :func:`rounding_error`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit

from .errors import SpecError
from .intercept import reference_grid
from .marginal import combinations
from .model import Model
from .terms import Term

# Tolerance of the rounding: beta x / B lands on .5 up to binary floating point (2.5 ng/mL of
# CEA gives 0.49999999999999994 base units), and the table's ranges promise it rounds up.
_HALF_TOLERANCE = 1e-9


@dataclass(frozen=True)
class PointsRow:
    """Points of one term, or of one range of values of a linear term."""

    term: str
    label: str
    condition: str
    low: float | None  # range of values (linear terms), canonical unit; None for rule terms
    high: float | None  # exclusive upper end; None when open-ended
    points: int


def base_unit(model: Model) -> tuple[float, str]:
    """B, the weight of one point, and what it is (from the spec)."""
    points = model.spec.get("points")
    if not points:
        raise SpecError(f"model {model.ref.id}@{model.ref.version} defines no points base unit")
    base = points["base_unit"]
    term = model.terms[model.names.index(base["term"])]
    text = f"{term.label} weight for {base['increment']:g} {term.unit}".strip()
    return float(term.beta * base["increment"]), text


def round_points(units: Any) -> np.ndarray:
    """Round base units to whole points, half away from zero.

    Examples
    --------
    >>> round_points([0.5, 1.49, -0.5, 3.49]).tolist()
    [1.0, 1.0, -1.0, 3.0]
    """
    units = np.asarray(units, dtype=float)
    return np.sign(units) * np.floor(np.abs(units) + 0.5 + _HALF_TOLERANCE)


def term_points(model: Model, X: Any) -> np.ndarray:
    """(n, k) points of each term for encoded rows X (complete; 0 where a term is not used)."""
    B, _ = base_unit(model)
    X = np.asarray(X, dtype=float)
    capped = np.array([t.cap if t.cap is not None else np.inf for t in model.terms])
    return round_points(model.beta * np.minimum(X, capped) / B)


def risk_for_points(model: Model, total: Any) -> np.ndarray:
    """Risk for a total of points: sigmoid(beta0 + B x total)."""
    B, _ = base_unit(model)
    return expit(model.intercept + B * np.asarray(total, dtype=float))


def points_rows(model: Model) -> list[PointsRow]:
    """The points table: one row per rule term, one per range of each linear term."""
    B, _ = base_unit(model)
    rows: list[PointsRow] = []
    for term in model.terms:
        if term.kind == "linear":
            rows.extend(_linear_rows(term, B))
        else:
            rows.append(PointsRow(term.name, term.label, term.rule or term.label, None, None,
                                  int(round_points(term.beta / B))))
    return rows


def _linear_rows(term: Term, B: float) -> list[PointsRow]:
    """Ranges of a linear term's value with the same points, from 0 to the cap."""
    cap = float(term.cap if term.cap is not None else 0.0)
    first, last = (int(round_points(term.beta * v / B)) for v in (0.0, cap))
    if first == last:
        return [PointsRow(term.name, term.label, f"{term.label}: any value", 0.0, None, first)]
    step = 1 if last > first else -1
    rows = []
    for k in range(first, last + step, step):
        ends = sorted(((k - 0.5 * step) * B / term.beta, (k + 0.5 * step) * B / term.beta))
        low = 0.0 if k == first else _tidy(max(0.0, ends[0]))
        high = None if k == last else _tidy(min(cap, ends[1]))
        rows.append(PointsRow(term.name, term.label, _range_text(term, low, high, cap),
                              low, high, k))
    return rows


def _tidy(value: float) -> float:
    """Drop binary floating-point noise from a range end (7.500000000000001 -> 7.5)."""
    return float(f"{value:.10g}")


def _range_text(term: Term, low: float, high: float | None, cap: float) -> str:
    if high is None:
        return f"{term.label} {low:g} {term.unit} or more (counted as at most {cap:g})"
    return f"{term.label} {low:g} to under {high:g} {term.unit}"


def risk_table(model: Model) -> list[tuple[int, float]]:
    """(total, risk) for every total the table can give."""
    rows = points_rows(model)
    by_term: dict[str, list[int]] = {}
    for row in rows:
        by_term.setdefault(row.term, [0]).append(row.points)
    low = sum(min(p) for p in by_term.values())
    high = sum(max(p) for p in by_term.values())
    totals = np.arange(low, high + 1)
    return list(zip(totals.tolist(), risk_for_points(model, totals).tolist(), strict=True))


def rounding_error(model: Model) -> dict[str, Any]:
    """Absolute difference in risk, points version vs exact model (measured, not assumed).

    Over the reference distribution (every combination of the terms' reference values): the
    largest and the mean difference, and the mean weighted by each combination's probability.
    Then the worst case over every combination of rule terms on or off (stage III included)
    and of each linear term's values at both ends of each of its point ranges: between those
    ends the points are constant and the exact risk is monotone, so that is the largest
    difference any input can give.

    Returns
    -------
    dict
        ``combinations``, ``max_abs``, ``mean_abs``, ``weighted_mean_abs`` (reference
        distribution) and ``worst_case_combinations``, ``worst_case_max_abs``.

    Examples
    --------
    >>> from riskmodel import load_model
    >>> error = rounding_error(load_model(version="1.0.0"))
    >>> error["combinations"], round(error["weighted_mean_abs"], 4), round(error["max_abs"], 4)
    (64, 0.0216, 0.0767)
    """
    values, weights = reference_grid(model.terms)
    diff = _difference(model, values)
    worst = _difference(model, _extreme_grid(model))
    return {
        "combinations": len(values), "max_abs": float(diff.max()),
        "mean_abs": float(diff.mean()), "weighted_mean_abs": float(weights @ diff),
        "worst_case_combinations": len(worst), "worst_case_max_abs": float(worst.max()),
    }


def _difference(model: Model, X: np.ndarray) -> np.ndarray:
    exact = expit(model.intercept + X @ model.beta)
    return np.abs(risk_for_points(model, term_points(model, X).sum(axis=1)) - exact)


def _extreme_grid(model: Model) -> np.ndarray:
    """Rule terms 0 or 1; linear terms at 0, the cap, and both sides of each range's end."""
    B, _ = base_unit(model)
    supports = []
    for term in model.terms:
        if term.kind != "linear":
            supports.append((np.array([0.0, 1.0]), np.ones(2)))
            continue
        ends = [row.high for row in _linear_rows(term, B) if row.high is not None]
        # Just below an end, by more than the rounding tolerance, is the previous range.
        extremes = [0.0, float(term.cap or 0.0), *ends, *(e * (1 - 1e-6) for e in ends)]
        supports.append((np.array(extremes), np.ones(len(extremes))))
    return combinations(supports)[0]

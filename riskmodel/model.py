"""The logistic model: intercept from the baseline, vectorised scoring, interval, missing inputs.

logit(p) = beta0 + sum_i beta_i x_i. Missing x_i are marginalised over their reference
distribution: p = sum_c w_c sigmoid(eta_known + offset_c) over every combination c of the
missing terms' values. Scoring one patient is the same code with one row.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit, logit

from .features import BY_NAME
from .spec import spec_sha256, validate_spec
from .terms import Term
from .units import corrected_calcium


@dataclass(frozen=True)
class ModelRef:
    """What identifies the model behind a score."""

    id: str
    version: str
    sha256: str


@dataclass(frozen=True)
class Design:
    """Encoded rows: x per term (NaN = missing), and terms set aside by a rule."""

    X: np.ndarray  # (n, k)
    not_used: np.ndarray  # (n, k) bool: the term does not apply to this row
    values: dict[str, np.ndarray]  # value used per input, canonical unit


@dataclass(frozen=True)
class Scores:
    """Vectorised scores of n rows."""

    probability: np.ndarray
    logit: np.ndarray  # logit of probability (after marginalising)
    contributions: np.ndarray  # (n, k): beta * x, expected beta * x when missing
    low: np.ndarray
    high: np.ndarray
    missing_low: np.ndarray  # NaN when nothing is missing
    missing_high: np.ndarray


class Model:
    """A scoring model built from a spec dict (see riskmodel/specs).

    Examples
    --------
    >>> from riskmodel import load_model
    >>> model = load_model()
    >>> round(model.baseline, 4)
    0.1742
    """

    def __init__(self, spec: dict[str, Any]):
        self.spec = validate_spec(spec)
        self.ref = ModelRef(spec["id"], spec["version"], spec_sha256(spec))
        self.terms: tuple[Term, ...] = tuple(Term.from_spec(t) for t in spec["terms"])
        self.names = tuple(t.name for t in self.terms)
        self.beta = np.array([t.beta for t in self.terms])
        self.se = np.array([t.se for t in self.terms])
        self.baseline = float(spec["baseline"]["probability"])
        self.level = float(spec["interval"].get("level", 0.95))
        self.z = NormalDist().inv_cdf(0.5 + self.level / 2)
        self._in_reference = np.array([not t.used_only_when_missing for t in self.terms])
        cov = spec["interval"].get("covariance")
        self._cov = None if cov is None else np.asarray(cov, dtype=float)
        self._solve_intercept()

    # -- intercept -------------------------------------------------------------------------
    def _reference_grid(self) -> tuple[np.ndarray, np.ndarray]:
        """Every combination of reference values (terms in the reference), and its weight."""
        supports = [t.support() if used else (np.zeros(1), np.ones(1))
                    for t, used in zip(self.terms, self._in_reference, strict=True)]
        grid = np.array(list(itertools.product(*(s[0] for s in supports))))
        weight = np.prod(np.array(list(itertools.product(*(s[1] for s in supports)))), axis=1)
        return grid, weight

    def _solve_intercept(self) -> None:
        intercept = self.spec["intercept"]
        grid, weight = self._reference_grid()
        offsets = grid @ self.beta
        if intercept.get("method") == "explicit":
            self.intercept = float(intercept["value"])
            self._grad = np.zeros(len(self.terms))
            self._baseline_var = float(intercept.get("se", 0.0)) ** 2
            return

        def gap(b0: float) -> float:
            return float(weight @ expit(b0 + offsets)) - self.baseline

        self.intercept = brentq(gap, -30.0, 30.0, xtol=1e-15, rtol=4 * np.finfo(float).eps)
        p = expit(self.intercept + offsets)
        slope = weight * p * (1 - p)  # d mean / d b0, per grid point
        # Implicit differentiation of mean risk = baseline: d b0 / d beta_i = -E[s x_i]/E[s].
        self._grad = -(slope @ grid) / slope.sum()
        n = self.spec["baseline"].get("n")
        se_baseline = np.sqrt(self.baseline * (1 - self.baseline) / n) if n else 0.0
        self._baseline_var = float((se_baseline / slope.sum()) ** 2)

    def mean_reference_risk(self) -> float:
        """Mean predicted risk over the reference distribution (equals the baseline)."""
        grid, weight = self._reference_grid()
        return float(weight @ expit(self.intercept + grid @ self.beta))

    # -- encoding --------------------------------------------------------------------------
    def design(self, table: Mapping[str, Any]) -> Design:
        """Encode a table of inputs (canonical units; None/NaN = missing) as x per term."""
        columns = {f: _column(table.get(f), len(_first(table))) for f in BY_NAME}
        values = dict(columns)
        correction = self.spec.get("calcium_correction")
        if correction:
            values["calcium"] = corrected_calcium(
                columns["calcium"], columns["albumin"],
                correction["slope_mmol_per_g"], correction["reference_albumin_g_per_l"])
        X = np.column_stack([t.encode(values[t.input]) for t in self.terms])
        not_used = np.zeros(X.shape, dtype=bool)
        for j, term in enumerate(self.terms):
            if term.used_only_when_missing:
                known = np.column_stack([~np.isnan(self.terms_x(X, name))
                                         for name in self._inputs_to_terms(term)])
                # Not used when T and N are both known (they carry the extent), nor when the
                # stage itself is unknown (T and N are then marginalised over the reference).
                not_used[:, j] = known.all(axis=1) | np.isnan(X[:, j])
        X = np.where(not_used, 0.0, X)
        return Design(X, not_used, values)

    def _inputs_to_terms(self, term: Term) -> list[str]:
        return [t.name for t in self.terms if t.input in term.used_only_when_missing]

    def terms_x(self, X: np.ndarray, name: str) -> np.ndarray:
        """The column of X for the term called ``name``."""
        return X[:, self.names.index(name)]

    # -- scoring ---------------------------------------------------------------------------
    def score_design(self, X: np.ndarray) -> Scores:
        """Score encoded rows. NaN in X marks a missing term (marginalised)."""
        X = np.asarray(X, dtype=float)
        missing = np.isnan(X)
        X_known = np.where(missing, 0.0, X)
        eta_known = self.intercept + X_known @ self.beta
        means = np.array([t.mean() for t in self.terms])
        x_tilde = np.where(missing, means, X_known) if missing.any() else X_known
        contributions = x_tilde * self.beta
        eta = eta_known.copy()
        low_eta = eta_known.copy()
        high_eta = eta_known.copy()
        has_missing = missing.any(axis=1)
        if has_missing.any():
            self._marginalise(missing, eta_known, eta, low_eta, high_eta)
        sd = np.sqrt(self._variance(x_tilde))
        nan = np.full(len(eta), np.nan)
        return Scores(
            probability=expit(eta), logit=eta, contributions=contributions,
            low=expit(eta - self.z * sd), high=expit(eta + self.z * sd),
            missing_low=np.where(has_missing, expit(low_eta), nan),
            missing_high=np.where(has_missing, expit(high_eta), nan),
        )

    def _variance(self, x_tilde: np.ndarray) -> np.ndarray:
        """Variance of the log-odds at x: a full covariance when the spec gives one, else the
        delta method over independent SEs (intercept tied to the betas through the baseline)."""
        if self._cov is not None:
            z = np.column_stack([np.ones(len(x_tilde)), x_tilde])
            return ((z @ self._cov) * z).sum(axis=1)
        z = x_tilde + self._grad
        return (z * z) @ (self.se * self.se) + self._baseline_var

    def _marginalise(self, missing, eta_known, eta, low_eta, high_eta) -> None:
        """Fill eta (marginal logit) and the range over missing values, pattern by pattern."""
        codes = missing @ (1 << np.arange(missing.shape[1]))
        for code in np.unique(codes[codes > 0]):
            rows = codes == code
            idx = [j for j in range(len(self.terms)) if code >> j & 1]
            offsets, weights = self._combinations(idx)
            p = expit(eta_known[rows, None] + offsets[None, :]) @ weights
            eta[rows] = logit(p)
            lo, hi = self._span(idx)
            low_eta[rows] = eta_known[rows] + lo
            high_eta[rows] = eta_known[rows] + hi

    def _combinations(self, idx: list[int]) -> tuple[np.ndarray, np.ndarray]:
        supports = [self.terms[j].support() for j in idx]
        values = np.array(list(itertools.product(*(s[0] for s in supports))))
        weights = np.prod(np.array(list(itertools.product(*(s[1] for s in supports)))), axis=1)
        return values @ self.beta[idx], weights

    def _span(self, idx: list[int]) -> tuple[float, float]:
        lows = highs = 0.0
        for j in idx:
            a, b = (self.beta[j] * v for v in self.terms[j].span())
            lows += min(a, b)
            highs += max(a, b)
        return lows, highs

    def score_table(self, table: Mapping[str, Any]) -> tuple[Design, Scores]:
        """Encode and score a table of inputs in canonical units."""
        design = self.design(table)
        return design, self.score_design(design.X)

    def band(self, probability: float) -> str:
        """Display band of a probability (cut-offs from the spec; not validated)."""
        for cut in self.spec["bands"]["cutoffs"]:
            if cut["below"] is None or probability < cut["below"]:
                return str(cut["name"])
        raise AssertionError("the last band must have no upper cut-off")


def _first(table: Mapping[str, Any]) -> Any:
    for value in table.values():
        if value is not None:
            return value
    return []


def _column(values: Any, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, None, dtype=object)
    array = np.asarray(values)
    if array.dtype.kind in "fiu":
        return array.astype(float)
    return array.astype(object)

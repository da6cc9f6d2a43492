"""The logistic model: encoding, vectorised scoring, parameter interval, missing inputs.

logit(p) = beta0 + sum_i beta_i x_i, beta0 from :mod:`riskmodel.intercept`. Complete rows are
scored block by block, so every temporary stays small and memory does not grow with the
number of rows. A row with a missing x_i is marginalised over the missing terms' reference
distribution: p = sum_c w_c sigmoid(eta_known + offset_c) over every combination c of the
missing values. One patient is scored by ``one_row`` on Python floats, with the same operations
in the same order (the same bits; numpy per call on arrays of length one costs more than the
arithmetic).

The terms of kind ``staging`` (T4, N3, stage III) take their values from the patient's (T, N)
cell; when T or N is not known exactly they vary jointly over the completions consistent with
what is known (:mod:`riskmodel.completions`). Every sum over terms runs column by column in a
fixed order, so a row's result never depends on the batch it is scored in.

The headline interval is the 95% interval of the risk given what is known: for a complete row
the parameter interval, for a row with missing inputs the quantiles of the mixture over the
missing values of the parameter uncertainty at each (:mod:`riskmodel.mixture`).

The parameter interval is the delta method on the log-odds. With independent SEs it is
var = sum_i (x_i + d beta0/d beta_i)^2 SE_i^2 + var(beta0 | baseline); a spec may give a full
covariance of (beta0, beta) instead. For a marginalised row the gradient of logit(p) is
r (x_bar + d beta0/d beta), where x_bar holds, for each missing term, its mean weighted by the
sigmoid's slope over the combinations, and r = sum_c w_c s_c / (p (1 - p)).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from statistics import NormalDist
from typing import Any

import numpy as np
from scipy.special import expit

from . import intercept as _intercept
from .completions import Completions
from .features import BY_NAME
from .marginal import Joint, marginalise, rowdot
from .spec import spec_sha256, validate_spec
from .terms import Term
from .units import corrected_calcium

# Rows per block: a block's temporaries (about 1 MB) stay in the CPU cache.
_BLOCK = 16384


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
    group: np.ndarray | None = None  # (n,) completion id of the staging terms (-1: none)


@dataclass(frozen=True)
class Scores:
    """Vectorised scores of n rows."""

    probability: np.ndarray
    logit: np.ndarray  # logit of probability (after marginalising)
    contributions: np.ndarray  # (n, k): beta * x; beta * E[x] over the reference when missing
    low: np.ndarray  # interval of the risk given what is known (level from the spec)
    high: np.ndarray
    missing_low: np.ndarray  # range over the missing values; NaN when nothing is missing
    missing_high: np.ndarray
    param_low: np.ndarray  # parameter-only interval
    param_high: np.ndarray


class Model:
    """A scoring model built from a spec dict (see riskmodel/specs).

    Examples
    --------
    >>> from riskmodel import load_model
    >>> model = load_model(version="1.0.0")
    >>> round(model.baseline, 4), round(model.intercept, 4)
    (0.1742, -4.0161)
    >>> X = [[1, 0, 0, 0, 1, 0, 0, 5.0], [0, 1, 1, 0, float("nan"), 1, 0, 20.0]]
    >>> [round(p, 4) for p in model.score_design(X).probability.tolist()]
    [0.1878, 0.5276]
    """

    def __init__(self, spec: dict[str, Any]):
        self.spec = validate_spec(copy.deepcopy(spec))
        self.ref = ModelRef(self.spec["id"], self.spec["version"], spec_sha256(self.spec))
        terms = [Term.from_spec(t) for t in self.spec["terms"]]
        self.staging = tuple(j for j, t in enumerate(terms) if t.kind == "staging")
        self.completions = None
        self._joint = None
        if self.staging:
            self.completions = Completions(self.spec["tn_reference"],
                                           [terms[j] for j in self.staging])
            values, weights = self.completions.reference_support
            for col, j in enumerate(self.staging):
                reference = {**terms[j].reference, "prevalence": float(values[:, col] @ weights)}
                terms[j] = replace(terms[j], reference=reference)
            self._joint = Joint(self.staging, [], self.completions.reference_support)
        self.terms: tuple[Term, ...] = tuple(terms)
        self.availability = {name: entry.get("availability", "routine")
                             for name, entry in self.spec.get("inputs", {}).items()}
        self.names = tuple(t.name for t in self.terms)
        self.beta = np.array([t.beta for t in self.terms])
        self.se = np.array([t.se for t in self.terms])
        self.baseline = float(self.spec["baseline"]["probability"])
        self.level = float(self.spec["interval"].get("level", 0.95))
        self.z = NormalDist().inv_cdf(0.5 + self.level / 2)
        self._research = frozenset(j for j, t in enumerate(self.terms) if self.is_research(t.input))
        self.intercept_solution = _intercept.solve(self.spec, self.terms, self._joint)
        self.intercept = self.intercept_solution.value
        self._means = np.array([t.mean() for t in self.terms])
        self._patterns: dict = {}  # missing pattern -> combinations and span (see marginal)
        self._cells: dict[tuple, tuple[list[float], int]] = {}  # see staging_cell
        self._cells_lock = threading.Lock()
        self._set_variance_form(self.spec["interval"].get("covariance"))
        # beta, Q and lin as Python floats, for one patient (riskmodel.one_row).
        self._floats = (self.beta.tolist(), self._quad.tolist(), self._lin.tolist())
        # A flat multiply by tiled betas runs at memory speed; broadcasting over rows of k
        # values does not.
        self._beta_tiled = np.tile(self.beta, _BLOCK)

    def _set_variance_form(self, covariance: Any) -> None:
        """var(logit) at x as x'Qx + lin.x + const (Q diagonal, stored as a vector, or full)."""
        if covariance is None:
            gradient, s2 = self.intercept_solution.gradient, self.se * self.se
            self._quad = s2
            self._lin = 2 * gradient * s2
            self._const = float(gradient * gradient @ s2) + self.intercept_solution.variance
            return
        cov = np.asarray(covariance, dtype=float)
        self._quad, self._lin, self._const = cov[1:, 1:], 2 * cov[0, 1:], float(cov[0, 0])

    def mean_reference_risk(self, fixed: Mapping[str, float] | None = None) -> float:
        """Mean predicted risk over the reference distribution (the baseline, when solved).

        ``fixed`` sets terms (by name) to one value for everyone: a subgroup's mean risk.
        """
        columns = {self.names.index(name): value for name, value in (fixed or {}).items()}
        return _intercept.mean_risk(self.intercept, self.beta, self.terms, self._joint, columns)

    def is_research(self, name: str) -> bool:
        """Whether an input is a research test (not routine): never counted as missing."""
        return self.availability.get(name) == "research"

    # -- encoding --------------------------------------------------------------------------
    def design(self, table: Mapping[str, Any]) -> Design:
        """Encode a table of inputs (canonical units; None/NaN = missing) as x per term."""
        n = len(_first(table))
        values = {f: _column(table.get(f), n) for f in BY_NAME}
        correction = self.spec.get("calcium_correction")
        if correction:
            values["calcium"] = corrected_calcium(
                values["calcium"], values["albumin"],
                correction["slope_mmol_per_g"], correction["reference_albumin_g_per_l"])
        X = np.column_stack([t.encode(values[t.input]) for t in self.terms])
        group = self._complete(X, values) if self.staging else None
        not_used = np.column_stack([self._not_used(t, X[:, j], values)
                                    for j, t in enumerate(self.terms)])
        return Design(np.where(not_used, 0.0, X), not_used, values, group)

    def _complete(self, X: np.ndarray, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """Fill the staging terms from each row's (T, N) completions; return completion ids."""
        group = np.full(len(X), -1)
        keys = zip(values["t_category"].tolist(), values["n_category"].tolist(),
                   values["stage"].tolist(), strict=True)
        for row, key in enumerate(keys):
            X[row, list(self.staging)], group[row] = self.staging_cell(key)
        return group

    def staging_cell(self, key: tuple) -> tuple[list[float], int]:
        """The staging terms' x for a (T, N, stage) key, and its completion id.

        A term with one value over the completions is known; one that varies is NaN, and the
        id (-1 when none varies) points at the joint support it is marginalised over. Worked
        out once per key (the batch path and ``one_row`` share it).
        """
        found = self._cells.get(key)
        if found is None:
            # The service's threads score at once: a new key's id and its support are added
            # together, or two new keys could get one id (and one of them the other's support).
            with self._cells_lock:
                found = self._cells.get(key)
                if found is None:
                    found = self._cells[key] = self._new_cell(key)
        return found

    def _new_cell(self, key: tuple) -> tuple[list[float], int]:
        support = self.completions.support(*key)
        if support is None:
            raise ValueError(f"no AJCC 8th (T, N) cell agrees with T, N, stage {key}")
        values, lo, hi = support[0], support[0].min(axis=0), support[0].max(axis=0)
        group = -1
        if (lo != hi).any():
            self._joint.supports.append(support)
            group = len(self._joint.supports) - 1
        return np.where(lo == hi, values[0], np.nan).tolist(), group

    @staticmethod
    def _not_used(term: Term, x: np.ndarray, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """Rows where a rule sets the term aside.

        A term used only when some inputs are missing (stage III) is not used when those are
        all known (T and N carry the anatomic extent), nor when its own input is unknown (T
        and N are then marginalised over the reference instead).
        """
        if not term.used_only_when_missing:
            return np.zeros(len(x), dtype=bool)
        known = [_known(values[name], name) for name in term.used_only_when_missing]
        return np.logical_and.reduce(known) | np.isnan(x)

    # -- scoring ---------------------------------------------------------------------------
    def score_design(self, X: Any, group: Any = None, *, interval: bool = True) -> Scores:
        """Score encoded rows: risk, contributions, parameter interval, missing range.

        Parameters
        ----------
        X : array_like, shape (n, k)
            x per term in the model's term order (``Model.names``), as ``design`` encodes
            them; NaN marks a missing term, which is marginalised.
        group : array_like of int, shape (n,), optional
            Completion id of each row's staging terms (``Design.group``); -1 or None: the
            missing staging terms vary over the whole reference (T, N) distribution.
        interval : bool, default True
            False: rows with a missing value get no quantile interval (``low`` and ``high``
            are NaN for them), which is most of their cost; every other output is unchanged.

        Returns
        -------
        Scores
            Arrays of n rows. Complete rows take the fast path (no marginalisation); memory
            grows only with the outputs, never with temporaries.
        """
        X = np.ascontiguousarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != len(self.terms):
            raise ValueError(f"X must have shape (n, {len(self.terms)}), not {X.shape}")
        n, k = X.shape
        out = Scores(np.empty(n), np.empty(n), np.empty((n, k)), np.empty(n), np.empty(n),
                     np.full(n, np.nan), np.full(n, np.nan), np.empty(n), np.empty(n))
        gaps = [self._score_block(X[s:s + _BLOCK], out, s) for s in range(0, n, _BLOCK)]
        rows = np.concatenate(gaps) if gaps else np.empty(0, dtype=int)
        if rows.size:
            group = None if group is None else np.asarray(group)[rows]
            self._score_missing(X[rows], rows, out, group, interval)
        return out

    def _score_block(self, x: np.ndarray, out: Scores, start: int) -> np.ndarray:
        """Score a block of rows as complete; return the rows that hold a missing value.

        A missing value (NaN) propagates through the matrix product (IEEE 754: NaN * 0 is
        NaN), so its row's linear predictor is NaN; those rows are scored again afterwards.
        """
        m, k = x.shape
        rows = slice(start, start + m)
        np.multiply(x.reshape(-1), self._beta_tiled[:m * k],
                    out=out.contributions[rows].reshape(-1))
        eta = out.logit[rows]
        eta[:] = rowdot(x, self.beta)
        eta += self.intercept
        self._bounds(eta, self._variance(x), out.probability[rows], out.low[rows],
                     out.high[rows])
        out.param_low[rows], out.param_high[rows] = out.low[rows], out.high[rows]
        return start + np.flatnonzero(np.isnan(eta))

    def _variance(self, x: np.ndarray) -> np.ndarray:
        """Variance of the log-odds at each row x: x'Qx + lin.x + const."""
        if self._quad.ndim == 1:
            variance = rowdot(x * x, self._quad)
        else:
            variance = rowdot(np.column_stack([rowdot(x, q) for q in self._quad.T]) * x,
                              np.ones(x.shape[1]))
        variance += rowdot(x, self._lin)
        variance += self._const
        return variance

    def _combination_variance(self, x0: np.ndarray, idx: list[int],
                              values: np.ndarray) -> np.ndarray:
        """(n, m): variance of the log-odds at x0 with the columns ``idx`` set to each row of
        ``values`` (x0 is 0 there)."""
        known = self._variance(x0)
        lin = rowdot(values, self._lin[idx]) if idx else np.zeros(len(values))
        if self._quad.ndim == 1:
            return known[:, None] + (rowdot(values * values, self._quad[idx]) + lin)[None, :]
        q = self._quad
        own = rowdot((values @ q[np.ix_(idx, idx)]) * values, np.ones(len(idx)))
        cross = np.column_stack([rowdot(x0, q[:, j]) for j in idx])
        return known[:, None] + (own + lin)[None, :] + 2 * np.column_stack(
            [rowdot(cross, v) for v in values])

    def _bounds(self, eta, variance, p, low, high) -> None:
        """Risk and interval: sigmoid(eta -+ w) = 1 / (1 + exp(-eta) exp(+-w)), w = z sd.

        Two exponentials give all three; ``variance`` is overwritten.
        """
        half_width = np.multiply(np.sqrt(variance, out=variance), self.z, out=variance)
        with np.errstate(over="ignore"):
            e = np.exp(-eta)
            f = np.exp(half_width, out=half_width)
        t = e + 1.0
        np.reciprocal(t, out=p)
        np.multiply(e, f, out=t)
        t += 1.0
        np.reciprocal(t, out=low)
        np.divide(e, f, out=t)
        t += 1.0
        np.reciprocal(t, out=high)

    def _score_missing(self, X: np.ndarray, rows: np.ndarray, out: Scores,
                       group: np.ndarray | None, interval: bool = True) -> None:
        """Score again, marginalised, the rows that hold a missing value."""
        found = marginalise(self.terms, self.beta, self.intercept, X, self._patterns,
                            joint=self._joint, group=group, at_mean=self._research,
                            variance=self._combination_variance if interval else None,
                            z=self.z)
        variance = found.ratio ** 2 * self._variance(found.x_bar)
        p, low, high = np.empty(len(X)), np.empty(len(X)), np.empty(len(X))
        self._bounds(found.logit, variance, p, low, high)
        out.probability[rows], out.param_low[rows], out.param_high[rows] = p, low, high
        out.low[rows], out.high[rows] = expit(found.q_low), expit(found.q_high)
        out.logit[rows] = found.logit
        out.contributions[rows] = found.x_mean * self.beta
        out.missing_low[rows] = expit(found.low)
        out.missing_high[rows] = expit(found.high)

    def score_table(self, table: Mapping[str, Any]) -> tuple[Design, Scores]:
        """Encode and score a table of inputs in canonical units."""
        design = self.design(table)
        return design, self.score_design(design.X)

    def band(self, probability: float) -> str:
        """Display band of a probability (cut-offs from the spec; not validated)."""
        for cut in self.spec["bands"]["cutoffs"]:
            if cut["below"] is None or probability < cut["below"]:
                return str(cut["name"])
        raise AssertionError("unreachable: the spec check makes the last band open-ended")


def _known(column: np.ndarray, name: str) -> np.ndarray:
    """Rows where an input is known (not None, NaN, or a code meaning unknown such as TX)."""
    if column.dtype.kind == "f":
        return ~np.isnan(column)
    unknown = frozenset(BY_NAME[name].missing_codes)
    return np.fromiter((isinstance(v, str) and v not in unknown for v in column), dtype=bool,
                       count=len(column))


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

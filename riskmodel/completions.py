"""T and N as a constraint: the joint reference of (T, N) cells and each patient's completions.

The terms that depend on T and N (kind ``staging``: T4, N3, stage group III) take their value
from the patient's (T, N) cell of the AJCC 8th M0 table. When T or N is not known exactly, the
patient could be in any cell consistent with what is known (the stage group or sub-stage, a
coarse T such as T1, the known one of T and N); those cells are the completions, weighted by
the spec's reference distribution of cells (``tn_reference``). A stage I-II patient has no
completion with T4, N3 or stage III, so those terms are 0 for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np

from .staging import cells, coarse_group, consistent
from .terms import Term

Support = tuple[np.ndarray, np.ndarray]  # values (m, g) of the staging terms, weights (m,)


class Completions:
    """The reference weight of every (T, N) cell and the completions of a patient's T, N, stage.

    Examples
    --------
    >>> from riskmodel import load_model
    >>> tn = load_model().completions
    >>> values, weights = tn.support("T1a", "N0", None)
    >>> values.tolist(), weights.tolist()
    ([[0.0, 0.0, 0.0]], [1.0])
    >>> len(tn.support(None, None, "IIIA")[0])
    2
    """

    def __init__(self, reference: dict[str, Any], terms: Sequence[Term]):
        self.reference = reference
        self.terms = tuple(terms)
        self.cells = cells()
        shares = reference["stage_shares"]
        counts = {g: sum(coarse_group(c[2]) == g for c in self.cells) for g in shares}
        raw = np.array([shares[coarse_group(c[2])] / counts[coarse_group(c[2])]
                        for c in self.cells])
        self.weights = raw / raw.sum()
        self.x = np.array([[t.fires_on_cell(c) for t in self.terms] for c in self.cells])
        self._cache: dict[tuple[Any, Any, Any], Support | None] = {}

    def support(self, t_category: Any, n_category: Any, stage: Any) -> Support | None:
        """Distinct values of the staging terms over the completions, and their weights.

        None when no cell agrees (the input checks refuse such patients before scoring).
        """
        key = (t_category, n_category, stage)
        if key not in self._cache:
            t, n, s = (v if isinstance(v, str) else None for v in key)
            found = self._support(t, n, s)
            if found is None and t in self.reference.get("t_equivalent", {}):
                found = self._support(None, n, s)  # the stated stage outranks the T rule
            self._cache[key] = found
        return self._cache[key]

    def _support(self, t_category, n_category, stage) -> Support | None:
        t_equivalent = self.reference.get("t_equivalent", {})
        keep = np.array([consistent(c, t_category, n_category, stage, t_equivalent)
                         for c in self.cells])
        if not keep.any():
            return None
        return _collapse(self.x[keep], self.weights[keep] / self.weights[keep].sum())

    @cached_property
    def reference_support(self) -> Support:
        """The staging terms' joint distribution over the whole reference population."""
        return _collapse(self.x, self.weights)

    def share(self, predicate) -> float:
        """Reference share of the cells for which ``predicate(t, n, group)`` holds."""
        return float(sum(w for c, w in zip(self.cells, self.weights, strict=True)
                         if predicate(*c)))


def _collapse(x: np.ndarray, weights: np.ndarray) -> Support:
    """Merge cells with equal term values, summing their weights in a fixed order."""
    patterns: dict[tuple[float, ...], float] = {}
    for row, weight in zip(x.tolist(), weights.tolist(), strict=True):
        patterns[tuple(row)] = patterns.get(tuple(row), 0.0) + weight
    values = np.array(sorted(patterns), dtype=float).reshape(len(patterns), x.shape[1])
    found = np.array([patterns[tuple(v)] for v in values.tolist()])
    values.flags.writeable = found.flags.writeable = False
    return values, found

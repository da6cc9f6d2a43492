"""Synthetic cohorts drawn from a spec, for demos and tests. Never evidence about patients.

Each term's input is drawn independently from the term's reference distribution in the spec
(prevalence, or the CEA distribution) and the outcome from the model itself, optionally
modified (a shifted intercept, a slope multiplier) so that recalibration has a known truth.
Assumptions (not from any source; they do not change any model input the spec defines):

- the spec's T4, N3 and CEA references are themselves assumptions or weakly sourced (see the
  model card); the CEA reference is a point mass at 5 ng/mL, so every synthetic CEA is 5;
- a non-squamous row is written as adenocarcinoma; a non-T4 tumour is T1a, T1b, T1c, T2a, T2b
  or T3 with equal chance; a non-N3 node status is N0, N1 or N2 with equal chance; BSP not
  positive is negative; the stage is derived from T and N (AJCC 8th);
- a lab above (below) its threshold is uniform within 25% above (below) the spec's threshold;
  albumin is not simulated, so calcium is used uncorrected;
- inputs made missing (``missing``) are dropped completely at random after the outcome is drawn.

Every table it returns or file it writes says SYNTHETIC: a ``synthetic`` column that is true,
a first comment line (CSV) or Parquet metadata.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit

from riskmodel.errors import ArgumentError
from riskmodel.features import BY_NAME, FEATURE_NAMES
from riskmodel.inputs import canonical_table, raw_table
from riskmodel.model import Model
from riskmodel.staging import derive_stage
from riskmodel.terms import Term

from .table_writer import TableWriter

OUTCOME_COLUMN = "bone_metastasis"
SYNTHETIC_COLUMN = "synthetic"
_CHUNK = 100_000  # rows drawn per step; fixed so that (n, seed) alone decides the output
_NOT_FIRING = {
    "histology": ("squamous",),
    "t_category": ("T1a", "T1b", "T1c", "T2a", "T2b", "T3"),
    "n_category": ("N0", "N1", "N2"),
    "bsp": ("negative",),
}
_SPREAD = 0.25  # labs are drawn within 25% of the threshold, on the side the draw decided


def synthetic_note(model: Model, seed: int) -> str:
    """The sentence every synthetic file carries."""
    return (f"synthetic cohort drawn from model {model.ref.id} {model.ref.version} with seed "
            f"{seed}; not patient data: no figure computed on it is evidence about patients")


def simulate(n: int, seed: int, model: Model, intercept_shift: float = 0.0, slope: float = 1.0,
             missing: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Draw a synthetic cohort of ``n`` rows (deterministic given ``n`` and ``seed``).

    The outcome's true log-odds are ``intercept_shift + slope * lp``, lp being the model's
    linear predictor of the complete row; ``missing`` maps an input name to the fraction of
    rows in which it is dropped.

    Examples
    --------
    >>> from riskmodel import load_model
    >>> cohort = simulate(1000, seed=1, model=load_model())
    >>> bool(cohort["synthetic"].all()), len(cohort)
    (True, 1000)
    >>> sorted(set(cohort["histology"]))
    ['adenocarcinoma', 'squamous']
    """
    return pd.concat(list(_chunks(n, seed, model, intercept_shift, slope, missing)),
                     ignore_index=True)


def simulate_file(path: str | Path, n: int, seed: int, model: Model, intercept_shift: float = 0.0,
                  slope: float = 1.0, missing: Mapping[str, float] | None = None) -> Path:
    """Write :func:`simulate`'s cohort to CSV/TSV/Parquet, chunk by chunk, marked SYNTHETIC."""
    with TableWriter(path, synthetic=True, note=synthetic_note(model, seed)) as writer:
        for chunk in _chunks(n, seed, model, intercept_shift, slope, missing):
            writer.write(chunk)
    return Path(path)


def _chunks(n: int, seed: int, model: Model, shift: float, slope: float,
            missing: Mapping[str, float] | None) -> Iterator[pd.DataFrame]:
    if n < 1:
        raise ArgumentError("the number of rows must be at least 1")
    for name, fraction in (missing or {}).items():
        if name not in BY_NAME or not 0 <= fraction <= 1:
            raise ArgumentError(f"missing: {name}={fraction}: give a known input and a fraction "
                             "between 0 and 1")
    rng = np.random.default_rng(seed)
    for start in range(0, n, _CHUNK):
        size = min(_CHUNK, n - start)
        yield _draw(rng, model, size, start, shift, slope, missing or {})


def _draw(rng: np.random.Generator, model: Model, size: int, start: int, shift: float,
          slope: float, missing: Mapping[str, float]) -> pd.DataFrame:
    columns: dict[str, np.ndarray] = {"id": np.array(
        [f"SIM-{i:08d}" for i in range(start + 1, start + size + 1)], dtype=object)}
    for term in model.terms:
        if not term.used_only_when_missing and term.kind != "staging":
            columns[term.input] = _draw_input(rng, term, size)
    if model.completions is not None:  # T and N jointly, from the reference (T, N) cells
        cells = np.array(model.completions.cells, dtype=object)
        drawn = cells[rng.choice(len(cells), p=model.completions.weights, size=size)]
        columns["t_category"], columns["n_category"] = drawn[:, 0], drawn[:, 1]
    columns["stage"] = _stages(columns.get("t_category"), columns.get("n_category"), size)
    lp = _linear_predictor(model, columns)
    outcome = rng.random(size) < expit(shift + slope * lp)
    for name, fraction in missing.items():
        if name in columns:
            drop = rng.random(size) < fraction
            columns[name] = np.where(drop, np.nan if columns[name].dtype.kind == "f" else None,
                                     columns[name])
    order = ["id", *(name for name in FEATURE_NAMES if name in columns)]
    frame = pd.DataFrame({_header(k): columns[k] for k in order})
    frame[OUTCOME_COLUMN] = outcome.astype(int)
    frame[SYNTHETIC_COLUMN] = True
    return frame


def _draw_input(rng: np.random.Generator, term: Term, size: int) -> np.ndarray:
    values, weights = term.support()
    x = rng.choice(values, p=weights, size=size)
    if term.kind == "binary":
        others = _NOT_FIRING.get(term.input)
        if others is None:
            raise ValueError(f"simulate does not know the non-firing values of {term.input}")
        other = np.array(others, dtype=object)[rng.integers(len(others), size=size)]
        return np.where(x > 0, term.fires_when[0], other).astype(object)
    if term.kind == "threshold":
        above = 1.0 - rng.random(size)  # in (0, 1]: strictly above the threshold
        below = rng.random(size)  # in [0, 1): at or below it
        spread = _SPREAD * term.threshold
        return np.where(x > 0, term.threshold + spread * above, term.threshold - spread * below)
    return x.astype(float) + term.centre


def _stages(t: np.ndarray | None, n: np.ndarray | None, size: int) -> np.ndarray:
    if t is None or n is None:
        return np.full(size, None, dtype=object)
    found = {pair: derive_stage(*pair) for pair in set(zip(t, n, strict=True))}
    return np.array([found[pair][0] for pair in zip(t, n, strict=True)], dtype=object)


def _linear_predictor(model: Model, columns: dict[str, np.ndarray]) -> np.ndarray:
    size = len(columns["id"])
    raw: dict[str, np.ndarray] = {}
    for name, empty in raw_table([]).items():
        base = name.removesuffix("_unit")
        if name in columns:
            raw[name] = columns[name]
        elif name != base and base in columns:
            raw[name] = np.full(size, BY_NAME[base].canonical_unit, dtype=object)
        else:
            raw[name] = np.full(size, np.nan if empty.dtype.kind == "f" else None)
    X = model.design(canonical_table(raw)).X
    return model.intercept + X @ model.beta


def _header(name: str) -> str:
    feature = BY_NAME.get(name)
    return f"{name}[{feature.canonical_unit}]" if feature and feature.kind == "quantity" else name

"""Engine throughput against scikit-learn's bare predict_proba, and memory over 2M rows.

Run: .venv/bin/python benchmarks/bench_engine.py

1. 1,000,000 synthetic complete rows drawn from the spec's reference distribution (fixed
   seed). The engine's ``score_design`` (probability, contributions, parameter interval) and
   ``LogisticRegression.predict_proba`` with the model's coefficients (no fit) score the same
   X, interleaved for 9 rounds; medians (and best rounds, less sensitive to other load on
   the machine) are compared. Target: engine <= 1.5 x sklearn. Then plain numpy computing
   only the required outputs (risk and contributions, then the interval too) against the
   same sklearn, to show what those outputs cost before anything else the engine does.
2. The same with 10% of the values missing (marginalised), for information.
3. Memory: 1M then 2M rows scored in chunks of 100k (tracemalloc peak and peak RSS);
   the second million must not add memory.
"""

from __future__ import annotations

import os
import resource
import statistics
import time
import tracemalloc

import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_info

import riskmodel
from riskmodel.intercept import in_reference

ROWS = 1_000_000
ROUNDS = 9  # interleaved; the median and the best round are both printed
CHUNK = 100_000
TARGET = 1.5
SEED = 20240501


def synthetic_design(model: riskmodel.Model, rows: int, rng: np.random.Generator) -> np.ndarray:
    """Complete rows: each term drawn from its reference distribution, independently.

    A term outside the reference population (stage III: used only when T or N is unknown)
    is 0, as for every patient with T and N known.
    """
    X = np.zeros((rows, len(model.terms)))
    for j, term in enumerate(model.terms):
        if in_reference(term):
            values, weights = term.support()
            X[:, j] = rng.choice(values, size=rows, p=weights)
    return X


def sklearn_twin(model: riskmodel.Model) -> LogisticRegression:
    """A LogisticRegression carrying the model's coefficients, without fitting."""
    twin = LogisticRegression()
    twin.classes_ = np.array([0, 1])
    twin.coef_ = model.beta[None, :].copy()
    twin.intercept_ = np.array([model.intercept])
    twin.n_features_in_ = len(model.terms)
    return twin


def timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def compare(model: riskmodel.Model, X: np.ndarray, label: str,
            X_sklearn: np.ndarray | None = None) -> None:
    """Interleaved rounds of engine and sklearn; print the medians.

    sklearn scores ``X_sklearn`` (default: X); it refuses missing values, so for the run with
    missing values it scores the complete X they were made from.
    """
    twin, X_sklearn = sklearn_twin(model), X if X_sklearn is None else X_sklearn
    model.score_design(X[:1000]), twin.predict_proba(X_sklearn[:1000])  # warm up both
    engine, sklearn = [], []
    for _ in range(ROUNDS):
        engine.append(timed(model.score_design, X))
        sklearn.append(timed(twin.predict_proba, X_sklearn))
    e, s = statistics.median(engine), statistics.median(sklearn)
    print(f"[{label}] {len(X):,} rows, median of {ROUNDS} interleaved rounds")
    print(f"  engine score_design (probability, contributions, interval): "
          f"{e * 1e3:8.1f} ms  {len(X) / e:14,.0f} rows/s")
    print(f"  sklearn predict_proba ({'same X' if X_sklearn is X else 'complete X'}, "
          f"same coefficients):{' ' * (10 if X_sklearn is X else 6)}"
          f"{s * 1e3:8.1f} ms  {len(X) / s:14,.0f} rows/s")
    print(f"  ratio engine / sklearn: {e / s:.2f} median, {min(engine) / min(sklearn):.2f} "
          f"best round" + (f" (target <= {TARGET})" if X_sklearn is X
                           else " (no target: information only)"))


def floor(model: riskmodel.Model, X: np.ndarray) -> None:
    """The required outputs written as plainly as numpy allows, next to sklearn (interleaved).

    The engine must hand back the contributions (an n x k matrix: 8 values per row where
    predict_proba returns 2) and an interval (a variance and one more exponential per row).
    Plain numpy computing only the risk and the contributions, then also the interval (with
    a variance that is exact for 0/1 terms only: less work than the engine's), shows what
    those outputs cost before anything else the engine does.
    """
    twin, beta = sklearn_twin(model), model.beta
    # var(logit) = x'(q + l) + const when every x is 0 or 1 (x^2 = x): one product, a lower
    # bound for the engine, which also handles the continuous CEA term.
    linear_variance = model._quad + model._lin if model._quad.ndim == 1 else None

    def risk_and_contributions():
        return X * beta, expit(X @ beta + model.intercept)

    def with_interval():
        e = np.exp(-(X @ beta + model.intercept))
        f = np.exp(model.z * np.sqrt(X @ linear_variance + model._const))
        return X * beta, 1 / (1 + e), 1 / (1 + e * f), 1 / (1 + e / f)

    runs = {"sklearn": lambda: twin.predict_proba(X), "numpy floor": risk_and_contributions,
            "with interval": with_interval, "engine": lambda: model.score_design(X)}
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(ROUNDS):
        for name, run in runs.items():
            times[name].append(timed(run))
    s = statistics.median(times["sklearn"])
    print(f"[plain numpy, required outputs only] {len(X):,} rows, median of {ROUNDS} "
          "interleaved rounds")
    print(f"  risk + contributions (X * beta; expit(X @ beta + b0)):                   "
          f"{statistics.median(times['numpy floor']) * 1e3:6.1f} ms, ratio "
          f"{statistics.median(times['numpy floor']) / s:.2f} to sklearn")
    print(f"  + interval (one product for the variance, two exponentials):             "
          f"{statistics.median(times['with interval']) * 1e3:6.1f} ms, ratio "
          f"{statistics.median(times['with interval']) / s:.2f} to sklearn")
    print(f"  engine, risk + contributions + interval + missing range:                "
          f"{statistics.median(times['engine']) * 1e3:6.1f} ms, ratio "
          f"{statistics.median(times['engine']) / s:.2f} to sklearn")


def check_agreement(model: riskmodel.Model, X: np.ndarray) -> None:
    engine = model.score_design(X).probability
    sklearn = sklearn_twin(model).predict_proba(X)[:, 1]
    print(f"  max |engine - sklearn| probability: {np.abs(engine - sklearn).max():.2e}")


def with_missing(X: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """A copy of X with ``share`` of the values of the reference terms set missing."""
    holes = X.copy()
    mask = rng.random(X.shape) < share
    mask[:, np.all(X == 0, axis=0)] = False  # stage III stays 0 (not used), never missing
    holes[mask] = np.nan
    return holes


def score_in_chunks(model: riskmodel.Model, rows: int) -> float:
    """Score ``rows`` synthetic rows chunk by chunk; keep only a running total."""
    total = 0.0
    for start in range(0, rows, CHUNK):
        rng = np.random.default_rng([SEED, start])
        scores = model.score_design(synthetic_design(model, min(CHUNK, rows - start), rng))
        total += float(scores.probability.sum())
    return total


def memory(model: riskmodel.Model) -> None:
    """Peak traced memory and peak RSS after 1M rows, then after 2M rows."""
    print(f"[memory] scoring in chunks of {CHUNK:,} rows")
    peaks = {}
    for rows in (1_000_000, 2_000_000):
        tracemalloc.start()
        score_in_chunks(model, rows)
        peaks[rows] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  {rows:>9,} rows: tracemalloc peak {peaks[rows] / 2**20:7.1f} MiB; "
              f"process peak RSS so far {rss:7.1f} MiB")
    growth = (peaks[2_000_000] - peaks[1_000_000]) / 2**20
    print(f"  growth of the traced peak from 1M to 2M rows: {growth:+.2f} MiB")


def environment() -> None:
    print(f"numpy {np.__version__}; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}; "
          f"cores {os.cpu_count()}")
    for pool in threadpool_info():
        print(f"  threadpool: {pool.get('internal_api')} {pool.get('version')} "
              f"threads={pool.get('num_threads')} arch={pool.get('architecture')}")


def main() -> None:
    model = riskmodel.load_model()
    environment()
    rng = np.random.default_rng(SEED)
    X = synthetic_design(model, ROWS, rng)
    print(f"model {model.ref.id}@{model.ref.version}; mean risk of the synthetic rows "
          f"{model.score_design(X).probability.mean():.4f} (baseline {model.baseline})")
    compare(model, X, "complete rows")
    check_agreement(model, X)
    floor(model, X)
    holes = with_missing(X, 0.10, rng)
    print(f"  rows with a missing value: {np.isnan(holes).any(axis=1).mean():.1%}")
    compare(model, holes, "10% of values missing (information only)", X_sklearn=X)
    memory(model)


if __name__ == "__main__":
    main()

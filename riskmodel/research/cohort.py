"""Labelled cohorts: a table of inputs plus a 0/1 outcome, checked row by row, fingerprinted.

Rows with invalid inputs or an outcome that is missing or not 0/1 are left out and counted
(with the first few messages); every other row is kept, missing inputs included: the model
handles those as it always does (marginalised over the reference).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from riskmodel.features import BY_NAME, FEATURE_NAMES
from riskmodel.inputs import canonical_table, find_problems

from .tables import Layout, TableError, make_layout, raw_from_frame, read_chunks

_TRUE = frozenset({"1", "1.0", "true"})
_FALSE = frozenset({"0", "0.0", "false"})
_EXAMPLES = 10  # exclusion messages kept for the report


@dataclass(frozen=True)
class Cohort:
    """The usable rows of a labelled cohort, in canonical units, with what was left out."""

    table: dict[str, np.ndarray]
    y: np.ndarray
    source: str
    outcome: str
    synthetic: bool
    excluded: dict[str, int] = field(default_factory=dict)
    examples: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        """Rows used."""
        return len(self.y)

    @property
    def events(self) -> int:
        """Rows with the outcome."""
        return int(self.y.sum())

    def rarer(self) -> str:
        """The rarer outcome class, counted in words: '1 non-event', '7 events'.

        Examples
        --------
        >>> Cohort({}, np.array([1, 1, 0]), "s", "bm", False).rarer()
        '1 non-event'
        """
        events, non_events = self.events, self.n - self.events
        count, word = (events, "event") if events <= non_events else (non_events, "non-event")
        return f"{count} {word}" + ("" if count == 1 else "s")

    def excluded_text(self) -> str:
        """The rows left out, by reason, in words: '7 invalid inputs, 1 outcome missing'."""
        return ", ".join(f"{count} {reason}" for reason, count in self.excluded.items()) or "none"

    def lacking(self) -> dict[str, int]:
        """How many rows lacked each input (missing, or coded unknown such as TX)."""
        counts = {}
        for name in FEATURE_NAMES:
            values, feature = self.table[name], BY_NAME[name]
            if feature.kind == "quantity":
                counts[name] = int(np.isnan(values).sum())
            else:
                absent = set(feature.missing_codes) | {None}
                counts[name] = int(sum(v in absent for v in values))
        return counts

    def fingerprint(self) -> str:
        """SHA-256 of the canonical inputs and outcome of the rows used, in feature order."""
        digest = hashlib.sha256()
        digest.update(("\x1f".join([*FEATURE_NAMES, self.outcome]) + "\n").encode())
        columns = [_text(self.table[name]) for name in FEATURE_NAMES]
        columns.append([str(int(v)) for v in self.y])
        for row in zip(*columns, strict=True):
            digest.update(("\x1f".join(row) + "\n").encode())
        return digest.hexdigest()


def _text(values: np.ndarray) -> list[str]:
    if values.dtype.kind == "f":
        return ["" if v != v else repr(float(v)) for v in values.tolist()]
    return ["" if v is None else str(v) for v in values]


def load_cohort(source: str | Path | pd.DataFrame, outcome: str,
                chunksize: int = 50_000) -> Cohort:
    """Read a labelled cohort (file or DataFrame); keep the valid rows, count the others.

    Parameters
    ----------
    source : path or pandas.DataFrame
        Columns named as the features (units as in
        :mod:`riskmodel.research.tables`) and the outcome.
    outcome : str
        The outcome column: 1/0 (also 1.0/0.0, true/false).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"stage": ["I", "III", "IV", "II"], "bm": [0, 1, 0, None]})
    >>> cohort = load_cohort(frame, "bm")
    >>> cohort.n, cohort.events, cohort.excluded
    (2, 1, {'invalid inputs': 1, 'outcome missing': 1})
    """
    if isinstance(source, pd.DataFrame):
        layout, chunks, name = make_layout(list(source.columns)), [source], "data frame"
    else:
        layout, chunks, _ = read_chunks(source, chunksize)
        name = Path(source).name
    if outcome not in layout.columns:
        raise TableError(f"{name}: no outcome column {outcome!r}")
    parts = [_chunk(chunk, layout, outcome, offset) for chunk, offset in _offsets(chunks)]
    return _assemble(parts, name, outcome, layout)


def _offsets(chunks):
    offset = 0
    for chunk in chunks:
        yield chunk, offset
        offset += len(chunk)


def _chunk(frame: pd.DataFrame, layout: Layout, outcome: str, offset: int) -> dict:
    raw, problems = raw_from_frame(frame, layout)
    for row, paths in find_problems(raw).items():
        for path, messages in paths.items():
            problems.setdefault(row, {}).setdefault(path, []).extend(messages)
    y, why = _outcome(frame[outcome], outcome)
    reasons = why.copy()
    reasons[list(problems)] = "invalid inputs"
    keep = np.array([r is None for r in reasons], dtype=bool)
    examples = [f"row {offset + i + 1}: " + ("; ".join(
        f"{p}: {m}" for p, ms in problems[i].items() for m in ms) if i in problems else why[i])
        for i in np.flatnonzero(~keep)[:_EXAMPLES]]
    synthetic = "synthetic" in frame.columns and _truthy(frame["synthetic"]).any()
    return {"table": canonical_table({k: v[keep] for k, v in raw.items()}), "y": y[keep],
            "reasons": [r for r in reasons if r is not None], "examples": examples,
            "synthetic": bool(synthetic)}


def _outcome(series: pd.Series, name: str) -> tuple[np.ndarray, np.ndarray]:
    """0/1 values, and why a row's outcome cannot be used (None when it can)."""
    text = series.astype("str").str.strip().str.lower().to_numpy(dtype=object)
    missing = pd.isna(series).to_numpy() | np.isin(text, ["", "na", "n/a", "nan", "null"])
    y = np.isin(text, list(_TRUE)).astype(int)
    known = np.isin(text, list(_TRUE | _FALSE))
    why = np.full(len(series), None, dtype=object)
    why[missing] = "outcome missing"
    bad = ~missing & ~known
    why[bad] = [f"outcome {name}={v!r} is not 0/1" for v in series.to_numpy(dtype=object)[bad]]
    return y, why


def _truthy(series: pd.Series) -> np.ndarray:
    return series.astype("str").str.strip().str.lower().isin(["true", "1"]).to_numpy()


def _assemble(parts: list[dict], name: str, outcome: str, layout: Layout) -> Cohort:
    tables = [p["table"] for p in parts] or [canonical_table({"stage": np.array([], object)})]
    table = {k: np.concatenate([t[k] for t in tables]) for k in tables[0]}
    excluded: dict[str, int] = {}
    for part in parts:
        for reason in part["reasons"]:
            key = reason if reason in ("invalid inputs", "outcome missing") else "outcome not 0/1"
            excluded[key] = excluded.get(key, 0) + 1
    examples = tuple(e for p in parts for e in p["examples"])[:_EXAMPLES]
    y = np.concatenate([p["y"] for p in parts]) if parts else np.array([], dtype=int)
    synthetic = layout.synthetic or any(p["synthetic"] for p in parts)
    return Cohort(table, y, name, outcome, synthetic, dict(sorted(excluded.items())), examples)

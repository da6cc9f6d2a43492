"""Score tables of patients: a DataFrame, or a CSV/Parquet file streamed in chunks.

Every row is checked with the engine's own rules (``riskmodel.inputs.find_problems``); a bad
row gets its messages in the ``errors`` column and no score, and never stops the file. Rows are
scored as arrays (no Patient object per row), so a file of any size streams in flat memory.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskmodel.inputs import canonical_table, find_problems
from riskmodel.model import Model

from .table_writer import TableWriter
from .tables import Layout, TableError, make_layout, raw_from_frame, read_chunks

SCORE_COLUMNS = ("probability", "interval_low", "interval_high", "band", "missing_low",
                 "missing_high")
MODEL_COLUMNS = ("model_id", "model_version", "model_sha256")
ERRORS_COLUMN = "errors"


def output_columns(model: Model) -> tuple[str, ...]:
    """The columns scoring adds, in order.

    Examples
    --------
    >>> from riskmodel import load_model
    >>> output_columns(load_model())[:3]
    ('probability', 'interval_low', 'interval_high')
    """
    return (*SCORE_COLUMNS, *(f"contrib_{name}" for name in model.names), *MODEL_COLUMNS,
            ERRORS_COLUMN)


@dataclass(frozen=True)
class Summary:
    """What a file run did: rows read, scored, with errors; seconds; inputs without a column."""

    rows: int
    scored: int
    errors: int
    seconds: float
    absent: tuple[str, ...] = ()

    def __str__(self) -> str:
        rate = self.rows / self.seconds if self.seconds > 0 else float("inf")
        text = (f"{self.rows:,} rows: {self.scored:,} scored, {self.errors:,} with errors "
                f"(see the {ERRORS_COLUMN!r} column), {self.seconds:.1f} s "
                f"({rate:,.0f} rows/s)")
        if self.absent:
            text += f"; no column for {', '.join(self.absent)} (missing in every row)"
        return text


def score_frame(frame: pd.DataFrame, model: Model, layout: Layout | None = None
                ) -> pd.DataFrame:
    """Score a DataFrame whose columns are named as the features (units in the names).

    Returns the input columns followed by :func:`output_columns`. A row with invalid inputs
    has no score and its messages in ``errors``.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per patient; lab columns carry their unit, e.g. ``cea[ng/mL]``.
    model : Model
        The model to score with.
    layout : Layout, optional
        Column mapping (from :func:`riskmodel.research.tables.make_layout`); built from the columns
        when not given.

    Examples
    --------
    >>> import pandas as pd
    >>> from riskmodel import load_model
    >>> frame = pd.DataFrame({"histology": ["squamous", "giant"], "cea[ng/mL]": [3.0, None]})
    >>> out = score_frame(frame, load_model())
    >>> round(float(out["probability"][0]), 4), out["errors"][1]  # doctest: +ELLIPSIS
    (0.0924, "histology: 'giant' is not a known value; use one of adenocarcinoma, ...")
    """
    layout = layout or make_layout(list(frame.columns))
    _check_no_clash(frame.columns, model)
    raw, problems = raw_from_frame(frame, layout)
    for row, paths in find_problems(raw).items():
        for path, messages in paths.items():
            problems.setdefault(row, {}).setdefault(path, []).extend(messages)
    ok = np.ones(len(frame), dtype=bool)
    ok[list(problems)] = False
    scored = _scores(model, {k: v[ok] for k, v in raw.items()}, len(frame), ok)
    scored[ERRORS_COLUMN] = pd.array([_message(problems[i]) if i in problems else None
                                      for i in range(len(frame))], dtype="str")
    out = frame.rename(columns={c: layout.output_name(c) for c in frame.columns})
    return pd.concat([out.reset_index(drop=True), pd.DataFrame(scored)], axis=1)


def _check_no_clash(columns, model: Model) -> None:
    clash = sorted(set(map(str, columns)) & set(output_columns(model)))
    if clash:
        raise TableError(f"the input already has output column(s) {', '.join(clash)}; "
                         "rename or drop them")


def _message(paths: dict[str, list[str]]) -> str:
    return "; ".join(f"{path}: {msg}" for path, msgs in paths.items() for msg in msgs)


def _scores(model: Model, raw: dict[str, np.ndarray], n: int, ok: np.ndarray
            ) -> dict[str, Any]:
    """The score columns for n rows, filled where ``ok`` (NaN/None elsewhere)."""
    _, scores = model.score_table(canonical_table(raw)) if ok.any() else (None, None)

    def full(values: np.ndarray | None) -> np.ndarray:
        column = np.full(n, np.nan)
        if values is not None:
            column[ok] = values
        return column

    p = full(None if scores is None else scores.probability)
    columns: dict[str, Any] = {
        "probability": p,
        "interval_low": full(None if scores is None else scores.low),
        "interval_high": full(None if scores is None else scores.high),
        "band": pd.array(np.where(ok, bands(model, p), None), dtype="str"),
        "missing_low": full(None if scores is None else scores.missing_low),
        "missing_high": full(None if scores is None else scores.missing_high),
    }
    for j, name in enumerate(model.names):
        columns[f"contrib_{name}"] = full(None if scores is None else scores.contributions[:, j])
    for key, value in zip(MODEL_COLUMNS, (model.ref.id, model.ref.version, model.ref.sha256),
                          strict=True):
        columns[key] = pd.array(np.full(n, value, dtype=object), dtype="str")
    return columns


def bands(model: Model, probability: np.ndarray) -> np.ndarray:
    """The spec's display band of each probability, vectorised (NaN -> None)."""
    cutoffs = model.spec["bands"]["cutoffs"]
    names = np.array([c["name"] for c in cutoffs], dtype=object)
    edges = np.array([c["below"] for c in cutoffs[:-1]], dtype=float)
    found = names[np.searchsorted(edges, probability, side="right").clip(0, len(names) - 1)]
    return np.where(np.isnan(probability), None, found)


def score_file(source: str | Path, target: str | Path, model: Model,
               chunksize: int = 50_000, progress: bool | None = None) -> Summary:
    """Score a CSV/Parquet file into another, chunk by chunk, in flat memory.

    ``progress`` shows a tqdm bar on stderr; by default only when stderr is a terminal.
    The output format follows the target's extension. A synthetic input stays marked.
    """
    start = time.perf_counter()
    layout, chunks, total = read_chunks(source, chunksize)
    _check_no_clash(layout.columns, model)
    show = sys.stderr.isatty() if progress is None else progress
    rows = errors = 0
    with TableWriter(target, layout.synthetic, _note(layout)) as writer, \
            _progress(show, total) as bar:
        for chunk in chunks:
            out = score_frame(chunk, model, layout)
            writer.write(out)
            rows += len(out)
            errors += int(out[ERRORS_COLUMN].notna().sum())
            bar.update(len(out))
        if rows == 0:
            writer.write(score_frame(pd.DataFrame(columns=list(layout.columns), dtype="str"),
                                     model, layout))
    return Summary(rows, rows - errors, errors, time.perf_counter() - start, layout.absent)


def _note(layout: Layout) -> str:
    marked = [c.lstrip("# ") for c in layout.comments if "SYNTHETIC" in c]
    return marked[0].removeprefix("SYNTHETIC: ") if marked else "synthetic input"


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def update(self, n: int) -> None:
        """Do nothing: no terminal to draw on."""


def _progress(show: bool, total: int | None):
    if not show:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="rows", unit_scale=True, file=sys.stderr)

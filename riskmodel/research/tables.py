"""Feature tables on disk: CSV or Parquet, units in the header or a units row, read in chunks.

Columns are named as ``riskmodel.features.FEATURES`` (plus ``m_category`` when present).
A lab column states its unit in one of two ways, never both:

- in its name, UCUM code in square brackets: ``calcium[mg/dL]``;
- in a units row (CSV/TSV only): the line right after the header whose first cell is
  ``#units``, with the unit in the lab's column and other cells empty, e.g. ``#units,,mg/dL``
  (so the first column cannot be a lab).

Empty cells and ``NA``, ``N/A``, ``NaN``, ``nan``, ``null``, ``NULL`` mean missing; category
cells are stripped of surrounding spaces. Lines before the header that start with ``#`` are
comments (a comment containing ``SYNTHETIC`` marks the file as synthetic, as does the Parquet
metadata key ``bmrisk.synthetic``). Other columns pass through untouched.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from riskmodel.errors import RiskModelError
from riskmodel.features import BY_NAME, CATEGORICAL, FEATURE_NAMES, QUANTITIES
from riskmodel.units import ucum_code

UNITS_ROW_MARK = "#units"
SYNTHETIC_MARK = "SYNTHETIC"
PARQUET_SYNTHETIC_KEY = b"bmrisk.synthetic"
NA_VALUES = ("", "NA", "N/A", "NaN", "nan", "null", "NULL")
INPUT_COLUMNS = (*FEATURE_NAMES, "m_category")
# Arrow's CSV reader reads a few dozen blocks ahead: small blocks keep that memory small
# whatever the file's size; chunks of the requested rows are gathered from them.
_BLOCK_BYTES = 1 << 20
_HEADER_UNIT = re.compile(r"^(?P<name>[^\[\]]+?)\s*\[(?P<unit>[^\[\]]*)\]$")
_CATEGORY_INPUTS = (*(f.name for f in CATEGORICAL), "m_category")


class TableError(RiskModelError, ValueError):
    """A table cannot be read as a whole (bad header, unknown unit, unknown format)."""


@dataclass(frozen=True)
class Layout:
    """How a table's columns map to the inputs: feature -> column, quantity -> unit."""

    columns: tuple[str, ...]
    inputs: dict[str, str]
    units: dict[str, str]
    comments: tuple[str, ...] = ()
    synthetic: bool = False
    units_row: bool = False

    @property
    def absent(self) -> tuple[str, ...]:
        """Features with no column: missing in every row."""
        return tuple(name for name in FEATURE_NAMES if name not in self.inputs)

    def output_name(self, column: str) -> str:
        """The column's name in an output file: a lab gets ``name[unit]`` with the UCUM code
        used (``alp[IU/L]`` is written ``alp[U/L]``; a units row's unit moves into the name)."""
        for name, source in self.inputs.items():
            if source == column and name in self.units:
                return f"{name}[{self.units[name]}]"
        return column


def table_format(path: str | Path) -> str:
    """'csv', 'tsv' or 'parquet', from the file name (``.gz`` allowed for text)."""
    name = Path(path).name.lower().removesuffix(".gz")
    for suffix, kind in ((".csv", "csv"), (".tsv", "tsv"), (".txt", "tsv"),
                         (".parquet", "parquet"), (".pq", "parquet")):
        if name.endswith(suffix):
            return kind
    raise TableError(f"{Path(path).name}: unknown table format; use .csv, .tsv or .parquet")


def make_layout(columns: list[str], units_row: dict[str, str] | None = None,
                comments: tuple[str, ...] = (), synthetic: bool = False) -> Layout:
    """Map column names (and an optional units row: column -> unit) to the inputs.

    Raises TableError naming the column when a unit is unknown, missing or given twice.
    """
    inputs: dict[str, str] = {}
    units: dict[str, str] = {}
    for column in columns:
        name, unit = _split_header(column)
        if name not in INPUT_COLUMNS:
            if name.lower() in INPUT_COLUMNS:
                raise TableError(f"column {column!r}: did you mean {name.lower()!r}? Input "
                                 "columns are lower case")
            continue
        if name in inputs:
            raise TableError(f"columns {inputs[name]!r} and {column!r} both give {name}")
        inputs[name] = column
        row_unit = (units_row or {}).get(column)
        if name not in BY_NAME or BY_NAME[name].kind != "quantity":
            if unit is not None or row_unit:
                raise TableError(f"column {column!r}: {name} is a category and has no unit")
            continue
        units[name] = _unit_of(column, name, unit, row_unit)
    for column, unit in (units_row or {}).items():
        if unit and _split_header(column)[0] not in units:
            raise TableError(f"units row: {column!r} is not a lab column, but has unit {unit!r}")
    return Layout(tuple(columns), inputs, units, comments, synthetic, bool(units_row))


def _split_header(column: str) -> tuple[str, str | None]:
    match = _HEADER_UNIT.match(column.strip())
    if match:
        return match["name"].strip(), match["unit"].strip()
    return column.strip(), None


def _unit_of(column: str, name: str, header_unit: str | None, row_unit: str | None) -> str:
    allowed = BY_NAME[name].units
    if header_unit is not None and row_unit:
        raise TableError(f"column {column!r}: unit given both in the name and the units row")
    unit = header_unit if header_unit is not None else row_unit
    if not unit:
        raise TableError(f"column {column!r}: no unit; name it {name}[{allowed[0]}] (one of "
                         f"{', '.join(allowed)}) or give it in a {UNITS_ROW_MARK} row")
    code = ucum_code(name, unit)
    if code is None:
        raise TableError(f"column {column!r}: {unit!r} is not a known unit of {name}; "
                         f"use one of {', '.join(allowed)}")
    return code


def raw_from_frame(frame: pd.DataFrame, layout: Layout
                   ) -> tuple[dict[str, np.ndarray], dict[int, dict[str, list[str]]]]:
    """The engine's raw table for a chunk, and cell problems found while parsing it."""
    n = len(frame)
    raw: dict[str, np.ndarray] = {}
    problems: dict[int, dict[str, list[str]]] = {}
    for name in _CATEGORY_INPUTS:
        column = layout.inputs.get(name)
        raw[name] = (_categories(frame[column]) if column is not None
                     else np.full(n, None, dtype=object))
    for feature in QUANTITIES:
        name, column = feature.name, layout.inputs.get(feature.name)
        if column is None:
            raw[name], raw[f"{name}_unit"] = np.full(n, np.nan), np.full(n, None, dtype=object)
            continue
        values, bad = _numbers(frame[column])
        for row in np.flatnonzero(bad):
            problems.setdefault(int(row), {})[f"{name}.value"] = [
                f"{frame[column].iloc[row]!r} is not a number"]
        raw[name] = values
        raw[f"{name}_unit"] = np.where(np.isnan(values), None, layout.units[name])
    return raw, problems


def _categories(series: pd.Series) -> np.ndarray:
    text = series.astype("str").str.strip()
    values = text.to_numpy(dtype=object, na_value=None)
    values[text.to_numpy(dtype=object, na_value="") == ""] = None
    return values


def _numbers(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Floats (NaN when missing) and a mask of cells that are given but not numbers."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
            series.dtype):
        return series.to_numpy(dtype=float, na_value=np.nan), np.zeros(len(series), bool)
    text = series.astype("str").str.strip()
    absent = pd.isna(series).to_numpy() | text.isin(NA_VALUES).to_numpy()
    values = pd.to_numeric(text.where(~absent), errors="coerce").to_numpy(
        dtype=float, na_value=np.nan)
    return values, ~absent & np.isnan(values)


def read_chunks(path: str | Path, chunksize: int = 50_000
                ) -> tuple[Layout, Iterator[pd.DataFrame], int | None]:
    """Open a table: its layout, an iterator of chunks, and the row count when known."""
    kind = table_format(path)
    if kind == "parquet":
        return _parquet_chunks(Path(path), chunksize)
    return _text_chunks(Path(path), chunksize, "," if kind == "csv" else "\t")


def _text_chunks(path: Path, chunksize: int, sep: str):
    import pyarrow as pa
    import pyarrow.csv as pacsv

    comments, header, units_row = _text_preamble(path, sep)
    # The units row's first cell holds the mark, so the first column cannot carry a unit there.
    units = dict(zip(header[1:], units_row[1:], strict=False)) if units_row else {}
    layout = make_layout(header, {c: u for c, u in units.items() if u} or None,
                         tuple(comments), any(SYNTHETIC_MARK in c for c in comments))
    try:
        reader = pacsv.open_csv(
            pa.input_stream(str(path), compression="detect"),
            read_options=pacsv.ReadOptions(skip_rows=len(comments), block_size=_BLOCK_BYTES,
                                           skip_rows_after_names=int(bool(units_row))),
            parse_options=pacsv.ParseOptions(delimiter=sep),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), null_values=list(NA_VALUES),
                strings_can_be_null=True, quoted_strings_can_be_null=True))
    except (OSError, pa.ArrowInvalid) as exc:
        raise TableError(f"cannot read {path.name}: {exc}") from None
    return layout, _chunks(reader, path, chunksize), None


def _chunks(reader, path: Path, chunksize: int) -> Iterator[pd.DataFrame]:
    """Cut the reader's blocks into chunks of ``chunksize`` rows (the last may be shorter)."""
    import pyarrow as pa

    pending = None
    while True:
        try:
            batch = pa.Table.from_batches([reader.read_next_batch()])
        except StopIteration:
            break
        except pa.ArrowInvalid as exc:
            raise TableError(f"{path.name}: {exc}") from None
        pending = batch if pending is None else pa.concat_tables([pending, batch])
        while pending.num_rows >= chunksize:
            yield pending.slice(0, chunksize).to_pandas()
            pending = pending.slice(chunksize)
    if pending is not None and pending.num_rows:
        yield pending.to_pandas()


def _text_preamble(path: Path, sep: str) -> tuple[list[str], list[str], list[str] | None]:
    """Leading comment lines, the header cells, and the units row's cells (if any)."""
    import gzip

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        # utf-8-sig: spreadsheets often start a CSV with a byte-order mark; Arrow skips it too.
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            comments, line = [], handle.readline()
            while line.startswith("#"):
                comments.append(line.rstrip("\r\n"))
                line = handle.readline()
            header = next(csv.reader([line], delimiter=sep), [])
            row = next(csv.reader([handle.readline()], delimiter=sep), [])
    except (OSError, UnicodeDecodeError) as exc:
        raise TableError(f"cannot read {path.name}: {exc}") from None
    if not header:
        raise TableError(f"{path.name}: no header line")
    units_row = row if row and row[0].strip() == UNITS_ROW_MARK else None
    if units_row is not None:
        units_row = [units_row[0], *(u.strip() for u in units_row[1:])]
    return comments, header, units_row


def _parquet_chunks(path: Path, chunksize: int):
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (OSError, ValueError) as exc:
        raise TableError(f"cannot read {path.name}: {exc}") from None
    metadata = parquet.schema_arrow.metadata or {}
    synthetic = metadata.get(PARQUET_SYNTHETIC_KEY, b"").lower() == b"true"
    layout = make_layout(list(parquet.schema_arrow.names), synthetic=synthetic)
    batches = (b.to_pandas() for b in parquet.iter_batches(batch_size=chunksize))
    return layout, batches, parquet.metadata.num_rows

"""Write a table chunk by chunk to CSV, TSV (optionally .gz) or Parquet, in flat memory.

Text is written by Arrow's CSV writer (strings quoted, missing values empty, booleans
``true``/``false``). A synthetic table says so in the file itself: a first line
``# SYNTHETIC: ...`` in text, the metadata key ``bmrisk.synthetic`` in Parquet.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from .tables import PARQUET_SYNTHETIC_KEY, SYNTHETIC_MARK, table_format


class TableWriter:
    """Append DataFrame chunks to a file (``"-"``: CSV on standard output).

    The first chunk fixes the columns and their types; later chunks are cast to them.
    """

    def __init__(self, path: str | Path, synthetic: bool = False, note: str = ""):
        self.stdout = str(path) == "-"
        self.path = Path(path)
        self.kind = "csv" if self.stdout else table_format(path)
        self.synthetic, self.note = synthetic, note
        self._sink = None
        self._writer = None
        self._schema = None

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def write(self, frame: pd.DataFrame) -> None:
        """Append a chunk."""
        import pyarrow as pa

        if self._writer is None:
            self._open(pa.Schema.from_pandas(frame, preserve_index=False).remove_metadata())
        table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
        self._writer.write_table(table.cast(self._schema))

    def _open(self, schema) -> None:
        import pyarrow as pa

        self._schema = schema
        if self.kind == "parquet":
            import pyarrow.parquet as pq

            if self.synthetic:
                schema = schema.with_metadata({PARQUET_SYNTHETIC_KEY: b"true",
                                               b"bmrisk.note": self.note.encode("utf-8")})
            self._writer = pq.ParquetWriter(self.path, schema)
            return
        import pyarrow.csv as pacsv

        self._sink = (pa.PythonFile(sys.stdout.buffer, mode="w") if self.stdout
                      else pa.output_stream(str(self.path), compression="detect"))
        if self.synthetic:
            self._sink.write(f"# {SYNTHETIC_MARK}: {self.note}\n".encode())
        options = pacsv.WriteOptions(delimiter="," if self.kind == "csv" else "\t")
        self._writer = pacsv.CSVWriter(self._sink, schema, write_options=options)

    def close(self) -> None:
        """Finish the file (standard output is flushed, not closed)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._sink is not None:
            if self.stdout:
                self._sink.flush()
            else:
                self._sink.close()
            self._sink = None

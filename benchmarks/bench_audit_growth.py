"""Does the audit's commit get slower as the audit table grows? SQLite, 0 to 1,000,000 rows.

Run: .venv/bin/python benchmarks/bench_audit_growth.py   (about two minutes; ~450 MB in /tmp)

The writer's own statement (one multi-row INSERT in autocommit, ``synchronous=FULL``: one
fsync per group) commits 300 groups of 5 rows, each row with a request id, a random response
hash (and a random patient HMAC in one row of three), as the service writes them: first on an
empty table, then after filling it to 100,000 and to 1,000,000 rows (in one transaction, not
timed). Prints the wall time and CPU time per group at each size, and their ratio to the empty
table's. Twice: with the service's own request ids (UUIDv7, ``new_id``: later ids sort later),
and with random ones, as a client sending its own X-Request-ID might.
A single connection: the service's workers, taking turns, also re-read the pages each time
the other has written (benchmarks/audit_syscalls.py counts those reads).
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from service.request_context import new_id
from service.storage import Storage, schema
from service.storage.writer import _Connection, _Insert

GROUPS, GROUP = 300, 5
SIZES = (100_000, 1_000_000)
FILL = 500  # rows per statement while filling
START = datetime(2026, 1, 1, tzinfo=UTC)


def audit_row(i: int, rng: random.Random, request_id: str) -> dict[str, Any]:
    return {"at": START + timedelta(seconds=i),
            "request_id": request_id, "channel": "api",
            "caller": "unauthenticated", "model_id": "lung-bm-literature",
            "model_version": "2.0.0", "model_sha256": "0" * 64, "rows": 1, "status": 200,
            "probability": 0.1234, "band": "moderate",
            "response_sha256": f"{rng.getrandbits(256):064x}",
            "patient_hmac": f"{rng.getrandbits(256):064x}" if i % 3 == 0 else None,
            "patient_key_id": None}


def main() -> int:
    rng = random.Random(20261130)
    for kind, ids in (("the service's own request ids (UUIDv7)", new_id),
                      ("random request ids (a client's own X-Request-ID)",
                       lambda: str(uuid.UUID(int=rng.getrandbits(128))))):
        print(f"\n== {kind}")
        grow(rng, ids)
    return 0


def grow(rng: random.Random, ids: Callable[[], str]) -> None:
    """Time groups on an empty table, then after filling it to each of ``SIZES``."""
    workdir = Path(tempfile.mkdtemp(prefix="bmrisk-audit-growth-"))
    try:
        storage = Storage(f"sqlite:///{workdir / 'audit.sqlite3'}", 2)
        schema.upgrade(storage.engine)
        insert = _Insert(storage.engine.dialect)
        writer = _Connection(storage.engine)
        written = 0

        def rows(n: int) -> list[Any]:
            return [v for k in range(n) for v in insert.values(audit_row(written + k, rng, ids()))]

        def timed() -> tuple[float, float]:
            nonlocal written
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(GROUPS):
                writer.execute(insert.sql(GROUP), rows(GROUP))
                written += GROUP
            return ((time.perf_counter() - wall) / GROUPS * 1e6,
                    (time.process_time() - cpu) / GROUPS * 1e6)

        base = timed()
        print(f"per group of {GROUP} rows, {GROUPS} groups each, SQLite synchronous=FULL")
        print(f"{'table rows':>12} {'wall us':>9} {'cpu us':>8} {'wall ratio':>11} "
              f"{'cpu ratio':>10}")
        print(f"{0:>12,} {base[0]:>9.0f} {base[1]:>8.0f} {1:>11.2f} {1:>10.2f}")
        for size in SIZES:
            raw = storage.engine.raw_connection()
            cursor = raw.cursor()
            cursor.execute("BEGIN")
            while written < size:
                cursor.execute(insert.sql(FILL), rows(FILL))
                written += FILL
            cursor.execute("COMMIT")
            raw.close()
            wall, cpu = timed()
            print(f"{size:>12,} {wall:>9.0f} {cpu:>8.0f} {wall / base[0]:>11.2f} "
                  f"{cpu / base[1]:>10.2f}", flush=True)
        writer.close()
        storage.engine.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

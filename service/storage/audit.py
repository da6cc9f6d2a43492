"""The audit trail's rows: write one, find them by time or patient, export and purge.

A patient reference is never stored in clear: only its HMAC-SHA256 under the site's key
(``patient_hmac``) and which key that was (``patient_key_id``), so a site can find the rows of
a reference it knows, and nobody can read references out of the table.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, select

from .tables import audit

COLUMNS = tuple(c.name for c in audit.columns if c.name != "id")


def key_id(key: str) -> str:
    """Which key hashed a reference: the first 12 hex of the key's SHA-256 (not the key)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def patient_hmac(reference: str, key: str) -> str:
    """The stored form of a patient reference: HMAC-SHA256 under the site's key, in hex."""
    return hmac.new(key.encode("utf-8"), reference.strip().encode("utf-8"),
                    hashlib.sha256).hexdigest()


def record(engine: Engine, row: Mapping[str, Any]) -> None:
    """Insert one audit row and commit it (raises SQLAlchemyError when that fails)."""
    with engine.begin() as connection:
        connection.execute(audit.insert(), dict(row))


def rows_between(engine: Engine, since: datetime, until: datetime) -> Iterator[dict[str, Any]]:
    """Audit rows with ``since <= at < until``, oldest first, streamed."""
    query = (select(*(audit.c[name] for name in COLUMNS))
             .where(audit.c.at >= since, audit.c.at < until).order_by(audit.c.at, audit.c.id))
    yield from _stream(engine, query)


def rows_of_patient(engine: Engine, reference: str, key: str) -> Iterator[dict[str, Any]]:
    """Audit rows of the patient ``reference`` stored under ``key``, oldest first."""
    query = (select(*(audit.c[name] for name in COLUMNS))
             .where(audit.c.patient_hmac == patient_hmac(reference, key))
             .order_by(audit.c.at, audit.c.id))
    yield from _stream(engine, query)


def purge(engine: Engine, days: int, now: datetime) -> int:
    """Delete rows older than ``days`` days before ``now``; how many were deleted."""
    with engine.begin() as connection:
        done = connection.execute(delete(audit).where(audit.c.at < now - timedelta(days=days)))
    return int(done.rowcount)


def _stream(engine: Engine, query: Any) -> Iterator[dict[str, Any]]:
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=1000).execute(query)
        for row in result.mappings():  # plain str keys (column names are a str subclass)
            yield {str(name): value for name, value in row.items()}

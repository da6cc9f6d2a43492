"""Group commit: rows from many threads all committed, each caller released only after its
row's transaction; a failed transaction fails every caller in it, and the next one works."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError

from service.storage import schema
from service.storage.settings import database_url as normalised
from service.storage.writer import GroupWriter

from .conftest import audit_rows


def row(ident: str) -> dict[str, object]:
    return {"at": datetime.now(UTC), "request_id": ident, "channel": "api", "caller": "test",
            "model_id": "m", "model_version": "1", "model_sha256": "0" * 64, "rows": 1,
            "status": 200, "probability": 0.5, "band": "high", "response_sha256": "1" * 64,
            "patient_hmac": None, "patient_key_id": None}


@pytest.fixture
def engine(database_url):
    engine = create_engine(normalised(database_url), pool_size=2)
    schema.upgrade(engine)
    yield engine
    engine.dispose()


def test_rows_written_at_once_from_many_threads_are_all_committed_once(engine, database_url):
    writer = GroupWriter(lambda: engine, wait_s=30)
    idents = [f"r{i}" for i in range(200)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda ident: writer.write(row(ident)), idents))
    assert sorted(r["request_id"] for r in audit_rows(database_url)) == sorted(idents)


def test_a_failed_transaction_fails_its_callers_and_the_next_one_commits(engine, database_url):
    writer = GroupWriter(lambda: engine, wait_s=30)
    with pytest.raises(SQLAlchemyError):
        writer.write({**row("bad"), "channel": None})  # NOT NULL: the database refuses it
    writer.write(row("good"))
    assert [r["request_id"] for r in audit_rows(database_url)] == ["good"]

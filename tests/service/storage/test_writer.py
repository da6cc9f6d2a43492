"""Group commit: rows from many threads all committed, each caller released only after its
row's transaction; a failed transaction fails every caller in it, and the next one works."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError

from service.storage import Storage, schema
from service.storage import audit as audit_store
from service.storage.settings import database_url as normalised
from service.storage.writer import AuditNotCommittedError, GroupWriter

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
    with pytest.raises(SQLAlchemyError) as refused:  # NOT NULL: the database refuses it
        writer.write({**row("bad"), "channel": None})
    assert "parameters hidden" in str(refused.value)  # SQLAlchemy's text adds no row values
    writer.write(row("good"))
    assert [r["request_id"] for r in audit_rows(database_url)] == ["good"]


def test_a_committed_row_reads_back_as_written_and_is_stored_as_core_stores_it(engine,
                                                                              database_url):
    """The writer converts values itself (the columns' bind processors): the stored form is
    SQLAlchemy Core's, so time-range queries and exports read both alike."""
    at = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
    written = {**row("writer"), "at": at, "probability": 0.1234, "band": "low",
               "patient_hmac": "a" * 64, "patient_key_id": "b" * 12}
    audit_store.record(engine, {**written, "request_id": "core"})
    GroupWriter(lambda: engine, wait_s=30).write(written)
    core, stored = audit_rows(database_url)
    assert {k: v for k, v in stored.items() if k != "id"} == {
        **{k: v for k, v in core.items() if k != "id"}, "request_id": "writer"}
    assert {k: v for k, v in stored.items() if k not in ("id", "at")} == {
        k: v for k, v in written.items() if k != "at"}
    with engine.connect() as connection:  # the stored form itself, without Core's reading
        raw = connection.exec_driver_sql("SELECT at FROM audit ORDER BY id").scalars().all()
    assert raw[0] == raw[1]
    found = audit_store.rows_between(engine, at, at + timedelta(microseconds=1))
    assert sorted(r["request_id"] for r in found) == ["core", "writer"]


@pytest.mark.parametrize("held", ["bmrisk.sqlite3-audit-lock", "bmrisk.sqlite3-audit-lock-turn"])
def test_an_sqlite_writer_commits_only_after_the_lock_and_the_turn_beside_the_database(
        tmp_path, held):
    """The writers of all processes on one SQLite file take turns through a flock on
    ``<database>-audit-lock``, reached through a turnstile (``...-turn``); one that finds
    either taken waits (here: for this test's)."""
    database = tmp_path / "bmrisk.sqlite3"
    storage = Storage(f"sqlite:///{database}", 2)
    schema.upgrade(storage.engine)
    lock_file = tmp_path / held
    lock_file.touch()
    other = os.open(lock_file, os.O_RDWR)  # another open file: as another process's writer
    fcntl.flock(other, fcntl.LOCK_EX)
    try:
        waiting = threading.Thread(target=storage.audit_writer.write, args=(row("after"),))
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive()
        assert audit_rows(f"sqlite:///{database}") == []
    finally:
        fcntl.flock(other, fcntl.LOCK_UN)
        os.close(other)
    waiting.join(10)
    assert not waiting.is_alive()
    assert [r["request_id"] for r in audit_rows(f"sqlite:///{database}")] == ["after"]
    storage.engine.dispose()


def test_a_lock_file_that_cannot_be_opened_fails_the_write_and_the_writer_lives_on(tmp_path):
    database = tmp_path / "bmrisk.sqlite3"
    engine = create_engine(f"sqlite:///{database}")
    schema.upgrade(engine)
    writer = GroupWriter(lambda: engine, wait_s=30, lock_path=str(tmp_path / "gone" / "lock"))
    with pytest.raises(AuditNotCommittedError, match="lock file"):
        writer.write(row("refused"))
    (tmp_path / "gone").mkdir()
    writer.write(row("accepted"))
    assert [r["request_id"] for r in audit_rows(f"sqlite:///{database}")] == ["accepted"]
    engine.dispose()


def test_a_row_that_waits_too_long_fails_is_never_committed_and_the_writer_goes_on(tmp_path):
    """The caller committing a group (its leader) is stuck on the host lock: a row queued
    behind it gives up after ``wait_s`` (the service's 503) and is dropped from the queue, so
    no row is stored for an answer that was refused; the leader's own row and later rows are
    committed once the lock is free."""
    database = tmp_path / "bmrisk.sqlite3"
    engine = create_engine(f"sqlite:///{database}")
    schema.upgrade(engine)
    lock_file = tmp_path / "lock"
    writer = GroupWriter(lambda: engine, wait_s=0.3, lock_path=str(lock_file))
    lock_file.touch()
    other = os.open(lock_file, os.O_RDWR)
    fcntl.flock(other, fcntl.LOCK_EX)
    try:
        leader = threading.Thread(target=writer.write, args=(row("leader"),))
        leader.start()
        time.sleep(0.1)  # the leader is now waiting for the lock
        with pytest.raises(AuditNotCommittedError, match="in time"):
            writer.write(row("gave up"))
    finally:
        fcntl.flock(other, fcntl.LOCK_UN)
        os.close(other)
    leader.join(10)
    writer.write(row("later"))
    assert [r["request_id"] for r in audit_rows(f"sqlite:///{database}")] == ["leader", "later"]
    engine.dispose()


def test_a_waiting_row_becomes_the_next_leader_when_a_group_ends(engine, database_url):
    """Rows queued while a group commits are committed by one of their own callers next: no
    thread of the writer's own, and none is left waiting."""
    writer = GroupWriter(lambda: engine, wait_s=5)
    before = threading.active_count()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: [writer.write(row(f"{i}-{n}")) for n in range(25)], range(8)))
        assert threading.active_count() == before + 8  # the pool's threads, no writer thread
    writer.write(row("after"))  # the lead was handed back: a lone row commits at once
    assert len(audit_rows(database_url)) == 201

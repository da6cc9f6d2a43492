"""Group commit of audit rows: many request threads, one writer thread and one transaction per
group, per process.

A request hands its row to the writer and waits until the transaction holding it is committed
(or has failed): the answer still leaves only after its row is durable, but concurrent requests
share one commit (one fsync, one round trip) instead of queueing for one each.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from .tables import audit

_MAX_GROUP = 500  # rows per transaction at most (a burst is committed in a few groups)


class AuditNotCommittedError(SQLAlchemyError):
    """The writer did not confirm the row in time: treat as the database being unavailable."""


class _Pending:
    __slots__ = ("done", "error", "row")

    def __init__(self, row: Mapping[str, Any]):
        self.row, self.error, self.done = dict(row), None, threading.Event()


class GroupWriter:
    """Commit rows handed in by any thread, in groups, from one writer thread per process."""

    def __init__(self, engine: Callable[[], Engine], wait_s: float):
        self._engine, self._wait_s = engine, wait_s
        self._queue: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._connection: Connection | None = None  # the writer thread's own, kept open

    def write(self, row: Mapping[str, Any]) -> None:
        """Return once ``row`` is committed; raise SQLAlchemyError if it was not."""
        self._start()
        pending = _Pending(row)
        self._queue.put(pending)
        if not pending.done.wait(self._wait_s):
            raise AuditNotCommittedError("the audit writer did not commit in time")
        if pending.error is not None:
            raise pending.error

    def _start(self) -> None:
        """A writer thread in this process (threads do not survive gunicorn's fork)."""
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                self._queue = queue.SimpleQueue()  # a forked copy may hold the parent's rows
                self._connection = None  # and the parent's connection is the parent's
                threading.Thread(target=self._run, name="audit-writer", daemon=True).start()
                self._pid = os.getpid()

    def _run(self) -> None:
        while True:
            group = [self._queue.get()]
            while len(group) < _MAX_GROUP:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._commit(group)

    def _commit(self, group: list[_Pending]) -> None:
        error: SQLAlchemyError | None = None
        try:
            self._insert([pending.row for pending in group])
        except SQLAlchemyError as exc:
            error = exc
            self._drop_connection()
        for pending in group:
            pending.error = error
            pending.done.set()

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        """One transaction. PostgreSQL: one multi-row INSERT in autocommit, so one round trip
        (SQLAlchemy renders executemany as INSERT ... VALUES (...), (...)); SQLite: BEGIN, the
        rows, COMMIT (its autocommit would commit, and sync, each row on its own)."""
        if self._connection is None:
            engine = self._engine()
            connection = engine.connect()
            if engine.dialect.name != "sqlite":
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            self._connection = connection
        if self._connection.dialect.name == "sqlite":
            with self._connection.begin():
                self._connection.execute(audit.insert(), rows)
        else:
            self._connection.execute(audit.insert(), rows)

    def _drop_connection(self) -> None:
        """After a failure, the next group starts from a fresh (pinged) pooled connection."""
        if self._connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._connection.invalidate()
                self._connection.close()
            self._connection = None

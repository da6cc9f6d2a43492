"""Group commit of audit rows: many request threads, one writer thread and one transaction per
group, per process.

A request hands its row to the writer and waits until the transaction holding it is committed
(or has failed): the answer still leaves only after its row is durable, but concurrent requests
share one commit (one fsync, one round trip) instead of queueing for one each.

The writer is on the path of every scored request, so it does little while its callers wait
(measured: benchmarks/README.md, "Audit trail"):

- One statement per group: a multi-row ``INSERT ... VALUES (...), (...)`` on the writer's own
  DBAPI connection, in autocommit, so the statement is the transaction (atomic, and durable
  when it returns: SQLite ``synchronous=FULL``, PostgreSQL's fsync'd commit). It is the only
  call that waits (PostgreSQL: one round trip; SQLite: one step instead of BEGIN, INSERT and
  COMMIT, after each of which the writer would wait for the GIL again). The request threads
  convert their own rows' values with the columns' SQLAlchemy bind processors, so the stored
  form is Core's.
- SQLite: the writers of all processes on one file (gunicorn's workers, or two services) take
  turns through an exclusive ``flock`` on ``<database>-audit-lock``, reached through a
  turnstile (``_HostLock``). A writer that finds it taken sleeps in the kernel and wakes the
  moment it is free, while its rows keep queueing into a larger group. Without it, they met
  on SQLite's write lock, whose busy handler polls with sleeps of 1, 2, 5, 10 ... ms:
  measured, a group's insert took 0.2 ms at the median but 36-55 ms at the 99th percentile.
  Other SQLite writers (feedback, JWT ids, purge) still wait through the busy timeout.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import threading
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import Dialect, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from .tables import audit

_MAX_GROUP = 500  # rows per transaction at most (a burst is committed in a few groups)
_COLUMNS = tuple(column for column in audit.columns if column.name != "id")


class AuditNotCommittedError(SQLAlchemyError):
    """The writer did not confirm the row in time: treat as the database being unavailable."""


class _Pending:
    """A row's values waiting for their transaction; ``done`` is held until there is an
    outcome (a bare lock is cheaper to wait on and to release than an Event)."""

    __slots__ = ("done", "error", "values")

    def __init__(self, values: tuple[Any, ...]):
        self.values, self.error, self.done = values, None, threading.Lock()
        self.done.acquire()


class GroupWriter:
    """Commit rows handed in by any thread, in groups, from one writer thread per process.

    ``lock_path``: for an SQLite file, the file whose ``flock`` takes the writers of every
    process on this host in turn (None: no such lock, as for PostgreSQL).
    """

    def __init__(self, engine: Callable[[], Engine], wait_s: float,
                 lock_path: str | None = None):
        self._engine, self._wait_s, self._lock_path = engine, wait_s, lock_path
        self._queue: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._insert: _Insert | None = None
        self._connection: _Connection | None = None  # the writer thread's own, kept open

    def write(self, row: Mapping[str, Any]) -> None:
        """Return once ``row`` is committed; raise SQLAlchemyError if it was not."""
        self._start()
        pending = _Pending(self._insert.values(row))  # converted here, not in the writer
        self._queue.put(pending)
        if not pending.done.acquire(timeout=self._wait_s):
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
                self._insert = _Insert(self._engine().dialect)
                threading.Thread(target=self._run, name="audit-writer", daemon=True).start()
                self._pid = os.getpid()

    def _run(self) -> None:
        host_lock = _HostLock(self._lock_path) if self._lock_path else contextlib.nullcontext()
        while True:
            group = [self._queue.get()]
            error = self._commit(group, host_lock)
            for pending in group:
                pending.error = error
                pending.done.release()

    def _commit(self, group: list[_Pending],
                host_lock: contextlib.AbstractContextManager[Any]) -> Exception | None:
        """Add the rows waiting now to ``group``, insert and commit them in one transaction;
        the error if that failed (the thread itself never stops)."""
        try:
            with host_lock:  # while it waits, rows keep queueing into this group
                while len(group) < _MAX_GROUP:
                    try:
                        group.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                if self._connection is None:
                    self._connection = _Connection(self._engine())
                self._connection.execute(
                    self._insert.sql(len(group)),
                    [value for pending in group for value in pending.values])
        except OSError as exc:  # the lock file: a database folder that cannot be written to
            return AuditNotCommittedError(f"the audit lock file cannot be used: {exc}")
        except Exception as exc:  # handed to the callers, who raise it
            self._drop_connection()
            return exc
        return None

    def _drop_connection(self) -> None:
        """After a failure, the next group starts from a fresh (pinged) pooled connection."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class _Insert:
    """The audit INSERT in one dialect: a row's values, converted by the columns' own
    SQLAlchemy bind processors (as Core would), and the statement for ``n`` rows."""

    def __init__(self, dialect: Dialect):
        self._convert = tuple((column.name, column.type.dialect_impl(dialect)
                               .bind_processor(dialect)) for column in _COLUMNS)
        quote = dialect.identifier_preparer
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self._head = (f"INSERT INTO {quote.format_table(audit)} "
                      f"({', '.join(quote.format_column(column) for column in _COLUMNS)}) "
                      "VALUES ")
        self._one = "(" + ", ".join([mark] * len(_COLUMNS)) + ")"
        self.sql = lru_cache(maxsize=64)(self._sql)  # group sizes repeat

    def values(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(convert(row[name]) if convert else row[name]
                     for name, convert in self._convert)

    def _sql(self, n: int) -> str:
        return self._head + ", ".join([self._one] * n)


class _Connection:
    """A pooled DBAPI connection kept open by the writer, in autocommit.

    Autocommit: the one INSERT is the transaction (atomic, and durable when it returns, as
    after a COMMIT) and the only call that waits: for PostgreSQL one round trip, for SQLite one
    step instead of three (BEGIN, INSERT, COMMIT), each of which would let the request threads
    take the GIL and make the writer wait to get it back.
    """

    def __init__(self, engine: Engine):
        self._error = engine.dialect.loaded_dbapi.Error
        # engine.connect(), not raw_connection(): it raises a failure to connect as
        # SQLAlchemy's OperationalError (the service's 503), not as the driver's own error.
        self._connection = engine.connect()
        try:
            driver: Any = self._connection.connection.driver_connection
            if engine.dialect.name == "sqlite":
                driver.isolation_level = None
            else:
                driver.autocommit = True
            self._cursor = self._connection.connection.cursor()
        except self._error as exc:
            self.close()
            raise DBAPIError.instance(None, None, exc, self._error) from exc

    def execute(self, sql: str, values: list[Any]) -> None:
        """Run ``sql``; a DBAPI error is raised as SQLAlchemy's DBAPIError (values hidden)."""
        try:
            self._cursor.execute(sql, values)
        except self._error as exc:
            raise DBAPIError.instance(sql, values, exc, self._error,
                                      hide_parameters=True) from exc

    def close(self) -> None:
        """Discard the connection (it may be broken): the pool opens a new one next time."""
        with contextlib.suppress(Exception):
            self._connection.invalidate()
            self._connection.close()


class _HostLock:
    """An exclusive ``flock`` on a lock file, held around each group's transaction, taken in
    turns: a writer first passes a turnstile (``flock`` on ``<lock file>-turn``), takes the
    lock, then lets the turnstile go.

    The turnstile makes the writers alternate when both have rows: one that has just let the
    lock go, and has more rows at once, finds the turnstile held by the writer waiting for the
    lock, instead of taking the lock again before that writer has even been woken (flock hands
    nothing over). Without it one worker could starve the other, whose requests all waited.

    Opened by the writer thread, so after gunicorn's fork: a descriptor inherited across a fork
    would share its lock with the parent's.
    """

    def __init__(self, path: str):
        self._paths, self._fds = (f"{path}-turn", path), (-1, -1)

    def __enter__(self) -> None:
        if self._fds[1] < 0:
            turn = _open(self._paths[0])
            try:
                self._fds = (turn, _open(self._paths[1]))
            except OSError:
                os.close(turn)
                raise
        turn, lock = self._fds
        fcntl.flock(turn, fcntl.LOCK_EX)  # each waits in the kernel, without the GIL
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
        finally:
            fcntl.flock(turn, fcntl.LOCK_UN)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._fds[1], fcntl.LOCK_UN)


def _open(path: str) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)

"""Group commit of audit rows: many request threads, one transaction per group, per process,
committed by one of the group's own callers.

A request adds its row to the queue and waits until the transaction holding it is committed
(or has failed): the answer still leaves only after its row is durable, but concurrent requests
share one commit (one fsync, one round trip) instead of queueing for one each.

Leader and followers: a request that finds no group being committed commits the queue itself
(its own row first), at once; rows queued meanwhile wait, and when the group ends, the first of
them is woken to commit them all as the next group. No thread of the writer's own: handing every
row to one and waking each caller back cost a worker two more thread switches per request, and
the switches (not the database) were most of the audit's cost (benchmarks/README.md, "Audit
trail"). A caller that gives up waiting (``wait_s``, answered 503) takes its row out of the
queue if no group has taken it yet; one already taken may still be stored. So an answer given
always has its row, and a refused one may have one.

The commit is on the path of every scored request, so it does little while its callers wait:

- One statement per group: a multi-row ``INSERT ... VALUES (...), (...)`` on the writer's own
  DBAPI connection, in autocommit, so the statement is the transaction (atomic, and durable
  when it returns: SQLite ``synchronous=FULL``, PostgreSQL's fsync'd commit). It is the only
  call that waits (PostgreSQL: one round trip; SQLite: one step instead of BEGIN, INSERT and
  COMMIT, after each of which the leader would wait for the GIL again). Each request thread
  converts its own row's values with the columns' SQLAlchemy bind processors, so the stored
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
import threading
import weakref
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Dialect, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from .tables import audit

_MAX_GROUP = 500  # rows per transaction at most (a burst is committed in a few groups)
_COLUMNS = tuple(column for column in audit.columns if column.name != "id")


class AuditNotCommittedError(SQLAlchemyError):
    """The writer did not confirm the row in time: treat as the database being unavailable."""


class _Pending:
    """A row's values waiting for their transaction. ``done`` is held until the row has an
    outcome, or until its thread is made the next leader (``lead``); a bare lock is cheaper to
    wait on and to release than an Event."""

    __slots__ = ("done", "error", "lead", "values")

    def __init__(self, values: tuple[Any, ...]):
        self.values, self.error, self.lead, self.done = values, None, False, threading.Lock()
        self.done.acquire()


class GroupWriter:
    """Commit rows handed in by any thread, in groups, each group by one of the callers.

    ``lock_path``: for an SQLite file, the file whose ``flock`` takes the writers of every
    process on this host in turn (None: no such lock, as for PostgreSQL).
    """

    def __init__(self, engine: Callable[[], Engine], wait_s: float,
                 lock_path: str | None = None):
        self._engine, self._wait_s, self._lock_path = engine, wait_s, lock_path
        self._pid: int | None = None
        self._lock = threading.Lock()  # guards _waiting and _leading
        self._waiting: list[_Pending] = []
        self._leading = False  # a caller is committing a group (its own row among them)
        self._insert: _Insert | None = None
        self._connection: _Connection | None = None  # the leaders' own, kept open
        self._host_lock: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()

    def write(self, row: Mapping[str, Any]) -> None:
        """Return once ``row`` is committed; raise SQLAlchemyError if it was not."""
        self._start()
        pending = _Pending(self._insert.values(row))  # converted here, not by the leader
        with self._lock:
            self._waiting.append(pending)
            lead, self._leading = not self._leading, True
        if not lead and not pending.done.acquire(timeout=self._wait_s):
            self._give_up(pending)  # returns only if this thread was just made the leader
        if lead or pending.lead:
            self._lead(pending)
        if pending.error is not None:
            raise pending.error

    def _start(self) -> None:
        """This process's own state (a forked copy may hold the parent's rows, connection and
        lock file)."""
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                self._waiting, self._leading, self._connection = [], False, None
                self._insert = _Insert(self._engine().dialect)
                self._host_lock = (_HostLock(self._lock_path) if self._lock_path
                                   else contextlib.nullcontext())
                self._pid = os.getpid()

    def _give_up(self, pending: _Pending) -> None:
        """``pending`` waited too long: raise, unless its thread was made the leader meanwhile
        (then the rows behind it depend on it, and it leads)."""
        with self._lock:
            if pending.lead:
                return
            if pending in self._waiting:  # not yet taken into a group: it never will be
                self._waiting.remove(pending)
        raise AuditNotCommittedError("the audit row was not committed in time")

    def _lead(self, own: _Pending) -> None:
        """Commit the rows waiting now (``own`` first among them) in one transaction, give each
        caller its outcome, and make the first row still waiting the next leader."""
        group: list[_Pending] = []
        error: Exception | None = AuditNotCommittedError("the audit writer stopped")
        try:
            error = self._commit(group)
        finally:
            with self._lock:
                if not group:  # failed before taking its group: the group fails with it
                    self._take(group)
                successor = self._waiting[0] if self._waiting else None
                if successor is None:
                    self._leading = False
                else:
                    successor.lead = True
            for pending in group:
                pending.error = error
                if pending is not own:
                    pending.done.release()
            if successor is not None:
                successor.done.release()

    def _commit(self, group: list[_Pending]) -> Exception | None:
        """Fill ``group`` with the rows waiting once the host lock is held, insert and commit
        them in one transaction; the error if that failed (handed to every caller)."""
        try:
            with self._host_lock:  # while it waits, rows keep queueing into this group
                with self._lock:
                    self._take(group)
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

    def _take(self, group: list[_Pending]) -> None:
        """Move the rows waiting (at most ``_MAX_GROUP``) into ``group``; hold ``_lock``."""
        group.extend(self._waiting[:_MAX_GROUP])
        del self._waiting[:_MAX_GROUP]

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
    """A DBAPI connection taken from the pool and kept open by the writer, in autocommit.

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
        driver: Any = self._connection.connection.driver_connection
        # Out of the pool for good: it is never handed to anyone else in autocommit, and is
        # closed with this object (by the process that opened it: not by a forked copy).
        self._connection.detach()
        weakref.finalize(self, _close_in, os.getpid(), self._connection)
        try:
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
        """Close the connection (it may be broken); the next one comes from the pool."""
        _close_in(os.getpid(), self._connection)


class _HostLock:
    """An exclusive ``flock`` on a lock file, held around each group's transaction, taken in
    turns: a writer first passes a turnstile (``flock`` on ``<lock file>-turn``), takes the
    lock, then lets the turnstile go.

    The turnstile makes the writers alternate when both have rows: one that has just let the
    lock go, and has more rows at once, finds the turnstile held by the writer waiting for the
    lock, instead of taking the lock again before that writer has even been woken (flock hands
    nothing over). Without it one worker could starve the other, whose requests all waited.

    Made per process (``GroupWriter._start``) and opened at its first group, so after gunicorn's
    fork: a descriptor inherited across a fork would share its lock with the parent's.
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


def _close_in(pid: int, connection: Connection) -> None:
    if os.getpid() == pid:
        with contextlib.suppress(Exception):
            connection.close()


def _open(path: str) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)

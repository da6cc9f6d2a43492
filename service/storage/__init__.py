"""The service's database: one SQLAlchemy engine per process, on SQLite or PostgreSQL.

Default: an SQLite file in the instance folder, migrated at boot, so ``make serve`` needs
nothing else. Production: PostgreSQL through ``BMRISK_DATABASE_URL`` (psycopg 3), migrated by
``bmrisk-admin db upgrade``; a service whose schema is behind refuses to start.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from service.config import ConfigError

from . import schema
from .settings import SETTINGS, is_sqlite
from .writer import GroupWriter

__all__ = ["SETTINGS", "Storage", "current", "init_app", "open_storage"]
EXTENSION = "bmrisk.storage"
# A scoring request waits at most this long for a pooled connection, and a new connection this
# long for the server: past it the request answers 503 rather than queueing behind an outage.
_POOL_TIMEOUT_S, _CONNECT_TIMEOUT_S = 5, 3
_SQLITE_BUSY_MS = 5_000  # wait this long for another worker's write before failing


class Storage:
    """The engine of one database; a forked process (gunicorn worker) gets its own pool."""

    def __init__(self, url: str, pool_size: int):
        self.url = url
        self.is_sqlite = is_sqlite(url)
        self._engine = _engine(url, pool_size)
        self._pid = os.getpid()
        self._lock = threading.Lock()
        # A request waits for its audit row as long as for a pooled connection and a write.
        self.audit_writer = GroupWriter(lambda: self.engine, _POOL_TIMEOUT_S * 2,
                                        lock_path=_writer_lock_path(url))

    @property
    def engine(self) -> Engine:
        """This process's engine (connections are never shared across a fork)."""
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._engine.dispose(close=False)  # the parent's sockets stay the parent's
                    self._pid = os.getpid()
        return self._engine

    def reachable(self) -> bool:
        """Whether the database answers a trivial query now."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def shown_url(self) -> str:
        """The URL without its password, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)


def open_storage(config: dict[str, Any], instance_path: str | None = None) -> Storage:
    """The storage the settings name (default: ``<instance_path>/bmrisk.sqlite3``)."""
    url = config["DATABASE_URL"]
    if url is None:
        folder = Path(instance_path or "instance")
        folder.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{folder / 'bmrisk.sqlite3'}"
    elif is_sqlite(url) and make_url(url).database:
        Path(make_url(url).database).parent.mkdir(parents=True, exist_ok=True)
    return Storage(url, config["DATABASE_POOL_SIZE"])


def init_app(app: Flask) -> None:
    """Open the database, migrate SQLite or check a server's schema; refuse to start if behind."""
    storage = open_storage(app.config, app.instance_path)
    try:
        if storage.is_sqlite:
            schema.upgrade(storage.engine)
        else:
            schema.check(storage.engine)
    except schema.SchemaBehindError as exc:
        raise ConfigError(f"refusing to start: {exc}") from None
    except SQLAlchemyError as exc:
        raise ConfigError(f"refusing to start: the database {storage.shown_url()} cannot be "
                          f"used ({type(exc).__name__}); check BMRISK_DATABASE_URL") from None
    finally:
        storage.engine.dispose()  # the master keeps no connection for the workers to inherit
    app.extensions[EXTENSION] = storage


def current() -> Storage:
    """The current app's storage."""
    storage: Storage = current_app.extensions[EXTENSION]
    return storage


def _writer_lock_path(url: str) -> str | None:
    """The lock file that takes the audit writers of an SQLite file in turn: beside it (its
    folder is writable, as SQLite's own -wal and -shm files need). None: not a shared file."""
    database = make_url(url).database if is_sqlite(url) else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return f"{database}-audit-lock"


def _engine(url: str, pool_size: int) -> Engine:
    if is_sqlite(url):
        engine = create_engine(url, pool_size=pool_size, pool_timeout=_POOL_TIMEOUT_S,
                               connect_args={"check_same_thread": False,
                                             "timeout": _SQLITE_BUSY_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pre_ping: a connection that died with the server is replaced, not handed to a request,
    # so the service recovers by itself when the database returns.
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size,
                         pool_timeout=_POOL_TIMEOUT_S, pool_pre_ping=True,
                         connect_args={"connect_timeout": _CONNECT_TIMEOUT_S})


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """WAL (readers never block the writer), a busy wait, and FULL sync: a committed audit row
    survives a power cut, not only a crash of the service."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()

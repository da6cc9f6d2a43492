"""The CDS Hooks database: an embedded SQLite file holding card feedback and seen JWT ids.

One connection per request (opened and closed around each use), WAL journal and a busy timeout,
so the gunicorn workers can write at the same time; the schema is created at boot.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    service_id TEXT NOT NULL,
    card TEXT NOT NULL,
    outcome TEXT NOT NULL,
    accepted_suggestions TEXT NOT NULL,
    reason_system TEXT,
    reason_code TEXT,
    reason_display TEXT,
    user_comment TEXT,
    outcome_timestamp TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_by_service ON feedback (service_id, outcome);
-- A retried post stores nothing new: one row per (card, outcome, outcome time). Older files
-- may hold duplicates, which are dropped before the unique index is built.
DELETE FROM feedback WHERE id NOT IN (SELECT MIN(id) FROM feedback
    GROUP BY service_id, card, outcome, outcome_timestamp);
CREATE UNIQUE INDEX IF NOT EXISTS feedback_once
    ON feedback (service_id, card, outcome, outcome_timestamp);
CREATE TABLE IF NOT EXISTS seen_jwt (
    issuer TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, jti)
);
"""
_BUSY_MS = 10_000  # wait this long for another worker's write instead of failing


def init(path: str | Path) -> None:
    """Create the folder, the database (WAL journal) and its tables if they do not exist."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with closing(_open(path)) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(_SCHEMA)


@contextmanager
def connection(path: str | Path) -> Iterator[sqlite3.Connection]:
    """A connection in autocommit mode (each statement its own transaction), then closed."""
    db = _open(path)
    try:
        yield db
    finally:
        db.close()


def _open(path: str | Path) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), timeout=_BUSY_MS / 1000, isolation_level=None)
    db.execute(f"PRAGMA busy_timeout={_BUSY_MS}")
    return db

"""The storage settings: where the database is, how many connections, the audit's key and age."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from service.config import Setting, count, whole

_MIN_KEY_CHARS = 32


def is_sqlite(url: str) -> bool:
    """Whether ``url`` names an SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def database_url(value: str) -> str | None:
    """An SQLite or PostgreSQL URL; PostgreSQL always through psycopg 3. Empty means unset."""
    value = value.strip()
    if not value:
        return None
    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError("is not a database URL (postgresql://user@host/db or "
                         "sqlite:////path/file.sqlite3)") from None
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if backend != "sqlite":
        raise ValueError(f"{backend!r} is not supported: use postgresql:// or sqlite://")
    return value


def audit_key(value: str) -> str | None:
    """A site secret of at least 32 characters. Empty means unset."""
    value = value.strip()
    if value and len(value) < _MIN_KEY_CHARS:
        raise ValueError(f"must be at least {_MIN_KEY_CHARS} characters "
                         "(e.g. `openssl rand -hex 32`)")
    return value or None


def switch(value: str) -> bool:
    """on/off (also true/false, 1/0, yes/no)."""
    word = value.strip().lower()
    if word in {"on", "true", "1", "yes"}:
        return True
    if word in {"off", "false", "0", "no"}:
        return False
    raise ValueError("must be on or off")


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", None, database_url,
            "Database of the audit trail, card feedback and seen JWT ids: "
            "postgresql://user:password@host/db (psycopg 3; schema by `bmrisk-admin db "
            "upgrade`) or sqlite:////path/file.sqlite3 (migrated at boot). Default: "
            "<instance folder>/bmrisk.sqlite3."),
    Setting("DATABASE_POOL_SIZE", 4, whole,
            "Database connections each worker process keeps for its requests (PostgreSQL may "
            "open as many again under bursts); the audit's group commits have one of their "
            "own. Pool and burst together: at least BMRISK_THREADS."),
    Setting("AUDIT", True, switch,
            "on: every score is written to the audit trail before its response is sent. off: "
            "no audit (benchmarks only; said loudly at boot)."),
    Setting("AUDIT_KEY", None, audit_key,
            "Site secret (32+ characters) under which patient references are stored, as "
            "HMAC-SHA256 only. Unset: no patient reference is stored at all."),
    Setting("AUDIT_DAYS", 0, count,
            "Days audit rows are kept; `bmrisk-admin audit purge` deletes older ones. "
            "0: kept until purged with --days."),
)

"""Seen JWT ids: each accepted once, by whichever replica sees it first, until it expires."""

from __future__ import annotations

from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError

from .tables import seen_jwt


def remember_once(engine: Engine, issuer: str, jti: str, expires_at: int, now: int) -> bool:
    """Record ``jti`` of ``issuer``; False when it was already recorded (a replay).

    Ids expired before ``now`` are deleted first: the table holds only live tokens.
    """
    with engine.begin() as connection:
        connection.execute(delete(seen_jwt).where(seen_jwt.c.expires_at < now))
    try:
        with engine.begin() as connection:
            connection.execute(seen_jwt.insert(),
                               {"issuer": issuer, "jti": jti, "expires_at": expires_at})
    except IntegrityError:
        return False
    return True

"""The service's tables (SQLAlchemy Core): the audit trail, card feedback and seen JWT ids.

The migrations in ``migrations/versions`` create exactly these; a test compares the two.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Float,
    Index,
    Insert,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql, sqlite

metadata = MetaData()
# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
_ID = BigInteger().with_variant(Integer(), "sqlite")

# One row per scoring request, committed before its response is sent. No feature value and no
# patient reference in clear: only an HMAC of the reference under the site's key.
audit = Table(
    "audit", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("request_id", String(128), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("caller", String(300), nullable=False),
    Column("model_id", String(100), nullable=False),
    Column("model_version", String(50), nullable=False),
    Column("model_sha256", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("status", SmallInteger, nullable=False),
    Column("probability", Float),
    Column("band", String(32)),
    Column("response_sha256", String(64), nullable=False),
    Column("patient_hmac", String(64)),
    Column("patient_key_id", String(12)),
    Index("audit_by_time", "at"),
    Index("audit_by_request", "request_id"),
    Index("audit_by_patient", "patient_hmac"),
)

# What a clinician did with a card. One row per (card, outcome, time): an EHR that sends the same
# feedback again (a retry) stores nothing twice.
feedback = Table(
    "feedback", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("service_id", String(100), nullable=False),
    Column("card", String(200), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("accepted_suggestions", Text, nullable=False),
    Column("reason_system", String(500)),
    Column("reason_code", String(200)),
    Column("reason_display", String(500)),
    Column("user_comment", Text),
    Column("outcome_timestamp", String(40), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("caller", String(300), nullable=False),
    UniqueConstraint("card", "outcome", "outcome_timestamp", name="feedback_once"),
    Index("feedback_by_service", "service_id", "outcome"),
)

def insert_once(engine: Engine, table: Table, unique: list[str]) -> Insert:
    """An INSERT that skips a row whose ``unique`` columns are already stored, and returns the
    ids it inserted (rowcount is not reliable for this on every driver)."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    return (dialect.insert(table).on_conflict_do_nothing(index_elements=unique)
            .returning(*table.primary_key.columns))


# JWT ids already accepted, until they expire: a token is accepted once, by any replica.
seen_jwt = Table(
    "seen_jwt", metadata,
    Column("issuer", String(500), primary_key=True),
    Column("jti", String(500), primary_key=True),
    Column("expires_at", BigInteger, nullable=False),
    Index("seen_jwt_by_expiry", "expires_at"),
)

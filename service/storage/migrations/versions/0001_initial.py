"""The audit trail, card feedback (once per card, outcome and time) and seen JWT ids.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("caller", sa.String(300), nullable=False),
        sa.Column("model_id", sa.String(100), nullable=False),
        sa.Column("model_version", sa.String(50), nullable=False),
        sa.Column("model_sha256", sa.String(64), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("status", sa.SmallInteger, nullable=False),
        sa.Column("probability", sa.Float),
        sa.Column("band", sa.String(32)),
        sa.Column("response_sha256", sa.String(64), nullable=False),
        sa.Column("patient_hmac", sa.String(64)),
        sa.Column("patient_key_id", sa.String(12)),
    )
    op.create_index("audit_by_time", "audit", ["at"])
    op.create_index("audit_by_request", "audit", ["request_id"])
    op.create_index("audit_by_patient", "audit", ["patient_hmac"])
    op.create_table(
        "feedback",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("service_id", sa.String(100), nullable=False),
        sa.Column("card", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("accepted_suggestions", sa.Text, nullable=False),
        sa.Column("reason_system", sa.String(500)),
        sa.Column("reason_code", sa.String(200)),
        sa.Column("reason_display", sa.String(500)),
        sa.Column("user_comment", sa.Text),
        sa.Column("outcome_timestamp", sa.String(40), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("caller", sa.String(300), nullable=False),
        sa.UniqueConstraint("card", "outcome", "outcome_timestamp", name="feedback_once"),
    )
    op.create_index("feedback_by_service", "feedback", ["service_id", "outcome"])
    op.create_table(
        "seen_jwt",
        sa.Column("issuer", sa.String(500), primary_key=True),
        sa.Column("jti", sa.String(500), primary_key=True),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_index("seen_jwt_by_expiry", "seen_jwt", ["expires_at"])


def downgrade() -> None:
    op.drop_table("seen_jwt")
    op.drop_table("feedback")
    op.drop_table("audit")

"""password resets and audit log: reset tokens as digests, and the audit trail

`password_resets` keeps one row per reset request (the event's id) with the SHA-256 of its
token; `audit_log` the security-relevant acts, each written with the change it records.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 14:10:33
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("actor_uuid", sa.Uuid(), nullable=True),
        sa.Column("target_uuid", sa.Uuid(), nullable=True),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column(
            "client_address", sa.String(length=64), server_default=sa.text("''"), nullable=False
        ),
        sa.Column(
            "detail",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("uuid", name=op.f("uq_audit_log_uuid")),
    )
    op.create_index(op.f("ix_audit_log_actor_uuid"), "audit_log", ["actor_uuid"], unique=False)
    op.create_index(
        "ix_audit_log_occurred_at_uuid", "audit_log", ["occurred_at", "uuid"], unique=False
    )
    op.create_index(op.f("ix_audit_log_target_uuid"), "audit_log", ["target_uuid"], unique=False)
    op.create_table(
        "password_resets",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("user_uuid", sa.Uuid(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_password_resets_token_digest")),
    )
    op.create_index(
        op.f("ix_password_resets_user_uuid"), "password_resets", ["user_uuid"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_password_resets_user_uuid"), table_name="password_resets")
    op.drop_table("password_resets")
    op.drop_index(op.f("ix_audit_log_target_uuid"), table_name="audit_log")
    op.drop_index("ix_audit_log_occurred_at_uuid", table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_actor_uuid"), table_name="audit_log")
    op.drop_table("audit_log")

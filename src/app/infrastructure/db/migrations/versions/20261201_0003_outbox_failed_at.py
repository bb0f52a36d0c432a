"""outbox failed_at: rows the broker kept refusing are parked, out of the pending index

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
    _pending_index("published_at IS NULL", "published_at IS NULL AND failed_at IS NULL")


def downgrade() -> None:
    # Parked rows become pending again: the relay tries them anew.
    _pending_index("published_at IS NULL AND failed_at IS NULL", "published_at IS NULL")
    op.drop_column("outbox", "failed_at")


def _pending_index(old_where: str, new_where: str) -> None:
    op.drop_index("ix_outbox_pending", table_name="outbox", postgresql_where=sa.text(old_where))
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["next_attempt_at", "id"],
        unique=False,
        postgresql_where=sa.text(new_where),
    )

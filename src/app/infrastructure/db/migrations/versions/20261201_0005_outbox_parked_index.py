"""outbox parked index: the parked rows found without a scan of the whole table

The relay counts them every round for the parked-rows gauge, and `app outbox` lists them; the
table keeps published rows for OUTBOX_RETENTION_DAYS, so without it both read every row.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_parked",
        "outbox",
        ["id"],
        unique=False,
        postgresql_where=sa.text("failed_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_outbox_parked", table_name="outbox", postgresql_where=sa.text("failed_at IS NOT NULL")
    )

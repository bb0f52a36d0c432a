"""users list order index: the users list's default order, (created_at, uuid), read from an index

`GET /api/v1/users/` orders by `-created_at` with `uuid` breaking ties in the same direction,
so a keyset page (`after`) is one index range scan at any depth instead of a sort of the table.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 15:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Concurrently, outside the migration's transaction: sign-ups go on while it is built.
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_users_created_at_uuid",
            "users",
            ["created_at", "uuid"],
            unique=False,
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    op.drop_index("ix_users_created_at_uuid", table_name="users")
